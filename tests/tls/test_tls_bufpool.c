/* Record buffers lent (tls/tls_bufpool.c, znet/tls.h "Record buffers
 * lent"): the pool's memory and refusals; an idle session gives its pair
 * back; many sessions share fewer pairs and every byte arrives; waiters
 * are served in order; a session closed or aborted while it holds a pair
 * gives it back; records split over segments, with loss, while pairs move
 * between sessions.  A pair is lent only for a record TCP holds whole (or
 * all of what TCP will hold of it): a record sent a byte at a time, a
 * trickler beside a session with a whole record, records larger than
 * TCP's window, hostile headers, a partial ClientHello. */
#include "tls13_int.h"
#include "tls_fixture.h"

/* Sessions of run_echo(); the arrays hold up to MAXSESS. */
#define NSESS 8
#define MAXSESS 32

/* Sessions on B, each accepted connection the next side of the array. */
struct multi {
  struct tpair *t;
  struct tside srv[MAXSESS], cli[MAXSESS];
  struct tsend snd[MAXSESS];
  uint8_t *pat[MAXSESS];
  int accepted;
  int order[MAXSESS]; /* server sides in the order they first read */
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
    ZT_REQUIRE(m->accepted < MAXSESS);
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
  for (int i = 0; i < MAXSESS; i++) {
    if (m->cli[i].s && !m->cli[i].closed)
      zn_stream_close(m->cli[i].s);
    if (m->srv[i].s && !m->srv[i].closed)
      zn_stream_close(m->srv[i].s);
  }
  tf_run(m->t, ZN_SEC(30));
  zn_tcp_close(l);
  tf_run(m->t, ZN_SEC(130));
  for (int i = 0; i < MAXSESS; i++) {
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
    ZT_EQU(lean, 4880);
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

/* A connection that sends nothing holds no pair, nor one that sends part
 * of a ClientHello: the handshake's deadline ends it, still without one.
 * A whole first record takes one for the handshake. */
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
  /* A handshake record of 64 bytes begins: 3 bytes of its header, then
   * the rest of it and 10 bytes. */
  ZT_EQ(zn_tcp_write(c, "\x16\x03\x01", 3), 3);
  tf_run(&t, ZN_MS(100));
  ZT_EQU(info_of(bp).in_use, 0);
  static const uint8_t more[12] = {0x00, 0x40, 0x01};
  ZT_EQ(zn_tcp_write(c, more, sizeof(more)), (long)sizeof(more));
  tf_run(&t, ZN_MS(100));
  ZT_EQU(info_of(bp).in_use, 0);
  ZT_EQU(info_of(bp).takes, 0);
  ZT_EQ(m.srv[0].errors, 0);
  tf_run(&t, ZN_SEC(10)); /* the handshake's deadline */
  ZT_EQ(m.srv[0].errors, 1);
  ZT_EQ(m.srv[0].last_err, ZN_ETIMEDOUT);
  ZT_EQU(info_of(bp).takes, 0);
  zn_tcp_abort(c);
  /* A whole record (a ClientHello of nonsense) takes the pair. */
  ZT_EQ(zn_tcp_connect(t.p.a, TH_IP(IP_B), 8443, NULL, NULL, &c), ZN_OK);
  tf_run(&t, ZN_MS(100));
  static const uint8_t hello[9] = {0x16, 0x03, 0x01, 0x00, 0x04, 0x01};
  ZT_EQ(zn_tcp_write(c, hello, sizeof(hello)), (long)sizeof(hello));
  tf_run(&t, ZN_MS(100));
  ZT_EQU(info_of(bp).takes, 1);
  ZT_EQ(m.srv[1].errors, 1); /* the engine refused it */
  ZT_EQU(info_of(bp).in_use, 0);
  zn_tcp_abort(c);
  /* Part of a record, then the FIN: TCP holds all it will, so the engine
   * reads it and the FIN at once (not at the deadline). */
  ZT_EQ(zn_tcp_connect(t.p.a, TH_IP(IP_B), 8443, NULL, NULL, &c), ZN_OK);
  tf_run(&t, ZN_MS(100));
  ZT_EQ(zn_tcp_write(c, hello, 7), 7);
  tf_run(&t, ZN_MS(100));
  ZT_EQU(info_of(bp).takes, 1);
  zn_tcp_close(c);
  tf_run(&t, ZN_MS(100));
  ZT_EQ(m.srv[2].errors, 1);
  ZT_EQ(m.srv[2].last_err, ZN_ETLS);
  ZT_EQU(info_of(bp).takes, 2);
  ZT_EQU(info_of(bp).in_use, 0);
  tf_run(&t, ZN_MS(100));
  world_free(&t, &m, bp, bmem);
}

/* ---- a relay, to send a client session's records in pieces ---- */

#define RELAY_PORT 9443

/* A TCP relay on stack A: a client session connects to A's loopback
 * RELAY_PORT, the relay opens a connection from A to B's 8443 (m's
 * listener) and copies both ways; towards the server it sends on only
 * what `allow` lets through (SIZE_MAX: everything), so that a test
 * sends a record a byte at a time, and `inject` puts bytes of its own
 * on that way. */
struct relay {
  struct zn_tcp_conn *l, *in, *out; /* in: from the client; out: to B */
  bool out_up;
  uint8_t buf[65536]; /* from the client, not sent on yet */
  size_t len;
  size_t allow;
};

static void relay_pump(struct relay *r) {
  long n;
  while (r->in && r->len < sizeof(r->buf) &&
         (n = zn_tcp_read(r->in, r->buf + r->len, sizeof(r->buf) - r->len)) > 0)
    r->len += (size_t)n;
  if (!r->out || !r->out_up)
    return;
  size_t k = r->len < r->allow ? r->len : r->allow;
  long w = k ? zn_tcp_write(r->out, r->buf, k) : 0;
  if (w > 0) {
    memmove(r->buf, r->buf + w, r->len - (size_t)w);
    r->len -= (size_t)w;
    if (r->allow != SIZE_MAX)
      r->allow -= (size_t)w;
  }
  uint8_t tmp[4096];
  while (r->in && (n = zn_tcp_read(r->out, tmp, sizeof(tmp))) > 0)
    ZT_EQ(zn_tcp_write(r->in, tmp, (size_t)n), n);
}

static void relay_event(struct zn_tcp_conn *c, void *arg) {
  struct relay *r = arg;
  if (c == r->out)
    r->out_up = true;
  relay_pump(r);
}

static void relay_closed(struct zn_tcp_conn *c, void *arg) {
  struct relay *r = arg;
  if (c == r->in)
    r->in = NULL;
  if (c == r->out)
    r->out = NULL;
}

static void relay_accept(struct zn_tcp_conn *l, void *arg);

static const struct zn_tcp_callbacks relay_cbs = {
    .on_accept = relay_accept,
    .on_connected = relay_event,
    .on_readable = relay_event,
    .on_writable = relay_event,
    .on_closed = relay_closed,
};

static struct tpair *relay_t;

static void relay_accept(struct zn_tcp_conn *l, void *arg) {
  struct relay *r = arg;
  struct zn_tcp_conn *c;
  while (zn_tcp_accept(l, &c) == ZN_OK) {
    ZT_REQUIRE(r->in == NULL);
    r->in = c;
    ZT_EQ(
        zn_tcp_connect(relay_t->p.a, TH_IP(IP_B), 8443, &relay_cbs, r, &r->out),
        ZN_OK);
    zn_tcp_set_nodelay(r->out, true); /* a byte is a segment */
  }
}

static void relay_start(struct relay *r, struct tpair *t) {
  memset(r, 0, sizeof(*r));
  r->allow = SIZE_MAX;
  relay_t = t;
  ZT_EQ(zn_tcp_listen(t->p.a, NULL, RELAY_PORT, 0, &relay_cbs, r, &r->l),
        ZN_OK);
}

/* Client i's session, through the relay. */
static void relay_connect(struct multi *m, int i) {
  struct tpair *t = m->t;
  struct zn_tcp_conn *c;
  ZT_EQ(zn_tcp_connect(t->p.a, TH_IP(ZN_IPV4(127, 0, 0, 1)), RELAY_PORT, NULL,
                       NULL, &c),
        ZN_OK);
  struct tside *d = &m->cli[i];
  size_t len = zn_tls_conn_size(&t->ccfg);
  d->mem = aligned_alloc(64, (len + 63) / 64 * 64);
  ZT_EQ(zn_tls_client_start(&t->ccfg, t->p.a, c, "localhost", &tf_cbs, d,
                            d->mem, len, &d->s),
        ZN_OK);
}

/* n more bytes of what waits in the relay go on to the server. */
static void relay_let(struct tpair *t, struct relay *r, size_t n) {
  r->allow = n;
  relay_pump(r);
  ZT_EQU(r->allow, 0);
  tf_run(t, ZN_MS(5));
}

static void relay_inject(struct relay *r, const void *p, size_t n) {
  ZT_EQ(zn_tcp_write(r->out, p, n), (long)n);
}

static void relay_stop(struct tpair *t, struct relay *r) {
  r->allow = SIZE_MAX;
  relay_pump(r);
  tf_run(t, ZN_MS(50));
  if (r->in)
    zn_tcp_close(r->in);
  if (r->out)
    zn_tcp_close(r->out);
  zn_tcp_close(r->l);
  r->in = r->out = r->l = NULL;
}

/* Bytes the server side's TCP connection holds unread. */
static size_t srv_queued(const struct tside *d) {
  return zn_tcp_readable(zn_stream_conn(d->s));
}

/* One pair; session 0 through the relay, open.  Its next record waits in
 * the relay. */
static struct zn_tls_bufpool *relayed_world(struct tpair *t, struct multi *m,
                                            struct relay *r, void **bmem) {
  struct zn_tls_bufpool *bp = one_pair_world(t, m, bmem);
  relay_start(r, t);
  relay_connect(m, 0);
  tf_run(t, ZN_MS(300));
  ZT_EQ(m->srv[0].opened, 1);
  ZT_EQ(m->cli[0].opened, 1);
  ZT_EQU(info_of(bp).in_use, 0);
  ZT_EQU(info_of(bp).takes, 1); /* the handshake's */
  r->allow = 0;
  return bp;
}

/* A record sent on a byte at a time: no pair while TCP holds a part of
 * it (the bytes wait there), then taken once the last byte is in, the
 * record decrypted, the pair back. */
ZT_TEST(test_record_trickled_takes_no_pair_until_whole) {
  struct tpair t;
  static struct multi m;
  static struct relay r;
  void *bmem;
  struct zn_tls_bufpool *bp = relayed_world(&t, &m, &r, &bmem);
  tf_rx(&m.srv[0], 64);
  ZT_EQ(zn_stream_write(m.cli[0].s, "hello", 5), 5);
  tf_run(&t, ZN_MS(50));
  size_t rec = r.len;
  ZT_CHECK(rec > 5 + 5); /* header, "hello" and the AEAD's bytes */
  for (size_t k = 1; k < rec; k++) {
    relay_let(&t, &r, 1);
    ZT_EQU(srv_queued(&m.srv[0]), k);
    ZT_EQU(info_of(bp).in_use, 0);
  }
  ZT_EQU(info_of(bp).takes, 1);
  ZT_EQU(m.srv[0].rx_len, 0);
  relay_let(&t, &r, 1);
  tf_run(&t, ZN_MS(20));
  ZT_EQU(m.srv[0].rx_len, 5);
  ZT_MEMEQ(m.srv[0].rx, "hello", 5);
  ZT_EQU(info_of(bp).takes, 2);
  ZT_EQU(info_of(bp).in_use, 0);
  ZT_EQ(m.srv[0].errors, 0);
  relay_stop(&t, &r);
  world_free(&t, &m, bp, bmem);
}

/* One pair.  Session 0 trickles a record (half of it sent); session 1
 * sends a whole one: it gets the pair, without waiting. */
ZT_TEST(test_trickler_holds_no_pair_while_another_gets_it) {
  struct tpair t;
  static struct multi m;
  static struct relay r;
  void *bmem;
  struct zn_tls_bufpool *bp = relayed_world(&t, &m, &r, &bmem);
  multi_connect(&m, 1);
  tf_run(&t, ZN_MS(300));
  ZT_EQ(m.srv[1].opened, 1);
  tf_rx(&m.srv[0], 4096);
  tf_rx(&m.srv[1], 4096);
  uint8_t *pat = tf_pattern(3000, 5);
  ZT_EQ(zn_stream_write(m.cli[0].s, pat, 3000), 3000);
  tf_run(&t, ZN_MS(50));
  size_t rec = r.len;
  for (int k = 0; k < 10; k++)
    relay_let(&t, &r, rec / 20);
  ZT_EQU(srv_queued(&m.srv[0]), rec / 20 * 10);
  ZT_EQU(info_of(bp).in_use, 0);
  uint64_t takes = info_of(bp).takes;
  ZT_EQ(zn_stream_write(m.cli[1].s, pat, 1000), 1000);
  tf_run(&t, ZN_MS(50));
  ZT_EQU(m.srv[1].rx_len, 1000);
  ZT_MEMEQ(m.srv[1].rx, pat, 1000);
  ZT_EQU(info_of(bp).waits, 0);
  ZT_EQU(info_of(bp).takes, takes + 1);
  ZT_EQU(m.srv[0].rx_len, 0);
  relay_let(&t, &r, rec - rec / 20 * 10);
  tf_run(&t, ZN_MS(20));
  ZT_EQU(m.srv[0].rx_len, 3000);
  ZT_MEMEQ(m.srv[0].rx, pat, 3000);
  ZT_EQU(info_of(bp).in_use, 0);
  free(pat);
  relay_stop(&t, &r);
  world_free(&t, &m, bp, bmem);
}

/* Records of 16 KiB into TCP windows of 4 KiB, three sessions, one pair:
 * TCP never holds a whole record, so a pair is taken once it holds what
 * it will; every byte arrives. */
ZT_TEST(test_record_larger_than_tcp_window_completes) {
  struct tpair t;
  static struct multi m;
  void *bmem;
  struct zn_tls_bufpool *bp = one_pair_world(&t, &m, &bmem);
  ZT_EQ(zn_tcp_set_bufsizes(m.l, 0, 4096), ZN_OK);
  const size_t bytes = 3 * 16384;
  for (int i = 0; i < 3; i++) {
    m.pat[i] = tf_pattern(bytes, (uint32_t)i + 11);
    m.snd[i] = (struct tsend){
        .data = m.pat[i], .total = bytes, .chunk = 16384, .copy = true};
    m.cli[i].send = &m.snd[i];
    tf_rx(&m.srv[i], bytes);
    multi_connect(&m, i);
  }
  tf_run(&t, ZN_SEC(10));
  for (int i = 0; i < 3; i++) {
    ZT_EQ(m.srv[i].errors + m.cli[i].errors, 0);
    ZT_EQU(m.srv[i].rx_len, bytes);
    ZT_MEMEQ(m.srv[i].rx, m.pat[i], bytes);
  }
  struct zn_tls_bufpool_info i = info_of(bp);
  printf("# 4 KiB windows: %llu records taken before whole, %llu takes, "
         "%llu waits\n",
         (unsigned long long)t.sstats.v[ZN_TLS_STAT_buf_partial],
         (unsigned long long)i.takes, (unsigned long long)i.waits);
  ZT_CHECK(t.sstats.v[ZN_TLS_STAT_buf_partial] >= 9);
  ZT_EQU(i.in_use, 0);
  ZT_EQU(i.peak, 1);
  world_free(&t, &m, bp, bmem);
}

/* A raw client's header fails the server session as the engine would
 * (its code), counted, with no pair ever lent; a header split over two
 * segments is read whole.  A FIN alone ends a session without one too. */
static void hostile_header(struct tpair *t, struct multi *m, const uint8_t *hdr,
                           size_t split, int code, enum zn_tls_failure want) {
  int i = m->accepted;
  struct zn_tcp_conn *c;
  ZT_EQ(zn_tcp_connect(t->p.a, TH_IP(IP_B), 8443, NULL, NULL, &c), ZN_OK);
  tf_run(t, ZN_MS(100));
  ZT_EQ(m->accepted, i + 1);
  uint64_t bad = t->sstats.v[ZN_TLS_STAT_bad_headers];
  if (split) {
    ZT_EQ(zn_tcp_write(c, hdr, split), (long)split);
    tf_run(t, ZN_MS(50));
    ZT_EQ(m->srv[i].errors, 0);
  }
  ZT_EQ(zn_tcp_write(c, hdr + split, 5 - split), (long)(5 - split));
  tf_run(t, ZN_MS(50));
  ZT_EQ(m->srv[i].errors, 1);
  ZT_EQ(m->srv[i].last_err, ZN_ETLS);
  ZT_EQ(m->srv[i].fail.failure, want);
  ZT_EQ(m->srv[i].fail.engine_code, code);
  ZT_EQ(m->srv[i].fail.alert, -1);
  ZT_EQU(t->sstats.v[ZN_TLS_STAT_bad_headers], bad + 1);
  ZT_EQ(zn_tcp_state(c), ZN_TCP_CLOSED); /* reset */
  zn_tcp_close(c);
}

ZT_TEST(test_hostile_header_fails_holding_no_pair) {
  struct tpair t;
  static struct multi m;
  void *bmem;
  struct zn_tls_bufpool *bp = one_pair_world(&t, &m, &bmem);
  /* The TLS 1.3 engine's codes (it reads the ClientHello): a header
   * refused with the alert its record earns (tls13_int.h). */
  static const uint8_t too_long[5] = {0x16, 0x03, 0x01, 0xff, 0xff};
  static const uint8_t bad_type[5] = {0x30, 0x03, 0x03, 0x00, 0x10};
  static const uint8_t appdata[5] = {0x17, 0x03, 0x03, 0x00, 0x10};
  static const uint8_t sslv2[5] = {0x80, 0x2c, 0x01, 0x03, 0x01};
  const int overflow = ZN__TLS13_ERR_HEADER + ZN__TLS13_ALERT_record_overflow,
            unexpected =
                ZN__TLS13_ERR_HEADER + ZN__TLS13_ALERT_unexpected_message,
            not_tls = ZN__TLS13_ERR_HEADER + ZN__TLS13_ALERT_protocol_version;
  hostile_header(&t, &m, too_long, 0, overflow, ZN_TLS_FAIL_protocol);
  hostile_header(&t, &m, too_long, 4, overflow, ZN_TLS_FAIL_protocol);
  hostile_header(&t, &m, bad_type, 0, unexpected, ZN_TLS_FAIL_protocol);
  hostile_header(&t, &m, appdata, 2, unexpected, ZN_TLS_FAIL_protocol);
  hostile_header(&t, &m, sslv2, 0, not_tls, ZN_TLS_FAIL_version);
  ZT_EQU(t.sstats.v[ZN_TLS_STAT_failed_protocol], 4);
  ZT_EQU(t.sstats.v[ZN_TLS_STAT_failed_version], 1);
  ZT_EQU(t.sstats.v[ZN_TLS_STAT_handshakes_failed], 5);
  /* A FIN and nothing else. */
  struct zn_tcp_conn *c;
  ZT_EQ(zn_tcp_connect(t.p.a, TH_IP(IP_B), 8443, NULL, NULL, &c), ZN_OK);
  tf_run(&t, ZN_MS(100));
  zn_tcp_close(c);
  tf_run(&t, ZN_MS(100));
  ZT_EQ(m.srv[5].errors, 1);
  ZT_EQ(m.srv[5].fail.failure, ZN_TLS_FAIL_peer_closed);
  ZT_EQU(info_of(bp).takes, 0);
  ZT_EQU(info_of(bp).in_use, 0);
  world_free(&t, &m, bp, bmem);
}

/* After the handshake: an encrypted record's header too long for the
 * suite, put on the way by the relay, fails the session with no pair
 * taken for it. */
ZT_TEST(test_hostile_header_after_handshake_fails_holding_no_pair) {
  struct tpair t;
  static struct multi m;
  static struct relay r;
  void *bmem;
  struct zn_tls_bufpool *bp = relayed_world(&t, &m, &r, &bmem);
  static const uint8_t too_long[5] = {0x17, 0x03, 0x03, 0xff, 0xff};
  relay_inject(&r, too_long, 3);
  tf_run(&t, ZN_MS(20));
  ZT_EQ(m.srv[0].errors, 0);
  relay_inject(&r, too_long + 3, 2);
  tf_run(&t, ZN_MS(20));
  ZT_EQ(m.srv[0].errors, 1);
  ZT_EQ(m.srv[0].fail.failure, ZN_TLS_FAIL_protocol);
  /* A TLS 1.3 session: the header refused before its body, with
   * record_overflow (no pair was taken for it). */
  ZT_EQ(m.srv[0].fail.engine_code,
        ZN__TLS13_ERR_HEADER + ZN__TLS13_ALERT_record_overflow);
  ZT_EQU(t.sstats.v[ZN_TLS_STAT_bad_headers], 1);
  ZT_EQU(t.sstats.v[ZN_TLS_STAT_handshakes_failed], 0);
  ZT_EQU(info_of(bp).takes, 1);
  ZT_EQU(info_of(bp).in_use, 0);
  relay_stop(&t, &r);
  world_free(&t, &m, bp, bmem);
}

/* MAXSESS sessions at once, one pair: every handshake and every request
 * and its answer go through it, first come first served. */
ZT_TEST(test_one_pair_many_sessions_each_an_exchange) {
  struct tpair t;
  static struct multi m;
  void *bmem;
  struct zn_tls_bufpool *bp = one_pair_world(&t, &m, &bmem);
  for (int i = 0; i < MAXSESS; i++) {
    m.srv[i].echo = true;
    m.srv[i].use_peek = true; /* what it echoes stays in the pair */
    m.pat[i] = tf_pattern(700, (uint32_t)i + 100);
    m.snd[i] = (struct tsend){.data = m.pat[i], .total = 700, .chunk = 700};
    m.cli[i].send = &m.snd[i];
    tf_rx(&m.cli[i], 700);
    multi_connect(&m, i);
  }
  tf_run(&t, ZN_SEC(20));
  for (int i = 0; i < MAXSESS; i++) {
    ZT_EQ(m.cli[i].errors + m.srv[i].errors, 0);
    ZT_EQU(m.cli[i].rx_len, 700);
    ZT_MEMEQ(m.cli[i].rx, m.pat[i], 700);
  }
  struct zn_tls_bufpool_info i = info_of(bp);
  printf("# 1 pair for %d sessions: %llu takes, %llu waits\n", MAXSESS,
         (unsigned long long)i.takes, (unsigned long long)i.waits);
  ZT_CHECK(i.waits > 0);
  ZT_EQU(i.waits, t.sstats.v[ZN_TLS_STAT_buf_waits]);
  ZT_EQU(i.peak, 1);
  ZT_EQU(i.in_use, 0);
  ZT_EQU(i.waiting, 0);
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
  ZT_RUN(test_record_trickled_takes_no_pair_until_whole);
  ZT_RUN(test_trickler_holds_no_pair_while_another_gets_it);
  ZT_RUN(test_record_larger_than_tcp_window_completes);
  ZT_RUN(test_hostile_header_fails_holding_no_pair);
  ZT_RUN(test_hostile_header_after_handshake_fails_holding_no_pair);
  ZT_RUN(test_one_pair_many_sessions_each_an_exchange);
  return zt_done();
}
