/*
 * The fifth check of RFC 9293 §3.10.7.4, "check the ACK field", once the
 * ACK is known acceptable: the send window update, the SACK scoreboard
 * (RFC 6675), what a new cumulative ACK does (RTT, RFC 6298; congestion
 * control, RFC 5681; loss recovery, RFC 6582/6675; tail loss probes, RFC
 * 8985) and what a duplicate ACK does.  The chart's event for the ACK
 * (S_ACK, S_ACK_FIN, ...) is chosen by tcp_in_sync.c after this.
 */
#include <string.h>

#include "core/stack_int.h"
#include "tcp/tcp_int.h"

/* ---- the SACK scoreboard (RFC 6675 §5) ---- */

/* The ranges are sorted and disjoint, all inside [SND.UNA, SND.MAX]: an
 * offset from SND.UNA orders them without wrapping.  Lookups search,
 * an insert moves what follows (memmove), so a scoreboard of a thousand
 * ranges costs little more per ACK than one of a hundred. */
static uint32_t off(const struct zn_tcp_conn *c, uint32_t seq) {
  return seq - c->snd_una;
}

/* The first range whose right edge is above seq (nsacked if none). */
static uint16_t first_right_above(const struct zn_tcp_conn *c, uint32_t seq) {
  uint16_t lo = 0, hi = c->nsacked;
  uint32_t k = off(c, seq);
  while (lo < hi) {
    uint16_t mid = (uint16_t)(lo + (hi - lo) / 2);
    if (off(c, c->fl->sacked[mid].right) > k)
      hi = mid;
    else
      lo = mid + 1;
  }
  return lo;
}

/* Drop what snd_una has passed (the lowest ranges). */
static void sack_advance(struct zn_tcp_conn *c) {
  uint16_t k = 0;
  while (k < c->nsacked && zn__seq_leq(c->fl->sacked[k].right, c->snd_una)) {
    c->sacked_bytes -= c->fl->sacked[k].right - c->fl->sacked[k].left;
    k++;
  }
  if (k) {
    memmove(c->fl->sacked, c->fl->sacked + k,
            (size_t)(c->nsacked - k) * sizeof(c->fl->sacked[0]));
    c->nsacked = (uint16_t)(c->nsacked - k);
  }
  if (c->nsacked && zn__seq_lt(c->fl->sacked[0].left, c->snd_una)) {
    c->sacked_bytes -= c->snd_una - c->fl->sacked[0].left;
    c->fl->sacked[0].left = c->snd_una;
  }
  /* (Never outside [SND.UNA, SND.MAX]: sequence comparisons are modulo
   * 2^32, and a value left far behind would read as far ahead.) */
  if (zn__seq_lt(c->high_sacked, c->snd_una) ||
      zn__seq_gt(c->high_sacked, c->snd_max))
    c->high_sacked = c->snd_una;
  if (zn__seq_lt(c->rtx_next, c->snd_una) ||
      zn__seq_gt(c->rtx_next, c->snd_max))
    c->rtx_next = c->snd_una;
}

/* Is seq SACKed?  If so, *skip is how far its block goes on. */
bool zn__tcp_sacked(const struct zn_tcp_conn *c, uint32_t seq,
                    uint32_t *skip) {
  if (c->nsacked == 0 || zn__seq_lt(seq, c->snd_una))
    return false;
  uint16_t i = first_right_above(c, seq);
  if (i == c->nsacked || zn__seq_gt(c->fl->sacked[i].left, seq))
    return false;
  *skip = c->fl->sacked[i].right - seq;
  return true;
}

/* Bytes from seq up to the next SACKed block, at most limit. */
uint32_t zn__tcp_until_sacked(const struct zn_tcp_conn *c, uint32_t seq,
                              uint32_t limit) {
  if (c->nsacked == 0)
    return limit;
  uint16_t i = zn__seq_lt(seq, c->snd_una) ? 0 : first_right_above(c, seq);
  /* The first block starting above seq: i's, or the next one. */
  if (i < c->nsacked && zn__seq_leq(c->fl->sacked[i].left, seq))
    i++;
  if (i == c->nsacked)
    return limit;
  uint32_t n = c->fl->sacked[i].left - seq;
  return n < limit ? n : limit;
}

/* SACKed bytes in [lo, hi). */
uint32_t zn__tcp_sacked_in(const struct zn_tcp_conn *c, uint32_t lo,
                           uint32_t hi) {
  uint32_t n = 0;
  uint16_t i = zn__seq_lt(lo, c->snd_una) ? 0 : first_right_above(c, lo);
  for (; i < c->nsacked && zn__seq_lt(c->fl->sacked[i].left, hi); i++) {
    uint32_t l = zn__seq_max(c->fl->sacked[i].left, lo);
    uint32_t r = zn__seq_min(c->fl->sacked[i].right, hi);
    if (zn__seq_lt(l, r))
      n += r - l;
  }
  return n;
}

/* RFC 2018 §8 lets a receiver discard data it has SACKed (renege).  The
 * scoreboard is kept across an RTO, which RFC 6675 §5.1 allows given a
 * robust test for reneging; this is it (Linux tcp_check_sack_reneging
 * makes the same one): an ACK that stops where a SACKed range begins, or
 * inside one.  A receiver still holding that range would acknowledge
 * past it.  Then nothing SACKed is believed: the scoreboard is emptied
 * and resending starts again from SND.UNA (while an RTO's recovery runs,
 * all of it goes again; otherwise the RTO finds what is missing).
 * Without the test a sender skips the discarded data until each of its
 * segments in turn meets a backed-off RTO. */
static void sack_check_reneged(struct zn_tcp_conn *c) {
  if (c->nsacked == 0 || c->fl->sacked[0].left != c->snd_una)
    return;
  ZN_STAT_INC(c->st, tcp_sack_reneged);
  c->nsacked = 0;
  c->sacked_bytes = 0;
  c->high_sacked = c->snd_una;
  c->rtx_next = c->snd_una;
  zn__tcp_rack_reneged(c);
}

/* The scoreboard over its bound: the lowest range forgotten (the
 * highest carry the loss information recovery acts on). */
static void sack_forget_lowest(struct zn_tcp_conn *c) {
  c->sacked_bytes -= c->fl->sacked[0].right - c->fl->sacked[0].left;
  memmove(c->fl->sacked, c->fl->sacked + 1,
          (size_t)(c->nsacked - 1) * sizeof(c->fl->sacked[0]));
  c->nsacked--;
}

/* Merge one SACK block into the scoreboard.  Returns true if it covers
 * bytes not SACKed before (RFC 6675 §2: such an ACK is a DupAck). */
static bool sack_add(struct zn_tcp_conn *c, uint32_t l, uint32_t r) {
  /* Only blocks inside (snd_una, snd_max] are believed (RFC 2018 §5
   * leaves the rest to the receiver's whims; a D-SACK never gets here:
   * update_scoreboard takes it out). */
  if (!zn__seq_lt(l, r) || zn__seq_leq(r, c->snd_una) ||
      zn__seq_gt(r, c->snd_max) || r - l > c->snd_max - c->snd_una ||
      c->fl == NULL) /* (the SYN alone in flight: no data to SACK) */
    return false;
  if (zn__seq_lt(l, c->snd_una))
    l = c->snd_una;
  struct zn__tcp_sack_block *a = c->fl->sacked;
  /* [i, j): the ranges the block touches (or abuts), merged into one. */
  uint16_t i = zn__seq_leq(l, c->snd_una) ? 0 : first_right_above(c, l - 1);
  uint16_t j = i;
  uint32_t covered = 0;
  while (j < c->nsacked && zn__seq_leq(a[j].left, r)) {
    covered += a[j].right - a[j].left;
    l = zn__seq_min(l, a[j].left);
    r = zn__seq_max(r, a[j].right);
    j++;
  }
  bool grew = r - l > covered;
  if (j == i && c->nsacked == c->tcp->sack_ranges) {
    if (i == 0)
      return grew; /* it would be the lowest: forgotten at once */
    sack_forget_lowest(c);
    i--;
    j--;
  }
  c->sacked_bytes += (r - l) - covered;
  uint16_t keep = (uint16_t)(c->nsacked - j);
  memmove(a + i + 1, a + j, (size_t)keep * sizeof(a[0]));
  a[i] = (struct zn__tcp_sack_block){l, r};
  c->nsacked = (uint16_t)(i + 1 + keep);
  if (c->nsacked &&
      zn__seq_gt(a[c->nsacked - 1].right, c->high_sacked))
    c->high_sacked = a[c->nsacked - 1].right;
  return grew;
}

/* ---- ACK processing (§3.10.7.4 fifth check, RFC 5681, 6582, 6675) ---- */

/* A loss cuts the window (RFC 5681 §3.2 step 2), but only once per window
 * of data (RFC 3168 §6.1.2): not when an ECN echo cut it already for the
 * data now lost. */
static void cut_for_loss(struct zn_tcp_conn *c) {
  if (!zn__tcp_ecn_window_cut(c))
    c->cc.ops->on_loss(&c->cc, c->snd_max - c->snd_una, c->st->now);
  zn__tcp_ecn_window_reduced(c);
}

/* ---- needless reductions (RFC 3522 Eifel, RFC 3708 D-SACK, RFC 4015) ---- */

/* Before a reduction for loss: the window and threshold to go back to.
 * Two ways tell that the reduction was needless (the loss was a delay: a
 * spike, reordering beyond RACK's window, lost ACKs):
 * - With timestamps (RFC 3522), the first byte unacknowledged now
 *   (undo_seq), once it goes again (zn__tcp_undo_resent: undo_tsval is
 *   that resend's TSval).  The first ACK past it echoes the TSval of the
 *   copy that reached the receiver first (RFC 7323 §4.3: the one that
 *   moved its left edge): older than undo_tsval, it was the original.
 *   Until that byte goes again the test has nothing to ask: a recovery
 *   that RACK starts for a hole higher up, while the head's own resend
 *   (from an earlier recovery) or original is still on its way, is
 *   answered by that older copy, whose TSval is older than the cut
 *   however real the new loss.  TSval ticks in ms: a resend in the same
 *   ms as the original cannot be told apart (on a path of microseconds,
 *   most fast retransmits), and is not undone this way.
 * - With SACK (RFC 3708), the bytes resent from here on: when D-SACKs
 *   have reported all of them as arriving twice, every original got
 *   through.  Any time scale; later, as the duplicates arrive. */
void zn__tcp_undo_save(struct zn_tcp_conn *c) {
  c->prior_cwnd = c->cc.cwnd;
  c->prior_ssthresh = c->cc.ssthresh;
  c->undo_seq = c->snd_una;
  c->undo_ts = c->ts_ok ? ZN__TCP_UNDO_TS_HEAD : ZN__TCP_UNDO_TS_OFF;
  c->flags &= (uint16_t)~ZN__TCPF_UNDO_DSACK;
  if (c->sack_ok) {
    c->undo_rtx = 0;
    c->undo_dsacked = 0;
    c->flags |= ZN__TCPF_UNDO_DSACK;
  }
}

void zn__tcp_undo_forget(struct zn_tcp_conn *c) {
  c->undo_ts = ZN__TCP_UNDO_TS_OFF;
  c->flags &= (uint16_t)~ZN__TCPF_UNDO_DSACK;
}

bool zn__tcp_undo_pending(const struct zn_tcp_conn *c) {
  return c->undo_ts != ZN__TCP_UNDO_TS_OFF ||
         (c->flags & ZN__TCPF_UNDO_DSACK) != 0;
}

/* A resend of [seq, seq + used) went out (used counts a FIN's sequence
 * number; data, the bytes of data): the head's first resend since the
 * reduction arms RFC 3522's test with its TSval (the RetransmitTS of
 * §3.2); RFC 3708 counts the data resent. */
void zn__tcp_undo_resent(struct zn_tcp_conn *c, uint32_t seq, uint32_t used,
                         uint32_t data) {
  if (c->undo_ts == ZN__TCP_UNDO_TS_HEAD && zn__seq_leq(seq, c->undo_seq) &&
      zn__seq_lt(c->undo_seq, seq + used)) {
    c->undo_tsval = zn__tcp_ts_now(c);
    c->undo_ts = ZN__TCP_UNDO_TS_ARMED;
  }
  if (c->flags & ZN__TCPF_UNDO_DSACK)
    c->undo_rtx += data;
}

static void exit_recovery(struct zn_tcp_conn *c);

/* Needless: recovery ends, nothing more is resent (after an RTO, the
 * rest of the flight it would have sent again), and the window is back
 * (on_undo).  What is still missing was not presumed lost by a needless
 * reduction: RACK may find it lost and start a recovery of its own
 * (recover moves to SND.UNA, as Linux goes back to its open state), or
 * it waits for the RTO. */
static void undo_reduction(struct zn_tcp_conn *c) {
  bool rto = (c->flags & ZN__TCPF_RTO_RECOVERY) != 0;
  zn__tcp_undo_forget(c);
  if (c->flags & ZN__TCPF_IN_RECOVERY)
    exit_recovery(c);
  c->recover = c->snd_una;
  c->cc.ops->on_undo(&c->cc, c->prior_cwnd, c->prior_ssthresh);
  if (rto)
    ZN_STAT_INC(c->st, tcp_undo_rto);
  else
    ZN_STAT_INC(c->st, tcp_undo_recovery);
}

/* RFC 3522: the first ACK past undo_seq decides, if undo_seq went again
 * before it came; if not, it acknowledged an earlier copy, and the test
 * is over with nothing learnt. */
static void undo_check(struct zn_tcp_conn *c, const struct zn__tcp_seg *s) {
  if (c->undo_ts == ZN__TCP_UNDO_TS_OFF || !zn__seq_gt(s->ack, c->undo_seq))
    return;
  bool armed = c->undo_ts == ZN__TCP_UNDO_TS_ARMED;
  c->undo_ts = ZN__TCP_UNDO_TS_OFF;
  if (!armed) {
    ZN_STAT_INC(c->st, tcp_undo_ts_unasked);
    return;
  }
  if ((s->opts.present & ZN_TCP_OPTF_TS) &&
      zn__seq_lt(s->opts.tsecr, c->undo_tsval))
    undo_reduction(c);
}

/* RFC 3708: a D-SACK of [l, r), at or above undo_seq, counts against the
 * bytes resent since the reduction; once it has them all, it was
 * needless.  (Bounded by what was resent: a D-SACK of a duplicate the
 * network made, not we, cannot make up for a real loss.) */
static void undo_dsack(struct zn_tcp_conn *c, uint32_t l, uint32_t r) {
  if (!(c->flags & ZN__TCPF_UNDO_DSACK) || zn__seq_lt(l, c->undo_seq) ||
      !zn__seq_lt(l, r) || r - l > c->undo_rtx - c->undo_dsacked)
    return;
  c->undo_dsacked += r - l;
  if (c->undo_dsacked == c->undo_rtx) {
    ZN_STAT_INC(c->st, tcp_undo_dsack);
    undo_reduction(c);
  }
}

void zn__tcp_enter_recovery(struct zn_tcp_conn *c) {
  zn__tcp_undo_save(c);
  cut_for_loss(c);
  /* RFC 6937 §3, "on entering recovery". */
  c->prr_delivered = 0;
  c->prr_out = 0;
  c->recover_fs = c->snd_max - c->snd_una;
  c->recover = c->snd_max;
  c->flags |= ZN__TCPF_IN_RECOVERY;
  c->flags &= (uint16_t)~ZN__TCPF_RTO_RECOVERY;
  /* RFC 6675's HighRxt starts again at SND.UNA, but its NextSeg resends
   * only what IsLost finds lost.  The walk of output_recovery resends
   * every hole below the highest SACK: begun again at SND.UNA, it would
   * resend the holes an earlier recovery resent, in flight, the one it
   * ended a moment ago or undid.  Whether those resends were lost is
   * RACK's to say, as for any resend.  (Kept within [SND.UNA, SND.MAX],
   * as sack_advance keeps it.) */
  if (zn__seq_lt(c->rtx_next, c->snd_una) ||
      zn__seq_gt(c->rtx_next, c->snd_max))
    c->rtx_next = c->snd_una;
  c->fast_retransmits++;
  ZN_STAT_INC(c->st, tcp_fast_rtx);
  if (!c->sack_ok) {
    /* NewReno (RFC 6582 §3.2 step 2): resend the first segment; inflate
     * by the three segments that left the network (a model-based
     * controller sets its own window).  That one is taken as lost
     * (without SACK, RACK marks none). */
    if (!c->cc.ops->model_based)
      c->cc.cwnd = c->cc.ssthresh + 3u * c->mss;
    zn__tcp_rate_on_lost(c, zn__tcp_seg_size(c), NULL);
  }
}

static void exit_recovery(struct zn_tcp_conn *c) {
  c->flags &= (uint16_t)~(ZN__TCPF_IN_RECOVERY | ZN__TCPF_RTO_RECOVERY);
  zn__tcp_rack_recovery_end(c);
  c->cc.ops->on_recovery_end(&c->cc, c->snd_max - c->snd_una, c->st->now);
  c->dupacks = 0;
  c->snd_nxt = c->snd_max;
}

/* Process an acceptable ACK (snd_una <= ack <= snd_max). */

/* §3.10.7.4 fifth check: "If SND.UNA =< SEG.ACK =< SND.NXT, the send
 * window should be updated.  If (SND.WL1 < SEG.SEQ or (SND.WL1 = SEG.SEQ
 * and SND.WL2 =< SEG.ACK))": only from a newer segment.  Returns true if
 * the window changed. */
static bool update_send_window(struct zn_tcp_conn *c,
                               const struct zn__tcp_seg *s) {
  uint32_t wnd = s->wnd << c->snd_wscale;
  if (!(zn__seq_lt(c->snd_wl1, s->seq) ||
        (c->snd_wl1 == s->seq && zn__seq_leq(c->snd_wl2, s->ack))))
    return false;
  bool changed = c->snd_wnd != wnd;
  c->snd_wnd = wnd;
  c->snd_wl1 = s->seq;
  c->snd_wl2 = s->ack;
  if (wnd > c->max_snd_wnd)
    c->max_snd_wnd = wnd;
  if (wnd > 0 && c->rtx_mode == ZN__TCP_RTX_PERSIST) {
    c->persist_backoff = 0;
    c->rtx_count = 0; /* the probes' backoff is no data RTO's (Linux
                         tcp_ack_probe clears icsk_backoff too) */
    zn__tcp_rtx_stop(c); /* the window is open: no more probes */
  }
  return changed;
}

/* RFC 2883 §4: is the segment's first SACK block a D-SACK, reporting
 * data that arrived twice?  It is if it lies below the cumulative ACK,
 * or inside the second block. */
static bool dsack_first(const struct zn__tcp_seg *s) {
  const struct zn_tcp_seg_opts *o = &s->opts;
  if (o->nsack == 0 || !zn__seq_lt(o->sack[0].left, o->sack[0].right))
    return false;
  if (zn__seq_leq(o->sack[0].right, s->ack))
    return true;
  return o->nsack > 1 && zn__seq_geq(o->sack[0].left, o->sack[1].left) &&
         zn__seq_leq(o->sack[0].right, o->sack[1].right);
}

/* RFC 6675 §5: merge the segment's SACK blocks into the scoreboard (a
 * D-SACK is counted, and tells nothing of what is missing; *dsack is set
 * for it).  Returns true if they cover bytes not SACKed before. */
static bool update_scoreboard(struct zn_tcp_conn *c,
                              const struct zn__tcp_seg *s, bool *dsack) {
  bool new_sack = false;
  *dsack = false;
  if (!c->sack_ok || !(s->opts.present & ZN_TCP_OPTF_SACK))
    return false;
  uint8_t i = 0;
  if (dsack_first(s)) {
    ZN_STAT_INC(c->st, tcp_dsack_rx);
    *dsack = true;
    i = 1;
    undo_dsack(c, s->opts.sack[0].left, s->opts.sack[0].right);
  }
  for (; i < s->opts.nsack; i++)
    new_sack |= sack_add(c, s->opts.sack[i].left, s->opts.sack[i].right);
  return new_sack;
}

/* How long ago (ms) the transmission the segment's TSecr echoes left
 * (RFC 7323), UINT32_MAX without an echo of ours. */
static uint32_t echo_age_ms(const struct zn_tcp_conn *c,
                            const struct zn__tcp_seg *s) {
  if (!c->ts_ok || !(s->opts.present & ZN_TCP_OPTF_TS))
    return UINT32_MAX;
  uint32_t age = zn__tcp_ts_now(c) - s->opts.tsecr;
  return (int32_t)age < 0 ? UINT32_MAX : age;
}

/* RFC 7323 §4 (RTTM): the echo of an ACK that moves the left edge is
 * the TSval of the segment that moved it at the receiver: after a
 * retransmission, the resend's own (§4.2), so its RTT is one Karn's rule
 * (which the timed segment follows) cannot give.  In the timestamp
 * clock's milliseconds; under one counts as one.  Taken only after a
 * retransmission (a backed-off RTO needs a new measurement to collapse,
 * RFC 6298 §5): the timed segment measures in microseconds otherwise. */
static bool ts_rtt_sample(struct zn_tcp_conn *c, const struct zn__tcp_seg *s) {
  uint32_t ms = echo_age_ms(c, s);
  if (ms == UINT32_MAX || ms > c->st->cfg.tcp_rto_max_ms)
    return false; /* not an echo of ours (or older than any RTO) */
  zn__tcp_rtt_sample(c, (ms ? ms : 1u) * 1000u);
  ZN_STAT_INC(c->st, tcp_rtt_ts);
  return true;
}

/* RFC 6298 §3 (Karn): an RTT sample only from a segment sent once (or a
 * timestamp echo, above); with none, a backed-off RTO stays (§5: only a
 * new measurement "collapses" it), and after a retransmitted SYN the
 * data starts at 3 s (§5.7). */
static void ack_sample_rtt(struct zn_tcp_conn *c, const struct zn__tcp_seg *s,
                           bool syn_acked) {
  bool sampled = false;
  if ((c->flags & ZN__TCPF_TIMING) && zn__seq_gt(s->ack, c->rtt_seq)) {
    c->flags &= (uint16_t)~ZN__TCPF_TIMING;
    zn__tcp_rtt_sample(c, (uint32_t)((c->st->now - c->rtt_start) / 1000u));
    sampled = true;
  }
  if (!c->rtx_count || sampled || (!syn_acked && ts_rtt_sample(c, s)))
    return;
  if (syn_acked) {
    if (c->srtt_us == 0 && c->rto_ms < 3000)
      c->rto_ms = 3000;
  } else {
    uint64_t r = (uint64_t)c->rto_ms << (c->rtx_count < 16 ? c->rtx_count
                                                           : 16);
    c->rto_ms = (uint32_t)(r < c->st->cfg.tcp_rto_max_ms
                               ? r
                               : c->st->cfg.tcp_rto_max_ms);
  }
}

/* RFC 8985 §7.4.2: the loss probe's resent data is acknowledged with no
 * recovery.  With a D-SACK of what it resent, the original had arrived
 * too (the probe answered a delayed or lost ACK, not a lost segment):
 * nothing to answer.  Otherwise it repaired a loss, and the window
 * answers as for one (as Linux does). */
static void ack_probe_repair(struct zn_tcp_conn *c,
                             const struct zn__tcp_seg *s, bool dsack) {
  if (!(c->flags & ZN__TCPF_TLP_RTX) || !zn__seq_geq(s->ack, c->tlp_high))
    return;
  c->flags &= (uint16_t)~ZN__TCPF_TLP_RTX;
  if (dsack && zn__seq_leq(s->opts.sack[0].right, c->tlp_high)) {
    ZN_STAT_INC(c->st, tcp_probe_needless);
    return;
  }
  if (!(c->flags & ZN__TCPF_IN_RECOVERY)) {
    zn__tcp_undo_forget(c);
    cut_for_loss(c);
  }
}

/* New data acknowledged during loss recovery (RFC 6582 §3.2, RFC 6675
 * §5, RFC 5681 §3.1 after an RTO). */
static void ack_in_recovery(struct zn_tcp_conn *c, uint32_t ack,
                            uint32_t data) {
  if (zn__seq_geq(ack, c->recover)) {
    exit_recovery(c);
  } else if (!c->sack_ok && !(c->flags & ZN__TCPF_RTO_RECOVERY)) {
    /* NewReno partial ACK (RFC 6582 §3.2 step 5): resend the next
     * hole, deflate by what was acked, add back one segment. */
    if (!c->cc.ops->model_based)
      c->cc.cwnd = (c->cc.cwnd > data ? c->cc.cwnd - data : c->mss) + c->mss;
    c->rtx_next = c->snd_una;
    zn__tcp_retransmit_first(c);
  } else if (c->flags & ZN__TCPF_RTO_RECOVERY) {
    /* After an RTO the window starts again from one segment in slow
     * start (RFC 5681 §3.1): every ACK of new data opens it, while
     * output retransmits what the RTO presumed lost. */
    c->cc.ops->on_ack(&c->cc, data, c->st->now, c->srtt_us);
  } else if (c->sack_ok && zn__seq_leq(c->rtx_next, c->snd_una) &&
             zn__seq_lt(c->snd_una, c->high_sacked)) {
    /* RFC 6675 NextSeg rule 3: a hole not resent yet, below the highest
     * SACK ((1.b): above it, SND.UNA may only be in flight). */
    zn__tcp_retransmit_first(c);
  }
}

/* New data acknowledged outside recovery: open the window (RFC 5681
 * §3.1).  echo: the ACK carries an ECN echo, which must not open it (RFC 3168
 * §6.1.2: "The sender SHOULD NOT increase the congestion window in
 * response to the receipt of an ECN-Echo ACK packet"). */
static void ack_open_window(struct zn_tcp_conn *c, uint32_t data, bool echo) {
  c->dupacks = 0;
  /* The window grows only while it is what limits the sender (RFC
   * 7661's point; Linux's rule for slow start): up to twice the
   * flight this ACK covers.  A sender held back by the peer's window
   * or by the application no longer inflates cwnd without bound. */
  uint32_t flight = c->snd_max - c->snd_una + data;
  if (echo) {
    /* cut by zn__tcp_ecn_cut after this, never opened */
  } else if (c->cc.cwnd < 2u * (uint64_t)flight)
    c->cc.ops->on_ack(&c->cc, data, c->st->now, c->srtt_us);
  else
    ZN_STAT_INC(c->st, tcp_cwnd_unused);
  /* (With SACK, whether what is still missing is lost is RACK's to say,
   * after this: zn__tcp_rack_recover.) */
}

/* §3.10.7.4 fifth check: "If SND.UNA < SEG.ACK =< SND.NXT, then set
 * SND.UNA <- SEG.ACK.  Any segments on the retransmission queue that are
 * thereby entirely acknowledged are removed." */
static void ack_new_data(struct zn_tcp_conn *c, const struct zn__tcp_seg *s,
                         bool echo, bool dsack) {
  uint32_t ack = s->ack;
  uint32_t data = ack - c->snd_una;
  bool syn_acked = false;
  /* The acceptance test let through only an ACK of something sent. */
  ZN_ASSERT(zn__seq_gt(ack, c->snd_una) && zn__seq_leq(ack, c->snd_max));
  if (c->flags & ZN__TCPF_SYN_UNACKED) {
    c->flags &= (uint16_t)~ZN__TCPF_SYN_UNACKED;
    data--;
    syn_acked = true;
  }
  ack_sample_rtt(c, s, syn_acked);
  c->rtx_count = 0;
  c->persist_backoff = 0;
  c->flags &= (uint16_t)~ZN__TCPF_PROBE_SENT;
  ack_probe_repair(c, s, dsack);
  c->snd_una = ack;
  /* (Each only when it has something to end: a black-hole probe out, a
   * window cut by ECN.) */
  if (c->bh_probe_len)
    zn__tcp_blackhole_acked(c, ack);
  if (c->ecn & ZN__TCPE_CUT)
    zn__tcp_ecn_acked(c);
  zn__af_confirm_reachable(c->st, &c->raddr); /* RFC 4861 §7.3.1 */
  if (zn__seq_lt(c->snd_nxt, ack))
    c->snd_nxt = ack;
  c->bytes_acked += data;
  /* (Nothing queued, nothing to drop: the ACK of a SYN or a FIN alone.
   * Whatever else changed in c's charges is synced at the end of the
   * segment, zn__tcp_deliver, as for a duplicate ACK.) */
  if (c->snd_queued)
    zn__tcp_sndq_ack(c, data);
  ZN_ASSERT(zn__tcp_send_space_ok(c));
  sack_advance(c);
  sack_check_reneged(c);
  undo_check(c, s);
  if (c->flags & ZN__TCPF_IN_RECOVERY)
    ack_in_recovery(c, ack, data);
  else
    ack_open_window(c, data, echo);
  /* §3.10.7.4: restart the timer on new data acked, stop it if all is. */
  if (c->snd_una == c->snd_max)
    zn__tcp_rtx_stop(c);
  else
    zn__tcp_arm_rtx(c);
  /* zn__tcp_deliver calls on_writable if a write fell short. */
}

/* §3.10.7.4 fifth check: "If the ACK is a duplicate (SEG.ACK =< SND.UNA),
 * it can be ignored" by the state, but not by congestion control: RFC
 * 5681 §2's duplicate (no data, no window change), or, with SACK, any ACK
 * whose blocks SACK bytes not SACKed before (RFC 6675 §2): a receiver's
 * window can move while it reports the same hole, and each such ACK
 * still says one more segment left the network.  An ACK that only
 * reports a duplicate (a D-SACK, RFC 2883) says that data arrived twice,
 * not that any is missing: it is no duplicate ACK. */
static void ack_duplicate(struct zn_tcp_conn *c, const struct zn__tcp_seg *s,
                          bool window_changed, bool new_sack, bool dsack) {
  bool dup = c->snd_max != c->snd_una &&
             ((s->len == 0 && !(s->flags & (ZN_TCP_SYN | ZN_TCP_FIN)) &&
               !window_changed && !dsack) ||
              new_sack);
  if (!dup)
    return;
  c->dupacks++;
  if (c->flags & ZN__TCPF_IN_RECOVERY) {
    if (!c->sack_ok && !(c->flags & ZN__TCPF_RTO_RECOVERY) &&
        !c->cc.ops->model_based)
      c->cc.cwnd += c->mss; /* RFC 6582 §3.2 step 4: inflate */
    return;
  }
  /* Enter recovery at 3 dupacks (RFC 5681 §3.2) when they carry no SACK
   * information (RFC 8985 §3: DupThresh is the fallback; with SACK,
   * RACK decides, zn__tcp_rack_recover), but not again for data sent
   * before the last recovery (RFC 6582 §3.2 step 1). */
  bool lost = c->dupacks >= 3 && (!c->sack_ok || c->nsacked == 0);
  if (lost && zn__seq_geq(c->snd_una, c->recover)) {
    zn__tcp_enter_recovery(c);
    zn__tcp_retransmit_first(c); /* RFC 6675 §5 (C), RFC 6582 step 2 */
  }
}

/* RFC 8985 §6.2 step 5 and what follows it: RACK marks what is lost by
 * now; a first loss outside recovery starts it (RFC 6675 §5 (C)'s
 * retransmission of the first hole with it), but not again for data sent
 * before the last recovery began (RFC 6582 §3.2 step 1).  In recovery,
 * output resends what is marked (tcp_out.c output_recovery). */
void zn__tcp_rack_recover(struct zn_tcp_conn *c) {
  /* (Nothing outstanding, nothing to find lost: most ACKs of a connection
   * that is not sending, and the one that acknowledges all it sent.) */
  if (c->nxmap == 0)
    return;
  bool marked = zn__tcp_rack_mark_lost(c);
  if ((c->flags & ZN__TCPF_IN_RECOVERY) || zn__seq_lt(c->snd_una, c->recover))
    return;
  /* Marked now, or marked while the recovery this ACK ended (or undid)
   * ran and not resent by it (the window or pacing held it): outside
   * recovery nothing resends what is marked, and it would wait for the
   * RTO. */
  uint32_t seq, len;
  if (!marked && !zn__tcp_rack_next_lost(c, &seq, &len))
    return;
  zn__tcp_enter_recovery(c);
  if (zn__tcp_rack_next_lost(c, &seq, &len) && seq == c->snd_una)
    zn__tcp_retransmit_first(c);
}

/* RFC 6937 §3, "on every ACK during recovery": the sending rate of SACK
 * recovery follows what the ACKs say was delivered, scaled by
 * ssthresh/RecoverFS while the pipe is above ssthresh (proportional rate
 * reduction), else growing back toward ssthresh no faster than slow
 * start (the slow start reduction bound, PRR-SSRB).  cwnd becomes pipe
 * plus what may be sent now.  Without SACK, NewReno's own inflation
 * (RFC 6582) stays; after an RTO, slow start (RFC 5681 §3.1). */
static void prr_on_ack(struct zn_tcp_conn *c, uint32_t delivered) {
  c->prr_delivered += delivered;
  uint32_t pipe = zn__tcp_pipe(c);
  uint32_t ssthresh = c->cc.ssthresh;
  uint64_t sndcnt;
  if (pipe > ssthresh) {
    uint64_t fs = c->recover_fs ? c->recover_fs : 1u;
    uint64_t due = ((uint64_t)c->prr_delivered * ssthresh + fs - 1u) / fs;
    sndcnt = due > c->prr_out ? due - c->prr_out : 0;
  } else {
    uint32_t owed =
        c->prr_delivered > c->prr_out ? c->prr_delivered - c->prr_out : 0;
    uint64_t limit = (uint64_t)(owed > delivered ? owed : delivered) + c->mss;
    sndcnt = ssthresh - pipe;
    if (sndcnt > limit)
      sndcnt = limit;
  }
  uint64_t cwnd = (uint64_t)pipe + sndcnt;
  c->cc.cwnd = cwnd < c->mss ? c->mss
               : cwnd > UINT32_MAX ? UINT32_MAX
                                   : (uint32_t)cwnd;
}

void zn__tcp_process_ack(struct zn_tcp_conn *c, const struct zn__tcp_seg *s) {
  c->probes_out = 0; /* any ACK answers the window probes */
  uint32_t una = c->snd_una, sacked = c->sacked_bytes;
  uint32_t flight = c->snd_max - una;
  /* RFC 3168 §6.1.2 (only an ACK with ECE can carry an echo) */
  bool echo = (s->flags & ZN_TCP_ECE) && zn__tcp_ecn_echo(c, s);
  bool window_changed = update_send_window(c, s);
  bool dsack;
  bool new_sack = update_scoreboard(c, s, &dsack);
  uint32_t lost_before = c->rate.lost;
  uint32_t syn = (c->flags & ZN__TCPF_SYN_UNACKED) ? 1u : 0u;
  if (zn__seq_gt(s->ack, c->snd_una))
    ack_new_data(c, s, echo, dsack);
  else
    ack_duplicate(c, s, window_changed, new_sack, dsack);
  struct zn__tcp_rs rs;
  rs.has_data = false;
  rs.echo_age_ms = echo_age_ms(c, s);
  zn__tcp_rack_acked(c, una, dsack, &rs);
  if (c->nxmap) /* (see zn__tcp_rack_recover) */
    zn__tcp_rack_recover(c);
  /* DeliveredData (RFC 6937 §3): what SND.UNA passed plus the change in
   * SACKed bytes (those it passed leave the scoreboard); not the SYN. */
  syn &= (c->flags & ZN__TCPF_SYN_UNACKED) ? 0u : 1u;
  int64_t d = (int64_t)(c->snd_una - una) + (int64_t)c->sacked_bytes -
              (int64_t)sacked - syn;
  uint32_t delivered = d > 0 ? (uint32_t)d : 0;
  zn__tcp_rate_sample(c, &rs, delivered, lost_before);
  if (c->cc.ops->model_based) {
    zn__tcp_rate_cc_sample(c, &rs, echo);
  } else if ((c->flags & (ZN__TCPF_IN_RECOVERY | ZN__TCPF_RTO_RECOVERY)) ==
                 ZN__TCPF_IN_RECOVERY &&
             c->sack_ok && delivered) {
    prr_on_ack(c, delivered);
  }
  if (echo)
    zn__tcp_ecn_cut(c, flight);
  zn__tcp_flight_settled(c);
}
