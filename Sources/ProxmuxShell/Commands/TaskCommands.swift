import ProxmoxAPI
import PVESchema

/// The task verbs: `tasks`, `task show`, `task log`, `task stop`, `wait`.
public enum TaskCommands {
    /// The specs for the command table.
    public static let tasks: [CommandSpec] = [list, show, log, stop, wait]

    static let upidArgument = ArgumentSpec("UPID", help: "Task id (TAB completes recent tasks)", completion: .upids)

    static let list = CommandSpec(
        name: "tasks", group: .tasks, abstract: "List recent tasks of the cluster, running ones first",
        discussion: "Reads /cluster/tasks. --status is running, ok (OK or warnings) or failed. --since takes a span back from now (30m, 1h, 2d) or a date (2026-11-26, 2026-11-26T10:00).",
        examples: ["tasks", "tasks --status running", "tasks --node pve1 --type vzdump --since 1d", "tasks --guest 101 -o json"],
        flags: [
            FlagSpec("node", kind: .string, help: "Only tasks of this node", completion: .nodes),
            FlagSpec("type", kind: .string, help: "Only tasks of this type (qmstart, vzdump, qmcreate, ...)",
                     completion: .values(["qmcreate", "qmstart", "qmstop", "qmshutdown", "qmreboot", "qmdestroy", "qmclone", "qmigrate",
                                          "vzcreate", "vzstart", "vzstop", "vzshutdown", "vzdestroy", "vzdump", "qmrestore", "vzrestore",
                                          "qmsnapshot", "imgcopy", "download", "aptupdate"])),
            FlagSpec("status", kind: .choice(TaskRow.State.allCases.map(\.rawValue)), help: "Only running, ok or failed tasks"),
            FlagSpec("user", kind: .string, help: "Only tasks of this user (user@realm; includes its tokens)", completion: .freeText("a user id like root@pam")),
            FlagSpec("guest", kind: .string, help: "Only tasks of this guest id", completion: .guests(.any)),
            FlagSpec("since", kind: .string, help: "Only tasks started since (30m, 1h, 2d, 2026-11-26)", completion: .freeText("a span like 1h or a date")),
            FlagSpec("limit", kind: .integer(min: 1, max: nil), help: "At most this many tasks", defaultValue: "50"),
        ],
        needs: .cluster,
        run: { inv in try runList(inv, try TaskEnvironment(inv)) })

    static let show = CommandSpec(
        name: "task show", group: .tasks, abstract: "Show a task: status, exit status, duration, progress",
        examples: ["task show UPID:pve1:000A1B2C:0012C3D4:6745A1B2:qmstart:101:root@pam:"],
        arguments: [upidArgument], needs: .cluster,
        run: { inv in try runShow(inv, try TaskEnvironment(inv)) })

    static let log = CommandSpec(
        name: "task log", group: .tasks, abstract: "Print a task's log; --follow keeps printing until it ends",
        discussion: "With --follow, Ctrl-C stops following; the task keeps running.",
        examples: ["task log UPID:pve1:000A1B2C:0012C3D4:6745A1B2:vzdump:101:root@pam: --follow"],
        arguments: [upidArgument],
        flags: [FlagSpec("follow", short: "f", kind: .bool, help: "Keep printing new lines until the task ends")],
        needs: .cluster,
        run: { inv in try runLog(inv, try TaskEnvironment(inv)) })

    static let stop = CommandSpec(
        name: "task stop", group: .tasks, abstract: "Stop a running task",
        examples: ["task stop UPID:pve1:000A1B2C:0012C3D4:6745A1B2:vzdump:101:root@pam: --yes"],
        arguments: [upidArgument], needs: .cluster, mutates: true, confirmation: .always,
        run: { inv in try runStop(inv, try TaskEnvironment(inv)) })

    static let wait = CommandSpec(
        name: "wait", group: .tasks, abstract: "Wait for this session's background tasks, or for the given tasks",
        discussion: "Fails when one of the tasks fails. Ctrl-C stops waiting; the tasks keep running.",
        examples: ["wait", "wait UPID:pve1:000A1B2C:0012C3D4:6745A1B2:qmstart:101:root@pam:"],
        arguments: [ArgumentSpec("UPID", help: "Tasks to wait for (default: this session's background tasks)", completion: .upids,
                                 optional: true, variadic: true)],
        needs: .cluster,
        run: { inv in try runWait(inv, try TaskEnvironment(inv)) })

    // MARK: Handlers

    public static func runList(_ inv: Invocation, _ env: TaskEnvironment) throws -> CommandOutput {
        var filter = TaskFilter()
        filter.node = inv.flag("node")
        filter.type = inv.flag("type")
        if let status = inv.flag("status") {
            guard let state = TaskRow.State(rawValue: status) else {
                throw ShellError("--status must be running, ok or failed, not '\(status)'")
            }
            filter.state = state
        }
        filter.user = inv.flag("user")
        filter.guest = inv.flag("guest")
        if let since = inv.flag("since") { filter.since = try TaskTime.parseSince(since, now: TaskTime.now()) }
        if let limit = inv.flag("limit") {
            guard let value = Int(limit), value > 0 else { throw ShellError("--limit must be a positive whole number, not '\(limit)'") }
            filter.limit = value
        }
        let data = try apiCall("listing tasks") { try env.client.get("/cluster/tasks") }
        let rows = filter.apply((data.array ?? []).compactMap(TaskRow.init))
        // No tasks of a node that does not exist is a typo: name the nodes instead.
        if rows.isEmpty, let node = filter.node { try Listing.requireNode(node, inv.api()) }
        let now = TaskTime.now()
        return .table(Table(
            columns: [
                Table.Column("starttime", "STARTED", format: .timestamp), Table.Column("node", "NODE"),
                Table.Column("type", "TYPE"), Table.Column("id", "ID"), Table.Column("user", "USER"),
                Table.Column("status", "STATUS", format: .state), Table.Column("duration", "DURATION", format: .elapsed),
                Table.Column("upid", "UPID"),
            ],
            rows: rows.map { row in
                let end = row.endTime ?? now
                return [
                    "upid": .string(row.upid), "node": .string(row.node), "type": .string(row.type), "id": .string(row.id),
                    "user": .string(row.user), "starttime": .int(row.startTime), "endtime": row.endTime.map(JSON.int) ?? .null,
                    "status": .string(row.state == .running ? "running" : (row.status ?? "")),
                    "duration": .int(max(0, end - row.startTime)),
                ]
            }))
    }

    public static func runShow(_ inv: Invocation, _ env: TaskEnvironment) throws -> CommandOutput {
        let ref = try UPID.parseArgument(inv.arguments.first ?? "")
        let status = try apiCall("reading task \(ref.raw)") { try env.client.get(ref.tasksPath + "/status") }
        var reader = TaskLogReader(upid: ref)
        var progress: ProgressSample?
        for line in try reader.readNew(from: TaskCallsSource(client: env.client)) {
            if let sample = ProgressParser.parse(line.text) { progress = sample }
        }
        let running = status["status"]?.string != "stopped"
        let exit = status["exitstatus"]?.string
        let start = status["starttime"]?.int ?? ref.startTime
        // The status answer has no end time; a finished task's row in the node's task list has.
        let end: Int64? = running ? TaskTime.now() : (status["endtime"]?.int ?? endTime(of: ref, using: env.client))
        var record: [(String, JSON)] = [
            ("upid", .string(ref.raw)), ("node", .string(ref.node)), ("type", .string(status["type"]?.string ?? ref.type)),
            ("id", .string(status["id"]?.string ?? ref.id)), ("user", .string(status["user"]?.string ?? ref.user)),
            ("status", .string(running ? "running" : "stopped")),
        ]
        if let exit { record.append(("exitstatus", .string(exit))) }
        if !running, let exit { record.append(("result", .string(TaskStatus.isSuccess(exitStatus: exit) ? "ok" : "failed"))) }
        record.append(("started", .string(TaskTime.format(start))))
        if let end {
            record.append(("duration", .string(ProgressDisplay.duration(Double(max(0, end - start))) + (running ? " so far" : ""))))
        }
        if let progress, let fraction = progress.fraction {
            var text = "\(Int((fraction * 100).rounded()))%"
            if let done = progress.doneBytes, let total = progress.totalBytes {
                text += " (\(Humanize.bytes(Double(done))) of \(Humanize.bytes(Double(total))))"
            }
            record.append(("progress", .string(text)))
        }
        record.append(("loglines", .int(Int64(reader.linesRead))))
        return .record(.object(record))
    }

    /// End time of a finished task from `/nodes/{node}/tasks` (nil when the list does not hold it any more).
    static func endTime(of ref: UPID, using client: TaskCalls) -> Int64? {
        var query = [("typefilter", ref.type), ("source", "archive"), ("limit", "1000")]
        if Int(ref.id) != nil { query.append(("vmid", ref.id)) }
        let rows = (try? client.get("/nodes/\(ref.node)/tasks", query))?.array ?? []
        return rows.first { $0["upid"]?.string == ref.raw }?["endtime"]?.int
    }

    /// Text output prints the lines as they come; `-o json|yaml` gives one array of the lines once
    /// the log is read (with --follow: once the task ended or Ctrl-C stopped following).
    public static func runLog(_ inv: Invocation, _ env: TaskEnvironment) throws -> CommandOutput {
        let ref = try UPID.parseArgument(inv.arguments.first ?? "")
        let source = TaskCallsSource(client: env.client)
        let streaming = env.settings.output == .text
        var collected: [JSON] = []
        func emit(_ lines: [TaskLogLine]) {
            for line in lines {
                if streaming { env.console.line(line.text) } else { collected.append(.string(line.text)) }
            }
            env.console.flush()
        }
        guard inv.has("follow") else {
            var reader = TaskLogReader(upid: ref)
            emit(try reader.readNew(from: source))
            return streaming ? .nothing : .json(.array(collected))
        }
        let waiter = TaskWaiter(upid: ref, pollInterval: .seconds(env.pollInterval))
        let outcome = try waiter.wait(on: source, onPoll: { _, lines in emit(lines) }, shouldStopWaiting: env.isInterrupted)
        guard outcome == .stillRunning else { return streaming ? .nothing : .json(.array(collected)) }
        let notice = "stopped following; the task keeps running"
        if streaming { return .message(notice) }
        env.note(notice)
        return .json(.array(collected))
    }

    public static func runStop(_ inv: Invocation, _ env: TaskEnvironment) throws -> CommandOutput {
        let ref = try UPID.parseArgument(inv.arguments.first ?? "")
        let target = ref.id.isEmpty ? ref.type : "\(ref.type) \(ref.id)"
        // PVE accepts the stop of a task that has ended and does nothing: say so instead.
        let status = try apiCall("reading task \(ref.raw)") { try env.client.get(ref.tasksPath + "/status") }
        if status["status"]?.string == "stopped" {
            return .message("task \(target) on \(ref.node) had already ended (\(status["exitstatus"]?.string ?? "no exit status")); nothing to stop")
        }
        env.note("stopping task \(target) on \(ref.node) (\(ref.raw))")
        try apiCall("stopping task \(ref.raw)") { try env.client.request(.delete, ref.tasksPath, []) }
        env.invalidateCache()
        return .nothing
    }

    public static func runWait(_ inv: Invocation, _ env: TaskEnvironment) throws -> CommandOutput {
        var targets: [(upid: String, label: String)] = []
        for argument in inv.arguments {
            let ref = try UPID.parseArgument(argument)
            let label = env.tasks.background.first { $0.ref.raw == ref.raw }?.label ?? "\(ref.type) \(ref.id)"
            targets.append((ref.raw, label))
        }
        if inv.arguments.isEmpty { targets = env.tasks.background.map { ($0.ref.raw, $0.label) } }
        if targets.isEmpty { return .message("no background tasks to wait for") }
        let watcher = env.watcher()
        var failures: [String] = []
        for target in targets {
            let result = try watcher.watch(target.upid, label: target.label, mode: .wait)
            switch result {
            case .finished(let end):
                env.note(end.succeeded ? "\(target.label): \(end.exitStatus)" : TaskWatcher.failureReport(end, label: target.label))
                if !end.succeeded { failures.append("\(target.label): \(end.exitStatus)") }
            case .stoppedWaiting, .background:
                return .nothing
            }
        }
        if !failures.isEmpty {
            throw ShellError((failures.count == 1 ? "a task failed: " : "\(failures.count) tasks failed: ") + failures.joined(separator: "; "))
        }
        return .nothing
    }
}
