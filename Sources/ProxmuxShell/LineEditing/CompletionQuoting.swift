/// Text helpers for TAB: quoting a candidate for the shell language, the common prefix of
/// several, and laying them out in columns.
public enum CompletionQuoting {
    /// Characters the lexer treats specially outside quotes.
    static let special: Set<Character> = [" ", "\t", "'", "\"", "\\", "$", ";", "#"]

    /// `value` as the user should see it on the line. Inside an open quote the quote is kept
    /// (and closed when `closing`); otherwise values with special characters are single-quoted.
    public static func quote(_ value: String, openQuote: Character?, closing: Bool) -> String {
        switch openQuote {
        case "'":
            return "'" + value.replacingAll("'", with: "'\\''") + (closing ? "'" : "")
        case "\"":
            var escaped = ""
            for c in value {
                if c == "\"" || c == "\\" || c == "$" { escaped.append("\\") }
                escaped.append(c)
            }
            return "\"" + escaped + (closing ? "\"" : "")
        default:
            guard value.contains(where: special.contains) || (value.first == "#") else { return value }
            return "'" + value.replacingAll("'", with: "'\\''") + (closing ? "'" : "")
        }
    }

    public static func commonPrefix(_ values: [String]) -> String {
        guard var prefix = values.first.map(Array.init) else { return "" }
        for value in values.dropFirst() {
            let chars = Array(value)
            var n = 0
            while n < prefix.count && n < chars.count && prefix[n] == chars[n] { n += 1 }
            prefix.removeSubrange(n...)
        }
        return String(prefix)
    }

    /// Candidates laid out for the terminal: one per line with their detail when any has one,
    /// otherwise in columns across `width`. At most `limit` are shown, then a count of the rest.
    public static func columns(_ candidates: [Completion], width: Int, limit: Int = 100) -> String {
        let shown = candidates.prefix(limit)
        let widest = shown.map(\.value.count).max() ?? 0
        var text = ""
        if shown.contains(where: { $0.detail != nil }) {
            for c in shown {
                text += c.value + String(repeating: " ", count: widest - c.value.count + 2) + (c.detail ?? "") + "\n"
            }
        } else {
            let cell = widest + 2
            let perRow = max(1, (width > 0 ? width : 80) / cell)
            for (i, c) in shown.enumerated() {
                let last = (i + 1) % perRow == 0 || i == shown.count - 1
                text += last ? c.value + "\n" : c.value + String(repeating: " ", count: cell - c.value.count)
            }
        }
        if candidates.count > limit { text += "… and \(candidates.count - limit) more\n" }
        return text
    }
}

extension String {
    /// Every occurrence of `target` replaced (no Foundation in this module).
    func replacingAll(_ target: Character, with replacement: String) -> String {
        var out = ""
        for c in self { if c == target { out += replacement } else { out.append(c) } }
        return out
    }
}
