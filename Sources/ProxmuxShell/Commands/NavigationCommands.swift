import ProxmoxAPI
import PVESchema

/// `cd`, `pwd`, `ls`: moving through the virtual tree.
enum NavigationCommands {
    static let all: [CommandSpec] = [cd, pwd, ls]

    static let cd = CommandSpec(
        name: "cd", group: .navigation, abstract: "Change the current place (a path, a guest id or name, or - for the previous place)",
        discussion: "Paths are absolute (/nodes/pve1) or relative (vms, ..). A guest id or name selects that guest and moves to it under its node.",
        examples: ["cd /nodes/pve1", "cd ..", "cd 101", "cd web01", "cd -", "cd"],
        arguments: [ArgumentSpec("PLACE", help: "path, guest id or name, or -", completion: .paths, optional: true)],
        needs: .nothing,
        run: { inv in
            let session = inv.session
            guard let target = inv.arguments.first else {
                session.context.move(to: .root)
                return .nothing
            }
            if target == "-" {
                guard let previous = session.context.previous else { throw ShellError("cd -: no previous place") }
                session.context.move(to: previous, selectionName: session.context.previousSelectionName)
                return .nothing
            }
            let (path, name) = try resolvePlace(target, inv: inv)
            session.context.move(to: path, selectionName: name)
            return .nothing
        })

    static let pwd = CommandSpec(
        name: "pwd", group: .navigation, abstract: "Print the current place",
        examples: ["pwd"],
        run: { inv in
            let context = inv.session.context
            let text = context.path.description + (context.selectedGuest != nil ? context.selectionName.map { " (\($0))" } ?? "" : "")
            return inv.outputFormat == .text ? .message(text) : .record(["path": .string(context.path.description)])
        })

    static let ls = CommandSpec(
        name: "ls", aliases: ["list"], group: .navigation, abstract: "List the current place or PATH (guests, nodes, storage, tasks...)",
        discussion: "/vms lists every guest (VMs and containers, as PVE's type=vm does) with one request; /cts only containers.",
        examples: ["ls", "ls /vms", "ls -l /nodes/pve1/vms", "ls /storage -o json", "ls /vms --noheader"],
        arguments: [ArgumentSpec("PATH", help: "place to list (default: the current place)", completion: .paths, optional: true)],
        flags: [FlagSpec("long", short: "l", kind: .bool, help: "More columns")],
        run: { inv in
            let session = inv.session
            var path = session.context.path
            if let text = inv.arguments.first {
                path = try parsedPath(text, from: path)
            }
            return try Listing.list(path, api: { try inv.api() }, long: inv.has("long"))
        })

    static func parsedPath(_ text: String, from base: VirtualPath) throws -> VirtualPath {
        switch VirtualPath.parse(VirtualPath.resolveComponents(text, from: base)) {
        case .success(let path): return path
        case .failure(let error): throw error
        }
    }

    /// A path (checked against the cluster) or a guest, and the guest's name for the prompt.
    static func resolvePlace(_ target: String, inv: Invocation) throws -> (VirtualPath, String?) {
        let session = inv.session
        let base = session.context.path
        // A bare number always selects a guest; other bare words are children of this place first.
        let looksLikePath = target.contains("/") || target == "." || target == ".."
            || (Int(target) == nil && isChildName(target, of: base))
        if !looksLikePath {
            // A bare word names a node (`cd pve1` from anywhere) or a guest; one resources read decides.
            let snapshot = try inv.api().clusterSnapshot()
            if Int(target) == nil, snapshot.nodeNames.contains(target) { return (.node(target), nil) }
            let guest = try TargetResolver(guests: snapshot.guests).resolveOne(target)
            return (.guest(node: guest.node, vmid: guest.vmid), guest.name.isEmpty ? nil : guest.name)
        }
        let path = try parsedPath(target, from: base)
        // Names below the fixed tree are checked against the cluster (one request).
        switch path {
        case .node(let node), .nodeSection(let node, _):
            try Listing.requireNode(node, inv.api())
        case .guest(let node, let vmid):
            let guest = try inv.resolveGuest(String(vmid))
            guard guest.node == node else { throw ShellError("\(guest.label), not on \(node)") }
            return (.guest(node: guest.node, vmid: guest.vmid), guest.name.isEmpty ? nil : guest.name)
        case .storage(let id):
            let snapshot = try inv.api().clusterSnapshot(type: "storage")
            guard snapshot.storageIDs.contains(id) else { throw Listing.unknownStorage(id, snapshot) }
        case .pool(let id):
            try Listing.requirePool(id, inv.api())
        default: break
        }
        return (path, nil)
    }

    /// Fixed child names of a place (sections), so `cd vms` at a node is a path, not a guest named vms.
    static func isChildName(_ name: String, of base: VirtualPath) -> Bool {
        switch base {
        case .root: return VirtualPath.rootChildren.contains(name)
        case .nodes, .storages, .pools: return true
        case .node: return VirtualPath.NodeSection(rawValue: name) != nil
        case .access: return VirtualPath.AccessSection(rawValue: name) != nil
        default: return false
        }
    }
}
