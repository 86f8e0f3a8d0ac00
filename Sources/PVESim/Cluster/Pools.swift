import PVESchema

extension ClusterState {
    private func poolMembers(_ pool: Pool, type: String?, identity: SimIdentity) -> [JSON] {
        var members: [JSON] = []
        if type == nil || type == "qemu" || type == "lxc" {
            for vmid in pool.vmids.sorted() {
                guard let guest = guests[vmid], type == nil || guest.kind.rawValue == type, canAudit(identity, vmid: vmid) else { continue }
                members.append(resourceRow(guest))
            }
        }
        if type == nil || type == "storage" {
            for id in pool.storages.sorted() {
                guard let storage = storage(id) else { continue }
                for node in nodes where storage.available(on: node.name) {
                    members.append(.object([
                        ("id", .string("storage/\(node.name)/\(id)")), ("type", "storage"), ("storage", .string(id)), ("node", .string(node.name)),
                        ("status", "available"), ("plugintype", .string(storage.type)), ("content", .string(storage.content.joined(separator: ","))),
                        ("shared", .int(storage.shared ? 1 : 0)), ("disk", .int(used(storage, node: node.name))), ("maxdisk", .int(storage.total)),
                    ]))
                    if storage.shared { break }
                }
            }
        }
        return members
    }

    private func existingPool(_ call: Call) throws(SimError) -> (String, Pool) {
        let id = try call.string("poolid")
        guard let pool = pools[id] else { throw .failed("pool '\(id)' does not exist") }
        return (id, pool)
    }

    /// `GET /pools`: all pools the caller may audit; with `poolid`, that pool with its members.
    func listPools(_ call: Call) throws(SimError) -> JSON {
        let wanted = call.optionalString("poolid")
        if let wanted, pools[wanted] == nil { throw .failed("pool '\(wanted)' does not exist") }
        return .array(pools.keys.sorted().compactMap { id in
            guard let pool = pools[id], wanted == nil || wanted == id, has(call.identity, "Pool.Audit", on: "/pool/\(id)") else { return nil }
            var row: [(String, JSON)] = [("poolid", .string(id))]
            if let comment = pool.comment { row.append(("comment", .string(comment))) }
            if wanted != nil { row.append(("members", .array(poolMembers(pool, type: call.optionalString("type"), identity: call.identity)))) }
            return .object(row)
        })
    }

    /// `GET /pools/{poolid}` (deprecated path, still served).
    func getPool(_ call: Call) throws(SimError) -> JSON {
        let (_, pool) = try existingPool(call)
        var row: [(String, JSON)] = [("members", .array(poolMembers(pool, type: call.optionalString("type"), identity: call.identity)))]
        if let comment = pool.comment { row.append(("comment", .string(comment))) }
        return .object(row)
    }

    func createPool(_ call: Call) throws(SimError) -> JSON {
        let id = try call.string("poolid")
        guard id.first?.isLetter == true, id.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "/" }) else {
            throw .parameters(["poolid": "invalid pool ID '\(id)'"])
        }
        if pools[id] != nil { throw .failed("pool '\(id)' already exists") }
        pools[id] = Pool(comment: call.optionalString("comment"))
        return .null
    }

    func updatePool(_ call: Call) throws(SimError) -> JSON {
        var (id, pool) = try existingPool(call)
        if call.has("comment") { pool.comment = call.optionalString("comment") }
        let remove = call.bool("delete")
        let allowMove = call.bool("allow-move")
        let vmids = try (call.optionalString("vms") ?? "").split(whereSeparator: { $0 == "," || $0 == ";" || $0 == " " }).map { text throws(SimError) -> Int in
            guard let vmid = Int(text) else { throw .parameters(["vms": "invalid VMID '\(text)'"]) }
            return vmid
        }
        let storageIDs = (call.optionalString("storage") ?? "").split(whereSeparator: { $0 == "," || $0 == ";" || $0 == " " }).map(String.init)
        var moves: [(vmid: Int, from: String)] = []
        for vmid in vmids {
            guard let guest = guests[vmid] else { throw .failed("no such VMID '\(vmid)'") }
            if remove {
                guard pool.vmids.contains(vmid) else { throw .failed("VM \(vmid) is not a pool member") }
            } else if let current = guest.pool, current != id {
                guard allowMove else { throw .failed("VM \(vmid) belongs already to pool '\(current)'") }
                moves.append((vmid, current))
            }
        }
        for storageID in storageIDs {
            guard storage(storageID) != nil else { throw .failed("no such storage '\(storageID)'") }
            if remove, !pool.storages.contains(storageID) { throw .failed("storage '\(storageID)' is not a pool member") }
        }
        for (vmid, from) in moves { pools[from]?.vmids.removeAll { $0 == vmid } }
        for vmid in vmids {
            if remove {
                pool.vmids.removeAll { $0 == vmid }
                guests[vmid]?.pool = nil
            } else {
                if !pool.vmids.contains(vmid) { pool.vmids.append(vmid) }
                guests[vmid]?.pool = id
            }
        }
        for storageID in storageIDs {
            if remove { pool.storages.removeAll { $0 == storageID } } else if !pool.storages.contains(storageID) { pool.storages.append(storageID) }
        }
        pools[id] = pool
        return .null
    }

    func deletePool(_ call: Call) throws(SimError) -> JSON {
        let (id, pool) = try existingPool(call)
        guard pool.vmids.isEmpty && pool.storages.isEmpty else { throw .failed("delete pool failed: pool '\(id)' is not empty") }
        pools[id] = nil
        acl.removeAll { $0.path == "/pool/\(id)" }
        return .null
    }
}

extension Routes {
    static let poolRoutes: [Route] = [
        Route("GET", "/pools", .any, rowsInHashOrderBy: "poolid") { s, c throws(SimError) in try s.listPools(c) },
        Route("POST", "/pools", .perm("/pool/{poolid}", ["Pool.Allocate"], any: false)) { s, c throws(SimError) in try s.createPool(c) },
        Route("PUT", "/pools", .perm("/pool/{poolid}", ["Pool.Allocate"], any: false)) { s, c throws(SimError) in try s.updatePool(c) },
        Route("DELETE", "/pools", .perm("/pool/{poolid}", ["Pool.Allocate"], any: false)) { s, c throws(SimError) in try s.deletePool(c) },
        Route("GET", "/pools/{poolid}", .perm("/pool/{poolid}", ["Pool.Audit"], any: false)) { s, c throws(SimError) in try s.getPool(c) },
        Route("PUT", "/pools/{poolid}", .perm("/pool/{poolid}", ["Pool.Allocate"], any: false)) { s, c throws(SimError) in try s.updatePool(c) },
        Route("DELETE", "/pools/{poolid}", .perm("/pool/{poolid}", ["Pool.Allocate"], any: false)) { s, c throws(SimError) in try s.deletePool(c) },
    ]
}
