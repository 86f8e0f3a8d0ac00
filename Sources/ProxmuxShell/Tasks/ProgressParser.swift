/// One reading of how far a task or transfer has come. Any part may be unknown.
public struct ProgressSample: Sendable, Equatable {
    /// 0...1
    public var fraction: Double?
    public var doneBytes: Int64?
    public var totalBytes: Int64?
    /// Bytes per second as reported by the task, if it reports one.
    public var bytesPerSecond: Double?

    public init(fraction: Double? = nil, doneBytes: Int64? = nil, totalBytes: Int64? = nil, bytesPerSecond: Double? = nil) {
        self.fraction = fraction
        self.doneBytes = doneBytes
        self.totalBytes = totalBytes
        self.bytesPerSecond = bytesPerSecond
    }
}

/// Reads progress out of PVE task log lines. Recognised shapes:
/// - disk copy / mirror / import: `transferred 1.0 GiB of 8.0 GiB (12.50%)` (optionally `drive-scsi0: ` before, ` in 5s` after)
/// - vzdump: `INFO:  42% (1.3 GiB of 3.0 GiB) in 5s, read: 260.0 MiB/s, write: 250.0 MiB/s`
/// - qmrestore: `progress 42% (read 1288490188 bytes, duration 5 sec)`
public enum ProgressParser {
    public static func parse(_ line: String) -> ProgressSample? {
        guard line.contains("%") else { return nil }
        // Regex values are not Sendable, so they cannot be shared statics; building them per call
        // is cheap next to the request that fetched the line.
        let transferred = /transferred\s+([0-9.]+)\s*([KMGTPE]?i?B)\s+of\s+([0-9.]+)\s*([KMGTPE]?i?B)\s+\(([0-9.]+)%\)/
        let vzdump = /INFO:\s+([0-9.]+)%\s+\(([0-9.]+)\s*([KMGTPE]?i?B)\s+of\s+([0-9.]+)\s*([KMGTPE]?i?B)\)(?:\s+in\s+\S+?,\s+read:\s+([0-9.]+)\s*([KMGTPE]?i?B)\/s)?/
        let restore = /progress\s+([0-9.]+)%(?:\s+\(read\s+([0-9]+)\s+bytes)?/
        if let m = line.firstMatch(of: transferred) {
            guard let done = bytes(m.1, m.2), let total = bytes(m.3, m.4), let percent = Double(m.5) else { return nil }
            return ProgressSample(fraction: clamp(percent / 100), doneBytes: done, totalBytes: total)
        }
        if let m = line.firstMatch(of: vzdump) {
            guard let percent = Double(m.1), let done = bytes(m.2, m.3), let total = bytes(m.4, m.5) else { return nil }
            var sample = ProgressSample(fraction: clamp(percent / 100), doneBytes: done, totalBytes: total)
            if let value = m.6, let unit = m.7, let rate = bytes(value, unit) { sample.bytesPerSecond = Double(rate) }
            return sample
        }
        if let m = line.firstMatch(of: restore) {
            guard let percent = Double(m.1) else { return nil }
            return ProgressSample(fraction: clamp(percent / 100), doneBytes: m.2.flatMap { Int64($0) })
        }
        return nil
    }

    private static func clamp(_ v: Double) -> Double { min(max(v, 0), 1) }

    /// `1.5` + `GiB` → bytes. Binary units for `KiB`..., decimal for `KB`..., plain `B`.
    static func bytes(_ value: Substring, _ unit: Substring) -> Int64? {
        guard let number = Double(value), number.isFinite, number >= 0 else { return nil }
        let prefixes: [Character] = ["K", "M", "G", "T", "P", "E"]
        var multiplier = 1.0
        if let first = unit.first, let power = prefixes.firstIndex(of: first) {
            let base = unit.contains("i") ? 1024.0 : 1000.0
            for _ in 0...power { multiplier *= base }
        }
        let result = number * multiplier
        guard result < 9.2e18 else { return nil }
        return Int64(result.rounded())
    }
}
