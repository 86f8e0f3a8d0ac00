import Testing
import ProxmoxAPI
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
        let schema = APISchema.official
        let refs = Self.specs.flatMap(\.flags).compactMap(\.apiParameter)
        #expect(!refs.isEmpty)
        func exists(_ ref: APIParameterRef) -> Bool {
            schema.endpoint(method: ref.method, template: ref.path)?.parameter(named: ref.parameter) != nil
        }
        for ref in refs {
            #expect(exists(ref), "\(ref.method) \(ref.path) has no parameter \(ref.parameter)")
        }
        // The check can fail: a misspelt parameter is not found.
        #expect(!exists(APIParameterRef("POST", "/nodes/{node}/qemu/{vmid}/status/shutdown", "forcestop")))
    }
}
