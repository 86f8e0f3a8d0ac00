#if canImport(Glibc)
import Glibc
#endif
import ProxmoxAPI
import PVESchema
@testable import ProxmuxShell

/// An in-memory PVE answering the endpoints the command layer uses, counting every request.
/// It stands in until the simulator (PVESim) is on main; the fixture is the only place that picks it.
final class MemoryCluster: APIBackend, @unchecked Sendable {
    struct GuestState {
        var vmid: Int
        var name: String
        var kind: String
        var node: String
        var status: String
        var tags: String = ""
        var pool: String? = nil
        var config: [(String, JSON)] = []
        var template = false
    }
    // Guarded by `lock`: bulk verbs call from several threads.
    private var lock = pthread_mutex_t()
    var guests: [GuestState]
    var nodes = ["pve1", "pve2"]
    var requests: [(HTTPMethod, String)] = []
    var nextTask = 0
    /// Seconds each /cluster/resources answer takes (slow-server tests).
    var delay: Double = 0
    /// vmids whose actions fail.
    var failing: Set<Int> = []

    init(guests: [GuestState]) {
        self.guests = guests
        pthread_mutex_init(&lock, nil)
    }

    static func standard() -> MemoryCluster {
        MemoryCluster(guests: [
            GuestState(vmid: 101, name: "web01", kind: "qemu", node: "pve1", status: "running", tags: "web;prod", pool: "prod",
                       config: [("name", "web01"), ("memory", "2048"), ("scsi0", "local-lvm:vm-101-disk-0,size=32G"), ("net0", "virtio=AA:BB:CC:00:00:01,bridge=vmbr0"), ("agent", "1")]),
            GuestState(vmid: 102, name: "web02", kind: "qemu", node: "pve2", status: "stopped", tags: "web", pool: "prod"),
            GuestState(vmid: 103, name: "db01", kind: "qemu", node: "pve2", status: "running", tags: "db"),
            GuestState(vmid: 200, name: "proxy", kind: "lxc", node: "pve1", status: "running", tags: "web"),
            GuestState(vmid: 201, name: "dup", kind: "lxc", node: "pve1", status: "stopped"),
            GuestState(vmid: 202, name: "dup", kind: "lxc", node: "pve2", status: "stopped"),
        ])
    }

    static func large(_ count: Int) -> MemoryCluster {
        MemoryCluster(guests: (0..<count).map { i in
            GuestState(vmid: 1000 + i, name: "guest-\(i)", kind: i % 3 == 0 ? "lxc" : "qemu", node: i % 2 == 0 ? "pve1" : "pve2",
                       status: i % 4 == 0 ? "stopped" : "running", tags: i % 5 == 0 ? "web" : "")
        })
    }

    private func locked<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(&lock)
        defer { pthread_mutex_unlock(&lock) }
        return try body()
    }

    func count(_ method: HTTPMethod, _ path: String) -> Int { locked { requests.filter { $0.0 == method && $0.1 == path }.count } }
    var mutatingRequests: Int { locked { requests.filter { $0.0 != .get }.count } }
    func status(of vmid: Int) -> String? { locked { guests.first { $0.vmid == vmid }?.status } }

    func sibling() throws -> APIBackend { self }
    func waitForTask(_ upid: String) throws -> String {
        locked { requests.append((.get, "task:" + upid)) }
        return upid.contains(":0000FA11:") ? "command failed" : "OK"
    }

    func request(_ method: HTTPMethod, _ path: String, _ params: [(String, String)]) throws -> JSON {
        if delay > 0, path == "/cluster/resources" { usleep(useconds_t(delay * 1_000_000)) }
        return try locked {
            requests.append((method, path))
            return try answer(method, path, params)
        }
    }

    private func resourceRows(_ type: String?) -> [JSON] {
        var rows: [JSON] = []
        if type == nil || type == "node" {
            rows += nodes.map { .object([("type", "node"), ("node", .string($0)), ("id", .string("node/\($0)")), ("status", "online"), ("cpu", 0.05), ("mem", 4_294_967_296), ("maxmem", 17_179_869_184), ("uptime", 360_000)]) }
        }
        if type == nil || type == "vm" {
            rows += guests.map { g in
                var pairs: [(String, JSON)] = [("type", .string(g.kind)), ("id", .string("\(g.kind)/\(g.vmid)")), ("vmid", g.kind == "lxc" ? .string(String(g.vmid)) : .int(Int64(g.vmid))),
                    ("name", .string(g.name)), ("node", .string(g.node)), ("status", .string(g.status)), ("cpu", 0.125), ("mem", 1_073_741_824), ("maxmem", 2_147_483_648),
                    ("uptime", g.status == "running" ? 3600 : 0), ("tags", .string(g.tags))]
                if let pool = g.pool { pairs.append(("pool", .string(pool))) }
                pairs.append(("template", g.template ? 1 : 0))
                return .object(pairs)
            }
        }
        if type == nil || type == "storage" {
            for node in nodes {
                rows.append(.object([("type", "storage"), ("storage", "local"), ("node", .string(node)), ("id", .string("storage/\(node)/local")), ("status", "available"), ("disk", 10_737_418_240), ("maxdisk", 107_374_182_400), ("plugintype", "dir"), ("content", "iso,vztmpl,backup")]))
            }
        }
        if type == nil { rows.append(.object([("type", "pool"), ("pool", "prod"), ("id", "/pool/prod")])) }
        return rows
    }

    /// A task id shaped like PVE's: `UPID:node:pid:pstart:starttime:type:id:user:` (hex fields).
    private func upid(_ node: String, pid: String, type: String, id: String) -> String {
        let counter = String(nextTask, radix: 16, uppercase: true)
        return "UPID:\(node):\(pid):\(String(repeating: "0", count: max(0, 8 - counter.count)) + counter):6745A1B2:\(type):\(id):root@pam:"
    }

    private func answer(_ method: HTTPMethod, _ path: String, _ params: [(String, String)]) throws -> JSON {
        let parts = path.split(separator: "/").map(String.init)
        switch (method, parts.count) {
        case (.get, _) where path == "/cluster/resources":
            return .array(resourceRows(params.first { $0.0 == "type" }?.1))
        case (.get, _) where path == "/cluster/tasks": return []
        case (.get, _) where path == "/pools": return [["poolid": "prod", "comment": "production"]]
        case (.get, _) where path == "/pools/prod":
            return ["members": .array(guests.filter { $0.pool == "prod" }.map { ["id": .string("\($0.kind)/\($0.vmid)"), "type": .string($0.kind), "name": .string($0.name), "node": .string($0.node), "status": .string($0.status)] })]
        case (.get, 5) where parts[0] == "nodes" && parts[2] == "tasks" && parts[4] == "status":
            return ["status": "stopped", "exitstatus": .string(parts[3].contains(":0000FA11:") ? "command failed" : "OK"), "upid": .string(parts[3])]
        case (.get, 5) where parts[0] == "nodes" && parts[2] == "tasks" && parts[4] == "log":
            return [["n": 1, "t": "TASK OK"]]
        case (.get, 3) where parts[0] == "nodes" && parts[2] == "status":
            return ["cpu": 0.05, "uptime": 360_000, "pveversion": "pve-manager/9.1.1"]
        case (.get, 6) where parts[0] == "nodes" && parts[4] == "agent":
            return ["result": [["name": "lo", "ip-addresses": [["ip-address": "127.0.0.1", "prefix": 8]]], ["name": "eth0", "ip-addresses": [["ip-address": "192.0.2.10", "prefix": 24]]]]]
        case (.get, 5) where parts[0] == "nodes" && parts[4] == "config":
            guard let g = guests.first(where: { String($0.vmid) == parts[3] && $0.node == parts[1] }) else { throw APIError(kind: .http, message: "Configuration file does not exist", status: 500) }
            return .object(g.config.isEmpty ? [("name", .string(g.name))] : g.config)
        case (.get, 6) where parts[0] == "nodes" && parts[5] == "current":
            guard let g = guests.first(where: { String($0.vmid) == parts[3] }) else { throw APIError(kind: .http, message: "no such guest", status: 500) }
            return ["status": .string(g.status), "uptime": 3600, "cpu": 0.25, "mem": 1_073_741_824, "maxmem": 2_147_483_648]
        case (.post, 6) where parts[0] == "nodes" && parts[4] == "status":
            guard let i = guests.firstIndex(where: { String($0.vmid) == parts[3] && $0.node == parts[1] }) else { throw APIError(kind: .http, message: "no such guest", status: 500) }
            if failing.contains(guests[i].vmid) { nextTask += 1; return .string(upid(parts[1], pid: "0000FA11", type: "qm" + parts[5], id: parts[3])) }
            switch parts[5] {
            case "start", "resume", "reboot", "reset": guests[i].status = "running"
            case "stop", "shutdown": guests[i].status = "stopped"
            case "suspend": guests[i].status = "paused"
            default: throw APIError(kind: .http, message: "not implemented", status: 501)
            }
            nextTask += 1
            return .string(upid(parts[1], pid: "00001234", type: "qm" + parts[5], id: parts[3]))
        default:
            if method != .get { return .null }
            throw APIError(kind: .http, message: "Method '\(method.rawValue) \(path)' not implemented", status: 501)
        }
    }
}

/// A session + dispatcher on a fake cluster with a capturing console.
struct Shell {
    let cluster: MemoryCluster
    let session: Session
    let dispatcher: CommandDispatcher

    init(_ cluster: MemoryCluster = .standard(), interactive: Bool = false, connect: (() throws -> APIBackend)? = nil) {
        self.cluster = cluster
        var settings = ShellSettings()
        settings.interactive = interactive
        let (session, dispatcher) = ShellEnvironment.make(profileName: "home", settings: settings, console: .capturing(), connect: connect ?? { cluster })
        // The machine running tests may be loaded; the short TAB budget has its own test.
        session.cache.budget = 10
        self.session = session
        self.dispatcher = dispatcher
    }

    /// Runs one line split on spaces; returns stdout.
    @discardableResult
    func run(_ line: String) throws -> String {
        let before = session.console.capturedOutput.out
        try dispatcher.execute(words: line.split(separator: " ").map(String.init), at: .prompt)
        return String(session.console.capturedOutput.out.dropFirst(before.count))
    }

    /// The error message a line fails with (nil when it succeeds).
    func failure(_ line: String) -> String? {
        do { try run(line); return nil } catch let error as ShellError { return error.message } catch { return "\(error)" }
    }
}
