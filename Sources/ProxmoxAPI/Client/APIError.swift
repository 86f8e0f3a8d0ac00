import PVESchema

/// The one error type of the API layer: what went wrong, with a message a person can act on.
public struct APIError: Error, CustomStringConvertible, Sendable {
    public enum Kind: String, Sendable {
        /// Could not reach the server (DNS, refused, reset, timeout).
        case network
        /// The TLS handshake failed or the certificate is not trusted.
        case tls
        /// The server answered with an HTTP error status.
        case http
        /// Logging in failed or credentials are missing / rejected.
        case auth
        /// The answer was not the JSON we expected.
        case decoding
        /// Invalid settings or arguments on our side (bad URL, unreadable upload file, ...).
        case usage
        /// A configuration file or environment variable is invalid (the message names file, line, key).
        case config
        /// The operation was cancelled by the caller (e.g. an upload's progress callback).
        case cancelled
        /// The user interrupted a request in flight (Ctrl-C through `PVEClient.shouldAbort`).
        /// Never retried: a write may already have reached the server.
        case interrupted
    }

    public let kind: Kind
    /// HTTP status, when the server answered.
    public let status: Int?
    /// The HTTP reason phrase; PVE puts most error text here.
    public let reason: String?
    /// PVE's per-parameter errors from a 400 body, in the server's order.
    public let errors: [(String, String)]
    /// `METHOD /path` of the request, when known.
    public let request: String?
    /// The sentence shown to the user.
    public let message: String

    public init(kind: Kind, message: String, status: Int? = nil, reason: String? = nil,
                errors: [(String, String)] = [], request: String? = nil) {
        self.kind = kind
        self.message = message
        self.status = status
        self.reason = reason
        self.errors = errors
        self.request = request
    }

    public var description: String { message }

    /// Whether a GET that failed like this may be retried: connection failures and HTTP 5xx, except
    /// 501 (will never work) and 595/596 (pveproxy could not reach the target node: retrying within
    /// a second rarely helps and only delays the clear message). TLS failures are never retried.
    public var isRetryable: Bool {
        switch kind {
        case .network: return true
        case .http: return status.map { (500..<600).contains($0) && ![501, 595, 596].contains($0) } ?? false
        default: return false
        }
    }

    // MARK: Building from an HTTP answer

    /// Turns an HTTP error answer into an actionable message.
    /// - Parameters:
    ///   - node: the node the request was sent to (the host in the URL), for 595/596 wording.
    ///   - usesPrivilegeSeparatedToken: the caller authenticates with an API token (403 hint).
    static func http(status: Int, reason: String, body: [UInt8], method: String, path: String,
                     host: String, tokenID: String?) -> APIError {
        let request = "\(method) \(path)"
        var errors: [(String, String)] = []
        if let json = try? JSON.parse(body), let object = json["errors"]?.object {
            errors = object.map { ($0.0, $0.1.string ?? $0.1.serialized()) }
        }
        let cleanReason = reason.trimmingWhitespace()
        let message: String
        switch status {
        case 400 where !errors.isEmpty:
            let details = errors.map { "\($0.0): \($0.1.trimmingWhitespace())" }.joined(separator: "; ")
            message = "parameter verification failed: \(details)"
        case 401:
            message = "authentication failed (\(cleanReason.isEmpty ? "HTTP 401" : cleanReason)) — check the user, token or secret"
        case 403:
            var text = "permission denied for \(request)"
            if !cleanReason.isEmpty, cleanReason != "Permission check failed" { text += ": \(cleanReason)" }
            if let tokenID {
                text += " — if this API token has privilege separation, grant it an ACL (pveum acl modify PATH --tokens \(tokenID) --roles ROLE)"
            }
            message = text
        case 595, 596:
            let target = nodeName(in: path).map { "node \($0)" } ?? "the target node"
            message = "\(target) is unreachable from \(host) (HTTP \(status)\(cleanReason.isEmpty ? "" : ": \(cleanReason)"))"
        case 501:
            message = "\(request) is not implemented by this server (\(cleanReason))"
        default:
            let text = cleanReason.isEmpty ? "HTTP \(status)" : "\(cleanReason) (HTTP \(status))"
            message = "\(request) failed: \(text)"
        }
        return APIError(kind: status == 401 ? .auth : .http, message: message, status: status, reason: reason,
                        errors: errors, request: request)
    }

    /// A request stopped by `PVEClient.shouldAbort`. A read just says so; a write may already have
    /// been carried out by the server, so the message says how to find out before trying again.
    static func interrupted(_ request: APIRequest, sent: Bool) -> APIError {
        let name = "\(request.method.rawValue) \(request.path)"
        let message: String
        if !sent {
            message = "interrupted (\(name) was not sent)"
        } else if request.method == .get {
            message = "interrupted"
        } else {
            message = "interrupted: \(name) may already have reached the server and taken effect; "
                + "check with `tasks` (and `show ID` for a guest) before running it again"
        }
        return APIError(kind: .interrupted, message: message, request: name)
    }

    /// `pve3` from `/nodes/pve3/...`.
    static func nodeName(in path: String) -> String? {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true)
        guard parts.count >= 2, parts[0] == "nodes" else { return nil }
        return String(parts[1])
    }
}

extension APIError: Equatable {
    public static func == (a: APIError, b: APIError) -> Bool {
        a.kind == b.kind && a.status == b.status && a.message == b.message && a.reason == b.reason
            && a.errors.map(\.0) == b.errors.map(\.0) && a.errors.map(\.1) == b.errors.map(\.1)
    }
}
