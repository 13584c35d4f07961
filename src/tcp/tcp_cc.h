/*
 * Congestion control behind a small interface: the TCP engine decides
 * when loss happened and when recovery ends (RFC 5681/6582/6675); the
 * algorithm decides how cwnd and ssthresh move.  Units are bytes.
 *
 *   CUBIC   RFC 9438 (beta 0.7, C 0.4, fast convergence, the Reno-friendly
 *           region), the default
 *   NewReno RFC 5681 §3.1 with appropriate byte counting (RFC 3465, L=2)
 */
#ifndef ZN_TCP_CC_H
#define ZN_TCP_CC_H

#include <stdint.h>

struct zn__tcp_cc {
  const struct zn__tcp_cc_ops *ops;
  uint32_t cwnd;          /* bytes */
  uint32_t ssthresh;      /* bytes; UINT32_MAX until the first loss */
  uint32_t mss;           /* sender MSS, set by init */
  uint32_t ca_acked;      /* bytes acked toward the next CA increase */
  /* CUBIC state (RFC 9438 §4). */
  uint64_t epoch_ns;      /* start of the current congestion avoidance
                             epoch, 0 = not started */
  uint32_t w_max;         /* bytes, window before the last reduction */
  uint32_t w_last_max;    /* for fast convergence */
  uint32_t cwnd_epoch;    /* cwnd at the start of the epoch */
  uint32_t w_est;         /* Reno-friendly estimate, bytes */
  uint32_t k_ms;          /* K in ms */
};

struct zn__tcp_cc_ops {
  const char *name;
  /* Start: cwnd = initial window (RFC 6928 style: iw bytes), ssthresh
   * infinite. */
  void (*init)(struct zn__tcp_cc *cc, uint32_t mss, uint32_t iw);
  /* `acked` new bytes were cumulatively acknowledged outside recovery;
   * grow cwnd (slow start below ssthresh, else congestion avoidance).
   * srtt_us 0 means no RTT sample yet. */
  void (*on_ack)(struct zn__tcp_cc *cc, uint32_t acked, uint64_t now_ns,
                 uint32_t srtt_us);
  /* Loss detected by duplicate ACKs / SACK (entering recovery):
   * ssthresh and cwnd drop (cwnd = ssthresh).  flight: bytes in flight. */
  void (*on_loss)(struct zn__tcp_cc *cc, uint32_t flight, uint64_t now_ns);
  /* The retransmission timer expired: ssthresh from flight, cwnd = 1 MSS
   * (RFC 5681 §3.1 eqn 4 and after). */
  void (*on_rto)(struct zn__tcp_cc *cc, uint32_t flight, uint64_t now_ns);
  /* A spurious-looking event undone is not supported; recovery ended
   * (full ACK): cwnd settles (RFC 6582 §3.2 step 3). */
  void (*on_recovery_end)(struct zn__tcp_cc *cc, uint32_t flight,
                          uint64_t now_ns);
};

extern const struct zn__tcp_cc_ops zn__tcp_cc_cubic;
extern const struct zn__tcp_cc_ops zn__tcp_cc_newreno;

#endif
