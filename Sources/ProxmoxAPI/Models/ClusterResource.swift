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
    /// The row as sent, for fields this type does not model.
    public let raw: JSON

    /// Nil when the row has neither `id` nor `type` (not a resource at all).
    public init?(_ json: JSON) {
        guard case .object = json, let type = json["type"]?.string, !type.isEmpty else { return nil }
        let vmid = json["vmid"]?.int.map { Int($0) }
        self.type = type
        self.vmid = vmid
        node = json["node"]?.nonEmptyString
        storage = json["storage"]?.nonEmptyString
        pool = json["pool"]?.nonEmptyString
        if let id = json["id"]?.nonEmptyString {
            self.id = id
        } else if let vmid {
            self.id = "\(type)/\(vmid)"
        } else if type == "storage", let node, let storage {
            self.id = "storage/\(node)/\(storage)"
        } else if let name = node ?? pool {
            self.id = "\(type)/\(name)"
        } else {
            return nil
        }
        name = json["name"]?.nonEmptyString
        status = json["status"]?.nonEmptyString
        template = json["template"]?.bool ?? false
        tags = Self.splitList(json["tags"]?.string)
        cpu = json["cpu"]?.double
        maxcpu = json["maxcpu"]?.double
        mem = json["mem"]?.int
        maxmem = json["maxmem"]?.int
        disk = json["disk"]?.int
        maxdisk = json["maxdisk"]?.int
        uptime = json["uptime"]?.int
        plugintype = json["plugintype"]?.nonEmptyString
        content = Self.splitList(json["content"]?.string)
        shared = json["shared"]?.bool ?? false
        hastate = json["hastate"]?.nonEmptyString
        lock = json["lock"]?.nonEmptyString
        raw = json
    }

    /// Guests are `qemu` (VM) and `lxc` (container) rows.
    public var isGuest: Bool { type == "qemu" || type == "lxc" }

    static func splitList(_ text: String?) -> [String] {
        guard let text else { return [] }
        return text.split(whereSeparator: { $0 == ";" || $0 == "," || $0 == " " }).map(String.init)
    }
}

extension JSON {
    /// The string value, nil when absent or empty.
    var nonEmptyString: String? {
        guard let s = string, !s.isEmpty else { return nil }
        return s
    }
}
