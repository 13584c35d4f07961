/*
 * TLS 1.3's cryptography over BearSSL's primitives (RFC 8446): the
 * cipher suites, HKDF and the key schedule's derivations (§7.1), the
 * traffic keys (§7.3) and record protection (§5.2).  Nothing here keeps
 * state of its own: the caller holds the secrets and the keys.
 */
#ifndef ZNET_TLS13_CRYPTO_H
#define ZNET_TLS13_CRYPTO_H

#include <bearssl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The longest hash of a suite (SHA-384), bytes. */
#define ZN__TLS13_MAX_HASH 48
/* The per-record nonce and the AEAD tag (§5.3, RFC 5116), bytes. */
#define ZN__TLS13_IV_LEN 12
#define ZN__TLS13_TAG_LEN 16
/* A record's header (§5.1). */
#define ZN__TLS13_HDR_LEN 5

enum zn__tls13_aead {
  ZN__TLS13_AES_GCM = 1,
  ZN__TLS13_CHACHA20_POLY1305 = 2,
};

/* A TLS 1.3 cipher suite (§B.4): its AEAD, key size and hash. */
struct zn__tls13_suite {
  uint16_t id;
  uint8_t aead;     /* enum zn__tls13_aead */
  uint8_t key_len;  /* 16 or 32 */
  uint8_t hash_len; /* 32 or 48 */
  const br_hash_class *hash;
  const uint8_t *empty;    /* Hash(""), hash_len bytes */
  const uint8_t *derived0; /* §7.1's "derived" secret without a PSK */
};

/* CPU features the engines' x86 paths use: CPUID leaf 1's ECX (SSSE3,
 * SSE4.1, AVX) and leaf 7's EBX (BMI2, ADX, SHA).  AVX only when the
 * operating system saves its registers too (OSXSAVE, and XCR0's SSE and
 * AVX bits). */
enum zn__tls_cpu {
  ZN__TLS_CPU_SSSE3 = 1u << 0,
  ZN__TLS_CPU_SSE41 = 1u << 1,
  ZN__TLS_CPU_BMI2 = 1u << 2,
  ZN__TLS_CPU_ADX = 1u << 3,
  ZN__TLS_CPU_SHA = 1u << 4,
  ZN__TLS_CPU_AVX = 1u << 5,
};

/* Whether the CPU has every feature of mask (enum zn__tls_cpu bits):
 * CPUID asked once, for every path that asks. */
bool zn__tls_cpu_has(uint32_t mask);

/* SHA-256 as br_sha256_vtable computes it (a br_sha256_context, the
 * same descriptor), with the x86 SHA extensions where BearSSL's own x86
 * code may run (tls13_sha256.c): the TLS engines' SHA-256. */
extern const br_hash_class zn__tls_sha256_vtable;

/* Whether zn__tls_sha256_vtable runs the SHA extensions here (asked
 * once; the tests check the choice against the CPU). */
bool zn__tls_sha256_fast(void);

/* SHA-384 and SHA-512 as br_sha384_vtable and br_sha512_vtable compute
 * them (a br_sha384_context, the same descriptors), faster
 * (tls13_sha512.c): the TLS engines' SHA-384 and SHA-512. */
extern const br_hash_class zn__tls_sha384_vtable;
extern const br_hash_class zn__tls_sha512_vtable;

/* Whether those run zn__tls_sha512_blocks_x86ext here, rather than
 * zn__tls_sha512_blocks_c (asked once; the tests check the choice
 * against the CPU). */
bool zn__tls_sha512_fast(void);

/* SHA-512's compression (FIPS 180-4 §6.4.2) of the n blocks of 128 bytes
 * at p into the state val (H0..H7), portable and with AVX and BMI2
 * (only where zn__tls_sha512_fast() says): named for the tests. */
void zn__tls_sha512_blocks_c(uint64_t val[8], const uint8_t *p, size_t n);
void zn__tls_sha512_blocks_x86ext(uint64_t val[8], const uint8_t *p, size_t n);

/* The suite with this IANA number, or NULL if it is not one of §B.4's
 * three (CCM suites are not offered). */
const struct zn__tls13_suite *zn__tls13_suite(uint16_t id);

/* HMAC (RFC 2104) with the suite's hash; out gets hash_len bytes. */
void zn__tls13_hmac(const struct zn__tls13_suite *s, const uint8_t *key,
                    size_t key_len, const uint8_t *data, size_t len,
                    uint8_t *out);

/* HKDF-Extract (RFC 5869 §2.2): prk = HMAC(salt, ikm), hash_len bytes.
 * salt NULL: hash_len zero bytes; ikm NULL: hash_len zero bytes (§7.1's
 * "0"). */
void zn__tls13_extract(const struct zn__tls13_suite *s, const uint8_t *salt,
                       const uint8_t *ikm, size_t ikm_len, uint8_t *prk);

/* HKDF-Expand-Label (§7.1): out_len bytes (at most 255 * hash_len) of
 * HKDF-Expand(secret, HkdfLabel{out_len, "tls13 " + label, context}).
 * label at most 12 characters (the longest of §7.1's is "c e traffic"),
 * context at most 255 bytes. */
void zn__tls13_expand_label(const struct zn__tls13_suite *s,
                            const uint8_t *secret, const char *label,
                            const uint8_t *context, size_t context_len,
                            uint8_t *out, size_t out_len);

/* A secret's HMAC key, its pads hashed once, for several expansions
 * from it (§7.1's derivations from one secret, a key and its IV): two
 * compressions each spared.  Holds the secret's derivatives: cleared
 * after use. */
struct zn__tls13_prk {
  const struct zn__tls13_suite *suite;
  br_hmac_key_context kc;
};

void zn__tls13_prk_init(struct zn__tls13_prk *k,
                        const struct zn__tls13_suite *s, const uint8_t *secret);
void zn__tls13_prk_clear(struct zn__tls13_prk *k);

/* zn__tls13_expand_label and zn__tls13_derive_secret from a prepared
 * key. */
void zn__tls13_expand_label_prk(const struct zn__tls13_prk *k,
                                const char *label, const uint8_t *context,
                                size_t context_len, uint8_t *out,
                                size_t out_len);
void zn__tls13_derive_secret_prk(const struct zn__tls13_prk *k,
                                 const char *label,
                                 const uint8_t *transcript_hash, uint8_t *out);

/* Derive-Secret (§7.1): Expand-Label(secret, label, transcript_hash,
 * hash_len), the transcript's hash already taken (hash_len bytes). */
void zn__tls13_derive_secret(const struct zn__tls13_suite *s,
                             const uint8_t *secret, const char *label,
                             const uint8_t *transcript_hash, uint8_t *out);

/* The hash of the empty string with the suite's hash (Derive-Secret's
 * "" messages: the "derived" steps of §7.1). */
void zn__tls13_empty_hash(const struct zn__tls13_suite *s, uint8_t *out);

/* X25519 (RFC 7748 §5): out = scalar * point (u-coordinates, 32 bytes
 * each; the scalar clamped as §5 says).  64-bit code of the project's
 * (tls13_x25519.c), constant-time. */
void zn__x25519(uint8_t out[32], const uint8_t scalar[32],
                const uint8_t point[32]);

/* X25519(scalar, 9) (RFC 7748 §5, §6.1: a public key), the scalar
 * clamped as §5 says: zn__x25519's result with the base point, computed
 * on edwards25519 from a table of the base point's multiples
 * (tls13_x25519_table.h), three times as fast.  Constant-time. */
void zn__x25519_base(uint8_t out[32], const uint8_t scalar[32]);

/* libznet-tls's elliptic curves, handed to BearSSL everywhere (ECDHE in
 * both engines, ECDSA, X.509): NIST P-256 by the project's 64-bit code
 * (tls13_p256.c), constant time; secp384r1, secp521r1 and curve25519 by
 * br_ec_get_default()'s.  For P-256 it keeps br_ec_impl's contract
 * (bearssl_ec.h) and says more where BearSSL leaves results open:
 *  - points are the 65-byte uncompressed encoding (SEC 1 §2.3.3); mul
 *    and muladd return 0 for any other length or first byte, for
 *    coordinates not below p and for points off the curve;
 *  - a scalar is big-endian of any length, its value below 2^256 (bytes
 *    above the last 32 must be zero); any such value is computed
 *    exactly, n and its multiples included;
 *  - a result at infinity makes mul and muladd return 0 (and muladd
 *    returns 0 for a zero scalar, as the contract asks); mulgen returns
 *    65 whatever the scalar, and writes 0x04 and 64 zero bytes for the
 *    point at infinity (x = 0 mod n, or x too long), which decodes as no
 *    point. */
extern const br_ec_impl zn__tls_ec;

/* Which field products tls13_p256.c uses: chosen by CPUID (AUTO, the
 * start), or the portable ones (C) or the BMI2 and ADX ones (ADX, an
 * illegal instruction on a CPU without them) for the tests, which run
 * each path. */
enum zn__p256_impl { ZN__P256_AUTO, ZN__P256_C, ZN__P256_ADX };
void zn__p256_set_impl(enum zn__p256_impl impl);

/* The path the products take now: C or ADX (AUTO decided first). */
enum zn__p256_impl zn__p256_impl_used(void);

/* Whether q (len bytes) is a P-256 public key: the uncompressed
 * encoding of a point of the curve (SEC 1 §2.3.4, §3.2.2.1). */
bool zn__p256_point_check(const uint8_t *q, size_t len);

/* ECDSA over P-256 (FIPS 186-4 §6.4) with RFC 6979's deterministic
 * nonce, 64-bit and constant time (tls13_p256_ecdsa.c): the signature of
 * hash (a digest of hf, whose length hf says) by sk, raw (r then s, 32
 * bytes each) into sig, byte for byte what br_ecdsa_i31_sign_raw makes.
 * Returns 64, or 0 if sk is not a P-256 key in 1..n-1 or the signature
 * failed its fault check (sig then zero). */
size_t zn__p256_ecdsa_sign(const br_hash_class *hf, const void *hash,
                           const br_ec_private_key *sk, uint8_t sig[64]);

/* A br_ecdsa_sign (DER, as br_ecdsa_i31_sign_asn1): P-256 keys by
 * zn__p256_ecdsa_sign (impl unused), other curves by
 * br_ecdsa_i31_sign_asn1 over impl.  sig has room for the DER of the
 * curve's r and s; returns the DER's length, 0 on failure. */
size_t zn__tls_ecdsa_sign(const br_ec_impl *impl, const br_hash_class *hf,
                          const void *hash, const br_ec_private_key *sk,
                          void *sig);

/* Constant-time equality of two byte strings of one length. */
bool zn__tls13_ct_equal(const uint8_t *a, const uint8_t *b, size_t len);

/* One direction's record protection: the write key and IV of a traffic
 * secret (§7.3) and the record sequence number (§5.3). */
struct zn__tls13_keys {
  const struct zn__tls13_suite *suite; /* NULL: no keys (records clear) */
  uint64_t seq;
  uint8_t iv[ZN__TLS13_IV_LEN];
  union {
    struct {
      br_aes_gen_ctr_keys aes;
      br_gcm_context gcm; /* points at aes */
    } gcm;
    struct {
      uint8_t key[32];
      br_chacha20_run chacha;
      br_poly1305_run poly;
    } chapol;
  } u;
};

/* The first out_len (at most 32) bytes of SHA-256 of a server name: what
 * a server's ticket is bound to (8) and a client's tickets are kept
 * under (16). */
void zn__tls13_name_hash(const void *name, size_t len, uint8_t *out,
                         size_t out_len);

/* BearSSL's fastest constant-time AES-CTR and GHASH for this CPU (AES-NI
 * and PCLMUL, else aes_ct64 and ghash_ctmul64), chosen once. */
const br_block_ctr_class *zn__tls13_aes_ctr(void);
br_ghash zn__tls13_ghash(void);

/* Install the traffic keys of secret (hash_len bytes) in k: the write
 * key and IV (§7.3), the sequence number at 0.  The fastest
 * constant-time implementation the CPU has (AES-NI and PCLMULQDQ, SSE2,
 * else BearSSL's portable constant-time code) is chosen once for all. */
void zn__tls13_keys_set(struct zn__tls13_keys *k,
                        const struct zn__tls13_suite *s, const uint8_t *secret);

/* Forget the keys (zeroed; k->suite NULL). */
void zn__tls13_keys_clear(struct zn__tls13_keys *k);

/* §5.2: protect the TLSInnerPlaintext of inner_len bytes at rec + 5
 * (its content, its type, its padding), in place: writes the header
 * (application_data, 0x0303, length), encrypts, appends the tag and
 * moves the sequence number on.  rec has room for 5 + inner_len + 16
 * bytes, which is the length returned. */
size_t zn__tls13_seal(struct zn__tls13_keys *k, uint8_t *rec, size_t inner_len);

/* §5.2: deprotect the record at rec (its header and body_len bytes of
 * body, body_len as its header says and at least 17), in place: the
 * TLSInnerPlaintext is then the body_len - 16 bytes at rec + 5.  False
 * if the tag is wrong (bad_record_mac: the bytes at rec + 5 are then
 * garbage).  The sequence number moves on either way. */
bool zn__tls13_open(struct zn__tls13_keys *k, uint8_t *rec, size_t body_len);

/* §5.4: the content type of a TLSInnerPlaintext (the last non-zero
 * byte) and the length of the content before it.  False if every byte
 * is zero (no type: unexpected_message). */
bool zn__tls13_inner_type(const uint8_t *inner, size_t len, uint8_t *type,
                          size_t *content_len);

#endif /* ZNET_TLS13_CRYPTO_H */
