import PVESchema

/// The API calls the task monitor, the task verbs and the wizards make. Written as a protocol so
/// this code depends on four methods rather than on the whole client; `PVEClient` conforms.
public protocol TaskCalls: AnyObject {
    /// `GET path?query`; returns the `data` member.
    func get(_ path: String, query: [String: String]) throws -> JSON
    /// `POST path` with a form body; returns the `data` member (a UPID for task-starting calls).
    func post(_ path: String, form: [String: String]) throws -> JSON
    /// `DELETE path?query`; returns the `data` member.
    func delete(_ path: String, query: [String: String]) throws -> JSON
}

/// A UPID split into its parts: `UPID:NODE:PID:PSTART:STARTTIME:TYPE:ID:USER:`
/// (PID, PSTART and STARTTIME in hex). Only what the shell shows and routes by is kept.
public struct TaskRef: Sendable, Equatable {
    public let upid: String
    /// The node that runs the task; its status and log are read from that node.
    public let node: String
    public let type: String
    /// Usually the guest id; empty for node-level tasks.
    public let id: String
    public let user: String
    /// Unix time the task started.
    public let startTime: Int64

    /// Parses a UPID; nil when the text is not one.
    public init?(_ upid: String) {
        let parts = upid.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 8, parts[0] == "UPID", !parts[1].isEmpty,
            let start = Int64(parts[4], radix: 16)
        else { return nil }
        self.upid = upid
        node = parts[1]
        type = parts[5]
        id = parts[6]
        user = parts[7]
        startTime = start
    }

    /// Path of the task below `/nodes`, e.g. `/nodes/pve1/tasks/UPID:...`.
    public var path: String { "/nodes/\(node)/tasks/\(upid)" }

    /// Like `TaskRef(_:)` but throws a message naming what a UPID looks like.
    public static func parse(_ text: String) throws -> TaskRef {
        guard let ref = TaskRef(text) else {
            throw ShellError("'\(text)' is not a task id; a UPID looks like UPID:pve1:0000A1B2:0012C3D4:6745A1B2:qmstart:101:root@pam: (TAB completes recent ones)")
        }
        return ref
    }
}

/// How a finished task ended. PVE counts `OK` and `WARNINGS: n` as success; anything else is the error text.
public enum TaskExitStatus {
    public static func isSuccess(_ exitStatus: String) -> Bool {
        exitStatus == "OK" || exitStatus.hasPrefix("WARNINGS:")
    }
}

/// Runs a client call and turns any client error into a `ShellError` saying what was attempted.
@discardableResult
func apiCall<T>(_ what: String, _ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as ShellError {
        throw error
    } catch {
        throw ShellError("\(what): \(error)")
    }
}
