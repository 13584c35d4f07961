/* Many connections: the table bound, and idle connections costing no
 * timer work at all. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../proto/proto_util.h"
#include "core/stack_int.h"
#include "internals.h"

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
    const struct zn_tcp_conn *c = &ZN__MOD(st, tcp)->conns[i];
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
  ZT_EQ(zn_tcp_listen(p.b, NULL, 80, N, &srv, NULL, &l), ZN_OK);
  static struct zn_tcp_conn *c[N];
  for (int i = 0; i < N; i++) {
    ZT_EQ(zn_tcp_connect(p.a, TH_IP(IP_B), 80, &cli, NULL, &c[i]), ZN_OK);
    if (i % 100 == 99)
      th_pair_run(&p, ZN_MS(5));
  }
  th_pair_run(&p, ZN_SEC(1));
  ZT_EQ(connected, N);
  ZT_EQ(accepted, N);
  /* Both tables are full now: the next connection is refused at once. */
  struct zn_tcp_conn *y;
  ZT_EQ(zn_tcp_connect(p.a, TH_IP(IP_B), 80, &cli, NULL, &y), ZN_ENOMEM);
  ZT_EQU(zn_stat(p.a, ZN_STAT_tcp_table_full), 1);
  /* Idle: no TCP timer is armed for any of them; the only timer left on
   * each stack is the ARP entry of the other, aging. */
  ZT_EQ(tcp_timers_pending(p.a), 0);
  ZT_EQ(tcp_timers_pending(p.b), 0);
  /* ... and none holds a flight block. */
  ZT_EQU(ZN__MOD(p.a, tcp)->fl_nfree, ZN__MOD(p.a, tcp)->fl_count);
  ZT_EQU(ZN__MOD(p.b, tcp)->fl_nfree, ZN__MOD(p.b, tcp)->fl_count);
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
  ZT_EQ(ZN__MOD(p.a, tcp)->nused, 0);
  ZT_EQ(ZN__MOD(p.b, tcp)->nused, 0);
  th_pair_free(&p);
}

/* ---- many busy connections against a small buffer pool ---- */

enum { NE = 200, EBYTES = 256 * 1024 };

struct ecli {
  struct zn_tcp_conn *c;
  size_t sent, got;
  bool eof, bad, closed;
  unsigned seed;
};
static struct ecli ecl[NE];
static int echo_closed, cli_done;

static uint8_t pat(unsigned seed, size_t i) {
  return (uint8_t)((i * 131u + seed * 7u + (i >> 9)) & 0xff);
}

/* The echo: write what was read, consume only what was written. */
static void echo_pump(struct zn_tcp_conn *c, void *arg) {
  (void)arg;
  for (;;) {
    const uint8_t *d;
    long n = zn_tcp_peek(c, &d);
    if (n == 0) { /* the client's FIN, and all it sent is echoed */
      zn_tcp_close(c);
      return;
    }
    if (n < 0)
      return;
    long w = zn_tcp_write(c, d, (size_t)n);
    if (w <= 0)
      return; /* on_writable brings us back */
    zn_tcp_consume(c, (size_t)w);
  }
}
static void echo_closed_cb(struct zn_tcp_conn *c, void *arg) {
  (void)c;
  (void)arg;
  echo_closed++;
}
static const struct zn_tcp_callbacks echo_cbs = {
    .on_readable = echo_pump, .on_writable = echo_pump,
    .on_closed = echo_closed_cb};
static void echo_accept(struct zn_tcp_conn *l, void *arg) {
  struct zn_tcp_conn *c;
  while (zn_tcp_accept(l, &c) == ZN_OK)
    zn_tcp_set_callbacks(c, &echo_cbs, arg);
}
static const struct zn_tcp_callbacks echo_l = {.on_accept = echo_accept};

static void ecli_pump(struct zn_tcp_conn *c, void *arg) {
  struct ecli *e = arg;
  uint8_t buf[4096];
  while (e->sent < EBYTES) {
    size_t n = EBYTES - e->sent < sizeof(buf) ? EBYTES - e->sent : sizeof(buf);
    for (size_t i = 0; i < n; i++)
      buf[i] = pat(e->seed, e->sent + i);
    long w = zn_tcp_write(c, buf, n);
    if (w <= 0)
      break;
    e->sent += (size_t)w;
    if (e->sent == EBYTES)
      zn_tcp_shutdown(c);
  }
  for (;;) {
    long n = zn_tcp_read(c, buf, sizeof(buf));
    if (n == 0 && !e->eof) {
      e->eof = true;
      cli_done++;
      zn_tcp_close(c);
    }
    if (n <= 0)
      break;
    for (long i = 0; i < n; i++)
      if (buf[i] != pat(e->seed, e->got + (size_t)i))
        e->bad = true;
    e->got += (size_t)n;
  }
}
static void ecli_closed(struct zn_tcp_conn *c, void *arg) {
  (void)c;
  ((struct ecli *)arg)->closed = true;
}
static const struct zn_tcp_callbacks ecli_cbs = {
    .on_connected = ecli_pump, .on_readable = ecli_pump,
    .on_writable = ecli_pump, .on_closed = ecli_closed};

/* NE connections stream EBYTES each through an echo whose stack (b) has
 * b_nbufs buffers and b_flights flight blocks, the client's (a) a_flights
 * (0: the default), 2 ms each way and loss_pct of the frames lost each
 * way; what it took, in *r.  Every byte must come back, every connection
 * close, and every flight block be back in its pool. */
struct echo_run {
  uint64_t virt_ns;
  uint32_t peak, limit;
  uint64_t waits, woken; /* tcp_flight_wait, tcp_flight_woken: both sides */
};

static void echo_through(uint32_t b_nbufs, uint32_t a_flights,
                         uint32_t b_flights, uint32_t loss_pct,
                         struct echo_run *r) {
  memset(ecl, 0, sizeof(ecl));
  echo_closed = cli_done = 0;
  struct zn_config ca, cb;
  th_config(&ca, IP_A, 24, 1);
  th_config(&cb, IP_B, 24, 2);
  ca.arp_announce = cb.arp_announce = false;
  ca.tcp_conns = NE;
  ca.nbufs = 16384;
  ca.tcp_flights = a_flights;
  cb.tcp_conns = NE + 1;
  cb.tcp_backlog = NE;
  cb.nbufs = b_nbufs;
  cb.tcp_flights = b_flights;
  struct th_pair p;
  memset(&p, 0, sizeof(p));
  zn_memlink_init(&p.link, 0, 4096);
  p.a = th_stack_new(&ca);
  p.b = th_stack_new(&cb);
  ZT_REQUIRE(p.a && p.b);
  zn_stack_attach(p.b, &p.link.b.nif);
  /* 2 ms each way, so data in flight and in queues adds up. */
  struct zn_fault f;
  struct zn_fault_cfg fc;
  memset(&fc, 0, sizeof(fc));
  fc.seed = 1;
  fc.dirs = ZN_FAULT_RX | ZN_FAULT_TX;
  fc.delay_ns = ZN_MS(2);
  fc.loss_ppm = loss_pct * 10000u;
  fc.max_held = 1u << 16;
  zn_fault_init(&f, &p.link.a.nif, &fc);
  zn_stack_attach(p.a, &f.nif);
  zn_stack_poll(p.a, 0);
  zn_stack_poll(p.b, 0);
  struct zn_tcp_conn *l;
  ZT_EQ(zn_tcp_listen(p.b, NULL, 7, NE, &echo_l, NULL, &l), ZN_OK);
  for (int i = 0; i < NE; i++) {
    ecl[i].seed = (unsigned)i;
    ZT_EQ(zn_tcp_connect(p.a, TH_IP(IP_B), 7, &ecli_cbs, &ecl[i], &ecl[i].c), ZN_OK);
    if (i % 50 == 49)
      th_pair_run(&p, ZN_MS(2));
  }
  r->peak = 0;
  for (int t = 0; t < 120000 && echo_closed < NE; t++) {
    th_pair_run(&p, ZN_MS(1));
    if (ZN__MOD(p.b, tcp)->mem_bufs > r->peak)
      r->peak = ZN__MOD(p.b, tcp)->mem_bufs;
    ZT_CHECK(ZN__MOD(p.b, tcp)->fl_nfree <= ZN__MOD(p.b, tcp)->fl_count);
  }
  r->virt_ns = p.now;
  r->limit = ZN__MOD(p.b, tcp)->mem_limit;
  r->waits = zn_stat(p.a, ZN_STAT_tcp_flight_wait) +
             zn_stat(p.b, ZN_STAT_tcp_flight_wait);
  r->woken = zn_stat(p.a, ZN_STAT_tcp_flight_woken) +
             zn_stat(p.b, ZN_STAT_tcp_flight_woken);
  int bad = 0, full = 0;
  for (int i = 0; i < NE; i++) {
    bad += ecl[i].bad;
    full += ecl[i].got == EBYTES && ecl[i].eof;
  }
  ZT_EQ(full, NE);
  ZT_EQ(bad, 0);
  ZT_EQ(echo_closed, NE);
  th_pair_run(&p, ZN_SEC(70)); /* TIME_WAITs end */
  zn_tcp_close(l);
  th_pair_run(&p, ZN_MS(10));
  ZT_EQ(ZN__MOD(p.a, tcp)->nused, 0);
  ZT_EQ(ZN__MOD(p.b, tcp)->nused, 0);
  for (struct zn_stack *st = p.a; st; st = st == p.a ? p.b : NULL) {
    ZT_EQU(ZN__MOD(st, tcp)->fl_nfree, ZN__MOD(st, tcp)->fl_count);
    ZT_CHECK(ZN__MOD(st, tcp)->fl_whead == NULL);
  }
  zn_fault_purge(&f);
  th_pair_free(&p);
}

/* 200 connections stream 256 KiB each through an echo whose stack has the
 * default 512 buffers: 200 windows of data could take twenty times that.
 * The stack-wide bound on TCP's buffers keeps a quarter of the pool for
 * reception, so ACKs keep arriving, send queues drain and every byte
 * comes back (before the bound, the pool ran dry and all stalled). */
ZT_TEST(test_many_echo_small_pool) {
  struct echo_run r;
  echo_through(512, 0, 0, 0, &r);
  printf("# %d connections x %d KiB echoed through 512 buffers in %.1f s "
         "virtual; TCP held at most %u (bound %u)\n",
         NE, EBYTES / 1024, (double)r.virt_ns / 1e9, r.peak, r.limit);
  ZT_CHECK(r.virt_ns < ZN_SEC(30)); /* no connection left in RTO backoff */
  ZT_CHECK(r.peak <= r.limit + 64); /* + one in-flight copy each */
}

/* Flight blocks (tcp_flight.c) far fewer than the connections sending:
 * 200 connections each way through 8 blocks a side, under 1% loss each
 * way (so SACK recovery runs with blocks changing hands): a sender that
 * finds none waits its turn, every byte still comes back, every block is
 * back at the end, and the echo is not held up by an order of magnitude. */
ZT_TEST(test_many_echo_few_flight_blocks) {
  struct echo_run all, few;
  echo_through(4096, 0, 0, 1, &all);
  echo_through(4096, 8, 8, 1, &few);
  printf("# %d connections x %d KiB echoed under 1%% loss: %.1f s virtual "
         "with a flight block each, %.1f s with 8 a side (%llu waits, "
         "%llu woken)\n",
         NE, EBYTES / 1024, (double)all.virt_ns / 1e9,
         (double)few.virt_ns / 1e9, (unsigned long long)few.waits,
         (unsigned long long)few.woken);
  ZT_EQU(all.waits, 0);
  ZT_CHECK(few.waits > 0);
  ZT_CHECK(few.woken > 0);
  ZT_CHECK(few.virt_ns < 10 * all.virt_ns + ZN_SEC(1));
}

/* BBR's model blocks (tcp_model.c): lent for a connection's life, as
 * many as cfg.tcp_bbr_conns.  A switch to BBR with none free is refused
 * (the connection keeps CUBIC), a switch away gives the block back; a
 * connection accepted for BBR with none free runs CUBIC, counted; every
 * block is back when the connections are gone. */
ZT_TEST(test_bbr_model_blocks_lent_and_refused) {
  struct zn_config ca, cb;
  th_config(&ca, IP_A, 24, 1);
  th_config(&cb, IP_B, 24, 2);
  ca.arp_announce = cb.arp_announce = false;
  ca.tcp_conns = 8;
  ca.tcp_bbr_conns = 2;
  cb.tcp_conns = 8;
  cb.tcp_cc = ZN_TCP_CC_BBR;
  cb.tcp_bbr_conns = 2;
  struct th_pair p;
  th_pair_init(&p, &ca, &cb);
  ZT_REQUIRE(p.a && p.b);
  struct zn__tcp *ta = ZN__MOD(p.a, tcp), *tb = ZN__MOD(p.b, tcp);
  ZT_EQU(ta->model_count, 2);
  struct zn_tcp_conn *l, *c[3];
  ZT_EQ(zn_tcp_listen(p.b, NULL, 7, 8, &echo_l, NULL, &l), ZN_OK);
  for (int i = 0; i < 3; i++)
    ZT_EQ(zn_tcp_connect(p.a, TH_IP(IP_B), 7, NULL, NULL, &c[i]), ZN_OK);
  th_pair_run(&p, ZN_MS(100));
  ZT_EQ(zn_tcp_set_cc(c[0], ZN_TCP_CC_BBR), ZN_OK);
  ZT_EQ(zn_tcp_set_cc(c[1], ZN_TCP_CC_BBR), ZN_OK);
  ZT_EQU(ta->model_nfree, 0);
  ZT_EQ(zn_tcp_set_cc(c[2], ZN_TCP_CC_BBR), ZN_ENOBUFS);
  struct zn_tcp_info ti;
  zn_tcp_get_info(c[2], &ti);
  ZT_EQ(ti.cc, ZN_TCP_CC_CUBIC);
  ZT_EQ(zn_tcp_set_cc(c[0], ZN_TCP_CC_CUBIC), ZN_OK);
  ZT_EQU(ta->model_nfree, 1);
  ZT_EQ(zn_tcp_set_cc(c[2], ZN_TCP_CC_BBR), ZN_OK);
  zn_tcp_get_info(c[2], &ti);
  ZT_EQ(ti.cc, ZN_TCP_CC_BBR);
  /* The echo's side: BBR by default, two blocks for three connections. */
  ZT_EQU(tb->model_nfree, 0);
  ZT_EQU(zn_stat(p.b, ZN_STAT_tcp_cc_fallback), 1);
  /* BBR with a lent model moves data both ways. */
  static uint8_t data[200000], back[200000];
  for (size_t i = 0; i < sizeof(data); i++)
    data[i] = (uint8_t)(i * 13 + (i >> 8));
  size_t sent = 0, got = 0;
  for (int t = 0; t < 2000 && got < sizeof(back); t++) {
    if (sent < sizeof(data)) {
      long w = zn_tcp_write(c[2], data + sent, sizeof(data) - sent);
      sent += w > 0 ? (size_t)w : 0;
    }
    long r = zn_tcp_read(c[2], back + got, sizeof(back) - got);
    got += r > 0 ? (size_t)r : 0;
    th_pair_run(&p, ZN_MS(1));
  }
  ZT_EQU(got, sizeof(back));
  ZT_CHECK(memcmp(data, back, sizeof(data)) == 0);
  for (int i = 0; i < 3; i++)
    zn_tcp_close(c[i]);
  th_pair_run(&p, ZN_SEC(70));
  zn_tcp_close(l);
  th_pair_run(&p, ZN_MS(10));
  ZT_EQ(ta->nused, 0);
  ZT_EQ(tb->nused, 0);
  ZT_EQU(ta->model_nfree, ta->model_count);
  ZT_EQU(tb->model_nfree, tb->model_count);
  th_pair_free(&p);
}

/* More connections than the pool has segments of room: 300 idle ones on
 * a server of 64 buffers (a receive room of 36 segments), each then
 * sending a 100-byte request.  An equal share of the room is under a
 * segment each; TCP offers every connection a segment all the same, so
 * every request gets through and is echoed (with the share alone, the
 * newest connections were offered a window of 0 and waited on it). */
ZT_TEST(test_many_idle_each_offered_a_segment) {
  enum { NI = 300, REQ = 100 };
  struct zn_config ca, cb;
  th_config(&ca, IP_A, 24, 1);
  th_config(&cb, IP_B, 24, 2);
  ca.arp_announce = cb.arp_announce = false;
  ca.tcp_conns = NI;
  ca.nbufs = 4096;
  cb.tcp_conns = NI + 1;
  cb.tcp_backlog = NI;
  cb.nbufs = 64;
  struct th_pair p;
  th_pair_init(&p, &ca, &cb);
  ZT_REQUIRE(p.a && p.b);
  struct zn_tcp_conn *l;
  static struct zn_tcp_conn *c[NI];
  ZT_EQ(zn_tcp_listen(p.b, NULL, 7, NI, &echo_l, NULL, &l), ZN_OK);
  for (int i = 0; i < NI; i++) {
    ZT_EQ(zn_tcp_connect(p.a, TH_IP(IP_B), 7, NULL, NULL, &c[i]), ZN_OK);
    if (i % 50 == 49)
      th_pair_run(&p, ZN_MS(5));
  }
  th_pair_run(&p, ZN_SEC(3));
  int zero = 0;
  struct zn_tcp_info ti;
  for (int i = 0; i < NI; i++) {
    zn_tcp_get_info(c[i], &ti);
    ZT_EQ(ti.state, ZN_TCP_ESTABLISHED);
    zero += ti.snd_wnd < REQ;
  }
  ZT_EQ(zero, 0);
  static uint8_t req[REQ], back[REQ];
  int echoed = 0;
  for (int i = 0; i < NI; i++) {
    for (int k = 0; k < REQ; k++)
      req[k] = (uint8_t)(i + k);
    ZT_EQ(zn_tcp_write(c[i], req, REQ), (long)REQ);
  }
  /* All at once they are more than the pool holds: what does not fit is
   * dropped, counted, and sent again by the clients. */
  static size_t got[NI];
  for (int t = 0; t < 1200 && echoed < NI; t++) {
    th_pair_run(&p, ZN_MS(50));
    for (int i = 0; i < NI; i++) {
      if (got[i] == REQ)
        continue;
      long n = zn_tcp_read(c[i], back + got[i], REQ - got[i]);
      got[i] += n > 0 ? (size_t)n : 0;
      if (got[i] < REQ)
        continue;
      bool same = true;
      for (int k = 0; same && k < REQ; k++)
        same = back[k] == (uint8_t)(i + k);
      echoed += same;
      if (!same)
        got[i] = REQ + 1; /* counted wrong once */
    }
  }
  printf("# %d idle connections on 64 buffers, each offered a segment: all "
         "echoed in %.1f s virtual (%llu segments dropped for the bound)\n",
         NI, (double)p.now / 1e9 - 3.0,
         (unsigned long long)zn_stat(p.b, ZN_STAT_tcp_drop_mem));
  ZT_EQ(echoed, NI);
  for (int i = 0; i < NI; i++)
    if (got[i] != REQ) {
      zn_tcp_get_info(c[i], &ti);
      printf("# %d: got %zu, snd_wnd %u, unacked %u, rto_timeouts %llu\n", i,
             got[i], ti.snd_wnd, ti.unacked,
             (unsigned long long)ti.rto_timeouts);
    }
  for (int i = 0; i < NI; i++)
    zn_tcp_close(c[i]);
  th_pair_run(&p, ZN_SEC(70));
  zn_tcp_close(l);
  th_pair_run(&p, ZN_MS(10));
  ZT_EQ(ZN__MOD(p.a, tcp)->nused, 0);
  ZT_EQ(ZN__MOD(p.b, tcp)->nused, 0);
  th_pair_free(&p);
}

/* The flight blocks' wait list on its own, one block: a connection that
 * finds none waits, in order; a newcomer does not pass the waiters even
 * with a block free; a waiter that ends leaves the list from the middle;
 * ending a holder gives its block back; and the first waiter, woken at
 * the end of a poll, leaves the list even with nothing to send. */
ZT_TEST(test_flight_wait_list_order_and_leavers) {
  struct zn_config cfg;
  th_config(&cfg, IP_A, 24, 1);
  cfg.tcp_conns = 4;
  cfg.tcp_flights = 1;
  struct zn_stack *st = th_stack_new(&cfg);
  ZT_REQUIRE(st);
  struct zn__tcp *t = ZN__MOD(st, tcp);
  ZT_EQU(t->fl_count, 1);
  struct zn_tcp_conn *c[4];
  for (int i = 0; i < 4; i++) {
    c[i] = zn__tcp_alloc(st);
    ZT_REQUIRE(c[i]);
  }
  ZT_CHECK(zn__tcp_flight_take(c[0]));
  ZT_CHECK(!zn__tcp_flight_take(c[1]));
  ZT_CHECK(!zn__tcp_flight_take(c[2]));
  ZT_CHECK(!zn__tcp_flight_take(c[2])); /* (waits once) */
  ZT_EQU(zn_stat(st, ZN_STAT_tcp_flight_wait), 2);
  ZT_CHECK(t->fl_whead == c[1] && t->fl_wtail == c[2]);
  zn__tcp_release_all(c[1]); /* the first waiter ends */
  ZT_CHECK(t->fl_whead == c[2] && t->fl_wtail == c[2]);
  ZT_CHECK(!(c[1]->mem & ZN__TCPM_FLIGHT_WAIT));
  zn__tcp_release_all(c[0]); /* the holder ends: its block is back */
  ZT_EQU(t->fl_nfree, 1);
  ZT_CHECK(c[0]->fl == NULL);
  ZT_CHECK(!zn__tcp_flight_take(c[3])); /* c[2] waits first */
  ZT_CHECK(t->fl_whead == c[2] && t->fl_wtail == c[3]);
  ZT_CHECK(zn__tcp_flight_take(c[2]));
  ZT_CHECK(t->fl_whead == c[3]);
  zn__tcp_flight_give(c[2]);
  /* The poll's end wakes c[3]: CLOSED, it sends nothing, and leaves. */
  zn_stack_poll(st, 0);
  ZT_CHECK(t->fl_whead == NULL && t->fl_wtail == NULL);
  ZT_EQU(zn_stat(st, ZN_STAT_tcp_flight_woken), 1);
  ZT_EQU(t->fl_nfree, 1);
  for (int i = 0; i < 4; i++)
    zn__tcp_release_all(c[i]);
  th_stack_free(st);
}

/* Idle connections must not shut newer ones out.  Each holds its whole
 * window open; the windows of all of them together promise more than the
 * stack-wide bound holds, and a new connection still gets an equal share
 * (found by the attack tests: with windows sized only by what the others
 * had not promised, seven idle clients of znet-echo left every later one
 * a window of 0).  Half-open connections promise nothing. */
ZT_TEST(test_many_idle_keep_windows_open) {
  enum { NIDLE = 40 };
  struct zn_config ca, cb;
  th_config(&ca, IP_A, 24, 1);
  th_config(&cb, IP_B, 24, 2);
  ca.arp_announce = cb.arp_announce = false;
  ca.tcp_conns = NIDLE + 1;
  cb.tcp_conns = NIDLE + 2;
  cb.nbufs = 512;
  struct th_pair p;
  th_pair_init(&p, &ca, &cb);
  struct zn_tcp_conn *l, *idle[NIDLE], *c;
  ZT_EQ(zn_tcp_listen(p.b, NULL, 7, NIDLE + 1, &echo_l, NULL, &l), ZN_OK);
  for (int i = 0; i < NIDLE; i++)
    ZT_EQ(zn_tcp_connect(p.a, TH_IP(IP_B), 7, NULL, NULL, &idle[i]), ZN_OK);
  th_pair_run(&p, ZN_SEC(4)); /* (SYNs beyond ARP's queue go again at 1 s) */
  uint64_t limit = (uint64_t)ZN__MOD(p.b, tcp)->mem_limit * 1448u;
  ZT_CHECK(ZN__MOD(p.b, tcp)->promised > limit); /* more than the bound holds */
  struct zn_tcp_info ti;
  for (int i = 0; i < NIDLE; i++) {
    zn_tcp_get_info(idle[i], &ti);
    ZT_EQ(ti.state, ZN_TCP_ESTABLISHED);
    ZT_CHECK(ti.snd_wnd >= 4 * 1448);
  }
  /* The next one: a window worth several segments, and its data echoed. */
  ZT_EQ(zn_tcp_connect(p.a, TH_IP(IP_B), 7, NULL, NULL, &c), ZN_OK);
  th_pair_run(&p, ZN_MS(10));
  zn_tcp_get_info(c, &ti);
  ZT_EQ(ti.state, ZN_TCP_ESTABLISHED);
  ZT_CHECK(ti.snd_wnd >= 4 * 1448);
  static uint8_t data[8000], back[8000];
  for (size_t i = 0; i < sizeof(data); i++)
    data[i] = (uint8_t)(i * 7);
  ZT_EQ(zn_tcp_write(c, data, sizeof(data)), (long)sizeof(data));
  th_pair_run(&p, ZN_MS(50));
  ZT_EQ(zn_tcp_read(c, back, sizeof(back)), (long)sizeof(back));
  ZT_CHECK(memcmp(data, back, sizeof(data)) == 0);
  for (int i = 0; i < NIDLE; i++)
    zn_tcp_close(idle[i]);
  zn_tcp_close(c);
  th_pair_run(&p, ZN_SEC(70));
  zn_tcp_close(l);
  th_pair_run(&p, ZN_MS(10));
  ZT_EQ(ZN__MOD(p.a, tcp)->nused, 0);
  ZT_EQ(ZN__MOD(p.b, tcp)->nused, 0);
  th_pair_free(&p);
}

/* ---- a server that closes first: TIME_WAIT must not fill the table ---- */

static int tw_accepted, tw_eof;

/* The server closes each connection as soon as it has it (as HTTP with
 * Connection: close does), so TIME_WAIT is on its side. */
static void tw_accept(struct zn_tcp_conn *l, void *arg) {
  (void)arg;
  struct zn_tcp_conn *c;
  while (zn_tcp_accept(l, &c) == ZN_OK) {
    tw_accepted++;
    zn_tcp_close(c);
  }
}

static void tw_readable(struct zn_tcp_conn *c, void *arg) {
  (void)arg;
  uint8_t b[64];
  if (zn_tcp_read(c, b, sizeof(b)) == 0) {
    tw_eof++;
    zn_tcp_close(c);
  }
}

static const struct zn_tcp_callbacks tw_srv = {.on_accept = tw_accept};
static const struct zn_tcp_callbacks tw_cli = {.on_readable = tw_readable};

/* The server closes every connection first: each leaves a TIME_WAIT,
 * which a record keeps (tcp_tw.c) while the slot goes back at once.  A
 * table of 8 serves 40 in a row; the records (as many as the table by
 * default) are reused oldest first once all are taken. */
ZT_TEST(test_timewait_records_keep_table_open) {
  enum { TABLE = 8, N = 40 };
  struct zn_config ca, cb;
  th_config(&ca, IP_A, 24, 1);
  th_config(&cb, IP_B, 24, 2);
  cb.tcp_conns = TABLE;
  struct th_pair p;
  th_pair_init(&p, &ca, &cb);
  tw_accepted = tw_eof = 0;
  struct zn_tcp_conn *l, *c;
  ZT_EQ(zn_tcp_listen(p.b, NULL, 80, 0, &tw_srv, NULL, &l), ZN_OK);
  for (int i = 0; i < N; i++) {
    ZT_EQ(zn_tcp_connect(p.a, TH_IP(IP_B), 80, &tw_cli, NULL, &c), ZN_OK);
    th_pair_run(&p, ZN_MS(20));
    ZT_EQ(tw_eof, i + 1);
    ZT_EQ(ZN__MOD(p.b, tcp)->nused, 1); /* the listener only */
    ZT_EQ(zn__tcp_tw_used(p.b), i + 1 < TABLE ? i + 1 : TABLE);
  }
  ZT_EQ(tw_accepted, N);
  ZT_EQU(zn_stat(p.b, ZN_STAT_tcp_table_full), 0);
  ZT_EQU(zn_stat(p.b, ZN_STAT_tcp_syncookie_tx), 0);
  ZT_EQU(zn_stat(p.b, ZN_STAT_tcp_timewait_cut), 0);
  ZT_EQU(zn_stat(p.b, ZN_STAT_tcp_timewait_recycled), N - TABLE);
  zn_tcp_close(l);
  th_pair_run(&p, ZN_SEC(61));
  ZT_EQ(ZN__MOD(p.b, tcp)->nused, 0);
  ZT_EQ(zn__tcp_tw_used(p.b), 0);
  th_pair_free(&p);
}

/* Two records, three TIME_WAITs: the oldest goes, the newer two stay. */
static uint16_t tw_ports[3];
static int tw_nports;

static void tw_readable_port(struct zn_tcp_conn *c, void *arg) {
  (void)arg;
  uint8_t b[64];
  if (zn_tcp_read(c, b, sizeof(b)) == 0) {
    struct zn_tcp_info i;
    zn_tcp_get_info(c, &i);
    tw_ports[tw_nports++] = i.lport;
    zn_tcp_close(c);
  }
}

ZT_TEST(test_timewait_records_recycle_oldest) {
  struct zn_config ca, cb;
  th_config(&ca, IP_A, 24, 1);
  th_config(&cb, IP_B, 24, 2);
  cb.tcp_conns = 2;
  cb.tcp_timewait = 2;
  struct th_pair p;
  th_pair_init(&p, &ca, &cb);
  tw_accepted = tw_nports = 0;
  const struct zn_tcp_callbacks cbp = {.on_readable = tw_readable_port};
  struct zn_tcp_conn *l, *c;
  ZT_EQ(zn_tcp_listen(p.b, NULL, 80, 0, &tw_srv, NULL, &l), ZN_OK);
  for (int i = 0; i < 3; i++) {
    ZT_EQ(zn_tcp_connect(p.a, TH_IP(IP_B), 80, &cbp, NULL, &c), ZN_OK);
    th_pair_run(&p, ZN_MS(20));
    ZT_EQ(tw_nports, i + 1);
  }
  ZT_EQU(zn_stat(p.b, ZN_STAT_tcp_timewait_recycled), 1);
  ZT_CHECK(!zn__tcp_tw_holds(p.b, TH_IP(IP_B), 80, TH_IP(IP_A), tw_ports[0]));
  ZT_CHECK(zn__tcp_tw_holds(p.b, TH_IP(IP_B), 80, TH_IP(IP_A), tw_ports[1]));
  ZT_CHECK(zn__tcp_tw_holds(p.b, TH_IP(IP_B), 80, TH_IP(IP_A), tw_ports[2]));
  th_pair_free(&p);
}

int main(void) {
  ZT_RUN(test_idle_connections_no_timer_work);
  ZT_RUN(test_timewait_records_keep_table_open);
  ZT_RUN(test_timewait_records_recycle_oldest);
  ZT_RUN(test_many_echo_small_pool);
  ZT_RUN(test_many_echo_few_flight_blocks);
  ZT_RUN(test_bbr_model_blocks_lent_and_refused);
  ZT_RUN(test_flight_wait_list_order_and_leavers);
  ZT_RUN(test_many_idle_keep_windows_open);
  ZT_RUN(test_many_idle_each_offered_a_segment);
  return zt_done();
}
