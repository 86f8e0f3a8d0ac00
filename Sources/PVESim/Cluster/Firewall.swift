import PVESchema

/// Which rule set a firewall call addresses.
enum FirewallLevel {
    case cluster
    case node(String)
    case guest(GuestKind)
}

private let ruleKeys = ["type", "action", "macro", "iface", "source", "dest", "proto", "dport", "sport", "icmp-type", "log", "comment", "enable"]
private let knownMacros: Set<String> = [
    "Amanda", "Auth", "BGP", "BitTorrent", "Ceph", "CVS", "Citrix", "DAAP", "DCC", "DHCPfwd", "DHCPv6", "DNS", "Distcc", "FTP", "Finger",
    "GNUnet", "GRE", "Git", "HKP", "HTTP", "HTTPS", "ICPV2", "ICQ", "IMAP", "IMAPS", "IPIP", "IPsec", "IPsecah", "IPsecnat", "IRC", "Jetdirect",
    "L2TP", "LDAP", "LDAPS", "MDNS", "MSNP", "MSSQL", "Mail", "Munin", "MySQL", "NNTP", "NNTPS", "NTP", "NeighborDiscovery", "OSPF",
    "OpenVPN", "PCA", "PMG", "POP3", "POP3S", "PPtP", "Ping", "PostgreSQL", "Printer", "RDP", "RIP", "RNDC", "Razor", "Rdate", "Rsync",
    "SANE", "SMB", "SMBswat", "SMTP", "SMTPS", "SNMP", "SPAMD", "SSH", "SVN", "SixXS", "Squid", "Submission", "Syslog", "TFTP", "Telnet",
    "Telnets", "Time", "Trcrt", "VNC", "VNCL", "Web", "Webcache", "Webmin", "Whois",
]

extension ClusterState {
    private func scope(_ level: FirewallLevel, _ call: Call) throws(SimError) -> FirewallScope {
        switch level {
        case .cluster: return clusterFirewall
        case .node: return try currentNode(call).firewall
        case .guest(let kind): return try guest(call, kind).firewall
        }
    }

    private func store(_ scope: FirewallScope, _ level: FirewallLevel, _ call: Call) throws(SimError) {
        switch level {
        case .cluster: clusterFirewall = scope
        case .node:
            guard let index = nodeIndex(call.node) else { throw .failed("no such node '\(call.node)'") }
            nodes[index].firewall = scope
        case .guest(let kind):
            var guest = try guest(call, kind)
            guest.firewall = scope
            guests[guest.vmid] = guest
        }
    }

    /// The digest of the rules file (`.fw`) as PVE computes it over the file text.
    private func digest(_ scope: FirewallScope) -> String {
        var text = "[OPTIONS]\n"
        for key in scope.options.keys.sorted() { text += "\(key): \(scope.options[key] ?? "")\n" }
        text += "[RULES]\n"
        for rule in scope.rules { text += ruleKeys.compactMap { key in rule.fields[key].map { "\(key)=\($0)" } }.joined(separator: " ") + "\n" }
        return SHA1.hex(text)
    }

    private func ruleRow(_ rule: FirewallRule, pos: Int, digest: String) -> JSON {
        var row: [(String, JSON)] = [("pos", .int(Int64(pos)))]
        for key in ruleKeys {
            guard let value = rule.fields[key] else { continue }
            row.append((key, key == "enable" ? .int(Int64(value) ?? 0) : .string(value)))
        }
        if let proto = rule.fields["proto"], proto.hasSuffix("6") { row.append(("ipversion", 6)) }
        row.append(("digest", .string(digest)))
        return .object(row)
    }

    private func checkDigest(_ scope: FirewallScope, _ call: Call) throws(SimError) {
        if let given = call.optionalString("digest"), given != digest(scope) {
            throw .failed("detected modified configuration - file changed by other user? Try again.")
        }
    }

    private func position(_ call: Call, _ scope: FirewallScope) throws(SimError) -> Int {
        let pos = try call.int("pos")
        guard scope.rules.indices.contains(pos) else { throw .failed("no rule at position \(pos)") }
        return pos
    }

    /// Checks a rule the way pve-firewall does for the common mistakes.
    private func validate(_ fields: [String: String], level: FirewallLevel) throws(SimError) {
        guard let type = fields["type"] else { throw .parameters(["type": "property is missing and it is not optional"]) }
        let types = level.isCluster ? ["in", "out", "forward", "group"] : ["in", "out", "group"]
        guard types.contains(type) else { throw .parameters(["type": "value '\(type)' does not have a value in the enumeration '\(types.joined(separator: ", "))'"]) }
        guard let action = fields["action"] else { throw .parameters(["action": "property is missing and it is not optional"]) }
        if type != "group", !["ACCEPT", "DROP", "REJECT"].contains(action) {
            throw .parameters(["action": "value '\(action)' does not have a value in the enumeration 'ACCEPT, DROP, REJECT'"])
        }
        if let macro = fields["macro"], !knownMacros.contains(macro) { throw .parameters(["macro": "unknown macro '\(macro)'"]) }
        if fields["macro"] == nil, fields["dport"] != nil || fields["sport"] != nil {
            guard let proto = fields["proto"], ["tcp", "udp", "dccp", "sctp", "6", "17"].contains(proto) else {
                throw .parameters(["proto": "missing property - 'dport' and 'sport' need proto tcp, udp, dccp or sctp"])
            }
        }
        for key in ["dport", "sport"] {
            guard let ports = fields[key] else { continue }
            for part in ports.split(separator: ",") {
                let bounds = part.split(separator: ":")
                guard (1...2).contains(bounds.count), bounds.allSatisfy({ Int($0).map { (0...65535).contains($0) } ?? (Int($0) == nil && !$0.isEmpty) }) else {
                    throw .parameters([key: "invalid port '\(part)'"])
                }
            }
        }
    }

    func listRules(_ call: Call, _ level: FirewallLevel) throws(SimError) -> JSON {
        let scope = try scope(level, call)
        let digest = digest(scope)
        return .array(scope.rules.enumerated().map { ruleRow($0.element, pos: $0.offset, digest: digest) })
    }

    func getRule(_ call: Call, _ level: FirewallLevel) throws(SimError) -> JSON {
        let scope = try scope(level, call)
        let pos = try position(call, scope)
        return ruleRow(scope.rules[pos], pos: pos, digest: digest(scope))
    }

    func createRule(_ call: Call, _ level: FirewallLevel) throws(SimError) -> JSON {
        var scope = try scope(level, call)
        try checkDigest(scope, call)
        var fields: [String: String] = [:]
        for key in ruleKeys { if let value = call.optionalString(key) { fields[key] = value } }
        if fields["enable"] == nil { fields["enable"] = "0" }
        try validate(fields, level: level)
        let pos = min(max(0, try call.optionalInt("pos") ?? 0), scope.rules.count)
        scope.rules.insert(FirewallRule(fields: fields), at: pos)
        try store(scope, level, call)
        return .null
    }

    func updateRule(_ call: Call, _ level: FirewallLevel) throws(SimError) -> JSON {
        var scope = try scope(level, call)
        try checkDigest(scope, call)
        let pos = try position(call, scope)
        if let target = try call.optionalInt("moveto") {
            let rule = scope.rules.remove(at: pos)
            scope.rules.insert(rule, at: min(max(0, target > pos ? target - 1 : target), scope.rules.count))
            try store(scope, level, call)
            return .null
        }
        var fields = scope.rules[pos].fields
        for key in (call.optionalString("delete") ?? "").split(separator: ",").map(String.init) { fields[key] = nil }
        for key in ruleKeys { if let value = call.optionalString(key) { fields[key] = value } }
        try validate(fields, level: level)
        scope.rules[pos].fields = fields
        try store(scope, level, call)
        return .null
    }

    func deleteRule(_ call: Call, _ level: FirewallLevel) throws(SimError) -> JSON {
        var scope = try scope(level, call)
        try checkDigest(scope, call)
        let pos = try position(call, scope)
        scope.rules.remove(at: pos)
        try store(scope, level, call)
        return .null
    }

    func getFirewallOptions(_ call: Call, _ level: FirewallLevel) throws(SimError) -> JSON {
        let scope = try scope(level, call)
        var pairs: [(String, JSON)] = scope.options.keys.sorted().compactMap { key in
            scope.options[key].map { value in (key, Int64(value).map { JSON.int($0) } ?? .string(value)) }
        }
        pairs.append(("digest", .string(digest(scope))))
        return .object(pairs)
    }

    func setFirewallOptions(_ call: Call, _ level: FirewallLevel) throws(SimError) -> JSON {
        var scope = try scope(level, call)
        try checkDigest(scope, call)
        for key in (call.optionalString("delete") ?? "").split(separator: ",").map(String.init) { scope.options[key] = nil }
        for (key, value) in call.params where !["node", "vmid", "digest", "delete"].contains(key) {
            if key.hasPrefix("policy_"), !["ACCEPT", "DROP", "REJECT"].contains(value) {
                throw .parameters([key: "value '\(value)' does not have a value in the enumeration 'ACCEPT, REJECT, DROP'"])
            }
            scope.options[key] = value
        }
        try store(scope, level, call)
        return .null
    }

    func firewallIndex(_ call: Call, _ level: FirewallLevel) throws(SimError) -> JSON {
        _ = try scope(level, call)
        let names: [String]
        switch level {
        case .cluster: names = ["aliases", "groups", "ipset", "macros", "options", "refs", "rules"]
        case .node: names = ["log", "options", "rules"]
        case .guest: names = ["aliases", "ipset", "log", "options", "refs", "rules"]
        }
        return .array(names.map { .object([("name", .string($0))]) })
    }

    func macros(_ call: Call) throws(SimError) -> JSON {
        .array(knownMacros.sorted().map { .object([("macro", .string($0)), ("descr", .string("\($0) traffic"))]) })
    }
}

extension FirewallLevel {
    var isCluster: Bool { if case .cluster = self { return true } else { return false } }
}

extension Routes {
    private static func firewallRoutes(_ prefix: String, _ level: FirewallLevel, read: AccessRule, write: AccessRule) -> [Route] {
        [
            Route("GET", "\(prefix)/firewall", .any) { s, c throws(SimError) in try s.firewallIndex(c, level) },
            Route("GET", "\(prefix)/firewall/rules", read) { s, c throws(SimError) in try s.listRules(c, level) },
            Route("POST", "\(prefix)/firewall/rules", write) { s, c throws(SimError) in try s.createRule(c, level) },
            Route("GET", "\(prefix)/firewall/rules/{pos}", read) { s, c throws(SimError) in try s.getRule(c, level) },
            Route("PUT", "\(prefix)/firewall/rules/{pos}", write) { s, c throws(SimError) in try s.updateRule(c, level) },
            Route("DELETE", "\(prefix)/firewall/rules/{pos}", write) { s, c throws(SimError) in try s.deleteRule(c, level) },
            Route("GET", "\(prefix)/firewall/options", read) { s, c throws(SimError) in try s.getFirewallOptions(c, level) },
            Route("PUT", "\(prefix)/firewall/options", write) { s, c throws(SimError) in try s.setFirewallOptions(c, level) },
        ]
    }

    static var firewallRoutes: [Route] {
        firewallRoutes("/cluster", .cluster, read: .rootPath("Sys.Audit"), write: .rootPath("Sys.Modify"))
            + firewallRoutes("/nodes/{node}", .node(""), read: .node("Sys.Audit"), write: .node("Sys.Modify"))
            + firewallRoutes("/nodes/{node}/qemu/{vmid}", .guest(.qemu), read: .vm("VM.Audit"), write: .vm("VM.Config.Network"))
            + firewallRoutes("/nodes/{node}/lxc/{vmid}", .guest(.lxc), read: .vm("VM.Audit"), write: .vm("VM.Config.Network"))
            + [Route("GET", "/cluster/firewall/macros", .any) { s, c throws(SimError) in try s.macros(c) }]
    }
}
