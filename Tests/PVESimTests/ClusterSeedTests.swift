import PVESchema
import Testing

@testable import PVESim

@Suite struct ClusterSeedTests {
    let sim = TestCluster()

    @Test func containerListSendsVMIDAsStringAndEmptyTemplate() throws {
        let rows = try #require(try sim.call("GET", "/nodes/{node}/lxc", ["node": "pve1"]).array)
        let dns = try #require(rows.first { $0["name"]?.string == "dns01" })
        #expect(dns["vmid"] == .string("200"))
        #expect(dns["template"] == .string(""))
        #expect(dns["status"] == "running")
    }

    @Test func vmListSendsVMIDAsNumber() throws {
        let rows = try #require(try sim.call("GET", "/nodes/{node}/qemu", ["node": "pve1"]).array)
        #expect(rows.contains { $0["vmid"] == .int(100) && $0["name"] == "web01" })
        #expect(rows.contains { $0["vmid"] == .int(9000) && $0["template"] == .int(1) })
        #expect(!rows.contains { $0["vmid"] == .int(101) }, "web02 lives on pve2")
    }

    @Test func nextIDIsAStringAndRejectsTakenIDs() throws {
        #expect(try sim.call("GET", "/cluster/nextid") == .string("105"))
        let error = try #require(sim.failure("GET", "/cluster/nextid", ["vmid": "100"]))
        #expect(error.status == 400)
        #expect(error.errors["vmid"] == "VM 100 already exists")
    }

    @Test func clusterResourcesHaveRealRowShapes() throws {
        let rows = try #require(try sim.call("GET", "/cluster/resources").array)
        let ids = Set(rows.compactMap { $0["id"]?.string })
        for id in ["qemu/101", "lxc/200", "node/pve1", "storage/pve1/local", "storage/pve2/tank", "pool/prod"] {
            #expect(ids.contains(id), "missing \(id)")
        }
        #expect(!ids.contains("storage/pve3/tank"), "tank is not available on pve3")
        let web01 = try #require(rows.first { $0["id"] == "qemu/100" })
        #expect(web01["tags"] == "prod;web")
        #expect(web01["pool"] == "prod")
        #expect(web01["hastate"] == "started")
        #expect(web01["template"] == .int(0))
        #expect((web01["maxmem"]?.int ?? 0) == 2048 * 1_048_576)
        let vmsOnly = try #require(try sim.call("GET", "/cluster/resources", ["type": "vm"]).array)
        #expect(vmsOnly.allSatisfy { $0["type"] == "qemu" || $0["type"] == "lxc" })
        #expect(vmsOnly.count == SimSeed.vms.count + SimSeed.containers.count)
    }

    @Test func missingGuestGivesPVEMessage() throws {
        let error = try #require(sim.failure("GET", "/nodes/{node}/qemu/{vmid}/status/current", ["node": "pve1", "vmid": "999"]))
        #expect(error.status == 500)
        #expect(error.reason == "Configuration file 'nodes/pve1/qemu-server/999.conf' does not exist")
        // A guest on another node is just as missing on this one.
        let other = try #require(sim.failure("GET", "/nodes/{node}/qemu/{vmid}/config", ["node": "pve1", "vmid": "101"]))
        #expect(other.reason == "Configuration file 'nodes/pve1/qemu-server/101.conf' does not exist")
    }

    @Test func versionAndNodeStatus() throws {
        #expect(try sim.call("GET", "/version")["version"] == "9.1.1")
        let status = try sim.call("GET", "/nodes/{node}/status", ["node": "pve2"])
        #expect(status["pveversion"]?.string?.hasPrefix("pve-manager/9.1.1/") == true)
        #expect(status["cpuinfo"]?["cpus"] == .int(16))
        #expect(status["loadavg"]?.array?.count == 3)
        let nodes = try #require(try sim.call("GET", "/nodes").array)
        #expect(nodes.compactMap { $0["node"]?.string }.sorted() == ["pve1", "pve2", "pve3"])
    }

    @Test func unknownEndpointIsNotImplemented() {
        let error = sim.failure("GET", "/nodes/{node}/ceph/status", ["node": "pve1"])
        #expect(error?.status == 501)
    }

    @Test func storageContentFilteredByType() throws {
        let isos = try #require(try sim.call("GET", "/nodes/{node}/storage/{storage}/content", ["node": "pve1", "storage": "local", "content": "iso"]).array)
        let volids = isos.compactMap { $0["volid"]?.string }
        #expect(volids.contains(SimSeed.debianISO))
        #expect(volids.contains(SimSeed.ubuntuISO))
        #expect(isos.allSatisfy { $0["content"] == "iso" })
        let backups = try #require(try sim.call("GET", "/nodes/{node}/storage/{storage}/content", ["node": "pve3", "storage": "nas", "content": "backup"]).array)
        #expect(backups.contains { $0["volid"] == .string(SimSeed.vmBackup) && $0["vmid"] == .int(101) })
    }
}
