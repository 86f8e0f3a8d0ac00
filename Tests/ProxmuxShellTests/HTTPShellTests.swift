import Testing
import ProxmoxAPI
import PVESchema
@testable import ProxmuxShell

/// The command layer through the real client, over HTTP, against the simulator's front (auth and
/// schema validation of every request the shell sends).
@Suite struct HTTPShellTests {
    @Test func listingTenThousandGuestsIsOneHTTPRequest() throws {
        let (shell, handle) = try Shell.overHTTP(.large(10_000))
        let out = try shell.run("ls /vms --noheader")
        #expect(out.split(separator: "\n").count == 10_000)
        #expect(shell.cluster.requests.count == 1)
        _ = handle
    }

    @Test func startWaitsForTheTaskThroughTheClient() throws {
        let (shell, handle) = try Shell.overHTTP()
        let out = try shell.run("start 102")
        #expect(out.contains("vm 102 (web02) on pve2: started"))
        #expect(shell.cluster.status(of: 102) == "running")
        #expect(shell.cluster.requests.contains { $0.1.hasPrefix("/nodes/pve2/tasks/UPID:pve2:") && $0.1.hasSuffix("/status") })
        let bulk = try shell.run("shutdown tag:web --timeout 10 --force-stop")
        #expect(bulk.contains("vm 101 (web01) on pve1: shut down") && bulk.contains("ct 200 (proxy) on pve1: shut down"))
        _ = handle
    }

    @Test func dryRunSendsNoMutatingRequest() throws {
        let (shell, handle) = try Shell.overHTTP()
        let out = try shell.run("stop 101,103 --dry-run")
        #expect(out.contains("dry run: POST /nodes/pve1/qemu/101/status/stop"))
        #expect(out.contains("dry run: POST /nodes/pve2/qemu/103/status/stop"))
        #expect(shell.cluster.mutatingRequests == 0)
        _ = handle
    }

    @Test func dryRunRecordsWritesRedactedAndLetsReadsThrough() throws {
        let cluster = MemoryCluster.standard()
        let handle = try SimulatorHandle(cluster)
        let recorder = DryRunRecorder()
        let api = DryRunBackend(base: handle.backend(), recorder: recorder)
        #expect(try api.request(.post, "/access/users", [("userid", "bob@pve"), ("password", "hunter2")]) == .null)
        #expect(try api.sibling().request(.put, "/nodes/pve1/qemu/101/config", [("cipassword", "ci-secret"), ("memory", "1024")]) == .null,
                "a bulk worker's connection records into the same recorder")
        #expect(try api.get("/cluster/resources", [("type", "node")]).array?.count == 2, "reads still go out")
        #expect(recorder.requests.map(\.description) == [
            "POST /access/users userid=bob@pve password=<redacted>",
            "PUT /nodes/pve1/qemu/101/config cipassword=<redacted> memory=1024",
        ])
        #expect(cluster.mutatingRequests == 0 && cluster.count(.get, "/cluster/resources") == 1)
    }

    @Test func schemaRejectionsReachTheUserAndChangeNothing() throws {
        let (shell, handle) = try Shell.overHTTP()
        let message = try #require(shell.failure("api create /nodes/pve1/qemu/101/status/start bogus=1"))
        #expect(message.contains("bogus"), "\(message)")
        #expect(shell.cluster.status(of: 101) == "running" && shell.cluster.mutatingRequests == 0)
        _ = handle
    }

    @Test func showAndStatusOverHTTP() throws {
        let (shell, handle) = try Shell.overHTTP()
        #expect(try shell.run("show web01").contains("eth0: 192.0.2.10/24"))
        #expect(try shell.run("status").contains("Guests: 6"))
        _ = handle
    }
}
