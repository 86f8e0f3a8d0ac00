#if canImport(Glibc)
import Glibc
#endif
import ProxmoxAPI
import PVESchema

/// Answers TAB from the command table: verbs, sub-verbs, flags, flag values, and each positional's
/// `CompletionSource` filled from the cluster cache.
struct Completer {
    let table: CommandTable
    let session: Session

    func complete(_ request: CompletionRequest) -> [Completion] {
        let prefix = request.prefix
        guard !request.words.isEmpty else { return verbs(prefix) }
        guard let (spec, consumed) = table.match(request.words) else {
            return request.words.count == 1 ? subVerbs(of: request.words[0], prefix) : []
        }
        var result: [Completion] = []
        if consumed == request.words.count { result += subVerbs(of: request.words.joined(separator: " "), prefix) }

        // Walk the words after the verb like the parser does, tolerating mistakes.
        let allFlags = spec.flags + GlobalFlags.all
        var typed = TypedWords()
        var pendingFlag: FlagSpec?
        var onlyPositionals = false
        for word in request.words[consumed...] {
            if let flag = pendingFlag {
                typed.flags[flag.name] = word
                pendingFlag = nil
                continue
            }
            if onlyPositionals || !CommandParser.looksLikeFlag(word) { typed.positionals.append(word); continue }
            if word == "--" { onlyPositionals = true; continue }
            if let equals = word.firstIndex(of: "=") {
                if word.hasPrefix("--") { typed.flags[String(word[word.index(word.startIndex, offsetBy: 2)..<equals])] = String(word[word.index(after: equals)...]) }
                continue
            }
            let found = word.hasPrefix("--")
                ? allFlags.first { $0.name == word.dropFirst(2) }
                : allFlags.first { $0.short == word.dropFirst().first && word.count == 2 }
            if let found, found.kind != .bool { pendingFlag = found }
        }
        if let flag = pendingFlag {
            return values(for: flag.completion, prefix: prefix, typed: typed)
        }
        if !onlyPositionals, prefix.hasPrefix("-") {
            // `-o` style when the user typed one dash and a letter; long names otherwise.
            if prefix.count == 2, !prefix.hasPrefix("--") {
                return allFlags.filter { $0.short.map { "-\($0)" } == prefix }.map { Completion("-" + String($0.short ?? " "), detail: $0.help) }
            }
            return allFlags.filter { ("--" + $0.name).hasPrefix(prefix) }.map { Completion("--" + $0.name, detail: $0.help) }
        }
        let args = spec.arguments
        let index = typed.positionals.count
        let argument: ArgumentSpec?
        if index < args.count { argument = args[index] } else if let last = args.last, last.variadic { argument = last } else { argument = nil }
        if let argument { result += values(for: argument.completion, prefix: prefix, typed: typed) }
        return result
    }

    // MARK: Verbs

    private func verbs(_ prefix: String) -> [Completion] {
        var seen = Set<String>()
        var out: [Completion] = []
        for spec in table.specs {
            for name in [spec.name] + spec.aliases {
                let first = String(name.split(separator: " ").first ?? "")
                guard first.hasPrefix(prefix), seen.insert(first).inserted else { continue }
                let isGroup = first != name || table.spec(named: first) == nil
                out.append(Completion(first, detail: isGroup ? nil : spec.abstract))
            }
        }
        return out.sorted { $0.value < $1.value }
    }

    private func subVerbs(of head: String, _ prefix: String) -> [Completion] {
        let depth = head.split(separator: " ").count
        var seen = Set<String>()
        return table.specs.compactMap { spec in
            let parts = spec.name.split(separator: " ")
            guard spec.name.hasPrefix(head + " "), parts.count > depth else { return nil }
            let word = String(parts[depth])
            guard word.hasPrefix(prefix), seen.insert(word).inserted else { return nil }
            return Completion(word, detail: spec.abstract)
        }
    }

    // MARK: Sources

    func snapshot() -> ClusterSnapshot? {
        session.cache.current(using: { try session.api() })
    }

    /// What the words before the one being completed gave: positionals, and flag values
    /// (`create vm --node pve2 --iso <TAB>` offers pve2's ISOs).
    struct TypedWords {
        var positionals: [String] = []
        var flags: [String: String] = [:]
    }

    func values(for source: CompletionSource, prefix: String, typed: TypedWords) -> [Completion] {
        switch source {
        case .none, .freeText: return []
        case .files: return files(prefix)
        case .values(let list): return list.filter { $0.hasPrefix(prefix) }.map { Completion($0) }
        case .verbs:
            // After `help api`, the words that can follow it (`get`, `set`...), not every verb again.
            return typed.positionals.isEmpty ? verbs(prefix) : subVerbs(of: typed.positionals.joined(separator: " "), prefix)
        case .variables: return session.variables.keys.sorted().filter { $0.hasPrefix(prefix) }.map { Completion($0) }
        case .settings: return ScriptingVerbs.settings.filter { $0.name.hasPrefix(prefix) }.map { Completion($0.name, detail: "setting") }
        case .settingValues:
            guard let name = typed.positionals.first, let setting = ScriptingVerbs.setting(named: name) else { return [] }
            return setting.choices.filter { $0.hasPrefix(prefix) }.map { Completion($0) }
        case .anyOf(let sources): return sources.flatMap { values(for: $0, prefix: prefix, typed: typed) }
        case .paths: return paths(prefix)
        case .guests(let filter): return guests(prefix, filter: filter)
        case .nodes: return (snapshot()?.nodeNames ?? []).filter { $0.hasPrefix(prefix) }.map { Completion($0, detail: "node") }
        case .storages(let content): return storages(prefix, content: content, node: nil)
        case .pools: return (snapshot()?.pools ?? []).filter { $0.hasPrefix(prefix) }.map { Completion($0, detail: "pool") }
        case .tags: return (snapshot()?.tags ?? []).filter { $0.hasPrefix(prefix) }.map { Completion($0, detail: "tag") }
        case .snapshots: return snapshots(prefix, positionals: typed.positionals)
        case .apiPaths(let method): return apiPaths(prefix, method: method)
        case .apiParameters(let method): return apiParameters(prefix, method: method, typed: typed)
        case .bridges: return bridges(prefix, node: typed.flags["node"] ?? contextNode)
        case .isos: return storageContent(prefix, content: "iso", node: typed.flags["node"] ?? contextNode)
        case .containerTemplates: return storageContent(prefix, content: "vztmpl", node: typed.flags["node"] ?? contextNode)
        case .upids:
            // Recent tasks with type, guest and start time beside them, as `task` verbs show them.
            let list = session.cache.extra("upids") {
                TaskCompletion.candidates(prefix: "", rows: (try session.api().get("/cluster/tasks").array ?? []).compactMap(TaskRow.init))
            }
            return list.filter { $0.value.hasPrefix(prefix) }
        }
    }

    /// The entries of the directory a typed path is in whose names start with its last part:
    /// directories end in `/` and take no space after them; dot files only when asked for.
    private func files(_ prefix: String) -> [Completion] {
        let slash = prefix.lastIndex(of: "/")
        let directory = slash.map { String(prefix[...$0]) } ?? ""
        let partial = slash.map { String(prefix[prefix.index(after: $0)...]) } ?? prefix
        guard let stream = opendir(directory.isEmpty ? "." : directory) else { return [] }
        defer { closedir(stream) }
        var out: [Completion] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.baseAddress!.assumingMemoryBound(to: CChar.self)) }
            guard name != ".", name != "..", name.hasPrefix(partial), !name.hasPrefix(".") || partial.hasPrefix(".") else { continue }
            var isDirectory = entry.pointee.d_type == UInt8(DT_DIR)
            if entry.pointee.d_type == UInt8(DT_LNK) || entry.pointee.d_type == UInt8(DT_UNKNOWN) {
                var info = stat()
                isDirectory = stat((directory.isEmpty ? "." : directory) + "/" + name, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR
            }
            out.append(isDirectory ? Completion(directory + name + "/", appendSpace: false) : Completion(directory + name))
        }
        return out.sorted { $0.value < $1.value }
    }

    /// How many candidates get a detail: more than a TAB listing ever shows.
    static let detailedCandidates = 200

    /// Guest ids and names, with `tag:`, `pool:`, `node:`, `vm:`, `ct:` forms and comma lists.
    private func guests(_ fullPrefix: String, filter: GuestFilter) -> [Completion] {
        // In a list (`101,web`) only the part after the last comma is completed.
        let (head, prefix) = Self.splitAfterLast(",", in: fullPrefix)
        guard let snapshot = snapshot() else { return [] }
        func accepts(_ guest: Guest) -> Bool {
            switch filter {
            case .any: return true
            case .running: return guest.resource.status == "running"
            // A template is stopped for good: PVE refuses to start one.
            case .stopped: return guest.resource.status == "stopped" && !guest.template
            case .vms: return guest.kind == .vm
            case .containers: return guest.kind == .container
            }
        }
        func tagged(_ kind: String, _ values: [String]) -> [Completion] {
            let rest = String(prefix.dropFirst(kind.count))
            return values.filter { $0.hasPrefix(rest) }.map { Completion(head + kind + $0, detail: String(kind.dropLast())) }
        }
        if prefix.hasPrefix("tag:") { return tagged("tag:", Array(Set(snapshot.guests.lazy.filter(accepts).flatMap(\.tags))).sorted()) }
        if prefix.hasPrefix("pool:") { return tagged("pool:", snapshot.pools.sorted()) }
        if prefix.hasPrefix("node:") { return tagged("node:", snapshot.nodeNames) }
        var out: [Completion] = []
        let idPrefix: Substring
        var kindOnly: GuestKind?
        if prefix.hasPrefix("vm:") { idPrefix = prefix.dropFirst(3); kindOnly = .vm }
        else if prefix.hasPrefix("ct:") { idPrefix = prefix.dropFirst(3); kindOnly = .container }
        else { idPrefix = Substring(prefix) }
        let kindHead = kindOnly.map { $0.short + ":" } ?? ""
        // One pass over the cached guests; ids are only formatted when the prefix could be one.
        let mayBeID = idPrefix.allSatisfy(\.isNumber)
        // Byte-wise prefix tests: names are compared as typed, and this is the hot loop at 10,000 guests.
        let nameBytes = Array(prefix.utf8)
        let idBytes = Array(idPrefix.utf8)
        // Every match is returned (the common prefix needs them all), but details are written only
        // for as many as a listing shows: formatting 20,000 of them is most of a TAB's cost.
        func detail(_ text: @autoclosure () -> String) -> String? { out.count < Self.detailedCandidates ? text() : nil }
        // Guests are read in place: copying each `Guest` (its whole resource row) was most of a
        // TAB over 10,000 guests (swift_retain 56% of the completion benchmark).
        snapshot.guests.withUnsafeBufferPointer { guests in
            for index in guests.indices {
                let kind = guests[index].kind
                if let kindOnly, kind != kindOnly { continue }
                guard accepts(guests[index]) else { continue }
                let vmid = guests[index].vmid
                if mayBeID {
                    let id = String(vmid)
                    if id.utf8.starts(with: idBytes) {
                        out.append(Completion(head + kindHead + id, detail: detail(
                            "\(guests[index].name) \(kind.short) \(guests[index].status) on \(guests[index].node)")))
                    }
                }
                if kindOnly == nil, let name = guests[index].resource.name, !name.isEmpty, name.utf8.starts(with: nameBytes) {
                    out.append(Completion(head + name, detail: detail("\(kind.short) \(vmid) \(guests[index].status) on \(guests[index].node)")))
                }
            }
        }
        if kindOnly == nil, !prefix.isEmpty {
            for kind in ["tag:", "pool:", "node:"] where kind.hasPrefix(prefix) {
                out.append(Completion(head + kind, appendSpace: false))
            }
        }
        return out
    }

    /// Children of the directory part of `prefix`, relative to the context.
    private func paths(_ prefix: String) -> [Completion] {
        let (dirPart, leaf) = Self.splitAfterLast("/", in: prefix)
        let components = VirtualPath.resolveComponents(dirPart.isEmpty ? "." : dirPart, from: session.context.path)
        guard case .success(let dir) = VirtualPath.parse(components) else { return [] }
        var children: [(String, Bool, String?)] = []  // name, is a directory, detail
        switch dir {
        case .root: children = VirtualPath.rootChildren.map { ($0, true, nil) }
        case .nodes: children = (snapshot()?.nodeNames ?? []).map { ($0, true, "node") }
        case .node(let node):
            children = VirtualPath.NodeSection.allCases.map { ($0.rawValue, true, nil) }
            children += (snapshot()?.guests ?? []).filter { $0.node == node }.map { (String($0.vmid), false, $0.name) }
        case .storages: children = (snapshot()?.storageIDs ?? []).map { ($0, false, "storage") }
        case .pools: children = (snapshot()?.pools ?? []).map { ($0, false, "pool") }
        case .access: children = VirtualPath.AccessSection.allCases.map { ($0.rawValue, false, nil) }
        default: children = []
        }
        var out = children.filter { $0.0.hasPrefix(leaf) }.map { name, isDir, detail in
            Completion(dirPart + name + (isDir ? "/" : ""), detail: detail, appendSpace: !isDir)
        }
        if dirPart.isEmpty, "..".hasPrefix(leaf), !leaf.isEmpty { out.append(Completion("../", appendSpace: false)) }
        // `cd pve1` and `cd web01` work from anywhere, so bare node names are offered too, and guest
        // names once a letter is typed (ids are offered as paths of their node).
        if dirPart.isEmpty, dir != .nodes {
            out += (snapshot()?.nodeNames ?? []).filter { $0.hasPrefix(leaf) }.map { Completion($0, detail: "node") }
            if let first = leaf.first, !first.isNumber {
                out += (snapshot()?.guests ?? []).filter { !$0.name.isEmpty && $0.name.hasPrefix(leaf) }
                    .map { Completion($0.name, detail: "\($0.kind.short) \($0.vmid) \($0.status) on \($0.node)") }
            }
        }
        return out
    }

    /// `text` split after the last `separator` (which stays in the head); all of it is the tail when there is none.
    static func splitAfterLast(_ separator: Character, in text: String) -> (head: String, tail: String) {
        guard let index = text.lastIndex(of: separator) else { return ("", text) }
        return (String(text[...index]), String(text[text.index(after: index)...]))
    }

    /// The guest a snapshot completion is about: the first positional if it names one, else the selection.
    private func targetGuest(_ positionals: [String]) -> Guest? {
        guard let snapshot = snapshot() else { return nil }
        if let first = positionals.first, let found = try? TargetResolver(guests: snapshot.guests).resolveOne(first) { return found }
        guard let selected = session.context.selectedGuest else { return nil }
        return snapshot.guests.first { $0.vmid == selected.vmid }
    }

    private func snapshots(_ prefix: String, positionals: [String]) -> [Completion] {
        guard let guest = targetGuest(positionals) else { return [] }
        return snapshotNames(of: guest).filter { $0.value.hasPrefix(prefix) }
    }

    /// The guest's snapshots (not `current`, PVE's "you are here"), with their descriptions; cached.
    func snapshotNames(of guest: Guest) -> [Completion] {
        session.cache.extra("snapshots:\(guest.vmid)") {
            try (session.api().get(guest.apiPath + "/snapshot").array ?? []).compactMap { row in
                guard let name = row["name"]?.string, name != "current" else { return nil }
                return Completion(name, detail: row["description"]?.string)
            }
        }
    }

    /// Each storage once (a shared one is a row per node), by id, with its type: those holding
    /// `content` and those of `node` when given.
    func storages(_ prefix: String, content: String?, node: String?) -> [Completion] {
        var seen = Set<String>()
        return (snapshot()?.storages ?? []).compactMap { storage -> Completion? in
            guard let id = storage.storage, id.hasPrefix(prefix) else { return nil }
            if let content, !storage.content.contains(content) { return nil }
            if let node, storage.node != node { return nil }
            guard seen.insert(id).inserted else { return nil }
            return Completion(id, detail: storage.plugintype)
        }.sorted { $0.value < $1.value }
    }

    /// The node in context (or the only node).
    private var contextNode: String? {
        session.context.path.node ?? { let names = snapshot()?.nodeNames ?? []; return names.count == 1 ? names.first : nil }()
    }

    private func bridges(_ prefix: String, node: String?) -> [Completion] {
        guard let node else { return [] }
        let list = session.cache.extra("bridges:\(node)") {
            try (session.api().get("/nodes/\(node)/network", [("type", "any_bridge")]).array ?? []).compactMap { row in
                row["iface"]?.string.map { Completion($0, detail: row["cidr"]?.string) }
            }
        }
        return list.filter { $0.value.hasPrefix(prefix) }
    }

    /// Volumes of one content type on a node's storages; with no node known (neither typed with
    /// `--node` nor the current place), those of the shared storages, which every node reaches:
    /// one request per storage either way.
    private func storageContent(_ prefix: String, content: String, node: String?) -> [Completion] {
        let list = session.cache.extra("\(content):\(node ?? "shared")") {
            var seen = Set<String>()
            let storages = (snapshot()?.storages ?? []).filter { storage in
                guard storage.content.contains(content), let id = storage.storage else { return false }
                return node.map { storage.node == $0 } ?? (storage.shared && seen.insert(id).inserted)
            }
            var out: [Completion] = []
            for storage in storages {
                guard let id = storage.storage, let onNode = storage.node else { continue }
                let rows = try session.api().get("/nodes/\(onNode)/storage/\(id)/content", [("content", content)]).array ?? []
                out += rows.compactMap { row in row["volid"]?.string.map { Completion($0, detail: row["size"]?.double.map(Humanize.bytes)) } }
            }
            return out
        }
        return list.filter { $0.value.hasPrefix(prefix) }
    }
}
