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
        let environment = ProfileResolver.currentEnvironment()
        let shown = profile ?? environment["PROXMUX_PROFILE"].flatMap { $0.isEmpty ? nil : $0 } ?? "pmx"
        let holder = SessionHolder()
        let made = make(profileName: shown, settings: settings, console: console) {
            let resolved = try ProfileResolver.resolve(profileName: profile, environment: environment, askPassword: askPassword)
            var clientInteraction = interaction
            if clientInteraction.otpProvider == nil { clientInteraction.otpProvider = resolved.otpProvider }
            if let session = holder.session {
                session.profileName = resolved.name
                if session.ssh == nil, let user = resolved.sshUser { session.ssh = SSHAccess(user: user) }
            }
            return PVEClientBackend(client: PVEClient(settings: resolved.settings, interaction: clientInteraction))
        }
        holder.session = made.0
        return made
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

/// Lets the lazy connect closure update the session it belongs to without a retain cycle.
private final class SessionHolder {
    weak var session: Session?
}

/// Unbuffered writes to standard error from any thread (client warnings).
public enum StandardError {
    public static func write(_ text: String) {
        let bytes = Array((text.hasSuffix("\n") ? text : text + "\n").utf8)
        _ = bytes.withUnsafeBytes { Glibc.write(2, $0.baseAddress, $0.count) }
    }
}
