import Testing
import ProxmoxAPI
import PVESchema
import PVESim
@testable import ProxmuxShell

/// Every verb of the command layer against the simulated cluster, over HTTP with the real client.
@Suite struct SimulatorShellTests {
    @Test func listingGuestsIsOneRequestAtAnySize() throws {
        let shell = try SimulatedShell(extraGuests: 10_000)
        defer { shell.stop() }
        let out = try shell.run("ls /vms")
        #expect(out.split(separator: "\n").count == 1 + 11 + 10_000)
        #expect(shell.cluster.calls.count == 1)
        #expect(shell.cluster.calls.first?.1 == "/cluster/resources")
    }

    @Test func navigationAndPrompt() throws {
        let shell = try SimulatedShell()
        defer { shell.stop() }
        try shell.run("cd pve3")
        #expect(shell.session.context.path == .node("pve3"))
        try shell.run("cd ../pve1")
        let vms = try shell.run("ls vms")
        #expect(vms.contains("web01") && vms.contains("dns01") && !vms.contains("web02"))
        #expect(try shell.run("ls cts").contains("ci-runner"))
        try shell.run("cd web02")
        #expect(shell.dispatcher.promptSegments() == PromptSegments(profile: "sim", path: "/nodes/pve2/101", selection: "web02"))
        #expect(try shell.run("ls").contains("scsi0"))
        try shell.run("cd /storage/nas")
        #expect(try shell.run("ls").contains("vzdump-qemu-101"))
        #expect(try shell.run("ls /nodes/pve1/network").contains("vmbr1"))
        #expect(try shell.run("ls /nodes/pve1/disks").contains("/dev/nvme0n1"))
        #expect(try shell.run("ls /pools/prod").contains("web01"))
        #expect(try shell.run("ls /access/users").contains("alice@pve"))
        #expect(try shell.run("ls /tasks").contains("STARTED") )
        #expect(shell.failure("cd /nodes/pve7")?.contains("nodes: pve1, pve2, pve3") == true)
    }

    /// PVE's 0/1 booleans read as yes/no in tables; JSON output keeps the server's numbers.
    @Test func flagsReadAsYesOrNo() throws {
        let shell = try SimulatedShell()
        defer { shell.stop() }
        let users = try shell.run("ls /access/users").split(separator: "\n").map(String.init)
        #expect(users.first?.contains("ENABLED") == true)
        let bob = users.first { $0.hasPrefix("bob@pve") } ?? ""
        let alice = users.first { $0.hasPrefix("alice@pve") } ?? ""
        #expect(bob.split(separator: " ").dropFirst().first == "no", "bob is disabled in the seed: \(bob)")
        #expect(alice.split(separator: " ").dropFirst().first == "yes", "\(alice)")
        let storages = try shell.run("ls -l /storage").split(separator: "\n")
        #expect(storages.contains { $0.hasPrefix("nas ") && $0.hasSuffix(" yes") } && storages.contains { $0.hasPrefix("local ") && $0.hasSuffix(" no") })
        let acl = try shell.run("ls /access/acl")
        #expect(acl.contains("PROPAGATE") && acl.split(separator: "\n").dropFirst().allSatisfy { $0.hasSuffix("yes") || $0.hasSuffix("no") })
        let json = try shell.run("ls /access/users -o json")
        #expect(json.contains("\"enable\":0") && !json.contains("\"no\""))
        let access = try shell.run("ls /access")
        for line in access.split(separator: "\n").dropFirst() {
            #expect(line.split(separator: " ", omittingEmptySubsequences: true).count > 1, "an entry of /access without a description: \(line)")
        }
    }

    @Test func targetsResolveAgainstTheSeed() throws {
        let shell = try SimulatedShell()
        defer { shell.stop() }
        let out = try shell.run("stop tag:web --dry-run")
        #expect(out.contains("/nodes/pve1/qemu/100/status/stop") && out.contains("/nodes/pve2/qemu/101/status/stop")
                && out.contains("/nodes/pve2/lxc/201/status/stop"))
        let pool = try shell.run("shutdown pool:prod --dry-run")
        #expect(pool.contains("qemu/102/status/shutdown"))
        #expect(try shell.run("start win-*,ct:202 --dry-run").contains("lxc/202/status/start"))
        #expect(shell.cluster.mutatingCalls.isEmpty)
    }

    @Test func lifecycleWaitsReportsAndChangesState() throws {
        let shell = try SimulatedShell()
        defer { shell.stop() }
        let out = try shell.run("start 103")
        #expect(out.contains("starting vm 103 (win-build) on pve3"))
        #expect(out.contains("vm 103 (win-build) on pve3: started"))
        #expect(shell.cluster.guestStatus(103) == "running")
        let failed = try #require(shell.failure("start broken"))
        #expect(failed.contains("vm 110 (broken) on pve3: start failed"), "\(failed)")
        #expect(shell.failure("stop 103") == "refusing to stop vm 103 without --yes")
        #expect(shell.cluster.guestStatus(103) == "running")
        let bulk = try shell.run("shutdown node:pve1 --timeout 30")
        #expect(bulk.contains("vm 100 (web01) on pve1: shut down") && bulk.contains("ct 200 (dns01) on pve1: shut down"))
        #expect(shell.cluster.guestStatus(100) == "stopped" && shell.cluster.guestStatus(102) == "stopped")
        #expect(shell.cluster.guestStatus(101) == "running")
        try shell.run("suspend 101")
        #expect(shell.cluster.guestStatus(101) == "paused" || shell.cluster.guestStatus(101) == "running")
    }

    @Test func dryRunLeavesTheClusterUnchanged() throws {
        let shell = try SimulatedShell()
        defer { shell.stop() }
        let out = try shell.run("stop node:pve2 --dry-run")
        #expect(out.contains("dry run: POST /nodes/pve2/qemu/101/status/stop"))
        #expect(shell.cluster.mutatingCalls.isEmpty)
        #expect(shell.cluster.guestStatus(101) == "running")
        let raw = try shell.run("api create /pools poolid=lab --dry-run")
        #expect(raw.contains("dry run: POST /pools poolid=lab"))
        #expect(shell.cluster.mutatingCalls.isEmpty)
    }

    @Test func showStatusAndRawAPI() throws {
        let shell = try SimulatedShell()
        defer { shell.stop() }
        let show = try shell.run("show web01")
        #expect(show.contains("disks:") && show.contains("scsi0:") && show.contains("network:") && show.contains("net0:"))
        // A node and a storage read in humanised units as text, with PVE's numbers under -o json.
        let node = try shell.run("show pve1")
        #expect(node.contains("status:       online") && node.contains("version:      pve-manager/"))
        #expect(node.split(separator: "\n").contains { $0.hasPrefix("memory:") && $0.contains(" GiB of ") && $0.hasSuffix("%)") })
        #expect(node.contains("cpu model:") && node.contains(" of 16 CPUs") && node.contains("guests:"))
        let nodeJSON = try JSON.parse(try shell.run("show pve1 -o json"))
        #expect(nodeJSON["pveversion"]?.string?.hasPrefix("pve-manager/") == true && nodeJSON["memory"]?["total"]?.int != nil)
        // At a node, `show -o json` is the node's status alone: one request.
        try shell.run("cd /nodes/pve1")
        shell.cluster.reset()
        _ = try shell.run("show -o json")
        #expect(shell.cluster.calls.map { "\($0.0) \($0.1)" } == ["GET /nodes/pve1/status"])
        try shell.run("cd /")
        let storage = try shell.run("show local-lvm")
        #expect(storage.contains("lvmthin"))
        #expect(storage.split(separator: "\n").contains { $0.hasPrefix("  pve1: available, ") && $0.contains(" GiB of ") })
        let storageJSON = try JSON.parse(try shell.run("show local-lvm -o json"))
        #expect(storageJSON["nodes"]?.array?.first?["total"]?.int != nil)
        let status = try shell.run("status")
        #expect(status.contains("pve3") && status.contains("Guests: 11"))
        let json = try JSON.parse(try shell.run("api get /nodes/pve1/qemu/100/config -o json"))
        #expect(json["name"]?.string == "web01")
        let yaml = try shell.run("ls /nodes -o yaml")
        #expect(yaml.contains("node: pve1"))
        try shell.run("api create /pools poolid=qa")
        #expect(try shell.run("ls /pools").contains("qa"))
    }

    /// The simulator sends every object's members in hash order, as pveproxy does; what proxmux
    /// shows of a config or a raw answer is sorted by key, so it reads the same each time.
    @Test func serverObjectsAreShownSortedByKey() throws {
        let shell = try SimulatedShell()
        defer { shell.stop() }
        let sent = try shell.cluster.read("/nodes/pve1/qemu/100/config", template: "/nodes/{node}/qemu/{vmid}/config",
                                         params: ["node": "pve1", "vmid": "100"]).object!.map(\.0)
        #expect(sent != KeyOrder.sorted(sent), "the simulator should send the config in hash order")
        let show = try shell.run("show web01")
        let configLines = show.split(separator: "\n").drop { $0 != "config:" }.dropFirst()
        // Member lines are indented two spaces; a multi-line description continues further in.
        let shown = configLines.filter { $0.hasPrefix("  ") && !$0.hasPrefix("   ") }.map { String($0.split(separator: ":")[0].drop { $0 == " " }) }
        #expect(shown.count > 5)
        #expect(shown == KeyOrder.sorted(shown))
        let raw = try shell.run("api get /nodes/pve1/qemu/100/config -o json")
        let rawKeys = try JSON.parse(raw).object!.map(\.0)
        #expect(rawKeys == KeyOrder.sorted(sent))
    }

    /// Users, roles, pools and the like come in the server's hash order; listings show them sorted.
    @Test func configListingsAreShownSortedWhateverTheServersOrder() throws {
        let shell = try SimulatedShell()
        defer { shell.stop() }
        let sent = try shell.cluster.read("/access/roles", template: "/access/roles").array!.compactMap { $0["roleid"]?.string }
        #expect(sent != sent.sorted(), "the simulator should send roles in hash order")
        func firstColumn(_ text: String) -> [String] { text.split(separator: "\n").dropFirst().map { String($0.split(separator: " ")[0]) } }
        let roles = firstColumn(try shell.run("ls /access/roles"))
        #expect(roles == sent.sorted())
        let users = firstColumn(try shell.run("ls /access/users"))
        #expect(users.count >= 3 && users == users.sorted())
        // The storage rows of /cluster/resources come in hash order too; `status` sorts them.
        let sentStorages = try shell.cluster.read("/cluster/resources", template: "/cluster/resources", params: ["type": "storage"])
            .array!.compactMap { $0["storage"]?.string }
        #expect(sentStorages != sentStorages.sorted())
        let status = try shell.run("status")
        let storageSection = status.components(separatedBy: "\nStorage\n")[1].components(separatedBy: "\n\n")[0]
        let shown = firstColumn(storageSection)
        #expect(shown.count == sentStorages.count && shown == sentStorages.sorted())
    }

    @Test func keysSortWithNumbersInNumberOrder() {
        #expect(KeyOrder.sorted(["net10", "net2", "ide0", "agent", "net1", "mp0", "scsi11", "scsi2"])
                == ["agent", "ide0", "mp0", "net1", "net2", "net10", "scsi2", "scsi11"])
        #expect(KeyOrder.sorted(["b", "a1", "a", "a01"]) == ["a", "a01", "a1", "b"])
        // A run of digits sorts as a digit against other bytes: after `-`, before letters.
        #expect(KeyOrder.sorted(["scsi0", "scsix", "scsi-x", "scsi", "scsi00"]) == ["scsi", "scsi-x", "scsi0", "scsi00", "scsix"])
        #expect(KeyOrder.precedes("net9", "net10") && !KeyOrder.precedes("net10", "net9"))
    }

    /// Every object of an answer, however deep, comes out with its members in key order; arrays
    /// keep theirs, and a repeated key keeps its values' order.
    @Test func answersAreSortedObjectByObject() throws {
        let answer = try JSON.parse(#"[{"net10":1,"b":{"z":[{"y":1,"x":2}],"a":null},"net2":2,"a01":3,"a1":4,"a":5},{"a":6,"a":7,"0":8},[]]"#)
        func keys(_ value: JSON?) -> [String] { value?.object?.map(\.0) ?? [] }
        let sorted = KeyOrder.sorted(answer)
        #expect(keys(sorted[0]) == ["a", "a01", "a1", "b", "net2", "net10"])
        #expect(keys(sorted[0]?["b"]) == ["a", "z"] && keys(sorted[0]?["b"]?["z"]?[0]) == ["x", "y"])
        #expect(sorted[1]?.object?.map(\.1) == [.int(8), .int(6), .int(7)])
        #expect(sorted[2] == .array([]) && sorted == answer, "only the order of members changes")
    }

    @Test func completionFromTheLiveCluster() throws {
        let shell = try SimulatedShell()
        defer { shell.stop() }
        #expect(shell.complete(["start"], "") .contains("win-build"))
        #expect(!shell.complete(["start"], "").contains("web01"), "running guests are not offered to start")
        #expect(shell.complete(["stop"], "web") == ["web01", "web02"])
        #expect(shell.complete(["show"], "pool:p") == ["pool:prod"])
        #expect(shell.complete(["cd"], "/storage/") .contains("/storage/nas"))
        #expect(shell.complete(["cd"], "pve") == ["pve1", "pve2", "pve3"])
        try shell.run("cd 102")
        #expect(shell.complete(["show"], "") .contains("db01"))
        // ISOs of the node typed with --node; with no node known, those of the shared storages.
        try shell.run("cd /")
        let onPve2 = shell.complete(["create", "vm", "--node", "pve2", "--iso"], "")
        #expect(onPve2.contains("local:iso/debian-12.8.0-amd64-netinst.iso") && onPve2.contains("nas:iso/virtio-win-0.1.266.iso"))
        #expect(shell.complete(["create", "vm", "--node=pve2", "--iso"], "local:") == ["local:iso/debian-12.8.0-amd64-netinst.iso"])
        let anywhere = shell.complete(["create", "vm", "--iso"], "")
        #expect(anywhere.contains("nas:iso/virtio-win-0.1.266.iso") && !anywhere.contains { $0.hasPrefix("local:") })
        #expect(shell.complete(["create", "vm", "--node", "pve1", "--bridge"], "vmbr") == ["vmbr0", "vmbr1"])
    }

    @Test func badInputChangesNothing() throws {
        let shell = try SimulatedShell()
        defer { shell.stop() }
        for line in ["strat 100", "stop 100 --force", "shutdown 100 --timeout soon", "ls -o xml", "start", "start nosuch", "api set /nodes/pve1/qemu/100/config memory"] {
            #expect(shell.failure(line) != nil, "\(line)")
        }
        #expect(shell.cluster.mutatingCalls.isEmpty)
    }
}
