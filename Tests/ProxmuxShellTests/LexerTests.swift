import Testing
@testable import ProxmuxShell

/// Lexes and expands `text`; returns each command's words.
private func words(_ text: String, variables: [String: String] = ["name": "web 01", "x": "1"],
                   arguments: [String] = ["a1", "a2"]) throws -> [[String]] {
    guard case .complete(let commands) = try Lexer.lex(text) else {
        Issue.record("incomplete: \(text)")
        return []
    }
    let expander = Expander(variables: variables, arguments: arguments)
    return try commands.map { try expander.expand($0).map(\.text) }
}

struct LexerTests {
    static let cases: [(String, [[String]])] = [
        ("start 101", [["start", "101"]]),
        ("  start   101  ", [["start", "101"]]),
        ("echo 'a b' c", [["echo", "a b", "c"]]),
        ("echo \"a $name\"", [["echo", "a web 01"]]),
        ("echo $name", [["echo", "web 01"]]),
        ("echo '$name \\ \"'", [["echo", "$name \\ \""]]),
        ("echo \"\\\"q\\\" \\\\ \\$x\"", [["echo", "\"q\" \\ $x"]]),
        ("echo \"a\\nb\"", [["echo", "a\\nb"]]),
        ("echo a\\ b \\'c", [["echo", "a b", "'c"]]),
        ("a; b ;c", [["a"], ["b"], ["c"]]),
        ("a;;b", [["a"], ["b"]]),
        ("echo a#b # a comment; not a command", [["echo", "a#b"]]),
        ("# only a comment", []),
        // Quoted, or inside a word, `|` and `>` are plain characters.
        ("echo '|' \">\" a|b x>y", [["echo", "|", ">", "a|b", "x>y"]]),
        ("#!/usr/bin/env proxmux", []),
        ("", []),
        ("echo '' \"\"", [["echo", "", ""]]),
        ("echo ${x}y", [["echo", "1y"]]),
        ("echo ${missing:-fallback value}", [["echo", "fallback value"]]),
        ("echo ${x:-unused}", [["echo", "1"]]),
        ("echo $1 $2 $#", [["echo", "a1", "a2", "2"]]),
        ("echo ${3:-none}", [["echo", "none"]]),
        ("start $@", [["start", "a1", "a2"]]),
        ("start \"$@\"", [["start", "a1", "a2"]]),
        ("echo x$@y", [["echo", "xa1 a2y"]]),
        ("echo $ cost 5$", [["echo", "$", "cost", "5$"]]),
        ("echo ab\\\ncd", [["echo", "abcd"]]),
        ("echo a \\\n  b", [["echo", "a", "b"]]),
        ("echo \"multi\nline\"", [["echo", "multi\nline"]]),
        ("echo one\necho two", [["echo", "one"], ["echo", "two"]]),
        ("echo wörld \"ä ö\"", [["echo", "wörld", "ä ö"]]),
        ("echo a\r", [["echo", "a"]]),
        ("echo \"$x$x\"'$x'", [["echo", "11$x"]]),
    ]

    @Test(arguments: cases)
    func lexesAndExpands(_ input: String, _ expected: [[String]]) throws {
        #expect(try words(input) == expected)
    }

    @Test func emptyArgumentsMakeDollarAtVanish() throws {
        #expect(try words("start $@ --yes", arguments: []) == [["start", "--yes"]])
    }

    @Test func valuesAreNeverSplitOnBlanks() throws {
        #expect(try words("snapshot create $name", variables: ["name": "a b  c"]) == [["snapshot", "create", "a b  c"]])
    }

    @Test func wordsKeepTheirLineAndColumn() throws {
        guard case .complete(let commands) = try Lexer.lex("  start  101\n\tcd 'x y'; ls") else {
            Issue.record("incomplete")
            return
        }
        let positions = commands.map { $0.words.map { "\($0.position)" } }
        #expect(positions == [["1:3", "1:10"], ["2:2", "2:5"], ["2:12"]])
    }

    @Test func continuedCommandStartsOnItsFirstLine() throws {
        guard case .complete(let commands) = try Lexer.lex("start \\\n 101 \\\n 102\nls") else {
            Issue.record("incomplete")
            return
        }
        #expect(commands.map(\.position.line) == [1, 4])
        #expect(commands[0].words.map(\.position.line) == [1, 2, 3])
    }

    static let incomplete: [(String, String, Int, Int)] = [
        ("echo \"abc", "unterminated double quote", 1, 6),
        ("echo 'abc", "unterminated single quote", 1, 6),
        ("echo ok\necho 'abc", "unterminated single quote", 2, 6),
        ("echo abc\\", "backslash at the end", 1, 9),
        ("echo \"abc\\", "unterminated double quote", 1, 6),
    ]

    @Test(arguments: incomplete)
    func openInputAsksForMoreAndKnowsWhereItOpened(_ input: String, _ message: String, _ line: Int, _ column: Int) throws {
        guard case .incomplete(let error) = try Lexer.lex(input) else {
            Issue.record("expected incomplete for \(input)")
            return
        }
        #expect(error.message.contains(message))
        #expect(error.position == SourcePosition(line: line, column: column))
        #expect(error.shellError.column == column)
    }

    static let syntaxErrors: [(String, String, Int)] = [
        ("echo ${", "bad variable reference", 6),
        ("echo ${a b}", "bad variable reference", 6),
        ("echo x ${1x}", "bad variable name", 8),
        ("echo ${}", "bad variable name", 6),
        ("ls /vms | grep web", "proxmux has no pipes: run it from your shell", 9),
        ("show 100 -o json |jq", "proxmux has no pipes", 18),
        ("ls /vms > out.txt", "proxmux has no redirections", 9),
    ]

    @Test(arguments: syntaxErrors)
    func badReferencesPointAtTheDollar(_ input: String, _ message: String, _ column: Int) {
        #expect {
            _ = try Lexer.lex(input)
        } throws: { error in
            guard let error = error as? SyntaxError else { return false }
            return error.message.contains(message) && error.position.column == column
        }
    }

    static let expansionErrors: [(String, String, Int)] = [
        ("echo $nope", "unknown variable $nope", 6),
        ("echo \"x ${nope}\"", "unknown variable $nope", 9),
        ("echo ok $3", "$3 is not set: got 2 arguments", 9),
        ("echo $0", "numbered from $1", 6),
    ]

    @Test(arguments: expansionErrors)
    func expansionErrorsNameTheReference(_ input: String, _ message: String, _ column: Int) throws {
        guard case .complete(let commands) = try Lexer.lex(input), let command = commands.first else {
            Issue.record("did not lex: \(input)")
            return
        }
        #expect {
            _ = try Expander(variables: [:], arguments: ["a1", "a2"]).expand(command)
        } throws: { error in
            guard let error = error as? SyntaxError else { return false }
            return error.message.contains(message) && error.position.column == column
        }
    }
}

struct CompletionContextTests {
    @Test func partialWordAndWordsBefore() {
        let context = Lexer.completionContext("ls; start we")
        let expander = Expander(variables: [:], arguments: [])
        #expect(context.words.map(expander.lenientText(of:)) == ["start"])
        #expect(context.partial.map(expander.lenientText(of:)) == "we")
        #expect(context.partialStartOffset == 10)
        #expect(context.openQuote == nil)
    }

    @Test func afterABlankThereIsNoPartialWord() {
        let context = Lexer.completionContext("snapshot create ")
        #expect(context.words.count == 2)
        #expect(context.partial == nil)
        #expect(context.partialStartOffset == 16)
    }

    @Test func openQuoteIsPartOfThePartialWord() {
        let context = Lexer.completionContext("cd \"my d")
        #expect(context.openQuote == "\"")
        #expect(context.partial.map(Expander(variables: [:], arguments: []).lenientText(of:)) == "my d")
        #expect(context.partialStartOffset == 3)
        #expect(!context.isComplete)
    }

    @Test func unknownVariablesStayAsWritten() {
        let context = Lexer.completionContext("start $vm ")
        #expect(context.words.map(Expander(variables: [:], arguments: []).lenientText(of:)) == ["start", "$vm"])
    }

    static let quoting: [(String, Character?, Bool, String)] = [
        ("web01", nil, true, "web01"),
        ("my vm", nil, true, "'my vm'"),
        ("it's", nil, true, "'it'\\''s'"),
        ("#tag", nil, true, "'#tag'"),
        ("my vm", "\"", true, "\"my vm\""),
        ("a$b", "\"", false, "\"a\\$b"),
        ("my vm", "'", false, "'my vm"),
    ]

    @Test(arguments: quoting)
    func candidatesAreQuotedForTheLanguage(_ value: String, _ open: Character?, _ closing: Bool, _ expected: String) throws {
        let quoted = CompletionQuoting.quote(value, openQuote: open, closing: closing)
        #expect(quoted == expected)
        // What we insert must lex back to the value.
        if closing, case .complete(let commands) = try Lexer.lex("x " + quoted) {
            #expect(try Expander(variables: ["b": "$b"], arguments: []).expand(commands[0]).last?.text == value)
        }
    }

    @Test func commonPrefixOfCandidates() {
        #expect(CompletionQuoting.commonPrefix(["web01", "web02", "webby"]) == "web")
        #expect(CompletionQuoting.commonPrefix(["a", "b"]) == "")
        #expect(CompletionQuoting.commonPrefix([]) == "")
    }

    @Test func candidatesWithDetailsAreListedOnePerLine() {
        let text = CompletionQuoting.columns([Completion("101", detail: "web01 running"), Completion("1002", detail: "db stopped")], width: 80)
        #expect(text == "101   web01 running\n1002  db stopped\n")
        let many = CompletionQuoting.columns((1...5).map { Completion("v\($0)") }, width: 8, limit: 4)
        #expect(many == "v1  v2\nv3  v4\n… and 1 more\n")
    }
}
