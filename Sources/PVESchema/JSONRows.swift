#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import Synchronization

/// The elements of one JSON array kept as text, with the values of a few chosen keys located in a
/// single validating pass.
///
/// PVE's big answers are arrays of flat objects (`/cluster/resources` with 10,000 guests is 3 MB).
/// Building a `JSON` tree for them costs more than the request itself, mostly in memory: the rows
/// are only filtered, sorted and shown a few fields at a time. `JSONRows` keeps the server's bytes,
/// remembers where each row and each chosen key's value starts, and decodes a value only when it
/// is read. Filtering and sorting reorder row numbers, never bytes.
public struct JSONRows: Sendable {
    /// The keys whose values were located; `value(_:_:)` with any other key decodes the whole row.
    public let keys: [String]
    @usableFromInline let text: [UInt8]
    @usableFromInline let index: Index
    /// The rows in view (after filtering and sorting), as row numbers of `index`.
    @usableFromInline var order: [Int32]

    /// Where rows and the chosen values lie in `text`.
    @usableFromInline
    struct Index: Sendable {
        var rowStarts: [Int32] = []
        var rowEnds: [Int32] = []
        /// Per row, the first key's value when it is written as plain digits (at most 18), else
        /// -1: read while the row is in the cache, for `sortedByFirstKey` (listings sort by vmid,
        /// their first key) without reading the text again.
        var leadingIntegers: [Int64] = []
        /// `keys.count` spans per row, in key order.
        @usableFromInline var values: [ValueSpan] = []

        /// Room for `rows` rows of `width` values; the values of a big listing go on huge pages
        /// where they can (see `PageAdvice`).
        mutating func reserve(rows: Int, width: Int) {
            rowStarts.reserveCapacity(rows)
            rowEnds.reserveCapacity(rows)
            leadingIntegers.reserveCapacity(rows)
            values.reserveCapacity(rows * max(1, width))
            values.withUnsafeBufferPointer { spans in
                if let base = spans.baseAddress { PageAdvice.preferHugePages(base, values.capacity * MemoryLayout<ValueSpan>.stride) }
            }
        }

        /// How many rows `bytes` bytes of text likely hold when `rows` rows took `span` bytes: a
        /// quarter more than at that average, as rows differ. Before eight rows are known, one per
        /// 100 bytes (PVE's rows are longer). Room reserved but never written is not free here:
        /// the rest of a huge page it shares with written memory is zeroed all the same.
        static func expectedRows(in bytes: Int, after rows: Int, took span: Int) -> Int {
            guard rows >= 8, span > 0 else { return bytes / 100 }
            return bytes * rows / span * 5 / 4 + 16
        }

        /// Forgets the rows after the first `rows` (a row cut off by the end of the text so far).
        mutating func truncate(toRows rows: Int, width: Int) {
            rowStarts.removeSubrange(min(rows, rowStarts.count)...)
            rowEnds.removeSubrange(min(rows, rowEnds.count)...)
            leadingIntegers.removeSubrange(min(rows, leadingIntegers.count)...)
            values.removeSubrange(min(rows * width, values.count)...)
        }
    }

    /// A value's bytes; `start` is -1 when the row lacks the key. Strings remember whether they
    /// hold escapes, so that plain ones are read straight from the text. Eight bytes, not twelve:
    /// the flag rides in the top bit of the end (a text is under 2 GiB), and the index of 10,000
    /// guests is 0.4 MiB smaller, so that the listing's blocks fit in one huge page fewer.
    @usableFromInline
    struct ValueSpan: Sendable {
        @usableFromInline var start: Int32 = -1
        @usableFromInline var endAndEscaped: UInt32 = 0

        @usableFromInline init() {}

        @usableFromInline init(start: Int32, end: Int32, escaped: Bool) {
            self.start = start
            endAndEscaped = UInt32(bitPattern: end) | (escaped ? 1 << 31 : 0)
        }

        @usableFromInline var end: Int32 { @inline(__always) get { Int32(bitPattern: endAndEscaped & 0x7FFF_FFFF) } }
        @usableFromInline var escaped: Bool { @inline(__always) get { endAndEscaped >> 31 != 0 } }
    }

    public var count: Int { order.count }
    public var isEmpty: Bool { order.isEmpty }

    /// Indexes the array found at `member` of the top-level object (PVE's `data`), or the top-level
    /// array itself when `member` is nil. Anything other than an array there gives no rows, as a
    /// `null` `data` does. The whole text is checked as `JSON.parse` would check it.
    public init(parsing text: [UInt8], member: String? = nil, keys: [String], splittingFrom: Int = 256 << 10) throws {
        var builder = Builder(member: member, keys: keys, splittingFrom: splittingFrom)
        builder.ownText = text
        self = try builder.finish()
    }

    private init(keys: [String], text: [UInt8], index: Index) {
        self.keys = keys
        self.text = text
        self.order = Array(0..<Int32(index.rowStarts.count))
        self.index = index
    }

    /// Rows from values already decoded (small listings, tests, in-memory backends).
    public init(_ rows: [JSON], keys: [String]) {
        // Serialising is cheap next to fetching, and keeps a single representation to render from.
        // The serialiser's output is valid JSON, so indexing it cannot fail.
        try! self.init(parsing: JSON.array(rows).serializedBytes(reservingCapacity: rows.count * 64 + 2), keys: keys)
    }

    // MARK: Reading

    /// Position of `key` among the indexed keys.
    public func keyIndex(_ key: String) -> Int? { keys.firstIndex(of: key) }

    /// The value of indexed key number `key` in row `row` (a position in the current view).
    /// Numbers and plain strings are read in place (see `Scalar`), with the values `JSON.parse`
    /// gives them; anything else is decoded.
    public func value(_ row: Int, key: Int) -> JSON? {
        withValueReader { reader in
            switch reader.scalar(row, key: key) {
            case .absent: return nil
            case .null: return .null
            case .integer(let value): return .int(value)
            case .number(let value): return .double(value)
            case .text(let range): return .string(reader.string(range))
            case .other: return decodedValue(row, key: key)
            }
        }
    }

    private func decodedValue(_ row: Int, key: Int) -> JSON? {
        let span = index.values[Int(order[row]) * keys.count + key]
        guard span.start >= 0 else { return nil }
        return text.withUnsafeBufferPointer { bytes in
            var parser = JSONParser(bytes: bytes, at: Int(span.start))
            return try? parser.parseValue(depth: 0)
        }
    }

    /// A value read in place. Numbers and unescaped strings, nearly every value of a listing, are
    /// read without building a `JSON`; anything else is `.other`, for `value(_:key:)` to decode.
    public enum Scalar: Equatable, Sendable {
        case absent
        case null
        case integer(Int64)
        case number(Double)
        /// Where an unescaped string's UTF-8 lies; `appendText` copies it.
        case text(Range<Int>)
        case other
    }

    /// The value of indexed key number `key` in row `row`, read in place (see `Scalar`).
    public func scalar(_ row: Int, key: Int) -> Scalar {
        withValueReader { $0.scalar(row, key: key) }
    }

    /// `body` with a reader of this view's values: for callers that read many of them (a table
    /// of 10,000 rows has 90,000 cells), each read is then a few loads instead of a call with
    /// array lookups and checks. The reader is valid only while `body` runs.
    @inlinable
    public func withValueReader<Result>(_ body: (ValueReader) throws -> Result) rethrows -> Result {
        try text.withUnsafeBufferPointer { text in
            try index.values.withUnsafeBufferPointer { spans in
                try order.withUnsafeBufferPointer { order in
                    try body(ValueReader(text: text, spans: spans, order: order, width: keys.count))
                }
            }
        }
    }

    /// Reads values in place through pointers (see `withValueReader`); `JSONRows.scalar` and
    /// `appendText` read through one too.
    public struct ValueReader {
        @usableFromInline let text: UnsafeBufferPointer<UInt8>
        @usableFromInline let spans: UnsafeBufferPointer<ValueSpan>
        @usableFromInline let order: UnsafeBufferPointer<Int32>
        @usableFromInline let width: Int

        @usableFromInline
        init(text: UnsafeBufferPointer<UInt8>, spans: UnsafeBufferPointer<ValueSpan>, order: UnsafeBufferPointer<Int32>, width: Int) {
            (self.text, self.spans, self.order, self.width) = (text, spans, order, width)
        }

        /// `JSONRows.scalar(row, key:)`.
        @inlinable
        public func scalar(_ row: Int, key: Int) -> Scalar {
            precondition(UInt(bitPattern: row) < UInt(order.count) && UInt(bitPattern: key) < UInt(bitPattern: width),
                         "row \(row) or key \(key) out of range")
            let span = spans[Int(order[row]) &* width &+ key]
            guard span.start >= 0 else { return .absent }
            let start = Int(span.start), end = Int(span.end)
            switch text[start] {
            case UInt8(ascii: "\""): return span.escaped ? .other : .text(start + 1..<end - 1)
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                return JSONRows.number(UnsafeBufferPointer(rebasing: text[start..<end]))
            case UInt8(ascii: "n"): return .null
            default: return .other
            }
        }

        /// Appends the bytes of a `.text` scalar.
        @inlinable
        public func appendText<Sink: ByteSink & ~Copyable>(_ range: Range<Int>, to out: inout Sink) {
            out.append(contentsOf: UnsafeBufferPointer(rebasing: text[range]), sixteenReadable: range.lowerBound + 16 <= text.count)
        }

        /// The string of a `.text` scalar (invalid UTF-8 repaired as `JSON.parse` repairs it).
        public func string(_ range: Range<Int>) -> String {
            String(decoding: UnsafeBufferPointer(rebasing: text[range]), as: UTF8.self)
        }
    }

    private static let powersOfTen: [Double] = (0...22).map { exponent in
        (0..<exponent).reduce(1.0) { value, _ in value * 10 }
    }

    /// The value of a number token the index has checked. Integers of up to 18 digits are read
    /// directly; a decimal of up to 19 significant digits and 21 places (PVE's `cpu` fractions
    /// have 17) is `mantissa / 10^places` rounded once, to nearest even, as `strtod` rounds;
    /// anything else (exponents, longer numbers) goes through `strtod`.
    @usableFromInline
    static func number(_ token: UnsafeBufferPointer<UInt8>) -> Scalar {
        let count = token.count
        let negative = token[0] == UInt8(ascii: "-")
        var i = negative ? 1 : 0
        // `significant` counts from the first non-zero digit: 19 of them always fit in a UInt64.
        var mantissa: UInt64 = 0, significant = 0
        while i < count {
            let digit = token[i] &- 0x30
            guard digit < 10 else { break }
            mantissa = mantissa &* 10 &+ UInt64(digit)
            if mantissa != 0 { significant += 1 }
            i += 1
        }
        if i == count {
            guard significant <= 18 else { return slowNumber(token) }
            return .integer(negative ? -Int64(mantissa) : Int64(mantissa))
        }
        guard token[i] == UInt8(ascii: ".") else { return slowNumber(token) }  // an exponent
        i += 1
        let places = count - i
        while i < count {
            let digit = token[i] &- 0x30
            guard digit < 10 else { return slowNumber(token) }  // an exponent
            mantissa = mantissa &* 10 &+ UInt64(digit)
            if mantissa != 0 { significant += 1 }
            i += 1
        }
        guard significant <= 19, places <= 21 else { return slowNumber(token) }
        // Up to 2^53 the mantissa is an exact double, and so is 10^places: one division rounds once.
        let magnitude = mantissa <= 1 << 53 ? Double(mantissa) / powersOfTen[places] : quotient(mantissa, places)
        return .number(negative ? -magnitude : magnitude)
    }

    /// `mantissa / 10^places` correctly rounded (ties to even), for a mantissa above 2^53 and at
    /// most 21 places: the quotient is taken in 128-bit integers with 54 or more bits, and the
    /// remainder decides the last bit.
    private static func quotient(_ mantissa: UInt64, _ places: Int) -> Double {
        var power: UInt128 = 1
        for _ in 0..<places { power *= 10 }
        let mantissaBits = 64 - mantissa.leadingZeroBitCount, powerBits = 128 - power.leadingZeroBitCount
        // 10^21 has 70 bits: the shifted mantissa keeps within 55 + 70 bits.
        let shift = max(0, 55 - (mantissaBits - powerBits))
        let (quotient, remainder) = (UInt128(mantissa) << shift).quotientAndRemainder(dividingBy: power)
        let extra = (128 - quotient.leadingZeroBitCount) - 53  // at least 1
        var significand = UInt64(truncatingIfNeeded: quotient >> extra)
        let dropped = quotient & ((1 << extra) - 1), half: UInt128 = 1 << (extra - 1)
        if dropped > half || (dropped == half && (remainder != 0 || significand & 1 == 1)) { significand += 1 }
        return Double(sign: .plus, exponent: extra - shift, significand: Double(significand))
    }

    private static func slowNumber(_ token: UnsafeBufferPointer<UInt8>) -> Scalar {
        if !token.contains(where: { $0 == UInt8(ascii: ".") || $0 | 0x20 == UInt8(ascii: "e") }),
           let integer = Int64(String(decoding: token, as: UTF8.self)) {
            return .integer(integer)
        }
        return double(token).map { .number($0) } ?? .other
    }

    /// An integer value (`100` or PVE's string form `"100"`), read in place when it is a number.
    public func integer(_ row: Int, key: Int) -> Int64? {
        if case .integer(let value) = scalar(row, key: key) { return value }
        return value(row, key: key)?.int
    }

    /// Appends the bytes of a `.text` scalar.
    @inlinable
    public func appendText<Sink: ByteSink & ~Copyable>(_ range: Range<Int>, to out: inout Sink) {
        withValueReader { $0.appendText(range, to: &out) }
    }

    /// A number's value from its checked text, through `strtod` on a terminated copy.
    private static func double(_ number: UnsafeBufferPointer<UInt8>) -> Double? {
        guard number.count < 64 else { return Double(String(decoding: number, as: UTF8.self)) }
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: 64) { buffer in
            for (i, byte) in number.enumerated() { buffer[i] = CChar(bitPattern: byte) }
            buffer[number.count] = 0
            return strtod(buffer.baseAddress!, nil)
        }
    }

    /// The value of `key` in row `row`; keys that were not indexed are found by decoding the row.
    public func value(_ row: Int, _ key: String) -> JSON? {
        if let index = keyIndex(key) { return value(row, key: index) }
        return self.row(row)[key]
    }

    /// The whole row, decoded.
    public func row(_ row: Int) -> JSON {
        withRowText(row) { (try? JSON.parse(bytes: $0)) ?? .null }
    }

    /// All rows in view, decoded (YAML output, tests).
    public var values: [JSON] { (0..<count).map(row) }

    /// The row's own text, as the server sent it (already valid JSON).
    public func withRowText<T>(_ row: Int, _ body: (UnsafeBufferPointer<UInt8>) -> T) -> T {
        let number = Int(order[row])
        return text.withUnsafeBufferPointer { bytes in
            body(UnsafeBufferPointer(rebasing: bytes[Int(index.rowStarts[number])..<Int(index.rowEnds[number])]))
        }
    }

    // MARK: Reordering

    /// The rows for which `isIncluded(row)` holds, in the same order.
    public func filter(_ isIncluded: (Int) throws -> Bool) rethrows -> JSONRows {
        var copy = self
        copy.order = []
        copy.order.reserveCapacity(order.count)
        for position in order.indices where try isIncluded(position) { copy.order.append(order[position]) }
        return copy
    }

    /// The rows ordered by the integer value of the first indexed key (anything else counts as
    /// 0; ties keep their order): listings index their sort key first. Plain-digit values were
    /// read while indexing (`Index.leadingIntegers`), so the text is not read again.
    public func sortedByFirstKey() -> JSONRows {
        reordered(byKeys: order.indices.map { position in
            let value = index.leadingIntegers[Int(order[position])]
            return value >= 0 ? value : integer(position, key: 0) ?? 0
        })
    }

    /// The same rows in the order they lie in the text, and for each row here its place there
    /// (nil when that is the same order). Reading rows in text order reads the text front to
    /// back: in a sorted hash-ordered listing every row is elsewhere, and most of formatting
    /// went into waiting for memory.
    public func inTextOrder() -> (rows: JSONRows, places: [Int32]?) {
        if zip(order, order.dropFirst()).allSatisfy({ $0 < $1 }) { return (self, nil) }
        // Every row in view (filtering and sorting never repeat one): the text order is the
        // index's own, and each row's place in it is its row number, so `order` says it all.
        // The common case (a whole listing, sorted), and one step less before formatting.
        if order.count == index.rowStarts.count {
            var inText = self
            inText.order = Array(0..<Int32(order.count))
            return (inText, order)
        }
        var placeOfRow = [Int32](repeating: -1, count: index.rowStarts.count)
        for row in order { placeOfRow[Int(row)] = 0 }
        var inText = self
        inText.order = []
        inText.order.reserveCapacity(order.count)
        for row in placeOfRow.indices where placeOfRow[row] >= 0 {
            placeOfRow[row] = Int32(inText.order.count)
            inText.order.append(Int32(row))
        }
        return (inText, order.map { placeOfRow[Int($0)] })
    }

    /// The rows ordered by an integer computed once per row (ties keep their order).
    public func sorted(byInteger key: (Int) -> Int64) -> JSONRows {
        reordered(byKeys: order.indices.map(key))
    }

    /// The rows ordered by `keys`, the key of each row in view (ties keep their order). The key
    /// is a concrete type: a generic one would be compared through witness tables from other
    /// modules, several times slower on 10,000 rows.
    private func reordered(byKeys keys: [Int64]) -> JSONRows {
        // Answers often come in order already: then there is nothing to sort.
        if zip(keys, keys.dropFirst()).allSatisfy({ $0 <= $1 }) { return self }
        var copy = self
        if keys.allSatisfy({ UInt64(bitPattern: $0) < 1 << 33 }), zip(order, order.dropFirst()).allSatisfy({ $0 < $1 }) {
            // The usual case (PVE sends guests in hash order; vmids are below 2^33, and the rows
            // come in their own order): a stable radix sort by the key alone gives the same order.
            copy.order = JSONRows.radixSorted(keys, order)
        } else {
            copy.order = zip(keys, order).sorted { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }.map(\.1)
        }
        return copy
    }

    /// `rows` by `keys` (each below 2^33), ties in the order given: three passes of a
    /// least-significant-digit radix sort over 11-bit digits (~5 times faster than `sorted()` on
    /// 10,000 rows, in phase marks 0.9 ms -> 0.2 ms). Key and row go as one word (33 + 31 bits):
    /// half the memory of pairs, which a listing touches for the first time here.
    private static func radixSorted(_ keys: [Int64], _ rows: [Int32]) -> [Int32] {
        let rowBits: UInt64 = 31
        var items = zip(keys, rows).map { UInt64($0) << rowBits | UInt64(UInt32($1)) }
        var spare = [UInt64](repeating: 0, count: items.count)
        var counts = [Int](repeating: 0, count: 2048)
        // Through pointers: the checks of three arrays at every step were most of the sort.
        items.withUnsafeMutableBufferPointer { items in
            spare.withUnsafeMutableBufferPointer { spare in
                counts.withUnsafeMutableBufferPointer { counts in
                    var (from, to) = (items, spare)
                    for shift in stride(from: rowBits, to: 64, by: 11) {
                        counts.update(repeating: 0)
                        for item in from { counts[Int(truncatingIfNeeded: item >> shift) & 2047] += 1 }
                        if counts.contains(from.count) { continue }  // every key has this digit
                        var total = 0
                        for i in counts.indices { (counts[i], total) = (total, total + counts[i]) }
                        for item in from {
                            let digit = Int(truncatingIfNeeded: item >> shift) & 2047
                            to[counts[digit]] = item
                            counts[digit] += 1
                        }
                        swap(&from, &to)
                    }
                    if from.baseAddress != items.baseAddress { _ = items.update(fromContentsOf: from) }
                }
            }
        }
        return items.map { Int32(truncatingIfNeeded: $0 & (1 << rowBits - 1)) }
    }

    // MARK: Indexing

    /// Indexes an answer while it arrives. `finish` checks what is left as strictly as
    /// `JSONRows(parsing:)` checks a whole text, which is one `finish` on the complete text; a long
    /// rest is indexed on two threads.
    ///
    /// A big answer of known length (`reserveCapacity` from `concurrentFrom` bytes) is indexed by
    /// another thread while the transfer writes it: on a fast network the receiving thread is the
    /// transfer's bottleneck (reading, decrypting, copying), so indexing there would only slow it,
    /// and leaving everything to `finish` would add the whole index to the wait after the last
    /// byte. When the last byte comes, the receiving thread takes on part of what that thread
    /// has still to index. A smaller answer is indexed chunk by chunk as it comes.
    public struct Builder: Sendable {
        /// The answer so far (while indexing alongside, the scan holds it).
        fileprivate var ownText: [UInt8] = []
        private var arrival: ArrivalScan
        /// The thread indexing a big answer alongside the transfer, while there is one; it owns
        /// the text and the scan until `finish` (or an answer longer than announced) stops it.
        private var alongside: AlongsideHandle?
        /// Rest of the text from which `finish` indexes on two threads.
        private let splittingFrom: Int
        /// Announced length from which an answer is indexed alongside the transfer.
        private let concurrentFrom: Int

        /// `splittingFrom`: how much text `finish` must have left to index to use two threads;
        /// `concurrentFrom`: the announced length from which rows are indexed alongside.
        public init(member: String?, keys: [String], splittingFrom: Int = 256 << 10, concurrentFrom: Int = 1 << 20) {
            var unique: [String] = []
            for key in keys where !unique.contains(key) { unique.append(key) }
            arrival = ArrivalScan(member: member, keys: unique)
            self.splittingFrom = splittingFrom
            self.concurrentFrom = concurrentFrom
        }

        /// Room for an answer of `length` bytes (the announced length) and its index: growing a
        /// multi-megabyte text and index by doubling would copy them several times over. From
        /// `concurrentFrom` bytes on, another thread indexes the rows as they arrive. `exact`: the
        /// answer will be `length` bytes (the announced length of an answer sent as is), so
        /// that thread first faults in the buffer's pages: the receiving thread would otherwise
        /// take a page fault every 4 KiB, ~800 for 10,000 guests.
        public mutating func reserveCapacity(_ length: Int, exact: Bool = false) {
            // What the listing allocates from here on (text, index, handed-over part, table) came
            // to 10-25 MiB for 10,000 guests (a 3 MB answer). The heap's untouched top costs
            // address space only; a block of 32 MiB or more would be a mapping of its own.
            if length >= concurrentFrom { PageAdvice.reserveHeap(30 << 20) }
            guard alongside == nil, length >= concurrentFrom, SpareThread.isUseful else {
                arrival.index.reserve(rows: Index.expectedRows(in: length, after: 0, took: 0), width: arrival.keys.count)
                ownText.reserveCapacity(length)
                return
            }
            // Both move to the scan: a copy left here would share their buffers, and the scan's
            // first append would copy them. The text goes first, as long as announced (nothing
            // past it is written), and the index after it once the scan has seen rows enough to
            // size it: blocks written in one stretch take the fewest huge pages.
            var text: [UInt8] = []
            swap(&text, &ownText)
            text.reserveCapacity(text.count + length)
            text.withUnsafeBufferPointer { bytes in
                if let base = bytes.baseAddress { PageAdvice.preferHugePages(base, text.capacity) }
            }
            var moved = ArrivalScan(member: arrival.member, keys: arrival.keys)
            swap(&moved, &arrival)
            let scan = AlongsideScan(text: text, arrival: moved, splittingFrom: splittingFrom)
            scan.start(populating: exact ? text.count + length : 0)
            alongside = AlongsideHandle(scan: scan)
        }

        /// How many rows are indexed so far.
        public var rowsIndexed: Int { alongside?.scan.rowsIndexed ?? arrival.index.rowStarts.count }

        /// What the thread indexing alongside holds while it runs (tests watch it go).
        var alongsideScan: AnyObject? { alongside?.scan }

        /// Rows this thread indexed when the transfer ended, to help the scan alongside finish.
        private(set) var handedOverRows = 0

        /// Starts over (the server sent a new status line, e.g. after `100 Continue`).
        public mutating func reset() {
            alongside?.scan.stop(handingOver: false)
            self = Builder(member: arrival.member, keys: arrival.keys, splittingFrom: splittingFrom, concurrentFrom: concurrentFrom)
        }

        /// Adds the next chunk of the answer and indexes the rows that arrived so far (or has
        /// them indexed alongside).
        public mutating func append(_ chunk: UnsafeBufferPointer<UInt8>) {
            if let scan = alongside?.scan {
                if scan.append(chunk) { return }
                // Longer than announced: the text must grow, and move, so the other thread stops.
                takeBack(complete: false)
            }
            ownText.append(contentsOf: chunk)
            ownText.withUnsafeBufferPointer { arrival.advance(over: $0) }
        }

        /// The whole answer, once the transfer is over. Indexing alongside stops first, so that
        /// no copy of the text exists while the scan's array is still appended to.
        public mutating func completeText() -> [UInt8] {
            takeBack(complete: true)
            return ownText
        }

        /// Stops indexing alongside; the text and the scan come back to this thread. `complete`:
        /// the text is all there, so this thread may take on part of what is left to index.
        private mutating func takeBack(complete: Bool) {
            guard let scan = alongside?.scan else { return }
            scan.stop(handingOver: complete)
            handedOverRows = scan.handedOverRows
            alongside = nil
            ownText = scan.text
            arrival = scan.arrival
        }

        /// The rows of the complete text, which is checked to the end as `JSON.parse` checks it.
        public consuming func finish() throws -> JSONRows {
            takeBack(complete: true)
            let text = ownText
            let keys = arrival.keys
            // Taken out of `self`, not copied: a shared index would be copied whole (a megabyte
            // for 10,000 guests) by the first row `finish` adds.
            var index = Index()
            swap(&index, &arrival.index)
            var matcher = arrival.matcher
            let member = arrival.member
            let depth = member == nil ? 0 : 1
            let splittingFrom = self.splittingFrom
            let progress = arrival.progress
            try text.withUnsafeBufferPointer { bytes in
                guard bytes.count < Int(Int32.max) else { throw JSONParseError(offset: 0, reason: "text larger than 2 GiB") }
                var parser: JSONParser
                switch progress {
                case .opening, .deferred(next: nil):
                    parser = JSONParser(bytes: bytes)
                    parser.skipWhitespace()
                    guard let member else {
                        try JSONRows.indexArray(&parser, depth: 0, matcher: &matcher, into: &index, splittingFrom: splittingFrom)
                        break
                    }
                    let name = PackedKey(Array(member.utf8))
                    var found = false
                    try JSONRows.walkMembers(&parser, depth: 0) { key, parser in
                        // A repeated member keeps its first value, as `JSON`'s subscript does.
                        if !found, name.matches(key, in: bytes) {
                            found = true
                            try JSONRows.indexArray(&parser, depth: 1, matcher: &matcher, into: &index, splittingFrom: splittingFrom)
                        } else {
                            try parser.skipValue(depth: 1)
                        }
                    }
                case .rows(let next, _):
                    parser = JSONParser(bytes: bytes, at: next)
                    try JSONRows.indexRows(&parser, depth: depth, matcher: &matcher, into: &index, splittingFrom: splittingFrom)
                    if member != nil { try JSONRows.skipMembersAfterRows(&parser) }
                case .deferred(let next?):
                    parser = JSONParser(bytes: bytes, at: next)
                    try JSONRows.indexRows(&parser, depth: depth, matcher: &matcher, into: &index)
                    if member != nil { try JSONRows.skipMembersAfterRows(&parser) }
                case .closed(let closing):
                    parser = JSONParser(bytes: bytes, at: closing + 1)
                    if member != nil { try JSONRows.skipMembersAfterRows(&parser) }
                }
                parser.skipWhitespace()
                guard parser.index == bytes.count else { throw parser.error("unexpected trailing characters") }
            }
            return JSONRows(keys: keys, text: text, index: index)
        }
    }

    /// Which rows of an arriving answer are indexed, advanced each time more of it is in.
    private struct ArrivalScan: Sendable {
        let member: String?
        let keys: [String]
        var matcher: KeyMatcher
        var index = Index()
        var progress = Progress.opening

        enum Progress {
            /// The array has not opened yet in the text so far.
            case opening
            /// The rows before `next` are indexed and another row starts there (after `[` or `,`);
            /// the next attempt waits for the text to reach `retryAt` (a row cut off by the end of a
            /// chunk is scanned again, so a long one is retried only after twice as much text).
            case rows(next: Int, retryAt: Int)
            /// All rows are indexed; the array's `]` is at `closing`.
            case closed(at: Int)
            /// Not shaped as `{"member":[row,...` or malformed after the rows before `next`: `finish`
            /// checks the rest (everything when `next` is nil).
            case deferred(next: Int?)
        }

        init(member: String?, keys: [String]) {
            self.member = member
            self.keys = keys
            matcher = KeyMatcher(keys: keys)
        }

        /// Where indexing goes on: 0 before the rows begin, the next row's start while they are
        /// being indexed, `Int.max` once they are all done (or left to `finish`).
        var resumePosition: Int {
            switch progress {
            case .opening: return 0
            case .rows(let next, _): return next
            case .closed, .deferred: return .max
            }
        }

        /// A scan of the same rows from `start` (the first byte of a row), sized for `rows` rows.
        func continuation(from start: Int, rows: Int) -> ArrivalScan {
            var rest = ArrivalScan(member: member, keys: keys)
            rest.progress = .rows(next: start, retryAt: 0)
            rest.index.reserve(rows: rows, width: keys.count)
            return rest
        }

        /// Reserves the index for a text of `length` bytes, at the length of the rows indexed so
        /// far; false until there are eight.
        mutating func sizeIndex(forText length: Int) -> Bool {
            let rows = index.rowStarts.count
            guard rows >= 8, let first = index.rowStarts.first, let last = index.rowEnds.last else { return false }
            index.reserve(rows: Index.expectedRows(in: length - Int(first), after: rows, took: Int(last - first)), width: keys.count)
            return true
        }

        /// Takes on the rows `rest` indexed: its scan began where this one stops.
        mutating func join(_ rest: ArrivalScan) {
            index.rowStarts += rest.index.rowStarts
            index.rowEnds += rest.index.rowEnds
            index.leadingIntegers += rest.index.leadingIntegers
            index.values += rest.index.values
            matcher = rest.matcher
            progress = rest.progress
        }

        /// Indexes the complete rows in `bytes` (the text so far) that are not indexed yet.
        mutating func advance(over bytes: UnsafeBufferPointer<UInt8>) {
            if case .opening = progress { progress = openingProgress(bytes) }
            guard case .rows(let next, let retryAt) = progress, bytes.count >= retryAt else { return }
            progress = indexArrivedRows(bytes, from: next)
        }

        /// Where the array opens, once the text so far shows it.
        private func openingProgress(_ bytes: UnsafeBufferPointer<UInt8>) -> Progress {
            var p = JSONParser(bytes: bytes)
            do {
                p.skipWhitespace()
                if let member {
                    guard p.index < bytes.count else { return .opening }
                    guard bytes[p.index] == UInt8(ascii: "{") else { return .deferred(next: nil) }
                    p.index += 1
                    p.skipWhitespace()
                    let key = try p.skipKey()
                    guard PackedKey(Array(member.utf8)).matches(key, in: bytes) else { return .deferred(next: nil) }
                }
                guard p.index < bytes.count else { return .opening }
                guard bytes[p.index] == UInt8(ascii: "[") else { return .deferred(next: nil) }
                p.index += 1
                p.skipWhitespace()
                guard p.index < bytes.count else { return .opening }
                // An empty array is left to `finish`, which reads small texts whole.
                return bytes[p.index] == UInt8(ascii: "]") ? .deferred(next: nil) : .rows(next: p.index, retryAt: 0)
            } catch {
                return ArrivalScan.isCutOff(error, in: bytes) ? .opening : .deferred(next: nil)
            }
        }

        /// Indexes the complete rows from `next` on; a row the text so far cuts off is forgotten
        /// and read again when more text has come.
        private mutating func indexArrivedRows(_ bytes: UnsafeBufferPointer<UInt8>, from next: Int) -> Progress {
            let depth = member == nil ? 0 : 1
            var p = JSONParser(bytes: bytes, at: next)
            while true {
                let rowStart = p.index, rowsBefore = index.rowStarts.count
                do {
                    try JSONRows.indexRow(&p, depth: depth, matcher: &matcher, into: &index)
                    p.skipWhitespace()
                    if p.index < bytes.count, bytes[p.index] == UInt8(ascii: ",") {
                        p.index += 1
                        continue
                    }
                    if p.index < bytes.count, bytes[p.index] == UInt8(ascii: "]") { return .closed(at: p.index) }
                    index.truncate(toRows: rowsBefore, width: keys.count)
                    if p.index < bytes.count { return .deferred(next: rowStart) }
                } catch {
                    index.truncate(toRows: rowsBefore, width: keys.count)
                    guard ArrivalScan.isCutOff(error, in: bytes) else { return .deferred(next: rowStart) }
                }
                return .rows(next: rowStart, retryAt: bytes.count + (bytes.count - rowStart))
            }
        }

        /// Whether a scan failed only because the text so far ends (within a literal or escape).
        private static func isCutOff(_ error: any Error, in bytes: UnsafeBufferPointer<UInt8>) -> Bool {
            guard let error = error as? JSONParseError else { return false }
            return error.offset >= bytes.count - 8
        }
    }

    /// An `ArrivalScan` run by its own thread while the receiving thread appends to the text.
    ///
    /// The text's capacity is reserved up front and appends stop short of it, so its bytes never
    /// move; only this object holds the array, so appending never copies it. The scanning thread
    /// reads the bytes through the pointer taken at the start, up to the length published (with
    /// release/acquire ordering) after each append. The receiving thread reads `text` and
    /// `arrival` only after `stop`, which waits for the scanning thread to end.
    private final class AlongsideScan: @unchecked Sendable {
        private(set) var text: [UInt8]
        private(set) var arrival: ArrivalScan
        /// An empty scan of the same rows, for the part handed over (`arrival` is the other thread's).
        private let blank: ArrivalScan
        private let base: UnsafePointer<UInt8>?
        /// The text's reserved length: where the answer ends, as announced.
        private let capacity: Int
        private let published = Atomic<Int>(0)
        private let stopping = Atomic<Bool>(false)
        private let indexedRows = Atomic<Int>(0)
        /// `arrival.resumePosition` after each step.
        private let resumeAt = Atomic<Int>(0)
        /// Where the scan stops once it gets there (the rest was handed over).
        private let limit = Atomic<Int>(.max)
        /// How much text must be left to index for `stop` to take part of it on.
        private let splittingFrom: Int
        /// Rows the receiving thread indexed in `stop` (tests check that it happens).
        private(set) var handedOverRows = 0
        /// Rung for every `wakeEvery` bytes appended, and by `stop`.
        private let wake = Doorbell()
        private var job: SpareThread.Job?
        private var rungAt = 0
        private var isStopped = false
        /// Each wake indexes what came since the last: waking per TLS record (16 KiB at most)
        /// would cost more in wake-ups than the scan.
        private static let wakeEvery = 64 << 10
        /// How long the scan spins for the next 64 KiB before it sleeps: over loopback they come
        /// every ~0.15 ms; on a slow network spinning longer would only burn the core.
        private static let spinForData = 500_000
        /// The scan reads new text this much at a time, so that `stop` can tell it where to end.
        private static let step = 32 << 10

        init(text: [UInt8], arrival: ArrivalScan, splittingFrom: Int) {
            self.text = text
            self.arrival = arrival
            self.splittingFrom = splittingFrom
            blank = ArrivalScan(member: arrival.member, keys: arrival.keys)
            base = text.withUnsafeBufferPointer { $0.baseAddress }
            capacity = text.capacity
            published.store(text.count, ordering: .releasing)
        }

        var rowsIndexed: Int { indexedRows.load(ordering: .acquiring) }

        /// Starts scanning on the spare thread, which first faults in the pages of the first
        /// `populating` bytes (see `PageAdvice.populate`: the receiving thread's writes go on).
        func start(populating: Int) {
            job = SpareThread.shared.run { [self] in
                if populating > 0, let base { PageAdvice.populate(base, populating) }
                scan()
            }
        }

        private func scan() {
            var offered = 0, rung = 0, sized = false
            while true {
                let isLast = stopping.load(ordering: .acquiring)
                let available = min(published.load(ordering: .acquiring), limit.load(ordering: .acquiring))
                if available > offered, let base {
                    offered = min(available, offered + AlongsideScan.step)
                    arrival.advance(over: UnsafeBufferPointer(start: base, count: offered))
                    if !sized { sized = arrival.sizeIndex(forText: capacity) }
                    indexedRows.store(arrival.index.rowStarts.count, ordering: .releasing)
                    resumeAt.store(arrival.resumePosition, ordering: .releasing)
                    continue
                }
                if isLast { return }
                rung = wake.wait(after: rung, spinning: AlongsideScan.spinForData)
            }
        }

        /// Appends `chunk` unless it would outgrow the reserved capacity (false: nothing added).
        func append(_ chunk: UnsafeBufferPointer<UInt8>) -> Bool {
            guard !isStopped, chunk.count <= text.capacity - text.count else { return false }
            text.append(contentsOf: chunk)
            published.store(text.count, ordering: .releasing)
            if text.count - rungAt >= AlongsideScan.wakeEvery {
                rungAt = text.count
                wake.ring()
            }
            return true
        }

        /// Has the scan index what was published and end; returns when it has (having run it
        /// here if the spare thread had not started it). `handingOver`: the text is complete, and
        /// when `splittingFrom` bytes or more are still to index, this thread indexes the last
        /// half of them meanwhile, from a guessed row boundary (see `indexRows(splittingFrom:)`):
        /// the scan stops there, and that part counts only if the scan reached it as a row's
        /// start, so the rows are one scan's either way. Why: over loopback the scan is still 25-40%
        /// behind when the last byte comes (the server, the transfer and the scan share two cores).
        /// Why half: once the transfer is over, both threads index about as fast (phase marks, 41
        /// runs of a 10,000-guest listing: with half each, the scan's part was done 1.67 ms after
        /// the last byte and this thread's 1.71 ms; with two thirds here, 0.96 and 1.98 ms).
        func stop(handingOver: Bool) {
            guard !isStopped else { return }
            isStopped = true
            var rest: (start: Int, scan: ArrivalScan)?
            let from = resumeAt.load(ordering: .acquiring), end = text.count
            if handingOver, from < end, end - from >= splittingFrom, let base,
               var boundary = JSONRows.rowBoundary(after: from + (end - from) / 2, in: UnsafeBufferPointer(start: base, count: end)) {
                // Just past the comma, where the scan says the next row begins.
                while base[boundary - 1] != UInt8(ascii: ",") { boundary -= 1 }
                limit.store(boundary, ordering: .releasing)
                let rows = Index.expectedRows(in: end - boundary, after: indexedRows.load(ordering: .acquiring), took: from)
                rest = (boundary, blank.continuation(from: boundary, rows: rows))
            }
            stopping.store(true, ordering: .releasing)
            wake.ring()
            if rest != nil, let base { rest?.scan.advance(over: UnsafeBufferPointer(start: base, count: end)) }
            job?.wait()
            if let rest, arrival.resumePosition == rest.start {
                handedOverRows = rest.scan.index.rowStarts.count
                arrival.join(rest.scan)
            }
        }

        /// Ends the scan without waiting (the builder went away unfinished).
        fileprivate func abandon() {
            stopping.store(true, ordering: .releasing)
            wake.ring()
        }

    }

    /// The builder's hold on an `AlongsideScan`: the scanning thread holds the scan itself, so a
    /// builder dropped before `finish` (a failed transfer) ends that thread from here.
    private final class AlongsideHandle: Sendable {
        let scan: AlongsideScan
        init(scan: AlongsideScan) { self.scan = scan }
        deinit { scan.abandon() }
    }

    /// Calls `body` for each member of the object at the parser's position, with the member's key
    /// token and the parser standing at its value; `body` must move past the value.
    private static func walkMembers(_ parser: inout JSONParser, depth: Int,
                                    _ body: (JSONParser.StringToken, inout JSONParser) throws -> Void) throws {
        guard parser.index < parser.bytes.count, parser.bytes[parser.index] == UInt8(ascii: "{") else {
            try parser.skipValue(depth: depth)
            return
        }
        parser.index += 1
        parser.skipWhitespace()
        if parser.index < parser.bytes.count, parser.bytes[parser.index] == UInt8(ascii: "}") { parser.index += 1; return }
        while true {
            parser.skipWhitespace()
            let key = try parser.skipKey()
            try body(key, &parser)
            guard try endOfMember(&parser) else { return }
        }
    }

    /// Checks and skips the members after the rows' array, to the top-level object's `}` (a
    /// repeated rows member among them is not read: the first one counts).
    private static func skipMembersAfterRows(_ parser: inout JSONParser) throws {
        while try endOfMember(&parser) {
            parser.skipWhitespace()
            _ = try parser.skipKey()
            try parser.skipValue(depth: 1)
        }
    }

    /// Past the `,` (true: another member follows) or the `}` (false) after a member's value.
    private static func endOfMember(_ parser: inout JSONParser) throws -> Bool {
        parser.skipWhitespace()
        guard parser.index < parser.bytes.count else { throw parser.error("unterminated object") }
        if parser.bytes[parser.index] == UInt8(ascii: ",") { parser.index += 1; return true }
        if parser.bytes[parser.index] == UInt8(ascii: "}") { parser.index += 1; return false }
        throw parser.error("expected ',' or '}'")
    }

    /// Indexes the array at the parser's position (anything else is skipped: no rows).
    private static func indexArray(_ parser: inout JSONParser, depth: Int, matcher: inout KeyMatcher, into index: inout Index,
                                   splittingFrom threshold: Int) throws {
        let bytes = parser.bytes
        guard parser.index < bytes.count, bytes[parser.index] == UInt8(ascii: "[") else {
            try parser.skipValue(depth: depth)
            return
        }
        parser.index += 1
        parser.skipWhitespace()
        if parser.index < bytes.count, bytes[parser.index] == UInt8(ascii: "]") { parser.index += 1; return }
        try indexRows(&parser, depth: depth, matcher: &matcher, into: &index, splittingFrom: threshold)
    }

    /// Indexes rows from the parser's position (the first row) until the array's `]`, consumed.
    /// With `boundary`, returns true as soon as a row starts there (without indexing it).
    @discardableResult
    private static func indexRows(_ parser: inout JSONParser, depth: Int, matcher: inout KeyMatcher, into index: inout Index,
                                  stoppingAt boundary: Int = -1) throws -> Bool {
        let bytes = parser.bytes
        var boundary = boundary
        while true {
            try indexRow(&parser, depth: depth, matcher: &matcher, into: &index)
            parser.skipWhitespace()
            guard parser.index < bytes.count else { throw parser.error("unterminated array") }
            if bytes[parser.index] == UInt8(ascii: ",") {
                parser.index += 1
                if boundary >= 0 {
                    parser.skipWhitespace()
                    if parser.index == boundary { return true }
                    if parser.index > boundary { boundary = -1 }  // it lay inside a row: no longer looked for
                }
                continue
            }
            if bytes[parser.index] == UInt8(ascii: "]") { parser.index += 1; return false }
            throw parser.error("expected ',' or ']'")
        }
    }

    /// `indexRows`, in two halves on two threads when at least `threshold` bytes are left. The
    /// second half starts at a guessed row boundary (`}`, `,`, `{`) past the middle and counts
    /// only if the first half's scan reaches that `{` as the start of a row; a guess that lies
    /// inside a value is dropped and the first half goes on alone. Either way the rows, and the
    /// first error, are those of one scan from the start.
    private static func indexRows(_ parser: inout JSONParser, depth: Int, matcher: inout KeyMatcher, into index: inout Index,
                                  splittingFrom threshold: Int) throws {
        let bytes = parser.bytes
        let rest = bytes.count - parser.index
        guard rest >= threshold, SpareThread.isUseful,
              let boundary = rowBoundary(after: parser.index + rest / 2, in: bytes) else {
            try indexRows(&parser, depth: depth, matcher: &matcher, into: &index)
            return
        }
        let second = SecondHalf(parser: JSONParser(bytes: bytes, at: boundary), matcher: matcher)
        let indexedBytes = index.rowEnds.last.map { Int($0) - Int(index.rowStarts[0]) } ?? 0
        second.rows.reserve(rows: Index.expectedRows(in: bytes.count - boundary, after: index.rowStarts.count, took: indexedBytes),
                            width: matcher.count)
        let job = SpareThread.shared.run { second.index(depth: depth) }
        defer { job.cancel() }  // the second half reads `bytes`: it ends before they can go
        guard try indexRows(&parser, depth: depth, matcher: &matcher, into: &index, stoppingAt: boundary) else { return }
        job.wait()
        if let error = second.error { throw error }
        index.rowStarts += second.rows.rowStarts
        index.rowEnds += second.rows.rowEnds
        index.leadingIntegers += second.rows.leadingIntegers
        index.values += second.rows.values
        matcher = second.matcher
        parser.index = second.parser.index
    }

    /// The `{` of the first `}`, `,`, `{` sequence (whitespace allowed between) from `start` on.
    private static func rowBoundary(after start: Int, in bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 }
        var comma = start
        while comma < bytes.count {
            if bytes[comma] == UInt8(ascii: ",") {
                var before = comma - 1, after = comma + 1
                while before > start, isSpace(bytes[before]) { before -= 1 }
                while after < bytes.count, isSpace(bytes[after]) { after += 1 }
                if before > start, bytes[before] == UInt8(ascii: "}"), after < bytes.count, bytes[after] == UInt8(ascii: "{") { return after }
            }
            comma += 1
        }
        return nil
    }

    /// The second half of a split `indexRows`, indexed on another thread.
    private final class SecondHalf: @unchecked Sendable {
        // Written by the indexing thread only, read after it is waited for.
        var parser: JSONParser
        var matcher: KeyMatcher
        var rows = Index()
        var error: (any Error)?

        init(parser: JSONParser, matcher: KeyMatcher) {
            self.parser = parser
            self.matcher = matcher
        }

        func index(depth: Int) {
            do {
                try JSONRows.indexRows(&parser, depth: depth, matcher: &matcher, into: &rows)
            } catch {
                self.error = error
            }
        }
    }

    /// Indexes the row at the parser's position (after whitespace) and moves past it; a row that
    /// fails adds nothing. One loop with the parser in a local: this runs once per byte of a 3 MB
    /// answer. The row's values collect in a small stack buffer and join the index in one append.
    @inline(__always)
    private static func indexRow(_ parser: inout JSONParser, depth: Int, matcher: inout KeyMatcher, into index: inout Index) throws {
        // One slot more than keys: values of keys nobody asked for go there (see `scanRow`).
        try withUnsafeTemporaryAllocation(of: ValueSpan.self, capacity: matcher.count + 1) { slots in
            slots.initialize(repeating: ValueSpan())
            let spans = UnsafeMutableBufferPointer(rebasing: slots[0..<matcher.count])
            let (start, end) = try scanRow(&parser, depth: depth, matcher: &matcher, into: slots)
            index.rowStarts.append(Int32(start))
            index.leadingIntegers.append(matcher.count > 0 ? plainInteger(slots[0], in: parser.bytes) : -1)
            index.values.append(contentsOf: spans)
            index.rowEnds.append(Int32(end))
        }
    }

    /// The value at `span` when it is written as plain digits (at most 18), else -1.
    @inline(__always)
    private static func plainInteger(_ span: ValueSpan, in bytes: UnsafeBufferPointer<UInt8>) -> Int64 {
        guard span.start >= 0, span.end - span.start <= 18, span.end > span.start else { return -1 }
        var value: Int64 = 0
        for i in Int(span.start)..<Int(span.end) {
            let digit = bytes[i] &- 0x30
            guard digit < 10 else { return -1 }
            value = value * 10 + Int64(digit)
        }
        return value
    }

    /// `indexRow`'s scan: fills `spans` (one per wanted key, and a spare last one) and returns
    /// where the row starts and ends.
    @inline(__always)
    private static func scanRow(_ parser: inout JSONParser, depth: Int, matcher: inout KeyMatcher,
                                into spans: UnsafeMutableBufferPointer<ValueSpan>) throws -> (Int, Int) {
        let bytes = parser.bytes
        let spare = spans.count - 1
        var p = parser
        defer { parser.index = p.index }
        p.skipWhitespace()
        let rowStart = p.index
        if p.index < bytes.count, bytes[p.index] == UInt8(ascii: "{") {
            p.index += 1
            p.skipWhitespace()
            if p.index < bytes.count, bytes[p.index] == UInt8(ascii: "}") {
                p.index += 1
            } else {
                while true {
                    p.skipWhitespace()
                    let k: Int
                    let known = matcher.known(at: p.index, in: bytes)
                    if known.length > 0 {
                        p.index &+= known.length
                        p.skipWhitespace()
                        k = known.key
                    } else {
                        k = matcher.learn(try p.skipKey(), in: bytes)
                    }
                    let start = p.index
                    // A repeated key keeps its first value, as `JSON`'s subscript does.
                    // Numbers and strings, nearly every value, are scanned without `skipValue`'s dispatch.
                    var escaped = false
                    let first = start < bytes.count ? bytes[start] : 0
                    if first == UInt8(ascii: "\"") {
                        escaped = try p.scanString().escaped
                    } else if first &- 0x30 < 10 || first == UInt8(ascii: "-") {
                        try p.skipNumber()
                    } else {
                        try p.skipValue(depth: depth + 2)
                    }
                    // Whether a key is wanted is a coin toss in hash-ordered rows: a branch on it was
                    // mispredicted about half the time. The value of an unwanted key goes to the
                    // spare last slot, which is emptied again at once.
                    let slot = k >= 0 ? k : spare
                    if spans[slot].start < 0 {
                        // Truncating: `finish` refuses a text of 2 GiB or more before any span is read.
                        spans[slot] = ValueSpan(start: Int32(truncatingIfNeeded: start), end: Int32(truncatingIfNeeded: p.index), escaped: escaped)
                    }
                    spans[spare].start = -1
                    p.skipWhitespace()
                    guard p.index < bytes.count else { throw p.error("unterminated object") }
                    if bytes[p.index] == UInt8(ascii: ",") { p.index += 1; continue }
                    if bytes[p.index] == UInt8(ascii: "}") { p.index += 1; break }
                    throw p.error("expected ',' or '}'")
                }
            }
        } else {
            try p.skipValue(depth: depth + 1)  // not an object: a row without values
        }
        return (rowStart, p.index)
    }
}

/// Finds which wanted key a row's key is. A listing's rows share one set of keys, but not one
/// order: PVE writes each row's members in its own Perl hash order. So every key met once is
/// remembered with its closing quote and colon (`name":`, up to sixteen bytes, no escapes), in a
/// small table placed by the key's first five bytes; the sixteen bytes after a key's opening
/// quote are compared with the entries there, two words at a time. A match is that key, already
/// checked as a string, with no scanning or lookup. Any other key is scanned, looked up and
/// then remembered.
private struct KeyMatcher: Sendable {
    private let wanted: [PackedKey]
    /// Open addressing over `slots` entries, probed from the slot of a key's first five bytes.
    private var table: [Entry]
    private var known = 0
    private static let slots = 128
    /// A full table would make every miss probe all slots; past this, new keys are not kept.
    private static let maximumKnown = 48

    struct Entry: Sendable {
        /// `key":` as two words, and which of their bytes count.
        var pattern: (UInt64, UInt64) = (0, 0)
        var mask: (UInt64, UInt64) = (0, 0)
        /// With the opening quote; 0 for an empty slot.
        var length = 0
        var key = -1
    }

    init(keys: [String]) {
        wanted = keys.map { PackedKey(Array($0.utf8)) }
        table = Array(repeating: Entry(), count: Self.slots)
    }

    var count: Int { wanted.count }

    /// The slot of the five bytes after a key's opening quote. Five, because PVE's keys come in
    /// families that share their first bytes (`maxcpu`, `maxmem`, `maxdisk`; `disk`, `diskread`,
    /// `diskwrite`; `netin`, `netout`): placed by two bytes, a third of a row's keys probed past
    /// other entries, in hash order, which the branch predictor cannot learn. A key shorter than
    /// three bytes takes in the start of its value and may be kept once per value start.
    @inline(__always)
    private static func slot(_ firstWord: UInt64) -> Int {
        Int(truncatingIfNeeded: ((firstWord & 0xFF_FFFF_FFFF) &* 0x9E37_79B9_7F4A_7C15) >> 57)
    }

    /// A known key at `position` (its opening quote) directly followed by `:`: how many bytes
    /// that is with its quotes and the colon, and which wanted key it is (-1: none). Length 0:
    /// not a known key in that form, which the caller scans instead.
    @inline(__always)
    func known(at position: Int, in text: UnsafeBufferPointer<UInt8>) -> (length: Int, key: Int) {
        guard position + 17 <= text.count, let base = text.baseAddress, base[position] == UInt8(ascii: "\"") else { return (0, -1) }
        let low = Word.load(base + position + 1), high = Word.load(base + position + 9)
        return table.withUnsafeBufferPointer { table in
            var slot = Self.slot(low)
            while true {
                let entry = table[slot]
                if entry.length == 0 { return (0, -1) }
                if (low ^ entry.pattern.0) & entry.mask.0 | (high ^ entry.pattern.1) & entry.mask.1 == 0 {
                    return (entry.length, entry.key)
                }
                slot = (slot + 1) & (Self.slots - 1)
            }
        }
    }

    /// Which wanted key the scanned `key` is (-1: none); remembers it when `key":` is plain and
    /// fits in sixteen bytes.
    @inline(never)
    mutating func learn(_ key: JSONParser.StringToken, in text: UnsafeBufferPointer<UInt8>) -> Int {
        let words = PackedKey.words(of: key, in: text)
        let index = wanted.firstIndex { $0.matches(words, key, in: text) } ?? -1
        let length = key.end - key.start + 2  // with the closing quote and the colon
        guard !key.escaped, length <= 16, key.start + 16 <= text.count, text[key.end + 1] == UInt8(ascii: ":"),
              known < Self.maximumKnown, let base = text.baseAddress else { return index }
        let entry = Entry(pattern: Word.pack(UnsafeBufferPointer(start: base + key.start, count: length)),
                          mask: Word.masks(keeping: length), length: length + 1, key: index)
        var slot = Self.slot(Word.load(base + key.start))
        while table[slot].length != 0 {
            if table[slot].pattern == entry.pattern, table[slot].mask == entry.mask { return index }
            slot = (slot + 1) & (Self.slots - 1)
        }
        table[slot] = entry
        known += 1
        return index
    }
}

/// A key's UTF-8 bytes, with keys of up to 15 bytes (PVE's) also held as two words so that
/// comparing them against a row's keys costs two integer comparisons.
private struct PackedKey: Sendable {
    let bytes: [UInt8]
    /// `unpacked` for a key too long to pack.
    let words: (UInt64, UInt64)

    /// The words of no key: a packed key's last byte is its length, at most 15.
    static let unpacked: (UInt64, UInt64) = (0, .max)

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
        words = bytes.withUnsafeBufferPointer { PackedKey.pack($0) }
    }

    /// The words of an unescaped key token (`unpacked` for long or escaped keys).
    @inline(__always)
    static func words(of key: JSONParser.StringToken, in text: UnsafeBufferPointer<UInt8>) -> (UInt64, UInt64) {
        let count = key.end - key.start
        guard !key.escaped, count <= 15 else { return unpacked }
        guard key.start + 16 <= text.count, let base = text.baseAddress else {
            return pack(UnsafeBufferPointer(rebasing: text[key.start..<key.end]))
        }
        // Two loads and masks instead of a byte loop (the text goes on past the key).
        let mask = Word.masks(keeping: count)
        return (Word.load(base + key.start) & mask.0, (Word.load(base + key.start + 8) & mask.1) ^ UInt64(count) << 56)
    }

    private static func pack(_ bytes: UnsafeBufferPointer<UInt8>) -> (UInt64, UInt64) {
        guard bytes.count <= 15 else { return unpacked }
        let words = Word.pack(bytes)
        // The length in the last byte (unused by a 15-byte key) tells "a" from "a\0".
        return (words.0, words.1 ^ UInt64(bytes.count) << 56)
    }

    /// Whether the key token spells this key; `tokenWords` are the token's own `words(of:in:)`.
    func matches(_ tokenWords: (UInt64, UInt64), _ key: JSONParser.StringToken, in text: UnsafeBufferPointer<UInt8>) -> Bool {
        if words != PackedKey.unpacked, tokenWords != PackedKey.unpacked { return words == tokenWords }
        return matches(key, in: text)
    }

    func matches(_ key: JSONParser.StringToken, in text: UnsafeBufferPointer<UInt8>) -> Bool {
        let content = UnsafeBufferPointer(rebasing: text[key.start..<key.end])
        if key.escaped { return Array(JSONParser.unescape(content).utf8) == bytes }
        return content.elementsEqual(bytes)
    }
}
