/*
 * What the TLS 1.3 server's and client's handshakes share (RFC 8446):
 * the (EC)DHE key exchange (§4.2.8, §7.4), the key schedule's handshake
 * steps (§7.1), Finished (§4.4.4), the transcript's restart after a
 * HelloRetryRequest (§4.1.4), and the flight: the messages a side sends
 * in a row, queued as pieces and cut into records as obuf frees.
 */
#include <string.h>

#include "tls13_int.h"
#include "znet/wipe.h"

const uint16_t zn__tls13_groups[3] = {
    ZN__TLS13_GROUP_x25519,
    ZN__TLS13_GROUP_secp256r1,
    ZN__TLS13_GROUP_secp384r1,
};

/* ---- the key exchange ---- */

static int ec_curve(uint16_t group) {
  switch (group) {
  case ZN__TLS13_GROUP_x25519:
    return BR_EC_curve25519;
  case ZN__TLS13_GROUP_secp256r1:
    return BR_EC_secp256r1;
  default:
    return BR_EC_secp384r1;
  }
}

size_t zn__tls13_share_len(uint16_t group) {
  switch (group) {
  case ZN__TLS13_GROUP_x25519:
    return 32;
  case ZN__TLS13_GROUP_secp256r1:
    return 65;
  case ZN__TLS13_GROUP_secp384r1:
    return 97;
  default:
    return 0;
  }
}

/* §7.4.2: X25519 by tls13_x25519.c (its ladder three times as fast as
 * BearSSL 0.6's, a key share from its fixed-base multiplication three
 * times as fast again), P-256 by tls13_p256.c and P-384 by BearSSL,
 * both through zn__tls_ec. */
bool zn__tls13_keygen(br_hmac_drbg_context *rng, uint16_t group, uint8_t *sk,
                      size_t *sk_len, uint8_t *pub, size_t *pub_len) {
  if (group == ZN__TLS13_GROUP_x25519) {
    br_hmac_drbg_generate(rng, sk, 32);
    zn__x25519_base(pub, sk);
    *sk_len = 32;
    *pub_len = 32;
    return true;
  }
  const br_ec_impl *ec = &zn__tls_ec;
  uint8_t kbuf[BR_EC_KBUF_PRIV_MAX_SIZE];
  br_ec_private_key k;
  br_ec_public_key pk;
  size_t len = zn__tls13_share_len(group);
  bool ok = len != 0 &&
            br_ec_keygen(&rng->vtable, ec, &k, kbuf, ec_curve(group)) != 0 &&
            k.xlen <= 48 && br_ec_compute_pub(ec, &pk, pub, &k) == len;
  if (ok) {
    memcpy(sk, k.x, k.xlen);
    *sk_len = k.xlen;
    *pub_len = pk.qlen;
  }
  zn_wipe(kbuf, sizeof(kbuf));
  return ok;
}

int zn__tls13_ecdh(uint16_t group, const uint8_t *sk, size_t sk_len,
                   struct zn__tls13_bytes peer, uint8_t *shared,
                   size_t *shared_len) {
  const br_ec_impl *ec = &zn__tls_ec;
  int curve = ec_curve(group);
  uint8_t point[BR_EC_KBUF_PUB_MAX_SIZE];
  if (peer.len == 0 || peer.len != zn__tls13_share_len(group))
    return ZN__TLS13_ALERT_illegal_parameter;
  memcpy(point, peer.p, peer.len);
  uint32_t ok = 1;
  size_t xlen = 32, xoff = 0;
  if (group == ZN__TLS13_GROUP_x25519 && sk_len == 32)
    zn__x25519(point, sk, peer.p);
  else {
    ok = ec->mul(point, peer.len, sk, sk_len, curve);
    xoff = ec->xoff(curve, &xlen);
  }
  uint8_t any = 0;
  for (size_t i = 0; i < xlen; i++)
    any |= point[xoff + i];
  int a = 0;
  if (!ok || any == 0) /* §7.4.2: an all-zero X25519 secret */
    a = ZN__TLS13_ALERT_illegal_parameter;
  else {
    memcpy(shared, point + xoff, xlen);
    *shared_len = xlen;
  }
  zn_wipe(point, sizeof(point));
  return a;
}

/* ---- the key schedule (§7.1) ---- */

void zn__tls13_early_secret(const struct zn__tls13_suite *s, const uint8_t *psk,
                            uint8_t *early) {
  zn__tls13_extract(s, NULL, psk, s->hash_len, early);
}

void zn__tls13_handshake_secret(const struct zn__tls13_suite *s,
                                const uint8_t *early, const uint8_t *shared,
                                size_t len, uint8_t *secret) {
  uint8_t derived[ZN__TLS13_MAX_HASH];
  if (early == NULL) /* Extract(0, 0) then "derived": the suite's constant */
    memcpy(derived, s->derived0, s->hash_len);
  else
    zn__tls13_derive_secret(s, early, "derived", s->empty, derived);
  zn__tls13_extract(s, derived, shared, len, secret);
  zn_wipe(derived, sizeof(derived));
}

void zn__tls13_binder(const struct zn__tls13_suite *s, const uint8_t *early,
                      const uint8_t *th, uint8_t *mac) {
  uint8_t key[ZN__TLS13_MAX_HASH];
  zn__tls13_derive_secret(s, early, "res binder", s->empty, key);
  zn__tls13_finished_mac(s, key, th, mac); /* the binder is one (§4.2.11.2) */
  zn_wipe(key, sizeof(key));
}

void zn__tls13_handshake_traffic(const struct zn__tls13_suite *s,
                                 uint8_t *secret, const uint8_t *th,
                                 uint8_t *c_hs, uint8_t *s_hs) {
  uint8_t derived[ZN__TLS13_MAX_HASH];
  struct zn__tls13_prk k;
  zn__tls13_prk_init(&k, s, secret);
  zn__tls13_derive_secret_prk(&k, "c hs traffic", th, c_hs);
  zn__tls13_derive_secret_prk(&k, "s hs traffic", th, s_hs);
  zn__tls13_derive_secret_prk(&k, "derived", s->empty, derived);
  zn__tls13_prk_clear(&k);
  zn__tls13_extract(s, derived, NULL, 0, secret); /* master */
  zn_wipe(derived, sizeof(derived));
}

void zn__tls13_application_traffic(const struct zn__tls13_suite *s,
                                   const uint8_t *master, const uint8_t *th,
                                   uint8_t *c_ap, uint8_t *s_ap) {
  struct zn__tls13_prk k;
  zn__tls13_prk_init(&k, s, master);
  zn__tls13_derive_secret_prk(&k, "c ap traffic", th, c_ap);
  zn__tls13_derive_secret_prk(&k, "s ap traffic", th, s_ap);
  zn__tls13_prk_clear(&k);
}

void zn__tls13_finished_mac(const struct zn__tls13_suite *s,
                            const uint8_t *base, const uint8_t *th,
                            uint8_t *out) {
  uint8_t key[ZN__TLS13_MAX_HASH];
  zn__tls13_expand_label(s, base, "finished", NULL, 0, key, s->hash_len);
  zn__tls13_hmac(s, key, s->hash_len, th, s->hash_len, out);
  zn_wipe(key, sizeof(key));
}

void zn__tls13_restart_transcript(const struct zn__tls13_suite *s,
                                  br_hash_compat_context *th) {
  uint8_t hash[ZN__TLS13_MAX_HASH];
  s->hash->out(&th->vtable, hash);
  uint8_t head[4] = {ZN__TLS13_HS_message_hash, 0, 0, s->hash_len};
  s->hash->init(&th->vtable);
  s->hash->update(&th->vtable, head, 4);
  s->hash->update(&th->vtable, hash, s->hash_len);
}

/* ---- the flight, cut into records ---- */

bool zn__tls13_queue(struct tls13_flight *fl, const uint8_t *p, size_t len,
                     uint8_t kind) {
  if (fl->npieces >= TLS13_MAX_PIECES || len > 0xffffu)
    return false;
  struct tls13_piece *pc = &fl->pieces[fl->npieces++];
  pc->p = p;
  pc->len = (uint16_t)len;
  pc->kind = kind;
  return true;
}

bool zn__tls13_flight_pending(const struct zn__tls13 *e) {
  return e->fl && e->phase != P_CLOSED && e->fl->piece < e->fl->npieces;
}

/* Switches of the write keys at the front of the queue. */
static void take_keys(struct zn__tls13 *e) {
  struct tls13_flight *fl = e->fl;
  while (fl->piece < fl->npieces && fl->pieces[fl->piece].kind == K_KEYS) {
    zn__tls13_set_write(e, fl->pieces[fl->piece].p);
    fl->piece++;
  }
}

bool zn__tls13_flight_write(struct zn__tls13 *e) {
  struct tls13_flight *fl = e->fl;
  if (!zn__tls13_flight_pending(e))
    return false;
  take_keys(e);
  if (fl->piece >= fl->npieces)
    return false;
  uint8_t kind = fl->pieces[fl->piece].kind;
  size_t cap =
      kind == K_ENC_HS ? e->max_plain : e->obuf_len - ZN__TLS13_HDR_LEN;
  if (cap > ZN__TLS13_MAX_PLAIN)
    cap = ZN__TLS13_MAX_PLAIN;
  size_t fill = 0;
  while (fl->piece < fl->npieces && fl->pieces[fl->piece].kind == kind &&
         fill < cap) {
    const struct tls13_piece *pc = &fl->pieces[fl->piece];
    size_t n = pc->len - fl->piece_off;
    if (n > cap - fill)
      n = cap - fill;
    memcpy(e->obuf + ZN__TLS13_HDR_LEN + fill, pc->p + fl->piece_off, n);
    fill += n;
    fl->piece_off = (uint16_t)(fl->piece_off + n);
    if (fl->piece_off == pc->len) {
      fl->piece++;
      fl->piece_off = 0;
    }
    if (kind == K_CCS)
      break;
  }
  zn__tls13_seal_out(e,
                     kind == K_CCS ? ZN__TLS13_CT_change_cipher_spec
                                   : ZN__TLS13_CT_handshake,
                     fill);
  take_keys(e);
  return true;
}
