/* IPv6 input and output (src/ipv6/ipv6.c), ICMPv6 (icmp6.c), reassembly
 * (frag6.c): two stacks over a memlink, or one stack and frames built by
 * hand. */
#include "proto6_util.h"

#define S(name) zn_stat(s.st, ZN_STAT_##name)

struct pings {
  int n;
  size_t len;
  struct zn_ip from;
};

static void on_reply(struct zn_stack *st, void *arg,
                     const struct zn_icmp6_echo *r) {
  (void)st;
  struct pings *p = arg;
  p->n++;
  p->len = r->len;
  p->from = r->from;
}


static void ping_both_ways(size_t len) {
  struct th_pair p;
  pair6(&p, LL_A, LL_B);
  ZT_REQUIRE(p.a && p.b);
  struct pings pa = {0}, pb = {0};
  zn_icmp6_set_echo_reply_cb(p.a, on_reply, &pa);
  zn_icmp6_set_echo_reply_cb(p.b, on_reply, &pb);
  static uint8_t data[4000];
  for (size_t i = 0; i < len; i++)
    data[i] = (uint8_t)i;
  struct zn_ip b = zn_ip_from_v6(LL_B), a = zn_ip_from_v6(LL_A);
  th_pair_run(&p, ZN_MS(1));
  ZT_EQ(zn_icmp6_echo_send(p.a, &b, 1, 1, data, len), ZN_OK);
  th_pair_run(&p, ZN_MS(100));
  ZT_EQ(zn_icmp6_echo_send(p.b, &a, 2, 1, data, len), ZN_OK);
  th_pair_run(&p, ZN_MS(100));
  ZT_EQ(pa.n, 1);
  ZT_EQ(pb.n, 1);
  ZT_EQU(pa.len, len);
  ZT_EQU(pb.len, len);
  ZT_MEMEQ(pa.from.bytes, LL_B, 16);
  ZT_EQ(zn__nd_state(p.a, LL_B), ZN__ND_REACHABLE);
  if (len > 1452) {
    ZT_CHECK(zn_stat(p.a, ZN_STAT_ip6_frag_tx) >= 3);
    ZT_CHECK(zn_stat(p.b, ZN_STAT_ip6_frag_tx) >= 3);
    ZT_EQU(zn_stat(p.a, ZN_STAT_ip6_reass_ok), 2);
    ZT_EQU(zn_stat(p.b, ZN_STAT_ip6_reass_ok), 2);
  }
  th_pair_free(&p);
}

ZT_TEST(test_ping6_small_both_ways_replied) { ping_both_ways(56); }

ZT_TEST(test_ping6_4000_fragmented_both_ways_replied) { ping_both_ways(4000); }

ZT_TEST(test_echo6_reply_in_place) {
  struct zn_config c;
  cfg6(&c, 2);
  struct solo s;
  solo6(&s, &c);
  ZT_REQUIRE(s.st);
  know_a(&s);
  uint8_t m[128], f[256];
  size_t ml = mk_echo6(m, 7, 9, 56, LL_A, LL_B);
  size_t len = mk6(f, MAC_B, LL_A, LL_B, ZN_IPPROTO_ICMPV6, 64, m, ml);
  inject(s.st, f, len);
  struct zn_icmp6_view iv;
  struct zn_buf *out = pop_icmp6(&s, ZN_ICMP6_ECHO_REPLY, &iv);
  ZT_REQUIRE(out);
  ZT_MEMEQ(out->data, MAC_A, 6);
  ZT_MEMEQ(out->data + 14 + 8, LL_B, 16);
  ZT_MEMEQ(out->data + 14 + 24, LL_A, 16);
  ZT_CHECK(zn_icmp6_csum_ok(&iv, zn_csum_pseudo6(LL_B, LL_A, (uint32_t)ml,
                                                 ZN_IPPROTO_ICMPV6)));
  ZT_EQ(zn_icmp6_echo_id(&iv), 7);
  ZT_MEMEQ(zn_icmp6_body(&iv), m + 8, 56);
  zn_buf_free(out);
  solo_free(&s);
}

/* RFC 6724 §5 source selection, rules 1 (the destination itself), 2
 * (scope: link-local for link-local and link-scope multicast, global
 * otherwise) and 8 (longest matching prefix, capped at the address's own
 * prefix length). */
ZT_TEST(test_source_selection_rules) {
  struct zn_config c;
  cfg6(&c, 2);
  struct solo s;
  solo6(&s, &c);
  ZT_REQUIRE(s.st);
  const uint8_t g1[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 2};
  const uint8_t g2[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 2, [15] = 2};
  const uint8_t ula[16] = {0xfd, 0x00, [15] = 5};
  add6(s.st, g1, 64);
  add6(s.st, g2, 48);
  add6(s.st, ula, 64);
  zn_stack_poll(s.st, 0);
  static const struct {
    uint8_t dst[16];
    int want; /* 1: g1, 2: g2, 3: ula, 4: link-local, 5: g1 or g2 */
  } cases[] = {
      {{0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 0x99}, 1}, /* rule 8 */
      {{0x20, 0x01, 0x0d, 0xb8, 0, 2, 0, 7, [15] = 1}, 2}, /* 48 > 46 */
      {{0xfd, 0x00, [15] = 9}, 3},
      {{0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 2}, 1}, /* rule 1 */
      {{0xfd, 0x00, [15] = 5}, 3},                   /* rule 1 */
      {{0xfe, 0x80, [15] = 1}, 4},                   /* rule 2 */
      {{0xff, 0x02, [15] = 1}, 4},
      {{0xff, 0x0e, [15] = 1}, 3}, /* global scope: 6 bits with ula */
      {{0x30, 0x00, [15] = 1}, 5}, /* 3 bits with g1 and g2, none with ula */
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    uint8_t got[16];
    ZT_EQ(zn__ip6_select_source(s.st, cases[i].dst, got), ZN_OK);
    bool is1 = memcmp(got, g1, 16) == 0, is2 = memcmp(got, g2, 16) == 0;
    int w = cases[i].want;
    bool ok = w == 1   ? is1
              : w == 2 ? is2
              : w == 3 ? memcmp(got, ula, 16) == 0
              : w == 4 ? zn_ipv6_addr_is_linklocal(got)
                       : is1 || is2;
    if (!ok)
      zt_fail(__FILE__, __LINE__, "case %zu: wrong source", i);
  }
  solo_free(&s);
}

/* An NS or NA with hop limit 64 may come from off link: ignored. */
ZT_TEST(test_nd_hop_limit_not_255_ignored) {
  struct zn_config c;
  cfg6(&c, 2);
  struct solo s;
  solo6(&s, &c);
  ZT_REQUIRE(s.st);
  uint8_t m[64], f[200], sn[16];
  zn_ipv6_solicited_node(LL_B, sn);
  size_t ml = zn_nd_ns_emit(m, LL_B, MAC_A);
  csum6(m, ml, LL_A, sn);
  uint8_t smac[6];
  zn_ipv6_mcast_mac(sn, smac);
  size_t len = mk6(f, smac, LL_A, sn, ZN_IPPROTO_ICMPV6, 64, m, ml);
  inject(s.st, f, len);
  ZT_EQU(S(nd_drop_hlim), 1);
  ZT_EQ(count_icmp6(&s, ZN_ICMP6_ND_NA), 0);
  ZT_EQ(zn__nd_state(s.st, LL_A), ZN__ND_FREE);
  /* The same with 255: answered with a solicited NA, A learnt. */
  len = mk6(f, smac, LL_A, sn, ZN_IPPROTO_ICMPV6, 255, m, ml);
  inject(s.st, f, len);
  struct zn_icmp6_view iv;
  struct zn_buf *na = pop_icmp6(&s, ZN_ICMP6_ND_NA, &iv);
  ZT_REQUIRE(na);
  ZT_EQ(na->data[14 + 7], 255);
  ZT_EQ(iv.p[4] & (ZN_ND_NA_FLAG_S | ZN_ND_NA_FLAG_O),
        ZN_ND_NA_FLAG_S | ZN_ND_NA_FLAG_O);
  zn_buf_free(na);
  ZT_EQ(zn__nd_state(s.st, LL_A), ZN__ND_DELAY); /* STALE, then used */
  /* An NA with hop limit 64 changes nothing either. */
  ml = zn_nd_na_emit(m, ZN_ND_NA_FLAG_S | ZN_ND_NA_FLAG_O, LL_A, MAC_X);
  csum6(m, ml, LL_A, LL_B);
  len = mk6(f, MAC_B, LL_A, LL_B, ZN_IPPROTO_ICMPV6, 64, m, ml);
  inject(s.st, f, len);
  ZT_EQU(S(nd_drop_hlim), 2);
  ZT_EQ(zn__nd_state(s.st, LL_A), ZN__ND_DELAY);
  sent_purge(&s.link.b);
  solo_free(&s);
}

/* Parameter problem about a datagram for an unknown next header: sent
 * only within the rate limit, never to multicast, never about errors. */
ZT_TEST(test_icmp6_error_rules_rate_mcast_errors) {
  struct zn_config c;
  cfg6(&c, 2);
  c.icmp_rate = 1;
  c.icmp_burst = 2;
  struct solo s;
  solo6(&s, &c);
  ZT_REQUIRE(s.st);
  know_a(&s);
  uint8_t pl[16] = {0}, f[200];
  size_t len = mk6(f, MAC_B, LL_A, LL_B, 200, 64, pl, sizeof(pl));
  for (int i = 0; i < 5; i++)
    inject(s.st, f, len);
  ZT_EQU(S(ip6_drop_proto), 5);
  ZT_EQU(S(icmp6_err_ratelimited), 3);
  struct zn_icmp6_view iv;
  struct zn_buf *e = pop_icmp6(&s, ZN_ICMP6_PARAM_PROB, &iv);
  ZT_REQUIRE(e);
  ZT_EQ(iv.code, ZN_ICMP6_PARAMPROB_NEXTHEADER);
  ZT_EQU(zn_icmp6_pointer(&iv), 6);
  zn_buf_free(e);
  ZT_EQ(count_icmp6(&s, ZN_ICMP6_PARAM_PROB), 1);
  zn_stack_poll(s.st, ZN_SEC(10)); /* bucket full again */
  /* To all-nodes: not answered. */
  uint8_t mmac[6];
  zn_ipv6_mcast_mac(ALL_NODES6, mmac);
  len = mk6(f, mmac, LL_A, ALL_NODES6, 200, 64, pl, sizeof(pl));
  inject(s.st, f, len);
  ZT_EQU(S(icmp6_err_suppressed), 1);
  /* About an ICMPv6 error (an unreachable with an unknown option that
   * asks for an answer): not answered. */
  uint8_t x[64] = {ZN_IPPROTO_ICMPV6, 0, 0x9e, 4, 0, 0, 0, 0};
  zn_icmp6_emit(x + 8, ZN_ICMP6_DST_UNREACH, 0, 0);
  csum6(x + 8, 8, LL_A, LL_B);
  len = mk6(f, MAC_B, LL_A, LL_B, ZN_IPPROTO_DSTOPTS, 64, x, 16);
  inject(s.st, f, len);
  ZT_EQU(S(ip6_drop_option), 1);
  ZT_EQU(S(icmp6_err_suppressed), 2);
  ZT_EQ(count_icmp6(&s, ZN_ICMP6_PARAM_PROB), 0);
  solo_free(&s);
}

/* An echo request behind a destination options header holding one
 * option of type `type`, to dst. */
static void inject_opt(struct solo *s, uint8_t type, const uint8_t *dst,
                       const uint8_t *dmac) {
  uint8_t pl[80] = {ZN_IPPROTO_ICMPV6, 0, type, 4, 0, 0, 0, 0};
  size_t ml = mk_echo6(pl + 8, 1, 1, 8, LL_A, dst);
  uint8_t f[200];
  size_t len = mk6(f, dmac, LL_A, dst, ZN_IPPROTO_HOPOPTS, 64, pl, 8 + ml);
  inject(s->st, f, len);
}

ZT_TEST(test_hbh_option_actions_applied) {
  struct zn_config c;
  cfg6(&c, 2);
  struct solo s;
  solo6(&s, &c);
  ZT_REQUIRE(s.st);
  know_a(&s);
  uint8_t mmac[6];
  zn_ipv6_mcast_mac(ALL_NODES6, mmac);
  inject_opt(&s, 0x1e, LL_B, MAC_B); /* 00: skip */
  ZT_EQ(count_icmp6(&s, ZN_ICMP6_ECHO_REPLY), 1);
  inject_opt(&s, 0x5e, LL_B, MAC_B); /* 01: discard */
  ZT_EQU(S(ip6_drop_option), 1);
  ZT_EQ(sent_count(&s.link.b, 0), 0);
  inject_opt(&s, 0x9e, LL_B, MAC_B); /* 10: discard, param problem */
  struct zn_icmp6_view iv;
  struct zn_buf *e = pop_icmp6(&s, ZN_ICMP6_PARAM_PROB, &iv);
  ZT_REQUIRE(e);
  ZT_EQ(iv.code, ZN_ICMP6_PARAMPROB_OPTION);
  ZT_EQU(zn_icmp6_pointer(&iv), 42);
  zn_buf_free(e);
  inject_opt(&s, 0x9e, ALL_NODES6, mmac); /* 10 to multicast: still */
  ZT_EQ(count_icmp6(&s, ZN_ICMP6_PARAM_PROB), 1);
  inject_opt(&s, 0xde, LL_B, MAC_B); /* 11: as 10 for unicast */
  ZT_EQ(count_icmp6(&s, ZN_ICMP6_PARAM_PROB), 1);
  inject_opt(&s, 0xde, ALL_NODES6, mmac); /* 11 to multicast: silent */
  ZT_EQ(count_icmp6(&s, ZN_ICMP6_PARAM_PROB), 0);
  ZT_EQU(S(ip6_drop_option), 5);
  solo_free(&s);
}

ZT_TEST(test_routing_type0_refused_with_param_problem) {
  struct zn_config c;
  cfg6(&c, 2);
  struct solo s;
  solo6(&s, &c);
  ZT_REQUIRE(s.st);
  know_a(&s);
  uint8_t pl[128] = {ZN_IPPROTO_ICMPV6, 2, 0, 1};
  size_t ml = mk_echo6(pl + 24, 1, 1, 8, LL_A, LL_B);
  uint8_t f[256];
  size_t len = mk6(f, MAC_B, LL_A, LL_B, ZN_IPPROTO_ROUTING, 64, pl, 24 + ml);
  inject(s.st, f, len);
  ZT_EQU(S(ip6_drop_rh0), 1);
  struct zn_icmp6_view iv;
  struct zn_buf *e = pop_icmp6(&s, ZN_ICMP6_PARAM_PROB, &iv);
  ZT_REQUIRE(e);
  ZT_EQ(iv.code, ZN_ICMP6_PARAMPROB_HEADER);
  ZT_EQU(zn_icmp6_pointer(&iv), 42);
  zn_buf_free(e);
  pl[3] = 0; /* segments left 0: the header is ignored */
  len = mk6(f, MAC_B, LL_A, LL_B, ZN_IPPROTO_ROUTING, 64, pl, 24 + ml);
  inject(s.st, f, len);
  ZT_EQ(count_icmp6(&s, ZN_ICMP6_ECHO_REPLY), 1);
  solo_free(&s);
}

ZT_TEST(test_ext_header_chain_of_100_refused) {
  struct zn_config c;
  cfg6(&c, 2);
  struct solo s;
  solo6(&s, &c);
  ZT_REQUIRE(s.st);
  know_a(&s);
  static uint8_t pl[1000], f[1100];
  memset(pl, 0, sizeof(pl));
  for (int i = 0; i < 100; i++) {
    pl[i * 8] = i == 99 ? ZN_IPPROTO_ICMPV6 : ZN_IPPROTO_DSTOPTS;
    pl[i * 8 + 2] = 1; /* PadN of 4 */
    pl[i * 8 + 3] = 4;
  }
  size_t ml = mk_echo6(pl + 800, 1, 1, 8, LL_A, LL_B);
  size_t len = mk6(f, MAC_B, LL_A, LL_B, ZN_IPPROTO_DSTOPTS, 64, pl, 800 + ml);
  inject(s.st, f, len);
  ZT_EQU(S(ip6_drop_chain), 1);
  ZT_EQ(count_icmp6(&s, ZN_ICMP6_ECHO_REPLY), 0);
  solo_free(&s);
}

/* A fragment of the echo request `m` (ml bytes): data [off, off+n). */
static void inject_frag(struct solo *s, const uint8_t *m, size_t off,
                        size_t n, bool more, uint32_t id) {
  uint8_t pl[1600], f[1700];
  pl[0] = ZN_IPPROTO_ICMPV6;
  pl[1] = 0;
  zn_wr16(pl + 2, (uint16_t)(off | (more ? 1 : 0)));
  zn_wr32(pl + 4, id);
  memcpy(pl + 8, m + off, n);
  size_t len = mk6(f, MAC_B, LL_A, LL_B, ZN_IPPROTO_FRAGMENT, 64, pl, 8 + n);
  inject(s->st, f, len);
}

ZT_TEST(test_fragments_reassembled_overlap_drops_all) {
  struct zn_config c;
  cfg6(&c, 2);
  struct solo s;
  solo6(&s, &c);
  ZT_REQUIRE(s.st);
  know_a(&s);
  static uint8_t m[2100];
  size_t ml = mk_echo6(m, 1, 1, 2000, LL_A, LL_B);
  inject_frag(&s, m, 1000, ml - 1000, false, 5);
  inject_frag(&s, m, 0, 1000, true, 5);
  ZT_EQU(S(ip6_reass_ok), 1);
  ZT_EQU(S(icmp6_echo_reply_tx), 1); /* in fragments: 2048 bytes */
  ZT_EQU(S(ip6_frag_tx), 2);
  sent_purge(&s.link.b);
  /* Overlap: all three fragments dropped, nothing answered. */
  inject_frag(&s, m, 0, 1000, true, 6);
  inject_frag(&s, m, 992, 8, true, 6);
  inject_frag(&s, m, 1000, ml - 1000, false, 6);
  ZT_EQU(S(ip6_reass_drop_overlap), 2);
  ZT_EQU(S(ip6_reass_ok), 1);
  ZT_EQU(S(icmp6_echo_reply_tx), 1);
  zn_stack_poll(s.st, ZN_SEC(61)); /* the last one's slot times out */
  ZT_EQU(S(ip6_reass_drop_timeout), 1);
  solo_free(&s);
}

ZT_TEST(test_reass_timeout_sends_time_exceeded) {
  struct zn_config c;
  cfg6(&c, 2);
  struct solo s;
  solo6(&s, &c);
  ZT_REQUIRE(s.st);
  know_a(&s);
  static uint8_t m[2100];
  mk_echo6(m, 1, 1, 2000, LL_A, LL_B);
  inject_frag(&s, m, 0, 1000, true, 9);
  zn_stack_poll(s.st, ZN_SEC(59));
  ZT_EQU(S(ip6_reass_drop_timeout), 0);
  zn_stack_poll(s.st, ZN_SEC(61));
  ZT_EQU(S(ip6_reass_drop_timeout), 1);
  struct zn_icmp6_view iv;
  struct zn_buf *e = pop_icmp6(&s, ZN_ICMP6_TIME_EXCEEDED, &iv);
  ZT_REQUIRE(e);
  ZT_EQ(iv.code, ZN_ICMP6_TIMXCEED_REASS);
  zn_buf_free(e);
  /* Only a non-first fragment: no error. */
  inject_frag(&s, m, 1000, 8, true, 10);
  zn_stack_poll(s.st, ZN_SEC(200));
  ZT_EQ(count_icmp6(&s, ZN_ICMP6_TIME_EXCEEDED), 0);
  solo_free(&s);
}

/* RFC 7112: a first fragment that stops inside the header chain. */
ZT_TEST(test_tiny_first_fragment_refused) {
  struct zn_config c;
  cfg6(&c, 2);
  struct solo s;
  solo6(&s, &c);
  ZT_REQUIRE(s.st);
  know_a(&s);
  uint8_t pl[64] = {ZN_IPPROTO_DSTOPTS, 0, 0, 1, 0, 0, 0, 9};
  /* The destination options header would follow: not there. */
  uint8_t f[200];
  size_t len = mk6(f, MAC_B, LL_A, LL_B, ZN_IPPROTO_FRAGMENT, 64, pl, 8 + 8);
  pl[8] = ZN_IPPROTO_ICMPV6;
  pl[9] = 4; /* 40 bytes: past what this fragment holds */
  memcpy(f + 54, pl, 16);
  inject(s.st, f, len);
  ZT_EQU(S(ip6_drop_chain), 1);
  struct zn_icmp6_view iv;
  struct zn_buf *e = pop_icmp6(&s, ZN_ICMP6_PARAM_PROB, &iv);
  ZT_REQUIRE(e);
  ZT_EQ(iv.code, ZN_ICMP6_PARAMPROB_FIRSTFRAG);
  zn_buf_free(e);
  solo_free(&s);
}

/* A packet too big quoting a datagram of ours lowers the path MTU, but
 * never below 1280. */
ZT_TEST(test_packet_too_big_lowers_pmtu_to_1280_min) {
  struct zn_config c;
  cfg6(&c, 2);
  struct solo s;
  solo6(&s, &c);
  ZT_REQUIRE(s.st);
  uint8_t far[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 9};
  ZT_EQU(zn__ip6_path_mtu(s.st, far), 1500);
  uint8_t m[200], f[300];
  zn_icmp6_emit(m, ZN_ICMP6_PACKET_TOO_BIG, 0, 1400);
  struct zn_ipv6_hdr h = {0};
  h.plen = 8;
  h.nxt = ZN_IPPROTO_UDP;
  h.hlim = 64;
  memcpy(h.src, LL_B, 16);
  memcpy(h.dst, far, 16);
  zn_ipv6_emit(m + 8, &h);
  memset(m + 48, 0, 8);
  csum6(m, 56, LL_A, LL_B);
  size_t len = mk6(f, MAC_B, LL_A, LL_B, ZN_IPPROTO_ICMPV6, 64, m, 56);
  inject(s.st, f, len);
  ZT_EQU(zn__ip6_path_mtu(s.st, far), 1400);
  zn_wr32(m + 4, 600);
  csum6(m, 56, LL_A, LL_B);
  len = mk6(f, MAC_B, LL_A, LL_B, ZN_IPPROTO_ICMPV6, 64, m, 56);
  inject(s.st, f, len);
  ZT_EQU(zn__ip6_path_mtu(s.st, far), 1280);
  ZT_EQU(S(icmp6_pmtu_update), 2);
  zn_stack_poll(s.st, ZN_SEC(601)); /* RFC 8201: aged back up */
  ZT_EQU(zn__ip6_path_mtu(s.st, far), 1500);
  solo_free(&s);
}

ZT_TEST(test_mcast_mac_filter_joined_only) {
  struct zn_config c;
  cfg6(&c, 2);
  struct solo s;
  solo6(&s, &c);
  ZT_REQUIRE(s.st);
  know_a(&s);
  uint8_t m[64], f[200], sn[16], mac[6];
  size_t ml = mk_echo6(m, 1, 1, 8, LL_A, ALL_NODES6);
  const uint8_t other[6] = {0x33, 0x33, 0, 0, 0, 5};
  size_t len = mk6(f, other, LL_A, ALL_NODES6, ZN_IPPROTO_ICMPV6, 64, m, ml);
  inject(s.st, f, len);
  ZT_EQU(S(eth_drop_mcast), 1);
  zn_ipv6_solicited_node(LL_B, sn);
  zn_ipv6_mcast_mac(sn, mac);
  ml = mk_echo6(m, 1, 1, 8, LL_A, sn);
  len = mk6(f, mac, LL_A, sn, ZN_IPPROTO_ICMPV6, 64, m, ml);
  inject(s.st, f, len);
  ZT_EQU(S(eth_drop_mcast), 1);
  ZT_EQU(S(ip6_rx), 1);
  ZT_EQU(S(icmp6_drop_mcast_echo), 1);
  solo_free(&s);
}

/* RFC 2464 §7: a group the application joined, whatever its middle bits
 * (here ff05::abcd:1:2:3:4), is let through by its 33:33 address; the
 * same address with no group joined is not. */
ZT_TEST(test_mcast_mac_filter_any_joined_group) {
  struct zn_config c;
  cfg6(&c, 2);
  struct solo s;
  solo6(&s, &c);
  ZT_REQUIRE(s.st);
  know_a(&s);
  static const uint8_t g[16] = {0xff, 0x05, [6] = 0xab, [7] = 0xcd,
                                [9] = 1, [11] = 2, [13] = 3, [15] = 4};
  uint8_t m[64], f[200], mac[6];
  zn_ipv6_mcast_mac(g, mac);
  size_t ml = mk_echo6(m, 1, 1, 8, LL_A, g);
  size_t len = mk6(f, mac, LL_A, g, ZN_IPPROTO_ICMPV6, 64, m, ml);
  inject(s.st, f, len);
  ZT_EQU(S(eth_drop_mcast), 1); /* not joined yet */
  ZT_EQ(zn__ip6conf_mcast_join(s.st, g), ZN_OK);
  inject(s.st, f, len);
  ZT_EQU(S(eth_drop_mcast), 1);
  ZT_EQU(S(ip6_rx), 1); /* through to IPv6 */
  ZT_EQ(zn__ip6conf_mcast_leave(s.st, g), ZN_OK);
  inject(s.st, f, len);
  ZT_EQU(S(eth_drop_mcast), 2);
  solo_free(&s);
}

ZT_TEST(test_source_checks_drop_each_counted) {
  struct zn_config c;
  cfg6(&c, 2);
  struct solo s;
  solo6(&s, &c);
  ZT_REQUIRE(s.st);
  uint8_t m[64], f[200];
  const uint8_t unspec[16] = {0}, lo[16] = {[15] = 1};
  size_t ml = mk_echo6(m, 1, 1, 8, LL_A, LL_B);
  inject(s.st, f, mk6(f, MAC_B, ALL_NODES6, LL_B, 58, 64, m, ml));
  inject(s.st, f, mk6(f, MAC_B, unspec, LL_B, 58, 64, m, ml));
  inject(s.st, f, mk6(f, MAC_B, lo, LL_B, 58, 64, m, ml));
  const uint8_t other[16] = {0xfe, 0x80, [15] = 7};
  inject(s.st, f, mk6(f, MAC_B, LL_A, other, 58, 64, m, ml));
  ZT_EQU(S(ip6_drop_src_mcast), 1);
  ZT_EQU(S(ip6_drop_src_unspec), 1);
  ZT_EQU(S(ip6_drop_src_loopback), 1);
  ZT_EQU(S(ip6_drop_not_for_us), 1);
  ZT_EQ(sent_count(&s.link.b, 0), 0);
  solo_free(&s);
}

ZT_TEST(test_ipv6_off_drops_ethertype) {
  struct zn_config c;
  cfg_quiet(&c, IP_B, 2);
  struct solo s;
  solo_init(&s, &c);
  ZT_REQUIRE(s.st);
  uint8_t m[64], f[200];
  size_t ml = mk_echo6(m, 1, 1, 8, LL_A, LL_B);
  inject(s.st, f, mk6(f, MAC_B, LL_A, LL_B, 58, 64, m, ml));
  ZT_EQU(S(eth_drop_type), 1);
  ZT_EQU(S(ip6_rx), 0);
  solo_free(&s);
}

ZT_TEST(test_ping6_own_address_looped_back) {
  struct zn_config c;
  cfg6(&c, 2);
  struct solo s;
  solo6(&s, &c);
  ZT_REQUIRE(s.st);
  struct pings pb = {0};
  zn_icmp6_set_echo_reply_cb(s.st, on_reply, &pb);
  struct zn_ip b = zn_ip_from_v6(LL_B);
  ZT_EQ(zn_icmp6_echo_send(s.st, &b, 3, 3, "hi", 2), ZN_OK);
  zn_stack_poll(s.st, ZN_MS(1));
  zn_stack_poll(s.st, ZN_MS(2));
  ZT_EQ(pb.n, 1);
  ZT_EQU(S(ip6_loop_rx), 2);
  ZT_EQ(sent_count(&s.link.b, 0), 0);
  solo_free(&s);
}

/* RFC 6946: a fragment header with offset 0 and M 0 is processed alone. */
ZT_TEST(test_atomic_fragment_processed_alone) {
  struct zn_config c;
  cfg6(&c, 2);
  struct solo s;
  solo6(&s, &c);
  ZT_REQUIRE(s.st);
  know_a(&s);
  uint8_t m[64];
  size_t ml = mk_echo6(m, 1, 1, 8, LL_A, LL_B);
  uint8_t pl[128] = {ZN_IPPROTO_ICMPV6, 0, 0, 0, 0, 0, 0, 42};
  memcpy(pl + 8, m, ml);
  uint8_t f[256];
  inject(s.st, f, mk6(f, MAC_B, LL_A, LL_B, ZN_IPPROTO_FRAGMENT, 64, pl,
                      8 + ml));
  ZT_EQU(S(ip6_atomic_rx), 1);
  ZT_EQU(S(ip6_frag_rx), 0);
  ZT_EQ(count_icmp6(&s, ZN_ICMP6_ECHO_REPLY), 1);
  solo_free(&s);
}

static int toy_handled;

static void toy_icmp6(struct zn_stack *st, struct zn_buf *b,
                      const struct zn__inet_meta *m) {
  (void)st;
  (void)m;
  toy_handled++;
  zn_buf_free(b);
}

/* The table of ICMPv6 types left to modules above: ipv6conf took router
 * advertisements and MLD at assembly; IPv6's own types, and types it
 * knows no receipt checks for, are not offered. */
ZT_TEST(test_icmp6_register_rows_taken_once) {
  struct zn_config c;
  cfg6(&c, 2);
  struct solo s;
  solo6(&s, &c);
  ZT_REQUIRE(s.st);
  ZT_EQ(zn__icmp6_register(s.st, ZN_ICMP6_ND_RA, toy_icmp6), ZN_EEXIST);
  ZT_EQ(zn__icmp6_register(s.st, ZN_ICMP6_MLD2_REPORT, toy_icmp6),
        ZN_EEXIST);
  ZT_EQ(zn__icmp6_register(s.st, ZN_ICMP6_ECHO_REQUEST, toy_icmp6),
        ZN_EINVAL);
  ZT_EQ(zn__icmp6_register(s.st, ZN_ICMP6_ND_NS, toy_icmp6), ZN_EINVAL);
  ZT_EQ(zn__icmp6_register(s.st, 200, toy_icmp6), ZN_EINVAL);
  ZT_EQ(zn__icmp6_register(s.st, ZN_ICMP6_ND_RA, NULL), ZN_EINVAL);
  /* Rows left free (as in a stack without ipv6conf) are taken by the
   * next handler, which then gets the messages of its type. */
  memset(ZN__MOD(s.st, ip6)->icmp6_up, 0,
         sizeof(ZN__MOD(s.st, ip6)->icmp6_up));
  ZT_EQ(zn__icmp6_register(s.st, ZN_ICMP6_ND_RA, toy_icmp6), ZN_OK);
  know_a(&s);
  uint8_t m[16] = {0}, f[200];
  zn_icmp6_emit(m, ZN_ICMP6_ND_RA, 0, 64u << 24);
  csum6(m, sizeof(m), LL_A, ALL_NODES6);
  uint8_t mac[6];
  zn_ipv6_mcast_mac(ALL_NODES6, mac);
  size_t len = mk6(f, mac, LL_A, ALL_NODES6, ZN_IPPROTO_ICMPV6, 255, m,
                   sizeof(m));
  toy_handled = 0;
  inject(s.st, f, len);
  ZT_EQ(toy_handled, 1);
  ZT_EQU(S(icmp6_ra_rx), 1);
  ZT_EQU(S(ra_rx), 0); /* not ipv6conf's any more */
  solo_free(&s);
}

int main(void) {
  ZT_RUN(test_ping6_small_both_ways_replied);
  ZT_RUN(test_ping6_4000_fragmented_both_ways_replied);
  ZT_RUN(test_echo6_reply_in_place);
  ZT_RUN(test_nd_hop_limit_not_255_ignored);
  ZT_RUN(test_icmp6_error_rules_rate_mcast_errors);
  ZT_RUN(test_hbh_option_actions_applied);
  ZT_RUN(test_routing_type0_refused_with_param_problem);
  ZT_RUN(test_ext_header_chain_of_100_refused);
  ZT_RUN(test_fragments_reassembled_overlap_drops_all);
  ZT_RUN(test_reass_timeout_sends_time_exceeded);
  ZT_RUN(test_tiny_first_fragment_refused);
  ZT_RUN(test_packet_too_big_lowers_pmtu_to_1280_min);
  ZT_RUN(test_mcast_mac_filter_joined_only);
  ZT_RUN(test_mcast_mac_filter_any_joined_group);
  ZT_RUN(test_source_checks_drop_each_counted);
  ZT_RUN(test_source_selection_rules);
  ZT_RUN(test_ipv6_off_drops_ethertype);
  ZT_RUN(test_ping6_own_address_looped_back);
  ZT_RUN(test_atomic_fragment_processed_alone);
  ZT_RUN(test_icmp6_register_rows_taken_once);
  return zt_done();
}
