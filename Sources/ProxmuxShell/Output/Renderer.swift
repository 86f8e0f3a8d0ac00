#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import PVESchema

/// Turns a `CommandOutput` into text, JSON or YAML and writes it to the console in a few large
/// writes (never line by line).
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
            console.line(text, to: format.humanStream)
        case .table(let table):
            switch format {
            case .text: for piece in textPieces(table, inHalvesFrom: Renderer.halvesFrom) { console.write(bytes: piece) }
            case .json: console.write(bytes: Renderer.jsonRows(table.rows))
            case .yaml: console.write(YAML.emit(.array(table.rows.values)))
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

    /// A JSON array with one row per line, each as the server wrote it: valid JSON, readable, and
    /// fast for 10,000 rows.
    static func jsonRows(_ rows: JSONRows) -> [UInt8] {
        guard !rows.isEmpty else { return Array("[]\n".utf8) }
        var out: [UInt8] = []
        out.reserveCapacity(rows.count * 400)
        out.append(contentsOf: "[\n".utf8)
        for i in 0..<rows.count {
            out.append(contentsOf: "  ".utf8)
            rows.withRowText(i) { out.append(contentsOf: $0) }
            out.append(contentsOf: (i == rows.count - 1 ? "\n" : ",\n").utf8)
        }
        out.append(contentsOf: "]\n".utf8)
        return out
    }

    /// Aligned columns sized by their content; numbers right-aligned; two spaces between columns.
    public func text(_ table: Table) -> String { String(decoding: textBytes(table), as: UTF8.self) }

    /// `text(_:)` as UTF-8 bytes (what the console writes). Cells are formatted once into one
    /// buffer, then laid out once the column widths are known. Big tables (10,000 guests) are
    /// formatted and laid out in two halves on two threads.
    public func textBytes(_ table: Table) -> [UInt8] { textBytes(table, inHalvesFrom: Renderer.halvesFrom) }

    /// Tables of this many rows are formatted in two halves on two threads.
    static let halvesFrom = 4096

    /// `textBytes` that splits the work in two from `inHalvesFrom` rows on (tests compare both ways).
    func textBytes(_ table: Table, inHalvesFrom threshold: Int) -> [UInt8] {
        let pieces = textPieces(table, inHalvesFrom: threshold)
        guard pieces.count > 1 else { return pieces.first ?? [] }
        var out: [UInt8] = []
        out.reserveCapacity(pieces.reduce(0) { $0 + $1.count })
        for piece in pieces { out.append(contentsOf: piece) }
        return out
    }

    /// The text in consecutive pieces (header, then the lines of each half): the console writes
    /// them one after the other, without joining a megabyte of lines first.
    func textPieces(_ table: Table, inHalvesFrom threshold: Int) -> [[UInt8]] {
        let columns = table.columns, rows = table.rows
        guard !columns.isEmpty else { return [] }
        let halves = rows.count >= threshold && sysconf(Int32(_SC_NPROCESSORS_ONLN)) > 1
            ? [0..<rows.count / 2, rows.count / 2..<rows.count] : [0..<rows.count]
        let parts = Renderer.inParallel(halves) { FormattedCells(rows, columns, $0) }
        var widths = columns.map { noHeader ? 0 : Renderer.width($0.title) }
        var plainNumbers = columns.map { $0.format == .plain }
        for part in parts {
            for index in columns.indices {
                widths[index] = max(widths[index], part.columnWidths[index])
                plainNumbers[index] = plainNumbers[index] && part.plainNumbers[index]
            }
        }
        let numeric = columns.indices.map { index in
            switch columns[index].format {
            case .bytes, .percent, .duration: return true
            default: return plainNumbers[index] && !rows.isEmpty
            }
        }
        var out: [UInt8] = []
        if !noHeader {
            let titles = Array(columns.map { $0.title.uppercased() }.joined().utf8)
            var ends: [Int] = []
            for column in columns { ends.append((ends.last ?? 0) + column.title.uppercased().utf8.count) }
            titles.withUnsafeBufferPointer { text in
                appendLine(widths: widths, numeric: numeric, states: nil, to: &out) { index in
                    (UnsafeBufferPointer(rebasing: text[(index == 0 ? 0 : ends[index - 1])..<ends[index]]), Renderer.width(columns[index].title))
                }
            }
        }
        let states = color ? columns.map { $0.format == .state } : nil
        let bodies = Renderer.inParallel(parts) { (part: FormattedCells) -> [UInt8] in
            var body: [UInt8] = []
            body.reserveCapacity(part.text.count + (widths.reduce(0, +) + 2 * columns.count + 1) * part.rowCount)
            part.text.withUnsafeBufferPointer { text in
                for row in 0..<part.rowCount {
                    let base = row * columns.count
                    appendLine(widths: widths, numeric: numeric, states: states, to: &body) { index in
                        let begin = base + index == 0 ? 0 : Int(part.ends[base + index - 1])
                        return (UnsafeBufferPointer(rebasing: text[begin..<Int(part.ends[base + index])]), Int(part.widths[base + index]))
                    }
                }
            }
            return body
        }
        return [out] + bodies
    }

    /// `transform` of each element, the elements on their own threads when there are several.
    private static func inParallel<Element, Result>(_ elements: [Element], _ transform: (Element) -> Result) -> [Result] {
        guard elements.count > 1 else { return elements.map(transform) }
        let results = ResultSlots<Result>(count: elements.count)
        withoutActuallyEscaping(transform) { transform in
            let work = UncheckedBox((elements, transform))
            DispatchQueue.concurrentPerform(iterations: elements.count) { index in
                results.set(index, work.value.1(work.value.0[index]))
            }
        }
        return results.values.compactMap { $0 }
    }

    /// One line of cells given by `cell(column)` (text and display width), padded to `widths`.
    private func appendLine(widths: [Int], numeric: [Bool], states: [Bool]?, to out: inout [UInt8],
                            _ cell: (Int) -> (UnsafeBufferPointer<UInt8>, Int)) {
        let last = widths.count - 1
        for index in widths.indices {
            let (bytes, width) = cell(index)
            let pad = max(0, widths[index] - width)
            if numeric[index] { Renderer.appendSpaces(pad, to: &out) }
            if let states, states[index], let code = Renderer.stateColor(String(decoding: bytes, as: UTF8.self)) {
                out.append(contentsOf: code.utf8); out.append(contentsOf: bytes); out.append(contentsOf: "\u{1B}[0m".utf8)
            } else {
                out.append(contentsOf: bytes)
            }
            if !numeric[index], index != last { Renderer.appendSpaces(pad, to: &out) }
            if index != last { out.append(0x20); out.append(0x20) }
        }
        out.append(0x0A)
    }

    private static let spaces = [UInt8](repeating: 0x20, count: 64)

    /// Padding, copied from a run of spaces (a byte-by-byte append is several times slower).
    private static func appendSpaces(_ count: Int, to out: inout [UInt8]) {
        var left = count
        spaces.withUnsafeBufferPointer { run in
            while left > 0 {
                let n = min(left, run.count)
                out.append(contentsOf: UnsafeBufferPointer(rebasing: run[0..<n]))
                left -= n
            }
        }
    }

    static func stateColor(_ state: String) -> String? {
        switch state {
        case "running", "online", "active", "OK", "available": return "\u{1B}[32m"
        case "stopped", "offline", "unknown", "error": return "\u{1B}[2;31m"
        case "paused", "suspended", "prelaunch": return "\u{1B}[33m"
        default: return nil
        }
    }

    /// Display width: one column per character; ASCII, the common case, is counted by bytes.
    static func width(_ s: String) -> Int { width(s.utf8) }

    static func width<UTF8Bytes: Collection>(_ utf8: UTF8Bytes) -> Int where UTF8Bytes.Element == UInt8 {
        var ascii = true
        for byte in utf8 where byte >= 0x80 { ascii = false; break }
        return ascii ? utf8.count : String(decoding: utf8, as: UTF8.self).count
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

/// The text cells of some rows of a table, before they are laid out in columns.
private struct FormattedCells {
    var text: [UInt8] = []
    /// Per cell, row by row: where its text ends, and its display width.
    // Int32: 90,000 cells of a big listing, half the memory of Int.
    var ends: [Int32] = []
    var widths: [Int32] = []
    var columnWidths: [Int]
    /// Per column: whether every value so far is a number (a plain column of numbers is right-aligned).
    var plainNumbers: [Bool]
    let rowCount: Int

    init(_ rows: JSONRows, _ columns: [Table.Column], _ range: Range<Int>) {
        rowCount = range.count
        columnWidths = Array(repeating: 0, count: columns.count)
        plainNumbers = columns.map { $0.format == .plain }
        let keyIndices = columns.map { rows.keyIndex($0.key) }
        text.reserveCapacity(range.count * columns.count * 8)
        ends.reserveCapacity(range.count * columns.count)
        widths.reserveCapacity(range.count * columns.count)
        for row in range {
            for (index, column) in columns.enumerated() {
                let start = text.count
                if let key = keyIndices[index] {
                    let scalar = rows.scalar(row, key: key)
                    if plainNumbers[index] {
                        switch scalar {
                        case .absent, .null, .integer, .number: break
                        case .text: plainNumbers[index] = false
                        case .other: plainNumbers[index] = rows.value(row, key: key)?.isNumber ?? true
                        }
                    }
                    Humanize.appendCell(scalar, of: rows, row: row, key: key, column.format, to: &text)
                } else {
                    let value = rows.value(row, column.key)
                    if plainNumbers[index], let value, !value.isNumber { plainNumbers[index] = false }
                    Humanize.appendCell(value, column.format, to: &text)
                }
                let width = Renderer.width(text[start...])
                if width > columnWidths[index] { columnWidths[index] = width }
                ends.append(Int32(text.count))
                widths.append(Int32(width))
            }
        }
    }
}

extension JSON {
    /// Numbers and null (a plain column of only these is right-aligned).
    var isNumber: Bool {
        switch self { case .int, .double, .null: return true; default: return false }
    }

    var isContainer: Bool {
        switch self { case .object, .array: return true; default: return false }
    }
}
