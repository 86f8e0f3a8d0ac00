import ProxmoxAPI
import PVESchema

extension Invocation {
    /// `-o` for this command, else the session setting.
    public var outputFormat: ShellSettings.OutputFormat {
        flags["output"].flatMap(ShellSettings.OutputFormat.init(rawValue:)) ?? session.settings.output
    }
    public var isDryRun: Bool { has("dry-run") || session.settings.dryRun }
    public var assumeYes: Bool { has("yes") || session.settings.assumeYes }
    public var noWait: Bool { has("no-wait") }

    /// The API for this command (a recorder under `--dry-run` for mutating verbs).
    public func api() throws -> APIBackend { try session.api() }

    /// A progress or note line (stdout in text mode, stderr under -o json/yaml).
    public func note(_ text: String) { session.note(text, format: outputFormat) }

    /// Integer flag value (already range-checked by the parser).
    public func intFlag(_ name: String) -> Int? { flag(name).flatMap { Int($0) } }

    /// The confirmation policy: `--yes` passes; interactive sessions ask; scripts and non-ttys refuse
    /// with `refusal` (e.g. "refusing to stop vm 101 without --yes").
    public func confirm(_ question: String, refusal: String) throws {
        if assumeYes || isDryRun { return }
        guard session.settings.interactive else { throw ShellError(refusal) }
        session.console.flush()
        guard session.askYesNo(question) else { throw ShellError("not confirmed; nothing was done") }
    }

    /// Guests from the expression, or the selected guest when `expression` is nil. One `/cluster/resources` request.
    public func resolveGuests(_ expression: String?) throws -> [Guest] {
        let snapshot = try freshGuests()
        let resolver = TargetResolver(guests: snapshot.guests)
        if let expression { return try resolver.resolve(expression) }
        guard let selected = session.context.selectedGuest else {
            throw ShellError("\(spec.name): no target — give one (101, web01, vm:101, tag:web, pool:prod, node:pve1, web-*) or `cd` into a guest")
        }
        guard let guest = snapshot.guests.first(where: { $0.vmid == selected.vmid }) else {
            throw ShellError("the selected guest \(selected.vmid) no longer exists")
        }
        return [guest]
    }

    /// Exactly one guest (argument or selection).
    public func resolveGuest(_ expression: String?) throws -> Guest {
        let found = try resolveGuests(expression)
        guard found.count == 1, let guest = found.first else {
            throw ShellError("\(spec.name) takes one guest, '\(expression ?? "")' matches \(found.count): \(TargetResolver.list(found))")
        }
        return guest
    }

    /// One `/cluster/resources?type=vm` read (fresh: lifecycle decisions need the current state).
    func freshGuests() throws -> ClusterSnapshot {
        try api().clusterSnapshot(type: "vm")
    }
}
