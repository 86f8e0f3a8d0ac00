import ProxmoxAPI
import Synchronization

/// The `--debug` / `set debug on` trace: one line per API request on stderr, e.g.
/// `debug: GET /cluster/resources?type=vm -> 200 OK (12 ms, 3456 bytes)`. The client redacts
/// secrets before a line gets here and never traces headers (tokens, cookies, CSRF).
///
/// Lines arrive from any thread (bulk workers each have a client), so they go through a thread-safe
/// writer instead of the session's single-threaded `Console`.
public final class RequestTrace: Sendable {
    private let enabled = Atomic<Bool>(false)
    private let write: @Sendable (String) -> Void

    /// - Parameter write: receives each finished line (default: standard error).
    public init(write: @escaping @Sendable (String) -> Void = { StandardError.write($0) }) {
        self.write = write
    }

    /// Whether requests are traced now (`--debug`, `set debug on`, or one command's `--debug`).
    public var isOn: Bool {
        get { enabled.load(ordering: .relaxed) }
        set { enabled.store(newValue, ordering: .relaxed) }
    }

    /// One line from `PVEClient.trace`; dropped while tracing is off.
    public func record(_ line: String) {
        guard isOn else { return }
        write("debug: " + line)
    }
}

extension Session {
    /// Hooks a client made for this session to it: Ctrl-C aborts the request in flight (the
    /// session's interrupt flag), and `--debug` traces each request.
    public func hook(_ client: PVEClient) {
        client.shouldAbort = { [interrupt] in interrupt.isRaised }
        client.trace = { [requestTrace] line in requestTrace.record(line) }
    }
}
