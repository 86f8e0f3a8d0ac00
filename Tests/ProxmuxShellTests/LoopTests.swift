import Testing
@testable import ProxmuxShell

/// Records what the loop hands over. `record ...` succeeds, `fail` throws a command error,
/// `interrupt` raises Ctrl-C as a waiting command would see it; the scripting verbs run for real.
final class RecordingExecutor: CommandExecutor {
    let session: Session
    let console: Console
    var calls: [(words: [String], location: ProxmuxShell.SourceLocation)] = []

    init(session: Session, console: Console) {
        self.session = session
        self.console = console
    }

    var recorded: [[String]] { calls.map { $0.words }.filter { $0.first == "record" }.map { Array($0.dropFirst()) } }
    func location(of word: String) -> ProxmuxShell.SourceLocation? { calls.first { $0.words.dropFirst().first == word }?.location }

    func execute(words: [String], at location: ProxmuxShell.SourceLocation) throws {
        calls.append((words, location))
        switch words.first {
        case "record": return
        case "fail": throw ShellError("boom")
        case "interrupt": session.interrupt.raise()
        default:
            guard let spec = CommandSpec.scripting.first(where: { $0.name == words[0] }) else {
                throw ShellError("unknown command '\(words[0])'")
            }
            let invocation = Invocation(spec: spec, arguments: Array(words.dropFirst()), flags: [:], session: session, location: location)
            // Like the real dispatcher: anything but a ShellError is wrapped into one.
            do {
                if case .message(let text) = try spec.run(invocation) { console.line(text) }
            } catch let error as ShellError {
                throw error
            } catch {
                throw ShellError("\(spec.name): \(error)")
            }
        }
    }

    func complete(_ request: CompletionRequest) -> [Completion] { [] }
    func promptSegments() -> PromptSegments { PromptSegments(profile: "test", path: "/") }
}

/// A terminal stand-in: hands out scripted lines as if typed at the prompt.
final class TypedLines: LineSource {
    var lines: [LineRead]
    var remembered: [String] = []
    init(_ lines: [LineRead]) { self.lines = lines }
    var name: String? { nil }
    var isInteractive: Bool { true }
    func nextLine(continuation: Bool) -> LineRead { lines.isEmpty ? .endOfInput : lines.removeFirst() }
    func remember(_ text: String) { remembered.append(text) }
}

/// One shell with a recording executor and captured output; files live in a temp directory.
final class Harness {
    let console = Console.capturing()
    let session = Session(settings: ShellSettings())
    let executor: RecordingExecutor
    let loop: ShellLoop
    let directory: String

    init(arguments: [String] = []) throws {
        executor = RecordingExecutor(session: session, console: console)
        loop = ShellLoop(session: session, executor: executor, console: console)
        session.arguments = arguments
        directory = try TempDirectory.make()
    }

    deinit { TempDirectory.remove(directory) }

    /// Writes a script file and returns its path.
    @discardableResult
    func file(_ name: String, _ text: String) throws -> String {
        let path = directory + "/" + name
        try TempDirectory.write(text, to: path)
        return path
    }

    func runFile(_ name: String, _ text: String) throws -> Int32 {
        loop.run(try TextSource.file(try file(name, text)))
    }

    var recorded: [[String]] { executor.recorded }
    var out: String { console.capturedOutput.out }
    var err: String { console.capturedOutput.err }
}

struct LoopTests {
    @Test func errexitStopsAtTheFailingFileAndLine() throws {
        let h = try Harness()
        let status = try h.runFile("deploy.pmx", "record one\n\n# comment\nfail\nrecord two\n")
        #expect(status == ExitStatus.commandFailed)
        #expect(h.recorded == [["one"]])
        #expect(h.err == "\(h.directory)/deploy.pmx:4: boom\n")
        #expect(h.executor.calls.last?.location == ProxmuxShell.SourceLocation(source: h.directory + "/deploy.pmx", line: 4, column: 1))
    }

    @Test func errexitOffContinuesAndEndsWithTheLastFailure() throws {
        let h = try Harness()
        let status = try h.runFile("s.pmx", "set errexit off\nfail\nrecord after\necho $nope\nrecord end\n")
        #expect(h.recorded == [["after"], ["end"]])
        #expect(status == ExitStatus.usage) // the last failure was the expansion error
        #expect(h.err.contains("s.pmx:2: boom"))
        #expect(h.err.contains("s.pmx:4: unknown variable $nope"))
        #expect(h.session.settings.errexit == false)
    }

    @Test func successIsZeroAndExitSetsTheStatus() throws {
        let h = try Harness()
        #expect(try h.runFile("ok.pmx", "#!/usr/bin/env proxmux\nrecord a; record b\n") == 0)
        #expect(h.recorded == [["a"], ["b"]])
        let h2 = try Harness()
        #expect(try h2.runFile("exit.pmx", "record a\nexit 3\nrecord never\n") == 3)
        #expect(h2.recorded == [["a"]])
        let h3 = try Harness()
        #expect(try h3.runFile("exit0.pmx", "set errexit off\nfail\nexit\nrecord never\n") == 0)
    }

    @Test func scriptArgumentsExpand() throws {
        let h = try Harness(arguments: ["web01", "two words"])
        #expect(try h.runFile("args.pmx", "record $1 \"$2\" $# ${3:-pve1}\nrecord $@\n") == 0)
        #expect(h.recorded == [["web01", "two words", "2", "pve1"], ["web01", "two words"]])
    }

    @Test func missingArgumentStopsWithUsageStatus() throws {
        let h = try Harness(arguments: [])
        #expect(try h.runFile("args.pmx", "record start\nrecord $1\nrecord end\n") == ExitStatus.usage)
        #expect(h.recorded == [["start"]])
        #expect(h.err.contains("args.pmx:2: $1 is not set: got 0 arguments"))
        #expect(h.err.contains("  record $1\n         ^\n"))
    }

    @Test func variablesSetEarlierOnTheSameLineAreSeen() throws {
        let h = try Harness()
        #expect(try h.runFile("v.pmx", "set vm 101; record $vm ${vm}x\n") == 0)
        #expect(h.recorded == [["101", "101x"]])
    }

    @Test func sourceNestsWithItsOwnLocations() throws {
        let h = try Harness(arguments: ["outer"])
        try h.file("lib.pmx", "# library\n\nrecord lib $1\nfail\nrecord lib-after\n")
        let status = try h.runFile("main.pmx", "record main $1\nsource \(h.directory)/lib.pmx inner\nrecord main-after\n")
        #expect(status == ExitStatus.commandFailed)
        #expect(h.recorded == [["main", "outer"], ["lib", "inner"]])
        #expect(h.executor.location(of: "lib") == ProxmuxShell.SourceLocation(source: h.directory + "/lib.pmx", line: 3, column: 1))
        // Reported once, at the inner location.
        #expect(h.err == "\(h.directory)/lib.pmx:4: boom\n")
        #expect(h.session.arguments == ["outer"])
    }

    @Test func sourceKeepsSettingsAndVariablesAndRestoresArguments() throws {
        let h = try Harness(arguments: ["a"])
        try h.file("lib.pmx", "set errexit off\nset from_lib yes\nfail\n")
        let status = try h.runFile("main.pmx", "source \(h.directory)/lib.pmx x y\nrecord $from_lib $1\n")
        // The sourced file failed (errexit was off inside it), so `source` failed; errexit is now off.
        #expect(h.recorded == [["yes", "a"]])
        #expect(status == ExitStatus.commandFailed)
    }

    @Test func sourcedSyntaxErrorKeepsItsStatusAndIsReportedOnce() throws {
        let h = try Harness()
        try h.file("lib.pmx", "record lib\necho 'open\n")
        #expect(try h.runFile("main.pmx", "source \(h.directory)/lib.pmx\nrecord never\n") == ExitStatus.usage)
        #expect(h.recorded == [["lib"]])
        #expect(h.err == "\(h.directory)/lib.pmx:2: unterminated single quote (opened here)\n  echo 'open\n       ^\n")
    }

    @Test func exitInsideASourcedFileStopsEverything() throws {
        let h = try Harness()
        try h.file("lib.pmx", "exit 4\n")
        #expect(try h.runFile("main.pmx", "source \(h.directory)/lib.pmx\nrecord never\n") == 4)
        #expect(h.recorded.isEmpty)
    }

    @Test func selfSourcingFailsClearly() throws {
        let h = try Harness()
        let path = h.directory + "/loop.pmx"
        let status = try h.runFile("loop.pmx", "source \(path)\n")
        #expect(status == ExitStatus.commandFailed)
        #expect(h.err.contains("nest more than 32 deep"))
    }

    @Test func missingSourceFileNamesIt() throws {
        let h = try Harness()
        #expect(try h.runFile("m.pmx", "source /nonexistent/x.pmx\n") == ExitStatus.commandFailed)
        #expect(h.err.contains("m.pmx:1: cannot read /nonexistent/x.pmx: No such file or directory"))
    }

    @Test func continuationKeepsTheFirstLineNumber() throws {
        let h = try Harness()
        #expect(try h.runFile("c.pmx", "record a \\\n   b \\\n   c\nrecord \"multi\nline\" x\nrecord last\n") == 0)
        #expect(h.recorded == [["a", "b", "c"], ["multi\nline", "x"], ["last"]])
        #expect(h.executor.calls.map(\.location.line) == [1, 4, 6])
    }

    @Test func commandColumnIsPassedOn() throws {
        let h = try Harness()
        _ = try h.runFile("c.pmx", "   record x;  record y\n")
        #expect(h.executor.calls.map(\.location.column) == [4, 15])
    }

    @Test func syntaxErrorShowsLineAndCaret() throws {
        let h = try Harness()
        let status = try h.runFile("bad.pmx", "record ok\n\techo \"abc\n")
        #expect(status == ExitStatus.usage)
        #expect(h.err == "\(h.directory)/bad.pmx:2: unterminated double quote (opened here)\n  \techo \"abc\n  \t     ^\n")
        #expect(h.recorded == [["ok"]])
    }

    @Test func openQuoteOnALaterLineOfAContinuedCommandPointsThere() throws {
        let h = try Harness()
        _ = try h.runFile("bad.pmx", "record a \\\n  'b\n")
        #expect(h.err.hasPrefix("\(h.directory)/bad.pmx:2: unterminated single quote"))
        #expect(h.err.hasSuffix("    'b\n    ^\n"))
    }

    @Test func interruptDuringAScriptStopsItWith130() throws {
        let h = try Harness()
        #expect(try h.runFile("i.pmx", "record a\ninterrupt\nrecord b\n") == ExitStatus.interrupted)
        #expect(h.recorded == [["a"]])
        #expect(h.err.contains("i.pmx:2: interrupted"))
    }

    @Test func sleepWakesUpOnCtrlC() throws {
        let h = try Harness()
        let flag = h.session.interrupt
        let clock = ContinuousClock()
        let started = clock.now
        let raiser = Thread { usleep(150_000); flag.raise() }
        raiser.start()
        let status = try h.runFile("s.pmx", "sleep 5\nrecord never\n")
        #expect(clock.now - started < .seconds(2))
        #expect(status == ExitStatus.interrupted || status == ExitStatus.commandFailed)
        #expect(h.err.contains("sleep: interrupted"))
        #expect(h.recorded.isEmpty)
    }

    @Test func promptPrintsBareErrorsAndCarriesOn() throws {
        let h = try Harness()
        let typed = TypedLines([.line("record a; fail; record skipped"), .line("record b"), .interrupted,
                                .line("echo \"open"), .line("still open\""), .line("echo 'bad"), .endOfInput])
        // The last line stays open at end of input: reported, not run.
        let status = h.loop.run(typed)
        #expect(status == 0)
        #expect(h.recorded == [["a"], ["b"]])
        #expect(h.err.hasPrefix("boom\n"))
        #expect(h.err.contains("unterminated single quote"))
        #expect(h.out == "open\nstill open\n")
        #expect(typed.remembered == ["record a; fail; record skipped", "record b", "echo \"open\nstill open\"", "echo 'bad"])
    }

    @Test func ctrlCAtThePromptEndsTheLineAndLowersTheFlag() throws {
        let h = try Harness()
        let typed = TypedLines([.line("record a; interrupt; record skipped"), .line("record b")])
        #expect(h.loop.run(typed) == 0)
        #expect(h.recorded == [["a"], ["b"]])
        #expect(!h.session.interrupt.isRaised, "the prompt's own requests must not be refused as interrupted")
    }

    @Test func aScriptCommandThatReportedItsInterruptionIsNotReportedTwice() throws {
        let h = try Harness()
        let flag = h.session.interrupt
        let raiser = Thread { usleep(100_000); flag.raise() }
        raiser.start()
        #expect(try h.runFile("s.pmx", "sleep 5\nrecord never\n") == ExitStatus.interrupted)
        #expect(h.err == "\(h.directory)/s.pmx:1: sleep: interrupted\n")
    }

    @Test func promptWithErrexitOffRunsTheRestOfTheLine() throws {
        let h = try Harness()
        let typed = TypedLines([.line("set errexit off"), .line("record a; fail; record b")])
        _ = h.loop.run(typed)
        #expect(h.recorded == [["a"], ["b"]])
    }

    @Test func crlfScriptsWork() throws {
        let h = try Harness()
        #expect(try h.runFile("w.pmx", "record a\r\nrecord b\r\n") == 0)
        #expect(h.recorded == [["a"], ["b"]])
    }
}

#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Temporary directories for tests (removed by the harness).
enum TempDirectory {
    static func make() throws -> String {
        var template = Array((NSTemporaryDirectory() + "/pmx-lang-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { throw ShellError("mkdtemp failed") }
        return String(cString: made)
    }

    static func write(_ text: String, to path: String) throws {
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    static func remove(_ path: String) {
        try? FileManager.default.removeItem(atPath: path)
    }
}
