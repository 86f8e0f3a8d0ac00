/// Asks the user whether to trust a certificate that the system CAs cannot verify.
public protocol TrustPrompter: Sendable {
    /// Shows `host:port` and the SHA-256 fingerprint and returns the user's answer (default no).
    func shouldTrust(host: String, port: Int, fingerprint: Fingerprint) -> Bool
}

/// Supplies a TOTP code when the server asks for a second factor.
public protocol OTPProvider: Sendable {
    /// The current code for `user`, or nil to give up.
    func oneTimePassword(for user: String) -> String?
}

/// What the client may ask or tell the user about. A non-interactive client has no prompter:
/// an untrusted certificate is then an error that explains how to pin it.
public struct ClientInteraction: Sendable {
    public var trustPrompter: (any TrustPrompter)?
    public var otpProvider: (any OTPProvider)?
    /// Receives visible warnings (e.g. "TLS verification is disabled").
    public var warn: @Sendable (String) -> Void

    public init(trustPrompter: (any TrustPrompter)? = nil, otpProvider: (any OTPProvider)? = nil,
                warn: @escaping @Sendable (String) -> Void = { _ in }) {
        self.trustPrompter = trustPrompter
        self.otpProvider = otpProvider
        self.warn = warn
    }

    /// No prompts; warnings are dropped. Scripts and tests start here.
    public static var none: ClientInteraction { ClientInteraction() }
}

/// An OTP provider with a fixed code (from config `otp-command` output or `PROXMUX_OTP`).
public struct FixedOTP: OTPProvider {
    private let code: String
    public init(_ code: String) { self.code = code }
    public func oneTimePassword(for user: String) -> String? { code }
}
