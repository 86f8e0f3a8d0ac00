import PVESchema

/// A storage as the VM wizard needs it.
public struct StorageInfo: Sendable, Equatable {
    public let id: String
    /// Storage type (`dir`, `lvmthin`, `zfspool`, `nfs`, ...): decides the disk formats.
    public let type: String
    /// Content types it holds (`images`, `iso`, `rootdir`, ...).
    public let content: [String]
    public let available: Int64?

    public init(id: String, type: String, content: [String], available: Int64? = nil) {
        self.id = id
        self.type = type
        self.content = content
        self.available = available
    }
}

/// What the VM wizard looks up on the cluster. `LiveCreateVMData` asks the API; tests may
/// use the same type against the simulator.
public protocol CreateVMData: AnyObject {
    /// Node names with their state as detail (`online`).
    func nodes() throws -> [Completion]
    /// `/cluster/nextid`.
    func nextVMID() throws -> Int64
    /// Describes the guest holding `vmid` (`vm 101 (web01) on pve1`), nil when the id is free.
    func guestHolding(_ vmid: Int64) throws -> String?
    /// Every storage enabled on the node.
    func storages(node: String) throws -> [StorageInfo]
    /// ISO volumes (`local:iso/debian-12.iso`) from every storage on the node holding ISOs, with their size as detail.
    func isos(node: String) throws -> [Completion]
    /// Bridges of the node (Linux, OVS and SDN vnets).
    func bridges(node: String) throws -> [String]
}

/// `CreateVMData` from the API, each answer fetched once per wizard run.
public final class LiveCreateVMData: CreateVMData {
    private let client: TaskCalls
    private var nodeCache: [Completion]?
    private var guests: JSON?
    private var storageCache: [String: [StorageInfo]] = [:]
    private var isoCache: [String: [Completion]] = [:]
    private var bridgeCache: [String: [String]] = [:]

    public init(client: TaskCalls) { self.client = client }

    public func nodes() throws -> [Completion] {
        if let nodeCache { return nodeCache }
        let rows = try apiCall("listing nodes") { try client.get("/nodes") }.array ?? []
        let result = rows.compactMap { row -> Completion? in
            guard let name = row["node"]?.string else { return nil }
            return Completion(name, detail: row["status"]?.string)
        }.sorted { $0.value < $1.value }
        nodeCache = result
        return result
    }

    public func nextVMID() throws -> Int64 {
        let data = try apiCall("asking for the next free VMID") { try client.get("/cluster/nextid") }
        guard let id = data.int else { throw ShellError("the server answered /cluster/nextid with '\(data.serialized())', not a number") }
        return id
    }

    public func guestHolding(_ vmid: Int64) throws -> String? {
        if guests == nil {
            guests = try apiCall("listing guests") { try client.get("/cluster/resources", [("type", "vm")]) }
        }
        for row in guests?.array ?? [] where row["vmid"]?.int == vmid {
            let kind = row["type"]?.string == "lxc" ? "container" : "vm"
            let name = row["name"]?.string.map { " (\($0))" } ?? ""
            let node = row["node"]?.string.map { " on \($0)" } ?? ""
            return "\(kind) \(vmid)\(name)\(node)"
        }
        return nil
    }

    public func storages(node: String) throws -> [StorageInfo] {
        if let cached = storageCache[node] { return cached }
        let rows = try apiCall("listing storages of \(node)") {
            try client.get("/nodes/\(node)/storage", [("enabled", "1")])
        }.array ?? []
        let result = rows.compactMap { row -> StorageInfo? in
            guard let id = row["storage"]?.string else { return nil }
            let content = (row["content"]?.string ?? "").split(separator: ",").map { String($0).trimmingBlanks() }
            return StorageInfo(id: id, type: row["type"]?.string ?? "", content: content, available: row["avail"]?.int)
        }.sorted { $0.id < $1.id }
        storageCache[node] = result
        return result
    }

    public func isos(node: String) throws -> [Completion] {
        if let cached = isoCache[node] { return cached }
        var result: [Completion] = []
        for storage in try storages(node: node) where storage.content.contains("iso") {
            let rows = try apiCall("listing ISO images on \(storage.id)") {
                try client.get("/nodes/\(node)/storage/\(storage.id)/content", [("content", "iso")])
            }.array ?? []
            for row in rows {
                guard let volid = row["volid"]?.string else { continue }
                result.append(Completion(volid, detail: row["size"]?.int.map { Humanize.bytes(Double($0)) }))
            }
        }
        isoCache[node] = result
        return result
    }

    public func bridges(node: String) throws -> [String] {
        if let cached = bridgeCache[node] { return cached }
        let rows = try apiCall("listing bridges of \(node)") {
            try client.get("/nodes/\(node)/network", [("type", "any_bridge")])
        }.array ?? []
        let result = rows.compactMap { $0["iface"]?.string }.sorted()
        bridgeCache[node] = result
        return result
    }
}
