import Foundation
import PVESchema
import Synchronization
import Testing
@testable import ProxmoxAPI
@testable import PVESim

/// A switch another thread flips after a delay, like Ctrl-C while a request hangs. With `once`,
/// it says "abort" a single time: a client that retried would then wait for the slow answer.
private final class DelayedAbort: Sendable {
    private let raised = Atomic<Bool>(false)
    private let answered = Atomic<Bool>(false)
    private let once: Bool

    init(after milliseconds: Int, once: Bool = false) {
        self.once = once
        DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(milliseconds)) { [self] in
            raised.store(true, ordering: .sequentiallyConsistent)
        }
    }

    var check: @Sendable () -> Bool {
        { [self] in
            guard raised.load(ordering: .sequentiallyConsistent) else { return false }
            if once { return !answered.exchange(true, ordering: .sequentiallyConsistent) }
            return true
        }
    }
}

@Suite("Interrupting requests and the request trace", .serialized)
struct InterruptAndTraceTests {
    /// Every answer of the simulator takes this long: the "server not answering" case.
    static let slowAnswerMs = 5_000

    private func slowHarness() throws -> SimHarness {
        try SimHarness { $0.faults.latencyMs = Self.slowAnswerMs }
    }

    @Test func aHungReadStopsPromptlyAndIsNotRetried() throws {
        let harness = try slowHarness()
        let client = PVEClient(settings: harness.tokenSettings())
        client.shouldAbort = DelayedAbort(after: 200, once: true).check
        let started = ContinuousClock.now
        #expect {
            _ = try client.get("/cluster/resources")
        } throws: { error in
            (error as? APIError)?.kind == .interrupted && (error as? APIError)?.message == "interrupted"
        }
        let elapsed = ContinuousClock.now - started
        #expect(elapsed < .milliseconds(1_500), "returned after \(elapsed), not after the 5 s answer")
        #expect(harness.cluster.requests.filter { $0.path == "/cluster/resources" }.count == 1, "sent once, never retried")
    }

    @Test func anInterruptedWriteSaysItMayHaveHappened() throws {
        let harness = try slowHarness()
        let client = PVEClient(settings: harness.tokenSettings())
        client.shouldAbort = DelayedAbort(after: 200).check
        let started = ContinuousClock.now
        var caught: APIError?
        do {
            try client.post("/nodes/pve1/qemu/100/status/start")
        } catch {
            caught = error
        }
        #expect(ContinuousClock.now - started < .milliseconds(1_500))
        let error = try #require(caught)
        #expect(error.kind == .interrupted)
        #expect(error.message.contains("POST /nodes/pve1/qemu/100/status/start may already have reached the server"), "\(error.message)")
        #expect(error.message.contains("`tasks`"), "says how to check: \(error.message)")
        #expect(harness.cluster.requests.filter { $0.method == "POST" }.count == 1, "a write is never resent")
    }

    @Test func aRaisedFlagSendsNothing() throws {
        let harness = try SimHarness()
        let client = PVEClient(settings: harness.tokenSettings())
        client.shouldAbort = { true }
        #expect {
            try client.post("/nodes/pve1/qemu/100/status/start")
        } throws: { error in
            (error as? APIError)?.message == "interrupted (POST /nodes/pve1/qemu/100/status/start was not sent)"
        }
        #expect(harness.cluster.requests.isEmpty)
        client.shouldAbort = { false }
        #expect(try client.get("/version")["version"]?.string == "9.1.1", "the same client works once the flag is down")
    }

    @Test func siblingsShareTheAbortHook() throws {
        let harness = try slowHarness()
        let client = PVEClient(settings: harness.tokenSettings())
        client.shouldAbort = DelayedAbort(after: 200).check
        let started = ContinuousClock.now
        #expect(throws: APIError.self) { _ = try client.sibling().get("/version") }
        #expect(ContinuousClock.now - started < .milliseconds(1_500))
    }

    // MARK: Trace

    @Test func passwordLoginTraceHasOneLinePerRequestAndNoSecrets() throws {
        let harness = try SimHarness()
        let client = PVEClient(settings: harness.passwordSettings())
        let lines = Mutex<[String]>([])
        client.trace = { line in lines.withLock { $0.append(line) } }
        try client.put("/nodes/pve1/qemu/100/config", params: [("memory", "1024"), ("cipassword", "ci-secret")])
        _ = try client.get("/cluster/resources", query: [("type", "vm")])
        let ticket = try #require(client.session.ticket)
        let traced = lines.withLock { $0 }
        #expect(traced.count == 3, "login, PUT, GET: \(traced)")
        #expect(traced[0].hasPrefix("POST /access/ticket username=root@pam password=<redacted> -> 200 OK ("))
        #expect(traced[1].hasPrefix("PUT /nodes/pve1/qemu/100/config memory=1024 cipassword=<redacted> -> 200 OK ("))
        // Method, path with its query, status, milliseconds, bytes.
        let get = traced[2]
        #expect(get.hasPrefix("GET /cluster/resources?type=vm -> 200 OK ("), "\(get)")
        #expect(get.range(of: #"\(\d+ ms, \d+ bytes\)$"#, options: .regularExpression) != nil, "\(get)")
        let text = traced.joined(separator: "\n")
        for secret in ["rootpw", "ci-secret", ticket.value, ticket.csrfToken, "PVEAuthCookie", "CSRFPreventionToken"] {
            #expect(!text.contains(secret), "\(secret) leaked")
        }
    }

    @Test func tokenTraceNeverShowsTheSecret() throws {
        let harness = try SimHarness()
        let client = PVEClient(settings: harness.tokenSettings())
        let lines = Mutex<[String]>([])
        client.trace = { line in lines.withLock { $0.append(line) } }
        _ = try client.get("/version")
        #expect(throws: APIError.self) { _ = try client.get("/nodes/pve1/nothing-here") }
        let text = lines.withLock { $0 }.joined(separator: "\n")
        #expect(text.contains("GET /version -> 200 OK"))
        #expect(text.contains("GET /nodes/pve1/nothing-here -> "), "failed requests are traced too: \(text)")
        for secret in [ClientTestCluster.tokenSecret, "PVEAPIToken"] { #expect(!text.contains(secret)) }
    }
}
