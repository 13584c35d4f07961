/*
 * Tests of src/wire/ipv6_wire.c and zn_csum_pseudo6: real datagrams from
 * ../shared/traces/v6-dhcp/ (ipv6_frames.h) parsed and the fixed header
 * re-emitted byte for byte, every truncation with its documented error,
 * link padding, jumbograms, the extension-header chain of real frames
 * (hop-by-hop, routing type 0, destination options, AH, fragments) and of
 * built ones (100+ headers, hop-by-hop second, first fragments cut short,
 * atomic fragments), the option iterator, the address helpers, and
 * ICMPv6/UDP checksums over the IPv6 pseudo-header.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "znet/err.h"
#include "znet/wire.h"
#include "ipv6_frames.h"
#include "zt.h"

/* A heap copy of exactly len bytes, so ASan sees any read past them. */
static uint8_t *exact_copy(const uint8_t *p, size_t len) {
  uint8_t *c = malloc(len ? len : 1);
  if (c && len)
    memcpy(c, p, len);
  return c;
}

/* A copy of the first len (>= 40) bytes of p whose payload length says
 * exactly len - 40: the datagram as a sender that cut it would emit it. */
static uint8_t *cut_copy(const uint8_t *p, size_t len) {
  uint8_t *c = exact_copy(p, len);
  if (c)
    zn_wr16(c + 4, (uint16_t)(len - ZN_IPV6_HDR_LEN));
  return c;
}

ZT_TEST(test_parse_golden) {
  struct zn_ipv6_view v;
  ZT_EQ(zn_ipv6_view_init(&v, ping, sizeof ping), ZN_OK);
  ZT_CHECK(v.p == ping);
  ZT_EQU(v.len, 80);
  ZT_EQU(v.tclass, 0);
  ZT_EQU(v.flow, 0);
  ZT_EQU(v.plen, 40);
  ZT_EQU(v.nxt, ZN_IPPROTO_ICMPV6);
  ZT_EQU(v.hlim, 128);
  ZT_CHECK(v.src == ping + 8 && v.dst == ping + 24);
  ZT_EQU(v.src[0], 0x26); /* 2620:0:e00:400e:d1d:db37:beb:5aac */
  ZT_EQU(v.src[15], 0xac);
  ZT_EQU(v.dst[1], 0x01); /* 2001:4860:8006::63 */
  ZT_EQU(v.dst[15], 0x63);
  ZT_CHECK(zn_ipv6_payload(&v) == ping + 40);
  ZT_EQU(zn_ipv6_payload_len(&v), 40);
  ZT_EQU(zn_ipv6_payload(&v)[0], 128); /* echo request */

  ZT_EQ(zn_ipv6_view_init(&v, opts_ah, sizeof opts_ah), ZN_OK);
  ZT_EQU(v.tclass, 0xe0);
  ZT_EQU(v.flow, 0);
  ZT_EQU(v.plen, 104);
  ZT_EQU(v.nxt, ZN_IPPROTO_HOPOPTS);
  ZT_EQU(v.hlim, 1);

  ZT_EQ(zn_ipv6_view_init(&v, frag_first, sizeof frag_first), ZN_OK);
  ZT_EQU(v.plen, 1440);
  ZT_EQU(v.nxt, ZN_IPPROTO_FRAGMENT);
  ZT_EQU(v.hlim, 53);
}

ZT_TEST(test_flow_label_and_class) {
  uint8_t p[40] = {0x6a, 0xbc, 0xde, 0xf1, 0, 0, ZN_IPPROTO_NONE};
  struct zn_ipv6_view v;
  ZT_EQ(zn_ipv6_view_init(&v, p, sizeof p), ZN_OK);
  ZT_EQU(v.tclass, 0xab);
  ZT_EQU(v.flow, 0xcdef1);
}

ZT_TEST(test_emit_golden) {
  static const struct { const uint8_t *p; size_t len; } frames[] = {
      {ping, sizeof ping}, {opts_ah, sizeof opts_ah},
      {hbh_rt0, sizeof hbh_rt0}, {frag_first, sizeof frag_first},
      {frag_last, sizeof frag_last}};
  for (size_t i = 0; i < sizeof frames / sizeof frames[0]; i++) {
    struct zn_ipv6_view v;
    uint8_t out[44];
    ZT_EQ(zn_ipv6_view_init(&v, frames[i].p, frames[i].len), ZN_OK);
    struct zn_ipv6_hdr h = {.tclass = v.tclass, .flow = v.flow,
                            .plen = v.plen, .nxt = v.nxt, .hlim = v.hlim};
    memcpy(h.src, v.src, 16);
    memcpy(h.dst, v.dst, 16);
    memset(out, 0xee, sizeof out);
    ZT_EQU(zn_ipv6_emit(out, &h), 40);
    ZT_MEMEQ(out, frames[i].p, 40);
    ZT_EQU(out[40], 0xee);
  }
  /* Every field lands in its own bits; the flow label is cut to 20. */
  struct zn_ipv6_hdr h = {.tclass = 0xab, .flow = 0xfffcdef1u, .plen = 0x1234,
                          .nxt = 17, .hlim = 255};
  uint8_t out[40];
  zn_ipv6_emit(out, &h);
  static const uint8_t want[8] = {0x6a, 0xbc, 0xde, 0xf1, 0x12, 0x34, 17, 255};
  ZT_MEMEQ(out, want, 8);
}

/* Every length below the datagram: ETRUNCATED under 40 bytes, ERANGE
 * once the fixed header is there but the payload is not. */
ZT_TEST(test_truncated) {
  for (size_t n = 0; n < sizeof hbh_rt0; n++) {
    uint8_t *c = exact_copy(hbh_rt0, n);
    struct zn_ipv6_view v;
    memset(&v, 0x5a, sizeof v);
    int want = n < ZN_IPV6_HDR_LEN ? ZN_ETRUNCATED : ZN_ERANGE;
    ZT_EQ(zn_ipv6_view_init(&v, c, n), want);
    ZT_EQU(v.len, 0x5a5a5a5a5a5a5a5aull); /* unwritten on failure */
    free(c);
  }
}

ZT_TEST(test_link_padding_outside_view) {
  uint8_t buf[sizeof ping + 6];
  memcpy(buf, ping, sizeof ping);
  memset(buf + sizeof ping, 0, 6);
  struct zn_ipv6_view v;
  ZT_EQ(zn_ipv6_view_init(&v, buf, sizeof buf), ZN_OK);
  ZT_EQU(v.len, sizeof ping);
  ZT_EQU(zn_ipv6_payload_len(&v), 40);
}

ZT_TEST(test_bad_version) {
  uint8_t c[sizeof ping];
  static const uint8_t versions[] = {0, 4, 5, 7, 15};
  for (size_t i = 0; i < sizeof versions; i++) {
    memcpy(c, ping, sizeof c);
    c[0] = (uint8_t)(versions[i] << 4);
    struct zn_ipv6_view v;
    ZT_EQ(zn_ipv6_view_init(&v, c, sizeof c), ZN_EPROTO);
  }
}

ZT_TEST(test_jumbogram_refused) {
  uint8_t c[48];
  memcpy(c, hbh_rt0, sizeof c); /* next header 0: hop-by-hop */
  zn_wr16(c + 4, 0);
  struct zn_ipv6_view v;
  ZT_EQ(zn_ipv6_view_init(&v, c, sizeof c), ZN_EMALFORMED);
  /* Payload length 0 before "no next header" is simply empty. */
  c[6] = ZN_IPPROTO_NONE;
  ZT_EQ(zn_ipv6_view_init(&v, c, sizeof c), ZN_OK);
  ZT_EQU(v.len, 40);
  struct zn_ipv6_chain w;
  ZT_EQ(zn_ipv6_chain_walk(&v, &w), ZN_OK);
  ZT_EQ(w.end, ZN_IPV6_END_NONE);
  ZT_EQU(w.off, 40);
}

ZT_TEST(test_chain_hbh_routing0) {
  struct zn_ipv6_view v;
  struct zn_ipv6_chain w;
  ZT_EQ(zn_ipv6_view_init(&v, hbh_rt0, sizeof hbh_rt0), ZN_OK);
  ZT_EQ(zn_ipv6_chain_walk(&v, &w), ZN_OK);
  ZT_EQU(w.n, 2);
  ZT_EQU(w.hdr[0].type, ZN_IPPROTO_HOPOPTS);
  ZT_EQU(w.hdr[0].off, 40);
  ZT_EQU(w.hdr[0].len, 8);
  ZT_EQU(w.hdr[1].type, ZN_IPPROTO_ROUTING);
  ZT_EQU(w.hdr[1].off, 48);
  ZT_EQU(w.hdr[1].len, 40);
  ZT_CHECK(w.has_rh);
  ZT_EQU(w.rh_type, 0); /* RFC 5095: the caller discards it */
  ZT_EQU(w.rh_segleft, 2);
  ZT_EQU(w.rh_off, 48);
  ZT_CHECK(!w.has_frag);
  ZT_EQ(w.end, ZN_IPV6_END_UPPER);
  ZT_EQU(w.proto, ZN_IPPROTO_UDP);
  ZT_EQU(w.off, 88);
  ZT_EQU(zn_rd16(hbh_rt0 + w.off), 53);
}

ZT_TEST(test_chain_options_ah) {
  struct zn_ipv6_view v;
  struct zn_ipv6_chain w;
  ZT_EQ(zn_ipv6_view_init(&v, opts_ah, sizeof opts_ah), ZN_OK);
  ZT_EQ(zn_ipv6_chain_walk(&v, &w), ZN_OK);
  ZT_EQU(w.n, 3);
  ZT_EQU(w.hdr[0].type, ZN_IPPROTO_HOPOPTS);
  ZT_EQU(w.hdr[1].type, ZN_IPPROTO_DSTOPTS);
  ZT_EQU(w.hdr[1].off, 48);
  ZT_EQU(w.hdr[2].type, ZN_IPPROTO_ROUTING);
  ZT_EQU(w.hdr[2].off, 56);
  ZT_EQU(w.hdr[2].len, 24);
  ZT_EQU(w.rh_segleft, 1);
  ZT_EQ(w.end, ZN_IPV6_END_EXT); /* AH is not walked */
  ZT_EQU(w.proto, ZN_IPPROTO_AH);
  ZT_EQU(w.off, 80);
}

ZT_TEST(test_chain_fragments) {
  struct zn_ipv6_view v;
  struct zn_ipv6_chain w;
  ZT_EQ(zn_ipv6_view_init(&v, frag_first, sizeof frag_first), ZN_OK);
  ZT_EQ(zn_ipv6_chain_walk(&v, &w), ZN_OK);
  ZT_EQU(w.n, 1);
  ZT_CHECK(w.has_frag);
  ZT_EQU(w.frag_offset, 0);
  ZT_CHECK(w.frag_more);
  ZT_EQU(w.frag_id, 2);
  ZT_CHECK(!w.frag_atomic);
  ZT_EQ(w.end, ZN_IPV6_END_UPPER);
  ZT_EQU(w.proto, ZN_IPPROTO_UDP);
  ZT_EQU(w.off, 48);

  ZT_EQ(zn_ipv6_view_init(&v, frag_last, sizeof frag_last), ZN_OK);
  ZT_EQ(zn_ipv6_chain_walk(&v, &w), ZN_OK);
  ZT_CHECK(w.has_frag);
  ZT_EQU(w.frag_offset, 2896);
  ZT_CHECK(!w.frag_more);
  ZT_EQU(w.frag_id, 1);
  ZT_CHECK(!w.frag_atomic);
  ZT_EQ(w.end, ZN_IPV6_END_FRAGMENT);
  ZT_EQU(w.proto, ZN_IPPROTO_UDP);
  ZT_EQU(w.off, 48);
}

/* An atomic fragment (RFC 6946): offset 0, M 0, built on the ping. */
ZT_TEST(test_chain_atomic_fragment) {
  uint8_t c[sizeof ping + 8];
  memcpy(c, ping, 40);
  memcpy(c + 48, ping + 40, 40);
  static const uint8_t fh[8] = {ZN_IPPROTO_ICMPV6, 0, 0, 0, 1, 2, 3, 4};
  memcpy(c + 40, fh, 8);
  c[6] = ZN_IPPROTO_FRAGMENT;
  zn_wr16(c + 4, 48);
  struct zn_ipv6_view v;
  struct zn_ipv6_chain w;
  ZT_EQ(zn_ipv6_view_init(&v, c, sizeof c), ZN_OK);
  ZT_EQ(zn_ipv6_chain_walk(&v, &w), ZN_OK);
  ZT_CHECK(w.has_frag && w.frag_atomic);
  ZT_EQU(w.frag_id, 0x01020304u);
  ZT_EQ(w.end, ZN_IPV6_END_UPPER);
  ZT_EQU(w.proto, ZN_IPPROTO_ICMPV6);
  ZT_EQU(w.off, 48);
}

/* A second fragment header, here one with offset 8 behind the real
 * first fragment's: refused where it starts. */
ZT_TEST(test_chain_second_fragment_header) {
  uint8_t c[64];
  memcpy(c, frag_first, 48);
  static const uint8_t fh[16] = {ZN_IPPROTO_UDP, 0, 0, 8, 0, 0, 0, 7};
  memcpy(c + 48, fh, sizeof fh);
  c[40] = ZN_IPPROTO_FRAGMENT;
  zn_wr16(c + 4, 24);
  struct zn_ipv6_view v;
  struct zn_ipv6_chain w;
  ZT_EQ(zn_ipv6_view_init(&v, c, sizeof c), ZN_OK);
  ZT_EQ(zn_ipv6_chain_walk(&v, &w), ZN_EEXIST);
  ZT_EQU(w.err_ptr, 48);
  ZT_EQU(w.err_code, ZN_ICMPV6_PARAM_HDR);
}

/* Every cut of the hop-by-hop/routing frame, its payload length made to
 * agree: the chain is short until byte 88, then whole. */
ZT_TEST(test_chain_every_cut) {
  for (size_t n = ZN_IPV6_HDR_LEN; n <= sizeof hbh_rt0; n++) {
    uint8_t *c = cut_copy(hbh_rt0, n);
    struct zn_ipv6_view v;
    struct zn_ipv6_chain w;
    int rc = zn_ipv6_view_init(&v, c, n);
    if (n == ZN_IPV6_HDR_LEN) {
      ZT_EQ(rc, ZN_EMALFORMED); /* payload length 0 before hop-by-hop */
      free(c);
      continue;
    }
    ZT_EQ(rc, ZN_OK);
    rc = zn_ipv6_chain_walk(&v, &w);
    if (n < 88) {
      ZT_EQ(rc, ZN_ETRUNCATED);
      ZT_EQU(w.err_code, ZN_ICMPV6_PARAM_HDR);
      ZT_EQU(w.err_ptr, n < 48 ? 40 : 48);
    } else {
      ZT_EQ(rc, ZN_OK);
      ZT_EQU(w.off, 88);
    }
    free(c);
  }
}

/* Every cut of the first fragment: inside the fragment header the chain
 * is merely short; after it, a fragment without the start of the UDP
 * header lacks the chain (RFC 7112), and fragment data not a multiple of
 * 8 bytes is refused (RFC 8200 4.5). */
ZT_TEST(test_chain_first_fragment_cut) {
  for (size_t n = ZN_IPV6_HDR_LEN; n <= 200; n++) {
    uint8_t *c = cut_copy(frag_first, n);
    struct zn_ipv6_view v;
    struct zn_ipv6_chain w;
    ZT_EQ(zn_ipv6_view_init(&v, c, n), ZN_OK);
    int rc = zn_ipv6_chain_walk(&v, &w);
    if (n < 48) {
      ZT_EQ(rc, ZN_ETRUNCATED);
      ZT_EQU(w.err_ptr, 40);
    } else if (n == 48) {
      ZT_EQ(rc, ZN_ENOENT);
      ZT_EQU(w.err_code, ZN_ICMPV6_PARAM_CHAIN);
      ZT_EQU(w.err_ptr, 0);
    } else if ((n - 48) % 8 != 0) {
      ZT_EQ(rc, ZN_EMALFORMED);
      ZT_EQU(w.err_code, ZN_ICMPV6_PARAM_HDR);
      ZT_EQU(w.err_ptr, 4);
    } else {
      ZT_EQ(rc, ZN_OK);
      ZT_EQU(w.off, 48);
    }
    free(c);
  }
}

/* A first fragment whose chain goes on past its end: destination
 * options, fragment header, then a routing header cut off. */
ZT_TEST(test_chain_first_fragment_lacks_chain) {
  uint8_t c[40 + 8 + 8 + 8];
  memcpy(c, ping, 40);
  c[6] = ZN_IPPROTO_DSTOPTS;
  zn_wr16(c + 4, 24);
  static const uint8_t tail[24] = {
      ZN_IPPROTO_FRAGMENT, 0, 1, 4, 0, 0, 0, 0,   /* dst opts, PadN */
      ZN_IPPROTO_ROUTING, 0, 0, 1, 0, 0, 0, 9,    /* offset 0, M */
      ZN_IPPROTO_UDP, 2, 0, 1, 0, 0, 0, 0};       /* routing, 24 bytes */
  memcpy(c + 40, tail, sizeof tail);
  struct zn_ipv6_view v;
  struct zn_ipv6_chain w;
  ZT_EQ(zn_ipv6_view_init(&v, c, sizeof c), ZN_OK);
  ZT_EQ(zn_ipv6_chain_walk(&v, &w), ZN_ENOENT);
  ZT_EQU(w.err_code, ZN_ICMPV6_PARAM_CHAIN);
  ZT_EQU(w.err_ptr, 0);
  /* The same, not a fragment (M 0): just truncated, at the header. */
  c[51] = 0;
  ZT_EQ(zn_ipv6_chain_walk(&v, &w), ZN_ETRUNCATED);
  ZT_EQU(w.err_ptr, 56);
}

ZT_TEST(test_chain_hbh_not_first) {
  uint8_t c[56];
  memcpy(c, ping, 40);
  c[6] = ZN_IPPROTO_DSTOPTS;
  zn_wr16(c + 4, 16);
  static const uint8_t tail[16] = {ZN_IPPROTO_HOPOPTS, 0, 1, 4, 0, 0, 0, 0,
                                   ZN_IPPROTO_NONE, 0, 1, 4, 0, 0, 0, 0};
  memcpy(c + 40, tail, sizeof tail);
  struct zn_ipv6_view v;
  struct zn_ipv6_chain w;
  ZT_EQ(zn_ipv6_view_init(&v, c, sizeof c), ZN_OK);
  ZT_EQ(zn_ipv6_chain_walk(&v, &w), ZN_EPROTO);
  ZT_EQU(w.err_code, ZN_ICMPV6_PARAM_NXT);
  ZT_EQU(w.err_ptr, 40); /* the next-header field that names it */
  /* First, it is fine. */
  c[6] = ZN_IPPROTO_HOPOPTS;
  c[40] = ZN_IPPROTO_DSTOPTS;
  ZT_EQ(zn_ipv6_chain_walk(&v, &w), ZN_OK);
  ZT_EQ(w.end, ZN_IPV6_END_NONE);
  ZT_EQU(w.n, 2);
}

/* 120 destination options headers, 8 bytes each: refused at the ninth,
 * after looking at nine headers. */
ZT_TEST(test_chain_too_many_headers) {
  enum { N = 120 };
  uint8_t *c = calloc(1, 40 + 8 * N);
  ZT_REQUIRE(c != NULL);
  memcpy(c, ping, 40);
  c[6] = ZN_IPPROTO_DSTOPTS;
  zn_wr16(c + 4, 8 * N);
  for (size_t i = 0; i < N; i++) {
    c[40 + 8 * i] = i + 1 < N ? ZN_IPPROTO_DSTOPTS : ZN_IPPROTO_NONE;
    c[40 + 8 * i + 2] = ZN_IPV6_OPT_PADN;
    c[40 + 8 * i + 3] = 4;
  }
  struct zn_ipv6_view v;
  struct zn_ipv6_chain w;
  ZT_EQ(zn_ipv6_view_init(&v, c, 40 + 8 * N), ZN_OK);
  ZT_EQ(zn_ipv6_chain_walk(&v, &w), ZN_ERANGE);
  ZT_EQU(w.err_ptr, 40 + 8 * ZN_IPV6_CHAIN_MAX_HDRS);
  ZT_EQU(w.err_code, ZN_ICMPV6_PARAM_HDR);
  /* Exactly the bound is accepted. */
  c[40 + 8 * (ZN_IPV6_CHAIN_MAX_HDRS - 1)] = ZN_IPPROTO_NONE;
  ZT_EQ(zn_ipv6_chain_walk(&v, &w), ZN_OK);
  ZT_EQU(w.n, ZN_IPV6_CHAIN_MAX_HDRS);
  ZT_EQ(w.end, ZN_IPV6_END_NONE);
  free(c);
}

/* Two headers whose lengths together pass ZN_IPV6_CHAIN_MAX_LEN. */
ZT_TEST(test_chain_too_long) {
  size_t plen = 1024 + 512;
  uint8_t *c = calloc(1, 40 + plen);
  ZT_REQUIRE(c != NULL);
  memcpy(c, ping, 40);
  c[6] = ZN_IPPROTO_DSTOPTS;
  zn_wr16(c + 4, (uint16_t)plen);
  c[40] = ZN_IPPROTO_DSTOPTS;
  c[41] = 1024 / 8 - 1;
  c[40 + 1024] = ZN_IPPROTO_NONE;
  c[40 + 1024 + 1] = 512 / 8 - 1;
  struct zn_ipv6_view v;
  struct zn_ipv6_chain w;
  ZT_EQ(zn_ipv6_view_init(&v, c, 40 + plen), ZN_OK);
  ZT_EQ(zn_ipv6_chain_walk(&v, &w), ZN_ERANGE);
  ZT_EQU(w.err_ptr, 40 + 1024);
  c[40 + 1024 + 1] = (ZN_IPV6_CHAIN_MAX_LEN - 1024) / 8 - 1; /* 216: fits */
  ZT_EQ(zn_ipv6_chain_walk(&v, &w), ZN_OK);
  ZT_EQU(w.off, 40 + ZN_IPV6_CHAIN_MAX_LEN);
  free(c);
}

ZT_TEST(test_chain_end_kinds) {
  uint8_t c[48];
  memcpy(c, ping, 40);
  memset(c + 40, 0, 8);
  zn_wr16(c + 4, 8);
  struct zn_ipv6_view v;
  struct zn_ipv6_chain w;
  static const struct { uint8_t nxt; enum zn_ipv6_chain_end end; } k[] = {
      {ZN_IPPROTO_TCP, ZN_IPV6_END_UPPER}, {ZN_IPPROTO_ICMPV6, ZN_IPV6_END_UPPER},
      {200, ZN_IPV6_END_UPPER}, {ZN_IPPROTO_NONE, ZN_IPV6_END_NONE},
      {ZN_IPPROTO_ESP, ZN_IPV6_END_EXT}, {ZN_IPPROTO_AH, ZN_IPV6_END_EXT},
      {ZN_IPPROTO_MOBILITY, ZN_IPV6_END_EXT}, {ZN_IPPROTO_HIP, ZN_IPV6_END_EXT},
      {ZN_IPPROTO_SHIM6, ZN_IPV6_END_EXT}, {ZN_IPPROTO_EXP1, ZN_IPV6_END_EXT},
      {ZN_IPPROTO_EXP2, ZN_IPV6_END_EXT}};
  for (size_t i = 0; i < sizeof k / sizeof k[0]; i++) {
    c[6] = k[i].nxt;
    ZT_EQ(zn_ipv6_view_init(&v, c, sizeof c), ZN_OK);
    ZT_EQ(zn_ipv6_chain_walk(&v, &w), ZN_OK);
    ZT_EQ(w.end, k[i].end);
    ZT_EQU(w.proto, k[i].nxt);
    ZT_EQU(w.off, 40);
    ZT_EQU(w.n, 0);
  }
}

ZT_TEST(test_options_golden) {
  struct zn_ipv6_view v;
  struct zn_ipv6_opt_iter it;
  struct zn_ipv6_opt o;
  ZT_EQ(zn_ipv6_view_init(&v, opts_ah, sizeof opts_ah), ZN_OK);
  ZT_EQ(zn_ipv6_opts_init(&it, &v, 40), ZN_OK); /* hop-by-hop */
  ZT_EQ(zn_ipv6_opts_next(&it, &o), 1);
  ZT_EQU(o.type, ZN_IPV6_OPT_ROUTER_ALERT);
  ZT_EQU(o.len, 2);
  ZT_EQU(o.off, 42);
  ZT_CHECK(o.data == opts_ah + 44);
  ZT_EQU(zn_rd16(o.data), 0); /* MLD */
  ZT_EQ(zn_ipv6_opts_next(&it, &o), 0); /* PadN skipped */
  ZT_EQ(zn_ipv6_opts_next(&it, &o), 0);
  ZT_EQ(zn_ipv6_opts_init(&it, &v, 48), ZN_OK); /* destination options */
  ZT_EQ(zn_ipv6_opts_next(&it, &o), 1);
  ZT_EQU(o.type, 0x0b);
  ZT_EQU(o.len, 1);
  ZT_EQU(o.off, 50);
  ZT_EQ(zn_ipv6_opt_action(o.type), ZN_IPV6_OPT_SKIP);
  ZT_EQ(zn_ipv6_opts_next(&it, &o), 0);

  ZT_EQ(zn_ipv6_view_init(&v, hbh_rt0, sizeof hbh_rt0), ZN_OK);
  ZT_EQ(zn_ipv6_opts_init(&it, &v, 40), ZN_OK); /* only PadN 4 */
  ZT_EQ(zn_ipv6_opts_next(&it, &o), 0);
}

ZT_TEST(test_options_malformed) {
  uint8_t c[56];
  memcpy(c, ping, 40);
  c[6] = ZN_IPPROTO_HOPOPTS;
  zn_wr16(c + 4, 16);
  static const uint8_t hbh[16] = {ZN_IPPROTO_NONE, 1,
                                  0, 0, 0, 0, 0, 0, /* six Pad1 */
                                  0xc7, 5, 1, 2, 3, 4, 5, /* ends at 55 */
                                  0xee};
  memcpy(c + 40, hbh, sizeof hbh);
  struct zn_ipv6_view v;
  struct zn_ipv6_opt_iter it;
  struct zn_ipv6_opt o;
  ZT_EQ(zn_ipv6_view_init(&v, c, sizeof c), ZN_OK);
  ZT_EQ(zn_ipv6_opts_init(&it, &v, 40), ZN_OK);
  ZT_EQ(zn_ipv6_opts_next(&it, &o), 1);
  ZT_EQU(o.type, 0xc7);
  ZT_EQU(o.off, 48);
  ZT_EQ(zn_ipv6_opt_action(o.type), ZN_IPV6_OPT_DISCARD_ICMP_UCAST);
  ZT_CHECK(!zn_ipv6_opt_may_change(o.type));
  /* The last byte, type 0xee, has no length byte. */
  ZT_EQ(zn_ipv6_opts_next(&it, &o), ZN_ETRUNCATED);
  ZT_EQ(zn_ipv6_opts_next(&it, &o), 0);
  /* A length one past the header. */
  c[49] = 7;
  ZT_EQ(zn_ipv6_opts_init(&it, &v, 40), ZN_OK);
  ZT_EQ(zn_ipv6_opts_next(&it, &o), ZN_ETRUNCATED);
  /* Exactly to the end. */
  c[49] = 6;
  ZT_EQ(zn_ipv6_opts_init(&it, &v, 40), ZN_OK);
  ZT_EQ(zn_ipv6_opts_next(&it, &o), 1);
  ZT_EQU(o.len, 6);
  ZT_EQ(zn_ipv6_opts_next(&it, &o), 0);
  /* The header itself past the datagram. */
  c[41] = 2;
  ZT_EQ(zn_ipv6_opts_init(&it, &v, 40), ZN_ETRUNCATED);
  ZT_EQ(zn_ipv6_opts_init(&it, &v, 55), ZN_ETRUNCATED);
  ZT_EQ(zn_ipv6_opts_init(&it, &v, 56), ZN_ETRUNCATED);
  ZT_EQ(zn_ipv6_opts_init(&it, &v, 1000), ZN_ETRUNCATED);
}

ZT_TEST(test_option_actions) {
  ZT_EQ(zn_ipv6_opt_action(0x1e), ZN_IPV6_OPT_SKIP);
  ZT_EQ(zn_ipv6_opt_action(0x4d), ZN_IPV6_OPT_DISCARD);
  ZT_EQ(zn_ipv6_opt_action(0x8a), ZN_IPV6_OPT_DISCARD_ICMP);
  ZT_EQ(zn_ipv6_opt_action(ZN_IPV6_OPT_JUMBO), ZN_IPV6_OPT_DISCARD_ICMP_UCAST);
  ZT_CHECK(zn_ipv6_opt_may_change(0x3e));
  ZT_CHECK(!zn_ipv6_opt_may_change(ZN_IPV6_OPT_ROUTER_ALERT));
}

ZT_TEST(test_addresses) {
  uint8_t a[16] = {0};
  ZT_CHECK(zn_ipv6_addr_is_unspecified(a));
  ZT_CHECK(!zn_ipv6_addr_is_loopback(a));
  a[15] = 1;
  ZT_CHECK(!zn_ipv6_addr_is_unspecified(a));
  ZT_CHECK(zn_ipv6_addr_is_loopback(a));
  a[0] = 1;
  ZT_CHECK(!zn_ipv6_addr_is_loopback(a));
  memset(a, 0, 16);
  a[10] = a[11] = 0xff;
  a[12] = 192;
  ZT_CHECK(zn_ipv6_addr_is_v4mapped(a));
  a[9] = 1;
  ZT_CHECK(!zn_ipv6_addr_is_v4mapped(a));
  a[9] = 0;
  a[11] = 0xfe;
  ZT_CHECK(!zn_ipv6_addr_is_v4mapped(a));

  const uint8_t *ospf_dst = opts_ah + 24; /* ff02::5 */
  ZT_CHECK(zn_ipv6_addr_is_mcast(ospf_dst));
  ZT_EQU(zn_ipv6_mcast_scope(ospf_dst), 2);
  const uint8_t *ll = opts_ah + 8; /* fe80::2 */
  ZT_CHECK(zn_ipv6_addr_is_linklocal(ll));
  ZT_CHECK(!zn_ipv6_addr_is_mcast(ll));
  ZT_CHECK(!zn_ipv6_addr_is_linklocal(ospf_dst));
  uint8_t b[16] = {0xfe, 0xbf};
  ZT_CHECK(zn_ipv6_addr_is_linklocal(b));
  b[1] = 0xc0; /* fec0::, deprecated site-local */
  ZT_CHECK(!zn_ipv6_addr_is_linklocal(b));
  ZT_CHECK(!zn_ipv6_addr_is_linklocal(ping + 8));

  /* The capture's own Ethernet destination for ff02::5. */
  uint8_t mac[6];
  static const uint8_t want_mac[6] = {0x33, 0x33, 0, 0, 0, 5};
  zn_ipv6_mcast_mac(ospf_dst, mac);
  ZT_MEMEQ(mac, want_mac, 6);

  /* 2001:4f8:4:7:2e0:81ff:fe52:ffff -> ff02::1:ff52:ffff, in place too. */
  static const uint8_t want_sn[16] = {0xff, 2, 0, 0, 0, 0, 0, 0,
                                      0, 0, 0, 1, 0xff, 0x52, 0xff, 0xff};
  uint8_t sn[16];
  zn_ipv6_solicited_node(hbh_rt0 + 8, sn);
  ZT_MEMEQ(sn, want_sn, 16);
  memcpy(sn, hbh_rt0 + 8, 16);
  zn_ipv6_solicited_node(sn, sn);
  ZT_MEMEQ(sn, want_sn, 16);
  zn_ipv6_mcast_mac(sn, mac);
  static const uint8_t want_snmac[6] = {0x33, 0x33, 0xff, 0x52, 0xff, 0xff};
  ZT_MEMEQ(mac, want_snmac, 6);
}

/* The transport checksum of a datagram whose upper layer starts at off,
 * with dst as the pseudo-header's destination. */
static uint16_t upper_csum(const uint8_t *ip, size_t len, size_t off,
                           const uint8_t *dst, uint8_t nxt) {
  uint32_t sum = zn_csum_pseudo6(ip + 8, dst, (uint32_t)(len - off), nxt);
  return zn_csum_fold(zn_csum_add(sum, ip + off, len - off));
}

ZT_TEST(test_csum_pseudo6_golden) {
  ZT_EQU(upper_csum(ping, sizeof ping, 40, ping + 24, ZN_IPPROTO_ICMPV6), 0);
  ZT_EQU(upper_csum(dns_udp, sizeof dns_udp, 40, dns_udp + 24,
                    ZN_IPPROTO_UDP), 0);
  ZT_EQU(upper_csum(hbh_rt0, sizeof hbh_rt0, 88, hbh_rt0 + 72,
                    ZN_IPPROTO_UDP), 0);
  /* Behind a routing header the final destination counts (RFC 8200 8.1):
   * the last address of the routing header, not the header's. */
  ZT_EQU(upper_csum(rt0_icmp, sizeof rt0_icmp, 80, rt0_icmp + 64,
                    ZN_IPPROTO_ICMPV6), 0);
  ZT_CHECK(upper_csum(rt0_icmp, sizeof rt0_icmp, 80, rt0_icmp + 24,
                      ZN_IPPROTO_ICMPV6) != 0);
  /* A changed byte breaks it. */
  uint8_t c[sizeof ping];
  memcpy(c, ping, sizeof c);
  c[50] ^= 1;
  ZT_CHECK(upper_csum(c, sizeof c, 40, c + 24, ZN_IPPROTO_ICMPV6) != 0);
}

/* Against the pseudo-header laid out in bytes, lengths above 16 bits
 * included. */
ZT_TEST(test_csum_pseudo6_layout) {
  static const uint32_t lens[] = {0, 40, 0xffff, 0x10000, 0x12345678u,
                                  0xffffffffu};
  static const uint8_t nxts[] = {0, ZN_IPPROTO_ICMPV6, ZN_IPPROTO_TCP, 0xff};
  /* The capture's addresses, all zeros, all ones, and pseudo-random
   * ones (the word sums carry across every position). */
  uint8_t addrs[8][32];
  memcpy(addrs[0], ping + 8, 32);
  memset(addrs[1], 0, 32);
  memset(addrs[2], 0xff, 32);
  uint32_t x = 0x9e3779b9u;
  for (int a = 3; a < 8; a++)
    for (int j = 0; j < 32; j++) {
      x = x * 1103515245u + 12345u;
      addrs[a][j] = (uint8_t)(x >> 24);
    }
  for (int a = 0; a < 8; a++)
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++)
      for (size_t k = 0; k < sizeof nxts; k++) {
        uint8_t ph[40];
        memcpy(ph, addrs[a], 32);
        zn_wr32(ph + 32, lens[i]);
        ph[36] = ph[37] = ph[38] = 0;
        ph[39] = nxts[k];
        uint32_t got =
            zn_csum_pseudo6(addrs[a], addrs[a] + 16, lens[i], nxts[k]);
        ZT_EQU(zn_csum_fold(got), zn_csum(ph, sizeof ph));
        /* Zero only if every byte was (RFC 1071's +0 and -0). */
        ZT_EQU(got == 0, zn_csum_add(0, ph, sizeof ph) == 0);
      }
}

/* Locating the IPv6 header and the upper-layer header behind it: past
 * hop-by-hop, routing and destination options headers, untagged and
 * behind an 802.1Q tag; a fragment header ends the walk; not IPv6, a bad
 * version, an extension header running past the frame, or fewer than 8
 * bytes at the upper layer: false.  zn_eth_ip_locate takes both. */
ZT_TEST(test_eth_ipv6_locate) {
  uint8_t f[200];
  memset(f, 0, sizeof(f));
  zn_wr16(f + 12, ZN_ETHERTYPE_IPV6);
  f[14] = 0x60;
  f[20] = ZN_IPPROTO_TCP;
  size_t ip = 0, l4 = 0;
  uint8_t proto = 0;
  bool v6 = false;
  ZT_CHECK(zn_eth_ipv6_locate(f, 54 + 8, &ip, &l4, &proto));
  ZT_EQU(ip, 14);
  ZT_EQU(l4, 54);
  ZT_EQU(proto, ZN_IPPROTO_TCP);
  ZT_CHECK(!zn_eth_ipv6_locate(f, 54 + 7, &ip, &l4, &proto));
  /* Hop-by-hop (8), routing (24), destination options (16), then UDP. */
  f[20] = ZN_IPPROTO_HOPOPTS;
  f[54] = ZN_IPPROTO_ROUTING;
  f[62] = ZN_IPPROTO_DSTOPTS;
  f[63] = 2;
  f[86] = ZN_IPPROTO_UDP;
  f[87] = 1;
  ZT_CHECK(zn_eth_ipv6_locate(f, 102 + 8, &ip, &l4, &proto));
  ZT_EQU(l4, 102);
  ZT_EQU(proto, ZN_IPPROTO_UDP);
  ZT_CHECK(zn_eth_ip_locate(f, 102 + 8, &ip, &l4, &proto, &v6));
  ZT_CHECK(v6);
  ZT_EQU(l4, 102);
  ZT_CHECK(!zn_eth_ipv6_locate(f, 102 + 7, &ip, &l4, &proto));
  ZT_CHECK(!zn_eth_ipv6_locate(f, 90, &ip, &l4, &proto)); /* cut in one */
  /* A fragment header is not stepped over. */
  f[86] = ZN_IPPROTO_FRAGMENT;
  ZT_CHECK(zn_eth_ipv6_locate(f, sizeof(f), &ip, &l4, &proto));
  ZT_EQU(l4, 102);
  ZT_EQU(proto, ZN_IPPROTO_FRAGMENT);
  /* An extension header claiming more than the frame holds. */
  f[63] = 30;
  ZT_CHECK(!zn_eth_ipv6_locate(f, sizeof(f), &ip, &l4, &proto));
  f[14] = 0x40; /* version 4 */
  ZT_CHECK(!zn_eth_ipv6_locate(f, sizeof(f), &ip, &l4, &proto));
  /* Tagged: 0x8100, TCI, then the type. */
  memset(f, 0, sizeof(f));
  zn_wr16(f + 12, ZN_ETHERTYPE_VLAN);
  zn_wr16(f + 16, ZN_ETHERTYPE_IPV6);
  f[18] = 0x60;
  f[24] = ZN_IPPROTO_UDP;
  ZT_CHECK(zn_eth_ipv6_locate(f, 58 + 8, &ip, &l4, &proto));
  ZT_EQU(ip, 18);
  ZT_EQU(l4, 58);
  ZT_CHECK(!zn_eth_ipv6_locate(f, 18 + 39, &ip, &l4, &proto));
  ZT_CHECK(!zn_eth_ipv6_locate(f, 10, &ip, &l4, &proto));
  /* IPv4 through zn_eth_ip_locate; ARP through neither. */
  memset(f, 0, sizeof(f));
  zn_wr16(f + 12, ZN_ETHERTYPE_IPV4);
  f[14] = 0x45;
  f[23] = ZN_IPPROTO_TCP;
  ZT_CHECK(!zn_eth_ipv6_locate(f, sizeof(f), &ip, &l4, &proto));
  ZT_CHECK(zn_eth_ip_locate(f, sizeof(f), &ip, &l4, &proto, &v6));
  ZT_CHECK(!v6);
  ZT_EQU(l4, 34);
  zn_wr16(f + 12, 0x0806);
  ZT_CHECK(!zn_eth_ip_locate(f, sizeof(f), &ip, &l4, &proto, &v6));
}

int main(void) {
  ZT_RUN(test_parse_golden);
  ZT_RUN(test_flow_label_and_class);
  ZT_RUN(test_emit_golden);
  ZT_RUN(test_truncated);
  ZT_RUN(test_link_padding_outside_view);
  ZT_RUN(test_bad_version);
  ZT_RUN(test_jumbogram_refused);
  ZT_RUN(test_chain_hbh_routing0);
  ZT_RUN(test_chain_options_ah);
  ZT_RUN(test_chain_fragments);
  ZT_RUN(test_chain_atomic_fragment);
  ZT_RUN(test_chain_every_cut);
  ZT_RUN(test_chain_first_fragment_cut);
  ZT_RUN(test_chain_first_fragment_lacks_chain);
  ZT_RUN(test_chain_second_fragment_header);
  ZT_RUN(test_chain_hbh_not_first);
  ZT_RUN(test_chain_too_many_headers);
  ZT_RUN(test_chain_too_long);
  ZT_RUN(test_chain_end_kinds);
  ZT_RUN(test_options_golden);
  ZT_RUN(test_options_malformed);
  ZT_RUN(test_option_actions);
  ZT_RUN(test_addresses);
  ZT_RUN(test_csum_pseudo6_golden);
  ZT_RUN(test_csum_pseudo6_layout);
  ZT_RUN(test_eth_ipv6_locate);
  return zt_done();
}
