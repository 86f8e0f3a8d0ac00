import ProxmoxAPI
import PVESchema
import PVESim
import Testing
@testable import ProxmuxShell

/// The seeded simulated cluster (`SimulatedCluster`) behind the real HTTP front, reached with the
/// real client. Stopped when released.
final class TaskSimShell {
    let simulator: Simulator
    let session: Session
    let dispatcher: CommandDispatcher
    let console: Console

    init(taskSeconds: Double = 0.3, interactive: Bool = false, prompter: Prompter? = nil) throws {
        simulator = try Simulator(cluster: SimulatedCluster(options: ClusterOptions(taskSeconds: taskSeconds)),
                                  options: SimulatorOptions(port: 0, tls: false, threads: 1))
        let settings = ConnectionSettings(url: "http://127.0.0.1:\(simulator.port)",
                                          credentials: .token(tokenID: SimCredentials.rootTokenID, secret: SimCredentials.rootTokenSecret))
        let backend = PVEClientBackend(client: PVEClient(settings: settings))
        backend.pollInterval = .milliseconds(20)
        var shellSettings = ShellSettings()
        shellSettings.interactive = interactive
        console = .capturing()
        (session, dispatcher) = ShellEnvironment.make(profileName: "sim", settings: shellSettings, console: console, connect: { backend })
        session.prompter = prompter
    }

    deinit { simulator.shutdown() }

    /// Runs one command line (lexed like the shell does); returns what it printed on stdout.
    @discardableResult
    func run(_ line: String) throws -> String {
        let before = console.capturedOutput.out.count
        guard case .complete(let commands) = try Lexer.lex(line) else { throw ShellError("incomplete line") }
        for command in commands {
            let words = try Expander(variables: [:], arguments: []).expand(command).map(\.text)
            try dispatcher.execute(words: words, at: .prompt)
        }
        return String(console.capturedOutput.out.dropFirst(before))
    }

    func failure(_ line: String) -> String? {
        do { try run(line); return nil } catch let error as ShellError { return error.message } catch { return "\(error)" }
    }

    func api() throws -> APIBackend { try session.api() }
}

@Test func createVMFromFlagsAgainstTheSimulator() throws {
    let shell = try TaskSimShell()
    let out = try shell.run("create vm --node pve1 --name web05 --memory 1024 --storage local-lvm --disk-size 8 --bridge vmbr1 --vlan 20")
    #expect(out.contains("create vm 105 (web05): OK"))
    let config = try shell.api().get("/nodes/pve1/qemu/105/config")
    #expect(config["name"] == "web05")
    #expect(config["memory"]?.string == "1024")
    #expect(config["scsihw"] == "virtio-scsi-single")
    #expect(config["scsi0"]?.string?.hasPrefix("local-lvm:vm-105-disk-0") == true)
    #expect(config["net0"]?.string?.contains("bridge=vmbr1") == true)
    #expect(config["net0"]?.string?.contains("tag=20") == true)
    // The VM is listed at once (the completion cache was invalidated).
    #expect(try shell.run("ls /vms").contains("web05"))
}

@Test func createVMRejectsBadFlagsAgainstTheSimulator() throws {
    let shell = try TaskSimShell()
    #expect(shell.failure("create vm --node pve1 --name x --vmid 100")
        == "--vmid: VM id 100 is taken by vm 100 (web01) on pve1; the next free id is 105")
    #expect(shell.failure("create vm --node pve1 --name x --storage local")?
        .hasPrefix("--storage: storage 'local' does not hold VM disks (content: ") == true)
    #expect(shell.failure("create vm --node pve1 --name x --bridge vmbr7")?.hasPrefix("--bridge: bridge 'vmbr7' does not exist on pve1; bridges: vmbr0") == true)
    #expect(shell.failure("create vm --node pve1 --name x --memory abc") == "--memory: 'abc' is not an integer (valid: ≥ 16)")
    #expect(shell.failure("create vm --memory 512")
        == "create vm: missing required flags --node, --name (input is not a terminal, so nothing is asked)")
    // Nothing was created by any of them.
    #expect(throws: (any Error).self) { try shell.api().get("/nodes/pve1/qemu/105/config") }
}

struct SimFormatCase: Sendable, CustomStringConvertible {
    let storage: String
    let format: String?
    let expectedFormat: String?
    let error: String?
    var description: String { "\(storage) \(format ?? "-")" }
}

@Test(arguments: [
    SimFormatCase(storage: "local-lvm", format: nil, expectedFormat: "raw", error: nil),
    SimFormatCase(storage: "tank", format: nil, expectedFormat: "raw", error: nil),
    SimFormatCase(storage: "nas", format: nil, expectedFormat: "qcow2", error: nil),
    SimFormatCase(storage: "nas", format: "vmdk", expectedFormat: "vmdk", error: nil),
    SimFormatCase(storage: "tank", format: "qcow2", expectedFormat: nil,
                  error: "--disk-format: format 'qcow2' is not possible on tank (type zfspool); valid: raw"),
])
func diskFormatPerStorageTypeAgainstTheSimulator(_ c: SimFormatCase) throws {
    let shell = try TaskSimShell()
    let format = c.format.map { " --disk-format \($0)" } ?? ""
    let line = "create vm --node pve1 --name f1 --storage \(c.storage)\(format) --dry-run"
    if let error = c.error {
        #expect(shell.failure(line) == error)
        return
    }
    let out = try shell.run(line)
    #expect(out.contains("scsi0=\(c.storage):32,format=\(c.expectedFormat ?? "")"), "\(out)")
}

/// Answers for every step in order (see `CreateVMWizard.steps`), then the confirmation.
private let simAnswers: [String?] = [
    "pve1", "", "web09", "debian", "", "2", "", "", "2048", "", "", "16", "", "", "vmbr1", "", "", "", "", "", "no", "yes",
]

@Test func wizardAndItsPrintedCommandSendTheSameRequest() throws {
    // The ISO step: the seeded Debian image is on two storages, so its bare name is asked again.
    var answers = simAnswers
    answers.replaceSubrange(3...3, with: ["debian-12.8.0-amd64-netinst.iso", SimSeed.debianISO])
    let prompter = ScriptedPrompter(answers)
    let shell = try TaskSimShell(interactive: true, prompter: prompter)
    let out = try shell.run("create vm --dry-run")
    #expect(shell.console.capturedOutput.err.contains("'debian-12.8.0-amd64-netinst.iso' is on several storages: local:iso/debian-12.8.0-amd64-netinst.iso, nas:iso/debian-12.8.0-amd64-netinst.iso; give the full volume id"))
    let recorded = out.split(separator: "\n").filter { $0.hasPrefix("dry run: POST") }
    #expect(recorded.count == 1, "\(out)\n\(shell.console.capturedOutput.err)")
    let same = try #require(out.split(separator: "\n").first { $0.hasPrefix("same as: ") })
    // The printed line, run as a script line would be (not interactive, no questions), records the same request.
    let replay = try TaskSimShell()
    let replayOut = try replay.run(String(same.dropFirst("same as: ".count)) + " --dry-run")
    #expect(replayOut.split(separator: "\n").filter { $0.hasPrefix("dry run: POST") } == recorded)
    #expect(recorded.first?.contains("ide2=local:iso/debian-12.8.0-amd64-netinst.iso,media=cdrom") == true)
    #expect(recorded.first?.contains("boot=order=scsi0;ide2;net0") == true)
}

@Test func abortedWizardCreatesNothingOnTheSimulator() throws {
    let prompter = ScriptedPrompter(Array(simAnswers.prefix(8)) + [nil])
    let shell = try TaskSimShell(interactive: true, prompter: prompter)
    let out = try shell.run("create vm")
    #expect(out.contains("cancelled; nothing was created"))
    #expect(throws: (any Error).self) { try shell.api().get("/nodes/pve1/qemu/105/config") }
    #expect(try shell.api().get("/cluster/nextid").int == 105)
}
