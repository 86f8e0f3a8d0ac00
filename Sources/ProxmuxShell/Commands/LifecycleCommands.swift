#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import ProxmoxAPI
import PVESchema

/// `start`, `stop`, `shutdown`, `reboot`, `reset`, `suspend`, `resume` on one or many guests.
enum LifecycleCommands {
    /// One power action: its API verb, wording and which guests it makes sense for.
    struct Action: Sendable {
        let verb: String
        let gerund: String
        let done: String
        /// Status a guest must have for the action (`nil`: any); others are skipped with a note.
        let requires: String?
        let filter: GuestFilter
        let containers: Bool
        let dangerous: Bool
        let abstract: String
    }

    static let actions: [Action] = [
        Action(verb: "start", gerund: "starting", done: "started", requires: "stopped", filter: .stopped, containers: true, dangerous: false, abstract: "Start stopped guests"),
        Action(verb: "stop", gerund: "stopping", done: "stopped", requires: "running", filter: .running, containers: true, dangerous: true, abstract: "Stop guests at once (like pulling the plug; asks first)"),
        Action(verb: "shutdown", gerund: "shutting down", done: "shut down", requires: "running", filter: .running, containers: true, dangerous: false, abstract: "Shut guests down cleanly (ACPI / init), optionally force-stopping after a timeout"),
        Action(verb: "reboot", gerund: "rebooting", done: "rebooted", requires: "running", filter: .running, containers: true, dangerous: false, abstract: "Reboot running guests cleanly"),
        Action(verb: "reset", gerund: "resetting", done: "reset", requires: "running", filter: .running, containers: false, dangerous: true, abstract: "Hard-reset running VMs (asks first; not for containers)"),
        Action(verb: "suspend", gerund: "suspending", done: "suspended", requires: "running", filter: .running, containers: true, dangerous: false, abstract: "Suspend running guests (VMs pause in memory)"),
        Action(verb: "resume", gerund: "resuming", done: "resumed", requires: nil, filter: .any, containers: true, dangerous: false, abstract: "Resume paused or suspended guests"),
    ]

    static let all: [CommandSpec] = actions.map(spec)

    static let targetHelp = "guests: 101, vm:101, ct:200, web01, tag:web, pool:prod, node:pve2, web-*, or lists 101,102 (default: the selected guest)"

    static func spec(_ action: Action) -> CommandSpec {
        var flags = [TaskEnvironment.noWaitFlag]
        if action.verb == "shutdown" {
            flags += [
                FlagSpec("timeout", kind: .integer(min: 0, max: 86_400), help: "Seconds to wait for the guest to shut down",
                         apiParameter: APIParameterRef("POST", "/nodes/{node}/qemu/{vmid}/status/shutdown", "timeout")),
                FlagSpec("force-stop", kind: .bool, help: "Stop the guest if it has not shut down within the timeout",
                         apiParameter: APIParameterRef("POST", "/nodes/{node}/qemu/{vmid}/status/shutdown", "forceStop")),
            ]
        }
        if action.verb == "reboot" {
            flags.append(FlagSpec("timeout", kind: .integer(min: 0, max: 86_400), help: "Seconds to wait for the shutdown part of the reboot",
                                  apiParameter: APIParameterRef("POST", "/nodes/{node}/qemu/{vmid}/status/reboot", "timeout")))
        }
        var examples = ["\(action.verb) 101", "\(action.verb) tag:web --no-wait", "\(action.verb) web-*,105"]
        if action.dangerous { examples[0] += " --yes" }
        if action.verb == "shutdown" { examples.append("shutdown pool:prod --timeout 120 --force-stop") }
        return CommandSpec(
            name: action.verb, group: .lifecycle,
            abstract: action.abstract,
            discussion: "Bulk targets run concurrently (a few at a time), one summary line per guest. Waits for each task unless --no-wait.",
            examples: examples,
            arguments: [ArgumentSpec("TARGET", help: targetHelp, completion: .guests(action.filter), optional: true)],
            flags: flags, needs: .guest, mutates: true, confirmation: action.dangerous ? .always : .never,
            run: { inv in try run(action, inv) })
    }

    /// What happened to one guest in a bulk run.
    struct Outcome: Sendable {
        let line: String
        let failed: Bool
        /// `verb vm 101 (web01) on pve1`, for the background task list.
        var label: String = ""
        /// The task left running under `--no-wait`.
        var backgroundTask: String? = nil
    }

    static func run(_ action: Action, _ inv: Invocation) throws -> CommandOutput {
        let resolved = try inv.resolveGuests(inv.arguments.first)
        var skipped: [String] = []
        var guests: [Guest] = []
        for guest in resolved {
            if guest.template {
                // PVE refuses every lifecycle action on a template (it never runs).
                skipped.append("\(guest.label): a template, skipped (templates do not run; clone one to use it)")
            } else if guest.kind == .container, !action.containers {
                skipped.append("\(guest.label): containers cannot \(action.verb)")
            } else if let needed = action.requires, guest.status != needed,
                      !(action.verb == "stop" && guest.status == "paused") {
                skipped.append("\(guest.label): already \(guest.status), skipped")
            } else {
                guests.append(guest)
            }
        }
        for line in skipped { inv.note(line) }
        guard !guests.isEmpty else { return .nothing }

        if action.dangerous {
            let what = guests.count == 1 ? guests[0].label : "\(guests.count) guests"
            let list = guests.count == 1 ? "" : ": " + TargetResolver.list(guests)
            let question = "\(action.verb.prefix(1).uppercased() + action.verb.dropFirst()) \(what)\(list)?"
            let shortWhat = guests.count == 1 ? "\(guests[0].kind.short) \(guests[0].vmid)" : "\(guests.count) guests"
            try inv.confirm(question, refusal: "refusing to \(action.verb) \(shortWhat) without --yes")
        }
        var params: [(String, String)] = []
        if let timeout = inv.flag("timeout") { params.append(("timeout", timeout)) }
        if inv.has("force-stop") { params.append(("forceStop", "1")) }
        let wait = !inv.noWait, dryRun = inv.isDryRun
        let requestParams = params

        for guest in guests { inv.note("\(action.gerund) \(guest.label)") }
        inv.session.console.flush()

        let api = try inv.api()
        if guests.count == 1 { return try runOne(action, guests[0], params: params, inv: inv, api: api) }

        let outcomes = try runConcurrently(guests, workers: max(1, inv.session.settings.bulkWorkers), api: api) { guest, worker in
            perform(action, guest, params: requestParams, wait: wait, dryRun: dryRun, api: worker)
        }
        for outcome in outcomes {
            inv.note(outcome.line)
            // --no-wait: each task's end is reported before a later prompt.
            if let upid = outcome.backgroundTask.flatMap(UPID.init) { inv.session.tasks.register(upid, label: outcome.label) }
        }
        let failures = outcomes.filter(\.failed).count
        if failures > 0 {
            throw ShellError("\(action.verb): \(failures) of \(outcomes.count) failed")
        }
        return .nothing
    }

    /// One guest: the task watcher shows progress, Ctrl-C stops waiting (not the task), a failure
    /// is the command's error with the end of the task log.
    static func runOne(_ action: Action, _ guest: Guest, params: [(String, String)], inv: Invocation, api: APIBackend) throws -> CommandOutput {
        let label = "\(action.verb) \(guest.label)"
        let result: JSON
        do {
            result = try api.request(.post, guest.apiPath + "/status/" + action.verb, params)
        } catch {
            throw ShellError("\(guest.label): \(action.verb) failed: \(error)")
        }
        guard let upid = result.string, !upid.isEmpty else {
            inv.note(withoutTask(action, guest, dryRun: inv.isDryRun))
            return .nothing
        }
        let watcher = try TaskEnvironment(inv).watcher()
        let watched = try watcher.watch(upid, label: label, mode: inv.noWait ? .background : .wait)
        switch watched {
        case .finished(let end) where end.succeeded:
            inv.note("\(guest.label): \(action.done)" + (end.exitStatus == "OK" ? "" : " (\(end.exitStatus))"))
        case .finished:
            _ = try TaskWatcher.output(for: watched, label: "\(guest.label): \(action.verb)")
        case .stoppedWaiting:
            break  // the watcher said how to follow the task
        case .background(let ref):
            inv.note("\(guest.label): task \(ref.raw)")
        }
        return .nothing
    }

    /// Sends the action for one guest of a bulk run and (unless told not to) waits quietly for its task.
    static func perform(_ action: Action, _ guest: Guest, params: [(String, String)], wait: Bool, dryRun: Bool,
                        api: APIBackend) -> Outcome {
        let label = "\(action.verb) \(guest.label)"
        do {
            let result = try api.request(.post, guest.apiPath + "/status/" + action.verb, params)
            guard let upid = result.string, !upid.isEmpty else {
                return Outcome(line: withoutTask(action, guest, dryRun: dryRun), failed: false)
            }
            guard wait else { return Outcome(line: "\(guest.label): task \(upid)", failed: false, label: label, backgroundTask: upid) }
            let status = try api.waitForTask(upid)
            if TaskStatus.isSuccess(exitStatus: status) {
                return Outcome(line: "\(guest.label): \(action.done)" + (status == "OK" ? "" : " (\(status))"), failed: false)
            }
            return Outcome(line: "\(guest.label): \(action.verb) failed: \(status)", failed: true)
        } catch {
            return Outcome(line: "\(guest.label): \(action.verb) failed: \(error)", failed: true)
        }
    }

    /// The summary line when the answer names no task to follow: under `--dry-run` nothing was
    /// sent (the request is printed after the command); otherwise the server took the action
    /// without one.
    static func withoutTask(_ action: Action, _ guest: Guest, dryRun: Bool) -> String {
        "\(guest.label): \(action.verb) " + (dryRun ? "not sent (dry run)" : "requested")
    }

    /// Runs `body` for each guest on at most `workers` threads, each with its own connection; results in input order.
    static func runConcurrently(_ guests: [Guest], workers: Int, api: APIBackend,
                                _ body: @escaping @Sendable (Guest, APIBackend) -> Outcome) throws -> [Outcome] {
        let count = min(workers, guests.count)
        let connections = try (0..<count).map { _ in UncheckedBox(try api.sibling()) }
        let results = ResultSlots<Outcome>(count: guests.count)
        let items = guests
        DispatchQueue.concurrentPerform(iterations: count) { worker in
            // Worker w takes guests w, w+count, ...: no shared queue needed.
            var index = worker
            while index < items.count {
                results.set(index, body(items[index], connections[worker].value))
                index += count
            }
        }
        return results.values.map { $0 ?? Outcome(line: "internal error: no result", failed: true) }
    }
}

/// Fixed-size result slots written by worker threads.
final class ResultSlots<T>: @unchecked Sendable {
    // Each slot is written by exactly one worker; the lock orders those writes before the read.
    private var lock = pthread_mutex_t()
    private var slots: [T?]
    init(count: Int) {
        slots = Array(repeating: nil, count: count)
        pthread_mutex_init(&lock, nil)
    }
    deinit { pthread_mutex_destroy(&lock) }
    func set(_ index: Int, _ value: T) {
        pthread_mutex_lock(&lock)
        slots[index] = value
        pthread_mutex_unlock(&lock)
    }
    var values: [T?] {
        pthread_mutex_lock(&lock)
        defer { pthread_mutex_unlock(&lock) }
        return slots
    }
}
