/*
 * X25519 (RFC 7748 §5) over 64-bit limbs (tls13_fe25519.h), two ways,
 * each on two paths.
 *
 * zn__x25519, any point: the Montgomery ladder of §5 with a
 * constant-time conditional swap.  BearSSL 0.6's X25519 (c25519_m31) is
 * portable 32-bit code, 160 us a scalar multiplication here; this one
 * takes 48 us (bench/znb-x25519.c, gcc 12 -O2, AMD EPYC Zen 3; 43 us at
 * -O3).
 *
 * zn__x25519_base, the base point u = 9 (a key share): the same result
 * from the birationally equivalent twisted Edwards curve edwards25519
 * (§4.1, RFC 8032 §5.1), where the base point's multiples can be
 * precomputed.  The clamped scalar is written in 64 signed radix-16
 * digits e_i in [-8, 8]; k B = 16 * sum(e_i 16^(i-1) B, i odd) +
 * sum(e_i 16^i B, i even), and as 16^(2j) B = 256^j B, both sums take
 * their terms from one table of |e| 256^j B for |e| = 1..8, j = 0..31
 * (tls13_x25519_table.h): 64 mixed additions and 4 doublings, then one
 * inversion for u = (1 + y) / (1 - y): 16.5 us, where the ladder takes
 * 255 steps of 9 multiplications and squarings.
 *
 * The paths (tls13_x25519.h): zn__x25519_c and zn__x25519_base_c here,
 * portable C; zn__x25519_adx and zn__x25519_base_adx
 * (tls13_x25519_adx.c), the same steps over four saturated 64-bit words
 * with BMI2's mulx and ADX's adcx and adox: 35 us and 15 us (13 us at
 * -O3).  The CPU is asked once (CPUID) and the path chosen per scalar
 * multiplication, not per field operation, so that each path's loops
 * call their field code directly (most of it inline), never through a
 * choice.
 *
 * Constant time as BearSSL's code is: no branch and no memory address
 * depends on the scalar or on a field element (the ladder's swap is a
 * mask; a table lookup reads all eight entries of its row and keeps one
 * by masks, and negates by mask; the inversion's exponent is public);
 * tests/tls/ct_check.c checks both under memcheck.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "tls13_crypto.h"
#include "tls13_fe25519.h"
#include "tls13_x25519.h"
#include "tls13_x25519_table.h"
#include "znet/wipe.h"

/* h = f * 121665 (§5's a24). */
static void fe_mul_a24(zn__fe h, const zn__fe f) {
  uint64_t c = 0;
  for (int i = 0; i < 5; i++) {
    zn__u128 v = (zn__u128)f[i] * 121665 + c;
    h[i] = (uint64_t)v & ZN__FE_MASK51;
    c = (uint64_t)(v >> 51);
  }
  h[0] += 19 * c;
  h[1] += h[0] >> 51;
  h[0] &= ZN__FE_MASK51;
}

void zn__x25519_c(uint8_t out[32], const uint8_t scalar[32],
                  const uint8_t point[32]) {
  uint8_t k[32];
  zn__x25519_clamp(k, scalar);
  zn__fe x1, x2 = {1}, z2 = {0}, x3, z3 = {1}, a, aa, b, bb, e, c, d, da, cb, s,
             t;
  zn__fe_frombytes(x1, point);
  memcpy(x3, x1, sizeof(x3));
  uint64_t swap = 0;
  for (int i = 254; i >= 0; i--) {
    uint64_t bit = (uint64_t)(k[i >> 3] >> (i & 7)) & 1;
    swap ^= bit;
    zn__fe_cswap(x2, x3, 0 - swap);
    zn__fe_cswap(z2, z3, 0 - swap);
    swap = bit;
    /* In an order that puts independent products side by side: a step
     * is several times the few hundred instructions an out-of-order
     * core looks ahead, and a product right after the one it waits for
     * stalls it. */
    zn__fe_add(a, x2, z2);
    zn__fe_sub(b, x2, z2);
    zn__fe_add(c, x3, z3);
    zn__fe_sub(d, x3, z3);
    zn__fe_mul(da, d, a);
    zn__fe_mul(cb, c, b);
    zn__fe_sq(aa, a);
    zn__fe_sq(bb, b);
    zn__fe_sub(t, da, cb);
    zn__fe_add(s, da, cb);
    zn__fe_sq(t, t);
    zn__fe_sub(e, aa, bb);
    zn__fe_sq(x3, s);
    fe_mul_a24(s, e);
    zn__fe_add(s, aa, s);
    zn__fe_mul(x2, aa, bb);
    zn__fe_mul(z3, x1, t);
    zn__fe_mul(z2, e, s);
  }
  zn__fe_cswap(x2, x3, 0 - swap);
  zn__fe_cswap(z2, z3, 0 - swap);
  zn__fe_invert(z2, z2);
  zn__fe_mul(x2, x2, z2);
  zn__fe_tobytes(out, x2);
  zn_wipe(k, sizeof(k));
  /* The ladder's state: the shared secret and its neighbour. */
  zn_wipe(x2, sizeof(x2));
  zn_wipe(z2, sizeof(z2));
  zn_wipe(x3, sizeof(x3));
  zn_wipe(z3, sizeof(z3));
}

/* ---- the base point, on edwards25519 ---- */

/* A point in extended coordinates (RFC 8032 §5.1.4): x = X/Z, y = Y/Z,
 * x * y = T/Z. */
struct ge_ext {
  zn__fe x, y, z, t;
};

/* An affine point ready to be added: y + x, y - x, 2 * d * x * y. */
struct ge_prep {
  zn__fe ypx, ymx, xy2d;
};

/* r = p + q, RFC 8032 §5.1.4's addition with q's Z = 1 and its products
 * precomputed: 7 multiplications.  The formulas are complete on
 * edwards25519 (a = -1 is a square, d is not), so p may be the identity
 * or equal q, as a secret scalar's digits make it. */
static void ge_madd(struct ge_ext *r, const struct ge_ext *p,
                    const struct ge_prep *q) {
  zn__fe a, b, c, d, e, f, g, h;
  zn__fe_sub(a, p->y, p->x);
  zn__fe_mul(a, a, q->ymx);
  zn__fe_add(b, p->y, p->x);
  zn__fe_mul(b, b, q->ypx);
  zn__fe_mul(c, p->t, q->xy2d);
  zn__fe_add(d, p->z, p->z);
  zn__fe_sub(e, b, a);
  zn__fe_sub(f, d, c);
  zn__fe_add(g, d, c);
  zn__fe_add(h, b, a);
  zn__fe_mul(r->x, e, f);
  zn__fe_mul(r->y, g, h);
  zn__fe_mul(r->t, e, h);
  zn__fe_mul(r->z, f, g);
}

/* r = 2p, RFC 8032 §5.1.4's doubling. */
static void ge_double(struct ge_ext *r, const struct ge_ext *p) {
  zn__fe a, b, c, e, f, g, h;
  zn__fe_sq(a, p->x);
  zn__fe_sq(b, p->y);
  zn__fe_sq(c, p->z);
  zn__fe_add(c, c, c);
  zn__fe_add(h, a, b);
  zn__fe_add(e, p->x, p->y);
  zn__fe_sq(e, e);
  zn__fe_sub(e, h, e);
  zn__fe_sub(g, a, b);
  zn__fe_add(f, c, g);
  zn__fe_mul(r->x, e, f);
  zn__fe_mul(r->y, g, h);
  zn__fe_mul(r->t, e, h);
  zn__fe_mul(r->z, f, g);
}

/* All ones if a == b, else 0, without a comparison (but a compiler may
 * still recognise one: the callers pass the mask through zn__fe_opaque). */
static uint64_t equal_mask(uint64_t a, uint64_t b) {
  uint64_t x = a ^ b;
  return ((x | (0 - x)) >> 63) - 1;
}

uint64_t zn__x25519_row_words(uint64_t w[12], int row, int8_t e) {
  uint64_t neg = (uint64_t)(uint8_t)e >> 7;
  uint64_t mag = (((uint64_t)(uint8_t)e ^ (0 - neg)) + neg) & 0xff;
  uint64_t k[8];
  for (int j = 0; j < 8; j++)
    k[j] = zn__fe_opaque(equal_mask(mag, (uint64_t)j + 1));
  const uint64_t(*r)[12] = zn__x25519_base_table[row];
  /* The eight terms written out: as a loop over j, gcc 12 at -O2 kept
   * it (-O3 unrolls and vectorises it), a key share 1 us slower. */
  for (int i = 0; i < 12; i++)
    w[i] = (k[0] & r[0][i]) | (k[1] & r[1][i]) | (k[2] & r[2][i]) |
           (k[3] & r[3][i]) | (k[4] & r[4][i]) | (k[5] & r[5][i]) |
           (k[6] & r[6][i]) | (k[7] & r[7][i]);
  uint64_t none = zn__fe_opaque(equal_mask(mag, 0)) & 1;
  w[0] |= none;
  w[4] |= none;
  return 0 - neg;
}

/* q = e * 256^row * B for a digit e in [-8, 8]: |e| 256^row B from the
 * table, then negated by mask, -(x, y) being (-x, y): y + x and y - x
 * trade places and x * y changes sign. */
static void select_multiple(struct ge_prep *q, int row, int8_t e) {
  uint64_t w[12];
  uint64_t neg = zn__x25519_row_words(w, row, e);
  zn__fe_from_words(q->ypx, w);
  zn__fe_from_words(q->ymx, w + 4);
  zn__fe_from_words(q->xy2d, w + 8);
  zn__fe minus;
  zn__fe_neg(minus, q->xy2d);
  zn__fe_cswap(q->ypx, q->ymx, neg);
  zn__fe_cmov(q->xy2d, minus, neg);
}

void zn__x25519_base_c(uint8_t out[32], const uint8_t scalar[32]) {
  uint8_t k[32];
  int8_t e[64];
  zn__x25519_clamp(k, scalar);
  zn__x25519_recode(e, k);
  struct ge_ext p = {.y = {1}, .z = {1}};
  struct ge_prep q;
  for (int i = 1; i < 64; i += 2) {
    select_multiple(&q, i / 2, e[i]);
    ge_madd(&p, &p, &q);
  }
  for (int i = 0; i < 4; i++)
    ge_double(&p, &p);
  for (int i = 0; i < 64; i += 2) {
    select_multiple(&q, i / 2, e[i]);
    ge_madd(&p, &p, &q);
  }
  /* §4.1's map, u = (1 + y) / (1 - y).  Z = Y only at the identity, which
   * no clamped scalar reaches (it is not a multiple of B's order); the
   * inversion would give 0 there, as the ladder does. */
  zn__fe num, den;
  zn__fe_add(num, p.z, p.y);
  zn__fe_sub(den, p.z, p.y);
  zn__fe_invert(den, den);
  zn__fe_mul(num, num, den);
  zn__fe_tobytes(out, num);
  zn_wipe(k, sizeof(k));
  zn_wipe(e, sizeof(e));
  zn_wipe(&q, sizeof(q)); /* the multiple the last digit chose */
}

/* ---- the choice of path ---- */

bool zn__x25519_has_adx(void) {
  return zn__tls_cpu_has(ZN__TLS_CPU_BMI2 | ZN__TLS_CPU_ADX);
}

void zn__x25519(uint8_t out[32], const uint8_t scalar[32],
                const uint8_t point[32]) {
  if (zn__x25519_has_adx())
    zn__x25519_adx(out, scalar, point);
  else
    zn__x25519_c(out, scalar, point);
}

void zn__x25519_base(uint8_t out[32], const uint8_t scalar[32]) {
  if (zn__x25519_has_adx())
    zn__x25519_base_adx(out, scalar);
  else
    zn__x25519_base_c(out, scalar);
}
