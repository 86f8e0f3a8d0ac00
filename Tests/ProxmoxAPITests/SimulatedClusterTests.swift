import Foundation
import PVESchema
import Testing
@testable import ProxmoxAPI
@testable import PVESim

/// The client against the full simulator: front plus the seeded simulated cluster.
@Suite("PVEClient against the simulated cluster", .serialized)
struct SimulatedClusterTests {
    final class Running {
        let sim: Simulator
        let dir = TempDir()
        init() throws {
            sim = try Simulator(cluster: SimulatedCluster(options: ClusterOptions(taskSeconds: 0.2)),
                                options: SimulatorOptions(port: 0, tls: true, failedLoginDelay: .milliseconds(10), threads: 2))
        }
        deinit { sim.shutdown() }

        func client(token: (String, String) = (SimCredentials.rootTokenID, SimCredentials.rootTokenSecret)) -> PVEClient {
            PVEClient(settings: ConnectionSettings(url: "https://127.0.0.1:\(sim.port)", credentials: .token(tokenID: token.0, secret: token.1),
                                                   tls: TLSSettings(caFile: dir.write("ca.pem", SimCertificates.caPEM), knownHostsPath: nil)))
        }

        func passwordClient(user: String, password: String, otp: (any OTPProvider)? = nil) -> PVEClient {
            PVEClient(settings: ConnectionSettings(url: "https://127.0.0.1:\(sim.port)", credentials: .password(user: user, realm: nil, password: password),
                                                   tls: TLSSettings(caFile: dir.write("ca.pem", SimCertificates.caPEM), knownHostsPath: nil)),
                      interaction: ClientInteraction(otpProvider: otp))
        }
    }

    /// The simulator gzips big answers as pveproxy does; listings read from them (indexed while
    /// they arrive) equal the ones read from an uncompressed answer.
    @Test func gzippedListingsReadTheSameAsPlainOnes() throws {
        let cluster = SimulatedCluster(options: ClusterOptions(extraGuests: 2000, taskSeconds: 0.2, clock: { 1_800_000_000 }))
        let dir = TempDir()
        func listing(compression: Bool) throws -> [JSON] {
            let sim = try Simulator(cluster: cluster, options: SimulatorOptions(port: 0, tls: true, compression: compression, threads: 2))
            defer { sim.shutdown() }
            let client = PVEClient(settings: ConnectionSettings(url: "https://127.0.0.1:\(sim.port)",
                                                                credentials: .token(tokenID: SimCredentials.rootTokenID, secret: SimCredentials.rootTokenSecret),
                                                                tls: TLSSettings(caFile: dir.write("ca.pem", SimCertificates.caPEM), knownHostsPath: nil)))
            return try client.rows("/cluster/resources", query: [("type", "vm")], keys: ["vmid", "name", "cpu"]).values
        }
        let gzipped = try listing(compression: true)
        #expect(gzipped.count > 2000)
        #expect(gzipped == (try listing(compression: false)))
    }

    @Test func resourcesOfTheSeed() throws {
        let running = try Running()
        let client = running.client()
        let rows = try client.resources()
        let guests = rows.filter(\.isGuest)
        #expect(Set(guests.compactMap(\.vmid)) == Set(SimSeed.vms + SimSeed.containers))
        #expect(guests.first { $0.vmid == 9000 }?.template == true)
        #expect(guests.first { $0.vmid == 200 }?.type == "lxc" && guests.first { $0.vmid == 200 }?.template == false)
        #expect(guests.first { $0.vmid == 203 }?.lock == "backup")
        #expect(Set(rows.filter { $0.type == "node" }.compactMap(\.node)) == Set(SimSeed.nodes))
        #expect(rows.contains { $0.type == "storage" && $0.storage == "nas" && $0.shared })
        #expect(try client.resources(type: "vm").allSatisfy(\.isGuest))
        #expect(try client.nextVMID() == SimSeed.nextID)
    }

    @Test func startAStoppedVMAndWait() throws {
        let running = try Running()
        let client = running.client()
        let upid = try #require(UPID(try client.post("/nodes/pve3/qemu/103/status/start").string ?? ""))
        #expect(upid.node == "pve3" && upid.type == "qmstart" && upid.id == "103")
        var lines: [String] = []
        let outcome = try client.waitForTask(upid, pollInterval: .milliseconds(50), onLog: { lines.append($0.text) })
        #expect(outcome.isSuccess)
        #expect(lines.last?.hasPrefix("TASK OK") == true || lines.contains { $0.contains("TASK OK") })
        #expect(try client.resources().first { $0.vmid == 103 }?.status == "running")
    }

    @Test func failingTaskCarriesItsError() throws {
        let running = try Running()
        let client = running.client()
        let upid = try #require(UPID(try client.post("/nodes/pve3/qemu/110/status/start").string ?? ""))
        let outcome = try client.waitForTask(upid, pollInterval: .milliseconds(50))
        guard case .failed(let exit, let last) = outcome else { Issue.record("expected a failure, got \(outcome)"); return }
        #expect(!exit.isEmpty && exit != "OK")
        #expect(last.last?.hasPrefix("TASK ERROR:") == true)
    }

    @Test func privilegeSeparatedTokenGetsTheACLHint() throws {
        let running = try Running()
        let client = running.client(token: (SimCredentials.aliceTokenID, SimCredentials.aliceTokenSecret))
        #expect(try !client.resources().isEmpty, "the auditor token may read")
        #expect {
            try client.post("/nodes/pve1/qemu/100/status/stop")
        } throws: { error in
            guard let error = error as? APIError else { return false }
            return error.status == 403 && error.message.contains("--tokens alice@pve!auto")
        }
    }

    @Test func ticketAndTwoFactorLogins() throws {
        let running = try Running()
        let root = running.passwordClient(user: SimCredentials.rootUser, password: SimCredentials.rootPassword)
        #expect(try root.get("/version")["version"] != nil)
        try root.put("/nodes/pve1/qemu/100/config", params: [("description", "set by the client test")])
        #expect(try root.get("/nodes/pve1/qemu/100/config")["description"]?.string == "set by the client test")

        struct Code: OTPProvider {
            func oneTimePassword(for user: String) -> String? {
                TOTP.code(secret: SimCredentials.tfaTOTPSecret, at: Int64(Date().timeIntervalSince1970))
            }
        }
        let tfa = running.passwordClient(user: SimCredentials.tfaUser, password: SimCredentials.tfaPassword, otp: Code())
        #expect(try tfa.get("/version")["version"] != nil)
    }

    @Test func uploadAnISOAndWaitForTheImport() throws {
        let running = try Running()
        let client = running.client()
        let file = running.dir.write("tiny.iso", String(repeating: "x", count: 4096))
        let upid = try client.upload(node: "pve1", storage: "local", content: "iso", filePath: file)
        #expect(upid.type == "imgcopy" && upid.node == "pve1")
        #expect(try client.waitForTask(upid, pollInterval: .milliseconds(50)).isSuccess)
        let content = try client.get("/nodes/pve1/storage/local/content", query: [("content", "iso")])
        #expect(content.array?.contains { $0["volid"]?.string == "local:iso/tiny.iso" && $0["size"]?.int == 4096 } == true)
    }
}
