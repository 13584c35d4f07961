/*
 * malloc for a Solo5 unikernel: size classes of powers of two carved from
 * the heap solo5_app_main() was given (zn_rt_heap_init), each with its own
 * free list.  O(1), never splits or merges, so no fragmentation search and
 * no metadata beyond a 16-byte header per block; the cost is up to half of
 * each block unused, which is fine for what the examples allocate (a few
 * large tables once, then small objects of a handful of sizes again and
 * again).  Memory is never given back to the bump region.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rt.h"

#define HDR 16u          /* keeps blocks 16-byte aligned */
#define MIN_SHIFT 5u     /* smallest block: 32 bytes, header included */
#define NCLASS 48u

struct block {
  union {
    struct block *next;  /* while free */
    uint64_t cls;        /* while in use */
  } u;
  uint64_t magic;
};

#define MAGIC_USED 0x7a6e6d616c6c6f63ull /* "znmalloc" */
#define MAGIC_FREE 0x7a6e6672656562ffull

static uint8_t *heap_next, *heap_end;
static struct block *free_list[NCLASS];

void zn_rt_heap_init(void *start, size_t len) {
  uintptr_t a = ((uintptr_t)start + HDR - 1) & ~(uintptr_t)(HDR - 1);
  heap_next = (uint8_t *)a;
  heap_end = (uint8_t *)start + len;
  memset(free_list, 0, sizeof(free_list));
}

size_t zn_rt_heap_left(void) { return (size_t)(heap_end - heap_next); }

void *malloc(size_t n) {
  if (n > ((size_t)1 << (NCLASS - 1)) - HDR) {
    errno = ENOMEM;
    return NULL;
  }
  unsigned cls = MIN_SHIFT;
  while (((size_t)1 << cls) < n + HDR)
    cls++;
  struct block *b = free_list[cls];
  if (b != NULL) {
    free_list[cls] = b->u.next;
  } else {
    size_t size = (size_t)1 << cls;
    if ((size_t)(heap_end - heap_next) < size) {
      errno = ENOMEM;
      return NULL;
    }
    b = (struct block *)(void *)heap_next;
    heap_next += size;
  }
  b->u.cls = cls;
  b->magic = MAGIC_USED;
  return (uint8_t *)b + HDR;
}

void free(void *p) {
  if (p == NULL)
    return;
  struct block *b = (struct block *)(void *)((uint8_t *)p - HDR);
  /* A double free or a wild pointer is a bug in the program: stop. */
  if (b->magic != MAGIC_USED || b->u.cls >= NCLASS)
    zn_rt_panic("free: not a block in use");
  unsigned cls = (unsigned)b->u.cls;
  b->magic = MAGIC_FREE;
  b->u.next = free_list[cls];
  free_list[cls] = b;
}

void *calloc(size_t count, size_t size) {
  if (size != 0 && count > SIZE_MAX / size) {
    errno = ENOMEM;
    return NULL;
  }
  void *p = malloc(count * size);
  if (p)
    memset(p, 0, count * size);
  return p;
}

void *realloc(void *p, size_t n) {
  if (p == NULL)
    return malloc(n);
  struct block *b = (struct block *)(void *)((uint8_t *)p - HDR);
  if (b->magic != MAGIC_USED || b->u.cls >= NCLASS)
    zn_rt_panic("realloc: not a block in use");
  size_t have = ((size_t)1 << b->u.cls) - HDR;
  if (n <= have)
    return p;
  void *q = malloc(n);
  if (q == NULL)
    return NULL;
  memcpy(q, p, have);
  free(p);
  return q;
}
