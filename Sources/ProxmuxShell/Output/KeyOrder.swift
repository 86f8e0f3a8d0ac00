import PVESchema

/// The order in which the members of an object from the server are shown. PVE sends each object's
/// members in Perl hash order, a different order per object and per server, so showing them as
/// they come would shuffle a config from one `show` to the next. Like `pvesh` and `qm config`,
/// proxmux shows them sorted by key, with numbered keys in number order (`net2` before `net10`).
enum KeyOrder {
    /// Whether key `a` comes before key `b`: runs of digits compare by their value, the rest byte
    /// by byte.
    static func precedes(_ a: String, _ b: String) -> Bool {
        precedes((collationKey(a), a), (collationKey(b), b))
    }

    /// The bytes whose plain order is the key order: a run of digits becomes `0`, the count of
    /// its significant digits and those digits (`net10` → `net`, `0`, 2, `10`), so `net2` comes
    /// before `net10`, and a run still sorts as a digit against any other byte. Sorting computes
    /// it once per key: comparing keys digit run by digit run was most of `api get` on 10,000
    /// resources.
    static func collationKey(_ key: String) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(key.utf8.count + 2)
        var rest = key.utf8[...]
        while let first = rest.first {
            guard isDigit(first) else {
                out.append(first)
                rest = rest.dropFirst()
                continue
            }
            let digits = rest.prefix(while: isDigit)
            let significant = digits.drop { $0 == UInt8(ascii: "0") }
            out.append(UInt8(ascii: "0"))
            out.append(UInt8(min(significant.count, 255)))
            out.append(contentsOf: significant)
            rest = rest.dropFirst(digits.count)
        }
        return out
    }

    /// Key order on keys with their collation keys; equal ones (`net01`, `net1`) by their bytes.
    static func precedes(_ a: ([UInt8], String), _ b: ([UInt8], String)) -> Bool {
        a.0 != b.0 ? a.0.lexicographicallyPrecedes(b.0) : a.1 < b.1
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte &- UInt8(ascii: "0") < 10 }

    /// `value` with the members of every object in it sorted by key (arrays keep their order).
    /// Each distinct key's place is worked out once: 10,000 rows repeat the same twenty keys, and
    /// collating them object by object was most of `api get` on such an answer.
    static func sorted(_ value: JSON) -> JSON {
        var keys = Set<String>()
        collectKeys(value, into: &keys)
        let places = Dictionary(uniqueKeysWithValues: sorted(Array(keys)).enumerated().map { ($1, $0) })
        return sorted(value, places: places)
    }

    private static func collectKeys(_ value: JSON, into keys: inout Set<String>) {
        switch value {
        case .object(let members):
            for (key, member) in members {
                keys.insert(key)
                collectKeys(member, into: &keys)
            }
        case .array(let items):
            for item in items { collectKeys(item, into: &keys) }
        default:
            break
        }
    }

    /// `places`: each key's place in key order.
    private static func sorted(_ value: JSON, places: [String: Int]) -> JSON {
        switch value {
        case .object(let members):
            // A repeated key keeps its members' order (the sort is stable).
            return .object(members.map { key, member in (place: places[key] ?? 0, member: (key, sorted(member, places: places))) }
                .sorted { $0.place < $1.place }.map(\.member))
        case .array(let items):
            return .array(items.map { sorted($0, places: places) })
        default:
            return value
        }
    }

    /// `keys` sorted.
    static func sorted(_ keys: [String]) -> [String] {
        keys.map { (collationKey($0), $0) }.sorted(by: precedes).map(\.1)
    }
}
