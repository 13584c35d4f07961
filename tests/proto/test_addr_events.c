/* Address events (zn_stack_set_addr_cb): when one of the stack's
 * addresses goes (a changed IPv4 address, a lost lease, a deleted or
 * expired IPv6 address), TCP connections bound to it fail with
 * ZN_EADDRNOTAVAIL, UDP sockets bound to it are told, listeners and
 * sockets on an unspecified address keep working on the new address, and
 * the application hears ADDED and REMOVED in order. */
#include <stdlib.h>

#include "proto6_util.h"
#include "znet/memlink.h"
#include "znet/tcp.h"
#include "znet/udp.h"

static const uint8_t G_A[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
static const uint8_t G_B[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 2};

struct evlog {
  int n;
  enum zn_addr_event ev[32];
  struct zn_ip addr[32];
  uint8_t prefix[32];
};

static void on_addr(struct zn_stack *st, void *arg, enum zn_addr_event ev,
                    const struct zn_ip *addr, uint8_t prefix) {
  (void)st;
  struct evlog *l = arg;
  if (l->n < 32) {
    l->ev[l->n] = ev;
    l->addr[l->n] = *addr;
    l->prefix[l->n] = prefix;
  }
  l->n++;
}

struct app {
  int connected, accepted, errors, last_err, closed;
  struct zn_tcp_conn *client;
};

static void c_connected(struct zn_tcp_conn *c, void *arg) {
  (void)c;
  ((struct app *)arg)->connected++;
}
static void c_error(struct zn_tcp_conn *c, void *arg, int err) {
  (void)c;
  struct app *a = arg;
  a->errors++;
  a->last_err = err;
}
static void c_closed(struct zn_tcp_conn *c, void *arg) {
  (void)c;
  ((struct app *)arg)->closed++;
}
static const struct zn_tcp_callbacks cli_cb = {
    .on_connected = c_connected, .on_error = c_error, .on_closed = c_closed};

static void l_accept(struct zn_tcp_conn *l, void *arg) {
  struct app *a = arg;
  struct zn_tcp_conn *c;
  while (zn_tcp_accept(l, &c) == ZN_OK)
    a->accepted++;
}
static const struct zn_tcp_callbacks srv_cb = {.on_accept = l_accept};

struct uerr {
  int n, err;
  struct zn_ip addr;
};
static void on_uerr(struct zn_udp_sock *s, void *arg, int err,
                    const struct zn_ip *addr, uint16_t port) {
  (void)s;
  (void)port;
  struct uerr *u = arg;
  u->n++;
  u->err = err;
  u->addr = *addr;
}

/* An application that closes the socket from its error callback. */
static void on_uerr_close(struct zn_udp_sock *s, void *arg, int err,
                          const struct zn_ip *addr, uint16_t port) {
  on_uerr(s, arg, err, addr, port);
  zn_udp_close(s);
}

/* IPv4: A's address changes from 10.0.0.1 to 10.0.0.3 (as a new lease
 * would change it). */
ZT_TEST(test_ipv4_change_fails_bound_conns_keeps_listeners) {
  struct th_pair p;
  th_pair_init(&p, NULL, NULL);
  ZT_REQUIRE(p.a && p.b);
  struct evlog ev = {0};
  zn_stack_set_addr_cb(p.a, on_addr, &ev);
  struct app ca = {0}, sa = {0}, sb = {0};
  struct zn_tcp_conn *la, *lb;
  ZT_EQ(zn_tcp_listen(p.a, NULL, 80, 0, &srv_cb, &sa, &la), ZN_OK);
  ZT_EQ(zn_tcp_listen(p.b, NULL, 80, 0, &srv_cb, &sb, &lb), ZN_OK);
  struct zn_ip b = zn_ip_from_v4(ZN_IPV4(10, 0, 0, 2));
  struct zn_ip a1 = zn_ip_from_v4(ZN_IPV4(10, 0, 0, 1));
  struct zn_ip a3 = zn_ip_from_v4(ZN_IPV4(10, 0, 0, 3));
  ZT_EQ(zn_tcp_connect(p.a, &b, 80, &cli_cb, &ca, &ca.client), ZN_OK);
  struct zn_udp_sock *u_bound, *u_any;
  ZT_EQ(zn_udp_open(p.a, &u_bound), ZN_OK);
  ZT_EQ(zn_udp_open(p.a, &u_any), ZN_OK);
  ZT_EQ(zn_udp_bind(u_bound, &a1, 5000), ZN_OK);
  ZT_EQ(zn_udp_bind(u_any, NULL, 5001), ZN_OK);
  struct uerr e_bound = {0}, e_any = {0}, e_closing = {0};
  zn_udp_set_err_cb(u_bound, on_uerr, &e_bound);
  zn_udp_set_err_cb(u_any, on_uerr, &e_any);
  struct zn_udp_sock *u_closing;
  ZT_EQ(zn_udp_open(p.a, &u_closing), ZN_OK);
  ZT_EQ(zn_udp_bind(u_closing, &a1, 5002), ZN_OK);
  zn_udp_set_err_cb(u_closing, on_uerr_close, &e_closing);
  th_pair_run(&p, ZN_MS(50));
  ZT_EQ(ca.connected, 1);
  ZT_EQ(sb.accepted, 1);

  ZT_EQ(zn_stack_set_ipv4(p.a, ZN_IPV4(10, 0, 0, 3), 24, 0), ZN_OK);
  /* The change is made at once; no callback runs inside the call. */
  ZT_EQ(zn_stat(p.a, ZN_STAT_tcp_addr_removed), 1);
  ZT_EQ(zn_stat(p.a, ZN_STAT_udp_addr_removed), 2);
  ZT_EQ(ca.errors, 0);
  ZT_EQ(e_bound.n + e_closing.n + ev.n, 0);
  ZT_EQ(zn_stack_next_deadline(p.a), zn_stack_now(p.a)); /* they are due */
  zn_stack_poll(p.a, zn_stack_now(p.a));
  ZT_EQ(ca.errors, 1);
  ZT_EQ(ca.last_err, ZN_EADDRNOTAVAIL);
  ZT_EQ(zn_stat(p.a, ZN_STAT_tcp_addr_removed), 1);
  ZT_EQ(e_bound.n, 1);
  ZT_EQ(e_bound.err, ZN_EADDRNOTAVAIL);
  ZT_CHECK(zn_ip_eq(&e_bound.addr, &a1));
  ZT_EQ(e_any.n, 0);
  ZT_EQ(e_closing.n, 1); /* and its slot back in the table: */
  struct zn_udp_sock *u_again;
  ZT_EQ(zn_udp_open(p.a, &u_again), ZN_OK);
  ZT_CHECK(u_again == u_closing);
  zn_udp_close(u_again);
  ZT_EQ(zn_stat(p.a, ZN_STAT_udp_addr_removed), 2);
  ZT_EQ(ev.n, 2);
  ZT_EQ(ev.ev[0], ZN_ADDR_REMOVED);
  ZT_CHECK(zn_ip_eq(&ev.addr[0], &a1));
  ZT_EQ(ev.ev[1], ZN_ADDR_ADDED);
  ZT_CHECK(zn_ip_eq(&ev.addr[1], &a3));
  ZT_EQ(ev.prefix[1], 24);
  /* Setting the same address again is no event. */
  ZT_EQ(zn_stack_set_ipv4(p.a, ZN_IPV4(10, 0, 0, 3), 24, 0), ZN_OK);
  zn_stack_poll(p.a, zn_stack_now(p.a));
  ZT_EQ(ev.n, 2);

  /* A's listener on the unspecified address takes the new address. */
  struct app cb2 = {0};
  struct zn_tcp_conn *c2;
  ZT_EQ(zn_tcp_connect(p.b, &a3, 80, &cli_cb, &cb2, &c2), ZN_OK);
  th_pair_run(&p, ZN_MS(50));
  ZT_EQ(cb2.connected, 1);
  ZT_EQ(sa.accepted, 1);
  /* And A connects again, from the new address. */
  struct app ca2 = {0};
  ZT_EQ(zn_tcp_connect(p.a, &b, 80, &cli_cb, &ca2, &ca2.client), ZN_OK);
  th_pair_run(&p, ZN_MS(50));
  ZT_EQ(ca2.connected, 1);
  ZT_EQ(ca2.errors, 0);

  /* Removing the address (a lost lease): no ADDED, one REMOVED. */
  ZT_EQ(zn_stack_set_ipv4(p.a, 0, 0, 0), ZN_OK);
  ZT_EQ(ev.n, 2);
  zn_stack_poll(p.a, zn_stack_now(p.a));
  ZT_EQ(ev.n, 3);
  ZT_EQ(ev.ev[2], ZN_ADDR_REMOVED);
  ZT_CHECK(zn_ip_eq(&ev.addr[2], &a3));
  ZT_EQ(ca2.last_err, ZN_EADDRNOTAVAIL);
  zn_udp_close(u_bound);
  zn_udp_close(u_any);
  zn_tcp_close(la);
  zn_tcp_close(lb);
  th_pair_run(&p, ZN_SEC(130));
  th_pair_free(&p);
}

/* IPv6: a static address deleted; one added becomes ADDED only once DAD
 * is over. */
ZT_TEST(test_ipv6_delete_fails_bound_conns_added_after_dad) {
  struct th_pair p;
  pair6(&p, G_A, G_B);
  ZT_REQUIRE(p.a && p.b);
  struct evlog ev = {0};
  zn_stack_set_addr_cb(p.a, on_addr, &ev);
  struct app ca = {0}, sb = {0};
  struct zn_tcp_conn *lb;
  ZT_EQ(zn_tcp_listen(p.b, NULL, 80, 0, &srv_cb, &sb, &lb), ZN_OK);
  struct zn_ip b = zn_ip_from_v6(G_B), a = zn_ip_from_v6(G_A);
  ZT_EQ(zn_tcp_connect(p.a, &b, 80, &cli_cb, &ca, &ca.client), ZN_OK);
  th_pair_run(&p, ZN_MS(50));
  ZT_EQ(ca.connected, 1);
  /* The addresses so far: A's link-local one, ADDED at its first poll
   * (its static one was added before the callback was set). */
  ZT_EQ(ev.n, 1);
  ZT_EQ(ev.ev[0], ZN_ADDR_ADDED);
  ZT_CHECK(zn_ipv6_addr_is_linklocal(ev.addr[0].bytes));
  ZT_EQ(zn_stack_del_ipv6(p.a, &a), ZN_OK);
  ZT_EQ(ca.errors + ev.n, 1); /* nothing inside the call */
  zn_stack_poll(p.a, zn_stack_now(p.a));
  ZT_EQ(ca.errors, 1);
  ZT_EQ(ca.last_err, ZN_EADDRNOTAVAIL);
  ZT_EQ(ev.n, 2);
  ZT_EQ(ev.ev[1], ZN_ADDR_REMOVED);
  ZT_CHECK(zn_ip_eq(&ev.addr[1], &a));
  ZT_EQ(ev.prefix[1], 64);
  /* With DAD on, a new address is announced when it becomes usable. */
  p.a->cfg.ipv6_dad_transmits = 1;
  uint8_t g3[16];
  memcpy(g3, G_A, 16);
  g3[15] = 3;
  struct zn_ip a3 = zn_ip_from_v6(g3);
  ZT_EQ(zn_stack_add_ipv6(p.a, &a3, 64), ZN_OK);
  ZT_EQ(ev.n, 2);
  th_pair_run(&p, ZN_SEC(3));
  ZT_EQ(ev.n, 3);
  ZT_EQ(ev.ev[2], ZN_ADDR_ADDED);
  ZT_CHECK(zn_ip_eq(&ev.addr[2], &a3));
  zn_tcp_close(lb);
  th_pair_run(&p, ZN_SEC(130));
  th_pair_free(&p);
}

/* More changes between two polls than the queue holds: the first 16
 * are told in order at the next poll, the rest counted. */
ZT_TEST(test_addr_events_queue_bounded_in_order) {
  struct th_pair p;
  th_pair_init(&p, NULL, NULL);
  ZT_REQUIRE(p.a && p.b);
  struct evlog ev = {0};
  zn_stack_set_addr_cb(p.a, on_addr, &ev);
  th_pair_run(&p, ZN_MS(10));
  int before = ev.n;
  /* 10.0.0.1 -> .10 -> .11 ... -> .19: each a REMOVED and an ADDED. */
  for (uint32_t i = 0; i < 10; i++)
    ZT_EQ(zn_stack_set_ipv4(p.a, ZN_IPV4(10, 0, 0, 10 + i), 24, 0), ZN_OK);
  ZT_EQ(ev.n, before);
  zn_stack_poll(p.a, zn_stack_now(p.a));
  ZT_EQ(ev.n, before + 16);
  ZT_EQ(zn_stat(p.a, ZN_STAT_addr_event_dropped), 4);
  struct zn_ip first = zn_ip_from_v4(ZN_IPV4(10, 0, 0, 1));
  ZT_EQ(ev.ev[before], ZN_ADDR_REMOVED);
  ZT_CHECK(zn_ip_eq(&ev.addr[before], &first));
  for (int k = 0; k < 8; k++) {
    struct zn_ip x = zn_ip_from_v4(ZN_IPV4(10, 0, 0, 10 + (uint32_t)k));
    ZT_EQ(ev.ev[before + 1 + 2 * k], ZN_ADDR_ADDED);
    ZT_CHECK(zn_ip_eq(&ev.addr[before + 1 + 2 * k], &x));
  }
  zn_stack_poll(p.a, zn_stack_now(p.a));
  ZT_EQ(ev.n, before + 16);
  th_pair_free(&p);
}

int main(void) {
  ZT_RUN(test_ipv4_change_fails_bound_conns_keeps_listeners);
  ZT_RUN(test_ipv6_delete_fails_bound_conns_added_after_dad);
  ZT_RUN(test_addr_events_queue_bounded_in_order);
  return zt_done();
}
