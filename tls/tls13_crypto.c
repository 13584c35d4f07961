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
#include "znet/assert.h"

#include <stdatomic.h>
#include <string.h>

#include "znet/wipe.h"

/* "tls13 " before every label (§7.1). */
#define LABEL_PREFIX_LEN 6
/* §7.1's longest label ("c e traffic", "exp master", "res master", ...)
 * is 12 characters; "resumption" and the others fit. */
#define LABEL_MAX 12
/* The record type protected records carry (§5.2: application_data). */
#define OPAQUE_TYPE 23

/* Constants of each hash (§7.1), checked by tests/tls/test_tls13_crypto.c:
 * Hash(""), which the "derived" steps take as their context, and the
 * "derived" secret of a handshake without a PSK, Derive-Secret of
 * Extract(0, 0): nine compressions of SHA-384 a handshake, spared. */
static const uint8_t sha256_empty[32] = {
    0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4,
    0xc8, 0x99, 0x6f, 0xb9, 0x24, 0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b,
    0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55,
};
static const uint8_t sha256_derived0[32] = {
    0x6f, 0x26, 0x15, 0xa1, 0x08, 0xc7, 0x02, 0xc5, 0x67, 0x8f, 0x54,
    0xfc, 0x9d, 0xba, 0xb6, 0x97, 0x16, 0xc0, 0x76, 0x18, 0x9c, 0x48,
    0x25, 0x0c, 0xeb, 0xea, 0xc3, 0x57, 0x6c, 0x36, 0x11, 0xba,
};
static const uint8_t sha384_empty[48] = {
    0x38, 0xb0, 0x60, 0xa7, 0x51, 0xac, 0x96, 0x38, 0x4c, 0xd9, 0x32, 0x7e,
    0xb1, 0xb1, 0xe3, 0x6a, 0x21, 0xfd, 0xb7, 0x11, 0x14, 0xbe, 0x07, 0x43,
    0x4c, 0x0c, 0xc7, 0xbf, 0x63, 0xf6, 0xe1, 0xda, 0x27, 0x4e, 0xde, 0xbf,
    0xe7, 0x6f, 0x65, 0xfb, 0xd5, 0x1a, 0xd2, 0xf1, 0x48, 0x98, 0xb9, 0x5b,
};
static const uint8_t sha384_derived0[48] = {
    0x15, 0x91, 0xda, 0xc5, 0xcb, 0xbf, 0x03, 0x30, 0xa4, 0xa8, 0x4d, 0xe9,
    0xc7, 0x53, 0x33, 0x0e, 0x92, 0xd0, 0x1f, 0x0a, 0x88, 0x21, 0x4b, 0x44,
    0x64, 0x97, 0x2f, 0xd6, 0x68, 0x04, 0x9e, 0x93, 0xe5, 0x2f, 0x2b, 0x16,
    0xfa, 0xd9, 0x22, 0xfd, 0xc0, 0x58, 0x44, 0x78, 0x42, 0x8f, 0x28, 0x2b,
};

static const struct zn__tls13_suite suites[] = {
    {0x1301, ZN__TLS13_AES_GCM, 16, 32, &zn__tls_sha256_vtable, sha256_empty,
     sha256_derived0},
    {0x1302, ZN__TLS13_AES_GCM, 32, 48, &zn__tls_sha384_vtable, sha384_empty,
     sha384_derived0},
    {0x1303, ZN__TLS13_CHACHA20_POLY1305, 32, 32, &zn__tls_sha256_vtable,
     sha256_empty, sha256_derived0},
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
  zn_wipe(&kc, sizeof(kc)); /* the key's inner and outer states */
  zn_wipe(&hc, sizeof(hc));
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

void zn__tls13_prk_init(struct zn__tls13_prk *k,
                        const struct zn__tls13_suite *s,
                        const uint8_t *secret) {
  k->suite = s;
  br_hmac_key_init(&k->kc, s->hash, secret, s->hash_len);
}

void zn__tls13_prk_clear(struct zn__tls13_prk *k) { zn_wipe(k, sizeof(*k)); }

/* HKDF-Expand (RFC 5869 §2.3): T(i) = HMAC(prk, T(i-1) | info | i). */
static void hkdf_expand(const struct zn__tls13_prk *k, const uint8_t *info,
                        size_t info_len, uint8_t *out, size_t out_len) {
  const struct zn__tls13_suite *s = k->suite;
  uint8_t t[ZN__TLS13_MAX_HASH];
  size_t t_len = 0;
  br_hmac_context hc;
  for (uint8_t i = 1; out_len > 0; i++) {
    br_hmac_init(&hc, &k->kc, 0);
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
  zn_wipe(t, sizeof(t));
  zn_wipe(&hc, sizeof(hc));
}

void zn__tls13_expand_label_prk(const struct zn__tls13_prk *k,
                                const char *label, const uint8_t *context,
                                size_t context_len, uint8_t *out,
                                size_t out_len) {
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
  hkdf_expand(k, info, n, out, out_len);
}

void zn__tls13_expand_label(const struct zn__tls13_suite *s,
                            const uint8_t *secret, const char *label,
                            const uint8_t *context, size_t context_len,
                            uint8_t *out, size_t out_len) {
  struct zn__tls13_prk k;
  zn__tls13_prk_init(&k, s, secret);
  zn__tls13_expand_label_prk(&k, label, context, context_len, out, out_len);
  zn__tls13_prk_clear(&k);
}

void zn__tls13_derive_secret_prk(const struct zn__tls13_prk *k,
                                 const char *label,
                                 const uint8_t *transcript_hash, uint8_t *out) {
  size_t hl = k->suite->hash_len;
  zn__tls13_expand_label_prk(k, label, transcript_hash, hl, out, hl);
}

void zn__tls13_derive_secret(const struct zn__tls13_suite *s,
                             const uint8_t *secret, const char *label,
                             const uint8_t *transcript_hash, uint8_t *out) {
  zn__tls13_expand_label(s, secret, label, transcript_hash, s->hash_len, out,
                         s->hash_len);
}

void zn__tls13_empty_hash(const struct zn__tls13_suite *s, uint8_t *out) {
  memcpy(out, s->empty, s->hash_len);
}

void zn__tls13_name_hash(const void *name, size_t len, uint8_t *out,
                         size_t out_len) {
  uint8_t h[32];
  br_sha256_context c;
  zn__tls_sha256_vtable.init(&c.vtable);
  zn__tls_sha256_vtable.update(&c.vtable, name, len);
  zn__tls_sha256_vtable.out(&c.vtable, h);
  memcpy(out, h, out_len < sizeof(h) ? out_len : sizeof(h));
}

bool zn__tls13_ct_equal(const uint8_t *a, const uint8_t *b, size_t len) {
  uint8_t d = 0;
  for (size_t i = 0; i < len; i++)
    d |= (uint8_t)(a[i] ^ b[i]);
  return d == 0;
}

/* ---- record protection ---- */

/* CPUID's EAX, EBX and ECX for leaf (subleaf 0; EDX is not read): the
 * instruction written out rather than taken from <cpuid.h>, as it is
 * all it takes. */
struct cpuid_regs {
  uint32_t a, b, c;
};

static struct cpuid_regs cpuid(uint32_t leaf) {
  struct cpuid_regs r;
  __asm__("cpuid"
          : "=a"(r.a), "=b"(r.b), "=c"(r.c)
          : "a"(leaf), "c"(0)
          : "edx");
  return r;
}

/* Whether the operating system saves the SSE and AVX registers (XCR0's
 * bits 1 and 2), asked only where CPUID says OSXSAVE. */
static bool os_saves_avx(void) {
  uint32_t lo, hi;
  __asm__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return (lo & 6) == 6;
}

/* The CPU's features (leaf 0 says whether there is a leaf 7). */
static uint32_t cpu_features(void) {
  uint32_t f = 0;
  uint32_t max = cpuid(0).a;
  struct cpuid_regs r = cpuid(1);
  f |= (r.c >> 9 & 1) ? ZN__TLS_CPU_SSSE3 : 0;
  f |= (r.c >> 19 & 1) ? ZN__TLS_CPU_SSE41 : 0;
  if ((r.c >> 27 & 1) && (r.c >> 28 & 1) && os_saves_avx())
    f |= ZN__TLS_CPU_AVX;
  if (max >= 7) {
    r = cpuid(7);
    f |= (r.b >> 8 & 1) ? ZN__TLS_CPU_BMI2 : 0;
    f |= (r.b >> 19 & 1) ? ZN__TLS_CPU_ADX : 0;
    f |= (r.b >> 29 & 1) ? ZN__TLS_CPU_SHA : 0;
  }
  return f;
}

/* The features with bit 31 set once known (relaxed: whoever writes,
 * writes the same value), as the choices below are kept. */
static _Atomic uint32_t cpu_known;

bool zn__tls_cpu_has(uint32_t mask) {
  uint32_t f = atomic_load_explicit(&cpu_known, memory_order_relaxed);
  if (f == 0) {
    f = cpu_features() | 1u << 31;
    atomic_store_explicit(&cpu_known, f, memory_order_relaxed);
  }
  return (f & mask) == mask;
}

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
  struct zn__tls13_prk prk;
  zn__tls13_prk_init(&prk, s, secret);
  zn__tls13_expand_label_prk(&prk, "key", NULL, 0, key, s->key_len);
  zn__tls13_expand_label_prk(&prk, "iv", NULL, 0, k->iv, ZN__TLS13_IV_LEN);
  zn__tls13_prk_clear(&prk);
  if (s->aead == ZN__TLS13_AES_GCM)
    gcm_keys_set(k, key, s->key_len);
  else
    chapol_keys_set(k, key);
  zn_wipe(key, sizeof(key));
}

void zn__tls13_keys_clear(struct zn__tls13_keys *k) { zn_wipe(k, sizeof(*k)); }

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
  /* §5.3: our sequence number does not wrap (the key is updated long
   * before, §5.5). */
  ZN_ASSERT(k->seq != UINT64_MAX);
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
