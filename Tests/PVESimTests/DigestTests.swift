import Foundation
import Testing
@testable import PVESim

/// The hand-written hashes against the published test vectors.
@Suite struct DigestTests {
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
