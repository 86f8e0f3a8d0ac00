import Foundation
import PVESchema
import Testing
@testable import ProxmoxAPI
@testable import PVESim

/// The client against the real simulator front (TLS, auth, CSRF, validation, faults) on loopback.
@Suite("PVEClient against the simulator", .serialized)
struct ClientIntegrationTests {
    // MARK: TLS

    @Test func selfSignedRejectedByDefault() throws {
        let harness = try SimHarness()
        let client = PVEClient(settings: harness.tokenSettings(tls: TLSSettings(knownHostsPath: nil)))
        let fingerprint = try harness.certificateFingerprint
        #expect {
            _ = try client.get("/version")
        } throws: { error in
            guard let error = error as? APIError, error.kind == .tls else { return false }
            // Tells the user the fingerprint and how to pin it.
            return error.message.contains("fingerprint is \(fingerprint)") && error.message.contains("PROXMUX_FINGERPRINT")
        }
        #expect(harness.cluster.tokenChecks == 0 && harness.cluster.requests.isEmpty)
    }

    @Test func rightPinAccepted() throws {
        let harness = try SimHarness()
        let pin = try harness.certificateFingerprint
        let client = PVEClient(settings: harness.tokenSettings(tls: TLSSettings(fingerprint: pin, knownHostsPath: nil)))
        #expect(try client.get("/version")["version"]?.string == "9.1.1")
    }

    @Test func pinIsCaseAndColonInsensitive() throws {
        let harness = try SimHarness()
        let written = try harness.certificateFingerprint.description.lowercased().replacing(":", with: "")
        let client = PVEClient(settings: harness.tokenSettings(tls: TLSSettings(fingerprint: Fingerprint(written), knownHostsPath: nil)))
        #expect(try client.get("/version")["release"]?.string == "9.1")
    }

    @Test func wrongPinRejectedBeforeAnyCredentialIsSent() throws {
        let harness = try SimHarness()
        var wrong = try harness.certificateFingerprint.bytes
        wrong[31] ^= 0xFF
        let pin = try #require(Fingerprint(bytes: wrong))
        for settings in [harness.tokenSettings(tls: TLSSettings(fingerprint: pin, knownHostsPath: nil)),
                         { var s = harness.passwordSettings(); s.tls = TLSSettings(fingerprint: pin, knownHostsPath: nil); return s }()] {
            let client = PVEClient(settings: settings)
            #expect {
                _ = try client.post("/nodes/pve1/qemu/100/status/start")
            } throws: { error in
                guard let error = error as? APIError, error.kind == .tls else { return false }
                return error.message.contains("does not match the pinned \(pin)")
            }
        }
        // The handshake failed, so no request, token or password ever reached the server.
        #expect(harness.cluster.requests.isEmpty)
        #expect(harness.cluster.tokenChecks == 0)
        #expect(harness.cluster.calls.withLock { $0.passwordChecks } == 0)
    }

    @Test func caFileAccepted() throws {
        let harness = try SimHarness()
        let client = PVEClient(settings: harness.tokenSettings(tls: TLSSettings(caFile: harness.caFile, knownHostsPath: nil)))
        #expect(try client.get("/version")["version"]?.string == "9.1.1")
    }

    @Test func trustOnFirstUseAsksOnceAndRemembers() throws {
        let harness = try SimHarness()
        let knownHosts = harness.dir.path + "/known_hosts"
        let yes = RecordingInteraction(answer: true)
        let settings = harness.tokenSettings(tls: TLSSettings(knownHostsPath: knownHosts))
        #expect(try PVEClient(settings: settings, interaction: yes.interaction).get("/version")["version"] != nil)
        let fingerprint = try harness.certificateFingerprint
        #expect(yes.prompts.withLock { $0 } == ["127.0.0.1:\(harness.sim.port) \(fingerprint)"])
        #expect(KnownHosts(path: knownHosts).fingerprint(forHost: "127.0.0.1", port: harness.sim.port) == fingerprint)
        // A later run uses the remembered certificate without asking.
        let again = RecordingInteraction(answer: false)
        #expect(try PVEClient(settings: settings, interaction: again.interaction).get("/version")["version"] != nil)
        #expect(again.prompts.withLock { $0 }.isEmpty)
    }

    @Test func trustDeclinedFails() throws {
        let harness = try SimHarness()
        let no = RecordingInteraction(answer: false)
        let settings = harness.tokenSettings(tls: TLSSettings(knownHostsPath: harness.dir.path + "/known_hosts"))
        #expect(throws: APIError.self) { try PVEClient(settings: settings, interaction: no.interaction).get("/version") }
        #expect(no.prompts.withLock { $0.count } == 1)
        #expect(harness.cluster.tokenChecks == 0)
    }

    @Test func insecureWorksButWarns() throws {
        let harness = try SimHarness()
        let recorder = RecordingInteraction(answer: false)
        let client = PVEClient(settings: harness.tokenSettings(tls: TLSSettings(insecure: true, knownHostsPath: nil)),
                               interaction: recorder.interaction)
        #expect(try client.get("/version")["version"] != nil)
        #expect(recorder.warnings.withLock { $0 }.contains { $0.contains("verification is disabled") })
    }

    // MARK: Auth

    @Test func tokenAuth() throws {
        let harness = try SimHarness()
        let client = PVEClient(settings: harness.tokenSettings())
        let upid = try client.post("/nodes/pve1/qemu/100/status/start")
        #expect(UPID(upid.string ?? "")?.user == "root@pam!ci")
        #expect(harness.cluster.requests.last?.identity.tokenID == "ci")
    }

    @Test func wrongTokenSecretIsAnAuthError() throws {
        let harness = try SimHarness()
        var settings = harness.tokenSettings()
        settings.credentials = .token(tokenID: ClientTestCluster.tokenID, secret: "wrong-secret")
        #expect {
            _ = try PVEClient(settings: settings).get("/version")
        } throws: { error in
            guard let error = error as? APIError else { return false }
            return error.kind == .auth && error.status == 401 && !error.message.contains("wrong-secret")
        }
    }

    @Test func ticketAuthWithCSRF() throws {
        let harness = try SimHarness()
        let client = PVEClient(settings: harness.passwordSettings())
        #expect(try client.resources().count == 3)
        try client.put("/nodes/pve1/qemu/100/config", params: [("memory", "2048"), ("onboot", "1")])
        let put = try #require(harness.cluster.requests.last)
        #expect(put.method == "PUT" && put.params["memory"] == "2048" && put.identity.userid == "root@pam")
    }

    @Test func jsonBodies() throws {
        let harness = try SimHarness()
        let client = PVEClient(settings: harness.tokenSettings())
        try client.send(APIRequest(.put, "/nodes/pve1/qemu/100/config", params: [("memory", "4096"), ("description", "a & b = c")],
                                   bodyEncoding: .json))
        let put = try #require(harness.cluster.requests.last)
        #expect(put.params["memory"] == "4096" && put.params["description"] == "a & b = c")
    }

    @Test func wrongPasswordIsAnAuthErrorWithoutThePassword() throws {
        let harness = try SimHarness()
        #expect {
            _ = try PVEClient(settings: harness.passwordSettings(password: "not-the-password")).get("/version")
        } throws: { error in
            guard let error = error as? APIError else { return false }
            return error.kind == .auth && error.message.contains("login failed for root@pam") && !error.message.contains("not-the-password")
        }
    }

    @Test func missingCSRFTokenIsRejected() throws {
        let harness = try SimHarness()
        let client = PVEClient(settings: harness.passwordSettings())
        _ = try client.get("/version")
        let ticket = try #require(client.session.ticket)
        // A raw POST with the ticket cookie but no CSRFPreventionToken header.
        let response = try client.withTransport { transport throws(APIError) in
            try transport.perform(method: .post, url: harness.url + "/api2/json/nodes/pve1/qemu/100/status/start",
                                  headers: ["Cookie: PVEAuthCookie=\(FormEncoding.encode(ticket.value))"], body: nil)
        }
        #expect(response.status == 401)
        #expect(response.reason.lowercased().contains("csrf"))
        #expect(!harness.cluster.requests.contains { $0.method == "POST" })
        // The client itself sends it.
        #expect(UPID(try client.post("/nodes/pve1/qemu/100/status/start").string ?? "") != nil)
    }

    @Test func ticketRenewedAfterForcedExpiry() throws {
        let harness = try SimHarness()
        let client = PVEClient(settings: harness.passwordSettings())
        _ = try client.get("/version")
        let before = try #require(client.session.ticket?.value)
        harness.sim.faults.expireAllTickets()
        // Both a GET and a POST survive: 401 -> log in again -> retry once.
        #expect(try client.get("/cluster/nextid").int == 101)
        harness.sim.faults.expireAllTickets()
        #expect(UPID(try client.post("/nodes/pve1/qemu/100/status/start").string ?? "") != nil)
        #expect(client.session.ticket?.value != before)
    }

    @Test func ticketRenewedBeforeExpiryUsingTheTicket() throws {
        let harness = try SimHarness()
        let client = PVEClient(settings: harness.passwordSettings(), interaction: .none, session: SharedSession(renewAfter: .seconds(1)))
        _ = try client.get("/version")
        let first = try #require(client.session.ticket)
        let passwordChecks = harness.cluster.calls.withLock { $0.passwordChecks }
        Thread.sleep(forTimeInterval: 1.2)
        _ = try client.get("/version")
        let second = try #require(client.session.ticket)
        #expect(second.value != first.value)
        // Renewal posted the ticket, not the password.
        #expect(harness.cluster.calls.withLock { $0.passwordChecks } == passwordChecks)
    }

    @Test func twoFactorLoginAsksForTheCode() throws {
        let harness = try SimHarness()
        struct SimTOTP: OTPProvider {
            func oneTimePassword(for user: String) -> String? {
                TOTP.code(secret: ClientTestCluster.tfaSecret, at: Int64(Date().timeIntervalSince1970))
            }
        }
        let settings = harness.passwordSettings(user: "alice@pve", password: "alicepw")
        let client = PVEClient(settings: settings, interaction: ClientInteraction(otpProvider: SimTOTP()))
        #expect(try client.get("/version")["version"] != nil)
        #expect(client.session.ticket?.value.contains("!tfa!") == false)
        // Without a code source: a clear error.
        #expect {
            _ = try PVEClient(settings: settings).get("/version")
        } throws: { error in (error as? APIError)?.message.contains("PROXMUX_OTP") == true }
        // A wrong code fails the login.
        #expect(throws: APIError.self) {
            try PVEClient(settings: settings, interaction: ClientInteraction(otpProvider: FixedOTP("000000"))).get("/version")
        }
    }

    @Test func siblingsShareTheLogin() throws {
        let harness = try SimHarness()
        let client = PVEClient(settings: harness.passwordSettings())
        _ = try client.get("/version")
        let checks = harness.cluster.calls.withLock { $0.passwordChecks }
        let siblings = (0..<4).map { _ in client.sibling() }
        DispatchQueue.concurrentPerform(iterations: siblings.count) { i in
            _ = try? siblings[i].post("/nodes/pve1/qemu/\(100 + i)/status/start")
        }
        #expect(harness.cluster.requests.filter { $0.method == "POST" }.count == 4)
        #expect(harness.cluster.calls.withLock { $0.passwordChecks } == checks, "no extra logins")
    }

    // MARK: Errors and retries

    @Test func getRetriedOnServerErrorsPostNot() throws {
        let harness = try SimHarness()
        let client = PVEClient(settings: harness.tokenSettings())
        harness.cluster.failNext([SimError(status: 503, reason: "busy"), SimError(status: 500, reason: "simulated fault")])
        #expect(try client.get("/cluster/nextid").int == 101)
        #expect(harness.cluster.requests.filter { $0.path == "/cluster/nextid" }.count == 3)

        harness.cluster.failNext([SimError(status: 503, reason: "busy")])
        #expect {
            try client.post("/nodes/pve1/qemu/100/status/start")
        } throws: { error in (error as? APIError)?.status == 503 }
        #expect(harness.cluster.requests.filter { $0.method == "POST" }.count == 1, "POST sent exactly once")
    }

    /// A listing (indexed while it arrives) is retried like any read, and a failed one keeps the
    /// server's words (the error body comes from the indexing builder's text).
    @Test func listingsAreRetriedAndFailWithTheServersMessage() throws {
        let harness = try SimHarness()
        let client = PVEClient(settings: harness.tokenSettings())
        harness.cluster.failNext([SimError(status: 503, reason: "busy")])
        let rows = try client.rows("/cluster/resources", keys: ["id"])
        #expect((0..<rows.count).compactMap { rows.value($0, key: 0)?.string } == ["qemu/100", "lxc/200", "node/pve1"])
        harness.cluster.failNext(Array(repeating: SimError(status: 500, reason: "simulated fault"), count: 10))
        #expect {
            try client.rows("/cluster/resources", keys: ["id"])
        } throws: { error in
            guard let error = error as? APIError else { return false }
            return error.status == 500 && error.message.contains("simulated fault")
        }
    }

    @Test func getRetriedAfterDroppedConnectionsPostNot() throws {
        let harness = try SimHarness()
        let client = PVEClient(settings: harness.tokenSettings())
        _ = try client.get("/version")  // connection established
        harness.sim.faults.update { $0.dropRate = 1 }
        #expect {
            try client.post("/nodes/pve1/qemu/100/status/start")
        } throws: { error in (error as? APIError)?.kind == .network }
        #expect(!harness.cluster.requests.contains { $0.method == "POST" })

        // Drops stop while the GET is between attempts: the retry gets through.
        let faults = harness.sim.faults
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.05) { faults.update { $0.dropRate = 0 } }
        #expect(try client.get("/cluster/nextid").int == 101)
    }

    @Test func unreachableNodeMessage() throws {
        let harness = try SimHarness()
        harness.sim.faults.update { $0.unreachableNodes = ["pve3"] }
        #expect {
            _ = try PVEClient(settings: harness.tokenSettings()).get("/nodes/pve3/tasks/UPID:pve3:0000ABCD:00001234:6745F3A0:qmstart:100:root@pam:/status")
        } throws: { error in
            (error as? APIError)?.message.hasPrefix("node pve3 is unreachable from 127.0.0.1 (HTTP 596") == true
        }
    }

    @Test func parameterErrorsFromTheSimulator() throws {
        let harness = try SimHarness()
        #expect {
            try PVEClient(settings: harness.tokenSettings()).put("/nodes/pve1/qemu/100/config", params: [("memory", "abc")])
        } throws: { error in
            guard let error = error as? APIError else { return false }
            return error.status == 400 && error.errors.first?.0 == "memory" && error.message.hasPrefix("parameter verification failed: memory:")
        }
    }

    @Test func connectionRefused() throws {
        // Bind and close a port so nothing listens there.
        let harness = try SimHarness()
        let url = harness.url
        harness.sim.shutdown()
        var settings = harness.tokenSettings()
        settings.url = url
        #expect {
            _ = try PVEClient(settings: settings).get("/version")
        } throws: { error in
            (error as? APIError)?.message == "cannot connect to \(url): connection refused"
        }
    }

    // MARK: Resources, tasks

    /// The transport reads the status line and whether the body is compressed (to size the
    /// buffer for the decoded answer, not the compressed one).
    @Test func headerLinesGiveTheStatusAndTheEncoding() {
        var response = HTTPResponse()
        func feed(_ line: String) -> Bool {
            Array(line.utf8).withUnsafeBufferPointer { CurlTransport.parseHeaderLine($0, into: &response) }
        }
        // Each line is fed before the expectations read `response` (they must not feed it themselves).
        let continued = feed("HTTP/1.1 100 Continue\r\n")
        #expect(continued)
        let ok = feed("HTTP/1.1 200 OK\r\n")
        #expect(ok && response.status == 200 && response.reason == "OK" && !response.isEncoded)
        let encoding = feed("Content-Encoding: gzip\r\n")
        #expect(!encoding && response.isEncoded)
        let length = feed("Content-Length: 550452\r\n")
        #expect(!length && response.isEncoded)
        let unauthorized = feed("HTTP/1.1 401 authentication failure\r\n")
        #expect(unauthorized && !response.isEncoded && response.reason == "authentication failure")
        let identity = feed("content-encoding: identity\r\n")
        #expect(!identity && !response.isEncoded)
    }

    @Test func resourcesInOneCall() throws {
        let harness = try SimHarness()
        let rows = try PVEClient(settings: harness.tokenSettings()).resources()
        #expect(rows.map(\.id) == ["qemu/100", "lxc/200", "node/pve1"])
        #expect(rows[1].vmid == 200 && rows[1].template == false)
        #expect(harness.cluster.requests.filter { $0.path == "/cluster/resources" }.count == 1)
    }

    @Test func waitForTaskSuccessStreamsTheLog() throws {
        let harness = try SimHarness()
        let upid = try #require(UPID("UPID:pve2:0000ABCD:00001234:6745F3A0:qmstart:100:root@pam:"))
        harness.cluster.addTask(upid.raw, polls: 3, exit: "WARNINGS: 2", log: ["starting", "progress 50%", "progress 100%", "done"])
        var lines: [TaskLogLine] = []
        let outcome = try PVEClient(settings: harness.tokenSettings())
            .waitForTask(upid, pollInterval: .milliseconds(20), onLog: { lines.append($0) })
        #expect(outcome == .succeeded(warnings: 2))
        #expect(lines.map(\.text) == ["starting", "progress 50%", "progress 100%", "done"], "each line once, in order")
        #expect(harness.cluster.requests.allSatisfy { $0.params["node"] == "pve2" }, "polled on the UPID's node")
    }

    @Test func waitForTaskFailureCarriesTheLastLines() throws {
        let harness = try SimHarness()
        let upid = try #require(UPID("UPID:pve1:0000ABCD:00001234:6745F3A0:qmstart:101:root@pam:"))
        let log = (1...15).map { "line \($0)" } + ["TASK ERROR: start failed: QEMU exited with code 1"]
        harness.cluster.addTask(upid.raw, polls: 1, exit: "start failed: QEMU exited with code 1", log: log)
        let outcome = try PVEClient(settings: harness.tokenSettings()).waitForTask(upid, pollInterval: .milliseconds(10))
        guard case .failed(let exit, let last) = outcome else { Issue.record("expected failure, got \(outcome)"); return }
        #expect(exit == "start failed: QEMU exited with code 1")
        #expect(last.count == 10 && last.last == "TASK ERROR: start failed: QEMU exited with code 1")
    }

    @Test func stopWaitingLeavesTheTaskRunning() throws {
        let harness = try SimHarness()
        let upid = try #require(UPID("UPID:pve1:0000ABCD:00001234:6745F3A0:vzdump:100:root@pam:"))
        harness.cluster.addTask(upid.raw, polls: 1000, exit: "OK", log: ["a", "b"])
        var polls = 0
        let outcome = try PVEClient(settings: harness.tokenSettings())
            .waitForTask(upid, pollInterval: .milliseconds(5), shouldStopWaiting: { polls += 1; return polls > 3 })
        #expect(outcome == .stillRunning)
        #expect(!harness.cluster.requests.contains { $0.method != "GET" }, "nothing was sent to stop the task")
    }
}
