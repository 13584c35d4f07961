/* Buffer pools, private: the allocation the stack makes for every frame
 * it receives and most it sends, inline. */
#ifndef ZN_CORE_BUF_INT_H
#define ZN_CORE_BUF_INT_H

#include <stddef.h>

#include "znet/assert.h"
#include "znet/buf.h"

/* zn_pool_alloc(), which is this. */
static inline struct zn_buf *zn__pool_alloc(struct zn_pool *p) {
  struct zn_buf *b = p->free;
  if (b == NULL) {
    p->alloc_fail++;
    return NULL;
  }
  /* The free list holds nfree buffers, none of them referenced. */
  ZN_ASSERT(p->nfree > 0 && b->ref == 0);
  p->free = b->next;
  p->nfree--;
  if (p->nfree < p->min_free)
    p->min_free = p->nfree;
  b->next = NULL;
  b->ref = 1;
  b->flags = 0;
  b->gso_size = 0;
  b->csum_l4len = 0;
  b->csum_field = 0;
  b->data = b->head + ZN_BUF_HEADROOM;
  b->len = 0;
  return b;
}

#endif
