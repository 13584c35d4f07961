/*
 * TCP per state and event, against a scripted peer (tcp_fixture.h):
 * ICMP errors, callbacks, and more per-state cases (mostly regressions).
 *
 * One of the state tests split from test_tcp_states.c along its sections
 * (tcp_fixture.h says how they work).  Named test_<state>_<event>; every
 * test ends with fx_free(), which checks that every segment the stack
 * sent was looked at, nothing leaked and tcp_impossible is still 0.
 */
#include "tcp_fixture.h"

/* ================= ICMP ================================================ */

ZT_TEST(test_established_icmp_frag_needed) {
  struct fx f;
  fx_init(&f, NULL);
  fx_established(&f);
  ZT_EQ(fx_write(&f, 1460), 1460);
  fx_poll(&f);
  uint32_t una = f.s_nxt;
  EXPECT(&f, .seq = una, .ack = f.p_nxt, .flags = ACK | PSH, .len = 1460);
  ZT_EQ(f.last_ip_df, 1);          /* PMTUD (RFC 1191) */
  /* Not for a sequence number in flight: ignored (RFC 5927 §4.1). */
  fx_icmp(&f, ZN_ICMP_DEST_UNREACH, ZN_ICMP_UNREACH_NEEDFRAG, 1000,
          una + 5000);
  ZT_EQ(fx_info(&f).mss, 1460);
  /* A larger MTU does not grow the MSS. */
  fx_icmp(&f, ZN_ICMP_DEST_UNREACH, ZN_ICMP_UNREACH_NEEDFRAG, 1600, una);
  ZT_EQ(fx_info(&f).mss, 1460);
  EXPECT_NONE(&f);
  /* MTU 1000: MSS 960, resent at once in the smaller size. */
  fx_icmp(&f, ZN_ICMP_DEST_UNREACH, ZN_ICMP_UNREACH_NEEDFRAG, 1000, una);
  ZT_EQ(fx_info(&f).mss, 960);
  EXPECT(&f, .seq = una, .ack = f.p_nxt, .flags = ACK, .len = 960);
  /* The 500 left follow at once (Minshall: no small segment in flight). */
  EXPECT(&f, .seq = una + 960, .ack = f.p_nxt, .flags = ACK | PSH,
         .len = 500);
  EXPECT_NONE(&f);
  ack_all(&f);
  fx_free(&f);
}

/* RFC 7323 §2.3: the least shift that brings the buffer into 16 bits,
 * at most 14. */
ZT_TEST(test_wscale_for_bounds) {
  ZT_EQ(zn__tcp_wscale_for(0), 0);
  ZT_EQ(zn__tcp_wscale_for(65535), 0);
  ZT_EQ(zn__tcp_wscale_for(65536), 1);
  ZT_EQ(zn__tcp_wscale_for(131071), 1);
  ZT_EQ(zn__tcp_wscale_for(131072), 2);
  ZT_EQ(zn__tcp_wscale_for(262144), 3);
  ZT_EQ(zn__tcp_wscale_for(1u << 29), 14);
  ZT_EQ(zn__tcp_wscale_for(1u << 30), 14);
  ZT_EQ(zn__tcp_wscale_for(0xffffffffu), 14);
}

ZT_TEST(test_established_icmp_soft) {
  struct fx f;
  fx_init(&f, NULL);
  fx_established(&f);
  ZT_EQ(fx_write(&f, 10), 10);
  fx_poll(&f);
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK | PSH, .len = 10);
  /* RFC 1122 §4.2.3.9: unreachables in a synchronized state are soft. */
  fx_icmp(&f, ZN_ICMP_DEST_UNREACH, ZN_ICMP_UNREACH_PORT, 0, f.s_nxt - 10);
  fx_icmp(&f, ZN_ICMP_DEST_UNREACH, ZN_ICMP_UNREACH_HOST, 0, f.s_nxt - 10);
  EXPECT_STATE(&f, ZN_TCP_ESTABLISHED);
  ZT_EQ(f.errors, 0);
  ack_all(&f);
  fx_free(&f);
}

/* ================= callbacks =========================================== */

ZT_TEST(test_established_rst_close_in_cb) {
  struct fx f;
  fx_init(&f, NULL);
  f.close_in_cb = true;
  fx_established(&f);
  SEND(&f, .seq = f.p_nxt, .flags = RST);
  /* on_error closes the handle: on_closed follows in the same poll,
   * last, once. */
  ZT_STREQ(f.log, "CE(ECONNRESET)X");
  ZT_EQ(ZN__MOD(f.st, tcp)->nused, 0);
  fx_run(&f, ZN_SEC(1));
  ZT_STREQ(f.log, "CE(ECONNRESET)X");
  fx_free(&f);
}

ZT_TEST(test_established_close_on_eof) {
  struct fx f;
  fx_init(&f, NULL);
  f.close_on_eof = true;
  fx_established_passive(&f);
  data_in(&f, 5);
  SEND(&f, .seq = f.p_nxt, .ack = f.s_nxt, .flags = FIN | ACK);
  f.p_nxt++;
  /* zn_tcp_close() inside on_readable: the app is told before the ACK
   * the FIN calls for leaves, so our FIN carries it (three segments to
   * close, not four), and nothing else goes. */
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK | FIN);
  EXPECT_NONE(&f);
  EXPECT_STATE(&f, ZN_TCP_LAST_ACK);
  ZT_STREQ(f.log, "ARR");
  ack_all(&f);
  ZT_STREQ(f.log, "ARRX");
  ZT_EQ(ZN__MOD(f.st, tcp)->nused, 1);      /* the listener */
  fx_free(&f);
}

/* ================= more per-state cases ================================ */

ZT_TEST(test_listen_abort) {
  struct fx f;
  fx_init(&f, NULL);
  fx_syn_received(&f, 0);
  f.in_api++;
  zn_tcp_abort(f.l);
  f.in_api--;
  fx_poll(&f);
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = RST | ACK);
  ZT_STREQ(f.log, "X");
  ZT_EQ(ZN__MOD(f.st, tcp)->nused, 0);
  fx_free(&f);
}

ZT_TEST(test_listen_acceptq_rst) {
  struct fx f;
  fx_init(&f, NULL);
  f.auto_accept = false;
  fx_syn_received(&f, 0);
  SEND(&f, .seq = f.p_nxt, .ack = f.s_nxt, .flags = ACK);
  ZT_EQ(f.l->acq_len, 1);
  /* Reset while waiting to be accepted: it goes quietly. */
  SEND(&f, .seq = f.p_nxt, .flags = RST);
  EXPECT_NONE(&f);
  ZT_EQ(f.l->acq_len, 0);
  ZT_EQ(ZN__MOD(f.st, tcp)->nused, 1);
  struct zn_tcp_conn *c;
  ZT_EQ(zn_tcp_accept(f.l, &c), ZN_EAGAIN);
  ZT_STREQ(f.log, "A");
  fx_free(&f);
}

ZT_TEST(test_syn_received_rto_after_synack_loss) {
  struct fx f;
  fx_init(&f, NULL);
  fx_syn_received(&f, 0);
  fx_run(&f, ZN_SEC(1));            /* our SYN-ACK is lost once */
  EXPECT(&f, .seq = f.iss, .ack = f.p_nxt, .flags = SYN | ACK,
         .any_opts = true);
  SEND(&f, .seq = f.p_nxt, .ack = f.s_nxt, .flags = ACK);
  EXPECT_STATE(&f, ZN_TCP_ESTABLISHED);
  /* RFC 6298 §5.7 for the passive side too (regression). */
  ZT_EQ(fx_info(&f).rto_ms, 3000);
  fx_free(&f);
}

ZT_TEST(test_syn_sent_write) {
  struct fx f;
  fx_init(&f, NULL);
  fx_syn_sent(&f);
  /* Written while connecting: it goes once connected, after the ACK's
   * sequence number (the ACK itself rides on it). */
  ZT_EQ(fx_write(&f, 30), 30);
  fx_poll(&f);
  EXPECT_NONE(&f);
  SEND(&f, .seq = f.p_iss, .ack = f.iss + 1, .flags = SYN | ACK,
       .o = f.peer_syn);
  f.p_nxt = f.p_iss + 1;
  EXPECT(&f, .seq = f.iss + 1, .ack = f.p_nxt, .flags = ACK | PSH, .len = 30);
  EXPECT_NONE(&f);
  ack_all(&f);
  fx_free(&f);
}

ZT_TEST(test_close_wait_giveup) {
  struct fx f;
  struct zn_config cfg;
  fx_config(&cfg);
  cfg.tcp_retries = 1;
  fx_init(&f, &cfg);
  fx_close_wait(&f);              /* RTO 200 ms */
  ZT_EQ(fx_write(&f, 10), 10);
  fx_poll(&f);
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK | PSH, .len = 10);
  fx_run(&f, ZN_MS(200));
  EXPECT(&f, .seq = f.s_nxt - 10, .ack = f.p_nxt, .flags = ACK | PSH,
         .len = 10);
  fx_run(&f, ZN_MS(400));
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = RST | ACK);
  EXPECT_STATE(&f, ZN_TCP_CLOSED);
  ZT_STREQ(f.log, "CRE(ETIMEDOUT)");
  fx_free(&f);
}

ZT_TEST(test_closing_giveup) {
  struct fx f;
  struct zn_config cfg;
  fx_config(&cfg);
  cfg.tcp_retries = 1;
  fx_init(&f, &cfg);
  fx_closing(&f);
  fx_run(&f, ZN_MS(200));
  EXPECT(&f, .seq = f.s_nxt - 1, .ack = f.p_nxt, .flags = ACK | FIN);
  fx_run(&f, ZN_MS(400));
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = RST | ACK);
  EXPECT_STATE(&f, ZN_TCP_CLOSED);
  ZT_STREQ(f.log, "CRE(ETIMEDOUT)");
  fx_free(&f);
}

ZT_TEST(test_fin_wait_1_text_after_close) {
  struct fx f;
  fx_init(&f, NULL);
  fx_established(&f);
  fx_close(&f);
  fx_poll(&f);
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK | FIN);
  /* New data for an application that has closed (not just shut down):
   * RST (RFC 1122 §4.2.2.13, Linux). */
  SEND(&f, .seq = f.p_nxt, .ack = f.s_nxt, .flags = ACK, .len = 100);
  EXPECT(&f, .seq = f.s_nxt, .flags = RST);
  EXPECT_STATE(&f, ZN_TCP_CLOSED);
  ZT_STREQ(f.log, "CX");
  ZT_EQ(ZN__MOD(f.st, tcp)->nused, 0);
  fx_free(&f);
}

ZT_TEST(test_fin_wait_2_text_after_close) {
  struct fx f;
  fx_init(&f, NULL);
  fx_fin_wait_2(&f);
  fx_close(&f);
  fx_poll(&f);
  EXPECT_NONE(&f);
  SEND(&f, .seq = f.p_nxt, .ack = f.s_nxt, .flags = ACK, .len = 100);
  EXPECT(&f, .seq = f.s_nxt, .flags = RST);
  EXPECT_STATE(&f, ZN_TCP_CLOSED);
  ZT_STREQ(f.log, "CX");
  fx_free(&f);
}

ZT_TEST(test_fin_wait_2_shutdown_read) {
  struct fx f;
  fx_init(&f, NULL);
  fx_fin_wait_2(&f);
  /* Shut down only: the data is the app's to read. */
  data_in(&f, 100);
  ZT_CHECK(fx_rx_ok(&f, 100));
  ZT_EQ(fx_shutdown(&f), ZN_OK);   /* again: harmless */
  fx_run(&f, ZN_MS(40));
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK);
  fx_free(&f);
}

ZT_TEST(test_established_sack_receiver) {
  struct fx f;
  fx_init(&f, NULL);
  f.peer_syn.present |= ZN_TCP_OPTF_SACK_PERM;
  fx_established(&f);
  ZT_CHECK(fx_info(&f).sack);
  /* Out of order: an immediate ACK with the block (RFC 2018 §4). */
  SEND(&f, .seq = f.p_nxt + 100, .ack = f.s_nxt, .flags = ACK, .len = 50);
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK,
         .o = {.present = ZN_TCP_OPTF_SACK, .nsack = 1,
               .sack = {{f.p_nxt + 100, f.p_nxt + 150}}});
  SEND(&f, .seq = f.p_nxt + 300, .ack = f.s_nxt, .flags = ACK, .len = 50);
  /* The most recent block first. */
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK,
         .o = {.present = ZN_TCP_OPTF_SACK, .nsack = 2,
               .sack = {{f.p_nxt + 300, f.p_nxt + 350},
                        {f.p_nxt + 100, f.p_nxt + 150}}});
  /* The holes filled: a plain ACK, no blocks left. */
  data_in(&f, 100);
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt + 50, .flags = ACK,
         .o = {.present = ZN_TCP_OPTF_SACK, .nsack = 1,
               .sack = {{f.p_nxt + 200, f.p_nxt + 250}}});
  SEND(&f, .seq = f.p_nxt + 50, .ack = f.s_nxt, .flags = ACK, .len = 150);
  f.p_nxt += 250;
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK);
  ZT_CHECK(fx_rx_ok(&f, 350));
  fx_free(&f);
}

/* RFC 2883: data that arrives again is reported at once by a D-SACK,
 * the first block, once: all of a segment before RCV.NXT, the front of
 * one that straddles it, and data already held out of order (then the
 * run that holds it comes second). */
ZT_TEST(test_established_dsack_receiver) {
  struct fx f;
  fx_init(&f, NULL);
  f.peer_syn.present |= ZN_TCP_OPTF_SACK_PERM;
  fx_established(&f);
  uint32_t p0 = f.p_nxt;
  data_in(&f, 100);
  fx_run(&f, ZN_MS(300));
  EXPECT(&f, .seq = f.s_nxt, .ack = p0 + 100, .flags = ACK);
  /* All of it again. */
  SEND(&f, .seq = p0, .ack = f.s_nxt, .flags = ACK, .len = 100);
  EXPECT(&f, .seq = f.s_nxt, .ack = p0 + 100, .flags = ACK,
         .o = {.present = ZN_TCP_OPTF_SACK, .nsack = 1,
               .sack = {{p0, p0 + 100}}});
  ZT_EQ(fx_stat(&f, ZN_STAT_tcp_dsack_tx), 1);
  /* Its back half and 50 new bytes: the half reported, the rest taken. */
  SEND(&f, .seq = p0 + 50, .ack = f.s_nxt, .flags = ACK, .len = 100);
  f.p_nxt = p0 + 150;
  fx_run(&f, ZN_MS(300));
  EXPECT(&f, .seq = f.s_nxt, .ack = p0 + 150, .flags = ACK,
         .o = {.present = ZN_TCP_OPTF_SACK, .nsack = 1,
               .sack = {{p0 + 50, p0 + 100}}});
  /* Reported once: the next ACK carries no block. */
  data_in(&f, 10);
  fx_run(&f, ZN_MS(300));
  EXPECT(&f, .seq = f.s_nxt, .ack = p0 + 160, .flags = ACK);
  /* Out of order, then the same again: the D-SACK, then its run. */
  SEND(&f, .seq = p0 + 300, .ack = f.s_nxt, .flags = ACK, .len = 50);
  EXPECT(&f, .seq = f.s_nxt, .ack = p0 + 160, .flags = ACK,
         .o = {.present = ZN_TCP_OPTF_SACK, .nsack = 1,
               .sack = {{p0 + 300, p0 + 350}}});
  SEND(&f, .seq = p0 + 300, .ack = f.s_nxt, .flags = ACK, .len = 50);
  EXPECT(&f, .seq = f.s_nxt, .ack = p0 + 160, .flags = ACK,
         .o = {.present = ZN_TCP_OPTF_SACK, .nsack = 2,
               .sack = {{p0 + 300, p0 + 350}, {p0 + 300, p0 + 350}}});
  ZT_EQ(fx_stat(&f, ZN_STAT_tcp_dsack_tx), 3);
  ZT_CHECK(fx_rx_ok(&f, 160));
  fx_free(&f);
}

/* Without cfg.tcp_dsack a duplicate draws a plain ACK. */
ZT_TEST(test_established_dsack_off) {
  struct fx f;
  struct zn_config cfg;
  fx_config(&cfg);
  cfg.tcp_dsack = false;
  fx_init(&f, &cfg);
  f.peer_syn.present |= ZN_TCP_OPTF_SACK_PERM;
  fx_established(&f);
  uint32_t p0 = f.p_nxt;
  data_in(&f, 100);
  fx_run(&f, ZN_MS(300));
  EXPECT(&f, .seq = f.s_nxt, .ack = p0 + 100, .flags = ACK);
  SEND(&f, .seq = p0, .ack = f.s_nxt, .flags = ACK, .len = 100);
  EXPECT(&f, .seq = f.s_nxt, .ack = p0 + 100, .flags = ACK);
  ZT_EQ(fx_stat(&f, ZN_STAT_tcp_dsack_tx), 0);
  fx_free(&f);
}

/* A D-SACK received (below the cumulative ACK, or inside the second
 * block) is counted and is not a duplicate ACK: no recovery starts. */
ZT_TEST(test_established_dsack_sender) {
  struct fx f;
  fx_init(&f, NULL);
  f.peer_syn.present |= ZN_TCP_OPTF_SACK_PERM;
  fx_established(&f);
  ZT_EQ(fx_write(&f, 5 * 1460), 5 * 1460);
  fx_poll(&f);
  uint32_t una = f.s_nxt;
  for (int k = 0; k < 5; k++)
    EXPECT(&f, .seq = una + 1460u * (uint32_t)k, .ack = f.p_nxt,
           .flags = k == 4 ? ACK | PSH : ACK, .len = 1460);
  /* The first two acknowledged, then four D-SACKs of the first: the
   * peer got it twice.  Counted; no duplicate ACKs, no recovery. */
  struct zn_tcp_seg_opts o = {.present = ZN_TCP_OPTF_SACK, .nsack = 1};
  o.sack[0].left = una;
  o.sack[0].right = una + 1460;
  for (int k = 0; k < 4; k++)
    SEND(&f, .seq = f.p_nxt, .ack = una + 2 * 1460, .flags = ACK, .o = o);
  EXPECT_NONE(&f);
  ZT_EQ(fx_stat(&f, ZN_STAT_tcp_dsack_rx), 4);
  ZT_EQ(fx_info(&f).fast_retransmits, 0);
  ZT_EQ(fx_conn(&f)->nsacked, 0);
  /* A D-SACK inside the block after it: counted, and that block is
   * taken into the scoreboard. */
  o.nsack = 2;
  o.sack[0].left = una + 3 * 1460;
  o.sack[0].right = una + 3 * 1460 + 100;
  o.sack[1].left = una + 3 * 1460;
  o.sack[1].right = una + 4 * 1460;
  SEND(&f, .seq = f.p_nxt, .ack = una + 2 * 1460, .flags = ACK, .o = o);
  ZT_EQ(fx_stat(&f, ZN_STAT_tcp_dsack_rx), 5);
  ZT_EQ(fx_conn(&f)->nsacked, 1);
  ZT_EQ(fx_conn(&f)->sacked_bytes, 1460);
  ack_all(&f);
  EXPECT_NONE(&f);
  fx_free(&f);
}

/* A peer that discards data it SACKed (RFC 2018 §8, reneging): the
 * scoreboard survives the RTO, and the ACK that stops where the SACKed
 * range begins empties it, so the range goes again at once.  Before the
 * check the sender skipped it and waited out one backed-off RTO per
 * segment. */
ZT_TEST(test_established_sack_reneged) {
  struct fx f;
  fx_init(&f, NULL);
  f.peer_syn.present |= ZN_TCP_OPTF_SACK_PERM;
  fx_established(&f);
  ZT_EQ(fx_write(&f, 6 * 1460), 6 * 1460);
  fx_poll(&f);
  uint32_t una = f.s_nxt;
  for (int k = 0; k < 6; k++)
    EXPECT(&f, .seq = una + 1460u * (uint32_t)k, .ack = f.p_nxt,
           .flags = k == 5 ? ACK | PSH : ACK, .len = 1460);
  /* Segments 2 and 3 SACKed, then discarded by the peer. */
  struct zn_tcp_seg_opts o = {.present = ZN_TCP_OPTF_SACK, .nsack = 1};
  o.sack[0].left = una + 2 * 1460;
  o.sack[0].right = una + 4 * 1460;
  SEND(&f, .seq = f.p_nxt, .ack = una, .flags = ACK, .o = o);
  EXPECT_NONE(&f);
  /* Segments 0 and 1 go again (RACK, after the reordering window),
   * segment 0 again as the loss probe, and at the RTO. */
  for (int t = 0; t < 100 && fx_stat(&f, ZN_STAT_tcp_rto) == 0; t++) {
    fx_run(&f, ZN_MS(10));
    while (fx_pop(&f, __FILE__, __LINE__))
      ZT_CHECK(f.last.seq == una || f.last.seq == una + 1460);
  }
  ZT_EQ(fx_stat(&f, ZN_STAT_tcp_rto), 1);
  ZT_EQ(fx_conn(&f)->nsacked, 1); /* kept across the RTO */
  /* Segment 0 acknowledged: 1 goes, not 2 or 3 (SACKed). */
  SEND(&f, .seq = f.p_nxt, .ack = una + 1460, .flags = ACK);
  EXPECT(&f, .seq = una + 1460, .ack = f.p_nxt, .flags = ACK, .len = 1460);
  while (fx_pop(&f, __FILE__, __LINE__))
    ZT_CHECK(f.last.seq == una + 4 * 1460 || f.last.seq == una + 5 * 1460);
  ZT_EQ(fx_stat(&f, ZN_STAT_tcp_sack_reneged), 0);
  /* The ACK stops where the SACKed range began: reneged.  2 goes again
   * with no timer waited for. */
  SEND(&f, .seq = f.p_nxt, .ack = una + 2 * 1460, .flags = ACK);
  ZT_EQ(fx_stat(&f, ZN_STAT_tcp_sack_reneged), 1);
  ZT_EQ(fx_conn(&f)->nsacked, 0);
  EXPECT(&f, .seq = una + 2 * 1460, .ack = f.p_nxt, .flags = ACK,
         .len = 1460, .any_opts = true);
  ZT_EQ(fx_stat(&f, ZN_STAT_tcp_rto), 1);
  fx_run(&f, ZN_MS(10));
  while (fx_pop(&f, __FILE__, __LINE__))
    ;
  SEND(&f, .seq = f.p_nxt, .ack = una + 6 * 1460, .flags = ACK);
  ZT_EQ(fx_info(&f).unacked, 0);
  fx_free(&f);
}

ZT_TEST(test_established_sack_sender) {
  struct fx f;
  fx_init(&f, NULL);
  f.peer_syn.present |= ZN_TCP_OPTF_SACK_PERM;
  fx_established(&f);
  /* (high_sacked starts at the ISS: never garbage that reads as ahead.) */
  ZT_CHECK(!zn__seq_gt(fx_conn(&f)->high_sacked, fx_conn(&f)->snd_una));
  ZT_EQ(fx_write(&f, 5 * 1460), 5 * 1460);
  fx_poll(&f);
  uint32_t una = f.s_nxt;
  for (int k = 0; k < 5; k++)
    EXPECT(&f, .seq = una + 1460u * (uint32_t)k, .ack = f.p_nxt,
           .flags = k == 4 ? ACK | PSH : ACK, .len = 1460);
  /* The first is lost; the peer's SACKs show the others arriving. */
  struct zn_tcp_seg_opts o = {.present = ZN_TCP_OPTF_SACK, .nsack = 1};
  for (int k = 1; k <= 3; k++) {
    o.sack[0].left = una + 1460;
    o.sack[0].right = una + 1460u * (uint32_t)(k + 1);
    SEND(&f, .seq = f.p_nxt, .ack = una, .flags = ACK, .o = o);
    if (k < 3)
      EXPECT_NONE(&f);
  }
  /* RFC 6675: three segments SACKed above the hole: resend it. */
  EXPECT(&f, .seq = una, .ack = f.p_nxt, .flags = ACK, .len = 1460);
  EXPECT_NONE(&f);
  ZT_EQ(fx_info(&f).fast_retransmits, 1);
  ack_all(&f);
  EXPECT_NONE(&f);
  ZT_EQ(fx_info(&f).unacked, 0);
  fx_free(&f);
}

/* Pops what the stack sent; counts the segments that resend `una`, and
 * notes in *fence the highest sequence sent before the last of them. */
static int drain_count_at(struct fx *f, uint32_t una, uint32_t *fence) {
  int n = 0;
  while (fx_pop(f, __FILE__, __LINE__))
    if (f->last.seq == una && f->last.len > 0) {
      n++;
      if (fence)
        *fence = f->s_nxt;
    }
  return n;
}

/* RFC 6937 (PRR) in SACK recovery, NewReno (ssthresh half the flight):
 * while the pipe is above ssthresh, new data goes out in proportion to
 * what the ACKs say was delivered, ssthresh/RecoverFS of it (RFC 6675
 * alone, with cwnd at ssthresh, would send nothing until the pipe had
 * drained below it, then one per ACK); below ssthresh, no more than
 * slow start would (PRR-SSRB).  Never more than one segment per ACK
 * here, each delivering one. */
ZT_TEST(test_established_prr_schedule) {
  struct fx f;
  struct zn_config cfg;
  fx_config(&cfg);
  cfg.tcp_cc = ZN_TCP_CC_NEWRENO;
  fx_init(&f, &cfg);
  f.rtt = ZN_MS(10); /* (RACK waits a quarter of it for one SACK) */
  f.peer_syn.present |= ZN_TCP_OPTF_SACK_PERM;
  fx_established(&f);
  const uint32_t m = 1460;
  ZT_EQ(fx_write(&f, 80 * m), 80 * m);
  fx_poll(&f);
  uint32_t una = f.s_nxt;
  drain_count_at(&f, 0, NULL);
  fx_run(&f, ZN_MS(10));
  for (uint32_t i = 1; i <= 10; i++) /* slow start: cwnd 20 segments */
    SEND(&f, .seq = f.p_nxt, .ack = una + i * m, .flags = ACK);
  una += 10 * m;
  drain_count_at(&f, 0, NULL);
  fx_run(&f, ZN_MS(10));
  ZT_EQ(f.s_nxt - una, 20 * m);
  struct zn_tcp_seg_opts o = {.present = ZN_TCP_OPTF_SACK, .nsack = 1};
  o.sack[0].left = una + m;
  int sent_above = 0, sent_total = 0;
  for (uint32_t k = 2; k <= 20; k++) {
    o.sack[0].right = una + k * m;
    const struct zn_tcp_conn *c = fx_conn(&f);
    bool above = (c->flags & ZN__TCPF_IN_RECOVERY) &&
                 zn__tcp_pipe(c) - m > c->cc.ssthresh;
    SEND(&f, .seq = f.p_nxt, .ack = una, .flags = ACK, .o = o);
    int n = 0;
    while (fx_pop(&f, __FILE__, __LINE__))
      n++;
    ZT_CHECK(n <= 1);
    sent_total += n;
    if (above && n && f.last.seq != una)
      sent_above += n;
    if (c->flags & ZN__TCPF_IN_RECOVERY) {
      /* The proportional bound, or the slow start one. */
      uint64_t due = ((uint64_t)c->prr_delivered * c->cc.ssthresh +
                      c->recover_fs - 1) / c->recover_fs;
      ZT_CHECK(c->prr_out <= due + m || zn__tcp_pipe(c) <= c->cc.ssthresh);
    }
  }
  ZT_EQ(fx_info(&f).fast_retransmits, 1);
  ZT_EQ(fx_conn(&f)->recover_fs, 22 * m); /* two limited transmits */
  ZT_EQ(fx_conn(&f)->cc.ssthresh, 11 * m);
  ZT_EQ(fx_conn(&f)->prr_delivered, 17 * m);
  /* One new segment per two delivered while above ssthresh (the 7th,
   * 9th, ... 15th ACK), then one per ACK holding the pipe at ssthresh. */
  ZT_EQ(sent_above, 5);
  ZT_EQ(sent_total, 2 + 1 + 5 + 3); /* limited transmits, the resend */
  ZT_EQ(zn__tcp_pipe(fx_conn(&f)), 11 * m);
  ack_all(&f);
  ZT_CHECK(!(fx_conn(&f)->flags & ZN__TCPF_IN_RECOVERY));
  drain_count_at(&f, 0, NULL);
  fx_free(&f);
}

/* A lost retransmission (RACK, tcp_rack.c): the resend of the hole at
 * SND.UNA is lost too.  Once the peer SACKs a segment sent after that
 * resend (and RACK.rtt has passed since it, at once on this clock), it
 * goes again, not after a probe or the RTO. */
ZT_TEST(test_established_sack_lost_retransmission) {
  struct fx f;
  fx_init(&f, NULL);
  f.peer_syn.present |= ZN_TCP_OPTF_SACK_PERM;
  fx_established(&f);
  const uint32_t m = 1460;
  uint32_t una = f.s_nxt, fence = 0;
  ZT_EQ(fx_write(&f, 40 * m), 40 * m);
  fx_poll(&f);
  ZT_EQ(drain_count_at(&f, una, &fence), 1);
  uint32_t first_flight = f.s_nxt;
  ZT_EQ(first_flight - una, 10 * m); /* RFC 6928 IW10 */
  /* The first is lost; SACKs for the rest.  The third is the fast
   * retransmit; as the others leave the network, new data goes. */
  struct zn_tcp_seg_opts o = {.present = ZN_TCP_OPTF_SACK, .nsack = 1};
  o.sack[0].left = una + m;
  int resent = 0;
  for (uint32_t k = 2; k <= 10; k++) {
    o.sack[0].right = una + k * m;
    SEND(&f, .seq = f.p_nxt, .ack = una, .flags = ACK, .o = o);
    resent += drain_count_at(&f, una, &fence);
  }
  ZT_EQ(resent, 1);
  ZT_EQ(fx_info(&f).fast_retransmits, 1);
  /* (Limited transmit sent two segments before it, RFC 3042.) */
  ZT_EQ(fence, first_flight + 2 * m);
  ZT_CHECK(f.s_nxt - fence >= 3 * m); /* sent after the resend */
  /* The SACKs so far were of data sent before the resend: no proof. */
  ZT_EQ(fx_stat(&f, ZN_STAT_tcp_lost_rtx), 0);
  /* One segment sent after it SACKed: the resend was lost; again. */
  o.sack[0].right = fence + m;
  SEND(&f, .seq = f.p_nxt, .ack = una, .flags = ACK, .o = o);
  ZT_EQ(drain_count_at(&f, una, &fence), 1);
  ZT_EQ(fx_stat(&f, ZN_STAT_tcp_lost_rtx), 1);
  ZT_EQ(fx_info(&f).rto_timeouts, 0);
  /* It arrives: everything up to the SACKed data is acknowledged. */
  SEND(&f, .seq = f.p_nxt, .ack = fence + 3 * m, .flags = ACK);
  fx_run(&f, ZN_SEC(1));
  while (fx_pop(&f, __FILE__, __LINE__))
    ;
  ack_all(&f);
  fx_run(&f, ZN_SEC(2));
  while (fx_pending(&f)) {
    fx_pop(&f, __FILE__, __LINE__);
    ack_all(&f);
  }
  ZT_EQ(fx_info(&f).unacked, 0);
  fx_free(&f);
}

/* A hole of 100 bytes, then filled: each ACKed at once, and quick-ACK
 * mode begun (cfg.tcp_quickacks). */
static void hole_then_filled(struct fx *f) {
  SEND(f, .seq = f->p_nxt + 100, .ack = f->s_nxt, .flags = ACK, .len = 1000);
  EXPECT(f, .seq = f->s_nxt, .ack = f->p_nxt, .flags = ACK, .any_opts = true);
  data_in(f, 100);
  f->p_nxt += 1000;
  EXPECT(f, .seq = f->s_nxt, .ack = f->p_nxt, .flags = ACK, .any_opts = true);
}

/* Quick ACKs (cfg.tcp_quickacks): after out-of-order data, in-order
 * segments are ACKed one by one; with 0, every second one (RFC 5681). */
static void quickack_case(uint32_t quickacks, int want_acks) {
  struct fx f;
  struct zn_config cfg;
  fx_config(&cfg);
  cfg.tcp_quickacks = quickacks;
  fx_init(&f, &cfg);
  fx_established(&f);
  hole_then_filled(&f);
  /* Then four full segments in order. */
  int acks = 0;
  for (int k = 0; k < 4; k++) {
    SEND(&f, .seq = f.p_nxt, .ack = f.s_nxt, .flags = ACK, .len = 1460);
    f.p_nxt += 1460;
    while (fx_pop(&f, __FILE__, __LINE__))
      acks++;
  }
  ZT_EQ(acks, want_acks);
  fx_free(&f);
}

ZT_TEST(test_established_quickack) {
  quickack_case(16, 4);
  quickack_case(0, 2);
}

/* The answer the application writes from on_readable carries the ACK of
 * what it read, the quick ACK and the window update that reading earned
 * included: one segment, corked or not (a TLS server corks its flight).
 * Reading alone still draws the ACK, when the callback returns. */
static void reply_case(bool cork) {
  struct fx f;
  fx_init(&f, NULL);
  fx_established(&f);
  hole_then_filled(&f); /* the ACKs after it owed at once, from input */
  f.reply_in_cb = 300;
  f.cork_reply = cork;
  SEND(&f, .seq = f.p_nxt, .ack = f.s_nxt, .flags = ACK | PSH, .len = 200);
  f.p_nxt += 200;
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK | PSH, .len = 300,
         .any_opts = true);
  EXPECT_NONE(&f);
  /* Read, no answer: the quick ACK still goes, alone. */
  f.reply_in_cb = 0;
  SEND(&f, .seq = f.p_nxt, .ack = f.s_nxt, .flags = ACK | PSH, .len = 200);
  f.p_nxt += 200;
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK, .any_opts = true);
  EXPECT_NONE(&f);
  ZT_EQ(f.nrx, 1500);
  /* Unread data shrank the window below half; reading it all in the
   * callback earns a window update, sent as the callback returns. */
  f.auto_read = false;
  uint32_t wnd = f.cfg.tcp_rcvbuf;
  for (uint32_t sent = 0; sent + 1000 <= wnd * 3 / 4; sent += 1000) {
    SEND(&f, .seq = f.p_nxt, .ack = f.s_nxt, .flags = ACK, .len = 1000);
    f.p_nxt += 1000;
  }
  fx_run(&f, ZN_MS(f.cfg.tcp_delack_ms + 1));
  fx_drain(&f);
  f.auto_read = true;
  SEND(&f, .seq = f.p_nxt, .ack = f.s_nxt, .flags = ACK | PSH, .len = 10);
  f.p_nxt += 10;
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK, .any_opts = true);
  EXPECT_NONE(&f);
  fx_free(&f);
}

ZT_TEST(test_established_reply_carries_ack) {
  reply_case(false);
  reply_case(true);
}

ZT_TEST(test_established_timestamps) {
  struct fx f;
  fx_init(&f, NULL);
  f.peer_syn.present |= ZN_TCP_OPTF_TS;
  fx_established(&f);
  /* RFC 7323 §3.2: TSecr echoes the TSval of the segment that advanced
   * RCV.NXT most recently; every segment of ours carries one. */
  f.now += ZN_MS(7);
  uint32_t tsv = fx_tsval(&f);
  data_in(&f, 10);
  ZT_EQ(fx_write(&f, 10), 10);
  fx_poll(&f);
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK | PSH, .len = 10,
         .o = {.present = ZN_TCP_OPTF_TS, .tsecr = tsv});
  /* An out-of-order segment does not move TS.Recent. */
  f.now += ZN_MS(7);
  SEND(&f, .seq = f.p_nxt + 5, .ack = f.s_nxt, .flags = ACK, .len = 5);
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK,
         .o = {.present = ZN_TCP_OPTF_TS, .tsecr = tsv});
  fx_free(&f);
}

ZT_TEST(test_listen_syn_options_off) {
  struct fx f;
  struct zn_config cfg;
  fx_config(&cfg);
  cfg.tcp_timestamps = cfg.tcp_sack = cfg.tcp_wscale = false;
  fx_init(&f, &cfg);
  f.peer_syn.present = ZN_TCP_OPTF_MSS | ZN_TCP_OPTF_WS |
                       ZN_TCP_OPTF_SACK_PERM | ZN_TCP_OPTF_TS;
  f.peer_syn.wscale = 7;
  /* Offered, but not ours to agree to: the SYN-ACK has the MSS only. */
  fx_established_passive(&f);
  ZT_EQ(f.last.o.present, ZN_TCP_OPTF_MSS);
  struct zn_tcp_info i = fx_info(&f);
  ZT_CHECK(!i.ts && !i.sack);
  ZT_EQ(i.snd_wscale, 0);
  fx_free(&f);
}

ZT_TEST(test_syn_sent_options_off) {
  struct fx f;
  struct zn_config cfg;
  fx_config(&cfg);
  cfg.tcp_timestamps = cfg.tcp_sack = cfg.tcp_wscale = false;
  fx_init(&f, &cfg);
  fx_syn_sent(&f);                /* checks: MSS only */
  ZT_EQ(f.last.o.present, ZN_TCP_OPTF_MSS);
  fx_free(&f);
}

ZT_TEST(test_established_newreno_partial_ack) {
  struct fx f;
  struct zn_config cfg;
  fx_config(&cfg);
  cfg.tcp_cc = ZN_TCP_CC_NEWRENO;
  fx_init(&f, &cfg);
  fx_established(&f);
  ZT_EQ(fx_write(&f, 4 * 1460), 4 * 1460);
  fx_poll(&f);
  uint32_t una = f.s_nxt;
  for (int k = 0; k < 4; k++)
    EXPECT(&f, .seq = una + 1460u * (uint32_t)k, .ack = f.p_nxt,
           .flags = k == 3 ? ACK | PSH : ACK, .len = 1460);
  /* Segments 1 and 3 lost. */
  for (int k = 0; k < 3; k++)
    SEND(&f, .seq = f.p_nxt, .ack = una, .flags = ACK);
  EXPECT(&f, .seq = una, .ack = f.p_nxt, .flags = ACK, .len = 1460);
  /* The partial ACK (up to the second hole) resends it at once (RFC
   * 6582 §3.2 step 5), no timeout. */
  SEND(&f, .seq = f.p_nxt, .ack = una + 2 * 1460, .flags = ACK);
  EXPECT(&f, .seq = una + 2 * 1460, .ack = f.p_nxt, .flags = ACK,
         .len = 1460);
  EXPECT_NONE(&f);
  ack_all(&f);
  struct zn_tcp_info i = fx_info(&f);
  ZT_EQ(i.fast_retransmits, 1);
  ZT_EQ(i.retransmits, 2);
  ZT_EQ(i.rto_timeouts, 0);
  ZT_EQ(i.unacked, 0);
  fx_free(&f);
}

/* on_accept that accepts and closes at once. */
static void accept_close(struct zn_tcp_conn *l, void *arg) {
  struct fx *f = arg;
  fx_cb_check(f, l, "on_accept");
  fx_log(f, "A");
  struct zn_tcp_conn *c;
  while (zn_tcp_accept(l, &c) == ZN_OK) {
    fx_new_handle(f, c);
    zn_tcp_close(c);
  }
}

ZT_TEST(test_syn_received_accept_close) {
  struct fx f;
  fx_init(&f, NULL);
  fx_syn_received(&f, 0);
  struct zn_tcp_callbacks cb = fx_cbs;
  cb.on_accept = accept_close;
  f.in_api++;
  zn_tcp_set_callbacks(f.l, &cb, &f);
  f.in_api--;
  /* Data with the handshake's ACK; the app closes unread: RST, and
   * on_closed once, with no on_readable between. */
  data_in(&f, 10);
  EXPECT(&f, .seq = f.s_nxt, .flags = RST);
  ZT_STREQ(f.log, "AX");
  ZT_EQ(ZN__MOD(f.st, tcp)->nused, 1);
  fx_free(&f);
}

int main(void) {
  ZT_RUN(test_established_icmp_frag_needed);
  ZT_RUN(test_wscale_for_bounds);
  ZT_RUN(test_established_icmp_soft);
  ZT_RUN(test_established_rst_close_in_cb);
  ZT_RUN(test_established_close_on_eof);
  ZT_RUN(test_listen_abort);
  ZT_RUN(test_listen_acceptq_rst);
  ZT_RUN(test_syn_received_rto_after_synack_loss);
  ZT_RUN(test_syn_sent_write);
  ZT_RUN(test_close_wait_giveup);
  ZT_RUN(test_closing_giveup);
  ZT_RUN(test_fin_wait_1_text_after_close);
  ZT_RUN(test_fin_wait_2_text_after_close);
  ZT_RUN(test_fin_wait_2_shutdown_read);
  ZT_RUN(test_established_sack_receiver);
  ZT_RUN(test_established_prr_schedule);
  ZT_RUN(test_established_dsack_receiver);
  ZT_RUN(test_established_dsack_off);
  ZT_RUN(test_established_dsack_sender);
  ZT_RUN(test_established_sack_reneged);
  ZT_RUN(test_established_sack_sender);
  ZT_RUN(test_established_sack_lost_retransmission);
  ZT_RUN(test_established_quickack);
  ZT_RUN(test_established_reply_carries_ack);
  ZT_RUN(test_established_timestamps);
  ZT_RUN(test_listen_syn_options_off);
  ZT_RUN(test_syn_sent_options_off);
  ZT_RUN(test_established_newreno_partial_ack);
  ZT_RUN(test_syn_received_accept_close);
  return zt_done();
}
