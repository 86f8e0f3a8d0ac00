#if canImport(Glibc)
import Glibc
#endif

/// Starts an external program with the terminal attached and waits for it.
public protocol ProcessLauncher {
    /// Runs `argv[0]` found on PATH; returns its exit status.
    func run(_ argv: [String]) throws -> Int32
}

/// `posix_spawnp` with inherited stdio. Arguments must never carry secrets (they show in `ps`).
public struct SpawnLauncher: ProcessLauncher {
    public init() {}

    public func run(_ argv: [String]) throws -> Int32 {
        guard let program = argv.first else { throw ShellError("nothing to run") }
        var cArgs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) }
        cArgs.append(nil)
        defer { for p in cArgs { free(p) } }
        var pid: pid_t = 0
        let rc = posix_spawnp(&pid, program, nil, nil, cArgs, environ)
        guard rc == 0 else { throw ShellError("could not run \(program): \(String(cString: strerror(rc)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            if errno != EINTR { throw ShellError("lost track of \(program): \(String(cString: strerror(errno)))") }
        }
        // WIFEXITED/WEXITSTATUS are macros; decode the wait status by hand.
        return (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }
}

/// Reads yes/no answers from standard input (used when no line editor supplies its own).
enum StandardInput {
    static func askYesNo(_ question: String) -> Bool {
        // On stderr, like `rm -i`: stdout may be a pipe that expects only `-o json` output.
        let text = Array((question + " [y/N] ").utf8)
        _ = text.withUnsafeBytes { Glibc.write(2, $0.baseAddress, $0.count) }
        guard let line = readLine(strippingNewline: true) else { return false }
        let answer = line.trimmingCharacters(in: " \t").lowercased()
        return answer == "y" || answer == "yes"
    }
}

extension String {
    /// Drops leading and trailing characters from `set`.
    func trimmingCharacters(in set: String) -> String {
        var slice = Substring(self)
        while let f = slice.first, set.contains(f) { slice.removeFirst() }
        while let l = slice.last, set.contains(l) { slice.removeLast() }
        return String(slice)
    }
}
