/*
 * Tests of src/wire/eth_wire.c: real frames parsed and re-emitted byte for
 * byte, every truncation, 802.1Q tags and the QinQ forms the view leaves
 * for the caller to drop.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "znet/err.h"
#include "znet/wire.h"
#include "frames.h"
#include "zt.h"



/* The first 30 bytes of icmpv4_request with an 802.1Q tag (PCP 5, DEI 1,
 * VID 0x123) inserted after the source address. */
static const uint8_t vlan_frame[] = {
    0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x92, 0xba, 0x3d, 0x6f, 0x1d, 0xc5,
    0x81, 0x00, 0xb1, 0x23, 0x08, 0x00, 0x45, 0x00, 0x00, 0x54, 0xdb, 0xf9,
    0x40, 0x00, 0x40, 0x01, 0x52, 0xf9,
};

/* A copy in a heap block of exactly len bytes, so that AddressSanitizer
 * reports any read past the end. */
static uint8_t *exact_copy(const uint8_t *p, size_t len) {
  uint8_t *c = malloc(len ? len : 1);
  if (c && len)
    memcpy(c, p, len);
  return c;
}

ZT_TEST(test_parse_golden) {
  static const uint8_t dst[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
  static const uint8_t src[6] = {0x92, 0xba, 0x3d, 0x6f, 0x1d, 0xc5};
  struct zn_eth_view v;
  ZT_EQ(zn_eth_view_init(&v, icmpv4_request, sizeof icmpv4_request), ZN_OK);
  ZT_CHECK(v.p == icmpv4_request);
  ZT_EQU(v.len, 98);
  ZT_EQU(v.hdr_len, 14);
  ZT_EQU(v.type, ZN_ETHERTYPE_IPV4);
  ZT_EQU(v.tci, 0);
  ZT_CHECK(!v.tagged);
  ZT_EQU(zn_eth_vid(&v), 0);
  ZT_MEMEQ(zn_eth_dst(&v), dst, 6);
  ZT_MEMEQ(zn_eth_src(&v), src, 6);
  ZT_CHECK(!zn_eth_is_bcast(zn_eth_dst(&v)));
  ZT_CHECK(!zn_eth_is_mcast(zn_eth_dst(&v)));

  ZT_EQ(zn_eth_view_init(&v, arp_frame, sizeof arp_frame), ZN_OK);
  ZT_EQU(v.len, 60);
  ZT_EQU(v.type, ZN_ETHERTYPE_ARP);
  ZT_CHECK(zn_eth_is_bcast(zn_eth_dst(&v)));
  ZT_CHECK(zn_eth_is_mcast(zn_eth_dst(&v)));
  ZT_MEMEQ(zn_eth_dst(&v), zn_eth_bcast, 6);
  static const uint8_t asrc[6] = {0x30, 0x5a, 0x3a, 0x76, 0x0f, 0x46};
  ZT_MEMEQ(zn_eth_src(&v), asrc, 6);
}

ZT_TEST(test_emit_golden) {
  uint8_t out[20];
  memset(out, 0xee, sizeof out);
  ZT_EQU(zn_eth_emit(out, icmpv4_request, icmpv4_request + 6,
                     ZN_ETHERTYPE_IPV4),
         14);
  ZT_MEMEQ(out, icmpv4_request, 14);
  ZT_EQU(out[14], 0xee); /* nothing written past the header */

  memset(out, 0xee, sizeof out);
  ZT_EQU(zn_eth_emit(out, zn_eth_bcast, arp_frame + 6, ZN_ETHERTYPE_ARP), 14);
  ZT_MEMEQ(out, arp_frame, 14);
}

ZT_TEST(test_vlan_parse_and_emit) {
  struct zn_eth_view v;
  ZT_EQ(zn_eth_view_init(&v, vlan_frame, sizeof vlan_frame), ZN_OK);
  ZT_EQU(v.hdr_len, 18);
  ZT_CHECK(v.tagged);
  ZT_EQU(v.tci, 0xb123);
  ZT_EQU(zn_eth_vid(&v), 0x123);
  ZT_EQU(v.type, ZN_ETHERTYPE_IPV4);
  ZT_EQU(v.len, sizeof vlan_frame);
  ZT_MEMEQ(zn_eth_src(&v), icmpv4_request + 6, 6);
  /* The network header starts where the untagged one did, 4 bytes on. */
  ZT_MEMEQ(v.p + v.hdr_len, icmpv4_request + 14, sizeof vlan_frame - 18);

  uint8_t out[20];
  memset(out, 0xee, sizeof out);
  ZT_EQU(zn_eth_emit_vlan(out, vlan_frame, vlan_frame + 6, 0xb123,
                          ZN_ETHERTYPE_IPV4),
         18);
  ZT_MEMEQ(out, vlan_frame, 18);
  ZT_EQU(out[18], 0xee);
}

/* 802.1ad outer tag: not decoded, the caller sees 0x88a8 and drops. */
ZT_TEST(test_qinq_outer_8021ad) {
  uint8_t f[64];
  memset(f, 0, sizeof f);
  memcpy(f, vlan_frame, 12);
  zn_wr16(f + 12, ZN_ETHERTYPE_QINQ);
  zn_wr16(f + 14, 0x0064);
  zn_wr16(f + 16, ZN_ETHERTYPE_VLAN);
  zn_wr16(f + 18, 0x0005);
  zn_wr16(f + 20, ZN_ETHERTYPE_IPV4);
  struct zn_eth_view v;
  ZT_EQ(zn_eth_view_init(&v, f, sizeof f), ZN_OK);
  ZT_EQU(v.type, ZN_ETHERTYPE_QINQ);
  ZT_EQU(v.hdr_len, 14);
  ZT_CHECK(!v.tagged);
  ZT_EQU(v.tci, 0);
  /* 14 bytes are enough: the 802.1ad tag is not read. */
  ZT_EQ(zn_eth_view_init(&v, f, 14), ZN_OK);
  ZT_EQU(v.type, ZN_ETHERTYPE_QINQ);
}

/* Two 802.1Q tags: only the outer is decoded, the inner shows as type. */
ZT_TEST(test_double_8021q) {
  uint8_t f[64];
  memset(f, 0, sizeof f);
  memcpy(f, vlan_frame, 12);
  zn_wr16(f + 12, ZN_ETHERTYPE_VLAN);
  zn_wr16(f + 14, 0x0064);
  zn_wr16(f + 16, ZN_ETHERTYPE_VLAN);
  zn_wr16(f + 18, 0x0005);
  zn_wr16(f + 20, ZN_ETHERTYPE_IPV4);
  struct zn_eth_view v;
  ZT_EQ(zn_eth_view_init(&v, f, sizeof f), ZN_OK);
  ZT_EQU(v.type, ZN_ETHERTYPE_VLAN);
  ZT_EQU(v.hdr_len, 18);
  ZT_CHECK(v.tagged);
  ZT_EQU(zn_eth_vid(&v), 0x064);
}

/* Every prefix: shorter than the header is ZN_ETRUNCATED (and the view is
 * left as it was), anything longer parses; ASan checks the bounds. */
ZT_TEST(test_truncated) {
  for (size_t len = 0; len <= sizeof icmpv4_request; len++) {
    uint8_t *c = exact_copy(icmpv4_request, len);
    ZT_REQUIRE(c != NULL);
    struct zn_eth_view v;
    memset(&v, 0x5a, sizeof v);
    int err = zn_eth_view_init(&v, c, len);
    if (len < 14) {
      ZT_EQ(err, ZN_ETRUNCATED);
      ZT_EQU(v.hdr_len, 0x5a5a5a5a5a5a5a5aull & SIZE_MAX);
    } else {
      ZT_EQ(err, ZN_OK);
      ZT_EQU(v.len, len);
      ZT_EQU(v.type, ZN_ETHERTYPE_IPV4);
    }
    free(c);
  }
  for (size_t len = 0; len <= sizeof vlan_frame; len++) {
    uint8_t *c = exact_copy(vlan_frame, len);
    ZT_REQUIRE(c != NULL);
    struct zn_eth_view v;
    int err = zn_eth_view_init(&v, c, len);
    if (len < 18) {
      ZT_EQ(err, ZN_ETRUNCATED);
    } else {
      ZT_EQ(err, ZN_OK);
      ZT_EQU(v.hdr_len, 18);
      ZT_EQU(v.tci, 0xb123);
    }
    free(c);
  }
}

/* A tagged frame exactly 18 bytes long is a header with no payload. */
ZT_TEST(test_header_only) {
  struct zn_eth_view v;
  ZT_EQ(zn_eth_view_init(&v, vlan_frame, 18), ZN_OK);
  ZT_EQU(v.len, v.hdr_len);
  ZT_EQ(zn_eth_view_init(&v, icmpv4_request, 14), ZN_OK);
  ZT_EQU(v.len, v.hdr_len);
}

ZT_TEST(test_addr_predicates) {
  static const uint8_t zero[6] = {0};
  static const uint8_t almost[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xfe};
  static const uint8_t first[6] = {0xfe, 0xff, 0xff, 0xff, 0xff, 0xff};
  static const uint8_t mcast[6] = {0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb};
  static const uint8_t last1[6] = {0, 0, 0, 0, 0, 1};
  ZT_CHECK(zn_eth_is_bcast(zn_eth_bcast));
  ZT_CHECK(!zn_eth_is_bcast(almost));
  ZT_CHECK(!zn_eth_is_bcast(first));
  ZT_CHECK(!zn_eth_is_bcast(zero));
  ZT_CHECK(zn_eth_is_zero(zero));
  ZT_CHECK(!zn_eth_is_zero(last1));
  ZT_CHECK(!zn_eth_is_zero(zn_eth_bcast));
  ZT_CHECK(zn_eth_is_mcast(mcast));
  ZT_CHECK(!zn_eth_is_bcast(mcast));
  ZT_CHECK(!zn_eth_is_mcast(last1));
  ZT_CHECK(!zn_eth_is_mcast(first));
  for (int i = 0; i < 6; i++)
    ZT_EQU(zn_eth_bcast[i], 0xff);
}

int main(void) {
  ZT_RUN(test_parse_golden);
  ZT_RUN(test_emit_golden);
  ZT_RUN(test_vlan_parse_and_emit);
  ZT_RUN(test_qinq_outer_8021ad);
  ZT_RUN(test_double_8021q);
  ZT_RUN(test_truncated);
  ZT_RUN(test_header_only);
  ZT_RUN(test_addr_predicates);
  return zt_done();
}
