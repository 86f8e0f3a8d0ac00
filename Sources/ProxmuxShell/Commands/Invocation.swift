import PVESchema

/// A parsed command line bound to its spec, handed to `CommandSpec.run`.
public struct Invocation {
    public let spec: CommandSpec
    /// Positional arguments in order (variadic ones flattened).
    public let arguments: [String]
    /// Flag values by flag name; `bool` flags map to "1".
    public let flags: [String: String]
    public let session: Session
    /// Where the line came from (file and line for scripts), for error messages.
    public let location: SourceLocation
    /// The whole table (for `help` and completion-driven verbs).
    public let table: CommandTable

    public init(
        spec: CommandSpec, arguments: [String], flags: [String: String], session: Session, location: SourceLocation,
        table: CommandTable = CommandTable(specs: [])
    ) {
        self.spec = spec
        self.arguments = arguments
        self.flags = flags
        self.session = session
        self.location = location
        self.table = table
    }

    public func flag(_ name: String) -> String? { flags[name] ?? spec.flags.first { $0.name == name }?.defaultValue }
    public func has(_ name: String) -> Bool { flags[name] != nil }
}

/// Where a command was read from.
public struct SourceLocation: Sendable, Equatable, CustomStringConvertible {
    /// File path, `-c`, or `<stdin>`; nil at the interactive prompt.
    public let source: String?
    public let line: Int
    public let column: Int

    public init(source: String?, line: Int, column: Int = 1) {
        self.source = source
        self.line = line
        self.column = column
    }

    public static let prompt = SourceLocation(source: nil, line: 1)

    public var description: String { source.map { "\($0):\(line)" } ?? "line \(line)" }
}

/// What a verb returns; renderers turn it into text, JSON or YAML.
public enum CommandOutput {
    case nothing
    /// A line for the user (not part of machine-readable output).
    case message(String)
    /// Rows with named columns; `json` keeps raw values for `-o json|yaml`.
    case table(Table)
    /// One object shown as key/value lines.
    case record(JSON)
    /// Raw JSON (e.g. `api get`).
    case json(JSON)
}

public struct Table {
    public struct Column: Sendable {
        public let key: String
        public let title: String
        public let format: ValueFormat
        public init(_ key: String, _ title: String, format: ValueFormat = .plain) {
            self.key = key
            self.title = title
            self.format = format
        }
    }
    public let columns: [Column]
    /// Raw rows (what `-o json|yaml` prints); text output shows the columns of each.
    public let rows: JSONRows
    public init(columns: [Column], rows: [JSON]) {
        self.init(columns: columns, rows: JSONRows(rows, keys: columns.map(\.key)))
    }
    /// Rows read with `APIBackend.rows`, best indexed for at least the column keys.
    public init(columns: [Column], rows: JSONRows) {
        self.columns = columns
        self.rows = rows
    }
}

/// How a raw value is humanised in text output (JSON output keeps the raw number).
public enum ValueFormat: Sendable {
    case plain
    case bytes
    case percent
    /// Seconds as `3d 4h`; 0 as `-` (a stopped guest's uptime).
    case duration
    /// Seconds as `duration` does, but 0 as `0s` (a task that took under a second).
    case elapsed
    case timestamp
    case state
    /// PVE's booleans (`0`/`1`, e.g. a user's `enable`) as `no`/`yes`.
    case flag
}
