#if canImport(Glibc)
import Glibc
#endif
import PVESchema

/// Text forms of raw API values for humans. JSON/YAML output never goes through here.
public enum Humanize {
    /// `0 B`, `512 KiB`, `1.5 GiB`.
    public static func bytes(_ value: Double) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"]
        var v = value
        var unit = 0
        while abs(v) >= 1024, unit < units.count - 1 {
            v /= 1024
            unit += 1
        }
        if unit == 0 { return "\(Int64(v)) B" }
        return (v >= 100 ? String(Int64(v.rounded())) : oneDecimal(v)) + " " + units[unit]
    }

    /// A fraction (PVE's `cpu` 0…1) as `12.5%`.
    public static func percent(fraction: Double) -> String { oneDecimal(fraction * 100) + "%" }

    /// Seconds as `3d 4h`, `4h 12m`, `12m 5s`, `9s`; 0 as `-`.
    public static func duration(_ seconds: Int64) -> String {
        guard seconds > 0 else { return "-" }
        let d = seconds / 86_400, h = seconds % 86_400 / 3600, m = seconds % 3600 / 60, s = seconds % 60
        if d > 0 { return "\(d)d \(h)h" }
        if h > 0 { return "\(h)h \(m)m" }
        if m > 0 { return "\(m)m \(s)s" }
        return "\(s)s"
    }

    /// Unix time as `2026-11-26 14:56:07` (UTC, like the PVE task list's raw times).
    public static func timestamp(_ epoch: Int64) -> String {
        guard epoch > 0 else { return "-" }
        var time = time_t(epoch)
        var parts = tm()
        gmtime_r(&time, &parts)
        func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday)) \(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))"
    }

    static func oneDecimal(_ v: Double) -> String {
        guard v.isFinite else { return "-" }
        let tenths = Int64((abs(v) * 10).rounded())
        return (v < 0 ? "-" : "") + "\(tenths / 10).\(tenths % 10)"
    }

    /// The text cell for a raw value in a given format.
    public static func cell(_ value: JSON?, _ format: ValueFormat) -> String {
        guard let value, !value.isNull else { return "" }
        switch format {
        case .plain, .state:
            switch value {
            case .array(let items): return items.compactMap(\.string).joined(separator: ",")
            case .object: return value.serialized()
            default: return value.string ?? ""
            }
        case .bytes: return value.double.map(bytes) ?? (value.string ?? "")
        case .percent: return value.double.map { percent(fraction: $0) } ?? (value.string ?? "")
        case .duration: return value.int.map(duration) ?? (value.string ?? "")
        case .timestamp: return value.int.map(timestamp) ?? (value.string ?? "")
        }
    }
}
