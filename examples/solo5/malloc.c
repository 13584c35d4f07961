/*
 * malloc for a Solo5 unikernel, carved from the heap solo5_app_main()
 * was given (zn_rt_heap_init).  Two kinds of block, each behind a 16-byte
 * header:
 *
 *  - small (up to LARGE_MIN bytes with the header): size classes of
 *    powers of two, each with its own free list.  O(1), never splits or
 *    merges; the cost is up to half of each block unused, which is fine
 *    for the small objects the examples allocate again and again;
 *  - large: the size rounded up to a page, from the bump region, and on a
 *    list of their own once freed, reused first-fit (without splitting).
 *    These are the few big tables allocated once (the stack's memory,
 *    zn_stack_mem_size(): about 1.45 MB, which a power-of-two class
 *    would round up to 2 MB, a third of a small unikernel's memory).
 *
 * Memory is never given back to the bump region.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rt.h"

#define HDR 16u          /* keeps blocks 16-byte aligned */
#define MIN_SHIFT 5u     /* smallest block: 32 bytes, header included */
#define NCLASS 48u
#define LARGE_SHIFT 16u  /* blocks of more than 64 KiB are large */
#define LARGE_MIN ((size_t)1 << LARGE_SHIFT)
#define PAGE 4096u
/* The largest request: its block size must not wrap. */
#define MAX_REQUEST (SIZE_MAX / 2)

/* The header.  While in use, `u.size` is the class (< NCLASS) of a small
 * block or the byte size (> LARGE_MIN, a multiple of PAGE) of a large
 * one; while free, `u.next` links the block's free list (a free large
 * block keeps its size in `size_free`, the first word after the
 * header). */
struct block {
  union {
    struct block *next;
    uint64_t size;
  } u;
  uint64_t magic;
};

struct large_free {
  struct block hdr;
  uint64_t size_free;
};

#define MAGIC_USED 0x7a6e6d616c6c6f63ull /* "znmalloc" */
#define MAGIC_FREE 0x7a6e6672656562ffull

static uint8_t *heap_next, *heap_end;
static struct block *free_list[NCLASS];
static struct block *large_free_list;

void zn_rt_heap_init(void *start, size_t len) {
  uintptr_t a = ((uintptr_t)start + HDR - 1) & ~(uintptr_t)(HDR - 1);
  heap_next = (uint8_t *)a;
  heap_end = (uint8_t *)start + len;
  memset(free_list, 0, sizeof(free_list));
  large_free_list = NULL;
}

size_t zn_rt_heap_left(void) { return (size_t)(heap_end - heap_next); }

/* `size` bytes from the bump region, or NULL. */
static struct block *bump(size_t size) {
  if ((size_t)(heap_end - heap_next) < size)
    return NULL;
  struct block *b = (struct block *)(void *)heap_next;
  heap_next += size;
  return b;
}

/* A block of `size` bytes (a multiple of PAGE): the first freed one big
 * enough, else a new one. */
static struct block *large_block(size_t size) {
  for (struct block **p = &large_free_list; *p; p = &(*p)->u.next) {
    struct large_free *f = (struct large_free *)(void *)*p;
    if (f->size_free >= size) {
      *p = f->hdr.u.next;
      f->hdr.u.size = f->size_free;
      return &f->hdr;
    }
  }
  struct block *b = bump(size);
  if (b)
    b->u.size = size;
  return b;
}

void *malloc(size_t n) {
  if (n > MAX_REQUEST) {
    errno = ENOMEM;
    return NULL;
  }
  struct block *b;
  if (n + HDR > LARGE_MIN) {
    b = large_block((n + HDR + PAGE - 1) & ~(size_t)(PAGE - 1));
  } else {
    unsigned cls = MIN_SHIFT;
    while (((size_t)1 << cls) < n + HDR)
      cls++;
    b = free_list[cls];
    if (b != NULL)
      free_list[cls] = b->u.next;
    else
      b = bump((size_t)1 << cls);
    if (b)
      b->u.size = cls;
  }
  if (b == NULL) {
    errno = ENOMEM;
    return NULL;
  }
  b->magic = MAGIC_USED;
  return (uint8_t *)b + HDR;
}

/* The header of p, a block in use; stops the program if p is not one (a
 * double free or a wild pointer is a bug in the program). */
static struct block *block_in_use(void *p, const char *who) {
  struct block *b = (struct block *)(void *)((uint8_t *)p - HDR);
  uint64_t s = b->u.size;
  if (b->magic != MAGIC_USED ||
      (s >= NCLASS && (s <= LARGE_MIN || s % PAGE != 0)))
    zn_rt_panic(who);
  return b;
}

/* The bytes p's block holds after its header. */
static size_t capacity(const struct block *b) {
  return (b->u.size < NCLASS ? (size_t)1 << b->u.size : (size_t)b->u.size) -
         HDR;
}

void free(void *p) {
  if (p == NULL)
    return;
  struct block *b = block_in_use(p, "free: not a block in use");
  b->magic = MAGIC_FREE;
  if (b->u.size < NCLASS) {
    unsigned cls = (unsigned)b->u.size;
    b->u.next = free_list[cls];
    free_list[cls] = b;
    return;
  }
  struct large_free *f = (struct large_free *)(void *)b;
  f->size_free = b->u.size;
  b->u.next = large_free_list;
  large_free_list = b;
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
  size_t have = capacity(block_in_use(p, "realloc: not a block in use"));
  if (n <= have)
    return p;
  void *q = malloc(n);
  if (q == NULL)
    return NULL;
  memcpy(q, p, have);
  free(p);
  return q;
}
