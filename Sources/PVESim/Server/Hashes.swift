// The simulator's one home for hash functions: HMAC-SHA1 for RFC 6238 TOTP codes, HMAC-SHA256
// for ticket and CSRF signatures, streaming MD5/SHA-1/SHA-2 for upload checksums (every
// algorithm PVE's upload accepts), SHA-1 for config digests. Written here so the simulator needs
// no crypto package; checked against the RFC 1321/3174/6234/2202/4231 vectors in HashTests.

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

/// Block buffering and Merkle–Damgård padding shared by all the digests: a 0x80 byte, zeros,
/// then the message length in bits (big-endian for SHA, little-endian for MD5).
struct BlockBuffer {
    let blockSize: Int
    let lengthBytes: Int
    let bigEndianLength: Bool
    private var pending: [UInt8] = []
    private var totalBytes: UInt64 = 0

    init(blockSize: Int, lengthBytes: Int, bigEndianLength: Bool) {
        self.blockSize = blockSize
        self.lengthBytes = lengthBytes
        self.bigEndianLength = bigEndianLength
        pending.reserveCapacity(blockSize)
    }

    mutating func feed<C: Collection>(_ bytes: C, _ compress: (UnsafeBufferPointer<UInt8>) -> Void) where C.Element == UInt8 {
        totalBytes &+= UInt64(bytes.count)
        if bytes.withContiguousStorageIfAvailable({ feedContiguous($0, compress) }) == nil {
            Array(bytes).withUnsafeBufferPointer { feedContiguous($0, compress) }
        }
    }

    private mutating func feedContiguous(_ buf: UnsafeBufferPointer<UInt8>, _ compress: (UnsafeBufferPointer<UInt8>) -> Void) {
        var offset = 0
        if !pending.isEmpty {
            let take = min(blockSize - pending.count, buf.count)
            pending.append(contentsOf: buf[0..<take])
            offset = take
            if pending.count == blockSize {
                pending.withUnsafeBufferPointer(compress)
                pending.removeAll(keepingCapacity: true)
            }
        }
        while buf.count - offset >= blockSize {
            compress(UnsafeBufferPointer(rebasing: buf[offset..<offset + blockSize]))
            offset += blockSize
        }
        if offset < buf.count { pending.append(contentsOf: buf[offset...]) }
    }

    mutating func pad(_ compress: (UnsafeBufferPointer<UInt8>) -> Void) {
        let bitLength = totalBytes &* 8
        var tail = pending
        tail.append(0x80)
        while tail.count % blockSize != blockSize - lengthBytes { tail.append(0) }
        var length = [UInt8](repeating: 0, count: lengthBytes)
        for i in 0..<8 { length[lengthBytes - 1 - i] = UInt8(truncatingIfNeeded: bitLength >> UInt64(i * 8)) }
        tail += bigEndianLength ? length : length.reversed()
        tail.withUnsafeBufferPointer { all in
            for start in stride(from: 0, to: all.count, by: blockSize) {
                compress(UnsafeBufferPointer(rebasing: all[start..<start + blockSize]))
            }
        }
    }
}

/// Bit and byte helpers for the compression functions (namespaced so they cannot clash with
/// other files' helpers).
enum HashBits {
    @inline(__always) static func rotl(_ x: UInt32, _ n: UInt32) -> UInt32 { (x << n) | (x >> (32 - n)) }
    @inline(__always) static func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 { (x >> n) | (x << (32 - n)) }
    @inline(__always) static func rotr(_ x: UInt64, _ n: UInt64) -> UInt64 { (x >> n) | (x << (64 - n)) }

    @inline(__always) static func word32(_ block: UnsafeBufferPointer<UInt8>, _ i: Int) -> UInt32 {
        UInt32(block[i * 4]) << 24 | UInt32(block[i * 4 + 1]) << 16 | UInt32(block[i * 4 + 2]) << 8 | UInt32(block[i * 4 + 3])
    }

    @inline(__always) static func word64(_ block: UnsafeBufferPointer<UInt8>, _ i: Int) -> UInt64 {
        var w: UInt64 = 0
        for j in 0..<8 { w = w << 8 | UInt64(block[i * 8 + j]) }
        return w
    }

    static func bytes(_ words: [UInt32]) -> [UInt8] {
        words.flatMap { w in (0..<4).map { UInt8(truncatingIfNeeded: w >> UInt32(24 - $0 * 8)) } }
    }

    static func bytes(_ words: [UInt64]) -> [UInt8] {
        words.flatMap { w in (0..<8).map { UInt8(truncatingIfNeeded: w >> UInt64(56 - $0 * 8)) } }
    }
}

/// SHA-1 (FIPS 180-4): HMAC-SHA1 for TOTP, upload checksums and the `digest` of config answers.
/// Not for security.
struct SHA1: StreamingDigest {
    static let blockSize = 64
    private var h: [UInt32] = [0x6745_2301, 0xEFCD_AB89, 0x98BA_DCFE, 0x1032_5476, 0xC3D2_E1F0]
    private var buffer = BlockBuffer(blockSize: 64, lengthBytes: 8, bigEndianLength: true)

    init() {}

    /// Lowercase hex SHA-1 of a string's UTF-8 bytes (PVE's config `digest`).
    static func hex(_ text: String) -> String { hash(Array(text.utf8)).hexString }

    mutating func update<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        var state = h
        buffer.feed(bytes) { SHA1.compress(&state, $0) }
        h = state
    }

    mutating func finalize() -> [UInt8] {
        var state = h
        buffer.pad { SHA1.compress(&state, $0) }
        return HashBits.bytes(state)
    }

    private static func compress(_ h: inout [UInt32], _ block: UnsafeBufferPointer<UInt8>) {
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 80) { w in
            for i in 0..<16 { w[i] = HashBits.word32(block, i) }
            for i in 16..<80 { w[i] = HashBits.rotl(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1) }
            var a = h[0], b = h[1], c = h[2], d = h[3], e = h[4]
            for i in 0..<80 {
                let f: UInt32, k: UInt32
                switch i {
                case 0..<20: f = (b & c) | (~b & d); k = 0x5A82_7999
                case 20..<40: f = b ^ c ^ d; k = 0x6ED9_EBA1
                case 40..<60: f = (b & c) | (b & d) | (c & d); k = 0x8F1B_BCDC
                default: f = b ^ c ^ d; k = 0xCA62_C1D6
                }
                let t = HashBits.rotl(a, 5) &+ f &+ e &+ k &+ w[i]
                e = d; d = c; c = HashBits.rotl(b, 30); b = a; a = t
            }
            h[0] &+= a; h[1] &+= b; h[2] &+= c; h[3] &+= d; h[4] &+= e
        }
    }
}

/// SHA-256 and, with other initial values and a shorter output, SHA-224 (FIPS 180-4).
struct SHA256: StreamingDigest {
    static let blockSize = 64
    static let k: [UInt32] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
    ]
    static let iv256: [UInt32] = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]
    static let iv224: [UInt32] = [
        0xc1059ed8, 0x367cd507, 0x3070dd17, 0xf70e5939, 0xffc00b31, 0x68581511, 0x64f98fa7, 0xbefa4fa4,
    ]
    private var h: [UInt32] = iv256
    private var outputLength = 32
    private var buffer = BlockBuffer(blockSize: 64, lengthBytes: 8, bigEndianLength: true)

    init() {}

    /// SHA-224: SHA-256 started from other values, truncated to 28 bytes.
    static func sha224() -> SHA256 {
        var d = SHA256()
        d.h = iv224
        d.outputLength = 28
        return d
    }

    mutating func update<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        var state = h
        buffer.feed(bytes) { SHA256.compress(&state, $0) }
        h = state
    }

    mutating func finalize() -> [UInt8] {
        var state = h
        buffer.pad { SHA256.compress(&state, $0) }
        return Array(HashBits.bytes(state).prefix(outputLength))
    }

    private static func compress(_ h: inout [UInt32], _ block: UnsafeBufferPointer<UInt8>) {
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 64) { w in
            for i in 0..<16 { w[i] = HashBits.word32(block, i) }
            for i in 16..<64 {
                let s0 = HashBits.rotr(w[i - 15], 7) ^ HashBits.rotr(w[i - 15], 18) ^ (w[i - 15] >> 3)
                let s1 = HashBits.rotr(w[i - 2], 17) ^ HashBits.rotr(w[i - 2], 19) ^ (w[i - 2] >> 10)
                w[i] = w[i - 16] &+ s0 &+ w[i - 7] &+ s1
            }
            var a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7]
            for i in 0..<64 {
                let s1 = HashBits.rotr(e, 6) ^ HashBits.rotr(e, 11) ^ HashBits.rotr(e, 25)
                let ch = (e & f) ^ (~e & g)
                let t1 = hh &+ s1 &+ ch &+ k[i] &+ w[i]
                let s0 = HashBits.rotr(a, 2) ^ HashBits.rotr(a, 13) ^ HashBits.rotr(a, 22)
                let maj = (a & b) ^ (a & c) ^ (b & c)
                hh = g; g = f; f = e; e = d &+ t1; d = c; c = b; b = a; a = t1 &+ s0 &+ maj
            }
            h[0] &+= a; h[1] &+= b; h[2] &+= c; h[3] &+= d; h[4] &+= e; h[5] &+= f; h[6] &+= g; h[7] &+= hh
        }
    }
}

/// SHA-512 and, with other initial values and a shorter output, SHA-384 (FIPS 180-4).
struct SHA512: StreamingDigest {
    static let blockSize = 128
    static let k: [UInt64] = [
        0x428a2f98d728ae22, 0x7137449123ef65cd, 0xb5c0fbcfec4d3b2f, 0xe9b5dba58189dbbc,
        0x3956c25bf348b538, 0x59f111f1b605d019, 0x923f82a4af194f9b, 0xab1c5ed5da6d8118,
        0xd807aa98a3030242, 0x12835b0145706fbe, 0x243185be4ee4b28c, 0x550c7dc3d5ffb4e2,
        0x72be5d74f27b896f, 0x80deb1fe3b1696b1, 0x9bdc06a725c71235, 0xc19bf174cf692694,
        0xe49b69c19ef14ad2, 0xefbe4786384f25e3, 0x0fc19dc68b8cd5b5, 0x240ca1cc77ac9c65,
        0x2de92c6f592b0275, 0x4a7484aa6ea6e483, 0x5cb0a9dcbd41fbd4, 0x76f988da831153b5,
        0x983e5152ee66dfab, 0xa831c66d2db43210, 0xb00327c898fb213f, 0xbf597fc7beef0ee4,
        0xc6e00bf33da88fc2, 0xd5a79147930aa725, 0x06ca6351e003826f, 0x142929670a0e6e70,
        0x27b70a8546d22ffc, 0x2e1b21385c26c926, 0x4d2c6dfc5ac42aed, 0x53380d139d95b3df,
        0x650a73548baf63de, 0x766a0abb3c77b2a8, 0x81c2c92e47edaee6, 0x92722c851482353b,
        0xa2bfe8a14cf10364, 0xa81a664bbc423001, 0xc24b8b70d0f89791, 0xc76c51a30654be30,
        0xd192e819d6ef5218, 0xd69906245565a910, 0xf40e35855771202a, 0x106aa07032bbd1b8,
        0x19a4c116b8d2d0c8, 0x1e376c085141ab53, 0x2748774cdf8eeb99, 0x34b0bcb5e19b48a8,
        0x391c0cb3c5c95a63, 0x4ed8aa4ae3418acb, 0x5b9cca4f7763e373, 0x682e6ff3d6b2b8a3,
        0x748f82ee5defb2fc, 0x78a5636f43172f60, 0x84c87814a1f0ab72, 0x8cc702081a6439ec,
        0x90befffa23631e28, 0xa4506cebde82bde9, 0xbef9a3f7b2c67915, 0xc67178f2e372532b,
        0xca273eceea26619c, 0xd186b8c721c0c207, 0xeada7dd6cde0eb1e, 0xf57d4f7fee6ed178,
        0x06f067aa72176fba, 0x0a637dc5a2c898a6, 0x113f9804bef90dae, 0x1b710b35131c471b,
        0x28db77f523047d84, 0x32caab7b40c72493, 0x3c9ebe0a15c9bebc, 0x431d67c49c100d4c,
        0x4cc5d4becb3e42b6, 0x597f299cfc657e2a, 0x5fcb6fab3ad6faec, 0x6c44198c4a475817,
    ]
    static let iv512: [UInt64] = [
        0x6a09e667f3bcc908, 0xbb67ae8584caa73b, 0x3c6ef372fe94f82b, 0xa54ff53a5f1d36f1,
        0x510e527fade682d1, 0x9b05688c2b3e6c1f, 0x1f83d9abfb41bd6b, 0x5be0cd19137e2179,
    ]
    static let iv384: [UInt64] = [
        0xcbbb9d5dc1059ed8, 0x629a292a367cd507, 0x9159015a3070dd17, 0x152fecd8f70e5939,
        0x67332667ffc00b31, 0x8eb44a8768581511, 0xdb0c2e0d64f98fa7, 0x47b5481dbefa4fa4,
    ]
    private var h: [UInt64] = iv512
    private var outputLength = 64
    private var buffer = BlockBuffer(blockSize: 128, lengthBytes: 16, bigEndianLength: true)

    init() {}

    /// SHA-384: SHA-512 started from other values, truncated to 48 bytes.
    static func sha384() -> SHA512 {
        var d = SHA512()
        d.h = iv384
        d.outputLength = 48
        return d
    }

    mutating func update<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        var state = h
        buffer.feed(bytes) { SHA512.compress(&state, $0) }
        h = state
    }

    mutating func finalize() -> [UInt8] {
        var state = h
        buffer.pad { SHA512.compress(&state, $0) }
        return Array(HashBits.bytes(state).prefix(outputLength))
    }

    private static func compress(_ h: inout [UInt64], _ block: UnsafeBufferPointer<UInt8>) {
        withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 80) { w in
            for i in 0..<16 { w[i] = HashBits.word64(block, i) }
            for i in 16..<80 {
                let s0 = HashBits.rotr(w[i - 15], 1) ^ HashBits.rotr(w[i - 15], 8) ^ (w[i - 15] >> 7)
                let s1 = HashBits.rotr(w[i - 2], 19) ^ HashBits.rotr(w[i - 2], 61) ^ (w[i - 2] >> 6)
                w[i] = w[i - 16] &+ s0 &+ w[i - 7] &+ s1
            }
            var a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7]
            for i in 0..<80 {
                let s1 = HashBits.rotr(e, 14) ^ HashBits.rotr(e, 18) ^ HashBits.rotr(e, 41)
                let ch = (e & f) ^ (~e & g)
                let t1 = hh &+ s1 &+ ch &+ k[i] &+ w[i]
                let s0 = HashBits.rotr(a, 28) ^ HashBits.rotr(a, 34) ^ HashBits.rotr(a, 39)
                let maj = (a & b) ^ (a & c) ^ (b & c)
                hh = g; g = f; f = e; e = d &+ t1; d = c; c = b; b = a; a = t1 &+ s0 &+ maj
            }
            h[0] &+= a; h[1] &+= b; h[2] &+= c; h[3] &+= d; h[4] &+= e; h[5] &+= f; h[6] &+= g; h[7] &+= hh
        }
    }
}

/// MD5 (RFC 1321), only because PVE's upload accepts it as a checksum algorithm.
struct MD5: StreamingDigest {
    static let blockSize = 64
    static let k: [UInt32] = [
        0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
        0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
        0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
        0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
        0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
        0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
        0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
        0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391,
    ]
    static let shifts: [UInt32] = [7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21]
    private var h: [UInt32] = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476]
    private var buffer = BlockBuffer(blockSize: 64, lengthBytes: 8, bigEndianLength: false)

    init() {}

    mutating func update<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        var state = h
        buffer.feed(bytes) { MD5.compress(&state, $0) }
        h = state
    }

    mutating func finalize() -> [UInt8] {
        var state = h
        buffer.pad { MD5.compress(&state, $0) }
        return state.flatMap { w in (0..<4).map { UInt8(truncatingIfNeeded: w >> UInt32($0 * 8)) } }
    }

    private static func compress(_ h: inout [UInt32], _ block: UnsafeBufferPointer<UInt8>) {
        var m = [UInt32](repeating: 0, count: 16)
        for i in 0..<16 {
            m[i] = UInt32(block[i * 4]) | UInt32(block[i * 4 + 1]) << 8 | UInt32(block[i * 4 + 2]) << 16 | UInt32(block[i * 4 + 3]) << 24
        }
        var a = h[0], b = h[1], c = h[2], d = h[3]
        for i in 0..<64 {
            var f: UInt32
            let g: Int
            switch i {
            case 0..<16: f = (b & c) | (~b & d); g = i
            case 16..<32: f = (d & b) | (~d & c); g = (5 * i + 1) % 16
            case 32..<48: f = b ^ c ^ d; g = (3 * i + 5) % 16
            default: f = c ^ (b | ~d); g = (7 * i) % 16
            }
            f = f &+ a &+ k[i] &+ m[g]
            a = d; d = c; c = b
            b = b &+ HashBits.rotl(f, shifts[(i / 16) * 4 + i % 4])
        }
        h[0] &+= a; h[1] &+= b; h[2] &+= c; h[3] &+= d
    }
}

/// One of the checksum algorithms PVE's upload endpoint accepts, chosen at run time.
enum ChecksumDigest {
    case md5(MD5), sha1(SHA1), sha256(SHA256), sha512(SHA512)

    /// PVE's `checksum-algorithm` names: md5, sha1, sha224, sha256, sha384, sha512.
    init?(algorithm: String) {
        switch algorithm {
        case "md5": self = .md5(MD5())
        case "sha1": self = .sha1(SHA1())
        case "sha224": self = .sha256(SHA256.sha224())
        case "sha256": self = .sha256(SHA256())
        case "sha384": self = .sha512(SHA512.sha384())
        case "sha512": self = .sha512(SHA512())
        default: return nil
        }
    }

    mutating func update(_ bytes: UnsafeBufferPointer<UInt8>) {
        switch self {
        case .md5(var d): d.update(bytes); self = .md5(d)
        case .sha1(var d): d.update(bytes); self = .sha1(d)
        case .sha256(var d): d.update(bytes); self = .sha256(d)
        case .sha512(var d): d.update(bytes); self = .sha512(d)
        }
    }

    mutating func finalize() -> [UInt8] {
        switch self {
        case .md5(var d): return d.finalize()
        case .sha1(var d): return d.finalize()
        case .sha256(var d): return d.finalize()
        case .sha512(var d): return d.finalize()
        }
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
