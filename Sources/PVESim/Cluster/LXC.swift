import PVESchema

/// Create parameters that are not config keys (secrets are never stored).
private let lxcCreateControlKeys: Set<String> = [
    "node", "vmid", "ostemplate", "start", "pool", "storage", "restore", "force", "unique", "password", "ssh-public-keys",
    "ignore-unpack-errors", "bwlimit",
]

extension ClusterState {
    /// `POST /nodes/{node}/lxc`: a new container from a template, or a restore with `restore=1`.
    func createCT(_ call: Call) throws(SimError) -> JSON {
        let vmid = try call.vmid()
        let node = call.node
        let pool = try checkPool(call)
        let ostemplate = try call.string("ostemplate")
        let restore = call.bool("restore")
        let action = restore ? "restore" : "create"
        if let existing = guests[vmid] {
            guard restore, call.bool("force"), existing.node == node, existing.kind == .lxc else {
                throw .failed("unable to \(action) CT \(vmid) - \(existing.kind.label) \(vmid) already exists on node '\(existing.node)'")
            }
            if existing.isRunning { throw .failed("unable to restore CT \(vmid) - CT is running") }
            try checkNotLocked(existing, call)
        }
        guard (100...999_999_999).contains(vmid) else { throw .parameters(["vmid": "invalid format - value must be between 100 and 999999999"]) }
        guard let source = findVolume(ostemplate, node: node) else { throw .failed("volume '\(ostemplate)' does not exist") }
        var values: [String: String] = [:]
        if restore {
            guard source.content == "backup", let saved = source.backup, saved.kind == .lxc else {
                throw .failed("unable to restore CT \(vmid) - archive '\(ostemplate)' is not a container backup")
            }
            for (key, value) in saved.config where !["lock", "parent"].contains(key) && !key.hasPrefix("unused") { values[key] = value }
            for (key, value) in saved.config where GuestDisks.isDiskKey(key, kind: .lxc) && !key.hasPrefix("unused") {
                let original = String(GuestDisks.volid(of: value).split(separator: ":").first ?? "")
                let storageID = call.optionalString("storage") ?? (storage(original)?.available(on: node) == true ? original : "local-lvm")
                let size = GuestDisks.size(of: value) ?? 8 << 30
                let options = value.split(separator: ",").dropFirst().filter { !$0.hasPrefix("size=") }.map(String.init)
                values[key] = (["\(storageID):\(Double(size) / Double(1 << 30))"] + options).joined(separator: ",")
            }
        } else {
            guard source.content == "vztmpl" else { throw .failed("volume '\(ostemplate)' is not a container template") }
            values["rootfs"] = "\(call.optionalString("storage") ?? "local"):4"
            values["ostype"] = Self.ostype(ofTemplate: ostemplate)
            values["arch"] = "amd64"
        }
        for (key, value) in call.params where !lxcCreateControlKeys.contains(key) { values[key] = value }
        if values["memory"] == nil { values["memory"] = "512" }
        if values["swap"] == nil { values["swap"] = "512" }
        var plan = try planDisks(values, kind: .lxc, vmid: vmid, node: node, existing: [:], action: action)
        for (key, value) in try normalizedNets(plan.values, kind: .lxc, node: node) { plan.values[key] = value }
        var config = plan.values
        if config["hostname"] == nil { config["hostname"] = "CT\(vmid)" }
        config["lock"] = "create"
        let replaced = guests[vmid].map { guestVolumes($0) } ?? []
        for volid in replaced { removeVolume(volid, node: node) }
        guests[vmid] = Guest(kind: .lxc, vmid: vmid, node: node, config: config)
        for volume in plan.volumes { addVolume(volume, node: node) }
        let path = restore ? archivePath(ostemplate) : "/var/lib/vz/template/cache/\(ostemplate.split(separator: "/").last ?? "")"
        let total = max(source.size * 4, 1 << 20)
        var progress = plan.log + [restore ? "restoring '\(ostemplate)' now.." : "extracting archive '\(path)'"]
        progress += (1...4).map { "extracted \(Sizes.human(Double(total) * Double($0) / 4)) of \(Sizes.human(Double(total))) (\($0 * 25).00%)" }
        progress.append("Total bytes read: \(total) (\(total >> 20)MiB, 230MiB/s)")
        if !restore {
            progress += ["Detected container architecture: amd64", "Creating SSH host key 'ssh_host_ed25519_key' - this may take some time ...",
                         "done: SHA256:\(SHA1.hex("\(vmid)").prefix(43)) root@\(config["hostname"] ?? "")"]
        }
        let failure = config["hostname"] == "broken" ? "unable to create CT \(vmid) - command 'lxc-usernsexec' failed: exit code 1" : nil
        let volumes = plan.volumes.map(\.volid)
        let startAfter = call.bool("start")
        let now = self.now
        return .string(startTask(
            node: node, type: restore ? "vzrestore" : "vzcreate", id: String(vmid), user: call.identity.authid,
            progress: progress, failure: failure, durationFactor: restore ? 2 : 1,
            completion: { s in
                s.finishCreation(vmid: vmid, pool: pool, startAfter: startAfter, at: now)
                return nil
            },
            cleanup: { s in s.discardCreation(vmid: vmid, volumes: volumes, node: node) }))
    }

    /// `GET /nodes/{node}/lxc/{vmid}/interfaces`: the addresses a running container has.
    func containerInterfaces(_ call: Call) throws(SimError) -> JSON {
        let guest = try guest(call, .lxc)
        guard guest.isRunning else { throw .failed("container not running") }
        var rows: [JSON] = [.object([("name", "lo"), ("hwaddr", "00:00:00:00:00:00"), ("inet", "127.0.0.1/8"), ("inet6", "::1/128")])]
        for index in 0..<10 {
            guard let net = guest.config["net\(index)"] else { continue }
            var name = "eth\(index)"
            var mac = ""
            var ip: String?
            for part in net.split(separator: ",") {
                let kv = part.split(separator: "=", maxSplits: 1).map(String.init)
                guard kv.count == 2 else { continue }
                switch kv[0] {
                case "name": name = kv[1]
                case "hwaddr": mac = kv[1].lowercased()
                case "ip": ip = kv[1]
                default: break
                }
            }
            let address = ip.flatMap { $0 == "dhcp" || $0 == "manual" ? nil : $0 } ?? "192.168.1.\(100 + (guest.vmid + index * 37) % 150)/24"
            rows.append(.object([("name", .string(name)), ("hwaddr", .string(mac)), ("inet", .string(address)),
                                 ("inet6", .string("fe80::be24:11ff:fe00:\(String(guest.vmid % 0x10000, radix: 16))/64"))]))
        }
        return .array(rows)
    }

    static func ostype(ofTemplate volid: String) -> String {
        let name = String(volid.split(separator: "/").last ?? "")
        for os in ["debian", "ubuntu", "alpine", "centos", "fedora", "archlinux", "rockylinux", "almalinux", "opensuse", "devuan", "gentoo", "nixos"]
        where name.hasPrefix(os) {
            return os == "rockylinux" || os == "almalinux" ? "centos" : os
        }
        return "unmanaged"
    }
}

extension Routes {
    static let lxcRoutes: [Route] = [
        Route("POST", "/nodes/{node}/lxc", .or([.perm("/vms/{vmid}", ["VM.Allocate"], any: false), .perm("/pool/{pool}", ["VM.Allocate"], any: false)])) { s, c throws(SimError) in
            try s.createCT(c)
        },
        Route("GET", "/nodes/{node}/lxc/{vmid}/interfaces", .vm("VM.Audit")) { s, c throws(SimError) in try s.containerInterfaces(c) },
    ]
}
