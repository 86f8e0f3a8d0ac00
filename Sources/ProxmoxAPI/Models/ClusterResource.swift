import PVESchema

/// One row of `/cluster/resources`: a guest, node, storage, pool or SDN object.
/// Decoded leniently: numbers may come as strings, booleans as 0/1 or "", absent fields are nil.
public struct ClusterResource: Sendable, Equatable {
    /// `qemu/100`, `lxc/200`, `node/pve1`, `storage/pve1/local`, `pool/prod`, ...
    public let id: String
    /// `qemu`, `lxc`, `node`, `storage`, `pool`, `sdn`, ...
    public let type: String
    public let node: String?
    public let vmid: Int?
    public let name: String?
    public let status: String?
    /// Guest templates; false when absent or `""`.
    public let template: Bool
    /// Tags split on `;`, `,` and spaces.
    public let tags: [String]
    public let pool: String?
    public let cpu: Double?
    public let maxcpu: Double?
    public let mem: Int64?
    public let maxmem: Int64?
    public let disk: Int64?
    public let maxdisk: Int64?
    public let uptime: Int64?
    /// Storage id for `storage` rows.
    public let storage: String?
    public let plugintype: String?
    /// Storage content types, e.g. `["images", "iso"]`.
    public let content: [String]
    public let shared: Bool
    public let hastate: String?
    public let lock: String?
    /// The row as sent, for fields this type does not model (a row read from an index is
    /// decoded when asked for).
    public var raw: JSON { source.row }
    private let source: Source

    /// Where the row as sent is kept.
    private enum Source: Sendable, Equatable {
        case decoded(JSON)
        /// Row `row` of an indexed answer: a 10,000-guest snapshot decodes none of its rows.
        case indexed(IndexedResources, row: Int)

        var row: JSON {
            switch self {
            case .decoded(let json): return json
            case .indexed(let answer, let row): return answer.rows.row(row)
            }
        }

        static func == (a: Source, b: Source) -> Bool { a.row == b.row }
    }

    /// The fields this type models, by their key in a row.
    enum Field: Int, CaseIterable {
        case id, type, node, vmid, name, status, template, tags, pool, cpu, maxcpu, mem, maxmem, disk, maxdisk
        case uptime, storage, plugintype, content, shared, hastate, lock, sdn

        /// Big answers are read through an index, which looks each key up once per answer; a
        /// decoded row looks up each of its keys.
        init?(key: String) {
            guard let field = Field.byKey[key] else { return nil }
            self = field
        }

        private static let byKey = Dictionary(uniqueKeysWithValues: allCases.map { ($0.key, $0) })

        var key: String { Field.keys[rawValue] }

        /// The keys, in the order of the cases.
        private static let keys = ["id", "type", "node", "vmid", "name", "status", "template", "tags", "pool", "cpu", "maxcpu",
                                   "mem", "maxmem", "disk", "maxdisk", "uptime", "storage", "plugintype", "content", "shared",
                                   "hastate", "lock", "sdn"]
    }

    /// The keys to index in a `/cluster/resources` answer for `init(row:of:)`.
    public static let indexedKeys = Field.allCases.map(\.key)

    /// Nil when the row is not an object with a `type` (not a resource at all).
    public init?(_ json: JSON) {
        guard case .object(let pairs) = json else { return nil }
        self.init(source: .decoded(json)) { visit in
            for (key, value) in pairs { if let field = Field(key: key) { visit(field, value) } }
        }
    }

    /// Row `row` of an answer indexed with `indexedKeys` (nil as for `init(_:)`): its values are
    /// read in place, and the row is decoded only if `raw` is asked for.
    public init?(row: Int, of answer: IndexedResources) {
        self.init(source: .indexed(answer, row: row)) { visit in
            for (index, field) in answer.fields.enumerated() {
                if let field, let value = answer.rows.value(row, key: index) { visit(field, value) }
            }
        }
    }

    /// Decodes leniently what `members` hands to its visitor, each field's value as sent; a
    /// repeated key keeps its first value, as `JSON`'s subscript and the index do.
    private init?(source: Source, members: ((Field, JSON) -> Void) -> Void) {
        var id: String?, type: String?, node: String?, vmid: Int?, name: String?, status: String?
        var template = false, tags: [String] = [], pool: String?, cpu: Double?, maxcpu: Double?
        var mem: Int64?, maxmem: Int64?, disk: Int64?, maxdisk: Int64?, uptime: Int64?
        var storage: String?, plugintype: String?, content: [String] = [], shared = false
        var hastate: String?, lock: String?, sdn: String?
        var seen: UInt32 = 0
        members { field, value in
            let bit: UInt32 = 1 << field.rawValue
            guard seen & bit == 0 else { return }
            seen |= bit
            switch field {
            case .id: id = value.nonEmptyString
            case .cpu: cpu = value.double
            case .mem: mem = value.int
            case .sdn: sdn = value.nonEmptyString
            case .type: type = value.nonEmptyString
            case .tags: tags = Self.splitList(value.string)
            case .node: node = value.nonEmptyString
            case .name: name = value.nonEmptyString
            case .vmid: vmid = value.int.map { Int($0) }
            case .pool: pool = value.nonEmptyString
            case .disk: disk = value.int
            case .lock: lock = value.nonEmptyString
            case .status: status = value.nonEmptyString
            case .shared: shared = value.bool ?? false
            case .maxmem: maxmem = value.int
            case .maxcpu: maxcpu = value.double
            case .uptime: uptime = value.int
            case .maxdisk: maxdisk = value.int
            case .content: content = Self.splitList(value.string)
            case .storage: storage = value.nonEmptyString
            case .hastate: hastate = value.nonEmptyString
            case .template: template = value.bool ?? false
            case .plugintype: plugintype = value.nonEmptyString
            }
        }
        guard let type else { return nil }
        if let id {
            self.id = id
        } else if let vmid {
            self.id = "\(type)/\(vmid)"
        } else if type == "storage", let node, let storage {
            self.id = "storage/\(node)/\(storage)"
        } else if type == "sdn", let node, let sdn {
            self.id = "sdn/\(node)/\(sdn)"
        } else if let name = node ?? pool {
            self.id = "\(type)/\(name)"
        } else {
            return nil
        }
        self.type = type
        self.node = node
        self.vmid = vmid
        self.name = name
        self.status = status
        self.template = template
        self.tags = tags
        self.pool = pool
        self.cpu = cpu
        self.maxcpu = maxcpu
        self.mem = mem
        self.maxmem = maxmem
        self.disk = disk
        self.maxdisk = maxdisk
        self.uptime = uptime
        self.storage = storage
        self.plugintype = plugintype
        self.content = content
        self.shared = shared
        self.hastate = hastate
        self.lock = lock
        self.source = source
    }

    /// Guests are `qemu` (VM) and `lxc` (container) rows.
    public var isGuest: Bool { type == "qemu" || type == "lxc" }

    /// The resources of a `/cluster/resources` answer; nil when it is not a list. Entries that are
    /// not resources are skipped.
    public static func list(_ data: JSON) -> [ClusterResource]? {
        guard let rows = data.array else { return nil }
        var resources: [ClusterResource] = []
        resources.reserveCapacity(rows.count)
        for row in rows { if let resource = ClusterResource(row) { resources.append(resource) } }
        return resources
    }

    /// The resources of a `/cluster/resources` answer indexed with `indexedKeys`, each read when
    /// the sequence comes to it (a snapshot sorts 10,000 of them out without an array of them all).
    public static func list(_ rows: JSONRows) -> some Sequence<ClusterResource> {
        let answer = IndexedResources(rows)
        return (0..<rows.count).lazy.compactMap { ClusterResource(row: $0, of: answer) }
    }

    /// Splits on `;`, `,` and spaces, working on UTF-8 bytes (splitting Characters costs grapheme
    /// breaking on every row of a big listing).
    static func splitList(_ text: String?) -> [String] {
        guard let text, !text.isEmpty else { return [] }
        let bytes = text.utf8
        var items: [String] = []
        var start = bytes.startIndex
        var index = start
        while index != bytes.endIndex {
            let byte = bytes[index]
            if byte == UInt8(ascii: ";") || byte == UInt8(ascii: ",") || byte == UInt8(ascii: " ") {
                if start != index { items.append(String(text[start..<index])) }
                start = bytes.index(after: index)
            }
            index = bytes.index(after: index)
        }
        if start != bytes.endIndex { items.append(String(text[start..<bytes.endIndex])) }
        return items
    }
}

extension JSON {
    /// The string value, nil when absent or empty.
    var nonEmptyString: String? {
        guard let s = string, !s.isEmpty else { return nil }
        return s
    }
}

/// A `/cluster/resources` answer indexed for `ClusterResource`, shared by the resources read
/// from it (one reference each, not one per array of the index).
public final class IndexedResources: Sendable {
    let rows: JSONRows
    /// The field of each indexed key (nil: a key `ClusterResource` does not model).
    let fields: [ClusterResource.Field?]

    public init(_ rows: JSONRows) {
        self.rows = rows
        fields = rows.keys.map(ClusterResource.Field.init(key:))
    }
}

/// The two kinds of guest: `qemu` VMs and `lxc` containers.
public enum GuestKind: String, Sendable {
    case vm = "qemu"
    case container = "lxc"

    /// `vm` / `ct`, as the shell writes it (`vm:101`).
    public var short: String { self == .vm ? "vm" : "ct" }
    /// API path segment.
    public var apiSegment: String { rawValue }
}

/// A guest row of `/cluster/resources`: the `ClusterResource` with the fields every guest has
/// (kind, vmid, node) checked once, so code acting on guests needs no optional handling.
/// It is a view of the resource, not a second decoding: everything else reads through to it.
public struct Guest: Sendable, Equatable {
    /// The row this guest was read from.
    public let resource: ClusterResource
    public let vmid: Int
    public let kind: GuestKind
    public let node: String

    /// Nil unless the resource is a `qemu` or `lxc` row with a vmid and a node.
    public init?(_ resource: ClusterResource) {
        guard let kind = GuestKind(rawValue: resource.type), let vmid = resource.vmid, let node = resource.node else { return nil }
        self.resource = resource
        self.vmid = vmid
        self.kind = kind
        self.node = node
    }

    /// The guest's name; empty when it has none.
    public var name: String { resource.name ?? "" }
    /// `running`, `stopped`, `paused`, ...; `unknown` when the row has none.
    public var status: String { resource.status ?? "unknown" }
    /// Tags, split on `;`, `,` and spaces.
    public var tags: [String] { resource.tags }
    /// The pool the guest belongs to, if any.
    public var pool: String? { resource.pool }
    /// Whether the guest is a template.
    public var template: Bool { resource.template }
    /// The row as sent (for listings and `-o json`).
    public var raw: JSON { resource.raw }

    /// `vm 101 (web01) on pve2`
    public var label: String {
        name.isEmpty ? "\(kind.short) \(vmid) on \(node)" : "\(kind.short) \(vmid) (\(name)) on \(node)"
    }

    /// `/nodes/pve2/qemu/101`
    public var apiPath: String { "/nodes/\(node)/\(kind.apiSegment)/\(vmid)" }
}

/// One reading of `/cluster/resources`, sorted by what the shell asks of it: guests (target
/// resolution, completion, the dashboard), nodes, storages and pools.
public struct ClusterSnapshot: Sendable {
    /// The `qemu` and `lxc` rows that are complete guests.
    public let guests: [Guest]
    /// The `node` rows.
    public let nodes: [ClusterResource]
    /// The `storage` rows: one per storage and node, so a shared storage appears once per node.
    public let storages: [ClusterResource]
    /// Pool ids.
    public let pools: [String]

    /// From the resources of one answer.
    public init<Resources: Sequence<ClusterResource>>(_ resources: Resources) {
        self.init(resources, expecting: resources.underestimatedCount)
    }

    /// `expecting`: about how many resources there are (room for as many guests is reserved).
    private init<Resources: Sequence<ClusterResource>>(_ resources: Resources, expecting count: Int) {
        var guests: [Guest] = []
        var nodes: [ClusterResource] = []
        var storages: [ClusterResource] = []
        var pools: [String] = []
        guests.reserveCapacity(count)
        for resource in resources {
            switch resource.type {
            case "qemu", "lxc": if let guest = Guest(resource) { guests.append(guest) }
            case "node": nodes.append(resource)
            case "storage": storages.append(resource)
            case "pool": if let id = resource.pool { pools.append(id) }
            default: break
            }
        }
        // PVE sends rows in Perl hash order (see PVESim's `PerlHashOrder`): guests are kept in
        // vmid order, nodes by name, storages by id and node, pools by name, so TAB, target
        // lists, bulk actions and `status` come out the same every time.
        // Sorted as positions, then gathered: a guest is a few hundred bytes, which a sort of
        // 10,000 of them moved around for a tenth of a snapshot's cost.
        self.guests = guests.indices.sorted { (guests[$0].vmid, $0) < (guests[$1].vmid, $1) }.map { guests[$0] }
        self.nodes = nodes.sorted { ($0.node ?? "") < ($1.node ?? "") }
        self.storages = storages.sorted { ($0.storage ?? "", $0.node ?? "") < ($1.storage ?? "", $1.node ?? "") }
        self.pools = pools.sorted()
    }

    /// From the `data` of a `/cluster/resources` answer (anything but a list reads as empty).
    public init(resources data: JSON) {
        self.init(ClusterResource.list(data) ?? [])
    }

    /// From a `/cluster/resources` answer indexed with `ClusterResource.indexedKeys`.
    public init(resources rows: JSONRows) {
        self.init(ClusterResource.list(rows), expecting: rows.count)
    }

    /// Node names, sorted.
    public var nodeNames: [String] { nodes.compactMap(\.node).sorted() }
    /// Storage ids (each listed once even when the storage is shared by several nodes).
    public var storageIDs: [String] {
        var seen = Set<String>()
        return storages.compactMap(\.storage).filter { seen.insert($0).inserted }.sorted()
    }
    /// Every tag some guest carries, sorted.
    public var tags: [String] { Array(Set(guests.flatMap(\.tags))).sorted() }
}
