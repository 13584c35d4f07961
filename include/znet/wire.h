/** \file
 * Wire formats: checked views over bytes, parse and emit, checksums.
 *
 * No state, no allocation, no I/O.  Every header is read through a view
 * built by exactly one *_view_init() function that does all length and
 * offset checks; once it has returned ZN_OK, every accessor of that view
 * reads inside the bytes it was given.  On failure a *_view_init() leaves
 * the view unwritten.  Multi-byte fields are big-endian on the wire and
 * read with zn_rd16()/zn_rd32(); no struct is ever cast over packet
 * memory.  IPv4 addresses are uint32_t in host order
 * (192.0.2.1 == 0xC0000201).
 */
#ifndef ZNET_WIRE_H
#define ZNET_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* ---- byte access ------------------------------------------------------ */

static inline uint16_t zn_rd16(const uint8_t *p) {
  return (uint16_t)((uint16_t)p[0] << 8 | p[1]);
}
static inline uint32_t zn_rd32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
         (uint32_t)p[3];
}
static inline void zn_wr16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
}
static inline void zn_wr32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}

/* ---- Internet checksum (RFC 1071, RFC 1624) ---------------------------- */

/** Add len bytes at p to a running 32-bit ones'-complement sum.  Chained
 * calls must pass even lengths for every piece but the last. */
uint32_t zn_csum_add(uint32_t sum, const void *p, size_t len);

/** Fold a running sum to 16 bits and complement it: the value to store in a
 * checksum field (host order; write it with zn_wr16). */
uint16_t zn_csum_fold(uint32_t sum);

/** The checksum of len bytes at p; a region that includes a correct
 * checksum field yields 0. */
uint16_t zn_csum(const void *p, size_t len);

/** zn_csum() of exactly 20 bytes (an IPv4 header without options, which
 * every datagram in and out has checksummed): the same value, summed as
 * five words without the general loop. */
uint16_t zn_csum20(const void *p);

/** The running sum of the IPv4 pseudo-header (RFC 793/768). */
uint32_t zn_csum_pseudo(uint32_t src, uint32_t dst, uint8_t proto,
                        uint16_t len);

/** The running sum of the IPv6 pseudo-header (RFC 8200 8.1): source,
 * destination (the final one when a routing header is present), the
 * upper-layer packet length (32 bits) and the next header value. */
uint32_t zn_csum_pseudo6(const uint8_t src[16], const uint8_t dst[16],
                         uint32_t len, uint8_t nxt);

/** What a sender that leaves the checksum to the device (checksum offload,
 * ZN_BUF_F_CSUM_PARTIAL) stores in the TCP or UDP checksum field: the
 * pseudo-header sum, folded and not complemented.  The device adds the
 * segment from the transport header on and stores the complement. */
uint16_t zn_csum_partial(uint32_t src, uint32_t dst, uint8_t proto,
                         uint16_t len);

/** zn_csum_partial() for a pseudo-header sum already computed (psum from
 * zn_csum_pseudo() or zn_csum_pseudo6()), for either family. */
uint16_t zn_csum_partial_psum(uint32_t psum);

/** Incremental update (RFC 1624 eqn. 3): the new checksum field value after
 * a 16-bit (or 32-bit) word covered by checksum `csum` changes from `from`
 * to `to`. */
uint16_t zn_csum_update16(uint16_t csum, uint16_t from, uint16_t to);
uint16_t zn_csum_update32(uint16_t csum, uint32_t from, uint32_t to);

/* ---- Ethernet ---------------------------------------------------------- */

#define ZN_ETH_ADDR_LEN 6
#define ZN_ETH_HDR_LEN 14
#define ZN_ETH_VLAN_HDR_LEN 18
#define ZN_ETH_MIN_FRAME 60 /**< without FCS */
#define ZN_ETHERTYPE_IPV4 0x0800
#define ZN_ETHERTYPE_ARP 0x0806
#define ZN_ETHERTYPE_VLAN 0x8100
#define ZN_ETHERTYPE_QINQ 0x88a8
#define ZN_ETHERTYPE_IPV6 0x86dd

struct zn_eth_view {
  const uint8_t *p;
  size_t len;       /**< whole frame */
  size_t hdr_len;   /**< 14, or 18 with one 802.1Q tag */
  uint16_t type;    /**< EtherType after at most one 802.1Q tag */
  uint16_t tci;     /**< 802.1Q tag control (PCP/DEI/VID), 0 if untagged */
  bool tagged;      /**< one 802.1Q (0x8100) tag was present and skipped */
};

/** Errors: ZN_ETRUNCATED if len is shorter than the header (14 bytes, or 18
 * when an 802.1Q tag is present).  Only one 0x8100 tag is decoded: an
 * 802.1ad (0x88a8) outer tag, or a second tag, shows up as `type`
 * ZN_ETHERTYPE_QINQ/VLAN for the caller to drop. */
int zn_eth_view_init(struct zn_eth_view *v, const uint8_t *p, size_t len);

static inline const uint8_t *zn_eth_dst(const struct zn_eth_view *v) {
  return v->p;
}
static inline const uint8_t *zn_eth_src(const struct zn_eth_view *v) {
  return v->p + 6;
}
static inline uint16_t zn_eth_vid(const struct zn_eth_view *v) {
  return (uint16_t)(v->tci & 0x0fff);
}

/** Write a 14-byte header at p; returns 14. */
size_t zn_eth_emit(uint8_t *p, const uint8_t dst[6], const uint8_t src[6],
                   uint16_t type);
/** Write an 18-byte header with an 802.1Q tag at p; returns 18. */
size_t zn_eth_emit_vlan(uint8_t *p, const uint8_t dst[6],
                        const uint8_t src[6], uint16_t tci, uint16_t type);

static inline bool zn_eth_is_mcast(const uint8_t *mac) {
  return (mac[0] & 1) != 0;
}
bool zn_eth_is_bcast(const uint8_t *mac);
bool zn_eth_is_zero(const uint8_t *mac);

extern const uint8_t zn_eth_bcast[6];

/* ---- ARP (RFC 826) ----------------------------------------------------- */

#define ZN_ARP_HDR_LEN 8
#define ZN_ARP_ETH_IPV4_LEN 28
#define ZN_ARP_HTYPE_ETH 1
#define ZN_ARP_OP_REQUEST 1
#define ZN_ARP_OP_REPLY 2

struct zn_arp_view {
  const uint8_t *p;
  size_t len;       /**< 8 + 2 * (hlen + plen): bytes the packet spans */
  uint16_t htype, ptype, op;
  uint8_t hlen, plen;
};

/** Errors: ZN_ETRUNCATED if len < 8 or shorter than the addresses hlen and
 * plen announce.  Any hardware/protocol type is accepted here; check
 * zn_arp_is_eth_ipv4() before using the address accessors. */
int zn_arp_view_init(struct zn_arp_view *v, const uint8_t *p, size_t len);

static inline bool zn_arp_is_eth_ipv4(const struct zn_arp_view *v) {
  return v->htype == ZN_ARP_HTYPE_ETH && v->ptype == ZN_ETHERTYPE_IPV4 &&
         v->hlen == 6 && v->plen == 4;
}
/** Address accessors; only for views with zn_arp_is_eth_ipv4(). */
static inline const uint8_t *zn_arp_sha(const struct zn_arp_view *v) {
  return v->p + 8;
}
static inline uint32_t zn_arp_spa(const struct zn_arp_view *v) {
  return zn_rd32(v->p + 14);
}
static inline const uint8_t *zn_arp_tha(const struct zn_arp_view *v) {
  return v->p + 18;
}
static inline uint32_t zn_arp_tpa(const struct zn_arp_view *v) {
  return zn_rd32(v->p + 24);
}

/** Write a 28-byte Ethernet/IPv4 ARP packet at p; returns 28. */
size_t zn_arp_emit(uint8_t *p, uint16_t op, const uint8_t sha[6],
                   uint32_t spa, const uint8_t tha[6], uint32_t tpa);

/* ---- IPv4 (RFC 791) ---------------------------------------------------- */

#define ZN_IPV4_HDR_LEN 20
#define ZN_IPV4_MAX_HDR_LEN 60
#define ZN_IPV4_MAX_LEN 65535
#define ZN_IPV4_DF 0x4000
#define ZN_IPV4_MF 0x2000
#define ZN_IPV4_OFFMASK 0x1fff
#define ZN_IPPROTO_ICMP 1
#define ZN_IPPROTO_TCP 6
#define ZN_IPPROTO_UDP 17
#define ZN_IPV4_BCAST 0xffffffffu
/** 127.0.0.1, the source of what a host sends to 127.0.0.0/8 (RFC 1122
 * §3.2.1.3 (g): the loopback network never leaves the host). */
#define ZN_IPV4_LOOPBACK 0x7f000001u

/** The ECN field (RFC 3168 §5): the low two bits of the IPv4 TOS octet
 * and of the IPv6 traffic class. */
#define ZN_IP_ECN_MASK 0x03
#define ZN_IP_ECN_NOT_ECT 0x00 /**< not ECN-capable */
#define ZN_IP_ECN_ECT1 0x01    /**< ECN-capable, ECT(1) */
#define ZN_IP_ECN_ECT0 0x02    /**< ECN-capable, ECT(0) */
#define ZN_IP_ECN_CE 0x03      /**< congestion experienced */

struct zn_ipv4_view {
  const uint8_t *p;
  size_t hdr_len;   /**< IHL * 4, 20..60 */
  size_t tot_len;   /**< total length field */
  size_t len;       /**< bytes available: tot_len, or fewer for a quote */
  uint8_t tos, ttl, proto;
  uint16_t id;
  uint16_t frag;    /**< flags and fragment offset, raw */
  uint32_t src, dst;
};

/** A whole datagram.  Errors, each a distinct reason:
 *   ZN_ETRUNCATED  len < 20
 *   ZN_EPROTO      version is not 4
 *   ZN_EMALFORMED  IHL < 5 or IHL * 4 > len
 *   ZN_ERANGE      total length < IHL * 4 or > len
 * Bytes after tot_len (link padding) are outside the view; trim them.
 * Options are skipped, not interpreted.  The checksum is not checked
 * here (zn_ipv4_csum_ok). */
int zn_ipv4_view_init(struct zn_ipv4_view *v, const uint8_t *p, size_t len);

/** A datagram quoted inside an ICMP error: like zn_ipv4_view_init() but the
 * payload may be cut short (len < tot_len).  The header itself must be
 * complete. */
int zn_ipv4_view_init_quoted(struct zn_ipv4_view *v, const uint8_t *p,
                             size_t len);

bool zn_ipv4_csum_ok(const struct zn_ipv4_view *v);

/** Where an Ethernet frame's IPv4 header (*ip: 14, or 18 behind an 802.1Q
 * tag) and transport header (*l4) start, and the IP protocol.  False
 * unless the frame holds IPv4 (version 4, IHL >= 5) and at least 8 bytes
 * beyond its header.  For backends finishing the stack's own offloaded
 * frames or cutting coalesced ones; not a validation of the datagram. */
bool zn_eth_ipv4_locate(const uint8_t *f, size_t len, size_t *ip, size_t *l4,
                        uint8_t *proto);

static inline size_t zn_ipv4_frag_offset(const struct zn_ipv4_view *v) {
  return (size_t)(v->frag & ZN_IPV4_OFFMASK) * 8u;
}
static inline bool zn_ipv4_mf(const struct zn_ipv4_view *v) {
  return (v->frag & ZN_IPV4_MF) != 0;
}
static inline bool zn_ipv4_df(const struct zn_ipv4_view *v) {
  return (v->frag & ZN_IPV4_DF) != 0;
}
static inline bool zn_ipv4_is_fragment(const struct zn_ipv4_view *v) {
  return (v->frag & (ZN_IPV4_MF | ZN_IPV4_OFFMASK)) != 0;
}
static inline const uint8_t *zn_ipv4_payload(const struct zn_ipv4_view *v) {
  return v->p + v->hdr_len;
}
/** Payload bytes inside the view (fewer than the header claims for a
 * quote). */
static inline size_t zn_ipv4_payload_len(const struct zn_ipv4_view *v) {
  return v->len - v->hdr_len;
}

struct zn_ipv4_hdr {
  uint8_t tos, ttl, proto;
  uint16_t id;
  uint16_t frag;     /**< flags | offset/8 */
  uint16_t tot_len;  /**< header + payload */
  uint32_t src, dst;
};

/** Write a 20-byte header (no options) with its checksum at p; returns 20. */
size_t zn_ipv4_emit(uint8_t *p, const struct zn_ipv4_hdr *h);

static inline bool zn_ipv4_is_mcast(uint32_t a) {
  return (a & 0xf0000000u) == 0xe0000000u;
}

/** 127.0.0.0/8 (host order). */
static inline bool zn_ipv4_is_loopback(uint32_t a) { return (a >> 24) == 127; }

/** A unicast address a host may use on the wire (host order): not in
 * 0.0.0.0/8 ("this network"), 127.0.0.0/8 (loopback), multicast or
 * 240.0.0.0/4 (reserved, the limited broadcast among them), RFC 1122
 * §3.2.1.3 and RFC 5735. */
static inline bool zn_ipv4_is_wire_unicast(uint32_t a) {
  uint32_t top = a >> 24;
  return top != 0 && top != 127 && top < 224;
}

/* ---- IPv6 (RFC 8200, RFC 4291, RFC 2464) ------------------------------- */

#define ZN_IPV6_HDR_LEN 40
#define ZN_IPV6_MIN_MTU 1280 /**< RFC 8200 5: every link carries this */
#define ZN_IPV6_ADDR_LEN 16
/** Next-header numbers (IANA "Assigned Internet Protocol Numbers"). */
#define ZN_IPPROTO_HOPOPTS 0    /**< hop-by-hop options, RFC 8200 4.3 */
#define ZN_IPPROTO_ROUTING 43   /**< routing header, RFC 8200 4.4 */
#define ZN_IPPROTO_FRAGMENT 44  /**< fragment header, RFC 8200 4.5 */
#define ZN_IPPROTO_ESP 50       /**< RFC 4303 */
#define ZN_IPPROTO_AH 51        /**< RFC 4302 */
#define ZN_IPPROTO_ICMPV6 58    /**< RFC 4443 */
#define ZN_IPPROTO_NONE 59      /**< no next header, RFC 8200 4.7 */
#define ZN_IPPROTO_DSTOPTS 60   /**< destination options, RFC 8200 4.6 */
#define ZN_IPPROTO_MOBILITY 135 /**< RFC 6275 */
#define ZN_IPPROTO_HIP 139      /**< RFC 7401 */
#define ZN_IPPROTO_SHIM6 140    /**< RFC 5533 */
#define ZN_IPPROTO_EXP1 253     /**< experimentation, RFC 3692 */
#define ZN_IPPROTO_EXP2 254     /**< experimentation, RFC 3692 */

/** A checked IPv6 fixed header and the payload its payload length
 * announces.  Addresses point into the packet (16 bytes each). */
struct zn_ipv6_view {
  const uint8_t *p;
  size_t len;           /**< 40 + payload length: bytes the datagram spans */
  uint8_t tclass;       /**< traffic class (DSCP << 2 | ECN) */
  uint32_t flow;        /**< flow label, 20 bits */
  uint16_t plen;        /**< payload length field */
  uint8_t nxt;          /**< next header of the fixed header */
  uint8_t hlim;         /**< hop limit */
  const uint8_t *src;   /**< source address, 16 bytes at p + 8 */
  const uint8_t *dst;   /**< destination address, 16 bytes at p + 24 */
};

/** A whole datagram of at most len bytes.  Errors, each a distinct reason:
 *   ZN_ETRUNCATED  len < 40
 *   ZN_EPROTO      version is not 6
 *   ZN_EMALFORMED  payload length 0 with a hop-by-hop header next: a
 *                  jumbogram (RFC 2675), which znet does not support
 *   ZN_ERANGE      40 + payload length > len
 * The view is unwritten on failure.  Bytes after 40 + payload length (link
 * padding) are outside the view: the caller trims its buffer to v.len.
 * Payload length 0 with any other next header is an empty payload. */
int zn_ipv6_view_init(struct zn_ipv6_view *v, const uint8_t *p, size_t len);

/** The bytes after the fixed header: extension headers and upper layer. */
static inline const uint8_t *zn_ipv6_payload(const struct zn_ipv6_view *v) {
  return v->p + ZN_IPV6_HDR_LEN;
}
static inline size_t zn_ipv6_payload_len(const struct zn_ipv6_view *v) {
  return v->len - ZN_IPV6_HDR_LEN;
}

/** What zn_ipv6_emit() writes. */
struct zn_ipv6_hdr {
  uint8_t tclass;      /**< traffic class */
  uint32_t flow;       /**< flow label; bits above the low 20 are ignored */
  uint16_t plen;       /**< payload length: bytes after the fixed header */
  uint8_t nxt;         /**< next header */
  uint8_t hlim;        /**< hop limit */
  uint8_t src[16];     /**< source address */
  uint8_t dst[16];     /**< destination address */
};

/** Write the 40-byte fixed header at p; returns 40. */
size_t zn_ipv6_emit(uint8_t *p, const struct zn_ipv6_hdr *h);

/* The address tests below are inline: every packet asks several of
 * them, and a fixed-size compare against a constant becomes two word
 * compares. */

/** True if a and b are the same 16 bytes (two word compares). */
static inline bool zn_ipv6_addr_eq(const uint8_t a[16], const uint8_t b[16]) {
  uint64_t a0, a1, b0, b1;
  memcpy(&a0, a, 8);
  memcpy(&a1, a + 8, 8);
  memcpy(&b0, b, 8);
  memcpy(&b1, b + 8, 8);
  return ((a0 ^ b0) | (a1 ^ b1)) == 0;
}

/** True for :: (RFC 4291 2.5.2). */
static inline bool zn_ipv6_addr_is_unspecified(const uint8_t a[16]) {
  static const uint8_t unspecified[16];
  return memcmp(a, unspecified, 16) == 0;
}
/** True for ::1 (RFC 4291 2.5.3). */
static inline bool zn_ipv6_addr_is_loopback(const uint8_t a[16]) {
  static const uint8_t loopback[16] = {[15] = 1};
  return memcmp(a, loopback, 16) == 0;
}
/** True for ff00::/8 (RFC 4291 2.7). */
static inline bool zn_ipv6_addr_is_mcast(const uint8_t a[16]) {
  return a[0] == 0xff;
}
/** The scope nibble of a multicast address (1 interface-local, 2
 * link-local, 5 site-local, 8 organization-local, 14 global); only for
 * addresses with zn_ipv6_addr_is_mcast(). */
static inline uint8_t zn_ipv6_mcast_scope(const uint8_t a[16]) {
  return (uint8_t)(a[1] & 0x0f);
}
/** True for link-local unicast, fe80::/10 (RFC 4291 2.5.6). */
static inline bool zn_ipv6_addr_is_linklocal(const uint8_t a[16]) {
  return a[0] == 0xfe && (a[1] & 0xc0) == 0x80;
}
/** True for IPv4-mapped addresses, \::ffff:0:0/96 (RFC 4291 2.5.5.2). */
static inline bool zn_ipv6_addr_is_v4mapped(const uint8_t a[16]) {
  static const uint8_t v4mapped[12] = {[10] = 0xff, [11] = 0xff};
  return memcmp(a, v4mapped, 12) == 0;
}

/** Write the solicited-node multicast address of a (ff02::1:ff00:0/104
 * with a's low 24 bits, RFC 4291 2.7.1) to out; out may alias a. */
void zn_ipv6_solicited_node(const uint8_t a[16], uint8_t out[16]);

/** Write the Ethernet multicast address of IPv6 multicast address a
 * (33:33 and a's low 32 bits, RFC 2464 7) to mac. */
void zn_ipv6_mcast_mac(const uint8_t a[16], uint8_t mac[6]);

/** True for the next-header values RFC 7045 lists as extension headers
 * (hop-by-hop, routing, fragment, ESP, AH, destination options, mobility,
 * HIP, shim6, the two experimental values): never an upper layer. */
bool zn_ipv6_is_ext_hdr(uint8_t nxt);

/** zn_eth_ipv4_locate for IPv6: where an Ethernet frame's IPv6 header
 * (*ip: 14, or 18 behind an 802.1Q tag) and upper-layer header (*l4)
 * start, past any hop-by-hop, routing and destination options headers,
 * and its next-header value (*proto; a fragment header or any other
 * extension header ends the walk there).  False unless the frame holds
 * IPv6 and at least 8 bytes from *l4 on.  For backends finishing the
 * stack's own offloaded frames or cutting coalesced ones. */
bool zn_eth_ipv6_locate(const uint8_t *f, size_t len, size_t *ip, size_t *l4,
                        uint8_t *proto);

/** zn_eth_ipv4_locate or zn_eth_ipv6_locate, by the frame's EtherType;
 * *v6 says which. */
bool zn_eth_ip_locate(const uint8_t *f, size_t len, size_t *ip, size_t *l4,
                      uint8_t *proto, bool *v6);

/** At most this many extension headers are walked; a longer chain is
 * refused (ZN_ERANGE). */
#define ZN_IPV6_CHAIN_MAX_HDRS 8
/** At most this many bytes of extension headers: what fits in a minimum-MTU
 * datagram (1280 - 40).  A longer chain is refused (ZN_ERANGE). */
#define ZN_IPV6_CHAIN_MAX_LEN 1240

/** ICMPv6 parameter problem codes (RFC 4443 3.4, RFC 7112). */
#define ZN_ICMPV6_PARAM_HDR 0      /**< erroneous header field */
#define ZN_ICMPV6_PARAM_NXT 1      /**< unrecognized next header */
#define ZN_ICMPV6_PARAM_OPT 2      /**< unrecognized IPv6 option */
#define ZN_ICMPV6_PARAM_CHAIN 3    /**< first fragment lacks the chain */

/** How a walk of the extension-header chain ended. */
enum zn_ipv6_chain_end {
  ZN_IPV6_END_UPPER,    /**< at `proto`, not an extension header */
  ZN_IPV6_END_NONE,     /**< at next header 59: nothing follows */
  ZN_IPV6_END_EXT,      /**< at an extension header not walked (ESP, AH,
                             mobility, HIP, shim6, experimental) */
  ZN_IPV6_END_FRAGMENT, /**< at the data of a fragment with offset > 0 */
};

/** One extension header the walk went through. */
struct zn_ipv6_ext {
  uint8_t type;         /**< its next-header value (0, 43, 44 or 60) */
  uint16_t off;         /**< offset of its first byte from the IPv6 header */
  uint16_t len;         /**< its length in bytes */
};

/** What zn_ipv6_chain_walk() found. */
struct zn_ipv6_chain {
  enum zn_ipv6_chain_end end; /**< how the walk ended */
  uint8_t proto;        /**< next header after the last header walked */
  size_t off;           /**< where `proto`'s header starts, from the IPv6
                             header (<= v.len) */
  size_t n;             /**< extension headers walked, <= 8 */
  struct zn_ipv6_ext hdr[ZN_IPV6_CHAIN_MAX_HDRS]; /**< the first n */
  bool has_frag;        /**< a fragment header was walked; fields below */
  uint16_t frag_offset; /**< fragment offset in bytes (a multiple of 8) */
  bool frag_more;       /**< the M flag */
  uint32_t frag_id;     /**< identification */
  bool frag_atomic;     /**< offset 0 and M 0: an atomic fragment, to be
                             processed in isolation (RFC 6946) */
  bool has_rh;          /**< a routing header was walked; fields below */
  uint8_t rh_type;      /**< routing type (0: RFC 5095, discard) */
  uint8_t rh_segleft;   /**< segments left */
  size_t rh_off;        /**< offset of the routing header */
  size_t err_ptr;       /**< on failure: the ICMPv6 parameter problem
                             pointer, from the IPv6 header */
  uint8_t err_code;     /**< on failure: the parameter problem code */
};

/** Walk the extension headers of a datagram (RFC 8200 4): hop-by-hop,
 * destination options, routing and fragment headers, each checked to lie
 * within v.len, at most ZN_IPV6_CHAIN_MAX_HDRS headers and
 * ZN_IPV6_CHAIN_MAX_LEN bytes.  Only the first routing header is
 * reported; the walk stops after a fragment header
 * whose offset is not 0 (what follows is fragment data).  Options are not
 * looked at (zn_ipv6_opts_init), nor the routing header's addresses.
 * Returns ZN_OK with w->end, proto and off set, or one of (w->err_ptr and
 * w->err_code then say what an ICMPv6 parameter problem would carry):
 *   ZN_EPROTO      a hop-by-hop header other than first (code 1, pointer
 *                  to the next-header field naming it; RFC 8200 4.1)
 *   ZN_ETRUNCATED  a header runs past v.len in an unfragmented datagram
 *                  (code 0, pointer to that header's first byte)
 *   ZN_ENOENT      a first fragment (offset 0, M 1) ends before the
 *                  upper-layer header starts, or before any of its byte
 *                  (code 3, pointer 0; RFC 7112)
 *   ZN_EMALFORMED  a fragment with M 1 whose data is not a multiple of 8
 *                  bytes (code 0, pointer 4: the payload length; RFC 8200
 *                  4.5)
 *   ZN_EEXIST      a second fragment header (code 0, pointer to it)
 *   ZN_ERANGE      more than ZN_IPV6_CHAIN_MAX_HDRS headers or
 *                  ZN_IPV6_CHAIN_MAX_LEN bytes of them (code 0, pointer to
 *                  the first header beyond the bound)
 * On failure the other fields of *w are unspecified. */
int zn_ipv6_chain_walk(const struct zn_ipv6_view *v,
                       struct zn_ipv6_chain *w);

/** Option types (RFC 8200 4.2, RFC 2711, RFC 2675). */
#define ZN_IPV6_OPT_PAD1 0x00
#define ZN_IPV6_OPT_PADN 0x01
#define ZN_IPV6_OPT_ROUTER_ALERT 0x05
#define ZN_IPV6_OPT_JUMBO 0xc2

/** What to do with an option a node does not recognize: its type's two
 * high bits (RFC 8200 4.2). */
enum zn_ipv6_opt_action {
  ZN_IPV6_OPT_SKIP = 0,           /**< skip it, go on */
  ZN_IPV6_OPT_DISCARD = 1,        /**< discard the datagram silently */
  ZN_IPV6_OPT_DISCARD_ICMP = 2,   /**< discard, send parameter problem
                                       code 2 pointing at the type */
  ZN_IPV6_OPT_DISCARD_ICMP_UCAST = 3, /**< the same, but no ICMP if the
                                       destination was multicast */
};

static inline enum zn_ipv6_opt_action zn_ipv6_opt_action(uint8_t type) {
  return (enum zn_ipv6_opt_action)(type >> 6);
}
/** True if the option's data may change en route (the third high bit). */
static inline bool zn_ipv6_opt_may_change(uint8_t type) {
  return (type & 0x20) != 0;
}

/** An iterator over the options of one hop-by-hop or destination options
 * header. */
struct zn_ipv6_opt_iter {
  const uint8_t *p;     /**< the IPv6 header */
  size_t pos;           /**< next option's offset from p */
  size_t end;           /**< end of the options header, from p */
};

/** One option, Pad1 and PadN excepted. */
struct zn_ipv6_opt {
  uint8_t type;         /**< option type */
  uint8_t len;          /**< data length */
  const uint8_t *data;  /**< len bytes inside the header */
  size_t off;           /**< offset of the type byte from the IPv6 header:
                             the parameter problem pointer for code 2 */
};

/** Start iterating the options of the hop-by-hop or destination options
 * header at offset off of v (a zn_ipv6_ext.off of a header of type 0 or
 * 60 from zn_ipv6_chain_walk).  Errors: ZN_ETRUNCATED if the header does
 * not lie within v.len; *it is unwritten then. */
int zn_ipv6_opts_init(struct zn_ipv6_opt_iter *it,
                      const struct zn_ipv6_view *v, size_t off);

/** The next option other than padding.  Returns 1 with *o set, 0 at the
 * end of the header, or ZN_ETRUNCATED if an option's length runs past the
 * header (the iterator then stays at the end).  Pad1 and PadN are skipped
 * whatever their number and contents: RFC 8200 4.2 does not make long
 * padding an error, and the header length bounds the work. */
int zn_ipv6_opts_next(struct zn_ipv6_opt_iter *it, struct zn_ipv6_opt *o);

/* ---- ICMP (RFC 792) ---------------------------------------------------- */

#define ZN_ICMP_HDR_LEN 8
#define ZN_ICMP_ECHO_REPLY 0
#define ZN_ICMP_DEST_UNREACH 3
#define ZN_ICMP_SOURCE_QUENCH 4
#define ZN_ICMP_REDIRECT 5
#define ZN_ICMP_ECHO_REQUEST 8
#define ZN_ICMP_TIME_EXCEEDED 11
#define ZN_ICMP_PARAM_PROBLEM 12
#define ZN_ICMP_TIMESTAMP 13
#define ZN_ICMP_TIMESTAMP_REPLY 14
/** Destination unreachable codes. */
#define ZN_ICMP_UNREACH_NET 0
#define ZN_ICMP_UNREACH_HOST 1
#define ZN_ICMP_UNREACH_PROTO 2
#define ZN_ICMP_UNREACH_PORT 3
#define ZN_ICMP_UNREACH_NEEDFRAG 4
#define ZN_ICMP_UNREACH_SRCFAIL 5
#define ZN_ICMP_UNREACH_ADMIN 13
/** Time exceeded codes. */
#define ZN_ICMP_TIMXCEED_INTRANS 0
#define ZN_ICMP_TIMXCEED_REASS 1

struct zn_icmp_view {
  const uint8_t *p;
  size_t len;       /**< whole message */
  uint8_t type, code;
};

/** Errors: ZN_ETRUNCATED if len < 8. */
int zn_icmp_view_init(struct zn_icmp_view *v, const uint8_t *p, size_t len);

bool zn_icmp_csum_ok(const struct zn_icmp_view *v);

/** True for the types that quote a datagram (3, 4, 5, 11, 12). */
bool zn_icmp_is_error(uint8_t type);

static inline uint16_t zn_icmp_echo_id(const struct zn_icmp_view *v) {
  return zn_rd16(v->p + 4);
}
static inline uint16_t zn_icmp_echo_seq(const struct zn_icmp_view *v) {
  return zn_rd16(v->p + 6);
}
/** Next-hop MTU of a "fragmentation needed" error (RFC 1191). */
static inline uint16_t zn_icmp_nexthop_mtu(const struct zn_icmp_view *v) {
  return zn_rd16(v->p + 6);
}
/** Bytes after the 8-byte header: echo data, or the quoted datagram. */
static inline const uint8_t *zn_icmp_body(const struct zn_icmp_view *v) {
  return v->p + ZN_ICMP_HDR_LEN;
}
static inline size_t zn_icmp_body_len(const struct zn_icmp_view *v) {
  return v->len - ZN_ICMP_HDR_LEN;
}

/** Write an 8-byte header (type, code, checksum 0, the 4 "rest" bytes) at
 * p; returns 8.  Fill the body, then call zn_icmp_finish(). */
size_t zn_icmp_emit(uint8_t *p, uint8_t type, uint8_t code, uint32_t rest);

/** Compute and store the checksum of the len-byte message at p. */
void zn_icmp_finish(uint8_t *p, size_t len);

/* ---- UDP (RFC 768) ----------------------------------------------------- */

#define ZN_UDP_HEADER_LEN 8

struct zn_udp_view {
  const uint8_t *p;
  size_t len;        /**< the length field: header + payload */
  uint16_t sport, dport;
  uint16_t csum;     /**< as on the wire; 0 means "not computed" */
};

/** Errors: ZN_ETRUNCATED if len < 8; ZN_ERANGE if the length field is
 * below 8 or above len.  Bytes after the length field are outside the
 * view. */
int zn_udp_view_init(struct zn_udp_view *v, const uint8_t *p, size_t len);

/** True if the checksum is 0 (not computed, RFC 768) or verifies against
 * the IPv4 pseudo-header of src/dst. */
bool zn_udp_csum_ok(const struct zn_udp_view *v, uint32_t src, uint32_t dst);

/** zn_udp_csum_ok() against a pseudo-header sum already computed (psum
 * from zn_csum_pseudo() or zn_csum_pseudo6()).  A checksum of 0 passes
 * here too: over IPv6, where it is forbidden (RFC 8200 §8.1), the caller
 * refuses it first. */
bool zn_udp_csum_ok_psum(const struct zn_udp_view *v, uint32_t psum);

static inline const uint8_t *zn_udp_payload(const struct zn_udp_view *v) {
  return v->p + ZN_UDP_HEADER_LEN;
}
static inline size_t zn_udp_payload_len(const struct zn_udp_view *v) {
  return v->len - ZN_UDP_HEADER_LEN;
}

/** Write the 8-byte header at p for a datagram of `len` bytes (header
 * included) whose payload follows it, with the checksum over the pseudo-
 * header of src/dst (0 computed is sent as 0xffff).  Returns 8. */
size_t zn_udp_emit(uint8_t *p, uint16_t sport, uint16_t dport, size_t len,
                   uint32_t src, uint32_t dst);

/** zn_udp_emit() with the pseudo-header sum already computed (psum from
 * zn_csum_pseudo() or zn_csum_pseudo6()).  Returns 8. */
size_t zn_udp_emit_psum(uint8_t *p, uint16_t sport, uint16_t dport,
                        size_t len, uint32_t psum);

/* ---- ICMPv6 (RFC 4443), ND (RFC 4861, 8106), MLDv2 (RFC 3810) -------- */

/* These views start at the ICMPv6 header: the caller has walked the IPv6
 * header chain and knows the message's length.  Checksums take the IPv6
 * pseudo-header's running sum (source, destination, upper-layer length,
 * next header 58; RFC 8200 8.1) as `psum`, computed by the caller
 * (zn_csum_pseudo6).  ZN_IPPROTO_ICMPV6 is with the IPv6 section. */

#define ZN_ICMP6_HDR_LEN 8
/** Error messages (type < 128). */
#define ZN_ICMP6_DST_UNREACH 1
#define ZN_ICMP6_PACKET_TOO_BIG 2
#define ZN_ICMP6_TIME_EXCEEDED 3
#define ZN_ICMP6_PARAM_PROB 4
/** Informational messages. */
#define ZN_ICMP6_ECHO_REQUEST 128
#define ZN_ICMP6_ECHO_REPLY 129
#define ZN_ICMP6_MLD_QUERY 130
#define ZN_ICMP6_ND_RS 133
#define ZN_ICMP6_ND_RA 134
#define ZN_ICMP6_ND_NS 135
#define ZN_ICMP6_ND_NA 136
#define ZN_ICMP6_ND_REDIRECT 137
#define ZN_ICMP6_MLD2_REPORT 143
/** Destination unreachable codes (RFC 4443 3.1). */
#define ZN_ICMP6_UNREACH_NOROUTE 0
#define ZN_ICMP6_UNREACH_ADMIN 1
#define ZN_ICMP6_UNREACH_BEYONDSCOPE 2
#define ZN_ICMP6_UNREACH_ADDR 3
#define ZN_ICMP6_UNREACH_PORT 4
#define ZN_ICMP6_UNREACH_POLICY 5
#define ZN_ICMP6_UNREACH_REJECT 6
/** Time exceeded codes (RFC 4443 3.3). */
#define ZN_ICMP6_TIMXCEED_HOPLIMIT 0
#define ZN_ICMP6_TIMXCEED_REASS 1
/** Parameter problem codes (RFC 4443 3.4, RFC 7112). */
#define ZN_ICMP6_PARAMPROB_HEADER 0
#define ZN_ICMP6_PARAMPROB_NEXTHEADER 1
#define ZN_ICMP6_PARAMPROB_OPTION 2
#define ZN_ICMP6_PARAMPROB_FIRSTFRAG 3

struct zn_icmp6_view {
  const uint8_t *p;
  size_t len;       /**< whole message, >= 8 */
  uint8_t type, code;
};

/** A message of len bytes (the IPv6 payload from the ICMPv6 header on).
 * Errors: ZN_ETRUNCATED if len < 8.  The checksum is not checked here
 * (zn_icmp6_csum_ok). */
int zn_icmp6_view_init(struct zn_icmp6_view *v, const uint8_t *p,
                       size_t len);

/** True if the message sums to zero with the pseudo-header sum psum. */
bool zn_icmp6_csum_ok(const struct zn_icmp6_view *v, uint32_t psum);

/** True for the error messages (type < 128, RFC 4443 2.1). */
static inline bool zn_icmp6_is_error(uint8_t type) { return type < 128; }

/** The 4 bytes after the checksum (echo id/seq, MTU, pointer...). */
static inline uint32_t zn_icmp6_rest(const struct zn_icmp6_view *v) {
  return zn_rd32(v->p + 4);
}
/** MTU of a packet too big message. */
static inline uint32_t zn_icmp6_mtu(const struct zn_icmp6_view *v) {
  return zn_rd32(v->p + 4);
}
/** Pointer of a parameter problem message: the offset in the invoking
 * packet of the byte at fault (not checked against the quote's length). */
static inline uint32_t zn_icmp6_pointer(const struct zn_icmp6_view *v) {
  return zn_rd32(v->p + 4);
}
static inline uint16_t zn_icmp6_echo_id(const struct zn_icmp6_view *v) {
  return zn_rd16(v->p + 4);
}
static inline uint16_t zn_icmp6_echo_seq(const struct zn_icmp6_view *v) {
  return zn_rd16(v->p + 6);
}
/** Bytes after the 8-byte header: echo data, an error's invoking packet
 * (as much of it as fits, from its IPv6 header on), or an ND body. */
static inline const uint8_t *zn_icmp6_body(const struct zn_icmp6_view *v) {
  return v->p + ZN_ICMP6_HDR_LEN;
}
static inline size_t zn_icmp6_body_len(const struct zn_icmp6_view *v) {
  return v->len - ZN_ICMP6_HDR_LEN;
}

/** Write an 8-byte header (type, code, checksum 0, the 4 rest bytes) at p;
 * returns 8.  Fill the body, then call zn_icmp6_finish(). */
size_t zn_icmp6_emit(uint8_t *p, uint8_t type, uint8_t code, uint32_t rest);

/** Compute and store the checksum of the len-byte message at p with the
 * pseudo-header sum psum; the checksum field's old value does not
 * matter. */
void zn_icmp6_finish(uint8_t *p, size_t len, uint32_t psum);

/** Turn the echo request of len bytes at p into its reply in place (type
 * 129, same id, sequence and data) with a fresh checksum.  The pseudo-
 * header sum of the reply equals the request's (source and destination
 * swap, the sum does not change), so pass either. */
void zn_icmp6_echo_reply_in_place(uint8_t *p, size_t len, uint32_t psum);

/* Neighbor discovery (RFC 4861 4). */

#define ZN_ND_HOP_LIMIT 255  /**< hop limit every ND message must carry */
#define ZN_ND_RS_LEN 8       /**< fixed parts, ICMPv6 header included */
#define ZN_ND_RA_LEN 16
#define ZN_ND_NS_LEN 24
#define ZN_ND_NA_LEN 24
#define ZN_ND_REDIRECT_LEN 40
/** RA flags (byte 5). */
#define ZN_ND_RA_FLAG_M 0x80
#define ZN_ND_RA_FLAG_O 0x40
/** NA flags (byte 4). */
#define ZN_ND_NA_FLAG_R 0x80
#define ZN_ND_NA_FLAG_S 0x40
#define ZN_ND_NA_FLAG_O 0x20
/** Option types. */
#define ZN_ND_OPT_SLLA 1
#define ZN_ND_OPT_TLLA 2
#define ZN_ND_OPT_PREFIX 3
#define ZN_ND_OPT_REDIRECTED 4
#define ZN_ND_OPT_MTU 5
#define ZN_ND_OPT_NONCE 14
#define ZN_ND_OPT_RDNSS 25
#define ZN_ND_OPT_DNSSL 31
/** Prefix information flags. */
#define ZN_ND_PREFIX_FLAG_L 0x80
#define ZN_ND_PREFIX_FLAG_A 0x40

/** An RS, RA, NS, NA or redirect, its fixed fields decoded.  Fields that
 * the type has not are 0 (addresses NULL). */
struct zn_nd_view {
  const uint8_t *p;
  size_t len;             /**< whole message */
  uint8_t type;           /**< ZN_ICMP6_ND_RS ... ZN_ICMP6_ND_REDIRECT */
  uint8_t flags;          /**< RA: M/O (byte 5); NA: R/S/O (byte 4) */
  uint8_t cur_hop_limit;  /**< RA; 0 means unspecified */
  uint16_t router_lifetime; /**< RA, seconds */
  uint32_t reachable_time;  /**< RA, ms; 0 means unspecified */
  uint32_t retrans_timer;   /**< RA, ms; 0 means unspecified */
  const uint8_t *target;  /**< NS, NA, redirect: 16 bytes in the message */
  const uint8_t *dest;    /**< redirect: destination address, 16 bytes */
  size_t opt_off;         /**< where the options start, <= len */
};

/** The checks of RFC 4861 6.1.1, 7.1.1 and 8.1 that belong to the bytes of
 * the ICMPv6 message v: code 0, length at least the type's fixed part,
 * for NS and NA a target that is not multicast, for a redirect a
 * destination that is not multicast and a target that is link-local
 * (fe80::/10) or equal to the destination.  The IP hop limit of 255
 * and the source address rules are the IPv6 header's: the caller checks
 * them (ZN_ND_HOP_LIMIT).  Options are not looked at (zn_nd_opts_parse).
 * Errors: ZN_EPROTO if the type is not an ND message; ZN_EMALFORMED for a
 * code other than 0 or bad addresses as above; ZN_ETRUNCATED if shorter than
 * the fixed part.  The view is unwritten on failure. */
int zn_nd_view_init(struct zn_nd_view *nd, const struct zn_icmp6_view *v);

/** One option as the parser found it. */
struct zn_nd_opt {
  uint8_t type;         /**< ZN_ND_OPT_* or any other */
  const uint8_t *p;     /**< the option, from its type byte on */
  size_t len;           /**< its bytes: length field * 8, >= 8 */
};

/** A walk over the options of one ND message. */
struct zn_nd_opt_iter {
  const uint8_t *p;
  size_t len;
  size_t off;
};

/** Start a walk over the options of nd. */
void zn_nd_opt_iter_init(struct zn_nd_opt_iter *it,
                         const struct zn_nd_view *nd);

/** THE one ND option parser (RFC 4861 4.6): the next option of the walk.
 * The BSD rules: at least 2 bytes left, a length field that is not zero
 * (RFC 4861 4.6: such a packet MUST be discarded), length * 8 <= bytes
 * left.  Options of every type, unknown ones included, are returned with
 * their bytes; decode the known ones with zn_nd_opt_*().  Returns ZN_OK
 * with *o set, ZN_ENOENT at the end of the options, ZN_EMALFORMED when a
 * rule is broken (the message must be dropped, whatever options came
 * before: check the whole list with zn_nd_opts_parse() first).  Each call
 * advances by at least 8 bytes, so a walk makes at most len / 8 steps. */
int zn_nd_opt_next(struct zn_nd_opt_iter *it, struct zn_nd_opt *o);

/** The options a host uses once per message, found by zn_nd_opts_parse. */
struct zn_nd_opts {
  const uint8_t *slla;   /**< Ethernet source link-layer address or NULL */
  const uint8_t *tlla;   /**< Ethernet target link-layer address or NULL */
  const uint8_t *nonce;  /**< nonce option's bytes (after type, length) */
  size_t nonce_len;      /**< 6, 14, ...: length * 8 - 2 */
  uint32_t mtu;          /**< MTU option's value, 0 if none */
  bool has_mtu;          /**< an MTU option of length 1 was present */
  unsigned n_prefix;     /**< prefix information options (any length) */
  unsigned n_rdnss;      /**< RDNSS options */
  unsigned n_dnssl;      /**< DNSSL options */
};

/** Walk every option of nd with zn_nd_opt_next().  Link-layer address
 * options are Ethernet ones only when their length field is 1 (8 bytes);
 * other lengths are ignored.  For the single-valued options (SLLA, TLLA,
 * MTU of length 1, nonce) the first one wins; later copies are skipped.
 * Repeated options (prefix, RDNSS, DNSSL) are counted; walk again with
 * zn_nd_opt_next() to decode each.  Errors: ZN_EMALFORMED when the walk
 * fails: drop the message.  `o` is always written: reset to zero on
 * failure. */
int zn_nd_opts_parse(const struct zn_nd_view *nd, struct zn_nd_opts *o);

/** An Ethernet link-layer address option (SLLA or TLLA of length 1): the
 * 6-byte address, or NULL for any other type or length. */
const uint8_t *zn_nd_opt_lladdr_eth(const struct zn_nd_opt *o);

/** Prefix information (RFC 4861 4.6.2). */
struct zn_nd_prefix {
  uint8_t prefix_len;          /**< 0..128 */
  uint8_t flags;               /**< ZN_ND_PREFIX_FLAG_L, _A */
  uint32_t valid_lifetime;     /**< seconds; 0xffffffff is infinity */
  uint32_t preferred_lifetime; /**< seconds; 0xffffffff is infinity */
  const uint8_t *prefix;       /**< 16 bytes in the message */
};

/** Decode a prefix information option.  Errors: ZN_EPROTO if o is not one;
 * ZN_EMALFORMED if its length field is not 4 or the prefix length is above
 * 128 (skip the option).  Whether preferred <= valid lifetime and the
 * prefix is link-local is for SLAAC to judge (RFC 4862 5.5.3).  *pi is
 * unwritten on failure. */
int zn_nd_opt_prefix(const struct zn_nd_opt *o, struct zn_nd_prefix *pi);

/** Decode an MTU option.  Errors: ZN_EPROTO if o is not one; ZN_EMALFORMED
 * if its length field is not 1.  *mtu is unwritten on failure. */
int zn_nd_opt_mtu(const struct zn_nd_opt *o, uint32_t *mtu);

/** Decode a recursive DNS server option (RFC 8106 5.1): its lifetime in
 * seconds and how many addresses it holds ((length - 1) / 2, at most
 * 127).  Errors: ZN_EPROTO if o is not one; ZN_EMALFORMED if the length
 * field is below 3 or even.  Outputs unwritten on failure. */
int zn_nd_opt_rdnss(const struct zn_nd_opt *o, uint32_t *lifetime,
                    size_t *naddr);

/** Address i (< the count zn_nd_opt_rdnss gave) of an RDNSS option: 16
 * bytes in the message. */
static inline const uint8_t *zn_nd_opt_rdnss_addr(const struct zn_nd_opt *o,
                                                  size_t i) {
  return o->p + 8 + 16 * i;
}

/** Check a DNS search list option (RFC 8106 5.2): lifetime in seconds, and
 * the domain names of its body in DNS wire format, uncompressed: each a
 * run of labels of 1..63 bytes ended by a zero byte, at most 255 bytes,
 * every name complete inside the option; after the last name only zero
 * padding.  *nnames gets the number of names (the walk is bounded by the
 * option's length).  Errors: ZN_EPROTO if o is not one; ZN_EMALFORMED if
 * the length field is below 2 or a name is bad (a compression pointer, a
 * label past the end, a name over 255 bytes).  Outputs unwritten on
 * failure. */
int zn_nd_opt_dnssl(const struct zn_nd_opt *o, uint32_t *lifetime,
                    size_t *nnames);

/** Write a router solicitation at p: 8 bytes, then an SLLA option (8
 * bytes) if slla is not NULL (RFC 4861 4.1: none when the source is
 * unspecified).  Returns the length, 8 or 16; call zn_icmp6_finish(). */
size_t zn_nd_rs_emit(uint8_t *p, const uint8_t *slla);

/** Write a neighbor solicitation for target (16 bytes) at p, with an SLLA
 * option if slla is not NULL (none for duplicate address detection, whose
 * source is unspecified: RFC 4861 4.3).  Returns 24 or 32; call
 * zn_icmp6_finish(). */
size_t zn_nd_ns_emit(uint8_t *p, const uint8_t target[16],
                     const uint8_t *slla);

/** Write a neighbor advertisement for target at p with flags
 * (ZN_ND_NA_FLAG_R/S/O) and a TLLA option if tlla is not NULL.  Returns 24
 * or 32; call zn_icmp6_finish(). */
size_t zn_nd_na_emit(uint8_t *p, uint8_t flags, const uint8_t target[16],
                     const uint8_t *tlla);

/* Multicast Listener Discovery version 2 (RFC 3810 5). */

#define ZN_MLD_QUERY_V1_LEN 24  /**< an MLDv1 query (RFC 2710) */
#define ZN_MLD2_QUERY_LEN 28    /**< fixed part of an MLDv2 query */
#define ZN_MLD2_FLAG_S 0x08     /**< suppress router-side processing */
/** Multicast address record types (RFC 3810 5.2.12). */
#define ZN_MLD2_MODE_IS_INCLUDE 1
#define ZN_MLD2_MODE_IS_EXCLUDE 2
#define ZN_MLD2_CHANGE_TO_INCLUDE_MODE 3
#define ZN_MLD2_CHANGE_TO_EXCLUDE_MODE 4
#define ZN_MLD2_ALLOW_NEW_SOURCES 5
#define ZN_MLD2_BLOCK_OLD_SOURCES 6

struct zn_mld2_query_view {
  const uint8_t *p;
  size_t len;              /**< whole message */
  uint32_t max_resp_ms;    /**< Maximum Response Delay, ms (decoded) */
  const uint8_t *group;    /**< multicast address; all zero: general */
  bool s_flag;             /**< suppress router-side processing */
  uint8_t qrv;             /**< querier's robustness variable, 0..7 */
  uint32_t qqi;            /**< querier's query interval, s (decoded) */
  uint16_t nsrc;           /**< number of sources, all inside the view */
};

/** An MLD query (type 130) of len >= 28 bytes as MLDv2 (RFC 3810 5.1).
 * Errors: ZN_EPROTO if v is not a query, or is an MLDv1 one (exactly 24
 * bytes: RFC 3810 8.1, the caller switches to compatibility mode);
 * ZN_ETRUNCATED if shorter than 28 bytes but not 24, or if the number of
 * sources does not fit in the message.  Bytes after the sources are
 * outside the view.  Unwritten on failure. */
int zn_mld2_query_view_init(struct zn_mld2_query_view *q,
                            const struct zn_icmp6_view *v);

/** Source i (< nsrc) of a query: 16 bytes in the message. */
static inline const uint8_t *
zn_mld2_query_source(const struct zn_mld2_query_view *q, size_t i) {
  return q->p + ZN_MLD2_QUERY_LEN + 16 * i;
}

/** Decode an 8-bit code of RFC 3810 5.1.9 (QQIC) into seconds: below 128
 * as is, else the floating-point form (mant | 0x10) << (exp + 3). */
uint32_t zn_mld2_decode_qqic(uint8_t code);

/** Decode a 16-bit Maximum Response Code (RFC 3810 5.1.3) into ms: below
 * 32768 as is, else (mant | 0x1000) << (exp + 3). */
uint32_t zn_mld2_decode_mrc(uint16_t code);

/** Write an MLDv2 report at p with n multicast address records of type
 * rec_type, each with zero sources and no auxiliary data, for the groups
 * (16 bytes each): CHANGE_TO_EXCLUDE_MODE to join a group,
 * CHANGE_TO_INCLUDE_MODE to leave it, MODE_IS_EXCLUDE to answer a query.
 * n is not checked: keep it at most 60 so that the report, its IPv6
 * header and the Router Alert hop-by-hop option the caller adds (RFC 3810
 * 5) fit the 1280-byte minimum MTU.  Returns the length, 8 + 20 * n; call
 * zn_icmp6_finish() with the sum of the pseudo-header to ff02::16. */
size_t zn_mld2_report_emit(uint8_t *p, uint8_t rec_type,
                           const uint8_t (*groups)[16], size_t n);

/* ---- TCP (RFC 9293 3.1, RFC 7323, RFC 2018) --------------------------- */

#define ZN_TCP_HDR_LEN 20
#define ZN_TCP_MAX_HDR_LEN 60
#define ZN_TCP_MAX_OPT_LEN 40 /**< ZN_TCP_MAX_HDR_LEN - ZN_TCP_HDR_LEN */
/** Flags (byte 13 of the header). */
#define ZN_TCP_FIN 0x01
#define ZN_TCP_SYN 0x02
#define ZN_TCP_RST 0x04
#define ZN_TCP_PSH 0x08
#define ZN_TCP_ACK 0x10
#define ZN_TCP_URG 0x20
#define ZN_TCP_ECE 0x40
#define ZN_TCP_CWR 0x80

struct zn_tcp_view {
  const uint8_t *p;
  size_t len;        /**< whole segment: header, options and payload */
  size_t hdr_len;    /**< data offset * 4, 20..60, <= len */
  uint16_t sport, dport;
  uint32_t seq, ack; /**< ack as on the wire, whether or not ACK is set */
  uint8_t flags;     /**< ZN_TCP_FIN ... ZN_TCP_CWR */
  uint16_t win;      /**< unscaled, as on the wire */
  uint16_t csum;     /**< as on the wire */
  uint16_t urp;      /**< urgent pointer */
};

/** A segment of len bytes: the IP payload (IPv4 total length minus the IP
 * header), no link padding.  Errors, each a distinct reason:
 *   ZN_ETRUNCATED  len < 20
 *   ZN_EMALFORMED  data offset < 5, or data offset * 4 > len
 * The view is unwritten on failure.  Options are not looked at here
 * (zn_tcp_seg_opts_parse), nor is the checksum (zn_tcp_csum_ok). */
int zn_tcp_view_init(struct zn_tcp_view *v, const uint8_t *p, size_t len);

/** True if the checksum over the IPv4 pseudo-header of src/dst and the
 * whole segment verifies.  The TCP checksum is mandatory: a checksum
 * field of 0 is checked like any other value.  False for a segment longer
 * than 65535 bytes, which IPv4 cannot carry. */
bool zn_tcp_csum_ok(const struct zn_tcp_view *v, uint32_t src, uint32_t dst);

/** True if the checksum verifies against a pseudo-header sum already
 * computed (psum from zn_csum_pseudo() or zn_csum_pseudo6(), for the
 * view's length), for either family. */
bool zn_tcp_csum_ok_psum(const struct zn_tcp_view *v, uint32_t psum);

static inline const uint8_t *zn_tcp_payload(const struct zn_tcp_view *v) {
  return v->p + v->hdr_len;
}
static inline size_t zn_tcp_payload_len(const struct zn_tcp_view *v) {
  return v->len - v->hdr_len;
}

/** Option kinds. */
#define ZN_TCP_OPT_EOL 0
#define ZN_TCP_OPT_NOP 1
#define ZN_TCP_OPT_MSS 2        /**< RFC 9293 3.2 */
#define ZN_TCP_OPT_WS 3         /**< RFC 7323 2 */
#define ZN_TCP_OPT_SACK_PERM 4  /**< RFC 2018 2 */
#define ZN_TCP_OPT_SACK 5       /**< RFC 2018 3 */
#define ZN_TCP_OPT_TS 8         /**< RFC 7323 3 */
/** Their exact lengths (kind and length bytes included); SACK is
 * 2 + 8 * n for n blocks. */
#define ZN_TCP_OPTLEN_MSS 4
#define ZN_TCP_OPTLEN_WS 3
#define ZN_TCP_OPTLEN_SACK_PERM 2
#define ZN_TCP_OPTLEN_TS 10
/** Bits of zn_tcp_seg_opts.present. */
#define ZN_TCP_OPTF_MSS 0x01
#define ZN_TCP_OPTF_WS 0x02
#define ZN_TCP_OPTF_SACK_PERM 0x04
#define ZN_TCP_OPTF_TS 0x08
#define ZN_TCP_OPTF_SACK 0x10
/** SACK blocks one option can carry: 2 + 8 * 4 = 34 <= 40. */
#define ZN_TCP_MAX_SACK 4

/** The options of one segment.  A field is meaningful only when its bit is
 * in `present`; the others are 0. */
struct zn_tcp_seg_opts {
  uint8_t present;   /**< ZN_TCP_OPTF_* */
  uint16_t mss;      /**< as received: may be 0 or anything */
  uint8_t wscale;    /**< as received; the caller clamps to 14 (RFC 7323
                        2.3) */
  uint32_t tsval, tsecr;
  uint8_t nsack;     /**< 1..ZN_TCP_MAX_SACK with ZN_TCP_OPTF_SACK, else 0 */
  struct {
    uint32_t left, right; /**< as received: not checked for order or range */
  } sack[ZN_TCP_MAX_SACK];
};

/** Parse the options of a segment: THE one TCP option parser of znet.
 * Only the header area [20, hdr_len) is looked at.  Options are decoded
 * whatever the flags of the segment; it is the caller's business to use
 * MSS, WS and SACK_PERM only from a SYN (RFC 9293 3.7.1, RFC 7323 2.2,
 * RFC 2018 2).
 *
 * The BSD rules: EOL ends the list (the bytes after it are not looked
 * at); NOP is one byte; any other option needs its kind and length bytes
 * and 2 <= length <= the bytes left in the header.  Breaking that rule is
 * a structural error.  A known kind with the wrong length (MSS 4, WS 3,
 * SACK_PERM 2, TS 10, SACK 2 + 8n with n in 1..4) is skipped by its
 * length and ignored, as are unknown kinds.  When a known option appears
 * more than once with its right length, the first one wins: later copies
 * are skipped (a second SACK option adds no blocks).
 *
 * Errors: ZN_EMALFORMED for a structural error; the segment should be
 * dropped.  `o` is always written: on success with the options found
 * (present == 0 for a header without any), on failure reset to all zero. */
int zn_tcp_seg_opts_parse(const struct zn_tcp_view *v,
                          struct zn_tcp_seg_opts *o);

/** Write the options of o at p in Linux's layout, so that peers and
 * captures see what they are used to.  The layout is the SYN one when o
 * has MSS, WS or SACK_PERM (options only a SYN carries); then SACK blocks
 * are not written:
 *     MSS                                     (4, if ZN_TCP_OPTF_MSS)
 *     SACK_PERM TS | NOP NOP TS | NOP NOP SACK_PERM | nothing  (12/12/4)
 *     NOP WS                                  (4, if ZN_TCP_OPTF_WS)
 * Otherwise:
 *     NOP NOP TS                              (12, if ZN_TCP_OPTF_TS)
 *     NOP NOP SACK with nsack blocks          (4 + 8n, if nsack > 0)
 * SACK blocks are written when nsack > 0 (the ZN_TCP_OPTF_SACK bit is not
 * needed); at most ZN_TCP_MAX_SACK, and blocks are dropped from the end
 * until everything fits in 40 bytes (3 blocks with TS, 4 without).
 * Values are written as given (wscale is not clamped).  Returns the
 * options length, a multiple of 4 from 0 to 40; nothing is written past
 * p + that length. */
size_t zn_tcp_seg_opts_emit(uint8_t *p, const struct zn_tcp_seg_opts *o);

/** Write the 20-byte fixed header at p: data offset (20 + optlen) / 4,
 * reserved bits 0, checksum 0, urgent pointer 0.  optlen must be a
 * multiple of 4 and at most 40 (what zn_tcp_seg_opts_emit returns).  Returns
 * 20.  Write the options at p + 20 and the payload after them, then call
 * zn_tcp_finish(). */
size_t zn_tcp_emit(uint8_t *p, uint16_t sport, uint16_t dport, uint32_t seq,
                   uint32_t ack, uint8_t flags, uint16_t win, size_t optlen);

/** Compute and store the checksum of the len-byte segment at p (header,
 * options and payload; len <= 65535) for the IPv4 pseudo-header of
 * src/dst.  The checksum field's old value does not matter. */
void zn_tcp_finish(uint8_t *p, size_t len, uint32_t src, uint32_t dst);

/** zn_tcp_finish() with the pseudo-header sum already computed (psum from
 * zn_csum_pseudo() or zn_csum_pseudo6() for len bytes), for either
 * family. */
void zn_tcp_finish_psum(uint8_t *p, size_t len, uint32_t psum);

/** Segment i of a TCP/IPv4 or TCP/IPv6 frame f that stands for many
 * (GSO/TSO), written to dst: f's first hdr bytes (link header, the IP
 * header at ipoff and for IPv6 its extension headers, the TCP header at
 * l4, its options), then k payload bytes from offset off of f's payload;
 * then what differs per segment fixed as a device does: for IPv4 the
 * total length, ID (f's + i) and header checksum, for IPv6 (version 6 at
 * ipoff) the payload length, then the TCP sequence number
 * (f's + off), FIN and PSH kept only on the last segment and CWR only on
 * the first.  The TCP checksum field is copied as it is.  Writes hdr + k
 * bytes. */
void zn_tcp_gso_segment(uint8_t *dst, const uint8_t *f, size_t ipoff,
                        size_t l4, size_t hdr, size_t off, size_t k, size_t i,
                        bool last);

/* ---- DHCPv4 (RFC 2131, RFC 2132, RFC 3396, RFC 3442) ----------------- */

#define ZN_DHCP4_SERVER_PORT 67
#define ZN_DHCP4_CLIENT_PORT 68
#define ZN_DHCP4_FIXED_LEN 236     /**< op .. file: the BOOTP header */
#define ZN_DHCP4_OPTS_OFF 240      /**< options, after the magic cookie */
#define ZN_DHCP4_MIN_LEN 240       /**< header and cookie, no option */
#define ZN_DHCP4_BOOTP_MIN_LEN 300 /**< RFC 1542 2.1: what relays expect */
#define ZN_DHCP4_COOKIE 0x63825363u /**< 99.130.83.99 (RFC 2131 3) */
#define ZN_DHCP4_SNAME_OFF 44
#define ZN_DHCP4_SNAME_LEN 64
#define ZN_DHCP4_FILE_OFF 108
#define ZN_DHCP4_FILE_LEN 128
#define ZN_DHCP4_OP_REQUEST 1      /**< BOOTREQUEST */
#define ZN_DHCP4_OP_REPLY 2        /**< BOOTREPLY */
#define ZN_DHCP4_HTYPE_ETH 1
#define ZN_DHCP4_FLAG_BROADCAST 0x8000
/** Message types (option 53, RFC 2132 9.6). */
#define ZN_DHCP4_DISCOVER 1
#define ZN_DHCP4_OFFER 2
#define ZN_DHCP4_REQUEST 3
#define ZN_DHCP4_DECLINE 4
#define ZN_DHCP4_ACK 5
#define ZN_DHCP4_NAK 6
#define ZN_DHCP4_RELEASE 7
#define ZN_DHCP4_INFORM 8
/** Option codes (RFC 2132; 121: RFC 3442). */
#define ZN_DHCP4_OPT_PAD 0
#define ZN_DHCP4_OPT_SUBNET_MASK 1
#define ZN_DHCP4_OPT_ROUTER 3
#define ZN_DHCP4_OPT_DNS 6
#define ZN_DHCP4_OPT_HOSTNAME 12
#define ZN_DHCP4_OPT_DOMAIN_NAME 15
#define ZN_DHCP4_OPT_MTU 26
#define ZN_DHCP4_OPT_BROADCAST 28
#define ZN_DHCP4_OPT_REQUESTED_IP 50
#define ZN_DHCP4_OPT_LEASE_TIME 51
#define ZN_DHCP4_OPT_OVERLOAD 52
#define ZN_DHCP4_OPT_MSG_TYPE 53
#define ZN_DHCP4_OPT_SERVER_ID 54
#define ZN_DHCP4_OPT_PARAM_LIST 55
#define ZN_DHCP4_OPT_MESSAGE 56
#define ZN_DHCP4_OPT_MAX_MSG_SIZE 57
#define ZN_DHCP4_OPT_T1 58
#define ZN_DHCP4_OPT_T2 59
#define ZN_DHCP4_OPT_CLIENT_ID 61
#define ZN_DHCP4_OPT_CLASSLESS_ROUTES 121
#define ZN_DHCP4_OPT_END 255
/** Option overload (option 52, RFC 2132 9.3): which header fields carry
 * options too. */
#define ZN_DHCP4_OVERLOAD_FILE 1
#define ZN_DHCP4_OVERLOAD_SNAME 2
/** Where an option was found: the options field, or an overloaded header
 * field. */
#define ZN_DHCP4_AREA_OPTIONS 0
#define ZN_DHCP4_AREA_FILE 1
#define ZN_DHCP4_AREA_SNAME 2

/** A checked DHCP message (the UDP payload), its fixed fields decoded. */
struct zn_dhcp4_view {
  const uint8_t *p;
  size_t len;              /**< whole message, options and padding */
  uint8_t op, htype, hlen, hops;
  uint32_t xid;
  uint16_t secs, flags;
  uint32_t ciaddr, yiaddr, siaddr, giaddr;
  const uint8_t *chaddr;   /**< 16 bytes in the message */
  uint8_t overload;        /**< option 52's value (1..3), 0 without it */
  uint8_t msg_type;        /**< option 53's value, 0 without it */
  uint16_t nopts;          /**< options in every area, pad and end aside */
};

/** A message of len bytes.  Checks the length, the magic cookie and every
 * option area with THE one DHCP option walk (zn_dhcp4_opt_next): the
 * options field, then the file and sname fields when option 52 says they
 * carry options.  Option 52 counts only in the options field (RFC 2131
 * 4.1); it and option 53 must have length 1 and appear at most once (a
 * second copy would be joined to the first by RFC 3396, giving a length
 * they cannot have).  op, htype, hlen and chaddr are decoded, not judged.
 * Errors, each a distinct reason:
 *   ZN_ETRUNCATED  len < 240
 *   ZN_EPROTO      the magic cookie is not 99.130.83.99
 *   ZN_EMALFORMED  an option runs past its area, or 52/53 as above
 * The view is unwritten on failure. */
int zn_dhcp4_view_init(struct zn_dhcp4_view *v, const uint8_t *p, size_t len);

/** One option as the walk found it. */
struct zn_dhcp4_opt {
  uint8_t code;            /**< never pad (0) or end (255) */
  uint8_t len;             /**< bytes of data */
  const uint8_t *data;     /**< inside the message */
  uint8_t area;            /**< ZN_DHCP4_AREA_* */
};

/** A walk over the options of a message, area after area in the order RFC
 * 3396 5 joins them: options field, file, sname. */
struct zn_dhcp4_opt_iter {
  const uint8_t *p;
  size_t off, end;         /**< the current area's unread bytes */
  uint8_t area;
  uint8_t overload;        /**< areas still to walk after this one */
};

/** Start a walk over the options of v (a view zn_dhcp4_view_init made). */
void zn_dhcp4_opt_iter_init(struct zn_dhcp4_opt_iter *it,
                            const struct zn_dhcp4_view *v);

/** THE one DHCP option parser (RFC 2132 2): the next option of the walk.
 * In each area, pad (0) is one byte and is skipped; end (255) closes the
 * area (what follows it is not looked at); any other code needs its length
 * byte and that many bytes inside the area.  An area that ends without an
 * end option closes there (servers that leave it out exist; nothing is
 * read past the area).  Returns ZN_OK with *o set, ZN_ENOENT after the
 * last area, ZN_EMALFORMED when an option runs past its area (over a view
 * that zn_dhcp4_view_init accepted this cannot happen).  Each call
 * advances by at least one byte of a message of at most 64 KiB: a walk is
 * bounded. */
int zn_dhcp4_opt_next(struct zn_dhcp4_opt_iter *it, struct zn_dhcp4_opt *o);

/** Option `code` (not pad or end) of v, every copy of it joined in walk
 * order as RFC 3396 asks (a value longer than 255 bytes is sent split),
 * copied into buf (cap bytes); *len gets the joined length.  Errors:
 * ZN_ENOENT (no such option), ZN_EMSGSIZE (the joined value exceeds cap:
 * buf holds its first cap bytes), ZN_EINVAL (pad or end).  *len is
 * written in every case but ZN_EINVAL. */
int zn_dhcp4_opt_get(const struct zn_dhcp4_view *v, uint8_t code,
                     uint8_t *buf, size_t cap, size_t *len);

/** The prefix length of a contiguous netmask (255.255.255.0: 24); -1 if
 * the mask's one bits are not contiguous from the top. */
int zn_dhcp4_mask_prefix(uint32_t mask);

/** One route of a classless static route option (RFC 3442 2). */
struct zn_dhcp4_route {
  uint32_t dst;            /**< destination, bits past prefix cleared */
  uint8_t prefix;          /**< 0..32; 0 with dst 0 is the default route */
  uint32_t router;         /**< next hop; 0.0.0.0 means on-link */
};

/** The next route of the len-byte value of option 121 at p, from *off
 * (start at 0), which it advances.  Each descriptor is a width byte
 * (0..32), the ceil(width / 8) significant bytes of the destination, then
 * the 4-byte router.  Returns ZN_OK with *r set, ZN_ENOENT at the end of
 * the value, ZN_EMALFORMED for a width above 32 or a descriptor that runs
 * past len (RFC 3442: such an option is ignored whole; walk it to the end
 * before using a route).  Each call advances by at least 5 bytes. */
int zn_dhcp4_route_next(const uint8_t *p, size_t len, size_t *off,
                        struct zn_dhcp4_route *r);

/** What zn_dhcp4_emit() writes. */
struct zn_dhcp4_hdr {
  uint8_t op;              /**< ZN_DHCP4_OP_REQUEST or _REPLY */
  uint32_t xid;
  uint16_t secs, flags;
  uint32_t ciaddr, yiaddr, siaddr, giaddr;
  uint8_t chaddr[6];       /**< Ethernet: htype 1, hlen 6 */
};

/** Write the header (236 bytes: hops 0, the rest of chaddr, sname and file
 * zero) and the magic cookie at p; returns 240.  Options follow with
 * zn_dhcp4_opt_emit(), then zn_dhcp4_finish(). */
size_t zn_dhcp4_emit(uint8_t *p, const struct zn_dhcp4_hdr *h);

/** Write option code (not pad or end) with len (<= 255) bytes of data at
 * p; returns len + 2. */
size_t zn_dhcp4_opt_emit(uint8_t *p, uint8_t code, const void *data,
                         size_t len);

/** Write the end option at p + len and zero padding up to
 * ZN_DHCP4_BOOTP_MIN_LEN bytes; returns the message's length (at least
 * 300: p must have room for that many). */
size_t zn_dhcp4_finish(uint8_t *p, size_t len);

#endif /* ZNET_WIRE_H */
