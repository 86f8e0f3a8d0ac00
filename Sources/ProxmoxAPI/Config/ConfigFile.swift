#if canImport(Glibc)
import Glibc
#endif

/// One `[profile NAME]` section of `~/.proxmuxrc`, values as written.
public struct ProfileEntry: Sendable, Equatable {
    public let name: String
    /// Line of the `[profile NAME]` header.
    public let line: Int
    /// `key -> (value, line)` in file order.
    public fileprivate(set) var values: [(key: String, value: String, line: Int)] = []

    public static func == (a: ProfileEntry, b: ProfileEntry) -> Bool {
        a.name == b.name && a.line == b.line && a.values.map(\.key) == b.values.map(\.key)
            && a.values.map(\.value) == b.values.map(\.value)
    }

    public subscript(key: String) -> String? { values.last { $0.key == key }?.value }
    func line(of key: String) -> Int? { values.last { $0.key == key }?.line }
}

/// `~/.proxmuxrc`: an INI-like file of named profiles.
///
/// ```
/// default-profile = home        # only key allowed before the first section
/// [profile home]
/// url = https://pve1.lan:8006
/// token = root@pam!proxmux
/// secret-command = pass show pve/proxmux
/// ```
/// `#` and `;` start comments (whole lines, or after whitespace); values may be wrapped in double
/// quotes to keep a `#`. See `.proxmuxrc.example` for every key.
public struct ConfigFile: Sendable, Equatable {
    public let path: String
    public let defaultProfile: String?
    public let profiles: [ProfileEntry]

    /// Keys a profile may set.
    public static let profileKeys = [
        "url", "token", "secret", "secret-command", "user", "realm", "password", "password-command",
        "fingerprint", "ca-file", "insecure", "default-node", "ssh-user", "otp-command", "timeout",
    ]
    /// Keys whose values are secrets: a file holding them must not be readable by group/others.
    public static let secretKeys: Set<String> = ["secret", "password"]

    /// `$PROXMUX_CONFIG` when set, else `~/.proxmuxrc`; nil without either.
    public static func defaultPath(environment: [String: String]) -> String? {
        if let explicit = environment["PROXMUX_CONFIG"], !explicit.isEmpty { return explicit }
        guard let home = environment["HOME"], !home.isEmpty else { return nil }
        return home + "/.proxmuxrc"
    }

    /// Reads and checks a file; nil when it does not exist.
    public static func load(path: String) throws(APIError) -> ConfigFile? {
        var info = stat()
        guard stat(path, &info) == 0 else {
            if errno == ENOENT { return nil }
            throw APIError(kind: .config, message: "\(path): \(String(cString: strerror(errno)))")
        }
        guard let text = readTextFile(path) else {
            throw APIError(kind: .config, message: "\(path): cannot read the file (\(String(cString: strerror(errno))))")
        }
        let file = try parse(text, path: path)
        if info.st_mode & 0o077 != 0, let exposed = file.firstSecret {
            throw APIError(kind: .config, message: "\(path):\(exposed.line): refusing to read the \(exposed.key) "
                + "from a file other users can read (mode \(String(info.st_mode & 0o777, radix: 8))); "
                + "fix with: chmod 600 \(path)")
        }
        return file
    }

    /// Parses the text; errors name the file, line and key.
    public static func parse(_ text: String, path: String) throws(APIError) -> ConfigFile {
        var defaultProfile: (name: String, line: Int)?
        var profiles: [ProfileEntry] = []
        var lineNumber = 0
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            let line = stripComment(rawLine).trimmingWhitespace()
            if line.isEmpty { continue }
            func fail(_ message: String) -> APIError {
                APIError(kind: .config, message: "\(path):\(lineNumber): \(message)")
            }
            if line.hasPrefix("[") {
                guard line.hasSuffix("]") else { throw fail("unterminated section header; expected [profile NAME]") }
                let inner = line.dropFirst().dropLast().split(separator: " ", omittingEmptySubsequences: true)
                guard inner.count == 2, inner[0] == "profile" else {
                    throw fail("expected a section header like [profile NAME], got \(line)")
                }
                let name = String(inner[1])
                guard name.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }) else {
                    throw fail("profile name '\(name)' may only contain letters, digits, '-', '_' and '.'")
                }
                if let earlier = profiles.first(where: { $0.name == name }) {
                    throw fail("profile '\(name)' is already defined on line \(earlier.line)")
                }
                profiles.append(ProfileEntry(name: name, line: lineNumber))
                continue
            }
            guard let equals = line.firstIndex(of: "=") else {
                throw fail("expected 'key = value' or '[profile NAME]', got '\(line)'")
            }
            let key = line[..<equals].trimmingWhitespace().lowercased()
            let value = unquote(line[line.index(after: equals)...].trimmingWhitespace())
            guard !key.isEmpty else { throw fail("missing key before '='") }
            if profiles.isEmpty {
                guard key == "default-profile" else {
                    throw fail("key '\(key)' must be inside a [profile NAME] section (only default-profile may come before the first section)")
                }
                defaultProfile = (value, lineNumber)
                continue
            }
            guard profileKeys.contains(key) else {
                throw fail("unknown key '\(key)'; valid keys: \(profileKeys.joined(separator: ", "))")
            }
            try validate(key: key, value: value, fail: fail)
            profiles[profiles.count - 1].values.append((key, value, lineNumber))
        }
        if let defaultProfile, !profiles.contains(where: { $0.name == defaultProfile.name }) {
            throw APIError(kind: .config, message: "\(path):\(defaultProfile.line): default-profile '\(defaultProfile.name)' is not defined; profiles: "
                + (profiles.isEmpty ? "none" : profiles.map(\.name).joined(separator: ", ")))
        }
        return ConfigFile(path: path, defaultProfile: defaultProfile?.name, profiles: profiles)
    }

    public func profile(named name: String) -> ProfileEntry? { profiles.first { $0.name == name } }

    private var firstSecret: (key: String, line: Int)? {
        for profile in profiles {
            for entry in profile.values where Self.secretKeys.contains(entry.key) { return (entry.key, entry.line) }
        }
        return nil
    }

    /// Checks values whose shape is known, so mistakes are reported with their line.
    private static func validate(key: String, value: String, fail: (String) -> APIError) throws(APIError) {
        switch key {
        case "url":
            do throws(APIError) { _ = try Endpoint(value) } catch { throw fail("url: \(error.message)") }
        case "fingerprint":
            guard Fingerprint(value) != nil else {
                throw fail("fingerprint: expected the certificate's SHA-256 as 32 hex bytes (AB:CD:...), got '\(value)'")
            }
        case "insecure":
            guard parseBool(value) != nil else { throw fail("insecure: expected yes/no (or true/false, 1/0), got '\(value)'") }
        case "timeout":
            guard let seconds = Double(value), seconds > 0 else {
                throw fail("timeout: expected a number of seconds greater than 0, got '\(value)'")
            }
        case "token":
            guard TokenID(value) != nil else {
                throw fail("token: expected USER@REALM!TOKENID (e.g. root@pam!proxmux), got '\(value)'")
            }
        default:
            guard !value.isEmpty else { throw fail("\(key): empty value") }
        }
    }

    /// Drops a `#`/`;` comment that starts the line or follows whitespace, outside double quotes.
    private static func stripComment(_ line: Substring) -> Substring {
        var inQuotes = false
        var previous: Character = " "
        for index in line.indices {
            let c = line[index]
            if c == "\"" { inQuotes.toggle() }
            if !inQuotes, c == "#" || c == ";", previous.isWhitespace { return line[..<index] }
            previous = c
        }
        return line
    }

    private static func unquote(_ value: String) -> String {
        guard value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") else { return value }
        return String(value.dropFirst().dropLast())
    }
}

/// `yes/no`, `true/false`, `on/off`, `1/0`.
func parseBool(_ text: String) -> Bool? {
    switch text.trimmingWhitespace().lowercased() {
    case "1", "yes", "true", "on": return true
    case "0", "no", "false", "off": return false
    default: return nil
    }
}

/// `USER@REALM!TOKENID`.
struct TokenID {
    let value: String
    init?(_ text: String) {
        let parts = text.split(separator: "!", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[1].isEmpty, !parts[1].contains("="),
              let at = parts[0].firstIndex(of: "@"), at != parts[0].startIndex,
              parts[0].index(after: at) != parts[0].endIndex else { return nil }
        value = text
    }
}
