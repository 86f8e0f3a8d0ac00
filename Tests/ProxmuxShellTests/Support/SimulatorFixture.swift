import ProxmoxAPI
import PVESchema
import PVESim
@testable import ProxmuxShell

/// Serves a `MemoryCluster` through the real simulator front (HTTP, token auth, schema validation)
/// so the shell talks to it with the real `PVEClient`. Replaced by `SimulatedCluster` once that is on main.
final class MemorySimCluster: SimCluster, @unchecked Sendable {
    static let tokenID = "root@pam!shelltest"
    static let secret = "7d0c2a52-shell-test-token"
    let fake: MemoryCluster

    init(_ fake: MemoryCluster) { self.fake = fake }

    func handle(_ request: SimRequest) throws(SimError) -> JSON {
        guard let method = HTTPMethod(rawValue: request.method) else { throw .notImplemented(request.method, request.path) }
        // Path parameters are merged into params by the front; the fake reads them from the path.
        let params = request.params.filter { !request.template.contains("{\($0.key)}") }.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        do {
            return try fake.request(method, request.path, params)
        } catch let error as APIError {
            throw SimError(status: error.status ?? 500, reason: error.message)
        } catch {
            throw .failed("\(error)")
        }
    }

    func verifyPassword(userid: String, password: String) -> Bool { false }
    func totpSecret(userid: String) -> String? { nil }
    func verifyToken(authid: String, secret: String) -> SimIdentity? {
        authid == Self.tokenID && secret == Self.secret ? SimIdentity(userid: "root@pam", tokenID: "shelltest") : nil
    }
    var nodeNames: [String] { fake.nodes }
}

/// A running simulator on an ephemeral loopback port, stopped when released.
final class SimulatorHandle {
    let simulator: Simulator
    init(_ cluster: MemoryCluster) throws {
        simulator = try Simulator(cluster: MemorySimCluster(cluster), options: SimulatorOptions(port: 0, tls: false, threads: 1))
    }
    deinit { simulator.shutdown() }

    func backend() -> PVEClientBackend {
        let settings = ConnectionSettings(url: "http://127.0.0.1:\(simulator.port)",
                                          credentials: .token(tokenID: MemorySimCluster.tokenID, secret: MemorySimCluster.secret))
        let backend = PVEClientBackend(client: PVEClient(settings: settings))
        backend.pollInterval = .milliseconds(20)
        return backend
    }
}

extension Shell {
    /// A shell whose API is the real client talking HTTP to the simulator front.
    static func overHTTP(_ cluster: MemoryCluster = .standard()) throws -> (Shell, SimulatorHandle) {
        let handle = try SimulatorHandle(cluster)
        let backend = handle.backend()
        return (Shell(cluster, connect: { backend }), handle)
    }
}
