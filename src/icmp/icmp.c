/*
 * ICMP (RFC 792; host rules RFC 1122 §3.2.2).
 *
 * Echo requests are answered in place: the request's buffer becomes the
 * reply by changing the type (RFC 1624 incremental checksum update) and
 * pushing a fresh IP header over the old one, so no payload byte moves.
 * Errors we send are rate-limited by a token bucket; errors we receive
 * are checked against the datagram they quote and passed to its transport.
 */
#include <string.h>

#include "core/module_int.h"
#include "core/stack_int.h"
#include "icmp/icmp_int.h"
#include "inet/inet_int.h"
#include "znet/err.h"
#include "znet/icmp.h"
#include "znet/wire.h"

/* RFC 1812 §4.3.2.3: quote as much as fits in a 576-byte datagram. */
#define ICMP_QUOTE_MAX (576 - ZN_IPV4_HDR_LEN - ZN_ICMP_HDR_LEN)
#define ICMP_TOS_CONTROL 0xc0

static uint64_t cost_ns(const struct zn_stack *st) {
  return st->cfg.icmp_rate ? ZN_SEC(1) / st->cfg.icmp_rate : 0;
}

void zn__icmp_init(struct zn_stack *st) {
  memset(ZN__MOD(st, icmp), 0, sizeof(struct zn__icmp));
  ZN__MOD(st, icmp)->tokens_ns = cost_ns(st) * st->cfg.icmp_burst;
  ZN__MOD(st, icmp)->last_ns = st->now;
}

static bool ratelimit_ok(struct zn_stack *st) {
  struct zn__icmp *ic = ZN__MOD(st, icmp);
  uint64_t cost = cost_ns(st);
  if (cost == 0)
    return false; /* rate 0: never send errors */
  uint64_t cap = cost * st->cfg.icmp_burst;
  uint64_t add = st->now - ic->last_ns;
  ic->last_ns = st->now;
  ic->tokens_ns = ic->tokens_ns + add > cap || ic->tokens_ns + add < add
                      ? cap
                      : ic->tokens_ns + add;
  if (ic->tokens_ns < cost)
    return false;
  ic->tokens_ns -= cost;
  return true;
}

void zn__icmp_error(struct zn_stack *st, const struct zn_buf *orig,
                    bool link_bcast, uint8_t type, uint8_t code,
                    uint32_t rest) {
  struct zn_ipv4_view v;
  if (zn_ipv4_view_init_quoted(&v, orig->data, orig->len) != ZN_OK)
    return;
  /* RFC 1122 §3.2.2: never about a broadcast or multicast datagram, a
   * non-initial fragment, an ICMP error, or an invalid source. */
  if (link_bcast || !zn__ip_is_local(st, v.dst) || zn_ipv4_frag_offset(&v) != 0)
    return;
  if (zn__ip_classify_source(st, v.src, !(orig->flags & ZN_BUF_F_LOOP)) !=
      ZN__IPV4_SRC_HOST)
    return;
  if (v.proto == ZN_IPPROTO_ICMP) {
    if (zn_ipv4_payload_len(&v) < 1)
      return;
    uint8_t t = zn_ipv4_payload(&v)[0];
    if (t != ZN_ICMP_ECHO_REQUEST && t != ZN_ICMP_ECHO_REPLY &&
        t != ZN_ICMP_TIMESTAMP && t != ZN_ICMP_TIMESTAMP_REPLY)
      return;
  }
  if (!ratelimit_ok(st)) {
    ZN_STAT_INC(st, icmp_err_ratelimited);
    return;
  }
  size_t qlen = v.len < ICMP_QUOTE_MAX ? v.len : ICMP_QUOTE_MAX;
  struct zn_buf *b = zn__buf_alloc(st, ZN_ICMP_HDR_LEN + qlen);
  if (!b) {
    ZN_STAT_INC(st, icmp_drop_nobuf);
    return;
  }
  uint8_t *p = zn_buf_put(b, ZN_ICMP_HDR_LEN + qlen);
  zn_icmp_emit(p, type, code, rest);
  memcpy(p + ZN_ICMP_HDR_LEN, v.p, qlen);
  zn_icmp_finish(p, ZN_ICMP_HDR_LEN + qlen);
  struct zn__ip_tx tx = {0};
  tx.dst = v.src;
  tx.proto = ZN_IPPROTO_ICMP;
  tx.tos = ICMP_TOS_CONTROL;
  if (zn__ip_output(st, b, &tx) == ZN_OK)
    ZN_STAT_INC(st, icmp_err_tx);
}

static void echo_reply(struct zn_stack *st, struct zn_buf *b,
                       const struct zn__inet_meta *m) {
  if (!zn_buf_writable(b)) {
    struct zn_buf *c = zn__buf_copy(st, b);
    zn_buf_free(b);
    if (!c) {
      ZN_STAT_INC(st, icmp_drop_nobuf);
      return;
    }
    b = c;
  }
  uint8_t *p = b->data;
  uint16_t word0 = zn_rd16(p);
  /* cppcheck-suppress badBitmaskCheck ; type 0 | code: the word, spelled out */
  uint16_t reply0 = (uint16_t)(ZN_ICMP_ECHO_REPLY << 8 | p[1]);
  p[0] = ZN_ICMP_ECHO_REPLY;
  zn_wr16(p + 2, zn_csum_update16(zn_rd16(p + 2), word0, reply0));
  b->flags = 0;
  struct zn__ip_tx tx = {0};
  tx.src = zn_ip_v4(&m->dst);
  tx.dst = zn_ip_v4(&m->src);
  tx.proto = ZN_IPPROTO_ICMP;
  tx.tos = m->tos;
  if (zn__ip_output(st, b, &tx) == ZN_OK)
    ZN_STAT_INC(st, icmp_echo_reply_tx);
}

/* What a destination unreachable code (RFC 792, RFC 1812 §5.2.7.1) says,
 * as the transports hear it. */
static enum zn__inet_err_kind unreach_kind(uint8_t code) {
  switch (code) {
  case ZN_ICMP_UNREACH_NET:
  case 6:  /* destination network unknown */
  case 11: /* network unreachable for TOS */
    return ZN__INET_ERR_NET_UNREACH;
  case ZN_ICMP_UNREACH_PROTO:
    return ZN__INET_ERR_PROTO_UNREACH;
  case ZN_ICMP_UNREACH_PORT:
    return ZN__INET_ERR_PORT_UNREACH;
  case ZN_ICMP_UNREACH_NEEDFRAG:
    return ZN__INET_ERR_TOO_BIG;
  case 9:  /* network administratively prohibited */
  case 10: /* host administratively prohibited */
  case ZN_ICMP_UNREACH_ADMIN:
  case 14: /* host precedence violation */
  case 15: /* precedence cutoff in effect */
    return ZN__INET_ERR_PROHIBITED;
  default: /* host, source route failed, host unknown, isolated, TOS */
    return ZN__INET_ERR_HOST_UNREACH;
  }
}

enum zn__inet_err_kind zn__icmp_err_kind(uint8_t type, uint8_t code) {
  if (type == ZN_ICMP_DEST_UNREACH)
    return unreach_kind(code);
  if (type == ZN_ICMP_TIME_EXCEEDED)
    return ZN__INET_ERR_TIME_EXCEEDED;
  return ZN__INET_ERR_PARAM;
}

static void error_input(struct zn_stack *st, const struct zn_icmp_view *v,
                        const struct zn__inet_meta *m) {
  struct zn_ipv4_view q;
  if (zn_ipv4_view_init_quoted(&q, zn_icmp_body(v), zn_icmp_body_len(v)) !=
          ZN_OK ||
      zn_ipv4_payload_len(&q) < 8 || !zn__ip_is_local(st, q.src) ||
      (zn_ipv4_is_loopback(q.src) && !zn_ipv4_is_loopback(zn_ip_v4(&m->src)))) {
    /* (A datagram of ours from 127/8 never left the host: an error about
     * it comes from 127/8 too, through the loopback queue.) */
    ZN_STAT_INC(st, icmp_drop_quote);
    return;
  }
  struct zn__inet_err e;
  e.kind = zn__icmp_err_kind(v->type, v->code);
  e.mtu = e.kind == ZN__INET_ERR_TOO_BIG ? zn_icmp_nexthop_mtu(v) : 0;
  e.from = m->src;
  e.src = zn_ip_from_v4(q.src);
  e.dst = zn_ip_from_v4(q.dst);
  e.proto = q.proto;
  e.l4 = zn_ipv4_payload(&q);
  e.l4_len = zn_ipv4_payload_len(&q);
  if (!zn__inet_deliver_err(st, &e)) {
    ZN_STAT_INC(st, icmp_drop_noowner);
    return;
  }
  ZN_STAT_INC(st, icmp_err_rx);
}

void zn__icmp_input(struct zn_stack *st, struct zn_buf *b,
                    const struct zn__inet_meta *m) {
  struct zn_icmp_view v;
  ZN_STAT_INC(st, icmp_rx);
  if (zn_icmp_view_init(&v, b->data, b->len) != ZN_OK) {
    ZN_STAT_INC(st, icmp_drop_short);
    goto drop;
  }
  if (!zn_icmp_csum_ok(&v)) {
    ZN_STAT_INC(st, icmp_drop_checksum);
    goto drop;
  }
  switch (v.type) {
  case ZN_ICMP_ECHO_REQUEST:
    ZN_STAT_INC(st, icmp_echo_rx);
    if (m->bcast) {
      ZN_STAT_INC(st, icmp_drop_bcast_echo); /* no smurf amplifier */
      goto drop;
    }
    if (!st->cfg.icmp_echo) {
      ZN_STAT_INC(st, icmp_drop_echo_off);
      goto drop;
    }
    echo_reply(st, b, m);
    return;
  case ZN_ICMP_ECHO_REPLY: {
    ZN_STAT_INC(st, icmp_echo_reply_rx);
    if (ZN__MOD(st, icmp)->echo_cb) {
      struct zn_icmp_echo r;
      r.from = zn_ip_v4(&m->src);
      r.id = zn_icmp_echo_id(&v);
      r.seq = zn_icmp_echo_seq(&v);
      r.ttl = m->ttl;
      r.data = zn_icmp_body(&v);
      r.len = zn_icmp_body_len(&v);
      ZN__MOD(st, icmp)->echo_cb(st, ZN__MOD(st, icmp)->echo_arg, &r);
    }
    goto drop;
  }
  case ZN_ICMP_DEST_UNREACH:
  case ZN_ICMP_TIME_EXCEEDED:
  case ZN_ICMP_PARAM_PROBLEM:
    error_input(st, &v, m);
    goto drop;
  default:
    /* Redirects (a host with one gateway has nothing to learn), source
     * quench (deprecated, RFC 6633), timestamps and the rest. */
    ZN_STAT_INC(st, icmp_drop_type);
    goto drop;
  }
drop:
  zn_buf_free(b);
}

void zn_icmp_set_echo_reply_cb(struct zn_stack *st, zn_icmp_echo_cb cb,
                               void *arg) {
  ZN__MOD(st, icmp)->echo_cb = cb;
  ZN__MOD(st, icmp)->echo_arg = arg;
}

int zn_icmp_echo_send(struct zn_stack *st, uint32_t dst, uint16_t id,
                      uint16_t seq, const void *data, size_t len) {
  if (len > ZN_IPV4_MAX_LEN - ZN_IPV4_HDR_LEN - ZN_ICMP_HDR_LEN)
    return ZN_EMSGSIZE;
  if (zn__ip_source_for(st, dst) == 0)
    return ZN_EADDRNOTAVAIL;
  struct zn_buf *b = zn__buf_alloc(st, ZN_ICMP_HDR_LEN + len);
  if (!b)
    return ZN_ENOBUFS;
  uint8_t *p = zn_buf_put(b, ZN_ICMP_HDR_LEN + len);
  zn_icmp_emit(p, ZN_ICMP_ECHO_REQUEST, 0, (uint32_t)id << 16 | seq);
  if (len)
    memcpy(p + ZN_ICMP_HDR_LEN, data, len);
  zn_icmp_finish(p, ZN_ICMP_HDR_LEN + len);
  struct zn__ip_tx tx = {0};
  tx.dst = dst;
  tx.proto = ZN_IPPROTO_ICMP;
  int rc = zn__ip_output(st, b, &tx);
  return rc == ZN_ENETUNREACH ? ZN_EHOSTUNREACH : rc;
}

static void icmp_config_default(struct zn_config *cfg) {
  cfg->icmp_echo = true;
  cfg->icmp_rate = ZN_DEFAULT_ICMP_RATE;
  cfg->icmp_burst = ZN_DEFAULT_ICMP_BURST;
}

/* ICMP takes IPv4's protocol 1 through the transports' table, and
 * reports the errors IPv4 and the transports find. */
static void icmp_init(struct zn_stack *st, void **mem) {
  (void)mem;
  zn__icmp_init(st);
  zn__inet_register(st, ZN__INET_ON_V4, ZN_IPPROTO_ICMP, zn__icmp_input,
                    NULL);
  zn__ip_error_reporter(st, zn__icmp_error);
}

const struct zn__module zn__icmp_module = {
    .name = "icmp",
    .id = ZN__MOD_icmp,
    .needs = ZN__MOD_BIT(inet) | ZN__MOD_BIT(ip),
    .state_size = sizeof(struct zn__icmp),
    .config_default = icmp_config_default,
    .init = icmp_init,
};
