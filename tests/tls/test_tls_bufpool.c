/* Record buffers lent (tls/tls_bufpool.c, znet/tls.h "Record buffers
 * lent"): the pool's memory and refusals; an idle session gives its pair
 * back; many sessions share fewer pairs and every byte arrives; waiters
 * are served in order; a session closed or aborted while it holds a pair
 * gives it back; records split over segments, with loss, while pairs move
 * between sessions. */
#include "tls_fixture.h"

#define NSESS 8

/* Sessions on B, each accepted connection the next side of the array. */
struct multi {
  struct tpair *t;
  struct tside srv[NSESS], cli[NSESS];
  struct tsend snd[NSESS];
  uint8_t *pat[NSESS];
  int accepted;
  int order[NSESS]; /* server sides in the order they first read */
  int nordered;
  struct zn_tcp_conn *l; /* the listener */
};

static struct multi *cur;

static void order_readable(struct zn_stream *s, void *arg) {
  struct tside *d = arg;
  int i = (int)(d - cur->srv);
  size_t before = d->rx_len;
  tf_readable(s, arg);
  if (before == 0 && d->rx_len > 0)
    cur->order[cur->nordered++] = i;
}

static const struct zn_stream_callbacks order_cbs = {
    .on_open = tf_open,
    .on_readable = order_readable,
    .on_writable = tf_writable,
    .on_error = tf_error,
    .on_closed = tf_closed,
};

static void multi_accept(struct zn_tcp_conn *l, void *arg) {
  struct multi *m = arg;
  struct zn_tcp_conn *c;
  while (zn_tcp_accept(l, &c) == ZN_OK) {
    ZT_REQUIRE(m->accepted < NSESS);
    struct tside *d = &m->srv[m->accepted++];
    size_t len = zn_tls_conn_size(&m->t->scfg);
    d->mem = aligned_alloc(64, (len + 63) / 64 * 64);
    ZT_EQ(zn_tls_server_start(&m->t->scfg, m->t->p.b, c, &order_cbs, d, d->mem,
                              len, &d->s),
          ZN_OK);
  }
}

static const struct zn_tcp_callbacks multi_lcbs = {.on_accept = multi_accept};

static struct zn_tls_bufpool *bufpool_new(uint32_t n, void **mem) {
  size_t len =
      zn_tls_bufpool_mem_size(n, ZN_TLS_IN_BUF_DEFAULT, ZN_TLS_OUT_BUF_DEFAULT);
  *mem = aligned_alloc(64, (len + 63) / 64 * 64);
  struct zn_tls_bufpool *bp = NULL;
  ZT_EQ(zn_tls_bufpool_init(*mem, len, n, ZN_TLS_IN_BUF_DEFAULT,
                            ZN_TLS_OUT_BUF_DEFAULT, &bp),
        ZN_OK);
  return bp;
}

static struct zn_tls_bufpool_info info_of(const struct zn_tls_bufpool *bp) {
  struct zn_tls_bufpool_info i;
  zn_tls_bufpool_get_info(bp, &i);
  return i;
}

/* A second listener on B (port 8443) whose sessions are m's. */
static struct zn_tcp_conn *multi_listen(struct multi *m, struct tpair *t) {
  memset(m, 0, sizeof(*m));
  m->t = t;
  cur = m;
  struct zn_tcp_conn *l;
  ZT_EQ(zn_tcp_listen(t->p.b, NULL, 8443, 0, &multi_lcbs, m, &l), ZN_OK);
  return l;
}

/* Client i connects and starts its session (ccfg). */
static void multi_connect(struct multi *m, int i) {
  struct tpair *t = m->t;
  struct zn_tcp_conn *c;
  ZT_EQ(zn_tcp_connect(t->p.a, TH_IP(IP_B), 8443, NULL, NULL, &c), ZN_OK);
  struct tside *d = &m->cli[i];
  size_t len = zn_tls_conn_size(&t->ccfg);
  d->mem = aligned_alloc(64, (len + 63) / 64 * 64);
  ZT_EQ(zn_tls_client_start(&t->ccfg, t->p.a, c, "localhost", &tf_cbs, d,
                            d->mem, len, &d->s),
        ZN_OK);
}

/* Close every stream, let them go, and free the sides. */
static void multi_free(struct multi *m, struct zn_tcp_conn *l) {
  for (int i = 0; i < NSESS; i++) {
    if (m->cli[i].s && !m->cli[i].closed)
      zn_stream_close(m->cli[i].s);
    if (m->srv[i].s && !m->srv[i].closed)
      zn_stream_close(m->srv[i].s);
  }
  tf_run(m->t, ZN_SEC(30));
  zn_tcp_close(l);
  tf_run(m->t, ZN_SEC(130));
  for (int i = 0; i < NSESS; i++) {
    if (m->cli[i].s)
      ZT_EQ(m->cli[i].closed, 1);
    if (m->srv[i].s)
      ZT_EQ(m->srv[i].closed, 1);
    free(m->cli[i].mem);
    free(m->srv[i].mem);
    free(m->cli[i].rx);
    free(m->srv[i].rx);
    free(m->pat[i]);
  }
}

/* Stacks, a server pool of one pair, m's listener. */
static struct zn_tls_bufpool *one_pair_world(struct tpair *t, struct multi *m,
                                             void **bmem) {
  tf_init(t, NULL);
  struct zn_tls_bufpool *bp = bufpool_new(1, bmem);
  t->scfg.bufpool = bp;
  m->l = multi_listen(m, t);
  return bp;
}

/* Everything of one_pair_world() let go of, every pair back; the pool's
 * memory last. */
static void world_free(struct tpair *t, struct multi *m,
                       const struct zn_tls_bufpool *bp, void *bmem) {
  multi_free(m, m->l);
  tf_free(t);
  ZT_EQU(info_of(bp).in_use, 0);
  ZT_EQU(info_of(bp).waiting, 0);
  free(bmem);
}

ZT_TEST(test_bufpool_memory_and_refusals) {
  struct tpair t;
  tf_init(&t, NULL);
  size_t own = zn_tls_conn_size(&t.scfg);
  size_t own_client = zn_tls_conn_size(&t.ccfg);
  ZT_EQU(zn_tls_bufpool_mem_size(0, ZN_TLS_IN_BUF_DEFAULT, 600), 0);
  ZT_EQU(zn_tls_bufpool_mem_size(1, ZN_TLS_IN_BUF_MIN - 1, 600), 0);
  ZT_EQU(zn_tls_bufpool_mem_size(1, ZN_TLS_IN_BUF_MIN, 596), 0);
  ZT_EQU(zn_tls_bufpool_mem_size(1, 65537, 600), 0);
  size_t len =
      zn_tls_bufpool_mem_size(4, ZN_TLS_IN_BUF_DEFAULT, ZN_TLS_OUT_BUF_DEFAULT);
  ZT_CHECK(len >= 4 * (ZN_TLS_IN_BUF_DEFAULT + ZN_TLS_OUT_BUF_DEFAULT));
  ZT_CHECK(len <= 4 * (ZN_TLS_IN_BUF_DEFAULT + ZN_TLS_OUT_BUF_DEFAULT) + 512);
  uint8_t *mem = aligned_alloc(64, (len + 64 + 63) / 64 * 64);
  struct zn_tls_bufpool *bp = NULL;
  ZT_EQ(zn_tls_bufpool_init(mem + 1, len, 4, ZN_TLS_IN_BUF_DEFAULT,
                            ZN_TLS_OUT_BUF_DEFAULT, &bp),
        ZN_EINVAL);
  ZT_EQ(zn_tls_bufpool_init(mem, len - 1, 4, ZN_TLS_IN_BUF_DEFAULT,
                            ZN_TLS_OUT_BUF_DEFAULT, &bp),
        ZN_ENOMEM);
  ZT_CHECK(bp == NULL);
  ZT_EQ(zn_tls_bufpool_init(mem, len, 4, ZN_TLS_IN_BUF_DEFAULT,
                            ZN_TLS_OUT_BUF_DEFAULT, &bp),
        ZN_OK);
  struct zn_tls_bufpool_info i = info_of(bp);
  ZT_EQU(i.n, 4);
  ZT_EQU(i.in_use, 0);
  struct zn_tls_config s = t.scfg, c = t.ccfg;
  s.bufpool = c.bufpool = bp;
  size_t lean = zn_tls_conn_size(&s), lean_client = zn_tls_conn_size(&c);
  printf("# bytes per session: server %zu with its own buffers, %zu with a "
         "pool; client %zu, %zu; pool of 4 pairs %zu\n",
         own, lean, own_client, lean_client, len);
  ZT_CHECK(lean > 0 && lean <= 6 * 1024);
  ZT_CHECK(own - lean >= ZN_TLS_IN_BUF_DEFAULT + ZN_TLS_OUT_BUF_DEFAULT);
  ZT_CHECK(lean_client > 0 && lean_client < own_client);
  if (sizeof(void *) == 8) /* znet/tls.h's figure */
    ZT_EQU(lean, 4848);
  /* A pool whose buffers are smaller than the configuration's. */
  size_t small_len = zn_tls_bufpool_mem_size(1, ZN_TLS_IN_BUF_DEFAULT, 1000);
  void *small_mem = aligned_alloc(64, (small_len + 63) / 64 * 64);
  struct zn_tls_bufpool *small;
  ZT_EQ(zn_tls_bufpool_init(small_mem, small_len, 1, ZN_TLS_IN_BUF_DEFAULT,
                            1000, &small),
        ZN_OK);
  s.bufpool = small;
  ZT_EQU(zn_tls_conn_size(&s), 0);
  s.out_buf = 1000;
  ZT_CHECK(zn_tls_conn_size(&s) > 0);
  free(small_mem);
  free(mem);
  tf_free(&t);
}

/* One session: the pair is held through the handshake, given back once
 * the session is idle, taken again for a request and its answer. */
ZT_TEST(test_idle_session_gives_its_buffers_back) {
  struct tpair t;
  tf_init(&t, NULL);
  void *bmem;
  struct zn_tls_bufpool *bp = bufpool_new(1, &bmem);
  t.scfg.bufpool = bp;
  t.srv.echo = true;
  t.srv.use_peek = true;
  ZT_EQ(tf_connect(&t, "localhost"), ZN_OK);
  tf_run(&t, ZN_MS(300));
  ZT_EQ(t.srv.opened, 1);
  ZT_EQ(t.cli.opened, 1);
  struct zn_tls_bufpool_info i = info_of(bp);
  ZT_EQU(i.in_use, 0); /* open and idle: given back */
  ZT_EQU(i.takes, 1);  /* once, for the whole handshake */
  ZT_EQU(zn_stream_readable(t.srv.s), 0);
  ZT_CHECK(zn_stream_writable(t.srv.s) > 16000); /* a pair is free */
  /* A request, echoed: taken for it, back after it. */
  static const uint8_t msg[] = "GET / HTTP/1.1\r\n\r\n";
  tf_rx(&t.cli, 64);
  ZT_EQ(zn_stream_write(t.cli.s, msg, sizeof(msg) - 1), (long)sizeof(msg) - 1);
  tf_run(&t, ZN_MS(100));
  ZT_EQU(t.cli.rx_len, sizeof(msg) - 1);
  ZT_MEMEQ(t.cli.rx, msg, sizeof(msg) - 1);
  i = info_of(bp);
  ZT_EQU(i.in_use, 0);
  ZT_EQU(i.takes, 2);
  ZT_EQU(i.waits, 0);
  /* Unread plaintext holds the pair. */
  t.srv.hold = true;
  ZT_EQ(zn_stream_write(t.cli.s, msg, sizeof(msg) - 1), (long)sizeof(msg) - 1);
  tf_run(&t, ZN_MS(100));
  ZT_EQU(info_of(bp).in_use, 1);
  ZT_EQU(zn_stream_readable(t.srv.s), sizeof(msg) - 1);
  t.srv.hold = false;
  tf_readable(t.srv.s, &t.srv);
  tf_run(&t, ZN_MS(100));
  ZT_EQU(info_of(bp).in_use, 0);
  ZT_EQU(t.cli.rx_len, 2 * (sizeof(msg) - 1));
  tf_free(&t);
  ZT_EQU(info_of(bp).in_use, 0);
  ZT_EQU(info_of(bp).waiting, 0);
  free(bmem);
}

/* NSESS clients each send their own pattern, the server echoes it, over
 * a pool of `pairs` pairs on the server (and one on the clients if
 * `client_pairs`); every byte comes back, in order, and every pair is
 * back at the end. */
static void run_echo(const struct zn_fault_cfg *fc, uint32_t pairs,
                     uint32_t client_pairs, size_t bytes, uint64_t run_ns) {
  struct tpair t;
  tf_init(&t, fc);
  void *bmem, *cmem = NULL;
  struct zn_tls_bufpool *bp = bufpool_new(pairs, &bmem), *cbp = NULL;
  t.scfg.bufpool = bp;
  if (client_pairs) {
    cbp = bufpool_new(client_pairs, &cmem);
    t.ccfg.bufpool = cbp;
  }
  static struct multi m;
  struct zn_tcp_conn *l = multi_listen(&m, &t);
  for (int i = 0; i < NSESS; i++) {
    m.srv[i].echo = true;
    m.srv[i].use_peek = true;
    m.pat[i] = tf_pattern(bytes, (uint32_t)i + 1);
    m.snd[i] = (struct tsend){.data = m.pat[i],
                              .total = bytes,
                              .chunk = 3000 + 977 * (size_t)i,
                              .copy = (i & 1) != 0};
    m.cli[i].send = &m.snd[i];
    tf_rx(&m.cli[i], bytes);
    multi_connect(&m, i);
  }
  tf_run(&t, run_ns);
  int complete = 0;
  for (int i = 0; i < NSESS; i++) {
    ZT_EQ(m.cli[i].opened, 1);
    ZT_EQ(m.srv[i].opened, 1);
    ZT_EQ(m.cli[i].errors + m.srv[i].errors, 0);
    ZT_EQU(m.cli[i].rx_len, bytes);
    if (m.cli[i].rx_len == bytes && memcmp(m.cli[i].rx, m.pat[i], bytes) == 0)
      complete++;
  }
  ZT_EQ(complete, NSESS);
  if (complete != NSESS) {
    for (int k = 0; k < NSESS; k++)
      printf("# %d: opened %d/%d rx %zu/%zu sent %zu refs %d rel %d w %d/%d\n",
             k, m.cli[k].opened, m.srv[k].opened, m.cli[k].rx_len,
             m.srv[k].rx_len, m.snd[k].off, m.snd[k].refs, m.snd[k].released,
             m.cli[k].writable, m.srv[k].writable);
  }
  struct zn_tls_bufpool_info i = info_of(bp);
  printf("# %u pairs for %d sessions: %llu takes, %llu waits, peak %u; "
         "buf_waits %llu\n",
         pairs, NSESS, (unsigned long long)i.takes, (unsigned long long)i.waits,
         i.peak, (unsigned long long)t.sstats.v[ZN_TLS_STAT_buf_waits]);
  ZT_EQU(i.waits, t.sstats.v[ZN_TLS_STAT_buf_waits]);
  ZT_CHECK(i.takes < 200); /* no pair handed to and fro */
  if (cbp) {
    struct zn_tls_bufpool_info ci = info_of(cbp);
    printf("# client pool of %u: %llu takes, %llu waits, peak %u\n",
           client_pairs, (unsigned long long)ci.takes,
           (unsigned long long)ci.waits, ci.peak);
    ZT_CHECK(ci.waits > 0);
    ZT_CHECK(ci.takes < 200);
  } else {
    ZT_CHECK(i.waits > 0);
  }
  ZT_CHECK(i.peak <= pairs);
  ZT_EQU(i.in_use, 0);
  ZT_EQU(i.waiting, 0);
  multi_free(&m, l);
  tf_free(&t);
  ZT_EQU(info_of(bp).in_use, 0);
  free(bmem);
  if (cbp) {
    ZT_EQU(info_of(cbp).in_use, 0);
    free(cmem);
  }
}

ZT_TEST(test_many_sessions_share_few_buffers) {
  run_echo(NULL, 2, 0, 100000, ZN_SEC(20));
}

ZT_TEST(test_one_pair_for_every_session) {
  run_echo(NULL, 1, 0, 40000, ZN_SEC(30));
}

/* Client sessions that find no pair at their start wait for one before
 * their ClientHello. */
ZT_TEST(test_clients_share_a_pool_too) {
  run_echo(NULL, NSESS, 2, 30000, ZN_SEC(30));
}

/* Records split over many segments, some lost, reordered, duplicated:
 * the pairs move from session to session between records. */
ZT_TEST(test_split_records_with_loss_while_pairs_move) {
  struct zn_fault_cfg fc;
  memset(&fc, 0, sizeof(fc));
  fc.seed = 7;
  fc.dirs = ZN_FAULT_RX | ZN_FAULT_TX;
  fc.loss_ppm = 20000;
  fc.dup_ppm = 10000;
  fc.reorder_ppm = 20000;
  fc.reorder_delay_ns = ZN_MS(3);
  fc.delay_ns = ZN_MS(1);
  fc.max_held = 4096;
  run_echo(&fc, 2, 0, 60000, ZN_SEC(120));
}

/* One pair; session 0's server side holds it (its plaintext unread);
 * sessions 1, 2, 3 then send in that order and wait; they are served in
 * that order once session 0 reads. */
ZT_TEST(test_waiters_served_in_order) {
  struct tpair t;
  static struct multi m;
  void *bmem;
  struct zn_tls_bufpool *bp = one_pair_world(&t, &m, &bmem);
  for (int i = 0; i < 4; i++) {
    tf_rx(&m.srv[i], 64);
    multi_connect(&m, i);
    tf_run(&t, ZN_MS(200)); /* one handshake at a time */
    ZT_EQ(m.srv[i].opened, 1);
  }
  ZT_EQU(info_of(bp).in_use, 0);
  static const uint8_t msg[] = "hello";
  m.srv[0].hold = true;
  ZT_EQ(zn_stream_write(m.cli[0].s, msg, 5), 5);
  tf_run(&t, ZN_MS(20));
  ZT_EQU(info_of(bp).in_use, 1);
  for (int i = 1; i < 4; i++) {
    ZT_EQ(zn_stream_write(m.cli[i].s, msg, 5), 5);
    tf_run(&t, ZN_MS(20));
  }
  struct zn_tls_bufpool_info i = info_of(bp);
  ZT_EQU(i.waiting, 3);
  ZT_EQU(i.waits, 3);
  for (int k = 1; k < 4; k++)
    ZT_EQU(m.srv[k].rx_len, 0);
  /* More from a waiter changes nothing: it waits, once. */
  ZT_EQ(zn_stream_write(m.cli[2].s, msg, 5), 5);
  tf_run(&t, ZN_MS(20));
  ZT_EQU(info_of(bp).waits, 3);
  m.srv[0].hold = false;
  order_readable(m.srv[0].s, &m.srv[0]);
  tf_run(&t, ZN_MS(100));
  ZT_EQ(m.nordered, 4);
  for (int k = 0; k < 4; k++)
    ZT_EQ(m.order[k], k);
  ZT_EQU(m.srv[2].rx_len, 10);
  ZT_EQU(info_of(bp).in_use, 0);
  ZT_EQU(info_of(bp).waiting, 0);
  world_free(&t, &m, bp, bmem);
}

/* A connection that sends nothing holds no pair; its first byte takes
 * one for the handshake. */
ZT_TEST(test_silent_connection_holds_no_pair) {
  struct tpair t;
  static struct multi m;
  void *bmem;
  struct zn_tls_bufpool *bp = one_pair_world(&t, &m, &bmem);
  struct zn_tcp_conn *c;
  ZT_EQ(zn_tcp_connect(t.p.a, TH_IP(IP_B), 8443, NULL, NULL, &c), ZN_OK);
  tf_run(&t, ZN_MS(100));
  ZT_EQ(m.accepted, 1);
  ZT_EQU(info_of(bp).in_use, 0);
  ZT_EQ(zn_tcp_write(c, "\x16", 1), 1); /* a handshake record begins */
  tf_run(&t, ZN_MS(100));
  ZT_EQU(info_of(bp).in_use, 1);
  zn_tcp_abort(c);
  tf_run(&t, ZN_MS(100));
  ZT_EQ(m.srv[0].errors, 1);
  world_free(&t, &m, bp, bmem);
}

/* A session that holds the pair (unread plaintext) gives it back when it
 * is closed, and at once when it is aborted; a waiting session that is
 * aborted leaves the queue. */
ZT_TEST(test_session_closed_holding_a_pair_gives_it_back) {
  struct tpair t;
  static struct multi m;
  void *bmem;
  struct zn_tls_bufpool *bp = one_pair_world(&t, &m, &bmem);
  for (int i = 0; i < 3; i++) {
    m.srv[i].hold = true;
    multi_connect(&m, i);
    tf_run(&t, ZN_MS(200));
  }
  static const uint8_t msg[] = "hello";
  for (int i = 0; i < 3; i++)
    ZT_EQ(zn_stream_write(m.cli[i].s, msg, 5), 5);
  tf_run(&t, ZN_MS(50));
  ZT_EQU(info_of(bp).in_use, 1);
  ZT_EQU(info_of(bp).waiting, 2);
  ZT_EQU(zn_stream_readable(m.srv[0].s), 5);
  /* The waiter 2 aborted: out of the queue at once. */
  zn_stream_abort(m.srv[2].s);
  ZT_EQU(info_of(bp).waiting, 1);
  /* The holder aborted: its pair goes to the waiter 1 at once. */
  zn_stream_abort(m.srv[0].s);
  ZT_EQU(info_of(bp).waiting, 0);
  ZT_EQU(info_of(bp).in_use, 1);
  tf_run(&t, ZN_MS(50));
  ZT_EQU(zn_stream_readable(m.srv[1].s), 5);
  /* The holder closed: back once it is gone. */
  zn_stream_close(m.srv[1].s);
  tf_run(&t, ZN_SEC(2));
  ZT_EQ(m.srv[1].closed, 1);
  ZT_EQU(info_of(bp).in_use, 0);
  world_free(&t, &m, bp, bmem);
}

int main(void) {
  ZT_RUN(test_bufpool_memory_and_refusals);
  ZT_RUN(test_idle_session_gives_its_buffers_back);
  ZT_RUN(test_many_sessions_share_few_buffers);
  ZT_RUN(test_one_pair_for_every_session);
  ZT_RUN(test_clients_share_a_pool_too);
  ZT_RUN(test_split_records_with_loss_while_pairs_move);
  ZT_RUN(test_waiters_served_in_order);
  ZT_RUN(test_silent_connection_holds_no_pair);
  ZT_RUN(test_session_closed_holding_a_pair_gives_it_back);
  return zt_done();
}
