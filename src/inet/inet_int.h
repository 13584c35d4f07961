/*
 * What the network layer of either family and the transports say to each
 * other, and the table through which IPv4 and IPv6 reach the transports.
 *
 * Below IPv4 (src/ipv4) and IPv6 (src/ipv6), above the core: addresses
 * are struct zn_ip; a datagram comes up with a struct zn__inet_meta, an
 * ICMP error as a struct zn__inet_err, and a transport's datagram goes
 * down with a struct zn__inet_tx.  The table of transports is filled at
 * assembly: each transport registers its input and error handler for its
 * protocol number and the families it serves (zn__inet_register), and
 * the network layers deliver through it, never by name.  The calls a
 * transport makes down into the layer of an address's family are
 * src/af's.
 *
 *   IPv4 input ─┐                            ┌─ (src/af) ─ IPv4 output
 *               ├─ zn__inet_deliver ─ TCP/UDP/ICMP
 *   IPv6 input ─┘                            └─ (src/af) ─ IPv6 output
 */
#ifndef ZN_INET_INT_H
#define ZN_INET_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/stack_int.h"
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

#define ZN__INET_L4_MAX 6

/* The families a transport registers for (bits), and the index of each
 * family's map in struct zn__inet. */
enum zn__inet_fam { ZN__INET_V4 = 0, ZN__INET_V6 = 1 };
#define ZN__INET_ON_V4 (1u << ZN__INET_V4)
#define ZN__INET_ON_V6 (1u << ZN__INET_V6)
#define ZN__INET_ON_BOTH (ZN__INET_ON_V4 | ZN__INET_ON_V6)

struct zn__inet_l4 {
  uint8_t proto;
  zn__inet_input_fn input;
  zn__inet_err_fn err;
};

/* The transports, by family and protocol number; a module's state
 * (zeroed).  Every datagram finds its transport with one look at its
 * family's by_proto, which holds the index in l4 of each protocol's
 * entry; l4[0] stays empty (no input, no err) and stands for every
 * protocol none registered. */
struct zn__inet {
  struct zn__inet_l4 l4[1 + ZN__INET_L4_MAX];
  uint32_t nl4;                /* entries in use, l4[1] to l4[nl4] */
  uint8_t by_proto[2][256];    /* [enum zn__inet_fam][protocol] */
};

/* Register the transport for proto on the families of `on` (bits
 * ZN__INET_ON_V4, ZN__INET_ON_V6); a second call for the same proto and
 * family replaces the first.  At assembly, by a module above the network
 * layers (or a test).  Errors: ZN_ENOMEM (table full), ZN_EINVAL (no
 * family). */
int zn__inet_register(struct zn_stack *st, unsigned on, uint8_t proto,
                      zn__inet_input_fn in, zn__inet_err_fn err);

/* The map of the family of a (ZN_AF_INET6: IPv6's, else IPv4's). */
static inline enum zn__inet_fam zn__inet_fam_of(const struct zn_ip *a) {
  return a->family == ZN_AF_INET6 ? ZN__INET_V6 : ZN__INET_V4;
}

/* The input of proto's transport on family fam, NULL if none is
 * registered. */
static inline zn__inet_input_fn zn__inet_input(const struct zn_stack *st,
                                               enum zn__inet_fam fam,
                                               uint8_t proto) {
  const struct zn__inet *n = ZN__MOD(st, inet);
  return n->l4[n->by_proto[fam][proto]].input;
}

/* Hand b (data at the transport header) to m->proto's transport of m's
 * family, which consumes it.  Returns false, b untouched, if none is
 * registered: the caller answers (protocol unreachable) and counts the
 * drop. */
static inline bool zn__inet_deliver(struct zn_stack *st, struct zn_buf *b,
                                    const struct zn__inet_meta *m) {
  zn__inet_input_fn in = zn__inet_input(st, zn__inet_fam_of(&m->dst),
                                        m->proto);
  if (!in)
    return false;
  in(st, b, m);
  return true;
}

/* Hand an error to the transport of e->proto on e->src's family.  Returns false if none takes
 * errors: the ICMP module counts that drop as its own. */
bool zn__inet_deliver_err(struct zn_stack *st, const struct zn__inet_err *e);

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
 * unspecified address any of that family (0.0.0.0; `::` is stored only
 * for a binding that asked for IPv6 only, v6only, and is ZN_AF_NONE
 * otherwise), any other address only itself. */

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

/* Whether p is an ephemeral port this stack may pick: its share of them
 * when it is one of several shards (cfg.port_shares), else any. */
static inline bool zn__inet_port_ours(const struct zn_stack *st, uint16_t p) {
  return st->cfg.port_shares <= 1 ||
         p % st->cfg.port_shares == st->cfg.port_share;
}

#endif
