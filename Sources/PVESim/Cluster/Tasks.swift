import PVESchema

/// A worker task: running for `duration` seconds, then stopped with an exit status.
struct SimTask {
    let upid: String
    let node: String
    let pid: Int
    let pstart: Int
    let starttime: Int
    let type: String
    let id: String
    let user: String
    let startedAt: Double
    let duration: Double
    /// Lines logged at once.
    var header: [String]
    /// Lines logged evenly over the task's run time (progress).
    var progress: [String]
    /// A failure decided when the task was started (e.g. a guest named `broken`).
    var plannedFailure: String?
    /// Whether a planned failure comes after all progress lines (vzdump's "job errors") or midway.
    var failsAtEnd = false
    var warnings: [String]
    /// Applies the task's effect when it ends normally; a returned message fails the task instead.
    var completion: ((ClusterState) -> String?)?
    /// Undoes what the start did (locks) when the task fails or is stopped.
    var cleanup: ((ClusterState) -> Void)?

    var endtime: Int?
    var exitstatus: String?
    var finalLog: [String] = []

    var isRunning: Bool { exitstatus == nil }

    /// `running`, `ok`, `warning` or `error`, as statusfilter names them.
    var statusClass: String {
        guard let status = exitstatus else { return "running" }
        if status == "OK" { return "ok" }
        if status.hasPrefix("WARNINGS") { return "warning" }
        return "error"
    }

    func visibleLog(at time: Double) -> [String] {
        if !isRunning { return finalLog }
        let fraction = duration > 0 ? min(1, max(0, (time - startedAt) / duration)) : 1
        let shown = min(progress.count, Int(Double(progress.count) * fraction))
        return header + progress.prefix(shown)
    }
}

/// Parses `UPID:node:pid:pstart:starttime:type:id:user:`.
struct UPIDParts {
    let node: String
    init?(_ upid: String) {
        let parts = upid.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count >= 9, parts[0] == "UPID" else { return nil }
        node = String(parts[1])
    }
}

extension ClusterState {
    /// Starts a task and returns its UPID. With `taskSeconds == 0` it finishes at the end of the current call.
    @discardableResult
    func startTask(
        node: String, type: String, id: String, user: String,
        header: [String] = [], progress: [String] = [], failure: String? = nil, warnings: [String] = [],
        durationFactor: Double = 1, failsAtEnd: Bool = false,
        completion: ((ClusterState) -> String?)? = nil, cleanup: ((ClusterState) -> Void)? = nil
    ) -> String {
        nextPid += random.int(1...37)
        let start = now
        let starttime = Int(start)
        let pstart = Int((start - (self.node(named: node)?.bootTime ?? start - 1000)) * 100)
        let upid = "UPID:\(node):\(hex8(nextPid)):\(hex8(pstart)):\(hex8(starttime)):\(type):\(id):\(user):"
        let task = SimTask(
            upid: upid, node: node, pid: nextPid, pstart: pstart, starttime: starttime, type: type, id: id, user: user,
            startedAt: start, duration: options.taskSeconds * durationFactor, header: header, progress: progress,
            plannedFailure: failure, failsAtEnd: failsAtEnd, warnings: warnings, completion: completion, cleanup: cleanup)
        tasks.append(task)
        runningTasks.append(tasks.count - 1)
        changed()
        return upid
    }

    private func hex8(_ value: Int) -> String {
        let text = String(UInt32(truncatingIfNeeded: value), radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 8 - text.count)) + text
    }

    /// Ends every task whose time is up, in the order they end.
    func advanceTasks() {
        guard !runningTasks.isEmpty else { return }
        let time = now
        let due = runningTasks.filter { tasks[$0].startedAt + tasks[$0].duration <= time }
            .sorted { tasks[$0].startedAt + tasks[$0].duration < tasks[$1].startedAt + tasks[$1].duration }
        for index in due { finishTask(index, endtime: tasks[index].startedAt + tasks[index].duration) }
    }

    private func finishTask(_ index: Int, endtime: Double) {
        runningTasks.removeAll { $0 == index }
        var task = tasks[index]
        var failure = task.plannedFailure
        if failure == nil, let completion = task.completion { failure = completion(self) }
        var log = task.header
        if let failure {
            log += task.failsAtEnd ? task.progress : Array(task.progress.prefix(task.progress.count / 2))
            task.cleanup?(self)
            log.append("TASK ERROR: \(failure)")
            task.exitstatus = failure
        } else {
            log += task.progress
            log += task.warnings.map { "WARN: \($0)" }
            if task.warnings.isEmpty {
                log.append("TASK OK")
                task.exitstatus = "OK"
            } else {
                log.append("TASK WARNINGS: \(task.warnings.count)")
                task.exitstatus = "WARNINGS: \(task.warnings.count)"
            }
        }
        task.finalLog = log
        task.endtime = Int(endtime)
        task.completion = nil
        task.cleanup = nil
        tasks[index] = task
        changed()
    }

    /// Stops a running task the way `DELETE /nodes/{node}/tasks/{upid}` does.
    func stopTask(_ index: Int) {
        guard tasks[index].isRunning else { return }
        runningTasks.removeAll { $0 == index }
        var task = tasks[index]
        task.cleanup?(self)
        task.finalLog = task.visibleLog(at: now) + ["received interrupt", "TASK ERROR: interrupted by signal"]
        task.exitstatus = "interrupted by signal"
        task.endtime = nowInt
        task.completion = nil
        task.cleanup = nil
        tasks[index] = task
        changed()
    }

    func taskIndex(_ call: Call) throws(SimError) -> Int {
        let upid = try call.string("upid")
        guard let parts = UPIDParts(upid) else { throw .parameters(["upid": "unable to parse worker upid '\(upid)'"]) }
        guard parts.node == call.node, let index = tasks.lastIndex(where: { $0.upid == upid }) else {
            throw .failed("no such task")
        }
        return index
    }

    /// Whether the caller may see a task: its own, or any with Sys.Audit on the node.
    func canSee(_ task: SimTask, _ identity: SimIdentity) -> Bool {
        task.user == identity.authid || task.user == identity.userid
            || has(identity, "Sys.Audit", on: "/nodes/\(task.node)")
    }

    func taskRow(_ task: SimTask, includeNode: Bool = true) -> JSON {
        var row: [(String, JSON)] = [
            ("upid", .string(task.upid)), ("node", .string(task.node)), ("pid", .int(Int64(task.pid))),
            ("pstart", .int(Int64(task.pstart))), ("starttime", .int(Int64(task.starttime))),
            ("type", .string(task.type)), ("id", .string(task.id)), ("user", .string(task.user)),
        ]
        if let endtime = task.endtime, let status = task.exitstatus {
            row.append(("endtime", .int(Int64(endtime))))
            row.append(("status", .string(status)))
        }
        return .object(row)
    }

    // MARK: Endpoints

    func listNodeTasks(_ call: Call) throws(SimError) -> JSON {
        let source = call.optionalString("source") ?? "archive"
        let start = try call.optionalInt("start") ?? 0
        let limit = try call.optionalInt("limit") ?? 50
        let vmid = call.optionalString("vmid")
        let type = call.optionalString("typefilter")
        let user = call.optionalString("userfilter")?.lowercased()
        let since = try call.optionalInt("since")
        let until = try call.optionalInt("until")
        let errorsOnly = call.bool("errors")
        let statuses = call.optionalString("statusfilter").map {
            Set($0.split(whereSeparator: { $0 == "," || $0 == ";" || $0 == " " }).map { String($0).lowercased() })
        }
        let selected = tasks.reversed().filter { task in
            guard task.node == call.node, canSee(task, call.identity) else { return false }
            switch source {
            case "active": if !task.isRunning { return false }
            case "all": break
            default: if task.isRunning { return false }
            }
            if let vmid, task.id != vmid { return false }
            if let type, task.type != type { return false }
            if let user, !task.user.lowercased().contains(user) { return false }
            if let since, task.starttime < since { return false }
            if let until, task.starttime > until { return false }
            if errorsOnly, task.statusClass != "error" { return false }
            if let statuses, !statuses.contains(task.statusClass) { return false }
            return true
        }
        return .array(selected.dropFirst(max(0, start)).prefix(limit > 0 ? limit : Int.max).map { taskRow($0) })
    }

    func listClusterTasks(_ call: Call) throws(SimError) -> JSON {
        // Running first, then newest first, as the cluster task list shows them.
        let visible = tasks.reversed().filter { canSee($0, call.identity) }
        let ordered = visible.filter(\.isRunning) + visible.filter { !$0.isRunning }
        return .array(ordered.prefix(1000).map { taskRow($0) })
    }

    func taskStatus(_ call: Call) throws(SimError) -> JSON {
        let task = tasks[try taskIndex(call)]
        guard canSee(task, call.identity) else { throw .forbidden("Permission check failed") }
        var row: [(String, JSON)] = [
            ("upid", .string(task.upid)), ("node", .string(task.node)), ("pid", .int(Int64(task.pid))),
            ("pstart", .int(Int64(task.pstart))), ("starttime", .int(Int64(task.starttime))),
            ("type", .string(task.type)), ("id", .string(task.id)), ("user", .string(task.user)),
            ("status", .string(task.isRunning ? "running" : "stopped")),
        ]
        if let exit = task.exitstatus { row.append(("exitstatus", .string(exit))) }
        return .object(row)
    }

    func taskLog(_ call: Call) throws(SimError) -> JSON {
        let task = tasks[try taskIndex(call)]
        guard canSee(task, call.identity) else { throw .forbidden("Permission check failed") }
        let start = max(0, try call.optionalInt("start") ?? 0)
        let limit = try call.optionalInt("limit") ?? 50
        let lines = task.visibleLog(at: now)
        guard start < lines.count else { return .array([]) }
        let end = limit > 0 ? min(lines.count, start + limit) : lines.count
        return .array((start..<end).map { .object([("n", .int(Int64($0 + 1))), ("t", .string(lines[$0]))]) })
    }

    func taskIndexEntries(_ call: Call) throws(SimError) -> JSON {
        _ = try taskIndex(call)
        return .array([.object([("name", "log")]), .object([("name", "status")])])
    }

    func stopTask(_ call: Call) throws(SimError) -> JSON {
        let index = try taskIndex(call)
        let task = tasks[index]
        let own = task.user == call.identity.authid || task.user == call.identity.userid
        guard own || has(call.identity, "Sys.Modify", on: "/nodes/\(task.node)") else {
            throw .forbidden("Permission check failed (/nodes/\(task.node), Sys.Modify)")
        }
        stopTask(index)
        return .null
    }
}

extension Routes {
    static let taskRoutes: [Route] = [
        Route("GET", "/nodes/{node}/tasks", .any) { s, c throws(SimError) in try s.listNodeTasks(c) },
        Route("GET", "/cluster/tasks", .any) { s, c throws(SimError) in try s.listClusterTasks(c) },
        Route("GET", "/nodes/{node}/tasks/{upid}", .any) { s, c throws(SimError) in try s.taskIndexEntries(c) },
        Route("GET", "/nodes/{node}/tasks/{upid}/status", .any) { s, c throws(SimError) in try s.taskStatus(c) },
        Route("GET", "/nodes/{node}/tasks/{upid}/log", .any) { s, c throws(SimError) in try s.taskLog(c) },
        Route("DELETE", "/nodes/{node}/tasks/{upid}", .any) { s, c throws(SimError) in try s.stopTask(c) },
    ]
}
