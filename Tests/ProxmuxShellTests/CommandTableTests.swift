#if canImport(Glibc)
import Glibc
#endif
import Testing
import PVESchema
@testable import ProxmuxShell

@Suite struct CommandTableTests {
    static let specs = CommandTable.standard().specs

    @Test func tableIsNotEmptyAndNamesAreUnique() {
        let names = Self.specs.flatMap { [$0.name] + $0.aliases }
        #expect(Self.specs.count >= 12)
        #expect(Set(names).count == names.count, "duplicate verb names or aliases")
    }

    @Test(arguments: specs.map(\.name))
    func everySpecIsDocumentedAndCompletable(_ name: String) throws {
        let spec = try #require(CommandTable.standard().spec(named: name))
        #expect(!spec.abstract.isEmpty)
        #expect(!spec.examples.isEmpty, "\(name) has no examples")
        for argument in spec.arguments {
            #expect(argument.completion != .none, "\(name) \(argument.name) has no completion source")
            #expect(!argument.help.isEmpty)
        }
        for flag in spec.flags { #expect(!flag.help.isEmpty) }
        if let variadic = spec.arguments.firstIndex(where: \.variadic) { #expect(variadic == spec.arguments.count - 1) }
    }

    @Test(arguments: specs.flatMap { spec in spec.examples.map { (spec.name, $0) } })
    func everyExampleParsesToItsOwnSpec(_ name: String, _ example: String) throws {
        let parsed = try CommandParser(table: .standard()).parse(example.split(separator: " ").map(String.init))
        #expect(parsed.spec.name == name)
    }

    /// Every flag that becomes an API parameter names a real parameter of that endpoint in the official schema.
    @Test func apiParametersExistInTheOfficialSchema() throws {
        let schema = try OfficialSchema.load()
        let refs = Self.specs.flatMap(\.flags).compactMap(\.apiParameter)
        #expect(!refs.isEmpty)
        for ref in refs {
            #expect(schema.hasParameter(ref.parameter, method: ref.method, path: ref.path), "\(ref.method) \(ref.path) has no parameter \(ref.parameter)")
        }
        #expect(!schema.hasParameter("forcestop", method: "POST", path: "/nodes/{node}/qemu/{vmid}/status/shutdown"))
    }
}

/// The official schema (apidoc.json) read directly; replaced by PVESchema's APISchema once that is on main.
struct OfficialSchema {
    let root: JSON

    static func load() throws -> OfficialSchema {
        let repo = String(#filePath.split(separator: "/").dropLast(3).joined(separator: "/"))
        let candidates = ["/\(repo)/Sources/PVESchema/Resources/apidoc.json", "/\(repo)/../../shared/pve-api/apidoc.json", "/work/shared/pve-api/apidoc.json"]
        for path in candidates {
            if let text = try? readFile(path) { return OfficialSchema(root: try JSON.parse(text)) }
        }
        throw ShellError("apidoc.json not found in \(candidates)")
    }

    func hasParameter(_ name: String, method: String, path: String) -> Bool {
        func find(_ nodes: [JSON]) -> JSON? {
            for node in nodes {
                if node["path"]?.string == path { return node }
                if let hit = find(node["children"]?.array ?? []) { return hit }
            }
            return nil
        }
        guard let node = find(root.array ?? []) else { return false }
        return node["info"]?[method]?["parameters"]?["properties"]?[name] != nil
    }
}

func readFile(_ path: String) throws -> String {
    guard let file = fopen(path, "r") else { throw ShellError("cannot open \(path)") }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = fread(&buffer, 1, buffer.count, file)
        if n <= 0 { break }
        bytes += buffer[0..<n]
    }
    return String(decoding: bytes, as: UTF8.self)
}
