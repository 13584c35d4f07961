/* rt/mem.c's interface to start-up and to sysinfo (rt/proc.c). */
#ifndef ZN_RT_MEM_H
#define ZN_RT_MEM_H

#include <stdbool.h>
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
/* What a mapping of a file asks of the files above memory (shmap.c's,
 * handed in by start-up); without them mmap of a file is -ENODEV.
 *  - map: fill [dst, dst + len) with fd's bytes from off (zeroes past
 *    its end) and, for a MAP_SHARED mapping (`shared`), keep it the
 *    file's: len, or -errno;
 *  - unmap: [addr, addr + len) is about to be unmapped or replaced;
 *  - sync: msync of [addr, addr + len): 0 or -errno;
 *  - shared: is a shared mapping anywhere in [addr, addr + len)?
 *  - writeback: the writable shared mappings of the file whose object
 *    is obj (NULL: of every file) written back where they changed, for
 *    fsync and sync: 0 or the first error. */
struct zrt_mem_file_ops {
  long (*map)(int fd, void *dst, size_t len, off_t off, int prot,
              bool shared);
  void (*unmap)(uintptr_t addr, size_t len);
  long (*sync)(uintptr_t addr, size_t len);
  bool (*shared)(uintptr_t addr, size_t len);
  int (*writeback)(const void *obj);
};
void zrt_mem_set_file_ops(const struct zrt_mem_file_ops *ops);
/* The ops' writeback (0 without them): how fd.c's fsync and vfs.c's
 * sync reach the shared mappings, which reach the files through fd.c. */
int zrt_mem_file_writeback(const void *obj);

struct zrt_mem_stats {
  size_t total;         /* bytes of the region */
  size_t free;          /* bytes not handed out */
  size_t kalloc_bytes;  /* the runtime's own, of those handed out */
  uint64_t mapped_calls;
  uint64_t oom_failures;
};

void zrt_mem_stats(struct zrt_mem_stats *out);

#endif /* ZN_RT_MEM_H */
