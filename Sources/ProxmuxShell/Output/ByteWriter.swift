#if canImport(Glibc)
import Glibc
#endif
import PVESchema

/// Bytes appended through a raw pointer, for text tables: a 10,000-guest listing is 90,000 short
/// cells, where `Array.append`'s uniqueness and capacity checks and a `memcpy` call per cell cost
/// more than the bytes themselves. Grows like an array; `finish` hands the bytes to a `ByteStore`.
///
/// Sixteen bytes past the last one written are always there, and zero unless written, so that a
/// short run is copied, or checked, as two words, with no loop whose length varies cell by cell.
/// The bytes come from `calloc`: zero without being written (a big buffer's pages are the
/// kernel's zero pages until used).
struct ByteWriter: ByteSink, ~Copyable {
    private var base: UnsafeMutablePointer<UInt8>
    private(set) var count = 0
    private var capacity: Int
    private static let slack = 16

    init(capacity: Int) {
        self.capacity = max(capacity, 64)
        base = ByteWriter.zeroed(self.capacity)
    }

    deinit { free(base) }

    private static func zeroed(_ count: Int) -> UnsafeMutablePointer<UInt8> {
        guard let bytes = calloc(count, 1) else { fatalError("out of memory for \(count) bytes") }
        return bytes.assumingMemoryBound(to: UInt8.self)
    }

    @inline(__always)
    mutating func append(_ byte: UInt8) {
        if count + 1 + Self.slack > capacity { grow(to: count + 1 + Self.slack) }
        base[count] = byte
        count += 1
    }

    @inline(__always)
    mutating func append(contentsOf bytes: UnsafeBufferPointer<UInt8>) {
        append(contentsOf: bytes, sixteenReadable: false)
    }

    @inline(__always)
    mutating func append(contentsOf bytes: UnsafeBufferPointer<UInt8>, sixteenReadable: Bool) {
        guard let source = bytes.baseAddress else { return }
        let n = bytes.count
        if count + n + Self.slack > capacity { grow(to: count + n + Self.slack) }
        if n <= 16, sixteenReadable {
            // Two words, whatever the length: the bytes past it are overwritten by what follows.
            let from = UnsafeRawPointer(source), to = UnsafeMutableRawPointer(base + count)
            to.storeBytes(of: from.loadUnaligned(as: UInt64.self), as: UInt64.self)
            to.storeBytes(of: from.loadUnaligned(fromByteOffset: 8, as: UInt64.self), toByteOffset: 8, as: UInt64.self)
        } else if n <= 16 {
            // Cells are short: a loop costs less than calling memcpy.
            for i in 0..<n { base[count + i] = source[i] }
        } else {
            (base + count).initialize(from: source, count: n)
        }
        count += n
    }

    /// The bytes from `start` on.
    func bytes(from start: Int) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: base + start, count: count - start)
    }

    /// Whether the bytes from `start` on are up to sixteen, all ASCII (tested as two words);
    /// false for longer runs, which the caller measures otherwise.
    @inline(__always)
    func isShortASCII(from start: Int) -> Bool {
        let n = count - start
        guard n <= 16 else { return false }
        let (low, high) = PVESchema.Word.masks(keeping: n)
        let from = UnsafeRawPointer(base + start)
        let bits = from.loadUnaligned(as: UInt64.self) & low | from.loadUnaligned(fromByteOffset: 8, as: UInt64.self) & high
        return bits & 0x8080_8080_8080_8080 == 0
    }

    /// The bytes written, handed to a store that keeps them for reading. Sixteen zero bytes
    /// follow them, so that a short run anywhere in the store can be read as two words.
    consuming func finish() -> ByteStore {
        (base + count).initialize(repeating: 0, count: Self.slack)
        let store = ByteStore(base: base, count: count)
        discard self
        return store
    }

    @inline(never)
    private mutating func grow(to needed: Int) {
        let newCapacity = max(needed, capacity * 2)
        let bigger = ByteWriter.zeroed(newCapacity)
        bigger.update(from: base, count: count)
        free(base)
        base = bigger
        capacity = newCapacity
    }
}

/// Bytes a `ByteWriter` wrote, read-only from then on (the pieces of a big table are laid out on
/// two threads). Freed with the store.
final class ByteStore: @unchecked Sendable {
    private let base: UnsafeMutablePointer<UInt8>
    let count: Int

    fileprivate init(base: UnsafeMutablePointer<UInt8>, count: Int) {
        self.base = base
        self.count = count
    }

    deinit { free(base) }

    /// The bytes; valid while the store is. Sixteen more (zeros) are readable past them.
    var bytes: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: base, count: count) }
}
