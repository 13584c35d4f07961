/* Many connections: the table bound, and idle connections costing no
 * timer work at all. */
#include <stdlib.h>

#include "../proto/proto_util.h"
#include "core/stack_int.h"

static int accepted, connected;
static struct zn_tcp_conn *srv_conns[4000];
static void on_accept(struct zn_tcp_conn *l, void *arg) {
  (void)arg;
  struct zn_tcp_conn *c;
  while (zn_tcp_accept(l, &c) == ZN_OK)
    srv_conns[accepted++] = c;
}

static int tcp_timers_pending(const struct zn_stack *st) {
  int n = 0;
  for (uint32_t i = 0; i < st->cfg.tcp_conns; i++) {
    const struct zn_tcp_conn *c = &st->tcp.conns[i];
    n += zn_timer_pending(&c->rtx_timer) + zn_timer_pending(&c->ack_timer) +
         zn_timer_pending(&c->misc_timer);
  }
  return n;
}
static void on_connected(struct zn_tcp_conn *c, void *arg) {
  (void)c;
  (void)arg;
  connected++;
}
static const struct zn_tcp_callbacks srv = {.on_accept = on_accept};
static const struct zn_tcp_callbacks cli = {.on_connected = on_connected};

ZT_TEST(test_idle_connections_no_timer_work) {
  enum { N = 3000 };
  struct zn_config ca, cb;
  th_config(&ca, IP_A, 24, 1);
  th_config(&cb, IP_B, 24, 2);
  ca.arp_announce = cb.arp_announce = false;
  ca.tcp_conns = N;
  cb.tcp_conns = N + 1; /* the listener and N connections */
  cb.tcp_backlog = N;
  ca.nbufs = cb.nbufs = 4096;
  struct th_pair p;
  th_pair_init(&p, &ca, &cb);
  ZT_REQUIRE(p.a && p.b);
  zn_stack_poll(p.a, 0);
  zn_stack_poll(p.b, 0);
  struct zn_tcp_conn *l;
  ZT_EQ(zn_tcp_listen(p.b, 0, 80, N, &srv, NULL, &l), ZN_OK);
  static struct zn_tcp_conn *c[N];
  for (int i = 0; i < N; i++) {
    ZT_EQ(zn_tcp_connect(p.a, IP_B, 80, &cli, NULL, &c[i]), ZN_OK);
    if (i % 100 == 99)
      th_pair_run(&p, ZN_MS(5));
  }
  th_pair_run(&p, ZN_SEC(1));
  ZT_EQ(connected, N);
  ZT_EQ(accepted, N);
  /* Both tables are full now: the next connection is refused at once. */
  struct zn_tcp_conn *y;
  ZT_EQ(zn_tcp_connect(p.a, IP_B, 80, &cli, NULL, &y), ZN_ENOMEM);
  ZT_EQU(zn_stat(p.a, ZN_STAT_tcp_table_full), 1);
  /* Idle: no TCP timer is armed for any of them; the only timer left on
   * each stack is the ARP entry of the other, aging. */
  ZT_EQ(tcp_timers_pending(p.a), 0);
  ZT_EQ(tcp_timers_pending(p.b), 0);
  ZT_EQ(p.a->wheel.count, 1);
  ZT_EQ(p.b->wheel.count, 1);
  printf("# %d idle connections; %zu bytes of control block each\n", N,
         sizeof(struct zn_tcp_conn));
  /* With keepalive on, one timer each. */
  for (int i = 0; i < N; i++)
    zn_tcp_set_keepalive(c[i], 60000, 10000, 3);
  ZT_EQ(tcp_timers_pending(p.a), N);
  /* Tear down in batches the link's queue (256 frames) can carry. */
  for (int i = 0; i < N; i++) {
    zn_tcp_abort(c[i]);
    if (i % 100 == 99)
      th_pair_run(&p, ZN_MS(5));
  }
  th_pair_run(&p, ZN_MS(100));
  ZT_EQU(zn_stat(p.b, ZN_STAT_tcp_rst_rx), N);
  for (int i = 0; i < accepted; i++)
    zn_tcp_close(srv_conns[i]);
  zn_tcp_close(l);
  th_pair_run(&p, ZN_SEC(1));
  ZT_EQ(p.a->tcp.nused, 0);
  ZT_EQ(p.b->tcp.nused, 0);
  th_pair_free(&p);
}

int main(void) {
  ZT_RUN(test_idle_connections_no_timer_work);
  return zt_done();
}
