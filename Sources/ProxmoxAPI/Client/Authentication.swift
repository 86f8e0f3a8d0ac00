import PVESchema

extension PVEClient {
    /// Headers that authenticate one request; secrets stay in memory and in these headers only.
    func authHeaders(for method: HTTPMethod) -> [String] {
        switch settings.credentials {
        case .token(let id, let secret):
            return ["Authorization: PVEAPIToken=\(id)=\(secret)"]
        case .password:
            guard let ticket = session.ticket else { return [] }
            var headers = ["Cookie: PVEAuthCookie=\(FormEncoding.encode(ticket.value))"]
            if method != .get { headers.append("CSRFPreventionToken: \(ticket.csrfToken)") }
            return headers
        case .none:
            return []
        }
    }

    /// Logs in when there is no ticket, renews it when it is old (tickets live 2 h).
    func ensureTicket(on transport: CurlTransport) throws(APIError) {
        guard case .password(let user, let realm, let password) = settings.credentials else { return }
        let username = Credentials.fullUser(user, realm)
        if let ticket = session.ticket {
            guard ContinuousClock.now - ticket.issued >= session.renewAfter else { return }
            // Renew by posting the ticket as the password; if that fails, log in from scratch.
            if let renewed = try? requestTicket(on: transport, params: [("username", username), ("password", ticket.value)]),
               let fresh = try? completeLogin(renewed, username: username, on: transport) {
                session.ticket = fresh
                return
            }
        }
        let answer = try requestTicket(on: transport, params: [("username", username), ("password", password)])
        session.ticket = try completeLogin(answer, username: username, on: transport)
    }

    /// Finishes a `/access/ticket` answer: asks for a TOTP code when the server needs a second factor.
    private func completeLogin(_ answer: JSON, username: String, on transport: CurlTransport) throws(APIError) -> Ticket {
        var data = answer
        if answer["NeedTFA"]?.bool == true {
            guard let challenge = answer["ticket"]?.string else {
                throw APIError(kind: .auth, message: "login for \(username): the server asked for a second factor but sent no challenge")
            }
            guard let provider = interaction.otpProvider, let code = provider.oneTimePassword(for: username)?.trimmingWhitespace(),
                  !code.isEmpty else {
                throw APIError(kind: .auth, message: "\(username) has two-factor authentication: run interactively, "
                    + "or give the code in PROXMUX_OTP or an otp-command in the profile")
            }
            data = try requestTicket(on: transport, params: [
                ("username", username), ("tfa-challenge", challenge), ("password", "totp:\(code)"),
            ])
        }
        guard let value = data["ticket"]?.string, let csrf = data["CSRFPreventionToken"]?.string, !value.isEmpty else {
            throw APIError(kind: .auth, message: "login for \(username): the server's answer has no ticket")
        }
        return Ticket(username: data["username"]?.string ?? username, value: value, csrfToken: csrf, issued: .now)
    }

    /// POST /access/ticket without any authentication headers.
    private func requestTicket(on transport: CurlTransport, params: [(String, String)]) throws(APIError) -> JSON {
        let request = APIRequest(.post, "/access/ticket", params: params)
        let (url, body) = urlAndBody(request, base: transport.endpoint.apiBase)
        let send = { () throws(APIError) -> HTTPResponse in
            try self.traced(request) { () throws(APIError) -> HTTPResponse in
                try transport.perform(method: .post, url: url, headers: [], body: body)
            }
        }
        let response: HTTPResponse
        do {
            response = try send()
        } catch where error.kind == .tls {
            try trustOnFirstUse(transport, after: error)
            response = try send()
        }
        let user = params.first { $0.0 == "username" }?.1 ?? "?"
        if response.status == 401 {
            throw APIError(kind: .auth, message: "login failed for \(user): wrong user name, realm, password or code (\(response.reason.trimmingWhitespace()))",
                           status: 401, reason: response.reason, request: "POST /access/ticket")
        }
        guard (200..<300).contains(response.status) else {
            throw APIError.http(status: response.status, reason: response.reason, body: response.body, method: "POST",
                                path: "/access/ticket", host: transport.endpoint.host, tokenID: nil)
        }
        return try PVEClient.decodeData(response.body, request: request.redacted)
    }

    /// After a failed handshake under system-CA verification: ask the user about the certificate
    /// (and remember a yes), or explain how to pin it. Returns when the request may be resent;
    /// otherwise throws — `failure` itself unless there is something more useful to say.
    func trustOnFirstUse(_ transport: CurlTransport, after failure: APIError) throws(APIError) {
        let endpoint = transport.endpoint
        let seen = transport.observedFingerprint
        switch transport.tlsMode {
        case .pinned(let remembered) where settings.tls.fingerprint == nil:
            // Pinned from the known-hosts file (or an earlier "yes"), and the server now shows another certificate.
            guard let seen, seen != remembered else { throw failure }
            throw APIError(kind: .tls, message: "TLS: the certificate of \(endpoint.display) changed since you trusted it "
                + "(remembered \(remembered), now \(seen)). If the change is expected, remove the line for "
                + "\(endpoint.host):\(endpoint.port) from \(settings.tls.knownHostsPath ?? "the known-hosts file")")
        case .verify(caFile: nil):
            break
        default:
            throw failure
        }
        guard let seen else { throw failure }
        guard let knownHostsPath = settings.tls.knownHostsPath, let prompter = interaction.trustPrompter else {
            throw APIError(kind: .tls, message: untrustedMessage(endpoint, seen))
        }
        guard prompter.shouldTrust(host: endpoint.host, port: endpoint.port, fingerprint: seen) else {
            throw APIError(kind: .tls, message: "TLS: certificate of \(endpoint.display) not trusted (fingerprint \(seen))")
        }
        do {
            try KnownHosts(path: knownHostsPath).remember(seen, host: endpoint.host, port: endpoint.port)
        } catch {
            interaction.warn("warning: could not remember the certificate: \(error.message)")
        }
        session.acceptedFingerprint = seen
        transport.applyTLS(.pinned(seen))
    }

    private func untrustedMessage(_ endpoint: Endpoint, _ seen: Fingerprint) -> String {
        "TLS: the certificate of \(endpoint.display) is not signed by a trusted CA (self-signed?); "
            + "its SHA-256 fingerprint is \(seen). If that matches the PVE web UI (node > System > Certificates), "
            + "pin it with 'fingerprint = ...' in ~/.proxmuxrc or PROXMUX_FINGERPRINT=..., or set ca-file"
    }
}
