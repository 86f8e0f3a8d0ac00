import PVESchema

public enum GuestKind: String, Sendable {
    case vm = "qemu"
    case container = "lxc"

    /// `vm` / `ct`, as the shell writes it (`vm:101`).
    public var short: String { self == .vm ? "vm" : "ct" }
    /// API path segment.
    public var apiSegment: String { rawValue }
}

/// One guest as `/cluster/resources` describes it, decoded leniently (ids may be strings, fields may be missing).
public struct Guest: Sendable, Equatable {
    public let vmid: Int
    public let name: String
    public let kind: GuestKind
    public let node: String
    public let status: String
    public let tags: [String]
    public let pool: String?
    public let template: Bool
    /// The raw resource row (for listings and `-o json`).
    public let raw: JSON

    public init?(resource row: JSON) {
        guard let type = row["type"]?.string, let kind = GuestKind(rawValue: type),
              let vmid = row["vmid"]?.int, let node = row["node"]?.string else { return nil }
        self.vmid = Int(vmid)
        self.kind = kind
        self.node = node
        self.name = row["name"]?.string ?? ""
        self.status = row["status"]?.string ?? "unknown"
        self.tags = Guest.splitTags(row["tags"]?.string ?? "")
        let pool = row["pool"]?.string ?? ""
        self.pool = pool.isEmpty ? nil : pool
        self.template = row["template"]?.bool ?? false
        self.raw = row
    }

    /// PVE separates tags with `;` (and accepts `,` and spaces on input).
    static func splitTags(_ text: String) -> [String] {
        text.split(whereSeparator: { $0 == ";" || $0 == "," || $0 == " " }).map(String.init)
    }

    /// `vm 101 (web01) on pve2`
    public var label: String {
        name.isEmpty ? "\(kind.short) \(vmid) on \(node)" : "\(kind.short) \(vmid) (\(name)) on \(node)"
    }

    /// `/nodes/pve2/qemu/101`
    public var apiPath: String { "/nodes/\(node)/\(kind.apiSegment)/\(vmid)" }
}

/// A snapshot of `/cluster/resources`: guests, nodes, storages, pools.
public struct ClusterSnapshot: Sendable {
    public let guests: [Guest]
    public let nodes: [JSON]
    public let storages: [JSON]
    public let pools: [String]
    public let rows: [JSON]

    public init(resources: JSON) {
        let rows = resources.array ?? []
        var guests: [Guest] = []
        var nodes: [JSON] = []
        var storages: [JSON] = []
        var pools: [String] = []
        guests.reserveCapacity(rows.count)
        for row in rows {
            switch row["type"]?.string {
            case "qemu", "lxc": if let guest = Guest(resource: row) { guests.append(guest) }
            case "node": nodes.append(row)
            case "storage": storages.append(row)
            case "pool": if let id = row["pool"]?.string { pools.append(id) }
            default: break
            }
        }
        self.rows = rows
        self.guests = guests
        self.nodes = nodes
        self.storages = storages
        self.pools = pools
    }

    public var nodeNames: [String] { nodes.compactMap { $0["node"]?.string }.sorted() }
    /// Storage ids (each listed once even when the storage is shared by several nodes).
    public var storageIDs: [String] {
        var seen = Set<String>()
        return storages.compactMap { $0["storage"]?.string }.filter { seen.insert($0).inserted }.sorted()
    }
    public var tags: [String] { Array(Set(guests.flatMap(\.tags))).sorted() }
}
