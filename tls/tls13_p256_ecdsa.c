/*
 * ECDSA signing over P-256 (FIPS 186-4 §6.4; SEC 1 §4.1.3) with the
 * deterministic nonce of RFC 6979 §3.2, for TLS 1.3's CertificateVerify
 * (tls13_sig.c) and TLS 1.2's ServerKeyExchange (tls_bearssl.c).  Once
 * k G is fast (tls13_p256.c), most of br_ecdsa_i31_sign_raw's time is
 * its 31-bit arithmetic mod n; here it is 64-bit Montgomery arithmetic
 * (tls13_u256.h), the inversion by divsteps (tls13_inv.c), k G by
 * zn__tls_ec's mulgen.
 * The signature is byte for byte BearSSL's: the same nonce (HMAC_DRBG
 * seeded with the key and the reduced hash is RFC 6979's generator, as
 * BearSSL uses it) and the same arithmetic.
 *
 * Faults.  With a deterministic nonce, one faulty signature beside a good
 * one of the same message gives the key away (two equations in k and
 * the key), so a signature leaves only after two checks, both constant
 * time and cheap beside the signature: R = k G is a point of the curve
 * (a fault in the point arithmetic almost surely leaves it), and s k =
 * e + r d mod n with r d computed a second way (a fault in the scalar
 * arithmetic).  Verifying the signature against the public key would
 * also catch a fault that keeps R on the curve, but it costs more than
 * the signature itself (a verification is four times a signature here).
 * No check catches a fault in k itself before k G is computed (a valid
 * signature with another nonce) nor a key corrupted in memory.
 *
 * Constant time.  The secrets are the key d and the nonce k: every
 * operation on them takes the same path and the same addresses
 * whatever their value; the inversion of k runs a fixed number of
 * divsteps.
 * Three tests end in a branch: whether the key is in 1..n-1 (the same
 * answer for the key every time), whether an RFC 6979 candidate is in
 * 1..n-1 (a rejected candidate, probability 2^-32, says nothing of the
 * one kept), and whether the fault checks passed.  tests/tls/ct.supp
 * lists them for tests/tls/ct_check.c.
 */
#include <string.h>

#include "tls13_crypto.h"
#include "tls13_inv.h"
#include "tls13_u256.h"
#include "znet/wipe.h"

/* The order n of P-256's group (SEC 2 §2.4.2), -1/n mod 2^64 and
 * 2^512 mod n. */
static const struct u256_mod p256_n = {{0xf3b9cac2fc632551, 0xbce6faada7179e84,
                                        0xffffffffffffffff, 0xffffffff00000000},
                                       0xccd1c8aaee00bc4f,
                                       {0x83244c95be79eea2, 0x4699799c49bd6fa6,
                                        0x2845b2392b6bec59,
                                        0x66e12d94f3d95620}};

/* r = 1/a mod n, a and r in Montgomery form: R^2 / (A R) = R / A by
 * divsteps (tls13_inv.c), as fe_invert in tls13_p256.c.  a is the nonce
 * k: the divsteps take the same path for every k.  (Fermat's a^(n - 2)
 * took 255 squarings and 40 products.) */
static void sc_invert(uint64_t r[4], const uint64_t a[4]) {
  zn__inv_div(r, a, p256_n.rr, &zn__inv_p256_n);
}

/* All ones if 0 < a < n, else zero. */
static uint64_t sc_in_range(const uint64_t a[4]) {
  return ~u256_zero_mask(a) & u256_less_mask(a, p256_n.m);
}

/* The private key d (big-endian, any length, leading zeros allowed).
 * False unless it is in 1..n-1: a fact of the key, the same every time,
 * so the branch on it says nothing new. */
static bool key_load(uint64_t d[4], const br_ec_private_key *sk) {
  uint8_t b[32] = {0};
  size_t n = sk->xlen < 32 ? sk->xlen : 32;
  memcpy(b + 32 - n, sk->x + sk->xlen - n, n);
  u256_from_be(d, b);
  uint64_t high = 0;
  for (size_t i = 0; i + 32 < sk->xlen; i++)
    high |= sk->x[i];
  zn_wipe(b, sizeof(b));
  return (u64_zero_mask(high) & sc_in_range(d)) != 0;
}

/* RFC 6979 §2.3.2 bits2int for qlen = 256: the leftmost 256 bits of h
 * (its first 32 bytes), or the value of a shorter h. */
static void bits2int(uint64_t r[4], const uint8_t *h, size_t len) {
  uint8_t b[32] = {0};
  size_t n = len < 32 ? len : 32;
  memcpy(b + 32 - n, h, n);
  u256_from_be(r, b);
}

/* RFC 6979 §3.2: k from the key d and e = bits2int(H(m)) mod n, with
 * HMAC_DRBG over hf seeded with int2octets(d) || bits2octets(H(m))
 * (steps b to g: BearSSL's br_hmac_drbg_init is exactly that), a
 * candidate drawn until one is in 1..n-1 (step h; generate's closing
 * update is the step's K and V update). */
static void rfc6979_nonce(uint8_t k[32], const br_hash_class *hf,
                          const uint64_t d[4], const uint64_t e[4]) {
  uint8_t seed[64];
  u256_to_be(seed, d);
  u256_to_be(seed + 32, e);
  br_hmac_drbg_context drbg;
  br_hmac_drbg_init(&drbg, hf, seed, sizeof(seed));
  uint64_t c[4];
  do {
    br_hmac_drbg_generate(&drbg, k, 32);
    u256_from_be(c, k); /* bits2int: 32 bytes, exactly qlen bits */
  } while (sc_in_range(c) == 0);
  zn_wipe(seed, sizeof(seed));
  zn_wipe(&drbg, sizeof(drbg));
  zn_wipe(c, sizeof(c));
}

/* What one signature computes, kept to be checked and wiped. */
struct ecdsa_work {
  uint64_t d[4], e[4], k[4], km[4], r[4], s[4], t[4], u[4];
  uint8_t kb[32], rp[65];
};

/* §6.4 steps 2 to 4 (SEC 1 §4.1.3 steps 1 to 6): R = k G, r = x_R mod
 * n, s = (e + r d) / k mod n.  Returns the fault checks (see the top of
 * the file: R decodes as a point; s k is e + r d computed again, with
 * the other operand in Montgomery form) and r, s not zero, all ones
 * when they pass. */
static uint64_t ecdsa_compute(struct ecdsa_work *w) {
  zn__tls_ec.mulgen(w->rp, w->kb, 32, BR_EC_secp256r1);
  uint64_t ok = u256_mask((uint64_t)zn__p256_point_check(w->rp, 65));
  u256_from_be(w->r, w->rp + 1);
  mod_reduce_once(w->r, w->r, &p256_n); /* x < p < 2n */
  u256_from_be(w->k, w->kb);
  mont_in(w->km, w->k, &p256_n);
  uint64_t kinv[4], m[4];
  sc_invert(kinv, w->km);
  mont_in(m, w->r, &p256_n);
  mont_mul(w->t, m, w->d, &p256_n); /* r d (r R times d, over R) */
  mod_add(w->t, w->t, w->e, &p256_n);
  mont_mul(w->s, kinv, w->t, &p256_n); /* (e + r d) / k */
  mont_in(m, w->d, &p256_n);
  mont_mul(w->u, m, w->r, &p256_n); /* r d again (d R times r, over R) */
  mod_add(w->u, w->u, w->e, &p256_n);
  mont_mul(m, w->s, w->km, &p256_n); /* s k */
  u256_sub(m, m, w->u);
  ok &= u256_zero_mask(m) & ~u256_zero_mask(w->r) & ~u256_zero_mask(w->s);
  zn_wipe(kinv, sizeof(kinv));
  zn_wipe(m, sizeof(m));
  return ok;
}

size_t zn__p256_ecdsa_sign(const br_hash_class *hf, const void *hash,
                           const br_ec_private_key *sk, uint8_t sig[64]) {
  struct ecdsa_work w;
  if (sk->curve != BR_EC_secp256r1)
    return 0;
  if (!key_load(w.d, sk)) {
    zn_wipe(w.d, sizeof(w.d)); /* a key out of range is a key still */
    return 0;
  }
  size_t hlen =
      (size_t)(hf->desc >> BR_HASHDESC_OUT_OFF) & BR_HASHDESC_OUT_MASK;
  bits2int(w.e, hash, hlen);
  mod_reduce_once(w.e, w.e, &p256_n); /* below 2^256 < 2n */
  rfc6979_nonce(w.kb, hf, w.d, w.e);
  uint64_t ok = ecdsa_compute(&w);
  u256_to_be(sig, w.r);
  u256_to_be(sig + 32, w.s);
  zn_wipe(&w, sizeof(w));
  if (ok == 0) {
    memset(sig, 0, 64); /* a faulty signature must not leave */
    return 0;
  }
  return 64;
}

size_t zn__tls_ecdsa_sign(const br_ec_impl *impl, const br_hash_class *hf,
                          const void *hash, const br_ec_private_key *sk,
                          void *sig) {
  if (sk->curve != BR_EC_secp256r1)
    return br_ecdsa_i31_sign_asn1(impl, hf, hash, sk, sig);
  uint8_t der[64 + 8]; /* the DER of two 33-byte INTEGERs */
  if (zn__p256_ecdsa_sign(hf, hash, sk, der) != 64)
    return 0;
  size_t len = br_ecdsa_raw_to_asn1(der, 64);
  memcpy(sig, der, len);
  return len;
}
