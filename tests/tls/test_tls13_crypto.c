/* TLS 1.3's cryptography (tls/tls13_crypto.c) against RFC 8448 §3: the
 * X25519 exchange, every step of the key schedule, the Finished values,
 * and every record of the example sealed byte for byte and opened back;
 * then what must fail: a record with any bit changed, a wrong sequence
 * number, an inner plaintext without a type.  And the project's X25519
 * (tls/tls13_x25519.c): the ladder and the fixed-base multiplication
 * against RFC 7748 and BearSSL, and the fixed-base table
 * (tls/tls13_x25519_table.h) recomputed. */
#include <bearssl.h>

#include "rfc8448.h"
#include "tls13_crypto.h"
#include "tls13_fe25519.h"
#include "tls13_int.h"
#include "tls13_x25519_table.h"
#include "tls_hex.h"
#include "zt.h"

#define ZT_BLOBEQ(got, hexwant)                                                \
  do {                                                                         \
    struct blob w_ = B(hexwant);                                               \
    ZT_MEMEQ((got), w_.b, w_.n);                                               \
  } while (0)

static const struct zn__tls13_suite *aes128(void) {
  return zn__tls13_suite(0x1301);
}

/* The transcript hash of the messages named, in order. */
static void transcript(uint8_t *out, const char *const *msgs) {
  br_sha256_context h;
  br_sha256_init(&h);
  for (; *msgs; msgs++) {
    struct blob m = B(*msgs);
    br_sha256_update(&h, m.b, m.n);
  }
  br_sha256_out(&h, out);
}

static const char *const upto_sh[] = {R8448_CLIENT_HELLO, R8448_SERVER_HELLO,
                                      NULL};
static const char *const upto_cv[] = {
    R8448_CLIENT_HELLO, R8448_SERVER_HELLO,       R8448_ENCRYPTED_EXTENSIONS,
    R8448_CERTIFICATE,  R8448_CERTIFICATE_VERIFY, NULL};
static const char *const upto_sfin[] = {R8448_CLIENT_HELLO,
                                        R8448_SERVER_HELLO,
                                        R8448_ENCRYPTED_EXTENSIONS,
                                        R8448_CERTIFICATE,
                                        R8448_CERTIFICATE_VERIFY,
                                        R8448_SERVER_FINISHED,
                                        NULL};
static const char *const upto_cfin[] = {
    R8448_CLIENT_HELLO,         R8448_SERVER_HELLO,
    R8448_ENCRYPTED_EXTENSIONS, R8448_CERTIFICATE,
    R8448_CERTIFICATE_VERIFY,   R8448_SERVER_FINISHED,
    R8448_CLIENT_FINISHED,      NULL};

ZT_TEST(test_x25519_exchange_matches_rfc8448) {
  const br_ec_impl *ec = br_ec_get_default();
  ZT_REQUIRE((ec->supported_curves >> BR_EC_curve25519) & 1);
  struct blob cpriv = B(R8448_CLIENT_PRIV), spriv = B(R8448_SERVER_PRIV);
  uint8_t pub[32];
  ZT_EQ(ec->mulgen(pub, cpriv.b, 32, BR_EC_curve25519), 32);
  ZT_BLOBEQ(pub, R8448_CLIENT_PUB);
  ZT_EQ(ec->mulgen(pub, spriv.b, 32, BR_EC_curve25519), 32);
  ZT_BLOBEQ(pub, R8448_SERVER_PUB);
  zn__x25519_base(pub, cpriv.b);
  ZT_BLOBEQ(pub, R8448_CLIENT_PUB);
  zn__x25519_base(pub, spriv.b);
  ZT_BLOBEQ(pub, R8448_SERVER_PUB);
  struct blob point = B(R8448_SERVER_PUB);
  ZT_CHECK(ec->mul(point.b, 32, cpriv.b, 32, BR_EC_curve25519));
  ZT_BLOBEQ(point.b, R8448_DH_SHARED);
  point = B(R8448_CLIENT_PUB);
  ZT_CHECK(ec->mul(point.b, 32, spriv.b, 32, BR_EC_curve25519));
  ZT_BLOBEQ(point.b, R8448_DH_SHARED);
}

/* §7.1 from the shared secret to the resumption PSK, each value the
 * RFC's. */
ZT_TEST(test_key_schedule_matches_rfc8448) {
  const struct zn__tls13_suite *s = aes128();
  ZT_REQUIRE(s != NULL);
  uint8_t early[32], empty[32], derived[32], hs[32], th[32], out[32],
      master[32], res[32];
  zn__tls13_extract(s, NULL, NULL, 0, early);
  ZT_BLOBEQ(early, R8448_EARLY_SECRET);
  zn__tls13_empty_hash(s, empty);
  zn__tls13_derive_secret(s, early, "derived", empty, derived);
  ZT_BLOBEQ(derived, R8448_DERIVED_HANDSHAKE);
  struct blob dh = B(R8448_DH_SHARED);
  zn__tls13_extract(s, derived, dh.b, dh.n, hs);
  ZT_BLOBEQ(hs, R8448_HANDSHAKE_SECRET);

  transcript(th, upto_sh);
  ZT_BLOBEQ(th, R8448_TH_SERVER_HELLO);
  zn__tls13_derive_secret(s, hs, "c hs traffic", th, out);
  ZT_BLOBEQ(out, R8448_C_HS_TRAFFIC);
  zn__tls13_derive_secret(s, hs, "s hs traffic", th, out);
  ZT_BLOBEQ(out, R8448_S_HS_TRAFFIC);

  zn__tls13_derive_secret(s, hs, "derived", empty, derived);
  ZT_BLOBEQ(derived, R8448_DERIVED_MASTER);
  zn__tls13_extract(s, derived, NULL, 0, master);
  ZT_BLOBEQ(master, R8448_MASTER_SECRET);

  transcript(th, upto_sfin);
  ZT_BLOBEQ(th, R8448_TH_SERVER_FINISHED);
  zn__tls13_derive_secret(s, master, "c ap traffic", th, out);
  ZT_BLOBEQ(out, R8448_C_AP_TRAFFIC);
  zn__tls13_derive_secret(s, master, "s ap traffic", th, out);
  ZT_BLOBEQ(out, R8448_S_AP_TRAFFIC);
  zn__tls13_derive_secret(s, master, "exp master", th, out);
  ZT_BLOBEQ(out, R8448_EXP_MASTER);

  transcript(th, upto_cfin);
  ZT_BLOBEQ(th, R8448_TH_CLIENT_FINISHED);
  zn__tls13_derive_secret(s, master, "res master", th, res);
  ZT_BLOBEQ(res, R8448_RES_MASTER);
  /* §4.6.1: the PSK of the ticket whose nonce is 00 00. */
  static const uint8_t nonce[2] = {0, 0};
  zn__tls13_expand_label(s, res, "resumption", nonce, 2, out, 32);
  ZT_BLOBEQ(out, R8448_RESUMPTION_PSK);
}

/* The engine's steps, which take the constants below and derive
 * several secrets from one prepared key, give the same values. */
ZT_TEST(test_key_schedule_steps_match_rfc8448) {
  const struct zn__tls13_suite *s = aes128();
  ZT_REQUIRE(s != NULL);
  uint8_t secret[32], th[32], c[32], sv[32];
  struct blob dh = B(R8448_DH_SHARED);
  zn__tls13_handshake_secret(s, NULL, dh.b, dh.n, secret);
  ZT_BLOBEQ(secret, R8448_HANDSHAKE_SECRET);
  transcript(th, upto_sh);
  zn__tls13_handshake_traffic(s, secret, th, c, sv);
  ZT_BLOBEQ(c, R8448_C_HS_TRAFFIC);
  ZT_BLOBEQ(sv, R8448_S_HS_TRAFFIC);
  ZT_BLOBEQ(secret, R8448_MASTER_SECRET);
  transcript(th, upto_sfin);
  zn__tls13_application_traffic(s, secret, th, c, sv);
  ZT_BLOBEQ(c, R8448_C_AP_TRAFFIC);
  ZT_BLOBEQ(sv, R8448_S_AP_TRAFFIC);
}

/* §4's PSK binder from §3's PSK: the early secret, the binder key and
 * its finished key step by step, then the engines' two calls (the early
 * secret once for the binder and the key schedule). */
ZT_TEST(test_binder_matches_rfc8448) {
  const struct zn__tls13_suite *s = aes128();
  ZT_REQUIRE(s != NULL);
  struct blob psk = B(R8448_RESUMPTION_PSK), th = B(R8448_RES_BINDER_HASH);
  uint8_t early[32], empty[32], key[32], fk[32], mac[32];
  zn__tls13_early_secret(s, psk.b, early);
  ZT_BLOBEQ(early, R8448_RES_EARLY_SECRET);
  zn__tls13_empty_hash(s, empty);
  zn__tls13_derive_secret(s, early, "res binder", empty, key);
  ZT_BLOBEQ(key, R8448_RES_BINDER_KEY);
  zn__tls13_expand_label(s, key, "finished", NULL, 0, fk, 32);
  ZT_BLOBEQ(fk, R8448_RES_BINDER_FINISHED_KEY);
  zn__tls13_binder(s, early, th.b, mac);
  ZT_BLOBEQ(mac, R8448_RES_BINDER);
  /* With a PSK, the handshake secret is Extract("derived" of the early
   * secret, the (EC)DHE secret). */
  struct blob dh = B(R8448_DH_SHARED);
  uint8_t derived[32], want[32], got[32];
  zn__tls13_derive_secret(s, early, "derived", empty, derived);
  zn__tls13_extract(s, derived, dh.b, dh.n, want);
  zn__tls13_handshake_secret(s, early, dh.b, dh.n, got);
  ZT_MEMEQ(got, want, 32);
}

/* Each suite's constants, computed here with BearSSL's own hashes:
 * Hash("") and the "derived" secret of Extract(0, 0). */
ZT_TEST(test_suite_constants_computed) {
  static const uint16_t ids[] = {0x1301, 0x1302, 0x1303};
  for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
    const struct zn__tls13_suite *s = zn__tls13_suite(ids[i]);
    ZT_REQUIRE(s != NULL);
    const br_hash_class *ref =
        s->hash_len == 48 ? &br_sha384_vtable : &br_sha256_vtable;
    br_hash_compat_context hc;
    uint8_t empty[48], early[48], derived[48], zeros[48] = {0};
    ref->init(&hc.vtable);
    ref->out(&hc.vtable, empty);
    ZT_MEMEQ(s->empty, empty, s->hash_len);
    br_hmac_key_context kc;
    br_hmac_context m;
    br_hmac_key_init(&kc, ref, zeros, s->hash_len);
    br_hmac_init(&m, &kc, 0);
    br_hmac_update(&m, zeros, s->hash_len);
    br_hmac_out(&m, early);
    /* HkdfLabel{hash_len, "tls13 derived", Hash("")}, then 0x01. */
    uint8_t info[2 + 1 + 13 + 1 + 48 + 1];
    size_t n = 0;
    info[n++] = 0;
    info[n++] = s->hash_len;
    info[n++] = 13;
    memcpy(info + n, "tls13 derived", 13);
    n += 13;
    info[n++] = s->hash_len;
    memcpy(info + n, empty, s->hash_len);
    n += s->hash_len;
    info[n++] = 1;
    br_hmac_key_init(&kc, ref, early, s->hash_len);
    br_hmac_init(&m, &kc, 0);
    br_hmac_update(&m, info, n);
    br_hmac_out(&m, derived);
    ZT_MEMEQ(s->derived0, derived, s->hash_len);
  }
}

/* §4.4.4: finished_key and verify_data, both ways. */
ZT_TEST(test_finished_matches_rfc8448) {
  const struct zn__tls13_suite *s = aes128();
  uint8_t key[32], th[32], vd[32];
  struct blob shs = B(R8448_S_HS_TRAFFIC), chs = B(R8448_C_HS_TRAFFIC);
  zn__tls13_expand_label(s, shs.b, "finished", NULL, 0, key, 32);
  ZT_BLOBEQ(key, R8448_S_FINISHED_KEY);
  transcript(th, upto_cv);
  zn__tls13_hmac(s, key, 32, th, 32, vd);
  struct blob fin = B(R8448_SERVER_FINISHED);
  ZT_MEMEQ(vd, fin.b + 4, 32);

  zn__tls13_expand_label(s, chs.b, "finished", NULL, 0, key, 32);
  ZT_BLOBEQ(key, R8448_C_FINISHED_KEY);
  transcript(th, upto_sfin);
  zn__tls13_hmac(s, key, 32, th, 32, vd);
  fin = B(R8448_CLIENT_FINISHED);
  ZT_MEMEQ(vd, fin.b + 4, 32);
}

/* §7.3: the write keys and IVs the example prints. */
ZT_TEST(test_traffic_keys_match_rfc8448) {
  const struct zn__tls13_suite *s = aes128();
  static const struct {
    const char *secret, *key, *iv;
  } t[] = {
      {R8448_S_HS_TRAFFIC, R8448_S_HS_KEY, R8448_S_HS_IV},
      {R8448_C_HS_TRAFFIC, R8448_C_HS_KEY, R8448_C_HS_IV},
      {R8448_S_AP_TRAFFIC, R8448_S_AP_KEY, R8448_S_AP_IV},
      {R8448_C_AP_TRAFFIC, R8448_C_AP_KEY, R8448_C_AP_IV},
  };
  for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
    struct blob sec = B(t[i].secret);
    uint8_t key[16];
    zn__tls13_expand_label(s, sec.b, "key", NULL, 0, key, 16);
    ZT_BLOBEQ(key, t[i].key);
    struct zn__tls13_keys k;
    zn__tls13_keys_set(&k, s, sec.b);
    ZT_BLOBEQ(k.iv, t[i].iv);
    ZT_EQU(k.seq, 0);
  }
}

/* One record of the example: the secret of its direction, its sequence
 * number, its content (handshake messages or data) and type, the record
 * as sent. */
struct example_record {
  const char *name, *secret;
  uint64_t seq;
  const char *const *content;
  uint8_t type;
  const char *record;
};

static const char *const flight[] = {
    R8448_ENCRYPTED_EXTENSIONS, R8448_CERTIFICATE, R8448_CERTIFICATE_VERIFY,
    R8448_SERVER_FINISHED, NULL};
static const char *const cfin[] = {R8448_CLIENT_FINISHED, NULL};
static const char *const nst[] = {R8448_NEW_SESSION_TICKET, NULL};
static const char *const app[] = {
    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
    "202122232425262728292a2b2c2d2e2f3031",
    NULL};
static const char *const close_notify[] = {"0100", NULL};

static const struct example_record records[] = {
    {"server flight", R8448_S_HS_TRAFFIC, 0, flight, 22, R8448_FLIGHT_RECORD},
    {"client Finished", R8448_C_HS_TRAFFIC, 0, cfin, 22,
     R8448_CLIENT_FINISHED_RECORD},
    {"NewSessionTicket", R8448_S_AP_TRAFFIC, 0, nst, 22, R8448_NST_RECORD},
    {"client data", R8448_C_AP_TRAFFIC, 0, app, 23, R8448_C_APP_RECORD},
    {"server data", R8448_S_AP_TRAFFIC, 1, app, 23, R8448_S_APP_RECORD},
    {"client close_notify", R8448_C_AP_TRAFFIC, 1, close_notify, 21,
     R8448_C_ALERT_RECORD},
    {"server close_notify", R8448_S_AP_TRAFFIC, 2, close_notify, 21,
     R8448_S_ALERT_RECORD},
};

/* The TLSInnerPlaintext of an example record: content, type, no
 * padding. */
static size_t inner_of(const struct example_record *r, uint8_t *out) {
  size_t n = 0;
  for (const char *const *c = r->content; *c; c++)
    n += unhex(*c, out + n, 1024 - n);
  out[n++] = r->type;
  return n;
}

static void keys_at(struct zn__tls13_keys *k, const struct example_record *r) {
  struct blob sec = B(r->secret);
  zn__tls13_keys_set(k, aes128(), sec.b);
  k->seq = r->seq;
}

ZT_TEST(test_records_sealed_as_rfc8448) {
  for (size_t i = 0; i < sizeof(records) / sizeof(records[0]); i++) {
    const struct example_record *r = &records[i];
    uint8_t rec[1024];
    size_t n = inner_of(r, rec + 5);
    struct zn__tls13_keys k;
    keys_at(&k, r);
    size_t len = zn__tls13_seal(&k, rec, n);
    struct blob want = B(r->record);
    printf("# %s: %zu bytes\n", r->name, len);
    ZT_EQU(len, want.n);
    ZT_MEMEQ(rec, want.b, want.n);
    ZT_EQU(k.seq, r->seq + 1);
  }
}

ZT_TEST(test_records_opened_as_rfc8448) {
  for (size_t i = 0; i < sizeof(records) / sizeof(records[0]); i++) {
    const struct example_record *r = &records[i];
    struct blob rec = B(r->record);
    uint8_t inner[1024];
    size_t n = inner_of(r, inner);
    struct zn__tls13_keys k;
    keys_at(&k, r);
    ZT_CHECK(zn__tls13_open(&k, rec.b, rec.n - 5));
    ZT_MEMEQ(rec.b + 5, inner, n);
    uint8_t type;
    size_t content;
    ZT_CHECK(zn__tls13_inner_type(rec.b + 5, n, &type, &content));
    ZT_EQU(type, r->type);
    ZT_EQU(content, n - 1);
  }
}

/* Any bit changed anywhere in a record, header included (it is the
 * AEAD's additional data), and the tag fails; so does the right record
 * at the wrong sequence number. */
ZT_TEST(test_altered_record_refused) {
  const struct example_record *r = &records[3];
  struct blob good = B(r->record);
  for (size_t i = 0; i < good.n; i++) {
    for (int bit = 0; bit < 8; bit += 3) {
      struct blob bad = good;
      bad.b[i] ^= (uint8_t)(1u << bit);
      struct zn__tls13_keys k;
      keys_at(&k, r);
      ZT_CHECK(!zn__tls13_open(&k, bad.b, bad.n - 5));
    }
  }
  struct zn__tls13_keys k;
  keys_at(&k, r);
  k.seq++;
  struct blob copy = good;
  ZT_CHECK(!zn__tls13_open(&k, copy.b, copy.n - 5));
}

/* Every suite: what one side seals the other opens, with padding; keys
 * of another secret do not. */
ZT_TEST(test_every_suite_round_trips) {
  static const uint16_t ids[] = {0x1301, 0x1302, 0x1303};
  for (size_t i = 0; i < 3; i++) {
    const struct zn__tls13_suite *s = zn__tls13_suite(ids[i]);
    ZT_REQUIRE(s != NULL);
    uint8_t secret[48], other[48];
    for (size_t j = 0; j < sizeof(secret); j++) {
      secret[j] = (uint8_t)(j * 7 + i);
      other[j] = (uint8_t)(j * 7 + i + 1);
    }
    struct zn__tls13_keys w, r, x;
    zn__tls13_keys_set(&w, s, secret);
    zn__tls13_keys_set(&r, s, secret);
    zn__tls13_keys_set(&x, s, other);
    for (size_t len = 0; len < 300; len += 37) {
      uint8_t rec[5 + 300 + 10 + 16], copy[sizeof(rec)];
      for (size_t j = 0; j < len; j++)
        rec[5 + j] = (uint8_t)(j ^ 0x5a);
      rec[5 + len] = 23;
      memset(rec + 5 + len + 1, 0, 9); /* padding */
      size_t n = zn__tls13_seal(&w, rec, len + 10);
      ZT_EQU(n, 5 + len + 10 + 16);
      memcpy(copy, rec, n);
      ZT_CHECK(!zn__tls13_open(&x, copy, n - 5));
      x.seq = r.seq;
      ZT_CHECK(zn__tls13_open(&r, rec, n - 5));
      uint8_t type;
      size_t content;
      ZT_CHECK(zn__tls13_inner_type(rec + 5, len + 10, &type, &content));
      ZT_EQU(type, 23);
      ZT_EQU(content, len);
      for (size_t j = 0; j < len; j++)
        if (rec[5 + j] != (uint8_t)(j ^ 0x5a))
          zt_fail(__FILE__, __LINE__, "suite %04x byte %zu", ids[i], j);
    }
  }
  ZT_CHECK(zn__tls13_suite(0x1304) == NULL); /* CCM: not offered */
  ZT_CHECK(zn__tls13_suite(0xC02B) == NULL);
}

ZT_TEST(test_inner_plaintext_without_type_refused) {
  uint8_t zeros[20] = {0}, type;
  size_t content;
  ZT_CHECK(!zn__tls13_inner_type(zeros, sizeof(zeros), &type, &content));
  ZT_CHECK(!zn__tls13_inner_type(zeros, 0, &type, &content));
  zeros[0] = 22;
  ZT_CHECK(zn__tls13_inner_type(zeros, sizeof(zeros), &type, &content));
  ZT_EQU(type, 22);
  ZT_EQU(content, 0);
}

/* ---- the project's X25519 (tls13_x25519.c) ---- */

static void x25519_vector(const char *k, const char *u, const char *want) {
  uint8_t kb[32], ub[32], wb[32], out[32];
  ZT_EQU(unhex(k, kb, 32), 32);
  ZT_EQU(unhex(u, ub, 32), 32);
  ZT_EQU(unhex(want, wb, 32), 32);
  zn__x25519(out, kb, ub);
  ZT_MEMEQ(out, wb, 32);
}

/* RFC 7748 §5.2's two vectors (u with its top bit set, scalars needing
 * the clamp), its iteration to 1,000, and §6.1's exchange. */
ZT_TEST(test_x25519_matches_rfc7748) {
  x25519_vector(
      "a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4",
      "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c",
      "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552");
  x25519_vector(
      "4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d",
      "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493",
      "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957");
  uint8_t k[32] = {9}, u[32] = {9}, r[32], w1[32], w1000[32];
  unhex("422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079", w1,
        32);
  unhex("684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51",
        w1000, 32);
  for (int i = 1; i <= 1000; i++) {
    zn__x25519(r, k, u);
    memcpy(u, k, 32);
    memcpy(k, r, 32);
    if (i == 1)
      ZT_MEMEQ(k, w1, 32);
  }
  ZT_MEMEQ(k, w1000, 32);
  x25519_vector(
      "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a",
      "0900000000000000000000000000000000000000000000000000000000000000",
      "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
  x25519_vector(
      "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb",
      "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a",
      "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
}

/* Against BearSSL's X25519 on 500 pseudo-random scalars and points,
 * among them u-coordinates at or above p and with the top bit set. */
ZT_TEST(test_x25519_matches_bearssl) {
  const br_ec_impl *ec = &br_ec_c25519_m31;
  br_hmac_drbg_context rng;
  static const uint8_t seed[16] = {7};
  br_hmac_drbg_init(&rng, &br_sha256_vtable, seed, sizeof(seed));
  for (int i = 0; i < 500; i++) {
    uint8_t k[32], u[32], ours[32], theirs[32];
    br_hmac_drbg_generate(&rng, k, sizeof(k));
    br_hmac_drbg_generate(&rng, u, sizeof(u));
    if (i % 50 == 1) { /* p + small, and all ones */
      memset(u, 0xff, 32);
      u[0] = (uint8_t)(0xed + (i / 50) % 18);
      u[31] = (i / 50) % 2 ? 0xff : 0x7f;
    }
    zn__x25519(ours, k, u);
    memcpy(theirs, u, 32);
    ZT_CHECK(ec->mul(theirs, 32, k, 32, BR_EC_curve25519) == 1);
    ZT_MEMEQ(ours, theirs, 32);
  }
}

/* ---- the fixed-base X25519 (zn__x25519_base) ---- */

/* RFC 7748 §6.1: Alice's and Bob's public keys from their private
 * keys. */
ZT_TEST(test_x25519_base_matches_rfc7748) {
  static const char *const pairs[2][2] = {
      {"77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a",
       "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"},
      {"5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb",
       "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f"}};
  for (int i = 0; i < 2; i++) {
    uint8_t k[32], want[32], pub[32];
    ZT_EQU(unhex(pairs[i][0], k, 32), 32);
    ZT_EQU(unhex(pairs[i][1], want, 32), 32);
    zn__x25519_base(pub, k);
    ZT_MEMEQ(pub, want, 32);
  }
}

/* Whether zn__x25519_base(k) is the ladder's X25519(k, 9) and BearSSL's
 * (c25519_m31) k times the base point; says which it is not. */
static bool base_agrees(const uint8_t k[32], const char *what, int i) {
  static const uint8_t nine[32] = {9};
  uint8_t ours[32], ladder[32], theirs[32];
  zn__x25519_base(ours, k);
  zn__x25519(ladder, k, nine);
  bool ok = br_ec_c25519_m31.mulgen(theirs, k, 32, BR_EC_curve25519) == 32;
  if (ok && memcmp(ours, ladder, 32) == 0 && memcmp(ours, theirs, 32) == 0)
    return true;
  zt_fail(__FILE__, __LINE__, "%s %d: not the ladder's or BearSSL's", what, i);
  zt_hexdump("scalar", k, 32);
  zt_hexdump("base", ours, 32);
  zt_hexdump("ladder", ladder, 32);
  zt_hexdump("bearssl", theirs, 32);
  return false;
}

/* 3,000 pseudo-random scalars: every digit value at every position of
 * the table many times over, with both signs. */
ZT_TEST(test_x25519_base_matches_ladder_and_bearssl) {
  br_hmac_drbg_context rng;
  static const uint8_t seed[16] = {25, 5, 19};
  br_hmac_drbg_init(&rng, &br_sha256_vtable, seed, sizeof(seed));
  int bad = 0;
  for (int i = 0; i < 3000 && bad < 3; i++) {
    uint8_t k[32];
    br_hmac_drbg_generate(&rng, k, sizeof(k));
    bad += !base_agrees(k, "random scalar", i);
  }
  ZT_EQ(bad, 0);
}

/* Scalars at the edges: all zeros and only the bits clamping removes
 * (both clamp to 2^254, one result); all ones; only the top bits; and
 * digits that recode to -8 and carry all the way up (nibbles of 8 and
 * 15) or not at all (7). */
ZT_TEST(test_x25519_base_edge_scalars_match) {
  static const uint8_t fills[] = {0x00, 0xff, 0x88, 0x77, 0xf0,
                                  0x0f, 0x80, 0x08, 0x78, 0x87};
  uint8_t k[32], zeros[32], cleared[32];
  for (size_t i = 0; i < sizeof(fills); i++) {
    memset(k, fills[i], 32);
    base_agrees(k, "filled with", fills[i]);
  }
  memset(k, 0, 32);
  k[31] = 0x80; /* bit 255 */
  base_agrees(k, "top bit", 255);
  k[31] = 0xc0; /* bits 255 and 254 */
  base_agrees(k, "top bits", 254);
  k[31] = 0x40; /* bit 254 alone: 2^254, what everything clamps to */
  base_agrees(k, "bit", 254);
  memset(k, 0, 32);
  zn__x25519_base(zeros, k);
  k[0] = 7;
  k[31] = 0x80;
  base_agrees(k, "clamped-away bits", 0);
  zn__x25519_base(cleared, k);
  ZT_MEMEQ(cleared, zeros, 32);
  for (int bit = 3; bit < 254; bit += 25) { /* 2^254 + one bit */
    memset(k, 0, 32);
    k[bit >> 3] = (uint8_t)(1u << (bit & 7));
    base_agrees(k, "bit", bit);
  }
}

/* ---- the field (tls13_fe25519.c) at the edges of its bounds ---- */

static void fe_of_int(zn__fe h, uint64_t v) {
  memset(h, 0, sizeof(zn__fe));
  h[0] = v;
}

/* Whether the 32-byte encodings of a and b match. */
static bool fe_same(const zn__fe a, const zn__fe b) {
  uint8_t x[32], y[32];
  zn__fe_tobytes(x, a);
  zn__fe_tobytes(y, b);
  return memcmp(x, y, 32) == 0;
}

/* f reduced to its canonical limbs. */
static void fe_canon(zn__fe h, const zn__fe f) {
  uint8_t b[32];
  zn__fe_tobytes(b, f);
  zn__fe_frombytes(h, b);
}

/* Products and squares of elements with limbs up to the largest
 * tls13_fe25519.h allows (2^54 - 1: differences, which are not carried)
 * equal those of the same elements reduced first; so does an inverse,
 * whose product with the element is 1 (and 0 has 0). */
ZT_TEST(test_fe25519_wide_limbs_reduce_alike) {
  br_hmac_drbg_context rng;
  static const uint8_t seed[16] = {5, 4};
  br_hmac_drbg_init(&rng, &br_sha256_vtable, seed, sizeof(seed));
  const uint64_t top = (UINT64_C(1) << 54) - 1;
  zn__fe one = {1}, zero = {0};
  int bad = 0;
  for (int i = 0; i < 2000; i++) {
    zn__fe f, g, fc, gc, x, y, inv;
    br_hmac_drbg_generate(&rng, f, sizeof(f));
    br_hmac_drbg_generate(&rng, g, sizeof(g));
    for (int j = 0; j < 5; j++) {
      f[j] = i < 2 ? top : f[j] & top; /* all limbs at the top, twice */
      g[j] = i < 1 ? top : g[j] & top;
    }
    fe_canon(fc, f);
    fe_canon(gc, g);
    zn__fe_mul(x, f, g);
    zn__fe_mul(y, fc, gc);
    bool ok = fe_same(x, y);
    zn__fe_sq(x, f);
    zn__fe_mul(y, fc, fc);
    ok = ok && fe_same(x, y);
    zn__fe_invert(inv, f);
    zn__fe_mul(x, inv, fc);
    ok = ok && fe_same(x, one);
    if (!ok && bad++ < 3)
      zt_fail(__FILE__, __LINE__, "element %d", i);
  }
  ZT_EQ(bad, 0);
  zn__fe zero_inv;
  zn__fe_invert(zero_inv, zero);
  ZT_CHECK(fe_same(zero_inv, zero));
}

/* ---- tls13_x25519_table.h recomputed ---- */

struct affine {
  zn__fe x, y;
};

/* r = p + q on edwards25519 in affine coordinates (RFC 8032 §5.1.4's
 * law, a = -1, divided out): x3 = (x1 y2 + y1 x2) / (1 + d x1 x2 y1 y2),
 * y3 = (y1 y2 + x1 x2) / (1 - d x1 x2 y1 y2); not how the library adds. */
static void affine_add(struct affine *r, const struct affine *p,
                       const struct affine *q, const zn__fe d) {
  static const zn__fe one = {1};
  zn__fe x1y2, y1x2, y1y2, x1x2, t, num, den;
  zn__fe_mul(x1y2, p->x, q->y);
  zn__fe_mul(y1x2, p->y, q->x);
  zn__fe_mul(y1y2, p->y, q->y);
  zn__fe_mul(x1x2, p->x, q->x);
  zn__fe_mul(t, x1x2, y1y2);
  zn__fe_mul(t, t, d);
  zn__fe_add(num, x1y2, y1x2);
  zn__fe_add(den, one, t);
  zn__fe_invert(den, den);
  zn__fe_mul(r->x, num, den);
  zn__fe_add(num, y1y2, x1x2);
  zn__fe_sub(den, one, t);
  zn__fe_invert(den, den);
  zn__fe_mul(r->y, num, den);
}

/* Whether a table entry (four words each of y + x, y - x, 2dxy) is p,
 * each coordinate in its canonical encoding. */
static bool entry_is(const uint64_t w[12], const struct affine *p,
                     const zn__fe d) {
  zn__fe ypx, ymx, xy2d;
  zn__fe_add(ypx, p->y, p->x);
  zn__fe_sub(ymx, p->y, p->x);
  zn__fe_mul(xy2d, p->x, p->y);
  zn__fe_mul(xy2d, xy2d, d);
  zn__fe_add(xy2d, xy2d, xy2d);
  const uint64_t *want[3] = {ypx, ymx, xy2d};
  bool same = true;
  for (int i = 0; i < 3; i++) {
    uint8_t bytes[32], canon[32];
    for (int j = 0; j < 32; j++) /* the table's words as the bytes they are */
      bytes[j] = (uint8_t)(w[4 * i + j / 8] >> (8 * (j % 8)));
    zn__fe_tobytes(canon, want[i]);
    same = same && memcmp(bytes, canon, 32) == 0;
  }
  return same;
}

/* Every entry of the generated table, [i][j] = (j + 1) 256^i B, rebuilt
 * from RFC 8032 §5.1's d and B with the field code of tls13_fe25519.h
 * (B checked on the curve and at u = 9 first). */
ZT_TEST(test_x25519_table_recomputed) {
  zn__fe d, t, one, lhs, rhs, xx, yy;
  fe_of_int(t, 121666); /* d = -121665 / 121666 */
  zn__fe_invert(t, t);
  fe_of_int(d, 121665);
  zn__fe_neg(d, d);
  zn__fe_mul(d, d, t);
  uint8_t xb[32];
  ZT_EQU(
      unhex("1ad5258f602d56c9b2a7259560c72c695cdcd6fd31e2a4c0fe536ecdd3366921",
            xb, 32),
      32);
  struct affine b = {{0}, {0}}, row, q;
  zn__fe_frombytes(b.x, xb);
  fe_of_int(t, 5); /* y = 4/5 */
  zn__fe_invert(t, t);
  fe_of_int(b.y, 4);
  zn__fe_mul(b.y, b.y, t);
  zn__fe_sq(xx, b.x); /* -x^2 + y^2 = 1 + d x^2 y^2 */
  zn__fe_sq(yy, b.y);
  zn__fe_sub(lhs, yy, xx);
  zn__fe_mul(rhs, xx, yy);
  zn__fe_mul(rhs, rhs, d);
  fe_of_int(one, 1);
  zn__fe_add(rhs, rhs, one);
  ZT_CHECK(fe_same(lhs, rhs));
  zn__fe num, den, nine; /* u = (1 + y) / (1 - y) = 9 */
  zn__fe_add(num, one, b.y);
  zn__fe_sub(den, one, b.y);
  zn__fe_invert(den, den);
  zn__fe_mul(num, num, den);
  fe_of_int(nine, 9);
  ZT_CHECK(fe_same(num, nine));
  row = b;
  int bad = 0;
  for (int i = 0; i < 32; i++) {
    q = row;
    for (int j = 0; j < 8; j++) {
      if (!entry_is(zn__x25519_base_table[i][j], &q, d) && bad++ < 3)
        zt_fail(__FILE__, __LINE__, "entry [%d][%d]", i, j);
      affine_add(&q, &q, &row, d);
    }
    for (int n = 0; n < 8; n++) /* row = 256 row */
      affine_add(&row, &row, &row, d);
  }
  ZT_EQ(bad, 0);
}

int main(void) {
  ZT_RUN(test_x25519_matches_rfc7748);
  ZT_RUN(test_x25519_matches_bearssl);
  ZT_RUN(test_x25519_base_matches_rfc7748);
  ZT_RUN(test_x25519_base_matches_ladder_and_bearssl);
  ZT_RUN(test_x25519_base_edge_scalars_match);
  ZT_RUN(test_fe25519_wide_limbs_reduce_alike);
  ZT_RUN(test_x25519_table_recomputed);
  ZT_RUN(test_x25519_exchange_matches_rfc8448);
  ZT_RUN(test_key_schedule_matches_rfc8448);
  ZT_RUN(test_key_schedule_steps_match_rfc8448);
  ZT_RUN(test_binder_matches_rfc8448);
  ZT_RUN(test_suite_constants_computed);
  ZT_RUN(test_finished_matches_rfc8448);
  ZT_RUN(test_traffic_keys_match_rfc8448);
  ZT_RUN(test_records_sealed_as_rfc8448);
  ZT_RUN(test_records_opened_as_rfc8448);
  ZT_RUN(test_altered_record_refused);
  ZT_RUN(test_every_suite_round_trips);
  ZT_RUN(test_inner_plaintext_without_type_refused);
  return zt_done();
}
