/*
 * GF(2^255 - 19) (RFC 7748 §4.1) over five 51-bit limbs: the functions
 * tls13_fe25519.h declares, within the bounds it states.  A file of its
 * own rather than inline functions in the header, so that the compiler
 * does not inline them into the loops of tls13_x25519.c: gcc 12 at -O2
 * inlined the squarings into the ladder's loop, which made it a quarter
 * slower (73 us a scalar multiplication against 59 us).
 */
#include "tls13_fe25519.h"
#include "tls13_inv.h"
#include "znet/wipe.h"

static uint64_t load64(const uint8_t *p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--)
    v = v << 8 | p[i];
  return v;
}

/* Carries so that every limb is below 2^51 (plus a little in limb 0). */
static void carry(zn__fe h) {
  for (int i = 0; i < 4; i++) {
    h[i + 1] += h[i] >> 51;
    h[i] &= ZN__FE_MASK51;
  }
  h[0] += 19 * (h[4] >> 51);
  h[4] &= ZN__FE_MASK51;
}

/* RFC 7748 §5: a u-coordinate's 32 bytes, the top bit masked. */
void zn__fe_frombytes(zn__fe h, const uint8_t s[32]) {
  const uint64_t w[4] = {load64(s), load64(s + 8), load64(s + 16),
                         load64(s + 24)};
  zn__fe_from_words(h, w);
}

/* The canonical encoding: reduced below p = 2^255 - 19. */
void zn__fe_tobytes(uint8_t s[32], const zn__fe f) {
  zn__fe t;
  memcpy(t, f, sizeof(t));
  carry(t);
  carry(t);
  /* c = 1 if t >= p (t + 19 reaches 2^255), then t - p = t + 19 - 2^255. */
  uint64_t c = (t[0] + 19) >> 51;
  c = (t[1] + c) >> 51;
  c = (t[2] + c) >> 51;
  c = (t[3] + c) >> 51;
  c = (t[4] + c) >> 51;
  t[0] += 19 * c;
  for (int i = 0; i < 4; i++) {
    t[i + 1] += t[i] >> 51;
    t[i] &= ZN__FE_MASK51;
  }
  t[4] &= ZN__FE_MASK51;
  const uint64_t w[4] = {t[0] | t[1] << 51, t[1] >> 13 | t[2] << 38,
                         t[2] >> 26 | t[3] << 25, t[3] >> 39 | t[4] << 12};
  for (int i = 0; i < 4; i++)
    for (int j = 0; j < 8; j++)
      s[8 * i + j] = (uint8_t)(w[i] >> (8 * j));
}

/* The five column sums of a product (limb k of the result before
 * carrying; columns past 4 folded back times 19, as 2^255 = 19) to tight
 * limbs.  Inline: called, it takes its five 128-bit sums through memory
 * (gcc 12 -O2 did, and the ladder took 68 us instead of 58). */
static inline void reduce_columns(zn__fe h, zn__u128 r0, zn__u128 r1,
                                  zn__u128 r2, zn__u128 r3, zn__u128 r4) {
  r1 += (uint64_t)(r0 >> 51);
  h[0] = (uint64_t)r0 & ZN__FE_MASK51;
  r2 += (uint64_t)(r1 >> 51);
  h[1] = (uint64_t)r1 & ZN__FE_MASK51;
  r3 += (uint64_t)(r2 >> 51);
  h[2] = (uint64_t)r2 & ZN__FE_MASK51;
  r4 += (uint64_t)(r3 >> 51);
  h[3] = (uint64_t)r3 & ZN__FE_MASK51;
  uint64_t c = (uint64_t)(r4 >> 51);
  h[4] = (uint64_t)r4 & ZN__FE_MASK51;
  h[0] += 19 * c;
  h[1] += h[0] >> 51;
  h[0] &= ZN__FE_MASK51;
}

void zn__fe_mul(zn__fe h, const zn__fe f, const zn__fe g) {
  uint64_t g1 = 19 * g[1], g2 = 19 * g[2], g3 = 19 * g[3], g4 = 19 * g[4];
  zn__u128 r0 = (zn__u128)f[0] * g[0] + (zn__u128)f[1] * g4 +
                (zn__u128)f[2] * g3 + (zn__u128)f[3] * g2 + (zn__u128)f[4] * g1;
  zn__u128 r1 = (zn__u128)f[0] * g[1] + (zn__u128)f[1] * g[0] +
                (zn__u128)f[2] * g4 + (zn__u128)f[3] * g3 + (zn__u128)f[4] * g2;
  zn__u128 r2 = (zn__u128)f[0] * g[2] + (zn__u128)f[1] * g[1] +
                (zn__u128)f[2] * g[0] + (zn__u128)f[3] * g4 +
                (zn__u128)f[4] * g3;
  zn__u128 r3 = (zn__u128)f[0] * g[3] + (zn__u128)f[1] * g[2] +
                (zn__u128)f[2] * g[1] + (zn__u128)f[3] * g[0] +
                (zn__u128)f[4] * g4;
  zn__u128 r4 = (zn__u128)f[0] * g[4] + (zn__u128)f[1] * g[3] +
                (zn__u128)f[2] * g[2] + (zn__u128)f[3] * g[1] +
                (zn__u128)f[4] * g[0];
  reduce_columns(h, r0, r1, r2, r3, r4);
}

/* f^2 with the 15 distinct products of zn__fe_mul's 25 (f_i f_j appears
 * twice for i != j). */
void zn__fe_sq(zn__fe h, const zn__fe f) {
  uint64_t d0 = 2 * f[0], d1 = 2 * f[1], d2 = 2 * f[2];
  uint64_t f3_19 = 19 * f[3], f4_19 = 19 * f[4];
  uint64_t d4_19 = 2 * f4_19;
  zn__u128 r0 =
      (zn__u128)f[0] * f[0] + (zn__u128)d1 * f4_19 + (zn__u128)d2 * f3_19;
  zn__u128 r1 =
      (zn__u128)d0 * f[1] + (zn__u128)d2 * f4_19 + (zn__u128)f[3] * f3_19;
  zn__u128 r2 =
      (zn__u128)d0 * f[2] + (zn__u128)f[1] * f[1] + (zn__u128)f[3] * d4_19;
  zn__u128 r3 =
      (zn__u128)d0 * f[3] + (zn__u128)d1 * f[2] + (zn__u128)f[4] * f4_19;
  zn__u128 r4 =
      (zn__u128)d0 * f[4] + (zn__u128)d1 * f[3] + (zn__u128)f[2] * f[2];
  reduce_columns(h, r0, r1, r2, r3, r4);
}

/* 1/z (0 for 0): z made canonical, divided into 1 by divsteps
 * (tls13_inv.c), and back to 51-bit limbs.  (Fermat's z^(p - 2) took 254
 * squarings and 11 products.) */
void zn__fe_invert(zn__fe out, const zn__fe z) {
  static const uint64_t one[4] = {1, 0, 0, 0};
  uint8_t s[32];
  zn__fe_tobytes(s, z);
  uint64_t w[4] = {load64(s), load64(s + 8), load64(s + 16), load64(s + 24)};
  zn__inv_div(w, w, one, &zn__inv_p25519);
  zn__fe_from_words(out, w);
  zn_wipe(s, sizeof(s));
  zn_wipe(w, sizeof(w));
}
