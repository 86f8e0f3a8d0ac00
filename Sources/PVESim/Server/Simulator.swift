import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

/// The simulated pveproxy: serves `https://127.0.0.1:PORT/api2/json/...` in front of a `SimCluster`.
///
/// ```swift
/// let sim = try Simulator(cluster: SimulatedCluster(options: .init()), options: SimulatorOptions(port: 0))
/// defer { sim.shutdown() }
/// print(sim.baseURL)   // https://127.0.0.1:40123/api2/json
/// ```
public final class Simulator: Sendable {
    /// The bound port (the real one when the options asked for 0).
    public let port: Int
    /// `https://127.0.0.1:PORT/api2/json` (or `http://` without TLS).
    public let baseURL: String
    /// Fault switches; change them while the simulator runs.
    public let faults: SimFaults
    /// The cluster behind the front.
    public let cluster: any SimCluster
    public let options: SimulatorOptions

    private let group: MultiThreadedEventLoopGroup
    private let channel: any Channel
    private let stopped = Atomic<Bool>(false)

    /// Starts listening; returns once the socket is bound.
    public init(cluster: any SimCluster, options: SimulatorOptions = SimulatorOptions()) throws(SimulatorError) {
        self.cluster = cluster
        self.options = options
        self.faults = SimFaults(options.faults)
        if let message = options.faults.validationError() { throw SimulatorError.badOptions(message) }
        let sslContext: NIOSSLContext?
        if options.tls {
            do {
                let certificate = try NIOSSLCertificate(bytes: Array(SimCertificates.serverCertificatePEM.utf8), format: .pem)
                let key = try NIOSSLPrivateKey(bytes: Array(SimCertificates.serverKeyPEM.utf8), format: .pem)
                let configuration = TLSConfiguration.makeServerConfiguration(certificateChain: [.certificate(certificate)],
                                                                             privateKey: .privateKey(key))
                sslContext = try NIOSSLContext(configuration: configuration)
            } catch {
                throw SimulatorError.tls("\(error)")
            }
        } else {
            sslContext = nil
        }
        let front = APIFront(cluster: cluster, options: options, faults: faults)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, options.threads))
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    if let sslContext { try pipeline.addHandler(NIOSSLServerHandler(context: sslContext)) }
                    try pipeline.configureHTTPServerPipeline(withPipeliningAssistance: true, withErrorHandling: true)
                    try pipeline.addHandler(HTTPFrontHandler(front: front))
                }
            }
        do {
            channel = try bootstrap.bind(host: options.host, port: options.port).wait()
        } catch {
            try? group.syncShutdownGracefully()
            throw SimulatorError.bind(host: options.host, port: options.port, reason: "\(error)")
        }
        self.group = group
        let bound = channel.localAddress?.port ?? options.port
        port = bound
        baseURL = "\(options.tls ? "https" : "http")://\(options.host):\(bound)/api2/json"
    }

    /// Stops listening, closes connections and joins the threads. Safe to call more than once.
    public func shutdown() {
        guard !stopped.exchange(true, ordering: .acquiringAndReleasing) else { return }
        if MultiThreadedEventLoopGroup.currentEventLoop != nil {
            // Blocking on our own event loop would deadlock: shut down asynchronously instead.
            channel.close(promise: nil)
            group.shutdownGracefully { _ in }
            return
        }
        try? channel.close().wait()
        try? group.syncShutdownGracefully()
    }

    /// Blocks until the listening socket is closed (by `shutdown()` from another thread).
    public func waitUntilClosed() {
        try? channel.closeFuture.wait()
    }

    deinit {
        shutdown()
    }
}

/// Why the simulator could not start.
public enum SimulatorError: Error, CustomStringConvertible, Sendable {
    case bind(host: String, port: Int, reason: String)
    case tls(String)
    case badOptions(String)

    public var description: String {
        switch self {
        case let .bind(host, port, reason): return "cannot listen on \(host):\(port): \(reason)"
        case .tls(let reason): return "cannot set up TLS with the built-in test certificate: \(reason)"
        case .badOptions(let reason): return "bad simulator options: \(reason)"
        }
    }
}
