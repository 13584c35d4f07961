/*
 * The fragments of one datagram in reassembly, for either IP family: the
 * buffers they arrived in, sorted by offset, the payload bytes held and,
 * once the last fragment came, the total.  The queue classifies a new
 * fragment (it fits, it repeats one exactly, it overlaps); what an
 * overlap or a duplicate costs is the family's policy (src/ipv4/ipv4.c,
 * src/ipv6/frag6.c), as are the datagram's key, slots, budget and timer.
 */
#ifndef ZN_CORE_FRAG_INT_H
#define ZN_CORE_FRAG_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "znet/buf.h"

/* The head of a waiting fragment's cb; a family's cb begins with it. */
struct zn__frag_cb {
  uint32_t off;            /* payload offset, bytes */
  uint32_t len;            /* payload bytes (b->len once pulled) */
};

_Static_assert(sizeof(struct zn__frag_cb) <= ZN_BUF_CB_SIZE, "cb too small");

static inline struct zn__frag_cb *zn__frag_cb(struct zn_buf *b) {
  return (struct zn__frag_cb *)(void *)b->cb;
}

struct zn__frag_queue {
  struct zn_buf *frags;    /* sorted by offset; cb: struct zn__frag_cb */
  uint32_t nfrags;
  uint32_t held;           /* payload bytes held */
  uint32_t total;          /* payload bytes, known once the last came */
  uint32_t mem;            /* buffer bytes held (toward the family's
                              bound) */
  bool have_last;
};

enum zn__frag_fit {
  ZN__FRAG_FITS = 0,       /* inserted and counted */
  ZN__FRAG_DUP,            /* same offset and length as one held */
  ZN__FRAG_OVERLAP,        /* overlaps a fragment held */
};

/* Insert b (cb: off and len set, data at the payload) in offset order and
 * count it with bsize buffer bytes; or, for a duplicate or an overlap,
 * leave q and b as they are for the caller's policy. */
enum zn__frag_fit zn__frag_insert(struct zn__frag_queue *q, struct zn_buf *b,
                                  uint32_t bsize);
/* RFC 791, RFC 8200 §4.5: a fragment ending at end is consistent with
 * what q holds: a last one (more false) agrees with an earlier last one
 * and no fragment held goes past it; another ends within the total. */
bool zn__frag_end_ok(const struct zn__frag_queue *q, uint32_t end, bool more);
/* The last fragment came: the datagram's payload is end bytes. */
void zn__frag_set_last(struct zn__frag_queue *q, uint32_t end);
/* Every byte up to the total is held. */
bool zn__frag_complete(const struct zn__frag_queue *q);
/* Free every fragment and empty q. */
void zn__frag_release(struct zn__frag_queue *q);

#endif
