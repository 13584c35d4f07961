/* The TLS 1.3 server (tls/tls13_*.c) against a client scripted here
 * byte by byte over a plain TCP connection: the key schedule, records and
 * messages of RFC 8446 computed with tls13_crypto.c, so that each test
 * can send what a real client would, or what it must not.  Checked: a
 * full handshake and an echo, a HelloRetryRequest and its cookie, a
 * KeyUpdate answered, resumption with a ticket (and 0-RTT refused, its
 * records skipped); and the alert and clean end for each hostile case:
 * a bad Finished, a missing key share, groups znet does not do, an
 * extension twice, a second hello that drops TLS 1.3 or the cookie, a
 * record over the limit, an inner plaintext with no type, a
 * renegotiation attempt, a change_cipher_spec after the handshake.
 * OCSP stapling: the response in the leaf's CertificateEntry, byte for
 * byte, for a client that asks only, and a malformed status_request
 * refused; the checks of zn_tls_creds_set_ocsp(). */
#include <bearssl.h>

#include "tls13_crypto.h"
#include "tls13_msg.h"
#include "tls13_script.h"
#include "tls_fixture.h"

/* ---- the scripted client ---- */

struct c13 {
  struct tpair *t;
  struct zn_tcp_conn *c;
  int connected, eof, errors, closed;
  uint8_t rx[65536];
  size_t rx_len, rx_off;
  uint8_t priv[32], pub[32];
  const struct zn__tls13_suite *s;
  br_sha256_context th;
  uint8_t ch[2048];
  size_t ch_len;
  uint8_t secret[32], c_hs[32], s_hs[32], c_ap[32], s_ap[32];
  struct zn__tls13_keys rd, wr;
  uint8_t hs[65536]; /* handshake bytes decrypted, not yet read */
  size_t hs_len;
  bool hrr;
  uint8_t cookie[64];
  size_t cookie_len;
  uint8_t nst[1024]; /* the last NewSessionTicket */
  size_t nst_len;
  uint8_t app[4096]; /* application data received */
  size_t app_len;
  uint8_t cert[32768]; /* the server's Certificate message */
  size_t cert_len;
  int alert;    /* the last alert received, or -1 */
  bool resumed; /* the ServerHello took our PSK */
  uint8_t psk[32];
};

static void c13_connected(struct zn_tcp_conn *c, void *arg) {
  (void)c;
  ((struct c13 *)arg)->connected++;
}

static void c13_readable(struct zn_tcp_conn *c, void *arg) {
  struct c13 *x = arg;
  for (;;) {
    long n = zn_tcp_read(c, x->rx + x->rx_len, sizeof(x->rx) - x->rx_len);
    if (n == 0)
      x->eof++;
    if (n <= 0)
      return;
    x->rx_len += (size_t)n;
  }
}

static void c13_error(struct zn_tcp_conn *c, void *arg, int err) {
  (void)c;
  (void)err;
  ((struct c13 *)arg)->errors++;
}

static void c13_closed(struct zn_tcp_conn *c, void *arg) {
  (void)c;
  ((struct c13 *)arg)->closed++;
}

static const struct zn_tcp_callbacks c13_cbs = {
    .on_connected = c13_connected,
    .on_readable = c13_readable,
    .on_error = c13_error,
    .on_closed = c13_closed,
};

static void c13_start(struct tpair *t, struct c13 *x, uint8_t key_byte) {
  memset(x, 0, sizeof(*x));
  x->t = t;
  x->alert = -1;
  x->s = zn__tls13_suite(0x1301);
  for (int i = 0; i < 32; i++)
    x->priv[i] = (uint8_t)(i * 13 + key_byte);
  const br_ec_impl *ec = br_ec_get_default();
  ZT_EQ(ec->mulgen(x->pub, x->priv, 32, BR_EC_curve25519), 32);
  br_sha256_init(&x->th);
  ZT_EQ(zn_tcp_connect(t->p.a, TH_IP(IP_B), TF_PORT, &c13_cbs, x, &x->c),
        ZN_OK);
  tf_run(t, ZN_MS(20));
  ZT_EQ(x->connected, 1);
}

static void run(struct c13 *x) { tf_run(x->t, ZN_MS(50)); }

/* What a ClientHello carries, each part optional. */
struct hello {
  const uint16_t *suites;
  size_t nsuites;
  const uint16_t *groups;
  size_t ngroups;
  uint16_t share_group; /* 0: no key_share extension */
  bool empty_shares;    /* key_share with no entry */
  bool no_versions;
  uint16_t version; /* in supported_versions (0: 0x0304) */
  size_t sid_len;
  const uint8_t *cookie;
  size_t cookie_len;
  bool twice; /* supported_groups twice */
  bool early_data;
  bool early_junk;       /* a 0-RTT record right after the hello */
  const uint8_t *ticket; /* pre_shared_key with this identity */
  size_t ticket_len;
  uint32_t obfuscated_age;
  uint8_t binder_len; /* its binder's length (0: the suite's, 32) */
  int status_request; /* 0: none; STATUS_OCSP; STATUS_TRUNCATED */
};

/* RFC 6066 §8's CertificateStatusRequest: ocsp, one ResponderID of 3
 * bytes, no request_extensions; or the same without its
 * request_extensions (decode_error). */
enum { STATUS_OCSP = 1, STATUS_TRUNCATED = 2 };
static const uint8_t status_ocsp[] = {1, 0, 5, 0, 3, 0xaa, 0xbb, 0xcc, 0, 0};

static const uint16_t std_suites[] = {0x1301, 0x1302, 0x1303};
static const uint16_t std_groups[] = {0x001d, 0x0017, 0x0018};

static size_t ext(uint8_t *p, unsigned type, const uint8_t *body, size_t len) {
  size_t n = p16(p, type);
  n += p16(p + n, (unsigned)len);
  if (len)
    memcpy(p + n, body, len);
  return n + len;
}

static size_t ext_groups(uint8_t *p, const struct hello *h) {
  uint8_t b[64];
  size_t n = p16(b, (unsigned)(2 * h->ngroups));
  for (size_t i = 0; i < h->ngroups; i++)
    n += p16(b + n, h->groups[i]);
  return ext(p, 10, b, n);
}

static size_t ext_share(uint8_t *p, const struct c13 *x,
                        const struct hello *h) {
  uint8_t b[128];
  size_t n = 2;
  if (!h->empty_shares) {
    n += p16(b + n, h->share_group);
    size_t klen = h->share_group == 0x001d ? 32 : 56; /* x448: 56 */
    n += p16(b + n, (unsigned)klen);
    if (h->share_group == 0x001d)
      memcpy(b + n, x->pub, 32);
    else
      memset(b + n, 7, klen);
    n += klen;
  }
  p16(b, (unsigned)(n - 2));
  return ext(p, 51, b, n);
}

/* The extensions but pre_shared_key. */
static size_t hello_extensions(uint8_t *p, const struct c13 *x,
                               const struct hello *h) {
  static const uint8_t sigs[] = {0,    10,   0x04, 0x03, 0x05, 0x03,
                                 0x08, 0x04, 0x08, 0x05, 0x08, 0x06};
  static const uint8_t sni[] = {0,   12,  0,   0,   9,   'l', 'o',
                                'c', 'a', 'l', 'h', 'o', 's', 't'};
  static const uint8_t modes[] = {1, 1};
  size_t n = ext(p, 0, sni, sizeof(sni));
  if (!h->no_versions) {
    uint8_t v[3] = {2};
    p16(v + 1, h->version ? h->version : 0x0304);
    n += ext(p + n, 43, v, 3);
  }
  n += ext_groups(p + n, h);
  if (h->twice)
    n += ext_groups(p + n, h);
  if (h->share_group || h->empty_shares)
    n += ext_share(p + n, x, h);
  n += ext(p + n, 13, sigs, sizeof(sigs));
  if (h->cookie) {
    uint8_t c[80];
    p16(c, (unsigned)h->cookie_len);
    memcpy(c + 2, h->cookie, h->cookie_len);
    n += ext(p + n, 44, c, h->cookie_len + 2);
  }
  n += ext(p + n, 45, modes, sizeof(modes));
  if (h->status_request)
    n += ext(p + n, 5, status_ocsp,
             sizeof(status_ocsp) - (h->status_request == STATUS_OCSP ? 0 : 2));
  if (h->early_data)
    n += ext(p + n, 42, NULL, 0);
  return n;
}

static size_t binder_len(const struct hello *h) {
  return h->binder_len ? h->binder_len : 32;
}

/* §4.2.11: the identity and a binder (of the suite's length unless
 * h->binder_len says), filled by fill_binder once the rest is known. */
static size_t psk_extension(uint8_t *p, const struct hello *h) {
  size_t n = p16(p, 41);
  size_t len_at = n;
  n += 2;
  n += p16(p + n, (unsigned)(2 + h->ticket_len + 4));
  n += p16(p + n, (unsigned)h->ticket_len);
  memcpy(p + n, h->ticket, h->ticket_len);
  n += h->ticket_len;
  for (int i = 3; i >= 0; i--)
    p[n++] = (uint8_t)(h->obfuscated_age >> (8 * i));
  size_t blen = binder_len(h);
  n += p16(p + n, (unsigned)(1 + blen));
  p[n++] = (uint8_t)blen;
  memset(p + n, 0, blen);
  n += blen;
  p16(p + len_at, (unsigned)(n - len_at - 2));
  return n;
}

static size_t build_hello(struct c13 *x, const struct hello *h, uint8_t *msg) {
  size_t n = 4;
  n += p16(msg + n, 0x0303);
  for (int i = 0; i < 32; i++)
    msg[n++] = (uint8_t)(i + 1);
  msg[n++] = (uint8_t)h->sid_len;
  for (size_t i = 0; i < h->sid_len; i++)
    msg[n++] = (uint8_t)(0xa0 + i);
  const uint16_t *suites = h->suites ? h->suites : std_suites;
  size_t ns = h->suites ? h->nsuites : 3;
  n += p16(msg + n, (unsigned)(2 * ns));
  for (size_t i = 0; i < ns; i++)
    n += p16(msg + n, suites[i]);
  msg[n++] = 1;
  msg[n++] = 0;
  size_t ext_at = n;
  n += 2;
  n += hello_extensions(msg + n, x, h);
  if (h->ticket)
    n += psk_extension(msg + n, h);
  p16(msg + ext_at, (unsigned)(n - ext_at - 2));
  msg[0] = 1;
  msg[1] = 0;
  p16(msg + 2, (unsigned)(n - 4));
  return n;
}

static void send_plain(struct c13 *x, uint8_t type, const uint8_t *p,
                       size_t len) {
  uint8_t rec[5 + 16384];
  rec[0] = type;
  rec[1] = 3;
  rec[2] = 1;
  p16(rec + 3, (unsigned)len);
  memcpy(rec + 5, p, len);
  ZT_EQ(zn_tcp_write(x->c, rec, 5 + len), (long)(5 + len));
}

static void send_protected(struct c13 *x, uint8_t type, const uint8_t *p,
                           size_t len) {
  uint8_t rec[5 + 16384 + 1 + 16];
  memcpy(rec + 5, p, len);
  rec[5 + len] = type;
  size_t n = zn__tls13_seal(&x->wr, rec, len + 1);
  ZT_EQ(zn_tcp_write(x->c, rec, n), (long)n);
}

/* The next whole record received: false if none yet. */
static bool next_record(struct c13 *x, uint8_t *type, uint8_t **rec,
                        size_t *len) {
  return ts_next_record(x->rx, x->rx_len, &x->rx_off, type, rec, len);
}

static void transcript(struct c13 *x, const uint8_t *m, size_t len) {
  br_sha256_update(&x->th, m, len);
}

static void thash(struct c13 *x, uint8_t *out) { br_sha256_out(&x->th, out); }

/* The server's records in, as far as they go: plaintext handshake and
 * alerts, protected ones opened with rd (handshake bytes gathered,
 * application data kept, alerts noted). */
static void read_records(struct c13 *x) {
  uint8_t type, *rec;
  size_t len;
  while (next_record(x, &type, &rec, &len)) {
    if (type == 20)
      continue;
    if (type == 21 && x->rd.suite == NULL) {
      x->alert = rec[6];
      continue;
    }
    if (type == 22 && x->rd.suite == NULL) {
      memcpy(x->hs + x->hs_len, rec + 5, len);
      x->hs_len += len;
      continue;
    }
    if (x->rd.suite == NULL) { /* keys not yet known: later */
      x->rx_off -= 5 + len;
      return;
    }
    ZT_REQUIRE(type == 23);
    ZT_REQUIRE(zn__tls13_open(&x->rd, rec, len));
    uint8_t inner;
    size_t clen;
    ZT_REQUIRE(zn__tls13_inner_type(rec + 5, len - 16, &inner, &clen));
    if (inner == 21)
      x->alert = rec[6];
    else if (inner == 22) {
      memcpy(x->hs + x->hs_len, rec + 5, clen);
      x->hs_len += clen;
    } else if (inner == 23 && x->app_len + clen <= sizeof(x->app)) {
      memcpy(x->app + x->app_len, rec + 5, clen);
      x->app_len += clen;
    }
  }
}

/* The next whole handshake message gathered: its length, 0 if none. */
static size_t take_msg(struct c13 *x, uint8_t *out, size_t cap) {
  return ts_take_msg(x->hs, &x->hs_len, out, cap);
}

/* Send a ClientHello and read the answer up to the ServerHello (or the
 * HelloRetryRequest, or an alert): true for a ServerHello. */
/* §4.2.11.2: the binder over the hello up to its binders list, with
 * x->psk, into the first 32 bytes of the last blen. */
static void fill_binder(struct c13 *x, size_t blen) {
  size_t binders_at = x->ch_len - 2 - 1 - blen;
  uint8_t early[32], empty[32], key[32], fk[32], th[32];
  zn__tls13_extract(x->s, NULL, x->psk, 32, early);
  zn__tls13_empty_hash(x->s, empty);
  zn__tls13_derive_secret(x->s, early, "res binder", empty, key);
  zn__tls13_expand_label(x->s, key, "finished", NULL, 0, fk, 32);
  br_sha256_context c = x->th; /* what came before this hello */
  br_sha256_update(&c, x->ch, binders_at);
  br_sha256_out(&c, th);
  zn__tls13_hmac(x->s, fk, 32, th, 32, x->ch + binders_at + 3);
}

/* A record of 0-RTT data under keys the server never derives. */
static void send_early_junk(struct c13 *x) {
  uint8_t junk[5 + 40 + 16];
  memset(junk, 0x5a, sizeof(junk));
  junk[0] = 23;
  junk[1] = 3;
  junk[2] = 3;
  p16(junk + 3, 56);
  ZT_EQ(zn_tcp_write(x->c, junk, sizeof(junk)), (long)sizeof(junk));
}

static bool hello(struct c13 *x, const struct hello *h) {
  x->ch_len = build_hello(x, h, x->ch);
  if (h->ticket)
    fill_binder(x, binder_len(h));
  transcript(x, x->ch, x->ch_len);
  send_plain(x, 22, x->ch, x->ch_len);
  if (h->early_junk)
    send_early_junk(x);
  run(x);
  read_records(x);
  uint8_t m[1024];
  size_t len = take_msg(x, m, sizeof(m));
  if (len == 0)
    return false;
  struct zn__tls13_server_hello sh;
  ZT_EQ(zn__tls13_parse_server_hello(m, len, &sh), 0);
  ZT_EQU(sh.suite, 0x1301);
  transcript(x, m, len);
  x->hrr = sh.hrr;
  if (sh.hrr) {
    x->cookie_len = sh.cookie.len;
    memcpy(x->cookie, sh.cookie.p, sh.cookie.len);
    return false;
  }
  x->resumed = (sh.seen & ZN__TLS13_SEEN(pre_shared_key)) != 0;
  uint8_t shared[32];
  memcpy(shared, sh.share.p, 32);
  ZT_CHECK(br_ec_get_default()->mul(shared, 32, x->priv, 32, BR_EC_curve25519));
  uint8_t early[32], empty[32], derived[32], th[32];
  zn__tls13_extract(x->s, NULL, x->resumed ? x->psk : NULL, x->resumed ? 32 : 0,
                    early);
  zn__tls13_empty_hash(x->s, empty);
  zn__tls13_derive_secret(x->s, early, "derived", empty, derived);
  zn__tls13_extract(x->s, derived, shared, 32, x->secret);
  thash(x, th);
  zn__tls13_derive_secret(x->s, x->secret, "c hs traffic", th, x->c_hs);
  zn__tls13_derive_secret(x->s, x->secret, "s hs traffic", th, x->s_hs);
  zn__tls13_derive_secret(x->s, x->secret, "derived", empty, derived);
  zn__tls13_extract(x->s, derived, NULL, 0, x->secret); /* master */
  zn__tls13_keys_set(&x->rd, x->s, x->s_hs);
  zn__tls13_keys_set(&x->wr, x->s, x->c_hs);
  read_records(x);
  return true;
}

static void finished_mac(struct c13 *x, const uint8_t *base, uint8_t *out) {
  uint8_t key[32], th[32];
  zn__tls13_expand_label(x->s, base, "finished", NULL, 0, key, 32);
  thash(x, th);
  zn__tls13_hmac(x->s, key, 32, th, 32, out);
}

/* The server's flight after its ServerHello, its Finished checked; the
 * application secrets.  The number of messages read. */
static int server_flight(struct c13 *x) {
  static uint8_t m[32768];
  size_t len;
  int n = 0;
  while ((len = take_msg(x, m, sizeof(m))) > 0) {
    n++;
    if (m[0] == ZN__TLS13_HS_finished) {
      uint8_t mac[32], th[32];
      finished_mac(x, x->s_hs, mac);
      ZT_EQU(len, 36);
      ZT_MEMEQ(m + 4, mac, 32);
      transcript(x, m, len);
      thash(x, th);
      zn__tls13_derive_secret(x->s, x->secret, "c ap traffic", th, x->c_ap);
      zn__tls13_derive_secret(x->s, x->secret, "s ap traffic", th, x->s_ap);
      zn__tls13_keys_set(&x->rd, x->s, x->s_ap);
      return n;
    }
    if (m[0] == ZN__TLS13_HS_certificate) {
      memcpy(x->cert, m, len);
      x->cert_len = len;
    }
    transcript(x, m, len);
  }
  return n;
}

/* Our Finished (good, or with a byte changed), then our application
 * keys. */
static void client_finished(struct c13 *x, bool good) {
  uint8_t m[36] = {ZN__TLS13_HS_finished, 0, 0, 32};
  finished_mac(x, x->c_hs, m + 4);
  if (!good)
    m[10] ^= 1;
  transcript(x, m, sizeof(m));
  send_protected(x, 22, m, sizeof(m));
  zn__tls13_keys_set(&x->wr, x->s, x->c_ap);
}

/* The whole handshake with the standard hello: true when open. */
static bool handshake(struct c13 *x, const struct hello *h) {
  if (!hello(x, h))
    return false;
  server_flight(x);
  client_finished(x, true);
  run(x);
  read_records(x);
  return x->t->srv.opened == 1;
}

static struct hello std_hello(void) {
  struct hello h;
  memset(&h, 0, sizeof(h));
  h.groups = std_groups;
  h.ngroups = 3;
  h.share_group = 0x001d;
  return h;
}

/* The server failed with alert `want`, told us (we read it), and the
 * failure is counted by the reason it maps to. */
static void expect_alert(struct c13 *x, int want, enum zn_tls_failure why) {
  run(x);
  read_records(x);
  ZT_EQ(x->alert, want);
  ZT_EQ(x->t->srv.errors, 1);
  ZT_EQ(x->t->srv.fail.alert, want);
  ZT_CHECK(x->t->srv.fail.alert_sent);
  ZT_EQ(x->t->srv.fail.failure, why);
  ZT_EQU(x->t->sstats.v[ZN_TLS_STAT_failed_version + (int)why - 1], 1);
}

static void c13_end(struct c13 *x) {
  zn_tcp_close(x->c);
  tf_run(x->t, ZN_MS(2500)); /* a server lingering after an alert lets go */
  tf_free(x->t);
}

/* ---- the tests ---- */

ZT_TEST(test_tls13_handshake_and_echo) {
  struct tpair t;
  tf_init(&t, NULL);
  t.srv.echo = true;
  struct c13 x;
  c13_start(&t, &x, 1);
  struct hello h = std_hello();
  h.sid_len = 32; /* middlebox compatibility: a CCS comes */
  ZT_REQUIRE(hello(&x, &h));
  ZT_EQ(server_flight(&x), 4); /* EE, Certificate, CertificateVerify, Fin */
  client_finished(&x, true);
  run(&x);
  ZT_EQ(t.srv.opened, 1);
  static const uint8_t msg[] = "hello over TLS 1.3";
  send_protected(&x, 23, msg, sizeof(msg));
  run(&x);
  read_records(&x);
  ZT_EQU(x.app_len, sizeof(msg));
  ZT_MEMEQ(x.app, msg, sizeof(msg));
  ZT_EQU(t.sstats.v[ZN_TLS_STAT_handshakes_tls13], 1);
  struct zn_tls_info info;
  ZT_EQ(zn_tls_get_info(t.srv.s, &info), ZN_OK);
  ZT_EQU(info.version, 0x0304);
  ZT_EQU(info.suite, 0x1301);
  /* Our close_notify is answered with the server's. */
  static const uint8_t cn[2] = {1, 0};
  send_protected(&x, 21, cn, 2);
  run(&x);
  read_records(&x);
  ZT_EQ(x.alert, 0);
  ZT_EQ(t.srv.eof, 1);
  c13_end(&x);
}

ZT_TEST(test_tls13_bad_finished_refused) {
  struct tpair t;
  tf_init(&t, NULL);
  struct c13 x;
  c13_start(&t, &x, 2);
  struct hello h = std_hello();
  ZT_REQUIRE(hello(&x, &h));
  server_flight(&x);
  client_finished(&x, false);
  expect_alert(&x, ZN__TLS13_ALERT_decrypt_error, ZN_TLS_FAIL_handshake);
  ZT_EQ(t.srv.opened, 0);
  c13_end(&x);
}

ZT_TEST(test_tls13_missing_key_share_refused) {
  struct tpair t;
  tf_init(&t, NULL);
  struct c13 x;
  c13_start(&t, &x, 3);
  struct hello h = std_hello();
  h.share_group = 0;
  ZT_CHECK(!hello(&x, &h));
  expect_alert(&x, ZN__TLS13_ALERT_missing_extension, ZN_TLS_FAIL_protocol);
  c13_end(&x);
}

/* Only X448 and P-521, which znet does not do. */
ZT_TEST(test_tls13_unsupported_groups_refused) {
  struct tpair t;
  tf_init(&t, NULL);
  struct c13 x;
  c13_start(&t, &x, 4);
  static const uint16_t g[] = {0x001e, 0x0019};
  struct hello h = std_hello();
  h.groups = g;
  h.ngroups = 2;
  h.share_group = 0x001e;
  ZT_CHECK(!hello(&x, &h));
  expect_alert(&x, ZN__TLS13_ALERT_handshake_failure,
               ZN_TLS_FAIL_no_shared_cipher);
  c13_end(&x);
}

ZT_TEST(test_tls13_duplicate_extension_refused) {
  struct tpair t;
  tf_init(&t, NULL);
  struct c13 x;
  c13_start(&t, &x, 5);
  struct hello h = std_hello();
  h.twice = true;
  ZT_CHECK(!hello(&x, &h));
  expect_alert(&x, ZN__TLS13_ALERT_illegal_parameter, ZN_TLS_FAIL_protocol);
  c13_end(&x);
}

/* A share only for X448: a HelloRetryRequest for X25519 with a cookie;
 * the second hello with both opens the session. */
ZT_TEST(test_tls13_hello_retry_then_open) {
  struct tpair t;
  tf_init(&t, NULL);
  struct c13 x;
  c13_start(&t, &x, 6);
  static const uint16_t g[] = {0x001e, 0x001d};
  struct hello h = std_hello();
  h.groups = g;
  h.ngroups = 2;
  h.share_group = 0x001e;
  ZT_CHECK(!hello(&x, &h));
  ZT_REQUIRE(x.hrr);
  ZT_CHECK(x.cookie_len > 0);
  /* §4.4.1: the transcript restarts from message_hash(ClientHello1). */
  uint8_t h1[32], hrr[512];
  br_sha256_context c1;
  br_sha256_init(&c1);
  br_sha256_update(&c1, x.ch, x.ch_len);
  br_sha256_out(&c1, h1);
  size_t hrr_len =
      4 + ((size_t)x.rx[5 + 1] << 16 | (size_t)x.rx[5 + 2] << 8 | x.rx[5 + 3]);
  memcpy(hrr, x.rx + 5, hrr_len);
  br_sha256_init(&x.th);
  static const uint8_t mh[4] = {254, 0, 0, 32};
  transcript(&x, mh, 4);
  transcript(&x, h1, 32);
  transcript(&x, hrr, hrr_len);
  h.share_group = 0x001d;
  h.cookie = x.cookie;
  h.cookie_len = x.cookie_len;
  ZT_REQUIRE(hello(&x, &h));
  server_flight(&x);
  client_finished(&x, true);
  run(&x);
  ZT_EQ(t.srv.opened, 1);
  ZT_EQU(t.sstats.v[ZN_TLS_STAT_handshakes_hrr], 1);
  c13_end(&x);
}

/* The second hello must echo the cookie and keep TLS 1.3 (§4.1.2). */
static void second_hello_refused(bool keep_cookie, uint16_t version) {
  struct tpair t;
  tf_init(&t, NULL);
  struct c13 x;
  c13_start(&t, &x, 7);
  static const uint16_t g[] = {0x001e, 0x001d};
  struct hello h = std_hello();
  h.groups = g;
  h.ngroups = 2;
  h.share_group = 0x001e;
  ZT_CHECK(!hello(&x, &h));
  ZT_REQUIRE(x.hrr);
  h.share_group = 0x001d;
  if (keep_cookie) {
    h.cookie = x.cookie;
    h.cookie_len = x.cookie_len;
  }
  h.version = version;
  ZT_CHECK(!hello(&x, &h));
  expect_alert(&x, ZN__TLS13_ALERT_illegal_parameter, ZN_TLS_FAIL_protocol);
  c13_end(&x);
}

ZT_TEST(test_tls13_second_hello_without_cookie_refused) {
  second_hello_refused(false, 0);
}

/* A downgrade after the retry: the second hello offers TLS 1.2 only. */
ZT_TEST(test_tls13_second_hello_downgrade_refused) {
  second_hello_refused(true, 0x0303);
}

/* After the handshake, a record from the client that breaks §5. */
static void open_then(uint8_t type, const uint8_t *p, size_t len, bool raw,
                      int want) {
  struct tpair t;
  tf_init(&t, NULL);
  struct c13 x;
  c13_start(&t, &x, 8);
  struct hello h = std_hello();
  ZT_REQUIRE(handshake(&x, &h));
  if (raw)
    ZT_EQ(zn_tcp_write(x.c, p, len), (long)len);
  else
    send_protected(&x, type, p, len);
  expect_alert(&x, want, ZN_TLS_FAIL_protocol);
  c13_end(&x);
}

ZT_TEST(test_tls13_record_over_limit_refused) {
  static const uint8_t hdr[5] = {23, 3, 3, 0x41, 0x01}; /* 16641 > 16640 */
  open_then(0, hdr, sizeof(hdr), true, ZN__TLS13_ALERT_record_overflow);
}

/* §5.4: a TLSInnerPlaintext of more than 2^14 + 1 bytes, whose
 * ciphertext is within §5.2's 2^14 + 256, is refused once opened: with
 * 16385 bytes of content, and with 100 bytes of content padded past the
 * limit. */
static void inner_over_limit(size_t content, size_t inner) {
  struct tpair t;
  tf_init(&t, NULL);
  struct c13 x;
  c13_start(&t, &x, 10);
  struct hello h = std_hello();
  ZT_REQUIRE(handshake(&x, &h));
  static uint8_t rec[5 + 16400 + 16];
  memset(rec + 5, 'a', content);
  rec[5 + content] = 23; /* application_data */
  memset(rec + 5 + content + 1, 0, inner - content - 1);
  size_t n = zn__tls13_seal(&x.wr, rec, inner);
  ZT_EQ(zn_tcp_write(x.c, rec, n), (long)n);
  expect_alert(&x, ZN__TLS13_ALERT_record_overflow, ZN_TLS_FAIL_protocol);
  c13_end(&x);
}

ZT_TEST(test_tls13_inner_plaintext_over_limit_refused) {
  inner_over_limit(16385, 16386);
}

ZT_TEST(test_tls13_inner_padding_over_limit_refused) {
  inner_over_limit(100, 16386);
}

/* A protected record whose inner plaintext is all padding: no type. */
ZT_TEST(test_tls13_inner_plaintext_without_type_refused) {
  struct tpair t;
  tf_init(&t, NULL);
  struct c13 x;
  c13_start(&t, &x, 9);
  struct hello h = std_hello();
  ZT_REQUIRE(handshake(&x, &h));
  uint8_t rec[5 + 8 + 16];
  memset(rec + 5, 0, 8);
  size_t n = zn__tls13_seal(&x.wr, rec, 8);
  ZT_EQ(zn_tcp_write(x.c, rec, n), (long)n);
  expect_alert(&x, ZN__TLS13_ALERT_unexpected_message, ZN_TLS_FAIL_protocol);
  c13_end(&x);
}

/* §4.1.2: no renegotiation in TLS 1.3: a ClientHello after the
 * handshake. */
ZT_TEST(test_tls13_renegotiation_refused) {
  uint8_t ch[64] = {1, 0, 0, 60};
  open_then(22, ch, sizeof(ch), false, ZN__TLS13_ALERT_unexpected_message);
}

ZT_TEST(test_tls13_change_cipher_spec_after_handshake_refused) {
  static const uint8_t ccs[6] = {20, 3, 3, 0, 1, 1};
  open_then(0, ccs, sizeof(ccs), true, ZN__TLS13_ALERT_unexpected_message);
}

/* KeyUpdate asking for ours: the server updates its keys before its next
 * record; our data under our new keys is echoed under its new ones. */
ZT_TEST(test_tls13_key_update_answered) {
  struct tpair t;
  tf_init(&t, NULL);
  t.srv.echo = true;
  struct c13 x;
  c13_start(&t, &x, 10);
  struct hello h = std_hello();
  ZT_REQUIRE(handshake(&x, &h));
  static const uint8_t ku[5] = {24, 0, 0, 1, 1};
  send_protected(&x, 22, ku, sizeof(ku));
  uint8_t next[32];
  zn__tls13_expand_label(x.s, x.c_ap, "traffic upd", NULL, 0, next, 32);
  zn__tls13_keys_set(&x.wr, x.s, next);
  static const uint8_t msg[] = "after the update";
  send_protected(&x, 23, msg, sizeof(msg));
  run(&x);
  /* The ticket and the server's KeyUpdate under the old keys, then the
   * echo under the new. */
  uint8_t type, *rec;
  size_t len;
  bool updated = false;
  while (next_record(&x, &type, &rec, &len)) {
    ZT_REQUIRE(zn__tls13_open(&x.rd, rec, len));
    uint8_t inner;
    size_t clen;
    ZT_REQUIRE(zn__tls13_inner_type(rec + 5, len - 16, &inner, &clen));
    if (inner == 22 && rec[5] == 24) {
      ZT_EQ(rec[9], 0); /* update_not_requested */
      zn__tls13_expand_label(x.s, x.s_ap, "traffic upd", NULL, 0, next, 32);
      zn__tls13_keys_set(&x.rd, x.s, next);
      updated = true;
    } else if (inner == 23) {
      ZT_CHECK(updated);
      ZT_EQU(clen, sizeof(msg));
      ZT_MEMEQ(rec + 5, msg, sizeof(msg));
      x.app_len += clen;
    }
  }
  ZT_CHECK(updated);
  ZT_EQU(x.app_len, sizeof(msg));
  ZT_EQ(t.srv.errors, 0);
  c13_end(&x);
}

/* A first session's ticket: its identity, PSK (§4.6.1) and age_add,
 * the session closed by both. */
struct first_ticket {
  uint8_t ticket[256], psk[32];
  size_t len;
  uint32_t age_add;
};

static void first_session_ticket(struct tpair *t, struct first_ticket *ft) {
  static _Alignas(64) uint8_t tmem[256];
  static const uint8_t secret[32] = {9, 8, 7};
  struct zn_tls_tickets *tk;
  ZT_EQ(zn_tls_tickets_init(tmem, sizeof(tmem), secret, 3600, &tk), ZN_OK);
  t->scfg.tickets = tk;
  struct c13 x;
  c13_start(t, &x, 11);
  struct hello h = std_hello();
  ZT_REQUIRE(handshake(&x, &h));
  uint8_t m[1024];
  size_t len = take_msg(&x, m, sizeof(m));
  ZT_REQUIRE(len > 0 && m[0] == ZN__TLS13_HS_new_session_ticket);
  struct zn__tls13_new_session_ticket nst;
  ZT_EQ(zn__tls13_parse_new_session_ticket(m, len, &nst), 0);
  ZT_EQU(nst.lifetime, 3600);
  ZT_CHECK(!(nst.seen & ZN__TLS13_SEEN(early_data))); /* no 0-RTT */
  uint8_t th[32], res[32];
  thash(&x, th);
  zn__tls13_derive_secret(x.s, x.secret, "res master", th, res);
  zn__tls13_expand_label(x.s, res, "resumption", nst.nonce.p, nst.nonce.len,
                         ft->psk, 32);
  ZT_REQUIRE(nst.ticket.len <= sizeof(ft->ticket));
  ft->len = nst.ticket.len;
  memcpy(ft->ticket, nst.ticket.p, ft->len);
  ft->age_add = nst.age_add;
  static const uint8_t cn[2] = {1, 0}; /* close_notify, then the FIN */
  send_protected(&x, 21, cn, 2);
  run(&x);
  zn_tcp_close(x.c);
  tf_run(t, ZN_MS(100));
  ZT_EQ(t->srv.errors, 0);
  zn_stream_close(t->srv.s);
  tf_run(t, ZN_MS(100));
  t->srv.opened = 0;
  t->srv.s = NULL;
  t->srv.closed = 0;
}

/* A first session's ticket into ft, then a second connection y (seed:
 * its client's), on a fresh server session of the same config, and the
 * hello that offers ft's ticket 300 ms after it came, its binder from
 * y's PSK (ft's). */
static struct hello resume_hello(struct tpair *t, struct first_ticket *ft,
                                 struct c13 *y, uint8_t seed) {
  tf_init(t, NULL);
  first_session_ticket(t, ft);
  c13_start(t, y, seed);
  memcpy(y->psk, ft->psk, 32);
  struct hello h = std_hello();
  h.ticket = ft->ticket;
  h.ticket_len = ft->len;
  h.obfuscated_age = ft->age_add + 300;
  return h;
}

/* The ticket of a first session resumes a second (no certificate sent);
 * the second also offers 0-RTT, which is refused: its early data record
 * is skipped and the handshake goes on (§4.2.10). */
ZT_TEST(test_tls13_ticket_resumes_and_early_data_skipped) {
  struct tpair t;
  struct first_ticket ft;
  struct c13 y;
  struct hello h = resume_hello(&t, &ft, &y, 12);
  h.early_data = true;
  h.early_junk = true;
  ZT_REQUIRE(hello(&y, &h));
  ZT_CHECK(y.resumed);
  ZT_EQ(server_flight(&y), 2); /* EE and Finished: no certificate */
  client_finished(&y, true);
  run(&y);
  ZT_EQ(t.srv.opened, 1);
  ZT_EQ(t.srv.errors, 0);
  ZT_EQU(t.sstats.v[ZN_TLS_STAT_handshakes_resumed], 1);
  c13_end(&y);
}

/* §4.2.11: a ticket the server takes, with a binder that does not hold
 * (made from another PSK, or len bytes long): decrypt_error, and no
 * session. */
static void binder_refused(bool other_psk, uint8_t len) {
  struct tpair t;
  struct first_ticket ft;
  struct c13 y;
  struct hello h = resume_hello(&t, &ft, &y, 13);
  if (other_psk)
    y.psk[31] ^= 1;
  h.binder_len = len;
  ZT_CHECK(!hello(&y, &h));
  expect_alert(&y, ZN__TLS13_ALERT_decrypt_error, ZN_TLS_FAIL_handshake);
  ZT_EQ(t.srv.opened, 0);
  ZT_EQU(t.sstats.v[ZN_TLS_STAT_handshakes_resumed], 0);
  c13_end(&y);
}

ZT_TEST(test_tls13_bad_binder_refused) { binder_refused(true, 0); }

/* The right binder with a byte more: its length is not the suite's
 * hash's, decrypt_error all the same. */
ZT_TEST(test_tls13_long_binder_refused) { binder_refused(false, 33); }

/* ---- OCSP stapling (§4.4.2.1, RFC 6066 §8) ---- */

/* A DER OCSPResponse as zn_tls_creds_set_ocsp() checks it: SEQUENCE {
 * ENUMERATED status, [0] { n bytes of pattern } }, lengths in the long
 * form (n from 128 to 65000). */
static size_t make_ocsp(uint8_t *out, size_t n, uint8_t status) {
  size_t inner = 3 + 4 + n, i = 0;
  out[i++] = 0x30;
  out[i++] = 0x82;
  i += p16(out + i, (unsigned)inner);
  out[i++] = 0x0a;
  out[i++] = 1;
  out[i++] = status;
  out[i++] = 0xa0;
  out[i++] = 0x82;
  i += p16(out + i, (unsigned)n);
  for (size_t k = 0; k < n; k++)
    out[i++] = (uint8_t)(k * 7 + 1);
  return i;
}

/* The Certificate message x received: the entries' certificates and
 * extensions as views, *n of them. */
static void cert_entries(const struct c13 *x, struct zn__tls13_bytes *der,
                         struct zn__tls13_bytes *exts, size_t max, size_t *n) {
  const uint8_t *m = x->cert;
  *n = 0;
  memset(der, 0, max * sizeof(*der));
  memset(exts, 0, max * sizeof(*exts));
  ZT_REQUIRE(x->cert_len > 8 && m[0] == ZN__TLS13_HS_certificate);
  ZT_EQU((size_t)m[1] << 16 | (size_t)m[2] << 8 | m[3], x->cert_len - 4);
  ZT_EQ(m[4], 0); /* certificate_request_context */
  size_t list = (size_t)m[5] << 16 | (size_t)m[6] << 8 | m[7], at = 8;
  ZT_EQU(list, x->cert_len - 8);
  while (at < x->cert_len && *n < max) {
    size_t dl = (size_t)m[at] << 16 | (size_t)m[at + 1] << 8 | m[at + 2];
    ZT_REQUIRE(at + 3 + dl + 2 <= x->cert_len);
    der[*n] = (struct zn__tls13_bytes){m + at + 3, dl};
    at += 3 + dl;
    size_t el = (size_t)m[at] << 8 | m[at + 1];
    ZT_REQUIRE(at + 2 + el <= x->cert_len);
    exts[*n] = (struct zn__tls13_bytes){m + at + 2, el};
    at += 2 + el;
    (*n)++;
  }
  ZT_EQU(at, x->cert_len);
}

/* A server with a two-certificate chain (the EC leaf, then the CA) and
 * an OCSP response of 300 bytes; a handshake by a client that asks for
 * it (or not).  The response goes in the leaf's entry only. */
static void stapling_case(struct c13 *x, struct tpair *t, uint8_t *resp,
                          size_t *resp_len, bool ask) {
  static char chain[4096];
  tf_init(t, NULL);
  (void)snprintf(chain, sizeof(chain), "%s%s", ZT_PEM_SERVER_EC_PEM,
                 ZT_PEM_CA_PEM);
  tf_creds(t, chain, ZT_PEM_SERVER_EC_KEY);
  ZT_EQU(zn_tls_creds_chain_len(t->creds), 2);
  *resp_len = make_ocsp(resp, 300, 0);
  ZT_EQ(zn_tls_creds_set_ocsp(t->creds, resp, *resp_len), ZN_OK);
  c13_start(t, x, 20);
  struct hello h = std_hello();
  h.status_request = ask ? STATUS_OCSP : 0;
  ZT_REQUIRE(handshake(x, &h)); /* our Finished: the transcript agreed */
}

ZT_TEST(test_tls13_status_request_gets_ocsp_in_leaf_entry) {
  struct tpair t;
  struct c13 x;
  uint8_t resp[400];
  size_t resp_len;
  stapling_case(&x, &t, resp, &resp_len, true);
  struct zn__tls13_bytes der[4], exts[4];
  size_t n;
  cert_entries(&x, der, exts, 4, &n);
  ZT_REQUIRE(n == 2);
  /* extension_type 5, its length, CertificateStatus: ocsp (1) and the
   * response as opaque<1..2^24-1>. */
  uint8_t want[8 + 400];
  size_t w = p16(want, 5);
  w += p16(want + w, (unsigned)(4 + resp_len));
  want[w++] = 1;
  want[w++] = 0;
  w += p16(want + w, (unsigned)resp_len);
  memcpy(want + w, resp, resp_len);
  w += resp_len;
  ZT_REQUIRE(exts[0].len == w);
  ZT_MEMEQ(exts[0].p, want, w);
  ZT_EQU(exts[1].len, 0); /* the CA's entry: nothing */
  ZT_EQ(t.srv.opened, 1);
  ZT_EQU(t.sstats.v[ZN_TLS_STAT_handshakes_stapled], 1);
  struct zn_tls_info info;
  ZT_EQ(zn_tls_get_info(t.srv.s, &info), ZN_OK);
  ZT_CHECK(info.ocsp_stapled);
  c13_end(&x);
}

ZT_TEST(test_tls13_no_status_request_no_ocsp) {
  struct tpair t;
  struct c13 x;
  uint8_t resp[400];
  size_t resp_len;
  stapling_case(&x, &t, resp, &resp_len, false);
  struct zn__tls13_bytes der[4], exts[4];
  size_t n;
  cert_entries(&x, der, exts, 4, &n);
  ZT_REQUIRE(n == 2);
  ZT_EQU(exts[0].len, 0);
  ZT_EQU(exts[1].len, 0);
  ZT_EQ(t.srv.opened, 1);
  ZT_EQU(t.sstats.v[ZN_TLS_STAT_handshakes_stapled], 0);
  struct zn_tls_info info;
  ZT_EQ(zn_tls_get_info(t.srv.s, &info), ZN_OK);
  ZT_CHECK(!info.ocsp_stapled);
  c13_end(&x);
}

/* Asked, but the credentials have none: no extension (RFC 6066 §8). */
ZT_TEST(test_tls13_status_request_without_response_none_sent) {
  struct tpair t;
  tf_init(&t, NULL);
  struct c13 x;
  c13_start(&t, &x, 21);
  struct hello h = std_hello();
  h.status_request = STATUS_OCSP;
  ZT_REQUIRE(handshake(&x, &h));
  struct zn__tls13_bytes der[4], exts[4];
  size_t n;
  cert_entries(&x, der, exts, 4, &n);
  ZT_REQUIRE(n == 1);
  ZT_EQU(exts[0].len, 0);
  ZT_EQU(t.sstats.v[ZN_TLS_STAT_handshakes_stapled], 0);
  c13_end(&x);
}

ZT_TEST(test_tls13_malformed_status_request_refused) {
  struct tpair t;
  tf_init(&t, NULL);
  struct c13 x;
  c13_start(&t, &x, 22);
  struct hello h = std_hello();
  h.status_request = STATUS_TRUNCATED;
  ZT_CHECK(!hello(&x, &h));
  expect_alert(&x, ZN__TLS13_ALERT_decode_error, ZN_TLS_FAIL_protocol);
  c13_end(&x);
}

/* What zn_tls_creds_set_ocsp() takes, and that a refusal keeps the
 * response the credentials had: one of 20000 bytes, which spans two
 * records, sent whole. */
ZT_TEST(test_ocsp_response_form_checked) {
  struct tpair t;
  tf_init(&t, NULL);
  static uint8_t r[ZN_TLS_OCSP_MAX + 16], big[20016];
  struct zn_tls_creds *cr = t.creds;
  size_t longest = make_ocsp(r, ZN_TLS_OCSP_MAX - 11, 0);
  ZT_EQU(longest, ZN_TLS_OCSP_MAX);
  ZT_EQ(zn_tls_creds_set_ocsp(cr, r, longest), ZN_OK);
  size_t over = make_ocsp(r, ZN_TLS_OCSP_MAX - 10, 0);
  ZT_EQ(zn_tls_creds_set_ocsp(cr, r, over), ZN_EINVAL);
  static const uint8_t small[] = {0x30, 0x07, 0x0a, 0x01, 0x00,
                                  0xa0, 0x02, 0x05, 0x00};
  ZT_EQ(zn_tls_creds_set_ocsp(cr, small, sizeof(small)), ZN_OK);
  size_t good = make_ocsp(big, 20000, 0);
  ZT_EQ(zn_tls_creds_set_ocsp(cr, big, good), ZN_OK);
  /* Refused, each keeping big. */
  size_t n = make_ocsp(r, 200, 0);
  ZT_EQ(zn_tls_creds_set_ocsp(NULL, r, n), ZN_EINVAL);
  ZT_EQ(zn_tls_creds_set_ocsp(cr, NULL, 5), ZN_EINVAL);
  ZT_EQ(zn_tls_creds_set_ocsp(cr, r, n - 1), ZN_EINVAL); /* cut */
  ZT_EQ(zn_tls_creds_set_ocsp(cr, r, n + 1), ZN_EINVAL); /* a byte after */
  r[0] = 0x31;                                           /* a SET */
  ZT_EQ(zn_tls_creds_set_ocsp(cr, r, n), ZN_EINVAL);
  static const uint8_t long_form[] = {0x30, 0x81, 0x07, 0x0a, 0x01, 0x00,
                                      0xa0, 0x02, 0x05, 0x00}; /* not DER */
  ZT_EQ(zn_tls_creds_set_ocsp(cr, long_form, sizeof(long_form)), ZN_EINVAL);
  static const uint8_t no_bytes[] = {0x30, 0x03, 0x0a, 0x01, 0x00};
  ZT_EQ(zn_tls_creds_set_ocsp(cr, no_bytes, sizeof(no_bytes)), ZN_EINVAL);
  n = make_ocsp(r, 200, 3); /* tryLater */
  ZT_EQ(zn_tls_creds_set_ocsp(cr, r, n), ZN_EINVAL);
  struct c13 x;
  c13_start(&t, &x, 23);
  struct hello h = std_hello();
  h.status_request = STATUS_OCSP;
  ZT_REQUIRE(hello(&x, &h));
  run(&x);
  read_records(&x);
  ZT_EQ(server_flight(&x), 4);
  struct zn__tls13_bytes der[2], exts[2];
  size_t ne;
  cert_entries(&x, der, exts, 2, &ne);
  ZT_REQUIRE(ne == 1 && exts[0].len == 8 + good);
  ZT_MEMEQ(exts[0].p + 8, big, good);
  client_finished(&x, true);
  run(&x);
  ZT_EQ(t.srv.opened, 1);
  ZT_EQU(t.sstats.v[ZN_TLS_STAT_handshakes_stapled], 1);
  /* 0 bytes or NULL: none. */
  ZT_EQ(zn_tls_creds_set_ocsp(cr, big, 0), ZN_OK);
  ZT_EQ(zn_tls_creds_set_ocsp(cr, NULL, 0), ZN_OK);
  c13_end(&x);
}

int main(void) {
  ZT_RUN(test_tls13_handshake_and_echo);
  ZT_RUN(test_tls13_bad_finished_refused);
  ZT_RUN(test_tls13_missing_key_share_refused);
  ZT_RUN(test_tls13_unsupported_groups_refused);
  ZT_RUN(test_tls13_duplicate_extension_refused);
  ZT_RUN(test_tls13_hello_retry_then_open);
  ZT_RUN(test_tls13_second_hello_without_cookie_refused);
  ZT_RUN(test_tls13_second_hello_downgrade_refused);
  ZT_RUN(test_tls13_record_over_limit_refused);
  ZT_RUN(test_tls13_inner_plaintext_over_limit_refused);
  ZT_RUN(test_tls13_inner_padding_over_limit_refused);
  ZT_RUN(test_tls13_inner_plaintext_without_type_refused);
  ZT_RUN(test_tls13_renegotiation_refused);
  ZT_RUN(test_tls13_change_cipher_spec_after_handshake_refused);
  ZT_RUN(test_tls13_key_update_answered);
  ZT_RUN(test_tls13_ticket_resumes_and_early_data_skipped);
  ZT_RUN(test_tls13_bad_binder_refused);
  ZT_RUN(test_tls13_long_binder_refused);
  ZT_RUN(test_tls13_status_request_gets_ocsp_in_leaf_entry);
  ZT_RUN(test_tls13_no_status_request_no_ocsp);
  ZT_RUN(test_tls13_status_request_without_response_none_sent);
  ZT_RUN(test_tls13_malformed_status_request_refused);
  ZT_RUN(test_ocsp_response_form_checked);
  return zt_done();
}
