/*
 * Delivery rate estimation (draft-cheng-iccrg-delivery-rate-estimation-02),
 * over RACK's transmit map.
 *
 * Each range of the map (tcp_rack.c) carries what the connection had
 * delivered when it was sent, and when (struct zn__tcp_rate_stamp): the
 * draft's per-packet state.  An ACK delivers some ranges; the one sent
 * last among them (P) says how much the connection delivered since P
 * left and over how long, which is a delivery rate no faster than the
 * path's bottleneck: the sample that BBR's bandwidth model and TCP_INFO's
 * delivery rate take.
 *
 * The draft's steps and the functions doing them:
 *   §3.2 "Transmitting or retransmitting a data packet":
 *            zn__tcp_rate_on_send (the stamp of the range sent)
 *   §3.3 UpdateRateSample, for each packet an ACK delivers:
 *            zn__tcp_rate_on_delivered (called by RACK's walk of the
 *            ranges, tcp_rack.c)
 *   §3.3 GenerateRateSample, once per ACK: zn__tcp_rate_sample
 *   §3.4 detecting application-limited phases:
 *            zn__tcp_rate_check_app_limited (after every output)
 *   a model-based controller's per-ACK sample (BBR's UpdateOnACK):
 *            zn__tcp_rate_cc_sample
 *   BBR's C.lost: zn__tcp_rate_on_lost (RACK's marks, an RTO, a
 *            NewReno fast retransmit)
 *
 * Departures: bytes, not packets, throughout (what an ACK delivered is
 * counted as RFC 6937's DeliveredData: what SND.UNA passed plus the
 * change in SACKed bytes); a range (one burst of one poll) stands for
 * its packets, so P is the newest range an ACK delivers whole (or any
 * part of, if it was never merged: as RACK takes its RTT samples); "in
 * flight" at a send is SND.MAX - SND.UNA less what is SACKed, not RFC
 * 6675's pipe (which costs a walk of the scoreboard per send).  Times
 * are the stack's clock in microseconds, modulo 2^32.
 */
#include "core/stack_int.h"
#include "tcp/tcp_int.h"

static uint32_t now_us(const struct zn_tcp_conn *c) {
  return (uint32_t)(c->st->now / 1000u);
}

static bool after(uint32_t a, uint32_t b) { return (int32_t)(a - b) > 0; }

/* SND.MAX - SND.UNA less what the peer SACKed. */
static uint32_t flight(const struct zn_tcp_conn *c) {
  uint32_t out = c->snd_max - c->snd_una;
  return out > c->sacked_bytes ? out - c->sacked_bytes : 0;
}

/* §3.2: with nothing in flight, the clocks of the next sample start now
 * (a sample never spans an idle period); the range sent carries the
 * connection's counters as they are. */
struct zn__tcp_rate_stamp zn__tcp_rate_on_send(struct zn_tcp_conn *c,
                                               uint32_t seq, uint32_t len) {
  struct zn__tcp_rate *r = &c->rate;
  uint32_t now = now_us(c);
  if (c->snd_max == c->snd_una) {
    r->first_tx_us = now;
    r->delivered_us = now;
  }
  uint32_t end = seq + len;
  uint32_t grows = after(end, c->snd_max) ? end - c->snd_max : 0;
  return (struct zn__tcp_rate_stamp){
      .delivered = r->delivered,
      .delivered_us = r->delivered_us,
      .first_tx_us = r->first_tx_us,
      .lost = r->lost,
      .in_flight = flight(c) + grows,
      .app_limited = r->app_limited,
  };
}

/* §3.3 UpdateRateSample(P): the newest range the ACK delivers is the
 * sample's P; its send time starts the next sample's send interval. */
void zn__tcp_rate_on_delivered(struct zn_tcp_conn *c, struct zn__tcp_rs *rs,
                               const struct zn__tcp_xmit *x) {
  if (!rs || (rs->has_data && !after(x->order, rs->p_order)))
    return;
  uint32_t now = now_us(c);
  rs->has_data = true;
  rs->p = x->rs;
  rs->p_order = x->order;
  rs->send_elapsed_us = x->ts - x->rs.first_tx_us;
  rs->ack_elapsed_us = now - x->rs.delivered_us;
  /* (No RTT from a resent range, nor from a merged one: its time is its
   * latest send's, not that of the part delivered last.) */
  rs->rtt_us =
      (x->flags & (ZN__XMIT_RTX | ZN__XMIT_MERGED)) ? 0 : now - x->ts;
  c->rate.first_tx_us = x->ts;
}

/* bytes were taken as lost: of the range sent with stamp p (RACK's
 * marks), or, with p NULL, as if sent now (an RTO's flight, NewReno's
 * fast retransmit).  A model-based controller hears of it: BBR's
 * HandleLostPacket(P), with RS.tx_in_flight and RS.lost as of P. */
void zn__tcp_rate_on_lost(struct zn_tcp_conn *c, uint32_t bytes,
                          const struct zn__tcp_rate_stamp *p) {
  struct zn__tcp_rate *r = &c->rate;
  r->lost += bytes;
  if (!c->cc.ops->on_lost || bytes == 0)
    return;
  struct zn__tcp_cc_lost l = {
      .now_ns = c->st->now,
      .size = bytes,
      .tx_in_flight = p ? p->in_flight : flight(c),
      .lost = p ? r->lost - p->lost : bytes,
      .delivered = r->delivered,
      .app_limited = p ? p->app_limited != 0 : r->app_limited != 0,
      .sack = c->sack_ok,
  };
  c->cc.ops->on_lost(&c->cc, &l);
}

/* Linux's rule for TCP_INFO's delivery rate: an application-limited
 * sample replaces the last only if it is higher (it may understate the
 * path, never overstate it). */
static void keep_for_info(struct zn__tcp_rate *r, const struct zn__tcp_rs *rs) {
  if (rs->app_limited && rs->bps < r->last_bps)
    return;
  r->last_bps = rs->bps;
  r->last_app_limited = rs->app_limited;
}

/* §3.3 GenerateRateSample, after the ACK was taken in: `delivered` bytes
 * reached the peer with it (C.delivered grows by them, C.delivered_time
 * is now); the lost counter stood at lost_before when it came.  The
 * sample is valid when P was found and its interval, the longer of the
 * send and ACK intervals (the slower of the two rates: ACK compression
 * or a stretched send cannot inflate it), is at least min_RTT. */
void zn__tcp_rate_sample(struct zn_tcp_conn *c, struct zn__tcp_rs *rs,
                         uint32_t delivered, uint32_t lost_before) {
  struct zn__tcp_rate *r = &c->rate;
  rs->valid = false;
  rs->acked_sacked = delivered;
  rs->newly_lost = r->lost - lost_before;
  if (delivered) {
    r->delivered += delivered;
    r->delivered_total += delivered;
    r->delivered_us = now_us(c);
  }
  /* The bubble of an application-limited phase has left the network. */
  if (r->app_limited && after(r->delivered, r->app_limited))
    r->app_limited = 0;
  if (!rs->has_data)
    return;
  rs->app_limited = rs->p.app_limited != 0;
  rs->tx_in_flight = rs->p.in_flight;
  rs->lost = r->lost - rs->p.lost;
  rs->delivered = r->delivered - rs->p.delivered;
  rs->interval_us = rs->send_elapsed_us > rs->ack_elapsed_us
                        ? rs->send_elapsed_us
                        : rs->ack_elapsed_us;
  if (rs->interval_us == 0 || rs->interval_us < c->rack_min_rtt_us ||
      rs->delivered == 0)
    return;
  rs->bps = (uint64_t)rs->delivered * 1000000u / rs->interval_us;
  rs->valid = true;
  keep_for_info(r, rs);
}

/* §3.4: the sender is application-limited when less than a segment
 * waits to be sent, nothing is waiting to be resent and the window is
 * not what holds it back.  Samples taken until what is in flight now
 * has been delivered are marked, so that a model of the path does not
 * take the application's pace for the path's. */
/* MarkConnectionAppLimited */
static void mark_app_limited(struct zn__tcp_rate *r, uint32_t in_flight) {
  uint32_t mark = r->delivered + in_flight;
  r->app_limited = mark ? mark : 1u;
}

void zn__tcp_rate_check_app_limited(struct zn_tcp_conn *c, uint32_t unsent) {
  uint32_t seg = zn__tcp_seg_size(c);
  uint32_t f = flight(c);
  /* (And BBR's C.is_cwnd_limited: data waits, and cwnd holds it.) */
  c->rate.cwnd_limited = unsent >= seg && (uint64_t)f + seg > c->cc.cwnd;
  if (unsent >= seg || (c->flags & ZN__TCPF_IN_RECOVERY) || f >= c->cc.cwnd)
    return;
  mark_app_limited(&c->rate, f);
}

/* The ACK's sample for a model-based controller (on_ack_sample, BBR's
 * UpdateOnACK), after it was taken in; echo: it carried an ECN echo.
 * C.inflight is RFC 6675's pipe in recovery, else what is out less what
 * is SACKed (nothing is taken as lost outside recovery). */
void zn__tcp_rate_cc_sample(struct zn_tcp_conn *c, const struct zn__tcp_rs *rs,
                            bool echo) {
  struct zn__tcp_rate *r = &c->rate;
  bool p = rs->has_data;
  struct zn__tcp_cc_ack a = {
      .now_ns = c->st->now,
      .delivery_rate = rs->valid ? rs->bps : 0,
      .delivered = r->delivered,
      .prior_delivered = p ? rs->p.delivered : 0,
      .rs_delivered = p ? rs->delivered : 0,
      .rs_lost = p ? rs->lost : 0,
      .tx_in_flight = p ? rs->tx_in_flight : 0,
      .newly_acked = rs->acked_sacked,
      .newly_lost = rs->newly_lost,
      .inflight = (c->flags & ZN__TCPF_IN_RECOVERY) ? zn__tcp_pipe(c)
                                                    : flight(c),
      .rtt_us = p ? rs->rtt_us : 0,
      .srtt_us = c->srtt_us,
      .has_p = p,
      .rate_valid = rs->valid,
      .app_limited = p ? rs->app_limited : r->app_limited != 0,
      .cwnd_limited = r->cwnd_limited != 0,
      .sack = c->sack_ok,
      .ece = echo,
  };
  if (c->cc.ops->on_ack_sample(&c->cc, &a) & ZN__CC_MARK_APP_LIMITED)
    mark_app_limited(r, a.inflight);
}
