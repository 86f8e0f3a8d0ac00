#if canImport(Glibc)
import Glibc
#endif
import ProxmoxAPI
import PVESchema
import PVESim
import Testing
@testable import ProxmuxShell

@Test func failedTaskIsShownWithItsLogLines() throws {
    let shell = try TaskSimShell()
    // The simulator fails the creation of a VM named "broken" after writing part of its log.
    let message = try #require(shell.failure("create vm --node pve1 --name broken --disk-size 8"))
    let lines = message.split(separator: "\n").map(String.init)
    #expect(lines.first == "create vm 105 (broken) failed: unable to create VM 105 - command 'qemu-img create' failed: exit code 1")
    #expect(lines.dropFirst().first == "task log (last lines):")
    #expect(lines.count >= 4, "the log lines before the error are shown: \(message)")
    #expect(lines.last?.hasPrefix("full log: task log UPID:pve1:") == true)
}

@Test func waitReportsAFailedBackgroundTask() throws {
    let shell = try TaskSimShell()
    // VM 110 "broken": its start task fails.
    let started = try shell.run("start 110 --no-wait")
    let upid = try #require(started.split(separator: " ").first { $0.hasPrefix("UPID:") }.map { String($0).trimmingBlanks() })
    #expect(shell.failure("wait \(upid)") == "a task failed: start vm 110 (broken) on pve3: start failed: QEMU exited with code 1")
    let report = shell.console.capturedOutput.out
    #expect(report.contains("start vm 110 (broken) on pve3 failed: start failed: QEMU exited with code 1\n"))
    #expect(report.contains("full log: task log \(upid)"))
    #expect(shell.dispatcher.promptSegments().runningTasks == 0, "waited-for tasks are no longer background tasks")
}

@Test func noWaitThenNoticeBeforeALaterPromptAndRunningCount() throws {
    let shell = try TaskSimShell(taskSeconds: 0.4)
    let out = try shell.run("create vm --node pve2 --name bg1 --no-wait")
    #expect(out.contains("UPID:pve2:"))
    #expect(shell.dispatcher.promptSegments().runningTasks == 1)
    usleep(700_000)
    let segments = shell.dispatcher.promptSegments()
    #expect(segments.runningTasks == 0)
    #expect(shell.console.capturedOutput.out.contains("task OK: create vm 105 (bg1) (UPID:pve2:"))
}

@Test func tasksListFiltersAgainstTheSimulator() throws {
    let shell = try TaskSimShell(taskSeconds: 5)
    try shell.run("create vm --node pve1 --name t1 --no-wait")
    let running = try shell.run("tasks --status running -o json")
    let rows = try #require(try JSON.parse(running).array)
    #expect(rows.contains { $0["type"] == "qmcreate" && $0["id"] == "105" })
    #expect(rows.allSatisfy { $0["status"] == "running" })
    let pve2 = try #require(try JSON.parse(try shell.run("tasks --node pve2 -o json")).array)
    #expect(pve2.allSatisfy { $0["node"] == "pve2" })
    // A node that does not exist is named as the reason, not shown as an empty list.
    #expect(shell.failure("tasks --node pve9") == "no node 'pve9' (nodes: pve1, pve2, pve3)")
    let guest = try #require(try JSON.parse(try shell.run("tasks --guest 105 -o json")).array)
    #expect(guest.count == 1)
    let ok = try #require(try JSON.parse(try shell.run("tasks --status ok --since 1h -o json")).array)
    #expect(ok.allSatisfy { $0["status"] == "OK" || ($0["status"]?.string?.hasPrefix("WARNINGS") ?? false) })
}

@Test func taskLogFollowPrintsUntilTheTaskEnds() throws {
    let shell = try TaskSimShell(taskSeconds: 0.5)
    let started = try shell.run("create vm --node pve1 --name follow1 --no-wait")
    let upid = try #require(started.split(separator: "\n").first { $0.hasPrefix("UPID:") }.map(String.init))
    let log = try shell.run("task log \(upid) --follow")
    #expect(log.contains("TASK OK"), "\(log)")
    let show = try shell.run("task show \(upid) -o json")
    let record = try JSON.parse(show)
    #expect(record["status"] == "stopped")
    #expect(record["exitstatus"] == "OK")
    // The status answer has no end time; it comes from the node's task list.
    #expect(["0s", "1s", "2s"].contains(record["duration"]?.string ?? "none"), "\(show)")
}

/// A raw write that starts a task prints the task's id as text (as pvesh does) and is followed
/// like a --no-wait one: `wait` waits for it and reports its end, and it is no longer running.
@Test func aRawWriteThatStartsATaskIsFollowed() throws {
    let shell = try TaskSimShell(taskSeconds: 0.3)
    let out = try shell.run("api create /nodes/pve1/qemu/100/snapshot snapname=pre-upgrade")
    #expect(out.hasPrefix("UPID:pve1:") && out.contains(":qmsnapshot:100:") && !out.contains("\""))
    #expect(shell.dispatcher.promptSegments().runningTasks == 1)
    try shell.run("wait")
    #expect(shell.console.capturedOutput.out.contains("api create /nodes/pve1/qemu/100/snapshot: OK\n"))
    #expect(shell.dispatcher.promptSegments().runningTasks == 0)
    #expect(try shell.run("api get /nodes/pve1/qemu/100/snapshot").contains("pre-upgrade"))
    // Under -o json the answer stays a JSON string; a write that starts no task is not followed.
    #expect(try shell.run("api create /nodes/pve1/qemu/100/snapshot snapname=second -o json").hasPrefix("\"UPID:pve1:"))
    try shell.run("wait")
    try shell.run("api create /pools poolid=qa")
    #expect(shell.dispatcher.promptSegments().runningTasks == 0)
}
