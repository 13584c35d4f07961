/*
 * TCP per state and event, against a scripted peer (tcp_fixture.h): each
 * test brings one connection into a state, plays one event (a segment,
 * an API call, a timer), and checks exactly what the stack sends back and
 * the state it lands in.  Named test_<state>_<event>; the events are the
 * classes of tcp_fsm.rl.  The sections go through the states in RFC 9293
 * order, then retransmission and the other timers, ICMP, callbacks, and a
 * matrix of every synchronized state against every segment class.  Tests
 * marked "regression" failed before the engine fix they name.
 *
 * Every test ends with fx_free(): every segment the stack sent was looked
 * at, no buffer leaked, every frame is accounted for, tcp_impossible is
 * still 0; and every callback checked it was not run inside an API call
 * nor after on_closed.
 */
#include "tcp_fixture.h"

/* The peer ACKs everything the stack sent. */
static void ack_all(struct fx *f) {
  SEND(f, .seq = f->p_nxt, .ack = f->s_nxt, .flags = ACK);
}

/* The peer sends n bytes at its next sequence number, ACKing all. */
static void data_in(struct fx *f, size_t n) {
  SEND(f, .seq = f->p_nxt, .ack = f->s_nxt, .flags = ACK, .len = n);
  f->p_nxt += (uint32_t)n;
}

/* ================= segments for no connection (§3.10.7.1) ============== */

ZT_TEST(test_closed_syn) {
  struct fx f;
  fx_init(&f, NULL);
  SEND(&f, .seq = 777, .flags = SYN);
  /* <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK> */
  EXPECT(&f, .seq = 0, .ack = 778, .flags = RST | ACK, .win = W(0));
  ZT_EQ(fx_stat(&f, ZN_STAT_tcp_drop_noport), 1);
  fx_free(&f);
}

ZT_TEST(test_closed_ack) {
  struct fx f;
  fx_init(&f, NULL);
  SEND(&f, .seq = 777, .ack = 4242, .flags = ACK, .len = 5);
  EXPECT(&f, .seq = 4242, .flags = RST);           /* <SEQ=SEG.ACK><CTL=RST> */
  SEND(&f, .seq = 777, .flags = FIN, .len = 5);    /* no ACK: 5 + FIN */
  EXPECT(&f, .seq = 0, .ack = 783, .flags = RST | ACK);
  fx_free(&f);
}

ZT_TEST(test_closed_rst) {
  struct fx f;
  fx_init(&f, NULL);
  SEND(&f, .seq = 777, .ack = 1, .flags = RST | ACK);
  SEND(&f, .seq = 777, .flags = RST);
  EXPECT_NONE(&f);                                 /* never answer a RST */
  ZT_EQ(fx_stat(&f, ZN_STAT_tcp_drop_noport), 2);
  fx_free(&f);
}

/* ================= LISTEN (§3.10.7.2) ================================== */

ZT_TEST(test_listen_rst) {
  struct fx f;
  fx_init(&f, NULL);
  fx_listen(&f, 0);
  SEND(&f, .seq = 5, .flags = RST);
  SEND(&f, .seq = 5, .ack = 9, .flags = RST | ACK);
  EXPECT_NONE(&f);
  ZT_EQ(f.l->state, ZN_TCP_LISTEN);
  ZT_EQ(f.st->tcp.nused, 1);
  fx_free(&f);
}

ZT_TEST(test_listen_ack) {
  struct fx f;
  fx_init(&f, NULL);
  fx_listen(&f, 0);
  /* No cookie matches: <SEQ=SEG.ACK><CTL=RST>. */
  SEND(&f, .seq = 5, .ack = 123456, .flags = ACK, .len = 3);
  EXPECT(&f, .seq = 123456, .flags = RST);
  ZT_EQ(fx_stat(&f, ZN_STAT_tcp_syncookie_bad), 1);
  ZT_EQ(f.l->state, ZN_TCP_LISTEN);
  ZT_EQ(f.st->tcp.nused, 1);
  fx_free(&f);
}

ZT_TEST(test_listen_synack) {
  struct fx f;
  fx_init(&f, NULL);
  fx_listen(&f, 0);
  SEND(&f, .seq = 5, .ack = 99, .flags = SYN | ACK);
  EXPECT(&f, .seq = 99, .flags = RST);
  ZT_EQ(f.st->tcp.nused, 1);
  fx_free(&f);
}

ZT_TEST(test_listen_noack) {
  struct fx f;
  fx_init(&f, NULL);
  fx_listen(&f, 0);
  SEND(&f, .seq = 5, .flags = 0, .len = 10);  /* text, no ACK: dropped */
  SEND(&f, .seq = 5, .flags = FIN);
  EXPECT_NONE(&f);
  ZT_EQ(f.st->tcp.nused, 1);
  fx_free(&f);
}

ZT_TEST(test_listen_syn) {
  struct fx f;
  fx_init(&f, NULL);
  f.peer_syn.present = ZN_TCP_OPTF_MSS | ZN_TCP_OPTF_WS |
                       ZN_TCP_OPTF_SACK_PERM | ZN_TCP_OPTF_TS;
  f.peer_syn.wscale = 7;
  fx_syn_received(&f, 0);  /* SYN-ACK with the options offered */
  ZT_EQ(f.st->tcp.nused, 2);
  ZT_EQ(f.l->synq_len, 1);
  ZT_EQ(f.log[0], 0);      /* nothing for the app yet */
  struct zn_tcp_info i = fx_info(&f);
  ZT_CHECK(i.ts && i.sack);
  ZT_EQ(i.snd_wscale, 7);
  ZT_EQ(i.snd_wnd, 65535); /* a SYN's window is never scaled */
  fx_free(&f);
}

ZT_TEST(test_listen_syn_data) {
  struct fx f;
  fx_init(&f, NULL);
  fx_listen(&f, 0);
  /* Data on a SYN is not taken: the SYN-ACK covers the SYN only. */
  SEND(&f, .seq = f.p_iss, .flags = SYN, .len = 20,
       .o = {.present = ZN_TCP_OPTF_MSS, .mss = 1460});
  f.p_nxt = f.p_iss + 1;
  EXPECT(&f, .any_seq = true, .ack = f.p_nxt, .flags = SYN | ACK,
         .o = {.present = ZN_TCP_OPTF_MSS, .mss = 1460});
  f.iss = f.last.seq;
  f.s_nxt = f.iss + 1;
  /* The peer sends it again with the handshake's ACK. */
  data_in(&f, 20);
  EXPECT_STATE(&f, ZN_TCP_ESTABLISHED);
  ZT_CHECK(fx_rx_ok(&f, 20));
  fx_free(&f);
}

ZT_TEST(test_listen_close) {
  struct fx f;
  fx_init(&f, NULL);
  fx_syn_received(&f, 0);
  f.in_api++;
  zn_tcp_close(f.l);
  f.in_api--;
  fx_poll(&f);
  /* The half-open child is reset; the listener goes (on_closed for the
   * listener only: the app never held the child). */
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = RST | ACK);
  ZT_STREQ(f.log, "X");
  ZT_EQ(f.st->tcp.nused, 0);
  SEND(&f, .seq = f.p_iss, .flags = SYN);  /* now a closed port */
  EXPECT(&f, .seq = 0, .ack = f.p_iss + 1, .flags = RST | ACK);
  fx_free(&f);
}

ZT_TEST(test_listen_close_acceptq) {
  struct fx f;
  fx_init(&f, NULL);
  f.auto_accept = false;
  fx_syn_received(&f, 0);
  SEND(&f, .seq = f.p_nxt, .ack = f.s_nxt, .flags = ACK);
  ZT_STREQ(f.log, "A");
  EXPECT_STATE(&f, ZN_TCP_ESTABLISHED);
  f.in_api++;
  zn_tcp_close(f.l);
  f.in_api--;
  fx_poll(&f);
  /* Established but never accepted: reset, and no on_closed for it. */
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = RST | ACK);
  ZT_STREQ(f.log, "AX");
  ZT_EQ(f.st->tcp.nused, 0);
  fx_free(&f);
}

/* ================= SYN_SENT (§3.10.7.3) ================================ */

ZT_TEST(test_syn_sent_synack) {
  struct fx f;
  fx_init(&f, NULL);
  fx_established_active(&f);
  ZT_STREQ(f.log, "C");
  struct zn_tcp_info i = fx_info(&f);
  ZT_EQ(i.mss, 1460);
  ZT_CHECK(!i.ts && !i.sack);        /* the peer offered MSS only */
  ZT_EQ(i.snd_wscale, 0);
  ZT_EQ(i.rcv_wscale, 0);
  ZT_EQ(i.snd_wnd, 65535);
  fx_free(&f);
}

ZT_TEST(test_syn_sent_synack_data_fin) {
  struct fx f;
  fx_init(&f, NULL);
  fx_syn_sent(&f);
  /* §3.10.7.3: text and FIN on the SYN-ACK are processed too. */
  SEND(&f, .seq = f.p_iss, .ack = f.iss + 1, .flags = SYN | ACK | FIN,
       .len = 10, .o = {.present = ZN_TCP_OPTF_MSS, .mss = 1460});
  f.p_nxt = f.p_iss + 12;
  EXPECT(&f, .seq = f.iss + 1, .ack = f.p_nxt, .flags = ACK);
  EXPECT_NONE(&f);
  EXPECT_STATE(&f, ZN_TCP_CLOSE_WAIT);
  ZT_CHECK(fx_rx_ok(&f, 10));
  ZT_CHECK(f.eof);
  ZT_STREQ(f.log, "CR");
  fx_free(&f);
}

ZT_TEST(test_syn_sent_badack) {
  struct fx f;
  fx_init(&f, NULL);
  fx_syn_sent(&f);
  /* SEG.ACK =< ISS or > SND.NXT: <SEQ=SEG.ACK><CTL=RST>, stay. */
  SEND(&f, .seq = f.p_iss, .ack = f.iss, .flags = SYN | ACK);
  EXPECT(&f, .seq = f.iss, .flags = RST);
  SEND(&f, .seq = f.p_iss, .ack = f.iss + 2, .flags = ACK);
  EXPECT(&f, .seq = f.iss + 2, .flags = RST);
  EXPECT_STATE(&f, ZN_TCP_SYN_SENT);
  /* The right SYN-ACK still completes the handshake. */
  SEND(&f, .seq = f.p_iss, .ack = f.iss + 1, .flags = SYN | ACK);
  EXPECT(&f, .seq = f.iss + 1, .ack = f.p_iss + 1, .flags = ACK);
  EXPECT_STATE(&f, ZN_TCP_ESTABLISHED);
  fx_free(&f);
}

ZT_TEST(test_syn_sent_rst_badack) {
  struct fx f;
  fx_init(&f, NULL);
  fx_syn_sent(&f);
  SEND(&f, .seq = 0, .ack = f.iss + 5, .flags = RST | ACK);
  SEND(&f, .seq = 0, .ack = f.iss, .flags = RST | ACK);
  EXPECT_NONE(&f);
  EXPECT_STATE(&f, ZN_TCP_SYN_SENT);
  ZT_EQ(f.errors, 0);
  fx_free(&f);
}

ZT_TEST(test_syn_sent_rst_noack) {
  struct fx f;
  fx_init(&f, NULL);
  fx_syn_sent(&f);
  /* §3.10.7.3: a RST without ACK is dropped (it cannot be validated). */
  SEND(&f, .seq = 0, .flags = RST);
  EXPECT_NONE(&f);
  EXPECT_STATE(&f, ZN_TCP_SYN_SENT);
  fx_free(&f);
}

ZT_TEST(test_syn_sent_rst) {
  struct fx f;
  fx_init(&f, NULL);
  fx_syn_sent(&f);
  SEND(&f, .seq = 0, .ack = f.iss + 1, .flags = RST | ACK);
  EXPECT_NONE(&f);
  EXPECT_STATE(&f, ZN_TCP_CLOSED);
  ZT_STREQ(f.log, "E(ECONNREFUSED)");                    /* ECONNREFUSED */
  ZT_EQ(f.last_err, ZN_ECONNREFUSED);
  ZT_EQ(fx_write(&f, 1), ZN_ECONNREFUSED);
  ZT_EQ(fx_read(&f, 1), ZN_ECONNREFUSED);
  fx_close(&f);
  fx_poll(&f);
  ZT_STREQ(f.log, "E(ECONNREFUSED)X");
  ZT_EQ(f.st->tcp.nused, 0);
  fx_free(&f);
}

ZT_TEST(test_syn_sent_syn) {
  struct fx f;
  fx_init(&f, NULL);
  fx_syn_sent(&f);
  /* Simultaneous open: SYN_RECEIVED, <SEQ=ISS><ACK=RCV.NXT><SYN,ACK>. */
  SEND(&f, .seq = f.p_iss, .flags = SYN,
       .o = {.present = ZN_TCP_OPTF_MSS, .mss = 1200});
  f.p_nxt = f.p_iss + 1;
  EXPECT(&f, .seq = f.iss, .ack = f.p_nxt, .flags = SYN | ACK,
         .o = {.present = ZN_TCP_OPTF_MSS, .mss = 1460});
  EXPECT_STATE(&f, ZN_TCP_SYN_RECEIVED);
  ZT_EQ(fx_info(&f).mss, 1200);
  /* Its SYN-ACK (or ACK) completes it: on_connected, not on_accept. */
  SEND(&f, .seq = f.p_iss, .ack = f.iss + 1, .flags = SYN | ACK);
  /* That SYN-ACK's SYN is old by now: an ACK answers it... */
  EXPECT(&f, .seq = f.iss + 1, .ack = f.p_nxt, .flags = ACK);
  SEND(&f, .seq = f.p_nxt, .ack = f.iss + 1, .flags = ACK);
  EXPECT_NONE(&f);
  EXPECT_STATE(&f, ZN_TCP_ESTABLISHED);
  ZT_STREQ(f.log, "C");
  fx_free(&f);
}

ZT_TEST(test_syn_sent_noack) {
  struct fx f;
  fx_init(&f, NULL);
  fx_syn_sent(&f);
  /* Neither SYN nor RST: drop, whether or not the ACK is acceptable. */
  SEND(&f, .seq = f.p_iss, .ack = f.iss + 1, .flags = ACK, .len = 5);
  SEND(&f, .seq = f.p_iss, .flags = FIN);
  SEND(&f, .seq = f.p_iss, .flags = 0, .len = 5);
  EXPECT_NONE(&f);
  EXPECT_STATE(&f, ZN_TCP_SYN_SENT);
  fx_free(&f);
}

ZT_TEST(test_syn_sent_close) {
  struct fx f;
  fx_init(&f, NULL);
  fx_syn_sent(&f);
  fx_close(&f);
  fx_poll(&f);
  EXPECT_NONE(&f);                 /* nothing to tell the peer yet */
  ZT_STREQ(f.log, "X");
  ZT_EQ(f.st->tcp.nused, 0);
  /* Its late SYN-ACK finds no connection. */
  SEND(&f, .seq = f.p_iss, .ack = f.iss + 1, .flags = SYN | ACK);
  EXPECT(&f, .seq = f.iss + 1, .flags = RST);
  fx_free(&f);
}

ZT_TEST(test_syn_sent_abort) {
  struct fx f;
  fx_init(&f, NULL);
  fx_syn_sent(&f);
  fx_abort(&f);
  fx_poll(&f);
  EXPECT_NONE(&f);
  ZT_STREQ(f.log, "X");
  ZT_EQ(f.st->tcp.nused, 0);
  fx_free(&f);
}

ZT_TEST(test_syn_sent_shutdown) {
  struct fx f;
  fx_init(&f, NULL);
  fx_syn_sent(&f);
  ZT_EQ(fx_write(&f, 5), 5);
  ZT_EQ(fx_shutdown(&f), ZN_OK);
  fx_poll(&f);
  EXPECT_NONE(&f);
  /* Connected: the data and the FIN follow the ACK. */
  SEND(&f, .seq = f.p_iss, .ack = f.iss + 1, .flags = SYN | ACK);
  f.p_nxt = f.p_iss + 1;
  EXPECT(&f, .seq = f.iss + 1, .ack = f.p_nxt, .flags = ACK | PSH | FIN,
         .len = 5);
  EXPECT_NONE(&f);
  EXPECT_STATE(&f, ZN_TCP_FIN_WAIT_1);
  fx_free(&f);
}

ZT_TEST(test_syn_sent_timeout) {
  struct fx f;
  fx_init(&f, NULL);
  fx_syn_sent(&f);
  /* RFC 6298 §5.5 backoff from the initial 1 s: 1, 2, 4, 8, 16, 32 s
   * (tcp_syn_retries 6), then one more RTO, 64 s capped at tcp_rto_max
   * (60 s), and give up: as Linux (which caps at 120 s: 127 s). */
  uint64_t t0 = f.now;
  uint64_t at = 0;
  for (int i = 0; i < 6; i++) {
    at += ZN_SEC(1) << i;
    fx_run(&f, t0 + at - f.now - 1);
    EXPECT_NONE(&f);
    fx_run(&f, 1);
    EXPECT(&f, .seq = f.iss, .flags = SYN, .o = fx_our_syn_opts(&f),
           .any_opts = true);
  }
  fx_run(&f, ZN_SEC(60) - 1);
  EXPECT_NONE(&f);
  ZT_EQ(f.errors, 0);
  fx_run(&f, 1);
  EXPECT_NONE(&f);                /* no RST for a SYN never answered */
  EXPECT_STATE(&f, ZN_TCP_CLOSED);
  ZT_STREQ(f.log, "E(ETIMEDOUT)");        /* ETIMEDOUT */
  fx_close(&f);
  fx_poll(&f);
  ZT_STREQ(f.log, "E(ETIMEDOUT)X");
  ZT_EQ(f.st->tcp.nused, 0);
  fx_free(&f);
}

ZT_TEST(test_syn_sent_icmp_port_unreach) {
  struct fx f;
  fx_init(&f, NULL);
  fx_syn_sent(&f);
  fx_icmp(&f, ZN_ICMP_DEST_UNREACH, ZN_ICMP_UNREACH_PORT, 0, f.iss);
  EXPECT_NONE(&f);
  EXPECT_STATE(&f, ZN_TCP_CLOSED);
  ZT_STREQ(f.log, "E(ECONNREFUSED)");
  ZT_EQ(f.last_err, ZN_ECONNREFUSED);
  fx_close(&f);
  fx_poll(&f);
  ZT_STREQ(f.log, "E(ECONNREFUSED)X");
  fx_free(&f);
}

ZT_TEST(test_syn_sent_icmp_host_unreach) {
  struct fx f;
  struct zn_config cfg;
  fx_config(&cfg);
  cfg.tcp_syn_retries = 1;
  fx_init(&f, &cfg);
  fx_syn_sent(&f);
  /* A soft error: remembered, reported if the connection times out. */
  fx_icmp(&f, ZN_ICMP_DEST_UNREACH, ZN_ICMP_UNREACH_HOST, 0, f.iss);
  EXPECT_STATE(&f, ZN_TCP_SYN_SENT);
  ZT_EQ(f.errors, 0);
  /* A quote of a sequence number not in flight is ignored (RFC 5927). */
  fx_icmp(&f, ZN_ICMP_DEST_UNREACH, ZN_ICMP_UNREACH_PORT, 0, f.iss + 100);
  EXPECT_STATE(&f, ZN_TCP_SYN_SENT);
  fx_run(&f, ZN_SEC(3));
  EXPECT(&f, .seq = f.iss, .flags = SYN, .any_opts = true);
  EXPECT_STATE(&f, ZN_TCP_CLOSED);
  ZT_EQ(f.last_err, ZN_EHOSTUNREACH);
  fx_close(&f);
  fx_free(&f);
}

/* ================= SYN_RECEIVED (§3.10.7.4) ============================ */

ZT_TEST(test_syn_received_ack) {
  struct fx f;
  fx_init(&f, NULL);
  fx_established_passive(&f);
  ZT_STREQ(f.log, "A");
  ZT_EQ(f.l->synq_len, 0);
  ZT_EQ(f.l->acq_len, 0);
  struct zn_tcp_info i = fx_info(&f);
  ZT_EQ(i.snd_wnd, 65535);
  ZT_EQ(i.mss, 1460);
  fx_free(&f);
}

ZT_TEST(test_syn_received_ack_data) {
  struct fx f;
  fx_init(&f, NULL);
  fx_syn_received(&f, 0);
  /* The handshake's ACK carries data: accepted in on_accept, the new
   * connection hears of the data in the same poll, not inside
   * zn_tcp_accept() and not never (regression). */
  data_in(&f, 20);
  EXPECT_STATE(&f, ZN_TCP_ESTABLISHED);
  ZT_STREQ(f.log, "AR");
  ZT_CHECK(fx_rx_ok(&f, 20));
  fx_free(&f);
}

ZT_TEST(test_syn_received_accept_later) {
  struct fx f;
  fx_init(&f, NULL);
  f.auto_accept = false;
  fx_syn_received(&f, 0);
  data_in(&f, 20);
  SEND(&f, .seq = f.p_nxt, .ack = f.s_nxt, .flags = FIN | ACK);
  f.p_nxt++;
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK);
  EXPECT_STATE(&f, ZN_TCP_CLOSE_WAIT);
  ZT_STREQ(f.log, "A");
  /* Accepted outside any callback: the data and the FIN are news at the
   * next poll (never inside zn_tcp_accept). */
  f.in_api++;
  ZT_EQ(zn_tcp_accept(f.l, &f.c), ZN_OK);
  f.in_api--;
  fx_new_handle(&f, f.c);
  ZT_EQU(zn_stack_next_deadline(f.st), f.now);
  fx_poll(&f);
  ZT_STREQ(f.log, "AR");
  ZT_CHECK(fx_rx_ok(&f, 20));
  ZT_CHECK(f.eof);
  fx_close(&f);
  fx_poll(&f);
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = FIN | ACK);
  EXPECT_STATE(&f, ZN_TCP_LAST_ACK);
  ZT_STREQ(f.log, "AR");
  SEND(&f, .seq = f.p_nxt, .ack = f.s_nxt, .flags = ACK);
  ZT_STREQ(f.log, "ARX");
  ZT_EQ(f.st->tcp.nused, 1);
  fx_free(&f);
}

ZT_TEST(test_syn_received_badack) {
  struct fx f;
  fx_init(&f, NULL);
  fx_syn_received(&f, 0);
  /* SND.UNA < SEG.ACK =< SND.NXT fails: <SEQ=SEG.ACK><CTL=RST>. */
  SEND(&f, .seq = f.p_nxt, .ack = f.iss, .flags = ACK);
  EXPECT(&f, .seq = f.iss, .flags = RST);
  SEND(&f, .seq = f.p_nxt, .ack = f.iss + 2, .flags = ACK);
  EXPECT(&f, .seq = f.iss + 2, .flags = RST);
  EXPECT_STATE(&f, ZN_TCP_SYN_RECEIVED);
  SEND(&f, .seq = f.p_nxt, .ack = f.s_nxt, .flags = ACK);
  EXPECT_STATE(&f, ZN_TCP_ESTABLISHED);
  EXPECT_NONE(&f);
  fx_free(&f);
}

ZT_TEST(test_syn_received_rst) {
  struct fx f;
  fx_init(&f, NULL);
  fx_syn_received(&f, 0);
  SEND(&f, .seq = f.p_nxt, .flags = RST);
  EXPECT_NONE(&f);
  /* A passive open goes back to LISTEN: the child goes, quietly. */
  EXPECT_STATE(&f, ZN_TCP_CLOSED);
  ZT_EQ(f.l->state, ZN_TCP_LISTEN);
  ZT_EQ(f.l->synq_len, 0);
  ZT_EQ(f.st->tcp.nused, 1);
  ZT_STREQ(f.log, "");
  fx_free(&f);
}

ZT_TEST(test_syn_received_rst_inwin) {
  struct fx f;
  fx_init(&f, NULL);
  fx_syn_received(&f, 0);
  /* RFC 5961 §3.2: in the window, not exact: challenge ACK. */
  SEND(&f, .seq = f.p_nxt + 100, .flags = RST);
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK);
  EXPECT_STATE(&f, ZN_TCP_SYN_RECEIVED);
  ZT_EQ(fx_stat(&f, ZN_STAT_tcp_chack_tx), 1);
  /* Out of the window: ignored. */
  SEND(&f, .seq = f.p_nxt + 8192, .flags = RST);
  SEND(&f, .seq = f.p_nxt - 1, .flags = RST);
  EXPECT_NONE(&f);
  EXPECT_STATE(&f, ZN_TCP_SYN_RECEIVED);
  fx_free(&f);
}

ZT_TEST(test_syn_received_syn_dup) {
  struct fx f;
  fx_init(&f, NULL);
  f.peer_syn.present |= ZN_TCP_OPTF_TS | ZN_TCP_OPTF_SACK_PERM;
  struct zn_tcp_opts o = fx_peer_syn_opts(&f);
  fx_syn_received(&f, 0);
  /* The peer's SYN again (our SYN-ACK was lost): the SYN-ACK again, as
   * Linux does (tcp_check_req); a bare ACK would leave a peer in
   * SYN_SENT waiting for our retransmission timer (regression).  It
   * echoes the first SYN's TSval: TS.Recent moves only with acceptable
   * segments (Linux too). */
  struct zn_tcp_opts again = o;
  f.now += ZN_MS(200);
  again.tsval = fx_tsval(&f);
  SEND(&f, .seq = f.p_iss, .flags = SYN, .o = again);
  EXPECT(&f, .seq = f.iss, .ack = f.p_nxt, .flags = SYN | ACK,
         .o = fx_synack_opts(&f, &o));
  EXPECT_STATE(&f, ZN_TCP_SYN_RECEIVED);
  ZT_EQ(f.st->tcp.nused, 2);
  fx_free(&f);
}

ZT_TEST(test_syn_received_syn_inwin) {
  struct fx f;
  fx_init(&f, NULL);
  fx_syn_received(&f, 0);
  /* RFC 5961 §4.2: any other SYN draws a challenge ACK. */
  SEND(&f, .seq = f.p_nxt + 10, .flags = SYN);
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK);
  SEND(&f, .seq = f.p_nxt + 100000, .flags = SYN);
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK);
  EXPECT_STATE(&f, ZN_TCP_SYN_RECEIVED);
  ZT_EQ(fx_stat(&f, ZN_STAT_tcp_chack_tx), 2);
  fx_free(&f);
}

ZT_TEST(test_syn_received_syn_rfc793) {
  struct fx f;
  struct zn_config cfg;
  fx_config(&cfg);
  cfg.tcp_rfc5961 = false;
  fx_init(&f, &cfg);
  fx_syn_received(&f, 0);
  /* RFC 793: a SYN in the window is an error: RST, the TCB goes. */
  SEND(&f, .seq = f.p_nxt + 10, .flags = SYN);
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = RST | ACK);
  EXPECT_STATE(&f, ZN_TCP_CLOSED);
  ZT_EQ(f.l->synq_len, 0);
  ZT_EQ(f.st->tcp.nused, 1);
  ZT_STREQ(f.log, "");
  fx_free(&f);
}

ZT_TEST(test_syn_received_unacceptable) {
  struct fx f;
  fx_init(&f, NULL);
  fx_syn_received(&f, 0);
  SEND(&f, .seq = f.p_nxt + 8192, .ack = f.s_nxt, .flags = ACK, .len = 1);
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK);
  EXPECT_STATE(&f, ZN_TCP_SYN_RECEIVED);
  fx_free(&f);
}

ZT_TEST(test_syn_received_noack) {
  struct fx f;
  fx_init(&f, NULL);
  fx_syn_received(&f, 0);
  SEND(&f, .seq = f.p_nxt, .flags = 0, .len = 10);
  SEND(&f, .seq = f.p_nxt, .flags = FIN);
  EXPECT_NONE(&f);
  EXPECT_STATE(&f, ZN_TCP_SYN_RECEIVED);
  fx_free(&f);
}

ZT_TEST(test_syn_received_fin) {
  struct fx f;
  fx_init(&f, NULL);
  fx_syn_received(&f, 0);
  /* ACK and FIN at once: ESTABLISHED by the ACK, then CLOSE_WAIT. */
  SEND(&f, .seq = f.p_nxt, .ack = f.s_nxt, .flags = FIN | ACK, .len = 3);
  f.p_nxt += 4;
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK);
  EXPECT_STATE(&f, ZN_TCP_CLOSE_WAIT);
  ZT_STREQ(f.log, "AR");
  ZT_CHECK(fx_rx_ok(&f, 3) && f.eof);
  fx_free(&f);
}

ZT_TEST(test_syn_received_timeout) {
  struct fx f;
  struct zn_config cfg;
  fx_config(&cfg);
  cfg.tcp_syn_retries = 2;
  fx_init(&f, &cfg);
  fx_syn_received(&f, 1);
  /* SYN-ACK again after 1 s and 2 s more, then give up after 4 s: RST. */
  fx_run(&f, ZN_SEC(1));
  EXPECT(&f, .seq = f.iss, .ack = f.p_nxt, .flags = SYN | ACK,
         .o = fx_synack_opts(&f, &f.peer_syn));
  fx_run(&f, ZN_SEC(2));
  EXPECT(&f, .seq = f.iss, .ack = f.p_nxt, .flags = SYN | ACK,
         .o = fx_synack_opts(&f, &f.peer_syn));
  fx_run(&f, ZN_SEC(4) - 1);
  EXPECT_NONE(&f);
  fx_run(&f, 1);
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = RST | ACK);
  EXPECT_STATE(&f, ZN_TCP_CLOSED);
  ZT_EQ(f.st->tcp.nused, 1);
  /* The SYN queue has room again (regression: the slot stayed taken, and
   * with backlog 1 every later SYN got a cookie). */
  ZT_EQ(f.l->synq_len, 0);
  f.pport++;
  SEND(&f, .seq = f.p_iss, .flags = SYN);
  EXPECT(&f, .any_seq = true, .ack = f.p_iss + 1, .flags = SYN | ACK,
         .any_opts = true);
  ZT_EQ(f.st->tcp.nused, 2);
  ZT_EQ(fx_stat(&f, ZN_STAT_tcp_syncookie_tx), 0);
  ZT_STREQ(f.log, "");
  fx_free(&f);
}

ZT_TEST(test_syn_received_acceptq_full) {
  struct fx f;
  fx_init(&f, NULL);
  f.auto_accept = false;
  fx_syn_received(&f, 1);
  SEND(&f, .seq = f.p_nxt, .ack = f.s_nxt, .flags = ACK);
  ZT_EQ(f.l->acq_len, 1);
  /* A second handshake while the accept queue is full: its ACK is
   * dropped (Linux, tcp_abort_on_overflow off); it stays half-open. */
  f.pport++;
  SEND(&f, .seq = f.p_iss, .flags = SYN);
  EXPECT(&f, .any_seq = true, .ack = f.p_iss + 1, .flags = SYN | ACK,
         .any_opts = true);
  uint32_t iss2 = f.last.seq;
  SEND(&f, .seq = f.p_iss + 1, .ack = iss2 + 1, .flags = ACK);
  EXPECT_NONE(&f);
  EXPECT_STATE(&f, ZN_TCP_SYN_RECEIVED);
  ZT_EQ(fx_stat(&f, ZN_STAT_tcp_drop_acceptq), 1);
  /* The app takes the first; the peer's ACK again completes the second. */
  struct zn_tcp_conn *c1;
  f.in_api++;
  ZT_EQ(zn_tcp_accept(f.l, &c1), ZN_OK);
  f.in_api--;
  fx_new_handle(&f, c1);
  SEND(&f, .seq = f.p_iss + 1, .ack = iss2 + 1, .flags = ACK);
  EXPECT_STATE(&f, ZN_TCP_ESTABLISHED);
  ZT_EQ(f.l->acq_len, 1);
  ZT_STREQ(f.log, "AA");
  fx_free(&f);
}

/* Simultaneous open (§3.10.7.3, RFC 9293 figure 7). */
static void simultaneous(struct fx *f) {
  fx_syn_sent(f);
  SEND(f, .seq = f->p_iss, .flags = SYN,
       .o = {.present = ZN_TCP_OPTF_MSS, .mss = 1460});
  f->p_nxt = f->p_iss + 1;
  EXPECT(f, .seq = f->iss, .ack = f->p_nxt, .flags = SYN | ACK,
         .o = {.present = ZN_TCP_OPTF_MSS, .mss = 1460});
  EXPECT_STATE(f, ZN_TCP_SYN_RECEIVED);
}

ZT_TEST(test_syn_received_simul_rst) {
  struct fx f;
  fx_init(&f, NULL);
  simultaneous(&f);
  SEND(&f, .seq = f.p_nxt, .flags = RST);
  EXPECT_NONE(&f);
  EXPECT_STATE(&f, ZN_TCP_CLOSED);
  /* An active open was refused (§3.10.7.4 second check). */
  ZT_STREQ(f.log, "E(ECONNREFUSED)");
  fx_close(&f);
  fx_poll(&f);
  ZT_STREQ(f.log, "E(ECONNREFUSED)X");
  ZT_EQ(f.st->tcp.nused, 0);
  fx_free(&f);
}

ZT_TEST(test_syn_received_simul_timeout) {
  struct fx f;
  struct zn_config cfg;
  fx_config(&cfg);
  cfg.tcp_syn_retries = 1;
  fx_init(&f, &cfg);
  fx_syn_sent(&f);
  fx_run(&f, ZN_SEC(1));          /* our SYN once more; then theirs */
  EXPECT(&f, .seq = f.iss, .flags = SYN, .any_opts = true);
  SEND(&f, .seq = f.p_iss, .flags = SYN);
  f.p_nxt = f.p_iss + 1;
  EXPECT(&f, .seq = f.iss, .ack = f.p_nxt, .flags = SYN | ACK,
         .o = {.present = ZN_TCP_OPTF_MSS, .mss = 1460});
  fx_run(&f, ZN_SEC(2));           /* the SYN-ACK timer runs on */
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = RST | ACK);
  EXPECT_STATE(&f, ZN_TCP_CLOSED);
  ZT_STREQ(f.log, "E(ETIMEDOUT)");
  fx_close(&f);
  fx_free(&f);
}

ZT_TEST(test_syn_received_simul_abort) {
  struct fx f;
  fx_init(&f, NULL);
  simultaneous(&f);
  fx_abort(&f);
  fx_poll(&f);
  /* §3.10.5 ABORT in SYN_RECEIVED: <SEQ=SND.NXT><CTL=RST>. */
  EXPECT(&f, .seq = f.s_nxt, .flags = RST);
  ZT_STREQ(f.log, "X");
  ZT_EQ(f.st->tcp.nused, 0);
  fx_free(&f);
}

ZT_TEST(test_syn_received_simul_close) {
  struct fx f;
  fx_init(&f, NULL);
  simultaneous(&f);
  ZT_EQ(fx_write(&f, 10), 10);
  fx_close(&f);
  fx_poll(&f);
  /* §3.10.4 CLOSE in SYN_RECEIVED with data queued: FIN_WAIT_1, the data
   * and the FIN once our SYN is acknowledged. */
  EXPECT_NONE(&f);
  EXPECT_STATE(&f, ZN_TCP_FIN_WAIT_1);
  SEND(&f, .seq = f.p_nxt, .ack = f.iss + 1, .flags = ACK);
  EXPECT(&f, .seq = f.iss + 1, .ack = f.p_nxt, .flags = ACK | PSH | FIN,
         .len = 10);
  SEND(&f, .seq = f.p_nxt, .ack = f.s_nxt, .flags = ACK);
  EXPECT_STATE(&f, ZN_TCP_FIN_WAIT_2);
  SEND(&f, .seq = f.p_nxt, .ack = f.s_nxt, .flags = FIN | ACK);
  f.p_nxt++;
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK);
  EXPECT_STATE(&f, ZN_TCP_TIME_WAIT);
  ZT_STREQ(f.log, "X");
  fx_free(&f);
}

ZT_TEST(test_syn_received_simul_data_fin) {
  struct fx f;
  fx_init(&f, NULL);
  fx_syn_sent(&f);
  /* Simultaneous open with text and a FIN on the peer's SYN: §3.10.7.3
   * queues them "for processing after the ESTABLISHED state has been
   * reached", so the SYN-ACK acknowledges the SYN alone... */
  SEND(&f, .seq = f.p_iss, .flags = SYN | FIN, .len = 5,
       .o = {.present = ZN_TCP_OPTF_MSS, .mss = 1460});
  EXPECT(&f, .seq = f.iss, .ack = f.p_iss + 1, .flags = SYN | ACK,
         .o = {.present = ZN_TCP_OPTF_MSS, .mss = 1460});
  EXPECT_STATE(&f, ZN_TCP_SYN_RECEIVED);
  ZT_CHECK(!fx_rx_ok(&f, 1) && !f.eof);
  /* ... and the ACK of our SYN delivers them: the text, then the FIN
   * (fin_arrives: RCV.NXT past it, CLOSE_WAIT, the reader sees EOF). */
  SEND(&f, .seq = f.p_iss + 1, .ack = f.iss + 1, .flags = ACK);
  f.p_nxt = f.p_iss + 7;
  EXPECT(&f, .seq = f.iss + 1, .ack = f.p_nxt, .flags = ACK);
  EXPECT_NONE(&f);
  EXPECT_STATE(&f, ZN_TCP_CLOSE_WAIT);
  ZT_CHECK(fx_rx_ok(&f, 5));
  ZT_CHECK(f.eof);
  ZT_STREQ(f.log, "CR");
  fx_free(&f);
}

/* ================= SYN cookies ========================================= */

/* Fill a backlog-1 listener's SYN queue, then a SYN from the next port;
 * returns with the cookie SYN-ACK checked and f->iss/s_nxt/p_nxt/ts set
 * for the cookie connection. */
static void cookie_synack(struct fx *f, struct zn_tcp_opts peer) {
  fx_syn_received(f, 1);
  ZT_EQ(f->st->tcp.nused, 2);
  f->pport = FX_PEER_PORT + 1;
  f->peer_syn = peer;
  struct zn_tcp_opts o = fx_peer_syn_opts(f);
  SEND(f, .seq = f->p_iss, .flags = SYN, .o = o);
  struct zn_tcp_opts a = fx_synack_opts(f, &o);
  if (!(o.present & ZN_TCP_OPTF_TS)) /* a cookie carries MSS only */
    a.present &= (uint8_t)~(ZN_TCP_OPTF_WS | ZN_TCP_OPTF_SACK_PERM);
  EXPECT(f, .any_seq = true, .ack = f->p_iss + 1, .flags = SYN | ACK,
         .o = a, .win = W(fx_syn_win(f)));
  f->iss = f->last.seq;
  f->s_nxt = f->iss + 1;
  f->p_nxt = f->p_iss + 1;
  f->ts = (a.present & ZN_TCP_OPTF_TS) != 0;
  ZT_EQ(f->st->tcp.nused, 2); /* nothing kept */
  ZT_EQ(fx_stat(f, ZN_STAT_tcp_syncookie_tx), 1);
  EXPECT_STATE(f, ZN_TCP_CLOSED);
}

ZT_TEST(test_listen_syn_cookie) {
  struct fx f;
  fx_init(&f, NULL);
  struct zn_tcp_opts p = {.present = ZN_TCP_OPTF_MSS | ZN_TCP_OPTF_WS |
                                     ZN_TCP_OPTF_SACK_PERM | ZN_TCP_OPTF_TS,
                          .mss = 1400, .wscale = 7};
  cookie_synack(&f, p);
  /* The ACK brings the cookie back: ESTABLISHED, in the accept queue,
   * with the MSS (rounded down the cookie's table), wscale and SACK. */
  SEND(&f, .seq = f.p_nxt, .ack = f.s_nxt, .flags = ACK, .win = W(100));
  EXPECT_NONE(&f);
  EXPECT_STATE(&f, ZN_TCP_ESTABLISHED);
  ZT_EQ(fx_stat(&f, ZN_STAT_tcp_syncookie_ok), 1);
  ZT_EQ(f.st->tcp.nused, 3);
  ZT_STREQ(f.log, "A");
  /* Recovery's marks start at the cookie's ISS + 1, not at those of the
   * ISS the connection was set up with (regression: a random recover
   * could forbid fast recovery, a random high_sacked, read modulo 2^32
   * as ahead of SND.UNA, made recovery think all in flight was lost). */
  {
    const struct zn_tcp_conn *x = fx_conn(&f);
    ZT_EQ(x->recover, x->snd_una);
    ZT_EQ(x->high_sacked, x->snd_una);
  }
  struct zn_tcp_info i = fx_info(&f);
  ZT_EQ(i.mss, 1380);
  ZT_CHECK(i.ts && i.sack);
  ZT_EQ(i.snd_wscale, 7);
  ZT_EQ(i.snd_wnd, 100 << 7);
  /* It carries data; its TSvals do not go back from the cookie
   * SYN-ACK's (fx_expect checks), or the peer's PAWS would drop them
   * (regression: the offset was drawn anew for the connection). */
  uint32_t synack_tsval = f.s_tsval;
  f.now += ZN_MS(5);
  ZT_EQ(fx_write(&f, 100), 100);
  fx_poll(&f);
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK | PSH, .len = 100);
  /* The same clock: 5 ms on, plus the up to 63 units the cookie's TSval
   * lags it. */
  ZT_CHECK(f.s_tsval - synack_tsval >= 5 && f.s_tsval - synack_tsval <= 68);
  data_in(&f, 30);
  ZT_CHECK(fx_rx_ok(&f, 30));
  fx_free(&f);
}

/* A SYN flood fills the table only to three quarters with half-open
 * connections; then cookies answer, and the quarter left takes the
 * handshakes they complete (found by the attack tests: with a backlog
 * above the table size, spoofed SYNs filled it and no cookie could be
 * taken up). */
ZT_TEST(test_listen_syn_flood_leaves_room_for_cookies) {
  struct fx f;
  struct zn_config cfg;
  fx_config(&cfg);
  cfg.tcp_conns = 8;
  fx_init(&f, &cfg);
  fx_listen(&f, 100);
  for (int i = 0; i < 10; i++) {
    f.pport = (uint16_t)(5000 + i);
    SEND(&f, .seq = f.p_iss, .flags = SYN);
    EXPECT(&f, .any_seq = true, .ack = f.p_iss + 1, .flags = SYN | ACK,
           .any_opts = true);
  }
  ZT_EQ(f.st->tcp.nused, 6); /* the listener and five half-open */
  ZT_EQ(fx_stat(&f, ZN_STAT_tcp_syncookie_tx), 5);
  /* The last SYN's peer is real: its cookie comes back and is taken. */
  f.iss = f.last.seq;
  f.s_nxt = f.iss + 1;
  f.p_nxt = f.p_iss + 1;
  SEND(&f, .seq = f.p_nxt, .ack = f.s_nxt, .flags = ACK);
  EXPECT_NONE(&f);
  ZT_EQ(fx_stat(&f, ZN_STAT_tcp_syncookie_ok), 1);
  ZT_EQ(f.st->tcp.nused, 7);
  fx_free(&f);
}

ZT_TEST(test_listen_syn_cookie_nots) {
  struct fx f;
  fx_init(&f, NULL);
  struct zn_tcp_opts p = {.present = ZN_TCP_OPTF_MSS | ZN_TCP_OPTF_WS |
                                     ZN_TCP_OPTF_SACK_PERM,
                          .mss = 1000, .wscale = 7};
  /* Without timestamps a cookie keeps the MSS only: the SYN-ACK offers
   * neither wscale nor SACK. */
  cookie_synack(&f, p);
  SEND(&f, .seq = f.p_nxt, .ack = f.s_nxt, .flags = ACK, .win = W(100));
  EXPECT_STATE(&f, ZN_TCP_ESTABLISHED);
  struct zn_tcp_info i = fx_info(&f);
  ZT_EQ(i.mss, 536);                   /* 1000 rounds down to 536 */
  ZT_CHECK(!i.ts && !i.sack);
  ZT_EQ(i.snd_wscale, 0);
  ZT_EQ(i.rcv_wscale, 0);
  ZT_EQ(i.snd_wnd, 100);
  fx_free(&f);
}

ZT_TEST(test_listen_syn_cookie_forged) {
  struct fx f;
  fx_init(&f, NULL);
  cookie_synack(&f, f.peer_syn);
  /* Wrong cookie, wrong peer ISN, wrong port: RST, nothing made. */
  SEND(&f, .seq = f.p_nxt, .ack = f.s_nxt + 1, .flags = ACK);
  EXPECT(&f, .seq = f.s_nxt + 1, .flags = RST);
  SEND(&f, .seq = f.p_nxt + 1, .ack = f.s_nxt, .flags = ACK);
  EXPECT(&f, .seq = f.s_nxt, .flags = RST);
  SEND(&f, .seq = f.p_nxt, .ack = f.s_nxt, .flags = ACK,
       .sport = FX_PEER_PORT + 2);
  f.pport = FX_PEER_PORT + 2;
  EXPECT(&f, .seq = f.s_nxt, .flags = RST);
  ZT_EQ(fx_stat(&f, ZN_STAT_tcp_syncookie_bad), 3);
  ZT_EQ(fx_stat(&f, ZN_STAT_tcp_syncookie_ok), 0);
  ZT_EQ(f.st->tcp.nused, 2);
  fx_free(&f);
}

ZT_TEST(test_listen_syn_cookie_old) {
  struct fx f;
  struct zn_config cfg;
  fx_config(&cfg);
  cfg.tcp_syn_retries = 0;
  fx_init(&f, &cfg);
  cookie_synack(&f, f.peer_syn);
  uint16_t port = f.pport;
  f.pport = FX_PEER_PORT;           /* the first half-open one gives up */
  fx_run(&f, ZN_SEC(1));
  EXPECT(&f, .any_seq = true, .any_ack = true, .flags = RST | ACK);
  f.pport = port;
  /* A cookie lives 64 to 128 s. */
  fx_run(&f, ZN_SEC(129));
  SEND(&f, .seq = f.p_nxt, .ack = f.s_nxt, .flags = ACK);
  EXPECT(&f, .seq = f.s_nxt, .flags = RST);
  ZT_EQ(fx_stat(&f, ZN_STAT_tcp_syncookie_bad), 1);
  ZT_EQ(f.st->tcp.nused, 1);
  fx_free(&f);
}

ZT_TEST(test_listen_syn_cookie_acceptq_full) {
  struct fx f;
  fx_init(&f, NULL);
  f.auto_accept = false;
  fx_syn_received(&f, 1);
  SEND(&f, .seq = f.p_nxt, .ack = f.s_nxt, .flags = ACK);  /* queued */
  f.pport++;
  SEND(&f, .seq = f.p_iss, .flags = SYN);                  /* half-open */
  EXPECT(&f, .any_seq = true, .ack = f.p_iss + 1, .flags = SYN | ACK,
         .any_opts = true);
  f.pport++;
  SEND(&f, .seq = f.p_iss, .flags = SYN);                  /* a cookie */
  EXPECT(&f, .any_seq = true, .ack = f.p_iss + 1, .flags = SYN | ACK,
         .any_opts = true);
  ZT_EQ(fx_stat(&f, ZN_STAT_tcp_syncookie_tx), 1);
  /* Its good ACK finds the accept queue full: dropped, no RST. */
  SEND(&f, .seq = f.p_iss + 1, .ack = f.last.seq + 1, .flags = ACK);
  EXPECT_NONE(&f);
  ZT_EQ(fx_stat(&f, ZN_STAT_tcp_drop_acceptq), 1);
  ZT_EQ(fx_stat(&f, ZN_STAT_tcp_syncookie_ok), 0);
  ZT_EQ(f.st->tcp.nused, 3);
  fx_free(&f);
}

ZT_TEST(test_listen_syn_table_full) {
  struct fx f;
  struct zn_config cfg;
  fx_config(&cfg);
  cfg.tcp_conns = 2;
  fx_init(&f, &cfg);
  fx_syn_received(&f, 0);           /* the table is full now */
  f.pport++;
  SEND(&f, .seq = f.p_iss, .flags = SYN);
  EXPECT(&f, .any_seq = true, .ack = f.p_iss + 1, .flags = SYN | ACK,
         .o = {.present = ZN_TCP_OPTF_MSS, .mss = 1460});
  ZT_EQ(fx_stat(&f, ZN_STAT_tcp_syncookie_tx), 1);
  ZT_EQ(f.st->tcp.nused, 2);
  uint32_t cookie = f.last.seq;
  /* The first completes (its slot stays taken) ... */
  f.pport--;
  SEND(&f, .seq = f.p_nxt, .ack = f.s_nxt, .flags = ACK);
  EXPECT_STATE(&f, ZN_TCP_ESTABLISHED);
  /* ... and the cookie's good ACK finds no slot: dropped without a RST
   * (the peer will send again). */
  f.pport++;
  int full = fx_stat(&f, ZN_STAT_tcp_table_full);
  SEND(&f, .seq = f.p_iss + 1, .ack = cookie + 1, .flags = ACK);
  EXPECT_NONE(&f);
  EXPECT_STATE(&f, ZN_TCP_CLOSED);
  ZT_EQ(fx_stat(&f, ZN_STAT_tcp_table_full), full + 1);
  ZT_EQ(f.st->tcp.nused, 2);
  ZT_STREQ(f.log, "A");
  fx_free(&f);
}

/* ================= options in the handshake ============================ */

ZT_TEST(test_syn_sent_synack_mss_default) {
  struct fx f;
  fx_init(&f, NULL);
  f.peer_syn.present = 0;          /* no options at all */
  fx_established_active(&f);
  struct zn_tcp_info i = fx_info(&f);
  ZT_EQ(i.mss, 536);               /* RFC 9293 §3.7.1 default */
  ZT_CHECK(!i.ts && !i.sack);
  ZT_EQ(i.snd_wscale, 0);
  ZT_EQ(i.rcv_wscale, 0);
  ZT_EQ(fx_write(&f, 1000), 1000);
  fx_poll(&f);
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK, .len = 536,
         .win = W(8192));
  /* Nagle with Minshall's rule: no small segment is in flight, so the
   * small rest goes at once... */
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK | PSH,
         .len = 464);
  EXPECT_NONE(&f);
  /* ...but the next small write waits for that one's ACK. */
  ZT_EQ(fx_write(&f, 10), 10);
  fx_poll(&f);
  EXPECT_NONE(&f);
  ack_all(&f);
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK | PSH, .len = 10);
  fx_free(&f);
}

ZT_TEST(test_syn_sent_mtu) {
  struct fx f;
  fx_init_mtu(&f, NULL, 1400);
  fx_syn_sent(&f);                 /* checks the SYN's MSS 1360 */
  ZT_EQ(f.last.o.mss, 1360);
  fx_free(&f);
}

ZT_TEST(test_listen_syn_mss_clamp) {
  struct fx f;
  fx_init(&f, NULL);
  f.peer_syn.mss = 1000;
  /* Our SYN-ACK says what we can receive, 1460, whatever the peer's
   * (regression: it echoed the clamped 1000); we send at most 1000. */
  fx_established_passive(&f);
  ZT_EQ(fx_info(&f).mss, 1000);
  ZT_EQ(fx_write(&f, 1500), 1500);
  fx_poll(&f);
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK, .len = 1000);
  ack_all(&f);
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK | PSH, .len = 500);
  fx_free(&f);
}

ZT_TEST(test_listen_syn_mss_tiny) {
  struct fx f;
  fx_init(&f, NULL);
  f.peer_syn.mss = 1;               /* clamped up to 64 */
  fx_established_passive(&f);
  ZT_EQ(fx_info(&f).mss, 64);
  fx_free(&f);
}

ZT_TEST(test_listen_syn_no_options) {
  struct fx f;
  fx_init(&f, NULL);
  f.peer_syn.present = 0;
  /* Nothing offered, nothing used: the SYN-ACK has our MSS only. */
  fx_established_passive(&f);
  struct zn_tcp_info i = fx_info(&f);
  ZT_EQ(i.mss, 536);
  ZT_CHECK(!i.ts && !i.sack);
  ZT_EQ(i.snd_wscale, 0);
  ZT_EQ(i.rcv_wscale, 0);
  fx_free(&f);
}

ZT_TEST(test_listen_syn_wscale) {
  struct fx f;
  struct zn_config cfg;
  fx_config(&cfg);
  cfg.tcp_rcvbuf = 1u << 20;        /* our shift: 5 */
  cfg.nbufs = 2048; /* room for the whole window (the stack-wide bound) */
  fx_init(&f, &cfg);
  f.peer_syn.present |= ZN_TCP_OPTF_WS;
  f.peer_syn.wscale = 255;          /* RFC 7323 §2.3: used as 14 */
  fx_syn_received(&f, 0);
  ZT_EQ(f.last.o.wscale, 5);
  ZT_EQ(W_VAL(f.last.win), 65535);  /* never scaled in a SYN */
  SEND(&f, .seq = f.p_nxt, .ack = f.s_nxt, .flags = ACK, .win = W(3));
  struct zn_tcp_info i = fx_info(&f);
  ZT_EQ(i.snd_wscale, 14);
  ZT_EQ(i.rcv_wscale, 5);
  ZT_EQ(i.snd_wnd, 3u << 14);
  /* Our window field is scaled down by 5. */
  data_in(&f, 100);
  fx_run(&f, ZN_MS(40));
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK,
         .win = W((1u << 20) >> 5));
  fx_free(&f);
}

ZT_TEST(test_syn_sent_synack_wscale_unasked) {
  struct fx f;
  struct zn_config cfg;
  fx_config(&cfg);
  cfg.tcp_rcvbuf = 1u << 20;
  fx_init(&f, &cfg);
  /* We offered a shift of 5; the peer's SYN-ACK has none: neither side
   * scales (RFC 7323 §2.2). */
  fx_established_active(&f);
  struct zn_tcp_info i = fx_info(&f);
  ZT_EQ(i.snd_wscale, 0);
  ZT_EQ(i.rcv_wscale, 0);
  ZT_EQ(W_VAL(f.last.win), 65535);
  fx_free(&f);
}

ZT_TEST(test_syn_sent_synack_options) {
  struct fx f;
  fx_init(&f, NULL);
  f.peer_syn.present = ZN_TCP_OPTF_MSS | ZN_TCP_OPTF_WS |
                       ZN_TCP_OPTF_SACK_PERM | ZN_TCP_OPTF_TS;
  f.peer_syn.wscale = 3;
  fx_established_active(&f);       /* the ACK carries TS (fx_expect) */
  struct zn_tcp_info i = fx_info(&f);
  ZT_CHECK(i.ts && i.sack);
  ZT_EQ(i.snd_wscale, 3);
  ZT_EQ(i.mss, 1460);
  ZT_EQ(f.last.o.tsecr, fx_tsval(&f));
  /* Full segments leave room for the timestamps: 1448 bytes. */
  ZT_EQ(fx_write(&f, 2000), 2000);
  fx_poll(&f);
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK, .len = 1448);
  ack_all(&f);
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK | PSH, .len = 552);
  fx_free(&f);
}

ZT_TEST(test_established_paws) {
  struct fx f;
  fx_init(&f, NULL);
  f.peer_syn.present |= ZN_TCP_OPTF_TS;
  fx_established_active(&f);
  f.now += ZN_MS(100);
  data_in(&f, 10);                  /* TS.Recent = now */
  fx_run(&f, ZN_MS(40));
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK,
         .o = {.present = ZN_TCP_OPTF_TS, .tsecr = fx_tsval(&f) - 40});
  uint32_t recent = fx_tsval(&f) - 40;
  /* RFC 7323 §5.3: an older TSval fails PAWS: an ACK, the data dropped,
   * TS.Recent kept. */
  SEND(&f, .seq = f.p_nxt, .ack = f.s_nxt, .flags = ACK, .len = 10,
       .o = {.present = ZN_TCP_OPTF_TS, .tsval = recent - 1,
             .tsecr = f.s_tsval});
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK,
         .o = {.present = ZN_TCP_OPTF_TS, .tsecr = recent});
  ZT_EQ(fx_stat(&f, ZN_STAT_tcp_paws_reject), 1);
  ZT_CHECK(fx_rx_ok(&f, 10));
  /* The same TSval passes (PAWS rejects only older ones). */
  SEND(&f, .seq = f.p_nxt, .ack = f.s_nxt, .flags = ACK, .len = 10,
       .o = {.present = ZN_TCP_OPTF_TS, .tsval = recent,
             .tsecr = f.s_tsval});
  f.p_nxt += 10;
  ZT_CHECK(fx_rx_ok(&f, 20));
  /* A RST is not subject to PAWS (RFC 7323 §5.3 R1). */
  SEND(&f, .seq = f.p_nxt, .flags = RST,
       .o = {.present = ZN_TCP_OPTF_TS, .tsval = recent - 1000});
  EXPECT_STATE(&f, ZN_TCP_CLOSED);
  ZT_STREQ(f.log, "CRRE(ECONNRESET)");
  fx_free(&f);
}

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

ZT_TEST(test_established_data_full_segments) {
  struct fx f;
  fx_init(&f, NULL);
  fx_established(&f);
  /* RFC 5681 §4.2 / RFC 1122: every second full-sized segment is ACKed
   * at once. */
  data_in(&f, 1460);
  EXPECT_NONE(&f);   /* and reading it is no reason to ACK (regression) */
  data_in(&f, 1460);
  /* (The ACK leaves before the app reads the second segment.) */
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK,
         .win = W(8192 - 1460));
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
  /* ... not at RCV.NXT + RCV.WND, nor at RCV.NXT - 1 (a keepalive). */
  SEND(&f, .seq = nxt + 8192, .ack = f.s_nxt, .flags = ACK);
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
  ZT_EQ(f.st->tcp.nused, 0);
  fx_free(&f);
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
  /* The app let go: on_closed now; the slot waits out TIME_WAIT. */
  ZT_STREQ(f.log, "CX");
  ZT_EQ(f.st->tcp.nused, 1);
  fx_run(&f, 2 * ZN_MS(f.cfg.tcp_msl_ms));
  EXPECT_STATE(&f, ZN_TCP_CLOSED);
  ZT_EQ(f.st->tcp.nused, 0);
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
  ZT_EQ(f.st->tcp.nused, 0);
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
  ZT_EQ(f.st->tcp.nused, 0);
  /* The peer's next segment finds no connection. */
  SEND(&f, .seq = f.p_nxt, .ack = f.s_nxt, .flags = ACK, .len = 3);
  EXPECT(&f, .seq = f.s_nxt, .flags = RST);
  fx_free(&f);
}

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
  ZT_EQ(f.st->tcp.nused, 0);
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
  ZT_EQ(f.st->tcp.nused, 0);
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
  ZT_EQ(f.st->tcp.nused, 0);
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
  ZT_EQ(f.st->tcp.nused, 0);
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
  /* §3.10.7.4: CLOSING, LAST_ACK: the RST just closes (no error). */
  EXPECT_STATE(&f, ZN_TCP_CLOSED);
  ZT_STREQ(f.log, "CR");
  fx_close(&f);
  fx_poll(&f);
  ZT_STREQ(f.log, "CRX");
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
  ZT_EQ(f.st->tcp.nused, 1);
  fx_close(&f);
  fx_poll(&f);
  ZT_STREQ(f.log, "CRX");
  ZT_EQ(f.st->tcp.nused, 0);
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
  ZT_EQ(f.st->tcp.nused, 0);
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
  ZT_STREQ(f.log, "CR");
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
  ZT_EQ(f.st->tcp.nused, 0);
  fx_free(&f);
}

/* ================= TIME_WAIT (RFC 1337, 2 MSL) ========================= */

static void time_wait_short(struct fx *f) {
  struct zn_config cfg;
  fx_config(&cfg);
  cfg.tcp_msl_ms = 100;           /* 2 MSL = 200 ms */
  fx_init(f, &cfg);
  fx_time_wait(f);
}

ZT_TEST(test_time_wait_2msl) {
  struct fx f;
  time_wait_short(&f);
  fx_run(&f, ZN_MS(200) - 1);
  EXPECT_STATE(&f, ZN_TCP_TIME_WAIT);
  fx_run(&f, 1);
  EXPECT_STATE(&f, ZN_TCP_CLOSED);
  EXPECT_NONE(&f);
  ZT_EQ(f.st->tcp.ntimewait, 0);
  ZT_STREQ(f.log, "CR");
  fx_close(&f);
  fx_poll(&f);
  ZT_STREQ(f.log, "CRX");
  ZT_EQ(f.st->tcp.nused, 0);
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
  uint32_t old_max = f.s_nxt;
  uint32_t iss2 = f.p_nxt + 100000;
  SEND(&f, .seq = iss2, .flags = SYN, .any_opts = true);
  EXPECT(&f, .any_seq = true, .ack = iss2 + 1, .flags = SYN | ACK,
         .any_opts = true);
  ZT_CHECK(zn__seq_geq(f.last.seq, old_max + 65536));
  EXPECT_STATE(&f, ZN_TCP_SYN_RECEIVED); /* the 4-tuple is the new one now */
  ZT_EQ(f.l->synq_len, 1);         /* the new one waits its handshake */
  ZT_EQ(f.st->tcp.ntimewait, 0);
  fx_free(&f);
}

/* A SYN with FIN set is a scan, not a peer: a listener drops it. */
ZT_TEST(test_listen_syn_fin) {
  struct fx f;
  fx_init(&f, NULL);
  fx_listen(&f, 0);
  SEND(&f, .seq = f.p_iss, .flags = SYN | FIN);
  EXPECT_NONE(&f);
  ZT_EQ(f.st->tcp.nused, 1);
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
  SEND(&f, .seq = f.p_nxt + 10, .flags = SYN);
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = RST | ACK);
  EXPECT_STATE(&f, ZN_TCP_CLOSED);
  ZT_EQ(f.errors, 0);
  ZT_EQ(f.st->tcp.ntimewait, 0);
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

ZT_TEST(test_time_wait_close) {
  struct fx f;
  time_wait_short(&f);
  fx_close(&f);
  fx_poll(&f);
  /* The handle goes now; the slot stays for 2 MSL. */
  ZT_STREQ(f.log, "CRX");
  EXPECT_STATE(&f, ZN_TCP_TIME_WAIT);
  ZT_EQ(f.st->tcp.nused, 1);
  SEND(&f, .seq = f.p_nxt - 1, .ack = f.s_nxt, .flags = FIN | ACK);
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK);
  fx_run(&f, ZN_MS(200));
  ZT_EQ(f.st->tcp.nused, 0);
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
  ZT_EQ(f.st->tcp.nused, 0);
  ZT_EQ(f.st->tcp.ntimewait, 0);
  fx_free(&f);
}

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
   * segment (RFC 8985 §7.3), and it carries the ACK the data was owed. */
  EXPECT(&f, .seq = una + 1460, .ack = f.p_nxt, .flags = ACK | PSH,
         .len = 1460);
  EXPECT_NONE(&f);
  ZT_EQ(fx_info(&f).fast_retransmits, 0);
  ack_all(&f);
  fx_free(&f);
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
  ZT_EQ(c->rtx_mode, ZN__TCP_RTX_OFF);
  ZT_EQ(c->misc_mode, ZN__TCP_MISC_FIN_WAIT_2); /* closed: a time limit */
  SEND(&f, .seq = f.p_nxt, .ack = f.s_nxt, .flags = ACK | FIN);
  f.p_nxt++;
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK);
  EXPECT_STATE(&f, ZN_TCP_TIME_WAIT);
  ZT_EQ(c->misc_mode, ZN__TCP_MISC_TIME_WAIT);
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
  ZT_EQ(f.st->tcp.nused, 0);
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
  /* zn_tcp_close() inside on_readable: the FIN follows the ACK (which
   * left before the app was told). */
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK);
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK | FIN);
  EXPECT_STATE(&f, ZN_TCP_LAST_ACK);
  ZT_STREQ(f.log, "ARR");
  ack_all(&f);
  ZT_STREQ(f.log, "ARRX");
  ZT_EQ(f.st->tcp.nused, 1);      /* the listener */
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
  ZT_EQ(f.st->tcp.nused, 0);
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
  ZT_EQ(f.st->tcp.nused, 1);
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
  ZT_EQ(f.st->tcp.nused, 0);
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
  struct zn_tcp_opts o = {.present = ZN_TCP_OPTF_SACK, .nsack = 1};
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

/* A lost retransmission (tcp_ack.c check_lost_rtx): the resend of the
 * hole at SND.UNA is lost too.  Once the peer SACKs three segments sent
 * after that resend, it goes again, at once, not after a probe or the
 * RTO. */
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
  struct zn_tcp_opts o = {.present = ZN_TCP_OPTF_SACK, .nsack = 1};
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
  /* Two segments of that new data SACKed: not yet proof. */
  o.sack[0].right = fence + 2 * m;
  SEND(&f, .seq = f.p_nxt, .ack = una, .flags = ACK, .o = o);
  ZT_EQ(drain_count_at(&f, una, &fence), 0);
  ZT_EQ(fx_stat(&f, ZN_STAT_tcp_lost_rtx), 0);
  /* Three: the resend was lost; again. */
  o.sack[0].right = fence + 3 * m;
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

/* Quick ACKs (cfg.tcp_quickacks): after out-of-order data, in-order
 * segments are ACKed one by one; with 0, every second one (RFC 5681). */
static void quickack_case(uint32_t quickacks, int want_acks) {
  struct fx f;
  struct zn_config cfg;
  fx_config(&cfg);
  cfg.tcp_quickacks = quickacks;
  fx_init(&f, &cfg);
  fx_established(&f);
  /* A hole of 100 bytes, then filled: ACKed at once either way. */
  SEND(&f, .seq = f.p_nxt + 100, .ack = f.s_nxt, .flags = ACK, .len = 1000);
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK, .any_opts = true);
  data_in(&f, 100);
  f.p_nxt += 1000;
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK, .any_opts = true);
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
  ZT_EQ(f.st->tcp.nused, 1);
  fx_free(&f);
}

/* ================= the matrix ==========================================
 * Every synchronized state against every segment class of tcp_fsm.rl
 * that a peer can send there (and ABORT): RST exact / in the window /
 * out of it (RFC 5961 §3.2, RFC 1337), SYN in and out of the window
 * (RFC 5961 §4.2), an ACK above SND.NXT or below SND.UNA - MAX.SND.WND
 * (§5.2; in SYN_RECEIVED a bad ACK is answered <SEQ=SEG.ACK><RST>), text
 * out of the window, text without ACK, and with RFC 5961 off the RFC 793
 * in-window RST and SYN; and at the window's edges (RCV.WND is 8192): a
 * bare ACK or one byte at the last acceptable sequence number RCV.NXT +
 * RCV.WND - 1, the same one beyond, a bare ACK at RCV.NXT - 1 (a
 * keepalive's), and text wholly before RCV.NXT (an old duplicate).  One
 * named test per cell, from the table below: what the stack answers,
 * whether the connection goes, and what the app hears. */

enum cell_ev {
  ev_rst_exact, ev_rst_in, ev_rst_out, ev_syn_in, ev_syn_out, ev_ack_above,
  ev_ack_below, ev_text_out, ev_text_noack, ev_rst_in_rfc793,
  ev_syn_in_rfc793, ev_user_abort, ev_ack_last, ev_ack_beyond,
  ev_ack_before, ev_text_last, ev_text_beyond, ev_text_old
};
enum cell_reply {
  R_NONE,        /* nothing */
  R_ACK,         /* <SEQ=SND.NXT><ACK=RCV.NXT><ACK> (challenge / dup ACK) */
  R_RST_SEGACK,  /* <SEQ=SEG.ACK><RST> */
  R_RST_SEGACK_UNA, /* the same, for SEG.ACK = SND.UNA */
  R_RST_ACK,     /* <SEQ=SND.NXT><ACK=RCV.NXT><RST,ACK> */
  R_RST          /* <SEQ=SND.NXT><RST> (ABORT) */
};
struct cell_want {
  enum cell_reply reply;
  bool closed;        /* CLOSED after, else the same state */
  const char *log;    /* callbacks after */
};

static void to_syn_received(struct fx *f) { fx_syn_received(f, 0); }
static void to_established(struct fx *f) { fx_established(f); }
static void to_fin_wait_1(struct fx *f) { fx_fin_wait_1(f); }
static void to_fin_wait_2(struct fx *f) { fx_fin_wait_2(f); }
static void to_close_wait(struct fx *f) { fx_close_wait(f); }
static void to_closing(struct fx *f) { fx_closing(f); }
static void to_last_ack(struct fx *f) { fx_last_ack(f); }
static void to_time_wait(struct fx *f) { fx_time_wait(f); }

static void cell(void (*to)(struct fx *), enum cell_ev ev,
                 struct cell_want w) {
  struct fx f;
  struct zn_config cfg;
  fx_config(&cfg);
  cfg.tcp_rfc5961 = !(ev == ev_rst_in_rfc793 || ev == ev_syn_in_rfc793);
  fx_init(&f, &cfg);
  to(&f);
  enum zn_tcp_state before = fx_state(&f);
  size_t log0 = strlen(f.log), nrx0 = f.nrx;
  uint32_t ack = 0;
  uint32_t una = fx_conn(&f)->snd_una; /* an ACK that changes nothing */
  switch (ev) {
  case ev_rst_exact:
    SEND(&f, .seq = f.p_nxt, .flags = RST);
    break;
  case ev_rst_in:
  case ev_rst_in_rfc793:
    SEND(&f, .seq = f.p_nxt + 1, .flags = RST);
    break;
  case ev_rst_out:
    SEND(&f, .seq = f.p_nxt + 8192, .flags = RST);
    break;
  case ev_syn_in:
    SEND(&f, .seq = f.p_nxt, .flags = SYN);
    break;
  case ev_syn_in_rfc793:
    SEND(&f, .seq = f.p_nxt + 1, .flags = SYN);
    break;
  case ev_syn_out:
    SEND(&f, .seq = f.p_nxt + 100000, .flags = SYN);
    break;
  case ev_ack_above:
    ack = f.s_nxt + 1;
    SEND(&f, .seq = f.p_nxt, .ack = ack, .flags = ACK);
    break;
  case ev_ack_below:
    ack = f.s_nxt - 70000;          /* MAX.SND.WND is 65535 */
    SEND(&f, .seq = f.p_nxt, .ack = ack, .flags = ACK);
    break;
  case ev_text_out:
    SEND(&f, .seq = f.p_nxt + 8192 + 100, .ack = f.s_nxt, .flags = ACK,
         .len = 10);
    break;
  case ev_text_noack:
    SEND(&f, .seq = f.p_nxt, .flags = PSH, .len = 10);
    break;
  case ev_user_abort:
    fx_abort(&f);
    fx_poll(&f);
    break;
  case ev_ack_last:
    SEND(&f, .seq = f.p_nxt + 8191, .ack = una, .flags = ACK);
    break;
  case ev_ack_beyond:
    SEND(&f, .seq = f.p_nxt + 8192, .ack = una, .flags = ACK);
    break;
  case ev_ack_before:
    SEND(&f, .seq = f.p_nxt - 1, .ack = una, .flags = ACK);
    break;
  case ev_text_last:
    SEND(&f, .seq = f.p_nxt + 8191, .ack = una, .flags = ACK, .len = 1);
    break;
  case ev_text_beyond:
    SEND(&f, .seq = f.p_nxt + 8192, .ack = una, .flags = ACK, .len = 1);
    break;
  case ev_text_old:
    SEND(&f, .seq = f.p_nxt - 10, .ack = una, .flags = ACK, .len = 10);
    break;
  }
  switch (w.reply) {
  case R_NONE:
    break;
  case R_ACK:
    EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK);
    break;
  case R_RST_SEGACK:
    EXPECT(&f, .seq = ack, .flags = RST);
    break;
  case R_RST_SEGACK_UNA:
    EXPECT(&f, .seq = una, .flags = RST);
    break;
  case R_RST_ACK:
    EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = RST | ACK);
    break;
  case R_RST:
    EXPECT(&f, .seq = f.s_nxt, .flags = RST);
    break;
  }
  EXPECT_NONE(&f);
  EXPECT_STATE(&f, w.closed ? ZN_TCP_CLOSED : before);
  ZT_STREQ(f.log + log0, w.log);
  ZT_EQU(f.nrx, nrx0);              /* no text taken */
  fx_run(&f, ZN_MS(10));
  EXPECT_NONE(&f);
  fx_free(&f);
}

/* CELL(state, event, reply, after, log) defines test_<state>_<event>. */
#define SAME false
#define CLOSED true
#define CELL(st, ev, reply, after, log)                                       \
  ZT_TEST(test_##st##_##ev) {                                                 \
    cell(to_##st, ev_##ev, (struct cell_want){reply, after, log});            \
  }

/*   state        event          reply             after   app hears */

/* SYN_RECEIVED */
CELL(syn_received, rst_exact,     R_NONE,           CLOSED, "")
CELL(syn_received, rst_in,        R_ACK,            SAME,   "")
CELL(syn_received, rst_out,       R_NONE,           SAME,   "")
CELL(syn_received, syn_in,        R_ACK,            SAME,   "")
CELL(syn_received, syn_out,       R_ACK,            SAME,   "")
CELL(syn_received, ack_above,     R_RST_SEGACK,     SAME,   "")
CELL(syn_received, ack_below,     R_RST_SEGACK,     SAME,   "")
CELL(syn_received, text_out,      R_ACK,            SAME,   "")
CELL(syn_received, text_noack,    R_NONE,           SAME,   "")
CELL(syn_received, rst_in_rfc793, R_NONE,           CLOSED, "")
CELL(syn_received, syn_in_rfc793, R_RST_ACK,        CLOSED, "")
CELL(syn_received, ack_last,      R_RST_SEGACK_UNA, SAME,   "")
CELL(syn_received, ack_beyond,    R_ACK,            SAME,   "")
CELL(syn_received, ack_before,    R_ACK,            SAME,   "")
CELL(syn_received, text_last,     R_RST_SEGACK_UNA, SAME,   "")
CELL(syn_received, text_beyond,   R_ACK,            SAME,   "")
CELL(syn_received, text_old,      R_ACK,            SAME,   "")

/* ESTABLISHED */
CELL(established,  rst_exact,     R_NONE,           CLOSED, "E(ECONNRESET)")
CELL(established,  rst_in,        R_ACK,            SAME,   "")
CELL(established,  rst_out,       R_NONE,           SAME,   "")
CELL(established,  syn_in,        R_ACK,            SAME,   "")
CELL(established,  syn_out,       R_ACK,            SAME,   "")
CELL(established,  ack_above,     R_ACK,            SAME,   "")
CELL(established,  ack_below,     R_ACK,            SAME,   "")
CELL(established,  text_out,      R_ACK,            SAME,   "")
CELL(established,  text_noack,    R_NONE,           SAME,   "")
CELL(established,  rst_in_rfc793, R_NONE,           CLOSED, "E(ECONNRESET)")
CELL(established,  syn_in_rfc793, R_RST_ACK,        CLOSED, "E(ECONNRESET)")
CELL(established,  user_abort,    R_RST,            CLOSED, "X")
CELL(established,  ack_last,      R_NONE,           SAME,   "")
CELL(established,  ack_beyond,    R_ACK,            SAME,   "")
CELL(established,  ack_before,    R_ACK,            SAME,   "")
CELL(established,  text_last,     R_ACK,            SAME,   "")
CELL(established,  text_beyond,   R_ACK,            SAME,   "")
CELL(established,  text_old,      R_ACK,            SAME,   "")

/* FIN_WAIT_1 */
CELL(fin_wait_1,   rst_exact,     R_NONE,           CLOSED, "E(ECONNRESET)")
CELL(fin_wait_1,   rst_in,        R_ACK,            SAME,   "")
CELL(fin_wait_1,   rst_out,       R_NONE,           SAME,   "")
CELL(fin_wait_1,   syn_in,        R_ACK,            SAME,   "")
CELL(fin_wait_1,   syn_out,       R_ACK,            SAME,   "")
CELL(fin_wait_1,   ack_above,     R_ACK,            SAME,   "")
CELL(fin_wait_1,   ack_below,     R_ACK,            SAME,   "")
CELL(fin_wait_1,   text_out,      R_ACK,            SAME,   "")
CELL(fin_wait_1,   text_noack,    R_NONE,           SAME,   "")
CELL(fin_wait_1,   rst_in_rfc793, R_NONE,           CLOSED, "E(ECONNRESET)")
CELL(fin_wait_1,   syn_in_rfc793, R_RST_ACK,        CLOSED, "E(ECONNRESET)")
CELL(fin_wait_1,   user_abort,    R_RST,            CLOSED, "X")
CELL(fin_wait_1,   ack_last,      R_NONE,           SAME,   "")
CELL(fin_wait_1,   ack_beyond,    R_ACK,            SAME,   "")
CELL(fin_wait_1,   ack_before,    R_ACK,            SAME,   "")
CELL(fin_wait_1,   text_last,     R_ACK,            SAME,   "")
CELL(fin_wait_1,   text_beyond,   R_ACK,            SAME,   "")
CELL(fin_wait_1,   text_old,      R_ACK,            SAME,   "")

/* FIN_WAIT_2 */
CELL(fin_wait_2,   rst_exact,     R_NONE,           CLOSED, "E(ECONNRESET)")
CELL(fin_wait_2,   rst_in,        R_ACK,            SAME,   "")
CELL(fin_wait_2,   rst_out,       R_NONE,           SAME,   "")
CELL(fin_wait_2,   syn_in,        R_ACK,            SAME,   "")
CELL(fin_wait_2,   syn_out,       R_ACK,            SAME,   "")
CELL(fin_wait_2,   ack_above,     R_ACK,            SAME,   "")
CELL(fin_wait_2,   ack_below,     R_ACK,            SAME,   "")
CELL(fin_wait_2,   text_out,      R_ACK,            SAME,   "")
CELL(fin_wait_2,   text_noack,    R_NONE,           SAME,   "")
CELL(fin_wait_2,   rst_in_rfc793, R_NONE,           CLOSED, "E(ECONNRESET)")
CELL(fin_wait_2,   syn_in_rfc793, R_RST_ACK,        CLOSED, "E(ECONNRESET)")
CELL(fin_wait_2,   user_abort,    R_RST,            CLOSED, "X")
CELL(fin_wait_2,   ack_last,      R_NONE,           SAME,   "")
CELL(fin_wait_2,   ack_beyond,    R_ACK,            SAME,   "")
CELL(fin_wait_2,   ack_before,    R_ACK,            SAME,   "")
CELL(fin_wait_2,   text_last,     R_ACK,            SAME,   "")
CELL(fin_wait_2,   text_beyond,   R_ACK,            SAME,   "")
CELL(fin_wait_2,   text_old,      R_ACK,            SAME,   "")

/* CLOSE_WAIT */
CELL(close_wait,   rst_exact,     R_NONE,           CLOSED, "E(ECONNRESET)")
CELL(close_wait,   rst_in,        R_ACK,            SAME,   "")
CELL(close_wait,   rst_out,       R_NONE,           SAME,   "")
CELL(close_wait,   syn_in,        R_ACK,            SAME,   "")
CELL(close_wait,   syn_out,       R_ACK,            SAME,   "")
CELL(close_wait,   ack_above,     R_ACK,            SAME,   "")
CELL(close_wait,   ack_below,     R_ACK,            SAME,   "")
CELL(close_wait,   text_out,      R_ACK,            SAME,   "")
CELL(close_wait,   text_noack,    R_NONE,           SAME,   "")
CELL(close_wait,   rst_in_rfc793, R_NONE,           CLOSED, "E(ECONNRESET)")
CELL(close_wait,   syn_in_rfc793, R_RST_ACK,        CLOSED, "E(ECONNRESET)")
CELL(close_wait,   user_abort,    R_RST,            CLOSED, "X")
CELL(close_wait,   ack_last,      R_NONE,           SAME,   "")
CELL(close_wait,   ack_beyond,    R_ACK,            SAME,   "")
CELL(close_wait,   ack_before,    R_ACK,            SAME,   "")
CELL(close_wait,   text_last,     R_NONE,           SAME,   "")
CELL(close_wait,   text_beyond,   R_ACK,            SAME,   "")
CELL(close_wait,   text_old,      R_ACK,            SAME,   "")

/* CLOSING */
CELL(closing,      rst_exact,     R_NONE,           CLOSED, "")
CELL(closing,      rst_in,        R_ACK,            SAME,   "")
CELL(closing,      rst_out,       R_NONE,           SAME,   "")
CELL(closing,      syn_in,        R_ACK,            SAME,   "")
CELL(closing,      syn_out,       R_ACK,            SAME,   "")
CELL(closing,      ack_above,     R_ACK,            SAME,   "")
CELL(closing,      ack_below,     R_ACK,            SAME,   "")
CELL(closing,      text_out,      R_ACK,            SAME,   "")
CELL(closing,      text_noack,    R_NONE,           SAME,   "")
CELL(closing,      rst_in_rfc793, R_NONE,           CLOSED, "")
CELL(closing,      syn_in_rfc793, R_RST_ACK,        CLOSED, "E(ECONNRESET)")
CELL(closing,      user_abort,    R_RST,            CLOSED, "X")
CELL(closing,      ack_last,      R_NONE,           SAME,   "")
CELL(closing,      ack_beyond,    R_ACK,            SAME,   "")
CELL(closing,      ack_before,    R_ACK,            SAME,   "")
CELL(closing,      text_last,     R_NONE,           SAME,   "")
CELL(closing,      text_beyond,   R_ACK,            SAME,   "")
CELL(closing,      text_old,      R_ACK,            SAME,   "")

/* LAST_ACK */
CELL(last_ack,     rst_exact,     R_NONE,           CLOSED, "")
CELL(last_ack,     rst_in,        R_ACK,            SAME,   "")
CELL(last_ack,     rst_out,       R_NONE,           SAME,   "")
CELL(last_ack,     syn_in,        R_ACK,            SAME,   "")
CELL(last_ack,     syn_out,       R_ACK,            SAME,   "")
CELL(last_ack,     ack_above,     R_ACK,            SAME,   "")
CELL(last_ack,     ack_below,     R_ACK,            SAME,   "")
CELL(last_ack,     text_out,      R_ACK,            SAME,   "")
CELL(last_ack,     text_noack,    R_NONE,           SAME,   "")
CELL(last_ack,     rst_in_rfc793, R_NONE,           CLOSED, "")
CELL(last_ack,     syn_in_rfc793, R_RST_ACK,        CLOSED, "E(ECONNRESET)")
CELL(last_ack,     user_abort,    R_RST,            CLOSED, "X")
CELL(last_ack,     ack_last,      R_NONE,           SAME,   "")
CELL(last_ack,     ack_beyond,    R_ACK,            SAME,   "")
CELL(last_ack,     ack_before,    R_ACK,            SAME,   "")
CELL(last_ack,     text_last,     R_NONE,           SAME,   "")
CELL(last_ack,     text_beyond,   R_ACK,            SAME,   "")
CELL(last_ack,     text_old,      R_ACK,            SAME,   "")

/* TIME_WAIT */
CELL(time_wait,    rst_exact,     R_NONE,           SAME,   "")
CELL(time_wait,    rst_in,        R_NONE,           SAME,   "")
CELL(time_wait,    rst_out,       R_NONE,           SAME,   "")
CELL(time_wait,    syn_in,        R_ACK,            SAME,   "")
CELL(time_wait,    syn_out,       R_ACK,            SAME,   "")
CELL(time_wait,    ack_above,     R_ACK,            SAME,   "")
CELL(time_wait,    ack_below,     R_ACK,            SAME,   "")
CELL(time_wait,    text_out,      R_ACK,            SAME,   "")
CELL(time_wait,    text_noack,    R_NONE,           SAME,   "")
CELL(time_wait,    rst_in_rfc793, R_NONE,           SAME,   "")
CELL(time_wait,    syn_in_rfc793, R_RST_ACK,        CLOSED, "")
CELL(time_wait,    user_abort,    R_NONE,           CLOSED, "X")
CELL(time_wait,    ack_last,      R_NONE,           SAME,   "")
CELL(time_wait,    ack_beyond,    R_ACK,            SAME,   "")
CELL(time_wait,    ack_before,    R_ACK,            SAME,   "")
CELL(time_wait,    text_last,     R_NONE,           SAME,   "")
CELL(time_wait,    text_beyond,   R_ACK,            SAME,   "")
CELL(time_wait,    text_old,      R_ACK,            SAME,   "")

/* ================= random segments ===================================== */

static uint32_t rnd(uint32_t *x) {
  *x ^= *x << 13;
  *x ^= *x >> 17;
  *x ^= *x << 5;
  return *x;
}

static void to_listen(struct fx *f) { fx_listen(f, 0); }
static void to_syn_sent(struct fx *f) { fx_syn_sent(f); }

/* Seeded random segments near the windows in every state: the classifier
 * never produces an event the chart calls impossible, nothing leaks, and
 * the stack never answers a RST. */
ZT_TEST(test_any_state_random_segments) {
  void (*to[])(struct fx *) = {to_listen,     to_syn_sent,   to_syn_received,
                               to_established, to_fin_wait_1, to_fin_wait_2,
                               to_close_wait, to_closing,    to_last_ack,
                               to_time_wait};
  static const uint8_t fl[] = {0,         ACK,       SYN,       RST,
                               FIN,       SYN | ACK, RST | ACK, FIN | ACK,
                               PSH | ACK, SYN | FIN, SYN | RST, FIN | RST};
  uint32_t x = 2463534242u;
  for (size_t s = 0; s < sizeof(to) / sizeof(to[0]); s++) {
    for (int run = 0; run < 4; run++) {
      struct fx f;
      struct zn_config cfg;
      fx_config(&cfg);
      cfg.tcp_rfc5961 = run != 3;
      fx_init(&f, &cfg);
      f.peer_syn.present |= run & 1 ? ZN_TCP_OPTF_TS : 0;
      to[s](&f);
      for (int k = 0; k < 200; k++) {
        uint32_t r = rnd(&x);
        uint8_t flags = fl[r % sizeof(fl)];
        uint32_t seq = f.p_nxt + (rnd(&x) % 20000) - 10000;
        uint32_t ack = f.s_nxt + (rnd(&x) % 140000) - 70000;
        if (r & 0x100)
          ack = f.s_nxt - (r >> 9) % 3;
        if (r & 0x200)
          seq = f.p_nxt + (r >> 12) % 3;
        size_t len = r & 0x400 ? 0 : (r >> 16) % 40;
        SEND(&f, .seq = seq, .ack = ack, .flags = flags, .len = len,
             .no_ts = (r & 0x800) != 0);
        while (fx_pop(&f, __FILE__, __LINE__))
          if ((flags & RST) && (f.last.flags & RST))
            zt_fail(__FILE__, __LINE__, "a RST answered a RST (%s, k %d)",
                    zn_tcp_state_name((int)fx_state(&f)), k);
        if (k % 50 == 49)
          fx_run(&f, ZN_MS(300));
        while (fx_pop(&f, __FILE__, __LINE__))
          ;
      }
      ZT_EQU(zn_stat(f.st, ZN_STAT_tcp_impossible), 0);
      fx_free(&f);
    }
  }
}

int main(void) {
  ZT_RUN(test_closed_syn);
  ZT_RUN(test_closed_ack);
  ZT_RUN(test_closed_rst);
  ZT_RUN(test_listen_rst);
  ZT_RUN(test_listen_ack);
  ZT_RUN(test_listen_synack);
  ZT_RUN(test_listen_noack);
  ZT_RUN(test_listen_syn);
  ZT_RUN(test_listen_syn_data);
  ZT_RUN(test_listen_close);
  ZT_RUN(test_listen_close_acceptq);
  ZT_RUN(test_syn_sent_synack);
  ZT_RUN(test_syn_sent_synack_data_fin);
  ZT_RUN(test_syn_sent_badack);
  ZT_RUN(test_syn_sent_rst_badack);
  ZT_RUN(test_syn_sent_rst_noack);
  ZT_RUN(test_syn_sent_rst);
  ZT_RUN(test_syn_sent_syn);
  ZT_RUN(test_syn_sent_noack);
  ZT_RUN(test_syn_sent_close);
  ZT_RUN(test_syn_sent_abort);
  ZT_RUN(test_syn_sent_shutdown);
  ZT_RUN(test_syn_sent_timeout);
  ZT_RUN(test_syn_sent_icmp_port_unreach);
  ZT_RUN(test_syn_sent_icmp_host_unreach);
  ZT_RUN(test_syn_received_ack);
  ZT_RUN(test_syn_received_ack_data);
  ZT_RUN(test_syn_received_accept_later);
  ZT_RUN(test_syn_received_badack);
  ZT_RUN(test_syn_received_rst);
  ZT_RUN(test_syn_received_rst_inwin);
  ZT_RUN(test_syn_received_syn_dup);
  ZT_RUN(test_syn_received_syn_inwin);
  ZT_RUN(test_syn_received_syn_rfc793);
  ZT_RUN(test_syn_received_unacceptable);
  ZT_RUN(test_syn_received_noack);
  ZT_RUN(test_syn_received_fin);
  ZT_RUN(test_syn_received_timeout);
  ZT_RUN(test_syn_received_acceptq_full);
  ZT_RUN(test_syn_received_simul_rst);
  ZT_RUN(test_syn_received_simul_timeout);
  ZT_RUN(test_syn_received_simul_abort);
  ZT_RUN(test_syn_received_simul_close);
  ZT_RUN(test_syn_received_simul_data_fin);
  ZT_RUN(test_listen_syn_cookie);
  ZT_RUN(test_listen_syn_cookie_nots);
  ZT_RUN(test_listen_syn_flood_leaves_room_for_cookies);
  ZT_RUN(test_listen_syn_cookie_forged);
  ZT_RUN(test_listen_syn_cookie_old);
  ZT_RUN(test_listen_syn_cookie_acceptq_full);
  ZT_RUN(test_listen_syn_table_full);
  ZT_RUN(test_syn_sent_synack_mss_default);
  ZT_RUN(test_syn_sent_mtu);
  ZT_RUN(test_listen_syn_mss_clamp);
  ZT_RUN(test_listen_syn_mss_tiny);
  ZT_RUN(test_listen_syn_no_options);
  ZT_RUN(test_listen_syn_wscale);
  ZT_RUN(test_syn_sent_synack_wscale_unasked);
  ZT_RUN(test_syn_sent_synack_options);
  ZT_RUN(test_established_paws);
  ZT_RUN(test_established_data);
  ZT_RUN(test_established_data_full_segments);
  ZT_RUN(test_established_data_window_edges);
  ZT_RUN(test_established_zero_window);
  ZT_RUN(test_established_data_past_window);
  ZT_RUN(test_established_noack);
  ZT_RUN(test_established_write);
  ZT_RUN(test_established_rst);
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
  ZT_RUN(test_time_wait_close);
  ZT_RUN(test_time_wait_abort);
  ZT_RUN(test_syn_received_ack_rtt_sample);
  ZT_RUN(test_time_wait_syn_reopen);
  ZT_RUN(test_listen_syn_fin);
  ZT_RUN(test_established_rto_initial);
  ZT_RUN(test_established_rto_srtt);
  ZT_RUN(test_established_rto_min);
  ZT_RUN(test_established_karn);
  ZT_RUN(test_established_rto_after_syn_loss);
  ZT_RUN(test_established_rtx_giveup);
  ZT_RUN(test_established_fast_retransmit);
  ZT_RUN(test_established_dupack_data);
  ZT_RUN(test_established_persist);
  ZT_RUN(test_established_persist_unanswered);
  ZT_RUN(test_established_persist_answered_forever);
  ZT_RUN(test_established_persist_window_update_lost);
  ZT_RUN(test_established_small_window);
  ZT_RUN(test_timer_modes);
  ZT_RUN(test_established_keepalive);
  ZT_RUN(test_established_keepalive_data);
  ZT_RUN(test_fin_wait_2_keepalive_after_shutdown);
  ZT_RUN(test_established_delack_piggyback);
  ZT_RUN(test_established_delack_hole);
  ZT_RUN(test_established_nagle);
  ZT_RUN(test_established_nodelay);
  ZT_RUN(test_established_writable);
  ZT_RUN(test_established_icmp_frag_needed);
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
  ZT_RUN(test_established_sack_sender);
  ZT_RUN(test_established_sack_lost_retransmission);
  ZT_RUN(test_established_quickack);
  ZT_RUN(test_established_timestamps);
  ZT_RUN(test_listen_syn_options_off);
  ZT_RUN(test_syn_sent_options_off);
  ZT_RUN(test_established_newreno_partial_ack);
  ZT_RUN(test_syn_received_accept_close);
  ZT_RUN(test_syn_received_rst_exact);
  ZT_RUN(test_syn_received_rst_in);
  ZT_RUN(test_syn_received_rst_out);
  ZT_RUN(test_syn_received_syn_in);
  ZT_RUN(test_syn_received_syn_out);
  ZT_RUN(test_syn_received_ack_above);
  ZT_RUN(test_syn_received_ack_below);
  ZT_RUN(test_syn_received_text_out);
  ZT_RUN(test_syn_received_text_noack);
  ZT_RUN(test_syn_received_rst_in_rfc793);
  ZT_RUN(test_syn_received_syn_in_rfc793);
  ZT_RUN(test_syn_received_ack_last);
  ZT_RUN(test_syn_received_ack_beyond);
  ZT_RUN(test_syn_received_ack_before);
  ZT_RUN(test_syn_received_text_last);
  ZT_RUN(test_syn_received_text_beyond);
  ZT_RUN(test_syn_received_text_old);
  ZT_RUN(test_established_rst_exact);
  ZT_RUN(test_established_rst_in);
  ZT_RUN(test_established_rst_out);
  ZT_RUN(test_established_syn_in);
  ZT_RUN(test_established_syn_out);
  ZT_RUN(test_established_ack_above);
  ZT_RUN(test_established_ack_below);
  ZT_RUN(test_established_text_out);
  ZT_RUN(test_established_text_noack);
  ZT_RUN(test_established_rst_in_rfc793);
  ZT_RUN(test_established_syn_in_rfc793);
  ZT_RUN(test_established_user_abort);
  ZT_RUN(test_established_ack_last);
  ZT_RUN(test_established_ack_beyond);
  ZT_RUN(test_established_ack_before);
  ZT_RUN(test_established_text_last);
  ZT_RUN(test_established_text_beyond);
  ZT_RUN(test_established_text_old);
  ZT_RUN(test_fin_wait_1_rst_exact);
  ZT_RUN(test_fin_wait_1_rst_in);
  ZT_RUN(test_fin_wait_1_rst_out);
  ZT_RUN(test_fin_wait_1_syn_in);
  ZT_RUN(test_fin_wait_1_syn_out);
  ZT_RUN(test_fin_wait_1_ack_above);
  ZT_RUN(test_fin_wait_1_ack_below);
  ZT_RUN(test_fin_wait_1_text_out);
  ZT_RUN(test_fin_wait_1_text_noack);
  ZT_RUN(test_fin_wait_1_rst_in_rfc793);
  ZT_RUN(test_fin_wait_1_syn_in_rfc793);
  ZT_RUN(test_fin_wait_1_user_abort);
  ZT_RUN(test_fin_wait_1_ack_last);
  ZT_RUN(test_fin_wait_1_ack_beyond);
  ZT_RUN(test_fin_wait_1_ack_before);
  ZT_RUN(test_fin_wait_1_text_last);
  ZT_RUN(test_fin_wait_1_text_beyond);
  ZT_RUN(test_fin_wait_1_text_old);
  ZT_RUN(test_fin_wait_2_rst_exact);
  ZT_RUN(test_fin_wait_2_rst_in);
  ZT_RUN(test_fin_wait_2_rst_out);
  ZT_RUN(test_fin_wait_2_syn_in);
  ZT_RUN(test_fin_wait_2_syn_out);
  ZT_RUN(test_fin_wait_2_ack_above);
  ZT_RUN(test_fin_wait_2_ack_below);
  ZT_RUN(test_fin_wait_2_text_out);
  ZT_RUN(test_fin_wait_2_text_noack);
  ZT_RUN(test_fin_wait_2_rst_in_rfc793);
  ZT_RUN(test_fin_wait_2_syn_in_rfc793);
  ZT_RUN(test_fin_wait_2_user_abort);
  ZT_RUN(test_fin_wait_2_ack_last);
  ZT_RUN(test_fin_wait_2_ack_beyond);
  ZT_RUN(test_fin_wait_2_ack_before);
  ZT_RUN(test_fin_wait_2_text_last);
  ZT_RUN(test_fin_wait_2_text_beyond);
  ZT_RUN(test_fin_wait_2_text_old);
  ZT_RUN(test_close_wait_rst_exact);
  ZT_RUN(test_close_wait_rst_in);
  ZT_RUN(test_close_wait_rst_out);
  ZT_RUN(test_close_wait_syn_in);
  ZT_RUN(test_close_wait_syn_out);
  ZT_RUN(test_close_wait_ack_above);
  ZT_RUN(test_close_wait_ack_below);
  ZT_RUN(test_close_wait_text_out);
  ZT_RUN(test_close_wait_text_noack);
  ZT_RUN(test_close_wait_rst_in_rfc793);
  ZT_RUN(test_close_wait_syn_in_rfc793);
  ZT_RUN(test_close_wait_user_abort);
  ZT_RUN(test_close_wait_ack_last);
  ZT_RUN(test_close_wait_ack_beyond);
  ZT_RUN(test_close_wait_ack_before);
  ZT_RUN(test_close_wait_text_last);
  ZT_RUN(test_close_wait_text_beyond);
  ZT_RUN(test_close_wait_text_old);
  ZT_RUN(test_closing_rst_exact);
  ZT_RUN(test_closing_rst_in);
  ZT_RUN(test_closing_rst_out);
  ZT_RUN(test_closing_syn_in);
  ZT_RUN(test_closing_syn_out);
  ZT_RUN(test_closing_ack_above);
  ZT_RUN(test_closing_ack_below);
  ZT_RUN(test_closing_text_out);
  ZT_RUN(test_closing_text_noack);
  ZT_RUN(test_closing_rst_in_rfc793);
  ZT_RUN(test_closing_syn_in_rfc793);
  ZT_RUN(test_closing_user_abort);
  ZT_RUN(test_closing_ack_last);
  ZT_RUN(test_closing_ack_beyond);
  ZT_RUN(test_closing_ack_before);
  ZT_RUN(test_closing_text_last);
  ZT_RUN(test_closing_text_beyond);
  ZT_RUN(test_closing_text_old);
  ZT_RUN(test_last_ack_rst_exact);
  ZT_RUN(test_last_ack_rst_in);
  ZT_RUN(test_last_ack_rst_out);
  ZT_RUN(test_last_ack_syn_in);
  ZT_RUN(test_last_ack_syn_out);
  ZT_RUN(test_last_ack_ack_above);
  ZT_RUN(test_last_ack_ack_below);
  ZT_RUN(test_last_ack_text_out);
  ZT_RUN(test_last_ack_text_noack);
  ZT_RUN(test_last_ack_rst_in_rfc793);
  ZT_RUN(test_last_ack_syn_in_rfc793);
  ZT_RUN(test_last_ack_user_abort);
  ZT_RUN(test_last_ack_ack_last);
  ZT_RUN(test_last_ack_ack_beyond);
  ZT_RUN(test_last_ack_ack_before);
  ZT_RUN(test_last_ack_text_last);
  ZT_RUN(test_last_ack_text_beyond);
  ZT_RUN(test_last_ack_text_old);
  ZT_RUN(test_time_wait_rst_exact);
  ZT_RUN(test_time_wait_rst_in);
  ZT_RUN(test_time_wait_rst_out);
  ZT_RUN(test_time_wait_syn_in);
  ZT_RUN(test_time_wait_syn_out);
  ZT_RUN(test_time_wait_ack_above);
  ZT_RUN(test_time_wait_ack_below);
  ZT_RUN(test_time_wait_text_out);
  ZT_RUN(test_time_wait_text_noack);
  ZT_RUN(test_time_wait_rst_in_rfc793);
  ZT_RUN(test_time_wait_syn_in_rfc793);
  ZT_RUN(test_time_wait_user_abort);
  ZT_RUN(test_time_wait_ack_last);
  ZT_RUN(test_time_wait_ack_beyond);
  ZT_RUN(test_time_wait_ack_before);
  ZT_RUN(test_time_wait_text_last);
  ZT_RUN(test_time_wait_text_beyond);
  ZT_RUN(test_time_wait_text_old);
  ZT_RUN(test_any_state_random_segments);
  return zt_done();
}
