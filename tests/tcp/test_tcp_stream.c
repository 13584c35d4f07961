/* TCP streams (znet/stream.h) between two stacks over memlink: every
 * operation reaches the connection, every event reaches the stream. */
#include <stdlib.h>

#include "../proto/proto_util.h"
#include "core/stack_int.h"
#include "internals.h"
#include "znet/stream.h"

struct side {
  struct zn_tcp_stream ts;
  int opened, errors, last_err, closed, writable;
  size_t rx;
  int eof;
  uint8_t buf[8192];
  bool use_peek;
  bool conn_null_at_close;
};

struct app {
  struct zn_tcp_conn *listener;
  struct side srv, cli;
  int released;
};

static void s_open(struct zn_stream *s, void *arg) {
  (void)s;
  ((struct side *)arg)->opened++;
}

static void s_readable(struct zn_stream *s, void *arg) {
  struct side *d = arg;
  long n;
  for (;;) {
    if (d->use_peek) {
      const uint8_t *v;
      n = zn_stream_peek(s, &v);
      if (n > 0) {
        size_t k = (size_t)n;
        if (d->rx + k <= sizeof(d->buf))
          memcpy(d->buf + d->rx, v, k);
        d->rx += k;
        if (zn_stream_consume(s, k) != ZN_OK)
          d->errors += 100;
        continue;
      }
    } else {
      uint8_t tmp[4096];
      n = zn_stream_read(s, tmp, sizeof(tmp));
      if (n > 0) {
        size_t k = (size_t)n;
        if (d->rx + k <= sizeof(d->buf))
          memcpy(d->buf + d->rx, tmp, k);
        d->rx += k;
        continue;
      }
    }
    break;
  }
  if (n == 0)
    d->eof = 1;
}

static void s_writable(struct zn_stream *s, void *arg) {
  (void)s;
  ((struct side *)arg)->writable++;
}

static void s_error(struct zn_stream *s, void *arg, int err) {
  (void)s;
  struct side *d = arg;
  d->errors++;
  d->last_err = err;
}

static void s_closed(struct zn_stream *s, void *arg) {
  struct side *d = arg;
  d->closed++;
  d->conn_null_at_close = zn_stream_conn(s) == NULL;
}

static const struct zn_stream_callbacks scb = {
    .on_open = s_open,
    .on_readable = s_readable,
    .on_writable = s_writable,
    .on_error = s_error,
    .on_closed = s_closed,
};

static void on_accept(struct zn_tcp_conn *l, void *arg) {
  struct app *a = arg;
  struct zn_tcp_conn *c;
  while (zn_tcp_accept(l, &c) == ZN_OK)
    zn_tcp_stream_init(&a->srv.ts, c, &scb, &a->srv);
}

static const struct zn_tcp_callbacks lcb = {.on_accept = on_accept};

static void release(void *arg) { ((struct app *)arg)->released++; }

static void setup(struct th_pair *p, struct app *a) {
  struct zn_config ca, cb;
  th_config(&ca, IP_A, 24, 1);
  th_config(&cb, IP_B, 24, 2);
  ca.arp_announce = cb.arp_announce = false;
  th_pair_init(p, &ca, &cb);
  zn_stack_poll(p->a, 0);
  zn_stack_poll(p->b, 0);
  memset(a, 0, sizeof(*a));
  ZT_EQ(zn_tcp_listen(p->b, NULL, 80, 0, &lcb, a, &a->listener), ZN_OK);
  struct zn_tcp_conn *c = NULL;
  ZT_EQ(zn_tcp_connect(p->a, TH_IP(IP_B), 80, NULL, NULL, &c), ZN_OK);
  zn_tcp_stream_init(&a->cli.ts, c, &scb, &a->cli);
  th_pair_run(p, ZN_MS(50));
}

ZT_TEST(test_stream_open_read_write_close) {
  struct th_pair p;
  struct app a;
  setup(&p, &a);
  /* on_open for the active open only. */
  ZT_EQ(a.cli.opened, 1);
  ZT_EQ(a.srv.opened, 0);
  ZT_CHECK(zn_stream_conn(&a.srv.ts.s) != NULL);
  struct zn_tcp_info info;
  zn_tcp_get_info(zn_stream_conn(&a.cli.ts.s), &info);
  ZT_EQ(info.state, ZN_TCP_ESTABLISHED);
  /* Copying writes one way, a reference the other; read and peek. */
  a.srv.use_peek = true;
  ZT_CHECK(zn_stream_writable(&a.cli.ts.s) > 0);
  ZT_EQ(zn_stream_write(&a.cli.ts.s, "GET / HTTP/1.1\r\n", 16), 16);
  static const char body[] = "a reference, never copied";
  ZT_EQ(zn_stream_write_ref(&a.srv.ts.s, body, sizeof(body) - 1, release, &a),
        ZN_OK);
  th_pair_run(&p, ZN_MS(50));
  ZT_EQU(a.srv.rx, 16);
  ZT_MEMEQ(a.srv.buf, "GET / HTTP/1.1\r\n", 16);
  ZT_EQU(a.cli.rx, sizeof(body) - 1);
  ZT_MEMEQ(a.cli.buf, body, sizeof(body) - 1);
  ZT_EQ(a.released, 1);
  ZT_EQU(zn_stream_readable(&a.cli.ts.s), 0);
  ZT_EQ(zn_stream_read(&a.cli.ts.s, a.cli.buf, 1), ZN_EAGAIN);
  /* Half-close: the server reads the end, answers, closes. */
  ZT_EQ(zn_stream_shutdown(&a.cli.ts.s), ZN_OK);
  th_pair_run(&p, ZN_MS(50));
  ZT_EQ(a.srv.eof, 1);
  ZT_EQ(zn_stream_write(&a.srv.ts.s, "bye", 3), 3);
  zn_stream_close(&a.srv.ts.s);
  th_pair_run(&p, ZN_MS(50));
  ZT_EQ(a.cli.eof, 1);
  ZT_EQU(a.cli.rx, sizeof(body) - 1 + 3);
  zn_stream_close(&a.cli.ts.s);
  th_pair_run(&p, ZN_SEC(61));
  ZT_EQ(a.srv.closed, 1);
  ZT_EQ(a.cli.closed, 1);
  ZT_CHECK(a.srv.conn_null_at_close && a.cli.conn_null_at_close);
  ZT_EQ(a.srv.errors + a.cli.errors, 0);
  /* A stream whose connection is gone answers, it does not crash. */
  ZT_EQ(zn_stream_read(&a.cli.ts.s, a.cli.buf, 1), ZN_ENOTCONN);
  ZT_EQ(zn_stream_write(&a.cli.ts.s, "x", 1), ZN_ENOTCONN);
  ZT_EQU(zn_stream_writable(&a.cli.ts.s), 0);
  zn_stream_close(&a.cli.ts.s);
  zn_tcp_close(a.listener);
  th_pair_run(&p, ZN_MS(10));
  ZT_EQ(ZN__MOD(p.a, tcp)->nused, 0);
  ZT_EQ(ZN__MOD(p.b, tcp)->nused, 0);
  th_pair_free(&p);
}

ZT_TEST(test_stream_abort_reaches_peer_as_error) {
  struct th_pair p;
  struct app a;
  setup(&p, &a);
  ZT_EQ(zn_stream_write(&a.srv.ts.s, "x", 1), 1);
  th_pair_run(&p, ZN_MS(20));
  zn_stream_abort(&a.cli.ts.s);
  th_pair_run(&p, ZN_MS(50));
  ZT_EQ(a.cli.closed, 1);
  ZT_EQ(a.srv.errors, 1);
  ZT_EQ(a.srv.last_err, ZN_ECONNRESET);
  ZT_EQ(zn_stream_read(&a.srv.ts.s, a.srv.buf, 1), ZN_ECONNRESET);
  zn_stream_close(&a.srv.ts.s);
  zn_tcp_close(a.listener);
  th_pair_run(&p, ZN_MS(50));
  ZT_EQ(a.srv.closed, 1);
  ZT_EQ(ZN__MOD(p.b, tcp)->nused, 0);
  th_pair_free(&p);
}

/* A write that falls short brings on_writable once the peer reads. */
ZT_TEST(test_stream_writable_after_short_write) {
  struct th_pair p;
  struct app a;
  setup(&p, &a);
  static uint8_t big[1 << 20];
  long w, total = 0;
  while ((w = zn_stream_write(&a.srv.ts.s, big, sizeof(big))) > 0)
    total += w;
  ZT_EQ(w, ZN_EAGAIN);
  ZT_CHECK(total > 0);
  th_pair_run(&p, ZN_MS(200));
  ZT_CHECK(a.srv.writable >= 1);
  zn_stream_abort(&a.srv.ts.s);
  zn_stream_abort(&a.cli.ts.s);
  zn_tcp_close(a.listener);
  th_pair_run(&p, ZN_MS(50));
  ZT_EQ(ZN__MOD(p.a, tcp)->nused, 0);
  ZT_EQ(ZN__MOD(p.b, tcp)->nused, 0);
  th_pair_free(&p);
}

/* A write that fills the buffer exactly asks for nothing; one who then
 * waits for room asks (zn_tcp_want_writable) and hears on_writable once
 * the peer's ACKs free it. */
ZT_TEST(test_stream_writable_asked_after_exact_fill) {
  struct th_pair p;
  struct app a;
  setup(&p, &a);
  static uint8_t big[1 << 20];
  struct zn_tcp_conn *c = a.srv.ts.c;
  size_t room = zn_tcp_writable(c);
  ZT_REQUIRE(room > 0 && room <= sizeof(big));
  ZT_EQ(zn_stream_write(&a.srv.ts.s, big, room), (long)room);
  ZT_EQ(zn_tcp_writable(c), 0u);
  th_pair_run(&p, ZN_MS(200));
  ZT_EQ(a.srv.writable, 0); /* nobody asked */
  ZT_CHECK(zn_tcp_writable(c) > 0);
  room = zn_tcp_writable(c);
  ZT_EQ(zn_stream_write(&a.srv.ts.s, big, room), (long)room);
  zn_tcp_want_writable(c);
  zn_tcp_want_writable(NULL);
  th_pair_run(&p, ZN_MS(200));
  ZT_EQ(a.srv.writable, 1);
  /* All acknowledged: the queue's count is back to nothing. */
  ZT_EQ(c->snd_queued, 0u);
  ZT_EQ(c->sndq.bytes, 0u);
  ZT_EQ(c->sndq.count, 0u);
  zn_stream_abort(&a.srv.ts.s);
  zn_stream_abort(&a.cli.ts.s);
  zn_tcp_close(a.listener);
  th_pair_run(&p, ZN_MS(50));
  th_pair_free(&p);
}

/* A pool lends its streams until on_closed has returned, and refuses
 * when all are out. */
struct pooled {
  struct zn_tcp_stream_pool pool;
  struct zn_stream *got[4];
  int ngot, refused, closed;
  uint32_t used_in_closed;
};

static void pooled_closed(struct zn_stream *s, void *arg) {
  (void)s;
  struct pooled *q = arg;
  q->closed++;
  q->used_in_closed = q->pool.used; /* not yet given back */
}

static const struct zn_stream_callbacks pooled_cb = {.on_closed =
                                                         pooled_closed};

static void pooled_accept(struct zn_tcp_conn *l, void *arg) {
  struct pooled *q = arg;
  struct zn_tcp_conn *c;
  while (zn_tcp_accept(l, &c) == ZN_OK) {
    struct zn_stream *s = zn_stream_make(&q->pool.maker, c, &pooled_cb, q);
    if (s == NULL) {
      q->refused++;
      zn_tcp_abort(c);
      continue;
    }
    q->got[q->ngot++ & 3] = s;
  }
}

static const struct zn_tcp_callbacks pooled_lcb = {.on_accept = pooled_accept};

ZT_TEST(test_stream_pool_lends_and_takes_back) {
  struct th_pair p;
  struct zn_config ca, cb;
  th_config(&ca, IP_A, 24, 1);
  th_config(&cb, IP_B, 24, 2);
  ca.arp_announce = cb.arp_announce = false;
  th_pair_init(&p, &ca, &cb);
  zn_stack_poll(p.a, 0);
  zn_stack_poll(p.b, 0);
  struct pooled q;
  memset(&q, 0, sizeof(q));
  static _Alignas(16) uint8_t mem[1024];
  ZT_EQ(zn_tcp_stream_pool_init(&q.pool, mem, 10, 1), ZN_ENOMEM);
  ZT_EQ(zn_tcp_stream_pool_init(&q.pool, mem, sizeof(mem), 0), ZN_EINVAL);
  ZT_CHECK(zn_tcp_stream_pool_mem_size(1) <= sizeof(mem));
  ZT_EQ(zn_tcp_stream_pool_init(&q.pool, mem, sizeof(mem), 1), ZN_OK);
  struct zn_tcp_conn *l, *c1, *c2;
  ZT_EQ(zn_tcp_listen(p.b, NULL, 853, 0, &pooled_lcb, &q, &l), ZN_OK);
  ZT_EQ(zn_tcp_connect(p.a, TH_IP(IP_B), 853, NULL, NULL, &c1), ZN_OK);
  ZT_EQ(zn_tcp_connect(p.a, TH_IP(IP_B), 853, NULL, NULL, &c2), ZN_OK);
  th_pair_run(&p, ZN_MS(50));
  ZT_EQ(q.ngot, 1);
  ZT_EQ(q.refused, 1);
  ZT_EQU(q.pool.used, 1);
  /* Lent until on_closed, which comes once our FIN is acknowledged (the
   * connection then waits for the peer's in a record, tcp_tw.c). */
  zn_stream_close(q.got[0]);
  th_pair_run(&p, ZN_MS(50));
  ZT_EQ(q.closed, 1);
  ZT_EQU(q.used_in_closed, 1);
  ZT_EQU(q.pool.used, 0);
  zn_tcp_close(c1);
  th_pair_run(&p, ZN_MS(50));
  /* The slot serves the next connection. */
  struct zn_tcp_conn *c3;
  ZT_EQ(zn_tcp_connect(p.a, TH_IP(IP_B), 853, NULL, NULL, &c3), ZN_OK);
  th_pair_run(&p, ZN_MS(50));
  ZT_EQ(q.ngot, 2);
  ZT_CHECK(q.got[1] == q.got[0]);
  ZT_REQUIRE(q.got[1] != NULL);
  zn_stream_abort(q.got[1]);
  zn_tcp_abort(c2);
  zn_tcp_abort(c3);
  zn_tcp_close(l);
  th_pair_run(&p, ZN_SEC(61)); /* the first one's TIME_WAIT */
  ZT_EQU(q.pool.used, 0);
  ZT_EQ(ZN__MOD(p.a, tcp)->nused, 0);
  ZT_EQ(ZN__MOD(p.b, tcp)->nused, 0);
  th_pair_free(&p);
}

int main(void) {
  ZT_RUN(test_stream_open_read_write_close);
  ZT_RUN(test_stream_abort_reaches_peer_as_error);
  ZT_RUN(test_stream_writable_after_short_write);
  ZT_RUN(test_stream_writable_asked_after_exact_fill);
  ZT_RUN(test_stream_pool_lends_and_takes_back);
  return zt_done();
}
