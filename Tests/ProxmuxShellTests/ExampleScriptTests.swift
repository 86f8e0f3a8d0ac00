import Foundation
import PVESchema
import PVESim
import Testing
@testable import ProxmuxShell

/// The scripts in `scripts/examples/` are documentation: each must run as written against the
/// simulated cluster, through the real `proxmux` binary, and do what its comment says.
@Suite(.serialized, .enabled(if: FileManager.default.isExecutableFile(atPath: Binary.path), "needs the proxmux binary (swift build)"))
struct ExampleScriptTests {
    static let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("scripts/examples").path

    /// A fresh cluster per test, and the environment that points proxmux at it.
    struct Cluster {
        let cluster = SimulatedCluster(options: ClusterOptions(extraGuests: 0, taskSeconds: 0))
        let simulator: Simulator
        let environment: [String: String]

        init() throws {
            simulator = try Simulator(cluster: cluster, options: SimulatorOptions(port: 0, tls: false, threads: 1))
            let home = FileManager.default.temporaryDirectory.appendingPathComponent("pmx-examples-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
            environment = [
                "HOME": home, "PROXMUX_URL": "http://127.0.0.1:\(simulator.port)",
                "PROXMUX_TOKEN": SimCredentials.rootTokenID, "PROXMUX_SECRET": SimCredentials.rootTokenSecret,
            ]
        }

        func run(_ arguments: [String]) throws -> Binary.Result {
            try Binary.run(arguments, environment: environment)
        }

        /// Reads the cluster directly (not through proxmux) to check what a script did.
        func get(_ template: String, node: String, vmid: Int) throws -> JSON {
            let path = template.replacingOccurrences(of: "{node}", with: node).replacingOccurrences(of: "{vmid}", with: "\(vmid)")
            return try cluster.handle(SimRequest(method: "GET", path: path, template: template,
                                                 params: ["node": node, "vmid": "\(vmid)"], identity: SimIdentity(userid: "root@pam")))
        }

        func status(_ vmid: Int, node: String) throws -> String? {
            try get("/nodes/{node}/qemu/{vmid}/status/current", node: node, vmid: vmid)["status"]?.string
        }
    }

    @Test func deploySnapshotsAndRestartsTheVM() throws {
        let sim = try Cluster()
        defer { sim.simulator.shutdown() }
        let r = try sim.run(["--yes", "\(Self.examples)/deploy.pmx", "100", "pve1"])
        #expect(r.status == 0, "stderr: \(r.err)")
        #expect(r.out.contains("deploying to vm 100 on pve1"))
        #expect(r.out.contains("done: vm 100 is back"))
        let snapshots = try sim.get("/nodes/{node}/qemu/{vmid}/snapshot", node: "pve1", vmid: 100)
        #expect(snapshots.array?.contains { $0["name"]?.string == "pre-deploy" } == true)
        #expect(try sim.status(100, node: "pve1") == "running")
    }

    @Test func deployWithoutYesRefusesToStopAndSaysWhere() throws {
        let sim = try Cluster()
        defer { sim.simulator.shutdown() }
        let script = FileManager.default.temporaryDirectory.appendingPathComponent("stop-\(UUID().uuidString).pmx").path
        try "cd 100\nstop\n".write(toFile: script, atomically: true, encoding: .utf8)
        let r = try sim.run([script])
        #expect(r.status == 1)
        #expect(r.err.contains(":2: "), "the error names the script line: \(r.err)")
        #expect(r.err.contains("--yes"))
        #expect(try sim.status(100, node: "pve1") == "running", "nothing was stopped")
    }

    @Test func maintenanceDryRunSendsNothingAndTheRealRunShutsTheTierDown() throws {
        let sim = try Cluster()
        defer { sim.simulator.shutdown() }
        let dry = try sim.run(["--dry-run", "\(Self.examples)/maintenance.pmx"])
        #expect(dry.status == 0, "stderr: \(dry.err)")
        #expect(dry.out.contains("POST /nodes/pve1/qemu/100/status/shutdown"))
        #expect(try sim.status(100, node: "pve1") == "running", "dry run changed nothing")

        let real = try sim.run(["--yes", "\(Self.examples)/maintenance.pmx", "tag:web"])
        #expect(real.status == 0, "stderr: \(real.err)")
        #expect(try sim.status(100, node: "pve1") == "stopped")
        #expect(try sim.status(101, node: "pve2") == "stopped")
        #expect(try sim.status(102, node: "pve1") == "running", "db01 is not in the web tier")
    }

    @Test func nightlyChecksReportsEverySection() throws {
        let sim = try Cluster()
        defer { sim.simulator.shutdown() }
        let r = try sim.run(["\(Self.examples)/nightly-checks.pmx", "pve1", "pve2"])
        #expect(r.status == 0, "stderr: \(r.err)")
        for section in ["== cluster ==", "== guests ==", "== node pve1 ==", "== node pve2 ==", "== tasks =="] {
            #expect(r.out.contains(section))
        }
        #expect(r.out.contains("web01"))
    }
}
