/*
 * The checks of znet/wire.h that every received frame goes through,
 * inline: the views of Ethernet, IPv4, IPv6 and TCP, the IPv4 header
 * checksum and the common layouts of TCP options.
 *
 * They are the same code as the public zn_*_view_init(),
 * zn_ipv4_csum_ok() and zn_tcp_seg_opts_parse(), which src/wire/ defines
 * with these bodies: one parser per format, out of line for the API (and
 * the fuzz harnesses), inline for the input path.  Inline, a view lives
 * in registers: its caller reads no field it does not use, and an error
 * it counts by reason costs nothing on the way through.  Each receive
 * path that calls them (src/eth, src/ipv4, src/ipv6, src/tcp) keeps its
 * view's address to itself for that reason: a slow path that needs the
 * view as a struct takes a copy.
 */
#ifndef ZN_WIRE_INLINE_H
#define ZN_WIRE_INLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "znet/err.h"
#include "znet/wire.h"

/* zn_eth_view_init(). */
static inline int zn__eth_view_parse(struct zn_eth_view *v, const uint8_t *p,
                                     size_t len) {
  uint16_t type, tci = 0;
  size_t hdr_len = ZN_ETH_HDR_LEN;

  if (len < ZN_ETH_HDR_LEN)
    return ZN_ETRUNCATED;
  type = zn_rd16(p + 12);
  if (type == ZN_ETHERTYPE_VLAN) {
    if (len < ZN_ETH_VLAN_HDR_LEN)
      return ZN_ETRUNCATED;
    tci = zn_rd16(p + 14);
    type = zn_rd16(p + 16);
    hdr_len = ZN_ETH_VLAN_HDR_LEN;
  }
  v->p = p;
  v->len = len;
  v->hdr_len = hdr_len;
  v->type = type;
  v->tci = tci;
  v->tagged = hdr_len == ZN_ETH_VLAN_HDR_LEN;
  return ZN_OK;
}

/* The checks both IPv4 views share, in the order the errors are
 * documented: a reason is reported only once the bytes it needs are known
 * to be there.  Lengths are compared as size_t, which holds any IHL * 4
 * or total length without overflow.  Version 4 with IHL 5, nearly every
 * datagram, is one compare. */
static inline int zn__ipv4_check_hdr(const uint8_t *p, size_t len,
                                     size_t *hdr_len, size_t *tot_len) {
  if (len < ZN_IPV4_HDR_LEN)
    return ZN_ETRUNCATED;
  *hdr_len = ZN_IPV4_HDR_LEN;
  if (p[0] != 0x45) {
    if (p[0] >> 4 != 4)
      return ZN_EPROTO;
    *hdr_len = (size_t)(p[0] & 0x0f) * 4u;
    if (*hdr_len < ZN_IPV4_HDR_LEN || *hdr_len > len)
      return ZN_EMALFORMED;
  }
  *tot_len = zn_rd16(p + 2);
  if (*tot_len < *hdr_len)
    return ZN_ERANGE;
  return ZN_OK;
}

static inline void zn__ipv4_view_fill(struct zn_ipv4_view *v,
                                      const uint8_t *p, size_t hdr_len,
                                      size_t tot_len, size_t len) {
  v->p = p;
  v->hdr_len = hdr_len;
  v->tot_len = tot_len;
  v->len = len;
  v->tos = p[1];
  v->id = zn_rd16(p + 4);
  v->frag = zn_rd16(p + 6);
  v->ttl = p[8];
  v->proto = p[9];
  v->src = zn_rd32(p + 12);
  v->dst = zn_rd32(p + 16);
}

/* zn_ipv4_view_init(). */
static inline int zn__ipv4_view_parse(struct zn_ipv4_view *v,
                                      const uint8_t *p, size_t len) {
  size_t hdr_len, tot_len;
  int err = zn__ipv4_check_hdr(p, len, &hdr_len, &tot_len);

  if (err != ZN_OK)
    return err;
  if (tot_len > len)
    return ZN_ERANGE;
  zn__ipv4_view_fill(v, p, hdr_len, tot_len, tot_len);
  return ZN_OK;
}

/* zn_ipv4_csum_ok() for a 20-byte header: true if it sums to 0xffff
 * (negative zero), the sum zn_csum20() complements to 0.  The header is
 * summed as five native-order 32-bit words, which RFC 1071 §2 allows (a
 * byte-swapped word is the word times 2^8 modulo 0xffff, 2^16 is 1, and
 * neither changes whether the sum is 0 modulo 0xffff).  A ones'-complement
 * sum is 0xffff exactly when the plain sum is a multiple of 0xffff and
 * some word is not zero: no fold needed. */
static inline bool zn__ipv4_csum20_ok(const uint8_t *p) {
  uint64_t w0, w1;
  uint32_t w2;
  memcpy(&w0, p, 8);
  memcpy(&w1, p + 8, 8);
  memcpy(&w2, p + 16, 4);
  uint64_t acc = (w0 & 0xffffffffu) + (w0 >> 32) + (w1 & 0xffffffffu) +
                 (w1 >> 32) + w2;
  return acc != 0 && acc % 0xffffu == 0;
}

/* zn_ipv4_csum_ok(). */
static inline bool zn__ipv4_csum_ok(const struct zn_ipv4_view *v) {
  return v->hdr_len == ZN_IPV4_HDR_LEN ? zn__ipv4_csum20_ok(v->p)
                                       : zn_csum(v->p, v->hdr_len) == 0;
}

/* zn_ipv6_view_init(). */
static inline int zn__ipv6_view_parse(struct zn_ipv6_view *v,
                                      const uint8_t *p, size_t len) {
  if (len < ZN_IPV6_HDR_LEN)
    return ZN_ETRUNCATED;
  if (p[0] >> 4 != 6)
    return ZN_EPROTO;
  uint16_t plen = zn_rd16(p + 4);
  /* RFC 2675: payload length 0 before a hop-by-hop header announces a
   * jumbo payload option; znet carries no jumbograms. */
  if (plen == 0 && p[6] == ZN_IPPROTO_HOPOPTS)
    return ZN_EMALFORMED;
  if ((size_t)ZN_IPV6_HDR_LEN + plen > len)
    return ZN_ERANGE;
  v->p = p;
  v->len = (size_t)ZN_IPV6_HDR_LEN + plen;
  v->tclass = (uint8_t)(zn_rd16(p) >> 4);
  v->flow = zn_rd32(p) & 0xfffffu;
  v->plen = plen;
  v->nxt = p[6];
  v->hlim = p[7];
  v->src = p + 8;
  v->dst = p + 24;
  return ZN_OK;
}

/* zn_tcp_view_init(). */
static inline int zn__tcp_view_parse(struct zn_tcp_view *v, const uint8_t *p,
                                     size_t len) {
  size_t hdr_len;

  if (len < ZN_TCP_HDR_LEN)
    return ZN_ETRUNCATED;
  hdr_len = (size_t)(p[12] >> 4) * 4u;
  if (hdr_len < ZN_TCP_HDR_LEN || hdr_len > len)
    return ZN_EMALFORMED;
  v->p = p;
  v->len = len;
  v->hdr_len = hdr_len;
  v->sport = zn_rd16(p);
  v->dport = zn_rd16(p + 2);
  v->seq = zn_rd32(p + 4);
  v->ack = zn_rd32(p + 8);
  v->flags = p[13];
  v->win = zn_rd16(p + 14);
  v->csum = zn_rd16(p + 16);
  v->urp = zn_rd16(p + 18);
  return ZN_OK;
}

/* zn_tcp_csum_ok_psum() of a segment of len bytes at p. */
static inline bool zn__tcp_csum_ok_psum(const uint8_t *p, size_t len,
                                        uint32_t psum) {
  return zn_csum_fold(zn_csum_add(psum, p, len)) == 0;
}

/* The option loop of zn_tcp_seg_opts_parse (src/wire/tcp_wire.c), for any layout
 * zn__tcp_seg_opts_parse does not read at once: the len bytes of options at
 * q into o, whose fields before the SACK blocks are zero. */
int zn__tcp_seg_opts_walk(const uint8_t *q, size_t len,
                          struct zn_tcp_seg_opts *o);

/* NOP, NOP, then the timestamps: the options of nearly every segment
 * once timestamps are agreed (RFC 7323 Appendix A's layout, which Linux,
 * the BSDs and znet send). */
#define ZN__TCP_NOP_NOP_TS                                                    \
  ((uint32_t)ZN_TCP_OPT_NOP << 24 | (uint32_t)ZN_TCP_OPT_NOP << 16 |          \
   (uint32_t)ZN_TCP_OPT_TS << 8 | ZN_TCP_OPTLEN_TS)

/* The SYN options of Linux (and of znet, zn_tcp_seg_opts_emit) with all four
 * agreed: MSS, SACK_PERM and TS sharing 12 bytes, NOP and window scale. */
#define ZN__TCP_SYN_MSS ((uint32_t)ZN_TCP_OPT_MSS << 8 | ZN_TCP_OPTLEN_MSS)
#define ZN__TCP_SYN_SACKP_TS                                                  \
  ((uint32_t)ZN_TCP_OPT_SACK_PERM << 24 |                                     \
   (uint32_t)ZN_TCP_OPTLEN_SACK_PERM << 16 | (uint32_t)ZN_TCP_OPT_TS << 8 |   \
   ZN_TCP_OPTLEN_TS)
#define ZN__TCP_SYN_NOP_WS                                                    \
  ((uint32_t)ZN_TCP_OPT_NOP << 16 | (uint32_t)ZN_TCP_OPT_WS << 8 |            \
   ZN_TCP_OPTLEN_WS)

/* zn_tcp_seg_opts_parse() but for what it writes: here every field before
 * the SACK blocks (present, mss, wscale, the timestamps, nsack) is
 * written, 0 for an option not present, and the blocks past nsack are
 * not cleared (they may hold anything): the input path does not clear
 * 32 bytes per segment that a SACK option alone fills.  The layouts
 * nearly every segment carries, none, NOP NOP TS and the SYN's MSS
 * SACK_PERM TS NOP WS, are read at once: what the loop makes of them,
 * without the loop. */
static inline int zn__tcp_seg_opts_parse(const struct zn_tcp_view *v,
                                         struct zn_tcp_seg_opts *o) {
  const uint8_t *q = v->p + ZN_TCP_HDR_LEN;
  size_t len = v->hdr_len - ZN_TCP_HDR_LEN;

  memset(o, 0, offsetof(struct zn_tcp_seg_opts, sack));
  if (len == 0)
    return ZN_OK;
  if (len == 12 && zn_rd32(q) == ZN__TCP_NOP_NOP_TS) {
    o->present = ZN_TCP_OPTF_TS;
    o->tsval = zn_rd32(q + 4);
    o->tsecr = zn_rd32(q + 8);
    return ZN_OK;
  }
  if (len == 20 && zn_rd32(q) >> 16 == ZN__TCP_SYN_MSS &&
      zn_rd32(q + 4) == ZN__TCP_SYN_SACKP_TS &&
      zn_rd32(q + 16) >> 8 == ZN__TCP_SYN_NOP_WS) {
    o->present = ZN_TCP_OPTF_MSS | ZN_TCP_OPTF_SACK_PERM | ZN_TCP_OPTF_TS |
                 ZN_TCP_OPTF_WS;
    o->mss = zn_rd16(q + 2);
    o->tsval = zn_rd32(q + 8);
    o->tsecr = zn_rd32(q + 12);
    o->wscale = q[19];
    return ZN_OK;
  }
  return zn__tcp_seg_opts_walk(q, len, o);
}

/* What an IPv4 source address says of the datagram that carries it.
 * Anything but ZN__IPV4_SRC_HOST names no single host that could have
 * sent it from the wire (RFC 1122 §3.2.1.3, RFC 1812 §5.3.7): IPv4 drops
 * such a datagram on input and never sends an ICMP error about it
 * (RFC 1122 §3.2.2); ARP learns no sender of the kind. */
enum zn__ipv4_src {
  ZN__IPV4_SRC_HOST = 0,   /* an ordinary unicast source */
  ZN__IPV4_SRC_ZERO,       /* 0.0.0.0/8, "this host on this network" */
  ZN__IPV4_SRC_LOOPBACK,   /* 127.0.0.0/8 (never outside a host) */
  ZN__IPV4_SRC_MCAST,      /* 224.0.0.0/4 */
  ZN__IPV4_SRC_BCAST,      /* limited broadcast, or the directed one */
  ZN__IPV4_SRC_CLASS_E,    /* 240.0.0.0/4 but the limited broadcast */
  ZN__IPV4_SRC_OWN,        /* our own address from the wire (IPv4's
                              finding: zn__ipv4_src_class never says it) */
};

/* The class of src by the address alone, dbcast being the directed
 * broadcast of our prefix (ZN_IPV4_BCAST if there is none). */
static inline enum zn__ipv4_src zn__ipv4_src_class(uint32_t src,
                                                   uint32_t dbcast) {
  uint32_t top = src >> 24;
  if (top == 0)
    return ZN__IPV4_SRC_ZERO;
  if (top == 127)
    return ZN__IPV4_SRC_LOOPBACK;
  if (zn_ipv4_is_mcast(src))
    return ZN__IPV4_SRC_MCAST;
  if (src == ZN_IPV4_BCAST || src == dbcast)
    return ZN__IPV4_SRC_BCAST;
  if (top >= 240)
    return ZN__IPV4_SRC_CLASS_E;
  return ZN__IPV4_SRC_HOST;
}

#endif
