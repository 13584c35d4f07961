/* A flow's cached IPv4 route (struct zn__ip_path, src/ipv4/ipv4.c): the
 * frames it sends are those the full path would, byte for byte and
 * counter for counter, and every change it rests on (our address,
 * gateway, MAC, the neighbour's ARP entry, the MTU) sends the next
 * datagram the full way, right.  Each frame is read back with the public
 * wire parsers. */
#include "core/stack_int.h"
#include "internals.h"
#include "proto_util.h"

#define IP_GW ZN_IPV4(10, 0, 0, 254)
#define IP_GW2 ZN_IPV4(10, 0, 0, 253)
#define IP_FAR ZN_IPV4(192, 0, 2, 7)
#define PROTO 253 /* RFC 3692 experimentation: nobody reads it */

static const uint8_t MAC_Y[6] = {2, 0, 0, 0, 0, 0x77};

/* What one emitted frame says, read through the wire parsers. */
struct frame {
  uint16_t type;           /* EtherType, 0: no frame */
  uint8_t dst_mac[6], src_mac[6];
  bool tagged;
  uint16_t vid;
  struct zn_ipv4_view ip;  /* IPv4 only */
  bool ip_ok;              /* parsed, checksum right, whole */
  uint8_t bytes[2048];
  size_t len;
};

/* Take the next frame st sent (flushed first) into f; false if none. */
static bool next_frame(struct solo *s, struct frame *f) {
  memset(f, 0, sizeof(*f));
  zn_stack_flush(s->st);
  struct zn_buf *b = sent_pop(&s->link.b);
  if (!b)
    return false;
  f->len = b->len < sizeof(f->bytes) ? b->len : sizeof(f->bytes);
  memcpy(f->bytes, b->data, f->len);
  zn_buf_free(b);
  struct zn_eth_view e;
  if (zn_eth_view_init(&e, f->bytes, f->len) != ZN_OK)
    return true;
  f->type = e.type;
  memcpy(f->dst_mac, zn_eth_dst(&e), 6);
  memcpy(f->src_mac, zn_eth_src(&e), 6);
  f->tagged = e.tagged;
  f->vid = zn_eth_vid(&e);
  if (e.type == ZN_ETHERTYPE_IPV4 &&
      zn_ipv4_view_init(&f->ip, f->bytes + e.hdr_len, f->len - e.hdr_len) ==
          ZN_OK)
    f->ip_ok = zn_ipv4_csum_ok(&f->ip) &&
               f->ip.tot_len == f->len - e.hdr_len && f->ip.hdr_len == 20;
  return true;
}

/* The payload byte i of a datagram with ID id. */
static uint8_t pbyte(uint16_t id, size_t i) {
  return (uint8_t)(i * 13u + id);
}

/* Send a datagram of the flow src -> dst (src 0: our address, as a
 * transport that has not chosen one) through path, as TCP does: TOS tos,
 * ID id, len payload bytes. */
static int send_dgram(struct zn_stack *st, struct zn__ip_path *path,
                      uint32_t src, uint32_t dst, uint8_t tos, uint16_t id,
                      size_t len) {
  struct zn_buf *b = zn_stack_buf_alloc(st, len);
  if (!b)
    return ZN_ENOBUFS;
  uint8_t *p = zn_buf_put(b, len);
  for (size_t i = 0; i < len; i++)
    p[i] = pbyte(id, i);
  struct zn_ip s;
  memset(&s, 0, sizeof(s));
  if (src)
    s = zn_ip_from_v4(src);
  struct zn_ip d = zn_ip_from_v4(dst);
  return zn__af_send_path(st, b, &s, &d, PROTO, tos, 0, id, path);
}

/* The same datagram the full way, without a path. */
static int send_dgram_full(struct zn_stack *st, uint32_t src, uint32_t dst,
                           uint8_t tos, uint16_t id, size_t len) {
  struct zn_buf *b = zn_stack_buf_alloc(st, len);
  if (!b)
    return ZN_ENOBUFS;
  uint8_t *p = zn_buf_put(b, len);
  for (size_t i = 0; i < len; i++)
    p[i] = pbyte(id, i);
  struct zn__ip_tx tx = {.src = src, .dst = dst, .proto = PROTO, .tos = tos,
                         .df = true, .own_id = true, .id = id};
  return zn__ip_output(st, b, &tx);
}

static uint64_t cached(const struct solo *s) {
  return zn_stat(s->st, ZN_STAT_ip_tx_path_cached);
}

/* The frame f is the datagram send_dgram made: to MAC dmac from
 * ours, src -> dst, with tos, id, len bytes of payload, DF, the stack's
 * TTL, a right header checksum. */
static void check_frame(const struct frame *f, const struct solo *s,
                        const uint8_t *dmac, uint32_t src, uint32_t dst,
                        uint8_t tos, uint16_t id, size_t len, int line) {
  if (f->type != ZN_ETHERTYPE_IPV4 || !f->ip_ok) {
    zt_fail(__FILE__, line, "not a whole IPv4 frame (type 0x%04x)", f->type);
    return;
  }
  if (memcmp(f->dst_mac, dmac, 6) != 0)
    zt_fail(__FILE__, line, "to the wrong MAC (last byte %02x, not %02x)",
            f->dst_mac[5], dmac[5]);
  if (memcmp(f->src_mac, zn_stack_mac(s->st), 6) != 0)
    zt_fail(__FILE__, line, "not from our MAC");
  const struct zn_ipv4_view *v = &f->ip;
  if (v->src != src || v->dst != dst)
    zt_fail(__FILE__, line, "addressed 0x%08x -> 0x%08x, not 0x%08x -> "
            "0x%08x", v->src, v->dst, src, dst);
  if (v->tos != tos || v->id != id || v->proto != PROTO ||
      v->ttl != s->st->cfg.ttl || v->frag != ZN_IPV4_DF ||
      v->tot_len != 20 + len)
    zt_fail(__FILE__, line, "header: tos %u id %u proto %u ttl %u frag "
            "0x%04x len %zu", v->tos, v->id, v->proto, v->ttl, v->frag,
            v->tot_len);
  for (size_t i = 0; i < len && v->tot_len == 20 + len; i++)
    if (v->p[20 + i] != pbyte(id, i)) {
      zt_fail(__FILE__, line, "payload byte %zu", i);
      break;
    }
}

#define CHECK_FRAME(f, s, dmac, src, dst, tos, id, len)                       \
  check_frame((f), (s), (dmac), (src), (dst), (tos), (id), (len), __LINE__)

/* Send one datagram of the flow and check the frame it became. */
static void send_check(struct solo *s, struct zn__ip_path *path,
                       uint32_t src, uint32_t dst, const uint8_t *dmac,
                       uint16_t id, int line) {
  ZT_EQ(send_dgram(s->st, path, src, dst, ZN_IP_ECN_ECT0, id, 100), ZN_OK);
  struct frame f;
  if (!next_frame(s, &f)) {
    zt_fail(__FILE__, line, "no frame");
    return;
  }
  uint32_t want_src = src ? src : zn__ip_addr(s->st);
  check_frame(&f, s, dmac, want_src, dst, ZN_IP_ECN_ECT0, id, 100, line);
  if (next_frame(s, &f))
    zt_fail(__FILE__, line, "a second frame (type 0x%04x)", f.type);
}

#define SEND_CHECK(s, path, src, dst, dmac, id)                               \
  send_check((s), (path), (src), (dst), (dmac), (id), __LINE__)

/* A solo stack at IP_B/24 (gateway IP_GW), the peer IP_A resolved
 * statically; quiet, polled once. */
static void solo_path(struct solo *s, struct zn_config *c) {
  c->ipv4_gateway = IP_GW;
  solo_b(s, c);
  if (s->st)
    sent_purge(&s->link.b);
}

/* The peer's entry learned from its request to us (REACHABLE), as a
 * neighbour's normally is, its reply to us purged. */
static void learn_peer(struct solo *s, uint32_t ip, const uint8_t *mac) {
  uint8_t f[42];
  zn_eth_emit(f, zn_eth_bcast, mac, ZN_ETHERTYPE_ARP);
  static const uint8_t zero[6];
  zn_arp_emit(f + 14, ZN_ARP_OP_REQUEST, mac, ip, zero, zn__ip_addr(s->st));
  inject(s->st, f, sizeof(f));
  sent_purge(&s->link.b);
}

static void arp_reply(struct solo *s, uint32_t ip, const uint8_t *mac) {
  uint8_t f[42];
  zn_eth_emit(f, zn_stack_mac(s->st), mac, ZN_ETHERTYPE_ARP);
  zn_arp_emit(f + 14, ZN_ARP_OP_REPLY, mac, ip, zn_stack_mac(s->st),
              zn__ip_addr(s->st));
  inject(s->st, f, sizeof(f));
}

static uint8_t arp_state(struct solo *s, uint32_t ip) {
  for (uint32_t i = 0; i < s->st->cfg.arp_entries; i++)
    if (ZN__MOD(s->st, arp)->e[i].state != ZN_ARP_FREE &&ZN__MOD(s->st, arp)->e[i].ip == ip)
      return ZN__MOD(s->st, arp)->e[i].state;
  return ZN_ARP_FREE;
}

/* Two stacks alike, one sending through a path and one the full way,
 * send the same datagrams: every frame is the same, byte for byte, and so
 * is every counter but ip_tx_path_cached.  IDs, TOS octets and lengths
 * run over their edges and at random (the checksum's fold included), to
 * a neighbour and through the gateway. */
ZT_TEST(test_path_frames_match_full_path) {
  struct zn_config c;
  cfg_quiet(&c, IP_B, 2);
  struct solo s1, s2;
  solo_path(&s1, &c);
  solo_path(&s2, &c);
  ZT_REQUIRE(s1.st && s2.st);
  zn_arp_add_static(s1.st, IP_GW, MAC_X);
  zn_arp_add_static(s2.st, IP_GW, MAC_X);
  uint64_t x = 0x2545f4914f6cdd1dull;
  int n = 0;
  for (int flow = 0; flow < 2; flow++) {
    uint32_t dst = flow ? IP_FAR : IP_A;
    struct zn__ip_path path;
    memset(&path, 0, sizeof(path));
    for (int i = 0; i < 600; i++, n++) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      uint16_t id = i < 3 ? (uint16_t)(0xffff * (i & 1)) : (uint16_t)x;
      uint8_t tos = i < 8 ? (uint8_t)(i * 0x25) : (uint8_t)(x >> 16);
      size_t len = i < 4 ? (size_t)(i * 490) : (size_t)((x >> 24) % 1481);
      zn_stack_poll(s1.st, ZN_MS(n)); /* entries' last use moves */
      zn_stack_poll(s2.st, ZN_MS(n));
      ZT_EQ(send_dgram(s1.st, &path, 0, dst, tos, id, len), ZN_OK);
      ZT_EQ(send_dgram_full(s2.st, 0, dst, tos, id, len), ZN_OK);
      struct frame f1, f2;
      ZT_CHECK(next_frame(&s1, &f1));
      ZT_CHECK(next_frame(&s2, &f2));
      ZT_CHECK(f1.ip_ok);
      ZT_EQU(f1.len, f2.len);
      if (f1.len != f2.len || memcmp(f1.bytes, f2.bytes, f1.len) != 0) {
        zt_fail(__FILE__, __LINE__, "frame %d differs (id %u tos %u len %zu)",
                n, id, tos, len);
        zt_hexdump("cached", f1.bytes, 34);
        zt_hexdump("full", f2.bytes, 34);
        break;
      }
    }
  }
  /* All but each flow's first went through its path. */
  ZT_EQU(cached(&s1), (uint64_t)n - 2);
  ZT_EQU(cached(&s2), 0);
  struct zn_stats a, b;
  zn_stats_get(s1.st, &a);
  zn_stats_get(s2.st, &b);
  for (int i = 0; i < ZN_STAT_COUNT; i++)
    if (i != ZN_STAT_ip_tx_path_cached && a.v[i] != b.v[i])
      zt_fail(__FILE__, __LINE__, "counter %s: %llu != %llu",
              zn_stat_name(i), (unsigned long long)a.v[i],
              (unsigned long long)b.v[i]);
  for (uint32_t i = 0; i < c.arp_entries; i++)
    ZT_EQU(ZN__MOD(s1.st, arp)->e[i].last_used, ZN__MOD(s2.st, arp)->e[i].last_used);
  ZT_EQU(ZN__MOD(s1.st, arp)->e[0].last_used, ZN_MS(n - 601));
  solo_free(&s1);
  solo_free(&s2);
}

/* A flow from "our address": when the address changes, the next datagram
 * carries the new one (and its checksum), and the path follows. */
ZT_TEST(test_path_follows_address_change) {
  struct zn_config c;
  cfg_quiet(&c, IP_B, 2);
  struct solo s;
  solo_path(&s, &c);
  ZT_REQUIRE(s.st);
  struct zn__ip_path path;
  memset(&path, 0, sizeof(path));
  SEND_CHECK(&s, &path, 0, IP_A, MAC_A, 1);
  SEND_CHECK(&s, &path, 0, IP_A, MAC_A, 2);
  ZT_EQU(cached(&s), 1);
  ZT_EQ(zn_stack_set_ipv4(s.st, ZN_IPV4(10, 0, 0, 9), 24, IP_GW), ZN_OK);
  SEND_CHECK(&s, &path, 0, IP_A, MAC_A, 3);
  ZT_EQU(cached(&s), 1);
  SEND_CHECK(&s, &path, 0, IP_A, MAC_A, 4);
  ZT_EQU(cached(&s), 2);
  /* A new prefix puts the peer behind a gateway. */
  zn_arp_add_static(s.st, ZN_IPV4(10, 0, 1, 254), MAC_Y);
  ZT_EQ(zn_stack_set_ipv4(s.st, ZN_IPV4(10, 0, 1, 9), 24,
                          ZN_IPV4(10, 0, 1, 254)),
        ZN_OK);
  SEND_CHECK(&s, &path, 0, IP_A, MAC_Y, 5);
  SEND_CHECK(&s, &path, 0, IP_A, MAC_Y, 6);
  ZT_EQU(cached(&s), 3);
  /* And our address becoming the destination loops it back. */
  ZT_EQ(zn_stack_set_ipv4(s.st, IP_A, 24, 0), ZN_OK);
  ZT_EQ(send_dgram(s.st, &path, IP_B, IP_A, 0, 7, 100), ZN_OK);
  ZT_EQU(s.st->loopq.count, 1);
  struct frame f;
  ZT_CHECK(!next_frame(&s, &f));
  ZT_EQU(cached(&s), 3);
  zn_bufq_purge(&s.st->loopq);
  solo_free(&s);
}

/* A new gateway takes the next datagram to a host off the link. */
ZT_TEST(test_path_follows_gateway_change) {
  struct zn_config c;
  cfg_quiet(&c, IP_B, 2);
  struct solo s;
  solo_path(&s, &c);
  ZT_REQUIRE(s.st);
  zn_arp_add_static(s.st, IP_GW, MAC_X);
  zn_arp_add_static(s.st, IP_GW2, MAC_Y);
  struct zn__ip_path path;
  memset(&path, 0, sizeof(path));
  SEND_CHECK(&s, &path, IP_B, IP_FAR, MAC_X, 1);
  SEND_CHECK(&s, &path, IP_B, IP_FAR, MAC_X, 2);
  ZT_EQU(cached(&s), 1);
  ZT_EQ(zn_stack_set_ipv4(s.st, IP_B, 24, IP_GW2), ZN_OK);
  SEND_CHECK(&s, &path, IP_B, IP_FAR, MAC_Y, 3);
  SEND_CHECK(&s, &path, IP_B, IP_FAR, MAC_Y, 4);
  ZT_EQU(cached(&s), 2);
  /* No gateway: no route, the datagram refused, nothing sent. */
  ZT_EQ(zn_stack_set_ipv4(s.st, IP_B, 24, 0), ZN_OK);
  ZT_EQ(send_dgram(s.st, &path, IP_B, IP_FAR, 0, 5, 100), ZN_ENETUNREACH);
  ZT_EQU(zn_stat(s.st, ZN_STAT_ip_tx_drop_noroute), 1);
  struct frame f;
  ZT_CHECK(!next_frame(&s, &f));
  solo_free(&s);
}

/* Our MAC is the netif's when the configuration has none, known only
 * once it is attached: nothing is kept before, and frames after carry
 * it. */
ZT_TEST(test_path_follows_our_mac) {
  struct zn_config c;
  cfg_quiet(&c, IP_B, 2);
  c.has_mac = false;
  struct solo s;
  zn_memlink_init(&s.link, 0, 1024);
  s.st = th_stack_new(&c);
  ZT_REQUIRE(s.st);
  zn_arp_add_static(s.st, IP_A, MAC_A);
  zn_stack_poll(s.st, 0);
  struct zn__ip_path path;
  memset(&path, 0, sizeof(path));
  for (uint16_t id = 1; id <= 2; id++)
    ZT_EQ(send_dgram(s.st, &path, IP_B, IP_A, 0, id, 100), ZN_OK);
  ZT_EQU(zn_stat(s.st, ZN_STAT_if_no_netif), 2);
  ZT_EQU(cached(&s), 0);
  s.link.a.nif.has_mac = true;
  memcpy(s.link.a.nif.mac, MAC_Y, 6);
  ZT_EQ(zn_stack_attach(s.st, &s.link.a.nif), ZN_OK);
  ZT_MEMEQ(zn_stack_mac(s.st), MAC_Y, 6);
  SEND_CHECK(&s, &path, IP_B, IP_A, MAC_A, 3);
  SEND_CHECK(&s, &path, IP_B, IP_A, MAC_A, 4);
  ZT_EQU(cached(&s), 1);
  solo_free(&s);
}

/* The neighbour's MAC changes, by its request to us, by a static entry,
 * by the reply to a probe: the next datagram goes to the new MAC. */
ZT_TEST(test_path_follows_neighbour_mac) {
  struct zn_config c;
  cfg_quiet(&c, IP_B, 2);
  c.arp_reachable_ms = 1000;
  struct solo s;
  solo_init(&s, &c);
  ZT_REQUIRE(s.st);
  zn_stack_poll(s.st, 0);
  learn_peer(&s, IP_A, MAC_A);
  ZT_EQ(arp_state(&s, IP_A), ZN_ARP_REACHABLE);
  struct zn__ip_path path;
  memset(&path, 0, sizeof(path));
  SEND_CHECK(&s, &path, IP_B, IP_A, MAC_A, 1);
  SEND_CHECK(&s, &path, IP_B, IP_A, MAC_A, 2);
  ZT_EQU(cached(&s), 1);
  /* Its request from a new MAC (a new card, a failover). */
  learn_peer(&s, IP_A, MAC_X);
  SEND_CHECK(&s, &path, IP_B, IP_A, MAC_X, 3);
  SEND_CHECK(&s, &path, IP_B, IP_A, MAC_X, 4);
  ZT_EQU(cached(&s), 2);
  /* The same MAC again changes nothing: the path stands. */
  learn_peer(&s, IP_A, MAC_X);
  SEND_CHECK(&s, &path, IP_B, IP_A, MAC_X, 5);
  ZT_EQU(cached(&s), 3);
  /* A static entry over it. */
  ZT_EQ(zn_arp_add_static(s.st, IP_A, MAC_Y), ZN_OK);
  SEND_CHECK(&s, &path, IP_B, IP_A, MAC_Y, 6);
  SEND_CHECK(&s, &path, IP_B, IP_A, MAC_Y, 7);
  ZT_EQU(cached(&s), 4);
  /* Removed and learned again: stale, probed, answered from another. */
  ZT_EQ(zn_arp_remove(s.st, IP_A), ZN_OK);
  learn_peer(&s, IP_A, MAC_A);
  SEND_CHECK(&s, &path, IP_B, IP_A, MAC_A, 8);
  SEND_CHECK(&s, &path, IP_B, IP_A, MAC_A, 9);
  ZT_EQU(cached(&s), 5);
  zn_stack_poll(s.st, ZN_MS(1500)); /* REACHABLE -> STALE */
  ZT_EQ(arp_state(&s, IP_A), ZN_ARP_STALE);
  ZT_EQ(send_dgram(s.st, &path, IP_B, IP_A, 0, 10, 100), ZN_OK);
  ZT_EQ(arp_state(&s, IP_A), ZN_ARP_PROBE);
  zn_stack_flush(s.st);
  sent_purge(&s.link.b);
  arp_reply(&s, IP_A, MAC_X);
  ZT_EQ(arp_state(&s, IP_A), ZN_ARP_REACHABLE);
  SEND_CHECK(&s, &path, IP_B, IP_A, MAC_X, 11);
  SEND_CHECK(&s, &path, IP_B, IP_A, MAC_X, 12);
  ZT_EQU(cached(&s), 6);
  solo_free(&s);
}

/* RFC 1122 §2.3.2.1: an entry gone STALE is probed when next used.  The
 * path does not skip that: the datagram goes the full way, which sends
 * the probe (unicast, to the MAC held) and the datagram; while the probe
 * is out the entry still sends directly, and the path with it.  A probe
 * unanswered frees the entry, and the next datagram waits for a new
 * resolution. */
ZT_TEST(test_path_stale_entry_probed) {
  struct zn_config c;
  cfg_quiet(&c, IP_B, 2);
  c.arp_reachable_ms = 1000;
  c.arp_retry_ms = 100;
  c.arp_retries = 1;
  struct solo s;
  solo_init(&s, &c);
  ZT_REQUIRE(s.st);
  zn_stack_poll(s.st, 0);
  learn_peer(&s, IP_A, MAC_A);
  struct zn__ip_path path;
  memset(&path, 0, sizeof(path));
  SEND_CHECK(&s, &path, IP_B, IP_A, MAC_A, 1);
  SEND_CHECK(&s, &path, IP_B, IP_A, MAC_A, 2);
  ZT_EQU(cached(&s), 1);
  zn_stack_poll(s.st, ZN_MS(1500));
  ZT_EQ(arp_state(&s, IP_A), ZN_ARP_STALE);
  uint64_t req = zn_stat(s.st, ZN_STAT_arp_req_tx);
  ZT_EQ(send_dgram(s.st, &path, IP_B, IP_A, 0, 3, 100), ZN_OK);
  ZT_EQU(cached(&s), 1);
  ZT_EQU(zn_stat(s.st, ZN_STAT_arp_req_tx), req + 1);
  ZT_EQ(arp_state(&s, IP_A), ZN_ARP_PROBE);
  struct frame f;
  ZT_CHECK(next_frame(&s, &f)); /* the datagram, to the MAC held */
  CHECK_FRAME(&f, &s, MAC_A, IP_B, IP_A, 0, 3, 100);
  ZT_CHECK(next_frame(&s, &f)); /* the probe, unicast */
  ZT_EQ(f.type, ZN_ETHERTYPE_ARP);
  ZT_MEMEQ(f.dst_mac, MAC_A, 6);
  SEND_CHECK(&s, &path, IP_B, IP_A, MAC_A, 4);
  ZT_EQU(cached(&s), 2);
  /* The probe and its retry unanswered: the entry goes. */
  zn_stack_poll(s.st, ZN_MS(1600));
  zn_stack_poll(s.st, ZN_MS(1900));
  ZT_EQ(arp_state(&s, IP_A), ZN_ARP_FREE);
  sent_purge(&s.link.b);
  ZT_EQ(send_dgram(s.st, &path, IP_B, IP_A, 0, 5, 100), ZN_OK);
  ZT_EQU(cached(&s), 2);
  ZT_EQ(arp_state(&s, IP_A), ZN_ARP_INCOMPLETE);
  ZT_CHECK(next_frame(&s, &f)); /* a broadcast request, the datagram held */
  ZT_EQ(f.type, ZN_ETHERTYPE_ARP);
  ZT_CHECK(zn_eth_is_bcast(f.dst_mac));
  ZT_CHECK(!next_frame(&s, &f));
  solo_free(&s);
}

/* The neighbour's entry evicted, its slot taken for another host: the
 * next datagram must not go to that host's MAC, but wait for the
 * neighbour to be resolved again. */
ZT_TEST(test_path_evicted_entry_reused) {
  struct zn_config c;
  cfg_quiet(&c, IP_B, 2);
  c.arp_entries = 1;
  struct solo s;
  solo_init(&s, &c);
  ZT_REQUIRE(s.st);
  zn_stack_poll(s.st, 0);
  learn_peer(&s, IP_A, MAC_A);
  struct zn__ip_path path;
  memset(&path, 0, sizeof(path));
  SEND_CHECK(&s, &path, IP_B, IP_A, MAC_A, 1);
  SEND_CHECK(&s, &path, IP_B, IP_A, MAC_A, 2);
  ZT_EQU(cached(&s), 1);
  ZT_EQ(zn_arp_add_static(s.st, IP_X, MAC_X), ZN_OK);
  ZT_EQU(zn_stat(s.st, ZN_STAT_arp_evict), 1);
  ZT_EQ(arp_state(&s, IP_X), ZN_ARP_STATIC);
  ZT_EQ(send_dgram(s.st, &path, IP_B, IP_A, 0, 3, 100), ZN_OK);
  ZT_EQU(cached(&s), 1);
  /* The cache is full of a static entry: no room to resolve. */
  ZT_EQU(zn_stat(s.st, ZN_STAT_arp_drop_cache_full), 1);
  struct frame f;
  ZT_CHECK(!next_frame(&s, &f));
  /* Room again: a resolution for the peer, then its datagrams. */
  ZT_EQ(zn_arp_remove(s.st, IP_X), ZN_OK);
  ZT_EQ(send_dgram(s.st, &path, IP_B, IP_A, 0, 4, 100), ZN_OK);
  ZT_CHECK(next_frame(&s, &f));
  ZT_EQ(f.type, ZN_ETHERTYPE_ARP);
  ZT_CHECK(zn_eth_is_bcast(f.dst_mac));
  arp_reply(&s, IP_A, MAC_Y);
  ZT_CHECK(next_frame(&s, &f)); /* the datagram that waited */
  CHECK_FRAME(&f, &s, MAC_Y, IP_B, IP_A, 0, 4, 100);
  SEND_CHECK(&s, &path, IP_B, IP_A, MAC_Y, 5);
  SEND_CHECK(&s, &path, IP_B, IP_A, MAC_Y, 6);
  ZT_EQU(cached(&s), 2);
  solo_free(&s);
}

/* The MTU is read at every datagram: lowered (as DHCP's option 26 does),
 * a datagram over it is refused (DF) as the full path refuses it, one
 * within it still goes through the path; a TSO frame is the netif's to
 * cut. */
ZT_TEST(test_path_follows_mtu) {
  struct zn_config c;
  cfg_quiet(&c, IP_B, 2);
  struct solo s;
  solo_path(&s, &c);
  ZT_REQUIRE(s.st);
  struct zn__ip_path path;
  memset(&path, 0, sizeof(path));
  SEND_CHECK(&s, &path, IP_B, IP_A, MAC_A, 1);
  ZT_EQ(send_dgram(s.st, &path, IP_B, IP_A, 0, 2, 1480), ZN_OK);
  struct frame f;
  ZT_CHECK(next_frame(&s, &f));
  CHECK_FRAME(&f, &s, MAC_A, IP_B, IP_A, 0, 2, 1480);
  ZT_EQU(cached(&s), 1);
  ZT_EQ(send_dgram(s.st, &path, IP_B, IP_A, 0, 3, 1481), ZN_EMSGSIZE);
  s.link.a.nif.mtu = 576;
  ZT_EQ(send_dgram(s.st, &path, IP_B, IP_A, 0, 4, 1000), ZN_EMSGSIZE);
  ZT_EQU(zn_stat(s.st, ZN_STAT_ip_tx_drop_df), 2);
  ZT_CHECK(!next_frame(&s, &f));
  ZT_EQ(send_dgram(s.st, &path, IP_B, IP_A, 0, 5, 556), ZN_OK);
  ZT_CHECK(next_frame(&s, &f));
  CHECK_FRAME(&f, &s, MAC_A, IP_B, IP_A, 0, 5, 556);
  ZT_EQU(cached(&s), 2);
  struct zn_buf *b = zn_stack_buf_alloc(s.st, 1000);
  ZT_REQUIRE(b);
  memset(zn_buf_put(b, 1000), 0, 1000);
  b->gso_size = 500;
  struct zn_ip src = zn_ip_from_v4(IP_B), dst = zn_ip_from_v4(IP_A);
  ZT_EQ(zn__af_send_path(s.st, b, &src, &dst, PROTO, 0, 0, 6, &path), ZN_OK);
  ZT_EQU(cached(&s), 3);
  ZT_CHECK(next_frame(&s, &f));
  ZT_CHECK(f.ip_ok);
  ZT_EQU(f.ip.tot_len, 1020);
  solo_free(&s);
}

/* What a path does not keep: tagged frames (the template has no tag),
 * broadcasts, datagrams to ourselves.  Each goes the full way, right. */
ZT_TEST(test_path_not_kept) {
  struct zn_config c;
  cfg_quiet(&c, IP_B, 2);
  c.vlan_id = 42;
  struct solo s;
  solo_path(&s, &c);
  ZT_REQUIRE(s.st);
  struct zn__ip_path path;
  memset(&path, 0, sizeof(path));
  for (uint16_t id = 1; id <= 3; id++) {
    ZT_EQ(send_dgram(s.st, &path, IP_B, IP_A, 0, id, 100), ZN_OK);
    struct frame f;
    ZT_CHECK(next_frame(&s, &f));
    ZT_CHECK(f.tagged && f.vid == 42);
    CHECK_FRAME(&f, &s, MAC_A, IP_B, IP_A, 0, id, 100);
  }
  ZT_EQU(cached(&s), 0);
  solo_free(&s);

  cfg_quiet(&c, IP_B, 2);
  solo_path(&s, &c);
  ZT_REQUIRE(s.st);
  memset(&path, 0, sizeof(path));
  for (uint16_t id = 1; id <= 3; id++) {
    ZT_EQ(send_dgram(s.st, &path, IP_B, ZN_IPV4(10, 0, 0, 255), 0, id, 100),
          ZN_OK);
    struct frame f;
    ZT_CHECK(next_frame(&s, &f));
    CHECK_FRAME(&f, &s, zn_eth_bcast, IP_B, ZN_IPV4(10, 0, 0, 255), 0, id,
                100);
  }
  memset(&path, 0, sizeof(path));
  for (uint16_t id = 1; id <= 3; id++)
    ZT_EQ(send_dgram(s.st, &path, IP_B, IP_B, 0, id, 100), ZN_OK);
  ZT_EQU(s.st->loopq.count, 3);
  zn_bufq_purge(&s.st->loopq);
  ZT_EQU(cached(&s), 0);
  solo_free(&s);
}

int main(void) {
  ZT_RUN(test_path_frames_match_full_path);
  ZT_RUN(test_path_follows_address_change);
  ZT_RUN(test_path_follows_gateway_change);
  ZT_RUN(test_path_follows_our_mac);
  ZT_RUN(test_path_follows_neighbour_mac);
  ZT_RUN(test_path_stale_entry_probed);
  ZT_RUN(test_path_evicted_entry_reused);
  ZT_RUN(test_path_follows_mtu);
  ZT_RUN(test_path_not_kept);
  return zt_done();
}
