#ifndef CCORE_PLACEMENT_H
#define CCORE_PLACEMENT_H
/*
 * Which CPUs a thread may run on, which Swift has no word for (cpu_set_t is built with macros).
 * Threads are named by kernel thread id (0: the calling thread), so that a placement can be
 * undone from any thread.
 */

/* A thread's CPUs, as a plain bit set (1,024 CPUs, like glibc's cpu_set_t). */
typedef struct { unsigned long long bits[16]; } pmx_cpu_mask;

/* The kernel thread id of the calling thread. */
int pmx_thread_id(void);
/* The CPU the calling thread runs on (-1 when unknown). */
int pmx_cpu_now(void);
/* The lowest CPU other than `cpu` the calling thread may run on (-1 when there is none). */
int pmx_cpu_other_than(int cpu);
/* Whether the calling thread may run on more than one CPU. */
int pmx_cpu_is_free(void);
/* Keeps thread `tid` on `cpu` alone; its CPUs before go to `saved` when not NULL. 0 on success. */
int pmx_cpu_pin(int tid, int cpu, pmx_cpu_mask *saved);
/* Gives thread `tid` back the CPUs in `saved`. 0 on success. */
int pmx_cpu_restore(int tid, const pmx_cpu_mask *saved);

#endif
