/// A PVE task id: `UPID:node:pid:pstart:starttime:type:id:user:` (pid, pstart, starttime in hex).
public struct UPID: Sendable, Hashable, CustomStringConvertible, LosslessStringConvertible {
    /// Node that runs the task; its status is polled there.
    public let node: String
    public let pid: UInt32
    public let pstart: UInt64
    /// Start time, seconds since the epoch.
    public let startTime: Int64
    /// Task type, e.g. `qmstart`, `vzdump`, `imgcopy`.
    public let type: String
    /// Object id, often the vmid; may be empty.
    public let id: String
    /// `user@realm` or `user@realm!token`.
    public let user: String
    /// The exact string the server sent.
    public let raw: String

    /// The task's resource on the node that runs it, e.g. `/nodes/pve1/tasks/UPID:...`.
    public var tasksPath: String { "/nodes/\(node)/tasks/\(raw)" }

    /// Parses a UPID; nil when the text is not one (wrong prefix, field count or hex).
    public init?(_ text: String) {
        let trimmed = text.trimmingWhitespace()
        let fields = trimmed.split(separator: ":", omittingEmptySubsequences: false)
        // As PVE's own check: UPID:node:pid(8 hex):pstart(8-9 hex):starttime(8 hex):type:id:user:
        // with no ':' or whitespace inside a field; only the id may be empty.
        guard fields.count == 9, fields[0] == "UPID", fields[8].isEmpty,
              !fields[1].isEmpty, !fields[5].isEmpty, !fields[7].isEmpty,
              fields.allSatisfy({ !$0.contains(where: \.isWhitespace) }),
              fields[2].count == 8, (8...9).contains(fields[3].count), fields[4].count == 8,
              fields[2...4].allSatisfy({ $0.allSatisfy(\.isHexDigit) }),
              let pid = UInt32(fields[2], radix: 16), let pstart = UInt64(fields[3], radix: 16),
              let start = Int64(fields[4], radix: 16), start >= 0 else { return nil }
        node = String(fields[1])
        self.pid = pid
        self.pstart = pstart
        startTime = start
        type = String(fields[5])
        id = String(fields[6])
        user = String(fields[7])
        raw = trimmed
    }

    public var description: String { raw }
}
