#if canImport(Glibc)
import Glibc
#endif

/// Issues and checks login tickets and CSRF tokens the way pveproxy does.
///
/// Ticket: `PVE:user@realm:HEXTIME::SIGNATURE`; a half-done TFA login gets `PVE:!tfa!user@realm:HEXTIME::SIGNATURE`,
/// good only as the `tfa-challenge` of the second step. CSRF token: `HEXTIME:SIGNATURE` bound to the user.
/// Signatures are HMAC-SHA256 under a key made at start, mixed with the fault epoch so
/// `SimFaults.expireAllTickets()` voids every ticket issued before.
struct TicketAuthority: Sendable {
    let key: [UInt8]
    let lifetimeSeconds: Int64
    let faults: SimFaults

    init(lifetime: Duration, faults: SimFaults) {
        var rng = SystemRandomNumberGenerator()
        key = (0..<32).map { _ in UInt8.random(in: 0...255, using: &rng) }
        lifetimeSeconds = max(1, lifetime.components.seconds)
        self.faults = faults
    }

    static func now() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec)
    }

    private func signature(_ text: String) -> String {
        var message = Array(text.utf8)
        message.append(0)
        message += Array(String(faults.ticketEpoch).utf8)
        return Base64.encode(HMAC<SHA256>.authenticate(key: key, message: message))
    }

    func ticket(for userid: String, needsTFA: Bool = false, at time: Int64 = now()) -> String {
        let data = "PVE:\(needsTFA ? "!tfa!" : "")\(userid):\(String(time, radix: 16, uppercase: true))"
        return data + "::" + signature(data)
    }

    /// Checks a ticket; returns its user when it is valid, not expired and of the expected kind.
    func verify(ticket: String, tfaChallenge: Bool = false, at time: Int64 = now()) -> String? {
        guard let split = ticket.firstRange(of: "::") else { return nil }
        let data = String(ticket[..<split.lowerBound])
        let sig = String(ticket[split.upperBound...])
        guard sig == signature(data) else { return nil }
        let parts = data.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "PVE", let issued = Int64(parts[2], radix: 16) else { return nil }
        let age = time.subtractingReportingOverflow(issued)
        guard !age.overflow, age.partialValue >= -300, age.partialValue <= lifetimeSeconds else { return nil }
        let user = parts[1]
        if tfaChallenge {
            return user.hasPrefix("!tfa!") ? String(user.dropFirst(5)) : nil
        }
        return user.hasPrefix("!") ? nil : String(user)
    }

    func csrfToken(for userid: String, at time: Int64 = now()) -> String {
        let stamp = String(time, radix: 16, uppercase: true)
        return stamp + ":" + signature("CSRF:" + stamp + ":" + userid)
    }

    func verify(csrfToken: String, userid: String, at time: Int64 = now()) -> Bool {
        guard let colon = csrfToken.firstIndex(of: ":") else { return false }
        let stamp = String(csrfToken[..<colon])
        // Signature first: only our own stamps reach the arithmetic below.
        guard String(csrfToken[csrfToken.index(after: colon)...]) == signature("CSRF:" + stamp + ":" + userid),
              let issued = Int64(stamp, radix: 16) else { return false }
        let age = time.subtractingReportingOverflow(issued)
        return !age.overflow && age.partialValue >= -300 && age.partialValue <= lifetimeSeconds
    }
}

/// Standard base64 with padding (ticket signatures).
enum Base64 {
    static func encode(_ bytes: [UInt8]) -> String {
        let table = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var i = 0
        while i < bytes.count {
            let b0 = UInt32(bytes[i])
            let b1 = i + 1 < bytes.count ? UInt32(bytes[i + 1]) : 0
            let b2 = i + 2 < bytes.count ? UInt32(bytes[i + 2]) : 0
            let n = b0 << 16 | b1 << 8 | b2
            out.append(table[Int(n >> 18 & 63)])
            out.append(table[Int(n >> 12 & 63)])
            out.append(i + 1 < bytes.count ? table[Int(n >> 6 & 63)] : UInt8(ascii: "="))
            out.append(i + 2 < bytes.count ? table[Int(n & 63)] : UInt8(ascii: "="))
            i += 3
        }
        return String(decoding: out, as: UTF8.self)
    }
}
