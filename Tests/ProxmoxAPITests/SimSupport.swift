import Foundation
import PVESchema
import Synchronization
@testable import ProxmoxAPI
@testable import PVESim

/// A minimal cluster behind the real simulator front (HTTP, TLS, auth, CSRF, validation, faults):
/// enough endpoints to exercise the client, and a record of what reached it.
final class ClientTestCluster: SimCluster {
    static let tokenID = "root@pam!ci"
    static let tokenSecret = "5c0a3c8e-1f2b-4d6e-8a9b-0c1d2e3f4a5b"
    static let tfaSecret = "JBSWY3DPEHPK3PXP"

    struct Calls {
        var requests: [SimRequest] = []
        var tokenChecks = 0
        var passwordChecks = 0
        /// Answer this many upcoming requests with the given error first.
        var failNext: [SimError] = []
        /// Task UPID -> (polls until stopped, exit status, log lines).
        var tasks: [String: (remaining: Int, exit: String, log: [String])] = [:]
    }
    let calls = Mutex(Calls())

    var requests: [SimRequest] { calls.withLock { $0.requests } }
    var tokenChecks: Int { calls.withLock { $0.tokenChecks } }

    func failNext(_ errors: [SimError]) { calls.withLock { $0.failNext = errors } }

    /// Registers a task that reports `running` for `polls` status calls, then stops with `exit`.
    func addTask(_ upid: String, polls: Int, exit: String, log: [String]) {
        calls.withLock { $0.tasks[upid] = (polls, exit, log) }
    }

    func handle(_ request: SimRequest) throws(SimError) -> JSON {
        let injected: SimError? = calls.withLock { calls in
            calls.requests.append(request)
            return calls.failNext.isEmpty ? nil : calls.failNext.removeFirst()
        }
        if let injected { throw injected }
        switch (request.method, request.template) {
        case ("GET", "/version"):
            return ["version": "9.1.1", "release": "9.1", "repoid": "sim"]
        case ("GET", "/cluster/resources"):
            return [
                ["id": "qemu/100", "type": "qemu", "vmid": 100, "name": "web01", "node": "pve1", "status": "running", "template": 0],
                ["id": "lxc/200", "type": "lxc", "vmid": "200", "name": "dns", "node": "pve2", "status": "stopped", "template": ""],
                ["id": "node/pve1", "type": "node", "node": "pve1", "status": "online"],
            ]
        case ("GET", "/cluster/nextid"):
            return "101"
        case ("POST", "/nodes/{node}/qemu/{vmid}/status/start"), ("POST", "/nodes/{node}/qemu/{vmid}/status/stop"):
            return .string("UPID:\(request.params["node"] ?? ""):0000ABCD:00001234:6745F3A0:qmstart:\(request.params["vmid"] ?? ""):\(request.identity.authid):")
        case ("PUT", "/nodes/{node}/qemu/{vmid}/config"):
            return .null
        case ("POST", "/nodes/{node}/storage/{storage}/upload"):
            guard let upload = request.upload else { throw .failed("no file received") }
            // The UPID's id carries the received size so tests can check nothing was lost.
            return .string("UPID:\(request.params["node"] ?? ""):0000ABCE:00001234:6745F3A1:imgcopy:\(upload.size):\(request.identity.authid):")
        case ("GET", "/nodes/{node}/tasks/{upid}/status"):
            let upid = request.params["upid"] ?? ""
            let state: (String, String?)? = calls.withLock { calls in
                guard var task = calls.tasks[upid] else { return nil }
                if task.remaining > 0 { task.remaining -= 1; calls.tasks[upid] = task; return ("running", nil) }
                return ("stopped", task.exit)
            }
            guard let state else { throw .failed("no such task '\(upid)'") }
            var status: JSON = ["status": .string(state.0), "upid": .string(upid), "node": .string(request.params["node"] ?? "")]
            if let exit = state.1 { status = status.setting("exitstatus", to: .string(exit)) }
            return status
        case ("GET", "/nodes/{node}/tasks/{upid}/log"):
            let upid = request.params["upid"] ?? ""
            let start = Int(request.params["start"] ?? "0") ?? 0
            let limit = Int(request.params["limit"] ?? "50") ?? 50
            // Lines appear over time: while running, only the first lines are visible.
            let visible: [String] = calls.withLock { calls in
                guard let task = calls.tasks[upid] else { return [] }
                return task.remaining > 0 ? Array(task.log.prefix(max(1, task.log.count - task.remaining))) : task.log
            }
            guard start < visible.count else { return [] }
            return .array(visible[start..<min(visible.count, start + limit)].enumerated().map { offset, text in
                ["n": .int(Int64(start + offset + 1)), "t": .string(text)]
            })
        default:
            throw .notImplemented(request.method, request.path)
        }
    }

    func verifyPassword(userid: String, password: String) -> Bool {
        calls.withLock { $0.passwordChecks += 1 }
        return (userid == "root@pam" && password == "rootpw") || (userid == "alice@pve" && password == "alicepw")
    }

    func totpSecret(userid: String) -> String? { userid == "alice@pve" ? Self.tfaSecret : nil }

    func verifyToken(authid: String, secret: String) -> SimIdentity? {
        calls.withLock { $0.tokenChecks += 1 }
        guard authid == Self.tokenID, secret == Self.tokenSecret else { return nil }
        return SimIdentity(userid: "root@pam", tokenID: "ci")
    }

    var nodeNames: [String] { ["pve1", "pve2", "pve3"] }
}

/// A running simulator with its test cluster; shut down when released.
final class SimHarness {
    let cluster: ClientTestCluster
    let sim: Simulator
    let dir = TempDir()

    init(tls: Bool = true, configure: (inout SimulatorOptions) -> Void = { _ in }) throws {
        cluster = ClientTestCluster()
        var options = SimulatorOptions(port: 0, tls: tls, failedLoginDelay: .milliseconds(10), threads: 2)
        configure(&options)
        sim = try Simulator(cluster: cluster, options: options)
    }
    deinit { sim.shutdown() }

    var url: String { "\(sim.options.tls ? "https" : "http")://127.0.0.1:\(sim.port)" }

    /// The CA that signed the simulator's certificate, as a file.
    var caFile: String { dir.write("ca.pem", SimCertificates.caPEM) }

    /// SHA-256 fingerprint of the simulator's certificate computed by the openssl CLI (independent
    /// of the client's own code).
    var certificateFingerprint: Fingerprint {
        get throws {
            let certFile = dir.write("server.pem", SimCertificates.serverCertificatePEM)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
            process.arguments = ["x509", "-in", certFile, "-noout", "-fingerprint", "-sha256"]
            let pipe = Pipe()
            process.standardOutput = pipe
            try process.run()
            let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            // "sha256 Fingerprint=AB:CD:..."
            guard let equals = output.firstIndex(of: "="), let fingerprint = Fingerprint(String(output[output.index(after: equals)...])) else {
                throw SimTestError("openssl printed no fingerprint: \(output)")
            }
            return fingerprint
        }
    }

    func tokenSettings(tls: TLSSettings? = nil) -> ConnectionSettings {
        ConnectionSettings(url: url, credentials: .token(tokenID: ClientTestCluster.tokenID, secret: ClientTestCluster.tokenSecret),
                           tls: tls ?? TLSSettings(caFile: caFile, knownHostsPath: nil), connectTimeout: 5, timeout: 20)
    }

    func passwordSettings(user: String = "root@pam", password: String = "rootpw") -> ConnectionSettings {
        ConnectionSettings(url: url, credentials: .password(user: user, realm: nil, password: password),
                           tls: TLSSettings(caFile: caFile, knownHostsPath: nil), connectTimeout: 5, timeout: 20)
    }
}

struct SimTestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Collects warnings and prompts the client shows.
final class RecordingInteraction: TrustPrompter, Sendable {
    let answer: Bool
    let prompts = Mutex<[String]>([])
    let warnings = Mutex<[String]>([])
    init(answer: Bool) { self.answer = answer }

    func shouldTrust(host: String, port: Int, fingerprint: Fingerprint) -> Bool {
        prompts.withLock { $0.append("\(host):\(port) \(fingerprint)") }
        return answer
    }

    var interaction: ClientInteraction {
        ClientInteraction(trustPrompter: self, warn: { [self] text in warnings.withLock { $0.append(text) } })
    }
}
