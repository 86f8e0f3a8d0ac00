/// Splits shell text into commands and words.
///
/// The language, in short (the README has the long form):
/// - words are separated by blanks; `;` and newlines separate commands;
/// - `'...'` is literal; `"..."` expands `$` references and knows the escapes `\"` `\\` `\$`
///   (any other backslash stays as written); outside quotes a backslash keeps the next character;
/// - a backslash at the end of a line joins the next line; a quote left open continues too;
/// - `#` at the start of a word begins a comment to the end of the line (so a `#!` first line
///   is a comment);
/// - `|` or `>` at the start of a word is an error: pipes and redirections belong to the calling
///   shell (quote them to pass them on);
/// - `$NAME`, `${NAME}`, `${NAME:-default}`, `$1`…`$n` (all digits: `$10` is argument ten),
///   `$#` (argument count), `$@` (all arguments); a `$` followed by anything else is literal.
///
/// Expansion is a separate step (`Expander`) so that `set X 1; echo $X` on one line sees the new
/// value: the lexer only records where references are.
public enum Lexer {
    /// Lexes a chunk of text (physical lines joined by `\n`).
    public static func lex(_ text: String) throws(SyntaxError) -> LexResult {
        var scanner = Scanner(text)
        if let pending = try scanner.run() { return .incomplete(pending) }
        return .complete(scanner.commands)
    }

    /// What TAB sees: the words of the command under the cursor (before the partial one) and
    /// the partial word itself. Never fails; an open quote is part of the partial word.
    public static func completionContext(_ textBeforeCursor: String) -> CompletionContext {
        var scanner = Scanner(textBeforeCursor)
        let pending = try? scanner.run(finishAtEnd: false)
        let wordInProgress = scanner.hasWord
        let partial: RawWord? = wordInProgress ? scanner.currentWord() : nil
        // A trailing continuation backslash or a bad `${` leaves no sensible partial word.
        let start = wordInProgress ? scanner.wordStartIndex : textBeforeCursor.count
        return CompletionContext(
            words: scanner.words, partial: partial, partialStartOffset: start,
            openQuote: scanner.openQuote, isComplete: pending == nil)
    }
}

/// The lexer's view of a partial line for TAB.
public struct CompletionContext: Sendable, Equatable {
    /// Words of the current command before the partial word.
    public var words: [RawWord]
    /// The word under the cursor, if the cursor is not after a blank.
    public var partial: RawWord?
    /// Character offset in the text where the partial word starts (its raw form, quotes included).
    public var partialStartOffset: Int
    /// The quote character left open, if any (a completion closes it).
    public var openQuote: Character?
    /// False when the text ends inside a quote or after a continuation backslash.
    public var isComplete: Bool
}

/// The state machine behind `Lexer`.
struct Scanner {
    private let chars: [Character]
    private var index = 0
    private var position = SourcePosition(line: 1, column: 1)

    private(set) var commands: [RawCommand] = []
    private(set) var words: [RawWord] = []
    private var parts: [WordPart] = []
    private var literal = ""
    private var wordStart: SourcePosition?
    private(set) var wordStartIndex = 0
    private(set) var openQuote: Character?

    init(_ text: String) { chars = Array(text) }

    var hasWord: Bool { wordStart != nil }

    /// Scans everything. Returns nil when the text is complete, or the error to report if no
    /// further line comes (open quote, trailing backslash).
    /// - Parameter finishAtEnd: false for completion, which wants the last word and command left
    ///   open (`words`, `currentWord()`).
    mutating func run(finishAtEnd: Bool = true) throws(SyntaxError) -> SyntaxError? {
        while let c = peek() {
            switch c {
            case " ", "\t", "\r":
                finishWord()
                advance()
            case "\n", ";":
                finishWord()
                finishCommand()
                advance()
            case "#" where wordStart == nil:
                while let d = peek(), d != "\n" { advance() }
            case "|" where wordStart == nil, ">" where wordStart == nil:
                // A pipe or redirection is the calling shell's: said here, rather than handed to
                // the command as a word it would call an unexpected argument.
                let what = c == "|" ? "pipes" : "redirections"
                throw SyntaxError("proxmux has no \(what): run it from your shell, as in proxmux -c 'ls /vms' \(c) ...", at: position)
            case "\\":
                let at = position
                let wordWasOpen = wordStart != nil
                startWord()
                advance()
                guard let next = peek() else {
                    return SyntaxError("a backslash at the end of the text continues onto a next line, but none follows", at: at)
                }
                advance()
                if next != "\n" { literal.append(next) } else if !wordWasOpen { wordStart = nil }
            case "'":
                let at = position
                startWord()
                advance()
                openQuote = "'"
                while true {
                    guard let d = peek() else { return SyntaxError("unterminated single quote (opened here)", at: at) }
                    advance()
                    if d == "'" { break }
                    literal.append(d)
                }
                openQuote = nil
            case "\"":
                let at = position
                startWord()
                advance()
                openQuote = "\""
                while true {
                    guard let d = peek() else { return SyntaxError("unterminated double quote (opened here)", at: at) }
                    if d == "\"" { advance(); break }
                    if d == "$" { try dollar(); continue }
                    advance()
                    if d == "\\" {
                        guard let e = peek() else { return SyntaxError("unterminated double quote (opened here)", at: at) }
                        switch e {
                        case "\"", "\\", "$": literal.append(e); advance()
                        case "\n": advance()
                        default: literal.append("\\")
                        }
                        continue
                    }
                    literal.append(d)
                }
                openQuote = nil
                // An empty "" is still a word.
            case "$":
                startWord()
                try dollar()
            default:
                startWord()
                literal.append(c)
                advance()
            }
        }
        if finishAtEnd {
            finishWord()
            finishCommand()
        }
        return nil
    }

    /// The word being built, without finishing it (for completion).
    func currentWord() -> RawWord {
        var p = parts
        if !literal.isEmpty || p.isEmpty { p.append(.literal(literal)) }
        return RawWord(parts: p, position: wordStart ?? position)
    }

    // MARK: - steps

    private func peek(_ offset: Int = 0) -> Character? {
        index + offset < chars.count ? chars[index + offset] : nil
    }

    private mutating func advance() {
        if chars[index] == "\n" {
            position.line += 1
            position.column = 1
        } else {
            position.column += 1
        }
        index += 1
    }

    private mutating func startWord() {
        if wordStart == nil {
            wordStart = position
            wordStartIndex = index
        }
    }

    private mutating func flushLiteral() {
        if !literal.isEmpty { parts.append(.literal(literal)) }
        literal = ""
    }

    private mutating func finishWord() {
        guard let start = wordStart else { return }
        flushLiteral()
        if parts.isEmpty { parts.append(.literal("")) }
        words.append(RawWord(parts: parts, position: start))
        parts = []
        wordStart = nil
    }

    private mutating func finishCommand() {
        if !words.isEmpty { commands.append(RawCommand(words: words)) }
        words = []
    }

    private static func isNameStart(_ c: Character) -> Bool { c == "_" || (c.isASCII && c.isLetter) }
    private static func isNameChar(_ c: Character) -> Bool { isNameStart(c) || (c.isASCII && c.isNumber) }

    /// At a `$`: records a variable reference, or a literal `$` when no name follows.
    private mutating func dollar() throws(SyntaxError) {
        let at = position
        advance()
        guard let c = peek() else { literal.append("$"); return }
        if c == "{" {
            advance()
            var name = ""
            while let d = peek(), Self.isNameChar(d) || ((d == "#" || d == "@") && name.isEmpty) {
                name.append(d)
                advance()
                if d == "#" || d == "@" { break }
            }
            let valid = name.first.map(Self.isNameStart) == true || (!name.isEmpty && name.allSatisfy(\.isNumber))
                || name == "#" || name == "@"
            var defaultValue: String?
            if peek() == ":" && peek(1) == "-" {
                advance(); advance()
                var text = ""
                while let d = peek(), d != "}", d != "\n" { text.append(d); advance() }
                defaultValue = text
            }
            guard peek() == "}" else {
                throw SyntaxError("bad variable reference: write ${NAME} or ${NAME:-default} (NAME: letters, digits, _)", at: at)
            }
            advance()
            guard valid else {
                throw SyntaxError("bad variable name in ${\(name)}: names are letters, digits and _, not starting with a digit", at: at)
            }
            addVariable(name, defaultValue, at)
        } else if Self.isNameStart(c) {
            var name = ""
            while let d = peek(), Self.isNameChar(d) { name.append(d); advance() }
            addVariable(name, nil, at)
        } else if c.isASCII && c.isNumber {
            var name = ""
            while let d = peek(), d.isASCII && d.isNumber { name.append(d); advance() }
            addVariable(name, nil, at)
        } else if c == "#" || c == "@" {
            advance()
            addVariable(String(c), nil, at)
        } else {
            literal.append("$")
        }
    }

    private mutating func addVariable(_ name: String, _ defaultValue: String?, _ at: SourcePosition) {
        flushLiteral()
        parts.append(.variable(name: name, defaultValue: defaultValue, position: at))
    }
}
