import PVESchema

/// A certificate's SHA-256 fingerprint, as the PVE UI shows it (`AB:CD:...`, 32 bytes).
public struct Fingerprint: Sendable, Hashable, CustomStringConvertible {
    public let bytes: [UInt8]

    public init?(bytes: [UInt8]) {
        guard bytes.count == 32 else { return nil }
        self.bytes = bytes
    }

    /// Parses colon-hex (`AB:CD:..`), case-insensitive, colons optional; an optional `sha256:` /
    /// `SHA256 ` prefix is accepted. Nil unless exactly 32 bytes of hex.
    public init?(_ text: String) {
        var body = Substring(text.trimmingWhitespace())
        for prefix in ["sha256:", "sha256 ", "sha256="] where body.lowercased().hasPrefix(prefix) {
            body = body.dropFirst(prefix.count)
        }
        let hex = Array(body.utf8.filter { $0 != UInt8(ascii: ":") })
        guard hex.count == 64 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(32)
        var index = 0
        while index < 64 {
            guard let high = HexDigit.value(hex[index]), let low = HexDigit.value(hex[index + 1]) else { return nil }
            out.append(high << 4 | low)
            index += 2
        }
        self.bytes = out
    }

    /// `AB:CD:...` upper-case colon-hex, as PVE prints it.
    public var description: String {
        bytes.map { byte in
            let digits = Array("0123456789ABCDEF")
            return String([digits[Int(byte >> 4)], digits[Int(byte & 0xF)]])
        }.joined(separator: ":")
    }
}
