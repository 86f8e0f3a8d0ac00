import Synchronization

/// A PVE login ticket and its CSRF token.
struct Ticket: Sendable {
    let username: String
    let value: String
    let csrfToken: String
    let issued: ContinuousClock.Instant
}

/// Authentication state shared by a client and its siblings (thread-safe): the current ticket
/// and a certificate the user accepted on first use during this run.
final class SharedSession: Sendable {
    private struct State {
        var ticket: Ticket?
        var acceptedFingerprint: Fingerprint?
    }
    private let state = Mutex(State())

    /// Tickets live 2 h; renew well before that.
    let renewAfter: Duration

    init(renewAfter: Duration = .seconds(105 * 60)) { self.renewAfter = renewAfter }

    var ticket: Ticket? {
        get { state.withLock { $0.ticket } }
        set { state.withLock { $0.ticket = newValue } }
    }

    var acceptedFingerprint: Fingerprint? {
        get { state.withLock { $0.acceptedFingerprint } }
        set { state.withLock { $0.acceptedFingerprint = newValue } }
    }
}
