#define _GNU_SOURCE
#include "ccore_placement.h"
#include <sched.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>

_Static_assert(sizeof(pmx_cpu_mask) == sizeof(cpu_set_t), "pmx_cpu_mask is cpu_set_t's size");

int pmx_thread_id(void) { return (int)syscall(SYS_gettid); }

int pmx_cpu_now(void) { return sched_getcpu(); }

int pmx_cpu_other_than(int cpu) {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) != 0) return -1;
    for (int i = 0; i < CPU_SETSIZE; i++) {
        if (i != cpu && CPU_ISSET(i, &set)) return i;
    }
    return -1;
}

int pmx_cpu_is_free(void) {
    cpu_set_t set;
    return sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 1;
}

int pmx_cpu_pin(int tid, int cpu, pmx_cpu_mask *saved) {
    cpu_set_t set;
    if (saved != NULL) {
        if (sched_getaffinity(tid, sizeof set, &set) != 0) return -1;
        memcpy(saved, &set, sizeof set);
    }
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return sched_setaffinity(tid, sizeof set, &set);
}

int pmx_cpu_restore(int tid, const pmx_cpu_mask *saved) {
    cpu_set_t set;
    memcpy(&set, saved, sizeof set);
    return sched_setaffinity(tid, sizeof set, &set);
}
