import ProxmoxAPI
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The `--debug` / `set debug on` trace: one line per API request on stderr, e.g.
/// `debug: GET /cluster/resources?type=vm -> 200 OK (12 ms, 3456 bytes)`. The client redacts
/// secrets before a line gets here and never traces headers (tokens, cookies, CSRF).
///
/// Lines arrive from any thread (bulk workers each have a client), so the writer must be
/// thread-safe; a session's own writer is `Session.traceWriter`.
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

    /// Where the session's trace lines go. From the session's own thread, through its console:
    /// after the output it still holds for stdout, and erasing a progress line drawn in place (a
    /// task wait polls while its bar is showing). From other threads (bulk workers), which must
    /// not touch the console, straight to stderr.
    func traceWriter() -> @Sendable (String) -> Void {
        let owner = OwningThread(self)
        return { line in
            if let session = owner.sessionOnOwningThread {
                session.console.line(line, to: .err)
            } else {
                StandardError.write(line)
            }
        }
    }
}

/// The session a trace writer belongs to and the thread that runs it; the session is only
/// touched on that thread (hence `@unchecked`).
private final class OwningThread: @unchecked Sendable {
    private weak var session: Session?
    private let thread = pthread_self()

    init(_ session: Session) { self.session = session }

    var sessionOnOwningThread: Session? { pthread_equal(pthread_self(), thread) != 0 ? session : nil }
}
