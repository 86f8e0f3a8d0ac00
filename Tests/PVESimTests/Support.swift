import Foundation
import PVESchema
import Synchronization
import Testing
@testable import PVESim

/// A small stand-in for the real cluster: two users, one token, a TFA user, a few endpoints.
final class FakeCluster: SimCluster {
    static let tokenAuthid = "root@pam!ci"
    static let tokenSecret = "8a1c7f3e-5b2d-4c6a-9e0f-1d2c3b4a5f60"
    static let tfaSecret = "JBSWY3DPEHPK3PXP"

    let guestCount: Int
    private let requests = Mutex<[SimRequest]>([])

    init(guests: Int = 3) { guestCount = guests }

    var lastRequest: SimRequest? { requests.withLock { $0.last } }

    func handle(_ request: SimRequest) throws(SimError) -> JSON {
        requests.withLock { $0.append(request) }
        switch (request.method, request.template) {
        case ("GET", "/version"):
            return ["version": "9.1.1", "release": "9.1", "repoid": "sim"]
        case ("GET", "/cluster/resources"):
            return .array((0..<guestCount).map { i in
                ["id": .string("qemu/\(100 + i)"), "type": "qemu", "vmid": .int(Int64(100 + i)), "name": .string("vm-\(i)"),
                 "node": "pve1", "status": "running", "maxmem": 2_147_483_648, "cpu": 0.0125, "uptime": 3600]
            })
        case ("POST", "/nodes/{node}/storage/{storage}/upload"):
            guard let upload = request.upload else { throw .failed("no upload") }
            return ["filename": .string(upload.filename), "size": .int(upload.size), "content": .string(request.params["content"] ?? "")]
        case ("POST", "/nodes/{node}/qemu/{vmid}/status/start"), ("PUT", "/nodes/{node}/qemu/{vmid}/config"),
             ("POST", "/nodes/{node}/qemu"):
            return .string("UPID:pve1:00001234:00005678:65000000:qmstart:\(request.params["vmid"] ?? ""):\(request.identity.authid):")
        case ("GET", "/nodes/{node}/qemu"):
            return []
        default:
            throw .notImplemented(request.method, request.path)
        }
    }

    func verifyPassword(userid: String, password: String) -> Bool {
        (userid == "root@pam" && password == "rootpw") || (userid == "alice@pve" && password == "alicepw")
    }

    func totpSecret(userid: String) -> String? { userid == "alice@pve" ? Self.tfaSecret : nil }

    func verifyToken(authid: String, secret: String) -> SimIdentity? {
        guard authid == Self.tokenAuthid, secret == Self.tokenSecret else { return nil }
        return SimIdentity(userid: "root@pam", tokenID: "ci", privilegeSeparated: false)
    }

    var nodeNames: [String] { ["pve1", "pve2", "pve3"] }
}

/// One HTTP exchange as curl saw it.
struct CurlResult {
    let status: Int
    let reason: String
    let body: String
    let headers: [String: String]
    let exitCode: Int32
    let seconds: Double

    var json: JSON? { try? JSON.parse(body) }
}

/// Runs /usr/bin/curl against the simulator. Headers and form data go through curl's config on
/// stdin (`-K -`), so credentials never appear in a process list.
enum Curl {
    static let tokenHeader = "Authorization: PVEAPIToken=\(FakeCluster.tokenAuthid)=\(FakeCluster.tokenSecret)"

    @discardableResult
    static func run(_ url: String, method: String = "GET", headers: [String] = [], form: [(String, String)] = [],
                    multipart: [(String, String)] = [], extraArgs: [String] = [], caFile: String? = CertificateFiles.caPath,
                    timeout: Double = 20) throws -> CurlResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        var args = ["-sS", "-i", "-K", "-", "--max-time", String(timeout), "-X", method]
        if let caFile { args += ["--cacert", caFile] }
        process.arguments = args + extraArgs + [url]
        var config = ""
        for header in headers { config += "header = \"\(escape(header))\"\n" }
        for (key, value) in form { config += "data-urlencode = \"\(escape(key))=\(escape(value))\"\n" }
        for (key, value) in multipart { config += "form = \"\(escape(key))=\(escape(value))\"\n" }
        let stdin = Pipe(), stdout = Pipe(), stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        let start = Date()
        try process.run()
        stdin.fileHandleForWriting.write(Data(config.utf8))
        try stdin.fileHandleForWriting.close()
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        _ = stderr.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return parse(output, exitCode: process.terminationStatus, seconds: Date().timeIntervalSince(start))
    }

    private static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
    }

    /// Splits `-i` output into the last status line, its headers and the body (skipping `100 Continue`).
    static func parse(_ data: Data, exitCode: Int32, seconds: Double) -> CurlResult {
        var text = String(decoding: data, as: UTF8.self)
        var status = 0, reason = "", headers: [String: String] = [:]
        while text.hasPrefix("HTTP/") {
            guard let end = text.range(of: "\r\n\r\n") else { break }
            let block = text[..<end.lowerBound]
            text = String(text[end.upperBound...])
            let lines = block.components(separatedBy: "\r\n")
            let statusParts = lines[0].split(separator: " ", maxSplits: 2)
            status = statusParts.count > 1 ? Int(statusParts[1]) ?? 0 : 0
            reason = statusParts.count > 2 ? String(statusParts[2]) : ""
            headers = [:]
            for line in lines.dropFirst() {
                if let colon = line.firstIndex(of: ":") {
                    headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                }
            }
            if status != 100 { break }
        }
        return CurlResult(status: status, reason: reason, body: text, headers: headers, exitCode: exitCode, seconds: seconds)
    }
}

/// The committed test CA written once to a temp file for `--cacert`.
enum CertificateFiles {
    static let caPath: String = {
        let path = NSTemporaryDirectory() + "pve-sim-test-ca-\(getpid()).pem"
        _ = FileManager.default.createFile(atPath: path, contents: Data(SimCertificates.caPEM.utf8))
        return path
    }()
}

/// Starts a simulator on an ephemeral port for one test.
func startSimulator(_ cluster: FakeCluster = FakeCluster(), tls: Bool = true,
                    configure: (inout SimulatorOptions) -> Void = { _ in }) throws -> Simulator {
    var options = SimulatorOptions(port: 0, tls: tls, failedLoginDelay: .milliseconds(200), threads: 2)
    configure(&options)
    return try Simulator(cluster: cluster, options: options)
}

/// Resident memory of this process in KiB (the simulator runs in-process in tests).
func residentKiB() -> Int {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
    for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
        return Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
    }
    return 0
}
