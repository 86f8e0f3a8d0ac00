import Dispatch
import Testing
#if canImport(Glibc)
import Glibc
#endif
@testable import PVESchema
@testable import PVESim

@Suite struct JSONRowsTests {
    static let answer = #"""
        {"data":[
          {"id":"qemu/101","vmid":101,"name":"web02","cpu":0.25,"tags":"prod;web","node":"pve2"},
          {"vmid":"100","name":"w\u00e9b01","node":"pve1","extra":{"a":[1,2]},"cpu":1e-2},
          {"vmid":102,"name":"db01","node":"pve1","template":""},
          "not an object",
          {"vmid":103,"na\u006de":"escaped-key","node":"pve3"}
        ],"total":5}
        """#

    func rows(_ text: String = answer, keys: [String] = ["vmid", "name", "node", "cpu"]) throws -> JSONRows {
        try JSONRows(parsing: Array(text.utf8), member: "data", keys: keys)
    }

    @Test func everyValueMatchesWhatTheFullParserReads() throws {
        let rows = try rows()
        let parsed = try #require(try JSON.parse(Self.answer)["data"]?.array)
        #expect(rows.count == parsed.count)
        for (i, row) in parsed.enumerated() {
            #expect(rows.row(i) == row)
            // Indexed keys and a key decoded from the whole row give the parser's answer.
            for key in ["vmid", "name", "node", "cpu", "tags", "extra", "missing"] {
                #expect(rows.value(i, key) == row[key], "row \(i) key \(key)")
            }
        }
        #expect(rows.value(1, "name")?.string == "wéb01")
        #expect(rows.value(4, "name")?.string == "escaped-key")
        #expect(rows.value(3, "vmid") == nil)
    }

    @Test func aKeyAskedForTwiceIsIndexedOnce() throws {
        let rows = try rows(keys: ["vmid", "name", "vmid"])
        #expect(rows.keys == ["vmid", "name"])
        #expect(rows.value(0, key: 0)?.int == 101)
        #expect(rows.value(0, key: 1)?.string == "web02")
    }

    @Test func scalarsReadInPlaceMatchTheDecodedValues() throws {
        let rows = try rows(keys: ["vmid", "name", "cpu", "template", "extra", "tags"])
        for row in 0..<rows.count {
            for key in rows.keys.indices {
                let decoded = rows.value(row, key: key)
                switch rows.scalar(row, key: key) {
                case .absent: #expect(decoded == nil)
                case .null: #expect(decoded == .null)
                case .integer(let v): #expect(decoded == .int(v))
                case .number(let v): #expect(decoded == .double(v))
                case .text(let range):
                    var bytes: [UInt8] = []
                    rows.appendText(range, to: &bytes)
                    #expect(decoded == .string(String(decoding: bytes, as: UTF8.self)))
                case .other: #expect(decoded != nil)
                }
            }
        }
        #expect(rows.scalar(0, key: 0) == .integer(101))
        #expect(rows.scalar(0, key: 2) == .number(0.25))
        #expect(rows.scalar(1, key: 2) == .number(0.01))
        #expect(rows.scalar(0, key: 3) == .absent)
        #expect(rows.scalar(1, key: 4) == .other)  // an object
        guard case .text(let quotedID) = rows.scalar(1, key: 0), case .text(let empty) = rows.scalar(2, key: 3) else {
            Issue.record("a string vmid and an empty template should read as text")
            return
        }
        #expect(quotedID.count == 3)
        #expect(empty.isEmpty)
    }

    /// Numbers read in place equal what the full parser (Swift's own `Double(String)`) reads,
    /// including decimals beyond the exact-division shortcut.
    @Test func numbersReadInPlaceEqualTheParsersDoubles() throws {
        var generator = SeededRandom(seed: 7)
        // Halfway cases (9007199254740993 lies between two doubles: the even one wins), the
        // largest mantissas, and places on both sides of the limits of the fast paths.
        var texts: [String] = ["0.0836590914893374", "0.32177555845774514", "-0.5", "1e-2", "123.456e3", "9007199254740993.5",
                               "0.1", "3.0", "-0.0", "12345678901234567890", "-9223372036854775808", "0.00000000000000000000001",
                               "9007199254740993.0", "9007199254740995.00", "-9007199254740993.0", "9999999999999999999.0",
                               "0.9999999999999999999", "1844674407370955161.5", "0.000000000000000000009999999999999999999",
                               "123456789012345678.9", "0.00000000000000000000012345678901234567",
                               // Runs of exactly eight and sixteen digits (read a word at a time).
                               "12345678", "1234567812345678", "0.12345678", "0.00000001", "99999999.99999999", "-10000000"]
        for _ in 0..<20000 {
            let digits = String(generator.next() % 10_000_000_000_000_000_000)
            let point = Int(generator.next() % UInt64(digits.count + 1))
            let zeros = String(repeating: "0", count: Int(generator.next() % 4))
            let whole = point == 0 ? "0" : String(digits.prefix(point))
            texts.append(point == digits.count ? digits : whole + "." + zeros + String(digits.dropFirst(point)) + "1")
        }
        let document = "[" + texts.map { "{\"v\":\($0)}" }.joined(separator: ",") + "]"
        let rows = try JSONRows(parsing: Array(document.utf8), keys: ["v"])
        for (row, text) in texts.enumerated() {
            let expected = try JSON.parse(text)
            switch rows.scalar(row, key: 0) {
            case .integer(let v): #expect(expected == .int(v), "\(text)")
            case .number(let v): #expect(expected == .double(v) && v.sign == expected.double?.sign, "\(text)")
            default: Issue.record("\(text) was not read as a number")
            }
        }
    }

    /// Rows in text order, and each sorted row's place among them, give back the sorted rows:
    /// for a whole listing (every row in view) and for a filtered one.
    @Test func textOrderAndPlacesGiveBackTheSortedRows() throws {
        let rows = try JSONRows(parsing: Array(#"[{"v":3},{"v":1},{"v":20},{"v":5},{"v":4},{"v":2}]"#.utf8), keys: ["v"])
        let whole = rows.sortedByFirstKey()
        let filtered = rows.filter { rows.integer($0, key: 0)! % 2 == 1 || rows.integer($0, key: 0)! > 10 }.sortedByFirstKey()
        for (view, values) in [(whole, [1, 2, 3, 4, 5, 20]), (filtered, [1, 3, 5, 20])] {
            #expect((0..<view.count).map { view.integer($0, key: 0)! } == values.map(Int64.init))
            let (inText, places) = view.inTextOrder()
            let textOrder = (0..<inText.count).map { inText.integer($0, key: 0)! }
            #expect(textOrder == [3, 1, 20, 5, 4, 2].filter { values.contains($0) }.map(Int64.init))
            let place = try #require(places)
            #expect((0..<view.count).map { inText.integer(Int(place[$0]), key: 0)! } == values.map(Int64.init))
        }
    }

    /// Sorting by the first key uses the integers read while indexing where the values are plain
    /// digits; whatever the values, the order is the one the integers give.
    @Test func sortingByTheFirstKeyEqualsSortingByItsValues() throws {
        let orders: [[String]] = [
            ["1", "2", "10", "10", "99", "100"], ["100", "99", "101"], ["0", "5", "5"], ["7", "\"8\"", "9"],
            ["-1", "0", "3"], ["007", "10"], ["10", "007"], ["1.5", "2"], ["3", "null", "4"], ["12", "13", "12"], ["1e2", "101"],
            ["20", "100", "3"], ["123456789012345678", "123456789012345679"],
        ]
        var generator = SeededRandom(seed: 5)
        let shuffled = (0..<20).map { _ in (0..<30).map { _ in String(generator.next() % 1000) } }
        for values in orders + shuffled {
            let text = "[" + values.enumerated().map { "{\"n\":\($0.offset),\"v\":\($0.element)}" }.joined(separator: ",") + "]"
            let rows = try JSONRows(parsing: Array(text.utf8), keys: ["v", "n"])
            let byKey = rows.sortedByFirstKey(), byValue = rows.sorted(byInteger: { rows.integer($0, key: 0) ?? 0 })
            #expect((0..<byKey.count).map { byKey.integer($0, key: 1) } == (0..<byValue.count).map { byValue.integer($0, key: 1) }, "\(values)")
        }
    }

    /// Rows in no order (PVE's hash order) come out by value, ties in their arrival order, for
    /// keys that fit 32 bits and for any others (negative, larger).
    @Test(arguments: [0, 1, 2])
    func unorderedRowsComeOutByValueTiesInArrivalOrder(range: Int) throws {
        var generator = SeededRandom(seed: 21 + UInt64(range))
        let values: [Int64] = (0..<2_000).map { _ in
            let small = Int64(generator.next() % 500)
            switch range {
            case 0: return small + 100                          // vmids
            case 1: return small - 250                          // some negative
            default: return small * 40_000_000                  // past 32 bits
            }
        }
        let text = "[" + values.enumerated().map { "{\"n\":\($0.offset),\"v\":\($0.element)}" }.joined(separator: ",") + "]"
        let rows = try JSONRows(parsing: Array(text.utf8), keys: ["v", "n"])
        let expected = values.enumerated().sorted { ($0.element, $0.offset) < ($1.element, $1.offset) }.map { Int64($0.offset) }
        let sorted = rows.sortedByFirstKey()
        #expect((0..<sorted.count).map { sorted.integer($0, key: 1) } == expected)
        // Sorted again by another key: rows out of their own order to start with, ties by row.
        let again = sorted.sorted(byInteger: { (sorted.integer($0, key: 1) ?? 0) % 7 })
        let expectedAgain = (0..<Int64(values.count)).sorted { ($0 % 7, $0) < ($1 % 7, $1) }
        #expect((0..<again.count).map { again.integer($0, key: 1) } == expectedAgain)
    }

    @Test func rowTextIsTheServersTextOfThatRow() throws {
        let rows = try rows()
        let text = rows.withRowText(2) { String(decoding: $0, as: UTF8.self) }
        #expect(text == #"{"vmid":102,"name":"db01","node":"pve1","template":""}"#)
    }

    @Test func filteringAndSortingReorderRowsWithoutLosingValues() throws {
        let rows = try rows()
        let vmid = try #require(rows.keyIndex("vmid"))
        let node = try #require(rows.keyIndex("node"))
        let onPve1 = rows.filter { rows.value($0, key: node)?.string == "pve1" }
        #expect(onPve1.values.compactMap { $0["name"]?.string } == ["wéb01", "db01"])
        // The sort key closure reads positions of the view it sorts (the filtered one).
        let filtered = rows.filter { rows.value($0, key: vmid) != nil }
        let sorted = filtered.sorted(byInteger: { filtered.value($0, key: vmid)?.int ?? 0 })
        #expect(sorted.values.compactMap { $0["vmid"]?.int } == [100, 101, 102, 103])
    }

    @Test func aNullOrMissingMemberGivesNoRows() throws {
        #expect(try rows(#"{"data":null}"#).count == 0)
        #expect(try rows(#"{"errors":{"x":"y"}}"#).count == 0)
        #expect(try JSONRows(parsing: Array("[]".utf8), keys: ["a"]).isEmpty)
    }

    @Test(arguments: [
        #"{"data":[{"a":1},]}"#, #"{"data":[{"a":1}"#, #"{"data":[{"a" 1}]}"#, #"{"data":[{"a":1.}]}"#,
        #"{"data":[{"a":"x\q"}]}"#, #"{"data":[{"a":tru}]}"#, #"{"data":[]} x"#, #"{"data":[{"a":"\u12"}]}"#,
        #"{"other":[1,],"data":[]}"#, "{\"data\":[\"a\u{1}\"]}",
    ])
    func malformedTextIsRejectedLikeTheParserRejectsIt(_ text: String) {
        #expect(throws: JSONParseError.self) { _ = try JSON.parse(text) }
        #expect(throws: JSONParseError.self) { try JSONRows(parsing: Array(text.utf8), member: "data", keys: ["a"]) }
    }

    @Test func rowsBuiltFromValuesReadBackTheSame() throws {
        let values: [JSON] = [["vmid": 1, "name": "a\"b"], ["vmid": 2], .null, ["name": ["x", "y"]]]
        let rows = JSONRows(values, keys: ["name"])
        #expect(rows.values == values)
        #expect(rows.value(0, key: 0)?.string == "a\"b")
        #expect(rows.value(1, key: 0) == nil)
        #expect(rows.value(3, key: 0) == .array(["x", "y"]))
    }

    /// Generated documents: whatever the shape, the index agrees with the full parser.
    @Test func generatedDocumentsAgreeWithTheParser() throws {
        var generator = SeededRandom(seed: 42)
        let keys = ["a", "b", "cc", "d\"q", "é"]
        for _ in 0..<200 {
            let rows: [JSON] = (0..<Int(generator.next() % 6)).map { _ in
                guard generator.next() % 7 != 0 else { return .int(Int64(generator.next() % 100)) }
                return .object(keys.filter { _ in generator.next() % 2 == 0 }.map { ($0, generator.value(depth: 0)) })
            }
            let text = JSON.object([("x", generator.value(depth: 0)), ("data", .array(rows))]).serialized(pretty: generator.next() % 2 == 0)
            let indexed = try JSONRows(parsing: Array(text.utf8), member: "data", keys: ["a", "d\"q", "é"])
            #expect(indexed.values == rows)
            for (i, row) in rows.enumerated() {
                for key in keys { #expect(indexed.value(i, key) == row[key]) }
            }
        }
    }
}

/// Keys met before are matched by their remembered bytes (`name":`); every way a key can differ
/// from one met before (escaped, spaced, longer, shorter, repeated) must still be read as itself.
@Suite struct JSONRowsRepeatedShapeTests {
    static let keys = ["vmid", "name", "node", "a-key-too-long-to-predict", "cpu", "diskwrite"]

    /// A row in the usual order, or one of the ways a row may differ from the one before it.
    static func row(_ n: Int, variant: UInt64) -> String {
        let values = [("vmid", "\(n)"), ("name", "\"vm\(n)\""), ("type", "\"qemu\""), ("node", "\"pve\(n % 3)\""),
                      ("a-key-too-long-to-predict", "[\(n),{\"x\":null}]"), ("cpu", "0.\(n)5"), ("diskwrite", "\(n)"),
                      ("maxmem", "\(n)e3")]
        var members = values.map { "\"\($0.0)\":\($0.1)" }
        switch variant {
        case 0: members.reverse()                                          // another order
        case 1: members.remove(at: 1)                                      // a key missing
        case 2: members.insert(#""namex":"not name""#, at: 1)            // a longer key where "name" was
        case 3: members[1] = #""n\u0061me":"escaped \#(n)""#               // the same key, escaped
        case 4: members[1] = "\"name\" :  \"spaced \(n)\""                   // whitespace before the colon
        case 5: members[1] = #""nam":"shorter""#                          // a prefix of the key
        case 6: members.append(#""name":"repeated""#)                     // the key twice: the first counts
        case 7: members[6] = #""diskwritx":1"#                            // differs after its first eight bytes
        default: break
        }
        return "{" + members.joined(separator: ",") + "}"
    }

    @Test func rowsThatBreakThePreviousRowsShapeAreReadByTheirKeys() throws {
        var generator = SeededRandom(seed: 7)
        for _ in 0..<40 {
            let rows = (0..<40).map { n in Self.row(n, variant: generator.next() % 4 == 0 ? generator.next() % 8 : 99) }
            let text = #"{"data":["# + rows.joined(separator: generator.next() % 2 == 0 ? "," : ",\n ") + "]}"
            let expected = try JSON.parse(text)["data"]?.array ?? []
            let whole = try JSONRows(parsing: Array(text.utf8), member: "data", keys: Self.keys)
            for chunks in [[4096], [1], [5, 17, 3]] {
                let fed = try JSONRowsBuilderTests.fed(text, keys: Self.keys, chunks: chunks)
                for (i, row) in expected.enumerated() {
                    for (k, key) in Self.keys.enumerated() {
                        #expect(whole.value(i, key: k) == row[key], "row \(i) key \(key)")
                        #expect(fed.value(i, key: k) == row[key], "row \(i) key \(key) in chunks of \(chunks)")
                    }
                }
            }
        }
    }

    /// PVE's rows come with their members in an order of their own (Perl hash order): every
    /// row's keys are found whatever their place, including keys that share a beginning, keys
    /// too long to remember, one-letter keys, and more distinct keys than are remembered.
    @Test func membersInAnOrderOfTheirOwnAreReadByTheirKeys() throws {
        var generator = SeededRandom(seed: 11)
        let common = ["disk", "diskread", "diskwrite", "d", "vmid", "name", "a-fourteen-key", "a-fifteen-keys", "maxmem", "maxcpu", "n"]
        let wanted = ["diskread", "d", "name", "a-fifteen-keys", "maxmem", "rare-17", "n"]
        for round in 0..<30 {
            var rows: [String] = []
            for n in 0..<60 {
                // From round 20 on, rows bring keys never seen before: 60 more than the table keeps.
                var keys = common + (round >= 20 ? ["rare-\(n)"] : [])
                for i in stride(from: keys.count - 1, to: 0, by: -1) { keys.swapAt(i, Int(generator.next() % UInt64(i + 1))) }
                rows.append("{" + keys.map { #""\#($0)":"# + (generator.next() % 2 == 0 ? "\(n)" : #""v\#(n)""#) }.joined(separator: ",") + "}")
            }
            let text = #"{"data":["# + rows.joined(separator: ",") + "]}"
            let expected = try JSON.parse(text)["data"]?.array ?? []
            let indexed = try JSONRows(parsing: Array(text.utf8), member: "data", keys: wanted, splittingFrom: .max)
            #expect(indexed.count == expected.count)
            for (i, row) in expected.enumerated() {
                for (k, key) in wanted.enumerated() { #expect(indexed.value(i, key: k) == row[key], "round \(round) row \(i) key \(key)") }
            }
        }
    }

    @Test(arguments: [
        #"{"data":[{"name":"a","cpu":1},{"name":"b","cpu":1.},{"name":"c","cpu":3}]}"#,
        #"{"data":[{"name":"a","cpu":1},{"name":"b","cpu":-},{"name":"c","cpu":3}]}"#,
        "{\"data\":[{\"name\":\"a\",\"cpu\":1},{\"name\":\"b\u{1}\",\"cpu\":2}]}",
        "{\"data\":[{\"name\":\"a\",\"cpu\":1},{\"na\u{1}me\":\"b\",\"cpu\":2}]}",
        #"{"data":[{"name":"a","cpu":1},{"name":"b","cpu":2e}]}"#,
        #"{"data":[{"name":"a","cpu":1},{"name":"b","cpu":2}"#,
    ])
    func aBrokenValueInARepeatedShapeFailsLikeTheParser(_ text: String) {
        let expected = #expect(throws: JSONParseError.self) { _ = try JSON.parse(text) }
        let indexed = #expect(throws: JSONParseError.self) { try JSONRows(parsing: Array(text.utf8), member: "data", keys: ["name", "cpu"]) }
        #expect(indexed?.offset == expected?.offset, "\(text)")
    }
}

/// Feeding an answer chunk by chunk, as it arrives from the network, gives what the whole text gives.
@Suite struct JSONRowsBuilderTests {
    /// `text` fed in chunks of the given sizes (cycled), then finished. `announced`: the length
    /// announced ahead, from which the rows are indexed alongside on another thread.
    static func fed(_ text: String, member: String? = "data", keys: [String], chunks sizes: [Int], announced: Int? = nil) throws -> JSONRows {
        var builder = JSONRows.Builder(member: member, keys: keys, concurrentFrom: announced == nil ? 1 << 20 : 0)
        let bytes = Array(text.utf8)
        if let announced { builder.reserveCapacity(announced, exact: announced == bytes.count) }
        var offset = 0, turn = 0
        while offset < bytes.count {
            let end = min(bytes.count, offset + sizes[turn % sizes.count])
            bytes[offset..<end].withUnsafeBufferPointer { builder.append($0) }
            offset = end
            turn += 1
        }
        return try builder.finish()
    }

    @Test func rowsAreIndexedWhileTheTextArrives() throws {
        let text = #"{"data":[{"vmid":100,"name":"a"},{"vmid":101,"name":"b"},{"vmid":102,"#
        var builder = JSONRows.Builder(member: "data", keys: ["vmid"])
        Array(text.utf8).withUnsafeBufferPointer { builder.append($0) }
        #expect(builder.rowsIndexed == 2)  // the third row is cut off
        Array(#""name":"c"}]}"#.utf8).withUnsafeBufferPointer { builder.append($0) }
        #expect(builder.rowsIndexed == 3)
        let rows = try builder.finish()
        #expect((0..<rows.count).map { rows.integer($0, key: 0) } == [100, 101, 102])
    }

    @Test(arguments: [[1], [2, 3, 5], [7, 1, 64], [4096]])
    func generatedDocumentsInChunksAgreeWithTheWholeText(chunks: [Int]) throws {
        var generator = SeededRandom(seed: 9)
        let keys = ["a", "d\"q", "é"]
        for round in 0..<150 {
            let rows: [JSON] = (0..<Int(generator.next() % 8)).map { _ in
                guard generator.next() % 7 != 0 else { return generator.value(depth: 1) }
                return .object(["a", "b", "d\"q", "é"].filter { _ in generator.next() % 2 == 0 }.map { ($0, generator.value(depth: 0)) })
            }
            // Sometimes `data` comes after another member, as PVE never sends it but may.
            let members: [(String, JSON)] = round % 3 == 0 ? [("x", generator.value(depth: 0)), ("data", .array(rows))]
                                                          : [("data", .array(rows)), ("total", .int(Int64(rows.count)))]
            let text = JSON.object(members).serialized(pretty: generator.next() % 2 == 0)
            let whole = try JSONRows(parsing: Array(text.utf8), member: "data", keys: keys)
            // Indexed as it comes, alongside, and alongside past a too short announced length.
            for announced in [nil, text.utf8.count, text.utf8.count / 2] {
                let fed = try Self.fed(text, keys: keys, chunks: chunks, announced: announced)
                #expect(fed.values == rows)
                #expect(fed.values == whole.values)
                for i in 0..<rows.count {
                    for key in keys.indices { #expect(fed.scalar(i, key: key) == whole.scalar(i, key: key)) }
                    #expect(fed.withRowText(i) { Array($0) } == whole.withRowText(i) { Array($0) })
                }
            }
            let array = JSON.array(rows).serialized()
            #expect(try Self.fed(array, member: nil, keys: keys, chunks: chunks).values == rows)
        }
    }

    @Test(arguments: [
        #"{"data":[{"a":1},]}"#, #"{"data":[{"a":1}"#, #"{"data":[{"a" 1}]}"#, #"{"data":[{"a":1.}]}"#,
        #"{"data":[{"a":"x\q"},{"a":2}]}"#, #"{"data":[{"a":tru},{"a":2}]}"#, #"{"data":[]} x"#,
        #"{"data":[{"a":"\u12"}]}"#, #"{"other":[1,],"data":[]}"#, "{\"data\":[\"a\u{1}\"]}",
        #"{"data":[{"a":1},{"a":2}],"data":[{"a":3}]"#, #"{"data":[{"a":1},{"a":2}] ,"x":[}"#,
        #"{"data":[{"a":1} {"a":2}]}"#, #"{"data":[1,2,3]]}"#, #"{"data":[{"a":1},{"a":2},"#,
    ])
    func malformedTextInChunksFailsWhereTheWholeTextFails(_ text: String) {
        let expected = #expect(throws: JSONParseError.self) { try JSONRows(parsing: Array(text.utf8), member: "data", keys: ["a"]) }
        for chunks in [[1], [3, 1], [16], [1000]] {
            for announced in [nil, text.utf8.count] {
                let error = #expect(throws: JSONParseError.self) { try Self.fed(text, keys: ["a"], chunks: chunks, announced: announced) }
                #expect(error?.offset == expected?.offset && error?.reason == expected?.reason, "\(text) in chunks of \(chunks)")
            }
        }
    }

    /// A big answer of announced length is indexed by another thread while it arrives (its
    /// buffer's pages faulted in first); the rows are those of the whole text.
    @Test func aBigAnswerIsIndexedAlongsideWhileItArrives() throws {
        let rows: [JSON] = (0..<20_000).map { n in
            .object([("vmid", .int(Int64(100 + n))), ("name", .string("guest-with-a-longer-name-\(n)")), ("cpu", .double(Double(n % 97) / 97))])
        }
        let text = JSON.object([("data", .array(rows))]).serialized()
        let bytes = Array(text.utf8)
        #expect(bytes.count >= 1 << 20, "big enough to be indexed alongside")
        var builder = JSONRows.Builder(member: "data", keys: ["vmid", "name"])
        builder.reserveCapacity(bytes.count, exact: true)
        func feed(_ range: Range<Int>) {
            var offset = range.lowerBound
            while offset < range.upperBound {
                let end = min(range.upperBound, offset + 16_384)
                bytes[offset..<end].withUnsafeBufferPointer { builder.append($0) }
                offset = end
            }
        }
        feed(0..<bytes.count / 2)
        // The other thread indexes the first half while this one waits (up to 10 s).
        var waited = 0
        while builder.rowsIndexed == 0, waited < 1000 {
            usleep(10_000)
            waited += 1
        }
        #expect(builder.rowsIndexed > 0, "rows are indexed before the answer is complete")
        feed(bytes.count / 2..<bytes.count)
        let fed = try builder.finish()
        #expect(fed.count == rows.count)
        #expect(fed.withRowText(fed.count - 1) { Array($0) } == Array(rows.last!.serialized().utf8))
        #expect((0..<fed.count).allSatisfy { fed.integer($0, key: 0) == Int64(100 + $0) })
    }

    @Test func theFirstOfTwoDataMembersIsTheRows() throws {
        let text = #"{"data":[],"data":[{"a":1}]}"#
        #expect(try JSON.parse(text)["data"] == .array([]))
        #expect(try JSONRows(parsing: Array(text.utf8), member: "data", keys: ["a"]).isEmpty)
        #expect(try Self.fed(text, keys: ["a"], chunks: [1]).isEmpty)
    }

    @Test(arguments: [false, true])
    func aRestartForgetsWhatCameBefore(alongside: Bool) throws {
        var builder = JSONRows.Builder(member: "data", keys: ["a"], concurrentFrom: 0)
        if alongside { builder.reserveCapacity(64) }
        Array(#"{"data":[{"a":1},{"a":2},"#.utf8).withUnsafeBufferPointer { builder.append($0) }
        builder.reset()
        Array(#"{"data":[{"a":3}]}"#.utf8).withUnsafeBufferPointer { builder.append($0) }
        let rows = try builder.finish()
        #expect(rows.values == [["a": 3]])
    }

    /// A transfer that fails leaves its builder unfinished: dropping it ends the thread that
    /// indexed alongside, which lets go of the text and index it held.
    @Test func aDroppedBuilderEndsItsThread() throws {
        weak var scan: AnyObject?
        do {
            var builder = JSONRows.Builder(member: "data", keys: ["a"], concurrentFrom: 0)
            builder.reserveCapacity(1 << 16)
            Array(#"{"data":[{"a":1},{"a":"#.utf8).withUnsafeBufferPointer { builder.append($0) }
            scan = builder.alongsideScan
            #expect(scan != nil || sysconf(Int32(_SC_NPROCESSORS_ONLN)) < 2)
        }
        var waited = 0
        while scan != nil, waited < 1000 {
            usleep(10_000)
            waited += 1
        }
        #expect(scan == nil)
        #expect(try Self.fed(#"{"data":[{"a":1}]}"#, keys: ["a"], chunks: [4], announced: 18).values == [["a": 1]])
    }
}

/// A long answer is indexed in two halves on two threads; whether the guessed boundary between
/// them is a real one or lies inside a value, the result is the one scan's.
@Suite struct JSONRowsSplitTests {
    static let keys = ["vmid", "name", "tags"]

    /// Rows shaped like PVE's, some with strings and nested values that look like row boundaries.
    static func document(rows: Int, seed: UInt64, pretty: Bool) -> String {
        var generator = SeededRandom(seed: seed)
        let rows: [JSON] = (0..<rows).map { n in
            var members: [(String, JSON)] = [("vmid", .int(Int64(100 + n))), ("name", .string("vm\(n)"))]
            switch generator.next() % 5 {
            case 0: members.append(("tags", .string("a},{b")))
            case 1: members.append(("nested", .array([.object([("x", .int(1))]), .object([("y", .int(2))])])))
            case 2: members.append(("tags", .string("x\"},{\"y")))
            default: members.append(("cpu", .double(Double(generator.next() % 1000) / 7)))
            }
            return .object(members)
        }
        return JSON.object([("data", .array(rows))]).serialized(pretty: pretty)
    }

    @Test(arguments: [false, true])
    func halvesAgreeWithOneScan(pretty: Bool) throws {
        for seed in UInt64(0)..<40 {
            let text = Self.document(rows: 20 + Int(seed) * 3, seed: seed, pretty: pretty)
            let bytes = Array(text.utf8)
            let one = try JSONRows(parsing: bytes, member: "data", keys: Self.keys, splittingFrom: .max)
            let split = try JSONRows(parsing: bytes, member: "data", keys: Self.keys, splittingFrom: 0)
            var builder = JSONRows.Builder(member: "data", keys: Self.keys, splittingFrom: 0)
            bytes.withUnsafeBufferPointer { builder.append(UnsafeBufferPointer(rebasing: $0[0..<bytes.count / 5])) }
            bytes.withUnsafeBufferPointer { builder.append(UnsafeBufferPointer(rebasing: $0[(bytes.count / 5)...])) }
            let fed = try builder.finish()
            let expected = try JSON.parse(text)["data"]?.array ?? []
            for rows in [split, fed] {
                #expect(rows.values == expected, "seed \(seed)")
                for i in 0..<rows.count {
                    for key in Self.keys.indices { #expect(rows.scalar(i, key: key) == one.scalar(i, key: key)) }
                    #expect(rows.withRowText(i) { Array($0) } == one.withRowText(i) { Array($0) })
                }
            }
        }
    }

    /// `bytes` fed as a big answer of announced length whose scan alongside has not started when
    /// the last byte comes (the spare thread is kept busy meanwhile): the receiving thread takes
    /// on the second half of the rows. Returns the rows, or the error, and how many rows it took.
    static func handedOver(_ bytes: [UInt8]) -> (rows: Result<JSONRows, JSONParseError>, handedOver: Int) {
        let gate = DispatchSemaphore(value: 0)
        let busy = SpareThread.shared.run { gate.wait() }
        defer {
            gate.signal()
            busy.wait()
        }
        var builder = JSONRows.Builder(member: "data", keys: keys, splittingFrom: 0, concurrentFrom: 0)
        builder.reserveCapacity(bytes.count, exact: true)
        bytes.withUnsafeBufferPointer { builder.append(UnsafeBufferPointer(rebasing: $0[0..<bytes.count / 3])) }
        bytes.withUnsafeBufferPointer { builder.append(UnsafeBufferPointer(rebasing: $0[(bytes.count / 3)...])) }
        _ = builder.completeText()
        let handedOver = builder.handedOverRows
        do {
            return (.success(try builder.finish()), handedOver)
        } catch {
            return (.failure(error as! JSONParseError), handedOver)
        }
    }

    /// When the transfer ends before the scan alongside is done, the receiving thread indexes
    /// the second half of what is left; a guessed boundary inside a value is dropped.
    @Test(arguments: [false, true])
    func theRestHandedOverAgreesWithOneScan(pretty: Bool) throws {
        guard SpareThread.isUseful else { return }
        var handedOverSomewhere = false
        for seed in UInt64(0)..<40 {
            let text = Self.document(rows: 20 + Int(seed) * 3, seed: seed, pretty: pretty)
            let bytes = Array(text.utf8)
            let one = try JSONRows(parsing: bytes, member: "data", keys: Self.keys, splittingFrom: .max)
            let (result, handedOver) = Self.handedOver(bytes)
            let rows = try result.get()
            handedOverSomewhere = handedOverSomewhere || handedOver > 0
            #expect(handedOver < rows.count)
            #expect(rows.values == one.values, "seed \(seed)")
            for i in 0..<rows.count {
                for key in Self.keys.indices { #expect(rows.scalar(i, key: key) == one.scalar(i, key: key)) }
                #expect(rows.withRowText(i) { Array($0) } == one.withRowText(i) { Array($0) })
            }
        }
        #expect(handedOverSomewhere, "the receiving thread took on rows")
        // Rows with nothing that looks like a boundary: the guess is a real one.
        let plain = (0..<100).map { #"{"vmid":\#($0),"name":"vm\#($0)"}"# }.joined(separator: ",")
        let (result, handedOver) = Self.handedOver(Array(#"{"data":[\#(plain)]}"#.utf8))
        #expect(try result.get().count == 100)
        #expect(handedOver > 0 && handedOver < 100)
    }

    /// A fault anywhere (before the middle, around it, after it, in the last row) is reported
    /// where one scan reports it.
    @Test func errorsInEitherHalfAreTheOneScansFirstError() throws {
        let text = Self.document(rows: 64, seed: 3, pretty: false)
        let faults: [(String, String)] = [
            (#""vmid":108,"#, #""vmid":1x8,"#), (#""vmid":129,"#, #""vmid":129,,"#), (#""vmid":131,"#, #""vmid":-,"#),
            (#""vmid":132,"#, #""vmid" 132,"#), (#""vmid":133,"#, #""vmid":133.,"#), (#""vmid":160,"#, #""vmid":"160,"#),
        ]
        var broken = faults.map { good, bad in
            #expect(text.components(separatedBy: good).count == 2, "\(good) is in the document once")
            return (bad, Array(text.replacingOccurrences(of: good, with: bad).utf8))
        }
        broken.append(("a comma after the last row", Array((text.dropLast(2) + ",]}").utf8)))
        for (bad, broken) in broken {
            let one = #expect(throws: JSONParseError.self) { _ = try JSONRows(parsing: broken, member: "data", keys: Self.keys, splittingFrom: .max) }
            let split = #expect(throws: JSONParseError.self) { _ = try JSONRows(parsing: broken, member: "data", keys: Self.keys, splittingFrom: 0) }
            #expect(split?.offset == one?.offset && split?.reason == one?.reason, "\(bad)")
            if SpareThread.isUseful, case .failure(let handedOver) = Self.handedOver(broken).rows {
                #expect(handedOver.offset == one?.offset && handedOver.reason == one?.reason, "\(bad), handed over")
            } else if SpareThread.isUseful {
                Issue.record("\(bad): no error when the rest is handed over")
            }
        }
    }
}

/// Random JSON values for generated test documents, from the simulator's seeded generator.
extension SeededRandom {
    mutating func value(depth: Int) -> JSON {
        switch next() % (depth > 2 ? 5 : 7) {
        case 0: return .null
        case 1: return .bool(next() % 2 == 0)
        case 2: return .int(Int64(bitPattern: next()) >> Int64(next() % 60))
        case 3: return .double(Double(next() % 100_000) / 64)
        case 4: return .string(["", "x", "ö\n\"", "\\u", "long string of more than sixteen bytes"][Int(next() % 5)])
        case 5: return .array((0..<Int(next() % 3)).map { _ in value(depth: depth + 1) })
        default: return .object((0..<Int(next() % 3)).map { ("k\($0)", value(depth: depth + 1)) })
        }
    }
}
