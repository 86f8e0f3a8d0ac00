import PVESchema
import Testing

@testable import PVESim

/// Usage figures stay within capacity, however many guests the cluster is seeded with: a real
/// cluster never reports more used than it has, and a generated fleet should not look saturated.
@Suite struct ClusterCapacityTests {
    @Test(arguments: [0, 10_000])
    func usageStaysWithinCapacity(extraGuests: Int) throws {
        let sim = TestCluster(extraGuests: extraGuests)
        let resources = try #require(try sim.call("GET", "/cluster/resources").array)
        let guests = resources.filter { $0["type"] == "qemu" || $0["type"] == "lxc" }
        #expect(guests.count == extraGuests + SimSeed.vms.count + SimSeed.containers.count)

        for node in SimSeed.nodes {
            let row = try #require(resources.first { $0["id"]?.string == "node/\(node)" })
            let cpu = try #require(row["cpu"]?.double)
            let mem = try #require(row["mem"]?.int)
            let maxmem = try #require(row["maxmem"]?.int)
            #expect(cpu >= 0 && cpu < 0.9, "\(node) cpu \(cpu) with \(extraGuests) extra guests")
            #expect(mem < maxmem * 9 / 10, "\(node) mem \(mem) of \(maxmem)")
            // The node's memory holds what its guests use (a clamped figure would fall short).
            let guestMem = guests.filter { $0["node"]?.string == node }.reduce(Int64(0)) { $0 + ($1["mem"]?.int ?? 0) }
            #expect(mem >= guestMem, "\(node) reports \(mem) used but its guests use \(guestMem)")

            let listed = try #require(try sim.call("GET", "/nodes").array?.first { $0["node"]?.string == node })
            #expect(listed["maxmem"]?.int == maxmem)
            #expect((listed["mem"]?.int ?? .max) <= maxmem)
            #expect((listed["cpu"]?.double ?? 2) <= 1)

            let status = try sim.call("GET", "/nodes/{node}/status", ["node": node])
            let total = try #require(status["memory"]?["total"]?.int)
            let used = try #require(status["memory"]?["used"]?.int)
            #expect(total == maxmem && used <= total && status["memory"]?["free"]?.int == total - used)
            #expect((status["cpu"]?.double ?? 2) <= 1)
            #expect(status["cpuinfo"]?["cpus"]?.int == row["maxcpu"]?.int)
        }

        for row in resources where row["type"] == "storage" {
            let disk = try #require(row["disk"]?.int)
            let maxdisk = try #require(row["maxdisk"]?.int)
            #expect(disk < maxdisk * 9 / 10, "\(row["id"]?.string ?? "?") uses \(disk) of \(maxdisk)")
        }

        for node in SimSeed.nodes {
            let storages = try #require(try sim.call("GET", "/nodes/{node}/storage", ["node": node]).array)
            #expect(!storages.isEmpty)
            for storage in storages {
                let id = try #require(storage["storage"]?.string)
                let total = try #require(storage["total"]?.int)
                let used = try #require(storage["used"]?.int)
                #expect(used <= total && storage["avail"]?.int == total - used, "\(id)@\(node): \(used) of \(total)")
                #expect((storage["used_fraction"]?.double ?? 2) <= 1)

                let single = try sim.call("GET", "/nodes/{node}/storage/{storage}/status", ["node": node, "storage": id])
                #expect(single["total"]?.int == total && single["used"]?.int == used)

                // What the volumes occupy fits in what the storage reports as used.
                let content = try #require(try sim.call("GET", "/nodes/{node}/storage/{storage}/content",
                                                        ["node": node, "storage": id]).array)
                let occupied = content.reduce(Int64(0)) { $0 + ($1["used"]?.int ?? $1["size"]?.int ?? 0) }
                #expect(occupied <= used, "\(id)@\(node): volumes occupy \(occupied), storage reports \(used)")
            }
        }
    }

    @Test func seededHardwareIsKeptWithoutExtraGuests() throws {
        let sim = TestCluster()
        let nodes = try #require(try sim.call("GET", "/nodes").array)
        let maxmem = Dictionary(uniqueKeysWithValues: nodes.compactMap { row in row["node"]?.string.map { ($0, row["maxmem"]?.int) } })
        #expect(maxmem == ["pve1": 64 << 30, "pve2": 64 << 30, "pve3": 32 << 30])
        let lvm = try sim.call("GET", "/nodes/{node}/storage/{storage}/status", ["node": "pve1", "storage": "local-lvm"])
        #expect(lvm["total"]?.int == 800 << 30)
    }

    @Test func finishedTasksAreCapped() throws {
        let sim = TestCluster(taskSeconds: 0)
        let limit = ClusterState.finishedTaskLimit
        var last = ""
        for _ in 0..<(limit + limit / 10 + 10) {
            last = try #require(try sim.call("POST", "/nodes/{node}/qemu/{vmid}/status/start", ["node": "pve3", "vmid": "103"]).string)
            try sim.call("POST", "/nodes/{node}/qemu/{vmid}/status/stop", ["node": "pve3", "vmid": "103"])
        }
        let listed = try #require(try sim.call("GET", "/nodes/{node}/tasks", ["node": "pve3", "limit": "0"]).array)
        #expect(listed.count <= limit + limit / 10, "finished tasks kept: \(listed.count)")
        #expect(listed.count >= limit)
        #expect(try sim.taskStatus(last)["exitstatus"] == "OK", "the newest task is still there")
        #expect(listed.first?["type"] == "qmstop")
    }
}
