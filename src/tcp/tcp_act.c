/*
 * The actions of the TCP state chart (tcp_fsm.rl).  Each is one step of
 * RFC 9293 §3.10 (or of the RFC named), small enough to hold against the
 * text.  The chart sets c->state (after the action runs, or before it where
 * tcp_fsm.rl says so); an action never writes it.  An action that ends the
 * connection calls zn__tcp_closed() and must not touch c after.
 */
#include <string.h>

#include "core/stack_int.h"
#include "tcp/tcp_int.h"
#include "tcp/tcp_isn.h"
#include "znet/err.h"

static void leave_synq(struct zn_tcp_conn *c) {
  if (c->parent && c->parent->synq_len && !(c->life & ZN__TCPL_IN_ACCEPTQ))
    c->parent->synq_len--;
}

/* RFC 6298 §5.7: when our SYN had to be retransmitted and no RTT sample
 * came of the handshake, data starts with an RTO of 3 s, not the initial
 * 1 s (Linux tcp_init_metrics does the same).  (A SYN-ACK's ACK goes
 * through zn__tcp_process_ack in tcp_ack.c, which does the same.) */
static void rto_after_lost_syn(struct zn_tcp_conn *c) {
  if (c->rtx_count > 0 && c->srtt_us == 0 && c->rto_ms < 3000)
    c->rto_ms = 3000;
}

/* A transition that changes nothing. */
void zn__tcp_act_ignore(struct zn_tcp_conn *c, struct zn__tcp_seg *seg) {
  (void)c;
  (void)seg;
}

/* A (state, event) pair the classifier never produces; counted so tests
 * can prove it stays zero. */
void zn__tcp_act_impossible(struct zn_tcp_conn *c, struct zn__tcp_seg *seg) {
  (void)seg;
  ZN_STAT_INC(c->st, tcp_impossible);
}

/* §3.10.1/3.10.4 "error: connection already exists / closing": the API
 * refuses these before they reach the chart. */
void zn__tcp_act_user_error(struct zn_tcp_conn *c, struct zn__tcp_seg *seg) {
  (void)c;
  (void)seg;
}

/* §3.10.1 OPEN, passive: the TCB waits in LISTEN. */
void zn__tcp_act_listen(struct zn_tcp_conn *c, struct zn__tcp_seg *seg) {
  (void)seg;
  zn__tcp_hash_in(c); /* into the listener table: the chart set LISTEN */
}

/* §3.10.1 OPEN, active: choose the ISS (RFC 6528), send <SYN>. */
void zn__tcp_act_connect(struct zn_tcp_conn *c, struct zn__tcp_seg *seg) {
  (void)seg;
  zn__tcp_conn_setup(c);
  c->flags |= ZN__TCPF_SYN_UNACKED;
  zn__tcp_hash_in(c);
  c->rtt_start = c->st->now; /* the SYN's RTT (act_synsent_synack) */
  zn__tcp_ecn_connect(c);
  zn__tcp_send_syn(c, false);
}

/* §3.10.4 CLOSE in CLOSED/SYN_SENT/LISTEN-less states: delete the TCB. */
void zn__tcp_act_close_free(struct zn_tcp_conn *c, struct zn__tcp_seg *seg) {
  (void)seg;
  zn__tcp_closed(c);
}

/* §3.10.4 CLOSE in LISTEN: delete the TCB; half-open children go too. */
void zn__tcp_act_close_listener(struct zn_tcp_conn *c,
                                struct zn__tcp_seg *seg) {
  (void)seg;
  struct zn_stack *st = c->st;
  for (uint32_t i = 0; i < st->cfg.tcp_conns; i++) {
    struct zn_tcp_conn *x = &ZN__MOD(st, tcp)->conns[i];
    if (x->parent == c && !(x->life & ZN__TCPL_IN_ACCEPTQ) &&
        x->state != ZN_TCP_CLOSED) {
      x->parent = NULL;
      /* The app never held it: no on_closed. */
      x->life |= ZN__TCPL_USER_CLOSED;
      x->notify |= ZN__TCPN_CLOSED_NOTIFIED;
      zn__tcp_send_rst_conn(x);
      zn__tcp_closed(x);
    }
  }
  zn__tcp_closed(c); /* releases the accept queue (with RSTs) */
}

/* §3.10.4 CLOSE in SYN_RECEIVED/ESTABLISHED/CLOSE_WAIT: the FIN follows
 * the queued data. */
void zn__tcp_act_queue_fin(struct zn_tcp_conn *c, struct zn__tcp_seg *seg) {
  (void)seg;
  /* The FIN takes the one sequence number after the last byte queued
   * (writes are refused from now on); every retransmission reuses it. */
  c->fin_seq = c->snd_una + ((c->flags & ZN__TCPF_SYN_UNACKED) ? 1u : 0u) +
               c->snd_queued;
  c->flags |= ZN__TCPF_FIN_QUEUED;
  zn__tcp_output(c);
}

/* §3.10.5 ABORT: <SEQ=SND.NXT><CTL=RST> in synchronized states, flush
 * everything, delete the TCB. */
void zn__tcp_act_abort(struct zn_tcp_conn *c, struct zn__tcp_seg *seg) {
  (void)seg;
  if (c->state != ZN_TCP_TIME_WAIT)
    zn__tcp_send_rst(c->st, &c->laddr, c->lport, &c->raddr, c->rport,
                     c->snd_nxt, 0, false);
  zn__tcp_closed(c);
}

/* §3.8.3 (R2) / RFC 1122 §4.2.3.5: retransmissions (or keepalives) gave
 * up.  Tell the user, reset the peer, delete the TCB. */
void zn__tcp_act_timeout(struct zn_tcp_conn *c, struct zn__tcp_seg *seg) {
  (void)seg;
  ZN_STAT_INC(c->st, tcp_timeout);
  if (c->state != ZN_TCP_SYN_SENT)
    zn__tcp_send_rst_conn(c);
  leave_synq(c); /* a half-open child frees its SYN queue place */
  zn__tcp_notify_error(c, c->soft_err ? c->soft_err : ZN_ETIMEDOUT);
  zn__tcp_closed(c);
}

/* §3.10.8 time-wait timeout: delete the TCB. */
void zn__tcp_act_timewait_done(struct zn_tcp_conn *c,
                               struct zn__tcp_seg *seg) {
  (void)seg;
  zn__tcp_closed(c); /* which counts ntimewait down */
}

/* The peer never sent its FIN after we closed (Linux tcp_fin_timeout):
 * give the slot back. */
void zn__tcp_act_fin_wait_2_timeout(struct zn_tcp_conn *c,
                                    struct zn__tcp_seg *seg) {
  (void)seg;
  zn__tcp_send_rst_conn(c);
  zn__tcp_closed(c);
}

/* §3.10.7.2/.3/.4: an unacceptable ACK is answered <SEQ=SEG.ACK><CTL=RST>. */
void zn__tcp_act_rst_for_ack(struct zn_tcp_conn *c, struct zn__tcp_seg *seg) {
  zn__tcp_send_rst(c->st, seg->dst, seg->dport, seg->src, seg->sport, seg->ack,
                   0, false);
}

static struct zn_tcp_conn *new_child(struct zn_tcp_conn *l,
                                     const struct zn__tcp_seg *seg) {
  struct zn_tcp_conn *x = zn__tcp_alloc(l->st);
  if (!x)
    return NULL;
  x->laddr = *seg->dst;
  x->lport = seg->dport;
  x->raddr = *seg->src;
  x->rport = seg->sport;
  x->parent = l;
  x->cb = l->cb;
  x->arg = l->arg;
  x->flags |= ZN__TCPF_PASSIVE;
  zn__tcp_inherit(x, l);
  zn__tcp_conn_setup(x);
  return x;
}

/* RFC 4987 §3.6: answer a SYN to l with a SYN cookie and keep nothing:
 * what the handshake agreed is in our ISN and TSval (tcp_isn.c), from
 * which act_listen_ack makes the connection (with l's settings, whose
 * receive buffer chose the window scale offered here).  Without
 * timestamps a cookie carries the MSS only, so only the MSS is offered
 * then. */
static void answer_with_cookie(const struct zn_tcp_conn *l,
                               const struct zn__tcp_seg *seg) {
  struct zn_stack *st = l->st;
  struct zn__tcp_syn_agreed r;
  zn__tcp_syn_opts_agree(&st->cfg, &seg->opts, &r);
  struct zn__syncookie_opts o;
  o.mss = r.peer_mss;
  o.wscale = r.wscale_ok ? r.snd_wscale : 0xff;
  o.sack = r.sack_ok;
  o.ts = r.ts_ok;
  struct zn__tcp_cookie_synack a;
  memset(&a, 0, sizeof(a));
  a.peer_mss = r.peer_mss;
  a.ts_ok = r.ts_ok;
  a.wscale_ok = r.ts_ok && r.wscale_ok;
  a.sack_ok = r.ts_ok && r.sack_ok;
  a.rcv_wscale = a.wscale_ok ? zn__tcp_wscale_for(l->rcvbuf) : 0;
  a.rcvbuf = l->rcvbuf;
  a.tos = l->tos;
  a.ttl = l->ttl;
  struct zn__tcp_4tuple tu = {*seg->dst, *seg->src, seg->dport, seg->sport};
  uint32_t ts_clock =
      (uint32_t)(st->now / ZN_MS(1)) + zn__tcp_ts_offset(st->hash_key, &tu);
  uint32_t tsval = 0;
  a.iss = zn__syncookie_make(st->hash_key, &tu, seg->seq, &o, st->now,
                             ts_clock, &tsval);
  a.tsval = tsval ? tsval : ts_clock;
  zn__tcp_send_cookie_synack(st, seg, &a);
  ZN_STAT_INC(st, tcp_syncookie_tx);
}

/* §3.10.7.2 SYN in LISTEN: a new TCB in SYN_RECEIVED sends <SYN,ACK>;
 * with the SYN queue full, or the table three quarters full, a SYN cookie
 * answers instead and nothing is kept.  (The last quarter stays for the
 * handshakes cookies complete: otherwise a flood of spoofed SYNs fills
 * the table with half-open connections and no cookie can be taken up,
 * found by the attack tests with znet-echo's backlog above its table.) */
void zn__tcp_act_listen_syn(struct zn_tcp_conn *l, struct zn__tcp_seg *seg) {
  struct zn_stack *st = l->st;
  /* With the accept queue full the SYN is dropped, as Linux's
   * tcp_conn_request: the client retries it, rather than complete a
   * handshake whose last ACK the listener would have to drop. */
  if (l->acq_len >= l->backlog) {
    ZN_STAT_INC(st, tcp_drop_acceptq_syn);
    return;
  }
  /* A held listener keeps its port and takes nothing: the same silent
   * drop, so the client's retry finds it (or a shard) serving. */
  if (l->held) {
    ZN_STAT_INC(st, tcp_drop_held_syn);
    return;
  }
  uint32_t keep = st->cfg.tcp_conns / 4;
  bool full = l->synq_len >= l->backlog || ZN__MOD(st, tcp)->free == NULL ||
              ZN__MOD(st, tcp)->nused + keep >= st->cfg.tcp_conns;
  struct zn_tcp_conn *x = full ? NULL : new_child(l, seg);
  if (!x) {
    if (!st->cfg.tcp_syncookies)
      return;
    answer_with_cookie(l, seg);
    return;
  }
  l->synq_len++;
  zn__tcp_apply_syn_opts(x, seg);
  zn__tcp_ecn_syn_rcvd(x, seg);
  x->irs = seg->seq;
  x->rcv_nxt = seg->seq + 1;
  x->rcv_adv = x->rcv_nxt;
  x->snd_wnd = seg->wnd; /* unscaled in a SYN (RFC 7323 §2.2) */
  x->max_snd_wnd = x->snd_wnd;
  x->snd_wl1 = seg->seq;
  x->state = ZN_TCP_SYN_RECEIVED;
  x->flags |= ZN__TCPF_SYN_UNACKED;
  zn__tcp_cc_start(x);
  zn__tcp_hash_in(x);
  /* Time the SYN-ACK: its ACK is the passive side's first RTT sample
   * (Karn: dropped if the SYN-ACK has to be sent again). */
  x->flags |= ZN__TCPF_TIMING;
  x->rtt_seq = x->iss;
  x->rtt_start = st->now;
  zn__tcp_send_syn(x, true);
  /* Data on the SYN is not taken (we cannot ACK it before the handshake
   * completes without risking a forged-SYN amplification). */
}

/* An ACK to a listener with no TCB: it may complete a SYN cookie
 * handshake; otherwise §3.10.7.2 answers <SEQ=SEG.ACK><CTL=RST>. */
void zn__tcp_act_listen_ack(struct zn_tcp_conn *l, struct zn__tcp_seg *seg) {
  struct zn_stack *st = l->st;
  struct zn__syncookie_opts o;
  struct zn__tcp_4tuple tu = {*seg->dst, *seg->src, seg->dport, seg->sport};
  bool has_ts = (seg->opts.present & ZN_TCP_OPTF_TS) != 0;
  if (!st->cfg.tcp_syncookies || (seg->flags & (ZN_TCP_SYN | ZN_TCP_RST)) ||
      !zn__syncookie_check(st->hash_key, &tu, seg->ack - 1, seg->seq - 1,
                           has_ts, seg->opts.tsecr, st->now, &o)) {
    if (st->cfg.tcp_syncookies)
      ZN_STAT_INC(st, tcp_syncookie_bad);
    zn__tcp_act_rst_for_ack(l, seg);
    return;
  }
  if (l->acq_len >= l->backlog) {
    ZN_STAT_INC(st, tcp_drop_acceptq);
    return;
  }
  struct zn_tcp_conn *x = new_child(l, seg);
  if (!x)
    return;
  ZN_STAT_INC(st, tcp_syncookie_ok);
  x->flags |= ZN__TCPF_COOKIE;
  x->iss = seg->ack - 1;
  x->snd_una = x->snd_nxt = x->snd_max = x->snd_sml = seg->ack;
  x->recover = x->high_sacked = x->rtx_next = seg->ack;
  zn__tcp_rack_init(x);
  x->irs = seg->seq - 1;
  x->rcv_nxt = seg->seq;
  x->rcv_adv = x->rcv_nxt;
  x->peer_mss = o.mss;
  x->ts_ok = o.ts && st->cfg.tcp_timestamps;
  zn__tcp_set_mss(x, x->peer_mss < x->mss ? x->peer_mss : x->mss);
  x->wscale_ok = x->ts_ok && o.wscale != 0xff && st->cfg.tcp_wscale;
  x->snd_wscale = x->wscale_ok ? o.wscale : 0;
  if (!x->wscale_ok)
    x->rcv_wscale = 0;
  x->sack_ok = x->ts_ok && o.sack && st->cfg.tcp_sack;
  if (x->ts_ok) {
    x->ts_recent = seg->opts.tsval;
    x->ts_recent_stamp = st->now;
  }
  x->snd_wnd = seg->wnd << x->snd_wscale;
  x->max_snd_wnd = x->snd_wnd;
  x->snd_wl1 = seg->seq;
  x->snd_wl2 = seg->ack;
  zn__tcp_cc_start(x);
  x->state = ZN_TCP_ESTABLISHED;
  zn__tcp_hash_in(x);
  ZN_STAT_INC(st, tcp_established);
  x->life |= ZN__TCPL_IN_ACCEPTQ;
  x->next = NULL;
  if (l->acq_tail)
    l->acq_tail->next = x;
  else
    l->acq_head = x;
  l->acq_tail = x;
  l->acq_len++;
  zn__tcp_notify_accept(l);
  /* Data in the ACK is processed as in ESTABLISHED. */
  if (seg->len || (seg->flags & ZN_TCP_FIN)) {
    x->last_rcv = st->now;
    zn__tcp_input_sync(x, seg);
  }
}

/* §3.10.7.3 SYN_SENT + SYN with an acceptable ACK: RCV.NXT = SEG.SEQ+1,
 * IRS = SEG.SEQ, SND.UNA = SEG.ACK; ESTABLISHED; send <ACK>. */
void zn__tcp_act_synsent_synack(struct zn_tcp_conn *c,
                                struct zn__tcp_seg *seg) {
  zn__tcp_apply_syn_opts(c, seg);
  zn__tcp_ecn_synack_rcvd(c, seg);
  c->irs = seg->seq;
  c->rcv_nxt = seg->seq + 1;
  c->rcv_adv = c->rcv_nxt;
  c->snd_una = seg->ack;
  c->flags &= (uint16_t)~ZN__TCPF_SYN_UNACKED;
  if (zn__seq_lt(c->snd_nxt, c->snd_una))
    c->snd_nxt = c->snd_una;
  c->snd_wnd = seg->wnd; /* never scaled in a SYN */
  c->max_snd_wnd = c->snd_wnd;
  c->snd_wl1 = seg->seq;
  c->snd_wl2 = seg->ack;
  /* The SYN's RTT is a valid sample if it was sent once (Karn). */
  if (c->rtx_count == 0)
    zn__tcp_rtt_sample(c, (uint32_t)((c->st->now - c->rtt_start) / 1000u));
  rto_after_lost_syn(c);
  c->rtx_count = 0;
  zn__tcp_rtx_stop(c); /* our SYN is acknowledged */
  zn__tcp_cc_start(c);
  ZN_STAT_INC(c->st, tcp_established);
  zn__tcp_ecn_established(c);
  c->flags |= ZN__TCPF_ACK_NOW;
  zn__tcp_notify_connected(c);
  zn__tcp_arm_keepalive_at_establish(c);
  /* A zn_tcp_shutdown() meanwhile: tcp_in.c sends U_CLOSE now. */
}

/* §3.10.7.3 SYN_SENT + SYN without ACK (simultaneous open): SYN_RECEIVED,
 * send <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>. */
void zn__tcp_act_simultaneous_open(struct zn_tcp_conn *c,
                                   struct zn__tcp_seg *seg) {
  zn__tcp_apply_syn_opts(c, seg);
  zn__tcp_ecn_syn_rcvd(c, seg);
  c->irs = seg->seq;
  c->rcv_nxt = seg->seq + 1;
  c->rcv_adv = c->rcv_nxt;
  c->snd_wnd = seg->wnd;
  c->max_snd_wnd = c->snd_wnd;
  c->snd_wl1 = seg->seq;
  zn__tcp_cc_start(c);
  zn__tcp_send_syn(c, true); /* a SYN-ACK: the chart set SYN_RECEIVED */
  /* "If there are other controls or text in the segment, queue them for
   * processing after the ESTABLISHED state has been reached": held in
   * the out-of-order queue at RCV.NXT until the ACK of our SYN comes
   * (tcp_in_sync.c delivers it then). */
  if (seg->b && (seg->len || (seg->flags & ZN_TCP_FIN))) {
    struct zn_buf *b = seg->b;
    seg->b = NULL;
    if (!seg->len) {
      zn_buf_free(b); /* a FIN alone keeps no buffer */
      b = NULL;
    }
    if (zn__tcp_ooo_insert(&c->ooo, b, seg->seq + 1,
                           (seg->flags & ZN_TCP_FIN) != 0,
                           c->rcv_nxt) == ZN__OOO_QUEUED)
      ZN_STAT_INC(c->st, tcp_ooo_queued);
    else
      ZN_STAT_INC(c->st, tcp_ooo_dup);
  }
}

/* §3.10.7.3 RST with an acceptable ACK in SYN_SENT: "error: connection
 * reset"; delete the TCB. */
void zn__tcp_act_refused(struct zn_tcp_conn *c, struct zn__tcp_seg *seg) {
  (void)seg;
  ZN_STAT_INC(c->st, tcp_rst_rx);
  zn__tcp_notify_error(c, ZN_ECONNREFUSED);
  zn__tcp_closed(c);
}

/* §3.10.7.4 second check, ESTABLISHED, FIN_WAIT_1/2, CLOSE_WAIT: RST with
 * SEG.SEQ = RCV.NXT: "connection reset"; flush queues; delete the TCB.
 * In CLOSING and LAST_ACK the RFC only enters CLOSED; a user still
 * holding the connection (it shut down writing) is told the reset too,
 * as Linux's tcp_reset and FreeBSD do, so a socket's SO_ERROR says it. */
void zn__tcp_act_reset(struct zn_tcp_conn *c, struct zn__tcp_seg *seg) {
  (void)seg;
  ZN_STAT_INC(c->st, tcp_rst_rx);
  zn__tcp_notify_error(c, ZN_ECONNRESET);
  zn__tcp_closed(c);
}

/* §3.10.7.4 second check, SYN_RECEIVED: a passive open returns to LISTEN
 * (the listener stays; this TCB goes), an active one was refused. */
void zn__tcp_act_synrcvd_reset(struct zn_tcp_conn *c,
                               struct zn__tcp_seg *seg) {
  (void)seg;
  ZN_STAT_INC(c->st, tcp_rst_rx);
  leave_synq(c);
  if (!(c->flags & ZN__TCPF_PASSIVE))
    zn__tcp_notify_error(c, ZN_ECONNREFUSED);
  zn__tcp_closed(c);
}

/* RFC 5961 §3.2, §4.2, §5.2: answer a suspicious RST, SYN or ACK with
 * <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>, rate-limited (§7). */
void zn__tcp_act_challenge_ack(struct zn_tcp_conn *c,
                               struct zn__tcp_seg *seg) {
  struct zn_stack *st = c->st;
  if (seg && (seg->flags & ZN_TCP_RST))
    ZN_STAT_INC(st, tcp_rst_ignored);
  if (!zn__tcp_chack_allowed(st))
    return;
  ZN_STAT_INC(st, tcp_chack_tx);
  zn__tcp_send_ack(c);
}

/* RFC 793 §3.9 (RFC 5961 turned off): a SYN in the window is an error:
 * send a reset, tell the user, delete the TCB. */
void zn__tcp_act_syn_reset(struct zn_tcp_conn *c, struct zn__tcp_seg *seg) {
  (void)seg;
  zn__tcp_send_rst_conn(c);
  if (c->state != ZN_TCP_TIME_WAIT)
    zn__tcp_notify_error(c, ZN_ECONNRESET);
  leave_synq(c);
  zn__tcp_closed(c);
}

/* §3.10.7.4 first check: an unacceptable segment draws an <ACK> (unless
 * it is a RST, which the classifier sends to S_RST_BAD).  In SYN_RECEIVED
 * the peer's own SYN again means our SYN-ACK was lost: send it again (RFC
 * 1122's fix of RFC 793 figure 8, as Linux tcp_check_req), since a bare
 * ACK is dropped by a peer still in SYN_SENT. */
void zn__tcp_act_dup_ack(struct zn_tcp_conn *c, struct zn__tcp_seg *seg) {
  if (c->state == ZN_TCP_SYN_RECEIVED && seg &&
      (seg->flags & (ZN_TCP_SYN | ZN_TCP_ACK | ZN_TCP_RST)) == ZN_TCP_SYN &&
      seg->seq == c->irs) {
    zn__tcp_ecn_syn_rcvd(c, seg); /* as it comes now (RFC 3168 §6.1.1.1) */
    /* Karn (RFC 6298 §3): the ACK may answer either SYN-ACK now; timing
     * the first would count the peer's wait to resend its SYN. */
    c->flags &= (uint16_t)~ZN__TCPF_TIMING;
    zn__tcp_send_syn(c, true);
    return;
  }
  c->flags |= ZN__TCPF_ACK_NOW;
}

/* §3.10.7.4 fifth check, SYN_RECEIVED: an acceptable ACK establishes the
 * connection; a passive one joins the listener's accept queue. */
void zn__tcp_act_synrcvd_ack(struct zn_tcp_conn *c, struct zn__tcp_seg *seg) {
  (void)seg;
  zn__tcp_rtx_stop(c); /* our SYN is acknowledged */
  c->rtx_count = 0; /* (RFC 6298 §5.7 was seen to by the ACK, tcp_ack.c) */
  ZN_STAT_INC(c->st, tcp_established);
  zn__tcp_ecn_established(c);
  zn__tcp_arm_keepalive_at_establish(c);
  struct zn_tcp_conn *l = c->parent;
  if ((c->flags & ZN__TCPF_PASSIVE) && l) {
    leave_synq(c);
    c->life |= ZN__TCPL_IN_ACCEPTQ;
    c->next = NULL;
    if (l->acq_tail)
      l->acq_tail->next = c;
    else
      l->acq_head = c;
    l->acq_tail = c;
    l->acq_len++;
    zn__tcp_notify_accept(l); /* delivered after this segment (tcp_in.c) */
  } else {
    zn__tcp_notify_connected(c);
  }
}

/* §3.10.7.4 fifth check, FIN_WAIT_1: our FIN is acknowledged: FIN_WAIT_2
 * (with a time limit if the application has let go). */
void zn__tcp_act_fin_acked(struct zn_tcp_conn *c, struct zn__tcp_seg *seg) {
  (void)seg;                /* (the chart set FIN_WAIT_2 already) */
  zn__tcp_arm_fw2(c);       /* the application has closed, */
  zn__tcp_arm_keepalive(c); /* or it only shut down and still reads */
}

/* §3.10.7.4 fifth check, CLOSING: our FIN acknowledged: TIME_WAIT. */
void zn__tcp_act_closing_fin_acked(struct zn_tcp_conn *c,
                                   struct zn__tcp_seg *seg) {
  (void)seg;
  zn__tcp_enter_timewait(c);
}

/* §3.10.7.4 fifth check, LAST_ACK: our FIN acknowledged: delete the TCB. */
void zn__tcp_act_last_ack_done(struct zn_tcp_conn *c,
                               struct zn__tcp_seg *seg) {
  (void)seg;
  zn__tcp_closed(c);
}

/* §3.10.7.4 eighth check, ESTABLISHED: CLOSE_WAIT; ACK the FIN. */
void zn__tcp_act_fin_estab(struct zn_tcp_conn *c, struct zn__tcp_seg *seg) {
  (void)seg;
  c->flags |= ZN__TCPF_ACK_NOW;
}

/* §3.10.7.4 eighth check, SYN_RECEIVED: CLOSE_WAIT (after the ACK that
 * came with it established the connection). */
void zn__tcp_act_fin_synrcvd(struct zn_tcp_conn *c, struct zn__tcp_seg *seg) {
  (void)seg;
  c->flags |= ZN__TCPF_ACK_NOW;
}

/* §3.10.7.4 eighth check, FIN_WAIT_1 (our FIN not yet acked): CLOSING. */
void zn__tcp_act_fin_fw1(struct zn_tcp_conn *c, struct zn__tcp_seg *seg) {
  (void)seg;
  c->flags |= ZN__TCPF_ACK_NOW;
}

/* §3.10.7.4 eighth check, FIN_WAIT_2: TIME_WAIT, start the 2 MSL timer. */
void zn__tcp_act_fin_fw2(struct zn_tcp_conn *c, struct zn__tcp_seg *seg) {
  (void)seg;
  c->flags |= ZN__TCPF_ACK_NOW;
  zn__tcp_send_ack(c);
  zn__tcp_enter_timewait(c);
}

/* §3.10.7.4 eighth check, CLOSE_WAIT/CLOSING/LAST_ACK: a retransmitted
 * FIN; ACK it again. */
void zn__tcp_act_fin_again(struct zn_tcp_conn *c, struct zn__tcp_seg *seg) {
  (void)seg;
  c->flags |= ZN__TCPF_ACK_NOW;
}

/* §3.10.7.4 fifth check, TIME_WAIT: "The only thing that can arrive in
 * this state is a retransmission of the remote FIN.  Acknowledge it".
 * Whatever else is acceptable, other than a bare duplicate ACK at
 * RCV.NXT (a segment from further inside the window, or one with text,
 * which the seventh check ignores), is acknowledged too, so that the
 * peer learns where this end stands: FreeBSD (tcp_twcheck) and Linux
 * (tcp_timewait_state_process) answer it so.  The 2 MSL timeout is not
 * restarted: only the FIN again does that (eighth check). */
void zn__tcp_act_timewait_ack(struct zn_tcp_conn *c, struct zn__tcp_seg *seg) {
  if (seg->seq != c->rcv_nxt || seg->len != 0)
    c->flags |= ZN__TCPF_ACK_NOW;
}

/* §3.10.7.4 eighth check, TIME_WAIT: a retransmitted FIN; ACK it and
 * restart the 2 MSL timeout. */
void zn__tcp_act_timewait_fin(struct zn_tcp_conn *c, struct zn__tcp_seg *seg) {
  (void)seg;
  zn__tcp_send_ack(c);
  zn__tcp_arm_2msl(c);
}

/* RFC 6191: a SYN for a connection in TIME_WAIT that is certainly new
 * (its timestamp, or else its sequence number, is beyond the old
 * incarnation's) ends TIME_WAIT and goes to the listener, if any, as a
 * fresh SYN; the new ISS is kept beyond the old sequence space. */
void zn__tcp_act_timewait_reopen(struct zn_tcp_conn *c,
                                 struct zn__tcp_seg *seg) {
  struct zn_stack *st = c->st;
  uint32_t floor = c->snd_max + 65536u;
  zn__tcp_closed(c); /* which counts ntimewait down: still TIME_WAIT here */
  struct zn_tcp_conn *l = zn__tcp_lookup_listener(st, seg->dst, seg->dport);
  if (!l)
    return;
  ZN__MOD(st, tcp)->reopen = true;
  ZN__MOD(st, tcp)->reopen_iss_floor = floor;
  zn__tcp_fsm(l, ZN__EV_S_SYN, seg);
  ZN__MOD(st, tcp)->reopen = false;
}
