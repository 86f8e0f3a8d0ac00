import PVESchema
import Testing

@testable import PVESim

@Suite struct ClusterBackupTests {
    let sim = TestCluster(taskSeconds: 2)

    @Test func vzdumpLocksTheGuestLogsProgressAndCreatesTheArchive() throws {
        let upid = try #require(try sim.call("POST", "/nodes/{node}/vzdump", ["node": "pve1", "vmid": "100", "storage": "nas", "compress": "zstd"]).string)
        #expect(upid.contains(":vzdump:100:root@pam:"))
        let locked = try #require(sim.failure("POST", "/nodes/{node}/qemu/{vmid}/status/shutdown", ["node": "pve1", "vmid": "100"]))
        #expect(locked.reason == "VM is locked (backup)")
        sim.finishTasks()
        let log = try sim.taskLog(upid)
        #expect(log.contains("INFO:  40% (12.8 GiB of 32.0 GiB) in 12s, read: 1092.3 MiB/s, write: 327.7 MiB/s"))
        #expect(log.contains("INFO: 100% (32.0 GiB of 32.0 GiB) in 30s, read: 1092.3 MiB/s, write: 327.7 MiB/s"))
        #expect(log.last == "TASK OK")
        let backups = try #require(try sim.call("GET", "/nodes/{node}/storage/{storage}/content", ["node": "pve1", "storage": "nas", "content": "backup", "vmid": "100"]).array)
        let volid = try #require(backups.first?["volid"]?.string)
        #expect(volid.hasPrefix("nas:backup/vzdump-qemu-100-") && volid.hasSuffix(".vma.zst"))
        #expect(try sim.status("qemu", "pve1", 100)["lock"] == nil)
    }

    @Test func runningTaskLogGrowsWithTime() throws {
        let upid = try #require(try sim.call("POST", "/nodes/{node}/vzdump", ["node": "pve1", "vmid": "100", "storage": "nas"]).string)
        let start = try sim.taskLog(upid)
        #expect(!start.contains { $0.contains("%") })
        sim.clock.advance(2)  // half of the 4 s a one-guest backup takes with taskSeconds 2
        let half = try sim.taskLog(upid)
        #expect(half.count > start.count)
        #expect(half.contains { $0.hasPrefix("INFO:  10% (") })
        #expect(!half.contains { $0.hasPrefix("INFO: 100% (") })
        #expect(!half.contains { $0.hasPrefix("TASK ") })
        let page = try #require(try sim.call("GET", "/nodes/{node}/tasks/{upid}/log", ["node": "pve1", "upid": upid, "start": "2", "limit": "3"]).array)
        #expect(page.map { $0["n"]?.int ?? 0 } == [3, 4, 5])
    }

    @Test func lockedGuestMakesTheJobFail() throws {
        let upid = try #require(try sim.call("POST", "/nodes/{node}/vzdump", ["node": "pve1", "vmid": "200,203", "storage": "local"]).string)
        sim.finishTasks()
        #expect(try sim.taskStatus(upid)["exitstatus"] == "job errors")
        let log = try sim.taskLog(upid)
        #expect(log.contains("ERROR: Backup of VM 203 failed - CT is locked (backup)"))
        let backups = try #require(try sim.call("GET", "/nodes/{node}/storage/{storage}/content", ["node": "pve1", "storage": "local", "vmid": "200"]).array)
        #expect(backups.count == 1, "the guest that worked still has its archive")
    }

    @Test func backupStorageMustHoldBackups() {
        let error = sim.failure("POST", "/nodes/{node}/vzdump", ["node": "pve1", "vmid": "100", "storage": "local-lvm"])
        #expect(error?.reason == "can't use storage 'local-lvm' for backups - wrong content type")
    }

    @Test func restoreVMFromBackup() throws {
        let upid = try #require(try sim.call("POST", "/nodes/{node}/qemu", ["node": "pve3", "vmid": "150", "archive": SimSeed.vmBackup, "storage": "local-lvm"]).string)
        #expect(upid.contains(":qmrestore:150:"))
        sim.finishTasks()
        #expect(try sim.taskLog(upid).contains("progress 50% (read 17179869184 bytes, duration 5 sec)"))
        let config = try sim.call("GET", "/nodes/{node}/qemu/{vmid}/config", ["node": "pve3", "vmid": "150"])
        #expect(config["name"] == "web02")
        #expect(config["scsi0"]?.string?.hasPrefix("local-lvm:vm-150-disk-0") == true)
    }

    @Test func backupJobsCRUDWithScheduleValidation() throws {
        let jobs = try #require(try sim.call("GET", "/cluster/backup").array)
        #expect(jobs.first?["schedule"] == "sun 01:00")
        #expect(jobs.first?["next-run"]?.int != nil)
        try sim.call("POST", "/cluster/backup", ["id": "nightly", "schedule": "mon..fri 22:30", "storage": "nas", "vmid": "100"])
        let job = try sim.call("GET", "/cluster/backup/{id}", ["id": "nightly"])
        let next = try #require(job["next-run"]?.int)
        let time = UTCTime(Double(next))
        #expect(time.hour == 22 && time.minute == 30)
        let bad = try #require(sim.failure("POST", "/cluster/backup", ["id": "bad", "schedule": "someday", "vmid": "100"]))
        #expect(bad.status == 400)
        #expect(bad.errors["schedule"]?.contains("calendar event") == true)
        let noTarget = try #require(sim.failure("POST", "/cluster/backup", ["id": "bad", "schedule": "*/2:00"]))
        #expect(noTarget.errors["vmid"] != nil)
        try sim.call("PUT", "/cluster/backup/{id}", ["id": "nightly", "enabled": "0"])
        #expect(try sim.call("GET", "/cluster/backup/{id}", ["id": "nightly"])["enabled"] == .int(0))
        try sim.call("DELETE", "/cluster/backup/{id}", ["id": "nightly"])
        #expect(sim.failure("GET", "/cluster/backup/{id}", ["id": "nightly"])?.reason == "job 'nightly' does not exist")
    }
}

@Suite struct ClusterGuestOperationTests {
    let sim = TestCluster(taskSeconds: 0)

    @Test func destroyOfHAGuestNeedsPurge() throws {
        try sim.call("POST", "/nodes/{node}/qemu/{vmid}/status/stop", ["node": "pve1", "vmid": "100"])
        let error = try #require(sim.failure("DELETE", "/nodes/{node}/qemu/{vmid}", ["node": "pve1", "vmid": "100"]))
        #expect(error.reason == "unable to remove VM 100 - used in HA resources and purge parameter not set.")
        try sim.call("DELETE", "/nodes/{node}/qemu/{vmid}", ["node": "pve1", "vmid": "100", "purge": "1"])
        #expect(sim.failure("GET", "/nodes/{node}/qemu/{vmid}/config", ["node": "pve1", "vmid": "100"])?.status == 500)
        let ha = try #require(try sim.call("GET", "/cluster/ha/resources").array)
        #expect(!ha.contains { $0["sid"] == "vm:100" })
        let disks = try #require(try sim.call("GET", "/nodes/{node}/storage/{storage}/content", ["node": "pve1", "storage": "local-lvm", "vmid": "100"]).array)
        #expect(disks.isEmpty)
    }

    @Test func runningVMCannotBeDestroyed() {
        #expect(sim.failure("DELETE", "/nodes/{node}/qemu/{vmid}", ["node": "pve1", "vmid": "102"])?.reason == "VM 102 is running - destroy failed")
    }

    @Test func migrateMovesTheGuestAndItsLocalDisks() throws {
        let offline = try #require(sim.failure("POST", "/nodes/{node}/qemu/{vmid}/migrate", ["node": "pve2", "vmid": "101", "target": "pve3"]))
        #expect(offline.reason == "can't migrate running VM without --online")
        try sim.call("POST", "/nodes/{node}/qemu/{vmid}/migrate", ["node": "pve2", "vmid": "101", "target": "pve3", "online": "1"])
        try sim.call("GET", "/version")
        #expect(try sim.status("qemu", "pve3", 101)["status"] == "running")
        let disks = try #require(try sim.call("GET", "/nodes/{node}/storage/{storage}/content", ["node": "pve3", "storage": "local-lvm", "vmid": "101"]).array)
        #expect(disks.count == 1)
        let noTank = sim.failure("POST", "/nodes/{node}/qemu/{vmid}/migrate", ["node": "pve1", "vmid": "102", "target": "pve3", "online": "1"])
        #expect(noTank?.reason == "storage 'tank' is not available on node 'pve3'")
    }

    @Test func resizeGrowsButNeverShrinks() throws {
        let params = ["node": "pve1", "vmid": "100", "disk": "scsi0"]
        try sim.call("PUT", "/nodes/{node}/qemu/{vmid}/resize", params.merging(["size": "+8G"]) { $1 })
        #expect(try sim.call("GET", "/nodes/{node}/qemu/{vmid}/config", params)["scsi0"] == "local-lvm:vm-100-disk-0,iothread=1,size=40G")
        #expect(sim.failure("PUT", "/nodes/{node}/qemu/{vmid}/resize", params.merging(["size": "10G"]) { $1 })?.reason == "shrinking disks is not supported")
    }

    @Test func templateConversionRenamesDisks() throws {
        try sim.call("POST", "/nodes/{node}/qemu/{vmid}/template", ["node": "pve3", "vmid": "103"])
        try sim.call("GET", "/version")
        let config = try sim.call("GET", "/nodes/{node}/qemu/{vmid}/config", ["node": "pve3", "vmid": "103"])
        #expect(config["template"] == .int(1))
        #expect(config["sata0"]?.string?.hasPrefix("local-lvm:base-103-disk-0") == true)
        #expect(sim.failure("POST", "/nodes/{node}/qemu/{vmid}/status/start", ["node": "pve3", "vmid": "103"])?.reason == "you can't start a vm if it's a template")
    }

    @Test func agentReportsAddressesOnlyWhenRunningWithAgent() throws {
        let result = try sim.call("GET", "/nodes/{node}/qemu/{vmid}/agent/network-get-interfaces", ["node": "pve1", "vmid": "100"])
        let nics = try #require(result["result"]?.array)
        #expect(nics.count == 2)
        #expect(nics[1]["ip-addresses"]?[0]?["ip-address-type"] == "ipv4")
        #expect(sim.failure("GET", "/nodes/{node}/qemu/{vmid}/agent/network-get-interfaces", ["node": "pve2", "vmid": "104"])?.reason == "No QEMU guest agent configured")
    }

    @Test func guestRRDDataHasSeventyRows() throws {
        let rows = try #require(try sim.call("GET", "/nodes/{node}/qemu/{vmid}/rrddata", ["node": "pve1", "vmid": "100", "timeframe": "hour"]).array)
        #expect(rows.count == 70)
        #expect(rows.last?["cpu"]?.double != nil)
        let step = (rows[1]["time"]?.int ?? 0) - (rows[0]["time"]?.int ?? 0)
        #expect(step == 60)
        let node = try #require(try sim.call("GET", "/nodes/{node}/rrddata", ["node": "pve2", "timeframe": "week", "cf": "MAX"]).array)
        #expect(node.count == 70 && node.last?["memtotal"] == .int(64 << 30))
    }
}

@Suite struct ClusterStorageTests {
    let sim = TestCluster(taskSeconds: 0)

    @Test func uploadRecordsTheISO() throws {
        let upid = try #require(try sim.call("POST", "/nodes/{node}/storage/{storage}/upload", ["node": "pve2", "storage": "local", "content": "iso", "filename": "alpine.iso"],
                                             upload: SimUpload(filename: "alpine.iso", size: 1234)).string)
        #expect(upid.contains(":imgcopy:"))
        try sim.call("GET", "/version")
        let isos = try #require(try sim.call("GET", "/nodes/{node}/storage/{storage}/content", ["node": "pve2", "storage": "local", "content": "iso"]).array)
        #expect(isos.contains { $0["volid"] == "local:iso/alpine.iso" && $0["size"] == .int(1234) })
        let wrong = sim.failure("POST", "/nodes/{node}/storage/{storage}/upload", ["node": "pve2", "storage": "local-lvm", "content": "iso", "filename": "a.iso"])
        #expect(wrong?.reason == "storage 'local-lvm' does not support 'iso' content")
    }

    @Test func downloadURLFailsOn404() throws {
        let upid = try #require(try sim.call("POST", "/nodes/{node}/storage/{storage}/download-url",
                                             ["node": "pve1", "storage": "local", "content": "iso", "filename": "x.iso", "url": "https://example.com/404/x.iso"]).string)
        try sim.call("GET", "/version")
        #expect(try sim.taskStatus(upid)["exitstatus"] == "download failed: 404 Not Found")
    }

    @Test func allocateAndDeleteVolume() throws {
        let volid = try sim.call("POST", "/nodes/{node}/storage/{storage}/content", ["node": "pve1", "storage": "local-lvm", "vmid": "100", "filename": "vm-100-disk-5", "size": "4G"])
        #expect(volid == "local-lvm:vm-100-disk-5")
        let inUse = sim.failure("DELETE", "/nodes/{node}/storage/{storage}/content/{volume}", ["node": "pve1", "storage": "local-lvm", "volume": "vm-100-disk-0"])
        #expect(inUse?.reason == "unable to delete volume 'local-lvm:vm-100-disk-0' - volume is in use by VM 100")
        try sim.call("DELETE", "/nodes/{node}/storage/{storage}/content/{volume}", ["node": "pve1", "storage": "local-lvm", "volume": "local-lvm:vm-100-disk-5"])
        try sim.call("GET", "/version")
        #expect(sim.failure("GET", "/nodes/{node}/storage/{storage}/content/{volume}", ["node": "pve1", "storage": "local-lvm", "volume": "vm-100-disk-5"]) != nil)
    }
}

@Suite struct ClusterNetworkFirewallTests {
    let sim = TestCluster(taskSeconds: 0)

    @Test func newBridgeIsUsableAfterReload() throws {
        try sim.call("POST", "/nodes/{node}/network", ["node": "pve1", "iface": "vmbr2", "type": "bridge", "bridge_ports": "eno2", "cidr": "10.0.0.1/24"])
        let staged = try #require(try sim.call("GET", "/nodes/{node}/network", ["node": "pve1", "type": "bridge"]).array)
        #expect(staged.contains { $0["iface"] == "vmbr2" && $0["address"] == "10.0.0.1" && $0["active"] == .int(0) })
        let early = sim.failure("POST", "/nodes/{node}/qemu", ["node": "pve1", "vmid": "105", "net0": "virtio,bridge=vmbr2"])
        #expect(early?.reason == "bridge 'vmbr2' does not exist on node 'pve1'", "pending until reloaded")
        try sim.call("PUT", "/nodes/{node}/network", ["node": "pve1"])
        try sim.call("GET", "/version")
        try sim.call("POST", "/nodes/{node}/qemu", ["node": "pve1", "vmid": "105", "net0": "virtio,bridge=vmbr2"])
        let badPort = sim.failure("POST", "/nodes/{node}/network", ["node": "pve1", "iface": "vmbr3", "type": "bridge", "bridge_ports": "eno9"])
        #expect(badPort?.errors["bridge_ports"] == "interface 'eno9' does not exist")
    }

    @Test func firewallRulesWithDigest() throws {
        let params = ["node": "pve1", "vmid": "100"]
        let rules = try #require(try sim.call("GET", "/nodes/{node}/qemu/{vmid}/firewall/rules", params).array)
        #expect(rules.count == 3)
        let digest = try #require(rules.first?["digest"]?.string)
        try sim.call("POST", "/nodes/{node}/qemu/{vmid}/firewall/rules", params.merging(["type": "in", "action": "ACCEPT", "proto": "tcp", "dport": "8080", "enable": "1", "digest": digest]) { $1 })
        let stale = sim.failure("DELETE", "/nodes/{node}/qemu/{vmid}/firewall/rules/{pos}", params.merging(["pos": "0", "digest": digest]) { $1 })
        #expect(stale?.reason == "detected modified configuration - file changed by other user? Try again.")
        let first = try sim.call("GET", "/nodes/{node}/qemu/{vmid}/firewall/rules/{pos}", params.merging(["pos": "0"]) { $1 })
        #expect(first["dport"] == "8080")
        try sim.call("PUT", "/nodes/{node}/qemu/{vmid}/firewall/rules/{pos}", params.merging(["pos": "0", "moveto": "4"]) { $1 })
        let moved = try #require(try sim.call("GET", "/nodes/{node}/qemu/{vmid}/firewall/rules", params).array)
        #expect(moved.last?["dport"] == "8080")
        let noProto = sim.failure("POST", "/cluster/firewall/rules", ["type": "in", "action": "ACCEPT", "dport": "22"])
        #expect(noProto?.errors["proto"] != nil)
    }
}

@Suite struct ClusterPoolHATests {
    let sim = TestCluster(taskSeconds: 0)

    @Test func poolsCRUD() throws {
        try sim.call("POST", "/pools", ["poolid": "dev", "comment": "developers"])
        try sim.call("PUT", "/pools", ["poolid": "dev", "vms": "103,200"])
        let dev = try #require(try sim.call("GET", "/pools", ["poolid": "dev"]).array?.first)
        #expect(dev["members"]?.array?.compactMap { $0["id"]?.string }.sorted() == ["lxc/200", "qemu/103"])
        let taken = sim.failure("PUT", "/pools", ["poolid": "dev", "vms": "100"])
        #expect(taken?.reason == "VM 100 belongs already to pool 'prod'")
        #expect(sim.failure("DELETE", "/pools", ["poolid": "dev"])?.reason == "delete pool failed: pool 'dev' is not empty")
        try sim.call("PUT", "/pools", ["poolid": "dev", "vms": "103,200", "delete": "1"])
        try sim.call("DELETE", "/pools", ["poolid": "dev"])
        #expect(try #require(try sim.call("GET", "/pools").array).compactMap { $0["poolid"]?.string } == ["lab", "prod"])
    }

    @Test func haResourcesCRUD() throws {
        try sim.call("POST", "/cluster/ha/resources", ["sid": "102", "state": "started", "comment": "db"])
        let resource = try sim.call("GET", "/cluster/ha/resources/{sid}", ["sid": "vm:102"])
        #expect(resource["type"] == "vm")
        #expect(sim.failure("POST", "/cluster/ha/resources", ["sid": "vm:102"])?.reason == "resource ID 'vm:102' already defined")
        #expect(sim.failure("POST", "/cluster/ha/resources", ["sid": "ct:102"])?.reason == "VM 102 is not a container")
        try sim.call("POST", "/cluster/ha/rules", ["rule": "db-pve1", "type": "node-affinity", "resources": "vm:102", "nodes": "pve1"])
        try sim.call("DELETE", "/cluster/ha/resources/{sid}", ["sid": "vm:102"])
        #expect(sim.failure("GET", "/cluster/ha/rules/{rule}", ["rule": "db-pve1"])?.reason == "no such ha rule 'db-pve1'")
        let status = try #require(try sim.call("GET", "/cluster/ha/status/current").array)
        #expect(status.contains { $0["sid"] == "vm:100" && $0["node"] == "pve1" })
    }

    @Test func accessTokensAndACL() throws {
        let created = try sim.call("POST", "/access/users/{userid}/token/{tokenid}", ["userid": "alice@pve", "tokenid": "new", "privsep": "1"])
        let secret = try #require(created["value"]?.string)
        #expect(created["full-tokenid"] == "alice@pve!new")
        #expect(sim.cluster.verifyToken(authid: "alice@pve!new", secret: secret)?.privilegeSeparated == true)
        let identity = SimIdentity(userid: "alice@pve", tokenID: "new", privilegeSeparated: true)
        #expect(try #require(try sim.call("GET", "/cluster/resources", ["type": "vm"], as: identity).array).isEmpty, "a new privsep token sees nothing")
        try sim.call("PUT", "/access/acl", ["path": "/vms/100", "roles": "PVEVMUser", "tokens": "alice@pve!new"])
        #expect(try sim.call("POST", "/nodes/{node}/qemu/{vmid}/status/reboot", ["node": "pve1", "vmid": "100"], as: identity).string != nil)
        #expect(sim.failure("POST", "/nodes/{node}/qemu/{vmid}/status/reboot", ["node": "pve1", "vmid": "102"], as: identity)?.status == 403)
        let permissions = try sim.call("GET", "/access/permissions", ["path": "/vms/100"], as: identity)
        #expect(permissions["/vms/100"]?["VM.PowerMgmt"] == .int(1))
        #expect(permissions["/vms/100"]?["VM.Allocate"] == nil)
        let roles = try #require(try sim.call("GET", "/access/roles").array)
        #expect(roles.contains { $0["roleid"] == "PVEAuditor" && $0["special"] == .int(1) })
    }
}
