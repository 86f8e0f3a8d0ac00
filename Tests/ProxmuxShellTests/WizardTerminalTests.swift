import Foundation
import Testing

/// The `create vm` wizard as a person uses it: the built `proxmux` binary in a tmux pane, talking to
/// the built `pve-sim`; keys typed with `send-keys`, the screen read with `capture-pane`.
/// Skipped (with the reason) when tmux or the built binaries are missing: `scripts/test.sh` builds them.
struct WizardTerminal {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let binDir = packageRoot.appendingPathComponent(".build/debug")
    static var available: Bool {
        FileManager.default.isExecutableFile(atPath: binDir.appendingPathComponent("proxmux").path)
            && FileManager.default.isExecutableFile(atPath: binDir.appendingPathComponent("pve-sim").path)
            && (try? run(["tmux", "-V"])) != nil
    }

    let session = "pmxwiz\(getpid())"
    let work: URL
    let simulator: Process

    init() throws {
        work = FileManager.default.temporaryDirectory.appendingPathComponent("pmx-wizard-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        let log = work.appendingPathComponent("sim.out")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        simulator = Process()
        simulator.executableURL = Self.binDir.appendingPathComponent("pve-sim")
        simulator.arguments = ["--port", "0", "--http", "--task-seconds", "1"]
        simulator.standardOutput = try FileHandle(forWritingTo: log)
        simulator.standardError = FileHandle.nullDevice
        try simulator.run()
        var url: String?
        for _ in 0..<100 where url == nil {
            let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            if let range = text.range(of: "listening on ") {
                url = text[range.upperBound...].split(whereSeparator: \.isWhitespace).first.map(String.init)
            } else {
                usleep(100_000)
            }
        }
        guard let url else {
            simulator.terminate()
            throw TerminalError("pve-sim did not start")
        }
        // The credentials come as shell assignments: token=... secret=...
        let credentials = try Self.run([Self.binDir.appendingPathComponent("pve-sim").path, "--print-credentials"])
        var values: [String: String] = [:]
        for line in credentials.split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1).map(String.init)
            if parts.count == 2 { values[parts[0]] = parts[1].trimmingCharacters(in: CharacterSet(charactersIn: "'\"")) }
        }
        let rc = work.appendingPathComponent("proxmuxrc")
        try "default-profile = sim\n\n[profile sim]\nurl = \(url)\ntoken = \(values["token"] ?? "")\nsecret = \(values["secret"] ?? "")\n"
            .write(to: rc, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: rc.path)
        let command = "cd \(work.path) && HOME=\(work.path) PROXMUX_CONFIG=\(rc.path) \(Self.binDir.appendingPathComponent("proxmux").path)"
        // The tmux server started here keeps the descriptors it inherits: give it no pipe to hold open.
        _ = try Self.run(["tmux", "new-session", "-d", "-s", session, "-x", "200", "-y", "60", command], output: false)
        do {
            try waitFor(":/>")
        } catch {
            stop()
            throw error
        }
    }

    func stop() {
        _ = try? Self.run(["tmux", "kill-session", "-t", session])
        simulator.terminate()
        simulator.waitUntilExit()
        try? FileManager.default.removeItem(at: work)
    }

    /// Types text (literally) and optionally presses keys such as `Enter`, `Tab`, `C-c`.
    func type(_ text: String, _ keys: String...) throws {
        if !text.isEmpty { _ = try Self.run(["tmux", "send-keys", "-t", session, "-l", text]) }
        for key in keys { _ = try Self.run(["tmux", "send-keys", "-t", session, key]) }
    }

    func screen() throws -> String { try Self.run(["tmux", "capture-pane", "-p", "-J", "-t", session, "-S", "-200"]) }

    /// Waits until the screen contains `text` `count` times (re-read every 0.1 s, for at most 30 s).
    /// tmux drops trailing blanks, so `text` should not end in one.
    @discardableResult
    func waitFor(_ text: String, count: Int = 1) throws -> String {
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            let shown = try screen()
            if shown.components(separatedBy: text).count - 1 >= count { return shown }
            usleep(100_000)
        }
        throw TerminalError("never saw '\(text)' (×\(count)) on screen:\n\(try screen())")
    }

    /// Runs a program (through `/bin/sh`, each argument single-quoted) and returns its standard output.
    /// popen rather than Foundation's Process: waiting on Process from a test thread stalled here.
    @discardableResult
    static func run(_ arguments: [String], output: Bool = true) throws -> String {
        let quoted = arguments.map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
        let command = quoted + " 2>/dev/null" + (output ? "" : " >/dev/null")
        guard let pipe = popen(command, "r") else { throw TerminalError("cannot run \(arguments.joined(separator: " "))") }
        var data = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = fread(&buffer, 1, buffer.count, pipe)
            if n <= 0 { break }
            data += buffer[0..<n]
        }
        let status = pclose(pipe)
        guard status == 0 else { throw TerminalError("\(arguments.joined(separator: " ")) failed (\(status))") }
        return String(decoding: data, as: UTF8.self)
    }
}

struct TerminalError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
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
    try t.waitFor("ballooning (empty: none):")
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
    for prompt in ["MAC address (empty: none):", "VLAN tag (empty: none):", "(yes/no) [yes]:", "[scsi0;ide2;net0]:"] {
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
