/*
 * The HTTP server's second port with a zn_tls_pool as its stream maker
 * (HTTPS), over memlink: libznet-tls clients on stack A (the test CA of
 * tests/tls/certs.h, ALPN http/1.1) get the same answers as plain ones;
 * bodies copied and by reference arrive whole, pipelined too; a pool
 * with no session free has the oldest idle (or the slowest judged)
 * HTTPS connection reset for a newcomer, and refuses it only when every
 * session's holder is younger than grace_ms; sessions go back to the
 * pool.
 */
#include "../tls/certs.h"
#include "httpd_fixture.h"
#include "znet/tls.h"

#define TLS_PORT 443
#define GET(path) "GET " path " HTTP/1.1\r\nHost: a\r\n\r\n"

static const char *const alpn[] = {"http/1.1"};

struct tfix {
  struct hfix hf;
  struct zn_tls_config scfg, ccfg;
  struct zn_tls_stats sstats, cstats;
  void *creds_mem, *anchors_mem, *pool_mem;
  struct zn_tls_pool pool;
};

static uint64_t t_clock(void *arg) {
  (void)arg;
  return HF_NOW;
}

static void tfix_init(struct tfix *t, uint32_t sessions) {
  memset(t, 0, sizeof(*t));
  hf_init(&t->hf);
  zn_tls_config_default(&t->scfg, ZN_TLS_SERVER);
  zn_tls_config_default(&t->ccfg, ZN_TLS_CLIENT);
  t->scfg.stats = &t->sstats;
  t->ccfg.stats = &t->cstats;
  t->scfg.alpn = t->ccfg.alpn = alpn;
  t->scfg.nalpn = t->ccfg.nalpn = 1;
  t->ccfg.clock = t_clock;
  size_t n = 0;
  struct zn_tls_creds *cr = NULL;
  ZT_EQ(zn_tls_creds_measure(ZT_PEM_SERVER_EC_PEM, strlen(ZT_PEM_SERVER_EC_PEM),
                             ZT_PEM_SERVER_EC_KEY, strlen(ZT_PEM_SERVER_EC_KEY),
                             &n, NULL),
        ZN_OK);
  t->creds_mem = aligned_alloc(64, (n + 63) / 64 * 64);
  ZT_EQ(zn_tls_creds_init(ZT_PEM_SERVER_EC_PEM, strlen(ZT_PEM_SERVER_EC_PEM),
                          ZT_PEM_SERVER_EC_KEY, strlen(ZT_PEM_SERVER_EC_KEY),
                          t->creds_mem, n, &cr, NULL),
        ZN_OK);
  t->scfg.creds = cr;
  struct zn_tls_anchors *an = NULL;
  ZT_EQ(zn_tls_anchors_measure(ZT_PEM_CA_PEM, strlen(ZT_PEM_CA_PEM), &n, NULL,
                               NULL),
        ZN_OK);
  t->anchors_mem = aligned_alloc(64, (n + 63) / 64 * 64);
  ZT_EQ(zn_tls_anchors_init(ZT_PEM_CA_PEM, strlen(ZT_PEM_CA_PEM),
                            t->anchors_mem, n, &an, NULL),
        ZN_OK);
  t->ccfg.anchors = an;
  n = zn_tls_pool_mem_size(&t->scfg, sessions);
  t->pool_mem = aligned_alloc(64, (n + 63) / 64 * 64);
  ZT_EQ(zn_tls_pool_init(&t->pool, &t->scfg, t->hf.p.b, NULL, t->pool_mem, n,
                         sessions),
        ZN_OK);
  t->hf.cfg.stream_port = TLS_PORT;
  t->hf.cfg.stream_maker = &t->pool.maker;
}

static void tfix_free(struct tfix *t) {
  hf_free(&t->hf);
  ZT_EQU(t->pool.used, 0);
  free(t->pool_mem);
  free(t->creds_mem);
  free(t->anchors_mem);
}

/* A TLS client on stack A. */
struct tcli {
  struct zn_stream *s;
  void *mem;
  uint8_t *rx;
  size_t rx_len;
  int opened, errors, closed, eof;
};

static void tc_open(struct zn_stream *s, void *arg) {
  (void)s;
  ((struct tcli *)arg)->opened++;
}

static void tc_readable(struct zn_stream *s, void *arg) {
  struct tcli *c = arg;
  uint8_t tmp[16384];
  for (;;) {
    long n = zn_stream_read(s, tmp, sizeof(tmp));
    if (n <= 0) {
      if (n == 0)
        c->eof++;
      return;
    }
    size_t k = (size_t)n;
    if (k > HF_RX_CAP - c->rx_len)
      k = HF_RX_CAP - c->rx_len;
    memcpy(c->rx + c->rx_len, tmp, k);
    c->rx_len += k;
  }
}

static void tc_error(struct zn_stream *s, void *arg, int err) {
  (void)s;
  (void)err;
  ((struct tcli *)arg)->errors++;
}

static void tc_closed(struct zn_stream *s, void *arg) {
  (void)s;
  ((struct tcli *)arg)->closed++;
}

static const struct zn_stream_callbacks tc_cbs = {
    .on_open = tc_open,
    .on_readable = tc_readable,
    .on_error = tc_error,
    .on_closed = tc_closed,
};

static void tcli_open(struct tfix *t, struct tcli *c) {
  memset(c, 0, sizeof(*c));
  c->rx = malloc(HF_RX_CAP);
  struct zn_tcp_conn *tcp;
  ZT_EQ(zn_tcp_connect(t->hf.p.a, TH_IP(IP_B), TLS_PORT, NULL, NULL, &tcp),
        ZN_OK);
  size_t len = zn_tls_conn_size(&t->ccfg);
  c->mem = aligned_alloc(64, (len + 63) / 64 * 64);
  ZT_EQ(zn_tls_client_start(&t->ccfg, t->hf.p.a, tcp, "localhost", &tc_cbs, c,
                            c->mem, len, &c->s),
        ZN_OK);
  hf_run(&t->hf, ZN_MS(200));
}

static void tcli_send(struct tcli *c, const char *s, size_t n) {
  size_t off = 0;
  while (off < n) {
    long w = zn_stream_write(c->s, s + off, n - off);
    ZT_REQUIRE(w > 0);
    off += (size_t)w;
  }
}

static void tcli_done(struct tfix *t, struct tcli *c) {
  if (!c->closed) {
    zn_stream_close(c->s);
    hf_run(&t->hf, ZN_SEC(1));
  }
  ZT_EQ(c->closed, 1);
  free(c->mem);
  free(c->rx);
}

static bool body_is(const struct hresp *r, const char *path) {
  size_t n;
  const uint8_t *want = hf_file(path, &n);
  return r->body_len == n && memcmp(r->body, want, n) == 0;
}

ZT_TEST(test_https_get_served_through_the_pool) {
  struct tfix t;
  tfix_init(&t, 4);
  hf_start(&t.hf);
  struct tcli c;
  tcli_open(&t, &c);
  ZT_EQ(c.opened, 1);
  struct zn_tls_info info;
  ZT_EQ(zn_tls_get_info(c.s, &info), ZN_OK);
  ZT_REQUIRE(info.alpn != NULL);
  ZT_STREQ(info.alpn, "http/1.1");
  tcli_send(&c, GET("/") GET("/big.bin"), strlen(GET("/") GET("/big.bin")));
  hf_run(&t.hf, ZN_MS(300));
  struct hcli view = {.rx = c.rx, .rx_len = c.rx_len};
  struct hresp rs[2];
  ZT_EQ(hr_all(&view, rs, 2, NULL), 2);
  ZT_EQ(rs[0].status, 200);
  ZT_CHECK(body_is(&rs[0], "index.html"));
  ZT_EQ(rs[1].status, 200);
  ZT_CHECK(body_is(&rs[1], "big.bin"));
  ZT_EQU(HF_STAT(&t.hf, conns_accepted_stream), 1);
  ZT_EQU(HF_STAT(&t.hf, bodies_by_ref), 1);
  ZT_EQU(t.pool.used, 1);
  /* Plain HTTP on the other port at the same time. */
  struct hcli cl;
  struct hresp r;
  ZT_EQ(hf_ask(&t.hf, &cl, GET("/hello.txt"), &r), 200);
  hcli_done(&t.hf, &cl);
  tcli_done(&t, &c);
  hf_run(&t.hf, ZN_SEC(11));
  ZT_EQU(t.pool.used, 0);
  ZT_EQU(t.sstats.v[ZN_TLS_STAT_handshakes_ok], 1);
  tfix_free(&t);
}

/* n bytes of hay hold needle (a C string). */
static bool holds(const uint8_t *hay, size_t n, const char *needle) {
  size_t k = strlen(needle);
  for (size_t i = 0; i + k <= n; i++)
    if (memcmp(hay + i, needle, k) == 0)
      return true;
  return false;
}

/* RFC 6797: Strict-Transport-Security on the stream port's answers
 * (HTTPS), never on the plain port's. */
ZT_TEST(test_https_answers_carry_hsts) {
  struct tfix t;
  tfix_init(&t, 4);
  t.hf.cfg.hsts_max_age = 600;
  t.hf.cfg.hsts_subdomains = true;
  hf_start(&t.hf);
  struct tcli c;
  tcli_open(&t, &c);
  tcli_send(&c, GET("/"), strlen(GET("/")));
  hf_run(&t.hf, ZN_MS(300));
  ZT_CHECK(holds(c.rx, c.rx_len,
                 "\r\nStrict-Transport-Security: max-age=600; "
                 "includeSubDomains\r\n"));
  struct hcli cl;
  struct hresp r;
  ZT_EQ(hf_ask(&t.hf, &cl, GET("/hello.txt"), &r), 200);
  ZT_CHECK(!holds(cl.rx, cl.rx_len, "Strict-Transport-Security"));
  hcli_done(&t.hf, &cl);
  tcli_done(&t, &c);
  hf_run(&t.hf, ZN_SEC(11));
  tfix_free(&t);
}

ZT_TEST(test_https_pipelined_bodies_arrive_whole) {
  struct tfix t;
  tfix_init(&t, 4);
  t.hf.cfg.pipeline_max = 4;
  hf_start(&t.hf);
  struct tcli c;
  tcli_open(&t, &c);
  static char reqs[60 * 40];
  size_t n = 0;
  for (int i = 0; i < 60; i++)
    n += (size_t)snprintf(reqs + n, sizeof(reqs) - n, GET("%s"),
                          i % 3 ? "/big.bin" : "/hello.txt");
  tcli_send(&c, reqs, n);
  hf_run(&t.hf, ZN_SEC(3));
  struct hcli view = {.rx = c.rx, .rx_len = c.rx_len};
  static struct hresp rs[60];
  ZT_EQ(hr_all(&view, rs, 60, NULL), 60);
  for (int i = 0; i < 60; i++)
    ZT_CHECK(body_is(&rs[i], i % 3 ? "big.bin" : "hello.txt"));
  tcli_done(&t, &c);
  tfix_free(&t);
}

/* A pool with no session free: a newcomer has the oldest idle HTTPS
 * connection reset, and its stream is made once that session is back. */
ZT_TEST(test_https_full_pool_closes_idle_for_newcomer) {
  struct tfix t;
  tfix_init(&t, 1);
  hf_start(&t.hf);
  struct tcli a, b;
  tcli_open(&t, &a);
  tcli_open(&t, &b);
  ZT_EQ(a.opened, 1);
  ZT_EQ(a.errors, 1); /* reset for the newcomer */
  ZT_EQ(b.opened, 1);
  ZT_EQU(HF_STAT(&t.hf, conns_evicted_idle), 1);
  ZT_EQU(HF_STAT(&t.hf, conns_refused_stream), 0);
  ZT_CHECK(t.pool.refused >= 1); /* asked while the session came back */
  tcli_send(&b, GET("/hello.txt"), strlen(GET("/hello.txt")));
  hf_run(&t.hf, ZN_MS(200));
  struct hcli view = {.rx = b.rx, .rx_len = b.rx_len};
  struct hresp r;
  ZT_EQ(hr_all(&view, &r, 1, NULL), 1);
  ZT_EQ(r.status, 200);
  tcli_done(&t, &b);
  tcli_done(&t, &a);
  tfix_free(&t);
}

/* Every session held by a request younger than grace_ms: the newcomer is
 * refused; once the holder is judged (and slow), it is reset instead. */
ZT_TEST(test_https_full_pool_of_young_requests_refuses) {
  struct tfix t;
  tfix_init(&t, 1);
  hf_start(&t.hf);
  struct tcli a, b, c;
  tcli_open(&t, &a);
  tcli_send(&a, "GET /hel", 8);
  hf_run(&t.hf, ZN_MS(10));
  tcli_open(&t, &b);
  ZT_EQ(b.opened, 0);
  ZT_EQ(b.errors, 1);
  ZT_EQU(HF_STAT(&t.hf, conns_refused_stream), 1);
  hf_run(&t.hf, ZN_MS(1500));
  tcli_open(&t, &c);
  ZT_EQ(a.errors, 1);
  ZT_EQ(c.opened, 1);
  ZT_EQU(HF_STAT(&t.hf, conns_evicted_slow_head), 1);
  tcli_done(&t, &c);
  tcli_done(&t, &b);
  tcli_done(&t, &a);
  tfix_free(&t);
}

int main(void) {
  ZT_RUN(test_https_get_served_through_the_pool);
  ZT_RUN(test_https_answers_carry_hsts);
  ZT_RUN(test_https_pipelined_bodies_arrive_whole);
  ZT_RUN(test_https_full_pool_closes_idle_for_newcomer);
  ZT_RUN(test_https_full_pool_of_young_requests_refuses);
  return zt_done();
}
