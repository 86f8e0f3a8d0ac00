import PVESchema

/// Bytes appended through a raw pointer, for text tables: a 10,000-guest listing is 90,000 short
/// cells, where `Array.append`'s uniqueness and capacity checks and a `memcpy` call per cell cost
/// more than the bytes themselves. Grows like an array; `finish` hands the bytes to a `ByteStore`.
struct ByteWriter: ByteSink, ~Copyable {
    private var base: UnsafeMutablePointer<UInt8>
    private(set) var count = 0
    private var capacity: Int

    init(capacity: Int) {
        self.capacity = max(capacity, 64)
        base = .allocate(capacity: self.capacity)
    }

    deinit { base.deallocate() }

    @inline(__always)
    mutating func append(_ byte: UInt8) {
        if count == capacity { grow(to: count + 1) }
        base[count] = byte
        count += 1
    }

    @inline(__always)
    mutating func append(contentsOf bytes: UnsafeBufferPointer<UInt8>) {
        guard let source = bytes.baseAddress else { return }
        let n = bytes.count
        if count + n > capacity { grow(to: count + n) }
        // Cells are short: a loop costs less than calling memcpy.
        if n <= 16 {
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

    /// The bytes written, handed to a store that keeps them for reading. Sixteen zero bytes
    /// follow them, so that a short run anywhere in the store can be read as two words.
    consuming func finish() -> ByteStore {
        if capacity - count < 16 { grow(to: count + 16) }
        (base + count).initialize(repeating: 0, count: 16)
        let store = ByteStore(base: base, count: count)
        discard self
        return store
    }

    @inline(never)
    private mutating func grow(to needed: Int) {
        let newCapacity = max(needed, capacity * 2)
        let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        bigger.initialize(from: base, count: count)
        base.deallocate()
        base = bigger
        capacity = newCapacity
    }
}

/// Bytes a `ByteWriter` wrote, read-only from then on (the halves of a big table are laid out on
/// two threads). Freed with the store.
final class ByteStore: @unchecked Sendable {
    private let base: UnsafeMutablePointer<UInt8>
    let count: Int

    fileprivate init(base: UnsafeMutablePointer<UInt8>, count: Int) {
        self.base = base
        self.count = count
    }

    deinit { base.deallocate() }

    /// The bytes; valid while the store is. Sixteen more (zeros) are readable past them.
    var bytes: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: base, count: count) }
}
