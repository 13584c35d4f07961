/* TCP over the loopback networks, inside one stack: a listener bound to
 * 0.0.0.0, to 127.0.0.1 or to any address takes a connection to
 * 127.0.0.1; data both ways; the close; with and without an IPv4 address
 * configured; ::1 with IPv6 on.  Nothing goes on the wire. */
#include <stdlib.h>

#include "../proto/proto6_util.h"
#include "core/stack_int.h"
#include "tcp/tcp_int.h"

#define LO4 ZN_IPV4(127, 0, 0, 1)

static const uint8_t LO6[16] = {[15] = 1};

struct app {
  struct zn_tcp_conn *listener, *server, *client;
  int connected, accepted, closed, errors, last_err, srv_eof, cli_eof;
  uint8_t srv[8192], cli[8192];
  size_t srv_rx, cli_rx;
};

static void on_accept(struct zn_tcp_conn *l, void *arg) {
  struct app *a = arg;
  struct zn_tcp_conn *c;
  while (zn_tcp_accept(l, &c) == ZN_OK) {
    a->server = c;
    a->accepted++;
  }
}

static void take(struct zn_tcp_conn *c, uint8_t *buf, size_t *got, int *eof) {
  long n;
  while ((n = zn_tcp_read(c, buf + *got, 8192 - *got)) > 0)
    *got += (size_t)n;
  if (n == 0)
    *eof = 1;
}

static void on_readable(struct zn_tcp_conn *c, void *arg) {
  struct app *a = arg;
  if (c == a->client)
    take(c, a->cli, &a->cli_rx, &a->cli_eof);
  else
    take(c, a->srv, &a->srv_rx, &a->srv_eof);
}

static void on_connected(struct zn_tcp_conn *c, void *arg) {
  (void)c;
  ((struct app *)arg)->connected++;
}

static void on_error(struct zn_tcp_conn *c, void *arg, int err) {
  (void)c;
  struct app *a = arg;
  a->errors++;
  a->last_err = err;
}

static void on_closed(struct zn_tcp_conn *c, void *arg) {
  (void)c;
  ((struct app *)arg)->closed++;
}

static const struct zn_tcp_callbacks cbs = {
    .on_accept = on_accept,
    .on_connected = on_connected,
    .on_readable = on_readable,
    .on_error = on_error,
    .on_closed = on_closed};

/* A connection from an unbound client to dst:port, on st, whose
 * listener is bound to bind: established, data both ways, closed by the
 * client, the server closing on EOF; the client's source is want_src. */
static void round_trip(struct zn_stack *st, uint64_t *now,
                       const struct zn_ip *bind, const struct zn_ip *dst,
                       const struct zn_ip *want_src) {
  struct app a;
  memset(&a, 0, sizeof(a));
  ZT_REQUIRE(zn_tcp_listen(st, bind, 8080, 0, &cbs, &a, &a.listener) ==
             ZN_OK);
  ZT_REQUIRE(zn_tcp_connect(st, dst, 8080, &cbs, &a, &a.client) == ZN_OK);
  th_stack_run(st, now, ZN_MS(10));
  ZT_EQ(a.connected, 1);
  ZT_EQ(a.accepted, 1);
  ZT_REQUIRE(a.server);
  struct zn_tcp_info ci, si;
  zn_tcp_get_info(a.client, &ci);
  zn_tcp_get_info(a.server, &si);
  ZT_CHECK(zn_ip_eq(&ci.laddr, want_src));
  ZT_CHECK(zn_ip_eq(&ci.raddr, dst));
  ZT_CHECK(zn_ip_eq(&si.laddr, dst));
  ZT_CHECK(zn_ip_eq(&si.raddr, want_src));
  ZT_EQ(si.rport, ci.lport);
  static uint8_t big[6000];
  for (size_t i = 0; i < sizeof(big); i++)
    big[i] = (uint8_t)(i * 31 + 7);
  ZT_EQ(zn_tcp_write(a.client, big, sizeof(big)), (long)sizeof(big));
  ZT_EQ(zn_tcp_write(a.server, "pong", 4), 4);
  th_stack_run(st, now, ZN_MS(100));
  ZT_EQU(a.srv_rx, sizeof(big));
  ZT_MEMEQ(a.srv, big, sizeof(big));
  ZT_EQU(a.cli_rx, 4);
  ZT_MEMEQ(a.cli, "pong", 4);
  zn_tcp_close(a.client);
  th_stack_run(st, now, ZN_MS(100));
  ZT_EQ(a.srv_eof, 1);
  zn_tcp_close(a.server);
  zn_tcp_close(a.listener);
  th_stack_run(st, now, ZN_SEC(2) * 60 + ZN_SEC(1)); /* TIME_WAIT's 2 MSL */
  ZT_EQ(a.closed, 3);
  ZT_EQ(a.errors, 0);
  ZT_EQ(ZN__MOD(st, tcp)->nused, 0);
}

ZT_TEST(test_loopback_connect_each_binding) {
  struct zn_config c;
  cfg_quiet(&c, IP_B, 2);
  struct solo s;
  solo_b(&s, &c);
  ZT_REQUIRE(s.st);
  uint64_t now = 0;
  const struct zn_ip any4 = zn_ip_from_v4(0);
  const struct zn_ip *binds[] = {&any4, TH_IP(LO4), NULL};
  for (int i = 0; i < 3; i++)
    round_trip(s.st, &now, binds[i], TH_IP(LO4), TH_IP(LO4));
  /* Any 127/8 address: from 127.0.0.1, as Linux. */
  round_trip(s.st, &now, NULL, TH_IP(ZN_IPV4(127, 0, 0, 53)), TH_IP(LO4));
  ZT_EQ(sent_count(&s.link.b, 0), 0);
  ZT_EQU(zn_stat(s.st, ZN_STAT_tcp_impossible), 0);
  solo_free(&s);
}

/* Linux's lo is up whatever else is configured: a stack with no IPv4
 * address (and no netif) connects to itself over 127.0.0.1. */
ZT_TEST(test_loopback_connect_without_address) {
  struct zn_config c;
  cfg_quiet(&c, 0, 2);
  struct zn_stack *st = th_stack_new(&c);
  ZT_REQUIRE(st);
  uint64_t now = 0;
  round_trip(st, &now, NULL, TH_IP(LO4), TH_IP(LO4));
  th_stack_free(st);
}

/* A listener bound to our wire address does not take 127.0.0.1's
 * connections, nor one bound to 127.0.0.1 those to our address: the
 * client is refused (the RST loops back), as on Linux. */
ZT_TEST(test_loopback_other_binding_refused) {
  struct zn_config c;
  cfg_quiet(&c, IP_B, 2);
  struct solo s;
  solo_b(&s, &c);
  ZT_REQUIRE(s.st);
  uint64_t now = 0;
  struct app a;
  memset(&a, 0, sizeof(a));
  ZT_EQ(zn_tcp_listen(s.st, TH_IP(IP_B), 8080, 0, &cbs, &a, &a.listener),
        ZN_OK);
  ZT_EQ(zn_tcp_connect(s.st, TH_IP(LO4), 8080, &cbs, &a, &a.client), ZN_OK);
  th_stack_run(s.st, &now, ZN_MS(10));
  ZT_EQ(a.errors, 1);
  ZT_EQ(a.last_err, ZN_ECONNREFUSED);
  zn_tcp_close(a.client);
  zn_tcp_close(a.listener);
  memset(&a, 0, sizeof(a));
  ZT_EQ(zn_tcp_listen(s.st, TH_IP(LO4), 8080, 0, &cbs, &a, &a.listener),
        ZN_OK);
  ZT_EQ(zn_tcp_connect(s.st, TH_IP(IP_B), 8080, &cbs, &a, &a.client), ZN_OK);
  th_stack_run(s.st, &now, ZN_MS(10));
  ZT_EQ(a.last_err, ZN_ECONNREFUSED);
  zn_tcp_close(a.client);
  zn_tcp_close(a.listener);
  th_stack_run(s.st, &now, ZN_MS(10));
  ZT_EQ(sent_count(&s.link.b, 0), 0);
  solo_free(&s);
}

/* zn_tcp_listening_on answers as a SYN's lookup would: a listener bound
 * to 127.0.0.1 serves 127.0.0.1 only, one bound to 0.0.0.0 every
 * address of its port, none once closed. */
ZT_TEST(test_listening_on_as_a_syn_finds) {
  struct zn_config c;
  cfg_quiet(&c, IP_B, 2);
  struct solo s;
  solo_b(&s, &c);
  ZT_REQUIRE(s.st);
  uint64_t now = 0;
  struct app a;
  memset(&a, 0, sizeof(a));
  ZT_CHECK(!zn_tcp_listening_on(s.st, TH_IP(LO4), 8080));
  ZT_CHECK(!zn_tcp_listening_on(NULL, TH_IP(LO4), 8080));
  ZT_CHECK(!zn_tcp_listening_on(s.st, NULL, 8080));
  ZT_EQ(zn_tcp_listen(s.st, TH_IP(LO4), 8080, 0, &cbs, &a, &a.listener),
        ZN_OK);
  ZT_CHECK(zn_tcp_listening_on(s.st, TH_IP(LO4), 8080));
  ZT_CHECK(!zn_tcp_listening_on(s.st, TH_IP(IP_B), 8080));
  ZT_CHECK(!zn_tcp_listening_on(s.st, TH_IP(LO4), 8081));
  zn_tcp_close(a.listener);
  th_stack_run(s.st, &now, ZN_MS(10));
  ZT_CHECK(!zn_tcp_listening_on(s.st, TH_IP(LO4), 8080));
  ZT_EQ(zn_tcp_listen(s.st, NULL, 8081, 0, &cbs, &a, &a.listener), ZN_OK);
  ZT_CHECK(zn_tcp_listening_on(s.st, TH_IP(LO4), 8081));
  ZT_CHECK(zn_tcp_listening_on(s.st, TH_IP(IP_B), 8081));
  zn_tcp_close(a.listener);
  th_stack_run(s.st, &now, ZN_MS(10));
  solo_free(&s);
}

/* ::1 with IPv6 on: a listener bound to ::1 or to any address takes a
 * connection to ::1 from ::1. */
ZT_TEST(test_v6_loopback_connect) {
  struct zn_config c;
  cfg6(&c, 2);
  struct solo s;
  solo6(&s, &c);
  ZT_REQUIRE(s.st);
  uint64_t now = zn_stack_now(s.st);
  struct zn_ip lo6 = zn_ip_from_v6(LO6);
  round_trip(s.st, &now, &lo6, &lo6, &lo6);
  round_trip(s.st, &now, NULL, &lo6, &lo6);
  for (struct zn_buf *b = s.link.b.rxq.head; b; b = b->next)
    ZT_CHECK(b->len < 54 || (memcmp(b->data + 22, LO6, 16) != 0 &&
                             memcmp(b->data + 38, LO6, 16) != 0));
  solo_free(&s);
}

int main(void) {
  ZT_RUN(test_loopback_connect_each_binding);
  ZT_RUN(test_loopback_connect_without_address);
  ZT_RUN(test_loopback_other_binding_refused);
  ZT_RUN(test_listening_on_as_a_syn_finds);
  ZT_RUN(test_v6_loopback_connect);
  return zt_done();
}
