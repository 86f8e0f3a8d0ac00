import Foundation
import PVESchema
import Testing

@testable import PVESim

/// A clock the test moves by hand.
final class ManualClock: @unchecked Sendable {
    private let lock = NSLock()
    private var time: Double

    init(_ start: Double = 1_764_168_906) { time = start }

    var now: Double {
        lock.lock()
        defer { lock.unlock() }
        return time
    }

    func advance(_ seconds: Double) {
        lock.lock()
        time += seconds
        lock.unlock()
    }
}

/// A seeded cluster with a manual clock and helpers to call it like the HTTP front does.
struct TestCluster {
    let cluster: SimulatedCluster
    let clock: ManualClock

    init(extraGuests: Int = 0, taskSeconds: Double = 2) {
        let clock = ManualClock()
        self.clock = clock
        cluster = SimulatedCluster(options: ClusterOptions(extraGuests: extraGuests, taskSeconds: taskSeconds, seed: 42, clock: { clock.now }))
    }

    static let root = SimIdentity(userid: "root@pam")
    static let aliceToken = SimIdentity(userid: "alice@pve", tokenID: "auto", privilegeSeparated: true)
    static let alice = SimIdentity(userid: "alice@pve")

    /// Calls `METHOD template` with the path built from the template and the parameters.
    @discardableResult
    func call(_ method: String, _ template: String, _ params: [String: String] = [:], as identity: SimIdentity = root,
              upload: SimUpload? = nil) throws(SimError) -> JSON {
        var path = template
        for (key, value) in params { path = path.replacingOccurrences(of: "{\(key)}", with: value) }
        return try cluster.handle(SimRequest(method: method, path: path, template: template, params: params, identity: identity, upload: upload))
    }

    /// The error a call throws, or nil when it succeeds.
    func failure(_ method: String, _ template: String, _ params: [String: String] = [:], as identity: SimIdentity = root) -> SimError? {
        do {
            _ = try call(method, template, params, as: identity)
            return nil
        } catch {
            return error
        }
    }

    func status(_ kind: String, _ node: String, _ vmid: Int) throws -> JSON {
        try call("GET", "/nodes/{node}/\(kind)/{vmid}/status/current", ["node": node, "vmid": String(vmid)])
    }

    func taskStatus(_ upid: String) throws -> JSON {
        let node = String(upid.split(separator: ":")[1])
        return try call("GET", "/nodes/{node}/tasks/{upid}/status", ["node": node, "upid": upid])
    }

    func taskLog(_ upid: String) throws -> [String] {
        let node = String(upid.split(separator: ":")[1])
        let log = try call("GET", "/nodes/{node}/tasks/{upid}/log", ["node": node, "upid": upid, "limit": "0"])
        return (log.array ?? []).compactMap { $0["t"]?.string }
    }

    /// Moves the clock past a task's run time.
    func finishTasks() { clock.advance(3600) }
}
