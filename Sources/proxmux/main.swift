import ProxmuxShell
import PVESchema
#if canImport(Glibc)
import Glibc
#endif

PageAdvice.keepBlocksOnOneHeap()

// Outer flags and the loop come from the language layer; the command layer connects lazily,
// so `proxmux -c help` reads no config and opens no connection.
OuterCommandLine.run(Array(CommandLine.arguments.dropFirst())) { options, session, console in
    ShellEnvironment.attach(to: session, console: console, profile: options.profile)
} exit: { status in
    // Everything is written and saved by now (the loop flushed the console and saved history).
    // Leave without the C library's exit handlers: OpenSSL and libcurl tearing down their tables
    // cost 1-3 ms per run and change nothing for a finished one.
    fflush(nil)
    _exit(status)
}
