/*
 * Buffer pools.  A pool is an array of descriptors plus count * size bytes
 * of storage, both carved from memory the caller gives; a free list through
 * the descriptors' `next` makes alloc and free O(1).
 */
#include <string.h>

#include "core/buf_int.h"
#include "znet/assert.h"
#include "znet/buf.h"
#include "znet/err.h"

#define POOL_ALIGN ((size_t)64)

size_t zn_pool_mem_size(uint32_t count, uint32_t size) {
  size_t desc = (size_t)count * sizeof(struct zn_buf);
  size_t stor = (size_t)count * (((size_t)size + POOL_ALIGN - 1) & ~(size_t)(POOL_ALIGN - 1));
  return desc + stor + 2 * POOL_ALIGN;
}

/* Advances p, not an integer made from it, so the result keeps p's
 * provenance (a is a power of two). */
static uint8_t *align_ptr(uint8_t *p, size_t a) {
  return p + ((a - ((uintptr_t)p & (a - 1))) & (a - 1));
}

int zn_pool_init(struct zn_pool *p, void *mem, size_t len, uint32_t count,
                 uint32_t size) {
  memset(p, 0, sizeof(*p));
  if (count == 0)
    return ZN_OK; /* an empty pool is valid: every alloc fails */
  if (size < ZN_BUF_HEADROOM + 64u || mem == NULL)
    return ZN_EINVAL;
  if (len < zn_pool_mem_size(count, size))
    return ZN_ENOMEM;
  size_t stride = ((size_t)size + POOL_ALIGN - 1) & ~(size_t)(POOL_ALIGN - 1);
  uint8_t *m = align_ptr(mem, POOL_ALIGN);
  p->descs = (struct zn_buf *)(void *)m;
  m = align_ptr(m + (size_t)count * sizeof(struct zn_buf), POOL_ALIGN);
  p->storage = m;
  p->size = size;
  p->count = count;
  p->nfree = count;
  p->min_free = count;
  for (uint32_t i = count; i-- > 0;) {
    struct zn_buf *b = &p->descs[i];
    memset(b, 0, sizeof(*b));
    b->head = p->storage + (size_t)i * stride;
    b->end = b->head + size;
    b->pool = p;
    b->next = p->free;
    p->free = b;
  }
  return ZN_OK;
}

struct zn_buf *zn_pool_alloc(struct zn_pool *p) { return zn__pool_alloc(p); }

void zn_buf_free(struct zn_buf *b) {
  if (b == NULL)
    return;
  /* A free buffer has no reference left to drop: this is a double free. */
  ZN_ASSERT(b->ref > 0);
  if (b->ref == 0)
    return; /* (without assertions: ignored rather than corrupt the list) */
  if (--b->ref > 0)
    return;
  struct zn_pool *p = b->pool;
  /* Free plus in use is the pool's size: one more free one fits. */
  ZN_ASSERT(p->nfree < p->count);
  b->next = p->free;
  p->free = b;
  p->nfree++;
}

int zn_buf_reset_headroom(struct zn_buf *b, size_t headroom) {
  size_t cap = (size_t)(b->end - b->head);
  if (headroom > cap || b->len > cap - headroom)
    return ZN_ENOSPC;
  uint8_t *to = b->head + headroom;
  if (to != b->data)
    memmove(to, b->data, b->len);
  b->data = to;
  return ZN_OK;
}

void zn_bufq_purge(struct zn_bufq *q) {
  struct zn_buf *b;
  while ((b = zn_bufq_pop(q)) != NULL)
    zn_buf_free(b);
}
