/*
 * TCP per state and event, against a scripted peer (tcp_fixture.h):
 * the timers: retransmission (RFC 6298, 5681, Karn), persist and
 * keepalive (and the timers' modes), delayed ACK and Nagle.
 *
 * One of the state tests split from test_tcp_states.c along its sections
 * (tcp_fixture.h says how they work).  Named test_<state>_<event>; every
 * test ends with fx_free(), which checks that every segment the stack
 * sent was looked at, nothing leaked and tcp_impossible is still 0.
 */
#include "tcp_fixture.h"

/* ================= retransmission (RFC 6298, 5681, Karn) =============== */

/* The passive side times its SYN-ACK (Linux tcp_synack_rtt_meas): the
 * handshake's ACK gives the first RTT sample; a retransmitted SYN-ACK
 * gives none (Karn). */
ZT_TEST(test_syn_received_ack_rtt_sample) {
  struct fx f;
  fx_init(&f, NULL);
  fx_syn_received(&f, 0);
  fx_run(&f, ZN_MS(30));
  SEND(&f, .seq = f.p_nxt, .ack = f.s_nxt, .flags = ACK);
  EXPECT_NONE(&f);
  struct zn_tcp_info i = fx_info(&f);
  ZT_EQ(i.state, ZN_TCP_ESTABLISHED);
  ZT_EQ(i.srtt_us, 30000);
  ZT_EQ(i.rto_ms, 200);           /* 30 ms + 4 * 15 ms, under the floor */
  fx_free(&f);
}

ZT_TEST(test_established_rto_initial) {
  struct fx f;
  fx_init(&f, NULL);
  fx_established_passive(&f);     /* no RTT sample yet: RTO 1 s */
  ZT_EQ(fx_info(&f).rto_ms, 1000);
  ZT_EQ(fx_write(&f, 100), 100);
  fx_poll(&f);
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK | PSH, .len = 100);
  uint32_t seq = f.s_nxt - 100;
  fx_run(&f, ZN_MS(1000) - 1);
  EXPECT_NONE(&f);
  fx_run(&f, 1);
  EXPECT(&f, .seq = seq, .ack = f.p_nxt, .flags = ACK | PSH, .len = 100);
  fx_run(&f, ZN_MS(2000) - 1);    /* backed off: 2 s */
  EXPECT_NONE(&f);
  fx_run(&f, 1);
  EXPECT(&f, .seq = seq, .ack = f.p_nxt, .flags = ACK | PSH, .len = 100);
  struct zn_tcp_info i = fx_info(&f);
  ZT_EQ(i.rto_timeouts, 2);
  ZT_EQ(i.retransmits, 2);
  ack_all(&f);
  EXPECT_NONE(&f);
  ZT_EQ(fx_info(&f).unacked, 0);
  fx_free(&f);
}

/* Pops every segment sent so far; fails on any longer than max. */
static uint32_t pop_all_upto(struct fx *f, uint32_t max) {
  uint32_t n = 0;
  while (fx_pop(f, __FILE__, __LINE__)) {
    ZT_CHECK(f->last.len <= max);
    n++;
  }
  return n;
}

/* Up to the third RTO in a row of a full-sized segment, the MSS comes
 * down to 1024 (RFC 4821's search base); the resend gets through and
 * the rest goes at 1024.  Returns the first unacknowledged byte. */
static void blackhole_lowered(struct fx *f) {
  const uint32_t m = 1460;
  fx_established_passive(f); /* RTO 1 s */
  ZT_EQ(fx_write(f, 4 * m), 4 * m);
  fx_poll(f);
  uint32_t una = f->s_nxt;
  ZT_EQ(pop_all_upto(f, m), 4);
  fx_run(f, ZN_MS(1000)); /* the first RTO: full size still */
  EXPECT(f, .seq = una, .ack = f->p_nxt, .flags = ACK, .len = m);
  ZT_EQ(fx_stat(f, ZN_STAT_tcp_blackhole), 0);
  fx_run(f, ZN_MS(2000)); /* the second: still */
  EXPECT(f, .seq = una, .ack = f->p_nxt, .flags = ACK, .len = m);
  ZT_EQ(fx_stat(f, ZN_STAT_tcp_blackhole), 0);
  fx_run(f, ZN_MS(4000)); /* the third: lowered */
  EXPECT(f, .seq = una, .ack = f->p_nxt, .flags = ACK, .len = 1024);
  ZT_EQ(fx_stat(f, ZN_STAT_tcp_blackhole), 1);
  ZT_EQ(fx_info(f).mss, 1024);
  for (int guard = 0; guard < 10 && fx_info(f).unacked; guard++) {
    SEND(f, .seq = f->p_nxt, .ack = f->s_nxt, .flags = ACK);
    pop_all_upto(f, 1024);
  }
  ZT_EQ(fx_info(f).unacked, 0);
  ZT_EQ(fx_stat(f, ZN_STAT_tcp_blackhole), 1);
  ZT_EQ(fx_stat(f, ZN_STAT_tcp_blackhole_reprobe), 0); /* all old data */
}

/* A PMTU black hole, or what looks like one: full-sized segments
 * vanish and no ICMP says why.  Once data flows at the lowered MSS, the
 * next new segment goes at the full size (RFC 4821 §7.6's probe); its
 * ACK shows the path takes it, and the MSS is back. */
ZT_TEST(test_established_blackhole) {
  struct fx f;
  struct zn_config cfg;
  fx_config(&cfg);
  cfg.tcp_blackhole_probe_ms = 60000;
  fx_init(&f, &cfg);
  blackhole_lowered(&f);
  const uint32_t m = 1460;
  ZT_EQ(fx_write(&f, 3 * m), 3 * m);
  fx_poll(&f);
  uint32_t probe = f.s_nxt;
  EXPECT(&f, .seq = probe, .ack = f.p_nxt, .flags = ACK, .len = m);
  ZT_EQ(fx_stat(&f, ZN_STAT_tcp_blackhole_reprobe), 1);
  ZT_EQ(fx_info(&f).mss, 1024); /* not until the probe is acknowledged */
  pop_all_upto(&f, 1024);
  SEND(&f, .seq = f.p_nxt, .ack = probe + m, .flags = ACK);
  ZT_EQ(fx_stat(&f, ZN_STAT_tcp_blackhole_restored), 1);
  ZT_EQ(fx_info(&f).mss, m);
  for (int guard = 0; guard < 10 && fx_info(&f).unacked; guard++) {
    SEND(&f, .seq = f.p_nxt, .ack = f.s_nxt, .flags = ACK);
    pop_all_upto(&f, m);
  }
  ZT_EQ(fx_info(&f).unacked, 0);
  fx_free(&f);
}

/* A probe that is lost (resent: by a loss probe, or at the RTO) leaves
 * the MSS low, and the next probe waits a second; after a second loss,
 * two. */
ZT_TEST(test_established_blackhole_probe_lost) {
  struct fx f;
  struct zn_config cfg;
  fx_config(&cfg);
  cfg.tcp_blackhole_probe_ms = 60000;
  fx_init(&f, &cfg);
  blackhole_lowered(&f);
  const uint32_t m = 1460;
  uint64_t waits[2] = {ZN_SEC(1), ZN_SEC(2)};
  for (int k = 0; k < 2; k++) {
    ZT_EQ(fx_write(&f, m), m);
    fx_poll(&f);
    uint32_t probe = f.s_nxt;
    EXPECT(&f, .seq = probe, .ack = f.p_nxt, .flags = ACK | PSH, .len = m);
    ZT_EQ(fx_stat(&f, ZN_STAT_tcp_blackhole_reprobe), (uint64_t)k + 1);
    /* The black hole swallows it; a loss probe or the RTO resends it,
     * in lowered pieces. */
    for (int guard = 0; guard < 2000 && !fx_pending(&f); guard++)
      fx_run(&f, ZN_MS(10));
    ZT_CHECK(pop_all_upto(&f, 1024) >= 1);
    for (int guard = 0; guard < 10 && fx_info(&f).unacked; guard++) {
      SEND(&f, .seq = f.p_nxt, .ack = f.s_nxt, .flags = ACK);
      pop_all_upto(&f, 1024);
    }
    ZT_EQ(fx_info(&f).unacked, 0);
    ZT_EQ(fx_info(&f).mss, 1024);
    ZT_EQ(fx_stat(&f, ZN_STAT_tcp_blackhole_restored), 0);
    /* No probe before the wait is over: new data goes at 1024. */
    fx_run(&f, waits[k] - ZN_MS(100));
    ZT_EQ(fx_write(&f, m), m);
    fx_poll(&f);
    ZT_EQ(pop_all_upto(&f, 1024), 2);
    SEND(&f, .seq = f.p_nxt, .ack = f.s_nxt, .flags = ACK);
    EXPECT_NONE(&f);
    ZT_EQ(fx_stat(&f, ZN_STAT_tcp_blackhole_reprobe), (uint64_t)k + 1);
    fx_run(&f, ZN_MS(100));
  }
  fx_free(&f);
}

/* Off (cfg.tcp_blackhole_probe_ms 0), or for a segment that is not
 * full-sized, RTOs leave the MSS alone. */
ZT_TEST(test_established_blackhole_off) {
  struct fx f;
  struct zn_config cfg;
  fx_config(&cfg);
  cfg.tcp_blackhole_probe_ms = 0;
  fx_init(&f, &cfg);
  fx_established_passive(&f);
  const uint32_t m = 1460;
  ZT_EQ(fx_write(&f, m), m);
  fx_poll(&f);
  uint32_t una = f.s_nxt;
  ZT_EQ(pop_all_upto(&f, m), 1);
  fx_run(&f, ZN_MS(1000) + ZN_MS(2000) + ZN_MS(4000));
  for (int k = 0; k < 3; k++)
    EXPECT(&f, .seq = una, .ack = f.p_nxt, .flags = ACK | PSH, .len = m);
  ZT_EQ(fx_stat(&f, ZN_STAT_tcp_blackhole), 0);
  fx_free(&f);
  fx_init(&f, NULL);
  fx_established_passive(&f);
  ZT_EQ(fx_write(&f, 500), 500);
  fx_poll(&f);
  una = f.s_nxt;
  ZT_EQ(pop_all_upto(&f, 500), 1);
  fx_run(&f, ZN_MS(1000) + ZN_MS(2000) + ZN_MS(4000));
  for (int k = 0; k < 3; k++)
    EXPECT(&f, .seq = una, .ack = f.p_nxt, .flags = ACK | PSH, .len = 500);
  ZT_EQ(fx_stat(&f, ZN_STAT_tcp_blackhole), 0);
  fx_free(&f);
}

ZT_TEST(test_established_rto_srtt) {
  struct fx f;
  fx_init(&f, NULL);
  f.rtt = ZN_MS(100);
  fx_established_active(&f);
  /* RFC 6298 §2.2: SRTT = R, RTTVAR = R/2, RTO = SRTT + 4 RTTVAR. */
  struct zn_tcp_info i = fx_info(&f);
  ZT_EQ(i.srtt_us, 100000);
  ZT_EQ(i.rttvar_us, 50000);
  ZT_EQ(i.rto_ms, 300);
  ZT_EQ(fx_write(&f, 100), 100);
  fx_poll(&f);
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK | PSH, .len = 100);
  f.now += ZN_MS(100);
  ack_all(&f);
  /* §2.3: RTTVAR = 3/4 50 + 1/4 |100 - 100| = 37.5, SRTT = 100. */
  i = fx_info(&f);
  ZT_EQ(i.srtt_us, 100000);
  ZT_EQ(i.rttvar_us, 37500);
  ZT_EQ(i.rto_ms, 250);
  ZT_EQ(fx_write(&f, 100), 100);
  fx_poll(&f);
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK | PSH, .len = 100);
  fx_run(&f, ZN_MS(250) - 1);
  EXPECT_NONE(&f);
  fx_run(&f, 1);
  EXPECT(&f, .seq = f.s_nxt - 100, .ack = f.p_nxt, .flags = ACK | PSH,
         .len = 100);
  ack_all(&f);
  fx_free(&f);
}

ZT_TEST(test_established_rto_min) {
  struct fx f;
  fx_init(&f, NULL);
  f.rtt = ZN_MS(1);
  fx_established_active(&f);
  ZT_EQ(fx_info(&f).rto_ms, 200);  /* tcp_rto_min_ms */
  fx_free(&f);
}

ZT_TEST(test_established_karn) {
  struct fx f;
  fx_init(&f, NULL);
  fx_established_passive(&f);     /* RTO 1 s, no sample */
  ZT_EQ(fx_write(&f, 100), 100);
  fx_poll(&f);
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK | PSH, .len = 100);
  fx_run(&f, ZN_SEC(1));
  EXPECT(&f, .seq = f.s_nxt - 100, .ack = f.p_nxt, .flags = ACK | PSH,
         .len = 100);
  /* The ACK of a retransmitted segment is no RTT sample (Karn) ... */
  f.now += ZN_MS(50);
  ack_all(&f);
  struct zn_tcp_info i = fx_info(&f);
  ZT_EQ(i.srtt_us, 0);
  /* ... and the backed-off RTO (2 s) stays until a valid sample (RFC
   * 6298 §5, Karn and Partridge; regression: it fell back to 1 s). */
  ZT_EQ(fx_write(&f, 100), 100);
  fx_poll(&f);
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK | PSH, .len = 100);
  fx_run(&f, ZN_SEC(2) - 1);
  EXPECT_NONE(&f);
  fx_run(&f, 1);
  EXPECT(&f, .seq = f.s_nxt - 100, .ack = f.p_nxt, .flags = ACK | PSH,
         .len = 100);
  ack_all(&f);
  /* A segment sent once and ACKed 80 ms later: a sample; RTO collapses
   * to max(80 + 4 * 40, 200) = 240 ms. */
  ZT_EQ(fx_write(&f, 100), 100);
  fx_poll(&f);
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK | PSH, .len = 100);
  f.now += ZN_MS(80);
  ack_all(&f);
  i = fx_info(&f);
  ZT_EQ(i.srtt_us, 80000);
  ZT_EQ(i.rto_ms, 240);
  fx_free(&f);
}

ZT_TEST(test_established_rto_after_syn_loss) {
  struct fx f;
  fx_init(&f, NULL);
  fx_syn_sent(&f);
  fx_run(&f, ZN_SEC(1));          /* the SYN is lost once */
  EXPECT(&f, .seq = f.iss, .flags = SYN, .any_opts = true);
  SEND(&f, .seq = f.p_iss, .ack = f.iss + 1, .flags = SYN | ACK,
       .o = f.peer_syn);
  f.p_nxt = f.p_iss + 1;
  EXPECT(&f, .seq = f.iss + 1, .ack = f.p_nxt, .flags = ACK);
  /* RFC 6298 §5.7: no sample from the handshake (Karn): data starts with
   * an RTO of 3 s (regression: 1 s). */
  ZT_EQ(fx_info(&f).srtt_us, 0);
  ZT_EQ(fx_info(&f).rto_ms, 3000);
  ZT_EQ(fx_write(&f, 10), 10);
  fx_poll(&f);
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK | PSH, .len = 10);
  fx_run(&f, ZN_SEC(3) - 1);
  EXPECT_NONE(&f);
  fx_run(&f, 1);
  EXPECT(&f, .seq = f.s_nxt - 10, .ack = f.p_nxt, .flags = ACK | PSH,
         .len = 10);
  ack_all(&f);
  fx_free(&f);
}

ZT_TEST(test_established_rtx_giveup) {
  struct fx f;
  struct zn_config cfg;
  fx_config(&cfg);
  cfg.tcp_retries = 3;
  fx_init(&f, &cfg);
  fx_established_passive(&f);
  ZT_EQ(fx_write(&f, 100), 100);
  fx_poll(&f);
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK | PSH, .len = 100);
  /* 1, 2, 4 s: three retransmissions; 8 s later, give up. */
  for (int k = 0; k < 3; k++) {
    fx_run(&f, ZN_SEC(1) << k);
    EXPECT(&f, .seq = f.s_nxt - 100, .ack = f.p_nxt, .flags = ACK | PSH,
           .len = 100);
  }
  fx_run(&f, ZN_SEC(8) - 1);
  EXPECT_NONE(&f);
  ZT_EQ(f.errors, 0);
  fx_run(&f, 1);
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = RST | ACK);
  EXPECT_STATE(&f, ZN_TCP_CLOSED);
  ZT_STREQ(f.log, "AE(ETIMEDOUT)");
  ZT_EQ(fx_stat(&f, ZN_STAT_tcp_timeout), 1);
  fx_close(&f);
  fx_poll(&f);
  ZT_STREQ(f.log, "AE(ETIMEDOUT)X");
  fx_free(&f);
}

/* RFC 6298 §5.5 doubles the RTO at each timeout; §2.5 lets it be capped
 * ("a maximum value MAY be placed on RTO provided it is at least 60
 * seconds"; cfg.tcp_rto_max_ms, 5 s here to keep the test short): 1, 2,
 * 4, then 5, 5 s, and the connection gives up after tcp_retries. */
ZT_TEST(test_established_rto_backoff_capped) {
  struct fx f;
  struct zn_config cfg;
  fx_config(&cfg);
  cfg.tcp_retries = 5;
  cfg.tcp_rto_max_ms = 5000;
  fx_init(&f, &cfg);
  fx_established_passive(&f);
  ZT_EQ(fx_write(&f, 100), 100);
  fx_poll(&f);
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK | PSH, .len = 100);
  static const uint32_t gap_s[5] = {1, 2, 4, 5, 5};
  for (int k = 0; k < 5; k++) {
    fx_run(&f, ZN_SEC(gap_s[k]) - 1);
    EXPECT_NONE(&f);
    fx_run(&f, 1);
    EXPECT(&f, .seq = f.s_nxt - 100, .ack = f.p_nxt, .flags = ACK | PSH,
           .len = 100);
  }
  fx_run(&f, ZN_SEC(5));
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = RST | ACK);
  EXPECT_STATE(&f, ZN_TCP_CLOSED);
  fx_close(&f);
  fx_poll(&f);
  fx_free(&f);
}

ZT_TEST(test_established_fast_retransmit) {
  struct fx f;
  fx_init(&f, NULL);
  fx_established(&f);
  ZT_EQ(fx_write(&f, 4 * 1460), 4 * 1460);
  fx_poll(&f);
  uint32_t una = f.s_nxt;
  for (int k = 0; k < 4; k++)
    EXPECT(&f, .seq = una + 1460u * (uint32_t)k, .ack = f.p_nxt,
           .flags = k == 3 ? ACK | PSH : ACK, .len = 1460);
  /* The first segment is lost: duplicate ACKs.  The third resends it
   * (RFC 5681 §3.2), before any timer. */
  SEND(&f, .seq = f.p_nxt, .ack = una, .flags = ACK);
  SEND(&f, .seq = f.p_nxt, .ack = una, .flags = ACK);
  EXPECT_NONE(&f);
  SEND(&f, .seq = f.p_nxt, .ack = una, .flags = ACK);
  EXPECT(&f, .seq = una, .ack = f.p_nxt, .flags = ACK, .len = 1460);
  ZT_EQ(fx_info(&f).fast_retransmits, 1);
  ZT_EQ(fx_info(&f).rto_timeouts, 0);
  /* A duplicate ACK carrying a window change is not one (RFC 5681 §2). */
  SEND(&f, .seq = f.p_nxt, .ack = una, .flags = ACK, .win = W(60000));
  EXPECT_NONE(&f);
  ack_all(&f);
  EXPECT_NONE(&f);
  ZT_EQ(fx_info(&f).unacked, 0);
  fx_free(&f);
}

ZT_TEST(test_established_dupack_data) {
  struct fx f;
  fx_init(&f, NULL);
  fx_established(&f);
  ZT_EQ(fx_write(&f, 2 * 1460), 2 * 1460);
  fx_poll(&f);
  uint32_t una = f.s_nxt;
  EXPECT(&f, .seq = una, .ack = f.p_nxt, .flags = ACK, .len = 1460);
  EXPECT(&f, .seq = una + 1460, .ack = f.p_nxt, .flags = ACK | PSH,
         .len = 1460);
  /* Segments with data are no duplicate ACKs, however many. */
  for (int k = 0; k < 4; k++)
    SEND(&f, .seq = f.p_nxt + 10u * (uint32_t)k, .ack = una, .flags = ACK,
         .len = 10);
  f.p_nxt += 40;
  fx_run(&f, ZN_MS(40));
  /* Two SRTTs without an ACK of ours: the loss probe resends the last
   * segment (RFC 8985 §7.3), and it carries the ACK the data was owed;
   * unanswered, it goes again, each time twice as late, four times in
   * all (tcp_out.c TLP_MAX): at 2, 6, 14 and 30 ms here. */
  for (int k = 0; k < 4; k++)
    EXPECT(&f, .seq = una + 1460, .ack = f.p_nxt, .flags = ACK | PSH,
           .len = 1460);
  EXPECT_NONE(&f);
  ZT_EQ(fx_stat(&f, ZN_STAT_tcp_probe), 4);
  ZT_EQ(fx_info(&f).fast_retransmits, 0);
  ack_all(&f);
  fx_free(&f);
}

/* ================= restart after idle (RFC 5681 §4.1) =================== */

/* The window grown past the initial ten segments (each acknowledged
 * alone: to 14, twice the flight the last ACKs covered, RFC 7661), then
 * nothing sent for idle_ms; then 20 segments are written.  Returns how
 * many went out at once. */
static uint32_t idle_then_write(bool restart, uint32_t idle_ms) {
  struct zn_config cfg;
  fx_config(&cfg);
  cfg.tcp_idle_restart = restart;
  struct fx f;
  fx_init(&f, &cfg);
  f.rtt = ZN_MS(20);
  fx_established(&f);
  uint32_t una = f.s_nxt;
  ZT_EQ(fx_write(&f, 10 * 1460), 10 * 1460);
  fx_poll(&f);
  for (uint32_t k = 0; k < 10; k++)
    EXPECT(&f, .seq = una + k * 1460, .ack = f.p_nxt,
           .flags = k == 9 ? ACK | PSH : ACK, .len = 1460);
  f.now += ZN_MS(20);
  for (uint32_t k = 1; k <= 10; k++)
    SEND(&f, .seq = f.p_nxt, .ack = una + k * 1460, .flags = ACK);
  EXPECT_NONE(&f);
  uint32_t cwnd0 = fx_info(&f).cwnd;
  ZT_EQ(cwnd0, 14 * 1460);
  fx_run(&f, ZN_MS(idle_ms));
  una += 10 * 1460;
  ZT_EQ(fx_write(&f, 20 * 1460), 20 * 1460);
  fx_poll(&f);
  uint32_t n = 0;
  while (fx_pending(&f)) {
    EXPECT(&f, .seq = una + n * 1460, .ack = f.p_nxt, .any_opts = true,
           .flags = n == 19 ? ACK | PSH : ACK, .len = 1460);
    n++;
  }
  if (n == 10) {
    /* Restarted: ssthresh at least 3/4 of the old window, so slow start
     * takes it back up. */
    ZT_EQ(fx_info(&f).cwnd, 10 * 1460);
    ZT_CHECK(fx_info(&f).ssthresh >= cwnd0 / 4 * 3);
    ZT_EQ(fx_stat(&f, ZN_STAT_tcp_idle_restart), 1);
  } else {
    ZT_EQ(fx_stat(&f, ZN_STAT_tcp_idle_restart), 0);
  }
  SEND(&f, .seq = f.p_nxt, .ack = una + n * 1460, .flags = ACK);
  while (fx_pop(&f, __FILE__, __LINE__))
    ;
  fx_free(&f);
  return n;
}

/* Idle for longer than the RTO (200 ms): the initial window again, not
 * the 14 segments the path carried a second ago; idle for less, or with
 * cfg.tcp_idle_restart off: the whole window. */
ZT_TEST(test_established_idle_restart) {
  ZT_EQ(idle_then_write(true, 1000), 10);
  ZT_EQ(idle_then_write(true, 100), 14);
  ZT_EQ(idle_then_write(false, 1000), 14);
}

/* ================= persist, keepalive ================================== */

ZT_TEST(test_established_persist) {
  struct fx f;
  fx_init(&f, NULL);
  fx_established_passive(&f);     /* RTO 1 s */
  SEND(&f, .seq = f.p_nxt, .ack = f.s_nxt, .flags = ACK, .win = W(0));
  ZT_EQ(fx_write(&f, 100), 100);
  fx_poll(&f);
  EXPECT_NONE(&f);                /* the window is shut */
  uint32_t una = f.s_nxt;
  /* Probes after 1, 2, 4 s: <SEQ=SND.UNA-1>, no data, as Linux's
   * tcp_xmit_probe_skb; any receiver answers with its window. */
  uint64_t gap = ZN_SEC(1);
  for (int k = 0; k < 3; k++) {
    fx_run(&f, gap - 1);
    EXPECT_NONE(&f);
    fx_run(&f, 1);
    EXPECT(&f, .seq = una - 1, .ack = f.p_nxt, .flags = ACK);
    SEND(&f, .seq = f.p_nxt, .ack = una, .flags = ACK, .win = W(0));
    EXPECT_NONE(&f);              /* not a duplicate ACK either */
    gap *= 2;
  }
  ZT_EQ(fx_info(&f).fast_retransmits, 0);
  EXPECT_STATE(&f, ZN_TCP_ESTABLISHED);
  /* The window opens: the data goes, with a fresh RTO (regression: it
   * kept the probes' backoff). */
  SEND(&f, .seq = f.p_nxt, .ack = una, .flags = ACK, .win = W(8192));
  EXPECT(&f, .seq = una, .ack = f.p_nxt, .flags = ACK | PSH, .len = 100);
  fx_run(&f, ZN_SEC(1) - 1);
  EXPECT_NONE(&f);
  fx_run(&f, 1);
  EXPECT(&f, .seq = una, .ack = f.p_nxt, .flags = ACK | PSH, .len = 100);
  ack_all(&f);
  fx_free(&f);
}

/* A peer that shuts its window and then answers no probe at all is gone:
 * after tcp_retries unanswered probes the connection times out (it used
 * to probe for ever; found by fuzz_stack, finwait1-zero-window). */
ZT_TEST(test_established_persist_unanswered) {
  struct fx f;
  struct zn_config cfg;
  fx_config(&cfg);
  cfg.tcp_retries = 3;
  fx_init(&f, &cfg);
  fx_established_passive(&f);     /* RTO 1 s */
  SEND(&f, .seq = f.p_nxt, .ack = f.s_nxt, .flags = ACK, .win = W(0));
  ZT_EQ(fx_write(&f, 100), 100);
  fx_poll(&f);
  uint32_t una = f.s_nxt;
  uint64_t gap = ZN_SEC(1);
  for (int k = 0; k < 3; k++) {   /* probes at 1, 3, 7 s, unanswered */
    fx_run(&f, gap - 1);
    EXPECT_NONE(&f);
    fx_run(&f, 1);
    EXPECT(&f, .seq = una - 1, .ack = f.p_nxt, .flags = ACK);
    gap *= 2;
  }
  EXPECT_STATE(&f, ZN_TCP_ESTABLISHED);
  ZT_EQ(f.errors, 0);
  fx_run(&f, gap);                /* a fourth would be due: give up */
  EXPECT(&f, .seq = una, .ack = f.p_nxt, .flags = RST | ACK);
  EXPECT_STATE(&f, ZN_TCP_CLOSED);
  ZT_STREQ(f.log, "AE(ETIMEDOUT)");
  fx_free(&f);
}

/* A peer still answering keeps the connection (RFC 1122 4.2.2.17):
 * probes answered with a zero window do not count toward giving up. */
ZT_TEST(test_established_persist_answered_forever) {
  struct fx f;
  struct zn_config cfg;
  fx_config(&cfg);
  cfg.tcp_retries = 3;
  fx_init(&f, &cfg);
  fx_established_passive(&f);
  SEND(&f, .seq = f.p_nxt, .ack = f.s_nxt, .flags = ACK, .win = W(0));
  ZT_EQ(fx_write(&f, 100), 100);
  fx_poll(&f);
  uint32_t una = f.s_nxt;
  uint64_t gap = ZN_SEC(1);
  for (int k = 0; k < 8; k++) {   /* 1, 2, 4 ... 60 s apart, answered */
    fx_run(&f, gap - 1);
    EXPECT_NONE(&f);
    fx_run(&f, 1);
    EXPECT(&f, .seq = una - 1, .ack = f.p_nxt, .flags = ACK);
    SEND(&f, .seq = f.p_nxt, .ack = una, .flags = ACK, .win = W(0));
    gap = gap * 2 > ZN_SEC(60) ? ZN_SEC(60) : gap * 2;
  }
  EXPECT_STATE(&f, ZN_TCP_ESTABLISHED);
  ZT_EQ(f.errors, 0);
  SEND(&f, .seq = f.p_nxt, .ack = una, .flags = ACK, .win = W(8192));
  EXPECT(&f, .seq = una, .ack = f.p_nxt, .flags = ACK | PSH, .len = 100);
  ack_all(&f);
  fx_free(&f);
}

ZT_TEST(test_established_persist_window_update_lost) {
  struct fx f;
  fx_init(&f, NULL);
  fx_established_passive(&f);
  SEND(&f, .seq = f.p_nxt, .ack = f.s_nxt, .flags = ACK, .win = W(0));
  ZT_EQ(fx_write(&f, 100), 100);
  fx_poll(&f);
  uint32_t una = f.s_nxt;
  fx_run(&f, ZN_SEC(1));
  EXPECT(&f, .seq = una - 1, .ack = f.p_nxt, .flags = ACK);
  /* The peer's window opened and its update was lost: its answer to the
   * probe carries it, and the data goes (regression: a 1-byte probe the
   * peer took was ACKed beyond SND.NXT, drew a challenge ACK, and the
   * connection stuck probing forever). */
  SEND(&f, .seq = f.p_nxt, .ack = una, .flags = ACK, .win = W(4000));
  EXPECT(&f, .seq = una, .ack = f.p_nxt, .flags = ACK | PSH, .len = 100);
  ack_all(&f);
  ZT_EQ(fx_info(&f).unacked, 0);
  ZT_EQ(fx_info(&f).queued, 0);
  fx_free(&f);
}

ZT_TEST(test_established_small_window) {
  struct fx f;
  fx_init(&f, NULL);
  fx_established_passive(&f);
  /* A window below both the MSS and half the largest window seen: the
   * sender's SWS avoidance holds the data, but not for ever (RFC 1122
   * §4.2.3.4 (d), the override timeout; regression: with nothing in
   * flight it waited for ever). */
  SEND(&f, .seq = f.p_nxt, .ack = f.s_nxt, .flags = ACK, .win = W(500));
  ZT_EQ(fx_write(&f, 1000), 1000);
  fx_poll(&f);
  EXPECT_NONE(&f);
  fx_run(&f, ZN_SEC(1));
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK, .len = 500);
  SEND(&f, .seq = f.p_nxt, .ack = f.s_nxt, .flags = ACK, .win = W(500));
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK | PSH, .len = 500);
  ack_all(&f);
  fx_free(&f);
}

/* Each timer says what it is for: the mode of rtx_timer and misc_timer
 * (tcp_int.h) follows the connection through the handshake, data, a shut
 * window, keepalive, FIN_WAIT_2 and TIME_WAIT, set where each is armed. */
ZT_TEST(test_timer_modes) {
  struct fx f;
  fx_init(&f, NULL);
  fx_syn_sent(&f);
  ZT_EQ(f.c->rtx_mode, ZN__TCP_RTX_SYN);   /* zn__tcp_send_syn */
  fx_run(&f, ZN_SEC(1));
  EXPECT(&f, .seq = f.iss, .flags = SYN, .any_opts = true);
  ZT_EQ(f.c->rtx_mode, ZN__TCP_RTX_SYN);   /* resent, armed again */
  ZT_EQ(f.c->misc_mode, ZN__TCP_MISC_OFF);
  fx_free(&f);

  fx_init(&f, NULL);
  fx_established(&f);
  struct zn_tcp_conn *c = f.c;
  ZT_EQ(c->rtx_mode, ZN__TCP_RTX_OFF);     /* the SYN's ACK stopped it */
  ZT_EQ(fx_write(&f, 100), 100);
  fx_poll(&f);
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK | PSH, .len = 100);
  ZT_EQ(c->rtx_mode, ZN__TCP_RTX_RTO);     /* data in flight */
  SEND(&f, .seq = f.p_nxt, .ack = f.s_nxt, .flags = ACK, .win = W(0));
  ZT_EQ(c->rtx_mode, ZN__TCP_RTX_OFF);     /* all acknowledged */
  ZT_EQ(fx_write(&f, 100), 100);
  fx_poll(&f);
  EXPECT_NONE(&f);
  ZT_EQ(c->rtx_mode, ZN__TCP_RTX_PERSIST); /* data waits, window shut */
  SEND(&f, .seq = f.p_nxt, .ack = f.s_nxt, .flags = ACK, .win = W(8192));
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK | PSH, .len = 100);
  ZT_EQ(c->rtx_mode, ZN__TCP_RTX_RTO);     /* no more probes: timed data */
  ack_all(&f);
  ZT_EQ(c->rtx_mode, ZN__TCP_RTX_OFF);
  f.in_api++;
  zn_tcp_set_keepalive(c, 1000, 500, 3);
  f.in_api--;
  ZT_EQ(c->misc_mode, ZN__TCP_MISC_KEEPALIVE);
  fx_close(&f);
  fx_poll(&f);
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK | FIN);
  EXPECT_STATE(&f, ZN_TCP_FIN_WAIT_1);
  ZT_EQ(c->rtx_mode, ZN__TCP_RTX_RTO);     /* the FIN in flight */
  ack_all(&f);
  EXPECT_STATE(&f, ZN_TCP_FIN_WAIT_2);
  /* Closed: a time limit, which a record keeps (tcp_tw.c); the slot is
   * free. */
  ZT_EQ(c->misc_mode, ZN__TCP_MISC_OFF);
  ZT_EQ(zn__tcp_tw_used(f.st), 1);
  SEND(&f, .seq = f.p_nxt, .ack = f.s_nxt, .flags = ACK | FIN);
  f.p_nxt++;
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK);
  EXPECT_STATE(&f, ZN_TCP_TIME_WAIT);
  /* Closed by the app: a record waits (tcp_tw.c), its slot is free. */
  ZT_EQ(zn__tcp_tw_used(f.st), 1);
  ZT_EQ(c->misc_mode, ZN__TCP_MISC_OFF);
  fx_free(&f);
}

ZT_TEST(test_established_keepalive) {
  struct fx f;
  fx_init(&f, NULL);
  fx_established(&f);
  f.in_api++;
  zn_tcp_set_keepalive(f.c, 1000, 500, 3);
  f.in_api--;
  /* Idle 1 s: a probe <SEQ=SND.NXT-1>, no data (RFC 9293 §3.8.4). */
  fx_run(&f, ZN_MS(1000) - 1);
  EXPECT_NONE(&f);
  fx_run(&f, 1);
  EXPECT(&f, .seq = f.s_nxt - 1, .ack = f.p_nxt, .flags = ACK);
  /* Answered: idle starts over. */
  f.now += ZN_MS(100);
  ack_all(&f);
  fx_run(&f, ZN_MS(1000) - 1);
  EXPECT_NONE(&f);
  fx_run(&f, 1);
  EXPECT(&f, .seq = f.s_nxt - 1, .ack = f.p_nxt, .flags = ACK);
  /* Unanswered: two more, 500 ms apart, then give up. */
  fx_run(&f, ZN_MS(500));
  EXPECT(&f, .seq = f.s_nxt - 1, .ack = f.p_nxt, .flags = ACK);
  fx_run(&f, ZN_MS(500));
  EXPECT(&f, .seq = f.s_nxt - 1, .ack = f.p_nxt, .flags = ACK);
  ZT_EQ(f.errors, 0);
  fx_run(&f, ZN_MS(500));
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = RST | ACK);
  EXPECT_STATE(&f, ZN_TCP_CLOSED);
  ZT_STREQ(f.log, "CE(ETIMEDOUT)");
  fx_free(&f);
}

/* Keepalive set while the handshake is under way starts when the
 * connection is established: the action that establishes runs before the
 * chart writes ESTABLISHED, and used to find the state not yet right. */
ZT_TEST(test_syn_sent_keepalive_starts_at_establish) {
  struct fx f;
  fx_init(&f, NULL);
  fx_syn_sent(&f);
  f.in_api++;
  zn_tcp_set_keepalive(f.c, 1000, 500, 3);
  f.in_api--;
  ZT_EQ(f.c->misc_mode, ZN__TCP_MISC_OFF); /* no keepalive in SYN_SENT */
  f.now += f.rtt;
  struct zn_tcp_seg_opts o = fx_peer_syn_opts(&f);
  if (o.present & ZN_TCP_OPTF_TS)
    o.tsecr = f.s_tsval;
  f.ts = (o.present & ZN_TCP_OPTF_TS) && f.cfg.tcp_timestamps;
  SEND(&f, .seq = f.p_iss, .ack = f.iss + 1, .flags = SYN | ACK, .o = o);
  f.p_nxt = f.p_iss + 1;
  EXPECT(&f, .seq = f.iss + 1, .ack = f.p_nxt, .flags = ACK);
  EXPECT_STATE(&f, ZN_TCP_ESTABLISHED);
  ZT_EQ(f.c->misc_mode, ZN__TCP_MISC_KEEPALIVE);
  fx_run(&f, ZN_MS(1000) - 1);
  EXPECT_NONE(&f);
  fx_run(&f, 1);
  EXPECT(&f, .seq = f.s_nxt - 1, .ack = f.p_nxt, .flags = ACK);
  fx_free(&f);
}

ZT_TEST(test_established_keepalive_data) {
  struct fx f;
  fx_init(&f, NULL);
  fx_established(&f);
  f.in_api++;
  zn_tcp_set_keepalive(f.c, 1000, 500, 3);
  f.in_api--;
  /* Traffic keeps it quiet. */
  for (int k = 0; k < 5; k++) {
    fx_run(&f, ZN_MS(600));
    data_in(&f, 10);
    fx_run(&f, ZN_MS(40));
    EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK);
  }
  EXPECT_NONE(&f);
  f.in_api++;
  zn_tcp_set_keepalive(f.c, 0, 0, 0);   /* off */
  f.in_api--;
  fx_run(&f, ZN_SEC(10));
  EXPECT_NONE(&f);
  fx_free(&f);
}

/* Found by fuzz_memlink: keepalive's timer, armed in ESTABLISHED, fired in
 * FIN_WAIT_2 after a shutdown and was taken for the FIN_WAIT_2 limit (a
 * RST, the connection gone under an application still reading).  In a
 * half-closed FIN_WAIT_2 the timer stays keepalive's. */
ZT_TEST(test_fin_wait_2_keepalive_after_shutdown) {
  struct fx f;
  fx_init(&f, NULL);
  fx_established(&f);
  f.in_api++;
  zn_tcp_set_keepalive(f.c, 1000, 500, 2);
  f.in_api--;
  fx_run(&f, ZN_MS(300));
  ZT_EQ(fx_shutdown(&f), ZN_OK);
  fx_poll(&f);
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK | FIN);
  SEND(&f, .seq = f.p_nxt, .ack = f.s_nxt, .flags = ACK);
  EXPECT_STATE(&f, ZN_TCP_FIN_WAIT_2);
  /* Past the FIN_WAIT_2 limit and keepalive's idle time: probes, no RST. */
  for (uint32_t t = 0; t <= f.cfg.tcp_fw2_ms + 1000; t += 1000) {
    fx_run(&f, ZN_MS(1000) - 1);
    EXPECT_NONE(&f);
    fx_run(&f, 1);
    EXPECT(&f, .seq = f.s_nxt - 1, .ack = f.p_nxt, .flags = ACK);
    ack_all(&f); /* answered: idle starts over */
  }
  EXPECT_STATE(&f, ZN_TCP_FIN_WAIT_2);
  ZT_EQ(f.errors, 0);
  /* The peer still sends; the application reads it. */
  data_in(&f, 10);
  ZT_EQ(f.readable > 0, true);
  fx_run(&f, ZN_MS(40));
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK);
  /* Then the peer goes silent: keepalive gives up with ETIMEDOUT. */
  fx_run(&f, ZN_SEC(5));
  while (fx_pending(&f) > 1)
    EXPECT(&f, .seq = f.s_nxt - 1, .ack = f.p_nxt, .flags = ACK);
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = RST | ACK);
  EXPECT_STATE(&f, ZN_TCP_CLOSED);
  ZT_EQ(f.errors, 1);
  fx_free(&f);
}

/* ================= delayed ACK, Nagle ================================== */

ZT_TEST(test_established_delack_piggyback) {
  struct fx f;
  fx_init(&f, NULL);
  fx_established(&f);
  data_in(&f, 10);
  fx_run(&f, ZN_MS(10));
  /* The reply carries the ACK; none follows on its own. */
  ZT_EQ(fx_write(&f, 5), 5);
  fx_poll(&f);
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK | PSH, .len = 5);
  fx_run(&f, ZN_MS(100));
  EXPECT_NONE(&f);
  ack_all(&f);
  fx_free(&f);
}

ZT_TEST(test_established_delack_hole) {
  struct fx f;
  fx_init(&f, NULL);
  fx_established(&f);
  SEND(&f, .seq = f.p_nxt + 10, .ack = f.s_nxt, .flags = ACK, .len = 10);
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK);  /* at once */
  /* The segment filling the hole is ACKed at once too (RFC 5681 §4.2). */
  data_in(&f, 10);
  f.p_nxt += 10;
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK);
  ZT_CHECK(fx_rx_ok(&f, 20));
  fx_free(&f);
}

ZT_TEST(test_established_nagle) {
  struct fx f;
  fx_init(&f, NULL);
  fx_established(&f);
  ZT_EQ(fx_write(&f, 10), 10);
  fx_poll(&f);
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK | PSH, .len = 10);
  /* RFC 896: small segments wait while data is in flight ... */
  ZT_EQ(fx_write(&f, 10), 10);
  ZT_EQ(fx_write(&f, 10), 10);
  fx_poll(&f);
  EXPECT_NONE(&f);
  /* ... and go together with the ACK. */
  ack_all(&f);
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK | PSH, .len = 20);
  /* A full segment is never held. */
  ZT_EQ(fx_write(&f, 1460), 1460);
  fx_poll(&f);
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK | PSH,
         .len = 1460);
  ack_all(&f);
  fx_free(&f);
}

ZT_TEST(test_established_nodelay) {
  struct fx f;
  fx_init(&f, NULL);
  fx_established(&f);
  f.in_api++;
  zn_tcp_set_nodelay(f.c, true);
  f.in_api--;
  for (int k = 0; k < 3; k++) {
    ZT_EQ(fx_write(&f, 10), 10);
    fx_poll(&f);
    EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK | PSH, .len = 10);
  }
  ZT_EQ(fx_info(&f).unacked, 30);
  /* Held data goes when Nagle is turned off. */
  f.in_api++;
  zn_tcp_set_nodelay(f.c, false);
  f.in_api--;
  ZT_EQ(fx_write(&f, 10), 10);
  fx_poll(&f);
  EXPECT_NONE(&f);
  f.in_api++;
  zn_tcp_set_nodelay(f.c, true);
  f.in_api--;
  fx_poll(&f);
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK | PSH, .len = 10);
  ack_all(&f);
  fx_free(&f);
}

ZT_TEST(test_established_writable) {
  struct fx f;
  struct zn_config cfg;
  fx_config(&cfg);
  cfg.tcp_sndbuf = 3000;
  fx_init(&f, &cfg);
  fx_established(&f);
  ZT_EQ(fx_write(&f, 5000), 3000);
  ZT_EQ(fx_write(&f, 10), ZN_EAGAIN);
  fx_poll(&f);
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK, .len = 1460);
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK, .len = 1460);
  ZT_STREQ(f.log, "C");
  /* Room again: on_writable (once), from the poll that made it. */
  SEND(&f, .seq = f.p_nxt, .ack = f.s_nxt - 1460, .flags = ACK);
  ZT_STREQ(f.log, "CW");
  /* Minshall: no small segment is in flight, so the last 80 go now. */
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK | PSH, .len = 80);
  EXPECT_NONE(&f);
  ack_all(&f);
  ZT_STREQ(f.log, "CW");
  fx_free(&f);
}

int main(void) {
  ZT_RUN(test_syn_received_ack_rtt_sample);
  ZT_RUN(test_established_rto_initial);
  ZT_RUN(test_established_blackhole);
  ZT_RUN(test_established_blackhole_probe_lost);
  ZT_RUN(test_established_blackhole_off);
  ZT_RUN(test_established_rto_srtt);
  ZT_RUN(test_established_rto_min);
  ZT_RUN(test_established_karn);
  ZT_RUN(test_established_rto_after_syn_loss);
  ZT_RUN(test_established_rtx_giveup);
  ZT_RUN(test_established_rto_backoff_capped);
  ZT_RUN(test_established_fast_retransmit);
  ZT_RUN(test_established_dupack_data);
  ZT_RUN(test_established_idle_restart);
  ZT_RUN(test_established_persist);
  ZT_RUN(test_established_persist_unanswered);
  ZT_RUN(test_established_persist_answered_forever);
  ZT_RUN(test_established_persist_window_update_lost);
  ZT_RUN(test_established_small_window);
  ZT_RUN(test_timer_modes);
  ZT_RUN(test_established_keepalive);
  ZT_RUN(test_syn_sent_keepalive_starts_at_establish);
  ZT_RUN(test_established_keepalive_data);
  ZT_RUN(test_fin_wait_2_keepalive_after_shutdown);
  ZT_RUN(test_established_delack_piggyback);
  ZT_RUN(test_established_delack_hole);
  ZT_RUN(test_established_nagle);
  ZT_RUN(test_established_nodelay);
  ZT_RUN(test_established_writable);
  return zt_done();
}
