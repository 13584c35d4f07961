/*
 * Our IPv6 addresses: RFC 4862 address states, duplicate address detection
 * (§5.4) and lifetimes (§5.5.4), with RFC 7217 stable interface
 * identifiers, RFC 5453 reserved ones skipped.  SLAAC creates its
 * addresses through zn__ip6conf_addr_add (ipv6conf_ra.c).
 */
#include <string.h>

#include "core/log_int.h"
#include "ipv6/ipv6_int.h"
#include "ipv6conf/ipv6conf_base.h"
#include "znet/err.h"
#include "znet/hash.h"
#include "znet/wire.h"

/* RFC 7217 §7. */
#define IDGEN_RETRIES 3u

/* RFC 4862 §5.4.2: a probe from ::, to the target's solicited-node
 * group, without a source link-layer option. */
static void send_dad_ns(struct zn_stack *st, const uint8_t target[16]) {
  struct zn_buf *b = NULL;
  uint8_t *p = zn__ip6conf_msg_alloc(st, ZN_ND_NS_LEN, &b);
  uint8_t dst[16];
  if (!p)
    return;
  zn_nd_ns_emit(p, target, NULL);
  zn_ipv6_solicited_node(target, dst);
  zn__ip6conf_msg_send(st, b, NULL, dst, ZN_ND_HOP_LIMIT, false);
  ZN_STAT_INC(st, dad_ns_tx);
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
    uint64_t h = zn_siphash24(ZN__MOD(st, ip6conf)->secret, in, sizeof(in));
    for (int i = 0; i < 8; i++)
      iid[i] = (uint8_t)(h >> (56 - 8 * i));
    if (!zn__ip6conf_iid_reserved(iid))
      return;
  }
}

/* ---- the address table (RFC 4862) ----------------------------------- */

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

/* The address became usable, or stopped being: the transports and the
 * application hear of it. */
static void addr_event(struct zn_stack *st, const struct zn__ip6_addr *e,
                       enum zn_addr_event ev) {
  struct zn_ip ip = zn_ip_from_v6(e->a);
  zn__stack_addr_event(st, ev, &ip, e->prefix);
}

/* RFC 4862 §5.4.2: join the solicited-node group, then probe after a
 * random delay of up to MAX_RTR_SOLICITATION_DELAY.  No optimistic DAD
 * (RFC 4429): the address stays TENTATIVE, unused, until DAD ends. */
static void dad_start(struct zn_stack *st, struct zn__ip6_addr *e) {
  uint8_t sn[16];
  zn_ipv6_solicited_node(e->a, sn);
  (void)zn__ip6conf_mcast_join(st, sn); /* full: DAD still runs */
  e->dad_left = st->cfg.ipv6_dad_transmits;
  zn__ip6_changed(st);
  if (e->dad_left == 0) { /* §5.4: DupAddrDetectTransmits 0, no DAD */
    e->state = ZN__A6_PREFERRED;
    e->dad_at = 0;
    zn__ip6conf_rearm(st);
    addr_event(st, e, ZN_ADDR_ADDED);
    return;
  }
  e->state = ZN__A6_TENTATIVE;
  e->dad_at = zn__ip6conf_after_rand_ms(st, MAX_RTR_SOLICITATION_DELAY_MS);
  if (e->dad_at == 0) /* 0 means "not scheduled": a clock at 0 */
    e->dad_at = 1;
  zn__ip6conf_rearm(st);
}

struct zn__ip6_addr *zn__ip6conf_addr_add(struct zn_stack *st,
                                          const uint8_t a[16], uint8_t prefix,
                                          uint8_t origin) {
  struct zn__ip6 *ip6 = ZN__MOD(st, ip6);
  for (uint32_t i = 0; i < ip6->naddr; i++) {
    struct zn__ip6_addr *e = &ip6->addr[i];
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
  struct zn__ip6_addr was = *e;
  if (addr_in_group(e))
    leave_solicited(st, e->a);
  memset(e, 0, sizeof(*e));
  zn__ip6_changed(st);
  if (zn__ip6_addr_usable(&was))
    addr_event(st, &was, ZN_ADDR_REMOVED);
}

/* RFC 4862 §5.4.5: stop using IPv6 on the link (no more RS, reports,
 * probes; RAs dropped). */
static void ipv6_disable(struct zn_stack *st) {
  struct zn__ip6conf *c = ZN__MOD(st, ip6conf);
  c->running = false;
  c->disabled = true;
  zn__ip6_changed(st);
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
  zn__ip6_changed(st);
  if (e->origin == ZN__A6_LINKLOCAL)
    ipv6_disable(st);
  zn__ip6conf_rearm(st);
}

/* RFC 4862 §5.4.2: the next probe, or RetransTimer after the last one,
 * success. */
static void dad_step(struct zn_stack *st, struct zn__ip6_addr *e) {
  if (e->dad_left) {
    send_dad_ns(st, e->a);
    e->dad_left--;
    e->dad_at = st->now + (uint64_t)zn__ip6_retrans_ms(st) * MS;
    return;
  }
  e->dad_at = 0;
  e->state = e->preferred_until <= st->now ? ZN__A6_DEPRECATED
                                           : ZN__A6_PREFERRED;
  zn__ip6_changed(st);
  ZN_STAT_INC(st, dad_ok);
  addr_event(st, e, ZN_ADDR_ADDED);
}

/* RFC 4862 §5.5.4: deprecation and removal on lifetime expiry. */
void zn__ip6conf_addrs_due(struct zn_stack *st) {
  struct zn__ip6 *ip6 = ZN__MOD(st, ip6);
  for (uint32_t i = 0; i < ip6->naddr; i++) {
    struct zn__ip6_addr *e = &ip6->addr[i];
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
      zn__ip6_changed(st);
      ZN_STAT_INC(st, slaac_deprecated);
    }
  }
}

void zn__ip6conf_dad_ns(struct zn_stack *st, const uint8_t target[16],
                        bool from_unspecified) {
  struct zn__ip6_addr *e = zn__ip6_addr_find(st, target);
  /* §5.4.3: only another node's probe (from ::) is a conflict; an NS for
   * a tentative address from a unicast source is silently ignored. */
  if (!e || e->state != ZN__A6_TENTATIVE || !from_unspecified)
    return;
  ZN_STAT_INC(st, dad_dup_ns);
  dad_failed(st, e);
}

void zn__ip6conf_dad_na(struct zn_stack *st, const uint8_t target[16]) {
  struct zn__ip6_addr *e = zn__ip6_addr_find(st, target);
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

void zn__ip6conf_nd_event(struct zn_stack *st, enum zn__nd_event ev,
                          const uint8_t target[16]) {
  if (ev == ZN__ND_EV_NA)
    zn__ip6conf_dad_na(st, target);
  else
    zn__ip6conf_dad_ns(st, target, ev == ZN__ND_EV_NS_PROBE);
}

int zn_stack_add_ipv6(struct zn_stack *st, const struct zn_ip *addr,
                      uint8_t prefix) {
  if (addr->family != ZN_AF_INET6 || prefix > 128 ||
      zn_ipv6_addr_is_mcast(addr->bytes) ||
      zn_ipv6_addr_is_unspecified(addr->bytes) ||
      zn_ipv6_addr_is_loopback(addr->bytes))
    return ZN_EINVAL;
  if (zn__ip6_addr_find(st, addr->bytes))
    return ZN_EEXIST;
  return zn__ip6conf_addr_add(st, addr->bytes, prefix, ZN__A6_STATIC) ? ZN_OK
                                                          : ZN_ENOSPC;
}

int zn_stack_del_ipv6(struct zn_stack *st, const struct zn_ip *addr) {
  struct zn__ip6_addr *e =
      addr->family == ZN_AF_INET6 ? zn__ip6_addr_find(st, addr->bytes) : NULL;
  if (!e)
    return ZN_ENOENT;
  addr_remove(st, e);
  zn__ip6conf_rearm(st);
  return ZN_OK;
}

void zn__ip6conf_linklocal_create(struct zn_stack *st) {
  uint8_t a[16] = {0xfe, 0x80};
  zn__ip6conf_stable_iid(st, a, 0, a + 8);
  (void)zn__ip6conf_addr_add(st, a, 64, ZN__A6_LINKLOCAL);
}
