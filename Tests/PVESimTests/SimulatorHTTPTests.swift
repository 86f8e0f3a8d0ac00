import Foundation
import PVESchema
import Testing
@testable import PVESim

/// Wire-level behaviour of the simulator's HTTP front, checked with the real curl binary over loopback.
@Suite(.serialized) struct SimulatorHTTPTests {
    @Test func servesHTTPSWithTheCommittedCertificateAndTokenAuth() throws {
        let sim = try startSimulator()
        defer { sim.shutdown() }
        #expect(sim.baseURL == "https://127.0.0.1:\(sim.port)/api2/json")
        let result = try Curl.run(sim.baseURL + "/version", headers: [Curl.tokenHeader])
        #expect(result.status == 200)
        #expect(result.headers["content-type"] == "application/json;charset=UTF-8")
        #expect(result.json?["data"]?["version"]?.string == "9.1.1")
    }

    @Test func rejectsTheCertificateWithoutTheTestCA() throws {
        let sim = try startSimulator()
        defer { sim.shutdown() }
        let result = try Curl.run(sim.baseURL + "/version", headers: [Curl.tokenHeader], caFile: nil)
        #expect(result.exitCode == 60)  // CURLE_PEER_FAILED_VERIFICATION
    }

    @Test func pinnedFingerprintMatchesTheServedCertificate() throws {
        let sim = try startSimulator()
        defer { sim.shutdown() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "openssl s_client -connect 127.0.0.1:\(sim.port) </dev/null 2>/dev/null | openssl x509 -noout -fingerprint -sha256"]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(text.contains(SimCertificates.serverFingerprintSHA256))
    }

    @Test func servesPlainHTTPWhenAsked() throws {
        let sim = try startSimulator(tls: false)
        defer { sim.shutdown() }
        #expect(sim.baseURL.hasPrefix("http://127.0.0.1:"))
        let result = try Curl.run(sim.baseURL + "/version", headers: [Curl.tokenHeader], caFile: nil)
        #expect(result.status == 200)
    }

    @Test(arguments: [
        ("", 401, "No ticket"),
        ("Authorization: PVEAPIToken=root@pam!ci=00000000-0000-0000-0000-000000000000", 401, "invalid token value"),
        ("Authorization: PVEAPIToken=root@pam!nope=\(FakeCluster.tokenSecret)", 401, "invalid token value"),
        ("Cookie: PVEAuthCookie=PVE:root@pam:65000000::forged", 401, "permission denied - invalid PVE ticket"),
    ])
    func rejectsMissingOrBadCredentials(header: String, status: Int, reason: String) throws {
        let sim = try startSimulator()
        defer { sim.shutdown() }
        let result = try Curl.run(sim.baseURL + "/version", headers: header.isEmpty ? [] : [header])
        #expect(result.status == status)
        #expect(result.reason == reason)
        #expect(result.json?["data"]?.isNull == true)
    }

    @Test func unknownPathIsNotImplemented() throws {
        let sim = try startSimulator()
        defer { sim.shutdown() }
        let result = try Curl.run(sim.baseURL + "/nodes/pve1/frobnicate", headers: [Curl.tokenHeader])
        #expect(result.status == 501)
        #expect(result.reason == "Method 'GET /nodes/pve1/frobnicate' not implemented")
        let wrongMethod = try Curl.run(sim.baseURL + "/version", method: "DELETE", headers: [Curl.tokenHeader])
        #expect(wrongMethod.status == 501)
    }

    @Test func passesPathAndFormParametersToTheCluster() throws {
        let cluster = FakeCluster()
        let sim = try startSimulator(cluster)
        defer { sim.shutdown() }
        let result = try Curl.run(sim.baseURL + "/nodes/pve1/qemu/101/config", method: "PUT", headers: [Curl.tokenHeader],
                                  form: [("net0", "virtio,bridge=vmbr0,firewall=1"), ("memory", "2048"), ("delete", "ide2,scsi1")])
        #expect(result.status == 200)
        let request = try #require(cluster.lastRequest)
        #expect(request.template == "/nodes/{node}/qemu/{vmid}/config")
        #expect(request.params["node"] == "pve1")
        #expect(request.params["vmid"] == "101")
        #expect(request.params["net0"] == "virtio,bridge=vmbr0,firewall=1")
        #expect(request.identity.authid == "root@pam!ci")
    }

    @Test(arguments: [
        ("bogus", "1", "bogus", "property is not defined in schema and the schema does not allow additional properties"),
        ("ostype", "dos", "ostype", "value 'dos' does not have a value in the enumeration 'other, wxp, w2k, w2k3, w2k8, wvista, win7, win8, win10, win11, l24, l26, solaris'"),
        ("net0", "virtio,bridge=vmbr0,color=red", "net0", "invalid format - invalid key in comma-separated list property: color"),
        ("cores", "many", "cores", "type check ('integer') failed - got 'many'"),
        ("net32", "virtio", "net32", "property is not defined in schema and the schema does not allow additional properties"),
    ])
    func invalidParametersGet400WithErrorsBody(key: String, value: String, errorKey: String, message: String) throws {
        let cluster = FakeCluster()
        let sim = try startSimulator(cluster)
        defer { sim.shutdown() }
        let result = try Curl.run(sim.baseURL + "/nodes/pve1/qemu/101/config", method: "PUT", headers: [Curl.tokenHeader],
                                  form: [(key, value)])
        #expect(result.status == 400)
        #expect(result.reason == "Parameter verification failed.")
        let json = try #require(result.json)
        #expect(json["data"]?.isNull == true)
        #expect(json["errors"]?[errorKey]?.string == message)
        #expect(cluster.lastRequest == nil)
    }

    @Test func missingRequiredParameterIsReported() throws {
        let sim = try startSimulator()
        defer { sim.shutdown() }
        let result = try Curl.run(sim.baseURL + "/nodes/pve1/qemu", method: "POST", headers: [Curl.tokenHeader], form: [("name", "web")])
        #expect(result.status == 400)
        #expect(result.json?["errors"]?["vmid"]?.string == "property is missing and it is not optional")
    }

    @Test func badPathParameterIsA400() throws {
        let sim = try startSimulator()
        defer { sim.shutdown() }
        let result = try Curl.run(sim.baseURL + "/nodes/pve1/qemu/abc/config", method: "PUT", headers: [Curl.tokenHeader])
        #expect(result.status == 400)
        #expect(result.json?["errors"]?["vmid"]?.string == "type check ('integer') failed - got 'abc'")
    }
}
