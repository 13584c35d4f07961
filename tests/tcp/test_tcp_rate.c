/*
 * Delivery rate estimation (draft-cheng-iccrg-delivery-rate-estimation,
 * src/tcp/tcp_rate.c) against a scripted peer (tcp_fixture.h) on the
 * virtual clock: a sample per ACK from the newest range delivered, the
 * application-limited marks, what is counted as lost, and the draft's
 * rule that an interval shorter than min_RTT gives no sample.
 */
#include "tcp_fixture.h"

#define M 1460u

/* ESTABLISHED with SACK and a 20 ms round trip; Nagle off. */
static struct zn_tcp_conn *rate_conn(struct fx *f) {
  fx_init(f, NULL);
  f->rtt = ZN_MS(20);
  f->peer_syn.present |= ZN_TCP_OPTF_SACK_PERM;
  fx_established(f);
  struct zn_tcp_conn *c = fx_conn(f);
  c->flags |= ZN__TCPF_NODELAY;
  return c;
}

static void ack(struct fx *f, uint32_t a) {
  SEND(f, .seq = f->p_nxt, .ack = a, .flags = ACK);
}

static void sack(struct fx *f, uint32_t a, uint32_t left, uint32_t right) {
  struct zn_tcp_seg_opts o = {.present = ZN_TCP_OPTF_SACK, .nsack = 1};
  o.sack[0].left = left;
  o.sack[0].right = right;
  SEND(f, .seq = f->p_nxt, .ack = a, .flags = ACK, .o = o);
}

static uint64_t bps(uint64_t bytes, uint64_t us) {
  return bytes * 1000000u / us;
}

/* Two rounds of a bulk sender: each ACK's sample is what was delivered
 * over the round trip.  The first flight left a connection that had
 * nothing to send (app-limited, as Linux marks the first write); the
 * second was sent with data waiting, so its sample is not. */
ZT_TEST(test_rate_sample_per_round) {
  struct fx f;
  struct zn_tcp_conn *c = rate_conn(&f);
  uint32_t una = f.s_nxt;
  ZT_EQ(fx_write(&f, 60 * M), (long)(60 * M));
  fx_poll(&f);
  ZT_CHECK(fx_drain(&f) > 0);
  uint32_t sent1 = c->snd_max - una;
  ZT_CHECK(sent1 > 0 && sent1 < 60 * M);
  ZT_EQU(c->nxmap, 1); /* one burst, one range */
  ZT_CHECK(c->fl->xmap[0].rs.app_limited != 0);
  ZT_EQ(fx_info(&f).delivery_rate, 0u);

  f.now += ZN_MS(20);
  ack(&f, una + sent1);
  struct zn_tcp_info i = fx_info(&f);
  ZT_EQU(i.delivered, sent1);
  ZT_EQU(i.delivery_rate, bps(sent1, 20000));
  ZT_CHECK(i.delivery_rate_app_limited);
  ZT_EQ(c->rate.app_limited, 0u); /* the mark's data was delivered */
  ZT_CHECK(fx_drain(&f) > 0);
  uint32_t sent2 = c->snd_max - (una + sent1);
  ZT_CHECK(sent2 > sent1); /* slow start */
  ZT_EQ(c->fl->xmap[0].rs.delivered, sent1);
  ZT_EQ(c->fl->xmap[0].rs.app_limited, 0u);

  f.now += ZN_MS(20);
  ack(&f, una + sent1 + sent2);
  i = fx_info(&f);
  ZT_EQU(i.delivered, (uint64_t)sent1 + sent2);
  ZT_EQU(i.delivery_rate, bps(sent2, 20000));
  ZT_CHECK(!i.delivery_rate_app_limited);
  fx_drain(&f);
  fx_free(&f);
}

/* A sender that runs out of data is application-limited: the mark
 * covers what is in flight then, and samples of data sent before it is
 * delivered say so.  An app-limited sample below the last one does not
 * replace it in TCP_INFO (Linux's rule); a higher one does. */
ZT_TEST(test_rate_app_limited_marks) {
  struct fx f;
  struct zn_tcp_conn *c = rate_conn(&f);
  uint32_t una = f.s_nxt;
  ZT_EQ(fx_write(&f, 32 * M), (long)(32 * M));
  fx_poll(&f);
  fx_drain(&f);
  uint32_t sent1 = c->snd_max - una;
  f.now += ZN_MS(20);
  ack(&f, una + sent1);
  fx_drain(&f);
  uint32_t sent2 = c->snd_max - (una + sent1);
  f.now += ZN_MS(20);
  ack(&f, una + sent1 + sent2);
  fx_drain(&f);
  uint64_t full = fx_info(&f).delivery_rate;
  ZT_EQU(full, bps(sent2, 20000));
  /* The rest of the 32 went in the third round (each round's one ACK
   * opened the window by two segments, RFC 3465 L=2: 10, 12, 14):
   * nothing waits now, the window is not full, so the sender is
   * app-limited. */
  uint32_t hi = c->snd_max;
  ZT_EQU(sent1, 10 * M);
  ZT_EQU(hi - una, 32 * M);
  ZT_CHECK(c->snd_max - c->snd_una < c->cc.cwnd);
  ZT_EQU(c->rate.app_limited, c->rate.delivered + (hi - c->snd_una));
  f.now += ZN_MS(20);
  ack(&f, hi);
  struct zn_tcp_info i = fx_info(&f);
  /* The third round's data was sent before the mark: not app-limited. */
  ZT_CHECK(!i.delivery_rate_app_limited);
  ZT_EQU(i.delivery_rate, bps(hi - (una + sent1 + sent2), 20000));
  uint64_t third = i.delivery_rate;
  ZT_CHECK(third < full);
  /* Idle, then one small write: sent app-limited, and its low rate does
   * not replace the last. */
  fx_run(&f, ZN_MS(5));
  ZT_EQ(fx_write(&f, M), (long)M);
  fx_poll(&f);
  ZT_EQ(fx_drain(&f), 1u);
  ZT_CHECK(c->fl->xmap[0].rs.app_limited != 0);
  f.now += ZN_MS(20);
  ack(&f, hi + M);
  i = fx_info(&f);
  ZT_EQU(i.delivery_rate, third);
  ZT_CHECK(!i.delivery_rate_app_limited);
  ZT_EQU(i.delivered, 33u * M);
  fx_free(&f);
}

/* A SACK beyond a hole delivers part of a burst: the sample counts what
 * it delivered.  When RACK takes the hole as lost, the lost counter
 * grows by it; the resend's ACK delivers the rest. */
ZT_TEST(test_rate_sack_and_loss) {
  struct fx f;
  struct zn_tcp_conn *c = rate_conn(&f);
  uint32_t una = f.s_nxt;
  ZT_EQ(fx_write(&f, 10 * M), (long)(10 * M));
  fx_poll(&f);
  ZT_EQ(fx_drain(&f), 10u);
  f.now += ZN_MS(20);
  ZT_EQ(c->rate.lost, 0u);
  /* Nine SACKed beyond the hole: RACK takes it as lost at once (no
   * reordering seen, DupThresh passed), and it goes again. */
  sack(&f, una, una + M, una + 10 * M);
  struct zn_tcp_info i = fx_info(&f);
  ZT_EQU(i.delivered, 9u * M);
  ZT_EQU(i.delivery_rate, bps(9u * M, 20000));
  ZT_EQ(fx_stat(&f, ZN_STAT_tcp_rack_lost), 1);
  ZT_EQ(c->rate.lost, M);
  ZT_EQ(fx_drain(&f), 1u); /* the resend */
  f.now += ZN_MS(20);
  ack(&f, una + 10 * M);
  ZT_EQU(fx_info(&f).delivered, 10u * M);
  ZT_EQ(c->rate.lost, M);
  fx_free(&f);
}

/* An RTO takes all that was in flight as lost, less what was SACKed. */
ZT_TEST(test_rate_rto_counts_lost) {
  struct fx f;
  struct zn_tcp_conn *c = rate_conn(&f);
  uint32_t una = f.s_nxt;
  ZT_EQ(fx_write(&f, 4 * M), (long)(4 * M));
  fx_poll(&f);
  ZT_EQ(fx_drain(&f), 4u);
  f.now += ZN_MS(20);
  sack(&f, una, una + 3 * M, una + 4 * M);
  ZT_EQU(fx_info(&f).delivered, M);
  /* RACK takes the three as lost when its window passes (recovery
   * sends them again as the window lets it); then nothing more comes
   * until the RTO, which takes what was resent as lost once more, and
   * what was not yet resent not twice. */
  uint32_t before = c->rate.lost, waiting = 0;
  for (int ms = 0; ms < 3000 && fx_stat(&f, ZN_STAT_tcp_rto) == 0; ms++) {
    before = c->rate.lost;
    waiting = zn__tcp_rack_lost_bytes(c, c->snd_una, c->snd_max);
    fx_run(&f, ZN_MS(1));
    fx_drain(&f);
  }
  ZT_EQ(fx_stat(&f, ZN_STAT_tcp_rto), 1);
  ZT_EQ(before, 3u * M);
  ZT_CHECK(waiting < 3u * M);
  ZT_EQ(c->rate.lost, 6u * M - waiting);
  fx_free(&f);
}

/* The draft's rule, on the estimator alone: a sample's interval is the
 * longer of its send and ACK intervals, and one shorter than min_RTT
 * is not taken (ACK compression would make it too fast); with nothing
 * delivered newer than before, there is no sample at all. */
ZT_TEST(test_rate_interval_rules) {
  struct fx f;
  struct zn_tcp_conn *c = rate_conn(&f);
  uint64_t t0 = f.now;
  c->rack_min_rtt_us = 20000;
  uint32_t now = (uint32_t)(t0 / 1000u);
  struct zn__tcp_xmit x = {.ts = now - 30000, .order = 7};
  x.rs.delivered = c->rate.delivered;
  x.rs.delivered_us = now - 25000;
  x.rs.first_tx_us = now - 40000;
  struct zn__tcp_rs rs = {.has_data = false};
  zn__tcp_rate_on_delivered(c, &rs, &x);
  ZT_CHECK(rs.has_data);
  ZT_EQU(rs.send_elapsed_us, 10000u);
  ZT_EQU(rs.ack_elapsed_us, 25000u);
  ZT_EQU(rs.rtt_us, 30000u);
  ZT_EQU(c->rate.first_tx_us, now - 30000);
  /* A merged range (its time is its latest send's) or a resent one
   * gives no RTT. */
  struct zn__tcp_xmit mx = x;
  mx.flags = ZN__XMIT_MERGED;
  mx.order = 9;
  struct zn__tcp_rs mrs = {.has_data = false};
  zn__tcp_rate_on_delivered(c, &mrs, &mx);
  ZT_CHECK(mrs.has_data);
  ZT_EQU(mrs.rtt_us, 0u);
  mx.flags = ZN__XMIT_RTX;
  mrs = (struct zn__tcp_rs){.has_data = false};
  zn__tcp_rate_on_delivered(c, &mrs, &mx);
  ZT_EQU(mrs.rtt_us, 0u);
  c->rate.first_tx_us = now - 30000;
  /* An older range the same ACK delivers does not replace P. */
  struct zn__tcp_xmit old = x;
  old.order = 6;
  old.rs.delivered_us = now - 1000;
  zn__tcp_rate_on_delivered(c, &rs, &old);
  ZT_EQU(rs.ack_elapsed_us, 25000u);
  zn__tcp_rate_sample(c, &rs, 50000, c->rate.lost);
  ZT_CHECK(rs.valid);
  ZT_EQU(rs.interval_us, 25000u);
  ZT_EQU(rs.delivered, 50000u);
  ZT_EQU(rs.bps, 2000000u);
  /* Both intervals under min_RTT: no sample. */
  x.order = 8;
  x.ts = now - 5000;
  x.rs.delivered = c->rate.delivered;
  x.rs.delivered_us = now - 5000;
  x.rs.first_tx_us = now - 6000;
  rs = (struct zn__tcp_rs){.has_data = false};
  zn__tcp_rate_on_delivered(c, &rs, &x);
  zn__tcp_rate_sample(c, &rs, 50000, c->rate.lost);
  ZT_CHECK(!rs.valid);
  ZT_EQU(fx_info(&f).delivery_rate, 2000000u);
  /* Nothing delivered by the ACK: none either, and the counters stay. */
  uint32_t d = c->rate.delivered;
  rs = (struct zn__tcp_rs){.has_data = false};
  zn__tcp_rate_sample(c, &rs, 0, c->rate.lost);
  ZT_CHECK(!rs.valid);
  ZT_EQ(c->rate.delivered, d);
  fx_free(&f);
}

int main(void) {
  ZT_RUN(test_rate_sample_per_round);
  ZT_RUN(test_rate_app_limited_marks);
  ZT_RUN(test_rate_sack_and_loss);
  ZT_RUN(test_rate_rto_counts_lost);
  ZT_RUN(test_rate_interval_rules);
  return zt_done();
}
