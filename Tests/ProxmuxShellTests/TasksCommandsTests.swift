import ProxmoxAPI
import PVESchema
import Testing
@testable import ProxmuxShell

private func taskRow(_ node: String, _ type: String, _ id: String, user: String = "root@pam", start: Int64, end: Int64? = nil, status: String? = nil) -> JSON {
    let upid = "UPID:\(node):00001234:00ABCDEF:\(String(start, radix: 16).uppercased()):\(type):\(id):\(user):"
    var row: JSON = ["upid": .string(upid), "node": .string(node), "type": .string(type), "id": .string(id), "user": .string(user),
                     "starttime": .int(start)]
    if let end { row = row.setting("endtime", to: .int(end)) }
    if let status { row = row.setting("status", to: .string(status)) }
    return row
}

private func listFixture() -> FakeTaskCluster {
    let fake = FakeTaskCluster()
    let now = TaskTime.now()
    fake.clusterTasks = [
        taskRow("pve1", "qmstart", "100", start: now - 7200, end: now - 7190, status: "OK"),
        taskRow("pve2", "vzdump", "101", user: "backup@pve!job", start: now - 600),
        taskRow("pve1", "qmstop", "102", start: now - 400, end: now - 390, status: "VM 102 not running"),
        taskRow("pve2", "vzdump", "", start: now - 120, end: now - 60, status: "WARNINGS: 2"),
        taskRow("pve1", "qmcreate", "103", start: now - 30),
    ]
    return fake
}

private func run(_ flags: [String: String], _ fake: FakeTaskCluster) throws -> [JSON] {
    let env = TaskEnvironment(client: fake, console: .capturing(), tasks: TaskCenter(), settings: ShellSettings())
    return tableRows(try TaskCommands.runList(invocation(TaskCommands.list, [], flags), env))
}

struct ListCase: Sendable, CustomStringConvertible {
    let flags: [String: String]
    /// Expected `type id` of the rows, in order.
    let expected: [String]
    var description: String { flags.map { "--\($0.key) \($0.value)" }.sorted().joined(separator: " ") }
}

@Test(arguments: [
    ListCase(flags: [:], expected: ["qmcreate 103", "vzdump 101", "vzdump ", "qmstop 102", "qmstart 100"]),
    ListCase(flags: ["status": "running"], expected: ["qmcreate 103", "vzdump 101"]),
    ListCase(flags: ["status": "ok"], expected: ["vzdump ", "qmstart 100"]),
    ListCase(flags: ["status": "failed"], expected: ["qmstop 102"]),
    ListCase(flags: ["node": "pve2"], expected: ["vzdump 101", "vzdump "]),
    ListCase(flags: ["type": "vzdump"], expected: ["vzdump 101", "vzdump "]),
    ListCase(flags: ["user": "backup@pve"], expected: ["vzdump 101"]),
    ListCase(flags: ["guest": "102"], expected: ["qmstop 102"]),
    ListCase(flags: ["since": "1h"], expected: ["qmcreate 103", "vzdump 101", "vzdump ", "qmstop 102"]),
    ListCase(flags: ["since": "5m"], expected: ["qmcreate 103", "vzdump "]),
    ListCase(flags: ["limit": "2"], expected: ["qmcreate 103", "vzdump 101"]),
    ListCase(flags: ["node": "pve1", "status": "running"], expected: ["qmcreate 103"]),
])
func tasksFiltersAndPutsRunningFirst(_ c: ListCase) throws {
    let rows = try run(c.flags, listFixture())
    #expect(rows.map { "\($0["type"]?.string ?? "") \($0["id"]?.string ?? "")" } == c.expected)
}

@Test func tasksRowsCarryRawValuesForJSON() throws {
    let rows = try run(["status": "failed"], listFixture())
    let row = try #require(rows.first)
    #expect(row["status"] == "VM 102 not running")
    #expect(row["duration"] == 10)
    #expect(row["starttime"]?.int != nil)
    #expect(row["upid"]?.string?.hasPrefix("UPID:pve1:") == true)
}

@Test(arguments: [["status": "done"], ["since": "yesterday"], ["limit": "0"], ["since": "2026-13-01"]])
func tasksRejectsBadFilterValues(_ flags: [String: String]) {
    #expect(throws: ShellError.self) { try run(flags, listFixture()) }
}

@Test func sinceAcceptsSpansAndDates() throws {
    let now: Int64 = 1_764_150_000
    #expect(try TaskTime.parseSince("30m", now: now) == now - 1800)
    #expect(try TaskTime.parseSince("2d", now: now) == now - 172_800)
    #expect(try TaskTime.parseSince("1970-01-02T00:00:00Z", now: now) == 86400)
    #expect(try TaskTime.parseSince("1970-01-01T01:30Z", now: now) == 5400)
}

@Test func taskShowGivesStatusDurationAndProgress() throws {
    let fake = FakeTaskCluster()
    let upid = fake.addTask(type: "vzdump", id: "100", batches: [["INFO: starting"], ["INFO:  42% (1.3 GiB of 3.0 GiB) in 5s, read: 1.0 MiB/s, write: 1.0 MiB/s"]], exit: "OK")
    let ref = try #require(UPID(upid))
    _ = try fake.request(.get, ref.tasksPath + "/status", [])  // reveal the first batch
    let env = TaskEnvironment(client: fake, console: .capturing(), tasks: TaskCenter(), settings: ShellSettings())
    guard case .record(let record) = try TaskCommands.runShow(invocation(TaskCommands.show, [upid]), env) else {
        Issue.record("expected a record"); return
    }
    #expect(record["status"] == "running")
    #expect(record["type"] == "vzdump")
    #expect(record["progress"] == "42% (1.3 GiB of 3.0 GiB)")
    #expect(record["duration"]?.string?.hasSuffix("so far") == true)
}

@Test func taskLogFollowPrintsEveryLineUntilTheEnd() throws {
    let fake = FakeTaskCluster()
    let upid = fake.addTask(type: "vzdump", id: "100", batches: [["one"], ["two", "three"], [], ["TASK OK"]], exit: "OK")
    let console = Console.capturing()
    let env = TaskEnvironment(client: fake, console: console, tasks: TaskCenter(), settings: ShellSettings(), pollInterval: 0.001)
    _ = try TaskCommands.runLog(invocation(TaskCommands.log, [upid], ["follow": "1"]), env)
    #expect(console.capturedOutput.out == "one\ntwo\nthree\nTASK OK\n")
}

@Test func taskStopSendsDeleteToTheTasksNode() throws {
    let fake = FakeTaskCluster()
    let upid = fake.addTask(node: "pve2", type: "vzdump", id: "101", batches: [["INFO: starting"], ["INFO: 10%"]], exit: "OK")
    let console = Console.capturing()
    let env = TaskEnvironment(client: fake, console: console, tasks: TaskCenter(), settings: ShellSettings())
    _ = try TaskCommands.runStop(invocation(TaskCommands.stop, [upid]), env)
    #expect(fake.mutations.map { "\($0.method) \($0.path)" } == ["DELETE /nodes/pve2/tasks/\(upid)"])
    #expect(console.capturedOutput.out.contains("stopping task vzdump 101 on pve2"))
    #expect(TaskCommands.stop.confirmation == .always)
}

/// PVE takes the stop of a task that has ended and does nothing; proxmux says so and sends nothing.
@Test func stoppingAnEndedTaskSaysSoAndSendsNothing() throws {
    let fake = FakeTaskCluster()
    let upid = fake.addTask(node: "pve2", type: "vzdump", id: "101", batches: [], exit: "WARNINGS: 1")
    let env = TaskEnvironment(client: fake, console: Console.capturing(), tasks: TaskCenter(), settings: ShellSettings())
    let output = try TaskCommands.runStop(invocation(TaskCommands.stop, [upid]), env)
    #expect(messageText(output) == "task vzdump 101 on pve2 had already ended (WARNINGS: 1); nothing to stop")
    #expect(fake.mutations.isEmpty)
}

@Test func upidCompletionShowsTypeGuestAndStartTime() throws {
    let fake = listFixture()
    let all = TaskCompletion.candidates(prefix: "UPID:pve1", client: fake)
    #expect(all.count == 3)
    let first = try #require(all.first)
    #expect(first.value.contains(":qmcreate:103:"))
    #expect(first.detail?.hasPrefix("qmcreate 103, ") == true)
    #expect(first.detail?.hasSuffix(", running") == true)
    #expect(TaskCompletion.candidates(prefix: "UPID:pve9", client: fake).isEmpty)
}

@Test func taskShowOfAFailedTaskGivesItsErrorAndDuration() throws {
    let fake = FakeTaskCluster()
    let upid = fake.addTask(type: "qmstart", id: "100", batches: [["starting"], ["TASK ERROR: no space left"]], exit: "no space left")
    let ref = try #require(UPID(upid))
    for _ in 0..<3 { _ = try fake.request(.get, ref.tasksPath + "/status", []) }
    let env = TaskEnvironment(client: fake, console: .capturing(), tasks: TaskCenter(), settings: ShellSettings())
    guard case .record(let record) = try TaskCommands.runShow(invocation(TaskCommands.show, [upid]), env) else {
        Issue.record("expected a record"); return
    }
    #expect(record["status"] == "stopped")
    #expect(record["exitstatus"] == "no space left")
    #expect(record["result"] == "failed")
    #expect(record["loglines"] == 2)
}

@Test func taskLogWithoutFollowPrintsWhatIsThereAndReturns() throws {
    let fake = FakeTaskCluster()
    let upid = fake.addTask(type: "vzdump", id: "100", batches: [["one", "two"], ["three"]], exit: "OK")
    let ref = try #require(UPID(upid))
    _ = try fake.request(.get, ref.tasksPath + "/status", [])
    let console = Console.capturing()
    let env = TaskEnvironment(client: fake, console: console, tasks: TaskCenter(), settings: ShellSettings())
    _ = try TaskCommands.runLog(invocation(TaskCommands.log, [upid]), env)
    #expect(console.capturedOutput.out == "one\ntwo\n")
}
