/*
 * TCP per state and event, against a scripted peer (tcp_fixture.h):
 * opening a connection: segments for no connection (RFC 9293 §3.10.7.1),
 * LISTEN (§3.10.7.2), SYN_SENT (§3.10.7.3), SYN_RECEIVED, SYN cookies and
 * the options agreed in the handshake.
 *
 * One of the state tests split from test_tcp_states.c along its sections
 * (tcp_fixture.h says how they work).  Named test_<state>_<event>; every
 * test ends with fx_free(), which checks that every segment the stack
 * sent was looked at, nothing leaked and tcp_impossible is still 0.
 */
#include "tcp_fixture.h"

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
  ZT_EQ(ZN__MOD(f.st, tcp)->nused, 1);
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
  ZT_EQ(ZN__MOD(f.st, tcp)->nused, 1);
  fx_free(&f);
}

ZT_TEST(test_listen_synack) {
  struct fx f;
  fx_init(&f, NULL);
  fx_listen(&f, 0);
  SEND(&f, .seq = 5, .ack = 99, .flags = SYN | ACK);
  EXPECT(&f, .seq = 99, .flags = RST);
  ZT_EQ(ZN__MOD(f.st, tcp)->nused, 1);
  fx_free(&f);
}

ZT_TEST(test_listen_noack) {
  struct fx f;
  fx_init(&f, NULL);
  fx_listen(&f, 0);
  SEND(&f, .seq = 5, .flags = 0, .len = 10);  /* text, no ACK: dropped */
  SEND(&f, .seq = 5, .flags = FIN);
  EXPECT_NONE(&f);
  ZT_EQ(ZN__MOD(f.st, tcp)->nused, 1);
  fx_free(&f);
}

ZT_TEST(test_listen_syn) {
  struct fx f;
  fx_init(&f, NULL);
  f.peer_syn.present = ZN_TCP_OPTF_MSS | ZN_TCP_OPTF_WS |
                       ZN_TCP_OPTF_SACK_PERM | ZN_TCP_OPTF_TS;
  f.peer_syn.wscale = 7;
  fx_syn_received(&f, 0);  /* SYN-ACK with the options offered */
  ZT_EQ(ZN__MOD(f.st, tcp)->nused, 2);
  ZT_EQ(f.l->synq_len, 1);
  ZT_EQ(f.log[0], 0);      /* nothing for the app yet */
  struct zn_tcp_info i = fx_info(&f);
  ZT_CHECK(i.ts && i.sack);
  ZT_EQ(i.snd_wscale, 7);
  ZT_EQ(i.snd_wnd, 65535); /* a SYN's window is never scaled */
  fx_free(&f);
}

/* A held listener (zn_tcp_set_held) drops each SYN unanswered, keeps
 * nothing, counts it; let go, the same SYN sent again is answered.
 * Only a listener can be held. */
ZT_TEST(test_listen_held) {
  struct fx f;
  fx_init(&f, NULL);
  fx_listen(&f, 0);
  ZT_EQ(zn_tcp_set_held(f.l, true), ZN_OK);
  SEND(&f, .seq = f.p_iss, .flags = SYN);
  EXPECT_NONE(&f);
  ZT_EQ(ZN__MOD(f.st, tcp)->nused, 1);
  ZT_EQ(f.l->synq_len, 0);
  ZT_EQ(fx_stat(&f, ZN_STAT_tcp_drop_held_syn), 1);
  ZT_EQ(zn_tcp_set_held(f.l, false), ZN_OK);
  SEND(&f, .seq = f.p_iss, .flags = SYN);
  EXPECT(&f, .any_seq = true, .ack = f.p_iss + 1, .flags = SYN | ACK,
         .any_opts = true);
  ZT_EQ(f.l->synq_len, 1);
  ZT_EQ(fx_stat(&f, ZN_STAT_tcp_drop_held_syn), 1);
  SEND(&f, .seq = f.p_iss + 1, .ack = f.last.seq + 1, .flags = ACK);
  EXPECT_STATE(&f, ZN_TCP_ESTABLISHED);
  ZT_CHECK(f.c != NULL && f.c != f.l);
  ZT_EQ(zn_tcp_set_held(f.c, true), ZN_EINVAL);
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
  ZT_EQ(ZN__MOD(f.st, tcp)->nused, 0);
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
  ZT_EQ(ZN__MOD(f.st, tcp)->nused, 0);
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
  ZT_EQ(ZN__MOD(f.st, tcp)->nused, 0);
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
  ZT_EQ(ZN__MOD(f.st, tcp)->nused, 0);
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
  ZT_EQ(ZN__MOD(f.st, tcp)->nused, 0);
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
  ZT_EQ(ZN__MOD(f.st, tcp)->nused, 0);
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

/* "Administratively prohibited" (net 9, host 10, communication 13): a
 * filter's refusal ends the attempt as port unreachable does. */
ZT_TEST(test_syn_sent_icmp_prohibited) {
  const uint8_t codes[] = {9, 10, ZN_ICMP_UNREACH_ADMIN};
  for (size_t k = 0; k < sizeof(codes); k++) {
    struct fx f;
    fx_init(&f, NULL);
    fx_syn_sent(&f);
    fx_icmp(&f, ZN_ICMP_DEST_UNREACH, codes[k], 0, f.iss);
    EXPECT_NONE(&f);
    EXPECT_STATE(&f, ZN_TCP_CLOSED);
    ZT_EQ(f.last_err, ZN_ECONNREFUSED);
    fx_close(&f);
    fx_free(&f);
  }
}

/* RFC 5461 (cfg.tcp_soft_error_abort, the default): a soft error that
 * quotes our SYN ends the attempt with the error it names. */
ZT_TEST(test_syn_sent_icmp_soft_error_aborts) {
  static const struct {
    uint8_t type, code;
    int err;
  } cases[] = {
      {ZN_ICMP_DEST_UNREACH, ZN_ICMP_UNREACH_NET, ZN_ENETUNREACH},
      {ZN_ICMP_DEST_UNREACH, ZN_ICMP_UNREACH_HOST, ZN_EHOSTUNREACH},
      {ZN_ICMP_TIME_EXCEEDED, 0, ZN_EHOSTUNREACH}, /* TTL in transit */
  };
  for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
    struct fx f;
    fx_init(&f, NULL);
    fx_syn_sent(&f);
    /* A quote of a sequence number not in flight is ignored (RFC 5927). */
    fx_icmp(&f, cases[k].type, cases[k].code, 0, f.iss + 1);
    EXPECT_STATE(&f, ZN_TCP_SYN_SENT);
    ZT_EQ(f.errors, 0);
    fx_icmp(&f, cases[k].type, cases[k].code, 0, f.iss);
    EXPECT_NONE(&f); /* no RST: the peer never answered */
    EXPECT_STATE(&f, ZN_TCP_CLOSED);
    ZT_EQ(f.last_err, cases[k].err);
    ZT_EQ(fx_stat(&f, ZN_STAT_tcp_soft_error_abort), 1);
    fx_close(&f);
    fx_poll(&f);
    ZT_EQ(ZN__MOD(f.st, tcp)->nused, 0);
    fx_free(&f);
  }
}

/* With cfg.tcp_soft_error_abort off, RFC 1122 §4.2.3.9 as written. */
ZT_TEST(test_syn_sent_icmp_host_unreach) {
  struct fx f;
  struct zn_config cfg;
  fx_config(&cfg);
  cfg.tcp_syn_retries = 1;
  cfg.tcp_soft_error_abort = false;
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
  ZT_EQ(ZN__MOD(f.st, tcp)->nused, 1);
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
  ZT_EQ(ZN__MOD(f.st, tcp)->nused, 1);
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
  struct zn_tcp_seg_opts o = fx_peer_syn_opts(&f);
  fx_syn_received(&f, 0);
  /* The peer's SYN again (our SYN-ACK was lost): the SYN-ACK again, as
   * Linux does (tcp_check_req); a bare ACK would leave a peer in
   * SYN_SENT waiting for our retransmission timer (regression).  It
   * echoes the first SYN's TSval: TS.Recent moves only with acceptable
   * segments (Linux too). */
  struct zn_tcp_seg_opts again = o;
  f.now += ZN_MS(200);
  again.tsval = fx_tsval(&f);
  SEND(&f, .seq = f.p_iss, .flags = SYN, .o = again);
  EXPECT(&f, .seq = f.iss, .ack = f.p_nxt, .flags = SYN | ACK,
         .o = fx_synack_opts(&f, &o));
  EXPECT_STATE(&f, ZN_TCP_SYN_RECEIVED);
  ZT_EQ(ZN__MOD(f.st, tcp)->nused, 2);
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
  ZT_EQ(ZN__MOD(f.st, tcp)->nused, 1);
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
  ZT_EQ(ZN__MOD(f.st, tcp)->nused, 1);
  /* The SYN queue has room again (regression: the slot stayed taken, and
   * with backlog 1 every later SYN got a cookie). */
  ZT_EQ(f.l->synq_len, 0);
  f.pport++;
  SEND(&f, .seq = f.p_iss, .flags = SYN);
  EXPECT(&f, .any_seq = true, .ack = f.p_iss + 1, .flags = SYN | ACK,
         .any_opts = true);
  ZT_EQ(ZN__MOD(f.st, tcp)->nused, 2);
  ZT_EQ(fx_stat(&f, ZN_STAT_tcp_syncookie_tx), 0);
  ZT_STREQ(f.log, "");
  fx_free(&f);
}

ZT_TEST(test_syn_received_acceptq_full) {
  struct fx f;
  fx_init(&f, NULL);
  f.auto_accept = false;
  fx_syn_received(&f, 2);
  SEND(&f, .seq = f.p_nxt, .ack = f.s_nxt, .flags = ACK);
  ZT_EQ(f.l->acq_len, 1);
  /* Two more handshakes begin while one place is left. */
  uint16_t port1 = f.pport;
  uint32_t iss[2];
  for (int k = 0; k < 2; k++) {
    f.pport = (uint16_t)(port1 + 1 + k);
    SEND(&f, .seq = f.p_iss, .flags = SYN);
    EXPECT(&f, .any_seq = true, .ack = f.p_iss + 1, .flags = SYN | ACK,
           .any_opts = true);
    iss[k] = f.last.seq;
  }
  ZT_EQ(fx_stat(&f, ZN_STAT_tcp_syncookie_tx), 0);
  f.pport = (uint16_t)(port1 + 1);
  SEND(&f, .seq = f.p_iss + 1, .ack = iss[0] + 1, .flags = ACK);
  EXPECT_STATE(&f, ZN_TCP_ESTABLISHED);
  ZT_EQ(f.l->acq_len, 2);
  /* The last ACK of the third finds the queue full: dropped (Linux,
   * tcp_abort_on_overflow off); it stays half-open. */
  f.pport = (uint16_t)(port1 + 2);
  SEND(&f, .seq = f.p_iss + 1, .ack = iss[1] + 1, .flags = ACK);
  EXPECT_NONE(&f);
  EXPECT_STATE(&f, ZN_TCP_SYN_RECEIVED);
  ZT_EQ(fx_stat(&f, ZN_STAT_tcp_drop_acceptq), 1);
  /* A new SYN while the queue is full is dropped, as Linux's
   * tcp_conn_request: no SYN-ACK, no cookie, nothing kept. */
  f.pport = (uint16_t)(port1 + 3);
  SEND(&f, .seq = f.p_iss, .flags = SYN);
  EXPECT_NONE(&f);
  EXPECT_STATE(&f, ZN_TCP_CLOSED);
  ZT_EQ(fx_stat(&f, ZN_STAT_tcp_drop_acceptq_syn), 1);
  ZT_EQ(fx_stat(&f, ZN_STAT_tcp_syncookie_tx), 0);
  ZT_EQ(ZN__MOD(f.st, tcp)->nused, 4);
  /* The app takes the first; the peer's ACK again completes the third. */
  struct zn_tcp_conn *c1;
  f.in_api++;
  ZT_EQ(zn_tcp_accept(f.l, &c1), ZN_OK);
  f.in_api--;
  fx_new_handle(&f, c1);
  f.pport = (uint16_t)(port1 + 2);
  SEND(&f, .seq = f.p_iss + 1, .ack = iss[1] + 1, .flags = ACK);
  EXPECT_STATE(&f, ZN_TCP_ESTABLISHED);
  ZT_EQ(f.l->acq_len, 2);
  ZT_STREQ(f.log, "AAA");
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
  ZT_EQ(ZN__MOD(f.st, tcp)->nused, 0);
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
  ZT_EQ(ZN__MOD(f.st, tcp)->nused, 0);
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
static void cookie_synack(struct fx *f, struct zn_tcp_seg_opts peer) {
  fx_syn_received(f, 1);
  ZT_EQ(ZN__MOD(f->st, tcp)->nused, 2);
  f->pport = FX_PEER_PORT + 1;
  f->peer_syn = peer;
  struct zn_tcp_seg_opts o = fx_peer_syn_opts(f);
  SEND(f, .seq = f->p_iss, .flags = SYN, .o = o);
  struct zn_tcp_seg_opts a = fx_synack_opts(f, &o);
  if (!(o.present & ZN_TCP_OPTF_TS)) /* a cookie carries MSS only */
    a.present &= (uint8_t)~(ZN_TCP_OPTF_WS | ZN_TCP_OPTF_SACK_PERM);
  EXPECT(f, .any_seq = true, .ack = f->p_iss + 1, .flags = SYN | ACK,
         .o = a, .win = W(fx_syn_win(f)));
  f->iss = f->last.seq;
  f->s_nxt = f->iss + 1;
  f->p_nxt = f->p_iss + 1;
  f->ts = (a.present & ZN_TCP_OPTF_TS) != 0;
  ZT_EQ(ZN__MOD(f->st, tcp)->nused, 2); /* nothing kept */
  ZT_EQ(fx_stat(f, ZN_STAT_tcp_syncookie_tx), 1);
  EXPECT_STATE(f, ZN_TCP_CLOSED);
}

ZT_TEST(test_listen_syn_cookie) {
  struct fx f;
  fx_init(&f, NULL);
  struct zn_tcp_seg_opts p = {.present = ZN_TCP_OPTF_MSS | ZN_TCP_OPTF_WS |
                                         ZN_TCP_OPTF_SACK_PERM | ZN_TCP_OPTF_TS,
                              .mss = 1400,
                              .wscale = 7};
  cookie_synack(&f, p);
  /* The ACK brings the cookie back: ESTABLISHED, in the accept queue,
   * with the MSS (rounded down the cookie's table), wscale and SACK. */
  SEND(&f, .seq = f.p_nxt, .ack = f.s_nxt, .flags = ACK, .win = W(100));
  EXPECT_NONE(&f);
  EXPECT_STATE(&f, ZN_TCP_ESTABLISHED);
  ZT_EQ(fx_stat(&f, ZN_STAT_tcp_syncookie_ok), 1);
  ZT_EQ(ZN__MOD(f.st, tcp)->nused, 3);
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
  ZT_EQ(ZN__MOD(f.st, tcp)->nused, 6); /* the listener and five half-open */
  ZT_EQ(fx_stat(&f, ZN_STAT_tcp_syncookie_tx), 5);
  /* The last SYN's peer is real: its cookie comes back and is taken. */
  f.iss = f.last.seq;
  f.s_nxt = f.iss + 1;
  f.p_nxt = f.p_iss + 1;
  SEND(&f, .seq = f.p_nxt, .ack = f.s_nxt, .flags = ACK);
  EXPECT_NONE(&f);
  ZT_EQ(fx_stat(&f, ZN_STAT_tcp_syncookie_ok), 1);
  ZT_EQ(ZN__MOD(f.st, tcp)->nused, 7);
  fx_free(&f);
}

ZT_TEST(test_listen_syn_cookie_nots) {
  struct fx f;
  fx_init(&f, NULL);
  struct zn_tcp_seg_opts p = {.present = ZN_TCP_OPTF_MSS | ZN_TCP_OPTF_WS |
                                         ZN_TCP_OPTF_SACK_PERM,
                              .mss = 1000,
                              .wscale = 7};
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
  ZT_EQ(ZN__MOD(f.st, tcp)->nused, 2);
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
  ZT_EQ(ZN__MOD(f.st, tcp)->nused, 1);
  fx_free(&f);
}

ZT_TEST(test_listen_syn_cookie_acceptq_full) {
  struct fx f;
  fx_init(&f, NULL);
  f.auto_accept = false;
  fx_syn_received(&f, 1);                                  /* half-open */
  f.pport++;
  SEND(&f, .seq = f.p_iss, .flags = SYN);                  /* a cookie */
  EXPECT(&f, .any_seq = true, .ack = f.p_iss + 1, .flags = SYN | ACK,
         .any_opts = true);
  ZT_EQ(fx_stat(&f, ZN_STAT_tcp_syncookie_tx), 1);
  uint32_t cookie = f.last.seq;
  f.pport--;
  SEND(&f, .seq = f.p_nxt, .ack = f.s_nxt, .flags = ACK);  /* queued */
  ZT_EQ(f.l->acq_len, 1);
  /* The cookie's good ACK finds the accept queue full: dropped, no RST. */
  f.pport++;
  SEND(&f, .seq = f.p_iss + 1, .ack = cookie + 1, .flags = ACK);
  EXPECT_NONE(&f);
  ZT_EQ(fx_stat(&f, ZN_STAT_tcp_drop_acceptq), 1);
  ZT_EQ(fx_stat(&f, ZN_STAT_tcp_syncookie_ok), 0);
  ZT_EQ(ZN__MOD(f.st, tcp)->nused, 2);
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
  ZT_EQ(ZN__MOD(f.st, tcp)->nused, 2);
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
  ZT_EQ(ZN__MOD(f.st, tcp)->nused, 2);
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

int main(void) {
  ZT_RUN(test_closed_syn);
  ZT_RUN(test_closed_ack);
  ZT_RUN(test_closed_rst);
  ZT_RUN(test_listen_rst);
  ZT_RUN(test_listen_ack);
  ZT_RUN(test_listen_synack);
  ZT_RUN(test_listen_noack);
  ZT_RUN(test_listen_syn);
  ZT_RUN(test_listen_held);
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
  ZT_RUN(test_syn_sent_icmp_prohibited);
  ZT_RUN(test_syn_sent_icmp_soft_error_aborts);
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
  return zt_done();
}
