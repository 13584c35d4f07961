/*
 * Tests of src/wire/arp_wire.c: real requests parsed and re-emitted byte for
 * byte, every truncation, and address lengths other than Ethernet/IPv4,
 * including ones that announce more bytes than the frame holds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "znet/err.h"
#include "znet/wire.h"
#include "frames.h"
#include "zt.h"

/* Ethernet padded to 60 bytes: the ARP packet is 28 of the 46 after the
 * Ethernet header. */

/* lwip/arp/arp_req.bin (42 bytes) */
static const uint8_t arp_req[42] = {
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x38, 0x00, 0x00, 0x00, 0x2b, 0x38,
    0x08, 0x06, 0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, 0x38, 0x2c,
    0x4a, 0x6d, 0x2b, 0x38, 0xac, 0x1e, 0x73, 0x25, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0xac, 0x1e, 0x73, 0x54,
};

static uint8_t *exact_copy(const uint8_t *p, size_t len) {
  uint8_t *c = malloc(len ? len : 1);
  if (c && len)
    memcpy(c, p, len);
  return c;
}

/* Who has 192.168.101.139? Tell 192.168.101.112 */
ZT_TEST(test_parse_golden_smoltcp) {
  static const uint8_t sha[6] = {0x30, 0x5a, 0x3a, 0x76, 0x0f, 0x46};
  static const uint8_t zero[6] = {0};
  struct zn_arp_view v;
  const uint8_t *p = arp_frame + 14;
  ZT_EQ(zn_arp_view_init(&v, p, sizeof arp_frame - 14), ZN_OK);
  ZT_CHECK(v.p == p);
  ZT_EQU(v.len, 28); /* padding is outside the view */
  ZT_EQU(v.htype, ZN_ARP_HTYPE_ETH);
  ZT_EQU(v.ptype, ZN_ETHERTYPE_IPV4);
  ZT_EQU(v.hlen, 6);
  ZT_EQU(v.plen, 4);
  ZT_EQU(v.op, ZN_ARP_OP_REQUEST);
  ZT_CHECK(zn_arp_is_eth_ipv4(&v));
  ZT_MEMEQ(zn_arp_sha(&v), sha, 6);
  ZT_EQU(zn_arp_spa(&v), 0xc0a86570u);
  ZT_MEMEQ(zn_arp_tha(&v), zero, 6);
  ZT_EQU(zn_arp_tpa(&v), 0xc0a8658bu);
}

/* Who has 172.30.115.84? Tell 172.30.115.37 -- exactly 28 bytes. */
ZT_TEST(test_parse_golden_lwip) {
  static const uint8_t sha[6] = {0x38, 0x2c, 0x4a, 0x6d, 0x2b, 0x38};
  struct zn_arp_view v;
  ZT_EQU(sizeof arp_req, 42);
  ZT_EQ(zn_arp_view_init(&v, arp_req + 14, 28), ZN_OK);
  ZT_EQU(v.len, 28);
  ZT_EQU(v.op, ZN_ARP_OP_REQUEST);
  ZT_CHECK(zn_arp_is_eth_ipv4(&v));
  ZT_MEMEQ(zn_arp_sha(&v), sha, 6);
  ZT_EQU(zn_arp_spa(&v), 0xac1e7325u);
  ZT_EQU(zn_arp_tpa(&v), 0xac1e7354u);
}

ZT_TEST(test_emit_golden) {
  static const uint8_t zero[6] = {0};
  uint8_t out[32];
  memset(out, 0xee, sizeof out);
  ZT_EQU(zn_arp_emit(out, ZN_ARP_OP_REQUEST, arp_frame + 22, 0xc0a86570u,
                     zero, 0xc0a8658bu),
         28);
  ZT_MEMEQ(out, arp_frame + 14, 28);
  ZT_EQU(out[28], 0xee);

  memset(out, 0xee, sizeof out);
  ZT_EQU(zn_arp_emit(out, ZN_ARP_OP_REQUEST, arp_req + 22, 0xac1e7325u, zero,
                     0xac1e7354u),
         28);
  ZT_MEMEQ(out, arp_req + 14, 28);

  /* A reply round-trips through the view. */
  static const uint8_t a[6] = {1, 2, 3, 4, 5, 6}, b[6] = {7, 8, 9, 10, 11, 12};
  ZT_EQU(zn_arp_emit(out, ZN_ARP_OP_REPLY, a, 0x0a000001u, b, 0x0a000002u),
         28);
  struct zn_arp_view v;
  ZT_EQ(zn_arp_view_init(&v, out, 28), ZN_OK);
  ZT_EQU(v.op, ZN_ARP_OP_REPLY);
  ZT_CHECK(zn_arp_is_eth_ipv4(&v));
  ZT_MEMEQ(zn_arp_sha(&v), a, 6);
  ZT_EQU(zn_arp_spa(&v), 0x0a000001u);
  ZT_MEMEQ(zn_arp_tha(&v), b, 6);
  ZT_EQU(zn_arp_tpa(&v), 0x0a000002u);
}

/* Every prefix of the 28 bytes: fewer than 28 is truncated. */
ZT_TEST(test_truncated) {
  const uint8_t *p = arp_frame + 14;
  for (size_t len = 0; len <= 46; len++) {
    uint8_t *c = exact_copy(p, len);
    ZT_REQUIRE(c != NULL);
    struct zn_arp_view v;
    memset(&v, 0, sizeof v);
    int err = zn_arp_view_init(&v, c, len);
    if (len < 28) {
      ZT_EQ(err, ZN_ETRUNCATED);
      ZT_CHECK(v.p == NULL);
    } else {
      ZT_EQ(err, ZN_OK);
      ZT_EQU(v.len, 28);
      ZT_EQU(zn_arp_tpa(&v), 0xc0a8658bu);
    }
    free(c);
  }
}

/* Lengths that are not 6/4: accepted with the lengths they announce, and
 * not taken for Ethernet/IPv4. */
ZT_TEST(test_other_hlen_plen) {
  uint8_t p[8 + 2 * (255 + 255) + 4];
  memset(p, 0x11, sizeof p);
  zn_wr16(p, 6);      /* IEEE 802 */
  zn_wr16(p + 2, ZN_ETHERTYPE_IPV4);
  p[4] = 8;
  p[5] = 4;
  zn_wr16(p + 6, ZN_ARP_OP_REPLY);
  struct zn_arp_view v;
  ZT_EQ(zn_arp_view_init(&v, p, 32), ZN_OK);
  ZT_EQU(v.len, 32);
  ZT_EQU(v.htype, 6);
  ZT_EQU(v.hlen, 8);
  ZT_EQU(v.plen, 4);
  ZT_EQU(v.op, ZN_ARP_OP_REPLY);
  ZT_CHECK(!zn_arp_is_eth_ipv4(&v));
  ZT_EQ(zn_arp_view_init(&v, p, 31), ZN_ETRUNCATED);

  /* Ethernet htype with IPv6-sized protocol addresses. */
  zn_wr16(p, ZN_ARP_HTYPE_ETH);
  zn_wr16(p + 2, ZN_ETHERTYPE_IPV6);
  p[4] = 6;
  p[5] = 16;
  ZT_EQ(zn_arp_view_init(&v, p, 52), ZN_OK);
  ZT_EQU(v.len, 52);
  ZT_CHECK(!zn_arp_is_eth_ipv4(&v));
  ZT_EQ(zn_arp_view_init(&v, p, 51), ZN_ETRUNCATED);

  /* Right lengths, wrong types: still not Ethernet/IPv4. */
  p[5] = 4;
  ZT_EQ(zn_arp_view_init(&v, p, 28), ZN_OK);
  ZT_CHECK(!zn_arp_is_eth_ipv4(&v)); /* ptype is IPv6 */
  zn_wr16(p + 2, ZN_ETHERTYPE_IPV4);
  zn_wr16(p, 6);
  ZT_EQ(zn_arp_view_init(&v, p, 28), ZN_OK);
  ZT_CHECK(!zn_arp_is_eth_ipv4(&v)); /* htype is 802 */
  zn_wr16(p, ZN_ARP_HTYPE_ETH);
  ZT_EQ(zn_arp_view_init(&v, p, 28), ZN_OK);
  ZT_CHECK(zn_arp_is_eth_ipv4(&v));

  /* No addresses at all: just the fixed part. */
  p[4] = 0;
  p[5] = 0;
  ZT_EQ(zn_arp_view_init(&v, p, 8), ZN_OK);
  ZT_EQU(v.len, 8);
  ZT_CHECK(!zn_arp_is_eth_ipv4(&v));

  /* The largest lengths: 8 + 2 * 510 = 1028 bytes, no wrap-around. */
  p[4] = 255;
  p[5] = 255;
  ZT_EQ(zn_arp_view_init(&v, p, 1028), ZN_OK);
  ZT_EQU(v.len, 1028);
  ZT_EQ(zn_arp_view_init(&v, p, 1027), ZN_ETRUNCATED);
  ZT_EQ(zn_arp_view_init(&v, p, sizeof p), ZN_OK);
  ZT_EQU(v.len, 1028);
}

/* A hardware length larger than the frame: truncated, never read. */
ZT_TEST(test_hlen_larger_than_frame) {
  uint8_t f[28];
  memcpy(f, arp_frame + 14, 28);
  f[4] = 200;
  for (size_t len = 0; len <= 28; len++) {
    uint8_t *c = exact_copy(f, len);
    ZT_REQUIRE(c != NULL);
    struct zn_arp_view v;
    ZT_EQ(zn_arp_view_init(&v, c, len), ZN_ETRUNCATED);
    free(c);
  }
  f[4] = 6;
  f[5] = 200;
  struct zn_arp_view v;
  ZT_EQ(zn_arp_view_init(&v, f, 28), ZN_ETRUNCATED);
  /* One byte short of what 6/5 announce. */
  f[5] = 5;
  ZT_EQ(zn_arp_view_init(&v, f, 28), ZN_ETRUNCATED);
}

int main(void) {
  ZT_RUN(test_parse_golden_smoltcp);
  ZT_RUN(test_parse_golden_lwip);
  ZT_RUN(test_emit_golden);
  ZT_RUN(test_truncated);
  ZT_RUN(test_other_hlen_plen);
  ZT_RUN(test_hlen_larger_than_frame);
  return zt_done();
}
