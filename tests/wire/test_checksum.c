/*
 * Tests of src/wire/checksum.c: RFC 1071 sums against a plain reference,
 * at every alignment and length, in pieces and in one go; RFC 1624
 * incremental updates against recomputation; the pseudo-header against a
 * hand computation and against real segments.
 */
#include <stdint.h>
#include <string.h>

#include "znet/err.h"
#include "znet/wire.h"
#include "frames.h"
#include "zt.h"




/* smoltcp/tcpv4_rst.bin: its TCP checksum is right (tcpv4_syn.bin was
 * captured before checksum offload filled it in). */


/* Fixed-seed xorshift32, so every run checks the same values. */
static uint32_t rng_state = 0x2545f491u;
static uint32_t rng(void) {
  uint32_t x = rng_state;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  return rng_state = x;
}
static void fill_random(uint8_t *p, size_t len) {
  for (size_t i = 0; i < len; i++)
    p[i] = (uint8_t)rng();
}

/* RFC 1071 written out the slow way: 16-bit big-endian words, the odd
 * byte padded with zero, carries folded at the end. */
static uint16_t ref_csum(const uint8_t *p, size_t len) {
  uint64_t s = 0;
  size_t i;
  for (i = 0; i + 1 < len; i += 2)
    s += (uint64_t)(p[i] << 8 | p[i + 1]);
  if (i < len)
    s += (uint64_t)p[i] << 8;
  while (s >> 16)
    s = (s & 0xffff) + (s >> 16);
  return (uint16_t)~s;
}

/* RFC 1071 section 3: the words 0001 f203 f4f5 f6f7 sum to ddf2. */
ZT_TEST(test_rfc1071_example) {
  static const uint8_t b[] = {0x00, 0x01, 0xf2, 0x03,
                              0xf4, 0xf5, 0xf6, 0xf7};
  ZT_EQU(zn_csum_fold(zn_csum_add(0, b, sizeof b)), 0x220d);
  ZT_EQU(zn_csum(b, sizeof b), 0x220d);
  ZT_EQU(ref_csum(b, sizeof b), 0x220d);
  /* Byte-swapped input gives the byte-swapped sum (RFC 1071 2(B)). */
  static const uint8_t s[] = {0x01, 0x00, 0x03, 0xf2,
                              0xf5, 0xf4, 0xf7, 0xf6};
  ZT_EQU(zn_csum(s, sizeof s), 0x0d22);
}

ZT_TEST(test_empty_and_zero) {
  static const uint8_t z[64];
  ZT_EQU(zn_csum(z, 0), 0xffff);
  ZT_EQU(zn_csum(z, sizeof z), 0xffff);
  ZT_EQU(zn_csum_fold(0), 0xffff);
  ZT_EQU(zn_csum_fold(zn_csum_add(0x1234, z, 0)), (uint16_t)~0x1234);
  ZT_EQU(zn_csum_fold(zn_csum_add(0x1234, z, 63)), (uint16_t)~0x1234);
}

ZT_TEST(test_fold) {
  ZT_EQU(zn_csum_fold(0xffff), 0x0000);
  ZT_EQU(zn_csum_fold(0x10000), 0xfffe); /* carry wraps to 1 */
  ZT_EQU(zn_csum_fold(0x1fffe), 0x0000); /* fffe + 1 */
  ZT_EQU(zn_csum_fold(0xffffffffu), 0x0000);
  ZT_EQU(zn_csum_fold(0x2ddf0), 0x220d); /* RFC 1071's 32-bit sum */
}

ZT_TEST(test_odd_length) {
  static const uint8_t one[] = {0x12};
  static const uint8_t three[] = {0x00, 0x01, 0xf2};
  static const uint8_t five[] = {0xff, 0xff, 0xff, 0xff, 0x01};
  ZT_EQU(zn_csum(one, 1), (uint16_t)~0x1200);
  ZT_EQU(zn_csum(three, 3), (uint16_t)~0xf201);
  /* ffff + ffff + 0100 = 0x200fe -> 0x0100 */
  ZT_EQU(zn_csum(five, 5), (uint16_t)~0x0100);
}

/* Every length 0..300 at every start offset 0..7: the same bytes give the
 * same sum wherever they sit, and it matches the reference. */
ZT_TEST(test_alignment_and_lengths) {
  uint8_t data[300], buf[300 + 8];
  fill_random(data, sizeof data);
  for (size_t len = 0; len <= sizeof data; len++) {
    uint16_t want = ref_csum(data, len);
    for (size_t off = 0; off < 8; off++) {
      memset(buf, 0xa5, sizeof buf);
      memcpy(buf + off, data, len);
      uint16_t got = zn_csum(buf + off, len);
      if (got != want) {
        ZT_EQU(got, want);
        zt_fail(__FILE__, __LINE__, "len %zu offset %zu", len, off);
        return;
      }
    }
  }
}

/* Start at p + 1 explicitly, the case word-casting code gets wrong. */
ZT_TEST(test_start_at_odd_address) {
  uint8_t buf[1 + 1500];
  fill_random(buf, sizeof buf);
  ZT_EQU(zn_csum(buf + 1, 1500), ref_csum(buf + 1, 1500));
  ZT_EQU(zn_csum(buf + 1, 1499), ref_csum(buf + 1, 1499));
  ZT_EQU(zn_csum(buf + 1, 17), ref_csum(buf + 1, 17));
}

ZT_TEST(test_large_buffers) {
  static uint8_t big[200003];
  fill_random(big, sizeof big);
  ZT_EQU(zn_csum(big, sizeof big), ref_csum(big, sizeof big));
  ZT_EQU(zn_csum(big + 3, sizeof big - 3), ref_csum(big + 3, sizeof big - 3));
  /* All ones: many carries; the sum is ffff (-0), so the checksum is 0. */
  memset(big, 0xff, sizeof big);
  ZT_EQU(zn_csum(big, 65536), 0x0000);
  ZT_EQU(ref_csum(big, 65536), 0x0000);
  ZT_EQU(zn_csum(big, sizeof big), ref_csum(big, sizeof big));
}

/* Chained pieces (even lengths but the last) equal the one-shot sum. */
ZT_TEST(test_chained_equals_oneshot) {
  uint8_t p[1501];
  fill_random(p, sizeof p);
  for (size_t len = 1499; len <= 1501; len++) {
    uint16_t want = zn_csum(p, len);
    ZT_EQU(want, ref_csum(p, len));
    for (size_t a = 0; a <= len; a += 2) {
      uint32_t s = zn_csum_add(0, p, a);
      s = zn_csum_add(s, p + a, len - a);
      if (zn_csum_fold(s) != want) {
        zt_fail(__FILE__, __LINE__, "len %zu split at %zu", len, a);
        return;
      }
    }
    for (size_t a = 0; a <= len; a += 34) {
      for (size_t b = a; b <= len; b += 22) {
        uint32_t s = zn_csum_add(0, p, a);
        s = zn_csum_add(s, p + a, b - a);
        s = zn_csum_add(s, p + b, len - b);
        if (zn_csum_fold(s) != want) {
          zt_fail(__FILE__, __LINE__, "len %zu split %zu/%zu", len, a, b);
          return;
        }
      }
    }
  }
}

/* A running sum passed in is added with end-around carry, whatever its
 * size. */
ZT_TEST(test_initial_sum) {
  uint8_t p[41];
  fill_random(p, sizeof p);
  uint16_t data = (uint16_t)~zn_csum(p, sizeof p); /* folded sum, != 0 */
  static const uint32_t inits[] = {0, 1, 0xffff, 0x10000, 0x12345678,
                                   0xfffffffeu, 0xffffffffu};
  for (size_t i = 0; i < sizeof inits / sizeof inits[0]; i++) {
    uint32_t want = data + (inits[i] & 0xffff) + (inits[i] >> 16);
    while (want >> 16)
      want = (want & 0xffff) + (want >> 16);
    ZT_EQU(zn_csum_fold(zn_csum_add(inits[i], p, sizeof p)),
           (uint16_t)~want);
  }
}

/* Real IPv4 headers from the seed frames verify to zero, and zeroing the
 * field and summing gives back the value the sender wrote. */
ZT_TEST(test_real_ipv4_headers) {
  struct {
    const uint8_t *hdr;
    uint16_t csum;
  } cases[] = {
      {icmpv4_request + 14, 0x52f9},
      {icmp_ping + 14, 0xbab1},
      {icmpv4_unreachable + 14, 0x22cf},
      {icmpv4_unreachable + 42, 0xb0b4}, /* the quoted header */
      {tcpv4_rst + 14, 0x9114},
      {udpv4 + 14, 0xd7fd},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    uint8_t h[20];
    memcpy(h, cases[i].hdr, 20);
    ZT_EQU(zn_csum(h, 20), 0);
    ZT_EQU(zn_rd16(h + 10), cases[i].csum);
    zn_wr16(h + 10, 0);
    ZT_EQU(zn_csum(h, 20), cases[i].csum);
  }
}

/* zn_csum20 is zn_csum of 20 bytes: at every alignment, on random
 * headers, on the ones whose sum folds to 0x0000 or 0xffff, and on
 * headers whose checksum field is right (0). */
ZT_TEST(test_csum20_equals_csum) {
  uint8_t buf[20 + 8];
  for (int i = 0; i < 200000; i++) {
    size_t off = (size_t)i % 8;
    uint8_t *h = buf + off;
    fill_random(h, 20);
    if (i % 5 == 0)
      memset(h, i % 10 == 0 ? 0x00 : 0xff, 20 - (size_t)(i % 7));
    ZT_EQU(zn_csum20(h), zn_csum(h, 20));
    ZT_EQU(zn_csum20(h), ref_csum(h, 20));
    zn_wr16(h + 10, 0);
    zn_wr16(h + 10, zn_csum20(h));
    ZT_EQU(zn_csum20(h), 0);
  }
}

/* zn_ipv4_csum_ok of a 20-byte header (a sum tested for 0 modulo
 * 0xffff, no fold) says what zn_csum of it does: on random headers, on
 * all zeros and all ones, and on headers with a right checksum, written
 * as 0x0000 or as the other zero, 0xffff, where that is the value. */
ZT_TEST(test_ipv4_csum_ok_equals_csum) {
  uint8_t buf[20 + 8];
  struct zn_ipv4_view v;
  memset(&v, 0, sizeof v);
  v.hdr_len = ZN_IPV4_HDR_LEN;
  for (int i = 0; i < 200000; i++) {
    uint8_t *h = buf + (size_t)i % 8;
    v.p = h;
    fill_random(h, 20);
    if (i % 5 == 0)
      memset(h, i % 10 == 0 ? 0x00 : 0xff, 20 - (size_t)(i % 7));
    ZT_EQ(zn_ipv4_csum_ok(&v), zn_csum(h, 20) == 0);
    zn_wr16(h + 10, 0);
    uint16_t c = zn_csum(h, 20);
    zn_wr16(h + 10, c);
    ZT_CHECK(zn_ipv4_csum_ok(&v));
    if (c == 0 || c == 0xffff) {
      zn_wr16(h + 10, (uint16_t)~c);
      ZT_EQ(zn_ipv4_csum_ok(&v), zn_csum(h, 20) == 0);
    }
    h[(size_t)i % 20] ^= (uint8_t)(1u << (i % 8));
    ZT_EQ(zn_ipv4_csum_ok(&v), zn_csum(h, 20) == 0);
  }
  memset(buf, 0, 20);
  v.p = buf;
  ZT_CHECK(!zn_ipv4_csum_ok(&v)); /* sums to +0: never right */
  memset(buf, 0xff, 20);
  ZT_CHECK(zn_ipv4_csum_ok(&v));
}

/* 192.168.69.100 -> 192.168.69.1, TCP, 20 bytes, summed by hand:
 * c0a8 + 4564 + c0a8 + 4501 + 0006 + 0014 = 0x20bcf -> 0x0bd1. */
ZT_TEST(test_pseudo_hand) {
  uint32_t s = zn_csum_pseudo(0xc0a84564u, 0xc0a84501u, 6, 20);
  ZT_EQU(zn_csum_fold(s), (uint16_t)~0x0bd1);
  /* Order of the words does not matter, but each must be there once. */
  ZT_EQU(zn_csum_fold(zn_csum_pseudo(0xc0a84501u, 0xc0a84564u, 6, 20)),
         (uint16_t)~0x0bd1);
  ZT_CHECK(zn_csum_fold(zn_csum_pseudo(0xc0a84564u, 0xc0a84501u, 17, 20)) !=
           zn_csum_fold(s));
  /* Largest values: 4 * ffff + ff + ffff = 0x500fa -> 0x00ff. */
  ZT_EQU(zn_csum_fold(zn_csum_pseudo(0xffffffffu, 0xffffffffu, 0xff, 0xffff)),
         (uint16_t)~0x00ff);
  /* Same as summing the 12 pseudo-header bytes of RFC 793. */
  static const uint8_t ph[12] = {0xc0, 0xa8, 0x45, 0x64, 0xc0, 0xa8,
                                 0x45, 0x01, 0x00, 0x06, 0x00, 0x14};
  ZT_EQU(zn_csum_fold(s), zn_csum(ph, sizeof ph));
}

/* Real TCP and UDP segments verify with their pseudo-headers. */
ZT_TEST(test_pseudo_real_segments) {
  const uint8_t *ip = tcpv4_rst + 14;
  uint16_t seglen = (uint16_t)(zn_rd16(ip + 2) - 20);
  ZT_EQU(seglen, 20);
  uint32_t s = zn_csum_pseudo(zn_rd32(ip + 12), zn_rd32(ip + 16), 6, seglen);
  ZT_EQU(zn_csum_fold(zn_csum_add(s, ip + 20, seglen)), 0);

  ip = udpv4 + 14;
  seglen = zn_rd16(ip + 20 + 4);
  ZT_EQU(seglen, 88);
  s = zn_csum_pseudo(zn_rd32(ip + 12), zn_rd32(ip + 16), 17, seglen);
  ZT_EQU(zn_csum_fold(zn_csum_add(s, ip + 20, seglen)), 0);
  /* A wrong address in the pseudo-header is caught. */
  s = zn_csum_pseudo(zn_rd32(ip + 12) ^ 1, zn_rd32(ip + 16), 17, seglen);
  ZT_CHECK(zn_csum_fold(zn_csum_add(s, ip + 20, seglen)) != 0);
}

/* RFC 1624 section 4: sum of other words cd7a, m 5555 -> 3285.  Eqn. 3
 * gives 0000 like recomputation (eqn. 2 would give ffff). */
ZT_TEST(test_update_rfc1624_example) {
  ZT_EQU(zn_csum_update16(0xdd2f, 0x5555, 0x3285), 0x0000);
  ZT_EQU(zn_csum_update16(0x0000, 0x3285, 0x5555), 0xdd2f);
  ZT_EQU(zn_csum_update16(0x1234, 0xabcd, 0xabcd), 0x1234);
}

static uint16_t pick16(void) {
  /* Mostly random, sometimes the values at the edges of the arithmetic. */
  static const uint16_t edge[] = {0x0000, 0xffff, 0x0001, 0xfffe, 0x8000};
  uint32_t r = rng();
  if ((r & 7) == 0)
    return edge[(r >> 3) % 5];
  return (uint16_t)(r >> 8);
}

/* Change one 16-bit or 32-bit word of a random header and compare the
 * incremental update with a full recomputation. */
ZT_TEST(test_update_random) {
  uint8_t h[20];
  int bad = 0;
  for (int iter = 0; iter < 200000 && bad < 5; iter++) {
    fill_random(h, sizeof h);
    if (iter % 16 == 0)
      memset(h, 0xff, 10); /* many ones: sums near 0xffff */
    zn_wr16(h + 10, 0);
    zn_wr16(h + 10, zn_csum(h, sizeof h));
    uint16_t old = zn_rd16(h + 10);

    if (iter & 1) {
      /* 16-bit word at any even offset but the checksum's. */
      size_t off = 2 * (rng() % 9);
      if (off >= 10)
        off += 2;
      uint16_t from = zn_rd16(h + off), to = pick16();
      zn_wr16(h + off, to);
      uint16_t inc = zn_csum_update16(old, from, to);
      zn_wr16(h + 10, 0);
      uint16_t full = zn_csum(h, sizeof h);
      if (inc != full) {
        zt_fail(__FILE__, __LINE__,
                "update16 %04x: %04x->%04x gave %04x, want %04x", old, from,
                to, inc, full);
        bad++;
      }
    } else {
      /* 32-bit word: version..tot_len, id..frag, src, dst. */
      static const size_t offs[] = {0, 4, 12, 16};
      size_t off = offs[rng() % 4];
      uint32_t from = zn_rd32(h + off);
      uint32_t to = (uint32_t)pick16() << 16 | pick16();
      zn_wr32(h + off, to);
      uint16_t inc = zn_csum_update32(old, from, to);
      uint16_t two = zn_csum_update16(
          zn_csum_update16(old, (uint16_t)(from >> 16), (uint16_t)(to >> 16)),
          (uint16_t)from, (uint16_t)to);
      zn_wr16(h + 10, 0);
      uint16_t full = zn_csum(h, sizeof h);
      if (inc != full || two != full) {
        zt_fail(__FILE__, __LINE__,
                "update32 %04x: %08x->%08x gave %04x/%04x, want %04x", old,
                from, to, inc, two, full);
        bad++;
      }
    }
  }
}

/* The common use: decrement TTL of a real header, as a router does. */
ZT_TEST(test_update_ttl_real_header) {
  uint8_t h[20];
  memcpy(h, icmpv4_request + 14, 20);
  uint16_t from = zn_rd16(h + 8);
  h[8]--;
  zn_wr16(h + 10, zn_csum_update16(zn_rd16(h + 10), from, zn_rd16(h + 8)));
  ZT_EQU(zn_csum(h, 20), 0);
  ZT_EQU(zn_rd16(h + 10), 0x53f9);
  /* NAT-style address rewrite. */
  uint32_t a = zn_rd32(h + 12);
  zn_wr32(h + 12, 0x0a000001u);
  zn_wr16(h + 10, zn_csum_update32(zn_rd16(h + 10), a, 0x0a000001u));
  ZT_EQU(zn_csum(h, 20), 0);
}

/* ---- the helpers that take a pseudo-header sum (either family) ---- */

/* A TCP and a UDP segment of n bytes: a header, then a pattern. */
static void fill_segment(uint8_t *p, size_t n, uint8_t seed) {
  for (size_t i = 0; i < n; i++)
    p[i] = (uint8_t)(i * 31 + seed);
}

/* The _psum helpers with an IPv4 pseudo-header sum write and accept
 * exactly what the address-taking ones do. */
ZT_TEST(test_psum_helpers_match_ipv4) {
  const uint32_t src = 0xc0000201u, dst = 0x0a000002u;
  uint8_t a[301], b[301];
  for (size_t n = 20; n <= sizeof(a); n += 47) {
    fill_segment(a, n, (uint8_t)n);
    memcpy(b, a, n);
    uint32_t ps = zn_csum_pseudo(src, dst, ZN_IPPROTO_TCP, (uint16_t)n);
    zn_tcp_finish(a, n, src, dst);
    zn_tcp_finish_psum(b, n, ps);
    ZT_MEMEQ(a, b, n);
    struct zn_tcp_view v;
    a[12] = 0x50; /* data offset 5: a valid header */
    zn_tcp_finish_psum(a, n, ps);
    ZT_REQUIRE(zn_tcp_view_init(&v, a, n) == ZN_OK);
    ZT_CHECK(zn_tcp_csum_ok_psum(&v, ps));
    ZT_CHECK(zn_tcp_csum_ok(&v, src, dst));
    ZT_CHECK(!zn_tcp_csum_ok_psum(&v, ps + 1));

    fill_segment(a, n, (uint8_t)(n + 1));
    memcpy(b, a, n);
    ps = zn_csum_pseudo(src, dst, ZN_IPPROTO_UDP, (uint16_t)n);
    ZT_EQ(zn_udp_emit(a, 1000, 53, n, src, dst), 8);
    ZT_EQ(zn_udp_emit_psum(b, 1000, 53, n, ps), 8);
    ZT_MEMEQ(a, b, n);
    struct zn_udp_view u;
    ZT_REQUIRE(zn_udp_view_init(&u, b, n) == ZN_OK);
    ZT_CHECK(zn_udp_csum_ok_psum(&u, ps));
    ZT_CHECK(!zn_udp_csum_ok_psum(&u, ps + 1));
    ZT_EQU(zn_csum_partial_psum(ps),
           zn_csum_partial(src, dst, ZN_IPPROTO_UDP, (uint16_t)n));
  }
}

/* With an IPv6 pseudo-header sum, the checksum written verifies against
 * the RFC 8200 §8.1 pseudo-header laid out by hand, and not against an
 * IPv4 one. */
ZT_TEST(test_psum_helpers_verify_ipv6) {
  static const uint8_t s6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
                                 0,    0,    0,    0,    0, 0, 0, 1};
  static const uint8_t d6[16] = {0xfe, 0x80, 0, 0, 0, 0, 0, 0,
                                 0x02, 0x11, 0x22, 0xff, 0xfe, 0x33, 0x44, 0x55};
  const uint8_t protos[2] = {ZN_IPPROTO_TCP, ZN_IPPROTO_UDP};
  uint8_t buf[40 + 200];
  for (int k = 0; k < 2; k++) {
    size_t n = 157;
    uint8_t *seg = buf + 40;
    fill_segment(seg, n, (uint8_t)k);
    seg[12] = 0x50;
    uint32_t ps = zn_csum_pseudo6(s6, d6, (uint32_t)n, protos[k]);
    if (protos[k] == ZN_IPPROTO_TCP)
      zn_tcp_finish_psum(seg, n, ps);
    else
      zn_udp_emit_psum(seg, 5353, 53, n, ps);
    memcpy(buf, s6, 16);
    memcpy(buf + 16, d6, 16);
    zn_wr32(buf + 32, (uint32_t)n);
    memset(buf + 36, 0, 3);
    buf[39] = protos[k];
    ZT_EQU(zn_csum(buf, 40 + n), 0);
    uint32_t ps4 = zn_csum_pseudo(0x0a000001u, 0x0a000002u, protos[k],
                                  (uint16_t)n);
    if (protos[k] == ZN_IPPROTO_TCP) {
      struct zn_tcp_view v;
      ZT_REQUIRE(zn_tcp_view_init(&v, seg, n) == ZN_OK);
      ZT_CHECK(zn_tcp_csum_ok_psum(&v, ps));
      ZT_CHECK(!zn_tcp_csum_ok_psum(&v, ps4));
    } else {
      struct zn_udp_view u;
      ZT_REQUIRE(zn_udp_view_init(&u, seg, n) == ZN_OK);
      ZT_CHECK(zn_udp_csum_ok_psum(&u, ps));
      ZT_CHECK(!zn_udp_csum_ok_psum(&u, ps4));
    }
  }
}

int main(void) {
  ZT_RUN(test_rfc1071_example);
  ZT_RUN(test_empty_and_zero);
  ZT_RUN(test_fold);
  ZT_RUN(test_odd_length);
  ZT_RUN(test_alignment_and_lengths);
  ZT_RUN(test_start_at_odd_address);
  ZT_RUN(test_large_buffers);
  ZT_RUN(test_chained_equals_oneshot);
  ZT_RUN(test_initial_sum);
  ZT_RUN(test_real_ipv4_headers);
  ZT_RUN(test_csum20_equals_csum);
  ZT_RUN(test_ipv4_csum_ok_equals_csum);
  ZT_RUN(test_pseudo_hand);
  ZT_RUN(test_pseudo_real_segments);
  ZT_RUN(test_update_rfc1624_example);
  ZT_RUN(test_update_random);
  ZT_RUN(test_update_ttl_real_header);
  ZT_RUN(test_psum_helpers_match_ipv4);
  ZT_RUN(test_psum_helpers_verify_ipv6);
  return zt_done();
}
