/* The script reader (pd_parse.c): every construct the FreeBSD suite uses,
 * and the errors it must report with their line. */
#include <stdio.h>
#include <string.h>

#include "pd.h"
#include "zt.h"

static const char *const std_defs[] = {"STANDARD", NULL};

/* Parse text; returns 0 or -1 and leaves the message in err. */
static int parse(const char *text, struct pd_script *s, char *err,
                 size_t errlen) {
  return pd_parse(text, std_defs, s, err, errlen);
}

ZT_TEST(test_options_and_times) {
  const char *t =
      "// comment\n"
      "--ip_version=ipv4\n"
      "--tolerance_usecs=75000\n"
      "--mtu=72\n"
      " 0.00 `sysctl -w net.inet.tcp.sack.enable=1`\n"
      "+0.10 close(3) = 0\n"
      "+ 1.5 close(3) = 0\n"
      "*     close(3) = 0\n"
      " 0.1~0.25 close(3) = 0\n"
      " 1.00...6.00 connect(3, ..., ...) = -1 ETIMEDOUT (Operation timed out)\n"
      "+.01 close(3) = 0\n";
  struct pd_script s;
  char err[128];
  ZT_EQ(parse(t, &s, err, sizeof(err)), 0);
  ZT_EQ(s.ip_version, 4);
  ZT_EQ(s.tolerance_us, 75000);
  ZT_EQ(s.mtu, 72);
  ZT_STREQ(pd_option(&s, "mtu"), "72");
  ZT_CHECK(pd_option(&s, "nope") == NULL);
  ZT_REQUIRE(s.nevents == 7);
  ZT_EQ(s.events[0].t.kind, PD_T_ABS);
  ZT_EQ(s.events[0].kind, PD_E_CMD);
  ZT_STREQ(s.events[0].text, "sysctl -w net.inet.tcp.sack.enable=1");
  ZT_EQ(s.events[0].line, 5);
  ZT_EQ(s.events[1].t.kind, PD_T_REL);
  ZT_EQ(s.events[1].t.us, 100000);
  ZT_EQ(s.events[2].t.us, 1500000);
  ZT_EQ(s.events[3].t.kind, PD_T_ANY);
  ZT_EQ(s.events[4].t.kind, PD_T_RANGE);
  ZT_EQ(s.events[4].t.us, 100000);
  ZT_EQ(s.events[4].t.end_us, 250000);
  ZT_CHECK(s.events[5].t.blocking);
  ZT_EQ(s.events[5].t.us, 1000000);
  ZT_EQ(s.events[5].t.end_us, 6000000);
  ZT_EQ(s.events[5].call.ret, -1);
  ZT_STREQ(s.events[5].call.err, "ETIMEDOUT");
  ZT_EQ(s.events[6].t.us, 10000);
  pd_free(&s);
}

ZT_TEST(test_packets) {
  const char *t =
      "0 > S 0:0(0) win 65535 <mss 1460,nop,wscale 6,sackOK,TS val 100 ecr 0>\n"
      "+0 < S. 0:0(0) ack 1 win 32767 <mss 1460,sackOK,eol,eol>\n"
      "+0 >  . 1:1(0) ack 800 win 64901 <nop,nop,sack 1:100 200:300>\n"
      "+0 > S. ...(0) ack 65537 win 65535 <...>\n"
      "+0 < SF 17:20(3) win 32767\n"
      "+0 > R. 0:0(0)! ack 1 win 0\n"
      "+0 < (ttl 3) . 1:1(0) ack 1 win 32767 <sack 4381:5841, nop, nop>\n"
      "+0 <[noecn] SEW 0:0(0) win 1\n"
      "+0 > P. 1:11(10) ack 1\n";
  struct pd_script s;
  char err[128];
  ZT_EQ(parse(t, &s, err, sizeof(err)), 0);
  ZT_REQUIRE(s.nevents == 9);
  const struct pd_pkt *p = &s.events[0].pkt;
  ZT_EQ(s.events[0].kind, PD_E_PKT);
  ZT_CHECK(!p->inbound);
  ZT_EQ(p->flags, PD_SYN);
  ZT_CHECK(p->has_win && p->win == 65535 && !p->has_ack);
  ZT_REQUIRE(p->nopts == 5);
  ZT_EQ(p->opts[0].kind, PD_OPT_MSS);
  ZT_EQ(p->opts[0].val, 1460);
  ZT_EQ(p->opts[1].kind, PD_OPT_NOP);
  ZT_EQ(p->opts[2].kind, PD_OPT_WS);
  ZT_EQ(p->opts[2].val, 6);
  ZT_EQ(p->opts[3].kind, PD_OPT_SACKOK);
  ZT_EQ(p->opts[4].kind, PD_OPT_TS);
  ZT_EQ(p->opts[4].val, 100);
  ZT_EQ(p->opts[4].ecr, 0);
  p = &s.events[1].pkt;
  ZT_CHECK(p->inbound);
  ZT_EQ(p->flags, PD_SYN | PD_ACK);
  ZT_CHECK(p->has_ack && p->ack == 1);
  ZT_EQ(p->nopts, 4);
  ZT_EQ(p->opts[3].kind, PD_OPT_EOL);
  p = &s.events[2].pkt;
  ZT_REQUIRE(p->nopts == 3);
  ZT_EQ(p->opts[2].kind, PD_OPT_SACK);
  ZT_EQ(p->opts[2].nsack, 2);
  ZT_EQ(p->opts[2].sack[1].left, 200);
  ZT_EQ(p->opts[2].sack[1].right, 300);
  p = &s.events[3].pkt;
  ZT_CHECK(p->seq_any && p->opts_any && p->has_opts);
  p = &s.events[4].pkt;
  ZT_EQ(p->flags, PD_SYN | PD_FIN);
  ZT_EQ(p->seq, 17);
  ZT_EQ(p->end, 20);
  ZT_EQ(p->len, 3);
  ZT_CHECK(s.events[5].pkt.bang);
  ZT_EQ(s.events[6].pkt.ttl, 3);
  ZT_EQ(s.events[6].pkt.opts[0].kind, PD_OPT_SACK);
  ZT_EQ(s.events[7].pkt.ecn, PD_ECN_NOT);
  ZT_EQ(s.events[7].pkt.flags, PD_SYN | PD_ECE | PD_CWR);
  ZT_EQ(s.events[8].pkt.flags, PD_PSH | PD_ACK);
  ZT_CHECK(!s.events[8].pkt.has_win);
  char b[200];
  pd_pkt_str(&s.events[2].pkt, b, sizeof(b));
  ZT_STREQ(b, ". 1:1(0) ack 800 win 64901 <nop,nop,sack 1:100 200:300>");
  pd_free(&s);
}

ZT_TEST(test_icmp_lines) {
  const char *t =
      "0 <icmp unreachable net_unreachable [0:0(0)]\n"
      "+0 < icmp unreachable frag_needed mtu 1234 [0:0(0)]\n"
      "+0 < icmp time_exceeded ttl_exceeded_in_transit [4294967295:4294967295(0)]\n"
      "+0 < icmp parameter_problem code_2 [1:1(0)]\n"
      "+0 < icmp source_quench [0:0(0)]\n";
  struct pd_script s;
  char err[128];
  ZT_EQ(parse(t, &s, err, sizeof(err)), 0);
  ZT_REQUIRE(s.nevents == 5);
  ZT_EQ(s.events[0].kind, PD_E_ICMP);
  ZT_EQ(s.events[0].icmp.type, 3);
  ZT_EQ(s.events[0].icmp.code, 0);
  ZT_CHECK(s.events[1].icmp.has_mtu && s.events[1].icmp.mtu == 1234);
  ZT_EQ(s.events[1].icmp.code, 4);
  ZT_EQ(s.events[2].icmp.type, 11);
  ZT_EQ(s.events[2].icmp.seq, 4294967295u);
  ZT_EQ(s.events[3].icmp.type, 12);
  ZT_EQ(s.events[3].icmp.code, 2);
  ZT_EQ(s.events[4].icmp.type, 4);
  pd_free(&s);
}

/* With --ip_version=ipv6 the ICMP names are ICMPv6's (RFC 4443), as the
 * suite's -ipv6 scripts write them; IPv4's names are unknown there. */
ZT_TEST(test_icmp6_lines) {
  static const struct {
    const char *what;
    uint8_t type, code;
  } names[] = {
      {"unreachable no_route", 1, 0},
      {"unreachable admin_prohibited", 1, 1},
      {"unreachable not_neighbour", 1, 2},
      {"unreachable address_unreachable", 1, 3},
      {"unreachable port_unreachable", 1, 4},
      {"packet_too_big mtu 1300", 2, 0},
      {"time_exceeded exceeded_hop_limit", 3, 0},
      {"time_exceeded exceeded_frag_time", 3, 1},
      {"parameter_problem header_field", 4, 0},
      {"parameter_problem unknown_next_header", 4, 1},
      {"parameter_problem unknown_option", 4, 2},
  };
  for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
    char t[160];
    snprintf(t, sizeof(t), "--ip_version=ipv6\n0 < icmp %s [1:1(0)]\n",
             names[i].what);
    struct pd_script s;
    char err[128];
    if (parse(t, &s, err, sizeof(err)) != 0 || s.nevents != 1) {
      zt_fail(__FILE__, __LINE__, "%s: %s", names[i].what, err);
    } else {
      ZT_EQ(s.ip_version, 6);
      ZT_EQ(s.events[0].icmp.type, names[i].type);
      ZT_EQ(s.events[0].icmp.code, names[i].code);
      ZT_CHECK(s.events[0].icmp.has_seq && s.events[0].icmp.seq == 1);
    }
    pd_free(&s);
  }
  struct pd_script s;
  char err[128];
  ZT_EQ(parse("--ip_version=ipv6\n0 < icmp packet_too_big mtu 1300 [0:0(0)]\n",
              &s, err, sizeof(err)), 0);
  ZT_CHECK(s.nevents == 1 && s.events[0].icmp.has_mtu &&
           s.events[0].icmp.mtu == 1300);
  pd_free(&s);
  /* Each family knows only its own names. */
  ZT_EQ(parse("--ip_version=ipv6\n0 < icmp unreachable frag_needed [0:0(0)]\n",
              &s, err, sizeof(err)), -1);
  ZT_CHECK(strstr(err, "unknown ICMP") != NULL);
  pd_free(&s);
  ZT_EQ(parse("0 < icmp unreachable no_route [0:0(0)]\n", &s, err,
              sizeof(err)), -1);
  pd_free(&s);
}

/* IPv6's header fields: (hlim N) is the hop limit, (class N) the traffic
 * class (kept where IPv4's TTL and TOS are), (flowlabel N) 20 bits. */
ZT_TEST(test_ipv6_fields) {
  const char *t = "--ip_version=ipv6\n"
                  "0 < (hlim 3) S. 0:0(0) ack 0 win 65535\n"
                  "+0 > (class 0x20) . 1:1(0) ack 1 win 65535\n"
                  "+0 > (flowlabel 0xabcde) . 1:1(0) ack 1\n"
                  "+0 > . 1:1(0) ack 1\n";
  struct pd_script s;
  char err[128];
  ZT_EQ(parse(t, &s, err, sizeof(err)), 0);
  ZT_REQUIRE(s.nevents == 4);
  ZT_EQ(s.events[0].pkt.ttl, 3);
  ZT_EQ(s.events[0].pkt.tos, -1);
  ZT_EQ(s.events[1].pkt.tos, 0x20);
  ZT_EQ(s.events[1].pkt.ttl, -1);
  ZT_EQ(s.events[2].pkt.flow, 0xabcde);
  ZT_EQ(s.events[3].pkt.ttl, -1);
  ZT_EQ(s.events[3].pkt.tos, -1);
  ZT_EQ(s.events[3].pkt.flow, -1);
  pd_free(&s);
  ZT_EQ(parse("0 > (flowlabel 0x100000) . 1:1(0)\n", &s, err, sizeof(err)),
        -1);
  ZT_CHECK(strstr(err, "unknown IP field") != NULL);
  pd_free(&s);
}

ZT_TEST(test_syscalls) {
  const char *t =
      "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
      "+0 fcntl(3, F_GETFL) = 0x02 (flags O_RDWR)\n"
      "+0 fcntl(3, F_SETFL, O_RDWR | O_NONBLOCK) = 0\n"
      "+0 getsockopt(3, SOL_SOCKET, SO_ERROR, [ECONNRESET], [4]) = 0\n"
      "+0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0\n"
      "+0 read(3, ..., 100) = -1 EWOULDBLOCK (Operation would block)\n"
      "+0 write (3, ..., 10) = 10\n"
      "+0 recv(4, ..., 1024, MSG_PEEK) = 1\n";
  struct pd_script s;
  char err[128];
  ZT_EQ(parse(t, &s, err, sizeof(err)), 0);
  ZT_REQUIRE(s.nevents == 8);
  const struct pd_syscall *c = &s.events[0].call;
  ZT_STREQ(c->name, "socket");
  ZT_EQ(c->nargs, 3);
  ZT_EQ(c->args[0].kind, PD_ARG_ELLIPSIS);
  ZT_EQ(c->args[1].kind, PD_ARG_SYMS);
  ZT_STREQ(c->args[1].syms[0], "SOCK_STREAM");
  ZT_EQ(c->ret, 3);
  ZT_EQ(s.events[1].call.ret, 2);
  c = &s.events[2].call;
  ZT_EQ(c->args[2].nsyms, 2);
  ZT_STREQ(c->args[2].syms[1], "O_NONBLOCK");
  c = &s.events[3].call;
  ZT_EQ(c->args[3].kind, PD_ARG_LIST);
  ZT_EQ(c->args[3].nlist, 1);
  ZT_STREQ(c->args[3].list[0].syms[0], "ECONNRESET");
  ZT_EQ(c->args[4].list[0].num, 4);
  ZT_EQ(s.events[4].call.args[3].list[0].num, 1);
  ZT_STREQ(s.events[5].call.err, "EWOULDBLOCK");
  ZT_EQ(s.events[5].call.ret, -1);
  ZT_STREQ(s.events[6].call.name, "write");
  ZT_EQ(s.events[6].call.ret, 10);
  ZT_STREQ(s.events[7].call.args[3].syms[0], "MSG_PEEK");
  pd_free(&s);
}

ZT_TEST(test_commands_code_and_comments) {
  const char *t =
      "/* a block\n"
      "   comment */ 0 close(3) = 0 // trailing\n"
      "      `kldstat -q || kldload x; echo 'a\n"
      "       b' | setkey -c`\n"
      "+0 %{ assert tcpi_state == TCPI_CLOSED }%\n"
      "+0 `sockstat -4 -P tcp -s | grep -c TIME_WAIT | grep 1`\n";
  struct pd_script s;
  char err[128];
  ZT_EQ(parse(t, &s, err, sizeof(err)), 0);
  ZT_REQUIRE(s.nevents == 4);
  ZT_EQ(s.events[0].kind, PD_E_SYSCALL);
  ZT_EQ(s.events[0].line, 2);
  ZT_EQ(s.events[1].kind, PD_E_CMD);
  ZT_EQ(s.events[1].line, 3);
  ZT_CHECK(strstr(s.events[1].text, "setkey -c") != NULL);
  ZT_EQ(s.events[1].t.kind, PD_T_REL); /* no time: +0 */
  ZT_EQ(s.events[2].kind, PD_E_CODE);
  ZT_STREQ(s.events[2].text, " assert tcpi_state == TCPI_CLOSED ");
  ZT_EQ(s.events[3].line, 6);
  pd_free(&s);
}

ZT_TEST(test_ifdef) {
  const char *t =
      "0 close(1) = 0\n"
      "#ifdef STANDARD\n"
      "+0 close(2) = 0\n"
      "#else\n"
      "+0 close(3) = 0\n"
      "#endif\n"
      "#ifdef FreeBSD\n"
      "+0 close(4) = 0\n"
      "#ifdef STANDARD\n"
      "+0 close(5) = 0\n"
      "#endif\n"
      "#endif\n"
      "#ifndef FreeBSD\n"
      "+0 close(6) = 0\n"
      "#endif\n";
  struct pd_script s;
  char err[128];
  ZT_EQ(parse(t, &s, err, sizeof(err)), 0);
  ZT_REQUIRE(s.nevents == 3);
  ZT_EQ(s.events[1].call.args[0].num, 2);
  ZT_EQ(s.events[1].line, 3);
  ZT_EQ(s.events[2].call.args[0].num, 6);
  pd_free(&s);
  static const char *const bsd[] = {"FreeBSD", NULL};
  ZT_EQ(pd_parse(t, bsd, &s, err, sizeof(err)), 0);
  ZT_REQUIRE(s.nevents == 3);
  ZT_EQ(s.events[1].call.args[0].num, 3);
  ZT_EQ(s.events[2].call.args[0].num, 4);
  pd_free(&s);
}

/* Each bad script fails with a message naming its line. */
static void bad(const char *text, const char *want) {
  struct pd_script s;
  char err[160];
  int rc = parse(text, &s, err, sizeof(err));
  pd_free(&s);
  if (rc == 0) {
    zt_fail(__FILE__, __LINE__, "parsed: %s", text);
    return;
  }
  if (!strstr(err, want))
    zt_fail(__FILE__, __LINE__, "message \"%s\" lacks \"%s\"", err, want);
}

ZT_TEST(test_errors) {
  bad("0 close(3) = 0\n+0 > S 0:3(1) win 1\n", "line 2: 0:3(1)");
  bad("0 > S 0:0(0) <mss 1460,frob 3>\n", "line 1: unknown option 'frob'");
  bad("0 > S 0:0(0) <mss 1460\n", "line 1: expected ',' or '>'");
  bad("0 `sysctl -w x=1\n\n", "line 1: unterminated");
  bad("#endif\n", "line 1: #endif without #ifdef");
  bad("#ifdef X\n0 close(3) = 0\n", "#ifdef without #endif");
  bad("0 close(3)\n", "line 1: expected '= RESULT'");
  bad("0 close(3) = 0 junk\n", "line 1: unexpected 'junk'");
  bad("0 < icmp unreachable frobbed [0:0(0)]\n", "unknown ICMP");
  bad("0 > X 0:0(0)\n", "line 1: expected TCP flags");
  bad("0 > S 0:0(0) win 70000\n", "does not fit 16 bits");
  bad("0 > S 0:0(0) ack 4294967296\n", "does not fit 32 bits");
  bad("close(3) = 0\n", "line 1: expected a time");
  bad("--ip_version=ipx\n", "unknown ip_version");
}

/* An empty script: packetdrill's defaults. */
ZT_TEST(test_defaults) {
  struct pd_script s;
  char err[128];
  ZT_EQ(parse("", &s, err, sizeof(err)), 0);
  ZT_EQ(s.tolerance_us, 4000); /* packetdrill's default */
  ZT_EQ(s.mtu, 1500);
  ZT_EQ(s.ip_version, 4);
  ZT_EQ(s.nevents, 0);
  pd_free(&s);
}

int main(void) {
  ZT_RUN(test_options_and_times);
  ZT_RUN(test_packets);
  ZT_RUN(test_icmp_lines);
  ZT_RUN(test_icmp6_lines);
  ZT_RUN(test_ipv6_fields);
  ZT_RUN(test_syscalls);
  ZT_RUN(test_commands_code_and_comments);
  ZT_RUN(test_ifdef);
  ZT_RUN(test_errors);
  ZT_RUN(test_defaults);
  return zt_done();
}
