/*
 * TCP per state and event, against a scripted peer (tcp_fixture.h):
 * the matrix of every synchronized state against every segment class,
 * and random segments in every state.
 *
 * One of the state tests split from test_tcp_states.c along its sections
 * (tcp_fixture.h says how they work).  Named test_<state>_<event>; every
 * test ends with fx_free(), which checks that every segment the stack
 * sent was looked at, nothing leaked and tcp_impossible is still 0.
 */
#include "tcp_fixture.h"

/* ================= the matrix ==========================================
 * Every synchronized state against every segment class of tcp_fsm.rl
 * that a peer can send there (and ABORT): RST exact / in the window /
 * out of it (RFC 5961 §3.2, RFC 1337), SYN in and out of the window
 * (RFC 5961 §4.2), an ACK above SND.NXT or below SND.UNA - MAX.SND.WND
 * (§5.2; in SYN_RECEIVED a bad ACK is answered <SEQ=SEG.ACK><RST>), text
 * out of the window, text without ACK, and with RFC 5961 off the RFC 793
 * in-window RST and SYN; and at the window's edges (RCV.WND is 8192): a
 * bare ACK or one byte at the last acceptable sequence number RCV.NXT +
 * RCV.WND - 1, one byte at RCV.NXT + RCV.WND and a bare ACK one past
 * it (a bare ACK at the edge itself is taken, as Linux and BSD take it:
 * tcp_in_sync.c bare_ack_at_edge), a bare ACK at RCV.NXT - 1 (a
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
    SEND(&f, .seq = f.p_nxt + 8193, .ack = una, .flags = ACK);
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
CELL(closing,      rst_exact,     R_NONE,           CLOSED, "E(ECONNRESET)")
CELL(closing,      rst_in,        R_ACK,            SAME,   "")
CELL(closing,      rst_out,       R_NONE,           SAME,   "")
CELL(closing,      syn_in,        R_ACK,            SAME,   "")
CELL(closing,      syn_out,       R_ACK,            SAME,   "")
CELL(closing,      ack_above,     R_ACK,            SAME,   "")
CELL(closing,      ack_below,     R_ACK,            SAME,   "")
CELL(closing,      text_out,      R_ACK,            SAME,   "")
CELL(closing,      text_noack,    R_NONE,           SAME,   "")
CELL(closing,      rst_in_rfc793, R_NONE,           CLOSED, "E(ECONNRESET)")
CELL(closing,      syn_in_rfc793, R_RST_ACK,        CLOSED, "E(ECONNRESET)")
CELL(closing,      user_abort,    R_RST,            CLOSED, "X")
CELL(closing,      ack_last,      R_NONE,           SAME,   "")
CELL(closing,      ack_beyond,    R_ACK,            SAME,   "")
CELL(closing,      ack_before,    R_ACK,            SAME,   "")
CELL(closing,      text_last,     R_NONE,           SAME,   "")
CELL(closing,      text_beyond,   R_ACK,            SAME,   "")
CELL(closing,      text_old,      R_ACK,            SAME,   "")

/* LAST_ACK */
CELL(last_ack,     rst_exact,     R_NONE,           CLOSED, "E(ECONNRESET)")
CELL(last_ack,     rst_in,        R_ACK,            SAME,   "")
CELL(last_ack,     rst_out,       R_NONE,           SAME,   "")
CELL(last_ack,     syn_in,        R_ACK,            SAME,   "")
CELL(last_ack,     syn_out,       R_ACK,            SAME,   "")
CELL(last_ack,     ack_above,     R_ACK,            SAME,   "")
CELL(last_ack,     ack_below,     R_ACK,            SAME,   "")
CELL(last_ack,     text_out,      R_ACK,            SAME,   "")
CELL(last_ack,     text_noack,    R_NONE,           SAME,   "")
CELL(last_ack,     rst_in_rfc793, R_NONE,           CLOSED, "E(ECONNRESET)")
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
CELL(time_wait,    ack_last,      R_ACK,            SAME,   "")
CELL(time_wait,    ack_beyond,    R_ACK,            SAME,   "")
CELL(time_wait,    ack_before,    R_ACK,            SAME,   "")
CELL(time_wait,    text_last,     R_ACK,            SAME,   "")
CELL(time_wait,    text_beyond,   R_ACK,            SAME,   "")
CELL(time_wait,    text_old,      R_ACK,            SAME,   "")

/* ================= the chart's S_ACK ===================================
 * tcp_in_sync.c hands S_ACK (an acceptable ACK of no FIN of ours) to the
 * chart only in SYN_RECEIVED and TIME_WAIT, because in every other
 * synchronized state the chart ignores it.  Run through the chart there
 * all the same, it changes no byte of the connection, counts nothing and
 * sends nothing. */
ZT_TEST(test_chart_ack_ignored) {
  void (*to[])(struct fx *) = {to_established, to_fin_wait_1, to_fin_wait_2,
                               to_close_wait,  to_closing,    to_last_ack};
  static struct zn_tcp_conn before; /* (big: not on the stack) */
  for (size_t i = 0; i < sizeof(to) / sizeof(to[0]); i++) {
    struct fx f;
    fx_init(&f, NULL);
    to[i](&f);
    struct zn_tcp_conn *c = fx_conn(&f);
    struct zn_stats stats0 = f.st->stats;
    struct zn__tcp_seg seg = {.seq = c->rcv_nxt, .ack = c->snd_una,
                              .flags = ACK, .wnd = 65535};
    memcpy(&before, c, sizeof(before));
    zn__tcp_fsm(c, ZN__EV_S_ACK, &seg);
    ZT_CHECK(memcmp(&before, c, sizeof(before)) == 0);
    ZT_CHECK(memcmp(&stats0, &f.st->stats, sizeof(stats0)) == 0);
    fx_poll(&f);
    EXPECT_NONE(&f);
    fx_free(&f);
  }
}

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
  ZT_RUN(test_chart_ack_ignored);
  ZT_RUN(test_any_state_random_segments);
  return zt_done();
}
