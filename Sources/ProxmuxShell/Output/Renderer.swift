import PVESchema

/// Turns a `CommandOutput` into text, JSON or YAML and writes it to the console in one piece.
public struct Renderer {
    public var format: ShellSettings.OutputFormat
    public var noHeader: Bool
    /// ANSI colours for states (terminal only, never with NO_COLOR — decided by the caller).
    public var color: Bool

    public init(format: ShellSettings.OutputFormat, noHeader: Bool = false, color: Bool = false) {
        self.format = format
        self.noHeader = noHeader
        self.color = color
    }

    public func render(_ output: CommandOutput, to console: Console) {
        switch output {
        case .nothing: return
        case .message(let text):
            // Messages are for people; under -o json/yaml they go to stderr to keep pipes clean.
            console.line(text, to: format == .text ? .out : .err)
        case .table(let table):
            switch format {
            case .text: console.write(bytes: textBytes(table))
            case .json: console.write(bytes: Renderer.jsonRows(table.rows))
            case .yaml: console.write(YAML.emit(.array(table.rows)))
            }
        case .record(let value), .json(let value):
            switch format {
            case .text:
                if case .record = output { console.write(recordText(value)) } else { console.line(value.serialized(pretty: true)) }
            case .json: console.line(value.serialized(pretty: true))
            case .yaml: console.write(YAML.emit(value))
            }
        }
    }

    // MARK: Text tables

    /// A JSON array with one compact row per line: valid JSON, readable, and fast for 10,000 rows.
    static func jsonRows(_ rows: [JSON]) -> [UInt8] {
        guard !rows.isEmpty else { return Array("[]\n".utf8) }
        var out: [UInt8] = []
        out.reserveCapacity(rows.count * 400)
        out.append(contentsOf: "[\n".utf8)
        for (i, row) in rows.enumerated() {
            out.append(contentsOf: "  ".utf8)
            row.write(to: &out)
            out.append(contentsOf: (i == rows.count - 1 ? "\n" : ",\n").utf8)
        }
        out.append(contentsOf: "]\n".utf8)
        return out
    }

    /// Aligned columns sized by their content; numbers right-aligned; two spaces between columns.
    public func text(_ table: Table) -> String { String(decoding: textBytes(table), as: UTF8.self) }

    /// `text(_:)` as UTF-8 bytes (what the console writes).
    public func textBytes(_ table: Table) -> [UInt8] {
        let columns = table.columns
        guard !columns.isEmpty else { return [] }
        var cells: [[String]] = []
        cells.reserveCapacity(table.rows.count)
        var widths = columns.map { noHeader ? 0 : Renderer.width($0.title) }
        var numeric = columns.map { $0.format == .bytes || $0.format == .percent || $0.format == .duration }
        for (index, column) in columns.enumerated() where column.format == .plain {
            // A plain column is numeric when every present value is a number (vmid, cores).
            numeric[index] = table.rows.allSatisfy { row in
                guard let v = row[column.key] else { return true }
                switch v { case .int, .double, .null: return true; default: return false }
            } && !table.rows.isEmpty
        }
        for row in table.rows {
            var line: [String] = []
            line.reserveCapacity(columns.count)
            for (index, column) in columns.enumerated() {
                let cell = Humanize.cell(row[column.key], column.format)
                let w = Renderer.width(cell)
                if w > widths[index] { widths[index] = w }
                line.append(cell)
            }
            cells.append(line)
        }
        var out: [UInt8] = []
        out.reserveCapacity((widths.reduce(0, +) + 2 * columns.count + 1) * (cells.count + 1))
        if !noHeader {
            appendLine(columns.map { $0.title.uppercased() }, widths: widths, numeric: numeric, states: nil, to: &out)
        }
        let stateColumns = columns.map { $0.format == .state }
        for line in cells {
            appendLine(line, widths: widths, numeric: numeric, states: color ? stateColumns : nil, to: &out)
        }
        return out
    }

    private func appendLine(_ cells: [String], widths: [Int], numeric: [Bool], states: [Bool]?, to out: inout [UInt8]) {
        let last = cells.count - 1
        for (index, cell) in cells.enumerated() {
            let pad = max(0, widths[index] - Renderer.width(cell))
            if numeric[index] { out.append(contentsOf: repeatElement(0x20, count: pad)) }
            if let states, states[index], let code = Renderer.stateColor(cell) {
                out.append(contentsOf: code.utf8); out.append(contentsOf: cell.utf8); out.append(contentsOf: "\u{1B}[0m".utf8)
            } else {
                out.append(contentsOf: cell.utf8)
            }
            if !numeric[index], index != last { out.append(contentsOf: repeatElement(0x20, count: pad)) }
            if index != last { out.append(0x20); out.append(0x20) }
        }
        out.append(0x0A)
    }

    static func stateColor(_ state: String) -> String? {
        switch state {
        case "running", "online", "active", "OK", "available": return "\u{1B}[32m"
        case "stopped", "offline", "unknown", "error": return "\u{1B}[2;31m"
        case "paused", "suspended", "prelaunch": return "\u{1B}[33m"
        default: return nil
        }
    }

    /// Display width; ASCII is the common case and is counted by bytes.
    static func width(_ s: String) -> Int {
        let utf8 = s.utf8.count
        if s.utf8.allSatisfy({ $0 < 0x80 }) { return utf8 }
        return s.count
    }

    // MARK: Records

    /// `key: value` lines with aligned values; nested objects indented below their key.
    public func recordText(_ value: JSON) -> String {
        var out = ""
        appendRecord(value, indent: 0, to: &out)
        return out
    }

    private func appendRecord(_ value: JSON, indent: Int, to out: inout String) {
        let pad = String(repeating: "  ", count: indent)
        guard case .object(let pairs) = value else {
            out += pad + (Humanize.cell(value, .plain)) + "\n"
            return
        }
        let keyWidth = pairs.filter { !$0.1.isContainer }.map { Renderer.width($0.0) }.max() ?? 0
        for (key, item) in pairs {
            switch item {
            case .object(let inner) where !inner.isEmpty:
                out += pad + key + ":\n"
                appendRecord(item, indent: indent + 1, to: &out)
            case .array(let items) where items.contains(where: \.isContainer):
                out += pad + key + ":\n"
                for element in items {
                    if case .object = element {
                        out += pad + "  - " + inlineObject(element) + "\n"
                    } else {
                        out += pad + "  - " + Humanize.cell(element, .plain) + "\n"
                    }
                }
            default:
                var text = Humanize.cell(item, .plain)
                if case .array(let items) = item { text = items.compactMap(\.string).joined(separator: ", ") }
                // Continuation lines of multi-line values (descriptions) line up under the value.
                let indent = "\n" + pad + String(repeating: " ", count: max(1, keyWidth + 2))
                if text.contains("\n") { text = text.replacingOccurrences(of: "\n", with: indent) }
                out += pad + key + ":" + String(repeating: " ", count: max(1, keyWidth - Renderer.width(key) + 1))
                if color, key == "status", let code = Renderer.stateColor(text) { out += code + text + "\u{1B}[0m" } else { out += text }
                out += "\n"
            }
        }
    }

    private func inlineObject(_ value: JSON) -> String {
        (value.object ?? []).map { "\($0.0)=\(Humanize.cell($0.1, .plain))" }.joined(separator: " ")
    }
}

extension JSON {
    var isContainer: Bool {
        switch self { case .object, .array: return true; default: return false }
    }
}
