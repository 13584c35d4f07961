/* The settings a TCP connection starts with (struct zn_tcp_opts,
 * zn_tcp_connect_opts, zn_tcp_listen_opts), bind before connect, the
 * setters after the fact, and what zn_tcp_get_info reports: between two
 * stacks over memlink, A (10.0.0.1) and B (10.0.0.2), with the frames on
 * the link looked at where it matters. */
#include <stdlib.h>

#include "../proto/proto6_util.h"
#include "core/stack_int.h"
#include "tcp/tcp_int.h"

struct app {
  struct zn_tcp_conn *listener, *server, *client;
  int connected, accepted, closed, errors, last_err, writable, srv_eof;
  size_t srv_rx, cli_rx;
  uint64_t err_at; /* ns: when on_error came */
};

static void on_accept(struct zn_tcp_conn *l, void *arg) {
  struct app *a = arg;
  struct zn_tcp_conn *c;
  while (zn_tcp_accept(l, &c) == ZN_OK) {
    a->server = c;
    a->accepted++;
  }
}

static void on_readable(struct zn_tcp_conn *c, void *arg) {
  struct app *a = arg;
  uint8_t buf[4096];
  long n;
  size_t *got = c == a->client ? &a->cli_rx : &a->srv_rx;
  while ((n = zn_tcp_read(c, buf, sizeof(buf))) > 0)
    *got += (size_t)n;
  if (n == 0 && c != a->client)
    a->srv_eof = 1;
}

static void on_connected(struct zn_tcp_conn *c, void *arg) {
  (void)c;
  ((struct app *)arg)->connected++;
}

static void on_writable(struct zn_tcp_conn *c, void *arg) {
  (void)c;
  ((struct app *)arg)->writable++;
}

static void on_error(struct zn_tcp_conn *c, void *arg, int err) {
  struct app *a = arg;
  a->errors++;
  a->last_err = err;
  a->err_at = zn_stack_now(c->st);
}

static void on_closed(struct zn_tcp_conn *c, void *arg) {
  (void)c;
  ((struct app *)arg)->closed++;
}

static const struct zn_tcp_callbacks cbs = {
    .on_accept = on_accept,
    .on_connected = on_connected,
    .on_readable = on_readable,
    .on_writable = on_writable,
    .on_error = on_error,
    .on_closed = on_closed};

static void pair(struct th_pair *p) {
  struct zn_config ca, cb;
  cfg_quiet(&ca, IP_A, 1);
  cfg_quiet(&cb, IP_B, 2);
  ca.nbufs = cb.nbufs = 1024;
  th_pair_init(p, &ca, &cb);
  zn_stack_poll(p->a, 0);
  zn_stack_poll(p->b, 0);
}

/* B listens on port 80 with lo, A connects from laddr:lport with co. */
static void establish(struct th_pair *p, struct app *a,
                      const struct zn_tcp_opts *lo, const struct zn_ip *laddr,
                      uint16_t lport, const struct zn_tcp_opts *co) {
  memset(a, 0, sizeof(*a));
  ZT_EQ(zn_tcp_listen_opts(p->b, NULL, 80, 0, lo, &cbs, a, &a->listener),
        ZN_OK);
  ZT_EQ(zn_tcp_connect_opts(p->a, laddr, lport, TH_IP(IP_B), 80, co, &cbs, a,
                            &a->client),
        ZN_OK);
  th_pair_run(p, ZN_MS(20));
  ZT_EQ(a->connected, 1);
  ZT_EQ(a->accepted, 1);
}

/* The frames queued on the link toward `to` whose TCP segment carries
 * payload: how many, and the IPv4 TOS and TTL of the last. */
static int data_frames_to(struct zn_memlink_end *to, uint8_t *tos,
                          uint8_t *ttl) {
  int n = 0;
  for (struct zn_buf *b = to->rxq.head; b; b = b->next) {
    if (b->len < 54 || zn_rd16(b->data + 12) != ZN_ETHERTYPE_IPV4 ||
        b->data[23] != ZN_IPPROTO_TCP)
      continue;
    size_t ihl = (size_t)(b->data[14] & 0x0f) * 4;
    size_t doff = (size_t)(b->data[14 + ihl + 12] >> 4) * 4;
    if (b->len <= 14 + ihl + doff)
      continue;
    n++;
    *tos = b->data[15];
    *ttl = b->data[22];
  }
  return n;
}

/* ... toward B, from A. */
static int data_frames(struct th_pair *p, uint8_t *tos, uint8_t *ttl) {
  return data_frames_to(&p->link.b, tos, ttl);
}

/* ---- connect_opts ---- */

/* bind(10.0.0.1:5000) then connect(): the connection leaves from that
 * address and port, and B sees them. */
ZT_TEST(test_connect_opts_bound_source_used) {
  struct th_pair p;
  pair(&p);
  struct app a;
  establish(&p, &a, NULL, TH_IP(IP_A), 5000, NULL);
  struct zn_tcp_info ci, si;
  zn_tcp_get_info(a.client, &ci);
  zn_tcp_get_info(a.server, &si);
  ZT_EQ(ci.lport, 5000);
  ZT_EQU(zn_ip_v4(&ci.laddr), IP_A);
  ZT_EQ(si.rport, 5000);
  ZT_EQU(zn_ip_v4(&si.raddr), IP_A);
  /* The unspecified address, of raddr's family or `::`: the stack's
   * choice, the port kept. */
  struct zn_tcp_conn *c;
  const struct zn_ip any4 = zn_ip_from_v4(0);
  static const uint8_t zero[16];
  const struct zn_ip any6 = zn_ip_from_v6(zero);
  ZT_EQ(zn_tcp_connect_opts(p.a, &any4, 5001, TH_IP(IP_B), 80, NULL, &cbs, &a,
                            &c),
        ZN_OK);
  zn_tcp_get_info(c, &ci);
  ZT_EQ(ci.lport, 5001);
  ZT_EQU(zn_ip_v4(&ci.laddr), IP_A);
  zn_tcp_abort(c);
  ZT_EQ(zn_tcp_connect_opts(p.a, &any6, 5002, TH_IP(IP_B), 80, NULL, &cbs, &a,
                            &c),
        ZN_OK);
  zn_tcp_abort(c);
  th_pair_run(&p, ZN_MS(20));
  th_pair_free(&p);
}

/* What connect_opts refuses, and why: each error as the contract says,
 * nothing made. */
ZT_TEST(test_connect_opts_bad_source_refused) {
  struct th_pair p;
  pair(&p);
  struct zn_tcp_conn *c = NULL;
  static const uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
  const struct zn_ip a6 = zn_ip_from_v6(v6);
  const struct zn_ip any4 = zn_ip_from_v4(0);
  const struct zn_tcp_opts bad_cc = {.cc = 7};
  const struct zn_tcp_opts big = {.sndbuf = (1u << 30) + 1};
  const struct zn_tcp_opts v6only = {.v6only = true};
  ZT_EQ(zn_tcp_connect_opts(p.a, TH_IP(ZN_IPV4(10, 0, 0, 99)), 0, TH_IP(IP_B),
                            80, NULL, &cbs, NULL, &c),
        ZN_EADDRNOTAVAIL);
  ZT_EQ(zn_tcp_connect_opts(p.a, &a6, 0, TH_IP(IP_B), 80, NULL, &cbs, NULL,
                            &c),
        ZN_EINVAL); /* of another family */
  ZT_EQ(zn_tcp_connect_opts(p.a, &any4, 0, &a6, 80, NULL, &cbs, NULL, &c),
        ZN_EINVAL); /* 0.0.0.0 toward IPv6 */
  ZT_EQ(zn_tcp_connect_opts(p.a, TH_IP(ZN_IPV4(127, 0, 0, 1)), 0,
                            TH_IP(IP_B), 80, NULL, &cbs, NULL, &c),
        ZN_EINVAL); /* loopback source off the host, as Linux */
  ZT_EQ(zn_tcp_connect_opts(p.a, NULL, 0, TH_IP(IP_B), 80, &bad_cc, &cbs,
                            NULL, &c),
        ZN_EINVAL);
  ZT_EQ(zn_tcp_connect_opts(p.a, NULL, 0, TH_IP(IP_B), 80, &big, &cbs, NULL,
                            &c),
        ZN_EINVAL);
  ZT_EQ(zn_tcp_connect_opts(p.a, NULL, 0, TH_IP(IP_B), 80, &v6only, &cbs,
                            NULL, &c),
        ZN_EINVAL); /* an IPv6-only socket toward IPv4 */
  ZT_EQ(zn_tcp_connect_opts(p.a, NULL, 0, TH_IP(IP_B), 0, NULL, &cbs, NULL,
                            &c),
        ZN_EINVAL);
  ZT_CHECK(c == NULL);
  ZT_EQ(ZN__MOD(p.a, tcp)->nused, 0);
  th_pair_free(&p);
}

/* Linux's bind rules for a chosen port: another connection holding it
 * stands in the way unless reuseaddr; a listener always; the very same
 * 4-tuple always. */
ZT_TEST(test_connect_opts_port_in_use_refused) {
  struct th_pair p;
  pair(&p);
  struct app a;
  establish(&p, &a, NULL, NULL, 5000, NULL);
  const struct zn_tcp_opts reuse = {.reuseaddr = true};
  struct app b;
  memset(&b, 0, sizeof(b));
  ZT_EQ(zn_tcp_listen(p.b, NULL, 81, 0, &cbs, &b, &b.listener), ZN_OK);
  struct zn_tcp_conn *c = NULL;
  ZT_EQ(zn_tcp_connect_opts(p.a, NULL, 5000, TH_IP(IP_B), 81, NULL, &cbs, &b,
                            &c),
        ZN_EADDRINUSE);
  ZT_EQ(zn_tcp_bind_check(p.a, NULL, 5000, NULL), ZN_EADDRINUSE);
  ZT_EQ(zn_tcp_bind_check(p.a, NULL, 5000, &reuse), ZN_OK);
  ZT_EQ(zn_tcp_connect_opts(p.a, NULL, 5000, TH_IP(IP_B), 80, &reuse, &cbs,
                            &b, &c),
        ZN_EADDRINUSE); /* the same 4-tuple */
  ZT_EQ(zn_tcp_connect_opts(p.a, NULL, 5000, TH_IP(IP_B), 81, &reuse, &cbs,
                            &b, &c),
        ZN_OK);
  th_pair_run(&p, ZN_MS(20));
  ZT_EQ(b.connected, 1);
  ZT_EQ(b.accepted, 1);
  /* A's listener on 6000 holds the port for any connection. */
  struct zn_tcp_conn *l;
  ZT_EQ(zn_tcp_listen(p.a, NULL, 6000, 0, &cbs, &b, &l), ZN_OK);
  ZT_EQ(zn_tcp_connect_opts(p.a, NULL, 6000, TH_IP(IP_B), 81, &reuse, &cbs,
                            &b, &c),
        ZN_EADDRINUSE);
  ZT_EQ(zn_tcp_bind_check(p.a, TH_IP(IP_A), 6000, &reuse), ZN_EADDRINUSE);
  ZT_EQ(zn_tcp_bind_check(p.a, TH_IP(IP_A), 0, NULL), ZN_EINVAL);
  ZT_EQ(zn_tcp_bind_check(p.a, TH_IP(IP_X), 6001, NULL), ZN_EADDRNOTAVAIL);
  th_pair_free(&p);
}

/* A closes first and keeps TIME_WAIT on its port: binding it again for
 * another connection needs reuseaddr. */
ZT_TEST(test_connect_opts_reuseaddr_over_time_wait) {
  struct th_pair p;
  pair(&p);
  struct app a;
  establish(&p, &a, NULL, NULL, 5000, NULL);
  zn_tcp_close(a.client);
  th_pair_run(&p, ZN_MS(50));
  zn_tcp_close(a.server);
  th_pair_run(&p, ZN_MS(50));
  /* Kept in a record (tcp_tw.c): no slot holds the 4-tuple. */
  ZT_CHECK(!zn__tcp_lookup(p.a, TH_IP(IP_A), 5000, TH_IP(IP_B), 80));
  ZT_CHECK(zn__tcp_tw_holds(p.a, TH_IP(IP_A), 5000, TH_IP(IP_B), 80));
  /* The same 4-tuple again is refused, reuseaddr or not. */
  const struct zn_tcp_opts reuse = {.reuseaddr = true};
  struct app b0;
  memset(&b0, 0, sizeof(b0));
  struct zn_tcp_conn *c0;
  ZT_EQ(zn_tcp_connect_opts(p.a, NULL, 5000, TH_IP(IP_B), 80, &reuse, &cbs,
                            &b0, &c0),
        ZN_EADDRINUSE);
  struct app b;
  memset(&b, 0, sizeof(b));
  ZT_EQ(zn_tcp_listen(p.b, NULL, 81, 0, &cbs, &b, &b.listener), ZN_OK);
  struct zn_tcp_conn *c;
  ZT_EQ(zn_tcp_connect_opts(p.a, NULL, 5000, TH_IP(IP_B), 81, NULL, &cbs, &b,
                            &c),
        ZN_EADDRINUSE);
  ZT_EQ(zn_tcp_connect_opts(p.a, NULL, 5000, TH_IP(IP_B), 81, &reuse, &cbs,
                            &b, &c),
        ZN_OK);
  th_pair_run(&p, ZN_MS(20));
  ZT_EQ(b.connected, 1);
  th_pair_free(&p);
}

/* ---- listen_opts ---- */

/* Port 0: a free ephemeral port, which zn_tcp_get_info tells, and which
 * takes connections. */
ZT_TEST(test_listen_opts_port_0_picks_ephemeral) {
  struct th_pair p;
  pair(&p);
  struct app a;
  memset(&a, 0, sizeof(a));
  ZT_EQ(zn_tcp_listen_opts(p.b, NULL, 0, 0, NULL, &cbs, &a, &a.listener),
        ZN_OK);
  struct zn_tcp_info i;
  zn_tcp_get_info(a.listener, &i);
  ZT_CHECK(i.lport >= 49152);
  ZT_EQ(i.state, ZN_TCP_LISTEN);
  ZT_EQ(zn_tcp_connect(p.a, TH_IP(IP_B), i.lport, &cbs, &a, &a.client), ZN_OK);
  th_pair_run(&p, ZN_MS(20));
  ZT_EQ(a.accepted, 1);
  /* zn_tcp_listen keeps its contract: port 0 is refused. */
  struct zn_tcp_conn *l;
  ZT_EQ(zn_tcp_listen(p.b, NULL, 0, 0, &cbs, &a, &l), ZN_EINVAL);
  th_pair_free(&p);
}

/* A server that closed its connections first leaves them in TIME_WAIT on
 * its port: listening again needs reuseaddr; another listener on an
 * overlapping address is refused even with it; live connections on the
 * port do not stand in the way of a reuseaddr listener. */
ZT_TEST(test_listen_opts_reuseaddr_over_time_wait) {
  struct th_pair p;
  pair(&p);
  struct app a;
  establish(&p, &a, NULL, NULL, 0, NULL);
  const struct zn_tcp_opts reuse = {.reuseaddr = true};
  struct zn_tcp_conn *l2;
  ZT_EQ(zn_tcp_listen_opts(p.b, TH_IP(IP_B), 80, 0, &reuse, &cbs, &a, &l2),
        ZN_EADDRINUSE); /* the listener */
  zn_tcp_close(a.listener);
  th_pair_run(&p, ZN_MS(10));
  /* The accepted connection, alive, holds the port. */
  ZT_EQ(zn_tcp_listen(p.b, NULL, 80, 0, &cbs, &a, &l2), ZN_EADDRINUSE);
  ZT_EQ(zn_tcp_listen_opts(p.b, NULL, 80, 0, &reuse, &cbs, &a, &l2), ZN_OK);
  zn_tcp_close(l2);
  /* Now B closes first: TIME_WAIT on B's port 80. */
  zn_tcp_close(a.server);
  th_pair_run(&p, ZN_MS(50));
  zn_tcp_close(a.client);
  th_pair_run(&p, ZN_MS(50));
  ZT_EQ(zn__tcp_tw_used(p.b), 1); /* a record, tcp_tw.c */
  ZT_EQ(zn_tcp_listen(p.b, NULL, 80, 0, &cbs, &a, &l2), ZN_EADDRINUSE);
  ZT_EQ(zn_tcp_listen_opts(p.b, NULL, 80, 0, &reuse, &cbs, &a, &l2), ZN_OK);
  ZT_EQ(zn_tcp_bind_check(p.b, NULL, 80, &reuse), ZN_EADDRINUSE);
  th_pair_free(&p);
}

/* v6only: a listener on `::` that takes IPv6 only leaves 0.0.0.0 on its
 * port to another (without it they overlap); each takes its family's
 * connections (over the loopbacks of one stack).  An IPv4-mapped address
 * is no IPv6 one. */
ZT_TEST(test_listen_opts_v6only_beside_v4) {
  struct zn_config c;
  cfg6(&c, 2);
  struct solo s;
  solo6(&s, &c);
  ZT_REQUIRE(s.st);
  static const uint8_t zero[16], lo[16] = {[15] = 1};
  const struct zn_ip any6 = zn_ip_from_v6(zero), any4 = zn_ip_from_v4(0);
  const struct zn_ip lo6 = zn_ip_from_v6(lo);
  const struct zn_tcp_opts v6only = {.v6only = true};
  struct app a4, a6;
  memset(&a4, 0, sizeof(a4));
  memset(&a6, 0, sizeof(a6));
  struct zn_tcp_conn *dual;
  ZT_EQ(zn_tcp_listen_opts(s.st, &any6, 80, 0, NULL, &cbs, &a6, &dual),
        ZN_OK);
  ZT_EQ(zn_tcp_bind_check(s.st, &any4, 80, NULL), ZN_EADDRINUSE);
  zn_tcp_close(dual);
  ZT_EQ(zn_tcp_listen_opts(s.st, &any6, 80, 0, &v6only, &cbs, &a6,
                           &a6.listener),
        ZN_OK);
  ZT_EQ(zn_tcp_listen_opts(s.st, &any4, 80, 0, NULL, &cbs, &a4, &a4.listener),
        ZN_OK);
  struct zn_tcp_info i;
  zn_tcp_get_info(a6.listener, &i);
  ZT_CHECK(zn_ip_eq(&i.laddr, &any6));
  ZT_EQ(zn_tcp_connect(s.st, TH_IP(ZN_IPV4(127, 0, 0, 1)), 80, &cbs, &a4,
                       &a4.client),
        ZN_OK);
  ZT_EQ(zn_tcp_connect(s.st, &lo6, 80, &cbs, &a6, &a6.client), ZN_OK);
  uint64_t now = zn_stack_now(s.st);
  th_stack_run(s.st, &now, ZN_MS(10));
  ZT_EQ(a4.accepted, 1);
  ZT_EQ(a6.accepted, 1);
  ZT_EQ(a4.connected + a6.connected, 2);
  zn_tcp_get_info(a6.server, &i);
  ZT_EQ(i.laddr.family, ZN_AF_INET6);
  struct zn_ip mapped;
  struct zn_tcp_conn *l;
  ZT_EQ(zn_ip_parse("::ffff:127.0.0.1", &mapped), ZN_OK);
  ZT_EQ(zn_tcp_listen_opts(s.st, &mapped, 81, 0, &v6only, &cbs, &a6, &l),
        ZN_EINVAL);
  /* Without v6only, a mapped address binds as the IPv4 one. */
  ZT_EQ(zn_tcp_listen_opts(s.st, &mapped, 81, 0, NULL, &cbs, &a6, &l), ZN_OK);
  zn_tcp_get_info(l, &i);
  ZT_EQ(i.laddr.family, ZN_AF_INET);
  solo_free(&s);
}

/* bind(::1, port) then connect(::1): the IPv6 loopback with a chosen
 * source port, and 127.0.0.1 likewise. */
ZT_TEST(test_connect_opts_bound_loopback) {
  struct zn_config c;
  cfg6(&c, 2);
  struct solo s;
  solo6(&s, &c);
  ZT_REQUIRE(s.st);
  static const uint8_t lo[16] = {[15] = 1};
  const struct zn_ip lo6 = zn_ip_from_v6(lo);
  const struct zn_ip *los[] = {&lo6, TH_IP(ZN_IPV4(127, 0, 0, 1))};
  for (int k = 0; k < 2; k++) {
    struct app a;
    memset(&a, 0, sizeof(a));
    ZT_EQ(zn_tcp_listen(s.st, NULL, 80, 0, &cbs, &a, &a.listener), ZN_OK);
    ZT_EQ(zn_tcp_connect_opts(s.st, los[k], 7000, los[k], 80, NULL, &cbs, &a,
                              &a.client),
          ZN_OK);
    uint64_t now = zn_stack_now(s.st);
    th_stack_run(s.st, &now, ZN_MS(10));
    ZT_EQ(a.connected, 1);
    ZT_REQUIRE(a.server);
    struct zn_tcp_info i;
    zn_tcp_get_info(a.server, &i);
    ZT_EQ(i.rport, 7000);
    ZT_CHECK(zn_ip_eq(&i.raddr, los[k]));
    zn_tcp_abort(a.client);
    zn_tcp_abort(a.server);
    zn_tcp_close(a.listener);
    th_stack_run(s.st, &now, ZN_MS(10));
  }
  solo_free(&s);
}

/* ---- inheritance and the settings on the wire ---- */

/* A listener's settings go to what it accepts: buffers (the window scale
 * follows rcvbuf), TOS, TTL, Nagle, CC, user timeout, keepalive; its
 * segments carry the DSCP bits and the TTL. */
ZT_TEST(test_accepted_inherit_listener_opts) {
  struct th_pair p;
  pair(&p);
  struct app a;
  const struct zn_tcp_opts lo = {.sndbuf = 50000,
                                 .rcvbuf = 1u << 20,
                                 .tos = 0xb9, /* ECN bits dropped */
                                 .ttl = 9,
                                 .nodelay = true,
                                 .cc = ZN_TCP_CC_NEWRENO,
                                 .user_timeout_ms = 7000,
                                 .keepidle_ms = 60000,
                                 .keepcnt = 3};
  establish(&p, &a, &lo, NULL, 0, NULL);
  struct zn_tcp_info i;
  zn_tcp_get_info(a.server, &i);
  ZT_EQU(i.sndbuf, 50000);
  ZT_EQU(i.rcvbuf, 1u << 20);
  ZT_EQ(i.rcv_wscale, 5); /* 2^20 >> 5 fits 16 bits */
  ZT_EQ(i.tos, 0xb8);
  ZT_EQ(i.ttl, 9);
  ZT_CHECK(i.nodelay && !i.cork);
  ZT_EQ(i.cc, ZN_TCP_CC_NEWRENO);
  ZT_EQU(i.user_timeout_ms, 7000);
  ZT_EQU(i.keepidle_ms, 60000);
  ZT_EQU(i.keepintvl_ms, 75000);
  ZT_EQU(i.keepcnt, 3);
  ZT_EQ(a.server->misc_mode, ZN__TCP_MISC_KEEPALIVE);
  zn_tcp_get_info(a.listener, &i);
  ZT_EQU(i.backlog, p.b->cfg.tcp_backlog);
  /* B's data segments: DSCP 0xb8, TTL 9 (through its cached route too). */
  for (int k = 0; k < 2; k++) {
    ZT_EQ(zn_tcp_write(a.server, "abc", 3), 3);
    zn_stack_flush(p.b);
    uint8_t tos = 0, ttl = 0;
    ZT_EQ(data_frames_to(&p.link.a, &tos, &ttl), 1);
    ZT_EQ(tos, 0xb8);
    ZT_EQ(ttl, 9);
    th_pair_run(&p, ZN_MS(50));
  }
  ZT_EQU(a.cli_rx, 6);
  th_pair_free(&p);
}

/* The setters change the segments from the next one on; TTL through a
 * connection's cached IPv4 route too. */
ZT_TEST(test_set_tos_ttl_change_segments) {
  struct th_pair p;
  pair(&p);
  struct app a;
  establish(&p, &a, NULL, NULL, 0, NULL);
  uint8_t tos = 0, ttl = 0;
  ZT_EQ(zn_tcp_write(a.client, "x", 1), 1);
  zn_stack_flush(p.a);
  ZT_EQ(data_frames(&p, &tos, &ttl), 1);
  ZT_EQ(tos, 0);
  ZT_EQ(ttl, p.a->cfg.ttl);
  th_pair_run(&p, ZN_MS(50));
  zn_tcp_set_tos(a.client, 0x2b);
  zn_tcp_set_ttl(a.client, 3);
  ZT_EQ(zn_tcp_write(a.client, "y", 1), 1);
  zn_stack_flush(p.a);
  ZT_EQ(data_frames(&p, &tos, &ttl), 1);
  ZT_EQ(tos, 0x28);
  ZT_EQ(ttl, 3);
  th_pair_run(&p, ZN_MS(50));
  zn_tcp_set_ttl(a.client, 0);
  ZT_EQ(zn_tcp_write(a.client, "z", 1), 1);
  zn_stack_flush(p.a);
  ZT_EQ(data_frames(&p, &tos, &ttl), 1);
  ZT_EQ(ttl, p.a->cfg.ttl);
  th_pair_run(&p, ZN_MS(50));
  ZT_EQU(a.srv_rx, 3);
  th_pair_free(&p);
}

/* ---- cork ---- */

/* TCP_CORK holds a partial segment (nothing in flight) for 200 ms, sends
 * full ones at once, and turning it off sends what it held. */
ZT_TEST(test_cork_holds_partial_segment) {
  struct th_pair p;
  pair(&p);
  struct app a;
  const struct zn_tcp_opts no_nagle = {.nodelay = true};
  establish(&p, &a, NULL, NULL, 0, &no_nagle);
  zn_tcp_set_cork(a.client, true);
  uint8_t tos, ttl;
  static uint8_t buf[3000];
  ZT_EQ(zn_tcp_write(a.client, buf, 100), 100);
  zn_stack_flush(p.a);
  ZT_EQ(data_frames(&p, &tos, &ttl), 0);
  th_pair_run(&p, ZN_MS(150));
  ZT_EQU(a.srv_rx, 0);
  th_pair_run(&p, ZN_MS(60)); /* 200 ms: the hold ends */
  ZT_EQU(a.srv_rx, 100);
  /* Two full segments and a tail: the full ones go, the tail waits. */
  ZT_EQ(zn_tcp_write(a.client, buf, 3000), 3000);
  zn_stack_flush(p.a);
  ZT_EQ(data_frames(&p, &tos, &ttl), 2);
  th_pair_run(&p, ZN_MS(20));
  ZT_EQU(a.srv_rx, 100 + 2 * 1448);
  struct zn_tcp_info i;
  zn_tcp_get_info(a.client, &i);
  ZT_CHECK(i.cork);
  zn_tcp_set_cork(a.client, false);
  zn_stack_flush(p.a);
  ZT_EQ(data_frames(&p, &tos, &ttl), 1);
  th_pair_run(&p, ZN_MS(20));
  ZT_EQU(a.srv_rx, 3100);
  /* Corked again: a FIN lets the tail go at once. */
  zn_tcp_set_cork(a.client, true);
  ZT_EQ(zn_tcp_write(a.client, buf, 10), 10);
  zn_tcp_close(a.client);
  th_pair_run(&p, ZN_MS(20));
  ZT_EQU(a.srv_rx, 3110);
  ZT_EQ(a.srv_eof, 1);
  th_pair_free(&p);
}

/* ---- user timeout ---- */

/* B vanishes: with a user timeout of 3 s, A's connection ends with
 * ZN_ETIMEDOUT 3 s after its data went unacknowledged, not after
 * cfg.tcp_retries backed-off RTOs; the last resend is timed to it. */
ZT_TEST(test_user_timeout_ends_connection) {
  struct th_pair p;
  pair(&p);
  struct app a;
  const struct zn_tcp_opts uto = {.user_timeout_ms = 3000};
  establish(&p, &a, NULL, NULL, 0, &uto);
  ZT_EQ(zn_tcp_write(a.client, "hello", 5), 5);
  uint64_t t0 = p.now;
  uint64_t now = p.now;
  th_stack_run(p.a, &now, ZN_SEC(10)); /* B no longer polled */
  ZT_EQ(a.errors, 1);
  ZT_EQ(a.last_err, ZN_ETIMEDOUT);
  ZT_CHECK(a.err_at >= t0 + ZN_MS(3000));
  ZT_CHECK(a.err_at <= t0 + ZN_MS(3010));
  ZT_EQ(zn_stat(p.a, ZN_STAT_tcp_timeout), 1);
  zn_memlink_purge(&p.link);
  p.now = now;
  th_pair_free(&p);
}

/* Set in the middle of the retransmissions, a user timeout counts from
 * the first unacknowledged send all the same, as Linux's: 1 s set after
 * the second RTO (at 600 ms) ends the connection at the third (1.4 s). */
ZT_TEST(test_user_timeout_set_late_counts_from_start) {
  struct th_pair p;
  pair(&p);
  struct app a;
  establish(&p, &a, NULL, NULL, 0, NULL);
  ZT_EQ(zn_tcp_write(a.client, "hello", 5), 5);
  uint64_t t0 = p.now;
  uint64_t now = p.now;
  th_stack_run(p.a, &now, ZN_MS(700));
  ZT_EQ(a.errors, 0);
  ZT_EQU(a.client->rtx_count, 2);
  zn_tcp_set_user_timeout(a.client, 1000);
  th_stack_run(p.a, &now, ZN_SEC(5));
  ZT_EQ(a.last_err, ZN_ETIMEDOUT);
  ZT_CHECK(a.err_at >= t0 + ZN_MS(1400));
  ZT_CHECK(a.err_at <= t0 + ZN_MS(1410));
  zn_memlink_purge(&p.link);
  th_pair_free(&p);
}

/* With keepalive, a peer silent for the user timeout after a probe went
 * unanswered ends the connection (instead of keepcnt probes: 9 here). */
ZT_TEST(test_user_timeout_ends_keepalive) {
  struct th_pair p;
  pair(&p);
  struct app a;
  const struct zn_tcp_opts ka = {.user_timeout_ms = 2500,
                                 .keepidle_ms = 1000,
                                 .keepintvl_ms = 1000};
  uint64_t t0 = p.now; /* the handshake's: the last segment from B */
  establish(&p, &a, NULL, NULL, 0, &ka);
  uint64_t now = p.now;
  th_stack_run(p.a, &now, ZN_SEC(20));
  ZT_EQ(a.last_err, ZN_ETIMEDOUT);
  ZT_CHECK(a.err_at >= t0 + ZN_MS(2500)); /* probes at 1 s and 2 s, */
  ZT_CHECK(a.err_at <= t0 + ZN_MS(3010)); /* gone at the third */
  zn_memlink_purge(&p.link);
  th_pair_free(&p);
}

/* Without one, the keepalive count decides, as before. */
ZT_TEST(test_keepalive_count_without_user_timeout) {
  struct th_pair p;
  pair(&p);
  struct app a;
  const struct zn_tcp_opts ka = {
      .keepidle_ms = 1000, .keepintvl_ms = 1000, .keepcnt = 4};
  uint64_t t0 = p.now;
  establish(&p, &a, NULL, NULL, 0, &ka);
  uint64_t now = p.now;
  th_stack_run(p.a, &now, ZN_SEC(20));
  ZT_EQ(a.last_err, ZN_ETIMEDOUT);
  ZT_CHECK(a.err_at >= t0 + ZN_MS(4990)); /* 4 probes, 1 s apart */
  ZT_CHECK(a.err_at <= t0 + ZN_MS(5010));
  zn_memlink_purge(&p.link);
  th_pair_free(&p);
}

/* ---- buffers, backlog ---- */

/* A larger receive buffer opens the window at once (announced), up to
 * what the agreed scale expresses; a smaller one never takes back what
 * was advertised.  A larger send buffer wakes a writer that fell short. */
ZT_TEST(test_set_bufsizes_window_and_writable) {
  struct th_pair p;
  pair(&p);
  struct app a;
  const struct zn_tcp_opts small = {.sndbuf = 4000, .rcvbuf = 8000};
  establish(&p, &a, &small, NULL, 0, &small);
  struct zn_tcp_info i;
  zn_tcp_get_info(a.server, &i);
  ZT_EQ(i.rcv_wscale, 0);
  ZT_EQU(i.rcv_wnd, 8000);
  ZT_EQ(zn_tcp_set_bufsizes(a.server, 0, 60000), ZN_OK);
  zn_stack_flush(p.b);
  ZT_EQ(p.link.a.rxq.count, 1); /* the window update */
  zn_tcp_get_info(a.server, &i);
  ZT_EQU(i.rcv_wnd, 60000);
  ZT_EQU(i.rcvbuf, 60000);
  ZT_EQ(zn_tcp_set_bufsizes(a.server, 0, 1u << 20), ZN_OK);
  zn_tcp_get_info(a.server, &i);
  ZT_EQU(i.rcv_wnd, 65535); /* no scale agreed: 16 bits */
  th_pair_run(&p, ZN_MS(10));
  zn_tcp_get_info(a.client, &i);
  ZT_EQU(i.snd_wnd, 65535);
  ZT_EQ(zn_tcp_set_bufsizes(a.server, 0, 1000), ZN_OK);
  zn_tcp_get_info(a.server, &i);
  ZT_EQU(i.rcv_wnd, 65535); /* RFC 9293 §3.8.6: not shrunk */
  ZT_EQ(zn_tcp_set_bufsizes(a.server, (1u << 30) + 1, 0), ZN_EINVAL);
  /* The sender: 4000 bytes of send buffer, a write of 6000 falls short. */
  static uint8_t buf[6000];
  ZT_EQ(zn_tcp_write(a.client, buf, sizeof(buf)), 4000);
  ZT_EQ(zn_tcp_set_bufsizes(a.client, 10000, 0), ZN_OK);
  ZT_EQ(a.writable, 0); /* no callback inside the call */
  zn_stack_poll(p.a, p.now);
  ZT_EQ(a.writable, 1);
  ZT_EQU(zn_tcp_writable(a.client), 6000);
  th_pair_free(&p);
}

/* listen() again: the backlog changes; only on a listener. */
ZT_TEST(test_set_backlog_changes_listener) {
  struct th_pair p;
  pair(&p);
  struct app a;
  establish(&p, &a, NULL, NULL, 0, NULL);
  ZT_EQ(zn_tcp_set_backlog(a.listener, 1), ZN_OK);
  struct zn_tcp_info i;
  zn_tcp_get_info(a.listener, &i);
  ZT_EQU(i.backlog, 1);
  ZT_EQ(zn_tcp_set_backlog(a.listener, 0), ZN_OK);
  zn_tcp_get_info(a.listener, &i);
  ZT_EQU(i.backlog, p.b->cfg.tcp_backlog);
  ZT_EQ(zn_tcp_set_backlog(a.server, 1), ZN_EINVAL);
  /* With backlog 1, a second connection waits unaccepted. */
  struct zn_tcp_callbacks no_accept = cbs;
  no_accept.on_accept = NULL;
  zn_tcp_set_callbacks(a.listener, &no_accept, &a);
  ZT_EQ(zn_tcp_set_backlog(a.listener, 1), ZN_OK);
  struct zn_tcp_conn *c1, *c2;
  ZT_EQ(zn_tcp_connect(p.a, TH_IP(IP_B), 80, &cbs, &a, &c1), ZN_OK);
  ZT_EQ(zn_tcp_connect(p.a, TH_IP(IP_B), 80, &cbs, &a, &c2), ZN_OK);
  th_pair_run(&p, ZN_MS(20));
  zn_tcp_get_info(a.listener, &i);
  ZT_EQU(i.accept_queued, 1);
  ZT_EQU(zn_tcp_accept_pending(a.listener), 1);
  ZT_EQU(zn_tcp_accept_pending(a.server), 0);
  ZT_EQ(zn_tcp_state(a.listener), ZN_TCP_LISTEN);
  ZT_EQ(zn_tcp_state(a.server), ZN_TCP_ESTABLISHED);
  ZT_EQU(zn_stat(p.b, ZN_STAT_tcp_drop_acceptq) +
                 zn_stat(p.b, ZN_STAT_tcp_drop_acceptq_syn) >
             0,
         1);
  th_pair_free(&p);
}

/* ---- info ---- */

/* The TCP_INFO-like fields: what flight, RTT and path say on a plain
 * connection after a transfer. */
ZT_TEST(test_info_reports_flight_and_path) {
  struct th_pair p;
  pair(&p);
  struct app a;
  establish(&p, &a, NULL, NULL, 0, NULL);
  static uint8_t buf[20000];
  ZT_EQ(zn_tcp_write(a.client, buf, sizeof(buf)), (long)sizeof(buf));
  th_pair_run(&p, ZN_MS(50));
  struct zn_tcp_info i;
  zn_tcp_get_info(a.client, &i);
  ZT_CHECK(i.wscale && i.ts && i.sack);
  ZT_EQU(i.pmtu, 1500);
  ZT_CHECK(i.min_rtt_us <= i.srtt_us);
  ZT_EQU(i.sacked + i.lost + i.retrans, 0);
  ZT_EQ(i.backoff, 0);
  ZT_EQ(i.probes, 0);
  ZT_CHECK(i.last_data_sent_ms <= 50);
  ZT_CHECK(i.last_rcv_ms <= 50);
  ZT_EQU(i.sndbuf, p.a->cfg.tcp_sndbuf);
  ZT_EQU(i.rcvbuf, p.a->cfg.tcp_rcvbuf);
  ZT_CHECK(!i.nodelay && !i.cork);
  ZT_EQU(i.keepidle_ms, 0);
  zn_tcp_get_info(a.server, &i);
  ZT_EQU(i.rcv_mss, 1460); /* 1448 bytes and the timestamps, an MSS */
  th_pair_free(&p);
}

int main(void) {
  ZT_RUN(test_connect_opts_bound_source_used);
  ZT_RUN(test_connect_opts_bad_source_refused);
  ZT_RUN(test_connect_opts_port_in_use_refused);
  ZT_RUN(test_connect_opts_reuseaddr_over_time_wait);
  ZT_RUN(test_listen_opts_port_0_picks_ephemeral);
  ZT_RUN(test_listen_opts_reuseaddr_over_time_wait);
  ZT_RUN(test_listen_opts_v6only_beside_v4);
  ZT_RUN(test_connect_opts_bound_loopback);
  ZT_RUN(test_accepted_inherit_listener_opts);
  ZT_RUN(test_set_tos_ttl_change_segments);
  ZT_RUN(test_cork_holds_partial_segment);
  ZT_RUN(test_user_timeout_ends_connection);
  ZT_RUN(test_user_timeout_set_late_counts_from_start);
  ZT_RUN(test_user_timeout_ends_keepalive);
  ZT_RUN(test_keepalive_count_without_user_timeout);
  ZT_RUN(test_set_bufsizes_window_and_writable);
  ZT_RUN(test_set_backlog_changes_listener);
  ZT_RUN(test_info_reports_flight_and_path);
  return zt_done();
}
