import Foundation
import PVESchema

extension ClusterState {
    // MARK: vzdump

    /// `POST /nodes/{node}/vzdump`: backs up the selected guests of this node, one archive each.
    func vzdump(_ call: Call) throws(SimError) -> JSON {
        let node = call.node
        let storageID = call.optionalString("storage") ?? "local"
        let storage = try usableStorage(storageID, node: node)
        guard storage.content.contains("backup") else {
            throw .failed("can't use storage '\(storageID)' for backups - wrong content type")
        }
        if !has(call.identity, "Datastore.AllocateSpace", on: "/storage/\(storageID)") {
            throw .forbidden("Permission check failed (/storage/\(storageID), Datastore.AllocateSpace)")
        }
        let excluded = Set((call.optionalString("exclude") ?? "").split(whereSeparator: { $0 == "," || $0 == " " }).compactMap { Int($0) })
        var selected: [Int]
        if call.bool("all") {
            selected = guests.values.filter { $0.node == node && !excluded.contains($0.vmid) }.map(\.vmid)
        } else if let pool = call.optionalString("pool") {
            guard let members = pools[pool]?.vmids else { throw .failed("pool '\(pool)' does not exist") }
            selected = members.filter { guests[$0]?.node == node && !excluded.contains($0) }
        } else if let list = call.optionalString("vmid") {
            selected = []
            for item in list.split(whereSeparator: { $0 == "," || $0 == ";" || $0 == " " }) {
                guard let vmid = Int(item) else { throw .parameters(["vmid": "value '\(item)' does not look like a valid VM ID"]) }
                guard guests[vmid] != nil else { throw .failed("unable to find VM '\(vmid)'") }
                selected.append(vmid)
            }
        } else {
            throw .parameters(["vmid": "property is missing and it is not optional (or use 'all' or 'pool')"])
        }
        selected.sort()
        for vmid in selected where !has(call.identity, "VM.Backup", on: "/vms/\(vmid)") {
            throw .forbidden("Permission check failed (/vms/\(vmid), VM.Backup)")
        }
        let external = selected.filter { guests[$0]?.node != node }
        let local = selected.filter { guests[$0]?.node == node }
        let mode = call.optionalString("mode") ?? "snapshot"
        let compress = call.optionalString("compress") ?? "0"
        let notesTemplate = call.optionalString("notes-template")
        let protect = call.bool("protected")
        let start = now
        var header = ["INFO: starting new backup job: vzdump \(selected.map(String.init).joined(separator: " ")) --storage \(storageID) --mode \(mode)"
            + (compress == "0" ? "" : " --compress \(compress)") + " --node \(node)"]
        if !external.isEmpty { header.append("INFO: skip external VMs: \(external.map(String.init).joined(separator: ", "))") }
        var progress: [String] = []
        var archives: [(vmid: Int, volume: Volume)] = []
        var errors = 0
        var locked: [Int] = []
        for (index, vmid) in local.enumerated() {
            guard let guest = guests[vmid] else { continue }
            let stamp = UTCTime(start + Double(index * 40))
            let kindName = guest.kind == .qemu ? "qemu" : "lxc"
            progress.append("INFO: Starting Backup of VM \(vmid) (\(kindName))")
            progress.append("INFO: Backup started at \(stamp.logStamp)")
            if let lock = guest.lock {
                progress.append("ERROR: Backup of VM \(vmid) failed - \(guest.kind.label) is locked (\(lock))")
                errors += 1
                continue
            }
            let ext = guest.kind == .qemu ? "vma" : "tar"
            let suffix: String
            switch compress {
            case "zstd": suffix = ".\(ext).zst"
            case "gzip", "1": suffix = ".\(ext).gz"
            case "lzo": suffix = ".\(ext).lzo"
            default: suffix = ".\(ext)"
            }
            let filename = "vzdump-\(kindName)-\(vmid)-\(stamp.fileStamp)\(suffix)"
            let path = "\(storage.path ?? "/var/lib/vz")/dump/\(filename)"
            let total = max(guest.maxdisk, 1 << 30)
            progress.append("INFO: status = \(guest.isRunning ? "running" : "stopped")")
            progress.append("INFO: \(guest.kind == .qemu ? "VM" : "CT") Name: \(guest.name)")
            if guest.kind == .qemu {
                for key in guest.config.keys.sorted() {
                    guard let value = guest.config[key], GuestDisks.isDiskKey(key, kind: .qemu), !key.hasPrefix("unused"), !GuestDisks.isCdrom(value) else { continue }
                    progress.append("INFO: include disk '\(key)' '\(GuestDisks.volid(of: value))' \(Sizes.format(GuestDisks.size(of: value) ?? 0))")
                }
                progress.append("INFO: backup mode: \(mode)")
                progress.append("INFO: ionice priority: 7")
                progress.append("INFO: creating vzdump archive '\(path)'")
                progress.append("INFO: started backup task '\(Seed.uuid(self))'")
                let seconds = 10
                for step in 1...seconds {
                    let percent = step * 100 / seconds
                    let done = Double(total) * Double(step) / Double(seconds)
                    let read = Double(total) / Double(seconds) / 1_048_576
                    let padded = String(repeating: " ", count: 3 - String(percent).count) + String(percent)
                    progress.append("INFO: \(padded)% (\(Sizes.human(done)) of \(Sizes.human(Double(total)))) in \(step * 3)s, read: \(Sizes.fixed(read / 3, 1)) MiB/s, write: \(Sizes.fixed(read / 3 * 0.3, 1)) MiB/s")
                }
                progress.append("INFO: backup is sparse: \(Sizes.human(Double(total) * 0.62)) (62%) total zero data")
                progress.append("INFO: transferred \(Sizes.human(Double(total))) in \(seconds * 3) seconds")
            } else {
                progress.append("INFO: backup mode: \(mode)")
                progress.append("INFO: ionice priority: 7")
                progress.append("INFO: creating vzdump archive '\(path)'")
                progress.append("INFO: Total bytes written: \(total / 5) (\(Sizes.human(Double(total / 5))), 120MiB/s)")
            }
            let size = guest.kind == .qemu ? total / 9 : total / 10
            progress.append("INFO: archive file size: \(Sizes.human(Double(size)))")
            var notes: String?
            if let notesTemplate {
                notes = notesTemplate.replacingOccurrences(of: "{{guestname}}", with: guest.name)
                    .replacingOccurrences(of: "{{vmid}}", with: String(vmid)).replacingOccurrences(of: "{{node}}", with: node)
                    .replacingOccurrences(of: "{{cluster}}", with: "home")
                progress.append("INFO: adding notes to backup")
            }
            if protect { progress.append("INFO: marking backup as protected") }
            progress.append("INFO: Finished Backup of VM \(vmid) (00:00:33)")
            progress.append("INFO: Backup finished at \(UTCTime(start + Double(index * 40 + 33)).logStamp)")
            archives.append((vmid, Volume(volid: "\(storageID):backup/\(filename)", content: "backup", format: String(suffix.dropFirst()),
                                          size: size, vmid: vmid, ctime: Int(start) + index * 40, notes: notes, protected: protect,
                                          backup: (guest.kind, guest.config))))
            locked.append(vmid)
        }
        if errors == 0 { progress.append("INFO: Backup job finished successfully") }
        for vmid in locked { updateGuest(vmid) { $0.config["lock"] = "backup" } }
        let id = selected.count == 1 ? String(selected[0]) : ""
        return .string(startTask(
            node: node, type: "vzdump", id: id, user: call.identity.authid, header: header, progress: progress,
            failure: errors > 0 ? "job errors" : nil, durationFactor: Double(max(1, local.count)) * 2, failsAtEnd: true,
            completion: { s in
                for (vmid, volume) in archives {
                    s.addVolume(volume, node: node)
                    s.updateGuest(vmid) { if $0.config["lock"] == "backup" { $0.config["lock"] = nil } }
                }
                return nil
            },
            cleanup: { s in
                // A failed job still keeps the archives of the guests that worked.
                for (vmid, volume) in archives {
                    s.addVolume(volume, node: node)
                    s.updateGuest(vmid) { if $0.config["lock"] == "backup" { $0.config["lock"] = nil } }
                }
            }))
    }

    func vzdumpDefaults(_ call: Call) throws(SimError) -> JSON {
        .object([("storage", "local"), ("mode", "snapshot"), ("compress", "zstd"), ("ionice", 7), ("lockwait", 180), ("stopwait", 10),
                 ("remove", 1), ("stdexcludes", 1), ("prune-backups", .object([("keep-all", 1)]))])
    }

    // MARK: Backup jobs

    private static let numericJobKeys: Set<String> = ["enabled", "all", "bwlimit", "ionice", "lockwait", "stopwait", "pigz", "zstd", "protected",
                                                       "quiet", "remove", "repeat-missed", "stdexcludes", "stop", "maxfiles"]

    private func jobRow(_ job: BackupJob) -> JSON {
        var row: [(String, JSON)] = [("id", .string(job.id))]
        for key in job.fields.keys.sorted() {
            guard let value = job.fields[key] else { continue }
            if key == "prune-backups" {
                row.append((key, .object(value.split(separator: ",").compactMap { item in
                    let kv = item.split(separator: "=", maxSplits: 1).map(String.init)
                    guard kv.count == 2 else { return nil }
                    return (kv[0], Int64(kv[1]).map { JSON.int($0) } ?? .string(kv[1]))
                })))
            } else if Self.numericJobKeys.contains(key), let number = Int64(value) {
                row.append((key, .int(number)))
            } else {
                row.append((key, .string(value)))
            }
        }
        if job.fields["enabled"] != "0", let schedule = job.fields["schedule"], let next = CalendarEvent(schedule)?.next(after: now) {
            row.append(("next-run", .int(Int64(next))))
        }
        return .object(row)
    }

    func listBackupJobs(_ call: Call) throws(SimError) -> JSON { .array(backupJobs.map(jobRow)) }

    private func jobIndex(_ call: Call) throws(SimError) -> Int {
        let id = try call.string("id")
        guard let index = backupJobs.firstIndex(where: { $0.id == id }) else { throw .failed("job '\(id)' does not exist") }
        return index
    }

    func getBackupJob(_ call: Call) throws(SimError) -> JSON { jobRow(backupJobs[try jobIndex(call)]) }

    private static let jobControlKeys: Set<String> = ["id", "delete", "digest", "starttime", "dow"]

    private func validateJob(_ fields: [String: String]) throws(SimError) {
        guard let schedule = fields["schedule"] else { throw .parameters(["schedule": "property is missing and it is not optional"]) }
        guard CalendarEvent(schedule) != nil else {
            throw .parameters(["schedule": "value '\(schedule)' does not look like a valid calendar event (examples: 'sun 01:00', '*/2:00', 'mon..fri 22:30', 'daily')"])
        }
        if fields["vmid"] == nil && fields["all"] != "1" && fields["pool"] == nil {
            throw .parameters(["vmid": "one of 'vmid', 'all' or 'pool' is required"])
        }
        if let storageID = fields["storage"] {
            guard let storage = storage(storageID) else { throw .failed("storage '\(storageID)' does not exist") }
            guard storage.content.contains("backup") else { throw .failed("can't use storage '\(storageID)' for backups - wrong content type") }
        }
        if let pool = fields["pool"], pools[pool] == nil { throw .failed("pool '\(pool)' does not exist") }
    }

    func createBackupJob(_ call: Call) throws(SimError) -> JSON {
        let id = call.optionalString("id") ?? "backup-\(Seed.uuid(self).prefix(13))"
        if backupJobs.contains(where: { $0.id == id }) { throw .failed("Job '\(id)' already exists") }
        var fields: [String: String] = ["type": "vzdump", "enabled": "1"]
        for (key, value) in call.params where !Self.jobControlKeys.contains(key) { fields[key] = value }
        if let start = call.optionalString("starttime"), fields["schedule"] == nil {
            fields["schedule"] = (call.optionalString("dow").map { "\($0) " } ?? "") + start
        }
        try validateJob(fields)
        backupJobs.append(BackupJob(id: id, fields: fields))
        return .null
    }

    func updateBackupJob(_ call: Call) throws(SimError) -> JSON {
        let index = try jobIndex(call)
        var fields = backupJobs[index].fields
        for key in (call.optionalString("delete") ?? "").split(separator: ",").map(String.init) { fields[key] = nil }
        for (key, value) in call.params where !Self.jobControlKeys.contains(key) { fields[key] = value }
        try validateJob(fields)
        backupJobs[index].fields = fields
        return .null
    }

    func deleteBackupJob(_ call: Call) throws(SimError) -> JSON {
        backupJobs.remove(at: try jobIndex(call))
        return .null
    }

    func includedVolumes(_ call: Call) throws(SimError) -> JSON {
        let job = backupJobs[try jobIndex(call)]
        let ids: [Int]
        if job.fields["all"] == "1" { ids = guests.keys.sorted() }
        else if let pool = job.fields["pool"] { ids = (pools[pool]?.vmids ?? []).sorted() }
        else { ids = (job.fields["vmid"] ?? "").split(separator: ",").compactMap { Int($0) } }
        return .object([("children", .array(ids.compactMap { vmid in
            guard let guest = guests[vmid] else { return nil }
            return .object([("id", .int(Int64(vmid))), ("name", .string(guest.name)), ("type", .string(guest.kind.rawValue)),
                            ("children", .array(guest.config.keys.sorted().compactMap { key in
                                guard let value = guest.config[key], GuestDisks.isDiskKey(key, kind: guest.kind), !key.hasPrefix("unused"), !GuestDisks.isCdrom(value) else { return nil }
                                return .object([("id", .string(key)), ("name", .string(GuestDisks.volid(of: value))), ("included", 1), ("reason", "backup=1")])
                            }))])
        }))])
    }
}

/// A systemd-style calendar event as PVE's job schedules use them: `[WEEKDAYS] [HOUR:]MINUTE`
/// with `*`, lists, ranges (`a..b`) and repetitions (`*/n`, `a/n`), plus keywords like `daily`.
struct CalendarEvent {
    private let weekdays: Set<Int>
    private let hours: Set<Int>
    private let minutes: Set<Int>

    init?(_ text: String) {
        let keywords: [String: String] = ["minutely": "*:*", "hourly": "*:00", "daily": "00:00", "weekly": "mon 00:00"]
        let spec = keywords[text.trimmingCharacters(in: .whitespaces).lowercased()] ?? text
        var words = spec.split(separator: " ").map(String.init)
        guard !words.isEmpty, words.count <= 2 else { return nil }
        let days = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
        var weekdays = Set(0..<7)
        if words.count == 2 || words[0].first?.isLetter == true {
            var set = Set<Int>()
            for part in words.removeFirst().lowercased().split(separator: ",") {
                let range = part.components(separatedBy: "..")
                guard let first = days.firstIndex(of: String(range[0].prefix(3))) else { return nil }
                if range.count == 2 {
                    guard let last = days.firstIndex(of: String(range[1].prefix(3))) else { return nil }
                    var day = first
                    while true {
                        set.insert(day)
                        if day == last { break }
                        day = (day + 1) % 7
                    }
                } else {
                    set.insert(first)
                }
            }
            weekdays = set
        }
        let time = words.first ?? "00:00"
        let parts = time.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        let hourSpec = parts.count == 2 ? parts[0] : "*"
        let minuteSpec = parts.count == 2 ? parts[1] : parts[0]
        guard parts.count <= 2, let hours = Self.values(hourSpec, limit: 24), let minutes = Self.values(minuteSpec, limit: 60) else { return nil }
        self.weekdays = weekdays
        self.hours = hours
        self.minutes = minutes
    }

    private static func values(_ spec: String, limit: Int) -> Set<Int>? {
        var result = Set<Int>()
        for item in spec.split(separator: ",").map(String.init) {
            let step = item.split(separator: "/").map(String.init)
            guard step.count <= 2 else { return nil }
            var start = 0
            var end = limit - 1
            if step[0] != "*" {
                let range = step[0].components(separatedBy: "..")
                guard let first = Int(range[0]), (0..<limit).contains(first) else { return nil }
                start = first
                if range.count == 2 {
                    guard let last = Int(range[1]), (first..<limit).contains(last) else { return nil }
                    end = last
                } else if step.count == 1 {
                    end = first
                }
            }
            let stride = step.count == 2 ? Int(step[1]) : 1
            guard let stride, stride > 0 else { return nil }
            for value in Swift.stride(from: start, through: end, by: stride) { result.insert(value) }
        }
        return result.isEmpty ? nil : result
    }

    /// The next matching minute after `time` (UTC), within eight days.
    func next(after time: Double) -> Int? {
        var minute = (Int(time) / 60 + 1) * 60
        for _ in 0..<(8 * 24 * 60) {
            let t = UTCTime(Double(minute))
            let weekday = ((minute / 86400) + 4) % 7  // 1970-01-01 was a Thursday.
            if weekdays.contains(weekday), hours.contains(t.hour), minutes.contains(t.minute) { return minute }
            minute += 60
        }
        return nil
    }
}

extension Routes {
    static let backupRoutes: [Route] = [
        Route("POST", "/nodes/{node}/vzdump", .any) { s, c throws(SimError) in try s.vzdump(c) },
        Route("GET", "/nodes/{node}/vzdump/defaults", .any) { s, c throws(SimError) in try s.vzdumpDefaults(c) },
        Route("GET", "/cluster/backup", .rootPath("Sys.Audit")) { s, c throws(SimError) in try s.listBackupJobs(c) },
        Route("POST", "/cluster/backup", .rootPath("Sys.Modify")) { s, c throws(SimError) in try s.createBackupJob(c) },
        Route("GET", "/cluster/backup/{id}", .rootPath("Sys.Audit")) { s, c throws(SimError) in try s.getBackupJob(c) },
        Route("PUT", "/cluster/backup/{id}", .rootPath("Sys.Modify")) { s, c throws(SimError) in try s.updateBackupJob(c) },
        Route("DELETE", "/cluster/backup/{id}", .rootPath("Sys.Modify")) { s, c throws(SimError) in try s.deleteBackupJob(c) },
        Route("GET", "/cluster/backup/{id}/included_volumes", .rootPath("Sys.Audit")) { s, c throws(SimError) in try s.includedVolumes(c) },
    ]
}
