/*
 * Pacing (src/tcp/tcp_pace.c) against a scripted peer (tcp_fixture.h)
 * on the virtual clock, 20 ms round trip: the rate from cwnd and SRTT
 * (twice in slow start, 1.2 times after), departures a timer tick's
 * worth at a time, the schedule kept over a long flight, and nothing
 * held when pacing is off.
 */
#include "tcp_fixture.h"

#define M 1460u

static struct zn_tcp_conn *pace_conn(struct fx *f, bool pacing) {
  struct zn_config cfg;
  fx_config(&cfg);
  cfg.tcp_pacing = pacing;
  fx_init(f, &cfg);
  f->rtt = ZN_MS(20);
  fx_established(f);
  struct zn_tcp_conn *c = fx_conn(f);
  c->flags |= ZN__TCPF_NODELAY;
  return c;
}

/* Slow start: 2 x cwnd / SRTT = 2 x 10 segments / 20 ms, one segment a
 * millisecond.  The first two go at once (the second is within a tick
 * of now), then one at each tick until the window is out. */
ZT_TEST(test_pace_slow_start_schedule) {
  struct fx f;
  struct zn_tcp_conn *c = pace_conn(&f, true);
  ZT_EQU(c->cc.cwnd, 10 * M);
  ZT_EQU(c->srtt_us, 20000u);
  ZT_EQU(fx_info(&f).pacing_rate, 2ull * 10 * M * 1000000u / 20000u);
  ZT_EQ(fx_write(&f, 10 * M), (long)(10 * M));
  fx_poll(&f);
  ZT_EQ(fx_drain(&f), 2u);
  ZT_CHECK(zn__tcp_pace_pending(c));
  uint32_t sent = 2;
  for (int ms = 0; ms < 8; ms++) {
    fx_run(&f, ZN_MS(1));
    uint32_t n = fx_drain(&f);
    ZT_EQ(n, 1u);
    sent += n;
  }
  ZT_EQ(sent, 10u);
  fx_run(&f, ZN_MS(5));
  ZT_EQ(fx_drain(&f), 0u); /* the window is out */
  ZT_CHECK(fx_stat(&f, ZN_STAT_tcp_paced) >= 8);
  fx_free(&f);
}

/* Congestion avoidance: 1.2 x cwnd / SRTT.  With a window of 100
 * segments that is 6 a millisecond: a burst is at most a tick's worth
 * (and the one due at its end), and 60 segments take 10 ms. */
ZT_TEST(test_pace_avoidance_rate_kept) {
  struct fx f;
  struct zn_tcp_conn *c = pace_conn(&f, true);
  c->cc.cwnd = 100 * M;
  c->cc.ssthresh = 100 * M;
  uint64_t rate = fx_info(&f).pacing_rate;
  ZT_EQU(rate, 100ull * M * 12u / 10u * 1000000u / 20000u);
  ZT_EQ(fx_write(&f, 40 * M), (long)(40 * M));
  fx_poll(&f);
  uint64_t start = f.now;
  uint32_t first = fx_drain(&f);
  ZT_EQ(first, 7u);
  uint32_t sent = first;
  for (int ms = 0; ms < 20 && sent < 40; ms++) {
    fx_run(&f, ZN_MS(1));
    uint32_t n = fx_drain(&f);
    if ((n < 5 && sent + n < 40) || n > 7)
      zt_fail(__FILE__, __LINE__, "%u segments at ms %d", n, ms);
    sent += n;
  }
  ZT_EQ(sent, 40u);
  /* 40 segments at 6 a millisecond: the last 6 ms after the first. */
  ZT_EQU(f.now - start, ZN_MS(6));
  fx_free(&f);
}

/* The round trip of the rate is the lowest RTT seen when it is below
 * SRTT (delayed ACKs and queues inflate SRTT; a rate from it would hold
 * the sender below cwnd per round trip), else SRTT. */
ZT_TEST(test_pace_rate_from_lowest_rtt) {
  struct fx f;
  struct zn_tcp_conn *c = pace_conn(&f, true);
  uint64_t from_srtt = fx_info(&f).pacing_rate;
  ZT_EQU(from_srtt, 2ull * 10 * M * 1000000u / 20000u);
  c->rack_min_rtt_us = 10000;
  ZT_EQU(fx_info(&f).pacing_rate, 2 * from_srtt);
  c->rack_min_rtt_us = 30000; /* (SRTT since fell below it) */
  ZT_EQU(fx_info(&f).pacing_rate, from_srtt);
  fx_free(&f);
}

/* Off: the whole window at once, and no rate reported. */
ZT_TEST(test_pace_off_sends_window_at_once) {
  struct fx f;
  struct zn_tcp_conn *c = pace_conn(&f, false);
  ZT_EQU(fx_info(&f).pacing_rate, 0u);
  ZT_EQ(fx_write(&f, 10 * M), (long)(10 * M));
  fx_poll(&f);
  ZT_EQ(fx_drain(&f), 10u);
  ZT_CHECK(!zn__tcp_pace_pending(c));
  ZT_EQ(fx_stat(&f, ZN_STAT_tcp_paced), 0);
  fx_free(&f);
}

/* After an idle period nothing is owed: the schedule starts from now,
 * not from the last departure, so no burst makes up for the pause; and
 * a paced sender with nothing in flight waits on its timer, not on a
 * window probe. */
ZT_TEST(test_pace_idle_owes_nothing) {
  struct fx f;
  struct zn_tcp_conn *c = pace_conn(&f, true);
  uint32_t una = f.s_nxt;
  ZT_EQ(fx_write(&f, 2 * M), (long)(2 * M));
  fx_poll(&f);
  ZT_EQ(fx_drain(&f), 2u);
  f.now += ZN_MS(20);
  SEND(&f, .seq = f.p_nxt, .ack = una + 2 * M, .flags = ACK);
  fx_run(&f, ZN_MS(100));
  ZT_EQ(fx_write(&f, 10 * M), (long)(10 * M));
  fx_poll(&f);
  ZT_EQ(fx_drain(&f), 2u);
  ZT_CHECK(c->rtx_mode != ZN__TCP_RTX_PERSIST);
  fx_run(&f, ZN_MS(1));
  ZT_EQ(fx_drain(&f), 1u);
  fx_free(&f);
}

int main(void) {
  ZT_RUN(test_pace_slow_start_schedule);
  ZT_RUN(test_pace_avoidance_rate_kept);
  ZT_RUN(test_pace_rate_from_lowest_rtt);
  ZT_RUN(test_pace_off_sends_window_at_once);
  ZT_RUN(test_pace_idle_owes_nothing);
  return zt_done();
}
