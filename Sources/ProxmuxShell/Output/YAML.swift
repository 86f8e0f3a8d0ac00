import PVESchema

/// A small YAML emitter for `-o yaml`: block style, strings quoted only when a YAML reader
/// would otherwise misread them (numbers, booleans, null, indicators, `: `, ` #`, newlines).
public enum YAML {
    public static func emit(_ value: JSON) -> String {
        var out = ""
        switch value {
        case .object(let pairs) where !pairs.isEmpty: emitObject(pairs, indent: 0, to: &out)
        case .array(let items) where !items.isEmpty: emitArray(items, indent: 0, to: &out)
        default: out += scalar(value) + "\n"
        }
        return out
    }

    private static func emitObject(_ pairs: [(String, JSON)], indent: Int, to out: inout String) {
        let pad = String(repeating: "  ", count: indent)
        for (key, value) in pairs {
            out += pad + quoteIfNeeded(key) + ":"
            emitChild(value, indent: indent, to: &out)
        }
    }

    private static func emitArray(_ items: [JSON], indent: Int, to out: inout String) {
        let pad = String(repeating: "  ", count: indent)
        for item in items {
            switch item {
            case .object(let pairs) where !pairs.isEmpty:
                // First key on the dash line, the rest aligned under it.
                var first = true
                for (key, value) in pairs {
                    out += (first ? pad + "- " : pad + "  ") + quoteIfNeeded(key) + ":"
                    emitChild(value, indent: indent + 1, to: &out)
                    first = false
                }
            case .array(let inner) where !inner.isEmpty:
                out += pad + "-\n"
                emitArray(inner, indent: indent + 1, to: &out)
            default:
                out += pad + "- " + scalar(item) + "\n"
            }
        }
    }

    private static func emitChild(_ value: JSON, indent: Int, to out: inout String) {
        switch value {
        case .object(let pairs) where !pairs.isEmpty:
            out += "\n"
            emitObject(pairs, indent: indent + 1, to: &out)
        case .array(let items) where !items.isEmpty:
            out += "\n"
            emitArray(items, indent: indent + 1, to: &out)
        default:
            out += " " + scalar(value) + "\n"
        }
    }

    static func scalar(_ value: JSON) -> String {
        switch value {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .int(let v): return String(v)
        case .double: return value.string ?? "null"
        case .string(let s): return quoteIfNeeded(s)
        case .array: return "[]"
        case .object: return "{}"
        }
    }

    /// Plain when safe, otherwise a double-quoted string (JSON escapes are valid YAML).
    static func quoteIfNeeded(_ s: String) -> String {
        if needsQuotes(s) {
            var out = ""
            JSON.writeString(s, to: &out)
            return out
        }
        return s
    }

    static func needsQuotes(_ s: String) -> Bool {
        guard let first = s.first, let last = s.last else { return true }
        if first == " " || last == " " { return true }
        if "-?:,[]{}#&*!|>'\"%@`".contains(first) { return true }
        if s.contains(": ") || s.contains(" #") || last == ":" { return true }
        if s.unicodeScalars.contains(where: { $0.value < 0x20 || $0 == "\u{7F}" }) { return true }
        switch s.lowercased() {
        case "true", "false", "yes", "no", "on", "off", "y", "n", "null", "~", ".nan", ".inf", "-.inf": return true
        default: break
        }
        // Anything a reader would take as a number stays a string only when quoted.
        if Double(s) != nil || Int(s) != nil { return true }
        if s.hasPrefix("0x") || s.hasPrefix("0o") { return true }
        return false
    }
}
