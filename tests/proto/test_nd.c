/* Neighbor discovery (src/ipv6/nd.c): resolution, NUD on a virtual
 * clock, pending queue bounds, cache exhaustion. */
#include "proto6_util.h"
#include "znet/udp.h"

#define S(name) zn_stat(s.st, ZN_STAT_##name)

static void ping_a(struct solo *s) {
  struct zn_ip a = zn_ip_from_v6(LL_A);
  uint8_t d[8] = {0};
  ZT_EQ(zn_icmp6_echo_send(s->st, &a, 1, 1, d, sizeof(d)), ZN_OK);
  zn_stack_flush(s->st);
}

/* A's NA for itself to B: solicited or not. */
static void inject_na(struct solo *s, const uint8_t *target, uint8_t flags,
                      const uint8_t *mac) {
  uint8_t m[64], f[200];
  size_t ml = zn_nd_na_emit(m, flags, target, mac);
  csum6(m, ml, target, LL_B);
  inject(s->st, f, mk6(f, MAC_B, target, LL_B, ZN_IPPROTO_ICMPV6, 255, m, ml));
}

/* From an NS from src (with SLLA mac) for B. */
static void inject_ns(struct solo *s, const uint8_t *src, const uint8_t *mac) {
  uint8_t m[64], f[200];
  size_t ml = zn_nd_ns_emit(m, LL_B, mac);
  csum6(m, ml, src, LL_B);
  inject(s->st, f, mk6(f, MAC_B, src, LL_B, ZN_IPPROTO_ICMPV6, 255, m, ml));
}

ZT_TEST(test_nud_incomplete_reachable_stale_delay_probe_gone) {
  struct zn_config c;
  cfg6(&c, 2);
  struct solo s;
  solo6(&s, &c);
  ZT_REQUIRE(s.st);
  ping_a(&s);
  ZT_EQ(zn__nd_state(s.st, LL_A), ZN__ND_INCOMPLETE);
  struct zn_icmp6_view iv;
  struct zn_buf *ns = pop_icmp6(&s, ZN_ICMP6_ND_NS, &iv);
  ZT_REQUIRE(ns);
  uint8_t sn[16], mac[6];
  zn_ipv6_solicited_node(LL_A, sn);
  zn_ipv6_mcast_mac(sn, mac);
  ZT_MEMEQ(ns->data, mac, 6);
  ZT_MEMEQ(ns->data + 14 + 24, sn, 16);
  ZT_EQ(ns->data[14 + 7], 255);
  zn_buf_free(ns);
  inject_na(&s, LL_A, ZN_ND_NA_FLAG_S | ZN_ND_NA_FLAG_O, MAC_A);
  ZT_EQ(zn__nd_state(s.st, LL_A), ZN__ND_REACHABLE);
  ZT_EQ(count_icmp6(&s, ZN_ICMP6_ECHO_REQUEST), 1); /* the queued one */
  /* ReachableTime: REACHABLE_TIME 30 s times a random 0.5..1.5
   * (RFC 4861 §6.3.2), so at most 45 s. */
  zn_stack_poll(s.st, ZN_SEC(46));
  ZT_EQ(zn__nd_state(s.st, LL_A), ZN__ND_STALE);
  ping_a(&s);
  ZT_EQ(zn__nd_state(s.st, LL_A), ZN__ND_DELAY);
  ZT_EQ(count_icmp6(&s, ZN_ICMP6_ECHO_REQUEST), 1); /* sent at once */
  zn_stack_poll(s.st, ZN_SEC(51)); /* DELAY_FIRST_PROBE_TIME 5 s */
  ZT_EQ(zn__nd_state(s.st, LL_A), ZN__ND_PROBE);
  ns = pop_icmp6(&s, ZN_ICMP6_ND_NS, &iv);
  ZT_REQUIRE(ns);
  ZT_MEMEQ(ns->data, MAC_A, 6); /* unicast probe */
  zn_buf_free(ns);
  for (int i = 1; i <= 3; i++)
    zn_stack_poll(s.st, ZN_SEC(51) + ZN_MS(1001) * (uint64_t)i);
  ZT_EQ(count_icmp6(&s, ZN_ICMP6_ND_NS), 2); /* MAX_UNICAST_SOLICIT 3 */
  ZT_EQ(zn__nd_state(s.st, LL_A), ZN__ND_FREE);
  ZT_EQU(S(nd_resolve_fail), 1);
  solo_free(&s);
}

/* A shard's ND (znet/neigh.h): `wanted` instead of solicitations, on
 * the same timers; told the answer (zn_nd_learn), the datagram goes;
 * slot 0's side publishes an advertisement it asked for. */
static uint32_t wants, told;
static uint8_t want_ip[16];
static void on_wanted(void *arg, const struct zn_ip *ip) {
  (void)arg;
  wants++;
  memcpy(want_ip, ip->bytes, 16);
}
static void on_learned(void *arg, const struct zn_ip *ip,
                       const uint8_t mac[6]) {
  (void)arg, (void)ip, (void)mac;
  told++;
}

ZT_TEST(test_nd_wanted_then_learned) {
  struct zn_config c;
  cfg6(&c, 2);
  struct solo s;
  solo6(&s, &c);
  ZT_REQUIRE(s.st);
  const struct zn_neigh_hooks h = {.wanted = on_wanted};
  zn_nd_set_hooks(s.st, &h);
  wants = 0;
  ping_a(&s);
  ZT_EQ(wants, 1);
  ZT_MEMEQ(want_ip, LL_A, 16);
  ZT_EQ(count_icmp6(&s, ZN_ICMP6_ND_NS), 0);
  zn_stack_poll(s.st, ZN_SEC(2)); /* RetransTimer: again */
  ZT_EQ(wants, 2);
  ZT_EQ(count_icmp6(&s, ZN_ICMP6_ND_NS), 0);
  ZT_EQU(S(nd_ns_wanted), 2);
  ZT_EQ(zn_nd_learn(s.st, LL_A, MAC_A), ZN_OK);
  zn_stack_flush(s.st);
  ZT_EQ(zn__nd_state(s.st, LL_A), ZN__ND_REACHABLE);
  ZT_EQ(count_icmp6(&s, ZN_ICMP6_ECHO_REQUEST), 1);
  ZT_EQU(S(nd_learned_rx), 1);
  static const uint8_t mcast[16] = {0xff, 2, [15] = 1}, zero[16] = {0},
                       mmac[6] = {0x33, 0x33, 0, 0, 0, 1};
  ZT_EQ(zn_nd_learn(s.st, mcast, MAC_A), ZN_EINVAL);
  ZT_EQ(zn_nd_learn(s.st, zero, MAC_A), ZN_EINVAL);
  ZT_EQ(zn_nd_learn(s.st, LL_A, mmac), ZN_EINVAL);
  solo_free(&s);
}

ZT_TEST(test_nd_resolve_publishes) {
  struct zn_config c;
  cfg6(&c, 2);
  struct solo s;
  solo6(&s, &c);
  ZT_REQUIRE(s.st);
  const struct zn_neigh_hooks h = {.learned = on_learned};
  zn_nd_set_hooks(s.st, &h);
  told = 0;
  uint8_t mac[6];
  ZT_EQ(zn_nd_resolve(s.st, LL_A, mac), ZN_EINPROGRESS);
  ZT_EQ(zn_nd_resolve(s.st, LL_A, mac), ZN_EINPROGRESS);
  zn_stack_flush(s.st);
  ZT_EQ(count_icmp6(&s, ZN_ICMP6_ND_NS), 1);
  inject_na(&s, LL_A, ZN_ND_NA_FLAG_S | ZN_ND_NA_FLAG_O, MAC_A);
  ZT_EQ(told, 1);
  ZT_EQ(zn_nd_resolve(s.st, LL_A, mac), ZN_OK);
  ZT_MEMEQ(mac, MAC_A, 6);
  /* An NS from a neighbor teaches its address: published too. */
  static const uint8_t ll_x[16] = {0xfe, 0x80, [15] = 0x66};
  inject_ns(&s, ll_x, MAC_X);
  ZT_EQ(told, 2);
  solo_free(&s);
}

/* RFC 4861 §7.3.1: forward progress (zn__nd_confirm, from TCP's new
 * acknowledgments) keeps an entry REACHABLE as long as it comes, and
 * ReachableTime after the last one it goes STALE: never earlier, never
 * later than the deadline the last confirmation set. */
ZT_TEST(test_nd_upper_layer_confirmations_keep_reachable) {
  struct zn_config c;
  cfg6(&c, 2);
  struct solo s;
  solo6(&s, &c);
  ZT_REQUIRE(s.st);
  ping_a(&s);
  inject_na(&s, LL_A, ZN_ND_NA_FLAG_S | ZN_ND_NA_FLAG_O, MAC_A);
  ZT_EQ(zn__nd_state(s.st, LL_A), ZN__ND_REACHABLE);
  /* Confirmed every second for 200 s: far past any ReachableTime. */
  uint64_t t = 0;
  for (int i = 1; i <= 200; i++) {
    t = ZN_SEC((uint64_t)i);
    zn_stack_poll(s.st, t);
    ZT_EQ(zn__nd_state(s.st, LL_A), ZN__ND_REACHABLE);
    zn__nd_confirm(s.st, LL_A);
  }
  ZT_EQU(S(nd_confirm_upper), 0); /* never needed: it stayed REACHABLE */
  struct zn__nd_entry *e = NULL;
  for (uint32_t i = 0; i < s.st->cfg.nd_entries; i++)
    if (memcmp(ZN__MOD(s.st, ip6)->nd[i].ip, LL_A, 16) == 0)
      e = &ZN__MOD(s.st, ip6)->nd[i];
  ZT_REQUIRE(e);
  uint64_t until = e->reachable_until;
  ZT_CHECK(until >= t + ZN_SEC(15) && until <= t + ZN_SEC(45));
  for (uint64_t now = t; now < until - ZN_MS(2); now += ZN_MS(100)) {
    zn_stack_poll(s.st, now);
    ZT_EQ(zn__nd_state(s.st, LL_A), ZN__ND_REACHABLE);
  }
  zn_stack_poll(s.st, until + ZN_MS(2));
  ZT_EQ(zn__nd_state(s.st, LL_A), ZN__ND_STALE);
  zn__nd_confirm(s.st, LL_A); /* STALE -> REACHABLE, counted */
  ZT_EQ(zn__nd_state(s.st, LL_A), ZN__ND_REACHABLE);
  ZT_EQU(S(nd_confirm_upper), 1);
  solo_free(&s);
}

ZT_TEST(test_nd_pending_queue_bounded_and_dropped_on_failure) {
  struct zn_config c;
  cfg6(&c, 2);
  c.nd_pending = 3;
  struct solo s;
  solo6(&s, &c);
  ZT_REQUIRE(s.st);
  for (int i = 0; i < 10; i++)
    ping_a(&s);
  ZT_EQU(S(nd_drop_pending_full), 7);
  for (int i = 1; i <= 4; i++)
    zn_stack_poll(s.st, ZN_MS(1001) * (uint64_t)i);
  ZT_EQ(count_icmp6(&s, ZN_ICMP6_ND_NS), 3); /* MAX_MULTICAST_SOLICIT */
  ZT_EQ(zn__nd_state(s.st, LL_A), ZN__ND_FREE);
  ZT_EQU(S(nd_drop_unresolved), 3);
  solo_free(&s);
}

struct udp_err {
  int n, err;
  struct zn_ip addr;
  uint16_t port;
};

static void on_udp_err(struct zn_udp_sock *u, void *arg, int err,
                       const struct zn_ip *addr, uint16_t port) {
  struct udp_err *e = arg;
  (void)u;
  e->n++;
  e->err = err;
  e->addr = *addr;
  e->port = port;
}

/* RFC 4861 §7.2.2: when resolution fails, each queued packet is answered
 * with destination unreachable, address unreachable (code 3): a UDP
 * socket hears of it; every answer is an ICMPv6 error, rate-limited. */
ZT_TEST(test_nd_failure_answers_address_unreachable) {
  struct zn_config c;
  cfg6(&c, 2);
  c.nd_pending = 3;
  struct solo s;
  solo6(&s, &c);
  ZT_REQUIRE(s.st);
  struct zn_udp_sock *u;
  ZT_EQ(zn_udp_open(s.st, &u), ZN_OK);
  struct udp_err ue = {0};
  zn_udp_set_err_cb(u, on_udp_err, &ue);
  struct zn_ip a = zn_ip_from_v6(LL_A);
  ZT_EQ(zn_udp_sendto(u, &a, 9, "x", 1), ZN_OK);
  ping_a(&s);
  ping_a(&s);
  for (int i = 1; i <= 4; i++)
    zn_stack_poll(s.st, ZN_MS(1001) * (uint64_t)i);
  ZT_EQ(zn__nd_state(s.st, LL_A), ZN__ND_FREE);
  ZT_EQU(S(nd_drop_unresolved), 3);
  ZT_EQU(S(icmp6_err_tx) + S(icmp6_err_ratelimited), 3);
  ZT_CHECK(S(icmp6_err_tx) >= 1); /* the first, the UDP one, always */
  ZT_EQ(ue.n, 1);
  ZT_EQ(ue.err, ZN_EHOSTUNREACH);
  ZT_CHECK(zn_ip_eq(&ue.addr, &a));
  ZT_EQ(ue.port, 9);
  zn_udp_close(u);
  solo_free(&s);
}

ZT_TEST(test_nd_cache_exhaustion_keeps_established_neighbor) {
  struct zn_config c;
  cfg6(&c, 2);
  c.nd_entries = 4;
  struct solo s;
  solo6(&s, &c);
  ZT_REQUIRE(s.st);
  ping_a(&s);
  inject_na(&s, LL_A, ZN_ND_NA_FLAG_S | ZN_ND_NA_FLAG_O, MAC_A);
  ZT_EQ(zn__nd_state(s.st, LL_A), ZN__ND_REACHABLE);
  /* 50 NS from forged on-link sources, each with its own MAC. */
  for (int i = 0; i < 50; i++) {
    uint8_t src[16] = {0xfe, 0x80, [14] = 1, [15] = (uint8_t)(10 + i)};
    uint8_t mac[6] = {2, 0, 0, 1, 0, (uint8_t)(10 + i)};
    inject_ns(&s, src, mac);
  }
  ZT_EQU(S(nd_ns_rx), 50);
  ZT_CHECK(S(nd_evict) > 0);
  ZT_EQ(zn__nd_state(s.st, LL_A), ZN__ND_REACHABLE);
  sent_purge(&s.link.b);
  ping_a(&s);
  ZT_EQ(count_icmp6(&s, ZN_ICMP6_ECHO_REQUEST), 1);
  solo_free(&s);
}

/* Echo requests from forged on-link sources: each reply needs a
 * resolution that never completes.  They may not fill the cache with
 * INCOMPLETE entries (which nothing may take) nor push out a neighbor we
 * talk to but have not confirmed yet (learnt from its NS): found by
 * tests/e2e/attack_ipv6.sh, where Linux's entry went and every segment
 * to it was dropped until the forged resolutions failed (3 s). */
ZT_TEST(test_nd_forged_echo_sources_leave_room_for_our_traffic) {
  struct zn_config c;
  cfg6(&c, 2);
  c.nd_entries = 4;
  struct solo s;
  solo6(&s, &c);
  ZT_REQUIRE(s.st);
  inject_ns(&s, LL_A, MAC_A); /* A: STALE, unconfirmed */
  ping_a(&s);
  ZT_EQ(zn__nd_state(s.st, LL_A), ZN__ND_DELAY);
  for (int i = 0; i < 10; i++) {
    uint8_t src[16] = {0xfe, 0x80, [14] = 1, [15] = (uint8_t)(10 + i)};
    uint8_t m[64], f[200];
    size_t ml = mk_echo6(m, 7, (uint16_t)i, 8, src, LL_B);
    inject(s.st, f, mk6(f, MAC_B, src, LL_B, ZN_IPPROTO_ICMPV6, 64, m, ml));
  }
  ZT_EQU(S(icmp6_echo_rx), 10);
  ZT_CHECK(S(nd_drop_cache_full) > 0);
  ZT_CHECK(zn__nd_state(s.st, LL_A) != ZN__ND_FREE);
  sent_purge(&s.link.b);
  ping_a(&s);
  ZT_EQ(count_icmp6(&s, ZN_ICMP6_ECHO_REQUEST), 1);
  /* A new neighbor of our own still gets an entry. */
  struct zn_ip x = zn_ip_from_v6((const uint8_t[16]){0xfe, 0x80, [15] = 9});
  uint8_t d[8] = {0};
  ZT_EQ(zn_icmp6_echo_send(s.st, &x, 1, 2, d, sizeof(d)), ZN_OK);
  zn_stack_flush(s.st);
  ZT_EQ(zn__nd_state(s.st, x.bytes), ZN__ND_INCOMPLETE);
  solo_free(&s);
}

/* RFC 4862 §5.4.5: an address DAD found duplicate is not ours; the
 * neighbor that holds it is reached like any other, and its NA resolves
 * it (it went to DAD instead, so every reply to that neighbor was lost:
 * found by tests/e2e/ipv6_nd.sh, Linux pinging from the address it
 * holds). */
ZT_TEST(test_na_for_a_duplicate_address_of_ours_resolves_its_holder) {
  static const uint8_t X[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 2};
  struct zn_config c;
  cfg6(&c, 2);
  struct solo s;
  solo6(&s, &c);
  ZT_REQUIRE(s.st);
  static const uint8_t Y[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 3};
  add6(s.st, X, 64);
  add6(s.st, Y, 64); /* ours: the prefix stays on-link */
  struct zn__ip6_addr *a = NULL;
  for (uint32_t i = 0; i < c.ipv6_addrs; i++)
    if (memcmp(ZN__MOD(s.st, ip6)->addr[i].a, X, 16) == 0)
      a = &ZN__MOD(s.st, ip6)->addr[i];
  ZT_REQUIRE(a);
  a->state = ZN__A6_DUPLICATE;
  struct zn_ip x = zn_ip_from_v6(X);
  uint8_t d[8] = {0};
  ZT_EQ(zn_icmp6_echo_send(s.st, &x, 1, 1, d, sizeof(d)), ZN_OK);
  zn_stack_flush(s.st);
  ZT_EQ(zn__nd_state(s.st, X), ZN__ND_INCOMPLETE);
  sent_purge(&s.link.b);
  inject_na(&s, X, ZN_ND_NA_FLAG_S | ZN_ND_NA_FLAG_O, MAC_A);
  ZT_EQ(zn__nd_state(s.st, X), ZN__ND_REACHABLE);
  struct zn_icmp6_view iv;
  struct zn_buf *e = pop_icmp6(&s, ZN_ICMP6_ECHO_REQUEST, &iv);
  ZT_REQUIRE(e);
  ZT_MEMEQ(e->data, MAC_A, 6);
  zn_buf_free(e);
  ZT_EQ(a->state, ZN__A6_DUPLICATE);
  solo_free(&s);
}

/* RFC 4861 §7.2.5: an NA without O does not replace a known address; a
 * cleared R flag drops the router. */
ZT_TEST(test_na_override_rules_applied) {
  struct zn_config c;
  cfg6(&c, 2);
  struct solo s;
  solo6(&s, &c);
  ZT_REQUIRE(s.st);
  ping_a(&s);
  inject_na(&s, LL_A, ZN_ND_NA_FLAG_S | ZN_ND_NA_FLAG_O | ZN_ND_NA_FLAG_R,
            MAC_A);
  ZT_EQ(zn__nd_state(s.st, LL_A), ZN__ND_REACHABLE);
  inject_na(&s, LL_A, 0, MAC_X); /* no O, other MAC: REACHABLE -> STALE */
  ZT_EQ(zn__nd_state(s.st, LL_A), ZN__ND_STALE);
  sent_purge(&s.link.b);
  ping_a(&s);
  struct zn_icmp6_view iv;
  struct zn_buf *e = pop_icmp6(&s, ZN_ICMP6_ECHO_REQUEST, &iv);
  ZT_REQUIRE(e);
  ZT_MEMEQ(e->data, MAC_A, 6); /* address kept */
  zn_buf_free(e);
  inject_na(&s, LL_A, ZN_ND_NA_FLAG_O, MAC_X); /* O: replaced, STALE */
  ZT_EQ(zn__nd_state(s.st, LL_A), ZN__ND_STALE);
  ping_a(&s);
  e = pop_icmp6(&s, ZN_ICMP6_ECHO_REQUEST, &iv);
  ZT_REQUIRE(e);
  ZT_MEMEQ(e->data, MAC_X, 6);
  zn_buf_free(e);
  /* An NA to a multicast address with S set is invalid. */
  uint8_t m[64], f[200], mmac[6];
  size_t ml = zn_nd_na_emit(m, ZN_ND_NA_FLAG_S, LL_A, MAC_A);
  csum6(m, ml, LL_A, ALL_NODES6);
  zn_ipv6_mcast_mac(ALL_NODES6, mmac);
  inject(s.st, f, mk6(f, mmac, LL_A, ALL_NODES6, 58, 255, m, ml));
  ZT_EQU(S(nd_drop_invalid), 1);
  solo_free(&s);
}

/* A DAD probe (from ::) for our address is answered to all-nodes; one not
 * sent to the solicited-node group is invalid. */
ZT_TEST(test_dad_ns_from_unspecified_answered_to_all_nodes) {
  struct zn_config c;
  cfg6(&c, 2);
  struct solo s;
  solo6(&s, &c);
  ZT_REQUIRE(s.st);
  uint8_t m[64], f[200], sn[16], mac[6];
  const uint8_t unspec[16] = {0};
  zn_ipv6_solicited_node(LL_B, sn);
  zn_ipv6_mcast_mac(sn, mac);
  size_t ml = zn_nd_ns_emit(m, LL_B, NULL);
  csum6(m, ml, unspec, sn);
  inject(s.st, f, mk6(f, mac, unspec, sn, 58, 255, m, ml));
  ZT_EQU(S(nd_dad_rx), 1);
  struct zn_icmp6_view iv;
  struct zn_buf *na = pop_icmp6(&s, ZN_ICMP6_ND_NA, &iv);
  ZT_REQUIRE(na);
  ZT_MEMEQ(na->data + 14 + 24, ALL_NODES6, 16);
  ZT_EQ(iv.p[4] & ZN_ND_NA_FLAG_S, 0);
  zn_buf_free(na);
  csum6(m, ml, unspec, LL_B);
  inject(s.st, f, mk6(f, MAC_B, unspec, LL_B, 58, 255, m, ml));
  ZT_EQU(S(nd_drop_dad_src), 1);
  solo_free(&s);
}

/* A tentative address takes only NS and NA (for DAD), and answers none. */
ZT_TEST(test_tentative_address_accepts_only_nd) {
  struct zn_config c;
  cfg6(&c, 2);
  struct solo s;
  solo6(&s, &c);
  ZT_REQUIRE(s.st);
  know_a(&s);
  ZN__MOD(s.st, ip6)->addr[0].state = ZN__A6_TENTATIVE;
  uint8_t m[64], f[200], sn[16], mac[6];
  size_t ml = mk_echo6(m, 1, 1, 8, LL_A, LL_B);
  inject(s.st, f, mk6(f, MAC_B, LL_A, LL_B, 58, 64, m, ml));
  ZT_EQU(S(ip6_drop_tentative), 1);
  const uint8_t unspec[16] = {0};
  zn_ipv6_solicited_node(LL_B, sn);
  zn_ipv6_mcast_mac(sn, mac);
  ml = zn_nd_ns_emit(m, LL_B, NULL);
  csum6(m, ml, unspec, sn);
  inject(s.st, f, mk6(f, mac, unspec, sn, 58, 255, m, ml));
  ZT_EQU(S(nd_dad_rx), 1);
  ZT_EQ(sent_count(&s.link.b, 0), 0);
  ZN__MOD(s.st, ip6)->addr[0].state = ZN__A6_PREFERRED;
  solo_free(&s);
}

static struct {
  int n;
  enum zn__nd_event ev[8];
  uint8_t target[16];
} seen;

static void on_nd_event(struct zn_stack *st, enum zn__nd_event ev,
                        const uint8_t target[16]) {
  (void)st;
  if (seen.n < 8)
    seen.ev[seen.n] = ev;
  seen.n++;
  memcpy(seen.target, target, 16);
}

/* The NS and NA about our addresses that DAD needs reach every listener
 * registered at assembly, by kind: ipv6conf's (whose DAD finds the
 * address a duplicate) and a second one; an NS answered as usual is no
 * event.  The table is bounded. */
ZT_TEST(test_nd_events_shown_to_listeners) {
  struct zn_config c;
  cfg6(&c, 2);
  struct solo s;
  solo6(&s, &c);
  ZT_REQUIRE(s.st);
  memset(&seen, 0, sizeof(seen));
  ZT_EQ(zn__nd_listen(s.st, on_nd_event), ZN_OK);
  ZT_EQ(zn__nd_listen(s.st, on_nd_event), ZN_ENOMEM);
  inject_ns(&s, LL_A, MAC_A); /* resolution: answered, no event */
  ZT_EQU(S(nd_ns_rx), 1);
  ZT_EQ(seen.n, 0);
  uint8_t m[64], f[200], sn[16], mac[6];
  const uint8_t unspec[16] = {0};
  zn_ipv6_solicited_node(LL_B, sn);
  zn_ipv6_mcast_mac(sn, mac);
  size_t ml = zn_nd_ns_emit(m, LL_B, NULL);
  csum6(m, ml, unspec, sn);
  inject(s.st, f, mk6(f, mac, unspec, sn, 58, 255, m, ml));
  ZT_EQ(seen.n, 1);
  ZT_EQ(seen.ev[0], ZN__ND_EV_NS_PROBE);
  ZT_MEMEQ(seen.target, LL_B, 16);
  struct zn__ip6_addr *a = zn__ip6_addr_find(s.st, LL_B);
  ZT_REQUIRE(a);
  a->state = ZN__A6_TENTATIVE;
  inject_ns(&s, LL_A, MAC_A); /* for a tentative address: not answered */
  ZT_EQ(seen.n, 2);
  ZT_EQ(seen.ev[1], ZN__ND_EV_NS);
  inject_na(&s, LL_B, ZN_ND_NA_FLAG_O, MAC_A);
  ZT_EQ(seen.n, 3);
  ZT_EQ(seen.ev[2], ZN__ND_EV_NA);
  ZT_EQU(S(nd_dad_rx), 3);
  ZT_EQU(S(dad_dup_ns), 0); /* RFC 4862 §5.4.3: only a probe from :: */
  ZT_EQU(S(dad_dup_na), 1);
  ZT_EQ(a->state, ZN__A6_DUPLICATE);
  solo_free(&s);
}

int main(void) {
  ZT_RUN(test_nd_wanted_then_learned);
  ZT_RUN(test_nd_resolve_publishes);
  ZT_RUN(test_nud_incomplete_reachable_stale_delay_probe_gone);
  ZT_RUN(test_nd_upper_layer_confirmations_keep_reachable);
  ZT_RUN(test_nd_pending_queue_bounded_and_dropped_on_failure);
  ZT_RUN(test_nd_failure_answers_address_unreachable);
  ZT_RUN(test_nd_cache_exhaustion_keeps_established_neighbor);
  ZT_RUN(test_nd_forged_echo_sources_leave_room_for_our_traffic);
  ZT_RUN(test_na_for_a_duplicate_address_of_ours_resolves_its_holder);
  ZT_RUN(test_na_override_rules_applied);
  ZT_RUN(test_dad_ns_from_unspecified_answered_to_all_nodes);
  ZT_RUN(test_tentative_address_accepts_only_nd);
  ZT_RUN(test_nd_events_shown_to_listeners);
  return zt_done();
}
