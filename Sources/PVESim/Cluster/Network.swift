import PVESchema

private let networkBooleanKeys: Set<String> = ["autostart", "bridge_vlan_aware", "active", "exists"]
private let networkIntegerKeys: Set<String> = ["mtu", "vlan-id", "ovs_tag", "netmask6", "priority", "bridge-access"]
private let networkControlKeys: Set<String> = ["node", "iface", "type", "delete", "digest"]

extension ClusterState {
    private func interfaces(of node: NodeInfo) -> [NetInterface] { node.stagedInterfaces ?? node.interfaces }

    private func interfaceRow(_ iface: NetInterface, index: Int, includeName: Bool) -> JSON {
        var row: [(String, JSON)] = []
        if includeName { row.append(("iface", .string(iface.iface))) }
        row.append(("type", .string(iface.type)))
        row.append(("priority", .int(Int64(index + 3))))
        row.append(("active", .int(iface.active ? 1 : 0)))
        for key in iface.fields.keys.sorted() {
            guard let value = iface.fields[key] else { continue }
            if key == "families" {
                row.append((key, .array(value.split(separator: ",").map { .string(String($0)) })))
            } else if networkBooleanKeys.contains(key) || networkIntegerKeys.contains(key), let number = Int64(value) {
                row.append((key, .int(number)))
            } else {
                row.append((key, .string(value)))
            }
        }
        return .object(row)
    }

    func listNetwork(_ call: Call) throws(SimError) -> JSON {
        let node = try currentNode(call)
        let type = call.optionalString("type")
        let list = interfaces(of: node).enumerated().filter { _, iface in
            switch type {
            case nil: return true
            case "any_bridge", "any_local_bridge": return iface.type == "bridge" || iface.type == "OVSBridge"
            case let wanted?: return iface.type == wanted
            }
        }
        return .array(list.map { interfaceRow($0.element, index: $0.offset, includeName: true) })
    }

    private func interfaceIndex(_ node: NodeInfo, _ name: String) throws(SimError) -> Int {
        guard let index = interfaces(of: node).firstIndex(where: { $0.iface == name }) else {
            throw .failed("interface '\(name)' does not exist")
        }
        return index
    }

    func getInterface(_ call: Call) throws(SimError) -> JSON {
        let node = try currentNode(call)
        let name = try call.string("iface")
        let index = try interfaceIndex(node, name)
        return interfaceRow(interfaces(of: node)[index], index: index, includeName: false)
    }

    /// Fields of an interface from the parameters, with the address/netmask/cidr trio kept consistent.
    private func interfaceFields(_ call: Call, base: [String: String], list: [NetInterface], iface: String, type: String) throws(SimError) -> [String: String] {
        var fields = base
        for key in (call.optionalString("delete") ?? "").split(separator: ",").map(String.init) { fields[key] = nil }
        for (key, value) in call.params where !networkControlKeys.contains(key) { fields[key] = value }
        if let cidr = call.optionalString("cidr") {
            let parts = cidr.split(separator: "/")
            guard parts.count == 2 else { throw .parameters(["cidr": "invalid CIDR '\(cidr)'"]) }
            fields["address"] = String(parts[0])
            fields["netmask"] = String(parts[1])
        } else if let address = fields["address"], let netmask = fields["netmask"] {
            fields["cidr"] = "\(address)/\(netmask)"
        }
        if fields["address"] != nil, fields["netmask"] == nil {
            throw .parameters(["netmask": "address requires a netmask (or give cidr)"])
        }
        if fields["address"] != nil { fields["method"] = "static" } else if fields["method"] == nil { fields["method"] = "manual" }
        if fields["families"] == nil { fields["families"] = "inet" }
        let names = Set(list.map(\.iface))
        for key in ["bridge_ports", "slaves"] {
            for port in (fields[key] ?? "").split(whereSeparator: { $0 == " " || $0 == "," }).map(String.init) where !port.isEmpty {
                guard names.contains(port) else { throw .parameters([key: "interface '\(port)' does not exist"]) }
                guard port != iface else { throw .parameters([key: "interface '\(port)' cannot be a port of itself"]) }
            }
        }
        if type == "bond", fields["slaves"] == nil { throw .parameters(["slaves": "bond needs at least one slave interface"]) }
        if type == "vlan", fields["vlan-raw-device"] == nil, !iface.contains(".") {
            throw .parameters(["vlan-raw-device": "vlan needs a raw device (or a name like eno1.100)"])
        }
        return fields
    }

    func createInterface(_ call: Call) throws(SimError) -> JSON {
        guard let nodeIndex = nodeIndex(call.node) else { throw .failed("no such node '\(call.node)'") }
        let iface = try call.string("iface")
        let type = try call.string("type")
        var list = interfaces(of: nodes[nodeIndex])
        if list.contains(where: { $0.iface == iface }) { throw .failed("interface already exists") }
        if type == "bridge", !iface.hasPrefix("vmbr") && iface.count > 15 {
            throw .parameters(["iface": "interface name '\(iface)' is too long"])
        }
        var fields = try interfaceFields(call, base: [:], list: list, iface: iface, type: type)
        if type != "eth" { fields["autostart"] = fields["autostart"] ?? "1" }
        list.append(NetInterface(iface: iface, type: type, fields: fields, active: false))
        nodes[nodeIndex].stagedInterfaces = list
        return .null
    }

    func updateInterface(_ call: Call) throws(SimError) -> JSON {
        guard let nodeIndex = nodeIndex(call.node) else { throw .failed("no such node '\(call.node)'") }
        let iface = try call.string("iface")
        let type = try call.string("type")
        var list = interfaces(of: nodes[nodeIndex])
        let index = try interfaceIndex(nodes[nodeIndex], iface)
        guard list[index].type == type else { throw .failed("interface type mismatch: '\(iface)' is a \(list[index].type), not a \(type)") }
        list[index].fields = try interfaceFields(call, base: list[index].fields, list: list, iface: iface, type: type)
        nodes[nodeIndex].stagedInterfaces = list
        return .null
    }

    func deleteInterface(_ call: Call) throws(SimError) -> JSON {
        guard let nodeIndex = nodeIndex(call.node) else { throw .failed("no such node '\(call.node)'") }
        let iface = try call.string("iface")
        var list = interfaces(of: nodes[nodeIndex])
        let index = try interfaceIndex(nodes[nodeIndex], iface)
        list.remove(at: index)
        nodes[nodeIndex].stagedInterfaces = list
        return .null
    }

    func reloadNetwork(_ call: Call) throws(SimError) -> JSON {
        guard let nodeIndex = nodeIndex(call.node) else { throw .failed("no such node '\(call.node)'") }
        let staged = nodes[nodeIndex].stagedInterfaces
        if let staged {
            let names = Set(staged.map(\.iface))
            for guest in guests.values where guest.node == call.node && guest.isRunning {
                for (key, value) in guest.config where key.hasPrefix("net") {
                    if let bridge = Self.bridge(of: value), !names.contains(bridge) {
                        throw .failed("cannot apply network changes: bridge '\(bridge)' is used by running \(guest.kind.label) \(guest.vmid)")
                    }
                }
            }
        }
        let node = call.node
        return .string(startTask(
            node: node, type: "srvreload", id: "networking", user: call.identity.authid,
            header: ["info: requested source reload", staged == nil ? "info: no pending network changes" : "info: applying /etc/network/interfaces.new"],
            progress: ["info: executing ifreload -a"], durationFactor: 0.5,
            completion: { s in
                guard let index = s.nodeIndex(node), var list = s.nodes[index].stagedInterfaces else { return nil }
                for i in list.indices { list[i].active = true }
                s.nodes[index].interfaces = list
                s.nodes[index].stagedInterfaces = nil
                return nil
            }))
    }

    func revertNetwork(_ call: Call) throws(SimError) -> JSON {
        guard let nodeIndex = nodeIndex(call.node) else { throw .failed("no such node '\(call.node)'") }
        nodes[nodeIndex].stagedInterfaces = nil
        return .null
    }
}

extension Routes {
    static let networkRoutes: [Route] = [
        Route("GET", "/nodes/{node}/network", .any) { s, c throws(SimError) in try s.listNetwork(c) },
        Route("POST", "/nodes/{node}/network", .node("Sys.Modify")) { s, c throws(SimError) in try s.createInterface(c) },
        Route("PUT", "/nodes/{node}/network", .node("Sys.Modify")) { s, c throws(SimError) in try s.reloadNetwork(c) },
        Route("DELETE", "/nodes/{node}/network", .node("Sys.Modify")) { s, c throws(SimError) in try s.revertNetwork(c) },
        Route("GET", "/nodes/{node}/network/{iface}", .node("Sys.Audit")) { s, c throws(SimError) in try s.getInterface(c) },
        Route("PUT", "/nodes/{node}/network/{iface}", .node("Sys.Modify")) { s, c throws(SimError) in try s.updateInterface(c) },
        Route("DELETE", "/nodes/{node}/network/{iface}", .node("Sys.Modify")) { s, c throws(SimError) in try s.deleteInterface(c) },
    ]
}
