import Foundation
import Testing
@testable import PVESim

/// `--verbose` request logging goes to stderr and never carries credentials.
@Suite(.serialized) struct SimulatorLoggingTests {
    /// Runs `body` with file descriptor 2 pointed at a temp file; returns what was written there.
    func capturingStderr(_ body: () throws -> Void) throws -> String {
        let path = NSTemporaryDirectory() + "pve-sim-stderr-\(getpid()).log"
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let file = open(path, O_WRONLY | O_TRUNC)
        let saved = dup(2)
        dup2(file, 2)
        defer {
            dup2(saved, 2)
            close(saved)
            close(file)
        }
        try body()
        return (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    }

    @Test func verboseLogsRequestsWithoutSecrets() throws {
        let secretPassword = "rootpw"
        let log = try capturingStderr {
            let sim = try startSimulator { $0.verbose = true }
            defer { sim.shutdown() }
            let login = try Curl.run(sim.baseURL + "/access/ticket?password=\(secretPassword)", method: "POST",
                                     form: [("username", "root@pam"), ("password", secretPassword)])
            #expect(login.status == 200)
            #expect(try Curl.run(sim.baseURL + "/version", headers: [Curl.tokenHeader]).status == 200)
        }
        #expect(log.contains("POST /access/ticket 200"))
        #expect(log.contains("GET /version 200"))
        #expect(!log.contains(secretPassword))
        #expect(!log.contains(FakeCluster.tokenSecret))
        #expect(!log.contains("PVE:root@pam"))
    }

    @Test func quietWithoutVerbose() throws {
        let log = try capturingStderr {
            let sim = try startSimulator()
            defer { sim.shutdown() }
            #expect(try Curl.run(sim.baseURL + "/version", headers: [Curl.tokenHeader]).status == 200)
        }
        #expect(!log.contains("/version"))
    }
}
