import Testing
import ProxmoxAPI
import PVESchema
@testable import ProxmuxShell

@Suite struct DispatcherTests {
    @Test(arguments: [
        ("strat 101", ["unknown command 'strat'", "start"]),
        ("stop 101 --forse", ["unknown flag --forse", "--yes"]),
        ("shutdown 101 --timeout abc", ["--timeout", "'abc' is not an integer"]),
        ("shutdown 101 --timeout -5", ["--timeout", "too small"]),
        ("ls -o xml", ["'xml' is not valid", "text, json, yaml"]),
        ("start", ["no target", "cd"]),
        ("start nosuchguest", ["no guest named 'nosuchguest'"]),
        ("start dup", ["ambiguous", "ct 201", "ct 202"]),
        ("api get", ["missing PATH"]),
        ("pwd extra", ["unexpected argument 'extra'"]),
        ("shutdown 101 --timeout", ["--timeout needs a value"]),
        ("api", ["api: unknown or missing sub-command", "api get"]),
        ("start vm:200", ["200 is a container"]),
        // pvesh writes API parameters as flags; the raw verbs say how the shell writes them.
        ("api get /cluster/resources --type vm", ["unknown flag --type", "key=value words: type=vm"]),
        ("api create /pools --poolid=lab", ["key=value words: poolid=lab"]),
        ("api get /version --outptu json", ["did you mean --output"]),
    ])
    func usageErrorsNameTheProblemAndChangeNothing(_ line: String, _ fragments: [String]) throws {
        let shell = Shell()
        let message = try #require(shell.failure(line), "'\(line)' should fail")
        for fragment in fragments { #expect(message.contains(fragment), "'\(message)' lacks '\(fragment)'") }
        #expect(shell.cluster.mutatingRequests == 0)
    }

    @Test func flagSpellingsAreEquivalent() throws {
        let parser = CommandParser(table: .standard())
        for words in [["shutdown", "101", "--timeout", "30"], ["shutdown", "101", "--timeout=30"], ["shutdown", "--timeout", "30", "--", "101"]] {
            let parsed = try parser.parse(words)
            #expect(parsed.flags["timeout"] == "30")
            #expect(parsed.arguments == ["101"])
        }
        let short = try parser.parse(["ls", "-l", "-ojson", "/vms"])
        #expect(short.flags["long"] == "1" && short.flags["output"] == "json" && short.arguments == ["/vms"])
    }

    @Test func longestNameWins() throws {
        let parsed = try CommandParser(table: .standard()).parse(["api", "get", "/version"])
        #expect(parsed.spec.name == "api get")
        #expect(parsed.arguments == ["/version"])
    }

    @Test func helpListsGroupsAndExplainsAVerbWithoutConnecting() throws {
        let shell = Shell()
        let overview = try shell.run("help")
        #expect(overview.contains("Guest lifecycle:") && overview.contains("shutdown") && overview.contains("Navigation:"))
        let detail = try shell.run("help shutdown")
        #expect(detail.contains("usage: shutdown [TARGET]"))
        #expect(detail.contains("--timeout N") && detail.contains("0…86400") || detail.contains("86400"))
        #expect(detail.contains("Examples:"))
        let output = try shell.run("help ls")
        #expect(output.contains("--output text|json|yaml"))
        #expect(!shell.session.isConnected)
        #expect(shell.failure("help strat")?.contains("start") == true)
        // Argument help texts start in one column.
        let set = try shell.run("help set").split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let name = set.first { $0.hasPrefix("  name ") } ?? "", value = set.first { $0.hasPrefix("  value ") } ?? ""
        func column(_ line: String, _ help: String) -> Int? { line.firstRange(of: help).map { line.distance(from: line.startIndex, to: $0.lowerBound) } }
        #expect(column(name, "variable or setting name") != nil)
        #expect(column(name, "variable or setting name") == column(value, "the new value"), "\(name)\n\(value)")
    }
}
