/*
 * libznet-tls's TLS 1.3 client (tls/tls13_cli.c, through the engine of
 * tls13_engine.c, as the glue drives it) against a hostile server.  No
 * stack: the engine's buffer calls are driven directly, so every run is
 * fast and deterministic (fixed entropy, a fixed clock in 2030, the test
 * CA as the trust anchor, "localhost" as the name).
 *
 * Input: a mode byte, then records.
 *   - Mode bit 0 clear: the rest is the server's bytes as they come on
 *     the wire (ServerHello or HelloRetryRequest, TLS 1.2 answers, which
 *     BearSSL then reads, alerts, change_cipher_spec, anything), fed in
 *     pieces of the sizes the mode byte's bits 1-3 say.
 *   - Mode bit 0 set: the harness answers the ClientHello with a valid
 *     ServerHello (X25519 from a fixed key, TLS_AES_128_GCM_SHA256, the
 *     session ID echoed) and a change_cipher_spec; the rest is the
 *     plaintext of the server's protected records, each as [length:2]
 *     [inner type:1][content], sealed here under the server's handshake
 *     keys, so that EncryptedExtensions, CertificateRequest, the
 *     streamed Certificate (and BearSSL's X.509 decoder under it),
 *     CertificateVerify, Finished and what follows are all reached.
 *     Seeds are RFC 8448's flight and znet's own certificate chain.
 *   - Mode bits 0 and 4 set: the client has a ticket for the name in its
 *     store (zn_tls_config.resume, filled before each run) and offers it;
 *     the harness takes it (pre_shared_key in its ServerHello, the PSK
 *     in the key schedule), sends EncryptedExtensions and a valid
 *     Finished, and the rest is sealed under the server's application
 *     keys: NewSessionTicket (kept in the store), KeyUpdate, data.
 *
 * Checks (beyond the sanitizers): the engine's buffers are offered with
 * lengths that fit them; a failed engine says closed and stays closed;
 * what it sends after the ClientHello are records of TLS's types.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "tls/certs.h"
#include "tls13_int.h"
#include "znet/err.h"

#define IBUF ZN_TLS_IN_BUF_DEFAULT
#define OBUF ZN_TLS_OUT_BUF_DEFAULT

static _Alignas(max_align_t) uint8_t state[16384];
static uint8_t ibuf[IBUF], obuf[OBUF];
static uint8_t sent[65536]; /* what the client sent */
static size_t sent_len;
static const struct zn__tls_engine *eng = &zn__tls_tls13;
static _Alignas(max_align_t) uint8_t store_mem[8192];
static struct zn_tls_resume *store;
/* The PSK of the ticket the store holds before each run. */
static const uint8_t ticket_psk[32] = {0x50, 0x53, 0x4b};

static uint64_t clock_2030(void *arg) {
  (void)arg;
  return 1893456000u;
}

static const struct zn_tls_config *config(void) {
  static struct zn_tls_config cfg;
  static struct zn_tls_anchors *anchors;
  static _Alignas(max_align_t) uint8_t amem[8192];
  if (!anchors) {
    FZ_CHECK(zn_tls_anchors_init(ZT_PEM_CA_PEM, strlen(ZT_PEM_CA_PEM), amem,
                                 sizeof(amem), &anchors, NULL) == ZN_OK);
    zn_tls_config_default(&cfg, ZN_TLS_CLIENT);
    cfg.anchors = anchors;
    cfg.clock = clock_2030;
  }
  cfg.resume = store;
  return &cfg;
}

/* A store with one ticket for "localhost" (SHA-256, ticket_psk). */
static void fill_store(void) {
  FZ_CHECK(zn_tls_resume_mem_size(4) <= sizeof(store_mem));
  FZ_CHECK(zn_tls_resume_init(store_mem, sizeof(store_mem), 4, &store) ==
           ZN_OK);
  struct zn__tls13_resume_ticket t = {
      .lifetime_s = 3600, .age_add = 77, .suite = 0x1301, .ticket_len = 48};
  t.psk_len = sizeof(ticket_psk);
  memcpy(t.psk, ticket_psk, sizeof(ticket_psk));
  memset(t.ticket, 0x77, 48);
  FZ_CHECK(zn__tls13_resume_keep(store, "localhost", &t) == ZN_OK);
}

/* p and len bytes after it lie in buf (cap bytes). */
static bool within(const uint8_t *p, size_t len, const uint8_t *buf,
                   size_t cap) {
  uintptr_t a = (uintptr_t)p, b = (uintptr_t)buf;
  return a >= b && len <= cap && a - b <= cap - len;
}

/* What the client has to send, appended to sent. */
static void drain(void) {
  for (int guard = 0; guard < 64; guard++) {
    size_t len;
    uint8_t *p = eng->sendrec_buf(state, &len);
    if (p == NULL || len == 0)
      return;
    FZ_CHECK(within(p, len, obuf, OBUF));
    size_t k = len < sizeof(sent) - sent_len ? len : sizeof(sent) - sent_len;
    memcpy(sent + sent_len, p, k);
    sent_len += k;
    eng->sendrec_ack(state, len);
  }
}

/* Application data the client received: read and dropped. */
static void read_app(void) {
  size_t len;
  uint8_t *p = eng->recvapp_buf(state, &len);
  if (p != NULL && len > 0)
    eng->recvapp_ack(state, len);
}

/* Server bytes to the client, in pieces of at most piece bytes. */
static void feed(const uint8_t *p, size_t len, size_t piece) {
  while (len > 0) {
    if (eng->status(state) & ZN__TLS_CLOSED)
      return;
    read_app();
    size_t room;
    uint8_t *dst = eng->recvrec_buf(state, &room);
    if (dst == NULL || room == 0)
      return;
    FZ_CHECK(within(dst, room, ibuf, IBUF));
    size_t k = room < len ? room : len;
    if (k > piece)
      k = piece;
    memcpy(dst, p, k);
    eng->recvrec_ack(state, k);
    p += k;
    len -= k;
    drain();
  }
}

static bool start(void) {
  static const uint8_t seed[32] = {1, 2, 3};
  struct zn__tls_start p = {.ibuf = ibuf,
                            .obuf = obuf,
                            .seed = seed,
                            .seed_len = sizeof(seed),
                            .now = 1893456000u,
                            .now_ms = 0,
                            .server_name = "localhost",
                            .creds = NULL};
  FZ_CHECK(eng->state_size(ZN_TLS_CLIENT) <= sizeof(state));
  fill_store();
  sent_len = 0;
  if (eng->start(state, config(), &p) != ZN_OK)
    return false;
  drain();
  return true;
}

/* ---- mode 1: a valid ServerHello, then sealed records ---- */

static size_t p16(uint8_t *p, unsigned v) {
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
  return 2;
}

struct keys {
  const struct zn__tls13_suite *s;
  struct zn__tls13_keys wr;
  br_sha256_context th;
  uint8_t secret[32], s_hs[32];
};

/* The ServerHello for the ClientHello at sent (taking its ticket if
 * resume); false if there is none (the client failed before it). */
static bool answer_hello(struct keys *k, bool resume) {
  if (sent_len < 9 || sent[0] != ZN__TLS13_CT_handshake)
    return false;
  size_t rec = (size_t)sent[3] << 8 | sent[4];
  struct zn__tls13_client_hello ch;
  if (rec > sent_len - 5 ||
      zn__tls13_parse_client_hello(sent + 5, rec, &ch) != 0)
    return false;
  struct zn__tls13_bytes shares = ch.shares, cpub = {NULL, 0};
  uint16_t g;
  while (zn__tls13_next_share(&shares, &g, &cpub) && g != 0x001d)
    ;
  FZ_CHECK(g == 0x001d && cpub.len == 32);
  FZ_CHECK(!resume || (ch.seen & ZN__TLS13_SEEN(pre_shared_key)));
  const br_ec_impl *ec = br_ec_get_default();
  uint8_t priv[32], pub[32], shared[32];
  for (int i = 0; i < 32; i++)
    priv[i] = (uint8_t)(i * 7 + 3);
  ec->mulgen(pub, priv, 32, BR_EC_curve25519);
  memcpy(shared, cpub.p, 32);
  FZ_CHECK(ec->mul(shared, 32, priv, 32, BR_EC_curve25519));
  uint8_t sh[5 + 128];
  size_t n = 5 + 4;
  n += p16(sh + n, 0x0303);
  memset(sh + n, 0x42, 32);
  n += 32;
  sh[n++] = (uint8_t)ch.session_id.len;
  memcpy(sh + n, ch.session_id.p, ch.session_id.len);
  n += ch.session_id.len;
  n += p16(sh + n, 0x1301);
  sh[n++] = 0;
  n += p16(sh + n, 2 + 4 + 4 + 36 + (resume ? 6 : 0));
  if (resume) { /* pre_shared_key: the first identity */
    n += p16(sh + n, 41);
    n += p16(sh + n, 2);
    n += p16(sh + n, 0);
  }
  n += p16(sh + n, 43);
  n += p16(sh + n, 2);
  n += p16(sh + n, 0x0304);
  n += p16(sh + n, 51);
  n += p16(sh + n, 36);
  n += p16(sh + n, 0x001d);
  n += p16(sh + n, 32);
  memcpy(sh + n, pub, 32);
  n += 32;
  sh[0] = ZN__TLS13_CT_handshake;
  sh[1] = 3;
  sh[2] = 3;
  p16(sh + 3, (unsigned)(n - 5));
  sh[5] = ZN__TLS13_HS_server_hello;
  sh[6] = 0;
  p16(sh + 7, (unsigned)(n - 9));
  /* The key schedule (§7.1) over ClientHello and ServerHello. */
  k->s = zn__tls13_suite(0x1301);
  br_sha256_init(&k->th);
  br_sha256_update(&k->th, sent + 5, rec);
  br_sha256_update(&k->th, sh + 5, n - 5);
  uint8_t h[32], c_hs[32];
  br_sha256_out(&k->th, h);
  uint8_t early[32];
  zn__tls13_early_secret(k->s, ticket_psk, early);
  zn__tls13_handshake_secret(k->s, resume ? early : NULL, shared, 32,
                             k->secret);
  zn__tls13_handshake_traffic(k->s, k->secret, h, c_hs, k->s_hs);
  zn__tls13_keys_set(&k->wr, k->s, k->s_hs);
  feed(sh, n, n);
  static const uint8_t ccs[6] = {20, 3, 3, 0, 1, 1};
  feed(ccs, sizeof(ccs), sizeof(ccs));
  return true;
}

/* One handshake message sealed under the current keys, and hashed. */
static void seal_hs(struct keys *k, const uint8_t *msg, size_t len) {
  static uint8_t rec[5 + 256 + 1 + 16];
  memcpy(rec + 5, msg, len);
  rec[5 + len] = ZN__TLS13_CT_handshake;
  br_sha256_update(&k->th, msg, len);
  size_t total = zn__tls13_seal(&k->wr, rec, len + 1);
  feed(rec, total, total);
}

/* A resumed server's flight: EncryptedExtensions, Finished; then its
 * application keys (§7.1). */
static void resumed_flight(struct keys *k) {
  static const uint8_t ee[6] = {ZN__TLS13_HS_encrypted_extensions, 0, 0, 2};
  seal_hs(k, ee, sizeof(ee));
  uint8_t h[32], fin[4 + 32] = {ZN__TLS13_HS_finished, 0, 0, 32}, s_ap[32];
  br_sha256_out(&k->th, h);
  zn__tls13_finished_mac(k->s, k->s_hs, h, fin + 4);
  seal_hs(k, fin, sizeof(fin));
  br_sha256_out(&k->th, h);
  zn__tls13_derive_secret(k->s, k->secret, "s ap traffic", h, s_ap);
  zn__tls13_keys_set(&k->wr, k->s, s_ap);
}

/* The input's records, sealed: [length:2][inner type:1][content], of any
 * length a record's header can carry (past a record's 16384 too, which
 * the client must refuse). */
static void sealed_records(struct keys *k, const uint8_t *p, size_t len) {
  static uint8_t rec[5 + 65535];
  while (len >= 3) {
    size_t n = (size_t)p[0] << 8 | p[1];
    uint8_t type = p[2];
    p += 3;
    len -= 3;
    if (n > len)
      n = len;
    if (n > 65535 - 1 - 16)
      n = 65535 - 1 - 16;
    memcpy(rec + 5, p, n);
    rec[5 + n] = type;
    size_t total = zn__tls13_seal(&k->wr, rec, n + 1);
    feed(rec, total, total);
    p += n;
    len -= n;
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1 || !start())
    return 0;
  uint8_t mode = data[0];
  static const size_t pieces[8] = {1, 2, 5, 7, 64, 1000, 4096, 65536};
  if (mode & 1) {
    struct keys k;
    bool resume = (mode & 16) != 0;
    if (answer_hello(&k, resume)) {
      if (resume) {
        /* The harness's flight is valid: the client is open, resumed. */
        resumed_flight(&k);
        struct zn_tls_info info;
        memset(&info, 0, sizeof(info));
        eng->info(state, &info);
        FZ_CHECK((eng->status(state) & ZN__TLS_SENDAPP) && info.resumed);
      }
      sealed_records(&k, data + 1, size - 1);
    }
  } else {
    feed(data + 1, size - 1, pieces[(mode >> 1) & 7]);
  }
  read_app();
  drain();
  /* What the client sent: whole records of TLS's four types. */
  for (size_t at = 0; at + 5 <= sent_len;) {
    FZ_CHECK(sent[at] >= 20 && sent[at] <= 23 && sent[at + 1] == 3);
    at += 5 + ((size_t)sent[at + 3] << 8 | sent[at + 4]);
  }
  if (eng->status(state) & ZN__TLS_CLOSED) {
    /* Closed stays closed: nothing more is taken or offered. */
    size_t room;
    FZ_CHECK(eng->recvrec_buf(state, &room) == NULL || room == 0);
    FZ_CHECK(eng->status(state) == ZN__TLS_CLOSED);
    (void)eng->verdict(eng->last_error(state));
  }
  return 0;
}
