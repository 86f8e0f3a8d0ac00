import PVESchema
import Testing

@testable import PVESim

@Suite struct ClusterCreateTests {
    let sim = TestCluster(taskSeconds: 2)

    func create(_ extra: [String: String]) throws(SimError) -> JSON {
        try sim.call("POST", "/nodes/{node}/qemu", ["node": "pve1", "vmid": "105", "name": "new01"].merging(extra) { $1 })
    }

    @Test func createsVMWithDiskAndLocksItWhileTheTaskRuns() throws {
        let upid = try #require(try create([
            "memory": "2048", "cores": "2", "scsi0": "local-lvm:32", "ide2": "\(SimSeed.debianISO),media=cdrom",
            "net0": "virtio,bridge=vmbr0,firewall=1", "ostype": "l26",
        ]).string)
        #expect(upid.contains(":qmcreate:105:root@pam:"))
        let during = try sim.call("GET", "/nodes/{node}/qemu/{vmid}/config", ["node": "pve1", "vmid": "105"])
        #expect(during["lock"] == "create")
        sim.finishTasks()
        let config = try sim.call("GET", "/nodes/{node}/qemu/{vmid}/config", ["node": "pve1", "vmid": "105"])
        #expect(config["lock"] == nil)
        #expect(config["scsi0"] == "local-lvm:vm-105-disk-0,size=32G")
        #expect(config["net0"]?.string?.hasPrefix("virtio=BC:24:11:") == true)
        let images = try #require(try sim.call("GET", "/nodes/{node}/storage/{storage}/content", ["node": "pve1", "storage": "local-lvm", "vmid": "105"]).array)
        #expect(images.first?["volid"] == "local-lvm:vm-105-disk-0")
        #expect(try sim.taskLog(upid).contains("scsi0: successfully created disk 'local-lvm:vm-105-disk-0,size=32G'"))
        #expect(try sim.call("GET", "/cluster/nextid") == .string("106"))
    }

    @Test func takenVMIDIsRefused() throws {
        let error = try #require(sim.failure("POST", "/nodes/{node}/qemu", ["node": "pve1", "vmid": "101"]))
        #expect(error.reason == "unable to create VM 101 - VM 101 already exists on node 'pve2'")
    }

    @Test(arguments: [
        (["scsi0": "nope:32"], "storage 'nope' does not exist"),
        (["scsi0": "local:32"], "storage 'local' does not support vm images"),
        (["scsi0": "tank:32"], "storage 'tank' is not available on node 'pve3'"),
        (["scsi0": "local-lvm:32,format=qcow2"], "unable to create VM 105 - unsupported format 'qcow2' (storage 'local-lvm' of type 'lvmthin' supports: raw)"),
        (["ide2": "local:iso/missing.iso,media=cdrom"], "volume 'local:iso/missing.iso' does not exist"),
        (["net0": "virtio,bridge=vmbr9"], "bridge 'vmbr9' does not exist on node 'pve3'"),
    ])
    func badCreateRequestsAreRefusedAndNothingIsCreated(extra: [String: String], message: String) throws {
        let error = try #require(sim.failure("POST", "/nodes/{node}/qemu", ["node": "pve3", "vmid": "105"].merging(extra) { $1 }))
        #expect(error.status == 500)
        #expect(error.reason == message)
        #expect(try sim.call("GET", "/cluster/nextid") == .string("105"))
    }

    @Test(arguments: ["local-lvm:1e30", "local-lvm:nan", "local-lvm:-4"])
    func absurdDiskSizesAreParameterErrors(disk: String) throws {
        let error = try #require(sim.failure("POST", "/nodes/{node}/qemu", ["node": "pve1", "vmid": "105", "scsi0": disk]))
        #expect(error.status == 400)
        #expect(error.errors["scsi0"]?.contains("invalid size") == true)
        let resize = try #require(sim.failure("PUT", "/nodes/{node}/qemu/{vmid}/resize", ["node": "pve1", "vmid": "100", "disk": "scsi0", "size": "+1e30G"]))
        #expect(resize.status == 400)
    }

    @Test func qcow2IsFineOnNFS() throws {
        _ = try create(["scsi0": "nas:16,format=qcow2"])
        sim.finishTasks()
        let config = try sim.call("GET", "/nodes/{node}/qemu/{vmid}/config", ["node": "pve1", "vmid": "105"])
        #expect(config["scsi0"] == "nas:105/vm-105-disk-0.qcow2,format=qcow2,size=16G")
    }

    @Test func containerCreateAndRestore() throws {
        let upid = try #require(try sim.call("POST", "/nodes/{node}/lxc", [
            "node": "pve1", "vmid": "300", "ostemplate": SimSeed.debianTemplate, "hostname": "ct300", "rootfs": "local-lvm:8",
            "net0": "name=eth0,bridge=vmbr0,ip=dhcp", "password": "not-stored",
        ]).string)
        #expect(upid.contains(":vzcreate:300:"))
        sim.finishTasks()
        let config = try sim.call("GET", "/nodes/{node}/lxc/{vmid}/config", ["node": "pve1", "vmid": "300"])
        #expect(config["rootfs"] == "local-lvm:vm-300-disk-0,size=8G")
        #expect(config["ostype"] == "debian")
        #expect(config["password"] == nil)
        let restore = try #require(try sim.call("POST", "/nodes/{node}/lxc", [
            "node": "pve2", "vmid": "301", "ostemplate": SimSeed.ctBackup, "restore": "1", "storage": "local-lvm",
        ]).string)
        #expect(restore.contains(":vzrestore:301:"))
        sim.finishTasks()
        #expect(try sim.call("GET", "/nodes/{node}/lxc/{vmid}/config", ["node": "pve2", "vmid": "301"])["hostname"] == "dns01")
    }

    @Test func cloneOfTemplateLogsProgressAndCreatesTheCopy() throws {
        let upid = try #require(try sim.call("POST", "/nodes/{node}/qemu/{vmid}/clone", [
            "node": "pve1", "vmid": "9000", "newid": "120", "name": "web03", "full": "1", "storage": "local-lvm",
        ]).string)
        #expect(try sim.call("GET", "/nodes/{node}/qemu/{vmid}/config", ["node": "pve1", "vmid": "120"])["lock"] == "clone")
        sim.finishTasks()
        let log = try sim.taskLog(upid)
        #expect(log.contains("transferred 8.0 GiB of 8.0 GiB (100.00%)"))
        #expect(log.contains { $0.hasPrefix("transferred 2.0 GiB of 8.0 GiB (25.00%)") })
        let config = try sim.call("GET", "/nodes/{node}/qemu/{vmid}/config", ["node": "pve1", "vmid": "120"])
        #expect(config["name"] == "web03")
        #expect(config["template"] == nil)
        #expect(config["scsi0"]?.string?.hasPrefix("local-lvm:vm-120-disk-0") == true)
    }
}

@Suite struct ClusterSnapshotTests {
    let sim = TestCluster(taskSeconds: 0)
    let params = ["node": "pve1", "vmid": "100"]

    @Test func createListRollbackDelete() throws {
        try sim.call("POST", "/nodes/{node}/qemu/{vmid}/snapshot", params.merging(["snapname": "before", "description": "x"]) { $1 })
        try sim.call("PUT", "/nodes/{node}/qemu/{vmid}/config", params.merging(["memory": "4096"]) { $1 })
        var list = try #require(try sim.call("GET", "/nodes/{node}/qemu/{vmid}/snapshot", params).array)
        #expect(list.map { $0["name"]?.string ?? "" } == ["before", "current"])
        #expect(list.last?["parent"] == "before")
        let duplicate = try #require(sim.failure("POST", "/nodes/{node}/qemu/{vmid}/snapshot", params.merging(["snapname": "before"]) { $1 }))
        #expect(duplicate.reason == "snapshot name 'before' already used")
        try sim.call("POST", "/nodes/{node}/qemu/{vmid}/snapshot/{snapname}/rollback", params.merging(["snapname": "before"]) { $1 })
        try sim.call("GET", "/version")
        let config = try sim.call("GET", "/nodes/{node}/qemu/{vmid}/config", params.merging(["current": "1"]) { $1 })
        #expect(config["memory"] == "2048")
        try sim.call("DELETE", "/nodes/{node}/qemu/{vmid}/snapshot/{snapname}", params.merging(["snapname": "before"]) { $1 })
        try sim.call("GET", "/version")
        list = try #require(try sim.call("GET", "/nodes/{node}/qemu/{vmid}/snapshot", params).array)
        #expect(list.map { $0["name"]?.string ?? "" } == ["current"])
    }

    @Test func missingSnapshot() {
        let error = sim.failure("POST", "/nodes/{node}/qemu/{vmid}/snapshot/{snapname}/rollback", params.merging(["snapname": "nope"]) { $1 })
        #expect(error?.reason == "snapshot 'nope' does not exist")
    }
}

@Suite struct ClusterPermissionTests {
    let sim = TestCluster(taskSeconds: 0)

    @Test func privilegeSeparatedTokenGets403() {
        let error = sim.failure("POST", "/nodes/{node}/qemu/{vmid}/status/start", ["node": "pve3", "vmid": "103"], as: TestCluster.aliceToken)
        #expect(error?.status == 403)
        #expect(error?.reason == "Permission check failed (/vms/103, VM.PowerMgmt)")
    }

    @Test func tokenSeesGuestsButNotStorages() throws {
        let rows = try #require(try sim.call("GET", "/cluster/resources", as: TestCluster.aliceToken).array)
        #expect(rows.contains { $0["id"] == "qemu/100" })
        #expect(!rows.contains { $0["type"] == "storage" })
        #expect(try sim.call("GET", "/nodes/{node}/qemu/{vmid}/status/current", ["node": "pve1", "vmid": "100"], as: TestCluster.aliceToken)["name"] == "web01")
    }

    @Test func aliceHerselfMayStartVMs() throws {
        #expect(try sim.call("POST", "/nodes/{node}/qemu/{vmid}/status/start", ["node": "pve3", "vmid": "103"], as: TestCluster.alice).string != nil)
    }

    @Test func credentialsResolve() {
        #expect(sim.cluster.verifyPassword(userid: "root@pam", password: SimCredentials.rootPassword))
        #expect(!sim.cluster.verifyPassword(userid: "root@pam", password: "wrong"))
        #expect(!sim.cluster.verifyPassword(userid: "bob@pve", password: "bob-secret"), "bob is disabled")
        #expect(sim.cluster.verifyToken(authid: SimCredentials.aliceTokenID, secret: SimCredentials.aliceTokenSecret)
            == SimIdentity(userid: "alice@pve", tokenID: "auto", privilegeSeparated: true))
        #expect(sim.cluster.verifyToken(authid: SimCredentials.rootTokenID, secret: "nope") == nil)
        #expect(sim.cluster.totpSecret(userid: SimCredentials.tfaUser) == SimCredentials.tfaTOTPSecret)
    }
}

@Suite struct ClusterScaleTests {
    @Test func twentyThousandGuestsBuildAndList() throws {
        let clock = ContinuousClock()
        var sim: TestCluster?
        let build = clock.measure { sim = TestCluster(extraGuests: 20_000) }
        let cluster = try #require(sim)
        #expect(build < .seconds(3), "seeding took \(build) (about 0.7 s in a debug build)")
        let rows = try #require(try cluster.call("GET", "/cluster/resources", ["type": "vm"]).array)
        #expect(rows.count == 20_000 + SimSeed.vms.count + SimSeed.containers.count)
        #expect(rows.contains { $0["name"] == "load-20000" })
    }
}
