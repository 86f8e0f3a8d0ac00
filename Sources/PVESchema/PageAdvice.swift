#if canImport(Glibc)
import Glibc
#endif
import CMemoryHints

/// What the kernel and the allocator are told about the memory of a big listing (its text, its
/// index, its table). A first write to a fresh 4 KiB page costs ~2 µs on the machines measured, so a 3 MB
/// answer takes ~800 such faults; a 2 MiB transparent huge page is faulted in at once, for about
/// the cost of zeroing it (a C probe: 4 MiB in 0.4-0.8 ms as huge pages, 2.0 ms as 4 KiB pages,
/// 1.6 ms with MADV_POPULATE_WRITE alone). Linux only; every call is advice, and a kernel
/// that does not know it (or has huge pages switched off) leaves the memory as it was.
public enum PageAdvice {
    private static let hugePage = 2 << 20
    private static let madviseHugePage: Int32 = 14  // MADV_HUGEPAGE
    private static let madvisePopulateWrite: Int32 = 23  // MADV_POPULATE_WRITE, Linux 5.14+

    /// Asks for huge pages for the 2 MiB-aligned stretches of `[base, base + length)`: only those
    /// can be one; the rest keeps 4 KiB pages. With `/sys/kernel/mm/transparent_hugepage/enabled`
    /// set to `madvise` (Debian's default) nothing else gets them.
    static func preferHugePages(_ base: UnsafeRawPointer, _ length: Int) {
        let start = alignUp(Int(bitPattern: base), hugePage), end = alignDown(Int(bitPattern: base) + length, hugePage)
        guard end > start else { return }
        _ = madvise(UnsafeMutableRawPointer(bitPattern: start), end - start, madviseHugePage)
    }

    /// Faults in the whole pages of `[base, base + length)` for writing, as one call; the kernel
    /// leaves pages already present alone, so another thread may be writing there meanwhile.
    static func populate(_ base: UnsafeRawPointer, _ length: Int) {
        let start = alignUp(Int(bitPattern: base), pageSize), end = alignDown(Int(bitPattern: base) + length, pageSize)
        guard end > start else { return }
        _ = madvise(UnsafeMutableRawPointer(bitPattern: start), end - start, madvisePopulateWrite)
    }

    /// Has every thread's blocks up to 32 MiB come from one heap that keeps freed memory (up to
    /// 64 MiB at its top), so that `reserveHeap` can set out where a big listing's blocks will
    /// go. Call it at start, before a second thread allocates: a thread keeps the heap it first
    /// allocated from. (Phase marks, 41 runs of a 10,000-guest listing: ~1,000 page faults fewer
    /// after the first byte, and the steps after the last byte 2 ms shorter, mostly the
    /// formatting and the index's last part; without it, the second thread's half of the
    /// table went on a heap of its own and each big block was a fresh mapping, unmapped again
    /// before exit.)
    public static func keepBlocksOnOneHeap() {
        _ = pmx_malloc_use_one_heap(64 << 20)
    }

    /// Prepares the top of the heap for about `length` bytes of blocks on huge pages, so that
    /// the blocks allocated next (with `keepBlocksOnOneHeap`) are cut from advised memory; see
    /// `pmx_reserve_heap`. Without the filler it keeps before the first 2 MiB boundary, the first
    /// blocks cut, the answer's index among them, took up to 512 page faults there, as the heap's
    /// random start put the boundary (~1,250 faults per 10,000-guest listing instead of ~950).
    static func reserveHeap(_ length: Int) { pmx_reserve_heap(length) }

    private static let pageSize = max(4096, Int(sysconf(Int32(_SC_PAGESIZE))))

    private static func alignUp(_ address: Int, _ alignment: Int) -> Int { (address + alignment - 1) / alignment * alignment }
    private static func alignDown(_ address: Int, _ alignment: Int) -> Int { address / alignment * alignment }
}
