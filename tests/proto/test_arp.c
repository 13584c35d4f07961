/* ARP behaviour (src/arp/arp.c) between two stacks and against crafted
 * packets. */
#include "core/stack_int.h"
#include "internals.h"
#include "proto_util.h"
#include "znet/hash.h"

static int replies;
static void on_reply(struct zn_stack *st, void *arg,
                     const struct zn_icmp_echo *r) {
  (void)st;
  (void)arg;
  (void)r;
  replies++;
}

static size_t mk_arp(uint8_t *f, const uint8_t *edst, const uint8_t *esrc,
                     uint16_t op, const uint8_t *sha, uint32_t spa,
                     const uint8_t *tha, uint32_t tpa) {
  zn_eth_emit(f, edst, esrc, ZN_ETHERTYPE_ARP);
  zn_arp_emit(f + 14, op, sha, spa, tha, tpa);
  return 42;
}

ZT_TEST(test_resolve_and_learn) {
  struct th_pair p;
  struct zn_config ca, cb;
  cfg_quiet(&ca, IP_A, 1);
  cfg_quiet(&cb, IP_B, 2);
  th_pair_init(&p, &ca, &cb);
  ZT_REQUIRE(p.a && p.b);
  replies = 0;
  zn_icmp_set_echo_reply_cb(p.a, on_reply, NULL);
  ZT_EQ(zn_icmp_echo_send(p.a, IP_B, 1, 1, "hi", 2), ZN_OK);
  th_pair_run(&p, ZN_MS(10));
  ZT_EQ(replies, 1);
  uint8_t mac[6];
  ZT_EQ(zn_arp_lookup(p.a, IP_B, mac), ZN_OK);
  ZT_MEMEQ(mac, MAC_B, 6);
  /* B learned A from A's request (no request of its own needed). */
  ZT_EQ(zn_arp_lookup(p.b, IP_A, mac), ZN_OK);
  ZT_MEMEQ(mac, MAC_A, 6);
  ZT_EQU(zn_stat(p.a, ZN_STAT_arp_req_tx), 1);
  ZT_EQU(zn_stat(p.b, ZN_STAT_arp_req_tx), 0);
  ZT_EQU(zn_stat(p.b, ZN_STAT_arp_reply_tx), 1);
  ZT_EQU(zn_stat(p.a, ZN_STAT_arp_reply_rx), 1);
  th_pair_free(&p);
}

ZT_TEST(test_retry_backoff_then_fail) {
  struct zn_config c;
  cfg_quiet(&c, IP_A, 1);
  c.arp_retries = 3;
  c.arp_retry_ms = 1000;
  struct solo s;
  solo_init(&s, &c);
  ZT_REQUIRE(s.st);
  zn_stack_poll(s.st, 0);
  ZT_EQ(zn_icmp_echo_send(s.st, IP_X, 1, 1, "a", 1), ZN_OK);
  ZT_EQ(zn_icmp_echo_send(s.st, IP_X, 1, 2, "b", 1), ZN_OK);
  zn_stack_poll(s.st, 0);
  ZT_EQ(sent_count(&s.link.b, ZN_ETHERTYPE_ARP), 1);
  /* Retries at 1 s, then 2 s later, then 4 s later. */
  const uint64_t at[] = {ZN_SEC(1), ZN_SEC(3), ZN_SEC(7)};
  for (int i = 0; i < 3; i++) {
    zn_stack_poll(s.st, at[i] - 1);
    ZT_EQ(sent_count(&s.link.b, ZN_ETHERTYPE_ARP), i + 1);
    zn_stack_poll(s.st, at[i]);
    ZT_EQ(sent_count(&s.link.b, ZN_ETHERTYPE_ARP), i + 2);
  }
  ZT_EQ(zn_stack_bufs_in_use(s.st) - (uint32_t)s.link.b.rxq.count, 2);
  zn_stack_poll(s.st, ZN_SEC(15));
  ZT_EQU(zn_stat(s.st, ZN_STAT_arp_resolve_fail), 1);
  ZT_EQU(zn_stat(s.st, ZN_STAT_arp_drop_unresolved), 2);
  ZT_EQU(zn_stat(s.st, ZN_STAT_arp_req_tx), 4);
  ZT_EQ(zn_stack_bufs_in_use(s.st) - (uint32_t)s.link.b.rxq.count, 0);
  uint8_t mac[6];
  ZT_EQ(zn_arp_lookup(s.st, IP_X, mac), ZN_ENOENT);
  /* Every ARP sent is a broadcast request for IP_X from us. */
  struct zn_buf *b;
  while ((b = sent_pop(&s.link.b)) != NULL) {
    struct zn_eth_view e;
    struct zn_arp_view a;
    ZT_EQ(zn_eth_view_init(&e, b->data, b->len), ZN_OK);
    ZT_CHECK(zn_eth_is_bcast(zn_eth_dst(&e)));
    ZT_EQ(zn_arp_view_init(&a, b->data + 14, b->len - 14), ZN_OK);
    ZT_EQ(a.op, ZN_ARP_OP_REQUEST);
    ZT_EQU(zn_arp_tpa(&a), IP_X);
    ZT_EQU(zn_arp_spa(&a), IP_A);
    ZT_MEMEQ(zn_arp_sha(&a), MAC_A, 6);
    zn_buf_free(b);
  }
  solo_free(&s);
}

/* A shard's ARP (znet/neigh.h): with `wanted` set, no request reaches
 * the link, each try calls the hook instead, on the same timers; told
 * the answer (zn_arp_learn), the waiting datagrams go. */
static uint32_t wants, learned;
static uint32_t want_ip, learned_ip;
static void on_wanted(void *arg, const struct zn_ip *ip) {
  (void)arg;
  wants++;
  want_ip = zn_ip_v4(ip);
}
static void on_learned(void *arg, const struct zn_ip *ip,
                       const uint8_t mac[6]) {
  (void)arg, (void)mac;
  learned++;
  learned_ip = zn_ip_v4(ip);
}

ZT_TEST(test_wanted_instead_of_requests) {
  struct zn_config c;
  cfg_quiet(&c, IP_A, 1);
  c.arp_retries = 2;
  c.arp_retry_ms = 1000;
  struct solo s;
  solo_init(&s, &c);
  ZT_REQUIRE(s.st);
  const struct zn_neigh_hooks h = {.wanted = on_wanted};
  zn_arp_set_hooks(s.st, &h);
  wants = 0;
  zn_stack_poll(s.st, 0);
  ZT_EQ(zn_icmp_echo_send(s.st, IP_X, 1, 1, "a", 1), ZN_OK);
  zn_stack_poll(s.st, 0);
  ZT_EQ(wants, 1);
  ZT_EQU(want_ip, IP_X);
  zn_stack_poll(s.st, ZN_SEC(1));
  ZT_EQ(wants, 2); /* the first retry, on the request's timer */
  ZT_EQ(sent_count(&s.link.b, ZN_ETHERTYPE_ARP), 0);
  ZT_EQU(zn_stat(s.st, ZN_STAT_arp_req_tx), 0);
  ZT_EQU(zn_stat(s.st, ZN_STAT_arp_req_wanted), 2);
  /* Told: the echo request goes to the MAC it was told. */
  ZT_EQ(zn_arp_learn(s.st, IP_X, MAC_B), ZN_OK);
  zn_stack_poll(s.st, ZN_SEC(1));
  ZT_EQ(sent_count(&s.link.b, ZN_ETHERTYPE_IPV4), 1);
  uint8_t mac[6];
  ZT_EQ(zn_arp_lookup(s.st, IP_X, mac), ZN_OK);
  ZT_MEMEQ(mac, MAC_B, 6);
  ZT_EQU(zn_stat(s.st, ZN_STAT_arp_learned_rx), 1);
  /* Bad lessons, and a static entry kept. */
  ZT_EQ(zn_arp_learn(s.st, 0, MAC_B), ZN_EINVAL);
  ZT_EQ(zn_arp_learn(s.st, ZN_IPV4(224, 0, 0, 1), MAC_B), ZN_EINVAL);
  ZT_EQ(zn_arp_learn(s.st, ZN_IPV4(255, 255, 255, 255), MAC_B), ZN_EINVAL);
  static const uint8_t mcast[6] = {1, 0, 0x5e, 0, 0, 1}, zero[6] = {0};
  ZT_EQ(zn_arp_learn(s.st, IP_X, mcast), ZN_EINVAL);
  ZT_EQ(zn_arp_learn(s.st, IP_X, zero), ZN_EINVAL);
  ZT_EQ(zn_arp_add_static(s.st, IP_B, MAC_B), ZN_OK);
  ZT_EQ(zn_arp_learn(s.st, IP_B, MAC_A), ZN_EEXIST);
  ZT_EQ(zn_arp_lookup(s.st, IP_B, mac), ZN_OK);
  ZT_MEMEQ(mac, MAC_B, 6);
  sent_purge(&s.link.b);
  solo_free(&s);
}

/* Slot 0's side: zn_arp_resolve answers from the cache or sends a
 * request, and what the link then tells is published (`learned`). */
ZT_TEST(test_resolve_and_publish) {
  struct th_pair p;
  struct zn_config ca, cb;
  cfg_quiet(&ca, IP_A, 1);
  cfg_quiet(&cb, IP_B, 2);
  th_pair_init(&p, &ca, &cb);
  ZT_REQUIRE(p.a && p.b);
  const struct zn_neigh_hooks h = {.learned = on_learned};
  zn_arp_set_hooks(p.a, &h);
  learned = 0;
  uint8_t mac[6];
  ZT_EQ(zn_arp_resolve(p.a, IP_B, mac), ZN_EINPROGRESS);
  ZT_EQ(zn_arp_resolve(p.a, IP_B, mac), ZN_EINPROGRESS); /* one request */
  th_pair_run(&p, ZN_MS(10));
  ZT_EQU(zn_stat(p.a, ZN_STAT_arp_req_tx), 1);
  ZT_EQ(learned, 1);
  ZT_EQU(learned_ip, IP_B);
  ZT_EQ(zn_arp_resolve(p.a, IP_B, mac), ZN_OK);
  ZT_MEMEQ(mac, MAC_B, 6);
  ZT_EQ(zn_arp_resolve(p.a, 0, mac), ZN_EINVAL);
  ZT_EQ(zn_arp_resolve(p.a, ZN_IPV4(239, 1, 1, 1), mac), ZN_EINVAL);
  /* B's request to A (B pings A) is published too: A learnt B from it. */
  zn_arp_set_hooks(p.a, NULL);
  th_pair_free(&p);
}

ZT_TEST(test_pending_queue_bound) {
  struct th_pair p;
  struct zn_config ca, cb;
  cfg_quiet(&ca, IP_A, 1);
  cfg_quiet(&cb, IP_B, 2);
  ca.arp_pending = 4;
  th_pair_init(&p, &ca, &cb);
  ZT_REQUIRE(p.a && p.b);
  replies = 0;
  zn_icmp_set_echo_reply_cb(p.a, on_reply, NULL);
  for (uint16_t i = 0; i < 10; i++)
    ZT_EQ(zn_icmp_echo_send(p.a, IP_B, 1, i, "x", 1), ZN_OK);
  ZT_EQU(zn_stat(p.a, ZN_STAT_arp_drop_pending_full), 6);
  th_pair_run(&p, ZN_MS(10));
  ZT_EQ(replies, 4);
  th_pair_free(&p);
}

ZT_TEST(test_aging_and_reprobe) {
  struct th_pair p;
  struct zn_config ca, cb;
  cfg_quiet(&ca, IP_A, 1);
  cfg_quiet(&cb, IP_B, 2);
  ca.arp_reachable_ms = 10000;
  cb.arp_reachable_ms = 10000;
  th_pair_init(&p, &ca, &cb);
  ZT_REQUIRE(p.a && p.b);
  replies = 0;
  zn_icmp_set_echo_reply_cb(p.a, on_reply, NULL);
  zn_icmp_echo_send(p.a, IP_B, 1, 1, "x", 1);
  th_pair_run(&p, ZN_SEC(11));
  /* Stale now; the next send goes out at once and re-probes by unicast. */
  ZT_EQU(zn_stat(p.a, ZN_STAT_arp_req_tx), 1);
  zn_icmp_echo_send(p.a, IP_B, 1, 2, "x", 1);
  th_pair_run(&p, ZN_MS(10));
  ZT_EQ(replies, 2);
  ZT_EQU(zn_stat(p.a, ZN_STAT_arp_req_tx), 2);
  /* B's answer to the probe confirms B (or B's own probe of A, crossing
   * it, already did): either way nothing was dropped as unsolicited. */
  ZT_EQU(zn_stat(p.a, ZN_STAT_arp_drop_unsolicited), 0);
  ZT_EQU(zn_stat(p.b, ZN_STAT_arp_drop_unsolicited), 0);
  /* B goes silent (loses its address): the probe fails and the entry
   * goes; the next send resolves from scratch by broadcast. */
  th_pair_run(&p, ZN_SEC(11));
  zn_stack_set_ipv4(p.b, 0, 0, 0);
  zn_icmp_echo_send(p.a, IP_B, 1, 3, "x", 1);
  th_pair_run(&p, ZN_SEC(30));
  uint8_t mac[6];
  ZT_EQ(zn_arp_lookup(p.a, IP_B, mac), ZN_ENOENT);
  ZT_EQU(zn_stat(p.a, ZN_STAT_arp_resolve_fail), 1);
  ZT_EQ(replies, 2);
  /* Unused entries are collected: stale for as long again, then gone. */
  th_pair_run(&p, ZN_SEC(30));
  ZT_EQ(zn_arp_lookup(p.b, IP_A, mac), ZN_ENOENT);
  th_pair_free(&p);
}

ZT_TEST(test_unsolicited_reply_ignored) {
  struct zn_config c;
  cfg_quiet(&c, IP_A, 1);
  struct solo s;
  solo_init(&s, &c);
  ZT_REQUIRE(s.st);
  zn_stack_poll(s.st, 0);
  uint8_t f[64];
  /* Learn B from its request to us. */
  inject(s.st, f, mk_arp(f, zn_eth_bcast, MAC_B, ZN_ARP_OP_REQUEST, MAC_B, IP_B,
                         (const uint8_t *)"\0\0\0\0\0\0", IP_A));
  uint8_t mac[6];
  ZT_EQ(zn_arp_lookup(s.st, IP_B, mac), ZN_OK);
  ZT_MEMEQ(mac, MAC_B, 6);
  /* A spoofer's unsolicited reply neither overwrites nor creates. */
  inject(s.st, f, mk_arp(f, MAC_A, MAC_X, ZN_ARP_OP_REPLY, MAC_X, IP_B, MAC_A,
                         IP_A));
  inject(s.st, f, mk_arp(f, MAC_A, MAC_X, ZN_ARP_OP_REPLY, MAC_X,
                         ZN_IPV4(10, 0, 0, 9), MAC_A, IP_A));
  ZT_EQ(zn_arp_lookup(s.st, IP_B, mac), ZN_OK);
  ZT_MEMEQ(mac, MAC_B, 6);
  ZT_EQ(zn_arp_lookup(s.st, ZN_IPV4(10, 0, 0, 9), mac), ZN_ENOENT);
  ZT_EQU(zn_stat(s.st, ZN_STAT_arp_drop_unsolicited), 2);
  /* Someone claiming our address: conflict, ignored. */
  inject(s.st, f, mk_arp(f, zn_eth_bcast, MAC_X, ZN_ARP_OP_REQUEST, MAC_X, IP_A,
                         MAC_A, IP_B));
  ZT_EQU(zn_stat(s.st, ZN_STAT_arp_conflict), 1);
  /* Gratuitous ARP for a third address: ignored. */
  inject(s.st, f, mk_arp(f, zn_eth_bcast, MAC_X, ZN_ARP_OP_REQUEST, MAC_X, IP_X,
                         MAC_A, IP_X));
  ZT_EQ(zn_arp_lookup(s.st, IP_X, mac), ZN_ENOENT);
  ZT_EQU(zn_stat(s.st, ZN_STAT_arp_gratuitous_rx), 1);
  ZT_EQU(zn_stat(s.st, ZN_STAT_arp_drop_not_for_us), 0);
  /* We answered B's request with a unicast reply. */
  ZT_EQ(sent_count(&s.link.b, ZN_ETHERTYPE_ARP), 1);
  struct zn_buf *r = sent_pop(&s.link.b);
  ZT_REQUIRE(r);
  uint8_t want[42];
  mk_arp(want, MAC_B, MAC_A, ZN_ARP_OP_REPLY, MAC_A, IP_A, MAC_B, IP_B);
  ZT_EQ(r->len, 42);
  ZT_MEMEQ(r->data, want, 42);
  zn_buf_free(r);
  solo_free(&s);
}

ZT_TEST(test_probe_and_static) {
  struct zn_config c;
  cfg_quiet(&c, IP_A, 1);
  struct solo s;
  solo_init(&s, &c);
  ZT_REQUIRE(s.st);
  zn_stack_poll(s.st, 0);
  uint8_t f[64], mac[6];
  /* An RFC 5227 probe (sender 0.0.0.0) for our address gets an answer
   * but teaches us nothing. */
  inject(s.st, f, mk_arp(f, zn_eth_bcast, MAC_X, ZN_ARP_OP_REQUEST, MAC_X, 0,
                         (const uint8_t *)"\0\0\0\0\0\0", IP_A));
  ZT_EQ(sent_count(&s.link.b, ZN_ETHERTYPE_ARP), 1);
  ZT_EQU(zn_stat(s.st, ZN_STAT_arp_reply_tx), 1);
  /* Static entries are not changed by the network. */
  ZT_EQ(zn_arp_add_static(s.st, IP_B, MAC_B), ZN_OK);
  inject(s.st, f, mk_arp(f, zn_eth_bcast, MAC_X, ZN_ARP_OP_REQUEST, MAC_X, IP_B,
                         (const uint8_t *)"\0\0\0\0\0\0", IP_A));
  ZT_EQ(zn_arp_lookup(s.st, IP_B, mac), ZN_OK);
  ZT_MEMEQ(mac, MAC_B, 6);
  ZT_EQ(zn_arp_add_static(s.st, 0, MAC_B), ZN_EINVAL);
  ZT_EQ(zn_arp_add_static(s.st, IP_X, zn_eth_bcast), ZN_EINVAL);
  ZT_EQ(zn_arp_remove(s.st, IP_B), ZN_OK);
  ZT_EQ(zn_arp_remove(s.st, IP_B), ZN_ENOENT);
  solo_free(&s);
}

static bool count_entries(void *arg, const struct zn_arp_entry_info *e) {
  (void)e;
  (*(int *)arg)++;
  return true;
}

ZT_TEST(test_cache_full_evicts_lru) {
  struct zn_config c;
  cfg_quiet(&c, IP_A, 1);
  c.arp_entries = 4;
  struct solo s;
  solo_init(&s, &c);
  ZT_REQUIRE(s.st);
  uint8_t f[64], mac[6], m[6] = {2, 0, 0, 0, 1, 0};
  for (int i = 0; i < 6; i++) {
    zn_stack_poll(s.st, ZN_SEC((uint64_t)i + 1));
    m[5] = (uint8_t)(10 + i);
    inject(s.st, f, mk_arp(f, zn_eth_bcast, m, ZN_ARP_OP_REQUEST, m,
                           ZN_IPV4(10, 0, 0, 10 + i),
                           (const uint8_t *)"\0\0\0\0\0\0", IP_A));
  }
  int n = 0;
  zn_arp_foreach(s.st, count_entries, &n);
  ZT_EQ(n, 4);
  ZT_EQU(zn_stat(s.st, ZN_STAT_arp_evict), 2);
  ZT_EQ(zn_arp_lookup(s.st, ZN_IPV4(10, 0, 0, 10), mac), ZN_ENOENT);
  ZT_EQ(zn_arp_lookup(s.st, ZN_IPV4(10, 0, 0, 11), mac), ZN_ENOENT);
  ZT_EQ(zn_arp_lookup(s.st, ZN_IPV4(10, 0, 0, 15), mac), ZN_OK);
  /* Every request was answered even when the cache was full. */
  ZT_EQU(zn_stat(s.st, ZN_STAT_arp_reply_tx), 6);
  solo_free(&s);
}

ZT_TEST(test_malformed) {
  struct zn_config c;
  cfg_quiet(&c, IP_A, 1);
  struct solo s;
  solo_init(&s, &c);
  ZT_REQUIRE(s.st);
  zn_stack_poll(s.st, 0);
  uint8_t f[64];
  size_t n = mk_arp(f, zn_eth_bcast, MAC_B, ZN_ARP_OP_REQUEST, MAC_B, IP_B,
                    MAC_A, IP_A);
  for (size_t len = 14; len < n; len++)
    inject(s.st, f, len);
  ZT_EQU(zn_stat(s.st, ZN_STAT_arp_drop_malformed), n - 14);
  f[14 + 4] = 8; /* hlen 8: not Ethernet; packet now longer than frame */
  inject(s.st, f, n);
  f[14 + 4] = 6;
  f[14 + 7] = 9; /* opcode 9 */
  inject(s.st, f, n);
  ZT_EQU(zn_stat(s.st, ZN_STAT_arp_drop_malformed), n - 14 + 1);
  ZT_EQU(zn_stat(s.st, ZN_STAT_arp_drop_op), 1);
  f[14 + 7] = 1;
  f[14 + 1] = 6; /* hardware type 6 (IEEE 802) */
  inject(s.st, f, n);
  ZT_EQU(zn_stat(s.st, ZN_STAT_arp_drop_unsupported), 1);
  ZT_EQ(sent_count(&s.link.b, 0), 0);
  struct zn_stats st;
  zn_stats_get(s.st, &st);
  ZT_EQU(zn_stats_drops(&st), n - 14 + 3);
  solo_free(&s);
}

/* Senders that name no single host (the IPv4 source rules) are refused,
 * neither answered nor learnt; a probe from 0.0.0.0 is still answered. */
ZT_TEST(test_martian_senders_refused) {
  struct zn_config c;
  cfg_quiet(&c, IP_A, 1);
  struct solo s;
  solo_init(&s, &c);
  ZT_REQUIRE(s.st);
  zn_stack_poll(s.st, 0);
  static const uint32_t spas[] = {
      ZN_IPV4(127, 0, 0, 1),   ZN_IPV4(0, 1, 2, 3),
      ZN_IPV4(240, 0, 0, 1),   ZN_IPV4(10, 0, 0, 255),
      ZN_IPV4(224, 0, 0, 1),   ZN_IPV4(255, 255, 255, 255),
  };
  const size_t n = sizeof(spas) / sizeof(spas[0]);
  uint8_t f[64], mac[6];
  for (size_t i = 0; i < n; i++) {
    mk_arp(f, zn_eth_bcast, MAC_B, ZN_ARP_OP_REQUEST, MAC_B, spas[i], MAC_X,
           IP_A);
    inject(s.st, f, 42);
    mk_arp(f, MAC_A, MAC_B, ZN_ARP_OP_REPLY, MAC_B, spas[i], MAC_A, IP_A);
    inject(s.st, f, 42);
    ZT_EQ(zn_arp_lookup(s.st, spas[i], mac), ZN_ENOENT);
  }
  ZT_EQU(zn_stat(s.st, ZN_STAT_arp_drop_bad_sender), 2 * n);
  ZT_EQ(sent_count(&s.link.b, 0), 0);
  /* An RFC 5227 probe (sender 0.0.0.0) for our address is answered. */
  mk_arp(f, zn_eth_bcast, MAC_B, ZN_ARP_OP_REQUEST, MAC_B, 0, MAC_X, IP_A);
  inject(s.st, f, 42);
  ZT_EQ(sent_count(&s.link.b, ZN_ETHERTYPE_ARP), 1);
  ZT_EQU(zn_stat(s.st, ZN_STAT_arp_drop_bad_sender), 2 * n);
  solo_free(&s);
}

ZT_TEST(test_announce_at_start) {
  struct zn_config c;
  th_config(&c, IP_A, 24, 1);
  struct solo s;
  solo_init(&s, &c);
  ZT_REQUIRE(s.st);
  zn_stack_poll(s.st, 0);
  ZT_EQ(sent_count(&s.link.b, ZN_ETHERTYPE_ARP), 1);
  zn_stack_poll(s.st, ZN_SEC(2));
  ZT_EQ(sent_count(&s.link.b, ZN_ETHERTYPE_ARP), 2);
  zn_stack_poll(s.st, ZN_SEC(60));
  ZT_EQ(sent_count(&s.link.b, ZN_ETHERTYPE_ARP), 2);
  ZT_EQU(zn_stat(s.st, ZN_STAT_arp_announce_tx), 2);
  struct zn_buf *b = sent_pop(&s.link.b);
  ZT_REQUIRE(b);
  struct zn_arp_view a;
  ZT_EQ(zn_arp_view_init(&a, b->data + 14, b->len - 14), ZN_OK);
  ZT_EQU(zn_arp_spa(&a), IP_A);
  ZT_EQU(zn_arp_tpa(&a), IP_A);
  zn_buf_free(b);
  solo_free(&s);
}

/* An ARP request for A from B, with an 802.1Q tag (tci) if tagged. */
static size_t mk_tagged_req(uint8_t *f, int tagged, uint16_t tci) {
  size_t h;
  if (tagged)
    h = zn_eth_emit_vlan(f, zn_eth_bcast, MAC_B, tci, ZN_ETHERTYPE_ARP);
  else
    h = zn_eth_emit(f, zn_eth_bcast, MAC_B, ZN_ETHERTYPE_ARP);
  zn_arp_emit(f + h, ZN_ARP_OP_REQUEST, MAC_B, IP_B,
              (const uint8_t *)"\0\0\0\0\0\0", IP_A);
  return h + 28;
}

ZT_TEST(test_vlan_policy) {
  struct zn_config c;
  cfg_quiet(&c, IP_A, 1);
  c.vlan_id = 5;
  struct solo s;
  solo_init(&s, &c);
  ZT_REQUIRE(s.st);
  zn_stack_poll(s.st, 0);
  uint8_t f[64];
  inject(s.st, f, mk_tagged_req(f, 0, 0));      /* untagged: dropped */
  inject(s.st, f, mk_tagged_req(f, 1, 6));      /* other VID: dropped */
  ZT_EQU(zn_stat(s.st, ZN_STAT_eth_drop_vlan), 2);
  inject(s.st, f, mk_tagged_req(f, 1, 0xa005)); /* PCP 5, VID 5 */
  struct zn_buf *b = sent_pop(&s.link.b);
  ZT_REQUIRE(b);
  struct zn_eth_view e;
  ZT_EQ(zn_eth_view_init(&e, b->data, b->len), ZN_OK);
  ZT_CHECK(e.tagged);
  ZT_EQ(zn_eth_vid(&e), 5);
  ZT_EQ(e.type, ZN_ETHERTYPE_ARP);
  ZT_EQU(b->len, 18 + 28);
  zn_buf_free(b);
  solo_free(&s);
  /* Untagged stack: priority tags are accepted, the answer is untagged. */
  cfg_quiet(&c, IP_A, 1);
  solo_init(&s, &c);
  ZT_REQUIRE(s.st);
  zn_stack_poll(s.st, 0);
  inject(s.st, f, mk_tagged_req(f, 1, 0x6000)); /* PCP 3, VID 0 */
  ZT_EQU(zn_stat(s.st, ZN_STAT_eth_vlan_prio), 1);
  b = sent_pop(&s.link.b);
  ZT_REQUIRE(b);
  ZT_EQ(zn_eth_view_init(&e, b->data, b->len), ZN_OK);
  ZT_CHECK(!e.tagged);
  zn_buf_free(b);
  inject(s.st, f, mk_tagged_req(f, 1, 7));
  ZT_EQU(zn_stat(s.st, ZN_STAT_eth_drop_vlan), 1);
  solo_free(&s);
}

/* Frames to our own address take the short way through Ethernet input
 * (src/eth/eth.c): each rule still holds there, each refusal counted
 * under its own name. */
ZT_TEST(test_unicast_frame_rules) {
  static const uint8_t mcast_src[6] = {3, 0, 0, 0, 0, 2};
  struct zn_config c;
  cfg_quiet(&c, IP_A, 1);
  struct solo s;
  solo_init(&s, &c);
  ZT_REQUIRE(s.st);
  zn_stack_poll(s.st, 0);
  uint8_t f[64];
  size_t n = mk_arp(f, MAC_A, MAC_B, ZN_ARP_OP_REQUEST, MAC_B, IP_B,
                    (const uint8_t *)"\0\0\0\0\0\0", IP_A);
  inject(s.st, f, 13);
  ZT_EQU(zn_stat(s.st, ZN_STAT_eth_drop_short), 1);
  memcpy(f + 6, mcast_src, 6);
  inject(s.st, f, n);
  memcpy(f + 6, MAC_A, 6);
  inject(s.st, f, n);
  ZT_EQU(zn_stat(s.st, ZN_STAT_eth_drop_src), 2);
  memcpy(f + 6, MAC_B, 6);
  zn_wr16(f + 12, ZN_ETHERTYPE_QINQ); /* an 802.1ad tag, untagged stack */
  inject(s.st, f, n);
  ZT_EQU(zn_stat(s.st, ZN_STAT_eth_drop_vlan), 1);
  zn_wr16(f + 12, 0x88b5); /* local experimental EtherType */
  inject(s.st, f, n);
  ZT_EQU(zn_stat(s.st, ZN_STAT_eth_drop_type), 1);
  ZT_EQ(sent_count(&s.link.b, 0), 0);
  zn_wr16(f + 12, ZN_ETHERTYPE_ARP);
  inject(s.st, f, n);
  ZT_EQ(sent_count(&s.link.b, ZN_ETHERTYPE_ARP), 1); /* answered */
  /* Priority tagged, to us: accepted. */
  n = mk_tagged_req(f, 1, 0x6000);
  memcpy(f, MAC_A, 6);
  inject(s.st, f, n);
  ZT_EQU(zn_stat(s.st, ZN_STAT_eth_vlan_prio), 1);
  ZT_EQ(sent_count(&s.link.b, ZN_ETHERTYPE_ARP), 2);
  ZT_EQU(zn_stat(s.st, ZN_STAT_eth_rx), 7);
  solo_free(&s);
  /* A tagged stack takes no untagged frame, even one to its address. */
  cfg_quiet(&c, IP_A, 1);
  c.vlan_id = 5;
  solo_init(&s, &c);
  ZT_REQUIRE(s.st);
  zn_stack_poll(s.st, 0);
  n = mk_arp(f, MAC_A, MAC_B, ZN_ARP_OP_REQUEST, MAC_B, IP_B,
             (const uint8_t *)"\0\0\0\0\0\0", IP_A);
  inject(s.st, f, n);
  ZT_EQU(zn_stat(s.st, ZN_STAT_eth_drop_vlan), 1);
  ZT_EQ(sent_count(&s.link.b, 0), 0);
  solo_free(&s);
}

struct seen {
  uint32_t ip[16];
  int n;
};

static bool collect(void *arg, const struct zn_arp_entry_info *e) {
  struct seen *s = arg;
  if (s->n < 16)
    s->ip[s->n++] = e->ip;
  return true;
}

/* Learn ip (MAC 02:00:00:00:01:<last byte of ip>) from its request. */
static void learn(struct zn_stack *st, uint32_t ip) {
  uint8_t f[64], m[6] = {2, 0, 0, 0, 1, (uint8_t)ip};
  inject(st, f, mk_arp(f, zn_eth_bcast, m, ZN_ARP_OP_REQUEST, m, ip,
                       (const uint8_t *)"\0\0\0\0\0\0", IP_A));
}

/* The next IPv4 frame sent: its destination MAC, or all zero if none. */
static void next_ipv4_dst(struct solo *s, uint8_t mac[6]) {
  struct zn_buf *b;
  memset(mac, 0, 6);
  while ((b = sent_pop(&s->link.b)) != NULL) {
    bool ip = b->len >= 14 && zn_rd16(b->data + 12) == ZN_ETHERTYPE_IPV4;
    if (ip)
      memcpy(mac, b->data, 6);
    zn_buf_free(b);
    if (ip)
      return;
  }
}

/* The cache remembers the last entry looked up: an entry removed, evicted
 * or expired, and its slot reused for another address, must never be
 * answered from it. */
ZT_TEST(test_last_entry_never_stale) {
  struct zn_config c;
  cfg_quiet(&c, IP_A, 1);
  c.arp_entries = 2;
  c.arp_reachable_ms = 10000;
  struct solo s;
  solo_init(&s, &c);
  ZT_REQUIRE(s.st);
  const uint32_t ip10 = ZN_IPV4(10, 0, 0, 10), ip11 = ZN_IPV4(10, 0, 0, 11),
                 ip12 = ZN_IPV4(10, 0, 0, 12);
  uint8_t mac[6], m10[6] = {2, 0, 0, 0, 1, 10}, m12[6] = {2, 0, 0, 0, 1, 12};
  zn_stack_poll(s.st, ZN_SEC(1));
  learn(s.st, ip10);
  zn_stack_poll(s.st, ZN_SEC(2));
  learn(s.st, ip11);
  sent_purge(&s.link.b);
  /* Removed right after a lookup: gone, and a send resolves afresh. */
  ZT_EQ(zn_arp_lookup(s.st, ip10, mac), ZN_OK);
  ZT_MEMEQ(mac, m10, 6);
  ZT_EQ(zn_arp_remove(s.st, ip10), ZN_OK);
  ZT_EQ(zn_arp_lookup(s.st, ip10, mac), ZN_ENOENT);
  ZT_EQ(zn_arp_remove(s.st, ip10), ZN_ENOENT);
  ZT_EQ(zn_icmp_echo_send(s.st, ip10, 1, 1, "x", 1), ZN_OK);
  zn_stack_flush(s.st);
  ZT_EQ(sent_count(&s.link.b, ZN_ETHERTYPE_IPV4), 0);
  ZT_EQ(sent_count(&s.link.b, ZN_ETHERTYPE_ARP), 1);
  ZT_EQ(zn_arp_lookup(s.st, ip10, mac), ZN_ENOENT); /* INCOMPLETE */
  sent_purge(&s.link.b);
  /* It answers: REACHABLE with its MAC, the waiting datagram goes. */
  uint8_t f[64];
  inject(s.st, f, mk_arp(f, MAC_A, m10, ZN_ARP_OP_REPLY, m10, ip10, MAC_A,
                         IP_A));
  ZT_EQ(zn_arp_lookup(s.st, ip10, mac), ZN_OK);
  next_ipv4_dst(&s, mac);
  ZT_MEMEQ(mac, m10, 6);
  /* Full (ip10, ip11): a third address evicts the least recently used
   * (ip11, learnt at 2 s) and takes its slot; ip10 was looked up last. */
  zn_stack_poll(s.st, ZN_SEC(3));
  ZT_EQ(zn_icmp_echo_send(s.st, ip10, 1, 2, "x", 1), ZN_OK);
  zn_stack_flush(s.st);
  sent_purge(&s.link.b);
  ZT_EQ(zn_arp_lookup(s.st, ip11, mac), ZN_OK);
  learn(s.st, ip12);
  ZT_EQU(zn_stat(s.st, ZN_STAT_arp_evict), 1);
  ZT_EQ(zn_arp_lookup(s.st, ip11, mac), ZN_ENOENT);
  ZT_EQ(zn_arp_lookup(s.st, ip12, mac), ZN_OK);
  ZT_MEMEQ(mac, m12, 6);
  ZT_EQ(zn_arp_lookup(s.st, ip10, mac), ZN_OK);
  ZT_MEMEQ(mac, m10, 6);
  sent_purge(&s.link.b);
  ZT_EQ(zn_icmp_echo_send(s.st, ip12, 1, 3, "x", 1), ZN_OK);
  zn_stack_flush(s.st);
  next_ipv4_dst(&s, mac);
  ZT_MEMEQ(mac, m12, 6);
  ZT_EQ(zn_icmp_echo_send(s.st, ip10, 1, 4, "x", 1), ZN_OK);
  zn_stack_flush(s.st);
  next_ipv4_dst(&s, mac);
  ZT_MEMEQ(mac, m10, 6);
  /* Expired (stale, then unused as long again): gone after its last
   * lookup too. */
  ZT_EQ(zn_arp_lookup(s.st, ip12, mac), ZN_OK);
  zn_stack_poll(s.st, ZN_SEC(20));
  ZT_EQ(zn_arp_lookup(s.st, ip12, mac), ZN_OK); /* STALE */
  zn_stack_poll(s.st, ZN_SEC(60));
  ZT_EQU(zn_stat(s.st, ZN_STAT_arp_expire), 2);
  ZT_EQ(zn_arp_lookup(s.st, ip12, mac), ZN_ENOENT);
  ZT_EQ(zn_arp_lookup(s.st, ip10, mac), ZN_ENOENT);
  solo_free(&s);
}

/* ip's entry is on the chain of its own keyed-hash bucket (the low half
 * of zn__peer_hash, worked out here without its memo): a memo of the
 * hash that went stale would still find entries, through one wrong
 * chain, and only this shows it. */
static bool in_own_bucket(const struct zn_stack *st, uint32_t ip) {
  const struct zn__arp *a = ZN__MOD(st, arp);
  uint8_t in[5] = {(uint8_t)(ip >> 24), (uint8_t)(ip >> 16),
                   (uint8_t)(ip >> 8), (uint8_t)ip, 0x70};
  uint64_t h = zn_siphash13(st->hash_key, in, sizeof(in));
  uint32_t i = a->bucket[(uint32_t)h & (a->nbuckets - 1)];
  for (; i; i = a->e[i - 1].hnext)
    if (a->e[i - 1].ip == ip)
      return true;
  return false;
}

/* Addresses churned through a small cache: whatever it holds is found,
 * on its own chain, whatever it evicted is not. */
ZT_TEST(test_churn_chains_consistent) {
  struct zn_config c;
  cfg_quiet(&c, IP_A, 1);
  c.arp_entries = 4;
  struct solo s;
  solo_init(&s, &c);
  ZT_REQUIRE(s.st);
  uint8_t mac[6];
  for (int i = 0; i < 40; i++) {
    zn_stack_poll(s.st, ZN_MS(100) * (uint64_t)(i + 1));
    uint32_t ip = ZN_IPV4(10, 0, 0, (uint8_t)(10 + i % 13));
    learn(s.st, ip);
    ZT_EQ(zn_arp_lookup(s.st, ip, mac), ZN_OK);
    ZT_EQ(mac[5], (uint8_t)ip);
    struct seen seen = {{0}, 0};
    zn_arp_foreach(s.st, collect, &seen);
    ZT_CHECK(seen.n <= 4);
    for (int k = 0; k < 13; k++) {
      uint32_t a = ZN_IPV4(10, 0, 0, (uint8_t)(10 + k));
      bool held = false;
      for (int j = 0; j < seen.n; j++)
        held = held || seen.ip[j] == a;
      ZT_EQ(zn_arp_lookup(s.st, a, mac), held ? ZN_OK : ZN_ENOENT);
      ZT_EQ(in_own_bucket(s.st, a), held);
    }
  }
  sent_purge(&s.link.b);
  solo_free(&s);
}

int main(void) {
  ZT_RUN(test_last_entry_never_stale);
  ZT_RUN(test_churn_chains_consistent);
  ZT_RUN(test_vlan_policy);
  ZT_RUN(test_resolve_and_learn);
  ZT_RUN(test_retry_backoff_then_fail);
  ZT_RUN(test_wanted_instead_of_requests);
  ZT_RUN(test_resolve_and_publish);
  ZT_RUN(test_pending_queue_bound);
  ZT_RUN(test_aging_and_reprobe);
  ZT_RUN(test_unsolicited_reply_ignored);
  ZT_RUN(test_probe_and_static);
  ZT_RUN(test_cache_full_evicts_lru);
  ZT_RUN(test_malformed);
  ZT_RUN(test_martian_senders_refused);
  ZT_RUN(test_announce_at_start);
  ZT_RUN(test_unicast_frame_rules);
  return zt_done();
}
