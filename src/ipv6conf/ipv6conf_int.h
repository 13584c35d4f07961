/*
 * IPv6 host configuration: our addresses and their states (RFC 4862),
 * SLAAC with RFC 7217 interface identifiers, duplicate address detection,
 * router solicitation and the default router and prefix lists fed by
 * router advertisements (RFC 4861 §6.3), RDNSS/DNSSL (RFC 8106), and MLDv2
 * for a host (RFC 3810).  src/ipv6 asks this module; this module sends
 * through zn__ip6_output.
 */
#ifndef ZN_IPV6CONF_INT_H
#define ZN_IPV6CONF_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "inet/inet_int.h"
#include "znet/buf.h"
#include "znet/stack.h"

/* The state of one of our addresses (RFC 4862 §2). */
enum zn__ip6_addr_state {
  ZN__A6_FREE = 0,     /* slot unused */
  ZN__A6_TENTATIVE,    /* DAD running: only NS/NA for it are looked at */
  ZN__A6_PREFERRED,    /* usable for anything */
  ZN__A6_DEPRECATED,   /* valid, not preferred: kept for existing flows,
                          not chosen as a source when another will do */
  ZN__A6_DUPLICATE,    /* DAD found it in use: never used */
};

/* Where an address came from. */
enum zn__ip6_addr_origin {
  ZN__A6_LINKLOCAL = 1, /* fe80::/64 with a stable identifier */
  ZN__A6_STATIC,        /* zn_stack_add_ipv6() */
  ZN__A6_SLAAC,         /* from a router advertisement's prefix */
};

struct zn__ip6_addr {
  uint8_t a[16];
  uint8_t prefix;          /* prefix length (on-link for STATIC) */
  uint8_t state;           /* enum zn__ip6_addr_state */
  uint8_t origin;          /* enum zn__ip6_addr_origin */
};

#define ZN__IP6CONF_ADDRS 8

/* ipv6conf's state in struct zn_stack; grown by src/ipv6conf. */
struct zn__ip6conf {
  struct zn__ip6_addr addr[ZN__IP6CONF_ADDRS];
};

size_t zn__ip6conf_mem_size(const struct zn_config *cfg);
void zn__ip6conf_init(struct zn_stack *st, void **mem);
/* After zn__ip6_start: link-local address, DAD, RS, MLD reports. */
void zn__ip6conf_start(struct zn_stack *st);
void zn__ip6conf_destroy(struct zn_stack *st);

/* Our address a, in any state but FREE, or NULL. */
const struct zn__ip6_addr *zn__ip6conf_addr_find(const struct zn_stack *st,
                                                 const uint8_t a[16]);
/* The i-th slot (0 <= i < zn__ip6conf_addr_count), possibly FREE. */
const struct zn__ip6_addr *zn__ip6conf_addr_at(const struct zn_stack *st,
                                               uint32_t i);
uint32_t zn__ip6conf_addr_count(const struct zn_stack *st);

/* RFC 4861 §5.2 next-hop determination for dst (not multicast): dst
 * itself if on-link (link-local, or inside an on-link prefix), else a
 * default router.  Errors: ZN_EHOSTUNREACH (no router). */
int zn__ip6conf_next_hop(struct zn_stack *st, const uint8_t dst[16],
                         uint8_t out[16]);
/* Neighbor unreachability detection gave up on a router, or its NA no
 * longer has the R flag: drop it from the default router list. */
void zn__ip6conf_router_lost(struct zn_stack *st, const uint8_t ip[16]);

/* Parameters learnt from router advertisements (or the defaults). */
uint8_t zn__ip6conf_hop_limit(const struct zn_stack *st);
uint32_t zn__ip6conf_link_mtu(const struct zn_stack *st);
uint32_t zn__ip6conf_reachable_ms(const struct zn_stack *st);
uint32_t zn__ip6conf_retrans_ms(const struct zn_stack *st);

/* ICMPv6 messages this module handles, b->data at the ICMPv6 header,
 * checksum and hop limit already checked by src/ipv6; each consumes b:
 * router advertisement (134), MLD query (130) and reports (131, 143). */
void zn__ip6conf_ra_input(struct zn_stack *st, struct zn_buf *b,
                          const struct zn__inet_meta *m);
void zn__ip6conf_mld_input(struct zn_stack *st, struct zn_buf *b,
                           const struct zn__inet_meta *m);

/* Duplicate address detection (RFC 4862 §5.4.3, §5.4.4): src/ipv6 saw an
 * NS (from_unspecified: a DAD probe of another node) or an NA whose
 * target is our address in any state. */
void zn__ip6conf_dad_ns(struct zn_stack *st, const uint8_t target[16],
                        bool from_unspecified);
void zn__ip6conf_dad_na(struct zn_stack *st, const uint8_t target[16]);

/* True if we listen to multicast group g (all-nodes, the solicited-node
 * groups of our addresses, groups the application joined). */
bool zn__ip6conf_mcast_joined(const struct zn_stack *st, const uint8_t g[16]);

#endif
