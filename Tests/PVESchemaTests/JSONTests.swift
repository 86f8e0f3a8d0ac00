import Testing
@testable import PVESchema

@Suite struct JSONParsingTests {
    @Test func parsesRealWorldShapesLeniently() throws {
        let json = try JSON.parse(#"{"data":[{"vmid":"100","template":"","running":1,"mem":1.5e9,"name":"w\u00e9b\n"}]}"#)
        let row = try #require(json["data"]?[0])
        #expect(row["vmid"]?.int == 100)
        #expect(row["template"]?.bool == false)
        #expect(row["running"]?.bool == true)
        #expect(row["mem"]?.int == 1_500_000_000)
        #expect(row["name"]?.string == "wéb\n")
    }

    @Test(arguments: ["{", "[1,]", "{\"a\" 1}", "tru", "\"abc", "01x", "{}x"])
    func rejectsMalformed(_ text: String) {
        #expect(throws: JSONParseError.self) { try JSON.parse(text) }
    }

    @Test(arguments: [
        ("123456789012345678", JSON.int(123_456_789_012_345_678)),
        ("-9223372036854775808", JSON.int(.min)),
        ("9223372036854775807", JSON.int(.max)),
        ("92233720368547758070", JSON.double(9.223_372_036_854_775_808e19)),
        ("-0", JSON.int(0)),
        ("2.5e3", JSON.double(2500)),
        ("-0.125", JSON.double(-0.125)),
    ])
    func parsesNumbersAtTheEdgesOfTheIntegerFastPath(_ text: String, _ expected: JSON) throws {
        let value = try JSON.parse(text)
        #expect(value == expected)
        if case .int = expected { #expect(value.int == expected.int) }
    }

    /// Objects compare as their subscript reads them: member order does not count, and a
    /// repeated key counts by its first value, so such an object equals itself.
    @Test func objectsCompareByWhatTheirKeysRead() throws {
        let repeated = try JSON.parse(#"{"vmid":101,"name":"a","vmid":999}"#)
        #expect(repeated == repeated)
        #expect(repeated == (try JSON.parse(#"{"name":"a","vmid":101,"vmid":5}"#)))
        #expect(repeated != (try JSON.parse(#"{"vmid":999,"name":"a","vmid":101}"#)), "the first vmid differs")
        #expect(repeated != (try JSON.parse(#"{"vmid":101,"name":"a","other":999}"#)), "a key the other lacks")
        #expect((try JSON.parse(#"{"a":1,"a":1}"#)) != (try JSON.parse(#"{"a":1,"b":1}"#)))
        #expect((try JSON.parse(#"{"a":1,"b":[1,{"c":null}]}"#)) == (try JSON.parse(#"{"b":[1,{"c":null}],"a":1.0}"#)))
    }

    @Test(arguments: ["-", ".", "-x", "+1"])
    func rejectsNumbersWithoutDigits(_ text: String) {
        #expect(throws: JSONParseError.self) { try JSON.parse(text) }
    }

    /// Thousands of distinct short strings pass through the short-string cache; each must come back
    /// as itself (a cache slot collision must never return a neighbour's text).
    @Test func manyDistinctShortStringsSurviveTheCache() throws {
        let words = (0..<5000).map { i in i % 3 == 0 ? "vm-\(i)" : (i % 3 == 1 ? "ab\(i)cdefghijklm" : "é\(i)") }
        let text = "[" + words.map { "{\"name\":\"\($0)\",\"n\":\"\($0)\"}" }.joined(separator: ",") + "]"
        let rows = try #require(try JSON.parse(text).array)
        #expect(rows.count == words.count)
        for (row, word) in zip(rows, words) {
            #expect(row["name"]?.string == word)
            #expect(row["n"]?.string == word)
        }
    }

    @Test func nestedContainersKeepTheirOwnMembers() throws {
        let text = #"{"a":[1,{"b":[2,3],"c":{}},[]],"d":{"e":{"f":[{"g":4}]}},"h":5}"#
        let value = try JSON.parse(text)
        #expect(value.serialized() == text)
        #expect(value["a"]?[1]?["b"]?[1]?.int == 3)
        #expect(value["d"]?["e"]?["f"]?[0]?["g"]?.int == 4)
        #expect(value.object?.map(\.0) == ["a", "d", "h"])
    }

    @Test func roundTripsKeepingKeyOrder() throws {
        let text = #"{"z":1,"a":[true,null,"q\"uote"],"m":{"x":-2.5}}"#
        #expect(try JSON.parse(text).serialized() == text)
    }
}

@Suite struct JSONSerialisingTests {
    @Test(arguments: [
        (JSON.string("a\"b\\c\nd\u{1}é"), #""a\"b\\c\nd\u0001é""#),
        (JSON.int(-9_223_372_036_854_775_808), "-9223372036854775808"),
        (JSON.int(0), "0"),
        (JSON.array([.null, .bool(true), .double(0.5), .double(3)]), "[null,true,0.5,3]"),
        (JSON.object([("k", .object([])), ("a", .array([]))]), #"{"k":{},"a":[]}"#),
    ])
    func compactBytesMatchTheTextSerialiser(_ value: JSON, _ expected: String) throws {
        #expect(value.serialized() == expected)
        #expect(String(decoding: value.serializedBytes(), as: UTF8.self) == expected)
        #expect(try JSON.parse(expected) == value)
    }

    @Test func loneHighSurrogateFollowedByANonLowEscapeDoesNotTrap() throws {
        let parsed = try JSON.parse(#""\ud800\u0041""#)
        #expect(parsed.string == "\u{FFFD}A")
    }
}

/// The eight-bytes-at-a-time scanners must agree with a byte-by-byte reading for every byte value
/// at every position, also when a later byte would be flagged too.
@Suite struct WordScanTests {
    @Test func stringRunStopsAtTheFirstQuoteBackslashOrControlByte() {
        for position in 0..<8 {
            for value in 0...255 {
                var bytes = [UInt8](repeating: UInt8(ascii: "a"), count: 8)
                bytes[position] = UInt8(value)
                if position < 7 { bytes[7] = UInt8(ascii: "\"") }
                let special = value == 0x22 || value == 0x5C || value < 0x20
                let expected = special ? position : (position < 7 ? 7 : 8)
                #expect(bytes.withUnsafeBufferPointer { Word.stringRun(at: $0.baseAddress!) } == expected, "byte \(value) at \(position)")
            }
        }
    }

    @Test func digitRunCountsLeadingDigits() {
        for position in 0..<8 {
            for value in 0...255 {
                var bytes = [UInt8](repeating: UInt8(ascii: "7"), count: 8)
                bytes[position] = UInt8(value)
                let digit = (0x30...0x39).contains(value)
                #expect(bytes.withUnsafeBufferPointer { Word.digitRun(at: $0.baseAddress!) } == (digit ? 8 : position), "byte \(value) at \(position)")
            }
        }
        // A byte that carries when 6 is added (0xFA...) must not hide an earlier non-digit.
        let mixed: [UInt8] = [0x31, 0x3A, 0xFF, 0x32, 0x33, 0x34, 0x35, 0x36]
        #expect(mixed.withUnsafeBufferPointer { Word.digitRun(at: $0.baseAddress!) } == 1)
    }
}
