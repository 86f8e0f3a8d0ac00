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
    /// Parses a task id typed by the user; the error shows what one looks like.
    public static func parseArgument(_ text: String) throws -> UPID {
        guard let upid = UPID(text) else {
            throw ShellError("'\(text)' is not a task id; a UPID looks like UPID:pve1:0000A1B2:0012C3D4:6745A1B2:qmstart:101:root@pam: (TAB completes recent ones)")
        }
        return upid
    }
}

/// Any `TaskCalls` as the client library's `TaskSource`, so the shell waits for tasks and reads
/// their logs with the library's one loop (`TaskWaiter`, `TaskLogReader`). Errors say what was read.
struct TaskCallsSource: TaskSource {
    typealias Failure = any Error
    let client: TaskCalls

    func taskStatus(_ upid: UPID) throws -> TaskStatus {
        let data = try apiCall("reading status of task \(upid.raw)") { try client.get(upid.tasksPath + "/status") }
        guard let status = TaskStatus(data) else {
            throw ShellError("reading status of task \(upid.raw): unexpected answer \(data.serialized().prefix(80))")
        }
        return status
    }

    func taskLog(_ upid: UPID, start: Int, limit: Int) throws -> [TaskLogLine] {
        let data = try apiCall("reading log of task \(upid.raw)") {
            try client.get(upid.tasksPath + "/log", [("start", String(start)), ("limit", String(limit))])
        }
        return TaskLogLine.page(data, start: start)
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
