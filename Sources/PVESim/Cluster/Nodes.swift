import PVESchema

extension ClusterState {
    /// CPU fraction and used memory of a node: a base load plus its running guests.
    func nodeUsage(_ node: NodeInfo) -> (cpu: Double, mem: Int64) {
        guard node.online else { return (0, 0) }
        var cpu = 0.02 + 0.05 * node.loadFactor * wave(node.id &* 101)
        var mem: Int64 = 3 << 30
        let threads = Double(node.cores * 2 * node.sockets)
        for guest in guests.values where guest.node == node.name && guest.isRunning {
            cpu += cpuUsage(guest) * Double(guest.maxcpu) / threads
            mem += memUsage(guest)
        }
        return (min(cpu, 1), min(mem, node.memory - (1 << 30)))
    }

    func nodeSummary(_ node: NodeInfo, asResource: Bool) -> JSON {
        let usage = nodeUsage(node)
        let rootTotal: Int64 = 100 << 30
        var row: [(String, JSON)] = [
            ("id", .string("node/\(node.name)")), ("type", "node"), ("node", .string(node.name)),
            ("status", .string(node.online ? "online" : "offline")),
        ]
        if node.online {
            row += [
                ("cpu", .double(usage.cpu)), ("maxcpu", .int(Int64(node.cores * 2 * node.sockets))),
                ("mem", .int(usage.mem)), ("maxmem", .int(node.memory)),
                ("disk", .int(Int64(Double(rootTotal) * (0.12 + 0.1 * unit(node.id))))), ("maxdisk", .int(rootTotal)),
                ("uptime", .int(Int64(now - node.bootTime))), ("level", ""),
            ]
        }
        if asResource { row.append(("cgroup-mode", 2)) } else { row.append(("ssl_fingerprint", .string(fingerprint(node)))) }
        return .object(row)
    }

    private func fingerprint(_ node: NodeInfo) -> String {
        let hex = SHA1.hex("node-cert-\(node.name)") + SHA1.hex("node-cert-2-\(node.name)")
        var pairs: [String] = []
        var index = hex.startIndex
        for _ in 0..<32 {
            let next = hex.index(index, offsetBy: 2)
            pairs.append(hex[index..<next].uppercased())
            index = next
        }
        return pairs.joined(separator: ":")
    }

    func currentNode(_ call: Call) throws(SimError) -> NodeInfo {
        guard let node = node(named: call.node) else { throw .failed("no such node '\(call.node)'") }
        return node
    }

    func listNodes(_ call: Call) throws(SimError) -> JSON {
        .array(nodes.map { nodeSummary($0, asResource: false) })
    }

    func nodeIndex(_ call: Call) throws(SimError) -> JSON {
        .array(["aplinfo", "disks", "firewall", "lxc", "network", "qemu", "rrddata", "status", "storage", "tasks", "version", "vzdump"]
            .map { .object([("name", .string($0))]) })
    }

    func nodeStatus(_ call: Call) throws(SimError) -> JSON {
        let node = try currentNode(call)
        let usage = nodeUsage(node)
        let threads = node.cores * 2 * node.sockets
        let load = node.loadFactor * Double(threads) * 0.1
        let loads = [load * (0.8 + 0.4 * wave(node.id, period: 60)), load, load * 0.95].map { Sizes.fixed($0, 2) }
        let rootTotal: Int64 = 100 << 30
        let rootUsed = Int64(Double(rootTotal) * (0.12 + 0.1 * unit(node.id)))
        let swapTotal: Int64 = 8 << 30
        return .object([
            ("uptime", .int(Int64(now - node.bootTime))), ("cpu", .double(usage.cpu)), ("wait", .double(0.0008)),
            ("idle", 0), ("loadavg", .array(loads.map { .string($0) })),
            ("cpuinfo", .object([
                ("model", .string(node.cpuModel)), ("cores", .int(Int64(node.cores))), ("sockets", .int(Int64(node.sockets))),
                ("cpus", .int(Int64(threads))), ("mhz", "3400.000"), ("hvm", "1"), ("user_hz", 100),
                ("flags", "fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush mmx fxsr sse sse2 ht syscall nx lm constant_tsc aes avx avx2"),
            ])),
            ("memory", .object([
                ("total", .int(node.memory)), ("used", .int(usage.mem)), ("free", .int(node.memory - usage.mem)),
                ("available", .int(node.memory - usage.mem)),
            ])),
            ("swap", .object([("total", .int(swapTotal)), ("used", 0), ("free", .int(swapTotal))])),
            ("rootfs", .object([("total", .int(rootTotal)), ("used", .int(rootUsed)), ("free", .int(rootTotal - rootUsed)), ("avail", .int(rootTotal - rootUsed))])),
            ("ksm", .object([("shared", 0)])),
            ("kversion", .string(SimVersion.kversion)),
            ("current-kernel", .object([
                ("sysname", "Linux"), ("release", .string(SimVersion.kernel)), ("machine", "x86_64"),
                ("version", "#1 SMP PREEMPT_DYNAMIC PMX 6.14.11-4 (2025-10-10T08:04Z)"),
            ])),
            ("boot-info", .object([("mode", "efi"), ("secureboot", 0)])),
            ("pveversion", .string(SimVersion.pveversion)),
        ])
    }

    func nodeVersion(_ call: Call) throws(SimError) -> JSON {
        .object([("version", .string(SimVersion.version)), ("release", .string(SimVersion.release)), ("repoid", .string(SimVersion.repoid))])
    }

    // MARK: Disks

    func diskList(_ call: Call) throws(SimError) -> JSON {
        let node = try currentNode(call)
        let typeFilter = call.optionalString("type")
        return .array(node.disks.compactMap { disk in
            if typeFilter == "unused", disk.used != nil { return nil }
            var row: [(String, JSON)] = [
                ("devpath", .string(disk.devpath)), ("model", .string(disk.model)), ("serial", .string(disk.serial)),
                ("size", .int(disk.size)), ("type", .string(disk.type)), ("health", .string(disk.health)), ("wwn", .string(disk.wwn)),
                ("gpt", 1), ("mounted", 0), ("osdid", -1), ("osdid-list", .null), ("vendor", .string(disk.type == "nvme" ? "unknown" : "ATA")),
                ("rpm", .int(disk.type == "hdd" ? 5400 : 0)), ("wearout", disk.type == "hdd" ? "N/A" : .int(97)),
                ("by_id_link", .string("/dev/disk/by-id/\(disk.type == "nvme" ? "nvme" : "ata")-\(disk.model)_\(disk.serial)")),
            ]
            if let used = disk.used { row.append(("used", .string(used))) }
            return .object(row)
        })
    }

    func diskIndex(_ call: Call) throws(SimError) -> JSON {
        .array(["directory", "list", "lvm", "lvmthin", "smart", "zfs"].map { .object([("name", .string($0))]) })
    }

    // MARK: Appliance templates

    static let appliances: [(name: String, os: String, section: String, version: String, headline: String, size: Int64)] = [
        ("debian-12-standard_12.7-1_amd64.tar.zst", "debian-12", "system", "12.7-1", "Debian 12 Bookworm (standard)", 126 << 20),
        ("debian-13-standard_13.1-2_amd64.tar.zst", "debian-13", "system", "13.1-2", "Debian 13 Trixie (standard)", 131 << 20),
        ("ubuntu-24.04-standard_24.04-2_amd64.tar.zst", "ubuntu-24.04", "system", "24.04-2", "Ubuntu 24.04 Noble (standard)", 141 << 20),
        ("alpine-3.20-default_20240908_amd64.tar.xz", "alpine-3.20", "system", "3.20-default", "Alpine Linux 3.20 (default)", 3 << 20),
        ("alpine-3.22-default_20250617_amd64.tar.xz", "alpine-3.22", "system", "3.22-default", "Alpine Linux 3.22 (default)", 3 << 20),
        ("rockylinux-9-default_20240912_amd64.tar.xz", "rockylinux-9", "system", "9-default", "Rocky Linux 9 (default)", 93 << 20),
        ("turnkey-wordpress_18.1-1_amd64.tar.gz", "debian-12", "turnkeylinux", "18.1-1", "TurnKey WordPress", 334 << 20),
    ]

    func aplinfo(_ call: Call) throws(SimError) -> JSON {
        .array(Self.appliances.map { app in
            .object([
                ("template", .string(app.name)), ("package", .string(String(app.name.split(separator: "_").first ?? ""))),
                ("os", .string(app.os)), ("section", .string(app.section)), ("version", .string(app.version)),
                ("headline", .string(app.headline)), ("type", "lxc"), ("architecture", "amd64"),
                ("location", .string("http://download.proxmox.com/images/system/\(app.name)")),
                ("infopage", "https://pve.proxmox.com/wiki/Linux_Container#pct_supported_distributions"),
                ("source", "http://download.proxmox.com/images/aplinfo-pve-9.dat"),
                ("sha512sum", .string(SHA1.hex(app.name) + SHA1.hex(app.os) + SHA1.hex(app.version) + String(SHA1.hex(app.headline).prefix(8)))),
                ("maintainer", "Proxmox Support Team <support@proxmox.com>"), ("description", .string(app.headline)),
            ])
        })
    }

    func downloadAppliance(_ call: Call) throws(SimError) -> JSON {
        let storageID = try call.string("storage")
        let name = try call.string("template")
        guard let app = Self.appliances.first(where: { $0.name == name }) else { throw .failed("no such template") }
        let storage = try usableStorage(storageID, node: call.node)
        guard storage.content.contains("vztmpl") else {
            throw .failed("storage '\(storageID)' does not support templates")
        }
        let volid = "\(storageID):vztmpl/\(name)"
        let node = call.node
        let progress = (1...5).map { "download progress: \($0 * 20)% (\(Sizes.human(Double(app.size) * Double($0) / 5)) of \(Sizes.human(Double(app.size))))" }
        return .string(startTask(
            node: node, type: "download", id: name, user: call.identity.authid,
            header: ["starting template download from: http://download.proxmox.com/images/system/\(name)", "target file: /var/lib/vz/template/cache/\(name)"],
            progress: progress + ["download of '\(name)' to '\(volid)' finished"],
            completion: { s in
                if s.findVolume(volid, node: node) == nil {
                    s.addVolume(Volume(volid: volid, content: "vztmpl", format: name.hasSuffix(".tar.xz") ? "txz" : "tzst", size: app.size, ctime: s.nowInt), node: node)
                }
                return nil
            }))
    }
}

extension Routes {
    static let nodeRoutes: [Route] = [
        Route("GET", "/nodes", .any) { s, c throws(SimError) in try s.listNodes(c) },
        Route("GET", "/nodes/{node}", .any) { s, c throws(SimError) in try s.nodeIndex(c) },
        Route("GET", "/nodes/{node}/status", .node("Sys.Audit")) { s, c throws(SimError) in try s.nodeStatus(c) },
        Route("GET", "/nodes/{node}/version", .any) { s, c throws(SimError) in try s.nodeVersion(c) },
        Route("GET", "/nodes/{node}/disks", .any) { s, c throws(SimError) in try s.diskIndex(c) },
        Route("GET", "/nodes/{node}/disks/list", .or([.rootPath("Sys.Audit"), .node("Sys.Audit")])) { s, c throws(SimError) in try s.diskList(c) },
        Route("GET", "/nodes/{node}/aplinfo", .any) { s, c throws(SimError) in try s.aplinfo(c) },
        Route("POST", "/nodes/{node}/aplinfo", .storage("Datastore.AllocateTemplate")) { s, c throws(SimError) in try s.downloadAppliance(c) },
    ]
}
