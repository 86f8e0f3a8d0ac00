#if canImport(Glibc)
import Glibc
#endif

/// Runs a configured command (`secret-command`, `password-command`, `otp-command`) through
/// `/bin/sh -c` and returns its trimmed stdout. The output never appears in errors.
enum SecretCommand {
    static func run(_ command: String, purpose: String) throws(APIError) -> String {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else {
            throw APIError(kind: .config, message: "\(purpose): cannot create a pipe (\(String(cString: strerror(errno))))")
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
        posix_spawn_file_actions_addclose(&actions, fds[0])
        posix_spawn_file_actions_addclose(&actions, fds[1])

        var pid: pid_t = 0
        let arguments = ["/bin/sh", "-c", command]
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        let spawned = posix_spawn(&pid, "/bin/sh", &actions, nil, &argv, environ)
        close(fds[1])
        guard spawned == 0 else {
            close(fds[0])
            throw APIError(kind: .config, message: "\(purpose): cannot run /bin/sh (\(String(cString: strerror(spawned))))")
        }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fds[0], $0.baseAddress, 4096) }
            if n > 0 { output.append(contentsOf: chunk[0..<n]); continue }
            if n < 0 && errno == EINTR { continue }
            break
        }
        close(fds[0])
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let exitCode = (status >> 8) & 0xFF
        guard status & 0x7F == 0, exitCode == 0 else {
            throw APIError(kind: .config, message: "\(purpose) '\(command)' failed (exit status \(exitCode))")
        }
        let value = String(decoding: output, as: UTF8.self).trimmingWhitespace()
        guard !value.isEmpty else {
            throw APIError(kind: .config, message: "\(purpose) '\(command)' printed nothing")
        }
        return value
    }
}

/// An OTP provider that runs the profile's `otp-command` each time a code is needed.
struct CommandOTP: OTPProvider {
    let command: String
    func oneTimePassword(for user: String) -> String? {
        try? SecretCommand.run(command, purpose: "otp-command")
    }
}
