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
        if needsQuotes(s) { return JSON.string(s).serialized() }
        return s
    }

    /// Read on UTF-8 bytes, in one pass for most strings: `-o yaml` of 10,000 guests asks this
    /// of ~300,000 keys and values, and the same rules on Characters took most of its half second.
    static func needsQuotes(_ s: String) -> Bool {
        var text = s
        return text.withUTF8 { bytes in
            guard let first = bytes.first, let last = bytes.last else { return true }
            let space = UInt8(ascii: " "), colon = UInt8(ascii: ":"), hash = UInt8(ascii: "#")
            if first == space || last == space || last == colon { return true }
            switch first {
            case UInt8(ascii: "-"), UInt8(ascii: "?"), UInt8(ascii: ":"), UInt8(ascii: ","), UInt8(ascii: "["), UInt8(ascii: "]"),
                 UInt8(ascii: "{"), UInt8(ascii: "}"), UInt8(ascii: "#"), UInt8(ascii: "&"), UInt8(ascii: "*"), UInt8(ascii: "!"),
                 UInt8(ascii: "|"), UInt8(ascii: ">"), UInt8(ascii: "'"), UInt8(ascii: "\""), UInt8(ascii: "%"), UInt8(ascii: "@"),
                 UInt8(ascii: "`"):
                return true
            default: break
            }
            var previous: UInt8 = 0
            for byte in bytes {
                if byte < 0x20 || byte == 0x7F { return true }
                if (previous == colon && byte == space) || (previous == space && byte == hash) { return true }  // ": ", " #"
                previous = byte
            }
            if bytes.count <= 5, reservedWords.contains(where: { word in
                word.count == bytes.count && zip(word.utf8, bytes).allSatisfy { $0 == $1 | (($1 &- 0x41) < 26 ? 0x20 : 0) }
            }) { return true }
            // Anything a reader would take as a number stays a string only when quoted (what
            // `Double` reads starts with a digit, a sign, a point, `inf`, `nan` or `snan`).
            switch first {
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "+"), UInt8(ascii: "."),
                 UInt8(ascii: "i"), UInt8(ascii: "I"), UInt8(ascii: "n"), UInt8(ascii: "N"), UInt8(ascii: "s"), UInt8(ascii: "S"):
                if Double(s) != nil || Int(s) != nil { return true }
            default: break
            }
            return bytes.count > 1 && first == UInt8(ascii: "0") && (bytes[1] == UInt8(ascii: "x") || bytes[1] == UInt8(ascii: "o"))
        }
    }

    /// Words a YAML reader takes as booleans, null or special numbers, in lower case (any case counts).
    private static let reservedWords = ["true", "false", "yes", "no", "on", "off", "y", "n", "null", "~", ".nan", ".inf", "-.inf"]
}
