#if canImport(Glibc)
import Glibc
#endif

/// What the `proxmux` command line asked for.
public struct OuterOptions: Sendable, Equatable {
    public enum Action: Sendable, Equatable { case run, help, version }
    public var action: Action = .run
    public var profile: String?
    public var output: ShellSettings.OutputFormat?
    public var noHeader = false
    public var dryRun = false
    public var assumeYes = false
    /// `--debug`: one line per API request on stderr.
    public var debug = false
    /// `-c 'commands'`.
    public var command: String?
    /// `FILE.pmx`.
    public var script: String?
    /// Words after FILE (or after `-c CMDS`): `$1..$n`.
    public var scriptArguments: [String] = []
    public init() {}
}

/// Builds the command layer for a session: the real dispatcher once wired, a fake in tests.
public typealias ExecutorFactory = (OuterOptions, Session, Console) throws -> CommandExecutor

/// `proxmux [--profile NAME] [-o text|json|yaml] [--noheader] [--dry-run] [--yes] [--debug]
/// [-c 'cmds' [args...]] [FILE.pmx [args...]] [--version] [--help]`.
/// Options come before FILE; everything after FILE belongs to the script. Bad flags print the
/// usage and exit 2.
public enum OuterCommandLine {
    public static let version = "proxmux 0.1.0"

    public static let usage = """
        usage: proxmux [OPTIONS] [-c 'COMMANDS' [ARGS...] | FILE.pmx [ARGS...]]

        Without -c or FILE, proxmux reads commands from the terminal (or from stdin when it is
        not a terminal).

        options:
          --profile NAME        connect with this profile from the config
          -o, --output FORMAT   text, json or yaml
          --noheader            listings without a header line
          --dry-run             print the API requests mutating commands would send; send none
          --yes                 answer yes to confirmations (needed for destructive verbs in scripts)
          --debug               print one line per API request to stderr: method, path, status,
                                time, size (secrets redacted)
          -c COMMANDS           run COMMANDS (`;` or newlines between them) and exit
          --version             print the version
          -h, --help            print this help

        exit status: 0 success, 1 a command failed, 2 usage or syntax error, 130 Ctrl-C.
        """

    /// Parses the arguments after the program name.
    public static func parse(_ arguments: [String]) throws(ShellError) -> OuterOptions {
        var options = OuterOptions()
        var index = 0
        func value(for flag: String, inline: String?) throws(ShellError) -> String {
            if let inline { return inline }
            index += 1
            guard index < arguments.count else { throw ShellError("\(flag) needs a value") }
            return arguments[index]
        }
        while index < arguments.count {
            let argument = arguments[index]
            if options.command != nil || argument == "--" {
                // After -c: the rest are $1..$n; `--` ends options before a FILE.
                if argument == "--" && options.command == nil {
                    index += 1
                    if index < arguments.count {
                        options.script = arguments[index]
                        options.scriptArguments = Array(arguments[(index + 1)...])
                    }
                } else {
                    options.scriptArguments = Array(arguments[index...])
                }
                break
            }
            guard argument.hasPrefix("-"), argument != "-" else {
                options.script = argument
                options.scriptArguments = Array(arguments[(index + 1)...])
                break
            }
            let (flag, inline) = splitInline(argument)
            switch flag {
            case "-h", "--help": options.action = .help
            case "--version": options.action = .version
            case "--profile":
                let name = try value(for: flag, inline: inline)
                guard !name.isEmpty else { throw ShellError("--profile needs a non-empty name") }
                options.profile = name
            case "-o", "--output":
                let text = try value(for: flag, inline: inline)
                guard let format = ShellSettings.OutputFormat(rawValue: text) else {
                    throw ShellError("\(flag): '\(text)' is not an output format; use text, json or yaml")
                }
                options.output = format
            case "--noheader": options.noHeader = true
            case "--dry-run": options.dryRun = true
            case "--yes", "-y": options.assumeYes = true
            case "--debug": options.debug = true
            case "-c": options.command = try value(for: flag, inline: inline)
            default: throw ShellError("unknown option \(argument)")
            }
            if inline != nil && !["--profile", "-o", "--output", "-c"].contains(flag) {
                throw ShellError("\(flag) takes no value")
            }
            index += 1
        }
        return options
    }

    private static func splitInline(_ argument: String) -> (String, String?) {
        guard argument.hasPrefix("--"), let equals = argument.firstIndex(of: "=") else { return (argument, nil) }
        return (String(argument[..<equals]), String(argument[argument.index(after: equals)...]))
    }

    /// The whole program: parse, build the session and executor, run the loop over the chosen
    /// input, then end the process through `exit` with the status. `main.swift` calls this.
    ///
    /// `exit` is called while the session, its connection and the libraries' tables still stand:
    /// tearing them down (the connection's TLS goodbye, OpenSSL's certificate tables, the last
    /// listing's memory) took 0.3-0.6 ms after the last line of `ls /vms` was written, and changes
    /// nothing for a process that ends.
    public static func run(_ arguments: [String], makeExecutor: ExecutorFactory, exit: (Int32) -> Never) -> Never {
        let console = Console()
        func leave(_ status: Int32) -> Never {
            console.flush()
            exit(status)
        }
        let options: OuterOptions
        do {
            options = try parse(arguments)
        } catch {
            console.error("proxmux: \(error.message)")
            console.error(usage)
            leave(ExitStatus.usage)
        }
        switch options.action {
        case .help:
            console.line(usage)
            leave(ExitStatus.success)
        case .version:
            console.line(version)
            leave(ExitStatus.success)
        case .run:
            break
        }

        let stdinIsTerminal = isatty(0) == 1
        var settings = ShellSettings()
        settings.output = options.output ?? .text
        settings.noHeader = options.noHeader
        settings.dryRun = options.dryRun
        settings.assumeYes = options.assumeYes
        settings.debug = options.debug
        settings.interactive = stdinIsTerminal && options.command == nil && options.script == nil
        settings.color = PromptRenderer.colorAllowed(fd: 1)
        let session = Session(settings: settings)
        session.arguments = options.scriptArguments

        let source: LineSource
        var lineEditor: LibeditReader?
        if let command = options.command {
            source = TextSource(name: "-c", text: command)
        } else if let script = options.script {
            do {
                source = try TextSource.file(script)
            } catch {
                console.error("proxmux: \(error.message)")
                leave(ExitStatus.usage)
            }
        } else if settings.interactive {
            setlocale(LC_ALL, "")
            let reader: LibeditReader
            do {
                reader = try LibeditReader(console: console, interrupt: session.interrupt, history: .inHome())
            } catch {
                console.error("proxmux: the interactive shell needs libedit (\(error.reason)); install libedit2, "
                    + "set PROXMUX_LIBEDIT to the library's path, or give commands with -c or a script file")
                leave(ExitStatus.commandFailed)
            }
            reader.expander = { Expander(variables: session.variables, arguments: session.arguments) }
            lineEditor = reader
            session.prompter = LineReaderPrompter(reader: reader, console: console)
            source = reader.source(promptColor: settings.color)
        } else {
            source = ReaderSource(
                reader: PlainLineReader(fd: 0, interrupt: session.interrupt),
                prompt: { Prompt(plain: "") }, continuationPrompt: Prompt(plain: ""))
        }

        let executor: CommandExecutor
        do {
            executor = try makeExecutor(options, session, console)
        } catch {
            console.error("proxmux: \(error)")
            leave(ExitStatus.commandFailed)
        }
        lineEditor?.executor = executor
        session.interrupt.routeSIGINT()
        let loop = ShellLoop(session: session, executor: executor, console: console)
        let status = loop.run(source)
        lineEditor?.close()  // puts the terminal back as it was
        withExtendedLifetime(executor) { leave(status) }
    }
}
