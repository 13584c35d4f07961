/* A connection's segments and the IPv4 route it caches (struct
 * zn__ip_path in struct zn_tcp_conn): the first segment takes the full
 * path and fills it, the next go through it, and a change of the
 * neighbour's MAC sends the next segment the full way, to the new MAC.
 * (The route's own rules are tested in tests/proto/test_ip_path.c; the
 * fixture checks every segment's IPv4 and TCP checksums.) */
#include "tcp_fixture.h"

static uint64_t cached(const struct fx *f) {
  return zn_stat(f->st, ZN_STAT_ip_tx_path_cached);
}

/* The next frame the stack sent, whole, its Ethernet destination in
 * dmac: an IPv4 datagram with right checksums from us to the peer, with
 * a segment of len payload bytes. */
static void expect_raw(struct fx *f, const uint8_t *dmac, size_t len,
                       int line) {
  zn_stack_flush(f->st);
  struct zn_buf *b = sent_pop(&f->link.b);
  if (!b) {
    zt_fail(__FILE__, line, "no frame");
    return;
  }
  struct zn_eth_view e;
  struct zn_ipv4_view ip;
  struct zn_tcp_view t;
  if (zn_eth_view_init(&e, b->data, b->len) != ZN_OK ||
      e.type != ZN_ETHERTYPE_IPV4 ||
      zn_ipv4_view_init(&ip, b->data + 14, b->len - 14) != ZN_OK ||
      zn_tcp_view_init(&t, ip.p + ip.hdr_len, ip.tot_len - ip.hdr_len) !=
          ZN_OK) {
    zt_fail(__FILE__, line, "not a TCP segment over IPv4");
  } else {
    if (memcmp(zn_eth_dst(&e), dmac, 6) != 0)
      zt_fail(__FILE__, line, "to MAC ..%02x, not ..%02x", zn_eth_dst(&e)[5],
              dmac[5]);
    if (memcmp(zn_eth_src(&e), MAC_A, 6) != 0)
      zt_fail(__FILE__, line, "not from our MAC");
    if (!zn_ipv4_csum_ok(&ip) || ip.src != FX_OUR_IP ||
        ip.dst != FX_PEER_IP || ip.frag != ZN_IPV4_DF ||
        ip.tot_len != b->len - 14)
      zt_fail(__FILE__, line, "bad IPv4 header");
    if (!zn_tcp_csum_ok(&t, ip.src, ip.dst) || zn_tcp_payload_len(&t) != len)
      zt_fail(__FILE__, line, "bad segment");
    f->s_nxt = t.seq + (uint32_t)zn_tcp_payload_len(&t);
  }
  zn_buf_free(b);
}

#define EXPECT_RAW(f, dmac, len) expect_raw((f), (dmac), (len), __LINE__)

/* The SYN-ACK fills the route; data, the FIN and the ACK of the peer's
 * FIN go through it, one ID after another; the slot, freed, starts its
 * next connection with none. */
ZT_TEST(test_path_after_first_segment) {
  struct fx f;
  fx_init(&f, NULL);
  fx_established_passive(&f);
  ZT_EQU(cached(&f), 0);
  uint16_t id = f.last_ip_id;
  ZT_EQ(fx_write(&f, 100), 100);
  fx_poll(&f);
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK | PSH, .len = 100);
  ZT_EQU(cached(&f), 1);
  ZT_EQ(f.last_ip_id, (uint16_t)(id + 1));
  ack_all(&f);
  ZT_EQ(fx_write(&f, 200), 200);
  fx_poll(&f);
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK | PSH, .len = 200);
  ZT_EQU(cached(&f), 2);
  ZT_EQ(f.last_ip_id, (uint16_t)(id + 2));
  ack_all(&f);
  SEND(&f, .seq = f.p_nxt, .ack = f.s_nxt, .flags = FIN | ACK);
  f.p_nxt++;
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK);
  fx_close(&f);
  fx_poll(&f);
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = FIN | ACK);
  ZT_EQU(cached(&f), 4);
  ZT_EQU(zn_stat(f.st, ZN_STAT_ip_tx), 5);
  SEND(&f, .seq = f.p_nxt, .ack = f.s_nxt, .flags = ACK);
  EXPECT_STATE(&f, ZN_TCP_CLOSED);
  /* The same slot, a new connection from another port. */
  f.pport++;
  f.p_iss += 100000;
  f.p_nxt = f.p_iss;
  struct zn_tcp_seg_opts o = fx_peer_syn_opts(&f);
  SEND(&f, .seq = f.p_iss, .flags = SYN, .o = o);
  f.p_nxt = f.p_iss + 1;
  EXPECT(&f, .any_seq = true, .ack = f.p_nxt, .flags = SYN | ACK,
         .any_opts = true);
  ZT_EQU(cached(&f), 4);
  fx_free(&f);
}

/* The peer's MAC changes under an established connection: the next
 * segment goes the full way, to the new MAC, and fills the route again. */
ZT_TEST(test_path_follows_peer_mac) {
  struct fx f;
  fx_init(&f, NULL);
  fx_established(&f); /* our SYN filled the route, our ACK took it */
  ZT_EQU(cached(&f), 1);
  ZT_EQ(fx_write(&f, 10), 10);
  fx_poll(&f);
  EXPECT_RAW(&f, MAC_B, 10);
  uint64_t n = cached(&f);
  ZT_EQU(n, 2);
  ack_all(&f);
  ZT_EQ(zn_arp_add_static(f.st, FX_PEER_IP, MAC_X), ZN_OK);
  ZT_EQ(fx_write(&f, 20), 20);
  fx_poll(&f);
  EXPECT_RAW(&f, MAC_X, 20);
  ZT_EQU(cached(&f), n);
  ack_all(&f);
  ZT_EQ(fx_write(&f, 30), 30);
  fx_poll(&f);
  EXPECT_RAW(&f, MAC_X, 30);
  ZT_EQU(cached(&f), n + 1);
  ack_all(&f);
  ZT_EQ(zn_arp_add_static(f.st, FX_PEER_IP, MAC_B), ZN_OK);
  ZT_EQ(fx_write(&f, 40), 40);
  fx_poll(&f);
  EXPECT(&f, .seq = f.s_nxt, .ack = f.p_nxt, .flags = ACK | PSH, .len = 40);
  ZT_EQU(cached(&f), n + 1);
  ack_all(&f);
  fx_free(&f);
}

int main(void) {
  ZT_RUN(test_path_after_first_segment);
  ZT_RUN(test_path_follows_peer_mac);
  return zt_done();
}
