import ProxmoxAPI
import Testing
import ProxmoxAPI
import PVESchema
@testable import ProxmuxShell

@Suite struct NavigationTests {
    @Test func cdPwdAndPromptFollowTheTree() throws {
        let shell = Shell()
        #expect(shell.dispatcher.promptSegments() == PromptSegments(profile: "home", path: "/"))
        try shell.run("cd nodes/pve1")
        #expect(try shell.run("pwd") == "/nodes/pve1\n")
        try shell.run("cd vms")
        #expect(shell.session.context.path == .nodeSection("pve1", .vms))
        try shell.run("cd ..")
        try shell.run("cd 103")
        #expect(shell.dispatcher.promptSegments() == PromptSegments(profile: "home", path: "/nodes/pve2/103", selection: "db01"))
        try shell.run("cd web01")
        #expect(shell.session.context.path == .guest(node: "pve1", vmid: 101))
        try shell.run("cd -")
        #expect(shell.session.context.path == .guest(node: "pve2", vmid: 103))
        try shell.run("cd /storage/local")
        #expect(shell.session.context.path == .storage("local"))
        try shell.run("cd")
        #expect(shell.session.context.path == .root)
    }

    @Test(arguments: [
        ("cd /nodes/pve9", "no node 'pve9' (nodes: pve1, pve2)"),
        ("cd /nowhere", "no such place: /nowhere"),
        ("cd /nodes/pve1/bogus", "a node has: vms, cts"),
        ("cd /storage/nope", "no storage 'nope' (storages: local"),
        ("cd 999", "no guest with id 999"),
    ])
    func cdToAMissingPlaceFailsAndStays(_ line: String, _ fragment: String) throws {
        let shell = Shell()
        try shell.run("cd /nodes/pve1")
        let message = try #require(shell.failure(line))
        #expect(message.contains(fragment), "\(message)")
        #expect(shell.session.context.path == .node("pve1"))
    }

    /// `ls` of a storage that does not exist names the cluster's storages, as `cd` does.
    @Test func listingAMissingStorageNamesTheStorages() throws {
        let shell = Shell()
        let listed = try #require(shell.failure("ls /storage/nope"))
        #expect(listed.contains("no storage 'nope' (storages: local"), "\(listed)")
        #expect(listed == shell.failure("cd /storage/nope"))
    }

    /// So does `ls` of a pool that does not exist (PVE answers it with a 500).
    @Test func listingAMissingPoolNamesThePools() throws {
        let shell = Shell()
        let listed = try #require(shell.failure("ls /pools/nope"))
        #expect(listed.hasPrefix("no pool 'nope' (pools: "), "\(listed)")
        #expect(listed == shell.failure("cd /pools/nope"))
    }

    /// `ls` of a node that does not exist says so instead of printing an empty table.
    @Test(arguments: ["ls /nodes/pve9", "ls /nodes/pve9/vms", "ls /nodes/pve9/cts", "ls /nodes/pve9/storage",
                      "ls /nodes/pve9/tasks", "ls /nodes/pve9/disks", "ls /nodes/pve9/network"])
    func listingAMissingNodeNamesTheNodes(_ line: String) throws {
        let shell = Shell()
        let message = try #require(shell.failure(line))
        #expect(message.contains("no node 'pve9' (nodes: pve1, pve2)"), "\(message)")
    }

    @Test func lsVmsShowsAHumanisedGuestTable() throws {
        let shell = Shell()
        let out = try shell.run("ls /vms")
        let lines = out.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("VMID") == true)
        #expect(lines.count == 7)
        let web = try #require(lines.first { $0.contains("web01") })
        #expect(web.contains("running") && web.contains("12.5%") && web.contains("1.0 GiB") && web.contains("1h 0m") && web.contains("web;prod"))
        // Columns line up: every row has "web01"-column text at the same offset as the header's NAME.
        let nameColumn = try #require(lines[0].firstRange(of: "NAME")).lowerBound.utf16Offset(in: lines[0])
        #expect(web.dropFirst(nameColumn).hasPrefix("web01"))
        #expect(try shell.run("ls /cts").split(separator: "\n").count == 4)
        #expect(try shell.run("ls /nodes/pve2/vms --noheader").split(separator: "\n").count == 3)
    }

    @Test func listingAllGuestsIsOneRequestWhateverTheSize() throws {
        let shell = Shell(.large(10_000))
        let out = try shell.run("ls /vms")
        #expect(out.split(separator: "\n").count == 10_001)
        #expect(shell.cluster.requests.count == 1)
        #expect(shell.cluster.count(.get, "/cluster/resources") == 1)
    }

    @Test func lsLongAddsColumnsAndOtherPlacesList() throws {
        let shell = Shell()
        #expect(try shell.run("ls -l /vms").contains("MAXMEM"))
        #expect(try shell.run("ls /nodes").contains("pve2"))
        let storage = try shell.run("ls /storage")
        #expect(storage.contains("local") && storage.contains("10.0%"))
        #expect(try shell.run("ls /pools/prod").contains("web02"))
        #expect(try shell.run("ls /").contains("access"))
    }
}
