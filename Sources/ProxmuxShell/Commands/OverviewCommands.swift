import ProxmoxAPI
import PVESchema

/// `status` (the dashboard) and `show` (one node, guest or storage in detail).
enum OverviewCommands {
    static let all: [CommandSpec] = [status, show]

    static let status = CommandSpec(
        name: "status", group: .overview, abstract: "Cluster dashboard: nodes, guests by state, storage usage, running tasks",
        examples: ["status", "status -o json"],
        needs: .cluster,
        run: { inv in
            let api = try inv.api()
            let snapshot = try api.clusterSnapshot()
            inv.session.cache.store(snapshot)
            let running = (try api.get("/cluster/tasks").array ?? []).filter { ($0["status"]?.string ?? "").isEmpty && $0["endtime"] == nil }
            var byState: [(String, JSON)] = []
            for guest in snapshot.guests {
                if let i = byState.firstIndex(where: { $0.0 == guest.status }) {
                    byState[i].1 = .int((byState[i].1.int ?? 0) + 1)
                } else {
                    byState.append((guest.status, .int(1)))
                }
            }
            byState.sort { $0.0 < $1.0 }
            let nodes = snapshot.nodes.map(\.raw)
            let storages = snapshot.storages.map(Listing.storageRow)
            if inv.outputFormat != .text {
                return .record(.object([
                    ("nodes", .array(nodes)), ("guests", .object(byState)), ("storage", .array(storages)), ("tasks", .array(running)),
                ]))
            }
            // Text: several small sections, each an aligned table.
            let renderer = Renderer(format: .text, noHeader: inv.has("noheader"), color: inv.session.settings.color)
            var out = "Nodes\n"
            out += renderer.text(Table(columns: [
                .init("node", "node"), .init("status", "status", format: .state), .init("cpu", "cpu", format: .percent),
                .init("mem", "mem", format: .bytes), .init("maxmem", "maxmem", format: .bytes), .init("uptime", "uptime", format: .duration),
            ], rows: nodes))
            let total = snapshot.guests.count
            out += "\nGuests: \(total) (" + byState.map { "\($0.1.int ?? 0) \($0.0)" }.joined(separator: ", ") + ")\n"
            out += "\nStorage\n"
            out += renderer.text(Table(columns: [
                .init("storage", "storage"), .init("node", "node"), .init("disk", "used", format: .bytes),
                .init("maxdisk", "total", format: .bytes), .init("usage", "use%", format: .percent),
            ], rows: storages))
            out += "\nRunning tasks: \(running.count)\n"
            if !running.isEmpty { out += renderer.text(Listing.tasks(.array(running))) }
            inv.session.console.write(out)
            return .nothing
        })

    static let show = CommandSpec(
        name: "show", aliases: ["info"], group: .overview,
        abstract: "Details of a guest, node or storage: status, config, disks, network, guest agent IPs",
        examples: ["show 101", "show web01 -o yaml", "show pve1", "show local-lvm", "show"],
        arguments: [ArgumentSpec("TARGET", help: "guest (id or name), node or storage; default: the current place", completion: .anyOf([.guests(.any), .nodes, .storages(content: nil)]), optional: true)],
        needs: .nothing,
        run: { inv in
            let api = try inv.api()
            let context = inv.session.context
            if let name = inv.arguments.first {
                let snapshot = try api.clusterSnapshot()
                if snapshot.nodeNames.contains(name) { return try showNode(name, api, snapshot: snapshot, inv: inv) }
                if snapshot.storageIDs.contains(name), !snapshot.guests.contains(where: { $0.name == name }) {
                    return try showStorage(name, api, snapshot: snapshot, inv: inv)
                }
                return try showGuest(try TargetResolver(guests: snapshot.guests).resolveOne(name), api, inv: inv)
            }
            switch context.path {
            case .guest: return try showGuest(try inv.resolveGuest(nil), api, inv: inv)
            case .node(let node), .nodeSection(let node, _): return try showNode(node, api, snapshot: nil, inv: inv)
            case .storage(let id): return try showStorage(id, api, snapshot: try api.clusterSnapshot(type: "storage"), inv: inv)
            default: throw ShellError("show: what? give a guest, node or storage, or cd into one")
            }
        })

    /// Config keys that describe disks (`scsi0`, `rootfs`, `mp1`...) and network devices (`net0`).
    static func isDiskKey(_ key: String) -> Bool {
        key == "rootfs" || ["scsi", "virtio", "ide", "sata", "efidisk", "tpmstate", "unused", "mp"].contains { indexed(key, $0) }
    }
    static func isNetKey(_ key: String) -> Bool { indexed(key, "net") }
    static func indexed(_ key: String, _ stem: String) -> Bool {
        key.hasPrefix(stem) && key.count > stem.count && key.dropFirst(stem.count).allSatisfy(\.isNumber)
    }

    static func showGuest(_ guest: Guest, _ api: APIBackend, inv: Invocation) throws -> CommandOutput {
        let current = try api.get(guest.apiPath + "/status/current")
        let config = try api.get(guest.apiPath + "/config")
        var disks: [(String, JSON)] = []
        var nets: [(String, JSON)] = []
        var rest: [(String, JSON)] = []
        for (key, value) in KeyOrder.sorted(config).object ?? [] {
            if isDiskKey(key) { disks.append((key, value)) }
            else if isNetKey(key) { nets.append((key, value)) }
            else { rest.append((key, value)) }
        }
        let text = inv.outputFormat == .text
        var statusPairs: [(String, JSON)] = [
            ("vmid", .int(Int64(guest.vmid))), ("name", .string(guest.name)), ("type", .string(guest.kind.short)),
            ("node", .string(guest.node)), ("status", current["status"] ?? .string(guest.status)),
        ]
        if let qm = current["qmpstatus"], text == false || qm.string != current["status"]?.string { statusPairs.append(("qmpstatus", qm)) }
        let uptime = current["uptime"]?.int ?? 0
        statusPairs.append(("uptime", text ? .string(Humanize.duration(uptime)) : .int(uptime)))
        if let cpu = current["cpu"]?.double { statusPairs.append(("cpu", text ? .string(Humanize.percent(fraction: cpu)) : .double(cpu))) }
        if let mem = current["mem"]?.double, let maxmem = current["maxmem"]?.double {
            statusPairs.append(("memory", text ? .string(usage(mem, of: maxmem)) : .object([("used", .double(mem)), ("total", .double(maxmem))])))
        }
        if !guest.tags.isEmpty { statusPairs.append(("tags", .string(guest.tags.joined(separator: ";")))) }
        if let lock = current["lock"]?.string, !lock.isEmpty { statusPairs.append(("lock", .string(lock))) }
        var record: [(String, JSON)] = statusPairs
        if !disks.isEmpty { record.append(("disks", .object(disks))) }
        if !nets.isEmpty { record.append(("network", .object(nets))) }
        if let ips = agentAddresses(guest, config: config, current: current, api: api) { record.append(("ip addresses", ips)) }
        record.append(("config", .object(rest)))
        return .record(.object(record))
    }

    /// Addresses from the QEMU guest agent; nil (silently) when there is no agent or it does not answer.
    static func agentAddresses(_ guest: Guest, config: JSON, current: JSON, api: APIBackend) -> JSON? {
        guard guest.kind == .vm, current["status"]?.string == "running" else { return nil }
        let agent = config["agent"]?.string ?? ""
        guard agent.hasPrefix("1") || agent.contains("enabled=1") else { return nil }
        guard let answer = try? api.get(guest.apiPath + "/agent/network-get-interfaces") else { return nil }
        let interfaces = answer["result"]?.array ?? answer.array ?? []
        var out: [(String, JSON)] = []
        for iface in interfaces {
            guard let name = iface["name"]?.string, name != "lo" else { continue }
            let addrs = (iface["ip-addresses"]?.array ?? []).compactMap { a -> JSON? in
                guard let ip = a["ip-address"]?.string else { return nil }
                return .string(ip + (a["prefix"]?.int.map { "/\($0)" } ?? ""))
            }
            if !addrs.isEmpty { out.append((name, .array(addrs))) }
        }
        return out.isEmpty ? nil : .object(out)
    }

    /// A node: under `-o json|yaml` its status as PVE gives it (and its name); as text, what an
    /// admin reads first (state, load, memory, disk, guests, versions) in humanised units, with
    /// the node's state and guests from `snapshot` (read here when the caller has none).
    static func showNode(_ node: String, _ api: APIBackend, snapshot known: ClusterSnapshot?, inv: Invocation) throws -> CommandOutput {
        let status = try api.get("/nodes/\(node)/status")
        guard inv.outputFormat == .text else { return .record(KeyOrder.sorted(status).setting("node", to: .string(node))) }
        let snapshot = try known ?? api.clusterSnapshot()
        var pairs: [(String, JSON)] = [("node", .string(node))]
        if let state = snapshot.nodes.first(where: { $0.node == node })?.status { pairs.append(("status", .string(state))) }
        if let uptime = status["uptime"]?.int { pairs.append(("uptime", .string(Humanize.duration(uptime)))) }
        let info = status["cpuinfo"]
        if let cpu = status["cpu"]?.double {
            let cpus = info?["cpus"]?.int.map { " of \($0) CPUs" } ?? ""
            pairs.append(("cpu", .string(Humanize.percent(fraction: cpu) + cpus)))
        }
        if let model = info?["model"]?.string {
            let layout = [info?["sockets"]?.int.map { "\($0) socket" + ($0 == 1 ? "" : "s") },
                          info?["cores"]?.int.map { "\($0) cores" }].compactMap { $0 }
            pairs.append(("cpu model", .string(model + (layout.isEmpty ? "" : " (" + layout.joined(separator: ", ") + ")"))))
        }
        if let load = status["loadavg"]?.array?.compactMap({ $0.string ?? $0.double.map { String($0) } }), !load.isEmpty {
            pairs.append(("load average", .string(load.joined(separator: ", "))))
        }
        if let wait = status["wait"]?.double { pairs.append(("io wait", .string(Humanize.percent(fraction: wait)))) }
        for (key, label) in [("memory", "memory"), ("swap", "swap"), ("rootfs", "root disk")] {
            if let used = status[key]?["used"]?.double, let total = status[key]?["total"]?.double {
                pairs.append((label, .string(usage(used, of: total))))
            }
        }
        let guests = snapshot.guests.filter { $0.node == node }
        let running = guests.filter { $0.status == "running" }.count
        pairs.append(("guests", .string("\(guests.count) (\(running) running)")))
        if let version = status["pveversion"]?.string { pairs.append(("version", .string(version))) }
        if let kernel = status["current-kernel"]?["release"]?.string ?? status["kversion"]?.string { pairs.append(("kernel", .string(kernel))) }
        if let boot = status["boot-info"], let mode = boot["mode"]?.string {
            let secure = boot["secureboot"]?.int.map { $0 == 0 ? " (secure boot off)" : " (secure boot on)" } ?? ""
            pairs.append(("boot", .string(mode + secure)))
        }
        return .record(.object(pairs))
    }

    /// A storage: its configuration, then per node where it is available its state and usage
    /// (humanised as text; PVE's numbers under `-o json|yaml`).
    static func showStorage(_ id: String, _ api: APIBackend, snapshot: ClusterSnapshot, inv: Invocation) throws -> CommandOutput {
        let config = try api.get("/storage/\(id)")
        let text = inv.outputFormat == .text
        let rows = snapshot.storages.filter { $0.storage == id }
        if text {
            let perNode = rows.map { storage -> (String, JSON) in
                var line = storage.status ?? "unknown"
                if let used = storage.disk, let total = storage.maxdisk, total > 0 { line += ", " + usage(Double(used), of: Double(total)) }
                return (storage.node ?? "?", .string(line))
            }
            return .record(KeyOrder.sorted(config).setting("nodes", to: .object(perNode)))
        }
        let perNode = rows.map { storage in
            JSON.object([
                ("node", storage.raw["node"] ?? .null), ("status", storage.raw["status"] ?? .null),
                ("used", storage.raw["disk"] ?? .null), ("total", storage.raw["maxdisk"] ?? .null),
            ])
        }
        return .record(KeyOrder.sorted(config).setting("nodes", to: .array(perNode)))
    }

    /// `8.1 GiB of 64.0 GiB (12.6%)`.
    static func usage(_ used: Double, of total: Double) -> String {
        "\(Humanize.bytes(used)) of \(Humanize.bytes(total))" + (total > 0 ? " (\(Humanize.percent(fraction: used / total)))" : "")
    }
}
