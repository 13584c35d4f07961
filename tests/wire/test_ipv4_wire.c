/*
 * Tests of src/wire/ipv4_wire.c: real headers parsed and re-emitted byte for
 * byte, every truncation with its documented error, padding after the
 * total length, bad version/IHL/total length, options, and datagrams
 * quoted (cut short) inside an ICMP error.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "znet/err.h"
#include "znet/wire.h"
#include "frames.h"
#include "zt.h"



/* Port unreachable 192.168.2.2 -> 192.168.2.202 (tos 0xc0), quoting the
 * first 548 bytes of a 1052-byte UDP datagram. */

static uint8_t *exact_copy(const uint8_t *p, size_t len) {
  uint8_t *c = malloc(len ? len : 1);
  if (c && len)
    memcpy(c, p, len);
  return c;
}

#define REQ_IP (icmpv4_request + 14)
#define REQ_IP_LEN (sizeof icmpv4_request - 14) /* 84 */

ZT_TEST(test_parse_golden) {
  struct zn_ipv4_view v;
  ZT_EQU(REQ_IP_LEN, 84);
  ZT_EQ(zn_ipv4_view_init(&v, REQ_IP, REQ_IP_LEN), ZN_OK);
  ZT_CHECK(v.p == REQ_IP);
  ZT_EQU(v.hdr_len, 20);
  ZT_EQU(v.tot_len, 84);
  ZT_EQU(v.len, 84);
  ZT_EQU(v.tos, 0);
  ZT_EQU(v.id, 0xdbf9);
  ZT_EQU(v.frag, 0x4000);
  ZT_CHECK(zn_ipv4_df(&v));
  ZT_CHECK(!zn_ipv4_mf(&v));
  ZT_CHECK(!zn_ipv4_is_fragment(&v));
  ZT_EQU(zn_ipv4_frag_offset(&v), 0);
  ZT_EQU(v.ttl, 64);
  ZT_EQU(v.proto, ZN_IPPROTO_ICMP);
  ZT_EQU(v.src, 0xc0a84564u);
  ZT_EQU(v.dst, 0xc0a84501u);
  ZT_CHECK(zn_ipv4_csum_ok(&v));
  ZT_CHECK(zn_ipv4_payload(&v) == REQ_IP + 20);
  ZT_EQU(zn_ipv4_payload_len(&v), 64);
  ZT_EQU(zn_ipv4_payload(&v)[0], ZN_ICMP_ECHO_REQUEST);

  ZT_EQ(zn_ipv4_view_init(&v, udpv4 + 14, sizeof udpv4 - 14), ZN_OK);
  ZT_EQU(v.tot_len, 108);
  ZT_EQU(v.tos, 0x02);
  ZT_EQU(v.id, 0xf1b4);
  ZT_EQU(v.frag, 0);
  ZT_CHECK(!zn_ipv4_df(&v));
  ZT_EQU(v.ttl, 52);
  ZT_EQU(v.proto, ZN_IPPROTO_UDP);
  ZT_EQU(v.src, 0xbca6da13u);
  ZT_EQU(v.dst, 0xc0a8656au);
  ZT_CHECK(zn_ipv4_csum_ok(&v));
}

ZT_TEST(test_emit_golden) {
  uint8_t out[24];
  struct zn_ipv4_hdr h = {
      .tos = 0, .ttl = 64, .proto = ZN_IPPROTO_ICMP, .id = 0xdbf9,
      .frag = ZN_IPV4_DF, .tot_len = 84,
      .src = 0xc0a84564u, .dst = 0xc0a84501u,
  };
  memset(out, 0xee, sizeof out);
  ZT_EQU(zn_ipv4_emit(out, &h), 20);
  ZT_MEMEQ(out, REQ_IP, 20); /* checksum 52f9 included */
  ZT_EQU(out[20], 0xee);

  struct zn_ipv4_hdr u = {
      .tos = 0x02, .ttl = 52, .proto = ZN_IPPROTO_UDP, .id = 0xf1b4,
      .frag = 0, .tot_len = 108,
      .src = 0xbca6da13u, .dst = 0xc0a8656au,
  };
  ZT_EQU(zn_ipv4_emit(out, &u), 20);
  ZT_MEMEQ(out, udpv4 + 14, 20);

  struct zn_ipv4_hdr e = {
      .tos = 0xc0, .ttl = 64, .proto = ZN_IPPROTO_ICMP, .id = 0xcf11,
      .frag = 0, .tot_len = 576,
      .src = 0xc0a80202u, .dst = 0xc0a802cau,
  };
  ZT_EQU(zn_ipv4_emit(out, &e), 20);
  ZT_MEMEQ(out, icmpv4_unreachable + 14, 20);

  /* Emitted headers parse back to the same fields (a fragment here). */
  struct zn_ipv4_hdr f = {
      .tos = 0x10, .ttl = 1, .proto = ZN_IPPROTO_TCP, .id = 0xffff,
      .frag = ZN_IPV4_MF | 185, .tot_len = 20,
      .src = 0x0a000001u, .dst = ZN_IPV4_BCAST,
  };
  ZT_EQU(zn_ipv4_emit(out, &f), 20);
  struct zn_ipv4_view v;
  ZT_EQ(zn_ipv4_view_init(&v, out, 20), ZN_OK);
  ZT_CHECK(zn_ipv4_csum_ok(&v));
  ZT_EQU(v.tos, 0x10);
  ZT_EQU(v.ttl, 1);
  ZT_EQU(v.proto, ZN_IPPROTO_TCP);
  ZT_EQU(v.id, 0xffff);
  ZT_EQU(v.src, 0x0a000001u);
  ZT_EQU(v.dst, 0xffffffffu);
  ZT_CHECK(zn_ipv4_mf(&v));
  ZT_CHECK(zn_ipv4_is_fragment(&v));
  ZT_EQU(zn_ipv4_frag_offset(&v), 1480);
  ZT_EQU(zn_ipv4_payload_len(&v), 0);
}

/* Every prefix of a real datagram: below 20 bytes truncated, then the
 * total length (84) is more than there is, then whole. */
ZT_TEST(test_truncated) {
  for (size_t len = 0; len <= REQ_IP_LEN; len++) {
    uint8_t *c = exact_copy(REQ_IP, len);
    ZT_REQUIRE(c != NULL);
    struct zn_ipv4_view v;
    memset(&v, 0, sizeof v);
    int err = zn_ipv4_view_init(&v, c, len);
    if (len < 20) {
      ZT_EQ(err, ZN_ETRUNCATED);
    } else if (len < 84) {
      ZT_EQ(err, ZN_ERANGE);
    } else {
      ZT_EQ(err, ZN_OK);
      ZT_EQU(v.len, 84);
      ZT_CHECK(zn_ipv4_csum_ok(&v));
    }
    if (err != ZN_OK)
      ZT_CHECK(v.p == NULL); /* the view is not written on failure */
    free(c);
  }
}

/* Link padding after tot_len is outside the view. */
ZT_TEST(test_overlong) {
  uint8_t buf[84 + 40];
  memcpy(buf, REQ_IP, 84);
  memset(buf + 84, 0xab, 40);
  for (size_t len = 84; len <= sizeof buf; len++) {
    struct zn_ipv4_view v;
    ZT_EQ(zn_ipv4_view_init(&v, buf, len), ZN_OK);
    ZT_EQU(v.tot_len, 84);
    ZT_EQU(v.len, 84);
    ZT_EQU(zn_ipv4_payload_len(&v), 64);
  }
  /* A minimum-size Ethernet frame: 20-byte datagram plus 26 padding. */
  uint8_t small[46];
  memset(small, 0, sizeof small);
  struct zn_ipv4_hdr h = {.ttl = 64, .proto = ZN_IPPROTO_TCP, .tot_len = 20,
                          .src = 1, .dst = 2};
  zn_ipv4_emit(small, &h);
  struct zn_ipv4_view v;
  ZT_EQ(zn_ipv4_view_init(&v, small, sizeof small), ZN_OK);
  ZT_EQU(v.len, 20);
  ZT_EQU(zn_ipv4_payload_len(&v), 0);
}

ZT_TEST(test_bad_version) {
  uint8_t h[84];
  memcpy(h, REQ_IP, sizeof h);
  for (unsigned ver = 0; ver < 16; ver++) {
    h[0] = (uint8_t)(ver << 4 | 5);
    struct zn_ipv4_view v;
    int err = zn_ipv4_view_init(&v, h, sizeof h);
    int qerr = zn_ipv4_view_init_quoted(&v, h, sizeof h);
    if (ver == 4) {
      ZT_EQ(err, ZN_OK);
      ZT_EQ(qerr, ZN_OK);
    } else {
      ZT_EQ(err, ZN_EPROTO);
      ZT_EQ(qerr, ZN_EPROTO);
    }
  }
  /* Truncation is reported before the version is looked at. */
  h[0] = 0x65;
  struct zn_ipv4_view v;
  ZT_EQ(zn_ipv4_view_init(&v, h, 19), ZN_ETRUNCATED);
  ZT_EQ(zn_ipv4_view_init(&v, h, 1), ZN_ETRUNCATED);
}

ZT_TEST(test_bad_ihl) {
  uint8_t h[84];
  memcpy(h, REQ_IP, sizeof h);
  struct zn_ipv4_view v;
  for (unsigned ihl = 0; ihl < 5; ihl++) {
    h[0] = (uint8_t)(0x40 | ihl);
    ZT_EQ(zn_ipv4_view_init(&v, h, sizeof h), ZN_EMALFORMED);
    ZT_EQ(zn_ipv4_view_init_quoted(&v, h, sizeof h), ZN_EMALFORMED);
  }
  /* IHL 15 (60 bytes) needs 60 bytes. */
  h[0] = 0x4f;
  ZT_EQ(zn_ipv4_view_init(&v, h, 59), ZN_EMALFORMED);
  ZT_EQ(zn_ipv4_view_init_quoted(&v, h, 59), ZN_EMALFORMED);
  ZT_EQ(zn_ipv4_view_init(&v, h, 60), ZN_ERANGE); /* tot_len 84 > 60 */
  ZT_EQ(zn_ipv4_view_init(&v, h, 84), ZN_OK);
  ZT_EQU(v.hdr_len, 60);
  ZT_EQU(zn_ipv4_payload_len(&v), 24);
  ZT_CHECK(zn_ipv4_payload(&v) == h + 60);
  /* A header longer than the total length it gives. */
  zn_wr16(h + 2, 59);
  ZT_EQ(zn_ipv4_view_init(&v, h, 84), ZN_ERANGE);
  ZT_EQ(zn_ipv4_view_init_quoted(&v, h, 84), ZN_ERANGE);
  zn_wr16(h + 2, 60);
  ZT_EQ(zn_ipv4_view_init(&v, h, 84), ZN_OK);
  ZT_EQU(zn_ipv4_payload_len(&v), 0);
}

ZT_TEST(test_bad_total_length) {
  uint8_t h[84];
  memcpy(h, REQ_IP, sizeof h);
  struct zn_ipv4_view v;
  static const uint16_t bad[] = {0, 1, 19, 85, 1500, 65535};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    zn_wr16(h + 2, bad[i]);
    ZT_EQ(zn_ipv4_view_init(&v, h, sizeof h), ZN_ERANGE);
  }
  /* Shorter than what is there is fine: the rest is padding. */
  zn_wr16(h + 2, 20);
  ZT_EQ(zn_ipv4_view_init(&v, h, sizeof h), ZN_OK);
  ZT_EQU(v.len, 20);
}

/* A header with options: IHL 6, a Router Alert option, 4 payload bytes. */
ZT_TEST(test_options) {
  uint8_t h[28] = {
      0x46, 0x00, 0x00, 0x1c, 0x12, 0x34, 0x00, 0x00, 0x01, 0x02,
      0x00, 0x00, 0x0a, 0x00, 0x00, 0x01, 0xe0, 0x00, 0x00, 0x16,
      0x94, 0x04, 0x00, 0x00, 0xde, 0xad, 0xbe, 0xef,
  };
  zn_wr16(h + 10, zn_csum(h, 24));
  for (size_t len = 0; len <= sizeof h; len++) {
    uint8_t *c = exact_copy(h, len);
    ZT_REQUIRE(c != NULL);
    struct zn_ipv4_view v;
    int err = zn_ipv4_view_init(&v, c, len);
    int qerr = zn_ipv4_view_init_quoted(&v, c, len);
    if (len < 20) {
      ZT_EQ(err, ZN_ETRUNCATED);
      ZT_EQ(qerr, ZN_ETRUNCATED);
    } else if (len < 24) {
      ZT_EQ(err, ZN_EMALFORMED);
      ZT_EQ(qerr, ZN_EMALFORMED);
    } else if (len < 28) {
      ZT_EQ(err, ZN_ERANGE);
      ZT_EQ(qerr, ZN_OK);
    } else {
      ZT_EQ(err, ZN_OK);
      ZT_EQ(qerr, ZN_OK);
    }
    free(c);
  }
  struct zn_ipv4_view v;
  ZT_EQ(zn_ipv4_view_init(&v, h, sizeof h), ZN_OK);
  ZT_EQU(v.hdr_len, 24);
  ZT_EQU(v.tot_len, 28);
  ZT_CHECK(zn_ipv4_csum_ok(&v));
  ZT_CHECK(zn_ipv4_is_mcast(v.dst));
  ZT_EQU(zn_ipv4_payload_len(&v), 4);
  ZT_EQU(zn_rd32(zn_ipv4_payload(&v)), 0xdeadbeefu);
  /* The option bytes are covered by the checksum. */
  h[23] = 1;
  ZT_EQ(zn_ipv4_view_init(&v, h, sizeof h), ZN_OK);
  ZT_CHECK(!zn_ipv4_csum_ok(&v));
}

ZT_TEST(test_csum_bad) {
  uint8_t h[84];
  memcpy(h, REQ_IP, sizeof h);
  struct zn_ipv4_view v;
  for (size_t i = 0; i < 20; i++) {
    h[i] ^= 0x01;
    /* Flip a bit of version/IHL or tot_len and the view may not parse. */
    if (zn_ipv4_view_init(&v, h, sizeof h) == ZN_OK)
      ZT_CHECK(!zn_ipv4_csum_ok(&v));
    h[i] ^= 0x01;
  }
  /* The payload is not covered. */
  h[40] ^= 0xff;
  ZT_EQ(zn_ipv4_view_init(&v, h, sizeof h), ZN_OK);
  ZT_CHECK(zn_ipv4_csum_ok(&v));
}

ZT_TEST(test_fragment_fields) {
  uint8_t h[20];
  memcpy(h, REQ_IP, 20);
  zn_wr16(h + 2, 20);
  struct zn_ipv4_view v;
  static const struct {
    uint16_t frag;
    bool df, mf, isfrag;
    size_t off;
  } cases[] = {
      {0x0000, false, false, false, 0},
      {0x4000, true, false, false, 0},
      {0x2000, false, true, true, 0},      /* first fragment */
      {0x00b9, false, false, true, 1480},  /* last fragment */
      {0x20b9, false, true, true, 1480},
      {0x1fff, false, false, true, 65528}, /* largest offset */
      {0x8000, false, false, false, 0},    /* reserved bit only */
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    zn_wr16(h + 6, cases[i].frag);
    ZT_EQ(zn_ipv4_view_init(&v, h, 20), ZN_OK);
    ZT_EQU(v.frag, cases[i].frag);
    ZT_EQ(zn_ipv4_df(&v), cases[i].df);
    ZT_EQ(zn_ipv4_mf(&v), cases[i].mf);
    ZT_EQ(zn_ipv4_is_fragment(&v), cases[i].isfrag);
    ZT_EQU(zn_ipv4_frag_offset(&v), cases[i].off);
  }
}

/* The datagram quoted by a real port-unreachable: tot_len 1052, 548 bytes
 * present.  A whole-datagram view refuses it, a quoted view takes it. */
ZT_TEST(test_quoted_golden) {
  const uint8_t *q = icmpv4_unreachable + 14 + 20 + 8;
  size_t qlen = sizeof icmpv4_unreachable - 42;
  struct zn_ipv4_view v;
  ZT_EQU(qlen, 548);
  ZT_EQ(zn_ipv4_view_init(&v, q, qlen), ZN_ERANGE);
  ZT_EQ(zn_ipv4_view_init_quoted(&v, q, qlen), ZN_OK);
  ZT_CHECK(v.p == q);
  ZT_EQU(v.hdr_len, 20);
  ZT_EQU(v.tot_len, 1052);
  ZT_EQU(v.len, 548);
  ZT_EQU(zn_ipv4_payload_len(&v), 528);
  ZT_EQU(v.proto, ZN_IPPROTO_UDP);
  ZT_EQU(v.id, 0);
  ZT_CHECK(zn_ipv4_df(&v));
  ZT_EQU(v.src, 0xc0a802cau);
  ZT_EQU(v.dst, 0xc0a80202u);
  ZT_CHECK(zn_ipv4_csum_ok(&v));
  /* The quoted UDP ports. */
  ZT_EQU(zn_rd16(zn_ipv4_payload(&v)), 0);
  ZT_EQU(zn_rd16(zn_ipv4_payload(&v) + 2), 0x1e61);

  /* The enclosing datagram is whole. */
  ZT_EQ(zn_ipv4_view_init(&v, icmpv4_unreachable + 14,
                          sizeof icmpv4_unreachable - 14),
        ZN_OK);
  ZT_EQU(v.tot_len, 576);
  ZT_EQU(v.tos, 0xc0);
  ZT_CHECK(zn_ipv4_csum_ok(&v));
}

/* Every prefix of a quote: the header must be whole, the payload may be
 * any length, and never more than tot_len is in the view. */
ZT_TEST(test_quoted_truncated) {
  const uint8_t *q = icmpv4_unreachable + 42;
  for (size_t len = 0; len <= 548; len++) {
    uint8_t *c = exact_copy(q, len);
    ZT_REQUIRE(c != NULL);
    struct zn_ipv4_view v;
    memset(&v, 0, sizeof v);
    int err = zn_ipv4_view_init_quoted(&v, c, len);
    if (len < 20) {
      ZT_EQ(err, ZN_ETRUNCATED);
      ZT_CHECK(v.p == NULL);
    } else {
      ZT_EQ(err, ZN_OK);
      ZT_EQU(v.len, len);
      ZT_EQU(v.tot_len, 1052);
      ZT_EQU(zn_ipv4_payload_len(&v), len - 20);
    }
    free(c);
  }
  /* More bytes than tot_len: the view stops at tot_len. */
  uint8_t buf[100];
  memcpy(buf, REQ_IP, 84);
  memset(buf + 84, 0, 16);
  struct zn_ipv4_view v;
  ZT_EQ(zn_ipv4_view_init_quoted(&v, buf, sizeof buf), ZN_OK);
  ZT_EQU(v.len, 84);
  ZT_EQ(zn_ipv4_view_init_quoted(&v, buf, 84), ZN_OK);
  ZT_EQU(v.len, 84);
  ZT_EQ(zn_ipv4_view_init_quoted(&v, buf, 28), ZN_OK);
  ZT_EQU(v.len, 28); /* the RFC 792 minimum: header + 64 bits */
}

ZT_TEST(test_is_mcast) {
  ZT_CHECK(zn_ipv4_is_mcast(0xe0000001u));
  ZT_CHECK(zn_ipv4_is_mcast(0xefffffffu));
  ZT_CHECK(!zn_ipv4_is_mcast(0xdfffffffu));
  ZT_CHECK(!zn_ipv4_is_mcast(0xf0000000u));
  ZT_CHECK(!zn_ipv4_is_mcast(ZN_IPV4_BCAST));
}

/* Locating the IP and transport headers of a frame, untagged and behind
 * an 802.1Q tag; not IPv4, a bad version or IHL, or too short: false. */
ZT_TEST(test_eth_ipv4_locate) {
  uint8_t f[64];
  memset(f, 0, sizeof(f));
  f[12] = 0x08;
  f[14] = 0x46; /* IHL 6: one option word */
  f[23] = ZN_IPPROTO_UDP;
  size_t ip = 0, l4 = 0;
  uint8_t proto = 0;
  ZT_CHECK(zn_eth_ipv4_locate(f, 14 + 24 + 8, &ip, &l4, &proto));
  ZT_EQU(ip, 14);
  ZT_EQU(l4, 38);
  ZT_EQU(proto, ZN_IPPROTO_UDP);
  ZT_CHECK(!zn_eth_ipv4_locate(f, 14 + 24 + 7, &ip, &l4, &proto));
  f[14] = 0x44; /* IHL 4 */
  ZT_CHECK(!zn_eth_ipv4_locate(f, sizeof(f), &ip, &l4, &proto));
  f[14] = 0x65; /* version 6 */
  ZT_CHECK(!zn_eth_ipv4_locate(f, sizeof(f), &ip, &l4, &proto));
  f[14] = 0x45;
  f[13] = 0x06; /* ARP */
  ZT_CHECK(!zn_eth_ipv4_locate(f, sizeof(f), &ip, &l4, &proto));
  /* Tagged: 0x8100, TCI, then the type. */
  memset(f, 0, sizeof(f));
  f[12] = 0x81;
  f[16] = 0x08;
  f[18] = 0x45;
  f[27] = ZN_IPPROTO_TCP;
  ZT_CHECK(zn_eth_ipv4_locate(f, sizeof(f), &ip, &l4, &proto));
  ZT_EQU(ip, 18);
  ZT_EQU(l4, 38);
  ZT_EQU(proto, ZN_IPPROTO_TCP);
  ZT_CHECK(!zn_eth_ipv4_locate(f, 18 + 19, &ip, &l4, &proto));
  ZT_CHECK(!zn_eth_ipv4_locate(f, 10, &ip, &l4, &proto));
}

int main(void) {
  ZT_RUN(test_parse_golden);
  ZT_RUN(test_emit_golden);
  ZT_RUN(test_truncated);
  ZT_RUN(test_overlong);
  ZT_RUN(test_bad_version);
  ZT_RUN(test_bad_ihl);
  ZT_RUN(test_bad_total_length);
  ZT_RUN(test_options);
  ZT_RUN(test_csum_bad);
  ZT_RUN(test_fragment_fields);
  ZT_RUN(test_quoted_golden);
  ZT_RUN(test_quoted_truncated);
  ZT_RUN(test_is_mcast);
  ZT_RUN(test_eth_ipv4_locate);
  return zt_done();
}
