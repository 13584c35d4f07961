/*
 * The interface's IPv6 state as IPv6 reads it: the address table (RFC
 * 4862 states), the default router list and the on-link prefix list with
 * next-hop determination (RFC 4861 §5.2, §6.3.4, §6.3.6), the multicast
 * groups we listen to (RFC 3810 §6, RFC 2464 §7) and the link parameters
 * (RFC 4861 §6.3.2).
 *
 * The tables are carved at the sizes the config gives, whether IPv6 is on
 * or not (an address added while it is off waits in its table).  Address
 * configuration, above, decides every change to them and writes them;
 * here are the readers, and the few changes that belong to IPv6's own
 * protocols: neighbor unreachability detection giving up on a router, and
 * ReachableTime drawn again.  The per-packet readers are inline in
 * ipv6_int.h.
 */
#include <string.h>

#include "core/stack_int.h"
#include "ipv6/ipv6_int.h"
#include "znet/err.h"
#include "znet/wire.h"

/* RFC 4861 §10. */
#define REACHABLE_TIME_MS 30000u
#define RETRANS_TIMER_MS 1000u
#define REACHABLE_RERANDOMISE ZN_SEC(3ull * 3600ull)
#define DEFAULT_HOP_LIMIT 64u /* §6.3.2: IANA's default, until an RA */
#define LIMIT_TABLE 64u
#define LIMIT_GROUPS 256u

static const uint8_t all_nodes[16] = {0xff, 2, [15] = 1};

/* ---- configuration and tables ---- */

bool zn__ip6_config_ok(const struct zn_config *cfg) {
  return cfg->nd_entries <= (1u << 16) && cfg->ip6_reass_slots <= 4096 &&
         cfg->ipv6_addrs <= LIMIT_TABLE && cfg->ipv6_routers <= LIMIT_TABLE &&
         cfg->ipv6_prefixes <= LIMIT_TABLE && cfg->ipv6_groups <= LIMIT_GROUPS;
}

void zn__ip6_config_default(struct zn_config *cfg) {
  cfg->nd_entries = ZN_DEFAULT_ND_ENTRIES;
  cfg->nd_pending = ZN_DEFAULT_ND_PENDING;
  cfg->ip6_reass_slots = ZN_DEFAULT_IP6_REASS_SLOTS;
  cfg->ip6_reass_max_bytes = ZN_DEFAULT_IP6_REASS_MAX_BYTES;
  cfg->ip6_reass_timeout_ms = ZN_DEFAULT_IP6_REASS_TIMEOUT_MS;
  cfg->ipv6_addrs = ZN_DEFAULT_IPV6_ADDRS;
  cfg->ipv6_routers = ZN_DEFAULT_IPV6_ROUTERS;
  cfg->ipv6_prefixes = ZN_DEFAULT_IPV6_PREFIXES;
  cfg->ipv6_groups = ZN_DEFAULT_IPV6_GROUPS;
}

static uint32_t size_or(uint32_t v, uint32_t dflt) { return v ? v : dflt; }

/* Table sizes: a 0 in the config means the default. */
struct sizes {
  uint32_t addr, router, prefix, group;
};

static struct sizes table_sizes(const struct zn_config *cfg) {
  struct sizes s;
  s.addr = size_or(cfg->ipv6_addrs, ZN_DEFAULT_IPV6_ADDRS);
  s.router = size_or(cfg->ipv6_routers, ZN_DEFAULT_IPV6_ROUTERS);
  s.prefix = size_or(cfg->ipv6_prefixes, ZN_DEFAULT_IPV6_PREFIXES);
  s.group = size_or(cfg->ipv6_groups, ZN_DEFAULT_IPV6_GROUPS);
  return s;
}

size_t zn__ip6_iface_mem_size(const struct zn_config *cfg) {
  struct sizes s = table_sizes(cfg);
  return zn__carve_size(s.addr * sizeof(struct zn__ip6_addr)) +
         zn__carve_size(s.router * sizeof(struct zn__ip6_router)) +
         zn__carve_size(s.prefix * sizeof(struct zn__ip6_prefix)) +
         zn__carve_size(s.group * sizeof(struct zn__ip6_group));
}

void zn__ip6_iface_init(struct zn_stack *st, void **mem) {
  struct zn__ip6 *ip6 = ZN__MOD(st, ip6);
  struct sizes s = table_sizes(&st->cfg);
  ip6->addr = zn__carve_zeroed(mem, s.addr * sizeof(*ip6->addr));
  ip6->router = zn__carve_zeroed(mem, s.router * sizeof(*ip6->router));
  ip6->prefix = zn__carve_zeroed(mem, s.prefix * sizeof(*ip6->prefix));
  ip6->group = zn__carve_zeroed(mem, s.group * sizeof(*ip6->group));
  ip6->naddr = s.addr;
  ip6->nrouter = s.router;
  ip6->nprefix = s.prefix;
  ip6->ngroup = s.group;
  ip6->hop_limit = DEFAULT_HOP_LIMIT;
  ip6->base_reachable_ms = REACHABLE_TIME_MS;
  ip6->reachable_ms = REACHABLE_TIME_MS;
  ip6->retrans_ms = RETRANS_TIMER_MS;
  ip6->gen = 1;
}

/* ---- link parameters (RFC 4861 §6.3.2, §6.3.4) ---- */

void zn__ip6_recompute_reachable(struct zn_stack *st) {
  struct zn__ip6 *ip6 = ZN__MOD(st, ip6);
  uint32_t base = ip6->base_reachable_ms;
  ip6->reachable_ms = base / 2 + zn__rng_below(&st->rng, base + 1);
  ip6->rerandomise_at = st->now + REACHABLE_RERANDOMISE;
}

void zn__ip6_set_base_reachable(struct zn_stack *st, uint32_t ms) {
  if (ms == ZN__MOD(st, ip6)->base_reachable_ms)
    return;
  ZN__MOD(st, ip6)->base_reachable_ms = ms;
  zn__ip6_recompute_reachable(st);
}

void zn__ip6_set_link_mtu(struct zn_stack *st, uint32_t mtu) {
  if (mtu < zn__ip6_link_mtu(st))
    zn__ip6_mtu_lowered(st);
  ZN__MOD(st, ip6)->mtu = mtu;
}

/* ---- next-hop determination (RFC 4861 §5.2, §6.3.6) ---- */

bool zn__ip6_in_prefix(const uint8_t a[16], const uint8_t p[16], uint8_t len) {
  uint8_t whole = len / 8, bits = len % 8;
  if (memcmp(a, p, whole) != 0)
    return false;
  if (bits == 0)
    return true;
  uint8_t mask = (uint8_t)(0xff << (8 - bits));
  return ((a[whole] ^ p[whole]) & mask) == 0;
}

/* RFC 4861 §6.3.6: a router not known unreachable, round-robin from the
 * last one given up on; when all are, round-robin over them all. */
static const uint8_t *router_choose(struct zn_stack *st) {
  struct zn__ip6 *ip6 = ZN__MOD(st, ip6);
  for (uint32_t k = 0; k < ip6->nrouter; k++) {
    struct zn__ip6_router *r = &ip6->router[(ip6->rr + k) % ip6->nrouter];
    if (r->used && !r->lost)
      return r->ip;
  }
  for (uint32_t k = 0; k < ip6->nrouter; k++) {
    uint32_t i = (ip6->rr + k) % ip6->nrouter;
    if (ip6->router[i].used) {
      ip6->rr = (i + 1) % ip6->nrouter;
      zn__ip6_changed(st); /* the next choice differs */
      return ip6->router[i].ip;
    }
  }
  return NULL;
}

static bool on_link(const struct zn_stack *st, const uint8_t dst[16]) {
  const struct zn__ip6 *ip6 = ZN__MOD(st, ip6);
  if (zn_ipv6_addr_is_linklocal(dst))
    return true;
  for (uint32_t i = 0; i < ip6->nprefix; i++)
    if (ip6->prefix[i].len &&
        zn__ip6_in_prefix(dst, ip6->prefix[i].p, ip6->prefix[i].len))
      return true;
  for (uint32_t i = 0; i < ip6->naddr; i++) {
    const struct zn__ip6_addr *e = &ip6->addr[i];
    if (e->origin == ZN__A6_STATIC && e->prefix > 0 &&
        zn__ip6_addr_usable(e) && zn__ip6_in_prefix(dst, e->a, e->prefix))
      return true;
  }
  return false;
}

int zn__ip6_next_hop_determine(struct zn_stack *st, const uint8_t dst[16],
                               uint8_t out[16]) {
  if (on_link(st, dst)) {
    memcpy(out, dst, 16);
    return ZN_OK;
  }
  const uint8_t *r = router_choose(st);
  if (!r)
    return ZN_EHOSTUNREACH;
  memcpy(out, r, 16);
  return ZN_OK;
}

void zn__ip6_router_lost(struct zn_stack *st, const uint8_t ip[16]) {
  struct zn__ip6 *ip6 = ZN__MOD(st, ip6);
  for (uint32_t i = 0; i < ip6->nrouter; i++)
    if (ip6->router[i].used && memcmp(ip6->router[i].ip, ip, 16) == 0) {
      ip6->router[i].lost = true;
      ip6->rr = (i + 1) % ip6->nrouter;
      zn__ip6_changed(st);
    }
}

/* ---- multicast groups (RFC 3810 §6, RFC 2464 §7) ---- */

bool zn__ip6_mcast_joined(const struct zn_stack *st, const uint8_t g[16]) {
  const struct zn__ip6 *ip6 = ZN__MOD(st, ip6);
  if (memcmp(g, all_nodes, 16) == 0)
    return true;
  for (uint32_t i = 0; i < ip6->ngroup; i++)
    if (ip6->group[i].refs && memcmp(ip6->group[i].g, g, 16) == 0)
      return true;
  return false;
}

bool zn__ip6_mcast_mac_joined(const struct zn_stack *st,
                              const uint8_t mac[6]) {
  const struct zn__ip6 *ip6 = ZN__MOD(st, ip6);
  uint8_t m[6];
  zn_ipv6_mcast_mac(all_nodes, m);
  if (memcmp(m, mac, 6) == 0)
    return true;
  for (uint32_t i = 0; i < ip6->ngroup; i++) {
    if (!ip6->group[i].refs)
      continue;
    zn_ipv6_mcast_mac(ip6->group[i].g, m);
    if (memcmp(m, mac, 6) == 0)
      return true;
  }
  return false;
}

/* ---- the public view of the address table ---- */

uint32_t zn_stack_ipv6_addrs(const struct zn_stack *st,
                             struct zn_ipv6_addr_info *out, uint32_t max) {
  const struct zn__ip6 *ip6 = ZN__MOD(st, ip6);
  uint32_t n = 0;
  for (uint32_t i = 0; i < ip6->naddr; i++) {
    const struct zn__ip6_addr *e = &ip6->addr[i];
    if (e->state == ZN__A6_FREE)
      continue;
    if (n < max) {
      struct zn_ipv6_addr_info *o = &out[n];
      memset(o, 0, sizeof(*o));
      o->addr.family = ZN_AF_INET6;
      memcpy(o->addr.bytes, e->a, 16);
      o->prefix = e->prefix;
      o->state = e->state; /* enum zn__ip6_addr_state == the public one */
      o->origin = e->origin;
      o->preferred_until = e->preferred_until;
      o->valid_until = e->valid_until;
    }
    n++;
  }
  return n;
}
