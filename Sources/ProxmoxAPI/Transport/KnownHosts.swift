#if canImport(Glibc)
import Glibc
#endif

/// Certificates the user accepted on first use: `host:port SHA256-colon-hex` per line, `#` comments.
/// Only certificates that are not verifiable against the system CAs land here.
public struct KnownHosts: Sendable {
    public let path: String

    public init(path: String) { self.path = path }

    /// `~/.proxmux_known_hosts` (nil when HOME is not set).
    public static var defaultPath: String? {
        guard let home = getenv("HOME").map({ String(cString: $0) }), !home.isEmpty else { return nil }
        return home + "/.proxmux_known_hosts"
    }

    /// The fingerprint remembered for `host:port`, if any. Unreadable or malformed lines are skipped.
    public func fingerprint(forHost host: String, port: Int) -> Fingerprint? {
        let key = "\(host):\(port)"
        for line in readLines() {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.count >= 2, fields[0] == key else { continue }
            return Fingerprint(String(fields[1]))
        }
        return nil
    }

    /// Records (or replaces) the entry for `host:port`. The file is created with mode 0600.
    public func remember(_ fingerprint: Fingerprint, host: String, port: Int) throws(APIError) {
        let key = "\(host):\(port)"
        var lines = readLines().filter { line in
            line.split(whereSeparator: { $0 == " " || $0 == "\t" }).first.map { String($0) != key } ?? true
        }
        lines.append("\(key) \(fingerprint)")
        let text = lines.joined(separator: "\n") + "\n"
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else {
            throw APIError(kind: .usage, message: "cannot write \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        let written = text.utf8CString.withUnsafeBufferPointer { buffer in
            write(fd, buffer.baseAddress, buffer.count - 1)
        }
        guard written == text.utf8.count else {
            throw APIError(kind: .usage, message: "cannot write \(path): short write")
        }
    }

    private func readLines() -> [String] {
        guard let text = readTextFile(path) else { return [] }
        return text.split(separator: "\n").map { $0.trimmingWhitespace() }.filter { !$0.isEmpty && !$0.hasPrefix("#") }
    }
}

/// Whole file as UTF-8 text; nil when it cannot be read.
func readTextFile(_ path: String) -> String? {
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, 65536) }
        if n < 0 { return nil }
        if n == 0 { break }
        bytes.append(contentsOf: chunk[0..<n])
    }
    return String(decoding: bytes, as: UTF8.self)
}
