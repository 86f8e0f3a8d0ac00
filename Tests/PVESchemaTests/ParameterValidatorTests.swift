import Testing
@testable import PVESchema

/// PVE's parameter checks and messages, one row per rule.
@Suite struct ParameterValidatorTests {
    let validator = ParameterValidator()
    static let config = "/nodes/{node}/qemu/{vmid}/config"

    func errors(_ params: [String: String], method: String = "PUT", template: String = config) throws -> [String: String] {
        let endpoint = try #require(APISchema.official.endpoint(method: method, template: template))
        var all = ["node": "pve1", "vmid": "100"]
        if template != Self.config { all = [:] }
        for (k, v) in params { all[k] = v }
        return validator.validate(all, for: endpoint)
    }

    @Test(arguments: [
        ("memory", "2048"), ("memory", "current=4096"), ("cores", "4"), ("onboot", "1"), ("onboot", "yes"), ("onboot", "off"),
        ("onboot", "TRUE"), ("ostype", "l26"), ("net0", "virtio,bridge=vmbr0,firewall=1"), ("net1", "model=e1000,bridge=vmbr1,tag=20"),
        ("net2", "e1000=AA:BB:CC:DD:EE:FF,bridge=vmbr0"), ("net31", "virtio=0A:1B:2C:3D:4E:5F"), ("scsi0", "local-lvm:32,size=32G,discard=on"),
        ("scsi1", "local:iso/debian.iso,media=cdrom"), ("delete", "net1,ide2"), ("delete", "scsi0;virtio1 tags"),
        ("description", "any text, even = and ,"), ("balloon", "0"), ("cpulimit", "1.5"), ("cpulimit", ".5"), ("tags", "web;prod"),
        ("digest", "0123456789abcdef0123456789abcdef01234567"), ("vcpus", "+2"),
    ])
    func acceptsValidValues(key: String, value: String) throws {
        #expect(try errors([key: value]) == [:])
    }

    @Test(arguments: [
        ("bogus", "1", "property is not defined in schema and the schema does not allow additional properties"),
        ("net32", "virtio", "property is not defined in schema and the schema does not allow additional properties"),
        ("cores", "many", "type check ('integer') failed - got 'many'"),
        ("cores", "1.5", "type check ('integer') failed - got '1.5'"),
        ("cores", "0", "value must have a minimum value of 1"),
        ("cpulimit", "200", "value must have a maximum value of 128"),
        ("cpulimit", "fast", "type check ('number') failed - got 'fast'"),
        ("onboot", "maybe", "type check ('boolean') failed - got 'maybe'"),
        ("ostype", "dos", "value 'dos' does not have a value in the enumeration 'other, wxp, w2k, w2k3, w2k8, wvista, win7, win8, win10, win11, l24, l26, solaris'"),
        ("net0", "virtio,bridge=vmbr0,color=red", "invalid format - invalid key in comma-separated list property: color"),
        ("net0", "virtio,e1000", "invalid format - duplicate key in comma-separated list property: model"),
        ("net0", "virtio,bridge=vmbr0,bridge=vmbr1", "invalid format - duplicate key in comma-separated list property: bridge"),
        ("net0", "e1000=AA:BB:CC:DD:EE:FF,model=virtio", "invalid format - duplicate key in comma-separated list property: model"),
        ("net0", "virtio,=x", "invalid format - missing key in comma-separated list property"),
        ("net0", "virtio,tag=5000", "invalid format - format error\nnet0.tag: value must have a maximum value of 4094"),
        ("net0", "virtio,firewall=perhaps", "invalid format - format error\nnet0.firewall: type check ('boolean') failed - got 'perhaps'"),
        ("net0", "rtl9000,bridge=vmbr0", "invalid format - format error\nnet0.model: value 'rtl9000' does not have a value in the enumeration 'e1000, e1000-82540em, e1000-82544gc, e1000-82545em, e1000e, i82551, i82557b, i82559er, ne2k_isa, ne2k_pci, pcnet, rtl8139, virtio, vmxnet3'"),
        ("net0", "bridge=vmbr0", "invalid format - format error\nnet0.model: property is missing and it is not optional"),
        ("net0", "virtio,macaddr=zz:zz", "invalid format - format error\nnet0.macaddr: invalid format - value does not look like a valid MAC address"),
        ("net0", "virtio,bridge=vm/br0", "invalid format - format error\nnet0.bridge: invalid format - invalid bridge ID 'vm/br0'"),
        ("scsi0", "local-lvm:32,size=lots", "invalid format - format error\nscsi0.size: invalid format - unable to parse size 'lots'"),
        ("memory", "abc", "invalid format - format error\nmemory.current: type check ('integer') failed - got 'abc'"),
        ("memory", "8", "invalid format - format error\nmemory.current: value must have a minimum value of 16"),
        ("delete", "net1,no_such", "invalid format - invalid configuration ID 'no_such'"),
        ("delete", "net1,9x", "invalid format - invalid configuration ID '9x'"),
        ("digest", String(repeating: "a", count: 41), "value may only be 40 characters long"),
    ])
    func rejectsWithPVEMessages(key: String, value: String, message: String) throws {
        #expect(try errors([key: value]) == [key: message])
    }

    @Test(arguments: [
        ("node", "pve_1", "invalid format - value does not look like a valid node name"),
        ("vmid", "abc", "type check ('integer') failed - got 'abc'"),
        ("vmid", "99", "invalid format - value does not look like a valid VM ID"),
    ])
    func checksPathParameters(key: String, value: String, message: String) throws {
        #expect(try errors([key: value])[key] == message)
    }

    @Test func reportsMissingRequiredParameters() throws {
        let result = try errors(["name": "web"], method: "POST", template: "/nodes/{node}/qemu")
        #expect(result["node"] == "property is missing and it is not optional")
        #expect(result["vmid"] == "property is missing and it is not optional")
        #expect(result["name"] == nil)
    }

    @Test func reportsEveryBadParameterAtOnce() throws {
        let result = try errors(["cores": "x", "ostype": "dos", "bogus": "1"])
        #expect(Set(result.keys) == ["cores", "ostype", "bogus"])
    }

    @Test func requiresCompanionParameter() throws {
        let result = try errors(["node": "pve1", "storage": "local", "content": "iso", "filename": "a.iso", "checksum": "abc"],
                                method: "POST", template: "/nodes/{node}/storage/{storage}/upload")
        #expect(result == ["checksum-algorithm": "missing property - 'checksum' requires this property"])
    }

    @Test(arguments: [
        ("pve-storage-id", "local-lvm", true), ("pve-storage-id", "local-", false), ("pve-storage-id", "9store", false),
        ("pve-node", "pve-1", true), ("pve-node", "-pve", false),
        ("mac-addr", "0a:1b:2c:3d:4e:5f", true), ("mac-addr", "0a:1b:2c:3d:4e", false),
        ("ipv4", "192.168.1.10", true), ("ipv4", "192.168.1.256", false),
        ("ipv6", "fe80::1", true), ("ipv6", "2001:db8::1:2:3:4:5", true), ("ipv6", "1::2::3", false), ("ipv6", "::ffff:10.0.0.1", true),
        ("CIDR", "10.0.0.0/8", true), ("CIDR", "10.0.0.0/33", false), ("IPorCIDR", "10.0.0.1", true),
        ("pve-userid", "root@pam", true), ("pve-userid", "root", false),
        ("pve-vmid-list", "100,101 102", true), ("pve-vmid-list", "100,abc", false),
        ("disk-size", "1.5T", true), ("disk-size", "10X", false),
        ("pve-configid", "net0", true), ("pve-configid", "a", false),
        ("pve-some-unknown-format", "anything", true),
    ])
    func wellKnownFormats(format: String, value: String, valid: Bool) {
        #expect((validator.checkFormat(value, format, endpoint: nil) == nil) == valid)
    }

    @Test func parsesPropertyStringsWithAliases() throws {
        let endpoint = try #require(APISchema.official.endpoint(method: "PUT", template: Self.config))
        let format = try #require(endpoint.parameter(named: "net0")?.propertyFormat)
        #expect(format.defaultKey == "model")
        let parsed = try validator.parsePropertyString("e1000=AA:BB:CC:DD:EE:FF,bridge=vmbr0,firewall=1", format)
        #expect(parsed == ["model": "e1000", "macaddr": "AA:BB:CC:DD:EE:FF", "bridge": "vmbr0", "firewall": "1"])
        #expect(try validator.parsePropertyString("virtio", format) == ["model": "virtio"])
    }
}
