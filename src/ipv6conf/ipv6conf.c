/*
 * IPv6 host configuration: placeholder until src/ipv6conf lands (issue
 * 15).  Static addresses are usable at once (no DAD yet); only they and
 * link-local destinations are on-link; there are no routers; the groups
 * joined are all-nodes and our addresses' solicited-node groups.
 */
#include <string.h>

#include "core/stack_int.h"
#include "ipv6conf/ipv6conf_int.h"
#include "znet/err.h"
#include "znet/wire.h"

size_t zn__ip6conf_mem_size(const struct zn_config *cfg) {
  (void)cfg;
  return 0;
}

void zn__ip6conf_init(struct zn_stack *st, void **mem) {
  (void)mem;
  memset(&st->ip6conf, 0, sizeof(st->ip6conf));
}

void zn__ip6conf_start(struct zn_stack *st) { (void)st; }

void zn__ip6conf_destroy(struct zn_stack *st) { (void)st; }

const struct zn__ip6_addr *zn__ip6conf_addr_find(const struct zn_stack *st,
                                                 const uint8_t a[16]) {
  for (uint32_t i = 0; i < ZN__IP6CONF_ADDRS; i++) {
    const struct zn__ip6_addr *e = &st->ip6conf.addr[i];
    if (e->state != ZN__A6_FREE && memcmp(e->a, a, 16) == 0)
      return e;
  }
  return NULL;
}

const struct zn__ip6_addr *zn__ip6conf_addr_at(const struct zn_stack *st,
                                               uint32_t i) {
  return i < ZN__IP6CONF_ADDRS ? &st->ip6conf.addr[i] : NULL;
}

uint32_t zn__ip6conf_addr_count(const struct zn_stack *st) {
  (void)st;
  return ZN__IP6CONF_ADDRS;
}

int zn_stack_add_ipv6(struct zn_stack *st, const struct zn_ip *addr,
                      uint8_t prefix) {
  if (addr->family != ZN_AF_INET6 || prefix > 128 ||
      zn_ipv6_addr_is_mcast(addr->bytes) ||
      zn_ipv6_addr_is_unspecified(addr->bytes) ||
      zn_ipv6_addr_is_loopback(addr->bytes))
    return ZN_EINVAL;
  if (zn__ip6conf_addr_find(st, addr->bytes))
    return ZN_EEXIST;
  for (uint32_t i = 0; i < ZN__IP6CONF_ADDRS; i++) {
    struct zn__ip6_addr *e = &st->ip6conf.addr[i];
    if (e->state == ZN__A6_FREE) {
      memcpy(e->a, addr->bytes, 16);
      e->prefix = prefix;
      e->origin = ZN__A6_STATIC;
      e->state = ZN__A6_PREFERRED;
      return ZN_OK;
    }
  }
  return ZN_ENOSPC;
}

int zn_stack_del_ipv6(struct zn_stack *st, const struct zn_ip *addr) {
  if (addr->family != ZN_AF_INET6)
    return ZN_ENOENT;
  for (uint32_t i = 0; i < ZN__IP6CONF_ADDRS; i++) {
    struct zn__ip6_addr *e = &st->ip6conf.addr[i];
    if (e->state != ZN__A6_FREE && memcmp(e->a, addr->bytes, 16) == 0) {
      memset(e, 0, sizeof(*e));
      return ZN_OK;
    }
  }
  return ZN_ENOENT;
}

static bool in_prefix(const uint8_t a[16], const uint8_t p[16], uint8_t len) {
  uint8_t whole = len / 8, bits = len % 8;
  if (memcmp(a, p, whole) != 0)
    return false;
  if (bits == 0)
    return true;
  uint8_t mask = (uint8_t)(0xff << (8 - bits));
  return ((a[whole] ^ p[whole]) & mask) == 0;
}

int zn__ip6conf_next_hop(struct zn_stack *st, const uint8_t dst[16],
                         uint8_t out[16]) {
  bool onlink = zn_ipv6_addr_is_linklocal(dst);
  for (uint32_t i = 0; i < ZN__IP6CONF_ADDRS && !onlink; i++) {
    const struct zn__ip6_addr *e = &st->ip6conf.addr[i];
    onlink = e->state == ZN__A6_PREFERRED && e->prefix > 0 &&
             in_prefix(dst, e->a, e->prefix);
  }
  if (!onlink)
    return ZN_EHOSTUNREACH;
  memcpy(out, dst, 16);
  return ZN_OK;
}

void zn__ip6conf_router_lost(struct zn_stack *st, const uint8_t ip[16]) {
  (void)st;
  (void)ip;
}

uint8_t zn__ip6conf_hop_limit(const struct zn_stack *st) {
  (void)st;
  return 64;
}

uint32_t zn__ip6conf_link_mtu(const struct zn_stack *st) {
  return st->nif ? st->nif->mtu : ZN_DEFAULT_MTU;
}

uint32_t zn__ip6conf_reachable_ms(const struct zn_stack *st) {
  (void)st;
  return 30000; /* RFC 4861 §10 REACHABLE_TIME */
}

uint32_t zn__ip6conf_retrans_ms(const struct zn_stack *st) {
  (void)st;
  return 1000; /* RFC 4861 §10 RETRANS_TIMER */
}

void zn__ip6conf_ra_input(struct zn_stack *st, struct zn_buf *b,
                          const struct zn__inet_meta *m) {
  (void)st;
  (void)m;
  zn_buf_free(b);
}

void zn__ip6conf_mld_input(struct zn_stack *st, struct zn_buf *b,
                           const struct zn__inet_meta *m) {
  (void)st;
  (void)m;
  zn_buf_free(b);
}

void zn__ip6conf_dad_ns(struct zn_stack *st, const uint8_t target[16],
                        bool from_unspecified) {
  (void)st;
  (void)target;
  (void)from_unspecified;
}

void zn__ip6conf_dad_na(struct zn_stack *st, const uint8_t target[16]) {
  (void)st;
  (void)target;
}

bool zn__ip6conf_mcast_joined(const struct zn_stack *st, const uint8_t g[16]) {
  static const uint8_t all_nodes[16] = {0xff, 2, [15] = 1};
  if (memcmp(g, all_nodes, 16) == 0)
    return true;
  for (uint32_t i = 0; i < ZN__IP6CONF_ADDRS; i++) {
    const struct zn__ip6_addr *e = &st->ip6conf.addr[i];
    uint8_t sn[16];
    if (e->state == ZN__A6_FREE)
      continue;
    zn_ipv6_solicited_node(e->a, sn);
    if (memcmp(g, sn, 16) == 0)
      return true;
  }
  return false;
}
