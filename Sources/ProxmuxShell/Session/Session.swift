import ProxmoxAPI
import PVESchema

/// Everything one shell session knows: where it is connected, where it stands (context), its
/// settings and variables. One instance per shell; no globals.
/// Owners: the command layer (context, client, caches) and the language layer (variables, settings).
public final class Session {
    public var settings: ShellSettings {
        didSet { requestTrace.isOn = settings.debug }
    }
    /// `set NAME value` variables; script arguments `$1..$n` live in `arguments`.
    public var variables: [String: String] = [:]
    public var arguments: [String] = []

    // Language layer (loop, line reader, scripting verbs):
    /// Raised by Ctrl-C. Long-running command code (task waits, `sleep`) polls `isRaised` and
    /// stops waiting; the loop clears it before each command.
    public let interrupt = InterruptFlag()
    /// Where `--debug` sends one line per API request (stderr, through the console: see
    /// `traceWriter`); on while `settings.debug` is. Replace it before the first connection to
    /// collect the lines elsewhere (tests).
    public var requestTrace = RequestTrace() {
        didSet { requestTrace.isOn = settings.debug }
    }
    /// Runs `source FILE` through the main loop; set by `ShellLoop` while it runs.
    public weak var scriptRunner: (any ScriptRunner)?
    /// Set by `exit [N]`; every loop level stops after the current command and the shell exits
    /// with this status.
    public var exitRequest: Int32?

    // Command layer (dispatcher, navigation, completion):
    /// Where everything the commands print goes.
    public var console: Console
    /// Name of the configuration profile, shown in the prompt.
    public var profileName: String
    /// Where `cd` has taken the user.
    public var context = NavigationContext()
    /// SSH access to the nodes for `console`; nil when the profile does not configure it.
    public var ssh: SSHAccess?
    /// Answers a yes/no question interactively (the line reader may replace it). Default: read one stdin line.
    public var askYesNo: (String) -> Bool = { question in StandardInput.askYesNo(question) }
    /// Runs external programs (`console`); tests replace it to see the argv without running ssh.
    public var launcher: ProcessLauncher = SpawnLauncher()
    /// Cluster objects for completion and target resolution.
    public let cache = ClusterCache()
    /// Tasks started with `--no-wait` (or left by Ctrl-C), reported before a later prompt.
    public let tasks = TaskCenter()
    /// Asks wizard questions; nil when input is not a terminal (then nothing is asked).
    public var prompter: Prompter?

    /// Creates the API connection on first use, so `help` never touches the network or config.
    var connect: (() throws -> APIBackend)?
    private var connection: APIBackend?
    /// Set by the dispatcher while a mutating command runs under `--dry-run`.
    var dryRunRecorder: DryRunRecorder?

    public init(settings: ShellSettings) {
        self.settings = settings
        self.console = Console()
        self.profileName = "default"
        requestTrace = RequestTrace(write: traceWriter())
        requestTrace.isOn = settings.debug
    }

    /// A session that connects lazily through `connect`.
    public init(settings: ShellSettings, console: Console, profileName: String, connect: @escaping () throws -> APIBackend) {
        self.settings = settings
        self.console = console
        self.profileName = profileName
        self.connect = connect
        requestTrace = RequestTrace(write: traceWriter())
        requestTrace.isOn = settings.debug
    }

    /// The API to use now: the real connection, or a recorder while a dry-run command runs.
    public func api() throws -> APIBackend {
        let base: APIBackend
        if let connection {
            base = connection
        } else {
            guard let connect else { throw ShellError("not connected: no API profile configured (see `proxmux --help` for profiles)") }
            let made = try connect()
            connection = made
            base = made
        }
        if let dryRunRecorder { return DryRunBackend(base: base, recorder: dryRunRecorder) }
        return base
    }

    /// Whether a connection was already made (tests check that `help` stays offline).
    public var isConnected: Bool { connection != nil }

    /// Progress and notes that are not part of a command's result: stdout for text, stderr when the
    /// result is machine-readable so pipes stay clean.
    public func note(_ text: String, format: ShellSettings.OutputFormat? = nil) {
        console.line(text, to: (format ?? settings.output).humanStream)
    }
}

extension ShellSettings.OutputFormat {
    /// Where text meant for people goes (progress, notices, echoed targets, summaries): stdout with
    /// `text`; stderr under json/yaml, so stdout carries only the document and `| jq` keeps working.
    public var humanStream: Console.Stream { self == .text ? .out : .err }
}

/// Switches that change how commands behave; each can be set by an outer flag or `set NAME value`.
public struct ShellSettings: Sendable {
    public enum OutputFormat: String, Sendable, CaseIterable { case text, json, yaml }
    public var output: OutputFormat = .text
    public var noHeader = false
    /// Print the API requests mutating commands would send, without sending them.
    public var dryRun = false
    /// Stop a script at the first failing command.
    public var errexit = true
    /// Answer yes to confirmations (`--yes` on the command line).
    public var assumeYes = false
    /// Reading from a terminal: prompts, colours, confirmations are possible.
    public var interactive = false
    public var color = false
    /// Worker threads for bulk lifecycle commands.
    public var bulkWorkers = 4
    /// Print one line per API request to stderr (`--debug`, `set debug on`); secrets redacted.
    public var debug = false

    public init() {}
}

/// How `console` reaches a node over SSH: as USER@NODE, the node name resolved by ssh itself
/// (DNS, /etc/hosts, or a `Host` entry in ~/.ssh/config, which also sets ports and keys).
public struct SSHAccess: Sendable, Equatable {
    public var user: String
    public init(user: String) {
        self.user = user
    }
}
