/// Which entered lines may be written to the history file. A line is kept out when any word
/// looks like it carries a secret:
/// - `key=value` where the key mentions password, passwd, secret, token or ticket
///   (`password=hunter2`, `--tokensecret=...`);
/// - a flag naming a secret (`--password`, `--secret`, `--token`, `--ticket` and variants), with
///   or without a value;
/// - an API token value (`USER@REALM!TOKENID=...`, `PVEAPIToken=...`) or a PVE ticket
///   (`PVE:user@realm:...`);
/// - `set NAME ...` where NAME contains PASS, SECRET, TOKEN or TICKET (any case).
/// The check is deliberately broad: losing a harmless line from the history costs little.
public enum HistoryPolicy {
    static let secretKeys = ["password", "passwd", "secret", "token", "ticket"]

    public static func mayRecord(_ line: String) -> Bool { !containsSecret(line) }

    /// A variable name that suggests a secret (PASS, SECRET, TOKEN, TICKET in any case).
    public static func isSecretName(_ name: String) -> Bool {
        let lower = name.lowercased()
        return ["pass", "secret", "token", "ticket"].contains(where: lower.contains)
    }

    public static func containsSecret(_ line: String) -> Bool {
        let expander = Expander(variables: [:], arguments: [])
        var commands: [[String]]
        if case .complete(let parsed)? = try? Lexer.lex(line) {
            commands = parsed.map { $0.words.map(expander.lenientText(of:)) }
        } else {
            commands = [Lexer.completionContext(line).allWordsLeniently]
        }
        // The raw blank-separated text too, so quoting cannot hide a `password=`.
        commands.append(line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == ";" }).map(String.init))
        return commands.contains(where: commandCarriesSecret)
    }

    private static func commandCarriesSecret(_ words: [String]) -> Bool {
        if words.count >= 2, words[0].lowercased() == "set", isSecretName(words[1]) { return true }
        return words.contains(where: wordCarriesSecret)
    }

    private static func wordCarriesSecret(_ word: String) -> Bool {
        let lower = word.lowercased()
        if lower.hasPrefix("-") {
            let flag = lower.drop { $0 == "-" }.prefix { $0 != "=" }
            if secretKeys.contains(where: flag.contains) { return true }
        }
        if let equals = lower.firstIndex(of: "=") {
            let key = lower[..<equals]
            if secretKeys.contains(where: key.contains) { return true }
        }
        if lower.contains("pveapitoken") || lower.hasPrefix("pve:") { return true }
        // USER@REALM!TOKENID=SECRET
        if let at = lower.firstIndex(of: "@"), let bang = lower[at...].firstIndex(of: "!"), lower[bang...].contains("=") {
            return true
        }
        return false
    }
}

extension CompletionContext {
    /// Every word of the line's last command with references left as written — enough for
    /// pattern checks, never an error.
    var allWordsLeniently: [String] {
        let expander = Expander(variables: [:], arguments: [])
        return (words + (partial.map { [$0] } ?? [])).map(expander.lenientText(of:))
    }
}
