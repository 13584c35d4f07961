/* TLS handshakes between two znet stacks: each certificate type with each
 * cipher suite, what the session reports, ALPN, the timeout, and that a
 * run with the same seeds repeats byte for byte (no entropy but the
 * stack's). */
#include "tls_fixture.h"

static const uint32_t ec_suites[] = {
    ZN_TLS_SUITE(ECDHE_ECDSA_AES_128_GCM_SHA256),
    ZN_TLS_SUITE(ECDHE_ECDSA_AES_256_GCM_SHA384),
    ZN_TLS_SUITE(ECDHE_ECDSA_CHACHA20_POLY1305_SHA256),
};
static const uint16_t ec_ids[] = {0xC02B, 0xC02C, 0xCCA9};
static const uint32_t rsa_suites[] = {
    ZN_TLS_SUITE(ECDHE_RSA_AES_128_GCM_SHA256),
    ZN_TLS_SUITE(ECDHE_RSA_AES_256_GCM_SHA384),
    ZN_TLS_SUITE(ECDHE_RSA_CHACHA20_POLY1305_SHA256),
};
static const uint16_t rsa_ids[] = {0xC02F, 0xC030, 0xCCA8};

static const uint32_t tls13_suites[] = {
    ZN_TLS_SUITE(AES_128_GCM_SHA256),
    ZN_TLS_SUITE(AES_256_GCM_SHA384),
    ZN_TLS_SUITE(CHACHA20_POLY1305_SHA256),
};
static const uint16_t tls13_ids[] = {0x1301, 0x1302, 0x1303};

/* Every TLS 1.2 suite. */
#define TLS12_ALL                                                              \
  (ZN_TLS_SUITES_ALL & ~(tls13_suites[0] | tls13_suites[1] | tls13_suites[2]))

/* One handshake, the client offering only `suite` (0: all) and the
 * server accepting `srv_suites` (0: all), a message each way, a clean
 * close. */
static void handshake_between(bool rsa, uint32_t suite, uint32_t srv_suites,
                              uint16_t want) {
  struct tpair t;
  tf_init(&t, NULL);
  if (rsa)
    tf_creds(&t, ZT_PEM_SERVER_RSA_PEM, ZT_PEM_SERVER_RSA_KEY);
  t.ccfg.suites = suite;
  t.scfg.suites = srv_suites;
  tf_rx(&t.srv, 1024);
  tf_rx(&t.cli, 1024);
  ZT_EQ(tf_connect(&t, "localhost"), ZN_OK);
  tf_run(&t, ZN_MS(200));
  ZT_EQ(t.accepted, 1);
  ZT_EQ(t.start_err, ZN_OK);
  ZT_EQ(t.cli.opened, 1);
  ZT_EQ(t.srv.opened, 1);
  ZT_EQ(t.cli.errors + t.srv.errors, 0);
  if (t.cli.errors + t.srv.errors)
    printf("# client: %s (code 0x%x, alert %d sent %d); server: %s (code "
           "0x%x, alert %d sent %d)\n",
           t.cli.fail.text, t.cli.fail.engine_code, t.cli.fail.alert,
           t.cli.fail.alert_sent, t.srv.fail.text, t.srv.fail.engine_code,
           t.srv.fail.alert, t.srv.fail.alert_sent);
  struct zn_tls_info ci, si;
  ZT_EQ(zn_tls_get_info(t.cli.s, &ci), ZN_OK);
  ZT_EQ(zn_tls_get_info(t.srv.s, &si), ZN_OK);
  ZT_CHECK(ci.open && si.open);
  ZT_EQ(ci.version, want >> 8 == 0x13 ? 0x0304 : 0x0303);
  ZT_EQ(ci.suite, want);
  ZT_EQ(si.suite, want);
  ZT_CHECK(ci.suite_name != NULL);
  ZT_CHECK(ci.alpn == NULL);
  ZT_EQ(zn_stream_write(t.cli.s, "ping", 4), 4);
  tf_run(&t, ZN_MS(50));
  ZT_EQU(t.srv.rx_len, 4);
  ZT_MEMEQ(t.srv.rx, "ping", 4);
  ZT_EQ(zn_stream_write(t.srv.s, "pong!", 5), 5);
  tf_run(&t, ZN_MS(50));
  ZT_EQU(t.cli.rx_len, 5);
  ZT_MEMEQ(t.cli.rx, "pong!", 5);
  ZT_EQU(t.cstats.v[ZN_TLS_STAT_handshakes_ok], 1);
  ZT_EQU(t.sstats.v[ZN_TLS_STAT_handshakes_ok], 1);
  ZT_EQU(t.cstats.v[ZN_TLS_STAT_handshakes_tls13], want >> 8 == 0x13);
  tf_free(&t);
}

static void handshake_with(bool rsa, uint32_t suite, uint16_t want) {
  handshake_between(rsa, suite, 0, want);
}

ZT_TEST(test_ecdsa_each_suite_handshakes) {
  for (int i = 0; i < 3; i++)
    handshake_with(false, ec_suites[i], ec_ids[i]);
}

ZT_TEST(test_rsa_each_suite_handshakes) {
  for (int i = 0; i < 3; i++)
    handshake_with(true, rsa_suites[i], rsa_ids[i]);
}

/* Offered every TLS 1.2 suite, each server picks one its key signs
 * for. */
ZT_TEST(test_server_picks_by_key_type) {
  handshake_with(false, TLS12_ALL, 0xC02B);
  handshake_with(true, TLS12_ALL, 0xC02F);
}

/* TLS 1.3 (znet's client and server): each suite with each key type
 * (ECDSA P-256, RSA-PSS), and the client's first when it offers all. */
ZT_TEST(test_tls13_each_suite_handshakes) {
  for (int i = 0; i < 3; i++) {
    handshake_with(false, tls13_suites[i], tls13_ids[i]);
    handshake_with(true, tls13_suites[i], tls13_ids[i]);
  }
  handshake_with(false, 0, 0x1301);
  handshake_with(true, 0, 0x1301);
}

/* A client offering both versions to a TLS 1.2 server: BearSSL's engine
 * takes over from the ServerHello with the hello znet's client sent, and
 * the session is TLS 1.2 (its Finished proves both sides hashed the same
 * hello). */
ZT_TEST(test_tls13_client_falls_back_to_tls12_server) {
  handshake_between(false, 0, TLS12_ALL, 0xC02B);
  handshake_between(true, 0, TLS12_ALL, 0xC02F);
  handshake_between(false, 0,
                    ZN_TLS_SUITE(ECDHE_ECDSA_CHACHA20_POLY1305_SHA256), 0xCCA9);
}

/* Connect to `name`, run the handshake, both sides open: what each
 * reports. */
static void open_pair(struct tpair *t, const char *name, struct zn_tls_info *ci,
                      struct zn_tls_info *si) {
  ZT_EQ(tf_connect(t, name), ZN_OK);
  tf_run(t, ZN_MS(200));
  ZT_EQ(t->cli.opened, 1);
  ZT_EQ(t->srv.opened, 1);
  ZT_EQ(zn_tls_get_info(t->cli.s, ci), ZN_OK);
  ZT_EQ(zn_tls_get_info(t->srv.s, si), ZN_OK);
}

/* Credentials of their own (the fixture's tf_creds keeps one set). */
static struct zn_tls_creds *creds_of(const char *chain, const char *key,
                                     void **mem) {
  size_t need = 0;
  struct zn_tls_creds *c = NULL;
  ZT_EQ(
      zn_tls_creds_measure(chain, strlen(chain), key, strlen(key), &need, NULL),
      ZN_OK);
  *mem = malloc(need);
  ZT_EQ(zn_tls_creds_init(chain, strlen(chain), key, strlen(key), *mem, need,
                          &c, NULL),
        ZN_OK);
  return c;
}

/* SNI (RFC 6066 §3): the server sends the chain of the first entry that
 * matches the name the client asks for (here its certificate check
 * passes only with that chain), the default for a name of none; over TLS
 * 1.3 and over TLS 1.2 (BearSSL's engine, given the chain). */
static void sni_case(uint32_t cli_suites, const char *name, int want,
                     uint16_t version) {
  struct tpair t;
  void *m1, *m2;
  tf_init(&t, NULL);
  struct zn_tls_sni table[2] = {
      {"ZNET.test",
       creds_of(ZT_PEM_SERVER_RSA_PEM, ZT_PEM_SERVER_RSA_KEY, &m1)},
      {"*.test", creds_of(ZT_PEM_WRONG_NAME_PEM, ZT_PEM_WRONG_NAME_KEY, &m2)},
  };
  t.scfg.sni = table;
  t.scfg.nsni = 2;
  t.ccfg.suites = cli_suites;
  struct zn_tls_info ci, si;
  open_pair(&t, name, &ci, &si);
  ZT_EQ(si.sni, want);
  ZT_EQ(ci.sni, -1);
  ZT_EQ(ci.version, version);
  tf_free(&t);
  free(m1);
  free(m2);
}

ZT_TEST(test_sni_picks_the_chain_by_name) {
  const uint32_t versions[2] = {0, TLS12_ALL};
  static const uint16_t ids[2] = {0x0304, 0x0303};
  for (int v = 0; v < 2; v++) {
    sni_case(versions[v], "znet.test", 0, ids[v]);  /* case aside */
    sni_case(versions[v], "wrong.test", 1, ids[v]); /* the wildcard */
    sni_case(versions[v], "localhost", -1, ids[v]); /* none: the default */
  }
}

/* A table the configuration check refuses. */
ZT_TEST(test_sni_table_checked) {
  struct tpair t;
  tf_init(&t, NULL);
  static const char *const bad[] = {
      "", "*", "*example.test", "a.*.test", "a..test", ".test", "test.", NULL};
  for (int i = 0; i < 8; i++) {
    struct zn_tls_sni e = {bad[i], t.creds};
    t.scfg.sni = &e;
    t.scfg.nsni = 1;
    ZT_EQU(zn_tls_conn_size(&t.scfg), 0);
  }
  struct zn_tls_sni ok = {"*.example.test", t.creds};
  t.scfg.sni = &ok;
  ZT_CHECK(zn_tls_conn_size(&t.scfg) > 0);
  struct zn_tls_sni nocreds = {"example.test", NULL};
  t.scfg.sni = &nocreds;
  ZT_EQU(zn_tls_conn_size(&t.scfg), 0);
  t.scfg.sni = NULL;
  ZT_EQU(zn_tls_conn_size(&t.scfg), 0); /* nsni 1 without a table */
  t.scfg.nsni = 0;
  tf_free(&t);
}

/* ALPN: the server picks the first of its names the client offers; no
 * name in common is no ALPN, not a failure. */
static void alpn_case(const char *const *srv, uint32_t ns,
                      const char *const *cli, uint32_t nc, const char *want) {
  struct tpair t;
  tf_init(&t, NULL);
  t.scfg.alpn = srv;
  t.scfg.nalpn = ns;
  t.ccfg.alpn = cli;
  t.ccfg.nalpn = nc;
  struct zn_tls_info ci, si;
  open_pair(&t, "znet.test", &ci, &si);
  if (want) {
    ZT_CHECK(ci.alpn && si.alpn);
    if (ci.alpn && si.alpn) {
      ZT_STREQ(ci.alpn, want);
      ZT_STREQ(si.alpn, want);
    }
  } else {
    ZT_CHECK(ci.alpn == NULL && si.alpn == NULL);
  }
  tf_free(&t);
}

ZT_TEST(test_alpn) {
  static const char *const web[] = {"http/1.1", "dot"};
  static const char *const dot[] = {"dot"};
  static const char *const h2[] = {"h2"};
  alpn_case(web, 2, dot, 1, "dot");
  alpn_case(web, 2, web, 2, "http/1.1");
  alpn_case(web, 2, h2, 1, NULL);
  alpn_case(NULL, 0, dot, 1, NULL);
}

/* The records a session makes in one go leave in as few TCP segments as
 * they fill: a TLS 1.3 server's flight (ServerHello, change_cipher_spec,
 * EncryptedExtensions, Certificate, CertificateVerify, Finished: six
 * records, under a segment) is one segment, and an answer written in
 * the callback with the close after it is one more (with the FIN). */
ZT_TEST(test_flight_in_one_segment) {
  struct tpair t;
  tf_init(&t, NULL);
  t.srv.echo = true;
  t.srv.close_on_eof = true;
  tf_rx(&t.srv, 1024);
  tf_rx(&t.cli, 1024);
  uint64_t before = zn_stat(t.p.b, ZN_STAT_tcp_seg_tx);
  ZT_EQ(tf_connect(&t, "localhost"), ZN_OK);
  tf_run(&t, ZN_MS(200));
  ZT_REQUIRE(t.cli.opened == 1 && t.srv.opened == 1);
  /* SYN-ACK, the ACK of the ClientHello (quick ACK), the flight, and
   * the ACK of the client's Finished. */
  uint64_t hs = zn_stat(t.p.b, ZN_STAT_tcp_seg_tx) - before;
  printf("# server segments for the handshake: %llu\n", (unsigned long long)hs);
  ZT_CHECK(hs <= 4);
  tf_free(&t);
}

/* A server that accepts and says nothing: the client gives up after
 * handshake_timeout_ms, resets, and says why. */
ZT_TEST(test_client_handshake_timeout) {
  struct tpair t;
  tf_init(&t, NULL);
  zn_tcp_close(t.listener);
  tf_run(&t, ZN_MS(10));
  struct zn_tcp_conn *mute;
  ZT_EQ(zn_tcp_listen(t.p.b, NULL, TF_PORT, 0, NULL, NULL, &mute), ZN_OK);
  t.listener = mute;
  t.ccfg.handshake_timeout_ms = 3000;
  ZT_EQ(tf_connect(&t, "localhost"), ZN_OK);
  tf_run(&t, ZN_MS(2900));
  ZT_EQ(t.cli.errors, 0);
  tf_run(&t, ZN_MS(200));
  ZT_EQ(t.cli.errors, 1);
  ZT_EQ(t.cli.last_err, ZN_ETIMEDOUT);
  ZT_EQ(t.cli.fail.failure, ZN_TLS_FAIL_timeout);
  ZT_EQU(t.cstats.v[ZN_TLS_STAT_failed_timeout], 1);
  struct zn_tcp_conn *c;
  while (zn_tcp_accept(mute, &c) == ZN_OK)
    zn_tcp_close(c);
  tf_free(&t);
}

int main(void) {
  ZT_RUN(test_ecdsa_each_suite_handshakes);
  ZT_RUN(test_rsa_each_suite_handshakes);
  ZT_RUN(test_server_picks_by_key_type);
  ZT_RUN(test_tls13_each_suite_handshakes);
  ZT_RUN(test_tls13_client_falls_back_to_tls12_server);
  ZT_RUN(test_sni_picks_the_chain_by_name);
  ZT_RUN(test_sni_table_checked);
  ZT_RUN(test_alpn);
  ZT_RUN(test_flight_in_one_segment);
  ZT_RUN(test_client_handshake_timeout);
  return zt_done();
}
