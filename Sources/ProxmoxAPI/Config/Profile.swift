#if canImport(Glibc)
import Glibc
#endif

/// A profile resolved from `~/.proxmuxrc` and the environment: how to connect, plus the shell's extras.
public struct ResolvedProfile: Sendable {
    /// Profile name; `env` when everything came from environment variables.
    public let name: String
    public let settings: ConnectionSettings
    public let defaultNode: String?
    /// User for `ssh` consoles.
    public let sshUser: String?
    /// Source of TOTP codes for non-interactive logins (`PROXMUX_OTP` or `otp-command`); nil means
    /// the shell should ask interactively.
    public let otpProvider: (any OTPProvider)?
}

/// Resolves the profile to use.
///
/// Selection: `profileName` (from `--profile`), else `PROXMUX_PROFILE`, else the file's
/// `default-profile`, else the only profile in the file, else environment variables alone.
/// Each value: `PROXMUX_*` beats the Terraform-provider `PROXMOX_VE_*` names, which beat the file.
/// Credentials given in the environment replace the profile's credentials as a whole.
public enum ProfileResolver {
    /// - Parameters:
    ///   - configPath: defaults to `~/.proxmuxrc` (a missing file is fine).
    ///   - askPassword: asked for the password when a user is configured without one; nil (scripts)
    ///     makes that an error.
    public static func resolve(profileName: String? = nil, environment: [String: String] = currentEnvironment(),
                               configPath: String? = nil,
                               askPassword: ((String) -> String?)? = nil) throws(APIError) -> ResolvedProfile {
        let path = configPath ?? ConfigFile.defaultPath(environment: environment)
        let file = try path.flatMap { (p: String) throws(APIError) -> ConfigFile? in try ConfigFile.load(path: p) }
        let wanted = profileName ?? environment["PROXMUX_PROFILE"].flatMap { $0.isEmpty ? nil : $0 }
        var entry: ProfileEntry?
        if let wanted {
            guard let found = file?.profile(named: wanted) else {
                let known = file?.profiles.map(\.name) ?? []
                throw APIError(kind: .config, message: "no profile '\(wanted)' in \(path ?? "~/.proxmuxrc"); "
                    + (known.isEmpty ? "the file defines no profiles" : "profiles: \(known.joined(separator: ", "))"))
            }
            entry = found
        } else if let file {
            entry = file.defaultProfile.flatMap(file.profile(named:)) ?? (file.profiles.count == 1 ? file.profiles[0] : nil)
        }
        let where_ = { (key: String) -> String in
            guard let entry, let line = entry.line(of: key), let path else { return "profile \(entry?.name ?? "env")" }
            return "\(path):\(line)"
        }
        func env(_ names: String...) -> (name: String, value: String)? {
            for name in names { if let value = environment[name], !value.isEmpty { return (name, value) } }
            return nil
        }
        func value(_ key: String, _ names: String...) -> String? {
            for name in names { if let value = environment[name], !value.isEmpty { return value } }
            return entry?[key]
        }

        // URL
        guard let url = value("url", "PROXMUX_URL", "PROXMOX_VE_ENDPOINT") else {
            throw APIError(kind: .config, message: entry == nil
                ? "no connection configured: create ~/.proxmuxrc (see .proxmuxrc.example) or set PROXMUX_URL"
                : "profile \(entry?.name ?? ""): no url (e.g. url = https://pve1:8006)")
        }
        do throws(APIError) { _ = try Endpoint(url) } catch {
            throw APIError(kind: .config, message: "\(env("PROXMUX_URL", "PROXMOX_VE_ENDPOINT")?.name ?? where_("url")): \(error.message)")
        }

        // TLS
        var tls = TLSSettings(knownHostsPath: environment["HOME"].map { $0 + "/.proxmux_known_hosts" })
        if let text = value("fingerprint", "PROXMUX_FINGERPRINT") {
            guard let pin = Fingerprint(text) else {
                throw APIError(kind: .config, message: "\(env("PROXMUX_FINGERPRINT")?.name ?? where_("fingerprint")): "
                    + "expected the certificate's SHA-256 as 32 hex bytes (AB:CD:...)")
            }
            tls.fingerprint = pin
        }
        tls.caFile = entry?["ca-file"].map { expandHome($0, environment) }
        if let text = value("insecure", "PROXMUX_INSECURE", "PROXMOX_VE_INSECURE") {
            guard let flag = parseBool(text) else {
                throw APIError(kind: .config, message: "\(env("PROXMUX_INSECURE", "PROXMOX_VE_INSECURE")?.name ?? where_("insecure")): "
                    + "expected yes/no (or true/false, 1/0), got '\(text)'")
            }
            tls.insecure = flag
        }

        // Credentials
        let credentials = try resolveCredentials(entry: entry, environment: environment, env: env, askPassword: askPassword)

        var otp: (any OTPProvider)?
        if let code = env("PROXMUX_OTP") { otp = FixedOTP(code.value) } else if let command = entry?["otp-command"] {
            otp = CommandOTP(command: command)
        }
        var settings = ConnectionSettings(url: url, credentials: credentials, tls: tls)
        if let timeout = entry?["timeout"].flatMap(Double.init) { settings.timeout = timeout }
        return ResolvedProfile(name: entry?.name ?? "env", settings: settings, defaultNode: entry?["default-node"],
                               sshUser: entry?["ssh-user"], otpProvider: otp)
    }

    private static func resolveCredentials(entry: ProfileEntry?, environment: [String: String],
                                           env: (String...) -> (name: String, value: String)?,
                                           askPassword: ((String) -> String?)?) throws(APIError) -> Credentials {
        // Environment credentials win as a whole over the file's.
        if let combined = env("PROXMOX_VE_API_TOKEN"), env("PROXMUX_TOKEN") == nil {
            guard let equals = combined.value.firstIndex(of: "="),
                  let id = TokenID(String(combined.value[..<equals])) else {
                throw APIError(kind: .config, message: "PROXMOX_VE_API_TOKEN: expected USER@REALM!TOKENID=SECRET")
            }
            return .token(tokenID: id.value, secret: String(combined.value[combined.value.index(after: equals)...]))
        }
        if let token = env("PROXMUX_TOKEN") {
            guard let id = TokenID(token.value) else {
                throw APIError(kind: .config, message: "PROXMUX_TOKEN: expected USER@REALM!TOKENID (e.g. root@pam!proxmux)")
            }
            guard let secret = try tokenSecret(entry, env) else {
                throw APIError(kind: .config, message: "PROXMUX_TOKEN is set but no secret: set PROXMUX_SECRET")
            }
            return .token(tokenID: id.value, secret: secret)
        }
        if let user = env("PROXMUX_USER", "PROXMOX_VE_USERNAME") {
            let password = try password(entry, env, user: user.value, askPassword)
            guard let password else {
                throw APIError(kind: .config, message: "\(user.name) is set but no password: set PROXMUX_PASSWORD (or use an API token)")
            }
            return .password(user: user.value, realm: entry?["realm"], password: password)
        }
        guard let entry else { return .none }
        if let token = entry["token"] {
            guard let secret = try tokenSecret(entry, env) else {
                throw APIError(kind: .config, message: "profile \(entry.name): token \(token) has no secret; "
                    + "add secret-command (recommended) or secret, or set PROXMUX_SECRET")
            }
            return .token(tokenID: token, secret: secret)
        }
        if let user = entry["user"] {
            let password = try password(entry, env, user: user, askPassword)
            guard let password else {
                throw APIError(kind: .config, message: "profile \(entry.name): user \(user) has no password; "
                    + "add password-command, set PROXMUX_PASSWORD, or run interactively")
            }
            return .password(user: user, realm: entry["realm"], password: password)
        }
        return .none
    }

    /// PROXMUX_SECRET, else the profile's secret, else its secret-command's output.
    private static func tokenSecret(_ entry: ProfileEntry?, _ env: (String...) -> (name: String, value: String)?) throws(APIError) -> String? {
        if let value = env("PROXMUX_SECRET")?.value { return value }
        return try fileSecret(entry, "secret", "secret-command")
    }

    /// The environment's password, else the profile's, else its password-command's, else asked.
    private static func password(_ entry: ProfileEntry?, _ env: (String...) -> (name: String, value: String)?, user: String,
                                 _ askPassword: ((String) -> String?)?) throws(APIError) -> String? {
        if let value = env("PROXMUX_PASSWORD", "PROXMOX_VE_PASSWORD")?.value { return value }
        if let value = try fileSecret(entry, "password", "password-command") { return value }
        return askPassword?(user)
    }

    private static func fileSecret(_ entry: ProfileEntry?, _ key: String, _ commandKey: String) throws(APIError) -> String? {
        guard let entry else { return nil }
        if let value = entry[key] { return value }
        guard let command = entry[commandKey] else { return nil }
        return try SecretCommand.run(command, purpose: "profile \(entry.name): \(commandKey)")
    }

    private static func expandHome(_ path: String, _ environment: [String: String]) -> String {
        guard path.hasPrefix("~/"), let home = environment["HOME"] else { return path }
        return home + path.dropFirst()
    }

    /// The variables of the process environment that a profile is resolved from: `HOME` and
    /// those starting `PROXMUX_` or `PROXMOX_VE_`. Only those are made into strings: the whole
    /// environment of a benchmark runner (~40 variables) took ~0.2 ms of every start.
    public static func currentEnvironment() -> [String: String] { environment(from: environ) }

    /// `currentEnvironment` from a null-terminated list of `NAME=value` strings.
    static func environment(from entries: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> [String: String] {
        var result: [String: String] = [:]
        var pointer = entries
        while let entry = pointer.pointee {
            pointer += 1
            guard strncmp(entry, "PROXMUX_", 8) == 0 || strncmp(entry, "PROXMOX_VE_", 11) == 0 || strncmp(entry, "HOME=", 5) == 0,
                  let equals = strchr(entry, Int32(UInt8(ascii: "="))) else { continue }
            let name = UnsafeBufferPointer(start: UnsafeRawPointer(entry).assumingMemoryBound(to: UInt8.self), count: equals - entry)
            result[String(decoding: name, as: UTF8.self)] = String(cString: equals + 1)
        }
        return result
    }
}
