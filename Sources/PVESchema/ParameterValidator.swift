/// Checks request parameters against an endpoint's schema the way PVE's `JSONSchema.pm` does,
/// with PVE's messages, so a client sees the same `{"errors": {param: message}}` as from a real node.
///
/// Per parameter the checks run in PVE's order: type, format, pattern, maxLength, minLength,
/// maximum, minimum, enum; the first failure is reported.
public struct ParameterValidator: Sendable {
    public init() {}

    /// Validates form/query parameters (path parameters included) for an endpoint.
    /// Returns the per-parameter errors; empty when everything is valid.
    public func validate(_ params: [String: String], for endpoint: Endpoint) -> [String: String] {
        var errors: [String: String] = [:]
        for (name, value) in params {
            guard let spec = endpoint.parameter(named: name) else {
                if !endpoint.additionalProperties {
                    errors[name] = "property is not defined in schema and the schema does not allow additional properties"
                }
                continue
            }
            if let message = check(value, against: spec, named: name, in: endpoint) { errors[name] = message }
            if let required = spec.requires, params[required] == nil, errors[required] == nil {
                errors[required] = "missing property - '\(name)' requires this property"
            }
        }
        for (name, spec) in endpoint.parameters where !spec.optional && spec.indexMax == nil && params[name] == nil {
            errors[name] = "property is missing and it is not optional"
        }
        return errors
    }

    /// Checks one value against one parameter; nil when valid. `name` is the concrete name
    /// (`net0` for `net[n]`) used in property-string messages; `endpoint` lets `delete` lists
    /// check that each entry is an option of that endpoint.
    public func check(_ value: String, against spec: ParameterSpec, named name: String? = nil, in endpoint: Endpoint? = nil) -> String? {
        if spec.type == .array, let items = spec.items {
            // Form encoding carries array items as one value per key; validate the one we have.
            return check(value, against: items, named: name, in: endpoint)
        }
        if let message = Self.checkType(value, spec.type) { return message }
        if let properties = spec.propertyFormat {
            if let message = checkPropertyString(value, properties, parameter: name ?? spec.name) { return "invalid format - \(message)" }
        } else if let format = spec.format, let message = checkFormat(value, format, endpoint: endpoint) {
            return "invalid format - \(message)"
        }
        return Self.checkConstraints(value, pattern: spec.pattern, maxLength: spec.maxLength, minLength: spec.minLength,
                                     maximum: spec.maximum, minimum: spec.minimum, enumValues: spec.enumValues)
    }

    /// Parses a property string (`virtio,bridge=vmbr0,firewall=1`) into canonical keys, resolving the
    /// default key and aliases (`e1000=MAC` → `model=e1000`, `macaddr=MAC`). Throws PVE's parse message.
    public func parsePropertyString(_ value: String, _ format: PropertyFormat) throws(PropertyStringError) -> [String: String] {
        var result: [String: String] = [:]
        var defaultKeyUsed = false
        for part in value.split(separator: ",", omittingEmptySubsequences: false) {
            if part.allSatisfy({ $0 == " " || $0 == "\t" }) { continue }
            if let eq = part.firstIndex(of: "="), eq != part.startIndex, part.index(after: eq) != part.endIndex {
                var key = String(part[..<eq])
                let val = String(part[part.index(after: eq)...])
                guard result[key] == nil else { throw PropertyStringError("duplicate key in comma-separated list property: \(key)") }
                if let spec = format.keys[key], let alias = spec.alias {
                    if let keyAlias = spec.keyAlias {
                        guard result[keyAlias] == nil else { throw PropertyStringError("key alias '\(keyAlias)' is already defined") }
                        result[keyAlias] = key
                    }
                    key = alias
                }
                guard format.keys[key] != nil else { throw PropertyStringError("invalid key in comma-separated list property: \(key)") }
                result[key] = val
            } else if !part.contains("=") {
                guard let defaultKey = format.defaultKey else {
                    throw PropertyStringError("value without key, but schema does not define a default key")
                }
                guard !defaultKeyUsed, result[defaultKey] == nil else {
                    throw PropertyStringError("duplicate key in comma-separated list property: \(defaultKey)")
                }
                defaultKeyUsed = true
                result[defaultKey] = String(part)
            } else {
                throw PropertyStringError("missing key in comma-separated list property")
            }
        }
        return result
    }

    /// Checks a property string; nil when valid, else PVE's message (without the `invalid format - ` prefix).
    func checkPropertyString(_ value: String, _ format: PropertyFormat, parameter: String) -> String? {
        let parsed: [String: String]
        do { parsed = try parsePropertyString(value, format) } catch { return error.message }
        var keyErrors: [(String, String)] = []
        for (key, spec) in format.keys where spec.alias == nil {
            guard let v = parsed[key] else {
                if !spec.optional { keyErrors.append((key, "property is missing and it is not optional")) }
                continue
            }
            if let message = checkKey(v, spec) { keyErrors.append((key, message)) }
        }
        guard !keyErrors.isEmpty else { return nil }
        let lines = keyErrors.sorted { $0.0 < $1.0 }.map { "\(parameter).\($0.0): \($0.1)" }
        return "format error\n" + lines.joined(separator: "\n")
    }

    private func checkKey(_ value: String, _ spec: PropertyKey) -> String? {
        if let message = Self.checkType(value, spec.type) { return message }
        if let format = spec.format, let message = checkFormat(value, format, endpoint: nil) { return "invalid format - \(message)" }
        return Self.checkConstraints(value, pattern: spec.pattern, maxLength: spec.maxLength, minLength: spec.minLength,
                                     maximum: spec.maximum, minimum: spec.minimum, enumValues: spec.enumValues)
    }

    // MARK: Types and constraints

    /// PVE's accepted boolean spellings.
    public static func parseBoolean(_ value: String) -> Bool? {
        switch value.lowercased() {
        case "1", "true", "yes", "on": return true
        case "0", "false", "no", "off": return false
        default: return nil
        }
    }

    static func checkType(_ value: String, _ type: ParameterType) -> String? {
        switch type {
        case .integer where !isInteger(value), .number where !isNumber(value), .boolean where parseBoolean(value) == nil:
            return "type check ('\(type.rawValue)') failed - got '\(value)'"
        default:
            return nil
        }
    }

    static func checkConstraints(_ value: String, pattern: String?, maxLength: Int?, minLength: Int?,
                                 maximum: Double?, minimum: Double?, enumValues: [String]?) -> String? {
        if let pattern, let regex = try? Regex(pattern), (try? regex.wholeMatch(in: value)) == nil {
            return "value does not match the regex pattern"
        }
        if let maxLength, value.utf8.count > maxLength { return "value may only be \(maxLength) characters long" }
        if let minLength, value.utf8.count < minLength { return "value must be at least \(minLength) characters long" }
        if isNumber(value), let number = Double(value.hasPrefix("+") ? String(value.dropFirst()) : value) {
            if let maximum, number > maximum { return "value must have a maximum value of \(JSON.format(maximum))" }
            if let minimum, number < minimum { return "value must have a minimum value of \(JSON.format(minimum))" }
        }
        if let enumValues, !enumValues.contains(value) {
            return "value '\(value)' does not have a value in the enumeration '\(enumValues.joined(separator: ", "))'"
        }
        return nil
    }

    static func isInteger(_ value: String) -> Bool {
        var digits = Substring(value)
        if let first = digits.first, first == "+" || first == "-" { digits = digits.dropFirst() }
        return !digits.isEmpty && digits.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
    }

    static func isNumber(_ value: String) -> Bool {
        var s = Substring(value)
        if let first = s.first, first == "+" || first == "-" { s = s.dropFirst() }
        if let e = s.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            guard isInteger(String(s[s.index(after: e)...])) else { return false }
            s = s[..<e]
        }
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, parts.contains(where: { !$0.isEmpty }) else { return false }
        return parts.allSatisfy { $0.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 } }
    }

    // MARK: Formats

    /// Checks PVE's registered formats that matter for the simulator; unknown formats pass.
    /// Returns PVE's message (without the `invalid format - ` prefix).
    public func checkFormat(_ value: String, _ format: String, endpoint: Endpoint?) -> String? {
        if format.hasSuffix("-list"), format != "pve-configid-list" || endpoint == nil {
            let single = String(format.dropLast(5))
            guard Self.knownFormats.contains(single) else { return nil }
            for item in Self.splitList(value) {
                if let message = checkFormat(item, single, endpoint: nil) { return message }
            }
            return nil
        }
        switch format {
        case "pve-configid-list":
            // `delete=net1,scsi0`: each entry must be an option of this endpoint.
            for item in Self.splitList(value) {
                let name = item.hasPrefix("-") ? String(item.dropFirst()) : item
                if let message = checkFormat(name, "pve-configid", endpoint: nil) { return message }
                if let endpoint, endpoint.parameter(named: name) == nil {
                    return "invalid configuration ID '\(name)'"
                }
            }
            return nil
        case "pve-node":
            return Self.matches(value, hostLabel: true) ? nil : "value does not look like a valid node name"
        case "pve-vmid":
            guard Self.isInteger(value), let id = Int(value), (100...999_999_999).contains(id) else {
                return "value does not look like a valid VM ID"
            }
            return nil
        case "pve-storage-id":
            return Self.isIdentifier(value, allowed: "-_.", lastAlnum: true) ? nil : "storage ID '\(value)' contains illegal characters"
        case "pve-configid":
            return Self.isIdentifier(value, allowed: "-_", lastAlnum: false) && value.count > 1
                ? nil : "invalid configuration ID '\(value)'"
        case "pve-poolid":
            return !value.isEmpty && value.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") })
                ? nil : "invalid pool ID '\(value)'"
        case "pve-bridge-id":
            return !value.isEmpty && value.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) })
                ? nil : "invalid bridge ID '\(value)'"
        case "pve-iface":
            return value.count >= 2 && value.count <= 20 && Self.isIdentifier(value, allowed: "-_.", lastAlnum: false)
                ? nil : "invalid network interface name '\(value)'"
        case "mac-addr":
            return Self.isMAC(value) ? nil : "value does not look like a valid MAC address"
        case "ipv4":
            return Self.isIPv4(value) ? nil : "value does not look like a valid IPv4 address"
        case "ipv6":
            return Self.isIPv6(value) ? nil : "value does not look like a valid IPv6 address"
        case "ip":
            return Self.isIPv4(value) || Self.isIPv6(value) ? nil : "value does not look like a valid IP address"
        case "CIDR", "IPorCIDR":
            let parts = value.split(separator: "/", omittingEmptySubsequences: false)
            let address = String(parts[0])
            let v4 = Self.isIPv4(address), v6 = Self.isIPv6(address)
            if parts.count == 1, format == "IPorCIDR", v4 || v6 { return nil }
            guard parts.count == 2, v4 || v6, let bits = Int(parts[1]), bits >= 0, bits <= (v4 ? 32 : 128) else {
                return "value does not look like a valid CIDR network"
            }
            return nil
        case "pve-userid":
            let parts = value.split(separator: "@", omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, parts[0].count <= 64,
                  Self.isIdentifier(String(parts[1]), allowed: "-_.", lastAlnum: false) else {
                return "value '\(value)' does not look like a valid user name"
            }
            return nil
        case "pve-realm":
            return Self.isIdentifier(value, allowed: "-_.", lastAlnum: false) ? nil : "value '\(value)' does not look like a valid realm name"
        case "disk-size":
            return Self.isDiskSize(value) ? nil : "unable to parse size '\(value)'"
        default:
            return nil
        }
    }

    static let knownFormats: Set<String> = [
        "pve-node", "pve-vmid", "pve-storage-id", "pve-configid", "pve-poolid", "pve-bridge-id", "pve-iface",
        "mac-addr", "ipv4", "ipv6", "ip", "CIDR", "IPorCIDR", "pve-userid", "pve-realm", "disk-size",
    ]

    /// PVE splits list formats on commas, semicolons and whitespace.
    static func splitList(_ value: String) -> [String] {
        value.split(whereSeparator: { $0 == "," || $0 == ";" || $0 == " " || $0 == "\t" || $0 == "\0" }).map(String.init)
    }

    private static func isAlnum(_ c: Character) -> Bool { c.isASCII && (c.isLetter || c.isNumber) }

    /// A letter, then letters, digits and `allowed`; optionally ending in a letter or digit.
    static func isIdentifier(_ value: String, allowed: String, lastAlnum: Bool) -> Bool {
        guard let first = value.first, first.isASCII, first.isLetter else { return false }
        guard value.allSatisfy({ isAlnum($0) || allowed.contains($0) }) else { return false }
        return !lastAlnum || value.last.map(isAlnum) == true
    }

    /// Host-name label: letters, digits and inner dashes.
    static func matches(_ value: String, hostLabel: Bool) -> Bool {
        guard let first = value.first, let last = value.last, isAlnum(first), isAlnum(last) else { return false }
        return value.allSatisfy { isAlnum($0) || $0 == "-" }
    }

    static func isMAC(_ value: String) -> Bool {
        let parts = value.split(separator: ":", omittingEmptySubsequences: false)
        return parts.count == 6 && parts.allSatisfy { $0.count == 2 && $0.allSatisfy(\.isHexDigit) }
    }

    static func isIPv4(_ value: String) -> Bool {
        let parts = value.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { p in
            !p.isEmpty && p.count <= 3 && p.allSatisfy({ $0.isASCII && $0.isNumber }) && (Int(p) ?? 256) <= 255
        }
    }

    static func isIPv6(_ value: String) -> Bool {
        guard value.contains(":"), value.count <= 45 else { return false }
        var text = Substring(value)
        var groupsNeeded = 8
        if let lastColon = text.lastIndex(of: ":"), text[text.index(after: lastColon)...].contains(".") {
            guard isIPv4(String(text[text.index(after: lastColon)...])) else { return false }
            text = text[...lastColon] + "0"
            groupsNeeded = 7
        }
        let halves = text.components(separatedBy: "::")
        guard halves.count <= 2 else { return false }
        let groups = halves.map { $0.isEmpty ? [] : $0.split(separator: ":", omittingEmptySubsequences: false) }
        let all = groups.flatMap { $0 }
        guard all.allSatisfy({ !$0.isEmpty && $0.count <= 4 && $0.allSatisfy(\.isHexDigit) }) else { return false }
        return halves.count == 2 ? all.count < groupsNeeded : all.count == groupsNeeded
    }

    /// `32`, `32G`, `1.5T`, `512M`, `4096K`.
    static func isDiskSize(_ value: String) -> Bool {
        var number = Substring(value)
        if let last = number.last, "KMGT".contains(last) { number = number.dropLast() }
        return !number.hasPrefix("+") && !number.hasPrefix("-") && !number.contains("e") && !number.contains("E")
            && isNumber(String(number))
    }
}

/// A property string that could not be parsed; `message` is PVE's wording.
public struct PropertyStringError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public var description: String { message }
    init(_ message: String) { self.message = message }
}

private extension Substring {
    func components(separatedBy separator: String) -> [Substring] {
        var result: [Substring] = []
        var rest = self[...]
        while let range = rest.firstRange(of: separator) {
            result.append(rest[..<range.lowerBound])
            rest = rest[range.upperBound...]
        }
        result.append(rest)
        return result
    }
}
