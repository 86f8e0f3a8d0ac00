import PVESchema

/// `/nodes/{node}/tasks/{upid}/status`.
public struct TaskStatus: Sendable, Equatable {
    /// `running` or `stopped`.
    public let status: String
    /// When stopped: `OK`, `WARNINGS: n`, or an error message.
    public let exitStatus: String?
    public let type: String?
    public let id: String?
    public let user: String?
    public let node: String?
    public let raw: JSON

    public init?(_ json: JSON) {
        guard case .object = json, let status = json["status"]?.nonEmptyString else { return nil }
        self.status = status
        exitStatus = json["exitstatus"]?.nonEmptyString
        type = json["type"]?.nonEmptyString
        id = json["id"]?.nonEmptyString
        user = json["user"]?.nonEmptyString
        node = json["node"]?.nonEmptyString
        raw = json
    }

    public var isRunning: Bool { status == "running" }

    /// PVE counts `OK` and `WARNINGS: n` as success.
    public var succeeded: Bool {
        guard let exitStatus else { return false }
        return Self.isSuccess(exitStatus: exitStatus)
    }

    /// Whether a finished task's exit status means success: `OK` or `WARNINGS: n`; anything else
    /// is the error text.
    public static func isSuccess(exitStatus: String) -> Bool {
        exitStatus == "OK" || exitStatus.hasPrefix("WARNINGS:")
    }

    /// `n` of `WARNINGS: n`, nil otherwise.
    public var warningCount: Int? {
        guard let exitStatus, exitStatus.hasPrefix("WARNINGS:") else { return nil }
        return Int(exitStatus.dropFirst("WARNINGS:".count).trimmingWhitespace())
    }
}

/// One line of `/nodes/{node}/tasks/{upid}/log`: `{"n": 1, "t": "text"}`.
public struct TaskLogLine: Sendable, Equatable {
    /// 1-based line number.
    public let number: Int
    public let text: String

    public init(number: Int, text: String) {
        self.number = number
        self.text = text
    }

    public init?(_ json: JSON) {
        guard let n = json["n"]?.int else { return nil }
        number = Int(n)
        text = json["t"]?.string ?? ""
    }

    /// The lines of one log answer read from `start`; a line without a number follows the one before it.
    public static func page(_ data: JSON, start: Int) -> [TaskLogLine] {
        var number = start
        return (data.array ?? []).map { entry in
            number = entry["n"]?.int.map { Int($0) } ?? number + 1
            return TaskLogLine(number: number, text: entry["t"]?.string ?? "")
        }
    }
}

/// How waiting for a task ended.
public enum TaskOutcome: Sendable, Equatable {
    /// Exit status `OK`, or `WARNINGS: n` (then `warnings` is n).
    case succeeded(warnings: Int)
    /// Any other exit status, with the last log lines for the error report.
    case failed(exitStatus: String, lastLines: [String])
    /// The caller stopped waiting; the task keeps running on the server.
    case stillRunning

    public var isSuccess: Bool { if case .succeeded = self { return true } else { return false } }

    /// How a stopped task ended.
    init(stopped status: TaskStatus, lastLines: [String]) {
        if status.succeeded {
            self = .succeeded(warnings: status.warningCount ?? 0)
        } else {
            self = .failed(exitStatus: status.exitStatus ?? "unknown", lastLines: lastLines)
        }
    }

    /// The exit status as PVE writes it (`OK`, `WARNINGS: n`, or the error text); nil while the task runs.
    public var exitStatus: String? {
        switch self {
        case .succeeded(let warnings): return warnings == 0 ? "OK" : "WARNINGS: \(warnings)"
        case .failed(let exitStatus, _): return exitStatus
        case .stillRunning: return nil
        }
    }

    /// The last log lines of a failed task; empty otherwise.
    public var lastLines: [String] {
        if case .failed(_, let lines) = self { return lines }
        return []
    }
}

/// `/nodes/{node}/status`, the fields the shell shows.
public struct NodeStatus: Sendable, Equatable {
    public let uptime: Int64?
    public let cpu: Double?
    public let cpus: Int?
    public let memoryUsed: Int64?
    public let memoryTotal: Int64?
    public let rootfsUsed: Int64?
    public let rootfsTotal: Int64?
    public let pveVersion: String?
    public let kernel: String?
    public let loadAverage: [Double]
    public let raw: JSON

    public init(_ json: JSON) {
        uptime = json["uptime"]?.int
        cpu = json["cpu"]?.double
        cpus = (json["cpuinfo"]?["cpus"]?.int).map { Int($0) }
        memoryUsed = json["memory"]?["used"]?.int
        memoryTotal = json["memory"]?["total"]?.int
        rootfsUsed = json["rootfs"]?["used"]?.int
        rootfsTotal = json["rootfs"]?["total"]?.int
        pveVersion = json["pveversion"]?.nonEmptyString
        kernel = json["kversion"]?.nonEmptyString ?? json["current-kernel"]?["release"]?.nonEmptyString
        loadAverage = json["loadavg"]?.array?.compactMap { $0.double } ?? []
        raw = json
    }
}
