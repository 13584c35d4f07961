/*
 * The TLS 1.3 client's handshake (RFC 8446 §2, §4): a full handshake
 * with (EC)DHE, the server authenticated by its certificate chain
 * (BearSSL's minimal X.509 engine: the trust anchors, the name, the
 * time) and its CertificateVerify.
 *
 * The ClientHello offers TLS 1.3 and, when the configuration allows it,
 * TLS 1.2 in the same message: its TLS 1.2 part (suites, groups, point
 * formats, signature algorithms, renegotiation_info, max_fragment_length,
 * SNI, ALPN) is exactly what BearSSL's client would offer, so that a
 * server that answers TLS 1.2 can be handed to BearSSL's engine with
 * this hello as its transcript (tls13_engine.c); the TLS 1.3 part
 * (supported_versions, key_share, a 32-byte legacy session ID for
 * middlebox compatibility, RSA-PSS schemes) is what a TLS 1.2 server
 * ignores.  A TLS 1.2 answer whose random carries §4.1.3's downgrade
 * sentinel is refused.  One share is sent, X25519; a HelloRetryRequest
 * may ask for P-256 or P-384.
 *
 * The server's messages are read as they come, over as many records as
 * they span (§5.1): each is gathered (TLS13_MSG_MAX bytes at most, a
 * limit of ours: internal_error above it) and handled whole, except the
 * Certificate, which streams into the X.509 engine and the transcript
 * (it may be any size).  A message checks what the RFC asks of it and
 * fails with the alert it names.
 *
 * Resumption (§2.2, §4.2.11, §4.6.1), with cfg->resume: the hello
 * offers psk_dhe_ke and, when the store has a ticket for the name made
 * under a suite we offer, that ticket as pre_shared_key (last), its
 * binder computed over the hello written so far.  A ServerHello that
 * takes it must keep the PSK's hash; the handshake then has no
 * Certificate nor CertificateVerify.  After a HelloRetryRequest the
 * ticket is offered again (a new binder) if the retry's suite has its
 * hash, else dropped.  Once open, each NewSessionTicket is kept in the
 * store with its PSK (from the resumption master secret and the
 * ticket's nonce); without cfg->resume it is skipped.
 */
#include <string.h>

#include "tls13_int.h"
#include "tls13_sig.h"
#include "tls13_w.h"
#include "znet/err.h"
#include "znet/wipe.h"

static const uint8_t ccs_byte = 1;

/* Signature schemes offered (§4.2.3), most preferred first.  PKCS #1
 * v1.5 is for the chain's signatures and a TLS 1.2 ServerKeyExchange;
 * it comes before RSA-PSS, which BearSSL's TLS 1.2 cannot verify, so
 * that a TLS 1.2 server picking in our order picks one BearSSL can. */
static const uint16_t our_schemes[] = {
    ZN__TLS13_SIG_ecdsa_secp256r1_sha256, ZN__TLS13_SIG_ecdsa_secp384r1_sha384,
    ZN__TLS13_SIG_ecdsa_secp521r1_sha512, ZN__TLS13_SIG_rsa_pkcs1_sha256,
    ZN__TLS13_SIG_rsa_pkcs1_sha384,       ZN__TLS13_SIG_rsa_pkcs1_sha512,
    ZN__TLS13_SIG_rsa_pss_rsae_sha256,    ZN__TLS13_SIG_rsa_pss_rsae_sha384,
    ZN__TLS13_SIG_rsa_pss_rsae_sha512,
};

#define N_SCHEMES (sizeof(our_schemes) / sizeof(our_schemes[0]))

/* Certificate fields, in order (§4.4.2). */
enum {
  CS_CTX_LEN,
  CS_LIST_LEN,
  CS_CERT_LEN,
  CS_CERT,
  CS_EXT_LEN,
  CS_EXT,
};

/* How a message's body is read. */
enum { M_GATHER, M_STREAM, M_SKIP };

static size_t cstrlen(const char *s) {
  size_t n = 0;
  while (s && s[n] != '\0')
    n++;
  return n;
}

static bool tls12_allowed(const struct zn_tls_config *cfg) {
  return cfg->suites == 0 || (cfg->suites & zn__tls_suites_of(0x0303)) != 0;
}

static uint32_t suite_mask(const struct zn_tls_config *cfg) {
  return cfg->suites ? cfg->suites : ZN_TLS_SUITES_ALL;
}

/* A TLS 1.3 suite we offered. */
static const struct zn__tls13_suite *offered_suite(const struct zn__tls13 *e,
                                                   uint16_t id) {
  uint32_t bit = zn__tls_suite_bit(id);
  if ((bit & suite_mask(e->cfg) & zn__tls_suites_of(0x0304)) == 0)
    return NULL;
  return zn__tls13_suite(id);
}

/* BearSSL's max_fragment_length (ssl_engine.c): the largest 2^u, 9..14,
 * that both buffers hold with their overhead (2^13 counts as 2^12); the
 * extension's code, or 0 for 2^14 (not sent). */
static unsigned fragment_code(const struct zn_tls_config *cfg) {
  unsigned u = zn__tls13_frag_log(cfg->out_buf, cfg->in_buf);
  return u == 14 ? 0 : u - 8;
}

/* ---- the ClientHello (§4.1.2) ---- */

static void ext_suites(struct tls13_w *w, const struct zn_tls_config *cfg) {
  uint16_t ids[ZN_TLS_NSUITES];
  size_t n = zn__tls_suite_ids(suite_mask(cfg), 0x0304, ids);
  if (tls12_allowed(cfg))
    n += zn__tls_suite_ids(suite_mask(cfg), 0x0303, ids + n);
  w_u16(w, (unsigned)n * 2);
  for (size_t i = 0; i < n; i++)
    w_u16(w, ids[i]);
}

static void ext_server_name(struct tls13_w *w, const char *name) {
  size_t len = cstrlen(name);
  w_u16(w, 0);
  w_u16(w, (unsigned)len + 5);
  w_u16(w, (unsigned)len + 3);
  w_u8(w, 0); /* host_name */
  w_u16(w, (unsigned)len);
  w_bytes(w, name, len);
}

static void ext_groups(struct tls13_w *w) {
  w_u16(w, 10);
  w_u16(w, 2 + 2 * 3);
  w_u16(w, 2 * 3);
  for (size_t i = 0; i < 3; i++)
    w_u16(w, zn__tls13_groups[i]);
}

static void ext_sig_algs(struct tls13_w *w) {
  w_u16(w, 13);
  w_u16(w, 2 + 2 * N_SCHEMES);
  w_u16(w, 2 * N_SCHEMES);
  for (size_t i = 0; i < N_SCHEMES; i++)
    w_u16(w, our_schemes[i]);
}

static void ext_alpn(struct tls13_w *w, const struct zn_tls_config *cfg) {
  w_u16(w, 16);
  size_t x = w_open(w, 2), l = w_open(w, 2);
  for (uint32_t i = 0; i < cfg->nalpn; i++) {
    size_t len = cstrlen(cfg->alpn[i]);
    w_u8(w, (unsigned)len);
    w_bytes(w, cfg->alpn[i], len);
  }
  w_close(w, l, 2);
  w_close(w, x, 2);
}

static void ext_versions(struct tls13_w *w, bool tls12) {
  w_u16(w, 43);
  w_u16(w, tls12 ? 5 : 3);
  w_u8(w, tls12 ? 4 : 2);
  w_u16(w, 0x0304);
  if (tls12)
    w_u16(w, 0x0303);
}

static void ext_key_share(struct tls13_w *w, uint16_t group, const uint8_t *pub,
                          size_t len) {
  w_u16(w, 51);
  w_u16(w, (unsigned)len + 6);
  w_u16(w, (unsigned)len + 4);
  w_u16(w, group);
  w_u16(w, (unsigned)len);
  w_bytes(w, pub, len);
}

/* §4.2.11: one identity, the ticket with its obfuscated age, and one
 * binder of zeros, filled once the hello is written (binders_at: where
 * the binders start). */
static void ext_pre_shared_key(struct tls13_w *w, const struct zn__tls13 *e,
                               size_t *binders_at) {
  const struct zn__tls13_resume_ticket *t = &e->cli->offer;
  const struct zn__tls13_suite *s = zn__tls13_suite(t->suite);
  uint32_t age = (uint32_t)(e->now_ms - t->received_ms) + t->age_add;
  w_u16(w, 41);
  size_t x = w_open(w, 2);
  w_u16(w, 2u + t->ticket_len + 4u);
  w_u16(w, t->ticket_len);
  w_bytes(w, t->ticket, t->ticket_len);
  w_u16(w, age >> 16);
  w_u16(w, age & 0xffffu);
  *binders_at = w->n;
  w_u16(w, 1u + s->hash_len);
  w_u8(w, s->hash_len);
  static const uint8_t zeros[ZN__TLS13_MAX_HASH];
  w_bytes(w, zeros, s->hash_len);
  w_close(w, x, 2);
}

/* The extensions: the TLS 1.2 part as BearSSL writes it, then TLS 1.3's. */
static void ch_extensions(struct tls13_w *w, struct zn__tls13 *e,
                          const uint8_t *pub, size_t pub_len,
                          struct zn__tls13_bytes cookie, size_t *binders_at) {
  struct tls13_cli_hs *h = e->cli;
  const struct zn_tls_config *cfg = e->cfg;
  bool tls12 = tls12_allowed(cfg);
  unsigned frag = fragment_code(cfg);
  uint64_t o = ZN__TLS13_SEEN(supported_groups) |
               ZN__TLS13_SEEN(signature_algorithms) |
               ZN__TLS13_SEEN(supported_versions) | ZN__TLS13_SEEN(key_share);
  w_u16(w, 0xff01); /* renegotiation_info (RFC 5746): the first hello's */
  w_u16(w, 1);
  w_u8(w, 0);
  o |= ZN__TLS13_SEEN(renegotiation_info);
  if (cstrlen(h->server_name)) {
    ext_server_name(w, h->server_name);
    o |= ZN__TLS13_SEEN(server_name);
  }
  if (frag) {
    w_u16(w, 1);
    w_u16(w, 1);
    w_u8(w, frag);
    o |= ZN__TLS13_SEEN(max_fragment_length);
  }
  ext_sig_algs(w);
  ext_groups(w);
  if (tls12) { /* ec_point_formats: uncompressed */
    static const uint8_t pf[6] = {0, 11, 0, 2, 1, 0};
    w_bytes(w, pf, sizeof(pf));
    o |= ZN__TLS13_SEEN(ec_point_formats);
  }
  if (cfg->alpn && cfg->nalpn) {
    ext_alpn(w, cfg);
    o |= ZN__TLS13_SEEN(alpn);
  }
  ext_versions(w, tls12);
  ext_key_share(w, h->group, pub, pub_len);
  if (cookie.len) { /* §4.2.2: the HelloRetryRequest's, echoed */
    w_u16(w, 44);
    w_u16(w, (unsigned)cookie.len + 2);
    w_u16(w, (unsigned)cookie.len);
    w_bytes(w, cookie.p, cookie.len);
    o |= ZN__TLS13_SEEN(cookie);
  }
  if (cfg->resume) { /* §4.2.9: psk_dhe_ke only */
    static const uint8_t modes[6] = {0, 45, 0, 2, 1, 1};
    w_bytes(w, modes, sizeof(modes));
    o |= ZN__TLS13_SEEN(psk_key_exchange_modes);
  }
  if (h->psk_offered) { /* §4.2.11: the last extension */
    ext_pre_shared_key(w, e, binders_at);
    o |= ZN__TLS13_SEEN(pre_shared_key);
  }
  h->offered = o;
}

/* §4.2.11.2: the binder, over the transcript so far (after a
 * HelloRetryRequest; else nothing) and the hello up to its binders. */
static void fill_binder(struct zn__tls13 *e, size_t binders_at) {
  struct tls13_cli_hs *h = e->cli;
  const struct zn__tls13_suite *s = zn__tls13_suite(h->offer.suite);
  br_hash_compat_context c;
  uint8_t th[ZN__TLS13_MAX_HASH];
  if (h->hrr)
    c = h->th;
  else
    s->hash->init(&c.vtable);
  s->hash->update(&c.vtable, h->ch, binders_at);
  s->hash->out(&c.vtable, th);
  zn__tls13_binder(s, h->early, th, h->ch + binders_at + 3);
}

/* Our ClientHello into ch, with a fresh key pair for h->group (and the
 * cookie of a HelloRetryRequest, if any).  False if it does not fit. */
static bool write_client_hello(struct zn__tls13 *e,
                               struct zn__tls13_bytes cookie) {
  struct tls13_cli_hs *h = e->cli;
  uint8_t pub[BR_EC_KBUF_PUB_MAX_SIZE];
  size_t pub_len, sk_len;
  if (!zn__tls13_keygen(&h->rng, h->group, h->sk, &sk_len, pub, &pub_len))
    return false;
  h->sk_len = (uint8_t)sk_len;
  struct tls13_w w = {h->ch, 0, sizeof(h->ch), false};
  size_t m = w_hs_header(&w, ZN__TLS13_HS_client_hello);
  w_u16(&w, 0x0303);
  w_bytes(&w, h->random, 32);
  w_u8(&w, 32);
  w_bytes(&w, h->session_id, 32);
  ext_suites(&w, e->cfg);
  w_u8(&w, 1); /* compression: null only */
  w_u8(&w, 0);
  size_t x = w_open(&w, 2), binders_at = 0;
  ch_extensions(&w, e, pub, pub_len, cookie, &binders_at);
  w_close(&w, x, 2);
  w_close(&w, m, 3);
  h->ch_len = (uint16_t)w.n;
  if (w.full)
    return false;
  if (h->psk_offered)
    fill_binder(e, binders_at);
  return true;
}

/* A ticket for the name from cfg->resume, if it was made under a suite
 * we offer (its hash is the PSK's). */
static void take_ticket(struct zn__tls13 *e) {
  struct tls13_cli_hs *h = e->cli;
  const struct zn_tls_config *cfg = e->cfg;
  if (cfg->resume == NULL ||
      !zn__tls13_resume_take(cfg->resume, h->server_name, e->now_ms, &h->offer))
    return;
  if (offered_suite(e, h->offer.suite) == NULL) {
    zn_wipe(&h->offer, sizeof(h->offer));
    return;
  }
  /* The binders and the key schedule need only its early secret. */
  zn__tls13_early_secret(zn__tls13_suite(h->offer.suite), h->offer.psk,
                         h->early);
  zn_wipe(h->offer.psk, sizeof(h->offer.psk));
  h->psk_offered = true;
  if (cfg->stats)
    cfg->stats->v[ZN_TLS_STAT_tickets_offered]++;
}

int zn__tls13_cli_start(struct zn__tls13 *e, const char *server_name,
                        uint64_t now) {
  struct tls13_cli_hs *h = e->cli;
  static const struct zn__tls13_bytes none = {NULL, 0};
  h->server_name = server_name;
  h->now = now;
  zn__tls_x509_init(&h->xc, e->cfg, now);
  br_hmac_drbg_generate(&h->rng, h->random, sizeof(h->random));
  br_hmac_drbg_generate(&h->rng, h->session_id, sizeof(h->session_id));
  h->group = zn__tls13_groups[0];
  take_ticket(e);
  if (!write_client_hello(e, none) ||
      !zn__tls13_queue(&h->fl, h->ch, h->ch_len, K_PLAIN_HS))
    return ZN_ETLS;
  zn__tls13_enter(e, P_WAIT_SH);
  return ZN_OK;
}

const uint8_t *zn__tls13_cli_hello(const struct zn__tls13 *e, size_t *len) {
  *len = e->cli->ch_len;
  return e->cli->ch;
}

/* ---- the transcript ---- */

static void hash_msg(struct zn__tls13 *e, const uint8_t *p, size_t len) {
  e->suite->hash->update(&e->cli->th.vtable, p, len);
}

static void transcript_hash(struct zn__tls13 *e, uint8_t *out) {
  e->suite->hash->out(&e->cli->th.vtable, out);
}

/* ---- ServerHello, HelloRetryRequest (§4.1.3, §4.1.4) ---- */

static bool session_id_echoed(const struct tls13_cli_hs *h,
                              struct zn__tls13_bytes id) {
  return id.len == sizeof(h->session_id) &&
         memcmp(id.p, h->session_id, id.len) == 0;
}

/* A TLS 1.2 answer: BearSSL's, unless it breaks §4.1.3. */
static int tls12_hello(struct zn__tls13 *e,
                       const struct zn__tls13_server_hello *sh,
                       const uint8_t *msg, size_t len) {
  if (e->phase == P_WAIT_SH2)
    return ZN__TLS13_ALERT_illegal_parameter; /* §4.1.4: 1.3 after HRR */
  if (sh->legacy_version != 0x0303 || !tls12_allowed(e->cfg))
    return ZN__TLS13_ALERT_protocol_version;
  if (memcmp(sh->random + 24, zn__tls13_downgrade_tls12, 8) == 0)
    return ZN__TLS13_ALERT_illegal_parameter; /* a downgrade */
  /* BearSSL is handed the record at ibuf: the hello must start it, else
   * (gathered from records) that record is remade (tls12_record). */
  e->cli->tls12_remake = msg != e->ibuf + ZN__TLS13_HDR_LEN;
  e->cli->tls12_hello = msg;
  e->cli->tls12_hello_len = len;
  zn__tls13_enter(e, P_TLS12);
  return 0;
}

/* The TLS 1.2 ServerHello was gathered from records (into h->msg), or
 * did not start its record: BearSSL reads records, so the one at ibuf
 * is remade as the hello whole, then what followed it in the record
 * (rest, len bytes, in ibuf), before BearSSL's engine takes the memory
 * h->msg lives in. */
static void tls12_record(struct zn__tls13 *e, const uint8_t *rest, size_t len) {
  struct tls13_cli_hs *h = e->cli;
  size_t hello = h->tls12_hello_len, body = hello + len;
  uint8_t *rec = e->ibuf;
  if (body > ZN__TLS13_MAX_PLAIN || ZN__TLS13_HDR_LEN + body > e->ibuf_len) {
    zn__tls13_fail(e, ZN__TLS13_ALERT_internal_error); /* a limit of ours */
    return;
  }
  if (h->tls12_hello == h->msg) {
    memmove(rec + ZN__TLS13_HDR_LEN + hello, rest, len);
    memcpy(rec + ZN__TLS13_HDR_LEN, h->msg, hello);
  } else { /* in this record, the rest after it */
    memmove(rec + ZN__TLS13_HDR_LEN, h->tls12_hello, body);
  }
  rec[0] = ZN__TLS13_CT_handshake; /* its version bytes stay */
  rec[3] = (uint8_t)(body >> 8);
  rec[4] = (uint8_t)body;
}

/* What a ServerHello and a HelloRetryRequest both must be. */
static int check_hello(struct zn__tls13 *e,
                       const struct zn__tls13_server_hello *sh,
                       uint64_t allowed) {
  if (sh->version != 0x0304 || sh->legacy_version != 0x0303 ||
      !session_id_echoed(e->cli, sh->session_id) || sh->compression != 0 ||
      offered_suite(e, sh->suite) == NULL)
    return ZN__TLS13_ALERT_illegal_parameter;
  if (sh->seen & ~allowed)
    return ZN__TLS13_ALERT_unsupported_extension;
  return 0;
}

static bool our_group(uint16_t g) {
  for (size_t i = 0; i < 3; i++)
    if (zn__tls13_groups[i] == g)
      return true;
  return false;
}

static int hello_retry(struct zn__tls13 *e,
                       const struct zn__tls13_server_hello *sh,
                       const uint8_t *msg, size_t len) {
  struct tls13_cli_hs *h = e->cli;
  if (e->phase == P_WAIT_SH2)
    return ZN__TLS13_ALERT_unexpected_message; /* §4.1.4: a second */
  int a = check_hello(e, sh,
                      (h->offered & ~ZN__TLS13_SEEN(pre_shared_key)) |
                          ZN__TLS13_SEEN(cookie));
  if (a)
    return a;
  /* §4.1.4: a group of ours that we did not send, or a cookie. */
  if (sh->share_group
          ? !our_group(sh->share_group) || sh->share_group == h->group
          : sh->cookie.len == 0)
    return ZN__TLS13_ALERT_illegal_parameter;
  e->suite = offered_suite(e, sh->suite);
  h->hrr_suite = sh->suite;
  e->suite->hash->init(&h->th.vtable);
  hash_msg(e, h->ch, h->ch_len);
  zn__tls13_restart_transcript(e->suite, &h->th);
  hash_msg(e, msg, len);
  if (sh->share_group)
    h->group = sh->share_group;
  /* §4.1.4: a PSK whose hash is not the retry's suite's is left out;
   * the binder covers the exchange so far (h->hrr). */
  if (h->psk_offered && zn__tls13_suite(h->offer.suite)->hash != e->suite->hash)
    h->psk_offered = false;
  h->hrr = true;
  if (!write_client_hello(e, sh->cookie))
    return ZN__TLS13_ALERT_internal_error;
  hash_msg(e, h->ch, h->ch_len);
  /* §D.4: our change_cipher_spec goes before the second hello. */
  if (!zn__tls13_queue(&h->fl, &ccs_byte, 1, K_CCS) ||
      !zn__tls13_queue(&h->fl, h->ch, h->ch_len, K_PLAIN_HS))
    return ZN__TLS13_ALERT_internal_error;
  h->ccs_sent = true;
  e->hello_retry = true;
  zn__tls13_enter(e, P_WAIT_SH2);
  return 0;
}

/* The ServerHello: the key exchange, the handshake's keys (§7.1). */
static int server_hello(struct zn__tls13 *e,
                        const struct zn__tls13_server_hello *sh,
                        const uint8_t *msg, size_t len, bool last) {
  struct tls13_cli_hs *h = e->cli;
  int a = check_hello(e, sh, h->offered);
  if (a)
    return a;
  if ((h->hrr && sh->suite != h->hrr_suite) || sh->share_group != h->group ||
      sh->share.len == 0)
    return ZN__TLS13_ALERT_illegal_parameter;
  if (!last)
    return ZN__TLS13_ALERT_unexpected_message; /* spans the key change */
  if (!h->hrr) {
    e->suite = offered_suite(e, sh->suite);
    e->suite->hash->init(&h->th.vtable);
    hash_msg(e, h->ch, h->ch_len);
  }
  /* §4.2.11: the one identity we sent, with a suite of its hash. */
  e->resumed = (sh->seen & ZN__TLS13_SEEN(pre_shared_key)) != 0;
  if (e->resumed && (sh->psk_identity != 0 ||
                     zn__tls13_suite(h->offer.suite)->hash != e->suite->hash))
    return ZN__TLS13_ALERT_illegal_parameter;
  hash_msg(e, msg, len);
  uint8_t shared[66], th[ZN__TLS13_MAX_HASH];
  size_t shared_len;
  a = zn__tls13_ecdh(h->group, h->sk, h->sk_len, sh->share, shared,
                     &shared_len);
  zn_wipe(h->sk, sizeof(h->sk));
  if (a)
    return a;
  zn__tls13_handshake_secret(e->suite, e->resumed ? h->early : NULL, shared,
                             shared_len, h->secret);
  zn_wipe(shared, sizeof(shared));
  zn_wipe(h->early, sizeof(h->early));
  transcript_hash(e, th);
  zn__tls13_handshake_traffic(e->suite, h->secret, th, h->c_hs, h->s_hs);
  zn__tls13_set_read(e, h->s_hs);
  /* §D.4: our change_cipher_spec now (before the encrypted flight), then
   * what we send is under the handshake keys, alerts included. */
  if ((!h->ccs_sent && !zn__tls13_queue(&h->fl, &ccs_byte, 1, K_CCS)) ||
      !zn__tls13_queue(&h->fl, h->c_hs, 0, K_KEYS))
    return ZN__TLS13_ALERT_internal_error;
  h->ccs_sent = true;
  zn__tls13_enter(e, P_WAIT_EE);
  return 0;
}

static int any_hello(struct zn__tls13 *e, const uint8_t *msg, size_t len,
                     bool last) {
  struct zn__tls13_server_hello sh;
  int a = zn__tls13_parse_server_hello(msg, len, &sh);
  if (a)
    return a;
  if (!(sh.seen & ZN__TLS13_SEEN(supported_versions)))
    return tls12_hello(e, &sh, msg, len);
  if (sh.hrr)
    return hello_retry(e, &sh, msg, len);
  return server_hello(e, &sh, msg, len, last);
}

/* ---- EncryptedExtensions, CertificateRequest (§4.3) ---- */

/* RFC 7301 §3.1: the server's protocol, one of ours; its index. */
static int alpn_index(const struct zn__tls13 *e, struct zn__tls13_bytes name) {
  for (uint32_t i = 0; e->cfg->alpn && i < e->cfg->nalpn; i++)
    if (cstrlen(e->cfg->alpn[i]) == name.len &&
        memcmp(e->cfg->alpn[i], name.p, name.len) == 0)
      return (int)i;
  return -1;
}

static int encrypted_extensions(struct zn__tls13 *e, const uint8_t *msg,
                                size_t len) {
  struct tls13_cli_hs *h = e->cli;
  struct zn__tls13_encrypted_extensions ee;
  int a = zn__tls13_parse_encrypted_extensions(msg, len, &ee);
  if (a)
    return a;
  if (ee.seen & ~h->offered)
    return ZN__TLS13_ALERT_unsupported_extension;
  if (ee.seen & ZN__TLS13_SEEN(alpn)) {
    e->alpn = alpn_index(e, ee.alpn);
    if (e->alpn < 0)
      return ZN__TLS13_ALERT_illegal_parameter;
  }
  if ((ee.seen & ZN__TLS13_SEEN(max_fragment_length)) &&
      ee.max_fragment_length != fragment_code(e->cfg))
    return ZN__TLS13_ALERT_illegal_parameter; /* RFC 6066 §4 */
  hash_msg(e, msg, len);
  /* §2.2: a resumed server is authenticated by the PSK: Finished next. */
  zn__tls13_enter(e, e->resumed ? P_WAIT_SFIN : P_WAIT_CERT_CR);
  return 0;
}

/* §4.3.2: answered with an empty Certificate (we have none to give); the
 * server decides whether that will do. */
static int certificate_request(struct zn__tls13 *e, const uint8_t *msg,
                               size_t len) {
  struct zn__tls13_certificate_request cr;
  int a = zn__tls13_parse_certificate_request(msg, len, &cr);
  if (a)
    return a;
  if (cr.context.len != 0)
    return ZN__TLS13_ALERT_illegal_parameter; /* in the handshake: empty */
  hash_msg(e, msg, len);
  e->cli->cert_requested = true;
  zn__tls13_enter(e, P_WAIT_CERT);
  return 0;
}

/* ---- Certificate (§4.4.2), streamed ---- */

/* The alert §6.2 has for BearSSL's X.509 verdict. */
int zn__tls13_x509_alert(int code) {
  switch (code) {
  case BR_ERR_X509_EXPIRED:
    return ZN__TLS13_ALERT_certificate_expired;
  case BR_ERR_X509_NOT_TRUSTED:
    return ZN__TLS13_ALERT_unknown_ca;
  default:
    return ZN__TLS13_ALERT_bad_certificate;
  }
}

static void cert_begin(struct zn__tls13 *e) {
  struct tls13_cli_hs *h = e->cli;
  h->cs = CS_CTX_LEN;
  h->num = 0;
  h->num_left = 1;
  h->ncerts = 0;
  h->list_left = 0;
  const br_x509_class **x = &h->xc.vtable;
  (*x)->start_chain(x, h->server_name);
}

/* A field's bytes are all in: the next field. */
static void cert_field_done(struct tls13_cli_hs *h) {
  const br_x509_class **x = &h->xc.vtable;
  if (h->cs == CS_CERT) {
    (*x)->end_cert(x);
    h->ncerts++;
    h->cs = CS_EXT_LEN;
    h->num_left = 2;
  } else { /* the entry's extensions (OCSP, SCT): not read */
    h->cs = CS_CERT_LEN;
    h->num_left = 3;
  }
  h->num = 0;
}

/* A length of the next field is whole: what it announces. */
static int cert_length(struct zn__tls13 *e) {
  struct tls13_cli_hs *h = e->cli;
  size_t left = h->want - h->got; /* of the message, after the length */
  const br_x509_class **x = &h->xc.vtable;
  switch (h->cs) {
  case CS_CTX_LEN: /* §4.4.2: empty for a server's */
    if (h->num != 0)
      return ZN__TLS13_ALERT_illegal_parameter;
    h->cs = CS_LIST_LEN;
    h->num = 0;
    h->num_left = 3;
    return 0;
  case CS_LIST_LEN:
    if (h->num != left)
      return ZN__TLS13_ALERT_decode_error;
    if (h->num == 0)
      return ZN__TLS13_ALERT_decode_error; /* §4.4.2.4: no certificate */
    h->list_left = h->num;
    h->cs = CS_CERT_LEN;
    h->num = 0;
    h->num_left = 3;
    return 0;
  case CS_CERT_LEN: /* its 3 bytes, the DER, 2 of extensions' length */
    if (h->num == 0 || 3 + (size_t)h->num + 2 > h->list_left)
      return ZN__TLS13_ALERT_decode_error;
    h->list_left -= 3 + (size_t)h->num;
    h->field_left = h->num;
    h->cs = CS_CERT;
    (*x)->start_cert(x, h->num);
    return 0;
  case CS_EXT_LEN:
    h->list_left -= 2;
    if (h->num > h->list_left)
      return ZN__TLS13_ALERT_decode_error;
    h->list_left -= h->num;
    h->field_left = h->num;
    h->cs = CS_EXT;
    if (h->num == 0)
      cert_field_done(h);
    return 0;
  default:
    return ZN__TLS13_ALERT_internal_error;
  }
}

/* Bytes of the Certificate's body (no more than it has left): what of
 * p was taken, or the alert in *alert. */
static size_t cert_bytes(struct zn__tls13 *e, const uint8_t *p, size_t len,
                         int *alert) {
  struct tls13_cli_hs *h = e->cli;
  const br_x509_class **x = &h->xc.vtable;
  size_t k = 0;
  *alert = 0;
  while (k < len && *alert == 0) {
    if (h->cs == CS_CERT || h->cs == CS_EXT) {
      size_t n = h->field_left < len - k ? h->field_left : len - k;
      if (h->cs == CS_CERT)
        (*x)->append(x, p + k, n);
      k += n;
      h->got += n;
      h->field_left -= n;
      if (h->field_left == 0)
        cert_field_done(h);
      continue;
    }
    h->num = h->num << 8 | p[k++]; /* a byte of a length */
    h->got++;
    if (--h->num_left == 0)
      *alert = cert_length(e);
  }
  return k;
}

/* The whole Certificate is in: the chain's verdict. */
static int cert_end(struct zn__tls13 *e) {
  struct tls13_cli_hs *h = e->cli;
  const br_x509_class **x = &h->xc.vtable;
  if (h->cs != CS_CERT_LEN || h->num_left != 3 || h->list_left != 0 ||
      h->ncerts == 0)
    return ZN__TLS13_ALERT_decode_error;
  unsigned err = (*x)->end_chain(x);
  if (err != 0) {
    zn__tls13_fail_code(e, zn__tls13_x509_alert((int)err),
                        ZN__TLS13_ERR_X509 + (int)err);
    return -1;
  }
  zn__tls13_enter(e, P_WAIT_CV);
  return 0;
}

/* ---- CertificateVerify, Finished (§4.4.3, §4.4.4) ---- */

static bool scheme_offered(uint16_t scheme) {
  for (size_t i = 0; i < N_SCHEMES; i++)
    if (our_schemes[i] == scheme)
      return true;
  return false;
}

static int certificate_verify(struct zn__tls13 *e, const uint8_t *msg,
                              size_t len) {
  struct tls13_cli_hs *h = e->cli;
  struct zn__tls13_certificate_verify cv;
  int a = zn__tls13_parse_certificate_verify(msg, len, &cv);
  if (a)
    return a;
  /* §4.4.3: a scheme we offered, never PKCS #1 v1.5 here. */
  if (!scheme_offered(cv.scheme) || (cv.scheme & 0xff) == 0x01)
    return ZN__TLS13_ALERT_illegal_parameter;
  unsigned usages = 0;
  const br_x509_class **x = &h->xc.vtable;
  const br_x509_pkey *pk = (*x)->get_pkey(x, &usages);
  if (pk == NULL || !(usages & BR_KEYTYPE_SIGN))
    return ZN__TLS13_ALERT_bad_certificate;
  uint8_t th[ZN__TLS13_MAX_HASH], content[ZN__TLS13_CV_CONTENT_MAX];
  transcript_hash(e, th);
  size_t clen = zn__tls13_cv_content(true, th, e->suite->hash_len, content);
  if (!zn__tls13_verify(cv.scheme, pk, content, clen, cv.signature.p,
                        cv.signature.len))
    return ZN__TLS13_ALERT_decrypt_error;
  hash_msg(e, msg, len);
  zn__tls13_enter(e, P_WAIT_SFIN);
  return 0;
}

/* Our second flight, under the handshake keys: [an empty Certificate],
 * Finished; then the application keys. */
static int queue_finished(struct zn__tls13 *e) {
  struct tls13_cli_hs *h = e->cli;
  const struct zn__tls13_suite *s = e->suite;
  struct tls13_w w = {h->fin, 0, sizeof(h->fin), false};
  uint8_t th[ZN__TLS13_MAX_HASH], mac[ZN__TLS13_MAX_HASH];
  if (h->cert_requested) {
    static const uint8_t empty_cert[8] = {ZN__TLS13_HS_certificate, 0, 0, 4};
    w_bytes(&w, empty_cert, sizeof(empty_cert));
    hash_msg(e, empty_cert, sizeof(empty_cert));
  }
  transcript_hash(e, th);
  zn__tls13_finished_mac(s, h->c_hs, th, mac);
  size_t m = w_hs_header(&w, ZN__TLS13_HS_finished);
  w_bytes(&w, mac, s->hash_len);
  w_close(&w, m, 3);
  hash_msg(e, w.b + m - 1, 4 + s->hash_len);
  if (e->cfg->resume) { /* §7.1: the resumption master secret */
    transcript_hash(e, th);
    zn__tls13_derive_secret(s, h->secret, "res master", th, h->res);
  }
  bool ok = !w.full && zn__tls13_queue(&h->fl, h->fin, w.n, K_ENC_HS) &&
            zn__tls13_queue(&h->fl, h->c_ap, 0, K_KEYS);
  return ok ? 0 : ZN__TLS13_ALERT_internal_error;
}

static int server_finished(struct zn__tls13 *e, const uint8_t *msg, size_t len,
                           bool last) {
  struct tls13_cli_hs *h = e->cli;
  const struct zn__tls13_suite *s = e->suite;
  uint8_t th[ZN__TLS13_MAX_HASH], mac[ZN__TLS13_MAX_HASH];
  if (len != 4u + s->hash_len)
    return ZN__TLS13_ALERT_decode_error;
  transcript_hash(e, th);
  zn__tls13_finished_mac(s, h->s_hs, th, mac);
  if (!zn__tls13_ct_equal(msg + 4, mac, s->hash_len))
    return ZN__TLS13_ALERT_decrypt_error;
  if (!last)
    return ZN__TLS13_ALERT_unexpected_message; /* spans the key change */
  hash_msg(e, msg, len);
  transcript_hash(e, th);
  zn__tls13_application_traffic(s, h->secret, th, h->c_ap, h->s_ap);
  zn__tls13_set_read(e, h->s_ap);
  int a = queue_finished(e);
  if (a == 0)
    zn__tls13_enter(e, P_OPEN);
  return a;
}

/* ---- the server's messages, one by one ---- */

/* What a message type gets in this phase: its expected type (0: none
 * may come) decides; M_STREAM and M_SKIP are read as they come. */
static int mode_of(const struct zn__tls13 *e, uint8_t type) {
  if (type == ZN__TLS13_HS_certificate &&
      (e->phase == P_WAIT_CERT_CR || e->phase == P_WAIT_CERT))
    return M_STREAM;
  if (type == ZN__TLS13_HS_new_session_ticket && e->phase == P_OPEN)
    return e->cfg->resume ? M_GATHER : M_SKIP;
  return M_GATHER;
}

/* §4.6.1: a ticket, kept with its PSK (from the resumption master
 * secret and its nonce) unless it is longer than a store's slot or says
 * not to (a lifetime of 0). */
static int ticket_received(struct zn__tls13 *e, const uint8_t *msg,
                           size_t len) {
  struct tls13_cli_hs *h = e->cli;
  const struct zn__tls13_suite *s = e->suite;
  struct zn_tls_stats *st = e->cfg->stats;
  struct zn__tls13_new_session_ticket nst;
  int a = zn__tls13_parse_new_session_ticket(msg, len, &nst);
  if (a)
    return a;
  if (nst.lifetime == 0)
    return 0;
  if (nst.ticket.len > ZN_TLS_RESUME_TICKET_MAX) {
    if (st)
      st->v[ZN_TLS_STAT_tickets_too_long]++;
    return 0;
  }
  struct zn__tls13_resume_ticket t;
  t.received_ms = e->now_ms;
  t.lifetime_s = nst.lifetime;
  t.age_add = nst.age_add;
  t.suite = s->id;
  t.psk_len = (uint8_t)s->hash_len;
  zn__tls13_expand_label(s, h->res, "resumption", nst.nonce.p, nst.nonce.len,
                         t.psk, s->hash_len);
  t.ticket_len = (uint16_t)nst.ticket.len;
  memcpy(t.ticket, nst.ticket.p, nst.ticket.len);
  if (zn__tls13_resume_keep(e->cfg->resume, h->server_name, &t) == ZN_OK && st)
    st->v[ZN_TLS_STAT_tickets_kept]++;
  zn_wipe(t.psk, sizeof(t.psk));
  return 0;
}

/* A whole message (gathered, or in place in its record). */
static int handle(struct zn__tls13 *e, const uint8_t *msg, size_t len,
                  bool last) {
  uint8_t type = msg[0];
  switch (e->phase) {
  case P_WAIT_SH:
  case P_WAIT_SH2:
    if (type == ZN__TLS13_HS_server_hello)
      return any_hello(e, msg, len, last);
    break;
  case P_WAIT_EE:
    if (type == ZN__TLS13_HS_encrypted_extensions)
      return encrypted_extensions(e, msg, len);
    break;
  case P_WAIT_CERT_CR:
    if (type == ZN__TLS13_HS_certificate_request)
      return certificate_request(e, msg, len);
    break;
  case P_WAIT_CV:
    if (type == ZN__TLS13_HS_certificate_verify)
      return certificate_verify(e, msg, len);
    break;
  case P_WAIT_SFIN:
    if (type == ZN__TLS13_HS_finished)
      return server_finished(e, msg, len, last);
    break;
  case P_OPEN:
    if (type == ZN__TLS13_HS_key_update) {
      zn__tls13_key_update_received(e, msg, len, last);
      return 0;
    }
    if (type == ZN__TLS13_HS_new_session_ticket)
      return ticket_received(e, msg, len);
    break;
  default:
    break;
  }
  return ZN__TLS13_ALERT_unexpected_message;
}

static void failed(struct zn__tls13 *e, int alert) {
  if (alert > 0)
    zn__tls13_fail(e, alert);
}

/* Is a message of this type one the phase reads? */
static bool expected(const struct zn__tls13 *e, uint8_t type) {
  switch (e->phase) {
  case P_WAIT_SH:
  case P_WAIT_SH2:
    return type == ZN__TLS13_HS_server_hello;
  case P_WAIT_EE:
    return type == ZN__TLS13_HS_encrypted_extensions;
  case P_WAIT_CERT_CR:
    return type == ZN__TLS13_HS_certificate_request ||
           type == ZN__TLS13_HS_certificate;
  case P_WAIT_CERT:
    return type == ZN__TLS13_HS_certificate;
  case P_WAIT_CV:
    return type == ZN__TLS13_HS_certificate_verify;
  case P_WAIT_SFIN:
    return type == ZN__TLS13_HS_finished;
  case P_OPEN:
    return type == ZN__TLS13_HS_key_update ||
           type == ZN__TLS13_HS_new_session_ticket;
  default:
    return false;
  }
}

/* The header of a message read piecewise is whole. */
static void begin_msg(struct zn__tls13 *e) {
  struct tls13_cli_hs *h = e->cli;
  h->want = (size_t)h->hdr[1] << 16 | (size_t)h->hdr[2] << 8 | h->hdr[3];
  h->got = 0;
  if (!expected(e, h->hdr[0])) {
    zn__tls13_fail(e, ZN__TLS13_ALERT_unexpected_message);
    return;
  }
  h->mode = (uint8_t)mode_of(e, h->hdr[0]);
  switch (h->mode) {
  case M_STREAM:
    hash_msg(e, h->hdr, 4);
    cert_begin(e);
    return;
  case M_SKIP:
    return;
  default:
    if (4 + h->want <= sizeof(h->msg)) {
      memcpy(h->msg, h->hdr, 4);
    } else if (h->hdr[0] == ZN__TLS13_HS_new_session_ticket) {
      h->mode = M_SKIP; /* a ticket longer than a store's slot */
      if (e->cfg->stats)
        e->cfg->stats->v[ZN_TLS_STAT_tickets_too_long]++;
    } else {
      zn__tls13_fail(e, ZN__TLS13_ALERT_internal_error); /* ours */
    }
  }
}

/* Body bytes of the message being read: what of p was taken. */
static size_t body_bytes(struct zn__tls13 *e, const uint8_t *p, size_t len) {
  struct tls13_cli_hs *h = e->cli;
  size_t n = h->want - h->got < len ? h->want - h->got : len;
  int alert = 0;
  switch (h->mode) {
  case M_STREAM:
    hash_msg(e, p, n);
    n = cert_bytes(e, p, n, &alert);
    failed(e, alert);
    return n;
  case M_SKIP:
    h->got += n;
    return n;
  default:
    memcpy(h->msg + 4 + h->got, p, n);
    h->got += n;
    return n;
  }
}

/* The message being read is whole (last: it ends its record). */
static void end_msg(struct zn__tls13 *e, bool last) {
  struct tls13_cli_hs *h = e->cli;
  h->hdr_len = 0;
  switch (h->mode) {
  case M_STREAM:
    failed(e, cert_end(e));
    return;
  case M_SKIP:
    return;
  default:
    failed(e, handle(e, h->msg, 4 + h->want, last));
  }
}

static size_t msg_len(const uint8_t *p) {
  return 4 + ((size_t)p[1] << 16 | (size_t)p[2] << 8 | p[3]);
}

static bool reading(const struct zn__tls13 *e) {
  return e->phase != P_CLOSED && e->phase != P_TLS12;
}

void zn__tls13_cli_bytes(struct zn__tls13 *e, const uint8_t *p, size_t len) {
  struct tls13_cli_hs *h = e->cli;
  while (len > 0 && reading(e)) {
    if (h->hdr_len == 0 && len >= 4 && msg_len(p) <= len &&
        mode_of(e, p[0]) == M_GATHER) { /* whole, in place */
      size_t n = msg_len(p);
      failed(e, handle(e, p, n, n == len));
      p += n;
      len -= n;
      continue;
    }
    if (h->hdr_len < 4) {
      h->hdr[h->hdr_len++] = *p++;
      len--;
      if (h->hdr_len == 4) {
        begin_msg(e);
        if (reading(e) && h->want == 0)
          end_msg(e, len == 0);
      }
      continue;
    }
    size_t k = body_bytes(e, p, len);
    p += k;
    len -= k;
    if (reading(e) && h->got == h->want)
      end_msg(e, len == 0);
  }
  if (e->phase == P_TLS12 && h->tls12_remake)
    tls12_record(e, p, len);
}
