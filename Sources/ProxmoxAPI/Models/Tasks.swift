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
        return exitStatus == "OK" || warningCount != nil
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
