/*
 * TLS 1.3's cryptography (RFC 8446 §5.2, §7.1, §7.3) over BearSSL's
 * primitives: HMAC and the hashes, AES in CTR mode with GHASH for GCM,
 * ChaCha20 with Poly1305.  BearSSL has HKDF but keeps the PRK inside its
 * context; TLS 1.3 hands secrets from one step to the next, so HKDF is
 * two HMAC loops here (RFC 5869).
 *
 * Every primitive used is one of BearSSL's constant-time ones; the
 * faster ones (AES-NI with PCLMULQDQ, ChaCha20 with SSE2, Poly1305 with
 * 64-bit multiplications) are chosen when the CPU has them, as BearSSL's
 * own TLS 1.2 engine chooses, and otherwise its portable constant-time
 * code (aes_ct64, ghash_ctmul64, chacha20_ct, poly1305_ctmul).  The one
 * comparison of secret data, a tag's, is constant-time too.
 */
#include "tls13_crypto.h"

#include <stdatomic.h>
#include <string.h>

/* "tls13 " before every label (§7.1). */
#define LABEL_PREFIX_LEN 6
/* §7.1's longest label ("c e traffic", "exp master", "res master", ...)
 * is 12 characters; "resumption" and the others fit. */
#define LABEL_MAX 12
/* The record type protected records carry (§5.2: application_data). */
#define OPAQUE_TYPE 23

static const struct zn__tls13_suite suites[] = {
    {0x1301, ZN__TLS13_AES_GCM, 16, 32, &br_sha256_vtable},
    {0x1302, ZN__TLS13_AES_GCM, 32, 48, &br_sha384_vtable},
    {0x1303, ZN__TLS13_CHACHA20_POLY1305, 32, 32, &br_sha256_vtable},
};

const struct zn__tls13_suite *zn__tls13_suite(uint16_t id) {
  for (size_t i = 0; i < sizeof(suites) / sizeof(suites[0]); i++)
    if (suites[i].id == id)
      return &suites[i];
  return NULL;
}

void zn__tls13_hmac(const struct zn__tls13_suite *s, const uint8_t *key,
                    size_t key_len, const uint8_t *data, size_t len,
                    uint8_t *out) {
  br_hmac_key_context kc;
  br_hmac_context hc;
  br_hmac_key_init(&kc, s->hash, key, key_len);
  br_hmac_init(&hc, &kc, 0);
  br_hmac_update(&hc, data, len);
  br_hmac_out(&hc, out);
}

void zn__tls13_extract(const struct zn__tls13_suite *s, const uint8_t *salt,
                       const uint8_t *ikm, size_t ikm_len, uint8_t *prk) {
  static const uint8_t zeros[ZN__TLS13_MAX_HASH];
  if (salt == NULL)
    salt = zeros;
  if (ikm == NULL) {
    ikm = zeros;
    ikm_len = s->hash_len;
  }
  zn__tls13_hmac(s, salt, s->hash_len, ikm, ikm_len, prk);
}

/* HKDF-Expand (RFC 5869 §2.3): T(i) = HMAC(prk, T(i-1) | info | i). */
static void hkdf_expand(const struct zn__tls13_suite *s, const uint8_t *prk,
                        const uint8_t *info, size_t info_len, uint8_t *out,
                        size_t out_len) {
  br_hmac_key_context kc;
  br_hmac_key_init(&kc, s->hash, prk, s->hash_len);
  uint8_t t[ZN__TLS13_MAX_HASH];
  size_t t_len = 0;
  for (uint8_t i = 1; out_len > 0; i++) {
    br_hmac_context hc;
    br_hmac_init(&hc, &kc, 0);
    br_hmac_update(&hc, t, t_len);
    br_hmac_update(&hc, info, info_len);
    br_hmac_update(&hc, &i, 1);
    br_hmac_out(&hc, t);
    t_len = s->hash_len;
    size_t n = out_len < t_len ? out_len : t_len;
    memcpy(out, t, n);
    out += n;
    out_len -= n;
  }
  memset(t, 0, sizeof(t));
}

void zn__tls13_expand_label(const struct zn__tls13_suite *s,
                            const uint8_t *secret, const char *label,
                            const uint8_t *context, size_t context_len,
                            uint8_t *out, size_t out_len) {
  /* HkdfLabel: uint16 length, opaque label<7..255>, opaque
   * context<0..255>. */
  uint8_t info[2 + 1 + LABEL_PREFIX_LEN + LABEL_MAX + 1 + 255];
  static const uint8_t prefix[LABEL_PREFIX_LEN] = {'t', 'l', 's',
                                                   '1', '3', ' '};
  size_t label_len = 0, n = 0;
  /* cppcheck-suppress arrayIndexOutOfBoundsCond ; stops at the NUL */
  while (label_len < LABEL_MAX && label[label_len] != '\0')
    label_len++;
  info[n++] = (uint8_t)(out_len >> 8);
  info[n++] = (uint8_t)out_len;
  info[n++] = (uint8_t)(LABEL_PREFIX_LEN + label_len);
  memcpy(info + n, prefix, LABEL_PREFIX_LEN);
  n += LABEL_PREFIX_LEN;
  memcpy(info + n, label, label_len);
  n += label_len;
  info[n++] = (uint8_t)context_len;
  if (context_len)
    memcpy(info + n, context, context_len);
  n += context_len;
  hkdf_expand(s, secret, info, n, out, out_len);
}

void zn__tls13_derive_secret(const struct zn__tls13_suite *s,
                             const uint8_t *secret, const char *label,
                             const uint8_t *transcript_hash, uint8_t *out) {
  zn__tls13_expand_label(s, secret, label, transcript_hash, s->hash_len, out,
                         s->hash_len);
}

void zn__tls13_empty_hash(const struct zn__tls13_suite *s, uint8_t *out) {
  br_hash_compat_context hc;
  s->hash->init(&hc.vtable);
  s->hash->out(&hc.vtable, out);
}

void zn__tls13_name_hash(const void *name, size_t len, uint8_t *out,
                         size_t out_len) {
  uint8_t h[32];
  br_sha256_context c;
  br_sha256_init(&c);
  br_sha256_update(&c, name, len);
  br_sha256_out(&c, h);
  memcpy(out, h, out_len < sizeof(h) ? out_len : sizeof(h));
}

bool zn__tls13_ct_equal(const uint8_t *a, const uint8_t *b, size_t len) {
  uint8_t d = 0;
  for (size_t i = 0; i < len; i++)
    d |= (uint8_t)(a[i] ^ b[i]);
  return d == 0;
}

/* ---- record protection ---- */

/* BearSSL's fastest constant-time AES-CTR, GHASH, ChaCha20 and Poly1305
 * for this CPU, asked once: its *_get() functions run CPUID on every
 * call, which traps to the hypervisor in a virtual machine (8% of a
 * resumed handshake's server time here, four keys a handshake).  Each
 * choice is kept in an atomic (relaxed: whoever writes, writes the same
 * value), so that sessions on several threads may ask at once. */
static _Atomic(const br_block_ctr_class *) aes_impl;
static _Atomic(br_ghash) ghash_impl;
static _Atomic(br_chacha20_run) chacha_impl;
static _Atomic(br_poly1305_run) poly_impl;

const br_block_ctr_class *zn__tls13_aes_ctr(void) {
  const br_block_ctr_class *c =
      atomic_load_explicit(&aes_impl, memory_order_relaxed);
  if (c == NULL) {
    c = br_aes_x86ni_ctr_get_vtable();
    if (c == NULL)
      c = &br_aes_ct64_ctr_vtable;
    atomic_store_explicit(&aes_impl, c, memory_order_relaxed);
  }
  return c;
}

br_ghash zn__tls13_ghash(void) {
  br_ghash g = atomic_load_explicit(&ghash_impl, memory_order_relaxed);
  if (g == 0) {
    g = br_ghash_pclmul_get();
    if (g == 0)
      g = &br_ghash_ctmul64;
    atomic_store_explicit(&ghash_impl, g, memory_order_relaxed);
  }
  return g;
}

static br_chacha20_run chacha20(void) {
  br_chacha20_run r = atomic_load_explicit(&chacha_impl, memory_order_relaxed);
  if (r == 0) {
    r = br_chacha20_sse2_get();
    if (r == 0)
      r = &br_chacha20_ct_run;
    atomic_store_explicit(&chacha_impl, r, memory_order_relaxed);
  }
  return r;
}

static br_poly1305_run poly1305(void) {
  br_poly1305_run r = atomic_load_explicit(&poly_impl, memory_order_relaxed);
  if (r == 0) {
    r = br_poly1305_ctmulq_get();
    if (r == 0)
      r = &br_poly1305_ctmul_run;
    atomic_store_explicit(&poly_impl, r, memory_order_relaxed);
  }
  return r;
}

static void gcm_keys_set(struct zn__tls13_keys *k, const uint8_t *key,
                         size_t len) {
  const br_block_ctr_class *aes = zn__tls13_aes_ctr();
  aes->init(&k->u.gcm.aes.vtable, key, len);
  br_gcm_init(&k->u.gcm.gcm, &k->u.gcm.aes.vtable, zn__tls13_ghash());
}

static void chapol_keys_set(struct zn__tls13_keys *k, const uint8_t *key) {
  memcpy(k->u.chapol.key, key, 32);
  k->u.chapol.chacha = chacha20();
  k->u.chapol.poly = poly1305();
}

void zn__tls13_keys_set(struct zn__tls13_keys *k,
                        const struct zn__tls13_suite *s,
                        const uint8_t *secret) {
  uint8_t key[32];
  memset(k, 0, sizeof(*k));
  k->suite = s;
  zn__tls13_expand_label(s, secret, "key", NULL, 0, key, s->key_len);
  zn__tls13_expand_label(s, secret, "iv", NULL, 0, k->iv, ZN__TLS13_IV_LEN);
  if (s->aead == ZN__TLS13_AES_GCM)
    gcm_keys_set(k, key, s->key_len);
  else
    chapol_keys_set(k, key);
  memset(key, 0, sizeof(key));
}

void zn__tls13_keys_clear(struct zn__tls13_keys *k) {
  memset(k, 0, sizeof(*k));
}

/* §5.3: the IV XORed with the sequence number, left-padded. */
static void record_nonce(const struct zn__tls13_keys *k, uint8_t *nonce) {
  memcpy(nonce, k->iv, ZN__TLS13_IV_LEN);
  for (int i = 0; i < 8; i++)
    nonce[ZN__TLS13_IV_LEN - 1 - i] ^= (uint8_t)(k->seq >> (8 * i));
}

/* The AEAD over body (len bytes) with the header as additional data;
 * the tag into tag. */
static void aead_run(struct zn__tls13_keys *k, const uint8_t *hdr,
                     uint8_t *body, size_t len, uint8_t *tag, bool encrypt) {
  uint8_t nonce[ZN__TLS13_IV_LEN];
  record_nonce(k, nonce);
  if (k->suite->aead == ZN__TLS13_AES_GCM) {
    br_gcm_context *g = &k->u.gcm.gcm;
    br_gcm_reset(g, nonce, sizeof(nonce));
    br_gcm_aad_inject(g, hdr, ZN__TLS13_HDR_LEN);
    br_gcm_flip(g);
    br_gcm_run(g, encrypt, body, len);
    br_gcm_get_tag(g, tag);
  } else {
    k->u.chapol.poly(k->u.chapol.key, nonce, body, len, hdr, ZN__TLS13_HDR_LEN,
                     tag, k->u.chapol.chacha, encrypt);
  }
  k->seq++;
}

size_t zn__tls13_seal(struct zn__tls13_keys *k, uint8_t *rec,
                      size_t inner_len) {
  size_t body = inner_len + ZN__TLS13_TAG_LEN;
  rec[0] = OPAQUE_TYPE;
  rec[1] = 3;
  rec[2] = 3;
  rec[3] = (uint8_t)(body >> 8);
  rec[4] = (uint8_t)body;
  aead_run(k, rec, rec + ZN__TLS13_HDR_LEN, inner_len,
           rec + ZN__TLS13_HDR_LEN + inner_len, true);
  return ZN__TLS13_HDR_LEN + body;
}

bool zn__tls13_open(struct zn__tls13_keys *k, uint8_t *rec, size_t body_len) {
  uint8_t tag[ZN__TLS13_TAG_LEN];
  size_t len = body_len - ZN__TLS13_TAG_LEN;
  aead_run(k, rec, rec + ZN__TLS13_HDR_LEN, len, tag, false);
  return zn__tls13_ct_equal(tag, rec + ZN__TLS13_HDR_LEN + len,
                            ZN__TLS13_TAG_LEN);
}

bool zn__tls13_inner_type(const uint8_t *inner, size_t len, uint8_t *type,
                          size_t *content_len) {
  while (len > 0 && inner[len - 1] == 0)
    len--;
  if (len == 0)
    return false;
  *type = inner[len - 1];
  *content_len = len - 1;
  return true;
}
