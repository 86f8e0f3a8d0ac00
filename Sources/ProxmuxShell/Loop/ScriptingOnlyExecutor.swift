/// A stand-in `CommandExecutor` that knows only the scripting verbs (`CommandSpec.scripting`).
/// It exists so the `proxmux` binary runs — language, scripts, line editor — before the command
/// layer's dispatcher is wired into `main.swift`; every other verb is refused with a message that
/// says so. Delete it once the real dispatcher is in.
public final class ScriptingOnlyExecutor: CommandExecutor {
    private let session: Session
    private let console: Console
    private let profile: String

    public init(session: Session, console: Console, profile: String = "local") {
        self.session = session
        self.console = console
        self.profile = profile
    }

    public func execute(words: [String], at location: SourceLocation) throws {
        guard let verb = words.first else { return }
        guard let spec = CommandSpec.scripting.first(where: { $0.name == verb || $0.aliases.contains(verb) }) else {
            let known = CommandSpec.scripting.map(\.name).joined(separator: ", ")
            throw ShellError("unknown command '\(verb)': this build has only the scripting verbs (\(known)); the cluster commands are not wired in yet")
        }
        let arguments = Array(words.dropFirst())
        let required = spec.arguments.filter { !$0.optional }.count
        let variadic = spec.arguments.contains { $0.variadic }
        if arguments.count < required {
            throw ShellError("\(verb): missing \(spec.arguments[arguments.count].name)")
        }
        if !variadic && arguments.count > spec.arguments.count {
            throw ShellError("\(verb): unexpected '\(arguments[spec.arguments.count])'")
        }
        let invocation = Invocation(spec: spec, arguments: arguments, flags: [:], session: session, location: location)
        switch try spec.run(invocation) {
        case .message(let text): console.line(text)
        default: break
        }
    }

    public func complete(_ request: CompletionRequest) -> [Completion] {
        guard request.words.isEmpty else { return [] }
        return CommandSpec.scripting.filter { $0.name.hasPrefix(request.prefix) }.map { Completion($0.name, detail: $0.abstract) }
    }

    public func promptSegments() -> PromptSegments { PromptSegments(profile: profile, path: "/") }
}
