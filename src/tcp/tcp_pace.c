/*
 * Pacing: a flight leaves at a rate, not at once.
 *
 * A sender without pacing puts a whole window on the wire as fast as the
 * netif takes it; a shallow queue on the path overflows and drops what a
 * steady stream would have got through.  Here every send of a connection
 * is given an earliest departure time (pace_next, in the connection's
 * flight block while it sends: tcp_flight.c; as Linux's EDT model
 * stamps tcp_wstamp_ns): after a send of len bytes the next may leave
 * len / rate later.  Output sends while that time is at most one timer
 * tick ahead of now, then stops and arms pace_timer for when it is; the
 * timing wheel's tick (ZN_TIMER_TICK_NS, 1 ms) is the finest wait there
 * is, so a burst is at most a tick's worth of data at the rate (and a
 * frame for the netif to segment is cut to that size: zn__tcp_pace_burst),
 * and over time the rate is kept exactly (a departure late by part of a
 * tick is made up by the next, never more: after an idle period the
 * schedule starts from now).
 *
 * The rate (zn__tcp_pacing_rate): Linux's rule for window-based
 * algorithms (tcp_update_pacing_rate): the window (or the flight, if
 * larger) per round trip, times 2 in slow start (cwnd below half of
 * ssthresh) and 1.2 after, so that pacing spreads a window over the
 * round trip without holding the sender below what its window allows.
 * A departure: the round trip is the lowest RTT seen, not SRTT as
 * Linux's.  SRTT carries the peer's delayed ACKs and any queue on the
 * path, and a rate from it fell below cwnd / RTT: on the memlink bench
 * at 2-10% loss paced transfers took 5-9% longer than unpaced ones with
 * SRTT, 2-3% with the lowest RTT (bench/results/pacing/report.md).  No
 * RTT sample yet: no pacing.  cfg.tcp_pacing off: none at all.
 *
 * What is paced: new data and the retransmissions of recovery (the two
 * output loops of tcp_out.c ask zn__tcp_pace_hold before each send and
 * every transmission is stamped); a fast retransmit, an RTO's resend, a
 * loss probe and a window probe go at once, and are stamped too.
 */
#include "core/stack_int.h"
#include "tcp/tcp_int.h"

/* Percent of cwnd/SRTT, as Linux's tcp_pacing_ss_ratio and
 * tcp_pacing_ca_ratio. */
#define PACE_SS_PCT 200u
#define PACE_CA_PCT 120u

uint64_t zn__tcp_pacing_rate(const struct zn_tcp_conn *c) {
  if (c->cc.ops && c->cc.ops->model_based)
    return c->cc.pacing_rate; /* the model's own, always on */
  if (!c->st->cfg.tcp_pacing || c->srtt_us == 0)
    return 0;
  uint32_t rtt = c->rack_min_rtt_us && c->rack_min_rtt_us < c->srtt_us
                     ? c->rack_min_rtt_us
                     : c->srtt_us;
  uint64_t w = c->cc.cwnd;
  uint32_t flight = c->snd_max - c->snd_una;
  if (flight > w)
    w = flight;
  uint32_t pct = c->cc.cwnd < c->cc.ssthresh / 2 ? PACE_SS_PCT : PACE_CA_PCT;
  uint64_t rate = w * pct * 10000u / rtt; /* bytes/s */
  return rate ? rate : 1u;
}

/* ns that len bytes take at rate bytes/s. */
static uint64_t departure_gap(uint64_t len, uint64_t rate) {
  return len * 1000000000u / rate;
}

/* Must output wait for the next departure?  If so the timer is set for
 * when it may go (a tick before it: what is a tick ahead may go now).
 * Without a flight block nothing was sent since the last block went
 * back: nothing is owed. */
bool zn__tcp_pace_hold(struct zn_tcp_conn *c) {
  const struct zn_stack *st = c->st;
  struct zn__tcp_flight *fl = c->fl;
  if (fl == NULL || fl->pace_next <= st->now + ZN_TIMER_TICK_NS)
    return false;
  if (!zn_timer_pending(&fl->pace_timer))
    zn_timer_start(c->st, &fl->pace_timer, fl->pace_next - ZN_TIMER_TICK_NS);
  ZN_STAT_INC(c->st, tcp_paced);
  return true;
}

/* len bytes went out now (with a flight block: every send has one): the
 * next departure is len / rate after this one's, or after now if this
 * one's had passed (nothing is owed after an idle period). */
void zn__tcp_pace_sent(struct zn_tcp_conn *c, uint32_t len) {
  struct zn__tcp_flight *fl = c->fl;
  uint64_t rate = zn__tcp_pacing_rate(c);
  if (rate == 0) {
    fl->pace_next = 0;
    return;
  }
  uint64_t base = fl->pace_next > c->st->now ? fl->pace_next : c->st->now;
  fl->pace_next = base + departure_gap(len, rate);
}

/* The largest frame to build at once (cap: what TSO would allow): a
 * tick's worth at the pacing rate, two segments at least. */
uint32_t zn__tcp_pace_burst(const struct zn_tcp_conn *c, uint32_t cap) {
  uint64_t rate = zn__tcp_pacing_rate(c);
  if (rate == 0)
    return cap;
  uint64_t tick = rate / 1000u * (ZN_TIMER_TICK_NS / 1000u) / 1000u;
  uint32_t two = 2u * zn__tcp_seg_size(c);
  if (tick < two)
    tick = two;
  return tick < cap ? (uint32_t)tick : cap;
}

void zn__tcp_pace_timer_fn(struct zn_stack *st, struct zn_timer *t) {
  struct zn_tcp_conn *c =
      ZN_CONTAINER_OF(t, struct zn__tcp_flight, pace_timer)->owner;
  (void)st;
  if (c->state >= ZN_TCP_ESTABLISHED)
    zn__tcp_output(c);
}
