#if canImport(Glibc)
import Glibc
#endif
import ProxmoxAPI

/// Builds a ready session and dispatcher for `main.swift`. Nothing here touches the network or the
/// config file: the profile is resolved and the client made on the first command that needs the API,
/// so `proxmux -c help` stays offline and fast.
public enum ShellEnvironment {
    /// The usual entry: a profile from `~/.proxmuxrc` / the environment, resolved on first use.
    /// - Parameters:
    ///   - profile: `--profile NAME`, or nil for the default selection (see `ProfileResolver`).
    ///   - askPassword: asked when a profile has a user but no password; nil (scripts) makes that an error.
    ///   - interaction: TLS trust-on-first-use and TFA prompts for the client.
    public static func make(
        profile: String?, settings: ShellSettings, console: Console = Console(),
        askPassword: ((String) -> String?)? = nil, interaction: ClientInteraction = ClientInteraction(warn: { StandardError.write($0) })
    ) -> (Session, CommandDispatcher) {
        let session = Session(settings: settings)
        let dispatcher = attach(to: session, console: console, profile: profile, askPassword: askPassword, interaction: interaction)
        return (session, dispatcher)
    }

    /// Makes a session built by the main loop (`OuterCommandLine`) a cluster session and returns the
    /// dispatcher to run its commands. `main.swift`:
    /// `OuterCommandLine.run(args) { options, session, console in ShellEnvironment.attach(to: session, console: console, profile: options.profile) }`
    public static func attach(
        to session: Session, console: Console, profile: String?, askPassword: ((String) -> String?)? = nil,
        interaction: ClientInteraction = ClientInteraction(warn: { StandardError.write($0) })
    ) -> CommandDispatcher {
        let environment = ProfileResolver.currentEnvironment()
        session.console = console
        session.profileName = profile ?? environment["PROXMUX_PROFILE"].flatMap { $0.isEmpty ? nil : $0 } ?? "pmx"
        if session.settings.interactive, session.prompter == nil { session.prompter = PlainPrompter(console: console) }
        // At a terminal the prompt should name the real profile from the start: read the config now
        // (no network). If that needs a password or fails, the first command resolves it and reports.
        var early: ResolvedProfile?
        if session.settings.interactive, let resolved = try? ProfileResolver.resolve(profileName: profile, environment: environment) {
            early = resolved
            session.profileName = resolved.name
            if session.ssh == nil, let user = resolved.sshUser { session.ssh = SSHAccess(user: user) }
        }
        session.connect = { [weak session, early] in
            let resolved = try early ?? ProfileResolver.resolve(profileName: profile, environment: environment, askPassword: askPassword)
            var clientInteraction = interaction
            if clientInteraction.otpProvider == nil { clientInteraction.otpProvider = resolved.otpProvider }
            if let session {
                session.profileName = resolved.name
                if session.ssh == nil, let user = resolved.sshUser { session.ssh = SSHAccess(user: user) }
            }
            let client = PVEClient(settings: resolved.settings, interaction: clientInteraction)
            session?.hook(client)
            return PVEClientBackend(client: client)
        }
        return CommandDispatcher(session: session)
    }

    /// A session on any backend (tests, embedding).
    /// - Parameters:
    ///   - profileName: shown in the prompt.
    ///   - connect: makes the API connection (called at most once, on first use).
    public static func make(
        profileName: String, settings: ShellSettings, console: Console = Console(), ssh: SSHAccess? = nil,
        connect: @escaping () throws -> APIBackend
    ) -> (Session, CommandDispatcher) {
        var settings = settings
        settings.color = settings.color || wantsColor(console)
        let session = Session(settings: settings, console: console, profileName: profileName, connect: connect)
        session.ssh = ssh
        return (session, CommandDispatcher(session: session))
    }

    /// Colour only on a terminal, never with `NO_COLOR` set (any value).
    public static func wantsColor(_ console: Console) -> Bool {
        console.isTerminal && getenv("NO_COLOR") == nil
    }
}

/// Unbuffered writes to standard error from any thread (client warnings).
public enum StandardError {
    public static func write(_ text: String) {
        let bytes = Array((text.hasSuffix("\n") ? text : text + "\n").utf8)
        _ = bytes.withUnsafeBytes { Glibc.write(2, $0.baseAddress, $0.count) }
    }
}
