import Testing
import ProxmoxAPI
import PVESchema
@testable import ProxmuxShell

@Suite struct LifecycleTests {
    @Test func startEchoesWaitsAndSummarises() throws {
        let shell = Shell()
        let out = try shell.run("start 102")
        #expect(out.contains("starting vm 102 (web02) on pve2"))
        #expect(out.contains("vm 102 (web02) on pve2: started"))
        #expect(shell.cluster.status(of: 102) == "running")
        #expect(shell.cluster.count(.post, "/nodes/pve2/qemu/102/status/start") == 1)
        // The task watcher polled the task on the node named in the UPID.
        #expect(shell.cluster.requests.contains { $0.1.hasPrefix("/nodes/pve2/tasks/UPID:pve2:") && $0.1.hasSuffix("/status") })
    }

    @Test func bulkRunsEveryTargetAndSkipsThoseAlreadyThere() throws {
        let shell = Shell(.large(40))
        let out = try shell.run("shutdown node:pve1 --timeout 30 --force-stop")
        let running = (0..<40).filter { $0 % 2 == 0 && $0 % 4 != 0 }.count
        #expect(out.split(separator: "\n").filter { $0.hasSuffix(": shut down") }.count == running)
        #expect(out.contains("already stopped, skipped"))
        #expect(shell.cluster.guests.filter { $0.node == "pve1" }.allSatisfy { $0.status == "stopped" })
        #expect(shell.cluster.guests.filter { $0.node == "pve2" }.contains { $0.status == "running" })
    }

    /// PVE refuses to start a template: the shell says so and sends nothing.
    @Test func templatesAreSkippedWithoutARequest() throws {
        let shell = Shell()
        shell.cluster.guests.append(.init(vmid: 9000, name: "web-tmpl", kind: "qemu", node: "pve1", status: "stopped", template: true))
        let out = try shell.run("start 9000")
        #expect(out.contains("vm 9000 (web-tmpl) on pve1: a template, skipped"), "\(out)")
        #expect(shell.cluster.count(.post, "/nodes/pve1/qemu/9000/status/start") == 0)
    }

    @Test func aFailedSingleTaskIsTheCommandsError() throws {
        let shell = Shell()
        shell.cluster.failing = [102]
        let message = try #require(shell.failure("start 102"))
        #expect(message.hasPrefix("vm 102 (web02) on pve2: start failed: command failed"), "\(message)")
    }

    @Test func oneFailureInABulkIsReportedAndTheRestStillRun() throws {
        let shell = Shell()
        shell.cluster.failing = [103]
        let message = try #require(shell.failure("stop 101,103 --yes"))
        #expect(message == "stop: 1 of 2 failed")
        #expect(shell.session.console.capturedOutput.out.contains("vm 103 (db01) on pve2: stop failed: command failed"))
        #expect(shell.cluster.status(of: 101) == "stopped")
    }

    @Test func destructiveVerbsRefuseWithoutYesWhenNotInteractive() throws {
        let shell = Shell()
        #expect(shell.failure("stop 101") == "refusing to stop vm 101 without --yes")
        #expect(shell.failure("stop tag:web") == "refusing to stop 2 guests without --yes")
        #expect(shell.cluster.mutatingRequests == 0)
        #expect(shell.cluster.status(of: 101) == "running")
        try shell.run("stop 101 --yes")
        #expect(shell.cluster.status(of: 101) == "stopped")
    }

    @Test func interactiveConfirmationAsksAndHonoursNo() throws {
        let shell = Shell(interactive: true)
        var asked: [String] = []
        shell.session.askYesNo = { asked.append($0); return false }
        #expect(shell.failure("stop 101") == "not confirmed; nothing was done")
        #expect(asked == ["Stop vm 101 (web01) on pve1?"])
        #expect(shell.cluster.mutatingRequests == 0)
        shell.session.askYesNo = { _ in true }
        try shell.run("stop 101")
        #expect(shell.cluster.status(of: 101) == "stopped")
    }

    @Test func dryRunPrintsRequestsAndSendsNothing() throws {
        let shell = Shell()
        let out = try shell.run("stop tag:web --dry-run")
        #expect(out.contains("dry run: POST /nodes/pve1/qemu/101/status/stop"))
        #expect(out.contains("dry run: POST /nodes/pve1/lxc/200/status/stop"))
        #expect(shell.cluster.mutatingRequests == 0)
        #expect(shell.cluster.status(of: 101) == "running")
        // Each guest's summary says nothing was sent, for one guest as for several.
        #expect(out.contains("vm 101 (web01) on pve1: stop not sent (dry run)") && !out.contains("requested"))
        try shell.run("set dryrun on")
        let one = try shell.run("start 102")
        try shell.run("set dryrun off")
        #expect(one.contains(": start not sent (dry run)") && one.contains("dry run: POST ") && !one.contains("requested"))
        #expect(shell.cluster.mutatingRequests == 0)
        let raw = try shell.run("api create /access/users userid=bob@pve password=hunter2 --dry-run")
        #expect(raw.contains("dry run: POST /access/users userid=bob@pve password=<redacted>"))
        #expect(!raw.contains("hunter2"))
        #expect(shell.cluster.mutatingRequests == 0)
    }

    @Test func noWaitReturnsTheTask() throws {
        let shell = Shell()
        let out = try shell.run("start 102 --no-wait")
        #expect(out.contains("vm 102 (web02) on pve2: task UPID:pve2:"))
        #expect(!shell.cluster.requests.contains { $0.1.contains("/tasks/") })
        // The prompt counts it until the next prompt finds it finished and reports it.
        #expect(shell.session.tasks.runningCount == 1)
        #expect(shell.dispatcher.promptSegments().runningTasks == 0)
        #expect(shell.session.console.capturedOutput.out.contains("task OK: start vm 102 (web02) on pve2"))
    }

    @Test func selectedGuestIsTheDefaultTarget() throws {
        let shell = Shell()
        try shell.run("cd web02")
        try shell.run("start")
        #expect(shell.cluster.status(of: 102) == "running")
    }

    @Test func resetRefusesContainers() throws {
        let shell = Shell()
        let out = try shell.run("reset ct:200 --yes")
        #expect(out.contains("containers cannot reset"))
        #expect(shell.cluster.mutatingRequests == 0)
    }

    @Test func consoleBuildsTheSSHCommandWithoutRunningIt() throws {
        let shell = Shell(interactive: true)
        #expect(shell.failure("console 200")?.contains("console needs SSH access") == true)
        final class Recorder: ProcessLauncher { var argv: [String] = []; func run(_ argv: [String]) throws -> Int32 { self.argv = argv; return 0 } }
        let recorder = Recorder()
        shell.session.launcher = recorder
        shell.session.ssh = SSHAccess(user: "root")
        try shell.run("console 200")
        #expect(recorder.argv == ["ssh", "-t", "root@pve1", "pct", "console", "200"])
        try shell.run("console 103")
        #expect(recorder.argv == ["ssh", "-t", "root@pve2", "qm", "terminal", "103"])
    }
}
