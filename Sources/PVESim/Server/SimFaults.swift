import Synchronization

/// The simulator's fault switches, readable and writable from any thread while it runs.
public final class SimFaults: Sendable {
    private let state: Mutex<FaultSettings>
    private let ticketGeneration = Atomic<Int>(0)

    public init(_ settings: FaultSettings = FaultSettings()) {
        state = Mutex(settings)
    }

    /// The current settings.
    public var settings: FaultSettings {
        get { state.withLock { $0 } }
        set { state.withLock { $0 = newValue } }
    }

    /// Changes some settings atomically.
    public func update(_ change: (inout FaultSettings) -> Void) {
        state.withLock { change(&$0) }
    }

    /// Every ticket issued so far becomes invalid (clients get 401 and must log in again).
    public func expireAllTickets() {
        ticketGeneration.add(1, ordering: .relaxed)
    }

    /// Bumped by `expireAllTickets`; mixed into ticket signatures.
    var ticketEpoch: Int { ticketGeneration.load(ordering: .relaxed) }

    /// What to do with one request, decided from the current settings.
    func decide(node: String?) -> FaultDecision {
        let s = settings
        if s.dropRate > 0, Double.random(in: 0..<1) < s.dropRate { return .drop }
        let delay = s.latencyMs
        if let node, s.unreachableNodes.contains(node) { return .answer(delayMs: delay, error: .unreachable(node)) }
        if s.errorRate > 0, Double.random(in: 0..<1) < s.errorRate {
            return .answer(delayMs: delay, error: SimError(status: 500, reason: "simulated fault"))
        }
        return .answer(delayMs: delay, error: nil)
    }
}

enum FaultDecision: Equatable {
    /// Close the connection without answering.
    case drop
    /// Answer after `delayMs`, with `error` instead of the real answer when set.
    case answer(delayMs: Int, error: SimError?)
}

extension SimError {
    /// What pveproxy answers when it cannot proxy a call to another node.
    static func unreachable(_ node: String) -> SimError {
        SimError(status: 596, reason: "Connection timed out")
    }
}
