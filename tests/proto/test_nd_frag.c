/* RFC 6980 §5 (src/ipv6/icmp6.c): neighbor discovery that came with a
 * fragment header is ignored, whether the fragment was atomic (RFC 6946)
 * or one of two that were reassembled; the same message unfragmented
 * still works, and other ICMPv6 (echo, errors, MLD) still passes in
 * fragments.  Stack B (fe80::2) alone on a link; the test plays A
 * (fe80::1), as an attacker on the link would. */
#include <stdio.h>

#include "proto6_util.h"

#define S(name) zn_stat(s.st, ZN_STAT_##name)
/* A TAP comment: what each case saw, for the log. */
#define note(...) (printf("# " __VA_ARGS__), printf("\n"))

/* How a message travels: as it is, in an atomic fragment (offset 0, M 0),
 * or cut in two fragments that B reassembles. */
enum carry { PLAIN, ATOMIC, SPLIT };

static const char *const carry_name[] = {"plain", "atomic", "split"};

static const uint8_t ALL_NODES_MAC[6] = {0x33, 0x33, 0, 0, 0, 1};
static const uint8_t OFFLINK[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0x99, [15] = 1};
static const uint8_t PFX[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 1};

/* One fragment of the ICMPv6 message m: its bytes [off, off + n). */
static void inject_frag6(struct solo *s, const uint8_t *dmac,
                         const uint8_t *src, const uint8_t *dst, uint8_t hlim,
                         const uint8_t *m, size_t off, size_t n, bool more,
                         uint32_t id) {
  uint8_t pl[600], f[700];
  ZT_REQUIRE(8 + n <= sizeof(pl));
  pl[0] = ZN_IPPROTO_ICMPV6;
  pl[1] = 0;
  zn_wr16(pl + 2, (uint16_t)(off | (more ? 1 : 0)));
  zn_wr32(pl + 4, id);
  memcpy(pl + 8, m + off, n);
  inject(s->st, f,
         mk6(f, dmac, src, dst, ZN_IPPROTO_FRAGMENT, hlim, pl, 8 + n));
}

/* Hand B the ICMPv6 message m (ml bytes, its checksum done) from src to
 * dst (link address dmac), carried as `how`. */
static void send6(struct solo *s, enum carry how, const uint8_t *dmac,
                  const uint8_t *src, const uint8_t *dst, uint8_t hlim,
                  const uint8_t *m, size_t ml) {
  static uint32_t id = 0x6980;
  uint8_t f[700];
  ZT_REQUIRE(ml >= 16 && ml <= 500);
  if (how == PLAIN) {
    inject(s->st, f, mk6(f, dmac, src, dst, ZN_IPPROTO_ICMPV6, hlim, m, ml));
  } else if (how == ATOMIC) {
    inject_frag6(s, dmac, src, dst, hlim, m, 0, ml, false, ++id);
  } else {
    size_t first = ml / 2 & ~(size_t)7; /* a multiple of 8, at least 8 */
    id++;
    inject_frag6(s, dmac, src, dst, hlim, m, 0, first, true, id);
    inject_frag6(s, dmac, src, dst, hlim, m, first, ml - first, false, id);
  }
}

/* B as each case starts: fe80::2, on a link with A. */
static void b_up(struct solo *s, bool slaac) {
  struct zn_config c;
  cfg6(&c, 2);
  c.ipv6_slaac = slaac;
  solo6(s, &c);
}

/* What the IPv6 layer did with a message carried as `how`: an atomic
 * fragment processed alone, or two fragments joined into one datagram
 * (so that what follows was decided past reassembly, not in it). */
static void carried(struct zn_stack *st, enum carry how) {
  ZT_EQU(zn_stat(st, ZN_STAT_ip6_atomic_rx), how == ATOMIC ? 1u : 0u);
  ZT_EQU(zn_stat(st, ZN_STAT_ip6_reass_ok), how == SPLIT ? 1u : 0u);
  ZT_EQU(zn_stat(st, ZN_STAT_ip6_reass_joined), how == SPLIT ? 2u : 0u);
}

/* The counts of an ND message carried as `how`: dropped as fragmented
 * (and by nothing else) unless plain. */
static void nd_counted(struct zn_stack *st, enum carry how) {
  carried(st, how);
  ZT_EQU(zn_stat(st, ZN_STAT_icmp6_rx), 1);
  ZT_EQU(zn_stat(st, ZN_STAT_icmp6_drop_nd_fragmented),
         how == PLAIN ? 0u : 1u);
}

/* ---- NS (135) ---- */

/* Did B act on an NS from A (with A's link-layer address) for fe80::2,
 * carried as `how`: answer it, and learn A? */
static bool ns_heard(enum carry how) {
  struct solo s;
  b_up(&s, false);
  ZT_REQUIRE_OR(s.st, false);
  uint8_t m[64];
  size_t ml = zn_nd_ns_emit(m, LL_B, MAC_A);
  csum6(m, ml, LL_A, LL_B);
  sent_purge(&s.link.b);
  send6(&s, how, MAC_B, LL_A, LL_B, 255, m, ml);
  nd_counted(s.st, how);
  int nas = count_icmp6(&s, ZN_ICMP6_ND_NA);
  bool learnt = zn__nd_state(s.st, LL_A) != ZN__ND_FREE;
  ZT_EQU(S(nd_ns_rx), nas == 1 ? 1u : 0u);
  ZT_EQ(learnt, nas == 1);
  note("NS %s: %d NA, A %s", carry_name[how], nas,
          learnt ? "learnt" : "unknown");
  solo_free(&s);
  return nas == 1 && learnt;
}

ZT_TEST(test_ns_fragmented_ignored_plain_answered) {
  ZT_CHECK(ns_heard(PLAIN));
  ZT_CHECK(!ns_heard(ATOMIC));
  ZT_CHECK(!ns_heard(SPLIT));
}

/* ---- NA (136) ---- */

/* B resolves A (an echo request waits on INCOMPLETE); did A's solicited
 * NA, carried as `how`, resolve it and release the echo request? */
static bool na_heard(enum carry how) {
  struct solo s;
  b_up(&s, false);
  ZT_REQUIRE_OR(s.st, false);
  struct zn_ip a = zn_ip_from_v6(LL_A);
  uint8_t d[8] = {0};
  ZT_EQ(zn_icmp6_echo_send(s.st, &a, 1, 1, d, sizeof(d)), ZN_OK);
  zn_stack_flush(s.st);
  ZT_EQ(zn__nd_state(s.st, LL_A), ZN__ND_INCOMPLETE);
  sent_purge(&s.link.b);
  uint8_t m[64];
  size_t ml =
      zn_nd_na_emit(m, ZN_ND_NA_FLAG_S | ZN_ND_NA_FLAG_O, LL_A, MAC_A);
  csum6(m, ml, LL_A, LL_B);
  send6(&s, how, MAC_B, LL_A, LL_B, 255, m, ml);
  nd_counted(s.st, how);
  int state = zn__nd_state(s.st, LL_A);
  int echoes = count_icmp6(&s, ZN_ICMP6_ECHO_REQUEST);
  ZT_EQU(S(nd_na_rx), state == ZN__ND_REACHABLE ? 1u : 0u);
  ZT_EQ(echoes, state == ZN__ND_REACHABLE ? 1 : 0);
  note("NA %s: A's state %d, %d echo released", carry_name[how], state,
          echoes);
  solo_free(&s);
  return state == ZN__ND_REACHABLE && echoes == 1;
}

ZT_TEST(test_na_fragmented_ignored_plain_resolves) {
  ZT_CHECK(na_heard(PLAIN));
  ZT_CHECK(!na_heard(ATOMIC));
  ZT_CHECK(!na_heard(SPLIT));
}

/* ---- RS (133) ---- */

/* Did B take in an RS from A carried as `how`?  A host ignores every RS
 * (RFC 4861 §6.2.6) and answers none: what tells the cases apart is
 * whether it reached that rule, nd_rs_ignored, and that nothing is
 * sent either way. */
static bool rs_heard(enum carry how) {
  struct solo s;
  b_up(&s, false);
  ZT_REQUIRE_OR(s.st, false);
  uint8_t m[64];
  size_t ml = zn_nd_rs_emit(m, MAC_A);
  csum6(m, ml, LL_A, LL_B);
  sent_purge(&s.link.b);
  send6(&s, how, MAC_B, LL_A, LL_B, 255, m, ml);
  nd_counted(s.st, how);
  ZT_EQ(sent_count(&s.link.b, 0), 0);
  ZT_EQ(zn__nd_state(s.st, LL_A), ZN__ND_FREE);
  bool heard = S(nd_rs_ignored) == 1;
  note("RS %s: %s", carry_name[how], heard ? "taken in" : "ignored");
  solo_free(&s);
  return heard;
}

ZT_TEST(test_rs_fragmented_ignored_plain_taken_in) {
  ZT_CHECK(rs_heard(PLAIN));
  ZT_CHECK(!rs_heard(ATOMIC));
  ZT_CHECK(!rs_heard(SPLIT));
}

/* ---- RA (134) ---- */

static bool has_slaac_addr(struct zn_stack *st) {
  struct zn_ipv6_addr_info ai[8];
  uint32_t n = zn_stack_ipv6_addrs(st, ai, 8);
  for (uint32_t i = 0; i < n && i < 8; i++)
    if (ai[i].origin == ZN_IPV6_ORIGIN_SLAAC)
      return true;
  return false;
}

/* Did an RA from A to all-nodes (router lifetime 1800 s, prefix
 * 2001:db8:1::/64 on-link and autonomous), carried as `how`, make A the
 * default router and form an address? */
static bool ra_heard(enum carry how) {
  struct solo s;
  b_up(&s, true);
  ZT_REQUIRE_OR(s.st, false);
  uint8_t m[64] = {0};
  zn_icmp6_emit(m, ZN_ICMP6_ND_RA, 0, (uint32_t)64 << 24 | 1800);
  uint8_t *o = m + 16;
  o[0] = ZN_ND_OPT_PREFIX;
  o[1] = 4;
  o[2] = 64;
  o[3] = ZN_ND_PREFIX_FLAG_L | ZN_ND_PREFIX_FLAG_A;
  zn_wr32(o + 4, 86400);
  zn_wr32(o + 8, 3600);
  memcpy(o + 16, PFX, 16);
  size_t ml = 48;
  csum6(m, ml, LL_A, ALL_NODES6);
  uint8_t nh[16];
  ZT_EQ(zn__ip6_next_hop(s.st, OFFLINK, nh), ZN_EHOSTUNREACH);
  send6(&s, how, ALL_NODES_MAC, LL_A, ALL_NODES6, 255, m, ml);
  nd_counted(s.st, how);
  bool router = zn__ip6_next_hop(s.st, OFFLINK, nh) == ZN_OK &&
                memcmp(nh, LL_A, 16) == 0;
  bool addr = has_slaac_addr(s.st);
  ZT_EQU(S(icmp6_ra_rx), router ? 1u : 0u);
  ZT_EQ(addr, router);
  note("RA %s: router %s, SLAAC address %s", carry_name[how],
          router ? "listed" : "not listed", addr ? "formed" : "not formed");
  solo_free(&s);
  return router && addr;
}

ZT_TEST(test_ra_fragmented_ignored_plain_configures) {
  ZT_CHECK(ra_heard(PLAIN));
  ZT_CHECK(!ra_heard(ATOMIC));
  ZT_CHECK(!ra_heard(SPLIT));
}

/* ---- Redirect (137) ---- */

/* Did B take in a Redirect from A (to send to OFFLINK through fe80::3),
 * carried as `how`?  Redirects are ignored (src/ipv6/icmp6.c): what
 * tells the cases apart is nd_redirect_ignored, and nothing changes
 * either way (no route to OFFLINK, no entry for the target). */
static bool redirect_heard(enum carry how) {
  static const uint8_t TGT[16] = {0xfe, 0x80, [15] = 3};
  struct solo s;
  b_up(&s, false);
  ZT_REQUIRE_OR(s.st, false);
  uint8_t m[64] = {0};
  zn_icmp6_emit(m, ZN_ICMP6_ND_REDIRECT, 0, 0);
  memcpy(m + 8, TGT, 16);
  memcpy(m + 24, OFFLINK, 16);
  m[40] = ZN_ND_OPT_TLLA;
  m[41] = 1;
  memcpy(m + 42, MAC_X, 6);
  size_t ml = 48;
  csum6(m, ml, LL_A, LL_B);
  sent_purge(&s.link.b);
  send6(&s, how, MAC_B, LL_A, LL_B, 255, m, ml);
  nd_counted(s.st, how);
  uint8_t nh[16];
  ZT_EQ(zn__ip6_next_hop(s.st, OFFLINK, nh), ZN_EHOSTUNREACH);
  ZT_EQ(zn__nd_state(s.st, TGT), ZN__ND_FREE);
  ZT_EQ(sent_count(&s.link.b, 0), 0);
  bool heard = S(nd_redirect_ignored) == 1;
  note("Redirect %s: %s", carry_name[how],
          heard ? "taken in" : "ignored");
  solo_free(&s);
  return heard;
}

ZT_TEST(test_redirect_fragmented_ignored_plain_taken_in) {
  ZT_CHECK(redirect_heard(PLAIN));
  ZT_CHECK(!redirect_heard(ATOMIC));
  ZT_CHECK(!redirect_heard(SPLIT));
}

/* ---- other ICMPv6: RFC 6980 is for ND alone ---- */

/* An echo request in fragments is answered, atomic or reassembled. */
static bool echo_answered(enum carry how) {
  struct solo s;
  b_up(&s, false);
  ZT_REQUIRE_OR(s.st, false);
  know_a(&s);
  uint8_t m[64];
  size_t ml = mk_echo6(m, 7, 1, 40, LL_A, LL_B);
  send6(&s, how, MAC_B, LL_A, LL_B, 64, m, ml);
  carried(s.st, how);
  ZT_EQU(S(icmp6_drop_nd_fragmented), 0);
  bool answered = count_icmp6(&s, ZN_ICMP6_ECHO_REPLY) == 1;
  solo_free(&s);
  return answered;
}

ZT_TEST(test_echo_fragmented_still_answered) {
  ZT_CHECK(echo_answered(PLAIN));
  ZT_CHECK(echo_answered(ATOMIC));
  ZT_CHECK(echo_answered(SPLIT));
}

/* A packet too big about a datagram of ours, in fragments, still lowers
 * the path MTU. */
static bool too_big_applied(enum carry how) {
  struct solo s;
  b_up(&s, false);
  ZT_REQUIRE_OR(s.st, false);
  uint8_t m[64] = {0};
  zn_icmp6_emit(m, ZN_ICMP6_PACKET_TOO_BIG, 0, 1280);
  struct zn_ipv6_hdr h = {0};
  h.plen = 8;
  h.nxt = ZN_IPPROTO_UDP;
  h.hlim = 64;
  memcpy(h.src, LL_B, 16);
  memcpy(h.dst, LL_A, 16);
  zn_ipv6_emit(m + 8, &h);
  zn_wr16(m + 48, 40000);
  zn_wr16(m + 50, 9);
  zn_wr16(m + 52, 8);
  size_t ml = 56;
  csum6(m, ml, LL_A, LL_B);
  send6(&s, how, MAC_B, LL_A, LL_B, 64, m, ml);
  carried(s.st, how);
  ZT_EQU(S(icmp6_drop_nd_fragmented), 0);
  bool applied = zn__ip6_path_mtu(s.st, LL_A) == 1280;
  solo_free(&s);
  return applied;
}

ZT_TEST(test_packet_too_big_fragmented_still_applied) {
  ZT_CHECK(too_big_applied(PLAIN));
  ZT_CHECK(too_big_applied(ATOMIC));
  ZT_CHECK(too_big_applied(SPLIT));
}

/* An MLDv2 general query in fragments still reaches MLD. */
static bool mld_query_taken(enum carry how) {
  struct solo s;
  b_up(&s, false);
  ZT_REQUIRE_OR(s.st, false);
  uint8_t m[64] = {0};
  zn_icmp6_emit(m, ZN_ICMP6_MLD_QUERY, 0, (uint32_t)1000 << 16);
  m[24] = 2; /* QRV */
  m[25] = 125; /* QQIC */
  size_t ml = 28;
  csum6(m, ml, LL_A, ALL_NODES6);
  send6(&s, how, ALL_NODES_MAC, LL_A, ALL_NODES6, 1, m, ml);
  carried(s.st, how);
  ZT_EQU(S(icmp6_drop_nd_fragmented), 0);
  bool taken = S(icmp6_mld_rx) == 1 && S(mld_rx) == 1;
  solo_free(&s);
  return taken;
}

ZT_TEST(test_mld_query_fragmented_still_taken) {
  ZT_CHECK(mld_query_taken(PLAIN));
  ZT_CHECK(mld_query_taken(ATOMIC));
  ZT_CHECK(mld_query_taken(SPLIT));
}

int main(void) {
  ZT_RUN(test_ns_fragmented_ignored_plain_answered);
  ZT_RUN(test_na_fragmented_ignored_plain_resolves);
  ZT_RUN(test_rs_fragmented_ignored_plain_taken_in);
  ZT_RUN(test_ra_fragmented_ignored_plain_configures);
  ZT_RUN(test_redirect_fragmented_ignored_plain_taken_in);
  ZT_RUN(test_echo_fragmented_still_answered);
  ZT_RUN(test_packet_too_big_fragmented_still_applied);
  ZT_RUN(test_mld_query_fragmented_still_taken);
  return zt_done();
}
