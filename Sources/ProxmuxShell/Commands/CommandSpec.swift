import PVESchema

/// One verb of the shell. Every verb is exactly one value of this type, listed in `CommandTable`;
/// parsing, usage errors, `help`, TAB completion, `--dry-run` and the confirmation policy all derive
/// from it, so nothing about a verb is written down twice.
public struct CommandSpec: Sendable {
    /// Full name; sub-verbs carry a space (`"task log"`, `"create vm"`). The parser picks the
    /// longest name that matches the leading words.
    public let name: String
    public let aliases: [String]
    public let group: CommandGroup
    /// One line for `help`.
    public let abstract: String
    /// Longer text for `help VERB`.
    public let discussion: String
    /// Lines shown under "Examples" in `help VERB`; each must parse against this spec.
    public let examples: [String]
    public let arguments: [ArgumentSpec]
    public let flags: [FlagSpec]
    /// What must be known before the verb runs (resolved from arguments or the context).
    public let needs: ContextRequirement
    /// Changes cluster state: skipped under `--dry-run` (requests are printed instead) and
    /// invalidates the completion cache afterwards.
    public let mutates: Bool
    /// Asks before acting unless `--yes` (scripts: required).
    public let confirmation: ConfirmationPolicy
    public let run: @Sendable (Invocation) throws -> CommandOutput

    public init(
        name: String, aliases: [String] = [], group: CommandGroup, abstract: String, discussion: String = "",
        examples: [String] = [], arguments: [ArgumentSpec] = [], flags: [FlagSpec] = [],
        needs: ContextRequirement = .nothing, mutates: Bool = false, confirmation: ConfirmationPolicy = .never,
        run: @escaping @Sendable (Invocation) throws -> CommandOutput
    ) {
        self.name = name
        self.aliases = aliases
        self.group = group
        self.abstract = abstract
        self.discussion = discussion
        self.examples = examples
        self.arguments = arguments
        self.flags = flags
        self.needs = needs
        self.mutates = mutates
        self.confirmation = confirmation
        self.run = run
    }
}

public enum CommandGroup: String, Sendable, CaseIterable {
    case navigation = "Navigation"
    case overview = "Overview"
    case lifecycle = "Guest lifecycle"
    case create = "Creation"
    case tasks = "Tasks"
    case raw = "Raw API"
    case scripting = "Scripting"
    case session = "Session"
}

public enum ContextRequirement: Sendable {
    case nothing
    case cluster
    case node
    case guest
}

public enum ConfirmationPolicy: Sendable {
    case never
    /// Interactive: ask; script or non-tty: refuse without `--yes`.
    case always
}

/// A positional argument.
public struct ArgumentSpec: Sendable {
    public let name: String
    public let help: String
    public let completion: CompletionSource
    public let optional: Bool
    /// Takes all remaining words.
    public let variadic: Bool

    public init(_ name: String, help: String, completion: CompletionSource, optional: Bool = false, variadic: Bool = false) {
        self.name = name
        self.help = help
        self.completion = completion
        self.optional = optional
        self.variadic = variadic
    }
}

/// A `--flag`. `apiParameter` names the PVE parameter it becomes, checked against the schema by a test.
public struct FlagSpec: Sendable {
    public let name: String
    public let short: Character?
    public let kind: FlagKind
    public let help: String
    public let defaultValue: String?
    public let apiParameter: APIParameterRef?
    public let completion: CompletionSource

    public init(
        _ name: String, short: Character? = nil, kind: FlagKind, help: String, defaultValue: String? = nil,
        apiParameter: APIParameterRef? = nil, completion: CompletionSource? = nil
    ) {
        self.name = name
        self.short = short
        self.kind = kind
        self.help = help
        self.defaultValue = defaultValue
        self.apiParameter = apiParameter
        if let completion {
            self.completion = completion
        } else if case .choice(let values) = kind {
            self.completion = .values(values)
        } else {
            self.completion = .none
        }
    }
}

public enum FlagKind: Sendable, Equatable {
    /// Present or absent; takes no value.
    case bool
    case string
    case integer(min: Int64?, max: Int64?)
    case choice([String])
}

/// Where a flag lands in the API: method + schema path template + parameter name.
public struct APIParameterRef: Sendable, Equatable {
    public let method: String
    public let path: String
    public let parameter: String
    public init(_ method: String, _ path: String, _ parameter: String) {
        self.method = method
        self.path = path
        self.parameter = parameter
    }
}

/// What TAB offers for an argument or flag value.
public enum CompletionSource: Sendable, Equatable {
    /// Free text: nothing to offer (the reason documents why, for the table test).
    case freeText(String)
    case none
    case values([String])
    case verbs
    case paths
    case guests(GuestFilter)
    case nodes
    case storages(content: String?)
    case isos
    case containerTemplates
    case snapshots
    case bridges
    case pools
    case tags
    case upids
    case files
    case variables
    /// The names of the shell's settings (`errexit`, `output`...).
    case settings
    /// The values the setting named by the previous argument takes (`on`/`off`, output formats).
    case settingValues
    /// Every candidate of each source, in order (`show` takes a guest, a node or a storage).
    case anyOf([CompletionSource])
    /// An API path with an endpoint for `method` (`GET`...), from the schema, live objects for
    /// its placeholders (`api get /nodes/pve1/qemu/<TAB>`).
    case apiPaths(method: String)
    /// `key=` of the endpoint at the path given before, then a key's values (`api set PATH ostype=<TAB>`).
    case apiParameters(method: String)
}

public enum GuestFilter: Sendable, Equatable {
    case any
    case running
    case stopped
    case vms
    case containers
}
