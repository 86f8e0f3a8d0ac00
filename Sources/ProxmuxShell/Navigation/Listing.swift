import ProxmoxAPI
import PVESchema

/// What `ls` shows for each place in the tree. Every listing is one API request; guest listings
/// always read `/cluster/resources?type=vm` (one request whatever the cluster size).
enum Listing {
    static func guestColumns(long: Bool) -> [Table.Column] {
        var columns: [Table.Column] = [
            .init("vmid", "vmid"), .init("name", "name"), .init("type", "type"), .init("node", "node"),
            .init("status", "status", format: .state), .init("cpu", "cpu", format: .percent),
            .init("mem", "mem", format: .bytes),
        ]
        if long { columns += [.init("maxmem", "maxmem", format: .bytes), .init("maxcpu", "cores"), .init("disk", "disk", format: .bytes), .init("maxdisk", "maxdisk", format: .bytes)] }
        columns.append(.init("uptime", "uptime", format: .duration))
        if long { columns += [.init("pool", "pool"), .init("lock", "lock"), .init("netin", "netin", format: .bytes), .init("netout", "netout", format: .bytes)] }
        columns.append(.init("tags", "tags"))
        return columns
    }

    /// Guests from one resources read, optionally filtered, sorted by vmid. The answer is indexed,
    /// not decoded: only the shown fields of each row are ever read (see `JSONRows`).
    static func guests(_ api: APIBackend, node: String?, kind: GuestKind?, long: Bool) throws -> Table {
        let columns = guestColumns(long: long)
        // The first three indexed keys decide the order (vmid, first: see `sortedByFirstKey`)
        // and the filter.
        let (nodeKey, typeKey) = (1, 2)
        let all = try api.rows("/cluster/resources", [("type", "vm")], keys: ["vmid", "node", "type"] + columns.map(\.key))
        let selected = node == nil && kind == nil ? all : all.filter { row in
            (node == nil || all.value(row, key: nodeKey)?.string == node)
                && (kind == nil || all.value(row, key: typeKey)?.string == kind?.rawValue)
        }
        // An empty listing of a node may be a typo: say so rather than print an empty table.
        if let node, selected.isEmpty { try requireNode(node, api) }
        return Table(columns: columns, rows: selected.sortedByFirstKey())
    }

    /// A read below `/nodes/NODE`; when it fails, a node that does not exist is named as the reason
    /// (PVE itself answers with a hostname lookup error).
    static func readingNode(_ node: String, _ api: () throws -> APIBackend, _ read: (APIBackend) throws -> JSON) throws -> JSON {
        try reading(api, explainedBy: { try requireNode(node, $0) }, read)
    }

    /// `read`; when it fails, `explain` runs first, to fail with the real reason (a node or pool
    /// that does not exist), else the read's own error is thrown.
    static func reading(_ api: () throws -> APIBackend, explainedBy explain: (APIBackend) throws -> Void,
                        _ read: (APIBackend) throws -> JSON) throws -> JSON {
        let backend = try api()
        do {
            return try read(backend)
        } catch {
            try explain(backend)
            throw error
        }
    }

    /// Fails with the cluster's node names unless `node` is one of them (one small request).
    static func requireNode(_ node: String, _ api: APIBackend) throws {
        let names = try api.clusterSnapshot(type: "node").nodeNames
        guard names.contains(node) else { throw ShellError("no node '\(node)' (nodes: \(names.joined(separator: ", ")))") }
    }

    /// Fails with the cluster's pool names unless `id` is one of them (one small request).
    static func requirePool(_ id: String, _ api: APIBackend) throws {
        let pools = (try api.get("/pools").array ?? []).compactMap { $0["poolid"]?.string }.sorted()
        guard pools.contains(id) else { throw ShellError("no pool '\(id)' (pools: \(pools.joined(separator: ", ")))") }
    }

    /// The error for a storage id the cluster does not have, naming those it has.
    static func unknownStorage(_ id: String, _ snapshot: ClusterSnapshot) -> ShellError {
        ShellError("no storage '\(id)' (storages: \(snapshot.storageIDs.joined(separator: ", ")))")
    }

    static func nodes(_ api: APIBackend, long: Bool) throws -> Table {
        // The snapshot keeps nodes by name, whatever the server's order.
        let rows = try api.clusterSnapshot(type: "node").nodes.map(\.raw)
        var columns: [Table.Column] = [
            .init("node", "node"), .init("status", "status", format: .state), .init("cpu", "cpu", format: .percent),
            .init("mem", "mem", format: .bytes), .init("maxmem", "maxmem", format: .bytes), .init("uptime", "uptime", format: .duration),
        ]
        if long { columns += [.init("maxcpu", "cores"), .init("disk", "disk", format: .bytes), .init("maxdisk", "maxdisk", format: .bytes), .init("level", "level")] }
        return Table(columns: columns, rows: rows)
    }

    static func storages(_ api: APIBackend, node: String?, long: Bool) throws -> Table {
        // The snapshot keeps storages by id and node, whatever the server's order.
        var storages = try api.clusterSnapshot(type: "storage").storages
        if let node {
            storages = storages.filter { $0.node == node }
            if storages.isEmpty { try requireNode(node, api) }
        }
        let rows = storages.map(storageRow)
        var columns: [Table.Column] = [
            .init("storage", "storage"), .init("node", "node"), .init("plugintype", "type"), .init("status", "status", format: .state),
            .init("disk", "used", format: .bytes), .init("maxdisk", "total", format: .bytes), .init("usage", "use%", format: .percent),
        ]
        if long { columns += [.init("content", "content"), .init("shared", "shared", format: .flag)] }
        return Table(columns: columns, rows: rows)
    }

    static func names(_ entries: [(String, String)]) -> Table {
        Table(columns: [.init("name", "name"), .init("description", "description")],
              rows: entries.map { JSON.object([("name", .string($0.0)), ("description", .string($0.1))]) })
    }

    static func tasks(_ rows: JSON) -> Table {
        Table(columns: [
            .init("starttime", "started", format: .timestamp), .init("node", "node"), .init("type", "type"), .init("id", "id"),
            .init("user", "user"), .init("status", "status", format: .state), .init("endtime", "ended", format: .timestamp),
        ], rows: rows.array ?? [])
    }

    /// A storage's resource row with its `usage` (used / total, null when the total is unknown).
    static func storageRow(_ storage: ClusterResource) -> JSON {
        let used = Double(storage.disk ?? 0), total = Double(storage.maxdisk ?? 0)
        return storage.raw.setting("usage", to: total > 0 ? .double(used / total) : .null)
    }

    /// The rows of a listing answer ordered by the text of `key` (numbered names in number order;
    /// ties keep the server's order). PVE lists users, pools, storages, HA resources and more by
    /// walking a hash, in an order of its own (see the simulator's `PerlHashOrder`).
    static func byKey(_ key: String, _ answer: JSON) -> [JSON] {
        let rows = answer.array ?? []
        let keys = rows.map { row in
            let text = row[key].map { $0.string ?? Humanize.cell($0, .plain) } ?? ""
            return (KeyOrder.collationKey(text), text)
        }
        return rows.indices.sorted { a, b in
            KeyOrder.precedes(keys[a], keys[b]) || (!KeyOrder.precedes(keys[b], keys[a]) && a < b)
        }.map { rows[$0] }
    }

    /// A table whose columns are the union of the rows' keys, sorted (for raw API answers; see `KeyOrder`).
    static func generic(_ rows: [JSON]) -> Table {
        var keys: [String] = []
        var seen = Set<String>()
        for row in rows.prefix(200) {
            for (key, _) in row.object ?? [] where seen.insert(key).inserted { keys.append(key) }
        }
        return Table(columns: KeyOrder.sorted(keys).map { Table.Column($0, $0) }, rows: rows)
    }

    /// The `ls` output for a place.
    static func list(_ path: VirtualPath, api: () throws -> APIBackend, long: Bool) throws -> CommandOutput {
        switch path {
        case .root:
            return .table(names([
                ("nodes", "cluster nodes"), ("vms", "all guests (VMs and containers)"), ("cts", "containers"),
                ("storage", "storages"), ("pools", "resource pools"), ("tasks", "recent tasks"), ("access", "users, groups, roles, ACLs"),
            ]))
        case .nodes: return .table(try nodes(api(), long: long))
        case .node(let node):
            try requireNode(node, api())
            return .table(names(VirtualPath.NodeSection.allCases.map { ($0.rawValue, nodeSectionHelp($0, node)) }))
        case .nodeSection(let node, let section):
            switch section {
            case .vms: return .table(try guests(api(), node: node, kind: nil, long: long))
            case .cts: return .table(try guests(api(), node: node, kind: .container, long: long))
            case .storage: return .table(try storages(api(), node: node, long: long))
            case .tasks: return .table(tasks(try readingNode(node, api) { try $0.get("/nodes/\(node)/tasks") }))
            case .disks:
                return .table(Table(columns: [
                    .init("devpath", "device"), .init("type", "type"), .init("size", "size", format: .bytes),
                    .init("model", "model"), .init("used", "used"), .init("health", "health"),
                ], rows: byKey("devpath", try readingNode(node, api) { try $0.get("/nodes/\(node)/disks/list") })))
            case .network:
                return .table(Table(columns: [
                    .init("iface", "iface"), .init("type", "type"), .init("active", "active", format: .flag), .init("cidr", "cidr"),
                    .init("gateway", "gateway"), .init("bridge_ports", "ports"), .init("autostart", "autostart", format: .flag),
                ], rows: byKey("iface", try readingNode(node, api) { try $0.get("/nodes/\(node)/network") })))
            }
        case .guest(let node, let vmid):
            let guest = try TargetResolver(guests: try api().clusterSnapshot(type: "vm").guests).resolveOne(String(vmid))
            guard guest.node == node else { throw ShellError("\(guest.label): it is no longer on \(node)") }
            return .record(KeyOrder.sorted(try api().get(guest.apiPath + "/config")))
        case .allGuests(let kind): return .table(try guests(api(), node: nil, kind: kind, long: long))
        case .storages: return .table(try storages(api(), node: nil, long: long))
        case .storage(let id):
            // A node where the storage is available, the first by name (the snapshot's order).
            let snapshot = try api().clusterSnapshot(type: "storage")
            let storages = snapshot.storages
            guard let row = storages.first(where: { $0.storage == id && $0.status == "available" })
                ?? storages.first(where: { $0.storage == id }), let node = row.node else {
                throw unknownStorage(id, snapshot)
            }
            return .table(Table(columns: [
                .init("volid", "volume"), .init("content", "content"), .init("format", "format"), .init("size", "size", format: .bytes),
                .init("vmid", "vmid"), .init("ctime", "created", format: .timestamp),
            ], rows: byKey("volid", try api().get("/nodes/\(node)/storage/\(id)/content"))))
        case .pools:
            return .table(Table(columns: [.init("poolid", "pool"), .init("comment", "comment")], rows: byKey("poolid", try api().get("/pools"))))
        case .pool(let id):
            // PVE answers a missing pool with a 500: the pools are named instead.
            let pool = try reading(api, explainedBy: { try requirePool(id, $0) }) { try $0.get("/pools/\(id)") }
            return .table(Table(columns: [
                .init("id", "id"), .init("type", "type"), .init("name", "name"), .init("node", "node"), .init("status", "status", format: .state),
            ], rows: byKey("id", pool["members"] ?? .null)))
        case .tasks: return .table(tasks(try api().get("/cluster/tasks")))
        case .access:
            return .table(names(VirtualPath.AccessSection.allCases.map { ($0.rawValue, accessSectionHelp($0)) }))
        case .accessSection(let section):
            switch section {
            case .users:
                return .table(Table(columns: [.init("userid", "user"), .init("enable", "enabled", format: .flag), .init("expire", "expires", format: .timestamp), .init("firstname", "first"), .init("lastname", "last"), .init("email", "email")], rows: byKey("userid", try api().get("/access/users"))))
            case .groups:
                return .table(Table(columns: [.init("groupid", "group"), .init("users", "users"), .init("comment", "comment")], rows: byKey("groupid", try api().get("/access/groups"))))
            case .roles:
                var columns: [Table.Column] = [.init("roleid", "role"), .init("special", "builtin", format: .flag)]
                if long { columns.append(.init("privs", "privileges")) }
                return .table(Table(columns: columns, rows: byKey("roleid", try api().get("/access/roles"))))
            case .acl:
                return .table(Table(columns: [.init("path", "path"), .init("type", "type"), .init("ugid", "user/group"), .init("roleid", "role"), .init("propagate", "propagate", format: .flag)], rows: byKey("path", try api().get("/access/acl"))))
            }
        }
    }

    static func accessSectionHelp(_ section: VirtualPath.AccessSection) -> String {
        switch section {
        case .users: return "users and their API tokens"
        case .groups: return "user groups"
        case .roles: return "roles and their privileges (ls -l)"
        case .acl: return "who holds which role where"
        }
    }

    static func nodeSectionHelp(_ section: VirtualPath.NodeSection, _ node: String) -> String {
        switch section {
        case .vms: return "guests on \(node)"
        case .cts: return "containers on \(node)"
        case .storage: return "storages on \(node)"
        case .tasks: return "tasks of \(node)"
        case .disks: return "physical disks"
        case .network: return "network interfaces"
        }
    }
}
