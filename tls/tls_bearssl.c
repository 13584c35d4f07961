/*
 * The BearSSL engine of libznet-tls (struct zn__tls_engine, tls_int.h).
 *
 * Each session is a br_ssl_server_context, or a br_ssl_client_context
 * with a br_x509_minimal_context, in the session's memory, configured by
 * hand rather than by BearSSL's init_full profiles, so that the policy is
 * exactly znet's: TLS 1.2 only (RFC 5246), the ECDHE suites of
 * ZN_TLS_SUITES (RFC 8422, RFC 5289, RFC 7905), SHA-256/384/512 for
 * signatures and certificates, no renegotiation (BR_OPT_NO_RENEGOTIATION).
 * The server signs with its one key (set_single_ec or set_single_rsa,
 * BR_KEYTYPE_SIGN only), which is what makes it pick a suite of its key's
 * kind.  A server that stands in for a TLS 1.3 one marks its
 * ServerHello.random with RFC 8446 §4.1.3's downgrade sentinel, through
 * a hook on the engine's handshake runs (eng.hsrun, below).  Every
 * elliptic curve is zn__tls_ec's (tls13_p256.c: P-256 in the
 * project's 64-bit code, the others BearSSL's): ECDHE, the server's ECDSA
 * signatures (zn__tls_ecdsa_sign), the client's ECDSA checks.  The
 * client validates the chain with the minimal X.509 engine:
 * trust anchors, the name, the time (from the configuration's clock),
 * RSA keys of 2048 bits or more.
 *
 * Entropy: each session's HMAC-DRBG gets the 32 bytes the glue takes from
 * the stack's CSPRNG.  BearSSL 0.6 also tries its operating system seeder
 * once per context at reset (getrandom, /dev/urandom, RDRAND:
 * br_ssl_engine_init_rand), whatever was injected; the session marks that
 * attempt done (the context's rng_os_rand_done, a field BearSSL leaves
 * opaque), so that the stack's seed is the only source, a unikernel needs
 * none, and a run with a fixed seed repeats byte for byte.  Likewise the
 * client always sets the validation time: with none, BearSSL would read
 * time(2).
 */
#include "tls_bearssl.h"

#include <string.h>

#include "tls13_crypto.h"
#include "tls13_msg.h"
#include "znet/err.h"

/* BearSSL's own ALPN list points at ours: at most this many names. */
#define ALPN_MAX ZN_TLS_ALPN_MAX

/* Days from 0000-01-01 (BearSSL's epoch, proleptic Gregorian) to
 * 1970-01-01. */
#define DAYS_TO_UNIX_EPOCH 719528u

/* The ServerHello's bytes before its random (RFC 5246 §7.4.1.3): type,
 * 24-bit length, server_version. */
#define SH_HEAD 6
#define SH_RANDOM 32
#define HS_SERVER_HELLO 2

/* BearSSL's BR_IO_FAILED (its src/inner.h): the engine's iomode once it
 * has failed. */
#define BSSL_IO_FAILED 0

/* RSA keys below 2048 bits are refused in certificates (bytes). */
#define MIN_RSA_BYTES 256

/* Record types (RFC 5246 §6.2.1, ContentType). */
#define REC_CHANGE_CIPHER_SPEC 20
#define REC_ALERT 21
#define REC_HANDSHAKE 22
#define REC_APPLICATION_DATA 23

struct bssl_server {
  br_ssl_server_context sc; /* first: its engine is the state's */
  const char *alpn[ALPN_MAX];
  void (*hs_run)(void *cpu); /* BearSSL's handshake code (eng.hsrun) */
  bool mark;                 /* RFC 8446 §4.1.3's sentinel still to write */
};

struct bssl_client {
  br_ssl_client_context cc; /* first: its engine is the state's */
  br_x509_minimal_context xc;
  const char *alpn[ALPN_MAX];
};

_Static_assert(offsetof(br_ssl_server_context, eng) == 0 &&
                   offsetof(br_ssl_client_context, eng) == 0,
               "a session's state starts with its engine");

static br_ssl_engine_context *eng_of(void *state) {
  return (br_ssl_engine_context *)state;
}

static const br_ssl_engine_context *eng_of_const(const void *state) {
  return (const br_ssl_engine_context *)state;
}

static size_t bssl_state_size(enum zn_tls_role role) {
  return role == ZN_TLS_SERVER ? sizeof(struct bssl_server)
                               : sizeof(struct bssl_client);
}

/* ---- policy, common to both roles ---- */

/* TLS 1.2's of the mask (the others are the TLS 1.3 engine's). */
static void set_suites(br_ssl_engine_context *eng, uint32_t mask) {
  uint16_t ids[ZN_TLS_NSUITES];
  size_t n = zn__tls_suite_ids(mask, 0x0303, ids);
  br_ssl_engine_set_suites(eng, ids, n);
}

/* TLS 1.2 only; the handshake's hashes and PRFs; the AEADs; ECDHE over
 * every curve BearSSL has (the peer picks among what it offers). */
static void set_policy(br_ssl_engine_context *eng,
                       const struct zn_tls_config *cfg, const char **alpn) {
  br_ssl_engine_set_versions(eng, BR_TLS12, BR_TLS12);
  set_suites(eng, cfg->suites ? cfg->suites : ZN_TLS_SUITES_ALL);
  br_ssl_engine_set_hash(eng, br_sha256_ID, &zn__tls_sha256_vtable);
  br_ssl_engine_set_hash(eng, br_sha384_ID, &zn__tls_sha384_vtable);
  br_ssl_engine_set_hash(eng, br_sha512_ID, &zn__tls_sha512_vtable);
  br_ssl_engine_set_prf_sha256(eng, &br_tls12_sha256_prf);
  br_ssl_engine_set_prf_sha384(eng, &br_tls12_sha384_prf);
  br_ssl_engine_set_default_aes_gcm(eng);
  br_ssl_engine_set_default_chapol(eng);
  br_ssl_engine_set_ec(eng, &zn__tls_ec); /* ECDHE, ECDSA's curves */
  br_ssl_engine_add_flags(eng, BR_OPT_NO_RENEGOTIATION);
  size_t n = 0;
  for (; cfg->alpn && n < cfg->nalpn && n < ALPN_MAX; n++)
    alpn[n] = cfg->alpn[n];
  if (n)
    br_ssl_engine_set_protocol_names(eng, alpn, n);
}

/* The stack's entropy only: see the top of the file. */
static void seed_engine(br_ssl_engine_context *eng,
                        const struct zn__tls_start *p) {
  br_ssl_engine_inject_entropy(eng, p->seed, p->seed_len);
  eng->rng_os_rand_done = 1;
}

/* ---- server ---- */

static void set_server_key(br_ssl_server_context *sc,
                           const struct zn_tls_creds *cr) {
  if (cr->is_ec)
    br_ssl_server_set_single_ec(sc, cr->chain, cr->chain_len, &cr->ec,
                                BR_KEYTYPE_SIGN, cr->issuer_key_type,
                                &zn__tls_ec, zn__tls_ecdsa_sign);
  else
    br_ssl_server_set_single_rsa(sc, cr->chain, cr->chain_len, &cr->rsa,
                                 BR_KEYTYPE_SIGN, br_rsa_private_get_default(),
                                 br_rsa_pkcs1_sign_get_default());
}

/* ---- RFC 8446 §4.1.3: the downgrade sentinel ----
 *
 * A server that speaks TLS 1.3 and answers a client with TLS 1.2 ends
 * its ServerHello.random with "DOWNGRD\x01" (zn__tls13_downgrade_tls12).
 * BearSSL 0.6 draws that random and writes it in one go in its handshake
 * code (ssl_hs_server.t0, write-ServerHello: type, length and version,
 * then 28 random bytes after 4 zeros into eng.server_random, then those
 * 32 bytes written), and hashes every handshake byte into the transcript
 * as it writes it; the ServerKeyExchange signature, the key block and
 * both Finished take the random from eng.server_random.  So the random
 * must be changed after the draw and before the write.  The handshake
 * code is a coroutine that yields when the room for output runs out, and
 * the engine calls it through eng.hsrun: while the mark is due, each
 * call is given at most SH_HEAD bytes of room.  The call that writes the
 * ServerHello then stops with its first SH_HEAD bytes written and the
 * random drawn but neither written nor hashed; the sentinel goes into
 * eng.server_random and the code runs on with the rest of the room, in
 * the same call (the engine sees one call that wrote more).  Everything
 * BearSSL computes from then on (transcript, signature, keys, Finished)
 * has the marked random, on a full handshake or a resumed one, whatever
 * the record size or the chain.  Anything other than a ServerHello's
 * head in those bytes fails the handshake (BR_ERR_BAD_STATE) rather than
 * send an unmarked random, as does a random on the wire that is not
 * eng.server_random with the sentinel. */

static struct bssl_server *server_of_cpu(void *cpu) {
  return (struct bssl_server *)((uint8_t *)cpu -
                                offsetof(br_ssl_engine_context, cpu));
}

/* What br_ssl_engine_fail() does (BearSSL has it in no public header). */
static void fail_engine(br_ssl_engine_context *eng, int err) {
  if (eng->iomode != BSSL_IO_FAILED) {
    eng->iomode = BSSL_IO_FAILED;
    eng->err = err;
  }
}

static bool is_server_hello_head(const uint8_t *p) {
  return p[0] == HS_SERVER_HELLO && p[4] == (BR_TLS12 >> 8) &&
         p[5] == (BR_TLS12 & 0xff);
}

/* The run that started writing at `at` (the open record's first free
 * byte) wrote a ServerHello's SH_HEAD bytes there and nothing more, and
 * has no room left: it stopped at the random. */
static bool stopped_at_random(const br_ssl_engine_context *eng,
                              const uint8_t *at) {
  return at != NULL && at == eng->obuf + eng->oxa &&
         eng->hbuf_out == at + SH_HEAD && eng->hlen_out == 0 &&
         is_server_hello_head(at);
}

/* The random on the wire (SH_RANDOM bytes at `random`) is the engine's,
 * which ends with the sentinel. */
static bool random_marked(const br_ssl_engine_context *eng,
                          const uint8_t *random) {
  return memcmp(random, eng->server_random, SH_RANDOM) == 0 &&
         memcmp(random + SH_RANDOM - 8, zn__tls13_downgrade_tls12, 8) == 0;
}

/* The room the held-back run has left after what it wrote (at most
 * `most`): up to the open record's end, which the ClientHello may have
 * brought closer (RFC 6066's max_fragment_length: BearSSL's
 * set-max-frag-len moves eng.oxb, and would have cut eng.hlen_out too
 * had it not been held back). */
static size_t room_left(const br_ssl_engine_context *eng, size_t most) {
  const uint8_t *end = eng->obuf + eng->oxb;
  if (eng->hbuf_out == NULL || eng->hbuf_out > end)
    return 0;
  size_t left = (size_t)(end - eng->hbuf_out);
  return left < most ? left : most;
}

/* The code stopped at the random (SH_HEAD bytes written at `at`, no room
 * left): mark it, run on with the room that was held back, check what it
 * wrote.  The ServerHello stays at `at` after that run, in the open
 * record or in the record it sealed (which the caller has yet to take):
 * hbuf_out may have moved on (flush-record at the end of the flight), so
 * the bytes are checked where they were written. */
static void mark_and_run_on(struct bssl_server *s, uint8_t *at, size_t room) {
  br_ssl_engine_context *eng = &s->sc.eng;
  if (!stopped_at_random(eng, at) || room < SH_HEAD + SH_RANDOM ||
      room_left(eng, room - SH_HEAD) < SH_RANDOM) {
    fail_engine(eng, BR_ERR_BAD_STATE);
    return;
  }
  size_t left = room_left(eng, room - SH_HEAD);
  memcpy(eng->server_random + SH_RANDOM - 8, zn__tls13_downgrade_tls12, 8);
  s->mark = false;
  eng->hlen_out = left;
  s->hs_run(&eng->cpu);
  if (br_ssl_engine_last_error(eng) == BR_ERR_OK &&
      !random_marked(eng, at + SH_HEAD))
    fail_engine(eng, BR_ERR_BAD_STATE);
}

/* eng.hsrun: BearSSL's handshake code, held at the ServerHello's random
 * while the mark is due (above). */
static void server_hs_run(void *cpu) {
  struct bssl_server *s = server_of_cpu(cpu);
  br_ssl_engine_context *eng = &s->sc.eng;
  if (!s->mark) {
    s->hs_run(cpu);
    return;
  }
  uint8_t *at = eng->hbuf_out;
  size_t room = eng->hlen_out;
  if (room > SH_HEAD)
    eng->hlen_out = SH_HEAD;
  s->hs_run(cpu);
  if (br_ssl_engine_last_error(eng) != BR_ERR_OK || eng->hbuf_out == at)
    return; /* failed, or still reading the ClientHello */
  if (eng->record_type_out != REC_HANDSHAKE)
    return; /* an alert refusing the ClientHello (fail-alert): the mark
               stays due, and each later run still stops at SH_HEAD */
  mark_and_run_on(s, at, room);
}

/* BearSSL's reset ran the handshake code up to the wait for the
 * ClientHello: from now on it runs through server_hs_run. */
static void hold_for_mark(struct bssl_server *s, bool mark) {
  s->mark = mark;
  s->hs_run = s->sc.eng.hsrun;
  s->sc.eng.hsrun = server_hs_run;
}

static int server_start(struct bssl_server *s, const struct zn_tls_config *cfg,
                        const struct zn__tls_start *p) {
  br_ssl_server_context *sc = &s->sc;
  br_ssl_server_zero(sc);
  set_policy(&sc->eng, cfg, s->alpn);
  set_server_key(sc, p->creds ? p->creds : cfg->creds);
  if (cfg->cache)
    br_ssl_server_set_cache(sc, &cfg->cache->lru.vtable);
  br_ssl_engine_set_buffers_bidi(&sc->eng, p->ibuf, cfg->in_buf, p->obuf,
                                 cfg->out_buf);
  seed_engine(&sc->eng, p);
  if (!br_ssl_server_reset(sc))
    return ZN_ETLS;
  hold_for_mark(s, p->mark_downgrade);
  return ZN_OK;
}

/* ---- client ---- */

/* Chain validation (RFC 5280 as BearSSL's minimal engine does it): the
 * anchors, SHA-2 signatures, RSA of 2048 bits and up, the given time. */
void zn__tls_x509_init(br_x509_minimal_context *xc,
                       const struct zn_tls_config *cfg, uint64_t now) {
  const struct zn_tls_anchors *a = cfg->anchors;
  br_x509_minimal_init(xc, &zn__tls_sha256_vtable, a->ta, a->n);
  br_x509_minimal_set_hash(xc, br_sha256_ID, &zn__tls_sha256_vtable);
  br_x509_minimal_set_hash(xc, br_sha384_ID, &zn__tls_sha384_vtable);
  br_x509_minimal_set_hash(xc, br_sha512_ID, &zn__tls_sha512_vtable);
  br_x509_minimal_set_rsa(xc, br_rsa_pkcs1_vrfy_get_default());
  br_x509_minimal_set_ecdsa(xc, &zn__tls_ec, br_ecdsa_vrfy_asn1_get_default());
  br_x509_minimal_set_minrsa(xc, MIN_RSA_BYTES);
  br_x509_minimal_set_time(xc, (uint32_t)(now / 86400u) + DAYS_TO_UNIX_EPOCH,
                           (uint32_t)(now % 86400u));
}

static void set_validation(struct bssl_client *c,
                           const struct zn_tls_config *cfg, uint64_t now) {
  zn__tls_x509_init(&c->xc, cfg, now);
  br_ssl_engine_set_x509(&c->cc.eng, &c->xc.vtable);
}

/* BearSSL's client wrote its ClientHello (which the caller dropped) and
 * waits for the ServerHello: from now on its transcript and its random
 * are those of the hello that was sent instead (tls13_engine.c). */
void zn__tls_bearssl_adopt_hello(void *state, const uint8_t *hello,
                                 size_t len) {
  br_ssl_engine_context *eng = eng_of(state);
  memcpy(eng->client_random, hello + 6, 32);
  br_multihash_init(&eng->mhash);
  br_multihash_update(&eng->mhash, hello, len);
}

static int client_start(struct bssl_client *c, const struct zn_tls_config *cfg,
                        const struct zn__tls_start *p) {
  br_ssl_client_context *cc = &c->cc;
  br_ssl_client_zero(cc);
  set_policy(&cc->eng, cfg, c->alpn);
  /* The server's ServerKeyExchange signature (ECDSA over the engine's
   * zn__tls_ec: br_ssl_engine_set_default_ecdsa would put BearSSL's
   * curves back). */
  br_ssl_engine_set_default_rsavrfy(&cc->eng);
  br_ssl_engine_set_ecdsa(&cc->eng, br_ecdsa_vrfy_asn1_get_default());
  set_validation(c, cfg, p->now);
  br_ssl_engine_set_buffers_bidi(&cc->eng, p->ibuf, cfg->in_buf, p->obuf,
                                 cfg->out_buf);
  seed_engine(&cc->eng, p);
  return br_ssl_client_reset(cc, p->server_name, 0) ? ZN_OK : ZN_ETLS;
}

static int bssl_start(void *state, const struct zn_tls_config *cfg,
                      const struct zn__tls_start *p) {
  if (cfg->role == ZN_TLS_SERVER)
    return server_start(state, cfg, p);
  return client_start(state, cfg, p);
}

/* ---- the four buffers ---- */

static unsigned bssl_status(const void *state) {
  unsigned s = br_ssl_engine_current_state(eng_of_const(state));
  if (s & BR_SSL_CLOSED)
    return ZN__TLS_CLOSED;
  return ((s & BR_SSL_SENDREC) ? ZN__TLS_SENDREC : 0u) |
         ((s & BR_SSL_RECVREC) ? ZN__TLS_RECVREC : 0u) |
         ((s & BR_SSL_SENDAPP) ? ZN__TLS_SENDAPP : 0u) |
         ((s & BR_SSL_RECVAPP) ? ZN__TLS_RECVAPP : 0u);
}

static uint8_t *bssl_sendrec_buf(void *state, size_t *len) {
  return br_ssl_engine_sendrec_buf(eng_of(state), len);
}

static void bssl_sendrec_ack(void *state, size_t len) {
  br_ssl_engine_sendrec_ack(eng_of(state), len);
}

static uint8_t *bssl_recvrec_buf(void *state, size_t *len) {
  return br_ssl_engine_recvrec_buf(eng_of(state), len);
}

static void bssl_recvrec_ack(void *state, size_t len) {
  br_ssl_engine_recvrec_ack(eng_of(state), len);
}

static uint8_t *bssl_sendapp_buf(void *state, size_t *len) {
  return br_ssl_engine_sendapp_buf(eng_of(state), len);
}

static void bssl_sendapp_ack(void *state, size_t len) {
  br_ssl_engine_sendapp_ack(eng_of(state), len);
}

static uint8_t *bssl_recvapp_buf(void *state, size_t *len) {
  return br_ssl_engine_recvapp_buf(eng_of(state), len);
}

static void bssl_recvapp_ack(void *state, size_t len) {
  br_ssl_engine_recvapp_ack(eng_of(state), len);
}

/* ---- lending the record buffers (tls_bufpool.c says why this is safe) ----
 */

/* ixa == ixb == 0 and ixc == 5: waiting for the first byte of a record
 * header, no plaintext left (BearSSL's make_ready_in).  oxa == oxc:
 * nothing gathered, nothing sealed left to send (make_ready_out; while
 * gathering oxc < oxa, while sending oxa < oxc). */
static bool bssl_idle(const void *state) {
  const br_ssl_engine_context *eng = eng_of_const(state);
  if (br_ssl_engine_current_state(eng) & BR_SSL_CLOSED)
    return false;
  return eng->ixa == 0 && eng->ixb == 0 && eng->ixc == 5 &&
         eng->oxa == eng->oxc;
}

/* The checks BearSSL 0.6 makes of a record header (ssl_engine.c) before
 * it takes any of the body, in its order: recvrec_ack()'s major version,
 * the version agreed, the length (for the record layer's AEAD and the
 * input buffer once encrypted, 16384 in the clear); and, in the clear,
 * the type br_ssl_engine_recvrec_ack() refuses at the body's first byte
 * (not one of the handshake's before the handshake is done: an empty
 * record's type is never looked at).  An encrypted record's type is
 * checked only once it is decrypted, and then a wrong MAC comes first:
 * that verdict needs the body, so it is left to the engine.  Before the
 * engine starts (state NULL) it is a client's first record: in the
 * clear, any 3.x version, no application data yet. */
static int bssl_header_error(const void *state, const uint8_t *h) {
  const br_ssl_engine_context *eng = state ? eng_of_const(state) : NULL;
  unsigned version = (unsigned)h[1] << 8 | h[2];
  size_t rlen = (size_t)h[3] << 8 | h[4];
  if ((version >> 8) != 3)
    return BR_ERR_UNSUPPORTED_VERSION;
  if (eng && eng->version_in != 0 && eng->version_in != version)
    return BR_ERR_BAD_VERSION;
  if (eng && eng->incrypt) {
    if (!eng->in.vtable->check_length(&eng->in.vtable, rlen))
      return BR_ERR_BAD_LENGTH;
    return rlen > eng->ibuf_len - 5 ? BR_ERR_TOO_LARGE : 0;
  }
  if (rlen > 16384)
    return BR_ERR_BAD_LENGTH;
  if (rlen == 0)
    return 0;
  switch (h[0]) {
  case REC_CHANGE_CIPHER_SPEC:
  case REC_ALERT:
  case REC_HANDSHAKE:
    return 0;
  case REC_APPLICATION_DATA:
    return eng && eng->application_data != 0 ? 0 : BR_ERR_UNEXPECTED;
  default:
    return BR_ERR_UNEXPECTED;
  }
}

/* The lengths stay those the engine started with (a pool's buffers are
 * at least as long); the handshake's views (hbuf_in, hbuf_out) are set
 * anew each time the engine runs its handshake code, so they are not
 * moved. */
static void bssl_set_bufs(void *state, uint8_t *ibuf, uint8_t *obuf) {
  br_ssl_engine_context *eng = eng_of(state);
  eng->ibuf = ibuf;
  eng->obuf = obuf;
}

static void bssl_flush(void *state) { br_ssl_engine_flush(eng_of(state), 0); }

static void bssl_close(void *state) { br_ssl_engine_close(eng_of(state)); }

static int bssl_last_error(const void *state) {
  return br_ssl_engine_last_error(eng_of_const(state));
}

/* ---- what an error code means ---- */

/* An alert, ours or the peer's (RFC 5246 §7.2.2).  BearSSL sends
 * handshake_failure when the client's offer leaves nothing to agree on
 * (suites, curves, signature algorithms); a peer's certificate alerts
 * say what it found wrong with ours. */
static enum zn_tls_failure alert_failure(int alert, bool sent) {
  switch (alert) {
  case BR_ALERT_PROTOCOL_VERSION:
    return ZN_TLS_FAIL_version;
  case BR_ALERT_BAD_RECORD_MAC:
    return ZN_TLS_FAIL_bad_mac;
  case BR_ALERT_HANDSHAKE_FAILURE:
  case BR_ALERT_INSUFFICIENT_SECURITY:
    return sent ? ZN_TLS_FAIL_no_shared_cipher : ZN_TLS_FAIL_handshake;
  case BR_ALERT_CERTIFICATE_EXPIRED:
    return ZN_TLS_FAIL_cert_expired;
  case BR_ALERT_UNKNOWN_CA:
    return ZN_TLS_FAIL_unknown_ca;
  case BR_ALERT_BAD_CERTIFICATE:
  case BR_ALERT_UNSUPPORTED_CERTIFICATE:
  case BR_ALERT_CERTIFICATE_REVOKED:
  case BR_ALERT_CERTIFICATE_UNKNOWN:
    return ZN_TLS_FAIL_bad_cert;
  default:
    return sent ? ZN_TLS_FAIL_protocol : ZN_TLS_FAIL_alert;
  }
}

/* BearSSL's X.509 codes (32..63). */
enum zn_tls_failure zn__tls_x509_failure(int code) {
  switch (code) {
  case BR_ERR_X509_BAD_SERVER_NAME:
    return ZN_TLS_FAIL_name_mismatch;
  case BR_ERR_X509_EXPIRED:
    return ZN_TLS_FAIL_cert_expired;
  case BR_ERR_X509_NOT_TRUSTED:
    return ZN_TLS_FAIL_unknown_ca;
  default:
    return ZN_TLS_FAIL_bad_cert;
  }
}

/* BR_ERR_BAD_PARAM is also what the handshake code reports for a
 * malformed extension: a protocol error, not ours. */
static enum zn_tls_failure engine_failure(int code) {
  switch (code) {
  case BR_ERR_UNSUPPORTED_VERSION:
  case BR_ERR_BAD_VERSION:
    return ZN_TLS_FAIL_version;
  case BR_ERR_BAD_CIPHER_SUITE:
    return ZN_TLS_FAIL_no_shared_cipher;
  case BR_ERR_BAD_MAC:
    return ZN_TLS_FAIL_bad_mac;
  case BR_ERR_BAD_STATE:
  case BR_ERR_NO_RANDOM:
  case BR_ERR_IO:
    return ZN_TLS_FAIL_internal;
  case BR_ERR_BAD_SIGNATURE:
  case BR_ERR_WRONG_KEY_USAGE:
  case BR_ERR_INVALID_ALGORITHM:
    return ZN_TLS_FAIL_handshake;
  default:
    return ZN_TLS_FAIL_protocol;
  }
}

static struct zn__tls_verdict bssl_verdict(int code) {
  struct zn__tls_verdict v = {ZN_TLS_FAIL_none, -1, false};
  if (code == BR_ERR_OK)
    return v;
  if (code >= BR_ERR_SEND_FATAL_ALERT) {
    v.alert = code - BR_ERR_SEND_FATAL_ALERT;
    v.alert_sent = true;
    v.failure = alert_failure(v.alert, true);
  } else if (code >= BR_ERR_RECV_FATAL_ALERT) {
    v.alert = code - BR_ERR_RECV_FATAL_ALERT;
    v.failure = alert_failure(v.alert, false);
  } else if (code >= BR_ERR_X509_OK) {
    v.failure = zn__tls_x509_failure(code);
  } else {
    v.failure = engine_failure(code);
  }
  return v;
}

/* The alert RFC 5246 §7.2.2 has for an X.509 failure. */
static int x509_alert(int code) {
  switch (code) {
  case BR_ERR_X509_EXPIRED:
    return BR_ALERT_CERTIFICATE_EXPIRED;
  case BR_ERR_X509_NOT_TRUSTED:
    return BR_ALERT_UNKNOWN_CA;
  default:
    return BR_ALERT_BAD_CERTIFICATE;
  }
}

/* BearSSL fails on a certificate it refuses without telling the peer.
 * While our records are still in the clear (the client's Finished is
 * yet to come) the alert is one plaintext record, which the glue sends:
 * the server then knows why (RFC 5246 §7.2.2). */
static size_t bssl_unsent_alert(const void *state, int code, uint8_t *out,
                                size_t cap, int *alert) {
  const br_ssl_engine_context *eng = eng_of_const(state);
  if (code <= BR_ERR_X509_OK || code >= BR_ERR_RECV_FATAL_ALERT || cap < 7 ||
      eng->out.vtable != &br_sslrec_out_clear_vtable)
    return 0;
  *alert = x509_alert(code);
  out[0] = REC_ALERT;
  out[1] = BR_TLS12 >> 8;
  out[2] = BR_TLS12 & 0xff;
  out[3] = 0;
  out[4] = 2;
  out[5] = 2; /* fatal */
  out[6] = (uint8_t)*alert;
  return 7;
}

static void bssl_info(void *state, struct zn_tls_info *info) {
  br_ssl_engine_context *eng = eng_of(state);
  br_ssl_session_parameters sp;
  br_ssl_engine_get_session_parameters(eng, &sp);
  info->version = sp.version;
  info->suite = sp.cipher_suite;
  info->suite_name = zn_tls_suite_name(sp.cipher_suite);
  info->alpn = br_ssl_engine_get_selected_protocol(eng);
}

const struct zn__tls_engine zn__tls_bearssl = {
    .name = "BearSSL",
    .state_size = bssl_state_size,
    .start = bssl_start,
    .status = bssl_status,
    .sendrec_buf = bssl_sendrec_buf,
    .sendrec_ack = bssl_sendrec_ack,
    .recvrec_buf = bssl_recvrec_buf,
    .recvrec_ack = bssl_recvrec_ack,
    .sendapp_buf = bssl_sendapp_buf,
    .sendapp_ack = bssl_sendapp_ack,
    .recvapp_buf = bssl_recvapp_buf,
    .recvapp_ack = bssl_recvapp_ack,
    .idle = bssl_idle,
    .header_error = bssl_header_error,
    .set_bufs = bssl_set_bufs,
    .flush = bssl_flush,
    .close = bssl_close,
    .last_error = bssl_last_error,
    .verdict = bssl_verdict,
    .unsent_alert = bssl_unsent_alert,
    .info = bssl_info,
};
