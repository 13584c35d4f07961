/*
 * TCP input (RFC 9293 §3.10.7): find the connection, run the checks of
 * the "SEGMENT ARRIVES" procedure in its order, and hand the state
 * machine one event per step that can change state.  Everything that does
 * not change state (ACK bookkeeping, RTT, congestion control, SACK, data
 * and reassembly) happens here, around the events.
 */
#include <string.h>

#include "core/stack_int.h"
#include "tcp/tcp_int.h"
#include "znet/err.h"

/* PAWS: TS.Recent older than 24 days is not used (RFC 7323 §5.5). */
#define PAWS_IDLE_NS (24ull * 86400 * ZN_SEC(1))
#define MIN_MSS 64

void zn__tcp_apply_syn_opts(struct zn_tcp_conn *c, const struct zn__tcp_seg *s) {
  const struct zn_tcp_opts *o = &s->opts;
  const struct zn_config *cfg = &c->st->cfg;
  if (o->present & ZN_TCP_OPTF_MSS)
    c->peer_mss = o->mss < MIN_MSS ? MIN_MSS : o->mss;
  else
    c->peer_mss = 536; /* RFC 9293 §3.7.1 */
  if (c->peer_mss < c->mss)
    c->mss = c->peer_mss;
  c->wscale_ok = cfg->tcp_wscale && (o->present & ZN_TCP_OPTF_WS);
  if (c->wscale_ok)
    c->snd_wscale = o->wscale > 14 ? 14 : o->wscale; /* RFC 7323 §2.3 */
  else
    c->snd_wscale = c->rcv_wscale = 0;
  c->sack_ok = cfg->tcp_sack && (o->present & ZN_TCP_OPTF_SACK_PERM);
  c->ts_ok = cfg->tcp_timestamps && (o->present & ZN_TCP_OPTF_TS);
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
    zn__tcp_send_rst(st, s->dst, s->dport, s->src, s->sport, s->ack, 0, false);
  } else {
    uint32_t len = s->len + ((s->flags & ZN_TCP_SYN) ? 1u : 0u) +
                   ((s->flags & ZN_TCP_FIN) ? 1u : 0u);
    zn__tcp_send_rst(st, s->dst, s->dport, s->src, s->sport, 0, s->seq + len,
                     true);
  }
}

/* ---- the SACK scoreboard (RFC 6675 §5) ---- */

/* Drop what snd_una has passed. */
static void sack_advance(struct zn_tcp_conn *c) {
  uint8_t j = 0;
  c->sacked_bytes = 0;
  for (uint8_t i = 0; i < c->nsacked; i++) {
    struct zn__tcp_sack_block b = c->sacked[i];
    if (zn__seq_leq(b.right, c->snd_una))
      continue;
    if (zn__seq_lt(b.left, c->snd_una))
      b.left = c->snd_una;
    c->sacked[j++] = b;
    c->sacked_bytes += b.right - b.left;
  }
  c->nsacked = j;
  /* (Never outside [SND.UNA, SND.MAX]: sequence comparisons are modulo
   * 2^32, and a value left far behind would read as far ahead.) */
  if (zn__seq_lt(c->high_sacked, c->snd_una) ||
      zn__seq_gt(c->high_sacked, c->snd_max))
    c->high_sacked = c->snd_una;
}

/* Merge one SACK block into the scoreboard.  Returns true if it covers
 * bytes not SACKed before (RFC 6675 §2: such an ACK is a DupAck). */
static bool sack_add(struct zn_tcp_conn *c, uint32_t l, uint32_t r) {
  /* Only blocks inside (snd_una, snd_max] are believed (RFC 2018 §5
   * leaves the rest to the receiver's whims; D-SACK is not used). */
  if (!zn__seq_lt(l, r) || zn__seq_leq(r, c->snd_una) ||
      zn__seq_gt(r, c->snd_max) || r - l > c->snd_max - c->snd_una)
    return false;
  if (zn__seq_lt(l, c->snd_una))
    l = c->snd_una;
  /* Merge into the sorted, disjoint list. */
  struct zn__tcp_sack_block out[ZN__TCP_MAX_SACK_HOLES + 1];
  uint8_t n = 0;
  bool placed = false;
  for (uint8_t i = 0; i < c->nsacked; i++) {
    struct zn__tcp_sack_block b = c->sacked[i];
    if (zn__seq_lt(b.right, l)) {
      out[n++] = b;
    } else if (zn__seq_lt(r, b.left)) {
      if (!placed) {
        out[n++] = (struct zn__tcp_sack_block){l, r};
        placed = true;
      }
      out[n++] = b;
    } else {
      l = zn__seq_min(l, b.left);
      r = zn__seq_max(r, b.right);
    }
  }
  if (!placed)
    out[n++] = (struct zn__tcp_sack_block){l, r};
  uint32_t total = 0;
  for (uint8_t i = 0; i < n; i++)
    total += out[i].right - out[i].left;
  bool grew = total > c->sacked_bytes;
  /* Too many to remember: keep the highest (they carry the loss
   * information recovery acts on). */
  uint8_t skip = n > ZN__TCP_MAX_SACK_HOLES ? (uint8_t)(n - ZN__TCP_MAX_SACK_HOLES) : 0;
  c->nsacked = 0;
  c->sacked_bytes = 0;
  for (uint8_t i = skip; i < n; i++) {
    c->sacked[c->nsacked++] = out[i];
    c->sacked_bytes += out[i].right - out[i].left;
  }
  if (c->nsacked && zn__seq_gt(c->sacked[c->nsacked - 1].right, c->high_sacked))
    c->high_sacked = c->sacked[c->nsacked - 1].right;
  return grew;
}

/* ---- ACK processing (§3.10.7.4 fifth check, RFC 5681, 6582, 6675) ---- */

void zn__tcp_enter_recovery(struct zn_tcp_conn *c) {
  c->cc.ops->on_loss(&c->cc, c->snd_max - c->snd_una, c->st->now);
  c->recover = c->snd_max;
  c->flags |= ZN__TCPF_IN_RECOVERY;
  c->flags &= ~(uint32_t)ZN__TCPF_RTO_RECOVERY;
  c->rtx_next = c->snd_una;
  c->fast_retransmits++;
  ZN_STAT_INC(c->st, tcp_fast_rtx);
  if (!c->sack_ok) {
    /* NewReno (RFC 6582 §3.2 step 2): resend the first segment; inflate
     * by the three segments that left the network. */
    c->cc.cwnd = c->cc.ssthresh + 3u * c->mss;
  }
}

static void exit_recovery(struct zn_tcp_conn *c) {
  c->flags &= ~(uint32_t)(ZN__TCPF_IN_RECOVERY | ZN__TCPF_RTO_RECOVERY |
                          ZN__TCPF_FENCE);
  c->cc.ops->on_recovery_end(&c->cc, c->snd_max - c->snd_una, c->st->now);
  c->dupacks = 0;
  c->snd_nxt = c->snd_max;
}

/* A lost retransmission (after RFC 8985's RACK, by sequence rather than
 * by time).  RFC 6675 resends each hole once; when the resend of the hole
 * at SND.UNA is lost too, nothing but the RTO (200 ms at least, then a
 * window of one segment) finds it.  The peer SACKing DupThresh segments
 * of data sent after that resend (above rtx_fence) shows the resend lost
 * (or reordered that far): send it again. */
static void check_lost_rtx(struct zn_tcp_conn *c) {
  if ((c->flags & (ZN__TCPF_IN_RECOVERY | ZN__TCPF_FENCE)) !=
          (ZN__TCPF_IN_RECOVERY | ZN__TCPF_FENCE) ||
      !c->sack_ok)
    return;
  if (c->rtx_fence_una != c->snd_una) {
    /* SND.UNA moved on.  To a hole resent meanwhile: when is not known,
     * and now is late enough never to call it lost too early.  To one not
     * resent yet: watched from its resend (tcp_out.c transmit_at). */
    if (zn__seq_lt(c->snd_una, c->rtx_next)) {
      c->rtx_fence = c->snd_max;
      c->rtx_fence_una = c->snd_una;
    } else {
      c->flags &= ~(uint32_t)ZN__TCPF_FENCE;
    }
    return;
  }
  uint32_t above = 0;
  for (uint8_t i = 0; i < c->nsacked; i++) {
    uint32_t l = c->sacked[i].left, r = c->sacked[i].right;
    if (zn__seq_leq(r, c->rtx_fence))
      continue;
    above += r - (zn__seq_gt(l, c->rtx_fence) ? l : c->rtx_fence);
  }
  if (above < 3u * c->mss)
    return;
  ZN_STAT_INC(c->st, tcp_lost_rtx);
  zn__tcp_retransmit_first(c); /* a new fence */
}

/* Process an acceptable ACK (snd_una <= ack <= snd_max). */
static void process_ack(struct zn_tcp_conn *c, struct zn__tcp_seg *s) {
  uint32_t ack = s->ack;
  uint32_t wnd = s->wnd << c->snd_wscale;
  bool window_changed = false;
  c->probes_out = 0; /* any ACK answers the window probes */
  /* Window update rule (§3.10.7.4): only from a newer segment. */
  if (zn__seq_lt(c->snd_wl1, s->seq) ||
      (c->snd_wl1 == s->seq && zn__seq_leq(c->snd_wl2, ack))) {
    window_changed = c->snd_wnd != wnd;
    c->snd_wnd = wnd;
    c->snd_wl1 = s->seq;
    c->snd_wl2 = ack;
    if (wnd > c->max_snd_wnd)
      c->max_snd_wnd = wnd;
    if (wnd > 0 && c->persist) {
      c->persist = false;
      c->persist_backoff = 0;
      c->rtx_count = 0; /* the probes' backoff is no data RTO's (Linux
                           tcp_ack_probe clears icsk_backoff too) */
      zn_timer_stop(c->st, &c->rtx_timer);
    }
  }
  bool new_sack = false;
  if (c->sack_ok && (s->opts.present & ZN_TCP_OPTF_SACK))
    for (uint8_t i = 0; i < s->opts.nsack; i++)
      new_sack |= sack_add(c, s->opts.sack[i].left, s->opts.sack[i].right);

  if (zn__seq_gt(ack, c->snd_una)) {
    uint32_t acked = ack - c->snd_una;
    uint32_t data = acked;
    bool syn_acked = false;
    if (c->flags & ZN__TCPF_SYN_UNACKED) {
      c->flags &= ~(uint32_t)ZN__TCPF_SYN_UNACKED;
      data--;
      syn_acked = true;
    }
    /* RTT (RFC 6298 §3, Karn): only a segment sent once. */
    bool sampled = false;
    if ((c->flags & ZN__TCPF_TIMING) && zn__seq_gt(ack, c->rtt_seq)) {
      c->flags &= ~(uint32_t)ZN__TCPF_TIMING;
      zn__tcp_rtt_sample(c, (uint32_t)((c->st->now - c->rtt_start) / 1000u));
      sampled = true;
    }
    if (c->rtx_count && !sampled) {
      if (syn_acked) {
        /* RFC 6298 §5.7: our SYN(-ACK) was retransmitted and the
         * handshake gave no sample: data starts with an RTO of 3 s. */
        if (c->srtt_us == 0 && c->rto_ms < 3000)
          c->rto_ms = 3000;
      } else {
        /* Karn: the backed-off RTO stays until a new sample (RFC 6298
         * §5: only a new measurement "collapses" it). */
        uint64_t r = (uint64_t)c->rto_ms << (c->rtx_count < 16 ? c->rtx_count
                                                               : 16);
        c->rto_ms = (uint32_t)(r < c->st->cfg.tcp_rto_max_ms
                                   ? r
                                   : c->st->cfg.tcp_rto_max_ms);
      }
    }
    c->rtx_count = 0;
    c->persist_backoff = 0;
    c->flags &= ~(uint32_t)ZN__TCPF_PROBE_SENT;
    if ((c->flags & ZN__TCPF_TLP_RTX) && zn__seq_geq(ack, c->tlp_high)) {
      /* The probe's resent data is acknowledged with no recovery: it
       * repaired a loss (without D-SACK no proof otherwise), so the
       * window answers as for one (RFC 8985 §7.4.2, as Linux does). */
      c->flags &= ~(uint32_t)ZN__TCPF_TLP_RTX;
      if (!(c->flags & ZN__TCPF_IN_RECOVERY))
        c->cc.ops->on_loss(&c->cc, c->snd_max - c->snd_una, c->st->now);
    }
    c->snd_una = ack;
    if (zn__seq_lt(c->snd_nxt, ack))
      c->snd_nxt = ack;
    c->bytes_acked += data;
    zn__tcp_sndq_ack(c, data);
    sack_advance(c);
    if (c->flags & ZN__TCPF_IN_RECOVERY) {
      if (zn__seq_geq(ack, c->recover)) {
        exit_recovery(c);
      } else if (!c->sack_ok && !(c->flags & ZN__TCPF_RTO_RECOVERY)) {
        /* NewReno partial ACK (RFC 6582 §3.2 step 5): resend the next
         * hole, deflate by what was acked, add back one segment. */
        c->cc.cwnd = c->cc.cwnd > data ? c->cc.cwnd - data : c->mss;
        c->cc.cwnd += c->mss;
        c->rtx_next = c->snd_una;
        zn__tcp_retransmit_first(c);
      } else if (c->flags & ZN__TCPF_RTO_RECOVERY) {
        /* After an RTO the window starts again from one segment in slow
         * start (RFC 5681 §3.1): every ACK of new data opens it, while
         * output retransmits what the RTO presumed lost. */
        c->cc.ops->on_ack(&c->cc, data, c->st->now, c->srtt_us);
      } else if (c->sack_ok && zn__seq_leq(c->rtx_next, c->snd_una)) {
        zn__tcp_retransmit_first(c); /* RFC 6675 NextSeg rule 3 */
      }
    } else {
      c->dupacks = 0;
      /* The window grows only while it is what limits the sender (RFC
       * 7661's point; Linux's rule for slow start): up to twice the
       * flight this ACK covers.  A sender held back by the peer's window
       * or by the application no longer inflates cwnd without bound. */
      uint32_t flight = c->snd_max - c->snd_una + data;
      if (c->cc.cwnd < 2u * (uint64_t)flight)
        c->cc.ops->on_ack(&c->cc, data, c->st->now, c->srtt_us);
      else
        ZN_STAT_INC(c->st, tcp_cwnd_unused);
      /* An ACK that advances and SACKs can already show the first hole
       * lost (RFC 6675 IsLost: DupThresh segments SACKed above it):
       * recover now rather than wait for three pure duplicates. */
      if (c->sack_ok && c->sacked_bytes >= 3u * c->mss &&
          zn__seq_geq(c->snd_una, c->recover)) {
        zn__tcp_enter_recovery(c);
        zn__tcp_retransmit_first(c);
      }
    }
    check_lost_rtx(c);
    /* §3.10.7.4: restart the timer on new data acked, stop it if all is. */
    if (c->snd_una == c->snd_max)
      zn_timer_stop(c->st, &c->rtx_timer);
    else
      zn__tcp_arm_rtx(c);
    /* zn__tcp_deliver calls on_writable if a write fell short. */
    return;
  }
  /* ack == snd_una: a duplicate ACK?  RFC 5681 §2's definition (no
   * data, no window change), or, with SACK, any ACK whose blocks SACK
   * bytes not SACKed before (RFC 6675 §2): a receiver's window can move
   * while it reports the same hole, and each such ACK still says one
   * more segment left the network. */
  bool dup = c->snd_max != c->snd_una &&
             ((s->len == 0 && !(s->flags & (ZN_TCP_SYN | ZN_TCP_FIN)) &&
               !window_changed) ||
              new_sack);
  if (!dup)
    return;
  c->dupacks++;
  if (c->flags & ZN__TCPF_IN_RECOVERY) {
    if (!c->sack_ok && !(c->flags & ZN__TCPF_RTO_RECOVERY))
      c->cc.cwnd += c->mss; /* RFC 6582 §3.2 step 4: inflate */
    check_lost_rtx(c);
    return;
  }
  /* Enter recovery at 3 dupacks (RFC 5681 §3.2), or when SACK shows more
   * than DupThresh-1 segments received above the first hole (RFC 6675
   * IsLost), but not again for data sent before the last recovery
   * (RFC 6582 §3.2 step 1). */
  bool lost = c->dupacks >= 3 ||
              (c->sack_ok && c->sacked_bytes >= 3u * c->mss);
  if (lost && zn__seq_geq(c->snd_una, c->recover)) {
    zn__tcp_enter_recovery(c);
    zn__tcp_retransmit_first(c); /* RFC 6675 §5 (C), RFC 6582 step 2 */
  }
}

/* ---- data (§3.10.7.4 seventh check) ---- */

/* Small segments are folded into the previous buffer, so a peer sending
 * one byte per segment cannot pin a 2 KiB buffer per byte. */
static bool folds(const struct zn_tcp_conn *c, uint32_t len) {
  const struct zn_buf *t = c->rcvq.tail;
  return t && len <= 256 && zn_buf_writable(t) && zn_buf_tailroom(t) >= len;
}

static void queue_in_order(struct zn_tcp_conn *c, struct zn_buf *b) {
  uint32_t len = b->len;
  c->rcv_nxt += len;
  c->bytes_received += len;
  struct zn_buf *t = c->rcvq.tail;
  if (folds(c, len)) {
    memcpy(zn_buf_put(t, len), b->data, len);
    c->rcvq.bytes += len;
    zn_buf_free(b);
  } else {
    zn_bufq_push(&c->rcvq, b);
  }
  c->rcvq_bytes += len;
}

static bool takes_data(const struct zn_tcp_conn *c) {
  return c->state == ZN_TCP_ESTABLISHED || c->state == ZN_TCP_FIN_WAIT_1 ||
         c->state == ZN_TCP_FIN_WAIT_2;
}

/* Move what the out-of-order queue holds at rcv_nxt to the receive
 * queue.  Returns true if the peer's FIN follows it. */
static bool deliver_held(struct zn_tcp_conn *c) {
  bool fin_due = false;
  for (;;) {
    bool ofin = false;
    struct zn_buf *n = zn__tcp_ooo_pop(&c->ooo, c->rcv_nxt, &ofin);
    if (n) {
      queue_in_order(c, n);
      zn__tcp_notify_readable(c);
    }
    if (ofin)
      fin_due = true;
    if (!n)
      return fin_due;
  }
}

/* May c keep the data of a segment under the stack-wide bound on TCP's
 * buffers (tcp.c)?  In-order data that folds into the last buffer costs
 * none; otherwise, for in-order data, the connection's own out-of-order
 * queue is given up first (reneging, which RFC 2018 §8 allows: the
 * sender keeps SACKed data until it is cumulatively acknowledged). */
static bool mem_admit(struct zn_tcp_conn *c, bool in_order, uint32_t len) {
  zn__tcp_mem_sync(c);
  if (!zn__tcp_mem_rcv_full(c->st) && !zn__tcp_over_share(c, true))
    return true;
  if (in_order && folds(c, len))
    return true;
  if (in_order && c->ooo.nbufs) {
    zn__tcp_ooo_purge(&c->ooo);
    ZN_STAT_INC(c->st, tcp_ooo_pruned);
    zn__tcp_mem_sync(c);
    if (!zn__tcp_mem_rcv_full(c->st) && !zn__tcp_over_share(c, true))
      return true;
  }
  ZN_STAT_INC(c->st, tcp_drop_mem);
  return false;
}

/* Returns true if the peer's FIN became due (rcv_nxt reached it). */
static bool process_data(struct zn_tcp_conn *c, struct zn__tcp_seg *s) {
  struct zn_buf *b = s->b;
  bool fin = (s->flags & ZN_TCP_FIN) != 0;
  s->b = NULL;
  if (!takes_data(c) || (c->flags & ZN__TCPF_FIN_RCVD)) {
    zn_buf_free(b);
    return false;
  }
  if (s->len == 0 && !fin) {
    zn_buf_free(b);
    return false;
  }
  if (s->len && (c->flags & ZN__TCPF_USER_CLOSED)) {
    /* New data for an application that has closed: nobody will read it,
     * so reset rather than let it fill the window (as Linux does; RFC
     * 2525 §2.17). */
    zn_buf_free(b);
    zn__tcp_fsm(c, ZN__EV_U_ABORT, NULL);
    return false;
  }
  if (s->len && !mem_admit(c, s->seq == c->rcv_nxt, s->len)) {
    /* Not kept, FIN included (it follows the data): the peer resends.
     * In-order data dropped for the stack-wide bound also takes the
     * window back (shrinks it to nothing, which RFC 9293 §3.8.6.2.2
     * discourages and senders must survive): the peer then waits in
     * persist for the update tcp.c sends once there is room, rather than
     * time out again and again into a minute of RTO backoff. */
    if (s->seq == c->rcv_nxt && zn__seq_gt(c->rcv_adv, c->rcv_nxt)) {
      c->rcv_adv = c->rcv_nxt;
      zn__tcp_mem_sync(c);
      ZN_STAT_INC(c->st, tcp_wnd_shrunk);
    }
    zn_buf_free(b);
    zn__tcp_schedule_ack(c, true);
    return false;
  }
  if (s->seq == c->rcv_nxt) {
    if (s->len) {
      queue_in_order(c, b);
      zn__tcp_notify_readable(c);
    } else {
      zn_buf_free(b);
    }
    bool fin_due = fin;
    /* Segments held out of order may now follow (RFC 9293 §3.10.7.4). */
    bool had_ooo = c->ooo.nbufs || c->ooo.have_fin;
    if (deliver_held(c))
      fin_due = true;
    /* Every second full segment is ACKed at once; out-of-order data
     * filling a hole is ACKed at once (RFC 5681 §4.2).  So are the
     * segments that follow a loss (quickacks, as Linux's quick-ACK
     * mode): the sender is recovering with a small window, and an ACK
     * held back, or lost with one ACK for two segments, stalls it until
     * a probe or the RTO. */
    if (s->len + 12u >= c->mss) { /* full-sized, allowing for options */
      /* A frame the netif coalesced (receive offload) counts as the
       * segments it was sent as. */
      uint32_t n = s->len / (c->mss > 12u ? c->mss - 12u : 1u);
      c->segs_unacked = (uint8_t)(c->segs_unacked + (n > 2u ? 2u : n ? n : 1u));
    }
    bool quick = s->len && c->quickacks;
    if (quick)
      c->quickacks--;
    if (had_ooo || c->segs_unacked >= 2 || fin_due || quick)
      zn__tcp_schedule_ack(c, true);
    else
      zn__tcp_schedule_ack(c, false);
    return fin_due;
  }
  /* Beyond rcv_nxt: hold it, within the memory bound, and ACK at once so
   * the sender sees a duplicate ACK (with SACK blocks).
   * The queue keeps, without copying, the part of b that fills the first
   * gap it reaches (tcp_ooo.h).  A segment spanning several gaps leaves
   * the rest to copies, inserted in turn until nothing new is left: RFC
   * 2018 §4, "the first SACK block MUST specify the contiguous block of
   * data containing the segment which triggered this ACK", can only be
   * kept if all of the segment is held.  The queue's split counter then
   * tells what is finally left out. */
  uint64_t split0 = c->ooo.drop_split_bytes;
  bool queued = false;
  for (int i = 0; i < 64; i++) {
    uint32_t mem = c->ooo.mem + (b ? b->pool->size : 0);
    if (mem > c->rcvbuf + c->rcvbuf / 2) {
      ZN_STAT_INC(c->st, tcp_drop_rcv_mem);
      zn_buf_free(b);
      break;
    }
    struct zn_buf *rest = NULL;
    uint32_t lo, hi;
    if (b && b->len && zn__tcp_ooo_range(&c->ooo, &lo, &hi) &&
        zn__seq_lt(lo, s->seq + b->len) && zn__seq_gt(hi, s->seq)) {
      rest = zn__buf_alloc(c->st, b->len);
      if (rest)
        memcpy(zn_buf_put(rest, b->len), b->data, b->len);
    }
    uint64_t split = c->ooo.drop_split_bytes;
    if (zn__tcp_ooo_insert(&c->ooo, b, s->seq, fin && i == 0, c->rcv_nxt) !=
        ZN__OOO_QUEUED) {
      zn_buf_free(rest);
      break;
    }
    queued = true;
    c->ooo.drop_split_bytes = split0 + (c->ooo.drop_split_bytes - split);
    b = rest;
    if (!b)
      break;
  }
  if (queued)
    ZN_STAT_INC(c->st, tcp_ooo_queued);
  else
    ZN_STAT_INC(c->st, tcp_ooo_dup);
  c->quickacks = c->st->cfg.tcp_quickacks;
  zn__tcp_schedule_ack(c, true);
  return false;
}

/* ---- sequence checks ---- */

/* §3.10.7.4 first check: is the segment acceptable? */
static bool acceptable(const struct zn_tcp_conn *c, uint32_t seq,
                       uint32_t seglen) {
  uint32_t wnd = zn__tcp_rcv_wnd(c);
  if (seglen == 0) {
    if (wnd == 0)
      return seq == c->rcv_nxt;
    return zn__seq_in(seq, c->rcv_nxt, c->rcv_nxt + wnd);
  }
  if (wnd == 0)
    return false;
  return zn__seq_in(seq, c->rcv_nxt, c->rcv_nxt + wnd) ||
         zn__seq_in(seq + seglen - 1, c->rcv_nxt, c->rcv_nxt + wnd);
}

/* Trim the segment to the window: bytes before rcv_nxt and beyond the
 * right edge go (a FIN beyond it goes too). */
static void trim_to_window(struct zn_tcp_conn *c, struct zn__tcp_seg *s) {
  if (zn__seq_lt(s->seq, c->rcv_nxt)) {
    uint32_t d = c->rcv_nxt - s->seq;
    if (s->flags & ZN_TCP_SYN) {
      s->flags &= (uint8_t)~ZN_TCP_SYN;
      s->seq++;
      d--;
    }
    if (d > s->len) {
      d = s->len;
      s->flags &= (uint8_t)~ZN_TCP_FIN; /* an old FIN: see fin_again */
    }
    zn_buf_pull(s->b, d);
    s->seq += d;
    s->len -= d;
  }
  uint32_t wnd = zn__tcp_rcv_wnd(c);
  uint32_t right = c->rcv_nxt + wnd;
  if (zn__seq_gt(s->seq + s->len, right)) {
    uint32_t keep = zn__seq_gt(right, s->seq) ? right - s->seq : 0;
    zn_buf_trim(s->b, keep);
    s->len = keep;
    s->flags &= (uint8_t)~ZN_TCP_FIN;
  }
}

/* ---- per-state processing ---- */

/* A segment the state machine ignores for want of an ACK bit (§3.10.7.4
 * fifth check: "drop the segment and return"), or a SYN+FIN: counted. */
static void no_ack(struct zn_tcp_conn *c, struct zn__tcp_seg *s) {
  ZN_STAT_INC(c->st, tcp_drop_noack);
  zn__tcp_fsm(c, ZN__EV_S_NOACK, s);
}

static void input_listen(struct zn_tcp_conn *c, struct zn__tcp_seg *s) {
  if ((s->flags & (ZN_TCP_SYN | ZN_TCP_FIN)) == (ZN_TCP_SYN | ZN_TCP_FIN))
    /* Before RST, as the last branch: NOLINTNEXTLINE(bugprone-branch-clone) */
    no_ack(c, s); /* SYN+FIN: a scan, not a peer */
  else if (s->flags & ZN_TCP_RST)
    zn__tcp_fsm(c, ZN__EV_S_RST, s);
  else if ((s->flags & ZN_TCP_ACK) && (s->flags & ZN_TCP_SYN))
    zn__tcp_fsm(c, ZN__EV_S_BADACK, s);
  else if (s->flags & ZN_TCP_ACK)
    zn__tcp_fsm(c, ZN__EV_S_ACK, s);
  else if (s->flags & ZN_TCP_SYN)
    zn__tcp_fsm(c, ZN__EV_S_SYN, s);
  else
    no_ack(c, s);
}

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
    if (c->state == ZN_TCP_ESTABLISHED && (s->len || (s->flags & ZN_TCP_FIN))) {
      /* Data or FIN on the SYN-ACK (§3.10.7.3: "continue processing at
       * the sixth step"). */
      s->seq++;
      s->flags &= (uint8_t)~ZN_TCP_SYN;
      trim_to_window(c, s);
      if (process_data(c, s)) {
        /* §3.10.7.4 eighth check, as in zn__tcp_input_sync: the FIN
         * takes a sequence number and is news for the reader. */
        c->rcv_nxt++;
        c->flags |= ZN__TCPF_FIN_RCVD;
        zn__tcp_notify_readable(c);
        zn__tcp_fsm(c, ZN__EV_S_FIN, s);
      }
    }
    return;
  }
  no_ack(c, s);
}

void zn__tcp_input_sync(struct zn_tcp_conn *c, struct zn__tcp_seg *s) {
  struct zn_stack *st = c->st;
  uint32_t seglen = s->len + ((s->flags & ZN_TCP_SYN) ? 1u : 0u) +
                    ((s->flags & ZN_TCP_FIN) ? 1u : 0u);
  /* RFC 6191: a new SYN for a TIME_WAIT connection may reopen it. */
  if (c->state == ZN_TCP_TIME_WAIT &&
      (s->flags & (ZN_TCP_SYN | ZN_TCP_ACK | ZN_TCP_RST | ZN_TCP_FIN)) ==
          ZN_TCP_SYN) {
    bool newer = c->ts_ok && (s->opts.present & ZN_TCP_OPTF_TS)
                     ? zn__seq_gt(s->opts.tsval, c->ts_recent)
                     : zn__seq_gt(s->seq, c->rcv_nxt);
    /* Only with a listener to take it (Linux answers the TIME_WAIT ACK
     * otherwise, and so do we, below). */
    if (newer && zn__tcp_lookup_listener(st, s->dst, s->dport)) {
      zn__tcp_fsm(c, ZN__EV_S_SYN_REOPEN, s);
      return;
    }
  }
  /* PAWS (RFC 7323 §5.3). */
  if (c->ts_ok && (s->opts.present & ZN_TCP_OPTF_TS) &&
      !(s->flags & ZN_TCP_RST) && c->ts_recent_stamp &&
      st->now - c->ts_recent_stamp < PAWS_IDLE_NS &&
      zn__seq_lt(s->opts.tsval, c->ts_recent)) {
    ZN_STAT_INC(st, tcp_paws_reject);
    zn__tcp_fsm(c, ZN__EV_S_UNACCEPTABLE, s);
    return;
  }
  /* First check: sequence number. */
  bool ok = acceptable(c, s->seq, seglen);
  if (!ok && zn__tcp_rcv_wnd(c) == 0 && s->seq == c->rcv_nxt) {
    /* A closed window still takes ACKs and RSTs (§3.10.7.4).  Text or a
     * FIN is not taken, but is a window probe to answer with an ACK
     * saying the window (§3.8.6.1, RFC 1122 §4.2.2.17), or the sender
     * never learns it opened. */
    if (s->len || (s->flags & ZN_TCP_FIN))
      zn__tcp_schedule_ack(c, true);
    zn_buf_trim(s->b, 0);
    s->len = 0;
    s->flags &= (uint8_t)~ZN_TCP_FIN;
    ok = true;
  }
  /* The peer's FIN again (our ACK of it was lost) is old by the test
   * above, yet it is the eighth check's "retransmission of the remote FIN"
   * (RFC 9293 §3.10.7.4), answered by S_FIN at the end so that TIME_WAIT
   * also restarts its 2 MSL (Linux tcp_timewait_state_process).  Its ACK
   * field is news all the same: trimmed of the old FIN and data (the
   * "idealized segment" of §3.10.7.4), it begins at RCV.NXT and goes
   * through the checks below, so an ACK of our FIN riding on it moves
   * CLOSING to TIME_WAIT and LAST_ACK to CLOSED (BSD trims and processes
   * it so; Linux tcp_sequence() accepts a segment that ends at RCV.NXT). */
  bool fin_rtx = false;
  if (!ok && (s->flags & ZN_TCP_FIN) &&
      !(s->flags & (ZN_TCP_SYN | ZN_TCP_RST)) &&
      (c->flags & ZN__TCPF_FIN_RCVD) && s->seq + s->len + 1u == c->rcv_nxt) {
    fin_rtx = true;
    zn_buf_trim(s->b, 0);
    s->seq = c->rcv_nxt;
    s->len = 0;
    s->flags &= (uint8_t)~ZN_TCP_FIN;
    ok = true;
  }
  if (!ok) {
    ZN_STAT_INC(st, tcp_unacceptable);
    enum zn__tcp_event ev = (s->flags & ZN_TCP_RST) ? ZN__EV_S_RST_BAD
                                                    : ZN__EV_S_UNACCEPTABLE;
    /* RFC 5961 §4.2: a SYN draws a (rate-limited) challenge ACK
     * "irrespective of the sequence number" (Linux
     * tcp_validate_incoming too); but the peer's own SYN again in
     * SYN_RECEIVED is answered by act_dup_ack with our SYN-ACK. */
    if (ev == ZN__EV_S_UNACCEPTABLE && (s->flags & ZN_TCP_SYN) &&
        st->cfg.tcp_rfc5961 &&
        !(c->state == ZN_TCP_SYN_RECEIVED && s->seq == c->irs))
      ev = ZN__EV_S_SYN;
    zn__tcp_fsm(c, ev, s);
    return;
  }
  /* Second check: RST (RFC 5961 §3.2). */
  if (s->flags & ZN_TCP_RST) {
    if (s->seq == c->rcv_nxt || !st->cfg.tcp_rfc5961)
      zn__tcp_fsm(c, ZN__EV_S_RST, s);
    else
      zn__tcp_fsm(c, ZN__EV_S_RST_INWIN, s);
    return;
  }
  /* Fourth check: SYN (RFC 5961 §4; RFC 793 reset it).  RFC 793 resets
   * only for a SYN "in the window"; one before RCV.NXT, in a segment that
   * passed the first check by its text or FIN, is answered as that check
   * answers what lies outside the window: an ACK ("if the SYN is not in
   * the window this step would not be reached and an ack would have been
   * sent in the first step"). */
  if (s->flags & ZN_TCP_SYN) {
    enum zn__tcp_event ev = ZN__EV_S_SYN;
    if (!st->cfg.tcp_rfc5961)
      ev = zn__seq_lt(s->seq, c->rcv_nxt) ? ZN__EV_S_UNACCEPTABLE
                                          : ZN__EV_S_SYN_RESET;
    zn__tcp_fsm(c, ev, s);
    return;
  }
  trim_to_window(c, s);
  /* Fifth check: ACK. */
  if (!(s->flags & ZN_TCP_ACK)) {
    no_ack(c, s);
    return;
  }
  if (c->state == ZN_TCP_SYN_RECEIVED) {
    if (!zn__seq_gt(s->ack, c->snd_una) || zn__seq_gt(s->ack, c->snd_max)) {
      zn__tcp_fsm(c, ZN__EV_S_BADACK, s);
      return;
    }
    if (c->parent && c->parent->acq_len >= c->parent->backlog) {
      ZN_STAT_INC(st, tcp_drop_acceptq);
      return; /* the peer will resend; maybe the app accepts meanwhile */
    }
    c->snd_wnd = s->wnd << c->snd_wscale;
    c->max_snd_wnd = c->snd_wnd;
    c->snd_wl1 = s->seq;
    c->snd_wl2 = s->ack;
    process_ack(c, s);
    zn__tcp_fsm(c, ZN__EV_S_ACK, s);
    /* Text (and a FIN) that came on the peer's SYN in SYN_SENT waited
     * for ESTABLISHED (RFC 9293 §3.10.7.3, act_simultaneous_open); it
     * is due now, and ACKed as in-order data is. */
    if (c->state == ZN_TCP_ESTABLISHED && (c->ooo.nbufs || c->ooo.have_fin)) {
      if (deliver_held(c)) {
        c->rcv_nxt++;
        c->flags |= ZN__TCPF_FIN_RCVD;
        zn__tcp_notify_readable(c);
        zn__tcp_fsm(c, ZN__EV_S_FIN, s);
      } else {
        zn__tcp_schedule_ack(c, false);
      }
    }
  } else {
    /* RFC 5961 §5.2: acceptable if SND.UNA - MAX.SND.WND <= SEG.ACK <=
     * SND.NXT; beyond SND.NXT always draws an ACK (§3.10.7.4). */
    uint32_t lo = c->snd_una - c->max_snd_wnd;
    if (zn__seq_gt(s->ack, c->snd_max) ||
        (st->cfg.tcp_rfc5961 && zn__seq_lt(s->ack, lo))) {
      zn__tcp_fsm(c, ZN__EV_S_ACK_INVALID, s);
      return;
    }
    if (zn__seq_geq(s->ack, c->snd_una))
      process_ack(c, s);
    /* Our FIN is acknowledged when the ACK covers its sequence number
     * (whatever retransmissions happened meanwhile). */
    bool fin_acked = (c->flags & ZN__TCPF_FIN_QUEUED) &&
                     zn__seq_gt(s->ack, c->fin_seq) &&
                     zn__seq_geq(s->ack, c->snd_una);
    zn__tcp_fsm(c, fin_acked ? ZN__EV_S_ACK_FIN : ZN__EV_S_ACK, s);
    if (c->state == ZN_TCP_CLOSED)
      return;
  }
  /* TS.Recent (RFC 7323 §4.3). */
  if (c->ts_ok && (s->opts.present & ZN_TCP_OPTF_TS) &&
      zn__seq_leq(s->seq, c->last_ack_sent) &&
      zn__seq_lt(c->last_ack_sent, s->seq + s->len + 1u)) {
    c->ts_recent = s->opts.tsval;
    c->ts_recent_stamp = st->now;
  }
  /* Sixth check (URG) is not implemented: urgent data is ordinary data.
   * Seventh: text.  Eighth: FIN. */
  bool old_fin = (c->flags & ZN__TCPF_FIN_RCVD) && (s->flags & ZN_TCP_FIN);
  bool fin_due = process_data(c, s);
  if (fin_due) {
    c->rcv_nxt++;
    c->flags |= ZN__TCPF_FIN_RCVD;
    zn__tcp_notify_readable(c);
    zn__tcp_fsm(c, ZN__EV_S_FIN, s);
  } else if (old_fin || fin_rtx ||
             ((s->flags & ZN_TCP_FIN) && (c->flags & ZN__TCPF_FIN_RCVD))) {
    zn__tcp_fsm(c, ZN__EV_S_FIN, s); /* a retransmitted FIN */
  }
}

void zn__tcp_input(struct zn_stack *st, struct zn_buf *b,
                   const struct zn__ip_meta *m) {
  struct zn_tcp_view v;
  ZN_STAT_INC(st, tcp_rx);
  int rc = zn_tcp_view_init(&v, b->data, b->len);
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
  if (!(b->flags & (ZN_BUF_F_LOOP | ZN_BUF_F_CSUM_OK)) &&
      !zn_tcp_csum_ok(&v, m->src, m->dst)) {
    ZN_STAT_INC(st, tcp_drop_checksum);
    goto drop;
  }
  struct zn__tcp_seg s;
  memset(&s, 0, sizeof(s));
  if (zn_tcp_opts_parse(&v, &s.opts) != ZN_OK) {
    ZN_STAT_INC(st, tcp_drop_opts);
    goto drop;
  }
  s.src = m->src;
  s.dst = m->dst;
  s.sport = v.sport;
  s.dport = v.dport;
  s.seq = v.seq;
  s.ack = v.ack;
  s.flags = v.flags;
  s.wnd = v.win;
  s.ttl = m->ttl;
  zn_buf_trim(b, v.len);
  zn_buf_pull(b, v.hdr_len);
  s.b = b;
  s.len = b->len;
  struct zn_tcp_conn *c = zn__tcp_lookup(st, m->dst, v.dport, m->src, v.sport);
  if (!c)
    c = zn__tcp_lookup_listener(st, m->dst, v.dport);
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
  zn_buf_free(s.b);
  /* zn_tcp_shutdown() before the handshake completed: §3.10.4 CLOSE in
   * SYN_SENT/SYN_RECEIVED queues the FIN "for processing after entering
   * ESTABLISHED state", through the chart (ESTABLISHED -> FIN_WAIT_1,
   * CLOSE_WAIT -> LAST_ACK). */
  if ((c->flags & ZN__TCPF_SHUT_WR) && !(c->flags & ZN__TCPF_FIN_QUEUED) &&
      (c->state == ZN_TCP_ESTABLISHED || c->state == ZN_TCP_CLOSE_WAIT))
    zn__tcp_fsm(c, ZN__EV_U_CLOSE, NULL);
  /* Send what is due, then tell the application (a child's listener
   * learns of a new connection only now, after the segment is done). */
  if (c->state != ZN_TCP_LISTEN && c->state != ZN_TCP_CLOSED)
    zn__tcp_output(c);
  zn__tcp_deliver(c);
  if (parent)
    zn__tcp_deliver(parent);
  return;
drop:
  zn_buf_free(b);
}

/* ---- ICMP errors (RFC 5927, RFC 1122 §4.2.3.9) ---- */

void zn__tcp_icmp_err(struct zn_stack *st, const struct zn__ip_err *e) {
  uint16_t sport = zn_rd16(e->l4), dport = zn_rd16(e->l4 + 2);
  uint32_t seq = zn_rd32(e->l4 + 4);
  struct zn_tcp_conn *c = zn__tcp_lookup(st, e->ip->src, sport, e->ip->dst, dport);
  if (!c || c->state == ZN_TCP_LISTEN || c->state == ZN_TCP_CLOSED)
    return;
  /* RFC 5927 §4.1: the quoted sequence number must be one in flight,
   * SND.UNA =< SEG.SEQ < SND.NXT (here SND.MAX, the highest sent). */
  if (!zn__seq_in(seq, c->snd_una, c->snd_max))
    return;
  if (e->type == ZN_ICMP_DEST_UNREACH && e->code == ZN_ICMP_UNREACH_NEEDFRAG) {
    /* Path MTU discovery (RFC 1191): shrink the MSS, resend. */
    uint32_t mtu = e->mtu;
    if (mtu >= 68 && mtu - 40 < c->mss) {
      c->mss = (uint16_t)(mtu - 40 < MIN_MSS ? MIN_MSS : mtu - 40);
      c->snd_nxt = c->snd_una;
      zn__tcp_output(c);
    }
    return;
  }
  if (c->state == ZN_TCP_SYN_SENT && e->type == ZN_ICMP_DEST_UNREACH &&
      (e->code == ZN_ICMP_UNREACH_PORT || e->code == ZN_ICMP_UNREACH_PROTO)) {
    /* Hard error while connecting (RFC 1122 §4.2.3.9). */
    zn__tcp_notify_error(c, ZN_ECONNREFUSED);
    zn__tcp_fsm(c, ZN__EV_T_GIVEUP, NULL);
    zn__tcp_deliver(c);
    return;
  }
  /* Soft errors: remembered, reported if the connection later times out. */
  if (c->state == ZN_TCP_SYN_SENT)
    c->soft_err = ZN_EHOSTUNREACH;
}
