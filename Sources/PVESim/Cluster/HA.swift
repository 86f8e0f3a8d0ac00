import PVESchema

private let haIntegerKeys: Set<String> = ["max_restart", "max_relocate", "failback", "restricted", "nofailback", "strict", "disable"]

extension ClusterState {
    private func haValue(_ key: String, _ value: String) -> JSON {
        haIntegerKeys.contains(key) ? (Int64(value).map { JSON.int($0) } ?? .string(value)) : .string(value)
    }

    private func haDigest() -> String {
        SHA1.hex(haResources.map { resource in
            "\(resource.sid):" + resource.fields.keys.sorted().map { key in "\(key)=\(resource.fields[key] ?? "")" }.joined(separator: ",")
        }.joined(separator: "\n"))
    }

    private func haRow(_ resource: HAResource) -> JSON {
        var row: [(String, JSON)] = [("sid", .string(resource.sid))]
        for key in resource.fields.keys.sorted() { if let value = resource.fields[key] { row.append((key, haValue(key, value))) } }
        row.append(("digest", .string(haDigest())))
        return .object(row)
    }

    /// Normalises `100` / `vm:100` / `ct:200` to `vm:100`, checking the guest exists.
    private func haSID(_ text: String, type: String?) throws(SimError) -> (sid: String, type: String) {
        let parts = text.split(separator: ":").map(String.init)
        let vmidText = parts.count == 2 ? parts[1] : text
        guard let vmid = Int(vmidText) else { throw .parameters(["sid": "unable to parse service id '\(text)'"]) }
        guard let guest = guests[vmid] else { throw .failed("unable to find VM/CT \(vmid)") }
        let actual = guest.kind == .qemu ? "vm" : "ct"
        let given = parts.count == 2 ? parts[0] : (type ?? actual)
        guard given == actual else { throw .failed("\(guest.kind.label) \(vmid) is not a \(given == "vm" ? "VM" : "container")") }
        return ("\(actual):\(vmid)", actual)
    }

    private func haResourceIndex(_ call: Call) throws(SimError) -> Int {
        let sid = try haSID(try call.string("sid"), type: nil).sid
        guard let index = haResources.firstIndex(where: { $0.sid == sid }) else { throw .failed("no such resource '\(sid)'") }
        return index
    }

    func listHAResources(_ call: Call) throws(SimError) -> JSON {
        let type = call.optionalString("type")
        return .array(haResources.filter { type == nil || $0.fields["type"] == type }.map(haRow))
    }

    func getHAResource(_ call: Call) throws(SimError) -> JSON { haRow(haResources[try haResourceIndex(call)]) }

    private func checkHAState(_ call: Call) throws(SimError) {
        if let state = call.optionalString("state"), !["started", "stopped", "enabled", "disabled", "ignored"].contains(state) {
            throw .parameters(["state": "value '\(state)' does not have a value in the enumeration 'started, stopped, enabled, disabled, ignored'"])
        }
        if let group = call.optionalString("group"), haGroups[group] == nil { throw .failed("group '\(group)' does not exist") }
    }

    func createHAResource(_ call: Call) throws(SimError) -> JSON {
        let (sid, type) = try haSID(try call.string("sid"), type: call.optionalString("type"))
        if haResources.contains(where: { $0.sid == sid }) { throw .failed("resource ID '\(sid)' already defined") }
        try checkHAState(call)
        var fields: [String: String] = ["type": type, "state": "started", "max_restart": "1", "max_relocate": "1", "failback": "1"]
        for (key, value) in call.params where !["sid", "type", "digest", "delete"].contains(key) { fields[key] = value }
        haResources.append(HAResource(sid: sid, fields: fields))
        return .null
    }

    func updateHAResource(_ call: Call) throws(SimError) -> JSON {
        let index = try haResourceIndex(call)
        if let digest = call.optionalString("digest"), digest != haDigest() {
            throw .failed("detected modified configuration - file changed by other user? Try again.")
        }
        try checkHAState(call)
        for key in (call.optionalString("delete") ?? "").split(separator: ",").map(String.init) { haResources[index].fields[key] = nil }
        for (key, value) in call.params where !["sid", "type", "digest", "delete"].contains(key) { haResources[index].fields[key] = value }
        return .null
    }

    func deleteHAResource(_ call: Call) throws(SimError) -> JSON {
        let index = try haResourceIndex(call)
        let sid = haResources[index].sid
        haResources.remove(at: index)
        for name in haRules.keys {
            let remaining = (haRules[name]?["resources"] ?? "").split(separator: ",").filter { $0 != Substring(sid) }
            if remaining.isEmpty { haRules[name] = nil } else { haRules[name]?["resources"] = remaining.joined(separator: ",") }
        }
        return .null
    }

    func haStatus(_ call: Call) throws(SimError) -> JSON {
        var rows: [JSON] = [
            .object([("id", "quorum"), ("type", "quorum"), ("node", "pve1"), ("status", "OK"), ("quorate", 1)]),
            .object([("id", "master"), ("type", "master"), ("node", "pve1"), ("status", .string("pve1 (active, \(UTCTime(now).logStamp.replacingSpaceWithT))")), ("timestamp", .int(Int64(nowInt)))]),
        ]
        for node in nodes {
            rows.append(.object([("id", .string("lrm:\(node.name)")), ("type", "lrm"), ("node", .string(node.name)),
                                 ("status", .string("\(node.name) (\(haResources.contains { guestNode($0.sid) == node.name } ? "active" : "idle"), \(UTCTime(now).logStamp.replacingSpaceWithT))")),
                                 ("timestamp", .int(Int64(nowInt)))]))
        }
        for resource in haResources {
            let node = guestNode(resource.sid) ?? "pve1"
            let state = resource.fields["state"] ?? "started"
            rows.append(.object([("id", .string("service:\(resource.sid)")), ("type", "service"), ("sid", .string(resource.sid)),
                                 ("node", .string(node)), ("state", .string(state)), ("crm_state", .string(state)), ("request_state", .string(state)),
                                 ("status", .string("\(resource.sid) (\(node), \(state))")),
                                 ("max_restart", .int(Int64(resource.fields["max_restart"] ?? "1") ?? 1)),
                                 ("max_relocate", .int(Int64(resource.fields["max_relocate"] ?? "1") ?? 1))]))
        }
        return .array(rows)
    }

    private func guestNode(_ sid: String) -> String? {
        sid.split(separator: ":").last.flatMap { Int($0) }.flatMap { guests[$0]?.node }
    }

    func haIndex(_ call: Call) throws(SimError) -> JSON {
        .array(["groups", "resources", "rules", "status"].map { .object([("id", .string($0))]) })
    }

    // MARK: Groups (deprecated in 9.x in favour of rules, still served)

    private func groupRow(_ name: String, _ fields: [String: String]) -> JSON {
        .object([("group", .string(name)), ("type", "group")] + fields.keys.sorted().compactMap { key in fields[key].map { (key, haValue(key, $0)) } })
    }

    private func checkNodes(_ text: String) throws(SimError) {
        for item in text.split(separator: ",") {
            let name = String(item.split(separator: ":").first ?? "")
            guard node(named: name) != nil else { throw .parameters(["nodes": "no such cluster node '\(name)'"]) }
        }
    }

    func listHAGroups(_ call: Call) throws(SimError) -> JSON { .array(haGroups.keys.sorted().compactMap { name in haGroups[name].map { groupRow(name, $0) } }) }

    func getHAGroup(_ call: Call) throws(SimError) -> JSON {
        let name = try call.string("group")
        guard let fields = haGroups[name] else { throw .failed("no such ha group '\(name)'") }
        return groupRow(name, fields)
    }

    func createHAGroup(_ call: Call) throws(SimError) -> JSON {
        let name = try call.string("group")
        if haGroups[name] != nil { throw .failed("ha group '\(name)' already defined") }
        let nodes = try call.string("nodes")
        try checkNodes(nodes)
        var fields: [String: String] = [:]
        for (key, value) in call.params where !["group", "type", "digest", "delete"].contains(key) { fields[key] = value }
        haGroups[name] = fields
        return .null
    }

    func updateHAGroup(_ call: Call) throws(SimError) -> JSON {
        let name = try call.string("group")
        guard var fields = haGroups[name] else { throw .failed("no such ha group '\(name)'") }
        if let nodes = call.optionalString("nodes") { try checkNodes(nodes) }
        for key in (call.optionalString("delete") ?? "").split(separator: ",").map(String.init) { fields[key] = nil }
        for (key, value) in call.params where !["group", "type", "digest", "delete"].contains(key) { fields[key] = value }
        haGroups[name] = fields
        return .null
    }

    func deleteHAGroup(_ call: Call) throws(SimError) -> JSON {
        let name = try call.string("group")
        guard haGroups[name] != nil else { throw .failed("no such ha group '\(name)'") }
        if let user = haResources.first(where: { $0.fields["group"] == name }) { throw .failed("ha group '\(name)' is used by '\(user.sid)'") }
        haGroups[name] = nil
        return .null
    }

    // MARK: Rules (PVE 9)

    private func ruleRow(_ name: String, _ fields: [String: String]) -> JSON {
        .object([("rule", .string(name))] + fields.keys.sorted().compactMap { key in fields[key].map { (key, haValue(key, $0)) } }
            + [("digest", .string(SHA1.hex(haRules.keys.sorted().joined())))])
    }

    private func validateRule(_ fields: [String: String]) throws(SimError) {
        guard let type = fields["type"] else { throw .parameters(["type": "property is missing and it is not optional"]) }
        for sid in (fields["resources"] ?? "").split(separator: ",").map(String.init) where !haResources.contains(where: { $0.sid == sid }) {
            throw .parameters(["resources": "'\(sid)' is not configured as HA resource"])
        }
        switch type {
        case "node-affinity":
            guard let nodes = fields["nodes"] else { throw .parameters(["nodes": "node-affinity rules need 'nodes'"]) }
            try checkNodes(nodes)
        case "resource-affinity":
            guard let affinity = fields["affinity"], ["positive", "negative"].contains(affinity) else {
                throw .parameters(["affinity": "resource-affinity rules need 'affinity' (positive or negative)"])
            }
            guard (fields["resources"] ?? "").split(separator: ",").count >= 2 else {
                throw .parameters(["resources": "resource-affinity rules need at least two resources"])
            }
        default:
            throw .parameters(["type": "value '\(type)' does not have a value in the enumeration 'node-affinity, resource-affinity'"])
        }
    }

    func listHARules(_ call: Call) throws(SimError) -> JSON {
        let type = call.optionalString("type")
        return .array(haRules.keys.sorted().compactMap { name in
            guard let fields = haRules[name], type == nil || fields["type"] == type else { return nil }
            return ruleRow(name, fields)
        })
    }

    func getHARule(_ call: Call) throws(SimError) -> JSON {
        let name = try call.string("rule")
        guard let fields = haRules[name] else { throw .failed("no such ha rule '\(name)'") }
        return ruleRow(name, fields)
    }

    func createHARule(_ call: Call) throws(SimError) -> JSON {
        let name = try call.string("rule")
        if haRules[name] != nil { throw .failed("ha rule '\(name)' already defined") }
        var fields: [String: String] = [:]
        for (key, value) in call.params where !["rule", "digest", "delete"].contains(key) { fields[key] = value }
        try validateRule(fields)
        haRules[name] = fields
        return .null
    }

    func updateHARule(_ call: Call) throws(SimError) -> JSON {
        let name = try call.string("rule")
        guard var fields = haRules[name] else { throw .failed("no such ha rule '\(name)'") }
        for key in (call.optionalString("delete") ?? "").split(separator: ",").map(String.init) { fields[key] = nil }
        for (key, value) in call.params where !["rule", "digest", "delete"].contains(key) { fields[key] = value }
        try validateRule(fields)
        haRules[name] = fields
        return .null
    }

    func deleteHARule(_ call: Call) throws(SimError) -> JSON {
        let name = try call.string("rule")
        guard haRules[name] != nil else { throw .failed("no such ha rule '\(name)'") }
        haRules[name] = nil
        return .null
    }
}

private extension String {
    var replacingSpaceWithT: String { split(separator: " ").joined(separator: "T") }
}

extension Routes {
    static let haRoutes: [Route] = [
        Route("GET", "/cluster/ha", .rootPath("Sys.Audit")) { s, c throws(SimError) in try s.haIndex(c) },
        Route("GET", "/cluster/ha/resources", .rootPath("Sys.Audit"), rowsInHashOrderBy: "sid") { s, c throws(SimError) in try s.listHAResources(c) },
        Route("POST", "/cluster/ha/resources", .rootPath("Sys.Console")) { s, c throws(SimError) in try s.createHAResource(c) },
        Route("GET", "/cluster/ha/resources/{sid}", .rootPath("Sys.Audit")) { s, c throws(SimError) in try s.getHAResource(c) },
        Route("PUT", "/cluster/ha/resources/{sid}", .rootPath("Sys.Console")) { s, c throws(SimError) in try s.updateHAResource(c) },
        Route("DELETE", "/cluster/ha/resources/{sid}", .rootPath("Sys.Console")) { s, c throws(SimError) in try s.deleteHAResource(c) },
        Route("GET", "/cluster/ha/status/current", .rootPath("Sys.Audit")) { s, c throws(SimError) in try s.haStatus(c) },
        Route("GET", "/cluster/ha/groups", .rootPath("Sys.Audit"), rowsInHashOrderBy: "group") { s, c throws(SimError) in try s.listHAGroups(c) },
        Route("POST", "/cluster/ha/groups", .rootPath("Sys.Console")) { s, c throws(SimError) in try s.createHAGroup(c) },
        Route("GET", "/cluster/ha/groups/{group}", .rootPath("Sys.Audit")) { s, c throws(SimError) in try s.getHAGroup(c) },
        Route("PUT", "/cluster/ha/groups/{group}", .rootPath("Sys.Console")) { s, c throws(SimError) in try s.updateHAGroup(c) },
        Route("DELETE", "/cluster/ha/groups/{group}", .rootPath("Sys.Console")) { s, c throws(SimError) in try s.deleteHAGroup(c) },
        Route("GET", "/cluster/ha/rules", .rootPath("Sys.Audit")) { s, c throws(SimError) in try s.listHARules(c) },
        Route("POST", "/cluster/ha/rules", .rootPath("Sys.Console")) { s, c throws(SimError) in try s.createHARule(c) },
        Route("GET", "/cluster/ha/rules/{rule}", .rootPath("Sys.Audit")) { s, c throws(SimError) in try s.getHARule(c) },
        Route("PUT", "/cluster/ha/rules/{rule}", .rootPath("Sys.Console")) { s, c throws(SimError) in try s.updateHARule(c) },
        Route("DELETE", "/cluster/ha/rules/{rule}", .rootPath("Sys.Console")) { s, c throws(SimError) in try s.deleteHARule(c) },
    ]
}
