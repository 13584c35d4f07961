/* TCP out-of-order queue (src/tcp/tcp_ooo.c, tcp/tcp_ooo.h). */
#include <stdlib.h>
#include <time.h>

#include "zt.h"
#include "znet.h"
#include "tcp/tcp_ooo.h"
#include "tcp/tcp_seq.h"

static struct zn_pool pool;
static void *mem;

static void setup(uint32_t count, uint32_t size) {
  size_t len = zn_pool_mem_size(count, size);
  mem = malloc(len);
  ZT_EQ(zn_pool_init(&pool, mem, len, count, size), ZN_OK);
}

static void teardown(void) {
  ZT_EQ(zn_pool_in_use(&pool), 0);
  free(mem);
}

/* The byte of version `ver` of the stream at sequence number s.  Version 0
 * is the true stream; others stand for a misbehaving peer resending
 * different bytes, to see which copy the queue keeps. */
static uint8_t pat(uint32_t s, unsigned ver) {
  uint32_t h = s * 2654435761u;
  return (uint8_t)((h >> 24) ^ (h >> 11) ^ (ver * 0x5bu));
}

static struct zn_buf *seg_from(struct zn_pool *p, uint32_t seq, uint32_t len,
                               unsigned ver) {
  struct zn_buf *b = zn_pool_alloc(p);
  if (!b)
    return NULL;
  uint8_t *d = zn_buf_put(b, len);
  if (!d) {
    zn_buf_free(b);
    return NULL;
  }
  for (uint32_t i = 0; i < len; i++)
    d[i] = pat(seq + i, ver);
  return b;
}

static struct zn_buf *seg(uint32_t seq, uint32_t len, unsigned ver) {
  return seg_from(&pool, seq, len, ver);
}

/* Insert version `ver` of [seq, seq + len). */
static int ins(struct zn__tcp_ooo *q, uint32_t seq, uint32_t len, unsigned ver,
               bool fin, uint32_t rcv_nxt) {
  struct zn_buf *b = seg(seq, len, ver);
  if (!b)
    return -100;
  return zn__tcp_ooo_insert(q, b, seq, fin, rcv_nxt);
}

/* Pop everything in order from *rcv_nxt into out (from out[*n]), advancing
 * both; the popped buffers are freed.  Returns whether a FIN came. */
static bool drain(struct zn__tcp_ooo *q, uint32_t *rcv_nxt, uint8_t *out,
                  size_t *n, size_t cap) {
  bool fin = false;
  struct zn_buf *b;
  while ((b = zn__tcp_ooo_pop(q, *rcv_nxt, &fin)) != NULL) {
    if (*n + b->len <= cap)
      memcpy(out + *n, b->data, b->len);
    *n += b->len;
    *rcv_nxt += b->len;
    zn_buf_free(b);
    if (fin)
      break;
  }
  return fin;
}

/* Expect the bytes [from, to) of version ver at out[from - base]. */
static int span_ok(const uint8_t *out, uint32_t base, uint32_t from,
                   uint32_t to, unsigned ver) {
  for (uint32_t s = from; s != to; s++)
    if (out[s - base] != pat(s, ver))
      return 0;
  return 1;
}

ZT_TEST(test_empty) {
  setup(4, 512);
  struct zn__tcp_ooo q;
  zn__tcp_ooo_init(&q);
  bool fin = true;
  ZT_CHECK(zn__tcp_ooo_pop(&q, 5, &fin) == NULL);
  ZT_CHECK(!fin);
  ZT_CHECK(zn__tcp_ooo_pop(&q, 5, NULL) == NULL);
  struct zn__tcp_sack_block sb[4];
  ZT_EQ(zn__tcp_ooo_sack(&q, sb, 4), 0);
  uint32_t lo, hi;
  ZT_CHECK(!zn__tcp_ooo_range(&q, &lo, &hi));
  ZT_EQ(zn__tcp_ooo_height(&q), 0);
  ZT_EQ(zn__tcp_ooo_check(&q), 0);
  /* A zero-length segment without FIN is nothing new. */
  ZT_EQ(ins(&q, 10, 0, 0, false, 5), ZN__OOO_DUP);
  /* Wholly before rcv_nxt, or out of any window. */
  ZT_EQ(ins(&q, 0, 5, 0, false, 5), ZN__OOO_DUP);
  ZT_EQ(ins(&q, 5 + 0x7fffff00u, 0x100, 0, false, 5), ZN__OOO_DUP);
  ZT_EQ(q.nbufs, 0);
  zn__tcp_ooo_purge(&q);
  teardown();
}

/* Every order of 5 segments: the stream comes out whole and in order. */
static void permutations(uint32_t base) {
  static const uint32_t lens[5] = {100, 1, 37, 500, 64};
  uint32_t off[5], total = 0;
  for (int i = 0; i < 5; i++) {
    off[i] = total;
    total += lens[i];
  }
  int perm[5] = {0, 1, 2, 3, 4}, c[5] = {0}, count = 0, i = 0;
  uint8_t out[1024];
  /* Heap's algorithm; the first permutation is the identity. */
  for (;;) {
    struct zn__tcp_ooo q;
    zn__tcp_ooo_init(&q);
    uint32_t rcv = base;
    size_t n = 0;
    for (int k = 0; k < 5; k++) {
      int s = perm[k];
      ZT_EQ(ins(&q, base + off[s], lens[s], 0, s == 4, rcv), ZN__OOO_QUEUED);
      ZT_EQ(zn__tcp_ooo_check(&q), 0);
      bool fin = drain(&q, &rcv, out, &n, sizeof(out));
      ZT_EQ(fin, k == 4);
    }
    ZT_EQU(rcv, base + total);
    ZT_EQ(n, total);
    ZT_CHECK(span_ok(out, base, base, base + total, 0));
    ZT_EQ(q.nbufs, 0);
    ZT_EQ(q.bytes, 0);
    ZT_EQ(q.mem, 0);
    ZT_CHECK(!q.have_fin);
    ZT_EQ(zn_pool_in_use(&pool), 0);
    count++;
    /* next permutation */
    while (i < 5 && c[i] >= i) {
      c[i] = 0;
      i++;
    }
    if (i == 5)
      break;
    int j = (i % 2) ? c[i] : 0, t = perm[j];
    perm[j] = perm[i];
    perm[i] = t;
    c[i]++;
    i = 0;
  }
  ZT_EQ(count, 120);
}

ZT_TEST(test_in_order_after_holes_fill) {
  setup(8, 1024);
  permutations(1000);
  permutations(0xfffffe00u); /* the stream crosses 2^32 */
  permutations(0xffffffffu);
  teardown();
}

/* One overlap case: held pieces, then a newcomer; check what comes out. */
struct piece {
  uint32_t from, to;
  unsigned ver;
};

static void expect_stream(struct zn__tcp_ooo *q, uint32_t rcv,
                          const struct piece *p, size_t np, int line) {
  uint8_t out[1024];
  size_t n = 0;
  uint32_t start = rcv;
  ZT_EQ(zn__tcp_ooo_check(q), 0);
  drain(q, &rcv, out, &n, sizeof(out));
  ZT_EQ(q->nbufs, 0);
  for (size_t i = 0; i < np; i++) {
    ZT_CHECK(p[i].from - start + (p[i].to - p[i].from) <= n);
    if (!span_ok(out, start, p[i].from, p[i].to, p[i].ver))
      zt_fail(__FILE__, line, "bytes [%u, %u) are not version %u",
              (unsigned)p[i].from, (unsigned)p[i].to, p[i].ver);
  }
  ZT_EQ(n, p[np - 1].to - start);
}

ZT_TEST(test_overlaps) {
  setup(16, 1024);
  struct zn__tcp_ooo q;

  /* New inside old: nothing new. */
  zn__tcp_ooo_init(&q);
  ZT_EQ(ins(&q, 100, 100, 1, false, 100), ZN__OOO_QUEUED);
  ZT_EQ(ins(&q, 120, 30, 2, false, 100), ZN__OOO_DUP);
  ZT_EQ(q.bytes, 100);
  ZT_EQ(q.nbufs, 1);
  {
    const struct piece p[] = {{100, 200, 1}};
    expect_stream(&q, 100, p, 1, __LINE__);
  }

  /* Exact duplicate. */
  zn__tcp_ooo_init(&q);
  ZT_EQ(ins(&q, 150, 50, 1, false, 100), ZN__OOO_QUEUED);
  ZT_EQ(ins(&q, 150, 50, 2, false, 100), ZN__OOO_DUP);
  ZT_EQ(q.drop_split_bytes, 0);
  ZT_EQ(ins(&q, 100, 50, 0, false, 100), ZN__OOO_QUEUED);
  {
    const struct piece p[] = {{100, 150, 0}, {150, 200, 1}};
    expect_stream(&q, 100, p, 2, __LINE__);
  }

  /* Partial overlap on the left of the held data: new keeps its front. */
  zn__tcp_ooo_init(&q);
  ZT_EQ(ins(&q, 100, 100, 1, false, 0), ZN__OOO_QUEUED);
  ZT_EQ(ins(&q, 50, 100, 2, false, 0), ZN__OOO_QUEUED);
  ZT_EQ(q.bytes, 150);
  ZT_EQ(q.drop_split_bytes, 0);
  ZT_EQ(ins(&q, 0, 50, 3, false, 0), ZN__OOO_QUEUED);
  {
    const struct piece p[] = {{0, 50, 3}, {50, 100, 2}, {100, 200, 1}};
    expect_stream(&q, 0, p, 3, __LINE__);
  }

  /* Partial overlap on the right: new keeps its tail. */
  zn__tcp_ooo_init(&q);
  ZT_EQ(ins(&q, 100, 100, 1, false, 0), ZN__OOO_QUEUED);
  ZT_EQ(ins(&q, 150, 100, 2, false, 0), ZN__OOO_QUEUED);
  ZT_EQ(q.bytes, 150);
  ZT_EQ(q.nbufs, 2);
  ZT_EQ(ins(&q, 0, 100, 0, false, 0), ZN__OOO_QUEUED);
  {
    const struct piece p[] = {{0, 100, 0}, {100, 200, 1}, {200, 250, 2}};
    expect_stream(&q, 0, p, 3, __LINE__);
  }

  /* Old inside new: only the first gap is kept, the rest counted. */
  zn__tcp_ooo_init(&q);
  ZT_EQ(ins(&q, 120, 30, 1, false, 100), ZN__OOO_QUEUED);
  ZT_EQ(ins(&q, 100, 100, 2, false, 100), ZN__OOO_QUEUED);
  ZT_EQ(q.bytes, 50);
  ZT_EQ(q.drop_split_bytes, 50);
  ZT_EQ(ins(&q, 100, 100, 3, false, 100), ZN__OOO_QUEUED); /* the rest */
  ZT_EQ(q.bytes, 100);
  ZT_EQ(q.drop_split_bytes, 50);
  {
    const struct piece p[] = {{100, 120, 2}, {120, 150, 1}, {150, 200, 3}};
    expect_stream(&q, 100, p, 3, __LINE__);
  }

  /* Spanning several held segments and gaps: one gap per arrival. */
  zn__tcp_ooo_init(&q);
  ZT_EQ(ins(&q, 100, 10, 1, false, 90), ZN__OOO_QUEUED);
  ZT_EQ(ins(&q, 120, 10, 1, false, 90), ZN__OOO_QUEUED);
  ZT_EQ(ins(&q, 140, 10, 1, false, 90), ZN__OOO_QUEUED);
  ZT_EQ(ins(&q, 90, 70, 2, false, 90), ZN__OOO_QUEUED);
  ZT_EQ(q.bytes, 40);
  ZT_EQ(q.drop_split_bytes, 30); /* [110,120) [130,140) [150,160) */
  ZT_EQ(ins(&q, 90, 70, 3, false, 90), ZN__OOO_QUEUED);
  ZT_EQ(q.drop_split_bytes, 50);
  ZT_EQ(ins(&q, 90, 70, 4, false, 90), ZN__OOO_QUEUED);
  ZT_EQ(q.drop_split_bytes, 60);
  ZT_EQ(ins(&q, 90, 70, 5, false, 90), ZN__OOO_QUEUED);
  ZT_EQ(q.drop_split_bytes, 60);
  ZT_EQ(ins(&q, 90, 70, 6, false, 90), ZN__OOO_DUP);
  ZT_EQ(q.nbufs, 7);
  ZT_EQ(q.bytes, 70);
  {
    const struct piece p[] = {{90, 100, 2},  {100, 110, 1}, {110, 120, 3},
                              {120, 130, 1}, {130, 140, 4}, {140, 150, 1},
                              {150, 160, 5}};
    expect_stream(&q, 90, p, 7, __LINE__);
  }

  /* Exactly filling the gap between two held segments. */
  zn__tcp_ooo_init(&q);
  ZT_EQ(ins(&q, 100, 10, 1, false, 0), ZN__OOO_QUEUED);
  ZT_EQ(ins(&q, 120, 10, 1, false, 0), ZN__OOO_QUEUED);
  ZT_EQ(ins(&q, 110, 10, 2, false, 0), ZN__OOO_QUEUED);
  ZT_EQ(q.drop_split_bytes, 0);
  {
    struct zn__tcp_sack_block sb[4];
    ZT_EQ(zn__tcp_ooo_sack(&q, sb, 4), 1);
    ZT_EQ(sb[0].left, 100);
    ZT_EQ(sb[0].right, 130);
  }
  ZT_EQ(ins(&q, 0, 100, 0, false, 0), ZN__OOO_QUEUED);
  {
    const struct piece p[] = {{0, 100, 0}, {100, 110, 1}, {110, 120, 2},
                              {120, 130, 1}};
    expect_stream(&q, 0, p, 4, __LINE__);
  }

  /* Starting inside a run of several buffers: the piece starts past it. */
  zn__tcp_ooo_init(&q);
  ZT_EQ(ins(&q, 110, 10, 1, false, 0), ZN__OOO_QUEUED);
  ZT_EQ(ins(&q, 100, 10, 1, false, 0), ZN__OOO_QUEUED);
  ZT_EQ(ins(&q, 120, 10, 1, false, 0), ZN__OOO_QUEUED);
  ZT_EQ(ins(&q, 105, 35, 2, false, 0), ZN__OOO_QUEUED);
  ZT_EQ(q.bytes, 40);
  ZT_EQ(q.drop_split_bytes, 0);
  ZT_EQ(ins(&q, 0, 100, 0, false, 0), ZN__OOO_QUEUED);
  {
    const struct piece p[] = {{0, 100, 0}, {100, 130, 1}, {130, 140, 2}};
    expect_stream(&q, 0, p, 3, __LINE__);
  }

  /* Straddling rcv_nxt: the old part is cut off. */
  zn__tcp_ooo_init(&q);
  ZT_EQ(ins(&q, 80, 40, 1, false, 100), ZN__OOO_QUEUED);
  ZT_EQ(q.bytes, 20);
  {
    uint32_t lo = 0, hi = 0;
    ZT_CHECK(zn__tcp_ooo_range(&q, &lo, &hi));
    ZT_EQ(lo, 100);
    ZT_EQ(hi, 120);
    const struct piece p[] = {{100, 120, 1}};
    expect_stream(&q, 100, p, 1, __LINE__);
  }

  /* rcv_nxt moved on by in-order data without a pop: the next insert
   * trims the held data, the next pop starts at rcv_nxt. */
  zn__tcp_ooo_init(&q);
  ZT_EQ(ins(&q, 100, 100, 1, false, 0), ZN__OOO_QUEUED);
  ZT_EQ(ins(&q, 20, 10, 1, false, 0), ZN__OOO_QUEUED);
  ZT_EQ(ins(&q, 300, 10, 1, false, 150), ZN__OOO_QUEUED);
  ZT_EQ(q.bytes, 60);
  ZT_EQ(q.nbufs, 2);
  ZT_EQ(zn__tcp_ooo_check(&q), 0);
  {
    bool fin = true;
    struct zn_buf *b = zn__tcp_ooo_pop(&q, 160, &fin);
    ZT_REQUIRE(b);
    ZT_CHECK(!fin);
    ZT_EQ(b->len, 40);
    ZT_CHECK(span_ok(b->data, 160, 160, 200, 1));
    zn_buf_free(b);
    ZT_CHECK(zn__tcp_ooo_pop(&q, 200, &fin) == NULL);
    ZT_EQ(q.bytes, 10);
  }
  zn__tcp_ooo_purge(&q);
  ZT_EQ(q.nbufs, 0);
  ZT_EQ(q.mem, 0);
  teardown();
}

ZT_TEST(test_wraparound) {
  setup(8, 1024);
  struct zn__tcp_ooo q;
  zn__tcp_ooo_init(&q);
  uint32_t rcv = 0xffffff00u;
  ZT_EQ(ins(&q, 0x10, 16, 0, false, rcv), ZN__OOO_QUEUED);
  ZT_EQ(ins(&q, 0xfffffff0u, 32, 0, false, rcv), ZN__OOO_QUEUED); /* crosses */
  ZT_EQ(ins(&q, 0xffffff80u, 16, 0, false, rcv), ZN__OOO_QUEUED);
  ZT_EQ(zn__tcp_ooo_check(&q), 0);
  uint32_t lo = 0, hi = 0;
  ZT_CHECK(zn__tcp_ooo_range(&q, &lo, &hi));
  ZT_EQU(lo, 0xffffff80u);
  ZT_EQU(hi, 0x20);
  struct zn__tcp_sack_block sb[4];
  ZT_EQ(zn__tcp_ooo_sack(&q, sb, 4), 2);
  ZT_EQU(sb[0].left, 0xffffff80u); /* latest */
  ZT_EQU(sb[0].right, 0xffffff90u);
  ZT_EQU(sb[1].left, 0xfffffff0u); /* contiguous across 2^32 */
  ZT_EQU(sb[1].right, 0x20);
  /* Overlap across the wrap: keeps [0xffffff90, 0xfffffff0). */
  ZT_EQ(ins(&q, 0xffffff88u, 0x80, 1, false, rcv), ZN__OOO_QUEUED);
  ZT_EQ(q.drop_split_bytes, 0);
  ZT_EQ(q.bytes, 16 + 32 + 16 + 0x60);
  ZT_EQ(zn__tcp_ooo_sack(&q, sb, 4), 1);
  ZT_EQU(sb[0].left, 0xffffff80u);
  ZT_EQU(sb[0].right, 0x20);
  ZT_EQ(ins(&q, rcv, 0x80, 0, false, rcv), ZN__OOO_QUEUED);
  uint8_t out[512];
  size_t n = 0;
  drain(&q, &rcv, out, &n, sizeof(out));
  ZT_EQU(rcv, 0x20);
  ZT_EQ(n, 0x120);
  ZT_CHECK(span_ok(out, 0xffffff00u, 0xffffff00u, 0xffffff90u, 0));
  ZT_CHECK(span_ok(out, 0xffffff00u, 0xffffff90u, 0xfffffff0u, 1));
  ZT_CHECK(span_ok(out, 0xffffff00u, 0xfffffff0u, 0x20, 0));
  ZT_EQ(q.nbufs, 0);
  teardown();
}

ZT_TEST(test_fin) {
  setup(8, 1024);
  struct zn__tcp_ooo q;
  bool fin;
  struct zn_buf *b;

  /* FIN on an out-of-order segment travels with it. */
  zn__tcp_ooo_init(&q);
  ZT_EQ(ins(&q, 100, 100, 0, true, 0), ZN__OOO_QUEUED);
  ZT_CHECK(q.have_fin);
  ZT_EQ(q.fin_seq, 200);
  ZT_EQ(ins(&q, 0, 100, 0, false, 0), ZN__OOO_QUEUED);
  b = zn__tcp_ooo_pop(&q, 0, &fin);
  ZT_REQUIRE(b);
  ZT_EQ(b->len, 100);
  ZT_CHECK(!fin);
  zn_buf_free(b);
  b = zn__tcp_ooo_pop(&q, 100, &fin);
  ZT_REQUIRE(b);
  ZT_EQ(b->len, 100);
  ZT_CHECK(fin);
  ZT_CHECK(!q.have_fin); /* reported once */
  zn_buf_free(b);
  ZT_CHECK(zn__tcp_ooo_pop(&q, 201, &fin) == NULL);
  ZT_CHECK(!fin);

  /* FIN-only segment beyond a hole: a mark, no buffer held. */
  zn__tcp_ooo_init(&q);
  ZT_EQ(ins(&q, 100, 100, 0, false, 0), ZN__OOO_QUEUED);
  ZT_EQ(ins(&q, 300, 0, 0, true, 0), ZN__OOO_QUEUED);
  ZT_EQ(q.nbufs, 1);
  ZT_EQ(zn_pool_in_use(&pool), 1);
  ZT_CHECK(q.have_fin);
  ZT_EQ(q.fin_seq, 300);
  ZT_EQ(ins(&q, 300, 0, 0, true, 0), ZN__OOO_DUP); /* same FIN again */
  ZT_EQ(zn__tcp_ooo_insert(&q, NULL, 300, true, 0), ZN__OOO_DUP);
  ZT_EQ(q.drop_bad_fin, 0);
  ZT_EQ(ins(&q, 200, 100, 0, true, 0), ZN__OOO_QUEUED); /* FIN agrees */
  ZT_EQ(ins(&q, 0, 100, 0, false, 0), ZN__OOO_QUEUED);
  {
    uint8_t out[512];
    size_t n = 0;
    uint32_t rcv = 0;
    ZT_CHECK(drain(&q, &rcv, out, &n, sizeof(out)));
    ZT_EQ(rcv, 300);
    ZT_CHECK(span_ok(out, 0, 0, 300, 0));
  }

  /* FIN-only segment right at rcv_nxt (the caller may pass it here),
   * without a buffer. */
  zn__tcp_ooo_init(&q);
  ZT_EQ(zn__tcp_ooo_insert(&q, NULL, 50, true, 50), ZN__OOO_QUEUED);
  fin = false;
  ZT_CHECK(zn__tcp_ooo_pop(&q, 50, &fin) == NULL);
  ZT_CHECK(fin);
  ZT_CHECK(!q.have_fin);

  /* Data beyond a known FIN is dropped, and counted. */
  zn__tcp_ooo_init(&q);
  ZT_EQ(ins(&q, 200, 0, 0, true, 0), ZN__OOO_QUEUED);
  ZT_EQ(ins(&q, 150, 110, 0, false, 0), ZN__OOO_QUEUED);
  ZT_EQ(q.bytes, 50);
  ZT_EQ(q.drop_fin_bytes, 60);
  ZT_EQ(ins(&q, 250, 50, 0, false, 0), ZN__OOO_DUP);
  ZT_EQ(q.drop_fin_bytes, 110);
  ZT_EQ(ins(&q, 200, 10, 0, false, 0), ZN__OOO_DUP);
  ZT_EQ(q.drop_fin_bytes, 120);
  ZT_EQ(q.drop_bad_fin, 0);
  /* A different FIN is ignored: the first one wins. */
  ZT_EQ(ins(&q, 250, 0, 0, true, 0), ZN__OOO_DUP);
  ZT_EQ(q.drop_bad_fin, 1);
  ZT_EQ(ins(&q, 100, 50, 0, true, 0), ZN__OOO_QUEUED); /* data kept */
  ZT_EQ(q.drop_bad_fin, 2);
  ZT_EQ(q.fin_seq, 200);
  ZT_EQ(q.bytes, 100);
  ZT_EQ(zn__tcp_ooo_check(&q), 0);
  b = zn__tcp_ooo_pop(&q, 100, &fin);
  ZT_REQUIRE(b);
  ZT_CHECK(!fin);
  zn_buf_free(b);
  b = zn__tcp_ooo_pop(&q, 150, &fin);
  ZT_REQUIRE(b);
  ZT_CHECK(fin);
  zn_buf_free(b);

  /* A FIN before held data is ignored. */
  zn__tcp_ooo_init(&q);
  ZT_EQ(ins(&q, 300, 100, 0, false, 0), ZN__OOO_QUEUED);
  ZT_EQ(ins(&q, 250, 0, 0, true, 0), ZN__OOO_DUP);
  ZT_EQ(ins(&q, 200, 60, 0, true, 0), ZN__OOO_QUEUED); /* data, no FIN */
  ZT_EQ(q.drop_bad_fin, 2);
  ZT_CHECK(!q.have_fin);
  ZT_EQ(zn__tcp_ooo_check(&q), 0);
  zn__tcp_ooo_purge(&q);

  /* A FIN whose segment is cut at held data still counts: its place is
   * known even though its tail data must come again. */
  zn__tcp_ooo_init(&q);
  ZT_EQ(ins(&q, 50, 10, 1, false, 0), ZN__OOO_QUEUED);
  ZT_EQ(ins(&q, 0, 100, 2, true, 0), ZN__OOO_QUEUED);
  ZT_CHECK(q.have_fin);
  ZT_EQ(q.fin_seq, 100);
  ZT_EQ(q.drop_split_bytes, 40);
  ZT_EQ(q.bytes, 60);
  ZT_EQ(ins(&q, 90, 20, 3, false, 0), ZN__OOO_QUEUED);
  ZT_EQ(q.drop_fin_bytes, 10);
  ZT_EQ(ins(&q, 60, 30, 4, false, 0), ZN__OOO_QUEUED);
  {
    uint8_t out[512];
    size_t n = 0;
    uint32_t rcv = 0;
    ZT_CHECK(drain(&q, &rcv, out, &n, sizeof(out)));
    ZT_EQ(n, 100);
    ZT_CHECK(span_ok(out, 0, 0, 50, 2));
    ZT_CHECK(span_ok(out, 0, 50, 60, 1));
    ZT_CHECK(span_ok(out, 0, 60, 90, 4));
    ZT_CHECK(span_ok(out, 0, 90, 100, 3));
  }

  /* A FIN already passed is forgotten; purge forgets a held one. */
  zn__tcp_ooo_init(&q);
  ZT_EQ(ins(&q, 100, 0, 0, true, 0), ZN__OOO_QUEUED);
  ZT_CHECK(zn__tcp_ooo_pop(&q, 101, &fin) == NULL);
  ZT_CHECK(!fin);
  ZT_CHECK(!q.have_fin);
  ZT_EQ(ins(&q, 100, 0, 0, true, 0), ZN__OOO_QUEUED);
  zn__tcp_ooo_purge(&q);
  ZT_CHECK(!q.have_fin);
  ZT_EQ(ins(&q, 90, 0, 0, true, 100), ZN__OOO_DUP); /* stale FIN */
  ZT_CHECK(!q.have_fin);
  /* rcv_nxt moved past a held FIN without a pop: it is forgotten. */
  ZT_EQ(ins(&q, 100, 0, 0, true, 0), ZN__OOO_QUEUED);
  ZT_EQ(ins(&q, 200, 10, 0, true, 150), ZN__OOO_QUEUED);
  ZT_CHECK(q.have_fin);
  ZT_EQ(q.fin_seq, 210);
  ZT_EQ(q.drop_bad_fin, 0);
  ZT_EQ(q.drop_fin_bytes, 0);
  zn__tcp_ooo_purge(&q);
  teardown();
}

static void expect_blocks(const struct zn__tcp_ooo *q, size_t n,
                          const uint32_t *want, size_t nwant, int line) {
  struct zn__tcp_sack_block sb[8];
  size_t k = zn__tcp_ooo_sack(q, sb, n);
  if (k != nwant) {
    zt_fail(__FILE__, line, "%zu SACK blocks, want %zu", k, nwant);
    return;
  }
  for (size_t i = 0; i < k; i++)
    if (sb[i].left != want[2 * i] || sb[i].right != want[2 * i + 1])
      zt_fail(__FILE__, line, "block %zu is [%u, %u), want [%u, %u)", i,
              (unsigned)sb[i].left, (unsigned)sb[i].right,
              (unsigned)want[2 * i], (unsigned)want[2 * i + 1]);
}

ZT_TEST(test_sack_blocks) {
  setup(16, 1024);
  struct zn__tcp_ooo q;
  zn__tcp_ooo_init(&q);
  uint32_t rcv = 1000;
  ZT_EQ(ins(&q, 1100, 100, 0, false, rcv), ZN__OOO_QUEUED);
  {
    const uint32_t w[] = {1100, 1200};
    expect_blocks(&q, 4, w, 1, __LINE__);
  }
  ZT_EQ(ins(&q, 1300, 100, 0, false, rcv), ZN__OOO_QUEUED);
  {
    const uint32_t w[] = {1300, 1400, 1100, 1200};
    expect_blocks(&q, 4, w, 2, __LINE__);
  }
  ZT_EQ(ins(&q, 1500, 100, 0, false, rcv), ZN__OOO_QUEUED);
  {
    const uint32_t w[] = {1500, 1600, 1100, 1200, 1300, 1400};
    expect_blocks(&q, 4, w, 3, __LINE__);
  }
  /* Joining a run makes that run the first block. */
  ZT_EQ(ins(&q, 1200, 50, 0, false, rcv), ZN__OOO_QUEUED);
  {
    const uint32_t w[] = {1100, 1250, 1300, 1400, 1500, 1600};
    expect_blocks(&q, 4, w, 3, __LINE__);
    expect_blocks(&q, 2, w, 2, __LINE__);
    expect_blocks(&q, 1, w, 1, __LINE__);
    expect_blocks(&q, 0, w, 0, __LINE__);
  }
  /* Left side of a run; then closing a gap merges two runs. */
  ZT_EQ(ins(&q, 1280, 20, 0, false, rcv), ZN__OOO_QUEUED);
  {
    const uint32_t w[] = {1280, 1400, 1100, 1250, 1500, 1600};
    expect_blocks(&q, 4, w, 3, __LINE__);
  }
  ZT_EQ(ins(&q, 1400, 100, 0, false, rcv), ZN__OOO_QUEUED);
  {
    const uint32_t w[] = {1280, 1600, 1100, 1250};
    expect_blocks(&q, 4, w, 2, __LINE__);
  }
  /* A duplicate names the run it repeated (RFC 2018 §4: the block
   * containing the segment that triggered this ACK). */
  ZT_EQ(ins(&q, 1120, 10, 0, false, rcv), ZN__OOO_DUP);
  {
    const uint32_t w[] = {1100, 1250, 1280, 1600};
    expect_blocks(&q, 4, w, 2, __LINE__);
  }
  /* More runs than blocks: the nearest come after the first. */
  ZT_EQ(ins(&q, 1700, 10, 0, false, rcv), ZN__OOO_QUEUED);
  ZT_EQ(ins(&q, 1800, 10, 0, false, rcv), ZN__OOO_QUEUED);
  ZT_EQ(ins(&q, 1900, 10, 0, false, rcv), ZN__OOO_QUEUED);
  ZT_EQ(ins(&q, 1750, 10, 0, false, rcv), ZN__OOO_QUEUED);
  {
    const uint32_t w[] = {1750, 1760, 1100, 1250, 1280, 1600, 1700, 1710};
    expect_blocks(&q, 4, w, 4, __LINE__);
  }
  /* The latest run delivered: no special first block any more. */
  ZT_EQ(ins(&q, 1000, 100, 0, false, rcv), ZN__OOO_QUEUED);
  uint8_t out[1024];
  size_t n = 0;
  drain(&q, &rcv, out, &n, sizeof(out));
  ZT_EQ(rcv, 1250);
  {
    const uint32_t w[] = {1280, 1600, 1700, 1710, 1750, 1760};
    expect_blocks(&q, 3, w, 3, __LINE__);
  }
  zn__tcp_ooo_purge(&q);
  teardown();
}

ZT_TEST(test_memory_accounting) {
  struct zn_pool small, big;
  size_t ls = zn_pool_mem_size(4, 512), lb = zn_pool_mem_size(4, 4096);
  void *ms = malloc(ls), *mb = malloc(lb);
  ZT_EQ(zn_pool_init(&small, ms, ls, 4, 512), ZN_OK);
  ZT_EQ(zn_pool_init(&big, mb, lb, 4, 4096), ZN_OK);
  struct zn__tcp_ooo q;
  zn__tcp_ooo_init(&q);
  struct zn_buf *b1 = seg_from(&small, 100, 10, 0);
  struct zn_buf *b2 = seg_from(&big, 200, 300, 0);
  struct zn_buf *b3 = seg_from(&big, 150, 60, 0);
  ZT_REQUIRE(b1 && b2 && b3);
  ZT_EQ(zn__tcp_ooo_insert(&q, b1, 100, false, 0), ZN__OOO_QUEUED);
  ZT_EQ(zn__tcp_ooo_insert(&q, b2, 200, false, 0), ZN__OOO_QUEUED);
  ZT_EQ(q.mem, 512 + 4096);
  ZT_EQ(q.bytes, 310);
  /* Trimmed to 50 bytes, it still holds a whole big buffer. */
  ZT_EQ(zn__tcp_ooo_insert(&q, b3, 150, false, 0), ZN__OOO_QUEUED);
  ZT_EQ(q.mem, 512 + 2 * 4096);
  ZT_EQ(q.bytes, 360);
  ZT_EQ(q.nbufs, 3);
  ZT_EQ(zn__tcp_ooo_check(&q), 0);
  bool fin;
  struct zn_buf *b = zn__tcp_ooo_pop(&q, 100, &fin);
  ZT_REQUIRE(b);
  zn_buf_free(b);
  ZT_EQ(q.mem, 2 * 4096);
  ZT_EQ(q.bytes, 350);
  zn__tcp_ooo_purge(&q);
  ZT_EQ(q.mem, 0);
  ZT_EQ(zn_pool_in_use(&small), 0);
  ZT_EQ(zn_pool_in_use(&big), 0);
  free(ms);
  free(mb);
}

/*
 * Randomized model test.  The model holds, per stream offset, whether a
 * byte is held and its value, and applies the documented policy with a
 * byte scan: a new segment keeps [p, r) where p is its first unheld byte at
 * or after max(seq, rcv_nxt) and r the next held byte.  Segments carry
 * random versions of the data, so first-arrival-wins is checked too.
 */
#define M_MAXLEN 60000u
#define M_SPAN (M_MAXLEN + 1)

/* Per run: window and segment sizes (dense or sparse overlaps), and the
 * stream length, at most M_MAXLEN. */
static uint32_t M_WIN, M_MAXSEG, M_STREAM;
static uint32_t rng_state;
static uint32_t rnd(void) {
  /* xorshift32: deterministic, seeded per run */
  uint32_t x = rng_state;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  return rng_state = x;
}
static uint32_t rnd_below(uint32_t n) { return rnd() % n; }

struct model {
  uint8_t held[M_SPAN];
  uint8_t val[M_SPAN];
  uint32_t rcv;       /* offset delivered up to */
  uint32_t nheld;
  bool fin_known, fin_done;
  uint64_t split;     /* expected drop_split_bytes */
  uint32_t last;      /* offset of the latest insert's first byte */
  bool have_last;
};

static struct model M;
static uint8_t model_out[M_SPAN], real_out[M_SPAN];

#define MCHECK(cond)                                                          \
  do {                                                                        \
    if (!(cond)) {                                                            \
      zt_fail(__FILE__, __LINE__, "seed %u step %u: %s", (unsigned)seed,      \
              (unsigned)step, #cond);                                         \
      return 1;                                                               \
    }                                                                         \
  } while (0)

/* SACK runs from the model, first block rule included. */
static size_t model_sack(uint32_t base, struct zn__tcp_sack_block *out,
                         size_t n) {
  size_t k = 0;
  uint32_t first_l = 0;
  bool have_first = false;
  if (n == 0)
    return 0;
  if (M.have_last && M.last >= M.rcv && M.held[M.last]) {
    uint32_t l = M.last, r = M.last;
    while (l > M.rcv && M.held[l - 1])
      l--;
    while (r < M_STREAM && M.held[r])
      r++;
    out[k].left = base + l;
    out[k].right = base + r;
    k++;
    first_l = l;
    have_first = true;
  }
  uint32_t lim = M.rcv + M_WIN + 2 * M_MAXSEG + 400; /* nothing held past */
  if (lim > M_STREAM)
    lim = M_STREAM;
  for (uint32_t x = M.rcv; x < lim && k < n;) {
    if (!M.held[x]) {
      x++;
      continue;
    }
    uint32_t r = x;
    while (r < M_STREAM && M.held[r])
      r++;
    if (!have_first || x != first_l) {
      out[k].left = base + x;
      out[k].right = base + r;
      k++;
    }
    x = r;
  }
  return k;
}

/* Pop everything the real queue gives and compare with the model. */
static int model_drain(struct zn__tcp_ooo *q, uint32_t base, uint32_t seed,
                       uint32_t step) {
  bool fin = false;
  struct zn_buf *b;
  while ((b = zn__tcp_ooo_pop(q, base + M.rcv, &fin)) != NULL) {
    uint32_t len = b->len;
    int bad = M.rcv + len > M_STREAM;
    for (uint32_t i = 0; !bad && i < len; i++) {
      uint32_t o = M.rcv + i;
      if (!M.held[o] || M.val[o] != b->data[i])
        bad = 1;
      real_out[o] = b->data[i];
      model_out[o] = M.val[o];
      M.held[o] = 0;
      M.nheld--;
    }
    zn_buf_free(b);
    MCHECK(!bad);
    M.rcv += len;
    if (fin)
      break;
  }
  MCHECK(M.rcv > M_STREAM || !M.held[M.rcv]);
  MCHECK(fin == (M.fin_known && M.rcv == M_STREAM));
  if (fin)
    M.fin_done = true;
  return 0;
}

static int model_step(struct zn__tcp_ooo *q, uint32_t base, uint32_t seed,
                      uint32_t step) {
  /* A segment near the receive window, sometimes exactly at rcv_nxt. */
  uint32_t lo = M.rcv > 200 ? M.rcv - 200 : 0;
  uint32_t start = rnd_below(8) == 0 ? M.rcv : lo + rnd_below(M_WIN + 200);
  uint32_t len = rnd_below(8) == 0 ? 0 : 1 + rnd_below(M_MAXSEG);
  if (start > M_STREAM)
    start = M_STREAM;
  if (start + len > M_STREAM)
    len = M_STREAM - start;
  bool fin = start + len == M_STREAM && rnd_below(2) == 0;
  unsigned ver = rnd_below(4);
  struct zn_buf *b = seg(base + start, len, ver);
  MCHECK(b != NULL);

  if (start <= M.rcv && start + len > M.rcv && rnd_below(2) == 0) {
    /* In order: the caller delivers it itself, ahead of held data. */
    for (uint32_t o = M.rcv; o < start + len; o++) {
      real_out[o] = model_out[o] = pat(base + o, ver);
      if (M.held[o]) {
        M.held[o] = 0;
        M.nheld--;
      }
    }
    M.rcv = start + len;
    zn_buf_free(b);
    if (fin)
      M.fin_done = true;
    else
      return model_drain(q, base, seed, step);
    return 0;
  }

  /* The model's verdict. */
  int want = ZN__OOO_DUP;
  if (fin && !M.fin_known) {
    M.fin_known = true;
    want = ZN__OOO_QUEUED;
  }
  uint32_t p = start > M.rcv ? start : M.rcv, e = start + len;
  if (p < e) {
    M.last = p;
    M.have_last = true;
  }
  while (p < e && M.held[p])
    p++;
  uint32_t r = p;
  while (r < e && !M.held[r])
    r++;
  for (uint32_t o = r; o < e; o++)
    M.split += !M.held[o];
  if (p < r)
    want = ZN__OOO_QUEUED;
  for (uint32_t o = p; o < r; o++) {
    M.held[o] = 1;
    M.val[o] = pat(base + o, ver);
    M.nheld++;
  }

  int got = zn__tcp_ooo_insert(q, b, base + start, fin, base + M.rcv);
  MCHECK(got == want);
  MCHECK(q->drop_split_bytes == M.split);
  MCHECK(q->bytes == M.nheld);
  MCHECK(q->nbufs == zn_pool_in_use(&pool));
  MCHECK(q->mem == q->nbufs * pool.size);
  MCHECK(q->have_fin == M.fin_known);
  MCHECK(q->drop_fin_bytes == 0 && q->drop_bad_fin == 0);
  {
    MCHECK(zn__tcp_ooo_check(q) == 0);
    struct zn__tcp_sack_block got_sb[4], want_sb[4];
    size_t n = 1 + rnd_below(4);
    size_t gk = zn__tcp_ooo_sack(q, got_sb, n);
    size_t wk = model_sack(base, want_sb, n);
    MCHECK(gk == wk);
    MCHECK(memcmp(got_sb, want_sb, gk * sizeof(got_sb[0])) == 0);
    uint32_t rlo = 0, rhi = 0, mlo = M.rcv, mhi;
    bool any = zn__tcp_ooo_range(q, &rlo, &rhi);
    MCHECK(any == (M.nheld > 0));
    if (any) {
      while (!M.held[mlo])
        mlo++;
      mhi = M.rcv + M_WIN + 2 * M_MAXSEG + 400; /* nothing held past */
      if (mhi > M_STREAM)
        mhi = M_STREAM;
      while (!M.held[mhi - 1])
        mhi--;
      MCHECK(rlo == base + mlo);
      MCHECK(rhi == base + mhi);
    }
  }
  return model_drain(q, base, seed, step);
}

static int model_run(uint32_t seed, uint32_t steps, uint32_t base,
                     uint32_t *streams) {
  struct zn__tcp_ooo q;
  uint32_t step = 0;
  rng_state = seed;
  *streams = 0;
  while (step < steps) {
    memset(&M, 0, sizeof(M));
    zn__tcp_ooo_init(&q);
    base += 0x9e3779b9u; /* somewhere else, wrapping at times */
    while (step < steps && !M.fin_done) {
      if (model_step(&q, base, seed, step)) {
        zn__tcp_ooo_purge(&q);
        return 1;
      }
      step++;
    }
    if (M.fin_done) {
      (*streams)++;
      if (memcmp(real_out, model_out, M_STREAM) != 0) {
        zt_fail(__FILE__, __LINE__, "seed %u: streams differ", (unsigned)seed);
        return 1;
      }
      /* Bytes first held win, so version-0 data only where it came first;
       * but every byte that arrived is some version of the right place. */
    }
    ZT_EQ(zn__tcp_ooo_check(&q), 0);
    zn__tcp_ooo_purge(&q);
  }
  return 0;
}

static struct zn_buf *pool_alloc(void *p, size_t len) {
  (void)len;
  return zn_pool_alloc(p);
}

/* The queue's insert policy (zn__tcp_ooo_insert_whole): a segment that
 * spans two gaps is held whole, the part beyond the first gap as a copy,
 * and nothing counts as split off (plain zn__tcp_ooo_insert keeps only the
 * first gap's part); a duplicate holds nothing; nothing is held beyond
 * the storage bound. */
ZT_TEST(test_insert_whole) {
  setup(16, 2048);
  struct zn__tcp_ooo q;
  zn__tcp_ooo_init(&q);
  ZT_EQ(ins(&q, 100, 100, 0, false, 0), ZN__OOO_QUEUED);
  ZT_EQ(ins(&q, 300, 100, 0, false, 0), ZN__OOO_QUEUED);
  unsigned r = zn__tcp_ooo_insert_whole(&q, seg(50, 400, 0), 50, false, 0,
                                        UINT32_MAX, pool_alloc, &pool);
  ZT_EQ(r, ZN__OOO_HELD);
  ZT_EQ(q.drop_split_bytes, 0);
  ZT_EQ(q.bytes, 400);
  uint32_t lo, hi;
  ZT_CHECK(zn__tcp_ooo_range(&q, &lo, &hi) && lo == 50 && hi == 450);
  struct zn__tcp_sack_block sb[4];
  ZT_EQ(zn__tcp_ooo_sack(&q, sb, 4), 1);
  ZT_CHECK(sb[0].left == 50 && sb[0].right == 450);
  ZT_EQ(zn__tcp_ooo_check(&q), 0);
  /* Nothing new: a duplicate. */
  r = zn__tcp_ooo_insert_whole(&q, seg(120, 50, 1), 120, false, 0, UINT32_MAX,
                               pool_alloc, &pool);
  ZT_EQ(r, 0);
  /* No room under the bound: freed, and said so. */
  r = zn__tcp_ooo_insert_whole(&q, seg(500, 100, 0), 500, false, 0, q.mem,
                               pool_alloc, &pool);
  ZT_EQ(r, ZN__OOO_OVER_MEM);
  ZT_CHECK(zn__tcp_ooo_range(&q, &lo, &hi) && hi == 450);
  /* In order from 50: the true stream, whole. */
  uint8_t out[512];
  size_t n = 0;
  uint32_t rcv = 50;
  ZT_CHECK(!drain(&q, &rcv, out, &n, sizeof(out)));
  ZT_EQ(n, 400);
  ZT_CHECK(span_ok(out, 50, 50, 450, 0));
  ZT_EQ(q.nbufs, 0);
  teardown();
}

ZT_TEST(test_random_model) {
  setup(8192, 1024);
  static const struct {
    uint32_t seed, win, maxseg, len;
  } runs[] = {
      {1, 4000, 600, 60000},       {2, 4000, 600, 60000},
      {0xdeadbeef, 1000, 300, 20000}, {12345, 300, 80, 4000},
      {777, 64, 16, 800},          {4242, 3000, 800, 60000},
  };
  uint32_t total = 0, nruns = sizeof(runs) / sizeof(runs[0]);
  for (uint32_t i = 0; i < nruns; i++) {
    uint32_t streams = 0;
    M_WIN = runs[i].win;
    M_MAXSEG = runs[i].maxseg;
    M_STREAM = runs[i].len;
    if (model_run(runs[i].seed, 20000, 0xffff0000u + i * 0x1111u, &streams))
      break;
    printf("# seed %u, window %u, segments up to %u: %u streams\n",
           (unsigned)runs[i].seed, (unsigned)M_WIN, (unsigned)M_MAXSEG,
           (unsigned)streams);
    total += streams;
    ZT_CHECK(streams >= 1);
    ZT_EQ(zn_pool_in_use(&pool), 0);
  }
  printf("# random model: %u x 20000 segments, %u streams reassembled\n",
         (unsigned)nruns, (unsigned)total);
  teardown();
}

static unsigned ilog2(uint32_t n) {
  unsigned l = 0;
  while (n >>= 1)
    l++;
  return l;
}

static double ms_since(clock_t t0) {
  return (double)(clock() - t0) * 1000.0 / CLOCKS_PER_SEC;
}

/* AVL: height < 1.4405 * log2(n + 2); 3 * log2(n) + 4 is the brief's. */
static void check_height(const struct zn__tcp_ooo *q) {
  unsigned h = zn__tcp_ooo_height(q), l = ilog2(q->nbufs + 2) + 1;
  ZT_CHECK(h <= 3 * ilog2(q->nbufs) + 4);
  ZT_CHECK(h * 100 <= 145 * l);
}

#define S_N 50000u

static void scale_order(const char *name, const uint32_t *order) {
  struct zn__tcp_ooo q;
  zn__tcp_ooo_init(&q);
  uint32_t base = 0xfff00000u, rcv = base; /* wraps along the way */
  clock_t t0 = clock();
  for (uint32_t i = 0; i < S_N; i++) {
    uint32_t k = order[i];
    if (ins(&q, base + 16 * k + 8, 8, 0, false, rcv) != ZN__OOO_QUEUED) {
      ZT_CHECK(0);
      break;
    }
  }
  double t_ins = ms_since(t0);
  ZT_EQ(q.nbufs, S_N);
  ZT_EQ(q.bytes, 8 * S_N);
  ZT_EQ(zn__tcp_ooo_check(&q), 0);
  check_height(&q);
  unsigned h = zn__tcp_ooo_height(&q);

  /* Duplicates and SACK generation against the full tree. */
  t0 = clock();
  struct zn__tcp_sack_block sb[4];
  for (uint32_t i = 0; i < S_N; i++) {
    uint32_t k = order[i];
    ZT_EQ(ins(&q, base + 16 * k + 8, 8, 0, false, rcv), ZN__OOO_DUP);
    ZT_EQ(zn__tcp_ooo_sack(&q, sb, 4), 4);
  }
  double t_dup = ms_since(t0);
  ZT_EQ(sb[0].left, base + 16 * order[S_N - 1] + 8);
  ZT_EQ(sb[1].left, base + (order[S_N - 1] == 0 ? 24 : 8));

  /* Deliver the holes in order; each pop takes one held segment. */
  t0 = clock();
  uint32_t popped = 0;
  for (uint32_t i = 0; i < S_N; i++) {
    rcv += 8; /* the hole arrived in order */
    bool fin;
    struct zn_buf *b = zn__tcp_ooo_pop(&q, rcv, &fin);
    if (!b)
      break;
    rcv += b->len;
    zn_buf_free(b);
    popped++;
  }
  double t_pop = ms_since(t0);
  ZT_EQ(popped, S_N);
  ZT_EQ(q.nbufs, 0);
  printf("# %s: %u segments, height %u; insert %.1f ms, dup+sack %.1f ms, "
         "pop %.1f ms\n",
         name, (unsigned)S_N, h, t_ins, t_dup, t_pop);
}

ZT_TEST(test_scale) {
  setup(S_N + 8, 256);
  uint32_t *order = malloc(S_N * sizeof(*order));
  ZT_REQUIRE(order);
  for (uint32_t i = 0; i < S_N; i++)
    order[i] = i;
  scale_order("ascending", order);
  for (uint32_t i = 0; i < S_N; i++)
    order[i] = S_N - 1 - i;
  scale_order("descending", order);
  rng_state = 42;
  for (uint32_t i = S_N - 1; i > 0; i--) {
    uint32_t j = rnd_below(i + 1), t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  scale_order("shuffled", order);
  /* Alternating from both ends, the inserts land far apart. */
  for (uint32_t i = 0; i < S_N; i++)
    order[i] = (i % 2) ? S_N - 1 - i / 2 : i / 2;
  scale_order("zigzag", order);
  free(order);

  /* One hole, then one long run growing at its right end, with a SACK
   * after every segment: each must see the whole run as the first block
   * without walking it. */
  struct zn__tcp_ooo q;
  zn__tcp_ooo_init(&q);
  uint32_t rcv = 7;
  struct zn__tcp_sack_block sb[4];
  clock_t t0 = clock();
  for (uint32_t i = 0; i < S_N; i++) {
    ZT_EQ(ins(&q, rcv + 1 + 4 * i, 4, 0, false, rcv), ZN__OOO_QUEUED);
    if (zn__tcp_ooo_sack(&q, sb, 4) != 1 || sb[0].left != rcv + 1 ||
        sb[0].right != rcv + 1 + 4 * (i + 1)) {
      ZT_CHECK(0);
      break;
    }
  }
  double t_run = ms_since(t0);
  check_height(&q);
  ZT_EQ(zn__tcp_ooo_check(&q), 0);
  /* A late copy of the run's start finds the run's end (to know it is a
   * duplicate), and one reaching past the run keeps just its tail: each an
   * O(log n) step, not a walk over 50,000 buffers. */
  t0 = clock();
  ZT_EQ(ins(&q, rcv + 1, 64, 0, false, rcv), ZN__OOO_DUP);
  ZT_EQ(ins(&q, rcv + 4 * S_N - 3, 8, 0, false, rcv), ZN__OOO_QUEUED);
  ZT_EQ(q.bytes, 4 * S_N + 4);
  ZT_EQ(q.drop_split_bytes, 0);
  double t_late = ms_since(t0);
  t0 = clock();
  uint32_t n = 0;
  rcv++;
  struct zn_buf *b;
  bool fin;
  while ((b = zn__tcp_ooo_pop(&q, rcv, &fin)) != NULL) {
    rcv += b->len;
    zn_buf_free(b);
    n++;
  }
  ZT_EQ(n, S_N + 1);
  printf("# growing run: %u segments with a SACK each %.1f ms, two late "
         "segments %.3f ms, drained in %.1f ms\n",
         (unsigned)S_N, t_run, t_late, ms_since(t0));
  teardown();
}

/* A segment across more gaps than one insert fills (OOO_WHOLE_GAPS, 64):
 * it fills the first 64, and the copy of the rest is freed and counted,
 * not leaked.  100 one-byte segments held one byte apart, then 200 bytes
 * over them all. */
ZT_TEST(test_insert_whole_many_gaps_frees_rest) {
  setup(300, 2048);
  struct zn__tcp_ooo q;
  zn__tcp_ooo_init(&q);
  uint32_t rcv = 1000;
  for (uint32_t k = 0; k < 100; k++)
    ZT_EQ(ins(&q, rcv + 1 + 2 * k, 1, 0, false, rcv), ZN__OOO_QUEUED);
  struct zn_buf *b = seg(rcv + 1, 200, 0);
  ZT_REQUIRE(b);
  unsigned res = zn__tcp_ooo_insert_whole(&q, b, rcv + 1, false, rcv,
                                          UINT32_MAX, pool_alloc, &pool);
  ZT_EQ(res, ZN__OOO_HELD);
  ZT_EQ(q.nbufs, 164);
  ZT_EQ(zn_pool_in_use(&pool), 164);
  ZT_EQ(q.drop_split_bytes, 36);
  ZT_EQ(zn__tcp_ooo_check(&q), 0);
  zn__tcp_ooo_purge(&q);
  teardown();
}

int main(void) {
  ZT_RUN(test_empty);
  ZT_RUN(test_insert_whole_many_gaps_frees_rest);
  ZT_RUN(test_in_order_after_holes_fill);
  ZT_RUN(test_overlaps);
  ZT_RUN(test_wraparound);
  ZT_RUN(test_fin);
  ZT_RUN(test_sack_blocks);
  ZT_RUN(test_memory_accounting);
  ZT_RUN(test_insert_whole);
  ZT_RUN(test_random_model);
  ZT_RUN(test_scale);
  return zt_done();
}
