import ProxmoxAPI
import PVESchema
import Synchronization

/// Collects the mutating requests one `--dry-run` command would have sent, secrets redacted.
/// Shared by the workers of a bulk command, which record from several threads.
public final class DryRunRecorder: Sendable {
    private let recorded = Mutex<[APIRequest]>([])

    public init() {}

    /// The redacted requests in the order they were made.
    public var requests: [APIRequest] { recorded.withLock { $0 } }

    /// Stores the request with its secrets redacted (what is stored is what gets printed).
    public func record(_ request: APIRequest) {
        let redacted = request.redacted
        recorded.withLock { $0.append(redacted) }
    }
}

/// The one `--dry-run` mechanism: wraps any backend, sends reads through (a dry run still resolves
/// targets and checks state) and records writes instead of sending them.
final class DryRunBackend: APIBackend {
    let base: APIBackend
    let recorder: DryRunRecorder

    init(base: APIBackend, recorder: DryRunRecorder) {
        self.base = base
        self.recorder = recorder
    }

    func request(_ method: HTTPMethod, _ path: String, _ params: [(String, String)]) throws -> JSON {
        if method == .get { return try base.request(method, path, params) }
        recorder.record(APIRequest(method, path, params: params))
        return .null
    }

    func rows(_ path: String, _ params: [(String, String)], keys: [String]) throws -> JSONRows {
        try base.rows(path, params, keys: keys)
    }

    func sibling() throws -> APIBackend { DryRunBackend(base: try base.sibling(), recorder: recorder) }

    /// No write was sent, so no task was started.
    func waitForTask(_ upid: String) throws -> String { "OK" }
}
