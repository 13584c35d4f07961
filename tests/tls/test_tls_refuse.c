/* What TLS sessions refuse, and how they say so: the client's certificate
 * checks (name, expiry, issuer), a server facing clients that offer only
 * what the policy forbids (weak suites, TLS 1.0, TLS 1.3) or that send
 * nonsense, close early or say nothing, and the errors each side reports
 * (zn_tls_error(), the counters). */
#include "tls13_int.h"
#include "tls_fixture.h"

/* ---- the client refuses the server's certificate ---- */

/* The client, TLS 1.3 (tls13) or TLS 1.2 only, fails with `want`
 * (BearSSL's X.509 code x509, which the TLS 1.3 engine reports as
 * ZN__TLS13_ERR_X509 + x509), tells the server with `alert`, which the
 * server reads as srv_want. */
static void client_refuses_as(bool tls13, const char *chain, const char *key,
                              const char *anchor, const char *name,
                              enum zn_tls_failure want, int x509, int alert,
                              enum zn_tls_failure srv_want) {
  struct tpair t;
  tf_init(&t, NULL);
  if (!tls13)
    t.ccfg.suites = ZN_TLS_SUITES_ALL & zn__tls_suites_of(0x0303);
  int engine_code = tls13 ? ZN__TLS13_ERR_X509 + x509 : x509;
  tf_creds(&t, chain, key);
  if (anchor)
    tf_anchors(&t, anchor);
  ZT_EQ(tf_connect(&t, name), ZN_OK);
  tf_run(&t, ZN_MS(300));
  ZT_EQ(t.cli.opened, 0);
  ZT_EQ(t.srv.opened, 0);
  ZT_EQ(t.cli.errors, 1);
  ZT_EQ(t.cli.last_err, ZN_ETLS);
  ZT_EQ(t.cli.fail.failure, want);
  ZT_EQ(t.cli.fail.engine_code, engine_code);
  ZT_STREQ(t.cli.fail.text, zn_tls_failure_text((int)want));
  ZT_EQ(t.cli.fail.alert, alert);
  ZT_CHECK(t.cli.fail.alert_sent);
  ZT_EQ(t.srv.errors, 1); /* the server's handshake failed too */
  ZT_EQ(t.srv.fail.failure, srv_want);
  ZT_EQ(t.srv.fail.alert, alert);
  ZT_CHECK(!t.srv.fail.alert_sent);
  ZT_EQU(t.cstats.v[ZN_TLS_STAT_alerts_sent], 1);
  ZT_EQU(t.sstats.v[ZN_TLS_STAT_alerts_received], 1);
  ZT_EQU(t.cstats.v[ZN_TLS_STAT_handshakes_failed], 1);
  ZT_EQU(t.cstats.v[ZN_TLS_STAT_failed_version + (int)want - 1], 1);
  ZT_EQU(t.sstats.v[ZN_TLS_STAT_handshakes_failed], 1);
  ZT_EQU(t.sstats.v[ZN_TLS_STAT_handshakes_ok], 0);
  /* The server, told, resets; so both connections are gone at once. */
  ZT_EQ(ZN__MOD(t.p.a, tcp)->nused + ZN__MOD(t.p.b, tcp)->nused, 1);
  /* The stream answers, it does not crash. */
  const uint8_t *v;
  ZT_EQ(zn_stream_peek(t.cli.s, &v), ZN_ETLS);
  ZT_EQ(zn_stream_write(t.cli.s, "x", 1), ZN_ETLS);
  diag_failure(&t);
  tf_free(&t);
}

static void client_refuses(const char *chain, const char *key,
                           const char *anchor, const char *name,
                           enum zn_tls_failure want, int x509, int alert,
                           enum zn_tls_failure srv_want) {
  client_refuses_as(true, chain, key, anchor, name, want, x509, alert,
                    srv_want);
  client_refuses_as(false, chain, key, anchor, name, want, x509, alert,
                    srv_want);
}

ZT_TEST(test_client_refuses_wrong_name) {
  client_refuses(ZT_PEM_SERVER_EC_PEM, ZT_PEM_SERVER_EC_KEY, NULL, "wrong.test",
                 ZN_TLS_FAIL_name_mismatch, 56, 42, ZN_TLS_FAIL_bad_cert);
  client_refuses(ZT_PEM_WRONG_NAME_PEM, ZT_PEM_WRONG_NAME_KEY, NULL,
                 "localhost", ZN_TLS_FAIL_name_mismatch, 56, 42,
                 ZN_TLS_FAIL_bad_cert);
}

ZT_TEST(test_client_refuses_expired) {
  client_refuses(ZT_PEM_EXPIRED_PEM, ZT_PEM_EXPIRED_KEY, NULL, "localhost",
                 ZN_TLS_FAIL_cert_expired, 54, 45, ZN_TLS_FAIL_cert_expired);
}

ZT_TEST(test_client_refuses_unknown_ca) {
  client_refuses(ZT_PEM_UNKNOWN_CA_SERVER_PEM, ZT_PEM_UNKNOWN_CA_SERVER_KEY,
                 NULL, "localhost", ZN_TLS_FAIL_unknown_ca, 62, 48,
                 ZN_TLS_FAIL_unknown_ca);
  /* Trusting only the other CA, the test CA's certificate is unknown. */
  client_refuses(ZT_PEM_SERVER_EC_PEM, ZT_PEM_SERVER_EC_KEY,
                 ZT_PEM_UNKNOWN_CA_PEM, "localhost", ZN_TLS_FAIL_unknown_ca, 62,
                 48, ZN_TLS_FAIL_unknown_ca);
}

/* The same names pass with the right certificate: the refusals above are
 * the certificates', not the setup's. */
ZT_TEST(test_client_accepts_both_names) {
  const char *names[] = {"localhost", "znet.test", "LocalHost"};
  for (int i = 0; i < 3; i++) {
    struct tpair t;
    tf_init(&t, NULL);
    ZT_EQ(tf_connect(&t, names[i]), ZN_OK);
    tf_run(&t, ZN_MS(300));
    ZT_EQ(t.cli.opened, 1);
    ZT_EQ(t.cli.errors, 0);
    tf_free(&t);
  }
}

ZT_TEST(test_client_start_refuses_bad_names) {
  struct tpair t;
  tf_init(&t, NULL);
  ZT_EQ(tf_connect(&t, "10.0.0.2"), ZN_EINVAL);
  ZT_EQ(tf_connect(&t, "::1"), ZN_EINVAL);
  ZT_EQ(tf_connect(&t, ""), ZN_EINVAL);
  char longname[300];
  memset(longname, 'a', sizeof(longname) - 1);
  longname[sizeof(longname) - 1] = '\0';
  ZT_EQ(tf_connect(&t, longname), ZN_EINVAL);
  t.cli.s = NULL; /* none started */
  tf_free(&t);
}

/* ---- a hand-made client ---- */

struct raw {
  struct zn_tcp_conn *c;
  uint8_t rx[8192];
  size_t rx_len;
  int connected, errors, last_err, closed, eof;
};

static void raw_readable(struct zn_tcp_conn *c, void *arg) {
  struct raw *r = arg;
  long n;
  while ((n = zn_tcp_read(c, r->rx + r->rx_len, sizeof(r->rx) - r->rx_len)) > 0)
    r->rx_len += (size_t)n;
  if (n == 0)
    r->eof++;
}

static void raw_connected(struct zn_tcp_conn *c, void *arg) {
  (void)c;
  ((struct raw *)arg)->connected++;
}

static void raw_error(struct zn_tcp_conn *c, void *arg, int err) {
  (void)c;
  struct raw *r = arg;
  r->errors++;
  r->last_err = err;
}

static void raw_closed(struct zn_tcp_conn *c, void *arg) {
  (void)c;
  ((struct raw *)arg)->closed++;
}

static const struct zn_tcp_callbacks raw_cbs = {
    .on_connected = raw_connected,
    .on_readable = raw_readable,
    .on_error = raw_error,
    .on_closed = raw_closed,
};

static void raw_connect(struct tpair *t, struct raw *r) {
  memset(r, 0, sizeof(*r));
  ZT_EQ(zn_tcp_connect(t->p.a, TH_IP(IP_B), TF_PORT, &raw_cbs, r, &r->c),
        ZN_OK);
  tf_run(t, ZN_MS(20));
  ZT_EQ(r->connected, 1);
}

static size_t put16(uint8_t *p, unsigned v) {
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
  return 2;
}

/* A ClientHello record of `version` offering `suites`, with the
 * extensions an ECDHE client sends (groups P-256 and X25519, point
 * formats, signature algorithms) and, if tls13, supported_versions
 * saying 1.3 only. */
static size_t client_hello(uint8_t *out, unsigned version,
                           const uint16_t *suites, size_t nsuites, bool tls13) {
  uint8_t body[512];
  size_t n = 0;
  n += put16(body + n, version);
  for (int i = 0; i < 32; i++)
    body[n++] = (uint8_t)(i * 7 + 1); /* random */
  body[n++] = 0;                      /* session ID */
  n += put16(body + n, (unsigned)(2 * nsuites));
  for (size_t i = 0; i < nsuites; i++)
    n += put16(body + n, suites[i]);
  body[n++] = 1; /* compression: null */
  body[n++] = 0;
  static const uint8_t ext[] = {
      0x00, 0x0a, 0x00, 0x06, 0x00, 0x04, 0x00, 0x17, 0x00, 0x1d, /* groups */
      0x00, 0x0b, 0x00, 0x02, 0x01, 0x00, /* point formats */
      0x00, 0x0d, 0x00, 0x06, 0x00, 0x04, 0x04, 0x03, 0x04, 0x01, /* sigs */
  };
  static const uint8_t v13[] = {0x00, 0x2b, 0x00, 0x03, 0x02, 0x03, 0x04};
  size_t elen = sizeof(ext) + (tls13 ? sizeof(v13) : 0);
  n += put16(body + n, (unsigned)elen);
  memcpy(body + n, ext, sizeof(ext));
  n += sizeof(ext);
  if (tls13) {
    memcpy(body + n, v13, sizeof(v13));
    n += sizeof(v13);
  }
  size_t o = 0;
  out[o++] = 22; /* handshake */
  o += put16(out + o, 0x0301);
  o += put16(out + o, (unsigned)(n + 4));
  out[o++] = 1; /* client_hello */
  out[o++] = 0;
  o += put16(out + o, (unsigned)n);
  memcpy(out + o, body, n);
  return o + n;
}

/* The server's answer to a raw client: a fatal alert record (15 vv vv
 * 00 02 02 desc; BearSSL writes version 0 when none was agreed) and then
 * its FIN; the alert description, or -1. */
static int raw_alert(const struct raw *r) {
  if (r->rx_len != 7 || r->rx[0] != 21 || r->rx[3] != 0 || r->rx[4] != 2 ||
      r->rx[5] != 2)
    return -1;
  return r->rx[6];
}

/* The server sends its alert, then waits for the client to close first
 * (so that no TIME_WAIT of its own holds a slot of its table): when the
 * client does (client_closes), the server's connection goes at once;
 * when it does not, a reset comes after 2 s. */
static void server_refuses_hello(const uint16_t *suites, size_t n,
                                 unsigned version, bool tls13,
                                 enum zn_tls_failure want, int alert,
                                 bool client_closes) {
  struct tpair t;
  tf_init(&t, NULL);
  struct raw r;
  raw_connect(&t, &r);
  uint8_t hello[600];
  size_t len = client_hello(hello, version, suites, n, tls13);
  ZT_EQ(zn_tcp_write(r.c, hello, len), (long)len);
  tf_run(&t, ZN_MS(100));
  ZT_EQ(t.srv.opened, 0);
  ZT_EQ(t.srv.errors, 1);
  ZT_EQ(t.srv.last_err, ZN_ETLS);
  ZT_EQ(t.srv.fail.failure, want);
  ZT_EQ(t.srv.fail.alert, alert);
  ZT_CHECK(t.srv.fail.alert_sent);
  if (raw_alert(&r) != alert)
    zt_hexdump("server sent", r.rx, r.rx_len);
  ZT_EQ(raw_alert(&r), alert);
  ZT_EQ(r.eof, 0);
  if (client_closes) {
    zn_tcp_close(r.c);
    tf_run(&t, ZN_MS(100));
    ZT_EQ(ZN__MOD(t.p.b, tcp)->nused, 1); /* the listener: no TIME_WAIT */
  } else {
    tf_run(&t, ZN_MS(1800));
    ZT_EQ(r.errors, 0);
    tf_run(&t, ZN_MS(300));
    ZT_EQ(r.errors, 1);
    ZT_EQ(r.last_err, ZN_ECONNRESET);
    zn_tcp_close(r.c);
  }
  ZT_EQU(t.sstats.v[ZN_TLS_STAT_alerts_sent], 1);
  ZT_EQU(t.sstats.v[ZN_TLS_STAT_handshakes_failed], 1);
  ZT_EQU(t.sstats.v[ZN_TLS_STAT_failed_version + (int)want - 1], 1);
  diag_failure(&t);
  tf_free(&t);
  ZT_EQ(r.closed, 1);
}

/* RSA key exchange, CBC with SHA-1, 3DES, RC4: nothing in common. */
ZT_TEST(test_server_refuses_weak_suites) {
  static const uint16_t weak[] = {0x002F, 0x0035, 0xC013, 0xC009,
                                  0x000A, 0x0005, 0x009C};
  server_refuses_hello(weak, 7, 0x0303, false, ZN_TLS_FAIL_no_shared_cipher, 40,
                       true);
}

ZT_TEST(test_server_refuses_tls10_and_tls11) {
  static const uint16_t s[] = {0xC02B, 0xC02F, 0xC009, 0xC013};
  server_refuses_hello(s, 4, 0x0301, false, ZN_TLS_FAIL_version, 70, false);
  server_refuses_hello(s, 4, 0x0302, false, ZN_TLS_FAIL_version, 70, true);
}

/* TLS 1.3 hellos the TLS 1.3 engine refuses: one without a key_share
 * (RFC 8446 §9.2: missing_extension), one offering only the CCM suites,
 * which znet does not (handshake_failure). */
ZT_TEST(test_server_refuses_tls13_hello_without_key_share) {
  static const uint16_t s13[] = {0x1301, 0x1302, 0x1303};
  server_refuses_hello(s13, 3, 0x0303, true, ZN_TLS_FAIL_protocol, 109, true);
}

ZT_TEST(test_server_refuses_tls13_ccm_only) {
  static const uint16_t ccm[] = {0x1304, 0x1305};
  server_refuses_hello(ccm, 2, 0x0303, true, ZN_TLS_FAIL_no_shared_cipher, 40,
                       true);
}

static void server_meets_raw(const uint8_t *data, size_t len, bool close,
                             uint64_t wait, enum zn_tls_failure want,
                             int want_err) {
  struct tpair t;
  tf_init(&t, NULL);
  struct raw r;
  raw_connect(&t, &r);
  if (len)
    ZT_EQ(zn_tcp_write(r.c, data, len), (long)len);
  if (close)
    ZT_EQ(zn_tcp_shutdown(r.c), ZN_OK);
  tf_run(&t, wait);
  ZT_EQ(t.srv.opened, 0);
  ZT_EQ(t.srv.errors, 1);
  ZT_EQ(t.srv.last_err, want_err);
  ZT_EQ(t.srv.fail.failure, want);
  ZT_EQU(t.sstats.v[ZN_TLS_STAT_failed_version + (int)want - 1], 1);
  /* The server let go of the connection by itself, and kept no TIME_WAIT
   * (a reset, or a FIN after the client's). */
  ZT_CHECK(r.eof == 1 || r.errors == 1);
  tf_run(&t, ZN_MS(50));
  ZT_EQ(ZN__MOD(t.p.b, tcp)->nused, 1);
  diag_failure(&t);
  zn_tcp_close(r.c);
  tf_free(&t);
}

ZT_TEST(test_server_fails_on_http) {
  static const char get[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  server_meets_raw((const uint8_t *)get, sizeof(get) - 1, false, ZN_MS(100),
                   ZN_TLS_FAIL_version, ZN_ETLS);
}

ZT_TEST(test_server_fails_on_close_mid_hello) {
  uint8_t hello[600];
  static const uint16_t s[] = {0xC02B};
  size_t len = client_hello(hello, 0x0303, s, 1, false);
  server_meets_raw(hello, len / 2, true, ZN_MS(100), ZN_TLS_FAIL_peer_closed,
                   ZN_ETLS);
}

/* A client that says nothing: reset after handshake_timeout_ms. */
ZT_TEST(test_server_times_out_silent_client) {
  server_meets_raw(NULL, 0, false, ZN_SEC(11), ZN_TLS_FAIL_timeout,
                   ZN_ETIMEDOUT);
}

int main(void) {
  ZT_RUN(test_client_refuses_wrong_name);
  ZT_RUN(test_client_refuses_expired);
  ZT_RUN(test_client_refuses_unknown_ca);
  ZT_RUN(test_client_accepts_both_names);
  ZT_RUN(test_client_start_refuses_bad_names);
  ZT_RUN(test_server_refuses_weak_suites);
  ZT_RUN(test_server_refuses_tls10_and_tls11);
  ZT_RUN(test_server_refuses_tls13_hello_without_key_share);
  ZT_RUN(test_server_refuses_tls13_ccm_only);
  ZT_RUN(test_server_fails_on_http);
  ZT_RUN(test_server_fails_on_close_mid_hello);
  ZT_RUN(test_server_times_out_silent_client);
  return zt_done();
}
