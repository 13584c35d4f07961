/*
 * ECN for TCP (RFC 3168, src/tcp/tcp_ecn.c): the handshake against a
 * scripted peer (tcp_fixture.h) for each setting of cfg.tcp_ecn, what
 * goes out ECT(0) and what does not, the receiver's echo (CE until CWR)
 * and the sender's answer (one cut per window, CWR once); then two
 * stacks, IPv4 and IPv6, over a link whose fault injector marks CE.
 */
#include "../proto/proto6_util.h"
#include "tcp_fixture.h"
#include "znet/fault.h"

#define ECE ZN_TCP_ECE
#define CWR ZN_TCP_CWR
#define NOT_ECT ZN_IP_ECN_NOT_ECT
#define ECT0 ZN_IP_ECN_ECT0
#define CE ZN_IP_ECN_CE

static void ecn_config(struct zn_config *cfg, uint8_t mode) {
  fx_config(cfg);
  cfg->tcp_ecn = mode;
}

/* LISTEN -> SYN_RECEIVED with the peer's SYN carrying syn_flags (SYN and
 * perhaps ECE, CWR); the SYN-ACK must carry synack_ecn (0 or ECE). */
static void syn_received(struct fx *f, uint8_t syn_flags, uint8_t synack_ecn) {
  fx_listen(f, 0);
  struct zn_tcp_seg_opts o = fx_peer_syn_opts(f);
  SEND(f, .seq = f->p_iss, .flags = syn_flags, .o = o);
  f->p_nxt = f->p_iss + 1;
  struct zn_tcp_seg_opts a = fx_synack_opts(f, &o);
  if (!EXPECT(f, .any_seq = true, .ack = f->p_nxt,
              .flags = (uint8_t)(SYN | ACK | synack_ecn), .o = a))
    return;
  ZT_EQ(f->last_ecn, NOT_ECT); /* §6.1.1: never ECT on a SYN-ACK */
  f->iss = f->last.seq;
  f->s_nxt = f->iss + 1;
  EXPECT_STATE(f, ZN_TCP_SYN_RECEIVED);
}

static void established_passive(struct fx *f, uint8_t syn_flags,
                                uint8_t synack_ecn) {
  syn_received(f, syn_flags, synack_ecn);
  SEND(f, .seq = f->p_nxt, .ack = f->s_nxt, .flags = ACK);
  EXPECT_NONE(f);
  EXPECT_STATE(f, ZN_TCP_ESTABLISHED);
}

/* CLOSED -> SYN_SENT: our SYN must carry syn_ecn (0 or ECE|CWR). */
static void syn_sent(struct fx *f, uint8_t syn_ecn) {
  f->in_api++;
  ZT_EQ(
      zn_tcp_connect(f->st, TH_IP(FX_PEER_IP), FX_SRV_PORT, &fx_cbs, f, &f->c),
      ZN_OK);
  f->in_api--;
  fx_new_handle(f, f->c);
  f->pport = FX_SRV_PORT;
  fx_poll(f);
  if (!fx_pop(f, __FILE__, __LINE__)) {
    zt_fail(__FILE__, __LINE__, "no SYN");
    return;
  }
  f->lport = f->last.sport;
  f->iss = f->last.seq;
  f->s_nxt = f->iss + 1;
  ZT_EQ(f->last.flags, SYN | syn_ecn);
  ZT_EQ(f->last_ecn, NOT_ECT); /* §6.1.1: never ECT on a SYN */
}

/* SYN_SENT -> ESTABLISHED: the peer's SYN-ACK with synack_ecn. */
static void established_active(struct fx *f, uint8_t synack_ecn) {
  SEND(f, .seq = f->p_iss, .ack = f->iss + 1,
       .flags = (uint8_t)(SYN | ACK | synack_ecn), .o = fx_peer_syn_opts(f));
  f->p_nxt = f->p_iss + 1;
  EXPECT(f, .seq = f->iss + 1, .ack = f->p_nxt, .flags = ACK);
  ZT_EQ(f->last_ecn, NOT_ECT);
  EXPECT_STATE(f, ZN_TCP_ESTABLISHED);
}

/* An ECN connection, active (cfg ON, an ECN-setup SYN-ACK). */
static void ecn_established(struct fx *f) {
  struct zn_config cfg;
  ecn_config(&cfg, ZN_TCP_ECN_ON);
  fx_init(f, &cfg);
  syn_sent(f, ECE | CWR);
  established_active(f, ECE);
  ZT_CHECK(fx_info(f).ecn);
}

/* Write n bytes and expect them as one segment, ECN field ecn, with the
 * ECN flags given. */
static void data_out(struct fx *f, size_t n, uint8_t flags, uint8_t ecn) {
  ZT_EQ(fx_write(f, n), (long)n);
  fx_poll(f);
  EXPECT(f, .seq = f->s_nxt, .ack = f->p_nxt,
         .flags = (uint8_t)(ACK | PSH | flags), .len = n);
  ZT_EQ(f->last_ecn, ecn);
}

/* ================= the handshake (§6.1.1) ================= */

/* The default (PASSIVE) answers an ECN-setup SYN with an ECN-setup
 * SYN-ACK (ECE, not CWR); ECN is in use once established. */
ZT_TEST(test_listen_ecn_setup_syn_answered) {
  struct fx f;
  fx_init(&f, NULL);
  ZT_EQ(f.cfg.tcp_ecn, ZN_TCP_ECN_PASSIVE);
  established_passive(&f, SYN | ECE | CWR, ECE);
  ZT_CHECK(fx_info(&f).ecn);
  ZT_EQ(fx_stat(&f, ZN_STAT_tcp_ecn_negotiated), 1);
  data_out(&f, 100, 0, ECT0);
  ZT_EQ(fx_stat(&f, ZN_STAT_tcp_ecn_ect_tx), 1);
  ack_all(&f);
  fx_free(&f);
}

/* A SYN that does not set both ECE and CWR is no ECN-setup SYN: a plain
 * SYN-ACK, no ECN. */
ZT_TEST(test_listen_non_setup_syn_plain) {
  static const uint8_t syns[] = {SYN, SYN | ECE, SYN | CWR};
  for (size_t i = 0; i < sizeof(syns); i++) {
    struct fx f;
    fx_init(&f, NULL);
    established_passive(&f, syns[i], 0);
    ZT_CHECK(!fx_info(&f).ecn);
    data_out(&f, 100, 0, NOT_ECT);
    ack_all(&f);
    ZT_EQ(fx_stat(&f, ZN_STAT_tcp_ecn_negotiated), 0);
    fx_free(&f);
  }
}

/* OFF never answers; ON answers as PASSIVE does. */
ZT_TEST(test_listen_ecn_off_on) {
  struct fx f;
  struct zn_config cfg;
  ecn_config(&cfg, ZN_TCP_ECN_OFF);
  fx_init(&f, &cfg);
  established_passive(&f, SYN | ECE | CWR, 0);
  ZT_CHECK(!fx_info(&f).ecn);
  data_out(&f, 10, 0, NOT_ECT);
  ack_all(&f);
  fx_free(&f);
  ecn_config(&cfg, ZN_TCP_ECN_ON);
  fx_init(&f, &cfg);
  established_passive(&f, SYN | ECE | CWR, ECE);
  ZT_CHECK(fx_info(&f).ecn);
  fx_free(&f);
}

/* The peer's SYN again, now without ECN setup (it fell back, RFC 3168
 * §6.1.1.1): the SYN-ACK goes again without ECE, and no ECN. */
ZT_TEST(test_syn_received_plain_syn_again_withdraws) {
  struct fx f;
  fx_init(&f, NULL);
  syn_received(&f, SYN | ECE | CWR, ECE);
  SEND(&f, .seq = f.p_iss, .flags = SYN, .o = fx_peer_syn_opts(&f));
  EXPECT(&f, .seq = f.iss, .ack = f.p_nxt, .flags = SYN | ACK,
         .any_opts = true);
  SEND(&f, .seq = f.p_nxt, .ack = f.s_nxt, .flags = ACK);
  EXPECT_STATE(&f, ZN_TCP_ESTABLISHED);
  ZT_CHECK(!fx_info(&f).ecn);
  data_out(&f, 10, 0, NOT_ECT);
  ack_all(&f);
  fx_free(&f);
}

/* A SYN-ACK retransmitted for want of the ACK keeps its ECE. */
ZT_TEST(test_syn_received_synack_rtx_keeps_ece) {
  struct fx f;
  fx_init(&f, NULL);
  syn_received(&f, SYN | ECE | CWR, ECE);
  fx_run(&f, ZN_SEC(1));
  EXPECT(&f, .seq = f.iss, .ack = f.p_nxt, .flags = SYN | ACK | ECE,
         .any_opts = true);
  ZT_EQ(f.last_ecn, NOT_ECT);
  fx_free(&f);
}

/* A client asks only with ON: PASSIVE (the default) and OFF send a plain
 * SYN. */
ZT_TEST(test_connect_asks_only_when_on) {
  static const struct {
    uint8_t mode, syn_ecn;
  } cases[] = {
      {ZN_TCP_ECN_OFF, 0}, {ZN_TCP_ECN_PASSIVE, 0}, {ZN_TCP_ECN_ON, ECE | CWR}};
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    struct fx f;
    struct zn_config cfg;
    ecn_config(&cfg, cases[i].mode);
    fx_init(&f, &cfg);
    syn_sent(&f, cases[i].syn_ecn);
    ZT_EQ(fx_stat(&f, ZN_STAT_tcp_ecn_syn_tx), cases[i].syn_ecn ? 1 : 0);
    fx_free(&f);
  }
}

/* Our ECN-setup SYN: only an ECN-setup SYN-ACK (ECE without CWR) agrees;
 * one without ECE, or with both (a box reflecting our bits, §6.1.1.2),
 * does not. */
ZT_TEST(test_syn_sent_synack_ecn_flags) {
  static const struct {
    uint8_t synack_ecn;
    bool ecn;
  } cases[] = {{ECE, true}, {0, false}, {ECE | CWR, false}, {CWR, false}};
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    struct fx f;
    struct zn_config cfg;
    ecn_config(&cfg, ZN_TCP_ECN_ON);
    fx_init(&f, &cfg);
    syn_sent(&f, ECE | CWR);
    established_active(&f, cases[i].synack_ecn);
    ZT_EQ(fx_info(&f).ecn, cases[i].ecn);
    ZT_EQ(fx_stat(&f, ZN_STAT_tcp_ecn_negotiated), cases[i].ecn ? 1 : 0);
    data_out(&f, 10, 0, cases[i].ecn ? ECT0 : NOT_ECT);
    ack_all(&f);
    fx_free(&f);
  }
}

/* An ECN-setup SYN-ACK to a plain SYN (a peer that should not) agrees on
 * nothing. */
ZT_TEST(test_syn_sent_unasked_ece_ignored) {
  struct fx f;
  fx_init(&f, NULL);
  syn_sent(&f, 0);
  established_active(&f, ECE);
  ZT_CHECK(!fx_info(&f).ecn);
  data_out(&f, 10, 0, NOT_ECT);
  ack_all(&f);
  fx_free(&f);
}

/* §6.1.1.1: the ECN-setup SYN retransmitted goes without ECE and CWR,
 * and so do the later ones.  Having sent such a SYN, the host never sets
 * ECT; but an ECN-setup SYN-ACK (to the first SYN) still obliges it to
 * echo CE (§6.1.1), and an echo it cannot have caused is not answered. */
ZT_TEST(test_syn_sent_retransmitted_without_ecn) {
  struct fx f;
  struct zn_config cfg;
  ecn_config(&cfg, ZN_TCP_ECN_ON);
  fx_init(&f, &cfg);
  syn_sent(&f, ECE | CWR);
  fx_run(&f, ZN_SEC(1));
  EXPECT(&f, .seq = f.iss, .flags = SYN, .any_opts = true);
  fx_run(&f, ZN_SEC(2));
  EXPECT(&f, .seq = f.iss, .flags = SYN, .any_opts = true);
  ZT_EQ(fx_stat(&f, ZN_STAT_tcp_ecn_syn_tx), 1);
  ZT_EQ(fx_stat(&f, ZN_STAT_tcp_ecn_syn_fallback), 1);
  established_active(&f, ECE);
  ZT_CHECK(fx_info(&f).ecn);
  data_out(&f, 10, 0, NOT_ECT);
  SEND(&f, .seq = f.p_nxt, .ack = f.s_nxt, .flags = ACK, .len = 100, .ecn = CE);
  f.p_nxt += 100;
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK | ECE);
  uint32_t cwnd = fx_info(&f).cwnd;
  SEND(&f, .seq = f.p_nxt, .ack = f.s_nxt, .flags = ACK | ECE);
  EXPECT_NONE(&f);
  ZT_EQ(fx_info(&f).cwnd, cwnd);
  ZT_EQ(fx_stat(&f, ZN_STAT_tcp_ecn_cwnd_cut), 0);
  fx_free(&f);
}

/* ================= ECT on new data only (§6.1.4-§6.1.6) ================= */

/* New data ECT(0); its retransmission, pure ACKs, window probes,
 * keepalives, a FIN alone and a RST Not-ECT. */
ZT_TEST(test_established_ect_only_new_data) {
  struct fx f;
  ecn_established(&f);
  data_out(&f, 100, 0, ECT0);
  uint32_t seq = f.s_nxt - 100;
  fx_run(&f, ZN_MS(fx_info(&f).rto_ms)); /* RTO: resent */
  EXPECT(&f, .seq = seq, .ack = f.p_nxt, .flags = ACK | PSH, .len = 100);
  ZT_EQ(f.last_ecn, NOT_ECT);
  ack_all(&f);
  data_in(&f, 10); /* a pure ACK, after the delayed-ACK time */
  fx_run(&f, ZN_MS(f.cfg.tcp_delack_ms));
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK);
  ZT_EQ(f.last_ecn, NOT_ECT);
  /* A window probe. */
  SEND(&f, .seq = f.p_nxt, .ack = f.s_nxt, .flags = ACK, .win = W(0));
  ZT_EQ(fx_write(&f, 100), 100);
  fx_poll(&f);
  EXPECT_NONE(&f);
  fx_run(&f, ZN_MS(fx_info(&f).rto_ms));
  EXPECT(&f, .seq = f.s_nxt - 1, .ack = f.p_nxt, .flags = ACK);
  ZT_EQ(f.last_ecn, NOT_ECT);
  SEND(&f, .seq = f.p_nxt, .ack = f.s_nxt, .flags = ACK);
  /* New data, and the first since the timeout cut the window: CWR. */
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK | PSH | CWR,
         .len = 100);
  ZT_EQ(f.last_ecn, ECT0);
  ack_all(&f);
  /* A keepalive. */
  f.in_api++;
  zn_tcp_set_keepalive(f.c, 1000, 500, 3);
  f.in_api--;
  fx_run(&f, ZN_MS(1000));
  EXPECT(&f, .seq = f.s_nxt - 1, .ack = f.p_nxt, .flags = ACK);
  ZT_EQ(f.last_ecn, NOT_ECT);
  /* A FIN alone, then a RST. */
  ZT_EQ(fx_shutdown(&f), ZN_OK);
  fx_poll(&f);
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = FIN | ACK);
  ZT_EQ(f.last_ecn, NOT_ECT);
  fx_abort(&f);
  fx_poll(&f);
  EXPECT(&f, .seq = f.s_nxt, .flags = RST);
  ZT_EQ(f.last_ecn, NOT_ECT);
  ZT_EQ(fx_stat(&f, ZN_STAT_tcp_ecn_ect_tx), 2);
  fx_free(&f);
}

/* ================= the receiver (§6.1.3) ================= */

/* A CE data segment: ACKed at once with ECE, and every ACK (pure or on
 * data) carries ECE until the peer's CWR; then none. */
ZT_TEST(test_established_ce_echoed_until_cwr) {
  struct fx f;
  fx_init(&f, NULL);
  established_passive(&f, SYN | ECE | CWR, ECE);
  SEND(&f, .seq = f.p_nxt, .ack = f.s_nxt, .flags = ACK, .len = 100, .ecn = CE);
  f.p_nxt += 100;
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK | ECE);
  ZT_EQ(f.last_ecn, NOT_ECT);
  ZT_EQ(fx_stat(&f, ZN_STAT_tcp_ecn_ce_rx), 1);
  /* Unmarked data: its ACK, delayed as usual, still echoes. */
  SEND(&f, .seq = f.p_nxt, .ack = f.s_nxt, .flags = ACK, .len = 100,
       .ecn = ECT0);
  f.p_nxt += 100;
  EXPECT_NONE(&f);
  fx_run(&f, ZN_MS(f.cfg.tcp_delack_ms));
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK | ECE);
  /* So does our data. */
  data_out(&f, 10, ECE, ECT0);
  /* The peer's CWR ends the echo. */
  SEND(&f, .seq = f.p_nxt, .ack = f.s_nxt, .flags = ACK | CWR, .len = 100,
       .ecn = ECT0);
  f.p_nxt += 100;
  fx_run(&f, ZN_MS(f.cfg.tcp_delack_ms));
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK);
  data_out(&f, 10, 0, ECT0);
  ack_all(&f);
  ZT_EQ(fx_stat(&f, ZN_STAT_tcp_ecn_ece_tx), 3);
  ZT_EQ(fx_stat(&f, ZN_STAT_tcp_ecn_cwr_rx), 1);
  fx_free(&f);
}

/* CWR and CE on one segment: the CWR ends the old echo, the CE starts a
 * new one (ACKed at once). */
ZT_TEST(test_established_cwr_with_ce_echoes_again) {
  struct fx f;
  fx_init(&f, NULL);
  established_passive(&f, SYN | ECE | CWR, ECE);
  SEND(&f, .seq = f.p_nxt, .ack = f.s_nxt, .flags = ACK, .len = 10, .ecn = CE);
  f.p_nxt += 10;
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK | ECE);
  SEND(&f, .seq = f.p_nxt, .ack = f.s_nxt, .flags = ACK | CWR, .len = 10,
       .ecn = CE);
  f.p_nxt += 10;
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK | ECE);
  ZT_EQ(fx_stat(&f, ZN_STAT_tcp_ecn_ce_rx), 2);
  fx_free(&f);
}

/* Without ECN agreed, CE is not echoed and ECE not answered. */
ZT_TEST(test_established_no_ecn_marks_ignored) {
  struct fx f;
  fx_init(&f, NULL);
  established_passive(&f, SYN, 0);
  SEND(&f, .seq = f.p_nxt, .ack = f.s_nxt, .flags = ACK, .len = 100, .ecn = CE);
  f.p_nxt += 100;
  fx_run(&f, ZN_MS(f.cfg.tcp_delack_ms));
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK);
  data_out(&f, 100, 0, NOT_ECT);
  uint32_t cwnd = fx_info(&f).cwnd;
  SEND(&f, .seq = f.p_nxt, .ack = f.s_nxt, .flags = ACK | ECE);
  ZT_CHECK(fx_info(&f).cwnd >= cwnd);
  data_out(&f, 10, 0, NOT_ECT);
  ack_all(&f);
  ZT_EQ(fx_stat(&f, ZN_STAT_tcp_ecn_ce_rx) +
            fx_stat(&f, ZN_STAT_tcp_ecn_ece_rx),
        0);
  fx_free(&f);
}

/* ================= the sender (§6.1.2) ================= */

#define SEG 1460u

/* n full segments of new data, each ECT(0), `first` (CWR, or 0) on the
 * first and nothing on the others; PSH on the last if it ends the queue. */
static void segs_out(struct fx *f, unsigned n, uint8_t first, bool psh) {
  for (unsigned i = 0; i < n; i++) {
    uint8_t fl = (uint8_t)(ACK | (i == 0 ? first : 0));
    if (psh && i == n - 1)
      fl |= PSH;
    EXPECT(f, .seq = f->s_nxt, .ack = f->p_nxt, .flags = fl, .len = SEG);
    ZT_EQ(f->last_ecn, ECT0);
  }
}

/* The peer ACKs up to una, with or without ECE. */
static void ack_to(struct fx *f, uint32_t una, bool ece) {
  SEND(f, .seq = f->p_nxt, .ack = una,
       .flags = (uint8_t)(ACK | (ece ? ECE : 0)));
}

/* An echo cuts the window once, through the controller's loss response
 * (flight before the ACK: CUBIC 0.7, NewReno 0.5), without growing it;
 * echoes for the same window (up to and including the ACK of the cut's
 * SND.MAX) change nothing; the first new data after the cut carries CWR,
 * the rest none; an echo once an ACK has passed the cut's SND.MAX cuts
 * again, and CWR follows again. */
static void ece_cuts_once(uint8_t cc) {
  struct fx f;
  ecn_established(&f);
  f.in_api++;
  ZT_EQ(zn_tcp_set_cc(f.c, cc), ZN_OK);
  f.in_api--;
  ZT_EQ(fx_info(&f).cwnd, 10 * SEG);
  ZT_EQ(fx_write(&f, 10 * SEG), (long)(10 * SEG));
  fx_poll(&f);
  uint32_t base = f.s_nxt, high = base + 10 * SEG;
  segs_out(&f, 10, 0, true);
  ack_to(&f, base + 2 * SEG, true);
  EXPECT_NONE(&f);
  struct zn_tcp_info i = fx_info(&f);
  uint32_t want = cc == ZN_TCP_CC_NEWRENO ? 10 * SEG / 2 : 10 * SEG * 7 / 10;
  ZT_EQ(i.ssthresh, want);
  ZT_EQ(i.cwnd, want);
  ZT_EQ(fx_stat(&f, ZN_STAT_tcp_ecn_cwnd_cut), 1);
  ZT_EQ(fx_stat(&f, ZN_STAT_tcp_ecn_ece_rx), 1);
  /* More echoes of the same window: no cut, no growth; what the window
   * lets go of 4 more segments has CWR on the first. */
  ZT_EQ(fx_write(&f, 4 * SEG), (long)(4 * SEG));
  ack_to(&f, base + 4 * SEG, true);
  ZT_EQ(fx_info(&f).cwnd, want);
  unsigned fit = want > 6 * SEG ? (want - 6 * SEG) / SEG : 0;
  if (fit > 4)
    fit = 4;
  segs_out(&f, fit, CWR, fit == 4);
  ack_to(&f, high, true);
  ZT_EQ(fx_info(&f).cwnd, want);
  ZT_EQ(fx_stat(&f, ZN_STAT_tcp_ecn_cwnd_cut), 1);
  segs_out(&f, 4 - fit, fit ? 0 : CWR, true);
  ZT_EQ(fx_stat(&f, ZN_STAT_tcp_ecn_cwr_tx), 1);
  /* Past it: a new cut, and CWR again on the next new data. */
  ack_to(&f, high + SEG, true);
  ZT_EQ(fx_stat(&f, ZN_STAT_tcp_ecn_cwnd_cut), 2);
  ZT_EQ(fx_stat(&f, ZN_STAT_tcp_ecn_ece_rx), 4);
  ack_to(&f, f.s_nxt, false);
  data_out(&f, 10, CWR, ECT0);
  ack_all(&f);
  ZT_EQ(fx_stat(&f, ZN_STAT_tcp_ecn_cwr_tx), 2);
  EXPECT_NONE(&f);
  fx_free(&f);
}

ZT_TEST(test_established_ece_cuts_once_cubic) {
  ece_cuts_once(ZN_TCP_CC_CUBIC);
}
ZT_TEST(test_established_ece_cuts_once_newreno) {
  ece_cuts_once(ZN_TCP_CC_NEWRENO);
}

/* A loss in data sent before an echo's cut is recovered (fast
 * retransmit, not ECT) without a second cut; echoes during recovery cut
 * nothing either. */
ZT_TEST(test_established_loss_after_ece_no_second_cut) {
  struct fx f;
  ecn_established(&f);
  ZT_EQ(fx_write(&f, 10 * SEG), (long)(10 * SEG));
  fx_poll(&f);
  uint32_t base = f.s_nxt;
  segs_out(&f, 10, 0, true);
  ack_to(&f, base + SEG, true);
  uint32_t ssthresh = fx_info(&f).ssthresh;
  for (int k = 0; k < 3; k++) /* the second segment lost */
    ack_to(&f, base + SEG, k == 2);
  EXPECT(&f, .seq = base + SEG, .ack = f.p_nxt, .flags = ACK, .len = SEG);
  ZT_EQ(f.last_ecn, NOT_ECT);
  ZT_EQ(fx_info(&f).fast_retransmits, 1);
  ZT_EQ(fx_info(&f).ssthresh, ssthresh);
  ZT_EQ(fx_stat(&f, ZN_STAT_tcp_ecn_cwnd_cut), 1);
  ack_to(&f, base + 10 * SEG, false);
  while (fx_pop(&f, __FILE__, __LINE__))
    ;
  fx_free(&f);
}

/* Any cut of an ECN sender is followed by CWR (§6.1.2): here a fast
 * retransmit with no echo at all; the retransmission carries none. */
ZT_TEST(test_established_cwr_after_fast_retransmit) {
  struct fx f;
  ecn_established(&f);
  ZT_EQ(fx_write(&f, 4 * SEG), (long)(4 * SEG));
  fx_poll(&f);
  uint32_t base = f.s_nxt;
  segs_out(&f, 4, 0, true);
  for (int k = 0; k < 3; k++)
    ack_to(&f, base, false);
  EXPECT(&f, .seq = base, .ack = f.p_nxt, .flags = ACK, .len = SEG);
  ZT_EQ(f.last_ecn, NOT_ECT);
  ack_to(&f, base + 4 * SEG, false); /* recovery over */
  data_out(&f, 10, CWR, ECT0);
  ack_all(&f);
  data_out(&f, 10, 0, ECT0);
  ack_all(&f);
  ZT_EQ(fx_stat(&f, ZN_STAT_tcp_ecn_cwnd_cut), 0);
  fx_free(&f);
}

/* ... and after a retransmission timeout. */
ZT_TEST(test_established_cwr_after_rto) {
  struct fx f;
  ecn_established(&f);
  data_out(&f, 100, 0, ECT0);
  fx_run(&f, ZN_MS(fx_info(&f).rto_ms));
  EXPECT(&f, .seq = f.s_nxt - 100, .ack = f.p_nxt, .flags = ACK | PSH,
         .len = 100);
  ZT_EQ(f.last_ecn, NOT_ECT);
  ack_all(&f);
  data_out(&f, 10, CWR, ECT0);
  ack_all(&f);
  fx_free(&f);
}

/* ================= two stacks ================= */

static const uint8_t G6_A[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
static const uint8_t G6_B[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 2};

struct duo {
  struct th_pair p;
  struct zn_fault f; /* on a's side of the link */
  struct zn_tcp_conn *l, *srv, *cli;
  int connected, closed;
  size_t srv_rx, cli_rx, cap;
  uint8_t *srv_buf, *cli_buf;
  bool srv_eof, cli_eof;
};

static void duo_accept(struct zn_tcp_conn *l, void *arg) {
  struct duo *d = arg;
  struct zn_tcp_conn *c;
  while (zn_tcp_accept(l, &c) == ZN_OK)
    d->srv = c;
}

static void duo_read(struct zn_tcp_conn *c, uint8_t *buf, size_t cap,
                     size_t *rx, bool *eof) {
  uint8_t tmp[4096];
  long n;
  while ((n = zn_tcp_read(c, tmp, sizeof(tmp))) > 0) {
    if (*rx + (size_t)n <= cap)
      memcpy(buf + *rx, tmp, (size_t)n);
    *rx += (size_t)n;
  }
  if (n == 0)
    *eof = true;
}

static void duo_srv_readable(struct zn_tcp_conn *c, void *arg) {
  struct duo *d = arg;
  duo_read(c, d->srv_buf, d->cap, &d->srv_rx, &d->srv_eof);
}

static void duo_cli_readable(struct zn_tcp_conn *c, void *arg) {
  struct duo *d = arg;
  duo_read(c, d->cli_buf, d->cap, &d->cli_rx, &d->cli_eof);
}

static void duo_connected(struct zn_tcp_conn *c, void *arg) {
  (void)c;
  ((struct duo *)arg)->connected++;
}

static void duo_closed(struct zn_tcp_conn *c, void *arg) {
  (void)c;
  ((struct duo *)arg)->closed++;
}

static const struct zn_tcp_callbacks duo_srv_cbs = {.on_accept = duo_accept,
                                                    .on_readable =
                                                        duo_srv_readable,
                                                    .on_closed = duo_closed};
static const struct zn_tcp_callbacks duo_cli_cbs = {
    .on_connected = duo_connected,
    .on_readable = duo_cli_readable,
    .on_closed = duo_closed};

/* Stacks a (client, mode_a) and b (listening on 80, mode_b), IPv4 or
 * IPv6, a's side of the link behind a fault injector marking CE on
 * ce_ppm of the ECN-capable packets both ways, 5 ms each way. */
static void duo_init(struct duo *d, bool v6, uint8_t mode_a, uint8_t mode_b,
                     uint32_t ce_ppm) {
  memset(d, 0, sizeof(*d));
  struct zn_config ca, cb;
  if (v6) {
    cfg6(&ca, 1);
    cfg6(&cb, 2);
  } else {
    cfg_quiet(&ca, IP_A, 1);
    cfg_quiet(&cb, IP_B, 2);
  }
  ca.nbufs = cb.nbufs = 1024;
  ca.tcp_ecn = mode_a;
  cb.tcp_ecn = mode_b;
  zn_memlink_init(&d->p.link, 0, 1024);
  d->p.a = th_stack_new(&ca);
  d->p.b = th_stack_new(&cb);
  if (!d->p.a || !d->p.b)
    return;
  struct zn_fault_cfg fc = {.seed = 7,
                            .dirs = ZN_FAULT_RX | ZN_FAULT_TX,
                            .ce_ppm = ce_ppm,
                            .delay_ns = ZN_MS(5),
                            .max_held = 4096};
  zn_fault_init(&d->f, &d->p.link.a.nif, &fc);
  zn_stack_attach(d->p.a, &d->f.nif);
  zn_stack_attach(d->p.b, &d->p.link.b.nif);
  if (v6) {
    add6(d->p.a, G6_A, 64);
    add6(d->p.b, G6_B, 64);
  }
  zn_stack_poll(d->p.a, 0);
  zn_stack_poll(d->p.b, 0);
  ZT_EQ(zn_tcp_listen(d->p.b, NULL, 80, 0, &duo_srv_cbs, d, &d->l), ZN_OK);
  struct zn_ip to = v6 ? zn_ip_from_v6(G6_B) : zn_ip_from_v4(IP_B);
  ZT_EQ(zn_tcp_connect(d->p.a, &to, 80, &duo_cli_cbs, d, &d->cli), ZN_OK);
  th_pair_run(&d->p, ZN_MS(100));
}

static void duo_free(struct duo *d) {
  if (d->l)
    zn_tcp_close(d->l);
  th_pair_run(&d->p, ZN_SEC(70));
  ZT_EQ(ZN__MOD(d->p.a, tcp)->nused, 0);
  ZT_EQ(ZN__MOD(d->p.b, tcp)->nused, 0);
  zn_fault_purge(&d->f);
  th_pair_free(&d->p);
  free(d->srv_buf);
  free(d->cli_buf);
}

/* Every pair of settings: ECN is agreed exactly when the client says ON
 * and the server is not OFF, the same on both sides. */
ZT_TEST(test_pair_every_setting) {
  static const uint8_t modes[] = {ZN_TCP_ECN_OFF, ZN_TCP_ECN_ON,
                                  ZN_TCP_ECN_PASSIVE};
  for (size_t i = 0; i < 3; i++) {
    for (size_t j = 0; j < 3; j++) {
      struct duo d;
      duo_init(&d, false, modes[i], modes[j], 0);
      ZT_REQUIRE(d.p.a && d.p.b && d.srv && d.connected == 1);
      bool want = modes[i] == ZN_TCP_ECN_ON && modes[j] != ZN_TCP_ECN_OFF;
      struct zn_tcp_info ia, ib;
      zn_tcp_get_info(d.cli, &ia);
      zn_tcp_get_info(d.srv, &ib);
      if (ia.ecn != want || ib.ecn != want)
        zt_fail(__FILE__, __LINE__, "client %u server %u: ecn %d/%d, not %d",
                modes[i], modes[j], ia.ecn, ib.ecn, want);
      ZT_EQU(zn_stat(d.p.a, ZN_STAT_tcp_ecn_syn_tx),
             modes[i] == ZN_TCP_ECN_ON ? 1 : 0);
      ZT_EQU(zn_stat(d.p.a, ZN_STAT_tcp_ecn_negotiated), want ? 1 : 0);
      ZT_EQU(zn_stat(d.p.b, ZN_STAT_tcp_ecn_negotiated), want ? 1 : 0);
      zn_tcp_close(d.cli);
      zn_tcp_close(d.srv);
      duo_free(&d);
    }
  }
}

/* 1 MiB each way with 2% of the ECN-capable packets marked CE in both
 * directions and none lost: both streams whole, every part of ECN at
 * work on both sides (echo, cut, CWR), and nothing retransmitted. */
static void pair_ce_transfer(bool v6) {
  struct duo d;
  duo_init(&d, v6, ZN_TCP_ECN_ON, ZN_TCP_ECN_PASSIVE, 20000);
  ZT_REQUIRE(d.p.a && d.p.b && d.srv && d.connected == 1);
  size_t n = 1u << 20;
  d.cap = n;
  d.srv_buf = malloc(n);
  d.cli_buf = malloc(n);
  uint8_t *up = malloc(n), *down = malloc(n);
  ZT_REQUIRE(d.srv_buf && d.cli_buf && up && down);
  for (size_t i = 0; i < n; i++) {
    up[i] = (uint8_t)(i * 31 + (i >> 11));
    down[i] = (uint8_t)(i * 17 + (i >> 9) + 3);
  }
  size_t sent = 0, bsent = 0;
  for (int i = 0; i < 100000 && d.closed < 2; i++) {
    if (sent < n) {
      long w = zn_tcp_write(d.cli, up + sent, n - sent);
      sent += w > 0 ? (size_t)w : 0;
      if (sent == n)
        zn_tcp_shutdown(d.cli);
    }
    if (bsent < n) {
      long w = zn_tcp_write(d.srv, down + bsent, n - bsent);
      bsent += w > 0 ? (size_t)w : 0;
      if (bsent == n)
        zn_tcp_shutdown(d.srv);
    }
    if (d.cli_eof && d.srv_eof && sent == n && bsent == n && d.cli) {
      zn_tcp_close(d.cli);
      zn_tcp_close(d.srv);
      d.cli = NULL;
    }
    th_pair_run(&d.p, ZN_MS(1));
  }
  ZT_EQ(d.closed, 2);
  ZT_EQU(d.srv_rx, n);
  ZT_EQU(d.cli_rx, n);
  ZT_CHECK(d.srv_rx == n && memcmp(d.srv_buf, up, n) == 0);
  ZT_CHECK(d.cli_rx == n && memcmp(d.cli_buf, down, n) == 0);
  ZT_CHECK(d.f.stats.ce_marked > 0);
  struct zn_stack *st[2] = {d.p.a, d.p.b};
  for (int k = 0; k < 2; k++) {
    ZT_EQU(zn_stat(st[k], ZN_STAT_tcp_ecn_negotiated), 1);
    ZT_CHECK(zn_stat(st[k], ZN_STAT_tcp_ecn_ect_tx) > 0);
    ZT_CHECK(zn_stat(st[k], ZN_STAT_tcp_ecn_ce_rx) > 0);
    ZT_CHECK(zn_stat(st[k], ZN_STAT_tcp_ecn_ece_tx) > 0);
    ZT_CHECK(zn_stat(st[k], ZN_STAT_tcp_ecn_ece_rx) > 0);
    ZT_CHECK(zn_stat(st[k], ZN_STAT_tcp_ecn_cwnd_cut) > 0);
    ZT_CHECK(zn_stat(st[k], ZN_STAT_tcp_ecn_cwr_tx) > 0);
    ZT_CHECK(zn_stat(st[k], ZN_STAT_tcp_ecn_cwr_rx) > 0);
    ZT_EQU(zn_stat(st[k], ZN_STAT_tcp_rtx), 0);
    /* One cut per window: no more cuts than CWRs sent (each cut owes
     * one; the last may still be owed). */
    ZT_CHECK(zn_stat(st[k], ZN_STAT_tcp_ecn_cwnd_cut) <=
             zn_stat(st[k], ZN_STAT_tcp_ecn_cwr_tx) + 1);
  }
  /* Every CE the link marked arrived, and was counted by its receiver. */
  ZT_EQU(zn_stat(d.p.a, ZN_STAT_tcp_ecn_ce_rx) +
             zn_stat(d.p.b, ZN_STAT_tcp_ecn_ce_rx),
         d.f.stats.ce_marked);
  printf("# %s: %llu CE marked; a: %llu cuts, %llu CWR; b: %llu cuts, "
         "%llu CWR\n",
         v6 ? "IPv6" : "IPv4", (unsigned long long)d.f.stats.ce_marked,
         (unsigned long long)zn_stat(d.p.a, ZN_STAT_tcp_ecn_cwnd_cut),
         (unsigned long long)zn_stat(d.p.a, ZN_STAT_tcp_ecn_cwr_tx),
         (unsigned long long)zn_stat(d.p.b, ZN_STAT_tcp_ecn_cwnd_cut),
         (unsigned long long)zn_stat(d.p.b, ZN_STAT_tcp_ecn_cwr_tx));
  free(up);
  free(down);
  d.cli = NULL;
  duo_free(&d);
}

ZT_TEST(test_pair_ce_marked_ipv4) { pair_ce_transfer(false); }
ZT_TEST(test_pair_ce_marked_ipv6) { pair_ce_transfer(true); }

int main(void) {
  ZT_RUN(test_listen_ecn_setup_syn_answered);
  ZT_RUN(test_listen_non_setup_syn_plain);
  ZT_RUN(test_listen_ecn_off_on);
  ZT_RUN(test_syn_received_plain_syn_again_withdraws);
  ZT_RUN(test_syn_received_synack_rtx_keeps_ece);
  ZT_RUN(test_connect_asks_only_when_on);
  ZT_RUN(test_syn_sent_synack_ecn_flags);
  ZT_RUN(test_syn_sent_unasked_ece_ignored);
  ZT_RUN(test_syn_sent_retransmitted_without_ecn);
  ZT_RUN(test_established_ect_only_new_data);
  ZT_RUN(test_established_ce_echoed_until_cwr);
  ZT_RUN(test_established_cwr_with_ce_echoes_again);
  ZT_RUN(test_established_no_ecn_marks_ignored);
  ZT_RUN(test_established_ece_cuts_once_cubic);
  ZT_RUN(test_established_ece_cuts_once_newreno);
  ZT_RUN(test_established_loss_after_ece_no_second_cut);
  ZT_RUN(test_established_cwr_after_fast_retransmit);
  ZT_RUN(test_established_cwr_after_rto);
  ZT_RUN(test_pair_every_setting);
  ZT_RUN(test_pair_ce_marked_ipv4);
  ZT_RUN(test_pair_ce_marked_ipv6);
  return zt_done();
}
