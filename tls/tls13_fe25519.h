/*
 * GF(2^255 - 19), the field of Curve25519 and edwards25519 (RFC 7748
 * §4.1), over 64-bit limbs: an element is five limbs of 51 bits, and
 * products are summed in 128 bits (tls13_fe25519.c).  tls13_x25519.c
 * builds the Montgomery ladder and the fixed-base Edwards multiplication
 * on it; the tests recompute tls13_x25519_table.h with it.  The few
 * functions of a line or two are inline here.
 *
 * Bounds, which no function checks.  A "tight" element has every limb
 * below 2^51 + 2^13: what zn__fe_mul, zn__fe_sq and the loads return.
 * zn__fe_add and zn__fe_sub do not carry (a carry chain after each
 * subtraction was a sixth of the ladder's time): a sum of two tight
 * elements has limbs below 2^52 + 2^14, a difference f - g, for f below
 * 2^53 and g below 2^53 - 76 (a sum of two tight ones at most), below
 * 2^54.  zn__fe_mul and zn__fe_sq take limbs below 2^54, where nothing
 * overflows: 19 times a limb stays below 2^59, a column of five products
 * below 2^115, the carry out of the top limb times 19 below 2^64.
 * zn__fe_tobytes takes limbs below 2^63.
 *
 * Constant time: no branch and no memory address depends on an element;
 * zn__fe_invert runs a fixed number of divsteps, and the masks of zn__fe_cmov
 * and zn__fe_cswap go through zn__fe_opaque.
 */
#ifndef ZNET_TLS13_FE25519_H
#define ZNET_TLS13_FE25519_H

#include <stdint.h>
#include <string.h>

__extension__ typedef unsigned __int128 zn__u128;

typedef uint64_t zn__fe[5];

#define ZN__FE_MASK51 ((UINT64_C(1) << 51) - 1)

/* An element from four little-endian 64-bit words, bit 255 ignored. */
static inline void zn__fe_from_words(zn__fe h, const uint64_t w[4]) {
  h[0] = w[0] & ZN__FE_MASK51;
  h[1] = (w[0] >> 51 | w[1] << 13) & ZN__FE_MASK51;
  h[2] = (w[1] >> 38 | w[2] << 26) & ZN__FE_MASK51;
  h[3] = (w[2] >> 25 | w[3] << 39) & ZN__FE_MASK51;
  h[4] = (w[3] >> 12) & ZN__FE_MASK51;
}

/* RFC 7748 §5: a u-coordinate's 32 bytes, the top bit masked. */
void zn__fe_frombytes(zn__fe h, const uint8_t s[32]);

/* The canonical encoding: reduced below p = 2^255 - 19. */
void zn__fe_tobytes(uint8_t s[32], const zn__fe f);

static inline void zn__fe_add(zn__fe h, const zn__fe f, const zn__fe g) {
  for (int i = 0; i < 5; i++)
    h[i] = f[i] + g[i];
}

/* f - g, plus 4p so that no limb goes below zero. */
static inline void zn__fe_sub(zn__fe h, const zn__fe f, const zn__fe g) {
  static const uint64_t four_p[5] = {(ZN__FE_MASK51 - 18) * 4,
                                     ZN__FE_MASK51 * 4, ZN__FE_MASK51 * 4,
                                     ZN__FE_MASK51 * 4, ZN__FE_MASK51 * 4};
  for (int i = 0; i < 5; i++)
    h[i] = f[i] + four_p[i] - g[i];
}

static inline void zn__fe_neg(zn__fe h, const zn__fe f) {
  static const zn__fe zero = {0};
  zn__fe_sub(h, zero, f);
}

/* f * g and f^2, tight. */
void zn__fe_mul(zn__fe h, const zn__fe f, const zn__fe g);
void zn__fe_sq(zn__fe h, const zn__fe f);

/* 1/z (0 for 0), tight. */
void zn__fe_invert(zn__fe out, const zn__fe z);

/* x, opaque to the optimiser, so that a mask made from a secret stays a
 * mask: clang 14 at -O2 sees through the arithmetic of a mask (a compare
 * made branch-free by hand) and turns the masked selection it feeds into
 * a branch on the secret, which tests/tls/ct_check.c caught in
 * tls13_x25519.c's table lookup.  An empty asm statement costs no
 * instruction. */
static inline uint64_t zn__fe_opaque(uint64_t x) {
  __asm__("" : "+r"(x));
  return x;
}

/* f = g where mask is all ones, f unchanged where it is zero. */
static inline void zn__fe_cmov(zn__fe f, const zn__fe g, uint64_t mask) {
  mask = zn__fe_opaque(mask);
  for (int i = 0; i < 5; i++)
    f[i] ^= mask & (f[i] ^ g[i]);
}

/* Swap f and g where mask is all ones. */
static inline void zn__fe_cswap(zn__fe f, zn__fe g, uint64_t mask) {
  mask = zn__fe_opaque(mask);
  for (int i = 0; i < 5; i++) {
    uint64_t t = mask & (f[i] ^ g[i]);
    f[i] ^= t;
    g[i] ^= t;
  }
}

#endif
