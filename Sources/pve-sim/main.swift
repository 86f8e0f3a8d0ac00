// pve-sim: a simulated Proxmox VE cluster on 127.0.0.1 (see `pve-sim --help`).
import Dispatch
import PVESim
#if canImport(Glibc)
import Glibc
#endif

func fail(_ message: String) -> Never {
    var line = Array("pve-sim: \(message)\n".utf8)
    _ = line.withUnsafeMutableBytes { write(2, $0.baseAddress, $0.count) }
    exit(2)
}

let commandLine: SimCommandLine
do {
    commandLine = try SimCommandLine.parse(Array(CommandLine.arguments.dropFirst()))
} catch {
    fail(error.description)
}
if commandLine.showHelp {
    print(SimCommandLine.usage)
    exit(0)
}
if commandLine.printCredentials {
    // Single-quoted so `eval "$(pve-sim --print-credentials)"` keeps the `!` of the token id.
    print("token='\(SimCredentials.rootTokenID)'\nsecret='\(SimCredentials.rootTokenSecret)'")
    exit(0)
}

let simulator: Simulator
do {
    simulator = try Simulator(cluster: makeCluster(commandLine), options: commandLine.simulatorOptions)
} catch {
    fail("\(error)")
}

// Stop cleanly on Ctrl-C / kill: close the listener, which ends `waitUntilClosed`.
signal(SIGINT, SIG_IGN)
signal(SIGTERM, SIG_IGN)
let signalSources = [SIGINT, SIGTERM].map { number in
    let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
    // @Sendable: top-level closures are main-actor isolated and would trap on the dispatch queue.
    source.setEventHandler { @Sendable in simulator.shutdown() }
    source.resume()
    return source
}

print("pve-sim listening on \(simulator.baseURL.replacingSuffix("/api2/json"))")
fflush(nil)
simulator.waitUntilClosed()
simulator.shutdown()
_ = signalSources

extension String {
    func replacingSuffix(_ suffix: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) : self
    }
}
