#ifndef CMEMORY_HINTS_H
#define CMEMORY_HINTS_H
/*
 * Hints to the processor about memory, which Swift has no word for. Inline: each is one
 * instruction in the caller.
 */

/* Starts loading the cache line at `address` for reading; never faults, whatever the address. */
static inline void pmx_prefetch(const void *address) { __builtin_prefetch(address, 0, 3); }

#endif
