import ProxmoxAPI
import PVESchema

/// `help`, `clear` and `console`.
enum SessionCommands {
    static let all: [CommandSpec] = [help, clear, console]

    static let help = CommandSpec(
        name: "help", aliases: ["?"], group: .session, abstract: "List commands, or explain one",
        examples: ["help", "help stop", "help api get"],
        arguments: [ArgumentSpec("VERB", help: "command to explain", completion: .verbs, optional: true, variadic: true)],
        run: { inv in
            guard !inv.arguments.isEmpty else { return .message(String(Help.overview(inv.table).dropLast())) }
            guard let (spec, consumed) = inv.table.match(inv.arguments), consumed == inv.arguments.count else {
                let word = inv.arguments.joined(separator: " ")
                let subs = inv.table.specs.filter { $0.name.hasPrefix(word + " ") }
                if !subs.isEmpty {
                    return .message(subs.map { "  \($0.name)  \($0.abstract)" }.joined(separator: "\n"))
                }
                let hints = inv.table.suggestions(for: inv.arguments[0])
                throw ShellError("help: no command '\(word)'" + (hints.isEmpty ? "" : " — did you mean \(hints.joined(separator: " or "))?"))
            }
            return .message(String(Help.detail(spec).dropLast()))
        })

    static let clear = CommandSpec(
        name: "clear", group: .session, abstract: "Clear the screen (as Ctrl-L does)",
        discussion: "Does nothing when the output is not a terminal: scripts and pipes get no escape codes.",
        examples: ["clear"],
        run: { inv in
            if inv.session.console.isTerminal { inv.session.console.write("\u{1B}[H\u{1B}[2J") }
            return .nothing
        })

    static let console = CommandSpec(
        name: "console", group: .session, abstract: "Open the guest's console over SSH (pct console / qm terminal)",
        discussion: "Runs `ssh -t USER@NODE pct console ID` for containers and `qm terminal ID` for VMs (a serial port must be configured). The SSH user is the profile's `ssh-user`; ssh resolves the node name (DNS, /etc/hosts, or a Host entry in ~/.ssh/config).",
        examples: ["console 200", "console web01"],
        arguments: [ArgumentSpec("TARGET", help: "one guest (default: the selected guest)", completion: .guests(.running), optional: true)],
        needs: .guest,
        run: { inv in
            let guest = try inv.resolveGuest(inv.arguments.first)
            guard let ssh = inv.session.ssh else {
                throw ShellError("console needs SSH access to the nodes: set ssh-user in profile '\(inv.session.profileName)' (ssh must reach each node by its name: DNS, /etc/hosts or a Host entry in ~/.ssh/config)")
            }
            guard inv.session.settings.interactive else { throw ShellError("console needs an interactive terminal") }
            let argv = consoleCommand(guest, ssh: ssh)
            inv.note("connecting to \(guest.label) (\(argv.joined(separator: " ")))")
            inv.session.console.flush()
            let status = try inv.session.launcher.run(argv)
            return status == 0 ? .nothing : .message("console: ssh exited with status \(status)")
        })

    /// `ssh -t USER@HOST pct console ID` / `qm terminal ID`. No secrets: ssh authenticates on its own.
    static func consoleCommand(_ guest: Guest, ssh: SSHAccess) -> [String] {
        let remote = guest.kind == .container ? ["pct", "console", String(guest.vmid)] : ["qm", "terminal", String(guest.vmid)]
        return ["ssh", "-t", "\(ssh.user)@\(guest.node)"] + remote
    }
}
