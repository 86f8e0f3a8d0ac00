import Testing
@testable import ProxmoxAPI

@Suite("APIError messages")
struct APIErrorTests {
    func http(_ status: Int, _ reason: String, body: String = "", path: String = "/nodes/pve3/qemu",
              token: String? = nil) -> APIError {
        APIError.http(status: status, reason: reason, body: Array(body.utf8), method: "GET", path: path,
                      host: "pve1", tokenID: token)
    }

    @Test func unreachableNode() {
        let error = http(596, "Broken pipe")
        #expect(error.message.hasPrefix("node pve3 is unreachable from pve1 (HTTP 596"))
        #expect(!error.isRetryable)
    }

    @Test func parameterErrorsComeFromTheBody() {
        let error = http(400, "Parameter verification failed.",
                         body: #"{"data":null,"errors":{"memory":"type check ('integer') failed - got 'abc'\n"}}"#)
        #expect(error.message == "parameter verification failed: memory: type check ('integer') failed - got 'abc'")
        #expect(error.errors.first?.0 == "memory")
        #expect(error.status == 400 && error.kind == .http)
    }

    @Test func tokenPermissionHint() {
        let error = http(403, "Permission check failed (/vms/100, VM.PowerMgmt)", token: "ci@pve!deploy")
        #expect(error.message.contains("Permission check failed (/vms/100, VM.PowerMgmt)"))
        #expect(error.message.contains("pveum acl modify PATH --tokens ci@pve!deploy --roles ROLE"))
        #expect(!http(403, "Permission check failed").message.contains("pveum"), "no token hint for ticket users")
    }

    @Test func reasonPhraseCarriesTheMessage() {
        let error = http(500, "Configuration file 'nodes/pve1/qemu-server/999.conf' does not exist", path: "/nodes/pve1/qemu/999/config")
        #expect(error.message == "GET /nodes/pve1/qemu/999/config failed: Configuration file 'nodes/pve1/qemu-server/999.conf' does not exist (HTTP 500)")
    }

    @Test(arguments: [(502, true), (503, true), (504, true), (500, true), (501, false), (400, false), (403, false), (595, false), (596, false)])
    func retryableStatuses(_ status: Int, _ retryable: Bool) {
        #expect(http(status, "x").isRetryable == retryable)
    }

    @Test func unauthorizedIsAnAuthError() {
        let error = http(401, "authentication failure")
        #expect(error.kind == .auth && error.message.contains("authentication failure"))
    }

    @Test func requestDescriptionRedactsSecrets() {
        let request = APIRequest(.post, "/access/ticket", params: [("username", "root@pam"), ("password", "hunter2"), ("tfa-challenge", "abc")])
        #expect(!request.description.contains("hunter2"))
        #expect(!request.description.contains("abc"))
        #expect(request.description == "POST /access/ticket username=root@pam password=<redacted> tfa-challenge=<redacted>")
        let create = APIRequest(.post, "/nodes/pve1/qemu", params: [("vmid", "100"), ("name", "web 01"), ("cipassword", "x")])
        #expect(create.redacted.params.map(\.1) == ["100", "web 01", "<redacted>"])
    }

    @Test func formEncoding() {
        #expect(FormEncoding.encode([("net0", "model=virtio,bridge=vmbr0"), ("description", "a b&c/é")])
                == "net0=model%3Dvirtio%2Cbridge%3Dvmbr0&description=a%20b%26c%2F%C3%A9")
        #expect(FormEncoding.decode("a%20b+c%2F") == "a b c/")
    }

    @Test(arguments: [
        ("AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89", true),
        ("abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789", true),
        ("SHA256:ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89", true),
        ("AB:CD", false),
        ("ZZ:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89", false),
    ])
    func fingerprints(_ text: String, _ valid: Bool) {
        let parsed = Fingerprint(text)
        #expect((parsed != nil) == valid)
        if valid { #expect(parsed?.description == "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89") }
    }
}
