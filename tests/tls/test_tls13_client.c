/* The TLS 1.3 client (tls/tls13_cli.c) against a server scripted here
 * byte by byte over a plain TCP connection, the key schedule and records
 * of RFC 8446 computed with tls13_crypto.c, so that each test can send
 * what a real server would, or what it must not.  Checked: a full
 * handshake and data both ways, the flight cut into records of any size
 * (messages split over records, several in one), a HelloRetryRequest
 * for P-256 with a cookie, a CertificateRequest answered with no
 * certificate, KeyUpdate both ways, tickets skipped (no store); and the
 * alert and clean end for each hostile case: a downgrade to TLS 1.2 with
 * the sentinel, a session ID not echoed, a suite or group not offered,
 * an extension not offered (in the ServerHello and in
 * EncryptedExtensions), a second HelloRetryRequest, one that changes
 * nothing, an ALPN name not offered, a chain for another name or from an
 * unknown CA, an empty or overlong Certificate, a CertificateVerify with
 * PKCS #1 or a bad signature, a bad Finished, a ServerHello that does
 * not end its record.  Resumption: a ticket from the client's store
 * offered with a binder the script checks (after a HelloRetryRequest
 * too) and taken; a ServerHello that picks an identity not sent or a
 * suite of another hash, a HelloRetryRequest with pre_shared_key. */
#include <bearssl.h>

#include "tls13_int.h"
#include "tls13_script.h"
#include "tls13_sig.h"
#include "tls_fixture.h"

/* ---- the scripted server ---- */

struct s13 {
  struct tpair t;
  struct zn_tcp_conn *l, *c;
  uint8_t rx[65536];
  size_t rx_len, rx_off;
  const struct zn__tls13_suite *s;
  br_sha256_context th;
  uint8_t ch[2048];
  size_t ch_len;
  struct zn__tls13_client_hello hello; /* views into ch */
  uint8_t secret[32], c_hs[32], s_hs[32], c_ap[32], s_ap[32];
  struct zn__tls13_keys rd, wr; /* the client's records, ours */
  int alert;                    /* the last alert received, or -1 */
  int ccs;                      /* change_cipher_spec records received */
  uint8_t hs[8192];             /* the client's handshake bytes, unread */
  size_t hs_len;
  uint8_t app[4096];
  size_t app_len;
};

/* What the script does differently from a well-behaved server. */
struct script {
  bool tls12_downgrade; /* a TLS 1.2 ServerHello with the sentinel */
  bool wrong_sid;       /* a session ID other than the client's */
  uint16_t suite;       /* 0: TLS_AES_128_GCM_SHA256 */
  uint16_t share_group; /* the ServerHello's share's group (0: X25519) */
  uint16_t sh_ext;      /* an extension added to the ServerHello */
  bool sh_not_last;     /* a second message in the ServerHello's record */
  int hrr;              /* HelloRetryRequests sent (0, 1, 2) */
  uint16_t hrr_group;   /* the group they ask for (0: none) */
  bool hrr_cookie;      /* with a cookie */
  uint16_t ee_ext;      /* an extension added to EncryptedExtensions */
  const char *alpn;     /* the ALPN name EncryptedExtensions carries */
  bool cert_request;    /* a CertificateRequest first */
  bool cert_empty;      /* a Certificate with no entry */
  bool cert_trailing;   /* a byte after the certificate list */
  uint16_t cv_scheme;   /* 0: ecdsa_secp256r1_sha256 */
  bool cv_bad;          /* a signature byte flipped */
  bool fin_bad;         /* a verify_data byte flipped */
  size_t split;         /* handshake bytes per record (0: one record) */
  bool psk;             /* the client has a ticket: take it (sh_ext 41) */
  uint16_t psk_identity; /* the identity the ServerHello selects */
  bool hrr_psk;          /* pre_shared_key in the HelloRetryRequest */
  bool store;            /* an empty ticket store (without psk) */
};

/* The ticket the client's store holds with sc->psk, and its PSK. */
static const uint8_t script_ticket[16] = "script ticket 1";
static const uint8_t script_psk[32] = {0x70, 0x73, 0x6b};
static _Alignas(64) uint8_t store_mem[4096];

static void s13_readable(struct zn_tcp_conn *c, void *arg) {
  struct s13 *x = arg;
  for (;;) {
    long n = zn_tcp_read(c, x->rx + x->rx_len, sizeof(x->rx) - x->rx_len);
    if (n <= 0)
      return;
    x->rx_len += (size_t)n;
  }
}

static void s13_gone(struct s13 *x) { x->c = NULL; }

static void s13_error(struct zn_tcp_conn *c, void *arg, int err) {
  (void)c;
  (void)err;
  s13_gone(arg);
}

static void s13_closed(struct zn_tcp_conn *c, void *arg) {
  (void)c;
  s13_gone(arg);
}

static const struct zn_tcp_callbacks s13_cbs = {
    .on_readable = s13_readable,
    .on_error = s13_error,
    .on_closed = s13_closed,
};

static void s13_free(struct s13 *x) {
  if (x->c)
    zn_tcp_abort(x->c);
  tf_free(&x->t);
}

static void s13_accept(struct zn_tcp_conn *l, void *arg) {
  struct s13 *x = arg;
  struct zn_tcp_conn *c;
  while (zn_tcp_accept(l, &c) == ZN_OK) {
    x->c = c;
    zn_tcp_set_callbacks(c, &s13_cbs, x);
  }
}

static const struct zn_tcp_callbacks s13_lcbs = {.on_accept = s13_accept};

static void run(struct s13 *x) { tf_run(&x->t, ZN_MS(50)); }

static size_t p24(uint8_t *p, size_t v) {
  p[0] = (uint8_t)(v >> 16);
  p[1] = (uint8_t)(v >> 8);
  p[2] = (uint8_t)v;
  return 3;
}

/* The next whole record from the client: false if none yet. */
static bool next_record(struct s13 *x, uint8_t *type, uint8_t **rec,
                        size_t *len) {
  return ts_next_record(x->rx, x->rx_len, &x->rx_off, type, rec, len);
}

/* The client's records, as far as they go: handshake bytes gathered,
 * alerts and change_cipher_spec noted, application data kept. */
static void read_records(struct s13 *x) {
  uint8_t type, *rec;
  size_t len;
  while (next_record(x, &type, &rec, &len)) {
    if (type == 20) {
      x->ccs++;
      continue;
    }
    uint8_t *body = rec + 5;
    size_t clen = len;
    if (type == 23) {
      ZT_REQUIRE(x->rd.suite != NULL);
      ZT_REQUIRE(zn__tls13_open(&x->rd, rec, len));
      ZT_REQUIRE(zn__tls13_inner_type(body, len - 16, &type, &clen));
    }
    if (type == 21)
      x->alert = body[1];
    else if (type == 22 && x->hs_len + clen <= sizeof(x->hs)) {
      memcpy(x->hs + x->hs_len, body, clen);
      x->hs_len += clen;
    } else if (type == 23 && x->app_len + clen <= sizeof(x->app)) {
      memcpy(x->app + x->app_len, body, clen);
      x->app_len += clen;
    }
  }
}

/* The next whole handshake message from the client: its length, 0 if
 * none. */
static size_t take_msg(struct s13 *x, uint8_t *out, size_t cap) {
  return ts_take_msg(x->hs, &x->hs_len, out, cap);
}

/* Records of type carrying p, at most split bytes each (0: 16384),
 * protected when protect. */
static void send_records(struct s13 *x, uint8_t type, const uint8_t *p,
                         size_t len, size_t split, bool protect) {
  size_t max = split ? split : 16384;
  for (size_t off = 0; off < len;) {
    uint8_t rec[5 + 16384 + 1 + 16];
    size_t n = len - off < max ? len - off : max;
    memcpy(rec + 5, p + off, n);
    size_t total;
    if (protect) {
      rec[5 + n] = type;
      total = zn__tls13_seal(&x->wr, rec, n + 1);
    } else {
      rec[0] = type;
      rec[1] = 3;
      rec[2] = 3;
      p16(rec + 3, (unsigned)n);
      total = 5 + n;
    }
    ZT_EQ(zn_tcp_write(x->c, rec, total), (long)total);
    off += n;
  }
}

static void transcript(struct s13 *x, const uint8_t *m, size_t len) {
  br_sha256_update(&x->th, m, len);
}

static void thash(struct s13 *x, uint8_t *out) { br_sha256_out(&x->th, out); }

/* Two stacks, the client started for "localhost", its ClientHello read
 * and parsed. */
static void s13_start(struct s13 *x) {
  memset(x, 0, sizeof(*x));
  x->alert = -1;
  x->s = zn__tls13_suite(0x1301);
  br_sha256_init(&x->th);
  tf_init(&x->t, NULL);
  tf_rx(&x->t.cli, 4096);
  zn_tcp_close(x->t.listener);
  tf_run(&x->t, ZN_MS(10));
  ZT_EQ(zn_tcp_listen(x->t.p.b, NULL, TF_PORT, 0, &s13_lcbs, x, &x->l), ZN_OK);
  x->t.listener = x->l;
}

static bool read_hello(struct s13 *x) {
  read_records(x);
  x->ch_len = take_msg(x, x->ch, sizeof(x->ch));
  if (x->ch_len == 0)
    return false;
  ZT_EQ(zn__tls13_parse_client_hello(x->ch, x->ch_len, &x->hello), 0);
  return true;
}

static void s13_connect(struct s13 *x) {
  ZT_EQ(tf_connect(&x->t, "localhost"), ZN_OK);
  run(x);
  ZT_REQUIRE(x->c != NULL);
  ZT_REQUIRE(read_hello(x));
}

/* The client's key share for group. */
static struct zn__tls13_bytes client_share(const struct s13 *x,
                                           uint16_t group) {
  struct zn__tls13_bytes shares = x->hello.shares, key = {NULL, 0};
  uint16_t g;
  while (zn__tls13_next_share(&shares, &g, &key))
    if (g == group)
      return key;
  key.p = NULL;
  key.len = 0;
  return key;
}

static int curve_of(uint16_t group) {
  return group == 0x0017 ? BR_EC_secp256r1 : BR_EC_curve25519;
}

/* Our share for group (X25519 or P-256) into pub, the shared secret
 * with the client's share into shared (its length). */
static size_t key_exchange(struct s13 *x, uint16_t group, uint8_t *pub,
                           size_t *pub_len, uint8_t *shared) {
  const br_ec_impl *ec = br_ec_get_default();
  int curve = curve_of(group);
  uint8_t priv[32];
  for (int i = 0; i < 32; i++)
    priv[i] = (uint8_t)(i * 7 + 3);
  *pub_len = ec->mulgen(pub, priv, 32, curve);
  struct zn__tls13_bytes peer = client_share(x, group);
  ZT_REQUIRE_OR(peer.len > 0 && peer.len <= 97, 0);
  uint8_t point[97];
  memcpy(point, peer.p, peer.len);
  ZT_REQUIRE_OR(ec->mul(point, peer.len, priv, 32, curve), 0);
  size_t xlen, xoff = ec->xoff(curve, &xlen);
  memcpy(shared, point + xoff, xlen);
  return xlen;
}

/* A ServerHello (random NULL: a HelloRetryRequest) into m. */
static size_t server_hello(const struct s13 *x, const struct script *sc,
                           const uint8_t *random, uint16_t group,
                           const uint8_t *pub, size_t pub_len, uint8_t *m) {
  size_t n = 4;
  n += p16(m + n, 0x0303);
  memcpy(m + n, random ? random : zn__tls13_hrr_random, 32);
  n += 32;
  m[n++] = (uint8_t)x->hello.session_id.len;
  memcpy(m + n, x->hello.session_id.p, x->hello.session_id.len);
  if (sc->wrong_sid)
    m[n] ^= 1;
  n += x->hello.session_id.len;
  n += p16(m + n, sc->suite ? sc->suite : 0x1301);
  m[n++] = 0;
  size_t x_at = n;
  n += 2;
  n += p16(m + n, 43);
  n += p16(m + n, 2);
  n += p16(m + n, 0x0304);
  if (group) {
    n += p16(m + n, 51);
    if (pub) {
      n += p16(m + n, (unsigned)pub_len + 4);
      n += p16(m + n, group);
      n += p16(m + n, (unsigned)pub_len);
      memcpy(m + n, pub, pub_len);
      n += pub_len;
    } else {
      n += p16(m + n, 2);
      n += p16(m + n, group);
    }
  }
  if (!random && sc->hrr_cookie) {
    static const uint8_t cookie[] = {0, 5, 'c', 'o', 'o', 'k', 'y'};
    n += p16(m + n, 44);
    n += p16(m + n, sizeof(cookie));
    memcpy(m + n, cookie, sizeof(cookie));
    n += sizeof(cookie);
  }
  if (random && sc->sh_ext) {
    n += p16(m + n, sc->sh_ext);
    n += p16(m + n, sc->sh_ext == 41 ? 2 : 0);
    if (sc->sh_ext == 41)
      n += p16(m + n, sc->psk_identity);
  }
  if (!random && sc->hrr_psk) {
    n += p16(m + n, 41);
    n += p16(m + n, 2);
    n += p16(m + n, 0);
  }
  p16(m + x_at, (unsigned)(n - x_at - 2));
  m[0] = 2;
  p24(m + 1, n - 4);
  return n;
}

/* §4.2.11: the hello offers our ticket, last, with a binder over the
 * transcript so far and the hello up to its binders. */
static void check_offer(struct s13 *x) {
  ZT_REQUIRE(x->hello.seen & ZN__TLS13_SEEN(pre_shared_key));
  ZT_EQU(x->hello.psk_modes, 2); /* psk_dhe_ke only */
  struct zn__tls13_bytes ids = x->hello.psk_identities,
                         binders = x->hello.psk_binders, id, binder;
  uint32_t age;
  ZT_REQUIRE(zn__tls13_next_identity(&ids, &id, &age));
  ZT_REQUIRE(zn__tls13_next_binder(&binders, &binder));
  ZT_CHECK(!zn__tls13_next_identity(&ids, &id, &age)); /* one */
  ZT_EQU(id.len, sizeof(script_ticket));
  ZT_MEMEQ(id.p, script_ticket, sizeof(script_ticket));
  /* Received at 0 ms with age_add 1000; the session starts a few ms on. */
  ZT_CHECK(age >= 1000u && age < 1100u);
  /* The binder as §4.2.11.2 and §7.1 define it, step by step. */
  br_sha256_context c = x->th;
  uint8_t th[32], early[32], empty[32], key[32], fk[32], mac[32];
  br_sha256_update(&c, x->ch, x->hello.binders_at);
  br_sha256_out(&c, th);
  zn__tls13_extract(x->s, NULL, script_psk, 32, early);
  zn__tls13_empty_hash(x->s, empty);
  zn__tls13_derive_secret(x->s, early, "res binder", empty, key);
  zn__tls13_expand_label(x->s, key, "finished", NULL, 0, fk, 32);
  zn__tls13_hmac(x->s, fk, 32, th, 32, mac);
  ZT_EQU(binder.len, 32);
  ZT_MEMEQ(binder.p, mac, 32);
}

/* §4.1.4: the HelloRetryRequest; the client's change_cipher_spec and
 * second hello read. */
static void hello_retry(struct s13 *x, const struct script *sc) {
  uint8_t m[512], hash[32];
  size_t n = server_hello(x, sc, NULL, sc->hrr_group, NULL, 0, m);
  br_sha256_update(&x->th, x->ch, x->ch_len);
  br_sha256_out(&x->th, hash);
  uint8_t head[4] = {254, 0, 0, 32};
  br_sha256_init(&x->th);
  transcript(x, head, 4);
  transcript(x, hash, 32);
  transcript(x, m, n);
  send_records(x, 22, m, n, 0, false);
  run(x);
}

/* The ServerHello and the keys of the handshake (§7.1). */
static void hello_and_keys(struct s13 *x, const struct script *sc) {
  uint16_t group = sc->hrr_group ? sc->hrr_group : 0x001d;
  uint8_t pub[97], shared[32], random[32], m[512];
  size_t pub_len;
  for (int i = 0; i < 32; i++)
    random[i] = (uint8_t)(0x40 + i);
  size_t slen = key_exchange(x, group, pub, &pub_len, shared);
  size_t n =
      server_hello(x, sc, random, sc->share_group ? sc->share_group : group,
                   pub, pub_len, m);
  transcript(x, x->ch, x->ch_len); /* the (second) hello */
  transcript(x, m, n);
  if (sc->sh_not_last) { /* a stray message after it in the record */
    static const uint8_t stray[4] = {8, 0, 0, 0};
    memcpy(m + n, stray, 4);
    send_records(x, 22, m, n + 4, 0, false);
  } else {
    send_records(x, 22, m, n, 0, false);
  }
  uint8_t early[32], empty[32], derived[32], th[32];
  zn__tls13_extract(x->s, NULL, sc->psk ? script_psk : NULL, sc->psk ? 32 : 0,
                    early);
  zn__tls13_empty_hash(x->s, empty);
  zn__tls13_derive_secret(x->s, early, "derived", empty, derived);
  zn__tls13_extract(x->s, derived, shared, slen, x->secret);
  thash(x, th);
  zn__tls13_derive_secret(x->s, x->secret, "c hs traffic", th, x->c_hs);
  zn__tls13_derive_secret(x->s, x->secret, "s hs traffic", th, x->s_hs);
  zn__tls13_derive_secret(x->s, x->secret, "derived", empty, derived);
  zn__tls13_extract(x->s, derived, NULL, 0, x->secret); /* master */
  zn__tls13_keys_set(&x->wr, x->s, x->s_hs);
  zn__tls13_keys_set(&x->rd, x->s, x->c_hs);
}

static size_t encrypted_extensions(const struct script *sc, uint8_t *m) {
  size_t n = 6;
  if (sc->alpn) {
    size_t l = strlen(sc->alpn);
    n += p16(m + n, 16);
    n += p16(m + n, (unsigned)l + 3);
    n += p16(m + n, (unsigned)l + 1);
    m[n++] = (uint8_t)l;
    memcpy(m + n, sc->alpn, l);
    n += l;
  }
  if (sc->ee_ext) {
    n += p16(m + n, sc->ee_ext);
    n += p16(m + n, sc->ee_ext == 28 ? 2 : 0);
    if (sc->ee_ext == 28)
      n += p16(m + n, 16385);
  }
  p16(m + 4, (unsigned)(n - 6));
  m[0] = 8;
  p24(m + 1, n - 4);
  return n;
}

static size_t certificate(const struct s13 *x, const struct script *sc,
                          uint8_t *m) {
  const struct zn_tls_creds *cr = x->t.creds;
  size_t n = 4;
  m[n++] = 0; /* context */
  size_t list_at = n;
  n += 3;
  for (uint32_t i = 0; !sc->cert_empty && i < cr->chain_len; i++) {
    ZT_REQUIRE_OR(n + 5 + cr->chain[i].data_len < 4096, 0);
    n += p24(m + n, cr->chain[i].data_len);
    memcpy(m + n, cr->chain[i].data, cr->chain[i].data_len);
    n += cr->chain[i].data_len;
    n += p16(m + n, 0);
  }
  p24(m + list_at, n - list_at - 3);
  if (sc->cert_trailing)
    m[n++] = 0;
  m[0] = 11;
  p24(m + 1, n - 4);
  return n;
}

static size_t certificate_verify(struct s13 *x, const struct script *sc,
                                 uint8_t *m) {
  const struct zn_tls_creds *cr = x->t.creds;
  uint16_t scheme = sc->cv_scheme ? sc->cv_scheme : 0x0403;
  uint8_t th[32], content[ZN__TLS13_CV_CONTENT_MAX], rnd[64] = {0};
  uint8_t sig[ZN__TLS13_SIG_MAX];
  thash(x, th);
  size_t clen = zn__tls13_cv_content(true, th, 32, content);
  size_t slen = zn__tls13_sign(0x0403, &cr->ec, NULL, content, clen, rnd, sig,
                               sizeof(sig));
  ZT_REQUIRE_OR(slen > 0, 0);
  if (sc->cv_bad)
    sig[slen / 2] ^= 1;
  size_t n = 4;
  n += p16(m + n, scheme);
  n += p16(m + n, (unsigned)slen);
  memcpy(m + n, sig, slen);
  n += slen;
  m[0] = 15;
  p24(m + 1, n - 4);
  return n;
}

static void finished_mac(struct s13 *x, const uint8_t *base, uint8_t *out) {
  uint8_t th[32];
  thash(x, th);
  zn__tls13_finished_mac(x->s, base, th, out);
}

static void finished(struct s13 *x, const struct script *sc, uint8_t *f,
                     size_t n);

/* The flight after the ServerHello, in records of sc->split bytes. */
static void flight(struct s13 *x, const struct script *sc) {
  static uint8_t f[8192];
  size_t n = encrypted_extensions(sc, f);
  transcript(x, f, n);
  if (sc->psk) { /* §2.2: no Certificate, no CertificateVerify */
    finished(x, sc, f, n);
    return;
  }
  if (sc->cert_request) {
    static const uint8_t cr[] = {13, 0, 0, 11, 0, 0, 8, 0,
                                 13, 0, 4, 0,  2, 4, 3};
    memcpy(f + n, cr, sizeof(cr));
    transcript(x, f + n, sizeof(cr));
    n += sizeof(cr);
  }
  ZT_REQUIRE(n < 1024);
  size_t k = certificate(x, sc, f + n);
  transcript(x, f + n, k);
  n += k;
  k = certificate_verify(x, sc, f + n);
  transcript(x, f + n, k);
  n += k;
  finished(x, sc, f, n);
}

/* Our Finished after the n bytes of flight at f, all of it sent; then
 * the application keys. */
static void finished(struct s13 *x, const struct script *sc, uint8_t *f,
                     size_t n) {
  f[n] = 20;
  p24(f + n + 1, 32);
  finished_mac(x, x->s_hs, f + n + 4);
  if (sc->fin_bad)
    f[n + 10] ^= 1;
  transcript(x, f + n, 36);
  n += 36;
  send_records(x, 22, f, n, sc->split, true);
  uint8_t th[32];
  thash(x, th);
  zn__tls13_derive_secret(x->s, x->secret, "s ap traffic", th, x->s_ap);
  zn__tls13_derive_secret(x->s, x->secret, "c ap traffic", th, x->c_ap);
  zn__tls13_keys_set(&x->wr, x->s, x->s_ap);
}

/* The client's second flight: [an empty Certificate], Finished (checked);
 * then its application keys. */
static void client_finished(struct s13 *x, bool cert) {
  run(x);
  read_records(x);
  uint8_t m[256] = {0}, want[32];
  size_t n;
  if (cert) {
    n = take_msg(x, m, sizeof(m));
    ZT_REQUIRE(n == 8);
    ZT_EQ(m[0], 11);
    transcript(x, m, n);
  }
  finished_mac(x, x->c_hs, want);
  n = take_msg(x, m, sizeof(m));
  ZT_REQUIRE(n == 36);
  ZT_EQ(m[0], 20);
  ZT_MEMEQ(m + 4, want, 32);
  zn__tls13_keys_set(&x->rd, x->s, x->c_ap);
  read_records(x); /* what came under the new keys */
}

/* The script up to the client's verdict on our flight. */
static void play(struct s13 *x, const struct script *sc) {
  s13_start(x);
  if (sc->psk) { /* a ticket for "localhost", taken at the clock's 0 */
    struct zn_tls_resume *r;
    ZT_EQ(zn_tls_resume_init(store_mem, sizeof(store_mem), 2, &r), ZN_OK);
    struct zn__tls13_resume_ticket t = {.lifetime_s = 60,
                                        .age_add = 1000,
                                        .suite = 0x1301,
                                        .psk_len = sizeof(script_psk),
                                        .ticket_len = sizeof(script_ticket)};
    memcpy(t.psk, script_psk, sizeof(script_psk));
    memcpy(t.ticket, script_ticket, sizeof(script_ticket));
    ZT_EQ(zn__tls13_resume_keep(r, "localhost", &t), ZN_OK);
    x->t.ccfg.resume = r;
  } else if (sc->store) {
    ZT_EQ(
        zn_tls_resume_init(store_mem, sizeof(store_mem), 2, &x->t.ccfg.resume),
        ZN_OK);
  }
  s13_connect(x);
  if (sc->psk)
    check_offer(x);
  ZT_CHECK(x->hello.seen & ZN__TLS13_SEEN(supported_versions));
  ZT_EQU(x->hello.session_id.len, 32);
  if (sc->tls12_downgrade) {
    uint8_t m[128];
    size_t n = 4;
    n += p16(m + n, 0x0303);
    memset(m + n, 0x11, 24);
    memcpy(m + n + 24, zn__tls13_downgrade_tls12, 8);
    n += 32;
    m[n++] = 0;
    n += p16(m + n, 0xC02B);
    m[n++] = 0;
    m[0] = 2;
    p24(m + 1, n - 4);
    send_records(x, 22, m, n, 0, false);
    run(x);
    read_records(x);
    return;
  }
  for (int i = 0; i < sc->hrr; i++) {
    hello_retry(x, sc);
    read_records(x);
    if (x->alert >= 0 || i + 1 == 2)
      return;
    ZT_REQUIRE(read_hello(x));
    ZT_EQ(x->ccs, 1); /* §D.4: before the second hello */
    if (sc->psk)
      check_offer(x); /* the binder over message_hash, HRR, hello */
  }
  hello_and_keys(x, sc);
  run(x);
  read_records(x);
  if (x->alert >= 0)
    return;
  flight(x, sc);
  run(x);
}

/* A hostile script: the client fails with `alert`, sent, and it reaches
 * the server; nothing is opened. */
static void refused(const struct script *sc, int alert) {
  static struct s13 x;
  play(&x, sc);
  read_records(&x);
  ZT_EQ(x.t.cli.opened, 0);
  ZT_EQ(x.t.cli.errors, 1);
  ZT_EQ(x.t.cli.last_err, ZN_ETLS);
  ZT_EQ(x.t.cli.fail.alert, alert);
  ZT_CHECK(x.t.cli.fail.alert_sent);
  ZT_EQ(x.alert, alert);
  ZT_EQU(x.t.cstats.v[ZN_TLS_STAT_handshakes_failed], 1);
  s13_free(&x);
}

/* ---- the handshake done right ---- */

/* Data both ways after a handshake played with sc. */
static void handshake_ok(const struct script *sc) {
  static struct s13 x;
  play(&x, sc);
  client_finished(&x, sc->cert_request);
  ZT_EQ(x.t.cli.opened, 1);
  ZT_EQ(x.t.cli.errors, 0);
  struct zn_tls_info ci;
  ZT_EQ(zn_tls_get_info(x.t.cli.s, &ci), ZN_OK);
  ZT_EQ(ci.version, 0x0304);
  ZT_EQ(ci.suite, 0x1301);
  ZT_EQ(ci.hello_retry, sc->hrr > 0);
  ZT_EQ(zn_stream_write(x.t.cli.s, "ping", 4), 4);
  run(&x);
  read_records(&x);
  ZT_EQU(x.app_len, 4);
  ZT_MEMEQ(x.app, "ping", 4);
  send_records(&x, 23, (const uint8_t *)"pong!", 5, 0, true);
  run(&x);
  ZT_EQU(x.t.cli.rx_len, 5);
  ZT_MEMEQ(x.t.cli.rx, "pong!", 5);
  ZT_EQ(x.ccs, 1);
  s13_free(&x);
}

ZT_TEST(test_handshake_and_data) {
  struct script sc = {0};
  handshake_ok(&sc);
}

/* The flight in records of 1, 7 and 100 bytes: every message split, the
 * Certificate streamed through its lengths a byte at a time. */
ZT_TEST(test_flight_split_over_records) {
  static const size_t splits[] = {1, 7, 100};
  for (size_t i = 0; i < 3; i++) {
    struct script sc = {.split = splits[i]};
    handshake_ok(&sc);
  }
}

ZT_TEST(test_hello_retry_for_p256_with_cookie) {
  struct script sc = {.hrr = 1, .hrr_group = 0x0017, .hrr_cookie = true};
  static struct s13 x;
  play(&x, &sc);
  /* The second hello: a P-256 share and the cookie. */
  ZT_CHECK(client_share(&x, 0x0017).len == 65);
  ZT_CHECK(client_share(&x, 0x001d).len == 0);
  ZT_EQU(x.hello.cookie.len, 5);
  client_finished(&x, false);
  ZT_EQ(x.t.cli.opened, 1);
  struct zn_tls_info ci;
  ZT_EQ(zn_tls_get_info(x.t.cli.s, &ci), ZN_OK);
  ZT_CHECK(ci.hello_retry);
  ZT_EQU(x.t.cstats.v[ZN_TLS_STAT_handshakes_hrr], 1);
  s13_free(&x);
}

/* §2.2: the ticket offered and taken: EncryptedExtensions and Finished,
 * no certificate; after a HelloRetryRequest, offered again with a new
 * binder. */
static void resumed(struct script *sc) {
  static struct s13 x;
  play(&x, sc);
  client_finished(&x, false);
  ZT_EQ(x.t.cli.opened, 1);
  ZT_EQ(x.t.cli.errors, 0);
  struct zn_tls_info ci;
  ZT_EQ(zn_tls_get_info(x.t.cli.s, &ci), ZN_OK);
  ZT_CHECK(ci.resumed);
  ZT_EQ(ci.hello_retry, sc->hrr > 0);
  ZT_EQU(x.t.cstats.v[ZN_TLS_STAT_tickets_offered], 1);
  ZT_EQU(x.t.cstats.v[ZN_TLS_STAT_handshakes_resumed], 1);
  ZT_EQ(zn_stream_write(x.t.cli.s, "ping", 4), 4);
  run(&x);
  read_records(&x);
  ZT_EQU(x.app_len, 4);
  s13_free(&x);
}

ZT_TEST(test_resumes_with_ticket) {
  struct script sc = {.psk = true, .sh_ext = 41};
  resumed(&sc);
}

ZT_TEST(test_resumes_after_hello_retry) {
  struct script sc = {.psk = true, .sh_ext = 41, .hrr = 1, .hrr_group = 0x0017};
  resumed(&sc);
}

ZT_TEST(test_refuses_bad_resumptions) {
  struct script id = {.psk = true, .sh_ext = 41, .psk_identity = 1};
  refused(&id, ZN__TLS13_ALERT_illegal_parameter); /* not sent */
  struct script hash = {.psk = true, .sh_ext = 41, .suite = 0x1302};
  refused(&hash, ZN__TLS13_ALERT_illegal_parameter); /* SHA-384 */
  struct script hrr = {
      .psk = true, .hrr = 1, .hrr_group = 0x0017, .hrr_psk = true};
  refused(&hrr, ZN__TLS13_ALERT_illegal_parameter); /* §4.2: not for HRR */
}

ZT_TEST(test_certificate_request_gets_an_empty_certificate) {
  struct script sc = {.cert_request = true};
  handshake_ok(&sc);
}

/* A NewSessionTicket with 18 bytes of body: lifetime 7,200 s, age_add
 * 0x01020304, nonce 00, ticket "tkt!", no extension. */
static const uint8_t script_nst[] = {4,   0,   0,   18,  0, 0, 0x1c, 0x20,
                                     1,   2,   3,   4,   1, 0, 0,    4,
                                     't', 'k', 't', '!', 0, 0};

/* §4.2.11.1: a ticket that comes long after the handshake is aged from
 * its arrival, not from the session's start: kept with the clock of the
 * record that brought it. */
ZT_TEST(test_ticket_dated_at_arrival) {
  struct script sc = {.store = true};
  static struct s13 x;
  play(&x, &sc);
  client_finished(&x, false);
  ZT_EQ(x.t.cli.opened, 1);
  tf_run(&x.t, ZN_SEC(30));
  uint64_t at_ms = x.t.p.now / ZN_MS(1);
  ZT_CHECK(at_ms >= 30000);
  send_records(&x, 22, script_nst, sizeof(script_nst), 0, true);
  run(&x);
  ZT_EQU(x.t.cstats.v[ZN_TLS_STAT_tickets_kept], 1);
  struct zn__tls13_resume_ticket t;
  ZT_REQUIRE(
      zn__tls13_resume_take(x.t.ccfg.resume, "localhost", at_ms + 1000, &t));
  ZT_CHECK(t.received_ms >= at_ms && t.received_ms <= at_ms + 50);
  ZT_EQU(t.lifetime_s, 7200);
  ZT_EQU(t.ticket_len, 4);
  ZT_MEMEQ(t.ticket, "tkt!", 4);
  s13_free(&x);
}

/* KeyUpdate asked for, answered; a ticket in between, dropped. */
ZT_TEST(test_key_update_and_ticket) {
  struct script sc = {0};
  static struct s13 x;
  play(&x, &sc);
  client_finished(&x, false);
  ZT_EQ(x.t.cli.opened, 1);
  send_records(&x, 22, script_nst, sizeof(script_nst), 0, true);
  static const uint8_t ku[5] = {24, 0, 0, 1, 1};
  send_records(&x, 22, ku, sizeof(ku), 0, true);
  uint8_t next[32];
  zn__tls13_expand_label(x.s, x.s_ap, "traffic upd", NULL, 0, next, 32);
  zn__tls13_keys_set(&x.wr, x.s, next);
  send_records(&x, 23, (const uint8_t *)"after", 5, 0, true);
  run(&x);
  ZT_EQU(x.t.cli.rx_len, 5);
  ZT_MEMEQ(x.t.cli.rx, "after", 5);
  /* Its KeyUpdate (not requesting ours), under its old key. */
  read_records(&x);
  uint8_t got[16];
  ZT_EQU(take_msg(&x, got, sizeof(got)), 5);
  ZT_MEMEQ(got, "\x18\x00\x00\x01\x00", 5);
  zn__tls13_expand_label(x.s, x.c_ap, "traffic upd", NULL, 0, next, 32);
  zn__tls13_keys_set(&x.rd, x.s, next);
  ZT_EQ(zn_stream_write(x.t.cli.s, "more", 4), 4);
  run(&x);
  read_records(&x);
  ZT_EQU(x.app_len, 4);
  ZT_MEMEQ(x.app, "more", 4);
  ZT_EQ(x.t.cli.errors, 0);
  s13_free(&x);
}

/* ---- what the client refuses ---- */

ZT_TEST(test_refuses_downgrade_sentinel) {
  struct script sc = {.tls12_downgrade = true};
  refused(&sc, ZN__TLS13_ALERT_illegal_parameter);
}

ZT_TEST(test_refuses_bad_server_hellos) {
  struct script sid = {.wrong_sid = true};
  refused(&sid, ZN__TLS13_ALERT_illegal_parameter);
  struct script suite = {.suite = 0x1304}; /* CCM: not offered */
  refused(&suite, ZN__TLS13_ALERT_illegal_parameter);
  struct script group = {.share_group = 0x0017}; /* not the share sent */
  refused(&group, ZN__TLS13_ALERT_illegal_parameter);
  struct script psk = {.sh_ext = 41}; /* pre_shared_key: none offered */
  refused(&psk, ZN__TLS13_ALERT_unsupported_extension);
  struct script cookie = {.sh_ext = 44}; /* not for a ServerHello */
  refused(&cookie, ZN__TLS13_ALERT_illegal_parameter);
  struct script stray = {.sh_not_last = true}; /* spans the key change */
  refused(&stray, ZN__TLS13_ALERT_unexpected_message);
}

ZT_TEST(test_refuses_bad_hello_retries) {
  struct script twice = {.hrr = 2, .hrr_group = 0x0017};
  refused(&twice, ZN__TLS13_ALERT_unexpected_message);
  struct script same = {.hrr = 1, .hrr_group = 0x001d}; /* changes nothing */
  refused(&same, ZN__TLS13_ALERT_illegal_parameter);
  struct script none = {.hrr = 1}; /* no group, no cookie */
  refused(&none, ZN__TLS13_ALERT_illegal_parameter);
  struct script p521 = {.hrr = 1, .hrr_group = 0x0019}; /* not offered */
  refused(&p521, ZN__TLS13_ALERT_illegal_parameter);
}

ZT_TEST(test_refuses_bad_encrypted_extensions) {
  struct script rsl = {.ee_ext = 28}; /* record_size_limit: not offered */
  refused(&rsl, ZN__TLS13_ALERT_unsupported_extension);
  struct script early = {.ee_ext = 42}; /* early_data: not offered */
  refused(&early, ZN__TLS13_ALERT_unsupported_extension);
  struct script alpn = {.alpn = "h2"}; /* no ALPN offered at all */
  refused(&alpn, ZN__TLS13_ALERT_unsupported_extension);
  struct script kx = {.ee_ext = 51}; /* key_share: not for EE */
  refused(&kx, ZN__TLS13_ALERT_illegal_parameter);
}

ZT_TEST(test_refuses_bad_certificates) {
  struct script sc = {0};
  static struct s13 x;
  /* A chain for another name, and one from a CA not trusted. */
  s13_start(&x);
  tf_creds(&x.t, ZT_PEM_WRONG_NAME_PEM, ZT_PEM_WRONG_NAME_KEY);
  s13_connect(&x);
  hello_and_keys(&x, &sc);
  run(&x);
  flight(&x, &sc);
  run(&x);
  read_records(&x);
  ZT_EQ(x.t.cli.errors, 1);
  ZT_EQ(x.t.cli.fail.failure, ZN_TLS_FAIL_name_mismatch);
  ZT_EQ(x.alert, ZN__TLS13_ALERT_bad_certificate);
  ZT_EQ(x.t.cli.fail.engine_code,
        ZN__TLS13_ERR_X509 + BR_ERR_X509_BAD_SERVER_NAME);
  s13_free(&x);
  struct script empty = {.cert_empty = true};
  refused(&empty, ZN__TLS13_ALERT_decode_error);
  struct script trailing = {.cert_trailing = true};
  refused(&trailing, ZN__TLS13_ALERT_decode_error);
}

ZT_TEST(test_refuses_bad_verify_and_finished) {
  struct script bad = {.cv_bad = true};
  refused(&bad, ZN__TLS13_ALERT_decrypt_error);
  struct script pkcs1 = {.cv_scheme = 0x0401}; /* never in a CV */
  refused(&pkcs1, ZN__TLS13_ALERT_illegal_parameter);
  struct script unoffered = {.cv_scheme = 0x0807}; /* ed25519: not offered */
  refused(&unoffered, ZN__TLS13_ALERT_illegal_parameter);
  struct script fin = {.fin_bad = true};
  refused(&fin, ZN__TLS13_ALERT_decrypt_error);
}

int main(void) {
  ZT_RUN(test_handshake_and_data);
  ZT_RUN(test_flight_split_over_records);
  ZT_RUN(test_hello_retry_for_p256_with_cookie);
  ZT_RUN(test_certificate_request_gets_an_empty_certificate);
  ZT_RUN(test_resumes_with_ticket);
  ZT_RUN(test_resumes_after_hello_retry);
  ZT_RUN(test_refuses_bad_resumptions);
  ZT_RUN(test_key_update_and_ticket);
  ZT_RUN(test_ticket_dated_at_arrival);
  ZT_RUN(test_refuses_downgrade_sentinel);
  ZT_RUN(test_refuses_bad_server_hellos);
  ZT_RUN(test_refuses_bad_hello_retries);
  ZT_RUN(test_refuses_bad_encrypted_extensions);
  ZT_RUN(test_refuses_bad_certificates);
  ZT_RUN(test_refuses_bad_verify_and_finished);
  return zt_done();
}
