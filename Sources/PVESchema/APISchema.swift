/// The PVE API schema: every endpoint (method + path template) with its parameters.
///
/// `APISchema.official` is the committed subset of the PVE 9.1 schema (see `scripts/gen-schema.py`),
/// parsed once on first use. Lookups never touch the network and never allocate per call beyond
/// the returned values.
public final class APISchema: Sendable {
    /// The official PVE 9.1 schema, parsed lazily on first use.
    public static let official: APISchema = {
        do {
            return try APISchema(json: try JSON.parse(SchemaData.json))
        } catch {
            // The data is generated and covered by tests; an empty schema keeps callers alive.
            return APISchema(endpoints: [])
        }
    }()

    /// Every endpoint in schema order.
    public let endpoints: [Endpoint]
    private let byKey: [String: Endpoint]
    private let root: PathNode

    /// Builds a schema from the compact JSON that `gen-schema.py` writes.
    public convenience init(json: JSON) throws(SchemaError) {
        var formatList: [PropertyFormat] = []
        for item in json["formats"]?.array ?? [] { formatList.append(try PropertyFormat(json: item)) }
        guard let list = json["endpoints"]?.array else { throw SchemaError("schema has no 'endpoints' list") }
        var endpoints: [Endpoint] = []
        endpoints.reserveCapacity(list.count)
        for item in list { endpoints.append(try Endpoint(json: item, formats: formatList)) }
        self.init(endpoints: endpoints)
    }

    public init(endpoints: [Endpoint]) {
        self.endpoints = endpoints
        var byKey: [String: Endpoint] = [:]
        let builder = PathNode.Builder()
        for endpoint in endpoints {
            byKey[endpoint.method + " " + endpoint.path] = endpoint
            builder.insert(endpoint)
        }
        self.byKey = byKey
        self.root = builder.build()
    }

    /// The endpoint for a method and a path *template* (`/nodes/{node}/qemu`).
    public func endpoint(method: String, template: String) -> Endpoint? {
        byKey[method.uppercased() + " " + template]
    }

    /// Matches a concrete path (`/nodes/pve1/qemu/100/status/start`, segments may be
    /// percent-encoded) against the templates. Literal segments win over `{param}` segments,
    /// as in pveproxy. Nil when no template has that shape or it lacks that method.
    public func match(method: String, path: String) -> Match? {
        guard let (node, params) = root.lookup(path) else { return nil }
        guard let endpoint = node.methods[method.uppercased()] else { return nil }
        return Match(endpoint: endpoint, pathParameters: params)
    }

    /// Methods available at a concrete path (empty when the path is not in the schema).
    public func methods(at path: String) -> [String] {
        guard let (node, _) = root.lookup(path) else { return [] }
        return node.methods.keys.sorted()
    }

    /// Allowed values of an enum parameter (or of the default key of a property string such as
    /// `memory`), for TAB completion. `name` may be concrete (`net0`) or templated (`net[n]`).
    public func enumValues(method: String, template: String, parameter name: String) -> [String] {
        guard let spec = endpoint(method: method, template: template)?.parameter(named: name) else { return [] }
        if let values = spec.enumValues { return values }
        if let key = spec.propertyFormat?.defaultKey, let values = spec.propertyFormat?.keys[key]?.enumValues { return values }
        return []
    }
}

/// A schema lookup that found an endpoint.
public struct Match: Sendable {
    public let endpoint: Endpoint
    /// Decoded values of the template's `{param}` segments.
    public let pathParameters: [String: String]
}

/// The schema data could not be read.
public struct SchemaError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// One API method at one path.
public struct Endpoint: Sendable {
    public let method: String
    /// Template such as `/nodes/{node}/qemu/{vmid}/config`.
    public let path: String
    /// Parameters by schema name (indexed ones as `net[n]`).
    public let parameters: [String: ParameterSpec]
    /// Whether the schema accepts parameters it does not list (one PVE endpoint does).
    public let additionalProperties: Bool
    /// PVE marks state-changing endpoints that run in the privileged daemon as protected.
    public let isProtected: Bool
    /// False for the few endpoints that refuse API tokens.
    public let allowsToken: Bool

    public init(method: String, path: String, parameters: [String: ParameterSpec], additionalProperties: Bool = false,
                isProtected: Bool = false, allowsToken: Bool = true) {
        self.method = method
        self.path = path
        self.parameters = parameters
        self.additionalProperties = additionalProperties
        self.isProtected = isProtected
        self.allowsToken = allowsToken
    }

    init(json: JSON, formats: [PropertyFormat]) throws(SchemaError) {
        guard let method = json["method"]?.string, let path = json["path"]?.string else {
            throw SchemaError("endpoint without method or path")
        }
        var parameters: [String: ParameterSpec] = [:]
        for (name, value) in json["params"]?.object ?? [] {
            parameters[name] = try ParameterSpec(name: name, json: value, formats: formats)
        }
        self.init(method: method, path: path, parameters: parameters,
                  additionalProperties: json["additionalProperties"]?.bool ?? false,
                  isProtected: json["protected"]?.bool ?? false,
                  allowsToken: json["allowtoken"]?.bool ?? true)
    }

    /// Names of the `{param}` segments of the path, in order.
    public var pathParameterNames: [String] {
        path.split(separator: "/").compactMap { seg in
            seg.hasPrefix("{") && seg.hasSuffix("}") ? String(seg.dropFirst().dropLast()) : nil
        }
    }

    /// Parameter spec for a concrete name: `net0` resolves to `net[n]` when 0 is within range.
    public func parameter(named name: String) -> ParameterSpec? {
        if let spec = parameters[name] { return spec }
        guard let (base, index) = ParameterSpec.splitIndexed(name),
              let spec = parameters[base + "[n]"], let max = spec.indexMax, index <= max else { return nil }
        return spec
    }

    /// Parameters sorted by name, path parameters first (for help and completion).
    public var sortedParameters: [ParameterSpec] {
        let pathNames = Set(pathParameterNames)
        return parameters.values.sorted { a, b in
            let pa = pathNames.contains(a.name), pb = pathNames.contains(b.name)
            return pa != pb ? pa : a.name < b.name
        }
    }
}

/// The JSON-schema type of a parameter or property-string key.
public enum ParameterType: String, Sendable {
    case string, integer, number, boolean, array, object, null, any
}

/// One parameter as the schema describes it.
public struct ParameterSpec: Sendable {
    /// Schema name: `node`, `memory`, `net[n]`.
    public let name: String
    public let type: ParameterType
    public let optional: Bool
    public let enumValues: [String]?
    public let minimum: Double?
    public let maximum: Double?
    public let pattern: String?
    /// A registered PVE format (`pve-node`, `pve-configid-list`, ...).
    public let format: String?
    /// A property-string format (`net[n]`, `scsi[n]`, `memory`, ...).
    public let propertyFormat: PropertyFormat?
    public let maxLength: Int?
    public let minLength: Int?
    public let defaultValue: JSON?
    public let typeText: String?
    public let formatDescription: String?
    /// Another parameter this one needs (`checksum` requires `checksum-algorithm`).
    public let requires: String?
    /// Highest index of an indexed parameter (`net[n]` → 31).
    public let indexMax: Int?
    /// Element type of array parameters.
    public var items: ParameterSpec? { itemsBox?.spec }
    private let itemsBox: Box?

    final class Box: Sendable {
        let spec: ParameterSpec
        init(_ spec: ParameterSpec) { self.spec = spec }
    }

    public init(name: String, type: ParameterType, optional: Bool = true, enumValues: [String]? = nil,
                minimum: Double? = nil, maximum: Double? = nil, pattern: String? = nil, format: String? = nil,
                propertyFormat: PropertyFormat? = nil, maxLength: Int? = nil, minLength: Int? = nil,
                defaultValue: JSON? = nil, typeText: String? = nil, formatDescription: String? = nil,
                requires: String? = nil, indexMax: Int? = nil, items: ParameterSpec? = nil) {
        self.name = name
        self.type = type
        self.optional = optional
        self.enumValues = enumValues
        self.minimum = minimum
        self.maximum = maximum
        self.pattern = pattern
        self.format = format
        self.propertyFormat = propertyFormat
        self.maxLength = maxLength
        self.minLength = minLength
        self.defaultValue = defaultValue
        self.typeText = typeText
        self.formatDescription = formatDescription
        self.requires = requires
        self.indexMax = indexMax
        self.itemsBox = items.map(Box.init)
    }

    init(name: String, json: JSON, formats: [PropertyFormat]) throws(SchemaError) {
        var propertyFormat: PropertyFormat?
        if let index = json["propfmt"]?.int {
            guard formats.indices.contains(Int(index)) else { throw SchemaError("\(name): no property format #\(index)") }
            propertyFormat = formats[Int(index)]
        }
        let items: ParameterSpec? = try json["items"].map { j throws(SchemaError) in try ParameterSpec(name: name, json: j, formats: formats) }
        self.init(name: name,
                  type: ParameterType(rawValue: json["type"]?.string ?? "any") ?? .any,
                  optional: json["optional"]?.bool ?? false,
                  enumValues: json["enum"]?.array?.compactMap(\.string),
                  minimum: json["minimum"]?.double, maximum: json["maximum"]?.double,
                  pattern: json["pattern"]?.string, format: json["format"]?.string,
                  propertyFormat: propertyFormat,
                  maxLength: json["maxLength"]?.int.map(Int.init), minLength: json["minLength"]?.int.map(Int.init),
                  defaultValue: json["default"], typeText: json["typetext"]?.string,
                  formatDescription: json["format_description"]?.string, requires: json["requires"]?.string,
                  indexMax: json["index_max"]?.int.map(Int.init), items: items)
    }

    /// `net12` → (`net`, 12); nil for names without a plain decimal suffix (`net01` included).
    static func splitIndexed(_ name: String) -> (String, Int)? {
        let utf8 = Array(name.utf8)
        var i = utf8.count
        while i > 0, utf8[i - 1] >= 0x30, utf8[i - 1] <= 0x39 { i -= 1 }
        guard i > 0, i < utf8.count, !(utf8[i] == 0x30 && utf8.count - i > 1),
              let index = Int(String(decoding: utf8[i...], as: UTF8.self)) else { return nil }
        return (String(decoding: utf8[..<i], as: UTF8.self), index)
    }
}

/// A property-string format: `net0: virtio=AA:BB:..,bridge=vmbr0,firewall=1`.
public struct PropertyFormat: Sendable {
    public let keys: [String: PropertyKey]
    /// The key a value without `key=` belongs to (`model` for `net[n]`, `file` for disks).
    public let defaultKey: String?

    public init(keys: [String: PropertyKey]) {
        self.keys = keys
        self.defaultKey = keys.values.filter(\.isDefaultKey).map(\.name).min()
    }

    init(json: JSON) throws(SchemaError) {
        guard let object = json.object else { throw SchemaError("property format is not an object") }
        var keys: [String: PropertyKey] = [:]
        for (name, spec) in object { keys[name] = PropertyKey(name: name, json: spec) }
        self.init(keys: keys)
    }
}

/// One key of a property string.
public struct PropertyKey: Sendable {
    public let name: String
    public let type: ParameterType
    public let optional: Bool
    public let enumValues: [String]?
    public let minimum: Double?
    public let maximum: Double?
    public let pattern: String?
    public let format: String?
    public let maxLength: Int?
    public let minLength: Int?
    public let defaultValue: JSON?
    public let formatDescription: String?
    public let isDefaultKey: Bool
    /// This key is another spelling of `alias` (`e1000=MAC` means `macaddr=MAC`)...
    public let alias: String?
    /// ...and its own name is stored as the value of `keyAlias` (`model=e1000`).
    public let keyAlias: String?

    public init(name: String, type: ParameterType = .string, optional: Bool = true, enumValues: [String]? = nil,
                minimum: Double? = nil, maximum: Double? = nil, pattern: String? = nil, format: String? = nil,
                maxLength: Int? = nil, minLength: Int? = nil, defaultValue: JSON? = nil, formatDescription: String? = nil,
                isDefaultKey: Bool = false, alias: String? = nil, keyAlias: String? = nil) {
        self.name = name
        self.type = type
        self.optional = optional
        self.enumValues = enumValues
        self.minimum = minimum
        self.maximum = maximum
        self.pattern = pattern
        self.format = format
        self.maxLength = maxLength
        self.minLength = minLength
        self.defaultValue = defaultValue
        self.formatDescription = formatDescription
        self.isDefaultKey = isDefaultKey
        self.alias = alias
        self.keyAlias = keyAlias
    }

    init(name: String, json: JSON) {
        self.init(name: name, type: ParameterType(rawValue: json["type"]?.string ?? "string") ?? .string,
                  optional: json["optional"]?.bool ?? (json["alias"] != nil),
                  enumValues: json["enum"]?.array?.compactMap(\.string),
                  minimum: json["minimum"]?.double, maximum: json["maximum"]?.double,
                  pattern: json["pattern"]?.string, format: json["format"]?.string,
                  maxLength: json["maxLength"]?.int.map(Int.init), minLength: json["minLength"]?.int.map(Int.init),
                  defaultValue: json["default"], formatDescription: json["format_description"]?.string,
                  isDefaultKey: json["default_key"]?.bool ?? false,
                  alias: json["alias"]?.string, keyAlias: json["keyAlias"]?.string)
    }
}

// MARK: - Path matching

/// A tree of path segments; each node has literal children and at most one `{param}` child.
final class PathNode: Sendable {
    let literals: [String: PathNode]
    let variable: (name: String, node: PathNode)?
    let methods: [String: Endpoint]

    init(literals: [String: PathNode], variable: (name: String, node: PathNode)?, methods: [String: Endpoint]) {
        self.literals = literals
        self.variable = variable
        self.methods = methods
    }

    /// Mutable while the schema is built, then frozen into `PathNode`s.
    final class Builder {
        var literals: [String: Builder] = [:]
        var variable: (name: String, node: Builder)?
        var methods: [String: Endpoint] = [:]

        func insert(_ endpoint: Endpoint) {
            var node = self
            for segment in endpoint.path.split(separator: "/") {
                if segment.hasPrefix("{"), segment.hasSuffix("}") {
                    if let existing = node.variable {
                        node = existing.node
                    } else {
                        let next = Builder()
                        node.variable = (String(segment.dropFirst().dropLast()), next)
                        node = next
                    }
                } else {
                    let key = String(segment)
                    if let next = node.literals[key] { node = next } else {
                        let next = Builder()
                        node.literals[key] = next
                        node = next
                    }
                }
            }
            node.methods[endpoint.method] = endpoint
        }

        func build() -> PathNode {
            PathNode(literals: literals.mapValues { $0.build() },
                     variable: variable.map { ($0.name, $0.node.build()) }, methods: methods)
        }
    }

    /// Walks a concrete path; literal segments are preferred, with backtracking to `{param}`.
    func lookup(_ path: String) -> (PathNode, [String: String])? {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        var params: [String: String] = [:]
        guard let node = walk(segments[...], &params) else { return nil }
        return (node, params)
    }

    private func walk(_ segments: ArraySlice<String>, _ params: inout [String: String]) -> PathNode? {
        guard let first = segments.first else { return methods.isEmpty && literals.isEmpty && variable == nil ? nil : self }
        if let next = literals[first], let found = next.walk(segments.dropFirst(), &params) { return found }
        if let (name, next) = variable, let value = PercentDecoding.decode(first), !value.isEmpty {
            params[name] = value
            if let found = next.walk(segments.dropFirst(), &params) { return found }
            params[name] = nil
        }
        return nil
    }
}

/// `%XX` decoding of URL path segments and form fields.
public enum PercentDecoding {
    /// Decodes `%XX` escapes (and `+` as space when `plusAsSpace`); nil on a malformed escape or invalid UTF-8.
    public static func decode<S: StringProtocol>(_ text: S, plusAsSpace: Bool = false) -> String? {
        let utf8 = text.utf8
        if !utf8.contains(where: { $0 == 0x25 || (plusAsSpace && $0 == 0x2B) }) { return String(text) }
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count)
        var it = utf8.makeIterator()
        while let c = it.next() {
            if c == 0x2B, plusAsSpace { out.append(0x20); continue }
            guard c == 0x25 else { out.append(c); continue }
            guard let h = it.next().flatMap(HexDigit.value), let l = it.next().flatMap(HexDigit.value) else { return nil }
            out.append(h << 4 | l)
        }
        return String(validating: out, as: UTF8.self)
    }

}
