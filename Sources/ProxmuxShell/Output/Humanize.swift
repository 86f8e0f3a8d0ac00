#if canImport(Glibc)
import Glibc
#endif
import PVESchema

/// Text forms of raw API values for humans. JSON/YAML output never goes through here.
///
/// Each form is written as bytes (`append…`), which is what the table renderer needs for 10,000
/// rows; the `String` forms are built from the same code.
public enum Humanize {
    /// `0 B`, `512 KiB`, `1.5 GiB`.
    public static func bytes(_ value: Double) -> String { text { appendBytes(value, to: &$0) } }

    /// A fraction (PVE's `cpu` 0…1) as `12.5%`.
    public static func percent(fraction: Double) -> String { text { appendPercent(fraction: fraction, to: &$0) } }

    /// Seconds as `3d 4h`, `4h 12m`, `12m 5s`, `9s`; 0 as `-`.
    public static func duration(_ seconds: Int64) -> String { text { appendDuration(seconds, to: &$0) } }

    /// Unix time as `2026-11-26 14:56:07` (UTC, like the PVE task list's raw times).
    public static func timestamp(_ epoch: Int64) -> String {
        guard epoch > 0 else { return "-" }
        var time = time_t(epoch)
        var parts = tm()
        gmtime_r(&time, &parts)
        func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday)) \(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))"
    }

    /// The text cell for a raw value in a given format.
    public static func cell(_ value: JSON?, _ format: ValueFormat) -> String { text { appendCell(value, format, to: &$0) } }

    // MARK: Bytes

    public static func appendCell<Sink: ByteSink & ~Copyable>(_ value: JSON?, _ format: ValueFormat, to out: inout Sink) {
        guard let value, !value.isNull else { return }
        switch format {
        case .plain, .state:
            switch value {
            case .array(let items):
                for (i, item) in items.compactMap(\.string).enumerated() {
                    if i > 0 { out.append(UInt8(ascii: ",")) }
                    out.append(utf8: item)
                }
            case .object: out.append(array: value.serializedBytes(reservingCapacity: 64))
            case .int(let v): JSONBytes.appendInteger(v, to: &out)
            default: out.append(utf8: value.string ?? "")
            }
        case .bytes:
            if let v = value.double { appendBytes(v, to: &out) } else { out.append(utf8: value.string ?? "") }
        case .percent:
            if let v = value.double { appendPercent(fraction: v, to: &out) } else { out.append(utf8: value.string ?? "") }
        case .duration:
            if let v = value.int { appendDuration(v, to: &out) } else { out.append(utf8: value.string ?? "") }
        case .elapsed:
            if let v = value.int { appendElapsed(v, to: &out) } else { out.append(utf8: value.string ?? "") }
        case .timestamp:
            out.append(utf8: value.int.map(timestamp) ?? value.string ?? "")
        case .flag:
            if let v = value.int { appendFlag(v, to: &out) } else { out.append(utf8: value.string ?? "") }
        }
    }

    /// `appendCell` for a value of indexed rows, read in place when it is a number or a plain
    /// string (what almost every cell of a listing is); the same text as for the decoded value.
    /// `scalar` is `rows.scalar(row, key: key)`, which the caller has already read.
    public static func appendCell<Sink: ByteSink & ~Copyable>(_ scalar: JSONRows.Scalar, of rows: JSONRows, row: Int, key: Int,
                                                  _ format: ValueFormat, to out: inout Sink) {
        rows.withValueReader { reader in appendCell(scalar, of: rows, reader, row: row, key: key, format, to: &out) }
    }

    /// `appendCell` with the rows' values read through `reader`, which a table's formatter takes
    /// once for all its cells.
    @inline(__always)
    static func appendCell<Sink: ByteSink & ~Copyable>(_ scalar: JSONRows.Scalar, of rows: JSONRows, _ reader: JSONRows.ValueReader,
                                                       row: Int, key: Int, _ format: ValueFormat, to out: inout Sink) {
        switch (scalar, format) {
        case (.absent, _), (.null, _): return
        case (.text(let range), .plain), (.text(let range), .state): reader.appendText(range, to: &out)
        case (.integer(let v), .plain), (.integer(let v), .state): JSONBytes.appendInteger(v, to: &out)
        case (.integer(let v), .bytes): appendBytes(Double(v), to: &out)
        case (.number(let v), .bytes): appendBytes(v, to: &out)
        case (.integer(let v), .percent): appendPercent(fraction: Double(v), to: &out)
        case (.number(let v), .percent): appendPercent(fraction: v, to: &out)
        case (.integer(let v), .duration): appendDuration(v, to: &out)
        case (.integer(let v), .elapsed): appendElapsed(v, to: &out)
        case (.integer(let v), .flag): appendFlag(v, to: &out)
        default: appendCell(rows.value(row, key: key), format, to: &out)
        }
    }

    static func appendFlag<Sink: ByteSink & ~Copyable>(_ value: Int64, to out: inout Sink) {
        out.append(utf8: value == 0 ? "no" : "yes")
    }

    /// The binary prefixes after "B": read as bytes, not from an array of arrays, whose shared
    /// reference counts the two threads formatting a big table would bounce between their cores
    /// (a third of the formatting time of a 10,000-guest listing, in perf).
    private static let prefixes: StaticString = "KMGTP"

    static func appendBytes<Sink: ByteSink & ~Copyable>(_ value: Double, to out: inout Sink) {
        guard value.isFinite else { out.append(UInt8(ascii: "-")); return }
        var v = value
        var unit = 0
        while abs(v) >= 1024, unit < prefixes.utf8CodeUnitCount {
            v /= 1024
            unit += 1
        }
        if unit == 0 {
            JSONBytes.appendInteger(Int64(v), to: &out)
        } else if v >= 100 {
            appendOneDecimal(v, to: &out, decimals: false)
        } else {
            appendOneDecimal(v, to: &out)
        }
        out.append(0x20)
        if unit > 0 {
            out.append(prefixes.utf8Start[unit - 1])
            out.append(UInt8(ascii: "i"))
        }
        out.append(UInt8(ascii: "B"))
    }

    static func appendPercent<Sink: ByteSink & ~Copyable>(fraction: Double, to out: inout Sink) {
        guard fraction.isFinite else { out.append(UInt8(ascii: "-")); return }
        appendOneDecimal(fraction * 100, to: &out)
        out.append(UInt8(ascii: "%"))
    }

    static func appendDuration<Sink: ByteSink & ~Copyable>(_ seconds: Int64, to out: inout Sink) {
        guard seconds > 0 else { out.append(UInt8(ascii: "-")); return }
        let d = seconds / 86_400, h = seconds % 86_400 / 3600, m = seconds % 3600 / 60, s = seconds % 60
        func part(_ value: Int64, _ unit: Unicode.Scalar) {
            JSONBytes.appendInteger(value, to: &out)
            out.append(UInt8(ascii: unit))
        }
        if d > 0 { part(d, "d"); out.append(0x20); part(h, "h") }
        else if h > 0 { part(h, "h"); out.append(0x20); part(m, "m") }
        else if m > 0 { part(m, "m"); out.append(0x20); part(s, "s") }
        else { part(s, "s") }
    }

    static func appendElapsed<Sink: ByteSink & ~Copyable>(_ seconds: Int64, to out: inout Sink) {
        if seconds == 0 { out.append(utf8: "0s") } else { appendDuration(seconds, to: &out) }
    }

    /// `12.3` (or `12` without `decimals`), rounded; values too large for that print as JSON numbers.
    static func appendOneDecimal<Sink: ByteSink & ~Copyable>(_ v: Double, to out: inout Sink, decimals: Bool = true) {
        guard v.isFinite else { out.append(UInt8(ascii: "-")); return }
        guard abs(v) < 1e15 else { out.append(utf8: JSON.double(v).string ?? "-"); return }
        if !decimals { JSONBytes.appendInteger(Int64(v.rounded()), to: &out); return }
        let tenths = roundedHalfAway(abs(v) * 10)
        if v < 0, tenths > 0 { out.append(UInt8(ascii: "-")) }
        JSONBytes.appendInteger(tenths / 10, to: &out)
        out.append(UInt8(ascii: "."))
        out.append(UInt8(truncatingIfNeeded: tenths % 10) &+ 0x30)
    }

    /// `x.rounded()` (halves away from zero) for 0 ≤ x < 2^62, without the C library call it
    /// compiles to on x86-64's baseline: below 2^53 both the whole part and what is left of `x`
    /// are exact, and above it `x` is whole.
    @inline(__always)
    static func roundedHalfAway(_ x: Double) -> Int64 {
        let whole = Int64(x)
        return x - Double(whole) >= 0.5 ? whole + 1 : whole
    }

    private static func text(_ build: (inout [UInt8]) -> Void) -> String {
        var out: [UInt8] = []
        build(&out)
        return String(decoding: out, as: UTF8.self)
    }
}
