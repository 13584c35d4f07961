/*
 * RACK, time-based loss detection (RFC 8985 §6), over a transmit map.
 *
 * A segment is lost when a segment sent after it has been delivered and
 * more than RACK.rtt plus a reordering window has passed since it was
 * sent.  That needs the time each segment was last sent.  znet cuts
 * segments from the send queue when it sends them and keeps no record
 * per segment; the transmit map is that record, kept small: a sorted
 * array of ranges over [SND.UNA, SND.MAX), each with the time it was
 * last sent.  "Sent after" is decided by a count of the connection's
 * sends, not by the clock: the stack's clock stands still through a
 * poll, and a resend and the new data after it share one time.  A
 * burst sent in one poll is one range; a retransmission splits its
 * range out and stamps it anew.  When the array is full two
 * neighbouring ranges are merged: a range all delivered into its
 * neighbour first (its time is no longer needed), else the two closest
 * in time, under the later of their times for loss and the earlier for
 * delivery, so a loss can be declared late, never early.
 *
 * The RFC's steps and the functions doing them:
 *   §6.2 step 1-2, RACK.xmit_ts, end_seq, rtt from what an ACK delivers:
 *            zn__tcp_rack_acked (zn__tcp_rack_acked_ranges, or
 *            rack_acked_all when the ACK covers everything), rack_advance
 *   §6.2 step 3, reordering seen (when a cumulative ACK passes a hole
 *            filled by its first send):  rack_reordering
 *   §6.2 step 4, the reordering window and its D-SACK adaptation:
 *            reo_wnd, rack_dsack, zn__tcp_rack_recovery_end
 *   §6.2 step 5, loss marked by time, and the timer for the rest:
 *            zn__tcp_rack_mark_lost, zn__tcp_rack_timeout_us
 * Which lost data goes again and when (recovery, PRR) is tcp_out.c's and
 * tcp_ack.c's; TLP (§7) is tcp_out.c's probe_timeout.
 *
 * Departures: RACK.min_RTT is the lowest RTT of the connection's life,
 * not a windowed minimum; a retransmitted range's delivery is taken as
 * a sample only when its RTT is at least min_RTT (§6.2 step 2's second
 * test; the TSecr test is not made); the reordering window, where
 * there is one, is at least REO_WND_MIN_US.
 */
#include <string.h>

#include "core/stack_int.h"
#include "tcp/tcp_int.h"

/* The least reordering window, where there is one (a departure: the RFC
 * has none).  A quarter of a min_RTT of a few microseconds (or of none,
 * on the tests' virtual clock) would take a hole as lost at the very
 * SACK that shows it, with no tolerance for reordering at all. */
#define REO_WND_MIN_US 10u

static uint32_t now_us(const struct zn_tcp_conn *c) {
  return (uint32_t)(c->st->now / 1000u);
}

/* Is time (or order) a after b, modulo 2^32? */
static bool ts_after(uint32_t a, uint32_t b) { return (int32_t)(a - b) > 0; }

static uint32_t range_start(const struct zn_tcp_conn *c, unsigned i) {
  return i ? c->fl->xmap[i - 1].end : c->xmap_una;
}

void zn__tcp_rack_init(struct zn_tcp_conn *c) {
  c->nxmap = 0;
  c->rack_flags = 0;
  c->reo_wnd_mult = 1;
  c->reo_wnd_persist = 0;
  c->xmap_una = c->snd_una;
  c->xmit_order = c->rack_order = 0;
  c->rack_ts = c->rack_end = c->rack_rtt_us = 0;
  c->rack_fack = c->snd_una;
  c->rack_min_rtt_us = 0;
  c->rack_dsack_round = 0;
}

/* ---- the map ---- */

/* What merging neighbours a and b would blur.  A range all delivered
 * (SACKed) no longer needs its time: merged into its neighbour, it costs
 * nothing (and stamped with the later time, the holes before it would
 * be found lost only when RACK passed data sent after them: at a
 * window of a hundred holes and a map of sixteen ranges, never, and an
 * RTO instead).  A range RACK took as lost merged with one it did not
 * would lose the mark: the last resort; next to it, a resend merged
 * with first sends (whose deliveries would then all be taken as
 * perhaps of an earlier send, and never move RACK on).  Else the gap
 * between their times. */
static uint32_t merge_cost(const struct zn__tcp_xmit *a,
                           const struct zn__tcp_xmit *b) {
  if ((a->flags | b->flags) & ZN__XMIT_SACKED)
    return 0;
  if ((a->flags ^ b->flags) & ZN__XMIT_LOST)
    return UINT32_MAX;
  if ((a->flags ^ b->flags) & ZN__XMIT_RTX)
    return UINT32_MAX - 1;
  uint32_t gap = ts_after(a->ts, b->ts) ? a->ts - b->ts : b->ts - a->ts;
  return gap < UINT32_MAX - 2 ? gap : UINT32_MAX - 2;
}

/* p's earliest send becomes the earlier of p's and x's. */
static void keep_earliest(struct zn__tcp_xmit *p,
                          const struct zn__tcp_xmit *x) {
  if (ts_after(p->first_ts, x->first_ts))
    p->first_ts = x->first_ts;
  if (ts_after(p->first_order, x->first_order))
    p->first_order = x->first_order;
}

/* a takes b's data too.  One of them all delivered: the other's time,
 * order, stamp and marks for loss (what is left to deliver was sent
 * then).  Else under the later time and order (their flags: sent more
 * than once if either was, lost only if both were).  Either way
 * first_ts and first_order are the earlier of the two: the delivered
 * part counts too, for a later ACK finds it delivered (delivered_end)
 * and takes the range's earliest send for it.  (Given the other's,
 * RACK would take data sent long before as delivered after the hole
 * beside it, and mark in-flight data lost: needless resends.) */
static void merge_into(struct zn__tcp_xmit *a, const struct zn__tcp_xmit *b) {
  struct zn__tcp_xmit first = *a;
  keep_earliest(&first, b);
  uint32_t end = b->end;
  if (a->flags & ZN__XMIT_SACKED) {
    if (!(b->flags & ZN__XMIT_SACKED))
      *a = *b;
  } else if (!(b->flags & ZN__XMIT_SACKED)) {
    uint32_t flags = ((a->flags | b->flags) & ZN__XMIT_RTX) |
                     (a->flags & b->flags & ZN__XMIT_LOST);
    a->ts = ts_after(b->ts, a->ts) ? b->ts : a->ts;
    if (ts_after(b->order, a->order)) {
      a->order = b->order;
      a->rs = b->rs;
    }
    a->flags = flags;
  }
  a->end = end;
  a->first_ts = first.first_ts;
  a->first_order = first.first_order;
  if (!(a->flags & ZN__XMIT_SACKED) || !(b->flags & ZN__XMIT_SACKED))
    a->flags |= ZN__XMIT_MERGED;
}

/* Make room for one range: merge the two neighbours that blur the
 * least (merge_cost).  (Out of line: only a full map needs it, and
 * inlined its loop would cost every send.) */
static __attribute__((noinline)) void
xmap_merge_closest(struct zn_tcp_conn *c) {
  unsigned best = 0;
  uint32_t best_cost = UINT32_MAX;
  for (unsigned i = 0; i + 1 < c->nxmap; i++) {
    uint32_t cost = merge_cost(&c->fl->xmap[i], &c->fl->xmap[i + 1]);
    if (cost <= best_cost) { /* (the highest of equals: the oldest stay) */
      best_cost = cost;
      best = i;
    }
  }
  struct zn__tcp_xmit *a = &c->fl->xmap[best], *b = &c->fl->xmap[best + 1];
  merge_into(a, b);
  memmove(b, b + 1, (c->nxmap - best - 2u) * sizeof(*b));
  c->nxmap--;
}

static void xmap_insert(struct zn_tcp_conn *c, unsigned at,
                        struct zn__tcp_xmit x) {
  memmove(&c->fl->xmap[at + 1], &c->fl->xmap[at], (c->nxmap - at) * sizeof(x));
  c->fl->xmap[at] = x;
  c->nxmap++;
}

/* Split the range holding seq so that one begins at seq (room made by
 * the caller). */
static void xmap_split(struct zn_tcp_conn *c, uint32_t seq) {
  for (unsigned i = 0; i < c->nxmap; i++) {
    uint32_t start = range_start(c, i);
    if (zn__seq_leq(c->fl->xmap[i].end, seq))
      continue;
    if (zn__seq_lt(start, seq)) {
      struct zn__tcp_xmit head = c->fl->xmap[i];
      head.end = seq;
      xmap_insert(c, i, head);
    }
    return;
  }
}

/* Can b, sent at order o, join a?  Only if sent at the same time with
 * the same flags, and by the same send or the one right after a's last:
 * a range then stands for sends with no other send between them, and
 * comparing orders with its last one answers as each send's own would. */
static bool joins(const struct zn__tcp_xmit *a, uint32_t ts, uint32_t order,
                  uint32_t flags, uint32_t delivered) {
  return a->ts == ts && a->flags == flags && a->rs.delivered == delivered &&
         (order == a->order || order == a->order + 1 || a->order == order + 1);
}

/* Neighbours that can be one range become one. */
static void xmap_coalesce(struct zn_tcp_conn *c) {
  unsigned j = 0;
  for (unsigned i = 1; i < c->nxmap; i++) {
    struct zn__tcp_xmit *p = &c->fl->xmap[j];
    const struct zn__tcp_xmit *x = &c->fl->xmap[i];
    if (joins(p, x->ts, x->order, x->flags, x->rs.delivered)) {
      p->end = x->end;
      if (ts_after(x->order, p->order))
        p->order = x->order;
      keep_earliest(p, x);
    } else {
      c->fl->xmap[++j] = c->fl->xmap[i];
    }
  }
  if (c->nxmap)
    c->nxmap = (uint8_t)(j + 1);
}

/* The data up to end, beyond the map, went out now (ts, order, the rate
 * stamp rs): the last range takes it if it can, else a new one (room
 * made if need be). */
static inline void xmap_append(struct zn_tcp_conn *c, uint32_t end,
                               uint32_t ts, uint32_t order,
                               const struct zn__tcp_rate_stamp *rs) {
  struct zn__tcp_xmit *last = c->nxmap ? &c->fl->xmap[c->nxmap - 1] : NULL;
  if (last && joins(last, ts, order, 0, rs->delivered)) {
    last->end = end;
    last->order = order;
    last->rs.in_flight = rs->in_flight;
    return;
  }
  if (c->nxmap == ZN__TCP_XMAP)
    xmap_merge_closest(c);
  c->fl->xmap[c->nxmap++] =
      (struct zn__tcp_xmit){end, ts, order, 0, *rs, ts, order};
}

/* [seq, end) went out now (ts, order), from below map_end: the ranges
 * below it are stamped as resent, what is beyond it appended.  (Out of
 * line: most sends are of new data only, and this would make each of
 * them save and restore the registers of its loops.) */
static __attribute__((noinline)) void
xmap_resent(struct zn_tcp_conn *c, uint32_t seq, uint32_t end, uint32_t map_end,
            uint32_t ts, uint32_t order, const struct zn__tcp_rate_stamp *rs) {
  uint32_t hi = zn__seq_lt(end, map_end) ? end : map_end;
  uint32_t lo = zn__seq_lt(seq, c->xmap_una) ? c->xmap_una : seq;
  while (c->nxmap > ZN__TCP_XMAP - 2)
    xmap_merge_closest(c);
  xmap_split(c, lo);
  xmap_split(c, hi);
  for (unsigned i = 0; i < c->nxmap; i++) {
    uint32_t start = range_start(c, i);
    if (zn__seq_geq(start, lo) && zn__seq_leq(c->fl->xmap[i].end, hi)) {
      c->fl->xmap[i].ts = c->fl->xmap[i].first_ts = ts;
      c->fl->xmap[i].order = c->fl->xmap[i].first_order = order;
      c->fl->xmap[i].flags = ZN__XMIT_RTX;
      c->fl->xmap[i].rs = *rs;
    }
  }
  xmap_coalesce(c);
  if (zn__seq_gt(end, map_end))
    xmap_append(c, end, ts, order, rs);
}

/* [seq, seq+len) went out now (len counts a FIN): stamp what was sent
 * before, append what is new. */
void zn__tcp_rack_sent(struct zn_tcp_conn *c, uint32_t seq, uint32_t len) {
  if (len == 0)
    return;
  uint32_t ts = now_us(c), end = seq + len, order = ++c->xmit_order;
  struct zn__tcp_rate_stamp rs = zn__tcp_rate_on_send(c, seq, len);
  if (c->nxmap == 0)
    c->xmap_una = zn__seq_lt(seq, c->snd_una) ? seq : c->snd_una;
  uint32_t map_end = c->nxmap ? c->fl->xmap[c->nxmap - 1].end : c->xmap_una;
  if (zn__seq_lt(seq, map_end))
    xmap_resent(c, seq, end, map_end, ts, order, &rs);
  else if (zn__seq_gt(end, map_end))
    xmap_append(c, end, ts, order, &rs);
}

/* ---- what an ACK delivered ---- */

/* The end of the highest delivered byte in [lo, hi): SACKed, or below
 * SND.UNA; lo if none.  *all: all of [lo, hi) is delivered. */
static uint32_t delivered_end(const struct zn_tcp_conn *c, uint32_t lo,
                              uint32_t hi, bool *all) {
  uint32_t d = lo;
  *all = zn__seq_leq(hi, c->snd_una);
  if (*all)
    return hi;
  if (zn__seq_gt(c->snd_una, lo))
    d = lo = c->snd_una;
  for (uint16_t i = 0; i < c->nsacked; i++) {
    uint32_t l = c->fl->sacked[i].left, r = c->fl->sacked[i].right;
    if (zn__seq_leq(r, lo) || zn__seq_geq(l, hi))
      continue;
    if (zn__seq_leq(l, lo) && zn__seq_geq(r, hi))
      *all = true;
    uint32_t e = zn__seq_lt(r, hi) ? r : hi;
    if (zn__seq_gt(e, d))
      d = e;
  }
  return d;
}

/* Ticks of the timestamp clock (zn__tcp_ts_now's milliseconds) from a
 * send rtt us ago to now: how much older than now the TSval of that send
 * is.  (From the stack's own clock, so exact: rtt / 1000 can be one
 * short of it.) */
static uint32_t ts_ticks_since(const struct zn_tcp_conn *c, uint32_t rtt) {
  uint64_t now = c->st->now / 1000u;
  uint64_t sent = now > rtt ? now - rtt : 0;
  return (uint32_t)(now / 1000u - sent / 1000u);
}

/* §6.2 step 2: RACK follows the most recently sent of what is delivered.
 * A range sent more than once was delivered by an earlier send, and
 * gives no sample, if the ACK echoes a transmission older than its last
 * one (its TSecr is below the TSval that send carried), or its RTT is
 * below the lowest seen.  (Taken for the resend, the delivery of an
 * original would make everything sent before the resend look lost.  On
 * a path of microseconds a resend often follows the send the ACK
 * delivered by a single tick of the timestamp clock: a loss probe of
 * recovery 0.5-2 ms after the fast retransmit of the same hole.  The
 * echo's age is compared with the exact ticks since the last send, not
 * with rtt / 1000 + 1, which let every such one through.) */
static bool rtx_delivered_before(const struct zn_tcp_conn *c, uint32_t rtt,
                                 const struct zn__tcp_rs *rs) {
  if (rtt < c->rack_min_rtt_us)
    return true;
  return rs && rs->echo_age_ms != UINT32_MAX &&
         rs->echo_age_ms > ts_ticks_since(c, rtt);
}

/* A merged range (ZN__XMIT_MERGED) holds sends of different times, and
 * which of them a delivery was is not known: it is taken as the
 * earliest (first_ts, first_order), so that RACK moves on late, never
 * early, and gives no min_RTT.  (Skipped instead, as it once was, a
 * map full of merged ranges never moved RACK past a lost resend, and
 * only an RTO found it.) */
static void rack_advance(struct zn_tcp_conn *c, const struct zn__tcp_xmit *x,
                         uint32_t end, uint32_t now,
                         const struct zn__tcp_rs *rs) {
  uint32_t ts = x->ts, order = x->order;
  if (x->flags & ZN__XMIT_RTX) {
    if (rtx_delivered_before(c, now - x->ts, rs))
      return;
  } else if (!(x->flags & ZN__XMIT_MERGED)) {
    uint32_t rtt = now - ts;
    if (c->rack_min_rtt_us == 0 || rtt < c->rack_min_rtt_us)
      c->rack_min_rtt_us = rtt ? rtt : 1;
  }
  if (x->flags & ZN__XMIT_MERGED) {
    ts = x->first_ts;
    order = x->first_order;
  }
  if ((c->rack_flags & ZN__RACK_VALID) &&
      !(ts_after(order, c->rack_order) ||
        (order == c->rack_order && zn__seq_gt(end, c->rack_end))))
    return;
  c->rack_flags |= ZN__RACK_VALID;
  c->rack_order = order;
  c->rack_ts = ts;
  c->rack_end = end;
  c->rack_rtt_us = now - ts;
}

/* §6.2 step 4: a D-SACK, once per round trip, widens the reordering
 * window by a quarter of min_RTT more, for the next 16 recoveries. */
static void rack_dsack(struct zn_tcp_conn *c) {
  if ((c->rack_flags & ZN__RACK_DSACK) &&
      zn__seq_lt(c->snd_una, c->rack_dsack_round))
    return;
  c->rack_flags |= ZN__RACK_DSACK;
  c->rack_dsack_round = c->snd_max;
  if (c->reo_wnd_mult < 255)
    c->reo_wnd_mult++;
  c->reo_wnd_persist = 16;
}

/* §6.2 step 3: the ACK passed the hole at the old SND.UNA while later
 * data had been delivered, and that hole's data was never resent: its
 * first send arrived after later ones; the network reordered it. */
static void rack_reordering(struct zn_tcp_conn *c, uint32_t old_una) {
  if (zn__seq_gt(c->snd_una, old_una) && zn__seq_gt(c->rack_fack, old_una) &&
      c->xmap_una == old_una && !(c->fl->xmap[0].flags & ZN__XMIT_RTX))
    c->rack_flags |= ZN__RACK_REORDER;
}

/* SND.UNA passed every range: rack_fack is at SND.UNA at least. */
static void rack_edges(struct zn_tcp_conn *c) {
  c->xmap_una = c->snd_una;
  if (zn__seq_lt(c->rack_fack, c->snd_una))
    c->rack_fack = c->snd_una;
}

void zn__tcp_rack_acked_ranges(struct zn_tcp_conn *c, uint32_t old_una,
                               struct zn__tcp_rs *rs) {
  uint32_t now = now_us(c);
  rack_reordering(c, old_una);
  unsigned gone = 0;
  for (unsigned i = 0; i < c->nxmap; i++) {
    struct zn__tcp_xmit *x = &c->fl->xmap[i];
    uint32_t start = range_start(c, i);
    if (zn__seq_geq(start, c->snd_una) && c->nsacked == 0)
      break; /* nothing above SND.UNA is delivered */
    bool all;
    uint32_t d = delivered_end(c, start, x->end, &all);
    if (zn__seq_leq(x->end, c->snd_una))
      gone = i + 1;
    if (x->flags & ZN__XMIT_SACKED || !zn__seq_gt(d, start))
      continue;
    rack_advance(c, x, d, now, rs);
    if (all || !(x->flags & ZN__XMIT_MERGED))
      zn__tcp_rate_on_delivered(c, rs, x);
    if (zn__seq_gt(d, c->rack_fack))
      c->rack_fack = d;
    if (all)
      x->flags |= ZN__XMIT_SACKED;
  }
  if (gone) {
    if (gone < c->nxmap) /* (all of it, the common case: nothing to move) */
      memmove(c->fl->xmap, c->fl->xmap + gone,
              (c->nxmap - gone) * sizeof(c->fl->xmap[0]));
    c->nxmap = (uint8_t)(c->nxmap - gone);
  }
  rack_edges(c);
  /* The data of RACK's own send below the part delivered was sent before
   * it: a range of its own, to be marked lost alone (room permitting). */
  if ((c->rack_flags & ZN__RACK_VALID) && c->nxmap < ZN__TCP_XMAP &&
      zn__seq_gt(c->rack_end, c->snd_una))
    xmap_split(c, c->rack_end);
}

/* The ACK of everything sent (SND.UNA = SND.MAX, nothing SACKed): what
 * zn__tcp_rack_acked_ranges does then, less what it cannot come to.
 * Every range lies below SND.UNA, so each is delivered whole (its end is
 * what it delivered, and the map empties), RACK's own range among them
 * (no split), and no loss is left to find: §6.2 steps 1-3 alone, in the
 * order of the ranges.  tests/tcp/test_tcp_rack.c holds the two to the
 * same results. */
static void rack_acked_all(struct zn_tcp_conn *c, uint32_t old_una,
                           struct zn__tcp_rs *rs) {
  uint32_t now = now_us(c);
  rack_reordering(c, old_una);
  for (unsigned i = 0; i < c->nxmap; i++) {
    const struct zn__tcp_xmit *x = &c->fl->xmap[i];
    if (!(x->flags & ZN__XMIT_SACKED) &&
        zn__seq_gt(x->end, range_start(c, i))) {
      rack_advance(c, x, x->end, now, rs);
      zn__tcp_rate_on_delivered(c, rs, x);
    }
  }
  c->nxmap = 0;
  rack_edges(c);
}

/* After the scoreboard and SND.UNA took an ACK in: RACK's state from the
 * ranges it delivered, reordering noticed, the acknowledged ranges gone. */
void zn__tcp_rack_acked(struct zn_tcp_conn *c, uint32_t old_una,
                        bool dsack, struct zn__tcp_rs *rs) {
  if (dsack)
    rack_dsack(c);
  if (c->nxmap == 0) {
    /* Nothing sent is outstanding (the ACK of a connection at rest, or
     * of one that has sent nothing yet): no range to deliver, reorder or
     * split; only the edges follow SND.UNA. */
    rack_edges(c);
  } else if (c->snd_una == c->snd_max && c->nsacked == 0) {
    rack_acked_all(c, old_una, rs);
  } else {
    zn__tcp_rack_acked_ranges(c, old_una, rs);
  }
}

/* ---- loss ---- */

/* §6.2 step 4, RACK.reo_wnd, us: none while no reordering was seen and
 * recovery is on or DupThresh segments are SACKed (in bytes as RFC 6675
 * IsLost counts them: more than DupThresh - 1 full segments, which with
 * timestamps carry 12 bytes less than the MSS); else min_RTT/4 times the
 * D-SACK multiplier, at most SRTT, at least REO_WND_MIN_US. */
static uint32_t reo_wnd(const struct zn_tcp_conn *c) {
  if (!(c->rack_flags & ZN__RACK_REORDER) &&
      ((c->flags & ZN__TCPF_IN_RECOVERY) ||
       c->sacked_bytes > 2u * zn__tcp_seg_size(c)))
    return 0;
  uint32_t base = c->rack_min_rtt_us ? c->rack_min_rtt_us : c->srtt_us;
  uint64_t w = (uint64_t)c->reo_wnd_mult * (base / 4u);
  if (w > c->srtt_us)
    w = c->srtt_us;
  return w < REO_WND_MIN_US ? REO_WND_MIN_US : (uint32_t)w;
}

/* Was range x sent before RACK's segment?  In the same send (a range
 * of one burst), if it lies below it. */
static bool sent_before_rack(const struct zn_tcp_conn *c,
                             const struct zn__tcp_xmit *x) {
  return ts_after(c->rack_order, x->order) ||
         (x->order == c->rack_order && zn__seq_leq(x->end, c->rack_end));
}

/* Microseconds until range x is lost by §6.2 step 5 (<= 0: it is), for
 * a candidate: not delivered, not lost already, sent before RACK's. */
static bool loss_candidate(const struct zn_tcp_conn *c,
                           const struct zn__tcp_xmit *x, int32_t *left) {
  if ((x->flags & (ZN__XMIT_SACKED | ZN__XMIT_LOST)) ||
      !sent_before_rack(c, x))
    return false;
  *left = (int32_t)(x->ts + c->rack_rtt_us + reo_wnd(c) - now_us(c));
  return true;
}

/* §6.2 step 5: mark what is lost now.  Returns true if anything was. */
bool zn__tcp_rack_mark_lost(struct zn_tcp_conn *c) {
  if (!zn__tcp_rack_may_lose(c))
    return false;
  bool marked = false;
  for (unsigned i = 0; i < c->nxmap; i++) {
    struct zn__tcp_xmit *x = &c->fl->xmap[i];
    int32_t left;
    if (!loss_candidate(c, x, &left) || left > 0)
      continue;
    x->flags |= ZN__XMIT_LOST;
    marked = true;
    uint32_t s = range_start(c, i);
    if (zn__seq_lt(s, c->snd_una))
      s = c->snd_una;
    if (zn__seq_lt(s, x->end))
      zn__tcp_rate_on_lost(c, (x->end - s) - zn__tcp_sacked_in(c, s, x->end),
                           &x->rs);
    if (x->flags & ZN__XMIT_RTX)
      ZN_STAT_INC(c->st, tcp_lost_rtx);
    else
      ZN_STAT_INC(c->st, tcp_rack_lost);
  }
  return marked;
}

/* When the next range not yet lost would be (the reordering timer), us
 * from now, or 0 if none is waiting. */
uint32_t zn__tcp_rack_timeout_us(const struct zn_tcp_conn *c) {
  if (!zn__tcp_rack_may_lose(c))
    return 0;
  int32_t first = INT32_MAX;
  for (unsigned i = 0; i < c->nxmap; i++) {
    int32_t left;
    if (loss_candidate(c, &c->fl->xmap[i], &left) && left < first)
      first = left;
  }
  if (first == INT32_MAX)
    return 0;
  return first < 1 ? 1u : (uint32_t)first;
}

/* The first lost byte not SACKed and how many follow it before a SACKed
 * one or the end of its range.  False if nothing is marked lost. */
bool zn__tcp_rack_next_lost(const struct zn_tcp_conn *c, uint32_t *seq,
                            uint32_t *len) {
  for (unsigned i = 0; i < c->nxmap; i++) {
    const struct zn__tcp_xmit *x = &c->fl->xmap[i];
    if (!(x->flags & ZN__XMIT_LOST))
      continue;
    uint32_t s = range_start(c, i), skip;
    if (zn__seq_lt(s, c->snd_una))
      s = c->snd_una;
    while (zn__seq_lt(s, x->end) && zn__tcp_sacked(c, s, &skip))
      s += skip;
    if (!zn__seq_lt(s, x->end))
      continue;
    uint32_t e = s + zn__tcp_until_sacked(c, s, x->end - s);
    *seq = s;
    *len = e - s;
    return true;
  }
  return false;
}

/* Bytes marked lost and not SACKed in [lo, hi). */
uint32_t zn__tcp_rack_lost_bytes(const struct zn_tcp_conn *c, uint32_t lo,
                                 uint32_t hi) {
  uint32_t n = 0;
  for (unsigned i = 0; i < c->nxmap; i++) {
    if (!(c->fl->xmap[i].flags & ZN__XMIT_LOST))
      continue;
    uint32_t s = range_start(c, i), e = c->fl->xmap[i].end;
    if (zn__seq_lt(s, lo))
      s = lo;
    if (zn__seq_gt(e, hi))
      e = hi;
    if (zn__seq_lt(s, e))
      n += (e - s) - zn__tcp_sacked_in(c, s, e);
  }
  return n;
}

uint32_t zn__tcp_rack_rtx_bytes(const struct zn_tcp_conn *c) {
  uint32_t n = 0;
  for (unsigned i = 0; i < c->nxmap; i++) {
    if (!(c->fl->xmap[i].flags & ZN__XMIT_RTX))
      continue;
    uint32_t s = range_start(c, i), e = c->fl->xmap[i].end;
    if (zn__seq_lt(s, e))
      n += (e - s) - zn__tcp_sacked_in(c, s, e);
  }
  return n;
}

/* At an RTO everything outstanding goes again anyway (RFC 5681 §3.1):
 * the marks are no longer needed. */
void zn__tcp_rack_forget_lost(struct zn_tcp_conn *c) {
  for (unsigned i = 0; i < c->nxmap; i++)
    c->fl->xmap[i].flags &= ~(uint32_t)ZN__XMIT_LOST;
}

/* The peer discarded what it had SACKed (tcp_ack.c sack_check_reneged):
 * nothing is delivered above SND.UNA any more. */
void zn__tcp_rack_reneged(struct zn_tcp_conn *c) {
  for (unsigned i = 0; i < c->nxmap; i++)
    c->fl->xmap[i].flags &= ~(uint32_t)(ZN__XMIT_SACKED | ZN__XMIT_LOST);
}

/* §6.2 step 4: 16 recoveries without a D-SACK bring the window back. */
void zn__tcp_rack_recovery_end(struct zn_tcp_conn *c) {
  if (c->reo_wnd_persist && --c->reo_wnd_persist == 0)
    c->reo_wnd_mult = 1;
}
