import Testing
@testable import PVESchema

/// Lookups in the committed PVE 9.1 schema subset.
@Suite struct APISchemaTests {
    let schema = APISchema.official

    @Test func holdsEveryOfficialEndpoint() {
        #expect(schema.endpoints.count == 649)
        let methods = Dictionary(grouping: schema.endpoints, by: \.method).mapValues(\.count)
        #expect(methods == ["GET": 327, "POST": 169, "PUT": 79, "DELETE": 74])
    }

    @Test(arguments: [
        ("GET", "/nodes/pve1/qemu/100/config", "/nodes/{node}/qemu/{vmid}/config", ["node": "pve1", "vmid": "100"]),
        ("POST", "/nodes/pve2/lxc/200/status/start", "/nodes/{node}/lxc/{vmid}/status/start", ["node": "pve2", "vmid": "200"]),
        ("GET", "/cluster/resources", "/cluster/resources", [:]),
        ("GET", "/cluster/nextid", "/cluster/nextid", [:]),
        ("GET", "/version", "/version", [:]),
        ("DELETE", "/nodes/pve1/storage/local/content/local%3Aiso%2Fdebian.iso", "/nodes/{node}/storage/{storage}/content/{volume}",
         ["node": "pve1", "storage": "local", "volume": "local:iso/debian.iso"]),
        ("GET", "/nodes/pve1/tasks/UPID%3Apve1%3A0000%3Aqmstart%3A/status", "/nodes/{node}/tasks/{upid}/status",
         ["node": "pve1", "upid": "UPID:pve1:0000:qmstart:"]),
        ("POST", "/nodes/pve1/storage/local/upload", "/nodes/{node}/storage/{storage}/upload", ["node": "pve1", "storage": "local"]),
        ("get", "/nodes/pve1/qemu/", "/nodes/{node}/qemu", ["node": "pve1"]),
    ])
    func matchesConcretePaths(method: String, path: String, template: String, params: [String: String]) throws {
        let match = try #require(schema.match(method: method, path: path))
        #expect(match.endpoint.path == template)
        #expect(match.pathParameters == params)
    }

    @Test(arguments: [
        ("GET", "/nodes/pve1/frobnicate"),
        ("DELETE", "/version"),
        ("GET", "/"),
        ("GET", "/nodes/pve1/qemu/100/config/extra"),
        ("GET", "/nodes/pve1/storage/local/content/bad%zzescape"),
    ])
    func unknownPathsOrMethodsDoNotMatch(method: String, path: String) {
        #expect(schema.match(method: method, path: path) == nil)
    }

    @Test func literalSegmentsWinOverParameters() throws {
        // `/access/users/{userid}/token` vs `/access/users/{userid}/tfa`, `/cluster/ha/resources` vs `{sid}`.
        let match = try #require(schema.match(method: "GET", path: "/cluster/ha/resources/vm%3A100"))
        #expect(match.endpoint.path == "/cluster/ha/resources/{sid}")
        #expect(try #require(schema.match(method: "GET", path: "/cluster/ha/resources")).endpoint.path == "/cluster/ha/resources")
    }

    @Test func listsMethodsAtAPath() {
        #expect(schema.methods(at: "/nodes/pve1/qemu/100/config") == ["GET", "POST", "PUT"])
        #expect(schema.methods(at: "/nope").isEmpty)
    }

    @Test func enumValuesForCompletion() {
        let ostype = schema.enumValues(method: "POST", template: "/nodes/{node}/qemu", parameter: "ostype")
        #expect(ostype.contains("l26") && ostype.contains("win11"))
        // Property string: the default key's enum (net model).
        let models = schema.enumValues(method: "POST", template: "/nodes/{node}/qemu", parameter: "net3")
        #expect(models.contains("virtio") && models.contains("e1000"))
        #expect(schema.enumValues(method: "GET", template: "/version", parameter: "x").isEmpty)
    }

    @Test func indexedParametersResolveWithinTheirRange() throws {
        let endpoint = try #require(schema.endpoint(method: "PUT", template: "/nodes/{node}/qemu/{vmid}/config"))
        #expect(endpoint.parameter(named: "net0")?.name == "net[n]")
        #expect(endpoint.parameter(named: "net31")?.name == "net[n]")
        #expect(endpoint.parameter(named: "net32") == nil)
        #expect(endpoint.parameter(named: "scsi30") != nil)
        #expect(endpoint.parameter(named: "scsi31") == nil)
        #expect(endpoint.parameter(named: "ide3") != nil && endpoint.parameter(named: "ide4") == nil)
        #expect(endpoint.parameter(named: "net01") == nil)
        #expect(endpoint.parameter(named: "net") == nil)
        #expect(endpoint.pathParameterNames == ["node", "vmid"])
    }

    @Test func everySchemaPatternCompiles() throws {
        var failures: [String] = []
        for endpoint in schema.endpoints {
            for spec in endpoint.parameters.values {
                var patterns = [spec.pattern].compactMap { $0 }
                patterns += spec.propertyFormat?.keys.values.compactMap(\.pattern) ?? []
                for pattern in patterns where (try? Regex(pattern)) == nil {
                    failures.append("\(endpoint.method) \(endpoint.path) \(spec.name): \(pattern)")
                }
            }
        }
        #expect(failures.isEmpty, "\(failures)")
    }

    @Test func parsesLazilyOnceAndQuickly() {
        let clock = ContinuousClock()
        let elapsed = clock.measure { _ = APISchema.official.endpoints.count }
        #expect(elapsed < .seconds(2))
    }
}
