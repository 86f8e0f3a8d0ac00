import PVESchema
#if canImport(Glibc)
import Glibc
#endif

/// The wire-independent part of the HTTP front: routing against the schema, authentication,
/// CSRF, faults, login, parameter parsing and validation, and the `{"data": ...}` envelope.
/// `HTTPFrontHandler` feeds it requests; it never blocks (delays are returned, not slept).
final class APIFront: Sendable {
    let cluster: any SimCluster
    let schema: APISchema
    let validator = ParameterValidator()
    let tickets: TicketAuthority
    let faults: SimFaults
    let options: SimulatorOptions

    static let apiPrefix = "/api2/json"
    static let uploadTemplate = "/nodes/{node}/storage/{storage}/upload"
    static let controlPath = "/_sim/faults"

    init(cluster: any SimCluster, options: SimulatorOptions, faults: SimFaults, schema: APISchema = .official) {
        self.cluster = cluster
        self.schema = schema
        self.options = options
        self.faults = faults
        self.tickets = TicketAuthority(lifetime: options.ticketLifetime, faults: faults)
    }

    // MARK: Head stage

    /// What the handler knows once the request head arrived.
    struct Head {
        let method: String
        /// Path below `/api2/json` (or the control path).
        let path: String
        let query: Substring?
        let headers: [(String, String)]

        func header(_ name: String) -> String? {
            headers.first { $0.0.lowercased() == name }?.1
        }

        /// Whether `Accept-Encoding` names gzip: pveproxy matches `/gzip/` in it, case-sensitively,
        /// without looking at q-values.
        var acceptsGzip: Bool {
            header("accept-encoding")?.contains("gzip") ?? false
        }
    }

    /// A request accepted at head time, waiting for its body.
    struct Pending {
        enum Kind { case api(Match), login, loginInfo, control, rejected }
        let head: Head
        let kind: Kind
        let identity: SimIdentity?
        let delayMs: Int
        /// A fault or early error to answer with once the body has been read.
        let injected: SimError?
        var isUpload: Bool {
            if case .api(let match) = kind { return match.endpoint.path == APIFront.uploadTemplate && head.method == "POST" }
            return false
        }
    }

    enum HeadDecision {
        case proceed(Pending)
        case drop
    }

    /// Routes, authenticates and applies faults using only the head.
    func begin(_ head: Head) -> HeadDecision {
        if head.path == Self.controlPath {
            // Simulator control is exempt from faults so a test can always switch them off.
            let auth = authenticate(head, endpoint: nil)
            return .proceed(Pending(head: head, kind: .control, identity: auth.identity, delayMs: 0, injected: auth.error))
        }
        let kind: Pending.Kind
        if head.path == "/access/ticket" && head.method == "POST" {
            kind = .login
        } else if head.path == "/access/ticket" && head.method == "GET" {
            kind = .loginInfo
        } else if let match = schema.match(method: head.method, path: head.path) {
            kind = .api(match)
        } else {
            return .proceed(reject(head, .notImplemented(head.method, head.path)))
        }
        var node: String?
        if case .api(let match) = kind { node = match.pathParameters["node"] }
        let delayMs: Int
        let faultError: SimError?
        switch faults.decide(node: node) {
        case .drop: return .drop
        case .answer(let delay, let error): delayMs = delay; faultError = error
        }
        // Authentication comes before the fault answer: pveproxy checks credentials before it
        // tries to proxy to another node.
        var identity: SimIdentity?
        var authError: SimError?
        if case .api(let match) = kind { (identity, authError) = authenticate(head, endpoint: match.endpoint) }
        return .proceed(Pending(head: head, kind: kind, identity: identity, delayMs: delayMs, injected: authError ?? faultError))
    }

    /// A request answered with `error` once its body (if any) has been read.
    func reject(_ head: Head, _ error: SimError) -> Pending {
        Pending(head: head, kind: .rejected, identity: nil, delayMs: 0, injected: error)
    }

    /// Token header, or ticket cookie plus CSRF header on anything but GET, as pveproxy checks them.
    func authenticate(_ head: Head, endpoint: Endpoint?) -> (identity: SimIdentity?, error: SimError?) {
        if let authorization = head.header("authorization"), authorization.hasPrefix("PVEAPIToken") {
            let value = authorization.dropFirst("PVEAPIToken".count).drop(while: { $0 == "=" || $0 == " " })
            guard let eq = value.firstIndex(of: "="), value[..<eq].contains("!"),
                  let identity = cluster.verifyToken(authid: String(value[..<eq]), secret: String(value[value.index(after: eq)...]))
            else { return (nil, SimError(status: 401, reason: "invalid token value")) }
            if let endpoint, !endpoint.allowsToken {
                return (nil, SimError(status: 401, reason: "API tokens are not allowed for this call"))
            }
            return (identity, nil)
        }
        guard let ticket = Self.cookie("PVEAuthCookie", in: head.header("cookie")) else {
            return (nil, SimError(status: 401, reason: "No ticket"))
        }
        guard let userid = tickets.verify(ticket: ticket) else {
            return (nil, SimError(status: 401, reason: "permission denied - invalid PVE ticket"))
        }
        if head.method != "GET" {
            guard let csrf = head.header("csrfpreventiontoken"), tickets.verify(csrfToken: csrf, userid: userid) else {
                return (nil, SimError(status: 401, reason: "Permission denied - invalid csrf token"))
            }
        }
        return (SimIdentity(userid: userid), nil)
    }

    static func cookie(_ name: String, in header: String?) -> String? {
        guard let header else { return nil }
        for part in header.split(separator: ";") {
            let trimmed = part.drop(while: { $0 == " " })
            guard trimmed.hasPrefix(name + "=") else { continue }
            let value = trimmed.dropFirst(name.count + 1)
            return PercentDecoding.decode(value).flatMap { $0.isEmpty ? nil : $0 }
        }
        return nil
    }

    // MARK: Body stage

    /// The answer to one request.
    struct Reply {
        let status: Int
        let reason: String
        let body: [UInt8]
        /// Pause before sending (latency fault, failed-login delay).
        let delayMs: Int
    }

    /// Finishes a request whose body was read (`body` holds form or JSON bytes; empty for uploads).
    func finish(_ pending: Pending, body: [UInt8], upload: MultipartParser? = nil) -> Reply {
        if let error = pending.injected { return reply(error, delayMs: pending.delayMs) }
        let params: [String: String]
        do {
            params = try Self.parameters(query: pending.head.query, body: body, contentType: pending.head.header("content-type"))
        } catch {
            return reply(error, delayMs: pending.delayMs)
        }
        switch pending.kind {
        case .rejected:
            return reply(.failed("request rejected"), delayMs: pending.delayMs)  // `injected` is always set
        case .loginInfo:
            return reply(data: .null, delayMs: pending.delayMs)
        case .login:
            return login(params, delayMs: pending.delayMs)
        case .control:
            return control(pending, params: params)
        case .api(let match):
            var all = params
            var uploaded: SimUpload?
            if let upload {
                for (k, v) in upload.fields { all[k] = v }
                if let name = upload.fileName {
                    all[upload.fileFieldName ?? "filename"] = name
                    uploaded = SimUpload(filename: name, size: upload.fileSize)
                }
            }
            for (k, v) in match.pathParameters { all[k] = v }
            let errors = validator.validate(all, for: match.endpoint)
            if !errors.isEmpty { return reply(.parameters(errors), delayMs: pending.delayMs) }
            if pending.isUpload {
                guard uploaded != nil else {
                    return reply(.parameters(["filename": "property is missing and it is not optional"]), delayMs: pending.delayMs)
                }
                if let expected = all["checksum"], let algorithm = upload?.digestAlgorithm, all["checksum-algorithm"] == algorithm,
                   let got = upload?.fileDigestHex, got != expected.lowercased() {
                    return reply(.failed("checksum mismatch: got '\(got)' != expect '\(expected)'"), delayMs: pending.delayMs)
                }
            }
            guard let identity = pending.identity else { return reply(SimError(status: 401, reason: "No ticket"), delayMs: 0) }
            let request = SimRequest(method: pending.head.method, path: pending.head.path, template: match.endpoint.path,
                                     params: all, identity: identity, upload: uploaded)
            var body = Self.dataPrefix
            body.reserveCapacity(4096)
            do {
                try cluster.handle(request, writingTo: &body)
            } catch {
                return reply(error, delayMs: pending.delayMs)
            }
            body.append(UInt8(ascii: "}"))
            return Reply(status: 200, reason: "OK", body: body, delayMs: pending.delayMs)
        }
    }

    /// Query parameters, then form or JSON body parameters (later ones win), as PVE merges them.
    static func parameters(query: Substring?, body: [UInt8], contentType: String?) throws(SimError) -> [String: String] {
        var params: [String: String] = [:]
        if let query { try parseForm(query, into: &params) }
        guard !body.isEmpty else { return params }
        let type = contentType?.lowercased() ?? ""
        if type.hasPrefix("application/json") {
            guard let json = try? JSON.parse(body), let object = json.object else {
                throw SimError(status: 400, reason: "malformed JSON body: expected an object")
            }
            for (key, value) in object {
                switch value {
                case .null: continue
                case .bool(let b): params[key] = b ? "1" : "0"
                case .array(let items): params[key] = items.compactMap(\.string).joined(separator: ",")
                case .object: params[key] = value.serialized()
                default: params[key] = value.string
                }
            }
        } else {
            try parseForm(Substring(decoding: body, as: UTF8.self), into: &params)
        }
        return params
    }

    static func parseForm(_ text: Substring, into params: inout [String: String]) throws(SimError) {
        for pair in text.split(separator: "&") {
            let eq = pair.firstIndex(of: "=") ?? pair.endIndex
            guard let key = PercentDecoding.decode(pair[..<eq], plusAsSpace: true),
                  let value = PercentDecoding.decode(eq == pair.endIndex ? "" : pair[pair.index(after: eq)...], plusAsSpace: true)
            else { throw SimError(status: 400, reason: "malformed form parameter encoding") }
            if !key.isEmpty { params[key] = value }
        }
    }

    // MARK: Login

    func login(_ params: [String: String], delayMs: Int) -> Reply {
        guard let endpoint = schema.endpoint(method: "POST", template: "/access/ticket") else {
            return reply(.notImplemented("POST", "/access/ticket"), delayMs: delayMs)
        }
        let errors = validator.validate(params, for: endpoint)
        if !errors.isEmpty { return reply(.parameters(errors), delayMs: delayMs) }
        let failed = reply(SimError(status: 401, reason: "authentication failure"),
                           delayMs: delayMs + Int(options.failedLoginDelay.components.seconds * 1000
                                                  + options.failedLoginDelay.components.attoseconds / 1_000_000_000_000_000))
        guard let username = params["username"], let password = params["password"] else { return failed }
        let userid: String
        if username.contains("@") { userid = username }
        else if let realm = params["realm"] { userid = username + "@" + realm }
        else { return failed }

        if let challenge = params["tfa-challenge"] {
            // Second step of a TFA login: the half ticket plus `totp:CODE`.
            guard tickets.verify(ticket: challenge, tfaChallenge: true) == userid,
                  let secret = cluster.totpSecret(userid: userid), password.hasPrefix("totp:"),
                  TOTP.verify(String(password.dropFirst(5)), secret: secret, at: TicketAuthority.now())
            else { return failed }
            return reply(data: loginData(userid), delayMs: delayMs)
        }
        if password.hasPrefix("PVE:"), tickets.verify(ticket: password) == userid {
            return reply(data: loginData(userid), delayMs: delayMs)  // renewal
        }
        guard cluster.verifyPassword(userid: userid, password: password) else { return failed }
        if let secret = cluster.totpSecret(userid: userid) {
            if let otp = params["otp"] {
                guard TOTP.verify(otp, secret: secret, at: TicketAuthority.now()) else { return failed }
                return reply(data: loginData(userid), delayMs: delayMs)
            }
            let data: JSON = [
                "username": .string(userid),
                "ticket": .string(tickets.ticket(for: userid, needsTFA: true)),
                "CSRFPreventionToken": .string(tickets.csrfToken(for: userid)),
                "NeedTFA": 1,
            ]
            return reply(data: data, delayMs: delayMs)
        }
        return reply(data: loginData(userid), delayMs: delayMs)
    }

    private func loginData(_ userid: String) -> JSON {
        [
            "username": .string(userid),
            "ticket": .string(tickets.ticket(for: userid)),
            "CSRFPreventionToken": .string(tickets.csrfToken(for: userid)),
            "cap": Self.capabilities,
        ]
    }

    /// The `cap` object of a login answer (the GUI uses it to show or hide buttons). The simulator
    /// grants every user the full set; the cluster's ACLs still decide each call.
    static let capabilities: JSON = {
        func all(_ privileges: [String]) -> JSON { .object(privileges.map { ($0, JSON.int(1)) }) }
        return [
            "vms": all(["VM.Allocate", "VM.Audit", "VM.Backup", "VM.Clone", "VM.Config.CDROM", "VM.Config.CPU",
                        "VM.Config.Cloudinit", "VM.Config.Disk", "VM.Config.HWType", "VM.Config.Memory",
                        "VM.Config.Network", "VM.Config.Options", "VM.Console", "VM.Migrate", "VM.PowerMgmt",
                        "VM.Snapshot", "VM.Snapshot.Rollback", "Permissions.Modify"]),
            "storage": all(["Datastore.Allocate", "Datastore.AllocateSpace", "Datastore.AllocateTemplate",
                            "Datastore.Audit", "Permissions.Modify"]),
            "access": all(["Group.Allocate", "Permissions.Modify", "User.Modify"]),
            "nodes": all(["Sys.Audit", "Sys.Console", "Sys.Modify", "Sys.PowerMgmt", "Sys.Syslog", "Permissions.Modify"]),
            "dc": all(["Sys.Audit", "Sys.Modify", "SDN.Allocate", "SDN.Audit"]),
            "sdn": all(["SDN.Allocate", "SDN.Audit", "SDN.Use"]),
            "mapping": all(["Mapping.Audit", "Mapping.Modify", "Mapping.Use"]),
        ]
    }()

    // MARK: Control endpoint

    /// `GET|POST /_sim/faults`: simulator-only fault control for a running pve-sim (not part of PVE).
    /// Needs root@pam (token or ticket). POST fields: latency_ms, error_rate, drop_rate,
    /// unreachable (comma list, empty clears), expire_tickets=1.
    func control(_ pending: Pending, params: [String: String]) -> Reply {
        guard let identity = pending.identity else { return reply(SimError(status: 401, reason: "No ticket"), delayMs: 0) }
        guard identity.userid == "root@pam" else { return reply(.forbidden("Permission check failed (root@pam only)"), delayMs: 0) }
        switch pending.head.method {
        case "GET":
            return reply(data: Self.describe(faults.settings), delayMs: 0)
        case "POST":
            var settings = faults.settings
            var errors: [String: String] = [:]
            for (key, value) in params {
                switch key {
                case "latency_ms":
                    if let v = Int(value) { settings.latencyMs = v } else { errors[key] = "type check ('integer') failed - got '\(value)'" }
                case "error_rate":
                    if let v = Double(value) { settings.errorRate = v } else { errors[key] = "type check ('number') failed - got '\(value)'" }
                case "drop_rate":
                    if let v = Double(value) { settings.dropRate = v } else { errors[key] = "type check ('number') failed - got '\(value)'" }
                case "unreachable":
                    settings.unreachableNodes = Set(value.split(separator: ",").map { String($0.filter { $0 != " " }) }.filter { !$0.isEmpty })
                case "expire_tickets":
                    if ParameterValidator.parseBoolean(value) == nil { errors[key] = "type check ('boolean') failed - got '\(value)'" }
                default:
                    errors[key] = "property is not defined in schema and the schema does not allow additional properties"
                }
            }
            if errors.isEmpty, let message = settings.validationError() { errors["_root"] = message }
            if !errors.isEmpty { return reply(.parameters(errors), delayMs: 0) }
            faults.settings = settings
            if let expire = params["expire_tickets"], ParameterValidator.parseBoolean(expire) == true { faults.expireAllTickets() }
            return reply(data: Self.describe(settings), delayMs: 0)
        default:
            return reply(.notImplemented(pending.head.method, pending.head.path), delayMs: 0)
        }
    }

    static func describe(_ s: FaultSettings) -> JSON {
        [
            "latency_ms": .int(Int64(s.latencyMs)),
            "error_rate": .double(s.errorRate),
            "drop_rate": .double(s.dropRate),
            "unreachable": .string(s.unreachableNodes.sorted().joined(separator: ",")),
        ]
    }

    // MARK: Envelope

    private static let dataPrefix = Array("{\"data\":".utf8)

    func reply(data: JSON, delayMs: Int) -> Reply {
        var body = Self.dataPrefix
        body.reserveCapacity(4096)
        data.write(to: &body)
        body.append(UInt8(ascii: "}"))
        return Reply(status: 200, reason: "OK", body: body, delayMs: delayMs)
    }

    func reply(_ error: SimError, delayMs: Int) -> Reply {
        var body = Array("{\"data\":null".utf8)
        if !error.errors.isEmpty {
            body += Array(",\"errors\":".utf8)
            JSON.object(error.errors.sorted { $0.key < $1.key }.map { ($0.key, JSON.string($0.value)) }).write(to: &body)
        }
        body.append(UInt8(ascii: "}"))
        // A reason phrase is one line of text.
        let reason = String(error.reason.map { $0 == "\n" || $0 == "\r" ? " " : $0 }).trimmingSpaces
        return Reply(status: error.status, reason: reason.isEmpty ? "Error" : reason, body: body, delayMs: delayMs)
    }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while s.last == " " { s = s.dropLast() }
        while s.first == " " { s = s.dropFirst() }
        return String(s)
    }
}
