import ProxmoxAPI
import PVESchema
import Testing
@testable import ProxmuxShell

private func environment(_ fake: FakeTaskCluster, console: Console = .capturing(), interrupted: @escaping () -> Bool = { false },
                         prompter: Prompter? = nil, context: String? = nil, center: TaskCenter = TaskCenter()) -> TaskEnvironment {
    TaskEnvironment(client: fake, console: console, tasks: center, settings: ShellSettings(), isInterrupted: interrupted,
                    prompter: prompter, contextNode: context, pollInterval: 0.001)
}

@Test func watchWaitsUntilTheTaskEndsAndShowsProgress() throws {
    let fake = FakeTaskCluster()
    let upid = fake.addBackupWithProgress()
    let console = Console.capturing()
    let env = environment(fake, console: console)
    let result = try env.watcher().watch(upid, label: "backup 100", mode: .wait)
    guard case .finished(let end) = result else { Issue.record("expected finished, got \(result)"); return }
    #expect(end.succeeded)
    #expect(console.capturedOutput.out.contains("backup 100: 50%  1.5 GiB of 3.0 GiB  300 MiB/s"))
    #expect(console.capturedOutput.out.contains("backup 100: 100%"))
    #expect(messageText(try TaskWatcher.output(for: result, label: "backup 100")) == "backup 100: OK")
}

@Test func warningsCountAsSuccess() throws {
    let fake = FakeTaskCluster()
    let upid = fake.addTask(type: "vzdump", id: "100", batches: [["WARN: something odd"]], exit: "WARNINGS: 1")
    let result = try environment(fake).watcher().watch(upid, label: "backup 100", mode: .wait)
    guard case .finished(let end) = result else { Issue.record("not finished"); return }
    #expect(end.succeeded)
}

@Test func failedTaskIsAnErrorWithItsLogLines() throws {
    let fake = FakeTaskCluster()
    let upid = fake.addTask(type: "qmstart", id: "100", batches: [
        ["starting VM 100"], ["kvm: -drive file=/dev/pve/vm-100-disk-0: Could not open: No such file", "TASK ERROR: start failed: QEMU exited with code 1"],
    ], exit: "start failed: QEMU exited with code 1")
    let result = try environment(fake).watcher().watch(upid, label: "start 100", mode: .wait)
    do {
        _ = try TaskWatcher.output(for: result, label: "start 100")
        Issue.record("a failed task must throw")
    } catch let error as ShellError {
        #expect(error.message.hasPrefix("start 100 failed: start failed: QEMU exited with code 1"))
        #expect(error.message.contains("  kvm: -drive file=/dev/pve/vm-100-disk-0: Could not open: No such file"))
        #expect(error.message.contains("full log: task log \(upid)"))
    }
}

@Test func ctrlCStopsWaitingNotTheTaskAndSaysHowToFollow() throws {
    let fake = FakeTaskCluster()
    let upid = fake.addTask(type: "vzdump", id: "100", batches: Array(repeating: ["still working"], count: 100), exit: "OK")
    let console = Console.capturing()
    let center = TaskCenter()
    var polls = 0
    let env = environment(fake, console: console, interrupted: { polls += 1; return polls > 5 }, center: center)
    let result = try env.watcher().watch(upid, label: "backup 100", mode: .wait)
    #expect(result == .stoppedWaiting(try #require(UPID(upid))))
    #expect(console.capturedOutput.out.contains("task log \(upid) --follow"))
    #expect(!fake.mutations.contains { $0.method == "DELETE" }, "the task is not stopped")
    #expect(center.runningCount == 1, "the task is now a background task of the session")
}

@Test func noWaitRegistersABackgroundTaskReportedBeforeALaterPrompt() throws {
    let fake = FakeTaskCluster()
    let ok = fake.addTask(type: "qmstart", id: "100", batches: [["starting"]], exit: "OK")
    let bad = fake.addTask(type: "qmstop", id: "101", batches: [["stopping"]], exit: "can't lock file '/var/lock/qemu-server/lock-101.conf' - got timeout")
    let center = TaskCenter()
    let env = environment(fake, center: center)
    #expect(try env.watcher().watch(ok, label: "start 100", mode: .background) == .background(try #require(UPID(ok))))
    _ = try env.watcher().watch(bad, label: "stop 101", mode: .background)
    #expect(center.runningCount == 2)
    #expect(fake.gets.isEmpty, "--no-wait returns at once without polling")
    // First prompt: both still running (one poll each reveals the first batch).
    #expect(center.pendingNotices(using: fake).isEmpty)
    #expect(center.runningCount == 2)
    let notices = center.pendingNotices(using: fake)
    #expect(notices == [
        "task OK: start 100 (\(ok))",
        "task failed: stop 101: can't lock file '/var/lock/qemu-server/lock-101.conf' - got timeout (\(bad))",
    ])
    #expect(center.runningCount == 0)
    #expect(center.pendingNotices(using: fake).isEmpty, "each end is reported once")
}

@Test func waitVerbWaitsForBackgroundTasksAndFailsWhenOneFailed() throws {
    let fake = FakeTaskCluster()
    let center = TaskCenter()
    let env = environment(fake, center: center)
    let a = fake.addTask(type: "qmstart", id: "100", batches: [["x"], ["y"]], exit: "OK")
    let b = fake.addTask(type: "qmstart", id: "102", batches: [["x"]], exit: "no such VM")
    _ = try env.watcher().watch(a, label: "start 100", mode: .background)
    _ = try env.watcher().watch(b, label: "start 102", mode: .background)
    #expect(throws: ShellError("a task failed: start 102: no such VM")) {
        try TaskCommands.runWait(invocation(TaskCommands.wait), env)
    }
    #expect(center.runningCount == 0)
    #expect(messageText(try TaskCommands.runWait(invocation(TaskCommands.wait), env)) == "no background tasks to wait for")
}

@Test(arguments: ["not-a-upid", "UPID:pve1:zz", ""])
func badUPIDsAreRejectedWithAnExample(_ text: String) {
    #expect(throws: ShellError.self) { try UPID.parseArgument(text) }
    #expect((try? UPID.parseArgument(text)) == nil)
}

@Test func parsesUPIDParts() throws {
    let ref = try #require(UPID("UPID:pve2:00001234:00ABCDEF:6745A1B2:vzdump:101:admin@pve!ci:"))
    #expect(ref.node == "pve2")
    #expect(ref.type == "vzdump")
    #expect(ref.id == "101")
    #expect(ref.user == "admin@pve!ci")
    #expect(ref.startTime == 0x6745A1B2)
    #expect(ref.tasksPath == "/nodes/pve2/tasks/UPID:pve2:00001234:00ABCDEF:6745A1B2:vzdump:101:admin@pve!ci:")
}
