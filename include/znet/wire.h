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

/** True for :: (RFC 4291 2.5.2). */
bool zn_ipv6_addr_is_unspecified(const uint8_t a[16]);
/** True for ::1 (RFC 4291 2.5.3). */
bool zn_ipv6_addr_is_loopback(const uint8_t a[16]);
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
bool zn_ipv6_addr_is_v4mapped(const uint8_t a[16]);

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
 * (zn_tcp_opts_parse), nor is the checksum (zn_tcp_csum_ok). */
int zn_tcp_view_init(struct zn_tcp_view *v, const uint8_t *p, size_t len);

/** True if the checksum over the IPv4 pseudo-header of src/dst and the
 * whole segment verifies.  The TCP checksum is mandatory: a checksum
 * field of 0 is checked like any other value.  False for a segment longer
 * than 65535 bytes, which IPv4 cannot carry. */
bool zn_tcp_csum_ok(const struct zn_tcp_view *v, uint32_t src, uint32_t dst);

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
/** Bits of zn_tcp_opts.present. */
#define ZN_TCP_OPTF_MSS 0x01
#define ZN_TCP_OPTF_WS 0x02
#define ZN_TCP_OPTF_SACK_PERM 0x04
#define ZN_TCP_OPTF_TS 0x08
#define ZN_TCP_OPTF_SACK 0x10
/** SACK blocks one option can carry: 2 + 8 * 4 = 34 <= 40. */
#define ZN_TCP_MAX_SACK 4

/** The options of one segment.  A field is meaningful only when its bit is
 * in `present`; the others are 0. */
struct zn_tcp_opts {
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
int zn_tcp_opts_parse(const struct zn_tcp_view *v, struct zn_tcp_opts *o);

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
size_t zn_tcp_opts_emit(uint8_t *p, const struct zn_tcp_opts *o);

/** Write the 20-byte fixed header at p: data offset (20 + optlen) / 4,
 * reserved bits 0, checksum 0, urgent pointer 0.  optlen must be a
 * multiple of 4 and at most 40 (what zn_tcp_opts_emit returns).  Returns
 * 20.  Write the options at p + 20 and the payload after them, then call
 * zn_tcp_finish(). */
size_t zn_tcp_emit(uint8_t *p, uint16_t sport, uint16_t dport, uint32_t seq,
                   uint32_t ack, uint8_t flags, uint16_t win, size_t optlen);

/** Compute and store the checksum of the len-byte segment at p (header,
 * options and payload; len <= 65535) for the IPv4 pseudo-header of
 * src/dst.  The checksum field's old value does not matter. */
void zn_tcp_finish(uint8_t *p, size_t len, uint32_t src, uint32_t dst);

/** Segment i of a TCP/IPv4 frame f that stands for many (GSO/TSO), written
 * to dst: f's first hdr bytes (link header, the IP header at ipoff, the
 * TCP header at l4, its options), then k payload bytes from offset off of
 * f's payload; then what differs per segment fixed as a device does: IP
 * total length, ID (f's + i) and header checksum, TCP sequence number
 * (f's + off), FIN and PSH kept only on the last segment and CWR only on
 * the first.  The TCP checksum field is copied as it is.  Writes hdr + k
 * bytes. */
void zn_tcp_gso_segment(uint8_t *dst, const uint8_t *f, size_t ipoff,
                        size_t l4, size_t hdr, size_t off, size_t k, size_t i,
                        bool last);

#endif /* ZNET_WIRE_H */
