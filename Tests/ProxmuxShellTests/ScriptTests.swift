import Foundation
import Testing
@testable import ProxmuxShell

/// The real `proxmux` binary, run the way a user runs scripts: files, `-c`, stdin.
enum Binary {
    /// `.build/<triple>/debug/proxmux`, next to the test bundle.
    static var path: String {
        let runner = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var directory = runner.deletingLastPathComponent()
        if directory.lastPathComponent.hasSuffix(".xctest") { directory = directory.deletingLastPathComponent() }
        return directory.appendingPathComponent("proxmux").path
    }

    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/scripts").path

    struct Result {
        var status: Int32
        var out: String
        var err: String
    }

    static func run(_ arguments: [String], stdin: String? = nil, environment: [String: String] = [:]) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: fixtures)
        var env = RunnerEnvironment.withoutProxmux
        env["NO_COLOR"] = "1"
        env.merge(environment) { $1 }
        process.environment = env
        let out = Pipe(), err = Pipe(), input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, out: String(decoding: outData, as: UTF8.self),
                      err: String(decoding: errData, as: UTF8.self))
    }
}

@Suite(.enabled(if: FileManager.default.isExecutableFile(atPath: Binary.path), "needs the proxmux binary (swift build)"))
struct ScriptTests {
    @Test func errexitStopsWithFileLineAndStatus1() throws {
        let r = try Binary.run(["errexit.pmx"])
        #expect(r.status == 1)
        #expect(r.out == "step 1\nstep 2\n")
        #expect(r.err == "errexit.pmx:5: sleep: 'soon' is not a number of seconds between 0 and 86400\n")
    }

    @Test func errexitOffRunsToTheEndWithTheLastFailure() throws {
        let r = try Binary.run(["continue.pmx"])
        #expect(r.status == 2)
        #expect(r.out == "still running\nlast line\n")
        #expect(r.err.contains("continue.pmx:2: sleep: 'soon'"))
        #expect(r.err.contains("continue.pmx:4: unknown variable $missing"))
    }

    @Test func argumentsShebangCommentsAndContinuation() throws {
        let r = try Binary.run(["args.pmx", "web01", "pve2"])
        #expect(r.status == 0)
        #expect(r.out == "deploying web01 to pve2\n2 arguments: web01 pve2\nliteral $1 continued\n")
        let defaulted = try Binary.run(["args.pmx", "web01"])
        #expect(defaulted.out.hasPrefix("deploying web01 to pve1\n"))
    }

    @Test func syntaxErrorExits2WithCaret() throws {
        let r = try Binary.run(["syntax.pmx"])
        #expect(r.status == 2)
        #expect(r.out == "ok\n")
        #expect(r.err == "syntax.pmx:2: unterminated double quote (opened here)\n  echo \"never closed\n       ^\n")
    }

    @Test func sourceNestsAndExitStopsEverything() throws {
        let r = try Binary.run(["nested-main.pmx", "outer", "nested-lib.pmx"])
        #expect(r.status == 5)
        #expect(r.out == "main: outer\nlib: inner\n")
    }

    @Test func dashCTakesArguments() throws {
        let r = try Binary.run(["-c", "echo \"hi $1\"; exit $#", "there", "x"])
        #expect(r.out == "hi there\n")
        #expect(r.status == 2)
        let bad = try Binary.run(["-c", "echo a; sleep x; echo b"])
        #expect(bad.status == 1)
        #expect(bad.err.hasPrefix("-c:1: sleep:"))
        #expect(bad.out == "a\n")
    }

    @Test func stdinPipeIsAScriptWithoutPromptOrEscapes() throws {
        let r = try Binary.run([], stdin: "echo one\nset errexit off\nsleep x\necho two\n")
        #expect(r.out == "one\ntwo\n")
        #expect(r.err.hasPrefix("<stdin>:3: sleep:"))
        #expect(r.status == 1)
        #expect(!r.out.contains("\u{1B}") && !r.out.contains("pmx "))
    }

    static let badOuterFlags: [[String]] = [["--bogus"], ["-o", "xml"], ["-c"], ["--profile"], ["--noheader=1"]]

    @Test(arguments: badOuterFlags)
    func badOuterFlagsPrintUsageAndExit2(_ arguments: [String]) throws {
        let r = try Binary.run(arguments)
        #expect(r.status == 2)
        #expect(r.err.hasPrefix("proxmux: "))
        #expect(r.err.contains("usage: proxmux"))
        #expect(r.out.isEmpty)
    }

    @Test func missingScriptFileExits2() throws {
        let r = try Binary.run(["no-such-script.pmx"])
        #expect(r.status == 2)
        #expect(r.err == "proxmux: cannot read no-such-script.pmx: No such file or directory\n")
    }

    @Test func versionAndHelp() throws {
        #expect(try Binary.run(["--version"]).out == OuterCommandLine.version + "\n")
        let help = try Binary.run(["--help"])
        #expect(help.status == 0 && help.out.contains("-c COMMANDS"))
    }
}

struct OuterCommandLineTests {
    @Test func optionsBeforeTheScriptAndArgumentsAfterIt() throws {
        let o = try OuterCommandLine.parse(["--profile", "lab", "-o", "json", "--noheader", "--dry-run", "--yes", "deploy.pmx", "--yes", "web01"])
        #expect(o.profile == "lab" && o.output == .json && o.noHeader && o.dryRun && o.assumeYes)
        #expect(o.script == "deploy.pmx")
        #expect(o.scriptArguments == ["--yes", "web01"])
        let inline = try OuterCommandLine.parse(["--output=yaml", "--profile=x", "-c", "ls", "a"])
        #expect(inline.output == .yaml && inline.profile == "x" && inline.command == "ls" && inline.scriptArguments == ["a"])
        let dashdash = try OuterCommandLine.parse(["--", "-weird.pmx", "x"])
        #expect(dashdash.script == "-weird.pmx" && dashdash.scriptArguments == ["x"])
    }

    static let errors: [([String], String)] = [
        (["--bogus"], "unknown option --bogus"),
        (["-o", "xml"], "-o: 'xml' is not an output format; use text, json or yaml"),
        (["-c"], "-c needs a value"),
        (["--profile="], "--profile needs a non-empty name"),
        (["--yes=no"], "--yes takes no value"),
    ]

    @Test(arguments: errors)
    func badFlagsNameTheProblem(_ arguments: [String], _ message: String) {
        #expect(throws: ShellError(message)) { try OuterCommandLine.parse(arguments) }
    }
}

struct ScriptingVerbTests {
    private func run(_ text: String) throws -> (Harness, Int32) {
        let h = try Harness()
        return (h, h.loop.run(TextSource(name: "t.pmx", text: text)))
    }

    @Test func settingsAreSetTargets() throws {
        let (h, status) = try run("set output json\nset dryrun on\nset noheader on\nset errexit off\n")
        #expect(status == 0)
        #expect(h.session.settings.output == .json && h.session.settings.dryRun && h.session.settings.noHeader)
        #expect(!h.session.settings.errexit)
    }

    static let badSets: [(String, String)] = [
        ("set errexit maybe", "t.pmx:1: set errexit: 'maybe' is not valid; use on or off"),
        ("set output xml", "t.pmx:1: set output: 'xml' is not valid; use one of text, json, yaml"),
        ("set 9lives x", "t.pmx:1: set: '9lives' is not a variable name"),
        ("unset never_set", "t.pmx:1: unset: no variable named never_set"),
        ("unset errexit", "t.pmx:1: unset: errexit is a setting"),
        ("exit 256", "t.pmx:1: exit: '256' is not a status; use a number 0-255"),
        ("sleep -1", "t.pmx:1: sleep: '-1' is not a number of seconds"),
        ("set nope", "t.pmx:1: set: no variable named nope"),
    ]

    @Test(arguments: badSets)
    func badValuesAreRefusedAndChangeNothing(_ line: String, _ message: String) throws {
        let (h, status) = try run(line)
        #expect(status == ExitStatus.commandFailed)
        #expect(h.err.hasPrefix(message))
        #expect(h.session.settings.errexit && h.session.settings.output == .text && h.session.variables.isEmpty)
    }

    @Test func setListsSettingsAndVariablesAndUnsetForgets() throws {
        let (h, status) = try run("set b 2\nset a 'x y'\nset\nunset a\nset\nset b\n")
        #expect(status == 0)
        let settings = "errexit on\ndryrun off\noutput text\nnoheader off\ndebug off\n"
        #expect(h.out == settings + "a=x y\nb=2\n" + settings + "b=2\nb=2\n")
    }

    @Test func listingHidesSecretLookingValues() throws {
        let (h, _) = try run("set db_password hunter2\nset vm 101\nset\nset db_password\n")
        #expect(h.out.contains("db_password=(hidden)\nvm=101\n"))
        #expect(h.out.hasSuffix("db_password=hunter2\n")) // asked for by name
        #expect(h.out.components(separatedBy: "hunter2").count == 2)
    }

    @Test func echoJoinsWords() throws {
        let (h, _) = try run("echo  a   'b  c'  \"\"\necho\n")
        #expect(h.out == "a b  c \n\n")
    }

    @Test func everyScriptingVerbHasHelpAndCompletion() {
        for spec in CommandSpec.scripting {
            #expect(!spec.abstract.isEmpty, "\(spec.name)")
            #expect(!spec.examples.isEmpty, "\(spec.name)")
            for argument in spec.arguments { #expect(argument.completion != .none, "\(spec.name) \(argument.name)") }
        }
    }
}
