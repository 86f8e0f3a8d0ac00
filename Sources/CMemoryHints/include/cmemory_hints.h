#ifndef CMEMORY_HINTS_H
#define CMEMORY_HINTS_H
/*
 * Hints about memory which Swift has no word for: to the processor (inline, one instruction in
 * the caller) and to the C library's allocator.
 */
#include <malloc.h>

/* Starts loading the cache line at `address` for reading; never faults, whatever the address. */
static inline void pmx_prefetch(const void *address) { __builtin_prefetch(address, 0, 3); }

/*
 * Has malloc serve every thread's blocks below 32 MiB from the one heap it grows with brk, and
 * give memory back to the kernel only when more than `keep` bytes lie free at the heap's top.
 * By default a block of 128 KiB or more is a mapping of its own, on fresh 4 KiB pages, and each
 * thread has a heap of its own. Returns 0 when glibc refused a setting.
 */
static inline int pmx_malloc_use_one_heap(int keep) {
    return mallopt(M_ARENA_MAX, 1) && mallopt(M_MMAP_THRESHOLD, 32 << 20) && mallopt(M_TRIM_THRESHOLD, keep);
}

/*
 * Prepares the top of the heap for about `length` bytes of blocks on transparent huge pages (after
 * pmx_malloc_use_one_heap): a block that large is taken, advised (MADV_HUGEPAGE) and given back,
 * so that the blocks allocated next are cut from advised memory. The stretch from that block's
 * start to the next 2 MiB boundary cannot be a huge page (the heap's earlier blocks share its
 * first 4 KiB pages), so a block filling it is taken and kept. Not when that stretch is under
 * 4 KiB: a later reservation's block starts there, just before the boundary where the first
 * one's filler ends.
 */
void pmx_reserve_heap(size_t length);

#endif
