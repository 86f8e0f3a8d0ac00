import ProxmoxAPI
import PVESchema
import Testing
@testable import ProxmuxShell

/// A small in-memory cluster answering the calls the task and wizard code make; it records every
/// mutating request. Used by the unit tests that need exact control over timing (a task that
/// advances one step per status poll); the simulator-backed tests cover the real server.
final class FakeTaskCluster: TaskCalls {
    struct FakeTask {
        var ref: UPID
        /// Log lines revealed one batch per status poll.
        var batches: [[String]]
        var exitStatus: String
        var revealed: [String] = []
        var polls = 0
        var stopped: Bool { polls > batches.count }
    }

    var guests: [JSON] = [
        ["vmid": 100, "name": "db01", "type": "qemu", "node": "pve1"],
        ["vmid": "101", "name": "web01", "type": "lxc", "node": "pve2"],
    ]
    var nextID = 102
    var storages: [String: [JSON]] = [
        "pve1": [
            ["storage": "local", "type": "dir", "content": "iso,vztmpl,backup,images", "avail": 50_000_000_000],
            ["storage": "local-lvm", "type": "lvmthin", "content": "images,rootdir", "avail": 80_000_000_000],
            ["storage": "isos", "type": "nfs", "content": "iso", "avail": 10_000_000_000],
        ],
        "pve2": [["storage": "local", "type": "dir", "content": "iso,images"]],
    ]
    var isos: [String: [JSON]] = [
        "local": [["volid": "local:iso/debian-12.iso", "size": 600_000_000]],
        "isos": [["volid": "isos:iso/ubuntu-24.04.iso", "size": 2_600_000_000]],
    ]
    var bridges: [String: [String]] = ["pve1": ["vmbr0", "vmbr1"], "pve2": ["vmbr0"]]
    var tasks: [String: FakeTask] = [:]
    /// Rows of /cluster/tasks.
    var clusterTasks: [JSON] = []
    /// Mutating requests in order; `form` as a dictionary (each name is sent once).
    private(set) var mutations: [(method: String, path: String, form: [String: String])] = []
    /// The same requests with their parameters in the order sent.
    private(set) var sent: [(method: String, path: String, params: [(String, String)])] = []
    private(set) var gets: [String] = []

    func request(_ method: HTTPMethod, _ path: String, _ params: [(String, String)]) throws -> JSON {
        guard method == .get else {
            sent.append((method.rawValue, path, params))
            let form = Dictionary(params, uniquingKeysWith: { a, _ in a })
            mutations.append((method.rawValue, path, form))
            return method == .post ? try post(path, form: form) : .null
        }
        return try get(path, query: Dictionary(params, uniquingKeysWith: { a, _ in a }))
    }

    private func get(_ path: String, query: [String: String]) throws -> JSON {
        gets.append(path)
        let parts = path.split(separator: "/").map(String.init)
        switch parts.count {
        case 1 where path == "/nodes":
            return .array(["pve1", "pve2", "pve3"].map { ["node": .string($0), "status": $0 == "pve3" ? "offline" : "online"] })
        case 2 where path == "/cluster/nextid": return .string(String(nextID))
        case 2 where path == "/cluster/resources": return .array(guests)
        case 2 where path == "/cluster/tasks": return .array(clusterTasks)
        case 3 where parts[2] == "storage": return .array(storages[parts[1]] ?? [])
        case 3 where parts[2] == "network": return .array((bridges[parts[1]] ?? []).map { ["iface": .string($0), "type": "bridge"] })
        case 5 where parts[2] == "storage" && parts[4] == "content": return .array(isos[parts[3]] ?? [])
        case 5 where parts[2] == "tasks" && parts[4] == "status":
            guard var task = tasks[parts[3]] else { throw ShellError("no such task") }
            task.polls += 1
            if task.polls <= task.batches.count { task.revealed += task.batches[task.polls - 1] }
            tasks[parts[3]] = task
            var status: JSON = ["upid": .string(task.ref.raw), "status": task.stopped ? "stopped" : "running",
                                "type": .string(task.ref.type), "id": .string(task.ref.id), "starttime": .int(task.ref.startTime)]
            if task.stopped { status = status.setting("exitstatus", to: .string(task.exitStatus)) }
            return status
        case 5 where parts[2] == "tasks" && parts[4] == "log":
            guard let task = tasks[parts[3]] else { throw ShellError("no such task") }
            let start = Int(query["start"] ?? "0") ?? 0
            let limit = Int(query["limit"] ?? "50") ?? 50
            let lines = task.revealed.enumerated().dropFirst(start).prefix(limit)
            return .array(lines.map { ["n": .int(Int64($0.offset + 1)), "t": .string($0.element)] })
        default:
            throw ShellError("fake: no GET \(path)")
        }
    }

    private func post(_ path: String, form: [String: String]) throws -> JSON {
        let parts = path.split(separator: "/").map(String.init)
        guard parts.count == 3, parts[2] == "qemu", let vmid = form["vmid"] else { throw ShellError("fake: no POST \(path)") }
        let upid = addTask(node: parts[1], type: "qmcreate", id: vmid, batches: [["creating disk"]], exit: "OK")
        guests.append(["vmid": .string(vmid), "name": .string(form["name"] ?? ""), "type": "qemu", "node": .string(parts[1])])
        return .string(upid)
    }

    /// A backup of guest 100 that reports 50% then 100% over three polls and ends `OK`.
    func addBackupWithProgress() -> String {
        addTask(type: "vzdump", id: "100", batches: [
            ["INFO: starting new backup job"], ["INFO:  50% (1.5 GiB of 3.0 GiB) in 5s, read: 300.0 MiB/s, write: 290.0 MiB/s"],
            ["INFO: 100% (3.0 GiB of 3.0 GiB) in 10s, read: 300.0 MiB/s, write: 290.0 MiB/s", "TASK OK"],
        ], exit: "OK")
    }

    /// Adds a task that reveals one batch of log lines per status poll, then stops.
    @discardableResult
    func addTask(node: String = "pve1", type: String, id: String, start: Int64 = 1_764_150_000, batches: [[String]], exit: String) -> String {
        let pid = String(tasks.count + 0x1000, radix: 16).uppercased()
        let upid = "UPID:\(node):0000\(pid):00ABCDEF:\(String(start, radix: 16).uppercased()):\(type):\(id):root@pam:"
        guard let ref = UPID(upid) else { return upid }
        tasks[upid] = FakeTask(ref: ref, batches: batches, exitStatus: exit)
        return upid
    }
}

/// Builds an invocation of a spec with flags, as the dispatcher would hand it over.
func invocation(_ spec: CommandSpec, _ arguments: [String] = [], _ flags: [String: String] = [:], settings: ShellSettings = ShellSettings()) -> Invocation {
    Invocation(spec: spec, arguments: arguments, flags: flags, session: Session(settings: settings), location: .prompt)
}

/// The text of a `.message` output (nil for other outputs).
func messageText(_ output: CommandOutput) -> String? {
    if case .message(let text) = output { return text }
    return nil
}

/// The rows of a `.table` output.
func tableRows(_ output: CommandOutput) -> [JSON] {
    if case .table(let table) = output { return table.rows.values }
    return []
}

@Test func fakeClusterRevealsTaskLogStepByStep() throws {
    let fake = FakeTaskCluster()
    let upid = fake.addTask(type: "qmstart", id: "100", batches: [["a"], ["b"]], exit: "OK")
    let ref = try #require(UPID(upid))
    #expect(try fake.request(.get, ref.tasksPath + "/status", [])["status"] == "running")
    #expect(try fake.request(.get, ref.tasksPath + "/log", []).array?.count == 1)
}
