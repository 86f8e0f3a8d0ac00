#if canImport(Glibc)
import Glibc
#endif

/// A JSON value as the PVE API sends it.
///
/// Objects keep the server's key order (renderers print them in that order) and are looked up
/// linearly: PVE objects have tens of keys, so a scan beats hashing and keeps parsing cheap.
/// The lenient accessors (`int`, `bool`, `string`) accept the shapes real servers send:
/// numbers as strings (`"100"`), booleans as `0|1`, empty strings for absent flags.
public enum JSON: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([JSON])
    case object([(String, JSON)])

    public static func == (lhs: JSON, rhs: JSON) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case let (.bool(a), .bool(b)): return a == b
        case let (.int(a), .int(b)): return a == b
        case let (.double(a), .double(b)): return a == b
        case let (.int(a), .double(b)), let (.double(b), .int(a)): return Double(a) == b
        case let (.string(a), .string(b)): return a == b
        case let (.array(a), .array(b)): return a == b
        case let (.object(a), .object(b)):
            // Members compare as the subscript reads them: by key, a repeated key by its first
            // value (comparing every value with the other's first made such an object unequal
            // to itself).
            guard a.count == b.count else { return false }
            let left = JSON.object(a), right = JSON.object(b)
            for (key, _) in a where left[key] != right[key] { return false }
            for (key, _) in b where left[key] == nil { return false }
            return true
        default: return false
        }
    }

    // MARK: Access

    public subscript(key: String) -> JSON? {
        guard case .object(let pairs) = self else { return nil }
        for (k, v) in pairs where k == key { return v }
        return nil
    }

    public subscript(index: Int) -> JSON? {
        guard case .array(let items) = self, items.indices.contains(index) else { return nil }
        return items[index]
    }

    public var isNull: Bool { if case .null = self { return true } else { return false } }

    /// Integer value of a number, or of a string holding one (`"100"`).
    public var int: Int64? {
        switch self {
        case .int(let v): return v
        case .double(let v): return v.isFinite && v == v.rounded() && abs(v) < 9.2e18 ? Int64(v) : nil
        case .string(let s): return Int64(s) ?? Double(s).flatMap { JSON.double($0).int }
        case .bool(let b): return b ? 1 : 0
        default: return nil
        }
    }

    public var double: Double? {
        switch self {
        case .int(let v): return Double(v)
        case .double(let v): return v
        case .string(let s): return Double(s)
        case .bool(let b): return b ? 1 : 0
        default: return nil
        }
    }

    /// Boolean in any of PVE's spellings: `true`, `1`, `"1"`; `""` and absent mean false.
    public var bool: Bool? {
        switch self {
        case .bool(let b): return b
        case .int(let v): return v != 0
        case .double(let v): return v != 0
        case .string(let s):
            switch s.lowercased() {
            case "1", "true", "yes", "on": return true
            case "0", "false", "no", "off", "": return false
            default: return nil
            }
        case .null: return false
        default: return nil
        }
    }

    /// Text of a scalar; numbers and booleans are rendered as PVE would write them in a form.
    public var string: String? {
        switch self {
        case .string(let s): return s
        case .int(let v): return String(v)
        case .double(let v): return JSON.format(v)
        case .bool(let b): return b ? "1" : "0"
        default: return nil
        }
    }

    public var array: [JSON]? { if case .array(let a) = self { return a } else { return nil } }
    public var object: [(String, JSON)]? { if case .object(let o) = self { return o } else { return nil } }

    /// Returns a copy of an object with `key` set (appended when new).
    public func setting(_ key: String, to value: JSON) -> JSON {
        guard case .object(var pairs) = self else { return self }
        if let i = pairs.firstIndex(where: { $0.0 == key }) { pairs[i].1 = value } else { pairs.append((key, value)) }
        return .object(pairs)
    }

    static func format(_ v: Double) -> String {
        if v.isFinite, v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
        return v.isFinite ? String(v) : "null"
    }
}

// MARK: - Literals

extension JSON: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral, ExpressibleByFloatLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: JSON...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSON)...) { self = .object(elements) }
    public init(nilLiteral: ()) { self = .null }
}

// MARK: - Errors

public struct JSONParseError: Error, CustomStringConvertible, Sendable {
    public let offset: Int
    public let reason: String
    public var description: String { "invalid JSON at byte \(offset): \(reason)" }
}

// MARK: - Serialising

extension JSON {
    /// JSON text, compact (what the simulator sends) or indented (`-o json`): the text of
    /// `serializedBytes(pretty:)`.
    public func serialized(pretty: Bool = false) -> String {
        String(decoding: serializedBytes(pretty: pretty), as: UTF8.self)
    }

    /// JSON as UTF-8 bytes, compact or indented by two spaces per level: appending bytes is many
    /// times cheaper than building a `String` (a 10,000-row answer is several MB).
    public func serializedBytes(pretty: Bool = false, reservingCapacity capacity: Int = 1024) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(capacity)
        write(to: &out, pretty: pretty)
        return out
    }

    /// Appends JSON to a byte array; `indent`: the nesting level where it starts (pretty only).
    public func write(to out: inout [UInt8], pretty: Bool = false, indent: Int = 0) {
        switch self {
        case .null: out.append(contentsOf: JSONBytes.null)
        case .bool(let b): out.append(contentsOf: b ? JSONBytes.true : JSONBytes.false)
        case .int(let v): JSONBytes.appendInteger(v, to: &out)
        case .double(let v): out.append(contentsOf: JSON.format(v).utf8)
        case .string(let s): JSONBytes.appendString(s, to: &out)
        case .array(let items):
            if items.isEmpty { out.append(contentsOf: [UInt8(ascii: "["), UInt8(ascii: "]")]); return }
            out.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                if pretty { JSONBytes.appendNewline(indent: indent + 1, to: &out) }
                item.write(to: &out, pretty: pretty, indent: indent + 1)
            }
            if pretty { JSONBytes.appendNewline(indent: indent, to: &out) }
            out.append(UInt8(ascii: "]"))
        case .object(let pairs):
            if pairs.isEmpty { out.append(contentsOf: [UInt8(ascii: "{"), UInt8(ascii: "}")]); return }
            out.append(UInt8(ascii: "{"))
            for (i, (key, value)) in pairs.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                if pretty { JSONBytes.appendNewline(indent: indent + 1, to: &out) }
                JSONBytes.appendString(key, to: &out)
                out.append(UInt8(ascii: ":"))
                if pretty { out.append(UInt8(ascii: " ")) }
                value.write(to: &out, pretty: pretty, indent: indent + 1)
            }
            if pretty { JSONBytes.appendNewline(indent: indent, to: &out) }
            out.append(UInt8(ascii: "}"))
        }
    }
}

/// Where byte-level writers append: a byte array, or the shell's table writer, which appends
/// through a raw pointer (90,000 cells, where an array's per-append checks cost more than the bytes).
public protocol ByteSink: ~Copyable {
    mutating func append(_ byte: UInt8)
    mutating func append(contentsOf bytes: UnsafeBufferPointer<UInt8>)
    /// `append(contentsOf:)` for a sink that may read sixteen bytes from `bytes`' start
    /// whatever their count (the caller knows they are there), to copy short runs as two words.
    mutating func append(contentsOf bytes: UnsafeBufferPointer<UInt8>, sixteenReadable: Bool)
}

extension Array: ByteSink where Element == UInt8 {}

extension ByteSink where Self: ~Copyable {
    @inlinable
    public mutating func append(contentsOf bytes: UnsafeBufferPointer<UInt8>, sixteenReadable: Bool) {
        append(contentsOf: bytes)
    }

    /// Appends all of `bytes` (units, escape codes).
    @inlinable
    public mutating func append(array bytes: [UInt8]) { bytes.withUnsafeBufferPointer { append(contentsOf: $0) } }

    /// Appends the UTF-8 of `string`.
    @inlinable
    public mutating func append(utf8 string: String) {
        var string = string
        string.withUTF8 { append(contentsOf: $0) }
    }
}

/// Byte-level pieces of the serialiser (also used by the shell's text tables).
public enum JSONBytes {
    static let null = Array("null".utf8)
    static let `true` = Array("true".utf8)
    static let `false` = Array("false".utf8)
    static let hex = Array("0123456789abcdef".utf8)

    /// Appends the decimal digits of `value`, without building a `String`.
    @inlinable
    public static func appendInteger<Sink: ByteSink & ~Copyable>(_ value: Int64, to out: inout Sink) {
        var magnitude = value.magnitude
        // Written backwards from byte 20 of a scratch buffer, then appended in one piece; sixteen
        // bytes are readable from any first digit, so a sink may copy them as two words.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 36) { digits in
            var first = 20
            repeat {
                first -= 1
                digits[first] = UInt8(truncatingIfNeeded: magnitude % 10) &+ 0x30
                magnitude /= 10
            } while magnitude > 0
            (digits.baseAddress! + 20).initialize(repeating: 0, count: 16)
            if value < 0 { out.append(UInt8(ascii: "-")) }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: digits[first..<20]), sixteenReadable: true)
        }
    }

    /// A line break and two spaces per level.
    static func appendNewline(indent: Int, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\n"))
        out.append(contentsOf: repeatElement(UInt8(ascii: " "), count: 2 * indent))
    }

    static func appendString(_ s: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        if s.utf8.withContiguousStorageIfAvailable({ appendEscaped($0, to: &out) }) == nil {
            var copy = s
            copy.withUTF8 { appendEscaped($0, to: &out) }
        }
        out.append(UInt8(ascii: "\""))
    }

    private static func appendEscaped(_ bytes: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        var clean = true
        for b in bytes where b < 0x20 || b == 0x22 || b == 0x5C { clean = false; break }
        if clean { out.append(contentsOf: bytes); return }
        for b in bytes {
            switch b {
            case 0x22: out.append(0x5C); out.append(0x22)
            case 0x5C: out.append(0x5C); out.append(0x5C)
            case 0x0A: out.append(0x5C); out.append(UInt8(ascii: "n"))
            case 0x0D: out.append(0x5C); out.append(UInt8(ascii: "r"))
            case 0x09: out.append(0x5C); out.append(UInt8(ascii: "t"))
            case ..<0x20:
                out.append(contentsOf: [0x5C, UInt8(ascii: "u"), 0x30, 0x30, hex[Int(b >> 4)], hex[Int(b & 0x0F)]])
            default: out.append(b)
            }
        }
    }
}
