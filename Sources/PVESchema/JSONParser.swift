extension JSON {
    /// Parses UTF-8 JSON text. Written by hand because Foundation's decoders cost several times
    /// more on the 10,000-row `/cluster/resources` answers this client lives on.
    public static func parse(_ text: String) throws -> JSON {
        var text = text
        return try text.withUTF8 { try parse(bytes: $0) }
    }

    public static func parse<C: Collection>(_ bytes: C) throws -> JSON where C.Element == UInt8 {
        if let result = try bytes.withContiguousStorageIfAvailable({ try parse(bytes: $0) }) { return result }
        return try Array(bytes).withUnsafeBufferPointer { try parse(bytes: $0) }
    }

    public static func parse(bytes: UnsafeBufferPointer<UInt8>) throws -> JSON {
        // The short-string cache (20 KB) pays off only on documents with many repeated strings.
        var parser = JSONParser(bytes: bytes, cachingShortStrings: bytes.count > 64 * 1024)
        parser.skipWhitespace()
        let value = try parser.parseValue(depth: 0)
        parser.skipWhitespace()
        guard parser.index == bytes.count else { throw parser.error("unexpected trailing characters") }
        return value
    }
}

/// A recursive-descent parser over UTF-8 bytes. Members of the objects and arrays being parsed
/// collect on shared stacks so every container is allocated once at its final size, and short
/// strings (keys, states, node names) repeat so often that they are taken from a small cache
/// instead of being decoded and validated again.
struct JSONParser {
    let bytes: UnsafeBufferPointer<UInt8>
    var index = 0
    var memberStack: [(String, JSON)] = []
    var itemStack: [JSON] = []
    /// Whole documents cache short strings; a single value decoded on its own does not need to.
    var shortStrings: ShortStringCache?

    init(bytes: UnsafeBufferPointer<UInt8>, at index: Int = 0, cachingShortStrings: Bool = false) {
        self.bytes = bytes
        self.index = index
        self.shortStrings = cachingShortStrings ? ShortStringCache() : nil
    }

    func error(_ reason: String) -> JSONParseError { JSONParseError(offset: index, reason: reason) }

    // The scanning loops below read through a local pointer and index and store the index once:
    // going through `self` for every byte made indexing a 3 MB answer several times slower.

    @inline(__always)
    mutating func skipWhitespace() {
        guard index < bytes.count, bytes[index] <= 0x20 else { return }
        let text = bytes.baseAddress!, end = bytes.count
        var i = index
        while i < end {
            let c = text[i]
            guard c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 else { break }
            i += 1
        }
        index = i
    }

    mutating func parseValue(depth: Int) throws -> JSON {
        guard depth < 512 else { throw error("nesting too deep") }
        guard index < bytes.count else { throw error("unexpected end of input") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try parseObject(depth: depth)
        case UInt8(ascii: "["): return try parseArray(depth: depth)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expect("true"); return .bool(true)
        case UInt8(ascii: "f"): try expect("false"); return .bool(false)
        case UInt8(ascii: "n"): try expect("null"); return .null
        default: return try parseNumber()
        }
    }

    mutating func expect(_ word: StaticString) throws {
        let count = word.utf8CodeUnitCount
        guard index + count <= bytes.count else { throw error("unexpected end of input") }
        let ptr = word.utf8Start
        for i in 0..<count where bytes[index + i] != ptr[i] { throw error("invalid literal") }
        index += count
    }

    mutating func parseObject(depth: Int) throws -> JSON {
        index += 1
        let base = memberStack.count
        defer { memberStack.removeSubrange(base...) }
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") { index += 1; return .object([]) }
        while true {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw error("expected a key") }
            let key = try parseString()
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw error("expected ':'") }
            index += 1
            skipWhitespace()
            let value = try parseValue(depth: depth + 1)
            memberStack.append((key, value))
            skipWhitespace()
            guard index < bytes.count else { throw error("unterminated object") }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            if bytes[index] == UInt8(ascii: "}") { index += 1; return .object(Array(memberStack[base...])) }
            throw error("expected ',' or '}'")
        }
    }

    mutating func parseArray(depth: Int) throws -> JSON {
        index += 1
        let base = itemStack.count
        defer { itemStack.removeSubrange(base...) }
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") { index += 1; return .array([]) }
        while true {
            skipWhitespace()
            let item = try parseValue(depth: depth + 1)
            itemStack.append(item)
            skipWhitespace()
            guard index < bytes.count else { throw error("unterminated array") }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            if bytes[index] == UInt8(ascii: "]") { index += 1; return .array(Array(itemStack[base...])) }
            throw error("expected ',' or ']'")
        }
    }

    mutating func parseString() throws -> String {
        let token = try scanString()
        let content = UnsafeBufferPointer(rebasing: bytes[token.start..<token.end])
        if token.escaped { return JSONParser.unescape(content) }
        if shortStrings != nil { return shortStrings!.string(for: content) }
        return String(decoding: content, as: UTF8.self)
    }

    mutating func parseNumber() throws -> JSON {
        let token = try scanNumber()
        if let integer = token.integer { return .int(integer) }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[token.start..<index]), as: UTF8.self)
        if token.isInteger, let v = Int64(text) { return .int(v) }
        guard let d = Double(text) else { throw JSONParseError(offset: token.start, reason: "invalid number '\(text)'") }
        return .double(d)
    }

    // MARK: Scanning (validating without building values)

    /// Moves past the value at `index`, checking it as strictly as `parseValue` would.
    mutating func skipValue(depth: Int) throws {
        guard depth < 512 else { throw error("nesting too deep") }
        guard index < bytes.count else { throw error("unexpected end of input") }
        switch bytes[index] {
        case UInt8(ascii: "{"):
            index += 1
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "}") { index += 1; return }
            while true {
                skipWhitespace()
                try skipKey()
                try skipValue(depth: depth + 1)
                skipWhitespace()
                guard index < bytes.count else { throw error("unterminated object") }
                if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                if bytes[index] == UInt8(ascii: "}") { index += 1; return }
                throw error("expected ',' or '}'")
            }
        case UInt8(ascii: "["):
            index += 1
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "]") { index += 1; return }
            while true {
                skipWhitespace()
                try skipValue(depth: depth + 1)
                skipWhitespace()
                guard index < bytes.count else { throw error("unterminated array") }
                if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                if bytes[index] == UInt8(ascii: "]") { index += 1; return }
                throw error("expected ',' or ']'")
            }
        case UInt8(ascii: "\""): _ = try scanString()
        case UInt8(ascii: "t"): try expect("true")
        case UInt8(ascii: "f"): try expect("false")
        case UInt8(ascii: "n"): try expect("null")
        default: try skipNumber()
        }
    }

    /// Moves past `"key" :` and the whitespace after it; returns the key's token.
    @discardableResult
    mutating func skipKey() throws -> StringToken {
        guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw error("expected a key") }
        let key = try scanString()
        skipWhitespace()
        guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw error("expected ':'") }
        index += 1
        skipWhitespace()
        return key
    }

    /// Where a string's content lies, and whether it holds escapes that `unescape` must decode.
    struct StringToken {
        let start: Int
        let end: Int
        let escaped: Bool
    }

    /// Moves past the string at `index` (its opening quote), checking control characters and escapes.
    @inline(__always)
    mutating func scanString() throws -> StringToken {
        let text = bytes.baseAddress!, end = bytes.count
        let start = index + 1
        var i = start
        var escaped = false
        while i < end {
            // Plain runs are skipped sixteen bytes at a time (the text's last fifteen bytes by bytes).
            if i + 16 <= end {
                let run = Word.sixteen(Word.stringRun(at: text + i), Word.stringRun(at: text + i + 8))
                i += run
                if run == 16 { continue }
            }
            let c = text[i]
            if c == UInt8(ascii: "\"") {
                index = i + 1
                return StringToken(start: start, end: i, escaped: escaped)
            }
            if c == UInt8(ascii: "\\") {
                escaped = true
                i += 1
                guard i < end else { break }
                switch text[i] {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                     UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    i += 1
                case UInt8(ascii: "u"):
                    i += 1
                    guard i + 4 <= end else { index = i; throw error("short \\u escape") }
                    for _ in 0..<4 {
                        guard HexDigit.value(text[i]) != nil else { index = i; throw error("invalid \\u escape") }
                        i += 1
                    }
                default: index = i; throw error("invalid escape")
                }
                continue
            }
            if c < 0x20 { index = i; throw error("control character in string") }
            i += 1
        }
        index = i
        throw error("unterminated string")
    }

    /// The text of string content whose escapes `scanString` has already checked.
    static func unescape(_ content: UnsafeBufferPointer<UInt8>) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(content.count)
        var i = 0
        func hex4(at position: Int) -> UInt32 {
            var value: UInt32 = 0
            for k in position..<position + 4 { value = value << 4 | UInt32(HexDigit.value(content[k]) ?? 0) }
            return value
        }
        while i < content.count {
            let c = content[i]
            guard c == UInt8(ascii: "\\"), i + 1 < content.count else { out.append(c); i += 1; continue }
            let e = content[i + 1]
            i += 2
            switch e {
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = hex4(at: i)
                i += 4
                if (0xD800..<0xDC00).contains(scalar), i + 6 <= content.count,
                    content[i] == UInt8(ascii: "\\"), content[i + 1] == UInt8(ascii: "u")
                {
                    let low = hex4(at: i + 2)
                    i += 6
                    // A high surrogate must be followed by a low one; otherwise both are replaced
                    // (subtracting 0xDC00 from a non-low value would trap).
                    if (0xDC00..<0xE000).contains(low) {
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else {
                        out.append(contentsOf: [0xEF, 0xBF, 0xBD])
                        scalar = low
                    }
                }
                let us = Unicode.Scalar(scalar) ?? "\u{FFFD}"
                out.append(contentsOf: Array(String(Character(us)).utf8))
            default: out.append(e)  // `"`, `\`, `/`
            }
        }
        return String(decoding: out, as: UTF8.self)
    }


    /// A number's extent; `integer` is set when it is an integer of at most 18 digits.
    struct NumberToken {
        let start: Int
        let isInteger: Bool
        let integer: Int64?
    }

    /// Reads the number at `index`: `-? digits (. digits)? ([eE] [+-]? digits)?` (leading zeros
    /// are tolerated), checked as `skipNumber` checks it.
    mutating func scanNumber() throws -> NumberToken {
        let start = index
        try skipNumber()
        let text = bytes.baseAddress!
        var i = start
        let negative = text[i] == UInt8(ascii: "-")
        if negative { i += 1 }
        var magnitude: UInt64 = 0
        var digits = 0
        while i < index, text[i] &- 0x30 < 10 {
            // 18 digits always fit in an Int64; longer integers are read from their text.
            if digits < 18 { magnitude = magnitude &* 10 &+ UInt64(text[i] &- 0x30) }
            digits += 1
            i += 1
        }
        let isInteger = i == index
        let integer = isInteger && digits <= 18 ? (negative ? -Int64(magnitude) : Int64(magnitude)) : nil
        return NumberToken(start: start, isInteger: isInteger, integer: integer)
    }

    /// Moves past the number at `index` without reading its value (most numbers of a listing are
    /// never shown); digits are counted eight at a time.
    @inline(__always)
    mutating func skipNumber() throws {
        let text = bytes.baseAddress!, end = bytes.count
        var i = index
        if i < end, text[i] == UInt8(ascii: "-") { i += 1 }
        var first = i
        i = Word.digitsEnd(text, from: i, to: end)
        guard i > first else { throw error("unexpected character") }
        if i < end, text[i] == UInt8(ascii: ".") {
            i += 1
            first = i
            i = Word.digitsEnd(text, from: i, to: end)
            guard i > first else { index = i; throw error("expected a digit after '.'") }
        }
        if i < end, text[i] | 0x20 == UInt8(ascii: "e") {
            i += 1
            if i < end, text[i] == UInt8(ascii: "+") || text[i] == UInt8(ascii: "-") { i += 1 }
            first = i
            i = Word.digitsEnd(text, from: i, to: end)
            guard i > first else { index = i; throw error("expected a digit in the exponent") }
        }
        index = i
    }
}

/// Eight bytes of text tested at once (SWAR): how many leading bytes belong to a plain run.
/// Little-endian: the first byte in memory is the lowest byte of the word.
public enum Word {
    private static let ones: UInt64 = 0x0101_0101_0101_0101
    private static let highs: UInt64 = 0x8080_8080_8080_8080

    @inline(__always)
    static func load(_ pointer: UnsafePointer<UInt8>) -> UInt64 {
        UInt64(littleEndian: UnsafeRawPointer(pointer).loadUnaligned(as: UInt64.self))
    }

    /// Bytes before the first `"`, `\` or control character (8 when there is none).
    @inline(__always)
    static func stringRun(at pointer: UnsafePointer<UInt8>) -> Int {
        let word = load(pointer)
        // A byte is flagged (high bit) where it equals the quote, the backslash, or is below 0x20;
        // bytes of 0x80 and above never are (the `& ~word` term).
        let quote = word ^ (ones &* 0x22), backslash = word ^ (ones &* 0x5C)
        let flags = ((quote &- ones) | (backslash &- ones) | (word &- ones &* 0x20)) & ~word & highs
        return flags == 0 ? 8 : flags.trailingZeroBitCount / 8
    }

    /// Masks keeping the first `length` bytes (0...16) of two words loaded from a text.
    @inlinable @inline(__always)
    public static func masks(keeping length: Int) -> (UInt64, UInt64) {
        (length >= 8 ? ~0 : (1 << UInt64(length * 8)) &- 1,
         length <= 8 ? 0 : length >= 16 ? ~0 : (1 << UInt64((length - 8) * 8)) &- 1)
    }

    /// Up to sixteen bytes as two words, zero-padded (the byte at the lowest address lowest).
    static func pack(_ bytes: UnsafeBufferPointer<UInt8>) -> (UInt64, UInt64) {
        var words: (UInt64, UInt64) = (0, 0)
        withUnsafeMutableBytes(of: &words) { raw in
            for i in 0..<min(bytes.count, 16) { raw[i] = bytes[i] }
        }
        return (UInt64(littleEndian: words.0), UInt64(littleEndian: words.1))
    }

    /// Where the run of ASCII digits from `start` ends (at most at `end`).
    @inline(__always)
    static func digitsEnd(_ text: UnsafePointer<UInt8>, from start: Int, to end: Int) -> Int {
        var i = start
        while i + 16 <= end {
            let run = sixteen(digitRun(at: text + i), digitRun(at: text + i + 8))
            i += run
            if run < 16 { return i }
        }
        while i < end, text[i] &- 0x30 < 10 { i += 1 }
        return i
    }

    /// The run over sixteen bytes from the runs of their two halves, without a branch: PVE's
    /// numbers and strings are as often under eight bytes as over, and a branch on it would be
    /// mispredicted half the time.
    @inline(__always)
    static func sixteen(_ first: Int, _ second: Int) -> Int {
        first &+ (second & (0 &- (first &>> 3)))
    }

    /// Leading ASCII digits (8 when all are).
    @inline(__always)
    static func digitRun(at pointer: UnsafePointer<UInt8>) -> Int {
        let word = load(pointer)
        // Digits are 0x30...0x39: high nibble 3, and adding 6 does not carry out of the low nibble.
        let nonDigits = ((word & (ones &* 0xF0)) ^ (ones &* 0x30)) | (((word &+ ones &* 0x06) & (ones &* 0xF0)) ^ (ones &* 0x30))
        return nonDigits == 0 ? 8 : nonDigits.trailingZeroBitCount / 8
    }
}

/// Recently seen strings of up to 16 bytes, found again by their bytes. PVE listings repeat the
/// same keys and the same few values (`qemu`, `running`, node names) in every row.
struct ShortStringCache {
    private struct Entry {
        var low: UInt64 = 0
        var high: UInt64 = 0
        var count = -1
        var string = ""
    }

    private static let slots = 512
    private var entries = [Entry](repeating: Entry(), count: ShortStringCache.slots)

    mutating func string(for text: UnsafeBufferPointer<UInt8>) -> String {
        guard text.count <= 16, let base = text.baseAddress else { return String(decoding: text, as: UTF8.self) }
        var words: (UInt64, UInt64) = (0, 0)
        withUnsafeMutableBytes(of: &words) { $0.copyMemory(from: UnsafeRawBufferPointer(start: base, count: text.count)) }
        var hash = (words.0 ^ (words.1 &* 0x9E37_79B9_7F4A_7C15) ^ UInt64(text.count)) &* 0xFF51_AFD7_ED55_8CCD
        hash ^= hash >> 29
        let slot = Int(truncatingIfNeeded: hash) & (ShortStringCache.slots - 1)
        let entry = entries[slot]
        if entry.count == text.count, entry.low == words.0, entry.high == words.1 { return entry.string }
        let string = String(decoding: text, as: UTF8.self)
        entries[slot] = Entry(low: words.0, high: words.1, count: text.count, string: string)
        return string
    }
}

