/*
 * ICMPv6 (RFC 4443): echo answered in place, errors sent under §2.4's
 * rules and a token bucket (cfg.icmp_rate / icmp_burst, a bucket of its
 * own), errors received checked against the datagram they quote and
 * passed to its transport, NS and NA to neighbor discovery; ND that came
 * with a fragment header goes nowhere (RFC 6980 §5).  Router
 * advertisements and MLD go, after their IP-level receipt checks, to the
 * handler a module above registered at assembly (upper_types); without
 * one they are of an unhandled type.
 *
 * Redirects (RFC 4861 §8) are counted and ignored: a host that always
 * sends through the router it chose reaches every destination (one hop
 * longer at worst), and a forged redirect cannot divert its traffic.
 * Echo requests to a multicast group are not answered (no amplifier;
 * RFC 4443 §4.2 makes answering a SHOULD, not a MUST).
 */
#include <string.h>

#include "core/stack_int.h"
#include "ipv6/ipv6_int.h"
#include "znet/err.h"
#include "znet/icmp.h"
#include "znet/wire.h"

/* RFC 4443 §2.4(c): the error fits in a minimum-MTU datagram. */
#define QUOTE_MAX (ZN_IPV6_MIN_MTU - ZN_IPV6_HDR_LEN - ZN_ICMP6_HDR_LEN)

static uint64_t cost_ns(const struct zn_stack *st) {
  return st->cfg.icmp_rate ? ZN_SEC(1) / st->cfg.icmp_rate : 0;
}

/* RFC 4443 §2.4(f): a token bucket. */
static bool ratelimit_ok(struct zn_stack *st) {
  struct zn__ip6 *ip6 = ZN__MOD(st, ip6);
  uint64_t cost = cost_ns(st);
  if (cost == 0)
    return false;
  uint64_t cap = cost * st->cfg.icmp_burst;
  uint64_t add = st->now - ip6->last_ns;
  ip6->last_ns = st->now;
  ip6->tokens_ns = ip6->tokens_ns + add > cap || ip6->tokens_ns + add < add
                       ? cap
                       : ip6->tokens_ns + add;
  if (ip6->tokens_ns < cost)
    return false;
  ip6->tokens_ns -= cost;
  return true;
}

/* RFC 4443 §2.4(e.1, e.2): is the datagram itself an ICMPv6 error or a
 * redirect? */
static bool is_icmp6_error(const struct zn_ipv6_view *v) {
  struct zn_ipv6_chain w;
  if (zn_ipv6_chain_walk(v, &w) != ZN_OK) {
    /* A broken chain: look at what the walk may have reached. */
    return false;
  }
  if (w.end != ZN_IPV6_END_UPPER || w.proto != ZN_IPPROTO_ICMPV6 ||
      w.off >= v->len)
    return false;
  uint8_t t = v->p[w.off];
  return zn_icmp6_is_error(t) || t == ZN_ICMP6_ND_REDIRECT;
}

/* RFC 4443 §2.4(e): may an error be sent about v? */
static bool error_allowed(const struct zn_ipv6_view *v, bool link_mcast,
                          uint8_t type, uint8_t code) {
  if (zn_ipv6_addr_is_unspecified(v->src) || zn_ipv6_addr_is_mcast(v->src))
    return false; /* e.6 */
  if ((link_mcast || zn_ipv6_addr_is_mcast(v->dst)) &&
      type != ZN_ICMP6_PACKET_TOO_BIG &&
      !(type == ZN_ICMP6_PARAM_PROB && code == ZN_ICMP6_PARAMPROB_OPTION))
    return false; /* e.3, e.4 */
  return !is_icmp6_error(v);
}

void zn__icmp6_error(struct zn_stack *st, const struct zn_buf *orig,
                     bool link_mcast, uint8_t type, uint8_t code,
                     uint32_t rest) {
  struct zn_ipv6_view v;
  if (zn_ipv6_view_init(&v, orig->data, orig->len) != ZN_OK)
    return;
  if (!error_allowed(&v, link_mcast, type, code)) {
    ZN_STAT_INC(st, icmp6_err_suppressed);
    return;
  }
  if (!ratelimit_ok(st)) {
    ZN_STAT_INC(st, icmp6_err_ratelimited);
    return;
  }
  struct zn__inet_tx tx = {0};
  uint8_t src[16];
  if (zn__ip6_is_local(st, v.dst))
    memcpy(src, v.dst, 16);
  else if (zn__ip6_select_source(st, v.src, src) != ZN_OK)
    return;
  size_t qlen = v.len < QUOTE_MAX ? v.len : QUOTE_MAX;
  size_t n = ZN_ICMP6_HDR_LEN + qlen;
  struct zn_buf *b = zn__buf_alloc(st, n);
  if (!b) {
    ZN_STAT_INC(st, icmp6_drop_nobuf);
    return;
  }
  uint8_t *p = zn_buf_put(b, n);
  zn_icmp6_emit(p, type, code, rest);
  memcpy(p + ZN_ICMP6_HDR_LEN, v.p, qlen);
  tx.src = zn_ip_from_v6(src);
  tx.dst = zn_ip_from_v6(v.src);
  int rc = zn__icmp6_send(st, b, &tx, true);
  if (rc == ZN_OK)
    ZN_STAT_INC(st, icmp6_err_tx);
}

void zn__icmp6_port_unreachable(struct zn_stack *st, struct zn_buf *b,
                                const struct zn__inet_meta *m) {
  if (!zn_buf_push(b, m->hdr_len))
    return;
  zn__icmp6_error(st, b, m->bcast, ZN_ICMP6_DST_UNREACH,
                  ZN_ICMP6_UNREACH_PORT, 0);
  zn_buf_pull(b, m->hdr_len);
}

static void echo_reply(struct zn_stack *st, struct zn_buf *b,
                       const struct zn__inet_meta *m, uint32_t psum) {
  if (!zn_buf_writable(b)) {
    struct zn_buf *c = zn__buf_copy(st, b);
    zn_buf_free(b);
    if (!c) {
      ZN_STAT_INC(st, icmp6_drop_nobuf);
      return;
    }
    b = c;
  }
  zn_icmp6_echo_reply_in_place(b->data, b->len, psum);
  b->flags = 0;
  struct zn__inet_tx tx = {0};
  tx.src = m->dst;
  tx.dst = m->src;
  tx.proto = ZN_IPPROTO_ICMPV6;
  tx.tos = m->tos;
  ZN__MOD(st, ip6)->nd_answering = true; /* not to evict confirmed neighbors */
  int rc = zn__ip6_output(st, b, &tx);
  ZN__MOD(st, ip6)->nd_answering = false;
  if (rc == ZN_OK)
    ZN_STAT_INC(st, icmp6_echo_reply_tx);
}

static enum zn__inet_err_kind err_kind(uint8_t type, uint8_t code) {
  switch (type) {
  case ZN_ICMP6_DST_UNREACH:
    switch (code) {
    case ZN_ICMP6_UNREACH_NOROUTE:
      return ZN__INET_ERR_NET_UNREACH;
    case ZN_ICMP6_UNREACH_PORT:
      return ZN__INET_ERR_PORT_UNREACH;
    case ZN_ICMP6_UNREACH_ADMIN:
    case ZN_ICMP6_UNREACH_POLICY:
    case ZN_ICMP6_UNREACH_REJECT:
      return ZN__INET_ERR_PROHIBITED;
    default:
      return ZN__INET_ERR_HOST_UNREACH;
    }
  case ZN_ICMP6_PACKET_TOO_BIG:
    return ZN__INET_ERR_TOO_BIG;
  case ZN_ICMP6_TIME_EXCEEDED:
    return ZN__INET_ERR_TIME_EXCEEDED;
  default:
    return code == ZN_ICMP6_PARAMPROB_NEXTHEADER ? ZN__INET_ERR_PROTO_UNREACH
                                                 : ZN__INET_ERR_PARAM;
  }
}

/* RFC 4443 §2.4(d), §3: an error about a datagram of ours, for its
 * transport (and, for packet too big, the path MTU cache, RFC 8201). */
static void error_input(struct zn_stack *st, const struct zn_icmp6_view *v,
                        const struct zn__inet_meta *m) {
  const uint8_t *q = zn_icmp6_body(v);
  size_t qlen = zn_icmp6_body_len(v);
  struct zn_ipv6_view qv;
  struct zn_ipv6_chain w;
  /* A datagram of ours from ::1 never left the host: an error about it
   * comes from ::1 too, through the loopback queue (the wire's ::1 is
   * dropped on input). */
  bool looped = zn_ipv6_addr_is_loopback(m->src.bytes);
  if (qlen < ZN_IPV6_HDR_LEN || (q[0] >> 4) != 6 ||
      !(zn__ip6_is_local(st, q + 8) ||
        (looped && zn_ipv6_addr_is_loopback(q + 8)))) {
    ZN_STAT_INC(st, icmp6_drop_quote);
    return;
  }
  /* The quote may be cut short: view what is there. */
  memset(&qv, 0, sizeof(qv));
  qv.p = q;
  qv.len = qlen;
  qv.nxt = q[6];
  qv.src = q + 8;
  qv.dst = q + 24;
  if (v->type == ZN_ICMP6_PACKET_TOO_BIG)
    zn__ip6_pmtu_update(st, qv.dst, zn_icmp6_mtu(v));
  if (zn_ipv6_chain_walk(&qv, &w) != ZN_OK || w.end != ZN_IPV6_END_UPPER ||
      w.off + 8 > qlen) {
    ZN_STAT_INC(st, icmp6_drop_quote);
    return;
  }
  struct zn__inet_err e;
  e.kind = err_kind(v->type, v->code);
  e.mtu = v->type == ZN_ICMP6_PACKET_TOO_BIG ? zn_icmp6_mtu(v) : 0;
  if (e.mtu && e.mtu < ZN_IPV6_MIN_MTU)
    e.mtu = ZN_IPV6_MIN_MTU;
  e.from = m->src;
  e.src = zn_ip_from_v6(qv.src);
  e.dst = zn_ip_from_v6(qv.dst);
  e.proto = w.proto;
  e.l4 = q + w.off;
  e.l4_len = qlen - w.off;
  if (zn__inet_deliver_err(st, &e))
    ZN_STAT_INC(st, icmp6_err_rx);
  else
    ZN_STAT_INC(st, icmp6_drop_noowner);
}

static void echo_reply_input(struct zn_stack *st,
                             const struct zn_icmp6_view *v,
                             const struct zn__inet_meta *m) {
  ZN_STAT_INC(st, icmp6_echo_reply_rx);
  if (!ZN__MOD(st, ip6)->echo_cb)
    return;
  struct zn_icmp6_echo r;
  r.from = m->src;
  r.id = zn_icmp6_echo_id(v);
  r.seq = zn_icmp6_echo_seq(v);
  r.hlim = m->ttl;
  r.data = zn_icmp6_body(v);
  r.len = zn_icmp6_body_len(v);
  ZN__MOD(st, ip6)->echo_cb(st, ZN__MOD(st, ip6)->echo_arg, &r);
}

/* The types IPv6 leaves to a module above (zn__icmp6_register), one row
 * each, with the IP-level half of their receipt checks, done here before
 * the handler: a router advertisement from a link-local source with hop
 * limit 255 (RFC 4861 §6.1.2: no off-link sender), MLD with hop limit 1
 * from a link-local source or :: (RFC 3810 §5); and the counter of the
 * messages handed on (the per-layer accounting sums it). */
struct upper_type {
  uint8_t type;
  uint8_t hlim;        /* the hop limit it must come with */
  bool from_unspec;    /* :: is an acceptable source */
  uint16_t handed;     /* enum zn_stat: messages handed to the handler */
};

static const struct upper_type upper_types[] = {
    {ZN_ICMP6_ND_RA, ZN_ND_HOP_LIMIT, false, ZN_STAT_icmp6_ra_rx},
    {ZN_ICMP6_MLD_QUERY, 1, true, ZN_STAT_icmp6_mld_rx},
    {131 /* MLDv1 report */, 1, true, ZN_STAT_icmp6_mld_rx},
    {132 /* MLDv1 done */, 1, true, ZN_STAT_icmp6_mld_rx},
    {ZN_ICMP6_MLD2_REPORT, 1, true, ZN_STAT_icmp6_mld_rx},
};

_Static_assert(sizeof(upper_types) / sizeof(upper_types[0]) ==
                   ZN__ICMP6_UPPER,
               "one handler slot per row");

/* The row of type in upper_types, or -1. */
static int upper_row(uint8_t type) {
  for (int i = 0; i < ZN__ICMP6_UPPER; i++)
    if (upper_types[i].type == type)
      return i;
  return -1;
}

/* A message of a type left to a module above: to its handler, once the
 * receipt checks of its row pass.  A type nobody registered, or no row's,
 * is dropped (RFC 4443 §2.4(a, b)). */
static void upper_input(struct zn_stack *st, struct zn_buf *b, uint8_t type,
                        const struct zn__inet_meta *m) {
  int i = upper_row(type);
  zn__icmp6_fn fn = i < 0 ? NULL : ZN__MOD(st, ip6)->icmp6_up[i];
  if (!fn) {
    ZN_STAT_INC(st, icmp6_drop_type);
    zn_buf_free(b);
    return;
  }
  const struct upper_type *u = &upper_types[i];
  const uint8_t *src = m->src.bytes;
  if (m->ttl != u->hlim ||
      !(zn_ipv6_addr_is_linklocal(src) ||
        (u->from_unspec && zn_ipv6_addr_is_unspecified(src)))) {
    ZN_STAT_INC(st, icmp6_drop_conf_hlim);
    zn_buf_free(b);
    return;
  }
  st->stats.v[u->handed]++;
  fn(st, b, m);
}

int zn__icmp6_register(struct zn_stack *st, uint8_t type, zn__icmp6_fn fn) {
  int i = upper_row(type);
  if (i < 0 || !fn)
    return ZN_EINVAL;
  if (ZN__MOD(st, ip6)->icmp6_up[i])
    return ZN_EEXIST;
  ZN__MOD(st, ip6)->icmp6_up[i] = fn;
  return ZN_OK;
}

static void echo_request_input(struct zn_stack *st, struct zn_buf *b,
                               const struct zn__inet_meta *m, uint32_t psum) {
  ZN_STAT_INC(st, icmp6_echo_rx);
  if (m->bcast) {
    ZN_STAT_INC(st, icmp6_drop_mcast_echo);
    zn_buf_free(b);
  } else if (!st->cfg.icmp_echo) {
    ZN_STAT_INC(st, icmp6_drop_echo_off);
    zn_buf_free(b);
  } else {
    echo_reply(st, b, m, psum);
  }
}

/* RFC 6980 §5: neighbor discovery is never fragmented, so an RS, RA,
 * NS, NA or Redirect that came with a fragment header (an atomic one
 * too, RFC 6946) is a forgery meant to slip past RA-Guard and the like:
 * silently ignored, before anything reads it.  Of SEND's messages the
 * RFC has CPS ignored too and CPA processed; without SEND, both are of
 * an unhandled type and dropped as such. */
static bool nd_fragmented(uint8_t type, bool fragmented) {
  return fragmented && type >= ZN_ICMP6_ND_RS && type <= ZN_ICMP6_ND_REDIRECT;
}

void zn__icmp6_input(struct zn_stack *st, struct zn_buf *b,
                     const struct zn__inet_meta *m, bool fragmented) {
  struct zn_icmp6_view v;
  ZN_STAT_INC(st, icmp6_rx);
  if (zn_icmp6_view_init(&v, b->data, b->len) != ZN_OK) {
    ZN_STAT_INC(st, icmp6_drop_short);
    goto drop;
  }
  uint32_t psum = zn_csum_pseudo6(m->src.bytes, m->dst.bytes, b->len,
                                  ZN_IPPROTO_ICMPV6);
  if (!zn_icmp6_csum_ok(&v, psum)) {
    ZN_STAT_INC(st, icmp6_drop_checksum);
    goto drop;
  }
  if (nd_fragmented(v.type, fragmented)) {
    ZN_STAT_INC(st, icmp6_drop_nd_fragmented);
    goto drop;
  }
  switch (v.type) {
  case ZN_ICMP6_ECHO_REQUEST:
    echo_request_input(st, b, m, psum);
    return;
  case ZN_ICMP6_ECHO_REPLY:
    echo_reply_input(st, &v, m);
    goto drop;
  case ZN_ICMP6_DST_UNREACH:
  case ZN_ICMP6_PACKET_TOO_BIG:
  case ZN_ICMP6_TIME_EXCEEDED:
  case ZN_ICMP6_PARAM_PROB:
    error_input(st, &v, m);
    goto drop;
  case ZN_ICMP6_ND_NS:
  case ZN_ICMP6_ND_NA:
    zn__nd_input(st, b, m);
    return;
  case ZN_ICMP6_ND_RS:
    ZN_STAT_INC(st, nd_rs_ignored); /* RFC 4861 §6.2.6: hosts ignore */
    goto drop;
  case ZN_ICMP6_ND_REDIRECT:
    ZN_STAT_INC(st, nd_redirect_ignored);
    goto drop;
  default:
    upper_input(st, b, v.type, m); /* RA, MLD; or of an unhandled type */
    return;
  }
drop:
  zn_buf_free(b);
}

void zn_icmp6_set_echo_reply_cb(struct zn_stack *st, zn_icmp6_echo_cb cb,
                                void *arg) {
  ZN__MOD(st, ip6)->echo_cb = cb;
  ZN__MOD(st, ip6)->echo_arg = arg;
}

int zn_icmp6_echo_send(struct zn_stack *st, const struct zn_ip *dst,
                       uint16_t id, uint16_t seq, const void *data,
                       size_t len) {
  uint8_t src[16];
  if (!ZN__MOD(st, ip6)->up || dst->family != ZN_AF_INET6)
    return ZN_EINVAL;
  if (len > 0xffff - ZN_ICMP6_HDR_LEN)
    return ZN_EMSGSIZE;
  if (zn__ip6_select_source(st, dst->bytes, src) != ZN_OK)
    return ZN_EADDRNOTAVAIL;
  struct zn_buf *b = zn__buf_alloc(st, ZN_ICMP6_HDR_LEN + len);
  if (!b)
    return ZN_ENOBUFS;
  uint8_t *p = zn_buf_put(b, ZN_ICMP6_HDR_LEN + len);
  zn_icmp6_emit(p, ZN_ICMP6_ECHO_REQUEST, 0, (uint32_t)id << 16 | seq);
  if (len)
    memcpy(p + ZN_ICMP6_HDR_LEN, data, len);
  struct zn__inet_tx tx = {0};
  tx.src = zn_ip_from_v6(src);
  tx.dst = *dst;
  return zn__icmp6_send(st, b, &tx, false);
}

int zn__icmp6_send(struct zn_stack *st, struct zn_buf *b,
                   struct zn__inet_tx *tx, bool answering) {
  static const uint8_t unspecified[16];
  const uint8_t *src = tx->src_unspecified ? unspecified : tx->src.bytes;
  tx->proto = ZN_IPPROTO_ICMPV6;
  zn_icmp6_finish(b->data, b->len,
                  zn_csum_pseudo6(src, tx->dst.bytes, (uint32_t)b->len,
                                  ZN_IPPROTO_ICMPV6));
  ZN__MOD(st, ip6)->nd_answering = answering;
  int rc = zn__ip6_output(st, b, tx);
  ZN__MOD(st, ip6)->nd_answering = false;
  return rc;
}
