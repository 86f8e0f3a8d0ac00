import ProxmoxAPI
import PVESchema

/// `api get|set|create|delete PATH [key=value ...]`: any endpoint, in pvesh's vocabulary.
enum RawAPICommands {
    static let all: [CommandSpec] = [
        spec("get", .get, "Read any API path", mutates: false, examples: ["api get /version", "api get /cluster/resources type=vm -o json", "api get /nodes/pve1/qemu/101/config"]),
        spec("set", .put, "Change settings at an API path (PUT)", mutates: true, examples: ["api set /nodes/pve1/qemu/101/config description=web memory=2048"]),
        spec("create", .post, "Create an object or start an action (POST)", mutates: true, examples: ["api create /nodes/pve1/qemu/101/status/start", "api create /pools poolid=lab --dry-run"]),
        spec("delete", .delete, "Delete an object (DELETE)", mutates: true, examples: ["api delete /pools/lab --yes"]),
    ]

    static func spec(_ verb: String, _ method: HTTPMethod, _ abstract: String, mutates: Bool, examples: [String]) -> CommandSpec {
        CommandSpec(
            name: "api " + verb, group: .raw, abstract: abstract,
            discussion: "PATH is below /api2/json. Parameters are key=value words; values are sent as given (booleans as 0|1).",
            examples: examples,
            arguments: [
                ArgumentSpec("PATH", help: "API path, e.g. /nodes/pve1/qemu", completion: .apiPaths(method: method.rawValue)),
                ArgumentSpec("PARAM", help: "key=value parameters", completion: .apiParameters(method: method.rawValue), optional: true, variadic: true),
            ],
            needs: .cluster, mutates: mutates, confirmation: method == .delete ? .always : .never,
            run: { inv in
                let path = try normalisedPath(inv.arguments[0])
                var params: [(String, String)] = []
                for word in inv.arguments.dropFirst() {
                    guard let eq = word.firstIndex(of: "="), eq != word.startIndex else {
                        throw ShellError("api \(verb): expected key=value, got '\(word)'")
                    }
                    params.append((String(word[..<eq]), String(word[word.index(after: eq)...])))
                }
                if method == .delete {
                    try inv.confirm("Delete \(path)?", refusal: "refusing to delete \(path) without --yes")
                }
                let result = try inv.api().request(method, path, params)
                if inv.isDryRun && mutates { return .nothing }
                // A write that started a task answers with its id: the session follows it like a
                // --no-wait one (its end is reported before the next prompt; `wait` waits for it).
                if mutates, let upid = result.string.flatMap(UPID.init) { inv.session.tasks.register(upid, label: "api \(verb) \(path)") }
                return output(result, format: inv.outputFormat)
            })
    }

    static func normalisedPath(_ text: String) throws -> String {
        var path = text
        if path.hasPrefix("/api2/json") { path = String(path.dropFirst("/api2/json".count)) }
        if !path.hasPrefix("/") { path = "/" + path }
        if path.count > 1, path.hasSuffix("/") { path.removeLast() }
        guard !path.contains(where: { $0 == "?" || $0 == "#" || $0 == " " }) else {
            throw ShellError("api: '\(text)' is not a plain path; give parameters as key=value words")
        }
        return path
    }

    /// Text mode shows arrays of objects as tables and objects as records; json/yaml keep the raw
    /// answer, with every object's members sorted by key as in text (the server's order is its
    /// hash order, different each time).
    static func output(_ answer: JSON, format: ShellSettings.OutputFormat) -> CommandOutput {
        let result = KeyOrder.sorted(answer)
        guard format == .text else { return .json(result) }
        switch result {
        case .array(let rows) where rows.allSatisfy({ $0.object != nil }) && !rows.isEmpty: return .table(Listing.generic(rows))
        case .object: return .record(result)
        case .null: return .nothing
        // A bare string (a task id, a ticket) as text, as pvesh prints it; JSON keeps its quotes.
        case .string(let text): return .message(text)
        default: return .json(result)
        }
    }
}
