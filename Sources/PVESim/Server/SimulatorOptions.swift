import NIOCore

/// How the simulator's HTTP front runs. The cluster behind it is passed to `Simulator` separately.
public struct SimulatorOptions: Sendable {
    /// TCP port; 0 picks a free ephemeral port (read it back from `Simulator.port`).
    public var port: Int
    /// Address to bind; loopback only by design.
    public var host: String
    /// HTTPS with the committed test certificate (`SimCertificates`); false serves plain HTTP.
    public var tls: Bool
    /// How long a login ticket stays valid (PVE: 2 hours).
    public var ticketLifetime: Duration
    /// Pause before answering a failed login, as pveproxy does to slow password guessing.
    public var failedLoginDelay: Duration
    /// Faults active from the start (change them later through `Simulator.faults`).
    public var faults: FaultSettings
    /// Log one line per request to stderr (method, path, status, time; never secrets).
    public var verbose: Bool
    /// gzip answers over 1 KiB for clients that accept it, as pveproxy does unless
    /// `/etc/default/pveproxy` says `COMPRESSION=0`.
    public var compression: Bool
    /// Event-loop threads; defaults to the number of cores.
    public var threads: Int
    /// Largest non-upload request body accepted (uploads are streamed and not limited).
    public var maxBodyBytes: Int

    public init(port: Int = 8006, host: String = "127.0.0.1", tls: Bool = true,
                ticketLifetime: Duration = .seconds(7200), failedLoginDelay: Duration = .milliseconds(200),
                faults: FaultSettings = FaultSettings(), verbose: Bool = false, compression: Bool = true,
                threads: Int = System.coreCount, maxBodyBytes: Int = 16 << 20) {
        self.port = port
        self.host = host
        self.tls = tls
        self.ticketLifetime = ticketLifetime
        self.failedLoginDelay = failedLoginDelay
        self.faults = faults
        self.verbose = verbose
        self.compression = compression
        self.threads = threads
        self.maxBodyBytes = maxBodyBytes
    }
}

/// Injected misbehaviour, applied to every `/api2` request.
public struct FaultSettings: Sendable, Equatable {
    /// Extra delay before each answer, in milliseconds.
    public var latencyMs: Int
    /// Fraction (0...1) of requests answered `500 simulated fault`.
    public var errorRate: Double
    /// Fraction (0...1) of requests whose connection is closed without an answer.
    public var dropRate: Double
    /// Nodes that the answering node cannot reach: requests for them get HTTP 596.
    public var unreachableNodes: Set<String>

    public init(latencyMs: Int = 0, errorRate: Double = 0, dropRate: Double = 0, unreachableNodes: Set<String> = []) {
        self.latencyMs = latencyMs
        self.errorRate = errorRate
        self.dropRate = dropRate
        self.unreachableNodes = unreachableNodes
    }

    /// Checks the ranges; returns a message naming the bad setting.
    public func validationError() -> String? {
        if latencyMs < 0 || latencyMs > 600_000 { return "latency_ms must be between 0 and 600000, got \(latencyMs)" }
        if !(0...1).contains(errorRate) { return "error_rate must be between 0 and 1, got \(errorRate)" }
        if !(0...1).contains(dropRate) { return "drop_rate must be between 0 and 1, got \(dropRate)" }
        return nil
    }
}
