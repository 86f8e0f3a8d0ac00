import Foundation
import PVESchema

/// Logins of the seeded cluster, for tests and the demo. Passwords and token secrets are only for
/// the simulator; they never belong to a real system.
public enum SimCredentials {
    /// `root@pam`: may do everything.
    public static let rootUser = "root@pam"
    public static let rootPassword = "proxmux-root"
    /// `alice@pve`: PVEVMAdmin on `/vms`, PVEDatastoreUser on `/storage`, PVEAuditor on `/`.
    public static let aliceUser = "alice@pve"
    public static let alicePassword = "alice-secret"
    /// `tfa@pve`: TOTP second factor with `tfaTOTPSecret` (base32, SHA-1, 6 digits, 30 s).
    public static let tfaUser = "tfa@pve"
    public static let tfaPassword = "tfa-secret"
    public static let tfaTOTPSecret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    /// `root@pam!ci`: a token without privilege separation (acts as root).
    public static let rootTokenID = "root@pam!ci"
    public static let rootTokenSecret = "5f0e8c2a-7d3b-4e1f-9a6c-1b2d3e4f5a60"
    /// `alice@pve!auto`: privilege-separated; its own ACL grants only PVEAuditor on `/vms`.
    public static let aliceTokenID = "alice@pve!auto"
    public static let aliceTokenSecret = "a11ce0a0-4b5c-4d6e-8f70-8192a3b4c5d6"
}

/// Who may call an endpoint, after the schema's `permissions.check`.
indirect enum AccessRule: Sendable {
    /// `user: all`: any authenticated caller; the handler filters what it returns.
    case any
    /// The caller needs the privileges (all of them, or one with `any`) on the path; `{param}` is substituted.
    case perm(String, [String], any: Bool)
    case or([AccessRule])
    case and([AccessRule])
    /// Only `root@pam`.
    case root

    static func vm(_ privs: String...) -> AccessRule { .perm("/vms/{vmid}", privs, any: true) }
    static func node(_ priv: String) -> AccessRule { .perm("/nodes/{node}", [priv], any: false) }
    static func rootPath(_ priv: String) -> AccessRule { .perm("/", [priv], any: false) }
    static func storage(_ privs: String...) -> AccessRule { .perm("/storage/{storage}", privs, any: true) }
}

enum Privileges {
    static let all: [String] = [
        "Datastore.Allocate", "Datastore.AllocateSpace", "Datastore.AllocateTemplate", "Datastore.Audit",
        "Group.Allocate", "Mapping.Audit", "Mapping.Modify", "Mapping.Use", "Permissions.Modify", "Pool.Allocate",
        "Pool.Audit", "Realm.Allocate", "Realm.AllocateUser", "SDN.Allocate", "SDN.Audit", "SDN.Use",
        "Sys.AccessNetwork", "Sys.Audit", "Sys.Console", "Sys.Incoming", "Sys.Modify", "Sys.PowerMgmt", "Sys.Syslog",
        "User.Modify", "VM.Allocate", "VM.Audit", "VM.Backup", "VM.Clone", "VM.Config.CDROM", "VM.Config.CPU",
        "VM.Config.Cloudinit", "VM.Config.Disk", "VM.Config.HWType", "VM.Config.Memory", "VM.Config.Network",
        "VM.Config.Options", "VM.Console", "VM.GuestAgent.Audit", "VM.GuestAgent.FileRead",
        "VM.GuestAgent.FileSystemMgmt", "VM.GuestAgent.FileWrite", "VM.GuestAgent.Unrestricted", "VM.Migrate",
        "VM.PowerMgmt", "VM.Replicate", "VM.Snapshot", "VM.Snapshot.Rollback",
    ]

    /// The built-in roles (`special: 1`).
    static let builtinRoles: [String: [String]] = [
        "Administrator": all,
        "NoAccess": [],
        "PVEAuditor": ["Datastore.Audit", "Mapping.Audit", "Pool.Audit", "SDN.Audit", "Sys.Audit", "VM.Audit", "VM.GuestAgent.Audit"],
        "PVEVMAdmin": all.filter { $0.hasPrefix("VM.") } + ["Datastore.AllocateSpace", "Mapping.Use", "SDN.Use"],
        "PVEVMUser": [
            "VM.Audit", "VM.Backup", "VM.Config.CDROM", "VM.Config.Cloudinit", "VM.Console", "VM.GuestAgent.Audit",
            "VM.PowerMgmt",
        ],
        "PVEDatastoreUser": ["Datastore.AllocateSpace", "Datastore.Audit"],
        "PVEDatastoreAdmin": ["Datastore.Allocate", "Datastore.AllocateSpace", "Datastore.AllocateTemplate", "Datastore.Audit"],
        "PVEPoolAdmin": ["Pool.Allocate", "Pool.Audit"],
        "PVEPoolUser": ["Pool.Audit"],
        "PVETemplateUser": ["VM.Audit", "VM.Clone"],
        "PVEUserAdmin": ["Group.Allocate", "Realm.AllocateUser", "User.Modify"],
        "PVESysAdmin": ["Sys.AccessNetwork", "Sys.Audit", "Sys.Console", "Sys.Incoming", "Sys.Modify", "Sys.PowerMgmt", "Sys.Syslog"],
        "PVEAdmin": all.filter { !["Permissions.Modify", "Realm.Allocate", "Sys.Modify"].contains($0) },
    ]
}

extension ClusterState {
    // MARK: Authentication

    func verifyPassword(userid: String, password: String) -> Bool {
        guard let user = users[userid], user.enable, !isExpired(user.expire), let stored = user.password else { return false }
        return stored == password
    }

    func verifyToken(authid: String, secret: String) -> SimIdentity? {
        let parts = authid.split(separator: "!", maxSplits: 1)
        guard parts.count == 2, let user = users[String(parts[0])], user.enable, !isExpired(user.expire),
            let token = user.tokens[String(parts[1])], token.secret == secret, !isExpired(token.expire)
        else { return nil }
        return SimIdentity(userid: user.userid, tokenID: String(parts[1]), privilegeSeparated: token.privsep)
    }

    private func isExpired(_ expire: Int) -> Bool { expire > 0 && expire < nowInt }

    // MARK: Authorization

    func isRoot(_ identity: SimIdentity) -> Bool { identity.userid == "root@pam" && !identity.privilegeSeparated }

    /// Roles granted to `ugid`s on `path`: the deepest level with a matching entry wins, user
    /// entries over group entries, and entries above the path count only when they propagate.
    private func roles(on path: String, matching: (ACLEntry) -> Bool, userFirst: Bool) -> [String] {
        var levels = ["/"]
        var prefix = ""
        for component in path.split(separator: "/") {
            prefix += "/\(component)"
            levels.append(prefix)
        }
        var result: [String] = []
        for level in levels {
            let exact = level == levels.last
            let entries = acl.filter { $0.path == level && (exact || $0.propagate) && matching($0) }
            if entries.isEmpty { continue }
            let direct = entries.filter { $0.kind != .group }
            result = (userFirst && !direct.isEmpty ? direct : entries).map(\.roleid)
        }
        return result
    }

    private func privileges(_ identity: SimIdentity, on path: String) -> Set<String> {
        guard let user = users[identity.userid], user.enable else { return [] }
        let userRoles = roles(on: path, matching: { entry in
            (entry.kind == .user && entry.ugid == user.userid) || (entry.kind == .group && user.groups.contains(entry.ugid))
        }, userFirst: true)
        var privs = Set(userRoles.flatMap { self.roles[$0]?.privs ?? [] })
        if identity.userid == "root@pam" { privs = Set(Privileges.all) }
        if identity.privilegeSeparated {
            let tokenRoles = roles(on: path, matching: { $0.kind == .token && $0.ugid == identity.authid }, userFirst: true)
            privs.formIntersection(tokenRoles.flatMap { self.roles[$0]?.privs ?? [] })
        }
        return privs
    }

    /// Whether the caller holds `priv` on `path` (for `/vms/ID`, also through the guest's pool).
    func has(_ identity: SimIdentity, _ priv: String, on path: String) -> Bool {
        if isRoot(identity) { return true }
        if privileges(identity, on: path).contains(priv) { return true }
        if path.hasPrefix("/vms/"), let vmid = Int(path.dropFirst(5)), let pool = guests[vmid]?.pool {
            return privileges(identity, on: "/pool/\(pool)").contains(priv)
        }
        return false
    }

    func canAudit(_ identity: SimIdentity, vmid: Int) -> Bool { has(identity, "VM.Audit", on: "/vms/\(vmid)") }

    func authorize(_ rule: AccessRule, call: Call) throws(SimError) {
        if let failure = check(rule, call) { throw .forbidden("Permission check failed (\(failure))") }
    }

    /// nil when allowed, else "path, priv" for the message.
    private func check(_ rule: AccessRule, _ call: Call) -> String? {
        switch rule {
        case .any: return nil
        case .root: return isRoot(call.identity) ? nil : "root@pam only"
        case .perm(let template, let privs, let any):
            var path = template
            for (key, value) in call.params where path.contains("{\(key)}") { path = path.replacingOccurrences(of: "{\(key)}", with: value) }
            if path.contains("{") { return "\(path), \(privs.joined(separator: "|"))" }
            if any {
                return privs.contains { has(call.identity, $0, on: path) } ? nil : "\(path), \(privs.joined(separator: "|"))"
            }
            for priv in privs where !has(call.identity, priv, on: path) { return "\(path), \(priv)" }
            return nil
        case .or(let rules):
            var first: String?
            for rule in rules {
                guard let failure = check(rule, call) else { return nil }
                if first == nil { first = failure }
            }
            return first
        case .and(let rules):
            for rule in rules { if let failure = check(rule, call) { return failure } }
            return nil
        }
    }

    /// `GET /access/permissions`: the caller's (or, for user admins, another user's) privileges
    /// per path, for the given path or every path with an ACL entry.
    func permissions(_ call: Call) throws(SimError) -> JSON {
        var identity = call.identity
        if let other = call.optionalString("userid"), other != identity.authid {
            guard isRoot(call.identity) || has(call.identity, "Sys.Audit", on: "/access") else {
                throw .forbidden("Permission check failed (/access, Sys.Audit)")
            }
            let parts = other.split(separator: "!", maxSplits: 1).map(String.init)
            guard let user = users[parts[0]] else { throw .failed("no such user ('\(other)')") }
            let token = parts.count == 2 ? user.tokens[parts[1]] : nil
            identity = SimIdentity(userid: user.userid, tokenID: parts.count == 2 ? parts[1] : nil, privilegeSeparated: token?.privsep ?? false)
        }
        let paths = call.optionalString("path").map { [$0] } ?? (["/"] + Set(acl.map(\.path)).sorted().filter { $0 != "/" })
        return .object(paths.compactMap { path in
            let privs = isRoot(identity) ? Set(Privileges.all) : privileges(identity, on: path)
            if privs.isEmpty && call.optionalString("path") == nil { return nil }
            return (path, .object(privs.sorted().map { ($0, JSON.int(1)) }))
        })
    }

    // MARK: Users

    private func userRow(_ user: User, full: Bool) -> JSON {
        var row: [(String, JSON)] = [("userid", .string(user.userid)), ("enable", .int(user.enable ? 1 : 0)), ("expire", .int(Int64(user.expire)))]
        if let v = user.firstname { row.append(("firstname", .string(v))) }
        if let v = user.lastname { row.append(("lastname", .string(v))) }
        if let v = user.email { row.append(("email", .string(v))) }
        if let v = user.comment { row.append(("comment", .string(v))) }
        if !user.groups.isEmpty { row.append(("groups", .string(user.groups.joined(separator: ",")))) }
        row.append(("realm-type", .string(String(user.userid.split(separator: "@").last ?? ""))))
        if full {
            row.append(("tokens", .array(user.tokens.keys.sorted().compactMap { id in user.tokens[id].map { tokenRow(id, $0) } })))
        }
        return .object(row)
    }

    private func tokenRow(_ id: String, _ token: APIToken) -> JSON {
        var row: [(String, JSON)] = [("tokenid", .string(id)), ("privsep", .int(token.privsep ? 1 : 0)), ("expire", .int(Int64(token.expire)))]
        if let comment = token.comment { row.append(("comment", .string(comment))) }
        return .object(row)
    }

    private func canManageUsers(_ identity: SimIdentity) -> Bool {
        has(identity, "User.Modify", on: "/access/groups") || has(identity, "Sys.Audit", on: "/access/groups")
    }

    private func existingUser(_ call: Call) throws(SimError) -> User {
        let userid = try call.string("userid")
        guard let user = users[userid] else { throw .failed("no such user ('\(userid)')") }
        return user
    }

    func listUsers(_ call: Call) throws(SimError) -> JSON {
        let full = call.bool("full")
        let enabledFilter = call.has("enabled") ? call.bool("enabled") : nil
        let rows = users.keys.sorted().compactMap { id -> JSON? in
            guard let user = users[id] else { return nil }
            guard canManageUsers(call.identity) || user.userid == call.identity.userid else { return nil }
            if let enabledFilter, user.enable != enabledFilter { return nil }
            return userRow(user, full: full)
        }
        return .array(rows)
    }

    func getUser(_ call: Call) throws(SimError) -> JSON {
        let user = try existingUser(call)
        guard case .object(var pairs) = userRow(user, full: false) else { return .null }
        pairs.removeAll { $0.0 == "userid" || $0.0 == "groups" }
        pairs.append(("groups", .array(user.groups.map { .string($0) })))
        pairs.append(("tokens", .object(user.tokens.keys.sorted().compactMap { id in
            user.tokens[id].map { (id, JSON.object([("privsep", .int($0.privsep ? 1 : 0)), ("expire", .int(Int64($0.expire)))])) }
        })))
        return .object(pairs)
    }

    private func applyUserFields(_ user: inout User, _ call: Call) throws(SimError) {
        if call.has("firstname") { user.firstname = call.optionalString("firstname") }
        if call.has("lastname") { user.lastname = call.optionalString("lastname") }
        if call.has("email") { user.email = call.optionalString("email") }
        if call.has("comment") { user.comment = call.optionalString("comment") }
        if call.has("enable") { user.enable = call.bool("enable") }
        if let expire = try call.optionalInt("expire") { user.expire = expire }
        if let list = call.params["groups"] {
            let names = list.split(separator: ",").map(String.init).filter { !$0.isEmpty }
            for name in names where groups[name] == nil { throw .failed("no such group '\(name)'") }
            user.groups = call.bool("append") ? Array(Set(user.groups + names)).sorted() : names
        }
    }

    func createUser(_ call: Call) throws(SimError) -> JSON {
        let userid = try call.string("userid")
        let parts = userid.split(separator: "@")
        guard parts.count == 2, ["pam", "pve"].contains(parts[1]) else {
            throw .parameters(["userid": "value '\(userid)' does not look like a valid user name (realms: pam, pve)"])
        }
        guard users[userid] == nil else { throw .failed("create user failed: user '\(userid)' already exists") }
        var user = User(userid: userid)
        user.password = call.optionalString("password")
        try applyUserFields(&user, call)
        users[userid] = user
        return .null
    }

    func updateUser(_ call: Call) throws(SimError) -> JSON {
        var user = try existingUser(call)
        try applyUserFields(&user, call)
        users[user.userid] = user
        return .null
    }

    func deleteUser(_ call: Call) throws(SimError) -> JSON {
        let user = try existingUser(call)
        if user.userid == "root@pam" { throw .failed("delete user failed: cannot delete root@pam") }
        users[user.userid] = nil
        acl.removeAll { ($0.kind == .user && $0.ugid == user.userid) || ($0.kind == .token && $0.ugid.hasPrefix(user.userid + "!")) }
        return .null
    }

    // MARK: Tokens

    private func existingToken(_ call: Call) throws(SimError) -> (User, String, APIToken) {
        let user = try existingUser(call)
        let tokenid = try call.string("tokenid")
        guard let token = user.tokens[tokenid] else { throw .failed("no such token '\(tokenid)' for user '\(user.userid)'") }
        return (user, tokenid, token)
    }

    private func requireSelfOrUserAdmin(_ call: Call) throws(SimError) {
        let userid = try call.string("userid")
        guard userid == call.identity.userid || has(call.identity, "User.Modify", on: "/access/groups") else {
            throw .forbidden("Permission check failed (/access/groups, User.Modify)")
        }
    }

    func listTokens(_ call: Call) throws(SimError) -> JSON {
        try requireSelfOrUserAdmin(call)
        let user = try existingUser(call)
        return .array(user.tokens.keys.sorted().compactMap { id in user.tokens[id].map { tokenRow(id, $0) } })
    }

    func getToken(_ call: Call) throws(SimError) -> JSON {
        try requireSelfOrUserAdmin(call)
        let (_, id, token) = try existingToken(call)
        guard case .object(var pairs) = tokenRow(id, token) else { return .null }
        pairs.removeAll { $0.0 == "tokenid" }
        return .object(pairs)
    }

    func createToken(_ call: Call) throws(SimError) -> JSON {
        try requireSelfOrUserAdmin(call)
        var user = try existingUser(call)
        let tokenid = try call.string("tokenid")
        guard user.tokens[tokenid] == nil else { throw .failed("Token already exists.") }
        var token = APIToken(secret: newSecret(), privsep: call.bool("privsep", default: true))
        token.expire = try call.optionalInt("expire") ?? 0
        token.comment = call.optionalString("comment")
        user.tokens[tokenid] = token
        users[user.userid] = user
        return .object([
            ("full-tokenid", .string("\(user.userid)!\(tokenid)")),
            ("info", .object([("privsep", .int(token.privsep ? 1 : 0)), ("expire", .int(Int64(token.expire)))]
                + (token.comment.map { [("comment", JSON.string($0))] } ?? []))),
            ("value", .string(token.secret)),
        ])
    }

    func updateToken(_ call: Call) throws(SimError) -> JSON {
        try requireSelfOrUserAdmin(call)
        var (user, id, token) = try existingToken(call)
        if call.has("privsep") { token.privsep = call.bool("privsep") }
        if let expire = try call.optionalInt("expire") { token.expire = expire }
        if call.has("comment") { token.comment = call.optionalString("comment") }
        for key in (call.optionalString("delete") ?? "").split(separator: ",") where key == "comment" { token.comment = nil }
        user.tokens[id] = token
        users[user.userid] = user
        return getTokenInfo(token)
    }

    private func getTokenInfo(_ token: APIToken) -> JSON {
        .object([("privsep", .int(token.privsep ? 1 : 0)), ("expire", .int(Int64(token.expire)))]
            + (token.comment.map { [("comment", JSON.string($0))] } ?? []))
    }

    func deleteToken(_ call: Call) throws(SimError) -> JSON {
        try requireSelfOrUserAdmin(call)
        var (user, id, _) = try existingToken(call)
        user.tokens[id] = nil
        users[user.userid] = user
        acl.removeAll { $0.kind == .token && $0.ugid == "\(user.userid)!\(id)" }
        return .null
    }

    private func newSecret() -> String {
        let digits = Array("0123456789abcdef")
        var text = ""
        for i in 0..<32 {
            if [8, 12, 16, 20].contains(i) { text += "-" }
            text.append(digits[Int(random.next() % 16)])
        }
        return text
    }

    // MARK: Groups

    func listGroups(_ call: Call) throws(SimError) -> JSON {
        guard canManageUsers(call.identity) else { return .array([]) }
        return .array(groups.keys.sorted().map { id in
            var row: [(String, JSON)] = [("groupid", .string(id))]
            if let comment = groups[id]?.comment { row.append(("comment", .string(comment))) }
            let members = users.values.filter { $0.groups.contains(id) }.map(\.userid).sorted()
            row.append(("users", .string(members.joined(separator: ","))))
            return .object(row)
        })
    }

    func getGroup(_ call: Call) throws(SimError) -> JSON {
        let id = try call.string("groupid")
        guard let group = groups[id] else { throw .failed("group '\(id)' does not exist") }
        let members = users.values.filter { $0.groups.contains(id) }.map(\.userid).sorted()
        return .object([("members", .array(members.map { .string($0) }))] + (group.comment.map { [("comment", JSON.string($0))] } ?? []))
    }

    func createGroup(_ call: Call) throws(SimError) -> JSON {
        let id = try call.string("groupid")
        guard groups[id] == nil else { throw .failed("create group failed: group '\(id)' already exists") }
        groups[id] = Group(comment: call.optionalString("comment"))
        return .null
    }

    func updateGroup(_ call: Call) throws(SimError) -> JSON {
        let id = try call.string("groupid")
        guard groups[id] != nil else { throw .failed("group '\(id)' does not exist") }
        groups[id]?.comment = call.optionalString("comment")
        return .null
    }

    func deleteGroup(_ call: Call) throws(SimError) -> JSON {
        let id = try call.string("groupid")
        guard groups[id] != nil else { throw .failed("delete group failed: group '\(id)' does not exist") }
        groups[id] = nil
        for key in users.keys { users[key]?.groups.removeAll { $0 == id } }
        acl.removeAll { $0.kind == .group && $0.ugid == id }
        return .null
    }

    // MARK: Roles

    func listRoles(_ call: Call) throws(SimError) -> JSON {
        .array(roles.keys.sorted().compactMap { id in
            roles[id].map { .object([("roleid", .string(id)), ("privs", .string($0.privs.sorted().joined(separator: ","))), ("special", .int($0.special ? 1 : 0))]) }
        })
    }

    func getRole(_ call: Call) throws(SimError) -> JSON {
        let id = try call.string("roleid")
        guard let role = roles[id] else { throw .failed("role '\(id)' does not exist") }
        return .object(role.privs.sorted().map { ($0, JSON.int(1)) })
    }

    private func parsePrivs(_ call: Call) throws(SimError) -> [String] {
        let privs = (call.optionalString("privs") ?? "").split(whereSeparator: { $0 == "," || $0 == ";" || $0 == " " }).map(String.init)
        for priv in privs where !Privileges.all.contains(priv) { throw .failed("invalid privilege '\(priv)'") }
        return privs
    }

    func createRole(_ call: Call) throws(SimError) -> JSON {
        let id = try call.string("roleid")
        guard roles[id] == nil else { throw .failed("create role failed: role '\(id)' already exists") }
        roles[id] = Role(privs: try parsePrivs(call), special: false)
        return .null
    }

    func updateRole(_ call: Call) throws(SimError) -> JSON {
        let id = try call.string("roleid")
        guard let role = roles[id] else { throw .failed("role '\(id)' does not exist") }
        if role.special { throw .failed("cannot modify built-in role '\(id)'") }
        let privs = try parsePrivs(call)
        roles[id]?.privs = call.bool("append") ? Array(Set(role.privs + privs)) : privs
        return .null
    }

    func deleteRole(_ call: Call) throws(SimError) -> JSON {
        let id = try call.string("roleid")
        guard let role = roles[id] else { throw .failed("role '\(id)' does not exist") }
        if role.special { throw .failed("cannot delete role '\(id)' - built-in role") }
        roles[id] = nil
        acl.removeAll { $0.roleid == id }
        return .null
    }

    // MARK: ACL

    func listACL(_ call: Call) throws(SimError) -> JSON {
        .array(acl.filter { isRoot(call.identity) || has(call.identity, "Sys.Audit", on: $0.path) || has(call.identity, "Permissions.Modify", on: $0.path) }
            .map { .object([("path", .string($0.path)), ("type", .string($0.kind.rawValue)), ("ugid", .string($0.ugid)),
                            ("roleid", .string($0.roleid)), ("propagate", .int($0.propagate ? 1 : 0))]) })
    }

    func updateACL(_ call: Call) throws(SimError) -> JSON {
        let path = try call.string("path")
        let roleNames = try call.string("roles").split(separator: ",").map(String.init)
        for role in roleNames where roles[role] == nil { throw .failed("role '\(role)' does not exist") }
        let propagate = call.bool("propagate", default: true)
        let delete = call.bool("delete")
        var subjects: [(ACLEntry.Kind, String)] = []
        for user in (call.optionalString("users") ?? "").split(separator: ",").map(String.init) {
            guard users[user] != nil else { throw .failed("user '\(user)' does not exist") }
            subjects.append((.user, user))
        }
        for group in (call.optionalString("groups") ?? "").split(separator: ",").map(String.init) {
            guard groups[group] != nil else { throw .failed("group '\(group)' does not exist") }
            subjects.append((.group, group))
        }
        for token in (call.optionalString("tokens") ?? "").split(separator: ",").map(String.init) {
            guard verifyTokenExists(token) else { throw .failed("token '\(token)' does not exist") }
            subjects.append((.token, token))
        }
        guard !subjects.isEmpty else { throw .parameters(["users": "at least one of users, groups or tokens is required"]) }
        for (kind, ugid) in subjects {
            for role in roleNames {
                acl.removeAll { $0.path == path && $0.kind == kind && $0.ugid == ugid && $0.roleid == role }
                if !delete { acl.append(ACLEntry(path: path, kind: kind, ugid: ugid, roleid: role, propagate: propagate)) }
            }
        }
        return .null
    }

    private func verifyTokenExists(_ authid: String) -> Bool {
        let parts = authid.split(separator: "!", maxSplits: 1)
        guard parts.count == 2 else { return false }
        return users[String(parts[0])]?.tokens[String(parts[1])] != nil
    }
}

extension Routes {
    static let accessRoutes: [Route] = [
        Route("GET", "/access/users", .any, rowsInHashOrderBy: "userid") { s, c throws(SimError) in try s.listUsers(c) },
        Route("POST", "/access/users", .perm("/access/groups", ["User.Modify"], any: false)) { s, c throws(SimError) in try s.createUser(c) },
        Route("GET", "/access/users/{userid}", .perm("/access/groups", ["User.Modify", "Sys.Audit"], any: true)) { s, c throws(SimError) in try s.getUser(c) },
        Route("PUT", "/access/users/{userid}", .perm("/access/groups", ["User.Modify"], any: false)) { s, c throws(SimError) in try s.updateUser(c) },
        Route("DELETE", "/access/users/{userid}", .perm("/access/groups", ["User.Modify"], any: false)) { s, c throws(SimError) in try s.deleteUser(c) },
        Route("GET", "/access/users/{userid}/token", .any) { s, c throws(SimError) in try s.listTokens(c) },
        Route("GET", "/access/users/{userid}/token/{tokenid}", .any) { s, c throws(SimError) in try s.getToken(c) },
        Route("POST", "/access/users/{userid}/token/{tokenid}", .any) { s, c throws(SimError) in try s.createToken(c) },
        Route("PUT", "/access/users/{userid}/token/{tokenid}", .any) { s, c throws(SimError) in try s.updateToken(c) },
        Route("DELETE", "/access/users/{userid}/token/{tokenid}", .any) { s, c throws(SimError) in try s.deleteToken(c) },
        Route("GET", "/access/groups", .any, rowsInHashOrderBy: "groupid") { s, c throws(SimError) in try s.listGroups(c) },
        Route("POST", "/access/groups", .perm("/access/groups", ["Group.Allocate"], any: false)) { s, c throws(SimError) in try s.createGroup(c) },
        Route("GET", "/access/groups/{groupid}", .perm("/access/groups", ["Sys.Audit", "Group.Allocate"], any: true)) { s, c throws(SimError) in try s.getGroup(c) },
        Route("PUT", "/access/groups/{groupid}", .perm("/access/groups", ["Group.Allocate"], any: false)) { s, c throws(SimError) in try s.updateGroup(c) },
        Route("DELETE", "/access/groups/{groupid}", .perm("/access/groups", ["Group.Allocate"], any: false)) { s, c throws(SimError) in try s.deleteGroup(c) },
        Route("GET", "/access/roles", .any, rowsInHashOrderBy: "roleid") { s, c throws(SimError) in try s.listRoles(c) },
        Route("POST", "/access/roles", .perm("/access", ["Sys.Modify"], any: false)) { s, c throws(SimError) in try s.createRole(c) },
        Route("GET", "/access/roles/{roleid}", .any) { s, c throws(SimError) in try s.getRole(c) },
        Route("PUT", "/access/roles/{roleid}", .perm("/access", ["Sys.Modify"], any: false)) { s, c throws(SimError) in try s.updateRole(c) },
        Route("DELETE", "/access/roles/{roleid}", .perm("/access", ["Sys.Modify"], any: false)) { s, c throws(SimError) in try s.deleteRole(c) },
        Route("GET", "/access/permissions", .any) { s, c throws(SimError) in try s.permissions(c) },
        Route("GET", "/access/acl", .any) { s, c throws(SimError) in try s.listACL(c) },
        Route("PUT", "/access/acl", .perm("{path}", ["Permissions.Modify"], any: false)) { s, c throws(SimError) in try s.updateACL(c) },
    ]
}
