/// The `create vm` form: its steps (= its flags), the checks on each answer, and the one
/// `POST /nodes/{node}/qemu` request the answers become.
public enum CreateVMWizard {
    static let apiPath = "/nodes/{node}/qemu"

    /// The schema's `ostype` values with readable names, in the schema's order.
    public static let osTypes: [(value: String, name: String)] = [
        ("l26", "Linux 2.6 - 6.x kernel"), ("l24", "Linux 2.4 kernel"),
        ("win11", "Windows 11/2022/2025"), ("win10", "Windows 10/2016/2019"), ("win8", "Windows 8/2012/2012r2"),
        ("win7", "Windows 7"), ("wvista", "Windows Vista"), ("w2k8", "Windows 2008"), ("w2k3", "Windows 2003"),
        ("w2k", "Windows 2000"), ("wxp", "Windows XP"), ("solaris", "Solaris/OpenSolaris/OpenIndiana"),
        ("other", "other / unspecified"),
    ]

    /// A reasonable subset of QEMU CPU models PVE accepts for `cpu: cputype=...`.
    public static let cpuTypes: [(value: String, name: String)] = [
        ("x86-64-v2-AES", "PVE default: x86-64-v2 with AES, migrates between most hosts"),
        ("x86-64-v2", "Nehalem-class baseline"), ("x86-64-v3", "Haswell-class baseline (AVX2)"),
        ("x86-64-v4", "Skylake-SP-class baseline (AVX-512)"), ("host", "all host CPU features, no migration to other CPUs"),
        ("max", "all features QEMU can offer"), ("kvm64", "old compatible default"), ("qemu64", "QEMU's generic CPU"),
    ]

    public static let diskBuses: [(value: String, name: String)] = [
        ("scsi", "SCSI on virtio-scsi-single (recommended)"), ("virtio", "VirtIO block"),
        ("sata", "SATA"), ("ide", "IDE"),
    ]

    public static let netModels: [(value: String, name: String)] = [
        ("virtio", "VirtIO (paravirtualised, fastest)"), ("e1000", "Intel E1000"), ("e1000e", "Intel E1000E"),
        ("rtl8139", "Realtek RTL8139"), ("vmxnet3", "VMware vmxnet3"),
    ]

    /// Disk image formats a storage type can hold. Block storages take only raw; file storages also qcow2 and vmdk.
    public static func diskFormats(forStorageType type: String) -> [String] {
        switch type {
        case "dir", "nfs", "cifs", "glusterfs": return ["qcow2", "raw", "vmdk"]
        default: return ["raw"]
        }
    }

    /// The flags of `create vm`, one per step, each naming the API parameter it ends up in.
    public static let flags: [FlagSpec] = {
        func api(_ parameter: String) -> APIParameterRef { APIParameterRef("POST", apiPath, parameter) }
        return [
            FlagSpec("node", kind: .string, help: "Node to create the VM on", apiParameter: api("node"), completion: .nodes),
            FlagSpec("vmid", kind: .integer(min: 100, max: 999_999_999), help: "VM id (default: the next free id)", apiParameter: api("vmid"),
                     completion: .freeText("a new, unused VM id")),
            FlagSpec("name", kind: .string, help: "VM name (a DNS name)", apiParameter: api("name"), completion: .freeText("a new name")),
            FlagSpec("iso", kind: .string, help: "ISO image for the CD drive, or none", defaultValue: nil, apiParameter: api("ide[n]"), completion: .isos),
            FlagSpec("ostype", kind: .choice(osTypes.map(\.value)), help: "Guest OS type", apiParameter: api("ostype")),
            FlagSpec("cores", kind: .integer(min: 1, max: nil), help: "CPU cores per socket", apiParameter: api("cores")),
            FlagSpec("sockets", kind: .integer(min: 1, max: nil), help: "CPU sockets", apiParameter: api("sockets")),
            FlagSpec("cpu", kind: .choice(cpuTypes.map(\.value)), help: "CPU type", apiParameter: api("cpu")),
            FlagSpec("memory", kind: .integer(min: 16, max: nil), help: "Memory in MiB", apiParameter: api("memory")),
            FlagSpec("balloon", kind: .integer(min: 0, max: nil), help: "Minimum memory in MiB for ballooning (0 disables)", apiParameter: api("balloon")),
            FlagSpec("storage", kind: .string, help: "Storage for the disk (one holding VM images)", apiParameter: api("scsi[n]"),
                     completion: .storages(content: "images")),
            FlagSpec("disk-size", kind: .integer(min: 1, max: nil), help: "Disk size in GiB", apiParameter: api("scsi[n]")),
            FlagSpec("disk-format", kind: .choice(["raw", "qcow2", "vmdk"]), help: "Disk format (raw only on lvm, lvmthin, zfspool, rbd)",
                     apiParameter: api("scsi[n]")),
            FlagSpec("disk-bus", kind: .choice(diskBuses.map(\.value)), help: "Disk bus", apiParameter: api("scsihw")),
            FlagSpec("bridge", kind: .string, help: "Network bridge", apiParameter: api("net[n]"), completion: .bridges),
            FlagSpec("net-model", kind: .choice(netModels.map(\.value)), help: "Network card model", apiParameter: api("net[n]")),
            FlagSpec("mac", kind: .string, help: "MAC address (default: generated)", apiParameter: api("net[n]"),
                     completion: .freeText("a unicast MAC address XX:XX:XX:XX:XX:XX")),
            FlagSpec("vlan", kind: .integer(min: 1, max: 4094), help: "VLAN tag", apiParameter: api("net[n]"),
                     completion: .freeText("a VLAN id 1-4094")),
            FlagSpec("firewall", kind: .choice(["yes", "no"]), help: "Enable the PVE firewall on the network card", apiParameter: api("net[n]")),
            FlagSpec("boot-order", kind: .string, help: "Boot devices separated by ';' (e.g. 'scsi0;ide2;net0')", apiParameter: api("boot"),
                     completion: .freeText("devices of this VM separated by ';'")),
            FlagSpec("start", kind: .bool, help: "Start the VM after creating it", apiParameter: api("start")),
        ]
    }()

    /// The wizard; `contextNode` (the shell's current node) is the default node.
    public static func wizard(data: CreateVMData, contextNode: String?) -> Wizard {
        Wizard(command: "create vm", steps: steps(data: data, contextNode: contextNode), confirmation: "Create this VM?")
    }

    static func choices(_ table: [(value: String, name: String)]) -> [Completion] {
        table.map { Completion($0.value, detail: $0.name) }
    }

    static func steps(data: CreateVMData, contextNode: String?) -> [WizardStep] {
        func node(_ a: WizardAnswers) -> String { a["node"] ?? "" }
        return [
            WizardStep(
                key: "node", title: "Node", question: "Node", required: true,
                defaultValue: { _ in
                    if let contextNode { return contextNode }
                    let nodes = try data.nodes()
                    return nodes.count == 1 ? nodes[0].value : nil
                },
                choices: { _ in try data.nodes() },
                validate: { answer, _ in
                    let nodes = try data.nodes()
                    guard let match = nodes.first(where: { $0.value == answer }) else {
                        throw ShellError("no node '\(answer)'; nodes: " + nodes.map(\.value).joined(separator: ", "))
                    }
                    if let state = match.detail, state != "online" { throw ShellError("node '\(answer)' is \(state)") }
                    return answer
                }),
            WizardStep(
                key: "vmid", title: "VMID", question: "VM id",
                defaultValue: { _ in String(try data.nextVMID()) },
                validate: { answer, _ in
                    guard let id = Int64(answer), (100...999_999_999).contains(id) else {
                        throw ShellError("'\(answer)' is not a VM id; use a whole number from 100 to 999999999")
                    }
                    if let holder = try data.guestHolding(id) {
                        let free = (try? data.nextVMID()).map { "; the next free id is \($0)" } ?? ""
                        throw ShellError("VM id \(id) is taken by \(holder)\(free)")
                    }
                    return String(id)
                }),
            WizardStep(
                key: "name", title: "Name", question: "Name", required: true,
                validate: { answer, _ in try validateDNSName(answer) }),
            WizardStep(
                key: "iso", title: "ISO image", question: "ISO image for the CD drive (or none)",
                defaultValue: { _ in "none" },
                choices: { a in [Completion("none", detail: "no CD drive")] + (try data.isos(node: node(a))) },
                validate: { answer, a in
                    if answer == "none" { return answer }
                    let isos = try data.isos(node: node(a))
                    if isos.contains(where: { $0.value == answer }) { return answer }
                    // A bare file name picks the one ISO of that name.
                    let named = isos.filter { $0.value.hasSuffix("/" + answer) }
                    if named.count == 1 { return named[0].value }
                    if named.count > 1 {
                        throw ShellError("'\(answer)' is on several storages: " + named.map(\.value).joined(separator: ", ") + "; give the full volume id")
                    }
                    let list = isos.isEmpty ? "there are none on \(node(a))" : "available: " + isos.map(\.value).joined(separator: ", ")
                    throw ShellError("no ISO image '\(answer)' on \(node(a)); \(list) (or none)")
                }),
            WizardStep(
                key: "ostype", title: "OS type", question: "Guest OS type",
                defaultValue: { _ in "l26" }, choices: { _ in choices(osTypes) },
                validate: { answer, _ in try WizardStep.oneOf("OS type")(answer, choices(osTypes)) }),
            WizardStep(
                key: "cores", title: "CPU cores", question: "CPU cores per socket",
                defaultValue: { _ in "1" },
                validate: { answer, _ in try positive(answer, what: "number of cores", min: 1) }),
            WizardStep(
                key: "sockets", title: "CPU sockets", question: "CPU sockets",
                defaultValue: { _ in "1" },
                validate: { answer, _ in try positive(answer, what: "number of sockets", min: 1) }),
            WizardStep(
                key: "cpu", title: "CPU type", question: "CPU type",
                defaultValue: { _ in "x86-64-v2-AES" }, choices: { _ in choices(cpuTypes) },
                validate: { answer, _ in try WizardStep.oneOf("CPU type")(answer, choices(cpuTypes)) }),
            WizardStep(
                key: "memory", title: "Memory (MiB)", question: "Memory in MiB",
                defaultValue: { _ in "2048" },
                validate: { answer, _ in try positive(answer, what: "amount of memory in MiB", min: 16) }),
            WizardStep(
                key: "balloon", title: "Balloon min (MiB)", question: "Minimum memory in MiB for ballooning", whenEmpty: "same as memory",
                validate: { answer, a in
                    let value = try positive(answer, what: "amount of memory in MiB", min: 0)
                    if let memory = a["memory"].flatMap({ Int64($0) }), let balloon = Int64(value), balloon > memory {
                        throw ShellError("the balloon minimum (\(balloon) MiB) cannot exceed the memory (\(memory) MiB)")
                    }
                    return value
                }),
            WizardStep(
                key: "storage", title: "Disk storage", question: "Storage for the disk",
                defaultValue: { a in
                    let usable = try data.storages(node: node(a)).filter { $0.content.contains("images") }
                    return usable.first(where: { $0.id == "local-lvm" })?.id ?? usable.first?.id
                },
                choices: { a in
                    try data.storages(node: node(a)).filter { $0.content.contains("images") }.map {
                        Completion($0.id, detail: $0.type + ($0.available.map { ", \(Humanize.bytes(Double($0))) free" } ?? ""))
                    }
                },
                validate: { answer, a in
                    let all = try data.storages(node: node(a))
                    let usable = all.filter { $0.content.contains("images") }.map(\.id)
                    let list = usable.isEmpty ? "no storage on \(node(a)) holds VM disks" : "storages for disks on \(node(a)): " + usable.joined(separator: ", ")
                    guard let storage = all.first(where: { $0.id == answer }) else {
                        throw ShellError("no storage '\(answer)' on \(node(a)); \(list)")
                    }
                    guard storage.content.contains("images") else {
                        throw ShellError("storage '\(answer)' does not hold VM disks (content: \(storage.content.joined(separator: ","))); \(list)")
                    }
                    return answer
                }),
            WizardStep(
                key: "disk-size", title: "Disk size (GiB)", question: "Disk size in GiB",
                defaultValue: { _ in "32" },
                validate: { answer, _ in try positive(answer, what: "disk size in GiB", min: 1) }),
            WizardStep(
                key: "disk-format", title: "Disk format", question: "Disk format",
                defaultValue: { a in try formats(data, a).first },
                choices: { a in try formats(data, a).map { Completion($0) } },
                validate: { answer, a in
                    let valid = try formats(data, a)
                    guard valid.contains(answer) else {
                        let type = try storageType(data, a)
                        throw ShellError("format '\(answer)' is not possible on \(a["storage"] ?? "") (type \(type)); valid: " + valid.joined(separator: ", "))
                    }
                    return answer
                }),
            WizardStep(
                key: "disk-bus", title: "Disk bus", question: "Disk bus",
                defaultValue: { _ in "scsi" }, choices: { _ in choices(diskBuses) },
                validate: { answer, _ in try WizardStep.oneOf("disk bus")(answer, choices(diskBuses)) }),
            WizardStep(
                key: "bridge", title: "Network bridge", question: "Network bridge",
                defaultValue: { a in
                    let bridges = try data.bridges(node: node(a))
                    return bridges.contains("vmbr0") ? "vmbr0" : bridges.first
                },
                choices: { a in try data.bridges(node: node(a)).map { Completion($0) } },
                validate: { answer, a in
                    let bridges = try data.bridges(node: node(a))
                    guard bridges.contains(answer) else {
                        let list = bridges.isEmpty ? "the node has no bridges" : "bridges: " + bridges.joined(separator: ", ")
                        throw ShellError("bridge '\(answer)' does not exist on \(node(a)); \(list)")
                    }
                    return answer
                }),
            WizardStep(
                key: "net-model", title: "Network model", question: "Network card model",
                defaultValue: { _ in "virtio" }, choices: { _ in choices(netModels) },
                validate: { answer, _ in try WizardStep.oneOf("network model")(answer, choices(netModels)) }),
            WizardStep(
                key: "mac", title: "MAC address", question: "MAC address", whenEmpty: "generated",
                validate: { answer, _ in try validateMAC(answer) }),
            WizardStep(
                key: "vlan", title: "VLAN tag", question: "VLAN tag", whenEmpty: "untagged",
                validate: { answer, _ in
                    guard let tag = Int(answer), (1...4094).contains(tag) else {
                        throw ShellError("'\(answer)' is not a VLAN tag; use a number from 1 to 4094, or leave it empty")
                    }
                    return String(tag)
                }),
            WizardStep(
                key: "firewall", title: "Firewall", question: "Enable the firewall on the network card (yes/no)",
                defaultValue: { _ in "yes" }, choices: { _ in [Completion("yes"), Completion("no")] },
                validate: { answer, _ in try WizardStep.yesNo(answer) }),
            WizardStep(
                key: "boot-order", title: "Boot order", question: "Boot order (devices separated by ';')",
                defaultValue: { a in bootDevices(a).joined(separator: ";") },
                validate: { answer, a in try validateBootOrder(answer, a) }),
            WizardStep(
                key: "start", title: "Start after creation", question: "Start the VM after creating it (yes/no)",
                style: .switchFlag, validate: { answer, _ in try WizardStep.yesNo(answer) }),
        ]
    }

    // MARK: Request

    /// The request the answers become: path and form parameters of `POST /nodes/{node}/qemu`, in
    /// a fixed order. A new disk is written `STORAGE:SIZE_IN_GiB` (PVE allocates it), the ISO as a
    /// CD-ROM on ide2, the network card as `model=...,bridge=...`.
    public static func request(_ a: WizardAnswers) -> (path: String, params: [(String, String)]) {
        let bus = a["disk-bus"] ?? "scsi"
        var params: [(String, String)] = [("vmid", a["vmid"] ?? "")]
        if let name = a.value("name") { params.append(("name", name)) }
        params += [
            ("ostype", a["ostype"] ?? "l26"), ("cores", a["cores"] ?? "1"), ("sockets", a["sockets"] ?? "1"),
            ("cpu", a["cpu"] ?? "x86-64-v2-AES"), ("memory", a["memory"] ?? "2048"),
        ]
        if let balloon = a.value("balloon") { params.append(("balloon", balloon)) }
        if bus == "scsi" { params.append(("scsihw", "virtio-scsi-single")) }
        params.append((bus + "0", "\(a["storage"] ?? ""):\(a["disk-size"] ?? "32"),format=\(a["disk-format"] ?? "raw")"))
        if let iso = a.value("iso"), iso != "none" { params.append(("ide2", "\(iso),media=cdrom")) }
        var net = "model=\(a["net-model"] ?? "virtio"),bridge=\(a["bridge"] ?? "vmbr0")"
        if let mac = a.value("mac") { net += ",macaddr=\(mac)" }
        if let vlan = a.value("vlan") { net += ",tag=\(vlan)" }
        net += ",firewall=" + (a["firewall"] == "no" ? "0" : "1")
        params.append(("net0", net))
        if let order = a.value("boot-order") { params.append(("boot", "order=\(order)")) }
        if a["start"] == "yes" { params.append(("start", "1")) }
        return ("/nodes/\(a["node"] ?? "")/qemu", params)
    }

    // MARK: Checks

    static func positive(_ answer: String, what: String, min: Int64) throws -> String {
        guard let value = Int64(answer) else { throw ShellError("'\(answer)' is not a whole number; enter the \(what) (at least \(min))") }
        guard value >= min else { throw ShellError("\(value) is too small for the \(what); the minimum is \(min)") }
        return String(value)
    }

    /// PVE's `dns-name`: dot-separated labels of letters, digits and inner hyphens.
    static func validateDNSName(_ name: String) throws -> String {
        let labels = name.split(separator: ".", omittingEmptySubsequences: false)
        let ok = name.count <= 253 && labels.allSatisfy { label in
            guard let first = label.first, let last = label.last, label.count <= 63 else { return false }
            return first.isASCII && (first.isLetter || first.isNumber) && last.isASCII && (last.isLetter || last.isNumber)
                && label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
        }
        guard ok else {
            throw ShellError("'\(name)' is not a valid VM name; use letters, digits and '-' (not at the start or end), parts separated by '.'")
        }
        return name
    }

    static func validateMAC(_ mac: String) throws -> String {
        let parts = mac.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 6, parts.allSatisfy({ $0.count == 2 && UInt8($0, radix: 16) != nil }),
            let first = UInt8(parts[0], radix: 16)
        else { throw ShellError("'\(mac)' is not a MAC address; write six hex pairs like BC:24:11:2A:3B:4C") }
        guard first & 1 == 0 else { throw ShellError("'\(mac)' is a multicast address; the first byte must be even") }
        return mac.uppercased()
    }

    static func storageType(_ data: CreateVMData, _ a: WizardAnswers) throws -> String {
        try data.storages(node: a["node"] ?? "").first { $0.id == a["storage"] }?.type ?? ""
    }

    static func formats(_ data: CreateVMData, _ a: WizardAnswers) throws -> [String] {
        diskFormats(forStorageType: try storageType(data, a))
    }

    /// The devices this VM will have, in the default boot order: disk, CD, network.
    static func bootDevices(_ a: WizardAnswers) -> [String] {
        var devices = [(a["disk-bus"] ?? "scsi") + "0"]
        if let iso = a.value("iso"), iso != "none" { devices.append("ide2") }
        devices.append("net0")
        return devices
    }

    static func validateBootOrder(_ answer: String, _ a: WizardAnswers) throws -> String {
        var text = Substring(answer)
        if text.hasPrefix("order=") { text = text.dropFirst("order=".count) }
        let devices = text.split(separator: ";", omittingEmptySubsequences: false).map(String.init)
        let known = bootDevices(a)
        for device in devices where !known.contains(device) {
            throw ShellError("'\(device)' is not a device of this VM; boot devices: " + known.joined(separator: ", ") + " (separated by ';')")
        }
        guard Set(devices).count == devices.count else { throw ShellError("a device appears twice in the boot order '\(answer)'") }
        return devices.joined(separator: ";")
    }
}
