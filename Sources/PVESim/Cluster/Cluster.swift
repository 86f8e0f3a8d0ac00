import PVESchema

/// Versions the simulated cluster reports.
enum SimVersion {
    static let version = "9.1.1"
    static let release = "9.1"
    static let repoid = "42db4a6cf33dac83"
    static let pveversion = "pve-manager/9.1.1/42db4a6cf33dac83"
    static let kernel = "6.14.11-4-pve"
    static let kversion = "Linux 6.14.11-4-pve #1 SMP PREEMPT_DYNAMIC PMX 6.14.11-4 (2025-10-10T08:04Z)"
    static let qemu = "9.2.0"
    static let machine = "pc-i440fx-9.2+pve1"
}

/// One row of `/cluster/resources` with what the type and permission filters need.
struct ResourceRow {
    enum Kind { case vm, node, storage, pool, sdn }
    let kind: Kind
    /// Permission path: `/vms/101`, `/nodes/pve1`, `/storage/local`, `/pool/prod`.
    let path: String
    let json: JSON
    /// `json` serialized once, so listing 10,000 guests copies bytes instead of serializing each time.
    let bytes: [UInt8]

    /// `json`'s members are put in `order`'s hash order for this row's path (see `PerlHashOrder`).
    init(kind: Kind, path: String, json: JSON, order: PerlHashOrder) {
        self.kind = kind
        self.path = path
        self.json = order.members(of: json, salt: PerlHashOrder.salt(path))
        bytes = self.json.serializedBytes(reservingCapacity: 512)
    }
}

/// The order of a Perl hash's keys, imitated. pveproxy writes its answers with
/// `to_json($data, {utf8 => 1, allow_nonref => 1})`, without `canonical`, so each object's members
/// come in that hash's own iteration order, which Perl randomizes per hash ("the exact same
/// series of operations on two hashes may result in a different order for each hash",
/// perlfunc `keys`); and `/cluster/resources` walks `keys %$idlist`, so guests come in no
/// particular order either (PVE::API2::Cluster, `resources`). The simulator's permutations are
/// seeded, so one simulator run answers the same way each time, like one pveproxy worker.
struct PerlHashOrder {
    let seed: UInt64

    /// A stable pseudo-random key for sorting things into "hash order".
    func rank(_ salt: UInt64) -> UInt64 {
        var generator = SeededRandom(seed: seed ^ (salt &* 0x9FB2_1C65_1E98_DF25))
        return generator.next()
    }

    /// `items` in the order of a hash keyed by `key` (`keys %$vmstatus`, `keys %$snaphash`): each
    /// item's rank is computed once.
    func ordered<Item>(_ items: some Sequence<Item>, by key: (Item) -> UInt64) -> [Item] {
        items.map { (rank(key($0)), $0) }.sorted { $0.0 < $1.0 }.map(\.1)
    }

    /// `json`'s members shuffled (an object; anything else as it is).
    func members(of json: JSON, salt: UInt64) -> JSON {
        guard case .object(var members) = json, members.count > 1 else { return json }
        var generator = SeededRandom(seed: rank(salt))
        for i in stride(from: members.count - 1, to: 0, by: -1) {
            members.swapAt(i, Int(generator.next() % UInt64(i + 1)))
        }
        return .object(members)
    }

    /// `json` with every object's members shuffled, each object by its own permutation (salted by
    /// its place in the answer), arrays kept in their order: what `to_json` makes of an answer.
    func everyObject(in json: JSON, salt: UInt64) -> JSON {
        switch json {
        case .object(let members):
            let nested = members.map { key, value in (key, everyObject(in: value, salt: PerlHashOrder.salt(key, after: salt))) }
            return self.members(of: .object(nested), salt: salt)
        case .array(let items):
            return .array(items.enumerated().map { place, item in everyObject(in: item, salt: salt &* 31 &+ UInt64(place) &+ 1) })
        default:
            return json
        }
    }

    /// FNV-1a of `text`: a salt per row path.
    static func salt(_ text: String, after previous: UInt64 = 0xCBF2_9CE4_8422_2325) -> UInt64 {
        text.utf8.reduce(previous) { ($0 ^ UInt64($1)) &* 0x100_0000_01B3 }
    }
}

extension ClusterState {
    // MARK: Guest figures shared by listings

    func uptime(_ guest: Guest) -> Int64 { guest.isRunning ? Int64(max(0, now - guest.startedAt)) : 0 }

    func cpuUsage(_ guest: Guest) -> Double {
        guard guest.power == .running else { return 0 }
        return (0.01 + 0.25 * unit(guest.vmid)) * (0.6 + 0.8 * wave(guest.vmid))
    }

    func memUsage(_ guest: Guest) -> Int64 {
        guard guest.isRunning else { return 0 }
        return Int64(Double(guest.maxmem) * (0.2 + 0.55 * unit(guest.vmid &* 7)))
    }

    /// Bytes used in a container's root disk of `maxdisk` bytes (`guest.maxdisk` when not given); 0 for VMs.
    func diskUsage(_ guest: Guest, maxdisk: Int64? = nil) -> Int64 {
        guard guest.kind == .lxc else { return 0 }
        return Int64(Double(maxdisk ?? guest.maxdisk) * (0.1 + 0.6 * unit(guest.vmid &* 13)))
    }

    func netCounters(_ guest: Guest) -> (netin: Int64, netout: Int64, read: Int64, write: Int64) {
        let up = Double(uptime(guest))
        let rate = 2_000 + 60_000 * unit(guest.vmid &* 3)
        return (Int64(up * rate), Int64(up * rate * 0.6), Int64(up * rate * 1.7), Int64(up * rate * 0.9))
    }

    func haState(_ guest: Guest) -> String? { haStates()[guest.vmid] }

    /// Requested HA state by VMID (HA resources are few; listings look this up once).
    func haStates() -> [Int: String] {
        var states: [Int: String] = [:]
        for resource in haResources {
            guard let vmid = resource.sid.split(separator: ":").last.flatMap({ Int($0) }) else { continue }
            states[vmid] = resource.fields["state"] ?? "started"
        }
        return states
    }

    func resourceRow(_ guest: Guest, haStates: [Int: String]? = nil) -> JSON {
        let counters = netCounters(guest)
        let maxdisk = guest.maxdisk
        var row: [(String, JSON)] = [
            ("id", .string("\(guest.kind.rawValue)/\(guest.vmid)")), ("type", .string(guest.kind.rawValue)),
            ("vmid", .int(Int64(guest.vmid))), ("name", .string(guest.name)), ("node", .string(guest.node)),
            ("status", .string(guest.isRunning ? "running" : "stopped")), ("template", .int(guest.isTemplate ? 1 : 0)),
            ("cpu", .double(cpuUsage(guest))), ("maxcpu", .int(Int64(guest.maxcpu))),
            ("mem", .int(memUsage(guest))), ("maxmem", .int(guest.maxmem)),
            ("disk", .int(diskUsage(guest, maxdisk: maxdisk))), ("maxdisk", .int(maxdisk)), ("uptime", .int(uptime(guest))),
            ("netin", .int(counters.netin)), ("netout", .int(counters.netout)),
            ("diskread", .int(counters.read)), ("diskwrite", .int(counters.write)),
        ]
        if !guest.tags.isEmpty { row.append(("tags", .string(guest.tags))) }
        if let pool = guest.pool { row.append(("pool", .string(pool))) }
        if let lock = guest.lock { row.append(("lock", .string(lock))) }
        if let ha = (haStates ?? self.haStates())[guest.vmid] { row.append(("hastate", .string(ha))) }
        return .object(row)
    }

    // MARK: /cluster/resources

    private func buildResources() -> [ResourceRow] {
        let order = PerlHashOrder(seed: options.seed)
        var rows: [ResourceRow] = []
        rows.reserveCapacity(guests.count + 32)
        for node in nodes {
            rows.append(ResourceRow(kind: .node, path: "/nodes/\(node.name)", json: nodeSummary(node, asResource: true), order: order))
        }
        // `storage_ids` is `keys %{$cfg->{ids}}`: storages in hash order as well.
        for storage in order.ordered(storages, by: { PerlHashOrder.salt($0.id) }) {
            for node in nodes where storage.available(on: node.name) {
                let used = self.used(storage, node: node.name)
                var row: [(String, JSON)] = [
                    ("id", .string("storage/\(node.name)/\(storage.id)")), ("type", "storage"), ("storage", .string(storage.id)),
                    ("node", .string(node.name)), ("status", "available"), ("plugintype", .string(storage.type)),
                    ("content", .string(storage.content.joined(separator: ","))), ("shared", .int(storage.shared ? 1 : 0)),
                    ("disk", .int(used)), ("maxdisk", .int(storage.total)),
                ]
                if let pool = pools.first(where: { $0.value.storages.contains(storage.id) })?.key { row.append(("pool", .string(pool))) }
                rows.append(ResourceRow(kind: .storage, path: "/storage/\(storage.id)", json: .object(row), order: order))
            }
        }
        let ha = haStates()
        for vmid in order.ordered(guests.keys, by: UInt64.init) {
            guard let guest = guests[vmid] else { continue }
            rows.append(ResourceRow(kind: .vm, path: "/vms/\(vmid)", json: resourceRow(guest, haStates: ha), order: order))
        }
        for name in pools.keys.sorted() {
            rows.append(ResourceRow(kind: .pool, path: "/pool/\(name)", json: .object([("id", .string("pool/\(name)")), ("type", "pool"), ("pool", .string(name))]), order: order))
        }
        for node in nodes {
            rows.append(ResourceRow(kind: .sdn, path: "/sdn/zones/localnetwork", json: .object([
                ("id", .string("sdn/\(node.name)/localnetwork")), ("type", "sdn"), ("sdn", "localnetwork"),
                ("node", .string(node.name)), ("status", "ok"),
            ]), order: order))
        }
        return rows
    }

    /// The rows, rebuilt when the state changed or after two seconds (usage figures move).
    func resources() -> [ResourceRow] {
        let time = now
        if let cache = resourcesCache, cache.generation == generation, time - cache.time < 2 { return cache.rows }
        let rows = buildResources()
        resourcesCache = (generation, time, rows)
        return rows
    }

    func clusterResources(_ call: Call) throws(SimError) -> JSON {
        .array(try visibleResources(call).map(\.json))
    }

    /// `clusterResources` serialized into `body` from the rows' cached bytes.
    func writeClusterResources(_ call: Call, into body: inout [UInt8]) throws(SimError) {
        let rows = try visibleResources(call)
        body.reserveCapacity(body.count + rows.reduce(2) { $0 + $1.bytes.count + 1 })
        body.append(UInt8(ascii: "["))
        for (index, row) in rows.enumerated() {
            if index > 0 { body.append(UInt8(ascii: ",")) }
            body.append(contentsOf: row.bytes)
        }
        body.append(UInt8(ascii: "]"))
    }

    /// The rows of `/cluster/resources` of the requested type that the caller may see.
    private func visibleResources(_ call: Call) throws(SimError) -> [ResourceRow] {
        let filter: ResourceRow.Kind?
        switch call.optionalString("type") {
        case nil: filter = nil
        case "vm": filter = .vm
        case "node": filter = .node
        case "storage": filter = .storage
        case "sdn": filter = .sdn
        case let other?: throw .parameters(["type": "value '\(other)' does not have a value in the enumeration 'vm, storage, node, sdn'"])
        }
        let root = isRoot(call.identity)
        var out: [ResourceRow] = []
        let rows = resources()
        out.reserveCapacity(rows.count)
        for row in rows {
            if let filter, row.kind != filter { continue }
            if !root {
                switch row.kind {
                case .vm: if !has(call.identity, "VM.Audit", on: row.path) { continue }
                case .storage:
                    if !has(call.identity, "Datastore.Audit", on: row.path), !has(call.identity, "Datastore.AllocateSpace", on: row.path) { continue }
                case .pool: if !has(call.identity, "Pool.Audit", on: row.path) { continue }
                case .node, .sdn: break
                }
            }
            out.append(row)
        }
        return out
    }

    // MARK: /cluster/status, /cluster/nextid, /version

    func clusterStatus(_ call: Call) throws(SimError) -> JSON {
        var rows: [JSON] = [.object([
            ("id", "cluster"), ("type", "cluster"), ("name", "home"), ("nodes", .int(Int64(nodes.count))),
            ("quorate", .int(nodes.filter(\.online).count * 2 > nodes.count ? 1 : 0)), ("version", 7),
        ])]
        for node in nodes {
            rows.append(.object([
                ("id", .string("node/\(node.name)")), ("type", "node"), ("name", .string(node.name)), ("nodeid", .int(Int64(node.id))),
                ("ip", .string(node.ip)), ("local", .int(node.name == "pve1" ? 1 : 0)), ("online", .int(node.online ? 1 : 0)), ("level", ""),
            ]))
        }
        return .array(rows)
    }

    func nextID(_ call: Call) throws(SimError) -> JSON {
        if let wanted = try call.optionalInt("vmid") {
            if guests[wanted] != nil { throw .parameters(["vmid": "VM \(wanted) already exists"]) }
            return .string(String(wanted))
        }
        var id = 100
        while guests[id] != nil { id += 1 }
        return .string(String(id))
    }

    func version(_ call: Call) throws(SimError) -> JSON {
        .object([("version", .string(SimVersion.version)), ("release", .string(SimVersion.release)), ("repoid", .string(SimVersion.repoid))])
    }

    func clusterIndex(_ call: Call) throws(SimError) -> JSON {
        .array(["backup", "firewall", "ha", "nextid", "resources", "status", "tasks"].map { .object([("name", .string($0))]) })
    }
}

extension Routes {
    static let clusterRoutes: [Route] = [
        Route("GET", "/version", .any) { s, c throws(SimError) in try s.version(c) },
        Route("GET", "/cluster", .any) { s, c throws(SimError) in try s.clusterIndex(c) },
        Route("GET", "/cluster/resources", .any, writer: { s, c, body throws(SimError) in try s.writeClusterResources(c, into: &body) }) {
            s, c throws(SimError) in try s.clusterResources(c)
        },
        Route("GET", "/cluster/status", .rootPath("Sys.Audit")) { s, c throws(SimError) in try s.clusterStatus(c) },
        Route("GET", "/cluster/nextid", .any) { s, c throws(SimError) in try s.nextID(c) },
    ]
}
