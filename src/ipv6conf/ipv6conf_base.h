/*
 * The ground floor of src/ipv6conf, which its files share and nothing
 * else includes: units and constants, deadlines, and what
 * ipv6conf_base.c defines (the timer's deadline over every table,
 * sending).  Above it ipv6conf_addr.c (interface identifiers, the
 * addresses' states, DAD), ipv6conf_ra.c (router solicitation,
 * advertisements, the router, prefix and DNS lists, SLAAC) and
 * ipv6conf_mld.c (MLDv2, host side); at the top ipv6conf.c (the
 * module: its state, start, the one timer's firing).  Other modules use
 * ipv6conf_int.h.
 */
#ifndef ZN_IPV6CONF_BASE_H
#define ZN_IPV6CONF_BASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/stack_int.h"
#include "ipv6conf/ipv6conf_int.h"

/* Units, and the RFC 4861 §10 constants more than one file uses (each
 * file defines its own others).  Plain names: only this module's files
 * include this header. */
#define MS 1000000ull
#define SEC 1000000000ull
#define NEVER UINT64_MAX
#define MAX_RTR_SOLICITATION_DELAY_MS 1000u
#define INFINITE_LIFETIME 0xffffffffu

/* A lifetime in seconds from now; infinity stays infinite. */
static inline uint64_t zn__ip6conf_after_s(const struct zn_stack *st,
                                           uint32_t s) {
  return s == INFINITE_LIFETIME
             ? NEVER
             : st->now + (uint64_t)s * SEC;
}

/* A uniformly random time in [now, now + max_ms]. */
static inline uint64_t zn__ip6conf_after_rand_ms(struct zn_stack *st,
                                                 uint32_t max_ms) {
  return st->now + (uint64_t)zn__rng_below(&st->rng, max_ms + 1) * MS;
}

/* Lower *min to t; a deadline of 0 means none. */
static inline void zn__ip6conf_earliest(uint64_t *min, uint64_t t) {
  if (t != 0 && t < *min)
    *min = t;
}

/* ipv6conf_base.c: arm the module's timer at the earliest deadline of any
 * table; call after changing one. */
void zn__ip6conf_rearm(struct zn_stack *st);
/* Our link-local address if DAD is over, else NULL (RFC 4861 §6.3.7,
 * RFC 3810 §5.2.13: the caller then sends from ::). */
const uint8_t *zn__ip6conf_usable_linklocal(const struct zn_stack *st);
/* An empty buffer for a len-byte message in *b, or NULL (IPv6 off or
 * disabled, or no buffer: counted). */
uint8_t *zn__ip6conf_msg_alloc(struct zn_stack *st, size_t len,
                               struct zn_buf **b);
/* Checksum the ICMPv6 message in b and hand it to IPv6 (consumes b): from
 * src (NULL: from ::), hop limit hops, with a Router Alert if asked. */
void zn__ip6conf_msg_send(struct zn_stack *st, struct zn_buf *b,
                          const uint8_t *src, const uint8_t dst[16],
                          uint8_t hops, bool router_alert);

/* ipv6conf_addr.c */
struct zn__ip6_addr *zn__ip6conf_addr_add(struct zn_stack *st,
                                          const uint8_t a[16], uint8_t prefix,
                                          uint8_t origin);
/* RFC 4862 §5.3: the link-local address from a stable identifier. */
void zn__ip6conf_linklocal_create(struct zn_stack *st);
/* RFC 4862 §5.4.2 probes and §5.5.4 lifetimes, from the timer. */
void zn__ip6conf_addrs_due(struct zn_stack *st);
/* ipv6conf_base.c: an address's next deadline (DAD, its lifetimes). */
uint64_t zn__ip6conf_addr_deadline(const struct zn__ip6_addr *e);

/* ipv6conf_ra.c: RFC 4861 §6.3.7 solicitations and the lifetimes of the
 * router, prefix and DNS lists, from the timer. */
void zn__ip6conf_rs_due(struct zn_stack *st);
void zn__ip6conf_lists_due(struct zn_stack *st);

/* ipv6conf_mld.c: state-change reports and query answers, from the
 * timer. */
void zn__ip6conf_groups_due(struct zn_stack *st);

#endif
