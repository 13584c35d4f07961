/* The matcher (pd_match.c): a segment that differs from the script in any
 * field the script gives must fail, and each accepted difference
 * (accepted.c) relaxes only its own field.  Then the runner end to end: a
 * script passes against znet, and the same script with one expectation
 * changed fails at that line. */
#include <stdio.h>
#include <string.h>

#include "pd.h"
#include "znet/addr.h"
#include "znet/wire.h"
#include "zt.h"

#define LISN 1000u   /* our ISN in these tests */
#define RISN 50000u  /* the peer's */

static const char *const std_defs[] = {"STANDARD", NULL};

/* The packet of a one-line script. */
static struct pd_pkt pkt(const char *line) {
  struct pd_script s;
  char err[128];
  struct pd_pkt p;
  memset(&p, 0, sizeof(p));
  if (pd_parse(line, std_defs, &s, err, sizeof(err)) != 0 || s.nevents != 1 ||
      s.events[0].kind != PD_E_PKT)
    zt_fail(__FILE__, __LINE__, "cannot parse %s: %s", line, err);
  else
    p = s.events[0].pkt;
  pd_free(&s);
  return p;
}

/* A sent segment; opts: the options as sent (absolute numbers). */
static struct pd_seg seg(uint8_t flags, uint32_t rseq, uint32_t rack,
                         uint16_t win, uint32_t len, const struct pd_opt *o,
                         int no) {
  struct pd_seg g;
  memset(&g, 0, sizeof(g));
  g.flags = flags;
  g.seq = LISN + rseq;
  g.ack = RISN + rack;
  g.win = win;
  g.len = len;
  int n = no ? pd_opts_encode(o, no, g.opts) : 0;
  g.optlen = (uint8_t)(n > 0 ? n : 0);
  return g;
}

static struct pd_map map(void) {
  struct pd_map m;
  memset(&m, 0, sizeof(m));
  m.local_isn = LISN;
  m.remote_isn = RISN;
  m.ts_slack_ms = 5;
  return m;
}

static bool match(const struct pd_pkt *w, const struct pd_seg *g,
                  unsigned accept, unsigned *used) {
  struct pd_map m = map();
  struct pd_match_ctx ctx = {&m, accept, 0, false, 0, false};
  char why[300];
  unsigned u = 0;
  bool ok = pd_match(w, g, &ctx, why, sizeof(why), &u);
  if (used)
    *used = u;
  return ok;
}

#define OPT(k) ((struct pd_opt){.kind = (k)})
#define OPTV(k, v) ((struct pd_opt){.kind = (k), .val = (v)})

ZT_TEST(test_plain_fields) {
  struct pd_pkt w = pkt("0 > F. 1:1(0) ack 2 win 65535\n");
  struct pd_seg g = seg(PD_FIN | PD_ACK, 1, 2, 65535, 0, NULL, 0);
  ZT_CHECK(match(&w, &g, 0, NULL));
  struct pd_seg x = g;
  x.flags = PD_ACK;
  ZT_CHECK(!match(&w, &x, 0, NULL)); /* flags */
  x = g;
  x.seq++;
  ZT_CHECK(!match(&w, &x, 0, NULL)); /* seq */
  x = g;
  x.ack--;
  ZT_CHECK(!match(&w, &x, 0, NULL)); /* ack */
  x = g;
  x.win = 65534;
  ZT_CHECK(!match(&w, &x, 0, NULL)); /* window */
  x = g;
  x.len = 1;
  ZT_CHECK(!match(&w, &x, 0, NULL)); /* payload */
  x = g;
  x.flags |= PD_PSH;
  ZT_CHECK(!match(&w, &x, 0, NULL)); /* PSH counts */
  struct pd_opt nop[4] = {OPT(PD_OPT_NOP), OPT(PD_OPT_NOP), OPT(PD_OPT_NOP),
                          OPT(PD_OPT_NOP)};
  x = seg(PD_FIN | PD_ACK, 1, 2, 65535, 0, nop, 4);
  ZT_CHECK(!match(&w, &x, ~0u, NULL)); /* options where none are */
  /* A line without win or ack does not look at them. */
  w = pkt("0 > S 0:0(0)\n");
  x = seg(PD_SYN, 0, 777, 1234, 0, NULL, 0);
  ZT_CHECK(match(&w, &x, 0, NULL));
  /* "...(0)": any sequence number. */
  w = pkt("0 > S. ...(0) ack 1 win 65535\n");
  x = seg(PD_SYN | PD_ACK, 12345, 1, 65535, 0, NULL, 0);
  ZT_CHECK(match(&w, &x, 0, NULL));
}

ZT_TEST(test_syn_options) {
  struct pd_pkt w =
      pkt("0 > S 0:0(0) win 65535 <mss 1460,nop,wscale 6,sackOK,TS val 100 "
          "ecr 0>\n");
  struct pd_opt same[5] = {OPTV(PD_OPT_MSS, 1460), OPT(PD_OPT_NOP),
                           OPTV(PD_OPT_WS, 6), OPT(PD_OPT_SACKOK),
                           {.kind = PD_OPT_TS, .val = 777, .ecr = 0}};
  struct pd_seg g = seg(PD_SYN, 0, 0, 65535, 0, same, 5);
  unsigned used;
  ZT_CHECK(match(&w, &g, 0, &used)); /* first TSval: any */
  ZT_EQ(used, 0);
  /* znet's layout: <mss,sackOK,TS,nop,wscale 1>. */
  struct pd_opt lin[5] = {OPTV(PD_OPT_MSS, 1460), OPT(PD_OPT_SACKOK),
                          {.kind = PD_OPT_TS, .val = 777, .ecr = 0},
                          OPT(PD_OPT_NOP), OPTV(PD_OPT_WS, 1)};
  g = seg(PD_SYN, 0, 0, 65535, 0, lin, 5);
  ZT_CHECK(!match(&w, &g, 0, NULL));
  ZT_CHECK(!match(&w, &g, PD_ACC_OPT_LAYOUT, NULL)); /* wscale still */
  ZT_CHECK(!match(&w, &g, PD_ACC_SYN_WSCALE, NULL)); /* layout still */
  ZT_CHECK(match(&w, &g, PD_ACC_OPT_LAYOUT | PD_ACC_SYN_WSCALE, &used));
  ZT_EQ(used, PD_ACC_OPT_LAYOUT | PD_ACC_SYN_WSCALE);
  /* No relaxation lets a wrong MSS, a missing or an extra option by. */
  unsigned all = ~0u;
  lin[0].val = 1400;
  g = seg(PD_SYN, 0, 0, 65535, 0, lin, 5);
  ZT_CHECK(!match(&w, &g, all, NULL));
  lin[0].val = 1460;
  lin[1] = OPT(PD_OPT_NOP);
  g = seg(PD_SYN, 0, 0, 65535, 0, lin, 5);
  ZT_CHECK(!match(&w, &g, all, NULL)); /* no sackOK */
  struct pd_opt more[6] = {OPTV(PD_OPT_MSS, 1460), OPT(PD_OPT_SACKOK),
                           {.kind = PD_OPT_TS, .val = 777, .ecr = 0},
                           OPT(PD_OPT_NOP), OPTV(PD_OPT_WS, 1),
                           OPTV(PD_OPT_MSS, 1460)};
  g = seg(PD_SYN, 0, 0, 65535, 0, more, 6);
  ZT_CHECK(!match(&w, &g, all, NULL)); /* two MSS options */
  /* TS ecr is compared exactly. */
  lin[1] = OPT(PD_OPT_SACKOK);
  lin[2].ecr = 5;
  g = seg(PD_SYN, 0, 0, 65535, 0, lin, 5);
  ZT_CHECK(!match(&w, &g, all, NULL));
}

ZT_TEST(test_ts_val) {
  struct pd_pkt w = pkt("0 > . 1:1(0) ack 1 win 100 <nop,nop,TS val 1100 ecr 7>\n");
  struct pd_opt o[3] = {OPT(PD_OPT_NOP), OPT(PD_OPT_NOP),
                        {.kind = PD_OPT_TS, .val = 0, .ecr = 7}};
  struct pd_map m = map();
  m.ts_known = true;
  m.ts_offset = 5000; /* live = script + 5000 */
  m.ts_slack_ms = 10;
  struct pd_match_ctx ctx = {&m, 0, 0, false, 0, false};
  char why[300];
  o[2].val = 6100;
  struct pd_seg g = seg(PD_ACK, 1, 1, 100, 0, o, 3);
  ZT_CHECK(pd_match(&w, &g, &ctx, why, sizeof(why), NULL));
  o[2].val = 6110;
  g = seg(PD_ACK, 1, 1, 100, 0, o, 3);
  ZT_CHECK(pd_match(&w, &g, &ctx, why, sizeof(why), NULL));
  o[2].val = 6111;
  g = seg(PD_ACK, 1, 1, 100, 0, o, 3);
  ZT_CHECK(!pd_match(&w, &g, &ctx, why, sizeof(why), NULL));
  ZT_CHECK(strstr(why, "TS val") != NULL);
  o[2].val = 6100;
  o[2].ecr = 8;
  g = seg(PD_ACK, 1, 1, 100, 0, o, 3);
  ZT_CHECK(!pd_match(&w, &g, &ctx, why, sizeof(why), NULL));
}

ZT_TEST(test_sack) {
  /* Blocks are the peer's numbers: RISN-relative. */
  struct pd_pkt w =
      pkt("0 > . 1:1(0) ack 100 win 65535 <nop,nop,sack 600:700 400:500 "
          "200:300>\n");
  struct pd_opt o[3] = {OPT(PD_OPT_NOP), OPT(PD_OPT_NOP),
                        {.kind = PD_OPT_SACK, .nsack = 3}};
  uint32_t blocks[3][2] = {{600, 700}, {200, 300}, {400, 500}};
  for (int i = 0; i < 3; i++) {
    o[2].sack[i].left = RISN + blocks[i][0];
    o[2].sack[i].right = RISN + blocks[i][1];
  }
  struct pd_seg g = seg(PD_ACK, 1, 100, 65535, 0, o, 3);
  unsigned used;
  ZT_CHECK(!match(&w, &g, 0, NULL));
  ZT_CHECK(match(&w, &g, PD_ACC_SACK_ORDER, &used));
  ZT_EQ(used, PD_ACC_SACK_ORDER);
  /* The first block is never relaxed. */
  o[2].sack[0].left = RISN + 200;
  o[2].sack[0].right = RISN + 300;
  o[2].sack[1].left = RISN + 600;
  o[2].sack[1].right = RISN + 700;
  g = seg(PD_ACK, 1, 100, 65535, 0, o, 3);
  ZT_CHECK(!match(&w, &g, ~0u, NULL));
  /* A block wrong by one byte fails. */
  o[2].sack[0].left = RISN + 600;
  o[2].sack[0].right = RISN + 700;
  o[2].sack[1].left = RISN + 400;
  o[2].sack[1].right = RISN + 501;
  o[2].sack[2].left = RISN + 200;
  o[2].sack[2].right = RISN + 300;
  g = seg(PD_ACK, 1, 100, 65535, 0, o, 3);
  ZT_CHECK(!match(&w, &g, ~0u, NULL));
}

ZT_TEST(test_dsack) {
  /* 1:100 is below the cumulative ACK: a D-SACK block (RFC 2883). */
  struct pd_pkt w = pkt("0 > . 1:1(0) ack 800 win 64901 <nop,nop,sack 1:100>\n");
  struct pd_seg g = seg(PD_ACK, 1, 800, 64901, 0, NULL, 0);
  unsigned used;
  ZT_CHECK(!match(&w, &g, PD_ACC_OPT_LAYOUT, NULL));
  ZT_CHECK(match(&w, &g, PD_ACC_DSACK, &used));
  ZT_EQ(used, PD_ACC_DSACK);
  /* Inside the second block: also a D-SACK; the rest must be there. */
  w = pkt("0 > . 1:1(0) ack 100 win 65535 <nop,nop,sack 200:275 200:300>\n");
  struct pd_opt o[3] = {OPT(PD_OPT_NOP), OPT(PD_OPT_NOP),
                        {.kind = PD_OPT_SACK, .nsack = 1}};
  o[2].sack[0].left = RISN + 200;
  o[2].sack[0].right = RISN + 300;
  g = seg(PD_ACK, 1, 100, 65535, 0, o, 3);
  ZT_CHECK(match(&w, &g, PD_ACC_DSACK, &used));
  g = seg(PD_ACK, 1, 100, 65535, 0, NULL, 0);
  ZT_CHECK(!match(&w, &g, ~0u, NULL));
  /* Not a D-SACK (above the ACK, not inside the next block): required. */
  w = pkt("0 > . 1:1(0) ack 100 win 65535 <nop,nop,sack 400:500 200:300>\n");
  ZT_CHECK(!match(&w, &g, ~0u, NULL));
}

ZT_TEST(test_window_ooo) {
  struct pd_pkt w = pkt("0 > . 1:1(0) ack 100 win 65535\n");
  struct pd_seg g = seg(PD_ACK, 1, 100, 65501, 0, NULL, 0);
  struct pd_map m = map();
  struct pd_match_ctx ctx = {&m, PD_ACC_WIN_OOO, 100, false, 0, false};
  char why[300];
  unsigned used = 0;
  ZT_CHECK(pd_match(&w, &g, &ctx, why, sizeof(why), &used));
  ZT_EQ(used, PD_ACC_WIN_OOO);
  ctx.ooo_bytes = 33; /* less held than the difference */
  ZT_CHECK(!pd_match(&w, &g, &ctx, why, sizeof(why), NULL));
  ctx.ooo_bytes = 100;
  ctx.accept = 0;
  ZT_CHECK(!pd_match(&w, &g, &ctx, why, sizeof(why), NULL));
  /* Never more than the script's window. */
  ctx.accept = PD_ACC_WIN_OOO;
  g.win = 65535;
  w.win = 65500;
  ZT_CHECK(!pd_match(&w, &g, &ctx, why, sizeof(why), NULL));
}

ZT_TEST(test_fin_rtx) {
  struct pd_pkt w = pkt("0 > F. 1:1(0) ack 2 win 65535\n");
  struct pd_seg g = seg(PD_ACK, 2, 2, 65535, 0, NULL, 0);
  struct pd_map m = map();
  struct pd_match_ctx ctx = {&m, PD_ACC_FIN_RTX, 0, true, LISN + 1, false};
  char why[300];
  unsigned used = 0;
  ZT_CHECK(pd_match(&w, &g, &ctx, why, sizeof(why), &used));
  ZT_EQ(used, PD_ACC_FIN_RTX);
  ctx.fin_seq = LISN + 5; /* our FIN was elsewhere */
  ZT_CHECK(!pd_match(&w, &g, &ctx, why, sizeof(why), NULL));
  ctx.fin_seq = LISN + 1;
  g.ack++;
  ZT_CHECK(!pd_match(&w, &g, &ctx, why, sizeof(why), NULL));
  ctx.accept = 0;
  g.ack--;
  ZT_CHECK(!pd_match(&w, &g, &ctx, why, sizeof(why), NULL));
}

/* [noecn], [ect0], [ect1], [ce] on an outbound line check the ECN field
 * (IPv4 TOS, IPv6 traffic class); a line without one checks nothing. */
ZT_TEST(test_ecn_field_match) {
  struct pd_seg g = seg(PD_ACK | PD_PSH, 1, 1, 65535, 10, NULL, 0);
  g.ipv = 4;
  g.tos = 0x02; /* ECT(0) */
  struct pd_map m = map();
  struct pd_match_ctx ctx = {&m, 0, 0, false, 0, false};
  char why[300];
  struct pd_pkt w = pkt("0 > [ect0] P. 1:11(10) ack 1 win 65535\n");
  ZT_CHECK(pd_match(&w, &g, &ctx, why, sizeof(why), NULL));
  w = pkt("0 > P. 1:11(10) ack 1 win 65535\n");
  ZT_CHECK(pd_match(&w, &g, &ctx, why, sizeof(why), NULL));
  w = pkt("0 > [noecn] P. 1:11(10) ack 1 win 65535\n");
  ZT_CHECK(!pd_match(&w, &g, &ctx, why, sizeof(why), NULL));
  ZT_CHECK(strstr(why, "ECN field ect0, not noecn") != NULL);
  w = pkt("0 > [ect1] P. 1:11(10) ack 1 win 65535\n");
  ZT_CHECK(!pd_match(&w, &g, &ctx, why, sizeof(why), NULL));
  g.tos = 0xb8; /* DSCP EF, Not-ECT: only the low two bits count */
  w = pkt("0 > [noecn] P. 1:11(10) ack 1 win 65535\n");
  ZT_CHECK(pd_match(&w, &g, &ctx, why, sizeof(why), NULL));
}

/* PD_ACC_ECN_SYN_RTX: a SYN sent before may come without ECE and CWR
 * where the script has an ECN-setup SYN; nothing else is let pass. */
ZT_TEST(test_ecn_syn_rtx) {
  struct pd_pkt w = pkt("0 > SEW 0:0(0) win 65535\n");
  struct pd_seg g = seg(PD_SYN, 0, 0, 65535, 0, NULL, 0);
  struct pd_map m = map();
  struct pd_match_ctx ctx = {&m, PD_ACC_ECN_SYN_RTX, 0, false, 0, true};
  char why[300];
  unsigned used = 0;
  ZT_CHECK(pd_match(&w, &g, &ctx, why, sizeof(why), &used));
  ZT_EQ(used, PD_ACC_ECN_SYN_RTX);
  ctx.syn_rtx = false; /* the first SYN must ask */
  ZT_CHECK(!pd_match(&w, &g, &ctx, why, sizeof(why), NULL));
  ctx.syn_rtx = true;
  ctx.accept = 0;
  ZT_CHECK(!pd_match(&w, &g, &ctx, why, sizeof(why), NULL));
  ctx.accept = PD_ACC_ECN_SYN_RTX;
  g.flags = PD_SYN | PD_ECE; /* half the bits is not a plain SYN */
  ZT_CHECK(!pd_match(&w, &g, &ctx, why, sizeof(why), NULL));
  w = pkt("0 > S 0:0(0) win 65535\n"); /* never the other way round */
  g.flags = PD_SYN | PD_ECE | PD_CWR;
  ZT_CHECK(!pd_match(&w, &g, &ctx, why, sizeof(why), NULL));
}

ZT_TEST(test_tables) {
  unsigned a = pd_accepted_for("/x/tcp-testsuite/rcv-data-segments/y.pkt");
  ZT_CHECK(a & PD_ACC_WIN_OOO);
  ZT_CHECK(a & PD_ACC_DELACK_SMALL);
  a = pd_accepted_for("/x/tcp-testsuite/snippets/y.pkt");
  ZT_CHECK(!(a & PD_ACC_WIN_OOO));
  ZT_CHECK(a & PD_ACC_OPT_LAYOUT);
  const struct pd_sysctl *s = pd_sysctl_find("net.inet.tcp.blackhole", "0");
  ZT_REQUIRE(s != NULL);
  ZT_EQ(s->kind, PD_SC_NOOP);
  s = pd_sysctl_find("net.inet.tcp.blackhole", "2");
  ZT_REQUIRE(s != NULL);
  ZT_EQ(s->kind, PD_SC_NA);
  ZT_CHECK(pd_sysctl_find("net.inet.tcp.nonsense", "1") == NULL);
  ZT_STREQ(pd_defines_for("a/b.pkt")[0], "STANDARD");
  s = pd_sysctl_find("net.inet.tcp.ecn.enable", "1");
  ZT_REQUIRE(s != NULL);
  ZT_EQ(s->kind, PD_SC_ECN);
}

/* ---- the runner, end to end ---- */

static const char *const established =
    "--tolerance_usecs=10000\n"
    " 0.00 `sysctl -w net.inet.tcp.recvspace=65536`\n"
    "+0.00 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
    "+0.00 fcntl(3, F_SETFL, O_RDWR | O_NONBLOCK) = 0\n"
    "+0.00 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)\n"
    "+0.00 > S  0:0(0) win 65535 <mss 1460,nop,wscale 6,sackOK,TS val 100 ecr 0>\n"
    "+0.10 < S. 0:0(0) ack 1 win 32767 <mss 1460,sackOK,eol,eol>\n"
    "+0.00 >  . 1:1(0) ack 1 win 65535\n"
    "+0.00 getsockopt(3, SOL_SOCKET, SO_RCVBUF, [65700], [4]) = 0\n"
    "+0.10 < P. 1:11(10) ack 1 win 32767\n"
    "+0.04 > . 1:1(0) ack 11 win 65535\n"
    "+0.00 read(3, ..., 100) = 10\n"
    "+0.00 read(3, ..., 100) = -1 EAGAIN (Resource temporarily unavailable)\n"
    "+0.00 %{ assert tcpi_state == TCPI_ESTABLISHED }%\n"
    "+0.00 close(3) = 0\n"
    "+0.00 > F. 1:1(0) ack 11 win 65535\n"
    "+0.10 < F. 11:11(0) ack 2 win 32767\n"
    "+0.00 >  . 2:2(0) ack 12 win 65535\n";

/* established with `from` replaced by `to` (once). */
static void run_changed(const char *from, const char *to,
                        struct pd_result *r) {
  char buf[4096];
  const char *p = strstr(established, from);
  if (!p) {
    zt_fail(__FILE__, __LINE__, "no \"%s\" in the script", from);
    memset(r, 0, sizeof(*r));
    return;
  }
  snprintf(buf, sizeof(buf), "%.*s%s%s", (int)(p - established), established,
           to, p + strlen(from));
  struct pd_run_opts o = {0};
  pd_run_text("test/x.pkt", buf, &o, r);
}

ZT_TEST(test_runner_pass) {
  struct pd_run_opts o = {0};
  struct pd_result r;
  pd_run_text("test/established.pkt", established, &o, &r);
  if (r.verdict != PD_PASS)
    zt_fail(__FILE__, __LINE__, "%s", r.why);
}

/* Each change must make the run fail, at the line changed. */
ZT_TEST(test_runner_mismatches) {
  static const struct {
    const char *from, *to, *line;
  } cases[] = {
      {"ack 1 win 65535\n", "ack 2 win 65535\n", "line 8:"},
      {"TS val 100 ecr 0>", "TS val 100 ecr 1>", "line 6:"},
      {"mss 1460,nop,wscale 6", "mss 1400,nop,wscale 6", "line 6:"},
      {"[65700]", "[65536]", "line 9:"},
      {"+0.04 > . 1:1(0) ack 11", "+0.00 > . 1:1(0) ack 11", "line 11:"},
      {"+0.04 > . 1:1(0) ack 11", "+0.20 > . 1:1(0) ack 11", "line 11:"},
      {"read(3, ..., 100) = 10", "read(3, ..., 100) = 9", "line 12:"},
      {"= -1 EAGAIN", "= -1 ECONNRESET", "line 13:"},
      {"TCPI_ESTABLISHED", "TCPI_CLOSE_WAIT", "line 14:"},
      {"> F. 1:1(0) ack 11", "> . 1:1(0) ack 11", "line 16:"},
      {"ack 12 win 65535", "ack 12 win 1", "line 18:"},
      {">  . 2:2(0) ack 12 win 65535\n",
       ">  . 2:2(0) ack 12 win 65535\n+0.00 > . 2:2(0) ack 12\n", "line 19:"},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    struct pd_result r;
    run_changed(cases[i].from, cases[i].to, &r);
    if (r.verdict != PD_FAIL)
      zt_fail(__FILE__, __LINE__, "case %zu (%s -> %s) did not fail", i,
              cases[i].from, cases[i].to);
    else if (strncmp(r.why, cases[i].line, strlen(cases[i].line)) != 0)
      zt_fail(__FILE__, __LINE__, "case %zu failed elsewhere: %s", i, r.why);
  }
}

/* ECN end to end: the sysctl asks, the marks go both ways.  The peer's
 * CE draws an immediate ACK with ECE, which our data repeats until the
 * peer's CWR; the peer's ECE makes our next new data carry CWR. */
static const char *const ecn_script =
    "--tolerance_usecs=10000\n"
    " 0.00 `sysctl -w net.inet.tcp.ecn.enable=1`\n"
    "+0.00 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
    "+0.00 fcntl(3, F_SETFL, O_RDWR | O_NONBLOCK) = 0\n"
    "+0.00 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)\n"
    "+0.00 > [noecn] SEW 0:0(0) win 65535 <mss 1460,nop,wscale 6,sackOK,TS val 100 ecr 0>\n"
    "+0.10 < SE. 0:0(0) ack 1 win 32767 <mss 1460,sackOK,eol,eol>\n"
    "+0.00 > [noecn] . 1:1(0) ack 1 win 65535\n"
    "+0.10 <[ce] P. 1:11(10) ack 1 win 32767\n"
    "+0.00 > [noecn] E. 1:1(0) ack 11 win 65535\n"
    "+0.00 read(3, ..., 100) = 10\n"
    "+0.00 write(3, ..., 10) = 10\n"
    "+0.00 > [ect0] EP. 1:11(10) ack 11 win 65535\n"
    "+0.10 <[ect0] WP. 11:21(10) ack 11 win 32767\n"
    "+0.04 > [noecn] . 11:11(0) ack 21 win 65535\n"
    "+0.00 read(3, ..., 100) = 10\n"
    "+0.00 write(3, ..., 10) = 10\n"
    "+0.00 > [ect0] P. 11:21(10) ack 21 win 65535\n"
    "+0.10 < E. 21:21(0) ack 21 win 32767\n"
    "+0.00 write(3, ..., 10) = 10\n"
    "+0.00 > [ect0] WP. 21:31(10) ack 21 win 65535\n"
    "+0.10 < . 21:21(0) ack 31 win 32767\n"
    "+0.00 write(3, ..., 10) = 10\n"
    "+0.00 > [ect0] P. 31:41(10) ack 21 win 65535\n"
    "+0.10 < . 21:21(0) ack 41 win 32767\n";

ZT_TEST(test_runner_ecn) {
  struct pd_run_opts o = {0};
  struct pd_result r;
  pd_run_text("test/ecn.pkt", ecn_script, &o, &r);
  if (r.verdict != PD_PASS)
    zt_fail(__FILE__, __LINE__, "%s", r.why);
  /* And each mark is checked: a wrong one fails at its line. */
  static const struct {
    const char *from, *to, *line;
  } cases[] = {
      {"> [noecn] E. 1:1(0)", "> [noecn] . 1:1(0)", "line 10:"},
      {"> [ect0] EP. 1:11(10)", "> [noecn] EP. 1:11(10)", "line 13:"},
      {"> [noecn] . 11:11(0)", "> [ect0] . 11:11(0)", "line 15:"},
      {"> [ect0] WP. 21:31(10)", "> [ect0] P. 21:31(10)", "line 21:"},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    char buf[4096];
    const char *p = strstr(ecn_script, cases[i].from);
    ZT_REQUIRE(p != NULL);
    snprintf(buf, sizeof(buf), "%.*s%s%s", (int)(p - ecn_script), ecn_script,
             cases[i].to, p + strlen(cases[i].from));
    pd_run_text("test/ecn.pkt", buf, &o, &r);
    if (r.verdict != PD_FAIL)
      zt_fail(__FILE__, __LINE__, "case %zu did not fail", i);
    else if (strncmp(r.why, cases[i].line, strlen(cases[i].line)) != 0)
      zt_fail(__FILE__, __LINE__, "case %zu failed elsewhere: %s", i, r.why);
  }
}

ZT_TEST(test_runner_skip) {
  struct pd_result r;
  run_changed("`sysctl -w net.inet.tcp.recvspace=65536`",
              "`sysctl -w net.inet.tcp.ecn.enable=3`", &r);
  ZT_EQ(r.verdict, PD_SKIP);
  ZT_CHECK(strstr(r.why, "AccECN") != NULL);
  run_changed("`sysctl -w net.inet.tcp.recvspace=65536`",
              "`sysctl -w net.inet.tcp.frobnicate=1`", &r);
  ZT_EQ(r.verdict, PD_SKIP);
  run_changed("+0.00 close(3) = 0\n", "+0.00 frob(3) = 0\n", &r);
  ZT_EQ(r.verdict, PD_SKIP);
  /* A parse error fails (it is not a reason to skip). */
  run_changed("+0.00 close(3) = 0\n", "+0.00 close(3) =\n", &r);
  ZT_EQ(r.verdict, PD_FAIL);
}

/* ---- IPv6 ---- */

static const uint8_t SRC6[16] = {0xfd, 0x3d, 0xfa, 0x7b, 0xd1, 0x7d, [15] = 1};
static const uint8_t DST6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};

/* An Ethernet frame with an IPv6 header (next header nxt) and a TCP ACK
 * with 3 payload bytes, checksummed with znet's own code. */
static size_t frame6(uint8_t *f, uint8_t nxt, uint8_t hlim, uint8_t tclass,
                     uint32_t flow) {
  static const uint8_t mac[6] = {2, 0, 0, 0, 0, 1};
  zn_eth_emit(f, mac, mac, ZN_ETHERTYPE_IPV6);
  uint8_t *t = f + 54;
  zn_tcp_emit(t, 8080, 41000, LISN + 1, RISN + 1, PD_ACK, 512, 0);
  memcpy(t + 20, "abc", 3);
  zn_tcp_finish_psum(t, 23, zn_csum_pseudo6(SRC6, DST6, 23, ZN_IPPROTO_TCP));
  struct zn_ipv6_hdr h;
  memset(&h, 0, sizeof(h));
  h.tclass = tclass;
  h.flow = flow;
  h.plen = 23;
  h.nxt = nxt;
  h.hlim = hlim;
  memcpy(h.src, SRC6, 16);
  memcpy(h.dst, DST6, 16);
  zn_ipv6_emit(f + 14, &h);
  return 54 + 23;
}

/* pd_frame_decode: the IPv6 header's fields, the TCP checksum over the
 * IPv6 pseudo-header, the payload length against the frame. */
ZT_TEST(test_frame_decode_ipv6) {
  uint8_t f[128];
  char why[96];
  struct pd_seg g;
  size_t n = frame6(f, ZN_IPPROTO_TCP, 63, 0x28, 0xabcde);
  ZT_EQ(pd_frame_decode(f, n, &g, why, sizeof(why)), 1);
  ZT_EQ(g.ipv, 6);
  ZT_EQ(g.ttl, 63);
  ZT_EQ(g.tos, 0x28);
  ZT_EQ(g.flow, 0xabcde);
  ZT_EQ(g.sport, 8080);
  ZT_EQ(g.dport, 41000);
  ZT_EQ(g.flags, PD_ACK);
  ZT_EQ(g.seq, LISN + 1);
  ZT_EQ(g.ack, RISN + 1);
  ZT_EQ(g.win, 512);
  ZT_EQ(g.len, 3);
  /* One payload byte changed: the checksum no longer holds. */
  f[n - 1] ^= 1;
  ZT_EQ(pd_frame_decode(f, n, &g, why, sizeof(why)), -1);
  ZT_CHECK(strstr(why, "TCP checksum") != NULL);
  f[n - 1] ^= 1;
  /* A destination address changed: the pseudo-header no longer holds. */
  f[14 + 39] ^= 1;
  ZT_EQ(pd_frame_decode(f, n, &g, why, sizeof(why)), -1);
  f[14 + 39] ^= 1;
  /* A payload length beyond the frame. */
  ZT_EQ(pd_frame_decode(f, n - 1, &g, why, sizeof(why)), -1);
  ZT_CHECK(strstr(why, "payload length") != NULL);
  /* Not version 6. */
  f[14] = 0x40;
  ZT_EQ(pd_frame_decode(f, n, &g, why, sizeof(why)), -1);
  /* ICMPv6 (neighbor discovery) is not a segment to match. */
  n = frame6(f, ZN_IPPROTO_ICMPV6, 255, 0, 0);
  ZT_EQ(pd_frame_decode(f, n, &g, why, sizeof(why)), 0);
}

/* pd_frame_decode for IPv4: TTL, TOS, the header checksum. */
ZT_TEST(test_frame_decode_ipv4) {
  uint8_t f[128];
  char why[96];
  struct pd_seg g;
  static const uint8_t mac[6] = {2, 0, 0, 0, 0, 1};
  zn_eth_emit(f, mac, mac, ZN_ETHERTYPE_IPV4);
  zn_tcp_emit(f + 34, 8080, 41000, 7, 9, PD_SYN, 100, 0);
  zn_tcp_finish(f + 34, 20, ZN_IPV4(192, 168, 0, 1), ZN_IPV4(192, 0, 2, 1));
  struct zn_ipv4_hdr h;
  memset(&h, 0, sizeof(h));
  h.ttl = 64;
  h.tos = 0x20;
  h.proto = ZN_IPPROTO_TCP;
  h.tot_len = 40;
  h.src = ZN_IPV4(192, 168, 0, 1);
  h.dst = ZN_IPV4(192, 0, 2, 1);
  zn_ipv4_emit(f + 14, &h);
  ZT_EQ(pd_frame_decode(f, 54, &g, why, sizeof(why)), 1);
  ZT_EQ(g.ipv, 4);
  ZT_EQ(g.ttl, 64);
  ZT_EQ(g.tos, 0x20);
  ZT_EQ(g.seq, 7);
  f[14 + 8] = 63; /* TTL changed, header checksum not */
  ZT_EQ(pd_frame_decode(f, 54, &g, why, sizeof(why)), -1);
  ZT_CHECK(strstr(why, "header checksum") != NULL);
}

/* (hlim N), (class N), (flowlabel N) on an outbound line are compared. */
ZT_TEST(test_ipv6_fields_match) {
  struct pd_seg g = seg(PD_ACK, 1, 1, 65535, 0, NULL, 0);
  g.ipv = 6;
  g.ttl = 64;
  g.tos = 0x20;
  g.flow = 0x12345;
  struct pd_map m = map();
  struct pd_match_ctx ctx = {&m, 0, 0, false, 0, false};
  char why[300];
  struct pd_pkt w = pkt("0 > (hlim 64) . 1:1(0) ack 1 win 65535\n");
  ZT_CHECK(pd_match(&w, &g, &ctx, why, sizeof(why), NULL));
  w = pkt("0 > (hlim 4) . 1:1(0) ack 1 win 65535\n");
  ZT_CHECK(!pd_match(&w, &g, &ctx, why, sizeof(why), NULL));
  ZT_CHECK(strstr(why, "hlim 64, not 4") != NULL);
  w = pkt("0 > (class 0x20) . 1:1(0) ack 1 win 65535\n");
  ZT_CHECK(pd_match(&w, &g, &ctx, why, sizeof(why), NULL));
  w = pkt("0 > (class 0x28) . 1:1(0) ack 1 win 65535\n");
  ZT_CHECK(!pd_match(&w, &g, &ctx, why, sizeof(why), NULL));
  ZT_CHECK(strstr(why, "class 0x20, not 0x28") != NULL);
  w = pkt("0 > (flowlabel 0x12345) . 1:1(0) ack 1 win 65535\n");
  ZT_CHECK(pd_match(&w, &g, &ctx, why, sizeof(why), NULL));
  w = pkt("0 > (flowlabel 0x12346) . 1:1(0) ack 1 win 65535\n");
  ZT_CHECK(!pd_match(&w, &g, &ctx, why, sizeof(why), NULL));
}

/* The established script over IPv6: MSS 1440 (MTU less 60), FreeBSD's
 * buffer rounded to it (66240); then a minute idle, so that the router's
 * neighbor entry goes STALE and is probed (RFC 4861 §7.3.3): the runner's
 * answers keep data flowing. */
static void v6_script(char *buf, size_t len, const char *from,
                      const char *to) {
  char t[4096];
  snprintf(t, sizeof(t), "--ip_version=ipv6\n%s", established);
  const char *swaps[][2] = {
      {"mss 1460", "mss 1440"}, {"mss 1460", "mss 1440"},
      {"[65700]", "[66240]"},
      {"+0.00 close(3) = 0\n",
       "+60 < P. 11:21(10) ack 1 win 32767\n"
       "+0.04 > . 1:1(0) ack 21 win 65535\n"
       "+0.00 read(3, ..., 100) = 10\n"
       "+0.00 close(3) = 0\n"},
      {"ack 11 win 65535\n+0.10 < F. 11:11(0) ack 2",
       "ack 21 win 65535\n+0.10 < F. 21:21(0) ack 2"},
      {"ack 12 win", "ack 22 win"},
      {from, to}};
  for (size_t i = 0; i < sizeof(swaps) / sizeof(swaps[0]); i++) {
    char *p = strstr(t, swaps[i][0]);
    if (!p) {
      zt_fail(__FILE__, __LINE__, "no \"%s\" in the script", swaps[i][0]);
      continue;
    }
    char rest[4096];
    snprintf(rest, sizeof(rest), "%s", p + strlen(swaps[i][0]));
    snprintf(p, sizeof(t) - (size_t)(p - t), "%s%s", swaps[i][1], rest);
  }
  snprintf(buf, len, "%s", t);
}

ZT_TEST(test_runner_ipv6) {
  char t[4096];
  struct pd_run_opts o = {0};
  struct pd_result r;
  v6_script(t, sizeof(t), "", "");
  pd_run_text("test/established-ipv6.pkt", t, &o, &r);
  if (r.verdict != PD_PASS)
    zt_fail(__FILE__, __LINE__, "%s", r.why);
  ZT_EQ(r.ip_version, 6);
  /* Each change fails, at its line. */
  static const struct {
    const char *from, *to, *line;
  } cases[] = {
      {"ack 1 win 65535\n", "ack 2 win 65535\n", "line 9:"},
      {"mss 1440,nop,wscale 6", "mss 1460,nop,wscale 6", "line 7:"},
      {"[66240]", "[65700]", "line 10:"},
      {"ack 21 win 65535", "ack 20 win 65535", "line 17:"},
      {"> F. 1:1(0)", "> (hlim 63) F. 1:1(0)", "line 20:"},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    v6_script(t, sizeof(t), cases[i].from, cases[i].to);
    pd_run_text("test/x-ipv6.pkt", t, &o, &r);
    if (r.verdict != PD_FAIL)
      zt_fail(__FILE__, __LINE__, "case %zu (%s -> %s) did not fail", i,
              cases[i].from, cases[i].to);
    else if (strncmp(r.why, cases[i].line, strlen(cases[i].line)) != 0)
      zt_fail(__FILE__, __LINE__, "case %zu failed elsewhere: %s", i, r.why);
  }
}

/* ICMPv6 errors reach the connection: a port unreachable quoting our SYN
 * is a hard error while connecting (RFC 4443 §3.1, RFC 1122 §4.2.3.9); a
 * quote whose sequence number is not in flight is ignored. */
ZT_TEST(test_runner_icmp6) {
  static const char *const quotes[] = {"[0:0(0)]", "[1:1(0)]"};
  static const char *const errs[] = {"ECONNREFUSED", "0"};
  for (int i = 0; i < 2; i++) {
    char t[1024];
    snprintf(t, sizeof(t),
             "--ip_version=ipv6\n"
             "--tolerance_usecs=10000\n"
             " 0.00 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
             "+0.00 fcntl(3, F_SETFL, O_RDWR | O_NONBLOCK) = 0\n"
             "+0.00 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in "
             "progress)\n"
             "+0.00 > S 0:0(0) win 65535 <mss 1440,nop,wscale 6,sackOK,TS "
             "val 100 ecr 0>\n"
             "+0.10 < icmp unreachable port_unreachable %s\n"
             "+0.00 getsockopt(3, SOL_SOCKET, SO_ERROR, [%s], [4]) = 0\n"
             "+0.00 close(3) = 0\n",
             quotes[i], errs[i]);
    struct pd_run_opts o = {0};
    struct pd_result r;
    pd_run_text("test/icmp6-ipv6.pkt", t, &o, &r);
    if (r.verdict != PD_PASS)
      zt_fail(__FILE__, __LINE__, "quote %s: %s", quotes[i], r.why);
  }
}

/* A packet too big (RFC 8201 §4) lowers the size of the segments that
 * follow: 1300 less 40 (IPv6), 20 (TCP) and 12 (timestamps).  It quotes
 * SND.NXT, not in flight, so TCP does not take it (RFC 5927 §4.1), but
 * the IPv6 layer's path MTU falls and the connection follows it. */
#define PTB_SCRIPT(mtu)                                                       \
      "--ip_version=ipv6\n" \
      "--tolerance_usecs=10000\n" \
      " 0.00 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n" \
      "+0.00 fcntl(3, F_SETFL, O_RDWR | O_NONBLOCK) = 0\n" \
      "+0.00 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in " \
      "progress)\n" \
      "+0.00 > S 0:0(0) win 65535 <mss 1440,nop,wscale 6,sackOK,TS val 100 " \
      "ecr 0>\n" \
      "+0.10 < S. 0:0(0) ack 1 win 65535 <mss 1440,nop,wscale 0,sackOK,TS " \
      "val 1 ecr 100>\n" \
      "+0.00 > . 1:1(0) ack 1 win 33120 <nop,nop,TS val 200 ecr 1>\n" \
      "+0.00 < icmp packet_too_big mtu " mtu " [1:1(0)]\n" \
      "+0.00 write(3, ..., 2000) = 2000\n" \
      "+0.00 > . 1:1229(1228) ack 1 win 33120 <nop,nop,TS val 200 ecr 1>\n" \
      "+0.00 > P. 1229:2001(772) ack 1 win 33120 <nop,nop,TS val 200 ecr " \
      "1>\n"

ZT_TEST(test_runner_packet_too_big) {
  struct pd_run_opts o = {0};
  struct pd_result r;
  pd_run_text("test/ptb-ipv6.pkt", PTB_SCRIPT("1300"), &o, &r);
  if (r.verdict != PD_PASS)
    zt_fail(__FILE__, __LINE__, "%s", r.why);
  /* Without the error the segments are full-sized: the lines fail. */
  pd_run_text("test/ptb-ipv6.pkt", PTB_SCRIPT("1500"), &o, &r);
  ZT_EQ(r.verdict, PD_FAIL);
  ZT_CHECK(strncmp(r.why, "line 11:", 8) == 0);
}

/* PD_ACC_LISTEN_RST and PD_ACC_TW_ACK: RFC 9293's answer where FreeBSD
 * is silent passes only in the rules' scopes, and only for the segment
 * each rule names. */
static const char *const listen_synack =
    "--tolerance_usecs=10000\n"
    " 0.00 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
    "+0.00 bind(3, ..., ...) = 0\n"
    "+0.00 listen(3, 1) = 0\n"
    "+0.10 < S. 17:17(0) ack 34 win 32767\n"
    "+1.00 < S   0:0(0)         win 32767 <mss 1460>\n"
    "+0.00 > S.  0:0(0)  ack  1 win 65535 <mss 1460>\n";

#define TW_SCRIPT(fin_flags, fin_seq)                                     \
  "--tolerance_usecs=10000\n"                                            \
  " 0.00 `sysctl -w net.inet.tcp.recvspace=65536`\n"                     \
  "+0.00 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"                    \
  "+0.00 fcntl(3, F_SETFL, O_RDWR | O_NONBLOCK) = 0\n"                   \
  "+0.00 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in "       \
  "progress)\n"                                                          \
  "+0.00 > S 0:0(0) win 65535 <mss 1460,nop,wscale 6,sackOK,TS val 100 " \
  "ecr 0>\n"                                                             \
  "+0.10 < S. 0:0(0) ack 1 win 32767 <mss 1460,sackOK,eol,eol>\n"        \
  "+0.00 > . 1:1(0) ack 1 win 65535\n"                                   \
  "+0.10 shutdown(3, SHUT_WR) = 0\n"                                     \
  "+0.00 > F. 1:1(0) ack 1 win 65535\n"                                  \
  "+0.10 < F. 1:1(0) ack 2 win 32767\n"                                  \
  "+0.00 > . 2:2(0) ack 2 win 65535\n"                                   \
  "+0.10 < " fin_flags " " fin_seq ":" fin_seq "(0) ack 2 win 32767\n"   \
  "+0.10 < . 1:1(0) ack 2 win 65535\n"                                   \
  "+0.00 > . 2:2(0) ack 2 win 65535\n"

ZT_TEST(test_runner_rfc_answers) {
  struct pd_run_opts o = {0};
  struct pd_result r;
  pd_run_text("state-event-engine/rcv-syn-ack-listen/t.pkt", listen_synack,
              &o, &r);
  if (r.verdict != PD_PASS)
    zt_fail(__FILE__, __LINE__, "%s", r.why);
  ZT_CHECK(r.accepted_used & PD_ACC_LISTEN_RST);
  /* Elsewhere the RST is a segment the script did not ask for. */
  pd_run_text("test/t.pkt", listen_synack, &o, &r);
  ZT_EQ(r.verdict, PD_FAIL);
  ZT_CHECK(strncmp(r.why, "line 7:", 7) == 0);

  /* A FIN alone past the advertised window (RCV.NXT 2, window 65535) in
   * TIME-WAIT: acknowledged, as RFC 9293 asks. */
  const char *tw = "state-event-engine/rcv-fin-time-wait/t.pkt";
  pd_run_text(tw, TW_SCRIPT("F", "65701"), &o, &r);
  if (r.verdict != PD_PASS)
    zt_fail(__FILE__, __LINE__, "%s", r.why);
  ZT_CHECK(r.accepted_used & PD_ACC_TW_ACK);
  pd_run_text("test/t.pkt", TW_SCRIPT("F", "65701"), &o, &r);
  ZT_EQ(r.verdict, PD_FAIL);
  /* Inside the window, a FIN without ACK is dropped: nothing owed, and
   * the same script passes without the rule. */
  pd_run_text(tw, TW_SCRIPT("F", "1000"), &o, &r);
  if (r.verdict != PD_PASS)
    zt_fail(__FILE__, __LINE__, "%s", r.why);
  ZT_CHECK(!(r.accepted_used & PD_ACC_TW_ACK));
  /* With the ACK bit, the stack's ACK is not the rule's to excuse. */
  pd_run_text(tw, TW_SCRIPT("F.", "65701"), &o, &r);
  ZT_EQ(r.verdict, PD_FAIL);
  ZT_CHECK(!(r.accepted_used & PD_ACC_TW_ACK));
}

int main(void) {
  ZT_RUN(test_plain_fields);
  ZT_RUN(test_syn_options);
  ZT_RUN(test_ts_val);
  ZT_RUN(test_sack);
  ZT_RUN(test_dsack);
  ZT_RUN(test_window_ooo);
  ZT_RUN(test_fin_rtx);
  ZT_RUN(test_ecn_field_match);
  ZT_RUN(test_ecn_syn_rtx);
  ZT_RUN(test_tables);
  ZT_RUN(test_runner_pass);
  ZT_RUN(test_runner_mismatches);
  ZT_RUN(test_runner_ecn);
  ZT_RUN(test_runner_skip);
  ZT_RUN(test_frame_decode_ipv6);
  ZT_RUN(test_frame_decode_ipv4);
  ZT_RUN(test_ipv6_fields_match);
  ZT_RUN(test_runner_ipv6);
  ZT_RUN(test_runner_icmp6);
  ZT_RUN(test_runner_packet_too_big);
  ZT_RUN(test_runner_rfc_answers);
  return zt_done();
}
