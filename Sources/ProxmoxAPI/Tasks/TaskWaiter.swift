import PVESchema

extension PVEClient {
    /// `/nodes/{node}/tasks/{upid}/status` on the node named in the UPID.
    public func taskStatus(_ upid: UPID) throws(APIError) -> TaskStatus {
        let data = try get(taskPath(upid) + "/status")
        guard let status = TaskStatus(data) else {
            throw APIError(kind: .decoding, message: "task status of \(upid): unexpected answer \(data.serialized().prefix(80))")
        }
        return status
    }

    /// Log lines from `start` (0-based), at most `limit`.
    public func taskLog(_ upid: UPID, start: Int = 0, limit: Int = 500) throws(APIError) -> [TaskLogLine] {
        let data = try get(taskPath(upid) + "/log", query: [("start", String(start)), ("limit", String(limit))])
        return (data.array ?? []).compactMap(TaskLogLine.init)
    }

    /// Waits for a task, streaming its new log lines to `onLog`.
    ///
    /// Polls the status every `pollInterval`; `shouldStopWaiting` is checked between polls and,
    /// when it returns true, the wait ends with `.stillRunning` — the task itself is never stopped.
    /// Success is exit status `OK` or `WARNINGS: n`; failure carries the exit status and up to the
    /// last 10 log lines.
    public func waitForTask(_ upid: UPID, pollInterval: Duration = .milliseconds(500),
                            onLog: (TaskLogLine) -> Void = { _ in },
                            shouldStopWaiting: () -> Bool = { false }) throws(APIError) -> TaskOutcome {
        var nextLine = 0
        var tail: [String] = []
        func drainLog() throws(APIError) {
            while true {
                let lines = try taskLog(upid, start: nextLine, limit: 500)
                // Only lines past what we have shown count: a server may repeat or pad its answer.
                let fresh = lines.filter { $0.number > nextLine }
                for line in fresh {
                    onLog(line)
                    tail.append(line.text)
                    if tail.count > 10 { tail.removeFirst(tail.count - 10) }
                }
                guard let last = fresh.last else { return }
                nextLine = last.number
                if lines.count < 500 { return }
            }
        }
        while true {
            let status = try taskStatus(upid)
            try drainLog()
            if !status.isRunning {
                if status.succeeded { return .succeeded(warnings: status.warningCount ?? 0) }
                return .failed(exitStatus: status.exitStatus ?? "unknown", lastLines: tail)
            }
            if shouldStopWaiting() { return .stillRunning }
            blockingSleep(pollInterval)
            if shouldStopWaiting() { return .stillRunning }
        }
    }

    private func taskPath(_ upid: UPID) -> String { "/nodes/\(upid.node)/tasks/\(upid.raw)" }
}
