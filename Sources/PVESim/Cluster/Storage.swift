import Foundation
import PVESchema

extension ClusterState {
    private func canSeeStorage(_ identity: SimIdentity, _ id: String) -> Bool {
        has(identity, "Datastore.Audit", on: "/storage/\(id)") || has(identity, "Datastore.AllocateSpace", on: "/storage/\(id)")
    }

    private func storageStatusRow(_ storage: StorageDef, node: String, includeID: Bool) -> [(String, JSON)] {
        let used = self.used(storage, node: node)
        var row: [(String, JSON)] = []
        if includeID { row.append(("storage", .string(storage.id))) }
        row += [
            ("type", .string(storage.type)), ("content", .string(storage.content.joined(separator: ","))),
            ("active", .int(storage.available(on: node) ? 1 : 0)), ("enabled", .int(storage.disabled ? 0 : 1)),
            ("shared", .int(storage.shared ? 1 : 0)), ("total", .int(storage.total)), ("used", .int(used)),
            ("avail", .int(max(0, storage.total - used))),
        ]
        if includeID { row.append(("used_fraction", .double(Double(used) / Double(max(1, storage.total))))) }
        return row
    }

    /// The storage named in the path, available on the node in the path.
    func pathStorage(_ call: Call) throws(SimError) -> StorageDef {
        try usableStorage(try call.string("storage"), node: call.node)
    }

    func listNodeStorage(_ call: Call) throws(SimError) -> JSON {
        let content = call.optionalString("content").map { Set($0.split(separator: ",").map(String.init)) }
        let only = call.optionalString("storage")
        let enabledOnly = call.bool("enabled")
        let target = call.optionalString("target")
        return .array(storages.compactMap { storage in
            guard canSeeStorage(call.identity, storage.id) else { return nil }
            if let only, storage.id != only { return nil }
            if let content, content.isDisjoint(with: storage.content) { return nil }
            if enabledOnly && !storage.available(on: call.node) { return nil }
            if !storage.available(on: call.node) && !enabledOnly { return nil }
            if let target, !storage.available(on: target) { return nil }
            return .object(storageStatusRow(storage, node: call.node, includeID: true))
        })
    }

    func storageIndex(_ call: Call) throws(SimError) -> JSON {
        _ = try pathStorage(call)
        return .array(["content", "download-url", "rrddata", "status", "upload"].map { .object([("subdir", .string($0))]) })
    }

    func storageStatus(_ call: Call) throws(SimError) -> JSON {
        .object(storageStatusRow(try pathStorage(call), node: call.node, includeID: false))
    }

    private func contentRow(_ volume: Volume, storage: StorageDef) -> JSON {
        var row: [(String, JSON)] = [
            ("volid", .string(volume.volid)), ("content", .string(volume.content)), ("format", .string(volume.format)),
            ("size", .int(volume.size)), ("ctime", .int(Int64(volume.ctime))),
        ]
        if let vmid = volume.vmid { row.append(("vmid", .int(Int64(vmid)))) }
        if volume.content == "images" || volume.content == "rootdir" {
            row.append(("used", .int(allocated(volume, on: storage))))
        }
        if let notes = volume.notes { row.append(("notes", .string(notes))) }
        if volume.content == "backup" {
            row.append(("protected", .int(volume.protected ? 1 : 0)))
            row.append(("subtype", .string(volume.backup?.kind.rawValue ?? "qemu")))
        }
        return .object(row)
    }

    func listContent(_ call: Call) throws(SimError) -> JSON {
        let storage = try pathStorage(call)
        let content = call.optionalString("content")
        let vmid = try call.optionalInt("vmid")
        let rows = volumes(of: storage, node: call.node).filter { volume in
            if let content, volume.content != content { return false }
            if let vmid, volume.vmid != vmid { return false }
            // Guests' disks are visible to those who may see the guest.
            if let owner = volume.vmid, volume.content != "backup", !isRoot(call.identity),
               !canAudit(call.identity, vmid: owner), !has(call.identity, "Datastore.Allocate", on: "/storage/\(storage.id)") { return false }
            return true
        }.sorted { $0.volid < $1.volid }
        return .array(rows.map { contentRow($0, storage: storage) })
    }

    /// The volume named by `volume` (a full volid or a name on the storage of the path).
    private func pathVolume(_ call: Call) throws(SimError) -> (StorageDef, Volume) {
        let storage = try pathStorage(call)
        let name = try call.string("volume")
        let volid = name.contains(":") ? name : "\(storage.id):\(name)"
        guard let volume = volumes(of: storage, node: call.node).first(where: { $0.volid == volid }) else {
            throw .failed("volume '\(volid)' does not exist")
        }
        return (storage, volume)
    }

    func volumeAttributes(_ call: Call) throws(SimError) -> JSON {
        let (storage, volume) = try pathVolume(call)
        var row: [(String, JSON)] = [
            ("path", .string("\(storage.path ?? "/dev/\(storage.extra["vgname"] ?? storage.id)")/\(volume.name)")),
            ("size", .int(volume.size)), ("used", .int(volume.size)), ("format", .string(volume.format)),
            ("protected", .int(volume.protected ? 1 : 0)),
        ]
        if let notes = volume.notes { row.append(("notes", .string(notes))) }
        return .object(row)
    }

    func updateVolumeAttributes(_ call: Call) throws(SimError) -> JSON {
        let (storage, volume) = try pathVolume(call)
        let key = volumeKey(storage, node: call.node)
        guard let index = volumes[key]?.firstIndex(where: { $0.volid == volume.volid }) else { return .null }
        if let notes = call.params["notes"] {
            guard volume.content == "backup" else { throw .failed("notes are only supported for backups") }
            volumes[key]?[index].notes = notes.isEmpty ? nil : notes
        }
        if call.has("protected") {
            guard volume.content == "backup" else { throw .failed("protection is only supported for backups") }
            volumes[key]?[index].protected = call.bool("protected")
        }
        return .null
    }

    /// The guest whose config references a volume, if any.
    func user(of volid: String) -> Guest? {
        guests.values.first { guest in guest.config.values.contains { GuestDisks.volid(of: $0) == volid } }
    }

    func deleteVolume(_ call: Call) throws(SimError) -> JSON {
        let (storage, volume) = try pathVolume(call)
        let needed = volume.vmid.map { "/vms/\($0)" }
        if let needed, volume.content != "backup", !has(call.identity, "VM.Config.Disk", on: needed), !has(call.identity, "Datastore.Allocate", on: "/storage/\(storage.id)") {
            throw .forbidden("Permission check failed (\(needed), VM.Config.Disk)")
        }
        if !has(call.identity, "Datastore.AllocateSpace", on: "/storage/\(storage.id)") {
            throw .forbidden("Permission check failed (/storage/\(storage.id), Datastore.AllocateSpace)")
        }
        if volume.protected { throw .failed("cannot delete protected backup '\(volume.volid)'") }
        if let guest = user(of: volume.volid) {
            throw .failed("unable to delete volume '\(volume.volid)' - volume is in use by \(guest.kind.label) \(guest.vmid)")
        }
        let node = call.node
        let volid = volume.volid
        let lvm = storage.type == "lvmthin"
        return .string(startTask(
            node: node, type: "imgdel", id: volid, user: call.identity.authid,
            progress: [lvm ? "  Logical volume \"\(volume.name)\" successfully removed." : "Removed volume '\(volid)'"],
            durationFactor: 0.3,
            completion: { s in
                s.removeVolume(volid, node: node)
                return nil
            }))
    }

    func allocateVolume(_ call: Call) throws(SimError) -> JSON {
        let storage = try pathStorage(call)
        let vmid = try call.int("vmid")
        let filename = try call.string("filename")
        let sizeText = try call.string("size")
        guard let size = Sizes.parse(sizeText.last?.isNumber == true ? sizeText + "K" : sizeText), size > 0 else {
            throw .parameters(["size": "unable to parse size '\(sizeText)'"])
        }
        guard storage.content.contains("images") || storage.content.contains("rootdir") else {
            throw .failed("storage '\(storage.id)' does not support vm images")
        }
        guard filename.hasPrefix("vm-\(vmid)-") || filename.hasPrefix("base-\(vmid)-") || filename.hasPrefix("subvol-\(vmid)-") else {
            throw .failed("illegal name '\(filename)' - should be 'vm-\(vmid)-*'")
        }
        var format = call.optionalString("format") ?? storage.defaultFormat
        if let dot = filename.lastIndex(of: "."), ["raw", "qcow2", "vmdk"].contains(String(filename[filename.index(after: dot)...])) {
            format = String(filename[filename.index(after: dot)...])
        }
        guard storage.formats.contains(format) else {
            throw .failed("unsupported format '\(format)' (storage '\(storage.id)' of type '\(storage.type)' supports: \(storage.formats.joined(separator: ", ")))")
        }
        let name = storage.type == "dir" || storage.type == "nfs" ? "\(vmid)/\(filename)" : filename
        let volid = "\(storage.id):\(name)"
        if findVolume(volid, node: call.node) != nil { throw .failed("volume '\(volid)' already exists") }
        addVolume(Volume(volid: volid, content: "images", format: format, size: size, vmid: vmid, ctime: nowInt), node: call.node)
        return .string(volid)
    }

    // MARK: Upload and download

    private func templateContent(_ call: Call, _ storage: StorageDef) throws(SimError) -> (content: String, dir: String) {
        let content = try call.string("content")
        guard ["iso", "vztmpl", "import"].contains(content) else {
            throw .parameters(["content": "value '\(content)' does not have a value in the enumeration 'iso, vztmpl, import'"])
        }
        guard storage.content.contains(content) else {
            throw .failed("storage '\(storage.id)' does not support '\(content)' content")
        }
        let filename = try call.string("filename")
        let allowed: [String]
        switch content {
        case "iso": allowed = [".iso", ".img"]
        case "vztmpl": allowed = [".tar.gz", ".tar.xz", ".tar.zst", ".tgz", ".tar"]
        default: allowed = [".ova", ".qcow2", ".vmdk", ".raw", ".img"]
        }
        guard allowed.contains(where: { filename.lowercased().hasSuffix($0) }) else {
            throw .parameters(["filename": "wrong file extension (expected one of: \(allowed.joined(separator: ", ")))"])
        }
        guard !filename.contains("/"), !filename.hasPrefix(".") else {
            throw .parameters(["filename": "invalid filename '\(filename)'"])
        }
        return (content, content == "iso" ? "template/iso" : content == "vztmpl" ? "template/cache" : "import")
    }

    private func format(ofFile name: String) -> String {
        if name.hasSuffix(".tar.zst") { return "tzst" }
        if name.hasSuffix(".tar.xz") { return "txz" }
        if name.hasSuffix(".tar.gz") || name.hasSuffix(".tgz") { return "tgz" }
        return String(name.split(separator: ".").last ?? "raw")
    }

    func upload(_ call: Call) throws(SimError) -> JSON {
        let storage = try pathStorage(call)
        let (content, dir) = try templateContent(call, storage)
        guard let upload = call.request.upload else { throw .parameters(["filename": "no file was uploaded"]) }
        let filename = try call.string("filename")
        let volid = "\(storage.id):\(content)/\(filename)"
        let node = call.node
        let target = "\(storage.path ?? "/var/lib/vz")/\(dir)/\(filename)"
        let temp = "/var/tmp/pveupload-\(SHA1.hex(volid + String(nowInt)).prefix(32))"
        let size = upload.size
        let format = format(ofFile: filename)
        return .string(startTask(
            node: node, type: "imgcopy", id: "", user: call.identity.authid,
            header: ["starting file import from: \(temp)", "target node: \(node)", "target file: \(target)", "file size is: \(size)",
                     "command: cp -- \(temp) \(target)"],
            progress: ["finished file import successfully"], durationFactor: 0.5,
            completion: { s in
                s.removeVolume(volid, node: node)
                s.addVolume(Volume(volid: volid, content: content, format: format, size: size, ctime: s.nowInt), node: node)
                return nil
            }))
    }

    func downloadURL(_ call: Call) throws(SimError) -> JSON {
        let storage = try pathStorage(call)
        let (content, dir) = try templateContent(call, storage)
        let url = try call.string("url")
        guard url.hasPrefix("http://") || url.hasPrefix("https://") || url.hasPrefix("ftp://") else {
            throw .parameters(["url": "invalid URL '\(url)'"])
        }
        let filename = try call.string("filename")
        let volid = "\(storage.id):\(content)/\(filename)"
        let node = call.node
        let size = Int64(100 << 20) + Int64(SeededRandom.unit(url.utf8.reduce(UInt64(0)) { $0 &* 31 &+ UInt64($1) }, seed: 7) * Double(900 << 20))
        let failure = url.contains("/404") ? "download failed: 404 Not Found" : nil
        let progress = (1...10).map { "\(Sizes.human(Double(size) * Double($0) / 10)) / \(Sizes.human(Double(size))) (\($0 * 10).00%)" }
        let format = format(ofFile: filename)
        return .string(startTask(
            node: node, type: "download", id: filename, user: call.identity.authid,
            header: ["downloading \(url) to \(storage.path ?? "/var/lib/vz")/\(dir)/\(filename)"],
            progress: progress + ["download of '\(url)' to '\(volid)' finished"], failure: failure, durationFactor: 2,
            completion: { s in
                s.removeVolume(volid, node: node)
                s.addVolume(Volume(volid: volid, content: content, format: format, size: size, ctime: s.nowInt), node: node)
                return nil
            }))
    }

    // MARK: Storage configuration (`/storage`)

    private func storageConfigRow(_ storage: StorageDef) -> JSON {
        var row: [(String, JSON)] = [("storage", .string(storage.id)), ("type", .string(storage.type)),
                                     ("content", .string(storage.content.joined(separator: ",")))]
        if storage.shared { row.append(("shared", 1)) }
        if let nodes = storage.nodes { row.append(("nodes", .string(nodes.joined(separator: ",")))) }
        if let path = storage.path, storage.type == "dir" || storage.type == "nfs" { row.append(("path", .string(path))) }
        for key in storage.extra.keys.sorted() { row.append((key, .string(storage.extra[key] ?? ""))) }
        if storage.disabled { row.append(("disable", 1)) }
        row.append(("digest", .string(storageDigest)))
        return .object(row)
    }

    private var storageDigest: String {
        SHA1.hex(storages.map { "\($0.type): \($0.id)\n\tcontent \($0.content.joined(separator: ","))\n\($0.disabled ? "\tdisable\n" : "")" }.joined())
    }

    func listStorageConfig(_ call: Call) throws(SimError) -> JSON {
        let type = call.optionalString("type")
        return .array(storages.filter { (type == nil || $0.type == type) && canSeeStorage(call.identity, $0.id) }.map(storageConfigRow))
    }

    func getStorageConfig(_ call: Call) throws(SimError) -> JSON {
        let id = try call.string("storage")
        guard let storage = storage(id) else { throw .failed("storage '\(id)' does not exist") }
        return storageConfigRow(storage)
    }

    private static let contentTypes: Set<String> = ["images", "rootdir", "iso", "vztmpl", "backup", "snippets", "import"]

    private func parseContent(_ text: String, type: String) throws(SimError) -> [String] {
        let list = text.split(separator: ",").map(String.init)
        let allowed: Set<String> = switch type {
        case "lvmthin", "lvm", "zfspool", "rbd": ["images", "rootdir"]
        default: Self.contentTypes
        }
        for item in list where !allowed.contains(item) {
            throw .parameters(["content": "storage type '\(type)' does not support content type '\(item)'"])
        }
        return list
    }

    func createStorage(_ call: Call) throws(SimError) -> JSON {
        let id = try call.string("storage")
        let type = try call.string("type")
        guard storage(id) == nil else { throw .failed("create storage failed: storage ID '\(id)' already defined") }
        let supported = ["dir", "nfs", "lvmthin", "lvm", "zfspool", "cifs", "pbs", "btrfs", "rbd", "cephfs", "iscsi", "esxi", "glusterfs", "iscsidirect", "zfs"]
        guard supported.contains(type) else { throw .parameters(["type": "value '\(type)' does not have a value in the enumeration"]) }
        var storage = StorageDef(id: id, type: type, content: [], shared: type == "nfs" || type == "cifs" || type == "pbs", nodes: nil,
                                 total: 2000 << 30, path: nil)
        switch type {
        case "dir":
            guard let path = call.optionalString("path") else { throw .parameters(["path": "property is missing and it is not optional"]) }
            storage.path = path
        case "nfs":
            guard let server = call.optionalString("server") else { throw .parameters(["server": "property is missing and it is not optional"]) }
            guard let export = call.optionalString("export") else { throw .parameters(["export": "property is missing and it is not optional"]) }
            storage.extra = ["server": server, "export": export]
            storage.path = "/mnt/pve/\(id)"
        case "lvmthin":
            guard let vg = call.optionalString("vgname") else { throw .parameters(["vgname": "property is missing and it is not optional"]) }
            guard let pool = call.optionalString("thinpool") else { throw .parameters(["thinpool": "property is missing and it is not optional"]) }
            storage.extra = ["vgname": vg, "thinpool": pool]
        case "zfspool":
            guard let pool = call.optionalString("pool") else { throw .parameters(["pool": "property is missing and it is not optional"]) }
            storage.extra = ["pool": pool]
        default: break
        }
        let defaultContent = ["lvmthin", "lvm", "zfspool", "rbd"].contains(type) ? "images,rootdir" : "images,rootdir,iso,vztmpl,backup,snippets"
        storage.content = try parseContent(call.optionalString("content") ?? defaultContent, type: type)
        if let nodes = call.optionalString("nodes") {
            let list = nodes.split(separator: ",").map(String.init)
            for name in list where node(named: name) == nil { throw .failed("no such cluster node '\(name)'") }
            storage.nodes = list
        }
        if call.has("shared") { storage.shared = call.bool("shared") }
        storage.disabled = call.bool("disable")
        storages.append(storage)
        return .object([("storage", .string(id)), ("type", .string(type))])
    }

    func updateStorage(_ call: Call) throws(SimError) -> JSON {
        let id = try call.string("storage")
        guard let index = storages.firstIndex(where: { $0.id == id }) else { throw .failed("storage '\(id)' does not exist") }
        if let digest = call.optionalString("digest"), digest != storageDigest {
            throw .failed("detected modified configuration - file changed by other user? Try again.")
        }
        var storage = storages[index]
        if let content = call.optionalString("content") { storage.content = try parseContent(content, type: storage.type) }
        if let nodes = call.params["nodes"] { storage.nodes = nodes.isEmpty ? nil : nodes.split(separator: ",").map(String.init) }
        if call.has("disable") { storage.disabled = call.bool("disable") }
        if call.has("shared") { storage.shared = call.bool("shared") }
        for key in (call.optionalString("delete") ?? "").split(separator: ",") {
            switch key {
            case "nodes": storage.nodes = nil
            case "disable": storage.disabled = false
            default: break
            }
        }
        storages[index] = storage
        return .object([("storage", .string(id)), ("type", .string(storage.type))])
    }

    func deleteStorage(_ call: Call) throws(SimError) -> JSON {
        let id = try call.string("storage")
        guard storages.contains(where: { $0.id == id }) else { throw .failed("delete storage failed: storage '\(id)' does not exist") }
        if let guest = guests.values.first(where: { g in g.config.values.contains { $0.hasPrefix("\(id):") } }) {
            throw .failed("can't remove storage '\(id)' - used by \(guest.kind.label) \(guest.vmid)")
        }
        storages.removeAll { $0.id == id }
        for key in volumes.keys where key == id || key.hasPrefix("\(id)@") { volumes[key] = nil }
        for name in pools.keys { pools[name]?.storages.removeAll { $0 == id } }
        return .null
    }
}

extension Routes {
    static let storageRoutes: [Route] = [
        Route("GET", "/nodes/{node}/storage", .any, rowsInHashOrderBy: "storage") { s, c throws(SimError) in try s.listNodeStorage(c) },
        Route("GET", "/nodes/{node}/storage/{storage}", .storage("Datastore.Audit", "Datastore.AllocateSpace")) { s, c throws(SimError) in try s.storageIndex(c) },
        Route("GET", "/nodes/{node}/storage/{storage}/status", .storage("Datastore.Audit", "Datastore.AllocateSpace")) { s, c throws(SimError) in try s.storageStatus(c) },
        Route("GET", "/nodes/{node}/storage/{storage}/content", .storage("Datastore.Audit", "Datastore.AllocateSpace")) { s, c throws(SimError) in try s.listContent(c) },
        Route("POST", "/nodes/{node}/storage/{storage}/content", .storage("Datastore.AllocateSpace")) { s, c throws(SimError) in try s.allocateVolume(c) },
        Route("GET", "/nodes/{node}/storage/{storage}/content/{volume}", .storage("Datastore.Audit", "Datastore.AllocateSpace")) { s, c throws(SimError) in try s.volumeAttributes(c) },
        Route("PUT", "/nodes/{node}/storage/{storage}/content/{volume}", .storage("Datastore.Allocate", "Datastore.AllocateSpace")) { s, c throws(SimError) in try s.updateVolumeAttributes(c) },
        Route("DELETE", "/nodes/{node}/storage/{storage}/content/{volume}", .any) { s, c throws(SimError) in try s.deleteVolume(c) },
        Route("POST", "/nodes/{node}/storage/{storage}/upload", .storage("Datastore.AllocateTemplate")) { s, c throws(SimError) in try s.upload(c) },
        Route("POST", "/nodes/{node}/storage/{storage}/download-url",
              .and([.storage("Datastore.AllocateTemplate"), .or([.perm("/", ["Sys.Audit", "Sys.Modify"], any: false), .node("Sys.AccessNetwork")])])) { s, c throws(SimError) in
            try s.downloadURL(c)
        },
        Route("GET", "/storage", .any, rowsInHashOrderBy: "storage") { s, c throws(SimError) in try s.listStorageConfig(c) },
        Route("POST", "/storage", .perm("/storage", ["Datastore.Allocate"], any: false)) { s, c throws(SimError) in try s.createStorage(c) },
        Route("GET", "/storage/{storage}", .perm("/storage/{storage}", ["Datastore.Allocate"], any: false)) { s, c throws(SimError) in try s.getStorageConfig(c) },
        Route("PUT", "/storage/{storage}", .perm("/storage/{storage}", ["Datastore.Allocate"], any: false)) { s, c throws(SimError) in try s.updateStorage(c) },
        Route("DELETE", "/storage/{storage}", .perm("/storage/{storage}", ["Datastore.Allocate"], any: false)) { s, c throws(SimError) in try s.deleteStorage(c) },
    ]
}
