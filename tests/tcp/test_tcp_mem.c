/* TCP's stack-wide memory shares (src/tcp/tcp_mem.c): the receive share
 * a window may take, worked out without a division while memory is
 * plenty, must be what the rule with its division gives. */
#include <string.h>

#include "zt.h"
#include "core/stack_int.h"
#include "internals.h"
#include "tcp/tcp_int.h"

/* Deterministic test randomness (xorshift64*). */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rnd64(void) {
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return rng_state * 0x2545f4914f6cdd1dull;
}
static uint32_t rnd32(void) { return (uint32_t)(rnd64() >> 32); }

/* The rule as it was written before (one 64-bit division every time),
 * then bounded by want as the callers bound it. */
static uint32_t share_reference(const struct zn__tcp *t, uint32_t seg_size,
                                uint32_t adv_charged, uint32_t want) {
  uint32_t cap = t->mem_limit - t->mem_limit / 4;
  uint64_t share;
  if (t->mem_bufs >= t->mem_limit || t->mem_rcv >= cap) {
    share = 0;
  } else {
    uint64_t room = (uint64_t)(cap - t->mem_rcv) * seg_size;
    uint64_t others = t->promised - adv_charged;
    uint32_t n = t->npromised - (adv_charged != 0) + 1u;
    uint64_t fair = room / n;
    uint64_t all = room;
    room = room > others ? room - others : 0;
    if (room < fair)
      room = fair;
    if (room < seg_size && all >= seg_size)
      room = seg_size; /* a segment each while the room takes one */
    share = room > UINT32_MAX ? UINT32_MAX : room;
  }
  return share < want ? (uint32_t)share : want;
}

/* One of a few values that sit on the edges, or anything below max. */
static uint32_t pick(uint32_t max, const uint32_t *edges, size_t nedges) {
  uint32_t r = rnd32();
  if (r % 4 == 0)
    return edges[rnd32() % nedges];
  return max ? rnd32() % max : 0;
}

/* The state of the sums a share is taken from: consistent (adv_charged
 * is among promised, its connection among npromised), with the room and
 * the promises near each other often enough that every branch is taken. */
static void random_state(struct zn__tcp *t, uint32_t *adv_charged) {
  static const uint32_t limits[] = {1, 2, 3, 4, 8, 192, 1536, 65536,
                                    UINT32_MAX / 2};
  memset(t, 0, sizeof(*t));
  t->mem_limit = limits[rnd32() % (sizeof(limits) / sizeof(limits[0]))];
  uint32_t cap = t->mem_limit - t->mem_limit / 4;
  static const uint32_t used_edges[] = {0, 1, 2};
  t->mem_rcv = pick(cap + 2, used_edges, 3);
  t->mem_bufs = t->mem_rcv + pick(t->mem_limit + 2, used_edges, 3);
  static const uint32_t n_edges[] = {0, 1, 2, 3, 1000, 70000};
  t->npromised = pick(200, n_edges, 6);
  static const uint32_t adv_edges[] = {0, 1, 65535, 65536, UINT32_MAX};
  *adv_charged = t->npromised ? pick(1u << 20, adv_edges, 5) : 0;
  uint64_t room = (uint64_t)cap * 1460u;
  uint64_t others;
  switch (rnd32() % 4) {
  case 0:
    others = 0;
    break;
  case 1:
    others = room ? rnd64() % (room + 1) : 0; /* near the room */
    break;
  case 2:
    others = (uint64_t)t->npromised * rnd32();
    break;
  default:
    others = rnd64() >> (rnd32() % 64);
    break;
  }
  t->promised = others + *adv_charged;
}

ZT_TEST(test_rcv_share_matches_division) {
  static const uint32_t seg_edges[] = {8, 536, 1448, 1460, 8948, 65535};
  static const uint32_t want_edges[] = {0, 1, 535, 536, 8192, 65535,
                                        131072, 1u << 30, UINT32_MAX};
  unsigned mismatches = 0;
  for (int i = 0; i < 2000000; i++) {
    struct zn__tcp t;
    uint32_t adv;
    random_state(&t, &adv);
    uint32_t seg = seg_edges[rnd32() % 6];
    uint32_t want = pick(1u << 22, want_edges, 9);
    uint32_t got = zn__tcp_rcv_share_of(&t, seg, adv, want);
    uint32_t ref = share_reference(&t, seg, adv, want);
    if (got != ref && mismatches++ < 5)
      zt_fail(__FILE__, __LINE__, "limit %u bufs %u rcv %u promised %llu n %u adv %u seg %u "
              "want %u: %u, the division gives %u",
              t.mem_limit, t.mem_bufs, t.mem_rcv,
              (unsigned long long)t.promised, t.npromised, adv, seg, want,
              got, ref);
  }
  ZT_EQ(mismatches, 0);
}

/* Exhaustively over a small stack: every use of the bound, every number
 * of windows held open, promises on both sides of the room. */
ZT_TEST(test_rcv_share_matches_division_small) {
  unsigned mismatches = 0, cases = 0;
  struct zn__tcp t;
  memset(&t, 0, sizeof(t));
  t.mem_limit = 16; /* cap 12 */
  for (uint32_t rcv = 0; rcv <= 13; rcv++)
    for (uint32_t n = 0; n <= 5; n++)
      for (uint64_t others = 0; others <= 12 * 600; others += 97)
        for (uint32_t adv = 0; adv <= 2000; adv += n ? 333 : 2001)
          for (uint32_t want = 0; want <= 9000; want += 251) {
            t.mem_rcv = t.mem_bufs = rcv;
            t.npromised = n;
            t.promised = others + adv;
            uint32_t got = zn__tcp_rcv_share_of(&t, 536, adv, want);
            uint32_t ref = share_reference(&t, 536, adv, want);
            cases++;
            if (got != ref && mismatches++ < 5)
              zt_fail(__FILE__, __LINE__, "rcv %u n %u others %llu adv %u want %u: %u, the "
                      "division gives %u", rcv, n,
                      (unsigned long long)others, adv, want, got, ref);
          }
  ZT_CHECK(cases > 100000);
  ZT_EQ(mismatches, 0);
}

int main(void) {
  ZT_RUN(test_rcv_share_matches_division);
  ZT_RUN(test_rcv_share_matches_division_small);
  return zt_done();
}
