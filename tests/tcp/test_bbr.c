/*
 * Tests of src/tcp/tcp_bbr.c: BBR's state machine and model, driven
 * through the controller interface (tcp_cc.h) by a small packet-level
 * path written here: a sender paced at cc.pacing_rate and held by
 * cc.cwnd, a FIFO bottleneck of a given rate and buffer (drop-tail, with
 * random loss besides), a fixed propagation delay, an ACK per packet.
 * The rate samples are made here from the draft's per-packet state
 * (draft-ietf-ccwg-bbr §3.1), independently of the engine's tcp_rate.c;
 * a packet dropped is found lost when a later one is ACKed (RACK with no
 * reordering window), and is not resent (the controller only counts it).
 *
 * The cases follow the draft's Appendix A ("BBR Example Test Cases"):
 * Startup's exits (bandwidth plateau; loss, also application-limited),
 * Drain's two exits, the ProbeBW cycle and its timing, ProbeBW_UP's exit
 * on loss and the precautionary probe after it, ProbeRTT every 5 s and
 * skipped after idle, application-limited periods, a bandwidth ten times
 * higher or lower, a BDP under one packet, ECN echoes, undo.
 */
#include <stdint.h>

#include "tcp/tcp_cc.h"
#include "zt.h"

#define MSS 1000u
#define IW (10u * MSS)
#define NS_PER_MS UINT64_C(1000000)
#define NS_PER_S UINT64_C(1000000000)
#define RING 8192u
#define RTO_NS (NS_PER_S)

static const struct zn__tcp_cc_ops *const bbr = &zn__tcp_cc_bbr;

struct pkt {
  uint64_t send_ns, ack_ns, delivered_ns, first_tx_ns;
  uint32_t delivered, lost, in_flight;
  bool app_limited, dropped, done;
};

struct sim {
  struct zn__tcp_cc cc;
  struct zn__tcp_bbr model;  /* cc.bbr, as the engine lends it */
  uint64_t now;
  /* The path. */
  uint64_t bw;           /* bottleneck, bytes/s */
  uint64_t rtt_ns;       /* two-way propagation */
  uint64_t qcap;         /* bottleneck buffer, bytes */
  uint32_t loss_ppm;     /* random loss at the bottleneck */
  bool ce;               /* mark what queues past qcap / 2 (ECN) */
  uint64_t link_free;    /* when the bottleneck finishes what it has */
  uint32_t rng;
  /* The sender. */
  uint64_t app_rate;     /* bytes/s the application writes; 0: no end */
  uint64_t app_bytes;    /* written, not sent */
  uint64_t app_last;
  uint64_t next_send;
  uint32_t delivered, lost, inflight;
  uint64_t delivered_ns, first_tx_ns;
  uint32_t app_limited;  /* C.app_limited */
  bool cwnd_limited;
  bool in_recovery;
  uint32_t recover;      /* recovery ends past this packet */
  uint32_t head, tail;   /* packets [head, tail) not yet done */
  uint64_t last_ack_ns;
  uint32_t min_rtt_us;
  struct pkt p[RING];
  /* What happened. */
  uint32_t acks, drops, marks, rtos;
  uint64_t acked_bytes;
  uint8_t state_log[64];
  uint64_t state_at[64];
  unsigned nstates;
  uint32_t max_queue;    /* bytes */
};

static uint32_t sim_rand(struct sim *s) {
  uint32_t x = s->rng;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  return s->rng = x;
}

static void note_state(struct sim *s) {
  uint8_t st = s->cc.bbr->state;
  if (s->nstates == 64 ||
      (s->nstates && s->state_log[s->nstates - 1] == st))
    return;
  if (getenv("BBR_TRACE"))
    fprintf(stderr,
            "t=%.3f state=%u round=%u inflight=%u cwnd=%u bw=%llu max_bw=%llu "
            "pacing=%llu min_rtt=%u lt=%u st=%u drops=%u\n",
            (double)s->now / 1e9, st, s->cc.bbr->round_count, s->inflight,
            s->cc.cwnd, (unsigned long long)s->cc.bbr->bw,
            (unsigned long long)s->cc.bbr->max_bw,
            (unsigned long long)s->cc.pacing_rate, s->cc.bbr->min_rtt_us,
            s->cc.bbr->inflight_longterm, s->cc.bbr->inflight_shortterm,
            s->drops);
  s->state_log[s->nstates] = st;
  s->state_at[s->nstates] = s->now;
  s->nstates++;
}

static void sim_init(struct sim *s, uint64_t bw_mbit, uint32_t rtt_ms,
                     uint32_t qcap_bdp_pct) {
  memset(s, 0, sizeof(*s));
  s->bw = bw_mbit * 125000u;
  s->rtt_ns = rtt_ms * NS_PER_MS;
  uint64_t bdp = s->bw * s->rtt_ns / NS_PER_S;
  s->qcap = bdp * qcap_bdp_pct / 100u;
  if (s->qcap < 2u * MSS)
    s->qcap = 2u * MSS;
  s->rng = 0x2545f491u;
  s->cc.rng = 12345u;
  s->now = NS_PER_S; /* any start */
  s->min_rtt_us = UINT32_MAX;
  s->cc.bbr = &s->model;
  bbr->init(&s->cc, MSS, IW);
  note_state(s);
}

/* What the bottleneck does with a packet sent now: dropped (random loss,
 * or the buffer is full), or its ACK's arrival time. */
static void path_send(struct sim *s, struct pkt *p) {
  uint64_t arrive = s->now + s->rtt_ns / 2;
  uint64_t start = s->link_free > arrive ? s->link_free : arrive;
  uint64_t queued = (start - arrive) * s->bw / NS_PER_S;
  if (queued > s->max_queue)
    s->max_queue = (uint32_t)queued;
  if (queued + MSS > s->qcap ||
      (s->loss_ppm && sim_rand(s) % 1000000u < s->loss_ppm)) {
    p->dropped = true;
    s->drops++;
    return;
  }
  s->link_free = start + (uint64_t)MSS * NS_PER_S / s->bw;
  p->ack_ns = s->link_free + s->rtt_ns / 2;
}

/* The bottleneck's rate changes now: what waits in its queue leaves at
 * the new rate. */
static void sim_set_bw(struct sim *s, uint64_t bw) {
  s->bw = bw;
  uint64_t link = s->now;
  for (uint32_t j = s->head; j != s->tail; j++) {
    struct pkt *q = &s->p[j % RING];
    if (q->done || q->dropped || q->ack_ns - s->rtt_ns / 2 <= s->now)
      continue;
    uint64_t arrive = q->send_ns + s->rtt_ns / 2;
    link = (arrive > link ? arrive : link) + (uint64_t)MSS * NS_PER_S / bw;
    q->ack_ns = link + s->rtt_ns / 2;
  }
  if (link > s->link_free || s->link_free > s->now)
    s->link_free = link;
}

static bool has_data(struct sim *s) {
  return s->app_rate == 0 || s->app_bytes >= MSS;
}

/* §3.1.4 CheckIfApplicationLimited, after a send opportunity. */
static void check_app_limited(struct sim *s) {
  if (!has_data(s) && s->inflight < s->cc.cwnd) {
    uint32_t m = s->delivered + s->inflight;
    s->app_limited = m ? m : 1u;
  }
}

static void send_one(struct sim *s) {
  if (s->inflight == 0)
    bbr->on_transmit(&s->cc, s->app_limited != 0, s->now);
  if (s->inflight == 0) {
    s->first_tx_ns = s->now;
    s->delivered_ns = s->now;
  }
  struct pkt *p = &s->p[s->tail % RING];
  s->inflight += MSS;
  *p = (struct pkt){.send_ns = s->now,
                    .delivered_ns = s->delivered_ns,
                    .first_tx_ns = s->first_tx_ns,
                    .delivered = s->delivered,
                    .lost = s->lost,
                    .in_flight = s->inflight,
                    .app_limited = s->app_limited != 0};
  s->tail++;
  if (s->app_rate)
    s->app_bytes -= MSS;
  path_send(s, p);
  uint64_t rate = s->cc.pacing_rate ? s->cc.pacing_rate : 1u;
  uint64_t base = s->next_send > s->now ? s->next_send : s->now;
  s->next_send = base + (uint64_t)MSS * NS_PER_S / rate;
}

static void mark_lost(struct sim *s, struct pkt *p) {
  p->done = true;
  s->inflight -= MSS;
  s->lost += MSS;
  struct zn__tcp_cc_lost l = {.now_ns = s->now,
                              .size = MSS,
                              .tx_in_flight = p->in_flight,
                              .lost = s->lost - p->lost,
                              .delivered = s->delivered,
                              .app_limited = p->app_limited,
                              .sack = true};
  bbr->on_lost(&s->cc, &l);
  if (!s->in_recovery) {
    s->in_recovery = true;
    s->recover = s->tail;
    bbr->on_loss(&s->cc, s->inflight, s->now);
  }
}

/* The ACK of packet i (RACK: what was sent before it and dropped is
 * lost now). */
static void ack_one(struct sim *s, uint32_t i, bool ece) {
  struct pkt *p = &s->p[i % RING];
  for (uint32_t j = s->head; j != i; j++) {
    struct pkt *q = &s->p[j % RING];
    if (!q->done && q->dropped)
      mark_lost(s, q);
  }
  p->done = true;
  s->inflight -= MSS;
  s->delivered += MSS;
  s->delivered_ns = s->now;
  s->acks++;
  s->acked_bytes += MSS;
  s->last_ack_ns = s->now;
  if (s->app_limited && (int32_t)(s->delivered - s->app_limited) > 0)
    s->app_limited = 0;
  uint32_t rtt_us = (uint32_t)((s->now - p->send_ns) / 1000u);
  if (rtt_us < s->min_rtt_us)
    s->min_rtt_us = rtt_us;
  uint64_t send_el = p->send_ns - p->first_tx_ns;
  uint64_t ack_el = s->now - p->delivered_ns;
  uint64_t interval = send_el > ack_el ? send_el : ack_el;
  s->first_tx_ns = p->send_ns;
  struct zn__tcp_cc_ack a = {
      .now_ns = s->now,
      .delivered = s->delivered,
      .prior_delivered = p->delivered,
      .rs_delivered = s->delivered - p->delivered,
      .rs_lost = s->lost - p->lost,
      .tx_in_flight = p->in_flight,
      .newly_acked = MSS,
      .inflight = s->inflight,
      .rtt_us = rtt_us,
      .srtt_us = rtt_us,
      .has_p = true,
      .app_limited = p->app_limited,
      .cwnd_limited = s->cwnd_limited,
      .sack = true,
      .ece = ece,
  };
  if (interval >= (uint64_t)s->min_rtt_us * 1000u && interval > 0) {
    a.rate_valid = true;
    a.delivery_rate = (uint64_t)a.rs_delivered * NS_PER_S / interval;
  }
  if (s->in_recovery && (int32_t)(i - s->recover) >= 0) {
    s->in_recovery = false;
    bbr->on_recovery_end(&s->cc, s->inflight, s->now);
  }
  if (bbr->on_ack_sample(&s->cc, &a) & ZN__CC_MARK_APP_LIMITED) {
    uint32_t m = s->delivered + s->inflight;
    s->app_limited = m ? m : 1u;
  }
  while (s->head != s->tail && s->p[s->head % RING].done)
    s->head++;
  note_state(s);
}

/* The first packet whose ACK is due, or tail if none. */
static uint32_t next_acked(const struct sim *s) {
  for (uint32_t j = s->head; j != s->tail; j++)
    if (!s->p[j % RING].done && !s->p[j % RING].dropped)
      return j;
  return s->tail;
}

/* Nothing ACKed for RTO_NS with data out: everything is lost. */
static void rto(struct sim *s) {
  s->rtos++;
  bbr->on_rto(&s->cc, s->inflight, s->now);
  s->in_recovery = true;
  s->recover = s->tail;
  for (uint32_t j = s->head; j != s->tail; j++) {
    struct pkt *q = &s->p[j % RING];
    if (!q->done) {
      q->done = true;
      s->inflight -= MSS;
      s->lost += MSS;
    }
  }
  s->head = s->tail;
  s->last_ack_ns = s->now;
}

/* Run the path until `until` (absolute ns). */
static void sim_run(struct sim *s, uint64_t until) {
  while (s->now < until) {
    if (s->app_rate) {
      s->app_bytes += s->app_rate * (s->now - s->app_last) / NS_PER_S;
      s->app_last = s->now;
    }
    uint32_t i = next_acked(s);
    uint64_t t_ack = i != s->tail ? s->p[i % RING].ack_ns : UINT64_MAX;
    bool room = s->inflight + MSS <= s->cc.cwnd;
    s->cwnd_limited = has_data(s) && !room;
    uint64_t t_send = UINT64_MAX;
    if (room && has_data(s))
      t_send = s->next_send > s->now ? s->next_send : s->now;
    else
      check_app_limited(s);
    if (room && !has_data(s)) /* when the application has a packet */
      t_send = s->now + (MSS - s->app_bytes) * NS_PER_S / s->app_rate + 1;
    uint64_t t_rto = s->inflight ? s->last_ack_ns + RTO_NS : UINT64_MAX;
    uint64_t t = t_ack < t_send ? t_ack : t_send;
    if (t_rto < t)
      t = t_rto;
    if (t > until)
      t = until;
    if (t > s->now)
      s->now = t;
    if (t == t_ack) {
      const struct pkt *p = &s->p[i % RING];
      bool ece = s->ce && p->ack_ns - p->send_ns >
                              s->rtt_ns + s->qcap / 2 * NS_PER_S / s->bw;
      ack_one(s, i, ece);
    } else if (t == t_send && has_data(s) &&
               s->inflight + MSS <= s->cc.cwnd) {
      send_one(s);
    } else if (t == t_rto && s->inflight) {
      rto(s);
    }
  }
}

static uint64_t secs(double x) { return (uint64_t)(x * 1e9); }

static bool visited(const struct sim *s, uint8_t st) {
  for (unsigned i = 0; i < s->nstates; i++)
    if (s->state_log[i] == st)
      return true;
  return false;
}

/* Index in the log of the first visit of st at or after index from. */
static int find_state(const struct sim *s, uint8_t st, unsigned from) {
  for (unsigned i = from; i < s->nstates; i++)
    if (s->state_log[i] == st)
      return (int)i;
  return -1;
}

/* What the run delivered over its `dur` seconds, in % of the
 * bottleneck's rate. */
static uint64_t share_pct(const struct sim *s, unsigned dur) {
  return s->acked_bytes * 100u / (s->bw * dur);
}

/* ---- Startup and Drain ------------------------------------------------- */

/* A.1: the delivery rate plateaus; max_bw within 2% of the bottleneck;
 * three rounds without 25% growth end Startup; Drain follows, then
 * ProbeBW_DOWN once inflight is down to the BDP (and CRUISE on the same
 * ACK: inflight is at the BDP with headroom; the log has the state after
 * each ACK). */
ZT_TEST(test_startup_exits_on_plateau_to_drain_then_probe_bw) {
  static struct sim s;
  sim_init(&s, 20, 40, 200);
  sim_run(&s, s.now + secs(3));
  const struct zn__tcp_bbr *b = s.cc.bbr;
  ZT_CHECK(b->full_bw_reached);
  ZT_EQU(s.state_log[0], ZN__BBR_STARTUP);
  ZT_EQU(s.state_log[1], ZN__BBR_DRAIN);
  ZT_CHECK(s.state_log[2] == ZN__BBR_PROBE_BW_DOWN ||
           s.state_log[2] == ZN__BBR_PROBE_BW_CRUISE);
  ZT_CHECK(b->max_bw <= s.bw + s.bw / 50 && b->max_bw >= s.bw - s.bw / 50);
  ZT_CHECK(b->min_rtt_us >= 40000 && b->min_rtt_us < 41000);
  /* Startup's queue is bounded by its cwnd gain: no loss in a 2-BDP
   * buffer. */
  ZT_EQU(s.drops, 0);
  ZT_EQU(b->inflight_longterm, UINT32_MAX);
}

/* A.3: Drain paces at 0.5 and ends when inflight is at the BDP: the
 * queue Startup built is gone within a few round trips. */
ZT_TEST(test_drain_exits_on_inflight) {
  static struct sim s;
  sim_init(&s, 20, 40, 300);
  uint64_t t0 = s.now;
  while (s.cc.bbr->state != ZN__BBR_DRAIN && s.now < t0 + secs(3))
    sim_run(&s, s.now + NS_PER_MS);
  ZT_REQUIRE(s.cc.bbr->state == ZN__BBR_DRAIN);
  uint64_t bw = s.cc.bbr->bw;
  ZT_CHECK(s.cc.pacing_rate < bw * 51 / 100 && s.cc.pacing_rate > bw * 49 / 100);
  uint32_t start = s.cc.bbr->round_count;
  while (s.cc.bbr->state == ZN__BBR_DRAIN && s.now < t0 + secs(5))
    sim_run(&s, s.now + NS_PER_MS);
  ZT_CHECK(s.cc.bbr->state == ZN__BBR_PROBE_BW_DOWN ||
           s.cc.bbr->state == ZN__BBR_PROBE_BW_CRUISE);
  ZT_CHECK(s.cc.bbr->round_count <= start + 3u);
  ZT_CHECK(s.inflight <= s.bw * 41 / 1000 + 6 * MSS); /* about the BDP */
}

/* A.4: with the bottleneck slower from the start of Drain (70% slower:
 * below Drain's pacing, so that the queue does not drain), inflight
 * stays above the BDP as measured; after 3 rounds Drain ends anyway. */
ZT_TEST(test_drain_exits_after_three_rounds) {
  static struct sim s;
  sim_init(&s, 20, 40, 300);
  uint64_t t0 = s.now;
  while (s.cc.bbr->state != ZN__BBR_DRAIN && s.now < t0 + secs(3))
    sim_run(&s, s.now + NS_PER_MS);
  ZT_REQUIRE(s.cc.bbr->state == ZN__BBR_DRAIN);
  sim_set_bw(&s, s.bw * 30 / 100);
  uint32_t start = s.cc.bbr->drain_start_round;
  while (s.cc.bbr->state == ZN__BBR_DRAIN && s.now < t0 + secs(10))
    sim_run(&s, s.now + NS_PER_MS);
  ZT_EQU(s.cc.bbr->state, ZN__BBR_PROBE_BW_DOWN);
  ZT_EQU(s.cc.bbr->round_count, start + 4u);
  ZT_CHECK(s.inflight > s.bw * 40 / 1000);
}

/* A.2: application-limited samples cannot end Startup by a plateau, but
 * loss above 2% over 6 ranges in a round of recovery does. */
ZT_TEST(test_startup_exits_on_loss_when_app_limited) {
  static struct sim s;
  sim_init(&s, 100, 20, 1000);
  s.app_rate = 2500000; /* 20 Mbit/s of a 100 Mbit/s path */
  s.app_last = s.now;
  sim_run(&s, s.now + secs(2));
  ZT_EQU(s.cc.bbr->state, ZN__BBR_STARTUP); /* A.7: no exit without loss */
  ZT_CHECK(!s.cc.bbr->full_bw_reached);
  s.loss_ppm = 50000; /* 5% */
  uint64_t t = s.now;
  while (s.cc.bbr->state == ZN__BBR_STARTUP && s.now < t + secs(2))
    sim_run(&s, s.now + NS_PER_MS);
  ZT_CHECK(s.cc.bbr->full_bw_reached);
  ZT_CHECK(s.cc.bbr->state != ZN__BBR_STARTUP);
  ZT_EQU(s.cc.bbr->undo_state, ZN__BBR_STARTUP); /* the loss exit's mark */
  ZT_CHECK(s.cc.bbr->inflight_longterm != UINT32_MAX);
}

/* Random loss under 2% leaves Startup to find the bandwidth by itself. */
ZT_TEST(test_startup_ignores_low_loss) {
  static struct sim s;
  sim_init(&s, 20, 40, 200);
  s.loss_ppm = 5000; /* 0.5% */
  sim_run(&s, s.now + secs(3));
  ZT_CHECK(s.cc.bbr->full_bw_reached);
  const struct zn__tcp_bbr *b = s.cc.bbr;
  ZT_CHECK(b->max_bw >= s.bw * 95 / 100);
  ZT_EQU(b->inflight_longterm, UINT32_MAX);
}

/* ---- ProbeBW ------------------------------------------------------------ */

/* The cycle DOWN -> CRUISE -> REFILL -> UP -> DOWN, with the wait before
 * REFILL between 2 and 3 s (the Reno-coexistence bound is 63 rounds:
 * 2.5 s at 40 ms) and REFILL one round long; throughput stays near the
 * bottleneck and the queue small. */
ZT_TEST(test_probe_bw_cycle) {
  static struct sim s;
  sim_init(&s, 20, 40, 200);
  sim_run(&s, s.now + secs(12));
  /* (DOWN and CRUISE on one ACK after Drain: the log starts at CRUISE.) */
  int c = find_state(&s, ZN__BBR_PROBE_BW_CRUISE, 0);
  ZT_REQUIRE(c >= 0);
  int r = find_state(&s, ZN__BBR_PROBE_BW_REFILL, (unsigned)c);
  int u = find_state(&s, ZN__BBR_PROBE_BW_UP, (unsigned)c);
  int d2 = u >= 0 ? find_state(&s, ZN__BBR_PROBE_BW_DOWN, (unsigned)u) : -1;
  ZT_REQUIRE(r == c + 1 && u == r + 1 && d2 == u + 1);
  ZT_EQU(s.state_log[d2 + 1], ZN__BBR_PROBE_BW_CRUISE);
  uint64_t wait = s.state_at[r] - s.state_at[c];
  ZT_CHECK(wait >= secs(1.9) && wait <= secs(3.1));
  uint64_t refill = s.state_at[u] - s.state_at[r];
  ZT_CHECK(refill >= secs(0.04) && refill <= secs(0.1));
  /* UP ends on the plateau (three rounds), well before 1 s. */
  ZT_CHECK(s.state_at[d2] - s.state_at[u] < secs(0.5));
  ZT_EQU(s.drops, 0);
  ZT_CHECK(share_pct(&s, 12) >= 85);
  ZT_CHECK(s.max_queue < s.bw * 40 / 1000 * 2);
}

/* A.5 (UP exits on loss) and the precautionary probe after it: a buffer
 * of 10% of the BDP drops what UP puts in flight beyond it; the loss rate
 * passes 2%, inflight_longterm is set near what fits, and the next UP
 * stops (precautionary) once inflight reaches it, then probes again at
 * once. */
ZT_TEST(test_probe_up_exits_on_loss_then_precautionary) {
  static struct sim s;
  sim_init(&s, 20, 40, 10);
  sim_run(&s, s.now + secs(15));
  const struct zn__tcp_bbr *b = s.cc.bbr;
  ZT_CHECK(b->full_bw_reached);
  ZT_CHECK(b->inflight_longterm != UINT32_MAX);
  uint64_t bdp = s.bw * 40 / 1000;
  ZT_CHECK(b->inflight_longterm >= bdp * 80 / 100);
  ZT_CHECK(b->inflight_longterm <= bdp + s.qcap + 8 * MSS);
  ZT_CHECK(s.drops > 0);
  /* After Startup's overshoot, loss stays under the 2% objective. */
  uint32_t drops = s.drops, sent = s.tail;
  sim_run(&s, s.now + secs(10));
  ZT_CHECK((s.drops - drops) * 100u < (s.tail - sent) * 2u);
  ZT_CHECK(share_pct(&s, 15) >= 80);
}

/* A.9/A.10: a bandwidth ten times higher is found in ProbeBW_UP within a
 * few cycles (inflight_longterm's step doubles per round); ten times
 * lower: the short-term model follows the loss at once, and max_bw after
 * two cycles. */
ZT_TEST(test_bandwidth_up_and_down_tenfold) {
  static struct sim s;
  sim_init(&s, 10, 20, 100);
  sim_run(&s, s.now + secs(4));
  ZT_CHECK(s.cc.bbr->max_bw <= s.bw * 102 / 100);
  sim_set_bw(&s, s.bw * 10);
  sim_run(&s, s.now + secs(8));
  ZT_CHECK(s.cc.bbr->max_bw >= s.bw * 90 / 100);
  uint32_t rtos = s.rtos;
  sim_set_bw(&s, s.bw / 10);
  s.qcap /= 10;
  uint64_t t = s.now;
  sim_run(&s, t + secs(1));
  ZT_CHECK(s.cc.bbr->bw <= s.bw * 2);
  sim_run(&s, t + secs(10));
  ZT_CHECK(s.cc.bbr->max_bw <= s.bw * 125 / 100);
  ZT_EQU(s.rtos, rtos);
}

/* A.15: a BDP under one packet (64 kbit/s, 10 ms): cwnd stays at
 * MinPipeCwnd (4 packets) at least, the pacing rate at the bottleneck's. */
ZT_TEST(test_sub_packet_bdp) {
  static struct sim s;
  sim_init(&s, 1, 10, 100);
  s.bw = 8000; /* 64 kbit/s */
  s.qcap = 20 * MSS;
  sim_run(&s, s.now + secs(60));
  ZT_CHECK(s.cc.bbr->full_bw_reached);
  ZT_CHECK(s.cc.cwnd >= 4u * MSS);
  ZT_CHECK(s.cc.pacing_rate <= s.bw * 13 / 10);
  ZT_CHECK(s.cc.bbr->max_bw <= s.bw * 102 / 100);
  ZT_CHECK(share_pct(&s, 60) >= 85);
}

/* ---- ProbeRTT ----------------------------------------------------------- */

/* A.13: a bulk flow enters ProbeRTT about every 5 s (no lower RTT seen),
 * holds cwnd at max(BDP/2, 4 packets) for 200 ms and a round, and goes
 * back to ProbeBW (CRUISE). */
ZT_TEST(test_probe_rtt_entered_and_left) {
  static struct sim s;
  sim_init(&s, 20, 40, 200);
  uint64_t t0 = s.now;
  uint32_t bdp = (uint32_t)(s.bw * 40 / 1000);
  uint64_t in_at = 0, out_at = 0;
  uint32_t max_cwnd_in = 0;
  while (s.now < t0 + secs(12) && !out_at) {
    sim_run(&s, s.now + NS_PER_MS);
    if (s.cc.bbr->state == ZN__BBR_PROBE_RTT) {
      if (!in_at)
        in_at = s.now;
      if (s.cc.cwnd > max_cwnd_in)
        max_cwnd_in = s.cc.cwnd;
    } else if (in_at) {
      out_at = s.now;
    }
  }
  ZT_REQUIRE(in_at && out_at);
  ZT_CHECK(in_at - t0 >= secs(5) && in_at - t0 < secs(8));
  ZT_CHECK(out_at - in_at >= secs(0.2));
  ZT_CHECK(out_at - in_at < secs(0.5));
  ZT_CHECK(max_cwnd_in <= (bdp / 2 > 4 * MSS ? bdp / 2 : 4 * MSS) + MSS);
  ZT_EQU(s.cc.bbr->state, ZN__BBR_PROBE_BW_CRUISE);
}

/* A.14: idle across the 5 s: the restart from idle counts as the drain
 * ProbeRTT would make, and ProbeRTT is skipped. */
ZT_TEST(test_probe_rtt_skipped_after_idle) {
  static struct sim s;
  sim_init(&s, 20, 40, 200);
  s.app_rate = 1; /* nothing more than what is written below */
  s.app_bytes = 3000u * MSS;
  s.app_last = s.now;
  sim_run(&s, s.now + secs(4));
  ZT_REQUIRE(s.cc.bbr->full_bw_reached);
  ZT_EQU(s.inflight, 0);
  sim_run(&s, s.now + secs(4)); /* idle past ProbeRTTInterval */
  s.app_bytes = 400u * MSS;
  sim_run(&s, s.now + secs(0.2));
  ZT_CHECK(!visited(&s, ZN__BBR_PROBE_RTT));
  ZT_CHECK(s.cc.bbr->idle_restart || s.cc.bbr->state != ZN__BBR_PROBE_RTT);
  /* Restart paced at the model's bandwidth, not at line rate. */
  ZT_CHECK(s.cc.pacing_rate <= s.cc.bbr->bw * 13 / 10);
}

/* ---- loss, ECN, undo ----------------------------------------------------- */

/* 1% random loss in ProbeBW (below LossThresh): throughput stays near
 * the bottleneck (what CUBIC cannot), inflight_longterm unset or high. */
ZT_TEST(test_random_loss_one_pct_keeps_rate) {
  static struct sim s;
  sim_init(&s, 20, 40, 200);
  s.loss_ppm = 10000;
  sim_run(&s, s.now + secs(20));
  ZT_CHECK(share_pct(&s, 20) >= 75);
  ZT_CHECK(s.rtos <= 1); /* (the path here has no loss probe, RFC 8985) */
}

/* 10% random loss: every probe finds the loss rate above the draft's 2%
 * objective, and inflight_longterm comes down cycle after cycle (the
 * draft's BBRv3; Linux's BBRv1 ignores such loss): the flow keeps going
 * at a few packets per round trip, the MinPipeCwnd floor. */
ZT_TEST(test_random_loss_ten_pct_progresses) {
  static struct sim s;
  sim_init(&s, 20, 40, 200);
  s.loss_ppm = 100000;
  sim_run(&s, s.now + secs(20));
  ZT_CHECK(share_pct(&s, 20) >= 3);
  ZT_CHECK(s.cc.cwnd >= 4u * MSS);
  uint64_t acked = s.acked_bytes;
  sim_run(&s, s.now + secs(2));
  ZT_CHECK(s.acked_bytes - acked >= 2u * 4u * MSS * 25u / 2u);
}

/* ECN: CE marks above half the buffer reach the model as a probe's
 * inflight too high: the queue stays near the marking threshold and
 * nothing is dropped. */
ZT_TEST(test_ecn_echo_bounds_probe) {
  static struct sim s;
  sim_init(&s, 20, 40, 40);
  s.ce = true;
  sim_run(&s, s.now + secs(15));
  ZT_CHECK(s.cc.bbr->inflight_longterm != UINT32_MAX);
  ZT_CHECK(s.drops * 100u < s.tail); /* under 1% */
  ZT_CHECK(share_pct(&s, 15) >= 80);
}

/* A recovery found spurious (RFC 3522/3708, the engine's detection):
 * cwnd and the bounds are back as they were before the loss, and a
 * Startup cut short by it resumes. */
ZT_TEST(test_spurious_loss_undone) {
  static struct sim s;
  sim_init(&s, 20, 40, 200);
  sim_run(&s, s.now + secs(0.3));
  ZT_REQUIRE(s.cc.bbr->state == ZN__BBR_STARTUP);
  uint32_t cwnd = s.cc.cwnd;
  bbr->on_rto(&s.cc, s.inflight, s.now);
  ZT_EQU(s.cc.cwnd, MSS);
  bbr->on_undo(&s.cc, 0, 0);
  ZT_CHECK(s.cc.cwnd >= cwnd);
  ZT_EQU(s.cc.bbr->state, ZN__BBR_STARTUP);
  ZT_EQU(s.cc.bbr->undo_state, ZN__BBR_UNDO_NONE);
  /* Startup left for loss, found spurious: back to Startup. */
  s.cc.bbr->undo_state = ZN__BBR_STARTUP;
  s.cc.bbr->full_bw_reached = true;
  s.cc.bbr->state = ZN__BBR_DRAIN;
  bbr->on_undo(&s.cc, 0, 0);
  ZT_EQU(s.cc.bbr->state, ZN__BBR_STARTUP);
  ZT_CHECK(!s.cc.bbr->full_bw_reached);
}

/* Init and the table: the name, IW, no ssthresh, a pacing rate from the
 * initial window before any RTT (the model, in a block lent as the
 * engine lends it, cleared whatever it held), and the union leaves
 * CUBIC's start clean after a switch. */
ZT_TEST(test_init) {
  struct zn__tcp_cc cc;
  static struct zn__tcp_bbr model;
  memset(&cc, 0xa5, sizeof(cc));
  memset(&model, 0xa5, sizeof(model));
  cc.bbr = &model;
  bbr->init(&cc, MSS, IW);
  ZT_STREQ(bbr->name, "bbr");
  ZT_CHECK(bbr->model_based && bbr->on_idle == NULL);
  ZT_EQU(cc.cwnd, IW);
  ZT_EQU(cc.ssthresh, UINT32_MAX);
  ZT_EQU(cc.bbr->state, ZN__BBR_STARTUP);
  /* 2.77 * IW per ms */
  ZT_CHECK(cc.pacing_rate >= (uint64_t)IW * 1000 * 276 / 100 &&
           cc.pacing_rate <= (uint64_t)IW * 1000 * 278 / 100);
  zn__tcp_cc_cubic.init(&cc, MSS, IW);
  ZT_EQU(cc.pacing_rate, 0);
  ZT_EQU(cc.epoch_on, 0);
  ZT_CHECK(zn__tcp_cc_ops_of(2) == bbr);
  ZT_CHECK(zn__tcp_cc_ops_of(3) == NULL);
}

int main(void) {
  ZT_RUN(test_init);
  ZT_RUN(test_startup_exits_on_plateau_to_drain_then_probe_bw);
  ZT_RUN(test_drain_exits_on_inflight);
  ZT_RUN(test_drain_exits_after_three_rounds);
  ZT_RUN(test_startup_exits_on_loss_when_app_limited);
  ZT_RUN(test_startup_ignores_low_loss);
  ZT_RUN(test_probe_bw_cycle);
  ZT_RUN(test_probe_up_exits_on_loss_then_precautionary);
  ZT_RUN(test_bandwidth_up_and_down_tenfold);
  ZT_RUN(test_sub_packet_bdp);
  ZT_RUN(test_probe_rtt_entered_and_left);
  ZT_RUN(test_probe_rtt_skipped_after_idle);
  ZT_RUN(test_random_loss_one_pct_keeps_rate);
  ZT_RUN(test_random_loss_ten_pct_progresses);
  ZT_RUN(test_ecn_echo_bounds_probe);
  ZT_RUN(test_spurious_loss_undone);
  return zt_done();
}
