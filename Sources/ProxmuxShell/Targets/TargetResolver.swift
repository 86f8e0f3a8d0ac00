#if canImport(Glibc)
import Glibc
#endif
import ProxmoxAPI

/// Turns a target expression into guests: `101`, `vm:101`, `ct:200`, a name, `tag:web`,
/// `pool:prod`, `node:pve2`, globs (`web-*`) and comma lists of these. Works on one snapshot of
/// `/cluster/resources`, so a resolution costs one request.
public struct TargetResolver {
    public let guests: [Guest]

    public init(guests: [Guest]) { self.guests = guests }

    /// All guests the expression names, in the order written, each once.
    public func resolve(_ expression: String) throws -> [Guest] {
        let items = expression.split(separator: ",", omittingEmptySubsequences: true).map(String.init)
        guard !items.isEmpty else { throw ShellError("empty target: give a guest id, name, tag:NAME, pool:NAME, node:NAME or a glob") }
        var result: [Guest] = []
        var seen = Set<Int>()
        for item in items {
            for guest in try resolveItem(item) where seen.insert(guest.vmid).inserted {
                result.append(guest)
            }
        }
        return result
    }

    /// Exactly one guest (for `show`, `console`, `cd`).
    public func resolveOne(_ expression: String) throws -> Guest {
        let found = try resolve(expression)
        guard found.count == 1, let guest = found.first else {
            throw ShellError("'\(expression)' matches \(found.count) guests, this command takes one: \(Self.list(found))")
        }
        return guest
    }

    private func resolveItem(_ item: String) throws -> [Guest] {
        if let colon = item.firstIndex(of: ":") {
            let kind = String(item[..<colon])
            let value = String(item[item.index(after: colon)...])
            guard !value.isEmpty else { throw ShellError("'\(item)': nothing after '\(kind):'") }
            switch kind {
            case "vm", "ct":
                guard let vmid = Int(value) else { throw ShellError("'\(item)': \(kind): takes a numeric id, e.g. \(kind):101") }
                let want: GuestKind = kind == "vm" ? .vm : .container
                guard let guest = guests.first(where: { $0.vmid == vmid }) else { throw ShellError("no guest with id \(vmid)") }
                guard guest.kind == want else { throw ShellError("\(vmid) is a \(guest.kind == .vm ? "VM" : "container"), not a \(want == .vm ? "VM" : "container") (use \(guest.kind.short):\(vmid))") }
                return [guest]
            case "tag":
                return try nonEmpty(guests.filter { $0.tags.contains(value) }, "no guest has tag '\(value)'")
            case "pool":
                return try nonEmpty(guests.filter { $0.pool == value }, "no guest in pool '\(value)'")
            case "node":
                return try nonEmpty(guests.filter { $0.node == value }, "no guests on node '\(value)'")
            default:
                throw ShellError("unknown target kind '\(kind):' (valid: vm:, ct:, tag:, pool:, node:)")
            }
        }
        if let vmid = Int(item) {
            return try nonEmpty(guests.filter { $0.vmid == vmid }, "no guest with id \(vmid)")
        }
        if item.contains(where: { $0 == "*" || $0 == "?" || $0 == "[" }) {
            let matched = guests.filter { fnmatch(item, $0.name, 0) == 0 || fnmatch(item, String($0.vmid), 0) == 0 }
            return try nonEmpty(matched, "no guest matches '\(item)'")
        }
        let named = guests.filter { $0.name == item }
        if named.count > 1 {
            throw ShellError("'\(item)' is ambiguous, it names \(named.count) guests: \(Self.list(named)); use the id")
        }
        return try nonEmpty(named, {
            // Names that start with what was typed are the likely intent (`web0` → web01, web02).
            let close = guests.filter { $0.name.hasPrefix(item) }
            return "no guest named '\(item)'" + (close.isEmpty ? "" : " (did you mean: \(Self.list(close))?)")
        }())
    }

    private func nonEmpty(_ found: [Guest], _ message: @autoclosure () -> String) throws -> [Guest] {
        if found.isEmpty { throw ShellError(message()) }
        return found
    }

    static func list(_ guests: [Guest]) -> String {
        guests.prefix(10).map(\.label).joined(separator: ", ") + (guests.count > 10 ? ", …" : "")
    }
}
