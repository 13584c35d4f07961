/*
 * SEGMENT ARRIVES in a synchronized state (RFC 9293 §3.10.7.4), one
 * function per check of the RFC, in its order:
 *
 *   first_check_sequence   "first, check sequence number" (with PAWS,
 *                          RFC 7323 §5.3, and TIME_WAIT reuse, RFC 6191)
 *   second_check_rst       "second, check the RST bit" (RFC 5961 §3.2)
 *   (third, security)      not done: see docs/tcp-spec-index.md
 *   fourth_check_syn       "fourth, check the SYN bit" (RFC 5961 §4)
 *   fifth_check_ack        "fifth, check the ACK field" (the ACK's effects
 *                          are zn__tcp_process_ack, tcp_ack.c)
 *   (sixth, URG)           not done: urgent data is ordinary data
 *   seventh_check_text     "seventh, process the segment text"
 *   eighth_check_fin       "eighth, check the FIN bit" (fin_arrives)
 *
 * Each check that changes state hands the chart (tcp_fsm.rl) one event;
 * the bookkeeping around the events (windows, reassembly, delayed ACKs)
 * happens here.
 */
#include <string.h>

#include "core/stack_int.h"
#include "tcp/tcp_int.h"

/* PAWS: TS.Recent older than 24 days is not used (RFC 7323 §5.5). */
#define PAWS_IDLE_NS (24ull * 86400 * ZN_SEC(1))

/* ---- the segment against the window ---- */

/* §3.10.7.4 first check: is the segment acceptable in RCV.WND wnd? */
static bool acceptable(const struct zn_tcp_conn *c, uint32_t seq,
                       uint32_t seglen, uint32_t wnd) {
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

/* RFC 2883 §4: data that arrives again (all of a segment, or its front)
 * is reported by the first SACK block of the ACK that answers it, a
 * D-SACK, at once, so that the sender can tell a needless retransmission
 * (or the network's duplicate) from a loss.  [left, right) is the
 * repeated data; the latest duplicate is the one reported. */
static void dsack_note(struct zn_tcp_conn *c, uint32_t left, uint32_t right) {
  if (!c->sack_ok || !c->st->cfg.tcp_dsack || !zn__seq_lt(left, right))
    return;
  c->dsack_left = left;
  c->dsack_right = right;
  c->flags |= ZN__TCPF_DSACK;
  zn__tcp_schedule_ack(c, true);
}

/* Trim the segment to the window wnd: bytes before rcv_nxt and beyond the
 * right edge go (a FIN beyond it goes too). */
static void trim_to_window(struct zn_tcp_conn *c, struct zn__tcp_seg *s,
                           uint32_t wnd) {
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
    dsack_note(c, s->seq, s->seq + d);
    zn_buf_pull(s->b, d);
    s->seq += d;
    s->len -= d;
  }
  uint32_t right = c->rcv_nxt + wnd;
  if (zn__seq_gt(s->seq + s->len, right)) {
    uint32_t keep = zn__seq_gt(right, s->seq) ? right - s->seq : 0;
    zn_buf_trim(s->b, keep);
    s->len = keep;
    s->flags &= (uint8_t)~ZN_TCP_FIN;
  }
}

/* ---- seventh check: segment text ---- */

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
 * buffers (tcp_mem.c)?  In-order data that folds into the last buffer costs
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

/* Data for a receive queue the stack-wide bound refused: not kept, FIN
 * included (it follows the data): the peer resends.  In-order data dropped
 * for the bound also takes the window back (shrinks it to nothing, which
 * RFC 9293 §3.8.6.2.2 discourages and senders must survive): the peer
 * then waits in persist for the update tcp_mem.c sends once there is room,
 * rather than time out again and again into a minute of RTO backoff. */
static void text_refused_for_memory(struct zn_tcp_conn *c,
                                    const struct zn__tcp_seg *s,
                                    struct zn_buf *b) {
  if (s->seq == c->rcv_nxt && zn__seq_gt(c->rcv_adv, c->rcv_nxt)) {
    c->rcv_adv = c->rcv_nxt;
    zn__tcp_mem_sync(c);
    ZN_STAT_INC(c->st, tcp_wnd_shrunk);
  }
  zn_buf_free(b);
  zn__tcp_schedule_ack(c, true);
}

/* The size of a full segment from the peer (RFC 5681 §4.2), given one of
 * len bytes.  At first our MSS; then the largest the peer has sent (up to
 * it); and lower when two segments in a row, neither the end of a write,
 * come at one smaller size of at least 524 bytes: the peer's MSS came
 * down (a PMTU black hole, a smaller path MTU).  Linux's
 * tcp_measure_rcv_mss does the same.  Held to our MSS instead, a sender
 * below it drew only delayed ACKs, and one in recovery with a small
 * window stalled until its loss probe. */
static uint32_t rcv_mss_measure(struct zn_tcp_conn *c,
                                const struct zn__tcp_seg *s) {
  uint32_t mss = c->rcv_mss ? c->rcv_mss : c->mss;
  uint32_t len = s->len;
  if (len + 12u >= mss) {
    mss = len < c->mss ? len + 12u : c->mss;
    if (mss > c->rcv_mss)
      c->rcv_mss = (uint16_t)mss;
  } else if (len >= 524u && len == c->rcv_last_len &&
             !(s->flags & (ZN_TCP_PSH | ZN_TCP_FIN))) {
    mss = len + 12u;
    c->rcv_mss = (uint16_t)mss;
  }
  c->rcv_last_len = (uint16_t)(len < UINT16_MAX ? len : UINT16_MAX);
  return mss;
}

/* RFC 5681 §4.2 (RFC 1122 §4.2.3.2): every second full segment is ACKed
 * at once; out-of-order data filling a hole is ACKed at once.  So are the
 * segments that follow a loss (quickacks, as Linux's quick-ACK mode): the
 * sender is recovering with a small window, and an ACK held back, or lost
 * with one ACK for two segments, stalls it until a probe or the RTO. */
static void ack_in_order_text(struct zn_tcp_conn *c,
                              const struct zn__tcp_seg *s, bool filled_hole,
                              bool fin_due) {
  uint32_t mss = rcv_mss_measure(c, s);
  if (s->len + 12u >= mss) { /* full-sized, allowing for options */
    /* A frame the netif coalesced (receive offload) counts as the
     * segments it was sent as. */
    uint32_t n = s->len / (mss > 12u ? mss - 12u : 1u);
    c->segs_unacked = (uint8_t)(c->segs_unacked + (n > 2u ? 2u : n ? n : 1u));
  }
  bool quick = s->len && c->quickacks;
  if (quick)
    c->quickacks--;
  zn__tcp_schedule_ack(c, filled_hole || c->segs_unacked >= 2 || fin_due ||
                              quick);
}

/* Text at RCV.NXT: "transfer the segment text to user RECEIVE buffers",
 * then whatever the out-of-order queue holds that now follows it (RFC
 * 9293 §3.10.7.4).  Returns true if the peer's FIN became due. */
static bool text_in_order(struct zn_tcp_conn *c, const struct zn__tcp_seg *s,
                          struct zn_buf *b, bool fin) {
  if (s->len) {
    queue_in_order(c, b);
    zn__tcp_notify_readable(c);
  } else {
    zn_buf_free(b);
  }
  bool fin_due = fin;
  bool had_ooo = c->ooo.nbufs || c->ooo.have_fin;
  if (had_ooo && deliver_held(c))
    fin_due = true;
  ack_in_order_text(c, s, had_ooo, fin_due);
  return fin_due;
}

static struct zn_buf *ooo_alloc(void *st, size_t len) {
  return zn__buf_alloc(st, len);
}

/* Text beyond RCV.NXT: hold it (all of it: tcp_ooo's insert policy),
 * within its memory bound, and ACK at once so the sender sees a duplicate
 * ACK (with SACK blocks). */
static void text_out_of_order(struct zn_tcp_conn *c,
                              const struct zn__tcp_seg *s, struct zn_buf *b,
                              bool fin) {
  /* trim_to_window cut what lay below RCV.NXT; what starts there is in
   * order: what comes here is beyond it. */
  ZN_ASSERT(zn__seq_gt(s->seq, c->rcv_nxt));
  unsigned res = zn__tcp_ooo_insert_whole(&c->ooo, b, s->seq, fin,
                                          c->rcv_nxt, zn__tcp_ooo_mem_max(c),
                                          ooo_alloc, c->st);
  if (res & ZN__OOO_OVER_MEM)
    ZN_STAT_INC(c->st, tcp_drop_rcv_mem);
  if (res & ZN__OOO_HELD) {
    ZN_STAT_INC(c->st, tcp_ooo_queued);
  } else {
    ZN_STAT_INC(c->st, tcp_ooo_dup);
    if (!(res & ZN__OOO_OVER_MEM))
      dsack_note(c, s->seq, s->seq + s->len); /* all held already */
  }
  c->quickacks = c->st->cfg.tcp_quickacks;
  zn__tcp_schedule_ack(c, true);
}

/* §3.10.7.4 seventh check, "process the segment text" (ESTABLISHED,
 * FIN_WAIT_1, FIN_WAIT_2; elsewhere, and after the peer's FIN, the text
 * is ignored).  Consumes s->b.  Returns true if the peer's FIN became due
 * (RCV.NXT reached it). */
static bool seventh_check_text(struct zn_tcp_conn *c, struct zn__tcp_seg *s) {
  struct zn_buf *b = s->b;
  bool fin = (s->flags & ZN_TCP_FIN) != 0;
  s->b = NULL;
  if (!takes_data(c) || (c->flags & ZN__TCPF_FIN_RCVD) ||
      (s->len == 0 && !fin)) {
    zn_buf_free(b);
    return false;
  }
  if (s->len && (c->life & ZN__TCPL_USER_CLOSED)) {
    /* New data for an application that has closed: nobody will read it,
     * so reset rather than let it fill the window (as Linux does; RFC
     * 2525 §2.17). */
    zn_buf_free(b);
    zn__tcp_fsm(c, ZN__EV_U_ABORT, NULL);
    return false;
  }
  if (s->len && !mem_admit(c, s->seq == c->rcv_nxt, s->len)) {
    text_refused_for_memory(c, s, b);
    return false;
  }
  if (s->seq == c->rcv_nxt)
    return text_in_order(c, s, b, fin);
  text_out_of_order(c, s, b, fin);
  return false;
}

/* ---- eighth check: FIN ---- */

/* §3.10.7.4 eighth check, a FIN reached in sequence: "signal the user
 * 'connection closing' and return any pending RECEIVEs ..., advance
 * RCV.NXT over the FIN".  The chart sends the ACK and changes state. */
static void fin_arrives(struct zn_tcp_conn *c, struct zn__tcp_seg *s) {
  c->rcv_nxt++;
  c->flags |= ZN__TCPF_FIN_RCVD;
  zn__tcp_notify_readable(c);
  zn__tcp_fsm(c, ZN__EV_S_FIN, s);
}

/* §3.10.7.4 eighth check: the FIN that became due arrives; a FIN already
 * received (again) is acknowledged again by the chart (S_FIN: TIME_WAIT
 * restarts its 2 MSL). */
static void eighth_check_fin(struct zn_tcp_conn *c, struct zn__tcp_seg *s,
                             bool fin_due, bool fin_again) {
  if (fin_due)
    fin_arrives(c, s);
  else if (fin_again ||
           ((s->flags & ZN_TCP_FIN) && (c->flags & ZN__TCPF_FIN_RCVD)))
    zn__tcp_fsm(c, ZN__EV_S_FIN, s); /* a retransmitted FIN */
}

/* §3.10.7.3 SYN_SENT, a SYN-ACK that established the connection and
 * carries text or a FIN: "continue processing at the sixth step below
 * where the URG bit is checked". */
void zn__tcp_synack_text(struct zn_tcp_conn *c, struct zn__tcp_seg *s) {
  s->seq++;
  s->flags &= (uint8_t)~ZN_TCP_SYN;
  trim_to_window(c, s, zn__tcp_rcv_wnd(c));
  if (seventh_check_text(c, s))
    fin_arrives(c, s);
}

/* ---- first check: sequence number ---- */

/* RFC 6191: a new SYN for a connection in TIME_WAIT whose timestamp (or
 * else sequence number) is beyond the old incarnation's may reopen it,
 * if a listener is there to take it (Linux answers the TIME_WAIT ACK
 * otherwise, and so do we, through the checks).  Returns true if it did. */
static bool timewait_reopen(struct zn_tcp_conn *c, struct zn__tcp_seg *s) {
  if (c->state != ZN_TCP_TIME_WAIT ||
      (s->flags & (ZN_TCP_SYN | ZN_TCP_ACK | ZN_TCP_RST | ZN_TCP_FIN)) !=
          ZN_TCP_SYN)
    return false;
  bool newer = c->ts_ok && (s->opts.present & ZN_TCP_OPTF_TS)
                   ? zn__seq_gt(s->opts.tsval, c->ts_recent)
                   : zn__seq_gt(s->seq, c->rcv_nxt);
  if (!newer || !zn__tcp_lookup_listener(c->st, s->dst, s->dport))
    return false;
  zn__tcp_fsm(c, ZN__EV_S_SYN_REOPEN, s);
  return true;
}

/* RFC 7323 §5.3 R1 (PAWS), before the sequence test: a timestamp older
 * than TS.Recent, unless TS.Recent is 24 days old, makes the segment
 * unacceptable. */
static bool paws_rejects(const struct zn_tcp_conn *c,
                         const struct zn__tcp_seg *s) {
  /* (The timestamp's test first: it clears nearly every segment.) */
  return c->ts_ok && (s->opts.present & ZN_TCP_OPTF_TS) &&
         zn__seq_lt(s->opts.tsval, c->ts_recent) &&
         !(s->flags & ZN_TCP_RST) && c->ts_recent_stamp &&
         c->st->now - c->ts_recent_stamp < PAWS_IDLE_NS;
}

/* §3.10.7.4 first check, "If the RCV.WND is zero, no segments will be
 * acceptable, but special allowance should be made to accept valid ACKs,
 * URGs, and RSTs": a segment at RCV.NXT goes on with its text and FIN
 * cut off.  Text or a FIN on it is a window probe to answer with an ACK
 * saying the window (§3.8.6.1, RFC 1122 §4.2.2.17), or the sender never
 * learns it opened.  Returns true if the segment was such. */
static bool zero_window_allowance(struct zn_tcp_conn *c,
                                  struct zn__tcp_seg *s, uint32_t wnd) {
  if (wnd != 0 || s->seq != c->rcv_nxt)
    return false;
  if (s->len || (s->flags & ZN_TCP_FIN))
    zn__tcp_schedule_ack(c, true);
  zn_buf_trim(s->b, 0);
  s->len = 0;
  s->flags &= (uint8_t)~ZN_TCP_FIN;
  return true;
}

/* A bare ACK (no text, no SYN, FIN or RST) at the window's right edge,
 * RCV.NXT+RCV.WND, is taken (a departure: the RFC's test is "<"; Linux's
 * tcp_sequence and BSD's trim take it).  A peer that filled our window
 * numbers its bare ACKs there, at its SND.MAX; refused, and answered by
 * our own ACK, which the peer refuses in turn when we filled its window
 * too, the two would trade ACKs for ever while neither learned what the
 * other received (the loss sweeps found it: both windows full, a hole in
 * each).  A RST there is still outside (RFC 5961 §3.2). */
static bool bare_ack_at_edge(const struct zn_tcp_conn *c,
                             const struct zn__tcp_seg *s, uint32_t wnd) {
  return s->len == 0 &&
         !(s->flags & (ZN_TCP_SYN | ZN_TCP_FIN | ZN_TCP_RST)) &&
         s->seq == c->rcv_nxt + wnd;
}

/* The peer's FIN again (our ACK of it was lost) is old by the sequence
 * test, yet it is the eighth check's "retransmission of the remote FIN"
 * (RFC 9293 §3.10.7.4), answered by S_FIN at the end so that TIME_WAIT
 * also restarts its 2 MSL (Linux tcp_timewait_state_process).  Its ACK
 * field is news all the same: trimmed of the old FIN and data (the
 * "idealized segment" of §3.10.7.4), it begins at RCV.NXT and goes
 * through the checks below, so an ACK of our FIN riding on it moves
 * CLOSING to TIME_WAIT and LAST_ACK to CLOSED (BSD trims and processes
 * it so; Linux tcp_sequence() accepts a segment that ends at RCV.NXT).
 * Returns true if the segment was such. */
static bool fin_retransmitted(struct zn_tcp_conn *c, struct zn__tcp_seg *s) {
  if (!(s->flags & ZN_TCP_FIN) || (s->flags & (ZN_TCP_SYN | ZN_TCP_RST)) ||
      !(c->flags & ZN__TCPF_FIN_RCVD) || s->seq + s->len + 1u != c->rcv_nxt)
    return false;
  zn_buf_trim(s->b, 0);
  s->seq = c->rcv_nxt;
  s->len = 0;
  s->flags &= (uint8_t)~ZN_TCP_FIN;
  return true;
}

/* "If a segment is not acceptable, an acknowledgment should be sent in
 * reply (unless the RST bit is set, if so drop the segment and return)":
 * the chart's S_UNACCEPTABLE and S_RST_BAD.  RFC 5961 §4.2: a SYN draws a
 * (rate-limited) challenge ACK "irrespective of the sequence number"
 * (Linux tcp_validate_incoming too); but the peer's own SYN again in
 * SYN_RECEIVED is answered by act_dup_ack with our SYN-ACK. */
static void unacceptable(struct zn_tcp_conn *c, struct zn__tcp_seg *s) {
  ZN_STAT_INC(c->st, tcp_unacceptable);
  /* Data all before RCV.NXT: a duplicate, reported with the ACK. */
  if (s->len && !(s->flags & (ZN_TCP_SYN | ZN_TCP_RST)) &&
      zn__seq_leq(s->seq + s->len, c->rcv_nxt))
    dsack_note(c, s->seq, s->seq + s->len);
  enum zn__tcp_event ev = (s->flags & ZN_TCP_RST) ? ZN__EV_S_RST_BAD
                                                  : ZN__EV_S_UNACCEPTABLE;
  if (ev == ZN__EV_S_UNACCEPTABLE && (s->flags & ZN_TCP_SYN) &&
      c->st->cfg.tcp_rfc5961 &&
      !(c->state == ZN_TCP_SYN_RECEIVED && s->seq == c->irs))
    ev = ZN__EV_S_SYN;
  zn__tcp_fsm(c, ev, s);
}

/* §3.10.7.4 first check, "check sequence number", against RCV.WND wnd;
 * whole_at_nxt: the segment has no text and begins at RCV.NXT, and the
 * window, whatever it is, accepts it whole (zn__tcp_input_sync; wnd is
 * not worked out then).  Returns true if the segment goes on to the next
 * checks; *fin_again is set if it was a retransmission of the peer's
 * FIN, trimmed. */
static bool first_check_sequence(struct zn_tcp_conn *c, struct zn__tcp_seg *s,
                                 uint32_t wnd, bool whole_at_nxt,
                                 bool *fin_again) {
  if (paws_rejects(c, s)) {
    ZN_STAT_INC(c->st, tcp_paws_reject);
    zn__tcp_fsm(c, ZN__EV_S_UNACCEPTABLE, s);
    return false;
  }
  if (whole_at_nxt)
    return true;
  uint32_t seglen = s->len + ((s->flags & ZN_TCP_SYN) ? 1u : 0u) +
                    ((s->flags & ZN_TCP_FIN) ? 1u : 0u);
  if (acceptable(c, s->seq, seglen, wnd) ||
      zero_window_allowance(c, s, wnd) || bare_ack_at_edge(c, s, wnd))
    return true;
  if (fin_retransmitted(c, s)) {
    *fin_again = true;
    return true;
  }
  unacceptable(c, s);
  return false;
}

/* ---- second to fourth checks: RST, security, SYN ---- */

/* §3.10.7.4 second check, "check the RST bit", with RFC 5961 §3.2: a RST
 * exactly at RCV.NXT resets, one elsewhere in the window draws a
 * challenge ACK.  Returns true if the segment was a RST (handled). */
static bool second_check_rst(struct zn_tcp_conn *c, struct zn__tcp_seg *s) {
  if (!(s->flags & ZN_TCP_RST))
    return false;
  if (s->seq == c->rcv_nxt || !c->st->cfg.tcp_rfc5961)
    zn__tcp_fsm(c, ZN__EV_S_RST, s);
  else
    zn__tcp_fsm(c, ZN__EV_S_RST_INWIN, s);
  return true;
}

/* §3.10.7.4 fourth check, "check the SYN bit": RFC 5961 §4 (challenge
 * ACK, S_SYN); with it turned off, RFC 793 resets (S_SYN_RESET), but only
 * for a SYN "in the window": one before RCV.NXT, in a segment that passed
 * the first check by its text or FIN, is answered as that check answers
 * what lies outside the window, by an ACK ("if the SYN is not in the
 * window this step would not be reached and an ack would have been sent
 * in the first step").  Returns true if the segment had a SYN (handled). */
static bool fourth_check_syn(struct zn_tcp_conn *c, struct zn__tcp_seg *s) {
  if (!(s->flags & ZN_TCP_SYN))
    return false;
  enum zn__tcp_event ev = ZN__EV_S_SYN;
  if (!c->st->cfg.tcp_rfc5961)
    ev = zn__seq_lt(s->seq, c->rcv_nxt) ? ZN__EV_S_UNACCEPTABLE
                                        : ZN__EV_S_SYN_RESET;
  zn__tcp_fsm(c, ev, s);
  return true;
}

/* ---- fifth check: ACK ---- */

/* §3.10.7.4 fifth check in SYN_RECEIVED: "If SND.UNA < SEG.ACK =< SND.NXT,
 * then enter ESTABLISHED state and continue processing"; otherwise "form
 * a reset segment <SEQ=SEG.ACK><CTL=RST>" (S_BADACK).  A full accept
 * queue leaves the ACK unanswered: the peer will resend; maybe the app
 * accepts meanwhile.  Returns true if processing continues. */
static bool fifth_check_ack_syn_received(struct zn_tcp_conn *c,
                                         struct zn__tcp_seg *s) {
  if (!zn__seq_gt(s->ack, c->snd_una) || zn__seq_gt(s->ack, c->snd_max)) {
    zn__tcp_fsm(c, ZN__EV_S_BADACK, s);
    return false;
  }
  if (c->parent && c->parent->acq_len >= c->parent->backlog) {
    ZN_STAT_INC(c->st, tcp_drop_acceptq);
    return false;
  }
  c->snd_wnd = s->wnd << c->snd_wscale;
  c->max_snd_wnd = c->snd_wnd;
  c->snd_wl1 = s->seq;
  c->snd_wl2 = s->ack;
  zn__tcp_process_ack(c, s);
  zn__tcp_fsm(c, ZN__EV_S_ACK, s);
  /* Text (and a FIN) that came on the peer's SYN in SYN_SENT waited for
   * ESTABLISHED (RFC 9293 §3.10.7.3, act_simultaneous_open); it is due
   * now, and ACKed as in-order data is. */
  if (c->state == ZN_TCP_ESTABLISHED && (c->ooo.nbufs || c->ooo.have_fin)) {
    if (deliver_held(c))
      fin_arrives(c, s);
    else
      zn__tcp_schedule_ack(c, false);
  }
  return true;
}

/* §3.10.7.4 fifth check in the other synchronized states.  RFC 5961 §5.2:
 * the ACK is acceptable if SND.UNA - MAX.SND.WND =< SEG.ACK =< SND.NXT;
 * beyond SND.NXT it always draws an ACK (S_ACK_INVALID).  Our FIN is
 * acknowledged when the ACK covers its sequence number (whatever
 * retransmissions happened meanwhile): S_ACK_FIN.  Any other acceptable
 * ACK is S_ACK, which the chart ignores in every state that gets here
 * but TIME_WAIT (act_timewait_ack): there only is it handed to the chart,
 * which nearly every segment of an open connection would otherwise run
 * through for nothing (test_chart_ack_ignored, test_tcp_matrix.c, holds
 * the chart to that).  Returns true if processing continues. */
static bool fifth_check_ack_synchronized(struct zn_tcp_conn *c,
                                         struct zn__tcp_seg *s) {
  uint32_t lo = c->snd_una - c->max_snd_wnd;
  if (zn__seq_gt(s->ack, c->snd_max) ||
      (c->st->cfg.tcp_rfc5961 && zn__seq_lt(s->ack, lo))) {
    zn__tcp_fsm(c, ZN__EV_S_ACK_INVALID, s);
    return false;
  }
  if (zn__seq_geq(s->ack, c->snd_una))
    zn__tcp_process_ack(c, s);
  bool fin_acked = (c->flags & ZN__TCPF_FIN_QUEUED) &&
                   zn__seq_gt(s->ack, c->fin_seq) &&
                   zn__seq_geq(s->ack, c->snd_una);
  if (fin_acked)
    zn__tcp_fsm(c, ZN__EV_S_ACK_FIN, s);
  else if (c->state == ZN_TCP_TIME_WAIT)
    zn__tcp_fsm(c, ZN__EV_S_ACK, s);
  return c->state != ZN_TCP_CLOSED;
}

/* A segment the state machine ignores for want of an ACK bit (the fifth
 * check's "drop the segment and return"; tcp_in.c's LISTEN and SYN_SENT
 * procedures drop theirs here too), or a SYN+FIN: counted. */
void zn__tcp_input_noack(struct zn_tcp_conn *c, struct zn__tcp_seg *s) {
  ZN_STAT_INC(c->st, tcp_drop_noack);
  zn__tcp_fsm(c, ZN__EV_S_NOACK, s);
}

/* §3.10.7.4 fifth check, "check the ACK field": "if the ACK bit is off,
 * drop the segment and return".  Returns true if processing continues. */
static bool fifth_check_ack(struct zn_tcp_conn *c, struct zn__tcp_seg *s) {
  if (!(s->flags & ZN_TCP_ACK)) {
    zn__tcp_input_noack(c, s);
    return false;
  }
  if (c->state == ZN_TCP_SYN_RECEIVED)
    return fifth_check_ack_syn_received(c, s);
  return fifth_check_ack_synchronized(c, s);
}

/* RFC 7323 §4.3: TS.Recent follows the segment that covers the last ACK
 * we sent. */
static void update_ts_recent(struct zn_tcp_conn *c,
                             const struct zn__tcp_seg *s) {
  if (c->ts_ok && (s->opts.present & ZN_TCP_OPTF_TS) &&
      zn__seq_leq(s->seq, c->last_ack_sent) &&
      zn__seq_lt(c->last_ack_sent, s->seq + s->len + 1u)) {
    c->ts_recent = s->opts.tsval;
    c->ts_recent_stamp = c->st->now;
  }
}

/* ---- the procedure ---- */

void zn__tcp_input_sync(struct zn_tcp_conn *c, struct zn__tcp_seg *s) {
  bool fin_again = false;
  /* RCV.WND, worked out once: the first check and the trim hold the
   * segment to it, and nothing between them changes it.  A segment with
   * no text that begins at RCV.NXT needs it not at all when the window
   * cannot change the verdict: one that takes no sequence space (a pure
   * ACK in order, most of what a sender receives) is acceptable under
   * any window, 0 included, and has nothing to trim; a FIN alone (the
   * peer's close, once a connection) takes one, and is acceptable, and
   * kept, under any window of a byte or more, which a window advertised
   * beyond RCV.NXT makes sure of (zn__tcp_rcv_wnd never offers less than
   * what was advertised, RFC 9293 §3.8.6.2.2).  Then 0 stands in and the
   * share is not worked out. */
  bool whole_at_nxt =
      s->len == 0 && s->seq == c->rcv_nxt && !(s->flags & ZN_TCP_SYN) &&
      (!(s->flags & ZN_TCP_FIN) || zn__seq_gt(c->rcv_adv, c->rcv_nxt));
  uint32_t wnd = whole_at_nxt ? 0 : zn__tcp_rcv_wnd(c);
  if (timewait_reopen(c, s) ||
      !first_check_sequence(c, s, wnd, whole_at_nxt, &fin_again) ||
      second_check_rst(c, s) || fourth_check_syn(c, s))
    return;
  /* (Third, security: not done.)  The segment is now trimmed to the
   * window, the "idealized segment" of the checks that follow (one
   * whole at RCV.NXT is that already). */
  if (!whole_at_nxt)
    trim_to_window(c, s, wnd);
  if (!fifth_check_ack(c, s))
    return;
  update_ts_recent(c, s);
  if (c->ecn & ZN__TCPE_OK) /* (only where ECN was agreed) */
    zn__tcp_ecn_rcv_marks(c, s); /* RFC 3168 §6.1.3: CWR, CE */
  /* (Sixth, URG: not done; urgent data is ordinary data.) */
  if ((c->flags & ZN__TCPF_FIN_RCVD) && (s->flags & ZN_TCP_FIN))
    fin_again = true; /* an old FIN, before the text is looked at */
  bool fin_due = false;
  if (s->len || (s->flags & ZN_TCP_FIN)) {
    fin_due = seventh_check_text(c, s);
  } else { /* (no text, no FIN: the seventh check only frees it) */
    zn_buf_free(s->b);
    s->b = NULL;
  }
  eighth_check_fin(c, s, fin_due, fin_again);
}
