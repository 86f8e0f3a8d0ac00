#if canImport(Glibc)
import Glibc
#endif
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
    public var succeeded: Bool { TaskExitStatus.isSuccess(exitStatus) }
    /// The last lines of the task log (up to `TaskWatcher.keptLogLines`), shown when it failed.
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
        var reader = TaskLogReader(ref: ref)
        func stopWaiting() -> TaskWatchResult {
            display.finish()
            center.register(ref, label: label)
            console.line("stopped waiting; the task keeps running. Follow it with: task log \(ref.raw) --follow", to: stream)
            return .stoppedWaiting(ref)
        }
        while true {
            if isInterrupted() { return stopWaiting() }
            let status: JSON
            do {
                status = try apiCall("reading status of task \(ref.raw)") {
                    try client.get(ref.tasksPath + "/status")
                }
                let finished = status["status"]?.string == "stopped"
                // Read the log after the status: once the task is stopped its log is complete.
                for line in try reader.readNew(using: client) {
                    if let sample = ProgressParser.parse(line) { display.update(sample) }
                }
                if !finished {
                    display.tick()
                    sleepChecking(pollInterval)
                    continue
                }
            } catch where isInterrupted() {
                // Ctrl-C cut a status or log read short: the same as stopping between polls.
                return stopWaiting()
            }
            display.finish()
            center.forget(ref.raw)
            return .finished(TaskEnd(ref: ref, exitStatus: status["exitstatus"]?.string ?? "unknown", logTail: reader.tail))
        }
    }

    /// Sleeps in short slices so Ctrl-C is noticed within a tenth of a second.
    private func sleepChecking(_ seconds: Double) {
        var left = seconds
        while left > 0 && !isInterrupted() {
            let slice = min(left, 0.1)
            usleepSeconds(slice)
            left -= slice
        }
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

/// Sleeps for a fraction of a second.
func usleepSeconds(_ seconds: Double) {
    guard seconds > 0 else { return }
    usleep(UInt32(seconds * 1_000_000))
}

/// Reads a task log incrementally (`start` = lines already read) and keeps its last lines.
struct TaskLogReader {
    let ref: UPID
    private(set) var linesRead = 0
    private(set) var tail: [String] = []
    /// Upper bound per request so a huge log is read in pieces.
    private let pageSize = 500

    init(ref: UPID) { self.ref = ref }

    /// New lines since the last call, in order.
    mutating func readNew(using client: TaskCalls) throws -> [String] {
        var result: [String] = []
        while true {
            let data = try apiCall("reading log of task \(ref.raw)") {
                try client.get(ref.tasksPath + "/log", [("start", String(linesRead)), ("limit", String(pageSize))])
            }
            let entries = data.array ?? []
            // An empty log is answered with a single placeholder line.
            if linesRead == 0, entries.count == 1, entries[0]["t"]?.string == "no content" { return result }
            for entry in entries {
                let number = entry["n"]?.int.map(Int.init) ?? (linesRead + 1)
                guard number > linesRead else { continue }
                let text = entry["t"]?.string ?? ""
                result.append(text)
                tail.append(text)
                linesRead = number
            }
            if tail.count > TaskWatcher.keptLogLines { tail.removeFirst(tail.count - TaskWatcher.keptLogLines) }
            if entries.count < pageSize { return result }
        }
    }
}
