import ProxmoxAPI
import PVESchema

/// Creation verbs: `create vm` (wizard or flags).
public enum CreateCommands {
    /// The specs for the command table.
    public static let create: [CommandSpec] = [createVM]

    static let createVM = CommandSpec(
        name: "create vm", group: .create, abstract: "Create a VM (asks for what the flags do not give)",
        discussion: """
            Without --node/--name on a terminal, asks step by step (TAB completes choices, '<' goes back, \
            Ctrl-C leaves with nothing created), shows a summary to confirm, and prints the one-line command \
            that does the same. Given --node (or a current node) and --name, asks nothing and uses defaults \
            for the rest. When input is not a terminal, missing values are an error.
            """,
        examples: [
            "create vm",
            "create vm --node pve1 --name web --memory 2048 --storage local-lvm --disk-size 32 --bridge vmbr0",
            "create vm --node pve1 --vmid 105 --name web --iso local:iso/debian-12.iso --start --no-wait",
        ],
        flags: CreateVMWizard.flags + [TaskEnvironment.noWaitFlag],
        needs: .cluster, mutates: true,
        run: { inv in try runCreateVM(inv, try TaskEnvironment(inv)) })

    /// Runs `create vm`: collects the answers, checks the request against the schema, sends it,
    /// refreshes the completion cache and follows the task.
    public static func runCreateVM(_ inv: Invocation, _ env: TaskEnvironment) throws -> CommandOutput {
        let data = LiveCreateVMData(client: env.client)
        let wizard = CreateVMWizard.wizard(data: data, contextNode: env.contextNode)
        var given = inv.flags
        given["no-wait"] = nil
        guard let outcome = try wizard.run(given: given, prompter: env.prompter, console: env.console,
                                           summaryStream: env.settings.output.humanStream) else {
            return .message("cancelled; nothing was created")
        }
        let request = CreateVMWizard.request(outcome.answers)
        try env.checkRequest("POST", CreateVMWizard.apiPath, [("node", outcome.answers["node"] ?? "")] + request.params)
        let vmid = outcome.answers["vmid"] ?? ""
        let label = "create vm \(vmid)" + (outcome.answers.value("name").map { " (\($0))" } ?? "")
        let equivalent = wizard.commandLine(for: outcome.answers)
        let response = try apiCall("creating VM \(vmid)") { try env.client.request(.post, request.path, request.params) }
        env.invalidateCache()
        if outcome.prompted { env.note("same as: \(equivalent)") }
        // `--dry-run` on the command line or the session setting: the request was recorded, not sent.
        let dryRun = inv.isDryRun
        guard !dryRun, let upid = response.string, UPID(upid) != nil else {
            return .message(dryRun ? "dry run: nothing was created" : "\(label): requested")
        }
        let result = try env.watcher().watch(upid, label: label, mode: TaskEnvironment.waitMode(inv))
        return try TaskWatcher.output(for: result, label: label)
    }
}
