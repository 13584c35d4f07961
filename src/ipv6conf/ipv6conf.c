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
 *  - a router NUD gave up on (zn__ip6conf_router_lost) stays listed but
 *    is used only when no other router is, round-robin (RFC 4861 §6.3.6);
 *    its next advertisement clears the mark;
 *  - RFC 7217's Net_Iface is the MAC address and Network_ID is empty;
 *  - the random ReachableTime is recomputed when BaseReachableTime
 *    changes, not also every few hours (§6.3.4's SHOULD).
 */
#include <string.h>

#include "core/stack_int.h"
#include "ipv6/ipv6_int.h"
#include "ipv6conf/ipv6conf_int.h"
#include "znet/err.h"
#include "znet/hash.h"
#include "znet/wire.h"

/* RFC 4861 §10 and RFC 4862 §5.5.3, RFC 7217 §7, RFC 3810 §9. */
#define MS 1000000ull
#define SEC 1000000000ull
#define NEVER UINT64_MAX
#define MAX_RTR_SOLICITATION_DELAY_MS 1000u
#define RTR_SOLICITATION_INTERVAL_MS 4000u
#define MAX_RTR_SOLICITATIONS 3u
#define REACHABLE_TIME_MS 30000u
#define RETRANS_TIMER_MS 1000u
#define MAX_REACHABLE_TIME_MS 3600000u
#define TWO_HOURS (7200ull * SEC)
#define IDGEN_RETRIES 3u
#define MLD_ROBUSTNESS 2u
#define MLD_UNSOLICITED_REPORT_MS 1000u
#define MLD_REPORT_MAX_RECORDS 60u
#define INFINITE_LIFETIME 0xffffffffu
#define LIMIT_TABLE 64u
#define LIMIT_GROUPS 256u

static const uint8_t all_nodes[16] = {0xff, 2, [15] = 1};
static const uint8_t all_routers[16] = {0xff, 2, [15] = 2};
static const uint8_t all_mldv2_routers[16] = {0xff, 2, [15] = 0x16};

static uint32_t size_or(uint32_t v, uint32_t dflt) { return v ? v : dflt; }

bool zn__ip6conf_config_ok(const struct zn_config *cfg) {
  return cfg->ipv6_addrs <= LIMIT_TABLE && cfg->ipv6_routers <= LIMIT_TABLE &&
         cfg->ipv6_prefixes <= LIMIT_TABLE &&
         cfg->ipv6_groups <= LIMIT_GROUPS &&
         cfg->ipv6_dns_servers <= LIMIT_TABLE &&
         cfg->ipv6_dns_search <= LIMIT_TABLE;
}

/* Table sizes: a 0 in the config means the default. */
struct sizes {
  uint32_t addr, router, prefix, group, dns, search;
};

static struct sizes table_sizes(const struct zn_config *cfg) {
  struct sizes s;
  s.addr = size_or(cfg->ipv6_addrs, ZN_DEFAULT_IPV6_ADDRS);
  s.router = size_or(cfg->ipv6_routers, ZN_DEFAULT_IPV6_ROUTERS);
  s.prefix = size_or(cfg->ipv6_prefixes, ZN_DEFAULT_IPV6_PREFIXES);
  s.group = size_or(cfg->ipv6_groups, ZN_DEFAULT_IPV6_GROUPS);
  s.dns = size_or(cfg->ipv6_dns_servers, ZN_DEFAULT_IPV6_DNS_SERVERS);
  s.search = size_or(cfg->ipv6_dns_search, ZN_DEFAULT_IPV6_DNS_SEARCH);
  return s;
}

size_t zn__ip6conf_mem_size(const struct zn_config *cfg) {
  struct sizes s = table_sizes(cfg);
  return zn__carve_size(s.addr * sizeof(struct zn__ip6_addr)) +
         zn__carve_size(s.router * sizeof(struct zn__ip6_router)) +
         zn__carve_size(s.prefix * sizeof(struct zn__ip6_prefix)) +
         zn__carve_size(s.group * sizeof(struct zn__ip6_group)) +
         zn__carve_size(s.dns * sizeof(struct zn__ip6_dns)) +
         zn__carve_size(s.search * sizeof(struct zn__ip6_dns));
}

static void *carve_zeroed(void **mem, size_t size) {
  void *p = zn__carve(mem, size);
  memset(p, 0, size);
  return p;
}

/* RFC 7217 §5 secret_key: from the seed, so that the same seed gives the
 * same addresses across restarts, apart from the table hash key. */
static void derive_secret(struct zn_stack *st) {
  static const char label[] = "znet RFC 7217 secret_key";
  uint64_t h0 = zn_siphash24(st->cfg.seed, label, sizeof(label));
  uint64_t h1 = zn_siphash24(st->cfg.seed + 16, label, sizeof(label));
  for (int i = 0; i < 8; i++) {
    st->ip6conf.secret[i] = (uint8_t)(h0 >> (8 * i));
    st->ip6conf.secret[8 + i] = (uint8_t)(h1 >> (8 * i));
  }
}

static void on_timer(struct zn_stack *st, struct zn_timer *t);

void zn__ip6conf_init(struct zn_stack *st, void **mem) {
  struct zn__ip6conf *c = &st->ip6conf;
  struct sizes s = table_sizes(&st->cfg);
  memset(c, 0, sizeof(*c));
  c->addr = carve_zeroed(mem, s.addr * sizeof(*c->addr));
  c->router = carve_zeroed(mem, s.router * sizeof(*c->router));
  c->prefix = carve_zeroed(mem, s.prefix * sizeof(*c->prefix));
  c->group = carve_zeroed(mem, s.group * sizeof(*c->group));
  c->dns = carve_zeroed(mem, s.dns * sizeof(*c->dns));
  c->search = carve_zeroed(mem, s.search * sizeof(*c->search));
  c->naddr = s.addr;
  c->nrouter = s.router;
  c->nprefix = s.prefix;
  c->ngroup = s.group;
  c->ndns = s.dns;
  c->nsearch = s.search;
  c->hop_limit = 64;
  c->base_reachable_ms = REACHABLE_TIME_MS;
  c->reachable_ms = REACHABLE_TIME_MS;
  c->retrans_ms = RETRANS_TIMER_MS;
  zn_timer_init(&c->timer, on_timer);
  derive_secret(st);
}

void zn__ip6conf_destroy(struct zn_stack *st) {
  zn_timer_stop(st, &st->ip6conf.timer);
}

/* ---- time ------------------------------------------------------------ */

/* A lifetime in seconds from now; infinity stays infinite. */
static uint64_t after_s(const struct zn_stack *st, uint32_t s) {
  return s == INFINITE_LIFETIME ? NEVER : st->now + (uint64_t)s * SEC;
}

/* A uniformly random time in [now, now + max_ms]. */
static uint64_t after_rand_ms(struct zn_stack *st, uint32_t max_ms) {
  return st->now + (uint64_t)zn__rng_below(&st->rng, max_ms + 1) * MS;
}

/* RFC 4861 §6.3.2: ReachableTime uniformly in [0.5, 1.5] *
 * BaseReachableTime. */
static void recompute_reachable(struct zn_stack *st) {
  struct zn__ip6conf *c = &st->ip6conf;
  uint32_t base = c->base_reachable_ms;
  c->reachable_ms = base / 2 + zn__rng_below(&st->rng, base + 1);
}

static void earliest(uint64_t *min, uint64_t t) {
  if (t != 0 && t < *min)
    *min = t;
}

static uint64_t addr_deadline(const struct zn__ip6_addr *e) {
  uint64_t t = NEVER;
  if (e->state == ZN__A6_FREE || e->state == ZN__A6_DUPLICATE)
    return t;
  if (e->state == ZN__A6_TENTATIVE)
    earliest(&t, e->dad_at);
  if (e->state == ZN__A6_PREFERRED)
    earliest(&t, e->preferred_until);
  earliest(&t, e->valid_until);
  return t;
}

/* Arm the module's timer at the earliest deadline of any table. */
static void rearm(struct zn_stack *st) {
  struct zn__ip6conf *c = &st->ip6conf;
  uint64_t t = NEVER;
  for (uint32_t i = 0; i < c->naddr; i++)
    earliest(&t, addr_deadline(&c->addr[i]));
  for (uint32_t i = 0; i < c->nrouter; i++)
    if (c->router[i].used)
      earliest(&t, c->router[i].expires);
  for (uint32_t i = 0; i < c->nprefix; i++)
    if (c->prefix[i].len)
      earliest(&t, c->prefix[i].expires);
  for (uint32_t i = 0; i < c->ngroup; i++) {
    if (c->group[i].report_left)
      earliest(&t, c->group[i].report_at);
    earliest(&t, c->group[i].answer_at);
  }
  for (uint32_t i = 0; i < c->ndns; i++)
    if (c->dns[i].used)
      earliest(&t, c->dns[i].expires);
  for (uint32_t i = 0; i < c->nsearch; i++)
    if (c->search[i].used)
      earliest(&t, c->search[i].expires);
  earliest(&t, c->rs_at);
  earliest(&t, c->general_at);
  if (t == NEVER)
    zn_timer_stop(st, &c->timer);
  else
    zn_timer_start(st, &c->timer, t);
}

/* ---- sending --------------------------------------------------------- */

/* Our link-local address if DAD is over (RFC 4861 §6.3.7, RFC 3810
 * §5.2.13: else the unspecified address). */
static const uint8_t *usable_linklocal(const struct zn_stack *st) {
  const struct zn__ip6conf *c = &st->ip6conf;
  for (uint32_t i = 0; i < c->naddr; i++) {
    const struct zn__ip6_addr *e = &c->addr[i];
    if (e->origin == ZN__A6_LINKLOCAL &&
        (e->state == ZN__A6_PREFERRED || e->state == ZN__A6_DEPRECATED))
      return e->a;
  }
  return NULL;
}

/* An empty buffer for a len-byte message, or NULL (counted). */
static uint8_t *msg_alloc(struct zn_stack *st, size_t len,
                          struct zn_buf **b) {
  if (!st->cfg.ipv6 || st->ip6conf.disabled)
    return NULL;
  *b = zn__buf_alloc(st, len);
  return *b ? zn_buf_put(*b, len) : NULL;
}

/* Checksum the ICMPv6 message in b and hand it to IPv6: from src (NULL:
 * from ::), hop limit hops, with a Router Alert if asked. */
static void msg_send(struct zn_stack *st, struct zn_buf *b,
                     const uint8_t *src, const uint8_t dst[16],
                     uint8_t hops, bool router_alert) {
  struct zn__inet_tx tx;
  memset(&tx, 0, sizeof(tx));
  tx.src.family = ZN_AF_INET6;
  if (src)
    memcpy(tx.src.bytes, src, 16);
  tx.src_unspecified = src == NULL;
  tx.dst.family = ZN_AF_INET6;
  memcpy(tx.dst.bytes, dst, 16);
  tx.ttl = hops;
  tx.df = true;
  tx.router_alert = router_alert;
  (void)zn__icmp6_send(st, b, &tx, false);
}

/* RFC 4862 §5.4.2: a probe from ::, to the target's solicited-node
 * group, without a source link-layer option. */
static void send_dad_ns(struct zn_stack *st, const uint8_t target[16]) {
  struct zn_buf *b = NULL;
  uint8_t *p = msg_alloc(st, ZN_ND_NS_LEN, &b);
  uint8_t dst[16];
  if (!p)
    return;
  zn_nd_ns_emit(p, target, NULL);
  zn_ipv6_solicited_node(target, dst);
  msg_send(st, b, NULL, dst, ZN_ND_HOP_LIMIT, false);
  ZN_STAT_INC(st, dad_ns_tx);
}

/* RFC 4861 §6.3.7: from the link-local address with our link-layer
 * address, or from :: without it. */
static void send_rs(struct zn_stack *st) {
  const uint8_t *src = usable_linklocal(st);
  struct zn_buf *b = NULL;
  uint8_t *p = msg_alloc(st, src ? 16 : 8, &b);
  if (!p)
    return;
  zn_nd_rs_emit(p, src ? st->mac : NULL);
  msg_send(st, b, src, all_routers, ZN_ND_HOP_LIMIT, false);
  ZN_STAT_INC(st, rs_tx);
}

/* RFC 3810 §5.2: a report with n records of one type, to ff02::16, hop
 * limit 1, with a Router Alert. */
static void send_report(struct zn_stack *st, uint8_t type,
                        const uint8_t (*groups)[16], size_t n) {
  struct zn_buf *b = NULL;
  uint8_t *p = msg_alloc(st, 8 + 20 * n, &b);
  if (!p)
    return;
  zn_mld2_report_emit(p, type, groups, n);
  msg_send(st, b, usable_linklocal(st), all_mldv2_routers, 1, true);
  ZN_STAT_INC(st, mld_report_tx);
}

/* ---- MLD membership (RFC 3810 §6.1) ---------------------------------- */

static struct zn__ip6_group *group_find(struct zn_stack *st,
                                        const uint8_t g[16]) {
  struct zn__ip6conf *c = &st->ip6conf;
  for (uint32_t i = 0; i < c->ngroup; i++) {
    struct zn__ip6_group *e = &c->group[i];
    if ((e->refs || e->report_left) && memcmp(e->g, g, 16) == 0)
      return e;
  }
  return NULL;
}

/* RFC 3810 §6: groups of scope 0 and 1 and all-nodes are never
 * reported. */
static bool group_reported(const uint8_t g[16]) {
  return zn_ipv6_mcast_scope(g) >= 2 && memcmp(g, all_nodes, 16) != 0;
}

/* RFC 3810 §6.1: a state change is reported at once and repeated
 * Robustness Variable - 1 times at random intervals up to the Unsolicited
 * Report Interval. */
static void group_state_change(struct zn_stack *st, struct zn__ip6_group *e,
                               uint8_t type) {
  e->report_type = type;
  e->report_left = group_reported(e->g) ? MLD_ROBUSTNESS : 0;
  e->report_at = st->now;
  e->answer_at = 0;
}

int zn__ip6conf_mcast_join(struct zn_stack *st, const uint8_t g[16]) {
  struct zn__ip6conf *c = &st->ip6conf;
  if (!zn_ipv6_addr_is_mcast(g))
    return ZN_EINVAL;
  if (memcmp(g, all_nodes, 16) == 0)
    return ZN_OK;
  struct zn__ip6_group *e = group_find(st, g);
  if (e && e->refs) {
    e->refs++;
    return ZN_OK;
  }
  for (uint32_t i = 0; i < c->ngroup && !e; i++)
    if (!c->group[i].refs && !c->group[i].report_left)
      e = &c->group[i];
  if (!e) {
    ZN_STAT_INC(st, mld_group_full);
    return ZN_ENOSPC;
  }
  memcpy(e->g, g, 16);
  e->refs = 1;
  group_state_change(st, e, ZN_MLD2_CHANGE_TO_EXCLUDE_MODE);
  rearm(st);
  return ZN_OK;
}

int zn__ip6conf_mcast_leave(struct zn_stack *st, const uint8_t g[16]) {
  if (memcmp(g, all_nodes, 16) == 0)
    return ZN_OK;
  struct zn__ip6_group *e = group_find(st, g);
  if (!e || !e->refs)
    return ZN_ENOENT;
  if (--e->refs == 0) {
    group_state_change(st, e, ZN_MLD2_CHANGE_TO_INCLUDE_MODE);
    rearm(st);
  }
  return ZN_OK;
}

bool zn__ip6conf_mcast_joined(const struct zn_stack *st, const uint8_t g[16]) {
  const struct zn__ip6conf *c = &st->ip6conf;
  if (memcmp(g, all_nodes, 16) == 0)
    return true;
  for (uint32_t i = 0; i < c->ngroup; i++)
    if (c->group[i].refs && memcmp(c->group[i].g, g, 16) == 0)
      return true;
  return false;
}

/* RFC 3810 §6.2: the pending answer to a general query: every group we
 * are in, as MODE_IS_EXCLUDE with no sources, in as few reports as
 * fit. */
static void answer_general_query(struct zn_stack *st) {
  struct zn__ip6conf *c = &st->ip6conf;
  uint8_t groups[MLD_REPORT_MAX_RECORDS][16];
  size_t n = 0;
  for (uint32_t i = 0; i < c->ngroup; i++) {
    if (!c->group[i].refs || !group_reported(c->group[i].g))
      continue;
    memcpy(groups[n++], c->group[i].g, 16);
    if (n == MLD_REPORT_MAX_RECORDS) {
      send_report(st, ZN_MLD2_MODE_IS_EXCLUDE, (const uint8_t(*)[16])groups,
                  n);
      n = 0;
    }
  }
  if (n)
    send_report(st, ZN_MLD2_MODE_IS_EXCLUDE, (const uint8_t(*)[16])groups, n);
}

static void groups_due(struct zn_stack *st) {
  struct zn__ip6conf *c = &st->ip6conf;
  for (uint32_t i = 0; i < c->ngroup; i++) {
    struct zn__ip6_group *e = &c->group[i];
    if (e->report_left && e->report_at <= st->now) {
      send_report(st, e->report_type, (const uint8_t(*)[16])e->g, 1);
      e->report_left--;
      e->report_at = e->report_left
                         ? after_rand_ms(st, MLD_UNSOLICITED_REPORT_MS)
                         : 0;
    }
    if (e->answer_at && e->answer_at <= st->now) {
      e->answer_at = 0;
      if (e->refs)
        send_report(st, ZN_MLD2_MODE_IS_EXCLUDE, (const uint8_t(*)[16])e->g,
                    1);
    }
  }
  if (c->general_at && c->general_at <= st->now) {
    c->general_at = 0;
    answer_general_query(st);
  }
}

/* ---- interface identifiers (RFC 7217, RFC 5453) ---------------------- */

bool zn__ip6conf_iid_reserved(const uint8_t iid[8]) {
  static const uint8_t zero[8];
  static const uint8_t anycast[7] = {0xfd, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  static const uint8_t pmip[5] = {0x02, 0x00, 0x5e, 0xff, 0xfe};
  if (memcmp(iid, zero, 8) == 0) /* subnet-router anycast */
    return true;
  if (memcmp(iid, anycast, 7) == 0 && iid[7] >= 0x80) /* RFC 2526 */
    return true;
  return memcmp(iid, pmip, 5) == 0; /* 0200:5eff:fe00:0-0200:5eff:feff:ffff */
}

/* RFC 7217 §5: RID = F(Prefix, Net_Iface, Network_ID, DAD_Counter,
 * secret_key) with F = SipHash-2-4, Net_Iface our MAC, no Network_ID. */
void zn__ip6conf_stable_iid(const struct zn_stack *st, const uint8_t pfx[8],
                            uint8_t dad_counter, uint8_t iid[8]) {
  for (int tries = 0; tries < 16; tries++) {
    uint8_t in[8 + 6 + 1];
    memcpy(in, pfx, 8);
    memcpy(in + 8, st->mac, 6);
    in[14] = (uint8_t)(dad_counter + tries);
    uint64_t h = zn_siphash24(st->ip6conf.secret, in, sizeof(in));
    for (int i = 0; i < 8; i++)
      iid[i] = (uint8_t)(h >> (56 - 8 * i));
    if (!zn__ip6conf_iid_reserved(iid))
      return;
  }
}

/* ---- the address table (RFC 4862) ----------------------------------- */

/* The tables are carved memory behind pointers: a const stack still
 * gives writable entries, which the lookups below rely on. */
static struct zn__ip6_addr *addr_lookup(const struct zn_stack *st,
                                        const uint8_t a[16]) {
  for (uint32_t i = 0; i < st->ip6conf.naddr; i++) {
    struct zn__ip6_addr *e = &st->ip6conf.addr[i];
    if (e->state != ZN__A6_FREE && memcmp(e->a, a, 16) == 0)
      return e;
  }
  return NULL;
}

const struct zn__ip6_addr *zn__ip6conf_addr_find(const struct zn_stack *st,
                                                 const uint8_t a[16]) {
  return addr_lookup(st, a);
}

const struct zn__ip6_addr *zn__ip6conf_addr_at(const struct zn_stack *st,
                                               uint32_t i) {
  return i < st->ip6conf.naddr ? &st->ip6conf.addr[i] : NULL;
}

uint32_t zn__ip6conf_addr_count(const struct zn_stack *st) {
  return st->ip6conf.naddr;
}

/* Addresses in these states hold a reference on their solicited-node
 * group. */
static bool addr_in_group(const struct zn__ip6_addr *e) {
  return e->state == ZN__A6_TENTATIVE || e->state == ZN__A6_PREFERRED ||
         e->state == ZN__A6_DEPRECATED;
}

static void leave_solicited(struct zn_stack *st, const uint8_t a[16]) {
  uint8_t sn[16];
  zn_ipv6_solicited_node(a, sn);
  (void)zn__ip6conf_mcast_leave(st, sn);
}

/* RFC 4862 §5.4.2: join the solicited-node group, then probe after a
 * random delay of up to MAX_RTR_SOLICITATION_DELAY.  No optimistic DAD
 * (RFC 4429): the address stays TENTATIVE, unused, until DAD ends. */
static void dad_start(struct zn_stack *st, struct zn__ip6_addr *e) {
  uint8_t sn[16];
  zn_ipv6_solicited_node(e->a, sn);
  (void)zn__ip6conf_mcast_join(st, sn); /* full: DAD still runs */
  e->dad_left = st->cfg.ipv6_dad_transmits;
  if (e->dad_left == 0) { /* §5.4: DupAddrDetectTransmits 0, no DAD */
    e->state = ZN__A6_PREFERRED;
    e->dad_at = 0;
    rearm(st);
    return;
  }
  e->state = ZN__A6_TENTATIVE;
  e->dad_at = after_rand_ms(st, MAX_RTR_SOLICITATION_DELAY_MS);
  if (e->dad_at == 0) /* 0 means "not scheduled": a clock at 0 */
    e->dad_at = 1;
  rearm(st);
}

static struct zn__ip6_addr *addr_add(struct zn_stack *st, const uint8_t a[16],
                                     uint8_t prefix, uint8_t origin) {
  struct zn__ip6conf *c = &st->ip6conf;
  for (uint32_t i = 0; i < c->naddr; i++) {
    struct zn__ip6_addr *e = &c->addr[i];
    if (e->state != ZN__A6_FREE)
      continue;
    memset(e, 0, sizeof(*e));
    memcpy(e->a, a, 16);
    e->prefix = prefix;
    e->origin = origin;
    e->preferred_until = NEVER;
    e->valid_until = NEVER;
    dad_start(st, e);
    return e;
  }
  ZN_STAT_INC(st, ip6conf_addr_full);
  return NULL;
}

static void addr_remove(struct zn_stack *st, struct zn__ip6_addr *e) {
  if (addr_in_group(e))
    leave_solicited(st, e->a);
  memset(e, 0, sizeof(*e));
}

/* RFC 4862 §5.4.5: stop using IPv6 on the link (no more RS, reports,
 * probes; RAs dropped). */
static void ipv6_disable(struct zn_stack *st) {
  struct zn__ip6conf *c = &st->ip6conf;
  c->running = false;
  c->disabled = true;
  c->rs_at = 0;
  c->general_at = 0;
  ZN_STAT_INC(st, ip6conf_disabled);
  ZN_LOG(st, ZN_LOG_ERROR, "ipv6: link-local address is a duplicate: "
                           "IPv6 disabled on this interface");
}

/* RFC 4862 §5.4.5 with RFC 7217 §6: a generated address is regenerated
 * with the next DAD_Counter up to IDGEN_RETRIES times; a static one, or a
 * generated one out of retries, is DUPLICATE, and a duplicate link-local
 * address stops IPv6. */
static void dad_failed(struct zn_stack *st, struct zn__ip6_addr *e) {
  leave_solicited(st, e->a);
  ZN_LOG(st, ZN_LOG_WARN, "ipv6: duplicate address (origin %u, counter %u)",
         (unsigned)e->origin, (unsigned)e->dad_counter);
  if (e->origin != ZN__A6_STATIC && e->dad_counter < IDGEN_RETRIES) {
    e->dad_counter++;
    zn__ip6conf_stable_iid(st, e->a, e->dad_counter, e->a + 8);
    ZN_STAT_INC(st, dad_regen);
    dad_start(st, e);
    return;
  }
  e->state = ZN__A6_DUPLICATE;
  e->dad_at = 0;
  if (e->origin == ZN__A6_LINKLOCAL)
    ipv6_disable(st);
  rearm(st);
}

/* RFC 4862 §5.4.2: the next probe, or RetransTimer after the last one,
 * success. */
static void dad_step(struct zn_stack *st, struct zn__ip6_addr *e) {
  if (e->dad_left) {
    send_dad_ns(st, e->a);
    e->dad_left--;
    e->dad_at = st->now + (uint64_t)st->ip6conf.retrans_ms * MS;
    return;
  }
  e->dad_at = 0;
  e->state = e->preferred_until <= st->now ? ZN__A6_DEPRECATED
                                           : ZN__A6_PREFERRED;
  ZN_STAT_INC(st, dad_ok);
}

/* RFC 4862 §5.5.4: deprecation and removal on lifetime expiry. */
static void addrs_due(struct zn_stack *st) {
  struct zn__ip6conf *c = &st->ip6conf;
  for (uint32_t i = 0; i < c->naddr; i++) {
    struct zn__ip6_addr *e = &c->addr[i];
    if (e->state == ZN__A6_FREE)
      continue;
    if (e->valid_until <= st->now) {
      addr_remove(st, e);
      ZN_STAT_INC(st, slaac_expired);
      continue;
    }
    if (e->state == ZN__A6_TENTATIVE && e->dad_at && e->dad_at <= st->now)
      dad_step(st, e);
    if (e->state == ZN__A6_PREFERRED && e->preferred_until <= st->now) {
      e->state = ZN__A6_DEPRECATED;
      ZN_STAT_INC(st, slaac_deprecated);
    }
  }
}

void zn__ip6conf_dad_ns(struct zn_stack *st, const uint8_t target[16],
                        bool from_unspecified) {
  struct zn__ip6_addr *e = addr_lookup(st, target);
  /* §5.4.3: only another node's probe (from ::) is a conflict; an NS for
   * a tentative address from a unicast source is silently ignored. */
  if (!e || e->state != ZN__A6_TENTATIVE || !from_unspecified)
    return;
  ZN_STAT_INC(st, dad_dup_ns);
  dad_failed(st, e);
}

void zn__ip6conf_dad_na(struct zn_stack *st, const uint8_t target[16]) {
  struct zn__ip6_addr *e = addr_lookup(st, target);
  if (!e || e->state == ZN__A6_DUPLICATE)
    return;
  if (e->state != ZN__A6_TENTATIVE) {
    /* §5.4.4: an address already in use: log it, keep it. */
    ZN_STAT_INC(st, dad_na_assigned);
    ZN_LOG(st, ZN_LOG_WARN, "ipv6: NA for one of our addresses (origin %u)",
           (unsigned)e->origin);
    return;
  }
  ZN_STAT_INC(st, dad_dup_na);
  dad_failed(st, e);
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
  return addr_add(st, addr->bytes, prefix, ZN__A6_STATIC) ? ZN_OK
                                                          : ZN_ENOSPC;
}

int zn_stack_del_ipv6(struct zn_stack *st, const struct zn_ip *addr) {
  struct zn__ip6_addr *e =
      addr->family == ZN_AF_INET6 ? addr_lookup(st, addr->bytes) : NULL;
  if (!e)
    return ZN_ENOENT;
  addr_remove(st, e);
  rearm(st);
  return ZN_OK;
}

uint32_t zn_stack_ipv6_addrs(const struct zn_stack *st,
                             struct zn_ipv6_addr_info *out, uint32_t max) {
  const struct zn__ip6conf *c = &st->ip6conf;
  uint32_t n = 0;
  for (uint32_t i = 0; i < c->naddr; i++) {
    const struct zn__ip6_addr *e = &c->addr[i];
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

/* ---- start (RFC 4862 §5.3, RFC 4861 §6.3.7) ------------------------- */

static void linklocal_create(struct zn_stack *st) {
  uint8_t a[16] = {0xfe, 0x80};
  zn__ip6conf_stable_iid(st, a, 0, a + 8);
  (void)addr_add(st, a, 64, ZN__A6_LINKLOCAL);
}

void zn__ip6conf_start(struct zn_stack *st) {
  struct zn__ip6conf *c = &st->ip6conf;
  if (!st->cfg.ipv6 || c->disabled)
    return;
  c->running = true;
  recompute_reachable(st);
  linklocal_create(st);
  c->rs_sent = 0;
  c->rs_done = false;
  c->rs_at = after_rand_ms(st, MAX_RTR_SOLICITATION_DELAY_MS);
  rearm(st);
}

/* RFC 4861 §6.3.7: up to MAX_RTR_SOLICITATIONS, RTR_SOLICITATION_INTERVAL
 * apart, until an advertisement arrives. */
static void rs_due(struct zn_stack *st) {
  struct zn__ip6conf *c = &st->ip6conf;
  if (!c->rs_at || c->rs_at > st->now)
    return;
  c->rs_at = 0;
  if (c->rs_done || !c->running)
    return;
  send_rs(st);
  if (++c->rs_sent < MAX_RTR_SOLICITATIONS)
    c->rs_at = st->now + (uint64_t)RTR_SOLICITATION_INTERVAL_MS * MS;
  else
    c->rs_done = true;
}

/* ---- routers, prefixes, DNS: lists with lifetimes -------------------- */

static bool in_prefix(const uint8_t a[16], const uint8_t p[16], uint8_t len) {
  uint8_t whole = len / 8, bits = len % 8;
  if (memcmp(a, p, whole) != 0)
    return false;
  if (bits == 0)
    return true;
  uint8_t mask = (uint8_t)(0xff << (8 - bits));
  return ((a[whole] ^ p[whole]) & mask) == 0;
}

static void lists_due(struct zn_stack *st) {
  struct zn__ip6conf *c = &st->ip6conf;
  for (uint32_t i = 0; i < c->nrouter; i++)
    if (c->router[i].used && c->router[i].expires <= st->now) {
      memset(&c->router[i], 0, sizeof(c->router[i]));
      ZN_STAT_INC(st, ra_router_expired);
    }
  for (uint32_t i = 0; i < c->nprefix; i++)
    if (c->prefix[i].len && c->prefix[i].expires <= st->now) {
      memset(&c->prefix[i], 0, sizeof(c->prefix[i]));
      ZN_STAT_INC(st, ra_prefix_expired);
    }
  for (uint32_t i = 0; i < c->ndns; i++)
    if (c->dns[i].used && c->dns[i].expires <= st->now)
      memset(&c->dns[i], 0, sizeof(c->dns[i]));
  for (uint32_t i = 0; i < c->nsearch; i++)
    if (c->search[i].used && c->search[i].expires <= st->now)
      memset(&c->search[i], 0, sizeof(c->search[i]));
}

static void on_timer(struct zn_stack *st, struct zn_timer *t) {
  (void)t;
  addrs_due(st);
  lists_due(st);
  rs_due(st);
  groups_due(st);
  rearm(st);
}

/* RFC 4861 §6.3.6: a router not known unreachable, round-robin from the
 * last one given up on; when all are, round-robin over them all. */
static const uint8_t *router_choose(struct zn_stack *st) {
  struct zn__ip6conf *c = &st->ip6conf;
  for (uint32_t k = 0; k < c->nrouter; k++) {
    struct zn__ip6_router *r = &c->router[(c->rr + k) % c->nrouter];
    if (r->used && !r->lost)
      return r->ip;
  }
  for (uint32_t k = 0; k < c->nrouter; k++) {
    uint32_t i = (c->rr + k) % c->nrouter;
    if (c->router[i].used) {
      c->rr = (i + 1) % c->nrouter;
      return c->router[i].ip;
    }
  }
  return NULL;
}

static bool on_link(const struct zn_stack *st, const uint8_t dst[16]) {
  const struct zn__ip6conf *c = &st->ip6conf;
  if (zn_ipv6_addr_is_linklocal(dst))
    return true;
  for (uint32_t i = 0; i < c->nprefix; i++)
    if (c->prefix[i].len && in_prefix(dst, c->prefix[i].p, c->prefix[i].len))
      return true;
  for (uint32_t i = 0; i < c->naddr; i++) {
    const struct zn__ip6_addr *e = &c->addr[i];
    if (e->origin == ZN__A6_STATIC && e->prefix > 0 &&
        (e->state == ZN__A6_PREFERRED || e->state == ZN__A6_DEPRECATED) &&
        in_prefix(dst, e->a, e->prefix))
      return true;
  }
  return false;
}

int zn__ip6conf_next_hop(struct zn_stack *st, const uint8_t dst[16],
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

void zn__ip6conf_router_lost(struct zn_stack *st, const uint8_t ip[16]) {
  struct zn__ip6conf *c = &st->ip6conf;
  for (uint32_t i = 0; i < c->nrouter; i++)
    if (c->router[i].used && memcmp(c->router[i].ip, ip, 16) == 0) {
      c->router[i].lost = true;
      c->rr = (i + 1) % c->nrouter;
    }
}

uint8_t zn__ip6conf_hop_limit(const struct zn_stack *st) {
  return st->ip6conf.hop_limit;
}

uint32_t zn__ip6conf_link_mtu(const struct zn_stack *st) {
  if (st->ip6conf.mtu)
    return st->ip6conf.mtu;
  return st->nif ? st->nif->mtu : ZN_DEFAULT_MTU;
}

uint32_t zn__ip6conf_reachable_ms(const struct zn_stack *st) {
  return st->ip6conf.reachable_ms;
}

uint32_t zn__ip6conf_retrans_ms(const struct zn_stack *st) {
  return st->ip6conf.retrans_ms;
}

/* ---- router advertisements (RFC 4861 §6.1.2, §6.3.4) ----------------- */

/* RFC 4861 §6.1.2: link-local source, hop limit 255 (no off-link
 * sender), code 0, at least 16 bytes, every option well formed.  The
 * checksum is src/ipv6's. */
static bool ra_valid(struct zn_stack *st, const struct zn_buf *b,
                     const struct zn__inet_meta *m, struct zn_nd_view *nd,
                     struct zn_nd_opts *o) {
  struct zn_icmp6_view v;
  if (!st->ip6conf.running) {
    ZN_STAT_INC(st, ra_drop_disabled);
    return false;
  }
  if (m->src.family != ZN_AF_INET6 || !zn_ipv6_addr_is_linklocal(m->src.bytes)) {
    ZN_STAT_INC(st, ra_drop_src);
    return false;
  }
  if (m->ttl != ZN_ND_HOP_LIMIT) {
    ZN_STAT_INC(st, ra_drop_hop_limit);
    return false;
  }
  if (zn_icmp6_view_init(&v, b->data, b->len) != ZN_OK ||
      zn_nd_view_init(nd, &v) != ZN_OK || nd->type != ZN_ICMP6_ND_RA) {
    ZN_STAT_INC(st, ra_drop_malformed);
    return false;
  }
  if (zn_nd_opts_parse(nd, o) != ZN_OK) {
    ZN_STAT_INC(st, ra_drop_opts);
    return false;
  }
  return true;
}

/* The known options that carry values must decode: a prefix, MTU, RDNSS
 * or DNSSL option of a wrong length makes the whole RA invalid. */
static bool ra_options_decode(const struct zn_nd_view *nd) {
  struct zn_nd_opt_iter it;
  struct zn_nd_opt o;
  zn_nd_opt_iter_init(&it, nd);
  while (zn_nd_opt_next(&it, &o) == ZN_OK) {
    struct zn_nd_prefix pi;
    uint32_t u;
    size_t n;
    int r = ZN_OK;
    if (o.type == ZN_ND_OPT_PREFIX)
      r = zn_nd_opt_prefix(&o, &pi);
    else if (o.type == ZN_ND_OPT_MTU)
      r = zn_nd_opt_mtu(&o, &u);
    else if (o.type == ZN_ND_OPT_RDNSS)
      r = zn_nd_opt_rdnss(&o, &u, &n);
    else if (o.type == ZN_ND_OPT_DNSSL)
      r = zn_nd_opt_dnssl(&o, &u, &n);
    if (r != ZN_OK)
      return false;
  }
  return true;
}

/* RFC 4861 §6.3.4: the router's entry in the default router list. */
static void ra_router(struct zn_stack *st, const uint8_t src[16],
                      uint16_t lifetime_s) {
  struct zn__ip6conf *c = &st->ip6conf;
  struct zn__ip6_router *r = NULL, *free_slot = NULL;
  for (uint32_t i = 0; i < c->nrouter; i++) {
    if (c->router[i].used && memcmp(c->router[i].ip, src, 16) == 0)
      r = &c->router[i];
    else if (!c->router[i].used && !free_slot)
      free_slot = &c->router[i];
  }
  if (lifetime_s == 0) {
    if (r)
      memset(r, 0, sizeof(*r));
    return;
  }
  if (!r && !free_slot) {
    ZN_STAT_INC(st, ra_router_full);
    return;
  }
  if (!r) {
    r = free_slot;
    memcpy(r->ip, src, 16);
    r->used = true;
  }
  r->lost = false;
  r->expires = st->now + (uint64_t)lifetime_s * SEC;
}

/* RFC 4861 §6.3.4: Cur Hop Limit, BaseReachableTime, RetransTimer. */
static void ra_parameters(struct zn_stack *st, const struct zn_nd_view *nd) {
  struct zn__ip6conf *c = &st->ip6conf;
  if (nd->cur_hop_limit)
    c->hop_limit = nd->cur_hop_limit;
  if (nd->reachable_time && nd->reachable_time <= MAX_REACHABLE_TIME_MS &&
      nd->reachable_time != c->base_reachable_ms) {
    c->base_reachable_ms = nd->reachable_time;
    recompute_reachable(st);
  }
  if (nd->retrans_timer)
    c->retrans_ms = nd->retrans_timer;
}

/* RFC 4861 §6.3.4: MTU option, bounded to 1280..the link's MTU. */
static void ra_mtu(struct zn_stack *st, uint32_t mtu) {
  uint32_t link = st->nif ? st->nif->mtu : ZN_DEFAULT_MTU;
  if (mtu < 1280 || mtu > link) {
    ZN_STAT_INC(st, ra_mtu_ignored);
    return;
  }
  st->ip6conf.mtu = mtu;
}

/* RFC 4861 §6.3.4: the on-link prefix list (L flag). */
static void onlink_prefix(struct zn_stack *st, const struct zn_nd_prefix *pi) {
  struct zn__ip6conf *c = &st->ip6conf;
  struct zn__ip6_prefix *e = NULL, *free_slot = NULL;
  if (pi->prefix_len == 0)
    return;
  for (uint32_t i = 0; i < c->nprefix; i++) {
    struct zn__ip6_prefix *p = &c->prefix[i];
    if (p->len == pi->prefix_len && in_prefix(pi->prefix, p->p, p->len))
      e = p;
    else if (!p->len && !free_slot)
      free_slot = p;
  }
  if (pi->valid_lifetime == 0) {
    if (e)
      memset(e, 0, sizeof(*e));
    return;
  }
  if (!e && !free_slot) {
    ZN_STAT_INC(st, ra_prefix_full);
    return;
  }
  if (!e) {
    e = free_slot;
    memset(e->p, 0, 16);
    memcpy(e->p, pi->prefix, (pi->prefix_len + 7u) / 8u);
    if (pi->prefix_len % 8)
      e->p[pi->prefix_len / 8] &= (uint8_t)(0xff << (8 - pi->prefix_len % 8));
    e->len = pi->prefix_len;
  }
  e->expires = after_s(st, pi->valid_lifetime);
}

static struct zn__ip6_addr *slaac_find(struct zn_stack *st,
                                       const uint8_t pfx[8]) {
  struct zn__ip6conf *c = &st->ip6conf;
  for (uint32_t i = 0; i < c->naddr; i++)
    if (c->addr[i].state != ZN__A6_FREE &&
        c->addr[i].origin == ZN__A6_SLAAC && memcmp(c->addr[i].a, pfx, 8) == 0)
      return &c->addr[i];
  return NULL;
}

/* RFC 4862 §5.5.3 e): the preferred lifetime is reset; the valid one
 * follows the two-hour rule against spoofed short lifetimes. */
static void slaac_update(struct zn_stack *st, struct zn__ip6_addr *e,
                         const struct zn_nd_prefix *pi) {
  uint64_t adv = after_s(st, pi->valid_lifetime);
  uint64_t remaining = e->valid_until - st->now;
  e->preferred_until = after_s(st, pi->preferred_lifetime);
  if (e->state == ZN__A6_PREFERRED && e->preferred_until <= st->now)
    e->state = ZN__A6_DEPRECATED;
  else if (e->state == ZN__A6_DEPRECATED && e->preferred_until > st->now)
    e->state = ZN__A6_PREFERRED;
  if (adv == NEVER || adv - st->now > TWO_HOURS ||
      (e->valid_until != NEVER && adv - st->now > remaining)) {
    e->valid_until = adv;
  } else if (e->valid_until != NEVER && remaining <= TWO_HOURS) {
    ZN_STAT_INC(st, slaac_two_hour); /* ignore the advertised value */
  } else {
    e->valid_until = st->now + TWO_HOURS;
    ZN_STAT_INC(st, slaac_two_hour);
  }
}

/* RFC 4862 §5.5.3 d): a new /64 prefix forms an address (RFC 7217 IID),
 * which goes through DAD. */
static void slaac_prefix(struct zn_stack *st, const struct zn_nd_prefix *pi) {
  if (pi->prefix_len != 64) {
    ZN_STAT_INC(st, slaac_prefix_len);
    return;
  }
  struct zn__ip6_addr *e = slaac_find(st, pi->prefix);
  if (e) {
    if (e->state != ZN__A6_DUPLICATE)
      slaac_update(st, e, pi);
    return;
  }
  if (pi->valid_lifetime == 0)
    return;
  uint8_t a[16];
  memcpy(a, pi->prefix, 8);
  zn__ip6conf_stable_iid(st, a, 0, a + 8);
  e = addr_add(st, a, 64, ZN__A6_SLAAC);
  if (!e)
    return;
  e->preferred_until = after_s(st, pi->preferred_lifetime);
  e->valid_until = after_s(st, pi->valid_lifetime);
  ZN_STAT_INC(st, slaac_addr_added);
}

/* RFC 4861 §6.3.4 and RFC 4862 §5.5.3 a)-c) for one prefix option. */
static void ra_prefix(struct zn_stack *st, const struct zn_nd_prefix *pi) {
  if (zn_ipv6_addr_is_linklocal(pi->prefix) ||
      pi->preferred_lifetime > pi->valid_lifetime) {
    ZN_STAT_INC(st, ra_prefix_ignored);
    return;
  }
  if (pi->flags & ZN_ND_PREFIX_FLAG_L)
    onlink_prefix(st, pi);
  if ((pi->flags & ZN_ND_PREFIX_FLAG_A) && st->cfg.ipv6_slaac)
    slaac_prefix(st, pi);
}

/* An RDNSS (a, name "") or DNSSL (a NULL, name) entry: update, add, or
 * (lifetime 0) remove. */
static void dns_entry(struct zn_stack *st, struct zn__ip6_dns *tbl,
                      uint32_t n, const uint8_t *a, const char *name,
                      size_t name_len, uint32_t lifetime) {
  struct zn__ip6_dns *e = NULL, *free_slot = NULL;
  for (uint32_t i = 0; i < n; i++) {
    struct zn__ip6_dns *d = &tbl[i];
    bool same = a ? memcmp(d->a, a, 16) == 0
                  : memcmp(d->name, name, name_len) == 0 &&
                        d->name[name_len] == 0;
    if (d->used && same)
      e = d;
    else if (!d->used && !free_slot)
      free_slot = d;
  }
  if (lifetime == 0) {
    if (e)
      memset(e, 0, sizeof(*e));
    return;
  }
  if (!e && !free_slot) {
    ZN_STAT_INC(st, ra_dns_full);
    return;
  }
  if (!e) {
    e = free_slot;
    memset(e, 0, sizeof(*e));
    e->used = true;
    if (a)
      memcpy(e->a, a, 16);
    else
      memcpy(e->name, name, name_len);
  }
  e->expires = after_s(st, lifetime);
}

/* RFC 8106 §5.2: each name of a DNSSL option, checked by
 * zn_nd_opt_dnssl, as a dotted string. */
static void ra_dnssl(struct zn_stack *st, const struct zn_nd_opt *o,
                     uint32_t lifetime) {
  const uint8_t *p = o->p + 8;
  size_t len = o->len - 8, i = 0;
  while (i < len && p[i] != 0) {
    char name[256];
    size_t n = 0;
    while (i < len && p[i] != 0 && n + p[i] + 1 < sizeof(name)) {
      if (n)
        name[n++] = '.';
      memcpy(name + n, p + i + 1, p[i]);
      n += p[i];
      i += 1u + p[i];
    }
    i++; /* the name's zero byte */
    name[n] = 0;
    dns_entry(st, st->ip6conf.search, st->ip6conf.nsearch, NULL, name, n,
              lifetime);
  }
}

/* Apply every option of a valid RA (decoding succeeds: ra_options_decode
 * checked). */
static void ra_options(struct zn_stack *st, const struct zn_nd_view *nd) {
  struct zn_nd_opt_iter it;
  struct zn_nd_opt o;
  zn_nd_opt_iter_init(&it, nd);
  while (zn_nd_opt_next(&it, &o) == ZN_OK) {
    struct zn_nd_prefix pi;
    uint32_t u;
    size_t n;
    if (o.type == ZN_ND_OPT_PREFIX && zn_nd_opt_prefix(&o, &pi) == ZN_OK) {
      ra_prefix(st, &pi);
    } else if (o.type == ZN_ND_OPT_MTU && zn_nd_opt_mtu(&o, &u) == ZN_OK) {
      ra_mtu(st, u);
    } else if (o.type == ZN_ND_OPT_RDNSS &&
               zn_nd_opt_rdnss(&o, &u, &n) == ZN_OK) {
      for (size_t i = 0; i < n; i++)
        dns_entry(st, st->ip6conf.dns, st->ip6conf.ndns,
                  zn_nd_opt_rdnss_addr(&o, i), "", 0, u);
    } else if (o.type == ZN_ND_OPT_DNSSL &&
               zn_nd_opt_dnssl(&o, &u, &n) == ZN_OK) {
      ra_dnssl(st, &o, u);
    }
  }
}

void zn__ip6conf_ra_input(struct zn_stack *st, struct zn_buf *b,
                          const struct zn__inet_meta *m) {
  struct zn_nd_view nd;
  struct zn_nd_opts o;
  ZN_STAT_INC(st, ra_rx);
  if (!ra_valid(st, b, m, &nd, &o))
    goto drop; /* counted inside, by reason */
  if (!ra_options_decode(&nd)) {
    ZN_STAT_INC(st, ra_drop_opts);
    goto drop;
  }
  ZN_STAT_INC(st, ra_accepted);
  st->ip6conf.rs_done = true; /* §6.3.7: no more solicitations */
  st->ip6conf.rs_at = 0;
  if (o.slla)
    zn__nd_learn(st, m->src.bytes, o.slla, true);
  ra_parameters(st, &nd);
  ra_router(st, m->src.bytes, nd.router_lifetime);
  ra_options(st, &nd);
  rearm(st);
drop:
  zn_buf_free(b);
}

int zn_stack_ipv6_dns_server(const struct zn_stack *st, uint32_t i,
                             struct zn_ip *out) {
  const struct zn__ip6conf *c = &st->ip6conf;
  for (uint32_t k = 0; k < c->ndns; k++) {
    if (!c->dns[k].used || i-- != 0)
      continue;
    memset(out, 0, sizeof(*out));
    out->family = ZN_AF_INET6;
    memcpy(out->bytes, c->dns[k].a, 16);
    return ZN_OK;
  }
  return ZN_ENOENT;
}

int zn_stack_ipv6_dns_search(const struct zn_stack *st, uint32_t i,
                             char *out, size_t len) {
  const struct zn__ip6conf *c = &st->ip6conf;
  for (uint32_t k = 0; k < c->nsearch; k++) {
    if (!c->search[k].used || i-- != 0)
      continue;
    size_t n = 0;
    while (c->search[k].name[n])
      n++;
    if (n + 1 > len)
      return ZN_ENOSPC;
    memcpy(out, c->search[k].name, n + 1);
    return ZN_OK;
  }
  return ZN_ENOENT;
}

/* ---- MLD queries (RFC 3810 §5.1, §6.2) ------------------------------- */

/* RFC 3810 §5.1.14 and §6.2: a query from a link-local source with hop
 * limit 1.  MLDv1 queries are counted and ignored: no §8 compatibility
 * mode. */
static bool mld_query_valid(struct zn_stack *st, const struct zn_buf *b,
                            const struct zn__inet_meta *m,
                            struct zn_mld2_query_view *q) {
  struct zn_icmp6_view v;
  if (zn_icmp6_view_init(&v, b->data, b->len) != ZN_OK) {
    ZN_STAT_INC(st, mld_drop_malformed);
    return false;
  }
  if (v.type != ZN_ICMP6_MLD_QUERY) {
    ZN_STAT_INC(st, mld_drop_report);
    return false;
  }
  if (m->src.family != ZN_AF_INET6 || !zn_ipv6_addr_is_linklocal(m->src.bytes)) {
    ZN_STAT_INC(st, mld_drop_src);
    return false;
  }
  if (m->ttl != 1) {
    ZN_STAT_INC(st, mld_drop_hop_limit);
    return false;
  }
  int r = zn_mld2_query_view_init(q, &v);
  if (r == ZN_EPROTO && v.len == ZN_MLD_QUERY_V1_LEN) {
    ZN_STAT_INC(st, mld_drop_v1);
    return false;
  }
  if (r != ZN_OK) {
    ZN_STAT_INC(st, mld_drop_malformed);
    return false;
  }
  return true;
}

void zn__ip6conf_mld_input(struct zn_stack *st, struct zn_buf *b,
                           const struct zn__inet_meta *m) {
  static const uint8_t unspecified[16];
  struct zn__ip6conf *c = &st->ip6conf;
  struct zn_mld2_query_view q;
  ZN_STAT_INC(st, mld_rx);
  if (!mld_query_valid(st, b, m, &q))
    goto drop; /* counted inside, by reason */
  /* §6.2: answer after a random delay up to Maximum Response Delay, or
   * sooner if an answer is already pending. */
  uint64_t at = after_rand_ms(st, q.max_resp_ms);
  if (memcmp(q.group, unspecified, 16) == 0) {
    ZN_STAT_INC(st, mld_query_general);
    if (!c->general_at || at < c->general_at)
      c->general_at = at;
  } else {
    struct zn__ip6_group *g = group_find(st, q.group);
    if (!g || !g->refs || !group_reported(q.group)) {
      ZN_STAT_INC(st, mld_drop_not_member);
      goto drop;
    }
    ZN_STAT_INC(st, mld_query_specific);
    if (!g->answer_at || at < g->answer_at)
      g->answer_at = at;
  }
  rearm(st);
drop:
  zn_buf_free(b);
}
