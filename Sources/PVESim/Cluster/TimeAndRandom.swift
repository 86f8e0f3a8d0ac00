/// UTC calendar formatting for task logs and backup file names, without Foundation's formatters.
struct UTCTime {
    let year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int

    init(_ epoch: Double) {
        let seconds = Int(epoch.rounded(.down))
        var days = seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400
        let rem = seconds - days * 86400
        hour = rem / 3600
        minute = rem % 3600 / 60
        second = rem % 60
        // Civil-from-days (Howard Hinnant's algorithm).
        days += 719_468
        let era = (days >= 0 ? days : days - 146_096) / 146_097
        let doe = days - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        day = doy - (153 * mp + 2) / 5 + 1
        month = mp < 10 ? mp + 3 : mp - 9
        year = yoe + era * 400 + (month <= 2 ? 1 : 0)
    }

    private static func pad(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }

    /// `2026-11-26 14:55:06`
    var logStamp: String { "\(year)-\(Self.pad(month))-\(Self.pad(day)) \(Self.pad(hour)):\(Self.pad(minute)):\(Self.pad(second))" }
    /// `2026_11_26-14_55_06`, as in vzdump file names.
    var fileStamp: String { "\(year)_\(Self.pad(month))_\(Self.pad(day))-\(Self.pad(hour))_\(Self.pad(minute))_\(Self.pad(second))" }
}

/// Small deterministic generator (SplitMix64) for seeded figures.
struct SeededRandom {
    private var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func int(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(next() % UInt64(range.count))
    }

    /// A stable value in 0..<1 for a key, independent of draw order.
    static func unit(_ key: UInt64, seed: UInt64) -> Double {
        var r = SeededRandom(seed: seed ^ (key &* 0x2545_F491_4F6C_DD1D))
        return Double(r.next() >> 11) / Double(1 << 53)
    }
}
