/// How to authenticate.
public enum Credentials: Sendable, CustomStringConvertible {
    /// API token: `tokenID` is `USER@REALM!TOKENID`.
    case token(tokenID: String, secret: String)
    /// User and password: a ticket is fetched from `/access/ticket` and renewed.
    /// `user` is `name@realm` (or a bare name when `realm` is given).
    case password(user: String, realm: String?, password: String)
    /// No credentials (only `/version`-style anonymous calls, and `/access/ticket` itself).
    case none

    /// Secrets redacted.
    public var description: String {
        switch self {
        case .token(let id, _): return "token \(id)"
        case .password(let user, let realm, _): return "user \(Credentials.fullUser(user, realm))"
        case .none: return "no credentials"
        }
    }

    static func fullUser(_ user: String, _ realm: String?) -> String {
        if user.contains("@") { return user }
        return user + "@" + (realm ?? "pam")
    }
}

/// TLS verification choice.
public struct TLSSettings: Sendable {
    /// Pin of the server certificate's SHA-256; when set, it alone decides (even self-signed).
    public var fingerprint: Fingerprint?
    /// PEM bundle to verify against instead of the system CAs.
    public var caFile: String?
    /// No verification at all; only when explicitly configured, and it warns.
    public var insecure: Bool
    /// Where certificates accepted on first use are remembered; nil disables trust-on-first-use.
    public var knownHostsPath: String?

    public init(fingerprint: Fingerprint? = nil, caFile: String? = nil, insecure: Bool = false,
                knownHostsPath: String? = KnownHosts.defaultPath) {
        self.fingerprint = fingerprint
        self.caFile = caFile
        self.insecure = insecure
        self.knownHostsPath = knownHostsPath
    }
}

/// Everything needed to talk to one PVE endpoint.
public struct ConnectionSettings: Sendable {
    /// Host URL: `https://host:8006` (a trailing `/api2/json` is accepted and ignored).
    public var url: String
    public var credentials: Credentials
    public var tls: TLSSettings
    /// Seconds to establish a connection (TCP + TLS).
    public var connectTimeout: Double
    /// Seconds for a whole request (uploads are exempt: they use `connectTimeout` and a stall check).
    public var timeout: Double

    public init(url: String, credentials: Credentials = .none, tls: TLSSettings = TLSSettings(),
                connectTimeout: Double = 10, timeout: Double = 60) {
        self.url = url
        self.credentials = credentials
        self.tls = tls
        self.connectTimeout = connectTimeout
        self.timeout = timeout
    }
}

/// The parts of a host URL the client needs.
struct Endpoint: Sendable {
    let scheme: String
    let host: String
    let port: Int
    /// `https://host:port/api2/json`
    let apiBase: String

    init(_ url: String) throws(APIError) {
        var rest = Substring(url.trimmingWhitespace())
        var scheme = "https"
        if let range = rest.firstRange(of: "://") {
            scheme = rest[..<range.lowerBound].lowercased()
            rest = rest[range.upperBound...]
        }
        guard scheme == "https" || scheme == "http" else {
            throw APIError(kind: .usage, message: "invalid URL '\(url)': the scheme must be https (or http), got '\(scheme)'")
        }
        let authority = rest.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        var host = Substring(authority)
        var port = 8006
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else {
                throw APIError(kind: .usage, message: "invalid URL '\(url)': unterminated IPv6 address")
            }
            let after = host[host.index(after: close)...]
            if after.hasPrefix(":") {
                guard let p = Int(after.dropFirst()), (1...65535).contains(p) else {
                    throw APIError(kind: .usage, message: "invalid URL '\(url)': the port must be 1-65535")
                }
                port = p
            }
            host = host[...close]
        } else if let colon = host.lastIndex(of: ":") {
            guard let p = Int(host[host.index(after: colon)...]), (1...65535).contains(p) else {
                throw APIError(kind: .usage, message: "invalid URL '\(url)': the port must be 1-65535")
            }
            port = p
            host = host[..<colon]
        }
        guard !host.isEmpty else {
            throw APIError(kind: .usage, message: "invalid URL '\(url)': no host (expected https://HOST:8006)")
        }
        self.scheme = scheme
        self.host = String(host)
        self.port = port
        self.apiBase = "\(scheme)://\(host):\(port)/api2/json"
    }

    var display: String { "\(scheme)://\(host):\(port)" }
}
