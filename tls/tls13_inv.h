/*
 * Constant-time modular division b / a mod m for an odd m below 2^256, by
 * Bernstein and Yang's divsteps ("Fast constant-time gcd computation and
 * modular inversion", TCHES 2019): tls13_inv.c says how.  One function
 * for the three moduli of the TLS 1.3 engine, each described by a
 * constant here: P-256's field prime p (tls13_p256.c), its group order n
 * (the ECDSA signer, tls13_p256_ecdsa.c) and 2^255 - 19 (X25519,
 * tls13_fe25519.c and tls13_x25519_adx.c).
 */
#ifndef ZNET_TLS13_INV_H
#define ZNET_TLS13_INV_H

#include <stdint.h>

/* The divsteps run: ZN__INV_BATCHES batches of ZN__INV_BATCH_STEPS,
 * 620, at least the 590 that inputs below 2^256 need (tls13_inv.c says
 * whose bound; tests/tls/test_tls13_inv.c holds the two to it). */
#define ZN__INV_BATCHES 10
#define ZN__INV_BATCH_STEPS 62

/* A modulus as the divsteps take it. */
struct zn__inv_mod {
  int64_t m[5];  /* m in five limbs of 62 bits, least significant first */
  uint64_t minv; /* 1/m mod 2^62 */
};

extern const struct zn__inv_mod zn__inv_p256_p; /* P-256's field prime */
extern const struct zn__inv_mod zn__inv_p256_n; /* P-256's group order */
extern const struct zn__inv_mod zn__inv_p25519; /* 2^255 - 19 */

/* r = b / a mod m, below m, for a and b below m (four 64-bit limbs each,
 * least significant first); 0 when a is 0 (as Fermat's a^(m - 2)).  The
 * three moduli are prime, so every other a has an inverse (for a
 * composite m, an a not prime to it has none and r is meaningless).
 * b = 1 gives the inverse; b = R^2 mod m gives the inverse in Montgomery
 * form (R/a) of a in Montgomery form (aR).  r may be a or b.  Constant time: no
 * branch and no memory address depends on a or b. */
void zn__inv_div(uint64_t r[4], const uint64_t a[4], const uint64_t b[4],
                 const struct zn__inv_mod *md);

#endif
