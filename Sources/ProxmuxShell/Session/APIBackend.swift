#if canImport(Glibc)
import Glibc
#endif
import ProxmoxAPI
import PVESchema

/// The calls the command layer makes against a PVE API. `PVEClient` (ProxmoxAPI) is adapted to it
/// in `PVEClientBackend.swift`; tests may use any other implementation (an in-memory cluster). Parameters are form values as
/// PVE expects them (booleans `0|1`); the result is the `data` member of the response.
/// It is also the `TaskCalls` the task watcher and wizards use, so one connection serves them all.
public protocol APIBackend: TaskCalls {
    func request(_ method: HTTPMethod, _ path: String, _ params: [(String, String)]) throws -> JSON
    /// A GET whose `data` is a list of objects, with the values of `keys` indexed (big listings).
    func rows(_ path: String, _ params: [(String, String)], keys: [String]) throws -> JSONRows
    /// An independent connection for concurrent work (one per worker thread).
    func sibling() throws -> APIBackend
    /// Waits until the task finishes and returns its exit status (`OK`, `WARNINGS: n`, or the error text).
    func waitForTask(_ upid: String) throws -> String
}

extension APIBackend {
    public func get(_ path: String, _ params: [(String, String)] = []) throws -> JSON {
        try request(.get, path, params)
    }

    /// Backends without a text form of their answers index decoded values.
    public func rows(_ path: String, _ params: [(String, String)], keys: [String]) throws -> JSONRows {
        JSONRows(try get(path, params).array ?? [], keys: keys)
    }
}

/// Collects the non-GET requests of one dry-run command (shared with concurrent workers).
public final class DryRunLog: @unchecked Sendable {
    // Guarded by `lock`: bulk verbs record from several worker threads.
    private var lock = pthread_mutex_t()
    private var entries: [APIRequest] = []

    public init() { pthread_mutex_init(&lock, nil) }
    deinit { pthread_mutex_destroy(&lock) }

    /// Stores the request with its secrets redacted.
    public func record(_ request: APIRequest) {
        pthread_mutex_lock(&lock)
        entries.append(request.redacted)
        pthread_mutex_unlock(&lock)
    }

    public var requests: [APIRequest] {
        pthread_mutex_lock(&lock)
        defer { pthread_mutex_unlock(&lock) }
        return entries
    }
}

/// Sends reads through, records writes instead of sending them (for `--dry-run`).
final class DryRunBackend: APIBackend {
    let base: APIBackend
    let log: DryRunLog

    init(base: APIBackend, log: DryRunLog) {
        self.base = base
        self.log = log
    }

    func request(_ method: HTTPMethod, _ path: String, _ params: [(String, String)]) throws -> JSON {
        if method == .get { return try base.request(method, path, params) }
        log.record(APIRequest(method, path, params: params))
        return .null
    }

    func rows(_ path: String, _ params: [(String, String)], keys: [String]) throws -> JSONRows {
        try base.rows(path, params, keys: keys)
    }

    func sibling() throws -> APIBackend { DryRunBackend(base: try base.sibling(), log: log) }

    func waitForTask(_ upid: String) throws -> String { "OK" }
}
