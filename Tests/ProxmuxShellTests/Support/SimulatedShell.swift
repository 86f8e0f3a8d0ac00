import Synchronization
import ProxmoxAPI
import PVESchema
import PVESim
@testable import ProxmuxShell

/// The real simulated cluster behind the simulator's HTTP front, counting the calls it receives.
final class CountingCluster: SimCluster, @unchecked Sendable {
    let inner: SimulatedCluster
    private let seen = Mutex<[(String, String)]>([])

    init(_ inner: SimulatedCluster) { self.inner = inner }

    func handle(_ request: SimRequest) throws(SimError) -> JSON {
        seen.withLock { $0.append((request.method, request.path)) }
        return try inner.handle(request)
    }
    func verifyPassword(userid: String, password: String) -> Bool { inner.verifyPassword(userid: userid, password: password) }
    func totpSecret(userid: String) -> String? { inner.totpSecret(userid: userid) }
    func verifyToken(authid: String, secret: String) -> SimIdentity? { inner.verifyToken(authid: authid, secret: secret) }
    var nodeNames: [String] { inner.nodeNames }

    var calls: [(String, String)] { seen.withLock { $0 } }
    var mutatingCalls: [(String, String)] { calls.filter { $0.0 != "GET" } }
    func reset() { seen.withLock { $0.removeAll() } }

    /// Reads straight from the cluster (not counted): the state a test checks after a command.
    func read(_ path: String, template: String, params: [String: String] = [:]) throws -> JSON {
        try inner.handle(SimRequest(method: "GET", path: path, template: template, params: params,
                                    identity: SimIdentity(userid: "root@pam")))
    }
    func guestStatus(_ vmid: Int) -> String? {
        let rows = (try? read("/cluster/resources", template: "/cluster/resources", params: ["type": "vm"]))?.array ?? []
        return rows.first { $0["vmid"]?.int == Int64(vmid) }?["status"]?.string
    }
}

/// A shell connected through the real client to an in-process simulator on an ephemeral port.
struct SimulatedShell {
    let cluster: CountingCluster
    let simulator: Simulator
    let session: Session
    let dispatcher: CommandDispatcher

    init(extraGuests: Int = 0, interactive: Bool = false) throws {
        cluster = CountingCluster(SimulatedCluster(options: ClusterOptions(extraGuests: extraGuests, taskSeconds: 0)))
        simulator = try Simulator(cluster: cluster, options: SimulatorOptions(port: 0, tls: false, threads: 1))
        let settings = ConnectionSettings(url: "http://127.0.0.1:\(simulator.port)",
                                          credentials: .token(tokenID: SimCredentials.rootTokenID, secret: SimCredentials.rootTokenSecret))
        let client = PVEClient(settings: settings)
        let backend = PVEClientBackend(client: client)
        backend.pollInterval = .milliseconds(20)
        var shellSettings = ShellSettings()
        shellSettings.interactive = interactive
        (session, dispatcher) = ShellEnvironment.make(profileName: "sim", settings: shellSettings, console: .capturing(), connect: { backend })
        // As a real session does: Ctrl-C (the interrupt flag) aborts requests, --debug traces them.
        session.hook(client)
        session.cache.budget = 10
    }

    /// What the session printed on stderr so far.
    var err: String { session.console.capturedOutput.err }

    func stop() { simulator.shutdown() }

    /// Runs one line split on spaces; returns what it printed on stdout.
    @discardableResult
    func run(_ line: String) throws -> String { try runCapturing(line).out }

    /// Runs one line split on spaces; returns what it printed on stdout and on stderr.
    func runCapturing(_ line: String) throws -> (out: String, err: String) {
        let before = session.console.capturedOutput
        try dispatcher.execute(words: line.split(separator: " ").map(String.init), at: .prompt)
        let after = session.console.capturedOutput
        return (String(decoding: after.out.utf8.dropFirst(before.out.utf8.count), as: UTF8.self),
                String(decoding: after.err.utf8.dropFirst(before.err.utf8.count), as: UTF8.self))
    }

    func failure(_ line: String) -> String? {
        do { try run(line); return nil } catch let error as ShellError { return error.message } catch { return "\(error)" }
    }

    func complete(_ words: [String], _ prefix: String) -> [String] {
        dispatcher.complete(CompletionRequest(words: words, prefix: prefix)).map(\.value)
    }
}
