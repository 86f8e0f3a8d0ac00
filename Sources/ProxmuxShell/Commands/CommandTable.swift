/// The one list of verbs. Each area contributes its specs from its own file; everything else —
/// parsing, help, completion, dry-run, confirmation — is derived from this list.
public struct CommandTable: Sendable {
    public let specs: [CommandSpec]
    /// Full names and aliases (`"task log"`, `"ls"`) → index into `specs`.
    private let index: [String: Int]
    /// Longest name in words (sub-verbs have two or three).
    private let maxWords: Int

    public init(specs: [CommandSpec]) {
        self.specs = specs
        var index: [String: Int] = [:]
        var maxWords = 1
        for (i, spec) in specs.enumerated() {
            for name in [spec.name] + spec.aliases where index[name] == nil {
                index[name] = i
                maxWords = max(maxWords, name.split(separator: " ").count)
            }
        }
        self.index = index
        self.maxWords = maxWords
    }

    /// Every verb the shell knows.
    public static func standard() -> CommandTable {
        CommandTable(specs: NavigationCommands.all + OverviewCommands.all + LifecycleCommands.all + CreateCommands.create
            + TaskCommands.tasks + RawAPICommands.all + SessionCommands.all + CommandSpec.scripting)
    }

    /// The spec whose name (or alias) matches the most leading words, and how many words it used.
    public func match(_ words: [String]) -> (spec: CommandSpec, consumed: Int)? {
        var count = min(maxWords, words.count)
        while count > 0 {
            if let i = index[words[0..<count].joined(separator: " ")] { return (specs[i], count) }
            count -= 1
        }
        return nil
    }

    public func spec(named name: String) -> CommandSpec? { index[name].map { specs[$0] } }

    /// All names and aliases (for suggestions and completion).
    public var allNames: [String] { index.keys.sorted() }

    /// Names within a small edit distance of `word`, or starting with it, best first.
    public func suggestions(for word: String) -> [String] {
        let firstWords = Set(allNames.map { String($0.split(separator: " ").first ?? "") })
        let scored = firstWords.compactMap { name -> (String, Int)? in
            if name.hasPrefix(word) || word.hasPrefix(name) && name.count >= 3 { return (name, 0) }
            let d = editDistance(word, name)
            return d <= (word.count <= 3 ? 1 : 2) ? (name, d) : nil
        }
        return scored.sorted { $0.1 != $1.1 ? $0.1 < $1.1 : $0.0 < $1.0 }.prefix(4).map(\.0)
    }
}

/// Levenshtein distance over characters (short words only: verbs and flags).
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous = Array(0...b.count)
    var current = previous
    for i in 1...a.count {
        current[0] = i
        for j in 1...b.count {
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        swap(&previous, &current)
    }
    return previous[b.count]
}
