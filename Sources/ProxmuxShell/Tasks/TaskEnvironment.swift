import PVESchema

/// What the task verbs and the creation wizards need from the session, gathered in one value so
/// they can be run against any client (the simulator in tests) without a whole shell.
public struct TaskEnvironment {
    public let client: APIBackend
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
        client: APIBackend, console: Console, tasks: TaskCenter, settings: ShellSettings,
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
        TaskWatcher(client: client, console: console, center: tasks, isInterrupted: isInterrupted, pollInterval: pollInterval)
    }

    /// `--no-wait` given?
    public static func waitMode(_ invocation: Invocation) -> TaskWaitMode {
        invocation.has("no-wait") ? .background : .wait
    }
}

extension TaskEnvironment {
    /// The environment of a command run by the shell: the session's API (a recorder under
    /// `--dry-run`), console, Ctrl-C flag and background tasks; questions only on a terminal.
    public init(_ invocation: Invocation) throws {
        let session = invocation.session
        var settings = session.settings
        settings.dryRun = invocation.isDryRun
        self.init(
            client: try invocation.api(), console: session.console, tasks: session.tasks, settings: settings,
            isInterrupted: { session.interrupt.isRaised },
            prompter: settings.interactive ? (session.prompter ?? PlainPrompter(console: session.console)) : nil,
            contextNode: session.context.path.node,
            invalidateCache: { session.cache.invalidate() })
    }
}

/// Lets the command layer's task-starting verbs (start, stop, ...) wait through the `TaskWatcher`:
/// progress, Ctrl-C that stops only the waiting, background registration. Set as `Session.taskFollower`.
public final class WatchingTaskFollower: TaskFollowing {
    private weak var session: Session?

    public init(session: Session) { self.session = session }

    public func follow(upid: String, label: String, api: APIBackend) throws -> String {
        guard let session else { return try api.waitForTask(upid) }
        let watcher = TaskWatcher(client: api, console: session.console, center: session.tasks,
                                  isInterrupted: { session.interrupt.isRaised })
        switch try watcher.watch(upid, label: label, mode: .wait) {
        case .finished(let end):
            return end.exitStatus
        case .stoppedWaiting, .background:
            throw ShellError("stopped waiting; the task keeps running (task log \(upid) --follow)")
        }
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
