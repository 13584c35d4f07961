/*
 * What the other files of ipv6conf call, below them all: the deadline of
 * the module's one timer, the earliest of every table's (addresses, the
 * router, prefix and DNS lists, the groups, RS, the general query
 * answer), and the sending of the messages the module makes (RS, DAD
 * probes, MLD reports).  ipv6conf.c, the module's top, fires the timer
 * and hands each table's due work to its file.
 */
#include <string.h>

#include "ipv6/ipv6_int.h"
#include "ipv6conf/ipv6conf_base.h"

uint64_t zn__ip6conf_addr_deadline(const struct zn__ip6_addr *e) {
  uint64_t t = NEVER;
  /* A DUPLICATE one keeps its valid lifetime: a SLAAC address out of
   * RFC 7217 §6 retries goes with it, and the prefix's next
   * advertisement starts again. */
  if (e->state == ZN__A6_FREE)
    return t;
  if (e->state == ZN__A6_TENTATIVE)
    zn__ip6conf_earliest(&t, e->dad_at);
  if (e->state == ZN__A6_PREFERRED)
    zn__ip6conf_earliest(&t, e->preferred_until);
  zn__ip6conf_earliest(&t, e->valid_until);
  return t;
}

/* ---- time ------------------------------------------------------------ */

void zn__ip6conf_rearm(struct zn_stack *st) {
  struct zn__ip6conf *c = ZN__MOD(st, ip6conf);
  const struct zn__ip6 *ip6 = ZN__MOD(st, ip6);
  uint64_t t = NEVER;
  for (uint32_t i = 0; i < ip6->naddr; i++)
    zn__ip6conf_earliest(&t, zn__ip6conf_addr_deadline(&ip6->addr[i]));
  for (uint32_t i = 0; i < ip6->nrouter; i++)
    if (ip6->router[i].used)
      zn__ip6conf_earliest(&t, ip6->router[i].expires);
  for (uint32_t i = 0; i < ip6->nprefix; i++)
    if (ip6->prefix[i].len)
      zn__ip6conf_earliest(&t, ip6->prefix[i].expires);
  for (uint32_t i = 0; i < ip6->ngroup; i++) {
    if (ip6->group[i].report_left)
      zn__ip6conf_earliest(&t, ip6->group[i].report_at);
    zn__ip6conf_earliest(&t, ip6->group[i].answer_at);
  }
  for (uint32_t i = 0; i < c->ndns; i++)
    if (c->dns[i].used)
      zn__ip6conf_earliest(&t, c->dns[i].expires);
  for (uint32_t i = 0; i < c->nsearch; i++)
    if (c->search[i].used)
      zn__ip6conf_earliest(&t, c->search[i].expires);
  zn__ip6conf_earliest(&t, c->rs_at);
  zn__ip6conf_earliest(&t, c->general_at);
  if (t == NEVER)
    zn_timer_stop(st, &c->timer);
  else
    zn_timer_start(st, &c->timer, t);
}

/* ---- sending --------------------------------------------------------- */

const uint8_t *zn__ip6conf_usable_linklocal(const struct zn_stack *st) {
  const struct zn__ip6 *ip6 = ZN__MOD(st, ip6);
  for (uint32_t i = 0; i < ip6->naddr; i++) {
    const struct zn__ip6_addr *e = &ip6->addr[i];
    if (e->origin == ZN__A6_LINKLOCAL && zn__ip6_addr_usable(e))
      return e->a;
  }
  return NULL;
}

uint8_t *zn__ip6conf_msg_alloc(struct zn_stack *st, size_t len,
                               struct zn_buf **b) {
  if (!st->cfg.ipv6 || ZN__MOD(st, ip6conf)->disabled)
    return NULL;
  *b = zn__buf_alloc(st, len);
  return *b ? zn_buf_put(*b, len) : NULL;
}

void zn__ip6conf_msg_send(struct zn_stack *st, struct zn_buf *b,
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
