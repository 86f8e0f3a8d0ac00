import Foundation
import Testing
@testable import PVESim

/// The hand-written hashes against the published test vectors.
@Suite struct HashTests {
    static let million = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
    static let twoBlocks = Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)

    @Test(arguments: [
        (Array("abc".utf8), "a9993e364706816aba3e25717850c26c9cd0d89d"),
        (twoBlocks, "84983e441c3bd26ebaae4aa1f95129e5e54670f1"),
        ([], "da39a3ee5e6b4b0d3255bfef95601890afd80709"),
    ])
    func sha1(_ input: [UInt8], _ expected: String) {
        #expect(SHA1.hash(input).hexString == expected)
    }

    @Test(arguments: [
        (Array("abc".utf8), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        (twoBlocks, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
        (million, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"),
    ])
    func sha256(_ input: [UInt8], _ expected: String) {
        #expect(SHA256.hash(input).hexString == expected)
    }

    static let fourBlocks = Array("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu".utf8)

    /// Every algorithm PVE's upload accepts, through the run-time selector the upload parser uses.
    @Test(arguments: [
        ("md5", Array("abc".utf8), "900150983cd24fb0d6963f7d28e17f72"),
        ("md5", [], "d41d8cd98f00b204e9800998ecf8427e"),
        ("md5", Array("message digest".utf8), "f96b697d7cb7938d525a2f31aaf161d0"),
        ("sha1", Array("abc".utf8), "a9993e364706816aba3e25717850c26c9cd0d89d"),
        ("sha224", Array("abc".utf8), "23097d223405d8228642a477bda255b32aadbce4bda0b3f7e36c9da7"),
        ("sha224", twoBlocks, "75388b16512776cc5dba5da1fd890150b0c6455cb4f58b1952522525"),
        ("sha256", Array("abc".utf8), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("sha384", Array("abc".utf8), "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7"),
        ("sha384", fourBlocks, "09330c33f71147e83d192fc782cd1b4753111b173b3b05d22fa08086e3b0f712fcc7c71a557e2db966c3e9fa91746039"),
        ("sha512", Array("abc".utf8), "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"),
        ("sha512", fourBlocks, "8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018501d289e4900f7e4331b99dec4b5433ac7d329eeb6dd26545e96e55b874be909"),
        ("sha512", [], "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e"),
    ])
    func checksumAlgorithms(_ algorithm: String, _ input: [UInt8], _ expected: String) throws {
        var digest = try #require(ChecksumDigest(algorithm: algorithm))
        input.withUnsafeBufferPointer { digest.update($0) }
        #expect(digest.finalize().hexString == expected)
        #expect(ChecksumDigest(algorithm: "crc32") == nil)
    }

    @Test func hexDigestOfText() {
        #expect(SHA1.hex("abc") == "a9993e364706816aba3e25717850c26c9cd0d89d")
    }

    @Test func streamingInOddChunksMatchesOneShot() {
        let input = Array(Self.million.prefix(200_000))
        var d = SHA256()
        var rest = input[...]
        var size = 1
        while !rest.isEmpty {
            d.update(rest.prefix(size))
            rest = rest.dropFirst(size)
            size = size % 97 + 13
        }
        #expect(d.finalize() == SHA256.hash(input))
    }

    @Test func hmacVectors() {
        let key = [UInt8](repeating: 0x0b, count: 20)
        #expect(HMAC<SHA1>.authenticate(key: key, message: Array("Hi There".utf8)).hexString == "b617318655057264e28bc0b6fb378c8ef146be00")
        #expect(HMAC<SHA1>.authenticate(key: Array("Jefe".utf8), message: Array("what do ya want for nothing?".utf8)).hexString
                == "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79")
        #expect(HMAC<SHA256>.authenticate(key: key, message: Array("Hi There".utf8)).hexString
                == "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
        // RFC 4231 case 6: key longer than the block.
        #expect(HMAC<SHA256>.authenticate(key: [UInt8](repeating: 0xaa, count: 131),
                                          message: Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8)).hexString
                == "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")
    }

    @Test(arguments: [(0, "755224"), (1, "287082"), (5, "254676"), (9, "520489")])
    func hotpRFC4226(_ counter: UInt64, _ code: String) {
        #expect(TOTP.code(key: Array("12345678901234567890".utf8), counter: counter) == code)
    }

    @Test(arguments: [(59, "94287082"), (1_111_111_109, "07081804"), (1_234_567_890, "89005924"), (20_000_000_000, "65353130")])
    func totpRFC6238(_ time: Int64, _ code: String) {
        // RFC 6238 uses 8 digits and the ASCII key "1234567890..." (base32 GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ).
        #expect(TOTP.code(secret: "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", at: time, digits: 8) == code)
    }

    @Test func totpAcceptsOneStepOfDriftOnly() throws {
        let secret = "JBSWY3DPEHPK3PXP"
        let now: Int64 = 1_700_000_000
        let previous = try #require(TOTP.code(secret: secret, at: now - 30))
        let twoBack = try #require(TOTP.code(secret: secret, at: now - 60))
        #expect(TOTP.verify(previous, secret: secret, at: now))
        #expect(!TOTP.verify(twoBack, secret: secret, at: now) || twoBack == previous)
        #expect(!TOTP.verify("12345", secret: secret, at: now))
    }

    @Test func base32() {
        #expect(Base32.decode("JBSWY3DPEHPK3PXP") == Array("Hello!".utf8) + [0xde, 0xad, 0xbe, 0xef])
        #expect(Base32.decode("jbswy3dp") == Array("Hello".utf8))
        #expect(Base32.decode("JBSW1") == nil)
    }
}
