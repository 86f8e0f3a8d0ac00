/// Replaces variable references in lexed words with their values.
///
/// Rules (documented in the README):
/// - `$NAME` / `${NAME}` come from `set NAME value`; an unknown name is an error naming it
///   (a typo must not silently become an empty word in a script that stops guests);
///   `${NAME:-default}` gives the default instead — the way to write an optional value.
/// - `$1`…`$n` are the script arguments; one past the end is an error, `${2:-x}` a default.
/// - `$#` is the argument count; `$@` alone as a word becomes one word per argument (none when
///   there are none); inside a longer word it is the arguments joined by spaces.
/// - Values are never split on blanks: `$X` is always exactly one word.
public struct Expander: Sendable {
    public var variables: [String: String]
    public var arguments: [String]

    public init(variables: [String: String], arguments: [String]) {
        self.variables = variables
        self.arguments = arguments
    }

    public func expand(_ command: RawCommand) throws(SyntaxError) -> [Word] {
        var words: [Word] = []
        words.reserveCapacity(command.words.count)
        for word in command.words {
            if word.parts.count == 1, case .variable(name: "@", defaultValue: nil, _) = word.parts[0] {
                words += arguments.map { Word($0, at: word.position) }
                continue
            }
            var text = ""
            for part in word.parts {
                switch part {
                case .literal(let s): text += s
                case .variable(let name, let defaultValue, let position):
                    text += try value(of: name, default: defaultValue, at: position)
                }
            }
            words.append(Word(text, at: word.position))
        }
        return words
    }

    /// Best-effort text of a word for TAB: unknown references stay as written, never an error.
    public func lenientText(of word: RawWord) -> String {
        var text = ""
        for part in word.parts {
            switch part {
            case .literal(let s): text += s
            case .variable(let name, let defaultValue, let position):
                text += (try? value(of: name, default: defaultValue, at: position)) ?? "$\(name)"
            }
        }
        return text
    }

    private func value(of name: String, default defaultValue: String?, at position: SourcePosition) throws(SyntaxError) -> String {
        switch name {
        case "#": return String(arguments.count)
        case "@": return arguments.joined(separator: " ")
        default: break
        }
        if let first = name.first, first.isNumber {
            guard let n = Int(name), n >= 1 else {
                throw SyntaxError("$\(name): script arguments are numbered from $1", at: position)
            }
            if n <= arguments.count { return arguments[n - 1] }
            if let defaultValue { return defaultValue }
            let got = arguments.count == 1 ? "1 argument" : "\(arguments.count) arguments"
            throw SyntaxError("$\(name) is not set: got \(got) (write ${\(name):-default} for an optional one)", at: position)
        }
        if let value = variables[name] { return value }
        if let defaultValue { return defaultValue }
        throw SyntaxError("unknown variable $\(name) (set it with `set \(name) VALUE`, or write ${\(name):-default})", at: position)
    }
}
