import ProxmoxAPI
import PVESchema
import Testing
@testable import ProxmuxShell

/// Answers in step order for a full interactive run; index names make the edits in tests readable.
private let stepKeys = CreateVMWizard.steps(data: LiveCreateVMData(client: FakeTaskCluster()), contextNode: nil).map(\.key)

private func fullAnswers(_ overrides: [String: String?] = [:]) -> [String?] {
    let base: [String: String] = [
        "node": "pve1", "vmid": "", "name": "web", "iso": "debian-12.iso", "ostype": "", "cores": "2", "sockets": "",
        "cpu": "host", "memory": "4096", "balloon": "", "storage": "local-lvm", "disk-size": "40", "disk-format": "",
        "disk-bus": "", "bridge": "vmbr1", "net-model": "", "mac": "", "vlan": "10", "firewall": "", "boot-order": "", "start": "yes",
    ]
    return stepKeys.map { key in overrides[key] ?? base[key] } + ["yes"]
}

private let expectedFullRequest: [String: String] = [
    "vmid": "102", "name": "web", "ostype": "l26", "cores": "2", "sockets": "1", "cpu": "host", "memory": "4096",
    "scsihw": "virtio-scsi-single", "scsi0": "local-lvm:40,format=raw", "ide2": "local:iso/debian-12.iso,media=cdrom",
    "net0": "model=virtio,bridge=vmbr1,tag=10,firewall=1", "boot": "order=scsi0;ide2;net0", "start": "1",
]

private func env(_ fake: FakeTaskCluster, _ console: Console, prompter: Prompter?, context: String? = nil, dryRun: Bool = false) -> TaskEnvironment {
    var settings = ShellSettings()
    settings.dryRun = dryRun
    return TaskEnvironment(client: fake, console: console, tasks: TaskCenter(), settings: settings, prompter: prompter,
                           contextNode: context, pollInterval: 0.001)
}

private func create(_ flags: [String: String] = [:], fake: FakeTaskCluster, console: Console = .capturing(), prompter: Prompter?,
                    context: String? = nil) throws -> CommandOutput {
    try CreateCommands.runCreateVM(invocation(CreateCommands.createVM, [], flags), env(fake, console, prompter: prompter, context: context))
}

@Test func wizardAsksEveryStepAndSendsTheRequest() throws {
    let fake = FakeTaskCluster()
    let console = Console.capturing()
    let prompter = ScriptedPrompter(fullAnswers())
    let output = try create(fake: fake, console: console, prompter: prompter)
    #expect(prompter.remainingAnswers == 0)
    #expect(fake.mutations.count == 1)
    #expect(fake.mutations.first?.path == "/nodes/pve1/qemu")
    #expect(fake.mutations.first?.form == expectedFullRequest)
    #expect(messageText(output) == "create vm 102 (web): OK")
    // Defaults offered: the next free id, the first usable storage, the format for its type.
    #expect(prompter.asked[1].defaultValue == "102")
    #expect(prompter.asked[12].question == "Disk format")
    #expect(prompter.asked[12].defaultValue == "raw")
    #expect(prompter.asked[12].choices.map(\.value) == ["raw"])
    // ISO choices come from every storage with iso content on the node, plus none.
    #expect(prompter.asked[3].choices.map(\.value) == ["none", "isos:iso/ubuntu-24.04.iso", "local:iso/debian-12.iso"])
    #expect(prompter.asked[3].complete("isos").map(\.value) == ["isos:iso/ubuntu-24.04.iso"])
    #expect(prompter.asked[14].choices.map(\.value) == ["vmbr0", "vmbr1"])
    #expect(prompter.asked[4].choices.first == Completion("l26", detail: "Linux 2.6 - 6.x kernel"))
    let out = console.capturedOutput.out
    #expect(out.contains("Summary:"))
    #expect(out.contains("same as: create vm --node pve1 --vmid 102 --name web --iso local:iso/debian-12.iso --ostype l26 --cores 2"))
    #expect(out.contains("--boot-order 'scsi0;ide2;net0' --start"))
}

struct BadAnswer: Sendable, CustomStringConvertible {
    let key: String
    let bad: String
    let message: String
    var description: String { "\(key)=\(bad)" }
}

@Test(arguments: [
    BadAnswer(key: "vmid", bad: "100", message: "VM id 100 is taken by vm 100 (db01) on pve1; the next free id is 102"),
    BadAnswer(key: "vmid", bad: "101", message: "VM id 101 is taken by container 101 (web01) on pve2; the next free id is 102"),
    BadAnswer(key: "vmid", bad: "42", message: "'42' is not a VM id; use a whole number from 100 to 999999999"),
    BadAnswer(key: "memory", bad: "abc", message: "'abc' is not a whole number; enter the amount of memory in MiB (at least 16)"),
    BadAnswer(key: "memory", bad: "8", message: "8 is too small for the amount of memory in MiB; the minimum is 16"),
    BadAnswer(key: "storage", bad: "isos", message: "storage 'isos' does not hold VM disks (content: iso); storages for disks on pve1: local, local-lvm"),
    BadAnswer(key: "storage", bad: "ceph", message: "no storage 'ceph' on pve1; storages for disks on pve1: local, local-lvm"),
    BadAnswer(key: "bridge", bad: "vmbr9", message: "bridge 'vmbr9' does not exist on pve1; bridges: vmbr0, vmbr1"),
    BadAnswer(key: "node", bad: "pve3", message: "node 'pve3' is offline"),
    BadAnswer(key: "node", bad: "pve7", message: "no node 'pve7'; nodes: pve1, pve2, pve3"),
    BadAnswer(key: "name", bad: "-web", message: "'-web' is not a valid VM name; use letters, digits and '-' (not at the start or end), parts separated by '.'"),
    BadAnswer(key: "iso", bad: "win.iso", message: "no ISO image 'win.iso' on pve1; available: isos:iso/ubuntu-24.04.iso, local:iso/debian-12.iso (or none)"),
    BadAnswer(key: "mac", bad: "01:00:00:00:00:01", message: "'01:00:00:00:00:01' is a multicast address; the first byte must be even"),
    BadAnswer(key: "vlan", bad: "5000", message: "'5000' is not a VLAN tag; use a number from 1 to 4094, or leave it empty"),
    BadAnswer(key: "boot-order", bad: "scsi0;sata3", message: "'sata3' is not a device of this VM; boot devices: scsi0, ide2, net0 (separated by ';')"),
])
func badAnswersAreRejectedAtOnceAndAskedAgain(_ c: BadAnswer) throws {
    let fake = FakeTaskCluster()
    let console = Console.capturing()
    var answers = fullAnswers()
    let index = try #require(stepKeys.firstIndex(of: c.key))
    answers.insert(c.bad, at: index)  // the bad answer first, then the good one from the full list
    let prompter = ScriptedPrompter(answers)
    _ = try create(fake: fake, console: console, prompter: prompter)
    #expect(console.capturedOutput.err.contains(c.message + "\n"))
    #expect(prompter.asked[index].question == prompter.asked[index + 1].question, "the same question is asked again")
    #expect(fake.mutations.first?.form == expectedFullRequest, "the request is the same as without the bad answer")
}

@Test func lessThanGoesBackAStep() throws {
    let fake = FakeTaskCluster()
    var answers = fullAnswers()
    let nameIndex = try #require(stepKeys.firstIndex(of: "name"))
    // At the name question: go back, give a different VMID, then continue.
    answers.replaceSubrange(nameIndex...nameIndex, with: ["<", "150", "web"])
    let prompter = ScriptedPrompter(answers)
    _ = try create(fake: fake, prompter: prompter)
    #expect(prompter.asked.map(\.question)[nameIndex...(nameIndex + 2)] == ["Name", "VM id", "Name"])
    #expect(prompter.asked[nameIndex + 1].defaultValue == "102", "the earlier answer is offered again")
    #expect(fake.mutations.first?.form["vmid"] == "150")
}

@Test func backFromTheConfirmationReturnsToTheLastQuestion() throws {
    let fake = FakeTaskCluster()
    var answers = fullAnswers()
    answers.removeLast(2)  // start + confirmation
    answers += ["no", "<", "yes", "yes"]
    let prompter = ScriptedPrompter(answers)
    _ = try create(fake: fake, prompter: prompter)
    #expect(prompter.asked.suffix(3).map(\.question) == [
        "Create this VM? (yes/no)", "Start the VM after creating it (yes/no)", "Create this VM? (yes/no)",
    ])
    #expect(fake.mutations.first?.form["start"] == "1")
}

@Test(arguments: [2, 10, 21])
func abortAtAnyStepCreatesNothing(_ step: Int) throws {
    let fake = FakeTaskCluster()
    let prompter = ScriptedPrompter(Array(fullAnswers().prefix(step)) + [nil])
    let output = try create(fake: fake, prompter: prompter)
    #expect(messageText(output) == "cancelled; nothing was created")
    #expect(fake.mutations.isEmpty)
}

@Test func decliningTheConfirmationCreatesNothing() throws {
    let fake = FakeTaskCluster()
    var answers = fullAnswers()
    answers[answers.count - 1] = "no"
    let output = try create(fake: fake, prompter: ScriptedPrompter(answers))
    #expect(messageText(output) == "cancelled; nothing was created")
    #expect(fake.mutations.isEmpty)
}

@Test func nonTerminalWithMissingRequiredFlagsListsThemAll() {
    let fake = FakeTaskCluster()
    #expect(throws: ShellError("create vm: missing required flags --node, --name (input is not a terminal, so nothing is asked)")) {
        try create(["memory": "1024"], fake: fake, prompter: nil)
    }
    #expect(fake.mutations.isEmpty)
}

@Test func theCurrentNodeSatisfiesNode() throws {
    let fake = FakeTaskCluster()
    #expect(throws: ShellError("create vm: missing required flag --name (input is not a terminal, so nothing is asked)")) {
        try create([:], fake: fake, prompter: nil, context: "pve1")
    }
    _ = try create(["name": "web"], fake: fake, prompter: nil, context: "pve1")
    #expect(fake.mutations.first?.path == "/nodes/pve1/qemu")
}

@Test func allRequiredFlagsMeanNoQuestionsEvenOnATerminal() throws {
    let fake = FakeTaskCluster()
    let prompter = ScriptedPrompter([])
    let output = try create(["node": "pve2", "name": "db", "memory": "1024", "start": "1"], fake: fake, prompter: prompter)
    #expect(prompter.asked.isEmpty)
    #expect(messageText(output) == "create vm 102 (db): OK")
    #expect(fake.mutations.first?.form == [
        "vmid": "102", "name": "db", "ostype": "l26", "cores": "1", "sockets": "1", "cpu": "x86-64-v2-AES", "memory": "1024",
        "scsihw": "virtio-scsi-single", "scsi0": "local:32,format=qcow2", "net0": "model=virtio,bridge=vmbr0,firewall=1",
        "boot": "order=scsi0;net0", "start": "1",
    ])
}

@Test func invalidFlagValuesAreErrorsWithoutATerminal() {
    let fake = FakeTaskCluster()
    #expect(throws: ShellError("--memory: 'abc' is not a whole number; enter the amount of memory in MiB (at least 16)")) {
        try create(["node": "pve1", "name": "web", "memory": "abc"], fake: fake, prompter: nil)
    }
    #expect(throws: ShellError("--vmid: VM id 100 is taken by vm 100 (db01) on pve1; the next free id is 102")) {
        try create(["node": "pve1", "name": "web", "vmid": "100"], fake: fake, prompter: nil)
    }
    #expect(fake.mutations.isEmpty)
}

@Test func invalidFlagValueIsAskedForOnATerminal() throws {
    let fake = FakeTaskCluster()
    let console = Console.capturing()
    var answers = fullAnswers()
    let bridge = try #require(stepKeys.firstIndex(of: "bridge"))
    answers.remove(at: bridge)
    _ = try create(["bridge": "vmbr7"], fake: fake, console: console, prompter: ScriptedPrompter(Array(answers.prefix(bridge)) + ["vmbr1"] + answers.suffix(from: bridge)))
    #expect(console.capturedOutput.err.contains("--bridge: bridge 'vmbr7' does not exist on pve1; bridges: vmbr0, vmbr1"))
    #expect(fake.mutations.first?.form["net0"] == "model=virtio,bridge=vmbr1,tag=10,firewall=1")
}

struct FormatCase: Sendable, CustomStringConvertible {
    let node: String
    let storage: String
    let format: String?
    let disk: String?
    let error: String?
    var description: String { "\(storage) \(format ?? "default")" }
}

@Test(arguments: [
    FormatCase(node: "pve1", storage: "local-lvm", format: nil, disk: "local-lvm:32,format=raw", error: nil),
    FormatCase(node: "pve1", storage: "local", format: nil, disk: "local:32,format=qcow2", error: nil),
    FormatCase(node: "pve1", storage: "local", format: "vmdk", disk: "local:32,format=vmdk", error: nil),
    FormatCase(node: "pve1", storage: "local", format: "raw", disk: "local:32,format=raw", error: nil),
    FormatCase(node: "pve1", storage: "local-lvm", format: "qcow2", disk: nil,
               error: "--disk-format: format 'qcow2' is not possible on local-lvm (type lvmthin); valid: raw"),
])
func diskFormatFollowsTheStorageType(_ c: FormatCase) throws {
    let fake = FakeTaskCluster()
    var flags = ["node": c.node, "name": "web", "storage": c.storage]
    flags["disk-format"] = c.format
    if let error = c.error {
        #expect(throws: ShellError(error)) { try create(flags, fake: fake, prompter: nil) }
    } else {
        _ = try create(flags, fake: fake, prompter: nil)
        #expect(fake.mutations.first?.form["scsi0"] == c.disk)
    }
}

@Test(arguments: [("dir", ["qcow2", "raw", "vmdk"]), ("nfs", ["qcow2", "raw", "vmdk"]), ("lvmthin", ["raw"]), ("lvm", ["raw"]),
                  ("zfspool", ["raw"]), ("rbd", ["raw"])])
func formatsPerStorageType(_ type: String, _ formats: [String]) {
    #expect(CreateVMWizard.diskFormats(forStorageType: type) == formats)
}

/// Splits a printed command line into words with the shell's own lexer; it must be one command.
private func words(_ line: String) throws -> [String] {
    guard case .complete(let commands) = try Lexer.lex(line) else { throw ShellError("incomplete: \(line)") }
    guard commands.count == 1 else { throw ShellError("\(commands.count) commands in: \(line)") }
    return try Expander(variables: [:], arguments: []).expand(commands[0]).map(\.text)
}

/// Turns `--flag value` words into the flag map the dispatcher would hand over, using the spec.
private func flags(_ words: [String], spec: CommandSpec) throws -> [String: String] {
    var result: [String: String] = [:]
    var rest = words[...]
    while let word = rest.popFirst() {
        let name = String(word.dropFirst(2))
        let flag = try #require(spec.flags.first { $0.name == name }, "unknown flag \(word)")
        if flag.kind == .bool {
            result[name] = "1"
        } else {
            guard let value = rest.popFirst() else { throw ShellError("no value after \(word)") }
            result[name] = value
        }
    }
    return result
}

@Test func printedCommandProducesExactlyTheSameRequest() throws {
    let wizardRun = FakeTaskCluster()
    let console = Console.capturing()
    var answers = fullAnswers(["mac": "bc:24:11:aa:bb:cc", "balloon": "1024", "name": "it-s.web"])
    answers[answers.count - 2] = "no"
    _ = try create(fake: wizardRun, console: console, prompter: ScriptedPrompter(answers))
    let line = try #require(console.capturedOutput.out.split(separator: "\n").first { $0.hasPrefix("same as: ") })
    let command = try words(String(line.dropFirst("same as: ".count)))
    #expect(command.prefix(2) == ["create", "vm"])
    let replay = FakeTaskCluster()
    _ = try create(try flags(Array(command.dropFirst(2)), spec: CreateCommands.createVM), fake: replay, prompter: nil)
    #expect(replay.mutations.count == 1)
    #expect(replay.mutations.first?.path == wizardRun.mutations.first?.path)
    #expect(replay.mutations.first?.form == wizardRun.mutations.first?.form)
    #expect(wizardRun.mutations.first?.form["net0"] == "model=virtio,bridge=vmbr1,macaddr=BC:24:11:AA:BB:CC,tag=10,firewall=1")
}

@Test func quotingKeepsSpecialWordsWhole() throws {
    #expect(Wizard.quote("scsi0;ide2") == "'scsi0;ide2'")
    #expect(Wizard.quote("it's") == "'it'\\''s'")
    #expect(Wizard.quote("local:iso/a.iso") == "local:iso/a.iso")
    #expect(try words("a " + Wizard.quote("scsi0;ide2") + " " + Wizard.quote("it's") + " " + Wizard.quote("$HOME")) == ["a", "scsi0;ide2", "it's", "$HOME"])
}

@Test func everyStepIsAFlagAndEveryFlagAStep() {
    let keys = Set(stepKeys)
    let flagNames = Set(CreateVMWizard.flags.map(\.name))
    #expect(keys == flagNames)
    #expect(CreateCommands.createVM.flags.contains { $0.name == "no-wait" })
    #expect(CreateVMWizard.flags.allSatisfy { $0.apiParameter?.path == "/nodes/{node}/qemu" && $0.apiParameter?.method == "POST" })
}

@Test func noWaitReturnsTheUPIDAndRegistersTheTask() throws {
    let fake = FakeTaskCluster()
    let center = TaskCenter()
    let environment = TaskEnvironment(client: fake, console: .capturing(), tasks: center, settings: ShellSettings(), pollInterval: 0.001)
    let output = try CreateCommands.runCreateVM(invocation(CreateCommands.createVM, [], ["node": "pve1", "name": "web", "no-wait": "1"]), environment)
    #expect(messageText(output)?.hasPrefix("UPID:pve1:") == true)
    #expect(center.background.map(\.label) == ["create vm 102 (web)"])
}

@Test func osTypesAreExactlyTheSchemaEnum() {
    let schema = APISchema.official.enumValues(method: "POST", template: "/nodes/{node}/qemu", parameter: "ostype")
    #expect(!schema.isEmpty)
    #expect(Set(CreateVMWizard.osTypes.map(\.value)) == Set(schema))
}

@Test func everyCreateVMFlagNamesAParameterOfTheSchema() throws {
    let endpoint = try #require(APISchema.official.endpoint(method: "POST", template: "/nodes/{node}/qemu"))
    for flag in CreateVMWizard.flags {
        let ref = try #require(flag.apiParameter)
        #expect(endpoint.parameters[ref.parameter] != nil, "--\(flag.name) → \(ref.parameter)")
    }
}

@Test func requestsFromEveryDiskBusPassTheSchemaCheck() throws {
    for bus in CreateVMWizard.diskBuses.map(\.value) {
        let answers = WizardAnswers([
            "node": "pve1", "vmid": "105", "name": "web", "iso": "local:iso/a.iso", "ostype": "win11", "cores": "2", "sockets": "1",
            "cpu": "host", "memory": "4096", "balloon": "1024", "storage": "local-lvm", "disk-size": "32", "disk-format": "raw",
            "disk-bus": bus, "bridge": "vmbr0", "net-model": "e1000", "mac": "BC:24:11:00:00:01", "vlan": "20", "firewall": "no",
            "boot-order": "\(bus)0;ide2;net0", "start": "yes",
        ])
        let request = CreateVMWizard.request(answers)
        try RequestSchemaCheck.check("POST", "/nodes/{node}/qemu", [("node", "pve1")] + request.params)
    }
    #expect(throws: ShellError.self) {
        try RequestSchemaCheck.check("POST", "/nodes/{node}/qemu", [("node", "pve1"), ("vmid", "105"), ("net0", "model=bogus")])
    }
}
