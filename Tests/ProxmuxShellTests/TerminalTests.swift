import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif
@testable import ProxmuxShell

struct HistoryPolicyTests {
    static let secretLines = [
        "api set /access/password password=hunter2",
        "api create /access/ticket username=root@pam Password=x",
        "set DB_PASSWORD hunter2",
        "set apiToken abc",
        "set my_secret 1",
        "login --password hunter2",
        "login --password=hunter2",
        "profile add lab --token-secret 0000-1111",
        "profile add lab --token root@pam!ci=aaaa-bbbb",
        "echo PVEAPIToken=root@pam!ci=abc",
        "echo ok; set TICKET PVE:root@pam:65F0::sig",
        "api get /x 'secret=quoted'",
        "echo \"multi\nline password=x\"",
    ]
    static let harmlessLines = [
        "start 101", "set vm 101", "echo the password policy is strict", "snapshot create pre-upgrade",
        "ls /access/users", "cd /nodes/pve1", "set node pve1; start web01",
    ]

    @Test(arguments: secretLines)
    func secretsAreKeptOut(_ line: String) { #expect(!HistoryPolicy.mayRecord(line)) }

    @Test(arguments: harmlessLines)
    func ordinaryLinesAreKept(_ line: String) { #expect(HistoryPolicy.mayRecord(line)) }

    @Test func historyFileHasNoSecretsAndMode0600() throws {
        let directory = try TempDirectory.make()
        defer { TempDirectory.remove(directory) }
        let path = directory + "/history"
        let reader = try LibeditReader(console: Console.capturing(), interrupt: InterruptFlag(),
                                   history: .init(path: path, size: 50))
        reader.remember("start 101")
        reader.remember("set PASSWORD hunter2")
        reader.remember("api create /access/ticket password=s3cret")
        reader.remember("stop 101")
        reader.close()
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.contains("start\\040101") && text.contains("stop\\040101"))
        #expect(!text.contains("hunter2") && !text.contains("s3cret"))
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
    }
}

struct PromptTests {
    @Test func segmentsBecomeThePrompt() {
        let plain = PromptRenderer(color: false).prompt(for: PromptSegments(profile: "home", path: "/nodes/pve1/101", selection: "web01", runningTasks: 2))
        #expect(plain.text == "pmx home:/nodes/pve1/101(web01) [2 tasks]> ")
        #expect(plain.plain == plain.text)
        #expect(PromptRenderer(color: false).prompt(for: PromptSegments(profile: "p", path: "/", runningTasks: 1)).plain == "pmx p:/ [1 task]> ")
    }

    @Test func coloursAreWrappedSoTheyTakeNoColumns() {
        let prompt = PromptRenderer(color: true).prompt(for: PromptSegments(profile: "home", path: "/"))
        #expect(prompt.text.contains("\u{1}\u{1B}[32m\u{1}home\u{1}\u{1B}[0m\u{1}"))
        // Removing the wrapped sequences leaves exactly the plain prompt.
        var visible = ""
        var hidden = false
        for c in prompt.text {
            if c == Prompt.escapeMarker { hidden.toggle() } else if !hidden { visible.append(c) }
        }
        #expect(visible == prompt.plain)
    }
}

/// The real binary in a tmux pane, driven with keys and read back from the screen — the way a
/// person sees it. Each test has its own tmux server socket and HOME, and none of the runner's
/// PROXMUX_ variables (see `RunnerEnvironment`).
final class TmuxShell {
    let socket = "pmx-lang-test-\(UInt32.random(in: 0...UInt32.max))"
    let home: String

    /// - Parameter stdoutFile: a file in `home` that takes the binary's stdout instead of the pane.
    /// - Parameter waitForPrompt: false when the shell is expected not to get as far as a prompt.
    init(extraEnvironment: String = "NO_COLOR=1", editrc: String? = nil, stdoutFile: String? = nil,
         waitForPrompt: Bool = true, width: Int = 120, height: Int = 30) throws {
        home = try TempDirectory.make()
        if let editrc { try TempDirectory.write(editrc, to: home + "/.editrc") }
        // -u NO_COLOR: the runner may export it; colour is decided by `extraEnvironment` alone.
        let command = "env -u NO_COLOR HOME=\(home) TERM=xterm-256color \(extraEnvironment) \(Binary.path) \(stdoutFile.map { "> \(home)/\($0)" } ?? ""); echo EXIT=$?; sleep 60"
        // The tmux server daemonises and keeps inherited descriptors: give it no pipes to hold.
        try tmux(["new-session", "-d", "-x", String(width), "-y", String(height), command], capture: false)
        if waitForPrompt { try waitFor { $0.contains("pmx ") } }
    }

    deinit {
        _ = try? tmux(["kill-server"])
        TempDirectory.remove(home)
    }

    @discardableResult
    func tmux(_ arguments: [String], capture: Bool = true) throws -> String {
        try Spawn.run("/usr/bin/tmux", ["-L", socket] + arguments, capture: capture)
    }

    func send(_ keys: String...) throws { try tmux(["send-keys"] + keys) }
    /// Literal text (no key-name lookup).
    func type(_ text: String) throws { try tmux(["send-keys", "-l", text]) }

    /// Types `line` and presses Enter.
    func enter(_ line: String) throws {
        try type(line)
        try send("Enter")
    }

    func screen(escapes: Bool = false) throws -> String {
        try tmux(["capture-pane", "-p"] + (escapes ? ["-e"] : []))
    }

    var lines: [String] { get throws { try screen().split(separator: "\n").map(String.init) } }

    /// Polls the screen until `predicate` holds (5 s at most); returns the screen.
    @discardableResult
    func waitFor(_ what: String = "", _ predicate: (String) -> Bool) throws -> String {
        let deadline = ContinuousClock.now + .seconds(5)
        var text = ""
        while ContinuousClock.now < deadline {
            text = try screen()
            if predicate(text) { return text }
            usleep(50_000)
        }
        Issue.record("timed out waiting for \(what); screen:\n\(text)")
        return text
    }

    /// Polls the screen and what scrolled off it until `text` shows `count` times (30 s at most:
    /// long flows on a busy test machine); returns that text. tmux drops trailing blanks, so
    /// `text` should not end in one.
    @discardableResult
    func waitFor(_ text: String, count: Int) throws -> String {
        let deadline = ContinuousClock.now + .seconds(30)
        var shown = ""
        while ContinuousClock.now < deadline {
            shown = try tmux(["capture-pane", "-p", "-J", "-S", "-200"])
            if shown.components(separatedBy: text).count - 1 >= count { return shown }
            usleep(100_000)
        }
        throw ShellError("never saw '\(text)' (×\(count)) on screen:\n\(shown)")
    }

    func waitForLine(_ line: String) throws {
        try waitFor(line) { $0.split(separator: "\n").contains { $0 == line } }
    }
}

@Suite(.serialized, .enabled(if: FileManager.default.isExecutableFile(atPath: Binary.path)
    && FileManager.default.isExecutableFile(atPath: "/usr/bin/tmux"), "needs the proxmux binary and tmux"))
struct TerminalTests {
    @Test func promptHistoryRecallCtrlCAndCtrlD() throws {
        let t = try TmuxShell()
        #expect(try t.lines.last?.hasPrefix("pmx ") == true)
        try t.type("echo first")
        try t.send("Enter")
        try t.waitForLine("first")

        // Ctrl-C drops the typed line: Enter afterwards runs nothing.
        try t.type("echo discarded")
        try t.waitFor("typed line") { $0.contains("> echo discarded") }
        try t.send("C-c")
        try t.waitFor("^C") { $0.contains("discarded^C") }
        try t.send("Enter")
        usleep(300_000)
        #expect(try !t.lines.contains("discarded"))

        // Up recalls the last command.
        try t.send("Up")
        try t.waitFor("recalled line") { $0.split(separator: "\n").last?.hasSuffix("> echo first") == true }
        try t.send("Enter")
        try t.waitFor("second run") { $0.split(separator: "\n").filter { $0 == "first" }.count == 2 }

        // Ctrl-D leaves cleanly on a fresh line.
        try t.send("C-d")
        try t.waitForLine("EXIT=0")
    }

    /// `clear` empties the screen as Ctrl-L does: only the next prompt is left.
    @Test func clearEmptiesTheScreen() throws {
        let t = try TmuxShell()
        try t.enter("echo before")
        try t.waitForLine("before")
        try t.enter("clear")
        let screen = try t.waitFor("a cleared screen") { !$0.contains("before") }
        #expect(screen.split(separator: "\n").map(String.init).filter { !$0.isEmpty }.count == 1)
        #expect(try t.lines.first?.hasPrefix("pmx ") == true)
    }

    /// With stdout redirected, the prompt and the typed line stay on the terminal (stderr) and the
    /// file gets only what the commands print.
    @Test func promptsStayOnTheTerminalWhenStdoutIsRedirected() throws {
        let file = "stdout.txt"
        let t = try TmuxShell(stdoutFile: file)
        try t.type("echo into the file")
        try t.send("Enter")
        try t.waitFor("second prompt") { $0.split(separator: "\n").filter { $0.hasPrefix("pmx ") }.count == 2 }
        #expect(try t.screen().contains("> echo into the file"))
        #expect(try !t.lines.contains("into the file"))
        try t.send("C-d")
        try t.waitForLine("EXIT=0")
        let text = try String(contentsOfFile: t.home + "/" + file, encoding: .utf8)
        #expect(text == "into the file\n")
    }

    @Test func tabCompletesAndLists() throws {
        let t = try TmuxShell()
        try t.type("ec")
        try t.send("Tab")
        // capture-pane trims the trailing blank; `done` printing proves it was inserted.
        try t.waitFor("completed verb") { $0.split(separator: "\n").last?.hasSuffix("> echo") == true }
        try t.type("done")
        try t.send("Enter")
        try t.waitForLine("done")
        try t.type("s")
        try t.send("Tab")
        try t.waitFor("candidate list") { s in s.contains("sleep") && s.contains("source") }
        #expect(try t.lines.last?.hasSuffix("> s") == true)
    }

    /// libedit is opened only for a terminal session: without it that session says what to do,
    /// and `-c` (like scripts) still runs.
    @Test func withoutLibeditTheTerminalSessionSaysWhatToDo() throws {
        let missing = "/nonexistent/libedit.so.2"
        let t = try TmuxShell(extraEnvironment: "NO_COLOR=1 PROXMUX_LIBEDIT=\(missing)", waitForPrompt: false)
        let screen = try t.waitFor("exit status") { $0.contains("EXIT=") }
        #expect(screen.contains("the interactive shell needs libedit (\(missing): cannot open shared object file"))
        #expect(screen.contains("EXIT=1"))
        #expect(!screen.contains("pmx "))
        let oneLine = try Binary.run(["-c", "echo still fine"], environment: ["PROXMUX_LIBEDIT": missing])
        #expect(oneLine.status == 0 && oneLine.out == "still fine\n" && oneLine.err.isEmpty)
    }

    @Test func ctrlCInterruptsARunningCommand() throws {
        let t = try TmuxShell()
        try t.type("sleep 30")
        try t.send("Enter")
        usleep(400_000)
        let clock = ContinuousClock()
        let started = clock.now
        try t.send("C-c")
        try t.waitFor("interrupted") { $0.contains("sleep: interrupted") }
        #expect(clock.now - started < .seconds(3))
        try t.type("echo alive")
        try t.send("Enter")
        try t.waitForLine("alive")
    }

    @Test func secretsNeverReachTheHistoryFile() throws {
        let t = try TmuxShell()
        try t.enter("set PASSWORD hunter2")
        try t.enter("echo visible")
        try t.waitForLine("visible")
        try t.send("C-d")
        try t.waitForLine("EXIT=0")
        let text = try String(contentsOfFile: t.home + "/.proxmux_history", encoding: .utf8)
        #expect(text.contains("visible"))
        #expect(!text.contains("hunter2"))
        let mode = try FileManager.default.attributesOfItem(atPath: t.home + "/.proxmux_history")[.posixPermissions] as? Int
        #expect(mode == 0o600)
    }

    @Test func colouredPromptKeepsTheCursorInTheRightColumn() throws {
        let t = try TmuxShell(extraEnvironment: "")
        let styled = try t.screen(escapes: true)
        #expect(styled.contains("\u{1B}[32m"))
        try t.type("ab")
        try t.waitFor("typed") { $0.contains("> ab") }
        // The cursor sits right after the typed text: the escapes took no columns.
        let line = try t.lines.last ?? ""
        let column = try t.tmux(["display-message", "-p", "#{cursor_x}"]).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(line.hasSuffix("> ab"))
        #expect(Int(column) == line.count)
    }

    @Test func noColorMeansNoEscapes() throws {
        let t = try TmuxShell(extraEnvironment: "NO_COLOR=1")
        #expect(try !t.screen(escapes: true).contains("\u{1B}[3"))
    }

    @Test func editrcSelectsViMode() throws {
        let t = try TmuxShell(editrc: "bind -v\n")
        try t.type("echo abcX")
        try t.send("Escape")
        usleep(200_000)
        try t.send("x")
        try t.send("Enter")
        try t.waitForLine("abc")
    }

    @Test func utf8InputIsEditedByCharacter() throws {
        let t = try TmuxShell()
        try t.type("echo wörld aö")
        try t.send("BSpace")
        try t.type("b")
        try t.send("Enter")
        try t.waitForLine("wörld ab")
    }
}

/// posix_spawn + waitpid, with an empty signal mask and default SIGINT in the child: the test
/// runner's worker threads block most signals and a spawned tmux (and the shell inside it) would
/// inherit that. Foundation's Process also never noticed tmux clients exiting here. The child
/// gets `RunnerEnvironment.withoutProxmux`.
enum Spawn {
    static func run(_ path: String, _ arguments: [String], capture: Bool) throws -> String {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGINT)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        var fds: [Int32] = [-1, -1]
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        if capture {
            guard pipe(&fds) == 0 else { throw ShellError("pipe failed") }
            posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
            posix_spawn_file_actions_addclose(&actions, fds[0])
            posix_spawn_file_actions_addclose(&actions, fds[1])
        } else {
            posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        }
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid = pid_t()
        let variables = RunnerEnvironment.withoutProxmux.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { variables.forEach { free($0) } }
        let rc = posix_spawn(&pid, path, &actions, &attributes, argv, variables)
        if capture { close(fds[1]) }
        guard rc == 0 else {
            if capture { close(fds[0]) }
            throw ShellError("cannot run \(path): error \(rc)")
        }
        var output: [UInt8] = []
        if capture {
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let n = read(fds[0], &buffer, buffer.count)
                if n > 0 { output += buffer[0..<n] } else if n < 0 && errno == EINTR { continue } else { break }
            }
            close(fds[0])
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return String(decoding: output, as: UTF8.self)
    }

}

/// The terminal against a live (simulated) cluster: the real binary, the real client over HTTP
/// on loopback, a private config file.
@Suite(.serialized, .enabled(if: FileManager.default.isExecutableFile(atPath: Binary.path)
    && FileManager.default.isExecutableFile(atPath: "/usr/bin/tmux"), "needs the proxmux binary and tmux"))
struct LiveTerminalTests {
    /// Starts the simulator and a shell configured for it.
    private func liveShell() throws -> (TmuxShell, SimulatorHandle, String) {
        let handle = try SimulatorHandle(.standard())
        let directory = try TempDirectory.make()
        let config = directory + "/proxmuxrc"
        try TempDirectory.write("""
            default-profile = sim

            [profile sim]
            url = http://127.0.0.1:\(handle.simulator.port)
            token = \(MemorySimCluster.tokenID)
            secret = \(MemorySimCluster.secret)

            """, to: config)
        chmod(config, 0o600)
        let shell = try TmuxShell(extraEnvironment: "NO_COLOR=1 PROXMUX_CONFIG=\(config)")
        return (shell, handle, directory)
    }

    @Test func promptFollowsCdAndTabCompletesALiveGuestName() throws {
        let (t, handle, configDirectory) = try liveShell()
        defer {
            withExtendedLifetime(handle) {}
            TempDirectory.remove(configDirectory)
        }
        try t.type("cd /vms")
        try t.send("Enter")
        try t.waitFor("prompt after cd") { $0.split(separator: "\n").last?.hasSuffix(":/vms>") == true }

        try t.type("show db")
        try t.send("Tab")
        try t.waitFor("completed guest") { $0.split(separator: "\n").last?.contains("show db01") == true }
        try t.send("C-u")
        try t.type("show web0")
        try t.send("Tab")
        try t.waitFor("both web guests listed") { $0.contains("web01") && $0.contains("web02") }
        // `start` offers only stopped guests: web02 is the one.
        try t.send("C-u")
        try t.type("start web0")
        try t.send("Tab")
        try t.waitFor("stopped guest completed") { $0.split(separator: "\n").last?.hasSuffix("start web02") == true }
    }
}
