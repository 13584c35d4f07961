/* The loopback networks (127.0.0.0/8 and ::1): datagrams to them are
 * looped back inside the stack, never on the wire, with or without an
 * address configured; the wire's own are dropped and counted; a loop
 * makes the next deadline now. */
#include <stdlib.h>

#include "proto6_util.h"

#define LO4 ZN_IPV4(127, 0, 0, 1)

static const uint8_t LO6[16] = {[15] = 1};

struct got {
  int n;
  struct zn_ip src, dst;
  uint16_t sport;
  uint8_t tos;
  size_t len;
  int nerr, err;
};

static void got_cb(struct zn_udp_sock *s, void *arg,
                   const struct zn_udp_dgram *d) {
  (void)s;
  struct got *g = arg;
  g->n++;
  g->src = d->src;
  g->dst = d->dst;
  g->sport = d->sport;
  g->len = d->len;
}

static void echo_cb(struct zn_udp_sock *s, void *arg,
                    const struct zn_udp_dgram *d) {
  got_cb(s, arg, d);
  zn_udp_sendto_buf(s, &d->src, d->sport, zn_udp_dgram_keep(d));
}

static void err_cb(struct zn_udp_sock *s, void *arg, int err,
                   const struct zn_ip *addr, uint16_t port) {
  (void)s;
  (void)addr;
  (void)port;
  struct got *g = arg;
  g->nerr++;
  g->err = err;
}

/* Does any frame on the link carry addr (IPv4: 4 bytes; IPv6: 16) as its
 * network source or destination? */
static bool on_wire(struct solo *s, const struct zn_ip *addr) {
  for (struct zn_buf *b = s->link.b.rxq.head; b; b = b->next) {
    if (b->len < 14)
      continue;
    uint16_t type = zn_rd16(b->data + 12);
    if (type == ZN_ETHERTYPE_IPV4 && addr->family == ZN_AF_INET &&
        b->len >= 34 &&
        (memcmp(b->data + 26, addr->bytes, 4) == 0 ||
         memcmp(b->data + 30, addr->bytes, 4) == 0))
      return true;
    if (type == ZN_ETHERTYPE_IPV6 && addr->family == ZN_AF_INET6 &&
        b->len >= 54 &&
        (memcmp(b->data + 22, addr->bytes, 16) == 0 ||
         memcmp(b->data + 38, addr->bytes, 16) == 0))
      return true;
  }
  return false;
}

/* An echo server on port 7 of st (bound to bind, NULL: any), a client
 * sending n bytes to dst:7; both told in *srv and *cli. */
static void echo_once(struct zn_stack *st, uint64_t *now,
                      const struct zn_ip *bind, const struct zn_ip *dst,
                      struct got *srv, struct got *cli) {
  struct zn_udp_sock *s, *c;
  ZT_REQUIRE(zn_udp_open(st, &s) == ZN_OK);
  ZT_EQ(zn_udp_bind(s, bind, 7), ZN_OK);
  zn_udp_set_recv_cb(s, echo_cb, srv);
  ZT_REQUIRE(zn_udp_open(st, &c) == ZN_OK);
  zn_udp_set_recv_cb(c, got_cb, cli);
  ZT_EQ(zn_udp_sendto(c, dst, 7, "ping", 4), ZN_OK);
  th_stack_run(st, now, ZN_MS(10));
  zn_udp_close(s);
  zn_udp_close(c);
}

ZT_TEST(test_udp_to_127_looped_back) {
  struct zn_config c;
  cfg_quiet(&c, IP_B, 2);
  struct solo s;
  solo_b(&s, &c);
  ZT_REQUIRE(s.st);
  uint64_t now = 0;
  struct got srv = {0}, cli = {0};
  echo_once(s.st, &now, NULL, TH_IP(LO4), &srv, &cli);
  ZT_EQ(srv.n, 1);
  ZT_EQ(cli.n, 1);
  ZT_EQU(zn_ip_v4(&srv.src), LO4); /* Linux's source toward 127/8 */
  ZT_EQU(zn_ip_v4(&srv.dst), LO4);
  ZT_EQU(zn_ip_v4(&cli.src), LO4);
  ZT_EQ(cli.sport, 7);
  ZT_EQU(zn_stat(s.st, ZN_STAT_ip_loop_rx), 2);
  ZT_EQ(sent_count(&s.link.b, 0), 0);
  solo_free(&s);
}

/* Any 127/8 address is ours (as Linux's lo, 127.0.0.1/8): a socket binds
 * to it and takes what is sent to it; a datagram to it goes from
 * 127.0.0.1 (Linux's route for 127/8 names that source). */
ZT_TEST(test_udp_bound_127_x_takes_its_own) {
  struct zn_config c;
  cfg_quiet(&c, IP_B, 2);
  struct solo s;
  solo_b(&s, &c);
  ZT_REQUIRE(s.st);
  uint64_t now = 0;
  const uint32_t x = ZN_IPV4(127, 1, 2, 3);
  struct got srv = {0}, cli = {0};
  echo_once(s.st, &now, TH_IP(x), TH_IP(x), &srv, &cli);
  ZT_EQ(srv.n, 1);
  ZT_EQ(cli.n, 1);
  ZT_EQU(zn_ip_v4(&srv.dst), x);
  ZT_EQU(zn_ip_v4(&srv.src), LO4);
  ZT_EQU(zn_ip_v4(&cli.src), x);
  /* Bound to 127.1.2.3, a socket does not take 127.0.0.1's. */
  memset(&srv, 0, sizeof(srv));
  memset(&cli, 0, sizeof(cli));
  echo_once(s.st, &now, TH_IP(x), TH_IP(LO4), &srv, &cli);
  ZT_EQ(srv.n, 0);
  ZT_EQ(sent_count(&s.link.b, 0), 0);
  solo_free(&s);
}

/* zn_udp_bound_on: what a datagram from anyone would find, bound to
 * the address or the wildcard; a connected socket is no server. */
ZT_TEST(test_udp_bound_on_as_a_datagram_finds) {
  struct zn_config c;
  cfg_quiet(&c, IP_B, 2);
  struct solo s;
  solo_b(&s, &c);
  ZT_REQUIRE(s.st);
  struct zn_udp_sock *a, *w, *k;
  ZT_CHECK(!zn_udp_bound_on(s.st, TH_IP(LO4), 53));
  ZT_CHECK(!zn_udp_bound_on(NULL, TH_IP(LO4), 53));
  ZT_CHECK(!zn_udp_bound_on(s.st, NULL, 53));
  ZT_EQ(zn_udp_open(s.st, &a), ZN_OK);
  ZT_EQ(zn_udp_bind(a, TH_IP(LO4), 53), ZN_OK);
  ZT_CHECK(zn_udp_bound_on(s.st, TH_IP(LO4), 53));
  ZT_CHECK(!zn_udp_bound_on(s.st, TH_IP(IP_B), 53));
  ZT_EQ(zn_udp_open(s.st, &w), ZN_OK);
  ZT_EQ(zn_udp_bind(w, NULL, 54), ZN_OK);
  ZT_CHECK(zn_udp_bound_on(s.st, TH_IP(LO4), 54));
  ZT_CHECK(zn_udp_bound_on(s.st, TH_IP(IP_B), 54));
  ZT_EQ(zn_udp_open(s.st, &k), ZN_OK);
  ZT_EQ(zn_udp_bind(k, TH_IP(LO4), 55), ZN_OK);
  ZT_EQ(zn_udp_connect(k, TH_IP(LO4), 53), ZN_OK);
  ZT_CHECK(!zn_udp_bound_on(s.st, TH_IP(LO4), 55));
  zn_udp_close(a);
  ZT_CHECK(!zn_udp_bound_on(s.st, TH_IP(LO4), 53));
  zn_udp_close(w);
  zn_udp_close(k);
  solo_free(&s);
}

/* Linux's lo is up whatever the other interfaces hold: a stack without
 * an IPv4 address, and without a netif at all, still talks to itself
 * over 127/8 (and answers pings there). */
static int replies;

static void on_reply(struct zn_stack *st, void *arg,
                     const struct zn_icmp_echo *r) {
  (void)st;
  (void)arg;
  (void)r;
  replies++;
}

ZT_TEST(test_loopback_without_address_or_netif) {
  struct zn_config c;
  cfg_quiet(&c, 0, 2);
  struct zn_stack *st = th_stack_new(&c);
  ZT_REQUIRE(st);
  uint64_t now = 0;
  zn_stack_poll(st, now);
  struct got srv = {0}, cli = {0};
  echo_once(st, &now, TH_IP(LO4), TH_IP(LO4), &srv, &cli);
  ZT_EQ(srv.n, 1);
  ZT_EQ(cli.n, 1);
  ZT_EQU(zn_ip_v4(&srv.src), LO4);
  replies = 0;
  zn_icmp_set_echo_reply_cb(st, on_reply, NULL);
  ZT_EQ(zn_icmp_echo_send(st, ZN_IPV4(127, 9, 9, 9), 1, 1, "x", 1), ZN_OK);
  th_stack_run(st, &now, ZN_MS(10));
  ZT_EQ(replies, 1);
  /* Elsewhere there is still no address to send from. */
  ZT_EQ(zn_icmp_echo_send(st, IP_A, 1, 2, "x", 1), ZN_EADDRNOTAVAIL);
  th_stack_free(st);
}

/* A 127/8 source never leaves the host: a socket bound to 127.0.0.1 may
 * not send to another host (Linux: EINVAL), and nothing goes out. */
ZT_TEST(test_loopback_source_to_wire_refused) {
  struct zn_config c;
  cfg_quiet(&c, IP_B, 2);
  struct solo s;
  solo_b(&s, &c);
  ZT_REQUIRE(s.st);
  struct zn_udp_sock *u;
  ZT_REQUIRE(zn_udp_open(s.st, &u) == ZN_OK);
  ZT_EQ(zn_udp_bind(u, TH_IP(LO4), 0), ZN_OK);
  ZT_EQ(zn_udp_sendto(u, TH_IP(IP_A), 9, "x", 1), ZN_EINVAL);
  ZT_EQU(zn_stat(s.st, ZN_STAT_ip_tx_drop_src_loopback), 1);
  /* To our own address it stays inside, and is fine. */
  ZT_EQ(zn_udp_sendto(u, TH_IP(IP_B), 9, "x", 1), ZN_OK);
  zn_stack_poll(s.st, ZN_MS(1));
  zn_stack_flush(s.st);
  ZT_EQ(sent_count(&s.link.b, 0), 0);
  zn_udp_close(u);
  solo_free(&s);
}

/* Linux answers a datagram to a closed port on lo with port unreachable,
 * which a connected socket hears as ECONNREFUSED: so does znet, over the
 * loopback queue, for both families. */
static void refused_over(struct zn_stack *st, const struct zn_ip *lo) {
  struct zn_udp_sock *u;
  ZT_REQUIRE(zn_udp_open(st, &u) == ZN_OK);
  struct got g = {0};
  zn_udp_set_err_cb(u, err_cb, &g);
  ZT_EQ(zn_udp_connect(u, lo, 9), ZN_OK);
  ZT_EQ(zn_udp_send(u, "x", 1), ZN_OK);
  uint64_t now = zn_stack_now(st);
  th_stack_run(st, &now, ZN_MS(10));
  ZT_EQ(g.nerr, 1);
  ZT_EQ(g.err, ZN_ECONNREFUSED);
  zn_udp_close(u);
}

ZT_TEST(test_port_unreachable_over_loopback_refuses) {
  struct zn_config c;
  cfg6(&c, 2);
  struct solo s;
  solo6(&s, &c);
  ZT_REQUIRE(s.st);
  refused_over(s.st, TH_IP(LO4));
  struct zn_ip lo6 = zn_ip_from_v6(LO6);
  refused_over(s.st, &lo6);
  ZT_EQU(zn_stat(s.st, ZN_STAT_icmp_drop_quote), 0);
  ZT_EQU(zn_stat(s.st, ZN_STAT_icmp6_drop_quote), 0);
  solo_free(&s);
}

/* RFC 1122 §3.2.1.3 (g): 127/8 from the wire is dropped and counted, as
 * a source (ip_drop_src_loopback) or a destination (not ours there:
 * ip_drop_not_for_us), and nothing answers; the same for ::1 over IPv6
 * (ip6_drop_src_loopback, either way). */
ZT_TEST(test_loopback_from_wire_dropped) {
  struct zn_config c;
  cfg6(&c, 2);
  struct solo s;
  solo6(&s, &c);
  ZT_REQUIRE(s.st);
  zn_arp_add_static(s.st, IP_A, MAC_A);
  know_a(&s);
  struct zn_udp_sock *u;
  ZT_REQUIRE(zn_udp_open(s.st, &u) == ZN_OK);
  ZT_EQ(zn_udp_bind(u, NULL, 7), ZN_OK);
  struct got g = {0};
  zn_udp_set_recv_cb(u, got_cb, &g);
  sent_purge(&s.link.b);
  uint8_t m[64], f[200];
  size_t ml = mk_echo(m, 1, 1, 8);
  inject(s.st, f, mk_ip(f, MAC_B, MAC_A, LO4, IP_B, ZN_IPPROTO_ICMP, 1, 0,
                        m, ml));
  inject(s.st, f, mk_ip(f, MAC_B, MAC_A, IP_A, LO4, ZN_IPPROTO_ICMP, 2, 0,
                        m, ml));
  ZT_EQU(zn_stat(s.st, ZN_STAT_ip_drop_src_loopback), 1);
  ZT_EQU(zn_stat(s.st, ZN_STAT_ip_drop_not_for_us), 1);
  ml = mk_echo6(m, 1, 1, 8, LO6, LL_B);
  inject(s.st, f, mk6(f, MAC_B, LO6, LL_B, ZN_IPPROTO_ICMPV6, 64, m, ml));
  ml = mk_echo6(m, 1, 1, 8, LL_A, LO6);
  inject(s.st, f, mk6(f, MAC_B, LL_A, LO6, ZN_IPPROTO_ICMPV6, 64, m, ml));
  ZT_EQU(zn_stat(s.st, ZN_STAT_ip6_drop_src_loopback), 2);
  ZT_EQ(sent_count(&s.link.b, 0), 0);
  ZT_EQ(g.n, 0);
  ZT_EQU(zn_stat(s.st, ZN_STAT_ip_loop_rx), 0);
  zn_udp_close(u);
  solo_free(&s);
}

/* ::1 on a stack with IPv6: a socket binds to it, and a datagram to it
 * goes from ::1 and comes back through the loopback queue. */
ZT_TEST(test_udp_to_v6_loopback_looped_back) {
  struct zn_config c;
  cfg6(&c, 2);
  struct solo s;
  solo6(&s, &c);
  ZT_REQUIRE(s.st);
  uint64_t now = zn_stack_now(s.st);
  struct zn_ip lo6 = zn_ip_from_v6(LO6);
  struct got srv = {0}, cli = {0};
  echo_once(s.st, &now, &lo6, &lo6, &srv, &cli);
  ZT_EQ(srv.n, 1);
  ZT_EQ(cli.n, 1);
  ZT_CHECK(zn_ip_eq(&srv.src, &lo6));
  ZT_CHECK(zn_ip_eq(&srv.dst, &lo6));
  ZT_EQU(zn_stat(s.st, ZN_STAT_ip6_loop_rx), 2);
  ZT_CHECK(!on_wire(&s, &lo6));
  solo_free(&s);
}

/* With IPv6 off there is no ::1: binding to it or sending to it is
 * ZN_EADDRNOTAVAIL (Linux with IPv6 disabled: EADDRNOTAVAIL and
 * ENETUNREACH); 127/8 still works. */
ZT_TEST(test_v6_loopback_with_ipv6_off_unavailable) {
  struct zn_config c;
  cfg_quiet(&c, IP_B, 2);
  struct solo s;
  solo_b(&s, &c);
  ZT_REQUIRE(s.st);
  struct zn_ip lo6 = zn_ip_from_v6(LO6);
  struct zn_udp_sock *u;
  ZT_REQUIRE(zn_udp_open(s.st, &u) == ZN_OK);
  ZT_EQ(zn_udp_bind(u, &lo6, 7), ZN_EADDRNOTAVAIL);
  ZT_EQ(zn_udp_sendto(u, &lo6, 7, "x", 1), ZN_EADDRNOTAVAIL);
  struct zn_tcp_conn *l = NULL;
  ZT_EQ(zn_tcp_listen(s.st, &lo6, 80, 0, NULL, NULL, &l), ZN_EADDRNOTAVAIL);
  ZT_EQ(zn_tcp_connect(s.st, &lo6, 80, NULL, NULL, &l), ZN_EADDRNOTAVAIL);
  ZT_EQ(zn_udp_sendto(u, TH_IP(LO4), 7, "x", 1), ZN_OK);
  zn_udp_close(u);
  solo_free(&s);
}

/* A call that queues a datagram to the loopback queue makes the stack's
 * next deadline now, for either family, so the caller's loop polls
 * again at once (the socket layer relies on it); the poll empties it. */
ZT_TEST(test_loop_queue_makes_deadline_now) {
  struct zn_config c;
  cfg6(&c, 2);
  struct solo s;
  solo6(&s, &c);
  ZT_REQUIRE(s.st);
  uint64_t now = ZN_SEC(1);
  th_stack_run(s.st, &now, 0);
  struct zn_udp_sock *u;
  ZT_REQUIRE(zn_udp_open(s.st, &u) == ZN_OK);
  ZT_EQ(zn_udp_bind(u, NULL, 7), ZN_OK);
  struct got g = {0};
  zn_udp_set_recv_cb(u, got_cb, &g);
  struct zn_ip lo6 = zn_ip_from_v6(LO6);
  const struct zn_ip *dsts[] = {TH_IP(LO4), &lo6, TH_IP(IP_B)};
  for (int i = 0; i < 3; i++) {
    ZT_CHECK(zn_stack_next_deadline(s.st) > zn_stack_now(s.st));
    ZT_EQ(zn_udp_sendto(u, dsts[i], 7, "x", 1), ZN_OK);
    ZT_CHECK(zn_stack_next_deadline(s.st) <= zn_stack_now(s.st));
    zn_stack_poll(s.st, now);
    ZT_EQ(g.n, i + 1);
  }
  zn_udp_close(u);
  solo_free(&s);
}

int main(void) {
  ZT_RUN(test_udp_to_127_looped_back);
  ZT_RUN(test_udp_bound_127_x_takes_its_own);
  ZT_RUN(test_udp_bound_on_as_a_datagram_finds);
  ZT_RUN(test_loopback_without_address_or_netif);
  ZT_RUN(test_loopback_source_to_wire_refused);
  ZT_RUN(test_port_unreachable_over_loopback_refuses);
  ZT_RUN(test_loopback_from_wire_dropped);
  ZT_RUN(test_udp_to_v6_loopback_looped_back);
  ZT_RUN(test_v6_loopback_with_ipv6_off_unavailable);
  ZT_RUN(test_loop_queue_makes_deadline_now);
  return zt_done();
}
