/*
 * IPv6 (RFC 8200): input with the extension-header chain, output with
 * RFC 6724 source selection, the next hop and fragmentation to the path
 * MTU; the path MTU cache (RFC 8201).  Neighbor discovery is nd.c,
 * ICMPv6 icmp6.c, reassembly frag6.c.
 *
 * Input order: header, sources, destination, chain walk (its refusals
 * answered with parameter problem), routing header, fragments, options
 * of the final datagram, upper layer.  Every discarded datagram counts in
 * exactly one ip6_* DROP counter (or the ICMPv6 / ND ones past delivery).
 */
#include <string.h>

#include "core/module_int.h"
#include "core/stack_int.h"
#include "inet/inet_int.h"
#include "eth/eth_int.h"
#include "ipv6/ipv6_int.h"
#include "wire/wire_inline.h"
#include "znet/err.h"
#include "znet/wire.h"

#define PMTU_AGE_NS ZN_SEC(600) /* RFC 8201 §4: 10 minutes */

static const uint8_t all_nodes[16] = {0xff, 2, [15] = 1};
static const uint8_t loopback6[16] = {[15] = 1};

size_t zn__ip6_mem_size(const struct zn_config *cfg) {
  size_t n = zn__ip6_iface_mem_size(cfg);
  if (!cfg->ipv6)
    return n;
  return n + zn__nd_mem_size(cfg) + zn__ip6_reass_mem_size(cfg);
}

void zn__ip6_init(struct zn_stack *st, void **mem) {
  struct zn__ip6 *ip6 = ZN__MOD(st, ip6);
  memset(ip6, 0, sizeof(*ip6));
  zn__ip6_iface_init(st, mem);
  ip6->up = st->cfg.ipv6;
  if (!ip6->up)
    return;
  zn__nd_init(st, mem);
  zn__ip6_reass_init(st, mem);
  ip6->tokens_ns = st->cfg.icmp_rate
                       ? ZN_SEC(1) / st->cfg.icmp_rate * st->cfg.icmp_burst
                       : 0;
  ip6->last_ns = st->now;
}

void zn__ip6_start(struct zn_stack *st) {
  if (ZN__MOD(st, ip6)->up)
    zn__ip6_recompute_reachable(st);
}

void zn__ip6_destroy(struct zn_stack *st) {
  if (!ZN__MOD(st, ip6)->up)
    return;
  zn__nd_destroy(st);
  zn__ip6_reass_destroy(st);
}

static void loop_input(struct zn_stack *st, struct zn_buf *b);

/* ---- addresses ---- */

bool zn__ip6_is_local(const struct zn_stack *st, const uint8_t a[16]) {
  return ZN__MOD(st, ip6)->up && zn__ip6_addr_usable(zn__ip6_addr_find(st, a));
}

bool zn__ip6_is_bindable(const struct zn_stack *st, const uint8_t a[16]) {
  return zn__ip6_is_local(st, a) ||
         (ZN__MOD(st, ip6)->up && zn_ipv6_addr_is_loopback(a));
}

bool zn__ip6_dst_accepted(const struct zn_stack *st, const uint8_t d[16]) {
  if (zn_ipv6_addr_is_mcast(d))
    return zn__ip6_mcast_joined(st, d);
  return zn__ip6_is_local(st, d);
}

/* RFC 2464 §7: a 33:33 frame carries a group's low 32 bits, which many
 * groups share: accepted if one group we listen to maps to it (the IPv6
 * layer filters the group itself). */
static enum zn__eth_group mac_accepted(const struct zn_stack *st,
                                       const uint8_t mac[6]) {
  if (mac[0] != 0x33 || mac[1] != 0x33)
    return ZN__ETH_GROUP_OTHER;
  return zn__ip6_mcast_mac_joined(st, mac) ? ZN__ETH_GROUP_JOINED
                                                : ZN__ETH_GROUP_UNJOINED;
}

static uint8_t addr_scope(const uint8_t a[16]) {
  if (zn_ipv6_addr_is_mcast(a))
    return zn_ipv6_mcast_scope(a);
  if (zn_ipv6_addr_is_linklocal(a) || zn_ipv6_addr_is_loopback(a))
    return 2;
  return 14;
}

static uint8_t common_prefix(const uint8_t a[16], const uint8_t b[16]) {
  uint8_t n = 0;
  for (int i = 0; i < 16; i++) {
    uint8_t x = (uint8_t)(a[i] ^ b[i]);
    if (x == 0) {
      n = (uint8_t)(n + 8);
      continue;
    }
    while (!(x & 0x80)) {
      n++;
      x = (uint8_t)(x << 1);
    }
    break;
  }
  return n;
}

/* One candidate source as RFC 6724 §5 compares them: its scope worked
 * out once, its matching prefix with the destination only when rule 8
 * is reached (-1 until then). */
struct source_cand {
  const struct zn__ip6_addr *a;
  uint8_t scope;
  int16_t match; /* common prefix with dst, at most a's prefix length */
};

static uint8_t source_match(struct source_cand *c, const uint8_t dst[16]) {
  if (c->match < 0) {
    uint8_t m = common_prefix(c->a->a, dst), p = c->a->prefix;
    c->match = (int16_t)(m < p ? m : p);
  }
  return (uint8_t)c->match;
}

/* RFC 6724 §5: is candidate c a better source than best for dst, of
 * scope sd?  Rules 2 (appropriate scope), 3 (avoid deprecated) and 8
 * (longest matching prefix); rule 1 (the destination itself) is the
 * caller's, and the others need policy we do not have. */
static bool source_better(struct source_cand *c, struct source_cand *best,
                          const uint8_t dst[16], uint8_t sd) {
  if (!best->a)
    return true;
  if (c->scope != best->scope) {
    if (c->scope < best->scope)
      return c->scope >= sd;
    return best->scope < sd;
  }
  bool d1 = c->a->state == ZN__A6_DEPRECATED;
  bool d2 = best->a->state == ZN__A6_DEPRECATED;
  if (d1 != d2)
    return !d1;
  return source_match(c, dst) > source_match(best, dst);
}

/* RFC 6724 §5 over the address table. */
static int source_choose(struct zn_stack *st, const uint8_t dst[16],
                         uint8_t out[16]) {
  const struct zn__ip6_addr *all = ZN__MOD(st, ip6)->addr;
  uint32_t n = ZN__MOD(st, ip6)->naddr;
  uint8_t sd = addr_scope(dst);
  struct source_cand best = {NULL, 0, -1};
  for (uint32_t i = 0; i < n; i++) {
    const struct zn__ip6_addr *a = &all[i];
    if (!zn__ip6_addr_usable(a))
      continue;
    if (memcmp(a->a, dst, 16) == 0) { /* rule 1: prefer the same address */
      best.a = a;
      break;
    }
    struct source_cand c = {a, addr_scope(a->a), -1};
    if (source_better(&c, &best, dst, sd))
      best = c;
  }
  if (!best.a)
    return ZN_EADDRNOTAVAIL;
  memcpy(out, best.a->a, 16);
  return ZN_OK;
}

/* ---- the destination cache (RFC 4861 §5.1) ---- */

/* dst's entry, emptied first if it held another destination or an older
 * generation. */
static struct zn__ip6_dest *dest_entry(struct zn_stack *st,
                                       const uint8_t dst[16]) {
  uint32_t h = zn_rd32(dst + 12) ^ zn_rd32(dst + 8);
  h ^= h >> 16;
  h ^= h >> 8;
  struct zn__ip6_dest *d = &ZN__MOD(st, ip6)->dest[h % ZN__IP6_DEST];
  uint32_t gen = zn__ip6_gen(st);
  if (d->gen != gen || !zn_ipv6_addr_eq(d->dst, dst)) {
    memcpy(d->dst, dst, 16);
    d->gen = gen;
    d->known = 0;
  }
  return d;
}

/* The fields of an entry, each worked out on first use. */
static bool dest_source(struct zn_stack *st, struct zn__ip6_dest *d,
                        uint8_t out[16]) {
  if (!(d->known & ZN__DEST_SRC)) {
    d->src_ok = source_choose(st, d->dst, d->src) == ZN_OK;
    d->known |= ZN__DEST_SRC;
  }
  if (d->src_ok)
    memcpy(out, d->src, 16);
  return d->src_ok;
}

static bool dest_next_hop(struct zn_stack *st, struct zn__ip6_dest *d,
                          uint8_t out[16]) {
  if (!(d->known & ZN__DEST_NH)) {
    d->nh_ok = zn__ip6_next_hop_determine(st, d->dst, d->nh) == ZN_OK;
    d->known |= ZN__DEST_NH;
  }
  if (d->nh_ok)
    memcpy(out, d->nh, 16);
  return d->nh_ok;
}

static bool dest_local(struct zn_stack *st, struct zn__ip6_dest *d) {
  if (!(d->known & ZN__DEST_LOCAL)) {
    d->local = zn__ip6_is_local(st, d->dst);
    d->known |= ZN__DEST_LOCAL;
  }
  return d->local;
}

int zn__ip6_select_source(struct zn_stack *st, const uint8_t dst[16],
                          uint8_t out[16]) {
  if (!ZN__MOD(st, ip6)->up)
    return ZN_EADDRNOTAVAIL;
  if (zn_ipv6_addr_is_loopback(dst)) {
    memcpy(out, loopback6, 16);
    return ZN_OK;
  }
  return dest_source(st, dest_entry(st, dst), out) ? ZN_OK
                                                   : ZN_EADDRNOTAVAIL;
}

int zn__ip6_next_hop(struct zn_stack *st, const uint8_t dst[16],
                     uint8_t nh[16]) {
  return dest_next_hop(st, dest_entry(st, dst), nh) ? ZN_OK
                                                    : ZN_EHOSTUNREACH;
}

/* ---- path MTU (RFC 8201) ---- */

/* Every packet sent asks; nearly always no packet too big has come, and
 * the table is empty. */
static struct zn__pmtu6 *pmtu_find(struct zn_stack *st, const uint8_t d[16]) {
  for (int i = 0; ZN__MOD(st, ip6)->npmtu && i < ZN__IP6_PMTU; i++) {
    struct zn__pmtu6 *e = &ZN__MOD(st, ip6)->pmtu[i];
    if (e->mtu && memcmp(e->dst, d, 16) == 0) {
      if (e->expires <= st->now) {
        e->mtu = 0; /* §4: aged out, try the link MTU again */
        ZN__MOD(st, ip6)->npmtu--;
        return NULL;
      }
      return e;
    }
  }
  return NULL;
}

void zn__ip6_mtu_lowered(struct zn_stack *st) { ZN__MOD(st, ip6)->mtu_epoch++; }

static uint32_t link_mtu(const struct zn_stack *st) {
  uint32_t m = zn__ip6_link_mtu(st);
  return m < ZN_IPV6_MIN_MTU ? ZN_IPV6_MIN_MTU : m;
}

uint32_t zn__ip6_path_mtu(struct zn_stack *st, const uint8_t dst[16]) {
  uint32_t m = link_mtu(st);
  const struct zn__pmtu6 *e = pmtu_find(st, dst);
  if (e && e->mtu < m)
    m = e->mtu;
  return m;
}

/* RFC 8201 §4: a packet too big lowers the estimate, never below 1280,
 * never raises it.  The table is small: a new destination takes the slot
 * closest to expiry. */
void zn__ip6_pmtu_update(struct zn_stack *st, const uint8_t dst[16],
                         uint32_t mtu) {
  if (mtu < ZN_IPV6_MIN_MTU)
    mtu = ZN_IPV6_MIN_MTU;
  if (mtu >= zn__ip6_path_mtu(st, dst))
    return;
  struct zn__pmtu6 *e = pmtu_find(st, dst);
  for (int i = 0; !e && i < ZN__IP6_PMTU; i++) {
    struct zn__pmtu6 *c = &ZN__MOD(st, ip6)->pmtu[i];
    if (c->mtu == 0 || c->expires <= st->now) {
      e = c;
      break;
    }
  }
  for (int i = 0; !e && i < ZN__IP6_PMTU; i++) {
    struct zn__pmtu6 *c = &ZN__MOD(st, ip6)->pmtu[i];
    if (i == 0 || c->expires < e->expires)
      e = c;
  }
  memcpy(e->dst, dst, 16);
  if (e->mtu == 0)
    ZN__MOD(st, ip6)->npmtu++;
  e->mtu = mtu;
  e->expires = st->now + PMTU_AGE_NS;
  zn__ip6_mtu_lowered(st);
  ZN_STAT_INC(st, icmp6_pmtu_update);
}

/* ---- output ---- */

/* A datagram whose checksum was left to the device (ZN_BUF_F_CSUM_PARTIAL:
 * the field holds the pseudo-header sum) that must be fragmented after
 * all (the path MTU is below the link's): the device sees only fragments,
 * so the checksum is completed here over the upper-layer data at unf. */
static void finish_partial_csum(struct zn_buf *b, size_t unf, uint8_t nxt) {
  size_t field = nxt == ZN_IPPROTO_TCP ? 16 : nxt == ZN_IPPROTO_UDP ? 6 : 0;
  if (!(b->flags & ZN_BUF_F_CSUM_PARTIAL) || !field ||
      b->len < unf + field + 2)
    return;
  uint16_t c = zn_csum(b->data + unf, b->len - unf);
  if (c == 0 && nxt == ZN_IPPROTO_UDP)
    c = 0xffff; /* RFC 8200 8.1: a zero UDP checksum is sent as ones */
  zn_wr16(b->data + unf + field, c);
  b->flags &= (uint16_t)~ZN_BUF_F_CSUM_PARTIAL;
}

/* RFC 8200 §4.5: cut a datagram we built (IPv6 header, maybe a hop-by-hop
 * header, then the rest) into fragments of at most mtu bytes. */
static void fragment_send(struct zn_stack *st, struct zn_buf *b,
                          const uint8_t mac[6], uint32_t mtu) {
  const uint8_t *h = b->data;
  size_t unf = ZN_IPV6_HDR_LEN;
  uint8_t nxt = h[6];
  size_t nxt_at = 6;
  if (nxt == ZN_IPPROTO_HOPOPTS && b->len >= unf + 8) {
    nxt_at = unf;
    nxt = h[unf];
    unf += (size_t)(h[unf + 1] + 1) * 8;
  }
  finish_partial_csum(b, unf, nxt);
  size_t plen = b->len - unf;
  size_t chunk = (mtu - unf - 8) & ~(size_t)7;
  uint32_t id = zn_random_u32(st);
  for (size_t off = 0; off < plen; off += chunk) {
    size_t n = plen - off < chunk ? plen - off : chunk;
    struct zn_buf *f = zn__buf_alloc(st, unf + 8 + n);
    if (!f) {
      ZN_STAT_INC(st, ip6_tx_drop_nobuf);
      break;
    }
    uint8_t *p = zn_buf_put(f, unf + 8 + n);
    memcpy(p, h, unf);
    zn_wr16(p + 4, (uint16_t)(unf - ZN_IPV6_HDR_LEN + 8 + n));
    p[nxt_at] = ZN_IPPROTO_FRAGMENT;
    p[unf] = nxt;
    p[unf + 1] = 0;
    zn_wr16(p + unf + 2, (uint16_t)(off | (off + n < plen ? 1u : 0u)));
    zn_wr32(p + unf + 4, id);
    memcpy(p + unf + 8, h + unf + off, n);
    ZN_STAT_INC(st, ip6_frag_tx);
    zn__eth_output(st, f, mac, ZN_ETHERTYPE_IPV6);
  }
  zn_buf_free(b);
}

void zn__ip6_link_send(struct zn_stack *st, struct zn_buf *b,
                       const uint8_t mac[6]) {
  /* Every link carries 1280 bytes (RFC 8200 §5): most datagrams need
   * no path MTU. */
  if (b->len <= ZN_IPV6_MIN_MTU || b->gso_size) {
    zn__eth_output(st, b, mac, ZN_ETHERTYPE_IPV6);
    return;
  }
  const uint8_t *dst = b->data + 24;
  uint32_t mtu = zn_ipv6_addr_is_mcast(dst) ? link_mtu(st)
                                            : zn__ip6_path_mtu(st, dst);
  if (b->len <= mtu) {
    zn__eth_output(st, b, mac, ZN_ETHERTYPE_IPV6);
    return;
  }
  fragment_send(st, b, mac, mtu);
}

/* RFC 2711: a hop-by-hop header holding Router Alert (MLD, value 0) and
 * a PadN of 2 bytes. */
static bool push_router_alert(struct zn_buf *b, uint8_t nxt) {
  uint8_t *p = zn_buf_push(b, 8);
  if (!p)
    return false;
  p[0] = nxt;
  p[1] = 0;
  p[2] = ZN_IPV6_OPT_ROUTER_ALERT;
  p[3] = 2;
  p[4] = 0;
  p[5] = 0;
  p[6] = ZN_IPV6_OPT_PADN;
  p[7] = 0;
  return true;
}

/* The datagram's source: ::, the one asked for, ::1 toward ::1, or the
 * destination cache's (d: tx->dst's entry, NULL for ::1). */
static bool choose_source(struct zn_stack *st, const struct zn__inet_tx *tx,
                          struct zn__ip6_dest *d, uint8_t src[16]) {
  if (tx->src_unspecified) {
    memset(src, 0, 16);
    return true;
  }
  if (tx->src.family == ZN_AF_INET6 &&
      !zn_ipv6_addr_is_unspecified(tx->src.bytes)) {
    memcpy(src, tx->src.bytes, 16);
    return true;
  }
  if (!d) {
    memcpy(src, loopback6, 16);
    return true;
  }
  return dest_source(st, d, src);
}

/* Where the finished datagram goes: loopback (loop: to one of our own
 * addresses or ::1), a group's MAC, or a neighbor (RFC 4861 §5.2
 * next-hop determination, from dst's destination cache entry d). */
static int route(struct zn_stack *st, struct zn_buf *b, const uint8_t *dst,
                 bool loop, struct zn__ip6_dest *d) {
  if (loop) {
    if (zn__loop(st, b, loop_input) != ZN_OK) {
      ZN_STAT_INC(st, ip6_tx_drop_loopq);
      return ZN_ENOBUFS;
    }
    return ZN_OK;
  }
  if (zn_ipv6_addr_is_mcast(dst)) {
    uint8_t mac[6];
    zn_ipv6_mcast_mac(dst, mac);
    zn__ip6_link_send(st, b, mac);
    return ZN_OK;
  }
  uint8_t nh[16];
  if (!dest_next_hop(st, d, nh)) {
    ZN_STAT_INC(st, ip6_tx_drop_noroute);
    zn_buf_free(b);
    return ZN_EHOSTUNREACH;
  }
  zn__nd_output(st, b, nh);
  return ZN_OK;
}

static int tx_fail(struct zn_buf *b, int rc) {
  zn_buf_free(b);
  return rc;
}

int zn__ip6_output(struct zn_stack *st, struct zn_buf *b,
                   const struct zn__inet_tx *tx) {
  const uint8_t *dst = tx->dst.bytes;
  struct zn_ipv6_hdr h;
  if (!ZN__MOD(st, ip6)->up) {
    ZN_STAT_INC(st, ip6_tx_drop_off);
    return tx_fail(b, ZN_EADDRNOTAVAIL);
  }
  if (zn_ipv6_addr_is_unspecified(dst)) {
    ZN_STAT_INC(st, ip6_tx_drop_bad_dst);
    return tx_fail(b, ZN_EHOSTUNREACH);
  }
  /* ::1 is not cached: it is not on the link, and always ours. */
  bool lo = zn_ipv6_addr_is_loopback(dst);
  struct zn__ip6_dest *d = lo ? NULL : dest_entry(st, dst);
  if (!choose_source(st, tx, d, h.src)) {
    ZN_STAT_INC(st, ip6_tx_drop_noaddr);
    return tx_fail(b, ZN_EADDRNOTAVAIL);
  }
  h.nxt = tx->proto;
  if (tx->router_alert) {
    if (!push_router_alert(b, tx->proto)) {
      ZN_STAT_INC(st, if_tx_errors);
      return tx_fail(b, ZN_ENOBUFS);
    }
    h.nxt = ZN_IPPROTO_HOPOPTS;
  }
  bool loop = lo || dest_local(st, d);
  /* A path MTU is never below 1280 (RFC 8200 §5): most datagrams fit
   * without asking for it. */
  if (b->len > 0xffff ||
      (!loop && tx->df && !b->gso_size &&
       b->len + ZN_IPV6_HDR_LEN > ZN_IPV6_MIN_MTU &&
       b->len + ZN_IPV6_HDR_LEN > zn__ip6_path_mtu(st, dst))) {
    ZN_STAT_INC(st, ip6_tx_drop_toobig);
    return tx_fail(b, ZN_EMSGSIZE);
  }
  h.tclass = tx->tos;
  h.flow = 0;
  h.plen = (uint16_t)b->len;
  h.hlim = tx->ttl ? tx->ttl : zn__ip6_hop_limit(st);
  memcpy(h.dst, dst, 16);
  uint8_t *p = zn_buf_push(b, ZN_IPV6_HDR_LEN);
  if (!p) {
    ZN_STAT_INC(st, if_tx_errors);
    return tx_fail(b, ZN_ENOBUFS);
  }
  zn_ipv6_emit(p, &h);
  ZN_STAT_INC(st, ip6_tx);
  return route(st, b, h.dst, loop, d);
}

/* ---- input ---- */

/* RFC 8200 §4.2, §4.3, §4.6: the options of every hop-by-hop and
 * destination options header, by their action bits.  Returns true to go
 * on; false when the datagram was discarded (counted, answered). */
static bool options_process(struct zn_stack *st, struct zn_buf *b,
                            const struct zn_ipv6_view *v,
                            const struct zn_ipv6_chain *w, bool mcast) {
  for (size_t i = 0; i < w->n; i++) {
    const struct zn_ipv6_ext *e = &w->hdr[i];
    struct zn_ipv6_opt_iter it;
    struct zn_ipv6_opt o;
    int r;
    if (e->type != ZN_IPPROTO_HOPOPTS && e->type != ZN_IPPROTO_DSTOPTS)
      continue;
    if (zn_ipv6_opts_init(&it, v, e->off) != ZN_OK) {
      ZN_STAT_INC(st, ip6_drop_chain);
      return false;
    }
    while ((r = zn_ipv6_opts_next(&it, &o)) == 1) {
      if (o.type == ZN_IPV6_OPT_ROUTER_ALERT && e->type == ZN_IPPROTO_HOPOPTS)
        continue;
      enum zn_ipv6_opt_action act = zn_ipv6_opt_action(o.type);
      if (act == ZN_IPV6_OPT_SKIP)
        continue;
      if (act == ZN_IPV6_OPT_DISCARD_ICMP ||
          (act == ZN_IPV6_OPT_DISCARD_ICMP_UCAST && !mcast))
        zn__icmp6_error(st, b, mcast, ZN_ICMP6_PARAM_PROB,
                        ZN_ICMP6_PARAMPROB_OPTION, (uint32_t)o.off);
      ZN_STAT_INC(st, ip6_drop_option);
      return false;
    }
    if (r != 0) {
      zn__icmp6_error(st, b, mcast, ZN_ICMP6_PARAM_PROB,
                      ZN_ICMP6_PARAMPROB_HEADER, e->off);
      ZN_STAT_INC(st, ip6_drop_chain);
      return false;
    }
  }
  return true;
}

/* RFC 8200 §4.4, RFC 5095: we route nothing.  A routing header with
 * segments left 0 is ignored; otherwise parameter problem code 0 at the
 * routing type (type 0 counted apart). */
static bool routing_process(struct zn_stack *st, struct zn_buf *b,
                            const struct zn_ipv6_chain *w, bool mcast) {
  if (!w->has_rh || w->rh_segleft == 0)
    return true;
  zn__icmp6_error(st, b, mcast, ZN_ICMP6_PARAM_PROB, ZN_ICMP6_PARAMPROB_HEADER,
                  (uint32_t)(w->rh_off + 2));
  if (w->rh_type == 0)
    ZN_STAT_INC(st, ip6_drop_rh0);
  else
    ZN_STAT_INC(st, ip6_drop_routing);
  return false;
}

/* Where the walk of the chain ended, as the steps after it read it: the
 * upper layer's protocol, how the walk ended, where its header starts
 * and the offset of the next-header field naming it (what a parameter
 * problem about the protocol points at); and whether the datagram came
 * with a fragment header, atomic or reassembled (RFC 6980: ICMPv6 must
 * know). */
struct upper {
  enum zn_ipv6_chain_end end;
  uint8_t proto;
  uint32_t off;
  uint32_t nxt_field;
  bool fragmented;
};

static struct upper upper_of(const struct zn_ipv6_chain *w, bool fragmented) {
  struct upper u = {w->end, w->proto, (uint32_t)w->off,
                    w->n ? w->hdr[w->n - 1].off : 6u, fragmented};
  return u;
}

/* RFC 8200 §4, RFC 4861 §7.1, RFC 3810 §5: from ::, only ND and MLD
 * (DAD probes, RS, reports); to a tentative address, only NS and NA.
 * src: the datagram's source address. */
static bool src_dst_rules(struct zn_stack *st, const struct zn_buf *b,
                          const uint8_t *src, struct upper u,
                          bool tentative) {
  int t = -1;
  if (u.end == ZN_IPV6_END_UPPER && u.proto == ZN_IPPROTO_ICMPV6 &&
      u.off < b->len)
    t = b->data[u.off];
  if (zn_ipv6_addr_is_unspecified(src) && t != ZN_ICMP6_ND_NS &&
      t != ZN_ICMP6_ND_RS && t != ZN_ICMP6_MLD2_REPORT && t != 131 &&
      t != 132) {
    ZN_STAT_INC(st, ip6_drop_src_unspec);
    return false;
  }
  if (tentative && t != ZN_ICMP6_ND_NS && t != ZN_ICMP6_ND_NA) {
    ZN_STAT_INC(st, ip6_drop_tentative);
    return false;
  }
  return true;
}

/* src_dst_rules, which a datagram from a specified source to an address
 * not tentative, nearly every one, passes whatever its upper layer. */
static inline bool src_dst_allowed(struct zn_stack *st,
                                   const struct zn_buf *b, const uint8_t *src,
                                   struct upper u, bool tentative) {
  if (!tentative && !zn_ipv6_addr_is_unspecified(src))
    return true;
  return src_dst_rules(st, b, src, u, tentative);
}

/* The meta of the datagram of v for its upper layer u. */
static inline void meta_of(struct zn__inet_meta *m,
                           const struct zn_ipv6_view *v, struct upper u,
                           bool mcast) {
  m->src = zn_ip_from_v6(v->src);
  m->dst = zn_ip_from_v6(v->dst);
  m->proto = u.proto;
  m->ttl = v->hlim;
  m->tos = v->tclass;
  m->bcast = mcast;
  m->hdr_len = (uint16_t)u.off;
}

/* Hand b (data at the IPv6 header) to the upper layer u; consumes b.
 * m->bcast: sent to a multicast address, of the link or of IPv6.  Always
 * inline: on the common path, u is known (TCP, UDP or ICMPv6 after the
 * fixed header) and most of this folds away. */
static inline __attribute__((always_inline)) void
upper_deliver(struct zn_stack *st, struct zn_buf *b,
              const struct zn__inet_meta *m, struct upper u) {
  bool mcast = m->bcast;
  if (u.proto == ZN_IPPROTO_ICMPV6) {
    zn_buf_pull(b, u.off);
    zn__icmp6_input(st, b, m, u.fragmented);
    return;
  }
  if (u.end == ZN_IPV6_END_EXT) {
    /* ESP, AH, mobility, HIP, shim6: not implemented. */
    zn__icmp6_error(st, b, mcast, ZN_ICMP6_PARAM_PROB,
                    ZN_ICMP6_PARAMPROB_NEXTHEADER, u.nxt_field);
    ZN_STAT_INC(st, ip6_drop_proto);
    zn_buf_free(b);
    return;
  }
  zn_buf_pull(b, u.off);
  if (zn__inet_deliver(st, b, m)) {
    ZN_STAT_INC(st, ip6_delivered);
    return;
  }
  zn_buf_push(b, u.off);
  zn__icmp6_error(st, b, mcast, ZN_ICMP6_PARAM_PROB,
                  ZN_ICMP6_PARAMPROB_NEXTHEADER, u.nxt_field);
  ZN_STAT_INC(st, ip6_drop_proto);
  zn_buf_free(b);
}

/* RFC 8200 §3, §4: header, source and destination checks on the view
 * (parsed, b trimmed to it).  Returns false (counted) to drop. */
static inline bool header_accept(struct zn_stack *st, const struct zn_buf *b,
                                 const struct zn_ipv6_view *v,
                                 bool *tentative) {
  bool loop = (b->flags & ZN_BUF_F_LOOP) != 0;
  if (zn_ipv6_addr_is_mcast(v->src)) {
    ZN_STAT_INC(st, ip6_drop_src_mcast);
    return false;
  }
  if (!loop && (zn_ipv6_addr_is_loopback(v->src) ||
                zn_ipv6_addr_is_loopback(v->dst))) {
    ZN_STAT_INC(st, ip6_drop_src_loopback);
    return false;
  }
  *tentative = false;
  if (zn_ipv6_addr_is_loopback(v->dst))
    return true; /* looped back: checked above */
  if (zn_ipv6_addr_is_mcast(v->dst)) {
    if (zn__ip6_mcast_joined(st, v->dst))
      return true;
    ZN_STAT_INC(st, ip6_drop_not_for_us);
    return false;
  }
  const struct zn__ip6_addr *a = zn__ip6_addr_find(st, v->dst);
  if (a && a->state == ZN__A6_TENTATIVE) {
    *tentative = true;
    return true;
  }
  if (!zn__ip6_addr_usable(a)) {
    ZN_STAT_INC(st, ip6_drop_not_for_us);
    return false;
  }
  return true;
}

/* The last steps of every datagram, past its extension headers: the
 * source and destination rules that depend on the upper layer, then the
 * upper layer.  Consumes b.  Always inline, so that the view stays in
 * registers. */
static inline __attribute__((always_inline)) void
upper_input(struct zn_stack *st, struct zn_buf *b,
            const struct zn_ipv6_view *v, struct upper u, bool mcast,
            bool tentative) {
  if (!src_dst_allowed(st, b, v->src, u, tentative))
    goto drop;
  if (u.end == ZN_IPV6_END_NONE) {
    ZN_STAT_INC(st, ip6_drop_none);
    goto drop;
  }
  struct zn__inet_meta m;
  meta_of(&m, v, u, mcast);
  upper_deliver(st, b, &m, u);
  return;
drop:
  zn_buf_free(b);
}

/* A datagram with extension headers (b trimmed to it; its fixed header
 * passed header_accept): the walk, reassembly, the routing header and
 * the options, then upper_input.  Consumes b.  Out of line, and the
 * header read again here: a datagram without extension headers, nearly
 * every one, needs none of this. */
__attribute__((noinline)) static void chain_input(struct zn_stack *st,
                                                  struct zn_buf *b,
                                                  bool mcast,
                                                  bool tentative) {
  struct zn_ipv6_view v;
  struct zn_ipv6_chain w;
  if (zn__ipv6_view_parse(&v, b->data, b->len) != ZN_OK) {
    ZN_STAT_INC(st, ip6_drop_malformed); /* cannot happen: checked */
    goto drop;
  }
  if (zn_ipv6_chain_walk(&v, &w) != ZN_OK) {
    zn__icmp6_error(st, b, mcast, ZN_ICMP6_PARAM_PROB, w.err_code,
                    (uint32_t)w.err_ptr);
    ZN_STAT_INC(st, ip6_drop_chain);
    goto drop;
  }
  bool fragmented = w.has_frag; /* reassembly takes the header away */
  if (w.has_frag && !w.frag_atomic) {
    ZN_STAT_INC(st, ip6_frag_rx);
    b = zn__ip6_reass_input(st, b, &w);
    if (!b)
      return;
    if (zn__ipv6_view_parse(&v, b->data, b->len) != ZN_OK ||
        zn_ipv6_chain_walk(&v, &w) != ZN_OK || w.has_frag) {
      ZN_STAT_INC(st, ip6_drop_chain);
      goto drop;
    }
  } else if (w.has_frag) {
    ZN_STAT_INC(st, ip6_atomic_rx); /* RFC 6946: alone, no reassembly */
  }
  if (!routing_process(st, b, &w, mcast) ||
      !options_process(st, b, &v, &w, mcast))
    goto drop;
  upper_input(st, b, &v, upper_of(&w, fragmented), mcast, tentative);
  return;
drop:
  zn_buf_free(b);
}

/* The view is parsed inline and stays in registers.  A datagram whose next header is TCP, UDP or ICMPv6 has no
 * extension header, and the walk of its chain would end at once, at the
 * upper layer after the fixed header (zn_ipv6_chain_walk): such a
 * datagram, nearly every one, skips the walk and the steps that look at
 * what it found. */
void zn__ip6_input(struct zn_stack *st, struct zn_buf *b, uint16_t group) {
  bool link_mcast = group != 0;
  struct zn_ipv6_view v;
  bool tentative;
  ZN_STAT_INC(st, ip6_rx);
  if (!ZN__MOD(st, ip6)->up) {
    ZN_STAT_INC(st, ip6_drop_off);
    goto drop;
  }
  if (zn__ipv6_view_parse(&v, b->data, b->len) != ZN_OK) {
    ZN_STAT_INC(st, ip6_drop_malformed);
    goto drop;
  }
  zn_buf_trim(b, v.len);
  if (!header_accept(st, b, &v, &tentative))
    goto drop;
  bool mcast = link_mcast || zn_ipv6_addr_is_mcast(v.dst);
  if (v.nxt != ZN_IPPROTO_TCP && v.nxt != ZN_IPPROTO_UDP &&
      v.nxt != ZN_IPPROTO_ICMPV6) {
    chain_input(st, b, mcast, tentative);
    return;
  }
  struct upper u = {ZN_IPV6_END_UPPER, v.nxt, ZN_IPV6_HDR_LEN, 6, false};
  upper_input(st, b, &v, u, mcast, tentative);
  return;
drop:
  zn_buf_free(b);
}

const uint8_t *zn__ip6_all_nodes(void) { return all_nodes; }

/* A datagram we sent to one of our own addresses, at the next poll. */
static void loop_input(struct zn_stack *st, struct zn_buf *b) {
  ZN_STAT_INC(st, ip6_loop_rx);
  zn__ip6_input(st, b, 0);
}

static void ip6_init(struct zn_stack *st, void **mem) {
  zn__ip6_init(st, mem);
  if (!ZN__MOD(st, ip6)->up)
    return;
  zn__eth_register(st, ZN_ETHERTYPE_IPV6, zn__ip6_input, false);
  zn__eth_set_group_filter(st, mac_accepted);
}

const struct zn__module zn__ip6_module = {
    .name = "ip6",
    .id = ZN__MOD_ip6,
    .needs = ZN__MOD_BIT(eth) | ZN__MOD_BIT(inet),
    .state_size = sizeof(struct zn__ip6),
    .config_default = zn__ip6_config_default,
    .config_ok = zn__ip6_config_ok,
    .mem_size = zn__ip6_mem_size,
    .init = ip6_init,
    .start = zn__ip6_start,
    .destroy = zn__ip6_destroy,
};
