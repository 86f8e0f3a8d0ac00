import ProxmoxAPI
/// This session's tasks that run in the background (`--no-wait`, or waiting stopped with Ctrl-C).
/// The main loop asks it for `pendingNotices(using:)` before each prompt and shows `runningCount`
/// in the prompt. One instance per session.
public final class TaskCenter {
    public struct Entry: Sendable, Equatable {
        public let ref: UPID
        /// What started it, in the user's words (`create vm 105`, `start web01`).
        public let label: String
    }

    public private(set) var background: [Entry] = []

    public init() {}

    /// Tasks of this session still running as of the last check, for `PromptSegments.runningTasks`.
    public var runningCount: Int { background.count }

    /// Remembers a task so its end is reported before a later prompt.
    public func register(_ ref: UPID, label: String) {
        guard !background.contains(where: { $0.ref.raw == ref.raw }) else { return }
        background.append(Entry(ref: ref, label: label))
    }

    /// Forgets a task (its end was reported some other way, e.g. by `wait`).
    public func forget(_ upid: String) {
        background.removeAll { $0.ref.raw == upid }
    }

    /// Checks each background task once (one status request each). Finished ones are forgotten and
    /// produce one line each: `task OK: create vm 105 (UPID...)` or
    /// `task failed: create vm 105: <error line> (UPID...)`. A task whose status cannot be read
    /// right now stays and is checked again next time.
    public func pendingNotices(using client: TaskCalls) -> [String] {
        var notices: [String] = []
        for entry in background {
            guard let status = try? client.get(entry.ref.tasksPath + "/status"),
                status["status"]?.string == "stopped"
            else { continue }
            let exit = status["exitstatus"]?.string ?? "unknown"
            if TaskStatus.isSuccess(exitStatus: exit) {
                notices.append("task \(exit): \(entry.label) (\(entry.ref.raw))")
            } else {
                notices.append("task failed: \(entry.label): \(exit) (\(entry.ref.raw))")
            }
            forget(entry.ref.raw)
        }
        return notices
    }
}
