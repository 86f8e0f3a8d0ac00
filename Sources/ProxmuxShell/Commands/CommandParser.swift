/// Flags every verb accepts. Their values reach verbs through `Invocation` helpers.
public enum GlobalFlags {
    public static let output = FlagSpec("output", short: "o", kind: .choice(["text", "json", "yaml"]), help: "Output format")
    public static let noHeader = FlagSpec("noheader", kind: .bool, help: "Omit table headers")
    public static let dryRun = FlagSpec("dry-run", kind: .bool, help: "Print the API requests instead of sending them")
    public static let yes = FlagSpec("yes", short: "y", kind: .bool, help: "Answer yes to confirmations")
    public static let debug = FlagSpec("debug", kind: .bool, help: "Print one line per API request to stderr (secrets redacted)")
    public static let all = [output, noHeader, dryRun, yes, debug]
}

/// A command line matched against its spec and checked: flags typed, arity right.
public struct ParsedCommand {
    public let spec: CommandSpec
    public let arguments: [String]
    public let flags: [String: String]
}

/// Parses words after lexing into a `ParsedCommand`, or throws a usage error that names what was
/// wrong and what is valid.
public struct CommandParser {
    public let table: CommandTable

    public init(table: CommandTable) { self.table = table }

    public func parse(_ words: [String]) throws -> ParsedCommand {
        guard let first = words.first else { throw ShellError("empty command") }
        guard let (spec, consumed) = table.match(words) else {
            let hints = table.suggestions(for: first)
            // A known first word with an unknown sub-verb: list the sub-verbs.
            let subs = table.specs.filter { $0.name.hasPrefix(first + " ") }.map(\.name)
            if !subs.isEmpty {
                let given = words.count > 1 ? " '\(words[1])'" : ""
                throw ShellError("\(first): unknown or missing sub-command\(given) (valid: \(subs.joined(separator: ", ")))")
            }
            let hint = hints.isEmpty ? "" : " — did you mean \(hints.map { "'\($0)'" }.joined(separator: " or "))?"
            throw ShellError("unknown command '\(first)'\(hint) (type 'help' for the list)")
        }
        let flagsByName = Dictionary((spec.flags + GlobalFlags.all).map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let flagsByShort = Dictionary((spec.flags + GlobalFlags.all).compactMap { f in f.short.map { ($0, f) } }, uniquingKeysWith: { a, _ in a })

        var positionals: [String] = []
        var flags: [String: String] = [:]
        var i = consumed
        var onlyPositionals = false
        while i < words.count {
            let word = words[i]
            i += 1
            if onlyPositionals || !Self.looksLikeFlag(word) {
                positionals.append(word)
                continue
            }
            if word == "--" { onlyPositionals = true; continue }
            let flag: FlagSpec
            var inlineValue: String?
            if word.hasPrefix("--") {
                var name = String(word.dropFirst(2))
                if let eq = name.firstIndex(of: "=") {
                    inlineValue = String(name[name.index(after: eq)...])
                    name = String(name[..<eq])
                }
                guard let found = flagsByName[name] else {
                    throw unknownFlag(word, name: name, spec: spec, value: inlineValue ?? (i < words.count ? words[i] : nil))
                }
                flag = found
            } else {
                let rest = word.dropFirst()
                guard let letter = rest.first, let found = flagsByShort[letter] else { throw unknownFlag(word, name: String(rest), spec: spec) }
                flag = found
                if rest.count > 1 {
                    if flag.kind == .bool { throw ShellError("\(word): -\(letter) takes no value; write flags separately") }
                    inlineValue = String(rest.dropFirst())
                }
            }
            let display = "--" + flag.name
            if flag.kind == .bool {
                if let inlineValue {
                    switch inlineValue.lowercased() {
                    case "1", "true", "yes", "on": flags[flag.name] = "1"
                    case "0", "false", "no", "off": flags.removeValue(forKey: flag.name)
                    default: throw ShellError("\(display) is a switch: give it no value or one of 1, 0, true, false")
                    }
                } else {
                    flags[flag.name] = "1"
                }
                continue
            }
            let value: String
            if let inlineValue {
                value = inlineValue
            } else {
                guard i < words.count else { throw ShellError("\(display) needs a value (\(Self.describe(flag.kind)))") }
                value = words[i]
                i += 1
            }
            flags[flag.name] = try Self.check(value, for: flag)
        }
        try checkArity(positionals, spec: spec)
        return ParsedCommand(spec: spec, arguments: positionals, flags: flags)
    }

    /// `-l`, `--yes`; but not `-` alone or negative numbers.
    static func looksLikeFlag(_ word: String) -> Bool {
        guard word.hasPrefix("-"), word.count > 1 else { return false }
        let second = word[word.index(after: word.startIndex)]
        return second == "-" || second.isLetter
    }

    /// Validates a flag value against its kind; returns it normalised.
    static func check(_ value: String, for flag: FlagSpec) throws -> String {
        let display = "--" + flag.name
        switch flag.kind {
        case .bool, .string:
            return value
        case .integer(let lo, let hi):
            guard let n = Int64(value) else { throw ShellError("\(display): '\(value)' is not an integer\(Self.range(lo, hi))") }
            if let lo, n < lo { throw ShellError("\(display): \(n) is too small\(Self.range(lo, hi))") }
            if let hi, n > hi { throw ShellError("\(display): \(n) is too large\(Self.range(lo, hi))") }
            return String(n)
        case .choice(let valid):
            guard valid.contains(value) else {
                throw ShellError("\(display): '\(value)' is not valid (valid: \(valid.joined(separator: ", ")))")
            }
            return value
        }
    }

    static func range(_ lo: Int64?, _ hi: Int64?) -> String {
        switch (lo, hi) {
        case let (lo?, hi?): return " (valid: \(lo)…\(hi))"
        case let (lo?, nil): return " (valid: ≥ \(lo))"
        case let (nil, hi?): return " (valid: ≤ \(hi))"
        default: return ""
        }
    }

    static func describe(_ kind: FlagKind) -> String {
        switch kind {
        case .bool: return "switch"
        case .string: return "text"
        case .integer(let lo, let hi): return "integer" + range(lo, hi).replacingOccurrences(of: "valid: ", with: "")
        case .choice(let values): return "one of " + values.joined(separator: ", ")
        }
    }

    /// `value`: the word after the flag (or its `=` value), for the hint to the raw API verbs,
    /// whose parameters pvesh writes `--type vm` and the shell `type=vm` (unless the flag looks
    /// like a misspelt one of their own).
    private func unknownFlag(_ word: String, name: String, spec: CommandSpec, value: String? = nil) -> ShellError {
        let all = spec.flags + GlobalFlags.all
        let close = all.filter { editDistance($0.name, name) <= 2 || $0.name.hasPrefix(name) }.map { "--" + $0.name }
        var hint = close.isEmpty ? "" : " — did you mean \(close.joined(separator: " or "))?"
        if spec.group == .raw, close.isEmpty, word.hasPrefix("--"), !name.isEmpty {
            hint = " — API parameters are key=value words: \(name)=\(value.map { Self.looksLikeFlag($0) ? "VALUE" : $0 } ?? "VALUE")"
        }
        return ShellError("\(spec.name): unknown flag \(word)\(hint) (valid: \(Help.flagList(all)))")
    }

    private func checkArity(_ positionals: [String], spec: CommandSpec) throws {
        let required = spec.arguments.filter { !$0.optional }
        if positionals.count < required.count {
            let missing = required[positionals.count]
            throw ShellError("\(spec.name): missing \(missing.name) — \(missing.help) (usage: \(Help.usage(spec)))")
        }
        let takesRest = spec.arguments.last?.variadic ?? false
        if !takesRest, positionals.count > spec.arguments.count {
            let extra = positionals[spec.arguments.count...].joined(separator: " ")
            throw ShellError("\(spec.name): unexpected argument '\(extra)' (usage: \(Help.usage(spec)))")
        }
    }
}

extension String {
    /// Plain substring replacement (no Foundation).
    func replacingOccurrences(of target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var out = ""
        var rest = Substring(self)
        while let range = rest.firstRange(of: target) {
            out += rest[..<range.lowerBound]
            out += replacement
            rest = rest[range.upperBound...]
        }
        out += rest
        return out
    }
}
