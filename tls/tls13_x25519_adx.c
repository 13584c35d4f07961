/*
 * X25519 (RFC 7748 §5) on tls13_fe25519_adx.h's field of four 64-bit
 * words (BMI2 and ADX): the Montgomery ladder and the fixed-base
 * multiplication on edwards25519 of tls13_x25519.c, step for step, with
 * the same table.  Only for CPUs that have both extensions:
 * tls13_x25519.c asks CPUID once and calls these only then.
 *
 * Constant time as tls13_x25519.c: no branch and no memory address
 * depends on a secret (the ladder's swap and the table lookup are
 * masks); tests/tls/ct_check.c runs both functions under memcheck.
 */
#include <stdint.h>
#include <string.h>

#include "tls13_fe25519_adx.h"
#include "tls13_inv.h"
#include "tls13_x25519.h"
#include "znet/wipe.h"

/* 1/z (0 for 0): z made canonical, divided into 1 by divsteps
 * (tls13_inv.c), as zn__fe_invert; the four words are the divsteps' own
 * form, so no other conversion. */
static void fe64_invert(zn__fe64 out, const zn__fe64 z) {
  static const uint64_t one[4] = {1, 0, 0, 0};
  uint8_t s[32];
  zn__fe64_tobytes(s, z);
  for (size_t i = 0; i < 4; i++)
    out[i] = zn__fe64_load64(s + 8 * i);
  zn__inv_div(out, out, one, &zn__inv_p25519);
  zn_wipe(s, sizeof(s));
}

/* One step of §5's ladder on (x2 : z2) and (x3 : z3), x1 the input, in
 * tls13_x25519.c's order (independent products side by side: 44 us a
 * ladder in the order of §5, 34 us in this one, at -O3). */
static void ladder_step(zn__fe64 x2, zn__fe64 z2, zn__fe64 x3, zn__fe64 z3,
                        const zn__fe64 x1) {
  zn__fe64 a, aa, b, bb, e, c, d, da, cb, s, t;
  zn__fe64_add(a, x2, z2);
  zn__fe64_sub(b, x2, z2);
  zn__fe64_add(c, x3, z3);
  zn__fe64_sub(d, x3, z3);
  zn__fe64_mul(da, d, a);
  zn__fe64_mul(cb, c, b);
  zn__fe64_sq(aa, a);
  zn__fe64_sq(bb, b);
  zn__fe64_sub(t, da, cb);
  zn__fe64_add(s, da, cb);
  zn__fe64_sq(t, t);
  zn__fe64_sub(e, aa, bb);
  zn__fe64_sq(x3, s);
  zn__fe64_mul_a24_add(s, e, aa);
  zn__fe64_mul(x2, aa, bb);
  zn__fe64_mul(z3, x1, t);
  zn__fe64_mul(z2, e, s);
}

void zn__x25519_adx(uint8_t out[32], const uint8_t scalar[32],
                    const uint8_t point[32]) {
  uint8_t k[32];
  zn__x25519_clamp(k, scalar);
  zn__fe64 x1, x2 = {1}, z2 = {0}, x3, z3 = {1};
  zn__fe64_frombytes(x1, point);
  memcpy(x3, x1, sizeof(x3));
  uint64_t swap = 0;
  for (int i = 254; i >= 0; i--) {
    uint64_t bit = (uint64_t)(k[i >> 3] >> (i & 7)) & 1;
    swap ^= bit;
    zn__fe64_cswap(x2, x3, 0 - swap);
    zn__fe64_cswap(z2, z3, 0 - swap);
    swap = bit;
    ladder_step(x2, z2, x3, z3, x1);
  }
  zn__fe64_cswap(x2, x3, 0 - swap);
  zn__fe64_cswap(z2, z3, 0 - swap);
  fe64_invert(z2, z2);
  zn__fe64_mul(x2, x2, z2);
  zn__fe64_tobytes(out, x2);
  zn_wipe(k, sizeof(k));
  /* The ladder's state: the shared secret and its neighbour. */
  zn_wipe(x2, sizeof(x2));
  zn_wipe(z2, sizeof(z2));
  zn_wipe(x3, sizeof(x3));
  zn_wipe(z3, sizeof(z3));
}

/* ---- the base point, on edwards25519 (as tls13_x25519.c) ---- */

/* Extended coordinates: x = X/Z, y = Y/Z, x * y = T/Z. */
struct ge64_ext {
  zn__fe64 x, y, z, t;
};

/* An affine point ready to be added: y + x, y - x, 2 * d * x * y. */
struct ge64_prep {
  zn__fe64 ypx, ymx, xy2d;
};

/* r = p + q, RFC 8032 §5.1.4's addition with q's Z = 1: complete, so p
 * may be the identity or q. */
static void ge64_madd(struct ge64_ext *r, const struct ge64_ext *p,
                      const struct ge64_prep *q) {
  zn__fe64 a, b, c, d, e, f, g, h;
  zn__fe64_sub(a, p->y, p->x);
  zn__fe64_mul(a, a, q->ymx);
  zn__fe64_add(b, p->y, p->x);
  zn__fe64_mul(b, b, q->ypx);
  zn__fe64_mul(c, p->t, q->xy2d);
  zn__fe64_add(d, p->z, p->z);
  zn__fe64_sub(e, b, a);
  zn__fe64_sub(f, d, c);
  zn__fe64_add(g, d, c);
  zn__fe64_add(h, b, a);
  zn__fe64_mul(r->x, e, f);
  zn__fe64_mul(r->y, g, h);
  zn__fe64_mul(r->t, e, h);
  zn__fe64_mul(r->z, f, g);
}

/* r = 2p, RFC 8032 §5.1.4's doubling. */
static void ge64_double(struct ge64_ext *r, const struct ge64_ext *p) {
  zn__fe64 a, b, c, e, f, g, h;
  zn__fe64_sq(a, p->x);
  zn__fe64_sq(b, p->y);
  zn__fe64_sq(c, p->z);
  zn__fe64_add(c, c, c);
  zn__fe64_add(h, a, b);
  zn__fe64_add(e, p->x, p->y);
  zn__fe64_sq(e, e);
  zn__fe64_sub(e, h, e);
  zn__fe64_sub(g, a, b);
  zn__fe64_add(f, c, g);
  zn__fe64_mul(r->x, e, f);
  zn__fe64_mul(r->y, g, h);
  zn__fe64_mul(r->t, e, h);
  zn__fe64_mul(r->z, f, g);
}

/* q = e * 256^row * B for a digit e in [-8, 8] (tls13_x25519.c's
 * select_multiple; the table's words are this file's elements as they
 * are). */
static void select_multiple(struct ge64_prep *q, int row, int8_t e) {
  static const zn__fe64 zero = {0};
  uint64_t w[12];
  uint64_t neg = zn__x25519_row_words(w, row, e);
  memcpy(q->ypx, w, sizeof(q->ypx));
  memcpy(q->ymx, w + 4, sizeof(q->ymx));
  memcpy(q->xy2d, w + 8, sizeof(q->xy2d));
  zn__fe64 minus;
  zn__fe64_sub(minus, zero, q->xy2d);
  zn__fe64_cswap(q->ypx, q->ymx, neg);
  zn__fe64_cmov(q->xy2d, minus, neg);
}

void zn__x25519_base_adx(uint8_t out[32], const uint8_t scalar[32]) {
  uint8_t k[32];
  int8_t e[64];
  zn__x25519_clamp(k, scalar);
  zn__x25519_recode(e, k);
  struct ge64_ext p = {.y = {1}, .z = {1}};
  struct ge64_prep q;
  for (int i = 1; i < 64; i += 2) {
    select_multiple(&q, i / 2, e[i]);
    ge64_madd(&p, &p, &q);
  }
  for (int i = 0; i < 4; i++)
    ge64_double(&p, &p);
  for (int i = 0; i < 64; i += 2) {
    select_multiple(&q, i / 2, e[i]);
    ge64_madd(&p, &p, &q);
  }
  /* §4.1's map, u = (1 + y) / (1 - y) (tls13_x25519.c says why Z = Y
   * cannot happen). */
  zn__fe64 num, den;
  zn__fe64_add(num, p.z, p.y);
  zn__fe64_sub(den, p.z, p.y);
  fe64_invert(den, den);
  zn__fe64_mul(num, num, den);
  zn__fe64_tobytes(out, num);
  zn_wipe(k, sizeof(k));
  zn_wipe(e, sizeof(e));
  zn_wipe(&q, sizeof(q)); /* the multiple the last digit chose */
}
