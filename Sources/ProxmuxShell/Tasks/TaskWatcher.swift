import ProxmoxAPI
import PVESchema

/// Whether a task-starting verb waits for its task.
public enum TaskWaitMode: Sendable, Equatable {
    /// Wait with progress (default, also in scripts).
    case wait
    /// `--no-wait`: return the UPID at once; the end is reported before a later prompt.
    case background
}

/// How a finished task ended.
public struct TaskEnd: Sendable, Equatable {
    public let ref: UPID
    public let exitStatus: String
    public var succeeded: Bool { TaskStatus.isSuccess(exitStatus: exitStatus) }
    /// The last lines of the task log (up to `TaskWatcher.keptLogLines`) when it failed.
    public let logTail: [String]
}

/// What `TaskWatcher.watch` came back with.
public enum TaskWatchResult: Sendable, Equatable {
    case finished(TaskEnd)
    /// Ctrl-C: the task keeps running; it was registered as a background task.
    case stoppedWaiting(UPID)
    /// `--no-wait`: registered as a background task.
    case background(UPID)
}

/// The one component every task-starting verb hands its UPID to. It waits for the task while
/// showing progress read from the task log, or registers it in the background. Ctrl-C (the
/// session's interrupt flag) stops the waiting, never the task, and says how to follow it.
public final class TaskWatcher {
    /// Log lines kept for the failure report.
    public static let keptLogLines = 12

    private let client: TaskCalls
    private let console: Console
    /// Where progress and the "stopped waiting" line go (`OutputFormat.humanStream`).
    private let stream: Console.Stream
    private let center: TaskCenter
    private let isInterrupted: () -> Bool
    private let pollInterval: Double
    private let terminal: Bool?

    /// - Parameters:
    ///   - isInterrupted: the session's Ctrl-C flag, polled while waiting.
    ///   - pollInterval: seconds between status/log requests.
    ///   - stream: where progress goes: stdout for text output, stderr under `-o json|yaml`.
    ///   - terminal: override for the progress display (tests); defaults to the console's.
    public init(client: TaskCalls, console: Console, center: TaskCenter, isInterrupted: @escaping () -> Bool,
                pollInterval: Double = 1.0, stream: Console.Stream = .out, terminal: Bool? = nil) {
        self.client = client
        self.console = console
        self.stream = stream
        self.center = center
        self.isInterrupted = isInterrupted
        self.pollInterval = pollInterval
        self.terminal = terminal
    }

    /// Follows the task `upid` started by the verb described by `label`.
    public func watch(_ upid: String, label: String, mode: TaskWaitMode) throws -> TaskWatchResult {
        let ref = try UPID.parseArgument(upid)
        if mode == .background {
            center.register(ref, label: label)
            return .background(ref)
        }
        let display = ProgressDisplay(console: console, label: label, stream: stream, terminal: terminal)
        let waiter = TaskWaiter(upid: ref, pollInterval: .seconds(pollInterval), keptLogLines: Self.keptLogLines)
        let outcome: TaskOutcome
        do {
            outcome = try waiter.wait(on: TaskCallsSource(client: client), onPoll: { status, lines in
                for line in lines {
                    if let sample = ProgressParser.parse(line.text) { display.update(sample) }
                }
                if status.isRunning { display.tick() }
            }, shouldStopWaiting: isInterrupted)
        } catch where isInterrupted() {
            // Ctrl-C cut a status or log read short: the same as stopping between polls.
            outcome = .stillRunning
        }
        display.finish()
        guard let exitStatus = outcome.exitStatus else {
            center.register(ref, label: label)
            console.line("stopped waiting; the task keeps running. Follow it with: task log \(ref.raw) --follow", to: stream)
            return .stoppedWaiting(ref)
        }
        center.forget(ref.raw)
        return .finished(TaskEnd(ref: ref, exitStatus: exitStatus, logTail: outcome.lastLines))
    }

    /// `LABEL failed: EXIT`, the last lines of the task log, and how to read all of it.
    public static func failureReport(_ end: TaskEnd, label: String) -> String {
        var message = "\(label) failed: \(end.exitStatus)"
        let lines = end.logTail.filter { !$0.isEmpty && $0 != "TASK ERROR: \(end.exitStatus)" }
        if !lines.isEmpty {
            message += "\ntask log (last lines):\n" + lines.map { "  " + $0 }.joined(separator: "\n")
        }
        return message + "\nfull log: task log \(end.ref.raw)"
    }

    /// What a verb returns after `watch`: a line on success or in the background; a thrown error
    /// with the end of the log when the task failed (so scripts stop there).
    public static func output(for result: TaskWatchResult, label: String) throws -> CommandOutput {
        switch result {
        case .finished(let end) where end.succeeded:
            return .message("\(label): \(end.exitStatus)")
        case .finished(let end):
            throw ShellError(failureReport(end, label: label))
        case .stoppedWaiting(let ref):
            return .message(ref.raw)
        case .background(let ref):
            return .message(ref.raw)
        }
    }
}
