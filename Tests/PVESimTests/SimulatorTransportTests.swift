import Foundation
import PVESchema
import Testing
@testable import PVESim

/// Uploads, Expect: 100-continue, keep-alive, faults and the control endpoint.
@Suite(.serialized) struct SimulatorTransportTests {
    @Test func expectContinueIsAnsweredPromptly() throws {
        let sim = try startSimulator()
        defer { sim.shutdown() }
        // Without a 100 Continue, curl waits a full second before sending the body.
        let result = try Curl.run(sim.baseURL + "/nodes/pve1/qemu/100/config", method: "PUT",
                                  headers: [Curl.tokenHeader, "Expect: 100-continue"], form: [("memory", "4096")])
        #expect(result.status == 200)
        #expect(result.seconds < 0.8)
    }

    @Test func expectContinueWithBadCredentialsGetsTheErrorAtOnce() throws {
        let sim = try startSimulator()
        defer { sim.shutdown() }
        let result = try Curl.run(sim.baseURL + "/nodes/pve1/qemu/100/config", method: "PUT",
                                  headers: ["Expect: 100-continue"], form: [("memory", "4096")])
        #expect(result.status == 401)
        #expect(result.seconds < 0.8)
    }

    @Test func connectionsAreKeptAlive() throws {
        let sim = try startSimulator()
        defer { sim.shutdown() }
        let url = sim.baseURL + "/version"
        let result = try Curl.run(url, headers: [Curl.tokenHeader], extraArgs: ["-o", "/dev/null", "-o", "/dev/null", "-w", "%{num_connects} ", url])
        // Two transfers, one connection: the second reports zero new connects.
        #expect(result.body == "1 0 ")
    }

    @Test func largeUploadIsStreamedWithFlatMemory() throws {
        let cluster = FakeCluster()
        let sim = try startSimulator(cluster)
        defer { sim.shutdown() }
        let path = NSTemporaryDirectory() + "pve-sim-upload-\(getpid()).iso"
        let size: Int64 = 100 * 1024 * 1024
        #expect(FileManager.default.createFile(atPath: path, contents: nil))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.truncate(atOffset: UInt64(size))  // sparse: no disk use
        try handle.close()

        let before = residentKiB()
        let result = try Curl.run(sim.baseURL + "/nodes/pve1/storage/local/upload", method: "POST", headers: [Curl.tokenHeader],
                                  multipart: [("content", "iso"), ("filename", "@\(path);filename=debian-13.iso")], timeout: 120)
        let after = residentKiB()
        #expect(result.status == 200)
        let data = try #require(result.json?["data"])
        #expect(data["size"]?.int == size)
        #expect(data["filename"]?.string == "debian-13.iso")
        #expect(data["content"]?.string == "iso")
        #expect(cluster.lastRequest?.upload == SimUpload(filename: "debian-13.iso", size: size))
        // Buffering the body would add at least 100 MiB; other suites share this process's RSS.
        #expect(after - before < 60 * 1024, "resident memory grew by \(after - before) KiB")
    }

    @Test(arguments: ["md5", "sha1", "sha224", "sha256", "sha384", "sha512"])
    func uploadChecksumIsVerified(algorithm: String) throws {
        let sim = try startSimulator()
        defer { sim.shutdown() }
        let path = NSTemporaryDirectory() + "pve-sim-small-\(getpid())-\(algorithm).iso"
        var bytes = [UInt8](repeating: 0, count: 300_000)
        for i in bytes.indices { bytes[i] = UInt8(truncatingIfNeeded: i &* 2_654_435_761 >> 13) }
        #expect(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
        defer { try? FileManager.default.removeItem(atPath: path) }
        // The reference digest comes from the system tool, not from our own code.
        let tool = Process()
        tool.executableURL = URL(fileURLWithPath: "/usr/bin/\(algorithm)sum")
        tool.arguments = [path]
        let out = Pipe()
        tool.standardOutput = out
        try tool.run()
        let digest = String(String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).prefix { $0 != " " })
        tool.waitUntilExit()
        let url = sim.baseURL + "/nodes/pve1/storage/local/upload"
        let good = try Curl.run(url, method: "POST", headers: [Curl.tokenHeader],
                                multipart: [("content", "iso"), ("checksum-algorithm", algorithm), ("checksum", digest.uppercased()),
                                            ("filename", "@\(path)")])
        #expect(good.status == 200)
        let bad = try Curl.run(url, method: "POST", headers: [Curl.tokenHeader],
                               multipart: [("content", "iso"), ("checksum-algorithm", algorithm),
                                           ("checksum", String(repeating: "0", count: digest.count)), ("filename", "@\(path)")])
        #expect(bad.status == 500)
        #expect(bad.reason.hasPrefix("checksum mismatch: got '\(digest)'"))
    }

    @Test func uploadFieldsAreValidated() throws {
        let sim = try startSimulator()
        defer { sim.shutdown() }
        let path = NSTemporaryDirectory() + "pve-sim-tiny-\(getpid()).iso"
        #expect(FileManager.default.createFile(atPath: path, contents: Data("hello".utf8)))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try Curl.run(sim.baseURL + "/nodes/pve1/storage/local/upload", method: "POST", headers: [Curl.tokenHeader],
                                  multipart: [("content", "images"), ("filename", "@\(path)")])
        #expect(result.status == 400)
        #expect(result.json?["errors"]?["content"]?.string == "value 'images' does not have a value in the enumeration 'iso, vztmpl, import'")
    }

    @Test func unreachableNodeGets596() throws {
        let sim = try startSimulator { $0.faults.unreachableNodes = ["pve3"] }
        defer { sim.shutdown() }
        let down = try Curl.run(sim.baseURL + "/nodes/pve3/qemu", headers: [Curl.tokenHeader])
        #expect(down.status == 596)
        #expect(down.reason == "Connection timed out")
        #expect(try Curl.run(sim.baseURL + "/nodes/pve1/qemu", headers: [Curl.tokenHeader]).status == 200)
    }

    @Test func errorRateOneAnswers500AndCanBeSwitchedOffAtRunTime() throws {
        let sim = try startSimulator { $0.faults.errorRate = 1 }
        defer { sim.shutdown() }
        let failing = try Curl.run(sim.baseURL + "/version", headers: [Curl.tokenHeader])
        #expect(failing.status == 500)
        #expect(failing.reason == "simulated fault")
        sim.faults.update { $0.errorRate = 0 }
        #expect(try Curl.run(sim.baseURL + "/version", headers: [Curl.tokenHeader]).status == 200)
    }

    @Test func dropRateOneClosesWithoutAnswer() throws {
        let sim = try startSimulator { $0.faults.dropRate = 1 }
        defer { sim.shutdown() }
        let result = try Curl.run(sim.baseURL + "/version", headers: [Curl.tokenHeader])
        #expect(result.status == 0)
        #expect(result.exitCode != 0)
    }

    /// pveproxy gzips answers over 1 KiB for clients that accept gzip, unless COMPRESSION=0.
    @Test func bigAnswersAreGzippedForClientsThatAcceptIt() throws {
        let sim = try startSimulator(FakeCluster(guests: 200))
        defer { sim.shutdown() }
        let url = sim.baseURL + "/cluster/resources"
        let plain = try Curl.run(url, headers: [Curl.tokenHeader])
        let gzipped = try Curl.run(url, headers: [Curl.tokenHeader], extraArgs: ["--compressed", "-w", "|%{size_download}"])
        #expect(plain.headers["content-encoding"] == nil)
        #expect(gzipped.headers["content-encoding"] == "gzip")
        // curl decodes it: the same rows, in far fewer bytes on the wire.
        let bar = try #require(gzipped.body.lastIndex(of: "|"))
        let wireBytes = try #require(Int(gzipped.body[gzipped.body.index(after: bar)...]))
        let document = String(gzipped.body[..<bar])
        #expect(try JSON.parse(document) == plain.json)
        #expect(wireBytes * 5 < plain.body.utf8.count)
        // Small answers are sent as they are.
        let small = try Curl.run(sim.baseURL + "/version", headers: [Curl.tokenHeader], extraArgs: ["--compressed"])
        #expect(small.headers["content-encoding"] == nil)
        #expect(small.json?["data"]?["version"]?.string == "9.1.1")
    }

    @Test func compressionCanBeSwitchedOff() throws {
        let sim = try startSimulator(FakeCluster(guests: 200)) { $0.compression = false }
        defer { sim.shutdown() }
        let result = try Curl.run(sim.baseURL + "/cluster/resources", headers: [Curl.tokenHeader], extraArgs: ["--compressed"])
        #expect(result.headers["content-encoding"] == nil)
        #expect(result.json?["data"]?.array?.count == 200)
    }

    @Test func latencyDelaysAnswers() throws {
        let sim = try startSimulator { $0.faults.latencyMs = 400 }
        defer { sim.shutdown() }
        let result = try Curl.run(sim.baseURL + "/version", headers: [Curl.tokenHeader])
        #expect(result.status == 200)
        #expect(result.seconds >= 0.4)
    }

    @Test func controlEndpointChangesFaultsForRoot() throws {
        let sim = try startSimulator()
        defer { sim.shutdown() }
        let url = "https://127.0.0.1:\(sim.port)/_sim/faults"
        #expect(try Curl.run(url, method: "POST", form: [("error_rate", "1")]).status == 401)
        let set = try Curl.run(url, method: "POST", headers: [Curl.tokenHeader],
                               form: [("latency_ms", "5"), ("unreachable", "pve2,pve3"), ("error_rate", "0")])
        #expect(set.status == 200)
        #expect(sim.faults.settings == FaultSettings(latencyMs: 5, unreachableNodes: ["pve2", "pve3"]))
        let get = try Curl.run(url, headers: [Curl.tokenHeader])
        #expect(get.json?["data"]?["unreachable"]?.string == "pve2,pve3")
        let bad = try Curl.run(url, method: "POST", headers: [Curl.tokenHeader], form: [("error_rate", "2")])
        #expect(bad.status == 400)
        #expect(sim.faults.settings.errorRate == 0)
        // Faults never hit the control endpoint itself, so they can always be switched off again.
        #expect(try Curl.run(url, method: "POST", headers: [Curl.tokenHeader], form: [("error_rate", "1"), ("drop_rate", "1")]).status == 200)
        #expect(try Curl.run(sim.baseURL + "/version", headers: [Curl.tokenHeader]).status == 0)
        #expect(try Curl.run(url, method: "POST", headers: [Curl.tokenHeader], form: [("error_rate", "0"), ("drop_rate", "0")]).status == 200)
        #expect(try Curl.run(sim.baseURL + "/version", headers: [Curl.tokenHeader]).status == 200)
    }

    @Test func expireTicketsThroughTheControlEndpoint() throws {
        let sim = try startSimulator()
        defer { sim.shutdown() }
        let login = try Curl.run(sim.baseURL + "/access/ticket", method: "POST", form: [("username", "root@pam"), ("password", "rootpw")])
        let ticket = try #require(login.json?["data"]?["ticket"]?.string)
        let cookie = "Cookie: PVEAuthCookie=" + (ticket.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")
        #expect(try Curl.run(sim.baseURL + "/version", headers: [cookie]).status == 200)
        let url = "https://127.0.0.1:\(sim.port)/_sim/faults"
        #expect(try Curl.run(url, method: "POST", headers: [Curl.tokenHeader], form: [("expire_tickets", "1")]).status == 200)
        #expect(try Curl.run(sim.baseURL + "/version", headers: [cookie]).status == 401)
    }

    @Test func largeListingIsServedQuickly() throws {
        let sim = try startSimulator(FakeCluster(guests: 10_000))
        defer { sim.shutdown() }
        let result = try Curl.run(sim.baseURL + "/cluster/resources", headers: [Curl.tokenHeader])
        #expect(result.status == 200)
        #expect(result.json?["data"]?.array?.count == 10_000)
        #expect(result.seconds < 2)
    }
}

extension SimulatorTransportTests {
    @Test func manySmallRequestsOnOneConnectionAreFast() throws {
        let sim = try startSimulator()
        defer { sim.shutdown() }
        let url = sim.baseURL + "/version"
        let count = 300
        let extra = ["-o", "/dev/null", "-w", "%{http_code}\n"] + Array(repeating: ["-o", "/dev/null", url], count: count - 1).flatMap { $0 }
        let result = try Curl.run(url, headers: [Curl.tokenHeader], extraArgs: extra)
        let codes = result.body.split(separator: "\n")
        #expect(codes.count == count && codes.allSatisfy { $0 == "200" })
        // Nagle + delayed ACK would cost ~40 ms per request; a debug build still does hundreds per second.
        #expect(result.seconds < Double(count) * 0.01, "\(count) requests took \(result.seconds) s")
        print("\(count) keep-alive requests in \(result.seconds) s")
    }
}
