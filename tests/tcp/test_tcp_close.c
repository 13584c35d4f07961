/*
 * TCP per state and event, against a scripted peer (tcp_fixture.h):
 * closing: FIN_WAIT_1, FIN_WAIT_2, CLOSE_WAIT, CLOSING, LAST_ACK and
 * TIME_WAIT (RFC 1337, 2 MSL).
 *
 * One of the state tests split from test_tcp_states.c along its sections
 * (tcp_fixture.h says how they work).  Named test_<state>_<event>; every
 * test ends with fx_free(), which checks that every segment the stack
 * sent was looked at, nothing leaked and tcp_impossible is still 0.
 */
#include "tcp_fixture.h"

/* ================= FIN_WAIT_1 (our FIN sent, not yet ACKed) ============ */

ZT_TEST(test_fin_wait_1_ack_fin) {
  struct fx f;
  fx_init(&f, NULL);
  fx_fin_wait_2(&f);               /* the ACK of our FIN: FIN_WAIT_2 */
  /* The app keeps its handle (it only shut down writing): no limit on
   * FIN_WAIT_2, reading goes on. */
  fx_run(&f, 2 * ZN_MS(f.cfg.tcp_fw2_ms));
  EXPECT_STATE(&f, ZN_TCP_FIN_WAIT_2);
  EXPECT_NONE(&f);
  ZT_EQ(fx_write(&f, 1), ZN_EPIPE);
  fx_free(&f);
}

ZT_TEST(test_fin_wait_1_ack) {
  struct fx f;
  fx_init(&f, NULL);
  fx_established(&f);
  ZT_EQ(fx_write(&f, 10), 10);
  fx_poll(&f);
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK | PSH, .len = 10);
  ZT_EQ(fx_shutdown(&f), ZN_OK);
  fx_poll(&f);
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK | FIN);
  /* An ACK of the data only: still FIN_WAIT_1. */
  SEND(&f, .seq = f.p_nxt, .ack = f.s_nxt - 1, .flags = ACK);
  EXPECT_STATE(&f, ZN_TCP_FIN_WAIT_1);
  ZT_EQ(fx_info(&f).unacked, 1);
  ack_all(&f);
  EXPECT_STATE(&f, ZN_TCP_FIN_WAIT_2);
  EXPECT_NONE(&f);
  fx_free(&f);
}

ZT_TEST(test_fin_wait_1_fin) {
  struct fx f;
  fx_init(&f, NULL);
  fx_closing(&f);                  /* the FINs cross: CLOSING, an ACK */
  ZT_CHECK(f.eof);
  ZT_STREQ(f.log, "CR");
  fx_free(&f);
}

ZT_TEST(test_fin_wait_1_fin_ack) {
  struct fx f;
  fx_init(&f, NULL);
  fx_fin_wait_1(&f);
  /* Their FIN ACKs ours: straight to TIME_WAIT. */
  SEND(&f, .seq = f.p_nxt, .ack = f.s_nxt, .flags = FIN | ACK);
  f.p_nxt++;
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK);
  EXPECT_NONE(&f);
  EXPECT_STATE(&f, ZN_TCP_TIME_WAIT);
  fx_free(&f);
}

ZT_TEST(test_fin_wait_1_data) {
  struct fx f;
  fx_init(&f, NULL);
  fx_fin_wait_1(&f);
  /* Half-close: the peer's data still comes in. */
  SEND(&f, .seq = f.p_nxt, .ack = f.s_nxt - 1, .flags = ACK, .len = 100);
  f.p_nxt += 100;
  ZT_CHECK(fx_rx_ok(&f, 100));
  fx_run(&f, ZN_MS(40));
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK);
  EXPECT_STATE(&f, ZN_TCP_FIN_WAIT_1);
  fx_free(&f);
}

ZT_TEST(test_fin_wait_1_rst) {
  struct fx f;
  fx_init(&f, NULL);
  fx_fin_wait_1(&f);
  SEND(&f, .seq = f.p_nxt + 5, .flags = RST);         /* challenge */
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK);
  SEND(&f, .seq = f.p_nxt + 8192, .flags = RST);      /* ignored */
  EXPECT_NONE(&f);
  EXPECT_STATE(&f, ZN_TCP_FIN_WAIT_1);
  SEND(&f, .seq = f.p_nxt, .flags = RST);             /* reset */
  EXPECT_NONE(&f);
  EXPECT_STATE(&f, ZN_TCP_CLOSED);
  ZT_STREQ(f.log, "CE(ECONNRESET)");
  fx_free(&f);
}

ZT_TEST(test_fin_wait_1_syn) {
  struct fx f;
  fx_init(&f, NULL);
  fx_fin_wait_1(&f);
  SEND(&f, .seq = f.p_nxt, .flags = SYN);
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK);
  SEND(&f, .seq = f.p_nxt, .ack = f.s_nxt + 1, .flags = ACK);  /* unsent */
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK);
  EXPECT_STATE(&f, ZN_TCP_FIN_WAIT_1);
  fx_free(&f);
}

ZT_TEST(test_fin_wait_1_retransmit) {
  struct fx f;
  struct zn_config cfg;
  fx_config(&cfg);
  cfg.tcp_retries = 2;
  fx_init(&f, &cfg);
  f.rtt = ZN_MS(100);             /* SRTT 100 ms, RTTVAR 50: RTO 300 ms */
  fx_fin_wait_1(&f);
  ZT_EQ(fx_info(&f).rto_ms, 300);
  /* The FIN is retransmitted with backoff: after 300 ms, 600 ms; then
   * 1200 ms more and give up (tcp_retries 2): RST, ETIMEDOUT. */
  fx_run(&f, ZN_MS(300) - 1);
  EXPECT_NONE(&f);
  fx_run(&f, 1);
  EXPECT(&f, .seq = f.s_nxt - 1, .ack = f.p_nxt, .flags = ACK | FIN);
  fx_run(&f, ZN_MS(600));
  EXPECT(&f, .seq = f.s_nxt - 1, .ack = f.p_nxt, .flags = ACK | FIN);
  fx_run(&f, ZN_MS(1200) - 1);
  EXPECT_NONE(&f);
  fx_run(&f, 1);
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = RST | ACK);
  EXPECT_STATE(&f, ZN_TCP_CLOSED);
  ZT_STREQ(f.log, "CE(ETIMEDOUT)");
  fx_close(&f);
  fx_poll(&f);
  ZT_STREQ(f.log, "CE(ETIMEDOUT)X");
  ZT_EQ(ZN__MOD(f.st, tcp)->nused, 0);
  fx_free(&f);
}

ZT_TEST(test_fin_wait_1_close) {
  struct fx f;
  fx_init(&f, NULL);
  fx_fin_wait_1(&f);
  fx_close(&f);                   /* the FIN is out already */
  fx_poll(&f);
  EXPECT_NONE(&f);
  ZT_STREQ(f.log, "C");
  ack_all(&f);
  EXPECT_STATE(&f, ZN_TCP_FIN_WAIT_2);
  /* Let go in FIN_WAIT_2: tcp_fw2_ms, then a RST (Linux, with
   * tcp_fin_timeout equal to TIME_WAIT's length) and the slot goes. */
  fx_run(&f, ZN_MS(f.cfg.tcp_fw2_ms) - 1);
  EXPECT_NONE(&f);
  EXPECT_STATE(&f, ZN_TCP_FIN_WAIT_2);
  fx_run(&f, 1);
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = RST | ACK);
  EXPECT_STATE(&f, ZN_TCP_CLOSED);
  ZT_STREQ(f.log, "CX");
  ZT_EQ(ZN__MOD(f.st, tcp)->nused, 0);
  fx_free(&f);
}

ZT_TEST(test_fin_wait_1_abort) {
  struct fx f;
  fx_init(&f, NULL);
  fx_fin_wait_1(&f);
  fx_abort(&f);
  fx_poll(&f);
  EXPECT(&f, .seq = f.s_nxt, .flags = RST);
  ZT_STREQ(f.log, "CX");
  ZT_EQ(ZN__MOD(f.st, tcp)->nused, 0);
  fx_free(&f);
}

/* ================= FIN_WAIT_2 (our FIN ACKed) ========================== */

ZT_TEST(test_fin_wait_2_fin) {
  struct fx f;
  fx_init(&f, NULL);
  fx_time_wait(&f);                /* their FIN: TIME_WAIT, an ACK */
  ZT_CHECK(f.eof);
  ZT_EQ(fx_read(&f, 10), 0);
  fx_free(&f);
}

ZT_TEST(test_fin_wait_2_data) {
  struct fx f;
  fx_init(&f, NULL);
  fx_fin_wait_2(&f);
  data_in(&f, 1460);
  data_in(&f, 1460);
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK);
  data_in(&f, 10);
  fx_run(&f, ZN_MS(40));
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK, .win = W(8192));
  ZT_CHECK(fx_rx_ok(&f, 2930));
  EXPECT_STATE(&f, ZN_TCP_FIN_WAIT_2);
  fx_free(&f);
}

ZT_TEST(test_fin_wait_2_rst) {
  struct fx f;
  fx_init(&f, NULL);
  fx_fin_wait_2(&f);
  SEND(&f, .seq = f.p_nxt + 1, .flags = RST);
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK);
  SEND(&f, .seq = f.p_nxt, .flags = RST);
  EXPECT_NONE(&f);
  EXPECT_STATE(&f, ZN_TCP_CLOSED);
  ZT_STREQ(f.log, "CE(ECONNRESET)");
  fx_free(&f);
}

ZT_TEST(test_fin_wait_2_syn) {
  struct fx f;
  fx_init(&f, NULL);
  fx_fin_wait_2(&f);
  SEND(&f, .seq = f.p_nxt + 3, .flags = SYN);
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK);
  SEND(&f, .seq = f.p_nxt, .ack = f.s_nxt - 70000, .flags = ACK);
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK);
  EXPECT_STATE(&f, ZN_TCP_FIN_WAIT_2);
  fx_free(&f);
}

ZT_TEST(test_fin_wait_2_unacceptable) {
  struct fx f;
  fx_init(&f, NULL);
  fx_fin_wait_2(&f);
  SEND(&f, .seq = f.p_nxt - 5, .ack = f.s_nxt, .flags = ACK, .len = 5);
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK);
  SEND(&f, .seq = f.p_nxt, .flags = 0, .len = 5);     /* no ACK bit */
  SEND(&f, .seq = f.p_nxt, .ack = f.s_nxt - 1, .flags = ACK);  /* old */
  EXPECT_NONE(&f);
  EXPECT_STATE(&f, ZN_TCP_FIN_WAIT_2);
  fx_free(&f);
}

/* FIN_WAIT_2 once the application let go: the slot goes back and a
 * record keeps the connection (tcp_tw.c); each segment is answered from
 * it brought back into a slot. */
static void fin_wait_2_record(struct fx *f) {
  fx_init(f, NULL);
  fx_fin_wait_2(f);
  fx_close(f);
  fx_poll(f);
  ZT_STREQ(f->log, "CX"); /* connected, closed */
  ZT_EQ(ZN__MOD(f->st, tcp)->nused, 0);
  ZT_EQ(zn__tcp_tw_used(f->st), 1);
  EXPECT_STATE(f, ZN_TCP_FIN_WAIT_2);
  f->c = NULL;
}

ZT_TEST(test_fin_wait_2_record_fin) {
  struct fx f;
  fin_wait_2_record(&f);
  SEND(&f, .seq = f.p_nxt, .ack = f.s_nxt, .flags = FIN | ACK);
  f.p_nxt++;
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK);
  fx_poll(&f);
  EXPECT_STATE(&f, ZN_TCP_TIME_WAIT);
  ZT_EQ(ZN__MOD(f.st, tcp)->nused, 0);
  ZT_EQ(zn__tcp_tw_used(f.st), 1);
  ZT_EQ(ZN__MOD(f.st, tcp)->ntimewait, 0);
  /* Its FIN again: the ACK again, from the TIME_WAIT record. */
  SEND(&f, .seq = f.p_nxt - 1, .ack = f.s_nxt, .flags = FIN | ACK);
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK);
  fx_run(&f, 2 * ZN_MS(f.cfg.tcp_msl_ms));
  EXPECT_STATE(&f, ZN_TCP_CLOSED);
  ZT_EQ(zn__tcp_tw_used(f.st), 0);
  EXPECT_NONE(&f);
  fx_free(&f);
}

ZT_TEST(test_fin_wait_2_record_times_out) {
  struct fx f;
  fin_wait_2_record(&f);
  fx_run(&f, ZN_MS(f.cfg.tcp_fw2_ms) - ZN_MS(1));
  EXPECT_NONE(&f);
  EXPECT_STATE(&f, ZN_TCP_FIN_WAIT_2);
  fx_run(&f, ZN_MS(1));
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = RST | ACK);
  EXPECT_STATE(&f, ZN_TCP_CLOSED);
  ZT_EQ(zn__tcp_tw_used(f.st), 0);
  fx_free(&f);
}

/* New data for the application that closed: a reset (RFC 2525 §2.17),
 * from the record as from the slot. */
ZT_TEST(test_fin_wait_2_record_data) {
  struct fx f;
  fin_wait_2_record(&f);
  SEND(&f, .seq = f.p_nxt, .ack = f.s_nxt, .flags = ACK | PSH, .len = 10);
  EXPECT(&f, .seq = f.s_nxt, .flags = RST);
  EXPECT_STATE(&f, ZN_TCP_CLOSED);
  fx_poll(&f);
  ZT_EQ(zn__tcp_tw_used(f.st), 0);
  ZT_EQ(ZN__MOD(f.st, tcp)->nused, 0);
  fx_free(&f);
}

/* FIN_WAIT_2: the closing peer's last data (a TLS close_notify) read,
 * then the application's close: nothing sent, the ACK still delayed. */
static void closed_after_last_data(struct fx *f) {
  fx_init(f, NULL);
  fx_fin_wait_2(f);
  data_in(f, 24);
  ZT_CHECK(fx_rx_ok(f, 24));
  fx_close(f);
  fx_poll(f);
  EXPECT_NONE(f);
  EXPECT_STATE(f, ZN_TCP_FIN_WAIT_2);
}

/* The peer's FIN, right behind its last data, is answered by one ACK
 * for both, not two (the slot waits for it and is then saved as
 * TIME_WAIT). */
ZT_TEST(test_fin_wait_2_closed_data_ack_rides_fin) {
  struct fx f;
  closed_after_last_data(&f);
  SEND(&f, .seq = f.p_nxt, .ack = f.s_nxt, .flags = FIN | ACK);
  f.p_nxt++;
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK);
  fx_poll(&f);
  EXPECT_NONE(&f);
  EXPECT_STATE(&f, ZN_TCP_TIME_WAIT);
  ZT_EQ(ZN__MOD(f.st, tcp)->nused, 0);
  ZT_EQ(zn__tcp_tw_used(f.st), 1);
  fx_free(&f);
}

/* The same without the FIN: the delayed ACK goes at its time, and the
 * slot is then saved as a FIN_WAIT_2 record. */
ZT_TEST(test_fin_wait_2_closed_data_acked_then_saved) {
  struct fx f;
  closed_after_last_data(&f);
  fx_run(&f, ZN_MS(f.cfg.tcp_delack_ms));
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK);
  fx_poll(&f);
  EXPECT_NONE(&f);
  EXPECT_STATE(&f, ZN_TCP_FIN_WAIT_2);
  ZT_EQ(ZN__MOD(f.st, tcp)->nused, 0);
  ZT_EQ(zn__tcp_tw_used(f.st), 1);
  fx_free(&f);
}

/* RFC 5961 from the record: a RST in the window but not at RCV.NXT, a
 * SYN: challenge ACKs, the record stays; a RST at RCV.NXT ends it. */
ZT_TEST(test_fin_wait_2_record_rst_syn) {
  struct fx f;
  fin_wait_2_record(&f);
  SEND(&f, .seq = f.p_nxt + 1, .flags = RST);
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK);
  SEND(&f, .seq = f.p_nxt + 3, .flags = SYN);
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK);
  EXPECT_STATE(&f, ZN_TCP_FIN_WAIT_2);
  ZT_EQ(zn__tcp_tw_used(f.st), 1);
  SEND(&f, .seq = f.p_nxt, .flags = RST);
  EXPECT_NONE(&f);
  fx_poll(&f);
  EXPECT_STATE(&f, ZN_TCP_CLOSED);
  ZT_EQ(zn__tcp_tw_used(f.st), 0);
  ZT_EQ(f.errors, 0); /* (nobody to tell) */
  fx_free(&f);
}

/* ================= CLOSE_WAIT (their FIN received) ===================== */

ZT_TEST(test_close_wait_fin_again) {
  struct fx f;
  fx_init(&f, NULL);
  fx_close_wait(&f);
  SEND(&f, .seq = f.p_nxt - 1, .ack = f.s_nxt, .flags = FIN | ACK);
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK);
  EXPECT_STATE(&f, ZN_TCP_CLOSE_WAIT);
  ZT_STREQ(f.log, "CR");           /* no second EOF */
  fx_free(&f);
}

ZT_TEST(test_close_wait_data) {
  struct fx f;
  fx_init(&f, NULL);
  fx_close_wait(&f);
  /* Text after their FIN is ignored (§3.10.7.4 seventh check). */
  SEND(&f, .seq = f.p_nxt, .ack = f.s_nxt, .flags = ACK, .len = 10);
  fx_run(&f, ZN_MS(100));
  EXPECT_NONE(&f);
  ZT_EQ(f.nrx, 0);
  EXPECT_STATE(&f, ZN_TCP_CLOSE_WAIT);
  fx_free(&f);
}

ZT_TEST(test_close_wait_write) {
  struct fx f;
  fx_init(&f, NULL);
  fx_close_wait(&f);
  /* Their half is closed, ours is not: we can still send. */
  ZT_EQ(fx_write(&f, 50), 50);
  fx_poll(&f);
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK | PSH, .len = 50);
  ack_all(&f);
  ZT_EQ(fx_info(&f).unacked, 0);
  fx_close(&f);
  fx_poll(&f);
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK | FIN);
  EXPECT_STATE(&f, ZN_TCP_LAST_ACK);
  ack_all(&f);
  EXPECT_STATE(&f, ZN_TCP_CLOSED);
  ZT_STREQ(f.log, "CRX");
  ZT_EQ(ZN__MOD(f.st, tcp)->nused, 0);
  fx_free(&f);
}

ZT_TEST(test_close_wait_rst) {
  struct fx f;
  fx_init(&f, NULL);
  fx_close_wait(&f);
  SEND(&f, .seq = f.p_nxt + 1, .flags = RST);
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK);
  SEND(&f, .seq = f.p_nxt, .flags = RST);
  EXPECT_NONE(&f);
  EXPECT_STATE(&f, ZN_TCP_CLOSED);
  ZT_STREQ(f.log, "CRE(ECONNRESET)");
  fx_free(&f);
}

ZT_TEST(test_close_wait_syn) {
  struct fx f;
  fx_init(&f, NULL);
  fx_close_wait(&f);
  SEND(&f, .seq = f.p_nxt, .flags = SYN);
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK);
  EXPECT_STATE(&f, ZN_TCP_CLOSE_WAIT);
  fx_free(&f);
}

/* ================= CLOSING (FINs crossed) ============================== */

ZT_TEST(test_closing_ack_fin) {
  struct fx f;
  fx_init(&f, NULL);
  fx_closing(&f);
  ack_all(&f);
  EXPECT_NONE(&f);
  EXPECT_STATE(&f, ZN_TCP_TIME_WAIT);
  fx_free(&f);
}

ZT_TEST(test_closing_ack) {
  struct fx f;
  fx_init(&f, NULL);
  fx_closing(&f);
  /* An ACK short of our FIN changes nothing. */
  SEND(&f, .seq = f.p_nxt, .ack = f.s_nxt - 1, .flags = ACK);
  EXPECT_NONE(&f);
  EXPECT_STATE(&f, ZN_TCP_CLOSING);
  fx_free(&f);
}

ZT_TEST(test_closing_fin_again) {
  struct fx f;
  fx_init(&f, NULL);
  fx_closing(&f);
  SEND(&f, .seq = f.p_nxt - 1, .ack = f.s_nxt - 1, .flags = FIN | ACK);
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK);
  EXPECT_STATE(&f, ZN_TCP_CLOSING);
  fx_free(&f);
}

ZT_TEST(test_closing_rst) {
  struct fx f;
  fx_init(&f, NULL);
  fx_closing(&f);
  SEND(&f, .seq = f.p_nxt + 1, .flags = RST);        /* challenge */
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK);
  SEND(&f, .seq = f.p_nxt, .flags = RST);
  EXPECT_NONE(&f);
  /* §3.10.7.4: CLOSING, LAST_ACK: the RST closes; the user, who still
   * holds the connection, hears of the reset (as Linux, FreeBSD). */
  EXPECT_STATE(&f, ZN_TCP_CLOSED);
  ZT_STREQ(f.log, "CRE(ECONNRESET)");
  fx_close(&f);
  fx_poll(&f);
  ZT_STREQ(f.log, "CRE(ECONNRESET)X");
  fx_free(&f);
}

ZT_TEST(test_closing_syn) {
  struct fx f;
  fx_init(&f, NULL);
  fx_closing(&f);
  SEND(&f, .seq = f.p_nxt, .flags = SYN);
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK);
  EXPECT_STATE(&f, ZN_TCP_CLOSING);
  fx_free(&f);
}

ZT_TEST(test_closing_retransmit) {
  struct fx f;
  fx_init(&f, NULL);
  fx_closing(&f);                 /* RTO: 200 ms (the minimum) */
  fx_run(&f, ZN_MS(200));
  EXPECT(&f, .seq = f.s_nxt - 1, .ack = f.p_nxt, .flags = ACK | FIN);
  fx_run(&f, ZN_MS(400));
  EXPECT(&f, .seq = f.s_nxt - 1, .ack = f.p_nxt, .flags = ACK | FIN);
  ack_all(&f);
  EXPECT_STATE(&f, ZN_TCP_TIME_WAIT);
  fx_free(&f);
}

/* ================= LAST_ACK (our FIN after theirs) ===================== */

ZT_TEST(test_last_ack_ack_fin) {
  struct fx f;
  fx_init(&f, NULL);
  fx_last_ack(&f);
  ack_all(&f);
  EXPECT_NONE(&f);
  EXPECT_STATE(&f, ZN_TCP_CLOSED);
  /* The app still holds the handle (shutdown only): on_closed comes
   * when it lets go. */
  ZT_STREQ(f.log, "CR");
  ZT_EQ(ZN__MOD(f.st, tcp)->nused, 1);
  fx_close(&f);
  fx_poll(&f);
  ZT_STREQ(f.log, "CRX");
  ZT_EQ(ZN__MOD(f.st, tcp)->nused, 0);
  fx_free(&f);
}

/* Data that came with the peer's FIN and was never read stays readable
 * after the orderly close completes: the stack acknowledged it, and
 * reads report the end of stream only after it (it used to be freed at
 * CLOSED, so the application saw a clean EOF and lost 18 bytes; found
 * by fuzz_memlink, unread-at-close). */
ZT_TEST(test_last_ack_unread_data_stays) {
  struct fx f;
  fx_init(&f, NULL);
  fx_established(&f);
  f.auto_read = false;
  SEND(&f, .seq = f.p_nxt, .ack = f.s_nxt, .flags = ACK | PSH | FIN,
       .len = 18);
  f.p_nxt += 19;
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK);
  EXPECT_STATE(&f, ZN_TCP_CLOSE_WAIT);
  ZT_EQ(fx_shutdown(&f), ZN_OK);
  fx_poll(&f);
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = FIN | ACK);
  ack_all(&f);
  EXPECT_STATE(&f, ZN_TCP_CLOSED);
  ZT_EQ(zn_tcp_readable(f.c), 18);
  ZT_EQ(fx_read(&f, 100), 18);
  ZT_CHECK(fx_rx_ok(&f, 18));
  ZT_EQ(fx_read(&f, 100), 0);     /* then the end of stream */
  fx_close(&f);
  fx_poll(&f);
  ZT_EQ(ZN__MOD(f.st, tcp)->nused, 0);
  fx_free(&f);
}

/* After a reset, unread data goes with the connection (as in Linux). */
ZT_TEST(test_established_rst_discards_unread) {
  struct fx f;
  fx_init(&f, NULL);
  fx_established(&f);
  f.auto_read = false;
  SEND(&f, .seq = f.p_nxt, .ack = f.s_nxt, .flags = ACK | PSH, .len = 18);
  f.p_nxt += 18;
  fx_run(&f, ZN_MS(40));
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK);
  SEND(&f, .seq = f.p_nxt, .flags = RST);
  EXPECT_STATE(&f, ZN_TCP_CLOSED);
  ZT_EQ(zn_tcp_readable(f.c), 0);
  ZT_EQ(fx_read(&f, 100), ZN_ECONNRESET);
  fx_free(&f);
}

ZT_TEST(test_last_ack_fin_again) {
  struct fx f;
  fx_init(&f, NULL);
  fx_last_ack(&f);
  SEND(&f, .seq = f.p_nxt - 1, .ack = f.s_nxt - 1, .flags = FIN | ACK);
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK);
  EXPECT_STATE(&f, ZN_TCP_LAST_ACK);
  fx_free(&f);
}

ZT_TEST(test_last_ack_rst) {
  struct fx f;
  fx_init(&f, NULL);
  fx_last_ack(&f);
  SEND(&f, .seq = f.p_nxt + 10, .flags = RST);
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK);
  SEND(&f, .seq = f.p_nxt, .flags = RST);
  EXPECT_STATE(&f, ZN_TCP_CLOSED);
  ZT_STREQ(f.log, "CRE(ECONNRESET)");
  fx_free(&f);
}

ZT_TEST(test_last_ack_syn) {
  struct fx f;
  fx_init(&f, NULL);
  fx_last_ack(&f);
  SEND(&f, .seq = f.p_nxt, .flags = SYN);
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK);
  EXPECT_STATE(&f, ZN_TCP_LAST_ACK);
  fx_free(&f);
}

ZT_TEST(test_last_ack_retransmit) {
  struct fx f;
  struct zn_config cfg;
  fx_config(&cfg);
  cfg.tcp_retries = 1;
  fx_init(&f, &cfg);
  fx_last_ack(&f);                /* RTO: 200 ms (the minimum) */
  fx_close(&f);
  fx_run(&f, ZN_MS(200));
  EXPECT(&f, .seq = f.s_nxt - 1, .ack = f.p_nxt, .flags = ACK | FIN);
  fx_run(&f, ZN_MS(400) - 1);
  EXPECT_NONE(&f);
  fx_run(&f, 1);
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = RST | ACK);
  EXPECT_STATE(&f, ZN_TCP_CLOSED);
  ZT_STREQ(f.log, "CRX");          /* the handle was let go: no error */
  ZT_EQ(ZN__MOD(f.st, tcp)->nused, 0);
  fx_free(&f);
}

/* ================= TIME_WAIT (RFC 1337, 2 MSL) ========================= */

/* Set while a test runs again with the application's handle closed
 * once in TIME_WAIT: the connection then waits in a record (tcp_tw.c),
 * and every segment is answered from it brought back into a slot, as a
 * slot's own TIME_WAIT answers. */
static bool tw_record;

static void tw_let_go(struct fx *f) {
  if (!tw_record)
    return;
  fx_close(f);
  fx_poll(f);
  ZT_EQ(ZN__MOD(f->st, tcp)->nused, 0);
  ZT_EQ(zn__tcp_tw_used(f->st), 1);
  f->c = NULL;
}

static void time_wait_short(struct fx *f) {
  struct zn_config cfg;
  fx_config(&cfg);
  cfg.tcp_msl_ms = 100;           /* 2 MSL = 200 ms */
  fx_init(f, &cfg);
  fx_time_wait(f);
  tw_let_go(f);
}

ZT_TEST(test_time_wait_2msl) {
  struct fx f;
  time_wait_short(&f);
  fx_run(&f, ZN_MS(200) - 1);
  EXPECT_STATE(&f, ZN_TCP_TIME_WAIT);
  fx_run(&f, 1);
  EXPECT_STATE(&f, ZN_TCP_CLOSED);
  EXPECT_NONE(&f);
  ZT_EQ(ZN__MOD(f.st, tcp)->ntimewait, 0);
  ZT_STREQ(f.log, "CR");
  fx_close(&f);
  fx_poll(&f);
  ZT_STREQ(f.log, "CRX");
  ZT_EQ(ZN__MOD(f.st, tcp)->nused, 0);
  fx_free(&f);
}

ZT_TEST(test_time_wait_rst) {
  struct fx f;
  time_wait_short(&f);
  /* RFC 1337: a RST does not end TIME_WAIT early. */
  SEND(&f, .seq = f.p_nxt, .flags = RST);
  SEND(&f, .seq = f.p_nxt, .ack = f.s_nxt, .flags = RST | ACK);
  SEND(&f, .seq = f.p_nxt + 7, .flags = RST);
  EXPECT_NONE(&f);
  EXPECT_STATE(&f, ZN_TCP_TIME_WAIT);
  fx_run(&f, ZN_MS(200));
  EXPECT_STATE(&f, ZN_TCP_CLOSED);
  ZT_EQ(f.errors, 0);
  fx_free(&f);
}

ZT_TEST(test_time_wait_fin_again) {
  struct fx f;
  time_wait_short(&f);
  /* Our last ACK was lost: their FIN again is ACKed again and the
   * 2 MSL timer starts over (§3.10.7.4 eighth check). */
  fx_run(&f, ZN_MS(150));
  SEND(&f, .seq = f.p_nxt - 1, .ack = f.s_nxt, .flags = FIN | ACK);
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK);
  EXPECT_NONE(&f);
  fx_run(&f, ZN_MS(200) - 1);
  EXPECT_STATE(&f, ZN_TCP_TIME_WAIT);
  fx_run(&f, 1);
  EXPECT_STATE(&f, ZN_TCP_CLOSED);
  fx_free(&f);
}

ZT_TEST(test_time_wait_syn) {
  struct fx f;
  time_wait_short(&f);
  SEND(&f, .seq = f.p_nxt + 1000, .flags = SYN);
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK);
  EXPECT_STATE(&f, ZN_TCP_TIME_WAIT);
  fx_free(&f);
}

/* RFC 6191: in TIME_WAIT on a listening port, a SYN that is certainly
 * new (a newer timestamp) ends TIME_WAIT and opens a new connection whose
 * ISS lies beyond the old sequence space. */
ZT_TEST(test_time_wait_syn_reopen) {
  struct fx f;
  fx_init(&f, NULL);
  fx_established_passive(&f);
  ZT_EQ(fx_shutdown(&f), ZN_OK);
  fx_poll(&f);
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = FIN | ACK);
  fx_run(&f, ZN_MS(10));
  SEND(&f, .seq = f.p_nxt, .ack = f.s_nxt, .flags = FIN | ACK);
  f.p_nxt++;
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK);
  EXPECT_STATE(&f, ZN_TCP_TIME_WAIT);
  fx_run(&f, ZN_MS(10));
  ZT_EQ(ZN__MOD(f.st, tcp)->ntimewait, 1);
  /* Other connections' TIME_WAITs, counted: the reopen takes one off. */
  ZN__MOD(f.st, tcp)->ntimewait += 5;
  uint32_t old_max = f.s_nxt;
  uint32_t iss2 = f.p_nxt + 100000;
  SEND(&f, .seq = iss2, .flags = SYN, .any_opts = true);
  EXPECT(&f, .any_seq = true, .ack = iss2 + 1, .flags = SYN | ACK,
         .any_opts = true);
  ZT_CHECK(zn__seq_geq(f.last.seq, old_max + 65536));
  EXPECT_STATE(&f, ZN_TCP_SYN_RECEIVED); /* the 4-tuple is the new one now */
  ZT_EQ(f.l->synq_len, 1);         /* the new one waits its handshake */
  ZT_EQ(ZN__MOD(f.st, tcp)->ntimewait, 5);   /* once, not twice */
  ZN__MOD(f.st, tcp)->ntimewait -= 5;
  fx_free(&f);
}

/* A SYN with FIN set is a scan, not a peer: a listener drops it. */
ZT_TEST(test_listen_syn_fin) {
  struct fx f;
  fx_init(&f, NULL);
  fx_listen(&f, 0);
  SEND(&f, .seq = f.p_iss, .flags = SYN | FIN);
  EXPECT_NONE(&f);
  ZT_EQ(ZN__MOD(f.st, tcp)->nused, 1);
  ZT_EQ(f.l->synq_len, 0);
  fx_free(&f);
}

ZT_TEST(test_time_wait_syn_rfc793) {
  struct fx f;
  struct zn_config cfg;
  fx_config(&cfg);
  cfg.tcp_rfc5961 = false;
  fx_init(&f, &cfg);
  fx_time_wait(&f);
  tw_let_go(&f);
  SEND(&f, .seq = f.p_nxt + 10, .flags = SYN);
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = RST | ACK);
  EXPECT_STATE(&f, ZN_TCP_CLOSED);
  ZT_EQ(f.errors, 0);
  ZT_EQ(ZN__MOD(f.st, tcp)->ntimewait, 0);
  fx_free(&f);
}

ZT_TEST(test_time_wait_data) {
  struct fx f;
  time_wait_short(&f);
  SEND(&f, .seq = f.p_nxt - 10, .ack = f.s_nxt, .flags = ACK, .len = 10);
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK);   /* old */
  SEND(&f, .seq = f.p_nxt, .ack = f.s_nxt + 1, .flags = ACK);  /* unsent */
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK);
  SEND(&f, .seq = f.p_nxt, .ack = f.s_nxt, .flags = ACK);      /* dup */
  EXPECT_NONE(&f);
  EXPECT_STATE(&f, ZN_TCP_TIME_WAIT);
  fx_free(&f);
}

/* §3.10.7.4 fifth check, TIME_WAIT: an acceptable segment other than a
 * bare duplicate ACK at RCV.NXT is acknowledged (as FreeBSD and Linux
 * do; FreeBSD's rcv-ack-time-wait-using-shutdown-middle script), its
 * text ignored, and the 2 MSL timeout runs on from where it was. */
ZT_TEST(test_time_wait_inside_window) {
  struct fx f;
  time_wait_short(&f);
  fx_run(&f, ZN_MS(150));
  SEND(&f, .seq = f.p_nxt + 1, .ack = f.s_nxt, .flags = ACK);
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK);
  SEND(&f, .seq = f.p_nxt, .ack = f.s_nxt, .flags = ACK | PSH, .len = 4);
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK);
  SEND(&f, .seq = f.p_nxt, .ack = f.s_nxt, .flags = ACK);      /* dup */
  EXPECT_NONE(&f);
  ZT_EQ(f.nrx, 0);
  fx_run(&f, ZN_MS(50));
  EXPECT_STATE(&f, ZN_TCP_CLOSED);
  fx_free(&f);
}

ZT_TEST(test_time_wait_close) {
  struct fx f;
  time_wait_short(&f);
  fx_close(&f);
  fx_poll(&f);
  /* The handle goes now; a record (not the slot) stays for 2 MSL, and a
   * FIN again is answered from it, restarting the 2 MSL. */
  ZT_STREQ(f.log, "CRX");
  EXPECT_STATE(&f, ZN_TCP_TIME_WAIT);
  ZT_EQ(ZN__MOD(f.st, tcp)->nused, 0);
  ZT_EQ(zn__tcp_tw_used(f.st), 1);
  fx_run(&f, ZN_MS(100));
  SEND(&f, .seq = f.p_nxt - 1, .ack = f.s_nxt, .flags = FIN | ACK);
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK);
  ZT_EQ(ZN__MOD(f.st, tcp)->nused, 0);
  ZT_EQ(zn__tcp_tw_used(f.st), 1);
  fx_run(&f, 2 * ZN_MS(f.cfg.tcp_msl_ms) - ZN_MS(1));
  EXPECT_STATE(&f, ZN_TCP_TIME_WAIT);
  fx_run(&f, ZN_MS(1));
  EXPECT_STATE(&f, ZN_TCP_CLOSED);
  ZT_EQ(zn__tcp_tw_used(f.st), 0);
  ZT_STREQ(f.log, "CRX");
  fx_free(&f);
}

ZT_TEST(test_time_wait_abort) {
  struct fx f;
  time_wait_short(&f);
  fx_abort(&f);
  fx_poll(&f);
  EXPECT_NONE(&f);                /* nothing left to reset */
  ZT_STREQ(f.log, "CRX");
  ZT_EQ(ZN__MOD(f.st, tcp)->nused, 0);
  ZT_EQ(ZN__MOD(f.st, tcp)->ntimewait, 0);
  fx_free(&f);
}

/* The battery above once more from records. */
#define TW_FROM_RECORD(name)                                                   \
  ZT_TEST(name##_from_record) {                                               \
    tw_record = true;                                                         \
    name();                                                                   \
    tw_record = false;                                                        \
  }
TW_FROM_RECORD(test_time_wait_rst)
TW_FROM_RECORD(test_time_wait_fin_again)
TW_FROM_RECORD(test_time_wait_syn)
TW_FROM_RECORD(test_time_wait_syn_rfc793)
TW_FROM_RECORD(test_time_wait_data)
TW_FROM_RECORD(test_time_wait_inside_window)

/* A record answers even when the table is full: the segment brings it
 * back into the table's spare slot, which goes back with it. */
ZT_TEST(test_time_wait_record_answers_full_table) {
  struct fx f;
  struct zn_config cfg;
  fx_config(&cfg);
  cfg.tcp_conns = 2; /* (1 would leave TIME_WAIT no share of it) */
  fx_init(&f, &cfg);
  fx_time_wait(&f);
  fx_close(&f);
  fx_poll(&f);
  ZT_EQ(zn__tcp_tw_used(f.st), 1);
  f.c = NULL;
  /* Both slots taken by listeners on other ports. */
  struct zn_tcp_conn *l;
  f.in_api++;
  ZT_EQ(zn_tcp_listen(f.st, NULL, 7777, 0, &(struct zn_tcp_callbacks){0},
                      NULL, &l),
        ZN_OK);
  ZT_EQ(zn_tcp_listen(f.st, NULL, 7778, 0, &(struct zn_tcp_callbacks){0},
                      NULL, &l),
        ZN_OK);
  f.in_api--;
  ZT_EQ(ZN__MOD(f.st, tcp)->nused, 2);
  SEND(&f, .seq = f.p_nxt - 1, .ack = f.s_nxt, .flags = FIN | ACK);
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK);
  ZT_EQ(ZN__MOD(f.st, tcp)->nused, 2);
  ZT_EQ(zn__tcp_tw_used(f.st), 1);
  ZT_EQU(zn_stat(f.st, ZN_STAT_tcp_timewait_busy), 0);
  ZT_EQU(zn_stat(f.st, ZN_STAT_tcp_table_full), 0);
  /* A SYN to the full table gets no slot (the spare is only for
   * records): a SYN cookie answers it. */
  f.lport = 7777;
  SEND(&f, .seq = 5, .flags = SYN);
  EXPECT(&f, .any_seq = true, .ack = 6, .flags = SYN | ACK, .any_opts = true);
  ZT_EQU(zn_stat(f.st, ZN_STAT_tcp_syncookie_tx), 1);
  ZT_EQ(ZN__MOD(f.st, tcp)->nused, 2);
  fx_free(&f);
}

int main(void) {
  ZT_RUN(test_fin_wait_1_ack_fin);
  ZT_RUN(test_fin_wait_1_ack);
  ZT_RUN(test_fin_wait_1_fin);
  ZT_RUN(test_fin_wait_1_fin_ack);
  ZT_RUN(test_fin_wait_1_data);
  ZT_RUN(test_fin_wait_1_rst);
  ZT_RUN(test_fin_wait_1_syn);
  ZT_RUN(test_fin_wait_1_retransmit);
  ZT_RUN(test_fin_wait_1_close);
  ZT_RUN(test_fin_wait_1_abort);
  ZT_RUN(test_fin_wait_2_fin);
  ZT_RUN(test_fin_wait_2_data);
  ZT_RUN(test_fin_wait_2_rst);
  ZT_RUN(test_fin_wait_2_syn);
  ZT_RUN(test_fin_wait_2_unacceptable);
  ZT_RUN(test_close_wait_fin_again);
  ZT_RUN(test_close_wait_data);
  ZT_RUN(test_close_wait_write);
  ZT_RUN(test_close_wait_rst);
  ZT_RUN(test_close_wait_syn);
  ZT_RUN(test_closing_ack_fin);
  ZT_RUN(test_closing_ack);
  ZT_RUN(test_closing_fin_again);
  ZT_RUN(test_closing_rst);
  ZT_RUN(test_closing_syn);
  ZT_RUN(test_closing_retransmit);
  ZT_RUN(test_last_ack_ack_fin);
  ZT_RUN(test_last_ack_unread_data_stays);
  ZT_RUN(test_established_rst_discards_unread);
  ZT_RUN(test_last_ack_fin_again);
  ZT_RUN(test_last_ack_rst);
  ZT_RUN(test_last_ack_syn);
  ZT_RUN(test_last_ack_retransmit);
  ZT_RUN(test_time_wait_2msl);
  ZT_RUN(test_time_wait_rst);
  ZT_RUN(test_time_wait_fin_again);
  ZT_RUN(test_time_wait_syn);
  ZT_RUN(test_time_wait_syn_rfc793);
  ZT_RUN(test_time_wait_data);
  ZT_RUN(test_time_wait_inside_window);
  ZT_RUN(test_time_wait_close);
  ZT_RUN(test_time_wait_abort);
  ZT_RUN(test_time_wait_syn_reopen);
  ZT_RUN(test_time_wait_rst_from_record);
  ZT_RUN(test_time_wait_fin_again_from_record);
  ZT_RUN(test_time_wait_syn_from_record);
  ZT_RUN(test_time_wait_syn_rfc793_from_record);
  ZT_RUN(test_time_wait_data_from_record);
  ZT_RUN(test_time_wait_inside_window_from_record);
  ZT_RUN(test_time_wait_record_answers_full_table);
  ZT_RUN(test_fin_wait_2_record_fin);
  ZT_RUN(test_fin_wait_2_record_times_out);
  ZT_RUN(test_fin_wait_2_record_data);
  ZT_RUN(test_fin_wait_2_record_rst_syn);
  ZT_RUN(test_fin_wait_2_closed_data_ack_rides_fin);
  ZT_RUN(test_fin_wait_2_closed_data_acked_then_saved);
  ZT_RUN(test_listen_syn_fin);
  return zt_done();
}
