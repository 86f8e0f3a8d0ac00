// Small hash functions for the simulator: HMAC-SHA1 for RFC 6238 TOTP codes, HMAC-SHA256 for
// ticket and CSRF signatures, and streaming SHA-1/SHA-256 for upload checksums. Written here so
// the simulator needs no crypto package; checked against the RFC 3174/6234/2202/4231 vectors.

/// A streaming hash function.
protocol StreamingDigest {
    static var blockSize: Int { get }
    init()
    mutating func update<C: Collection>(_ bytes: C) where C.Element == UInt8
    mutating func finalize() -> [UInt8]
}

extension StreamingDigest {
    static func hash<C: Collection>(_ bytes: C) -> [UInt8] where C.Element == UInt8 {
        var d = Self()
        d.update(bytes)
        return d.finalize()
    }
}

/// Shared block buffering and Merkle–Damgård padding (both SHA-1 and SHA-256 use 64-byte blocks
/// and a big-endian 64-bit bit length).
struct BlockBuffer {
    var pending: [UInt8] = []
    var totalBytes: UInt64 = 0

    init() { pending.reserveCapacity(64) }

    mutating func feed<C: Collection>(_ bytes: C, _ compress: (UnsafeBufferPointer<UInt8>) -> Void) where C.Element == UInt8 {
        totalBytes &+= UInt64(bytes.count)
        let done: Bool? = bytes.withContiguousStorageIfAvailable { buf in
            feedContiguous(buf, compress)
            return true
        }
        if done == nil { Array(bytes).withUnsafeBufferPointer { feedContiguous($0, compress) } }
    }

    private mutating func feedContiguous(_ buf: UnsafeBufferPointer<UInt8>, _ compress: (UnsafeBufferPointer<UInt8>) -> Void) {
        var offset = 0
        if !pending.isEmpty {
            let take = min(64 - pending.count, buf.count)
            pending.append(contentsOf: buf[0..<take])
            offset = take
            if pending.count == 64 {
                pending.withUnsafeBufferPointer(compress)
                pending.removeAll(keepingCapacity: true)
            }
        }
        while buf.count - offset >= 64 {
            compress(UnsafeBufferPointer(rebasing: buf[offset..<offset + 64]))
            offset += 64
        }
        if offset < buf.count { pending.append(contentsOf: buf[offset...]) }
    }

    mutating func pad(_ compress: (UnsafeBufferPointer<UInt8>) -> Void) {
        let bitLength = totalBytes &* 8
        var tail = pending
        tail.append(0x80)
        while tail.count % 64 != 56 { tail.append(0) }
        for shift in stride(from: 56, through: 0, by: -8) { tail.append(UInt8(truncatingIfNeeded: bitLength >> UInt64(shift))) }
        tail.withUnsafeBufferPointer { all in
            for start in stride(from: 0, to: all.count, by: 64) { compress(UnsafeBufferPointer(rebasing: all[start..<start + 64])) }
        }
    }
}

@inline(__always) private func rotl(_ x: UInt32, _ n: UInt32) -> UInt32 { (x << n) | (x >> (32 - n)) }
@inline(__always) private func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 { (x >> n) | (x << (32 - n)) }

@inline(__always) private func bigEndianWord(_ block: UnsafeBufferPointer<UInt8>, _ i: Int) -> UInt32 {
    UInt32(block[i * 4]) << 24 | UInt32(block[i * 4 + 1]) << 16 | UInt32(block[i * 4 + 2]) << 8 | UInt32(block[i * 4 + 3])
}

private func bigEndianBytes(_ words: [UInt32]) -> [UInt8] {
    words.flatMap { w in [UInt8(w >> 24), UInt8(truncatingIfNeeded: w >> 16), UInt8(truncatingIfNeeded: w >> 8), UInt8(truncatingIfNeeded: w)] }
}

/// SHA-1 (FIPS 180-4). Only for HMAC-SHA1 (TOTP) and upload checksums.
struct SHA1: StreamingDigest {
    static let blockSize = 64
    private var h: [UInt32] = [0x6745_2301, 0xEFCD_AB89, 0x98BA_DCFE, 0x1032_5476, 0xC3D2_E1F0]
    private var buffer = BlockBuffer()

    init() {}

    mutating func update<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        var state = h
        buffer.feed(bytes) { SHA1.compress(&state, $0) }
        h = state
    }

    mutating func finalize() -> [UInt8] {
        var state = h
        buffer.pad { SHA1.compress(&state, $0) }
        return bigEndianBytes(state)
    }

    private static func compress(_ h: inout [UInt32], _ block: UnsafeBufferPointer<UInt8>) {
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 80) { w in
            for i in 0..<16 { w[i] = bigEndianWord(block, i) }
            for i in 16..<80 { w[i] = rotl(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1) }
            rounds(&h, UnsafeBufferPointer(w))
        }
    }

    private static func rounds(_ h: inout [UInt32], _ w: UnsafeBufferPointer<UInt32>) {
        var a = h[0], b = h[1], c = h[2], d = h[3], e = h[4]
        for i in 0..<80 {
            let f: UInt32, k: UInt32
            switch i {
            case 0..<20: f = (b & c) | (~b & d); k = 0x5A82_7999
            case 20..<40: f = b ^ c ^ d; k = 0x6ED9_EBA1
            case 40..<60: f = (b & c) | (b & d) | (c & d); k = 0x8F1B_BCDC
            default: f = b ^ c ^ d; k = 0xCA62_C1D6
            }
            let t = rotl(a, 5) &+ f &+ e &+ k &+ w[i]
            e = d; d = c; c = rotl(b, 30); b = a; a = t
        }
        h[0] &+= a; h[1] &+= b; h[2] &+= c; h[3] &+= d; h[4] &+= e
    }
}

/// SHA-256 (FIPS 180-4).
struct SHA256: StreamingDigest {
    static let blockSize = 64
    private static let k: [UInt32] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
    ]
    private var h: [UInt32] = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]
    private var buffer = BlockBuffer()

    init() {}

    mutating func update<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        var state = h
        buffer.feed(bytes) { SHA256.compress(&state, $0) }
        h = state
    }

    mutating func finalize() -> [UInt8] {
        var state = h
        buffer.pad { SHA256.compress(&state, $0) }
        return bigEndianBytes(state)
    }

    private static func compress(_ h: inout [UInt32], _ block: UnsafeBufferPointer<UInt8>) {
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 64) { w in
            for i in 0..<16 { w[i] = bigEndianWord(block, i) }
            for i in 16..<64 {
                let s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3)
                let s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10)
                w[i] = w[i - 16] &+ s0 &+ w[i - 7] &+ s1
            }
            rounds(&h, UnsafeBufferPointer(w))
        }
    }

    private static func rounds(_ h: inout [UInt32], _ w: UnsafeBufferPointer<UInt32>) {
        var a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7]
        for i in 0..<64 {
            let s1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)
            let ch = (e & f) ^ (~e & g)
            let t1 = hh &+ s1 &+ ch &+ k[i] &+ w[i]
            let s0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)
            let maj = (a & b) ^ (a & c) ^ (b & c)
            let t2 = s0 &+ maj
            hh = g; g = f; f = e; e = d &+ t1; d = c; c = b; b = a; a = t1 &+ t2
        }
        h[0] &+= a; h[1] &+= b; h[2] &+= c; h[3] &+= d; h[4] &+= e; h[5] &+= f; h[6] &+= g; h[7] &+= hh
    }
}

/// HMAC (RFC 2104) over any of the digests above.
enum HMAC<D: StreamingDigest> {
    static func authenticate(key: [UInt8], message: [UInt8]) -> [UInt8] {
        var key = key.count > D.blockSize ? D.hash(key) : key
        key += [UInt8](repeating: 0, count: D.blockSize - key.count)
        var inner = D()
        inner.update(key.map { $0 ^ 0x36 })
        inner.update(message)
        var outer = D()
        outer.update(key.map { $0 ^ 0x5c })
        outer.update(inner.finalize())
        return outer.finalize()
    }
}

/// RFC 6238 time-based one-time passwords as PVE's TOTP TFA uses them: SHA-1, 30 s steps, 6 digits.
enum TOTP {
    /// The code for a base32 secret at a Unix time; nil when the secret is not valid base32.
    static func code(secret: String, at unixTime: Int64, digits: Int = 6, step: Int64 = 30) -> String? {
        guard let key = Base32.decode(secret) else { return nil }
        return code(key: key, counter: UInt64(max(0, unixTime / step)), digits: digits)
    }

    /// RFC 4226 HOTP value for a key and counter.
    static func code(key: [UInt8], counter: UInt64, digits: Int = 6) -> String {
        let message = (0..<8).map { UInt8(truncatingIfNeeded: counter >> UInt64(56 - $0 * 8)) }
        let mac = HMAC<SHA1>.authenticate(key: key, message: message)
        let offset = Int(mac[mac.count - 1] & 0x0f)
        let binary = (UInt32(mac[offset] & 0x7f) << 24) | (UInt32(mac[offset + 1]) << 16)
            | (UInt32(mac[offset + 2]) << 8) | UInt32(mac[offset + 3])
        var modulus: UInt32 = 1
        for _ in 0..<digits { modulus *= 10 }
        let text = String(binary % modulus)
        return String(repeating: "0", count: max(0, digits - text.count)) + text
    }

    /// Accepts the code of the current step and of one step either side (clock drift).
    static func verify(_ code: String, secret: String, at unixTime: Int64) -> Bool {
        guard code.count == 6 else { return false }
        return (-1...1).contains { TOTP.code(secret: secret, at: unixTime + Int64($0) * 30) == code }
    }
}

/// RFC 4648 base32 (TOTP secrets), case-insensitive, padding and spaces ignored.
enum Base32 {
    static func decode(_ text: String) -> [UInt8]? {
        var out: [UInt8] = []
        var buffer: UInt32 = 0
        var bits = 0
        for c in text.uppercased().utf8 where c != UInt8(ascii: "=") && c != UInt8(ascii: " ") {
            let value: UInt32
            switch c {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): value = UInt32(c - UInt8(ascii: "A"))
            case UInt8(ascii: "2")...UInt8(ascii: "7"): value = UInt32(c - UInt8(ascii: "2") + 26)
            default: return nil
            }
            buffer = (buffer << 5) | value
            bits += 5
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: buffer >> UInt32(bits)))
            }
        }
        return out.isEmpty ? nil : out
    }
}

extension Array where Element == UInt8 {
    /// Lowercase hex, as checksums are written.
    var hexString: String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(count * 2)
        for b in self { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 0x0f)]) }
        return String(decoding: out, as: UTF8.self)
    }
}
