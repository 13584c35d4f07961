/*
 * ARP (RFC 826) with the cache policy documented in znet/arp.h, request
 * retries with exponential backoff, re-probing of stale entries (RFC 1122
 * §2.3.2.1) and gratuitous announcements (RFC 5227 §2.3).
 *
 * The cache is an array of entries with a keyed hash over IPv4 addresses
 * (chains through `hnext`) and a free list, so lookups cost O(1) expected
 * whatever an attacker does with source addresses.
 *
 * A sender that caches its route (a TCP connection's struct zn__ip_path)
 * pins the entry of its next hop instead of looking it up per datagram
 * (zn__arp_pin, arp_int.h).  Each entry's generation moves whenever what
 * a pin relies on goes: its MAC (set_mac) or the entry itself
 * (free_entry); a pin also reads the state, so that a STALE entry still
 * gets its probe through zn__arp_output.  Aging is the timers' alone: a
 * datagram through a pin marks the entry used, as zn__arp_output does,
 * and nothing more.
 */
#include <string.h>

#include "arp/arp_int.h"
#include "core/module_int.h"
#include "core/peer_hash.h"
#include "core/log_int.h"
#include "core/stack_int.h"
#include "eth/eth_int.h"
#include "wire/wire_inline.h"
#include "znet/arp.h"
#include "znet/err.h"
#include "znet/wire.h"

#define ANNOUNCE_NUM 2
#define ANNOUNCE_INTERVAL_NS ZN_SEC(2)

static const uint8_t zero_mac[6];

static uint32_t nbuckets_for(uint32_t entries) {
  uint32_t n = 1;
  while (n < 2 * entries)
    n <<= 1;
  return n;
}

size_t zn__arp_mem_size(const struct zn_config *cfg) {
  return zn__carve_size((size_t)cfg->arp_entries * sizeof(struct zn__arp_entry)) +
         zn__carve_size((size_t)nbuckets_for(cfg->arp_entries) * sizeof(uint32_t));
}

static void entry_timer(struct zn_stack *st, struct zn_timer *t);
static void announce_timer(struct zn_stack *st, struct zn_timer *t);

void zn__arp_init(struct zn_stack *st, void **mem) {
  struct zn__arp *a = ZN__MOD(st, arp);
  uint32_t n = st->cfg.arp_entries;
  memset(a, 0, sizeof(*a));
  a->e = zn__carve(mem, (size_t)n * sizeof(struct zn__arp_entry));
  a->nbuckets = nbuckets_for(n);
  a->bucket = zn__carve(mem, (size_t)a->nbuckets * sizeof(uint32_t));
  memset(a->bucket, 0, (size_t)a->nbuckets * sizeof(uint32_t));
  memset(a->e, 0, (size_t)n * sizeof(struct zn__arp_entry));
  for (uint32_t i = n; i-- > 0;) {
    struct zn__arp_entry *e = &a->e[i];
    zn_timer_init(&e->timer, entry_timer);
    zn_bufq_init(&e->pending);
    e->hnext = a->free_head;
    a->free_head = i + 1;
  }
  zn_timer_init(&a->announce_timer, announce_timer);
}

void zn__arp_destroy(struct zn_stack *st) {
  struct zn__arp *a = ZN__MOD(st, arp);
  for (uint32_t i = 0; i < st->cfg.arp_entries; i++)
    zn_bufq_purge(&a->e[i].pending);
}

/* The low half of the address's keyed hash, which IPv4 output computed
 * already for the ID of a datagram that can be fragmented (zn__peer_hash
 * remembers the last addresses'): a lookup that misses and the insertion
 * after it, and the datagram that asked, hash once, and a neighbour
 * found again after another hashes nothing. */
static uint32_t bucket_of(const struct zn_stack *st, uint32_t ip) {
  return (uint32_t)zn__peer_hash(st, ip) & (ZN__MOD(st, arp)->nbuckets - 1);
}

static struct zn__arp_entry *find(const struct zn_stack *st, uint32_t ip) {
  const struct zn__arp *a = ZN__MOD(st, arp);
  if (a->last) {
    struct zn__arp_entry *e = &a->e[a->last - 1];
    if (e->state != ZN_ARP_FREE && e->ip == ip)
      return e;
  }
  for (uint32_t i = a->bucket[bucket_of(st, ip)]; i; i = a->e[i - 1].hnext) {
    struct zn__arp_entry *e = &a->e[i - 1];
    if (e->ip == ip) {
      ((struct zn__arp *)(uintptr_t)a)->last = i;
      return e;
    }
  }
  return NULL;
}

static void unlink_entry(struct zn_stack *st, struct zn__arp_entry *e) {
  struct zn__arp *a = ZN__MOD(st, arp);
  uint32_t idx = (uint32_t)(e - a->e) + 1;
  uint32_t *pp = &a->bucket[bucket_of(st, e->ip)];
  while (*pp && *pp != idx)
    pp = &a->e[*pp - 1].hnext;
  if (*pp == idx)
    *pp = e->hnext;
  if (a->last == idx)
    a->last = 0;
}

/* Remove an entry, dropping what waits on it under `reason`. */
static void free_entry(struct zn_stack *st, struct zn__arp_entry *e,
                       enum zn_stat reason) {
  struct zn__arp *a = ZN__MOD(st, arp);
  st->stats.v[reason] += e->pending.count;
  zn_bufq_purge(&e->pending);
  zn_timer_stop(st, &e->timer);
  unlink_entry(st, e);
  e->state = ZN_ARP_FREE;
  e->gen++; /* void every pin: the slot may come back for another host */
  e->hnext = a->free_head;
  a->free_head = (uint32_t)(e - a->e) + 1;
  a->nused--;
}

static struct zn__arp_entry *alloc_entry(struct zn_stack *st, uint32_t ip) {
  struct zn__arp *a = ZN__MOD(st, arp);
  if (!a->free_head) {
    /* Full: evict the least recently used entry that is neither static
     * nor waiting for an answer. */
    struct zn__arp_entry *victim = NULL;
    for (uint32_t i = 0; i < st->cfg.arp_entries; i++) {
      struct zn__arp_entry *e = &a->e[i];
      if (e->state != ZN_ARP_REACHABLE && e->state != ZN_ARP_STALE)
        continue;
      if (!victim || e->last_used < victim->last_used)
        victim = e;
    }
    if (!victim)
      return NULL;
    ZN_STAT_INC(st, arp_evict);
    free_entry(st, victim, ZN_STAT_arp_drop_unresolved);
  }
  uint32_t idx = a->free_head;
  struct zn__arp_entry *e = &a->e[idx - 1];
  a->free_head = e->hnext;
  e->ip = ip;
  e->tries = 0;
  e->last_used = st->now;
  memset(e->mac, 0, 6);
  uint32_t *b = &a->bucket[bucket_of(st, ip)];
  e->hnext = *b;
  *b = idx;
  a->nused++;
  a->last = idx;
  return e;
}

static void send_arp(struct zn_stack *st, uint16_t op, const uint8_t *eth_dst,
                     const uint8_t *tha, uint32_t tpa) {
  struct zn_buf *b = zn__buf_alloc(st, ZN_ARP_ETH_IPV4_LEN);
  if (!b)
    return;
  zn_arp_emit(zn_buf_put(b, ZN_ARP_ETH_IPV4_LEN), op, st->mac,
              ZN__MOD(st, arp)->addr, tha, tpa);
  if (op == ZN_ARP_OP_REQUEST)
    ZN_STAT_INC(st, arp_req_tx);
  else
    ZN_STAT_INC(st, arp_reply_tx);
  zn__eth_output(st, b, eth_dst, ZN_ETHERTYPE_ARP);
}

/* A request for e, or, in a stack whose link's ARP goes to another
 * (`wanted`), the wish for one. */
static void send_request(struct zn_stack *st, struct zn__arp_entry *e,
                         bool unicast) {
  const struct zn_neigh_hooks *h = &ZN__MOD(st, arp)->hooks;
  e->tries++;
  if (h->wanted) {
    struct zn_ip ip = zn_ip_from_v4(e->ip);
    ZN_STAT_INC(st, arp_req_wanted);
    h->wanted(h->arg, &ip);
  } else {
    send_arp(st, ZN_ARP_OP_REQUEST, unicast ? e->mac : zn_eth_bcast,
             zero_mac, e->ip);
  }
  /* Backoff: retry_ms, 2*retry_ms, 4*retry_ms, ... */
  uint32_t shift = e->tries - 1u < 16u ? e->tries - 1u : 16u;
  zn_timer_start_in(st, &e->timer, ZN_MS(st->cfg.arp_retry_ms) << shift);
}

/* Every change of a live entry's MAC comes here, so that a pin taken on
 * the old one (zn__arp_pin) falls with it. */
static void set_mac(struct zn__arp_entry *e, const uint8_t *mac) {
  if (memcmp(e->mac, mac, 6) == 0)
    return;
  memcpy(e->mac, mac, 6);
  e->gen++;
}

/* The datagrams waiting for e's MAC, which it has now, to the sender. */
static void send_pending(struct zn_stack *st, struct zn__arp_entry *e) {
  struct zn_buf *b;
  while ((b = zn_bufq_pop(&e->pending)) != NULL)
    ZN__MOD(st, arp)->send(st, b, e->mac);
}

static void set_reachable(struct zn_stack *st, struct zn__arp_entry *e,
                          const uint8_t *mac) {
  set_mac(e, mac);
  e->state = ZN_ARP_REACHABLE;
  e->tries = 0;
  e->expires = st->now + ZN_MS(st->cfg.arp_reachable_ms);
  zn_timer_start(st, &e->timer, e->expires);
  send_pending(st, e);
}

/* What the link told us, for the group's other stacks. */
static void publish(struct zn_stack *st, const struct zn__arp_entry *e) {
  const struct zn_neigh_hooks *h = &ZN__MOD(st, arp)->hooks;
  if (h->learned) {
    struct zn_ip ip = zn_ip_from_v4(e->ip);
    h->learned(h->arg, &ip, e->mac);
  }
}

static void entry_timer(struct zn_stack *st, struct zn_timer *t) {
  struct zn__arp_entry *e = ZN_CONTAINER_OF(t, struct zn__arp_entry, timer);
  switch (e->state) {
  case ZN_ARP_INCOMPLETE:
    if (e->tries <= st->cfg.arp_retries) {
      send_request(st, e, false);
    } else {
      ZN_STAT_INC(st, arp_resolve_fail);
      ZN_LOG(st, ZN_LOG_DEBUG, "arp: %I did not answer", e->ip);
      free_entry(st, e, ZN_STAT_arp_drop_unresolved);
    }
    break;
  case ZN_ARP_PROBE:
    if (e->tries <= st->cfg.arp_retries) {
      send_request(st, e, true);
    } else {
      ZN_STAT_INC(st, arp_resolve_fail);
      free_entry(st, e, ZN_STAT_arp_drop_unresolved);
    }
    break;
  case ZN_ARP_REACHABLE:
    /* Unconfirmed for arp_reachable_ms: usable but suspect.  Collect it
     * if nobody uses it for as long again. */
    e->state = ZN_ARP_STALE;
    e->expires = st->now + ZN_MS(st->cfg.arp_reachable_ms);
    zn_timer_start(st, &e->timer, e->expires);
    break;
  case ZN_ARP_STALE:
    ZN_STAT_INC(st, arp_expire);
    free_entry(st, e, ZN_STAT_arp_drop_unresolved);
    break;
  default:
    break;
  }
}

static void queue_pending(struct zn_stack *st, struct zn__arp_entry *e,
                          struct zn_buf *b) {
  if (st->cfg.arp_pending == 0) {
    ZN_STAT_INC(st, arp_drop_pending_full);
    zn_buf_free(b);
    return;
  }
  if (e->pending.count >= st->cfg.arp_pending) {
    /* Keep the newest: a retransmission supersedes what it repeats. */
    ZN_STAT_INC(st, arp_drop_pending_full);
    zn_buf_free(zn_bufq_pop(&e->pending));
  }
  zn_bufq_push(&e->pending, b);
}

void zn__arp_output(struct zn_stack *st, struct zn_buf *b, uint32_t ip) {
  struct zn__arp_entry *e = find(st, ip);
  if (!e) {
    e = alloc_entry(st, ip);
    if (!e) {
      ZN_STAT_INC(st, arp_drop_cache_full);
      zn_buf_free(b);
      return;
    }
    e->state = ZN_ARP_INCOMPLETE;
    queue_pending(st, e, b);
    send_request(st, e, false);
    return;
  }
  e->last_used = st->now;
  switch (e->state) {
  case ZN_ARP_INCOMPLETE:
    queue_pending(st, e, b);
    return;
  case ZN_ARP_STALE:
    e->state = ZN_ARP_PROBE;
    e->tries = 0;
    ZN__MOD(st, arp)->send(st, b, e->mac);
    send_request(st, e, true);
    return;
  default: /* REACHABLE, PROBE, STATIC: zn__arp_sends_directly */
    ZN__MOD(st, arp)->send(st, b, e->mac);
    return;
  }
}

static void learn_from_request(struct zn_stack *st, uint32_t ip,
                               const uint8_t *mac) {
  struct zn__arp_entry *e = find(st, ip);
  if (!e) {
    e = alloc_entry(st, ip);
    if (!e)
      return; /* cache full of busy entries: answer anyway, learn nothing */
    e->state = ZN_ARP_INCOMPLETE;
  }
  if (e->state == ZN_ARP_STATIC)
    return;
  set_reachable(st, e, mac);
  publish(st, e);
}

/* A sender a host could be: a unicast MAC, and an address that names a
 * single host (the address classes IPv4 input drops too), or 0 in a
 * request (an RFC 5227 probe).  Our own address is a conflict, handled
 * by the caller. */
static bool sender_acceptable(const struct zn_stack *st, const uint8_t *sha,
                              uint32_t spa, uint16_t op) {
  if (zn_eth_is_mcast(sha) || zn_eth_is_zero(sha))
    return false;
  if (spa == 0)
    return op == ZN_ARP_OP_REQUEST;
  return zn__ipv4_src_class(spa, ZN__MOD(st, arp)->dbcast) ==
         ZN__IPV4_SRC_HOST;
}

void zn__arp_input(struct zn_stack *st, struct zn_buf *b, uint16_t group) {
  (void)group;
  struct zn_arp_view v;
  ZN_STAT_INC(st, arp_rx);
  if (zn_arp_view_init(&v, b->data, b->len) != ZN_OK) {
    ZN_STAT_INC(st, arp_drop_malformed);
    goto drop;
  }
  if (!zn_arp_is_eth_ipv4(&v)) {
    ZN_STAT_INC(st, arp_drop_unsupported);
    goto drop;
  }
  if (v.op != ZN_ARP_OP_REQUEST && v.op != ZN_ARP_OP_REPLY) {
    ZN_STAT_INC(st, arp_drop_op);
    goto drop;
  }
  const uint8_t *sha = zn_arp_sha(&v);
  uint32_t spa = zn_arp_spa(&v), tpa = zn_arp_tpa(&v);
  if (!sender_acceptable(st, sha, spa, v.op)) {
    ZN_STAT_INC(st, arp_drop_bad_sender);
    goto drop;
  }
  /* RFC 5227 2.1.1: a DHCP client probing an address sees every ARP
   * packet, whether or not we have an address (src/dhcp4/dhcp4_int.h). */
  const struct zn__arp *a = ZN__MOD(st, arp);
  for (uint32_t i = 0; i < a->nlisten; i++)
    a->listen[i](st, sha, spa, tpa, v.op);
  uint32_t ours = a->addr;
  if (ours == 0) {
    ZN_STAT_INC(st, arp_drop_not_for_us);
    goto drop;
  }
  if (spa == ours) {
    ZN_STAT_INC(st, arp_conflict);
    ZN_LOG(st, ZN_LOG_WARN, "arp: %M claims our address %I", sha, spa);
    goto drop;
  }
  if (tpa != ours) {
    /* An announcement (sender == target, RFC 5227) is normal traffic
     * that this policy ignores, not a bad packet. */
    if (spa == tpa)
      ZN_STAT_INC(st, arp_gratuitous_rx);
    else
      ZN_STAT_INC(st, arp_drop_not_for_us);
    goto drop;
  }
  if (v.op == ZN_ARP_OP_REQUEST) {
    ZN_STAT_INC(st, arp_req_rx);
    uint8_t peer_mac[6];
    memcpy(peer_mac, sha, 6);
    if (spa != 0) /* spa 0 is an RFC 5227 probe: answer, learn nothing */
      learn_from_request(st, spa, peer_mac);
    /* Answer in place: the request's buffer becomes the reply. */
    if (!zn_buf_writable(b)) {
      struct zn_buf *c = zn__buf_copy(st, b);
      zn_buf_free(b);
      if (!c)
        return;
      b = c;
    }
    zn_buf_trim(b, ZN_ARP_ETH_IPV4_LEN);
    zn_arp_emit(b->data, ZN_ARP_OP_REPLY, st->mac, a->addr, peer_mac, spa);
    b->flags = 0;
    ZN_STAT_INC(st, arp_reply_tx);
    zn__eth_output(st, b, peer_mac, ZN_ETHERTYPE_ARP);
    return;
  }
  /* A reply: it may resolve or confirm only a request of ours still
   * outstanding.  One that repeats the address we hold changes nothing
   * and is taken quietly (an answer to a probe that something else
   * confirmed first); any other is unsolicited. */
  struct zn__arp_entry *e = find(st, spa);
  if (e && (e->state == ZN_ARP_INCOMPLETE || e->state == ZN_ARP_PROBE)) {
    ZN_STAT_INC(st, arp_reply_rx);
    set_reachable(st, e, sha);
    publish(st, e);
  } else if (e && e->state != ZN_ARP_STATIC && memcmp(e->mac, sha, 6) == 0) {
    ZN_STAT_INC(st, arp_reply_rx);
  } else {
    ZN_STAT_INC(st, arp_drop_unsolicited);
  }
drop:
  zn_buf_free(b);
}

static void send_announce(struct zn_stack *st) {
  send_arp(st, ZN_ARP_OP_REQUEST, zn_eth_bcast, zero_mac,
           ZN__MOD(st, arp)->addr);
  ZN_STAT_INC(st, arp_announce_tx);
}

static void announce_timer(struct zn_stack *st, struct zn_timer *t) {
  struct zn__arp *a = ZN_CONTAINER_OF(t, struct zn__arp, announce_timer);
  if (a->announce_left == 0 || a->addr == 0)
    return;
  send_announce(st);
  if (--a->announce_left > 0)
    zn_timer_start_in(st, t, ANNOUNCE_INTERVAL_NS);
}

void zn__arp_start(struct zn_stack *st) {
  if (!st->cfg.arp_announce || ZN__MOD(st, arp)->addr == 0 || !st->nif)
    return;
  ZN__MOD(st, arp)->announce_left = ANNOUNCE_NUM;
  zn_timer_start(st, &ZN__MOD(st, arp)->announce_timer, st->now);
}

/* ---- public API ---- */

int zn_arp_add_static(struct zn_stack *st, uint32_t ip, const uint8_t mac[6]) {
  if (ip == 0 || zn_eth_is_mcast(mac))
    return ZN_EINVAL;
  struct zn__arp_entry *e = find(st, ip);
  if (!e) {
    e = alloc_entry(st, ip);
    if (!e)
      return ZN_ENOMEM;
    e->state = ZN_ARP_INCOMPLETE;
  }
  zn_timer_stop(st, &e->timer);
  set_mac(e, mac);
  e->state = ZN_ARP_STATIC;
  send_pending(st, e);
  return ZN_OK;
}

void zn_arp_set_hooks(struct zn_stack *st, const struct zn_neigh_hooks *h) {
  struct zn__arp *a = ZN__MOD(st, arp);
  if (h)
    a->hooks = *h;
  else
    memset(&a->hooks, 0, sizeof(a->hooks));
}

/* An address a neighbor could have: one host's (not 0, a broadcast, a
 * multicast or a loopback address). */
static bool neighbor_addr(const struct zn_stack *st, uint32_t ip) {
  return ip != 0 && zn__ipv4_src_class(ip, ZN__MOD(st, arp)->dbcast) ==
                        ZN__IPV4_SRC_HOST;
}

int zn_arp_learn(struct zn_stack *st, uint32_t ip, const uint8_t mac[6]) {
  if (!neighbor_addr(st, ip) || mac == NULL || zn_eth_is_mcast(mac) ||
      zn_eth_is_zero(mac))
    return ZN_EINVAL;
  struct zn__arp_entry *e = find(st, ip);
  if (e && e->state == ZN_ARP_STATIC)
    return ZN_EEXIST;
  if (!e) {
    e = alloc_entry(st, ip);
    if (!e)
      return ZN_ENOMEM;
  }
  ZN_STAT_INC(st, arp_learned_rx);
  set_reachable(st, e, mac);
  return ZN_OK;
}

int zn_arp_resolve(struct zn_stack *st, uint32_t ip, uint8_t mac[6]) {
  if (!neighbor_addr(st, ip) || mac == NULL)
    return ZN_EINVAL;
  struct zn__arp_entry *e = find(st, ip);
  if (e && e->state != ZN_ARP_INCOMPLETE) {
    memcpy(mac, e->mac, 6);
    return ZN_OK;
  }
  if (!e) {
    e = alloc_entry(st, ip);
    if (!e)
      return ZN_ENOMEM;
    e->state = ZN_ARP_INCOMPLETE;
    send_request(st, e, false);
  }
  return ZN_EINPROGRESS;
}

int zn_arp_remove(struct zn_stack *st, uint32_t ip) {
  struct zn__arp_entry *e = find(st, ip);
  if (!e)
    return ZN_ENOENT;
  free_entry(st, e, ZN_STAT_arp_drop_unresolved);
  return ZN_OK;
}

int zn_arp_lookup(const struct zn_stack *st, uint32_t ip, uint8_t mac[6]) {
  const struct zn__arp_entry *e = find(st, ip);
  if (!e || e->state == ZN_ARP_INCOMPLETE)
    return ZN_ENOENT;
  memcpy(mac, e->mac, 6);
  return ZN_OK;
}

int zn_arp_announce(struct zn_stack *st) {
  if (ZN__MOD(st, arp)->addr == 0)
    return ZN_EADDRNOTAVAIL;
  send_announce(st);
  return ZN_OK;
}

void zn_arp_foreach(const struct zn_stack *st,
                    bool (*fn)(void *arg, const struct zn_arp_entry_info *e),
                    void *arg) {
  for (uint32_t i = 0; i < st->cfg.arp_entries; i++) {
    const struct zn__arp_entry *e = &ZN__MOD(st, arp)->e[i];
    if (e->state == ZN_ARP_FREE)
      continue;
    struct zn_arp_entry_info info;
    info.ip = e->ip;
    memcpy(info.mac, e->mac, 6);
    info.state = (enum zn_arp_state)e->state;
    info.pending = e->pending.count;
    info.expires = zn_timer_pending(&e->timer)
                       ? e->timer.expires * ZN_TIMER_TICK_NS
                       : ZN_TIME_NEVER;
    if (!fn(arg, &info))
      return;
  }
}

void zn__arp_set_addr(struct zn_stack *st, uint32_t addr, uint32_t dbcast) {
  ZN__MOD(st, arp)->addr = addr;
  ZN__MOD(st, arp)->dbcast = dbcast;
}

/* (A stack without IPv4 resolves nothing, so none waits for it.) */
static void no_sender(struct zn_stack *st, struct zn_buf *b,
                      const uint8_t mac[6]) {
  (void)mac;
  ZN_STAT_INC(st, if_tx_errors);
  zn_buf_free(b);
}

void zn__arp_set_sender(struct zn_stack *st, zn__arp_send_fn fn) {
  ZN__MOD(st, arp)->send = fn ? fn : no_sender;
}

int zn__arp_listen(struct zn_stack *st, zn__arp_listen_fn fn) {
  struct zn__arp *a = ZN__MOD(st, arp);
  if (a->nlisten == ZN__ARP_LISTENERS)
    return ZN_ENOMEM;
  a->listen[a->nlisten++] = fn;
  return ZN_OK;
}

static void arp_config_default(struct zn_config *cfg) {
  cfg->arp_entries = ZN_DEFAULT_ARP_ENTRIES;
  cfg->arp_pending = ZN_DEFAULT_ARP_PENDING;
  cfg->arp_reachable_ms = ZN_DEFAULT_ARP_REACHABLE_MS;
  cfg->arp_retry_ms = ZN_DEFAULT_ARP_RETRY_MS;
  cfg->arp_retries = ZN_DEFAULT_ARP_RETRIES;
  cfg->arp_announce = true;
}

static bool arp_config_ok(const struct zn_config *cfg) {
  return cfg->arp_entries != 0 && cfg->arp_entries <= (1u << 20);
}

static void arp_init(struct zn_stack *st, void **mem) {
  zn__arp_init(st, mem);
  zn__arp_set_sender(st, NULL);
  zn__arp_set_addr(st, 0, ZN_IPV4_BCAST);
  zn__eth_register(st, ZN_ETHERTYPE_ARP, zn__arp_input, false);
}

const struct zn__module zn__arp_module = {
    .name = "arp",
    .id = ZN__MOD_arp,
    .needs = ZN__MOD_BIT(eth),
    .state_size = sizeof(struct zn__arp),
    .config_default = arp_config_default,
    .config_ok = arp_config_ok,
    .mem_size = zn__arp_mem_size,
    .init = arp_init,
    .start = zn__arp_start,
    .destroy = zn__arp_destroy,
};
