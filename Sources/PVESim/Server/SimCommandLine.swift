/// The `pve-sim` command line, parsed into simulator options plus the settings the cluster needs.
public struct SimCommandLine: Sendable, Equatable {
    public var port = 8006
    public var tls = true
    /// Extra generated guests for scale tests (0...20,000).
    public var guests = 0
    /// Seconds a task runs before it stops.
    public var taskSeconds = 1.0
    public var faults = FaultSettings()
    public var ticketLifetimeSeconds = 7200
    public var verbose = false
    /// gzip answers for clients that accept it (pveproxy's default); `--no-compression` is `COMPRESSION=0`.
    public var compression = true
    public var showHelp = false
    /// Print the built-in API token as shell assignments (for the demo and benchmark scripts).
    public var printCredentials = false

    public init() {}

    public static let usage = """
        usage: pve-sim [options]

        A simulated Proxmox VE cluster (3 nodes) serving the PVE API on 127.0.0.1.

          --port N              TCP port (default 8006; 0 picks a free one)
          --http                plain HTTP instead of HTTPS with the built-in test certificate
          --guests N            add N generated guests for scale tests (0-20000)
          --task-seconds S      how long tasks run before they finish (default 1)
          --latency-ms N        add N ms to every answer
          --error-rate F        answer this fraction (0-1) of requests with 500
          --drop-rate F         close this fraction (0-1) of connections without answering
          --unreachable N1,N2   answer requests for these nodes with 596
          --ticket-lifetime S   login ticket lifetime in seconds (default 7200)
          --no-compression      never gzip answers (pveproxy's COMPRESSION=0; by default answers
                                over 1 KiB are gzipped for clients that accept it)
          --verbose             log each request (method, path, status, time) to stderr
          --print-credentials   print the built-in root API token as shell assignments and exit
          --help                show this help

        Prints "pve-sim listening on URL" once ready; stops on SIGINT or SIGTERM.
        Faults can be changed while running: POST /_sim/faults (root@pam).
        """

    /// The simulator options these flags describe.
    public var simulatorOptions: SimulatorOptions {
        SimulatorOptions(port: port, tls: tls, ticketLifetime: .seconds(ticketLifetimeSeconds), faults: faults, verbose: verbose,
                         compression: compression)
    }

    /// Parses arguments (without the program name).
    public static func parse(_ arguments: [String]) throws(SimCommandLineError) -> SimCommandLine {
        var result = SimCommandLine()
        var rest = arguments[...]
        while let flag = rest.popFirst() {
            // Accept `--flag=value` as well as `--flag value`.
            var name = flag
            var inlineValue: String?
            if flag.hasPrefix("--"), let eq = flag.firstIndex(of: "=") {
                name = String(flag[..<eq])
                inlineValue = String(flag[flag.index(after: eq)...])
            }
            func value() throws(SimCommandLineError) -> String {
                if let inlineValue { return inlineValue }
                guard let next = rest.popFirst() else { throw .missingValue(name) }
                return next
            }
            func int(_ range: ClosedRange<Int>) throws(SimCommandLineError) -> Int {
                let text = try value()
                guard let n = Int(text), range.contains(n) else { throw .badValue(name, text, "an integer in \(range.lowerBound)...\(range.upperBound)") }
                return n
            }
            func fraction() throws(SimCommandLineError) -> Double {
                let text = try value()
                guard let f = Double(text), (0...1).contains(f) else { throw .badValue(name, text, "a number between 0 and 1") }
                return f
            }
            switch name {
            case "--port": result.port = try int(0...65535)
            case "--http": result.tls = false
            case "--guests": result.guests = try int(0...20_000)
            case "--task-seconds":
                let text = try value()
                guard let s = Double(text), s >= 0, s <= 86_400 else { throw .badValue(name, text, "seconds between 0 and 86400") }
                result.taskSeconds = s
            case "--latency-ms": result.faults.latencyMs = try int(0...600_000)
            case "--error-rate": result.faults.errorRate = try fraction()
            case "--drop-rate": result.faults.dropRate = try fraction()
            case "--unreachable":
                let nodes = try value().split(separator: ",").map { String($0) }.filter { !$0.isEmpty }
                result.faults.unreachableNodes = Set(nodes)
            case "--ticket-lifetime": result.ticketLifetimeSeconds = try int(1...86_400 * 7)
            case "--verbose", "-v": result.verbose = true
            case "--no-compression": result.compression = false
            case "--help", "-h": result.showHelp = true
            case "--print-credentials": result.printCredentials = true
            default: throw .unknownFlag(flag)
            }
            if inlineValue != nil, ["--http", "--verbose", "--no-compression", "--help", "--print-credentials"].contains(name) { throw .unexpectedValue(name) }
        }
        return result
    }
}

/// A `pve-sim` command-line mistake, worded for the person who typed it.
public enum SimCommandLineError: Error, Equatable, CustomStringConvertible {
    case unknownFlag(String)
    case missingValue(String)
    case badValue(String, String, String)
    case unexpectedValue(String)

    public var description: String {
        switch self {
        case .unknownFlag(let flag): return "unknown option '\(flag)' (see pve-sim --help)"
        case .missingValue(let flag): return "option \(flag) needs a value"
        case let .badValue(flag, value, expected): return "option \(flag): '\(value)' is not \(expected)"
        case .unexpectedValue(let flag): return "option \(flag) takes no value"
        }
    }
}
