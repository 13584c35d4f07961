/*
 * Out-of-order receive queue: segments that arrived beyond rcv_nxt, kept
 * as the buffers they came in (no copy), in a balanced search tree keyed
 * by sequence number (O(log n) insert and pop), never overlapping: a new
 * segment is trimmed to the gaps between what is held (first arrival
 * wins), and dropped if nothing new is left.
 *
 * Buffers in the queue have data/len at their payload; the node fields
 * live in the buffer's cb.  Sequence numbers compare modulo 2^32 (all
 * held data lies within one receive window, under 2^31 wide).
 */
#ifndef ZN_TCP_OOO_H
#define ZN_TCP_OOO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "znet/buf.h"

struct zn__tcp_sack_block {
  uint32_t left, right; /* [left, right) */
};

struct zn__tcp_ooo {
  struct zn_buf *root;
  uint32_t nbufs;       /* buffers held */
  uint32_t bytes;       /* payload bytes held */
  uint32_t mem;         /* buffer storage held (pool buffer sizes) */
  bool have_fin;        /* a FIN is held (flag of the segment it came on) */
  uint32_t fin_seq;     /* its sequence number */
  uint32_t last_left, last_right; /* the run the latest insert joined */
};

enum {
  ZN__OOO_QUEUED = 0,   /* held (maybe trimmed) */
  ZN__OOO_DUP = 1,      /* nothing new: freed */
};

void zn__tcp_ooo_init(struct zn__tcp_ooo *q);

/* Take b (payload bytes [seq, seq + b->len), plus a FIN after them if fin)
 * and hold what is new of it.  rcv_nxt: nothing before it is kept.
 * Consumes b.  Returns ZN__OOO_QUEUED or ZN__OOO_DUP.  A zero-length
 * segment with only a FIN is held as a FIN mark (no buffer kept). */
int zn__tcp_ooo_insert(struct zn__tcp_ooo *q, struct zn_buf *b, uint32_t seq,
                       bool fin, uint32_t rcv_nxt);

/* If the lowest held segment starts at or before rcv_nxt, remove it and
 * return it trimmed to start exactly at rcv_nxt (segments wholly before
 * rcv_nxt are freed on the way); NULL otherwise.  *fin is set if the FIN
 * directly follows the returned data (or, with NULL returned, if the FIN
 * itself is at rcv_nxt).  The caller advances rcv_nxt by b->len. */
struct zn_buf *zn__tcp_ooo_pop(struct zn__tcp_ooo *q, uint32_t rcv_nxt,
                               bool *fin);

/* Fill up to n SACK blocks (RFC 2018 §4): the first is the contiguous
 * run containing the most recently queued data, the others the remaining
 * runs (nearest first).  Returns the count. */
size_t zn__tcp_ooo_sack(const struct zn__tcp_ooo *q,
                        struct zn__tcp_sack_block *out, size_t n);

/* Free everything held. */
void zn__tcp_ooo_purge(struct zn__tcp_ooo *q);

/* Lowest and highest sequence held (for tests and window checks); false
 * if empty. */
bool zn__tcp_ooo_range(const struct zn__tcp_ooo *q, uint32_t *lo,
                       uint32_t *hi);

#endif
