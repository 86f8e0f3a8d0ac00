import PVESchema
import Testing

@testable import PVESim

/// The HTTP front lists `/cluster/resources` from cached, pre-serialized rows; what it sends must be
/// what the cluster answers, and follow every change at once.
@Suite struct ClusterResourcesBytesTests {
    /// The answer as the HTTP front gets it (serialized), parsed back.
    private func served(_ sim: TestCluster, _ params: [String: String] = [:], as identity: SimIdentity = TestCluster.root) throws -> JSON {
        var body: [UInt8] = []
        try sim.cluster.handle(SimRequest(method: "GET", path: "/cluster/resources", template: "/cluster/resources", params: params,
                                          identity: identity), writingTo: &body)
        return try JSON.parse(body)
    }

    private func status(_ rows: JSON, vmid: Int) -> String? {
        rows.array?.first { $0["vmid"]?.int == Int64(vmid) }?["status"]?.string
    }

    @Test func servedBytesMatchTheAnswerForEveryFilterAndCaller() throws {
        let sim = TestCluster(extraGuests: 300)
        for identity in [TestCluster.root, TestCluster.alice, TestCluster.aliceToken] {
            for params in [[:], ["type": "vm"], ["type": "storage"], ["type": "node"]] {
                let answer = try sim.call("GET", "/cluster/resources", params, as: identity)
                let bytes = try served(sim, params, as: identity)
                #expect(bytes == answer, "\(identity.authid) \(params)")
                #expect((bytes.array?.count ?? 0) == (answer.array?.count ?? -1))
            }
        }
        #expect(try served(sim, ["type": "vm"]).array?.count == 300 + SimSeed.vms.count + SimSeed.containers.count)
        #expect(throws: SimError.self) { try served(sim, ["type": "guests"]) }
    }

    /// pveproxy writes Perl hashes as they iterate: guests in no particular order, and each row's
    /// members in an order of its own. The simulator does the same, the same way on every call.
    @Test func rowsAndTheirMembersComeInHashOrder() throws {
        let sim = TestCluster(extraGuests: 300)
        var body: [UInt8] = []
        try sim.cluster.handle(SimRequest(method: "GET", path: "/cluster/resources", template: "/cluster/resources",
                                          params: ["type": "vm"], identity: TestCluster.root), writingTo: &body)
        let text = String(decoding: body, as: UTF8.self)
        let rows = try #require(try JSON.parse(text).array)
        let vmids = rows.compactMap { $0["vmid"]?.int }
        #expect(vmids.count == rows.count && Set(vmids).count == vmids.count)
        #expect(vmids != vmids.sorted(), "guests are not in vmid order")
        let memberOrders = Set(rows.compactMap { $0.object?.map(\.0).filter { ["vmid", "name", "node", "status", "cpu"].contains($0) } })
        #expect(memberOrders.count > 20, "rows differ in member order")
        #expect(try served(sim, ["type": "vm"]) == JSON.parse(text), "and the next call answers the same")
        #expect(try served(sim, ["type": "vm"]).array?.compactMap { $0["vmid"]?.int } == vmids)
    }

    @Test func servedBytesFollowStartAndStopWithoutTimePassing() throws {
        // Tasks finish within the call and the clock stands still: only the state version can refresh the rows.
        let sim = TestCluster(extraGuests: 1_000, taskSeconds: 0)
        #expect(status(try served(sim, ["type": "vm"]), vmid: 103) == "stopped")
        try sim.call("POST", "/nodes/{node}/qemu/{vmid}/status/start", ["node": "pve3", "vmid": "103"])
        #expect(status(try served(sim, ["type": "vm"]), vmid: 103) == "running")
        let generated = SimSeed.extraGuestFirstID + 3  // load-00004: a stopped VM on pve2
        #expect(status(try served(sim), vmid: generated) == "stopped")
        try sim.call("POST", "/nodes/{node}/qemu/{vmid}/status/start", ["node": "pve2", "vmid": String(generated)])
        #expect(status(try served(sim), vmid: generated) == "running")
        try sim.call("POST", "/nodes/{node}/qemu/{vmid}/status/stop", ["node": "pve3", "vmid": "103"])
        #expect(status(try served(sim, ["type": "vm"]), vmid: 103) == "stopped")
    }
}
