/*
 * Resolving a name to connect to it, and the connection race: see the
 * "Resolving a name to connect to it" part of znet/dns.h.
 *
 * zn_dns_resolve_connect() is two queries of the stub resolver (AAAA and
 * A) whose answers meet in the caller's struct zn_dns_lookup; the last
 * to arrive orders the destinations (RFC 6724 §6 reduced to a host with
 * one interface: rule 1, avoid unusable destinations, decides which
 * family leads; RFC 8305 §4 interleaves the families after it).
 *
 * zn_dns_race_start() is RFC 8305 §5: one attempt per Connection Attempt
 * Delay, the next at once when one fails, the first connected wins and
 * the rest are aborted.  Each attempt is an ordinary zn_tcp_connect()
 * whose callbacks are the race's until it wins; the race keeps every
 * attempt's handle until its on_closed, so its memory is free only once
 * zn_dns_race_idle() holds.
 */
#include <string.h>

#include "dns_int.h"
#include "znet/dns.h"
#include "znet/err.h"
#include "znet/stack.h"
#include "znet/tcp.h"
#include "znet/timer.h"

/* ---- destination order ---- */

static bool is_linklocal6(const struct zn_ip *ip) {
  return ip->bytes[0] == 0xfe && (ip->bytes[1] & 0xc0) == 0x80;
}

/* RFC 6724 §6 rule 1 for IPv6 destinations: a preferred source address
 * of a scope that reaches dst (link-local for link-local, global for the
 * rest). */
static bool ipv6_usable(const struct zn_stack *st, const struct zn_ip *dst) {
  enum { SHOWN = 16 };
  struct zn_ipv6_addr_info a[SHOWN];
  uint32_t n = zn_stack_ipv6_addrs(st, a, SHOWN);
  bool want_ll = dst != NULL && is_linklocal6(dst);
  for (uint32_t i = 0; i < n && i < SHOWN; i++)
    if (a[i].state == ZN_IPV6_ADDR_PREFERRED &&
        is_linklocal6(&a[i].addr) == want_ll)
      return true;
  return false;
}

/* The usable family first, then both interleaved (RFC 8305 §4, First
 * Address Family Count 1); with no usable IPv6 source, every IPv4
 * address before any IPv6 one. */
static void order_destinations(const struct zn_stack *st,
                               struct zn_dns_lookup *l) {
  struct zn_dns_addrinfo *ai = &l->ai;
  ai->ipv6_first = l->n6 > 0 && ipv6_usable(st, &l->v6[0]);
  uint32_t i6 = 0, i4 = 0;
  ai->naddr = 0;
  ai->n6 = l->n6;
  while (i6 < l->n6 || i4 < l->n4) {
    bool take6 = i6 < l->n6 && (i4 >= l->n4 || (ai->ipv6_first && i6 <= i4));
    ai->addrs[ai->naddr++] = take6 ? l->v6[i6++] : l->v4[i4++];
  }
}

/* ---- zn_dns_resolve_connect ---- */

static void lookup_done(struct zn_dns_resolver *r, struct zn_dns_lookup *l) {
  struct zn_dns_addrinfo *ai = &l->ai;
  order_destinations(zn__dns_resolver_stack(r), l);
  if (ai->naddr > 0)
    ai->status = ZN_OK;
  else if (ai->status_aaaa != ZN_ENOENT)
    ai->status = ai->status_aaaa;
  else
    ai->status = ai->status_a;
  l->cb(r, l->arg, ai);
}

static void on_family(struct zn_dns_resolver *r, void *arg,
                      const struct zn_dns_answer *a) {
  struct zn_dns_lookup *l = arg;
  bool v6 = a->qtype == ZN_DNS_TYPE_AAAA;
  uint32_t n = a->status == ZN_OK ? a->naddr : 0;
  if (n > ZN_DNS_MAX_ADDRS)
    n = ZN_DNS_MAX_ADDRS;
  memcpy(v6 ? l->v6 : l->v4, a->addrs, n * sizeof(a->addrs[0]));
  if (v6) {
    l->n6 = n;
    l->ai.status_aaaa = a->status;
    l->q6 = NULL;
  } else {
    l->n4 = n;
    l->ai.status_a = a->status;
    l->q4 = NULL;
  }
  if (l->q6 == NULL && l->q4 == NULL)
    lookup_done(r, l);
}

int zn_dns_resolve_connect(struct zn_dns_resolver *r, const char *name,
                           zn_dns_addrinfo_cb cb, void *arg,
                           struct zn_dns_lookup *l) {
  if (!r || !cb || !l)
    return ZN_EINVAL;
  memset(l, 0, sizeof(*l));
  l->r = r;
  l->cb = cb;
  l->arg = arg;
  int rc = zn_dns_resolve(r, name, ZN_DNS_TYPE_AAAA, on_family, l, &l->q6);
  if (rc != ZN_OK)
    return rc;
  rc = zn_dns_resolve(r, name, ZN_DNS_TYPE_A, on_family, l, &l->q4);
  if (rc != ZN_OK) {
    zn_dns_cancel(l->q6);
    l->q6 = NULL;
  }
  return rc;
}

void zn_dns_lookup_cancel(struct zn_dns_lookup *l) {
  if (l->q6)
    zn_dns_cancel(l->q6);
  if (l->q4)
    zn_dns_cancel(l->q4);
  l->q6 = l->q4 = NULL;
}

/* ---- the race (RFC 8305 §5) ---- */

enum { RACING = 1, WON, FAILED, CANCELLED };

static int attempt_index(const struct zn_dns_race *race,
                         const struct zn_tcp_conn *c) {
  for (uint32_t i = 0; i < race->cfg.naddr; i++)
    if (race->conns[i] == c)
      return (int)i;
  return -1;
}

static void on_attempt_connected(struct zn_tcp_conn *c, void *arg);
static void on_attempt_error(struct zn_tcp_conn *c, void *arg, int err);
static void on_attempt_closed(struct zn_tcp_conn *c, void *arg);
static const struct zn_tcp_callbacks attempt_cbs = {
    .on_connected = on_attempt_connected,
    .on_error = on_attempt_error,
    .on_closed = on_attempt_closed,
};

/* Start attempts from race->next until one is under way or the list is
 * done; returns whether one is.  An address zn_tcp_connect() refuses at
 * once (no source of its family, no route) is passed over. */
static bool start_next_attempt(struct zn_dns_race *race) {
  while (race->next < race->cfg.naddr) {
    uint32_t i = race->next++;
    int rc = zn_tcp_connect(race->st, &race->addrs[i], race->cfg.port,
                            &attempt_cbs, race, &race->conns[i]);
    if (rc == ZN_OK) {
      race->live++;
      /* The next address gets its turn after the delay if this one has
       * not connected by then. */
      zn_timer_start_in(race->st, &race->timer,
                        ZN_MS(race->cfg.delay_ms ? race->cfg.delay_ms
                                                 : ZN_DNS_CONNECT_DELAY_MS));
      return true;
    }
    race->conns[i] = NULL;
    race->last_err = rc;
  }
  zn_timer_stop(race->st, &race->timer);
  return false;
}

static void attempt_delay_over(struct zn_stack *st, struct zn_timer *t) {
  struct zn_dns_race *race = ZN_CONTAINER_OF(t, struct zn_dns_race, timer);
  (void)st;
  if (race->phase == RACING)
    (void)start_next_attempt(race); /* none left: the live ones go on */
}

static void abort_losers(struct zn_dns_race *race) {
  for (uint32_t i = 0; i < race->cfg.naddr; i++)
    if (race->conns[i])
      zn_tcp_abort(race->conns[i]); /* on_closed clears the slot */
}

static void on_attempt_connected(struct zn_tcp_conn *c, void *arg) {
  struct zn_dns_race *race = arg;
  int i = attempt_index(race, c);
  if (i < 0 || race->phase != RACING)
    return;
  race->phase = WON;
  zn_timer_stop(race->st, &race->timer);
  race->conns[i] = NULL; /* the caller's from now on */
  race->live--;
  abort_losers(race);
  zn_tcp_set_callbacks(c, race->cfg.cb, race->cfg.arg);
  if (race->cfg.cb->on_connected)
    race->cfg.cb->on_connected(c, race->cfg.arg);
}

static void on_attempt_error(struct zn_tcp_conn *c, void *arg, int err) {
  struct zn_dns_race *race = arg;
  if (race->phase != RACING)
    return; /* already aborted: on_closed follows */
  race->last_err = err;
  zn_tcp_close(c); /* on_closed clears the slot */
  (void)start_next_attempt(race); /* a failure moves on at once */
}

static void on_attempt_closed(struct zn_tcp_conn *c, void *arg) {
  struct zn_dns_race *race = arg;
  int i = attempt_index(race, c);
  if (i < 0)
    return;
  race->conns[i] = NULL;
  race->live--;
  if (race->phase == RACING && race->live == 0 &&
      race->next >= race->cfg.naddr) {
    race->phase = FAILED;
    if (race->cfg.fail)
      race->cfg.fail(race, race->cfg.arg,
                     race->last_err ? race->last_err : ZN_ETIMEDOUT);
  }
}

int zn_dns_race_start(struct zn_stack *st, const struct zn_dns_race_cfg *cfg,
                      struct zn_dns_race *race) {
  if (!st || !cfg || !race || !cfg->addrs || !cfg->cb || cfg->naddr == 0 ||
      cfg->naddr > ZN_DNS_CONNECT_MAX || cfg->port == 0)
    return ZN_EINVAL;
  memset(race, 0, sizeof(*race));
  race->st = st;
  race->cfg = *cfg;
  memcpy(race->addrs, cfg->addrs, cfg->naddr * sizeof(cfg->addrs[0]));
  race->cfg.addrs = race->addrs;
  zn_timer_init(&race->timer, attempt_delay_over);
  race->phase = RACING;
  if (!start_next_attempt(race)) {
    race->phase = FAILED;
    return race->last_err;
  }
  return ZN_OK;
}

void zn_dns_race_cancel(struct zn_dns_race *race) {
  if (race->phase == RACING) { /* after a win the losers are aborted */
    zn_timer_stop(race->st, &race->timer);
    abort_losers(race);
    race->phase = CANCELLED;
  }
}

bool zn_dns_race_idle(const struct zn_dns_race *race) {
  return race->live == 0 && !zn_timer_pending(&race->timer);
}
