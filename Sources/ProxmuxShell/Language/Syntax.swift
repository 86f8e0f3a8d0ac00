/// A position in the text being read: 1-based line (within the chunk handed to the lexer) and
/// 1-based column counted in characters.
public struct SourcePosition: Sendable, Equatable, CustomStringConvertible {
    public var line: Int
    public var column: Int
    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }
    public var description: String { "\(line):\(column)" }
}

/// A piece of a word before expansion.
public enum WordPart: Sendable, Equatable {
    case literal(String)
    /// `$NAME`, `${NAME}`, `${NAME:-default}`, `$1`, `$#`, `$@`.
    case variable(name: String, defaultValue: String?, position: SourcePosition)
}

/// One word as written: its parts (quotes already removed) and where it starts.
public struct RawWord: Sendable, Equatable {
    public var parts: [WordPart]
    public var position: SourcePosition
    public init(parts: [WordPart], position: SourcePosition) {
        self.parts = parts
        self.position = position
    }
}

/// The words of one command (between `;` or newlines), before expansion.
public struct RawCommand: Sendable, Equatable {
    public var words: [RawWord]
    /// Where the first word starts.
    public var position: SourcePosition { words.first?.position ?? SourcePosition(line: 1, column: 1) }
    public init(words: [RawWord]) { self.words = words }
}

/// A word after expansion, ready for the executor.
public struct Word: Sendable, Equatable {
    public var text: String
    public var position: SourcePosition
    public init(_ text: String, at position: SourcePosition) {
        self.text = text
        self.position = position
    }
}

/// The language layer's error: a syntax or expansion problem at a position. The loop prints the
/// message with the offending line and a caret under `position.column`; it converts to the
/// command layer's `ShellError` (message + column) via `shellError`.
public struct SyntaxError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    public let position: SourcePosition
    public init(_ message: String, at position: SourcePosition) {
        self.message = message
        self.position = position
    }
    public var description: String { message }
    public var shellError: ShellError { ShellError(message, column: position.column) }
}

/// What the lexer made of a chunk of text.
public enum LexResult: Sendable, Equatable {
    /// All commands in the text, in order; blank lines and comments produce none.
    case complete([RawCommand])
    /// The text stops inside a quote or right after a continuation backslash. Read another line
    /// and lex again; if there is none, report the carried error.
    case incomplete(SyntaxError)
}
