import ProxmoxAPI
import PVESchema

/// TAB for `api get|set|create|delete PATH key=value...`, from the official schema: a path segment
/// by segment (fixed names, and the cluster's own objects where the schema has a `{placeholder}`),
/// then the endpoint's parameter names and a parameter's enum values, as pvesh completes them.
extension Completer {
    /// The next segment of an API path: what the endpoints answering `method` below the typed
    /// directory have there. A segment with more below it ends in `/` and no space, so that TAB
    /// goes on down (the path may still be run as it is: a trailing `/` is dropped).
    func apiPaths(_ prefix: String, method: String) -> [Completion] {
        let path = prefix.isEmpty ? "/" : prefix
        guard path.hasPrefix("/") else { return [] }
        let (directory, leaf) = Self.splitAfterLast("/", in: path)
        let typed = directory.split(separator: "/").map(String.init)
        // The segments the schema has there, and whether more lies below each; a placeholder is
        // then filled in once, however many endpoints share it (a VM has sixty below its id).
        var segments: [String: Bool] = [:]
        for endpoint in APISchema.official.endpoints where endpoint.method == method {
            let template = endpoint.path.split(separator: "/").map(String.init)
            guard template.count > typed.count,
                  zip(template, typed).allSatisfy({ segment, word in Self.isPlaceholder(segment) || segment == word }) else { continue }
            let segment = template[typed.count], deeper = template.count > typed.count + 1
            segments[segment] = (segments[segment] ?? false) || deeper
        }
        var found: [String: (deeper: Bool, detail: String?)] = [:]
        for (segment, deeper) in segments {
            let candidates: [(String, String?)] = Self.isPlaceholder(segment)
                ? objects(for: segment, typed: typed)
                : [(segment, nil)]
            for (name, detail) in candidates where name.hasPrefix(leaf) {
                let known = found[name]
                found[name] = ((known?.deeper ?? false) || deeper, known?.detail ?? detail)
            }
        }
        // Ids in number order (`9000` after `102`), as listings show them.
        return KeyOrder.sorted(Array(found.keys)).map { name in
            let entry = found[name]!
            return Completion(directory + name + (entry.deeper ? "/" : ""), detail: entry.detail, appendSpace: !entry.deeper)
        }
    }

    /// `key=` for each parameter of the endpoint at the path typed before (those not given yet;
    /// `net[n]` as the first free `netN`), or after `key=` that parameter's values (an enum's, or
    /// 0 and 1 for a boolean).
    func apiParameters(_ prefix: String, method: String, typed: TypedWords) -> [Completion] {
        guard let pathWord = typed.positionals.first, let path = try? RawAPICommands.normalisedPath(pathWord),
              let endpoint = APISchema.official.match(method: method, path: path)?.endpoint else { return [] }
        if let equals = prefix.firstIndex(of: "=") {
            let key = String(prefix[..<equals]), partial = String(prefix[prefix.index(after: equals)...])
            guard let parameter = endpoint.parameter(named: key) else { return [] }
            let values = parameter.enumValues ?? (parameter.type == .boolean ? ["0", "1"] : [])
            return values.filter { $0.hasPrefix(partial) }.map { Completion(key + "=" + $0) }
        }
        let given = Set(typed.positionals.dropFirst().compactMap { word in word.split(separator: "=", maxSplits: 1).first.map(String.init) })
        let inPath = Set(endpoint.pathParameterNames)
        return endpoint.sortedParameters.compactMap { parameter -> Completion? in
            guard !inPath.contains(parameter.name) else { return nil }
            var name = parameter.name
            if name.hasSuffix("[n]") {
                let base = String(name.dropLast(3))
                guard let free = (0...(parameter.indexMax ?? 0)).first(where: { !given.contains(base + String($0)) }) else { return nil }
                name = base + String(free)
            }
            guard !given.contains(name), name.hasPrefix(prefix) else { return nil }
            return Completion(name + "=", detail: parameter.typeText ?? parameter.type.rawValue, appendSpace: false)
        }
    }

    private static func isPlaceholder(_ segment: String) -> Bool { segment.hasPrefix("{") && segment.hasSuffix("}") }

    /// The cluster's objects that can stand for `placeholder` after the words typed for the
    /// segments before it (a VM id below `/nodes/pve1/qemu/` is one of pve1's VMs; a snapshot
    /// name is one of that guest's snapshots). PVE's paths name a node right after `nodes`, a
    /// guest right after `qemu` or `lxc`.
    private func objects(for placeholder: String, typed: [String]) -> [(String, String?)] {
        var bound: [String: String] = [:]
        for (index, word) in typed.enumerated().dropFirst() {
            switch typed[index - 1] {
            case "nodes": bound["node"] = word
            case "qemu", "lxc": bound["vmid"] = word
            default: break
            }
        }
        guard let snapshot = snapshot() else { return [] }
        switch placeholder {
        case "{node}":
            return snapshot.nodeNames.map { ($0, "node") }
        case "{vmid}":
            // Below `qemu` only VMs, below `lxc` only containers.
            let kind = typed.last.flatMap(GuestKind.init(rawValue:))
            return snapshot.guests
                .filter { guest in (kind == nil || guest.kind == kind) && (bound["node"] == nil || guest.node == bound["node"]) }
                .map { (String($0.vmid), "\($0.kind.short) \($0.name) \($0.status)") }
        case "{storage}":
            return storages("", content: nil, node: bound["node"]).map { ($0.value, $0.detail) }
        case "{poolid}":
            return snapshot.pools.map { ($0, "pool") }
        case "{snapname}":
            guard let vmid = bound["vmid"].flatMap(Int.init),
                  let guest = snapshot.guests.first(where: { $0.vmid == vmid }) else { return [] }
            return snapshotNames(of: guest).map { ($0.value, $0.detail) }
        default:
            return []
        }
    }
}
