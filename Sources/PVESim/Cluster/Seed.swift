/// Names of the seeded objects, for tests and demos written against the simulator.
public enum SimSeed {
    public static let nodes = ["pve1", "pve2", "pve3"]
    /// `local` (dir), `local-lvm` (lvmthin), `tank` (zfspool, pve1+pve2 only), `nas` (nfs, shared).
    public static let storages = ["local", "local-lvm", "tank", "nas"]
    /// VMs: 100 web01 (pve1, running), 101 web02 (pve2, running), 102 db01 (pve1, running, snapshots),
    /// 103 win-build (pve3, stopped), 104 legacy-app (pve2, paused; machine pc-i440fx-5.1, so its start
    /// task ends with "WARNINGS: 1"), 110 broken (pve3, stopped; its start task fails), 9000
    /// debian-12-tmpl (pve1, template).
    public static let vms = [100, 101, 102, 103, 104, 110, 9000]
    /// Containers: 200 dns01 (pve1, running), 201 proxy01 (pve2, running), 202 backup-agent (pve3,
    /// stopped), 203 ci-runner (pve1, stopped, stale `lock: backup`).
    public static let containers = [200, 201, 202, 203]
    /// First free VMID of the seed (`/cluster/nextid` answers `"105"`).
    public static let nextID = 105
    public static let pool = "prod"
    public static let debianISO = "local:iso/debian-12.8.0-amd64-netinst.iso"
    public static let ubuntuISO = "local:iso/ubuntu-24.04.1-live-server-amd64.iso"
    public static let virtioISO = "nas:iso/virtio-win-0.1.266.iso"
    public static let debianTemplate = "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst"
    public static let alpineTemplate = "local:vztmpl/alpine-3.20-default_20240908_amd64.tar.xz"
    public static let vmBackup = "nas:backup/vzdump-qemu-101-2026_11_22-01_00_03.vma.zst"
    public static let ctBackup = "nas:backup/vzdump-lxc-200-2026_11_22-01_04_41.tar.zst"
    /// Generated guests are `load-00001` ... with VMIDs from 10001.
    public static let extraGuestFirstID = 10001
}

/// Builds the seeded cluster.
enum Seed {
    static func populate(_ s: ClusterState) {
        let now = s.now
        s.nodes = [
            node(s, "pve1", id: 1, ip: "192.168.1.11", cpu: "Intel(R) Xeon(R) E-2278G CPU @ 3.40GHz", cores: 8, threads: 16,
                 memGiB: 64, uptimeDays: 23.4, load: 0.9),
            node(s, "pve2", id: 2, ip: "192.168.1.12", cpu: "AMD Ryzen 7 5800X 8-Core Processor", cores: 8, threads: 16,
                 memGiB: 64, uptimeDays: 11.2, load: 0.6),
            node(s, "pve3", id: 3, ip: "192.168.1.13", cpu: "12th Gen Intel(R) Core(TM) i5-12500", cores: 6, threads: 12,
                 memGiB: 32, uptimeDays: 4.7, load: 0.3),
        ]
        let gib: Int64 = 1 << 30
        s.storages = [
            StorageDef(id: "local", type: "dir", content: ["iso", "vztmpl", "backup", "snippets"], shared: false, nodes: nil,
                       total: 100 * gib, path: "/var/lib/vz"),
            StorageDef(id: "local-lvm", type: "lvmthin", content: ["images", "rootdir"], shared: false, nodes: nil,
                       total: 800 * gib, path: nil, extra: ["vgname": "pve", "thinpool": "data"]),
            StorageDef(id: "tank", type: "zfspool", content: ["images", "rootdir"], shared: false, nodes: ["pve1", "pve2"],
                       total: 3600 * gib, path: nil, extra: ["pool": "tank", "sparse": "1"]),
            StorageDef(id: "nas", type: "nfs", content: ["images", "iso", "backup", "vztmpl"], shared: true, nodes: nil,
                       total: 8000 * gib, path: "/mnt/pve/nas", extra: ["server": "192.168.1.50", "export": "/export/pve"]),
        ]
        seedFiles(s, now: Int(now))
        seedGuests(s, now: now)
        seedAccess(s)
        seedServices(s)
        if s.options.extraGuests > 0 { addExtraGuests(s, count: s.options.extraGuests, now: now) }
    }

    private static func node(_ s: ClusterState, _ name: String, id: Int, ip: String, cpu: String, cores: Int, threads: Int,
                             memGiB: Int64, uptimeDays: Double, load: Double) -> NodeInfo {
        let octet = ip.split(separator: ".").last.map(String.init) ?? "10"
        let interfaces = [
            NetInterface(iface: "eno1", type: "eth", fields: ["method": "manual", "families": "inet", "exists": "1"]),
            NetInterface(iface: "eno2", type: "eth", fields: ["method": "manual", "families": "inet", "exists": "1"]),
            NetInterface(iface: "bond0", type: "bond", fields: [
                "method": "manual", "families": "inet", "slaves": "eno2", "bond_mode": "active-backup", "autostart": "1",
            ]),
            NetInterface(iface: "vmbr0", type: "bridge", fields: [
                "method": "static", "families": "inet", "address": ip, "netmask": "24", "cidr": "\(ip)/24",
                "gateway": "192.168.1.1", "bridge_ports": "eno1", "bridge_stp": "off", "bridge_fd": "0", "autostart": "1",
            ]),
            NetInterface(iface: "vmbr1", type: "bridge", fields: [
                "method": "manual", "families": "inet", "bridge_ports": "bond0", "bridge_stp": "off", "bridge_fd": "0",
                "bridge_vlan_aware": "1", "bridge_vids": "2-4094", "autostart": "1", "comments": "VM traffic (VLAN trunk)",
            ]),
        ]
        let disks = [
            PhysicalDisk(devpath: "/dev/nvme0n1", model: "Samsung SSD 980 PRO 1TB", serial: "S5GXNF0R\(octet)1234", size: 1_000_204_886_016,
                         type: "nvme", used: "LVM", wwn: "eui.002538b\(octet)1a2b3c4d"),
            PhysicalDisk(devpath: "/dev/sda", model: "WDC_WD40EFRX-68N32N0", serial: "WD-WCC7K\(octet)A1B2C", size: 4_000_787_030_016,
                         type: "hdd", used: name == "pve3" ? nil : "ZFS", wwn: "0x50014ee2\(octet)b1c2d3"),
            PhysicalDisk(devpath: "/dev/sdb", model: "WDC_WD40EFRX-68N32N0", serial: "WD-WCC7K\(octet)D4E5F", size: 4_000_787_030_016,
                         type: "hdd", used: name == "pve3" ? nil : "ZFS", wwn: "0x50014ee2\(octet)e4f5a6"),
        ]
        return NodeInfo(name: name, id: id, ip: ip, cpuModel: cpu, cores: cores, sockets: 1, memory: memGiB << 30,
                        bootTime: s.now - uptimeDays * 86400, loadFactor: load, interfaces: interfaces, disks: disks)
    }

    private static func seedFiles(_ s: ClusterState, now: Int) {
        let mib: Int64 = 1 << 20
        let day = 86400
        for node in ["pve1", "pve2", "pve3"] {
            s.addVolume(Volume(volid: "local:iso/debian-12.8.0-amd64-netinst.iso", content: "iso", format: "iso", size: 661 * mib,
                               ctime: now - 40 * day), node: node)
            s.addVolume(Volume(volid: "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst", content: "vztmpl", format: "tzst",
                               size: 126 * mib, ctime: now - 35 * day), node: node)
        }
        s.addVolume(Volume(volid: "local:iso/ubuntu-24.04.1-live-server-amd64.iso", content: "iso", format: "iso", size: 2694 * mib,
                           ctime: now - 20 * day), node: "pve1")
        s.addVolume(Volume(volid: "local:vztmpl/alpine-3.20-default_20240908_amd64.tar.xz", content: "vztmpl", format: "txz",
                           size: 3 * mib, ctime: now - 30 * day), node: "pve1")
        s.addVolume(Volume(volid: "local:snippets/cloud-init-user.yaml", content: "snippets", format: "snippet", size: 1432,
                           ctime: now - 10 * day), node: "pve1")
        s.addVolume(Volume(volid: "nas:iso/virtio-win-0.1.266.iso", content: "iso", format: "iso", size: 708 * mib,
                           ctime: now - 50 * day), node: "pve1")
        s.addVolume(Volume(volid: "nas:iso/debian-12.8.0-amd64-netinst.iso", content: "iso", format: "iso", size: 661 * mib,
                           ctime: now - 40 * day), node: "pve1")
        s.addVolume(Volume(volid: "nas:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst", content: "vztmpl", format: "tzst",
                           size: 126 * mib, ctime: now - 35 * day), node: "pve1")
    }

    static func randomMAC(_ s: ClusterState) -> String {
        let hex = Array("0123456789ABCDEF")
        var text = "BC:24:11"
        for _ in 0..<3 {
            let byte = Int(s.random.next() & 0xFF)
            text += ":" + String(hex[byte >> 4]) + String(hex[byte & 0xF])
        }
        return text
    }

    private static func qemu(_ s: ClusterState, _ vmid: Int, _ node: String, _ name: String, cores: Int = 2, memory: Int = 2048,
                             disks: [(String, String, Int64)], tags: String? = nil, ostype: String = "l26",
                             extra: [String: String] = [:], bridge: String = "vmbr0") -> Guest {
        var config: [String: String] = [
            "name": name, "cores": "\(cores)", "sockets": "1", "memory": "\(memory)", "ostype": ostype,
            "scsihw": "virtio-scsi-single", "cpu": "x86-64-v2-AES", "numa": "0",
            "net0": "virtio=\(randomMAC(s)),bridge=\(bridge),firewall=1",
            "smbios1": "uuid=\(uuid(s))", "vmgenid": uuid(s), "meta": "creation-qemu=9.2.0,ctime=\(Int(s.now) - 90 * 86400)",
        ]
        if let tags { config["tags"] = tags }
        var boot: [String] = []
        for (key, storage, size) in disks {
            let prefix = extra["template"] == "1" ? "base" : "vm"
            let volid = "\(storage):\(prefix)-\(vmid)-disk-\(boot.count)"
            config[key] = "\(volid),iothread=1,size=\(Sizes.format(size))"
            boot.append(key)
            s.addVolume(Volume(volid: volid, content: "images", format: "raw", size: size, vmid: vmid, ctime: Int(s.now) - 90 * 86400), node: node)
        }
        config["boot"] = "order=\(boot.joined(separator: ";"))" + (boot.isEmpty ? "" : ";net0")
        for (key, value) in extra { config[key] = value }
        return Guest(kind: .qemu, vmid: vmid, node: node, config: config)
    }

    private static func lxc(_ s: ClusterState, _ vmid: Int, _ node: String, _ name: String, memory: Int = 512, cores: Int = 1,
                            storage: String = "local-lvm", size: Int64 = 8 << 30, tags: String? = nil, ostype: String = "debian",
                            extra: [String: String] = [:]) -> Guest {
        let volid = "\(storage):\(storage == "tank" ? "subvol" : "vm")-\(vmid)-disk-0"
        var config: [String: String] = [
            "hostname": name, "arch": "amd64", "cores": "\(cores)", "memory": "\(memory)", "swap": "512", "ostype": ostype,
            "rootfs": "\(volid),size=\(Sizes.format(size))", "unprivileged": "1", "features": "nesting=1",
            "net0": "name=eth0,bridge=vmbr0,firewall=1,hwaddr=\(randomMAC(s)),ip=dhcp,type=veth",
        ]
        if let tags { config["tags"] = tags }
        for (key, value) in extra { config[key] = value }
        s.addVolume(Volume(volid: volid, content: "rootdir", format: storage == "tank" ? "subvol" : "raw", size: size, vmid: vmid,
                           ctime: Int(s.now) - 60 * 86400), node: node)
        return Guest(kind: .lxc, vmid: vmid, node: node, config: config)
    }

    static func uuid(_ s: ClusterState) -> String {
        let hex = Array("0123456789abcdef")
        var text = ""
        for i in 0..<32 {
            if [8, 12, 16, 20].contains(i) { text += "-" }
            text.append(hex[Int(s.random.next() % 16)])
        }
        return text
    }

    private static func seedGuests(_ s: ClusterState, now: Double) {
        let gib: Int64 = 1 << 30
        var list: [Guest] = [
            qemu(s, 100, "pve1", "web01", disks: [("scsi0", "local-lvm", 32 * gib)], tags: "prod;web",
                 extra: ["agent": "1", "onboot": "1", "description": "Public web frontend\nnginx + php-fpm"]),
            qemu(s, 101, "pve2", "web02", disks: [("scsi0", "local-lvm", 32 * gib)], tags: "prod;web", extra: ["agent": "1", "onboot": "1"]),
            qemu(s, 102, "pve1", "db01", cores: 4, memory: 8192, disks: [("scsi0", "tank", 100 * gib), ("scsi1", "tank", 200 * gib)],
                 tags: "db;prod", extra: ["agent": "1", "onboot": "1"]),
            qemu(s, 103, "pve3", "win-build", cores: 4, memory: 8192, disks: [("sata0", "local-lvm", 120 * gib)], tags: "build",
                 ostype: "win11", extra: ["ide2": "nas:iso/virtio-win-0.1.266.iso,media=cdrom", "bios": "ovmf", "machine": "pc-q35-9.2"]),
            qemu(s, 104, "pve2", "legacy-app", memory: 4096, disks: [("scsi0", "local-lvm", 40 * gib)], tags: "legacy",
                 extra: ["machine": "pc-i440fx-5.1"]),
            qemu(s, 110, "pve3", "broken", memory: 1024, disks: [("scsi0", "local-lvm", 8 * gib)], tags: "test",
                 extra: ["args": "fail"]),
            qemu(s, 9000, "pve1", "debian-12-tmpl", memory: 2048, disks: [("scsi0", "local-lvm", 8 * gib)],
                 extra: ["template": "1", "agent": "1", "ide2": "local-lvm:vm-9000-cloudinit,media=cdrom"]),
            lxc(s, 200, "pve1", "dns01", tags: "infra"),
            lxc(s, 201, "pve2", "proxy01", tags: "infra;web"),
            lxc(s, 202, "pve3", "backup-agent", memory: 256, size: 4 * gib, ostype: "alpine"),
            lxc(s, 203, "pve1", "ci-runner", memory: 2048, cores: 2, storage: "tank", size: 16 * gib, tags: "build",
                extra: ["lock": "backup"]),
        ]
        for index in list.indices {
            switch list[index].vmid {
            case 100, 101, 102, 200, 201:
                list[index].power = .running
                list[index].startedAt = now - Double(86400 * (3 + list[index].vmid % 7) + 1234 * (list[index].vmid % 5))
            case 104:
                list[index].power = .paused
                list[index].startedAt = now - 7 * 86400
            default: break
            }
        }
        for guest in list { s.guests[guest.vmid] = guest }

        // Snapshots of db01 and dns01.
        if var db = s.guests[102] {
            var before = db.config
            before["memory"] = "4096"
            db.snapshots = [
                Snapshot(name: "pre-upgrade", description: "before PostgreSQL 16 upgrade", snaptime: Int(now) - 14 * 86400,
                         parent: nil, vmstate: false, config: before),
                Snapshot(name: "post-upgrade", description: "PostgreSQL 16 running", snaptime: Int(now) - 13 * 86400,
                         parent: "pre-upgrade", vmstate: false, config: db.config),
            ]
            db.config["parent"] = "post-upgrade"
            s.guests[102] = db
        }
        if var dns = s.guests[200] {
            dns.snapshots = [Snapshot(name: "clean", description: "fresh install", snaptime: Int(now) - 50 * 86400, parent: nil,
                                      vmstate: false, config: dns.config)]
            dns.config["parent"] = "clean"
            s.guests[200] = dns
        }

        // Firewall of web01.
        s.guests[100]?.firewall = FirewallScope(
            rules: [
                FirewallRule(fields: ["type": "in", "action": "ACCEPT", "macro": "HTTP", "enable": "1", "comment": "web"]),
                FirewallRule(fields: ["type": "in", "action": "ACCEPT", "macro": "HTTPS", "enable": "1"]),
                FirewallRule(fields: ["type": "in", "action": "ACCEPT", "proto": "tcp", "dport": "22", "source": "192.168.1.0/24", "enable": "0"]),
            ],
            options: ["enable": "1", "policy_in": "DROP", "policy_out": "ACCEPT", "macfilter": "1", "dhcp": "1"])

        // Backups on nas and local@pve1.
        let mib: Int64 = 1 << 20
        if let web02 = s.guests[101] {
            s.addVolume(Volume(volid: SimSeed.vmBackup, content: "backup", format: "vma.zst", size: 3812 * mib, vmid: 101,
                               ctime: Int(now) - 4 * 86400, notes: "web02", backup: (.qemu, web02.config)), node: "pve1")
        }
        if let dns = s.guests[200] {
            s.addVolume(Volume(volid: SimSeed.ctBackup, content: "backup", format: "tar.zst", size: 412 * mib, vmid: 200,
                               ctime: Int(now) - 4 * 86400, notes: "dns01", backup: (.lxc, dns.config)), node: "pve1")
        }
        if let db = s.guests[102] {
            s.addVolume(Volume(volid: "local:backup/vzdump-qemu-102-2026_11_15-01_00_02.vma.zst", content: "backup", format: "vma.zst",
                               size: 52_118 * mib, vmid: 102, ctime: Int(now) - 11 * 86400, notes: "db01", protected: true,
                               backup: (.qemu, db.config)), node: "pve1")
        }

        s.pools["prod"] = Pool(comment: "Production services", vmids: [100, 101, 102], storages: ["nas"])
        for vmid in [100, 101, 102] { s.guests[vmid]?.pool = "prod" }
        s.pools["lab"] = Pool(comment: "Experiments", vmids: [], storages: [])
    }

    private static func seedAccess(_ s: ClusterState) {
        s.users = [
            "root@pam": User(userid: "root@pam", password: SimCredentials.rootPassword, email: "admin@example.com",
                             comment: "Built-in Superuser",
                             tokens: ["ci": APIToken(secret: SimCredentials.rootTokenSecret, privsep: false, comment: "CI pipeline")]),
            "alice@pve": User(userid: "alice@pve", password: SimCredentials.alicePassword, firstname: "Alice", lastname: "Admin",
                              email: "alice@example.com", groups: ["ops"],
                              tokens: ["auto": APIToken(secret: SimCredentials.aliceTokenSecret, privsep: true, comment: "automation (read-only)")]),
            "tfa@pve": User(userid: "tfa@pve", password: SimCredentials.tfaPassword, firstname: "Tess", lastname: "Factor",
                            groups: ["ops"], totpSecret: SimCredentials.tfaTOTPSecret),
            "bob@pve": User(userid: "bob@pve", password: "bob-secret", enable: false, firstname: "Bob", comment: "left the company",
                            groups: ["auditors"]),
        ]
        s.groups = ["ops": Group(comment: "Operations"), "auditors": Group(comment: "Read-only auditors")]
        for (name, privs) in Privileges.builtinRoles { s.roles[name] = Role(privs: privs, special: true) }
        s.acl = [
            ACLEntry(path: "/", kind: .group, ugid: "auditors", roleid: "PVEAuditor", propagate: true),
            ACLEntry(path: "/", kind: .user, ugid: "alice@pve", roleid: "PVEAuditor", propagate: true),
            ACLEntry(path: "/vms", kind: .user, ugid: "alice@pve", roleid: "PVEVMAdmin", propagate: true),
            ACLEntry(path: "/storage", kind: .user, ugid: "alice@pve", roleid: "PVEDatastoreUser", propagate: true),
            ACLEntry(path: "/vms", kind: .token, ugid: SimCredentials.aliceTokenID, roleid: "PVEAuditor", propagate: true),
            ACLEntry(path: "/pool/prod", kind: .user, ugid: "tfa@pve", roleid: "PVEVMUser", propagate: true),
        ]
    }

    private static func seedServices(_ s: ClusterState) {
        s.backupJobs = [
            BackupJob(id: "backup-5c1d2e3f-a4b5", fields: [
                "type": "vzdump", "schedule": "sun 01:00", "storage": "nas", "mode": "snapshot", "compress": "zstd",
                "enabled": "1", "vmid": "100,101,102,200", "notes-template": "{{guestname}}",
                "prune-backups": "keep-last=3,keep-weekly=2", "comment": "weekly prod backup", "mailnotification": "failure",
            ]),
            BackupJob(id: "backup-9e8d7c6b-f1a2", fields: [
                "type": "vzdump", "schedule": "*/2:00", "storage": "local", "mode": "snapshot", "compress": "zstd",
                "enabled": "0", "pool": "prod", "node": "pve1", "comment": "every two hours (disabled)",
            ]),
        ]
        s.haResources = [
            HAResource(sid: "vm:100", fields: ["type": "vm", "state": "started", "max_restart": "1", "max_relocate": "1", "failback": "1"]),
            HAResource(sid: "ct:201", fields: ["type": "ct", "state": "started", "max_restart": "2", "max_relocate": "1", "failback": "1",
                                               "comment": "reverse proxy"]),
        ]
        s.haRules = [
            "web-on-fast-nodes": ["type": "node-affinity", "resources": "vm:100", "nodes": "pve1:2,pve2:1", "strict": "0"],
        ]
        s.clusterFirewall.rules = [
            FirewallRule(fields: ["type": "in", "action": "ACCEPT", "proto": "tcp", "dport": "22", "source": "192.168.1.0/24",
                                  "enable": "1", "comment": "ssh from LAN"]),
            FirewallRule(fields: ["type": "in", "action": "ACCEPT", "proto": "tcp", "dport": "8006", "enable": "1", "comment": "web UI"]),
            FirewallRule(fields: ["type": "in", "action": "ACCEPT", "macro": "Ping", "enable": "1"]),
        ]
        for index in s.nodes.indices {
            s.nodes[index].firewall.rules = [
                FirewallRule(fields: ["type": "in", "action": "ACCEPT", "proto": "tcp", "dport": "3128", "enable": "1", "comment": "spice proxy"]),
            ]
        }
    }

    /// Generated guests for scale tests: cheap (no snapshots, one disk), VMIDs from 10001.
    static func addExtraGuests(_ s: ClusterState, count: Int, now: Double) {
        let names = ["pve1", "pve2", "pve3"]
        s.guests.reserveCapacity(s.guests.count + count)
        for i in 1...count {
            let vmid = SimSeed.extraGuestFirstID + i - 1
            let node = names[i % 3]
            let digits = String(i)
            let name = "load-" + String(repeating: "0", count: max(0, 5 - digits.count)) + digits
            let isCT = i % 3 == 0
            let volid = "local-lvm:vm-\(vmid)-disk-0"
            var config: [String: String] = ["memory": i % 2 == 0 ? "1024" : "2048", "cores": "1", "tags": i % 5 == 0 ? "load;scale" : "load"]
            if isCT {
                config["hostname"] = name
                config["rootfs"] = "\(volid),size=4G"
                config["ostype"] = "debian"
            } else {
                config["name"] = name
                config["scsi0"] = "\(volid),size=8G"
                config["net0"] = "virtio=BC:24:11:\(hexByte(vmid >> 16)):\(hexByte(vmid >> 8)):\(hexByte(vmid)),bridge=vmbr0"
                config["ostype"] = "l26"
            }
            var guest = Guest(kind: isCT ? .lxc : .qemu, vmid: vmid, node: node, config: config)
            if i % 4 != 0 {
                guest.power = .running
                guest.startedAt = now - Double(3600 + (i * 977) % 900_000)
            }
            s.guests[vmid] = guest
            s.addVolume(Volume(volid: volid, content: isCT ? "rootdir" : "images", format: "raw", size: isCT ? 4 << 30 : 8 << 30,
                               vmid: vmid, ctime: Int(now) - 86400), node: node)
        }
    }

    private static func hexByte(_ value: Int) -> String {
        let hex = Array("0123456789ABCDEF")
        let byte = value & 0xFF
        return String(hex[byte >> 4]) + String(hex[byte & 0xF])
    }
}
