import ProxmuxShell
#if canImport(Glibc)
import Glibc
#endif

// Outer flags and the loop come from the language layer; the command layer connects lazily,
// so `proxmux -c help` reads no config and opens no connection.
let status = OuterCommandLine.run(Array(CommandLine.arguments.dropFirst())) { options, session, console in
    ShellEnvironment.attach(to: session, console: console, profile: options.profile)
}
exit(status)
