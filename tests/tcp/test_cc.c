/*
 * Tests of src/tcp/tcp_cc.c.
 *
 * NewReno: slow start doubling per RTT, the RFC 3465 limit, byte-counted
 * congestion avoidance, the loss/RTO/recovery-end equations, saturation.
 * CUBIC: an ACK-clock simulation checked against a double-precision model
 * of RFC 9438 written here from the RFC's formulas, and against closed
 * forms (K, the window back at W_max at t = K, concave then convex, the
 * Reno-friendly rate, fast convergence, beta, RTO).  Both: random event
 * sequences keep the invariants (cwnd >= 1 MSS, ssthresh >= 2 MSS after a
 * reduction, no wrap).
 */
#include <math.h>
#include <stdint.h>

#include "tcp/tcp_cc.h"
#include "znet.h"
#include "zt.h"

#define MSS 1460u
#define NS_PER_MS UINT64_C(1000000)
#define NS_PER_S UINT64_C(1000000000)

static const struct zn__tcp_cc_ops *const nr = &zn__tcp_cc_newreno;
static const struct zn__tcp_cc_ops *const cu = &zn__tcp_cc_cubic;

static uint32_t two_mss(uint32_t mss) {
  return (uint64_t)mss * 2 > UINT32_MAX ? UINT32_MAX : mss * 2;
}

/* ---- NewReno ------------------------------------------------------------ */

ZT_TEST(test_names_and_init) {
  struct zn__tcp_cc cc;
  ZT_STREQ(nr->name, "newreno");
  ZT_STREQ(cu->name, "cubic");
  const struct zn__tcp_cc_ops *algos[2] = {nr, cu};
  for (int i = 0; i < 2; i++) {
    algos[i]->init(&cc, MSS, 10 * MSS);
    ZT_CHECK(cc.ops == algos[i]);
    ZT_EQU(cc.cwnd, 10 * MSS);
    ZT_EQU(cc.ssthresh, UINT32_MAX);
    ZT_EQU(cc.mss, MSS);
    /* An initial window below one MSS is raised to one MSS. */
    algos[i]->init(&cc, MSS, 100);
    ZT_EQU(cc.cwnd, MSS);
    algos[i]->init(&cc, 0, 0);
    ZT_EQU(cc.mss, 1);
    ZT_EQU(cc.cwnd, 1);
  }
}

/* The table (ZN_TCP_CC_MAP): each name to its value and back, an
 * unknown name or value refused (out untouched), the controller of each
 * value, and a stack configured with no such algorithm refused. */
ZT_TEST(test_algorithm_table) {
  static const char *const names[] = {"cubic", "newreno", "bbr"};
  for (unsigned i = 0; i < 3; i++) {
    enum zn_tcp_cc_algo a = (enum zn_tcp_cc_algo)99;
    ZT_EQ(zn_tcp_cc_by_name(names[i], &a), ZN_OK);
    ZT_EQU(a, i);
    ZT_STREQ(zn_tcp_cc_name(a), names[i]);
    ZT_STREQ(zn__tcp_cc_ops_of(i)->name, names[i]);
  }
  enum zn_tcp_cc_algo a = ZN_TCP_CC_BBR;
  static const char *const bad[] = {"", "cub", "cubic2", "BBR", "reno"};
  for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
    ZT_EQ(zn_tcp_cc_by_name(bad[i], &a), ZN_EINVAL);
  ZT_EQ(zn_tcp_cc_by_name(NULL, &a), ZN_EINVAL);
  ZT_EQU(a, ZN_TCP_CC_BBR);
  ZT_CHECK(zn_tcp_cc_name((enum zn_tcp_cc_algo)3) == NULL);
  ZT_CHECK(zn__tcp_cc_ops_of(3) == NULL);
  struct zn_config cfg;
  zn_config_default(&cfg);
  ZT_CHECK(zn_stack_mem_size(&cfg) > 0);
  cfg.tcp_cc = ZN_TCP_CC_BBR;
  ZT_CHECK(zn_stack_mem_size(&cfg) > 0);
  cfg.tcp_cc = 3;
  ZT_EQU(zn_stack_mem_size(&cfg), 0);
}

/* One round trip of ACKs: every segment of the window at the start of the
 * round acked `per_ack` bytes at a time. */
static void round_of_acks(struct zn__tcp_cc *cc, uint32_t per_ack,
                          uint64_t *now) {
  uint32_t n = cc->cwnd / per_ack;
  for (uint32_t i = 0; i < n; i++) {
    *now += NS_PER_MS;
    cc->ops->on_ack(cc, per_ack, *now, 100000);
  }
}

ZT_TEST(test_slow_start_doubles_per_rtt) {
  const struct zn__tcp_cc_ops *algos[2] = {nr, cu};
  for (int a = 0; a < 2; a++) {
    struct zn__tcp_cc cc;
    uint64_t now = 0;
    /* One ACK per segment and delayed ACKs (2 segments each, L = 2)
     * both double the window every round trip. */
    for (uint32_t per = 1; per <= 2; per++) {
      algos[a]->init(&cc, MSS, 10 * MSS);
      for (int r = 1; r <= 8; r++) {
        round_of_acks(&cc, per * MSS, &now);
        ZT_EQU(cc.cwnd, (10u * MSS) << r);
      }
    }
    /* Stretch ACKs of 4 segments add only 2 SMSS each: 1.5x per round. */
    algos[a]->init(&cc, MSS, 16 * MSS);
    round_of_acks(&cc, 4 * MSS, &now);
    ZT_EQU(cc.cwnd, 24 * MSS);
    round_of_acks(&cc, 4 * MSS, &now);
    ZT_EQU(cc.cwnd, 36 * MSS);
  }
}

ZT_TEST(test_slow_start_byte_counting_limits) {
  const struct zn__tcp_cc_ops *algos[2] = {nr, cu};
  for (int a = 0; a < 2; a++) {
    struct zn__tcp_cc cc;
    algos[a]->init(&cc, MSS, 10 * MSS);
    algos[a]->on_ack(&cc, 100, 1, 0); /* a small ACK adds what it acks */
    ZT_EQU(cc.cwnd, 10 * MSS + 100);
    algos[a]->on_ack(&cc, 10 * MSS, 2, 0); /* at most 2 SMSS (RFC 3465) */
    ZT_EQU(cc.cwnd, 12 * MSS + 100);
    algos[a]->on_ack(&cc, UINT32_MAX, 3, 0);
    ZT_EQU(cc.cwnd, 14 * MSS + 100);
    algos[a]->on_ack(&cc, 0, 4, 0);
    ZT_EQU(cc.cwnd, 14 * MSS + 100);
  }
}

ZT_TEST(test_newreno_slow_start_stops_at_ssthresh) {
  struct zn__tcp_cc cc;
  nr->init(&cc, MSS, 10 * MSS);
  nr->on_loss(&cc, 40 * MSS, 0); /* ssthresh = cwnd = 20 MSS */
  nr->on_recovery_end(&cc, 10 * MSS, 0); /* cwnd = 11 MSS */
  ZT_EQU(cc.cwnd, 11 * MSS);
  ZT_EQU(cc.ssthresh, 20 * MSS);
  for (int i = 0; i < 4; i++)
    nr->on_ack(&cc, 2 * MSS, 0, 0);
  ZT_EQU(cc.cwnd, 19 * MSS);
  /* 2 SMSS acked: one reaches ssthresh, the other counts toward CA. */
  nr->on_ack(&cc, 2 * MSS, 0, 0);
  ZT_EQU(cc.cwnd, 20 * MSS);
  ZT_EQU(cc.ca_acked, MSS);
  nr->on_ack(&cc, 2 * MSS, 0, 0); /* CA: no SMSS-per-ACK growth */
  ZT_EQU(cc.cwnd, 20 * MSS);
  ZT_EQU(cc.ca_acked, 3 * MSS);
}

ZT_TEST(test_newreno_congestion_avoidance) {
  struct zn__tcp_cc cc;
  nr->init(&cc, MSS, 10 * MSS);
  nr->on_loss(&cc, 40 * MSS, 0);
  nr->on_recovery_end(&cc, 40 * MSS, 0);
  ZT_EQU(cc.cwnd, 20 * MSS);
  /* One SMSS per cwnd of acked bytes, exactly at the cwnd-th byte. */
  for (int i = 0; i < 19; i++)
    nr->on_ack(&cc, MSS, 0, 0);
  ZT_EQU(cc.cwnd, 20 * MSS);
  nr->on_ack(&cc, MSS, 0, 0);
  ZT_EQU(cc.cwnd, 21 * MSS);
  ZT_EQU(cc.ca_acked, 0);
  /* Ten more round trips, acked in odd pieces: +1 SMSS each. */
  uint32_t w = cc.cwnd;
  for (int r = 0; r < 10; r++) {
    uint32_t left = cc.cwnd;
    while (left > 0) {
      uint32_t piece = left < 333 ? left : 333;
      nr->on_ack(&cc, piece, 0, 0);
      left -= piece;
    }
    w += MSS;
    ZT_EQU(cc.cwnd, w);
  }
  /* A stretch ACK of three windows adds three SMSS. */
  nr->on_ack(&cc, 3 * cc.cwnd, 0, 0);
  ZT_EQU(cc.cwnd, w + 3 * MSS);
  ZT_CHECK(cc.ca_acked < cc.cwnd);
}

ZT_TEST(test_newreno_loss_rto_recovery_end) {
  struct zn__tcp_cc cc;
  nr->init(&cc, MSS, 10 * MSS);
  /* RFC 5681 eqn 4 from FlightSize, not cwnd. */
  nr->on_loss(&cc, 30001, 0);
  ZT_EQU(cc.ssthresh, 15000);
  ZT_EQU(cc.cwnd, 15000);
  nr->on_loss(&cc, 3 * MSS, 0);
  ZT_EQU(cc.ssthresh, 2 * MSS);
  ZT_EQU(cc.cwnd, 2 * MSS);
  nr->on_loss(&cc, 0, 0);
  ZT_EQU(cc.ssthresh, 2 * MSS);
  /* RTO: the same ssthresh, cwnd = loss window = 1 SMSS. */
  nr->init(&cc, MSS, 10 * MSS);
  nr->on_rto(&cc, 50 * MSS, 0);
  ZT_EQU(cc.ssthresh, 25 * MSS);
  ZT_EQU(cc.cwnd, MSS);
  nr->on_rto(&cc, 50 * MSS, 0); /* a second timeout: flight unchanged */
  ZT_EQU(cc.ssthresh, 25 * MSS);
  nr->on_rto(&cc, MSS, 0);
  ZT_EQU(cc.ssthresh, 2 * MSS);
  ZT_EQU(cc.cwnd, MSS);
  /* Recovery end (RFC 6582 option 1). */
  nr->init(&cc, MSS, 10 * MSS);
  nr->on_loss(&cc, 40 * MSS, 0);
  cc.cwnd += 3 * MSS; /* the engine's fast-recovery inflation */
  nr->on_recovery_end(&cc, 30 * MSS, 0);
  ZT_EQU(cc.cwnd, 20 * MSS);
  nr->on_loss(&cc, 40 * MSS, 0);
  nr->on_recovery_end(&cc, 5 * MSS, 0);
  ZT_EQU(cc.cwnd, 6 * MSS);
  nr->on_recovery_end(&cc, 0, 0);
  ZT_EQU(cc.cwnd, 2 * MSS);
  /* ... then slow start back to ssthresh. */
  round_of_acks(&cc, MSS, &(uint64_t){0});
  ZT_EQU(cc.cwnd, 4 * MSS);
}

ZT_TEST(test_saturation) {
  const struct zn__tcp_cc_ops *algos[2] = {nr, cu};
  for (int a = 0; a < 2; a++) {
    struct zn__tcp_cc cc;
    algos[a]->init(&cc, MSS, UINT32_MAX - 100);
    algos[a]->on_ack(&cc, 2 * MSS, 1, 1000);
    ZT_EQU(cc.cwnd, UINT32_MAX);
    for (int i = 0; i < 10; i++) {
      algos[a]->on_ack(&cc, UINT32_MAX, (uint64_t)i * NS_PER_S, 1000);
      ZT_EQU(cc.cwnd, UINT32_MAX);
      ZT_CHECK(cc.ca_acked < cc.cwnd);
    }
    algos[a]->on_loss(&cc, UINT32_MAX, 0);
    ZT_CHECK(cc.ssthresh >= 2 * MSS && cc.cwnd == cc.ssthresh);
    ZT_CHECK(cc.ssthresh <= (uint64_t)UINT32_MAX * 7 / 10);
    algos[a]->on_recovery_end(&cc, UINT32_MAX, 0);
    ZT_EQU(cc.cwnd, cc.ssthresh);
    /* Congestion avoidance from near the top, hours later. */
    for (int i = 0; i < 100; i++) {
      uint32_t before = cc.cwnd;
      algos[a]->on_ack(&cc, UINT32_MAX, UINT64_C(3600) * NS_PER_S * (uint64_t)i,
                       UINT32_MAX);
      ZT_CHECK(cc.cwnd >= before);
    }
    if (algos[a] == cu) /* NewReno adds only 1 SMSS per window acked */
      ZT_EQU(cc.cwnd, UINT32_MAX);
    algos[a]->on_ack(&cc, UINT32_MAX, UINT64_MAX, UINT32_MAX);
    if (algos[a] == cu)
      ZT_EQU(cc.cwnd, UINT32_MAX);
    algos[a]->on_rto(&cc, UINT32_MAX, UINT64_MAX);
    ZT_EQU(cc.cwnd, MSS);
    /* The largest MSS: 2 MSS saturates. */
    algos[a]->init(&cc, UINT32_MAX, 0);
    ZT_EQU(cc.cwnd, UINT32_MAX);
    algos[a]->on_loss(&cc, 1000, 0);
    ZT_EQU(cc.ssthresh, UINT32_MAX);
    algos[a]->on_rto(&cc, 1000, 0);
    ZT_EQU(cc.cwnd, UINT32_MAX);
    algos[a]->on_ack(&cc, UINT32_MAX, 5, UINT32_MAX);
    ZT_EQU(cc.cwnd, UINT32_MAX);
    /* MSS 1 and a 4 GB window: K is near its largest (about 2200 s). */
    algos[a]->init(&cc, 1, UINT32_MAX);
    algos[a]->on_loss(&cc, UINT32_MAX, 0);
    algos[a]->on_ack(&cc, 1, 1, 0);
    if (algos[a] == cu) {
      double k = cbrt(0.3 * UINT32_MAX / 0.4);
      ZT_CHECK(fabs(cc.k / 65536.0 - k) < 1e-6 * k);
    }
    for (uint64_t t = 0; t < 10000; t += 7) {
      uint32_t before = cc.cwnd;
      algos[a]->on_ack(&cc, UINT32_MAX, t * NS_PER_S, 0);
      ZT_CHECK(cc.cwnd >= before);
    }
    if (algos[a] == cu)
      ZT_EQU(cc.cwnd, UINT32_MAX);
  }
}

/* ---- CUBIC: the double-precision model of RFC 9438 ---------------------- */

static uint64_t rng_state_k;
static uint64_t knext(void) { /* splitmix64 */
  uint64_t z = (rng_state_k += UINT64_C(0x9e3779b97f4a7c15));
  z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
  return z ^ (z >> 31);
}

#define BETA 0.7
#define C_CUBIC 0.4
#define ALPHA (3.0 * (1.0 - BETA) / (1.0 + BETA))

/* Windows in segments, time in seconds. */
struct ref {
  double mss, cwnd, ssthresh, w_max, cwnd_prior, cwnd_epoch, w_est, k, epoch;
  int epoch_on, after_rto;
};

static void ref_init(struct ref *r, double mss, double iw_bytes) {
  r->mss = mss;
  r->cwnd = iw_bytes / mss;
  r->ssthresh = INFINITY;
  r->w_max = r->cwnd_prior = r->cwnd_epoch = r->w_est = r->k = 0;
  r->epoch = 0;
  r->epoch_on = r->after_rto = 0;
}

/* Figure 1 */
static double ref_w_cubic(const struct ref *r, double t) {
  return C_CUBIC * pow(t - r->k, 3) + r->w_max;
}

static void ref_ack(struct ref *r, double acked_bytes, double now,
                    double rtt) {
  double segs = acked_bytes / r->mss;
  if (r->cwnd < r->ssthresh) {
    double inc = fmin(fmin(segs, 2.0), r->ssthresh - r->cwnd);
    r->cwnd += inc;
    segs = r->cwnd < r->ssthresh ? 0 : segs - inc;
  }
  if (segs <= 0)
    return;
  if (!r->epoch_on) {
    r->epoch_on = 1;
    r->epoch = now;
    r->cwnd_epoch = r->w_est = r->cwnd;
    if (r->after_rto || r->w_max <= r->cwnd) { /* §4.8 */
      r->w_max = r->cwnd;
      r->k = 0;
    } else {
      r->k = cbrt((r->w_max - r->cwnd_epoch) / C_CUBIC); /* Figure 2 */
    }
    r->after_rto = 0;
  }
  double t = now - r->epoch;
  double alpha = r->w_est >= r->cwnd_prior ? 1.0 : ALPHA;
  r->w_est += alpha * segs / r->cwnd; /* Figure 4 */
  if (ref_w_cubic(r, t) < r->w_est) {
    r->cwnd = fmax(r->cwnd, r->w_est);
    return;
  }
  double target = ref_w_cubic(r, t + rtt);
  target = fmin(fmax(target, r->cwnd), 1.5 * r->cwnd);
  r->cwnd += fmin(segs * (target - r->cwnd) / r->cwnd, target - r->cwnd);
}

static void ref_loss(struct ref *r, double flight_bytes) {
  r->w_max = r->cwnd < r->w_max ? r->cwnd * (1.0 + BETA) / 2.0 : r->cwnd;
  r->cwnd_prior = r->cwnd;
  r->ssthresh = fmax(fmin(r->cwnd, flight_bytes / r->mss) * BETA, 2.0);
  r->cwnd = r->ssthresh;
  r->epoch_on = r->after_rto = 0;
}

static void ref_rto(struct ref *r, double flight_bytes) {
  r->cwnd_prior = r->cwnd;
  r->ssthresh = fmax(flight_bytes / r->mss * BETA, 2.0);
  r->cwnd = 1;
  r->epoch_on = 0;
  r->after_rto = 1;
}

static void ref_recovery_end(struct ref *r, double flight_bytes) {
  r->cwnd = fmin(r->ssthresh, fmax(flight_bytes / r->mss, 1.0) + 1.0);
}

/* The implementation and the model side by side on one ACK clock. */
struct sim {
  struct zn__tcp_cc cc;
  struct ref r;
  uint64_t now;     /* ns */
  uint32_t rtt_us;
  double max_err;   /* largest |cwnd - model| seen, in segments */
};

static void sim_init(struct sim *s, uint32_t mss, uint32_t w_segs,
                     uint32_t rtt_ms) {
  cu->init(&s->cc, mss, w_segs * mss);
  ref_init(&s->r, mss, (double)w_segs * mss);
  s->now = 5 * NS_PER_S;
  s->rtt_us = rtt_ms * 1000;
  s->max_err = 0;
}

static double sim_t(const struct sim *s) {
  return (double)s->now / 1e9;
}

static double cwnd_segs(const struct sim *s) {
  return (double)s->cc.cwnd / s->cc.mss;
}

static void sim_loss(struct sim *s) {
  uint32_t flight = s->cc.cwnd;
  cu->on_loss(&s->cc, flight, s->now);
  ref_loss(&s->r, flight);
  /* Recovery takes a round trip; then a full ACK with a full window out. */
  s->now += (uint64_t)s->rtt_us * 1000;
  cu->on_recovery_end(&s->cc, s->cc.cwnd, s->now);
  ref_recovery_end(&s->r, s->cc.cwnd);
}

/* One round trip: the window at its start acked one segment at a time,
 * the ACKs spread evenly.  Checks the implementation against the model
 * after the round: within 0.05 segment + 0.001% (the fixed point's own
 * error is below 0.005 segment over these runs). */
static void sim_round(struct sim *s) {
  uint32_t n = s->cc.cwnd / s->cc.mss;
  if (n == 0)
    n = 1;
  uint64_t step = (uint64_t)s->rtt_us * 1000 / n;
  for (uint32_t i = 0; i < n; i++) {
    s->now += step;
    cu->on_ack(&s->cc, s->cc.mss, s->now, s->rtt_us);
    ref_ack(&s->r, s->cc.mss, sim_t(s), s->rtt_us / 1e6);
  }
  double err = fabs(cwnd_segs(s) - s->r.cwnd);
  if (err > s->max_err)
    s->max_err = err;
  if (err > 0.05 + 1e-5 * s->r.cwnd)
    zt_fail(__FILE__, __LINE__, "t=%.3f cwnd %.3f segs, model %.3f",
            sim_t(s) - s->r.epoch, cwnd_segs(s), s->r.cwnd);
}

ZT_TEST(test_cubic_loss_beta) {
  struct zn__tcp_cc cc;
  cu->init(&cc, MSS, 100 * MSS);
  cu->on_loss(&cc, 100 * MSS, 0);
  ZT_EQU(cc.w_max, 100 * MSS);
  ZT_EQU(cc.cwnd_prior, 100 * MSS);
  ZT_EQU(cc.ssthresh, 70 * MSS);
  ZT_EQU(cc.cwnd, 70 * MSS);
  /* Less in flight than cwnd: ssthresh from the flight (RFC 9438 §4.6). */
  cu->init(&cc, MSS, 100 * MSS);
  cu->on_loss(&cc, 50 * MSS, 0);
  ZT_EQU(cc.ssthresh, 35 * MSS);
  ZT_EQU(cc.w_max, 100 * MSS);
  /* More in flight than cwnd: cwnd is used, a loss never grows cwnd. */
  cu->init(&cc, MSS, 10 * MSS);
  cu->on_loss(&cc, 100 * MSS, 0);
  ZT_EQU(cc.ssthresh, 7 * MSS);
  /* Floor at 2 SMSS. */
  cu->on_loss(&cc, 2 * MSS, 0);
  ZT_EQU(cc.ssthresh, 2 * MSS);
  ZT_EQU(cc.cwnd, 2 * MSS);
  cu->on_loss(&cc, 0, 0);
  ZT_EQU(cc.cwnd, 2 * MSS);
  cu->on_recovery_end(&cc, 0, 0);
  ZT_EQU(cc.cwnd, 2 * MSS);
  cu->on_recovery_end(&cc, 0, 0);
  /* Recovery end: RFC 6582 option 1. */
  cu->init(&cc, MSS, 100 * MSS);
  cu->on_loss(&cc, 100 * MSS, 0);
  cu->on_recovery_end(&cc, 10 * MSS, 0);
  ZT_EQU(cc.cwnd, 11 * MSS);
  cu->on_recovery_end(&cc, 100 * MSS, 0);
  ZT_EQU(cc.cwnd, 70 * MSS);
}

/* K (Figure 2) for W_max of 10 to 10000 segments and a few MSS. */
ZT_TEST(test_cubic_k) {
  static const uint32_t mss[] = {536, 1460, 8960, 65495};
  static const uint32_t w[] = {3, 10, 100, 1000, 10000, 100000};
  for (size_t m = 0; m < sizeof mss / sizeof mss[0]; m++) {
    for (size_t i = 0; i < sizeof w / sizeof w[0]; i++) {
      struct zn__tcp_cc cc;
      if ((uint64_t)w[i] * mss[m] > UINT32_MAX)
        continue;
      cu->init(&cc, mss[m], w[i] * mss[m]);
      cu->on_loss(&cc, cc.cwnd, 0);
      cu->on_ack(&cc, 1, 1, 0); /* starts the epoch */
      double gap = (double)(cc.w_max - cc.cwnd_epoch) / mss[m];
      double k = cbrt(gap / C_CUBIC);
      double k_closed = cbrt(w[i] * (1 - BETA) / C_CUBIC);
      double got = cc.k / 65536.0;
      if (fabs(got - k) > 1e-6 * k + 1.0 / 65536)
        zt_fail(__FILE__, __LINE__, "mss %u W_max %u: K %.6f, want %.6f",
                mss[m], w[i], got, k);
      ZT_CHECK(fabs(got - k_closed) < 0.01 * k_closed);
      ZT_EQU(cc.cwnd_epoch, cc.ssthresh);
    }
  }
}

/* Start an epoch by hand: cwnd = ssthresh = `epoch`, W_max = epoch + gap. */
static void start_epoch(struct zn__tcp_cc *cc, uint32_t mss, uint32_t epoch,
                        uint32_t gap, uint64_t now) {
  cu->init(cc, mss, epoch);
  cc->ssthresh = cc->cwnd;
  cc->w_max = cc->cwnd + gap;
  cu->on_ack(cc, 1, now, 0);
}

/* K over the whole range of gaps and MSS the fixed point must handle:
 * from 1 byte to 4 GB, MSS 1 to 65535 (the integer cube root at every
 * scale of its normalised radicand). */
ZT_TEST(test_cubic_k_sweep) {
  rng_state_k = UINT64_C(12345);
  int n = 0;
  for (int i = 0; i < 20000; i++) {
    struct zn__tcp_cc cc;
    uint32_t mss = 1 + (uint32_t)(knext() % 65535);
    uint32_t gap = (uint32_t)(knext() >> (32 + knext() % 32));
    uint32_t epoch = mss + (uint32_t)(knext() % 1000000);
    if (gap == 0 || (uint64_t)epoch + gap > UINT32_MAX)
      continue;
    start_epoch(&cc, mss, epoch, gap, 1);
    double k = cbrt((double)gap / mss / C_CUBIC);
    double got = cc.k / 65536.0;
    /* 1e-6 relative, or 1 unit of 2^-16 s for the tiny ones. */
    if (fabs(got - k) > 1e-6 * k + 1.0 / 65536) {
      zt_fail(__FILE__, __LINE__, "gap %u mss %u: K %.7f, want %.7f", gap,
              mss, got, k);
      break;
    }
    n++;
  }
  ZT_CHECK(n > 10000);
}

/* Growth per round trip is at most (1.5 - 1) cwnd (the target clamp), and
 * one ACK never moves cwnd past the target, however much it acks. */
ZT_TEST(test_cubic_growth_clamps) {
  struct zn__tcp_cc cc;
  /* Past K by far (a long silence): the curve is far above 1.5 cwnd. */
  start_epoch(&cc, MSS, 100 * MSS, 10 * MSS, NS_PER_S);
  ZT_EQU(cc.cwnd, 100 * MSS);
  uint64_t now = 1000 * NS_PER_S;
  uint32_t w = cc.cwnd;
  for (int r = 0; r < 5; r++) {
    cu->on_ack(&cc, cc.cwnd, now, 100000); /* one ACK for the window */
    w = w + w / 2;
    ZT_EQU(cc.cwnd, w);
  }
  for (int r = 0; r < 3; r++) {
    cu->on_ack(&cc, 3 * cc.cwnd, now, 100000); /* a stretch ACK */
    w = w + w / 2;
    ZT_EQU(cc.cwnd, w);
  }
  /* Half a window acked: half the step. */
  cu->on_ack(&cc, cc.cwnd / 2, now, 100000);
  ZT_CHECK(cc.cwnd + 1 >= w + w / 4 && cc.cwnd <= w + w / 4 + 1);
}

/* The ACK-clock simulation against the model, for RTT 10 and 100 ms and
 * W_max 10 to 10000 segments, from a loss to twice K (or the time Reno
 * takes to come back, if longer).  Where CUBIC's curve dominates, also
 * the closed forms: back to W_max at t = K, concave before, convex after,
 * cwnd between W_cubic(t) and W_cubic(t + RTT). */
ZT_TEST(test_cubic_against_model) {
  static const uint32_t rtts[] = {10, 100};
  static const uint32_t ws[] = {10, 100, 1000, 10000};
  for (size_t ri = 0; ri < 2; ri++) {
    for (size_t wi = 0; wi < 4; wi++) {
      static struct sim s;
      uint32_t w = ws[wi], rtt_ms = rtts[ri];
      double rtt = rtt_ms / 1000.0;
      double k = cbrt(w * (1 - BETA) / C_CUBIC);
      /* Reno-friendly time back to W_max: 0.3 W at alpha then at 1. */
      double reno = (1 - BETA) * w / ALPHA * rtt;
      int cubic_wins = reno > 2 * k;
      sim_init(&s, MSS, w, rtt_ms);
      sim_loss(&s);
      double t_end = fmin(2 * k, 60.0);
      double g1 = 0, g2 = 0, g3 = 0, g4 = 0; /* growth per quarter */
      double at_half = 0, at_k = 0, at_3half = 0;
      double epoch = -1;
      while (epoch < 0 || sim_t(&s) - epoch < t_end) {
        double before = cwnd_segs(&s);
        sim_round(&s);
        if (epoch < 0 && s.cc.epoch_on)
          epoch = (double)s.cc.epoch_ns / 1e9;
        if (epoch < 0)
          continue;
        double t = sim_t(&s) - epoch, g = cwnd_segs(&s) - before;
        if (t < k / 2)
          g1 += g, at_half = cwnd_segs(&s);
        else if (t < k)
          g2 += g, at_k = cwnd_segs(&s);
        else if (t < 1.5 * k)
          g3 += g, at_3half = cwnd_segs(&s);
        else
          g4 += g;
        /* Between the curve one RTT back and the larger of the curve
         * one RTT ahead and the Reno estimate. */
        double lo = ref_w_cubic(&s.r, t - rtt) - 1;
        double hi = fmax(ref_w_cubic(&s.r, t + rtt), s.r.w_est) + 1;
        if (cwnd_segs(&s) < lo || cwnd_segs(&s) > hi)
          zt_fail(__FILE__, __LINE__,
                  "rtt %u W %u t %.3f: cwnd %.2f not in [%.2f, %.2f]",
                  rtt_ms, w, t, cwnd_segs(&s), lo, hi);
      }
      printf("# rtt %u ms W_max %u: K %.3f s, max |cwnd - model| %.4f "
             "segs, %s\n",
             rtt_ms, w, k, s.max_err, cubic_wins ? "cubic" : "reno-friendly");
      if (cubic_wins) {
        if (fabs(at_k - w) > 0.02 * w + 1)
          zt_fail(__FILE__, __LINE__, "rtt %u W %u: cwnd %.2f at t=K",
                  rtt_ms, w, at_k);
        ZT_CHECK(g1 > g2);         /* concave */
        ZT_CHECK(g3 < g4);         /* convex */
        ZT_CHECK(at_half < w);
        ZT_CHECK(at_3half > w);
      }
    }
  }
}

/* Small RTT x W: the Reno-friendly estimate leads, growing alpha = 9/17
 * segment per round trip, then 1 once past cwnd_prior. */
ZT_TEST(test_cubic_reno_friendly) {
  static struct sim s;
  sim_init(&s, MSS, 100, 10);
  sim_loss(&s);
  ZT_EQU(s.cc.cwnd, 70 * MSS);
  sim_round(&s); /* starts the epoch */
  double c0 = cwnd_segs(&s);
  for (int i = 0; i < 40; i++)
    sim_round(&s);
  double rate = (cwnd_segs(&s) - c0) / 40;
  ZT_CHECK(fabs(rate - ALPHA) < 0.03);
  ZT_CHECK(s.cc.cwnd == s.cc.w_est || s.cc.cwnd == s.cc.w_est + 1);
  /* 30 segments at 9/17 per round, then alpha = 1. */
  while (s.cc.w_est < s.cc.cwnd_prior)
    sim_round(&s);
  c0 = cwnd_segs(&s);
  for (int i = 0; i < 20; i++)
    sim_round(&s);
  rate = (cwnd_segs(&s) - c0) / 20;
  ZT_CHECK(fabs(rate - 1.0) < 0.03);
  double t = sim_t(&s) - (double)s.cc.epoch_ns / 1e9;
  ZT_CHECK(cwnd_segs(&s) > ref_w_cubic(&s.r, t));
}

/* §4.7: a loss below W_max lowers W_max to cwnd (1 + beta) / 2. */
ZT_TEST(test_cubic_fast_convergence) {
  static struct sim s;
  sim_init(&s, MSS, 100, 100);
  sim_loss(&s);
  ZT_EQU(s.cc.w_max, 100 * MSS);
  while (s.cc.cwnd < 80 * MSS)
    sim_round(&s);
  uint32_t c = s.cc.cwnd;
  sim_loss(&s);
  ZT_EQU(s.cc.w_max, (uint64_t)c * 17 / 20);
  ZT_EQU(s.cc.ssthresh, (uint64_t)c * 7 / 10);
  ZT_CHECK(fabs(s.r.w_max - 0.85 * (double)c / MSS) < 0.1);
  sim_round(&s);
  double k = cbrt((double)(s.cc.w_max - s.cc.cwnd_epoch) / MSS / C_CUBIC);
  ZT_CHECK(fabs(s.cc.k / 65536.0 - k) < 1e-3);
  /* Grow past W_max: the next loss sets W_max = cwnd. */
  while (s.cc.cwnd < s.cc.w_max + 5 * MSS)
    sim_round(&s);
  c = s.cc.cwnd;
  sim_loss(&s);
  ZT_EQU(s.cc.w_max, c);
  ZT_CHECK(s.max_err < 0.1);
  /* Exactly at W_max is not below it. */
  struct zn__tcp_cc cc;
  cu->init(&cc, MSS, 50 * MSS);
  cu->on_loss(&cc, cc.cwnd, 0);
  cc.cwnd = cc.w_max;
  cu->on_loss(&cc, cc.cwnd, 0);
  ZT_EQU(cc.w_max, 50 * MSS);
  cc.cwnd = cc.w_max - 1;
  cu->on_loss(&cc, cc.cwnd, 0);
  ZT_EQU(cc.w_max, (50 * MSS - 1) * 17 / 20);
}

/* §4.8: cwnd = 1 MSS, ssthresh = 0.7 flight, slow start, then an epoch
 * with K = 0 and W_max = cwnd_epoch: convex from the start. */
ZT_TEST(test_cubic_rto) {
  static struct sim s;
  sim_init(&s, MSS, 1000, 100);
  sim_loss(&s);
  for (int i = 0; i < 30; i++)
    sim_round(&s);
  uint32_t flight = s.cc.cwnd;
  cu->on_rto(&s.cc, flight, s.now);
  ref_rto(&s.r, flight);
  ZT_EQU(s.cc.cwnd, MSS);
  ZT_EQU(s.cc.ssthresh, (uint64_t)flight * 7 / 10);
  ZT_CHECK(!s.cc.epoch_on);
  /* Slow start doubles up to ssthresh exactly. */
  uint32_t w = MSS;
  while (s.cc.cwnd < s.cc.ssthresh) {
    sim_round(&s);
    w = 2 * w < s.cc.ssthresh ? 2 * w : s.cc.ssthresh;
    ZT_CHECK(s.cc.cwnd == w || s.cc.epoch_on);
  }
  sim_round(&s);
  ZT_CHECK(s.cc.epoch_on);
  ZT_EQU(s.cc.k, 0);
  ZT_EQU(s.cc.w_max, s.cc.cwnd_epoch);
  ZT_EQU(s.cc.cwnd_epoch, s.cc.ssthresh);
  double epoch = (double)s.cc.epoch_ns / 1e9;
  double g[4] = {0};
  for (int q = 0; q < 4; q++) {
    double c0 = cwnd_segs(&s);
    while (sim_t(&s) - epoch < 3.0 * (q + 1))
      sim_round(&s);
    g[q] = cwnd_segs(&s) - c0;
  }
  ZT_CHECK(g[1] < g[2] && g[2] < g[3]); /* convex */
  /* Another timeout with the same flight: ssthresh unchanged. */
  uint32_t th = s.cc.ssthresh;
  cu->on_rto(&s.cc, flight, s.now);
  ZT_EQU(s.cc.ssthresh, th);
  ZT_CHECK(s.max_err < 0.1);
}

/* Delayed ACKs (2 segments each) and no RTT sample follow the model too. */
ZT_TEST(test_cubic_delayed_acks_no_rtt) {
  static struct sim s;
  sim_init(&s, 1448, 500, 50);
  sim_loss(&s);
  uint32_t rtt_us = s.rtt_us;
  for (int r = 0; r < 300; r++) {
    uint32_t n = s.cc.cwnd / (2 * s.cc.mss);
    uint64_t step = (uint64_t)rtt_us * 1000 / (n ? n : 1);
    uint32_t srtt = r < 150 ? 0 : rtt_us;
    for (uint32_t i = 0; i < n; i++) {
      s.now += step;
      cu->on_ack(&s.cc, 2 * s.cc.mss, s.now, srtt);
      ref_ack(&s.r, 2.0 * s.cc.mss, sim_t(&s), srtt / 1e6);
    }
    double err = fabs(cwnd_segs(&s) - s.r.cwnd);
    if (err > 0.05 + 1e-5 * s.r.cwnd)
      zt_fail(__FILE__, __LINE__, "round %d: cwnd %.3f, model %.3f", r,
              cwnd_segs(&s), s.r.cwnd);
  }
}

/* ---- Both: random event sequences ---------------------------------------- */

static uint64_t rng_state = UINT64_C(0x9e3779b97f4a7c15);
static uint64_t rnd(void) { /* xorshift64* */
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return rng_state * UINT64_C(0x2545f4914f6cdd1d);
}
static uint32_t rnd_below(uint32_t n) { return (uint32_t)(rnd() % n); }

static uint32_t rnd_bytes(uint32_t mss, uint32_t cwnd) {
  switch (rnd_below(8)) {
  case 0: return 0;
  case 1: return 1 + rnd_below(100);
  case 2: return mss;
  case 3: return 2 * mss;
  case 4: return cwnd;
  case 5: return UINT32_MAX - rnd_below(3);
  case 6: return (uint32_t)rnd();
  default: return rnd_below(cwnd / 4 + 1);
  }
}

ZT_TEST(test_random_sequences) {
  static const uint32_t msses[] = {1, 88, 536, 1460, 8960, 65535,
                                   UINT32_MAX};
  const struct zn__tcp_cc_ops *algos[2] = {nr, cu};
  for (int seq = 0; seq < 4000; seq++) {
    const struct zn__tcp_cc_ops *ops = algos[seq & 1];
    uint32_t mss = rnd_below(4) ? msses[rnd_below(7)] : (uint32_t)rnd();
    uint32_t floor2 = two_mss(mss ? mss : 1);
    struct zn__tcp_cc cc;
    ops->init(&cc, mss, rnd_below(2) ? 10 * mss : (uint32_t)rnd());
    mss = cc.mss;
    uint64_t now = rnd_below(2) ? 0 : rnd();
    int bad = 0;
    for (int ev = 0; ev < 300 && !bad; ev++) {
      uint32_t cwnd = cc.cwnd, ssthresh = cc.ssthresh;
      uint32_t flight = rnd_bytes(mss, cwnd);
      switch (rnd_below(8)) {
      case 0:
        ops->on_loss(&cc, flight, now);
        bad |= cc.ssthresh < floor2 || cc.cwnd != cc.ssthresh;
        if (ops == cu) /* a loss never grows a CUBIC window */
          bad |= cc.cwnd > (cwnd > floor2 ? cwnd : floor2);
        break;
      case 1:
        ops->on_rto(&cc, flight, now);
        bad |= cc.ssthresh < floor2 || cc.cwnd != mss;
        break;
      case 2:
        ops->on_recovery_end(&cc, flight, now);
        bad |= cc.cwnd > cc.ssthresh || cc.ssthresh != ssthresh;
        break;
      default: {
        uint32_t srtt = rnd_below(3) ? rnd_below(1000000) : (uint32_t)rnd();
        ops->on_ack(&cc, rnd_bytes(mss, cwnd), now, srtt);
        bad |= cc.cwnd < cwnd || cc.ssthresh != ssthresh;
        break;
      }
      }
      bad |= cc.cwnd < mss || cc.ca_acked >= cc.cwnd;
      if (ops == cu)
        bad |= cc.k >= (UINT32_C(1) << 28) || cc.w_est_rem >= 17 * (uint64_t)cc.cwnd;
      switch (rnd_below(6)) {
      case 0: break;
      case 1: now += rnd_below(1000000); break;
      case 2: now += rnd(); break; /* may wrap: time going backwards */
      default: now += rnd_below(200) * NS_PER_MS; break;
      }
      if (bad)
        zt_fail(__FILE__, __LINE__,
                "%s seq %d ev %d: mss %u cwnd %u -> %u ssthresh %u -> %u "
                "ca_acked %u",
                ops->name, seq, ev, mss, cwnd, cc.cwnd, ssthresh,
                cc.ssthresh, cc.ca_acked);
    }
  }
}

int main(void) {
  ZT_RUN(test_names_and_init);
  ZT_RUN(test_algorithm_table);
  ZT_RUN(test_slow_start_doubles_per_rtt);
  ZT_RUN(test_slow_start_byte_counting_limits);
  ZT_RUN(test_newreno_slow_start_stops_at_ssthresh);
  ZT_RUN(test_newreno_congestion_avoidance);
  ZT_RUN(test_newreno_loss_rto_recovery_end);
  ZT_RUN(test_saturation);
  ZT_RUN(test_cubic_loss_beta);
  ZT_RUN(test_cubic_k);
  ZT_RUN(test_cubic_k_sweep);
  ZT_RUN(test_cubic_growth_clamps);
  ZT_RUN(test_cubic_against_model);
  ZT_RUN(test_cubic_reno_friendly);
  ZT_RUN(test_cubic_fast_convergence);
  ZT_RUN(test_cubic_rto);
  ZT_RUN(test_cubic_delayed_acks_no_rtt);
  ZT_RUN(test_random_sequences);
  return zt_done();
}
