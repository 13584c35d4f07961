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
  rs->rtt_us = (x->flags & ZN__XMIT_RTX) ? 0 : now - x->ts;
  c->rate.first_tx_us = x->ts;
}

void zn__tcp_rate_on_lost(struct zn_tcp_conn *c, uint32_t bytes) {
  c->rate.lost += bytes;
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
void zn__tcp_rate_check_app_limited(struct zn_tcp_conn *c, uint32_t unsent) {
  if (unsent >= zn__tcp_seg_size(c) ||
      (c->flags & ZN__TCPF_IN_RECOVERY))
    return;
  uint32_t f = flight(c);
  if (f >= c->cc.cwnd)
    return;
  uint32_t mark = c->rate.delivered + f;
  c->rate.app_limited = mark ? mark : 1u;
}
