import PVESchema

/// The order in which the members of an object from the server are shown. PVE sends each object's
/// members in Perl hash order, a different order per object and per server, so showing them as
/// they come would shuffle a config from one `show` to the next. Like `pvesh` and `qm config`,
/// proxmux shows them sorted by key, with numbered keys in number order (`net2` before `net10`).
enum KeyOrder {
    /// Whether key `a` comes before key `b`: runs of digits compare by their value, the rest byte
    /// by byte.
    static func precedes(_ a: String, _ b: String) -> Bool {
        var left = a.utf8[...], right = b.utf8[...]  // slices: no copy per comparison
        while let l = left.first, let r = right.first {
            if isDigit(l), isDigit(r) {
                let leftDigits = left.prefix(while: isDigit), rightDigits = right.prefix(while: isDigit)
                let leftValue = leftDigits.drop(while: { $0 == UInt8(ascii: "0") })
                let rightValue = rightDigits.drop(while: { $0 == UInt8(ascii: "0") })
                if leftValue.count != rightValue.count { return leftValue.count < rightValue.count }
                if !leftValue.elementsEqual(rightValue) { return leftValue.lexicographicallyPrecedes(rightValue) }
                left = left.dropFirst(leftDigits.count)
                right = right.dropFirst(rightDigits.count)
                continue
            }
            if l != r { return l < r }
            left = left.dropFirst()
            right = right.dropFirst()
        }
        return left.isEmpty && !right.isEmpty || (left.isEmpty && right.isEmpty && a < b)
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte &- UInt8(ascii: "0") < 10 }

    /// `value` with the members of every object in it sorted by key (arrays keep their order).
    static func sorted(_ value: JSON) -> JSON {
        switch value {
        case .object(let members):
            return .object(members.map { ($0.0, sorted($0.1)) }.sorted { precedes($0.0, $1.0) })
        case .array(let items):
            return .array(items.map(sorted))
        default:
            return value
        }
    }

    /// `keys` sorted.
    static func sorted(_ keys: [String]) -> [String] { keys.sorted(by: precedes) }
}
