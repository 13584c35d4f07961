/*
 * Tests of src/wire/icmp6_wire.c: real ICMPv6, ND and MLDv2 frames from
 * ../shared/traces/v6-dhcp parsed and rebuilt byte for byte with the
 * checksum over a pseudo-header sum computed here by hand, every
 * truncation of an RA with options, and the malformed options RFC 4861
 * 4.6 and RFC 8106 5 name.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "znet/err.h"
#include "znet/wire.h"
#include "zt.h"

/* Frames copied from the captures in ../shared/traces/v6-dhcp/ (their
 * Ethernet header left out). */
/* zeek__icmp6-nd-options.pcap frame 3, from the IPv6 header on (104 bytes) */
static const uint8_t ra_opts[104] = {
    0x6e, 0x00, 0x00, 0x00, 0x00, 0x40, 0x3a, 0xff, 0xfe, 0x80, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0xc0, 0x00, 0x54, 0xff, 0xfe, 0xf5, 0x00, 0x00,
    0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x01, 0x86, 0x00, 0xc4, 0xfe, 0x40, 0x00, 0x07, 0x08,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x01, 0xc2, 0x00,
    0x54, 0xf5, 0x00, 0x00, 0x05, 0x01, 0x00, 0x00, 0x00, 0x00, 0x05, 0xdc,
    0x03, 0x04, 0x40, 0xc0, 0x00, 0x27, 0x8d, 0x00, 0x00, 0x09, 0x3a, 0x80,
    0x00, 0x00, 0x00, 0x00, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x01,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};
/* tcpdump__icmpv6-ra-pref64.pcap frame 1, from the IPv6 header on (112 bytes) */
static const uint8_t ra_pref64[112] = {
    0x60, 0x09, 0xfc, 0x72, 0x00, 0x48, 0x3a, 0xff, 0xfe, 0x80, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0xe0, 0x15, 0x81, 0xff, 0xfe, 0xb4, 0xb9, 0x45,
    0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x01, 0x86, 0x00, 0x15, 0xe8, 0x50, 0x40, 0x01, 0xf4,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x01, 0xe2, 0x15,
    0x81, 0xb4, 0xb9, 0x45, 0x03, 0x04, 0x40, 0x80, 0x00, 0x00, 0x0e, 0x10,
    0x00, 0x00, 0x07, 0x08, 0x00, 0x00, 0x00, 0x00, 0x20, 0x01, 0x0d, 0xb8,
    0x00, 0xcc, 0x00, 0xdd, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x26, 0x02, 0x00, 0x00, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x64,
    0xff, 0x9b, 0x00, 0x00,
};
/* tcpdump__icmpv6-ns-nonce.pcap frame 1, from the IPv6 header on (72 bytes) */
static const uint8_t ns_nonce[72] = {
    0x60, 0x00, 0x00, 0x00, 0x00, 0x20, 0x3a, 0xff, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
    0xff, 0xe1, 0x00, 0x0f, 0x87, 0x00, 0x56, 0x6e, 0x00, 0x00, 0x00, 0x00,
    0xfe, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x54, 0x6f, 0xf7, 0xff,
    0xfe, 0xe1, 0x00, 0x0f, 0x0e, 0x01, 0x60, 0x69, 0x60, 0x4c, 0x0a, 0xaa,
};
/* zeek__icmp6-nd-options.pcap frame 2, from the IPv6 header on (72 bytes) */
static const uint8_t na_tlla[72] = {
    0x6e, 0x00, 0x00, 0x00, 0x00, 0x20, 0x3a, 0xff, 0xfe, 0x80, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0xc0, 0x00, 0x54, 0xff, 0xfe, 0xf5, 0x00, 0x00,
    0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x01, 0x88, 0x00, 0x9a, 0xbb, 0xa0, 0x00, 0x00, 0x00,
    0xfe, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xc0, 0x00, 0x54, 0xff,
    0xfe, 0xf5, 0x00, 0x00, 0x02, 0x01, 0xc2, 0x00, 0x54, 0xf5, 0x00, 0x00,
};
/* zeek__icmp6-neighbor-solicit.pcap frame 1, from the IPv6 header on (64 bytes) */
static const uint8_t ns_plain[64] = {
    0x60, 0x00, 0x00, 0x00, 0x00, 0x18, 0x3a, 0xff, 0xfe, 0x80, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xde, 0xad,
    0xfe, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0xbe, 0xef, 0x87, 0x00, 0x24, 0xce, 0x00, 0x00, 0x00, 0x00,
    0xfe, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0xba, 0xbe,
};
/* zeek__icmp6-neighbor-advert.pcap frame 1, from the IPv6 header on (64 bytes) */
static const uint8_t na_plain[64] = {
    0x60, 0x00, 0x00, 0x00, 0x00, 0x18, 0x3a, 0xff, 0xfe, 0x80, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xde, 0xad,
    0xfe, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0xbe, 0xef, 0x88, 0x00, 0x83, 0xcd, 0xa0, 0x00, 0x00, 0x00,
    0xfe, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0xba, 0xbe,
};
/* zeek__icmp6-router-solicit.pcap frame 1, from the IPv6 header on (48 bytes) */
static const uint8_t rs_plain[48] = {
    0x60, 0x00, 0x00, 0x00, 0x00, 0x08, 0x3a, 0xff, 0xfe, 0x80, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xde, 0xad,
    0xfe, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0xbe, 0xef, 0x85, 0x00, 0xe0, 0x1d, 0x00, 0x00, 0x00, 0x00,
};
/* zeek__icmp6-router-advert.pcap frame 1, from the IPv6 header on (56 bytes) */
static const uint8_t ra_plain[56] = {
    0x60, 0x00, 0x00, 0x00, 0x00, 0x10, 0x3a, 0xff, 0xfe, 0x80, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xde, 0xad,
    0xfe, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0xbe, 0xef, 0x86, 0x00, 0xb6, 0xcd, 0x0d, 0xb8, 0x07, 0x08,
    0x00, 0x00, 0x0e, 0x74, 0x00, 0x00, 0x05, 0x14,
};
/* zeek__icmp6-toobig.pcap frame 1, from the IPv6 header on (100 bytes) */
static const uint8_t toobig[100] = {
    0x60, 0x00, 0x00, 0x00, 0x00, 0x3c, 0x3a, 0x40, 0xfe, 0x80, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xde, 0xad,
    0xfe, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0xbe, 0xef, 0x02, 0x00, 0xec, 0xba, 0x00, 0x00, 0x05, 0x00,
    0x60, 0x00, 0x00, 0x00, 0x00, 0x0c, 0x11, 0x40, 0xfe, 0x80, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xbe, 0xef,
    0xfe, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0xde, 0xad, 0x75, 0x30, 0x32, 0xc8, 0x00, 0x0c, 0x0c, 0x8e,
    0x58, 0x58, 0x58, 0x58,
};
/* zeek__icmp6-paramprob.pcap frame 1, from the IPv6 header on (100 bytes) */
static const uint8_t paramprob[100] = {
    0x60, 0x00, 0x00, 0x00, 0x00, 0x3c, 0x3a, 0x40, 0xfe, 0x80, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xde, 0xad,
    0xfe, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0xbe, 0xef, 0x04, 0x00, 0xef, 0xb4, 0x00, 0x00, 0x00, 0x06,
    0x60, 0x00, 0x00, 0x00, 0x00, 0x0c, 0x11, 0x40, 0xfe, 0x80, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xbe, 0xef,
    0xfe, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0xde, 0xad, 0x75, 0x30, 0x32, 0xc8, 0x00, 0x0c, 0x0c, 0x8e,
    0x58, 0x58, 0x58, 0x58,
};
/* zeek__icmp6-ping.pcap frame 1, from the IPv6 header on (80 bytes) */
static const uint8_t echo_req[80] = {
    0x60, 0x00, 0x00, 0x00, 0x00, 0x28, 0x3a, 0x80, 0x26, 0x20, 0x00, 0x00,
    0x0e, 0x00, 0x40, 0x0e, 0x0d, 0x1d, 0xdb, 0x37, 0x0b, 0xeb, 0x5a, 0xac,
    0x20, 0x01, 0x48, 0x60, 0x80, 0x06, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x63, 0x80, 0x00, 0x29, 0x10, 0x00, 0x01, 0x00, 0x03,
    0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6c,
    0x6d, 0x6e, 0x6f, 0x70, 0x71, 0x72, 0x73, 0x74, 0x75, 0x76, 0x77, 0x61,
    0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69,
};
/* zeek__icmp6-ping.pcap frame 2, from the IPv6 header on (80 bytes) */
static const uint8_t echo_rep[80] = {
    0x60, 0x00, 0x00, 0x00, 0x00, 0x28, 0x3a, 0x2f, 0x20, 0x01, 0x48, 0x60,
    0x80, 0x06, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x63,
    0x26, 0x20, 0x00, 0x00, 0x0e, 0x00, 0x40, 0x0e, 0x0d, 0x1d, 0xdb, 0x37,
    0x0b, 0xeb, 0x5a, 0xac, 0x81, 0x00, 0x28, 0x10, 0x00, 0x01, 0x00, 0x03,
    0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6c,
    0x6d, 0x6e, 0x6f, 0x70, 0x71, 0x72, 0x73, 0x74, 0x75, 0x76, 0x77, 0x61,
    0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69,
};
/* zeek__icmp6-nd-options.pcap frame 4, from the IPv6 header on (76 bytes) */
static const uint8_t mld2_join[76] = {
    0x6e, 0x00, 0x00, 0x00, 0x00, 0x24, 0x00, 0x01, 0xfe, 0x80, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0xc0, 0x00, 0x54, 0xff, 0xfe, 0xf5, 0x00, 0x00,
    0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x16, 0x3a, 0x00, 0x05, 0x02, 0x00, 0x00, 0x01, 0x00,
    0x8f, 0x00, 0x5c, 0x13, 0x00, 0x00, 0x00, 0x01, 0x04, 0x00, 0x00, 0x00,
    0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x02,
};
/* zeek__ip6-icmp6-bad-chksum.pcap frame 1, from the IPv6 header on (55 bytes) */
static const uint8_t bad_csum[55] = {
    0x60, 0x00, 0x00, 0x00, 0x00, 0x0f, 0x3a, 0x40, 0x20, 0x01, 0x04, 0xf8,
    0x00, 0x04, 0x00, 0x07, 0x02, 0xe0, 0x81, 0xff, 0xfe, 0x52, 0xff, 0xff,
    0x20, 0x01, 0x04, 0xf8, 0x00, 0x04, 0x00, 0x07, 0x02, 0xe0, 0x81, 0xff,
    0xfe, 0x52, 0x9a, 0x6b, 0x80, 0x00, 0x00, 0x0d, 0x00, 0x00, 0x00, 0x00,
    0x39, 0x4d, 0x70, 0x6f, 0x32, 0x71, 0x43,
};

/* The IPv6 pseudo-header sum (RFC 8200 8.1) from the header at ip6, for an
 * ICMPv6 message of len bytes. */
static uint32_t psum6(const uint8_t *ip6, size_t len) {
  return zn_csum_pseudo6(ip6 + 8, ip6 + 24, (uint32_t)len, ZN_IPPROTO_ICMPV6);
}

/* The ICMPv6 message of a frame without extension headers. */
#define ICMP(f) ((f) + 40)
#define ICMP_LEN(f) ((size_t)zn_rd16((f) + 4))

static const uint8_t fe80_babe[16] = {0xfe, 0x80, [14] = 0xba, 0xbe};
static const uint8_t mac_c2[6] = {0xc2, 0x00, 0x54, 0xf5, 0x00, 0x00};

static void nd_of(struct zn_nd_view *nd, const uint8_t *f) {
  struct zn_icmp6_view v;
  ZT_EQ(zn_icmp6_view_init(&v, ICMP(f), ICMP_LEN(f)), ZN_OK);
  ZT_CHECK(zn_icmp6_csum_ok(&v, psum6(f, ICMP_LEN(f))));
  ZT_EQ(zn_nd_view_init(nd, &v), ZN_OK);
}

ZT_TEST(test_errors_golden_parsed) {
  struct zn_icmp6_view v;
  ZT_EQ(zn_icmp6_view_init(&v, ICMP(toobig), ICMP_LEN(toobig)), ZN_OK);
  ZT_EQU(v.len, 60);
  ZT_EQU(v.type, ZN_ICMP6_PACKET_TOO_BIG);
  ZT_EQU(v.code, 0);
  ZT_CHECK(zn_icmp6_is_error(v.type));
  ZT_CHECK(zn_icmp6_csum_ok(&v, psum6(toobig, 60)));
  ZT_EQU(zn_icmp6_mtu(&v), 1280);
  ZT_CHECK(zn_icmp6_body(&v) == ICMP(toobig) + 8);
  ZT_EQU(zn_icmp6_body_len(&v), 52);
  ZT_EQU(zn_icmp6_body(&v)[0], 0x60); /* the invoking packet's header */

  ZT_EQ(zn_icmp6_view_init(&v, ICMP(paramprob), 60), ZN_OK);
  ZT_EQU(v.type, ZN_ICMP6_PARAM_PROB);
  ZT_EQU(v.code, ZN_ICMP6_PARAMPROB_HEADER);
  ZT_CHECK(zn_icmp6_csum_ok(&v, psum6(paramprob, 60)));
  ZT_EQU(zn_icmp6_pointer(&v), 6);
  ZT_EQU(zn_icmp6_rest(&v), 6);
  ZT_CHECK(!zn_icmp6_is_error(ZN_ICMP6_ECHO_REQUEST));
  ZT_CHECK(zn_icmp6_is_error(127));
  ZT_CHECK(!zn_icmp6_is_error(128));
}

ZT_TEST(test_truncated_icmp6_refused) {
  struct zn_icmp6_view v;
  memset(&v, 0x5a, sizeof v);
  for (size_t n = 0; n < 8; n++) {
    ZT_EQ(zn_icmp6_view_init(&v, ICMP(echo_req), n), ZN_ETRUNCATED);
    ZT_CHECK(v.len == (size_t)0x5a5a5a5a5a5a5a5aull); /* unwritten */
  }
  ZT_EQ(zn_icmp6_view_init(&v, ICMP(echo_req), 8), ZN_OK);
  ZT_EQU(zn_icmp6_body_len(&v), 0);
}

ZT_TEST(test_bad_checksum_detected) {
  struct zn_icmp6_view v;
  size_t n = ICMP_LEN(bad_csum);
  ZT_EQU(n, 15);
  ZT_EQ(zn_icmp6_view_init(&v, ICMP(bad_csum), n), ZN_OK);
  ZT_CHECK(!zn_icmp6_csum_ok(&v, psum6(bad_csum, n)));

  uint8_t m[40];
  n = ICMP_LEN(echo_req);
  memcpy(m, ICMP(echo_req), n);
  ZT_EQ(zn_icmp6_view_init(&v, m, n), ZN_OK);
  ZT_CHECK(zn_icmp6_csum_ok(&v, psum6(echo_req, n)));
  ZT_EQU(zn_icmp6_echo_id(&v), 1);
  ZT_EQU(zn_icmp6_echo_seq(&v), 3);
  for (size_t i = 0; i < n; i++) {
    m[i] ^= 0x04;
    ZT_CHECK(!zn_icmp6_csum_ok(&v, psum6(echo_req, n)));
    m[i] ^= 0x04;
  }
  /* The pseudo-header counts: another length fails. */
  ZT_CHECK(!zn_icmp6_csum_ok(&v, psum6(echo_req, n + 2)));
  /* finish makes the odd-length message verify. */
  uint8_t b[15];
  memcpy(b, ICMP(bad_csum), 15);
  zn_icmp6_finish(b, 15, psum6(bad_csum, 15));
  ZT_EQ(zn_icmp6_view_init(&v, b, 15), ZN_OK);
  ZT_CHECK(zn_icmp6_csum_ok(&v, psum6(bad_csum, 15)));
}

/* Frame 1 answered in place is frame 2 (same id, sequence and data). */
ZT_TEST(test_echo_reply_in_place_golden) {
  uint8_t m[40];
  size_t n = ICMP_LEN(echo_req);
  ZT_EQU(n, 40);
  memcpy(m, ICMP(echo_req), n);
  zn_icmp6_echo_reply_in_place(m, n, psum6(echo_req, n));
  ZT_MEMEQ(m, ICMP(echo_rep), n);
  uint8_t h[8];
  ZT_EQU(zn_icmp6_emit(h, ZN_ICMP6_ECHO_REQUEST, 0, 0x00010003u), 8);
  memcpy(m, h, 8);
  memcpy(m + 8, ICMP(echo_req) + 8, n - 8);
  zn_icmp6_finish(m, n, psum6(echo_req, n));
  ZT_MEMEQ(m, ICMP(echo_req), n);
}

ZT_TEST(test_ra_golden_parsed) {
  struct zn_nd_view nd;
  struct zn_nd_opts o;
  nd_of(&nd, ra_opts);
  ZT_EQU(nd.type, ZN_ICMP6_ND_RA);
  ZT_EQU(nd.cur_hop_limit, 64);
  ZT_EQU(nd.flags, 0);
  ZT_EQU(nd.router_lifetime, 1800);
  ZT_EQU(nd.reachable_time, 0);
  ZT_EQU(nd.retrans_timer, 0);
  ZT_EQU(nd.opt_off, 16);
  ZT_CHECK(nd.target == NULL);
  ZT_EQ(zn_nd_opts_parse(&nd, &o), ZN_OK);
  ZT_REQUIRE(o.slla != NULL);
  ZT_MEMEQ(o.slla, mac_c2, 6);
  ZT_CHECK(o.tlla == NULL && o.nonce == NULL);
  ZT_CHECK(o.has_mtu);
  ZT_EQU(o.mtu, 1500);
  ZT_EQU(o.n_prefix, 1);
  ZT_EQU(o.n_rdnss + o.n_dnssl, 0);

  struct zn_nd_opt_iter it;
  struct zn_nd_opt opt;
  struct zn_nd_prefix pi;
  unsigned seen = 0;
  zn_nd_opt_iter_init(&it, &nd);
  while (zn_nd_opt_next(&it, &opt) == ZN_OK) {
    seen++;
    if (opt.type != ZN_ND_OPT_PREFIX) {
      ZT_EQ(zn_nd_opt_prefix(&opt, &pi), ZN_EPROTO);
      continue;
    }
    ZT_EQ(zn_nd_opt_prefix(&opt, &pi), ZN_OK);
    static const uint8_t pfx[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1};
    ZT_EQU(pi.prefix_len, 64);
    ZT_EQU(pi.flags, ZN_ND_PREFIX_FLAG_L | ZN_ND_PREFIX_FLAG_A);
    ZT_EQU(pi.valid_lifetime, 2592000);
    ZT_EQU(pi.preferred_lifetime, 604800);
    ZT_MEMEQ(pi.prefix, pfx, 16);
  }
  ZT_EQU(seen, 3);
  ZT_EQ(zn_nd_opt_next(&it, &opt), ZN_ENOENT);
}

/* PREF64 (type 38, RFC 8781) is unknown here: skipped by its length. */
ZT_TEST(test_ra_pref64_unknown_option_skipped) {
  struct zn_nd_view nd;
  struct zn_nd_opts o;
  nd_of(&nd, ra_pref64);
  ZT_EQU(nd.cur_hop_limit, 80);
  ZT_EQU(nd.flags, ZN_ND_RA_FLAG_O);
  ZT_EQU(nd.router_lifetime, 500);
  ZT_EQ(zn_nd_opts_parse(&nd, &o), ZN_OK);
  static const uint8_t mac[6] = {0xe2, 0x15, 0x81, 0xb4, 0xb9, 0x45};
  ZT_REQUIRE(o.slla != NULL);
  ZT_MEMEQ(o.slla, mac, 6);
  ZT_EQU(o.n_prefix, 1);
  ZT_CHECK(!o.has_mtu);
  struct zn_nd_opt_iter it;
  struct zn_nd_opt opt;
  struct zn_nd_prefix pi;
  zn_nd_opt_iter_init(&it, &nd);
  ZT_EQ(zn_nd_opt_next(&it, &opt), ZN_OK);
  ZT_EQ(zn_nd_opt_next(&it, &opt), ZN_OK);
  ZT_EQ(zn_nd_opt_prefix(&opt, &pi), ZN_OK);
  ZT_EQU(pi.flags, ZN_ND_PREFIX_FLAG_L);
  ZT_EQU(pi.valid_lifetime, 3600);
  ZT_EQU(pi.preferred_lifetime, 1800);
  ZT_EQ(zn_nd_opt_next(&it, &opt), ZN_OK);
  ZT_EQU(opt.type, 38);
  ZT_EQU(opt.len, 16);
  ZT_EQ(zn_nd_opt_next(&it, &opt), ZN_ENOENT);

  nd_of(&nd, ra_plain);
  ZT_EQU(nd.cur_hop_limit, 13);
  ZT_EQU(nd.flags, 0xb8);
  ZT_EQU(nd.router_lifetime, 1800);
  ZT_EQU(nd.reachable_time, 3700);
  ZT_EQU(nd.retrans_timer, 1300);
  ZT_EQ(zn_nd_opts_parse(&nd, &o), ZN_OK);
  ZT_CHECK(o.slla == NULL && o.n_prefix == 0);
}

ZT_TEST(test_ns_na_golden_parsed) {
  struct zn_nd_view nd;
  struct zn_nd_opts o;
  nd_of(&nd, ns_nonce);
  ZT_EQU(nd.type, ZN_ICMP6_ND_NS);
  ZT_MEMEQ(nd.target, ICMP(ns_nonce) + 8, 16);
  ZT_EQU(nd.target[0], 0xfe);
  ZT_EQU(nd.target[15], 0x0f);
  ZT_EQ(zn_nd_opts_parse(&nd, &o), ZN_OK);
  ZT_CHECK(o.slla == NULL);
  static const uint8_t nonce[6] = {0x60, 0x69, 0x60, 0x4c, 0x0a, 0xaa};
  ZT_REQUIRE(o.nonce != NULL);
  ZT_EQU(o.nonce_len, 6);
  ZT_MEMEQ(o.nonce, nonce, 6);

  nd_of(&nd, na_tlla);
  ZT_EQU(nd.type, ZN_ICMP6_ND_NA);
  ZT_EQU(nd.flags, ZN_ND_NA_FLAG_R | ZN_ND_NA_FLAG_O);
  ZT_EQ(zn_nd_opts_parse(&nd, &o), ZN_OK);
  ZT_REQUIRE(o.tlla != NULL);
  ZT_MEMEQ(o.tlla, mac_c2, 6);
  ZT_CHECK(o.slla == NULL);

  nd_of(&nd, na_plain);
  ZT_MEMEQ(nd.target, fe80_babe, 16);
}

/* The builders give the captured bytes back. */
ZT_TEST(test_nd_emit_golden) {
  uint8_t m[64];
  size_t n = zn_nd_rs_emit(m, NULL);
  ZT_EQU(n, ICMP_LEN(rs_plain));
  zn_icmp6_finish(m, n, psum6(rs_plain, n));
  ZT_MEMEQ(m, ICMP(rs_plain), n);

  n = zn_nd_ns_emit(m, fe80_babe, NULL);
  ZT_EQU(n, 24);
  zn_icmp6_finish(m, n, psum6(ns_plain, n));
  ZT_MEMEQ(m, ICMP(ns_plain), n);

  n = zn_nd_na_emit(m, ZN_ND_NA_FLAG_R | ZN_ND_NA_FLAG_O, fe80_babe, NULL);
  ZT_EQU(n, 24);
  zn_icmp6_finish(m, n, psum6(na_plain, n));
  ZT_MEMEQ(m, ICMP(na_plain), n);

  n = zn_nd_na_emit(m, ZN_ND_NA_FLAG_R | ZN_ND_NA_FLAG_O, ICMP(na_tlla) + 8,
                    mac_c2);
  ZT_EQU(n, 32);
  zn_icmp6_finish(m, n, psum6(na_tlla, n));
  ZT_MEMEQ(m, ICMP(na_tlla), n);

  /* With a source link-layer option: parsed back. */
  struct zn_icmp6_view v;
  struct zn_nd_view nd;
  struct zn_nd_opts o;
  n = zn_nd_rs_emit(m, mac_c2);
  ZT_EQU(n, 16);
  ZT_EQ(zn_icmp6_view_init(&v, m, n), ZN_OK);
  ZT_EQ(zn_nd_view_init(&nd, &v), ZN_OK);
  ZT_EQ(zn_nd_opts_parse(&nd, &o), ZN_OK);
  ZT_REQUIRE(o.slla != NULL);
  ZT_MEMEQ(o.slla, mac_c2, 6);
  n = zn_nd_ns_emit(m, fe80_babe, mac_c2);
  ZT_EQU(n, 32);
  ZT_EQ(zn_icmp6_view_init(&v, m, n), ZN_OK);
  ZT_EQ(zn_nd_view_init(&nd, &v), ZN_OK);
  ZT_MEMEQ(nd.target, fe80_babe, 16);
  ZT_EQ(zn_nd_opts_parse(&nd, &o), ZN_OK);
  ZT_REQUIRE(o.slla != NULL);
  ZT_MEMEQ(o.slla, mac_c2, 6);
}

/* Every prefix of the 64-byte RA: SLLA, MTU and prefix options end at 24,
 * 32 and 64, so only those cuts (and the bare RA at 16) parse. */
ZT_TEST(test_ra_every_truncation) {
  struct zn_icmp6_view v;
  struct zn_nd_view nd;
  struct zn_nd_opts o;
  const uint8_t *p = ICMP(ra_opts);
  ZT_EQU(ICMP_LEN(ra_opts), 64);
  for (size_t n = 0; n < 64; n++) {
    uint8_t *c = malloc(n ? n : 1); /* exact size: ASan sees overreads */
    ZT_REQUIRE(c != NULL);
    memcpy(c, p, n);
    int rc = zn_icmp6_view_init(&v, c, n);
    if (n < 8) {
      ZT_EQ(rc, ZN_ETRUNCATED);
    } else {
      ZT_EQ(rc, ZN_OK);
      rc = zn_nd_view_init(&nd, &v);
      if (n < 16) {
        ZT_EQ(rc, ZN_ETRUNCATED);
      } else {
        ZT_EQ(rc, ZN_OK);
        bool whole = n == 16 || n == 24 || n == 32;
        ZT_EQ(zn_nd_opts_parse(&nd, &o), whole ? ZN_OK : ZN_EMALFORMED);
        ZT_CHECK(whole || (o.slla == NULL && !o.has_mtu));
        ZT_EQU(o.has_mtu, n == 32);
      }
    }
    free(c);
  }
}

/* An RA of 16 bytes followed by the option bytes opt[0..n). */
static int ra_with(const uint8_t *opt, size_t n, struct zn_nd_view *nd,
                   uint8_t *buf) {
  struct zn_icmp6_view v;
  memcpy(buf, ICMP(ra_plain), 16);
  memcpy(buf + 16, opt, n);
  if (zn_icmp6_view_init(&v, buf, 16 + n) != ZN_OK)
    return ZN_EINVAL;
  return zn_nd_view_init(nd, &v);
}

ZT_TEST(test_option_structure_malformed) {
  static const struct {
    uint8_t b[24];
    size_t n;
    int want;
  } cases[] = {
      {{1, 0, 1, 2, 3, 4, 5, 6}, 8, ZN_EMALFORMED},           /* len 0 */
      {{1, 1, 1, 2, 3, 4, 5, 6, 5, 0}, 16, ZN_EMALFORMED},    /* later 0 */
      {{1, 2, 1, 2, 3, 4, 5, 6}, 8, ZN_EMALFORMED},           /* past end */
      {{1, 1, 1, 2, 3, 4, 5, 6, 99}, 9, ZN_EMALFORMED},       /* 1 left */
      {{1, 1, 1, 2, 3, 4, 5, 6, 99, 3}, 10, ZN_EMALFORMED},   /* past end */
      {{99, 1, 0}, 8, ZN_OK},                                 /* unknown */
      {{1, 1, 1, 2, 3, 4, 5, 6, 1, 1, 9, 9, 9, 9, 9, 9}, 16, ZN_OK},
  };
  uint8_t buf[64];
  struct zn_nd_view nd;
  struct zn_nd_opts o;
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    ZT_EQ(ra_with(cases[i].b, cases[i].n, &nd, buf), ZN_OK);
    memset(&o, 0x5a, sizeof o);
    int rc = zn_nd_opts_parse(&nd, &o);
    if (rc != cases[i].want)
      zt_fail(__FILE__, __LINE__, "case %zu: %d, want %d", i, rc,
              cases[i].want);
    if (rc != ZN_OK)
      ZT_CHECK(o.slla == NULL && o.n_prefix == 0); /* reset */
  }
  /* The last case: two SLLAs, the first wins. */
  ZT_REQUIRE(o.slla != NULL);
  ZT_EQU(o.slla[0], 1);
}

ZT_TEST(test_single_options_first_wins) {
  /* SLLA of length 2 (not Ethernet: ignored), MTU of length 2 (ignored),
   * then an MTU of length 1, a second MTU, a TLLA. */
  static const uint8_t opt[] = {
      1, 2, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, /* SLLA len 2 */
      5, 2, 0, 0, 0, 0, 0x05, 0xdc, 0, 0, 0, 0, 0, 0, 0, 0,
      5, 1, 0, 0, 0, 0, 0x05, 0x00,
      5, 1, 0, 0, 0, 0, 0x04, 0x00,
      2, 1, 1, 2, 3, 4, 5, 6,
  };
  uint8_t buf[96];
  struct zn_nd_view nd;
  struct zn_nd_opts o;
  ZT_EQ(ra_with(opt, sizeof opt, &nd, buf), ZN_OK);
  ZT_EQ(zn_nd_opts_parse(&nd, &o), ZN_OK);
  ZT_CHECK(o.slla == NULL);
  ZT_CHECK(o.has_mtu);
  ZT_EQU(o.mtu, 1280);
  ZT_REQUIRE(o.tlla != NULL);
  ZT_EQU(o.tlla[0], 1);
}

static struct zn_nd_opt opt_of(const uint8_t *b, size_t len) {
  struct zn_nd_opt o = {.type = b[0], .p = b, .len = len};
  return o;
}

ZT_TEST(test_prefix_option_checked) {
  uint8_t b[40] = {3, 4, 64, 0xc0};
  struct zn_nd_prefix pi;
  struct zn_nd_opt o = opt_of(b, 32);
  ZT_EQ(zn_nd_opt_prefix(&o, &pi), ZN_OK);
  b[2] = 128;
  ZT_EQ(zn_nd_opt_prefix(&o, &pi), ZN_OK);
  ZT_EQU(pi.prefix_len, 128);
  b[2] = 129;
  memset(&pi, 0x5a, sizeof pi);
  ZT_EQ(zn_nd_opt_prefix(&o, &pi), ZN_EMALFORMED);
  ZT_EQU(pi.prefix_len, 0x5a);
  b[2] = 64;
  b[1] = 3;
  o = opt_of(b, 24);
  ZT_EQ(zn_nd_opt_prefix(&o, &pi), ZN_EMALFORMED);
  b[1] = 5;
  o = opt_of(b, 40);
  ZT_EQ(zn_nd_opt_prefix(&o, &pi), ZN_EMALFORMED);
  b[0] = ZN_ND_OPT_MTU;
  o = opt_of(b, 40);
  ZT_EQ(zn_nd_opt_prefix(&o, &pi), ZN_EPROTO);
  uint32_t mtu = 7;
  ZT_EQ(zn_nd_opt_mtu(&o, &mtu), ZN_EMALFORMED);
  ZT_EQU(mtu, 7);
}

ZT_TEST(test_rdnss_length_checked) {
  uint8_t b[8 * 7] = {25, 0, 0, 0, 0, 0, 0x0e, 0x10};
  for (uint8_t l = 1; l <= 7; l++) {
    b[1] = l;
    struct zn_nd_opt o = opt_of(b, (size_t)l * 8);
    uint32_t life = 0;
    size_t naddr = 99;
    int rc = zn_nd_opt_rdnss(&o, &life, &naddr);
    if (l >= 3 && l % 2 == 1) {
      ZT_EQ(rc, ZN_OK);
      ZT_EQU(life, 3600);
      ZT_EQU(naddr, (size_t)(l - 1) / 2);
      ZT_CHECK(zn_nd_opt_rdnss_addr(&o, naddr - 1) + 16 == b + l * 8);
    } else {
      ZT_EQ(rc, ZN_EMALFORMED);
      ZT_EQU(naddr, 99);
    }
  }
}

static int dnssl(const char *names, size_t nlen, size_t optlen,
                 size_t *nnames) {
  uint8_t b[512] = {31, (uint8_t)(optlen / 8), 0, 0, 0, 0, 0x01, 0x2c};
  memcpy(b + 8, names, nlen);
  struct zn_nd_opt o = opt_of(b, optlen);
  uint32_t life = 0;
  int rc = zn_nd_opt_dnssl(&o, &life, nnames);
  if (rc == ZN_OK && life != 300)
    return ZN_EINVAL;
  return rc;
}

ZT_TEST(test_dnssl_names_checked) {
  size_t n = 99;
  ZT_EQ(dnssl("\7example\3com", 13, 24, &n), ZN_OK);
  ZT_EQU(n, 1);
  ZT_EQ(dnssl("\7example\3com\0\3lan", 18, 32, &n), ZN_OK);
  ZT_EQU(n, 2);
  ZT_EQ(dnssl("", 0, 16, &n), ZN_OK); /* padding only */
  ZT_EQU(n, 0);
  n = 99;
  /* A label of 64, a compression pointer, a label past the end, a name
   * without its root byte, garbage in the padding, a short option. */
  ZT_EQ(dnssl("\100", 1, 16, &n), ZN_EMALFORMED);
  char l64[66] = {64};
  memset(l64 + 1, 'x', 64);
  ZT_EQ(dnssl(l64, 66, 80, &n), ZN_EMALFORMED);
  l64[0] = 63;
  l64[64] = 0;
  ZT_EQ(dnssl(l64, 65, 80, &n), ZN_OK);
  n = 99;
  ZT_EQ(dnssl("\3com\300\10", 6, 16, &n), ZN_EMALFORMED);
  ZT_EQ(dnssl("\7example\11com", 13, 24, &n), ZN_EMALFORMED);
  ZT_EQ(dnssl("\7example", 8, 16, &n), ZN_EMALFORMED);
  ZT_EQ(dnssl("\3com\0\0\0\1", 8, 16, &n), ZN_EMALFORMED);
  ZT_EQ(dnssl("\3com", 4, 8, &n), ZN_EMALFORMED);
  ZT_EQU(n, 99);
  /* 255 bytes is the longest name (RFC 1035 3.1): three labels of 63
   * and one of 61 with the root byte; one more byte is refused. */
  for (size_t last = 60; last <= 62; last++) {
    char big[300];
    size_t k = 0;
    for (int i = 0; i < 4; i++) {
      size_t l = i < 3 ? 63 : last;
      big[k++] = (char)l;
      memset(big + k, 'a', l);
      k += l;
    }
    big[k++] = 0;
    ZT_EQU(k, 194 + last);
    n = 99;
    ZT_EQ(dnssl(big, k, 8 + 256, &n), last <= 61 ? ZN_OK : ZN_EMALFORMED);
    ZT_EQU(n, last <= 61 ? 1u : 99u);
  }
}

ZT_TEST(test_nd_view_checks) {
  uint8_t m[40];
  struct zn_icmp6_view v;
  struct zn_nd_view nd;
  memcpy(m, ICMP(ns_plain), 24);
  ZT_EQ(zn_icmp6_view_init(&v, m, 24), ZN_OK);
  ZT_EQ(zn_nd_view_init(&nd, &v), ZN_OK);
  m[1] = 1;
  ZT_EQ(zn_icmp6_view_init(&v, m, 24), ZN_OK);
  ZT_EQ(zn_nd_view_init(&nd, &v), ZN_EMALFORMED);
  m[1] = 0;
  m[8] = 0xff; /* multicast target */
  ZT_EQ(zn_icmp6_view_init(&v, m, 24), ZN_OK);
  ZT_EQ(zn_nd_view_init(&nd, &v), ZN_EMALFORMED);
  m[0] = ZN_ICMP6_ND_NA;
  ZT_EQ(zn_icmp6_view_init(&v, m, 24), ZN_OK);
  ZT_EQ(zn_nd_view_init(&nd, &v), ZN_EMALFORMED);
  m[8] = 0xfe;
  ZT_EQ(zn_icmp6_view_init(&v, m, 23), ZN_OK);
  ZT_EQ(zn_nd_view_init(&nd, &v), ZN_ETRUNCATED);
  m[0] = ZN_ICMP6_ECHO_REQUEST;
  ZT_EQ(zn_icmp6_view_init(&v, m, 24), ZN_OK);
  ZT_EQ(zn_nd_view_init(&nd, &v), ZN_EPROTO);
  /* A redirect: target then destination. */
  memset(m, 0, sizeof m);
  m[0] = ZN_ICMP6_ND_REDIRECT;
  m[8] = 0xfe;
  m[24] = 0x20;
  ZT_EQ(zn_icmp6_view_init(&v, m, 39), ZN_OK);
  ZT_EQ(zn_nd_view_init(&nd, &v), ZN_ETRUNCATED);
  ZT_EQ(zn_icmp6_view_init(&v, m, 40), ZN_OK);
  ZT_EQ(zn_nd_view_init(&nd, &v), ZN_EMALFORMED); /* fe00:: not fe80::/10 */
  m[9] = 0x80;
  ZT_EQ(zn_nd_view_init(&nd, &v), ZN_OK);
  ZT_CHECK(nd.target == m + 8 && nd.dest == m + 24);
  ZT_EQU(nd.opt_off, 40);
  m[24] = 0xff; /* multicast destination */
  ZT_EQ(zn_nd_view_init(&nd, &v), ZN_EMALFORMED);
  memcpy(m + 8, m + 24, 16); /* on-link: target == destination */
  m[8] = m[24] = 0x20;
  ZT_EQ(zn_nd_view_init(&nd, &v), ZN_OK);
  m[23] = 1; /* a global target that is not the destination */
  ZT_EQ(zn_nd_view_init(&nd, &v), ZN_EMALFORMED);
}

/* Frame 4 of zeek__icmp6-nd-options.pcap: a join of ff02::2, behind an
 * 8-byte hop-by-hop header. */
ZT_TEST(test_mld2_report_emit_golden) {
  static const uint8_t ff02_2[1][16] = {{0xff, 0x02, [15] = 2}};
  uint8_t m[64];
  size_t n = zn_mld2_report_emit(m, ZN_MLD2_CHANGE_TO_EXCLUDE_MODE, ff02_2, 1);
  ZT_EQU(n, 28);
  ZT_EQU(zn_rd16(mld2_join + 4), 8 + 28);
  zn_icmp6_finish(m, n, psum6(mld2_join, n));
  ZT_MEMEQ(m, mld2_join + 48, 28);
  static const uint8_t two[2][16] = {{0xff, 0x02, [15] = 1},
                                     {0xff, 0x02, [11] = 1, 0xff, 1, 2, 3}};
  n = zn_mld2_report_emit(m, ZN_MLD2_CHANGE_TO_INCLUDE_MODE, two, 2);
  ZT_EQU(n, 48);
  ZT_EQU(zn_rd16(m + 6), 2);
  ZT_EQU(m[28], ZN_MLD2_CHANGE_TO_INCLUDE_MODE);
  ZT_MEMEQ(m + 32, two[1], 16);
}

ZT_TEST(test_mld2_codes_decoded) {
  ZT_EQU(zn_mld2_decode_mrc(0), 0);
  ZT_EQU(zn_mld2_decode_mrc(10000), 10000);
  ZT_EQU(zn_mld2_decode_mrc(32767), 32767);
  ZT_EQU(zn_mld2_decode_mrc(0x8000), 32768);
  ZT_EQU(zn_mld2_decode_mrc(0xffff), 8387584); /* RFC 3810 5.1.3 */
  ZT_EQU(zn_mld2_decode_mrc(0x9001), (0x1001u) << 4);
  ZT_EQU(zn_mld2_decode_qqic(125), 125);
  ZT_EQU(zn_mld2_decode_qqic(127), 127);
  ZT_EQU(zn_mld2_decode_qqic(0x80), 128);
  ZT_EQU(zn_mld2_decode_qqic(0xff), 31744); /* RFC 3810 5.1.9 */
  ZT_EQU(zn_mld2_decode_qqic(0x91), 0x11u << 4);
}

ZT_TEST(test_mld2_query_view) {
  /* A group-and-source-specific query: MRC 0x8001, S, QRV 2, QQIC 125,
   * two sources. */
  uint8_t m[60] = {130, 0, 0, 0, 0x80, 0x01, 0, 0, 0xff, 0x02,
                   [23] = 0x05, [24] = 0x0a, [25] = 125, [26] = 0, [27] = 2,
                   [28] = 0xfe, [44] = 0x20};
  struct zn_icmp6_view v;
  struct zn_mld2_query_view q;
  ZT_EQ(zn_icmp6_view_init(&v, m, 60), ZN_OK);
  ZT_EQ(zn_mld2_query_view_init(&q, &v), ZN_OK);
  ZT_EQU(q.len, 60);
  ZT_EQU(q.max_resp_ms, (0x1001u) << 3);
  ZT_CHECK(q.group == m + 8);
  ZT_CHECK(q.s_flag);
  ZT_EQU(q.qrv, 2);
  ZT_EQU(q.qqi, 125);
  ZT_EQU(q.nsrc, 2);
  ZT_CHECK(zn_mld2_query_source(&q, 0)[0] == 0xfe);
  ZT_CHECK(zn_mld2_query_source(&q, 1)[0] == 0x20);
  for (size_t n = 8; n < 60; n++) {
    ZT_EQ(zn_icmp6_view_init(&v, m, n), ZN_OK);
    ZT_EQ(zn_mld2_query_view_init(&q, &v),
          n == ZN_MLD_QUERY_V1_LEN ? ZN_EPROTO : ZN_ETRUNCATED);
  }
  /* Trailing bytes stay outside; fewer sources than bytes is fine. */
  m[27] = 1;
  ZT_EQ(zn_icmp6_view_init(&v, m, 60), ZN_OK);
  ZT_EQ(zn_mld2_query_view_init(&q, &v), ZN_OK);
  ZT_EQU(q.len, 44);
  m[26] = 0xff; /* 65281 sources */
  ZT_EQ(zn_mld2_query_view_init(&q, &v), ZN_ETRUNCATED);
  m[0] = ZN_ICMP6_MLD2_REPORT;
  ZT_EQ(zn_icmp6_view_init(&v, m, 60), ZN_OK);
  ZT_EQ(zn_mld2_query_view_init(&q, &v), ZN_EPROTO);
}

int main(void) {
  ZT_RUN(test_errors_golden_parsed);
  ZT_RUN(test_truncated_icmp6_refused);
  ZT_RUN(test_bad_checksum_detected);
  ZT_RUN(test_echo_reply_in_place_golden);
  ZT_RUN(test_ra_golden_parsed);
  ZT_RUN(test_ra_pref64_unknown_option_skipped);
  ZT_RUN(test_ns_na_golden_parsed);
  ZT_RUN(test_nd_emit_golden);
  ZT_RUN(test_ra_every_truncation);
  ZT_RUN(test_option_structure_malformed);
  ZT_RUN(test_single_options_first_wins);
  ZT_RUN(test_prefix_option_checked);
  ZT_RUN(test_rdnss_length_checked);
  ZT_RUN(test_dnssl_names_checked);
  ZT_RUN(test_nd_view_checks);
  ZT_RUN(test_mld2_report_emit_golden);
  ZT_RUN(test_mld2_codes_decoded);
  ZT_RUN(test_mld2_query_view);
  return zt_done();
}
