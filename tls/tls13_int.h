/*
 * The TLS 1.3 engine inside (RFC 8446): one session's state, shared by
 * the record layer (tls13_rec.c), the server's handshake (tls13_srv.c)
 * and the engine's face to the glue (tls13_engine.c).
 *
 * The record layer works over the glue's two record buffers as BearSSL's
 * engine does (tls_int.h): ibuf holds the record being received, one at
 * a time (the header, then exactly its body, so the glue never hands
 * over a byte of the next); obuf holds the record being built or sent,
 * one at a time.  A received record is decrypted in place; application
 * data stays there until read (zero copy), handshake messages are
 * handled at once, or gathered in the session's own small buffer when
 * one spans records.  The handshake's flight is a list of pieces (bytes
 * of the session's scratch, or a certificate's DER in the credentials)
 * cut into records as obuf frees.
 */
#ifndef ZNET_TLS13_INT_H
#define ZNET_TLS13_INT_H

#include "tls13_crypto.h"
#include "tls13_msg.h"
#include "tls_bearssl.h"
#include "znet/assert.h"

/* Record content types (§5.1). */
enum {
  ZN__TLS13_CT_change_cipher_spec = 20,
  ZN__TLS13_CT_alert = 21,
  ZN__TLS13_CT_handshake = 22,
  ZN__TLS13_CT_application_data = 23,
};

/* The largest plaintext of a record (§5.1) and the most a protected
 * record's body may exceed it by (§5.2). */
#define ZN__TLS13_MAX_PLAIN 16384u
#define ZN__TLS13_MAX_EXPANSION 256u

/* Error codes of last_error(): 0 for none (or an orderly close); a fatal
 * alert we sent (its code added to SENT) or received (to RECV); or one
 * of the engine's own reasons. */
enum {
  ZN__TLS13_ERR_INTERNAL = 1,      /* a state the engine should never reach */
  ZN__TLS13_ERR_SENT = 0x100,      /* + alert: we sent it */
  ZN__TLS13_ERR_RECV = 0x200,      /* + alert: the peer sent it */
  ZN__TLS13_ERR_CLOSED = 0x300,    /* close_notify during the handshake */
  ZN__TLS13_ERR_HEADER = 0x400,    /* + alert: a record header refused
                                      before its body (none sent) */
  ZN__TLS13_ERR_X509 = 0x800,      /* + BearSSL's X.509 code: the server's
                                      chain refused (its alert sent) */
  ZN__TLS13_ERR_BEARSSL = 0x10000, /* | BearSSL's code, once a TLS 1.2
                                      session is BearSSL's */
};

/* Where the handshake is; every phase before P_OPEN is handshaking. */
enum tls13_phase {
  P_WAIT_CH,   /* server: the ClientHello, gathered in ibuf */
  P_WAIT_CH2,  /* server: the second ClientHello, after a HelloRetryRequest */
  P_WAIT_CFIN, /* server: the flight queued; the client's Finished */
  P_WAIT_SH,   /* client: the ServerHello or a HelloRetryRequest */
  P_WAIT_SH2,  /* client: the ServerHello after a HelloRetryRequest */
  P_WAIT_EE,   /* client: EncryptedExtensions */
  P_WAIT_CERT_CR, /* client: CertificateRequest or Certificate */
  P_WAIT_CERT,    /* client: Certificate */
  P_WAIT_CV,      /* client: CertificateVerify */
  P_WAIT_SFIN,    /* client: the server's Finished */
  P_TLS12,     /* client: a TLS 1.2 ServerHello waits for BearSSL in ibuf */
  P_OPEN,      /* application data both ways */
  P_CLOSED,    /* done: closed in order or failed */
};

/* One piece of a flight: bytes to send, in a record of this kind. */
enum tls13_piece_kind {
  K_PLAIN_HS, /* a handshake message in the clear (ServerHello, HRR) */
  K_CCS,      /* the middlebox-compatibility change_cipher_spec */
  K_ENC_HS,   /* handshake messages protected with the write keys */
  K_KEYS,     /* no bytes: switch the write keys to the next secret */
};

struct tls13_piece {
  const uint8_t *p;
  uint16_t len;
  uint8_t kind;
};

/* The pieces of a server flight: a HelloRetryRequest, CCS, ServerHello,
 * keys, EE; the Certificate's framing before each certificate (its
 * header with the first), each certificate's DER, the framing after the
 * last, and with an OCSP response the leaf's status_request framing and
 * the response; CV, Finished, keys, a NewSessionTicket: 12 + 2 per
 * certificate at most. */
#define TLS13_MAX_CHAIN 8
#define TLS13_MAX_PIECES (8 + 3 * TLS13_MAX_CHAIN)
_Static_assert(TLS13_MAX_PIECES >= 12 + 2 * TLS13_MAX_CHAIN,
               "a server flight's pieces fit");

/* A flight queued and cut into records as obuf frees
 * (zn__tls13_flight_write). */
struct tls13_flight {
  struct tls13_piece pieces[TLS13_MAX_PIECES];
  uint8_t npieces, piece; /* queued, and the one being written */
  uint16_t piece_off;
};

/* Bytes the session keeps for the handshake messages it writes at once
 * (ServerHello with a P-384 share, EncryptedExtensions with ALPN and a
 * record limit, the Certificate's framing, CertificateVerify with an
 * RSA-4096 signature, Finished, a NewSessionTicket). */
#define TLS13_SCRATCH 1536

/* A handshake message split over records is gathered here (the server
 * reads only the client's Finished and KeyUpdate after the ClientHello,
 * which is gathered in ibuf). */
#define TLS13_HS_IN 64

/* The server's handshake state, dropped once the session is open. */
struct tls13_srv_hs {
  br_hmac_drbg_context rng;           /* the session's randomness */
  br_hash_compat_context th;          /* the transcript hash */
  uint8_t secret[ZN__TLS13_MAX_HASH]; /* handshake secret, then master */
  uint8_t c_hs[ZN__TLS13_MAX_HASH];   /* client handshake traffic secret */
  uint8_t s_hs[ZN__TLS13_MAX_HASH];   /* server handshake traffic secret */
  uint8_t client_finished[ZN__TLS13_MAX_HASH]; /* its verify_data due */
  uint8_t cookie[16];                          /* the HelloRetryRequest's */
  uint8_t s_ap[ZN__TLS13_MAX_HASH]; /* server application secret, until
                                       the flight is sealed */
  uint8_t c_ap[ZN__TLS13_MAX_HASH];
  uint8_t early[ZN__TLS13_MAX_HASH]; /* the ticket's early secret, when
                                        resumed */
  uint8_t name_hash[8];            /* of the server name asked for */
  int psk_index;                   /* the identity taken, or -1 */
  const struct zn_tls_creds *creds; /* the chain for the name asked for */
  int sni;                         /* its cfg->sni entry, -1: cfg->creds */
  uint16_t group;                  /* the key exchange agreed */
  uint16_t scheme;                 /* the CertificateVerify's */
  bool hrr_sent;
  bool compat; /* the client sent a session ID: CCS */
  struct tls13_flight fl;
  uint16_t scratch_len;
  uint8_t scratch[TLS13_SCRATCH];
};

/* A ticket a client keeps (tls13_resume.c) or offers. */
struct zn__tls13_resume_ticket {
  uint64_t received_ms; /* the stack's clock at the session's start */
  uint32_t lifetime_s;
  uint32_t age_add;
  uint16_t suite; /* the session's: the PSK's hash */
  uint8_t psk_len;
  uint8_t psk[ZN__TLS13_MAX_HASH];
  uint16_t ticket_len;
  uint8_t ticket[ZN_TLS_RESUME_TICKET_MAX];
};

/* The client's ClientHello, kept whole: hashed into the transcript once
 * the ServerHello names the hash, rewritten after a HelloRetryRequest,
 * and handed to BearSSL's transcript if the server answers TLS 1.2.
 * 1280 bytes, and a ticket's pre_shared_key and psk_key_exchange_modes
 * (4 + 2 + 2 + ticket + 4 + 2 + 1 + 48, and 6). */
#define TLS13_CH_MAX (1280 + 69 + ZN_TLS_RESUME_TICKET_MAX)

/* A server's handshake message is gathered here (all but the
 * Certificate, which streams into the X.509 engine): EncryptedExtensions,
 * CertificateRequest, CertificateVerify (an RSA-4096 signature), Finished,
 * KeyUpdate.  A NewSessionTicket is read for its header only. */
#define TLS13_MSG_MAX 1024

/* The client's handshake state. */
struct tls13_cli_hs {
  struct tls13_flight fl;
  br_hmac_drbg_context rng;
  br_hash_compat_context th;       /* the transcript hash */
  br_x509_minimal_context xc;      /* validates the server's chain */
  uint8_t secret[ZN__TLS13_MAX_HASH]; /* handshake secret, then master */
  uint8_t c_hs[ZN__TLS13_MAX_HASH], s_hs[ZN__TLS13_MAX_HASH];
  uint8_t c_ap[ZN__TLS13_MAX_HASH], s_ap[ZN__TLS13_MAX_HASH];
  uint8_t sk[48];                  /* our (EC)DHE private key */
  uint8_t sk_len;
  uint16_t group;                  /* of the share we sent */
  uint16_t hrr_suite;              /* the HelloRetryRequest's, or 0 */
  uint8_t random[32], session_id[32];
  bool hrr;                        /* a HelloRetryRequest came */
  bool tls12_remake;               /* a TLS 1.2 hello not at ibuf + 5: */
  const uint8_t *tls12_hello;      /* where it is (h->msg or ibuf) */
  size_t tls12_hello_len;
  bool cert_requested;             /* a CertificateRequest came */
  bool ccs_sent;
  uint64_t offered;                /* ZN__TLS13_SEEN() of our extensions */
  const char *server_name;
  /* Resumption: the ticket offered (psk_offered; its PSK wiped once its
   * early secret is taken, which goes when the handshake secret is
   * made), then the resumption master secret once the handshake is done
   * (res, with cfg->resume). */
  bool psk_offered;
  struct zn__tls13_resume_ticket offer;
  union {
    uint8_t early[ZN__TLS13_MAX_HASH];
    uint8_t res[ZN__TLS13_MAX_HASH];
  };
  /* The server's message being read: its header (hdr_len of 4 bytes),
   * then its body (got of want bytes), gathered into msg or streamed. */
  uint8_t hdr[4];
  uint8_t hdr_len;
  uint8_t mode; /* how its body is read (tls13_cli.c's M_*) */
  size_t want, got;
  /* The Certificate, streamed (tls13_cli.c's cert_*). */
  uint8_t cs;          /* the field being read */
  uint8_t num_left;    /* bytes of a length still to come */
  uint32_t num;        /* the length being read */
  size_t field_left;   /* bytes of the field left */
  size_t list_left;    /* bytes of the certificate_list left */
  uint32_t ncerts;
  uint64_t now;        /* the wall clock at the start (TLS 1.2's check) */
  /* Our second flight: [Certificate], Finished. */
  uint8_t fin[4 + 4 + 4 + ZN__TLS13_MAX_HASH];
  uint16_t ch_len;
  uint8_t ch[TLS13_CH_MAX];
  uint8_t msg[TLS13_MSG_MAX];
};

struct zn__tls13 {
  const struct zn_tls_config *cfg;
  uint8_t role;  /* enum zn_tls_role */
  uint8_t phase; /* enum tls13_phase */
  int err;       /* last_error() */

  uint8_t *ibuf, *obuf;
  size_t ibuf_len, obuf_len;

  /* Input: the record at ibuf (in_have of in_need bytes; in_need is 5
   * until the header is in).  Before the ClientHello is whole, the
   * records are gathered: ch_len bytes of handshake at ibuf + 5. */
  size_t in_have, in_need;
  size_t ch_len;
  bool ch_done;    /* a ClientHello for TLS 1.2 waits in ibuf */
  bool early_skip; /* 0-RTT was offered: its records are skipped */
  size_t early_skipped;
  size_t app_off, app_len; /* plaintext in ibuf not yet read */
  uint8_t hs_in[TLS13_HS_IN];
  size_t hs_in_len;
  bool got_protected; /* a protected record came: alerts in the clear
                         no longer do */

  /* Output: out_len bytes of sealed records at obuf, out_sent of them
   * sent; or gather bytes of plaintext being gathered at obuf + 5. */
  size_t out_len, out_sent, gather;
  size_t max_plain;    /* plaintext per record we send */
  uint64_t wr_records; /* records under the current write key */

  struct zn__tls13_keys rd, wr;
  const struct zn__tls13_suite *suite;
  uint8_t rd_secret[ZN__TLS13_MAX_HASH], wr_secret[ZN__TLS13_MAX_HASH];

  /* Owed and done. */
  bool owe_key_update; /* the peer asked for ours */
  bool close_wanted;   /* close(): close_notify after what is sealed */
  bool close_sent, close_received;
  uint8_t alert_owed; /* a fatal alert to send (0: none) */
  bool alert_pending;
  bool tickets_unsent; /* a server's tickets, not yet all handed out */

  uint16_t peer_record_limit; /* its record_size_limit, or 0 */
  int alpn;                   /* index in cfg->alpn, -1 for none */
  uint64_t now_ms;            /* the stack's clock (ms): at the start, then as
                                 records come in (set_clock) */
  bool resumed;               /* a ticket's PSK was accepted */
  bool hello_retry;           /* we sent a HelloRetryRequest */
  bool ocsp_stapled;          /* our Certificate carries an OCSP response */

  /* The role's handshake state (after this struct in the session's
   * block) and its flight. */
  struct tls13_srv_hs *srv;
  struct tls13_cli_hs *cli;
  struct tls13_flight *fl;
};

/* ---- tickets (tls13_ticket.c) ---- */

/* What a ticket holds (its state, sealed). */
struct zn__tls13_ticket {
  uint16_t suite;
  uint64_t issued_ms;
  uint32_t age_add;
  uint8_t name_hash[8];
  uint8_t psk_len;
  uint8_t psk[ZN__TLS13_MAX_HASH];
};

/* The longest ticket: epoch, nonce, state, tag. */
#define ZN__TLS13_TICKET_MAX (4 + 12 + 24 + ZN__TLS13_MAX_HASH + 16)

/* Seal t (issued at t->issued_ms) with the key of its epoch and nonce
 * into out (cap bytes): its length, 0 if it does not fit. */
size_t zn__tls13_ticket_seal(const struct zn_tls_tickets *tk,
                             const struct zn__tls13_ticket *t,
                             const uint8_t nonce[12], uint8_t *out, size_t cap);
/* Open a ticket: true and t if it is ours, its key not yet retired and
 * its age (now_ms) within the lifetime. */
bool zn__tls13_ticket_open(const struct zn_tls_tickets *tk, const uint8_t *in,
                           size_t len, uint64_t now_ms,
                           struct zn__tls13_ticket *t);
uint32_t zn__tls13_ticket_lifetime(const struct zn_tls_tickets *tk);

/* ---- a client's tickets (tls13_resume.c) ---- */

/* Keep t for the server name (NULL: none): ZN_OK, or ZN_EMSGSIZE (the
 * ticket is longer than a slot). */
int zn__tls13_resume_keep(struct zn_tls_resume *r, const char *name,
                          const struct zn__tls13_resume_ticket *t);
/* Take the newest ticket alive at now_ms for the name out of the store
 * (dropping the dead ones met): false if there is none. */
bool zn__tls13_resume_take(struct zn_tls_resume *r, const char *name,
                           uint64_t now_ms,
                           struct zn__tls13_resume_ticket *out);

/* ---- the record layer (tls13_rec.c) ---- */

/* The edges of the handshake (the phase it may enter from each): a
 * server from P_WAIT_CH (where every session starts, zeroed, and which a
 * server's start names again) through an optional P_WAIT_CH2 to
 * P_WAIT_CFIN; a client from its ClientHello through the server's
 * flight, or to TLS 1.2's P_TLS12; both to P_OPEN; and from anywhere
 * but P_CLOSED to it. */
#define TLS13_TO(p) (1u << (p))
static inline bool zn__tls13_edge(unsigned from, unsigned to) {
  static const uint16_t next[] = {
      [P_WAIT_CH] = TLS13_TO(P_WAIT_CH) | TLS13_TO(P_WAIT_CH2) |
                    TLS13_TO(P_WAIT_CFIN) | TLS13_TO(P_WAIT_SH),
      [P_WAIT_CH2] = TLS13_TO(P_WAIT_CFIN),
      [P_WAIT_CFIN] = TLS13_TO(P_OPEN),
      [P_WAIT_SH] = TLS13_TO(P_WAIT_SH2) | TLS13_TO(P_WAIT_EE) |
                    TLS13_TO(P_TLS12),
      [P_WAIT_SH2] = TLS13_TO(P_WAIT_EE),
      [P_WAIT_EE] = TLS13_TO(P_WAIT_CERT_CR) | TLS13_TO(P_WAIT_SFIN),
      [P_WAIT_CERT_CR] = TLS13_TO(P_WAIT_CERT) | TLS13_TO(P_WAIT_CV),
      [P_WAIT_CERT] = TLS13_TO(P_WAIT_CV),
      [P_WAIT_CV] = TLS13_TO(P_WAIT_SFIN),
      [P_WAIT_SFIN] = TLS13_TO(P_OPEN),
      [P_TLS12] = 0,
      [P_OPEN] = 0,
      [P_CLOSED] = 0,
  };
  if (from == P_CLOSED)
    return false;
  return to == P_CLOSED || (from < P_CLOSED && (next[from] >> to & 1u));
}
#undef TLS13_TO

/* Move the session to phase `to`, along an edge of the handshake. */
static inline void zn__tls13_enter(struct zn__tls13 *e, unsigned to) {
  ZN_ASSERT(zn__tls13_edge(e->phase, to));
  e->phase = (uint8_t)to;
}


void zn__tls13_rec_init(struct zn__tls13 *e, const struct zn_tls_config *cfg,
                        uint8_t *ibuf, uint8_t *obuf);
/* Fail with a fatal alert of ours (sent once obuf is free), or without
 * one (the peer's alert, or nothing to tell). */
void zn__tls13_fail(struct zn__tls13 *e, int alert);
void zn__tls13_fail_quiet(struct zn__tls13 *e, int code);
/* Fail with our alert, the reason being code (ZN__TLS13_ERR_X509 + ...). */
void zn__tls13_fail_code(struct zn__tls13 *e, int alert, int code);
/* Install the keys of a traffic secret (hash_len bytes) to read or to
 * write with, and keep the secret for KeyUpdate. */
void zn__tls13_set_read(struct zn__tls13 *e, const uint8_t *secret);
void zn__tls13_set_write(struct zn__tls13 *e, const uint8_t *secret);
/* BearSSL's fragment size for these record buffers (ssl_engine.c): the
 * largest 2^u, 9..14, that the output buffer holds with 85 bytes and the
 * input buffer with 325 (2^13 counts as 2^12). */
unsigned zn__tls13_frag_log(size_t out_buf, size_t in_buf);
/* The plaintext a record we send may carry (§5.1, the peer's
 * record_size_limit, obuf). */
void zn__tls13_set_max_plain(struct zn__tls13 *e);
/* Seal the plaintext at obuf + 5 (len bytes of content) as a record of
 * type, protected if write keys are set. */
void zn__tls13_seal_out(struct zn__tls13 *e, uint8_t type, size_t len);

/* A KeyUpdate received (§4.6.3), whole (last: it ends its record). */
void zn__tls13_key_update_received(struct zn__tls13 *e, const uint8_t *msg,
                                   size_t len, bool last);

/* Run what is due once something moved: the next record out, an
 * orderly close. */
void zn__tls13_run(struct zn__tls13 *e);
/* The alert a record header earns now (0: read on). */
int zn__tls13_header_alert(const struct zn__tls13 *e, const uint8_t *h);

/* The engine's buffer calls (struct zn__tls_engine's, tls_int.h). */
uint8_t *zn__tls13_recvrec_buf(struct zn__tls13 *e, size_t *len);
void zn__tls13_recvrec_ack(struct zn__tls13 *e, size_t len);
uint8_t *zn__tls13_recvapp_buf(struct zn__tls13 *e, size_t *len);
void zn__tls13_recvapp_ack(struct zn__tls13 *e, size_t len);
uint8_t *zn__tls13_sendrec_buf(struct zn__tls13 *e, size_t *len);
void zn__tls13_sendrec_ack(struct zn__tls13 *e, size_t len);
uint8_t *zn__tls13_sendapp_buf(struct zn__tls13 *e, size_t *len);
void zn__tls13_sendapp_ack(struct zn__tls13 *e, size_t len);
bool zn__tls13_can_write(const struct zn__tls13 *e);
void zn__tls13_flush(struct zn__tls13 *e);
void zn__tls13_close(struct zn__tls13 *e);
unsigned zn__tls13_status(const struct zn__tls13 *e);
bool zn__tls13_idle(const struct zn__tls13 *e);
void zn__tls13_set_bufs(struct zn__tls13 *e, uint8_t *ibuf, uint8_t *obuf);

/* ---- what both roles' handshakes share (tls13_hs.c) ---- */

/* The (EC)DHE groups, most preferred first (§4.2.7). */
extern const uint16_t zn__tls13_groups[3];
/* A group's key share length (§4.2.8.2), 0 if not ours. */
size_t zn__tls13_share_len(uint16_t group);
/* A key pair for group from rng: the private key into sk (48 bytes,
 * *sk_len), the share into pub (*pub_len).  False if it failed. */
bool zn__tls13_keygen(br_hmac_drbg_context *rng, uint16_t group, uint8_t *sk,
                      size_t *sk_len, uint8_t *pub, size_t *pub_len);
/* The shared secret of our private key and the peer's share into
 * shared (66 bytes, *shared_len): 0, or illegal_parameter for a share
 * that is not a point of the group (§4.2.8) or gives zero (§7.4.2). */
int zn__tls13_ecdh(uint16_t group, const uint8_t *sk, size_t sk_len,
                   struct zn__tls13_bytes peer, uint8_t *shared,
                   size_t *shared_len);
/* §7.1: the early secret of a PSK, HKDF-Extract(0, psk): the binder's
 * base and the handshake secret's, computed once for both. */
void zn__tls13_early_secret(const struct zn__tls13_suite *s, const uint8_t *psk,
                            uint8_t *early);
/* §7.1: the handshake secret from the early secret (NULL: no PSK) and
 * the (EC)DHE secret. */
void zn__tls13_handshake_secret(const struct zn__tls13_suite *s,
                                const uint8_t *early, const uint8_t *shared,
                                size_t len, uint8_t *secret);
/* §7.1: the handshake traffic secrets at th (the transcript through the
 * ServerHello), and secret moved on from the handshake secret to the
 * master secret. */
void zn__tls13_handshake_traffic(const struct zn__tls13_suite *s,
                                 uint8_t *secret, const uint8_t *th,
                                 uint8_t *c_hs, uint8_t *s_hs);
/* §7.1: the application traffic secrets from the master secret at th
 * (the transcript through the server's Finished). */
void zn__tls13_application_traffic(const struct zn__tls13_suite *s,
                                   const uint8_t *master, const uint8_t *th,
                                   uint8_t *c_ap, uint8_t *s_ap);
/* §4.4.4: a Finished's verify_data, from its base key and the
 * transcript's hash th. */
void zn__tls13_finished_mac(const struct zn__tls13_suite *s,
                            const uint8_t *base, const uint8_t *th,
                            uint8_t *out);
/* §4.2.11.2: a PSK's binder (hash_len bytes into mac) from its early
 * secret and th, the hash of the transcript through the ClientHello up
 * to its binders. */
void zn__tls13_binder(const struct zn__tls13_suite *s, const uint8_t *early,
                      const uint8_t *th, uint8_t *mac);
/* §4.1.4: the transcript so far (the first ClientHello) replaced by
 * message_hash of it. */
void zn__tls13_restart_transcript(const struct zn__tls13_suite *s,
                                  br_hash_compat_context *th);
/* Queue a piece of the flight; false if the queue is full. */
bool zn__tls13_queue(struct tls13_flight *fl, const uint8_t *p, size_t len,
                     uint8_t kind);
/* Flight pieces queued and not yet all in records. */
bool zn__tls13_flight_pending(const struct zn__tls13 *e);
/* Write the next record of the flight into obuf (free); true if one was
 * written. */
bool zn__tls13_flight_write(struct zn__tls13 *e);

/* ---- the server's handshake (tls13_srv.c) ---- */

/* The ClientHello gathered so far at ibuf + 5 (ch_len bytes): handled
 * once whole. */
void zn__tls13_ch_check(struct zn__tls13 *e);

/* The ClientHello (or the second, after HRR) at msg; 0, or the alert to
 * send.  *fallback: it offers no TLS 1.3 and TLS 1.2 may serve it. */
int zn__tls13_srv_client_hello(struct zn__tls13 *e, const uint8_t *msg,
                               size_t len, bool *fallback);
/* A handshake message of a protected record while the handshake runs (the
 * client's Finished); 0 or the alert. */
int zn__tls13_srv_handshake_msg(struct zn__tls13 *e, const uint8_t *msg,
                                size_t len);

/* ---- the client's handshake (tls13_cli.c) ---- */

/* Start: the ClientHello queued (server_name for SNI and the chain's
 * check, now for its validity).  ZN_OK, or ZN_ETLS (it does not fit). */
int zn__tls13_cli_start(struct zn__tls13 *e, const char *server_name,
                        uint64_t now);
/* The handshake bytes of one record (§5.1: messages may span records);
 * also after the handshake (NewSessionTicket, KeyUpdate). */
void zn__tls13_cli_bytes(struct zn__tls13 *e, const uint8_t *p, size_t len);
/* The alert §6.2 has for one of BearSSL's X.509 codes. */
int zn__tls13_x509_alert(int code);
/* P_TLS12: our ClientHello (its length; 0 if none) for BearSSL's
 * transcript, and where the ServerHello's record starts in ibuf. */
const uint8_t *zn__tls13_cli_hello(const struct zn__tls13 *e, size_t *len);

#endif /* ZNET_TLS13_INT_H */
