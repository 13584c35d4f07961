/* UDP (src/udp/udp.c) between two stacks over memlink, and against
 * crafted datagrams. */
#include <stdlib.h>

#include "proto_util.h"

static void pair(struct th_pair *p) {
  struct zn_config ca, cb;
  cfg_quiet(&ca, IP_A, 1);
  cfg_quiet(&cb, IP_B, 2);
  th_pair_init(p, &ca, &cb);
}

/* Echo server: sends every datagram back, zero copy (the received buffer
 * is kept and reused for the reply). */
static void echo_cb(struct zn_udp_sock *s, void *arg,
                    const struct zn_udp_dgram *d) {
  (void)arg;
  struct zn_buf *b = zn_udp_dgram_keep(d);
  zn_udp_sendto_buf(s, &d->src, d->sport, b);
}

struct got {
  int n;
  size_t len;
  int ok;
  uint32_t from;
  uint16_t port;
  int err;
  int nerr;
};

static void client_cb(struct zn_udp_sock *s, void *arg,
                      const struct zn_udp_dgram *d) {
  (void)s;
  struct got *g = arg;
  g->n++;
  g->len = d->len;
  g->from = zn_ip_v4(&d->src);
  g->port = d->sport;
  g->ok = 1;
  for (size_t i = 0; i < d->len; i++)
    if (d->data[i] != (uint8_t)(i * 13 + 1))
      g->ok = 0;
}

static void err_cb(struct zn_udp_sock *s, void *arg, int err,
                   const struct zn_ip *addr,
                   uint16_t port) {
  (void)s;
  struct got *g = arg;
  g->err = err;
  g->nerr++;
  g->from = zn_ip_v4(addr);
  g->port = port;
}

static uint8_t pat[70000];

ZT_TEST(test_echo_sizes) {
  struct th_pair p;
  pair(&p);
  ZT_REQUIRE(p.a && p.b);
  struct zn_udp_sock *srv, *cli;
  ZT_EQ(zn_udp_open(p.b, &srv), ZN_OK);
  ZT_EQ(zn_udp_bind(srv, NULL, 7), ZN_OK);
  zn_udp_set_recv_cb(srv, echo_cb, NULL);
  ZT_EQ(zn_udp_open(p.a, &cli), ZN_OK);
  struct got g = {0};
  zn_udp_set_recv_cb(cli, client_cb, &g);
  const size_t sizes[] = {0, 1, 1472, 1473, 4000, 9000, 30000};
  for (int i = 0; i < 7; i++) {
    ZT_EQ(zn_udp_sendto(cli, TH_IP(IP_B), 7, pat, sizes[i]), ZN_OK);
    th_pair_run(&p, ZN_MS(10));
    ZT_EQ(g.n, i + 1);
    ZT_EQU(g.len, sizes[i]);
    ZT_CHECK(g.ok);
    ZT_EQU(g.from, IP_B);
    ZT_EQ(g.port, 7);
  }
  /* The client got an ephemeral port in the IANA range. */
  ZT_CHECK(zn_udp_local_port(cli) >= ZN_UDP_EPHEMERAL_MIN);
  ZT_CHECK(zn_stat(p.a, ZN_STAT_ip_frag_tx) > 0);
  ZT_CHECK(zn_stat(p.b, ZN_STAT_ip_reass_ok) >= 4);
  ZT_CHECK(zn_stat(p.a, ZN_STAT_ip_reass_ok) >= 4);
  ZT_EQ(zn_udp_sendto(cli, TH_IP(IP_B), 7, pat, ZN_UDP_MAX_PAYLOAD + 1), ZN_EMSGSIZE);
  zn_udp_close(cli);
  zn_udp_close(srv);
  th_pair_free(&p);
}

ZT_TEST(test_zero_copy_send) {
  struct th_pair p;
  pair(&p);
  ZT_REQUIRE(p.a && p.b);
  struct zn_udp_sock *srv, *cli;
  zn_udp_open(p.b, &srv);
  zn_udp_bind(srv, TH_IP(IP_B), 5000);
  struct got g = {0};
  zn_udp_set_recv_cb(srv, client_cb, &g);
  zn_udp_open(p.a, &cli);
  ZT_EQ(zn_udp_connect(cli, TH_IP(IP_B), 5000), ZN_OK);
  struct zn_buf *b = zn_udp_buf_alloc(cli, 100);
  ZT_REQUIRE(b);
  memcpy(zn_buf_put(b, 100), pat, 100);
  ZT_EQ(zn_udp_sendto_buf(cli, TH_IP(IP_B), 5000, b), ZN_OK);
  ZT_EQ(zn_udp_send(cli, pat, 10), ZN_OK);
  th_pair_run(&p, ZN_MS(10));
  ZT_EQ(g.n, 2);
  ZT_EQU(g.len, 10);
  ZT_EQ(g.port, zn_udp_local_port(cli));
  zn_udp_close(cli);
  zn_udp_close(srv);
  th_pair_free(&p);
}

ZT_TEST(test_port_unreachable_reaches_socket) {
  struct th_pair p;
  pair(&p);
  ZT_REQUIRE(p.a && p.b);
  struct zn_udp_sock *cli;
  zn_udp_open(p.a, &cli);
  struct got g = {0};
  zn_udp_set_err_cb(cli, err_cb, &g);
  ZT_EQ(zn_udp_sendto(cli, TH_IP(IP_B), 9999, "hello", 5), ZN_OK);
  th_pair_run(&p, ZN_MS(10));
  ZT_EQU(zn_stat(p.b, ZN_STAT_udp_drop_noport), 1);
  ZT_EQU(zn_stat(p.b, ZN_STAT_icmp_err_tx), 1);
  ZT_EQ(g.nerr, 1);
  ZT_EQ(g.err, ZN_ECONNREFUSED);
  ZT_EQU(g.from, IP_B);
  ZT_EQ(g.port, 9999);
  ZT_EQU(zn_stat(p.a, ZN_STAT_udp_err_delivered), 1);
  /* A connected socket only hears about its own peer. */
  struct zn_udp_sock *c2;
  zn_udp_open(p.a, &c2);
  zn_udp_connect(c2, TH_IP(IP_B), 1234);
  struct got g2 = {0};
  zn_udp_set_err_cb(c2, err_cb, &g2);
  ZT_EQ(zn_udp_send(c2, "x", 1), ZN_OK);
  th_pair_run(&p, ZN_MS(10));
  ZT_EQ(g2.nerr, 1);
  ZT_EQ(g.nerr, 1);
  /* The rate limit holds for port unreachables too. */
  for (int i = 0; i < 200; i++)
    zn_udp_sendto(cli, TH_IP(IP_B), 9999, "x", 1);
  th_pair_run(&p, ZN_MS(10));
  ZT_CHECK(zn_stat(p.b, ZN_STAT_icmp_err_ratelimited) > 100);
  zn_udp_close(cli);
  zn_udp_close(c2);
  th_pair_free(&p);
}

ZT_TEST(test_queue_and_overflow) {
  struct th_pair p;
  struct zn_config ca, cb;
  cfg_quiet(&ca, IP_A, 1);
  cfg_quiet(&cb, IP_B, 2);
  cb.udp_rxq = 4;
  ca.arp_pending = 16; /* all ten wait for ARP, none dropped there */
  th_pair_init(&p, &ca, &cb);
  ZT_REQUIRE(p.a && p.b);
  struct zn_udp_sock *srv, *cli;
  zn_udp_open(p.b, &srv);
  zn_udp_bind(srv, NULL, 53);
  zn_udp_open(p.a, &cli);
  for (int i = 0; i < 10; i++) {
    uint8_t v = (uint8_t)i;
    zn_udp_sendto(cli, TH_IP(IP_B), 53, &v, 1);
  }
  th_pair_run(&p, ZN_MS(10));
  ZT_EQ(zn_udp_queued(srv), 4);
  ZT_EQU(zn_stat(p.b, ZN_STAT_udp_drop_rxq_full), 6);
  for (int i = 0; i < 4; i++) {
    struct zn_buf *b;
    struct zn_ip from;
    uint16_t port;
    ZT_EQ(zn_udp_recv(srv, &b, &from, &port), ZN_OK);
    ZT_EQU(zn_ip_v4(&from), IP_A);
    ZT_EQ(port, zn_udp_local_port(cli));
    ZT_EQ(b->len, 1);
    ZT_EQ(b->data[0], i);
    zn_buf_free(b);
  }
  struct zn_buf *b;
  ZT_EQ(zn_udp_recv(srv, &b, NULL, NULL), ZN_EAGAIN);
  /* Closing with datagrams queued frees them. */
  zn_udp_sendto(cli, TH_IP(IP_B), 53, "x", 1);
  th_pair_run(&p, ZN_MS(10));
  ZT_EQ(zn_udp_queued(srv), 1);
  zn_udp_close(srv);
  zn_udp_close(cli);
  th_pair_free(&p);
}

ZT_TEST(test_bind_rules) {
  struct zn_config c;
  cfg_quiet(&c, IP_A, 1);
  c.udp_socks = 3;
  struct zn_stack *st = th_stack_new(&c);
  ZT_REQUIRE(st);
  struct zn_udp_sock *a, *b, *x, *d;
  ZT_EQ(zn_udp_open(st, &a), ZN_OK);
  ZT_EQ(zn_udp_open(st, &b), ZN_OK);
  ZT_EQ(zn_udp_open(st, &x), ZN_OK);
  ZT_EQ(zn_udp_open(st, &d), ZN_ENOMEM);
  ZT_EQ(zn_udp_bind(a, NULL, 53), ZN_OK);
  ZT_EQ(zn_udp_bind(a, NULL, 54), ZN_EINVAL);
  ZT_EQ(zn_udp_bind(b, NULL, 53), ZN_EADDRINUSE);
  ZT_EQ(zn_udp_bind(b, TH_IP(IP_A), 53), ZN_EADDRINUSE);
  ZT_EQ(zn_udp_bind(b, TH_IP(IP_B), 99), ZN_EADDRNOTAVAIL);
  ZT_EQ(zn_udp_bind(b, TH_IP(IP_A), 99), ZN_OK);
  ZT_EQ(zn_udp_bind(x, NULL, 99), ZN_EADDRINUSE);
  zn_udp_close(a);
  ZT_EQ(zn_udp_bind(x, NULL, 53), ZN_OK);
  ZT_EQ(zn_udp_open(st, &d), ZN_OK);
  ZT_EQ(zn_udp_sendto(d, TH_IP(IP_B), 0, "x", 1), ZN_EINVAL);
  ZT_EQ(zn_udp_send(d, "x", 1), ZN_ENOTCONN);
  /* Ephemeral ports are spread, not sequential. */
  zn_udp_close(d);
  uint16_t ports[50];
  int spread = 0;
  for (int i = 0; i < 50; i++) {
    zn_udp_open(st, &d);
    zn_udp_bind(d, NULL, 0);
    ports[i] = zn_udp_local_port(d);
    ZT_CHECK(ports[i] >= ZN_UDP_EPHEMERAL_MIN);
    if (i && abs((int)ports[i] - (int)ports[i - 1]) > 100)
      spread++;
    zn_udp_close(d);
  }
  ZT_CHECK(spread > 40);
  zn_udp_close(b);
  zn_udp_close(x);
  th_stack_free(st);
}

/* A callback that closes its own socket, then another datagram arrives
 * for the (now free) port. */
static int closes;
static void close_self(struct zn_udp_sock *s, void *arg,
                       const struct zn_udp_dgram *d) {
  (void)arg;
  (void)d;
  closes++;
  zn_udp_close(s);
  zn_udp_close(s); /* twice is harmless */
}

ZT_TEST(test_close_in_callback) {
  struct th_pair p;
  pair(&p);
  ZT_REQUIRE(p.a && p.b);
  struct zn_udp_sock *srv, *cli;
  zn_udp_open(p.b, &srv);
  zn_udp_bind(srv, NULL, 7);
  zn_udp_set_recv_cb(srv, close_self, NULL);
  zn_udp_open(p.a, &cli);
  zn_udp_sendto(cli, TH_IP(IP_B), 7, "a", 1);
  zn_udp_sendto(cli, TH_IP(IP_B), 7, "b", 1);
  th_pair_run(&p, ZN_MS(10));
  ZT_EQ(closes, 1);
  ZT_EQU(zn_stat(p.b, ZN_STAT_udp_drop_noport), 1);
  /* The slot is reusable. */
  ZT_EQ(zn_udp_open(p.b, &srv), ZN_OK);
  ZT_EQ(zn_udp_bind(srv, NULL, 7), ZN_OK);
  zn_udp_close(srv);
  zn_udp_close(cli);
  th_pair_free(&p);
}

ZT_TEST(test_crafted_datagrams) {
  struct zn_config c;
  cfg_quiet(&c, IP_B, 2);
  struct solo s;
  solo_init(&s, &c);
  ZT_REQUIRE(s.st);
  zn_arp_add_static(s.st, IP_A, MAC_A);
  zn_stack_poll(s.st, 0);
  struct zn_udp_sock *srv;
  zn_udp_open(s.st, &srv);
  zn_udp_bind(srv, NULL, 7);
  struct got g = {0};
  zn_udp_set_recv_cb(srv, client_cb, &g);
  uint8_t u[64], f[128];
  /* Valid, checksum computed. */
  zn_udp_emit(u, 1000, 7, 8 + 13, IP_A, IP_B);
  for (int i = 0; i < 13; i++)
    u[8 + i] = (uint8_t)(i * 13 + 1);
  zn_udp_emit(u, 1000, 7, 8 + 13, IP_A, IP_B);
  inject(s.st, f, mk_ip(f, MAC_B, MAC_A, IP_A, IP_B, 17, 1, 0, u, 21));
  ZT_EQ(g.n, 1);
  ZT_CHECK(g.ok);
  /* Checksum 0: not computed, accepted (RFC 768). */
  zn_wr16(u + 6, 0);
  inject(s.st, f, mk_ip(f, MAC_B, MAC_A, IP_A, IP_B, 17, 1, 0, u, 21));
  ZT_EQ(g.n, 2);
  /* Bad checksum. */
  zn_wr16(u + 6, 0x1234);
  inject(s.st, f, mk_ip(f, MAC_B, MAC_A, IP_A, IP_B, 17, 1, 0, u, 21));
  ZT_EQU(zn_stat(s.st, ZN_STAT_udp_drop_checksum), 1);
  /* Length field longer than the datagram, shorter than a header. */
  zn_udp_emit(u, 1000, 7, 8 + 13, IP_A, IP_B);
  zn_wr16(u + 4, 40);
  inject(s.st, f, mk_ip(f, MAC_B, MAC_A, IP_A, IP_B, 17, 1, 0, u, 21));
  zn_wr16(u + 4, 7);
  inject(s.st, f, mk_ip(f, MAC_B, MAC_A, IP_A, IP_B, 17, 1, 0, u, 21));
  inject(s.st, f, mk_ip(f, MAC_B, MAC_A, IP_A, IP_B, 17, 1, 0, u, 7));
  ZT_EQU(zn_stat(s.st, ZN_STAT_udp_drop_len), 2);
  ZT_EQU(zn_stat(s.st, ZN_STAT_udp_drop_short), 1);
  /* Length field shorter than the IP payload: the rest is ignored. */
  zn_udp_emit(u, 1000, 7, 8 + 5, IP_A, IP_B);
  inject(s.st, f, mk_ip(f, MAC_B, MAC_A, IP_A, IP_B, 17, 1, 0, u, 21));
  ZT_EQ(g.n, 3);
  ZT_EQU(g.len, 5);
  /* To a closed port by broadcast: no ICMP. */
  zn_udp_emit(u, 1000, 8, 8, IP_A, 0xffffffffu);
  inject(s.st, f, mk_ip(f, zn_eth_bcast, MAC_A, IP_A, 0xffffffffu, 17, 1, 0, u, 8));
  ZT_EQU(zn_stat(s.st, ZN_STAT_udp_drop_noport), 1);
  ZT_EQ(sent_count(&s.link.b, 0), 0);
  /* To a closed port by unicast: port unreachable quoting it. */
  zn_udp_emit(u, 1000, 8, 8, IP_A, IP_B);
  inject(s.st, f, mk_ip(f, MAC_B, MAC_A, IP_A, IP_B, 17, 1, 0, u, 8));
  struct zn_buf *b = sent_pop(&s.link.b);
  ZT_REQUIRE(b);
  ZT_EQ(b->data[34], ZN_ICMP_DEST_UNREACH);
  ZT_EQ(b->data[35], ZN_ICMP_UNREACH_PORT);
  ZT_MEMEQ(b->data + 42 + 20, u, 8);
  zn_buf_free(b);
  zn_udp_close(srv);
  solo_free(&s);
}

/* A datagram from IP_A:sport to IP_B:dport, handed to st. */
static void udp_in(struct zn_stack *st, uint16_t sport, uint16_t dport) {
  uint8_t u[16], f[64];
  zn_udp_emit(u, sport, dport, 8 + 1, IP_A, IP_B);
  u[8] = 1;
  zn_udp_emit(u, sport, dport, 8 + 1, IP_A, IP_B);
  inject(st, f, mk_ip(f, MAC_B, MAC_A, IP_A, IP_B, 17, 1, 0, u, 9));
}

/* The demultiplexer remembers the last port's bucket: a socket closed,
 * another bound to its port, a socket connected away from the sender,
 * and ports in turn must each be seen at once. */
ZT_TEST(test_lookup_after_close_and_rebind) {
  struct zn_config c;
  cfg_quiet(&c, IP_B, 2);
  c.udp_socks = 4;
  struct solo s;
  solo_init(&s, &c);
  ZT_REQUIRE(s.st);
  zn_arp_add_static(s.st, IP_A, MAC_A);
  zn_stack_poll(s.st, 0);
  struct zn_udp_sock *s7, *s9, *n7;
  struct got g7 = {0}, g9 = {0}, gn = {0};
  ZT_EQ(zn_udp_open(s.st, &s7), ZN_OK);
  ZT_EQ(zn_udp_bind(s7, NULL, 7), ZN_OK);
  zn_udp_set_recv_cb(s7, client_cb, &g7);
  ZT_EQ(zn_udp_open(s.st, &s9), ZN_OK);
  ZT_EQ(zn_udp_bind(s9, TH_IP(IP_B), 9), ZN_OK);
  zn_udp_set_recv_cb(s9, client_cb, &g9);
  for (int i = 0; i < 3; i++) {
    udp_in(s.st, 1000, 7);
    udp_in(s.st, 1000, 7);
    udp_in(s.st, 1000, 9);
  }
  ZT_EQ(g7.n, 6);
  ZT_EQ(g9.n, 3);
  /* Closed: its port is closed too (the last lookup was of that port). */
  udp_in(s.st, 1000, 7);
  zn_udp_close(s7);
  udp_in(s.st, 1000, 7);
  ZT_EQ(g7.n, 7);
  ZT_EQU(zn_stat(s.st, ZN_STAT_udp_drop_noport), 1);
  sent_purge(&s.link.b); /* the port unreachable */
  /* Another socket on the port (the same slot) gets what follows. */
  ZT_EQ(zn_udp_open(s.st, &n7), ZN_OK);
  ZT_CHECK(n7 == s7);
  ZT_EQ(zn_udp_bind(n7, TH_IP(IP_B), 7), ZN_OK);
  zn_udp_set_recv_cb(n7, client_cb, &gn);
  udp_in(s.st, 1000, 7);
  ZT_EQ(gn.n, 1);
  ZT_EQ(g7.n, 7);
  /* Connected to another peer port: the sender's datagrams are no
   * longer its own. */
  ZT_EQ(zn_udp_connect(n7, TH_IP(IP_A), 1001), ZN_OK);
  udp_in(s.st, 1000, 7);
  ZT_EQ(gn.n, 1);
  ZT_EQU(zn_stat(s.st, ZN_STAT_udp_drop_noport), 2);
  udp_in(s.st, 1001, 7);
  ZT_EQ(gn.n, 2);
  sent_purge(&s.link.b);
  /* Port 9 unaffected throughout; closing it after a lookup of it. */
  udp_in(s.st, 1000, 9);
  ZT_EQ(g9.n, 4);
  zn_udp_close(s9);
  udp_in(s.st, 1000, 9);
  ZT_EQ(g9.n, 4);
  ZT_EQU(zn_stat(s.st, ZN_STAT_udp_drop_noport), 3);
  sent_purge(&s.link.b);
  zn_udp_close(n7);
  solo_free(&s);
}

int main(void) {
  for (size_t i = 0; i < sizeof(pat); i++)
    pat[i] = (uint8_t)(i * 13 + 1);
  ZT_RUN(test_lookup_after_close_and_rebind);
  ZT_RUN(test_echo_sizes);
  ZT_RUN(test_zero_copy_send);
  ZT_RUN(test_port_unreachable_reaches_socket);
  ZT_RUN(test_queue_and_overflow);
  ZT_RUN(test_bind_rules);
  ZT_RUN(test_close_in_callback);
  ZT_RUN(test_crafted_datagrams);
  return zt_done();
}
