/*
 * Neighbor discovery for a host (RFC 4861 §7): the neighbor cache with
 * neighbor unreachability detection, NS and NA in and out, and the NS and
 * NA about our own addresses shown to the listeners registered at
 * assembly (duplicate address detection, RFC 4862 §5.4, is theirs).
 *
 * The cache is cfg.nd_entries entries in the stack's memory block,
 * searched linearly (the bound keeps that cheap).  When it is full a new
 * entry takes the least useful one: an unconfirmed entry (learnt from
 * someone's NS, never answered a solicitation of ours) before a confirmed
 * one, the least recently used first; INCOMPLETE entries are never taken.
 * Only our own traffic may evict a confirmed neighbor: entries learnt
 * from NS, and the resolution needed to answer one, may not.  A flood of
 * NS from forged sources thus cannot push established neighbors out.
 * Answers hold at most half the cache in INCOMPLETE (answer_may_resolve).
 */
#include <string.h>

#include "core/stack_int.h"
#include "eth/eth_int.h"
#include "ipv6/ipv6_int.h"
#include "znet/err.h"
#include "znet/wire.h"

/* RFC 4861 §10 protocol constants. */
#define MAX_MULTICAST_SOLICIT 3
#define MAX_UNICAST_SOLICIT 3
#define DELAY_FIRST_PROBE_NS ZN_SEC(5)

size_t zn__nd_mem_size(const struct zn_config *cfg) {
  return zn__carve_size((size_t)cfg->nd_entries * sizeof(struct zn__nd_entry));
}

static void entry_timer(struct zn_stack *st, struct zn_timer *t);

void zn__nd_init(struct zn_stack *st, void **mem) {
  uint32_t n = st->cfg.nd_entries;
  ZN__MOD(st, ip6)->nd = zn__carve(mem, (size_t)n * sizeof(struct zn__nd_entry));
  memset(ZN__MOD(st, ip6)->nd, 0, (size_t)n * sizeof(struct zn__nd_entry));
  for (uint32_t i = 0; i < n; i++) {
    zn_timer_init(&ZN__MOD(st, ip6)->nd[i].timer, entry_timer);
    zn_bufq_init(&ZN__MOD(st, ip6)->nd[i].pending);
  }
}

void zn__nd_destroy(struct zn_stack *st) {
  for (uint32_t i = 0; i < st->cfg.nd_entries; i++)
    zn_bufq_purge(&ZN__MOD(st, ip6)->nd[i].pending);
}

static struct zn__nd_entry *find(struct zn_stack *st, const uint8_t ip[16]) {
  for (uint32_t i = 0; i < st->cfg.nd_entries; i++) {
    struct zn__nd_entry *e = &ZN__MOD(st, ip6)->nd[i];
    if (e->state != ZN__ND_FREE && memcmp(e->ip, ip, 16) == 0)
      return e;
  }
  return NULL;
}

static void free_entry(struct zn_stack *st, struct zn__nd_entry *e) {
  ZN_STAT_ADD(st, nd_drop_unresolved, e->pending.count);
  zn_bufq_purge(&e->pending);
  zn_timer_stop(st, &e->timer);
  e->state = ZN__ND_FREE;
}

static bool less_useful(const struct zn__nd_entry *a,
                        const struct zn__nd_entry *b) {
  if (a->confirmed != b->confirmed)
    return !a->confirmed;
  return a->last_used < b->last_used;
}

/* A new entry for ip.  may_evict_confirmed: for our own traffic. */
static struct zn__nd_entry *alloc_entry(struct zn_stack *st,
                                        const uint8_t ip[16],
                                        bool may_evict_confirmed) {
  struct zn__nd_entry *victim = NULL;
  for (uint32_t i = 0; i < st->cfg.nd_entries; i++) {
    struct zn__nd_entry *e = &ZN__MOD(st, ip6)->nd[i];
    if (e->state == ZN__ND_FREE) {
      victim = e;
      break;
    }
    if (e->state == ZN__ND_INCOMPLETE)
      continue;
    if (!victim || less_useful(e, victim))
      victim = e;
  }
  if (!victim)
    return NULL;
  if (victim->state != ZN__ND_FREE) {
    if (victim->confirmed && !may_evict_confirmed)
      return NULL;
    ZN_STAT_INC(st, nd_evict);
    free_entry(st, victim);
  }
  memcpy(victim->ip, ip, 16);
  memset(victim->mac, 0, 6);
  victim->probes = 0;
  victim->router = false;
  victim->confirmed = false;
  victim->last_used = 0;
  return victim;
}

/* RFC 4861 §7.2.2: a solicitation for target, multicast to its
 * solicited-node group (resolution) or unicast to it (NUD); or, in a
 * stack whose link's ND goes to another (`wanted`), the wish for one. */
static void send_ns(struct zn_stack *st, const uint8_t target[16],
                    bool unicast) {
  const struct zn_neigh_hooks *h = &ZN__MOD(st, ip6)->nd_hooks;
  if (h->wanted) {
    struct zn_ip ip = zn_ip_from_v6(target);
    ZN_STAT_INC(st, nd_ns_wanted);
    h->wanted(h->arg, &ip);
    return;
  }
  struct zn__inet_tx tx = {0};
  uint8_t src[16], dst[16];
  if (zn__ip6_select_source(st, target, src) != ZN_OK)
    return;
  if (unicast)
    memcpy(dst, target, 16);
  else
    zn_ipv6_solicited_node(target, dst);
  struct zn_buf *b = zn__buf_alloc(st, ZN_ND_NS_LEN + 8);
  if (!b)
    return;
  size_t n = zn_nd_ns_emit(b->data, target, st->mac);
  zn_buf_put(b, n);
  tx.src = zn_ip_from_v6(src);
  tx.dst = zn_ip_from_v6(dst);
  tx.ttl = ZN_ND_HOP_LIMIT;
  ZN_STAT_INC(st, nd_ns_tx);
  (void)zn__icmp6_send(st, b, &tx, false);
}

/* RFC 4861 §7.2.2: resolution of e failed.  Each packet queued for it is
 * answered with destination unreachable, code 3 (address unreachable),
 * rate-limited as every ICMPv6 error; they are ours, so the answers go
 * to our transports.  The entry is freed first: what the answers set off
 * (an application sending again) starts a new resolution. */
static void resolution_failed(struct zn_stack *st, struct zn__nd_entry *e) {
  struct zn_bufq q = e->pending;
  struct zn_buf *b;
  zn_bufq_init(&e->pending);
  ZN_STAT_INC(st, nd_resolve_fail);
  if (e->router) {
    uint8_t ip[16];
    memcpy(ip, e->ip, 16);
    free_entry(st, e);
    zn__ip6_router_lost(st, ip);
  } else {
    free_entry(st, e);
  }
  while ((b = zn_bufq_pop(&q)) != NULL) {
    ZN_STAT_INC(st, nd_drop_unresolved);
    zn__icmp6_error(st, b, false, ZN_ICMP6_DST_UNREACH,
                    ZN_ICMP6_UNREACH_ADDR, 0);
    zn_buf_free(b);
  }
}

static void retrans_in(struct zn_stack *st, struct zn__nd_entry *e) {
  zn_timer_start_in(st, &e->timer, ZN_MS(zn__ip6_retrans_ms(st)));
}

/* RFC 4861 §7.3.3: the timer-driven transitions. */
static void entry_timer(struct zn_stack *st, struct zn_timer *t) {
  struct zn__nd_entry *e = ZN_CONTAINER_OF(t, struct zn__nd_entry, timer);
  switch (e->state) {
  case ZN__ND_INCOMPLETE:
  case ZN__ND_PROBE: {
    bool inc = e->state == ZN__ND_INCOMPLETE;
    static const uint8_t max_solicit[2] = {MAX_UNICAST_SOLICIT,
                                           MAX_MULTICAST_SOLICIT};
    if (e->probes < max_solicit[inc]) {
      e->probes++;
      send_ns(st, e->ip, !inc);
      retrans_in(st, e);
      return;
    }
    resolution_failed(st, e);
    return;
  }
  case ZN__ND_REACHABLE:
    if (st->now < e->reachable_until) { /* confirmed since it was armed */
      zn_timer_start(st, &e->timer, e->reachable_until);
      return;
    }
    e->state = ZN__ND_STALE; /* ReachableTime passed unconfirmed */
    return;
  case ZN__ND_DELAY:
    e->state = ZN__ND_PROBE;
    e->probes = 1;
    send_ns(st, e->ip, true);
    retrans_in(st, e);
    return;
  default:
    return;
  }
}

/* RFC 4861 §7.3.3: REACHABLE for ReachableTime from now.  A busy flow
 * confirms its neighbor with every new acknowledgment (§7.3.1): an entry
 * already REACHABLE only moves its deadline, and its timer, when it
 * fires early, is armed again for the rest. */
static void set_reachable(struct zn_stack *st, struct zn__nd_entry *e) {
  bool armed = e->state == ZN__ND_REACHABLE && zn_timer_pending(&e->timer);
  e->state = ZN__ND_REACHABLE;
  e->confirmed = true;
  e->probes = 0;
  e->reachable_until = st->now + ZN_MS(zn__ip6_reachable_ms(st));
  /* ReachableTime is drawn again now and then: a shorter one than the
   * timer was armed for arms it again. */
  if (!armed ||
      e->reachable_until / ZN_TIMER_TICK_NS < e->timer.expires)
    zn_timer_start(st, &e->timer, e->reachable_until);
}

/* What the link told us, for the group's other stacks. */
static void publish(struct zn_stack *st, const struct zn__nd_entry *e) {
  const struct zn_neigh_hooks *h = &ZN__MOD(st, ip6)->nd_hooks;
  if (h->learned) {
    struct zn_ip ip = zn_ip_from_v6(e->ip);
    h->learned(h->arg, &ip, e->mac);
  }
}

static void set_stale(struct zn_stack *st, struct zn__nd_entry *e) {
  e->state = ZN__ND_STALE;
  e->probes = 0;
  zn_timer_stop(st, &e->timer);
}

static void flush_pending(struct zn_stack *st, struct zn__nd_entry *e) {
  struct zn_buf *b;
  while ((b = zn_bufq_pop(&e->pending)) != NULL)
    zn__ip6_link_send(st, b, e->mac);
}

static void queue_pending(struct zn_stack *st, struct zn__nd_entry *e,
                          struct zn_buf *b) {
  if (e->pending.count >= st->cfg.nd_pending) {
    ZN_STAT_INC(st, nd_drop_pending_full);
    if (st->cfg.nd_pending == 0) {
      zn_buf_free(b);
      return;
    }
    zn_buf_free(zn_bufq_pop(&e->pending)); /* keep the newest */
  }
  zn_bufq_push(&e->pending, b);
}

/* Whether an answer (echo reply, NA) may start a resolution: those
 * hold at most half the cache in INCOMPLETE.  Answers to forged sources
 * never resolve, nothing may take an INCOMPLETE entry, and without the
 * bound a flood of them fills the cache, pushes out the neighbors we
 * talk to and blocks our own traffic until they fail. */
static bool answer_may_resolve(const struct zn_stack *st) {
  uint32_t incomplete = 0;
  for (uint32_t i = 0; i < st->cfg.nd_entries; i++)
    if (ZN__MOD(st, ip6)->nd[i].state == ZN__ND_INCOMPLETE)
      incomplete++;
  return incomplete < (st->cfg.nd_entries + 1) / 2;
}

/* RFC 4861 §7.2.2, §7.3.3: send toward neighbor nh. */
void zn__nd_output(struct zn_stack *st, struct zn_buf *b,
                   const uint8_t nh[16]) {
  struct zn__nd_entry *e = find(st, nh);
  if (!e) {
    bool answering = ZN__MOD(st, ip6)->nd_answering;
    e = answering && !answer_may_resolve(st) ? NULL
                                             : alloc_entry(st, nh, !answering);
    if (!e) {
      ZN_STAT_INC(st, nd_drop_cache_full);
      zn_buf_free(b);
      return;
    }
    e->state = ZN__ND_INCOMPLETE;
    e->last_used = st->now + 1;
    e->probes = 1;
    queue_pending(st, e, b);
    send_ns(st, nh, false);
    retrans_in(st, e);
    return;
  }
  e->last_used = st->now + 1;
  if (e->state == ZN__ND_INCOMPLETE) {
    queue_pending(st, e, b);
    return;
  }
  if (e->state == ZN__ND_STALE) {
    e->state = ZN__ND_DELAY;
    zn_timer_start_in(st, &e->timer, DELAY_FIRST_PROBE_NS);
  }
  zn__ip6_link_send(st, b, e->mac);
}

/* RFC 4861 §7.2.3, §6.3.4: a link-layer address learnt from an NS, RS or
 * RA of ip: a new entry is STALE, a changed address makes it STALE. */
static void learn(struct zn_stack *st, const uint8_t ip[16],
                  const uint8_t mac[6], int is_router) {
  struct zn__nd_entry *e = find(st, ip);
  if (!e) {
    e = alloc_entry(st, ip, false);
    if (!e)
      return; /* full of entries in use: learn nothing */
    memcpy(e->mac, mac, 6);
    set_stale(st, e);
  } else if (e->state == ZN__ND_INCOMPLETE) {
    memcpy(e->mac, mac, 6);
    set_stale(st, e);
    flush_pending(st, e);
  } else if (memcmp(e->mac, mac, 6) != 0) {
    memcpy(e->mac, mac, 6);
    set_stale(st, e);
  }
  if (is_router >= 0)
    e->router = is_router != 0;
  publish(st, e);
}

void zn__nd_learn(struct zn_stack *st, const uint8_t ip[16],
                  const uint8_t mac[6], bool is_router) {
  if (!ZN__MOD(st, ip6)->up || zn_eth_is_mcast(mac))
    return;
  learn(st, ip, mac, is_router ? 1 : 0);
}

/* RFC 4861 §7.2.4: the solicited advertisement. */
static void send_na(struct zn_stack *st, const uint8_t target[16],
                    const uint8_t dst[16], bool solicited) {
  struct zn__inet_tx tx = {0};
  struct zn_buf *b = zn__buf_alloc(st, ZN_ND_NA_LEN + 8);
  if (!b)
    return;
  uint8_t flags = (uint8_t)(ZN_ND_NA_FLAG_O | (solicited ? ZN_ND_NA_FLAG_S : 0));
  size_t n = zn_nd_na_emit(b->data, flags, target, st->mac);
  zn_buf_put(b, n);
  tx.src = zn_ip_from_v6(target);
  tx.dst = zn_ip_from_v6(dst);
  tx.ttl = ZN_ND_HOP_LIMIT;
  ZN_STAT_INC(st, nd_na_tx);
  (void)zn__icmp6_send(st, b, &tx, true);
}

/* Show the listeners an event about our address target. */
static void nd_show(struct zn_stack *st, enum zn__nd_event ev,
                    const uint8_t target[16]) {
  const struct zn__ip6 *ip6 = ZN__MOD(st, ip6);
  for (uint32_t i = 0; i < ip6->nnd_listen; i++)
    ip6->nd_listen[i](st, ev, target);
}

/* RFC 4861 §7.1.1 (the IP-level half; zn_nd_view_init did the rest) and
 * §7.2.3. */
static void ns_input(struct zn_stack *st, const struct zn_nd_view *nd,
                     const struct zn_nd_opts *o,
                     const struct zn__inet_meta *m) {
  bool unspec = zn_ipv6_addr_is_unspecified(m->src.bytes);
  uint8_t sn[16];
  zn_ipv6_solicited_node(nd->target, sn);
  if (unspec && (memcmp(m->dst.bytes, sn, 16) != 0 || o->slla)) {
    ZN_STAT_INC(st, nd_drop_dad_src);
    return;
  }
  const struct zn__ip6_addr *a = zn__ip6_addr_find(st, nd->target);
  if (!a || a->state == ZN__A6_DUPLICATE) {
    ZN_STAT_INC(st, nd_drop_not_ours);
    return;
  }
  uint8_t target[16];
  memcpy(target, nd->target, 16);
  if (a->state == ZN__A6_TENTATIVE || unspec) {
    ZN_STAT_INC(st, nd_dad_rx);
    bool tentative = a->state == ZN__A6_TENTATIVE;
    nd_show(st, unspec ? ZN__ND_EV_NS_PROBE : ZN__ND_EV_NS, target);
    if (tentative)
      return; /* RFC 4862 §5.4.3: never answer for a tentative address */
  } else {
    ZN_STAT_INC(st, nd_ns_rx);
  }
  if (o->slla && !zn_eth_is_mcast(o->slla))
    learn(st, m->src.bytes, o->slla, -1);
  if (!zn__ip6_is_local(st, target))
    return; /* a listener found it a duplicate, or changed it */
  if (unspec)
    send_na(st, target, zn__ip6_all_nodes(), false);
  else
    send_na(st, target, m->src.bytes, true);
}

/* RFC 4861 §7.2.5: an NA for an entry waiting in INCOMPLETE. */
static void na_resolve(struct zn_stack *st, struct zn__nd_entry *e,
                       const struct zn_nd_view *nd, const uint8_t *tlla) {
  if (!tlla) {
    ZN_STAT_INC(st, nd_drop_invalid);
    return;
  }
  memcpy(e->mac, tlla, 6);
  e->router = (nd->flags & ZN_ND_NA_FLAG_R) != 0;
  if (nd->flags & ZN_ND_NA_FLAG_S)
    set_reachable(st, e);
  else
    set_stale(st, e);
  ZN_STAT_INC(st, nd_na_rx);
  flush_pending(st, e);
  publish(st, e);
}

/* RFC 4861 §7.2.5: an NA for an entry that has an address. */
static void na_update(struct zn_stack *st, struct zn__nd_entry *e,
                      const struct zn_nd_view *nd, const uint8_t *tlla) {
  bool o_flag = (nd->flags & ZN_ND_NA_FLAG_O) != 0;
  bool s_flag = (nd->flags & ZN_ND_NA_FLAG_S) != 0;
  bool differs = tlla && memcmp(tlla, e->mac, 6) != 0;
  ZN_STAT_INC(st, nd_na_rx);
  if (!o_flag && differs) {
    if (e->state == ZN__ND_REACHABLE)
      set_stale(st, e);
    return;
  }
  if (tlla)
    memcpy(e->mac, tlla, 6);
  if (s_flag)
    set_reachable(st, e);
  else if (differs)
    set_stale(st, e);
  bool was_router = e->router;
  e->router = (nd->flags & ZN_ND_NA_FLAG_R) != 0;
  publish(st, e);
  if (was_router && !e->router)
    zn__ip6_router_lost(st, e->ip);
}

static void na_input(struct zn_stack *st, const struct zn_nd_view *nd,
                     const struct zn_nd_opts *o,
                     const struct zn__inet_meta *m) {
  if (zn_ipv6_addr_is_mcast(m->dst.bytes) && (nd->flags & ZN_ND_NA_FLAG_S)) {
    ZN_STAT_INC(st, nd_drop_invalid); /* §7.1.2 */
    return;
  }
  /* A duplicate address is not ours (RFC 4862 §5.4.5): its NA resolves
   * the neighbor that holds it, as ns_input does not answer for it. */
  const struct zn__ip6_addr *a = zn__ip6_addr_find(st, nd->target);
  if (a && a->state != ZN__A6_DUPLICATE) {
    uint8_t target[16];
    memcpy(target, nd->target, 16);
    ZN_STAT_INC(st, nd_dad_rx);
    nd_show(st, ZN__ND_EV_NA, target);
    return;
  }
  struct zn__nd_entry *e = find(st, nd->target);
  if (!e) {
    ZN_STAT_INC(st, nd_drop_unsolicited);
    return;
  }
  const uint8_t *tlla = o->tlla && !zn_eth_is_mcast(o->tlla) ? o->tlla : NULL;
  if (e->state == ZN__ND_INCOMPLETE)
    na_resolve(st, e, nd, tlla);
  else
    na_update(st, e, nd, tlla);
}

void zn__nd_input(struct zn_stack *st, struct zn_buf *b,
                  const struct zn__inet_meta *m) {
  struct zn_icmp6_view v;
  struct zn_nd_view nd;
  struct zn_nd_opts o;
  ZN_STAT_INC(st, nd_rx);
  if (m->ttl != ZN_ND_HOP_LIMIT) {
    ZN_STAT_INC(st, nd_drop_hlim); /* §7.1: maybe from off-link */
    goto drop;
  }
  if (zn_icmp6_view_init(&v, b->data, b->len) != ZN_OK ||
      zn_nd_view_init(&nd, &v) != ZN_OK || zn_nd_opts_parse(&nd, &o) != ZN_OK) {
    ZN_STAT_INC(st, nd_drop_invalid);
    goto drop;
  }
  if (nd.type == ZN_ICMP6_ND_NS)
    ns_input(st, &nd, &o, m);
  else
    na_input(st, &nd, &o, m);
drop:
  zn_buf_free(b);
}

/* For tests and diagnostics: the state of ip's entry (0: none). */
void zn__nd_confirm(struct zn_stack *st, const uint8_t dst[16]) {
  uint8_t nh[16];
  if (zn_ipv6_addr_is_mcast(dst) || zn__ip6_next_hop(st, dst, nh) != ZN_OK)
    return;
  struct zn__nd_entry *e = find(st, nh);
  if (!e || e->state == ZN__ND_INCOMPLETE)
    return;
  if (e->state != ZN__ND_REACHABLE)
    ZN_STAT_INC(st, nd_confirm_upper);
  set_reachable(st, e);
}

int zn__nd_state(struct zn_stack *st, const uint8_t ip[16]) {
  const struct zn__nd_entry *e = find(st, ip);
  return e ? e->state : ZN__ND_FREE;
}

int zn__nd_listen(struct zn_stack *st, zn__nd_listen_fn fn) {
  struct zn__ip6 *ip6 = ZN__MOD(st, ip6);
  if (ip6->nnd_listen == ZN__ND_LISTENERS)
    return ZN_ENOMEM;
  ip6->nd_listen[ip6->nnd_listen++] = fn;
  return ZN_OK;
}

/* ---- neighbors shared by shards (znet/neigh.h) ---- */

void zn_nd_set_hooks(struct zn_stack *st, const struct zn_neigh_hooks *h) {
  struct zn__ip6 *ip6 = ZN__MOD(st, ip6);
  if (ip6 == NULL)
    return;
  if (h)
    ip6->nd_hooks = *h;
  else
    memset(&ip6->nd_hooks, 0, sizeof(ip6->nd_hooks));
}

/* An address a neighbor could have: unicast, not ::, not ::1. */
static bool neighbor_addr(const uint8_t ip[16]) {
  static const uint8_t loop[16] = {[15] = 1};
  return !zn_ipv6_addr_is_unspecified(ip) && !zn_ipv6_addr_is_mcast(ip) &&
         memcmp(ip, loop, 16) != 0;
}

int zn_nd_learn(struct zn_stack *st, const uint8_t ip[16],
                const uint8_t mac[6]) {
  struct zn__ip6 *ip6 = ZN__MOD(st, ip6);
  if (ip6 == NULL || !ip6->up || ip == NULL || mac == NULL ||
      !neighbor_addr(ip) ||
      zn_eth_is_mcast(mac) || zn_eth_is_zero(mac))
    return ZN_EINVAL;
  struct zn__nd_entry *e = find(st, ip);
  if (!e) {
    e = alloc_entry(st, ip, false);
    if (!e)
      return ZN_ENOMEM;
    e->state = ZN__ND_INCOMPLETE;
  }
  memcpy(e->mac, mac, 6);
  set_reachable(st, e); /* as a solicited advertisement would */
  ZN_STAT_INC(st, nd_learned_rx);
  flush_pending(st, e);
  return ZN_OK;
}

int zn_nd_resolve(struct zn_stack *st, const uint8_t ip[16],
                  uint8_t mac[6]) {
  struct zn__ip6 *ip6 = ZN__MOD(st, ip6);
  if (ip6 == NULL || !ip6->up || ip == NULL || mac == NULL ||
      !neighbor_addr(ip))
    return ZN_EINVAL;
  struct zn__nd_entry *e = find(st, ip);
  if (e && e->state != ZN__ND_INCOMPLETE) {
    memcpy(mac, e->mac, 6);
    return ZN_OK;
  }
  if (!e) {
    e = alloc_entry(st, ip, true);
    if (!e)
      return ZN_ENOMEM;
    e->state = ZN__ND_INCOMPLETE;
    e->last_used = st->now + 1;
    e->probes = 1;
    send_ns(st, ip, false);
    retrans_in(st, e);
  }
  return ZN_EINPROGRESS;
}
