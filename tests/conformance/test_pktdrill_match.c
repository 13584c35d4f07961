/* The matcher (pd_match.c): a segment that differs from the script in any
 * field the script gives must fail, and each accepted difference
 * (accepted.c) relaxes only its own field.  Then the runner end to end: a
 * script passes against znet, and the same script with one expectation
 * changed fails at that line. */
#include <stdio.h>
#include <string.h>

#include "pd.h"
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
  struct pd_match_ctx ctx = {&m, accept, 0, false, 0};
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
  struct pd_match_ctx ctx = {&m, 0, 0, false, 0};
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
  struct pd_match_ctx ctx = {&m, PD_ACC_WIN_OOO, 100, false, 0};
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
  struct pd_match_ctx ctx = {&m, PD_ACC_FIN_RTX, 0, true, LISN + 1};
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

ZT_TEST(test_runner_skip) {
  struct pd_result r;
  run_changed("`sysctl -w net.inet.tcp.recvspace=65536`",
              "`sysctl -w net.inet.tcp.ecn.enable=1`", &r);
  ZT_EQ(r.verdict, PD_SKIP);
  ZT_CHECK(strstr(r.why, "ECN") != NULL);
  run_changed("`sysctl -w net.inet.tcp.recvspace=65536`",
              "`sysctl -w net.inet.tcp.frobnicate=1`", &r);
  ZT_EQ(r.verdict, PD_SKIP);
  run_changed("+0.00 close(3) = 0\n", "+0.00 frob(3) = 0\n", &r);
  ZT_EQ(r.verdict, PD_SKIP);
  /* A parse error fails (it is not a reason to skip). */
  run_changed("+0.00 close(3) = 0\n", "+0.00 close(3) =\n", &r);
  ZT_EQ(r.verdict, PD_FAIL);
}

int main(void) {
  ZT_RUN(test_plain_fields);
  ZT_RUN(test_syn_options);
  ZT_RUN(test_ts_val);
  ZT_RUN(test_sack);
  ZT_RUN(test_dsack);
  ZT_RUN(test_window_ooo);
  ZT_RUN(test_fin_rtx);
  ZT_RUN(test_tables);
  ZT_RUN(test_runner_pass);
  ZT_RUN(test_runner_mismatches);
  ZT_RUN(test_runner_skip);
  return zt_done();
}
