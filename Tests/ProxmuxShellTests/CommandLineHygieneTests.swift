import Foundation
import ProxmoxAPI
import PVESchema
import PVESim
import Testing
@testable import ProxmuxShell

/// The real `proxmux` binary against an in-process simulated cluster, the way a user runs it:
/// `proxmux -o json -c '...' | jq`, `proxmux --debug ...`, Ctrl-C in a script.
@Suite(.enabled(if: FileManager.default.isExecutableFile(atPath: Binary.path), "needs the proxmux binary (swift build)"))
final class CommandLineHygieneTests {
    let simulator: Simulator
    let home: URL

    init() throws {
        simulator = try Simulator(cluster: SimulatedCluster(options: ClusterOptions(taskSeconds: 0)),
                                  options: SimulatorOptions(port: 0, tls: false, threads: 1))
        home = FileManager.default.temporaryDirectory.appendingPathComponent("pmx-hygiene-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
    }

    deinit {
        simulator.shutdown()
        try? FileManager.default.removeItem(at: home)
    }

    /// Environment for a profile made of environment variables only (no config file).
    private func environment(password: Bool = false) -> [String: String] {
        var env = ["HOME": home.path, "PROXMUX_CONFIG": home.appendingPathComponent("none").path,
                   "PROXMUX_URL": "http://127.0.0.1:\(simulator.port)", "PROXMUX_PROFILE": "",
                   "PROXMUX_TOKEN": "", "PROXMUX_SECRET": "", "PROXMUX_USER": "", "PROXMUX_PASSWORD": ""]
        if password {
            env["PROXMUX_USER"] = SimCredentials.rootUser
            env["PROXMUX_PASSWORD"] = SimCredentials.rootPassword
        } else {
            env["PROXMUX_TOKEN"] = SimCredentials.rootTokenID
            env["PROXMUX_SECRET"] = SimCredentials.rootTokenSecret
        }
        return env
    }

    private func debugLines(_ stderr: String) -> [String] {
        stderr.split(separator: "\n").map(String.init).filter { $0.hasPrefix("debug: ") }
    }

    // MARK: Clean pipes

    @Test func jsonScriptPrintsOnlyTheDocumentOnStdout() throws {
        let r = try Binary.run(["-o", "json", "-c", "start 103; stop 100 --yes; tasks --limit 5"], environment: environment())
        #expect(r.status == 0, "\(r.err)")
        let rows = try #require(try JSON.parse(r.out).array, "stdout is one JSON document: \(r.out)")
        #expect(rows.contains { $0["type"]?.string == "qmstart" && $0["id"]?.string == "103" })
        #expect(rows.contains { $0["type"]?.string == "qmstop" && $0["id"]?.string == "100" })
        #expect(r.err.contains("starting vm 103 (win-build) on pve3") && r.err.contains("stopping vm 100 (web01) on pve1"))
        #expect(r.err.contains("vm 100 (web01) on pve1: stopped"))
    }

    @Test func yamlScriptKeepsHumanLinesOffStdout() throws {
        let r = try Binary.run(["-o", "yaml", "-c", "start 103; ls /nodes"], environment: environment())
        #expect(r.status == 0, "\(r.err)")
        #expect(r.out.hasPrefix("- "), "a YAML list first: \(r.out)")
        #expect(!r.out.contains("starting") && !r.out.contains("started"))
        #expect(r.err.contains("vm 103 (win-build) on pve3: started"))
    }

    // MARK: --debug

    @Test func debugTracesEachRequestOfATokenProfileWithoutTheSecret() throws {
        let r = try Binary.run(["--debug", "-c", "ls /vms"], environment: environment())
        #expect(r.status == 0, "\(r.err)")
        let lines = debugLines(r.err)
        #expect(lines.count == 1, "\(r.err)")
        let line = try #require(lines.first)
        #expect(line.range(of: #"^debug: GET /cluster/resources\?type=vm -> 200 OK \(\d+ ms, \d+ bytes\)$"#,
                           options: .regularExpression) != nil, "\(line)")
        for secret in [SimCredentials.rootTokenSecret, "PVEAPIToken"] {
            #expect(!r.err.contains(secret) && !r.out.contains(secret))
        }
    }

    @Test func debugTracesAPasswordLoginWithoutPasswordTicketOrCSRF() throws {
        let r = try Binary.run(["--debug", "-c", "ls /vms; api create /access/users userid=dbg@pve password=dbg-secret-4711"],
                               environment: environment(password: true))
        #expect(r.status == 0, "\(r.err)")
        let lines = debugLines(r.err)
        #expect(lines.first?.hasPrefix("debug: POST /access/ticket username=root@pam password=<redacted> -> 200 OK (") == true, "\(r.err)")
        #expect(lines.contains { $0.hasPrefix("debug: GET /cluster/resources?type=vm -> 200 OK (") })
        #expect(lines.contains { $0.hasPrefix("debug: POST /access/users userid=dbg@pve password=<redacted> -> 200 OK (") }, "\(r.err)")
        for secret in [SimCredentials.rootPassword, "dbg-secret-4711", "PVE:root@pam:", "PVEAuthCookie", "CSRFPreventionToken"] {
            #expect(!r.err.contains(secret) && !r.out.contains(secret), "\(secret) leaked")
        }
    }

    @Test func setDebugTurnsTheTraceOnAndOff() throws {
        let r = try Binary.run(["-c", "ls /pools; set debug on; ls /vms; set debug off; ls /pools; ls /access/users --debug"],
                               environment: environment())
        #expect(r.status == 0, "\(r.err)")
        let lines = debugLines(r.err)
        #expect(lines.count == 2, "\(r.err)")
        #expect(lines.first?.hasPrefix("debug: GET /cluster/resources?type=vm ") == true)
        #expect(lines.last?.hasPrefix("debug: GET /access/users -> 200 OK") == true, "one command's --debug: \(lines)")
    }

    @Test func helpShowsTheDebugOption() throws {
        let usage = try Binary.run(["--help"])
        #expect(usage.out.contains("--debug") && usage.out.contains("one line per API request"))
        let help = try Binary.run(["-c", "help"])
        #expect(help.out.contains("--debug"))
        let set = try Binary.run(["-c", "help set"])
        #expect(set.out.contains("set debug on|off"))
    }

    // MARK: Ctrl-C

    @Test func ctrlCDuringAHangingRequestEndsTheScriptWith130() throws {
        simulator.faults.update { $0.latencyMs = 8_000 }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Binary.path)
        process.arguments = ["-c", "ls /vms; echo never"]
        process.environment = RunnerEnvironment.withoutProxmux.merging(environment()) { $1 }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        usleep(700_000)  // started and waiting for the answer
        let sent = ContinuousClock.now
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        let waited = ContinuousClock.now - sent
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let stdout = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationReason == .exit && process.terminationStatus == ExitStatus.interrupted, "\(stderr)")
        #expect(waited < .milliseconds(1_500), "stopped \(waited) after Ctrl-C")
        #expect(stderr == "-c:1: ls: interrupted\n")
        #expect(!stdout.contains("never"))
    }
}
