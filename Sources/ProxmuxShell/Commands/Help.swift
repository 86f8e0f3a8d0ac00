/// Help text derived from the specs: `help`, `help VERB`, usage lines in errors.
public enum Help {
    /// `stop [TARGET] [--timeout N] [--no-wait]`
    public static func usage(_ spec: CommandSpec) -> String {
        var parts = [spec.name]
        for arg in spec.arguments {
            let name = arg.name + (arg.variadic ? "..." : "")
            parts.append(arg.optional ? "[\(name)]" : name)
        }
        for flag in spec.flags {
            parts.append(flag.kind == .bool ? "[--\(flag.name)]" : "[--\(flag.name) \(placeholder(flag.kind))]")
        }
        return parts.joined(separator: " ")
    }

    static func placeholder(_ kind: FlagKind) -> String {
        switch kind {
        case .bool: return ""
        case .string: return "TEXT"
        case .integer: return "N"
        case .choice(let values): return values.joined(separator: "|")
        }
    }

    static func flagList(_ flags: [FlagSpec]) -> String {
        flags.map { f in (f.short.map { "-\($0)/" } ?? "") + "--" + f.name }.joined(separator: ", ")
    }

    /// All verbs grouped, one line each.
    public static func overview(_ table: CommandTable) -> String {
        var out = ""
        let width = (table.specs.map(\.name.count).max() ?? 0) + 2
        for group in CommandGroup.allCases {
            let specs = table.specs.filter { $0.group == group }
            guard !specs.isEmpty else { continue }
            out += group.rawValue + ":\n"
            for spec in specs {
                let aliases = spec.aliases.isEmpty ? "" : " (\(spec.aliases.joined(separator: ", ")))"
                out += "  " + spec.name + String(repeating: " ", count: max(1, width - spec.name.count)) + spec.abstract + aliases + "\n"
            }
        }
        out += "\nGlobal flags: -o/--output text|json|yaml, --noheader, --dry-run, -y/--yes, --debug\n"
        out += "Type 'help VERB' for details.\n"
        return out
    }

    /// Usage, arguments, flags with type/default/choices, examples.
    public static func detail(_ spec: CommandSpec) -> String {
        var out = "usage: \(usage(spec))\n\n\(spec.abstract)\n"
        if !spec.discussion.isEmpty { out += "\n" + spec.discussion + "\n" }
        if !spec.aliases.isEmpty { out += "\nAliases: " + spec.aliases.joined(separator: ", ") + "\n" }
        if !spec.arguments.isEmpty {
            out += "\nArguments:\n"
            // Help texts in one column, as for the flags below.
            let names = spec.arguments.map { "  \($0.name)\($0.optional ? " (optional)" : "")" }
            let column = (names.map(\.count).max() ?? 0) + 2
            for (arg, name) in zip(spec.arguments, names) {
                out += name + String(repeating: " ", count: column - name.count) + arg.help + "\n"
            }
        }
        out += "\nFlags:\n"
        // Help text in one column: at most 32 wide for the flag part, longer ones wrap under it.
        let flags = spec.flags + GlobalFlags.all
        let names = flags.map { flag -> String in
            let short = flag.short.map { "-\($0), " } ?? ""
            return "  \(short)--\(flag.name)" + (flag.kind != .bool ? " " + placeholder(flag.kind) : "")
        }
        let column = min(32, (names.map(\.count).max() ?? 0) + 2)
        for (flag, name) in zip(flags, names) {
            var help = flag.help
            if case .integer(let lo, let hi) = flag.kind, lo != nil || hi != nil {
                help += " (integer" + CommandParser.range(lo, hi).replacingOccurrences(of: " (valid:", with: ",")
            }
            if let d = flag.defaultValue { help += " [default: \(d)]" }
            let lead = name.count + 2 <= column
                ? name + String(repeating: " ", count: column - name.count)
                : name + "\n" + String(repeating: " ", count: column)
            out += lead + help + "\n"
        }
        if spec.confirmation == .always { out += "\nAsks for confirmation; scripts need --yes.\n" }
        if !spec.examples.isEmpty {
            out += "\nExamples:\n" + spec.examples.map { "  " + $0 + "\n" }.joined()
        }
        return out
    }
}
