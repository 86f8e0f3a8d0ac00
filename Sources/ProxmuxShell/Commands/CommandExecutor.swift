/// The seam between the language layer (line reading, lexing, scripts) and the command layer
/// (the table, context, API calls). The main loop hands over one command's expanded words at a
/// time and asks for completions and the prompt; it knows nothing about verbs.
public protocol CommandExecutor: AnyObject {
    /// Runs one command. Throws `ShellError` for anything the user should read; the loop prints
    /// it (with the script location) and decides whether to stop.
    func execute(words: [String], at location: SourceLocation) throws
    /// Candidates for TAB at the cursor.
    func complete(_ request: CompletionRequest) -> [Completion]
    /// The prompt text without colour codes, e.g. `pmx home:/nodes/pve1>`; the line reader adds colour.
    func promptSegments() -> PromptSegments
}

/// What TAB was pressed on: the words before the cursor and the partial word under it.
public struct CompletionRequest: Sendable, Equatable {
    /// Complete words before the cursor (after lexing; quotes removed).
    public let words: [String]
    /// The partial word under the cursor (may be empty).
    public let prefix: String
    public init(words: [String], prefix: String) {
        self.words = words
        self.prefix = prefix
    }
}

public struct Completion: Sendable, Equatable {
    /// Text that replaces the prefix.
    public let value: String
    /// Shown beside the value in the list (e.g. guest name and state), not inserted.
    public let detail: String?
    /// Append a space after inserting (false for directories / partial paths).
    public let appendSpace: Bool
    public init(_ value: String, detail: String? = nil, appendSpace: Bool = true) {
        self.value = value
        self.detail = detail
        self.appendSpace = appendSpace
    }
}

/// Parts of the prompt so the line reader can colour them: `pmx PROFILE:PATH(SELECTION)[TASKS]> `.
public struct PromptSegments: Sendable, Equatable {
    public var profile: String
    public var path: String
    public var selection: String?
    public var runningTasks: Int
    public init(profile: String, path: String, selection: String? = nil, runningTasks: Int = 0) {
        self.profile = profile
        self.path = path
        self.selection = selection
        self.runningTasks = runningTasks
    }
}

/// An error meant for the user. `message` names what was wrong and what is valid.
public struct ShellError: Error, CustomStringConvertible, Equatable {
    public let message: String
    /// Column of the offending character for syntax errors (1-based).
    public let column: Int?
    /// The command line itself was wrong (unknown verb or flag, bad value): scripts exit with 2.
    public let isUsage: Bool
    public init(_ message: String, column: Int? = nil, isUsage: Bool = false) {
        self.message = message
        self.column = column
        self.isUsage = isUsage
    }
    /// The same error, marked as a usage error.
    public var asUsage: ShellError { ShellError(message, column: column, isUsage: true) }
    public var description: String { message }
}
