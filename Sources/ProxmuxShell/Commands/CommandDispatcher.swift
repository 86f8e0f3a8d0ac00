import PVESchema

/// Runs command lines against the table: parse, check, confirm, dry-run, run, render.
/// This is the `CommandExecutor` the main loop talks to.
public final class CommandDispatcher: CommandExecutor {
    public let session: Session
    public let table: CommandTable
    let parser: CommandParser
    /// Colour for states in text output (the environment decides: tty and no NO_COLOR).
    public var color: Bool { session.settings.color }

    public init(session: Session, table: CommandTable = .standard()) {
        self.session = session
        self.table = table
        self.parser = CommandParser(table: table)
    }

    public func execute(words: [String], at location: SourceLocation) throws {
        guard !words.isEmpty else { return }
        let parsed: ParsedCommand
        do {
            parsed = try parser.parse(words)
        } catch let error as ShellError {
            throw error.asUsage
        }
        let invocation = Invocation(
            spec: parsed.spec, arguments: parsed.arguments, flags: parsed.flags, session: session,
            location: location, table: table)
        // `VERB --debug` traces this command's requests only.
        let tracesThisCommand = invocation.has("debug") && !session.settings.debug
        if tracesThisCommand { session.requestTrace.isOn = true }
        defer { if tracesThisCommand { session.requestTrace.isOn = session.settings.debug } }
        let dryRun = parsed.spec.mutates && invocation.isDryRun
        let recorder = dryRun ? DryRunRecorder() : nil
        session.dryRunRecorder = recorder
        defer {
            session.dryRunRecorder = nil
            if parsed.spec.mutates && !dryRun { session.cache.invalidate() }
        }
        let output: CommandOutput
        do {
            output = try parsed.spec.run(invocation)
        } catch let error as ShellError {
            throw error
        } catch {
            throw ShellError("\(parsed.spec.name): \(error)")
        }
        if let recorder {
            let requests = recorder.requests
            if requests.isEmpty {
                invocation.note("dry run: no requests would be sent")
            } else {
                for request in requests { invocation.note("dry run: \(request)") }
            }
        }
        let renderer = Renderer(
            format: invocation.outputFormat, noHeader: invocation.has("noheader") || session.settings.noHeader,
            color: color && invocation.outputFormat == .text)
        renderer.render(consume output, to: session.console)
        session.console.flush()
    }

    public func complete(_ request: CompletionRequest) -> [Completion] {
        Completer(table: table, session: session).complete(request)
    }

    /// Also the moment before each interactive prompt: tasks left running in the background that
    /// have ended are reported here (one status request per background task).
    public func promptSegments() -> PromptSegments {
        if session.tasks.runningCount > 0, let api = try? session.api() {
            for notice in session.tasks.pendingNotices(using: api) { session.note(notice) }
            session.console.flush()
        }
        let context = session.context
        let selection: String?
        if context.selectedGuest != nil { selection = context.selectionName } else { selection = nil }
        return PromptSegments(profile: session.profileName, path: context.path.description, selection: selection,
                              runningTasks: session.tasks.runningCount)
    }
}
