/// The language's own verbs: variables, settings, `echo`, `sleep`, `source`, `exit`.
/// The command table includes `CommandSpec.scripting`; nothing here knows about the cluster.
extension CommandSpec {
    public static let scripting: [CommandSpec] = [
        CommandSpec(
            name: "set", group: .scripting,
            abstract: "Set a variable or a setting; alone, list them",
            discussion: """
                `set NAME VALUE` stores a variable, used later as $NAME or ${NAME}.
                Settings share the verb: `set errexit on|off` (stop a script at the first error, \
                default on), `set dryrun on|off` (print API requests instead of sending them), \
                `set output text|json|yaml`, `set noheader on|off`, `set debug on|off` (one line per \
                API request on stderr, secrets redacted). `set NAME` shows one value.
                """,
            examples: ["set vm 101", "set errexit off", "set output json", "set"],
            arguments: [
                ArgumentSpec("name", help: "variable or setting name", completion: .anyOf([.settings, .variables]), optional: true),
                ArgumentSpec("value", help: "the new value: on or off, or an output format, for a setting; any text for a variable (quote it if it has blanks)",
                             completion: .settingValues, optional: true),
            ],
            run: { try ScriptingVerbs.set($0) }
        ),
        CommandSpec(
            name: "unset", group: .scripting,
            abstract: "Forget a variable",
            examples: ["unset vm"],
            arguments: [ArgumentSpec("name", help: "variable name", completion: .variables)],
            run: { try ScriptingVerbs.unset($0) }
        ),
        CommandSpec(
            name: "echo", group: .scripting,
            abstract: "Print words, separated by single spaces",
            examples: ["echo \"deploying $1\""],
            arguments: [ArgumentSpec("words", help: "what to print", completion: .freeText("any text"), optional: true, variadic: true)],
            run: { .message($0.arguments.joined(separator: " ")) }
        ),
        CommandSpec(
            name: "sleep", group: .scripting,
            abstract: "Wait some seconds (Ctrl-C stops waiting)",
            examples: ["sleep 5", "sleep 0.5"],
            arguments: [ArgumentSpec("seconds", help: "how long, in seconds (decimals allowed, at most 86400)", completion: .freeText("a number of seconds"))],
            run: { try ScriptingVerbs.sleep($0) }
        ),
        CommandSpec(
            name: "source", aliases: ["."], group: .scripting,
            abstract: "Run the commands of a .pmx file here",
            discussion: """
                The file runs in this session: its `set`, `cd` and settings stay in effect. Errors \
                print as FILE:LINE and, with errexit on, stop the file and fail the `source`. \
                Extra words become $1..$n inside the file.
                """,
            examples: ["source checks.pmx", "source deploy.pmx web01"],
            arguments: [
                ArgumentSpec("file", help: "path of the script", completion: .files),
                ArgumentSpec("arguments", help: "values for $1..$n inside the file", completion: .freeText("script arguments"), optional: true, variadic: true),
            ],
            run: { try ScriptingVerbs.source($0) }
        ),
        CommandSpec(
            name: "exit", aliases: ["quit"], group: .scripting,
            abstract: "Leave the shell (or stop the script) with a status",
            examples: ["exit", "exit 3"],
            arguments: [ArgumentSpec("status", help: "exit status 0-255, default 0", completion: .freeText("a number 0-255"), optional: true)],
            run: { try ScriptingVerbs.exit($0) }
        ),
    ]
}

/// Handlers of the scripting verbs (kept apart from the table so the specs stay readable).
enum ScriptingVerbs {
    /// A setting `set` reaches: its values, and how it reads from and writes to the session's
    /// settings. The one list behind `set`, `set NAME`, the settings listing and TAB.
    struct Setting: Sendable {
        let name: String
        let choices: [String]
        let read: @Sendable (ShellSettings) -> String
        /// Called with one of `choices` only.
        let write: @Sendable (inout ShellSettings, String) -> Void

        static func onOff(_ name: String, _ flag: WritableKeyPath<ShellSettings, Bool> & Sendable) -> Setting {
            Setting(name: name, choices: ["on", "off"], read: { $0[keyPath: flag] ? "on" : "off" }, write: { $0[keyPath: flag] = $1 == "on" })
        }
    }

    static let settings: [Setting] = [
        .onOff("errexit", \.errexit),
        .onOff("dryrun", \.dryRun),
        Setting(name: "output", choices: ShellSettings.OutputFormat.allCases.map(\.rawValue), read: { $0.output.rawValue },
                write: { settings, value in if let format = ShellSettings.OutputFormat(rawValue: value) { settings.output = format } }),
        .onOff("noheader", \.noHeader),
        .onOff("debug", \.debug),
    ]

    static func setting(named name: String) -> Setting? { settings.first { $0.name == name } }

    static func set(_ invocation: Invocation) throws -> CommandOutput {
        let session = invocation.session
        guard let name = invocation.arguments.first else { return .message(listing(session)) }
        let value = invocation.arguments.count > 1 ? invocation.arguments[1] : nil
        if let setting = setting(named: name) {
            guard let value else { return .message("\(name) \(setting.read(session.settings))") }
            guard setting.choices.contains(value) else {
                let valid = setting.choices == ["on", "off"] ? "on or off" : "one of " + setting.choices.joined(separator: ", ")
                throw ShellError("set \(name): '\(value)' is not valid; use \(valid)")
            }
            setting.write(&session.settings, value)
            return .nothing
        }
        try validateName(name)
        guard let value else {
            guard let current = session.variables[name] else {
                throw ShellError("set: no variable named \(name); set one with `set \(name) VALUE`")
            }
            return .message("\(name)=\(current)")
        }
        session.variables[name] = value
        return .nothing
    }

    static func unset(_ invocation: Invocation) throws -> CommandOutput {
        guard let name = invocation.arguments.first else { throw ShellError("unset: name a variable, e.g. `unset vm`") }
        if setting(named: name) != nil {
            throw ShellError("unset: \(name) is a setting; change it with `set \(name) ...`")
        }
        guard invocation.session.variables.removeValue(forKey: name) != nil else {
            throw ShellError("unset: no variable named \(name)")
        }
        return .nothing
    }

    static func sleep(_ invocation: Invocation) throws -> CommandOutput {
        let text = invocation.arguments.first ?? ""
        guard let seconds = Double(text), seconds.isFinite, seconds >= 0, seconds <= 86_400 else {
            throw ShellError("sleep: '\(text)' is not a number of seconds between 0 and 86400")
        }
        guard invocation.session.interrupt.pause(seconds: seconds) else {
            throw ShellError("sleep: interrupted")
        }
        return .nothing
    }

    static func source(_ invocation: Invocation) throws -> CommandOutput {
        guard let path = invocation.arguments.first else { throw ShellError("source: name a file, e.g. `source checks.pmx`") }
        guard let runner = invocation.session.scriptRunner else {
            throw ShellError("source: no script runner in this session")
        }
        let rest = Array(invocation.arguments.dropFirst())
        let status = try runner.runSource(path: path, arguments: rest.isEmpty ? nil : rest)
        if status != ExitStatus.success && invocation.session.exitRequest == nil {
            throw ReportedFailure(status: status)
        }
        return .nothing
    }

    static func exit(_ invocation: Invocation) throws -> CommandOutput {
        var status: Int32 = 0
        if let text = invocation.arguments.first {
            guard let n = Int32(text), (0...255).contains(n) else {
                throw ShellError("exit: '\(text)' is not a status; use a number 0-255")
            }
            status = n
        }
        invocation.session.exitRequest = status
        return .nothing
    }

    // MARK: - helpers

    private static func validateName(_ name: String) throws {
        let valid = name.first.map { $0 == "_" || ($0.isASCII && $0.isLetter) } == true
            && name.allSatisfy { $0 == "_" || ($0.isASCII && ($0.isLetter || $0.isNumber)) }
        guard valid else {
            throw ShellError("set: '\(name)' is not a variable name; use letters, digits and _, not starting with a digit")
        }
    }

    /// Settings first, then variables sorted by name, as `NAME=value` lines. Values of variables
    /// named like secrets are hidden (`set NAME` still shows one on request).
    private static func listing(_ session: Session) -> String {
        var lines = settings.map { "\($0.name) \($0.read(session.settings))" }
        lines += session.variables.keys.sorted().map { name in
            "\(name)=" + (HistoryPolicy.isSecretName(name) ? "(hidden)" : session.variables[name] ?? "")
        }
        return lines.joined(separator: "\n")
    }
}
