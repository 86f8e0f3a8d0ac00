import ProxmoxAPI
import PVESchema

/// The API calls the task monitor, the task verbs and the wizards make: the same shape as the
/// command layer's `APIBackend.request`, so its backends (the real client, the dry-run recorder)
/// serve here too.
public protocol TaskCalls: AnyObject {
    /// One request; returns the `data` member (a UPID for task-starting calls).
    func request(_ method: HTTPMethod, _ path: String, _ params: [(String, String)]) throws -> JSON
}

extension TaskCalls {
    func get(_ path: String, _ params: [(String, String)] = []) throws -> JSON {
        try request(.get, path, params)
    }
}

extension UPID {
    /// The task's resource on the node that runs it, e.g. `/nodes/pve1/tasks/UPID:...`.
    public var tasksPath: String { "/nodes/\(node)/tasks/\(raw)" }

    /// Parses a task id typed by the user; the error shows what one looks like.
    public static func parseArgument(_ text: String) throws -> UPID {
        guard let upid = UPID(text) else {
            throw ShellError("'\(text)' is not a task id; a UPID looks like UPID:pve1:0000A1B2:0012C3D4:6745A1B2:qmstart:101:root@pam: (TAB completes recent ones)")
        }
        return upid
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
