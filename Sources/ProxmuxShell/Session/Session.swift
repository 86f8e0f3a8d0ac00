import ProxmoxAPI
import PVESchema

/// Everything one shell session knows: where it is connected, where it stands (context), its
/// settings and variables. One instance per shell; no globals.
/// Owners: the command layer (context, client, caches) and the language layer (variables, settings).
public final class Session {
    public var settings: ShellSettings
    /// `set NAME value` variables; script arguments `$1..$n` live in `arguments`.
    public var variables: [String: String] = [:]
    public var arguments: [String] = []

    // Language layer (loop, line reader, scripting verbs):
    /// Raised by Ctrl-C. Long-running command code (task waits, `sleep`) polls `isRaised` and
    /// stops waiting; the loop clears it before each command.
    public let interrupt = InterruptFlag()
    /// Runs `source FILE` through the main loop; set by `ShellLoop` while it runs.
    public weak var scriptRunner: (any ScriptRunner)?
    /// Set by `exit [N]`; every loop level stops after the current command and the shell exits
    /// with this status.
    public var exitRequest: Int32?

    public init(settings: ShellSettings) {
        self.settings = settings
    }
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

    public init() {}
}
