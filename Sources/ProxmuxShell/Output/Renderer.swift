#if canImport(Glibc)
import Glibc
#endif
import PVESchema
import CMemoryHints

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

    /// Consuming: a big table's rows are let go once its cells are formatted (see `textPieces`).
    public func render(_ output: consuming CommandOutput, to console: Console) {
        switch consume output {
        case .nothing: return
        case .message(let text):
            // Messages are for people; under -o json/yaml they go to stderr to keep pipes clean.
            console.line(text, to: format.humanStream)
        case .table(let table):
            switch format {
            case .text: for piece in textPieces(consume table, inPiecesFrom: Renderer.piecesFrom) { console.write(bytes: piece) }
            case .json: console.write(bytes: Renderer.jsonRows(table.rows))
            case .yaml: console.write(YAML.emit(.array(table.rows.values)))
            }
        case .record(let value):
            switch format {
            case .text: console.write(recordText(value))
            case .json: console.write(bytes: Renderer.prettyJSON(value))
            case .yaml: console.write(YAML.emit(value))
            }
        case .json(let value):
            switch format {
            case .text, .json: console.write(bytes: Renderer.prettyJSON(value))
            case .yaml: console.write(YAML.emit(value))
            }
        }
    }

    /// Indented JSON and a newline, as bytes (several MB for a big raw answer).
    static func prettyJSON(_ value: JSON) -> [UInt8] {
        var bytes = value.serializedBytes(pretty: true)
        bytes.append(UInt8(ascii: "\n"))
        return bytes
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

    /// Aligned columns sized by their content; numbers right-aligned; two spaces between columns;
    /// no blanks at the end of a line.
    public func text(_ table: Table) -> String { String(decoding: textBytes(table), as: UTF8.self) }

    /// `text(_:)` as UTF-8 bytes (what the console writes). Cells are formatted once into one
    /// buffer, then laid out once the column widths are known. Big tables (10,000 guests) are
    /// formatted and laid out in pieces shared by two threads.
    public func textBytes(_ table: Table) -> [UInt8] { textBytes(table, inPiecesFrom: Renderer.piecesFrom) }

    /// Tables of this many rows are formatted and laid out in pieces shared by two threads.
    static let piecesFrom = 4096

    /// `textBytes` that splits the work from `inPiecesFrom` rows on (tests compare both ways).
    func textBytes(_ table: Table, inPiecesFrom threshold: Int) -> [UInt8] {
        let pieces = textPieces(table, inPiecesFrom: threshold)
        guard pieces.count > 1 else { return pieces.first ?? [] }
        var out: [UInt8] = []
        out.reserveCapacity(pieces.reduce(0) { $0 + $1.count })
        for piece in pieces { out.append(contentsOf: piece) }
        return out
    }

    /// The text in consecutive pieces (header, then the lines of each piece): the console writes
    /// them one after the other, without joining a megabyte of lines first. Cells are formatted
    /// in the order their rows lie in the answer's text, which is then read front to back (PVE
    /// lists guests in hash order, and a sorted table read in its own order waited on memory for
    /// most of its formatting); lines are laid out in the table's order.
    ///
    /// Consuming: once the cells are formatted, the rows (the answer's text and index, 4 MiB for
    /// 10,000 guests) are let go, when nothing else holds them, before the lines are laid out, so
    /// that the lines reuse memory already faulted in rather than take a fresh huge page after
    /// the last byte of the answer.
    func textPieces(_ table: consuming Table, inPiecesFrom threshold: Int) -> [[UInt8]] {
        let columns = table.columns
        guard !columns.isEmpty else { return [] }
        let (parts, places, pieces, pieceRows, isEmpty) = Renderer.formattedCells(consume table, inPiecesFrom: threshold)
        let titles = columns.map { $0.title.uppercased() }
        var widths = titles.map { noHeader ? 0 : Renderer.width($0) }
        var excess = titles.map { noHeader ? 0 : $0.utf8.count - Renderer.width($0) }
        var plainNumbers = columns.map { $0.format == .plain }
        for part in parts {
            for index in columns.indices {
                widths[index] = max(widths[index], part.columnWidths[index])
                excess[index] = max(excess[index], part.columnExcess[index])
                plainNumbers[index] = plainNumbers[index] && part.plainNumbers[index]
            }
        }
        let numeric = columns.indices.map { index in
            switch columns[index].format {
            case .bytes, .percent, .duration, .elapsed: return true
            default: return plainNumbers[index] && !isEmpty
            }
        }
        let layout = LineLayout(widths: widths, excess: excess, numeric: numeric, states: color ? columns.map { $0.format == .state } : nil)
        var output: [[UInt8]] = []
        if !noHeader {
            var header = ByteWriter(capacity: 256)
            var ends: [Int] = []
            for title in titles {
                header.append(utf8: title)
                ends.append(header.count)
            }
            let text = header.finish()
            output.append(layout.lines(1, HeaderCells(text: text, ends: ends)))
        }
        // The lines of each piece of the table, whichever pieces their cells were formatted in.
        output += Renderer.inParallel(pieces) { lines in
            FormattedCells.withSources(parts[...]) { sources in
                (places ?? []).withUnsafeBufferPointer { places in
                    layout.lines(lines.count, TableCells(sources: sources, places: places, lines: lines, pieceShift: pieceRows.trailingZeroBitCount))
                }
            }
        }
        return output
    }

    /// The cells of `table`'s rows, in pieces of `pieceRows` rows formatted in the order the rows
    /// lie in the text, and each row's place in that order (nil: the same). The rows end with
    /// this call.
    private static func formattedCells(_ table: consuming Table, inPiecesFrom threshold: Int)
        -> (parts: [FormattedCells], places: [Int32]?, pieces: [Range<Int>], pieceRows: Int, isEmpty: Bool) {
        let columns = table.columns
        let (rows, places) = table.rows.inTextOrder()
        let pieceRows = Renderer.pieceRows(rows.count, from: threshold)
        let pieces = stride(from: 0, to: rows.count, by: pieceRows).map { $0..<min($0 + pieceRows, rows.count) }
        let parts = Renderer.inParallel(pieces) { FormattedCells(rows, columns, $0) }
        return (parts, places, pieces, pieceRows, rows.isEmpty)
    }

    /// How many rows a piece of a table of `count` rows holds: all of them, below `threshold` or
    /// without a second core; else a power of two (a row's piece is a shift away) making four to
    /// eight pieces, so that the thread that gets on faster takes more of them.
    private static func pieceRows(_ count: Int, from threshold: Int) -> Int {
        let rows = count >= threshold && count > 1 && SpareThread.isUseful ? (count + 7) / 8 : max(count, 1)
        return 1 << (Int.bitWidth - (rows - 1).leadingZeroBitCount)
    }

    /// `transform` of each element, on this thread and the spare thread together.
    private static func inParallel<Element, Result>(_ elements: [Element], _ transform: @escaping (Element) -> Result) -> [Result] {
        guard elements.count > 1 else { return elements.map(transform) }
        let results = ResultSlots<Result>(count: elements.count)
        let work = UncheckedBox((elements, transform))
        SpareThread.shared.share(elements.count) { index in results.set(index, work.value.1(work.value.0[index])) }
        return results.values.compactMap { $0 }
    }

    static let colorReset: StaticString = "\u{1B}[0m"

    static func stateColor(_ state: String) -> StaticString? {
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

    /// `width` of bytes in memory, tested eight at a time for ASCII.
    static func width(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        guard let base = bytes.baseAddress else { return 0 }
        var highBits: UInt64 = 0, i = 0
        while i + 8 <= bytes.count {
            highBits |= UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self)
            i += 8
        }
        while i < bytes.count {
            highBits |= UInt64(base[i])
            i += 1
        }
        return highBits & 0x8080_8080_8080_8080 == 0 ? bytes.count : String(decoding: bytes, as: UTF8.self).count
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
                if color, key == "status", let code = Renderer.stateColor(text) { out += "\(code)" + text + "\(Renderer.colorReset)" } else { out += text }
                out += "\n"
            }
        }
    }

    private func inlineObject(_ value: JSON) -> String {
        (value.object ?? []).map { "\($0.0)=\(Humanize.cell($0.1, .plain))" }.joined(separator: " ")
    }
}

/// The cells `LineLayout.lines` lays out, and what to start loading before each line. A type, not
/// closures: the layout is specialised for each, so that its calls (two or three per cell) are
/// inlined rather than made through closure pointers.
private protocol LineCells {
    /// Starts loading what later lines will read.
    func prefetch(_ line: Int)
    /// The bytes of the cell (sixteen must be readable from its start, whatever its length:
    /// every `ByteStore` has them), their length and display width.
    func cell(_ line: Int, _ column: Int) -> (UnsafePointer<UInt8>, Int, Int)
}

/// The header: the column titles, one after the other in `text`.
private struct HeaderCells: LineCells {
    let text: ByteStore
    /// Where each title ends in `text`.
    let ends: [Int]

    func prefetch(_ line: Int) {}

    func cell(_ line: Int, _ column: Int) -> (UnsafePointer<UInt8>, Int, Int) {
        let begin = column == 0 ? 0 : ends[column - 1]
        let title = UnsafeBufferPointer(rebasing: text.bytes[begin..<ends[column]])
        return (title.baseAddress ?? text.bytes.baseAddress!, title.count, Renderer.width(title))
    }
}

/// Some lines of a table (`lines`, in table order), from the cells of its pieces.
private struct TableCells: LineCells {
    let sources: [FormattedCells.Source]
    /// Each table row's place in the text order the cells were formatted in (empty: the same).
    let places: UnsafeBufferPointer<Int32>
    let lines: Range<Int>
    /// Each source holds the cells of `1 << pieceShift` rows (the last one the rest).
    let pieceShift: Int

    /// A sorted hash-ordered table reads its cells out of order: each line's cells and their
    /// text are fetched this many lines ahead, in two steps (the text's place is in the cell).
    private static let ahead = 8

    @inline(__always)
    private func row(_ line: Int) -> Int { places.isEmpty ? lines.lowerBound + line : Int(places[lines.lowerBound + line]) }

    @inline(__always)
    private func source(_ row: Int) -> FormattedCells.Source { sources[row >> pieceShift] }

    @inline(__always)
    func prefetch(_ line: Int) {
        if line + Self.ahead < lines.count {
            let next = row(line + Self.ahead)
            source(next).prefetchCells(next)
        }
        if line + Self.ahead / 2 < lines.count {
            let next = row(line + Self.ahead / 2)
            source(next).prefetchText(next)
        }
    }

    @inline(__always)
    func cell(_ line: Int, _ column: Int) -> (UnsafePointer<UInt8>, Int, Int) {
        let row = row(line)
        return source(row).cell(row, column)
    }
}

/// Where each column's cells go on a line: padded to the column's width, numbers right-aligned,
/// two spaces between columns, states in colour when asked; a line ends with its last non-empty cell.
private struct LineLayout {
    let widths: [Int]
    /// Per column, the most bytes a cell has beyond its width (UTF-8 past ASCII).
    let excess: [Int]
    let numeric: [Bool]
    let states: [Bool]?

    /// `count` lines of `cells`, written straight into one array.
    @inline(__always)
    func lines<Cells: LineCells>(_ count: Int, _ cells: Cells) -> [UInt8] {
        // A padded cell takes its column's width, and the bytes its characters have beyond one
        // each, plus a colour code; a line two spaces between columns and a newline. Sixteen
        // bytes more: short runs are written as two eight-byte words, which may reach past their
        // end (the next bytes overwrite them). No more than that: room never written still costs
        // here when it shares a huge page with written memory.
        let perLine = widths.reduce(0, +) + excess.reduce(0, +) + 2 * widths.count + 1 + (states == nil ? 0 : 12 * widths.count)
        return [UInt8](unsafeUninitializedCapacity: count * perLine + 16) { buffer, written in
            var out = buffer.baseAddress!
            let last = widths.count - 1
            widths.withUnsafeBufferPointer { widths in
                numeric.withUnsafeBufferPointer { numeric in
                    for line in 0..<count {
                        cells.prefetch(line)
                        // Where the line's last non-empty cell ends: padding and separators after
                        // it would only leave blanks at the end of the line.
                        var contentEnd = out
                        for column in 0...last {
                            let (source, length, width) = cells.cell(line, column)
                            let bytes = UnsafeBufferPointer(start: source, count: length)
                            let pad = max(0, widths[column] - width)
                            if numeric[column] { out = LineLayout.spaces(pad, at: out) }
                            if let states, states[column], let code = Renderer.stateColor(String(decoding: bytes, as: UTF8.self)) {
                                out = LineLayout.copy(UnsafeBufferPointer(start: code.utf8Start, count: code.utf8CodeUnitCount), to: out)
                                out = LineLayout.copy(bytes, to: out)
                                out = LineLayout.copy(UnsafeBufferPointer(start: Renderer.colorReset.utf8Start, count: Renderer.colorReset.utf8CodeUnitCount), to: out)
                            } else if length <= 16 {
                                // Sixteen bytes are readable from here: two words, whatever the length.
                                let from = UnsafeRawPointer(source), to = UnsafeMutableRawPointer(out)
                                to.storeBytes(of: from.loadUnaligned(as: UInt64.self), as: UInt64.self)
                                to.storeBytes(of: from.loadUnaligned(fromByteOffset: 8, as: UInt64.self), toByteOffset: 8, as: UInt64.self)
                                out += length
                            } else {
                                out = LineLayout.copy(bytes, to: out)
                            }
                            contentEnd = length > 0 ? out : contentEnd
                            if column != last {
                                out = LineLayout.spaces(numeric[column] ? 2 : pad + 2, at: out)
                            }
                        }
                        out = contentEnd
                        out.pointee = 0x0A
                        out += 1
                    }
                }
            }
            written = out - buffer.baseAddress!
            assert(written <= count * perLine, "\(count) lines took \(written) bytes, more than the \(count * perLine) reckoned")
        }
    }

    @inline(__always)
    private static func copy(_ bytes: UnsafeBufferPointer<UInt8>, to out: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8> {
        guard let source = bytes.baseAddress else { return out }
        out.initialize(from: source, count: bytes.count)
        return out + bytes.count
    }

    private static let spaceWord = UInt64(0x2020_2020_2020_2020)

    /// `count` spaces; up to sixteen as two words (the layout's buffer has room past any line).
    @inline(__always)
    private static func spaces(_ count: Int, at out: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8> {
        if count <= 16 {
            let to = UnsafeMutableRawPointer(out)
            to.storeBytes(of: spaceWord, as: UInt64.self)
            to.storeBytes(of: spaceWord, toByteOffset: 8, as: UInt64.self)
        } else {
            out.initialize(repeating: 0x20, count: count)
        }
        return out + count
    }
}

/// The text cells of some rows of a table, before they are laid out in columns.
private struct FormattedCells {
    let text: ByteStore
    /// Per cell, row by row: where its text ends in `text`, and its display width.
    let cells: [Cell]
    /// Per column: the widest cell.
    let columnWidths: [Int]
    /// Per column, the most bytes a cell has beyond its width.
    let columnExcess: [Int]
    /// Per column: whether every value is a number (a plain column of numbers is right-aligned).
    let plainNumbers: [Bool]
    /// The row (of the rows formatted) of the first cells here.
    let firstRow: Int

    // Int32: 90,000 cells of a big listing, half the memory of Int.
    struct Cell {
        var end: Int32
        var width: Int32
    }

    /// Where to read the cells of `FormattedCells` while `withSources` runs.
    struct Source {
        let text: UnsafePointer<UInt8>
        let cells: UnsafeBufferPointer<Cell>
        let firstRow: Int
        let columnCount: Int

        /// Starts loading the cells of `row` (a layout reads them a few lines later).
        func prefetchCells(_ row: Int) {
            let index = (row - firstRow) * columnCount
            pmx_prefetch(cells.baseAddress! + index)
            pmx_prefetch(cells.baseAddress! + index + columnCount - 1)
        }

        /// Starts loading the text of the cells of `row`; reads its cells, so they should have
        /// been prefetched a few lines before.
        func prefetchText(_ row: Int) {
            let index = (row - firstRow) * columnCount
            pmx_prefetch(text + start(index))
            pmx_prefetch(text + Int(cells[index + columnCount - 1].end) - 1)
        }

        /// The bytes, length and display width of the cell of `row` (of all rows formatted) and `column`.
        @inline(__always)
        func cell(_ row: Int, _ column: Int) -> (UnsafePointer<UInt8>, Int, Int) {
            let index = (row - firstRow) * columnCount + column
            let begin = start(index)
            return (text + begin, Int(cells[index].end) - begin, Int(cells[index].width))
        }

        /// Where cell `index` starts in `text`: where the one before it ends.
        @inline(__always)
        private func start(_ index: Int) -> Int { index == 0 ? 0 : Int(cells[index - 1].end) }
    }

    /// `body` with the cells of `parts` readable through pointers.
    static func withSources<Result>(_ parts: ArraySlice<FormattedCells>, _ sources: [Source] = [],
                                    _ body: ([Source]) -> Result) -> Result {
        guard let part = parts.first else { return body(sources) }
        return part.cells.withUnsafeBufferPointer { cells in
            let source = Source(text: part.text.bytes.baseAddress!, cells: cells, firstRow: part.firstRow,
                                columnCount: part.columnWidths.count)
            return withSources(parts.dropFirst(), sources + [source], body)
        }
    }

    /// What formatting a column keeps track of, read and written for every cell.
    private struct ColumnState {
        let key: Int
        let format: ValueFormat
        var width = 0
        var excess = 0
        /// Every value so far a number (see `plainNumbers`).
        var plainNumbers: Bool
    }

    init(_ rows: JSONRows, _ columns: [Table.Column], _ range: Range<Int>) {
        firstRow = range.lowerBound
        let count = columns.count
        var states = columns.map { ColumnState(key: rows.keyIndex($0.key) ?? -1, format: $0.format, plainNumbers: $0.format == .plain) }
        var text = ByteWriter(capacity: range.count * count * 8)
        cells = [Cell](unsafeUninitializedCapacity: range.count * count) { cells, initialized in
            rows.withValueReader { values in
                states.withUnsafeMutableBufferPointer { states in
                    var cell = 0
                    for row in range {
                        for column in 0..<count {
                            let start = text.count
                            let key = states[column].key
                            // Numbers and empty cells are written in ASCII: their width is their length.
                            var ascii = false
                            if key >= 0 {
                                let scalar = values.scalar(row, key: key)
                                switch scalar {
                                case .absent, .null, .integer, .number: ascii = true
                                case .text: states[column].plainNumbers = false
                                case .other:
                                    if states[column].plainNumbers { states[column].plainNumbers = rows.value(row, key: key)?.isNumber ?? true }
                                }
                                Humanize.appendCell(scalar, of: rows, values, row: row, key: key, states[column].format, to: &text)
                            } else {
                                let value = rows.value(row, columns[column].key)
                                if states[column].plainNumbers, let value, !value.isNumber { states[column].plainNumbers = false }
                                Humanize.appendCell(value, states[column].format, to: &text)
                            }
                            let length = text.count - start
                            let width = ascii || text.isShortASCII(from: start) ? length : Renderer.width(text.bytes(from: start))
                            if width > states[column].width { states[column].width = width }
                            if length - width > states[column].excess { states[column].excess = length - width }
                            cells[cell] = Cell(end: Int32(text.count), width: Int32(width))
                            cell += 1
                        }
                    }
                    initialized = cell
                }
            }
        }
        self.text = text.finish()
        columnWidths = states.map(\.width)
        columnExcess = states.map(\.excess)
        plainNumbers = states.map(\.plainNumbers)
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
