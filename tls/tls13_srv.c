/*
 * The TLS 1.3 server's handshake (RFC 8446 §2, §4): from the ClientHello
 * to the client's Finished, full handshakes with (EC)DHE.
 *
 * The ClientHello decides everything at once (§4.1.1): the version
 * (supported_versions; a client that offers no TLS 1.3 is handed to the
 * TLS 1.2 engine), the suite (the client's order among ours), the group
 * (X25519, then P-256, then P-384, for which the client sent a share;
 * else a HelloRetryRequest for the first of ours it supports), the
 * signature scheme (what our key signs with, among the client's), ALPN
 * (the first of ours the client offers) and the record size limit (RFC
 * 8449, or RFC 6066's max_fragment_length).  The whole flight is then
 * written at once into the session's scratch (ServerHello,
 * EncryptedExtensions, the Certificate's framing, CertificateVerify,
 * Finished; the certificates themselves are sent from the credentials),
 * each message hashed into the transcript as it is written, so that the
 * CertificateVerify and Finished that follow see the transcript they
 * sign; the flight is then cut into records as obuf frees
 * (zn__tls13_srv_flight).  The client's Finished, checked against the
 * value computed with the flight, opens the session.
 *
 * OCSP stapling (§4.4.2.1): a client whose ClientHello carries
 * status_request for ocsp gets the credentials' response, if they have
 * one, in the leaf's CertificateEntry; the response, as the
 * certificates, is a piece of the flight sent from the caller's bytes.
 *
 * Middlebox compatibility (§D.4): a client that sent a session ID gets
 * it echoed and one change_cipher_spec after our first handshake
 * message.  The HelloRetryRequest carries a cookie (§4.2.2) the second
 * ClientHello must echo.
 */
#include <string.h>

#include "tls13_int.h"
#include "tls13_sig.h"
#include "tls13_w.h"
#include "znet/wipe.h"

static const uint8_t ccs_byte = 1;

/* The scratch's free part, as a writer. */
static struct tls13_w scratch_w(struct tls13_srv_hs *h) {
  struct tls13_w w = {h->scratch + h->scratch_len, 0,
                      sizeof(h->scratch) - h->scratch_len, false};
  return w;
}

/* A message written at the scratch's end: hashed into the transcript
 * and queued to be sent in a record of kind.  False if the scratch or
 * the pieces ran out (internal_error). */
static bool commit(struct zn__tls13 *e, struct tls13_w *w, uint8_t kind) {
  struct tls13_srv_hs *h = e->srv;
  if (w->full || !zn__tls13_queue(&h->fl, w->b, w->n, kind))
    return false;
  e->suite->hash->update(&h->th.vtable, w->b, w->n);
  h->scratch_len = (uint16_t)(h->scratch_len + w->n);
  return true;
}

static void transcript_hash(struct zn__tls13 *e, uint8_t *out) {
  e->suite->hash->out(&e->srv->th.vtable, out);
}

/* ---- choosing ---- */

static bool tls12_allowed(const struct zn__tls13 *e) {
  return (e->cfg->suites == 0 ||
          (e->cfg->suites & zn__tls_suites_of(0x0303)) != 0);
}

static bool tls13_allowed(const struct zn__tls13 *e) {
  return (e->cfg->suites == 0 ||
          (e->cfg->suites & zn__tls_suites_of(0x0304)) != 0);
}

static uint8_t lower(uint8_t c) {
  return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
}

/* RFC 6125 §6.4: a name of the SNI table (a DNS name, or "*." and one,
 * whose star stands for exactly one leftmost label) matches the host_name
 * the client sent, without regard to case. */
static bool sni_matches(const char *pattern, struct zn__tls13_bytes name) {
  const uint8_t *p = (const uint8_t *)pattern;
  size_t off = 0;
  if (p[0] == '*') {
    while (off < name.len && name.p[off] != '.')
      off++;
    if (off == 0 || off == name.len)
      return false;
    p++; /* ".rest" against the name from its first dot */
  }
  size_t i = 0;
  for (; p[i] != '\0' && off + i < name.len; i++)
    if (lower(p[i]) != lower(name.p[off + i]))
      return false;
  return p[i] == '\0' && off + i == name.len;
}

/* The chain for the name the client asked for (RFC 6066 §3): the first
 * entry of the SNI table that matches it, else the default. */
static void choose_creds(struct zn__tls13 *e, struct zn__tls13_bytes name) {
  struct tls13_srv_hs *h = e->srv;
  h->creds = e->cfg->creds;
  h->sni = -1;
  for (uint32_t i = 0; name.len && i < e->cfg->nsni; i++)
    if (sni_matches(e->cfg->sni[i].name, name)) {
      h->creds = e->cfg->sni[i].creds;
      h->sni = (int)i;
      return;
    }
}

static bool suite_allowed(const struct zn__tls13 *e, uint16_t id) {
  uint32_t bit = zn__tls_suite_bit(id);
  return bit != 0 && zn__tls13_suite(id) != NULL &&
         (e->cfg->suites == 0 || (e->cfg->suites & bit) != 0);
}

/* §4.2.1: TLS 1.3 if offered; TLS 1.2 to the other engine. */
static int choose_version(struct zn__tls13 *e,
                          const struct zn__tls13_client_hello *ch,
                          bool *fallback) {
  bool has13 = (ch->seen & ZN__TLS13_SEEN(supported_versions)) &&
               zn__tls13_has_u16(ch->versions, 0x0304);
  bool has12 = (ch->seen & ZN__TLS13_SEEN(supported_versions))
                   ? zn__tls13_has_u16(ch->versions, 0x0303)
                   : ch->legacy_version >= 0x0303;
  if (has13 && tls13_allowed(e))
    return 0;
  if (e->phase == P_WAIT_CH2)
    return ZN__TLS13_ALERT_illegal_parameter; /* §4.1.4 */
  if (has12 && tls12_allowed(e)) {
    *fallback = true;
    return 0;
  }
  return ZN__TLS13_ALERT_protocol_version;
}

/* The first TLS 1.3 suite of the client's we allow. */
static const struct zn__tls13_suite *choose_suite(const struct zn__tls13 *e,
                                                  struct zn__tls13_bytes list) {
  uint16_t id;
  while (zn__tls13_next_u16(&list, &id))
    if (suite_allowed(e, id))
      return zn__tls13_suite(id);
  return NULL;
}

/* The client's share for group, if it sent one. */
static bool share_for(struct zn__tls13_bytes shares, uint16_t group,
                      struct zn__tls13_bytes *key) {
  uint16_t g;
  while (zn__tls13_next_share(&shares, &g, key))
    if (g == group)
      return true;
  return false;
}

/* §4.2.8: every share is of a group the client supports. */
static bool shares_in_groups(const struct zn__tls13_client_hello *ch) {
  struct zn__tls13_bytes shares = ch->shares, key;
  uint16_t g;
  while (zn__tls13_next_share(&shares, &g, &key))
    if (!zn__tls13_has_u16(ch->groups, g))
      return false;
  return true;
}

/* Our group with a share, or (*retry) the first of ours the client
 * supports, for a HelloRetryRequest; 0 for none. */
static uint16_t choose_group(const struct zn__tls13_client_hello *ch,
                             bool *retry) {
  struct zn__tls13_bytes key;
  *retry = false;
  for (size_t i = 0; i < sizeof(zn__tls13_groups) / sizeof(zn__tls13_groups[0]);
       i++)
    if (zn__tls13_has_u16(ch->groups, zn__tls13_groups[i]) &&
        share_for(ch->shares, zn__tls13_groups[i], &key))
      return zn__tls13_groups[i];
  for (size_t i = 0; i < sizeof(zn__tls13_groups) / sizeof(zn__tls13_groups[0]);
       i++)
    if (zn__tls13_has_u16(ch->groups, zn__tls13_groups[i])) {
      *retry = true;
      return zn__tls13_groups[i];
    }
  return 0;
}

/* RFC 7301 §3.2: ours in our order; none in common: no ALPN. */
static int choose_alpn(const struct zn__tls13 *e, struct zn__tls13_bytes list) {
  for (uint32_t i = 0; e->cfg->alpn && i < e->cfg->nalpn; i++) {
    const char *ours = e->cfg->alpn[i];
    size_t len = 0;
    while (ours[len] != '\0')
      len++;
    struct zn__tls13_bytes l = list, name;
    while (zn__tls13_next_name(&l, &name))
      if (name.len == len && memcmp(name.p, ours, len) == 0)
        return (int)i;
  }
  return -1;
}

/* RFC 8449 (or RFC 6066 §4): how much plaintext our records may carry. */
static void choose_record_limit(struct zn__tls13 *e,
                                const struct zn__tls13_client_hello *ch) {
  if (ch->record_size_limit)
    e->peer_record_limit = ch->record_size_limit < ZN__TLS13_MAX_PLAIN + 1
                               ? ch->record_size_limit
                               : (uint16_t)(ZN__TLS13_MAX_PLAIN + 1);
  else if (ch->max_fragment_length)
    e->peer_record_limit =
        (uint16_t)((1u << (8 + ch->max_fragment_length)) + 1);
  zn__tls13_set_max_plain(e);
}

/* ---- the key exchange (§4.2.8, §7.4) ---- */

/* Our key pair for the group: its public share into pub (returned
 * length), the shared secret with the client's share into shared
 * (*shared_len).  0, or the alert for a bad share. */
static int key_exchange(struct zn__tls13 *e, uint16_t group,
                        struct zn__tls13_bytes peer, uint8_t *pub,
                        size_t *pub_len, uint8_t *shared, size_t *shared_len) {
  uint8_t sk[48];
  size_t sk_len;
  if (peer.len != zn__tls13_share_len(group) ||
      !zn__tls13_keygen(&e->srv->rng, group, sk, &sk_len, pub, pub_len))
    return ZN__TLS13_ALERT_illegal_parameter;
  int a = zn__tls13_ecdh(group, sk, sk_len, peer, shared, shared_len);
  zn_wipe(sk, sizeof(sk));
  return a;
}

/* §7.1: the traffic secrets of the handshake, the master secret. */
static void handshake_traffic(struct zn__tls13 *e) {
  struct tls13_srv_hs *h = e->srv;
  uint8_t th[ZN__TLS13_MAX_HASH];
  transcript_hash(e, th);
  zn__tls13_handshake_traffic(e->suite, h->secret, th, h->c_hs, h->s_hs);
}

/* ---- the messages ---- */

static void ext_versions(struct tls13_w *w) {
  w_u16(w, 43);
  w_u16(w, 2);
  w_u16(w, 0x0304);
}

/* §4.1.3: ServerHello, or a HelloRetryRequest (random NULL). */
static void write_server_hello(struct tls13_w *w,
                               const struct zn__tls13_client_hello *ch,
                               const uint8_t *random, uint16_t suite,
                               uint16_t group, const uint8_t *share,
                               size_t share_len, const uint8_t *cookie,
                               size_t cookie_len, int psk_index) {
  size_t m = w_hs_header(w, ZN__TLS13_HS_server_hello);
  w_u16(w, 0x0303);
  w_bytes(w, random ? random : zn__tls13_hrr_random, 32);
  w_u8(w, (unsigned)ch->session_id.len);
  w_bytes(w, ch->session_id.p, ch->session_id.len);
  w_u16(w, suite);
  w_u8(w, 0);
  size_t x = w_open(w, 2);
  ext_versions(w);
  w_u16(w, 51);
  size_t k = w_open(w, 2);
  w_u16(w, group);
  if (share) {
    w_u16(w, (unsigned)share_len);
    w_bytes(w, share, share_len);
  }
  w_close(w, k, 2);
  if (psk_index >= 0) { /* §4.2.11: selected_identity */
    w_u16(w, 41);
    w_u16(w, 2);
    w_u16(w, (unsigned)psk_index);
  }
  if (cookie) {
    w_u16(w, 44);
    w_u16(w, (unsigned)cookie_len + 2);
    w_u16(w, (unsigned)cookie_len);
    w_bytes(w, cookie, cookie_len);
  }
  w_close(w, x, 2);
  w_close(w, m, 3);
}

/* §4.3.1: what the client asked for that we do, in the clear no more. */
static void
write_encrypted_extensions(struct tls13_w *w, const struct zn__tls13 *e,
                           const struct zn__tls13_client_hello *ch) {
  size_t m = w_hs_header(w, ZN__TLS13_HS_encrypted_extensions);
  size_t x = w_open(w, 2);
  if (ch->server_name.len) { /* RFC 6066 §3: an empty acknowledgement */
    w_u16(w, 0);
    w_u16(w, 0);
  }
  if (e->alpn >= 0) {
    const char *name = e->cfg->alpn[e->alpn];
    size_t len = 0;
    while (name[len] != '\0')
      len++;
    w_u16(w, 16);
    w_u16(w, (unsigned)len + 3);
    w_u16(w, (unsigned)len + 1);
    w_u8(w, (unsigned)len);
    w_bytes(w, name, len);
  }
  if (ch->record_size_limit) { /* ours: any record fits ibuf */
    w_u16(w, 28);
    w_u16(w, 2);
    w_u16(w, ZN__TLS13_MAX_PLAIN + 1);
  } else if (ch->max_fragment_length) {
    w_u16(w, 1);
    w_u16(w, 1);
    w_u8(w, ch->max_fragment_length);
  }
  w_close(w, x, 2);
  w_close(w, m, 3);
}

/* A piece from outside the scratch (a certificate's DER, the OCSP
 * response), sent from where it is: hashed and queued after the
 * scratch's bytes before it were committed. */
static bool queue_outside(struct zn__tls13 *e, const uint8_t *p, size_t n) {
  struct tls13_srv_hs *h = e->srv;
  if (!zn__tls13_queue(&h->fl, p, n, K_ENC_HS))
    return false;
  e->suite->hash->update(&h->th.vtable, p, n);
  return true;
}

/* The leaf entry's extensions up to the response (§4.4.2.1, RFC 6066
 * §8): their length, status_request's type and length, a
 * CertificateStatus's status_type ocsp and the response's length. */
#define STATUS_FRAMING 10u

static void write_status_framing(struct tls13_w *w, size_t ocsp_len) {
  w_u16(w, (unsigned)(STATUS_FRAMING - 2 + ocsp_len));
  w_u16(w, 5); /* status_request */
  w_u16(w, (unsigned)(STATUS_FRAMING - 6 + ocsp_len));
  w_u8(w, 1); /* ocsp */
  w_u24(w, ocsp_len);
}

/* §4.4.2: the framing is ours, in the scratch; each certificate's DER
 * the credentials', and the OCSP response (§4.4.2.1, the leaf's only,
 * when the client asked and there is one) the caller's, both sent from
 * where they are. */
static bool queue_certificate(struct zn__tls13 *e, bool status_asked) {
  struct tls13_srv_hs *h = e->srv;
  const struct zn_tls_creds *cr = e->srv->creds;
  /* The pair read once: zn_tls_creds_set_ocsp() may replace it between
   * handshakes, and this one sends what it read now. */
  const uint8_t *ocsp = status_asked ? cr->ocsp : NULL;
  size_t ocsp_len = ocsp ? cr->ocsp_len : 0;
  size_t total = ocsp_len ? STATUS_FRAMING - 2 + ocsp_len : 0;
  for (uint32_t i = 0; i < cr->chain_len; i++)
    total += 3 + cr->chain[i].data_len + 2;
  if (cr->chain_len > TLS13_MAX_CHAIN || total > 0xffffffu - 4)
    return false;
  struct tls13_w w = scratch_w(h);
  w_u8(&w, ZN__TLS13_HS_certificate);
  w_u24(&w, 1 + 3 + total);
  w_u8(&w, 0); /* certificate_request_context */
  w_u24(&w, total);
  for (uint32_t i = 0; i < cr->chain_len; i++) {
    w_u24(&w, cr->chain[i].data_len);
    if (!commit(e, &w, K_ENC_HS) ||
        !queue_outside(e, cr->chain[i].data, cr->chain[i].data_len))
      return false;
    w = scratch_w(h);
    if (i > 0 || ocsp_len == 0) {
      w_u16(&w, 0); /* no extensions for the entry */
      continue;
    }
    write_status_framing(&w, ocsp_len);
    if (!commit(e, &w, K_ENC_HS) || !queue_outside(e, ocsp, ocsp_len))
      return false;
    w = scratch_w(h);
    e->ocsp_stapled = true;
  }
  return (w.n == 0 && !w.full) || commit(e, &w, K_ENC_HS);
}

/* §4.4.3. */
static bool queue_certificate_verify(struct zn__tls13 *e) {
  struct tls13_srv_hs *h = e->srv;
  const struct zn_tls_creds *cr = e->srv->creds;
  uint8_t th[ZN__TLS13_MAX_HASH], content[ZN__TLS13_CV_CONTENT_MAX], rnd[64],
      sig[ZN__TLS13_SIG_MAX];
  transcript_hash(e, th);
  size_t clen = zn__tls13_cv_content(true, th, e->suite->hash_len, content);
  br_hmac_drbg_generate(&h->rng, rnd, sizeof(rnd));
  size_t slen = zn__tls13_sign(h->scheme, cr->is_ec ? &cr->ec : NULL,
                               cr->is_ec ? NULL : &cr->rsa, content, clen, rnd,
                               sig, sizeof(sig));
  if (slen == 0)
    return false;
  struct tls13_w w = scratch_w(h);
  size_t m = w_hs_header(&w, ZN__TLS13_HS_certificate_verify);
  w_u16(&w, h->scheme);
  w_u16(&w, (unsigned)slen);
  w_bytes(&w, sig, slen);
  w_close(&w, m, 3);
  return commit(e, &w, K_ENC_HS);
}

/* §4.4.4: HMAC(finished_key, transcript) with the base key. */
static void finished_mac(struct zn__tls13 *e, const uint8_t *base,
                         uint8_t *out) {
  uint8_t th[ZN__TLS13_MAX_HASH];
  transcript_hash(e, th);
  zn__tls13_finished_mac(e->suite, base, th, out);
}

static bool queue_finished(struct zn__tls13 *e) {
  struct tls13_srv_hs *h = e->srv;
  uint8_t mac[ZN__TLS13_MAX_HASH];
  finished_mac(e, h->s_hs, mac);
  struct tls13_w w = scratch_w(h);
  size_t m = w_hs_header(&w, ZN__TLS13_HS_finished);
  w_bytes(&w, mac, e->suite->hash_len);
  w_close(&w, m, 3);
  return commit(e, &w, K_ENC_HS);
}

/* ---- the ClientHello ---- */

static int send_hello_retry(struct zn__tls13 *e,
                            const struct zn__tls13_client_hello *ch,
                            uint16_t group) {
  struct tls13_srv_hs *h = e->srv;
  zn__tls13_restart_transcript(e->suite, &h->th);
  br_hmac_drbg_generate(&h->rng, h->cookie, sizeof(h->cookie));
  struct tls13_w w = scratch_w(h);
  write_server_hello(&w, ch, NULL, e->suite->id, group, NULL, 0, h->cookie,
                     sizeof(h->cookie), -1);
  if (!commit(e, &w, K_PLAIN_HS))
    return ZN__TLS13_ALERT_internal_error;
  if (ch->session_id.len)
    (void)zn__tls13_queue(&h->fl, &ccs_byte, 1, K_CCS);
  h->hrr_sent = true;
  e->hello_retry = true;
  h->group = group;
  zn__tls13_enter(e, P_WAIT_CH2);
  e->early_skip = (ch->seen & ZN__TLS13_SEEN(early_data)) != 0;
  return 0;
}

/* §4.1.4: the second ClientHello keeps to what the retry asked. */
static int check_second_hello(const struct zn__tls13 *e,
                              const struct zn__tls13_client_hello *ch) {
  const struct tls13_srv_hs *h = e->srv;
  struct zn__tls13_bytes key, shares = ch->shares;
  uint16_t g;
  size_t n = 0;
  while (zn__tls13_next_share(&shares, &g, &key))
    n++;
  if (ch->cookie.len != sizeof(h->cookie) ||
      memcmp(ch->cookie.p, h->cookie, sizeof(h->cookie)) != 0 || n != 1 ||
      !share_for(ch->shares, h->group, &key) ||
      (ch->seen & ZN__TLS13_SEEN(early_data)))
    return ZN__TLS13_ALERT_illegal_parameter;
  return 0;
}

/* What a TLS 1.3 ClientHello must carry (§4.1.2, §9.2). */
static int check_hello(const struct zn__tls13_client_hello *ch) {
  if (ch->compression.len != 1 || ch->compression.p[0] != 0)
    return ZN__TLS13_ALERT_illegal_parameter;
  uint64_t need = ZN__TLS13_SEEN(supported_groups) | ZN__TLS13_SEEN(key_share) |
                  ZN__TLS13_SEEN(signature_algorithms);
  if ((ch->seen & need) != need)
    return ZN__TLS13_ALERT_missing_extension;
  if (!shares_in_groups(ch))
    return ZN__TLS13_ALERT_illegal_parameter;
  return 0;
}

/* The flight after the ServerHello is decided (§4.1.3 to §4.4.4), the
 * keys of each part queued where they change. */
static int queue_flight(struct zn__tls13 *e,
                        const struct zn__tls13_client_hello *ch,
                        const uint8_t *pub, size_t pub_len) {
  struct tls13_srv_hs *h = e->srv;
  uint8_t random[32];
  br_hmac_drbg_generate(&h->rng, random, sizeof(random));
  struct tls13_w w = scratch_w(h);
  write_server_hello(&w, ch, random, e->suite->id, h->group, pub, pub_len, NULL,
                     0, e->resumed ? h->psk_index : -1);
  if (!commit(e, &w, K_PLAIN_HS))
    return ZN__TLS13_ALERT_internal_error;
  if (ch->session_id.len && !h->hrr_sent)
    (void)zn__tls13_queue(&h->fl, &ccs_byte, 1, K_CCS);
  handshake_traffic(e);
  (void)zn__tls13_queue(&h->fl, h->s_hs, 0, K_KEYS);
  w = scratch_w(h);
  write_encrypted_extensions(&w, e, ch);
  if (!commit(e, &w, K_ENC_HS) ||
      (!e->resumed && (!queue_certificate(e, ch->status_request_ocsp) ||
                       !queue_certificate_verify(e))) ||
      !queue_finished(e) || h->fl.npieces >= TLS13_MAX_PIECES)
    return ZN__TLS13_ALERT_internal_error;
  return 0;
}

/* After our Finished: the application secrets, the client's Finished
 * expected (§7.1, §4.4.4). */
static void application_secrets(struct zn__tls13 *e) {
  struct tls13_srv_hs *h = e->srv;
  uint8_t th[ZN__TLS13_MAX_HASH];
  transcript_hash(e, th);
  zn__tls13_application_traffic(e->suite, h->secret, th, h->c_ap, h->s_ap);
  finished_mac(e, h->c_hs, h->client_finished);
  (void)zn__tls13_queue(&h->fl, h->s_ap, 0, K_KEYS);
}

/* Everything decided; the (EC)DHE and the flight. */
static int full_handshake(struct zn__tls13 *e,
                          const struct zn__tls13_client_hello *ch) {
  struct tls13_srv_hs *h = e->srv;
  struct zn__tls13_bytes peer;
  uint8_t pub[BR_EC_KBUF_PUB_MAX_SIZE], shared[66];
  size_t pub_len, shared_len;
  (void)share_for(ch->shares, h->group, &peer);
  int a = key_exchange(e, h->group, peer, pub, &pub_len, shared, &shared_len);
  if (a)
    return a;
  zn__tls13_handshake_secret(e->suite, e->resumed ? h->early : NULL, shared,
                             shared_len, h->secret);
  zn_wipe(shared, sizeof(shared));
  a = queue_flight(e, ch, pub, pub_len);
  if (a)
    return a;
  application_secrets(e);
  zn__tls13_set_read(e, h->c_hs);
  e->early_skip = e->early_skip || (ch->seen & ZN__TLS13_SEEN(early_data));
  zn__tls13_enter(e, P_WAIT_CFIN);
  return 0;
}

/* ---- resumption (§4.2.11, §4.6.1) ---- */

/* The first 8 bytes of SHA-256 of the server name (none: zeros). */
static void name_hash(struct zn__tls13_bytes name, uint8_t out[8]) {
  memset(out, 0, 8);
  if (name.len != 0)
    zn__tls13_name_hash(name.p, name.len, out, 8);
}

/* How far the client's idea of a ticket's age may be from ours (ms):
 * round trips and clock drift, no more. */
#define TICKET_AGE_SLACK_MS 10000u

/* A ticket of ours, alive, for this name, with the suite's hash, and
 * as old as the client says (§4.2.11.1's obfuscated_ticket_age). */
static bool ticket_usable(const struct zn__tls13 *e, struct zn__tls13_bytes id,
                          uint32_t obfuscated_age, struct zn__tls13_ticket *t) {
  const struct zn__tls13_suite *ts;
  if (!zn__tls13_ticket_open(e->cfg->tickets, id.p, id.len, e->now_ms, t) ||
      (ts = zn__tls13_suite(t->suite)) == NULL || ts->hash != e->suite->hash ||
      memcmp(t->name_hash, e->srv->name_hash, 8) != 0)
    return false;
  uint32_t client_age = obfuscated_age - t->age_add;
  uint64_t ours = e->now_ms - t->issued_ms;
  uint64_t d = ours > client_age ? ours - client_age : client_age - ours;
  return d <= TICKET_AGE_SLACK_MS;
}

/* §4.2.11.2: the binder over the transcript (a HelloRetryRequest's
 * exchange, if any) and the ClientHello up to its binders, which go into
 * the transcript here, once (*hashed: how much of msg).  On success the
 * PSK's early secret is kept for the key schedule. */
static bool binder_valid(struct zn__tls13 *e, const uint8_t *msg,
                         size_t binders_at, struct zn__tls13_bytes binder,
                         const uint8_t *psk, size_t *hashed) {
  const struct zn__tls13_suite *s = e->suite;
  struct tls13_srv_hs *h = e->srv;
  uint8_t th[ZN__TLS13_MAX_HASH], early[ZN__TLS13_MAX_HASH],
      mac[ZN__TLS13_MAX_HASH];
  if (binder.len != s->hash_len)
    return false;
  s->hash->update(&h->th.vtable, msg, binders_at);
  *hashed = binders_at;
  s->hash->out(&h->th.vtable, th);
  zn__tls13_early_secret(s, psk, early);
  zn__tls13_binder(s, early, th, mac);
  bool ok = zn__tls13_ct_equal(mac, binder.p, s->hash_len);
  if (ok)
    memcpy(h->early, early, s->hash_len);
  zn_wipe(early, sizeof(early));
  return ok;
}

/* The first usable ticket the client offers, with (EC)DHE: its binder
 * must hold (else decrypt_error, §4.2.11); none: a full handshake.
 * *hashed: how much of msg is in the transcript (binder_valid). */
static int choose_psk(struct zn__tls13 *e,
                      const struct zn__tls13_client_hello *ch,
                      const uint8_t *msg, size_t *hashed) {
  struct tls13_srv_hs *h = e->srv;
  e->resumed = false;
  h->psk_index = -1;
  if (e->cfg->tickets == NULL || !(ch->seen & ZN__TLS13_SEEN(pre_shared_key)) ||
      !(ch->psk_modes & 2))
    return 0;
  struct zn__tls13_bytes ids = ch->psk_identities, binders = ch->psk_binders;
  struct zn__tls13_bytes id, binder;
  uint32_t age;
  for (int i = 0; zn__tls13_next_identity(&ids, &id, &age) &&
                  zn__tls13_next_binder(&binders, &binder);
       i++) {
    struct zn__tls13_ticket t;
    bool usable = ticket_usable(e, id, age, &t);
    bool ok =
        usable && binder_valid(e, msg, ch->binders_at, binder, t.psk, hashed);
    zn_wipe(&t, sizeof(t)); /* its PSK */
    if (!usable)
      continue;
    if (!ok)
      return ZN__TLS13_ALERT_decrypt_error;
    h->psk_index = i;
    e->resumed = true;
    return 0;
  }
  return 0;
}

/* §4.6.1: one ticket after the client's Finished, its PSK from the
 * resumption master secret and the nonce 0. */
static void queue_ticket(struct zn__tls13 *e) {
  struct tls13_srv_hs *h = e->srv;
  const struct zn__tls13_suite *s = e->suite;
  uint8_t th[ZN__TLS13_MAX_HASH], res[ZN__TLS13_MAX_HASH], nonce[12];
  static const uint8_t ticket_nonce[1] = {0};
  struct zn__tls13_ticket t;
  memset(&t, 0, sizeof(t));
  transcript_hash(e, th);
  zn__tls13_derive_secret(s, h->secret, "res master", th, res);
  zn__tls13_expand_label(s, res, "resumption", ticket_nonce, 1, t.psk,
                         s->hash_len);
  t.psk_len = s->hash_len;
  t.suite = s->id;
  t.issued_ms = e->now_ms;
  br_hmac_drbg_generate(&h->rng, &t.age_add, sizeof(t.age_add));
  br_hmac_drbg_generate(&h->rng, nonce, sizeof(nonce));
  memcpy(t.name_hash, h->name_hash, 8);
  uint8_t ticket[ZN__TLS13_TICKET_MAX];
  size_t n =
      zn__tls13_ticket_seal(e->cfg->tickets, &t, nonce, ticket, sizeof(ticket));
  struct tls13_w w = scratch_w(h);
  size_t m = w_hs_header(&w, ZN__TLS13_HS_new_session_ticket);
  uint32_t life = zn__tls13_ticket_lifetime(e->cfg->tickets);
  w_u16(&w, life >> 16);
  w_u16(&w, life & 0xffffu);
  w_u16(&w, t.age_add >> 16);
  w_u16(&w, t.age_add & 0xffffu);
  w_u8(&w, 1);
  w_u8(&w, ticket_nonce[0]);
  w_u16(&w, (unsigned)n);
  w_bytes(&w, ticket, n);
  w_u16(&w, 0); /* no extensions: no early_data */
  w_close(&w, m, 3);
  if (n && !w.full && h->fl.npieces < TLS13_MAX_PIECES) {
    (void)zn__tls13_queue(&h->fl, w.b, w.n, K_ENC_HS);
    h->scratch_len = (uint16_t)(h->scratch_len + w.n);
    e->tickets_unsent = true;
  }
  zn_wipe(&t, sizeof(t));
  zn_wipe(res, sizeof(res));
}

/* Suite, group, signature, ALPN, limits: the first ClientHello decides
 * them (the second only confirms). */
static int decide(struct zn__tls13 *e, const struct zn__tls13_client_hello *ch,
                  bool *retry) {
  struct tls13_srv_hs *h = e->srv;
  const struct zn_tls_creds *cr = e->srv->creds;
  const struct zn__tls13_suite *s = choose_suite(e, ch->suites);
  if (s == NULL)
    return ZN__TLS13_ALERT_handshake_failure;
  if (e->phase == P_WAIT_CH2)
    return s == e->suite ? check_second_hello(e, ch)
                         : ZN__TLS13_ALERT_illegal_parameter;
  e->suite = s;
  s->hash->init(&h->th.vtable);
  h->group = choose_group(ch, retry);
  h->scheme = zn__tls13_sig_choose(cr->is_ec ? &cr->ec : NULL,
                                   cr->is_ec ? NULL : &cr->rsa, ch->sig_algs.p,
                                   ch->sig_algs.len);
  if (h->group == 0 || h->scheme == 0)
    return ZN__TLS13_ALERT_handshake_failure;
  e->alpn = choose_alpn(e, ch->alpn);
  choose_record_limit(e, ch);
  name_hash(ch->server_name, h->name_hash);
  return 0;
}

int zn__tls13_srv_client_hello(struct zn__tls13 *e, const uint8_t *msg,
                               size_t len, bool *fallback) {
  struct zn__tls13_client_hello ch;
  bool retry = false;
  size_t hashed = 0;
  *fallback = false;
  int a = zn__tls13_parse_client_hello(msg, len, &ch);
  if (a == 0) {
    choose_creds(e, ch.server_name);
    a = choose_version(e, &ch, fallback);
  }
  if (a || *fallback)
    return a;
  if (choose_suite(e, ch.suites) == NULL)
    return ZN__TLS13_ALERT_handshake_failure; /* before what is missing */
  a = check_hello(&ch);
  if (a == 0)
    a = decide(e, &ch, &retry);
  if (a == 0 && !retry)
    a = choose_psk(e, &ch, msg, &hashed);
  if (a)
    return a;
  e->suite->hash->update(&e->srv->th.vtable, msg + hashed, len - hashed);
  if (retry)
    return e->srv->hrr_sent ? ZN__TLS13_ALERT_illegal_parameter
                            : send_hello_retry(e, &ch, e->srv->group);
  return full_handshake(e, &ch);
}

/* The client's Finished (§4.4.4): the session opens. */
int zn__tls13_srv_handshake_msg(struct zn__tls13 *e, const uint8_t *msg,
                                size_t len) {
  struct tls13_srv_hs *h = e->srv;
  size_t hl = e->suite->hash_len;
  if (e->phase != P_WAIT_CFIN || msg[0] != ZN__TLS13_HS_finished)
    return ZN__TLS13_ALERT_unexpected_message;
  if (len != 4 + hl)
    return ZN__TLS13_ALERT_decode_error;
  if (!zn__tls13_ct_equal(msg + 4, h->client_finished, hl))
    return ZN__TLS13_ALERT_decrypt_error;
  e->suite->hash->update(&h->th.vtable, msg, len);
  zn__tls13_set_read(e, h->c_ap);
  zn__tls13_enter(e, P_OPEN);
  if (e->cfg->tickets)
    queue_ticket(e);
  return 0;
}

/* ---- the ClientHello's records gathered (tls13_rec.c) ---- */

void zn__tls13_ch_check(struct zn__tls13 *e) {
  const uint8_t *m = e->ibuf + ZN__TLS13_HDR_LEN;
  if (e->ch_len < 4)
    return;
  if (m[0] != ZN__TLS13_HS_client_hello) {
    zn__tls13_fail(e, ZN__TLS13_ALERT_unexpected_message);
    return;
  }
  size_t want = 4 + ((size_t)m[1] << 16 | (size_t)m[2] << 8 | m[3]);
  if (want + (size_t)2 * ZN__TLS13_HDR_LEN > e->ibuf_len) {
    zn__tls13_fail(e, ZN__TLS13_ALERT_record_overflow);
    return;
  }
  if (e->ch_len < want)
    return;
  bool fallback = false;
  int a = e->ch_len > want ? ZN__TLS13_ALERT_unexpected_message
                           : zn__tls13_srv_client_hello(e, m, want, &fallback);
  if (a) {
    zn__tls13_fail(e, a);
    return;
  }
  if (fallback) {
    e->ch_done = true; /* the TLS 1.2 engine takes it from ibuf */
    return;
  }
  e->ch_len = 0;
}
