/* zn_tcp_serve: a listener that accepts for the caller, between two
 * stacks over memlink. */
#include <stdlib.h>

#include "../proto/proto_util.h"
#include "core/stack_int.h"
#include "internals.h"

struct srv {
  int conns, eofs, closed, readable_at_accept;
  size_t rx;
  bool refuse;
  struct zn_tcp_conn *last;
};

struct cli {
  struct zn_tcp_conn *c;
  int connected, errors, last_err, closed;
  size_t rx;
  char buf[256];
  const char *send_on_connect;
};

/* Echo what comes; close at the peer's FIN. */
static void srv_readable(struct zn_tcp_conn *c, void *arg) {
  struct srv *s = arg;
  uint8_t buf[512];
  long n;
  while ((n = zn_tcp_read(c, buf, sizeof buf)) > 0) {
    s->rx += (size_t)n;
    zn_tcp_write(c, buf, (size_t)n);
  }
  if (n == 0) {
    s->eofs++;
    zn_tcp_close(c);
  }
}

static void srv_closed(struct zn_tcp_conn *c, void *arg) {
  (void)c;
  ((struct srv *)arg)->closed++;
}

static void srv_conn(struct zn_tcp_conn *c, void *arg) {
  struct srv *s = arg;
  s->conns++;
  s->last = c;
  s->readable_at_accept += zn_tcp_readable(c) > 0;
  if (s->refuse)
    zn_tcp_abort(c);
}

static const struct zn_tcp_callbacks srv_cbs = {
    .on_readable = srv_readable, .on_closed = srv_closed};

static void cli_connected(struct zn_tcp_conn *c, void *arg) {
  struct cli *k = arg;
  k->connected++;
  if (k->send_on_connect)
    zn_tcp_write(c, k->send_on_connect, strlen(k->send_on_connect));
}

static void cli_readable(struct zn_tcp_conn *c, void *arg) {
  struct cli *k = arg;
  long n;
  while ((n = zn_tcp_read(c, k->buf + k->rx, sizeof k->buf - 1 - k->rx)) > 0)
    k->rx += (size_t)n;
}

static void cli_error(struct zn_tcp_conn *c, void *arg, int err) {
  (void)c;
  struct cli *k = arg;
  k->errors++;
  k->last_err = err;
}

static void cli_closed(struct zn_tcp_conn *c, void *arg) {
  (void)c;
  ((struct cli *)arg)->closed++;
}

static const struct zn_tcp_callbacks cli_cbs = {
    .on_connected = cli_connected, .on_readable = cli_readable,
    .on_error = cli_error, .on_closed = cli_closed};

static void pair(struct th_pair *p) {
  struct zn_config ca, cb;
  th_config(&ca, IP_A, 24, 1);
  th_config(&cb, IP_B, 24, 2);
  ca.arp_announce = cb.arp_announce = false;
  th_pair_init(p, &ca, &cb);
  zn_stack_poll(p->a, 0);
  zn_stack_poll(p->b, 0);
}

ZT_TEST(test_serve_echoes_then_closes_at_fin) {
  struct th_pair p;
  pair(&p);
  ZT_REQUIRE(p.a && p.b);
  struct srv s = {0};
  struct cli k = {0};
  struct zn_tcp_serve_opts o = {.port = 7, .cb = &srv_cbs, .arg = &s,
                                .on_conn = srv_conn};
  struct zn_tcp_conn *l;
  ZT_EQ(zn_tcp_serve(p.b, &o, &l), ZN_OK);
  ZT_EQ(zn_tcp_connect(p.a, TH_IP(IP_B), 7, &cli_cbs, &k, &k.c), ZN_OK);
  th_pair_run(&p, ZN_MS(50));
  ZT_EQ(k.connected, 1);
  ZT_EQ(s.conns, 1);
  ZT_EQ(zn_tcp_write(k.c, "hello", 5), 5);
  th_pair_run(&p, ZN_MS(50));
  ZT_EQU(k.rx, 5);
  ZT_MEMEQ(k.buf, "hello", 5);
  zn_tcp_close(k.c);
  th_pair_run(&p, ZN_SEC(1));
  ZT_EQ(s.eofs, 1);
  ZT_EQ(s.closed, 1);
  ZT_EQ(k.closed, 1);
  zn_tcp_close(l);
  th_pair_run(&p, ZN_SEC(61));
  ZT_EQ(ZN__MOD(p.a, tcp)->nused, 0);
  ZT_EQ(ZN__MOD(p.b, tcp)->nused, 0);
  th_pair_free(&p);
}

/* The client writes as soon as it is connected: its data reaches the
 * server with (or right after) the handshake's last ACK, while the
 * connection waits in the accept queue, and no later segment would
 * announce it again.  zn_tcp_serve delivers it at the accept. */
ZT_TEST(test_serve_delivers_data_sent_with_the_handshake) {
  struct th_pair p;
  pair(&p);
  ZT_REQUIRE(p.a && p.b);
  struct srv s = {0};
  struct cli k = {.send_on_connect = "early bird"};
  struct zn_tcp_serve_opts o = {.port = 80, .cb = &srv_cbs, .arg = &s,
                                .on_conn = srv_conn};
  ZT_EQ(zn_tcp_serve(p.b, &o, NULL), ZN_OK);
  ZT_EQ(zn_tcp_connect(p.a, TH_IP(IP_B), 80, &cli_cbs, &k, &k.c), ZN_OK);
  th_pair_run(&p, ZN_MS(100));
  ZT_EQ(s.conns, 1);
  ZT_EQ(s.readable_at_accept, 1); /* the case this test is about */
  ZT_EQU(k.rx, 10);
  ZT_MEMEQ(k.buf, "early bird", 10);
  th_pair_free(&p);
}

ZT_TEST(test_serve_on_conn_refuses_with_reset) {
  struct th_pair p;
  pair(&p);
  ZT_REQUIRE(p.a && p.b);
  struct srv s = {.refuse = true};
  struct cli k = {0};
  struct zn_tcp_serve_opts o = {.port = 7, .cb = &srv_cbs, .arg = &s,
                                .on_conn = srv_conn};
  ZT_EQ(zn_tcp_serve(p.b, &o, NULL), ZN_OK);
  ZT_EQ(zn_tcp_connect(p.a, TH_IP(IP_B), 7, &cli_cbs, &k, &k.c), ZN_OK);
  th_pair_run(&p, ZN_MS(50));
  ZT_EQ(s.conns, 1);
  ZT_EQ(k.errors, 1);
  ZT_EQ(k.last_err, ZN_ECONNRESET);
  ZT_EQ(zn_tcp_write(k.c, "x", 1), ZN_ECONNRESET);
  ZT_EQ(s.rx, 0);
  th_pair_free(&p);
}

ZT_TEST(test_serve_refuses_bad_arguments) {
  struct th_pair p;
  pair(&p);
  ZT_REQUIRE(p.b);
  struct zn_tcp_serve_opts o = {.port = 0, .cb = &srv_cbs};
  ZT_EQ(zn_tcp_serve(p.b, &o, NULL), ZN_EINVAL);
  ZT_EQ(zn_tcp_serve(p.b, NULL, NULL), ZN_EINVAL);
  o.port = 7;
  ZT_EQ(zn_tcp_serve(NULL, &o, NULL), ZN_EINVAL);
  ZT_EQ(zn_tcp_serve(p.b, &o, NULL), ZN_OK);
  ZT_EQ(zn_tcp_serve(p.b, &o, NULL), ZN_EADDRINUSE);
  th_pair_free(&p);
}

int main(void) {
  ZT_RUN(test_serve_echoes_then_closes_at_fin);
  ZT_RUN(test_serve_delivers_data_sent_with_the_handshake);
  ZT_RUN(test_serve_on_conn_refuses_with_reset);
  ZT_RUN(test_serve_refuses_bad_arguments);
  return zt_done();
}
