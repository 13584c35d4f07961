/* TLS 1.3's handshake-message parsers (tls/tls13_msg.c): RFC 8448's
 * messages parse to the fields the RFC shows (§3's simple handshake, §4's
 * resumed ClientHello, whose binder is checked by recomputing it, §5's
 * HelloRetryRequest and ServerHello); then what must fail, and with which
 * alert: every truncation and a byte more (decode_error), a wrong type
 * (unexpected_message), an extension twice or in the wrong message,
 * pre_shared_key not last, every range rule (illegal_parameter), a
 * CertificateRequest without signature_algorithms (missing_extension).
 * Messages are built here with a small writer where RFC 8448 has none. */
#include <bearssl.h>

#include "rfc8448.h"
#include "tls13_crypto.h"
#include "tls13_msg.h"
#include "tls_hex.h"
#include "zt.h"

enum {
  DECODE = ZN__TLS13_ALERT_decode_error,
  ILLEGAL = ZN__TLS13_ALERT_illegal_parameter,
  UNEXPECTED = ZN__TLS13_ALERT_unexpected_message,
  MISSING = ZN__TLS13_ALERT_missing_extension,
};

/* RFC 8448 §4, "Resumed 0-RTT Handshake": the ClientHello (512 bytes),
 * pre_shared_key last with the ticket of §3's NewSessionTicket and one
 * binder; "ClientHello prefix (477 octets)" is what the binder covers. */
#define R8448_RESUMED_CLIENT_HELLO                                             \
  "010001fc03031bc3ceb6bbe39cff938355b5a50adb6db21b7a6af649d7b4bc41"           \
  "9d7876487d95000006130113031302010001cd0000000b000900000673657276"           \
  "6572ff01000100000a00140012001d0017001800190100010101020103010400"           \
  "3300260024001d0020e4ffb68ac05f8d96c99da26698346c6be16482badddafe"           \
  "051a66b4f18d668f0b002a0000002b0003020304000d0020001e040305030603"           \
  "020308040805080604010501060102010402050206020202002d00020101001c"           \
  "0002400100150057000000000000000000000000000000000000000000000000"           \
  "0000000000000000000000000000000000000000000000000000000000000000"           \
  "0000000000000000000000000000000000000000000000000000000000000000"           \
  "2900dd00b800b22c035d829359ee5ff7af4ec900000000262a6494dc486d2c8a"           \
  "34cb33fa90bf1b0070ad3c498883c9367c09a2be785abc55cd226097a3a98211"           \
  "7283f82a03a143efd3ff5dd36d64e861be7fd61d2827db279cce145077d454a3"           \
  "664d4e6da4d29ee03725a6a4dafcd0fc67d2aea70529513e3da2677fa5906c5b"           \
  "3f7d8f92f228bda40dda721470f9fbf297b5aea617646fac5c03272e970727c6"           \
  "21a79141ef5f7de6505e5bfbc388e93343694093934ae4d357fad6aacb002120"           \
  "3add4fb2d8fdf822a0ca3cf7678ef5e88dae990141c5924d57bb6fa31b9e5f9d"

/* RFC 8448 §5, "HelloRetryRequest": the server's HelloRetryRequest
 * (secp256r1 asked for, a 114-byte cookie) and its ServerHello after the
 * second ClientHello (a secp256r1 share).  Their lengths add up and their
 * random and fields are the RFC's; the parser needs no more. */
#define R8448_HELLO_RETRY_REQUEST                                              \
  "020000ac0303cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e"           \
  "09e2c8a8339c001301000084003300020017002c0074007271dcd04bb88bc318"           \
  "9119398a00000000eefafc76c146b823b096f8aacad365dd0030953f4edf6256"           \
  "36e5f21bb2e23fcc654b1b5b40318d10d137abcbb87574e36e8a1f025f7dfa5d"           \
  "6e50781b5eda4aa15b0c8be778257d16aa3030e9e7841dd9e4c0342267e8ca0c"           \
  "af571fb2b7cff0f934b0002b00020304"
#define R8448_RETRY_SERVER_HELLO                                               \
  "020000770303bb341d847fd789c47c387172dc0c9bf147fccacb5043d86ca4c5"           \
  "98d3ff571b9800130100004f003300450017004104583e054b7a66672ae020ad"           \
  "9d2686fcc85b5ad41a134a0f03ee72b893052bd85b4c8de6776f5b04ac07d835"           \
  "40eab3e3d9c547bc6528c4317d294686093a6cad7d002b00020304"

/* ---- bytes ---- */

/* A message in hex, its header's length made right (the type and 3
 * bytes of anything first). */
static struct blob msg(const char *hex) {
  struct blob x = B(hex);
  if (x.n < 4)
    abort();
  size_t n = x.n - 4;
  x.b[1] = (uint8_t)(n >> 16), x.b[2] = (uint8_t)(n >> 8), x.b[3] = (uint8_t)n;
  return x;
}

/* A writer: bytes appended, lengths opened and closed around them. */
struct w {
  uint8_t *b;
  size_t n, cap;
  size_t at[8], lb[8]; /* the open lengths: where, how many bytes */
  int depth;
};

static struct w writer(uint8_t *b, size_t cap) {
  struct w w = {.b = b, .cap = cap};
  return w;
}

static void w_uint(struct w *w, uint32_t v, size_t n) {
  if (w->n + n > w->cap)
    abort();
  for (size_t i = 0; i < n; i++)
    w->b[w->n++] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

static void w_hex(struct w *w, const char *hex) {
  w->n += unhex(hex, w->b + w->n, w->cap - w->n);
}

static void w_fill(struct w *w, uint8_t v, size_t n) {
  if (w->n + n > w->cap)
    abort();
  memset(w->b + w->n, v, n);
  w->n += n;
}

/* An lb-byte length to be filled by w_close. */
static void w_open(struct w *w, size_t lb) {
  w->at[w->depth] = w->n;
  w->lb[w->depth++] = lb;
  w_uint(w, 0, lb);
}

static void w_close(struct w *w) {
  int d = --w->depth;
  size_t len = w->n - w->at[d] - w->lb[d];
  for (size_t i = 0; i < w->lb[d]; i++)
    w->b[w->at[d] + i] = (uint8_t)(len >> (8 * (w->lb[d] - 1 - i)));
}

static void w_end(struct w *w) {
  while (w->depth > 0)
    w_close(w);
}

/* An extension: its type, then its body in hex. */
static void w_ext(struct w *w, uint16_t type, const char *body) {
  w_uint(w, type, 2);
  w_open(w, 2);
  w_hex(w, body);
  w_close(w);
}

/* A message's header with its length open. */
static void w_msg(struct w *w, uint8_t type) {
  w_uint(w, type, 1);
  w_open(w, 3);
}

/* A ClientHello's fixed part (TLS_AES_128_GCM_SHA256 only, no session
 * id), then its extension block opened. */
static void w_ch(struct w *w) {
  w_msg(w, ZN__TLS13_HS_client_hello);
  w_hex(w, "0303");
  w_fill(w, 0x11, 32);
  w_hex(w, "00 0002 1301 0100");
  w_open(w, 2);
}

/* A ServerHello's (rnd: NULL for an ordinary random), its block opened. */
static void w_sh(struct w *w, const uint8_t *rnd) {
  static const uint8_t plain[32] = {1, 2, 3};
  w_msg(w, ZN__TLS13_HS_server_hello);
  w_hex(w, "0303");
  for (size_t i = 0; i < 32; i++)
    w_uint(w, (rnd ? rnd : plain)[i], 1);
  w_hex(w, "00 1301 00");
  w_open(w, 2);
}

/* ---- the parsers, uniformly ---- */

typedef int (*parse_fn)(const uint8_t *m, size_t len);

static int p_ch(const uint8_t *m, size_t len) {
  struct zn__tls13_client_hello x;
  return zn__tls13_parse_client_hello(m, len, &x);
}
static int p_sh(const uint8_t *m, size_t len) {
  struct zn__tls13_server_hello x;
  return zn__tls13_parse_server_hello(m, len, &x);
}
static int p_ee(const uint8_t *m, size_t len) {
  struct zn__tls13_encrypted_extensions x;
  return zn__tls13_parse_encrypted_extensions(m, len, &x);
}
static int p_cr(const uint8_t *m, size_t len) {
  struct zn__tls13_certificate_request x;
  return zn__tls13_parse_certificate_request(m, len, &x);
}
static int p_cv(const uint8_t *m, size_t len) {
  struct zn__tls13_certificate_verify x;
  return zn__tls13_parse_certificate_verify(m, len, &x);
}
static int p_nst(const uint8_t *m, size_t len) {
  struct zn__tls13_new_session_ticket x;
  return zn__tls13_parse_new_session_ticket(m, len, &x);
}
static int p_ku(const uint8_t *m, size_t len) {
  bool x;
  return zn__tls13_parse_key_update(m, len, &x);
}

/* f on an exact-size copy (ASan sees a read past the end); the header's
 * length set to len - 4 if fix. */
static int run(parse_fn f, const uint8_t *m, size_t len, bool fix) {
  uint8_t *c = malloc(len ? len : 1);
  ZT_REQUIRE_OR(c != NULL, -1);
  memcpy(c, m, len);
  if (fix && len >= 4) {
    size_t n = len - 4;
    c[1] = (uint8_t)(n >> 16), c[2] = (uint8_t)(n >> 8), c[3] = (uint8_t)n;
  }
  int err = f(c, len);
  free(c);
  return err;
}

/* The built message of w, through f. */
static int run_w(parse_fn f, const struct w *w) {
  return run(f, w->b, w->n, false);
}

/* Messages around extension blocks given in hex (each extension with
 * its type and length; the block's length and the header's computed). */
static struct blob ch_msg(const char *exts) {
  struct blob m;
  struct w w = writer(m.b, sizeof(m.b));
  w_ch(&w);
  w_hex(&w, exts);
  w_end(&w);
  m.n = w.n;
  return m;
}

/* rnd: NULL for an ordinary ServerHello's random. */
static struct blob sh_msg(const uint8_t *rnd, const char *exts) {
  struct blob m;
  struct w w = writer(m.b, sizeof(m.b));
  w_sh(&w, rnd);
  w_hex(&w, exts);
  w_end(&w);
  m.n = w.n;
  return m;
}

static struct blob ee_msg(const char *exts) {
  struct blob m;
  struct w w = writer(m.b, sizeof(m.b));
  w_msg(&w, ZN__TLS13_HS_encrypted_extensions);
  w_open(&w, 2);
  w_hex(&w, exts);
  w_end(&w);
  m.n = w.n;
  return m;
}

/* With an empty context. */
static struct blob cr_msg(const char *exts) {
  struct blob m;
  struct w w = writer(m.b, sizeof(m.b));
  w_msg(&w, ZN__TLS13_HS_certificate_request);
  w_hex(&w, "00");
  w_open(&w, 2);
  w_hex(&w, exts);
  w_end(&w);
  m.n = w.n;
  return m;
}

/* A 1-byte nonce, a 3-byte ticket. */
static struct blob nst_msg(uint32_t lifetime, const char *exts) {
  struct blob m;
  struct w w = writer(m.b, sizeof(m.b));
  w_msg(&w, ZN__TLS13_HS_new_session_ticket);
  w_uint(&w, lifetime, 4);
  w_hex(&w, "01020304 01aa 0003 746b74");
  w_open(&w, 2);
  w_hex(&w, exts);
  w_end(&w);
  m.n = w.n;
  return m;
}

/* The same through their parsers: 0 or the alert. */
static int ch_exts(const char *exts) {
  struct blob m = ch_msg(exts);
  return run(p_ch, m.b, m.n, false);
}

static int sh_exts(const uint8_t *rnd, const char *exts) {
  struct blob m = sh_msg(rnd, exts);
  return run(p_sh, m.b, m.n, false);
}

static int ee_exts(const char *exts) {
  struct blob m = ee_msg(exts);
  return run(p_ee, m.b, m.n, false);
}

static int cr_exts(const char *exts) {
  struct blob m = cr_msg(exts);
  return run(p_cr, m.b, m.n, false);
}

static int nst_exts(uint32_t lifetime, const char *exts) {
  struct blob m = nst_msg(lifetime, exts);
  return run(p_nst, m.b, m.n, false);
}

#define ZEROS32                                                                \
  "00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000"
#define ZEROS31                                                                \
  "00000000 00000000 00000000 00000000 00000000 00000000 00000000 000000"
#define BINDER32 "20 " ZEROS32

/* A ClientHello whose pre_shared_key has these identities and binders
 * (entries in hex, the lists' lengths computed), then the extensions of
 * after. */
static int psk_hello(const char *ids, const char *binders, const char *after) {
  uint8_t b[1024];
  struct w w = writer(b, sizeof(b));
  w_ch(&w);
  w_uint(&w, 0x0029, 2);
  w_open(&w, 2);
  w_open(&w, 2);
  w_hex(&w, ids);
  w_close(&w);
  w_open(&w, 2);
  w_hex(&w, binders);
  w_close(&w);
  w_close(&w);
  w_hex(&w, after);
  w_end(&w);
  return run_w(p_ch, &w);
}

/* Every cut of m fails with decode_error, as it is (its header then
 * says more than there is) and with its header fixed, but at ok_cut
 * (0: none), where a hello ends before its optional extensions; a byte
 * more fails too, either way. */
static void check_cuts(parse_fn f, const uint8_t *m, size_t n, size_t ok_cut) {
  uint8_t more[4096];
  ZT_EQ(run(f, m, n, false), 0);
  for (size_t k = 0; k < n; k++) {
    int as_is = run(f, m, k, false);
    int fixed = k >= 4 ? run(f, m, k, true) : DECODE;
    int want = ok_cut != 0 && k == ok_cut ? 0 : DECODE;
    if (as_is != DECODE || fixed != want)
      zt_fail(__FILE__, __LINE__, "cut at %zu of %zu: %d, fixed %d (want %d)",
              k, n, as_is, fixed, want);
  }
  ZT_REQUIRE(n < sizeof(more));
  memcpy(more, m, n);
  more[n] = 0;
  ZT_EQ(run(f, more, n + 1, false), DECODE);
  ZT_EQ(run(f, more, n + 1, true), DECODE);
}

static struct zn__tls13_bytes view(const struct blob *b) {
  struct zn__tls13_bytes v = {b->b, b->n};
  return v;
}

static bool same(struct zn__tls13_bytes v, const char *hex) {
  struct blob w = B(hex);
  return v.len == w.n && (w.n == 0 || memcmp(v.p, w.b, w.n) == 0);
}

/* ---- RFC 8448 ---- */

ZT_TEST(test_rfc8448_client_hello_parses) {
  struct blob m = B(R8448_CLIENT_HELLO);
  struct zn__tls13_client_hello ch;
  ZT_REQUIRE(zn__tls13_parse_client_hello(m.b, m.n, &ch) == 0);
  ZT_EQU(ch.legacy_version, 0x0303);
  ZT_CHECK(ch.random == m.b + 6);
  ZT_EQ(ch.session_id.len, 0);
  ZT_CHECK(same(ch.suites, "130113031302"));
  ZT_CHECK(same(ch.compression, "00"));
  ZT_EQU(ch.seen,
         ZN__TLS13_SEEN(server_name) | ZN__TLS13_SEEN(renegotiation_info) |
             ZN__TLS13_SEEN(supported_groups) | ZN__TLS13_SEEN(session_ticket) |
             ZN__TLS13_SEEN(key_share) | ZN__TLS13_SEEN(supported_versions) |
             ZN__TLS13_SEEN(signature_algorithms) |
             ZN__TLS13_SEEN(psk_key_exchange_modes) |
             ZN__TLS13_SEEN(record_size_limit));
  ZT_CHECK(same(ch.server_name, "736572766572")); /* "server" */
  ZT_CHECK(same(ch.versions, "0304"));
  ZT_CHECK(same(ch.groups, "001d00170018001901000101010201030104"));
  ZT_EQ(ch.sig_algs.len, 30);
  ZT_CHECK(zn__tls13_has_u16(ch.sig_algs, 0x0804));
  ZT_CHECK(!zn__tls13_has_u16(ch.sig_algs, 0x0807));
  ZT_EQ(ch.psk_modes, 2); /* psk_dhe_ke */
  ZT_EQU(ch.record_size_limit, 0x4001);
  ZT_EQ(ch.max_fragment_length, 0);
  ZT_EQ(ch.alpn.len + ch.cookie.len + ch.sig_algs_cert.len, 0);
  ZT_EQ(ch.binders_at + ch.psk_identities.len + ch.psk_binders.len, 0);
  struct zn__tls13_bytes shares = ch.shares, kx;
  uint16_t group;
  ZT_REQUIRE(zn__tls13_next_share(&shares, &group, &kx));
  ZT_EQU(group, ZN__TLS13_GROUP_x25519);
  ZT_CHECK(same(kx, R8448_CLIENT_PUB));
  ZT_CHECK(!zn__tls13_next_share(&shares, &group, &kx));
}

/* The groups list above, checked value by value through the iterator. */
ZT_TEST(test_rfc8448_client_hello_groups_iterate) {
  static const uint16_t want[] = {0x001d, 0x0017, 0x0018, 0x0019, 0x0100,
                                  0x0101, 0x0102, 0x0103, 0x0104};
  struct blob m = B(R8448_CLIENT_HELLO);
  struct zn__tls13_client_hello ch;
  ZT_REQUIRE(zn__tls13_parse_client_hello(m.b, m.n, &ch) == 0);
  struct zn__tls13_bytes l = ch.groups;
  uint16_t g;
  size_t n = 0;
  while (zn__tls13_next_u16(&l, &g)) {
    ZT_REQUIRE(n < sizeof(want) / sizeof(want[0]));
    ZT_EQU(g, want[n++]);
  }
  ZT_EQ(n, 9);
}

ZT_TEST(test_rfc8448_server_hello_parses) {
  struct blob m = B(R8448_SERVER_HELLO);
  struct zn__tls13_server_hello sh;
  ZT_REQUIRE(zn__tls13_parse_server_hello(m.b, m.n, &sh) == 0);
  ZT_CHECK(!sh.hrr);
  ZT_EQU(sh.legacy_version, 0x0303);
  ZT_CHECK(sh.random == m.b + 6);
  ZT_EQ(sh.session_id.len, 0);
  ZT_EQU(sh.suite, 0x1301);
  ZT_EQ(sh.compression, 0);
  ZT_EQU(sh.seen,
         ZN__TLS13_SEEN(key_share) | ZN__TLS13_SEEN(supported_versions));
  ZT_EQU(sh.version, 0x0304);
  ZT_EQU(sh.share_group, ZN__TLS13_GROUP_x25519);
  ZT_CHECK(same(sh.share, R8448_SERVER_PUB));
  ZT_EQ(sh.cookie.len, 0);
  ZT_EQ(sh.psk_identity, 0);
}

ZT_TEST(test_rfc8448_encrypted_extensions_parse) {
  struct blob m = B(R8448_ENCRYPTED_EXTENSIONS);
  struct zn__tls13_encrypted_extensions ee;
  ZT_REQUIRE(zn__tls13_parse_encrypted_extensions(m.b, m.n, &ee) == 0);
  ZT_EQU(ee.seen, ZN__TLS13_SEEN(supported_groups) |
                      ZN__TLS13_SEEN(record_size_limit) |
                      ZN__TLS13_SEEN(server_name));
  ZT_CHECK(same(ee.groups, "001d00170018001901000101010201030104"));
  ZT_EQU(ee.record_size_limit, 0x4001);
  ZT_EQ(ee.alpn.len, 0);
  ZT_EQ(ee.max_fragment_length, 0);
}

ZT_TEST(test_rfc8448_certificate_verify_parses) {
  struct blob m = B(R8448_CERTIFICATE_VERIFY);
  struct zn__tls13_certificate_verify cv;
  ZT_REQUIRE(zn__tls13_parse_certificate_verify(m.b, m.n, &cv) == 0);
  ZT_EQU(cv.scheme, 0x0804); /* rsa_pss_rsae_sha256 */
  ZT_EQ(cv.signature.len, 128);
  ZT_CHECK(cv.signature.p == m.b + 8);
  ZT_EQ(cv.signature.p[0], 0x5a);
  ZT_EQ(cv.signature.p[127], 0xf3);
}

ZT_TEST(test_rfc8448_new_session_ticket_parses) {
  struct blob m = B(R8448_NEW_SESSION_TICKET);
  struct zn__tls13_new_session_ticket nst;
  ZT_REQUIRE(zn__tls13_parse_new_session_ticket(m.b, m.n, &nst) == 0);
  ZT_EQU(nst.lifetime, 0x1e);
  ZT_EQU(nst.age_add, 0xfad6aac5);
  ZT_CHECK(same(nst.nonce, "0000"));
  ZT_EQ(nst.ticket.len, 178);
  ZT_CHECK(nst.ticket.p == m.b + 17);
  ZT_EQ(nst.ticket.p[0], 0x2c);
  ZT_EQU(nst.seen, ZN__TLS13_SEEN(early_data));
  ZT_EQU(nst.max_early_data, 0x400);
}

/* §4's ClientHello: the PSK is §3's ticket, its binders start at 477 (the
 * RFC's "ClientHello prefix (477 octets)"), and the binder there is the
 * one §4.2.11.2 computes over msg[0, 477) with §3's resumption PSK, which
 * pins every byte of the vector and binders_at both. */
ZT_TEST(test_rfc8448_resumed_client_hello_binders_at) {
  struct blob m = B(R8448_RESUMED_CLIENT_HELLO);
  struct blob nstm = B(R8448_NEW_SESSION_TICKET);
  struct zn__tls13_client_hello ch;
  struct zn__tls13_new_session_ticket nst;
  ZT_REQUIRE(m.n == 512);
  ZT_REQUIRE(zn__tls13_parse_client_hello(m.b, m.n, &ch) == 0);
  ZT_REQUIRE(zn__tls13_parse_new_session_ticket(nstm.b, nstm.n, &nst) == 0);
  ZT_EQ(ch.binders_at, 477);
  ZT_CHECK(ch.seen & ZN__TLS13_SEEN(pre_shared_key));
  ZT_CHECK(ch.seen & ZN__TLS13_SEEN(early_data));
  ZT_CHECK(ch.seen & ZN__TLS13_SEEN(padding));
  struct zn__tls13_bytes ids = ch.psk_identities, bs = ch.psk_binders, v;
  uint32_t age;
  ZT_REQUIRE(zn__tls13_next_identity(&ids, &v, &age));
  ZT_EQ(v.len, nst.ticket.len);
  ZT_MEMEQ(v.p, nst.ticket.p, v.len);
  ZT_EQU(age - nst.age_add, 6); /* §4: a ticket 6 ms old */
  ZT_CHECK(!zn__tls13_next_identity(&ids, &v, &age));
  ZT_REQUIRE(zn__tls13_next_binder(&bs, &v));
  ZT_EQ(v.len, 32);
  ZT_CHECK(v.p == m.b + 480);
  const uint8_t *sent = v.p;
  ZT_CHECK(!zn__tls13_next_binder(&bs, &v));

  const struct zn__tls13_suite *s = zn__tls13_suite(0x1301);
  struct blob psk = B(R8448_RESUMPTION_PSK);
  uint8_t early[32], empty[32], bkey[32], fkey[32], th[32], binder[32];
  br_sha256_context h;
  zn__tls13_extract(s, NULL, psk.b, psk.n, early);
  zn__tls13_empty_hash(s, empty);
  zn__tls13_derive_secret(s, early, "res binder", empty, bkey);
  zn__tls13_expand_label(s, bkey, "finished", NULL, 0, fkey, 32);
  br_sha256_init(&h);
  br_sha256_update(&h, m.b, ch.binders_at);
  br_sha256_out(&h, th);
  zn__tls13_hmac(s, fkey, 32, th, 32, binder);
  ZT_MEMEQ(binder, sent, 32);
}

ZT_TEST(test_rfc8448_hello_retry_request_parses) {
  struct blob m = B(R8448_HELLO_RETRY_REQUEST);
  struct zn__tls13_server_hello sh;
  ZT_REQUIRE(zn__tls13_parse_server_hello(m.b, m.n, &sh) == 0);
  ZT_CHECK(sh.hrr);
  ZT_EQU(sh.suite, 0x1301);
  ZT_EQU(sh.version, 0x0304);
  ZT_EQU(sh.share_group, ZN__TLS13_GROUP_secp256r1);
  ZT_EQ(sh.share.len, 0);
  ZT_EQ(sh.cookie.len, 114);
  ZT_CHECK(sh.cookie.p == m.b + 56);
  ZT_EQU(sh.seen, ZN__TLS13_SEEN(key_share) | ZN__TLS13_SEEN(cookie) |
                      ZN__TLS13_SEEN(supported_versions));
}

ZT_TEST(test_rfc8448_retry_server_hello_parses) {
  struct blob m = B(R8448_RETRY_SERVER_HELLO);
  struct zn__tls13_server_hello sh;
  ZT_REQUIRE(zn__tls13_parse_server_hello(m.b, m.n, &sh) == 0);
  ZT_CHECK(!sh.hrr);
  ZT_EQU(sh.share_group, ZN__TLS13_GROUP_secp256r1);
  ZT_EQ(sh.share.len, 65);
  ZT_EQ(sh.share.p[0], 0x04); /* uncompressed point */
  ZT_EQU(sh.version, 0x0304);
}

/* ---- the constants ---- */

ZT_TEST(test_hrr_random_is_sha256_of_hello_retry_request) {
  uint8_t h[32];
  br_sha256_context c;
  br_sha256_init(&c);
  br_sha256_update(&c, "HelloRetryRequest", 17);
  br_sha256_out(&c, h);
  ZT_MEMEQ(zn__tls13_hrr_random, h, 32);
  ZT_MEMEQ(zn__tls13_downgrade_tls12, "DOWNGRD\x01", 8);
}

ZT_TEST(test_alert_names_from_the_table) {
  ZT_STREQ(zn__tls13_alert_name(0), "close_notify");
  ZT_STREQ(zn__tls13_alert_name(47), "illegal_parameter");
  ZT_STREQ(zn__tls13_alert_name(50), "decode_error");
  ZT_STREQ(zn__tls13_alert_name(109), "missing_extension");
  ZT_STREQ(zn__tls13_alert_name(120), "no_application_protocol");
  ZT_STREQ(zn__tls13_alert_name(1), "?");
  ZT_STREQ(zn__tls13_alert_name(-1), "?");
  ZT_STREQ(zn__tls13_alert_name(255), "?");
  ZT_STREQ(zn__tls13_alert_name(256 + 47), "?");
}

/* ---- framing ---- */

ZT_TEST(test_every_cut_and_a_byte_more_fail) {
  static const struct {
    parse_fn f;
    const char *hex;
    size_t ok_cut; /* where the hello's extensions begin */
  } v[] = {
      {p_ch, R8448_CLIENT_HELLO, 4 + 2 + 32 + 1 + 8 + 2},
      {p_ch, R8448_RESUMED_CLIENT_HELLO, 4 + 2 + 32 + 1 + 8 + 2},
      {p_sh, R8448_SERVER_HELLO, 4 + 2 + 32 + 1 + 3},
      {p_sh, R8448_HELLO_RETRY_REQUEST, 4 + 2 + 32 + 1 + 3},
      {p_sh, R8448_RETRY_SERVER_HELLO, 4 + 2 + 32 + 1 + 3},
      {p_ee, R8448_ENCRYPTED_EXTENSIONS, 0},
      {p_cv, R8448_CERTIFICATE_VERIFY, 0},
      {p_nst, R8448_NEW_SESSION_TICKET, 0},
      {p_cr, "0d00000d 00 000a 000d 0006 0004 04030804", 0},
      {p_ku, "18000001 01", 0},
      {p_ee, "08000002 0000", 0},
  };
  for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
    struct blob m = B(v[i].hex);
    check_cuts(v[i].f, m.b, m.n, v[i].ok_cut);
  }
}

ZT_TEST(test_wrong_type_is_unexpected_message) {
  static const parse_fn fs[] = {p_ch, p_sh, p_ee, p_cr, p_cv, p_nst, p_ku};
  struct blob m = B(R8448_CERTIFICATE);
  for (size_t i = 0; i < sizeof(fs) / sizeof(fs[0]); i++) {
    ZT_EQ(run(fs[i], m.b, m.n, false), UNEXPECTED);
    ZT_EQ(run(fs[i], m.b, 1, false), UNEXPECTED);
    ZT_EQ(run(fs[i], m.b, 0, false), DECODE);
    ZT_EQ(fs[i](NULL, 0), DECODE);
  }
  struct blob sh = B(R8448_SERVER_HELLO), ch = B(R8448_CLIENT_HELLO);
  ZT_EQ(run(p_ch, sh.b, sh.n, false), UNEXPECTED);
  ZT_EQ(run(p_sh, ch.b, ch.n, false), UNEXPECTED);
}

ZT_TEST(test_header_length_off_by_one_is_decode_error) {
  struct blob m = B(R8448_CERTIFICATE_VERIFY);
  m.b[3]++;
  ZT_EQ(run(p_cv, m.b, m.n, false), DECODE);
  m.b[3] -= 2;
  ZT_EQ(run(p_cv, m.b, m.n, false), DECODE);
  m.b[3]++;
  m.b[1] = 1; /* 2^16 more than there is */
  ZT_EQ(run(p_cv, m.b, m.n, false), DECODE);
}

/* ---- ClientHello: the fixed part ---- */

ZT_TEST(test_client_hello_without_extensions_is_tls12s) {
  struct blob m =
      B("0100002b 0303 " R8448_CLIENT_PUB " 00 0004 c02f 009c 0100");
  struct zn__tls13_client_hello ch;
  ZT_REQUIRE(zn__tls13_parse_client_hello(m.b, m.n, &ch) == 0);
  ZT_EQU(ch.seen, 0);
  ZT_CHECK(same(ch.suites, "c02f009c"));
  ZT_EQ(ch.versions.len, 0);
  /* An empty block is a block too. */
  m = B("0100002d 0303 " R8448_CLIENT_PUB " 00 0004 c02f 009c 0100 0000");
  ZT_EQ(run(p_ch, m.b, m.n, false), 0);
  /* One byte of a block is not. */
  m = B("0100002c 0303 " R8448_CLIENT_PUB " 00 0004 c02f 009c 0100 00");
  ZT_EQ(run(p_ch, m.b, m.n, false), DECODE);
}

ZT_TEST(test_client_hello_fixed_part_ranges) {
  uint8_t b[512];
  struct {
    const char *after_random; /* session id, suites, compression */
    int want;
  } v[] = {
      {"20"
       "1111111111111111111111111111111111111111111111111111111111111111"
       " 0002 1301 0100",
       0},
      {"21"
       "1111111111111111111111111111111111111111111111111111111111111111"
       "11 0002 1301 0100",
       DECODE},                        /* session id of 33 */
      {"00 0000 0100", DECODE},        /* no suite */
      {"00 0003 130113 0100", DECODE}, /* odd suites */
      {"00 0002 1301 00", DECODE},     /* no compression method */
      {"00 0002 1301 0200", DECODE},   /* compression past the end */
      {"00 0002 1301 020001", 0},
  };
  for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
    struct w w = writer(b, sizeof(b));
    w_msg(&w, ZN__TLS13_HS_client_hello);
    w_hex(&w, "0303");
    w_fill(&w, 0x22, 32);
    w_hex(&w, v[i].after_random);
    w_end(&w);
    int err = run_w(p_ch, &w);
    if (err != v[i].want)
      zt_fail(__FILE__, __LINE__, "case %zu: %d, want %d", i, err, v[i].want);
  }
}

/* ---- extension blocks ---- */

ZT_TEST(test_extension_block_must_be_exact) {
  ZT_EQ(ch_exts("002b 0003 020304"), 0);
  ZT_EQ(ch_exts("002b 0003 020304 00"), DECODE);
  ZT_EQ(ch_exts("002b 0004 020304"), DECODE);
  ZT_EQ(ch_exts("002b"), DECODE);
  ZT_EQ(ch_exts("1234 0000"), 0);
}

ZT_TEST(test_extension_twice_is_illegal_parameter) {
  ZT_EQ(ch_exts("002b 0003 020304 000d 0004 00020804 002b 0003 020304"),
        ILLEGAL);
  ZT_EQ(ch_exts("1234 0000 1234 0001 00"), ILLEGAL); /* unknown too */
  ZT_EQ(ch_exts("1234 0000 1235 0000"), 0);
  ZT_EQ(sh_exts(NULL, "002b 0002 0304 002b 0002 0304"), ILLEGAL);
  ZT_EQ(sh_exts(NULL, "002b 0002 0304 7777 0000 7777 0000"), ILLEGAL);
  ZT_EQ(ee_exts("001c 0002 4000 001c 0002 4000"), ILLEGAL);
  ZT_EQ(ee_exts("fe0d 0000 fe0d 0000"), ILLEGAL);
  ZT_EQ(cr_exts("000d 0004 00020804 000d 0004 00020804"), ILLEGAL);
  ZT_EQ(nst_exts(60, "002a 0004 00000400 002a 0004 00000400"), ILLEGAL);
  ZT_EQ(nst_exts(60, "abcd 0000 abcd 0000"), ILLEGAL);
}

/* §4.2: "recognizes and which is not specified for the message". */
ZT_TEST(test_extension_in_wrong_message_is_illegal_parameter) {
  ZT_EQ(ch_exts("0030 0002 0000"), ILLEGAL); /* oid_filters */
  ZT_EQ(sh_exts(NULL, "002b 0002 0304 000a 0004 0002001d"), ILLEGAL);
  ZT_EQ(sh_exts(NULL, "002b 0002 0304 002c 0003 0001aa"), ILLEGAL);
  ZT_EQ(sh_exts(zn__tls13_hrr_random, "002b 0002 0304 0029 0002 0000"),
        ILLEGAL);
  ZT_EQ(ee_exts("0033 0006 001d 0002 aaaa"), ILLEGAL);     /* key_share */
  ZT_EQ(ee_exts("002b 0002 0304"), ILLEGAL);               /* versions */
  ZT_EQ(ee_exts("000d 0004 00020804"), ILLEGAL);           /* sig algs */
  ZT_EQ(ee_exts("0015 0002 0000"), ILLEGAL);               /* padding */
  ZT_EQ(ee_exts("0017 0000"), ILLEGAL);                    /* ems */
  ZT_EQ(cr_exts("000d 0004 00020804 002a 0000"), ILLEGAL); /* early_data */
  ZT_EQ(cr_exts("000d 0004 00020804 0000 0000"), ILLEGAL); /* server_name */
  ZT_EQ(nst_exts(60, "0005 0000"), ILLEGAL);               /* status_req */
  ZT_EQ(nst_exts(60, "0033 0002 001d"), ILLEGAL);
}

/* Unknown extensions are skipped wherever they are (servers must not
 * send unsolicited ones, but that is for the engine to tell). */
ZT_TEST(test_unknown_extensions_are_ignored) {
  struct zn__tls13_encrypted_extensions ee;
  struct blob m = B("0800000e 000c 9999 0002 abcd 001c 0002 0040");
  ZT_EQ(ch_exts("fafa 0000 0a0a 0001 00 002b 0003 020304"), 0);
  ZT_EQ(sh_exts(NULL, "002b 0002 0304 4444 0003 010203"), 0);
  ZT_EQ(sh_exts(zn__tls13_hrr_random, "002b 0002 0304 4444 0000"), 0);
  ZT_EQ(cr_exts("5555 0000 000d 0004 00020804"), 0);
  ZT_EQ(nst_exts(60, "2a2a 0001 00"), 0);
  ZT_REQUIRE(zn__tls13_parse_encrypted_extensions(m.b, m.n, &ee) == 0);
  ZT_EQU(ee.seen, ZN__TLS13_SEEN(record_size_limit));
  ZT_EQ(ee.record_size_limit, 64);
}

/* §4.2.11: "MUST be the last extension in the ClientHello". */
ZT_TEST(test_pre_shared_key_not_last_is_illegal_parameter) {
  ZT_EQ(psk_hello("0001 61 00000000", BINDER32, ""), 0);
  ZT_EQ(psk_hello("0001 61 00000000", BINDER32, "002b 0003 020304"), ILLEGAL);
  ZT_EQ(psk_hello("0001 61 00000000", BINDER32, "1234 0000"), ILLEGAL);
  ZT_EQ(psk_hello("0001 61 00000000", BINDER32, "1234"), DECODE);
  ZT_EQ(ch_exts(
            "002b 0003 020304 0029 002c 0007 0001 61 00000000 0021 " BINDER32),
        0);
}

ZT_TEST(test_at_most_64_extensions) {
  uint8_t b[1024];
  for (int n = 63; n <= 66; n++) {
    struct w w = writer(b, sizeof(b));
    w_ch(&w);
    for (int i = 0; i < n; i++) {
      w_uint(&w, 0x7000u + (uint32_t)i, 2); /* unknown, distinct */
      w_uint(&w, 0, 2);
    }
    w_end(&w);
    ZT_EQ(run_w(p_ch, &w), n <= ZN__TLS13_MAX_EXTENSIONS ? 0 : DECODE);
  }
}

/* ---- ClientHello extensions ---- */

ZT_TEST(test_client_server_name_rules) {
  uint8_t b[1024];
  struct zn__tls13_client_hello ch;
  ZT_EQ(ch_exts("0000 0000"), DECODE);             /* no list */
  ZT_EQ(ch_exts("0000 0002 0000"), DECODE);        /* empty list */
  ZT_EQ(ch_exts("0000 0005 0003 000000"), DECODE); /* empty host_name */
  ZT_EQ(ch_exts("0000 000a 0008 00000161 00000162"), ILLEGAL); /* two */
  ZT_EQ(ch_exts("0000 000a 0008 05000161 00000162"), 0);       /* other type */
  ZT_EQ(ch_exts("0000 0009 0007 050000 00000162"), 0); /* empty, other */
  ZT_EQ(ch_exts("0000 0005 0003 000001"), DECODE);     /* name past the list */
  ZT_EQ(ch_exts("0000 0009 0007 000003 616263 00"), DECODE); /* trailing */
  for (size_t len = 254; len <= 257; len++) {
    struct w w = writer(b, sizeof(b));
    w_ch(&w);
    w_uint(&w, 0, 2);
    w_open(&w, 2);
    w_open(&w, 2);
    w_uint(&w, 0, 1);
    w_open(&w, 2);
    w_fill(&w, 'a', len);
    w_end(&w);
    ZT_EQ(run_w(p_ch, &w), len <= 255 ? 0 : ILLEGAL);
    if (len == 255) {
      ZT_REQUIRE(zn__tls13_parse_client_hello(b, w.n, &ch) == 0);
      ZT_EQ(ch.server_name.len, 255);
    }
  }
}

ZT_TEST(test_client_lists_even_and_not_empty) {
  ZT_EQ(ch_exts("002b 0001 00"), DECODE);       /* versions empty */
  ZT_EQ(ch_exts("002b 0004 03030403"), DECODE); /* odd */
  ZT_EQ(ch_exts("002b 0003 020304"), 0);
  ZT_EQ(ch_exts("000a 0002 0000"), DECODE);        /* groups empty */
  ZT_EQ(ch_exts("000a 0005 0003 001d00"), DECODE); /* odd */
  ZT_EQ(ch_exts("000d 0002 0000"), DECODE);        /* sig algs empty */
  ZT_EQ(ch_exts("000d 0005 0003 080408"), DECODE);
  ZT_EQ(ch_exts("0032 0002 0000"), DECODE); /* sig algs cert */
  ZT_EQ(ch_exts("0032 0004 00020804"), 0);
  ZT_EQ(ch_exts("000b 0001 00"), DECODE); /* ec_point_formats */
  ZT_EQ(ch_exts("000b 0002 0100"), 0);
  ZT_EQ(ch_exts("002d 0001 00"), DECODE);   /* psk modes empty */
  ZT_EQ(ch_exts("002c 0002 0000"), DECODE); /* cookie empty */
  ZT_EQ(ch_exts("002c 0003 0001ff"), 0);
  ZT_EQ(ch_exts("ff01 0000"), DECODE); /* renegotiation_info */
  ZT_EQ(ch_exts("ff01 0001 00"), 0);
  ZT_EQ(ch_exts("002f 0002 0000"), DECODE); /* authorities empty */
  ZT_EQ(ch_exts("002f 0005 0003 000100"), 0);
  ZT_EQ(ch_exts("002f 0006 0004 000100 ff"), DECODE);
}

ZT_TEST(test_client_empty_extensions) {
  static const char *const empties[] = {"002a", "0016", "0017", "0012", "0031"};
  char hex[64];
  for (size_t i = 0; i < sizeof(empties) / sizeof(empties[0]); i++) {
    snprintf(hex, sizeof(hex), "%s 0000", empties[i]);
    ZT_EQ(ch_exts(hex), 0);
    snprintf(hex, sizeof(hex), "%s 0001 00", empties[i]);
    ZT_EQ(ch_exts(hex), DECODE);
  }
  /* Opaque ones take anything. */
  ZT_EQ(ch_exts("0015 0003 000000 0023 0002 abcd"), 0);
}

/* RFC 6066 §8: CertificateStatusRequest, ocsp (1): responder_id_list of
 * ResponderID<1..2^16-1>, request_extensions; other types skipped. */
ZT_TEST(test_client_status_request) {
  struct zn__tls13_client_hello ch;
  struct blob m = ch_msg("0005 0005 01 0000 0000"); /* what OpenSSL sends */
  ZT_REQUIRE(zn__tls13_parse_client_hello(m.b, m.n, &ch) == 0);
  ZT_CHECK(ch.status_request_ocsp);
  m = ch_msg("0005 000f 01 0008 0002 aabb 0002 ccdd 0002 3000");
  ZT_REQUIRE(zn__tls13_parse_client_hello(m.b, m.n, &ch) == 0);
  ZT_CHECK(ch.status_request_ocsp);
  m = ch_msg("0005 0003 02 abcd"); /* not ocsp: skipped */
  ZT_REQUIRE(zn__tls13_parse_client_hello(m.b, m.n, &ch) == 0);
  ZT_CHECK(!ch.status_request_ocsp);
  m = ch_msg("000b 0002 0100"); /* none */
  ZT_REQUIRE(zn__tls13_parse_client_hello(m.b, m.n, &ch) == 0);
  ZT_CHECK(!ch.status_request_ocsp);
  ZT_EQ(ch_exts("0005 0000"), DECODE);                      /* no status_type */
  ZT_EQ(ch_exts("0005 0001 01"), DECODE);                   /* no lists */
  ZT_EQ(ch_exts("0005 0003 01 0000"), DECODE);              /* no extensions */
  ZT_EQ(ch_exts("0005 0006 01 0000 0000 00"), DECODE);      /* a byte after */
  ZT_EQ(ch_exts("0005 0007 01 0002 0000 0000"), DECODE);    /* an empty id */
  ZT_EQ(ch_exts("0005 0008 01 0003 0002 aa 0000"), DECODE); /* id cut */
  ZT_EQ(ch_exts("0005 0007 01 0000 0003 aabb"), DECODE);    /* exts past */
}

ZT_TEST(test_client_alpn) {
  struct zn__tls13_client_hello ch;
  ZT_EQ(ch_exts("0010 0002 0000"), DECODE);    /* empty list */
  ZT_EQ(ch_exts("0010 0003 0001 00"), DECODE); /* shorter than 2 */
  ZT_EQ(ch_exts("0010 0005 0003 026832"), 0);
  ZT_EQ(ch_exts("0010 0006 0004 026832 00"), DECODE); /* an empty name */
  ZT_EQ(ch_exts("0010 0005 0003 036832"), DECODE);    /* name past the list */
  struct blob m = ch_msg("0010 000e 000c 02 6832 08 687474702f312e31");
  ZT_REQUIRE(zn__tls13_parse_client_hello(m.b, m.n, &ch) == 0);
  struct zn__tls13_bytes l = ch.alpn, name;
  ZT_REQUIRE(zn__tls13_next_name(&l, &name));
  ZT_CHECK(same(name, "6832"));
  ZT_REQUIRE(zn__tls13_next_name(&l, &name));
  ZT_CHECK(same(name, "687474702f312e31"));
  ZT_CHECK(!zn__tls13_next_name(&l, &name));
}

ZT_TEST(test_record_size_limit_and_max_fragment_length) {
  ZT_EQ(ch_exts("001c 0002 003f"), ILLEGAL);
  ZT_EQ(ch_exts("001c 0002 0040"), 0);
  ZT_EQ(ch_exts("001c 0001 40"), DECODE);
  ZT_EQ(ch_exts("001c 0003 400100"), DECODE);
  ZT_EQ(ch_exts("0001 0001 00"), ILLEGAL);
  ZT_EQ(ch_exts("0001 0001 01"), 0);
  ZT_EQ(ch_exts("0001 0001 04"), 0);
  ZT_EQ(ch_exts("0001 0001 05"), ILLEGAL);
  ZT_EQ(ch_exts("0001 0002 0101"), DECODE);
  ZT_EQ(ch_exts("0001 0000"), DECODE);
  ZT_EQ(ee_exts("001c 0002 003f"), ILLEGAL);
  ZT_EQ(ee_exts("001c 0002 4001"), 0);
  ZT_EQ(ee_exts("001c 0000"), DECODE);
  ZT_EQ(ee_exts("0001 0001 00"), ILLEGAL);
  ZT_EQ(ee_exts("0001 0001 03"), 0);
  ZT_EQ(ee_exts("0001 0001 ff"), ILLEGAL);
  ZT_EQ(ee_exts("0001 0002 0303"), DECODE);
}

/* §4.2.9: psk_ke and psk_dhe_ke as bits; unknown modes ignored. */
ZT_TEST(test_psk_modes_bits) {
  struct zn__tls13_client_hello ch;
  struct blob m = ch_msg("002d 0005 04 07 01 00 ff");
  ZT_REQUIRE(zn__tls13_parse_client_hello(m.b, m.n, &ch) == 0);
  ZT_EQ(ch.psk_modes, 3);
  m = ch_msg("002d 0002 01 00");
  ZT_REQUIRE(zn__tls13_parse_client_hello(m.b, m.n, &ch) == 0);
  ZT_EQ(ch.psk_modes, 1);
  m = ch_msg("002d 0002 01 02");
  ZT_REQUIRE(zn__tls13_parse_client_hello(m.b, m.n, &ch) == 0);
  ZT_EQ(ch.psk_modes, 0);
  ZT_CHECK(ch.seen & ZN__TLS13_SEEN(psk_key_exchange_modes));
  ZT_EQ(ch_exts("002d 0003 01 00"), DECODE);
}

ZT_TEST(test_client_key_shares) {
  ZT_EQ(ch_exts("0033 0002 0000"), 0); /* no share: §4.2.8 allows it */
  ZT_EQ(ch_exts("0033 0000"), DECODE);
  ZT_EQ(ch_exts("0033 0006 0004 001d 0000"), DECODE);    /* empty key */
  ZT_EQ(ch_exts("0033 0007 0005 001d 0002 aa"), DECODE); /* key past list */
  ZT_EQ(ch_exts("0033 0007 0005 001d 0001 aa"), 0);
  ZT_EQ(ch_exts("0033 000c 000a 001d 0001 aa 0017 0001 bb"), 0);
  ZT_EQ(ch_exts("0033 000c 000a 001d 0001 aa 001d 0001 bb"), ILLEGAL);
  ZT_EQ(ch_exts("0033 000c 000a 0000 0001 aa 0000 0001 bb"), ILLEGAL);
  ZT_EQ(ch_exts("0033 000c 000a ffff 0001 aa ffff 0001 bb"), ILLEGAL);
  ZT_EQ(ch_exts("0033 000c 000a ffff 0001 aa 0000 0001 bb"), 0);
}

/* As many shares as fit (13105, each 5 bytes): all distinct passes, and
 * a group twice is found however far apart and whatever its value. */
ZT_TEST(test_client_key_shares_many) {
  static uint8_t b[70000];
  static const uint16_t twice[] = {0x0000, 0x1fff, 0x2000, 0x8001, 0xffff};
  size_t n = (0xffff - 4 - 2) / 5;
  for (size_t t = 0; t <= sizeof(twice) / sizeof(twice[0]); t++) {
    struct w w = writer(b, sizeof(b));
    w_ch(&w);
    w_uint(&w, 0x0033, 2);
    w_open(&w, 2);
    w_open(&w, 2);
    for (size_t i = 0; i < n; i++) {
      uint32_t g = (uint32_t)(i * 5 + 1) & 0xffff; /* distinct */
      if (t < sizeof(twice) / sizeof(twice[0]) && (i == 0 || i == n - 1))
        g = twice[t];
      w_uint(&w, g, 2);
      w_hex(&w, "0001 ab");
    }
    w_end(&w);
    ZT_EQ(w.n, 4 + 2 + 32 + 1 + 4 + 2 + 2 + 65531);
    ZT_EQ(run_w(p_ch, &w), t < sizeof(twice) / sizeof(twice[0]) ? ILLEGAL : 0);
  }
}

ZT_TEST(test_client_pre_shared_key_rules) {
  ZT_EQ(psk_hello("0005 6964656e74 00000001", BINDER32, ""), 0);
  /* Two identities, one binder; one identity, two binders. */
  ZT_EQ(psk_hello("0001 61 00000000 0001 62 00000000", BINDER32, ""), ILLEGAL);
  ZT_EQ(psk_hello("0001 61 00000000 0001 62 00000000", BINDER32 BINDER32, ""),
        0);
  ZT_EQ(psk_hello("0001 61 00000000", BINDER32 BINDER32, ""), ILLEGAL);
  /* An empty identity; identities<7..> shorter. */
  ZT_EQ(psk_hello("0000 00000000 0001 61 00000000", BINDER32 BINDER32, ""),
        DECODE);
  ZT_EQ(psk_hello("0000 00000000", BINDER32, ""), DECODE);
  ZT_EQ(psk_hello("", BINDER32, ""), DECODE);
  /* An identity cut in its age. */
  ZT_EQ(psk_hello("0001 61 00000000 0001 62 000000", BINDER32, ""), DECODE);
  /* A 31-byte binder (the list's 33 bytes made up); a 32-byte one. */
  ZT_EQ(psk_hello("0001 61 00000000", "1f " ZEROS31 " 00", ""), DECODE);
  ZT_EQ(psk_hello("0001 61 00000000 0001 62 00000000",
                  "1f " ZEROS31 " " BINDER32, ""),
        DECODE);
  ZT_EQ(psk_hello("0001 61 00000000 0001 62 00000000",
                  "20 " ZEROS32 " " BINDER32, ""),
        0);
  ZT_EQ(psk_hello("0001 61 00000000", "20 " ZEROS31 " 00", ""), 0);
  ZT_EQ(psk_hello("0001 61 00000000", "", ""), DECODE);
  /* Something after the binders inside the extension. */
  ZT_EQ(ch_exts("0029 002d 0007 0001 61 00000000 0021 " BINDER32 " 00"),
        DECODE);
  ZT_EQ(ch_exts("0029 002c 0007 0001 61 00000000 0021 " BINDER32), 0);
}

/* A built ClientHello with a pre_shared_key after other extensions:
 * binders_at is where the binders' length is, and everything after it is
 * the binders. */
ZT_TEST(test_client_binders_at_of_built_hello) {
  uint8_t b[1024];
  struct zn__tls13_client_hello ch;
  struct w w = writer(b, sizeof(b));
  w_ch(&w);
  w_ext(&w, 0x002b, "020304");
  w_ext(&w, 0x002d, "0101");
  w_uint(&w, 0x0029, 2);
  w_open(&w, 2);
  w_hex(&w, "0014 0001 61 00000007 0007 62626262626262 00000009");
  size_t at = w.n;
  w_open(&w, 2);
  w_uint(&w, 32, 1);
  w_fill(&w, 0xb1, 32);
  w_uint(&w, 48, 1);
  w_fill(&w, 0xb2, 48);
  w_end(&w);
  ZT_REQUIRE(zn__tls13_parse_client_hello(b, w.n, &ch) == 0);
  ZT_EQ(ch.binders_at, at);
  ZT_EQ(ch.binders_at + 2 + ch.psk_binders.len, w.n);
  ZT_EQ(ch.psk_binders.len, 33 + 49);
  struct zn__tls13_bytes ids = ch.psk_identities, v;
  uint32_t age;
  ZT_REQUIRE(zn__tls13_next_identity(&ids, &v, &age));
  ZT_CHECK(same(v, "61") && age == 7);
  ZT_REQUIRE(zn__tls13_next_identity(&ids, &v, &age));
  ZT_CHECK(same(v, "62626262626262") && age == 9);
  ZT_CHECK(!zn__tls13_next_identity(&ids, &v, &age));
}

/* ---- ServerHello and HelloRetryRequest ---- */

ZT_TEST(test_server_hello_without_supported_versions_is_tls12s) {
  struct zn__tls13_server_hello sh;
  /* No block at all; a block of TLS 1.2's extensions (not allowed in a
   * TLS 1.3 ServerHello, so checked for form only). */
  struct blob m = msg("02000000 0303 " R8448_SERVER_PUB " 00 c02f 00");
  ZT_REQUIRE(zn__tls13_parse_server_hello(m.b, m.n, &sh) == 0);
  ZT_EQ(sh.version, 0);
  ZT_EQU(sh.suite, 0xc02f);
  m = msg("02000000 0303 " R8448_SERVER_PUB " 00 c02f 00 000f"
          " ff01 0001 00 000b 0002 0100 0017 0000");
  ZT_REQUIRE(zn__tls13_parse_server_hello(m.b, m.n, &sh) == 0);
  ZT_EQ(sh.version, 0);
  ZT_EQU(sh.seen, ZN__TLS13_SEEN(renegotiation_info) |
                      ZN__TLS13_SEEN(ec_point_formats) |
                      ZN__TLS13_SEEN(extended_master_secret));
  ZT_EQ(sh_exts(NULL, "ff01 0001 00 ff01 0001 00"), ILLEGAL);
  ZT_EQ(sh_exts(NULL, "ff01 0001"), DECODE);
  ZT_EQ(sh_exts(NULL, ""), 0);
  /* A HelloRetryRequest's random without supported_versions. */
  m = msg("02000000 0303 cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e"
          "09e2c8a8339c 00 1301 00");
  ZT_REQUIRE(zn__tls13_parse_server_hello(m.b, m.n, &sh) == 0);
  ZT_CHECK(sh.hrr);
  ZT_EQ(sh.version, 0);
}

ZT_TEST(test_server_hello_extension_bodies) {
  const uint8_t *hrr = zn__tls13_hrr_random;
  ZT_EQ(sh_exts(NULL, "002b 0002 0303"), ILLEGAL);  /* below TLS 1.3 */
  ZT_EQ(sh_exts(NULL, "002b 0003 020304"), DECODE); /* a CH's list */
  ZT_EQ(sh_exts(NULL, "002b 0002 7f1c"), 0);        /* the engine's */
  ZT_EQ(sh_exts(NULL, "002b 0002 0304 0033 0002 001d"), DECODE);
  ZT_EQ(sh_exts(NULL, "002b 0002 0304 0033 0004 001d 0000"), DECODE);
  ZT_EQ(sh_exts(NULL, "002b 0002 0304 0033 0006 001d 0001 aa 00"), DECODE);
  ZT_EQ(sh_exts(NULL, "002b 0002 0304 0033 0005 001d 0001 aa"), 0);
  ZT_EQ(sh_exts(NULL, "002b 0002 0304 0029 0002 0000"), 0);
  ZT_EQ(sh_exts(NULL, "002b 0002 0304 0029 0003 000000"), DECODE);
  ZT_EQ(sh_exts(hrr, "002b 0002 0304 0033 0002 0017"), 0);
  ZT_EQ(sh_exts(hrr, "002b 0002 0304 0033 0005 001d 0001 aa"), DECODE);
  ZT_EQ(sh_exts(hrr, "002b 0002 0304 002c 0002 0000"), DECODE);
  ZT_EQ(sh_exts(hrr, "002b 0002 0304 002c 0003 0001 aa"), 0);
  ZT_EQ(sh_exts(hrr, "002b 0002 0304 002c 0004 0001 aa bb"), DECODE);
  ZT_EQ(sh_exts(hrr, "002b 0002 0303"), ILLEGAL);
  /* legacy_session_id_echo<0..32>. */
  struct zn__tls13_server_hello sh;
  struct blob m = msg("02000000 0303 " R8448_SERVER_PUB " 20 " ZEROS32
                      " 1301 00 0006 002b 0002 0304");
  ZT_REQUIRE(zn__tls13_parse_server_hello(m.b, m.n, &sh) == 0);
  ZT_EQ(sh.session_id.len, 32);
  ZT_EQU(sh.suite, 0x1301);
  m = msg("02000000 0303 " R8448_SERVER_PUB " 21 " ZEROS32
          " 00 1301 00 0006 002b 0002 0304");
  ZT_EQ(zn__tls13_parse_server_hello(m.b, m.n, &sh), DECODE);
}

ZT_TEST(test_server_hello_psk_identity) {
  uint8_t b[256];
  struct zn__tls13_server_hello sh;
  struct w w = writer(b, sizeof(b));
  w_sh(&w, NULL);
  w_ext(&w, 0x0029, "0003");
  w_ext(&w, 0x002b, "0304");
  w_end(&w);
  ZT_REQUIRE(zn__tls13_parse_server_hello(b, w.n, &sh) == 0);
  ZT_EQ(sh.psk_identity, 3);
  ZT_EQ(sh.share_group, 0);
  ZT_EQU(sh.seen,
         ZN__TLS13_SEEN(pre_shared_key) | ZN__TLS13_SEEN(supported_versions));
}

/* ---- EncryptedExtensions ---- */

ZT_TEST(test_encrypted_extensions_rules) {
  struct zn__tls13_encrypted_extensions ee;
  struct blob m = B("0800000b 0009 0010 0005 0003 026832");
  ZT_REQUIRE(zn__tls13_parse_encrypted_extensions(m.b, m.n, &ee) == 0);
  ZT_CHECK(same(ee.alpn, "6832"));
  ZT_EQ(ee_exts(""), 0);
  ZT_EQ(ee_exts("0010 0008 0006 026832 026833"), ILLEGAL); /* two names */
  ZT_EQ(ee_exts("0010 0002 0000"), DECODE);
  ZT_EQ(ee_exts("0010 0003 0001 00"), DECODE);
  ZT_EQ(ee_exts("0000 0000"), 0);
  ZT_EQ(ee_exts("0000 0005 0003 000000"), DECODE); /* not an ack */
  ZT_EQ(ee_exts("002a 0000"), 0);
  ZT_EQ(ee_exts("002a 0004 00000400"), DECODE);
  ZT_EQ(ee_exts("000a 0002 0000"), DECODE);
  ZT_EQ(ee_exts("000a 0004 0002 001d"), 0);
  ZT_EQ(ee_exts("000e 0003 000000 000f 0001 01 0013 0002 0100 0014 0000"),
        0); /* use_srtp, heartbeat, the certificate types: opaque */
  m = B("08000001 00");
  ZT_EQ(zn__tls13_parse_encrypted_extensions(m.b, m.n, &ee), DECODE);
  m = B("08000004 0001 0000");
  ZT_EQ(zn__tls13_parse_encrypted_extensions(m.b, m.n, &ee), DECODE);
}

/* ---- CertificateRequest ---- */

ZT_TEST(test_certificate_request_rules) {
  struct zn__tls13_certificate_request cr;
  struct blob m = msg("0d000000 03 616263 0012 000d 0006 0004 08040403"
                      " 0032 0004 0002 0807");
  ZT_REQUIRE(zn__tls13_parse_certificate_request(m.b, m.n, &cr) == 0);
  ZT_CHECK(same(cr.context, "616263"));
  ZT_CHECK(same(cr.sig_algs, "08040403"));
  ZT_CHECK(same(cr.sig_algs_cert, "0807"));
  ZT_EQU(cr.seen, ZN__TLS13_SEEN(signature_algorithms) |
                      ZN__TLS13_SEEN(signature_algorithms_cert));
  ZT_EQ(cr_exts("0032 0004 0002 0807"), MISSING);
  ZT_EQ(cr_exts("1234 0000"), MISSING);
  ZT_EQ(cr_exts(""), DECODE); /* extensions<2..2^16-1> */
  ZT_EQ(cr_exts("000d 0002 0000"), DECODE);
  ZT_EQ(cr_exts("000d 0005 0003 080408"), DECODE);
  ZT_EQ(cr_exts("000d 0004 0002 0804 002f 0005 0003 000161"), 0);
  ZT_EQ(cr_exts("000d 0004 0002 0804 002f 0005 0003 000061"), DECODE);
  ZT_EQ(cr_exts("000d 0004 0002 0804 0030 0002 0000"), 0);
  ZT_EQ(cr_exts("000d 0004 0002 0804 0030 0007 0005 01 2a 0000 00"), DECODE);
  ZT_EQ(cr_exts("000d 0004 0002 0804 0030 0007 0005 01 2a 0001 ff"), 0);
  ZT_EQ(cr_exts("000d 0004 0002 0804 0030 0006 0004 00 0000 00"), DECODE);
  ZT_EQ(cr_exts("000d 0004 0002 0804 0005 0000 0012 0000"), 0);
  ZT_EQ(cr_exts("000d 0004 0002 0804 0005 0001 01"), DECODE);
  /* A context of 255 bytes, the most; one longer than the message. */
  uint8_t b[512];
  struct w w = writer(b, sizeof(b));
  w_msg(&w, ZN__TLS13_HS_certificate_request);
  w_uint(&w, 255, 1);
  w_fill(&w, 0xcc, 255);
  w_hex(&w, "0008 000d 0004 0002 0804");
  w_end(&w);
  ZT_REQUIRE(zn__tls13_parse_certificate_request(b, w.n, &cr) == 0);
  ZT_EQ(cr.context.len, 255);
  struct blob bad = msg("0d000000 05 616263 0008 000d 0004 0002 0804");
  ZT_EQ(zn__tls13_parse_certificate_request(bad.b, bad.n, &cr), DECODE);
}

/* ---- CertificateVerify ---- */

ZT_TEST(test_certificate_verify_rules) {
  struct zn__tls13_certificate_verify cv;
  struct blob m = B("0f000005 0403 0001 aa");
  ZT_REQUIRE(zn__tls13_parse_certificate_verify(m.b, m.n, &cv) == 0);
  ZT_EQU(cv.scheme, 0x0403);
  ZT_CHECK(same(cv.signature, "aa"));
  m = B("0f000004 0403 0000"); /* an empty signature */
  ZT_EQ(zn__tls13_parse_certificate_verify(m.b, m.n, &cv), DECODE);
  m = B("0f000002 0403");
  ZT_EQ(zn__tls13_parse_certificate_verify(m.b, m.n, &cv), DECODE);
  m = B("0f000006 0403 0001 aa bb");
  ZT_EQ(zn__tls13_parse_certificate_verify(m.b, m.n, &cv), DECODE);
}

/* ---- NewSessionTicket ---- */

/* §4.6.1: "Servers MUST NOT use any value greater than 604800 seconds";
 * we answer one with illegal_parameter (as mbed TLS does). */
ZT_TEST(test_new_session_ticket_lifetime) {
  ZT_EQ(nst_exts(0, ""), 0);
  ZT_EQ(nst_exts(604800, ""), 0);
  ZT_EQ(nst_exts(604801, ""), ILLEGAL);
  ZT_EQ(nst_exts(0xffffffff, ""), ILLEGAL);
  /* A malformed message is decode_error, whatever its lifetime. */
  ZT_EQ(nst_exts(0xffffffff, "002a"), DECODE);
}

ZT_TEST(test_new_session_ticket_rules) {
  struct zn__tls13_new_session_ticket nst;
  ZT_EQ(nst_exts(60, "002a 0004 ffffffff"), 0);
  ZT_EQ(nst_exts(60, "002a 0003 ffffff"), DECODE);
  ZT_EQ(nst_exts(60, "002a 0005 ffffffffff"), DECODE);
  ZT_EQ(nst_exts(60, "002a 0000"), DECODE);
  struct blob m =
      msg("04000000 0000003c 00000001 00 0000 0000"); /* no ticket */
  ZT_EQ(zn__tls13_parse_new_session_ticket(m.b, m.n, &nst), DECODE);
  m = msg("04000000 0000003c 00000001 00 0001 aa 0000");
  ZT_REQUIRE(zn__tls13_parse_new_session_ticket(m.b, m.n, &nst) == 0);
  ZT_EQ(nst.nonce.len, 0);
  ZT_CHECK(same(nst.ticket, "aa"));
  ZT_EQU(nst.seen, 0);
  ZT_EQU(nst.max_early_data, 0);
  m = msg("04000000 0000003c 00000001 00 0001 aa"); /* no extension block */
  ZT_EQ(zn__tls13_parse_new_session_ticket(m.b, m.n, &nst), DECODE);
  m = msg("04000000 0000003c 00000001 02 ab"); /* nonce past the end */
  ZT_EQ(zn__tls13_parse_new_session_ticket(m.b, m.n, &nst), DECODE);
}

/* extensions<0..2^16-2>: a block of 65535 bytes is one too many. */
ZT_TEST(test_new_session_ticket_extensions_at_most_65534) {
  static uint8_t b[70000];
  for (size_t len = 65534; len <= 65535; len++) {
    struct w w = writer(b, sizeof(b));
    w_msg(&w, ZN__TLS13_HS_new_session_ticket);
    w_hex(&w, "0000003c 00000001 00 0001 aa");
    w_open(&w, 2);
    w_uint(&w, 0x1234, 2); /* one unknown extension fills it */
    w_uint(&w, (uint32_t)len - 4, 2);
    w_fill(&w, 0, len - 4);
    w_end(&w);
    ZT_EQ(run_w(p_nst, &w), len == 65534 ? 0 : DECODE);
  }
}

/* ---- KeyUpdate ---- */

ZT_TEST(test_key_update_values) {
  bool req = true;
  struct blob m = B("18000001 00");
  ZT_EQ(zn__tls13_parse_key_update(m.b, m.n, &req), 0);
  ZT_CHECK(!req);
  m = B("18000001 01");
  ZT_EQ(zn__tls13_parse_key_update(m.b, m.n, &req), 0);
  ZT_CHECK(req);
  m = B("18000001 02");
  ZT_EQ(zn__tls13_parse_key_update(m.b, m.n, &req), ILLEGAL);
  m = B("18000001 ff");
  ZT_EQ(zn__tls13_parse_key_update(m.b, m.n, &req), ILLEGAL);
  m = B("18000002 0100");
  ZT_EQ(zn__tls13_parse_key_update(m.b, m.n, &req), DECODE);
  m = B("18000000");
  ZT_EQ(zn__tls13_parse_key_update(m.b, m.n, &req), DECODE);
}

/* ---- the iterators ---- */

/* On bytes no parser checked they stop at the first entry that does not
 * fit, and leave the list empty. */
ZT_TEST(test_iterators_stop_on_malformed_lists) {
  struct blob raw = B("0017 0018 00");
  struct zn__tls13_bytes l = view(&raw), v;
  uint16_t u;
  uint32_t age;
  ZT_CHECK(zn__tls13_next_u16(&l, &u) && u == 0x17);
  ZT_CHECK(zn__tls13_next_u16(&l, &u) && u == 0x18);
  ZT_CHECK(!zn__tls13_next_u16(&l, &u));
  ZT_EQ(l.len, 0);
  raw = B("001d 0001 aa 0017 0005 bbbb");
  l = view(&raw);
  ZT_CHECK(zn__tls13_next_share(&l, &u, &v) && u == 0x1d && same(v, "aa"));
  ZT_CHECK(!zn__tls13_next_share(&l, &u, &v));
  ZT_EQ(l.len, 0);
  raw = B("001d 0000");
  l = view(&raw);
  ZT_CHECK(!zn__tls13_next_share(&l, &u, &v));
  raw = B("02 6832 00 01");
  l = view(&raw);
  ZT_CHECK(zn__tls13_next_name(&l, &v) && same(v, "6832"));
  ZT_CHECK(!zn__tls13_next_name(&l, &v)); /* an empty name */
  ZT_EQ(l.len, 0);
  raw = B("0001 61 000000");
  l = view(&raw);
  ZT_CHECK(!zn__tls13_next_identity(&l, &v, &age));
  raw = B("1f " ZEROS31);
  l = view(&raw);
  ZT_CHECK(!zn__tls13_next_binder(&l, &v)); /* 31 bytes */
  l.p = NULL;
  l.len = 0;
  ZT_CHECK(!zn__tls13_next_u16(&l, &u));
  ZT_CHECK(!zn__tls13_has_u16(l, 0));
}

ZT_TEST(test_has_u16) {
  struct blob raw = B("0304 0303 7f1c");
  ZT_CHECK(zn__tls13_has_u16(view(&raw), 0x0304));
  ZT_CHECK(zn__tls13_has_u16(view(&raw), 0x7f1c));
  ZT_CHECK(!zn__tls13_has_u16(view(&raw), 0x0302));
  ZT_CHECK(!zn__tls13_has_u16(view(&raw), 0x0403)); /* not across entries */
}

int main(void) {
  ZT_RUN(test_rfc8448_client_hello_parses);
  ZT_RUN(test_rfc8448_client_hello_groups_iterate);
  ZT_RUN(test_rfc8448_server_hello_parses);
  ZT_RUN(test_rfc8448_encrypted_extensions_parse);
  ZT_RUN(test_rfc8448_certificate_verify_parses);
  ZT_RUN(test_rfc8448_new_session_ticket_parses);
  ZT_RUN(test_rfc8448_resumed_client_hello_binders_at);
  ZT_RUN(test_rfc8448_hello_retry_request_parses);
  ZT_RUN(test_rfc8448_retry_server_hello_parses);
  ZT_RUN(test_hrr_random_is_sha256_of_hello_retry_request);
  ZT_RUN(test_alert_names_from_the_table);
  ZT_RUN(test_every_cut_and_a_byte_more_fail);
  ZT_RUN(test_wrong_type_is_unexpected_message);
  ZT_RUN(test_header_length_off_by_one_is_decode_error);
  ZT_RUN(test_client_hello_without_extensions_is_tls12s);
  ZT_RUN(test_client_hello_fixed_part_ranges);
  ZT_RUN(test_extension_block_must_be_exact);
  ZT_RUN(test_extension_twice_is_illegal_parameter);
  ZT_RUN(test_extension_in_wrong_message_is_illegal_parameter);
  ZT_RUN(test_unknown_extensions_are_ignored);
  ZT_RUN(test_pre_shared_key_not_last_is_illegal_parameter);
  ZT_RUN(test_at_most_64_extensions);
  ZT_RUN(test_client_server_name_rules);
  ZT_RUN(test_client_lists_even_and_not_empty);
  ZT_RUN(test_client_empty_extensions);
  ZT_RUN(test_client_status_request);
  ZT_RUN(test_client_alpn);
  ZT_RUN(test_record_size_limit_and_max_fragment_length);
  ZT_RUN(test_psk_modes_bits);
  ZT_RUN(test_client_key_shares);
  ZT_RUN(test_client_key_shares_many);
  ZT_RUN(test_client_pre_shared_key_rules);
  ZT_RUN(test_client_binders_at_of_built_hello);
  ZT_RUN(test_server_hello_without_supported_versions_is_tls12s);
  ZT_RUN(test_server_hello_extension_bodies);
  ZT_RUN(test_server_hello_psk_identity);
  ZT_RUN(test_encrypted_extensions_rules);
  ZT_RUN(test_certificate_request_rules);
  ZT_RUN(test_certificate_verify_rules);
  ZT_RUN(test_new_session_ticket_lifetime);
  ZT_RUN(test_new_session_ticket_rules);
  ZT_RUN(test_new_session_ticket_extensions_at_most_65534);
  ZT_RUN(test_key_update_values);
  ZT_RUN(test_iterators_stop_on_malformed_lists);
  ZT_RUN(test_has_u16);
  return zt_done();
}
