/*
 * TCP per state and event, against a scripted peer (tcp_fixture.h):
 * ESTABLISHED (§3.10.7.4): every segment class and API call.
 *
 * One of the state tests split from test_tcp_states.c along its sections
 * (tcp_fixture.h says how they work).  Named test_<state>_<event>; every
 * test ends with fx_free(), which checks that every segment the stack
 * sent was looked at, nothing leaked and tcp_impossible is still 0.
 */
#include "tcp_fixture.h"

/* ================= ESTABLISHED (§3.10.7.4) ============================= */

ZT_TEST(test_established_data) {
  struct fx f;
  fx_init(&f, NULL);
  fx_established(&f);
  data_in(&f, 100);
  ZT_CHECK(fx_rx_ok(&f, 100));
  ZT_STREQ(f.log, "CR");
  /* One small segment: the ACK waits tcp_delack_ms (40 ms). */
  fx_run(&f, ZN_MS(40) - 1);
  EXPECT_NONE(&f);
  fx_run(&f, 1);
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK, .win = W(8192));
  ZT_EQ(fx_info(&f).bytes_received, 100);
  fx_free(&f);
}

/* A connection's segments are checked against its own pseudo-header sum
 * (summed once, when the tuple was hashed): one bit off drops a data
 * segment, a RST and a FIN, each counted, with no ACK and nothing
 * delivered; the same segments whole are taken. */
ZT_TEST(test_established_bad_checksum) {
  struct fx f;
  fx_init(&f, NULL);
  fx_established(&f);
  uint64_t drops = zn_stat(f.st, ZN_STAT_tcp_drop_checksum);
  SEND(&f, .seq = f.p_nxt, .ack = f.s_nxt, .flags = ACK, .len = 100,
       .bad_csum = true);
  SEND(&f, .seq = f.p_nxt, .flags = RST, .bad_csum = true);
  SEND(&f, .seq = f.p_nxt, .ack = f.s_nxt, .flags = FIN | ACK,
       .bad_csum = true);
  ZT_EQU(zn_stat(f.st, ZN_STAT_tcp_drop_checksum), drops + 3);
  fx_run(&f, ZN_MS(100));
  EXPECT_NONE(&f);
  ZT_EQ(fx_info(&f).bytes_received, 0);
  ZT_EQ(fx_info(&f).state, ZN_TCP_ESTABLISHED);
  data_in(&f, 100);
  ZT_CHECK(fx_rx_ok(&f, 100));
  ZT_EQU(zn_stat(f.st, ZN_STAT_tcp_drop_checksum), drops + 3);
  fx_run(&f, ZN_MS(40));
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK);
  ZT_EQ(fx_info(&f).bytes_received, 100);
  fx_free(&f);
}

ZT_TEST(test_established_data_full_segments) {
  struct fx f;
  fx_init(&f, NULL);
  fx_established(&f);
  /* RFC 5681 §4.2 / RFC 1122: every second full-sized segment is ACKed
   * at once. */
  data_in(&f, 1460);
  EXPECT_NONE(&f);   /* and reading it is no reason to ACK (regression) */
  data_in(&f, 1460);
  /* (The app is told, and reads the second segment, before the ACK
   * leaves: it offers the whole window again.) */
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK, .win = W(8192));
  data_in(&f, 1460);
  EXPECT_NONE(&f);
  data_in(&f, 500);                 /* not full: the timer still runs */
  EXPECT_NONE(&f);
  fx_run(&f, ZN_MS(40));
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK);
  EXPECT_NONE(&f);
  ZT_CHECK(fx_rx_ok(&f, 3 * 1460 + 500));
  fx_free(&f);
}

/* A peer whose segments are smaller than the MSS (its own came down: a
 * black hole, a smaller path MTU): after two segments in a row of one
 * size, that size is full-sized, and every second one is ACKed at once
 * again (regression: each waited for the delayed ACK, which stalled a
 * sender in recovery until its loss probe).  A larger segment raises
 * the measure again. */
ZT_TEST(test_established_data_smaller_segments) {
  struct fx f;
  fx_init(&f, NULL);
  fx_established(&f);
  data_in(&f, 1000);
  EXPECT_NONE(&f);
  data_in(&f, 1000); /* the same size again: 1000 is full-sized now */
  EXPECT_NONE(&f);
  data_in(&f, 1000);
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK);
  data_in(&f, 1000);
  EXPECT_NONE(&f);
  data_in(&f, 1000);
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK);
  data_in(&f, 1460); /* full size again */
  EXPECT_NONE(&f);
  data_in(&f, 1000);
  EXPECT_NONE(&f);
  data_in(&f, 1460);
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK);
  ZT_CHECK(fx_rx_ok(&f, 6000 + 2 * 1460));
  fx_free(&f);
}

ZT_TEST(test_established_data_window_edges) {
  struct fx f;
  fx_init(&f, NULL);
  f.auto_read = false;
  fx_established(&f);
  uint32_t nxt = f.p_nxt;         /* RCV.NXT; RCV.WND = 8192 */
  /* The last acceptable byte, RCV.NXT + RCV.WND - 1: taken (held out of
   * order) and a duplicate ACK at once. */
  SEND(&f, .seq = nxt + 8191, .ack = f.s_nxt, .flags = ACK, .len = 1);
  EXPECT(&f, .seq = f.s_nxt, .ack = nxt, .flags = ACK, .win = W(8192));
  ZT_EQ(fx_stat(&f, ZN_STAT_tcp_ooo_queued), 1);
  /* One beyond: not acceptable, an ACK. */
  SEND(&f, .seq = nxt + 8192, .ack = f.s_nxt, .flags = ACK, .len = 1);
  EXPECT(&f, .seq = f.s_nxt, .ack = nxt, .flags = ACK, .win = W(8192));
  ZT_EQ(fx_stat(&f, ZN_STAT_tcp_unacceptable), 1);
  /* Zero-length: acceptable up to RCV.NXT + RCV.WND - 1 ... */
  SEND(&f, .seq = nxt + 8191, .ack = f.s_nxt, .flags = ACK);
  EXPECT_NONE(&f);
  /* ... and at RCV.NXT + RCV.WND itself, where a peer that filled the
   * window numbers its bare ACKs (a departure: the RFC has "<"; Linux
   * and BSD take it) ... */
  SEND(&f, .seq = nxt + 8192, .ack = f.s_nxt, .flags = ACK);
  EXPECT_NONE(&f);
  /* ... not one beyond, nor at RCV.NXT - 1 (a keepalive). */
  SEND(&f, .seq = nxt + 8193, .ack = f.s_nxt, .flags = ACK);
  EXPECT(&f, .seq = f.s_nxt, .ack = nxt, .flags = ACK);
  SEND(&f, .seq = nxt - 1, .ack = f.s_nxt, .flags = ACK);
  EXPECT(&f, .seq = f.s_nxt, .ack = nxt, .flags = ACK);
  ZT_EQ(fx_stat(&f, ZN_STAT_tcp_unacceptable), 3);
  /* Starting in the window and running past its edge: trimmed. */
  SEND(&f, .seq = nxt + 8000, .ack = f.s_nxt, .flags = ACK, .len = 300);
  EXPECT(&f, .seq = f.s_nxt, .ack = nxt, .flags = ACK);
  /* Starting before RCV.NXT, ending in the window: the new part. */
  SEND(&f, .seq = nxt - 10, .ack = f.s_nxt, .flags = ACK, .len = 110);
  ZT_EQ(zn_tcp_readable(f.c), 100);
  /* Wholly old: an ACK, nothing taken. */
  SEND(&f, .seq = nxt, .ack = f.s_nxt, .flags = ACK, .len = 50);
  EXPECT(&f, .seq = f.s_nxt, .ack = nxt + 100, .flags = ACK);
  ZT_EQ(zn_tcp_readable(f.c), 100);
  /* Filling the hole: everything up to the edge is in, window 0. */
  SEND(&f, .seq = nxt + 100, .ack = f.s_nxt, .flags = ACK, .len = 1400);
  for (uint32_t s = nxt + 1500; s < nxt + 8000; s += 1300) {
    uint32_t n = nxt + 8000 - s < 1300 ? nxt + 8000 - s : 1300;
    SEND(&f, .seq = s, .ack = f.s_nxt, .flags = ACK, .len = n);
  }
  f.p_nxt = nxt + 8192;
  while (fx_pop(&f, __FILE__, __LINE__))
    ;                                 /* the ACKs on the way */
  ZT_EQ(f.last.ack, f.p_nxt);         /* the last one: all of it */
  ZT_EQ(W_VAL(f.last.win), 0);
  ZT_EQ(zn_tcp_readable(f.c), 8192);
  ZT_CHECK(fx_read(&f, 8192) == 8192 && fx_rx_ok(&f, 8192));
  fx_poll(&f);
  /* Reading opened the window: a window update. */
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK, .win = W(8192));
  fx_free(&f);
}

ZT_TEST(test_established_zero_window) {
  struct fx f;
  fx_init(&f, NULL);
  f.auto_read = false;
  fx_established(&f);
  for (int i = 0; i < 8; i++)
    data_in(&f, 1024);
  fx_run(&f, ZN_MS(40));
  while (fx_pop(&f, __FILE__, __LINE__))
    ;
  ZT_EQ(f.last.ack, f.p_nxt);
  ZT_EQ(W_VAL(f.last.win), 0);
  /* A window probe (one byte at RCV.NXT) is not taken but must be ACKed
   * with the window, or the sender never learns it opened (RFC 9293
   * §3.8.6.1, RFC 1122 §4.2.2.17; regression: it was dropped silently). */
  SEND(&f, .seq = f.p_nxt, .ack = f.s_nxt, .flags = ACK, .len = 1);
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK, .win = W(0));
  ZT_EQ(zn_tcp_readable(f.c), 8192);
  /* A bare ACK at RCV.NXT is acceptable: no answer. */
  SEND(&f, .seq = f.p_nxt, .ack = f.s_nxt, .flags = ACK);
  EXPECT_NONE(&f);
  /* Anything else is not: an ACK. */
  SEND(&f, .seq = f.p_nxt + 1, .ack = f.s_nxt, .flags = ACK);
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK, .win = W(0));
  /* A FIN at RCV.NXT is not taken while the window is shut either. */
  SEND(&f, .seq = f.p_nxt, .ack = f.s_nxt, .flags = FIN | ACK);
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK, .win = W(0));
  EXPECT_STATE(&f, ZN_TCP_ESTABLISHED);
  /* Reading half opens it: an update (RFC 1122 §4.2.3.3). */
  ZT_EQ(fx_read(&f, 4096), 4096);
  fx_poll(&f);
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK, .win = W(4096));
  data_in(&f, 10);
  ZT_EQ(zn_tcp_readable(f.c), 4106);
  fx_free(&f);
}

ZT_TEST(test_established_data_past_window) {
  struct fx f;
  struct zn_config cfg;
  fx_config(&cfg);
  cfg.tcp_rcvbuf = 1000;
  fx_init(&f, &cfg);
  f.auto_read = false;
  fx_established(&f);
  /* 1400 bytes and a FIN into a 1000-byte window: 1000 taken, the rest
   * and the FIN (beyond the edge) dropped. */
  SEND(&f, .seq = f.p_nxt, .ack = f.s_nxt, .flags = FIN | ACK, .len = 1400);
  f.p_nxt += 1000;
  fx_run(&f, ZN_MS(40));
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK, .win = W(0));
  EXPECT_STATE(&f, ZN_TCP_ESTABLISHED);
  ZT_EQ(zn_tcp_readable(f.c), 1000);
  fx_free(&f);
}

ZT_TEST(test_established_noack) {
  struct fx f;
  fx_init(&f, NULL);
  fx_established(&f);
  /* Fifth check: "if the ACK bit is off, drop the segment". */
  SEND(&f, .seq = f.p_nxt, .flags = 0, .len = 10);
  SEND(&f, .seq = f.p_nxt, .flags = FIN);
  SEND(&f, .seq = f.p_nxt, .flags = PSH, .len = 10);
  fx_run(&f, ZN_MS(100));
  EXPECT_NONE(&f);
  EXPECT_STATE(&f, ZN_TCP_ESTABLISHED);
  ZT_EQ(f.nrx, 0);
  ZT_EQ(fx_stat(&f, ZN_STAT_tcp_drop_noack), 3); /* each drop counted */
  fx_free(&f);
}

ZT_TEST(test_established_write) {
  struct fx f;
  fx_init(&f, NULL);
  fx_established(&f);
  ZT_EQ(fx_write(&f, 100), 100);
  fx_poll(&f);
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK | PSH, .len = 100,
         .win = W(8192));
  struct zn_tcp_info i = fx_info(&f);
  ZT_EQ(i.unacked, 100);
  ZT_EQ(i.bytes_sent, 100);
  f.now += ZN_MS(10);
  ack_all(&f);
  i = fx_info(&f);
  ZT_EQ(i.unacked, 0);
  ZT_EQ(i.bytes_acked, 100);
  ZT_EQ(i.srtt_us, (7 * 1 + 10000) / 8);  /* the handshake's RTT was ~0 */
  EXPECT_NONE(&f);
  fx_free(&f);
}

ZT_TEST(test_established_rst) {
  struct fx f;
  fx_init(&f, NULL);
  fx_established(&f);
  ZT_EQ(fx_write(&f, 10), 10);
  fx_poll(&f);
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK | PSH, .len = 10);
  /* RFC 5961 §3.2: SEG.SEQ == RCV.NXT: reset. */
  SEND(&f, .seq = f.p_nxt, .flags = RST);
  EXPECT_NONE(&f);
  EXPECT_STATE(&f, ZN_TCP_CLOSED);
  ZT_STREQ(f.log, "CE(ECONNRESET)");
  ZT_EQ(fx_write(&f, 1), ZN_ECONNRESET);
  ZT_EQ(fx_info(&f).queued, 0);      /* queues flushed */
  fx_close(&f);
  fx_poll(&f);
  EXPECT_NONE(&f);
  ZT_STREQ(f.log, "CE(ECONNRESET)X");
  ZT_EQ(ZN__MOD(f.st, tcp)->nused, 0);
  fx_free(&f);
}

/* A reset with data the app has not read: flushed by default (RFC 9293
 * §3.10.7.4); kept with keep_after_reset (Linux's sockets), read before
 * the error, which comes once. */
ZT_TEST(test_established_rst_unread) {
  for (int keep = 0; keep < 2; keep++) {
    struct fx f;
    fx_init(&f, NULL);
    f.auto_read = false;
    fx_established(&f);
    zn_tcp_set_keep_after_reset(f.c, keep != 0);
    SEND(&f, .seq = f.p_nxt, .ack = f.s_nxt, .flags = ACK | PSH, .len = 100);
    f.p_nxt += 100;
    fx_run(&f, ZN_MS(40));
    EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK);
    SEND(&f, .seq = f.p_nxt, .flags = RST);
    EXPECT_NONE(&f);
    EXPECT_STATE(&f, ZN_TCP_CLOSED);
    uint8_t buf[256];
    if (keep) {
      ZT_EQ(zn_tcp_readable(f.c), 100);
      ZT_EQ(zn_tcp_read(f.c, buf, 60), 60);
      ZT_EQ(zn_tcp_read(f.c, buf, sizeof(buf)), 40);
    }
    ZT_EQ(zn_tcp_readable(f.c), 0);
    ZT_EQ(zn_tcp_read(f.c, buf, sizeof(buf)), ZN_ECONNRESET);
    fx_close(&f);
    fx_poll(&f);
    EXPECT_NONE(&f);
    fx_free(&f);
  }
}

ZT_TEST(test_established_rst_inwin) {
  struct fx f;
  fx_init(&f, NULL);
  fx_established(&f);
  /* In the window, not exact: a challenge ACK, no reset. */
  SEND(&f, .seq = f.p_nxt + 1, .flags = RST);
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK);
  SEND(&f, .seq = f.p_nxt + 8191, .ack = f.s_nxt, .flags = RST | ACK);
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK);
  EXPECT_STATE(&f, ZN_TCP_ESTABLISHED);
  ZT_EQ(fx_stat(&f, ZN_STAT_tcp_chack_tx), 2);
  ZT_EQ(fx_stat(&f, ZN_STAT_tcp_rst_ignored), 2);
  /* The peer answers the challenge with the exact RST. */
  SEND(&f, .seq = f.p_nxt, .flags = RST);
  EXPECT_STATE(&f, ZN_TCP_CLOSED);
  ZT_STREQ(f.log, "CE(ECONNRESET)");
  fx_free(&f);
}

ZT_TEST(test_established_rst_outwin) {
  struct fx f;
  fx_init(&f, NULL);
  fx_established(&f);
  SEND(&f, .seq = f.p_nxt + 8192, .flags = RST);
  SEND(&f, .seq = f.p_nxt - 1, .flags = RST);
  SEND(&f, .seq = f.p_nxt + 0x80000000u, .flags = RST | ACK);
  EXPECT_NONE(&f);
  EXPECT_STATE(&f, ZN_TCP_ESTABLISHED);
  ZT_EQ(f.errors, 0);
  fx_free(&f);
}

ZT_TEST(test_established_rst_rfc793) {
  struct fx f;
  struct zn_config cfg;
  fx_config(&cfg);
  cfg.tcp_rfc5961 = false;
  fx_init(&f, &cfg);
  fx_established(&f);
  SEND(&f, .seq = f.p_nxt + 8192, .flags = RST);  /* out: still ignored */
  EXPECT_STATE(&f, ZN_TCP_ESTABLISHED);
  /* RFC 793: any RST in the window resets. */
  SEND(&f, .seq = f.p_nxt + 4000, .flags = RST);
  EXPECT_NONE(&f);
  EXPECT_STATE(&f, ZN_TCP_CLOSED);
  ZT_STREQ(f.log, "CE(ECONNRESET)");
  fx_free(&f);
}

ZT_TEST(test_established_syn) {
  struct fx f;
  fx_init(&f, NULL);
  fx_established(&f);
  /* RFC 5961 §4.2: any SYN, whatever its sequence number: challenge ACK,
   * the segment dropped. */
  SEND(&f, .seq = f.p_nxt, .flags = SYN, .len = 5);
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK);
  SEND(&f, .seq = f.p_nxt + 50000, .flags = SYN);
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK);
  SEND(&f, .seq = f.p_iss, .ack = f.s_nxt, .flags = SYN | ACK);
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK);
  EXPECT_STATE(&f, ZN_TCP_ESTABLISHED);
  ZT_EQ(fx_stat(&f, ZN_STAT_tcp_chack_tx), 3);
  ZT_EQ(f.nrx, 0);
  fx_free(&f);
}

ZT_TEST(test_established_syn_rfc793) {
  struct fx f;
  struct zn_config cfg;
  fx_config(&cfg);
  cfg.tcp_rfc5961 = false;
  fx_init(&f, &cfg);
  fx_established(&f);
  /* Out of the window: an ACK (first check). */
  SEND(&f, .seq = f.p_nxt + 50000, .flags = SYN);
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK);
  EXPECT_STATE(&f, ZN_TCP_ESTABLISHED);
  /* RFC 793: a SYN in the window: reset, "connection reset". */
  SEND(&f, .seq = f.p_nxt + 10, .flags = SYN);
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = RST | ACK);
  EXPECT_STATE(&f, ZN_TCP_CLOSED);
  ZT_STREQ(f.log, "CE(ECONNRESET)");
  ZT_EQ(fx_stat(&f, ZN_STAT_tcp_chack_tx), 0);
  fx_free(&f);
}

ZT_TEST(test_established_ack_unsent) {
  struct fx f;
  fx_init(&f, NULL);
  fx_established(&f);
  ZT_EQ(fx_write(&f, 10), 10);
  fx_poll(&f);
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK | PSH, .len = 10);
  /* SEG.ACK > SND.NXT: an ACK, the segment (and its data) dropped. */
  SEND(&f, .seq = f.p_nxt, .ack = f.s_nxt + 1, .flags = ACK, .len = 10);
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK);
  ZT_EQ(f.nrx, 0);
  ZT_EQ(fx_info(&f).unacked, 10);
  EXPECT_STATE(&f, ZN_TCP_ESTABLISHED);
  fx_free(&f);
}

ZT_TEST(test_established_ack_too_old) {
  struct fx f;
  fx_init(&f, NULL);
  fx_established(&f);  /* MAX.SND.WND = 65535 */
  uint32_t lo = f.s_nxt - 65535;
  /* RFC 5961 §5.2: SEG.ACK < SND.UNA - MAX.SND.WND: challenge ACK, drop. */
  SEND(&f, .seq = f.p_nxt, .ack = lo - 1, .flags = ACK, .len = 10);
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK);
  ZT_EQ(f.nrx, 0);
  ZT_EQ(fx_stat(&f, ZN_STAT_tcp_chack_tx), 1);
  /* At the bound: an old duplicate, ignored; the data is taken. */
  SEND(&f, .seq = f.p_nxt, .ack = lo, .flags = ACK, .len = 10);
  f.p_nxt += 10;
  ZT_CHECK(fx_rx_ok(&f, 10));
  fx_run(&f, ZN_MS(40));
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK);
  EXPECT_STATE(&f, ZN_TCP_ESTABLISHED);
  fx_free(&f);
}

ZT_TEST(test_established_ack_too_old_rfc793) {
  struct fx f;
  struct zn_config cfg;
  fx_config(&cfg);
  cfg.tcp_rfc5961 = false;
  fx_init(&f, &cfg);
  fx_established(&f);
  /* Without RFC 5961 an old ACK is just a duplicate: data taken. */
  SEND(&f, .seq = f.p_nxt, .ack = f.s_nxt - 100000, .flags = ACK, .len = 10);
  f.p_nxt += 10;
  ZT_CHECK(fx_rx_ok(&f, 10));
  EXPECT_NONE(&f);
  fx_free(&f);
}

ZT_TEST(test_established_chack_limit) {
  struct fx f;
  struct zn_config cfg;
  fx_config(&cfg);
  cfg.tcp_chack_limit = 2;
  fx_init(&f, &cfg);
  fx_established(&f);
  /* RFC 5961 §7: at most tcp_chack_limit challenge ACKs a second, for
   * RSTs, SYNs and ACKs alike. */
  SEND(&f, .seq = f.p_nxt + 1, .flags = RST);
  SEND(&f, .seq = f.p_nxt, .flags = SYN);
  SEND(&f, .seq = f.p_nxt + 2, .flags = RST);
  SEND(&f, .seq = f.p_nxt, .ack = f.s_nxt + 5, .flags = ACK);
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK);
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK);
  EXPECT_NONE(&f);
  ZT_EQ(fx_stat(&f, ZN_STAT_tcp_chack_tx), 2);
  ZT_EQ(fx_stat(&f, ZN_STAT_tcp_chack_limited), 2);
  /* A second later there are two more. */
  fx_run(&f, ZN_SEC(1));
  SEND(&f, .seq = f.p_nxt + 1, .flags = RST);
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK);
  EXPECT_STATE(&f, ZN_TCP_ESTABLISHED);
  fx_free(&f);
}

ZT_TEST(test_established_fin) {
  struct fx f;
  fx_init(&f, NULL);
  fx_established(&f);
  data_in(&f, 10);
  /* The FIN is ACKed at once (with the data before it). */
  SEND(&f, .seq = f.p_nxt, .ack = f.s_nxt, .flags = FIN | ACK);
  f.p_nxt++;
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK);
  EXPECT_NONE(&f);
  EXPECT_STATE(&f, ZN_TCP_CLOSE_WAIT);
  ZT_CHECK(fx_rx_ok(&f, 10) && f.eof);
  ZT_STREQ(f.log, "CRR");
  fx_free(&f);
}

ZT_TEST(test_established_fin_ooo) {
  struct fx f;
  fx_init(&f, NULL);
  fx_established(&f);
  /* Data and FIN beyond a hole: held, an immediate duplicate ACK. */
  SEND(&f, .seq = f.p_nxt + 10, .ack = f.s_nxt, .flags = FIN | ACK,
       .len = 10);
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK);
  EXPECT_STATE(&f, ZN_TCP_ESTABLISHED);
  /* The hole filled: everything, then the FIN; ACKed at once. */
  data_in(&f, 10);
  f.p_nxt += 11;
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK);
  EXPECT_STATE(&f, ZN_TCP_CLOSE_WAIT);
  ZT_CHECK(fx_rx_ok(&f, 20) && f.eof);
  fx_free(&f);
}

ZT_TEST(test_established_close) {
  struct fx f;
  fx_init(&f, NULL);
  fx_established(&f);
  ZT_EQ(fx_write(&f, 10), 10);      /* out at once */
  fx_close(&f);                     /* the FIN follows */
  fx_poll(&f);
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK | PSH, .len = 10);
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK | FIN);
  EXPECT_STATE(&f, ZN_TCP_FIN_WAIT_1);
  ZT_STREQ(f.log, "C");
  ack_all(&f);
  EXPECT_STATE(&f, ZN_TCP_FIN_WAIT_2);
  SEND(&f, .seq = f.p_nxt, .ack = f.s_nxt, .flags = FIN | ACK);
  f.p_nxt++;
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK);
  EXPECT_STATE(&f, ZN_TCP_TIME_WAIT);
  /* The app let go: on_closed now; a record, not the slot, waits out
   * TIME_WAIT (tcp_tw.c). */
  ZT_STREQ(f.log, "CX");
  ZT_EQ(ZN__MOD(f.st, tcp)->nused, 0);
  ZT_EQ(zn__tcp_tw_used(f.st), 1);
  fx_run(&f, 2 * ZN_MS(f.cfg.tcp_msl_ms) - ZN_MS(1));
  EXPECT_STATE(&f, ZN_TCP_TIME_WAIT);
  fx_run(&f, ZN_MS(1));
  EXPECT_STATE(&f, ZN_TCP_CLOSED);
  ZT_EQ(zn__tcp_tw_used(f.st), 0);
  ZT_STREQ(f.log, "CX");
  fx_free(&f);
}

ZT_TEST(test_established_close_unread) {
  struct fx f;
  fx_init(&f, NULL);
  f.auto_read = false;
  fx_established(&f);
  data_in(&f, 10);
  /* RFC 9293 §3.10.4 / RFC 2525 §2.17: data left unread: RST. */
  fx_close(&f);
  fx_poll(&f);
  EXPECT(&f, .seq = f.s_nxt, .flags = RST);
  EXPECT_NONE(&f);
  ZT_STREQ(f.log, "CRX");
  ZT_EQ(ZN__MOD(f.st, tcp)->nused, 0);
  fx_free(&f);
}

ZT_TEST(test_established_abort) {
  struct fx f;
  fx_init(&f, NULL);
  fx_established(&f);
  ZT_EQ(fx_write(&f, 10), 10);
  fx_poll(&f);
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK | PSH, .len = 10);
  fx_abort(&f);
  fx_poll(&f);
  /* §3.10.5: <SEQ=SND.NXT><CTL=RST>; no on_error for our own abort. */
  EXPECT(&f, .seq = f.s_nxt, .flags = RST);
  EXPECT_NONE(&f);
  ZT_STREQ(f.log, "CX");
  ZT_EQ(ZN__MOD(f.st, tcp)->nused, 0);
  /* The peer's next segment finds no connection. */
  SEND(&f, .seq = f.p_nxt, .ack = f.s_nxt, .flags = ACK, .len = 3);
  EXPECT(&f, .seq = f.s_nxt, .flags = RST);
  fx_free(&f);
}

int main(void) {
  ZT_RUN(test_established_data);
  ZT_RUN(test_established_bad_checksum);
  ZT_RUN(test_established_data_full_segments);
  ZT_RUN(test_established_data_smaller_segments);
  ZT_RUN(test_established_data_window_edges);
  ZT_RUN(test_established_zero_window);
  ZT_RUN(test_established_data_past_window);
  ZT_RUN(test_established_noack);
  ZT_RUN(test_established_write);
  ZT_RUN(test_established_rst);
  ZT_RUN(test_established_rst_unread);
  ZT_RUN(test_established_rst_inwin);
  ZT_RUN(test_established_rst_outwin);
  ZT_RUN(test_established_rst_rfc793);
  ZT_RUN(test_established_syn);
  ZT_RUN(test_established_syn_rfc793);
  ZT_RUN(test_established_ack_unsent);
  ZT_RUN(test_established_ack_too_old);
  ZT_RUN(test_established_ack_too_old_rfc793);
  ZT_RUN(test_established_chack_limit);
  ZT_RUN(test_established_fin);
  ZT_RUN(test_established_fin_ooo);
  ZT_RUN(test_established_close);
  ZT_RUN(test_established_close_unread);
  ZT_RUN(test_established_abort);
  return zt_done();
}
