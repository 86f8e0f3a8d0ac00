import Foundation
import PVESchema

/// How the simulated cluster is seeded and how fast it runs.
public struct ClusterOptions: Sendable {
    /// Generated guests (`load-00001`, ...) added to the seed for scale tests; 0...20,000.
    public var extraGuests: Int
    /// Seconds a task stays `running` before it stops; 0 makes tasks finish at the next call.
    public var taskSeconds: Double
    /// Seed for the generated values (usage figures, MAC addresses, extra guests).
    public var seed: UInt64
    /// Wall clock in Unix seconds; tests inject a manual clock.
    public var clock: @Sendable () -> Double

    public init(
        extraGuests: Int = 0, taskSeconds: Double = 1.0, seed: UInt64 = 1,
        clock: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }
    ) {
        self.extraGuests = max(0, min(extraGuests, 20_000))
        self.taskSeconds = max(0, taskSeconds)
        self.seed = seed
        self.clock = clock
    }
}

/// A cluster of three nodes (pve1, pve2, pve3) with guests, storages, users and tasks, answering
/// validated API calls the way a real PVE 9.1 cluster does. See `SimCredentials` for logins and
/// `SimSeed` for the names of seeded objects.
///
/// Thread-safe: one lock around all state; `handle` may be called from any thread.
public final class SimulatedCluster: SimCluster, @unchecked Sendable {
    private let lock = NSLock()
    private let state: ClusterState
    private let routes: [String: Route]
    public let nodeNames: [String]

    public init(options: ClusterOptions) {
        state = ClusterState(options: options)
        nodeNames = state.nodes.map(\.name)
        var table: [String: Route] = [:]
        for route in Routes.all { table[route.key] = route }
        routes = table
    }

    /// Answers in the order pveproxy would: every object's members in hash order (see
    /// `PerlHashOrder`), so that no client can come to rely on the order the simulator built them in.
    public func handle(_ request: SimRequest) throws(SimError) -> JSON {
        try perform(request) { route, call throws(SimError) in inHashOrder(try route.handler(state, call), route, request) }
    }

    public func handle(_ request: SimRequest, writingTo body: inout [UInt8]) throws(SimError) {
        try perform(request) { route, call throws(SimError) in
            if let writer = route.writer {
                try writer(state, call, &body)
            } else {
                try inHashOrder(route.handler(state, call), route, request).write(to: &body)
            }
        }
    }

    private func inHashOrder(_ answer: JSON, _ route: Route, _ request: SimRequest) -> JSON {
        let order = PerlHashOrder(seed: state.options.seed)
        var answer = answer
        if let key = route.rowsInHashOrderBy, case .array(let rows) = answer {
            // By the key's text: a vmid is a number in some listings and a string in others.
            answer = .array(order.ordered(rows) { PerlHashOrder.salt($0[key].map { $0.string ?? $0.serialized() } ?? "") })
        }
        return order.everyObject(in: answer, salt: PerlHashOrder.salt(request.path))
    }

    /// Runs a route under the lock: tasks advanced, node checked, access authorized, changes recorded.
    private func perform<T>(_ request: SimRequest, _ answer: (Route, Call) throws(SimError) -> T) throws(SimError) -> T {
        guard let route = routes["\(request.method) \(request.template)"] else {
            throw .notImplemented(request.method, request.template)
        }
        lock.lock()
        defer { lock.unlock() }
        state.advanceTasks()
        let call = Call(request: request)
        if let node = request.params["node"], request.template.hasPrefix("/nodes/{node}") {
            guard state.node(named: node) != nil else {
                throw .failed("hostname lookup '\(node)' failed - failed to get address info for: \(node): Name or service not known")
            }
        }
        try state.authorize(route.access, call: call)
        let result = try answer(route, call)
        if request.method != "GET" { state.changed() }
        state.advanceTasks()
        return result
    }

    public func verifyPassword(userid: String, password: String) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        return state.verifyPassword(userid: userid, password: password)
    }

    public func totpSecret(userid: String) -> String? {
        lock.lock()
        defer { lock.unlock() }
        return state.users[userid]?.totpSecret
    }

    public func verifyToken(authid: String, secret: String) -> SimIdentity? {
        lock.lock()
        defer { lock.unlock() }
        return state.verifyToken(authid: authid, secret: secret)
    }
}

/// One endpoint: who may call it and what it does.
struct Route: Sendable {
    let method: String
    let template: String
    let access: AccessRule
    let handler: @Sendable (ClusterState, Call) throws(SimError) -> JSON
    /// Writes the same answer as `handler`, serialized, for the HTTP front; for large answers whose
    /// bytes the state caches.
    let writer: (@Sendable (ClusterState, Call, inout [UInt8]) throws(SimError) -> Void)?
    /// For a listing that PVE builds by walking a hash (`keys %{$cfg->{ids}}`, `keys
    /// %{$usercfg->{users}}`...): the member naming each row's key, by which the rows are put in
    /// that hash's order.
    let rowsInHashOrderBy: String?

    init(_ method: String, _ template: String, _ access: AccessRule, rowsInHashOrderBy: String? = nil,
         writer: (@Sendable (ClusterState, Call, inout [UInt8]) throws(SimError) -> Void)? = nil,
         _ handler: @escaping @Sendable (ClusterState, Call) throws(SimError) -> JSON) {
        self.method = method
        self.template = template
        self.access = access
        self.rowsInHashOrderBy = rowsInHashOrderBy
        self.writer = writer
        self.handler = handler
    }

    var key: String { "\(method) \(template)" }
}

/// The route table, assembled from one list per area.
enum Routes {
    static var all: [Route] {
        clusterRoutes + nodeRoutes + guestRoutes + snapshotRoutes + storageRoutes + taskRoutes + backupRoutes
            + networkRoutes + firewallRoutes + haRoutes + poolRoutes + accessRoutes + metricsRoutes
    }
}

/// Typed access to a request's parameters. The front already validated them against the schema;
/// the checks here only protect direct callers (tests) from crashes.
struct Call {
    let request: SimRequest
    var identity: SimIdentity { request.identity }
    var params: [String: String] { request.params }

    func has(_ key: String) -> Bool { request.params[key] != nil }

    func string(_ key: String) throws(SimError) -> String {
        guard let value = request.params[key] else { throw .parameters([key: "property is missing and it is not optional"]) }
        return value
    }

    func optionalString(_ key: String) -> String? {
        guard let value = request.params[key], !value.isEmpty else { return nil }
        return value
    }

    func int(_ key: String) throws(SimError) -> Int {
        let text = try string(key)
        guard let value = Int(text) else { throw .parameters([key: "type check ('integer') failed - got '\(text)'"]) }
        return value
    }

    func optionalInt(_ key: String) throws(SimError) -> Int? {
        guard request.params[key] != nil else { return nil }
        return try int(key)
    }

    func bool(_ key: String, default fallback: Bool = false) -> Bool {
        guard let value = request.params[key] else { return fallback }
        return JSON.string(value).bool ?? fallback
    }

    var node: String { request.params["node"] ?? "" }
    func vmid() throws(SimError) -> Int { try int("vmid") }
}
