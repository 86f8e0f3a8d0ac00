import PVESchema

/// HTTP methods the PVE API uses.
public enum HTTPMethod: String, Sendable, CaseIterable {
    case get = "GET", post = "POST", put = "PUT", delete = "DELETE"

    /// GET and DELETE carry parameters in the query string; POST and PUT in a form body.
    var usesQueryString: Bool { self == .get || self == .delete }
}

/// One API call: method, path below `/api2/json`, and parameters in the order given.
public struct APIRequest: Sendable, CustomStringConvertible, Equatable {
    public var method: HTTPMethod
    /// Path below `/api2/json`, e.g. `/nodes/pve1/qemu/100/status/start`.
    public var path: String
    /// Parameters in order; sent as a query string (GET, DELETE) or a form body (POST, PUT).
    public var params: [(String, String)]

    /// How POST/PUT parameters travel; PVE accepts both.
    public enum BodyEncoding: Sendable, Equatable {
        /// `application/x-www-form-urlencoded` (the default, as the PVE tools send it).
        case form
        /// `application/json`: an object of string values.
        case json
    }
    public var bodyEncoding: BodyEncoding

    public init(_ method: HTTPMethod, _ path: String, params: [(String, String)] = [], bodyEncoding: BodyEncoding = .form) {
        self.method = method
        self.path = path.hasPrefix("/") ? path : "/" + path
        self.params = params
        self.bodyEncoding = bodyEncoding
    }

    public static func == (a: APIRequest, b: APIRequest) -> Bool {
        a.method == b.method && a.path == b.path && a.params.map(\.0) == b.params.map(\.0)
            && a.params.map(\.1) == b.params.map(\.1) && a.bodyEncoding == b.bodyEncoding
    }

    /// Parameter names whose values are never shown (passwords, secrets, tickets, keys).
    public static func isSecretParameter(_ name: String) -> Bool {
        let lower = name.lowercased()
        return ["password", "secret", "ticket", "token", "otp", "key", "cipassword", "tfa-challenge"]
            .contains { lower.contains($0) } && lower != "sshkeys" && lower != "keyboard"
    }

    /// A copy with secret parameter values replaced by `<redacted>`.
    public var redacted: APIRequest {
        var copy = self
        copy.params = params.map { Self.isSecretParameter($0.0) ? ($0.0, "<redacted>") : $0 }
        return copy
    }

    /// `POST /nodes/pve1/qemu/100/status/start key=value ...`, secrets redacted.
    public var description: String {
        let shown = redacted.params.map { "\($0.0)=\(Self.quoteIfNeeded($0.1))" }
        return ([method.rawValue, path] + shown).joined(separator: " ")
    }

    /// One request as the debug trace shows it, secrets redacted: GET and DELETE as the URL path
    /// with its query (`GET /cluster/resources?type=vm`), POST and PUT as `description` (the form
    /// fields after the path).
    public var traceDescription: String {
        guard method.usesQueryString, !params.isEmpty else { return description }
        let query = redacted.params.map { "\($0.0)=\($0.1)" }.joined(separator: "&")
        return "\(method.rawValue) \(path)?\(query)"
    }

    private static func quoteIfNeeded(_ value: String) -> String {
        if !value.isEmpty, !value.contains(where: { $0 == " " || $0 == "'" || $0 == "\"" || $0 == "\\" }) { return value }
        return "'" + value.replacing("'", with: "'\\''") + "'"
    }
}

// MARK: - Form encoding

enum FormEncoding {
    /// Percent-encodes everything except RFC 3986 unreserved characters.
    static func encode(_ value: String) -> String {
        var out = ""
        out.reserveCapacity(value.utf8.count)
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."),
                 UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                out += "%"
                out += hexDigit(byte >> 4)
                out += hexDigit(byte & 0xF)
            }
        }
        return out
    }

    static func encode(_ params: [(String, String)]) -> String {
        params.map { encode($0.0) + "=" + encode($0.1) }.joined(separator: "&")
    }

    /// Percent-encodes each path segment, keeping `/` (UPIDs contain `:` and `@`, which are kept too).
    static func encodePath(_ path: String) -> String {
        var out = ""
        for byte in path.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."),
                 UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: "/"), UInt8(ascii: ":"),
                 UInt8(ascii: "@"), UInt8(ascii: "!"), UInt8(ascii: "="):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                out += "%"
                out += hexDigit(byte >> 4)
                out += hexDigit(byte & 0xF)
            }
        }
        return out
    }

    static func decode(_ text: Substring) -> String {
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8)[...]
        while let byte = iterator.popFirst() {
            if byte == UInt8(ascii: "+") { bytes.append(0x20); continue }
            if byte == UInt8(ascii: "%"), iterator.count >= 2,
               let high = HexDigit.value(iterator[iterator.startIndex]), let low = HexDigit.value(iterator[iterator.startIndex + 1]) {
                bytes.append(high << 4 | low)
                iterator.removeFirst(2)
                continue
            }
            bytes.append(byte)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func hexDigit(_ nibble: UInt8) -> String {
        String(UnicodeScalar(nibble < 10 ? nibble + 48 : nibble + 55))
    }

}
