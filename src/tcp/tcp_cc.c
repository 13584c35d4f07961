/*
 * Congestion control: NewReno (RFC 5681 §3.1, RFC 3465, RFC 6582) and
 * CUBIC (RFC 9438), in integers only.
 *
 * Fixed point.  Windows are bytes (uint32, saturating).  CUBIC time is
 * kept in units of 2^-16 s ("Q16 s", about 15 us): t, RTT and K.  With
 * C = 0.4 = 2/5 segments/s^3 and W in bytes,
 *
 *   W_cubic(t) = W_max +- (2/5) |t - K|^3 MSS               (Figure 1)
 *   K^3        = (W_max - cwnd_epoch) / (C MSS) s^3
 *              = 5 (W_max - cwnd_epoch) 2^47 / MSS  in Q48 s^3  (Figure 2)
 *
 * |t - K| is bounded by 2^12 s (2^28 in Q16): beyond it W_cubic exceeds
 * 2^32 bytes for any MSS >= 1, so it saturates; K itself stays below
 * cbrt(2.5 * 2^32) s < 2^12 s.  The cube is then taken as
 * ((d^2 >> 20) d) >> 18, never more than 2^64, in Q10 s^3, and scaled to
 * bytes with a saturating multiply.  K comes from an exact integer cube
 * root of a 64-bit radicand normalised to >= 61 significant bits.  beta = 7/10,
 * alpha = 3 (1 - beta) / (1 + beta) = 9/17 and (1 + beta) / 2 = 17/20 are exact
 * ratios.
 *
 * Increases carry their remainders (ca_acked, w_est_rem), so small ACKs on
 * a large window add up exactly as large ones do.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tcp/tcp_cc.h"
#include "znet/err.h"
#include "znet/tcp.h"

#define Q16_PER_S (UINT64_C(1) << 16)
#define NS_PER_S UINT64_C(1000000000)
#define US_PER_S UINT64_C(1000000)
/* Largest |t - K| computed (Q16 s); past it W_cubic saturates. */
#define CUBIC_D_MAX (UINT64_C(1) << 28)
/* Largest t kept (ns): 2^13 s, beyond any K plus CUBIC_D_MAX. */
#define CUBIC_T_MAX_NS (UINT64_C(8192) * NS_PER_S)

/* 2 SMSS, the floor of ssthresh after any reduction. */
static uint32_t two_mss(const struct zn__tcp_cc *cc) {
  return zn__cc_sat32((uint64_t)cc->mss * 2);
}

/* init: cwnd = iw but at least one MSS (the invariant every op keeps). */
static void cc_init(struct zn__tcp_cc *cc, uint32_t mss, uint32_t iw,
                    const struct zn__tcp_cc_ops *ops) {
  cc->ops = ops;
  cc->mss = mss ? mss : 1;
  cc->cwnd = zn__cc_max32(iw, cc->mss);
  cc->ssthresh = UINT32_MAX;
  cc->pacing_rate = 0;
  cc->ca_acked = 0;
  cc->epoch_ns = 0;
  cc->w_est_rem = 0;
  cc->w_max = 0;
  cc->cwnd_prior = 0;
  cc->cwnd_epoch = 0;
  cc->w_est = 0;
  cc->k = 0;
  cc->epoch_on = 0;
  cc->after_rto = 0;
}

/* Slow start (RFC 5681 §3.1 with RFC 3465 L = 2): add min(acked, 2 SMSS)
 * but stop at ssthresh.  Returns the acked bytes not used, for congestion
 * avoidance. */
static uint32_t slow_start(struct zn__tcp_cc *cc, uint32_t acked) {
  uint32_t room = cc->ssthresh - cc->cwnd; /* caller: cwnd < ssthresh */
  uint32_t inc = zn__cc_min32(zn__cc_min32(acked, two_mss(cc)), room);
  cc->cwnd += inc;
  return cc->cwnd < cc->ssthresh ? 0 : acked - inc;
}

/* RFC 6582 §3.2 step 3, option 1. */
static void recovery_end(struct zn__tcp_cc *cc, uint32_t flight) {
  uint32_t w = zn__cc_sat32((uint64_t)zn__cc_max32(flight, cc->mss) + cc->mss);
  cc->cwnd = zn__cc_min32(cc->ssthresh, w);
  cc->ca_acked = 0;
  cc->w_est_rem = 0;
}

/* A reduction found needless (RFC 3522 detection, tcp_ack.c): back to
 * the window and threshold from before it (RFC 4015's restoration, as
 * Linux's undo): never below what growth has reached since.  CUBIC's
 * next epoch starts from that window (K = 0, W_max = cwnd, §4.8's rule
 * for a start at or above W_max). */
static void undo(struct zn__tcp_cc *cc, uint32_t prior_cwnd,
                 uint32_t prior_ssthresh) {
  cc->cwnd = zn__cc_max32(cc->cwnd, prior_cwnd);
  cc->ssthresh = zn__cc_max32(cc->ssthresh, prior_ssthresh);
  cc->ca_acked = 0;
  cc->w_est_rem = 0;
  cc->epoch_on = 0;
  cc->after_rto = 0;
}

/* RFC 5681 §4.1 restart window (both algorithms): tcp_cc.h. */
static void idle_restart(struct zn__tcp_cc *cc, uint32_t rw) {
  cc->ssthresh =
      zn__cc_max32(cc->ssthresh, zn__cc_sat32((uint64_t)cc->cwnd * 3 / 4));
  cc->cwnd = zn__cc_max32(zn__cc_min32(cc->cwnd, rw), cc->mss);
  cc->ca_acked = 0;
  cc->w_est_rem = 0;
  cc->epoch_on = 0;
}

/* ---- NewReno ---------------------------------------------------------- */

static void newreno_init(struct zn__tcp_cc *cc, uint32_t mss, uint32_t iw) {
  cc_init(cc, mss, iw, &zn__tcp_cc_newreno);
}

static void newreno_on_ack(struct zn__tcp_cc *cc, uint32_t acked,
                           uint64_t now_ns, uint32_t srtt_us) {
  (void)now_ns;
  (void)srtt_us;
  if (cc->cwnd < cc->ssthresh)
    acked = slow_start(cc, acked);
  if (acked == 0)
    return;
  /* Congestion avoidance by byte counting (RFC 3465 §2.1): one SMSS per
   * cwnd acked; a stretch ACK of n windows adds n SMSS at once. */
  uint64_t sum = (uint64_t)cc->ca_acked + acked;
  uint64_t n = sum / cc->cwnd;
  cc->ca_acked = (uint32_t)(sum - n * cc->cwnd);
  cc->cwnd = zn__cc_sat32((uint64_t)cc->cwnd + zn__cc_mul_sat(n, cc->mss));
}

/* ssthresh = max(FlightSize / 2, 2 SMSS) (RFC 5681 eqn 4). */
static uint32_t newreno_ssthresh(const struct zn__tcp_cc *cc,
                                 uint32_t flight) {
  return zn__cc_max32(flight / 2, two_mss(cc));
}

static void newreno_on_loss(struct zn__tcp_cc *cc, uint32_t flight,
                            uint64_t now_ns) {
  (void)now_ns;
  cc->ssthresh = newreno_ssthresh(cc, flight);
  cc->cwnd = cc->ssthresh;
  cc->ca_acked = 0;
}

/* cwnd = LW = 1 SMSS (RFC 5681 §3.1). */
static void newreno_on_rto(struct zn__tcp_cc *cc, uint32_t flight,
                           uint64_t now_ns) {
  (void)now_ns;
  cc->ssthresh = newreno_ssthresh(cc, flight);
  cc->cwnd = cc->mss;
  cc->ca_acked = 0;
}

static void newreno_on_recovery_end(struct zn__tcp_cc *cc, uint32_t flight,
                                    uint64_t now_ns) {
  (void)now_ns;
  recovery_end(cc, flight);
}

const struct zn__tcp_cc_ops zn__tcp_cc_newreno = {
    .name = "newreno",
    .init = newreno_init,
    .on_ack = newreno_on_ack,
    .on_loss = newreno_on_loss,
    .on_rto = newreno_on_rto,
    .on_recovery_end = newreno_on_recovery_end,
    .on_undo = undo,
    .on_idle = idle_restart,
};

/* ---- CUBIC ------------------------------------------------------------ */

/* floor(cbrt(x)), bit by bit: 22 steps of 3 bits (Hacker's Delight
 * §11.2).  (x >> s) >= b is b << s <= x without the overflow. */
static uint64_t icbrt64(uint64_t x) {
  uint64_t y = 0;
  for (int s = 63; s >= 0; s -= 3) {
    y <<= 1;
    uint64_t b = 3 * y * (y + 1) + 1;
    if ((x >> s) >= b) {
      x -= b << s;
      y++;
    }
  }
  return y;
}

/* K in Q16 s for a window gap of `delta` bytes (RFC 9438 Figure 2):
 * cbrt(5 delta 2^47 / mss).  Binary long division produces the quotient
 * one bit at a time until it has at least 61 significant bits and the
 * power of two left over is a cube, which leaves the root exactly. */
static uint32_t cubic_k(uint32_t delta, uint32_t mss) {
  uint64_t num = (uint64_t)delta * 5; /* < 2^35 */
  uint64_t q = num / mss, r = num % mss;
  unsigned e = 47; /* K^3 in Q48 = (q + r / mss) 2^e */
  while (e > 0 && (q < (UINT64_C(1) << 61) || e % 3 != 0)) {
    q <<= 1; /* stays < 2^64: at most 2 shifts past 2^61 */
    r <<= 1;
    if (r >= mss) {
      q |= 1;
      r -= mss;
    }
    e--;
  }
  return zn__cc_sat32(icbrt64(q) << (e / 3));
}

/* W_cubic(t) in bytes, t in Q16 s since the epoch (RFC 9438 Figure 1),
 * saturated to [0, UINT32_MAX]. */
static uint32_t w_cubic(const struct zn__tcp_cc *cc, uint64_t t) {
  bool below = t < cc->k;
  uint64_t d = below ? cc->k - t : t - cc->k;
  if (d >= CUBIC_D_MAX)
    return below ? 0 : UINT32_MAX;
  uint64_t d2 = (d * d) >> 20;                /* Q12 s^2, < 2^36 */
  uint64_t d3 = (d2 * d) >> 18;               /* Q10 s^3, < 2^46 */
  uint64_t seg = d3 * 2 / 5;                  /* C d^3, Q10 segments */
  uint64_t bytes = zn__cc_mul_sat(seg, cc->mss) >> 10;
  if (below)
    return bytes >= cc->w_max ? 0 : cc->w_max - (uint32_t)bytes;
  return zn__cc_sat32((uint64_t)cc->w_max + bytes);
}

static void cubic_init(struct zn__tcp_cc *cc, uint32_t mss, uint32_t iw) {
  cc_init(cc, mss, iw, &zn__tcp_cc_cubic);
}

/* The first ACK in congestion avoidance starts an epoch (RFC 9438 §4.2,
 * §4.3, §4.8). */
static void cubic_epoch_start(struct zn__tcp_cc *cc, uint64_t now_ns) {
  cc->epoch_on = 1;
  cc->epoch_ns = now_ns;
  cc->cwnd_epoch = cc->cwnd;
  cc->w_est = cc->cwnd;
  cc->w_est_rem = 0;
  cc->ca_acked = 0;
  if (cc->after_rto || cc->w_max <= cc->cwnd) {
    /* After a timeout (§4.8), or already past W_max: the curve starts
     * convex at the current window. */
    cc->w_max = cc->cwnd;
    cc->k = 0;
  } else {
    cc->k = cubic_k(cc->w_max - cc->cwnd, cc->mss);
  }
  cc->after_rto = 0;
}

/* W_est += alpha * acked * SMSS / cwnd (RFC 9438 Figure 4), alpha = 9/17
 * until W_est reaches cwnd_prior, then 1 (in 17ths). */
static void cubic_grow_w_est(struct zn__tcp_cc *cc, uint32_t acked) {
  uint64_t alpha17 = cc->w_est >= cc->cwnd_prior ? 17 : 9;
  uint64_t den = (uint64_t)cc->cwnd * 17;
  uint64_t num = zn__cc_mul_sat(zn__cc_mul_sat(acked, cc->mss), alpha17);
  num = num > UINT64_MAX - cc->w_est_rem ? UINT64_MAX : num + cc->w_est_rem;
  cc->w_est = zn__cc_sat32((uint64_t)cc->w_est + num / den);
  cc->w_est_rem = num % den;
}

static void cubic_avoid(struct zn__tcp_cc *cc, uint32_t acked,
                        uint64_t now_ns, uint32_t srtt_us) {
  if (!cc->epoch_on)
    cubic_epoch_start(cc, now_ns);
  uint64_t t_ns = now_ns > cc->epoch_ns ? now_ns - cc->epoch_ns : 0;
  if (t_ns > CUBIC_T_MAX_NS)
    t_ns = CUBIC_T_MAX_NS;
  uint64_t t = (t_ns << 16) / NS_PER_S;
  uint64_t rtt = (uint64_t)srtt_us * Q16_PER_S / US_PER_S;

  cubic_grow_w_est(cc, acked);
  if (w_cubic(cc, t) < cc->w_est) {
    /* Reno-friendly region (§4.3). */
    cc->cwnd = zn__cc_max32(cc->cwnd, cc->w_est);
    return;
  }
  /* Concave (§4.4) and convex (§4.5) regions. */
  uint64_t c = cc->cwnd;
  uint64_t target = w_cubic(cc, t + rtt);
  if (target < c)
    target = c;
  if (target > c + c / 2)
    target = c + c / 2;
  /* acked < 2^32 and target - c <= 2^31: the product fits. */
  uint64_t num = (uint64_t)acked * (target - c) + cc->ca_acked;
  uint64_t inc = num / c;
  cc->ca_acked = (uint32_t)(num % c);
  if (inc > target - c)
    inc = target - c;
  cc->cwnd = zn__cc_sat32(c + inc);
}

static void cubic_on_ack(struct zn__tcp_cc *cc, uint32_t acked,
                         uint64_t now_ns, uint32_t srtt_us) {
  if (cc->cwnd < cc->ssthresh)
    acked = slow_start(cc, acked);
  if (acked != 0)
    cubic_avoid(cc, acked, now_ns, srtt_us);
}

/* ssthresh = max(beta * w, 2 SMSS). */
static uint32_t cubic_ssthresh(const struct zn__tcp_cc *cc, uint32_t w) {
  return zn__cc_max32((uint32_t)((uint64_t)w * 7 / 10), two_mss(cc));
}

/* RFC 9438 §4.6 (multiplicative decrease) and §4.7 (fast convergence). */
static void cubic_on_loss(struct zn__tcp_cc *cc, uint32_t flight,
                          uint64_t now_ns) {
  (void)now_ns;
  if (cc->cwnd < cc->w_max)
    cc->w_max = (uint32_t)((uint64_t)cc->cwnd * 17 / 20);
  else
    cc->w_max = cc->cwnd;
  cc->cwnd_prior = cc->cwnd;
  cc->ssthresh = cubic_ssthresh(cc, zn__cc_min32(cc->cwnd, flight));
  cc->cwnd = cc->ssthresh;
  cc->epoch_on = 0;
  cc->after_rto = 0;
  cc->ca_acked = 0;
  cc->w_est_rem = 0;
}

/* RFC 9438 §4.8: Reno's cwnd = 1 SMSS with ssthresh from beta; the next
 * epoch restarts at K = 0 (W_max is replaced then, so it is left alone
 * here). */
static void cubic_on_rto(struct zn__tcp_cc *cc, uint32_t flight,
                         uint64_t now_ns) {
  (void)now_ns;
  cc->cwnd_prior = cc->cwnd;
  cc->ssthresh = cubic_ssthresh(cc, flight);
  cc->cwnd = cc->mss;
  cc->epoch_on = 0;
  cc->after_rto = 1;
  cc->ca_acked = 0;
  cc->w_est_rem = 0;
}

static void cubic_on_recovery_end(struct zn__tcp_cc *cc, uint32_t flight,
                                  uint64_t now_ns) {
  (void)now_ns;
  recovery_end(cc, flight);
}

const struct zn__tcp_cc_ops zn__tcp_cc_cubic = {
    .name = "cubic",
    .init = cubic_init,
    .on_ack = cubic_on_ack,
    .on_loss = cubic_on_loss,
    .on_rto = cubic_on_rto,
    .on_recovery_end = cubic_on_recovery_end,
    .on_undo = undo,
    .on_idle = idle_restart,
};

/* ---- the table (znet/tcp.h ZN_TCP_CC_MAP) ------------------------------ */

static const struct zn__tcp_cc_ops *const cc_table[] = {
    [ZN_TCP_CC_CUBIC] = &zn__tcp_cc_cubic,
    [ZN_TCP_CC_NEWRENO] = &zn__tcp_cc_newreno,
    [ZN_TCP_CC_BBR] = &zn__tcp_cc_bbr,
};

#define CC_NAME_(n, v, s) [(v)] = (s),
static const char *const cc_names[] = {ZN_TCP_CC_MAP(CC_NAME_)};
#undef CC_NAME_

#define CC_COUNT (sizeof(cc_names) / sizeof(cc_names[0]))
_Static_assert(sizeof(cc_table) / sizeof(cc_table[0]) == CC_COUNT,
               "a controller for every algorithm of ZN_TCP_CC_MAP");

const struct zn__tcp_cc_ops *zn__tcp_cc_ops_of(unsigned algo) {
  return algo < CC_COUNT ? cc_table[algo] : NULL;
}

const char *zn_tcp_cc_name(enum zn_tcp_cc_algo algo) {
  return (unsigned)algo < CC_COUNT ? cc_names[algo] : NULL;
}

/* (No strcmp: the core uses no libc beyond the mem* four.) */
static bool same_name(const char *a, const char *b) {
  size_t i = 0;
  while (a[i] && a[i] == b[i])
    i++;
  return a[i] == b[i];
}

int zn_tcp_cc_by_name(const char *name, enum zn_tcp_cc_algo *out) {
  for (unsigned i = 0; name && i < CC_COUNT; i++) {
    if (cc_names[i] && same_name(name, cc_names[i])) {
      *out = (enum zn_tcp_cc_algo)i;
      return ZN_OK;
    }
  }
  return ZN_EINVAL;
}
