import PVESchema
import Testing

@testable import PVESim

/// pveproxy serializes with `to_json` and no `canonical`: every object's members come in its Perl
/// hash's order, and listings that walk a hash (`keys %$vmstatus`, `keys %$snaphash`) list in that
/// order too. A client that works only when answers come sorted is broken against real PVE.
@Suite struct HashOrderTests {
    private func keys(_ value: JSON?) -> [String] { value?.object?.map(\.0) ?? [] }

    @Test func objectsOfEveryAnswerComeInAnOrderOfTheirOwn() throws {
        let sim = TestCluster()
        let status = try sim.call("GET", "/nodes/{node}/status", ["node": "pve1"])
        let nested = ["memory", "swap", "rootfs", "cpuinfo"].map { keys(status[$0]) }
        #expect(nested.allSatisfy { $0.count >= 3 })
        #expect(nested.contains { $0 != $0.sorted() }, "nested objects are shuffled too")
        let config = keys(try sim.call("GET", "/nodes/{node}/qemu/{vmid}/config", ["node": "pve1", "vmid": "100"]))
        #expect(config.count > 10 && config != config.sorted())
        // Another server (another hash seed) orders the same members otherwise.
        let other = SimulatedCluster(options: ClusterOptions(seed: 7, clock: { sim.clock.now }))
        let otherConfig = keys(try other.handle(SimRequest(method: "GET", path: "/nodes/pve1/qemu/100/config", template: "/nodes/{node}/qemu/{vmid}/config",
                                                            params: ["node": "pve1", "vmid": "100"], identity: TestCluster.root)))
        #expect(Set(otherConfig) == Set(config) && otherConfig != config)
        // The same call answers in the same order, as one pveproxy worker does.
        for _ in 0..<3 {
            #expect(keys(try sim.call("GET", "/nodes/{node}/qemu/{vmid}/config", ["node": "pve1", "vmid": "100"])) == config)
        }
    }

    /// Users, groups, roles, pools, storages and HA resources: PVE walks `keys %{$usercfg->{users}}`,
    /// `keys %{$cfg->{ids}}` and the like.
    @Test func configListingsComeInHashOrder() throws {
        let sim = TestCluster()
        let roles = try #require(try sim.call("GET", "/access/roles").array).compactMap { $0["roleid"]?.string }
        #expect(roles.count > 10 && roles != roles.sorted())
        #expect(try sim.call("GET", "/access/roles").array?.compactMap { $0["roleid"]?.string } == roles, "the same order each time")
        let storages = try #require(try sim.call("GET", "/storage").array).compactMap { $0["storage"]?.string }
        #expect(storages.count > 3 && Set(storages).count == storages.count)
        let users = try #require(try sim.call("GET", "/access/users").array).compactMap { $0["userid"]?.string }
        #expect(Set(users).isSuperset(of: ["root@pam", "alice@pve"]))
    }

    @Test func guestListingsAndSnapshotsComeInHashOrder() throws {
        let sim = TestCluster(extraGuests: 200)
        let rows = try #require(try sim.call("GET", "/nodes/{node}/qemu", ["node": "pve2"]).array)
        let vmids = rows.compactMap { $0["vmid"]?.int }
        #expect(vmids.count > 50 && vmids != vmids.sorted())
        #expect(Set(rows.map { keys($0) }).count > 10, "each row's members in an order of its own")
        for name in ["a", "b", "c", "d", "e"] {
            try sim.call("POST", "/nodes/{node}/qemu/{vmid}/snapshot", ["node": "pve1", "vmid": "100", "snapname": "s\(name)"])
            sim.clock.advance(5)
        }
        let snapshots = try #require(try sim.call("GET", "/nodes/{node}/qemu/{vmid}/snapshot", ["node": "pve1", "vmid": "100"]).array)
        let names = snapshots.compactMap { $0["name"]?.string }
        #expect(names.last == "current", "PVE adds the current state after the snapshots")
        #expect(Set(names.dropLast()).isSuperset(of: ["sa", "sb", "sc", "sd", "se"]))
        #expect(Array(names.dropLast()) != names.dropLast().sorted())
    }
}
