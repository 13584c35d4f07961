/* The connection race of dns/connect.c (RFC 8305 §5): two stacks
 * over memlink, A (10.0.0.1, 2001:db8::1) racing to B (10.0.0.2,
 * 2001:db8::2) over IPv6 first, then IPv4. */
#include <stdlib.h>

#include "../proto/proto6_util.h"
#include "znet/dns.h"
#include "znet/tcp.h"

static const uint8_t G_A[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
static const uint8_t G_B[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 2};
static const uint8_t G_NOBODY[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 0x99};

struct app {
  int accepted;       /* on B */
  int connected;      /* on A, through the race */
  int failed;
  int fail_err;
  struct zn_tcp_conn *conn;
  struct zn_tcp_info info;
  uint64_t connected_at;
  struct th_pair *p;
};

static void srv_accept(struct zn_tcp_conn *l, void *arg) {
  struct app *app = arg;
  struct zn_tcp_conn *c;
  while (zn_tcp_accept(l, &c) == ZN_OK) {
    app->accepted++;
    zn_tcp_close(c);
  }
}

static void cli_connected(struct zn_tcp_conn *c, void *arg) {
  struct app *app = arg;
  app->connected++;
  app->conn = c;
  app->connected_at = app->p->now;
  zn_tcp_get_info(c, &app->info);
  zn_tcp_close(c);
}

static void race_failed(struct zn_dns_race *race, void *arg, int err) {
  struct app *app = arg;
  (void)race;
  app->failed++;
  app->fail_err = err;
}

static const struct zn_tcp_callbacks srv_cb = {.on_accept = srv_accept};
static const struct zn_tcp_callbacks cli_cb = {.on_connected = cli_connected};

struct fix {
  struct th_pair p;
  struct app app;
  struct zn_tcp_conn *l;
  struct zn_dns_race race;
  uint64_t t0;
};

/* B listens on port 80 at listen_addr (NULL: both families; or none if
 * listen is false); A races to v6 then 10.0.0.2. */
static void start(struct fix *f, const uint8_t *v6, bool listen,
                  const struct zn_ip *listen_addr) {
  memset(&f->app, 0, sizeof(f->app));
  pair6(&f->p, G_A, G_B);
  ZT_REQUIRE(f->p.a && f->p.b);
  f->app.p = &f->p;
  th_pair_run(&f->p, ZN_MS(1));
  f->l = NULL;
  if (listen)
    ZT_EQ(zn_tcp_listen(f->p.b, listen_addr, 80, 0, &srv_cb, &f->app, &f->l),
          ZN_OK);
  struct zn_ip addrs[2] = {zn_ip_from_v6(v6),
                           zn_ip_from_v4(ZN_IPV4(10, 0, 0, 2))};
  struct zn_dns_race_cfg rc = {.addrs = addrs,
                               .naddr = 2,
                               .port = 80,
                               .cb = &cli_cb,
                               .arg = &f->app,
                               .fail = race_failed};
  f->t0 = f->p.now;
  ZT_EQ(zn_dns_race_start(f->p.a, &rc, &f->race), ZN_OK);
}

static void stop(struct fix *f) {
  th_pair_run(&f->p, ZN_SEC(10));
  ZT_CHECK(zn_dns_race_idle(&f->race));
  if (f->l)
    zn_tcp_close(f->l);
  th_pair_run(&f->p, ZN_SEC(70));
  th_pair_free(&f->p);
}

/* IPv6 answers: it wins and IPv4 is never tried. */
ZT_TEST(test_race_ipv6_wins_ipv4_never_tried) {
  struct fix f;
  start(&f, G_B, true, NULL);
  th_pair_run(&f.p, ZN_MS(100));
  ZT_EQ(f.app.connected, 1);
  ZT_EQ(f.app.info.raddr.family, ZN_AF_INET6);
  th_pair_run(&f.p, ZN_SEC(1));
  ZT_EQ(f.app.accepted, 1); /* no second connection came */
  ZT_EQ(f.app.failed, 0);
  stop(&f);
}

/* IPv6 refused (RST): IPv4 starts at once, long before the delay. */
ZT_TEST(test_race_ipv6_refused_moves_on_at_once) {
  struct fix f;
  struct zn_ip any4 = zn_ip_from_v4(0);
  start(&f, G_B, true, &any4); /* IPv4 only: the IPv6 SYN gets a RST */
  th_pair_run(&f.p, ZN_MS(100));
  ZT_EQ(f.app.connected, 1);
  ZT_EQ(f.app.info.raddr.family, ZN_AF_INET);
  ZT_CHECK(f.app.connected_at - f.t0 < ZN_MS(ZN_DNS_CONNECT_DELAY_MS));
  ZT_EQ(f.app.failed, 0);
  stop(&f);
}

/* IPv6 silent (nobody holds the address): IPv4 starts after the 250 ms
 * Connection Attempt Delay and wins; the IPv6 attempt is aborted. */
ZT_TEST(test_race_ipv6_silent_ipv4_after_delay) {
  struct fix f;
  start(&f, G_NOBODY, true, NULL);
  th_pair_run(&f.p, ZN_MS(ZN_DNS_CONNECT_DELAY_MS - 10));
  ZT_EQ(f.app.connected, 0);
  ZT_CHECK(!zn_dns_race_idle(&f.race));
  th_pair_run(&f.p, ZN_MS(100));
  ZT_EQ(f.app.connected, 1);
  ZT_EQ(f.app.info.raddr.family, ZN_AF_INET);
  ZT_CHECK(f.app.connected_at - f.t0 >= ZN_MS(ZN_DNS_CONNECT_DELAY_MS));
  th_pair_run(&f.p, ZN_SEC(30)); /* nothing more: the loser is gone */
  ZT_EQ(f.app.connected, 1);
  ZT_EQ(f.app.failed, 0);
  stop(&f);
}

/* Nobody listens: both refused, fail once with ECONNREFUSED. */
ZT_TEST(test_race_all_refused_fails_once) {
  struct fix f;
  start(&f, G_B, false, NULL);
  th_pair_run(&f.p, ZN_MS(100));
  ZT_EQ(f.app.connected, 0);
  ZT_EQ(f.app.failed, 1);
  ZT_EQ(f.app.fail_err, ZN_ECONNREFUSED);
  ZT_CHECK(zn_dns_race_idle(&f.race));
  stop(&f);
  ZT_EQ(f.app.failed, 1);
}

ZT_TEST(test_race_bad_cfg_rejected) {
  struct zn_dns_race race;
  struct zn_ip a = zn_ip_from_v4(ZN_IPV4(10, 0, 0, 2));
  struct zn_dns_race_cfg rc = {.addrs = &a, .naddr = 0, .port = 80,
                               .cb = &cli_cb};
  struct th_pair p;
  pair6(&p, G_A, G_B);
  ZT_REQUIRE(p.a);
  ZT_EQ(zn_dns_race_start(p.a, &rc, &race), ZN_EINVAL);
  rc.naddr = ZN_DNS_CONNECT_MAX + 1;
  ZT_EQ(zn_dns_race_start(p.a, &rc, &race), ZN_EINVAL);
  rc.naddr = 1;
  rc.port = 0;
  ZT_EQ(zn_dns_race_start(p.a, &rc, &race), ZN_EINVAL);
  th_pair_free(&p);
}

int main(void) {
  ZT_RUN(test_race_ipv6_wins_ipv4_never_tried);
  ZT_RUN(test_race_ipv6_refused_moves_on_at_once);
  ZT_RUN(test_race_ipv6_silent_ipv4_after_delay);
  ZT_RUN(test_race_all_refused_fails_once);
  ZT_RUN(test_race_bad_cfg_rejected);
  return zt_done();
}
