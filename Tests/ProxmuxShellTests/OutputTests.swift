import Testing
import PVESchema
@testable import ProxmuxShell
@testable import PVESim

@Suite struct OutputTests {
    @Test(arguments: [(Double, String)]([
        (0.0, "0 B"), (1023.0, "1023 B"), (1536.0, "1.5 KiB"), (1_073_741_824.0, "1.0 GiB"), (214_748_364_800.0, "200 GiB"),
    ]))
    func bytes(_ value: Double, _ text: String) { #expect(Humanize.bytes(value) == text) }

    @Test(arguments: [(Int64, String)]([(0, "-"), (9, "9s"), (125, "2m 5s"), (10_860, "3h 1m"), (273_605, "3d 4h")]))
    func durations(_ seconds: Int64, _ text: String) { #expect(Humanize.duration(seconds) == text) }

    /// A task's run time reads 0s when it took under a second (a stopped guest's uptime of 0 is `-`);
    /// PVE's 0/1 flags read no/yes.
    @Test func elapsedTimesAndFlags() {
        #expect(Humanize.cell(.int(0), .elapsed) == "0s" && Humanize.cell(.int(125), .elapsed) == "2m 5s")
        #expect(Humanize.cell(.int(0), .duration) == "-")
        #expect(Humanize.cell(.int(0), .flag) == "no" && Humanize.cell(.int(1), .flag) == "yes")
    }

    @Test(arguments: [(Double, String)]([(0.125, "12.5%"), (1, "100.0%"), (-0.0001, "0.0%"), (2e20, "2e+22%")]))
    func percents(_ fraction: Double, _ text: String) { #expect(Humanize.percent(fraction: fraction) == text) }

    /// Percents and byte sizes round their tenths without the C library; they must round as
    /// `Double.rounded()` does, halves away from zero, near halves and past 2^53 included.
    @Test func tenthsRoundAsTheStandardLibraryRounds() {
        var values: [Double] = [0, 0.5, 1.5, 2.5, 0.49999999999999994, 0.5000000000000001, 4_503_599_627_370_495.5,
                                9_007_199_254_740_992, 9_007_199_254_740_993, 1e16, 123.45 * 10, 0.125 * 1000]
        var generator = SeededRandom(seed: 5)
        for _ in 0..<100_000 {
            let mantissa = Double(generator.next() % (1 << 53))
            values.append(mantissa / Double(1 << (generator.next() % 60)))
            values.append(Double(generator.next() % 2_000_000) / 2)  // exact halves
        }
        for value in values {
            #expect(Humanize.roundedHalfAway(value) == Int64(value.rounded()), "\(value)")
        }
    }

    @Test func nonFiniteNumbersPrintADashInsteadOfTrapping() {
        #expect(Humanize.bytes(.infinity) == "-")
        #expect(Humanize.percent(fraction: .nan) == "-")
        #expect(Humanize.cell(try? JSON.parse("1e999"), .bytes) == "-")
    }

    /// Listings format cells straight from the server's text; every value shape in every format
    /// must read exactly as the decoded value does.
    @Test func cellsReadInPlaceMatchCellsOfDecodedValues() throws {
        let values: [JSON] = [
            .int(0), .int(-5), .int(123_456_789_012), .double(0.0836), .double(1.5e9), .string("web01"), .string(""),
            .string("1024"), .string("wé\"b"), .bool(true), .null, .array(["a", "b"]), .object([("k", 1)]),
        ]
        let text = "[" + values.map { JSON.object([("v", $0)]).serialized() }.joined(separator: ",") + ",{}]"
        let rows = try JSONRows(parsing: Array(text.utf8), keys: ["v"])
        for format in [ValueFormat.plain, .state, .bytes, .percent, .duration, .elapsed, .timestamp, .flag] {
            for row in 0..<rows.count {
                var inPlace: [UInt8] = []
                Humanize.appendCell(rows.scalar(row, key: 0), of: rows, row: row, key: 0, format, to: &inPlace)
                #expect(String(decoding: inPlace, as: UTF8.self) == Humanize.cell(rows.value(row, key: 0), format), "row \(row) as \(format)")
            }
        }
    }

    @Test func timestampsAreUTC() { #expect(Humanize.timestamp(1_764_168_967) == "2025-11-26 14:56:07") }

    @Test func jsonOutputKeepsRawValues() throws {
        let shell = Shell()
        let out = try shell.run("ls /vms -o json")
        let rows = try #require(try JSON.parse(out).array)
        #expect(rows.count == 6)
        #expect(rows.first?["mem"] == .int(1_073_741_824))
        #expect(rows.first?["vmid"] == .int(101))
    }

    @Test func yamlQuotesWhatWouldBeMisread() throws {
        let value: JSON = ["name": "web01", "id": "101", "on": "yes", "note": "a: b", "empty": "", "n": 5, "list": ["x", "#y"], "nested": ["k": true]]
        let text = YAML.emit(value)
        #expect(text == """
        name: web01
        id: "101"
        "on": "yes"
        note: "a: b"
        empty: ""
        "n": 5
        list:
          - x
          - "#y"
        nested:
          k: true

        """)
        let shell = Shell()
        let out = try shell.run("ls /nodes -o yaml")
        #expect(out.hasPrefix("- type: node\n  node: pve1\n"))
    }

    /// Each rule of when a YAML reader would misread a plain string, one case at a time.
    @Test(arguments: [
        ("web01", false), ("load-02463", false), ("qemu/100", false), ("a:b", false), ("a#b", false), ("café", false),
        ("one two", false), ("node", false), ("infra", false), ("nobody", false), ("sn", false), ("0", true),
        ("", true), (" x", true), ("x ", true), ("x:", true), ("-x", true), ("?x", true), ("#x", true), ("@x", true),
        ("`x", true), ("'x", true), ("\"x", true), ("a: b", true), ("a #b", true), ("tab\there", true), ("del\u{7F}", true),
        ("TRUE", true), ("Yes", true), ("n", true), ("N", true), ("~", true), ("Null", true), ("off", true), (".Inf", true),
        ("101", true), ("1.5", true), ("+5", true), (".5", true), ("1e3", true), ("inf", true), ("NaN", true),
        ("0x1F", true), ("0o17", true), ("-1", true),
    ])
    func yamlQuotesExactlyWhatAReaderWouldMisread(_ text: String, _ quoted: Bool) {
        #expect(YAML.needsQuotes(text) == quoted, "'\(text)'")
        #expect(YAML.scalar(.string(text)).hasPrefix("\"") == quoted)
    }

    @Test func colourOnlyWhenEnabled() throws {
        let table = Table(columns: [.init("status", "status", format: .state)], rows: [["status": "running"]])
        #expect(Renderer(format: .text, color: true).text(table).contains("\u{1B}[32mrunning"))
        #expect(!Renderer(format: .text, color: false).text(table).contains("\u{1B}"))
        let shell = Shell()
        #expect(!(try shell.run("ls /vms")).contains("\u{1B}"), "a capturing console is not a terminal")
    }

    /// Big tables are formatted in pieces shared by two threads (301 rows from 2 on: five pieces of
    /// 64); the text must be the same as in one piece, including widths decided by a row of
    /// another piece and alignment of mixed columns.
    @Test func tablesRenderedInPiecesEqualTablesRenderedWhole() {
        let rows: [JSON] = (0..<301).map { (i: Int) -> JSON in
            let name: JSON = .string(i == 250 ? "a-much-longer-name-in-the-second-half" : "g\(i)")
            let status: JSON = .string(i % 3 == 0 ? "stopped" : "running")
            let mixed: JSON = i == 260 ? .string("x") : .int(Int64(i))
            return .object([
                ("vmid", .int(Int64(100 + i))), ("name", name), ("mem", .int(Int64(i) * 1_048_576)), ("cpu", .double(Double(i) / 301)),
                ("status", status), ("mixed", mixed), ("uptime", .int(Int64(i * 97))),
            ])
        }
        let table = Table(columns: [
            .init("vmid", "vmid"), .init("name", "name"), .init("mem", "mem", format: .bytes), .init("cpu", "cpu", format: .percent),
            .init("status", "status", format: .state), .init("mixed", "mixed"), .init("uptime", "uptime", format: .duration),
        ], rows: rows)
        // The same rows the other way round: formatted in the order they lie in, laid out in this one.
        let reversed = Table(columns: table.columns, rows: table.rows.sorted(byInteger: { Int64(-$0) }))
        for renderer in [Renderer(format: .text), Renderer(format: .text, noHeader: true), Renderer(format: .text, color: true)] {
            let whole = renderer.textBytes(table, inPiecesFrom: .max)
            let pieces = renderer.textBytes(table, inPiecesFrom: 2)
            #expect(pieces == whole)
            #expect(String(decoding: whole, as: UTF8.self).split(separator: "\n").count == rows.count + (renderer.noHeader ? 0 : 1))
            let lines = String(decoding: whole, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
            let header = renderer.noHeader ? [] : [lines[0]]
            let expected = (header + lines.dropFirst(header.count).dropLast().reversed()).joined(separator: "\n") + "\n"
            for threshold in [Int.max, 2] {
                #expect(String(decoding: renderer.textBytes(reversed, inPiecesFrom: threshold), as: UTF8.self) == expected)
            }
        }
    }

    /// Tables of every kind of cell (empty, missing, long, non-ASCII, numbers) are laid out as
    /// a plain reading of the rules would lay them out: columns as wide as their widest cell,
    /// numbers right-aligned, two spaces between columns, nothing after the last non-empty cell.
    @Test func layoutMatchesTheRulesForEveryKindOfCell() {
        var generator = SeededRandom(seed: 11)
        let texts = ["", "a", "ab", "node-with-a-name-longer-than-sixteen", "é", "ünïcödé-näme", "sixteen-bytes-16", "x y"]
        for round in 0..<60 {
            let rows: [JSON] = (0..<Int(generator.next() % 40)).map { _ in
                var members: [(String, JSON)] = [("n", .int(Int64(generator.next() % 100_000)))]
                if generator.next() % 5 != 0 { members.append(("t", .string(texts[Int(generator.next() % UInt64(texts.count))]))) }
                members.append(("u", .string(texts[Int(generator.next() % UInt64(texts.count))])))
                return .object(members)
            }
            let table = Table(columns: [.init("n", "num"), .init("t", "text"), .init("u", "last")], rows: rows)
            let noHeader = round % 2 == 1
            let cells = rows.map { row in ["n", "t", "u"].map { key in row[key].map { Humanize.cell($0, .plain) } ?? "" } }
            let lines = (noHeader ? [] : [["NUM", "TEXT", "LAST"]]) + cells
            let widths = (0..<3).map { column in lines.map { $0[column].count }.max() ?? 0 }
            let numeric = !rows.isEmpty
            let expected = lines.map { line in
                let number = String(repeating: " ", count: widths[0] - line[0].count) + line[0]
                let text = line[1] + String(repeating: " ", count: widths[1] - line[1].count)
                var padded = (numeric ? number : line[0] + String(repeating: " ", count: widths[0] - line[0].count)) + "  " + text + "  " + line[2]
                while padded.last == " " { padded.removeLast() }  // no cell of `texts` ends in a blank
                return padded + "\n"
            }.joined()
            for threshold in [Int.max, 2] {
                let text = String(decoding: Renderer(format: .text, noHeader: noHeader).textBytes(table, inPiecesFrom: threshold), as: UTF8.self)
                #expect(text == expected, "round \(round), pieces from \(threshold)")
            }
            // Sorted by number (not the order the rows lie in), the lines are the same, sorted.
            let byNumber = Table(columns: table.columns, rows: table.rows.sortedByFirstKey())
            let sortedLines = expected.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
            let bodyLines = zip(rows, sortedLines.dropFirst(noHeader ? 0 : 1)).enumerated()
                .sorted { ($0.element.0["n"]?.int ?? 0, $0.offset) < ($1.element.0["n"]?.int ?? 0, $1.offset) }.map(\.element.1)
            let sortedExpected = ((noHeader ? [] : [sortedLines.first!]) + bodyLines).map { $0 + "\n" }.joined()
            for threshold in [Int.max, 2] {
                let text = String(decoding: Renderer(format: .text, noHeader: noHeader).textBytes(byNumber, inPiecesFrom: threshold), as: UTF8.self)
                #expect(text == sortedExpected, "round \(round), sorted, pieces from \(threshold)")
            }
        }
    }

    /// Each piece's lines are written into room reckoned from the columns' widths and the most
    /// bytes a cell has beyond its width: a column whose widest cell is ASCII but whose other
    /// cells are two-byte characters (and states in colour) must still fit, in pieces or whole.
    @Test func linesOfWideCharactersFitTheRoomReckonedForThem() {
        let rows: [JSON] = (0..<40).map { (i: Int) -> JSON in
            let name = i == 7 ? "plain-ascii-name-that-is-widest" : String(repeating: "é", count: 1 + i % 20)
            return .object([("vmid", .int(Int64(i))), ("name", .string(name)), ("status", .string(i % 2 == 0 ? "running" : "stopped")),
                            ("note", .string(String(repeating: "ü", count: 30)))])
        }
        let table = Table(columns: [.init("vmid", "vmid"), .init("name", "name"), .init("status", "status", format: .state),
                                    .init("note", "note")], rows: rows)
        for renderer in [Renderer(format: .text), Renderer(format: .text, color: true)] {
            let whole = String(decoding: renderer.textBytes(table, inPiecesFrom: .max), as: UTF8.self)
            #expect(String(decoding: renderer.textBytes(table, inPiecesFrom: 2), as: UTF8.self) == whole)
            let lines = whole.split(separator: "\n")
            #expect(lines.count == 41)
            // Every line's last column starts in the same place on screen.
            let noteColumns = Set(lines.dropFirst().map { line in
                var shown = 0, inEscape = false
                for character in line {
                    if character == "\u{1B}" { inEscape = true } else if inEscape { inEscape = character != "m" } else { shown += 1 }
                }
                return shown - 30
            })
            #expect(noteColumns.count == 1, "\(noteColumns)")
        }
    }

    @Test func numbersAlignRight() {
        let table = Table(columns: [.init("vmid", "vmid"), .init("name", "name")], rows: [["vmid": 5, "name": "a"], ["vmid": 1000, "name": "bb"]])
        #expect(Renderer(format: .text).text(table) == "VMID  NAME\n   5  a\n1000  bb\n")
        #expect(Renderer(format: .text, noHeader: true).text(table) == "   5  a\n1000  bb\n")
    }

    @Test func showGuestCombinesStatusConfigDisksNetworkAndAgentIPs() throws {
        let shell = Shell()
        let out = try shell.run("show web01")
        #expect(out.contains("status:") && out.contains("running"))
        #expect(out.contains("disks:\n  scsi0: local-lvm:vm-101-disk-0,size=32G"))
        #expect(out.contains("network:\n  net0:"))
        #expect(out.contains("eth0: 192.0.2.10/24") && !out.contains("127.0.0.1"))
        let quiet = try shell.run("show 103")
        #expect(!quiet.contains("ip addresses"), "no agent configured: no agent call")
        #expect(shell.cluster.count(.get, "/nodes/pve2/qemu/103/agent/network-get-interfaces") == 0)
    }

    @Test func statusSummarisesTheCluster() throws {
        let shell = Shell()
        let out = try shell.run("status")
        #expect(out.contains("Nodes") && out.contains("pve2"))
        #expect(out.contains("Guests: 6 (3 running, 3 stopped)"))
        #expect(out.contains("Running tasks: 0"))
        let json = try JSON.parse(try shell.run("status -o json"))
        #expect(json["guests"]?["running"] == .int(3))
    }

    @Test func rawAPIGetRendersAndRejectsBadParams() throws {
        let shell = Shell()
        #expect(try shell.run("api get /pools").contains("production"))
        #expect(shell.failure("api get /cluster/resources type") == "api get: expected key=value, got 'type'")
        #expect(try JSON.parse(try shell.run("api get /cluster/resources type=node -o json")).array?.count == 2)
    }
}
