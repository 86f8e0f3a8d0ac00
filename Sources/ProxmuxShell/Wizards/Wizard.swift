/// Answers collected so far, by step key (= flag name). An optional field left empty is stored as "".
public struct WizardAnswers: Sendable, Equatable {
    public private(set) var values: [String: String] = [:]

    public init(_ values: [String: String] = [:]) { self.values = values }

    public subscript(key: String) -> String? {
        get { values[key] }
        set { values[key] = newValue }
    }

    /// The value, or nil when absent or left empty.
    public func value(_ key: String) -> String? {
        guard let v = values[key], !v.isEmpty else { return nil }
        return v
    }
}

/// One question of a wizard, which is also one flag of its command.
public struct WizardStep {
    public enum Style: Sendable {
        /// `--key VALUE`
        case value
        /// yes/no answer; as a flag it is a switch (`--start`), absent means no.
        case switchFlag
    }

    /// Flag name without dashes; also the key in `WizardAnswers`.
    public let key: String
    /// Label in the summary (`Memory (MiB)`).
    public let title: String
    public let question: String
    /// Must come from the user: when every required step has a flag, nothing is asked; on a
    /// non-terminal a missing one is an error.
    public let required: Bool
    /// What an empty answer means when the step may stay empty (`""`: not sent, PVE decides),
    /// said in the question and the summary (`generated` for a MAC address); nil: an answer is needed.
    public let whenEmpty: String?
    public var optional: Bool { whenEmpty != nil }
    public let style: Style
    /// Suggested value given earlier answers (nil: none).
    public let defaultValue: (WizardAnswers) throws -> String?
    /// Valid answers when the set is closed, with a readable detail; empty for free text.
    public let choices: (WizardAnswers) throws -> [Completion]
    /// Checks a non-empty answer given earlier answers; returns the value to store (normalised)
    /// or throws `ShellError` saying what is wrong and what is valid.
    public let validate: (String, WizardAnswers) throws -> String

    public init(
        key: String, title: String, question: String, required: Bool = false, whenEmpty: String? = nil,
        style: Style = .value,
        defaultValue: @escaping (WizardAnswers) throws -> String? = { _ in nil },
        choices: @escaping (WizardAnswers) throws -> [Completion] = { _ in [] },
        validate: @escaping (String, WizardAnswers) throws -> String
    ) {
        self.key = key
        self.title = title
        self.question = question
        self.required = required
        self.whenEmpty = whenEmpty
        self.style = style
        self.defaultValue = defaultValue
        self.choices = choices
        self.validate = validate
    }

    /// Validation for a closed set: the answer must be one of `choices` (checked case-sensitively).
    public static func oneOf(_ what: String) -> (String, [Completion]) throws -> String {
        { answer, choices in
            guard choices.contains(where: { $0.value == answer }) else {
                let list = choices.map(\.value)
                let shown = list.count > 15 ? list.prefix(15).joined(separator: ", ") + ", ..." : list.joined(separator: ", ")
                throw ShellError(list.isEmpty ? "no \(what) is available" : "'\(answer)' is not a valid \(what); valid: \(shown)")
            }
            return answer
        }
    }

    /// Normalises yes/no spellings (`y`, `1`, `on`, ...) to `yes` / `no`.
    public static func yesNo(_ answer: String) throws -> String {
        switch answer.lowercased() {
        case "y", "yes", "1", "on", "true": return "yes"
        case "n", "no", "0", "off", "false": return "no"
        default: throw ShellError("'\(answer)' is not yes or no")
        }
    }
}

/// A list of steps run either as a conversation (prompts, `<` back, Ctrl-C abort, summary and
/// confirmation) or silently from flags. Either way the result is the same set of answers, and
/// `commandLine(for:)` writes them as the one-line command that produces the same request.
public struct Wizard {
    /// The verb, e.g. `create vm`.
    public let command: String
    public let steps: [WizardStep]
    /// The final confirmation, e.g. `Create this VM?`.
    public let confirmation: String

    public init(command: String, steps: [WizardStep], confirmation: String) {
        self.command = command
        self.steps = steps
        self.confirmation = confirmation
    }

    /// The outcome of a run.
    public struct Outcome: Sendable, Equatable {
        public let answers: WizardAnswers
        /// Questions were asked (so the equivalent command is worth printing).
        public let prompted: Bool
    }

    /// Runs the wizard.
    /// - Parameters:
    ///   - given: flag values from the command line (switch flags as "1").
    ///   - prompter: nil when input is not a terminal: nothing is asked and missing required
    ///     values are an error listing all of them.
    ///   - summaryStream: where the closing summary goes (stderr under `-o json|yaml`).
    /// - Returns: nil when the user aborted (Ctrl-C, EOF, or declined the confirmation).
    public func run(given: [String: String], prompter: Prompter?, console: Console,
                    summaryStream: Console.Stream = .out) throws -> Outcome? {
        let missing = steps.filter { step in
            step.required && given[step.key] == nil && ((try? step.defaultValue(WizardAnswers(given))) ?? nil) == nil
        }
        if prompter == nil && !missing.isEmpty {
            throw ShellError("\(command): missing required " + (missing.count == 1 ? "flag " : "flags ")
                + missing.map { "--\($0.key)" }.joined(separator: ", ")
                + " (input is not a terminal, so nothing is asked)")
        }
        // Given every required value (by flag or a default such as the current node), nothing is asked.
        let prompting = prompter != nil && !missing.isEmpty
        var answers = WizardAnswers()
        // Flags whose value was rejected and is being asked for instead.
        var rejected: Set<String> = []
        var asked: [Int] = []
        var index = 0
        while true {
            if index == steps.count {
                guard prompting, let prompter else { return Outcome(answers: answers, prompted: false) }
                console.line(summary(answers), to: summaryStream)
                switch prompter.ask(PromptRequest(question: confirmation + " (yes/no)", defaultValue: "yes",
                                                  choices: [Completion("yes"), Completion("no")])) {
                case .abort:
                    return nil
                case .back:
                    if let last = asked.popLast() { index = last }
                    continue
                case .answer(let text):
                    switch try? WizardStep.yesNo(text.isEmpty ? "yes" : text) {
                    case "yes": return Outcome(answers: answers, prompted: true)
                    case "no": return nil
                    default:
                        console.error("please answer yes or no (or < to go back)")
                        continue
                    }
                }
            }
            let step = steps[index]
            // Flag values are re-validated whenever the wizard passes them (an earlier answer may
            // have changed after `<`), and never asked for unless they were rejected.
            if let flagValue = given[step.key], !rejected.contains(step.key) {
                do {
                    answers[step.key] = try accept(flagValue, for: step, answers: answers)
                    index += 1
                    continue
                } catch let error as ShellError {
                    guard prompting else { throw ShellError("--\(step.key): \(error.message)") }
                    console.error("--\(step.key): \(error.message)")
                    rejected.insert(step.key)
                }
            }
            if prompting, let prompter {
                let suggestion = try answers[step.key].flatMap { $0.isEmpty ? nil : $0 } ?? step.defaultValue(answers)
                let choices = try step.choices(answers)
                let request = PromptRequest(question: step.question + (step.whenEmpty.map { " (empty: \($0))" } ?? ""),
                                            defaultValue: step.style == .switchFlag ? (suggestion ?? "no") : suggestion,
                                            choices: step.style == .switchFlag ? [Completion("yes"), Completion("no")] : choices)
                switch prompter.ask(request) {
                case .abort:
                    return nil
                case .back:
                    if let last = asked.popLast() {
                        index = last
                    } else {
                        console.error("this is the first question; Ctrl-C leaves the wizard")
                    }
                    continue
                case .answer(let text):
                    let value = text.isEmpty ? (request.defaultValue ?? "") : text
                    do {
                        answers[step.key] = try accept(value, for: step, answers: answers)
                        asked.append(index)
                        index += 1
                    } catch let error as ShellError {
                        console.error(error.message)
                    }
                }
                continue
            }
            // Not given and not asking: the default.
            let fallback = try step.defaultValue(answers)
            do {
                answers[step.key] = try accept(fallback ?? (step.style == .switchFlag ? "no" : ""), for: step, answers: answers)
            } catch let error as ShellError {
                throw ShellError("--\(step.key) is needed: \(error.message)")
            }
            index += 1
        }
    }

    /// Validates one answer; empty is only fine for optional steps.
    private func accept(_ value: String, for step: WizardStep, answers: WizardAnswers) throws -> String {
        if step.style == .switchFlag { return try WizardStep.yesNo(value) }
        if value.isEmpty {
            if step.optional { return "" }
            let choices = (try? step.choices(answers)) ?? []
            if choices.isEmpty { throw ShellError("a value is required for \(step.title.lowercased())") }
            throw ShellError("a value is required for \(step.title.lowercased()); valid: "
                + choices.prefix(15).map(\.value).joined(separator: ", "))
        }
        return try step.validate(value, answers)
    }

    /// The summary shown before the confirmation.
    public func summary(_ answers: WizardAnswers) -> String {
        let width = steps.map(\.title.count).max() ?? 0
        var lines = ["Summary:"]
        for step in steps {
            let value = answers[step.key] ?? ""
            let shown = value.isEmpty ? step.whenEmpty ?? "-" : value
            lines.append("  " + step.title + String(repeating: " ", count: width - step.title.count) + "  " + shown)
        }
        return lines.joined(separator: "\n")
    }

    /// The one-line command that gives the same answers without questions, e.g.
    /// `create vm --node pve1 --vmid 105 --name web --memory 2048 ...`. Every value is written out
    /// (even defaults), so the line does not depend on what the server would suggest next time.
    public func commandLine(for answers: WizardAnswers) -> String {
        var words = [command]
        for step in steps {
            guard let value = answers.value(step.key) else { continue }
            switch step.style {
            case .switchFlag:
                if value == "yes" { words.append("--\(step.key)") }
            case .value:
                words.append("--\(step.key)")
                words.append(Wizard.quote(value))
            }
        }
        return words.joined(separator: " ")
    }

    /// Quotes a word for the shell language when it holds characters the lexer treats specially.
    public static func quote(_ word: String) -> String {
        word.isEmpty ? "''" : CompletionQuoting.quote(word, openQuote: nil, closing: true)
    }
}
