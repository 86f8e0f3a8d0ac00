#if canImport(Glibc)
import Glibc
#endif

/// Builds a ready session and dispatcher for `main.swift`. Nothing here touches the network or the
/// config file: the connection is made on the first command that needs the API.
public enum ShellEnvironment {
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
