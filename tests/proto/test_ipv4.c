/* IPv4 (src/ipv4/ipv4.c): validation, routing, fragmentation and
 * reassembly, between two stacks and against crafted datagrams. */
#include <stdlib.h>

#include "core/stack_int.h"
#include "internals.h"
#include "icmp/icmp_int.h"
#include "ipv4/ipv4_int.h"
#include "proto_util.h"
#include "znet/hash.h"

static int replies;
static size_t last_len;
static int last_ok;
static void on_reply(struct zn_stack *st, void *arg,
                     const struct zn_icmp_echo *r) {
  (void)st;
  (void)arg;
  replies++;
  last_len = r->len;
  last_ok = 1;
  for (size_t i = 0; i < r->len; i++)
    if (r->data[i] != (uint8_t)(i * 7 + 3))
      last_ok = 0;
}

static uint8_t pattern[8000];

/* A datagram of many fragments sent before the neighbour is resolved
 * waits whole on the ARP entry and is fragmented once resolved. */
ZT_TEST(test_big_datagram_waits_for_arp) {
  struct th_pair p;
  struct zn_config ca, cb;
  cfg_quiet(&ca, IP_A, 1);
  cfg_quiet(&cb, IP_B, 2);
  ca.arp_pending = 1;
  cb.arp_pending = 1;
  ca.nbigbufs = cb.nbigbufs = 2;
  th_pair_init(&p, &ca, &cb);
  ZT_REQUIRE(p.a && p.b);
  replies = 0;
  zn_icmp_set_echo_reply_cb(p.a, on_reply, NULL);
  ZT_EQ(zn_icmp_echo_send(p.a, IP_B, 7, 1, pattern, 7990), ZN_OK);
  th_pair_run(&p, ZN_MS(10));
  ZT_EQ(replies, 1);
  ZT_CHECK(last_ok);
  ZT_EQU(zn_stat(p.a, ZN_STAT_arp_drop_pending_full), 0);
  th_pair_free(&p);
}

ZT_TEST(test_fragment_both_ways) {
  struct th_pair p;
  struct zn_config ca, cb;
  cfg_quiet(&ca, IP_A, 1);
  cfg_quiet(&cb, IP_B, 2);
  th_pair_init(&p, &ca, &cb);
  ZT_REQUIRE(p.a && p.b);
  replies = 0;
  zn_icmp_set_echo_reply_cb(p.a, on_reply, NULL);
  for (size_t i = 0; i < sizeof(pattern); i++)
    pattern[i] = (uint8_t)(i * 7 + 3);
  const size_t sizes[] = {1472, 1473, 4000, 7990};
  for (int i = 0; i < 4; i++) {
    ZT_EQ(zn_icmp_echo_send(p.a, IP_B, 7, (uint16_t)i, pattern, sizes[i]), ZN_OK);
    th_pair_run(&p, ZN_MS(10));
    ZT_EQ(replies, i + 1);
    ZT_EQU(last_len, sizes[i]);
    ZT_CHECK(last_ok);
  }
  /* 1472 fits; 1473 -> 2, 4000 -> 3, 7990 -> 6 fragments each way. */
  ZT_EQU(zn_stat(p.a, ZN_STAT_ip_frag_tx), 11);
  ZT_EQU(zn_stat(p.b, ZN_STAT_ip_frag_tx), 11);
  ZT_EQU(zn_stat(p.b, ZN_STAT_ip_reass_ok), 3);
  ZT_EQU(zn_stat(p.a, ZN_STAT_ip_reass_ok), 3);
  th_pair_free(&p);
}

/* Split an ICMP echo request of dlen data bytes into fragments of `chunk`
 * payload bytes; frames go to f[i] with lengths n[i]; returns the count. */
static int mk_frags(uint8_t f[][1600], size_t *n, uint16_t id, size_t dlen,
                    size_t chunk) {
  static uint8_t msg[9000];
  size_t mlen = mk_echo(msg, 0x42, 1, dlen);
  int k = 0;
  for (size_t off = 0; off < mlen; off += chunk, k++) {
    size_t len = mlen - off < chunk ? mlen - off : chunk;
    uint16_t fr = (uint16_t)(off / 8 | (off + len < mlen ? ZN_IPV4_MF : 0));
    n[k] = mk_ip(f[k], MAC_B, MAC_A, IP_A, IP_B, ZN_IPPROTO_ICMP, id, fr,
                 msg + off, len);
  }
  return k;
}

static int echo_replies_sent(struct solo *s) {
  int n = 0;
  struct zn_buf *b;
  while ((b = sent_pop(&s->link.b)) != NULL) {
    if (b->len >= 34 + 8 && zn_rd16(b->data + 12) == ZN_ETHERTYPE_IPV4 &&
        b->data[23] == ZN_IPPROTO_ICMP && (zn_rd16(b->data + 20) & 0x1fff) == 0 &&
        b->data[34] == ZN_ICMP_ECHO_REPLY)
      n++;
    zn_buf_free(b);
  }
  return n;
}

ZT_TEST(test_reassembly_orders) {
  static uint8_t f[8][1600];
  size_t n[8];
  const int orders[][5] = {{0, 1, 2, 3, 4}, {4, 3, 2, 1, 0}, {2, 0, 4, 1, 3},
                           {1, 3, 0, 4, 2}};
  for (int o = 0; o < 4; o++) {
    struct zn_config c;
    cfg_quiet(&c, IP_B, 2);
    struct solo s;
    solo_b(&s, &c);
    ZT_REQUIRE(s.st);
    int k = mk_frags(f, n, (uint16_t)(100 + o), 3000, 640);
    ZT_EQ(k, 5);
    for (int i = 0; i < 5; i++)
      inject(s.st, f[orders[o][i]], n[orders[o][i]]);
    ZT_EQU(zn_stat(s.st, ZN_STAT_ip_reass_ok), 1);
    ZT_EQ(echo_replies_sent(&s), 1);
    ZT_EQU(zn_stat(s.st, ZN_STAT_icmp_echo_reply_tx), 1);
    solo_free(&s);
  }
}

ZT_TEST(test_reassembly_overlap_and_dup) {
  static uint8_t f[8][1600];
  size_t n[8];
  struct zn_config c;
  cfg_quiet(&c, IP_B, 2);
  struct solo s;
  solo_b(&s, &c);
  ZT_REQUIRE(s.st);
  /* Exact duplicate: dropped alone, datagram still completes. */
  int k = mk_frags(f, n, 1, 3000, 1024);
  inject(s.st, f[0], n[0]);
  inject(s.st, f[0], n[0]);
  for (int i = 1; i < k; i++)
    inject(s.st, f[i], n[i]);
  ZT_EQU(zn_stat(s.st, ZN_STAT_ip_reass_drop_dup), 1);
  ZT_EQU(zn_stat(s.st, ZN_STAT_ip_reass_ok), 1);
  ZT_EQ(echo_replies_sent(&s), 1);
  /* Overlap: a fragment at offset 512 over the 0..1024 one kills it all. */
  k = mk_frags(f, n, 2, 3000, 1024);
  static uint8_t g[8][1600];
  size_t gn[8];
  mk_frags(g, gn, 2, 3000, 512); /* g[1] is offset 512, 512 bytes */
  uint8_t ov[1600];
  memcpy(ov, g[1], gn[1]);
  inject(s.st, f[0], n[0]);
  inject(s.st, ov, gn[1]);
  ZT_EQU(zn_stat(s.st, ZN_STAT_ip_reass_drop_overlap), 2);
  for (int i = 1; i < k; i++)
    inject(s.st, f[i], n[i]);
  ZT_EQU(zn_stat(s.st, ZN_STAT_ip_reass_ok), 1);
  ZT_EQ(echo_replies_sent(&s), 0);
  /* The rest sit in a new slot until it times out. */
  for (int i = 0; i < 40; i++)
    zn_stack_poll(s.st, ZN_SEC((uint64_t)i + 1));
  ZT_EQU(zn_stat(s.st, ZN_STAT_ip_reass_drop_timeout), (uint64_t)k - 1);
  sent_purge(&s.link.b);
  solo_free(&s);
}

ZT_TEST(test_reassembly_timeout_sends_time_exceeded) {
  static uint8_t f[8][1600];
  size_t n[8];
  struct zn_config c;
  cfg_quiet(&c, IP_B, 2);
  c.reass_timeout_ms = 5000;
  struct solo s;
  solo_b(&s, &c);
  ZT_REQUIRE(s.st);
  int k = mk_frags(f, n, 3, 3000, 1024);
  ZT_EQ(k, 3);
  inject(s.st, f[0], n[0]);
  inject(s.st, f[1], n[1]);
  zn_stack_poll(s.st, ZN_SEC(5) - 1);
  ZT_EQU(zn_stat(s.st, ZN_STAT_ip_reass_drop_timeout), 0);
  zn_stack_poll(s.st, ZN_SEC(5));
  ZT_EQU(zn_stat(s.st, ZN_STAT_ip_reass_drop_timeout), 2);
  ZT_EQU(zn_stat(s.st, ZN_STAT_icmp_err_tx), 1);
  struct zn_buf *b = sent_pop(&s.link.b);
  ZT_REQUIRE(b);
  ZT_EQ(b->data[34], ZN_ICMP_TIME_EXCEEDED);
  ZT_EQ(b->data[35], ZN_ICMP_TIMXCEED_REASS);
  ZT_MEMEQ(b->data + 42, f[0] + 14, 20); /* quotes the first fragment */
  zn_buf_free(b);
  /* Without fragment 0 the timeout is silent. */
  k = mk_frags(f, n, 4, 3000, 1024);
  inject(s.st, f[2], n[2]);
  zn_stack_poll(s.st, ZN_SEC(11));
  ZT_EQU(zn_stat(s.st, ZN_STAT_ip_reass_drop_timeout), 3);
  ZT_EQU(zn_stat(s.st, ZN_STAT_icmp_err_tx), 1);
  ZT_EQ(zn_stack_bufs_in_use(s.st), 0);
  solo_free(&s);
}

ZT_TEST(test_reassembly_bounds) {
  static uint8_t f[16][1600];
  size_t n[16];
  struct zn_config c;
  cfg_quiet(&c, IP_B, 2);
  c.reass_max_bytes = 4 * ZN_BUF_SIZE;
  c.reass_slots = 2;
  struct solo s;
  solo_b(&s, &c);
  ZT_REQUIRE(s.st);
  /* Six fragments do not fit in four buffers' worth: the datagram goes. */
  int k = mk_frags(f, n, 5, 5000, 1000);
  ZT_EQ(k, 6);
  for (int i = 0; i < k; i++)
    inject(s.st, f[i], n[i]);
  ZT_EQU(zn_stat(s.st, ZN_STAT_ip_reass_drop_mem), 5);
  ZT_EQU(zn_stat(s.st, ZN_STAT_ip_reass_ok), 0);
  /* Fragment 5 restarted a slot; with two slots in use a third datagram
   * evicts the oldest (what is left of 5), and completes. */
  mk_frags(f, n, 6, 3000, 1024);
  inject(s.st, f[0], n[0]);
  k = mk_frags(f, n, 7, 3000, 1024);
  for (int i = 0; i < k; i++)
    inject(s.st, f[i], n[i]);
  ZT_EQU(zn_stat(s.st, ZN_STAT_ip_reass_drop_evicted), 1);
  ZT_EQU(zn_stat(s.st, ZN_STAT_ip_reass_drop_slots), 0);
  ZT_EQU(zn_stat(s.st, ZN_STAT_ip_reass_ok), 1);
  /* Bad geometry: MF with a length not a multiple of 8, and past 64 KiB. */
  uint8_t m[100] = {0};
  size_t len = mk_ip(f[0], MAC_B, MAC_A, IP_A, IP_B, 17, 9, ZN_IPV4_MF, m, 13);
  inject(s.st, f[0], len);
  len = mk_ip(f[0], MAC_B, MAC_A, IP_A, IP_B, 17, 9, 8190, m, 64);
  inject(s.st, f[0], len);
  ZT_EQU(zn_stat(s.st, ZN_STAT_ip_reass_drop_bad), 2);
  /* A second "last" fragment disagreeing about the end. */
  zn_stack_poll(s.st, ZN_SEC(100)); /* time out the slots */
  len = mk_ip(f[0], MAC_B, MAC_A, IP_A, IP_B, 17, 10, 10, m, 16);
  inject(s.st, f[0], len);
  len = mk_ip(f[0], MAC_B, MAC_A, IP_A, IP_B, 17, 10, 20, m, 16);
  inject(s.st, f[0], len);
  ZT_EQU(zn_stat(s.st, ZN_STAT_ip_reass_drop_bad), 4);
  sent_purge(&s.link.b);
  solo_free(&s);
}

ZT_TEST(test_input_validation) {
  struct zn_config c;
  cfg_quiet(&c, IP_B, 2);
  struct solo s;
  solo_b(&s, &c);
  ZT_REQUIRE(s.st);
  uint8_t msg[64], f[200];
  size_t ml = mk_echo(msg, 1, 1, 16);
  size_t len = mk_ip(f, MAC_B, MAC_A, IP_A, IP_B, ZN_IPPROTO_ICMP, 1, 0, msg, ml);
  struct zn_stats before, after;
  zn_stats_get(s.st, &before);
  uint8_t g[200];
  int bad = 0;
#define BAD(mutate)                                                           \
  do {                                                                        \
    memcpy(g, f, len);                                                        \
    size_t glen = len;                                                        \
    mutate;                                                                   \
    inject(s.st, g, glen);                                                    \
    bad++;                                                                    \
  } while (0)
  BAD(glen = 14 + 19);                                   /* short */
  BAD(g[14] = 0x65);                                     /* version 6 */
  BAD((g[14] = 0x44, zn_wr16(g + 24, 0), zn_wr16(g + 24, zn_csum(g + 14, 20)))); /* IHL 4 */
  BAD((zn_wr16(g + 16, (uint16_t)(len - 14 + 1)), zn_wr16(g + 24, 0),
       zn_wr16(g + 24, zn_csum(g + 14, 20))));           /* totlen > frame */
  BAD(g[24] ^= 1);                                       /* checksum */
  BAD((zn_wr32(g + 26, 0xffffffffu), zn_wr16(g + 24, 0),
       zn_wr16(g + 24, zn_csum(g + 14, 20))));           /* broadcast source */
  BAD((zn_wr32(g + 26, IP_B), zn_wr16(g + 24, 0),
       zn_wr16(g + 24, zn_csum(g + 14, 20))));           /* our own source */
  BAD((zn_wr32(g + 30, IP_X), zn_wr16(g + 24, 0),
       zn_wr16(g + 24, zn_csum(g + 14, 20))));           /* not for us */
  BAD(memcpy(g, zn_eth_bcast, 6));                      /* unicast IP in link bcast */
  BAD((zn_wr32(g + 30, ZN_IPV4(224, 0, 0, 1)), zn_wr16(g + 24, 0),
       zn_wr16(g + 24, zn_csum(g + 14, 20))));           /* multicast: no groups */
#undef BAD
  zn_stats_get(s.st, &after);
  ZT_EQU(zn_stats_drops(&after) - zn_stats_drops(&before), (uint64_t)bad);
  ZT_EQU(zn_stat(s.st, ZN_STAT_ip_drop_short), 1);
  ZT_EQU(zn_stat(s.st, ZN_STAT_ip_drop_version), 1);
  ZT_EQU(zn_stat(s.st, ZN_STAT_ip_drop_hdrlen), 1);
  ZT_EQU(zn_stat(s.st, ZN_STAT_ip_drop_totlen), 1);
  ZT_EQU(zn_stat(s.st, ZN_STAT_ip_drop_checksum), 1);
  ZT_EQU(zn_stat(s.st, ZN_STAT_ip_drop_src_bcast), 1);
  ZT_EQU(zn_stat(s.st, ZN_STAT_ip_drop_src_own), 1);
  ZT_EQU(zn_stat(s.st, ZN_STAT_ip_drop_not_for_us), 3);
  ZT_EQ(echo_replies_sent(&s), 0);
  /* Link padding after the datagram is trimmed, and options skipped. */
  memcpy(g, f, len);
  memset(g + len, 0xee, 20);
  inject(s.st, g, len + 20);
  uint8_t o[200];
  memcpy(o, f, 34);
  o[14] = 0x46;
  zn_wr16(o + 16, (uint16_t)(24 + ml));
  memcpy(o + 34, "\x01\x01\x01\x00", 4); /* NOP NOP NOP EOL */
  memcpy(o + 38, msg, ml);
  zn_wr16(o + 24, 0);
  zn_wr16(o + 24, zn_csum(o + 14, 24));
  inject(s.st, o, 38 + ml);
  struct zn_buf *b = sent_pop(&s.link.b);
  ZT_REQUIRE(b);
  ZT_EQU(b->len, 34 + ml); /* no padding echoed back */
  zn_buf_free(b);
  ZT_EQ(echo_replies_sent(&s), 1);
  ZT_EQU(zn_stat(s.st, ZN_STAT_icmp_echo_reply_tx), 2);
  solo_free(&s);
}

/* A datagram from `src` to B with TTL `ttl`: an echo request, a UDP
 * datagram to a closed port, a TCP SYN to a closed port, or protocol 99;
 * each would be answered (reply, port unreachable, RST, protocol
 * unreachable) if its source were a host's. */
enum probe_kind { PROBE_ECHO, PROBE_UDP, PROBE_TCP, PROBE_PROTO, PROBE_KINDS };
static size_t mk_probe(uint8_t *f, enum probe_kind k, uint32_t src,
                       uint8_t ttl) {
  uint8_t l4[64];
  size_t l4len = 0;
  uint8_t proto = ZN_IPPROTO_ICMP;
  switch (k) {
  case PROBE_ECHO:
    l4len = mk_echo(l4, 1, 1, 16);
    break;
  case PROBE_UDP:
    proto = ZN_IPPROTO_UDP;
    memset(l4 + 8, 0x5a, 8);
    l4len = 16;
    zn_udp_emit(l4, 40000, 9999, l4len, src, IP_B);
    break;
  case PROBE_TCP:
    proto = ZN_IPPROTO_TCP;
    l4len = zn_tcp_emit(l4, 40000, 9999, 1000, 0, ZN_TCP_SYN, 8192, 0);
    zn_tcp_finish(l4, l4len, src, IP_B);
    break;
  default:
    proto = 99;
    memset(l4, 0xa5, 20);
    l4len = 20;
    break;
  }
  size_t len = mk_ip(f, MAC_B, MAC_A, src, IP_B, proto, 7, 0, l4, l4len);
  f[22] = ttl;
  zn_wr16(f + 24, 0);
  zn_wr16(f + 24, zn_csum(f + 14, 20));
  return len;
}

/* RFC 1122 §3.2.1.7: a host must not discard a datagram because its TTL
 * is below 2; TTL is a router's business.  Each probe is answered. */
ZT_TEST(test_ttl_below_2_answered) {
  struct zn_config c;
  cfg_quiet(&c, IP_B, 2);
  struct solo s;
  solo_b(&s, &c);
  ZT_REQUIRE(s.st);
  uint8_t f[200];
  for (uint8_t ttl = 0; ttl <= 1; ttl++) {
    for (int k = 0; k < PROBE_KINDS; k++) {
      inject(s.st, f, mk_probe(f, (enum probe_kind)k, IP_A, ttl));
      ZT_EQ(sent_count(&s.link.b, ZN_ETHERTYPE_IPV4), 1);
      sent_purge(&s.link.b);
    }
  }
  ZT_EQU(zn_stat(s.st, ZN_STAT_icmp_echo_reply_tx), 2);
  solo_free(&s);
}

/* RFC 1122 §3.2.1.3, RFC 1812 §5.3.7: datagrams whose source names no
 * single host are discarded silently, each kind under its own counter,
 * and no probe that would otherwise be answered is. */
ZT_TEST(test_martian_sources_dropped) {
  struct zn_config c;
  cfg_quiet(&c, IP_B, 2);
  struct solo s;
  solo_b(&s, &c);
  ZT_REQUIRE(s.st);
  static const struct {
    uint32_t src;
    enum zn_stat stat;
  } cases[] = {
      {ZN_IPV4(0, 0, 0, 0), ZN_STAT_ip_drop_src_zero},
      {ZN_IPV4(0, 1, 2, 3), ZN_STAT_ip_drop_src_zero},
      {ZN_IPV4(127, 0, 0, 1), ZN_STAT_ip_drop_src_loopback},
      {ZN_IPV4(127, 255, 255, 254), ZN_STAT_ip_drop_src_loopback},
      {ZN_IPV4(224, 0, 0, 1), ZN_STAT_ip_drop_src_mcast},
      {ZN_IPV4(239, 255, 255, 255), ZN_STAT_ip_drop_src_mcast},
      {ZN_IPV4(255, 255, 255, 255), ZN_STAT_ip_drop_src_bcast},
      {ZN_IPV4(10, 0, 0, 255), ZN_STAT_ip_drop_src_bcast},
      {ZN_IPV4(240, 0, 0, 1), ZN_STAT_ip_drop_src_class_e},
      {ZN_IPV4(255, 255, 255, 254), ZN_STAT_ip_drop_src_class_e},
      {IP_B, ZN_STAT_ip_drop_src_own},
  };
  const size_t n = sizeof(cases) / sizeof(cases[0]);
  uint8_t f[200];
  struct zn_stats before, after;
  zn_stats_get(s.st, &before);
  for (size_t i = 0; i < n; i++) {
    uint64_t was = zn_stat(s.st, cases[i].stat);
    for (int k = 0; k < PROBE_KINDS; k++)
      inject(s.st, f, mk_probe(f, (enum probe_kind)k, cases[i].src, 64));
    ZT_EQU(zn_stat(s.st, cases[i].stat) - was, PROBE_KINDS);
    ZT_EQ(sent_count(&s.link.b, 0), 0);
  }
  zn_stats_get(s.st, &after);
  ZT_EQU(zn_stats_drops(&after) - zn_stats_drops(&before),
         (uint64_t)(n * PROBE_KINDS));
  ZT_EQU(zn_stat(s.st, ZN_STAT_icmp_err_tx), 0);
  ZT_EQU(zn_stat(s.st, ZN_STAT_tcp_rst_tx), 0);
  /* The same probes from a host are each answered. */
  for (int k = 0; k < PROBE_KINDS; k++)
    inject(s.st, f, mk_probe(f, (enum probe_kind)k, IP_A, 64));
  ZT_EQ(sent_count(&s.link.b, ZN_ETHERTYPE_IPV4), PROBE_KINDS);
  solo_free(&s);
}

/* Sources the input path's quick test leaves to the full classification
 * (src/ipv4/ipv4.c: source_plain_host) are still taken when they name a
 * host: on a /31 (RFC 3021) the other address, which has our directed
 * broadcast's bits, and on a /32 any address, every one of which
 * matches our address or our mask's complement in the quick test's
 * eyes.  Each probe is answered (or, on the /32 with no route back,
 * taken in: no drop counted). */
ZT_TEST(test_point_to_point_sources_taken) {
  struct zn_config c;
  struct solo s;
  uint8_t f[200];
  const uint32_t peer = ZN_IPV4(10, 0, 0, 3);
  cfg_quiet(&c, IP_B, 2);
  c.ipv4_prefix = 31;
  solo_b(&s, &c);
  ZT_REQUIRE(s.st);
  zn_arp_add_static(s.st, peer, MAC_A);
  for (int k = 0; k < PROBE_KINDS; k++)
    inject(s.st, f, mk_probe(f, (enum probe_kind)k, peer, 64));
  ZT_EQ(sent_count(&s.link.b, ZN_ETHERTYPE_IPV4), PROBE_KINDS);
  ZT_EQU(zn_stat(s.st, ZN_STAT_ip_drop_src_bcast), 0);
  solo_free(&s);
  cfg_quiet(&c, IP_B, 2);
  c.ipv4_prefix = 32;
  solo_b(&s, &c);
  ZT_REQUIRE(s.st);
  struct zn_stats before, after;
  zn_stats_get(s.st, &before);
  inject(s.st, f, mk_probe(f, PROBE_ECHO, IP_A, 64));
  inject(s.st, f, mk_probe(f, PROBE_ECHO, ZN_IPV4(223, 255, 255, 255), 64));
  zn_stats_get(s.st, &after);
  ZT_EQU(zn_stat(s.st, ZN_STAT_icmp_echo_rx), 2);
  ZT_EQU(after.v[ZN_STAT_ip_rx] - before.v[ZN_STAT_ip_rx], 2);
  ZT_EQU(after.v[ZN_STAT_ip_drop_src_bcast], 0);
  ZT_EQU(after.v[ZN_STAT_ip_drop_src_own], 0);
  solo_free(&s);
}

/* The ICMP error path checks the quoted source on its own: whatever
 * reaches it, no error goes to an address that names no single host. */
ZT_TEST(test_icmp_error_never_to_martian) {
  struct zn_config c;
  cfg_quiet(&c, IP_B, 2);
  struct solo s;
  solo_b(&s, &c);
  ZT_REQUIRE(s.st);
  static const uint32_t srcs[] = {
      ZN_IPV4(0, 0, 0, 0),       ZN_IPV4(127, 0, 0, 1),
      ZN_IPV4(224, 0, 0, 5),     ZN_IPV4(255, 255, 255, 255),
      ZN_IPV4(10, 0, 0, 255),    ZN_IPV4(240, 1, 2, 3),
      IP_B,
  };
  uint8_t f[200];
  for (size_t i = 0; i < sizeof(srcs) / sizeof(srcs[0]); i++) {
    size_t len = mk_probe(f, PROBE_PROTO, srcs[i], 64);
    struct zn_buf *b = zn_stack_buf_alloc(s.st, len - 14);
    ZT_REQUIRE(b);
    memcpy(zn_buf_put(b, len - 14), f + 14, len - 14);
    zn__icmp_error(s.st, b, false, ZN_ICMP_DEST_UNREACH,
                   ZN_ICMP_UNREACH_PROTO, 0);
    zn_buf_free(b);
  }
  zn_stack_flush(s.st);
  ZT_EQ(sent_count(&s.link.b, 0), 0);
  ZT_EQU(zn_stat(s.st, ZN_STAT_icmp_err_tx), 0);
  /* From a host, the same call sends the error. */
  size_t len = mk_probe(f, PROBE_PROTO, IP_A, 64);
  struct zn_buf *b = zn_stack_buf_alloc(s.st, len - 14);
  ZT_REQUIRE(b);
  memcpy(zn_buf_put(b, len - 14), f + 14, len - 14);
  zn__icmp_error(s.st, b, false, ZN_ICMP_DEST_UNREACH, ZN_ICMP_UNREACH_PROTO,
                 0);
  zn_buf_free(b);
  zn_stack_flush(s.st);
  ZT_EQU(zn_stat(s.st, ZN_STAT_icmp_err_tx), 1);
  solo_free(&s);
}

/* RFC 1122 §3.2.1.3: datagrams to 0/8 and 240/4 (but the limited
 * broadcast) never leave the host, even with a gateway to send them to.
 * (127/8 is looped back: test_loopback.c.) */
ZT_TEST(test_martian_destinations_not_sent) {
  struct zn_config c;
  cfg_quiet(&c, IP_B, 2);
  c.ipv4_gateway = IP_A;
  struct solo s;
  solo_b(&s, &c);
  ZT_REQUIRE(s.st);
  static const uint32_t dsts[] = {
      ZN_IPV4(0, 0, 0, 0),   ZN_IPV4(0, 9, 9, 9),
      ZN_IPV4(240, 0, 0, 1), ZN_IPV4(255, 255, 255, 254),
  };
  const size_t n = sizeof(dsts) / sizeof(dsts[0]);
  uint8_t data[8] = {0};
  for (size_t i = 0; i < n; i++)
    ZT_EQ(zn_icmp_echo_send(s.st, dsts[i], 1, (uint16_t)i, data, 8),
          ZN_EHOSTUNREACH); /* the ICMP API's name for no route */
  zn_stack_flush(s.st);
  ZT_EQ(sent_count(&s.link.b, 0), 0);
  ZT_EQU(zn_stat(s.st, ZN_STAT_ip_tx_drop_martian), n);
  /* Through the gateway and to the limited broadcast, still sent. */
  ZT_EQ(zn_icmp_echo_send(s.st, ZN_IPV4(192, 0, 2, 1), 1, 1, data, 8), ZN_OK);
  ZT_EQ(zn_icmp_echo_send(s.st, ZN_IPV4(255, 255, 255, 255), 1, 2, data, 8),
        ZN_OK);
  zn_stack_flush(s.st);
  ZT_EQ(sent_count(&s.link.b, ZN_ETHERTYPE_IPV4), 2);
  solo_free(&s);
}

ZT_TEST(test_protocol_unreachable) {
  struct zn_config c;
  cfg_quiet(&c, IP_B, 2);
  struct solo s;
  solo_b(&s, &c);
  ZT_REQUIRE(s.st);
  uint8_t f[200], pl[32] = {1, 2, 3};
  size_t len = mk_ip(f, MAC_B, MAC_A, IP_A, IP_B, 99, 77, 0, pl, sizeof(pl));
  inject(s.st, f, len);
  ZT_EQU(zn_stat(s.st, ZN_STAT_ip_drop_proto), 1);
  struct zn_buf *b = sent_pop(&s.link.b);
  ZT_REQUIRE(b);
  struct zn_ipv4_view v;
  ZT_EQ(zn_ipv4_view_init(&v, b->data + 14, b->len - 14), ZN_OK);
  ZT_CHECK(zn_ipv4_csum_ok(&v));
  ZT_EQU(v.dst, IP_A);
  ZT_EQ(v.proto, ZN_IPPROTO_ICMP);
  struct zn_icmp_view iv;
  ZT_EQ(zn_icmp_view_init(&iv, zn_ipv4_payload(&v), zn_ipv4_payload_len(&v)), ZN_OK);
  ZT_CHECK(zn_icmp_csum_ok(&iv));
  ZT_EQ(iv.type, ZN_ICMP_DEST_UNREACH);
  ZT_EQ(iv.code, ZN_ICMP_UNREACH_PROTO);
  ZT_EQU(zn_icmp_body_len(&iv), 20 + sizeof(pl));
  ZT_MEMEQ(zn_icmp_body(&iv), f + 14, 20 + sizeof(pl));
  zn_buf_free(b);
  /* Not for a broadcast datagram. */
  len = mk_ip(f, zn_eth_bcast, MAC_A, IP_A, 0xffffffffu, 99, 78, 0, pl, 8);
  inject(s.st, f, len);
  ZT_EQU(zn_stat(s.st, ZN_STAT_ip_drop_proto), 2);
  ZT_EQ(sent_count(&s.link.b, 0), 0);
  solo_free(&s);
}

ZT_TEST(test_routing_df_loopback) {
  struct zn_config c;
  cfg_quiet(&c, IP_B, 2);
  struct solo s;
  solo_b(&s, &c);
  ZT_REQUIRE(s.st);
  /* Off-link without a gateway. */
  ZT_EQ(zn_icmp_echo_send(s.st, ZN_IPV4(8, 8, 8, 8), 1, 1, "x", 1), ZN_EHOSTUNREACH);
  ZT_EQU(zn_stat(s.st, ZN_STAT_ip_tx_drop_noroute), 1);
  /* With one, the next hop is the gateway's MAC. */
  uint8_t gw_mac[6] = {2, 0, 0, 0, 0, 0x99};
  ZT_EQ(zn_stack_set_ipv4(s.st, IP_B, 24, ZN_IPV4(10, 0, 0, 254)), ZN_OK);
  zn_arp_add_static(s.st, ZN_IPV4(10, 0, 0, 254), gw_mac);
  ZT_EQ(zn_icmp_echo_send(s.st, ZN_IPV4(8, 8, 8, 8), 1, 1, "x", 1), ZN_OK);
  zn_stack_flush(s.st);
  struct zn_buf *b = sent_pop(&s.link.b);
  ZT_REQUIRE(b);
  ZT_MEMEQ(b->data, gw_mac, 6);
  ZT_EQU(zn_rd32(b->data + 30), ZN_IPV4(8, 8, 8, 8));
  zn_buf_free(b);
  /* Broadcast goes to ff:ff:ff:ff:ff:ff. */
  ZT_EQ(zn_icmp_echo_send(s.st, ZN_IPV4(10, 0, 0, 255), 1, 1, "x", 1), ZN_OK);
  zn_stack_flush(s.st);
  b = sent_pop(&s.link.b);
  ZT_REQUIRE(b);
  ZT_CHECK(zn_eth_is_bcast(b->data));
  zn_buf_free(b);
  /* DF on a datagram larger than the MTU. */
  struct zn_buf *big = zn_stack_buf_alloc(s.st, 3000);
  ZT_REQUIRE(big);
  zn_buf_put(big, 3000);
  struct zn__ip_tx tx = {0};
  tx.dst = IP_A;
  tx.proto = 99;
  tx.df = true;
  ZT_EQ(zn__ip_output(s.st, big, &tx), ZN_EMSGSIZE);
  ZT_EQU(zn_stat(s.st, ZN_STAT_ip_tx_drop_df), 1);
  /* A datagram to ourselves loops back without touching the link. */
  replies = 0;
  zn_icmp_set_echo_reply_cb(s.st, on_reply, NULL);
  ZT_EQ(zn_icmp_echo_send(s.st, IP_B, 1, 1, pattern, 3000), ZN_OK);
  zn_stack_poll(s.st, ZN_SEC(1));
  zn_stack_poll(s.st, ZN_SEC(1));
  ZT_EQ(replies, 1);
  ZT_EQU(last_len, 3000);
  ZT_EQ(sent_count(&s.link.b, 0), 0);
  /* A too-big echo is refused up front. */
  ZT_EQ(zn_icmp_echo_send(s.st, IP_A, 1, 1, pattern, 65508), ZN_EMSGSIZE);
  solo_free(&s);
}

/* A pod's address: a /32 and a gateway off it (169.254.1.1), reached on
 * the link.  Every other address, the /24 around ours included, goes to
 * the gateway's MAC; the gateway's own address too; ARP asks for the
 * gateway when it is not known. */
ZT_TEST(test_pod_address_offlink_gateway) {
  struct zn_config c;
  cfg_quiet(&c, IP_B, 2);
  struct solo s;
  solo_b(&s, &c);
  ZT_REQUIRE(s.st);
  const uint32_t gw = ZN_IPV4(169, 254, 1, 1);
  ZT_EQ(zn_stack_set_ipv4(s.st, IP_B, 32, gw), ZN_OK);
  /* Not known yet: an ARP request for the gateway, from our address. */
  ZT_EQ(zn_icmp_echo_send(s.st, ZN_IPV4(8, 8, 8, 8), 1, 1, "x", 1), ZN_OK);
  zn_stack_flush(s.st);
  struct zn_buf *b = sent_pop(&s.link.b);
  ZT_REQUIRE(b);
  ZT_EQ(zn_rd16(b->data + 12), ZN_ETHERTYPE_ARP);
  ZT_EQU(zn_rd32(b->data + 28), IP_B); /* sender protocol address */
  ZT_EQU(zn_rd32(b->data + 38), gw);   /* target protocol address */
  zn_buf_free(b);
  uint8_t gw_mac[6] = {0xee, 0xee, 0xee, 0xee, 0xee, 0xee};
  zn_arp_add_static(s.st, gw, gw_mac); /* sends the datagram held */
  const uint32_t dsts[] = {ZN_IPV4(8, 8, 8, 8), IP_A, gw};
  for (size_t i = 0; i < sizeof(dsts) / sizeof(dsts[0]); i++) {
    if (i > 0)
      ZT_EQ(zn_icmp_echo_send(s.st, dsts[i], 1, 2, "x", 1), ZN_OK);
    zn_stack_flush(s.st);
    b = sent_pop(&s.link.b);
    ZT_REQUIRE(b);
    ZT_MEMEQ(b->data, gw_mac, 6);
    ZT_EQ(zn_rd16(b->data + 12), ZN_ETHERTYPE_IPV4);
    ZT_EQU(zn_rd32(b->data + 26), IP_B);
    ZT_EQU(zn_rd32(b->data + 30), dsts[i]);
    zn_buf_free(b);
  }
  /* A /32's broadcast is the limited one only. */
  ZT_EQ(zn_icmp_echo_send(s.st, 0xffffffffu, 1, 3, "x", 1), ZN_OK);
  zn_stack_flush(s.st);
  b = sent_pop(&s.link.b);
  ZT_REQUIRE(b);
  ZT_CHECK(zn_eth_is_bcast(b->data));
  zn_buf_free(b);
  solo_free(&s);
}

/* IP IDs come from a counter per keyed-hash slot of (destination,
 * protocol); the last destinations' hashes are remembered (zn__peer_hash).
 * Datagrams to destinations and protocols in turn must draw exactly the
 * IDs the uncached rule gives: ids[(high half of the destination's hash
 * + proto) % ZN__IP_IDS]++. */
static uint64_t peer_hash_uncached(const struct zn_stack *st, uint32_t ip) {
  uint8_t in[5] = {(uint8_t)(ip >> 24), (uint8_t)(ip >> 16),
                   (uint8_t)(ip >> 8), (uint8_t)ip, 0x70};
  return zn_siphash13(st->hash_key, in, sizeof(in));
}

static uint32_t id_slot_uncached(const struct zn_stack *st, uint32_t dst,
                                 uint8_t proto) {
  uint64_t h = peer_hash_uncached(st, dst);
  return ((uint32_t)(h >> 32) + proto) % ZN__IP_IDS;
}

ZT_TEST(test_ip_id_counters) {
  struct zn_config c;
  cfg_quiet(&c, IP_B, 2);
  struct solo s;
  solo_b(&s, &c);
  ZT_REQUIRE(s.st);
  const uint32_t dsts[3] = {IP_A, IP_X, ZN_IPV4(10, 0, 0, 3)};
  const uint8_t protos[3] = {99, ZN_IPPROTO_UDP, 253};
  zn_arp_add_static(s.st, IP_X, MAC_X);
  zn_arp_add_static(s.st, dsts[2], MAC_X);
  sent_purge(&s.link.b);
  uint16_t model[ZN__IP_IDS];
  memcpy(model, ZN__MOD(s.st, ip)->ids, sizeof(model));
  /* Runs of one pair, then pairs alternating, then the first again. */
  static const uint8_t seq[][2] = {{0, 0}, {0, 0}, {0, 0}, {1, 0}, {0, 0},
                                   {0, 1}, {0, 1}, {0, 0}, {2, 2}, {1, 1},
                                   {2, 2}, {0, 2}, {1, 0}, {1, 0}, {0, 0}};
  for (size_t i = 0; i < sizeof(seq) / sizeof(seq[0]); i++) {
    uint32_t dst = dsts[seq[i][0]];
    uint8_t proto = protos[seq[i][1]];
    struct zn_buf *b = zn_stack_buf_alloc(s.st, 8);
    ZT_REQUIRE(b);
    memset(zn_buf_put(b, 8), 0, 8);
    struct zn__ip_tx tx = {0};
    tx.dst = dst;
    tx.proto = proto;
    ZT_EQ(zn__ip_output(s.st, b, &tx), ZN_OK);
    zn_stack_flush(s.st);
    struct zn_buf *f = sent_pop(&s.link.b);
    ZT_REQUIRE(f);
    ZT_EQU(zn_rd32(f->data + 14 + 16), dst);
    ZT_EQ(f->data[14 + 9], proto);
    uint16_t want = model[id_slot_uncached(s.st, dst, proto)]++;
    ZT_EQ(zn_rd16(f->data + 14 + 4), want);
    zn_buf_free(f);
  }
  ZT_MEMEQ(model, ZN__MOD(s.st, ip)->ids, sizeof(model));
  solo_free(&s);
}

/* An atomic datagram (DF) may carry the ID its sender chose (RFC 6864
 * §4.1; TCP's counter per connection): with own_id it goes out as given
 * and no counter moves.  Without DF own_id is ignored: a datagram that
 * can be fragmented draws from its destination's counter. */
ZT_TEST(test_ip_id_own_only_atomic) {
  struct zn_config c;
  cfg_quiet(&c, IP_B, 2);
  struct solo s;
  solo_b(&s, &c);
  ZT_REQUIRE(s.st);
  sent_purge(&s.link.b);
  uint16_t model[ZN__IP_IDS];
  memcpy(model, ZN__MOD(s.st, ip)->ids, sizeof(model));
  for (int df = 1; df >= 0; df--) {
    struct zn_buf *b = zn_stack_buf_alloc(s.st, 8);
    ZT_REQUIRE(b);
    memset(zn_buf_put(b, 8), 0, 8);
    struct zn__ip_tx tx = {0};
    tx.dst = IP_A;
    tx.proto = 99;
    tx.df = df != 0;
    tx.own_id = true;
    tx.id = 0xbeef;
    ZT_EQ(zn__ip_output(s.st, b, &tx), ZN_OK);
    zn_stack_flush(s.st);
    struct zn_buf *f = sent_pop(&s.link.b);
    ZT_REQUIRE(f);
    uint16_t want = df ? 0xbeef : model[id_slot_uncached(s.st, IP_A, 99)]++;
    ZT_EQ(zn_rd16(f->data + 14 + 4), want);
    ZT_EQ((zn_rd16(f->data + 14 + 6) & ZN_IPV4_DF) != 0, df);
    zn_buf_free(f);
  }
  ZT_MEMEQ(model, ZN__MOD(s.st, ip)->ids, sizeof(model));
  solo_free(&s);
}

/* zn__peer_hash remembers the last address of each memo slot: whatever
 * addresses come, in whatever order, many to one slot or one to each
 * (the empty slots' marks, ~i, among them), it answers the keyed hash
 * of the address, and remembers it. */
ZT_TEST(test_peer_hash_memo) {
  struct zn_config c;
  cfg_quiet(&c, IP_B, 2);
  struct solo s;
  solo_b(&s, &c);
  ZT_REQUIRE(s.st);
  uint32_t addrs[64];
  for (uint32_t i = 0; i < 16; i++) {
    addrs[i] = ~i;                          /* the marks */
    addrs[16 + i] = IP_A + i;               /* one to each slot */
    addrs[32 + i] = IP_A + 16 * i;          /* all to one slot */
    addrs[48 + i] = ZN_IPV4(192, 0, 2, 0) + 17 * i;
  }
  uint64_t x = 0x9e3779b97f4a7c15ull;
  for (int n = 0; n < 2000; n++) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    uint32_t ip = addrs[(x >> 33) % 64];
    ZT_EQU(zn__peer_hash(s.st, ip), peer_hash_uncached(s.st, ip));
    ZT_EQU(s.st->peer_memo_ip[ip % ZN__PEER_MEMO], ip);
  }
  solo_free(&s);
}

int main(void) {
  for (size_t i = 0; i < sizeof(pattern); i++)
    pattern[i] = (uint8_t)(i * 7 + 3);
  ZT_RUN(test_ip_id_counters);
  ZT_RUN(test_ip_id_own_only_atomic);
  ZT_RUN(test_peer_hash_memo);
  ZT_RUN(test_big_datagram_waits_for_arp);
  ZT_RUN(test_fragment_both_ways);
  ZT_RUN(test_reassembly_orders);
  ZT_RUN(test_reassembly_overlap_and_dup);
  ZT_RUN(test_reassembly_timeout_sends_time_exceeded);
  ZT_RUN(test_reassembly_bounds);
  ZT_RUN(test_input_validation);
  ZT_RUN(test_ttl_below_2_answered);
  ZT_RUN(test_martian_sources_dropped);
  ZT_RUN(test_point_to_point_sources_taken);
  ZT_RUN(test_icmp_error_never_to_martian);
  ZT_RUN(test_martian_destinations_not_sent);
  ZT_RUN(test_protocol_unreachable);
  ZT_RUN(test_routing_df_loopback);
  ZT_RUN(test_pod_address_offlink_gateway);
  return zt_done();
}
