#if canImport(Glibc)
import Glibc
#endif
import PVESchema

/// The calls the command layer makes against a PVE API. `PVEClient` (ProxmoxAPI) is adapted to it
/// in `PVEClientBackend.swift`; tests may use any other implementation. Parameters are form values as
/// PVE expects them (booleans `0|1`); the result is the `data` member of the response.
public protocol APIBackend: AnyObject {
    func request(_ method: HTTPMethod, _ path: String, _ params: [(String, String)]) throws -> JSON
    /// An independent connection for concurrent work (one per worker thread).
    func sibling() throws -> APIBackend
    /// Waits until the task finishes and returns its exit status (`OK`, `WARNINGS: n`, or the error text).
    func waitForTask(_ upid: String) throws -> String
}

public enum HTTPMethod: String, Sendable, CaseIterable {
    case get = "GET", post = "POST", put = "PUT", delete = "DELETE"
}

extension APIBackend {
    public func get(_ path: String, _ params: [(String, String)] = []) throws -> JSON {
        try request(.get, path, params)
    }
}

/// One request a mutating command would have sent under `--dry-run`.
public struct RecordedRequest: Sendable, Equatable, CustomStringConvertible {
    public let method: HTTPMethod
    public let path: String
    /// Parameters with secrets already replaced by `<redacted>`.
    public let params: [(String, String)]

    public init(method: HTTPMethod, path: String, params: [(String, String)]) {
        self.method = method
        self.path = path
        self.params = params.map { (key, value) in (key, RecordedRequest.isSecret(key) ? "<redacted>" : value) }
    }

    public static func == (a: RecordedRequest, b: RecordedRequest) -> Bool {
        a.method == b.method && a.path == b.path && a.params.map { $0.0 + "=" + $0.1 } == b.params.map { $0.0 + "=" + $0.1 }
    }

    /// Parameter names whose values must never be printed.
    static func isSecret(_ key: String) -> Bool {
        let lower = key.lowercased()
        return ["password", "secret", "token", "key", "ticket"].contains { lower.contains($0) }
            && lower != "sshkeys-fingerprint"
    }

    /// `POST /nodes/pve1/qemu/101/status/start timeout=30`
    public var description: String {
        var text = method.rawValue + " " + path
        for (key, value) in params { text += " " + key + "=" + value }
        return text
    }
}

/// Collects the non-GET requests of one dry-run command (shared with concurrent workers).
public final class DryRunLog: @unchecked Sendable {
    // Guarded by `lock`: bulk verbs record from several worker threads.
    private var lock = pthread_mutex_t()
    private var entries: [RecordedRequest] = []

    public init() { pthread_mutex_init(&lock, nil) }
    deinit { pthread_mutex_destroy(&lock) }

    public func record(_ request: RecordedRequest) {
        pthread_mutex_lock(&lock)
        entries.append(request)
        pthread_mutex_unlock(&lock)
    }

    public var requests: [RecordedRequest] {
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
        log.record(RecordedRequest(method: method, path: path, params: params))
        return .null
    }

    func sibling() throws -> APIBackend { DryRunBackend(base: try base.sibling(), log: log) }

    func waitForTask(_ upid: String) throws -> String { "OK" }
}

/// An error from the API layer as the shell shows it (the adapter maps client errors to this).
public struct APIFailure: Error, CustomStringConvertible, Sendable {
    public let status: Int
    public let message: String
    public init(status: Int, message: String) {
        self.status = status
        self.message = message
    }
    public var description: String { status > 0 ? "\(message) (HTTP \(status))" : message }
}
