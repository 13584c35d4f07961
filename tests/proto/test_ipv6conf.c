/* IPv6 host configuration (src/ipv6conf): addresses and DAD, RFC 7217
 * identifiers, router discovery, SLAAC, RDNSS/DNSSL, MLDv2.  src/ipv6 is
 * not in this branch's picture: messages are handed to the module's entry
 * points as src/ipv6 will (b->data at the ICMPv6 header), and what the
 * module sends is seen through its tx counters. */
#include "core/stack_int.h"
#include "internals.h"
#include "proto_util.h"
#include "znet/err.h"
#include "znet/wire.h"

#define MSEC 1000000ull
#define SECS 1000000000ull

static const uint8_t RTR[16] = {0xfe, 0x80, [15] = 1};
static const uint8_t RTR2[16] = {0xfe, 0x80, [15] = 2};
static const uint8_t PFX[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 1};
static const uint8_t ALL_NODES[16] = {0xff, 2, [15] = 1};

struct t {
  struct solo s;
  struct zn_stack *st;
  uint64_t now;
};

static void t_init(struct t *t, bool slaac) {
  struct zn_config c;
  th_config(&c, 0, 0, 1);
  c.ipv6 = true;
  c.ipv6_slaac = slaac;
  solo_init(&t->s, &c);
  t->st = t->s.st;
  t->now = MSEC;
  zn_stack_poll(t->st, t->now); /* start: link-local, RS, DAD armed */
}

static void t_free(struct t *t) {
  ZT_EQ(th_check_accounting(t->st), 0);
  solo_free(&t->s);
}

/* Advance the virtual clock to `until` in steps of `step`. */
static void run_to(struct t *t, uint64_t until, uint64_t step) {
  while (t->now < until) {
    t->now = t->now + step > until ? until : t->now + step;
    zn_stack_poll(t->st, t->now);
    sent_purge(&t->s.link.b);
  }
}

#define S(t, name) zn_stat((t)->st, ZN_STAT_##name)

static const struct zn__ip6_addr *linklocal(const struct t *t) {
  for (uint32_t i = 0; i < ZN__MOD(t->st, ip6)->naddr; i++) {
    const struct zn__ip6_addr *e = &ZN__MOD(t->st, ip6)->addr[i];
    if (e->state != ZN__A6_FREE && e->origin == ZN__A6_LINKLOCAL)
      return e;
  }
  return NULL;
}

static const struct zn__ip6_addr *slaac_addr(const struct t *t) {
  for (uint32_t i = 0; i < ZN__MOD(t->st, ip6)->naddr; i++) {
    const struct zn__ip6_addr *e = &ZN__MOD(t->st, ip6)->addr[i];
    if (e->state != ZN__A6_FREE && e->origin == ZN__A6_SLAAC)
      return e;
  }
  return NULL;
}

/* ---- message builders ---------------------------------------------- */

struct msg {
  uint8_t p[1400];
  size_t len;
};

static void ra_begin(struct msg *m, uint8_t cur_hop, uint16_t lifetime,
                     uint32_t reachable, uint32_t retrans) {
  zn_icmp6_emit(m->p, ZN_ICMP6_ND_RA, 0,
                (uint32_t)cur_hop << 24 | (uint32_t)lifetime);
  zn_wr32(m->p + 8, reachable);
  zn_wr32(m->p + 12, retrans);
  m->len = 16;
}

static void opt_prefix(struct msg *m, const uint8_t pfx[16], uint8_t len,
                       uint8_t flags, uint32_t valid, uint32_t preferred) {
  uint8_t *o = m->p + m->len;
  memset(o, 0, 32);
  o[0] = ZN_ND_OPT_PREFIX;
  o[1] = 4;
  o[2] = len;
  o[3] = flags;
  zn_wr32(o + 4, valid);
  zn_wr32(o + 8, preferred);
  memcpy(o + 16, pfx, 16);
  m->len += 32;
}

static void opt_raw(struct msg *m, const uint8_t *o, size_t n) {
  memcpy(m->p + m->len, o, n);
  m->len += n;
}

static void opt_mtu(struct msg *m, uint32_t mtu) {
  uint8_t o[8] = {ZN_ND_OPT_MTU, 1};
  zn_wr32(o + 4, mtu);
  opt_raw(m, o, 8);
}

static void opt_rdnss(struct msg *m, const uint8_t a[16], uint32_t life) {
  uint8_t o[24] = {ZN_ND_OPT_RDNSS, 3};
  zn_wr32(o + 4, life);
  memcpy(o + 8, a, 16);
  opt_raw(m, o, 24);
}

/* DNSSL with one name, "example.com". */
static void opt_dnssl(struct msg *m, uint32_t life) {
  uint8_t o[24] = {ZN_ND_OPT_DNSSL, 3};
  static const uint8_t name[] = "\7example\3com";
  zn_wr32(o + 4, life);
  memcpy(o + 8, name, sizeof(name)); /* with the final zero */
  opt_raw(m, o, 24);
}

static void deliver(struct t *t, const struct msg *m, const uint8_t src[16],
                    uint8_t hops, bool mld) {
  struct zn_buf *b = zn_stack_buf_alloc(t->st, m->len);
  struct zn__inet_meta meta;
  ZT_REQUIRE(b != NULL);
  memcpy(zn_buf_put(b, m->len), m->p, m->len);
  memset(&meta, 0, sizeof(meta));
  meta.src.family = ZN_AF_INET6;
  memcpy(meta.src.bytes, src, 16);
  meta.dst.family = ZN_AF_INET6;
  memcpy(meta.dst.bytes, ALL_NODES, 16);
  meta.proto = ZN_IPPROTO_ICMPV6;
  meta.ttl = hops;
  meta.bcast = true;
  meta.hdr_len = 40;
  if (mld)
    zn__ip6conf_mld_input(t->st, b, &meta);
  else
    zn__ip6conf_ra_input(t->st, b, &meta);
}

static void ra_in(struct t *t, const struct msg *m) {
  deliver(t, m, RTR, 255, false);
}

/* An MLD query: group NULL for a general query. */
static void query_in(struct t *t, const uint8_t *group, uint16_t mrc,
                     uint8_t hops, size_t len) {
  struct msg m;
  memset(m.p, 0, sizeof(m.p));
  zn_icmp6_emit(m.p, ZN_ICMP6_MLD_QUERY, 0, (uint32_t)mrc << 16);
  if (group)
    memcpy(m.p + 8, group, 16);
  m.len = len;
  deliver(t, &m, RTR, hops, true);
}

/* ---- RFC 7217 identifiers ------------------------------------------- */

ZT_TEST(test_iid_same_inputs_same_iid_else_different) {
  struct t t;
  t_init(&t, false);
  uint8_t a[8], b[8], c[8], d[8];
  zn__ip6conf_stable_iid(t.st, PFX, 0, a);
  zn__ip6conf_stable_iid(t.st, PFX, 0, b);
  ZT_MEMEQ(a, b, 8);
  zn__ip6conf_stable_iid(t.st, PFX, 1, c);
  ZT_CHECK(memcmp(a, c, 8) != 0);
  uint8_t other[8] = {0x20, 0x01, 0x0d, 0xb8, 0, 2};
  zn__ip6conf_stable_iid(t.st, other, 0, d);
  ZT_CHECK(memcmp(a, d, 8) != 0);
  /* A second stack with the same seed and MAC: the same link-local. */
  struct t u;
  t_init(&u, false);
  ZT_MEMEQ(linklocal(&t)->a, linklocal(&u)->a, 16);
  ZT_EQ(linklocal(&t)->a[0], 0xfe);
  ZT_EQ(linklocal(&t)->a[1], 0x80);
  t_free(&u);
  t_free(&t);
}

ZT_TEST(test_iid_reserved_rfc5453_detected) {
  uint8_t zero[8] = {0};
  uint8_t anycast[8] = {0xfd, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x80};
  uint8_t not_anycast[8] = {0xfd, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f};
  uint8_t pmip[8] = {0x02, 0x00, 0x5e, 0xff, 0xfe, 0x00, 0x52, 0x13};
  uint8_t normal[8] = {0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0};
  ZT_CHECK(zn__ip6conf_iid_reserved(zero));
  ZT_CHECK(zn__ip6conf_iid_reserved(anycast));
  ZT_CHECK(!zn__ip6conf_iid_reserved(not_anycast));
  ZT_CHECK(zn__ip6conf_iid_reserved(pmip));
  ZT_CHECK(!zn__ip6conf_iid_reserved(normal));
}

/* ---- DAD ------------------------------------------------------------ */

ZT_TEST(test_linklocal_dad_preferred_after_probe_and_retrans) {
  struct t t;
  t_init(&t, false);
  const struct zn__ip6_addr *ll = linklocal(&t);
  ZT_REQUIRE(ll != NULL);
  ZT_EQ(ll->state, ZN__A6_TENTATIVE);
  uint8_t sn[16];
  zn_ipv6_solicited_node(ll->a, sn);
  ZT_CHECK(zn__ip6_mcast_joined(t.st, sn)); /* joined before probing */
  /* The probe comes within MAX_RTR_SOLICITATION_DELAY (1 s). */
  uint64_t probe_at = 0;
  while (t.now < 1100 * MSEC && !probe_at) {
    run_to(&t, t.now + MSEC, MSEC);
    if (S(&t, dad_ns_tx) == 1)
      probe_at = t.now;
  }
  ZT_CHECK(probe_at > 0 && probe_at <= 1002 * MSEC);
  ZT_EQ(ll->state, ZN__A6_TENTATIVE);
  /* RetransTimer (1 s) later it is ours. */
  run_to(&t, probe_at + 990 * MSEC, MSEC);
  ZT_EQ(ll->state, ZN__A6_TENTATIVE);
  run_to(&t, probe_at + 1010 * MSEC, MSEC);
  ZT_EQ(ll->state, ZN__A6_PREFERRED);
  ZT_EQ(S(&t, dad_ns_tx), 1);
  ZT_EQ(S(&t, dad_ok), 1);
  struct zn_ipv6_addr_info info[4];
  ZT_EQ(zn_stack_ipv6_addrs(t.st, info, 4), 1);
  ZT_EQ(info[0].state, ZN_IPV6_ADDR_PREFERRED);
  ZT_EQ(info[0].origin, ZN_IPV6_ORIGIN_LINKLOCAL);
  ZT_EQU(info[0].valid_until, ZN_TIME_NEVER);
  t_free(&t);
}

ZT_TEST(test_dad_probe_from_other_node_regenerates_linklocal) {
  struct t t;
  t_init(&t, false);
  const struct zn__ip6_addr *ll = linklocal(&t);
  uint8_t first[16];
  memcpy(first, ll->a, 16);
  zn__ip6conf_dad_ns(t.st, first, true);
  ZT_EQ(S(&t, dad_dup_ns), 1);
  ZT_EQ(S(&t, dad_regen), 1);
  ZT_EQ(ll->state, ZN__A6_TENTATIVE);
  ZT_EQ(ll->dad_counter, 1);
  ZT_CHECK(memcmp(ll->a, first, 16) != 0);
  ZT_MEMEQ(ll->a, first, 8); /* same prefix */
  uint8_t iid[8];
  zn__ip6conf_stable_iid(t.st, first, 1, iid);
  ZT_MEMEQ(ll->a + 8, iid, 8);
  uint8_t sn[16];
  zn_ipv6_solicited_node(first, sn);
  ZT_CHECK(!zn__ip6_mcast_joined(t.st, sn)); /* old group left */
  run_to(&t, 3 * SECS, MSEC);
  ZT_EQ(ll->state, ZN__A6_PREFERRED);
  t_free(&t);
}

ZT_TEST(test_dad_ns_from_unicast_source_ignored) {
  struct t t;
  t_init(&t, false);
  const struct zn__ip6_addr *ll = linklocal(&t);
  zn__ip6conf_dad_ns(t.st, ll->a, false);
  ZT_EQ(S(&t, dad_dup_ns), 0);
  ZT_EQ(ll->state, ZN__A6_TENTATIVE);
  t_free(&t);
}

ZT_TEST(test_dad_linklocal_out_of_retries_disables_ipv6) {
  struct t t;
  t_init(&t, false);
  const struct zn__ip6_addr *ll = linklocal(&t);
  for (int i = 0; i < 4; i++)
    zn__ip6conf_dad_na(t.st, ll->a);
  ZT_EQ(S(&t, dad_dup_na), 4);
  ZT_EQ(S(&t, dad_regen), 3); /* IDGEN_RETRIES */
  ZT_EQ(ll->state, ZN__A6_DUPLICATE);
  ZT_EQ(S(&t, ip6conf_disabled), 1);
  uint64_t rs = S(&t, rs_tx);
  run_to(&t, 15 * SECS, 10 * MSEC);
  ZT_EQ(S(&t, rs_tx), rs); /* no more solicitations */
  ZT_EQ(S(&t, dad_ns_tx), 0);
  struct msg m;
  ra_begin(&m, 64, 1800, 0, 0);
  ra_in(&t, &m);
  ZT_EQ(S(&t, ra_drop_disabled), 1);
  t_free(&t);
}

ZT_TEST(test_static_addr_dad_then_na_conflict_marks_duplicate) {
  struct t t;
  t_init(&t, false);
  struct zn_ip a = {ZN_AF_INET6, {0x20, 0x01, 0x0d, 0xb8, [15] = 5}};
  ZT_EQ(zn_stack_add_ipv6(t.st, &a, 64), ZN_OK);
  ZT_EQ(zn_stack_add_ipv6(t.st, &a, 64), ZN_EEXIST);
  const struct zn__ip6_addr *e = zn__ip6_addr_find(t.st, a.bytes);
  ZT_REQUIRE(e != NULL);
  ZT_EQ(e->state, ZN__A6_TENTATIVE);
  zn__ip6conf_dad_na(t.st, a.bytes);
  ZT_EQ(e->state, ZN__A6_DUPLICATE);
  ZT_EQ(S(&t, dad_regen), 0); /* static: never regenerated */
  ZT_EQ(S(&t, ip6conf_disabled), 0);
  uint8_t sn[16];
  zn_ipv6_solicited_node(a.bytes, sn);
  ZT_CHECK(!zn__ip6_mcast_joined(t.st, sn));
  ZT_EQ(zn_stack_del_ipv6(t.st, &a), ZN_OK);
  ZT_EQ(zn_stack_del_ipv6(t.st, &a), ZN_ENOENT);
  t_free(&t);
}

ZT_TEST(test_static_addr_preferred_after_dad_na_then_only_logged) {
  struct t t;
  t_init(&t, false);
  struct zn_ip a = {ZN_AF_INET6, {0x20, 0x01, 0x0d, 0xb8, [15] = 6}};
  ZT_EQ(zn_stack_add_ipv6(t.st, &a, 64), ZN_OK);
  run_to(&t, 3 * SECS, MSEC);
  const struct zn__ip6_addr *e = zn__ip6_addr_find(t.st, a.bytes);
  ZT_EQ(e->state, ZN__A6_PREFERRED);
  ZT_EQ(S(&t, dad_ns_tx), 2); /* link-local and the static one */
  zn__ip6conf_dad_na(t.st, a.bytes);
  ZT_EQ(e->state, ZN__A6_PREFERRED);
  ZT_EQ(S(&t, dad_na_assigned), 1);
  /* On-link through its prefix. */
  uint8_t dst[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 9}, hop[16];
  ZT_EQ(zn__ip6_next_hop_determine(t.st, dst, hop), ZN_OK);
  ZT_MEMEQ(hop, dst, 16);
  t_free(&t);
}

/* ---- router discovery ----------------------------------------------- */

ZT_TEST(test_rs_three_solicitations_four_seconds_apart) {
  struct t t;
  t_init(&t, false);
  uint64_t at[4] = {0};
  int n = 0;
  while (t.now < 20 * SECS) {
    uint64_t before = S(&t, rs_tx);
    run_to(&t, t.now + MSEC, MSEC);
    if (S(&t, rs_tx) != before && n < 4)
      at[n++] = t.now;
  }
  ZT_EQ(n, 3);
  ZT_CHECK(at[0] <= 1002 * MSEC);
  ZT_EQ(at[1] - at[0], 4 * SECS);
  ZT_EQ(at[2] - at[1], 4 * SECS);
  t_free(&t);
}

ZT_TEST(test_rs_stops_after_ra) {
  struct t t;
  t_init(&t, false);
  run_to(&t, 2 * SECS, MSEC);
  ZT_EQ(S(&t, rs_tx), 1);
  struct msg m;
  ra_begin(&m, 64, 1800, 0, 0);
  ra_in(&t, &m);
  ZT_EQ(S(&t, ra_accepted), 1);
  run_to(&t, 20 * SECS, 10 * MSEC);
  ZT_EQ(S(&t, rs_tx), 1);
  t_free(&t);
}

ZT_TEST(test_ra_validation_rejects_each_bad_field) {
  struct t t;
  t_init(&t, false);
  struct msg m;
  ra_begin(&m, 64, 1800, 0, 0);
  deliver(&t, &m, RTR, 254, false); /* forwarded: off-link spoofing */
  ZT_EQ(S(&t, ra_drop_hop_limit), 1);
  static const uint8_t global[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
  deliver(&t, &m, global, 255, false);
  ZT_EQ(S(&t, ra_drop_src), 1);
  struct msg bad = m;
  bad.p[1] = 1; /* code */
  ra_in(&t, &bad);
  bad = m;
  bad.len = 12; /* short */
  ra_in(&t, &bad);
  ZT_EQ(S(&t, ra_drop_malformed), 2);
  bad = m;
  static const uint8_t zero_len[8] = {ZN_ND_OPT_SLLA, 0};
  opt_raw(&bad, zero_len, 8);
  ra_in(&t, &bad);
  bad = m;
  opt_prefix(&bad, PFX, 64, ZN_ND_PREFIX_FLAG_L, 100, 50);
  bad.p[16 + 1] = 3; /* prefix option of length 3 */
  bad.len -= 8;
  ra_in(&t, &bad);
  ZT_EQ(S(&t, ra_drop_opts), 2);
  ZT_EQ(S(&t, ra_rx), 6);
  ZT_EQ(S(&t, ra_accepted), 0);
  uint8_t dst[16] = {0x20, 0x01, 0x48, 0x60, [15] = 1}, hop[16];
  ZT_EQ(zn__ip6_next_hop_determine(t.st, dst, hop), ZN_EHOSTUNREACH);
  t_free(&t);
}

ZT_TEST(test_ra_parameters_learnt_and_bounded) {
  struct t t;
  t_init(&t, false);
  struct msg m;
  uint32_t epoch = zn__af_mtu_epoch(t.st);
  ra_begin(&m, 42, 1800, 10000, 2000);
  opt_mtu(&m, 1400);
  ra_in(&t, &m);
  /* A smaller link MTU: TCP's segments must fit it again. */
  ZT_CHECK(zn__af_mtu_epoch(t.st) != epoch);
  epoch = zn__af_mtu_epoch(t.st);
  ZT_EQ(zn__ip6_hop_limit(t.st), 42);
  ZT_EQ(zn__ip6_retrans_ms(t.st), 2000);
  ZT_CHECK(zn__ip6_reachable_ms(t.st) >= 5000);
  ZT_CHECK(zn__ip6_reachable_ms(t.st) <= 15000);
  ZT_EQ(zn__ip6_link_mtu(t.st), 1400);
  ra_begin(&m, 0, 1800, 0, 0);
  opt_mtu(&m, 9000); /* above the link's 1500 */
  ra_in(&t, &m);
  ra_begin(&m, 0, 1800, 0, 0);
  opt_mtu(&m, 1000); /* below IPv6's minimum */
  ra_in(&t, &m);
  ZT_EQ(S(&t, ra_mtu_ignored), 2);
  ZT_EQ(zn__ip6_link_mtu(t.st), 1400);
  ZT_EQ(zn__af_mtu_epoch(t.st), epoch);
  ZT_EQ(zn__ip6_hop_limit(t.st), 42); /* 0: unspecified, kept */
  t_free(&t);
}

/* RFC 4861 §6.3.4: ReachableTime is drawn again at least every few
 * hours (every three here), even when BaseReachableTime never changes;
 * each draw stays within [0.5, 1.5] * BaseReachableTime. */
ZT_TEST(test_reachable_time_rerandomised_every_few_hours) {
  struct t t;
  t_init(&t, false);
  uint32_t seen[4];
  int changes = 0;
  seen[0] = zn__ip6_reachable_ms(t.st);
  for (int i = 1; i < 4; i++) {
    run_to(&t, t.now + 3 * 3600 * SECS + SECS, 60 * SECS);
    seen[i] = zn__ip6_reachable_ms(t.st);
    ZT_CHECK(seen[i] >= 15000 && seen[i] <= 45000);
    changes += seen[i] != seen[i - 1];
  }
  ZT_CHECK(changes >= 2);
  t_free(&t);
}

ZT_TEST(test_router_lifetime_expiry_and_round_robin) {
  struct t t;
  t_init(&t, false);
  struct msg m;
  ra_begin(&m, 64, 30, 0, 0);
  ra_in(&t, &m);
  ra_begin(&m, 64, 60, 0, 0);
  deliver(&t, &m, RTR2, 255, false);
  uint8_t dst[16] = {0x20, 0x01, 0x48, 0x60, [15] = 1}, hop[16];
  ZT_EQ(zn__ip6_next_hop_determine(t.st, dst, hop), ZN_OK);
  ZT_MEMEQ(hop, RTR, 16);
  zn__ip6_router_lost(t.st, RTR); /* NUD gave up on it */
  ZT_EQ(zn__ip6_next_hop_determine(t.st, dst, hop), ZN_OK);
  ZT_MEMEQ(hop, RTR2, 16);
  zn__ip6_router_lost(t.st, RTR2); /* both: round-robin */
  uint8_t h1[16], h2[16];
  zn__ip6_next_hop_determine(t.st, dst, h1);
  zn__ip6_next_hop_determine(t.st, dst, h2);
  ZT_CHECK(memcmp(h1, h2, 16) != 0);
  run_to(&t, t.now + 31 * SECS, 100 * MSEC);
  ZT_EQ(S(&t, ra_router_expired), 1);
  ZT_EQ(zn__ip6_next_hop_determine(t.st, dst, hop), ZN_OK);
  ZT_MEMEQ(hop, RTR2, 16);
  run_to(&t, t.now + 30 * SECS, 100 * MSEC);
  ZT_EQ(S(&t, ra_router_expired), 2);
  ZT_EQ(zn__ip6_next_hop_determine(t.st, dst, hop), ZN_EHOSTUNREACH);
  /* Lifetime 0 removes at once. */
  ra_begin(&m, 64, 30, 0, 0);
  ra_in(&t, &m);
  ra_begin(&m, 64, 0, 0, 0);
  ra_in(&t, &m);
  ZT_EQ(zn__ip6_next_hop_determine(t.st, dst, hop), ZN_EHOSTUNREACH);
  t_free(&t);
}

/* A pod's address: a /128 and the configuration's router, a global
 * address outside every prefix (Cilium) or a link-local one (Calico). */
ZT_TEST(test_static_gateway_with_a_128_address) {
  struct t t;
  t_init(&t, false);
  struct zn_ip a = {ZN_AF_INET6, {0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 5}};
  ZT_EQ(zn_stack_add_ipv6(t.st, &a, 128), ZN_OK);
  run_to(&t, 3 * SECS, MSEC);
  struct zn_ip gw = {ZN_AF_INET6, {0x20, 0x01, 0x0d, 0xb8, 0xff, [15] = 1}};
  struct zn_ip got;
  ZT_EQ(zn_stack_get_ipv6_gateway(t.st, &got), ZN_ENOENT);
  ZT_EQ(zn_stack_set_ipv6_gateway(t.st, &gw), ZN_OK);
  ZT_EQ(zn_stack_get_ipv6_gateway(t.st, &got), ZN_OK);
  ZT_MEMEQ(got.bytes, gw.bytes, 16);
  /* Everything off the /128 goes through it, itself and a neighbor in
   * what would be the /64 included. */
  uint8_t far[16] = {0x20, 0x01, 0x48, 0x60, [15] = 1};
  uint8_t next[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 6};
  const uint8_t *dsts[] = {far, next, gw.bytes};
  uint8_t hop[16];
  for (size_t i = 0; i < 3; i++) {
    ZT_EQ(zn__ip6_next_hop_determine(t.st, dsts[i], hop), ZN_OK);
    ZT_MEMEQ(hop, gw.bytes, 16);
  }
  /* Advertisements from it neither expire nor remove it. */
  struct msg m;
  ra_begin(&m, 64, 0, 0, 0);
  deliver(&t, &m, gw.bytes, 255, false);
  run_to(&t, t.now + 3 * 3600 * SECS, 10 * SECS);
  ZT_EQ(S(&t, ra_router_expired), 0);
  ZT_EQ(zn__ip6_next_hop_determine(t.st, far, hop), ZN_OK);
  ZT_MEMEQ(hop, gw.bytes, 16);
  /* Given up on: an advertised router first, then it again. */
  ra_begin(&m, 64, 30, 0, 0);
  ra_in(&t, &m);
  zn__ip6_router_lost(t.st, gw.bytes);
  ZT_EQ(zn__ip6_next_hop_determine(t.st, far, hop), ZN_OK);
  ZT_MEMEQ(hop, RTR, 16);
  run_to(&t, t.now + 31 * SECS, 100 * MSEC);
  ZT_EQ(S(&t, ra_router_expired), 1);
  ZT_EQ(zn__ip6_next_hop_determine(t.st, far, hop), ZN_OK);
  ZT_MEMEQ(hop, gw.bytes, 16);
  /* Replaced by a link-local one; then none. */
  struct zn_ip ll = zn_ip_from_v6(RTR2);
  ZT_EQ(zn_stack_set_ipv6_gateway(t.st, &ll), ZN_OK);
  ZT_EQ(zn__ip6_next_hop_determine(t.st, far, hop), ZN_OK);
  ZT_MEMEQ(hop, RTR2, 16);
  ZT_EQ(zn_stack_set_ipv6_gateway(t.st, NULL), ZN_OK);
  ZT_EQ(zn_stack_get_ipv6_gateway(t.st, &got), ZN_ENOENT);
  ZT_EQ(zn__ip6_next_hop_determine(t.st, far, hop), ZN_EHOSTUNREACH);
  /* Refused: our own address, multicast, loopback, IPv4. */
  struct zn_ip mc = zn_ip_from_v6(ALL_NODES);
  struct zn_ip lo = {ZN_AF_INET6, {[15] = 1}};
  struct zn_ip v4 = zn_ip_from_v4(ZN_IPV4(10, 0, 0, 1));
  ZT_EQ(zn_stack_set_ipv6_gateway(t.st, &a), ZN_EINVAL);
  ZT_EQ(zn_stack_set_ipv6_gateway(t.st, &mc), ZN_EINVAL);
  ZT_EQ(zn_stack_set_ipv6_gateway(t.st, &lo), ZN_EINVAL);
  ZT_EQ(zn_stack_set_ipv6_gateway(t.st, &v4), ZN_EINVAL);
  t_free(&t);
}

/* The router list full of advertised routers: no room for it. */
ZT_TEST(test_static_gateway_router_list_full) {
  struct t t;
  t_init(&t, false);
  uint32_t n = ZN__MOD(t.st, ip6)->nrouter;
  struct msg m;
  for (uint32_t i = 0; i < n; i++) {
    uint8_t r[16] = {0xfe, 0x80, [14] = 1, [15] = (uint8_t)i};
    ra_begin(&m, 64, 600, 0, 0);
    deliver(&t, &m, r, 255, false);
  }
  struct zn_ip gw = {ZN_AF_INET6, {0xfe, 0x80, [14] = 2, [15] = 1}};
  ZT_EQ(zn_stack_set_ipv6_gateway(t.st, &gw), ZN_ENOSPC);
  /* One of them made the configuration's: it takes that entry. */
  struct zn_ip one = {ZN_AF_INET6, {0xfe, 0x80, [14] = 1, [15] = 0}};
  ZT_EQ(zn_stack_set_ipv6_gateway(t.st, &one), ZN_OK);
  run_to(&t, t.now + 601 * SECS, SECS);
  ZT_EQ(S(&t, ra_router_expired), n - 1);
  uint8_t far[16] = {0x20, 0x01, 0x48, 0x60, [15] = 1}, hop[16];
  ZT_EQ(zn__ip6_next_hop_determine(t.st, far, hop), ZN_OK);
  ZT_MEMEQ(hop, one.bytes, 16);
  t_free(&t);
}

ZT_TEST(test_onlink_prefix_lifetime) {
  struct t t;
  t_init(&t, false);
  struct msg m;
  ra_begin(&m, 64, 0, 0, 0);
  opt_prefix(&m, PFX, 64, ZN_ND_PREFIX_FLAG_L, 10, 5);
  ra_in(&t, &m);
  uint8_t dst[16], hop[16];
  memcpy(dst, PFX, 16);
  dst[15] = 7;
  ZT_EQ(zn__ip6_next_hop_determine(t.st, dst, hop), ZN_OK);
  ZT_MEMEQ(hop, dst, 16);
  run_to(&t, t.now + 11 * SECS, 100 * MSEC);
  ZT_EQ(S(&t, ra_prefix_expired), 1);
  ZT_EQ(zn__ip6_next_hop_determine(t.st, dst, hop), ZN_EHOSTUNREACH);
  t_free(&t);
}

/* ---- SLAAC ----------------------------------------------------------- */

static void slaac_ra(struct t *t, uint8_t len, uint32_t valid,
                     uint32_t preferred) {
  struct msg m;
  ra_begin(&m, 64, 1800, 0, 0);
  opt_prefix(&m, PFX, len, ZN_ND_PREFIX_FLAG_L | ZN_ND_PREFIX_FLAG_A, valid,
             preferred);
  ra_in(t, &m);
}

ZT_TEST(test_slaac_address_dad_deprecated_removed) {
  struct t t;
  t_init(&t, true);
  slaac_ra(&t, 64, 60, 30);
  const struct zn__ip6_addr *e = slaac_addr(&t);
  ZT_REQUIRE(e != NULL);
  ZT_EQ(S(&t, slaac_addr_added), 1);
  ZT_MEMEQ(e->a, PFX, 8);
  uint8_t iid[8];
  zn__ip6conf_stable_iid(t.st, PFX, 0, iid);
  ZT_MEMEQ(e->a + 8, iid, 8);
  ZT_EQ(e->state, ZN__A6_TENTATIVE);
  run_to(&t, t.now + 3 * SECS, MSEC);
  ZT_EQ(e->state, ZN__A6_PREFERRED);
  run_to(&t, t.now + 28 * SECS, 100 * MSEC);
  ZT_EQ(e->state, ZN__A6_DEPRECATED);
  ZT_EQ(S(&t, slaac_deprecated), 1);
  run_to(&t, t.now + 30 * SECS, 100 * MSEC);
  ZT_CHECK(slaac_addr(&t) == NULL);
  ZT_EQ(S(&t, slaac_expired), 1);
  t_free(&t);
}

/* RFC 7217 §6: a SLAAC address found in use is regenerated with the next
 * DAD_Counter, IDGEN_RETRIES (3) times; then it is DUPLICATE, unused, and
 * goes when its valid lifetime ends, after which the prefix's next
 * advertisement starts again.  Meanwhile advertisements do not revive it. */
/* An RA whose prefix is for SLAAC only (A, not L): no on-link entry
 * whose lifetime would wake the module. */
static void slaac_only_ra(struct t *t) {
  struct msg m;
  ra_begin(&m, 64, 1800, 0, 0);
  opt_prefix(&m, PFX, 64, ZN_ND_PREFIX_FLAG_A, 60, 30);
  ra_in(t, &m);
}

ZT_TEST(test_slaac_duplicate_regenerated_then_expires) {
  struct t t;
  t_init(&t, true);
  run_to(&t, 3 * SECS, MSEC); /* link-local DAD over */
  slaac_only_ra(&t);
  const struct zn__ip6_addr *e = slaac_addr(&t);
  ZT_REQUIRE(e != NULL);
  uint8_t first[16];
  memcpy(first, e->a, 16);
  zn__ip6conf_dad_ns(t.st, e->a, true);
  ZT_EQ(S(&t, dad_regen), 1);
  ZT_EQ(e->state, ZN__A6_TENTATIVE);
  ZT_EQ(e->dad_counter, 1);
  ZT_MEMEQ(e->a, PFX, 8);
  ZT_CHECK(memcmp(e->a, first, 16) != 0);
  for (int i = 0; i < 3; i++)
    zn__ip6conf_dad_na(t.st, e->a);
  ZT_EQ(S(&t, dad_regen), 3); /* IDGEN_RETRIES */
  ZT_EQ(e->state, ZN__A6_DUPLICATE);
  ZT_EQ(S(&t, ip6conf_disabled), 0); /* only a link-local one does that */
  slaac_only_ra(&t);           /* does not revive it */
  ZT_EQ(e->state, ZN__A6_DUPLICATE);
  ZT_EQ(S(&t, slaac_addr_added), 1);
  /* Nothing else is pending: the module's timer must wake for the
   * duplicate's valid lifetime by itself. */
  run_to(&t, t.now + 61 * SECS, SECS);
  ZT_CHECK(slaac_addr(&t) == NULL);
  ZT_EQ(S(&t, slaac_expired), 1);
  slaac_only_ra(&t);
  e = slaac_addr(&t);
  ZT_REQUIRE(e != NULL);
  ZT_EQ(e->state, ZN__A6_TENTATIVE);
  ZT_EQ(e->dad_counter, 0);
  ZT_MEMEQ(e->a, first, 16);
  t_free(&t);
}

/* ---- the destination cache (src/ipv6) ------------------------------- */

/* What src/ipv6's destination cache answers for dst (source, next hop)
 * is what a fresh walk of the tables answers.  The fresh walk: moving
 * the tables' generation as a change would, which empties the cache. */
static void dest_cache_agrees(struct t *t, const uint8_t dst[16], int line) {
  uint8_t cs[16] = {0}, cn[16] = {0}, fs[16] = {0}, fn[16] = {0};
  int rs = zn__ip6_select_source(t->st, dst, cs);
  int rn = zn__ip6_next_hop(t->st, dst, cn);
  uint32_t gen = ZN__MOD(t->st, ip6)->gen;
  ZN__MOD(t->st, ip6)->gen = gen + 1 ? gen + 1 : 1;
  int frs = zn__ip6_select_source(t->st, dst, fs);
  int frn = zn__ip6_next_hop(t->st, dst, fn);
  if (rs != frs || memcmp(cs, fs, 16) != 0)
    zt_fail(__FILE__, line, "cached source is stale (%d vs %d)", rs, frs);
  if (rn != frn || memcmp(cn, fn, 16) != 0)
    zt_fail(__FILE__, line, "cached next hop is stale (%d vs %d)", rn, frn);
}
#define AGREES(t, dst) dest_cache_agrees((t), (dst), __LINE__)

/* RFC 4861 §5.1: every change to the router list, the prefix list or an
 * address's state reaches the destination cache before the next datagram:
 * each step below first fills the cache, then changes one table. */
ZT_TEST(test_destination_cache_follows_every_table_change) {
  struct t t;
  t_init(&t, true);
  const uint8_t off[16] = {0x20, 0x01, 0x48, 0x60, [15] = 1};
  uint8_t on[16], hop[16], src[16];
  memcpy(on, PFX, 16);
  on[15] = 7;
  AGREES(&t, off); /* no router: unreachable; source: link-local (DAD) */
  run_to(&t, 3 * SECS, MSEC); /* link-local DAD over */
  AGREES(&t, off);
  ZT_EQ(zn__ip6_select_source(t.st, off, src), ZN_OK);
  ZT_CHECK(zn_ipv6_addr_is_linklocal(src));
  struct msg m;
  ra_begin(&m, 64, 30, 0, 0); /* a router */
  ra_in(&t, &m);
  AGREES(&t, off);
  ZT_EQ(zn__ip6_next_hop(t.st, off, hop), ZN_OK);
  ZT_MEMEQ(hop, RTR, 16);
  ra_begin(&m, 64, 100, 0, 0); /* a second one */
  deliver(&t, &m, RTR2, 255, false);
  AGREES(&t, off);
  zn__ip6_router_lost(t.st, RTR); /* NUD gave up */
  AGREES(&t, off);
  ZT_EQ(zn__ip6_next_hop(t.st, off, hop), ZN_OK);
  ZT_MEMEQ(hop, RTR2, 16);
  ra_begin(&m, 64, 30, 0, 0); /* its RA brings it back */
  ra_in(&t, &m);
  AGREES(&t, off);
  ra_begin(&m, 64, 0, 0, 0); /* lifetime 0: gone */
  ra_in(&t, &m);
  AGREES(&t, off);
  ZT_EQ(zn__ip6_next_hop(t.st, off, hop), ZN_OK);
  ZT_MEMEQ(hop, RTR2, 16);
  ZT_EQ(zn__ip6_next_hop(t.st, on, hop), ZN_OK); /* via the router */
  ZT_MEMEQ(hop, RTR2, 16);
  /* An on-link prefix with SLAAC: on-link at once, the source once DAD
   * is over (from a host that is not a router: lifetime 0). */
  ra_begin(&m, 64, 0, 0, 0);
  opt_prefix(&m, PFX, 64, ZN_ND_PREFIX_FLAG_L | ZN_ND_PREFIX_FLAG_A, 60,
             30);
  ra_in(&t, &m);
  AGREES(&t, on);
  ZT_EQ(zn__ip6_next_hop(t.st, on, hop), ZN_OK);
  ZT_MEMEQ(hop, on, 16);
  ZT_EQ(zn__ip6_select_source(t.st, on, src), ZN_OK);
  ZT_CHECK(zn_ipv6_addr_is_linklocal(src)); /* SLAAC address tentative */
  run_to(&t, t.now + 3 * SECS, MSEC);
  AGREES(&t, on);
  ZT_EQ(zn__ip6_select_source(t.st, on, src), ZN_OK);
  ZT_MEMEQ(src, PFX, 8);
  run_to(&t, t.now + 28 * SECS, 100 * MSEC); /* deprecated */
  ZT_EQ(S(&t, slaac_deprecated), 1);
  AGREES(&t, on);
  /* A static address in the prefix, preferred: rule 3 takes it over
   * the deprecated one. */
  uint8_t st6[16];
  memcpy(st6, PFX, 16);
  st6[15] = 0x55;
  struct zn_ip sip = zn_ip_from_v6(st6);
  ZT_EQ(zn__ip6_select_source(t.st, on, src), ZN_OK);
  ZT_EQ(zn_stack_add_ipv6(t.st, &sip, 64), ZN_OK);
  run_to(&t, t.now + 3 * SECS, MSEC);
  AGREES(&t, on);
  ZT_EQ(zn__ip6_select_source(t.st, on, src), ZN_OK);
  ZT_MEMEQ(src, st6, 16);
  ZT_EQ(zn_stack_del_ipv6(t.st, &sip), ZN_OK);
  AGREES(&t, on);
  ZT_EQ(zn__ip6_select_source(t.st, on, src), ZN_OK);
  ZT_CHECK(memcmp(src, st6, 16) != 0);
  run_to(&t, t.now + 30 * SECS, 100 * MSEC); /* prefix and address gone */
  ZT_EQ(S(&t, slaac_expired), 1);
  ZT_EQ(S(&t, ra_prefix_expired), 1);
  AGREES(&t, on);
  ZT_EQ(zn__ip6_next_hop(t.st, on, hop), ZN_OK);
  ZT_MEMEQ(hop, RTR2, 16); /* off-link again */
  run_to(&t, t.now + 60 * SECS, SECS); /* the last router expires */
  AGREES(&t, off);
  ZT_EQ(zn__ip6_next_hop(t.st, off, hop), ZN_EHOSTUNREACH);
  t_free(&t);
}

ZT_TEST(test_slaac_ignores_bad_prefixes) {
  struct t t;
  t_init(&t, true);
  slaac_ra(&t, 48, 600, 300);
  ZT_EQ(S(&t, slaac_prefix_len), 1);
  slaac_ra(&t, 64, 100, 200); /* preferred > valid */
  ZT_EQ(S(&t, ra_prefix_ignored), 1);
  struct msg m;
  static const uint8_t ll[16] = {0xfe, 0x80};
  ra_begin(&m, 64, 1800, 0, 0);
  opt_prefix(&m, ll, 64, ZN_ND_PREFIX_FLAG_A, 600, 300);
  ra_in(&t, &m);
  ZT_EQ(S(&t, ra_prefix_ignored), 2);
  ZT_CHECK(slaac_addr(&t) == NULL);
  t_free(&t);
  /* Without cfg.ipv6_slaac, no address. */
  t_init(&t, false);
  slaac_ra(&t, 64, 600, 300);
  ZT_CHECK(slaac_addr(&t) == NULL);
  t_free(&t);
}

ZT_TEST(test_slaac_two_hour_rule) {
  struct t t;
  t_init(&t, true);
  slaac_ra(&t, 64, 86400, 3600);
  const struct zn__ip6_addr *e = slaac_addr(&t);
  ZT_REQUIRE(e != NULL);
  uint64_t t0 = t.now;
  /* A spoofed short lifetime: cut to two hours, not to 10 s. */
  slaac_ra(&t, 64, 10, 5);
  ZT_EQU(e->valid_until, t0 + 7200 * SECS);
  ZT_EQ(S(&t, slaac_two_hour), 1);
  /* Longer than two hours is taken as is. */
  slaac_ra(&t, 64, 3 * 3600, 3600);
  ZT_EQU(e->valid_until, t0 + 3 * 3600 * SECS);
  /* With two hours or less remaining, a shorter value is ignored. */
  run_to(&t, t0 + 2 * 3600 * SECS, 10 * SECS);
  uint64_t before = e->valid_until;
  slaac_ra(&t, 64, 60, 30);
  ZT_EQU(e->valid_until, before);
  ZT_EQ(S(&t, slaac_two_hour), 2);
  /* ... but a longer one than remains is taken. */
  slaac_ra(&t, 64, 5000, 30);
  ZT_EQU(e->valid_until, t.now + 5000 * SECS);
  t_free(&t);
}

ZT_TEST(test_ra_flood_many_prefixes_bounded) {
  struct t t;
  t_init(&t, true);
  for (int r = 0; r < 20; r++) {
    struct msg m;
    ra_begin(&m, 64, 1800, 0, 0);
    for (int i = 0; i < 40; i++) {
      uint8_t p[16] = {0x20, 0x01, 0x0d, 0xb8, (uint8_t)r, (uint8_t)i};
      opt_prefix(&m, p, 64, ZN_ND_PREFIX_FLAG_L | ZN_ND_PREFIX_FLAG_A, 600,
                 300);
    }
    ra_in(&t, &m);
  }
  ZT_EQ(S(&t, ra_accepted), 20);
  ZT_EQ(S(&t, slaac_addr_added), ZN_DEFAULT_IPV6_ADDRS - 1);
  ZT_EQ(S(&t, ip6conf_addr_full), 800 - (ZN_DEFAULT_IPV6_ADDRS - 1));
  ZT_EQ(S(&t, ra_prefix_full), 800 - ZN_DEFAULT_IPV6_PREFIXES);
  ZT_EQ(zn_stack_ipv6_addrs(t.st, NULL, 0), ZN_DEFAULT_IPV6_ADDRS);
  /* Nothing is held but what was sent (DAD probes, reports). */
  zn_stack_flush(t.st);
  sent_purge(&t.s.link.b);
  ZT_EQ(zn_stack_bufs_in_use(t.st), 0);
  t_free(&t);
}

/* ---- RDNSS / DNSSL --------------------------------------------------- */

ZT_TEST(test_rdnss_dnssl_stored_until_lifetime) {
  struct t t;
  t_init(&t, false);
  static const uint8_t dns[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 0x53};
  struct msg m;
  ra_begin(&m, 64, 1800, 0, 0);
  opt_rdnss(&m, dns, 20);
  opt_dnssl(&m, 10);
  ra_in(&t, &m);
  struct zn_ip ip;
  char name[256];
  ZT_EQ(zn_stack_ipv6_dns_server(t.st, 0, &ip), ZN_OK);
  ZT_EQ(ip.family, ZN_AF_INET6);
  ZT_MEMEQ(ip.bytes, dns, 16);
  ZT_EQ(zn_stack_ipv6_dns_server(t.st, 1, &ip), ZN_ENOENT);
  ZT_EQ(zn_stack_ipv6_dns_search(t.st, 0, name, sizeof(name)), ZN_OK);
  ZT_STREQ(name, "example.com");
  ZT_EQ(zn_stack_ipv6_dns_search(t.st, 0, name, 5), ZN_ENOSPC);
  run_to(&t, t.now + 11 * SECS, 100 * MSEC);
  ZT_EQ(zn_stack_ipv6_dns_search(t.st, 0, name, sizeof(name)), ZN_ENOENT);
  ZT_EQ(zn_stack_ipv6_dns_server(t.st, 0, &ip), ZN_OK);
  run_to(&t, t.now + 10 * SECS, 100 * MSEC);
  ZT_EQ(zn_stack_ipv6_dns_server(t.st, 0, &ip), ZN_ENOENT);
  /* Lifetime 0 withdraws at once. */
  ra_begin(&m, 64, 1800, 0, 0);
  opt_rdnss(&m, dns, 100);
  ra_in(&t, &m);
  ZT_EQ(zn_stack_ipv6_dns_server(t.st, 0, &ip), ZN_OK);
  ra_begin(&m, 64, 1800, 0, 0);
  opt_rdnss(&m, dns, 0);
  ra_in(&t, &m);
  ZT_EQ(zn_stack_ipv6_dns_server(t.st, 0, &ip), ZN_ENOENT);
  t_free(&t);
}

/* A DNSSL name is read with the DNS name codec: a dot or a control byte
 * inside a label comes out escaped, so that it reads back as the same
 * labels (hand-joined labels read "a.b" + "example" as three labels). */
ZT_TEST(test_dnssl_name_text_escaped) {
  struct t t;
  t_init(&t, false);
  struct msg m;
  ra_begin(&m, 64, 1800, 0, 0);
  uint8_t o[24] = {ZN_ND_OPT_DNSSL, 3};
  static const uint8_t name[] = "\3a.b\7ex\001mple"; /* 2 labels */
  zn_wr32(o + 4, 10);
  memcpy(o + 8, name, sizeof(name));
  opt_raw(&m, o, 24);
  ra_in(&t, &m);
  char text[256];
  ZT_EQ(zn_stack_ipv6_dns_search(t.st, 0, text, sizeof(text)), ZN_OK);
  ZT_STREQ(text, "a\\.b.ex\\001mple");
  struct zn_dns_name back;
  ZT_EQ(zn_dns_name_from_text(&back, text, strlen(text)), ZN_OK);
  ZT_EQ(zn_dns_name_labels(&back), 2);
  t_free(&t);
}

/* ---- MLDv2 ----------------------------------------------------------- */

ZT_TEST(test_mld_join_reported_robustness_times) {
  struct t t;
  t_init(&t, false);
  run_to(&t, 3 * SECS, MSEC); /* link-local group reports done */
  uint64_t base = S(&t, mld_report_tx);
  ZT_EQ(base, 2); /* solicited-node group of the link-local, twice */
  static const uint8_t g[16] = {0xff, 0x02, [15] = 0x42};
  ZT_EQ(zn__ip6conf_mcast_join(t.st, g), ZN_OK);
  ZT_EQ(zn__ip6conf_mcast_join(t.st, g), ZN_OK); /* refcounted */
  ZT_CHECK(zn__ip6_mcast_joined(t.st, g));
  run_to(&t, t.now + MSEC, MSEC);
  ZT_EQ(S(&t, mld_report_tx), base + 1); /* at once */
  run_to(&t, t.now + 1001 * MSEC, MSEC);
  ZT_EQ(S(&t, mld_report_tx), base + 2); /* within the interval */
  run_to(&t, t.now + 5 * SECS, 10 * MSEC);
  ZT_EQ(S(&t, mld_report_tx), base + 2);
  ZT_EQ(zn__ip6conf_mcast_leave(t.st, g), ZN_OK);
  ZT_CHECK(zn__ip6_mcast_joined(t.st, g));
  ZT_EQ(zn__ip6conf_mcast_leave(t.st, g), ZN_OK);
  ZT_CHECK(!zn__ip6_mcast_joined(t.st, g));
  run_to(&t, t.now + 2 * SECS, MSEC);
  ZT_EQ(S(&t, mld_report_tx), base + 4);
  ZT_EQ(zn__ip6conf_mcast_leave(t.st, g), ZN_ENOENT);
  /* all-nodes: always joined, never reported. */
  ZT_CHECK(zn__ip6_mcast_joined(t.st, ALL_NODES));
  ZT_EQ(zn__ip6conf_mcast_join(t.st, ALL_NODES), ZN_OK);
  run_to(&t, t.now + 2 * SECS, MSEC);
  ZT_EQ(S(&t, mld_report_tx), base + 4);
  t_free(&t);
}

ZT_TEST(test_mld_general_query_answered_within_max_delay) {
  struct t t;
  t_init(&t, false);
  run_to(&t, 3 * SECS, MSEC);
  uint64_t base = S(&t, mld_report_tx);
  query_in(&t, NULL, 2000, 1, ZN_MLD2_QUERY_LEN); /* 2 s */
  ZT_EQ(S(&t, mld_query_general), 1);
  uint64_t q = t.now, answered = 0;
  while (t.now < q + 3 * SECS && !answered) {
    run_to(&t, t.now + MSEC, MSEC);
    if (S(&t, mld_report_tx) != base)
      answered = t.now;
  }
  ZT_CHECK(answered > q && answered <= q + 2001 * MSEC);
  ZT_EQ(S(&t, mld_report_tx), base + 1); /* one report, all groups */
  t_free(&t);
}

ZT_TEST(test_mld_specific_query_answered_only_when_member) {
  struct t t;
  t_init(&t, false);
  run_to(&t, 3 * SECS, MSEC);
  static const uint8_t g[16] = {0xff, 0x02, [15] = 0x42};
  static const uint8_t other[16] = {0xff, 0x02, [15] = 0x43};
  zn__ip6conf_mcast_join(t.st, g);
  run_to(&t, t.now + 3 * SECS, MSEC);
  uint64_t base = S(&t, mld_report_tx);
  query_in(&t, other, 500, 1, ZN_MLD2_QUERY_LEN);
  ZT_EQ(S(&t, mld_drop_not_member), 1);
  query_in(&t, g, 500, 1, ZN_MLD2_QUERY_LEN);
  ZT_EQ(S(&t, mld_query_specific), 1);
  run_to(&t, t.now + 501 * MSEC, MSEC);
  ZT_EQ(S(&t, mld_report_tx), base + 1);
  t_free(&t);
}

ZT_TEST(test_mld_bad_queries_dropped) {
  struct t t;
  t_init(&t, false);
  query_in(&t, NULL, 1000, 2, ZN_MLD2_QUERY_LEN);
  ZT_EQ(S(&t, mld_drop_hop_limit), 1);
  query_in(&t, NULL, 1000, 1, ZN_MLD_QUERY_V1_LEN);
  ZT_EQ(S(&t, mld_drop_v1), 1);
  query_in(&t, NULL, 1000, 1, 26);
  ZT_EQ(S(&t, mld_drop_malformed), 1);
  struct msg m;
  memset(m.p, 0, 28);
  zn_icmp6_emit(m.p, ZN_ICMP6_MLD_QUERY, 0, 0);
  m.len = 28;
  static const uint8_t global[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
  deliver(&t, &m, global, 1, true);
  ZT_EQ(S(&t, mld_drop_src), 1);
  zn_icmp6_emit(m.p, ZN_ICMP6_MLD2_REPORT, 0, 0);
  deliver(&t, &m, RTR, 1, true);
  ZT_EQ(S(&t, mld_drop_report), 1);
  ZT_EQ(S(&t, mld_rx), 5);
  ZT_EQ(S(&t, mld_query_general), 0);
  t_free(&t);
}

int main(void) {
  ZT_RUN(test_iid_same_inputs_same_iid_else_different);
  ZT_RUN(test_iid_reserved_rfc5453_detected);
  ZT_RUN(test_linklocal_dad_preferred_after_probe_and_retrans);
  ZT_RUN(test_dad_probe_from_other_node_regenerates_linklocal);
  ZT_RUN(test_dad_ns_from_unicast_source_ignored);
  ZT_RUN(test_dad_linklocal_out_of_retries_disables_ipv6);
  ZT_RUN(test_static_addr_dad_then_na_conflict_marks_duplicate);
  ZT_RUN(test_static_addr_preferred_after_dad_na_then_only_logged);
  ZT_RUN(test_rs_three_solicitations_four_seconds_apart);
  ZT_RUN(test_rs_stops_after_ra);
  ZT_RUN(test_ra_validation_rejects_each_bad_field);
  ZT_RUN(test_ra_parameters_learnt_and_bounded);
  ZT_RUN(test_reachable_time_rerandomised_every_few_hours);
  ZT_RUN(test_router_lifetime_expiry_and_round_robin);
  ZT_RUN(test_static_gateway_with_a_128_address);
  ZT_RUN(test_static_gateway_router_list_full);
  ZT_RUN(test_onlink_prefix_lifetime);
  ZT_RUN(test_slaac_address_dad_deprecated_removed);
  ZT_RUN(test_slaac_duplicate_regenerated_then_expires);
  ZT_RUN(test_slaac_ignores_bad_prefixes);
  ZT_RUN(test_slaac_two_hour_rule);
  ZT_RUN(test_ra_flood_many_prefixes_bounded);
  ZT_RUN(test_rdnss_dnssl_stored_until_lifetime);
  ZT_RUN(test_dnssl_name_text_escaped);
  ZT_RUN(test_mld_join_reported_robustness_times);
  ZT_RUN(test_mld_general_query_answered_within_max_delay);
  ZT_RUN(test_mld_specific_query_answered_only_when_member);
  ZT_RUN(test_mld_bad_queries_dropped);
  ZT_RUN(test_destination_cache_follows_every_table_change);
  return zt_done();
}
