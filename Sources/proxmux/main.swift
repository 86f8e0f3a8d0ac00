import ProxmuxShell
#if canImport(Glibc)
import Glibc
#endif

// Until the command layer's dispatcher is merged, only the scripting verbs run (see
// ScriptingOnlyExecutor); the loop, scripts and line editor are the real ones.
let status = OuterCommandLine.run(Array(CommandLine.arguments.dropFirst())) { options, session, console in
    ScriptingOnlyExecutor(session: session, console: console, profile: options.profile ?? "local")
}
exit(status)
