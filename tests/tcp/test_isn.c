/* RFC 6528 ISNs and SYN cookies (src/tcp/tcp_isn.c). */
#include <string.h>

#include "zt.h"
#include "znet.h"
#include "znet/hash.h"
#include "tcp/tcp_isn.h"

static const uint8_t key_a[16] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05,
                                  0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b,
                                  0x0c, 0x0d, 0x0e, 0x0f};
static const uint8_t key_b[16] = {0x9e, 0x37, 0x79, 0xb9, 0x7f, 0x4a,
                                  0x7c, 0x15, 0xf3, 0x9c, 0xc0, 0x60,
                                  0x5c, 0xed, 0xc8, 0x34};

static const struct zn__tcp_4tuple tup = {
    .laddr = {ZN_AF_INET, {10, 0, 0, 1}}, .raddr = {ZN_AF_INET, {192, 0, 2, 7}},
    .lport = 80, .rport = 49152};

/* Deterministic test randomness (xorshift64*). */
static uint64_t rng_state = 0x243f6a8885a308d3ull;
static uint32_t rnd32(void) {
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return (uint32_t)((rng_state * 0x2545f4914f6cdd1dull) >> 32);
}

static struct zn__tcp_4tuple rnd_tuple(void) {
  struct zn__tcp_4tuple t = {.laddr = zn_ip_from_v4(rnd32()),
                             .raddr = zn_ip_from_v4(rnd32()),
                             .lport = (uint16_t)rnd32(),
                             .rport = (uint16_t)rnd32()};
  return t;
}

static int popcount32(uint32_t x) {
  int n = 0;
  for (; x; x &= x - 1)
    n++;
  return n;
}

/* Flip bit `bit` (0..95) of the tuple's address/port fields. */
static struct zn__tcp_4tuple flip_tuple(struct zn__tcp_4tuple t, unsigned bit) {
  if (bit < 32)
    t.laddr.bytes[bit / 8] ^= (uint8_t)(1u << (bit % 8));
  else if (bit < 64)
    t.raddr.bytes[(bit - 32) / 8] ^= (uint8_t)(1u << (bit % 8));
  else if (bit < 80)
    t.lport = (uint16_t)(t.lport ^ (1u << (bit - 64)));
  else
    t.rport = (uint16_t)(t.rport ^ (1u << (bit - 80)));
  return t;
}

/* ---- ISN ---------------------------------------------------------------- */

/* Pins the serialization: domain 0x00, then laddr, lport, raddr, rport,
 * big-endian, no padding; F = low 32 bits; M = now / 4 µs. */
ZT_TEST(test_isn_layout) {
  const uint8_t bytes[13] = {0x00, 10, 0, 0, 1, 0x00, 80,
                             192, 0, 2, 7, 0xc0, 0x00};
  uint32_t f = (uint32_t)zn_siphash24(key_a, bytes, sizeof(bytes));
  ZT_EQU(zn__tcp_isn(key_a, &tup, 0), f);
  ZT_EQU(zn__tcp_isn(key_a, &tup, ZN_US(4) * 12345 + 3999), f + 12345u);
}

/* The TSval offset is the high half of the same hash (RFC 7323 §5.4);
 * zn__tcp_isn_ts gives both from it.  Keyed: another key, another
 * offset; the connection a cookie becomes asks zn__tcp_ts_offset and
 * finds the offset its SYN-ACK was sent with. */
ZT_TEST(test_ts_offset_other_half) {
  const uint8_t bytes[13] = {0x00, 10, 0, 0, 1, 0x00, 80,
                             192, 0, 2, 7, 0xc0, 0x00};
  uint64_t h = zn_siphash24(key_a, bytes, sizeof(bytes));
  ZT_EQU(zn__tcp_ts_offset(key_a, &tup), (uint32_t)(h >> 32));
  uint32_t ts = 0;
  uint64_t now = ZN_SEC(77) + 12345;
  ZT_EQU(zn__tcp_isn_ts(key_a, &tup, now, &ts), zn__tcp_isn(key_a, &tup, now));
  ZT_EQU(ts, (uint32_t)(h >> 32));
  ZT_CHECK(zn__tcp_ts_offset(key_b, &tup) != ts);
  int same = 0;
  for (int i = 0; i < 1000; i++) {
    struct zn__tcp_4tuple t = rnd_tuple();
    uint32_t a = 0, b = zn__tcp_ts_offset(key_a, &t);
    (void)zn__tcp_isn_ts(key_a, &t, now, &a);
    ZT_EQU(a, b);
    same += b == zn__tcp_ts_offset(key_b, &t);
    same += b == (uint32_t)(zn__tcp_isn(key_a, &t, 0));
  }
  ZT_CHECK(same <= 1);
}

ZT_TEST(test_isn_keys_and_tuples) {
  uint64_t now = ZN_SEC(1000);
  uint32_t a = zn__tcp_isn(key_a, &tup, now);
  ZT_CHECK(a != zn__tcp_isn(key_b, &tup, now));

  /* One-bit changes to the key or the tuple change each output bit with
   * probability 1/2: mean Hamming distance ~16 (sd of the mean ~0.1). */
  long dist = 0;
  int n = 0, same = 0;
  for (unsigned bit = 0; bit < 128; bit++) {
    uint8_t k[16];
    memcpy(k, key_a, 16);
    k[bit / 8] = (uint8_t)(k[bit / 8] ^ (1u << (bit % 8)));
    uint32_t b = zn__tcp_isn(k, &tup, now);
    dist += popcount32(a ^ b);
    same += a == b;
    n++;
  }
  for (int r = 0; r < 50; r++) {
    struct zn__tcp_4tuple t = rnd_tuple();
    uint32_t base = zn__tcp_isn(key_a, &t, now);
    for (unsigned bit = 0; bit < 96; bit++) {
      struct zn__tcp_4tuple u = flip_tuple(t, bit);
      uint32_t b = zn__tcp_isn(key_a, &u, now);
      dist += popcount32(base ^ b);
      same += base == b;
      n++;
    }
  }
  double mean = (double)dist / n;
  printf("# mean Hamming distance over %d one-bit changes: %.3f\n", n, mean);
  ZT_CHECK(mean > 15.5 && mean < 16.5);
  ZT_EQ(same, 0);
}

ZT_TEST(test_isn_swap_local_remote) {
  struct zn__tcp_4tuple sw = {.laddr = tup.raddr, .raddr = tup.laddr,
                              .lport = tup.rport, .rport = tup.lport};
  ZT_CHECK(zn__tcp_isn(key_a, &tup, 0) != zn__tcp_isn(key_a, &sw, 0));
  /* Swapping only ports, or only addresses, changes it too. */
  struct zn__tcp_4tuple ports = tup, addrs = tup;
  ports.lport = tup.rport;
  ports.rport = tup.lport;
  addrs.laddr = tup.raddr;
  addrs.raddr = tup.laddr;
  ZT_CHECK(zn__tcp_isn(key_a, &tup, 0) != zn__tcp_isn(key_a, &ports, 0));
  ZT_CHECK(zn__tcp_isn(key_a, &tup, 0) != zn__tcp_isn(key_a, &addrs, 0));
}

ZT_TEST(test_isn_clock) {
  uint64_t t0 = ZN_SEC(12345) + 1234; /* not on a tick boundary */
  uint32_t i0 = zn__tcp_isn(key_a, &tup, t0);
  ZT_EQU(zn__tcp_isn(key_a, &tup, t0 + ZN_SEC(1)) - i0, 250000u);
  ZT_EQU(zn__tcp_isn(key_a, &tup, t0 + ZN_MS(1)) - i0, 250u);
  ZT_EQU(zn__tcp_isn(key_a, &tup, t0 + ZN_SEC(60)) - i0, 15000000u);
  /* Ticks every 4 µs: same within a tick, +1 at the next one. */
  uint64_t b = ZN_US(4) * 1000000; /* a tick boundary */
  uint32_t ib = zn__tcp_isn(key_a, &tup, b);
  ZT_EQU(zn__tcp_isn(key_a, &tup, b + 3999), ib);
  ZT_EQU(zn__tcp_isn(key_a, &tup, b + 4000), ib + 1u);
  ZT_EQU(zn__tcp_isn(key_a, &tup, b - 1), ib - 1u);
  /* Increases monotonically (mod 2^32) over a long stretch. */
  uint32_t prev = zn__tcp_isn(key_a, &tup, 0);
  int bad = 0;
  for (uint64_t t = ZN_MS(7); t < ZN_SEC(4000); t += ZN_MS(7919)) {
    uint32_t cur = zn__tcp_isn(key_a, &tup, t);
    bad += (int32_t)(cur - prev) <= 0;
    prev = cur;
  }
  ZT_EQ(bad, 0);
}

ZT_TEST(test_isn_wraps) {
  /* M = now / 4 µs wraps every 2^32 ticks (~4.77 h). */
  const uint64_t period = (uint64_t)ZN_US(4) << 32;
  uint64_t t0 = ZN_SEC(777);
  ZT_EQU(zn__tcp_isn(key_a, &tup, t0 + period), zn__tcp_isn(key_a, &tup, t0));
  ZT_EQU(zn__tcp_isn(key_a, &tup, t0 + 5 * period),
         zn__tcp_isn(key_a, &tup, t0));
  /* Across the wrap of M the step is still +1 per tick. */
  uint64_t last = period - ZN_US(4); /* M = 0xffffffff */
  uint32_t i_last = zn__tcp_isn(key_a, &tup, last);
  ZT_EQU(zn__tcp_isn(key_a, &tup, last + ZN_US(4)) - i_last, 1u);
  ZT_EQU(zn__tcp_isn(key_a, &tup, last + ZN_SEC(1)) - i_last, 250000u);
  ZT_EQU(zn__tcp_isn(key_a, &tup, period), zn__tcp_isn(key_a, &tup, 0));
  /* And near the end of the 64-bit clock. */
  uint64_t end = UINT64_MAX - ZN_SEC(1);
  ZT_EQU(zn__tcp_isn(key_a, &tup, end + ZN_SEC(1)) -
             zn__tcp_isn(key_a, &tup, end),
         250000u);
}

/* ---- SYN cookies -------------------------------------------------------- */

static const uint64_t T0 = ZN_SEC(64) * 1000 + ZN_SEC(10); /* tick 1000 */

static struct zn__syncookie_opts mkopts(uint16_t mss, uint8_t ws, bool sack,
                                        bool ts) {
  struct zn__syncookie_opts o = {.mss = mss, .wscale = ws, .sack = sack,
                                 .ts = ts};
  return o;
}

/* Make a cookie and check it later; returns whether it was accepted. */
static bool roundtrip(const struct zn__syncookie_opts *in, uint64_t made,
                      uint64_t checked, struct zn__syncookie_opts *out) {
  uint32_t tsval = 0;
  uint32_t c = zn__syncookie_make(key_a, &tup, 0x12345678u, in, made,
                                  0xabcdef12u, &tsval);
  return zn__syncookie_check(key_a, &tup, c, 0x12345678u, in->ts, tsval,
                             checked, out);
}

ZT_TEST(test_cookie_mss) {
  static const struct { uint16_t asked, got; } cases[] = {
      {0, 536},       {1, 536},       {100, 536},     {535, 536},
      {536, 536},     {537, 536},     {1299, 536},    {1300, 1300},
      {1379, 1300},   {1380, 1380},   {1400, 1380},   {1440, 1440},
      {1452, 1452},   {1459, 1452},   {1460, 1460},   {1500, 1460},
      {4311, 1460},   {4312, 4312},   {8959, 4312},   {8960, 8960},
      {9000, 8960},   {65535, 8960},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    for (int ts = 0; ts < 2; ts++) {
      struct zn__syncookie_opts in = mkopts(cases[i].asked, 7, true, ts);
      struct zn__syncookie_opts out = mkopts(0, 0, false, false);
      if (!roundtrip(&in, T0, T0 + ZN_MS(200), &out))
        zt_fail(__FILE__, __LINE__, "mss %u ts %d: rejected", cases[i].asked,
                ts);
      else if (out.mss != cases[i].got)
        zt_fail(__FILE__, __LINE__, "mss %u -> %u, want %u", cases[i].asked,
                out.mss, cases[i].got);
    }
  }
}

ZT_TEST(test_cookie_options_with_ts) {
  int fails = 0;
  for (unsigned ws = 0; ws <= 15; ws++) {
    uint8_t w = ws == 15 ? ZN__SYNCOOKIE_WSCALE_NONE : (uint8_t)ws;
    for (int sack = 0; sack < 2; sack++) {
      struct zn__syncookie_opts in = mkopts(1460, w, sack, true);
      struct zn__syncookie_opts out = mkopts(0, 0, !sack, false);
      if (!roundtrip(&in, T0, T0 + ZN_SEC(1), &out) || out.mss != 1460 ||
          out.wscale != w || out.sack != (bool)sack || !out.ts) {
        zt_fail(__FILE__, __LINE__, "ws %u sack %d: got ws %u sack %d ts %d",
                ws, sack, out.wscale, out.sack, out.ts);
        fails++;
      }
    }
  }
  ZT_EQ(fails, 0);
  /* Out-of-range window scales are used as 14 (RFC 7323 §2.3). */
  for (unsigned ws = 15; ws < 0xff; ws += 16) {
    struct zn__syncookie_opts in = mkopts(1460, (uint8_t)ws, false, true);
    struct zn__syncookie_opts out;
    ZT_CHECK(roundtrip(&in, T0, T0, &out));
    ZT_EQ(out.wscale, 14);
  }
}

ZT_TEST(test_cookie_options_without_ts) {
  /* Without timestamps wscale and sack cannot be carried. */
  struct zn__syncookie_opts in = mkopts(1440, 7, true, false);
  struct zn__syncookie_opts out = mkopts(0, 3, true, true);
  uint32_t tsval = 0xdeadbeefu;
  uint32_t c = zn__syncookie_make(key_a, &tup, 99, &in, T0, 5000, &tsval);
  ZT_EQU(tsval, 0xdeadbeefu); /* untouched */
  ZT_CHECK(zn__syncookie_check(key_a, &tup, c, 99, false, 0, T0, &out));
  ZT_EQ(out.mss, 1440);
  ZT_EQ(out.wscale, ZN__SYNCOOKIE_WSCALE_NONE);
  ZT_CHECK(!out.sack);
  ZT_CHECK(!out.ts);
  /* tsval may be NULL when there are no timestamps. */
  uint32_t c2 = zn__syncookie_make(key_a, &tup, 99, &in, T0, 5000, NULL);
  ZT_EQU(c2, c);
}

ZT_TEST(test_cookie_tsval) {
  /* Low 6 bits: 1 | sack | wscale(4); never above ts_clock, at most 63
   * behind it, including across the wrap of ts_clock. */
  static const uint32_t clocks[] = {0,          1,          31,
                                    32,         63,         64,
                                    100,        0x12345678, 0xffffffc0u,
                                    0xffffffffu, 0x80000000u, 1000000};
  int bad = 0;
  for (size_t i = 0; i < sizeof(clocks) / sizeof(clocks[0]); i++) {
    for (unsigned ws = 0; ws <= 15; ws++) {
      for (int sack = 0; sack < 2; sack++) {
        uint8_t w = ws == 15 ? ZN__SYNCOOKIE_WSCALE_NONE : (uint8_t)ws;
        struct zn__syncookie_opts in = mkopts(1460, w, sack, true);
        uint32_t tsval = 0;
        (void)zn__syncookie_make(key_a, &tup, 1, &in, T0, clocks[i], &tsval);
        uint32_t lag = clocks[i] - tsval;
        uint32_t want = 0x20u | (sack ? 0x10u : 0u) | ws;
        if ((tsval & 0x3f) != want || lag > 63) {
          zt_fail(__FILE__, __LINE__,
                  "clock 0x%08" PRIx32 " ws %u sack %d: tsval 0x%08" PRIx32,
                  clocks[i], ws, sack, tsval);
          bad++;
        }
      }
    }
  }
  ZT_EQ(bad, 0);
  /* When the clock's low bits are at least the option bits, only they
   * change. */
  struct zn__syncookie_opts in = mkopts(1460, 0, false, true);
  uint32_t tsval;
  (void)zn__syncookie_make(key_a, &tup, 1, &in, T0, 0x1000003fu, &tsval);
  ZT_EQU(tsval, 0x10000020u);
  (void)zn__syncookie_make(key_a, &tup, 1, &in, T0, 0x10000000u, &tsval);
  ZT_EQU(tsval, 0x0fffffe0u);
}

ZT_TEST(test_cookie_rejects_other_ack) {
  struct zn__syncookie_opts in = mkopts(1460, 7, true, true), out;
  uint32_t tsval;
  uint32_t peer = 0x0badcafeu;
  uint32_t c = zn__syncookie_make(key_a, &tup, peer, &in, T0, 77777, &tsval);
  ZT_CHECK(zn__syncookie_check(key_a, &tup, c, peer, true, tsval, T0, &out));

  /* Another key, another tuple (every single-bit change), swapped ends. */
  ZT_CHECK(!zn__syncookie_check(key_b, &tup, c, peer, true, tsval, T0, &out));
  int acc = 0;
  for (unsigned bit = 0; bit < 96; bit++) {
    struct zn__tcp_4tuple u = flip_tuple(tup, bit);
    acc += zn__syncookie_check(key_a, &u, c, peer, true, tsval, T0, &out);
  }
  ZT_EQ(acc, 0);
  struct zn__tcp_4tuple sw = {.laddr = tup.raddr, .raddr = tup.laddr,
                              .lport = tup.rport, .rport = tup.lport};
  ZT_CHECK(!zn__syncookie_check(key_a, &sw, c, peer, true, tsval, T0, &out));

  /* Another peer ISN: near ones (which an additive MSS index would turn
   * into another valid index), single-bit changes, and random ones. */
  acc = 0;
  for (int d = -64; d <= 64; d++)
    if (d != 0)
      acc += zn__syncookie_check(key_a, &tup, c, peer + (uint32_t)d, true,
                                 tsval, T0, &out);
  for (unsigned bit = 0; bit < 32; bit++)
    acc += zn__syncookie_check(key_a, &tup, c, peer ^ (1u << bit), true,
                               tsval, T0, &out);
  for (int i = 0; i < 10000; i++) {
    uint32_t p = rnd32();
    if (p != peer)
      acc += zn__syncookie_check(key_a, &tup, c, p, true, tsval, T0, &out);
  }
  ZT_EQ(acc, 0);

  /* A TSecr that is not one of our cookie TSvals (marker bit clear). */
  ZT_CHECK(!zn__syncookie_check(key_a, &tup, c, peer, true, tsval & ~0x20u,
                                T0, &out));
}

ZT_TEST(test_cookie_rejects_bit_flips) {
  /* Every single-bit flip of many cookies, at ages 0 and 1. */
  int acc = 0, tried = 0, ok = 0;
  for (int r = 0; r < 200; r++) {
    struct zn__tcp_4tuple t = rnd_tuple();
    uint32_t peer = rnd32();
    struct zn__syncookie_opts in =
        mkopts((uint16_t)(rnd32() % 10000), (uint8_t)(rnd32() % 15),
               rnd32() & 1, false);
    struct zn__syncookie_opts out;
    uint64_t made = T0 + (uint64_t)(rnd32() % 64000) * ZN_MS(1);
    uint64_t when = made + (r & 1 ? ZN__SYNCOOKIE_TICK_NS : 0);
    uint32_t c = zn__syncookie_make(key_a, &t, peer, &in, made, 0, NULL);
    ok += zn__syncookie_check(key_a, &t, c, peer, false, 0, when, &out);
    for (unsigned bit = 0; bit < 32; bit++) {
      acc += zn__syncookie_check(key_a, &t, c ^ (1u << bit), peer, false, 0,
                                 when, &out);
      tried++;
    }
  }
  ZT_EQ(ok, 200);
  printf("# %d of %d single-bit flips accepted\n", acc, tried);
  ZT_EQ(acc, 0);
}

ZT_TEST(test_cookie_expiry) {
  /* Made during tick c: accepted while the current tick is c or c + 1. */
  const uint64_t tick = ZN__SYNCOOKIE_TICK_NS;
  const uint64_t start = 1000 * tick; /* first instant of tick 1000 */
  struct zn__syncookie_opts in = mkopts(1460, 3, true, true), out;
  uint32_t tsval;
  for (int k = 0; k < 2; k++) {
    /* Made at the start, then at the very end, of tick 1000. */
    uint64_t made = k == 0 ? start : start + tick - 1;
    uint32_t c = zn__syncookie_make(key_a, &tup, 5, &in, made, 1234, &tsval);
    ZT_CHECK(zn__syncookie_check(key_a, &tup, c, 5, true, tsval, made, &out));
    ZT_CHECK(zn__syncookie_check(key_a, &tup, c, 5, true, tsval,
                                 start + tick, &out));
    /* Just before the window closes, and just after. */
    ZT_CHECK(zn__syncookie_check(key_a, &tup, c, 5, true, tsval,
                                 start + 2 * tick - 1, &out));
    ZT_CHECK(!zn__syncookie_check(key_a, &tup, c, 5, true, tsval,
                                  start + 2 * tick, &out));
    ZT_CHECK(!zn__syncookie_check(key_a, &tup, c, 5, true, tsval,
                                  start + 100 * tick, &out));
    /* 256 ticks later the top byte matches again, but the full count in
     * the MAC does not. */
    ZT_CHECK(!zn__syncookie_check(key_a, &tup, c, 5, true, tsval,
                                  start + 256 * tick, &out));
    ZT_CHECK(!zn__syncookie_check(key_a, &tup, c, 5, true, tsval,
                                  start + 257 * tick, &out));
  }
  /* The lifetime is therefore 64..128 s: about 2 minutes at most. */
  uint32_t c = zn__syncookie_make(key_a, &tup, 5, &in, start + ZN_SEC(30),
                                  1234, &tsval);
  ZT_CHECK(zn__syncookie_check(key_a, &tup, c, 5, true, tsval,
                               start + ZN_SEC(127), &out));
  ZT_CHECK(!zn__syncookie_check(key_a, &tup, c, 5, true, tsval,
                                start + ZN_SEC(128), &out));
}

ZT_TEST(test_cookie_from_future) {
  const uint64_t tick = ZN__SYNCOOKIE_TICK_NS;
  struct zn__syncookie_opts in = mkopts(1460, 3, true, false), out;
  uint32_t c = zn__syncookie_make(key_a, &tup, 5, &in, T0 + tick, 0, NULL);
  ZT_CHECK(zn__syncookie_check(key_a, &tup, c, 5, false, 0, T0 + tick, &out));
  ZT_CHECK(!zn__syncookie_check(key_a, &tup, c, 5, false, 0, T0, &out));
  ZT_CHECK(!zn__syncookie_check(key_a, &tup, c, 5, false, 0,
                                T0 - 2 * tick, &out));
  /* 255 ticks ahead looks like age 1 in the top byte; the MAC refuses. */
  uint32_t f = zn__syncookie_make(key_a, &tup, 5, &in, T0 + 255 * tick, 0,
                                  NULL);
  ZT_CHECK(!zn__syncookie_check(key_a, &tup, f, 5, false, 0, T0, &out));
  /* Near time 0 nothing predates tick 0. */
  uint32_t z = zn__syncookie_make(key_a, &tup, 5, &in, 0, 0, NULL);
  ZT_CHECK(zn__syncookie_check(key_a, &tup, z, 5, false, 0, 0, &out));
  ZT_CHECK(zn__syncookie_check(key_a, &tup, z, 5, false, 0, tick, &out));
}

ZT_TEST(test_cookie_random_acks) {
  /* Random cookies for a fixed tuple and peer ISN: each passes with
   * probability 2^-28, so about 0.004 of 1e6 are expected. */
  struct zn__syncookie_opts out;
  uint32_t peer = 0x01020304u;
  long accepted = 0;
  const long n = 1000000;
  for (long i = 0; i < n; i++)
    accepted += zn__syncookie_check(key_a, &tup, rnd32(), peer, i & 1,
                                    rnd32() | 0x20u, T0, &out);
  printf("# %ld of %ld random cookies accepted\n", accepted, n);
  ZT_CHECK(accepted <= 2);
  /* And with a random peer ISN each time. */
  accepted = 0;
  for (long i = 0; i < n; i++)
    accepted += zn__syncookie_check(key_a, &tup, rnd32(), rnd32(), false, 0,
                                    T0, &out);
  printf("# %ld of %ld random (cookie, peer ISN) accepted\n", accepted, n);
  ZT_CHECK(accepted <= 2);
}

ZT_TEST(test_cookie_differs) {
  /* Cookies for different peers, peer ISNs and times look unrelated. */
  struct zn__syncookie_opts in = mkopts(1460, 7, true, false);
  uint32_t a = zn__syncookie_make(key_a, &tup, 1, &in, T0, 0, NULL);
  ZT_CHECK(a != zn__syncookie_make(key_b, &tup, 1, &in, T0, 0, NULL));
  long dist = 0;
  int n = 0;
  for (unsigned bit = 0; bit < 96; bit++) {
    struct zn__tcp_4tuple u = flip_tuple(tup, bit);
    dist += popcount32(a ^ zn__syncookie_make(key_a, &u, 1, &in, T0, 0, NULL));
    n++;
  }
  double mean = (double)dist / n;
  printf("# cookie mean Hamming distance over tuple bit flips: %.2f\n", mean);
  ZT_CHECK(mean > 14.5 && mean < 17.5);
}

/* ---- IPv6: the same hashes over the full 16-byte addresses ---- */

static const struct zn__tcp_4tuple tup6 = {
    .laddr = {ZN_AF_INET6, {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                            0, 0, 1}},
    .raddr = {ZN_AF_INET6, {0x20, 0x01, 0x0d, 0xb8, 0xaa, 0, 0, 0, 0, 0, 0,
                            0, 0, 0, 0, 7}},
    .lport = 80,
    .rport = 0xc000};

/* Pins the IPv6 serialization: domain, laddr (16), lport, raddr (16),
 * rport. */
ZT_TEST(test_isn_layout_ipv6) {
  uint8_t bytes[37] = {0x00};
  memcpy(bytes + 1, tup6.laddr.bytes, 16);
  bytes[17] = 0x00;
  bytes[18] = 80;
  memcpy(bytes + 19, tup6.raddr.bytes, 16);
  bytes[35] = 0xc0;
  bytes[36] = 0x00;
  uint32_t f = (uint32_t)zn_siphash24(key_a, bytes, sizeof(bytes));
  ZT_EQU(zn__tcp_isn(key_a, &tup6, 0), f);
}

/* Every bit of both IPv6 addresses reaches the ISN and the cookie, and an
 * IPv6 tuple whose addresses start with an IPv4 tuple's bytes is another
 * tuple. */
ZT_TEST(test_isn_and_cookie_key_on_ipv6_bytes) {
  uint64_t now = ZN_SEC(1000);
  struct zn__syncookie_opts in = mkopts(1440, 7, true, false);
  uint32_t isn = zn__tcp_isn(key_a, &tup6, now);
  uint32_t ck = zn__syncookie_make(key_a, &tup6, 1, &in, T0, 0, NULL);
  int isn_same = 0, ck_same = 0;
  for (unsigned bit = 0; bit < 256; bit++) {
    struct zn__tcp_4tuple u = tup6;
    struct zn_ip *a = bit < 128 ? &u.laddr : &u.raddr;
    a->bytes[(bit % 128) / 8] ^= (uint8_t)(1u << (bit % 8));
    isn_same += zn__tcp_isn(key_a, &u, now) == isn;
    ck_same += zn__syncookie_make(key_a, &u, 1, &in, T0, 0, NULL) == ck;
    struct zn__syncookie_opts out;
    ZT_CHECK(!zn__syncookie_check(key_a, &u, ck, 1, false, 0, T0, &out));
  }
  ZT_EQ(isn_same, 0);
  ZT_EQ(ck_same, 0);
  struct zn__syncookie_opts out;
  ZT_CHECK(zn__syncookie_check(key_a, &tup6, ck, 1, false, 0, T0, &out));
  struct zn__tcp_4tuple v4 = tup6;
  v4.laddr.family = v4.raddr.family = ZN_AF_INET;
  memset(v4.laddr.bytes + 4, 0, 12);
  memset(v4.raddr.bytes + 4, 0, 12);
  struct zn__tcp_4tuple v6 = v4;
  v6.laddr.family = v6.raddr.family = ZN_AF_INET6;
  ZT_CHECK(zn__tcp_isn(key_a, &v4, now) != zn__tcp_isn(key_a, &v6, now));
}

int main(void) {
  ZT_RUN(test_isn_layout);
  ZT_RUN(test_isn_layout_ipv6);
  ZT_RUN(test_ts_offset_other_half);
  ZT_RUN(test_isn_and_cookie_key_on_ipv6_bytes);
  ZT_RUN(test_isn_keys_and_tuples);
  ZT_RUN(test_isn_swap_local_remote);
  ZT_RUN(test_isn_clock);
  ZT_RUN(test_isn_wraps);
  ZT_RUN(test_cookie_mss);
  ZT_RUN(test_cookie_options_with_ts);
  ZT_RUN(test_cookie_options_without_ts);
  ZT_RUN(test_cookie_tsval);
  ZT_RUN(test_cookie_rejects_other_ack);
  ZT_RUN(test_cookie_rejects_bit_flips);
  ZT_RUN(test_cookie_expiry);
  ZT_RUN(test_cookie_from_future);
  ZT_RUN(test_cookie_random_acks);
  ZT_RUN(test_cookie_differs);
  return zt_done();
}
