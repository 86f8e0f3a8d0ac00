import PVESchema
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A connection to one PVE API endpoint.
///
/// Requests on one client run one at a time over one kept-alive connection. For bounded concurrent
/// bulk work, make `sibling()` clients: each has its own connection and shares the login.
///
/// Retry policy: GETs are tried up to 3 times (pauses 100 ms, 300 ms) after connection failures and
/// HTTP 5xx — except 501 and 595/596 (a node is down: retrying only delays the message) and TLS
/// failures. A GET for a missing object (PVE answers 500) thus costs 0.4 s more before its error;
/// that is the price of riding out a pveproxy restart. POST/PUT/DELETE are never retried
/// automatically: they may have taken effect.
public final class PVEClient: Sendable {
    public let settings: ConnectionSettings
    let interaction: ClientInteraction
    let session: SharedSession
    private let endpointResult: Result<Endpoint, APIError>
    /// The curl handle, created on first use; the lock serialises requests on this client.
    private let transport = Mutex<CurlTransport?>(nil)
    private let hooks = Mutex(Hooks())

    /// Pauses between GET attempts.
    static let retryDelays: [Duration] = [.milliseconds(100), .milliseconds(300)]

    public convenience init(settings: ConnectionSettings, interaction: ClientInteraction = .none) {
        self.init(settings: settings, interaction: interaction, session: SharedSession())
        if settings.tls.insecure && settings.tls.fingerprint == nil {
            interaction.warn("warning: TLS certificate verification is disabled (insecure) for \(settings.url); "
                + "anyone on the network path can read your credentials. Pin the certificate instead: "
                + "fingerprint = <SHA-256 from the PVE web UI> in ~/.proxmuxrc")
        }
    }

    init(settings: ConnectionSettings, interaction: ClientInteraction, session: SharedSession) {
        self.settings = settings
        self.interaction = interaction
        self.session = session
        do throws(APIError) {
            endpointResult = .success(try Endpoint(settings.url))
        } catch {
            endpointResult = .failure(error)
        }
    }

    /// A new client with its own connection that shares this client's login (ticket renewals by
    /// either are seen by both) and any certificate accepted on first use.
    public func sibling() -> PVEClient {
        let copy = PVEClient(settings: settings, interaction: interaction, session: session)
        copy.hooks.withLock { $0 = hooks.withLock { $0 } }
        return copy
    }

    /// Receives one line per request once it is answered (or failed), from whichever thread sent it:
    /// `GET /cluster/resources?type=vm -> 200 OK (12 ms, 3456 bytes)`. Secret parameter values are
    /// redacted (`APIRequest.traceDescription`); headers (tokens, cookies, CSRF) are never traced.
    public var trace: (@Sendable (String) -> Void)? {
        get { hooks.withLock { $0.trace?.call } }
        set { hooks.withLock { $0.trace = newValue.map(Hooks.Box.init) } }
    }

    /// Asked before each request and, while one is in flight, several times a second (libcurl's
    /// progress callback). Returning true stops the request with an `.interrupted` error, which is
    /// never retried. The shell sets it to its Ctrl-C flag.
    public var shouldAbort: (@Sendable () -> Bool)? {
        get { hooks.withLock { $0.shouldAbort?.call } }
        set { hooks.withLock { $0.shouldAbort = newValue.map(Hooks.Box.init) } }
    }

    /// The owner's closures, each in a class box. A closure kept directly in a generic container
    /// (`Mutex`) comes back wrapped in a conversion thunk, and copying it on (to siblings, to the
    /// transport) wrapped it again and again: a 1,000-line script spent a third of its time in
    /// nested thunks. Boxes are passed by reference and never rewrapped.
    struct Hooks: Sendable {
        final class Box<Function: Sendable>: Sendable {
            let call: Function
            init(_ call: Function) { self.call = call }
        }
        var trace: Box<@Sendable (String) -> Void>?
        var shouldAbort: Box<@Sendable () -> Bool>?
    }

    /// Runs one wire exchange: not at all once `shouldAbort` says so, naming the request in an
    /// interruption error, and reporting it to `trace` when set.
    func traced(_ request: APIRequest, _ exchange: () throws(APIError) -> HTTPResponse) throws(APIError) -> HTTPResponse {
        if let shouldAbort, shouldAbort() { throw APIError.interrupted(request, sent: false) }
        let sink = trace
        let start = sink == nil ? nil : ContinuousClock.now
        func milliseconds() -> Int64 {
            guard let start else { return 0 }
            let elapsed = (ContinuousClock.now - start).components
            return elapsed.seconds * 1000 + elapsed.attoseconds / 1_000_000_000_000_000
        }
        do {
            let response = try exchange()
            sink?("\(request.traceDescription) -> \(response.status) \(response.reason.trimmingWhitespace()) "
                + "(\(milliseconds()) ms, \(response.body.count) bytes)")
            return response
        } catch {
            let failure = error.kind == .interrupted ? APIError.interrupted(request, sent: true) : error
            sink?("\(request.traceDescription) -> \(failure.kind == .interrupted ? "interrupted" : failure.message) (\(milliseconds()) ms)")
            throw failure
        }
    }

    // MARK: Requests

    /// GET; returns the `data` member of the answer.
    public func get(_ path: String, query: [(String, String)] = []) throws(APIError) -> JSON {
        try send(APIRequest(.get, path, params: query))
    }

    /// POST with a form body; returns `data` (often a UPID string for long operations).
    @discardableResult
    public func post(_ path: String, params: [(String, String)] = []) throws(APIError) -> JSON {
        try send(APIRequest(.post, path, params: params))
    }

    @discardableResult
    public func put(_ path: String, params: [(String, String)] = []) throws(APIError) -> JSON {
        try send(APIRequest(.put, path, params: params))
    }

    @discardableResult
    public func delete(_ path: String, params: [(String, String)] = []) throws(APIError) -> JSON {
        try send(APIRequest(.delete, path, params: params))
    }

    /// GET whose `data` is a list of objects, kept as text with the values of `keys` located (see
    /// `JSONRows`): big listings are shown without decoding every row.
    public func rows(_ path: String, query: [(String, String)] = [], keys: [String]) throws(APIError) -> JSONRows {
        let request = APIRequest(.get, path, params: query)
        let response = try withTransport { transport throws(APIError) in
            try self.exchange(request, on: transport, indexing: JSONRows.Builder(member: "data", keys: keys))
        }
        guard let rows = response.rows, !response.body.isEmpty else { return JSONRows([], keys: keys) }
        do {
            return try rows.finish()
        } catch {
            throw Self.undecodable(response.body, request: request, error: error)
        }
    }

    /// Sends one request and returns the `data` member of PVE's `{"data": ...}` answer.
    @discardableResult
    public func send(_ request: APIRequest) throws(APIError) -> JSON {
        let response = try withTransport { transport throws(APIError) in
            try self.exchange(request, on: transport)
        }
        return try Self.decodeData(response.body, request: request)
    }

    /// Runs `body` with this client's transport (created on first use) under its lock.
    func withTransport<T>(_ body: (CurlTransport) throws(APIError) -> T) throws(APIError) -> T {
        let endpoint = try endpointResult.get()
        return try transport.withLock { slot throws(APIError) -> T in
            let current: CurlTransport
            if let existing = slot {
                current = existing
            } else {
                current = try CurlTransport(endpoint: endpoint, tlsMode: initialTLSMode(for: endpoint),
                                            connectTimeout: settings.connectTimeout, timeout: settings.timeout)
                slot = current
            }
            current.shouldAbort = hooks.withLock { $0.shouldAbort }
            return try body(current)
        }
    }

    private func initialTLSMode(for endpoint: Endpoint) -> TLSMode {
        let tls = settings.tls
        if let pin = tls.fingerprint { return .pinned(pin) }
        if tls.insecure { return .insecure }
        if let caFile = tls.caFile { return .verify(caFile: caFile) }
        if let accepted = session.acceptedFingerprint { return .pinned(accepted) }
        if let path = tls.knownHostsPath,
           let known = KnownHosts(path: path).fingerprint(forHost: endpoint.host, port: endpoint.port) {
            return .pinned(known)
        }
        return .verify(caFile: nil)
    }

    /// One request with retries, ticket handling and trust-on-first-use; returns a 2xx answer.
    /// `indexing`: see `CurlTransport.perform`.
    func exchange(_ request: APIRequest, on transport: CurlTransport, indexing: JSONRows.Builder? = nil) throws(APIError) -> HTTPResponse {
        let attempts = request.method == .get ? Self.retryDelays.count + 1 : 1
        var attempt = 0
        var reauthenticated = false
        while true {
            attempt += 1
            do throws(APIError) {
                try ensureTicket(on: transport)
                let response = try performOnce(request, on: transport, indexing: indexing)
                if response.status == 401, case .password = settings.credentials, !reauthenticated {
                    // Ticket expired or revoked: log in again once, then retry once.
                    reauthenticated = true
                    session.ticket = nil
                    try ensureTicket(on: transport)
                    attempt -= 1
                    continue
                }
                guard (200..<300).contains(response.status) else {
                    throw APIError.http(status: response.status, reason: response.reason, body: response.body,
                                        method: request.method.rawValue, path: request.path,
                                        host: transport.endpoint.host, tokenID: tokenID)
                }
                return response
            } catch {
                guard error.isRetryable, attempt < attempts else { throw error }
                blockingSleep(Self.retryDelays[attempt - 1])
            }
        }
    }

    /// Sends exactly once (plus one resend after the user accepts an unknown certificate).
    func performOnce(_ request: APIRequest, on transport: CurlTransport, indexing: JSONRows.Builder? = nil) throws(APIError) -> HTTPResponse {
        let (url, body) = urlAndBody(request, base: transport.endpoint.apiBase)
        let headers = authHeaders(for: request.method)
        let send = { () throws(APIError) -> HTTPResponse in
            try self.traced(request) { () throws(APIError) -> HTTPResponse in
                try transport.perform(method: request.method, url: url, headers: headers, body: body, indexing: indexing)
            }
        }
        do {
            return try send()
        } catch where error.kind == .tls {
            try trustOnFirstUse(transport, after: error)
            return try send()
        }
    }

    /// The URL (with the query string for GET/DELETE) and the body for POST/PUT.
    func urlAndBody(_ request: APIRequest, base: String) -> (String, RequestBody?) {
        var url = base + FormEncoding.encodePath(request.path)
        if request.method.usesQueryString {
            if !request.params.isEmpty { url += "?" + FormEncoding.encode(request.params) }
            return (url, nil)
        }
        switch request.bodyEncoding {
        case .form:
            return (url, RequestBody(text: FormEncoding.encode(request.params), contentType: "application/x-www-form-urlencoded"))
        case .json:
            let object = JSON.object(request.params.map { ($0.0, JSON.string($0.1)) })
            return (url, RequestBody(text: object.serialized(), contentType: "application/json"))
        }
    }

    // MARK: Decoding

    static func decodeData(_ body: [UInt8], request: APIRequest) throws(APIError) -> JSON {
        if body.isEmpty { return .null }
        let parsed: JSON
        do {
            parsed = try body.withUnsafeBufferPointer { try JSON.parse(bytes: $0) }
        } catch {
            throw undecodable(body, request: request, error: error)
        }
        return parsed["data"] ?? .null
    }

    static func undecodable(_ body: [UInt8], request: APIRequest, error: any Error) -> APIError {
        let preview = String(decoding: body.prefix(80), as: UTF8.self)
        return APIError(kind: .decoding, message: "the answer to \(request.method.rawValue) \(request.path) is not valid JSON (\(error)): \(preview)",
                        request: "\(request.method.rawValue) \(request.path)")
    }

    // MARK: Helpers

    var tokenID: String? {
        if case .token(let id, _) = settings.credentials { return id }
        return nil
    }
}
