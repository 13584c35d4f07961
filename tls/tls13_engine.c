/*
 * The TLS 1.3 engine as the glue sees it (struct zn__tls_engine,
 * tls_int.h), with TLS 1.2 behind it: a server reads the ClientHello
 * itself, and when the client offers no TLS 1.3 (RFC 8446 §4.2.1: no
 * supported_versions with 0x0304) the session becomes a BearSSL one in
 * the same memory, the ClientHello handed to it as one record (the
 * record framing is no part of the handshake's transcript, so BearSSL
 * sees the hello the client sent).  A client offers both versions in one
 * hello (tls13_cli.c); when the server answers TLS 1.2, a BearSSL client
 * is started in the same memory, its own hello dropped unsent, our hello
 * and random made its transcript's (tls_bearssl.c), and the
 * ServerHello's record handed to it.  From then on every call goes to
 * BearSSL's engine, whose error codes are told apart from ours by
 * FROM_BEARSSL.
 *
 * RFC 8446 §4.1.3 asks a TLS 1.3 server that answers with TLS 1.2 to
 * end its ServerHello.random with "DOWNGRD\x01": fall_back() asks the
 * BearSSL server for it when the configuration has a TLS 1.3 suite (a
 * TLS 1.2-only one would not have spoken TLS 1.3), and tls_bearssl.c
 * puts it in between BearSSL's draw of the random and its write.
 */
#include <stddef.h>
#include <string.h>

#include "tls13_int.h"
#include "znet/err.h"
#include "znet/wipe.h"

/* A BearSSL error code as last_error() reports it after the fall back
 * (BearSSL's are below 0x400). */
#define FROM_BEARSSL ZN__TLS13_ERR_BEARSSL

struct tls13_session {
  bool tls12; /* the BearSSL engine has it */
  int sni;    /* a server's cfg->sni entry, -1: cfg->creds (kept here:
                 BearSSL's state overlays the handshake's) */
  /* BearSSL's state overlays ours once it has the session: state_size()
   * is the larger of the two.  The role's handshake state follows (at
   * HS_AT). */
  _Alignas(max_align_t) struct zn__tls13 t;
};

#define HS_AT zn__tls_align_up(sizeof(struct tls13_session))

static struct tls13_session *sess(void *state) {
  return (struct tls13_session *)state;
}

static const struct tls13_session *sess_const(const void *state) {
  return (const struct tls13_session *)state;
}

static void *bssl(void *state) { return &sess(state)->t; }

static const void *bssl_const(const void *state) {
  return &sess_const(state)->t;
}

static size_t t13_state_size(enum zn_tls_role role) {
  size_t own = HS_AT + (role == ZN_TLS_SERVER ? sizeof(struct tls13_srv_hs)
                                              : sizeof(struct tls13_cli_hs));
  size_t b =
      offsetof(struct tls13_session, t) + zn__tls_bearssl.state_size(role);
  return own > b ? own : b;
}

static int t13_start(void *state, const struct zn_tls_config *cfg,
                     const struct zn__tls_start *p) {
  struct tls13_session *s = sess(state);
  void *hs = (uint8_t *)state + HS_AT;
  s->tls12 = false;
  s->sni = -1;
  struct zn__tls13 *e = &s->t;
  zn__tls13_rec_init(e, cfg, p->ibuf, p->obuf);
  e->now_ms = p->now_ms;
  if (cfg->role == ZN_TLS_SERVER) {
    e->srv = hs;
    memset(e->srv, 0, sizeof(*e->srv));
    e->fl = &e->srv->fl;
    e->srv->creds = cfg->creds;
    e->srv->sni = -1;
    br_hmac_drbg_init(&e->srv->rng, &zn__tls_sha256_vtable, p->seed,
                      p->seed_len);
    zn__tls13_enter(e, P_WAIT_CH);
    return ZN_OK;
  }
  e->cli = hs;
  memset(e->cli, 0, sizeof(*e->cli));
  e->fl = &e->cli->fl;
  br_hmac_drbg_init(&e->cli->rng, &zn__tls_sha256_vtable, p->seed, p->seed_len);
  if (zn__tls13_cli_start(e, p->server_name, p->now) != ZN_OK) {
    zn__tls13_fail_quiet(e, ZN__TLS13_ERR_INTERNAL);
    return ZN_ETLS;
  }
  zn__tls13_run(e);
  return ZN_OK;
}

/* ---- TLS 1.2 ---- */

/* A record (total bytes at rec, which is BearSSL's ibuf) to BearSSL. */
static void feed_record(struct tls13_session *s, const uint8_t *rec,
                        size_t total) {
  size_t off = 0;
  while (off < total) {
    size_t room;
    uint8_t *dst = zn__tls_bearssl.recvrec_buf(bssl(s), &room);
    if (dst == NULL || room == 0)
      break; /* it failed on the record: last_error() tells */
    size_t k = room < total - off ? room : total - off;
    memmove(dst, rec + off, k);
    zn__tls_bearssl.recvrec_ack(bssl(s), k);
    off += k;
  }
}

/* The configuration has a TLS 1.3 suite (RFC 8446 §4.1.3: then a TLS
 * 1.2 answer carries the downgrade sentinel). */
static bool speaks_tls13(const struct zn_tls_config *cfg) {
  return cfg->suites == 0 || (cfg->suites & zn__tls_suites_of(0x0304)) != 0;
}

/* The ClientHello (ch_len bytes at ibuf + 5) as one record at ibuf, to
 * a BearSSL server started on the same buffers with entropy from ours,
 * which marks its random if we would have spoken TLS 1.3. */
static void fall_back(struct tls13_session *s) {
  struct zn__tls13 *e = &s->t;
  const struct zn_tls_config *cfg = e->cfg;
  uint8_t *ibuf = e->ibuf, *obuf = e->obuf, seed[32];
  size_t len = e->ch_len;
  if (len > ZN__TLS13_MAX_PLAIN) {
    zn__tls13_fail(e, ZN__TLS13_ALERT_record_overflow);
    return;
  }
  br_hmac_drbg_generate(&e->srv->rng, seed, sizeof(seed));
  uint8_t hdr[5] = {ZN__TLS13_CT_handshake, 3, 1, (uint8_t)(len >> 8),
                    (uint8_t)len};
  memcpy(ibuf, hdr, sizeof(hdr));
  s->sni = e->srv->sni;
  struct zn__tls_start p = {.ibuf = ibuf,
                            .obuf = obuf,
                            .seed = seed,
                            .seed_len = sizeof(seed),
                            .now = 0,
                            .now_ms = 0,
                            .server_name = NULL,
                            .creds = e->srv->creds,
                            .mark_downgrade = speaks_tls13(cfg)};
  /* Our handshake's state, DRBG and all, dies here: BearSSL's context
   * need not cover it. */
  zn_wipe(e->srv, sizeof(*e->srv));
  s->tls12 = true;
  int r = zn__tls_bearssl.start(bssl(s), cfg, &p);
  zn_wipe(seed, sizeof(seed));
  if (r == ZN_OK)
    feed_record(s, ibuf, ZN__TLS13_HDR_LEN + len);
}

/* The ServerHello's record at ibuf answered TLS 1.2: a BearSSL client in
 * our place, our ClientHello its, the record its to read. */
static void hand_over(struct tls13_session *s) {
  struct zn__tls13 *e = &s->t;
  const struct zn_tls_config *cfg = e->cfg;
  uint8_t *ibuf = e->ibuf, *obuf = e->obuf, seed[32], hello[TLS13_CH_MAX];
  size_t len, rec = ZN__TLS13_HDR_LEN + ((size_t)ibuf[3] << 8 | ibuf[4]);
  const uint8_t *ch = zn__tls13_cli_hello(e, &len);
  const char *name = e->cli->server_name;
  uint64_t now = e->cli->now;
  if (e->out_len != 0) { /* our hello went before its answer came */
    zn__tls13_fail(e, ZN__TLS13_ALERT_internal_error);
    return;
  }
  memcpy(hello, ch, len);
  br_hmac_drbg_generate(&e->cli->rng, seed, sizeof(seed));
  struct zn__tls_start p = {.ibuf = ibuf,
                            .obuf = obuf,
                            .seed = seed,
                            .seed_len = sizeof(seed),
                            .now = now,
                            .now_ms = 0,
                            .server_name = name,
                            .creds = NULL};
  /* Our handshake's state dies here (the hello copied, the name and
   * time taken): the key shares' private keys, the DRBG, a ticket's
   * PSK.  BearSSL's context need not cover it. */
  zn_wipe(e->cli, sizeof(*e->cli));
  s->tls12 = true;
  int r = zn__tls_bearssl.start(bssl(s), cfg, &p);
  zn_wipe(seed, sizeof(seed));
  if (r != ZN_OK)
    return; /* BearSSL's error: last_error() tells */
  size_t n;
  while (zn__tls_bearssl.sendrec_buf(bssl(s), &n) != NULL && n > 0)
    zn__tls_bearssl.sendrec_ack(bssl(s), n); /* its own hello, unsent */
  zn__tls_bearssl_adopt_hello(bssl(s), hello, len);
  feed_record(s, ibuf, rec);
}

/* ---- the buffer calls: ours, or BearSSL's after the fall back ---- */

static unsigned t13_status(const void *state) {
  const struct tls13_session *s = sess_const(state);
  return s->tls12 ? zn__tls_bearssl.status(bssl_const(state))
                  : zn__tls13_status(&s->t);
}

static uint8_t *t13_sendrec_buf(void *state, size_t *len) {
  struct tls13_session *s = sess(state);
  return s->tls12 ? zn__tls_bearssl.sendrec_buf(bssl(state), len)
                  : zn__tls13_sendrec_buf(&s->t, len);
}

static void t13_sendrec_ack(void *state, size_t len) {
  struct tls13_session *s = sess(state);
  if (s->tls12)
    zn__tls_bearssl.sendrec_ack(bssl(state), len);
  else
    zn__tls13_sendrec_ack(&s->t, len);
}

static uint8_t *t13_recvrec_buf(void *state, size_t *len) {
  struct tls13_session *s = sess(state);
  return s->tls12 ? zn__tls_bearssl.recvrec_buf(bssl(state), len)
                  : zn__tls13_recvrec_buf(&s->t, len);
}

/* What the records date comes by the stack's clock as they arrive: a
 * client's ticket is aged from its NewSessionTicket (§4.2.11.1), a
 * server's from the client's Finished. */
static void t13_set_clock(void *state, uint64_t now_ms) {
  sess(state)->t.now_ms = now_ms;
}

static void t13_recvrec_ack(void *state, size_t len) {
  struct tls13_session *s = sess(state);
  if (s->tls12) {
    zn__tls_bearssl.recvrec_ack(bssl(state), len);
    return;
  }
  zn__tls13_recvrec_ack(&s->t, len);
  if (s->t.ch_done && s->t.phase != P_CLOSED)
    fall_back(s);
  else if (s->t.phase == P_TLS12)
    hand_over(s);
}

static uint8_t *t13_sendapp_buf(void *state, size_t *len) {
  struct tls13_session *s = sess(state);
  return s->tls12 ? zn__tls_bearssl.sendapp_buf(bssl(state), len)
                  : zn__tls13_sendapp_buf(&s->t, len);
}

static void t13_sendapp_ack(void *state, size_t len) {
  struct tls13_session *s = sess(state);
  if (s->tls12)
    zn__tls_bearssl.sendapp_ack(bssl(state), len);
  else
    zn__tls13_sendapp_ack(&s->t, len);
}

static uint8_t *t13_recvapp_buf(void *state, size_t *len) {
  struct tls13_session *s = sess(state);
  return s->tls12 ? zn__tls_bearssl.recvapp_buf(bssl(state), len)
                  : zn__tls13_recvapp_buf(&s->t, len);
}

static void t13_recvapp_ack(void *state, size_t len) {
  struct tls13_session *s = sess(state);
  if (s->tls12)
    zn__tls_bearssl.recvapp_ack(bssl(state), len);
  else
    zn__tls13_recvapp_ack(&s->t, len);
}

static bool t13_idle(const void *state) {
  const struct tls13_session *s = sess_const(state);
  return s->tls12 ? zn__tls_bearssl.idle(bssl_const(state))
                  : zn__tls13_idle(&s->t);
}

/* Before the engine starts (state NULL) it is a client's first record:
 * a handshake record in the clear (or an alert), of TLS's major
 * version. */
static int t13_header_error(const void *state, const uint8_t *h) {
  if (state && sess_const(state)->tls12) {
    int code = zn__tls_bearssl.header_error(bssl_const(state), h);
    return code ? code | FROM_BEARSSL : 0;
  }
  int alert;
  if (state) {
    alert = zn__tls13_header_alert(&sess_const(state)->t, h);
  } else {
    size_t len = (size_t)h[3] << 8 | h[4];
    alert = h[1] != 3 ? ZN__TLS13_ALERT_protocol_version
            : (h[0] != ZN__TLS13_CT_handshake && h[0] != ZN__TLS13_CT_alert) ||
                    len == 0
                ? ZN__TLS13_ALERT_unexpected_message
            : len > ZN__TLS13_MAX_PLAIN ? ZN__TLS13_ALERT_record_overflow
                                        : 0;
  }
  return alert ? ZN__TLS13_ERR_HEADER + alert : 0;
}

static void t13_set_bufs(void *state, uint8_t *ibuf, uint8_t *obuf) {
  struct tls13_session *s = sess(state);
  if (s->tls12)
    zn__tls_bearssl.set_bufs(bssl(state), ibuf, obuf);
  else
    zn__tls13_set_bufs(&s->t, ibuf, obuf);
}

static void t13_flush(void *state) {
  struct tls13_session *s = sess(state);
  if (s->tls12)
    zn__tls_bearssl.flush(bssl(state));
  else
    zn__tls13_flush(&s->t);
}

static void t13_close(void *state) {
  struct tls13_session *s = sess(state);
  if (s->tls12)
    zn__tls_bearssl.close(bssl(state));
  else
    zn__tls13_close(&s->t);
}

static int t13_last_error(const void *state) {
  const struct tls13_session *s = sess_const(state);
  if (!s->tls12)
    return s->t.err;
  int code = zn__tls_bearssl.last_error(bssl_const(state));
  return code ? code | FROM_BEARSSL : 0;
}

/* ---- what an error code means ---- */

/* An alert, ours or the peer's (RFC 8446 §6.2). */
static enum zn_tls_failure alert_failure(int alert, bool sent) {
  switch (alert) {
  case ZN__TLS13_ALERT_protocol_version:
    return ZN_TLS_FAIL_version;
  case ZN__TLS13_ALERT_bad_record_mac:
    return ZN_TLS_FAIL_bad_mac;
  case ZN__TLS13_ALERT_handshake_failure:
  case ZN__TLS13_ALERT_insufficient_security:
    return sent ? ZN_TLS_FAIL_no_shared_cipher : ZN_TLS_FAIL_handshake;
  case ZN__TLS13_ALERT_certificate_expired:
    return ZN_TLS_FAIL_cert_expired;
  case ZN__TLS13_ALERT_unknown_ca:
    return ZN_TLS_FAIL_unknown_ca;
  case ZN__TLS13_ALERT_bad_certificate:
  case ZN__TLS13_ALERT_unsupported_certificate:
  case ZN__TLS13_ALERT_certificate_revoked:
  case ZN__TLS13_ALERT_certificate_unknown:
    return ZN_TLS_FAIL_bad_cert;
  case ZN__TLS13_ALERT_decrypt_error:
    return ZN_TLS_FAIL_handshake;
  case ZN__TLS13_ALERT_internal_error:
    return sent ? ZN_TLS_FAIL_internal : ZN_TLS_FAIL_alert;
  default:
    return sent ? ZN_TLS_FAIL_protocol : ZN_TLS_FAIL_alert;
  }
}

static struct zn__tls_verdict t13_verdict(int code) {
  struct zn__tls_verdict v = {ZN_TLS_FAIL_none, -1, false};
  if (code & FROM_BEARSSL)
    return zn__tls_bearssl.verdict(code & ~FROM_BEARSSL);
  if (code == 0)
    return v;
  if (code >= ZN__TLS13_ERR_X509 && code < ZN__TLS13_ERR_BEARSSL) {
    v.failure = zn__tls_x509_failure(code - ZN__TLS13_ERR_X509);
    v.alert = zn__tls13_x509_alert(code - ZN__TLS13_ERR_X509);
    v.alert_sent = true;
  } else if (code >= ZN__TLS13_ERR_HEADER) {
    v.failure = alert_failure(code - ZN__TLS13_ERR_HEADER, true);
  } else if (code == ZN__TLS13_ERR_CLOSED) {
    v.failure = ZN_TLS_FAIL_peer_closed;
  } else if (code >= ZN__TLS13_ERR_RECV) {
    v.alert = code - ZN__TLS13_ERR_RECV;
    v.failure = alert_failure(v.alert, false);
  } else if (code >= ZN__TLS13_ERR_SENT) {
    v.alert = code - ZN__TLS13_ERR_SENT;
    v.alert_sent = true;
    v.failure = alert_failure(v.alert, true);
  } else {
    v.failure = ZN_TLS_FAIL_internal;
  }
  return v;
}

/* Our alerts are sent by the engine itself. */
static size_t t13_unsent_alert(const void *state, int code, uint8_t *out,
                               size_t cap, int *alert) {
  if (sess_const(state)->tls12 && (code & FROM_BEARSSL))
    return zn__tls_bearssl.unsent_alert(bssl_const(state), code & ~FROM_BEARSSL,
                                        out, cap, alert);
  return 0;
}

static void t13_info(void *state, struct zn_tls_info *info) {
  struct tls13_session *s = sess(state);
  if (s->tls12) {
    zn__tls_bearssl.info(bssl(state), info);
    info->sni = s->sni;
    return;
  }
  const struct zn__tls13 *e = &s->t;
  info->sni = e->srv ? e->srv->sni : -1;
  info->version = 0x0304;
  info->suite = e->suite ? e->suite->id : 0;
  info->suite_name = zn_tls_suite_name(info->suite);
  info->alpn = e->alpn >= 0 ? e->cfg->alpn[e->alpn] : NULL;
  info->hello_retry = e->hello_retry;
  info->resumed = e->resumed;
  info->ocsp_stapled = e->ocsp_stapled;
}

const struct zn__tls_engine zn__tls_tls13 = {
    .name = "TLS 1.3 (BearSSL primitives), TLS 1.2 by BearSSL",
    .state_size = t13_state_size,
    .start = t13_start,
    .status = t13_status,
    .sendrec_buf = t13_sendrec_buf,
    .sendrec_ack = t13_sendrec_ack,
    .recvrec_buf = t13_recvrec_buf,
    .recvrec_ack = t13_recvrec_ack,
    .set_clock = t13_set_clock,
    .sendapp_buf = t13_sendapp_buf,
    .sendapp_ack = t13_sendapp_ack,
    .recvapp_buf = t13_recvapp_buf,
    .recvapp_ack = t13_recvapp_ack,
    .idle = t13_idle,
    .header_error = t13_header_error,
    .set_bufs = t13_set_bufs,
    .flush = t13_flush,
    .close = t13_close,
    .last_error = t13_last_error,
    .verdict = t13_verdict,
    .unsent_alert = t13_unsent_alert,
    .info = t13_info,
};
