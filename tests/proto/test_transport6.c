/* UDP and TCP over IPv6 between two stacks over memlink, through the
 * family-neutral inet layer: the transports, src/ipv6 and src/ipv6conf
 * together. */
#include <stdlib.h>

#include "proto6_util.h"
#include "tcp/tcp_int.h"
#include "znet/memlink.h"
#include "znet/tcp.h"
#include "znet/udp.h"

static const uint8_t G_A[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
static const uint8_t G_B[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 2};


struct echo {
  int n;
  size_t len;
  struct zn_ip from;
  uint16_t sport;
  bool reply;
};

static void on_dgram(struct zn_udp_sock *s, void *arg,
                     const struct zn_udp_dgram *d) {
  struct echo *e = arg;
  e->n++;
  e->len = d->len;
  e->from = d->src;
  e->sport = d->sport;
  if (e->reply)
    zn_udp_sendto(s, &d->src, d->sport, d->data, d->len);
}

static void udp_echo6(size_t len) {
  struct th_pair p;
  pair6(&p, G_A, G_B);
  ZT_REQUIRE(p.a && p.b);
  struct zn_udp_sock *sa, *sb;
  ZT_EQ(zn_udp_open(p.a, &sa), ZN_OK);
  ZT_EQ(zn_udp_open(p.b, &sb), ZN_OK);
  ZT_EQ(zn_udp_bind(sb, NULL, 7), ZN_OK); /* both families */
  struct echo ea = {0}, eb = {.reply = true};
  zn_udp_set_recv_cb(sa, on_dgram, &ea);
  zn_udp_set_recv_cb(sb, on_dgram, &eb);
  static uint8_t data[ZN_UDP6_MAX_PAYLOAD];
  for (size_t i = 0; i < len; i++)
    data[i] = (uint8_t)(i * 13 + 1);
  struct zn_ip b = zn_ip_from_v6(G_B), a = zn_ip_from_v6(G_A);
  ZT_EQ(zn_udp_sendto(sa, &b, 7, data, len), ZN_OK);
  th_pair_run(&p, ZN_MS(50));
  ZT_EQ(eb.n, 1);
  ZT_EQ(eb.len, len);
  ZT_CHECK(zn_ip_eq(&eb.from, &a));
  ZT_EQ(ea.n, 1);
  ZT_EQ(ea.len, len);
  ZT_CHECK(zn_ip_eq(&ea.from, &b));
  ZT_EQ(ea.sport, 7);
  zn_udp_close(sa);
  zn_udp_close(sb);
  th_pair_free(&p);
}

ZT_TEST(test_udp6_echo_small_returned) { udp_echo6(100); }

/* 4000 bytes: fragmented by IPv6 both ways, reassembled for UDP. */
ZT_TEST(test_udp6_echo_fragmented_returned) { udp_echo6(4000); }

/* The largest IPv6 payload, 65527 (Payload Length 65535): 46 fragments
 * each way, reassembled into one large buffer (40 + 65535 bytes). */
ZT_TEST(test_udp6_echo_max_payload_returned) {
  udp_echo6(ZN_UDP6_MAX_PAYLOAD);
}

/* Each family's limit: one byte more is refused (ZN_EMSGSIZE) for IPv6,
 * and an IPv4 destination, even through a dual socket, keeps 65507. */
ZT_TEST(test_udp_payload_limit_per_family) {
  struct th_pair p;
  pair6(&p, G_A, G_B);
  ZT_REQUIRE(p.a && p.b);
  struct zn_udp_sock *sa;
  ZT_EQ(zn_udp_open(p.a, &sa), ZN_OK);
  static uint8_t data[ZN_UDP6_MAX_PAYLOAD + 1];
  struct zn_ip b6 = zn_ip_from_v6(G_B);
  struct zn_ip b4 = zn_ip_from_v4(ZN_IPV4(10, 0, 0, 2));
  ZT_EQ(zn_udp_sendto(sa, &b6, 7, data, ZN_UDP6_MAX_PAYLOAD + 1),
        ZN_EMSGSIZE);
  ZT_EQ(zn_udp_sendto(sa, &b4, 7, data, ZN_UDP_MAX_PAYLOAD + 1),
        ZN_EMSGSIZE);
  struct zn_buf *big = zn_udp_buf_alloc(sa, ZN_UDP_MAX_PAYLOAD + 1);
  ZT_REQUIRE(big != NULL);
  zn_buf_put(big, ZN_UDP_MAX_PAYLOAD + 1);
  ZT_EQ(zn_udp_sendto_buf(sa, &b4, 7, big), ZN_EMSGSIZE);
  ZT_CHECK(zn_udp_buf_alloc(sa, ZN_UDP6_MAX_PAYLOAD + 1) == NULL);
  ZT_EQ(zn_udp_sendto(sa, &b4, 7, data, ZN_UDP_MAX_PAYLOAD), ZN_OK);
  th_pair_run(&p, ZN_MS(50));
  zn_udp_close(sa);
  th_pair_free(&p);
}

ZT_TEST(test_udp6_closed_port_answered_unreachable) {
  struct th_pair p;
  pair6(&p, G_A, G_B);
  ZT_REQUIRE(p.a && p.b);
  struct zn_udp_sock *sa;
  ZT_EQ(zn_udp_open(p.a, &sa), ZN_OK);
  struct zn_ip b = zn_ip_from_v6(G_B);
  ZT_EQ(zn_udp_sendto(sa, &b, 9, "x", 1), ZN_OK);
  th_pair_run(&p, ZN_MS(50));
  ZT_EQU(zn_stat(p.b, ZN_STAT_udp_drop_noport), 1);
  ZT_EQU(zn_stat(p.a, ZN_STAT_udp_err_nosock) +
             zn_stat(p.a, ZN_STAT_udp_err_delivered),
         1);
  zn_udp_close(sa);
  th_pair_free(&p);
}

struct tcpapp {
  struct zn_tcp_conn *server, *client;
  uint8_t *rx;
  size_t rx_len, cap;
  int connected, accepted, eof;
  struct zn_tcp_info srv_info;
};

static void t_accept(struct zn_tcp_conn *l, void *arg) {
  struct tcpapp *a = arg;
  struct zn_tcp_conn *c;
  while (zn_tcp_accept(l, &c) == ZN_OK) {
    a->server = c;
    a->accepted++;
    zn_tcp_get_info(c, &a->srv_info);
  }
}

static void t_readable(struct zn_tcp_conn *c, void *arg) {
  struct tcpapp *a = arg;
  uint8_t buf[4096];
  long n;
  while ((n = zn_tcp_read(c, buf, sizeof(buf))) > 0) {
    if (a->rx_len + (size_t)n <= a->cap)
      memcpy(a->rx + a->rx_len, buf, (size_t)n);
    a->rx_len += (size_t)n;
  }
  if (n == 0 && !a->eof) {
    a->eof = 1;
    zn_tcp_close(c);
  }
}

static void t_connected(struct zn_tcp_conn *c, void *arg) {
  (void)c;
  ((struct tcpapp *)arg)->connected++;
}

static const struct zn_tcp_callbacks srv_cb = {.on_accept = t_accept,
                                               .on_readable = t_readable};
static const struct zn_tcp_callbacks cli_cb = {.on_connected = t_connected};

/* 1 MiB from A to B over IPv6; the bytes arrive in order and whole, the
 * MSS is the IPv6 one (1500 - 40 - 20).  With offloads the link offers
 * checksum offload and TSO: A sends TSO frames with the checksum left
 * partial, the link cuts them (deriving each segment's pseudo-header sum
 * from the frame's) and completes every checksum, and B drops none. */
static void tcp6_transfer(bool offloads) {
  struct th_pair p;
  pair6(&p, G_A, G_B);
  ZT_REQUIRE(p.a && p.b);
  zn_memlink_set_offloads(&p.link, offloads);
  struct tcpapp app = {0};
  app.cap = 1u << 20;
  app.rx = malloc(app.cap);
  uint8_t *tx = malloc(app.cap);
  ZT_REQUIRE(app.rx && tx);
  for (size_t i = 0; i < app.cap; i++)
    tx[i] = (uint8_t)(i * 31 + (i >> 11));
  struct zn_tcp_conn *l;
  ZT_EQ(zn_tcp_listen(p.b, NULL, 80, 0, &srv_cb, &app, &l), ZN_OK);
  struct zn_ip b = zn_ip_from_v6(G_B), a = zn_ip_from_v6(G_A);
  ZT_EQ(zn_tcp_connect(p.a, &b, 80, &cli_cb, &app, &app.client), ZN_OK);
  size_t sent = 0;
  for (int i = 0; i < 4000 && app.rx_len < app.cap; i++) {
    if (app.connected && sent < app.cap) {
      long n = zn_tcp_write(app.client, tx + sent, app.cap - sent);
      if (n > 0)
        sent += (size_t)n;
      if (sent == app.cap)
        zn_tcp_close(app.client);
    }
    th_pair_run(&p, ZN_MS(1));
  }
  th_pair_run(&p, ZN_MS(100));
  ZT_EQ(app.accepted, 1);
  ZT_EQU(app.rx_len, app.cap);
  ZT_CHECK(memcmp(app.rx, tx, app.cap) == 0);
  ZT_EQ(app.srv_info.laddr.family, ZN_AF_INET6);
  ZT_CHECK(zn_ip_eq(&app.srv_info.raddr, &a));
  ZT_CHECK(zn_ip_eq(&app.srv_info.laddr, &b));
  ZT_EQ(app.srv_info.mss, 1440);
  if (offloads) {
    ZT_CHECK(p.link.b.tso_cut > 0); /* A's data went as TSO frames */
    ZT_CHECK(p.link.a.csum_done > 0); /* B's ACKs with partial sums */
  } else {
    ZT_EQU(p.link.a.tso_cut + p.link.b.tso_cut, 0);
    ZT_EQU(p.link.a.csum_done + p.link.b.csum_done, 0);
  }
  ZT_EQU(zn_stat(p.a, ZN_STAT_tcp_drop_checksum) +
             zn_stat(p.b, ZN_STAT_tcp_drop_checksum),
         0);
  zn_tcp_close(l);
  th_pair_run(&p, ZN_SEC(70));
  free(app.rx);
  free(tx);
  th_pair_free(&p);
}

ZT_TEST(test_tcp6_transfer_1mib_whole) { tcp6_transfer(false); }

/* RFC 4861 §7.3.1: a busy TCP flow confirms its neighbor.  A's entry for
 * B goes STALE while the connection idles; when A sends again, the entry
 * enters DELAY, and B's acknowledgment of new data makes it REACHABLE
 * before DELAY_FIRST_PROBE_TIME (5 s) ends: 8 s of steady traffic send no
 * unicast probe. */
ZT_TEST(test_tcp6_progress_confirms_neighbor) {
  struct th_pair p;
  pair6(&p, G_A, G_B);
  ZT_REQUIRE(p.a && p.b);
  struct tcpapp app = {0};
  app.cap = 1u << 20;
  app.rx = malloc(app.cap);
  ZT_REQUIRE(app.rx != NULL);
  static const uint8_t chunk[1000];
  struct zn_tcp_conn *l;
  ZT_EQ(zn_tcp_listen(p.b, NULL, 80, 0, &srv_cb, &app, &l), ZN_OK);
  struct zn_ip b = zn_ip_from_v6(G_B);
  ZT_EQ(zn_tcp_connect(p.a, &b, 80, &cli_cb, &app, &app.client), ZN_OK);
  th_pair_run(&p, ZN_MS(100));
  ZT_REQUIRE(app.connected == 1);
  th_pair_run(&p, ZN_SEC(50)); /* past ReachableTime (at most 45 s) */
  ZT_EQ(zn__nd_state(p.a, G_B), ZN__ND_STALE);
  uint64_t ns_before = zn_stat(p.a, ZN_STAT_nd_ns_tx);
  for (int i = 0; i < 80; i++) {
    ZT_EQ(zn_tcp_write(app.client, chunk, sizeof(chunk)), (long)sizeof(chunk));
    th_pair_run(&p, ZN_MS(100));
  }
  ZT_EQ(zn__nd_state(p.a, G_B), ZN__ND_REACHABLE);
  ZT_EQU(zn_stat(p.a, ZN_STAT_nd_ns_tx), ns_before);
  ZT_CHECK(zn_stat(p.a, ZN_STAT_nd_confirm_upper) >= 1);
  ZT_EQU(app.rx_len, 80u * sizeof(chunk));
  zn_tcp_close(app.client);
  zn_tcp_close(l);
  th_pair_run(&p, ZN_SEC(70));
  free(app.rx);
  th_pair_free(&p);
}

/* A packet too big whose quote TCP does not take (RFC 5927 §4.1: the
 * sequence number is not in flight; or it is about another connection to
 * the same destination) still lowers the IPv6 layer's path MTU toward B
 * (RFC 8201 §4), and IPv6 then refuses larger datagrams.  The
 * connection's segments must follow the path MTU (RFC 8201 §5.2), not
 * keep the old MSS and have every one dropped here. */
ZT_TEST(test_tcp6_follows_path_mtu_lowered_by_unvalidated_ptb) {
  struct th_pair p;
  pair6(&p, G_A, G_B);
  ZT_REQUIRE(p.a && p.b);
  struct tcpapp app = {0};
  app.cap = 20000;
  app.rx = malloc(app.cap);
  static uint8_t tx[20000];
  ZT_REQUIRE(app.rx);
  for (size_t i = 0; i < sizeof(tx); i++)
    tx[i] = (uint8_t)(i * 7 + 3);
  struct zn_tcp_conn *l;
  ZT_EQ(zn_tcp_listen(p.b, NULL, 80, 0, &srv_cb, &app, &l), ZN_OK);
  struct zn_ip b = zn_ip_from_v6(G_B);
  ZT_EQ(zn_tcp_connect(p.a, &b, 80, &cli_cb, &app, &app.client), ZN_OK);
  th_pair_run(&p, ZN_MS(50));
  ZT_REQUIRE(app.connected == 1);
  struct zn_tcp_info ci;
  zn_tcp_get_info(app.client, &ci);
  /* The error: from a router, quoting A's header and a TCP header whose
   * sequence number A never sent. */
  uint8_t msg[8 + 48], f[200];
  zn_icmp6_emit(msg, ZN_ICMP6_PACKET_TOO_BIG, 0, 1300);
  struct zn_ipv6_hdr q = {0};
  q.plen = 20;
  q.nxt = ZN_IPPROTO_TCP;
  q.hlim = 64;
  memcpy(q.src, G_A, 16);
  memcpy(q.dst, G_B, 16);
  zn_ipv6_emit(msg + 8, &q);
  zn_wr16(msg + 48, ci.lport);
  zn_wr16(msg + 50, 80);
  zn_wr32(msg + 52, app.client->snd_una - 100000u);
  static const uint8_t ROUTER[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 0x99};
  csum6(msg, sizeof(msg), ROUTER, G_A);
  size_t n = mk6(f, MAC_A, ROUTER, G_A, ZN_IPPROTO_ICMPV6, 64, msg,
                 sizeof(msg));
  memcpy(f + 6, MAC_X, 6); /* the router's frame */
  inject(p.a, f, n);
  ZT_EQ(zn__ip6_path_mtu(p.a, G_B), 1300);
  size_t sent = 0;
  for (int i = 0; i < 2000 && app.rx_len < app.cap; i++) {
    if (sent < sizeof(tx)) {
      long k = zn_tcp_write(app.client, tx + sent, sizeof(tx) - sent);
      if (k > 0)
        sent += (size_t)k;
    }
    th_pair_run(&p, ZN_MS(1));
  }
  ZT_EQU(app.rx_len, app.cap);
  ZT_CHECK(memcmp(app.rx, tx, app.cap) == 0);
  ZT_EQU(zn_stat(p.a, ZN_STAT_ip6_tx_drop_toobig), 0);
  zn_tcp_get_info(app.client, &ci);
  ZT_EQ(ci.mss, 1300 - 40 - 20);
  zn_tcp_close(app.client);
  zn_tcp_close(l);
  th_pair_run(&p, ZN_SEC(70));
  free(app.rx);
  th_pair_free(&p);
}

ZT_TEST(test_tcp6_transfer_with_offloads) { tcp6_transfer(true); }

/* A UDP/IPv6 echo of len bytes on a link offering checksum offload, the
 * path MTU from A to B pmtu (0: the link's): both datagrams arrive. */
static void udp6_echo_offloads(size_t len, uint32_t pmtu) {
  struct th_pair p;
  pair6(&p, G_A, G_B);
  ZT_REQUIRE(p.a && p.b);
  zn_memlink_set_offloads(&p.link, true);
  if (pmtu)
    zn__ip6_pmtu_update(p.a, G_B, pmtu);
  struct zn_udp_sock *sa, *sb;
  ZT_EQ(zn_udp_open(p.a, &sa), ZN_OK);
  ZT_EQ(zn_udp_open(p.b, &sb), ZN_OK);
  ZT_EQ(zn_udp_bind(sb, NULL, 7), ZN_OK);
  struct echo ea = {0}, eb = {.reply = true};
  zn_udp_set_recv_cb(sa, on_dgram, &ea);
  zn_udp_set_recv_cb(sb, on_dgram, &eb);
  static uint8_t data[1400];
  for (size_t i = 0; i < len; i++)
    data[i] = (uint8_t)(i * 5 + 1);
  struct zn_ip b = zn_ip_from_v6(G_B);
  ZT_EQ(zn_udp_sendto(sa, &b, 7, data, len), ZN_OK);
  th_pair_run(&p, ZN_MS(50));
  ZT_EQ(eb.n, 1);
  ZT_EQ(eb.len, len);
  ZT_EQ(ea.n, 1);
  ZT_EQU(zn_stat(p.a, ZN_STAT_udp_drop_checksum) +
             zn_stat(p.b, ZN_STAT_udp_drop_checksum),
         0);
  if (pmtu) { /* A's fragmented, B's reply whole with a partial sum */
    ZT_CHECK(zn_stat(p.a, ZN_STAT_ip6_frag_tx) >= 2);
    ZT_EQU(p.link.a.csum_done, 1);
  } else {
    ZT_EQU(p.link.a.csum_done + p.link.b.csum_done, 2);
  }
  zn_udp_close(sa);
  zn_udp_close(sb);
  th_pair_free(&p);
}

ZT_TEST(test_udp6_echo_with_offloads) { udp6_echo_offloads(100, 0); }

/* 1,400 bytes fit the link's MTU, so UDP leaves the checksum to the
 * device; but the path MTU to B is 1280, so IPv6 fragments the datagram
 * and must complete the checksum itself first (the device sees only
 * fragments). */
ZT_TEST(test_udp6_partial_csum_completed_before_fragmenting) {
  udp6_echo_offloads(1400, 1280);
}

/* A listener on NULL takes both families; one on 0.0.0.0 only IPv4. */
ZT_TEST(test_tcp_listener_unspecified_takes_both_families) {
  struct th_pair p;
  pair6(&p, G_A, G_B);
  ZT_REQUIRE(p.a && p.b);
  struct tcpapp app = {0}, app4 = {0};
  struct zn_tcp_conn *l, *l4, *c6, *c4, *c6b;
  ZT_EQ(zn_tcp_listen(p.b, NULL, 80, 0, &srv_cb, &app, &l), ZN_OK);
  struct zn_ip any4 = zn_ip_from_v4(0);
  ZT_EQ(zn_tcp_listen(p.b, &any4, 81, 0, &srv_cb, &app4, &l4), ZN_OK);
  struct zn_ip b6 = zn_ip_from_v6(G_B), b4 = zn_ip_from_v4(ZN_IPV4(10, 0, 0, 2));
  ZT_EQ(zn_tcp_connect(p.a, &b6, 80, &cli_cb, &app, &c6), ZN_OK);
  ZT_EQ(zn_tcp_connect(p.a, &b4, 80, &cli_cb, &app, &c4), ZN_OK);
  ZT_EQ(zn_tcp_connect(p.a, &b6, 81, &cli_cb, &app4, &c6b), ZN_OK);
  th_pair_run(&p, ZN_MS(100));
  ZT_EQ(app.accepted, 2);
  ZT_EQ(app.connected, 2);
  ZT_EQ(app4.accepted, 0); /* refused: RST */
  ZT_EQ(app4.connected, 0);
  ZT_CHECK(zn_stat(p.b, ZN_STAT_tcp_drop_noport) >= 1);
  zn_tcp_abort(c6);
  zn_tcp_abort(c4);
  zn_tcp_abort(c6b);
  zn_tcp_close(l);
  zn_tcp_close(l4);
  th_pair_run(&p, ZN_SEC(70));
  th_pair_free(&p);
}

int main(void) {
  ZT_RUN(test_udp6_echo_small_returned);
  ZT_RUN(test_udp6_echo_fragmented_returned);
  ZT_RUN(test_udp6_echo_max_payload_returned);
  ZT_RUN(test_udp_payload_limit_per_family);
  ZT_RUN(test_udp6_closed_port_answered_unreachable);
  ZT_RUN(test_tcp6_transfer_1mib_whole);
  ZT_RUN(test_tcp6_follows_path_mtu_lowered_by_unvalidated_ptb);
  ZT_RUN(test_tcp6_progress_confirms_neighbor);
  ZT_RUN(test_tcp6_transfer_with_offloads);
  ZT_RUN(test_udp6_echo_with_offloads);
  ZT_RUN(test_udp6_partial_csum_completed_before_fragmenting);
  ZT_RUN(test_tcp_listener_unspecified_takes_both_families);
  return zt_done();
}
