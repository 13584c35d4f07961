/* TCP between two stacks over memlink: handshake, transfer both ways,
 * close, with and without faults. */
#include <stdlib.h>

#include "../proto/proto_util.h"
#include "core/stack_int.h"
#include "znet/fault.h"

struct app {
  struct zn_tcp_conn *listener, *server, *client;
  int connected, accepted, closed, errors, last_err;
  size_t srv_rx, cli_rx;
  uint8_t *srv_buf, *cli_buf;
  size_t cap;
  int srv_eof, cli_eof;
  bool echo;        /* server echoes what it reads */
  bool srv_close_on_eof;
};

static void on_accept(struct zn_tcp_conn *l, void *arg) {
  struct app *a = arg;
  struct zn_tcp_conn *c;
  while (zn_tcp_accept(l, &c) == ZN_OK) {
    a->server = c;
    a->accepted++;
  }
}

static void srv_readable(struct zn_tcp_conn *c, void *arg) {
  struct app *a = arg;
  uint8_t buf[4096];
  long n;
  while ((n = zn_tcp_read(c, buf, sizeof(buf))) > 0) {
    if (a->srv_rx + (size_t)n <= a->cap)
      memcpy(a->srv_buf + a->srv_rx, buf, (size_t)n);
    a->srv_rx += (size_t)n;
    if (a->echo)
      zn_tcp_write(c, buf, (size_t)n);
  }
  if (n == 0 && !a->srv_eof) {
    a->srv_eof = 1;
    if (a->srv_close_on_eof)
      zn_tcp_close(c);
  }
}

static void cli_readable(struct zn_tcp_conn *c, void *arg) {
  struct app *a = arg;
  uint8_t buf[4096];
  long n;
  while ((n = zn_tcp_read(c, buf, sizeof(buf))) > 0) {
    if (a->cli_rx + (size_t)n <= a->cap)
      memcpy(a->cli_buf + a->cli_rx, buf, (size_t)n);
    a->cli_rx += (size_t)n;
  }
  if (n == 0)
    a->cli_eof = 1;
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

static const struct zn_tcp_callbacks srv_cbs = {
    .on_accept = on_accept, .on_readable = srv_readable,
    .on_error = on_error, .on_closed = on_closed};
static const struct zn_tcp_callbacks cli_cbs = {
    .on_connected = on_connected, .on_readable = cli_readable,
    .on_error = on_error, .on_closed = on_closed};

static void cfgs(struct zn_config *ca, struct zn_config *cb) {
  th_config(ca, IP_A, 24, 1);
  th_config(cb, IP_B, 24, 2);
  ca->arp_announce = cb->arp_announce = false;
  ca->nbufs = cb->nbufs = 1024;
}

static uint8_t *pattern(size_t n, unsigned seed) {
  uint8_t *p = malloc(n);
  uint32_t x = seed * 2654435761u + 1;
  for (size_t i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    p[i] = (uint8_t)x;
  }
  return p;
}

ZT_TEST(test_handshake_echo_close) {
  struct th_pair p;
  struct zn_config ca, cb;
  cfgs(&ca, &cb);
  th_pair_init(&p, &ca, &cb);
  ZT_REQUIRE(p.a && p.b);
  zn_stack_poll(p.a, 0);
  zn_stack_poll(p.b, 0);
  struct app a;
  memset(&a, 0, sizeof(a));
  a.cap = 1 << 20;
  a.srv_buf = malloc(a.cap);
  a.cli_buf = malloc(a.cap);
  a.echo = true;
  a.srv_close_on_eof = true;
  ZT_EQ(zn_tcp_listen(p.b, 0, 7, 0, &srv_cbs, &a, &a.listener), ZN_OK);
  ZT_EQ(zn_tcp_connect(p.a, IP_B, 7, &cli_cbs, &a, &a.client), ZN_OK);
  th_pair_run(&p, ZN_MS(50));
  ZT_EQ(a.connected, 1);
  ZT_EQ(a.accepted, 1);
  struct zn_tcp_info info;
  zn_tcp_get_info(a.client, &info);
  ZT_EQ(info.state, ZN_TCP_ESTABLISHED);
  ZT_CHECK(info.ts && info.sack);
  ZT_EQ(info.mss, 1460);
  ZT_EQ(zn_tcp_write(a.client, "hello, world", 12), 12);
  th_pair_run(&p, ZN_MS(100));
  ZT_EQU(a.srv_rx, 12);
  ZT_EQU(a.cli_rx, 12);
  ZT_MEMEQ(a.cli_buf, "hello, world", 12);
  /* Close from the client: the server sees EOF, closes; both go. */
  zn_tcp_close(a.client);
  th_pair_run(&p, ZN_SEC(1));
  ZT_EQ(a.srv_eof, 1);
  ZT_EQ(a.closed, 2);
  ZT_EQ(a.errors, 0);
  /* TIME_WAIT on the client side ends after 2 MSL. */
  th_pair_run(&p, ZN_SEC(61));
  zn_tcp_close(a.listener);
  th_pair_run(&p, ZN_MS(10));
  ZT_EQ(a.closed, 3);
  ZT_EQ(p.a->tcp.nused, 0);
  ZT_EQ(p.b->tcp.nused, 0);
  ZT_EQU(zn_stat(p.a, ZN_STAT_tcp_impossible) + zn_stat(p.b, ZN_STAT_tcp_impossible), 0);
  free(a.srv_buf);
  free(a.cli_buf);
  th_pair_free(&p);
}

static void bulk(size_t n, uint32_t loss_ppm, uint32_t reorder_ppm,
                 uint32_t dup_ppm, uint64_t seed, uint8_t cc) {
  struct th_pair p;
  struct zn_config ca, cb;
  cfgs(&ca, &cb);
  ca.tcp_cc = cb.tcp_cc = cc;
  memset(&p, 0, sizeof(p));
  zn_memlink_init(&p.link, 0, 1024);
  p.a = th_stack_new(&ca);
  p.b = th_stack_new(&cb);
  struct zn_fault f;
  struct zn_fault_cfg fc;
  memset(&fc, 0, sizeof(fc));
  fc.seed = seed;
  fc.dirs = ZN_FAULT_RX | ZN_FAULT_TX;
  fc.loss_ppm = loss_ppm;
  fc.reorder_ppm = reorder_ppm;
  fc.reorder_delay_ns = ZN_MS(3);
  fc.dup_ppm = dup_ppm;
  fc.delay_ns = ZN_MS(5);
  fc.max_held = 4096;
  zn_fault_init(&f, &p.link.a.nif, &fc);
  zn_stack_attach(p.a, &f.nif);
  zn_stack_attach(p.b, &p.link.b.nif);
  zn_stack_poll(p.a, 0);
  zn_stack_poll(p.b, 0);
  struct app a;
  memset(&a, 0, sizeof(a));
  a.cap = n;
  a.srv_buf = malloc(n);
  a.cli_buf = malloc(n);
  a.srv_close_on_eof = true;
  uint8_t *data = pattern(n, (unsigned)seed);
  zn_tcp_listen(p.b, 0, 9, 0, &srv_cbs, &a, &a.listener);
  zn_tcp_connect(p.a, IP_B, 9, &cli_cbs, &a, &a.client);
  size_t sent = 0;
  uint64_t start = p.now;
  for (int i = 0; i < 200000 && !(a.srv_eof && a.closed >= 2); i++) {
    if (a.connected && sent < n) {
      long w = zn_tcp_write(a.client, data + sent, n - sent);
      if (w > 0)
        sent += (size_t)w;
      if (sent == n)
        zn_tcp_close(a.client);
    }
    th_pair_run(&p, ZN_MS(1));
  }
  ZT_EQU(a.srv_rx, n);
  ZT_CHECK(a.srv_rx == n && memcmp(a.srv_buf, data, n) == 0);
  ZT_EQ(a.errors, 0);
  ZT_EQ(a.closed, 2);
  printf("# %zu bytes, loss %u ppm, reorder %u, dup %u, cc %s: %.3f s virtual, "
         "rtx %llu fast %llu rto %llu\n",
         n, loss_ppm, reorder_ppm, dup_ppm, cc ? "newreno" : "cubic",
         (double)(p.now - start) / 1e9,
         (unsigned long long)zn_stat(p.a, ZN_STAT_tcp_rtx),
         (unsigned long long)zn_stat(p.a, ZN_STAT_tcp_fast_rtx),
         (unsigned long long)zn_stat(p.a, ZN_STAT_tcp_rto));
  th_pair_run(&p, ZN_SEC(70));
  zn_tcp_close(a.listener);
  th_pair_run(&p, ZN_MS(10));
  zn_fault_purge(&f);
  free(data);
  free(a.srv_buf);
  free(a.cli_buf);
  th_pair_free(&p);
}

ZT_TEST(test_bulk_clean) { bulk(1 << 20, 0, 0, 0, 1, ZN_TCP_CC_CUBIC); }
ZT_TEST(test_bulk_loss_1pct) { bulk(1 << 20, 10000, 0, 0, 2, ZN_TCP_CC_CUBIC); }
ZT_TEST(test_bulk_loss_5pct_newreno) { bulk(1 << 19, 50000, 0, 0, 3, ZN_TCP_CC_NEWRENO); }
ZT_TEST(test_bulk_reorder_dup) { bulk(1 << 19, 5000, 50000, 20000, 4, ZN_TCP_CC_CUBIC); }

int main(void) {
  ZT_RUN(test_handshake_echo_close);
  ZT_RUN(test_bulk_clean);
  ZT_RUN(test_bulk_loss_1pct);
  ZT_RUN(test_bulk_loss_5pct_newreno);
  ZT_RUN(test_bulk_reorder_dup);
  return zt_done();
}
