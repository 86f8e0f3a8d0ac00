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
