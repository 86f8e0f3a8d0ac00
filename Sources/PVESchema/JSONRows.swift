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
    private let index: Index
    /// The rows in view (after filtering and sorting), as row numbers of `index`.
    private var order: [Int32]

    /// Where rows and the chosen values lie in `text`.
    private struct Index {
        var rowStarts: [Int32] = []
        var rowEnds: [Int32] = []
        /// `keys.count` spans per row, in key order.
        var values: [ValueSpan] = []
    }

    /// A value's bytes; `start` is -1 when the row lacks the key. Strings remember whether they
    /// hold escapes, so that plain ones are read straight from the text.
    private struct ValueSpan {
        var start: Int32 = -1
        var end: Int32 = 0
        var escaped = false
    }

    public var count: Int { order.count }
    public var isEmpty: Bool { order.isEmpty }

    /// Indexes the array found at `member` of the top-level object (PVE's `data`), or the top-level
    /// array itself when `member` is nil. Anything other than an array there gives no rows, as a
    /// `null` `data` does. The whole text is checked as `JSON.parse` would check it.
    public init(parsing text: [UInt8], member: String? = nil, keys: [String]) throws {
        var index = Index()
        // PVE rows are over 100 bytes; reserving for that many spares the regrowth copies (pages
        // reserved but never written cost nothing).
        index.values.reserveCapacity(text.count / 100 * max(1, keys.count))
        var unique: [String] = []
        for key in keys where !unique.contains(key) { unique.append(key) }
        let keys = unique
        var matcher = KeyMatcher(keys: keys)
        try text.withUnsafeBufferPointer { bytes in
            guard bytes.count < Int(Int32.max) else { throw JSONParseError(offset: 0, reason: "text larger than 2 GiB") }
            var parser = JSONParser(bytes: bytes)
            parser.skipWhitespace()
            if let member {
                let name = PackedKey(Array(member.utf8))
                try JSONRows.walkMembers(&parser, depth: 0) { key, parser in
                    if name.matches(key, in: bytes), index.rowStarts.isEmpty {
                        try JSONRows.indexArray(&parser, depth: 1, matcher: &matcher, into: &index)
                    } else {
                        try parser.skipValue(depth: 1)
                    }
                }
            } else {
                try JSONRows.indexArray(&parser, depth: 0, matcher: &matcher, into: &index)
            }
            parser.skipWhitespace()
            guard parser.index == bytes.count else { throw parser.error("unexpected trailing characters") }
        }
        self.keys = keys
        self.text = text
        self.order = Array(0..<Int32(index.rowStarts.count))
        self.index = index
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
        let span = index.values[Int(order[row]) * keys.count + key]
        guard span.start >= 0 else { return nil }
        return text.withUnsafeBufferPointer { bytes in
            var parser = JSONParser(bytes: bytes, at: Int(span.start))
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

    /// The value of indexed key number `key` in row `row`, read in place (see `Scalar`).
    public func scalar(_ row: Int, key: Int) -> Scalar {
        let span = index.values[Int(order[row]) * keys.count + key]
        guard span.start >= 0 else { return .absent }
        let start = Int(span.start), end = Int(span.end)
        return text.withUnsafeBufferPointer { bytes in
            switch bytes[start] {
            case UInt8(ascii: "\""): return span.escaped ? .other : .text(start + 1..<end - 1)
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                return JSONRows.number(UnsafeBufferPointer(rebasing: bytes[start..<end]))
            case UInt8(ascii: "n"): return .null
            default: return .other
            }
        }
    }

    private static let powersOfTen: [Double] = (0...22).map { exponent in
        (0..<exponent).reduce(1.0) { value, _ in value * 10 }
    }

    /// The value of a number token the index has checked. A decimal whose digits make an integer
    /// of at most 2^53 with at most 22 decimal places (PVE's `cpu` fractions) is one division of
    /// two exact doubles, correctly rounded as `strtod` would; anything else goes through `strtod`.
    private static func number(_ token: UnsafeBufferPointer<UInt8>) -> Scalar {
        var i = 0
        let negative = token[0] == UInt8(ascii: "-")
        if negative { i = 1 }
        var mantissa: UInt64 = 0, significant = 0, decimals = 0
        var dot = false
        while i < token.count {
            let c = token[i]
            if c &- 0x30 < 10 {
                if mantissa != 0 || c != 0x30 { significant += 1 }
                if significant > 18 { return slowNumber(token) }
                mantissa = mantissa &* 10 &+ UInt64(c &- 0x30)
                if dot { decimals += 1 }
            } else if c == UInt8(ascii: "."), !dot {
                dot = true
            } else {
                return slowNumber(token)  // an exponent
            }
            i += 1
        }
        if !dot { return .integer(negative ? -Int64(mantissa) : Int64(mantissa)) }
        guard mantissa <= 1 << 53, decimals <= 22 else { return slowNumber(token) }
        let magnitude = Double(mantissa) / powersOfTen[decimals]
        return .number(negative ? -magnitude : magnitude)
    }

    private static func slowNumber(_ token: UnsafeBufferPointer<UInt8>) -> Scalar {
        if !token.contains(where: { $0 == UInt8(ascii: ".") || $0 | 0x20 == UInt8(ascii: "e") }),
           let integer = Int64(String(decoding: token, as: UTF8.self)) {
            return .integer(integer)
        }
        return double(token).map { .number($0) } ?? .other
    }

    /// An integer value (`100` or PVE's string form `"100"`), read in place when it is a number.
    public func integer(_ row: Int, key: Int) -> Int64? {
        if case .integer(let value) = scalar(row, key: key) { return value }
        return value(row, key: key)?.int
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
        let number = Int(order[row])
        return text.withUnsafeBufferPointer { bytes in
            body(UnsafeBufferPointer(rebasing: bytes[Int(index.rowStarts[number])..<Int(index.rowEnds[number])]))
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
        // Answers often come in order already: then there is nothing to sort.
        if zip(keyed, keyed.dropFirst()).allSatisfy({ $0.0 <= $1.0 }) { return self }
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

    /// Indexes the array at the parser's position (anything else is skipped: no rows). One loop
    /// with the parser in a local, no closures: this runs once per byte of a 3 MB answer.
    private static func indexArray(_ parser: inout JSONParser, depth: Int, matcher: inout KeyMatcher, into index: inout Index) throws {
        let bytes = parser.bytes
        guard parser.index < bytes.count, bytes[parser.index] == UInt8(ascii: "[") else {
            try parser.skipValue(depth: depth)
            return
        }
        parser.index += 1
        parser.skipWhitespace()
        if parser.index < bytes.count, bytes[parser.index] == UInt8(ascii: "]") { parser.index += 1; return }
        try indexRows(&parser, depth: depth, matcher: &matcher, into: &index)
    }

    /// Indexes rows from the parser's position (the first row) until the array's `]`, consumed.
    /// One loop with the parser in a local and no closures: this runs once per byte of a 3 MB answer.
    private static func indexRows(_ parser: inout JSONParser, depth: Int, matcher: inout KeyMatcher, into index: inout Index) throws {
        let bytes = parser.bytes
        var p = parser
        defer { parser.index = p.index }
        let width = matcher.count
        while true {
            p.skipWhitespace()
            index.rowStarts.append(Int32(p.index))
            let base = index.values.count
            index.values.append(contentsOf: repeatElement(ValueSpan(), count: width))
            if p.index < bytes.count, bytes[p.index] == UInt8(ascii: "{") {
                p.index += 1
                p.skipWhitespace()
                if p.index < bytes.count, bytes[p.index] == UInt8(ascii: "}") {
                    p.index += 1
                } else {
                    var ordinal = 0
                    while true {
                        p.skipWhitespace()
                        let key = try p.skipKey()
                        let start = p.index
                        // A repeated key keeps its first value, as `JSON`'s subscript does.
                        if let k = matcher.index(of: key, at: ordinal, in: bytes), index.values[base + k].start < 0 {
                            var escaped = false
                            if start < bytes.count, bytes[start] == UInt8(ascii: "\"") {
                                escaped = try p.scanString().escaped
                            } else {
                                try p.skipValue(depth: depth + 2)
                            }
                            index.values[base + k] = ValueSpan(start: Int32(start), end: Int32(p.index), escaped: escaped)
                        } else {
                            try p.skipValue(depth: depth + 2)
                        }
                        ordinal += 1
                        p.skipWhitespace()
                        guard p.index < bytes.count else { throw p.error("unterminated object") }
                        if bytes[p.index] == UInt8(ascii: ",") { p.index += 1; continue }
                        if bytes[p.index] == UInt8(ascii: "}") { p.index += 1; break }
                        throw p.error("expected ',' or '}'")
                    }
                }
            } else {
                try p.skipValue(depth: depth + 1)  // not an object: a row without values
            }
            index.rowEnds.append(Int32(p.index))
            p.skipWhitespace()
            guard p.index < bytes.count else { throw p.error("unterminated array") }
            if bytes[p.index] == UInt8(ascii: ",") { p.index += 1; continue }
            if bytes[p.index] == UInt8(ascii: "]") { p.index += 1; return }
            throw p.error("expected ',' or ']'")
        }
    }
}

/// Finds which wanted key a row's key is. Rows of one listing repeat their keys in one order, so
/// the answer for the key at each position of the previous row is tried first: one comparison
/// per key instead of one per wanted key.
private struct KeyMatcher {
    private let wanted: [PackedKey]
    /// Per position in the previous row: that key's words (nil when long or escaped) and which
    /// wanted key it was (-1: none).
    private var seenWords: [(UInt64, UInt64)?] = []
    private var seenIndex: [Int] = []

    init(keys: [String]) { wanted = keys.map { PackedKey(Array($0.utf8)) } }

    var count: Int { wanted.count }

    @inline(__always)
    mutating func index(of key: JSONParser.StringToken, at ordinal: Int, in text: UnsafeBufferPointer<UInt8>) -> Int? {
        let words = PackedKey.words(of: key, in: text)
        if ordinal < seenWords.count, let words, let previous = seenWords[ordinal], words == previous {
            let index = seenIndex[ordinal]
            return index >= 0 ? index : nil
        }
        let index = wanted.firstIndex { $0.matches(words, key, in: text) }
        if ordinal < seenWords.count {
            seenWords[ordinal] = words
            seenIndex[ordinal] = index ?? -1
        } else if ordinal == seenWords.count {
            seenWords.append(words)
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
    @inline(__always)
    static func words(of key: JSONParser.StringToken, in text: UnsafeBufferPointer<UInt8>) -> (UInt64, UInt64)? {
        let count = key.end - key.start
        guard !key.escaped, count <= 15 else { return nil }
        guard key.start + 16 <= text.count, let base = text.baseAddress else {
            return pack(UnsafeBufferPointer(rebasing: text[key.start..<key.end]))
        }
        // Two loads and masks instead of a byte loop (the text goes on past the key).
        let low = Word.load(base + key.start), high = Word.load(base + key.start + 8)
        let lowMask: UInt64 = count >= 8 ? ~0 : (1 << UInt64(count * 8)) &- 1
        let highMask: UInt64 = count <= 8 ? 0 : (1 << UInt64((count - 8) * 8)) &- 1
        return (low & lowMask, (high & highMask) ^ UInt64(count) << 56)
    }

    @inline(__always)
    private static func pack(_ bytes: UnsafeBufferPointer<UInt8>) -> (UInt64, UInt64)? {
        let count = bytes.count
        guard count <= 15 else { return nil }
        guard let base = bytes.baseAddress else { return (0, UInt64(count) << 56) }
        var words: (UInt64, UInt64) = (0, 0)
        withUnsafeMutableBytes(of: &words) { raw in
            for i in 0..<count { raw[i] = base[i] }
        }
        // The length in the last byte (unused by a 15-byte key) tells "a" from "a\0".
        return (words.0, words.1 ^ UInt64(count) << 56)
    }

    /// Whether the key token spells this key; `tokenWords` are the token's own `words(of:in:)`.
    func matches(_ tokenWords: (UInt64, UInt64)?, _ key: JSONParser.StringToken, in text: UnsafeBufferPointer<UInt8>) -> Bool {
        if let mine = words, let theirs = tokenWords { return mine == theirs }
        return matches(key, in: text)
    }

    func matches(_ key: JSONParser.StringToken, in text: UnsafeBufferPointer<UInt8>) -> Bool {
        let content = UnsafeBufferPointer(rebasing: text[key.start..<key.end])
        if key.escaped { return Array(JSONParser.unescape(content).utf8) == bytes }
        return content.elementsEqual(bytes)
    }
}
