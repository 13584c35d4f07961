/* TLS handshakes between two znet stacks: each certificate type with each
 * cipher suite, what the session reports, ALPN, the timeout, RFC 8446
 * §4.1.3's downgrade sentinel in a TLS 1.3 server's TLS 1.2
 * ServerHello.random (and not in a TLS 1.2-only server's), and that a
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

/* RFC 8446 §4.1.3: how a TLS 1.3 server's TLS 1.2 ServerHello.random
 * ends. */
static const uint8_t downgrd01[8] = {0x44, 0x4f, 0x57, 0x4e,
                                     0x47, 0x52, 0x44, 0x01};

/* The random of the first ServerHello the client received (the frames
 * its stack got, headers and all): a TLS 1.2 handshake record whose
 * first message is a TLS 1.2 ServerHello. */
static size_t seen_server_random(const struct tpair *t, uint8_t random[32]) {
  const uint8_t *p = t->sniff.rx;
  for (size_t i = 0; p != NULL && i + 11 + 32 <= t->sniff.rx_len; i++) {
    if (p[i] == 22 && p[i + 1] == 3 && p[i + 2] == 3 && p[i + 5] == 2 &&
        p[i + 6] == 0 && p[i + 9] == 3 && p[i + 10] == 3) {
      memcpy(random, p + i + 11, 32);
      return (size_t)p[i + 3] << 8 | p[i + 4]; /* the record's length */
    }
  }
  return 0;
}

/* The TLS 1.2 ServerHello's random ends with the sentinel (marked) or
 * not; the length of the record that carried it. */
static size_t check_marked(const struct tpair *t, bool marked) {
  uint8_t random[32];
  size_t len = seen_server_random(t, random);
  ZT_CHECK(len > 0);
  ZT_EQ(memcmp(random + 24, downgrd01, 8) == 0, marked);
  return len;
}

/* One handshake, the client offering only `suite` (0: all) and the
 * server accepting `srv_suites` (0: all), a message each way, a clean
 * close; with `check`, the frames the client received are kept and
 * `check` looks at them before the pair is freed. */
static void handshake_seen(bool rsa, uint32_t suite, uint32_t srv_suites,
                           uint16_t want, void (*check)(const struct tpair *)) {
  struct tpair t;
  tf_init_ex(&t, NULL, check != NULL);
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
  if (check)
    check(&t);
  tf_free(&t);
}

static void handshake_between(bool rsa, uint32_t suite, uint32_t srv_suites,
                              uint16_t want) {
  handshake_seen(rsa, suite, srv_suites, want, NULL);
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

static void marked(const struct tpair *t) { (void)check_marked(t, true); }

static void unmarked(const struct tpair *t) { (void)check_marked(t, false); }

/* RFC 8446 §4.1.3: a server that speaks TLS 1.3 answering BearSSL's
 * TLS 1.2 client (which offers no TLS 1.3) ends its ServerHello.random
 * with DOWNGRD\x01, and the handshake completes: that client checked
 * the ServerKeyExchange's signature over the marked random and both
 * Finished over a transcript with it, so BearSSL's server hashed and
 * signed what went on the wire.  Each suite with each key type, and a
 * server that allows one TLS 1.3 suite only. */
ZT_TEST(test_tls12_answer_carries_downgrade_sentinel) {
  for (int i = 0; i < 3; i++) {
    handshake_seen(false, ec_suites[i], 0, ec_ids[i], marked);
    handshake_seen(true, rsa_suites[i], 0, rsa_ids[i], marked);
  }
  handshake_seen(false, TLS12_ALL, tls13_suites[2] | ec_suites[1], ec_ids[1],
                 marked);
}

/* A server configured for TLS 1.2 only would not have spoken TLS 1.3:
 * no sentinel. */
ZT_TEST(test_tls12_only_server_leaves_random_unmarked) {
  handshake_seen(false, TLS12_ALL, TLS12_ALL, 0xC02B, unmarked);
  handshake_seen(true, TLS12_ALL, TLS12_ALL, 0xC02F, unmarked);
  handshake_seen(false, TLS12_ALL, ec_suites[2], ec_ids[2], unmarked);
}

/* The sentinel does not depend on the flight fitting a record: a server
 * whose records hold 512 bytes (out_buf 597), and a client that asks for
 * 512-byte records (RFC 6066's max_fragment_length, which BearSSL's
 * client sends for a small input buffer), get the marked random and a
 * complete handshake, the ServerHello sealed and sent long before the
 * ServerKeyExchange is signed. */
static void small_records_case(bool rsa, bool small_server) {
  struct tpair t;
  tf_init_ex(&t, NULL, true);
  if (rsa)
    tf_creds(&t, ZT_PEM_SERVER_RSA_PEM, ZT_PEM_SERVER_RSA_KEY);
  t.ccfg.suites = TLS12_ALL;
  if (small_server)
    t.scfg.out_buf = 597;
  else
    t.ccfg.in_buf = 837;
  tf_rx(&t.srv, 1024);
  ZT_EQ(tf_connect(&t, "localhost"), ZN_OK);
  tf_run(&t, ZN_MS(200));
  ZT_EQ(t.cli.opened, 1);
  ZT_EQ(t.srv.opened, 1);
  ZT_EQ(t.cli.errors + t.srv.errors, 0);
  if (t.cli.errors + t.srv.errors)
    diag_failure(&t);
  ZT_EQ(zn_stream_write(t.cli.s, "ping", 4), 4);
  tf_run(&t, ZN_MS(50));
  ZT_EQU(t.srv.rx_len, 4);
  ZT_EQU(check_marked(&t, true), 512); /* the chain went on after it */
  tf_free(&t);
}

ZT_TEST(test_downgrade_sentinel_with_small_records) {
  for (int rsa = 0; rsa < 2; rsa++) {
    small_records_case(rsa, true);
    small_records_case(rsa, false);
  }
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
 * 1.3 and over TLS 1.2 (BearSSL's engine, given the chain, its random
 * marked with RFC 8446 §4.1.3's sentinel). */
static void sni_case(uint32_t cli_suites, const char *name, int want,
                     uint16_t version) {
  struct tpair t;
  void *m1, *m2;
  tf_init_ex(&t, NULL, true);
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
  if (version == 0x0303)
    (void)check_marked(&t, true); /* the chain SNI picked signed it */
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
  ZT_RUN(test_tls12_answer_carries_downgrade_sentinel);
  ZT_RUN(test_tls12_only_server_leaves_random_unmarked);
  ZT_RUN(test_downgrade_sentinel_with_small_records);
  ZT_RUN(test_sni_picks_the_chain_by_name);
  ZT_RUN(test_sni_table_checked);
  ZT_RUN(test_alpn);
  ZT_RUN(test_flight_in_one_segment);
  ZT_RUN(test_client_handshake_timeout);
  return zt_done();
}
