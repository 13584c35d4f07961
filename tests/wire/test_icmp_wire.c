/*
 * Tests of src/wire/icmp_wire.c: real echo requests, replies and a port
 * unreachable parsed and rebuilt byte for byte, every truncation, the
 * checksum over odd lengths, and which types are errors.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "znet/err.h"
#include "znet/wire.h"
#include "frames.h"
#include "zt.h"


/* The reply to it. */
/* smoltcp/icmpv4_reply.bin (98 bytes) */
static const uint8_t icmpv4_reply[98] = {
    0x92, 0xba, 0x3d, 0x6f, 0x1d, 0xc5, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01,
    0x08, 0x00, 0x45, 0x00, 0x00, 0x54, 0x00, 0x00, 0x40, 0x00, 0x40, 0x01,
    0x2e, 0xf3, 0xc0, 0xa8, 0x45, 0x01, 0xc0, 0xa8, 0x45, 0x64, 0x00, 0x00,
    0xd8, 0x3b, 0x58, 0x4a, 0x00, 0x01, 0x10, 0x70, 0x6b, 0x5a, 0x00, 0x00,
    0x00, 0x00, 0x86, 0xdb, 0x0e, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x11,
    0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d,
    0x1e, 0x1f, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28, 0x29,
    0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35,
    0x36, 0x37,
};



static uint8_t *exact_copy(const uint8_t *p, size_t len) {
  uint8_t *c = malloc(len ? len : 1);
  if (c && len)
    memcpy(c, p, len);
  return c;
}

#define ICMP_OFF 34 /* Ethernet 14 + IPv4 20 */

ZT_TEST(test_parse_echo_golden) {
  struct zn_icmp_view v;
  const uint8_t *p = icmpv4_request + ICMP_OFF;
  ZT_EQ(zn_icmp_view_init(&v, p, 64), ZN_OK);
  ZT_CHECK(v.p == p);
  ZT_EQU(v.len, 64);
  ZT_EQU(v.type, ZN_ICMP_ECHO_REQUEST);
  ZT_EQU(v.code, 0);
  ZT_EQU(zn_rd16(p + 2), 0xd03b);
  ZT_CHECK(zn_icmp_csum_ok(&v));
  ZT_EQU(zn_icmp_echo_id(&v), 0x584a);
  ZT_EQU(zn_icmp_echo_seq(&v), 1);
  ZT_CHECK(zn_icmp_body(&v) == p + 8);
  ZT_EQU(zn_icmp_body_len(&v), 56);
  ZT_CHECK(!zn_icmp_is_error(v.type));

  ZT_EQ(zn_icmp_view_init(&v, icmpv4_reply + ICMP_OFF, 64), ZN_OK);
  ZT_EQU(v.type, ZN_ICMP_ECHO_REPLY);
  ZT_CHECK(zn_icmp_csum_ok(&v));
  ZT_EQU(zn_icmp_echo_id(&v), 0x584a);
  ZT_EQU(zn_icmp_echo_seq(&v), 1);

  ZT_EQ(zn_icmp_view_init(&v, icmp_ping + ICMP_OFF, 64), ZN_OK);
  ZT_EQU(v.type, ZN_ICMP_ECHO_REQUEST);
  ZT_CHECK(zn_icmp_csum_ok(&v));
  ZT_EQU(zn_icmp_echo_id(&v), 0x0d42);
  ZT_EQU(zn_icmp_echo_seq(&v), 2);
}

/* Header, then body, then zn_icmp_finish: the same bytes as captured. */
ZT_TEST(test_emit_echo_golden) {
  static const struct {
    const uint8_t *frame;
    uint8_t type;
    uint32_t rest;
  } cases[] = {
      {icmpv4_request, ZN_ICMP_ECHO_REQUEST, 0x584a0001u},
      {icmpv4_reply, ZN_ICMP_ECHO_REPLY, 0x584a0001u},
      {icmp_ping, ZN_ICMP_ECHO_REQUEST, 0x0d420002u},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const uint8_t *want = cases[i].frame + ICMP_OFF;
    uint8_t out[66];
    memset(out, 0xee, sizeof out);
    ZT_EQU(zn_icmp_emit(out, cases[i].type, 0, cases[i].rest), 8);
    ZT_EQU(zn_rd16(out + 2), 0);
    ZT_EQU(out[8], 0xee);
    memcpy(out + 8, want + 8, 56);
    zn_icmp_finish(out, 64);
    ZT_MEMEQ(out, want, 64);
    ZT_EQU(out[64], 0xee);
  }
}

/* Turning the request into the reply in place, as a responder does: the
 * incremental update gives the checksum the peer sent. */
ZT_TEST(test_echo_reply_in_place) {
  uint8_t m[64];
  memcpy(m, icmpv4_request + ICMP_OFF, 64);
  m[0] = ZN_ICMP_ECHO_REPLY;
  zn_wr16(m + 2, zn_csum_update16(zn_rd16(m + 2), 0x0800, 0x0000));
  ZT_MEMEQ(m, icmpv4_reply + ICMP_OFF, 64);
  /* zn_icmp_finish over a stale checksum recomputes it. */
  zn_wr16(m + 2, 0x1234);
  zn_icmp_finish(m, 64);
  ZT_MEMEQ(m, icmpv4_reply + ICMP_OFF, 64);
}

ZT_TEST(test_parse_unreachable_golden) {
  const uint8_t *p = icmpv4_unreachable + ICMP_OFF;
  size_t len = sizeof icmpv4_unreachable - ICMP_OFF;
  struct zn_icmp_view v;
  ZT_EQU(len, 556);
  ZT_EQ(zn_icmp_view_init(&v, p, len), ZN_OK);
  ZT_EQU(v.type, ZN_ICMP_DEST_UNREACH);
  ZT_EQU(v.code, ZN_ICMP_UNREACH_PORT);
  ZT_CHECK(zn_icmp_is_error(v.type));
  ZT_EQU(zn_rd16(p + 2), 0xa322);
  ZT_CHECK(zn_icmp_csum_ok(&v));
  ZT_EQU(zn_icmp_body_len(&v), 548);
  ZT_EQU(zn_icmp_nexthop_mtu(&v), 0);

  /* The body is the quoted datagram. */
  struct zn_ipv4_view q;
  ZT_EQ(zn_ipv4_view_init_quoted(&q, zn_icmp_body(&v), zn_icmp_body_len(&v)),
        ZN_OK);
  ZT_EQU(q.proto, ZN_IPPROTO_UDP);
  ZT_EQU(q.src, 0xc0a802cau);
  ZT_EQU(q.dst, 0xc0a80202u);

  /* And rebuilt. */
  uint8_t *out = malloc(len);
  ZT_REQUIRE(out != NULL);
  ZT_EQU(zn_icmp_emit(out, ZN_ICMP_DEST_UNREACH, ZN_ICMP_UNREACH_PORT, 0),
         8);
  memcpy(out + 8, p + 8, len - 8);
  zn_icmp_finish(out, len);
  ZT_MEMEQ(out, p, len);
  free(out);
}

/* RFC 1191: the next-hop MTU in the low 16 bits of the rest. */
ZT_TEST(test_needfrag_mtu) {
  uint8_t m[8 + 28];
  ZT_EQU(zn_icmp_emit(m, ZN_ICMP_DEST_UNREACH, ZN_ICMP_UNREACH_NEEDFRAG,
                      1400),
         8);
  memcpy(m + 8, icmpv4_request + 14, 28);
  zn_icmp_finish(m, sizeof m);
  static const uint8_t hdr[8] = {3, 4, 0, 0, 0, 0, 0x05, 0x78};
  ZT_MEMEQ(m, hdr, 2);
  ZT_MEMEQ(m + 4, hdr + 4, 4);
  struct zn_icmp_view v;
  ZT_EQ(zn_icmp_view_init(&v, m, sizeof m), ZN_OK);
  ZT_EQU(v.code, ZN_ICMP_UNREACH_NEEDFRAG);
  ZT_EQU(zn_icmp_nexthop_mtu(&v), 1400);
  ZT_CHECK(zn_icmp_csum_ok(&v));
}

/* Every prefix: below 8 bytes truncated; from 8 on the view is the whole
 * given length, and only the full message has a good checksum. */
ZT_TEST(test_truncated) {
  const uint8_t *p = icmpv4_request + ICMP_OFF;
  for (size_t len = 0; len <= 64; len++) {
    uint8_t *c = exact_copy(p, len);
    ZT_REQUIRE(c != NULL);
    struct zn_icmp_view v;
    memset(&v, 0, sizeof v);
    int err = zn_icmp_view_init(&v, c, len);
    if (len < 8) {
      ZT_EQ(err, ZN_ETRUNCATED);
      ZT_CHECK(v.p == NULL);
    } else {
      ZT_EQ(err, ZN_OK);
      ZT_EQU(v.len, len);
      ZT_EQU(zn_icmp_body_len(&v), len - 8);
      ZT_EQU(zn_icmp_echo_seq(&v), 1);
      ZT_EQ(zn_icmp_csum_ok(&v), len == 64);
    }
    free(c);
  }
}

/* Odd lengths: the last byte is padded with zero for the sum. */
ZT_TEST(test_odd_length_checksum) {
  uint8_t m[8 + 5 + 1];
  for (size_t body = 0; body <= 5; body++) {
    memset(m, 0, sizeof m);
    zn_icmp_emit(m, ZN_ICMP_ECHO_REQUEST, 0, 0xabcd0007u);
    memcpy(m + 8, "\x01\x02\x03\x04\x05", body);
    m[8 + body] = 0x99; /* outside the message: must not count */
    zn_icmp_finish(m, 8 + body);
    struct zn_icmp_view v;
    ZT_EQ(zn_icmp_view_init(&v, m, 8 + body), ZN_OK);
    ZT_CHECK(zn_icmp_csum_ok(&v));
  }
  /* By hand for body 01 02 03: 0800 + 0000 + abcd + 0007 + 0102 + 0300 =
   * 0xb7d6, so the checksum is 4829. */
  memset(m, 0, sizeof m);
  zn_icmp_emit(m, ZN_ICMP_ECHO_REQUEST, 0, 0xabcd0007u);
  memcpy(m + 8, "\x01\x02\x03", 3);
  zn_icmp_finish(m, 11);
  ZT_EQU(zn_rd16(m + 2), 0x4829);
}

ZT_TEST(test_csum_bad) {
  uint8_t m[64];
  memcpy(m, icmpv4_request + ICMP_OFF, 64);
  struct zn_icmp_view v;
  for (size_t i = 0; i < 64; i++) {
    m[i] ^= 0x40;
    ZT_EQ(zn_icmp_view_init(&v, m, 64), ZN_OK);
    ZT_CHECK(!zn_icmp_csum_ok(&v));
    m[i] ^= 0x40;
  }
  ZT_EQ(zn_icmp_view_init(&v, m, 64), ZN_OK);
  ZT_CHECK(zn_icmp_csum_ok(&v));
}

ZT_TEST(test_is_error) {
  for (unsigned t = 0; t < 256; t++) {
    bool want = t == 3 || t == 4 || t == 5 || t == 11 || t == 12;
    if (zn_icmp_is_error((uint8_t)t) != want)
      zt_fail(__FILE__, __LINE__, "zn_icmp_is_error(%u) != %d", t, want);
  }
}

int main(void) {
  ZT_RUN(test_parse_echo_golden);
  ZT_RUN(test_emit_echo_golden);
  ZT_RUN(test_echo_reply_in_place);
  ZT_RUN(test_parse_unreachable_golden);
  ZT_RUN(test_needfrag_mtu);
  ZT_RUN(test_truncated);
  ZT_RUN(test_odd_length_checksum);
  ZT_RUN(test_csum_bad);
  ZT_RUN(test_is_error);
  return zt_done();
}
