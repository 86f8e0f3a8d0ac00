import PVESchema
import Testing

@testable import PVESim

@Suite struct ClusterLifecycleTests {
    let sim = TestCluster(taskSeconds: 2)

    @Test func startRunsATaskThenTheVMIsRunning() throws {
        let upid = try #require(try sim.call("POST", "/nodes/{node}/qemu/{vmid}/status/start", ["node": "pve3", "vmid": "103"]).string)
        #expect(try sim.taskStatus(upid)["status"] == "running")
        #expect(try sim.status("qemu", "pve3", 103)["status"] == "stopped", "state changes when the task ends")
        sim.clock.advance(2.5)
        let status = try sim.taskStatus(upid)
        #expect(status["status"] == "stopped")
        #expect(status["exitstatus"] == "OK")
        #expect(try sim.status("qemu", "pve3", 103)["status"] == "running")
        #expect(try sim.taskLog(upid).last == "TASK OK")
    }

    @Test func upidHasTheRealFormat() throws {
        let upid = try #require(try sim.call("POST", "/nodes/{node}/qemu/{vmid}/status/stop", ["node": "pve1", "vmid": "100"]).string)
        let parts = upid.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        #expect(parts.count == 9)
        #expect(parts[0] == "UPID")
        #expect(parts[1] == "pve1")
        for index in 2...4 {
            #expect(parts[index].count == 8 && parts[index].allSatisfy(\.isHexDigit), "field \(index) is 8 hex digits")
        }
        #expect(UInt32(parts[4], radix: 16) == UInt32(sim.clock.now))
        #expect(parts[5] == "qmstop")
        #expect(parts[6] == "100")
        #expect(parts[7] == "root@pam")
        #expect(parts[8] == "")
    }

    @Test func brokenGuestFailsToStartInTheTask() throws {
        let upid = try #require(try sim.call("POST", "/nodes/{node}/qemu/{vmid}/status/start", ["node": "pve3", "vmid": "110"]).string)
        sim.finishTasks()
        let status = try sim.taskStatus(upid)
        #expect(status["exitstatus"] == "start failed: QEMU exited with code 1")
        #expect(try sim.taskLog(upid).last == "TASK ERROR: start failed: QEMU exited with code 1")
        #expect(try sim.status("qemu", "pve3", 110)["status"] == "stopped")
    }

    @Test func oldMachineVersionStartsWithAWarning() throws {
        try sim.call("POST", "/nodes/{node}/qemu/{vmid}/status/stop", ["node": "pve2", "vmid": "104"])
        sim.finishTasks()
        let upid = try #require(try sim.call("POST", "/nodes/{node}/qemu/{vmid}/status/start", ["node": "pve2", "vmid": "104"]).string)
        sim.finishTasks()
        #expect(try sim.taskStatus(upid)["exitstatus"] == "WARNINGS: 1")
        let log = try sim.taskLog(upid)
        #expect(log.last == "TASK WARNINGS: 1")
        #expect(log.contains { $0.hasPrefix("WARN: machine version 'pc-i440fx-5.1' is deprecated") })
        #expect(try sim.status("qemu", "pve2", 104)["status"] == "running")
    }

    @Test func containerInterfacesWhileRunning() throws {
        let rows = try #require(try sim.call("GET", "/nodes/{node}/lxc/{vmid}/interfaces", ["node": "pve1", "vmid": "200"]).array)
        #expect(rows.map { $0["name"]?.string ?? "" } == ["lo", "eth0"])
        #expect(rows[1]["inet"]?.string?.hasSuffix("/24") == true)
        #expect(sim.failure("GET", "/nodes/{node}/lxc/{vmid}/interfaces", ["node": "pve3", "vmid": "202"])?.reason == "container not running")
    }

    @Test func lockedGuestRefusesOperations() throws {
        let error = try #require(sim.failure("POST", "/nodes/{node}/lxc/{vmid}/status/start", ["node": "pve1", "vmid": "203"]))
        #expect(error.status == 500)
        #expect(error.reason == "CT is locked (backup)")
    }

    @Test func runningContainerCannotStartAgain() throws {
        let error = try #require(sim.failure("POST", "/nodes/{node}/lxc/{vmid}/status/start", ["node": "pve1", "vmid": "200"]))
        #expect(error.reason == "CT 200 already running")
    }

    @Test func shutdownOfStoppedVMFails() throws {
        let error = try #require(sim.failure("POST", "/nodes/{node}/qemu/{vmid}/status/shutdown", ["node": "pve3", "vmid": "103"]))
        #expect(error.reason == "VM 103 not running")
    }

    @Test func suspendAndResume() throws {
        try sim.call("POST", "/nodes/{node}/qemu/{vmid}/status/suspend", ["node": "pve1", "vmid": "100"])
        sim.finishTasks()
        #expect(try sim.status("qemu", "pve1", 100)["qmpstatus"] == "paused")
        try sim.call("POST", "/nodes/{node}/qemu/{vmid}/status/resume", ["node": "pve1", "vmid": "100"])
        sim.finishTasks()
        #expect(try sim.status("qemu", "pve1", 100)["qmpstatus"] == "running")
    }

    @Test func pausedVMRefusesPlainShutdown() throws {
        let error = try #require(sim.failure("POST", "/nodes/{node}/qemu/{vmid}/status/shutdown", ["node": "pve2", "vmid": "104"]))
        #expect(error.reason == "VM is paused - cannot shutdown")
        try sim.call("POST", "/nodes/{node}/qemu/{vmid}/status/shutdown", ["node": "pve2", "vmid": "104", "forceStop": "1"])
        sim.finishTasks()
        #expect(try sim.status("qemu", "pve2", 104)["status"] == "stopped")
    }

    @Test func stoppingATaskInterruptsIt() throws {
        let upid = try #require(try sim.call("POST", "/nodes/{node}/qemu/{vmid}/status/start", ["node": "pve3", "vmid": "103"]).string)
        try sim.call("DELETE", "/nodes/{node}/tasks/{upid}", ["node": "pve3", "upid": upid])
        sim.finishTasks()
        #expect(try sim.taskStatus(upid)["exitstatus"] == "interrupted by signal")
        #expect(try sim.taskLog(upid).last == "TASK ERROR: interrupted by signal")
        #expect(try sim.status("qemu", "pve3", 103)["status"] == "stopped", "an interrupted start leaves the VM stopped")
    }

    @Test func taskListsFilterAndShowRunningWithSourceAll() throws {
        let upid = try #require(try sim.call("POST", "/nodes/{node}/qemu/{vmid}/status/start", ["node": "pve3", "vmid": "103"]).string)
        let archive = try #require(try sim.call("GET", "/nodes/{node}/tasks", ["node": "pve3"]).array)
        #expect(!archive.contains { $0["upid"] == .string(upid) }, "the default source lists finished tasks only")
        let all = try #require(try sim.call("GET", "/nodes/{node}/tasks", ["node": "pve3", "source": "all", "vmid": "103"]).array)
        #expect(all.first?["upid"] == .string(upid))
        let cluster = try #require(try sim.call("GET", "/cluster/tasks").array)
        #expect(cluster.first?["upid"] == .string(upid))
        sim.finishTasks()
        let done = try #require(try sim.call("GET", "/nodes/{node}/tasks", ["node": "pve3", "typefilter": "qmstart", "statusfilter": "ok"]).array)
        #expect(done.first?["status"] == "OK")
        #expect(try #require(try sim.call("GET", "/nodes/{node}/tasks", ["node": "pve3", "typefilter": "qmstop"]).array).isEmpty)
    }
}

@Suite struct ClusterConfigTests {
    let sim = TestCluster(taskSeconds: 0)

    @Test func digestMismatchIsRejected() throws {
        let params = ["node": "pve3", "vmid": "103"]
        let config = try sim.call("GET", "/nodes/{node}/qemu/{vmid}/config", params)
        let digest = try #require(config["digest"]?.string)
        #expect(digest.count == 40)
        try sim.call("PUT", "/nodes/{node}/qemu/{vmid}/config", params.merging(["memory": "4096", "digest": digest]) { $1 })
        let error = try #require(sim.failure("PUT", "/nodes/{node}/qemu/{vmid}/config", params.merging(["cores": "8", "digest": digest]) { $1 }))
        #expect(error.reason == "detected modified configuration - file changed by other user? Try again.")
        let after = try sim.call("GET", "/nodes/{node}/qemu/{vmid}/config", params)
        #expect(after["memory"] == "4096")
        #expect(after["cores"] == .int(4), "the rejected change was not applied")
        #expect(after["digest"] != config["digest"])
    }

    @Test func runningVMKeepsColdChangesPending() throws {
        let params = ["node": "pve1", "vmid": "100"]
        try sim.call("PUT", "/nodes/{node}/qemu/{vmid}/config", params.merging(["cores": "4", "tags": "prod;web;new"]) { $1 })
        let pending = try #require(try sim.call("GET", "/nodes/{node}/qemu/{vmid}/pending", params).array)
        let cores = try #require(pending.first { $0["key"] == "cores" })
        #expect(cores["value"] == .int(2))
        #expect(cores["pending"] == .int(4))
        #expect(try sim.call("GET", "/nodes/{node}/qemu/{vmid}/config", params.merging(["current": "1"]) { $1 })["tags"] == "prod;web;new")
        try sim.call("POST", "/nodes/{node}/qemu/{vmid}/status/stop", params)
        try sim.call("GET", "/version")
        #expect(try sim.call("GET", "/nodes/{node}/qemu/{vmid}/config", params.merging(["current": "1"]) { $1 })["cores"] == .int(4))
    }

    @Test func deleteMovesDiskToUnused() throws {
        let params = ["node": "pve1", "vmid": "102"]
        try sim.call("PUT", "/nodes/{node}/qemu/{vmid}/config", params.merging(["delete": "scsi1"]) { $1 })
        let config = try sim.call("GET", "/nodes/{node}/qemu/{vmid}/config", params)
        #expect(config["scsi1"] == nil)
        #expect(config["unused0"] == "tank:vm-102-disk-1")
    }
}
