/*
 * BBR congestion control: draft-ietf-ccwg-bbr (BBRv3), in integers only.
 *
 * BBR builds a model of the path from the delivery rate estimator's
 * samples (tcp_rate.c) and the RTT: the bottleneck bandwidth (max_bw,
 * a max filter over two ProbeBW cycles), the propagation delay (min_rtt,
 * a min filter over 10 s refreshed by ProbeRTT every 5 s), and bounds
 * on what may be in flight learnt from loss (inflight_longterm for the
 * probing cycle, bw_shortterm and inflight_shortterm for the round trips
 * between probes).  From the model and the state (Startup, Drain,
 * ProbeBW's DOWN/CRUISE/REFILL/UP, ProbeRTT) it sets the pacing rate and
 * cwnd on every ACK.  The functions carry the draft's names, in the
 * draft's order (§4.2.3 "Per-ACK Steps": UpdateModelAndState, then
 * UpdateControlParameters), with the draft's section above each.
 *
 * The engine's side (struct zn__tcp_cc_ops, tcp_cc.h): on_ack_sample per
 * ACK, on_lost per range RACK (or an RTO, or NewReno's fast retransmit)
 * takes as lost (HandleLostPacket), on_loss on entering fast recovery,
 * on_rto, on_recovery_end and on_undo (the draft's undo, §4.5.9), and
 * on_transmit before a send with nothing in flight (HandleRestartFrom
 * Idle).  Loss detection stays RACK-TLP's (RFC 8985) as the draft
 * assumes; recovery sends what the model's cwnd allows, without the
 * proportional rate reduction the window-based controllers get.
 *
 * Units and departures:
 * - Bytes, not packets: C.SMSS is the MSS; the draft's packet counts
 *   (MinPipeCwnd 4 packets, Reno-coexistence rounds in packets) are
 *   scaled by it.  Rates are bytes/s, times the stack's clock in ns.
 * - Gains are in 1/256: 2.77 (4 ln 2) is 709, 2.25 is 576, 1.25 is 320,
 *   0.9 is 230, 0.5 is 128.
 * - Startup's loss exit counts ranges RACK marks lost in the round for
 *   the draft's "discontiguous sequence ranges lost" (a range is a burst
 *   of one poll, so this counts at most what the draft does), and needs
 *   the round's loss rate over 2% as IsInflightTooHigh measures it.
 * - ECN (the draft leaves the response open, §2.7): an ACK echoing
 *   congestion (RFC 3168) counts as a loss of the round for the
 *   short-term model, and during a bandwidth probe as inflight too high,
 *   once per probe, as a loss rate above BBR.LossThresh would.
 * - RTO: C.inflight after it is 0 (everything is taken as lost), so
 *   cwnd = C.inflight + 1 packet is one MSS.
 * - Restart from idle leaves cwnd alone: the engine's RFC 5681 §4.1
 *   restart window is not applied (on_idle is NULL), as §4.4 says.
 * - Pacing is BBR's own and always on: cfg.tcp_pacing governs only the
 *   window-based controllers.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tcp/tcp_cc.h"

#define GAIN_UNIT 256u
#define NS_PER_MS UINT64_C(1000000)
#define NS_PER_S UINT64_C(1000000000)
#define US_PER_S UINT64_C(1000000)
#define INF32 UINT32_MAX
#define INF64 UINT64_MAX

/* §2 constants. */
#define PACING_MARGIN_PCT 1u       /* BBR.PacingMarginPercent */
#define LOSS_THRESH_PCT 2u         /* BBR.LossThresh */
#define BETA_PCT 70u               /* BBR.Beta */
#define HEADROOM_PCT 15u           /* BBR.Headroom */
#define MIN_PIPE_SEGS 4u           /* BBR.MinPipeCwnd, in C.SMSS */
#define FULL_BW_GROWTH_PCT 125u    /* Startup's 25% growth per round */
#define FULL_BW_ROUNDS 3u
#define STARTUP_FULL_LOSS_CNT 6u   /* BBRStartupFullLossCnt */
#define EXTRA_ACKED_FILTER_LEN 10u /* BBR.ExtraAckedFilterLen, rounds */
#define MIN_RTT_FILTER_NS (10u * NS_PER_S) /* BBR.MinRTTFilterLen */
#define PROBE_RTT_INTERVAL_NS (5u * NS_PER_S)
#define PROBE_RTT_DURATION_NS (200u * NS_PER_MS)
#define SEND_QUANTUM_MAX 65536u
#define RENO_ROUNDS_MAX 63u
#define PROBE_WAIT_BASE_MS 2000u   /* bw_probe_wait: 2 s ... */
#define PROBE_WAIT_RAND_MS 1000u   /* ... plus up to 1 s */

/* The gains of each state (§4.6.1's table). */
static const struct {
  uint16_t pacing;
  uint16_t cwnd;
} gains[] = {
    [ZN__BBR_STARTUP] = {709, 512},
    [ZN__BBR_DRAIN] = {128, 512},
    [ZN__BBR_PROBE_BW_DOWN] = {230, 512},
    [ZN__BBR_PROBE_BW_CRUISE] = {256, 512},
    [ZN__BBR_PROBE_BW_REFILL] = {256, 512},
    [ZN__BBR_PROBE_BW_UP] = {320, 576},
    [ZN__BBR_PROBE_RTT] = {256, 128},
};

static uint64_t min64(uint64_t a, uint64_t b) { return a < b ? a : b; }
static uint64_t max64(uint64_t a, uint64_t b) { return a > b ? a : b; }

/* x * pct / 100, for a volume ("Infinity" stays). */
static uint32_t pct32(uint32_t x, uint32_t pct) {
  return x == INF32 ? INF32 : zn__cc_sat32((uint64_t)x * pct / 100u);
}

/* Delivered counters run modulo 2^32: a >= b as sequence numbers. */
static bool dlv_geq(uint32_t a, uint32_t b) { return (int32_t)(a - b) >= 0; }

static uint32_t xorshift32(uint32_t *s) {
  uint32_t x = *s ? *s : 0x9e3779b9u;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  *s = x;
  return x;
}

/* ---- the windowed max filter (extra_acked) -------------------------- */

static void maxfilt_reset(struct zn__tcp_maxfilt *f, uint32_t v, uint32_t t) {
  for (unsigned i = 0; i < 3; i++) {
    f->v[i] = v;
    f->t[i] = t;
  }
}

/* The best is gone: the second and third move up, (v, t) is third. */
static void maxfilt_shift(struct zn__tcp_maxfilt *f, uint32_t v, uint32_t t) {
  f->v[0] = f->v[1];
  f->t[0] = f->t[1];
  f->v[1] = f->v[2];
  f->t[1] = f->t[2];
  f->v[2] = v;
  f->t[2] = t;
}

/* Kathleen Nichols' running max over `win` counts: the best sample of the
 * window, and the second and third best of its later parts, so that when
 * the best ages out the next is at hand.  Returns the max. */
static uint32_t maxfilt_update(struct zn__tcp_maxfilt *f, uint32_t v,
                               uint32_t t, uint32_t win) {
  if (v >= f->v[0] || t - f->t[2] > win) {
    maxfilt_reset(f, v, t); /* a new max, or the whole window aged */
    return v;
  }
  if (v >= f->v[1]) {
    f->v[1] = f->v[2] = v;
    f->t[1] = f->t[2] = t;
  } else if (v >= f->v[2]) {
    f->v[2] = v;
    f->t[2] = t;
  }
  uint32_t age = t - f->t[0];
  if (age > win) {
    /* The best aged out: each moves up, the sample is the third (twice,
     * if the second had aged too). */
    maxfilt_shift(f, v, t);
    if (t - f->t[0] > win)
      maxfilt_shift(f, v, t);
  } else if (f->t[1] == f->t[0] && age > win / 4) {
    /* A quarter of the window with one sample kept: take a second. */
    f->v[1] = f->v[2] = v;
    f->t[1] = f->t[2] = t;
  } else if (f->t[2] == f->t[1] && age > win / 2) {
    f->v[2] = v;
    f->t[2] = t;
  }
  return f->v[0];
}

/* ---- the model's derived quantities (§4.6.4) ------------------------- */

static bool in_probe_bw(const struct zn__tcp_bbr *b) {
  return b->state >= ZN__BBR_PROBE_BW_DOWN && b->state <= ZN__BBR_PROBE_BW_UP;
}

/* IsProbingBW */
static bool probing_bw(const struct zn__tcp_bbr *b) {
  return b->state == ZN__BBR_STARTUP || b->state == ZN__BBR_PROBE_BW_REFILL ||
         b->state == ZN__BBR_PROBE_BW_UP;
}

static uint32_t min_pipe_cwnd(const struct zn__tcp_cc *cc) {
  return zn__cc_sat32((uint64_t)MIN_PIPE_SEGS * cc->mss);
}

/* bw * min_rtt, bytes (the caller knows min_rtt). */
static uint64_t bdp_of(const struct zn__tcp_bbr *b, uint64_t bw) {
  if (bw < (UINT64_C(1) << 32))
    return bw * b->min_rtt_us / US_PER_S;
  return zn__cc_mul_sat(bw / US_PER_S, b->min_rtt_us);
}

/* BDPMultiple(bw, gain), gain in 1/256. */
static uint32_t bdp_multiple(const struct zn__tcp_bbr *b, uint64_t bw,
                             uint32_t gain) {
  if (b->min_rtt_us == INF32)
    return b->initial_cwnd; /* no RTT sample yet */
  return zn__cc_sat32(zn__cc_mul_sat(bdp_of(b, bw), gain) / GAIN_UNIT);
}

/* C.send_quantum (§4.6.2): 1 ms at the pacing rate, in [2 SMSS, 64 KB]. */
static uint32_t send_quantum(const struct zn__tcp_cc *cc) {
  uint64_t q = cc->pacing_rate / 1000u;
  q = min64(q, SEND_QUANTUM_MAX);
  return zn__cc_max32((uint32_t)q, zn__cc_sat32((uint64_t)cc->mss * 2));
}

/* QuantizationBudget, with the TCP offload budget (§4.6.4.2). */
static uint32_t quantization_budget(const struct zn__tcp_cc *cc,
                                    uint32_t cap) {
  cap = zn__cc_max32(cap, zn__cc_sat32((uint64_t)send_quantum(cc) * 3));
  cap = zn__cc_max32(cap, min_pipe_cwnd(cc));
  if (cc->bbr->state == ZN__BBR_PROBE_BW_UP)
    cap = zn__cc_sat32((uint64_t)cap + 2u * (uint64_t)cc->mss);
  return cap;
}

/* Inflight(bw, gain) */
static uint32_t inflight_at(const struct zn__tcp_cc *cc, uint64_t bw,
                            uint32_t gain) {
  return quantization_budget(cc, bdp_multiple(cc->bbr, bw, gain));
}

/* BBR.bdp, or the initial window before an RTT (TargetInflight's). */
static uint32_t bbr_bdp(const struct zn__tcp_bbr *b) {
  return bdp_multiple(b, b->bw, GAIN_UNIT);
}

/* TargetInflight: the BDP, unless congestion cut cwnd below it. */
static uint32_t target_inflight(const struct zn__tcp_cc *cc) {
  return zn__cc_min32(bbr_bdp(cc->bbr), cc->cwnd);
}

/* InflightWithHeadroom (§4.3.3.6) */
static uint32_t inflight_with_headroom(const struct zn__tcp_cc *cc) {
  const struct zn__tcp_bbr *b = cc->bbr;
  if (b->inflight_longterm == INF32)
    return INF32;
  uint32_t headroom =
      zn__cc_max32(cc->mss, pct32(b->inflight_longterm, HEADROOM_PCT));
  uint32_t room = b->inflight_longterm > headroom
                      ? b->inflight_longterm - headroom
                      : 0;
  return zn__cc_max32(room, min_pipe_cwnd(cc));
}

/* IsInflightTooHigh (§4.5.6.2), for a sample's lost and tx_in_flight. */
static bool inflight_too_high(uint32_t lost, uint32_t tx_in_flight,
                              bool sack) {
  return (uint64_t)lost * 100u > (uint64_t)tx_in_flight * LOSS_THRESH_PCT ||
         (lost > 0 && !sack);
}

/* ---- cwnd saving (§4.6.4.4) ------------------------------------------ */

/* SaveCwnd */
static void save_cwnd(struct zn__tcp_cc *cc) {
  struct zn__tcp_bbr *b = cc->bbr;
  if (!b->in_recovery && b->state != ZN__BBR_PROBE_RTT)
    b->prior_cwnd = cc->cwnd;
  else
    b->prior_cwnd = zn__cc_max32(b->prior_cwnd, cc->cwnd);
}

/* RestoreCwnd */
static void restore_cwnd(struct zn__tcp_cc *cc) {
  cc->cwnd = zn__cc_max32(cc->cwnd, cc->bbr->prior_cwnd);
}

/* SaveStateUponLoss (§4.5.9.1) */
static void save_state_upon_loss(struct zn__tcp_cc *cc) {
  struct zn__tcp_bbr *b = cc->bbr;
  save_cwnd(cc);
  b->undo_state = ZN__BBR_UNDO_NONE;
  b->undo_bw_shortterm = b->bw_shortterm;
  b->undo_inflight_shortterm = b->inflight_shortterm;
  b->undo_inflight_longterm = b->inflight_longterm;
}

/* ---- round trips and resets ------------------------------------------ */

/* StartRound (§4.5.1): the round ends when what is sent from now on is
 * delivered. */
static void start_round(struct zn__tcp_bbr *b, uint32_t delivered) {
  b->next_round_delivered = delivered;
}

static void reset_full_bw(struct zn__tcp_bbr *b) {
  b->full_bw = 0;
  b->full_bw_count = 0;
  b->full_bw_now = false;
}

static void reset_congestion_signals(struct zn__tcp_bbr *b) {
  b->is_loss_in_round = false;
  b->bw_latest = 0;
  b->inflight_latest = 0;
}

static void reset_short_term_model(struct zn__tcp_bbr *b) {
  b->bw_shortterm = INF64;
  b->inflight_shortterm = INF32;
}

/* ---- pacing (§4.6.2) -------------------------------------------------- */

/* SetPacingRateWithGain: only up until the pipe is known full, so that
 * application-limited samples cannot pull Startup's rate down. */
static void set_pacing_rate_with_gain(struct zn__tcp_cc *cc, uint32_t gain) {
  uint64_t rate = zn__cc_mul_sat(cc->bbr->bw, gain) / GAIN_UNIT;
  rate = rate / 100u * (100u - PACING_MARGIN_PCT) +
         rate % 100u * (100u - PACING_MARGIN_PCT) / 100u;
  if (rate != 0 && (cc->bbr->full_bw_reached || rate > cc->pacing_rate))
    cc->pacing_rate = rate;
}

/* InitPacingRate: the initial window per RTT (1 ms without one), at
 * Startup's gain. */
static void init_pacing_rate(struct zn__tcp_cc *cc, uint32_t srtt_us) {
  uint64_t rtt = srtt_us ? srtt_us : 1000u;
  uint64_t nominal = (uint64_t)cc->bbr->initial_cwnd * US_PER_S / rtt;
  uint64_t rate =
      zn__cc_mul_sat(nominal, gains[ZN__BBR_STARTUP].pacing) / GAIN_UNIT;
  cc->pacing_rate = rate ? rate : 1u;
}

/* ---- states (§4.3) ----------------------------------------------------- */

static void enter_startup(struct zn__tcp_bbr *b) {
  b->state = ZN__BBR_STARTUP;
}

static void enter_drain(struct zn__tcp_bbr *b) {
  b->state = ZN__BBR_DRAIN;
  b->drain_start_round = b->round_count;
}

/* PickProbeWait (§4.3.3.5): 0 or 1 rounds, and 2 to 3 s. */
static void pick_probe_wait(struct zn__tcp_cc *cc) {
  uint32_t r = xorshift32(&cc->rng);
  cc->bbr->rounds_since_probe_up = r & 1u;
  cc->bbr->bw_probe_wait_ms =
      PROBE_WAIT_BASE_MS + (r >> 1) % PROBE_WAIT_RAND_MS;
}

static void start_probe_bw_down(struct zn__tcp_cc *cc,
                                const struct zn__tcp_cc_ack *a) {
  struct zn__tcp_bbr *b = cc->bbr;
  reset_congestion_signals(b);
  b->probe_up_acked_per_inc = INF32; /* not growing inflight_longterm */
  pick_probe_wait(cc);
  b->cycle_stamp = a->now_ns;
  b->ack_phase = ZN__BBR_ACKS_PROBE_STOPPING;
  start_round(b, a->delivered);
  b->state = ZN__BBR_PROBE_BW_DOWN;
}

static void start_probe_bw_cruise(struct zn__tcp_bbr *b) {
  b->state = ZN__BBR_PROBE_BW_CRUISE;
}

static void start_probe_bw_refill(struct zn__tcp_bbr *b, uint32_t delivered) {
  reset_short_term_model(b);
  b->bw_probe_up_rounds = 0;
  b->bw_probe_up_acked = 0;
  b->prev_probe_precautionary = false;
  b->ack_phase = ZN__BBR_ACKS_REFILLING;
  start_round(b, delivered);
  b->state = ZN__BBR_PROBE_BW_REFILL;
}

/* RaiseInflightLongtermSlope: inflight_longterm grows by 1, 2, 4, ...
 * segments in successive rounds, spread over each. */
static void raise_inflight_longterm_slope(struct zn__tcp_cc *cc) {
  struct zn__tcp_bbr *b = cc->bbr;
  uint32_t growth = 1u << b->bw_probe_up_rounds;
  if (b->bw_probe_up_rounds < 30)
    b->bw_probe_up_rounds++;
  b->probe_up_acked_per_inc = zn__cc_max32(cc->cwnd / growth, cc->mss);
}

static void start_probe_bw_up(struct zn__tcp_cc *cc,
                              const struct zn__tcp_cc_ack *a) {
  struct zn__tcp_bbr *b = cc->bbr;
  b->ack_phase = ZN__BBR_ACKS_PROBE_STARTING;
  start_round(b, a->delivered);
  reset_full_bw(b);
  b->full_bw = a->rate_valid ? a->delivery_rate : 0;
  b->state = ZN__BBR_PROBE_BW_UP;
  raise_inflight_longterm_slope(cc);
}

static void enter_probe_bw(struct zn__tcp_cc *cc,
                           const struct zn__tcp_cc_ack *a) {
  start_probe_bw_down(cc, a);
}

/* ---- loss (§4.5.6) ------------------------------------------------------ */

/* HandleInflightTooHigh: the probe put more in flight than the path
 * holds at an acceptable loss rate: remember that volume, and stop. */
static void handle_inflight_too_high(struct zn__tcp_cc *cc,
                                     uint32_t tx_in_flight, bool app_limited,
                                     const struct zn__tcp_cc_ack *a) {
  struct zn__tcp_bbr *b = cc->bbr;
  b->prev_probe_too_high = true;
  b->is_bw_probe_sample = false; /* only react once per probe */
  if (!app_limited)
    b->inflight_longterm =
        zn__cc_max32(tx_in_flight, pct32(target_inflight(cc), BETA_PCT));
  if (b->state == ZN__BBR_PROBE_BW_UP) {
    b->undo_state = ZN__BBR_PROBE_BW_UP;
    start_probe_bw_down(cc, a);
  }
}

/* NoteLoss */
static void note_loss(struct zn__tcp_cc *cc, uint32_t delivered) {
  struct zn__tcp_bbr *b = cc->bbr;
  if (!b->is_loss_in_round) {
    b->loss_round_delivered = delivered;
    save_state_upon_loss(cc);
  }
  b->is_loss_in_round = true;
}

/* InflightAtLoss: at what volume in flight, part way through the range
 * P (a burst of several segments), losses crossed BBR.LossThresh. */
static uint32_t inflight_at_loss(const struct zn__tcp_cc_lost *l) {
  int64_t inflight_prev = (int64_t)l->tx_in_flight - l->size;
  int64_t lost_prev = (int64_t)l->lost - l->size;
  if (inflight_prev < 0)
    inflight_prev = 0;
  int64_t prefix = ((int64_t)LOSS_THRESH_PCT * inflight_prev -
                    100 * lost_prev) /
                   (int64_t)(100u - LOSS_THRESH_PCT);
  if (prefix < 0)
    prefix = 0;
  return zn__cc_sat32((uint64_t)(inflight_prev + prefix));
}

/* ---- the per-ACK model update (§4.2.3 UpdateModelAndState) ----------- */

/* UpdateRound (§4.5.1) */
static void update_round(struct zn__tcp_bbr *b,
                         const struct zn__tcp_cc_ack *a) {
  if (a->has_p && dlv_geq(a->prior_delivered, b->next_round_delivered)) {
    start_round(b, a->delivered);
    b->round_count++;
    b->rounds_since_probe_up++;
    b->round_start = true;
    b->cwnd_limited_prev = b->cwnd_limited;
    b->cwnd_limited = a->cwnd_limited;
  } else {
    b->round_start = false;
  }
}

/* UpdateMaxBw (§4.5.2.4): app-limited samples only if they raise it. */
static void update_max_bw(struct zn__tcp_bbr *b,
                          const struct zn__tcp_cc_ack *a) {
  update_round(b, a);
  if (!a->rate_valid || a->delivery_rate == 0 ||
      (a->delivery_rate < b->max_bw && a->app_limited))
    return;
  uint64_t *slot = &b->max_bw_slot[b->cycle_count & 1u];
  *slot = max64(*slot, a->delivery_rate);
  b->max_bw = max64(b->max_bw_slot[0], b->max_bw_slot[1]);
}

/* AdvanceMaxBwFilter: a new ProbeBW cycle; the one before last ages out
 * (not after a cycle without samples: the model would be left empty). */
static void advance_max_bw_filter(struct zn__tcp_bbr *b) {
  if (b->max_bw_slot[b->cycle_count] == 0)
    return;
  b->cycle_count ^= 1u;
  b->max_bw_slot[b->cycle_count] = 0;
}

/* UpdateLatestDeliverySignals (§4.5.10) */
static void update_latest_delivery_signals(struct zn__tcp_bbr *b,
                                           const struct zn__tcp_cc_ack *a) {
  b->loss_round_start = false;
  if (a->rate_valid)
    b->bw_latest = max64(b->bw_latest, a->delivery_rate);
  if (a->has_p) {
    b->inflight_latest = zn__cc_max32(b->inflight_latest, a->rs_delivered);
    if (dlv_geq(a->prior_delivered, b->loss_round_delivered)) {
      b->loss_round_delivered = a->delivered;
      b->loss_round_start = true;
    }
  }
}

/* AdvanceLatestDeliverySignals */
static void advance_latest_delivery_signals(struct zn__tcp_bbr *b,
                                            const struct zn__tcp_cc_ack *a) {
  if (!b->loss_round_start)
    return;
  b->bw_latest = a->rate_valid ? a->delivery_rate : 0;
  b->inflight_latest = a->has_p ? a->rs_delivered : 0;
}

/* AdaptLowerBoundsFromCongestion: once per round with a loss, outside
 * the probing states, the short-term model follows the latest delivery
 * (InitLowerBounds, LossLowerBounds). */
static void adapt_lower_bounds_from_congestion(struct zn__tcp_cc *cc) {
  struct zn__tcp_bbr *b = cc->bbr;
  if (probing_bw(b) || !b->is_loss_in_round)
    return;
  if (b->bw_shortterm == INF64)
    b->bw_shortterm = b->max_bw;
  if (b->inflight_shortterm == INF32)
    b->inflight_shortterm = cc->cwnd;
  uint64_t bw_beta = b->bw_shortterm / 100u * BETA_PCT +
                     b->bw_shortterm % 100u * BETA_PCT / 100u;
  b->bw_shortterm = max64(b->bw_latest, bw_beta);
  b->inflight_shortterm =
      zn__cc_max32(b->inflight_latest, pct32(b->inflight_shortterm, BETA_PCT));
}

/* ECN (the draft's §2.7 leaves it open; see the top of the file). */
static void handle_ecn_echo(struct zn__tcp_cc *cc,
                            const struct zn__tcp_cc_ack *a) {
  note_loss(cc, a->delivered);
  if (cc->bbr->is_bw_probe_sample && a->has_p)
    handle_inflight_too_high(cc, a->tx_in_flight, a->app_limited, a);
}

/* UpdateCongestionSignals */
static void update_congestion_signals(struct zn__tcp_cc *cc,
                                      const struct zn__tcp_cc_ack *a) {
  struct zn__tcp_bbr *b = cc->bbr;
  update_max_bw(b, a);
  if (a->ece)
    handle_ecn_echo(cc, a);
  if (!b->loss_round_start)
    return; /* wait until the end of the round */
  adapt_lower_bounds_from_congestion(cc);
  b->is_loss_in_round = false;
}

/* UpdateACKAggregation (§4.5.5): how much more than bw * interval the
 * ACKs delivered, as a max over 10 rounds (1 in Startup). */
static void update_ack_aggregation(struct zn__tcp_cc *cc,
                                   const struct zn__tcp_cc_ack *a) {
  struct zn__tcp_bbr *b = cc->bbr;
  uint64_t interval = a->now_ns - b->extra_acked_start;
  uint64_t expected = b->bw < (UINT64_C(1) << 32)
                          ? b->bw * (interval / 1000u) / US_PER_S
                          : zn__cc_mul_sat(b->bw / US_PER_S, interval / 1000u);
  if (b->extra_acked_delivered <= expected) {
    b->extra_acked_delivered = 0;
    b->extra_acked_start = a->now_ns;
    expected = 0;
  }
  b->extra_acked_delivered =
      zn__cc_sat32((uint64_t)b->extra_acked_delivered + a->newly_acked);
  uint32_t extra =
      zn__cc_min32(zn__cc_sat32(b->extra_acked_delivered - expected), cc->cwnd);
  uint32_t len = b->full_bw_reached ? EXTRA_ACKED_FILTER_LEN : 1u;
  b->extra_acked =
      maxfilt_update(&b->extra_acked_filter, extra, b->round_count, len);
}

/* CheckFullBWReached (§4.3.1.1): three rounds, not application-limited,
 * without 25% growth. */
static void check_full_bw_reached(struct zn__tcp_bbr *b,
                                  const struct zn__tcp_cc_ack *a) {
  if (b->full_bw_now || !b->round_start || a->app_limited || !a->rate_valid)
    return;
  if (a->delivery_rate >=
      zn__cc_mul_sat(b->full_bw, FULL_BW_GROWTH_PCT) / 100u) {
    reset_full_bw(b);
    b->full_bw = a->delivery_rate;
    return;
  }
  b->full_bw_count++;
  b->full_bw_now = b->full_bw_count >= FULL_BW_ROUNDS;
  if (b->full_bw_now)
    b->full_bw_reached = true;
}

/* CheckStartupHighLoss (§4.3.1.2): in fast recovery for a round at
 * least, the round's loss rate above 2% over at least 6 lost ranges (any
 * loss without SACK): the pipe is full; inflight_longterm from what the
 * round delivered. */
static void check_startup_high_loss(struct zn__tcp_cc *cc,
                                    const struct zn__tcp_cc_ack *a) {
  struct zn__tcp_bbr *b = cc->bbr;
  if (!b->loss_round_start)
    return;
  bool lossy = a->sack ? b->loss_events_in_round >= STARTUP_FULL_LOSS_CNT &&
                             a->has_p &&
                             inflight_too_high(a->rs_lost, a->tx_in_flight,
                                               true)
                       : b->loss_events_in_round > 0;
  if (b->state == ZN__BBR_STARTUP && !b->full_bw_reached && b->in_recovery &&
      b->round_count != b->recovery_round && lossy) {
    b->undo_state = ZN__BBR_STARTUP;
    b->full_bw_reached = true;
    b->inflight_longterm = zn__cc_max32(bbr_bdp(b), b->inflight_latest);
  }
  b->loss_events_in_round = 0;
}

/* CheckStartupDone */
static void check_startup_done(struct zn__tcp_cc *cc,
                               const struct zn__tcp_cc_ack *a) {
  check_startup_high_loss(cc, a);
  if (cc->bbr->state == ZN__BBR_STARTUP && cc->bbr->full_bw_reached)
    enter_drain(cc->bbr);
}

/* CheckDrainDone (§4.3.2): the queue is drained, or 3 rounds passed. */
static void check_drain_done(struct zn__tcp_cc *cc,
                             const struct zn__tcp_cc_ack *a) {
  struct zn__tcp_bbr *b = cc->bbr;
  if (b->state == ZN__BBR_DRAIN &&
      (a->inflight <= inflight_at(cc, b->bw, GAIN_UNIT) ||
       b->round_count > b->drain_start_round + 3u))
    enter_probe_bw(cc, a);
}

/* IsRenoCoexistenceProbeTime: no longer between probes than a Reno flow
 * takes to grow its window by the BDP (one segment a round), 63 rounds
 * at most. */
static bool reno_coexistence_probe_time(const struct zn__tcp_cc *cc) {
  uint32_t rounds =
      zn__cc_min32(target_inflight(cc) / cc->mss, RENO_ROUNDS_MAX);
  return cc->bbr->rounds_since_probe_up >= rounds;
}

/* IsTimeToProbeBW: from DOWN or CRUISE to REFILL. */
static bool time_to_probe_bw(struct zn__tcp_cc *cc,
                             const struct zn__tcp_cc_ack *a) {
  struct zn__tcp_bbr *b = cc->bbr;
  if (a->now_ns > b->cycle_stamp + (uint64_t)b->bw_probe_wait_ms * NS_PER_MS ||
      reno_coexistence_probe_time(cc)) {
    start_probe_bw_refill(b, a->delivered);
    return true;
  }
  return false;
}

/* IsTimeToCruise: headroom left, and no queue. */
static bool time_to_cruise(const struct zn__tcp_cc *cc,
                           const struct zn__tcp_cc_ack *a) {
  return a->inflight <= inflight_with_headroom(cc) &&
         a->inflight <= inflight_at(cc, cc->bbr->max_bw, GAIN_UNIT);
}

static bool is_cwnd_limited(const struct zn__tcp_bbr *b) {
  return b->cwnd_limited || b->cwnd_limited_prev;
}

/* IsTimeToGoDown: from UP to DOWN. */
static bool time_to_go_down(struct zn__tcp_cc *cc,
                            const struct zn__tcp_cc_ack *a) {
  struct zn__tcp_bbr *b = cc->bbr;
  if (b->prev_probe_too_high && a->inflight >= b->inflight_longterm) {
    b->prev_probe_precautionary = true; /* precautionary deceleration */
    return true;
  }
  if (is_cwnd_limited(b) && cc->cwnd >= b->inflight_longterm) {
    reset_full_bw(b); /* bw is held by inflight_longterm */
    b->full_bw = a->rate_valid ? a->delivery_rate : 0;
  } else if (b->full_bw_now) {
    return true;
  }
  return false;
}

/* ProbeInflightLongtermUpward */
static void probe_inflight_longterm_upward(struct zn__tcp_cc *cc,
                                           const struct zn__tcp_cc_ack *a) {
  struct zn__tcp_bbr *b = cc->bbr;
  if (!is_cwnd_limited(b) || cc->cwnd < b->inflight_longterm)
    return; /* not using all of it: no reason to grow it */
  b->bw_probe_up_acked =
      zn__cc_sat32((uint64_t)b->bw_probe_up_acked + a->newly_acked);
  if (b->bw_probe_up_acked >= b->probe_up_acked_per_inc) {
    uint32_t delta = b->bw_probe_up_acked / b->probe_up_acked_per_inc;
    b->bw_probe_up_acked -= delta * b->probe_up_acked_per_inc;
    b->inflight_longterm = zn__cc_sat32((uint64_t)b->inflight_longterm +
                                 (uint64_t)delta * cc->mss);
  }
  if (b->round_start)
    raise_inflight_longterm_slope(cc);
}

/* AdaptLongTermModel: the ACK phases of a probe, the max filter's clock,
 * and inflight_longterm raised while the loss rate is safe.  True if it
 * decided a transition. */
static bool adapt_long_term_model(struct zn__tcp_cc *cc,
                                  const struct zn__tcp_cc_ack *a) {
  struct zn__tcp_bbr *b = cc->bbr;
  if (b->ack_phase == ZN__BBR_ACKS_PROBE_STARTING && b->round_start)
    b->ack_phase = ZN__BBR_ACKS_PROBE_FEEDBACK;
  if (b->ack_phase == ZN__BBR_ACKS_PROBE_STOPPING && b->round_start) {
    b->is_bw_probe_sample = false;
    b->ack_phase = ZN__BBR_ACKS_INIT;
    if (in_probe_bw(b) && !a->app_limited)
      advance_max_bw_filter(b);
    if (in_probe_bw(b) && b->prev_probe_precautionary &&
        !b->prev_probe_too_high) {
      start_probe_bw_refill(b, a->delivered); /* precautionary accel. */
      return true;
    }
  }
  if (a->has_p && inflight_too_high(a->rs_lost, a->tx_in_flight, a->sack))
    return false;
  if (b->inflight_longterm == INF32)
    return false; /* no upper bound to raise */
  if (a->has_p && a->tx_in_flight > b->inflight_longterm)
    b->inflight_longterm = a->tx_in_flight;
  if (b->state == ZN__BBR_PROBE_BW_UP)
    probe_inflight_longterm_upward(cc, a);
  return false;
}

/* UpdateProbeBWCyclePhase (§4.3.3.6), on ACKs of new data. */
static void update_probe_bw_cycle_phase(struct zn__tcp_cc *cc,
                                        const struct zn__tcp_cc_ack *a) {
  struct zn__tcp_bbr *b = cc->bbr;
  if (!b->full_bw_reached || a->newly_acked == 0)
    return;
  if (adapt_long_term_model(cc, a) || !in_probe_bw(b))
    return;
  switch (b->state) {
  case ZN__BBR_PROBE_BW_DOWN:
    if (!time_to_probe_bw(cc, a) && time_to_cruise(cc, a))
      start_probe_bw_cruise(b);
    break;
  case ZN__BBR_PROBE_BW_CRUISE:
    (void)time_to_probe_bw(cc, a);
    break;
  case ZN__BBR_PROBE_BW_REFILL:
    if (b->round_start) { /* one round of refill, then up */
      b->is_bw_probe_sample = true;
      start_probe_bw_up(cc, a);
    }
    break;
  default: /* ZN__BBR_PROBE_BW_UP */
    if (time_to_go_down(cc, a)) {
      b->prev_probe_too_high = false; /* no high loss (yet) */
      start_probe_bw_down(cc, a);
    }
    break;
  }
}

/* UpdateMinRTT (§4.3.4.4): probe_rtt_min_us is the min over the last
 * ProbeRTTInterval, min_rtt over MinRTTFilterLen. */
static void update_min_rtt(struct zn__tcp_bbr *b,
                           const struct zn__tcp_cc_ack *a) {
  b->probe_rtt_expired =
      a->now_ns > b->probe_rtt_min_stamp + PROBE_RTT_INTERVAL_NS;
  if (a->rtt_us && (a->rtt_us < b->probe_rtt_min_us || b->probe_rtt_expired)) {
    b->probe_rtt_min_us = a->rtt_us;
    b->probe_rtt_min_stamp = a->now_ns;
  }
  bool min_rtt_expired = a->now_ns > b->min_rtt_stamp + MIN_RTT_FILTER_NS;
  if (b->probe_rtt_min_us < b->min_rtt_us || min_rtt_expired) {
    b->min_rtt_us = b->probe_rtt_min_us;
    b->min_rtt_stamp = b->probe_rtt_min_stamp;
  }
}

/* ProbeRTTCwnd: half the BDP, MinPipeCwnd at least. */
static uint32_t probe_rtt_cwnd(const struct zn__tcp_cc *cc) {
  return zn__cc_max32(bdp_multiple(cc->bbr, cc->bbr->bw,
                            gains[ZN__BBR_PROBE_RTT].cwnd),
               min_pipe_cwnd(cc));
}

/* ExitProbeRTT (§4.3.4.6): back to cruising if the pipe was known full
 * (DOWN's clock restarted; inflight is below the BDP already), else to
 * Startup. */
static void exit_probe_rtt(struct zn__tcp_cc *cc,
                           const struct zn__tcp_cc_ack *a) {
  struct zn__tcp_bbr *b = cc->bbr;
  reset_short_term_model(b);
  if (b->full_bw_reached) {
    start_probe_bw_down(cc, a);
    start_probe_bw_cruise(b);
  } else {
    enter_startup(b);
  }
}

/* CheckProbeRTTDone */
static void check_probe_rtt_done(struct zn__tcp_cc *cc,
                                 const struct zn__tcp_cc_ack *a) {
  struct zn__tcp_bbr *b = cc->bbr;
  if (b->probe_rtt_done_stamp != 0 && a->now_ns > b->probe_rtt_done_stamp) {
    b->probe_rtt_min_stamp = a->now_ns; /* the next ProbeRTT's clock */
    restore_cwnd(cc);
    exit_probe_rtt(cc, a);
  }
}

/* HandleProbeRTT: hold inflight at ProbeRTTCwnd for 200 ms and a round. */
static void handle_probe_rtt(struct zn__tcp_cc *cc,
                             const struct zn__tcp_cc_ack *a) {
  struct zn__tcp_bbr *b = cc->bbr;
  if (b->probe_rtt_done_stamp == 0 && a->inflight <= probe_rtt_cwnd(cc)) {
    b->probe_rtt_done_stamp = a->now_ns + PROBE_RTT_DURATION_NS;
    b->probe_rtt_round_done = false;
    start_round(b, a->delivered);
  } else if (b->probe_rtt_done_stamp != 0) {
    if (b->round_start)
      b->probe_rtt_round_done = true;
    if (b->probe_rtt_round_done)
      check_probe_rtt_done(cc, a);
  }
}

/* CheckProbeRTT (§4.3.4.4).  Returns ZN__CC_MARK_APP_LIMITED in ProbeRTT:
 * its low-rate samples must not lower the model. */
static uint32_t check_probe_rtt(struct zn__tcp_cc *cc,
                                const struct zn__tcp_cc_ack *a) {
  struct zn__tcp_bbr *b = cc->bbr;
  uint32_t out = 0;
  if (b->state != ZN__BBR_PROBE_RTT && b->probe_rtt_expired &&
      !b->idle_restart) {
    b->state = ZN__BBR_PROBE_RTT; /* EnterProbeRTT */
    save_cwnd(cc);
    b->probe_rtt_done_stamp = 0;
    b->ack_phase = ZN__BBR_ACKS_PROBE_STOPPING;
    start_round(b, a->delivered);
  }
  if (b->state == ZN__BBR_PROBE_RTT) {
    out = ZN__CC_MARK_APP_LIMITED;
    handle_probe_rtt(cc, a);
  }
  if (a->has_p && a->rs_delivered > 0)
    b->idle_restart = false;
  return out;
}

/* BoundBWForModel */
static void bound_bw_for_model(struct zn__tcp_bbr *b) {
  b->bw = min64(b->max_bw, b->bw_shortterm);
}

/* ---- control parameters (§4.6) ---------------------------------------- */

/* UpdateMaxInflight: cwnd_gain BDPs plus the aggregation estimate. */
static uint32_t max_inflight(const struct zn__tcp_cc *cc) {
  const struct zn__tcp_bbr *b = cc->bbr;
  uint32_t cap = bdp_multiple(b, b->bw, gains[b->state].cwnd);
  cap = zn__cc_sat32((uint64_t)cap + b->extra_acked);
  return quantization_budget(cc, cap);
}

/* BoundCwndForModel (§4.6.4.7): the volume caps of the state. */
static void bound_cwnd_for_model(struct zn__tcp_cc *cc) {
  const struct zn__tcp_bbr *b = cc->bbr;
  uint32_t cap = INF32;
  if (in_probe_bw(b) && b->state != ZN__BBR_PROBE_BW_CRUISE)
    cap = b->inflight_longterm;
  else if (b->state == ZN__BBR_PROBE_RTT ||
           b->state == ZN__BBR_PROBE_BW_CRUISE)
    cap = inflight_with_headroom(cc);
  cap = zn__cc_min32(cap, b->inflight_shortterm);
  cap = zn__cc_max32(cap, min_pipe_cwnd(cc));
  cc->cwnd = zn__cc_min32(cc->cwnd, cap);
}

/* SetCwnd (§4.6.4.6): up by what is acked, to max_inflight once the pipe
 * is known full; ProbeRTT's and the model's bounds after. */
static void set_cwnd(struct zn__tcp_cc *cc, const struct zn__tcp_cc_ack *a) {
  struct zn__tcp_bbr *b = cc->bbr;
  uint32_t target = max_inflight(cc);
  if (!b->delivered_iw && !dlv_geq(b->initial_cwnd, a->delivered + 1u))
    b->delivered_iw = true;
  uint32_t grown = zn__cc_sat32((uint64_t)cc->cwnd + a->newly_acked);
  if (b->full_bw_reached)
    cc->cwnd = zn__cc_min32(grown, target);
  else if (cc->cwnd < target || !b->delivered_iw)
    cc->cwnd = grown;
  cc->cwnd = zn__cc_max32(cc->cwnd, min_pipe_cwnd(cc));
  if (b->state == ZN__BBR_PROBE_RTT)
    cc->cwnd =
        zn__cc_min32(cc->cwnd, probe_rtt_cwnd(cc)); /* BoundCwndForProbeRTT */
  bound_cwnd_for_model(cc);
}

/* ---- the ops --------------------------------------------------------------
 */

static void clock_start(struct zn__tcp_bbr *b, uint64_t now) {
  if (b->clock_on)
    return;
  b->clock_on = true;
  b->min_rtt_stamp = now;
  b->probe_rtt_min_stamp = now;
  b->extra_acked_start = now;
}

/* OnInit (§4.2.1) */
static void bbr_init(struct zn__tcp_cc *cc, uint32_t mss, uint32_t iw) {
  uint32_t rng = cc->rng;
  struct zn__tcp_bbr *b = cc->bbr;
  *b = (struct zn__tcp_bbr){0};
  cc->ops = &zn__tcp_cc_bbr;
  cc->rng = rng;
  cc->mss = mss ? mss : 1;
  cc->cwnd = zn__cc_max32(iw, cc->mss);
  cc->ssthresh = UINT32_MAX;
  b->initial_cwnd = cc->cwnd;
  b->min_rtt_us = INF32;
  b->probe_rtt_min_us = INF32;
  b->undo_state = ZN__BBR_UNDO_NONE;
  b->undo_bw_shortterm = INF64;
  b->undo_inflight_shortterm = INF32;
  b->undo_inflight_longterm = INF32;
  b->inflight_longterm = INF32;
  b->probe_up_acked_per_inc = INF32;
  b->ack_phase = ZN__BBR_ACKS_INIT;
  maxfilt_reset(&b->extra_acked_filter, 0, 0);
  reset_congestion_signals(b);
  reset_short_term_model(b);
  reset_full_bw(b);
  init_pacing_rate(cc, 0);
  enter_startup(b);
}

/* UpdateOnACK (§4.2.3): the model, then the controls. */
static uint32_t bbr_on_ack_sample(struct zn__tcp_cc *cc,
                                  const struct zn__tcp_cc_ack *a) {
  struct zn__tcp_bbr *b = cc->bbr;
  clock_start(b, a->now_ns);
  b->delivered = a->delivered;
  if (!b->has_rtt && a->srtt_us) {
    b->has_rtt = true;
    init_pacing_rate(cc, a->srtt_us);
  }
  if (a->cwnd_limited)
    b->cwnd_limited = true;
  update_latest_delivery_signals(b, a);
  update_congestion_signals(cc, a);
  update_ack_aggregation(cc, a);
  check_full_bw_reached(b, a);
  check_startup_done(cc, a);
  check_drain_done(cc, a);
  update_probe_bw_cycle_phase(cc, a);
  update_min_rtt(b, a);
  uint32_t out = check_probe_rtt(cc, a);
  advance_latest_delivery_signals(b, a);
  bound_bw_for_model(b);
  set_pacing_rate_with_gain(cc, gains[b->state].pacing);
  set_cwnd(cc, a);
  return out;
}

/* HandleLostPacket (§4.5.6.2), with the range the engine took as lost
 * for P. */
static void bbr_on_lost(struct zn__tcp_cc *cc,
                        const struct zn__tcp_cc_lost *l) {
  struct zn__tcp_bbr *b = cc->bbr;
  b->delivered = l->delivered;
  note_loss(cc, l->delivered);
  if (b->loss_events_in_round < UINT8_MAX)
    b->loss_events_in_round++;
  if (!b->is_bw_probe_sample)
    return; /* not sent while probing */
  if (!inflight_too_high(l->lost, l->tx_in_flight, l->sack))
    return;
  struct zn__tcp_cc_ack a = {.now_ns = l->now_ns, .delivered = l->delivered};
  handle_inflight_too_high(cc, inflight_at_loss(l), l->app_limited, &a);
}

/* OnEnterFastRecovery (§4.6.4.4) */
static void bbr_on_loss(struct zn__tcp_cc *cc, uint32_t flight,
                        uint64_t now_ns) {
  (void)flight;
  (void)now_ns;
  save_cwnd(cc);
  save_state_upon_loss(cc);
  if (!cc->bbr->in_recovery)
    cc->bbr->recovery_round = cc->bbr->round_count;
  cc->bbr->in_recovery = true;
}

/* OnEnterRTO: cwnd = C.inflight + 1 packet, and C.inflight is 0. */
static void bbr_on_rto(struct zn__tcp_cc *cc, uint32_t flight,
                       uint64_t now_ns) {
  bbr_on_loss(cc, flight, now_ns);
  cc->cwnd = cc->mss;
}

/* Recovery ended: the last good cwnd back (the next ACK's SetCwnd bounds
 * it by the model). */
static void bbr_on_recovery_end(struct zn__tcp_cc *cc, uint32_t flight,
                                uint64_t now_ns) {
  (void)flight;
  (void)now_ns;
  cc->bbr->in_recovery = false;
  restore_cwnd(cc);
}

/* HandleSpuriousLossDetection (§4.5.9.2) */
static void bbr_on_undo(struct zn__tcp_cc *cc, uint32_t prior_cwnd,
                        uint32_t prior_ssthresh) {
  struct zn__tcp_bbr *b = cc->bbr;
  (void)prior_cwnd;
  (void)prior_ssthresh;
  b->in_recovery = false;
  restore_cwnd(cc);
  b->is_loss_in_round = false;
  reset_full_bw(b);
  b->bw_shortterm = max64(b->bw_shortterm, b->undo_bw_shortterm);
  b->inflight_shortterm =
      zn__cc_max32(b->inflight_shortterm, b->undo_inflight_shortterm);
  b->inflight_longterm =
      zn__cc_max32(b->inflight_longterm, b->undo_inflight_longterm);
  if (b->undo_state == ZN__BBR_STARTUP && b->state != ZN__BBR_STARTUP) {
    b->full_bw_reached = false;
    if (b->state != ZN__BBR_PROBE_RTT)
      enter_startup(b);
  } else if (b->undo_state == ZN__BBR_PROBE_BW_UP &&
             b->state != ZN__BBR_PROBE_BW_UP &&
             b->state != ZN__BBR_PROBE_RTT) {
    start_probe_bw_refill(b, b->delivered);
  }
  b->undo_state = ZN__BBR_UNDO_NONE;
}

/* HandleRestartFromIdle (§4.4): the engine calls it before a send with
 * nothing in flight. */
static void bbr_on_transmit(struct zn__tcp_cc *cc, bool app_limited,
                            uint64_t now_ns) {
  struct zn__tcp_bbr *b = cc->bbr;
  clock_start(b, now_ns);
  if (!app_limited)
    return;
  b->idle_restart = true;
  b->extra_acked_start = now_ns;
  if (in_probe_bw(b)) {
    set_pacing_rate_with_gain(cc, GAIN_UNIT);
  } else if (b->state == ZN__BBR_PROBE_RTT) {
    struct zn__tcp_cc_ack a = {.now_ns = now_ns, .delivered = b->delivered};
    check_probe_rtt_done(cc, &a);
  }
}

/* BBR grows cwnd in on_ack_sample. */
static void bbr_on_ack(struct zn__tcp_cc *cc, uint32_t acked, uint64_t now_ns,
                       uint32_t srtt_us) {
  (void)cc;
  (void)acked;
  (void)now_ns;
  (void)srtt_us;
}

const struct zn__tcp_cc_ops zn__tcp_cc_bbr = {
    .name = "bbr",
    .init = bbr_init,
    .on_ack = bbr_on_ack,
    .on_loss = bbr_on_loss,
    .on_rto = bbr_on_rto,
    .on_recovery_end = bbr_on_recovery_end,
    .on_undo = bbr_on_undo,
    .on_idle = NULL,
    .model_based = true,
    .on_ack_sample = bbr_on_ack_sample,
    .on_lost = bbr_on_lost,
    .on_transmit = bbr_on_transmit,
};
