/*
 * Record buffers lent (znet/tls.h, "Record buffers lent"): a pool of
 * buffer pairs in the caller's memory, a free list and a queue of the
 * sessions waiting for a pair.  The glue (tls.c) decides when a session
 * takes a pair and gives it back; this file only keeps the books.
 *
 * Why a session may give its buffers back between records and carry on
 * later with another pair, as BearSSL 0.6 (ssl_engine.c) keeps them:
 *
 * - The engine holds its buffers as two pointers (ibuf, obuf), two
 *   lengths, and six indices relative to the buffers' starts: ixa, ixb,
 *   ixc for input, oxa, oxb, oxc for output.  No record layer
 *   (GCM, ChaCha20-Poly1305) keeps a pointer into them: encrypt and
 *   decrypt are handed the record's place each time.
 * - Between records, with nothing buffered, the indices are those that
 *   make_ready_in() and make_ready_out() set: ixa == ixb == 0 and ixc ==
 *   5 (the next header expected, nothing of it received, no plaintext
 *   left), oxa == oxc (nothing gathered; while gathering oxc < oxa, while
 *   sending oxa < oxc), oxb from the lengths and the record layer's
 *   overhead.  None of them depends on where the buffers are, and no
 *   byte in the buffers is read again: the next record starts from
 *   offset 0 of the input buffer and the header place of the output one.
 *   So a buffer of at least the same length holds the same state.
 *   tls_bearssl.c's idle() checks exactly these indices.
 * - The handshake code reads and writes through hbuf_in, hbuf_out and
 *   saved_hbuf_out, absolute pointers into the buffers; but
 *   jump_handshake() sets all three each time before it runs that code,
 *   and nothing else reads them, so stale values are never used.  The
 *   glue keeps a pair through the whole handshake anyway (the first
 *   flight spans several records, and the handshake keeps state between
 *   them), and lends one back only once the session is open.
 * - The engine moves only inside its API calls: while a session holds no
 *   pair the glue calls none that touches a buffer (its status is the one
 *   read when the pair went back), and the engine points at no buffer
 *   (ibuf = obuf = NULL), so a stray call faults instead of writing into
 *   another session's record.  Under AddressSanitizer a free pair is
 *   also poisoned.  Buffers are not cleared: the next holder overwrites
 *   what it reads, and shows nothing beyond what it decrypted itself.
 *
 * A pair given back while sessions wait goes straight to the first of
 * them (first come, first served), so a freed pair is never taken by a
 * newcomer ahead of a session that waited.
 */
#include <string.h>

#include "tls_int.h"
#include "znet/err.h"

#if defined(__SANITIZE_ADDRESS__)
#define ZN_TLS_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ZN_TLS_ASAN 1
#endif
#endif

#ifdef ZN_TLS_ASAN
#include <sanitizer/asan_interface.h>
#define POISON(p, n) __asan_poison_memory_region((p), (n))
#define UNPOISON(p, n) __asan_unpoison_memory_region((p), (n))
#else
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

/* What zn_tls_config allows (tls.c's MAX_BUF). */
#define POOL_MAX_BUF 65536u

struct zn_tls_bufpool {
  uint32_t n, in_buf, out_buf;
  uint32_t in_use, peak, waiting;
  uint64_t takes, waits;
  struct zn__tls_bufpair *free_list;
  struct zn__tls_waiter *wait_head, *wait_tail;
  struct zn__tls_bufpair *pairs; /* n of them, then the buffers */
};

/* The block: the pool, the pairs, then each pair's input and output
 * buffer. */
static size_t pairs_offset(void) {
  return zn__tls_align_up(sizeof(struct zn_tls_bufpool));
}

static size_t bufs_offset(uint32_t n) {
  return pairs_offset() +
         zn__tls_align_up((size_t)n * sizeof(struct zn__tls_bufpair));
}

static size_t pair_bytes(uint32_t in_buf, uint32_t out_buf) {
  return zn__tls_align_up(in_buf) + zn__tls_align_up(out_buf);
}

static void poison_pair(const struct zn_tls_bufpool *bp,
                        struct zn__tls_bufpair *p) {
  POISON(p->ibuf, bp->in_buf);
  POISON(p->obuf, bp->out_buf);
}

static void unpoison_pair(const struct zn_tls_bufpool *bp,
                          struct zn__tls_bufpair *p) {
  UNPOISON(p->ibuf, bp->in_buf);
  UNPOISON(p->obuf, bp->out_buf);
}

size_t zn_tls_bufpool_mem_size(uint32_t n, uint32_t in_buf, uint32_t out_buf) {
  if (n == 0 || in_buf < ZN_TLS_IN_BUF_MIN || in_buf > POOL_MAX_BUF ||
      out_buf < ZN_TLS_OUT_BUF_MIN || out_buf > POOL_MAX_BUF)
    return 0;
  return bufs_offset(n) + (size_t)n * pair_bytes(in_buf, out_buf);
}

int zn_tls_bufpool_init(void *mem, size_t len, uint32_t n, uint32_t in_buf,
                        uint32_t out_buf, struct zn_tls_bufpool **out) {
  size_t need = zn_tls_bufpool_mem_size(n, in_buf, out_buf);
  if (need == 0 || mem == NULL || out == NULL || !zn__tls_aligned(mem))
    return ZN_EINVAL;
  if (len < need)
    return ZN_ENOMEM;
  uint8_t *m = mem;
  struct zn_tls_bufpool *bp = mem;
  memset(bp, 0, sizeof(*bp));
  bp->n = n;
  bp->in_buf = in_buf;
  bp->out_buf = out_buf;
  bp->pairs = (struct zn__tls_bufpair *)(void *)(m + pairs_offset());
  uint8_t *b = m + bufs_offset(n);
  for (uint32_t i = n; i-- > 0;) {
    struct zn__tls_bufpair *p = &bp->pairs[i];
    p->ibuf = b + (size_t)i * pair_bytes(in_buf, out_buf);
    p->obuf = p->ibuf + zn__tls_align_up(in_buf);
    p->next = bp->free_list;
    bp->free_list = p;
    poison_pair(bp, p);
  }
  *out = bp;
  return ZN_OK;
}

void zn_tls_bufpool_get_info(const struct zn_tls_bufpool *bp,
                             struct zn_tls_bufpool_info *info) {
  memset(info, 0, sizeof(*info));
  info->n = bp->n;
  info->in_use = bp->in_use;
  info->peak = bp->peak;
  info->waiting = bp->waiting;
  info->takes = bp->takes;
  info->waits = bp->waits;
}

static void lent(struct zn_tls_bufpool *bp) {
  bp->takes++;
  if (bp->in_use > bp->peak)
    bp->peak = bp->in_use;
}

struct zn__tls_bufpair *zn__tls_bufpool_take(struct zn_tls_bufpool *bp) {
  struct zn__tls_bufpair *p = bp->free_list;
  if (p == NULL)
    return NULL;
  bp->free_list = p->next;
  p->next = NULL;
  bp->in_use++;
  lent(bp);
  unpoison_pair(bp, p);
  return p;
}

bool zn__tls_bufpool_has_free(const struct zn_tls_bufpool *bp) {
  return bp->free_list != NULL;
}

void zn__tls_bufpool_sizes(const struct zn_tls_bufpool *bp, uint32_t *in_buf,
                           uint32_t *out_buf) {
  *in_buf = bp->in_buf;
  *out_buf = bp->out_buf;
}

void zn__tls_bufpool_wait(struct zn_tls_bufpool *bp, struct zn__tls_waiter *w) {
  if (w->queued)
    return;
  w->queued = true;
  w->next = NULL;
  if (bp->wait_tail)
    bp->wait_tail->next = w;
  else
    bp->wait_head = w;
  bp->wait_tail = w;
  bp->waiting++;
  bp->waits++;
}

void zn__tls_bufpool_cancel(struct zn_tls_bufpool *bp,
                            struct zn__tls_waiter *w) {
  if (!w->queued)
    return;
  struct zn__tls_waiter **pp = &bp->wait_head, *prev = NULL;
  while (*pp != w) {
    prev = *pp;
    pp = &(*pp)->next;
  }
  *pp = w->next;
  if (bp->wait_tail == w)
    bp->wait_tail = prev;
  w->queued = false;
  w->next = NULL;
  bp->waiting--;
}

struct zn__tls_waiter *zn__tls_bufpool_give(struct zn_tls_bufpool *bp,
                                            struct zn__tls_bufpair *pair) {
  struct zn__tls_waiter *w = bp->wait_head;
  if (w != NULL) {
    zn__tls_bufpool_cancel(bp, w);
    bp->takes++; /* handed over: still in use */
    return w;
  }
  poison_pair(bp, pair);
  pair->next = bp->free_list;
  bp->free_list = pair;
  bp->in_use--;
  return NULL;
}
