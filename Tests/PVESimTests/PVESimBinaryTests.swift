import Foundation
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
}
