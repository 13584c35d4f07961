/*
 * The network layer as the transports see it, for either family.
 *
 * TCP, UDP and the ICMP error paths talk to IPv4 (src/ipv4) and IPv6
 * (src/ipv6) only through this interface: addresses are struct zn_ip,
 * and the address's family picks the layer.  inet.c holds the registry of
 * transports (one per protocol number, shared by both families) and the
 * dispatch to the family's layer; it keeps no policy of its own.
 *
 *   IPv4 input ─┐                          ┌─ zn__ip_output   (ipv4)
 *               ├─ zn__inet_deliver ─ TCP/UDP ─ zn__inet_output ┤
 *   IPv6 input ─┘                          └─ zn__ip6_output  (ipv6)
 */
#ifndef ZN_INET_INT_H
#define ZN_INET_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/stack_int.h"
#include "ipv4/ipv4_int.h"
#include "modules.h"
#include "znet/addr.h"
#include "znet/buf.h"
#include "znet/err.h"
#include "znet/stack.h"
#include "znet/wire.h"

/* What a transport learns of the datagram that carried its segment.  The
 * network-layer headers (hdr_len bytes: the IPv4 header with options, or
 * the IPv6 header with its extension headers) stay in the buffer's
 * headroom, right before b->data. */
struct zn__inet_meta {
  struct zn_ip src, dst;   /* same family */
  uint8_t proto;           /* upper-layer protocol */
  uint8_t ttl;             /* TTL, or hop limit */
  uint8_t tos;             /* TOS, or traffic class */
  bool bcast;              /* sent to a broadcast or multicast address */
  uint16_t hdr_len;        /* network-layer header bytes before b->data */
};

/* What an ICMP or ICMPv6 error says, whichever family carried it.  Each
 * ICMP module maps its own types and codes onto these. */
enum zn__inet_err_kind {
  ZN__INET_ERR_NET_UNREACH = 1, /* no route (ICMP net unreachable,
                                   ICMPv6 unreachable code 0) */
  ZN__INET_ERR_HOST_UNREACH,    /* host or address unreachable, beyond
                                   scope */
  ZN__INET_ERR_PROTO_UNREACH,   /* protocol unreachable (ICMPv6: parameter
                                   problem code 1 pointing at the next
                                   header) */
  ZN__INET_ERR_PORT_UNREACH,    /* port unreachable */
  ZN__INET_ERR_PROHIBITED,      /* administratively prohibited, source
                                   policy, reject route */
  ZN__INET_ERR_TOO_BIG,         /* fragmentation needed / packet too big;
                                   mtu says how big */
  ZN__INET_ERR_TIME_EXCEEDED,   /* TTL or hop limit, or reassembly */
  ZN__INET_ERR_PARAM,           /* parameter problem (any other) */
};

/* An ICMP error about one of our datagrams, for its transport. */
struct zn__inet_err {
  enum zn__inet_err_kind kind;
  uint32_t mtu;                /* ZN__INET_ERR_TOO_BIG: next-hop MTU (0:
                                  not given) */
  struct zn_ip from;           /* who sent the error */
  struct zn_ip src, dst;       /* the quoted datagram's: src is ours */
  uint8_t proto;               /* the quoted datagram's upper layer */
  const uint8_t *l4;           /* the quoted transport bytes */
  size_t l4_len;               /* at least 8 */
};

typedef void (*zn__inet_input_fn)(struct zn_stack *st, struct zn_buf *b,
                                  const struct zn__inet_meta *m);
typedef void (*zn__inet_err_fn)(struct zn_stack *st,
                                const struct zn__inet_err *e);

/* What a transport asks of the network layer for one datagram. */
struct zn__inet_tx {
  struct zn_ip src;        /* ours; unspecified (or ZN_AF_NONE): the layer
                              picks (IPv4: our address; IPv6: RFC 6724
                              source selection) */
  struct zn_ip dst;        /* its family picks the layer */
  uint8_t proto;
  uint8_t tos;             /* TOS, or traffic class */
  uint8_t ttl;             /* TTL or hop limit; 0: the default */
  bool df;                 /* do not fragment: IPv4 sets DF; IPv6 fails
                              with ZN_EMSGSIZE past the path MTU instead of
                              fragmenting (TCP sizes to the path MTU) */
  /* IPv6 only, for neighbor discovery and MLD: */
  bool src_unspecified;    /* send from :: (DAD probes, RFC 4862 §5.4.2;
                              MLD reports before an address, RFC 3810
                              §5.2.13) */
  bool router_alert;       /* a hop-by-hop header with Router Alert (MLD,
                              RFC 3810 §5; RFC 2711) */
};

#define ZN__INET_L4_MAX 4

struct zn__inet_l4 {
  uint8_t proto;
  zn__inet_input_fn input;
  zn__inet_err_fn err;
};

/* The transports, by protocol number; in struct zn_stack (zeroed).
 * Every datagram finds its transport with one look at by_proto, which
 * holds the index in l4 of each protocol's entry; l4[0] stays empty (no
 * input, no err) and stands for every protocol none registered. */
struct zn__inet {
  struct zn__inet_l4 l4[1 + ZN__INET_L4_MAX];
  uint32_t nl4;                /* entries in use, l4[1] to l4[nl4] */
  uint8_t by_proto[256];
};

/* Register the transport for proto (both families); a second call for
 * the same proto replaces the first.  Errors: ZN_ENOMEM (table full). */
int zn__inet_register(struct zn_stack *st, uint8_t proto,
                      zn__inet_input_fn in, zn__inet_err_fn err);

/* zn__inet_deliver(st, b, m), zn__inet_select_source(st, dst, out) and
 * zn__inet_send_path(st, b, src, dst, proto, tos, id, path), which every
 * datagram calls, are inline in inet_inline.h. */

/* Hand an error to e->proto's transport.  Returns false if none takes
 * errors: the ICMP module counts that drop as its own. */
bool zn__inet_deliver_err(struct zn_stack *st, const struct zn__inet_err *e);

/* b->data at the transport header, checksum done (or left partial for the
 * netif).  Pushes the network header(s), routes, fragments if allowed.
 * Consumes b.  Errors: ZN_EHOSTUNREACH, ZN_ENETUNREACH, ZN_EADDRNOTAVAIL,
 * ZN_EMSGSIZE, ZN_ENOBUFS, ZN_EINVAL (no family, or src and dst of
 * different families). */
int zn__inet_output_family(struct zn_stack *st, struct zn_buf *b,
                           const struct zn__inet_tx *tx);
/* (zn__inet_output_family above is the same call for any family; the
 * inline keeps IPv4's common case, a datagram per segment, as cheap as
 * the direct zn__ip_output it replaced.) */
static inline int zn__inet_output(struct zn_stack *st, struct zn_buf *b,
                                  const struct zn__inet_tx *tx) {
  if (tx->dst.family == ZN_AF_INET && tx->src.family != ZN_AF_INET6) {
    /* A source of no family reads as 0: "our address". */
    struct zn__ip_tx t = {.src = zn_rd32(tx->src.bytes),
                          .dst = zn_rd32(tx->dst.bytes),
                          .proto = tx->proto,
                          .tos = tx->tos,
                          .ttl = tx->ttl,
                          .df = tx->df};
    return zn__ip_output(st, b, &t);
  }
  return zn__inet_output_family(st, b, tx);
}

/* zn__inet_output for a transport's plain datagram (default TTL; tos the
 * TOS or traffic class, TCP's ECN field): the same call, without a struct
 * zn__inet_tx to fill and read back on IPv4's per-segment path. */
static inline int zn__inet_send_id(struct zn_stack *st, struct zn_buf *b,
                                   const struct zn_ip *src,
                                   const struct zn_ip *dst, uint8_t proto,
                                   uint8_t tos, bool df, bool own_id,
                                   uint16_t id) {
  if (dst->family == ZN_AF_INET && src->family != ZN_AF_INET6) {
    struct zn__ip_tx t = {.src = zn_rd32(src->bytes),
                          .dst = zn_rd32(dst->bytes),
                          .proto = proto,
                          .tos = tos,
                          .df = df,
                          .own_id = own_id,
                          .id = id};
    return zn__ip_output(st, b, &t);
  }
  struct zn__inet_tx tx = {
      .src = *src, .dst = *dst, .proto = proto, .tos = tos, .df = df};
  return zn__inet_output_family(st, b, &tx);
}

static inline int zn__inet_send(struct zn_stack *st, struct zn_buf *b,
                                const struct zn_ip *src,
                                const struct zn_ip *dst, uint8_t proto,
                                uint8_t tos, bool df) {
  return zn__inet_send_id(st, b, src, dst, proto, tos, df, false, 0);
}

/* zn__inet_send of an atomic datagram (DF) whose IPv4 ID the transport
 * chose (zn__ip_tx.own_id); IPv6, whose header has no ID, ignores it. */
static inline int zn__inet_send_atomic(struct zn_stack *st, struct zn_buf *b,
                                       const struct zn_ip *src,
                                       const struct zn_ip *dst, uint8_t proto,
                                       uint8_t tos, uint16_t id) {
  return zn__inet_send_id(st, b, src, dst, proto, tos, true, true, id);
}

/* The running sum of the pseudo-header (RFC 9293 §3.1, RFC 768, RFC 8200
 * §8.1) of a len-byte proto segment from src to dst (same family).
 * Inline, with IPv4 summed straight from the address bytes: it runs for
 * every segment sent and received, and must cost no more than the
 * zn_csum_pseudo() it replaced. */
static inline uint32_t zn__inet_pseudo_sum(const struct zn_ip *src,
                                           const struct zn_ip *dst,
                                           uint8_t proto, uint32_t len) {
  if (dst->family == ZN_AF_INET6)
    return zn_csum_pseudo6(src->bytes, dst->bytes, len, proto);
  uint32_t s = zn_rd32(src->bytes), d = zn_rd32(dst->bytes);
  /* Six terms each below 2^16: no overflow in 32 bits. */
  return (s >> 16) + (s & 0xffffu) + (d >> 16) + (d & 0xffffu) + proto +
         (uint16_t)len;
}

/* zn__inet_select_source (inet_inline.h) for any family but IPv4.
 * Errors: ZN_EADDRNOTAVAIL (no usable IPv6 address), ZN_EINVAL (no
 * family). */
int zn__inet_select_source_v6(struct zn_stack *st, const struct zn_ip *dst,
                              struct zn_ip *out);

/* True if a is one of our unicast addresses, usable now (an IPv6 address
 * still undergoing duplicate address detection is not). */
bool zn__inet_is_local(const struct zn_stack *st, const struct zn_ip *a);

/* The path MTU toward dst: IPv4, the netif's MTU; IPv6, the path MTU
 * learned from packet too big (RFC 8201), at least 1280. */
uint32_t zn__inet_path_mtu(struct zn_stack *st, const struct zn_ip *dst);

/* RFC 4861 §7.3.1: a transport saw forward progress with peer (TCP: new
 * data acknowledged), which confirms that the neighbor its packets go
 * through is reachable, so a busy flow needs no NUD probes.  IPv6 only:
 * ARP (RFC 826) keeps no reachability state. */
void zn__inet_confirm_reachable(struct zn_stack *st, const struct zn_ip *peer);

/* zn_ip_eq() inline, for the transports' lookups: the bytes past the
 * family's size are 0 in every struct zn_ip, so 16 bytes compare. */
static inline bool zn__inet_eq(const struct zn_ip *a, const struct zn_ip *b) {
  uint64_t a0, a1, b0, b1;
  memcpy(&a0, a->bytes, 8);
  memcpy(&a1, a->bytes + 8, 8);
  memcpy(&b0, b->bytes, 8);
  memcpy(&b1, b->bytes + 8, 8);
  return a->family == b->family && ((a0 ^ b0) | (a1 ^ b1)) == 0;
}

/* The stack's keyed hash of an address and a 32-bit word: for IPv4,
 * zn__hash32(st, address, x) (the value it always had); for IPv6 a keyed
 * hash over all 16 bytes. */
uint32_t zn__inet_hash(const struct zn_stack *st, const struct zn_ip *a,
                       uint32_t x);

/* Local bindings (TCP listeners, UDP sockets) share one meaning:
 * ZN_AF_NONE takes any of our addresses of both families, a family's
 * unspecified address (0.0.0.0) any of that family, any other address
 * only itself. */

/* The binding addr asks for, as stored: NULL, ZN_AF_NONE and :: become
 * ZN_AF_NONE; 0.0.0.0 stays; any other address must be ours.  Errors:
 * ZN_EADDRNOTAVAIL (not ours), ZN_EINVAL (unknown family). */
int zn__inet_binding(struct zn_stack *st, const struct zn_ip *addr,
                     struct zn_ip *out);

/* How a binding takes a datagram to a: 3 it is a itself, 2 it is a's
 * family's unspecified address, 1 it takes both families, 0 not at all.
 * Inline: every datagram's socket lookup asks. */
static inline int zn__inet_bind_match(const struct zn_ip *bound,
                                      const struct zn_ip *a) {
  if (bound->family == ZN_AF_NONE)
    return 1;
  if (bound->family != a->family)
    return 0;
  if (zn__inet_eq(bound, a))
    return 3;
  return zn_ip_is_unspecified(bound) ? 2 : 0;
}

/* Would bindings a and b on one port take a common address? */
bool zn__inet_bind_overlap(const struct zn_ip *a, const struct zn_ip *b);

/* Bytes of the fixed network header of a family: 20 or 40. */
static inline uint32_t zn__inet_hdr_len(uint8_t family) {
  return family == ZN_AF_INET6 ? 40u : 20u;
}

/* Answer the datagram whose transport header is at b->data (its network
 * headers m->hdr_len bytes before it) with port unreachable, if the
 * family's ICMP rules and rate limit allow.  b is not consumed. */
void zn__inet_port_unreachable(struct zn_stack *st, struct zn_buf *b,
                               const struct zn__inet_meta *m);

#endif
