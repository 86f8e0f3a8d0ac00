import Testing
import PVESchema
@testable import ProxmoxAPI

/// A task that reveals one batch of log lines per status read, then stops with `exit`; its log
/// answers like PVE's (an empty log is one "no content" line).
private final class ScriptedTask: TaskSource {
    struct Unexpected: Error {}
    private var batches: [[String]]
    private let exit: String
    private var revealed: [String] = []
    private(set) var statusReads = 0
    private(set) var logStarts: [Int] = []

    init(_ batches: [[String]], exit: String) {
        self.batches = batches
        self.exit = exit
    }

    func taskStatus(_ upid: UPID) throws -> TaskStatus {
        statusReads += 1
        if !batches.isEmpty { revealed += batches.removeFirst() }
        let json: JSON = batches.isEmpty ? ["status": "stopped", "exitstatus": .string(exit)] : ["status": "running"]
        guard let status = TaskStatus(json) else { throw Unexpected() }
        return status
    }

    func taskLog(_ upid: UPID, start: Int, limit: Int) throws -> [TaskLogLine] {
        logStarts.append(start)
        if revealed.isEmpty { return [TaskLogLine(number: 1, text: "no content")] }
        let end = min(revealed.count, start + limit)
        return start < end ? (start..<end).map { TaskLogLine(number: $0 + 1, text: revealed[$0]) } : []
    }
}

@Suite("Waiting for tasks")
struct TaskWaiterTests {
    static let upid = UPID("UPID:pve1:0000ABCD:00001234:6745F3A0:vzdump:100:root@pam:")

    @Test func streamsEachLineOnceAndEndsWithTheExitStatus() throws {
        let task = ScriptedTask([[], ["a"], ["b", "c"], []], exit: "WARNINGS: 2")
        var seen: [String] = []
        var running: [Bool] = []
        let outcome = try TaskWaiter(upid: try #require(Self.upid), pollInterval: .milliseconds(1))
            .wait(on: task, onPoll: { status, lines in running.append(status.isRunning); seen += lines.map(\.text) })
        #expect(outcome == .succeeded(warnings: 2) && outcome.exitStatus == "WARNINGS: 2")
        #expect(seen == ["a", "b", "c"], "the empty log's placeholder is not a line, and the first real line is not skipped")
        #expect(running == [true, true, true, false] && task.statusReads == 4)
    }

    @Test func aLongLogIsReadInPagesAndAFailureKeepsItsLastLines() throws {
        let log = (1...1200).map { "line \($0)" }
        let task = ScriptedTask([log], exit: "backup failed")
        let outcome = try TaskWaiter(upid: try #require(Self.upid), keptLogLines: 3).wait(on: task)
        #expect(outcome == .failed(exitStatus: "backup failed", lastLines: ["line 1198", "line 1199", "line 1200"]))
        #expect(task.logStarts == [0, 500, 1000])
    }

    @Test func stoppingTheWaitLeavesTheTaskAlone() throws {
        let task = ScriptedTask(Array(repeating: ["working"], count: 100), exit: "OK")
        var checks = 0
        let outcome = try TaskWaiter(upid: try #require(Self.upid), pollInterval: .milliseconds(250))
            .wait(on: task, shouldStopWaiting: { checks += 1; return checks > 2 })
        #expect(outcome == .stillRunning && outcome.exitStatus == nil)
        #expect(task.statusReads == 1, "a stop asked for during the pause ends the wait before the next poll")
    }

    @Test func logPagesNumberLinesWithoutANumber() {
        let page = TaskLogLine.page([["n": 4, "t": "a"], ["t": "b"], "odd"], start: 3)
        #expect(page == [TaskLogLine(number: 4, text: "a"), TaskLogLine(number: 5, text: "b"), TaskLogLine(number: 6, text: "")])
    }
}
