/*
 * The fragment queue shared by IPv4 (RFC 791) and IPv6 (RFC 8200 §4.5)
 * reassembly; see core/frag_int.h.  It keeps fragments as the buffers they
 * came in; the family copies them once into one buffer when complete.
 */
#include "core/frag_int.h"

enum zn__frag_fit zn__frag_insert(struct zn__frag_queue *q, struct zn_buf *b,
                                  uint32_t bsize) {
  uint32_t off = zn__frag_cb(b)->off, len = zn__frag_cb(b)->len;
  struct zn_buf **pp = &q->frags;
  struct zn_buf *prev = NULL;
  while (*pp && zn__frag_cb(*pp)->off < off) {
    prev = *pp;
    pp = &(*pp)->next;
  }
  struct zn_buf *next = *pp;
  if (next && zn__frag_cb(next)->off == off && zn__frag_cb(next)->len == len)
    return ZN__FRAG_DUP;
  if ((prev && zn__frag_cb(prev)->off + zn__frag_cb(prev)->len > off) ||
      (next && zn__frag_cb(next)->off < off + len))
    return ZN__FRAG_OVERLAP;
  b->next = next;
  *pp = b;
  q->nfrags++;
  q->held += len;
  q->mem += bsize;
  return ZN__FRAG_FITS;
}

bool zn__frag_end_ok(const struct zn__frag_queue *q, uint32_t end,
                     bool more) {
  if (more)
    return !q->have_last || end <= q->total;
  if (q->have_last && q->total != end)
    return false;
  for (struct zn_buf *f = q->frags; f; f = f->next)
    if (zn__frag_cb(f)->off + zn__frag_cb(f)->len > end)
      return false;
  return true;
}

void zn__frag_set_last(struct zn__frag_queue *q, uint32_t end) {
  q->have_last = true;
  q->total = end;
}

bool zn__frag_complete(const struct zn__frag_queue *q) {
  return q->have_last && q->held == q->total;
}

void zn__frag_release(struct zn__frag_queue *q) {
  struct zn_buf *b = q->frags;
  while (b) {
    struct zn_buf *n = b->next;
    zn_buf_free(b);
    b = n;
  }
  q->frags = NULL;
  q->nfrags = q->held = q->mem = q->total = 0;
  q->have_last = false;
}
