/*
 * Out-of-order receive queue: segments that arrived beyond rcv_nxt, kept
 * as the buffers they came in (no copy), in a balanced search tree keyed
 * by sequence number (O(log n) insert and pop), never overlapping: a new
 * segment is trimmed to the gaps between what is held (first arrival
 * wins), and dropped if nothing new is left.
 *
 * One buffer has one data/len window (references share it), so a segment
 * cannot be split into several pieces without copying.  A segment that
 * covers several gaps therefore keeps only the part filling the FIRST gap
 * it reaches; its bytes beyond the held data that ends that gap are freed
 * (counted in drop_split_bytes) -- SACK keeps telling the peer they are
 * missing, so it sends them again.
 *
 * Buffers in the queue have data/len at their payload; the node fields
 * live in the buffer's cb.  Sequence numbers compare modulo 2^32: all held
 * data lies in [rcv_nxt, rcv_nxt + 2^31); data reaching beyond that cannot
 * be ordered and is refused (the caller's window check never passes it).
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
  /* [last_left, last_right): the bytes of the latest insert at or beyond
   * rcv_nxt, new or already held.  The run of held data around last_left
   * is the first SACK block. */
  uint32_t last_left, last_right;
  /* Drops, never silent. */
  /* (32 bits, modulo 2^32: a connection's own record of its drops.) */
  uint32_t drop_split_bytes; /* new bytes freed beyond the first gap filled */
  uint32_t drop_fin_bytes;   /* bytes beyond a held FIN, freed */
  uint32_t drop_bad_fin;     /* FINs ignored: a different FIN is held, or
                              * held data lies beyond them */
};

enum {
  ZN__OOO_QUEUED = 0,   /* held (maybe trimmed) */
  ZN__OOO_DUP = 1,      /* nothing new: freed */
};

void zn__tcp_ooo_init(struct zn__tcp_ooo *q);

/* Take b (payload bytes [seq, seq + b->len), plus a FIN after them if fin)
 * and hold what is new of it.  rcv_nxt: nothing before it is kept (held
 * data before it, left by a caller that advanced rcv_nxt on in-order data,
 * is freed or trimmed first).  Consumes b.  Returns ZN__OOO_QUEUED (new
 * data or a new FIN held) or ZN__OOO_DUP (nothing new: b freed).
 *
 * What is kept of b: the bytes from the first one at or after
 * max(seq, rcv_nxt) that is not held, up to the next held byte (see the top
 * of this file); b is pulled and trimmed to them (it must not be shared
 * with a holder that needs its old window).
 *
 * FIN: the FIN's position (seq + b->len) is held as have_fin/fin_seq, with
 * or without data (a zero-length FIN segment keeps no buffer; for one, b
 * may also be NULL).  Data
 * beyond a held FIN is freed.  A FIN is ignored if another FIN is held or
 * held data lies beyond it (first arrival wins).
 *
 * Costs O(log n) plus O(log n) per held buffer freed as stale. */
int zn__tcp_ooo_insert(struct zn__tcp_ooo *q, struct zn_buf *b, uint32_t seq,
                       bool fin, uint32_t rcv_nxt);

/* Allocates a buffer for len bytes of copied payload, or NULL. */
typedef struct zn_buf *(*zn__tcp_ooo_alloc_fn)(void *ctx, size_t len);

/* zn__tcp_ooo_insert_whole's result: bits. */
enum {
  ZN__OOO_HELD = 1u << 0,     /* something new was held */
  ZN__OOO_OVER_MEM = 1u << 1, /* (the rest of) the segment was freed: the
                                 queue's storage would pass mem_max */
};

/* The queue's insert policy for a segment from the network: hold all that
 * is new of it, not only the part filling the first gap.  RFC 2018 §4,
 * "the first SACK block MUST specify the contiguous block of data
 * containing the segment which triggered this ACK", can only be kept if
 * all of the segment is held; so the part of b beyond the first gap goes
 * in as copies (from alloc), inserted in turn until nothing new is left.
 * drop_split_bytes then counts only what is finally left out.  Nothing is
 * held that would take the queue's storage (mem) beyond mem_max.  Consumes
 * b.  Returns ZN__OOO_HELD and/or ZN__OOO_OVER_MEM (0: a duplicate). */
unsigned zn__tcp_ooo_insert_whole(struct zn__tcp_ooo *q, struct zn_buf *b,
                                  uint32_t seq, bool fin, uint32_t rcv_nxt,
                                  uint32_t mem_max, zn__tcp_ooo_alloc_fn alloc,
                                  void *ctx);

/* If the lowest held segment starts at or before rcv_nxt, remove it and
 * return it trimmed to start exactly at rcv_nxt (segments wholly before
 * rcv_nxt are freed on the way); NULL otherwise.  *fin is set if the FIN
 * directly follows the returned data (or, with NULL returned, if the FIN
 * itself is at rcv_nxt); a FIN so reported is no longer held.  fin may be
 * NULL.  The caller advances rcv_nxt by b->len (and by 1 for the FIN) and
 * owns the returned buffer (its cb is free again).  O(log n). */
struct zn_buf *zn__tcp_ooo_pop(struct zn__tcp_ooo *q, uint32_t rcv_nxt,
                               bool *fin);

/* Fill up to n SACK blocks (RFC 2018 §4): the first is the contiguous
 * run containing the most recently queued data (or the held data the
 * latest duplicate repeated), the others the remaining runs (nearest
 * first, i.e. lowest sequence first).  Returns the count.  Each block
 * costs O(log nbufs). */
size_t zn__tcp_ooo_sack(const struct zn__tcp_ooo *q,
                        struct zn__tcp_sack_block *out, size_t n);

/* Free everything held, data and FIN; the drop counters stay. */
void zn__tcp_ooo_purge(struct zn__tcp_ooo *q);

/* Lowest and highest sequence held (for tests and window checks); false
 * if empty.  *hi is one past the last byte held. */
bool zn__tcp_ooo_range(const struct zn__tcp_ooo *q, uint32_t *lo,
                       uint32_t *hi);

/* Height of the tree (0 if empty; a lone buffer is 1).  It stays within
 * 1.45 * log2(nbufs + 2), whatever the arrival order.  O(1). */
unsigned zn__tcp_ooo_height(const struct zn__tcp_ooo *q);

/* For tests: walk the whole tree and check every invariant (order, no
 * overlap, balance, the subtree summaries, nbufs/bytes/mem, the FIN after
 * all data).  Returns 0 if all hold, else the number of the first broken
 * one.  O(n). */
int zn__tcp_ooo_check(const struct zn__tcp_ooo *q);

#endif
