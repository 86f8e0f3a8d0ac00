import PVESchema

extension ClusterState {
    func listSnapshots(_ call: Call, _ kind: GuestKind) throws(SimError) -> JSON {
        let guest = try guest(call, kind)
        // PVE walks `keys %$snaphash` and adds `current` last: snapshots in hash order.
        let inHashOrder = PerlHashOrder(seed: options.seed).ordered(guest.snapshots) { PerlHashOrder.salt($0.name) }
        var rows: [JSON] = inHashOrder.map { snapshot in
            var row: [(String, JSON)] = [("name", .string(snapshot.name)), ("description", .string(snapshot.description)),
                                         ("snaptime", .int(Int64(snapshot.snaptime)))]
            if let parent = snapshot.parent { row.append(("parent", .string(parent))) }
            if kind == .qemu { row.append(("vmstate", .int(snapshot.vmstate ? 1 : 0))) }
            return .object(row)
        }
        var current: [(String, JSON)] = [("name", "current"), ("description", "You are here!"), ("running", .int(guest.isRunning ? 1 : 0)),
                                         ("digest", .string(guest.digest))]
        if let parent = guest.config["parent"] { current.append(("parent", .string(parent))) }
        rows.append(.object(current))
        return .array(rows)
    }

    private func snapshot(_ guest: Guest, _ call: Call) throws(SimError) -> Snapshot {
        let name = try call.string("snapname")
        guard let snapshot = guest.snapshots.first(where: { $0.name == name }) else { throw .failed("snapshot '\(name)' does not exist") }
        return snapshot
    }

    /// Why a guest's disks cannot be snapshotted (raw files on directory storages), or nil.
    private func snapshotBlocker(_ guest: Guest) -> String? {
        for (key, value) in guest.config where GuestDisks.isDiskKey(key, kind: guest.kind) && !key.hasPrefix("unused") && !GuestDisks.isCdrom(value) {
            let volid = GuestDisks.volid(of: value)
            guard let storage = storage(String(volid.split(separator: ":").first ?? "")) else { continue }
            let format = findVolume(volid, node: guest.node)?.format ?? "raw"
            if ["dir", "nfs", "cifs"].contains(storage.type) && format != "qcow2" {
                return "snapshot feature for '\(volid)' is not available"
            }
        }
        return nil
    }

    func createSnapshot(_ call: Call, _ kind: GuestKind) throws(SimError) -> JSON {
        let guest = try guest(call, kind)
        let name = try call.string("snapname")
        if name == "current" { throw .failed("snapshot name 'current' is reserved") }
        if guest.snapshots.contains(where: { $0.name == name }) { throw .failed("snapshot name '\(name)' already used") }
        if guest.isTemplate { throw .failed("you can't snapshot a template") }
        try checkNotLocked(guest, call)
        if let blocker = snapshotBlocker(guest) { throw .failed(blocker) }
        let vmstate = kind == .qemu && call.bool("vmstate") && guest.isRunning
        let description = call.optionalString("description") ?? ""
        let vmid = guest.vmid
        var header: [String] = []
        if vmstate {
            header += ["saving VM state and RAM using storage '\(firstImageStorage(node: guest.node) ?? "local-lvm")'"]
        }
        let progress = (vmstate ? (1...4).map { "\(Sizes.human(Double(memUsage(guest)) * Double($0) / 4)) in \($0)s" } + ["completed saving the VM state in 4s, saved \(Sizes.human(Double(memUsage(guest))))"] : [])
            + guest.config.keys.sorted().compactMap { key -> String? in
                guard let value = guest.config[key], GuestDisks.isDiskKey(key, kind: kind), !key.hasPrefix("unused"), !GuestDisks.isCdrom(value) else { return nil }
                return "snapshotting 'drive-\(key)' (\(GuestDisks.volid(of: value)))"
            }
        updateGuest(vmid) { $0.config["lock"] = "snapshot" }
        let time = nowInt
        return .string(startTask(
            node: guest.node, type: kind == .qemu ? "qmsnapshot" : "vzsnapshot", id: String(vmid), user: call.identity.authid,
            header: header, progress: progress,
            completion: { s in
                s.updateGuest(vmid) { g in
                    g.config["lock"] = nil
                    var config = g.config
                    config["parent"] = nil
                    g.snapshots.append(Snapshot(name: name, description: description, snaptime: time, parent: g.config["parent"],
                                                vmstate: vmstate, config: config))
                    g.config["parent"] = name
                }
                return nil
            },
            cleanup: { s in s.updateGuest(vmid) { $0.config["lock"] = nil } }))
    }

    func deleteSnapshot(_ call: Call, _ kind: GuestKind) throws(SimError) -> JSON {
        let guest = try guest(call, kind)
        let snapshot = try snapshot(guest, call)
        if !call.bool("force") { try checkNotLocked(guest, call) }
        let vmid = guest.vmid
        let name = snapshot.name
        updateGuest(vmid) { $0.config["lock"] = "snapshot-delete" }
        let lvm = guestVolumes(guest).filter { storage(String($0.split(separator: ":").first ?? ""))?.type == "lvmthin" }
        return .string(startTask(
            node: guest.node, type: kind == .qemu ? "qmdelsnapshot" : "vzdelsnapshot", id: String(vmid), user: call.identity.authid,
            progress: lvm.map { "  Logical volume \"snap_\($0.split(separator: ":").last ?? "")_\(name)\" successfully removed." },
            completion: { s in
                s.updateGuest(vmid) { g in
                    g.config["lock"] = nil
                    let parent = g.snapshots.first { $0.name == name }?.parent
                    g.snapshots.removeAll { $0.name == name }
                    for index in g.snapshots.indices where g.snapshots[index].parent == name { g.snapshots[index].parent = parent }
                    if g.config["parent"] == name { g.config["parent"] = parent }
                }
                return nil
            },
            cleanup: { s in s.updateGuest(vmid) { $0.config["lock"] = nil } }))
    }

    func rollbackSnapshot(_ call: Call, _ kind: GuestKind) throws(SimError) -> JSON {
        let guest = try guest(call, kind)
        let snapshot = try snapshot(guest, call)
        try checkNotLocked(guest, call)
        let vmid = guest.vmid
        let startAfter = call.bool("start") || snapshot.vmstate
        let now = self.now
        updateGuest(vmid) { $0.config["lock"] = "rollback" }
        let lvm = guestVolumes(guest).filter { storage(String($0.split(separator: ":").first ?? ""))?.type == "lvmthin" }
        return .string(startTask(
            node: guest.node, type: kind == .qemu ? "qmrollback" : "vzrollback", id: String(vmid), user: call.identity.authid,
            progress: lvm.flatMap { volid -> [String] in
                let name = volid.split(separator: ":").last ?? ""
                return ["  Logical volume \"\(name)\" successfully removed.", "  Logical volume \"\(name)\" created."]
            },
            completion: { s in
                s.updateGuest(vmid) { g in
                    var config = snapshot.config
                    config["parent"] = snapshot.name
                    config["lock"] = nil
                    g.config = config
                    g.pending = [:]
                    g.pendingDelete = []
                    g.power = startAfter ? .running : .stopped
                    if startAfter { g.startedAt = now }
                }
                return nil
            },
            cleanup: { s in s.updateGuest(vmid) { $0.config["lock"] = nil } }))
    }

    func snapshotIndex(_ call: Call, _ kind: GuestKind) throws(SimError) -> JSON {
        _ = try snapshot(try guest(call, kind), call)
        return .array([.object([("rel", "child"), ("href", "config")]), .object([("rel", "child"), ("href", "rollback")])])
    }

    func snapshotConfig(_ call: Call, _ kind: GuestKind) throws(SimError) -> JSON {
        let snapshot = try snapshot(try guest(call, kind), call)
        var config = snapshot.config
        config["description"] = snapshot.description
        config["snaptime"] = String(snapshot.snaptime)
        if let parent = snapshot.parent { config["parent"] = parent }
        if snapshot.vmstate { config["vmstate"] = "1" }
        guard case .object(var pairs) = configJSON(config, kind: kind, digest: nil) else { return .null }
        if let index = pairs.firstIndex(where: { $0.0 == "snaptime" }) { pairs[index].1 = .int(Int64(snapshot.snaptime)) }
        return .object(pairs)
    }

    func updateSnapshotConfig(_ call: Call, _ kind: GuestKind) throws(SimError) -> JSON {
        var guest = try guest(call, kind)
        let snapshot = try snapshot(guest, call)
        guard let index = guest.snapshots.firstIndex(where: { $0.name == snapshot.name }) else { return .null }
        if let description = call.params["description"] { guest.snapshots[index].description = description }
        guests[guest.vmid] = guest
        return .null
    }
}

extension Routes {
    static func snapshotRoutes(_ kind: GuestKind) -> [Route] {
        let p = "/nodes/{node}/\(kind.rawValue)/{vmid}/snapshot"
        return [
            Route("GET", p, .vm("VM.Audit")) { s, c throws(SimError) in try s.listSnapshots(c, kind) },
            Route("POST", p, .vm("VM.Snapshot")) { s, c throws(SimError) in try s.createSnapshot(c, kind) },
            Route("GET", "\(p)/{snapname}", .any) { s, c throws(SimError) in try s.snapshotIndex(c, kind) },
            Route("DELETE", "\(p)/{snapname}", .vm("VM.Snapshot")) { s, c throws(SimError) in try s.deleteSnapshot(c, kind) },
            Route("GET", "\(p)/{snapname}/config", .vm("VM.Snapshot", "VM.Snapshot.Rollback", "VM.Audit")) { s, c throws(SimError) in try s.snapshotConfig(c, kind) },
            Route("PUT", "\(p)/{snapname}/config", .vm("VM.Snapshot")) { s, c throws(SimError) in try s.updateSnapshotConfig(c, kind) },
            Route("POST", "\(p)/{snapname}/rollback", .vm("VM.Snapshot", "VM.Snapshot.Rollback")) { s, c throws(SimError) in try s.rollbackSnapshot(c, kind) },
        ]
    }

    static var snapshotRoutes: [Route] { snapshotRoutes(.qemu) + snapshotRoutes(.lxc) }
}
