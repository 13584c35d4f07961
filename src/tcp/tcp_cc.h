/*
 * Congestion control behind a small interface: the TCP engine decides
 * when loss happened and when recovery ends (RFC 5681/6582/6675); the
 * algorithm decides how cwnd and ssthresh move.  Units are bytes.
 *
 *   CUBIC   RFC 9438 (beta 0.7, C 0.4, fast convergence, the Reno-friendly
 *           region), the default
 *   NewReno RFC 5681 §3.1 with appropriate byte counting (RFC 3465, L=2)
 *   BBR     draft-ietf-ccwg-bbr (BBRv3), model-based: it sets cwnd and a
 *           pacing rate from a model of the path on every ACK's rate
 *           sample (tcp_bbr.c; the engine's side: on_ack_sample below)
 *
 * CUBIC and NewReno are integer-only (no floating point, no libm) and saturate instead
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

#include <stdbool.h>
#include <stdint.h>

/* BBR's states (draft-ietf-ccwg-bbr §4.1) and the phases of the ACKs
 * of a bandwidth probe (BBR.ack_phase), tcp_bbr.c. */
enum zn__bbr_state {
  ZN__BBR_STARTUP,
  ZN__BBR_DRAIN,
  ZN__BBR_PROBE_BW_DOWN,
  ZN__BBR_PROBE_BW_CRUISE,
  ZN__BBR_PROBE_BW_REFILL,
  ZN__BBR_PROBE_BW_UP,
  ZN__BBR_PROBE_RTT,
};

enum zn__bbr_ack_phase {
  ZN__BBR_ACKS_INIT,
  ZN__BBR_ACKS_REFILLING,
  ZN__BBR_ACKS_PROBE_STARTING,
  ZN__BBR_ACKS_PROBE_FEEDBACK,
  ZN__BBR_ACKS_PROBE_STOPPING,
};

/* A windowed maximum over a count (Kathleen Nichols' filter, as the
 * draft asks for BBR.extra_acked): the best, second and third best
 * samples of the window, each with its count. */
struct zn__tcp_maxfilt {
  uint32_t v[3];
  uint32_t t[3];
};

/* BBR's model and state (draft-ietf-ccwg-bbr §2, the names without the
 * "BBR." prefix).  Rates are bytes/s, volumes bytes (UINT32_MAX and
 * UINT64_MAX: "Infinity"), times the stack's clock in ns. */
struct zn__tcp_bbr {
  uint64_t max_bw_slot[2];     /* the max filter: this ProbeBW cycle's and
                                  the last one's (cycle_count parity) */
  uint64_t max_bw;
  uint64_t bw;                 /* min(max_bw, bw_shortterm) */
  uint64_t bw_shortterm;
  uint64_t bw_latest;
  uint64_t full_bw;
  uint64_t undo_bw_shortterm;
  uint64_t min_rtt_stamp;
  uint64_t probe_rtt_min_stamp;
  uint64_t probe_rtt_done_stamp; /* 0: not set */
  uint64_t cycle_stamp;
  uint64_t extra_acked_start;  /* extra_acked_interval_start */
  struct zn__tcp_maxfilt extra_acked_filter;
  uint32_t min_rtt_us;         /* UINT32_MAX: no sample yet */
  uint32_t probe_rtt_min_us;
  uint32_t inflight_longterm;
  uint32_t inflight_shortterm;
  uint32_t inflight_latest;
  uint32_t undo_inflight_shortterm;
  uint32_t undo_inflight_longterm;
  uint32_t prior_cwnd;
  uint32_t extra_acked;
  uint32_t extra_acked_delivered;
  uint32_t next_round_delivered;
  uint32_t loss_round_delivered;
  uint32_t round_count;
  uint32_t rounds_since_probe_up;
  uint32_t drain_start_round;
  uint32_t recovery_round;     /* round_count when loss recovery began */
  uint32_t bw_probe_up_acked;
  uint32_t probe_up_acked_per_inc;
  uint32_t bw_probe_wait_ms;
  uint32_t initial_cwnd;       /* C.InitialCwnd */
  uint32_t delivered;          /* C.delivered at the last event */
  uint8_t state;               /* enum zn__bbr_state */
  uint8_t undo_state;          /* ...; ZN__BBR_UNDO_NONE: none */
  uint8_t ack_phase;           /* enum zn__bbr_ack_phase */
  uint8_t cycle_count;         /* one bit is all the max filter needs */
  uint8_t bw_probe_up_rounds;
  uint8_t full_bw_count;
  uint8_t loss_events_in_round; /* ranges marked lost this round (<= 255) */
  bool round_start;
  bool idle_restart;
  bool full_bw_reached;
  bool full_bw_now;
  bool is_bw_probe_sample;
  bool is_loss_in_round;
  bool loss_round_start;
  bool prev_probe_too_high;
  bool prev_probe_precautionary;
  bool probe_rtt_round_done;
  bool probe_rtt_expired;
  bool in_recovery;            /* InLossRecovery(), from the events */
  bool cwnd_limited;           /* C.is_cwnd_limited: this round ... */
  bool cwnd_limited_prev;      /* ... or the last */
  bool delivered_iw;           /* C.delivered has reached InitialCwnd */
  bool clock_on;               /* the stamps are set (first event) */
  bool has_rtt;                /* the pacing rate was set from an RTT */
};

#define ZN__BBR_UNDO_NONE 0xffu

struct zn__tcp_cc {
  const struct zn__tcp_cc_ops *ops;
  uint32_t cwnd;          /* bytes, >= mss */
  uint32_t ssthresh;      /* bytes; UINT32_MAX until the first loss
                             (BBR: always) */
  uint32_t mss;           /* sender MSS, set by init (0 is taken as 1) */
  uint32_t rng;           /* random state the engine seeds before init
                             (BBR's randomised probe wait) */
  uint64_t pacing_rate;   /* bytes/s, set by a model-based controller;
                             0 for the others (the engine's rule) */
  union {
    struct {
      uint32_t ca_acked;      /* NewReno: bytes acked toward the next CA
                                 increase; CUBIC: remainder of the last
                                 increase, in 1/cwnd bytes (< cwnd) */
      /* CUBIC state (RFC 9438 §4). */
      uint64_t epoch_ns;      /* start of the current congestion
                                 avoidance epoch (while epoch_on) */
      uint64_t w_est_rem;     /* remainder of W_est growth, in
                                 1/(17 cwnd) bytes */
      uint32_t w_max;         /* bytes, window before the last reduction
                                 (after fast convergence, §4.7) */
      uint32_t cwnd_prior;    /* bytes, cwnd when ssthresh was last set */
      uint32_t cwnd_epoch;    /* cwnd at the start of the epoch */
      uint32_t w_est;         /* Reno-friendly estimate, bytes (§4.3) */
      uint32_t k;             /* K in units of 2^-16 s (§4.2, Figure 2) */
      uint8_t epoch_on;       /* a congestion avoidance epoch is running */
      uint8_t after_rto;      /* next epoch is the first after an RTO */
    };
    /* BBR's model: a block the engine lends the connection for its
     * life (tcp_model.c), 240 bytes no CUBIC connection carries. */
    struct zn__tcp_bbr *bbr;
  };
};

/* What one ACK told a model-based controller: the delivery rate
 * estimator's sample (draft-cheng-iccrg-delivery-rate-estimation, the
 * draft's RS) and the connection's state after the ACK was taken in. */
struct zn__tcp_cc_ack {
  uint64_t now_ns;
  uint64_t delivery_rate;      /* RS.delivery_rate, bytes/s (rate_valid) */
  uint32_t delivered;          /* C.delivered, bytes modulo 2^32 */
  uint32_t prior_delivered;    /* P.delivered of the newest packet the
                                  ACK delivered (has_p) */
  uint32_t rs_delivered;       /* RS.delivered (has_p) */
  uint32_t rs_lost;            /* RS.lost: lost since P was sent */
  uint32_t tx_in_flight;       /* RS.tx_in_flight */
  uint32_t newly_acked;        /* RS.newly_acked (RFC 6937 DeliveredData) */
  uint32_t newly_lost;         /* RS.newly_lost */
  uint32_t inflight;           /* C.inflight after the ACK */
  uint32_t rtt_us;             /* RS.rtt (0: none: P was resent) */
  uint32_t srtt_us;            /* 0: no RTT sample yet */
  bool has_p;                  /* the ACK delivered a packet */
  bool rate_valid;             /* delivery_rate is a sample */
  bool app_limited;            /* RS.is_app_limited */
  bool cwnd_limited;           /* the last output stopped at cwnd */
  bool sack;                   /* C.has_selective_acks */
  bool ece;                    /* the ACK echoed congestion (RFC 3168) */
};

/* A range the engine takes as lost (the draft's HandleLostPacket(P)): P's
 * size, what was in flight when it was sent and what has been lost since
 * (RS.tx_in_flight and RS.lost as the draft recomputes them for P). */
struct zn__tcp_cc_lost {
  uint64_t now_ns;
  uint32_t size;
  uint32_t tx_in_flight;
  uint32_t lost;
  uint32_t delivered;          /* C.delivered now */
  bool app_limited;            /* P.is_app_limited */
  bool sack;                   /* C.has_selective_acks */
};

/* on_ack_sample's answer: the controller asks the engine to mark the
 * connection application-limited (MarkConnectionAppLimited: ProbeRTT's
 * low-rate samples must not lower the bandwidth model). */
#define ZN__CC_MARK_APP_LIMITED 1u

/* Saturating arithmetic the controllers share (tcp_cc.c, tcp_bbr.c):
 * windows are uint32 bytes that saturate rather than wrap. */
static inline uint32_t zn__cc_sat32(uint64_t x) {
  return x > UINT32_MAX ? UINT32_MAX : (uint32_t)x;
}

static inline uint64_t zn__cc_mul_sat(uint64_t a, uint64_t b) {
  if (a != 0 && b > UINT64_MAX / a)
    return UINT64_MAX;
  return a * b;
}

static inline uint32_t zn__cc_min32(uint32_t a, uint32_t b) {
  return a < b ? a : b;
}

static inline uint32_t zn__cc_max32(uint32_t a, uint32_t b) {
  return a > b ? a : b;
}

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
  /* (NULL: nothing; BBR keeps its window, draft-ietf-ccwg-bbr §4.4.)
   * Nothing was sent for an RTO (RFC 5681 §4.1): cwnd = min(cwnd, rw),
   * the restart window; ssthresh = max(ssthresh, 3/4 cwnd) first (RFC
   * 2861 §3.1), so slow start takes the window back to most of what the
   * path was seen to carry; the next epoch starts afresh (CUBIC's clock
   * would count the idle time as growth, RFC 9438 §5.8). */
  void (*on_idle)(struct zn__tcp_cc *cc, uint32_t rw);
  /* Model-based controllers (BBR; NULL for the others).  A model-based
   * controller sets cwnd and pacing_rate itself on every ACK
   * (on_ack_sample, called once per ACK after the rate sample is made):
   * the engine then applies no proportional rate reduction (RFC 6937)
   * and no NewReno inflation in recovery, and paces at pacing_rate.  It
   * is told of each range taken as lost (on_lost), and of a send with
   * nothing in flight (on_transmit, before it: restarting from idle). */
  bool model_based;
  uint32_t (*on_ack_sample)(struct zn__tcp_cc *cc,
                            const struct zn__tcp_cc_ack *a);
  void (*on_lost)(struct zn__tcp_cc *cc, const struct zn__tcp_cc_lost *l);
  void (*on_transmit)(struct zn__tcp_cc *cc, bool app_limited,
                      uint64_t now_ns);
};

extern const struct zn__tcp_cc_ops zn__tcp_cc_cubic;
extern const struct zn__tcp_cc_ops zn__tcp_cc_newreno;
extern const struct zn__tcp_cc_ops zn__tcp_cc_bbr;

/* The controller of an enum zn_tcp_cc_algo value, NULL for none. */
const struct zn__tcp_cc_ops *zn__tcp_cc_ops_of(unsigned algo);

#endif
