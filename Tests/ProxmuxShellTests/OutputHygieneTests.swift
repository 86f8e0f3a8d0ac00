import Foundation
import ProxmoxAPI
import PVESchema
import PVESim
import Testing
@testable import ProxmuxShell

/// Under `-o json|yaml` stdout carries only the document; progress, notices, echoed targets and
/// summaries go to stderr. With `-o text` they stay on stdout.
@Suite struct OutputHygieneTests {
    /// stdout of a json command: empty, or one JSON document.
    private func expectJSONOrEmpty(_ out: String, _ line: String) {
        if out.isEmpty { return }
        #expect((try? JSON.parse(out)) != nil, "stdout of `\(line)` is not JSON:\n\(out)")
    }

    @Test func lifecycleEchoesAndSummariesGoToStderrUnderJSON() throws {
        let shell = try SimulatedShell()
        defer { shell.stop() }
        let start = try shell.runCapturing("start 103 -o json")
        expectJSONOrEmpty(start.out, "start 103 -o json")
        #expect(start.err.contains("starting vm 103 (win-build) on pve3\n"))
        #expect(start.err.contains("vm 103 (win-build) on pve3: started\n"))
        let stop = try shell.runCapturing("stop 100 --yes -o json")
        expectJSONOrEmpty(stop.out, "stop 100 --yes -o json")
        #expect(stop.err.contains("stopping vm 100 (web01) on pve1\n") && stop.err.contains("vm 100 (web01) on pve1: stopped\n"))
        let bulk = try shell.runCapturing("shutdown 101,201 -o yaml")
        #expect(bulk.out.isEmpty, "\(bulk.out)")
        #expect(bulk.err.contains("vm 101 (web02) on pve2: shut down\n") && bulk.err.contains("ct 201 (proxy01) on pve2: shut down\n"))
        #expect(shell.cluster.guestStatus(103) == "running" && shell.cluster.guestStatus(100) == "stopped")
    }

    @Test func textOutputKeepsTheLinesOnStdout() throws {
        let shell = try SimulatedShell()
        defer { shell.stop() }
        let start = try shell.runCapturing("start 103")
        #expect(start.out == "starting vm 103 (win-build) on pve3\nvm 103 (win-build) on pve3: started\n")
        #expect(start.err.isEmpty)
    }

    @Test func listingsUnderJSONAreOneDocumentAndNothingElse() throws {
        let shell = try SimulatedShell()
        defer { shell.stop() }
        try shell.run("start 103")
        let tasks = try shell.runCapturing("tasks -o json")
        let rows = try #require(try JSON.parse(tasks.out).array)
        #expect(rows.contains { $0["type"]?.string == "qmstart" && $0["id"]?.string == "103" })
        #expect(tasks.err.isEmpty)
        let upid = try #require(rows.first { $0["type"]?.string == "qmstart" }?["upid"]?.string)
        let log = try shell.runCapturing("task log \(upid) -o json")
        let lines = try #require(try JSON.parse(log.out).array)
        #expect(!lines.isEmpty && lines.allSatisfy { $0.string != nil }, "the log as an array of lines: \(log.out)")
    }

    @Test func theSessionSettingRoutesNoticesAndDryRunsToo() throws {
        let shell = try SimulatedShell()
        defer { shell.stop() }
        shell.session.settings.output = .json
        let background = try shell.runCapturing("start 103 --no-wait")
        #expect(background.out.isEmpty)
        #expect(background.err.contains("vm 103 (win-build) on pve3: task UPID:pve3:"))
        // The background task's end is announced before the next prompt: on stderr as well.
        let before = shell.session.console.capturedOutput
        var waited = 0
        while shell.session.tasks.runningCount > 0 && waited < 100 {
            _ = shell.dispatcher.promptSegments()
            usleep(20_000)
            waited += 1
        }
        let after = shell.session.console.capturedOutput
        #expect(after.out == before.out, "nothing new on stdout")
        #expect(after.err.dropFirst(before.err.count).contains("task OK: start vm 103 (win-build) on pve3"))

        let dry = try shell.runCapturing("stop tag:web --dry-run")
        #expect(dry.out.isEmpty)
        #expect(dry.err.contains("dry run: POST /nodes/pve1/qemu/100/status/stop"))
        #expect(shell.cluster.mutatingCalls.count == 1, "only the start was sent")
    }

    @Test func waitReportsOnStderrUnderJSON() throws {
        let shell = try SimulatedShell()
        defer { shell.stop() }
        let started = try shell.runCapturing("start 103 --no-wait -o json")
        #expect(started.out.isEmpty)
        let upid = try #require(started.err.split(whereSeparator: { $0 == " " || $0 == "\n" }).first { $0.hasPrefix("UPID:") })
        let waited = try shell.runCapturing("wait \(upid) -o json")
        #expect(waited.out.isEmpty, "\(waited.out)")
        #expect(waited.err.contains("start vm 103 (win-build) on pve3: OK\n"), "\(waited.err)")
    }

    @Test func progressOfAWatchedTaskGoesToStderrUnderJSON() throws {
        let fake = FakeTaskCluster()
        let upid = fake.addBackupWithProgress()
        let console = Console.capturing()
        var settings = ShellSettings()
        settings.output = .json
        let env = TaskEnvironment(client: fake, console: console, tasks: TaskCenter(), settings: settings, pollInterval: 0.001)
        _ = try env.watcher().watch(upid, label: "backup 100", mode: .wait)
        #expect(console.capturedOutput.out.isEmpty)
        #expect(console.capturedOutput.err.contains("backup 100: 50%  1.5 GiB of 3.0 GiB  300 MiB/s"))
    }
}

/// Ctrl-C (the session's interrupt flag) aborts a request the server does not answer.
@Suite struct InterruptedRequestTests {
    /// Runs `command` against a simulator that answers only after 5 s, raises the session's
    /// interrupt flag from another thread after 200 ms, and checks the command gave up promptly.
    private func interruptedFailure(_ command: String, _ shell: SimulatedShell) throws -> String {
        shell.simulator.faults.update { $0.latencyMs = 5_000 }
        let flag = shell.session.interrupt
        DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(200)) { flag.raise() }
        let started = ContinuousClock.now
        let message = try #require(shell.failure(command))
        #expect(ContinuousClock.now - started < .milliseconds(1_500))
        return message
    }

    @Test func aHangingListingStopsWithInterrupted() throws {
        let shell = try SimulatedShell()
        defer { shell.stop() }
        let message = try interruptedFailure("ls /vms", shell)
        #expect(message.hasSuffix("interrupted"), "\(message)")
        #expect(shell.cluster.calls.count == 1, "not retried")
    }

    @Test func aHangingWriteSaysHowToCheckWhatHappened() throws {
        let shell = try SimulatedShell()
        defer { shell.stop() }
        let message = try interruptedFailure("api create /pools poolid=late", shell)
        #expect(message.contains("POST /pools may already have reached the server"), "\(message)")
        #expect(message.contains("`tasks`") && message.contains("`show ID`"), "\(message)")
        #expect(shell.cluster.mutatingCalls.count == 1, "sent once, never resent")
    }
}
