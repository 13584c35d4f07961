/* Pools of TLS sessions as stream makers (tls/tls_pool.c): a server pool
 * on B, a client pool on A, sessions made, used, given back; a full pool
 * refuses; bad arguments are refused. */
#include "tls_fixture.h"

#define POOL_PORT 853

struct pool_srv {
  struct zn_tls_pool pool;
  struct tside side[2];
  int made;
};

static void pool_accept(struct zn_tcp_conn *l, void *arg) {
  struct pool_srv *ps = arg;
  struct zn_tcp_conn *c;
  while (zn_tcp_accept(l, &c) == ZN_OK) {
    struct tside *d = &ps->side[ps->made & 1];
    struct zn_stream *s = zn_stream_make(&ps->pool.maker, c, &tf_cbs, d);
    if (s == NULL) {
      zn_tcp_abort(c);
      continue;
    }
    d->s = s;
    ps->made++;
  }
}

static const struct zn_tcp_callbacks pool_lcb = {.on_accept = pool_accept};

ZT_TEST(test_pools_make_and_take_back_sessions) {
  struct tpair t;
  tf_init(&t, NULL);
  static struct pool_srv ps;
  memset(&ps, 0, sizeof(ps));
  size_t sn = zn_tls_pool_mem_size(&t.scfg, 1);
  size_t cn = zn_tls_pool_mem_size(&t.ccfg, 2);
  ZT_CHECK(sn >= zn_tls_conn_size(&t.scfg));
  ZT_CHECK(cn >= 2 * zn_tls_conn_size(&t.ccfg));
  void *smem = aligned_alloc(64, (sn + 63) / 64 * 64);
  void *cmem = aligned_alloc(64, (cn + 63) / 64 * 64);
  struct zn_tls_pool cpool;
  ZT_EQ(zn_tls_pool_init(&ps.pool, &t.scfg, t.p.b, "localhost", smem, sn, 1),
        ZN_EINVAL);
  ZT_EQ(zn_tls_pool_init(&cpool, &t.ccfg, t.p.a, NULL, cmem, cn, 2), ZN_EINVAL);
  ZT_EQ(zn_tls_pool_init(&cpool, &t.ccfg, t.p.a, "localhost", cmem, cn - 1, 2),
        ZN_ENOMEM);
  ZT_EQ(zn_tls_pool_init(&cpool, &t.ccfg, t.p.a, "localhost",
                         (uint8_t *)cmem + 8, cn, 2),
        ZN_EINVAL);
  ZT_EQ(zn_tls_pool_init(&ps.pool, &t.scfg, t.p.b, NULL, smem, sn, 1), ZN_OK);
  ZT_EQ(zn_tls_pool_init(&cpool, &t.ccfg, t.p.a, "localhost", cmem, cn, 2),
        ZN_OK);
  struct zn_tcp_conn *l;
  ZT_EQ(zn_tcp_listen(t.p.b, NULL, POOL_PORT, 0, &pool_lcb, &ps, &l), ZN_OK);

  /* Two clients; the server pool has room for one session. */
  struct tside cli[2];
  memset(cli, 0, sizeof(cli));
  static const uint8_t msg[] = "over a pooled session";
  struct tsend snd = {
      .data = msg, .total = sizeof(msg) - 1, .chunk = 64, .copy = true};
  cli[0].send = &snd;
  uint8_t rx[64];
  cli[0].rx = rx;
  cli[0].rx_cap = sizeof(rx);
  ps.side[0].echo = ps.side[1].echo = true;
  ps.side[0].close_on_eof = true;
  for (int i = 0; i < 2; i++) {
    struct zn_tcp_conn *c;
    ZT_EQ(zn_tcp_connect(t.p.a, TH_IP(IP_B), POOL_PORT, NULL, NULL, &c), ZN_OK);
    cli[i].s = zn_stream_make(&cpool.maker, c, &tf_cbs, &cli[i]);
    ZT_REQUIRE(cli[i].s != NULL);
    if (i == 0)
      tf_run(&t, ZN_MS(200));
  }
  ZT_EQU(cpool.used, 2);
  tf_run(&t, ZN_MS(300));
  ZT_EQ(cli[0].opened, 1);
  ZT_EQ(ps.side[0].opened, 1);
  ZT_EQU(cli[0].rx_len, sizeof(msg) - 1);
  ZT_MEMEQ(rx, msg, sizeof(msg) - 1);
  ZT_EQ(ps.made, 1);
  ZT_EQU(ps.pool.refused, 1); /* the second found the pool full */
  ZT_EQ(cli[1].errors, 1);    /* and was reset */
  ZT_EQU(cpool.used, 2);      /* lent until closed */
  zn_stream_close(cli[1].s);
  tf_run(&t, ZN_MS(10));
  ZT_EQ(cli[1].closed, 1);
  ZT_EQU(cpool.used, 1);
  /* The first closes: both sessions go back to their pools. */
  ZT_EQ(zn_stream_shutdown(cli[0].s), ZN_OK);
  tf_run(&t, ZN_SEC(1));
  ZT_EQ(ps.side[0].closed, 1);
  zn_stream_close(cli[0].s);
  tf_run(&t, ZN_SEC(61));
  ZT_EQ(cli[0].closed, 1);
  ZT_EQU(ps.pool.used, 0);
  ZT_EQU(cpool.used, 0);
  zn_tcp_close(l);
  tf_run(&t, ZN_MS(10));
  tf_free(&t);
  free(smem);
  free(cmem);
}

int main(void) {
  ZT_RUN(test_pools_make_and_take_back_sessions);
  return zt_done();
}
