import PVESchema

// The seam between the HTTP front (server, TLS, auth, schema validation, faults) and the simulated
// cluster behind it (state, endpoint handlers, tasks). The front turns a wire request into a
// `SimRequest` that already passed authentication and schema validation; the cluster answers
// with the `data` member of PVE's `{"data": ...}` envelope or throws `SimError`.

/// Who is calling, after authentication.
public struct SimIdentity: Sendable, Equatable {
    /// `user@realm`
    public let userid: String
    /// Token id for API-token calls (`PVEAPIToken=user@realm!TOKENID=...`).
    public let tokenID: String?
    /// Token with privilege separation: it has only the ACLs granted to the token itself.
    public let privilegeSeparated: Bool

    public init(userid: String, tokenID: String? = nil, privilegeSeparated: Bool = false) {
        self.userid = userid
        self.tokenID = tokenID
        self.privilegeSeparated = privilegeSeparated
    }

    /// `user@realm` or `user@realm!token`, as PVE writes it in task UPIDs and ACLs.
    public var authid: String { tokenID.map { "\(userid)!\($0)" } ?? userid }
}

/// A file received by the upload endpoint; its bytes were streamed to disk (or counted), never held in memory.
public struct SimUpload: Sendable, Equatable {
    public let filename: String
    public let size: Int64
    public init(filename: String, size: Int64) {
        self.filename = filename
        self.size = size
    }
}

/// One API call that passed authentication and schema validation.
public struct SimRequest: Sendable {
    /// `GET`, `POST`, `PUT` or `DELETE`.
    public let method: String
    /// Concrete path below `/api2/json`, e.g. `/nodes/pve1/qemu/100/config`.
    public let path: String
    /// The schema template it matched, e.g. `/nodes/{node}/qemu/{vmid}/config`.
    public let template: String
    /// Query and form parameters merged with the path parameters (as PVE does).
    public let params: [String: String]
    public let identity: SimIdentity
    public let upload: SimUpload?

    public init(method: String, path: String, template: String, params: [String: String], identity: SimIdentity, upload: SimUpload? = nil) {
        self.method = method
        self.path = path
        self.template = template
        self.params = params
        self.identity = identity
        self.upload = upload
    }
}

/// An error answer. PVE puts parameter errors in the body (`{"data":null,"errors":{...}}`) and
/// most other errors only in the HTTP reason phrase.
public struct SimError: Error, Sendable, Equatable {
    public let status: Int
    public let reason: String
    public let errors: [String: String]

    public init(status: Int, reason: String, errors: [String: String] = [:]) {
        self.status = status
        self.reason = reason
        self.errors = errors
    }

    /// HTTP 400 "Parameter verification failed." with per-parameter messages.
    public static func parameters(_ errors: [String: String]) -> SimError {
        SimError(status: 400, reason: "Parameter verification failed.", errors: errors)
    }
    public static func forbidden(_ reason: String = "Permission check failed") -> SimError {
        SimError(status: 403, reason: reason)
    }
    /// PVE answers a missing object with 500 and a message such as "Configuration file 'nodes/pve1/qemu-server/999.conf' does not exist".
    public static func failed(_ reason: String) -> SimError { SimError(status: 500, reason: reason) }
    public static func notImplemented(_ method: String, _ path: String) -> SimError {
        SimError(status: 501, reason: "Method '\(method) \(path)' not implemented")
    }
}

/// The simulated cluster as the HTTP front sees it.
public protocol SimCluster: AnyObject, Sendable {
    /// Answers one validated call; returns the `data` member.
    func handle(_ request: SimRequest) throws(SimError) -> JSON
    /// Answers one validated call by appending the serialized `data` member to `body`, so a cluster
    /// can reuse bytes it serialized before. After an error `body` is partial and must be discarded.
    func handle(_ request: SimRequest, writingTo body: inout [UInt8]) throws(SimError)
    /// Checks a user's password (realms `pam` and `pve`).
    func verifyPassword(userid: String, password: String) -> Bool
    /// Base32 TOTP secret when the user has TFA enabled.
    func totpSecret(userid: String) -> String?
    /// Resolves `user@realm!tokenid` + secret to an identity, nil when unknown, expired or wrong.
    func verifyToken(authid: String, secret: String) -> SimIdentity?
    /// Node names; requests for a node the fault settings mark unreachable get HTTP 596.
    var nodeNames: [String] { get }
}

extension SimCluster {
    /// Serializes what `handle(_:)` returns.
    public func handle(_ request: SimRequest, writingTo body: inout [UInt8]) throws(SimError) {
        try handle(request).write(to: &body)
    }
}
