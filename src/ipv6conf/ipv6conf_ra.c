/*
 * Router discovery for a host (RFC 4861 §6.3): router solicitations
 * (§6.3.7), router advertisement validation (§6.1.2) and processing
 * (§6.3.4): the default router list, the on-link prefix list and the link
 * parameters, written into IPv6's state (which next-hop determination,
 * §5.2 and §6.3.6, reads there); SLAAC from prefix options (RFC 4862
 * §5.5.3); RDNSS and DNSSL (RFC 8106).
 */
#include <string.h>

#include "ipv6/ipv6_int.h"
#include "ipv6conf/ipv6conf_base.h"
#include "znet/dns_wire.h"
#include "znet/err.h"
#include "znet/wire.h"

/* RFC 4861 §10, RFC 4862 §5.5.3. */
#define RTR_SOLICITATION_INTERVAL_MS 4000u
#define MAX_RTR_SOLICITATIONS 3u
#define MAX_REACHABLE_TIME_MS 3600000u
#define TWO_HOURS (7200ull * SEC)

static const uint8_t all_routers[16] = {0xff, 2, [15] = 2};

/* RFC 4861 §6.3.7: from the link-local address with our link-layer
 * address, or from :: without it. */
static void send_rs(struct zn_stack *st) {
  const uint8_t *src = zn__ip6conf_usable_linklocal(st);
  struct zn_buf *b = NULL;
  uint8_t *p = zn__ip6conf_msg_alloc(st, src ? 16 : 8, &b);
  if (!p)
    return;
  zn_nd_rs_emit(p, src ? st->mac : NULL);
  zn__ip6conf_msg_send(st, b, src, all_routers, ZN_ND_HOP_LIMIT, false);
  ZN_STAT_INC(st, rs_tx);
}

/* RFC 4861 §6.3.7: up to MAX_RTR_SOLICITATIONS, RTR_SOLICITATION_INTERVAL
 * apart, until an advertisement arrives. */
void zn__ip6conf_rs_due(struct zn_stack *st) {
  struct zn__ip6conf *c = ZN__MOD(st, ip6conf);
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

void zn__ip6conf_lists_due(struct zn_stack *st) {
  struct zn__ip6conf *c = ZN__MOD(st, ip6conf);
  struct zn__ip6 *ip6 = ZN__MOD(st, ip6);
  for (uint32_t i = 0; i < ip6->nrouter; i++)
    if (ip6->router[i].used && ip6->router[i].expires <= st->now) {
      memset(&ip6->router[i], 0, sizeof(ip6->router[i]));
      zn__ip6_changed(st);
      ZN_STAT_INC(st, ra_router_expired);
    }
  for (uint32_t i = 0; i < ip6->nprefix; i++)
    if (ip6->prefix[i].len && ip6->prefix[i].expires <= st->now) {
      memset(&ip6->prefix[i], 0, sizeof(ip6->prefix[i]));
      zn__ip6_changed(st);
      ZN_STAT_INC(st, ra_prefix_expired);
    }
  for (uint32_t i = 0; i < c->ndns; i++)
    if (c->dns[i].used && c->dns[i].expires <= st->now)
      memset(&c->dns[i], 0, sizeof(c->dns[i]));
  for (uint32_t i = 0; i < c->nsearch; i++)
    if (c->search[i].used && c->search[i].expires <= st->now)
      memset(&c->search[i], 0, sizeof(c->search[i]));
}

/* ---- router advertisements (RFC 4861 §6.1.2, §6.3.4) ----------------- */

/* RFC 4861 §6.1.2: link-local source, hop limit 255 (no off-link
 * sender), code 0, at least 16 bytes, every option well formed.  The
 * checksum is src/ipv6's. */
static bool ra_valid(struct zn_stack *st, const struct zn_buf *b,
                     const struct zn__inet_meta *m, struct zn_nd_view *nd,
                     struct zn_nd_opts *o) {
  struct zn_icmp6_view v;
  if (!ZN__MOD(st, ip6conf)->running) {
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

/* A list entry with a lifetime (a router, a prefix, an RDNSS or DNSSL
 * entry), after the rules the lists share (RFC 4861 §6.3.4, RFC 8106
 * §5.1): a zero lifetime removes the entry found; otherwise the entry
 * found is updated, or a free slot (*fresh: the caller writes its key)
 * takes a new one.  NULL: nothing to write (removed, or the list is full,
 * *full). */
static void *list_entry(void *found, void *free_slot, size_t size,
                        bool remove, bool *fresh, bool *full) {
  *fresh = false;
  *full = false;
  if (remove) {
    if (found)
      memset(found, 0, size);
    return NULL;
  }
  if (found)
    return found;
  *full = free_slot == NULL;
  *fresh = free_slot != NULL;
  return free_slot;
}

/* The default router list's entry for ip, or NULL; *free_slot the first
 * unused one (NULL: none). */
static struct zn__ip6_router *router_find(struct zn__ip6 *ip6,
                                          const uint8_t ip[16],
                                          struct zn__ip6_router **free_slot) {
  struct zn__ip6_router *r = NULL;
  *free_slot = NULL;
  for (uint32_t i = 0; i < ip6->nrouter; i++) {
    if (ip6->router[i].used && memcmp(ip6->router[i].ip, ip, 16) == 0)
      r = &ip6->router[i];
    else if (!ip6->router[i].used && !*free_slot)
      *free_slot = &ip6->router[i];
  }
  return r;
}

/* RFC 4861 §6.3.4: the router's entry in the default router list.  The
 * configuration's router keeps no lifetime: an advertisement from it
 * only says it is a router again. */
static void ra_router(struct zn_stack *st, const uint8_t src[16],
                      uint16_t lifetime_s) {
  struct zn__ip6 *ip6 = ZN__MOD(st, ip6);
  struct zn__ip6_router *free_slot;
  struct zn__ip6_router *r = router_find(ip6, src, &free_slot);
  if (r && r->fixed) {
    if (r->lost)
      zn__ip6_changed(st);
    r->lost = false;
    return;
  }
  bool fresh, full;
  r = list_entry(r, free_slot, sizeof(*r), lifetime_s == 0, &fresh, &full);
  if (full)
    ZN_STAT_INC(st, ra_router_full);
  if (!r || fresh || r->lost)
    zn__ip6_changed(st); /* removed, added or back */
  if (!r)
    return;
  if (fresh) {
    memcpy(r->ip, src, 16);
    r->used = true;
  }
  r->lost = false;
  r->expires = st->now + (uint64_t)lifetime_s * SEC;
}

int zn_stack_set_ipv6_gateway(struct zn_stack *st, const struct zn_ip *gw) {
  if (gw && (gw->family != ZN_AF_INET6 || zn_ipv6_addr_is_mcast(gw->bytes) ||
             zn_ipv6_addr_is_loopback(gw->bytes) ||
             zn__ip6_addr_find(st, gw->bytes)))
    return ZN_EINVAL;
  struct zn__ip6 *ip6 = ZN__MOD(st, ip6);
  for (uint32_t i = 0; i < ip6->nrouter; i++)
    if (ip6->router[i].used && ip6->router[i].fixed) {
      memset(&ip6->router[i], 0, sizeof(ip6->router[i]));
      zn__ip6_changed(st);
    }
  if (!gw || zn_ipv6_addr_is_unspecified(gw->bytes))
    return ZN_OK;
  struct zn__ip6_router *free_slot;
  struct zn__ip6_router *r = router_find(ip6, gw->bytes, &free_slot);
  if (!r)
    r = free_slot;
  if (!r)
    return ZN_ENOSPC;
  memcpy(r->ip, gw->bytes, 16);
  r->used = true;
  r->fixed = true;
  r->lost = false;
  r->expires = NEVER;
  zn__ip6_changed(st);
  return ZN_OK;
}

int zn_stack_get_ipv6_gateway(const struct zn_stack *st, struct zn_ip *out) {
  const struct zn__ip6 *ip6 = ZN__MOD(st, ip6);
  for (uint32_t i = 0; i < ip6->nrouter; i++)
    if (ip6->router[i].used && ip6->router[i].fixed) {
      *out = zn_ip_from_v6(ip6->router[i].ip);
      return ZN_OK;
    }
  return ZN_ENOENT;
}

/* RFC 4861 §6.3.4: Cur Hop Limit, BaseReachableTime, RetransTimer. */
static void ra_parameters(struct zn_stack *st, const struct zn_nd_view *nd) {
  struct zn__ip6 *ip6 = ZN__MOD(st, ip6);
  if (nd->cur_hop_limit)
    ip6->hop_limit = nd->cur_hop_limit;
  if (nd->reachable_time && nd->reachable_time <= MAX_REACHABLE_TIME_MS)
    zn__ip6_set_base_reachable(st, nd->reachable_time);
  if (nd->retrans_timer)
    ip6->retrans_ms = nd->retrans_timer;
}

/* RFC 4861 §6.3.4: MTU option, bounded to 1280..the link's MTU. */
static void ra_mtu(struct zn_stack *st, uint32_t mtu) {
  uint32_t link = st->nif ? st->nif->mtu : ZN_DEFAULT_MTU;
  if (mtu < 1280 || mtu > link) {
    ZN_STAT_INC(st, ra_mtu_ignored);
    return;
  }
  zn__ip6_set_link_mtu(st, mtu);
}

/* RFC 4861 §6.3.4: the on-link prefix list (L flag). */
static void onlink_prefix(struct zn_stack *st, const struct zn_nd_prefix *pi) {
  struct zn__ip6 *ip6 = ZN__MOD(st, ip6);
  struct zn__ip6_prefix *e = NULL, *free_slot = NULL;
  if (pi->prefix_len == 0)
    return;
  for (uint32_t i = 0; i < ip6->nprefix; i++) {
    struct zn__ip6_prefix *p = &ip6->prefix[i];
    if (p->len == pi->prefix_len &&
        zn__ip6_in_prefix(pi->prefix, p->p, p->len))
      e = p;
    else if (!p->len && !free_slot)
      free_slot = p;
  }
  bool fresh, full;
  e = list_entry(e, free_slot, sizeof(*e), pi->valid_lifetime == 0, &fresh,
                 &full);
  if (full)
    ZN_STAT_INC(st, ra_prefix_full);
  if (!e || fresh)
    zn__ip6_changed(st); /* removed or added */
  if (!e)
    return;
  if (fresh) {
    memset(e->p, 0, 16);
    memcpy(e->p, pi->prefix, (pi->prefix_len + 7u) / 8u);
    if (pi->prefix_len % 8)
      e->p[pi->prefix_len / 8] &= (uint8_t)(0xff << (8 - pi->prefix_len % 8));
    e->len = pi->prefix_len;
  }
  e->expires = zn__ip6conf_after_s(st, pi->valid_lifetime);
}

static struct zn__ip6_addr *slaac_find(struct zn_stack *st,
                                       const uint8_t pfx[8]) {
  struct zn__ip6 *ip6 = ZN__MOD(st, ip6);
  for (uint32_t i = 0; i < ip6->naddr; i++)
    if (ip6->addr[i].state != ZN__A6_FREE &&
        ip6->addr[i].origin == ZN__A6_SLAAC &&
        memcmp(ip6->addr[i].a, pfx, 8) == 0)
      return &ip6->addr[i];
  return NULL;
}

/* RFC 4862 §5.5.3 e): the preferred lifetime is reset; the valid one
 * follows the two-hour rule against spoofed short lifetimes. */
static void slaac_update(struct zn_stack *st, struct zn__ip6_addr *e,
                         const struct zn_nd_prefix *pi) {
  uint64_t adv = zn__ip6conf_after_s(st, pi->valid_lifetime);
  uint64_t remaining = e->valid_until - st->now;
  e->preferred_until = zn__ip6conf_after_s(st, pi->preferred_lifetime);
  if (e->state == ZN__A6_PREFERRED && e->preferred_until <= st->now) {
    e->state = ZN__A6_DEPRECATED;
    zn__ip6_changed(st);
  } else if (e->state == ZN__A6_DEPRECATED && e->preferred_until > st->now) {
    e->state = ZN__A6_PREFERRED;
    zn__ip6_changed(st);
  }
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
  e = zn__ip6conf_addr_add(st, a, 64, ZN__A6_SLAAC);
  if (!e)
    return;
  e->preferred_until = zn__ip6conf_after_s(st, pi->preferred_lifetime);
  e->valid_until = zn__ip6conf_after_s(st, pi->valid_lifetime);
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
  bool fresh, full;
  e = list_entry(e, free_slot, sizeof(*e), lifetime == 0, &fresh, &full);
  if (full)
    ZN_STAT_INC(st, ra_dns_full);
  if (!e)
    return;
  if (fresh) {
    memset(e, 0, sizeof(*e));
    e->used = true;
    if (a)
      memcpy(e->a, a, 16);
    else
      memcpy(e->name, name, name_len);
  }
  e->expires = zn__ip6conf_after_s(st, lifetime);
}

/* RFC 8106 §5.2: each name of a DNSSL option, checked by
 * zn_nd_opt_dnssl (labels of 1..63 bytes inside the option, a zero byte
 * at the end, at most 255 bytes), as presentation text by THE name
 * codec (src/wire): a dot or a byte outside printable ASCII inside a
 * label is escaped, so the resolver reads back the same labels.  A name
 * whose text does not fit an entry is left out. */
static void ra_dnssl(struct zn_stack *st, const struct zn_nd_opt *o,
                     uint32_t lifetime) {
  const uint8_t *p = o->p + 8;
  size_t len = o->len - 8, i = 0;
  struct zn__ip6conf *c = ZN__MOD(st, ip6conf);
  while (i < len && p[i] != 0) {
    size_t start = i;
    while (i < len && p[i] != 0)
      i += 1u + p[i];
    i++; /* the name's zero byte */
    struct zn_dns_name name;
    char text[sizeof(c->search[0].name)];
    size_t n;
    if (i > len || i - start > sizeof(name.b))
      return; /* (zn_nd_opt_dnssl refused such an option already) */
    name.len = (uint8_t)(i - start);
    memcpy(name.b, p + start, name.len);
    if (zn_dns_name_to_text(&name, text, sizeof(text), &n) == ZN_OK)
      dns_entry(st, c->search, c->nsearch, NULL, text, n, lifetime);
  }
}

/* One option of an RA: one that carries values must decode (a prefix,
 * MTU, RDNSS or DNSSL option of a wrong length makes the whole RA
 * invalid); with apply, it is acted on.  Unknown options are skipped. */
static bool ra_option(struct zn_stack *st, const struct zn_nd_opt *o,
                      bool apply) {
  struct zn_nd_prefix pi;
  uint32_t u;
  size_t n;
  if (o->type == ZN_ND_OPT_PREFIX) {
    if (zn_nd_opt_prefix(o, &pi) != ZN_OK)
      return false;
    if (apply)
      ra_prefix(st, &pi);
  } else if (o->type == ZN_ND_OPT_MTU) {
    if (zn_nd_opt_mtu(o, &u) != ZN_OK)
      return false;
    if (apply)
      ra_mtu(st, u);
  } else if (o->type == ZN_ND_OPT_RDNSS) {
    if (zn_nd_opt_rdnss(o, &u, &n) != ZN_OK)
      return false;
    for (size_t i = 0; apply && i < n; i++)
      dns_entry(st, ZN__MOD(st, ip6conf)->dns, ZN__MOD(st, ip6conf)->ndns,
                zn_nd_opt_rdnss_addr(o, i), "", 0, u);
  } else if (o->type == ZN_ND_OPT_DNSSL) {
    if (zn_nd_opt_dnssl(o, &u, &n) != ZN_OK)
      return false;
    if (apply)
      ra_dnssl(st, o, u);
  }
  return true;
}

/* Every option of the RA through ra_option: first with apply false, to
 * reject the RA before anything changes; then with apply true. */
static bool ra_options(struct zn_stack *st, const struct zn_nd_view *nd,
                       bool apply) {
  struct zn_nd_opt_iter it;
  struct zn_nd_opt o;
  zn_nd_opt_iter_init(&it, nd);
  while (zn_nd_opt_next(&it, &o) == ZN_OK)
    if (!ra_option(st, &o, apply))
      return false;
  return true;
}

void zn__ip6conf_ra_input(struct zn_stack *st, struct zn_buf *b,
                          const struct zn__inet_meta *m) {
  struct zn_nd_view nd;
  struct zn_nd_opts o;
  ZN_STAT_INC(st, ra_rx);
  if (!ra_valid(st, b, m, &nd, &o))
    goto drop; /* counted inside, by reason */
  if (!ra_options(st, &nd, false)) {
    ZN_STAT_INC(st, ra_drop_opts);
    goto drop;
  }
  ZN_STAT_INC(st, ra_accepted);
  ZN__MOD(st, ip6conf)->rs_done = true; /* §6.3.7: no more solicitations */
  ZN__MOD(st, ip6conf)->rs_at = 0;
  if (o.slla)
    zn__nd_learn(st, m->src.bytes, o.slla, true);
  ra_parameters(st, &nd);
  ra_router(st, m->src.bytes, nd.router_lifetime);
  (void)ra_options(st, &nd, true);
  zn__ip6conf_rearm(st);
drop:
  zn_buf_free(b);
}

int zn_stack_ipv6_dns_server(const struct zn_stack *st, uint32_t i,
                             struct zn_ip *out) {
  const struct zn__ip6conf *c = ZN__MOD(st, ip6conf);
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
  const struct zn__ip6conf *c = ZN__MOD(st, ip6conf);
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
