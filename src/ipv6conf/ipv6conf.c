/*
 * IPv6 host configuration: RFC 4862 (address states, DAD, SLAAC), RFC
 * 7217 (stable, semantically opaque interface identifiers), RFC 5453
 * (reserved identifiers), RFC 4861 §6.3 (router solicitation, router
 * advertisement processing, the default router and on-link prefix lists),
 * RFC 8106 (RDNSS, DNSSL) and RFC 3810 (MLDv2, host side).
 *
 * Every table is carved from the stack's memory at the size the config
 * asks (cfg.ipv6_*), so a flood of advertisements fills a table and is
 * counted, never grows anything.  Every deadline (DAD probes, lifetimes,
 * RS, MLD reports and query answers) is a time in ns in its entry; one
 * timer is armed at the earliest and each firing walks the tables, which
 * are a few dozen entries at most.
 *
 * Choices, each also noted where it is made:
 *  - no optimistic DAD (RFC 4429): an address is not used until DAD ends;
 *  - no MLDv1 compatibility mode (RFC 3810 §8): MLDv1 queries are counted
 *    (mld_drop_v1) and ignored; the querier on links we target speaks v2;
 *  - a router NUD gave up on (zn__ip6_router_lost) stays listed but
 *    is used only when no other router is, round-robin (RFC 4861 §6.3.6);
 *    its next advertisement clears the mark;
 *  - RFC 7217's Net_Iface is the MAC address and Network_ID is empty;
 *  - the random ReachableTime is recomputed when BaseReachableTime
 *    changes and every three hours (§6.3.4: "at least every few hours";
 *    src/ipv6 draws it).
 *
 * The address, router, prefix and group tables and the link parameters
 * are the interface's IPv6 state, in src/ipv6 (ZN__MOD(st, ip6)): this
 * module decides what goes into them and writes them there, and moves
 * their generation (zn__ip6_changed) after every change IPv6's caches
 * must see.  Its own tables are the RDNSS and DNSSL lists.
 *
 * This file holds the module's state, the timer, sending and start;
 * ipv6conf_addr.c the addresses and DAD, ipv6conf_ra.c router discovery
 * and SLAAC, ipv6conf_mld.c MLDv2 (ipv6conf_base.h: what they share).
 */
#include <string.h>

#include "core/module_int.h"
#include "ipv6/ipv6_int.h"
#include "ipv6conf/ipv6conf_base.h"
#include "znet/hash.h"

#define LIMIT_TABLE 64u

static uint32_t size_or(uint32_t v, uint32_t dflt) { return v ? v : dflt; }

bool zn__ip6conf_config_ok(const struct zn_config *cfg) {
  return cfg->ipv6_dns_servers <= LIMIT_TABLE &&
         cfg->ipv6_dns_search <= LIMIT_TABLE;
}

/* Table sizes: a 0 in the config means the default. */
struct sizes {
  uint32_t dns, search;
};

static struct sizes table_sizes(const struct zn_config *cfg) {
  struct sizes s;
  s.dns = size_or(cfg->ipv6_dns_servers, ZN_DEFAULT_IPV6_DNS_SERVERS);
  s.search = size_or(cfg->ipv6_dns_search, ZN_DEFAULT_IPV6_DNS_SEARCH);
  return s;
}

size_t zn__ip6conf_mem_size(const struct zn_config *cfg) {
  struct sizes s = table_sizes(cfg);
  return zn__carve_size(s.dns * sizeof(struct zn__ip6_dns)) +
         zn__carve_size(s.search * sizeof(struct zn__ip6_dns));
}

/* RFC 7217 §5 secret_key: from the seed, so that the same seed gives the
 * same addresses across restarts, apart from the table hash key. */
static void derive_secret(struct zn_stack *st) {
  static const char label[] = "znet RFC 7217 secret_key";
  uint64_t h0 = zn_siphash24(st->cfg.seed, label, sizeof(label));
  uint64_t h1 = zn_siphash24(st->cfg.seed + 16, label, sizeof(label));
  for (int i = 0; i < 8; i++) {
    ZN__MOD(st, ip6conf)->secret[i] = (uint8_t)(h0 >> (8 * i));
    ZN__MOD(st, ip6conf)->secret[8 + i] = (uint8_t)(h1 >> (8 * i));
  }
}

static void on_timer(struct zn_stack *st, struct zn_timer *t);

/* What IPv6 shows us from below: the ICMPv6 messages of our types
 * (router advertisements, and MLD: queries; reports, which a host only
 * counts), and the NS and NA about our addresses that DAD looks at.  IPv6
 * keeps a row for each of these types and room for two listeners, free
 * until now. */
static void register_handlers(struct zn_stack *st) {
  static const uint8_t mld[] = {ZN_ICMP6_MLD_QUERY, 131 /* MLDv1 report */,
                                132 /* MLDv1 done */, ZN_ICMP6_MLD2_REPORT};
  (void)zn__icmp6_register(st, ZN_ICMP6_ND_RA, zn__ip6conf_ra_input);
  for (size_t i = 0; i < sizeof(mld); i++)
    (void)zn__icmp6_register(st, mld[i], zn__ip6conf_mld_input);
  (void)zn__nd_listen(st, zn__ip6conf_nd_event);
}

void zn__ip6conf_init(struct zn_stack *st, void **mem) {
  struct zn__ip6conf *c = ZN__MOD(st, ip6conf);
  struct sizes s = table_sizes(&st->cfg);
  memset(c, 0, sizeof(*c));
  c->dns = zn__carve_zeroed(mem, s.dns * sizeof(*c->dns));
  c->search = zn__carve_zeroed(mem, s.search * sizeof(*c->search));
  c->ndns = s.dns;
  c->nsearch = s.search;
  zn_timer_init(&c->timer, on_timer);
  derive_secret(st);
  register_handlers(st);
}

void zn__ip6conf_destroy(struct zn_stack *st) {
  zn_timer_stop(st, &ZN__MOD(st, ip6conf)->timer);
}

/* ---- start (RFC 4862 §5.3, RFC 4861 §6.3.7) ------------------------- */

void zn__ip6conf_start(struct zn_stack *st) {
  struct zn__ip6conf *c = ZN__MOD(st, ip6conf);
  if (!st->cfg.ipv6 || c->disabled)
    return;
  c->running = true;
  zn__ip6conf_linklocal_create(st);
  c->rs_sent = 0;
  c->rs_done = false;
  c->rs_at = zn__ip6conf_after_rand_ms(st, MAX_RTR_SOLICITATION_DELAY_MS);
  zn__ip6conf_rearm(st);
}

static void on_timer(struct zn_stack *st, struct zn_timer *t) {
  (void)t;
  zn__ip6conf_addrs_due(st);
  zn__ip6conf_lists_due(st);
  zn__ip6conf_rs_due(st);
  zn__ip6conf_groups_due(st);
  zn__ip6conf_rearm(st);
}

static void ip6conf_config_default(struct zn_config *cfg) {
  cfg->ipv6_dns_servers = ZN_DEFAULT_IPV6_DNS_SERVERS;
  cfg->ipv6_dns_search = ZN_DEFAULT_IPV6_DNS_SEARCH;
  cfg->ipv6_dad_transmits = ZN_DEFAULT_IPV6_DAD_TRANSMITS;
}

const struct zn__module zn__ip6conf_module = {
    .name = "ip6conf",
    .id = ZN__MOD_ip6conf,
    .needs = ZN__MOD_BIT(ip6),
    .state_size = sizeof(struct zn__ip6conf),
    .config_default = ip6conf_config_default,
    .config_ok = zn__ip6conf_config_ok,
    .mem_size = zn__ip6conf_mem_size,
    .init = zn__ip6conf_init,
    .start = zn__ip6conf_start,
    .destroy = zn__ip6conf_destroy,
};
