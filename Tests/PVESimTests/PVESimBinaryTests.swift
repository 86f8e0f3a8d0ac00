import Foundation
import PVESchema
import Testing

/// The `pve-sim` executable as a script would run it.
@Suite struct PVESimBinaryTests {
    /// `pve-sim` sits next to the test bundle in the build directory.
    static var binary: String {
        let testBinary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var dir = testBinary.deletingLastPathComponent()
        // On Linux the tests run from `<build>/debug/<package>PackageTests.xctest`; on macOS from inside the bundle.
        while dir.path != "/" {
            let candidate = dir.appendingPathComponent("pve-sim").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return "pve-sim"
    }

    struct Run {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    static func run(_ arguments: [String]) throws -> Run {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return Run(status: process.terminationStatus, stdout: stdout, stderr: stderr)
    }

    @Test func helpListsEveryFlag() throws {
        let result = try Self.run(["--help"])
        #expect(result.status == 0)
        for flag in ["--port", "--http", "--guests", "--task-seconds", "--latency-ms", "--error-rate", "--drop-rate",
                     "--unreachable", "--ticket-lifetime", "--verbose"] {
            #expect(result.stdout.contains(flag), "help lacks \(flag)")
        }
    }

    @Test func badFlagExitsWithAMessage() throws {
        let result = try Self.run(["--error-rate", "7"])
        #expect(result.status == 2)
        #expect(result.stderr == "pve-sim: option --error-rate: '7' is not a number between 0 and 1\n")
        #expect(result.stdout.isEmpty)
    }

    @Test func printsTheSeededTokenForScripts() throws {
        let result = try Self.run(["--print-credentials"])
        #expect(result.status == 0)
        let pairs = Self.assignments(result.stdout)
        #expect(pairs["token"] == "root@pam!ci")
        #expect(pairs["secret"]?.count == 36)
    }

    /// `name='value'` lines as a shell `eval` would see them.
    static func assignments(_ text: String) -> [String: String] {
        var result: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard let eq = line.firstIndex(of: "=") else { continue }
            var value = line[line.index(after: eq)...]
            if value.hasPrefix("'"), value.hasSuffix("'"), value.count >= 2 { value = value.dropFirst().dropLast() }
            result[String(line[..<eq])] = String(value)
        }
        return result
    }

    /// Starts the real binary (real cluster) on a free port, the way scripts do, and stops it with SIGTERM.
    @Test func servesTheSimulatedClusterUntilSIGTERM() throws {
        let creds = Self.assignments(try Self.run(["--print-credentials"]).stdout)
        let token = try #require(creds["token"])
        let secret = try #require(creds["secret"])

        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = ["--port", "0", "--guests", "200", "--verbose"]
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        defer { if process.isRunning { process.terminate(); process.waitUntilExit() } }

        var banner = Data()
        while !banner.contains(UInt8(ascii: "\n")) {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            banner.append(chunk)
        }
        let line = String(decoding: banner, as: UTF8.self)
        let prefix = "pve-sim listening on https://127.0.0.1:"
        #expect(line.hasPrefix(prefix))
        let port = try #require(Int(line.dropFirst(prefix.count).prefix { $0.isNumber }))
        let base = "https://127.0.0.1:\(port)/api2/json"

        let header = "Authorization: PVEAPIToken=\(token)=\(secret)"
        let version = try Curl.run(base + "/version", headers: [header])
        #expect(version.status == 200)
        #expect(version.json?["data"]?["version"]?.string != nil)
        let resources = try Curl.run(base + "/cluster/resources?type=vm", headers: [header])
        #expect(resources.status == 200)
        #expect((resources.json?["data"]?.array?.count ?? 0) >= 200)
        let bad = try Curl.run(base + "/cluster/resources?type=guests", headers: [header])
        #expect(bad.status == 400)

        process.terminate()  // SIGTERM
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let log = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(log.contains("GET /version 200"))
        #expect(!log.contains(secret))
    }
}
