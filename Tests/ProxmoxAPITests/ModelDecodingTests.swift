import Testing
import PVESchema
@testable import ProxmoxAPI

@Suite("Lenient model decoding")
struct ModelDecodingTests {
    /// Real PVE sends LXC vmids as strings, "" for absent template, 0/1 for booleans.
    static let resourcesJSON = """
    {"data":[
      {"id":"qemu/100","type":"qemu","node":"pve1","vmid":100,"name":"web01","status":"running","template":0,
       "tags":"web;prod","cpu":0.031,"maxcpu":2,"mem":1073741824,"maxmem":2147483648,"disk":0,"maxdisk":34359738368,
       "uptime":3600,"pool":"prod","hastate":"started","lock":""},
      {"id":"lxc/200","type":"lxc","node":"pve2","vmid":"200","name":"dns","status":"stopped","template":"",
       "tags":"infra,dns  core","maxmem":"536870912","unknownfield":{"x":1}},
      {"id":"qemu/9000","type":"qemu","node":"pve1","vmid":9000,"name":"tmpl","template":1,"status":"stopped"},
      {"id":"node/pve1","type":"node","node":"pve1","status":"online","cpu":"0.5","maxcpu":8,"uptime":"12345"},
      {"id":"storage/pve1/local","type":"storage","node":"pve1","storage":"local","plugintype":"dir",
       "content":"iso,vztmpl,backup","shared":0,"status":"available","disk":100,"maxdisk":1000},
      {"id":"storage/pve1/nfs","type":"storage","node":"pve1","storage":"nfs","plugintype":"nfs","content":"images","shared":"1"},
      {"id":"pool/prod","type":"pool","pool":"prod"},
      {"type":"sdn","sdn":"zone1","node":"pve1"},
      {"bogus":true},
      "not an object"
    ]}
    """

    func decodeRows() throws -> [ClusterResource] {
        let data = try PVEClient.decodeData(Array(Self.resourcesJSON.utf8), request: APIRequest(.get, "/cluster/resources"))
        return try #require(data.array).compactMap(ClusterResource.init)
    }

    @Test func guestsDecodeFromOddShapes() throws {
        let rows = try decodeRows()
        let vm = try #require(rows.first { $0.id == "qemu/100" })
        #expect(vm.vmid == 100 && vm.name == "web01" && vm.status == "running" && !vm.template)
        #expect(vm.tags == ["web", "prod"])
        #expect(vm.maxmem == 2_147_483_648 && vm.maxcpu == 2 && vm.uptime == 3600 && vm.pool == "prod")
        #expect(vm.lock == nil, "an empty lock means unlocked")
        #expect(vm.hastate == "started" && vm.isGuest)

        let ct = try #require(rows.first { $0.id == "lxc/200" })
        #expect(ct.vmid == 200, "string vmid")
        #expect(ct.template == false, "\"\" template")
        #expect(ct.tags == ["infra", "dns", "core"])
        #expect(ct.maxmem == 536_870_912, "number as string")
        #expect(ct.raw["unknownfield"]?["x"]?.int == 1, "unknown fields are kept in raw")

        #expect(rows.first { $0.id == "qemu/9000" }?.template == true)
    }

    @Test func nodesStoragesPoolsDecode() throws {
        let rows = try decodeRows()
        let node = try #require(rows.first { $0.type == "node" })
        #expect(node.cpu == 0.5 && node.uptime == 12345 && node.status == "online")
        let local = try #require(rows.first { $0.id == "storage/pve1/local" })
        #expect(local.content == ["iso", "vztmpl", "backup"] && local.shared == false && local.plugintype == "dir")
        #expect(rows.first { $0.id == "storage/pve1/nfs" }?.shared == true, "\"1\" is true")
        #expect(rows.first { $0.type == "pool" }?.pool == "prod")
        #expect(rows.first { $0.type == "sdn" }?.id == "sdn/pve1/zone1", "id synthesised as PVE writes it when missing")
        #expect(rows.count == 8, "rows without a type are skipped, not fatal")
    }

    @Test func guestsAndSnapshotReadTheSameRows() throws {
        let rows = try decodeRows()
        let snapshot = ClusterSnapshot(rows)
        #expect(snapshot.guests.map(\.vmid) == [100, 200, 9000])
        let ct = try #require(snapshot.guests.first { $0.vmid == 200 })
        #expect(ct.kind == .container && ct.apiPath == "/nodes/pve2/lxc/200", "string vmid of an LXC row")
        #expect(ct.label == "ct 200 (dns) on pve2" && !ct.template && ct.tags == ["infra", "dns", "core"])
        let vm = try #require(snapshot.guests.first { $0.vmid == 100 })
        #expect(vm.kind == .vm && vm.pool == "prod" && vm.status == "running" && vm.raw["hastate"] == "started")
        #expect(snapshot.guests.first { $0.vmid == 9000 }?.template == true)
        #expect(snapshot.nodeNames == ["pve1"] && snapshot.storageIDs == ["local", "nfs"] && snapshot.pools == ["prod"])
        #expect(snapshot.tags == ["core", "dns", "infra", "prod", "web"])

        let unnamed = try #require(ClusterResource(["type": "qemu", "vmid": "7", "node": "pve3"]))
        #expect(Guest(unnamed)?.label == "vm 7 on pve3" && Guest(unnamed)?.status == "unknown", "missing fields have defaults")
        #expect(ClusterResource(["type": "qemu", "vmid": 8]).flatMap(Guest.init) == nil, "a guest row without a node is not a guest")
        #expect(rows.first { $0.type == "node" }.flatMap(Guest.init) == nil)
        #expect(ClusterSnapshot(resources: ["not", "rows"]).guests.isEmpty && ClusterSnapshot(resources: .null).nodes.isEmpty)
    }

    /// Resources read in place from an indexed answer (how the shell reads `/cluster/resources`)
    /// equal those decoded from the parsed answer, odd shapes, escapes and all; only `raw` is
    /// decoded on demand.
    @Test func resourcesReadFromTheIndexEqualTheDecodedOnes() throws {
        let extra = #"""
            {"data":[
              {"type":"qemu","vmid":101,"node":"pve1","name":"caf\u00e9 \"one\"","tags":"a\u003bb","vmid":999,"cpu":1e-2},
              {"type":"lxc","vmid":"-5","node":"pve2","status":null,"mem":12345678901234567890,"uptime":1.5,"lock":"backup"},
              {"type":"qemu","vmid":102,"node":"pve1","name":"","template":true,"pool":"","shared":"0"},
              {"type":"","vmid":103,"node":"pve1"},
              {"type":"storage","storage":"local","content":["iso"]},
              []
            ]}
            """#
        for text in [Self.resourcesJSON, extra] {
            let decoded = try #require(try JSON.parse(text)["data"]).array?.compactMap(ClusterResource.init)
            let rows = try JSONRows(parsing: Array(text.utf8), member: "data", keys: ClusterResource.indexedKeys)
            let indexed = Array(ClusterResource.list(rows))
            #expect(indexed == decoded)
            #expect(indexed.map(\.raw) == decoded?.map(\.raw))
            let fromRows = ClusterSnapshot(resources: rows), fromJSON = ClusterSnapshot(resources: try JSON.parse(text)["data"] ?? .null)
            #expect(fromRows.guests == fromJSON.guests && fromRows.nodes == fromJSON.nodes && fromRows.storages == fromJSON.storages)
            #expect(fromRows.pools == fromJSON.pools)
        }
        let rows = try JSONRows(parsing: Array(extra.utf8), member: "data", keys: ClusterResource.indexedKeys)
        let first = try #require(Array(ClusterResource.list(rows)).first)
        #expect(first.vmid == 101 && first.name == "café \"one\"", "a repeated key keeps its first value; escapes decoded")
        #expect(first.tags == ["a", "b"] && first.cpu == 0.01)
    }

    /// Each modelled field is found by its own key, and by no other.
    @Test func everyFieldIsFoundByItsKey() {
        for field in ClusterResource.Field.allCases { #expect(ClusterResource.Field(key: field.key) == field, "\(field)") }
        #expect(Set(ClusterResource.indexedKeys).count == ClusterResource.Field.allCases.count)
        for other in ["", "types", "nodes", "maxswap", "cpus", "x", "netin", "diskread"] { #expect(ClusterResource.Field(key: other) == nil) }
    }

    /// PVE lists guests in Perl hash order; the snapshot keeps them by vmid (and pools by name).
    @Test func guestsAndPoolsAreKeptInOrderWhateverTheServersOrder() {
        let rows: JSON = [
            ["type": "lxc", "vmid": 300, "node": "pve1", "name": "c"], ["type": "pool", "pool": "zeta"],
            ["type": "qemu", "vmid": 20, "node": "pve2", "name": "b"], ["type": "pool", "pool": "alpha"],
            ["type": "qemu", "vmid": 1000, "node": "pve1", "name": "d"], ["type": "qemu", "vmid": 101, "node": "pve1", "name": "a"],
        ]
        let snapshot = ClusterSnapshot(resources: rows)
        #expect(snapshot.guests.map(\.vmid) == [20, 101, 300, 1000])
        #expect(snapshot.pools == ["alpha", "zeta"])
    }

    @Test func nextIDAsString() throws {
        let data = try PVEClient.decodeData(Array(#"{"data":"105"}"#.utf8), request: APIRequest(.get, "/cluster/nextid"))
        #expect(data.int == 105)
    }

    @Test func invalidJSONIsADecodingError() {
        #expect {
            _ = try PVEClient.decodeData(Array("<html>proxy error</html>".utf8), request: APIRequest(.get, "/version"))
        } throws: { error in
            guard let error = error as? APIError else { return false }
            return error.kind == .decoding && error.message.contains("GET /version") && error.message.contains("<html>")
        }
    }

    @Test func taskStatusAndLog() throws {
        let ok = try #require(TaskStatus(["status": "stopped", "exitstatus": "OK", "type": "qmstart"]))
        #expect(ok.succeeded && !ok.isRunning && ok.warningCount == nil)
        let warned = try #require(TaskStatus(["status": "stopped", "exitstatus": "WARNINGS: 3"]))
        #expect(warned.succeeded && warned.warningCount == 3)
        let failed = try #require(TaskStatus(["status": "stopped", "exitstatus": "command 'qm start' failed: exit code 1"]))
        #expect(!failed.succeeded)
        let running = try #require(TaskStatus(["status": "running"]))
        #expect(running.isRunning && !running.succeeded)
        #expect(TaskStatus(["exitstatus": "OK"]) == nil)
        #expect(TaskLogLine(["n": "7", "t": "progress 50%"]) == TaskLogLine(number: 7, text: "progress 50%"))
        #expect(TaskLogLine(["t": "no number"]) == nil)
    }

    @Test func nodeStatusMinimal() {
        let status = NodeStatus(["uptime": 100, "cpu": 0.25, "cpuinfo": ["cpus": 16], "memory": ["used": "1024", "total": 4096],
                                 "pveversion": "pve-manager/9.1.1", "loadavg": ["0.10", "0.20", "0.30"]])
        #expect(status.cpus == 16 && status.memoryUsed == 1024 && status.memoryTotal == 4096)
        #expect(status.loadAverage == [0.1, 0.2, 0.3] && status.pveVersion == "pve-manager/9.1.1")
    }
}
