import PVESchema

/// Exit statuses of the `proxmux` process (and of a sourced script).
public enum ExitStatus {
    public static let success: Int32 = 0
    /// A command failed (the executor threw).
    public static let commandFailed: Int32 = 1
    /// Bad usage: a syntax or expansion error in the shell language, or bad outer flags.
    public static let usage: Int32 = 2
    /// Stopped by Ctrl-C while running a script.
    public static let interrupted: Int32 = 130
}

/// Runs `source FILE` on behalf of the `source` verb. `ShellLoop` is the implementation; the
/// session holds it weakly as `session.scriptRunner`.
public protocol ScriptRunner: AnyObject {
    /// Runs the file through the loop, nested in the current run. `arguments`, when given,
    /// replace `$1..$n` for the file's duration. Returns the file's exit status; errors inside it
    /// have already been printed. Throws `ShellError` when the file cannot be read or sources
    /// nest too deeply.
    func runSource(path: String, arguments: [String]?) throws(ShellError) -> Int32
}

/// Thrown by a verb whose failure was already reported (a sourced script that stopped): the loop
/// counts it as a failure with `status` but prints nothing more.
public struct ReportedFailure: Error, CustomStringConvertible {
    public let status: Int32
    public init(status: Int32) { self.status = status }
    public var description: String { "failed with status \(status)" }
}

/// The one read–lex–expand–execute loop, for every input: the prompt, a pipe, a script file,
/// `-c`, and (re-entrantly) `source FILE`.
///
/// - Each command's words go to `executor.execute(words:at:)` with its file, line (the first
///   line of a continued command) and column.
/// - Errors print as `FILE:LINE: message` in scripts, the bare message at the prompt; syntax and
///   expansion errors add the line and a caret under the column.
/// - In scripts, with `errexit` on (the default), the first failure stops the run; its status
///   becomes the exit status (1 command error, 2 syntax/usage). With `errexit off` the run goes
///   on and ends with the last failure's status. At the prompt nothing stops the session, but a
///   failure skips the rest of that line's `;`-separated commands while `errexit` is on.
/// - `exit [N]` stops every level; Ctrl-C during a script stops it with 130.
public final class ShellLoop: ScriptRunner {
    public let session: Session
    public let executor: CommandExecutor
    public let console: Console
    /// `source` nesting limit (a file sourcing itself fails with a clear error, not a crash).
    public static let maxDepth = 32
    private var depth = 0
    /// Status of a `source` that failed inside the current command: its errors are already
    /// printed, so the loop counts the failure without printing whatever the executor made of it.
    private var reportedStatus: Int32?

    public init(session: Session, executor: CommandExecutor, console: Console) {
        self.session = session
        self.executor = executor
        self.console = console
        session.scriptRunner = self
    }

    /// Reads and runs commands until the input ends, `exit`, or (in scripts) an error with
    /// errexit on. Returns the exit status.
    public func run(_ source: LineSource) -> Int32 {
        depth += 1
        defer { depth -= 1 }
        var lastFailure = ExitStatus.success
        var lineNumber = 0
        let interactive = source.isInteractive

        while true {
            if let exit = session.exitRequest { return exit }
            let first: String
            switch source.nextLine(continuation: false) {
            case .line(let text): first = text
            case .endOfInput: return interactive ? ExitStatus.success : lastFailure
            case .interrupted:
                if interactive { session.interrupt.clear(); continue }
                return ExitStatus.interrupted
            }
            lineNumber += 1
            let firstLine = lineNumber
            var lines = [first]

            // Lex, reading more lines while a quote or a trailing backslash keeps the command open.
            var commands: [RawCommand] = []
            var failure: SyntaxError?
            lexing: while true {
                do {
                    switch try Lexer.lex(lines.joined(separator: "\n")) {
                    case .complete(let parsed):
                        commands = parsed
                        break lexing
                    case .incomplete(let pending):
                        switch source.nextLine(continuation: true) {
                        case .line(let more):
                            lineNumber += 1
                            lines.append(more)
                        case .endOfInput:
                            failure = pending
                            break lexing
                        case .interrupted:
                            if interactive { session.interrupt.clear(); lines = []; break lexing }
                            return ExitStatus.interrupted
                        }
                    }
                } catch {
                    failure = error
                    break lexing
                }
            }
            if lines.isEmpty { continue }
            if interactive { source.remember(lines.joined(separator: "\n")) }
            if let failure {
                let status = report(failure, source: source, firstLine: firstLine, lines: lines)
                lastFailure = status
                if !interactive && session.settings.errexit { return status }
                continue
            }

            for command in commands {
                let status = runCommand(command, source: source, firstLine: firstLine, lines: lines)
                if let exit = session.exitRequest { return exit }
                if !interactive && session.interrupt.isRaised {
                    // A command that failed because of Ctrl-C has said so (e.g. what a cut-off write may have done).
                    if status == ExitStatus.success {
                        let line = firstLine + command.position.line - 1
                        console.error(prefix(source, line) + "interrupted")
                    }
                    return ExitStatus.interrupted
                }
                if interactive && session.interrupt.isRaised {
                    // Ctrl-C ends the whole line, as in a Unix shell; lower the flag so the prompt's
                    // own requests (task notices, TAB) are not refused as interrupted.
                    session.interrupt.clear()
                    break
                }
                guard status != ExitStatus.success else { continue }
                lastFailure = status
                if session.settings.errexit {
                    if interactive { break }
                    return status
                }
            }
        }
    }

    /// Expands and executes one command; prints its error. Returns its status.
    private func runCommand(_ command: RawCommand, source: LineSource, firstLine: Int, lines: [String]) -> Int32 {
        let words: [Word]
        do {
            words = try Expander(variables: session.variables, arguments: session.arguments).expand(command)
        } catch {
            return report(error, source: source, firstLine: firstLine, lines: lines)
        }
        guard !words.isEmpty else { return ExitStatus.success }
        let line = firstLine + command.position.line - 1
        let location = SourceLocation(source: source.name, line: line, column: command.position.column)
        session.interrupt.clear()
        reportedStatus = nil
        defer {
            reportedStatus = nil
            // Nothing more for the second core until the next command (see `SpareThread.rest`).
            SpareThread.shared.rest()
        }
        do {
            try executor.execute(words: words.map(\.text), at: location)
            console.flush()
            return ExitStatus.success
        } catch let error as SyntaxError {
            return report(error, source: source, firstLine: firstLine, lines: lines)
        } catch {
            console.flush()
            // A failed `source` (the executor may have wrapped its ReportedFailure).
            if let status = reportedStatus ?? (error as? ReportedFailure)?.status { return status }
            console.error(prefix(source, line) + String(describing: error))
            return (error as? ShellError)?.isUsage == true ? ExitStatus.usage : ExitStatus.commandFailed
        }
    }

    /// Prints a syntax error with the offending line and a caret; returns the usage status.
    private func report(_ error: SyntaxError, source: LineSource, firstLine: Int, lines: [String]) -> Int32 {
        console.flush()
        let index = error.position.line - 1
        console.error(prefix(source, firstLine + index) + error.message)
        if lines.indices.contains(index) {
            let text = lines[index]
            // Keep tabs so the caret lines up with what the terminal shows.
            let lead = text.prefix(max(0, error.position.column - 1)).map { $0 == "\t" ? "\t" : " " }.joined()
            console.error("  " + text)
            console.error("  " + lead + "^")
        }
        return ExitStatus.usage
    }

    private func prefix(_ source: LineSource, _ line: Int) -> String {
        source.name.map { "\($0):\(line): " } ?? ""
    }

    // MARK: - ScriptRunner

    public func runSource(path: String, arguments: [String]?) throws(ShellError) -> Int32 {
        guard depth < Self.maxDepth else {
            throw ShellError("source: files nest more than \(Self.maxDepth) deep (does \(path) source itself?)")
        }
        let file = try TextSource.file(path)
        let saved = session.arguments
        if let arguments { session.arguments = arguments }
        defer { if arguments != nil { session.arguments = saved } }
        let status = run(file)
        reportedStatus = status == ExitStatus.success ? nil : status
        return status
    }
}
