import PVESchema

/// What the task verbs and the creation wizards need from the session, gathered in one value so
/// they can be run against any client (the simulator in tests) without a whole shell.
public struct TaskEnvironment {
    public let client: TaskCalls
    public let console: Console
    public let tasks: TaskCenter
    public let settings: ShellSettings
    /// The session's Ctrl-C flag.
    public let isInterrupted: () -> Bool
    /// Asks wizard questions; nil when input is not a terminal (then nothing is asked).
    public let prompter: Prompter?
    /// The node of the current context (`cd /nodes/pve1`), the default for `create vm --node`.
    public let contextNode: String?
    /// Called after a mutating request so TAB and `ls` see the change at once.
    public let invalidateCache: () -> Void
    /// Checks a request against the official schema before it is sent (method, schema path, form).
    public let checkRequest: (String, String, [(String, String)]) throws -> Void
    public let pollInterval: Double

    public init(
        client: TaskCalls, console: Console, tasks: TaskCenter, settings: ShellSettings,
        isInterrupted: @escaping () -> Bool = { false }, prompter: Prompter? = nil, contextNode: String? = nil,
        invalidateCache: @escaping () -> Void = {}, checkRequest: @escaping (String, String, [(String, String)]) throws -> Void = RequestSchemaCheck.check,
        pollInterval: Double = 1.0
    ) {
        self.client = client
        self.console = console
        self.tasks = tasks
        self.settings = settings
        self.isInterrupted = isInterrupted
        self.prompter = prompter
        self.contextNode = contextNode
        self.invalidateCache = invalidateCache
        self.checkRequest = checkRequest
        self.pollInterval = pollInterval
    }

    public func watcher() -> TaskWatcher {
        TaskWatcher(client: client, console: console, center: tasks, isInterrupted: isInterrupted, pollInterval: pollInterval,
                    stream: settings.output.humanStream)
    }

    /// A line for people (echoes, summaries): stdout for text output, stderr under `-o json|yaml`.
    public func note(_ text: String) { console.line(text, to: settings.output.humanStream) }

    /// `--no-wait` given?
    public static func waitMode(_ invocation: Invocation) -> TaskWaitMode {
        invocation.has("no-wait") ? .background : .wait
    }

    /// The flag every task-starting verb carries.
    public static let noWaitFlag = FlagSpec("no-wait", kind: .bool, help: "Return the task id at once; its end is reported at a later prompt")
}

extension TaskEnvironment {
    /// The environment of a command run in a live session: its connection (a recorder under
    /// `--dry-run`), console, background tasks, Ctrl-C flag, prompter and current node. The
    /// command's own `-o` decides where progress and notes go.
    public init(_ invocation: Invocation) throws {
        let session = invocation.session
        var settings = session.settings
        settings.output = invocation.outputFormat
        self.init(
            client: try session.api(), console: session.console, tasks: session.tasks, settings: settings,
            isInterrupted: { [interrupt = session.interrupt] in interrupt.isRaised }, prompter: session.prompter,
            contextNode: session.context.path.node, invalidateCache: { [cache = session.cache] in cache.invalidate() },
            checkRequest: RequestSchemaCheck.check)
    }
}

/// Checks a request against the official PVE schema before it is sent, so a mistake in building it
/// is reported by name instead of as a server error after half a wizard.
public enum RequestSchemaCheck {
    /// - Parameters: method, schema path template (`/nodes/{node}/qemu`), parameters including path parameters.
    public static func check(_ method: String, _ template: String, _ params: [(String, String)]) throws {
        guard let endpoint = APISchema.official.endpoint(method: method, template: template) else {
            throw ShellError("internal: \(method) \(template) is not in the API schema")
        }
        let errors = ParameterValidator().validate(Dictionary(params, uniquingKeysWith: { a, _ in a }), for: endpoint)
        guard errors.isEmpty else {
            throw ShellError("the request does not match the API schema: "
                + errors.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: "; "))
        }
    }
}
