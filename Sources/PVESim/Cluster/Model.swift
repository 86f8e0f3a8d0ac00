import PVESchema

// The cluster's state as plain values. All of it lives in one `ClusterState` behind the lock of
// `SimulatedCluster`.

enum GuestKind: String, Sendable {
    case qemu, lxc

    /// Directory of the config file below `/etc/pve/nodes/NODE/`.
    var configDir: String { self == .qemu ? "qemu-server" : "lxc" }
    /// "VM" or "CT", as PVE's messages name guests.
    var label: String { self == .qemu ? "VM" : "CT" }
    /// Type prefix of task types: `qmstart` / `vzstart`.
    var taskPrefix: String { self == .qemu ? "qm" : "vz" }
}

enum PowerState: Sendable {
    case stopped, running
    /// A suspended (paused) VM: status `running`, qmpstatus `paused`.
    case paused
}

struct Snapshot: Sendable {
    var name: String
    var description: String
    var snaptime: Int
    var parent: String?
    var vmstate: Bool
    var config: [String: String]
}

struct Guest: Sendable {
    var kind: GuestKind
    var vmid: Int
    var node: String
    /// Config keys as in `/etc/pve/.../VMID.conf`; written sorted, which gives the digest.
    var config: [String: String]
    var power: PowerState = .stopped
    var startedAt: Double = 0
    var snapshots: [Snapshot] = []
    /// Pending changes of a running guest (`/pending`); applied at the next stop.
    var pending: [String: String] = [:]
    var pendingDelete: Set<String> = []
    var pool: String?
    var firewall = FirewallScope(options: ["enable": "0"])

    var name: String { config[kind == .qemu ? "name" : "hostname"] ?? "\(kind.label)\(vmid)" }
    var isTemplate: Bool { config["template"] == "1" }
    var lock: String? { config["lock"] }
    var tags: String { config["tags"] ?? "" }
    var isRunning: Bool { power != .stopped }

    /// Memory limit in bytes (`memory` is MiB).
    var maxmem: Int64 { Int64(Int(config["memory"] ?? "") ?? (kind == .qemu ? 2048 : 512)) * 1_048_576 }
    var maxcpu: Int {
        let cores = Int(config["cores"] ?? "") ?? 1
        return kind == .qemu ? cores * (Int(config["sockets"] ?? "") ?? 1) : cores
    }
    /// Size of the boot disk (qemu: first disk; lxc: rootfs), in bytes.
    var maxdisk: Int64 {
        // The usual boot disks first; the full scan only for unusual layouts.
        let keys = kind == .qemu ? ["scsi0", "virtio0", "sata0", "ide0"] + GuestDisks.qemuKeys : ["rootfs"]
        for key in keys {
            if let value = config[key], !GuestDisks.isCdrom(value), let size = GuestDisks.size(of: value) { return size }
        }
        return 0
    }

    /// The config file's text (sorted keys), whose SHA-1 is the `digest`.
    var configText: String {
        var text = ""
        if let description = config["description"] {
            for line in description.split(separator: "\n", omittingEmptySubsequences: false) { text += "#\(line)\n" }
        }
        for key in config.keys.sorted() where key != "description" { text += "\(key): \(config[key] ?? "")\n" }
        return text
    }
    var digest: String { SHA1.hex(configText) }
}

/// Disk keys and property strings of guest configs.
enum GuestDisks {
    static let qemuKeys: [String] = {
        var keys: [String] = []
        for i in 0...30 { keys.append("scsi\(i)") }
        for i in 0...15 { keys.append("virtio\(i)") }
        for i in 0...5 { keys.append("sata\(i)") }
        for i in 0...3 { keys.append("ide\(i)") }
        keys += ["efidisk0", "tpmstate0"]
        return keys
    }()

    static func isDiskKey(_ key: String, kind: GuestKind) -> Bool {
        if kind == .lxc { return key == "rootfs" || (key.hasPrefix("mp") && Int(key.dropFirst(2)) != nil) || key.hasPrefix("unused") }
        return qemuKeys.contains(key) || key.hasPrefix("unused")
    }

    static func isCdrom(_ value: String) -> Bool { value.contains("media=cdrom") || value.hasPrefix("none,") || value == "none" }

    /// The volume id: the first element of a disk property string (`local-lvm:vm-101-disk-0,size=32G`).
    static func volid(of value: String) -> String { String(value.split(separator: ",", maxSplits: 1).first ?? "") }

    static func size(of value: String) -> Int64? {
        for part in value.split(separator: ",") where part.hasPrefix("size=") {
            return Sizes.parse(String(part.dropFirst(5)))
        }
        return nil
    }
}

/// Byte sizes as PVE writes them (`32G`, `512M`, `4T`).
enum Sizes {
    static func parse(_ text: String) -> Int64? {
        guard let last = text.last else { return nil }
        let units: [Character: Int64] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40]
        // Capped at 16 PiB so sums of sizes cannot overflow.
        let limit = Double(Int64(1) << 54)
        if let unit = units[last] {
            guard let number = Double(text.dropLast()), number.isFinite, number >= 0, number * Double(unit) <= limit else { return nil }
            return Int64(number * Double(unit))
        }
        guard let bytes = Int64(text), bytes >= 0, Double(bytes) <= limit else { return nil }
        return bytes
    }

    /// `32G` when exact, else `M`/`K`.
    static func format(_ bytes: Int64) -> String {
        if bytes % (1 << 40) == 0, bytes > 0 { return "\(bytes >> 40)T" }
        if bytes % (1 << 30) == 0 { return "\(bytes >> 30)G" }
        if bytes % (1 << 20) == 0 { return "\(bytes >> 20)M" }
        return "\(bytes >> 10)K"
    }

    /// `1.3 GiB`, as vzdump and qemu-img log it.
    static func human(_ bytes: Double) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = bytes
        var unit = 0
        while value >= 1024, unit < units.count - 1 { value /= 1024; unit += 1 }
        return unit == 0 ? "\(Int(value)) B" : "\(fixed(value, 1)) \(units[unit])"
    }

    static func fixed(_ value: Double, _ digits: Int) -> String {
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let rounded = (value * scale).rounded() / scale
        var text = String(rounded)
        if let dot = text.firstIndex(of: ".") {
            let decimals = text.distance(from: dot, to: text.endIndex) - 1
            if decimals < digits { text += String(repeating: "0", count: digits - decimals) }
        } else if digits > 0 {
            text += "." + String(repeating: "0", count: digits)
        }
        return text
    }
}

struct StorageDef: Sendable {
    var id: String
    var type: String
    var content: [String]
    var shared: Bool
    /// Nodes the storage is available on; nil means all.
    var nodes: [String]?
    var total: Int64
    var path: String?
    var extra: [String: String] = [:]
    var disabled = false

    func available(on node: String) -> Bool { !disabled && (nodes?.contains(node) ?? true) }
    /// Disk formats the storage type accepts; the first is the default.
    var formats: [String] {
        switch type {
        case "dir", "nfs", "cifs", "glusterfs", "btrfs": return ["raw", "qcow2", "vmdk", "subvol"]
        case "zfspool": return ["raw", "subvol"]
        default: return ["raw"]
        }
    }
    var defaultFormat: String { type == "dir" || type == "nfs" ? "qcow2" : "raw" }
}

struct Volume: Sendable {
    var volid: String
    var content: String
    var format: String
    var size: Int64
    var vmid: Int?
    var ctime: Int
    var notes: String?
    var protected = false
    /// Guest kind and config a backup restores.
    var backup: (kind: GuestKind, config: [String: String])?

    /// The part after `storage:`.
    var name: String { String(volid.split(separator: ":", maxSplits: 1).last ?? "") }
}

struct NetInterface: Sendable {
    var iface: String
    var type: String
    var fields: [String: String]
    var active = true
}

struct PhysicalDisk: Sendable {
    var devpath: String
    var model: String
    var serial: String
    var size: Int64
    var type: String
    var used: String?
    var health = "PASSED"
    var wwn: String
}

struct NodeInfo: Sendable {
    var name: String
    var id: Int
    var ip: String
    var online = true
    var cpuModel: String
    var cores: Int
    var sockets: Int
    var memory: Int64
    var bootTime: Double
    var loadFactor: Double
    var interfaces: [NetInterface]
    /// Staged edits (`/etc/network/interfaces.new`); nil when nothing is pending.
    var stagedInterfaces: [NetInterface]?
    var disks: [PhysicalDisk]
    var firewall = FirewallScope(options: ["enable": "1"])
}

struct FirewallRule: Sendable {
    var fields: [String: String]
}

struct FirewallScope: Sendable {
    var rules: [FirewallRule] = []
    var options: [String: String]
}

struct User: Sendable {
    var userid: String
    var password: String?
    var enable = true
    var expire = 0
    var firstname: String?
    var lastname: String?
    var email: String?
    var comment: String?
    var groups: [String] = []
    var totpSecret: String?
    var tokens: [String: APIToken] = [:]
}

struct APIToken: Sendable {
    var secret: String
    var privsep: Bool
    var expire = 0
    var comment: String?
}

struct ACLEntry: Sendable, Equatable {
    enum Kind: String, Sendable { case user, group, token }
    var path: String
    var kind: Kind
    var ugid: String
    var roleid: String
    var propagate: Bool
}

struct Pool: Sendable {
    var comment: String?
    var vmids: [Int] = []
    var storages: [String] = []
}

struct BackupJob: Sendable {
    var id: String
    var fields: [String: String]
}

struct HAResource: Sendable {
    var sid: String
    var fields: [String: String]
}
