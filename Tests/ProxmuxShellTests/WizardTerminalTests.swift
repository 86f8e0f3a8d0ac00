import Foundation
import Testing
@testable import ProxmuxShell

/// The `create vm` wizard as a person uses it: the built `proxmux` binary in a tmux pane (a
/// `TmuxShell`), talking to the built `pve-sim` over HTTP; keys typed with `send-keys`, the screen
/// read with `capture-pane`. Skipped (with the reason) when tmux or the built binaries are missing:
/// `scripts/test.sh` builds them.
struct WizardTerminal {
    static let simulatorPath = URL(fileURLWithPath: Binary.path).deletingLastPathComponent().appendingPathComponent("pve-sim").path
    static var available: Bool {
        [Binary.path, simulatorPath, "/usr/bin/tmux"].allSatisfy { FileManager.default.isExecutableFile(atPath: $0) }
    }

    let work: String
    let simulator: Process
    let shell: TmuxShell

    init() throws {
        work = try TempDirectory.make()
        let log = work + "/sim.out"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        simulator = Process()
        simulator.executableURL = URL(fileURLWithPath: Self.simulatorPath)
        simulator.arguments = ["--port", "0", "--http", "--task-seconds", "1"]
        simulator.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        simulator.standardError = FileHandle.nullDevice
        try simulator.run()
        do {
            var url: String?
            for _ in 0..<100 where url == nil {
                let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
                if let range = text.range(of: "listening on ") {
                    url = text[range.upperBound...].split(whereSeparator: \.isWhitespace).first.map(String.init)
                } else {
                    usleep(100_000)
                }
            }
            guard let url else { throw ShellError("pve-sim did not start") }
            // The credentials come as shell assignments: token=... secret=...
            var values: [String: String] = [:]
            for line in try Spawn.run(Self.simulatorPath, ["--print-credentials"], capture: true).split(separator: "\n") {
                let parts = line.split(separator: "=", maxSplits: 1).map(String.init)
                if parts.count == 2 { values[parts[0]] = parts[1].trimmingCharacters(in: CharacterSet(charactersIn: "'\"")) }
            }
            let rc = work + "/proxmuxrc"
            try TempDirectory.write("default-profile = sim\n\n[profile sim]\nurl = \(url)\ntoken = \(values["token"] ?? "")\nsecret = \(values["secret"] ?? "")\n", to: rc)
            chmod(rc, 0o600)
            shell = try TmuxShell(extraEnvironment: "NO_COLOR=1 PROXMUX_CONFIG=\(rc)", width: 200, height: 60)
        } catch {
            simulator.terminate()
            simulator.waitUntilExit()
            TempDirectory.remove(work)
            throw error
        }
    }

    func stop() {
        simulator.terminate()
        simulator.waitUntilExit()
        TempDirectory.remove(work)
    }

    /// Types text (literally) and then presses keys such as `Enter`, `Tab`, `C-c`.
    func type(_ text: String, _ keys: String...) throws {
        if !text.isEmpty { try shell.type(text) }
        for key in keys { try shell.send(key) }
    }

    @discardableResult
    func waitFor(_ text: String, count: Int = 1) throws -> String { try shell.waitFor(text, count: count) }
}

@Test(.enabled(if: WizardTerminal.available, "needs tmux and the built proxmux and pve-sim (scripts/test.sh builds them)"))
func wizardInATerminal() throws {
    let t = try WizardTerminal()
    defer { t.stop() }
    try t.type("create vm", "Enter")
    try t.waitFor("Node:")
    try t.type("pve1", "Enter")
    try t.waitFor("VM id [105]:")
    try t.type("", "Enter")
    try t.waitFor("Name:")
    try t.type("web09", "Enter")
    try t.waitFor("ISO image for the CD drive (or none) [none]:")
    // TAB completes the ISO from the node's storages.
    try t.type("local:iso/deb", "Tab")
    try t.waitFor("[none]: local:iso/debian-12.8.0-amd64-netinst.iso")
    try t.type("", "Enter")
    try t.waitFor("Guest OS type [l26]:")
    try t.type("", "Enter")
    try t.waitFor("CPU cores per socket [1]:")
    try t.type("2", "Enter")
    try t.waitFor("CPU sockets [1]:")
    try t.type("", "Enter")
    try t.waitFor("CPU type [x86-64-v2-AES]:")
    try t.type("", "Enter")
    try t.waitFor("Memory in MiB [2048]:")
    try t.type("abc", "Enter")
    try t.waitFor("'abc' is not a whole number; enter the amount of memory in MiB (at least 16)")
    try t.waitFor("Memory in MiB [2048]:", count: 2)
    try t.type("1024", "Enter")
    try t.waitFor("ballooning (empty: same as memory):")
    try t.type("", "Enter")
    try t.waitFor("Storage for the disk [local-lvm]:")
    try t.type("local", "Enter")
    try t.waitFor("storage 'local' does not hold VM disks")
    try t.waitFor("Storage for the disk [local-lvm]:", count: 2)
    try t.type("", "Enter")
    try t.waitFor("Disk size in GiB [32]:")
    try t.type("8", "Enter")
    try t.waitFor("Disk format [raw]:")
    try t.type("", "Enter")
    try t.waitFor("Disk bus [scsi]:")
    try t.type("", "Enter")
    try t.waitFor("Network bridge [vmbr0]:")
    // TAB on the bridge: the common prefix, then the list of the node's bridges.
    try t.type("vm", "Tab")
    try t.waitFor("[vmbr0]: vmbr")
    try t.type("", "Tab")
    try t.waitFor("vmbr0  vmbr1")
    try t.type("9", "Enter")
    try t.waitFor("bridge 'vmbr9' does not exist on pve1; bridges: vmbr0, vmbr1")
    try t.type("vmbr1", "Enter")
    try t.waitFor("Network card model [virtio]:")
    for prompt in ["MAC address (empty: generated):", "VLAN tag (empty: untagged):", "(yes/no) [yes]:", "[scsi0;ide2;net0]:"] {
        try t.type("", "Enter")
        try t.waitFor(prompt)
    }
    try t.type("", "Enter")
    try t.waitFor("Start the VM after creating it (yes/no) [no]:")
    try t.type("", "Enter")
    try t.waitFor("Create this VM? (yes/no) [yes]:")
    // `<` goes back one step.
    try t.type("<", "Enter")
    try t.waitFor("Start the VM after creating it (yes/no) [no]:", count: 2)
    try t.type("yes", "Enter")
    try t.waitFor("Create this VM? (yes/no) [yes]:", count: 2)
    try t.type("", "Enter")
    let done = try t.waitFor("create vm 105 (web09): OK")
    #expect(done.contains("same as: create vm --node pve1 --vmid 105 --name web09 --iso local:iso/debian-12.8.0-amd64-netinst.iso"))
    #expect(done.contains("--bridge vmbr1") && done.contains("--boot-order 'scsi0;ide2;net0' --start"))
    try t.type("ls /vms", "Enter")
    try t.waitFor("web09")

    // Ctrl-C in the middle leaves with nothing created.
    try t.type("create vm", "Enter")
    try t.waitFor("Node:", count: 2)
    try t.type("pve2", "Enter")
    try t.waitFor("VM id [106]:")
    try t.type("", "C-c")
    try t.waitFor("cancelled; nothing was created")
    try t.type("api get /cluster/nextid", "Enter")
    let after = try t.waitFor("106", count: 2)
    #expect(!after.contains("create vm 106"))
}
