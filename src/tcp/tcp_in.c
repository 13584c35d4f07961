/*
 * TCP input (RFC 9293 §3.10.7): parse and check the segment, find its
 * connection, and hand it to the procedure of the connection's state:
 * §3.10.7.1 (no connection: a RST in answer), §3.10.7.2 (LISTEN),
 * §3.10.7.3 (SYN_SENT) here; §3.10.7.4 (the synchronized states) in
 * tcp_in_sync.c, whose fifth check's ACK processing is tcp_ack.c.  ICMP
 * errors for TCP (RFC 5927) end here too.  docs/tcp-spec-index.md maps
 * each rule of §3.10 to the function that implements it.
 */

#include "core/stack_int.h"
#include "tcp/tcp_int.h"
#include "wire/wire_inline.h"
#include "znet/err.h"

void zn__tcp_syn_opts_agree(const struct zn_config *cfg,
                            const struct zn_tcp_seg_opts *o,
                            struct zn__tcp_syn_agreed *r) {
  if (o->present & ZN_TCP_OPTF_MSS)
    r->peer_mss = o->mss < ZN__TCP_MIN_MSS ? ZN__TCP_MIN_MSS : o->mss;
  else
    r->peer_mss = 536; /* RFC 9293 §3.7.1 */
  r->wscale_ok = cfg->tcp_wscale && (o->present & ZN_TCP_OPTF_WS);
  /* RFC 7323 §2.3: a shift above 14 is taken as 14. */
  r->snd_wscale = r->wscale_ok ? (o->wscale > 14 ? 14 : o->wscale) : 0;
  r->sack_ok = cfg->tcp_sack && (o->present & ZN_TCP_OPTF_SACK_PERM);
  r->ts_ok = cfg->tcp_timestamps && (o->present & ZN_TCP_OPTF_TS);
}

void zn__tcp_apply_syn_opts(struct zn_tcp_conn *c, const struct zn__tcp_seg *s) {
  struct zn__tcp_syn_agreed r;
  zn__tcp_syn_opts_agree(&c->st->cfg, &s->opts, &r);
  c->peer_mss = r.peer_mss;
  c->wscale_ok = r.wscale_ok;
  c->snd_wscale = r.snd_wscale;
  if (!c->wscale_ok)
    c->rcv_wscale = 0;
  c->sack_ok = r.sack_ok;
  c->ts_ok = r.ts_ok;
  zn__tcp_set_mss(c, c->peer_mss < c->mss ? c->peer_mss : c->mss);
  const struct zn_tcp_seg_opts *o = &s->opts;
  if (c->ts_ok) {
    c->ts_recent = o->tsval;
    c->ts_recent_stamp = c->st->now;
  }
}

/* ---- segments for no connection (§3.10.7.1) ---- */

static void reply_rst(struct zn_stack *st, const struct zn__tcp_seg *s) {
  if (s->flags & ZN_TCP_RST)
    return;
  if (s->flags & ZN_TCP_ACK) {
    zn__tcp_send_rst(st, s->dst, s->dport, s->src, s->sport, s->ack, 0,
                     false);
  } else {
    uint32_t len = s->len + ((s->flags & ZN_TCP_SYN) ? 1u : 0u) +
                   ((s->flags & ZN_TCP_FIN) ? 1u : 0u);
    zn__tcp_send_rst(st, s->dst, s->dport, s->src, s->sport, 0, s->seq + len,
                     true);
  }
}

/* ---- per-state processing ---- */

/* §3.10.7.2 SEGMENT ARRIVES in LISTEN: the RST is ignored, an ACK (or a
 * SYN-ACK) answered by a RST unless it completes a SYN cookie, a SYN
 * makes a child connection. */
static void input_listen(struct zn_tcp_conn *c, struct zn__tcp_seg *s) {
  if ((s->flags & (ZN_TCP_SYN | ZN_TCP_FIN)) == (ZN_TCP_SYN | ZN_TCP_FIN))
    /* Before RST, as the last branch: NOLINTNEXTLINE(bugprone-branch-clone) */
    zn__tcp_input_noack(c, s); /* SYN+FIN: a scan, not a peer */
  else if (s->flags & ZN_TCP_RST)
    zn__tcp_fsm(c, ZN__EV_S_RST, s);
  else if ((s->flags & ZN_TCP_ACK) && (s->flags & ZN_TCP_SYN))
    zn__tcp_fsm(c, ZN__EV_S_BADACK, s);
  else if (s->flags & ZN_TCP_ACK)
    zn__tcp_fsm(c, ZN__EV_S_ACK, s);
  else if (s->flags & ZN_TCP_SYN)
    zn__tcp_fsm(c, ZN__EV_S_SYN, s);
  else
    zn__tcp_input_noack(c, s);
}

/* §3.10.7.3 SEGMENT ARRIVES in SYN_SENT. */
static void input_syn_sent(struct zn_tcp_conn *c, struct zn__tcp_seg *s) {
  bool ack_ok = false;
  if (s->flags & ZN_TCP_ACK) {
    /* §3.10.7.3 first check */
    if (zn__seq_leq(s->ack, c->iss) || zn__seq_gt(s->ack, c->snd_max)) {
      zn__tcp_fsm(c, (s->flags & ZN_TCP_RST) ? ZN__EV_S_RST_BAD
                                              : ZN__EV_S_BADACK, s);
      return;
    }
    ack_ok = true;
  }
  if (s->flags & ZN_TCP_RST) {
    zn__tcp_fsm(c, ack_ok ? ZN__EV_S_RST : ZN__EV_S_RST_BAD, s);
    return;
  }
  if (s->flags & ZN_TCP_SYN) {
    zn__tcp_fsm(c, ack_ok ? ZN__EV_S_SYNACK : ZN__EV_S_SYN, s);
    if (c->state == ZN_TCP_ESTABLISHED && (s->len || (s->flags & ZN_TCP_FIN)))
      zn__tcp_synack_text(c, s); /* text or FIN on the SYN-ACK */
    return;
  }
  zn__tcp_input_noack(c, s);
}

/* The checksum of the len-byte segment at p from s's addresses, over the
 * pseudo-header sum c keeps, or one summed here without c. */
static inline bool csum_ok(const struct zn__tcp_seg *s,
                           const struct zn_tcp_conn *c, const uint8_t *p,
                           size_t len) {
  uint32_t psum = c ? c->psum + (uint32_t)len
                    : zn__inet_pseudo_sum(s->src, s->dst, ZN_IPPROTO_TCP,
                                          (uint32_t)len);
  return zn__tcp_csum_ok_psum(p, len, psum);
}

/* The view and the options are parsed inline (wire/wire_inline.h): the
 * view stays in registers, and the options go straight into the segment,
 * their common layouts read without the option loop. */
void zn__tcp_input(struct zn_stack *st, struct zn_buf *b,
                   const struct zn__inet_meta *m) {
  struct zn_tcp_view v;
  ZN_STAT_INC(st, tcp_rx);
  int rc = zn__tcp_view_parse(&v, b->data, b->len);
  if (rc != ZN_OK) {
    if (rc == ZN_ETRUNCATED)
      ZN_STAT_INC(st, tcp_drop_short);
    else
      ZN_STAT_INC(st, tcp_drop_hdrlen);
    goto drop;
  }
  if (m->bcast) {
    ZN_STAT_INC(st, tcp_drop_bcast);
    goto drop;
  }
  /* The segment's fields are copied first, so that of the view only what
   * the checksum and the options need is kept across the lookup.  Then
   * the connection (the lookup reads the addresses and ports and changes
   * nothing), so that its pseudo-header sum, summed once when its tuple
   * was hashed, serves the checksum; nothing of the segment is used
   * before the checksum holds, and the options are parsed only then. */
  struct zn__tcp_seg s;
  s.src = &m->src;
  s.dst = &m->dst;
  s.sport = v.sport;
  s.dport = v.dport;
  s.seq = v.seq;
  s.ack = v.ack;
  s.flags = v.flags;
  s.wnd = v.win;
  s.ttl = m->ttl;
  s.ecn = m->tos & ZN_IP_ECN_MASK;
  struct zn_tcp_conn *c =
      zn__tcp_lookup(st, s.dst, s.dport, s.src, s.sport);
  if (!(b->flags & (ZN_BUF_F_LOOP | ZN_BUF_F_CSUM_OK)) &&
      !csum_ok(&s, c, v.p, v.len)) {
    ZN_STAT_INC(st, tcp_drop_checksum);
    goto drop;
  }
  /* The parser writes all of s.opts but the SACK blocks past nsack: no
   * clearing first. */
  if (zn__tcp_seg_opts_parse(&v, &s.opts) != ZN_OK) {
    ZN_STAT_INC(st, tcp_drop_opts);
    goto drop;
  }
  /* The view spans b (v.len is b->len): no padding to trim. */
  zn_buf_pull(b, v.hdr_len);
  s.b = b;
  s.len = b->len;
  bool thawed = false; /* a saved TIME_WAIT brought back (tcp_tw.c) */
  if (!c) {
    c = zn__tcp_tw_thaw(st, s.dst, s.dport, s.src, s.sport);
    thawed = c != NULL;
  }
  if (!c)
    c = zn__tcp_lookup_listener(st, s.dst, s.dport);
  if (!c || c->state == ZN_TCP_CLOSED) {
    ZN_STAT_INC(st, tcp_drop_noport);
    reply_rst(st, &s);
    goto drop;
  }
  ZN_STAT_INC(st, tcp_conn_rx);
  c->last_rcv = st->now;
  struct zn_tcp_conn *parent = c->parent;
  switch (c->state) {
  case ZN_TCP_LISTEN:
    input_listen(c, &s);
    break;
  case ZN_TCP_SYN_SENT:
    input_syn_sent(c, &s);
    break;
  default:
    zn__tcp_input_sync(c, &s);
    break;
  }
  if (s.b) /* (what the procedure did not consume: most segments' it did) */
    zn_buf_free(s.b);
  /* zn_tcp_shutdown() before the handshake completed: §3.10.4 CLOSE in
   * SYN_SENT/SYN_RECEIVED queues the FIN "for processing after entering
   * ESTABLISHED state", through the chart (ESTABLISHED -> FIN_WAIT_1,
   * CLOSE_WAIT -> LAST_ACK). */
  if ((c->life & ZN__TCPL_SHUT_WR) && !(c->flags & ZN__TCPF_FIN_QUEUED) &&
      (c->state == ZN_TCP_ESTABLISHED || c->state == ZN_TCP_CLOSE_WAIT))
    zn__tcp_fsm(c, ZN__EV_U_CLOSE, NULL);
  /* Tell the application, now that the segment is done (a child's
   * listener learns of a new connection only now), then send what is
   * still due.  In that order what the application answers from its
   * callbacks (a response, its close after the peer's FIN) carries the
   * ACK this segment called for, as one segment, and a FIN answered by a
   * close takes three segments to close, not four. */
  zn__tcp_deliver(c);
  if (parent)
    zn__tcp_deliver(parent);
  if (c->state != ZN_TCP_LISTEN && c->state != ZN_TCP_CLOSED)
    zn__tcp_output(c);
  if (thawed) /* still waiting (TIME_WAIT, FIN_WAIT_2): saved again */
    zn__tcp_timewait_compact(c);
  return;
drop:
  zn_buf_free(b);
}

/* ---- ICMP errors (RFC 5927, RFC 1122 §4.2.3.9) ---- */

/* Path MTU discovery (RFC 1191, RFC 8201): shrink the MSS to what the
 * reported MTU carries, resend.  An MTU below the family's minimum (68,
 * 1280) is not believed; the floor is the MSS that minimum carries. */
static void path_mtu_shrink(struct zn_tcp_conn *c, uint32_t mtu) {
  if (!zn__tcp_mss_fit_mtu(c, mtu))
    return;
  c->snd_nxt = c->snd_una;
  zn__tcp_output(c);
}

/* An ICMP error ends a connection attempt: the application hears err. */
static void syn_sent_abort(struct zn_tcp_conn *c, int err) {
  zn__tcp_notify_error(c, err);
  zn__tcp_fsm(c, ZN__EV_T_GIVEUP, NULL);
  zn__tcp_deliver(c);
}

void zn__tcp_icmp_err(struct zn_stack *st, const struct zn__inet_err *e) {
  uint16_t sport = zn_rd16(e->l4), dport = zn_rd16(e->l4 + 2);
  uint32_t seq = zn_rd32(e->l4 + 4);
  struct zn_tcp_conn *c = zn__tcp_lookup(st, &e->src, sport, &e->dst, dport);
  if (!c || c->state == ZN_TCP_LISTEN || c->state == ZN_TCP_CLOSED)
    return;
  /* RFC 5927 §4.1: the quoted sequence number must be one in flight,
   * SND.UNA =< SEG.SEQ < SND.NXT (here SND.MAX, the highest sent). */
  if (!zn__seq_in(seq, c->snd_una, c->snd_max))
    return;
  if (e->kind == ZN__INET_ERR_TOO_BIG) {
    path_mtu_shrink(c, e->mtu);
    return;
  }
  if (c->state != ZN_TCP_SYN_SENT)
    return; /* RFC 1122 §4.2.3.9: a synchronized connection goes on */
  if (e->kind == ZN__INET_ERR_PORT_UNREACH ||
      e->kind == ZN__INET_ERR_PROTO_UNREACH ||
      e->kind == ZN__INET_ERR_PROHIBITED) {
    /* Hard errors while connecting: port and protocol unreachable (RFC
     * 1122 §4.2.3.9), and "administratively prohibited", which RFC 1122
     * predates (RFC 1812 §5.2.7.1's codes 9, 10, 13; ICMPv6 code 1): a
     * filter refused the connection, and asking again will not change
     * its mind.  Linux and FreeBSD (icmp_may_rst) abort on it too. */
    syn_sent_abort(c, ZN_ECONNREFUSED);
    return;
  }
  int err = e->kind == ZN__INET_ERR_NET_UNREACH ? ZN_ENETUNREACH
                                                : ZN_EHOSTUNREACH;
  if (st->cfg.tcp_soft_error_abort) {
    /* RFC 5461: the non-standard but widely implemented reaction to a
     * soft error quoting our SYN (its sequence number was checked
     * above, RFC 5927 §4.1), which spares the application minutes of
     * SYN retries toward a path that says it leads nowhere, and lets a
     * dual-stack client fall back to its other address at once.  Linux
     * aborts on every ICMP error in SYN-SENT; FreeBSD (icmp_may_rst) on
     * TTL exceeded too. */
    ZN_STAT_INC(st, tcp_soft_error_abort);
    syn_sent_abort(c, err);
    return;
  }
  /* RFC 1122 §4.2.3.9's soft error: remembered, reported if the attempt
   * later times out. */
  c->soft_err = err;
}
