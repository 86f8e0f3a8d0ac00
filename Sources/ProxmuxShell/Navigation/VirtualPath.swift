import ProxmoxAPI

/// A place in the shell's virtual tree. The tree mirrors how an admin thinks about a cluster, not
/// the API's URL layout; each place knows how to list itself (see `Listing.swift`).
///
/// ```
/// /                       nodes vms cts storage pools tasks access
/// /nodes/NODE             vms cts storage tasks disks network   (and guests: /nodes/NODE/VMID)
/// /vms  /cts  /storage/ID  /pools/ID  /tasks  /access/{users,groups,roles,acl}
/// ```
public enum VirtualPath: Equatable, Sendable, CustomStringConvertible {
    case root
    case nodes
    case node(String)
    case nodeSection(String, NodeSection)
    case guest(node: String, vmid: Int)
    case allGuests(GuestKind?)
    case storages
    case storage(String)
    case pools
    case pool(String)
    case tasks
    case access
    case accessSection(AccessSection)

    public enum NodeSection: String, Sendable, CaseIterable {
        case vms, cts, storage, tasks, disks, network
    }

    public enum AccessSection: String, Sendable, CaseIterable {
        case users, groups, roles, acl
    }

    static let rootChildren = ["nodes", "vms", "cts", "storage", "pools", "tasks", "access"]

    public var components: [String] {
        switch self {
        case .root: return []
        case .nodes: return ["nodes"]
        case .node(let n): return ["nodes", n]
        case .nodeSection(let n, let s): return ["nodes", n, s.rawValue]
        case .guest(let n, let id): return ["nodes", n, String(id)]
        case .allGuests(let kind): return [kind == .container ? "cts" : "vms"]
        case .storages: return ["storage"]
        case .storage(let id): return ["storage", id]
        case .pools: return ["pools"]
        case .pool(let id): return ["pools", id]
        case .tasks: return ["tasks"]
        case .access: return ["access"]
        case .accessSection(let s): return ["access", s.rawValue]
        }
    }

    public var description: String { "/" + components.joined(separator: "/") }

    /// The node this place belongs to, if any.
    public var node: String? {
        switch self {
        case .node(let n), .nodeSection(let n, _), .guest(let n, _): return n
        default: return nil
        }
    }

    public var parent: VirtualPath {
        switch self {
        case .root, .nodes, .allGuests, .storages, .pools, .tasks, .access: return .root
        case .node: return .nodes
        case .nodeSection(let n, _), .guest(let n, _): return .node(n)
        case .storage: return .storages
        case .pool: return .pools
        case .accessSection: return .access
        }
    }

    /// Interprets absolute components (already free of `.` and `..`). Names of nodes, storages and
    /// pools are taken as given here; `cd` checks that they exist. Returns nil for shapes that do
    /// not exist in the tree, with the reason.
    public static func parse(_ parts: [String]) -> Result<VirtualPath, ShellError> {
        func bad(_ why: String) -> Result<VirtualPath, ShellError> { .failure(ShellError(why)) }
        let path = "/" + parts.joined(separator: "/")
        guard let first = parts.first else { return .success(.root) }
        switch (first, parts.count) {
        case ("nodes", 1): return .success(.nodes)
        case ("nodes", 2): return .success(.node(parts[1]))
        case ("nodes", 3):
            if let section = NodeSection(rawValue: parts[2]) { return .success(.nodeSection(parts[1], section)) }
            if let vmid = Int(parts[2]) { return .success(.guest(node: parts[1], vmid: vmid)) }
            let valid = NodeSection.allCases.map(\.rawValue).joined(separator: ", ")
            return bad("no such place: \(path) (a node has: \(valid), or a guest id)")
        case ("nodes", 4) where (parts[2] == "vms" || parts[2] == "cts"):
            if let vmid = Int(parts[3]) { return .success(.guest(node: parts[1], vmid: vmid)) }
            return bad("no such place: \(path) (expected a guest id after \(parts[2]))")
        case ("vms", 1): return .success(.allGuests(nil))
        case ("cts", 1): return .success(.allGuests(.container))
        case ("storage", 1): return .success(.storages)
        case ("storage", 2): return .success(.storage(parts[1]))
        case ("pools", 1): return .success(.pools)
        case ("pools", 2): return .success(.pool(parts[1]))
        case ("tasks", 1): return .success(.tasks)
        case ("access", 1): return .success(.access)
        case ("access", 2):
            if let section = AccessSection(rawValue: parts[1]) { return .success(.accessSection(section)) }
            return bad("no such place: \(path) (access has: users, groups, roles, acl)")
        default:
            if rootChildren.contains(first) { return bad("no such place: \(path)") }
            return bad("no such place: \(path) (the root has: \(rootChildren.joined(separator: ", ")))")
        }
    }

    /// Joins `text` (absolute or relative, with `..` and `.`) onto `base` and returns the components.
    public static func resolveComponents(_ text: String, from base: VirtualPath) -> [String] {
        var parts = text.hasPrefix("/") ? [] : base.components
        for piece in text.split(separator: "/", omittingEmptySubsequences: true) {
            switch piece {
            case ".": continue
            case "..":
                // A guest sits directly below its node in the displayed path; `..` returns to the node.
                if !parts.isEmpty { parts.removeLast() }
            default: parts.append(String(piece))
            }
        }
        return parts
    }
}

/// Where `cd` has taken the user; the prompt shows it.
public struct NavigationContext: Sendable, Equatable {
    public var path: VirtualPath = .root
    /// The guest's name when `path` is a guest (for the prompt).
    public var selectionName: String?
    /// Where `cd -` goes.
    public var previous: VirtualPath?
    public var previousSelectionName: String?

    public init() {}

    /// The selected guest, if the context is on one.
    public var selectedGuest: (node: String, vmid: Int)? {
        if case .guest(let node, let vmid) = path { return (node, vmid) }
        return nil
    }

    public mutating func move(to path: VirtualPath, selectionName: String? = nil) {
        previous = self.path
        previousSelectionName = self.selectionName
        self.path = path
        self.selectionName = selectionName
    }
}
