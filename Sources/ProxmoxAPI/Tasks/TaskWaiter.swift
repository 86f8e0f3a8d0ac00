import PVESchema

/// Where a task's status and log are read: `PVEClient`, or anything that answers like PVE (the
/// shell reads through its API backends, tests through in-memory clusters).
public protocol TaskSource {
    associatedtype Failure: Error
    /// `/nodes/{node}/tasks/{upid}/status` on the node named in the UPID.
    func taskStatus(_ upid: UPID) throws(Failure) -> TaskStatus
    /// `/nodes/{node}/tasks/{upid}/log`: lines from `start` (0-based), at most `limit`.
    func taskLog(_ upid: UPID, start: Int, limit: Int) throws(Failure) -> [TaskLogLine]
}

/// Reads a task log in order, a page at a time, remembering where it stopped and its last lines.
public struct TaskLogReader {
    /// The task whose log is read.
    public let upid: UPID
    /// How many of the last lines `tail` keeps.
    public let keptLines: Int
    /// Lines read so far; the next read starts after them.
    public private(set) var linesRead = 0
    /// The last `keptLines` lines read (for a failure report).
    public private(set) var tail: [String] = []
    /// Upper bound per request, so a huge log is read in pieces.
    static let pageSize = 500

    public init(upid: UPID, keptLines: Int = 10) {
        self.upid = upid
        self.keptLines = keptLines
    }

    /// The lines added since the last call, in order, each once.
    public mutating func readNew<Source: TaskSource>(from source: Source) throws(Source.Failure) -> [TaskLogLine] {
        var fresh: [TaskLogLine] = []
        while true {
            let page = try source.taskLog(upid, start: linesRead, limit: Self.pageSize)
            // PVE answers an empty log with a single placeholder line.
            if linesRead == 0, page.count == 1, page[0].text == "no content" { return fresh }
            let before = linesRead
            // Only lines past what was read count: a server may repeat or pad its answer.
            for line in page where line.number > linesRead {
                fresh.append(line)
                tail.append(line.text)
                linesRead = line.number
            }
            if tail.count > keptLines { tail.removeFirst(tail.count - keptLines) }
            if page.count < Self.pageSize || linesRead == before { return fresh }
        }
    }
}

/// The one loop that waits for a task (`PVEClient.waitForTask`, the shell's task watcher and
/// `task log --follow` all run it): read the status, then the new log lines, hand both to the
/// caller, pause, repeat until the task has stopped or the caller stops waiting.
public struct TaskWaiter {
    /// The task waited for.
    public let upid: UPID
    /// Pause between polls.
    public let pollInterval: Duration
    /// Log lines kept for a failed task's `lastLines`.
    public let keptLogLines: Int

    public init(upid: UPID, pollInterval: Duration = .milliseconds(500), keptLogLines: Int = 10) {
        self.upid = upid
        self.pollInterval = pollInterval
        self.keptLogLines = keptLogLines
    }

    /// Polls until the task stops.
    ///
    /// - Parameters:
    ///   - onPoll: after each poll, the status and the log lines new since the previous one.
    ///   - shouldStopWaiting: checked before each poll and at least every 100 ms of a pause; when
    ///     it returns true the wait ends with `.stillRunning`. The task itself is never stopped.
    /// - Returns: success for exit status `OK` or `WARNINGS: n`; otherwise the exit status and up
    ///   to `keptLogLines` last log lines.
    public func wait<Source: TaskSource>(on source: Source, onPoll: (TaskStatus, [TaskLogLine]) -> Void = { _, _ in },
                                         shouldStopWaiting: () -> Bool = { false }) throws(Source.Failure) -> TaskOutcome {
        var reader = TaskLogReader(upid: upid, keptLines: keptLogLines)
        while true {
            if shouldStopWaiting() { return .stillRunning }
            let status = try source.taskStatus(upid)
            // The log after the status: once the task is stopped, its log is complete.
            let lines = try reader.readNew(from: source)
            onPoll(status, lines)
            if !status.isRunning { return TaskOutcome(stopped: status, lastLines: reader.tail) }
            var left = pollInterval
            while left > .zero, !shouldStopWaiting() {
                let slice = min(left, .milliseconds(100))
                blockingSleep(slice)
                left -= slice
            }
        }
    }
}

extension PVEClient: TaskSource {
    public typealias Failure = APIError

    /// `/nodes/{node}/tasks/{upid}/status` on the node named in the UPID.
    public func taskStatus(_ upid: UPID) throws(APIError) -> TaskStatus {
        let data = try get(upid.tasksPath + "/status")
        guard let status = TaskStatus(data) else {
            throw APIError(kind: .decoding, message: "task status of \(upid): unexpected answer \(data.serialized().prefix(80))")
        }
        return status
    }

    /// Log lines from `start` (0-based), at most `limit`.
    public func taskLog(_ upid: UPID, start: Int = 0, limit: Int = 500) throws(APIError) -> [TaskLogLine] {
        TaskLogLine.page(try get(upid.tasksPath + "/log", query: [("start", String(start)), ("limit", String(limit))]), start: start)
    }

    /// Waits for a task, streaming its new log lines to `onLog` (see `TaskWaiter.wait`).
    ///
    /// `shouldStopWaiting` is checked between polls and, when it returns true, the wait ends with
    /// `.stillRunning` — the task itself is never stopped. Success is exit status `OK` or
    /// `WARNINGS: n`; failure carries the exit status and up to the last 10 log lines.
    public func waitForTask(_ upid: UPID, pollInterval: Duration = .milliseconds(500),
                            onLog: (TaskLogLine) -> Void = { _ in },
                            shouldStopWaiting: () -> Bool = { false }) throws(APIError) -> TaskOutcome {
        try TaskWaiter(upid: upid, pollInterval: pollInterval)
            .wait(on: self, onPoll: { _, lines in lines.forEach(onLog) }, shouldStopWaiting: shouldStopWaiting)
    }
}
