import Synchronization

/// Collects the mutating requests a client would have sent (secrets redacted), for `--dry-run`.
public final class DryRunRecorder: Sendable {
    private let recorded = Mutex<[APIRequest]>([])
    private let onRecord: (@Sendable (APIRequest) -> Void)?

    /// - Parameter onRecord: called with each redacted request as it is recorded (e.g. to print it).
    public init(onRecord: (@Sendable (APIRequest) -> Void)? = nil) { self.onRecord = onRecord }

    /// The redacted requests in the order they were made.
    public var requests: [APIRequest] { recorded.withLock { $0 } }

    func record(_ request: APIRequest) {
        let redacted = request.redacted
        recorded.withLock { $0.append(redacted) }
        onRecord?(redacted)
    }
}
