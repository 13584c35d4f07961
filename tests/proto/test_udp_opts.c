/* UDP socket settings (src/udp/udp.c): IPv6 only, TOS and TTL on what is
 * sent and the TOS of what comes in, the local address as getsockname()
 * sees it, and a dual socket connected to an IPv4 peer.  Over the
 * loopback networks of one stack, and between two stacks where the
 * frames on the link matter. */
#include <stdlib.h>

#include "proto6_util.h"

#define LO4 ZN_IPV4(127, 0, 0, 1)

static const uint8_t LO6[16] = {[15] = 1};
static const uint8_t ZERO6[16];

struct got {
  int n;
  struct zn_ip src, dst;
  uint8_t tos, ttl;
};

static void got_cb(struct zn_udp_sock *s, void *arg,
                   const struct zn_udp_dgram *d) {
  (void)s;
  struct got *g = arg;
  g->n++;
  g->src = d->src;
  g->dst = d->dst;
  g->tos = d->tos;
  g->ttl = d->ttl;
}

static struct zn_udp_sock *sock(struct zn_stack *st, struct got *g) {
  struct zn_udp_sock *s = NULL;
  ZT_REQUIRE_OR(zn_udp_open(st, &s) == ZN_OK, NULL);
  zn_udp_set_recv_cb(s, got_cb, g);
  return s;
}

static void run(struct zn_stack *st) {
  uint64_t now = zn_stack_now(st);
  th_stack_run(st, &now, ZN_MS(5));
}

/* IPV6_V6ONLY: a socket bound to `::` with it takes IPv6 only and leaves
 * 0.0.0.0 on its port to another socket (without it the two overlap);
 * each gets its family's datagrams.  Set before binding only. */
ZT_TEST(test_udp_v6only_leaves_v4_port_free) {
  struct zn_config c;
  cfg6(&c, 2);
  struct solo s;
  solo6(&s, &c);
  ZT_REQUIRE(s.st);
  struct got g6 = {0}, g4 = {0}, gx = {0};
  struct zn_udp_sock *u6 = sock(s.st, &g6), *u4 = sock(s.st, &g4);
  struct zn_udp_sock *dual = sock(s.st, &gx), *tx = sock(s.st, &gx);
  ZT_REQUIRE(u6 && u4 && dual && tx);
  const struct zn_ip any6 = zn_ip_from_v6(ZERO6), any4 = zn_ip_from_v4(0);
  const struct zn_ip lo6 = zn_ip_from_v6(LO6);
  ZT_EQ(zn_udp_bind(dual, &any6, 53), ZN_OK);
  ZT_EQ(zn_udp_bind(u4, &any4, 53), ZN_EADDRINUSE);
  zn_udp_close(dual);
  ZT_EQ(zn_udp_set_v6only(u6, true), ZN_OK);
  ZT_EQ(zn_udp_bind(u6, &any6, 53), ZN_OK);
  ZT_EQ(zn_udp_set_v6only(u6, false), ZN_EINVAL); /* bound */
  ZT_EQ(zn_udp_bind(u4, &any4, 53), ZN_OK);
  ZT_EQ(zn_udp_sendto(tx, TH_IP(LO4), 53, "4", 1), ZN_OK);
  ZT_EQ(zn_udp_sendto(tx, &lo6, 53, "6", 1), ZN_OK);
  run(s.st);
  ZT_EQ(g4.n, 1);
  ZT_EQ(g4.src.family, ZN_AF_INET);
  ZT_EQ(g6.n, 1);
  ZT_EQ(g6.src.family, ZN_AF_INET6);
  struct zn_ip a;
  uint16_t port;
  ZT_EQ(zn_udp_local_addr(u6, &a, &port), ZN_OK);
  ZT_CHECK(zn_ip_eq(&a, &any6)); /* `::`, IPv6's only */
  ZT_EQ(port, 53);
  /* An IPv4-mapped address is not IPv6's. */
  struct zn_udp_sock *m = sock(s.st, &gx);
  ZT_REQUIRE(m);
  ZT_EQ(zn_udp_set_v6only(m, true), ZN_OK);
  struct zn_ip mapped;
  ZT_EQ(zn_ip_parse("::ffff:127.0.0.1", &mapped), ZN_OK);
  ZT_EQ(zn_udp_bind(m, &mapped, 54), ZN_EINVAL);
  ZT_EQ(zn_udp_connect(m, &mapped, 53), ZN_EINVAL); /* nor its peer */
  ZT_EQ(zn_udp_sendto(m, &mapped, 53, "x", 1), ZN_EINVAL);
  zn_udp_close(m);
  zn_udp_close(u6);
  zn_udp_close(u4);
  zn_udp_close(tx);
  solo_free(&s);
}

/* A socket bound to `::` without v6only connects to an IPv4-mapped peer,
 * which is the IPv4 address: it sends to it, takes its answers, and
 * getsockname() shows the IPv4 source the stack chose. */
ZT_TEST(test_udp_dual_socket_connects_v4_mapped) {
  struct zn_config c;
  cfg6(&c, 2);
  struct solo s;
  solo6(&s, &c);
  ZT_REQUIRE(s.st);
  struct got gs = {0}, gc = {0};
  struct zn_udp_sock *srv = sock(s.st, &gs), *cli = sock(s.st, &gc);
  ZT_REQUIRE(srv && cli);
  ZT_EQ(zn_udp_bind(srv, TH_IP(LO4), 7), ZN_OK);
  const struct zn_ip any6 = zn_ip_from_v6(ZERO6);
  ZT_EQ(zn_udp_bind(cli, &any6, 0), ZN_OK);
  struct zn_ip a, mapped;
  uint16_t port;
  ZT_EQ(zn_udp_local_addr(cli, &a, &port), ZN_OK);
  ZT_EQ(a.family, ZN_AF_NONE); /* both families */
  ZT_CHECK(port >= ZN_UDP_EPHEMERAL_MIN);
  ZT_EQ(zn_ip_parse("::ffff:127.0.0.1", &mapped), ZN_OK);
  ZT_EQ(zn_udp_connect(cli, &mapped, 7), ZN_OK);
  ZT_EQ(zn_udp_local_addr(cli, &a, NULL), ZN_OK);
  ZT_EQU(zn_ip_v4(&a), LO4);
  ZT_EQ(zn_udp_send(cli, "q", 1), ZN_OK);
  run(s.st);
  ZT_EQ(gs.n, 1);
  ZT_EQ(gs.src.family, ZN_AF_INET);
  ZT_EQ(zn_udp_sendto(srv, &gs.src, port, "r", 1), ZN_OK);
  run(s.st);
  ZT_EQ(gc.n, 1);
  ZT_EQU(zn_ip_v4(&gc.src), LO4);
  zn_udp_close(srv);
  zn_udp_close(cli);
  solo_free(&s);
}

/* getsockname(): unbound, bound to any, to 0.0.0.0, to an address;
 * connected while bound to any: the source toward the peer; and no
 * source of the peer's family: ZN_EADDRNOTAVAIL with the binding. */
ZT_TEST(test_udp_local_addr_reports_binding) {
  struct zn_config c;
  cfg_quiet(&c, IP_B, 2);
  struct solo s;
  solo_b(&s, &c);
  ZT_REQUIRE(s.st);
  struct got g = {0};
  struct zn_udp_sock *u = sock(s.st, &g), *v = sock(s.st, &g);
  ZT_REQUIRE(u && v);
  struct zn_ip a;
  uint16_t port = 1;
  ZT_EQ(zn_udp_local_addr(u, &a, &port), ZN_OK);
  ZT_EQ(a.family, ZN_AF_NONE);
  ZT_EQ(port, 0);
  const struct zn_ip any4 = zn_ip_from_v4(0);
  ZT_EQ(zn_udp_bind(u, &any4, 9000), ZN_OK);
  ZT_EQ(zn_udp_local_addr(u, &a, &port), ZN_OK);
  ZT_CHECK(zn_ip_eq(&a, &any4));
  ZT_EQ(port, 9000);
  ZT_EQ(zn_udp_connect(u, TH_IP(IP_A), 9), ZN_OK);
  ZT_EQ(zn_udp_local_addr(u, &a, NULL), ZN_OK);
  ZT_EQU(zn_ip_v4(&a), IP_B);
  ZT_EQ(zn_udp_connect(u, TH_IP(LO4), 9), ZN_OK);
  ZT_EQ(zn_udp_local_addr(u, &a, NULL), ZN_OK);
  ZT_EQU(zn_ip_v4(&a), LO4);
  ZT_EQ(zn_udp_bind(v, TH_IP(IP_B), 9001), ZN_OK);
  ZT_EQ(zn_udp_connect(v, TH_IP(IP_A), 9), ZN_OK);
  ZT_EQ(zn_udp_local_addr(v, &a, NULL), ZN_OK);
  ZT_EQU(zn_ip_v4(&a), IP_B);
  /* An IPv6 peer with IPv6 off: nothing to send from. */
  struct zn_udp_sock *w = sock(s.st, &g);
  ZT_REQUIRE(w);
  struct zn_ip six;
  ZT_EQ(zn_ip_parse("2001:db8::1", &six), ZN_OK);
  ZT_EQ(zn_udp_connect(w, &six, 9), ZN_OK);
  ZT_EQ(zn_udp_local_addr(w, &a, NULL), ZN_EADDRNOTAVAIL);
  ZT_EQ(a.family, ZN_AF_NONE);
  zn_udp_close(u);
  zn_udp_close(v);
  zn_udp_close(w);
  solo_free(&s);
}

/* IP_TOS and IP_TTL: the whole TOS byte (ECN bits too) and the TTL of
 * unicast datagrams, the stack's TTL for a group; the receiver sees the
 * TOS (IP_RECVTOS) and TTL in its datagram. */
ZT_TEST(test_udp_tos_ttl_sent_and_seen) {
  struct th_pair p;
  struct zn_config ca, cb;
  cfg_quiet(&ca, IP_A, 1);
  cfg_quiet(&cb, IP_B, 2);
  th_pair_init(&p, &ca, &cb);
  ZT_REQUIRE(p.a && p.b);
  struct got ga = {0}, gb = {0};
  struct zn_udp_sock *ua = sock(p.a, &ga), *ub = sock(p.b, &gb);
  ZT_REQUIRE(ua && ub);
  ZT_EQ(zn_udp_bind(ub, NULL, 7), ZN_OK);
  zn_arp_add_static(p.a, IP_B, MAC_B);
  zn_udp_set_tos(ua, 0xb9);
  zn_udp_set_ttl(ua, 5);
  ZT_EQ(zn_udp_sendto(ua, TH_IP(IP_B), 7, "x", 1), ZN_OK);
  zn_stack_flush(p.a);
  struct zn_buf *f = p.link.b.rxq.tail;
  ZT_REQUIRE(f && f->len >= 34);
  ZT_EQ(f->data[15], 0xb9);
  ZT_EQ(f->data[22], 5);
  th_pair_run(&p, ZN_MS(5));
  ZT_EQ(gb.n, 1);
  ZT_EQ(gb.tos, 0xb9);
  ZT_EQ(gb.ttl, 5);
  ZT_EQ(zn_udp_sendto(ua, TH_IP(ZN_IPV4(224, 0, 0, 251)), 5353, "m", 1),
        ZN_OK);
  zn_stack_flush(p.a);
  f = p.link.b.rxq.tail;
  ZT_REQUIRE(f && f->len >= 34);
  ZT_EQ(f->data[22], ca.ttl);
  zn_udp_set_ttl(ua, 0);
  ZT_EQ(zn_udp_sendto(ua, TH_IP(IP_B), 7, "y", 1), ZN_OK);
  zn_stack_flush(p.a);
  f = p.link.b.rxq.tail;
  ZT_REQUIRE(f && f->len >= 34);
  ZT_EQ(f->data[22], ca.ttl);
  th_pair_run(&p, ZN_MS(5));
  zn_udp_close(ua);
  zn_udp_close(ub);
  th_pair_free(&p);
}

int main(void) {
  ZT_RUN(test_udp_v6only_leaves_v4_port_free);
  ZT_RUN(test_udp_dual_socket_connects_v4_mapped);
  ZT_RUN(test_udp_local_addr_reports_binding);
  ZT_RUN(test_udp_tos_ttl_sent_and_seen);
  return zt_done();
}
