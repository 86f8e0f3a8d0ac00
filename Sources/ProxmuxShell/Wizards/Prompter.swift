/// A question a wizard asks.
public struct PromptRequest {
    /// E.g. `Memory in MiB`.
    public let question: String
    /// Used when the answer is empty; shown in brackets.
    public let defaultValue: String?
    /// The valid answers when the set is closed (shown, and completed by TAB); empty for free text.
    public let choices: [Completion]
    /// TAB candidates for a partial answer. Defaults to the choices starting with the prefix.
    public let complete: (String) -> [Completion]

    public init(question: String, defaultValue: String?, choices: [Completion], complete: ((String) -> [Completion])? = nil) {
        self.question = question
        self.defaultValue = defaultValue
        self.choices = choices
        self.complete = complete ?? { prefix in choices.filter { $0.value.hasPrefix(prefix) } }
    }

    /// `  choices: a, b, c` when the set is short enough to read at a glance (otherwise TAB lists them).
    public var choicesLine: String? {
        guard !choices.isEmpty && choices.count <= 12 else { return nil }
        return "  choices: " + choices.map(\.value).joined(separator: ", ")
    }

    /// `Memory in MiB [2048]: `
    public var promptText: String {
        var text = question
        if let defaultValue, !defaultValue.isEmpty { text += " [\(defaultValue)]" }
        return text + ": "
    }
}

/// What the user did at a prompt.
public enum PromptAnswer: Sendable, Equatable {
    case answer(String)
    /// `<`: go back one step.
    case back
    /// Ctrl-C or end of input: leave the wizard, nothing is created.
    case abort

    /// Interprets a line as read: nil (EOF) aborts, `<` goes back, anything else is an answer
    /// with surrounding blanks removed. Every prompter uses this, so `<` means the same everywhere.
    public init(line: String?) {
        guard let line else { self = .abort; return }
        let trimmed = line.trimmingBlanks()
        self = trimmed == "<" ? .back : .answer(trimmed)
    }
}

/// Asks one question. The interactive shell implements it with its line reader (prompt,
/// history off, TAB through `PromptRequest.complete`, Ctrl-C → `.abort`); `PlainPrompter` reads
/// plain lines; `ScriptedPrompter` answers from a list (tests).
public protocol Prompter: AnyObject {
    func ask(_ request: PromptRequest) -> PromptAnswer
}

/// Reads answers as plain lines (no line editing), writing the question to the console.
public final class PlainPrompter: Prompter {
    private let console: Console
    private let readLine: () -> String?

    /// - Parameter readLine: the input; defaults to standard input.
    public init(console: Console, readLine: @escaping () -> String? = { Swift.readLine(strippingNewline: true) }) {
        self.console = console
        self.readLine = readLine
    }

    public func ask(_ request: PromptRequest) -> PromptAnswer {
        if let line = request.choicesLine { console.line(line) }
        console.write(request.promptText)
        console.flush()
        return PromptAnswer(line: readLine())
    }
}

/// Answers from a fixed list, recording every question (tests). `nil` in the list, or running
/// out of answers, is end of input.
public final class ScriptedPrompter: Prompter {
    private var answers: [String?]
    public private(set) var asked: [PromptRequest] = []

    public init(_ answers: [String?]) { self.answers = answers }

    public var remainingAnswers: Int { answers.count }

    public func ask(_ request: PromptRequest) -> PromptAnswer {
        asked.append(request)
        guard !answers.isEmpty else { return .abort }
        return PromptAnswer(line: answers.removeFirst())
    }
}

extension String {
    /// Without leading and trailing spaces and tabs.
    func trimmingBlanks() -> String {
        var s = Substring(self)
        while let c = s.first, c == " " || c == "\t" { s.removeFirst() }
        while let c = s.last, c == " " || c == "\t" { s.removeLast() }
        return String(s)
    }
}
