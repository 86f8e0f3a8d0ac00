#if canImport(Glibc)
import Glibc
#endif

/// The elements of one JSON array kept as text, with the values of a few chosen keys located in a
/// single validating pass.
///
/// PVE's big answers are arrays of flat objects (`/cluster/resources` with 10,000 guests is 3 MB).
/// Building a `JSON` tree for them costs more than the request itself, mostly in memory: the rows
/// are only filtered, sorted and shown a few fields at a time. `JSONRows` keeps the server's bytes,
/// remembers where each row and each chosen key's value starts, and decodes a value only when it
/// is read. Filtering and sorting reorder row numbers, never bytes.
public struct JSONRows: Sendable {
    /// The keys whose values were located; `value(_:_:)` with any other key decodes the whole row.
    public let keys: [String]
    private let text: [UInt8]
    /// Per row: where its text starts and ends.
    private let rowStarts: [Int32]
    private let rowEnds: [Int32]
    /// `keys.count` entries per row: where that key's value starts, or -1 when the row lacks it.
    private let valueStarts: [Int32]
    /// The rows in view (after filtering and sorting), as indices into the arrays above.
    private var order: [Int32]

    public var count: Int { order.count }
    public var isEmpty: Bool { order.isEmpty }

    /// Indexes the array found at `member` of the top-level object (PVE's `data`), or the top-level
    /// array itself when `member` is nil. Anything other than an array there gives no rows, as a
    /// `null` `data` does. The whole text is checked as `JSON.parse` would check it.
    public init(parsing text: [UInt8], member: String? = nil, keys: [String]) throws {
        var rowStarts: [Int32] = [], rowEnds: [Int32] = [], valueStarts: [Int32] = []
        var unique: [String] = []
        for key in keys where !unique.contains(key) { unique.append(key) }
        let keys = unique
        var matcher = KeyMatcher(keys: keys)
        try text.withUnsafeBufferPointer { bytes in
            guard bytes.count < Int(Int32.max) else { throw JSONParseError(offset: 0, reason: "text larger than 2 GiB") }
            var parser = JSONParser(bytes: bytes)
            parser.skipWhitespace()
            if let member {
                try JSONRows.walkMembers(&parser, depth: 0) { key, parser in
                    if PackedKey(Array(member.utf8)).matches(key, in: bytes), rowStarts.isEmpty {
                        try JSONRows.indexArray(&parser, depth: 1, matcher: &matcher, rowStarts: &rowStarts, rowEnds: &rowEnds, valueStarts: &valueStarts)
                    } else {
                        try parser.skipValue(depth: 1)
                    }
                }
            } else {
                try JSONRows.indexArray(&parser, depth: 0, matcher: &matcher, rowStarts: &rowStarts, rowEnds: &rowEnds, valueStarts: &valueStarts)
            }
            parser.skipWhitespace()
            guard parser.index == bytes.count else { throw parser.error("unexpected trailing characters") }
        }
        self.keys = keys
        self.text = text
        self.rowStarts = rowStarts
        self.rowEnds = rowEnds
        self.valueStarts = valueStarts
        self.order = Array(0..<Int32(rowStarts.count))
    }

    /// Rows from values already decoded (small listings, tests, in-memory backends).
    public init(_ rows: [JSON], keys: [String]) {
        // Serialising is cheap next to fetching, and keeps a single representation to render from.
        // The serialiser's output is valid JSON, so indexing it cannot fail.
        try! self.init(parsing: JSON.array(rows).serializedBytes(reservingCapacity: rows.count * 64 + 2), keys: keys)
    }

    // MARK: Reading

    /// Position of `key` among the indexed keys.
    public func keyIndex(_ key: String) -> Int? { keys.firstIndex(of: key) }

    /// The value of indexed key number `key` in row `row` (a position in the current view).
    public func value(_ row: Int, key: Int) -> JSON? {
        let start = valueStarts[Int(order[row]) * keys.count + key]
        guard start >= 0 else { return nil }
        return text.withUnsafeBufferPointer { bytes in
            var parser = JSONParser(bytes: bytes, at: Int(start))
            return try? parser.parseValue(depth: 0)
        }
    }

    /// A value read in place. Numbers and unescaped strings, nearly every value of a listing, are
    /// read without building a `JSON`; anything else is `.other`, for `value(_:key:)` to decode.
    public enum Scalar: Equatable, Sendable {
        case absent
        case null
        case integer(Int64)
        case number(Double)
        /// Where an unescaped string's UTF-8 lies; `appendText` copies it.
        case text(Range<Int>)
        case other
    }

    public func scalar(_ row: Int, key: Int) -> Scalar {
        let start = Int(valueStarts[Int(order[row]) * keys.count + key])
        guard start >= 0 else { return .absent }
        return text.withUnsafeBufferPointer { bytes in
            switch bytes[start] {
            case UInt8(ascii: "\""):
                var parser = JSONParser(bytes: bytes, at: start)
                guard let token = try? parser.scanString(), !token.escaped else { return .other }
                return .text(token.start..<token.end)
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                var parser = JSONParser(bytes: bytes, at: start)
                guard let token = try? parser.scanNumber() else { return .other }
                if let integer = token.integer { return .integer(integer) }
                return JSONRows.double(UnsafeBufferPointer(rebasing: bytes[start..<parser.index])).map { .number($0) } ?? .other
            case UInt8(ascii: "n"): return .null
            default: return .other
            }
        }
    }

    /// Appends the bytes of a `.text` scalar.
    public func appendText(_ range: Range<Int>, to out: inout [UInt8]) {
        text.withUnsafeBufferPointer { out.append(contentsOf: UnsafeBufferPointer(rebasing: $0[range])) }
    }

    /// A number's value from its checked text, through `strtod` on a terminated copy.
    private static func double(_ number: UnsafeBufferPointer<UInt8>) -> Double? {
        guard number.count < 64 else { return Double(String(decoding: number, as: UTF8.self)) }
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: 64) { buffer in
            for (i, byte) in number.enumerated() { buffer[i] = CChar(bitPattern: byte) }
            buffer[number.count] = 0
            return strtod(buffer.baseAddress!, nil)
        }
    }

    /// The value of `key` in row `row`; keys that were not indexed are found by decoding the row.
    public func value(_ row: Int, _ key: String) -> JSON? {
        if let index = keyIndex(key) { return value(row, key: index) }
        return self.row(row)[key]
    }

    /// The whole row, decoded.
    public func row(_ row: Int) -> JSON {
        withRowText(row) { (try? JSON.parse(bytes: $0)) ?? .null }
    }

    /// All rows in view, decoded (YAML output, tests).
    public var values: [JSON] { (0..<count).map(row) }

    /// The row's own text, as the server sent it (already valid JSON).
    public func withRowText<T>(_ row: Int, _ body: (UnsafeBufferPointer<UInt8>) -> T) -> T {
        let index = Int(order[row])
        return text.withUnsafeBufferPointer { bytes in
            body(UnsafeBufferPointer(rebasing: bytes[Int(rowStarts[index])..<Int(rowEnds[index])]))
        }
    }

    // MARK: Reordering

    /// The rows for which `isIncluded(row)` holds, in the same order.
    public func filter(_ isIncluded: (Int) throws -> Bool) rethrows -> JSONRows {
        var copy = self
        copy.order = []
        copy.order.reserveCapacity(order.count)
        for position in order.indices where try isIncluded(position) { copy.order.append(order[position]) }
        return copy
    }

    /// The rows ordered by an integer computed once per row (ties keep their order).
    public func sorted(byInteger key: (Int) -> Int64) -> JSONRows {
        reordered(by: order.indices.map { (key($0), order[$0]) })
    }

    // The key is a concrete type: a generic one would be compared through witness tables from
    // other modules, several times slower on 10,000 rows.
    private func reordered(by keyed: [(Int64, Int32)]) -> JSONRows {
        var copy = self
        copy.order = keyed.sorted { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }.map(\.1)
        return copy
    }

    // MARK: Indexing

    /// Calls `body` for each member of the object at the parser's position, with the member's key
    /// token and the parser standing at its value; `body` must move past the value.
    private static func walkMembers(_ parser: inout JSONParser, depth: Int,
                                    _ body: (JSONParser.StringToken, inout JSONParser) throws -> Void) throws {
        guard parser.index < parser.bytes.count, parser.bytes[parser.index] == UInt8(ascii: "{") else {
            try parser.skipValue(depth: depth)
            return
        }
        parser.index += 1
        parser.skipWhitespace()
        if parser.index < parser.bytes.count, parser.bytes[parser.index] == UInt8(ascii: "}") { parser.index += 1; return }
        while true {
            parser.skipWhitespace()
            let key = try parser.skipKey()
            try body(key, &parser)
            parser.skipWhitespace()
            guard parser.index < parser.bytes.count else { throw parser.error("unterminated object") }
            if parser.bytes[parser.index] == UInt8(ascii: ",") { parser.index += 1; continue }
            if parser.bytes[parser.index] == UInt8(ascii: "}") { parser.index += 1; return }
            throw parser.error("expected ',' or '}'")
        }
    }

    private static func indexArray(_ parser: inout JSONParser, depth: Int, matcher: inout KeyMatcher,
                                   rowStarts: inout [Int32], rowEnds: inout [Int32], valueStarts: inout [Int32]) throws {
        guard parser.index < parser.bytes.count, parser.bytes[parser.index] == UInt8(ascii: "[") else {
            try parser.skipValue(depth: depth)
            return
        }
        parser.index += 1
        parser.skipWhitespace()
        if parser.index < parser.bytes.count, parser.bytes[parser.index] == UInt8(ascii: "]") { parser.index += 1; return }
        while true {
            parser.skipWhitespace()
            rowStarts.append(Int32(parser.index))
            let base = valueStarts.count
            valueStarts.append(contentsOf: repeatElement(-1, count: matcher.count))
            let bytes = parser.bytes
            var ordinal = 0
            try walkMembers(&parser, depth: depth + 1) { key, parser in
                // A repeated key keeps its first value, as `JSON`'s subscript does.
                if let k = matcher.index(of: key, at: ordinal, in: bytes), valueStarts[base + k] < 0 {
                    valueStarts[base + k] = Int32(parser.index)
                }
                ordinal += 1
                try parser.skipValue(depth: depth + 2)
            }
            rowEnds.append(Int32(parser.index))
            parser.skipWhitespace()
            guard parser.index < parser.bytes.count else { throw parser.error("unterminated array") }
            if parser.bytes[parser.index] == UInt8(ascii: ",") { parser.index += 1; continue }
            if parser.bytes[parser.index] == UInt8(ascii: "]") { parser.index += 1; return }
            throw parser.error("expected ',' or ']'")
        }
    }

}

/// Finds which wanted key a row's key is. Rows of one listing repeat their keys in one order, so
/// the answer for the key at each position of the previous row is tried first: one comparison
/// per key instead of one per wanted key.
private struct KeyMatcher {
    private let wanted: [PackedKey]
    private var seen: [PackedKey] = []
    private var seenIndex: [Int] = []

    init(keys: [String]) { wanted = keys.map { PackedKey(Array($0.utf8)) } }

    var count: Int { wanted.count }

    mutating func index(of key: JSONParser.StringToken, at ordinal: Int, in text: UnsafeBufferPointer<UInt8>) -> Int? {
        let packed = PackedKey(key, in: text)
        if ordinal < seen.count, let words = packed.words, let previous = seen[ordinal].words, words == previous {
            let index = seenIndex[ordinal]
            return index >= 0 ? index : nil
        }
        let index = wanted.firstIndex { $0.matches(packed, key, in: text) }
        if ordinal < seen.count {
            seen[ordinal] = packed
            seenIndex[ordinal] = index ?? -1
        } else if ordinal == seen.count {
            seen.append(packed)
            seenIndex.append(index ?? -1)
        }
        return index
    }
}

/// A key's UTF-8 bytes, with keys of up to 15 bytes (PVE's) also held as two words so that
/// comparing them against a row's keys costs two integer comparisons.
private struct PackedKey {
    let bytes: [UInt8]
    let words: (UInt64, UInt64)?

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
        words = bytes.withUnsafeBufferPointer { PackedKey.pack($0) }
    }

    /// The words of an unescaped key token (nil for long or escaped keys).
    init(_ key: JSONParser.StringToken, in text: UnsafeBufferPointer<UInt8>) {
        bytes = []
        words = key.escaped ? nil : PackedKey.pack(UnsafeBufferPointer(rebasing: text[key.start..<key.end]))
    }

    private static func pack(_ bytes: UnsafeBufferPointer<UInt8>) -> (UInt64, UInt64)? {
        guard bytes.count <= 15 else { return nil }
        var words: (UInt64, UInt64) = (0, 0)
        if let base = bytes.baseAddress {
            withUnsafeMutableBytes(of: &words) { $0.baseAddress!.copyMemory(from: base, byteCount: bytes.count) }
        }
        // The length in the last byte (unused by a 15-byte key) tells "a" from "a\0".
        return (words.0, words.1 ^ UInt64(bytes.count) << 56)
    }

    /// Whether the key token spells this key; `packed` is the token's own packing.
    func matches(_ packed: PackedKey, _ key: JSONParser.StringToken, in text: UnsafeBufferPointer<UInt8>) -> Bool {
        if let mine = words, let theirs = packed.words { return mine == theirs }
        return matches(key, in: text)
    }

    func matches(_ key: JSONParser.StringToken, in text: UnsafeBufferPointer<UInt8>) -> Bool {
        let content = UnsafeBufferPointer(rebasing: text[key.start..<key.end])
        if key.escaped { return Array(JSONParser.unescape(content).utf8) == bytes }
        return content.elementsEqual(bytes)
    }
}
