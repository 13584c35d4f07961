/*
 * A TLS server session (libznet-tls) against a hostile client: the
 * fuzzer's bytes are what a client sends it over TCP, in the writes the
 * input says, between stack A (the client, plain TCP) and stack B (the
 * server, port 443) on a memlink.
 *
 * Input: a configuration byte (bit 0: the RSA certificate instead of the
 * EC one; bit 1: the smallest output buffer; bit 2: a session cache; bit
 * 3: ALPN; bit 4: the client shuts its side down after its last write;
 * bit 5: the client reads nothing, so the server's window closes; bit 6:
 * TLS 1.3 session tickets, so a pre_shared_key offer is tried; bit 7:
 * an OCSP response, stapled when a ClientHello asks), then writes: a
 * 2-byte length (at most MAX_WRITE), that many bytes, and a byte of time
 * to let pass after it (in 5 ms steps).
 *
 * Checks: the session ends in a handshake or in one failure, counted
 * once under its reason (and in handshakes_failed if it came before the
 * handshake; handshakes_stapled only with a response, in TLS 1.3),
 * reported once through on_error with ZN_ETLS, ZN_ETIMEDOUT or a TCP
 * error, and through zn_tls_error(); reads and writes answer without
 * crashing; once both sides close, on_closed comes exactly once, no TCP
 * connection is left in either table, every frame is accounted for and
 * every buffer is back (fz_pair_free).
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "tls/certs.h"
#include "znet/tls.h"

#define MAX_WRITE 4096u
#define PORT 443

static struct fz_pair pair;
static struct zn_tcp_conn *listener, *client;
static struct zn_stream *srv;
static _Alignas(64) uint8_t session_mem[40960];
static struct zn_tls_config cfg;
static struct zn_tls_stats stats;
static int accepted, opened, errors, last_err, closed, client_closed;
static bool client_reads;

/* Decoded once: the EC and RSA credentials, and a session cache. */
static struct zn_tls_creds *creds_for(bool rsa) {
  static struct zn_tls_creds *c[2];
  static _Alignas(64) uint8_t mem[2][4096];
  int i = rsa ? 1 : 0;
  if (!c[i]) {
    const char *chain = rsa ? ZT_PEM_SERVER_RSA_PEM : ZT_PEM_SERVER_EC_PEM;
    const char *key = rsa ? ZT_PEM_SERVER_RSA_KEY : ZT_PEM_SERVER_EC_KEY;
    FZ_CHECK(zn_tls_creds_init(chain, strlen(chain), key, strlen(key), mem[i],
                               sizeof(mem[i]), &c[i], NULL) == ZN_OK);
  }
  return c[i];
}

/* A successful OCSPResponse as zn_tls_creds_set_ocsp() checks it:
 * SEQUENCE { ENUMERATED 0, [0] { 300 bytes } }. */
static const uint8_t *ocsp_response(size_t *len) {
  static uint8_t r[4 + 3 + 4 + 300];
  static const uint8_t head[] = {0x30, 0x82, 0x01, 0x33, 0x0a, 0x01,
                                 0x00, 0xa0, 0x82, 0x01, 0x2c};
  memcpy(r, head, sizeof(head));
  memset(r + sizeof(head), 0x5a, sizeof(r) - sizeof(head));
  *len = sizeof(r);
  return r;
}

static const struct zn_tls_tickets *tickets(void) {
  static struct zn_tls_tickets *t;
  static _Alignas(64) uint8_t mem[256];
  static const uint8_t secret[32] = {1, 2, 3};
  if (!t)
    FZ_CHECK(zn_tls_tickets_init(mem, sizeof(mem), secret, 7200, &t) ==
             ZN_OK);
  return t;
}

static struct zn_tls_session_cache *cache(void) {
  static struct zn_tls_session_cache *c;
  static _Alignas(64) uint8_t mem[4096];
  if (!c)
    FZ_CHECK(zn_tls_session_cache_init(mem, sizeof(mem), 16, &c) == ZN_OK);
  return c;
}

/* ---- the server's stream ---- */

static void s_open(struct zn_stream *s, void *arg) {
  (void)s;
  (void)arg;
  opened++;
  FZ_CHECK(opened == 1 && errors == 0);
}

/* Whatever came is read (and must be within a record's size). */
static void s_readable(struct zn_stream *s, void *arg) {
  (void)arg;
  uint8_t buf[512];
  for (int i = 0; i < 64; i++) {
    long n = zn_stream_read(s, buf, sizeof(buf));
    if (n <= 0) {
      FZ_CHECK(n == 0 || n == ZN_EAGAIN || n == ZN_ETLS || n == ZN_ETIMEDOUT ||
               n == ZN_ECONNRESET);
      return;
    }
  }
}

static void s_error(struct zn_stream *s, void *arg, int err) {
  (void)arg;
  errors++;
  last_err = err;
  FZ_CHECK(errors == 1);
  struct zn_tls_error_info e = zn_tls_error(s);
  FZ_CHECK(e.failure > ZN_TLS_FAIL_none && e.failure < ZN_TLS_NFAILURES);
  FZ_CHECK(e.err == err);
  FZ_CHECK(err == ZN_ETLS || err == ZN_ETIMEDOUT || err == ZN_ECONNRESET);
  const uint8_t *v;
  FZ_CHECK(zn_stream_peek(s, &v) == err);
  FZ_CHECK(zn_stream_write(s, "x", 1) == err);
}

static void s_closed(struct zn_stream *s, void *arg) {
  (void)s;
  (void)arg;
  closed++;
  FZ_CHECK(closed == 1);
}

static const struct zn_stream_callbacks scb = {
    .on_open = s_open,
    .on_readable = s_readable,
    .on_error = s_error,
    .on_closed = s_closed,
};

static void on_accept(struct zn_tcp_conn *l, void *arg) {
  (void)arg;
  struct zn_tcp_conn *c;
  while (zn_tcp_accept(l, &c) == ZN_OK) {
    if (accepted++) {
      zn_tcp_abort(c); /* one session per run */
      continue;
    }
    size_t len = zn_tls_conn_size(&cfg);
    FZ_CHECK(len > 0 && len <= sizeof(session_mem));
    FZ_CHECK(zn_tls_server_start(&cfg, pair.b, c, &scb, NULL, session_mem, len,
                                 &srv) == ZN_OK);
  }
}

static void l_closed(struct zn_tcp_conn *c, void *arg) {
  (void)c;
  (void)arg;
}

static const struct zn_tcp_callbacks lcb = {.on_accept = on_accept,
                                            .on_closed = l_closed};

/* ---- the client: plain TCP ---- */

static void c_readable(struct zn_tcp_conn *c, void *arg) {
  (void)arg;
  uint8_t buf[2048];
  while (client_reads && zn_tcp_read(c, buf, sizeof(buf)) > 0)
    ;
}

static void c_closed(struct zn_tcp_conn *c, void *arg) {
  (void)c;
  (void)arg;
  client_closed++;
}

static const struct zn_tcp_callbacks ccb = {.on_readable = c_readable,
                                            .on_closed = c_closed};

static void setup(uint8_t conf) {
  struct zn_config ca, cb;
  fz_config(&ca, 1);
  fz_config(&cb, 2);
  memset(&pair, 0, sizeof(pair));
  zn_memlink_init(&pair.link, 0, 64);
  pair.a = th_stack_new(&ca);
  pair.b = th_stack_new(&cb);
  FZ_CHECK(pair.a && pair.b);
  FZ_CHECK(zn_stack_attach(pair.a, &pair.link.a.nif) == ZN_OK);
  FZ_CHECK(zn_stack_attach(pair.b, &pair.link.b.nif) == ZN_OK);
  zn_stack_poll(pair.a, 0);
  zn_stack_poll(pair.b, 0);
  memset(&stats, 0, sizeof(stats));
  zn_tls_config_default(&cfg, ZN_TLS_SERVER);
  struct zn_tls_creds *cr = creds_for(conf & 1);
  size_t ocsp_len = 0;
  const uint8_t *ocsp = (conf & 128) ? ocsp_response(&ocsp_len) : NULL;
  FZ_CHECK(zn_tls_creds_set_ocsp(cr, ocsp, ocsp_len) == ZN_OK);
  cfg.creds = cr;
  if (conf & 2)
    cfg.out_buf = ZN_TLS_OUT_BUF_MIN;
  if (conf & 4)
    cfg.cache = cache();
  static const char *const alpn[] = {"http/1.1", "dot"};
  if (conf & 8) {
    cfg.alpn = alpn;
    cfg.nalpn = 2;
  }
  if (conf & 64)
    cfg.tickets = tickets();
  cfg.stats = &stats;
  client_reads = !(conf & 32);
  srv = NULL;
  accepted = opened = errors = last_err = closed = client_closed = 0;
  FZ_CHECK(zn_tcp_listen(pair.b, NULL, PORT, 1, &lcb, NULL, &listener) ==
           ZN_OK);
  struct zn_ip b = zn_ip_from_v4(ZN_IPV4(10, 0, 0, 2));
  FZ_CHECK(zn_tcp_connect(pair.a, &b, PORT, &ccb, NULL, &client) == ZN_OK);
  fz_pair_run(&pair, ZN_MS(20));
  FZ_CHECK(accepted == 1 && srv != NULL);
}

static uint64_t failures(void) {
  uint64_t n = 0;
  for (int i = ZN_TLS_STAT_failed_version; i < ZN_TLS_NSTATS; i++)
    n += stats.v[i];
  return n;
}

/* The session ended in a handshake or in one failure, counted so; a
 * stapled one was TLS 1.3's, with a response to staple. */
static void check_outcome(uint8_t conf) {
  FZ_CHECK(stats.v[ZN_TLS_STAT_handshakes_stapled] <=
           ((conf & 128) ? stats.v[ZN_TLS_STAT_handshakes_tls13] : 0));
  FZ_CHECK(stats.v[ZN_TLS_STAT_sessions] == 1);
  FZ_CHECK(stats.v[ZN_TLS_STAT_handshakes_ok] == (uint64_t)opened);
  FZ_CHECK(failures() == (uint64_t)errors);
  FZ_CHECK(stats.v[ZN_TLS_STAT_handshakes_failed] ==
           (uint64_t)(errors && !opened));
  FZ_CHECK(opened || errors); /* the handshake timeout saw to that */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct fz_in in;
  fz_in_init(&in, data, size);
  uint8_t conf = fz_u8(&in);
  setup(conf);
  while (fz_more(&in)) {
    size_t len = fz_u16(&in) % (MAX_WRITE + 1u);
    const uint8_t *p;
    len = fz_bytes(&in, len, &p);
    if (len)
      (void)zn_tcp_write(client, p, len); /* what the window takes */
    fz_pair_run(&pair, ZN_MS(5) * (1u + fz_u8(&in)));
  }
  if (conf & 16)
    (void)zn_tcp_shutdown(client);
  /* Past the handshake timeout (10 s): a handshake or a failure. */
  fz_pair_run(&pair, ZN_SEC(12));
  check_outcome(conf);
  zn_stream_close(srv);
  zn_tcp_close(client);
  zn_tcp_close(listener);
  fz_pair_run(&pair, ZN_SEC(120));
  FZ_CHECK(closed == 1 && client_closed == 1);
  FZ_CHECK(fz_tcp_used(pair.a) == 0 && fz_tcp_used(pair.b) == 0);
  fz_check_stack(pair.a);
  fz_check_stack(pair.b);
  fz_pair_free(&pair);
  fz_check_harness();
  return 0;
}
