import Testing
@testable import ProxmoxAPI
#if canImport(Glibc)
import Glibc
#endif

/// A private temporary directory per test, removed afterwards.
final class TempDir {
    let path: String
    init() {
        var template = Array("/tmp/proxmux-test-XXXXXX".utf8CString)
        path = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
    }
    deinit { _ = system("rm -rf '\(path)'") }

    @discardableResult
    func write(_ name: String, _ text: String, mode: mode_t = 0o600) -> String {
        let file = path + "/" + name
        let fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, mode)
        _ = text.utf8CString.withUnsafeBufferPointer { Glibc.write(fd, $0.baseAddress, $0.count - 1) }
        close(fd)
        chmod(file, mode)
        return file
    }
}

@Suite("Configuration")
struct ConfigTests {
    static let rc = """
    # comment
    default-profile = home

    [profile home]
    url = https://pve1.lan:8006   # trailing comment
    token = root@pam!proxmux
    secret = "s3cr#t"
    fingerprint = ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89
    default-node = pve1
    ssh-user = root
    timeout = 15

    [profile lab]
    url = https://10.0.0.5
    user = admin
    realm = pve
    password-command = printf ' lab-pass \\n'
    insecure = yes
    """

    @Test func defaultProfileFromFile() throws {
        let dir = TempDir()
        let path = dir.write("rc", Self.rc)
        let profile = try ProfileResolver.resolve(environment: ["HOME": dir.path], configPath: path)
        #expect(profile.name == "home")
        #expect(profile.settings.url == "https://pve1.lan:8006")
        guard case .token(let id, let secret) = profile.settings.credentials else { Issue.record("expected token"); return }
        #expect(id == "root@pam!proxmux" && secret == "s3cr#t")
        #expect(profile.settings.tls.fingerprint?.description.hasPrefix("AB:CD:EF") == true)
        #expect(profile.defaultNode == "pve1" && profile.sshUser == "root" && profile.settings.timeout == 15)
        #expect(profile.settings.tls.knownHostsPath == dir.path + "/.proxmux_known_hosts")
    }

    @Test func selectedProfileWithPasswordCommand() throws {
        let dir = TempDir()
        let path = dir.write("rc", Self.rc)
        let profile = try ProfileResolver.resolve(profileName: "lab", environment: [:], configPath: path)
        guard case .password(let user, let realm, let password) = profile.settings.credentials else {
            Issue.record("expected password credentials"); return
        }
        #expect(user == "admin" && realm == "pve" && password == "lab-pass", "command output is trimmed")
        #expect(profile.settings.tls.insecure)
        // PROXMUX_PROFILE selects too; --profile wins over it.
        #expect(try ProfileResolver.resolve(environment: ["PROXMUX_PROFILE": "lab"], configPath: path).name == "lab")
        #expect(try ProfileResolver.resolve(profileName: "home", environment: ["PROXMUX_PROFILE": "lab"], configPath: path).name == "home")
    }

    @Test func environmentOverrides() throws {
        let dir = TempDir()
        let path = dir.write("rc", Self.rc)
        let env = ["PROXMUX_URL": "https://127.0.0.1:9443", "PROXMOX_VE_ENDPOINT": "https://ignored:1",
                   "PROXMUX_TOKEN": "ci@pve!deploy", "PROXMUX_SECRET": "envsecret", "PROXMUX_INSECURE": "1",
                   "PROXMUX_OTP": "123456"]
        let profile = try ProfileResolver.resolve(environment: env, configPath: path)
        #expect(profile.settings.url == "https://127.0.0.1:9443", "PROXMUX_* beats PROXMOX_VE_*")
        guard case .token(let id, let secret) = profile.settings.credentials else { Issue.record("expected token"); return }
        #expect(id == "ci@pve!deploy" && secret == "envsecret")
        #expect(profile.settings.tls.insecure)
        #expect(profile.otpProvider?.oneTimePassword(for: "x") == "123456")
    }

    /// The environment a profile is resolved from keeps `HOME` and the `PROXMUX_` and
    /// `PROXMOX_VE_` variables, values whole (an `=` inside a value stays), and nothing else.
    @Test func theProcessEnvironmentKeepsWhatProfilesRead() {
        let given = ["PATH=/usr/bin", "PROXMUX_URL=https://pve:8006", "PROXMUX_SECRET=a=b c", "PROXMOX_VE_INSECURE=",
                     "HOME=/home/ops", "HOMEDIR=/x", "PROXMUXURL=nope", "LANG=C.UTF-8"]
        var entries: [UnsafeMutablePointer<CChar>?] = given.map { strdup($0) } + [nil]
        defer { entries.forEach { free($0) } }
        let environment = entries.withUnsafeMutableBufferPointer { ProfileResolver.environment(from: $0.baseAddress!) }
        #expect(environment == ["PROXMUX_URL": "https://pve:8006", "PROXMUX_SECRET": "a=b c", "PROXMOX_VE_INSECURE": "",
                                "HOME": "/home/ops"])
        #expect(ProfileResolver.currentEnvironment()["PATH"] == nil)
    }

    @Test func terraformNamesWithoutAFile() throws {
        let env = ["PROXMOX_VE_ENDPOINT": "https://pve.example:8006/", "PROXMOX_VE_API_TOKEN": "terraform@pve!provider=abc-123=x",
                   "PROXMOX_VE_INSECURE": "true"]
        let profile = try ProfileResolver.resolve(environment: env, configPath: "/nonexistent/rc")
        #expect(profile.name == "env" && profile.settings.tls.insecure)
        guard case .token(let id, let secret) = profile.settings.credentials else { Issue.record("expected token"); return }
        #expect(id == "terraform@pve!provider" && secret == "abc-123=x")

        let user = try ProfileResolver.resolve(environment: ["PROXMOX_VE_ENDPOINT": "https://h", "PROXMOX_VE_USERNAME": "root@pam",
                                                             "PROXMOX_VE_PASSWORD": "pw"], configPath: "/nonexistent/rc")
        guard case .password("root@pam", nil, "pw") = user.settings.credentials else { Issue.record("expected password"); return }
    }

    @Test func refusesSecretsInAGroupReadableFile() throws {
        let dir = TempDir()
        let path = dir.write("rc", Self.rc, mode: 0o644)
        #expect {
            _ = try ProfileResolver.resolve(environment: [:], configPath: path)
        } throws: { error in
            let message = (error as? APIError)?.message ?? ""
            return message.contains("chmod 600 \(path)") && message.contains("\(path):7") && !message.contains("s3cr")
        }
        // Without literal secrets the same mode is fine.
        let safe = dir.write("rc2", "[profile a]\nurl = https://h\ntoken = a@pam!b\nsecret-command = echo x\n", mode: 0o644)
        #expect(try ProfileResolver.resolve(environment: [:], configPath: safe).name == "a")
    }

    @Test(arguments: [
        ("[profile a]\nurl = https://h\ncolour = blue\n", "rc:3: unknown key 'colour'; valid keys: url, token"),
        ("[profile a]\nurl https://h\n", "rc:2: expected 'key = value' or '[profile NAME]'"),
        ("url = https://h\n", "rc:1: key 'url' must be inside a [profile NAME] section"),
        ("[profile a]\ninsecure = maybe\n", "rc:2: insecure: expected yes/no"),
        ("[profile a]\nfingerprint = AB:CD\n", "rc:2: fingerprint: expected the certificate's SHA-256"),
        ("[profile a]\ntoken = root\n", "rc:2: token: expected USER@REALM!TOKENID"),
        ("[profile a]\nurl = ftp://h\n", "rc:2: url: invalid URL 'ftp://h'"),
        ("[profile a]\n[profile a]\n", "rc:2: profile 'a' is already defined on line 1"),
        ("[server a]\n", "rc:1: expected a section header like [profile NAME]"),
        ("default-profile = x\n[profile a]\n", "rc:1: default-profile 'x' is not defined; profiles: a"),
        ("[profile a]\ntimeout = -3\n", "rc:2: timeout: expected a number of seconds greater than 0"),
    ])
    func badFileNamesLineAndKey(_ text: String, _ expected: String) {
        let dir = TempDir()
        let path = dir.write("rc", text)
        #expect {
            _ = try ConfigFile.load(path: path)
        } throws: { error in
            guard let error = error as? APIError, error.kind == .config else { return false }
            return error.message.contains(dir.path + "/" + expected)
        }
    }

    @Test func missingProfileListsTheKnownOnes() {
        let dir = TempDir()
        let path = dir.write("rc", Self.rc)
        #expect {
            _ = try ProfileResolver.resolve(profileName: "nope", environment: [:], configPath: path)
        } throws: { error in
            (error as? APIError)?.message.contains("no profile 'nope'") == true
                && (error as? APIError)?.message.contains("profiles: home, lab") == true
        }
    }

    @Test func failingSecretCommandHidesItsOutput() {
        let dir = TempDir()
        let path = dir.write("rc", "[profile a]\nurl = https://h\ntoken = a@pam!b\nsecret-command = echo leaked; exit 3\n")
        #expect {
            _ = try ProfileResolver.resolve(environment: [:], configPath: path)
        } throws: { error in
            let message = (error as? APIError)?.message ?? ""
            return message.contains("exit status 3") && !message.contains("leaked\n")
        }
    }

    @Test func exampleFileParses() throws {
        // The documented example must stay valid (fingerprint etc. are real shapes).
        var path = #filePath
        for _ in 0..<3 { path = String(path[..<(path.lastIndex(of: "/") ?? path.endIndex)]) }
        let file = try #require(try ConfigFile.load(path: path + "/.proxmuxrc.example"))
        #expect(file.defaultProfile == "home")
        let documented = Set(file.profiles.flatMap { $0.values.map(\.key) })
        let commentedOut = ["secret", "password"]
        #expect(Set(ConfigFile.profileKeys).subtracting(documented).subtracting(commentedOut).isEmpty)
    }
}
