/* rt/mem.c's interface to start-up and to sysinfo (rt/proc.c). */
#ifndef ZN_RT_MEM_H
#define ZN_RT_MEM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* A check of the runtime's own bookkeeping: a failure is a bug of the
 * runtime, never of the program, and stops the image with where. */
#define ZRT_CHECK(e)                                                          \
  ((e) ? (void)0 : zrt_panic("internal check failed: %s (%s:%d)", #e,        \
                             __FILE__, __LINE__))

/* The pages [lo, hi) are the program's and the runtime's (the initial
 * stack is above hi). */
void zrt_mem_init(uintptr_t lo, uintptr_t hi);
/* mmap of a file fills its pages with `copy` (zrt_file_mmap_copy, set by
 * start-up: files are above memory); without one it is -ENODEV. */
void zrt_mem_set_file_source(long (*copy)(int fd, void *dst, size_t len,
                                          off_t off));

struct zrt_mem_stats {
  size_t total;         /* bytes of the region */
  size_t free;          /* bytes not handed out */
  size_t kalloc_bytes;  /* the runtime's own, of those handed out */
  uint64_t mapped_calls;
  uint64_t oom_failures;
};

void zrt_mem_stats(struct zrt_mem_stats *out);

#endif /* ZN_RT_MEM_H */
