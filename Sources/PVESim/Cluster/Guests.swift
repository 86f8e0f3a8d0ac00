import Foundation
import PVESchema

// What VMs and containers share: listings, status, lifecycle, config, clone, template, destroy,
// migrate, resize. Kind-specific parts live in Qemu.swift and LXC.swift.
//
// Failure triggers (documented for tests): a guest named `broken` or with `args: fail` in its
// config fails to start; creating or cloning to a guest named `broken` fails in the task; a VM
// with `acpi: 0` ignores shutdown requests (the task times out unless `forceStop=1`).

/// Config keys PVE returns as numbers rather than strings.
private let numericConfigKeys: Set<String> = [
    "cores", "sockets", "vcpus", "balloon", "cpuunits", "shares", "template", "onboot", "numa", "acpi", "kvm", "protection",
    "swap", "unprivileged", "tty", "console", "autostart", "localtime", "tablet", "reboot", "freeze", "migrate_speed",
    "cpulimit", "migrate_downtime", "keephugepages",
]

/// Parameters of config writes that are not config keys.
private let configControlKeys: Set<String> = [
    "node", "vmid", "digest", "delete", "revert", "skiplock", "force", "background_delay", "purge",
]

extension ClusterState {
    func configValue(_ key: String, _ value: String, kind: GuestKind) -> JSON {
        if kind == .lxc, key == "memory", let number = Int64(value) { return .int(number) }
        if numericConfigKeys.contains(key) {
            if let number = Int64(value) { return .int(number) }
            if let number = Double(value) { return .double(number) }
        }
        return .string(value)
    }

    func configJSON(_ config: [String: String], kind: GuestKind, digest: String?) -> JSON {
        var pairs: [(String, JSON)] = config.keys.sorted().compactMap { key in config[key].map { (key, configValue(key, $0, kind: kind)) } }
        if let digest { pairs.append(("digest", .string(digest))) }
        return .object(pairs)
    }

    // MARK: Listings and status

    func listGuests(_ call: Call, _ kind: GuestKind) throws(SimError) -> JSON {
        let node = call.node
        var rows: [JSON] = []
        for vmid in guests.keys.sorted() {
            guard let guest = guests[vmid], guest.kind == kind, guest.node == node, canAudit(call.identity, vmid: vmid) else { continue }
            rows.append(listRow(guest))
        }
        return .array(rows)
    }

    private func listRow(_ guest: Guest) -> JSON {
        let counters = netCounters(guest)
        var row: [(String, JSON)] = [
            // PVE sends the vmid of containers as a string here.
            ("vmid", guest.kind == .lxc ? .string(String(guest.vmid)) : .int(Int64(guest.vmid))),
            ("name", .string(guest.name)), ("status", .string(guest.isRunning ? "running" : "stopped")),
            ("cpu", .double(cpuUsage(guest))), ("cpus", .int(Int64(guest.maxcpu))),
            ("mem", .int(memUsage(guest))), ("maxmem", .int(guest.maxmem)),
            ("disk", .int(diskUsage(guest))), ("maxdisk", .int(guest.maxdisk)), ("uptime", .int(uptime(guest))),
            ("netin", .int(counters.netin)), ("netout", .int(counters.netout)),
            ("diskread", .int(counters.read)), ("diskwrite", .int(counters.write)),
        ]
        if guest.kind == .lxc {
            row.append(("type", "lxc"))
            row.append(("maxswap", .int(Int64(Int(guest.config["swap"] ?? "") ?? 512) * 1_048_576)))
            row.append(("swap", 0))
            // Containers that are not templates carry an empty string here.
            row.append(("template", guest.isTemplate ? .int(1) : .string("")))
        } else {
            if guest.isTemplate { row.append(("template", 1)) }
            if guest.isRunning { row.append(("pid", .int(Int64(4000 + guest.vmid % 60000)))) }
            row.append(("qmpstatus", .string(qmpStatus(guest))))
        }
        if !guest.tags.isEmpty { row.append(("tags", .string(guest.tags))) }
        if let lock = guest.lock { row.append(("lock", .string(lock))) }
        return .object(row)
    }

    func qmpStatus(_ guest: Guest) -> String {
        switch guest.power {
        case .running: return "running"
        case .paused: return "paused"
        case .stopped: return guest.lock == "suspended" ? "prelaunch" : "stopped"
        }
    }

    func guestIndex(_ call: Call, _ kind: GuestKind) throws(SimError) -> JSON {
        _ = try guest(call, kind)
        let names = kind == .qemu
            ? ["agent", "clone", "config", "firewall", "migrate", "pending", "resize", "rrddata", "snapshot", "status", "template"]
            : ["clone", "config", "firewall", "migrate", "pending", "resize", "rrddata", "snapshot", "status", "template"]
        return .array(names.map { .object([("subdir", .string($0))]) })
    }

    func statusIndex(_ call: Call, _ kind: GuestKind) throws(SimError) -> JSON {
        _ = try guest(call, kind)
        let names = kind == .qemu ? ["current", "reboot", "reset", "resume", "shutdown", "start", "stop", "suspend"]
            : ["current", "reboot", "resume", "shutdown", "start", "stop", "suspend"]
        return .array(names.map { .object([("subdir", .string($0))]) })
    }

    func currentStatus(_ call: Call, _ kind: GuestKind) throws(SimError) -> JSON {
        let guest = try guest(call, kind)
        let counters = netCounters(guest)
        var row: [(String, JSON)] = [
            ("vmid", .int(Int64(guest.vmid))), ("name", .string(guest.name)),
            ("status", .string(guest.isRunning ? "running" : "stopped")),
            ("cpu", .double(cpuUsage(guest))), ("cpus", .int(Int64(guest.maxcpu))),
            ("mem", .int(memUsage(guest))), ("maxmem", .int(guest.maxmem)),
            ("disk", .int(diskUsage(guest))), ("maxdisk", .int(guest.maxdisk)), ("uptime", .int(uptime(guest))),
            ("netin", .int(counters.netin)), ("netout", .int(counters.netout)),
            ("diskread", .int(counters.read)), ("diskwrite", .int(counters.write)),
        ]
        if let ha = haState(guest) {
            row.append(("ha", .object([("managed", 1), ("state", .string(ha))])))
        } else {
            row.append(("ha", .object([("managed", 0)])))
        }
        if guest.isTemplate { row.append(("template", 1)) }
        if !guest.tags.isEmpty { row.append(("tags", .string(guest.tags))) }
        if let lock = guest.lock { row.append(("lock", .string(lock))) }
        if kind == .qemu {
            row.append(("qmpstatus", .string(qmpStatus(guest))))
            row.append(("agent", .int(agentEnabled(guest) ? 1 : 0)))
            if guest.isRunning {
                row.append(("pid", .int(Int64(4000 + guest.vmid % 60000))))
                row.append(("running-machine", .string(SimVersion.machine)))
                row.append(("running-qemu", .string(SimVersion.qemu)))
                row.append(("balloon", .int(guest.maxmem)))
                row.append(("freemem", .int(guest.maxmem - memUsage(guest))))
                row.append(("proxmox-support", .object([("backup-max-workers", 1), ("pbs-dirty-bitmap", 1), ("query-bitmap-info", 1)])))
            }
        } else {
            row.append(("type", "lxc"))
            row.append(("maxswap", .int(Int64(Int(guest.config["swap"] ?? "") ?? 512) * 1_048_576)))
            row.append(("swap", 0))
            if guest.isRunning { row.append(("pid", .int(Int64(9000 + guest.vmid % 60000)))) }
        }
        return .object(row)
    }

    func agentEnabled(_ guest: Guest) -> Bool {
        guard let agent = guest.config["agent"] else { return false }
        let first = agent.split(separator: ",").first.map(String.init) ?? ""
        return first == "1" || first == "enabled=1"
    }

    // MARK: Lifecycle

    /// Why a start fails in the task (the documented triggers), or nil.
    func startFailure(_ guest: Guest) -> String? {
        if guest.name == "broken" || guest.config["args"] == "fail" {
            return guest.kind == .qemu ? "start failed: QEMU exited with code 1" : "startup for container '\(guest.vmid)' failed"
        }
        for (key, value) in guest.config where key.hasPrefix("net") {
            if let bridge = Self.bridge(of: value), !bridgeExists(bridge, node: guest.node) {
                return "bridge '\(bridge)' does not exist"
            }
        }
        return nil
    }

    /// A VM pinned to a machine version older than 6.0 starts with a deprecation warning, so its
    /// start task ends with `WARNINGS: 1` (the seeded 104 legacy-app is such a VM).
    func startWarnings(_ guest: Guest) -> [String] {
        guard guest.kind == .qemu, let machine = guest.config["machine"], let version = machine.split(separator: "-").last,
              let major = Int(version.split(separator: ".").first ?? ""), major < 6
        else { return [] }
        return ["machine version '\(machine)' is deprecated and support for it will be removed in a future release"]
    }

    static func bridge(of net: String) -> String? {
        for part in net.split(separator: ",") where part.hasPrefix("bridge=") { return String(part.dropFirst(7)) }
        return nil
    }

    func bridgeExists(_ bridge: String, node: String) -> Bool {
        self.node(named: node)?.interfaces.contains { $0.iface == bridge && ($0.type == "bridge" || $0.type == "OVSBridge") } ?? false
    }

    private func lifecycleTask(_ call: Call, _ guest: Guest, _ action: String, header: [String] = [], failure: String? = nil,
                               warnings: [String] = [], apply: @escaping (inout Guest, ClusterState) -> Void) -> JSON {
        let vmid = guest.vmid
        return .string(startTask(
            node: guest.node, type: guest.kind.taskPrefix + action, id: String(vmid), user: call.identity.authid,
            header: header, failure: failure, warnings: warnings, durationFactor: 1,
            completion: { s in
                guard s.guests[vmid] != nil else { return "\(guest.kind.label) \(vmid) does not exist any more" }
                s.updateGuest(vmid) { apply(&$0, s) }
                return nil
            }))
    }

    private func notRunning(_ guest: Guest) -> SimError { .failed("\(guest.kind.label) \(guest.vmid) not running") }

    private func applyPending(_ guest: inout Guest) {
        for (key, value) in guest.pending { guest.config[key] = value }
        for key in guest.pendingDelete { guest.config[key] = nil }
        guest.pending = [:]
        guest.pendingDelete = []
    }

    func start(_ call: Call, _ kind: GuestKind) throws(SimError) -> JSON {
        let guest = try guest(call, kind)
        if guest.isTemplate { throw .failed(kind == .qemu ? "you can't start a vm if it's a template" : "you can't start a CT if it's a template") }
        if guest.lock != "suspended" { try checkNotLocked(guest, call) }
        var failure = startFailure(guest)
        if guest.isRunning {
            if kind == .lxc { throw .failed("CT \(guest.vmid) already running") }
            failure = "VM \(guest.vmid) already running"
        }
        let now = self.now
        return lifecycleTask(call, guest, "start", failure: failure, warnings: startWarnings(guest)) { g, _ in
            if g.lock == "suspended" { g.config["lock"] = nil }
            self.applyPendingIfStopped(&g)
            g.power = .running
            g.startedAt = now
        }
    }

    private func applyPendingIfStopped(_ guest: inout Guest) { if guest.power == .stopped { applyPending(&guest) } }

    func stop(_ call: Call, _ kind: GuestKind) throws(SimError) -> JSON {
        let guest = try guest(call, kind)
        try checkNotLocked(guest, call)
        if kind == .lxc, !guest.isRunning { throw notRunning(guest) }
        return lifecycleTask(call, guest, "stop") { g, _ in
            g.power = .stopped
            self.applyPending(&g)
        }
    }

    func shutdown(_ call: Call, _ kind: GuestKind) throws(SimError) -> JSON {
        let guest = try guest(call, kind)
        try checkNotLocked(guest, call)
        guard guest.isRunning else { throw notRunning(guest) }
        let force = call.bool("forceStop")
        if guest.power == .paused, !force { throw .failed("VM is paused - cannot shutdown") }
        let timeout = try call.optionalInt("timeout") ?? (kind == .qemu ? 180 : 60)
        let ignoresACPI = kind == .qemu && guest.config["acpi"] == "0"
        if ignoresACPI && !force {
            return lifecycleTask(call, guest, "shutdown", failure: "VM quit/powerdown failed - got timeout after \(timeout)s") { _, _ in }
        }
        let header = ignoresACPI ? ["VM still running - terminating now with SIGTERM"] : []
        return lifecycleTask(call, guest, "shutdown", header: header) { g, _ in
            g.power = .stopped
            self.applyPending(&g)
        }
    }

    func reboot(_ call: Call, _ kind: GuestKind) throws(SimError) -> JSON {
        let guest = try guest(call, kind)
        try checkNotLocked(guest, call)
        guard guest.isRunning else { throw notRunning(guest) }
        let now = self.now
        return lifecycleTask(call, guest, "reboot") { g, _ in
            self.applyPending(&g)
            g.power = .running
            g.startedAt = now
        }
    }

    func reset(_ call: Call) throws(SimError) -> JSON {
        let guest = try guest(call, .qemu)
        try checkNotLocked(guest, call)
        guard guest.isRunning else { throw notRunning(guest) }
        let now = self.now
        return lifecycleTask(call, guest, "reset") { g, _ in
            g.power = .running
            g.startedAt = now
        }
    }

    func suspend(_ call: Call, _ kind: GuestKind) throws(SimError) -> JSON {
        let guest = try guest(call, kind)
        try checkNotLocked(guest, call)
        guard guest.isRunning else { throw notRunning(guest) }
        if call.bool("todisk") {
            guard let state = call.optionalString("statestorage") ?? guest.config["vmstatestorage"] ?? firstImageStorage(node: guest.node)
            else { throw .failed("no storage for the VM state available") }
            _ = try usableStorage(state, node: guest.node)
            updateGuest(guest.vmid) { $0.config["lock"] = "suspending" }
            return lifecycleTask(call, guest, "suspend", header: ["suspend to disk: saving VM state to '\(state)'"]) { g, _ in
                g.power = .stopped
                g.config["lock"] = "suspended"
            }
        }
        return lifecycleTask(call, guest, "suspend") { g, _ in g.power = .paused }
    }

    func resume(_ call: Call, _ kind: GuestKind) throws(SimError) -> JSON {
        let guest = try guest(call, kind)
        if guest.lock != "suspended" { try checkNotLocked(guest, call) }
        guard guest.isRunning else { throw notRunning(guest) }
        return lifecycleTask(call, guest, "resume") { g, _ in g.power = .running }
    }

    func firstImageStorage(node: String) -> String? {
        storages.first { $0.available(on: node) && $0.content.contains("images") }?.id
    }

    // MARK: Config

    func getConfig(_ call: Call, _ kind: GuestKind) throws(SimError) -> JSON {
        let guest = try guest(call, kind)
        if let snapname = call.optionalString("snapshot") {
            guard let snapshot = guest.snapshots.first(where: { $0.name == snapname }) else {
                throw .failed("snapshot '\(snapname)' does not exist")
            }
            return configJSON(snapshot.config, kind: kind, digest: guest.digest)
        }
        var config = guest.config
        if !call.bool("current") {
            for (key, value) in guest.pending { config[key] = value }
        }
        return configJSON(config, kind: kind, digest: guest.digest)
    }

    func pending(_ call: Call, _ kind: GuestKind) throws(SimError) -> JSON {
        let guest = try guest(call, kind)
        let keys = Set(guest.config.keys).union(guest.pending.keys).union(guest.pendingDelete).sorted()
        return .array(keys.map { key in
            var row: [(String, JSON)] = [("key", .string(key))]
            if let value = guest.config[key] { row.append(("value", configValue(key, value, kind: kind))) }
            if let value = guest.pending[key] { row.append(("pending", configValue(key, value, kind: kind))) }
            if guest.pendingDelete.contains(key) { row.append(("delete", 1)) }
            return .object(row)
        })
    }

    /// Keys a running guest takes at once; others wait in `pending` until the next stop.
    private func hotpluggable(_ key: String, kind: GuestKind) -> Bool {
        let always: Set<String> = ["name", "hostname", "tags", "description", "onboot", "protection", "boot", "startup", "lock"]
        if always.contains(key) || key.hasPrefix("net") || key.hasPrefix("unused") { return true }
        if kind == .lxc { return ["memory", "swap", "cores", "cpulimit", "cpuunits"].contains(key) || key.hasPrefix("mp") }
        return GuestDisks.qemuKeys.contains(key)
    }

    func updateConfig(_ call: Call, _ kind: GuestKind, async: Bool) throws(SimError) -> JSON {
        var guest = try guest(call, kind)
        if let digest = call.optionalString("digest"), digest != guest.digest {
            throw .failed("detected modified configuration - file changed by other user? Try again.")
        }
        try checkNotLocked(guest, call)
        if guest.isTemplate, call.params.keys.contains(where: { GuestDisks.isDiskKey($0, kind: kind) }) {
            throw .failed("you can't change disks of a template")
        }
        let deletes = (call.optionalString("delete") ?? "").split(whereSeparator: { $0 == "," || $0 == ";" || $0 == " " }).map(String.init)
        let reverts = (call.optionalString("revert") ?? "").split(whereSeparator: { $0 == "," || $0 == ";" || $0 == " " }).map(String.init)
        var sets: [String: String] = [:]
        for (key, value) in call.params where !configControlKeys.contains(key) {
            if ["password", "ssh-public-keys"].contains(key) { continue }
            sets[key] = value
        }
        for key in deletes where sets[key] != nil {
            throw .parameters([key: "unable to delete '\(key)' - option is also set"])
        }
        if let hostname = sets["hostname"], kind == .qemu { throw .parameters(["hostname": "property is not defined in schema and the schema does not allow additional properties (\(hostname))"]) }
        var plan = try planDisks(sets, kind: kind, vmid: guest.vmid, node: guest.node, existing: guest.config)
        for (key, value) in try normalizedNets(sets, kind: kind, node: guest.node) { plan.values[key] = value }
        // Everything is checked; apply.
        for volume in plan.volumes { addVolume(volume, node: guest.node) }
        for (key, value) in plan.values {
            if guest.isRunning && !hotpluggable(key, kind: kind) {
                guest.pending[key] = value
                guest.pendingDelete.remove(key)
            } else {
                guest.config[key] = value
            }
        }
        for key in deletes {
            if guest.isRunning && !hotpluggable(key, kind: kind) {
                if guest.config[key] != nil { guest.pendingDelete.insert(key) }
                continue
            }
            guard let old = guest.config.removeValue(forKey: key) else { continue }
            if key.hasPrefix("unused") {
                removeVolume(GuestDisks.volid(of: old), node: guest.node)
            } else if GuestDisks.isDiskKey(key, kind: kind), !GuestDisks.isCdrom(old), key != "rootfs" {
                guest.config[nextUnusedKey(guest.config)] = GuestDisks.volid(of: old)
            }
        }
        for key in reverts {
            guest.pending[key] = nil
            guest.pendingDelete.remove(key)
        }
        guests[guest.vmid] = guest
        if async {
            return .string(startTask(node: guest.node, type: "qmconfig", id: String(guest.vmid), user: call.identity.authid,
                                     header: plan.log, durationFactor: 0.2))
        }
        return .null
    }

    func nextUnusedKey(_ config: [String: String]) -> String {
        var n = 0
        while config["unused\(n)"] != nil { n += 1 }
        return "unused\(n)"
    }

    /// The `netN` entries of `values`, normalised (`normalizeNet`), each bridge checked to exist on `node`.
    func normalizedNets(_ values: [String: String], kind: GuestKind, node: String) throws(SimError) -> [String: String] {
        var nets: [String: String] = [:]
        for (key, value) in values where key.hasPrefix("net") && Int(key.dropFirst(3)) != nil {
            let normalized = normalizeNet(value, kind: kind, index: Int(key.dropFirst(3)) ?? 0)
            if let bridge = Self.bridge(of: normalized), !bridgeExists(bridge, node: node) {
                throw .failed("bridge '\(bridge)' does not exist on node '\(node)'")
            }
            nets[key] = normalized
        }
        return nets
    }

    /// Adds the MAC (and for containers the veth type) a new NIC gets.
    func normalizeNet(_ value: String, kind: GuestKind, index: Int) -> String {
        var parts = value.split(separator: ",").map(String.init)
        if kind == .qemu {
            let models = ["virtio", "e1000", "e1000e", "rtl8139", "vmxnet3", "i82551", "i82557b", "i82559er", "ne2k_isa", "ne2k_pci", "pcnet"]
            var model = "virtio"
            var mac: String?
            var rest: [String] = []
            for part in parts {
                let kv = part.split(separator: "=", maxSplits: 1).map(String.init)
                if kv.count == 1, models.contains(kv[0]) { model = kv[0] }
                else if kv.count == 2, models.contains(kv[0]) { model = kv[0]; mac = kv[1] }
                else if kv.count == 2, kv[0] == "model" { model = kv[1] }
                else if kv.count == 2, kv[0] == "macaddr" { mac = kv[1] }
                else { rest.append(part) }
            }
            return (["\(model)=\(mac ?? Seed.randomMAC(self))"] + rest).joined(separator: ",")
        }
        if !parts.contains(where: { $0.hasPrefix("hwaddr=") }) { parts.append("hwaddr=\(Seed.randomMAC(self))") }
        if !parts.contains(where: { $0.hasPrefix("type=") }) { parts.append("type=veth") }
        if !parts.contains(where: { $0.hasPrefix("name=") }) { parts.insert("name=eth\(index)", at: 0) }
        return parts.joined(separator: ",")
    }

    // MARK: Disks

    struct DiskPlan {
        var values: [String: String] = [:]
        var volumes: [Volume] = []
        var log: [String] = []
    }

    /// A storage that exists and is enabled on the node, else PVE's error.
    func usableStorage(_ id: String, node: String) throws(SimError) -> StorageDef {
        guard let storage = storage(id) else { throw .failed("storage '\(id)' does not exist") }
        guard storage.available(on: node) else { throw .failed("storage '\(id)' is not available on node '\(node)'") }
        return storage
    }

    /// Resolves disk parameters: `STORAGE:SIZE[,opts]` allocates a new volume, a volume id must exist,
    /// ISO images must exist. Checks everything before anything is created.
    func planDisks(_ values: [String: String], kind: GuestKind, vmid: Int, node: String, existing: [String: String],
                   action: String = "create") throws(SimError) -> DiskPlan {
        var plan = DiskPlan()
        var taken = Set(volumes.values.joined().map(\.volid))
        for key in values.keys.sorted() {
            guard let value = values[key] else { continue }
            let isDisk = GuestDisks.isDiskKey(key, kind: kind) || (kind == .qemu && key == "cdrom")
            guard isDisk else { plan.values[key] = value; continue }
            let configKey = key == "cdrom" ? "ide2" : key
            var parts = value.split(separator: ",").map(String.init)
            guard let head = parts.first else { continue }
            if head == "none" || head == "cdrom" { plan.values[configKey] = value; continue }
            let options = parts.dropFirst()
            let isCdrom = options.contains("media=cdrom") || key == "cdrom"
            let headParts = head.split(separator: ":", maxSplits: 1).map(String.init)
            guard headParts.count == 2 else { throw .parameters([key: "invalid format - unable to parse volume ID '\(head)'"]) }
            let storageID = headParts[0]
            let storage = try usableStorage(storageID, node: node)
            if isCdrom {
                guard storage.content.contains("iso") else { throw .failed("storage '\(storageID)' does not support ISO images") }
                guard findVolume(head, node: node) != nil else { throw .failed("volume '\(head)' does not exist") }
                if key == "cdrom" { plan.values[configKey] = "\(head),media=cdrom" } else { plan.values[configKey] = value }
                continue
            }
            let content = kind == .qemu ? "images" : "rootdir"
            guard storage.content.contains(content) else {
                throw .failed(kind == .qemu ? "storage '\(storageID)' does not support vm images"
                                            : "storage '\(storageID)' does not support container directories")
            }
            if let gigabytes = Double(headParts[1]) {
                guard gigabytes.isFinite, (0...1_048_576).contains(gigabytes) else {
                    throw .parameters([key: "invalid size '\(headParts[1])' - give the size in GiB (0 to 1048576)"])
                }
                // A new volume of that many GiB.
                var format = storage.type == "zfspool" && kind == .lxc ? "subvol" : (storage.defaultFormat == "qcow2" && kind == .qemu ? "qcow2" : "raw")
                if let requested = options.first(where: { $0.hasPrefix("format=") }).map({ String($0.dropFirst(7)) }) {
                    guard storage.formats.contains(requested) else {
                        throw .failed("unable to \(action) \(kind.label) \(vmid) - unsupported format '\(requested)' "
                            + "(storage '\(storageID)' of type '\(storage.type)' supports: \(storage.formats.joined(separator: ", ")))")
                    }
                    format = requested
                }
                var size = Int64(gigabytes * Double(1 << 30))
                if key == "efidisk0" || key == "tpmstate0" { size = key == "efidisk0" ? 528 << 10 : 4 << 20 }
                guard size > 0 || gigabytes == 0 else { throw .parameters([key: "invalid size '\(headParts[1])'"]) }
                if size == 0 { size = 1 << 30 }
                let prefix = format == "subvol" ? "subvol" : "vm"
                var n = 0
                func name(_ n: Int) -> String {
                    let base = storage.type == "dir" || storage.type == "nfs" ? "\(vmid)/\(prefix)-\(vmid)-disk-\(n).\(format)" : "\(prefix)-\(vmid)-disk-\(n)"
                    return "\(storageID):\(base)"
                }
                while taken.contains(name(n)) { n += 1 }
                let volid = name(n)
                taken.insert(volid)
                plan.volumes.append(Volume(volid: volid, content: content, format: format, size: size, vmid: vmid, ctime: nowInt))
                parts = [volid] + options.filter { !$0.hasPrefix("format=") && !$0.hasPrefix("size=") }
                if format != "raw" && format != "subvol" { parts.append("format=\(format)") }
                parts.append("size=\(Sizes.format(size))")
                plan.values[configKey] = parts.joined(separator: ",")
                if storage.type == "lvmthin" { plan.log.append("  Logical volume \"\(volid.split(separator: ":").last ?? "")\" created.") }
                if storage.type == "dir" || storage.type == "nfs" {
                    plan.log.append("Formatting '/var/lib/vz/images/\(volid.split(separator: ":").last ?? "")', fmt=\(format) size=\(size)")
                }
                plan.log.append("\(configKey): successfully created disk '\(plan.values[configKey] ?? "")'")
            } else {
                guard let volume = findVolume(head, node: node) else { throw .failed("volume '\(head)' does not exist") }
                if let owner = volume.vmid, owner != vmid, existing.values.contains(where: { $0.hasPrefix(head) }) == false {
                    throw .failed("volume '\(head)' belongs to VM \(owner)")
                }
                var result = value
                if !options.contains(where: { $0.hasPrefix("size=") }) { result += ",size=\(Sizes.format(volume.size))" }
                plan.values[configKey] = result
            }
        }
        return plan
    }

    /// Volumes a guest's config references (disks, unused disks, the cloud-init drive).
    func guestVolumes(_ guest: Guest) -> [String] {
        guest.config.compactMap { key, value in
            guard GuestDisks.isDiskKey(key, kind: guest.kind), !GuestDisks.isCdrom(value) else { return nil }
            return GuestDisks.volid(of: value)
        }.sorted()
    }

    // MARK: Create helpers shared by qemu and lxc

    /// PVE's check that a VMID is free, worded for the operation.
    func checkVMIDFree(_ vmid: Int, kind: GuestKind, action: String) throws(SimError) {
        if let other = guests[vmid] {
            throw .failed("unable to \(action) \(kind.label) \(vmid) - \(other.kind.label) \(vmid) already exists on node '\(other.node)'")
        }
        guard (100...999_999_999).contains(vmid) else { throw .parameters(["vmid": "invalid format - value must be between 100 and 999999999"]) }
    }

    func checkPool(_ call: Call) throws(SimError) -> String? {
        guard let pool = call.optionalString("pool") else { return nil }
        guard pools[pool] != nil else { throw .failed("pool '\(pool)' does not exist") }
        return pool
    }

    func addToPool(_ pool: String?, vmid: Int) {
        guard let pool, pools[pool] != nil else { return }
        for name in pools.keys { pools[name]?.vmids.removeAll { $0 == vmid } }
        pools[pool]?.vmids.append(vmid)
        guests[vmid]?.pool = pool
    }

    /// End of a successful create or restore task: the guest joins its pool, loses the `create`
    /// lock and starts when asked to.
    func finishCreation(vmid: Int, pool: String?, startAfter: Bool, at now: Double) {
        addToPool(pool, vmid: vmid)
        updateGuest(vmid) { g in
            g.config["lock"] = nil
            if startAfter {
                g.power = .running
                g.startedAt = now
            }
        }
    }

    /// A failed create or restore leaves nothing behind: the guest and its new volumes go.
    func discardCreation(vmid: Int, volumes: [String], node: String) {
        guests[vmid] = nil
        for volid in volumes { removeVolume(volid, node: node) }
        changed()
    }

    /// Progress lines of a copy: `transferred 1.0 GiB of 8.0 GiB (12.50%)`.
    func transferLines(_ size: Int64, steps: Int = 8) -> [String] {
        (0...steps).map { step in
            let done = Double(size) * Double(step) / Double(steps)
            let percent = Sizes.fixed(Double(step) * 100 / Double(steps), 2)
            return "transferred \(Sizes.human(done)) of \(Sizes.human(Double(size))) (\(percent)%)"
        }
    }

    // MARK: Clone, template, destroy

    func clone(_ call: Call, _ kind: GuestKind) throws(SimError) -> JSON {
        let source = try guest(call, kind)
        let newid = try call.int("newid")
        try checkVMIDFree(newid, kind: kind, action: "clone")
        let pool = try checkPool(call)
        let target = call.optionalString("target") ?? source.node
        guard node(named: target) != nil else { throw .failed("no such cluster node '\(target)'") }
        let full = call.has("full") ? call.bool("full") : !source.isTemplate
        if !full && !source.isTemplate { throw .failed("parameter 'full' must be set for a clone of a running or stopped \(kind.label) that is not a template") }
        if source.lock != nil, source.lock != "clone" { try checkNotLocked(source, call) }
        var config = source.config
        if let snapname = call.optionalString("snapname") {
            guard let snapshot = source.snapshots.first(where: { $0.name == snapname }) else { throw .failed("snapshot '\(snapname)' does not exist") }
            config = snapshot.config
        }
        for key in ["lock", "parent", "template", "vmstate"] { config[key] = nil }
        for key in config.keys where key.hasPrefix("unused") { config[key] = nil }
        let nameKey = kind == .qemu ? "name" : "hostname"
        config[nameKey] = call.optionalString(kind == .qemu ? "name" : "hostname") ?? "Copy-of-\(kind.label)-\(source.name)"
        if let description = call.optionalString("description") { config["description"] = description }
        let targetStorage = call.optionalString("storage")
        if let targetStorage {
            let storage = try usableStorage(targetStorage, node: target)
            guard storage.content.contains(kind == .qemu ? "images" : "rootdir") else {
                throw .failed(kind == .qemu ? "storage '\(targetStorage)' does not support vm images" : "storage '\(targetStorage)' does not support container directories")
            }
            if let format = call.optionalString("format"), !storage.formats.contains(format) {
                throw .failed("unable to clone \(kind.label) \(source.vmid) - unsupported format '\(format)' (storage '\(targetStorage)' of type '\(storage.type)' supports: \(storage.formats.joined(separator: ", ")))")
            }
        }
        // New disks: same size, on the requested storage or the source's.
        var diskRequests: [String: String] = [:]
        var header: [String] = []
        var progress: [String] = []
        var linkedLog: [String] = []
        for (key, value) in config where GuestDisks.isDiskKey(key, kind: kind) && !GuestDisks.isCdrom(value) {
            let volid = GuestDisks.volid(of: value)
            let storageID = targetStorage ?? String(volid.split(separator: ":").first ?? "")
            let size = GuestDisks.size(of: value) ?? (findVolume(volid, node: source.node)?.size ?? 1 << 30)
            let options = value.split(separator: ",").dropFirst().filter { !$0.hasPrefix("size=") && !$0.hasPrefix("format=") }.map(String.init)
            let format = call.optionalString("format").map { ",format=\($0)" } ?? ""
            diskRequests[key] = (["\(storageID):\(Double(size) / Double(1 << 30))\(format)"] + options).joined(separator: ",")
            if full {
                header.append("create full clone of drive \(key) (\(volid))")
                progress += transferLines(size, steps: 4)
            } else {
                linkedLog.append("create linked clone of drive \(key) (\(volid))")
            }
        }
        let sizes = Dictionary(uniqueKeysWithValues: config.compactMap { key, value in
            GuestDisks.isDiskKey(key, kind: kind) && !GuestDisks.isCdrom(value) ? (key, GuestDisks.size(of: value) ?? 0) : nil
        })
        var plan = try planDisks(diskRequests, kind: kind, vmid: newid, node: target, existing: [:], action: "clone")
        for index in plan.volumes.indices {
            // Keep the exact source size (the GiB conversion may round).
            if let key = plan.values.first(where: { $0.value.hasPrefix(plan.volumes[index].volid + ",") })?.key, let size = sizes[key], size > 0 {
                plan.volumes[index].size = size
                plan.values[key] = plan.values[key]?.replacingSize(with: Sizes.format(size))
            }
        }
        for (key, value) in plan.values { config[key] = value }
        for (key, value) in config where key.hasPrefix("net") && Int(key.dropFirst(3)) != nil {
            config[key] = regenerateMAC(value, kind: kind)
        }
        if kind == .qemu { config["smbios1"] = "uuid=\(Seed.uuid(self))"; config["vmgenid"] = Seed.uuid(self) }
        config["lock"] = "clone"
        var clone = Guest(kind: kind, vmid: newid, node: target, config: config)
        clone.firewall = source.firewall
        guests[newid] = clone
        for volume in plan.volumes { addVolume(volume, node: target) }
        let failure = config[nameKey] == "broken" ? "clone failed: command '/usr/bin/qemu-img convert' failed: exit code 1" : nil
        let volumes = plan.volumes.map(\.volid)
        let sourceID = source.vmid
        return .string(startTask(
            node: source.node, type: kind == .qemu ? "qmclone" : "vzclone", id: String(sourceID), user: call.identity.authid,
            header: header + linkedLog + plan.log, progress: progress, failure: failure, durationFactor: full ? 3 : 1,
            completion: { s in
                s.updateGuest(newid) { $0.config["lock"] = nil }
                s.addToPool(pool, vmid: newid)
                return nil
            },
            cleanup: { s in
                s.guests[newid] = nil
                for volid in volumes { s.removeVolume(volid, node: target) }
                s.changed()
            }))
    }

    private func regenerateMAC(_ value: String, kind: GuestKind) -> String {
        value.split(separator: ",").map { part -> String in
            let kv = part.split(separator: "=", maxSplits: 1).map(String.init)
            guard kv.count == 2 else { return String(part) }
            if kind == .lxc, kv[0] == "hwaddr" { return "hwaddr=\(Seed.randomMAC(self))" }
            if kind == .qemu, kv[1].count == 17, kv[1].filter({ $0 == ":" }).count == 5 { return "\(kv[0])=\(Seed.randomMAC(self))" }
            return String(part)
        }.joined(separator: ",")
    }

    func template(_ call: Call, _ kind: GuestKind) throws(SimError) -> JSON {
        let guest = try guest(call, kind)
        if guest.isTemplate { throw .failed("you can't convert a template to a template") }
        if guest.isRunning { throw .failed("you can't convert a \(kind == .qemu ? "VM" : "CT") to template if \(kind == .qemu ? "VM" : "CT") is running") }
        try checkNotLocked(guest, call)
        let vmid = guest.vmid
        let node = guest.node
        let convert: (ClusterState) -> Void = { s in
            guard var g = s.guests[vmid] else { return }
            for (key, value) in g.config where GuestDisks.isDiskKey(key, kind: kind) && !key.hasPrefix("unused") && !GuestDisks.isCdrom(value) {
                let volid = GuestDisks.volid(of: value)
                guard volid.contains(":vm-"), var volume = s.removeVolume(volid, node: node) else { continue }
                let newVolid = volid.replacingOccurrences(of: ":vm-", with: ":base-")
                volume.volid = newVolid
                s.addVolume(volume, node: node)
                g.config[key] = newVolid + value.dropFirst(volid.count)
            }
            g.config["template"] = "1"
            s.guests[vmid] = g
            s.changed()
        }
        if kind == .lxc {
            convert(self)
            return .null
        }
        updateGuest(vmid) { $0.config["lock"] = "create" }
        return .string(startTask(node: node, type: "qmtemplate", id: String(vmid), user: call.identity.authid,
                                 header: guestVolumes(guest).map { "  Renamed \"\($0.split(separator: ":").last ?? "")\" to \"\($0.split(separator: ":").last.map { $0.replacingOccurrences(of: "vm-", with: "base-") } ?? "")\"" },
                                 completion: { s in
                                     s.updateGuest(vmid) { $0.config["lock"] = nil }
                                     convert(s)
                                     return nil
                                 },
                                 cleanup: { s in s.updateGuest(vmid) { $0.config["lock"] = nil } }))
    }

    func destroy(_ call: Call, _ kind: GuestKind) throws(SimError) -> JSON {
        let guest = try guest(call, kind)
        try checkNotLocked(guest, call)
        if guest.isRunning { throw .failed("\(kind.label) \(guest.vmid) is running - destroy failed") }
        if guest.config["protection"] == "1" { throw .failed("can't remove \(kind.label) \(guest.vmid) - protection mode enabled") }
        let purge = call.bool("purge")
        let sid = "\(kind == .qemu ? "vm" : "ct"):\(guest.vmid)"
        if !purge, haResources.contains(where: { $0.sid == sid }) {
            throw .failed("unable to remove \(kind.label) \(guest.vmid) - used in HA resources and purge parameter not set.")
        }
        let vmid = guest.vmid
        let node = guest.node
        let owned = volumes.values.joined().filter { $0.vmid == vmid && ($0.content == "images" || $0.content == "rootdir") }.map(\.volid)
        let referenced = Set(guestVolumes(guest))
        let doomed = call.bool("destroy-unreferenced-disks") || kind == .lxc ? owned : owned.filter { referenced.contains($0) }
        updateGuest(vmid) { $0.config["lock"] = "destroyed" }
        let log = doomed.map { volid in
            storage(String(volid.split(separator: ":").first ?? ""))?.type == "lvmthin"
                ? "  Logical volume \"\(volid.split(separator: ":").last ?? "")\" successfully removed."
                : "Removing image: 100% complete...done."
        }
        return .string(startTask(
            node: node, type: kind == .qemu ? "qmdestroy" : "vzdestroy", id: String(vmid), user: call.identity.authid, progress: log + (purge ? ["purging \(kind.label) \(vmid) from related configurations.."] : []),
            completion: { s in
                s.guests[vmid] = nil
                for volid in doomed { s.removeVolume(volid, node: node) }
                for name in s.pools.keys { s.pools[name]?.vmids.removeAll { $0 == vmid } }
                if purge {
                    s.haResources.removeAll { $0.sid == sid }
                    for index in s.backupJobs.indices {
                        guard let list = s.backupJobs[index].fields["vmid"] else { continue }
                        s.backupJobs[index].fields["vmid"] = list.split(separator: ",").filter { $0 != Substring(String(vmid)) }.joined(separator: ",")
                    }
                }
                s.changed()
                return nil
            },
            cleanup: { s in s.updateGuest(vmid) { $0.config["lock"] = nil } }))
    }

    // MARK: Migrate and resize

    func migrate(_ call: Call, _ kind: GuestKind) throws(SimError) -> JSON {
        let guest = try guest(call, kind)
        let target = try call.string("target")
        guard let targetNode = node(named: target) else { throw .failed("no such cluster node '\(target)'") }
        if target == guest.node { throw .failed("target is local node.") }
        guard targetNode.online else { throw .failed("target node '\(target)' is not online") }
        try checkNotLocked(guest, call)
        let online = call.bool("online")
        if guest.isRunning {
            if kind == .qemu, !online { throw .failed("can't migrate running VM without --online") }
            if kind == .lxc, !call.bool("restart") {
                throw .failed("CT \(guest.vmid) is running - use online migration (restart mode)")
            }
        }
        let disks = guestVolumes(guest)
        var header = ["starting migration of \(kind.label) \(guest.vmid) to node '\(target)' (\(targetNode.ip))"]
        var progress: [String] = []
        var moved: [String] = []
        for volid in disks {
            guard let storage = storage(String(volid.split(separator: ":").first ?? "")) else { continue }
            if storage.shared { continue }
            guard storage.available(on: target) else { throw .failed("storage '\(storage.id)' is not available on node '\(target)'") }
            header.append("found local disk '\(volid)' (attached)")
            let size = findVolume(volid, node: guest.node)?.size ?? 0
            progress += ["copying local disk images"] + transferLines(size, steps: 4).map { "\(volid): \($0)" }
            moved.append(volid)
        }
        if guest.isRunning && kind == .qemu {
            let mem = guest.maxmem
            progress += ["starting VM \(guest.vmid) on remote node '\(target)'", "start remote tunnel", "starting online/live migration on unix:/run/qemu-server/\(guest.vmid).migrate"]
            progress += (1...4).map { "migration active, transferred \(Sizes.human(Double(mem) * Double($0) / 4)) of \(Sizes.human(Double(mem))) VM-state, 1.1 GiB/s" }
            progress += ["migration status: completed"]
        }
        let vmid = guest.vmid
        let source = guest.node
        updateGuest(vmid) { $0.config["lock"] = "migrate" }
        return .string(startTask(
            node: source, type: kind == .qemu ? "qmigrate" : "vzmigrate", id: String(vmid), user: call.identity.authid,
            header: header, progress: progress + ["migration finished successfully (duration 00:00:\(Int(max(1, options.taskSeconds * 2))))"],
            durationFactor: 2,
            completion: { s in
                for volid in moved { if let volume = s.removeVolume(volid, node: source) { s.addVolume(volume, node: target) } }
                s.updateGuest(vmid) {
                    $0.config["lock"] = nil
                    $0.node = target
                }
                return nil
            },
            cleanup: { s in s.updateGuest(vmid) { $0.config["lock"] = nil } }))
    }

    func migratePrecondition(_ call: Call, _ kind: GuestKind) throws(SimError) -> JSON {
        let guest = try guest(call, kind)
        let local = guestVolumes(guest).filter { storage(String($0.split(separator: ":").first ?? ""))?.shared == false }
        let allowed = nodes.filter { $0.name != guest.node && $0.online }.filter { node in
            local.allSatisfy { storage(String($0.split(separator: ":").first ?? ""))?.available(on: node.name) ?? false }
        }.map(\.name)
        return .object([
            ("running", .int(guest.isRunning ? 1 : 0)),
            ("allowed_nodes", .array(allowed.map { .string($0) })),
            ("not_allowed_nodes", .object([])),
            ("local_disks", .array(local.map { .object([("volid", .string($0))]) })),
            ("local_resources", .array([])),
        ])
    }

    func resize(_ call: Call, _ kind: GuestKind) throws(SimError) -> JSON {
        var guest = try guest(call, kind)
        if let digest = call.optionalString("digest"), digest != guest.digest {
            throw .failed("detected modified configuration - file changed by other user? Try again.")
        }
        try checkNotLocked(guest, call)
        let disk = try call.string("disk")
        guard let value = guest.config[disk], !GuestDisks.isCdrom(value) else { throw .failed("disk '\(disk)' does not exist") }
        let sizeText = try call.string("size")
        let relative = sizeText.hasPrefix("+")
        guard let amount = Sizes.parse(relative ? String(sizeText.dropFirst()) : sizeText) ?? (Int64(relative ? String(sizeText.dropFirst()) : sizeText)) else {
            throw .parameters(["size": "value does not match the regex pattern"])
        }
        let current = GuestDisks.size(of: value) ?? 0
        let newSize = relative ? current + amount : amount
        if newSize < current { throw .failed("shrinking disks is not supported") }
        let volid = GuestDisks.volid(of: value)
        guest.config[disk] = value.replacingSize(with: Sizes.format(newSize))
        guests[guest.vmid] = guest
        if let storageID = volid.split(separator: ":").first, let storage = storage(String(storageID)) {
            let key = volumeKey(storage, node: guest.node)
            if let index = volumes[key]?.firstIndex(where: { $0.volid == volid }) { volumes[key]?[index].size = newSize }
        }
        let lvm = storage(String(volid.split(separator: ":").first ?? ""))?.type == "lvmthin"
        let log = lvm
            ? ["  Size of logical volume pve/\(volid.split(separator: ":").last ?? "") changed from \(Sizes.human(Double(current))) to \(Sizes.human(Double(newSize))).",
               "  Logical volume pve/\(volid.split(separator: ":").last ?? "") successfully resized."]
            : ["Image resized."]
        return .string(startTask(node: guest.node, type: "resize", id: String(guest.vmid), user: call.identity.authid, header: log, durationFactor: 0.3))
    }
}

extension String {
    /// A disk property string with its `size=` replaced (or added).
    func replacingSize(with size: String) -> String {
        var parts = split(separator: ",").map(String.init).filter { !$0.hasPrefix("size=") }
        parts.append("size=\(size)")
        return parts.joined(separator: ",")
    }
}

extension Routes {
    /// Routes both guest kinds share.
    static func sharedGuestRoutes(_ kind: GuestKind) -> [Route] {
        let p = "/nodes/{node}/\(kind.rawValue)"
        return [
            // PVE::API2::Qemu and ::LXC walk `keys %$vmstatus`: guests in hash order.
            Route("GET", p, .any, rowsInHashOrderBy: "vmid") { s, c throws(SimError) in try s.listGuests(c, kind) },
            Route("GET", "\(p)/{vmid}", .any) { s, c throws(SimError) in try s.guestIndex(c, kind) },
            Route("DELETE", "\(p)/{vmid}", .vm("VM.Allocate")) { s, c throws(SimError) in try s.destroy(c, kind) },
            Route("GET", "\(p)/{vmid}/status", .any) { s, c throws(SimError) in try s.statusIndex(c, kind) },
            Route("GET", "\(p)/{vmid}/status/current", .vm("VM.Audit")) { s, c throws(SimError) in try s.currentStatus(c, kind) },
            Route("POST", "\(p)/{vmid}/status/start", .vm("VM.PowerMgmt")) { s, c throws(SimError) in try s.start(c, kind) },
            Route("POST", "\(p)/{vmid}/status/stop", .vm("VM.PowerMgmt")) { s, c throws(SimError) in try s.stop(c, kind) },
            Route("POST", "\(p)/{vmid}/status/shutdown", .vm("VM.PowerMgmt")) { s, c throws(SimError) in try s.shutdown(c, kind) },
            Route("POST", "\(p)/{vmid}/status/reboot", .vm("VM.PowerMgmt")) { s, c throws(SimError) in try s.reboot(c, kind) },
            Route("POST", "\(p)/{vmid}/status/suspend", .vm("VM.PowerMgmt")) { s, c throws(SimError) in try s.suspend(c, kind) },
            Route("POST", "\(p)/{vmid}/status/resume", .vm("VM.PowerMgmt")) { s, c throws(SimError) in try s.resume(c, kind) },
            Route("GET", "\(p)/{vmid}/config", .vm("VM.Audit")) { s, c throws(SimError) in try s.getConfig(c, kind) },
            Route("PUT", "\(p)/{vmid}/config", .vm("VM.Config.Disk", "VM.Config.CDROM", "VM.Config.CPU", "VM.Config.Memory",
                                                    "VM.Config.Network", "VM.Config.HWType", "VM.Config.Options", "VM.Config.Cloudinit")) { s, c throws(SimError) in
                try s.updateConfig(c, kind, async: false)
            },
            Route("GET", "\(p)/{vmid}/pending", .vm("VM.Audit")) { s, c throws(SimError) in try s.pending(c, kind) },
            Route("POST", "\(p)/{vmid}/clone", .and([.vm("VM.Clone"), .or([.perm("/vms/{newid}", ["VM.Allocate"], any: false), .perm("/pool/{pool}", ["VM.Allocate"], any: false)])])) { s, c throws(SimError) in
                try s.clone(c, kind)
            },
            Route("POST", "\(p)/{vmid}/template", .vm("VM.Allocate")) { s, c throws(SimError) in try s.template(c, kind) },
            Route("GET", "\(p)/{vmid}/migrate", .vm("VM.Migrate")) { s, c throws(SimError) in try s.migratePrecondition(c, kind) },
            Route("POST", "\(p)/{vmid}/migrate", .vm("VM.Migrate")) { s, c throws(SimError) in try s.migrate(c, kind) },
            Route("PUT", "\(p)/{vmid}/resize", .vm("VM.Config.Disk")) { s, c throws(SimError) in try s.resize(c, kind) },
        ]
    }

    static var guestRoutes: [Route] { sharedGuestRoutes(.qemu) + sharedGuestRoutes(.lxc) + qemuRoutes + lxcRoutes }
}
