import Foundation
import PVESchema

struct Group: Sendable {
    var comment: String?
}

struct Role: Sendable {
    var privs: [String]
    var special: Bool
}

/// Everything the cluster knows. Only touched under `SimulatedCluster`'s lock.
final class ClusterState {
    let options: ClusterOptions
    var nodes: [NodeInfo] = []
    var storages: [StorageDef] = []
    /// Volumes by `storage@node` (local storages) or `storage` (shared ones).
    var volumes: [String: [Volume]] = [:]
    var guests: [Int: Guest] = [:]
    var users: [String: User] = [:]
    var groups: [String: Group] = [:]
    var roles: [String: Role] = [:]
    var acl: [ACLEntry] = []
    var pools: [String: Pool] = [:]
    var backupJobs: [BackupJob] = []
    var haResources: [HAResource] = []
    var haGroups: [String: [String: String]] = [:]
    var haRules: [String: [String: String]] = [:]
    var clusterFirewall = FirewallScope(options: ["enable": "1", "policy_in": "DROP", "policy_out": "ACCEPT"])
    var tasks: [SimTask] = []
    /// Indices into `tasks` of the ones still running.
    var runningTasks: [Int] = []
    var random: SeededRandom
    var nextPid = 0x1_2000
    /// Bumped on every change; caches compare it.
    var generation = 0
    var resourcesCache: (generation: Int, time: Double, rows: [ResourceRow])?

    init(options: ClusterOptions) {
        self.options = options
        random = SeededRandom(seed: options.seed)
        Seed.populate(self)
    }

    var now: Double { options.clock() }
    var nowInt: Int { Int(now) }

    func changed() { generation &+= 1 }

    func node(named name: String) -> NodeInfo? { nodes.first { $0.name == name } }
    func nodeIndex(_ name: String) -> Int? { nodes.firstIndex { $0.name == name } }

    func storage(_ id: String) -> StorageDef? { storages.first { $0.id == id } }

    /// The guest at `/nodes/{node}/{kind}/{vmid}`, with PVE's error when its config file is not on that node.
    func guest(_ call: Call, _ kind: GuestKind) throws(SimError) -> Guest {
        let vmid = try call.vmid()
        guard let guest = guests[vmid], guest.kind == kind, guest.node == call.node else {
            throw .failed("Configuration file 'nodes/\(call.node)/\(kind.configDir)/\(vmid).conf' does not exist")
        }
        return guest
    }

    /// Applies `change` to a guest that must still exist (task completions check this).
    func updateGuest(_ vmid: Int, _ change: (inout Guest) -> Void) {
        guard var guest = guests[vmid] else { return }
        change(&guest)
        guests[vmid] = guest
        changed()
    }

    /// Rejects operations on a locked guest the way PVE does.
    func checkNotLocked(_ guest: Guest, _ call: Call) throws(SimError) {
        if let lock = guest.lock, !call.bool("skiplock") {
            throw .failed("\(guest.kind.label) is locked (\(lock))")
        }
    }

    // MARK: Volumes

    func volumeKey(_ storage: StorageDef, node: String) -> String { storage.shared ? storage.id : "\(storage.id)@\(node)" }

    func volumes(of storage: StorageDef, node: String) -> [Volume] { volumes[volumeKey(storage, node: node)] ?? [] }

    func findVolume(_ volid: String, node: String) -> Volume? {
        guard let storageID = volid.split(separator: ":", maxSplits: 1).first, let storage = storage(String(storageID)) else { return nil }
        return volumes(of: storage, node: node).first { $0.volid == volid }
    }

    func addVolume(_ volume: Volume, node: String) {
        guard let storageID = volume.volid.split(separator: ":", maxSplits: 1).first, let storage = storage(String(storageID)) else { return }
        volumes[volumeKey(storage, node: node), default: []].append(volume)
    }

    @discardableResult
    func removeVolume(_ volid: String, node: String) -> Volume? {
        guard let storageID = volid.split(separator: ":", maxSplits: 1).first, let storage = storage(String(storageID)) else { return nil }
        let key = volumeKey(storage, node: node)
        guard let index = volumes[key]?.firstIndex(where: { $0.volid == volid }) else { return nil }
        return volumes[key]?.remove(at: index)
    }

    func used(_ storage: StorageDef, node: String) -> Int64 {
        let base = Int64(Double(storage.total) * 0.08)
        return volumes(of: storage, node: node).reduce(base) { $0 + $1.size }
    }

    // MARK: Usage figures (stable per guest, moving slowly with time)

    func wave(_ key: Int, period: Double = 300) -> Double {
        let phase = SeededRandom.unit(UInt64(truncatingIfNeeded: key), seed: options.seed) * 6.283
        let t = now / period
        return 0.5 + 0.5 * sin(t + phase)
    }

    func unit(_ key: Int) -> Double { SeededRandom.unit(UInt64(truncatingIfNeeded: key), seed: options.seed) }
}
