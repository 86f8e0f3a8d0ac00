import Foundation
import PVESchema

/// Create parameters that are not config keys.
private let qemuCreateControlKeys: Set<String> = [
    "node", "vmid", "archive", "start", "pool", "storage", "unique", "force", "bwlimit", "live-restore", "import-working-storage",
]

extension ClusterState {
    /// `POST /nodes/{node}/qemu`: a new VM, or a restore when `archive` is given.
    func createVM(_ call: Call) throws(SimError) -> JSON {
        let vmid = try call.vmid()
        let node = call.node
        let pool = try checkPool(call)
        if let archive = call.optionalString("archive") { return try restoreVM(call, vmid: vmid, archive: archive, pool: pool) }
        try checkVMIDFree(vmid, kind: .qemu, action: "create")
        var values: [String: String] = [:]
        for (key, value) in call.params where !qemuCreateControlKeys.contains(key) { values[key] = value }
        var plan = try planDisks(values, kind: .qemu, vmid: vmid, node: node, existing: [:])
        for (key, value) in try normalizedNets(plan.values, kind: .qemu, node: node) { plan.values[key] = value }
        var config = plan.values
        config["smbios1"] = "uuid=\(Seed.uuid(self))"
        config["vmgenid"] = Seed.uuid(self)
        config["meta"] = "creation-qemu=\(SimVersion.qemu),ctime=\(nowInt)"
        config["lock"] = "create"
        guests[vmid] = Guest(kind: .qemu, vmid: vmid, node: node, config: config)
        for volume in plan.volumes { addVolume(volume, node: node) }
        let startAfter = call.bool("start")
        let failure = config["name"] == "broken" ? "unable to create VM \(vmid) - command 'qemu-img create' failed: exit code 1" : nil
        let volumes = plan.volumes.map(\.volid)
        let now = self.now
        return .string(startTask(
            node: node, type: "qmcreate", id: String(vmid), user: call.identity.authid, progress: plan.log, failure: failure,
            completion: { s in
                s.finishCreation(vmid: vmid, pool: pool, startAfter: startAfter, at: now)
                return nil
            },
            cleanup: { s in s.discardCreation(vmid: vmid, volumes: volumes, node: node) }))
    }

    /// Restore of a `vzdump-qemu-*` backup to `vmid`; with `force=1` it replaces a stopped VM on this node.
    private func restoreVM(_ call: Call, vmid: Int, archive: String, pool: String?) throws(SimError) -> JSON {
        let node = call.node
        if let existing = guests[vmid] {
            guard call.bool("force") else {
                throw .failed("unable to restore VM \(vmid) - VM \(vmid) already exists on node '\(existing.node)'")
            }
            guard existing.node == node, existing.kind == .qemu else {
                throw .failed("unable to restore VM \(vmid) - VM \(vmid) already exists on node '\(existing.node)'")
            }
            if existing.isRunning { throw .failed("unable to restore VM \(vmid) - VM is running") }
            try checkNotLocked(existing, call)
        }
        guard let backup = findVolume(archive, node: node), backup.content == "backup", let saved = backup.backup else {
            throw .failed("volume '\(archive)' does not exist")
        }
        guard saved.kind == .qemu else { throw .failed("unable to restore VM \(vmid) - archive '\(archive)' is not a VM backup") }
        let targetStorage = call.optionalString("storage")
        var requests: [String: String] = [:]
        var config = saved.config
        for (key, value) in saved.config where GuestDisks.isDiskKey(key, kind: .qemu) && !key.hasPrefix("unused") && !GuestDisks.isCdrom(value) {
            let original = String(GuestDisks.volid(of: value).split(separator: ":").first ?? "")
            let storageID = targetStorage ?? (storage(original)?.available(on: node) == true ? original : "local-lvm")
            let size = GuestDisks.size(of: value) ?? 1 << 30
            let options = value.split(separator: ",").dropFirst().filter { !$0.hasPrefix("size=") }.map(String.init)
            requests[key] = (["\(storageID):\(Double(size) / Double(1 << 30))"] + options).joined(separator: ",")
        }
        for key in saved.config.keys where key.hasPrefix("unused") { config[key] = nil }
        var taken = guests[vmid].map { guestVolumes($0) } ?? []
        if call.bool("force"), let old = guests[vmid] { taken = guestVolumes(old) }
        let replaced = taken
        let plan = try planDisks(requests, kind: .qemu, vmid: vmid, node: node, existing: [:], action: "restore")
        for (key, value) in plan.values { config[key] = value }
        for key in ["lock", "parent"] { config[key] = nil }
        if !call.has("unique") || call.bool("unique") {
            for (key, value) in config where key.hasPrefix("net") && Int(key.dropFirst(3)) != nil {
                config[key] = normalizeNet(value.split(separator: ",").map { part in
                    let kv = part.split(separator: "=", maxSplits: 1)
                    return kv.count == 2 && kv[1].count == 17 ? String(kv[0]) : String(part)
                }.joined(separator: ","), kind: .qemu, index: 0)
            }
        }
        config["lock"] = "create"
        for volid in replaced { removeVolume(volid, node: node) }
        guests[vmid] = Guest(kind: .qemu, vmid: vmid, node: node, config: config)
        for volume in plan.volumes { addVolume(volume, node: node) }
        let total = plan.volumes.reduce(Int64(0)) { $0 + $1.size }
        let path = archivePath(archive)
        var header = [
            "restore vma archive: zstd -q -d -c \(path) | vma extract -v -r /var/tmp/vzdumptmp\(vmid).fifo - /var/tmp/vzdumptmp\(vmid)",
            "CFG: size: \(saved.config.count * 40) name: qemu-server.conf",
        ]
        for (index, volume) in plan.volumes.enumerated() {
            header.append("DEV: dev_id=\(index + 1) size: \(volume.size) devname: drive-\(plan.values.first { $0.value.hasPrefix(volume.volid) }?.key ?? "scsi\(index)")")
        }
        header.append("CTIME: \(UTCTime(Double(backup.ctime)).logStamp)")
        header += plan.volumes.map { "new volume ID is '\($0.volid)'" }
        let progress = (1...10).map { step -> String in
            let read = Int64(Double(total) * Double(step) / 10)
            return "progress \(step * 10)% (read \(read) bytes, duration \(step) sec)"
        } + ["total bytes read \(total), sparse bytes 0 (0%)", "space reduction due to 4K zero blocks 0.12%", "rescan volumes..."]
        let volumes = plan.volumes.map(\.volid)
        let now = self.now
        let startAfter = call.bool("start")
        return .string(startTask(
            node: node, type: "qmrestore", id: String(vmid), user: call.identity.authid, header: header, progress: progress,
            durationFactor: 3,
            completion: { s in
                s.finishCreation(vmid: vmid, pool: pool, startAfter: startAfter, at: now)
                return nil
            },
            cleanup: { s in s.discardCreation(vmid: vmid, volumes: volumes, node: node) }))
    }

    func archivePath(_ volid: String) -> String {
        let parts = volid.split(separator: ":", maxSplits: 1).map(String.init)
        guard parts.count == 2, let storage = storage(parts[0]) else { return volid }
        let base = storage.path ?? "/var/lib/vz"
        return "\(base)/dump/\(parts[1].replacingOccurrences(of: "backup/", with: ""))"
    }

    // MARK: Guest agent

    private func agentGuest(_ call: Call) throws(SimError) -> Guest {
        let guest = try guest(call, .qemu)
        guard agentEnabled(guest) else { throw .failed("No QEMU guest agent configured") }
        guard guest.power == .running else {
            throw .failed(guest.isRunning ? "QEMU guest agent is not running" : "VM \(guest.vmid) is not running")
        }
        return guest
    }

    func agentNetwork(_ call: Call) throws(SimError) -> JSON {
        let guest = try agentGuest(call)
        var nics: [JSON] = [.object([
            ("name", "lo"), ("hardware-address", "00:00:00:00:00:00"),
            ("ip-addresses", .array([
                .object([("ip-address", "127.0.0.1"), ("ip-address-type", "ipv4"), ("prefix", 8)]),
                .object([("ip-address", "::1"), ("ip-address-type", "ipv6"), ("prefix", 128)]),
            ])),
            ("statistics", .object([("rx-bytes", 1_234_567), ("rx-packets", 9876), ("tx-bytes", 1_234_567), ("tx-packets", 9876),
                                    ("rx-errs", 0), ("rx-dropped", 0), ("tx-errs", 0), ("tx-dropped", 0)])),
        ])]
        for index in 0..<8 {
            guard let net = guest.config["net\(index)"] else { continue }
            let mac = (net.split(separator: ",").first?.split(separator: "=").last.map(String.init) ?? "").lowercased()
            let host = 100 + (guest.vmid + index * 37) % 150
            let subnet = Self.bridge(of: net) == "vmbr1" ? "10.10.20" : "192.168.1"
            let counters = netCounters(guest)
            nics.append(.object([
                ("name", .string("ens\(18 + index)")), ("hardware-address", .string(mac)),
                ("ip-addresses", .array([
                    .object([("ip-address", .string("\(subnet).\(host)")), ("ip-address-type", "ipv4"), ("prefix", 24)]),
                    .object([("ip-address", .string("fe80::be24:11ff:fe\(hex2(guest.vmid % 256)):\(hex4(guest.vmid))")),
                             ("ip-address-type", "ipv6"), ("prefix", 64)]),
                ])),
                ("statistics", .object([("rx-bytes", .int(counters.netin)), ("rx-packets", .int(counters.netin / 900)),
                                        ("tx-bytes", .int(counters.netout)), ("tx-packets", .int(counters.netout / 900)),
                                        ("rx-errs", 0), ("rx-dropped", 0), ("tx-errs", 0), ("tx-dropped", 0)])),
            ]))
        }
        return .object([("result", .array(nics))])
    }

    func agentOSInfo(_ call: Call) throws(SimError) -> JSON {
        let guest = try agentGuest(call)
        let windows = (guest.config["ostype"] ?? "").hasPrefix("w")
        return .object([("result", .object(windows ? [
            ("id", "mswindows"), ("name", "Microsoft Windows"), ("pretty-name", "Windows Server 2022 Standard"),
            ("version", "Microsoft Windows Server 2022"), ("kernel-release", "20348"), ("machine", "x86_64"),
        ] : [
            ("id", "debian"), ("name", "Debian GNU/Linux"), ("pretty-name", "Debian GNU/Linux 12 (bookworm)"),
            ("version", "12 (bookworm)"), ("version-id", "12"), ("kernel-release", "6.1.0-27-amd64"),
            ("kernel-version", "#1 SMP PREEMPT_DYNAMIC Debian 6.1.115-1 (2024-11-01)"), ("machine", "x86_64"),
        ]))])
    }

    func agentHostName(_ call: Call) throws(SimError) -> JSON {
        let guest = try agentGuest(call)
        return .object([("result", .object([("host-name", .string(guest.name))]))])
    }

    func agentPing(_ call: Call) throws(SimError) -> JSON {
        _ = try agentGuest(call)
        return .object([("result", .object([]))])
    }

    func agentInfo(_ call: Call) throws(SimError) -> JSON {
        _ = try agentGuest(call)
        let commands = ["guest-ping", "guest-info", "guest-network-get-interfaces", "guest-get-osinfo", "guest-get-host-name", "guest-shutdown", "guest-fsfreeze-freeze"]
        return .object([("result", .object([
            ("version", "7.2.13"),
            ("supported_commands", .array(commands.map { .object([("name", .string($0)), ("enabled", true), ("success-response", true)]) })),
        ]))])
    }

    func agentIndex(_ call: Call) throws(SimError) -> JSON {
        _ = try guest(call, .qemu)
        return .array(["get-host-name", "get-osinfo", "info", "network-get-interfaces", "ping"].map { .object([("name", .string($0))]) })
    }
}

private func hex2(_ value: Int) -> String {
    let text = String(value & 0xFF, radix: 16)
    return text.count < 2 ? "0" + text : text
}

private func hex4(_ value: Int) -> String {
    let text = String(value & 0xFFFF, radix: 16)
    return String(repeating: "0", count: max(0, 4 - text.count)) + text
}

extension Routes {
    static let qemuRoutes: [Route] = [
        Route("POST", "/nodes/{node}/qemu", .or([.perm("/vms/{vmid}", ["VM.Allocate"], any: false), .perm("/pool/{pool}", ["VM.Allocate"], any: false)])) { s, c throws(SimError) in
            try s.createVM(c)
        },
        Route("POST", "/nodes/{node}/qemu/{vmid}/status/reset", .vm("VM.PowerMgmt")) { s, c throws(SimError) in try s.reset(c) },
        Route("POST", "/nodes/{node}/qemu/{vmid}/config", .vm("VM.Config.Disk", "VM.Config.CDROM", "VM.Config.CPU", "VM.Config.Memory",
                                                               "VM.Config.Network", "VM.Config.HWType", "VM.Config.Options", "VM.Config.Cloudinit")) { s, c throws(SimError) in
            try s.updateConfig(c, .qemu, async: true)
        },
        Route("GET", "/nodes/{node}/qemu/{vmid}/agent", .any) { s, c throws(SimError) in try s.agentIndex(c) },
        Route("GET", "/nodes/{node}/qemu/{vmid}/agent/network-get-interfaces", .vm("VM.GuestAgent.Audit", "VM.GuestAgent.Unrestricted")) { s, c throws(SimError) in
            try s.agentNetwork(c)
        },
        Route("GET", "/nodes/{node}/qemu/{vmid}/agent/get-osinfo", .vm("VM.GuestAgent.Audit", "VM.GuestAgent.Unrestricted")) { s, c throws(SimError) in try s.agentOSInfo(c) },
        Route("GET", "/nodes/{node}/qemu/{vmid}/agent/get-host-name", .vm("VM.GuestAgent.Audit", "VM.GuestAgent.Unrestricted")) { s, c throws(SimError) in try s.agentHostName(c) },
        Route("GET", "/nodes/{node}/qemu/{vmid}/agent/info", .vm("VM.GuestAgent.Audit", "VM.GuestAgent.Unrestricted")) { s, c throws(SimError) in try s.agentInfo(c) },
        Route("POST", "/nodes/{node}/qemu/{vmid}/agent/ping", .vm("VM.GuestAgent.Audit", "VM.GuestAgent.Unrestricted")) { s, c throws(SimError) in try s.agentPing(c) },
    ]
}
