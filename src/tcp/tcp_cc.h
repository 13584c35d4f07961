/*
 * Congestion control behind a small interface: the TCP engine decides
 * when loss happened and when recovery ends (RFC 5681/6582/6675); the
 * algorithm decides how cwnd and ssthresh move.  Units are bytes.
 *
 *   CUBIC   RFC 9438 (beta 0.7, C 0.4, fast convergence, the Reno-friendly
 *           region), the default
 *   NewReno RFC 5681 §3.1 with appropriate byte counting (RFC 3465, L=2)
 *
 * Both are integer-only (no floating point, no libm) and saturate instead
 * of wrapping: cwnd stays in [1 MSS, UINT32_MAX] from init on, and every
 * reduction leaves ssthresh >= 2 MSS.  The engine owns cwnd between calls
 * only for the classic fast-recovery inflation (RFC 5681 §3.2 steps 4-5);
 * on_recovery_end deflates whatever it finds.
 *
 * Slow start (both): while cwnd < ssthresh, each ACK adds min(acked,
 * 2 SMSS) (RFC 3465 L=2), never past ssthresh; acked bytes left over when
 * cwnd reaches ssthresh go to congestion avoidance in the same call.
 *
 * NewReno congestion avoidance: byte counting (RFC 3465 §2.1): ca_acked
 * collects acked bytes; each full cwnd of them adds one SMSS.
 *
 * CUBIC congestion avoidance (RFC 9438 §4.2-4.5): the epoch starts at the
 * first ACK past ssthresh (cwnd_epoch = cwnd, W_est = cwnd, K from
 * W_max - cwnd_epoch, or K = 0 and W_max = cwnd_epoch if cwnd_epoch >=
 * W_max or the last reduction was an RTO, §4.8).  Per ACK of `acked`
 * bytes: W_est += alpha * acked * SMSS / cwnd (alpha = 9/17 until W_est
 * reaches cwnd_prior, then 1); if W_cubic(t) < W_est cwnd = max(cwnd,
 * W_est), else cwnd += acked * (target - cwnd) / cwnd with target =
 * W_cubic(t + srtt) clamped to [cwnd, 1.5 cwnd], the increase capped at
 * target - cwnd.  Times are kept in units of 2^-16 s; K comes from an
 * integer cube root.  An idle period is not treated specially: the
 * 1.5-cwnd clamp bounds the jump after it.
 */
#ifndef ZN_TCP_CC_H
#define ZN_TCP_CC_H

#include <stdint.h>

struct zn__tcp_cc {
  const struct zn__tcp_cc_ops *ops;
  uint32_t cwnd;          /* bytes, >= mss */
  uint32_t ssthresh;      /* bytes; UINT32_MAX until the first loss */
  uint32_t mss;           /* sender MSS, set by init (0 is taken as 1) */
  uint32_t ca_acked;      /* NewReno: bytes acked toward the next CA
                             increase; CUBIC: remainder of the last
                             increase, in 1/cwnd bytes (< cwnd) */
  /* CUBIC state (RFC 9438 §4). */
  uint64_t epoch_ns;      /* start of the current congestion avoidance
                             epoch (meaningful while epoch_on) */
  uint64_t w_est_rem;     /* remainder of W_est growth, in 1/(17 cwnd)
                             bytes */
  uint32_t w_max;         /* bytes, window before the last reduction
                             (after fast convergence, §4.7) */
  uint32_t cwnd_prior;    /* bytes, cwnd when ssthresh was last set */
  uint32_t cwnd_epoch;    /* cwnd at the start of the epoch */
  uint32_t w_est;         /* Reno-friendly estimate, bytes (§4.3) */
  uint32_t k;             /* K in units of 2^-16 s (§4.2, Figure 2) */
  uint8_t epoch_on;       /* a congestion avoidance epoch is running */
  uint8_t after_rto;      /* next epoch is the first after an RTO */
};

struct zn__tcp_cc_ops {
  const char *name;
  /* Start: cwnd = initial window (RFC 6928 style: iw bytes; at least
   * one MSS), ssthresh infinite. */
  void (*init)(struct zn__tcp_cc *cc, uint32_t mss, uint32_t iw);
  /* `acked` new bytes were cumulatively acknowledged outside recovery;
   * grow cwnd (slow start below ssthresh, else congestion avoidance).
   * cwnd never shrinks here.  srtt_us 0 means no RTT sample yet (CUBIC
   * then aims at W_cubic(t) rather than W_cubic(t + RTT)).  now_ns
   * should not go backwards; if it does, CUBIC takes t = 0. */
  void (*on_ack)(struct zn__tcp_cc *cc, uint32_t acked, uint64_t now_ns,
                 uint32_t srtt_us);
  /* Loss detected by duplicate ACKs / SACK (entering recovery):
   * ssthresh and cwnd drop, cwnd = ssthresh (the engine adds the 3 SMSS
   * of classic fast recovery itself, or nothing with SACK/RFC 6675).
   * flight: bytes in flight.
   *   NewReno ssthresh = max(flight / 2, 2 SMSS)          (RFC 5681 eqn 4)
   *   CUBIC   ssthresh = max(min(cwnd, flight) * 0.7, 2 SMSS); W_max from
   *           cwnd with fast convergence; the epoch ends (RFC 9438 §4.6:
   *           flight_size, or cwnd; the smaller never lets a loss grow
   *           cwnd, and never trusts a cwnd the flow did not use). */
  void (*on_loss)(struct zn__tcp_cc *cc, uint32_t flight, uint64_t now_ns);
  /* The retransmission timer expired: ssthresh from flight (NewReno
   * flight / 2, CUBIC flight * 0.7, at least 2 SMSS), cwnd = 1 MSS
   * (RFC 5681 §3.1 eqn 4 and after; RFC 9438 §4.8).  Taking flight, not
   * cwnd, keeps a repeated timeout from collapsing ssthresh to 2 SMSS.
   * CUBIC ends the epoch; the next one starts with K = 0. */
  void (*on_rto)(struct zn__tcp_cc *cc, uint32_t flight, uint64_t now_ns);
  /* Recovery ended (full ACK): cwnd = min(ssthresh, max(flight, SMSS) +
   * SMSS), RFC 6582 §3.2 step 3 option 1 (both algorithms): no burst
   * when little is in flight, and slow start brings cwnd back up to
   * ssthresh. */
  void (*on_recovery_end)(struct zn__tcp_cc *cc, uint32_t flight,
                          uint64_t now_ns);
  /* The last reduction for loss (on_loss, on_rto) was needless, the
   * retransmission spurious (RFC 3522): cwnd = max(cwnd, prior_cwnd),
   * ssthresh = max(ssthresh, prior_ssthresh), both as they were before
   * it; the next epoch starts afresh (both algorithms). */
  void (*on_undo)(struct zn__tcp_cc *cc, uint32_t prior_cwnd,
                  uint32_t prior_ssthresh);
  /* Nothing was sent for an RTO (RFC 5681 §4.1): cwnd = min(cwnd, rw),
   * the restart window; ssthresh = max(ssthresh, 3/4 cwnd) first (RFC
   * 2861 §3.1), so slow start takes the window back to most of what the
   * path was seen to carry; the next epoch starts afresh (CUBIC's clock
   * would count the idle time as growth, RFC 9438 §5.8). */
  void (*on_idle)(struct zn__tcp_cc *cc, uint32_t rw);
};

extern const struct zn__tcp_cc_ops zn__tcp_cc_cubic;
extern const struct zn__tcp_cc_ops zn__tcp_cc_newreno;

#endif
