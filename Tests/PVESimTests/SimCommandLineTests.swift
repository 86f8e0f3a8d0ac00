import Testing
@testable import PVESim

@Suite struct SimCommandLineTests {
    @Test func defaultsMatchARealNode() throws {
        let parsed = try SimCommandLine.parse([])
        #expect(parsed.port == 8006 && parsed.tls && parsed.guests == 0 && !parsed.verbose)
        #expect(parsed.simulatorOptions.compression)
        #expect(parsed.simulatorOptions.ticketLifetime == .seconds(7200))
        #expect(parsed.simulatorOptions.host == "127.0.0.1")
    }

    @Test func parsesEveryFlag() throws {
        let parsed = try SimCommandLine.parse([
            "--port", "0", "--http", "--guests", "10000", "--task-seconds", "0.5", "--latency-ms=20", "--error-rate", "0.1",
            "--drop-rate", "0.05", "--unreachable", "pve2,pve3", "--ticket-lifetime", "60", "--verbose", "--print-credentials",
            "--no-compression",
        ])
        #expect(parsed.port == 0 && !parsed.tls && parsed.guests == 10_000 && parsed.taskSeconds == 0.5)
        #expect(parsed.faults == FaultSettings(latencyMs: 20, errorRate: 0.1, dropRate: 0.05, unreachableNodes: ["pve2", "pve3"]))
        #expect(parsed.ticketLifetimeSeconds == 60 && parsed.verbose && parsed.printCredentials)
        #expect(parsed.simulatorOptions.tls == false && parsed.simulatorOptions.compression == false)
    }

    @Test(arguments: [
        (["--bogus"], "unknown option '--bogus' (see pve-sim --help)"),
        (["--port"], "option --port needs a value"),
        (["--port", "70000"], "option --port: '70000' is not an integer in 0...65535"),
        (["--guests", "20001"], "option --guests: '20001' is not an integer in 0...20000"),
        (["--error-rate", "1.5"], "option --error-rate: '1.5' is not a number between 0 and 1"),
        (["--http=1"], "option --http takes no value"),
    ])
    func rejectsBadFlagsWithAClearMessage(_ args: [String], _ message: String) {
        #expect(throws: SimCommandLineError.self) { try SimCommandLine.parse(args) }
        do { _ = try SimCommandLine.parse(args) } catch { #expect(error.description == message) }
    }
}
