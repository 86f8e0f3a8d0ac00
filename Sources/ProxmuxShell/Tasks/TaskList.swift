#if canImport(Glibc)
import Glibc
#endif
import ProxmoxAPI
import PVESchema

/// A row of `/cluster/tasks` or `/nodes/{node}/tasks`, read leniently.
public struct TaskRow: Sendable, Equatable {
    public enum State: String, Sendable, CaseIterable {
        case running, ok, failed
    }

    public let upid: String
    public let node: String
    public let type: String
    public let id: String
    public let user: String
    public let startTime: Int64
    public let endTime: Int64?
    /// Exit status of a finished task (`OK`, `WARNINGS: 2`, or the error).
    public let status: String?
    public let raw: JSON

    public init?(_ row: JSON) {
        guard let upid = row["upid"]?.string else { return nil }
        let ref = UPID(upid)
        self.upid = upid
        node = row["node"]?.string ?? ref?.node ?? ""
        type = row["type"]?.string ?? ref?.type ?? ""
        id = row["id"]?.string ?? ref?.id ?? ""
        user = row["user"]?.string ?? ref?.user ?? ""
        startTime = row["starttime"]?.int ?? ref?.startTime ?? 0
        endTime = row["endtime"]?.int
        let status = row["status"]?.string
        self.status = (status == nil || status == "" || status == "RUNNING" || status == "running") ? nil : status
        raw = row
    }

    public var state: State {
        guard endTime != nil || status != nil else { return .running }
        return TaskStatus.isSuccess(exitStatus: status ?? "") ? .ok : .failed
    }
}

/// The filters of `tasks`.
public struct TaskFilter: Sendable, Equatable {
    public var node: String?
    public var type: String?
    public var state: TaskRow.State?
    /// `root@pam` also matches its tokens (`root@pam!ci`).
    public var user: String?
    public var guest: String?
    /// Unix time; tasks that started earlier are left out.
    public var since: Int64?
    public var limit: Int?

    public init() {}

    public func matches(_ row: TaskRow) -> Bool {
        if let node, row.node != node { return false }
        if let type, row.type != type { return false }
        if let state, row.state != state { return false }
        if let user, row.user != user && !row.user.hasPrefix(user + "!") { return false }
        if let guest, row.id != guest { return false }
        if let since, row.startTime < since { return false }
        return true
    }

    /// Filters, puts running tasks first (then newest first) and applies the limit.
    public func apply(_ rows: [TaskRow]) -> [TaskRow] {
        let sorted = rows.filter(matches).sorted { a, b in
            if (a.state == .running) != (b.state == .running) { return a.state == .running }
            return a.startTime > b.startTime
        }
        guard let limit else { return sorted }
        return Array(sorted.prefix(limit))
    }
}

/// Times as the task verbs read and show them.
public enum TaskTime {
    /// Reads `--since`: a span back from now (`90s`, `30m`, `1h`, `2d`, `1w`) or a local date /
    /// time (`2026-11-26`, `2026-11-26T10:00`, `2026-11-26 10:00:00`, a trailing `Z` for UTC).
    public static func parseSince(_ text: String, now: Int64) throws -> Int64 {
        if let unit = text.last, let amount = Int64(text.dropLast()), amount >= 0 {
            let seconds: Int64? = switch unit {
            case "s": 1
            case "m": 60
            case "h": 3600
            case "d": 86400
            case "w": 604800
            default: nil
            }
            if let seconds { return now - amount * seconds }
        }
        if let time = parseDate(text) { return time }
        throw ShellError("'\(text)' is not a time; use a span like 30m, 1h, 2d or a date like 2026-11-26 or 2026-11-26T10:00")
    }

    static func parseDate(_ text: String) -> Int64? {
        var body = Substring(text)
        let utc = body.hasSuffix("Z")
        if utc { body = body.dropLast() }
        let halves = body.split(whereSeparator: { $0 == "T" || $0 == " " }).map(String.init)
        guard halves.count == 1 || halves.count == 2 else { return nil }
        let date = halves[0].split(separator: "-", omittingEmptySubsequences: false).compactMap { Int32($0) }
        guard date.count == 3, (1...12).contains(date[1]), (1...31).contains(date[2]), date[0] >= 1970 else { return nil }
        var clock: [Int32] = [0, 0, 0]
        if halves.count == 2 {
            let parts = halves[1].split(separator: ":", omittingEmptySubsequences: false).compactMap { Int32($0) }
            guard (2...3).contains(parts.count), (0...23).contains(parts[0]), (0...59).contains(parts[1]) else { return nil }
            clock = parts + (parts.count == 2 ? [0] : [])
            guard (0...60).contains(clock[2]) else { return nil }
        }
        var parts = tm()
        parts.tm_year = date[0] - 1900
        parts.tm_mon = date[1] - 1
        parts.tm_mday = date[2]
        parts.tm_hour = clock[0]
        parts.tm_min = clock[1]
        parts.tm_sec = clock[2]
        parts.tm_isdst = -1
        let result = utc ? timegm(&parts) : mktime(&parts)
        return result == -1 ? nil : Int64(result)
    }

    /// `2026-11-26 10:32:05` in local time.
    public static func format(_ time: Int64) -> String {
        var t = time_t(time)
        var parts = tm()
        localtime_r(&t, &parts)
        func pad(_ v: Int32) -> String { v < 10 ? "0\(v)" : String(v) }
        return "\(parts.tm_year + 1900)-\(pad(parts.tm_mon + 1))-\(pad(parts.tm_mday)) \(pad(parts.tm_hour)):\(pad(parts.tm_min)):\(pad(parts.tm_sec))"
    }

    public static func now() -> Int64 { Int64(time(nil)) }
}

/// TAB candidates for `CompletionSource.upids`: recent tasks, running first, with type, guest and
/// start time beside each UPID. The completion engine calls `candidates(prefix:client:)`.
public enum TaskCompletion {
    /// Candidates from rows already fetched (e.g. from a cache).
    public static func candidates(prefix: String, rows: [TaskRow], limit: Int = 50) -> [Completion] {
        var filter = TaskFilter()
        filter.limit = limit
        return filter.apply(rows.filter { $0.upid.hasPrefix(prefix) }).map { row in
            let guest = row.id.isEmpty ? "" : " \(row.id)"
            let state = row.state == .running ? "running" : (row.status ?? "")
            return Completion(row.upid, detail: "\(row.type)\(guest), \(TaskTime.format(row.startTime)), \(state)")
        }
    }

    /// Candidates from one `/cluster/tasks` request; none when it fails (TAB must not print errors).
    public static func candidates(prefix: String, client: TaskCalls) -> [Completion] {
        guard let data = try? client.get("/cluster/tasks") else { return [] }
        return candidates(prefix: prefix, rows: (data.array ?? []).compactMap(TaskRow.init))
    }
}
