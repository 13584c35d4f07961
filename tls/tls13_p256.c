/*
 * NIST P-256 (secp256r1: FIPS 186-4 §D.1.2.3, SEC 2 §2.4.2) over 64-bit
 * limbs, and zn__tls_ec, the br_ec_impl that libznet-tls hands BearSSL
 * for every elliptic curve: P-256 here, the others BearSSL's.  BearSSL
 * 0.6's P-256 (p256_m31) is 32-bit code: 376 us for a multiplication of
 * the generator on this machine, and an ECDSA signature spends most of
 * its time there.
 *
 * Field.  Integers mod p in Montgomery form (tls13_u256.h, its products
 * specialised to p), always reduced below p, so equality is equality of
 * limbs.
 *
 * Points.  Homogeneous projective coordinates (X : Y : Z), x = X/Z and
 * y = Y/Z, the point at infinity (0 : 1 : 0), with the complete formulas
 * of Renes, Costello and Batina, "Complete addition formulas for prime
 * order elliptic curves" (EUROCRYPT 2016), Algorithms 4 and 5 (a = -3):
 * one formula for every pair of points, equal, opposite or at infinity,
 * so no step branches on which case it meets.  Algorithm 5 (mixed, the
 * second point affine) is complete but for an affine point at infinity,
 * which the tables never hold.  Inside mulgen and mul, where the sizes of
 * the partial sums rule out the exceptional cases of every addition but
 * the last, Jacobian coordinates (x = X/Z^2, y = Y/Z^3) and the cheaper
 * incomplete formulas of Bernstein and Lange's Explicit-Formulas
 * Database; the last addition is complete.
 *
 * Scalars.  Reduced mod n, then made odd (k, or n - k and the result
 * negated: n is odd), then written as 64 odd signed digits of 4 bits,
 * -15..15 (the regular recoding of Joye and Tunstall, "Exponent recoding
 * and regular exponentiation algorithms", AFRICACRYPT 2009): no digit is
 * zero, so every step adds a point from a table and none is skipped.
 *
 * mulgen: p256_comb (tls13_p256_table.h, written by tls13_p256_table.py)
 * holds (2j + 1) 16^i G for every window i, so k G is 64 mixed additions
 * and no doubling (mulgen_point says why the first 63 may be
 * incomplete).  mul: a table of P, 3P, ..., 15P, then four doublings and
 * one addition per digit (mul_point says why all but the last may be
 * incomplete).  muladd: both, then one complete addition;
 * its inputs are public, the constant-time code serves it.
 *
 * Constant time.  No branch and no memory address depends on a scalar or
 * on a coordinate: a table read reads every entry and keeps one by mask,
 * a digit's sign negates by mask, the inversion takes a fixed number of
 * divsteps (tls13_inv.c).
 * The only branches are on lengths, on the curve's identifier and on
 * whether a (public) point decodes; tests/tls/ct_check.c holds the code
 * to that under memcheck.
 */
#include <stdatomic.h>
#include <string.h>

#include "tls13_crypto.h"
#include "tls13_inv.h"
#include "tls13_u256.h"
#include "tls13_u256_adx.h"
#include "znet/wipe.h"

typedef uint64_t fe[4];

/* p = 2^256 - 2^224 + 2^192 + 2^96 - 1; -1/p mod 2^64 is 1 because p is
 * -1 mod 2^64. */
static const struct u256_mod p256_p = {
    {0xffffffffffffffff, 0x00000000ffffffff, 0, 0xffffffff00000001},
    1,
    {0x0000000000000003, 0xfffffffbffffffff, 0xfffffffffffffffe,
     0x00000004fffffffd}};

/* The group order n (SEC 2 §2.4.2), plain. */
static const uint64_t p256_n[4] = {0xf3b9cac2fc632551, 0xbce6faada7179e84,
                                   0xffffffffffffffff, 0xffffffff00000000};

/* b and 1 in Montgomery form (b 2^256 mod p, 2^256 mod p). */
static const fe fe_b = {0xd89cdf6229c4bddf, 0xacf005cd78843090,
                        0xe5a220abf7212ed6, 0xdc30061d04874834};
static const fe fe_one = {0x0000000000000001, 0xffffffff00000000,
                          0xffffffffffffffff, 0x00000000fffffffe};

/* The encodings br_ec_impl hands out: G uncompressed (SEC 1 §2.3.3) and
 * n big-endian. */
static const uint8_t p256_g_enc[65] = {
    0x04, 0x6b, 0x17, 0xd1, 0xf2, 0xe1, 0x2c, 0x42, 0x47, 0xf8, 0xbc,
    0xe6, 0xe5, 0x63, 0xa4, 0x40, 0xf2, 0x77, 0x03, 0x7d, 0x81, 0x2d,
    0xeb, 0x33, 0xa0, 0xf4, 0xa1, 0x39, 0x45, 0xd8, 0x98, 0xc2, 0x96,
    0x4f, 0xe3, 0x42, 0xe2, 0xfe, 0x1a, 0x7f, 0x9b, 0x8e, 0xe7, 0xeb,
    0x4a, 0x7c, 0x0f, 0x9e, 0x16, 0x2b, 0xce, 0x33, 0x57, 0x6b, 0x31,
    0x5e, 0xce, 0xcb, 0xb6, 0x40, 0x68, 0x37, 0xbf, 0x51, 0xf5};
static const uint8_t p256_n_enc[32] = {
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17,
    0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51};

#include "tls13_p256_table.h"

/* ---- the field ---- */

/* The field's products, specialised to p: tls13_u256_adx.h's where the
 * CPU has BMI2 and ADX (14 against 25 ns a product, 12 against 27 a
 * square, on the machine of the bench), tls13_u256.h's elsewhere.  The
 * choice is made once, at the first product after zn__p256_set_impl
 * (tests run both paths); a relaxed load per product, and a branch that
 * goes the same way every time. */
static _Atomic int p256_impl; /* enum zn__p256_impl */

void zn__p256_set_impl(enum zn__p256_impl impl) {
  atomic_store_explicit(&p256_impl, (int)impl, memory_order_relaxed);
}

static int impl_resolved(void) {
  int impl = atomic_load_explicit(&p256_impl, memory_order_relaxed);
  if (impl == ZN__P256_AUTO) {
    impl = zn__tls_cpu_has(ZN__TLS_CPU_BMI2 | ZN__TLS_CPU_ADX) ? ZN__P256_ADX
                                                               : ZN__P256_C;
    atomic_store_explicit(&p256_impl, impl, memory_order_relaxed);
  }
  return impl;
}

enum zn__p256_impl zn__p256_impl_used(void) {
  return (enum zn__p256_impl)impl_resolved();
}

static bool fe_adx(void) { return impl_resolved() == ZN__P256_ADX; }

static void fe_mul(fe r, const fe a, const fe b) {
  if (fe_adx())
    mont_mul_p256_adx(r, a, b);
  else
    mont_mul_p256(r, a, b);
}

static void fe_sqr(fe r, const fe a) {
  if (fe_adx())
    mont_sqr_p256_adx(r, a);
  else
    mont_sqr_p256(r, a);
}

static void fe_add(fe r, const fe a, const fe b) { mod_add(r, a, b, &p256_p); }

static void fe_sub(fe r, const fe a, const fe b) { mod_sub(r, a, b, &p256_p); }

/* r = 1/a (0 for 0), a and r in Montgomery form: a holds A R, and the
 * divsteps divide R^2 by it, R^2 / (A R) = R / A, the Montgomery form of
 * 1/A, with nothing to convert before or after (tls13_inv.c; it
 * replaced Fermat's a^(p - 2), 255 squarings and 13 products). */
static void fe_invert(fe r, const fe a) {
  zn__inv_div(r, a, p256_p.rr, &zn__inv_p256_p);
}

/* a = -a where mask is all ones (a unchanged where it is zero). */
static void fe_cneg(fe a, uint64_t mask) {
  fe n;
  fe_sub(n, u256_zero, a);
  u256_cmov(a, n, mask);
}

/* ---- points (Renes, Costello and Batina 2016, a = -3) ---- */

struct p256_point {
  fe x, y, z; /* (X : Y : Z), Montgomery form; infinity (0 : 1 : 0) */
};

struct p256_affine {
  fe x, y; /* Montgomery form; never the point at infinity */
};

/* Algorithm 4: r = p + q, for any two points. */
static void point_add(struct p256_point *r, const struct p256_point *p,
                      const struct p256_point *q) {
  fe t0, t1, t2, t3, t4, x3, y3, z3;
  fe_mul(t0, p->x, q->x);
  fe_mul(t1, p->y, q->y);
  fe_mul(t2, p->z, q->z);
  fe_add(t3, p->x, p->y);
  fe_add(t4, q->x, q->y);
  fe_mul(t3, t3, t4);
  fe_add(t4, t0, t1);
  fe_sub(t3, t3, t4);
  fe_add(t4, p->y, p->z);
  fe_add(x3, q->y, q->z);
  fe_mul(t4, t4, x3);
  fe_add(x3, t1, t2);
  fe_sub(t4, t4, x3);
  fe_add(x3, p->x, p->z);
  fe_add(y3, q->x, q->z);
  fe_mul(x3, x3, y3);
  fe_add(y3, t0, t2);
  fe_sub(y3, x3, y3);
  fe_mul(z3, fe_b, t2);
  fe_sub(x3, y3, z3);
  fe_add(z3, x3, x3);
  fe_add(x3, x3, z3);
  fe_sub(z3, t1, x3);
  fe_add(x3, t1, x3);
  fe_mul(y3, fe_b, y3);
  fe_add(t1, t2, t2);
  fe_add(t2, t1, t2);
  fe_sub(y3, y3, t2);
  fe_sub(y3, y3, t0);
  fe_add(t1, y3, y3);
  fe_add(y3, t1, y3);
  fe_add(t1, t0, t0);
  fe_add(t0, t1, t0);
  fe_sub(t0, t0, t2);
  fe_mul(t1, t4, y3);
  fe_mul(t2, t0, y3);
  fe_mul(y3, x3, z3);
  fe_add(r->y, y3, t2);
  fe_mul(x3, t3, x3);
  fe_sub(r->x, x3, t1);
  fe_mul(z3, t4, z3);
  fe_mul(t1, t3, t0);
  fe_add(r->z, z3, t1);
}

/* Algorithm 5: r = p + q, q affine (Z = 1) and not at infinity. */
static void point_add_affine(struct p256_point *r, const struct p256_point *p,
                             const struct p256_affine *q) {
  fe t0, t1, t2, t3, t4, x3, y3, z3;
  fe_mul(t0, p->x, q->x);
  fe_mul(t1, p->y, q->y);
  fe_add(t3, q->x, q->y);
  fe_add(t4, p->x, p->y);
  fe_mul(t3, t3, t4);
  fe_add(t4, t0, t1);
  fe_sub(t3, t3, t4);
  fe_mul(t4, q->y, p->z);
  fe_add(t4, t4, p->y);
  fe_mul(y3, q->x, p->z);
  fe_add(y3, y3, p->x);
  fe_mul(z3, fe_b, p->z);
  fe_sub(x3, y3, z3);
  fe_add(z3, x3, x3);
  fe_add(x3, x3, z3);
  fe_sub(z3, t1, x3);
  fe_add(x3, t1, x3);
  fe_mul(y3, fe_b, y3);
  fe_add(t1, p->z, p->z);
  fe_add(t2, t1, p->z);
  fe_sub(y3, y3, t2);
  fe_sub(y3, y3, t0);
  fe_add(t1, y3, y3);
  fe_add(y3, t1, y3);
  fe_add(t1, t0, t0);
  fe_add(t0, t1, t0);
  fe_sub(t0, t0, t2);
  fe_mul(t1, t4, y3);
  fe_mul(t2, t0, y3);
  fe_mul(y3, x3, z3);
  fe_add(r->y, y3, t2);
  fe_mul(x3, t3, x3);
  fe_sub(r->x, x3, t1);
  fe_mul(z3, t4, z3);
  fe_mul(t1, t3, t0);
  fe_add(r->z, z3, t1);
}

/* Jacobian coordinates to homogeneous ones, in place: (X Z : Y : Z^3). */
static void jac_to_projective(struct p256_point *p) {
  fe t;
  fe_sqr(t, p->z);
  fe_mul(p->x, p->x, p->z);
  fe_mul(p->z, t, p->z);
}

/* r = p + q, p in Jacobian coordinates, q affine: "madd-2004-hmv" of
 * Bernstein and Lange's Explicit-Formulas Database, 8 multiplications,
 * 3 squarings and 7 additions against Algorithm 5's 13 multiplications
 * and 22 additions.  Not complete: wrong where p = q or p = -q (H = 0)
 * and where p is at infinity, none of which mulgen_point meets (see
 * there).  r may be p. */
static void jac_add_affine(struct p256_point *r, const struct p256_point *p,
                           const struct p256_affine *q) {
  fe t1, t2, t3, t4, x3;
  fe_sqr(t1, p->z);
  fe_mul(t2, t1, p->z);
  fe_mul(t1, t1, q->x);
  fe_mul(t2, t2, q->y);
  fe_sub(t1, t1, p->x); /* H = x2 Z1^2 - X1 */
  fe_sub(t2, t2, p->y); /* R = y2 Z1^3 - Y1 */
  fe_mul(r->z, p->z, t1);
  fe_sqr(t4, t1);
  fe_mul(t3, t4, t1);   /* H^3 */
  fe_mul(t4, t4, p->x); /* X1 H^2 */
  fe_add(t1, t4, t4);
  fe_sqr(x3, t2); /* X3 = R^2 - H^3 - 2 X1 H^2 */
  fe_sub(x3, x3, t1);
  fe_sub(x3, x3, t3);
  fe_sub(t4, t4, x3); /* Y3 = R (X1 H^2 - X3) - Y1 H^3 */
  fe_mul(t4, t4, t2);
  fe_mul(t3, t3, p->y);
  fe_sub(r->y, t4, t3);
  memcpy(r->x, x3, sizeof(fe));
}

/* p = 2p in Jacobian coordinates ("dbl-2001-b" of the Explicit-Formulas
 * Database, a = -3): 3 multiplications and 5 squarings against
 * Algorithm 6's 13.  Wrong only where 2Y Z = 0: at infinity (mul_point
 * never doubles it: see there) and at a point of order 2 (P-256 has
 * none). */
static void jac_double(struct p256_point *p) {
  fe delta, gamma, beta, alpha, t;
  fe_sqr(delta, p->z);
  fe_sqr(gamma, p->y);
  fe_mul(beta, p->x, gamma);
  fe_sub(t, p->x, delta); /* alpha = 3 (x - delta) (x + delta) */
  fe_add(alpha, p->x, delta);
  fe_mul(alpha, t, alpha);
  fe_add(t, alpha, alpha);
  fe_add(alpha, t, alpha);
  fe_add(p->z, p->y, p->z); /* z3 = (y + z)^2 - gamma - delta */
  fe_sqr(p->z, p->z);
  fe_sub(p->z, p->z, gamma);
  fe_sub(p->z, p->z, delta);
  fe_add(beta, beta, beta); /* 4 beta */
  fe_add(beta, beta, beta);
  fe_sqr(p->x, alpha); /* x3 = alpha^2 - 8 beta */
  fe_sub(p->x, p->x, beta);
  fe_sub(p->x, p->x, beta);
  fe_sub(t, beta, p->x); /* y3 = alpha (4 beta - x3) - 8 gamma^2 */
  fe_mul(p->y, alpha, t);
  fe_sqr(gamma, gamma);
  fe_add(gamma, gamma, gamma);
  fe_add(gamma, gamma, gamma);
  fe_add(gamma, gamma, gamma);
  fe_sub(p->y, p->y, gamma);
}

/* r = p + q, both in Jacobian coordinates: "add-1998-cmo-2" of the
 * Explicit-Formulas Database, 12 multiplications, 4 squarings and 7
 * additions against Algorithm 4's 14 multiplications and 22 additions.
 * Not complete, as jac_add_affine: wrong where p = +-q or either is at
 * infinity, which mul_point never meets (see there).  r may be p or q. */
static void jac_add(struct p256_point *r, const struct p256_point *p,
                    const struct p256_point *q) {
  fe z1z1, z2z2, u1, u2, s1, s2, h, hh, hhh, rr, v, x3;
  fe_sqr(z1z1, p->z);
  fe_sqr(z2z2, q->z);
  fe_mul(u1, p->x, z2z2);
  fe_mul(u2, q->x, z1z1);
  fe_mul(s1, q->z, z2z2);
  fe_mul(s1, s1, p->y); /* Y1 Z2^3 */
  fe_mul(s2, p->z, z1z1);
  fe_mul(s2, s2, q->y); /* Y2 Z1^3 */
  fe_sub(h, u2, u1);
  fe_sqr(hh, h);
  fe_mul(hhh, h, hh);
  fe_sub(rr, s2, s1);
  fe_mul(v, u1, hh);
  fe_sqr(x3, rr); /* X3 = r^2 - H^3 - 2 V */
  fe_sub(x3, x3, hhh);
  fe_sub(x3, x3, v);
  fe_sub(x3, x3, v);
  fe_mul(r->z, p->z, q->z); /* Z3 = Z1 Z2 H */
  fe_mul(r->z, r->z, h);
  fe_sub(v, v, x3); /* Y3 = r (V - X3) - S1 H^3 */
  fe_mul(v, v, rr);
  fe_mul(s1, s1, hhh);
  fe_sub(r->y, v, s1);
  memcpy(r->x, x3, sizeof(fe));
}

/* All ones if p is the point at infinity (Z = 0). */
static uint64_t point_is_infinity(const struct p256_point *p) {
  return u256_zero_mask(p->z);
}

/* SEC 1 §2.3.3 (Elliptic-Curve-Point-to-Octet-String), uncompressed:
 * 0x04, x, y.  The point at infinity comes out as 0x04 and 64 zero
 * bytes, which no decoder takes for a point ((0, 0) is not on the
 * curve). */
static void point_encode(uint8_t out[65], const struct p256_point *p) {
  fe zi, x, y;
  fe_invert(zi, p->z); /* 0 for infinity */
  fe_mul(x, p->x, zi);
  fe_mul(y, p->y, zi);
  mont_out(x, x, &p256_p);
  mont_out(y, y, &p256_p);
  out[0] = 0x04;
  u256_to_be(out + 1, x);
  u256_to_be(out + 33, y);
}

/* SEC 1 §2.3.4 (Octet-String-to-Elliptic-Curve-Point), uncompressed
 * only (RFC 5480 §2.2 and RFC 8446 §4.2.8.2 allow nothing else), with
 * §3.2.2.1's checks: both coordinates below p and y^2 = x^3 - 3x + b (no
 * cofactor to check).  False for anything else, the point at infinity
 * included: it has no such encoding. */
static bool point_decode(struct p256_point *r, const uint8_t *in, size_t len) {
  if (len != 65)
    return false;
  uint64_t x[4], y[4];
  u256_from_be(x, in + 1);
  u256_from_be(y, in + 33);
  uint64_t ok = u256_less_mask(x, p256_p.m) & u256_less_mask(y, p256_p.m);
  ok &= u256_mask((uint64_t)(in[0] == 0x04));
  mont_in(r->x, x, &p256_p);
  mont_in(r->y, y, &p256_p);
  memcpy(r->z, fe_one, sizeof(fe));
  fe lhs, rhs, t;
  fe_sqr(lhs, r->y);
  fe_sqr(rhs, r->x);
  fe_mul(rhs, rhs, r->x);
  fe_add(t, r->x, r->x);
  fe_add(t, t, r->x);
  fe_sub(rhs, rhs, t);
  fe_add(rhs, rhs, fe_b);
  fe_sub(t, lhs, rhs);
  ok &= u256_zero_mask(t);
  return ok != 0;
}

bool zn__p256_point_check(const uint8_t *q, size_t len) {
  struct p256_point p;
  return point_decode(&p, q, len);
}

/* ---- scalars ---- */

/* The scalar x (xlen bytes, big-endian) into k: its low 32 bytes.
 * Returns all ones if the bytes above them are zero (the value fits),
 * else zero. */
static uint64_t scalar_load(uint64_t k[4], const uint8_t *x, size_t xlen) {
  uint8_t b[32] = {0};
  size_t n = xlen < 32 ? xlen : 32;
  memcpy(b + 32 - n, x + xlen - n, n);
  u256_from_be(k, b);
  uint64_t high = 0;
  for (size_t i = 0; i + 32 < xlen; i++)
    high |= x[i];
  zn_wipe(b, sizeof(b));
  return u64_zero_mask(high);
}

/* k mod n, then odd: k, or n - k when k is even, which multiplies to the
 * opposite point (n k' = 0).  Returns all ones when the result must be
 * negated.  k = 0 (or n) becomes n, whose product is the point at
 * infinity. */
static uint64_t scalar_make_odd(uint64_t k[4]) {
  uint64_t d[4];
  uint64_t borrow = u256_sub(d, k, p256_n);
  u256_cmov(k, d, u256_mask(borrow ^ 1)); /* k < 2^256 < 2n */
  uint64_t even = u256_mask((k[0] & 1) ^ 1);
  u256_sub(d, p256_n, k);
  u256_cmov(k, d, even);
  zn_wipe(d, sizeof(d)); /* n - k */
  return even;
}

/* All ones if k = 0 mod n (k is 0 or n: k < 2^256 < 2n), else zero. */
static uint64_t scalar_zero_mod_n(const uint64_t k[4]) {
  uint64_t d[4];
  u256_sub(d, k, p256_n);
  uint64_t zero = u256_zero_mask(k) | u256_zero_mask(d);
  zn_wipe(d, sizeof(d)); /* k - n */
  return zero;
}

/* The 64 digits of an odd k, each odd, -15 to 15: digit i (0 to 62) is
 * (w | 1) - 16 for w the five bits of k from bit 4i, digit 63 is
 * (k >> 252) | 1 (1 to 15).  They sum to k, sum d_i 16^i, because
 * (k >> 4i) | 1 = d_i + 16 ((k >> 4(i + 1)) | 1) for every i, and k | 1
 * is k.  Kept as the index of |d| in a table of odd multiples,
 * (|d| - 1) / 2, and a mask: all ones for a negative digit. */
struct p256_digits {
  uint8_t idx[64];
  uint64_t neg[64];
};

static void scalar_recode(struct p256_digits *d, const uint64_t k[4]) {
  uint8_t le[33];
  for (int i = 0; i < 32; i++)
    le[i] = (uint8_t)(k[i / 8] >> (8 * (i % 8)));
  le[32] = 0;
  for (int i = 0; i < 64; i++) {
    unsigned w = (unsigned)(le[i / 2] | le[i / 2 + 1] << 8) >> (4 * (i % 2));
    w = (w & 31) | 1;
    if (i == 63)
      w |= 16; /* the last digit is w itself: positive */
    unsigned pos = (w >> 4) & 1, low = w & 15;
    /* |d| is low for a positive digit, 16 - low (= low ^ 15) else. */
    d->idx[i] = (uint8_t)((low ^ ((pos - 1) & 15)) >> 1);
    d->neg[i] = u256_mask(pos ^ 1);
  }
  zn_wipe(le, sizeof(le));
}

/* All ones if a == b (both below 2^63), else zero. */
static uint64_t eq_mask(uint64_t a, uint64_t b) {
  return u256_mask(((a ^ b) - 1) >> 63);
}

/* ---- multiplication ---- */

/* r = the comb entry of window w with index idx, its y negated where neg
 * is all ones: every entry read. */
static void comb_select(struct p256_affine *r, int w, uint64_t idx,
                        uint64_t neg) {
  memset(r, 0, sizeof(*r));
  for (unsigned j = 0; j < 8; j++) {
    uint64_t m = eq_mask(j, idx);
    const uint64_t *e = p256_comb[w][j];
    for (int i = 0; i < 4; i++) {
      r->x[i] |= m & e[i];
      r->y[i] |= m & e[4 + i];
    }
  }
  fe_cneg(r->y, neg);
}

/* r = k G for any k below 2^256: k's digits d_i (scalar_recode) are
 * added up, d_i 16^i G from window i of the comb.  All but the last
 * addition are Jacobian and incomplete (jac_add_affine), which is safe
 * because of the digits' sizes: before window i (1 <= i <= 62) is added,
 * r is S G for S = sum of d_j 16^j over j < i, so |S| <= 16^i - 1 and
 * S != 0 (|d_(i-1)| 16^(i-1) exceeds the rest); r = +-d_i 16^i G would
 * need S -+ d_i 16^i = 0 mod n, but that number is not zero (|d_i| 16^i
 * exceeds |S|) and its size is below 16^(i+1) <= 2^252 < n.  The last addition,
 * of window 63, can meet those cases (k = 0 mod n sums to infinity; some k
 * double): it is Algorithm 5, complete. */
static void mulgen_point(struct p256_point *r, const uint64_t k[4]) {
  uint64_t kk[4];
  memcpy(kk, k, sizeof(kk));
  uint64_t negate = scalar_make_odd(kk);
  struct p256_digits d;
  scalar_recode(&d, kk);
  struct p256_affine a;
  comb_select(&a, 0, d.idx[0], d.neg[0]);
  memcpy(r->x, a.x, sizeof(fe));
  memcpy(r->y, a.y, sizeof(fe));
  memcpy(r->z, fe_one, sizeof(fe));
  for (int i = 1; i < 63; i++) {
    comb_select(&a, i, d.idx[i], d.neg[i]);
    jac_add_affine(r, r, &a);
  }
  jac_to_projective(r);
  comb_select(&a, 63, d.idx[63], d.neg[63]);
  point_add_affine(r, r, &a);
  fe_cneg(r->y, negate);
  zn_wipe(kk, sizeof(kk));
  zn_wipe(&d, sizeof(d));
  zn_wipe(&a, sizeof(a)); /* the entry the last digit chose */
}

/* r = t[idx] (8 entries), its y negated where neg is all ones: every
 * entry read. */
static void table_select(struct p256_point *r, const struct p256_point t[8],
                         uint64_t idx, uint64_t neg) {
  memset(r, 0, sizeof(*r));
  for (unsigned j = 0; j < 8; j++) {
    uint64_t m = eq_mask(j, idx);
    for (int i = 0; i < 4; i++) {
      r->x[i] |= m & t[j].x[i];
      r->y[i] |= m & t[j].y[i];
      r->z[i] |= m & t[j].z[i];
    }
  }
  fe_cneg(r->y, neg);
}

/* t[j] = (2j + 1) p, Jacobian, for p affine (Z = 1, as point_decode
 * leaves it) and not at infinity.  Each addition (2j - 1) p + 2p is
 * between points neither equal, opposite nor at infinity (the
 * multiples are below 16 and n is prime). */
static void mul_table(struct p256_point t[8], const struct p256_point *p) {
  struct p256_point twice = *p;
  jac_double(&twice);
  t[0] = *p;
  for (int j = 1; j < 8; j++)
    jac_add(&t[j], &t[j - 1], &twice);
}

/* r = k p for any k below 2^256 and any point p but infinity, p affine
 * (Z = 1): fixed windows of four bits over the odd multiples p, 3p, ...,
 * 15p, in Jacobian coordinates but for the last addition.  Before digit
 * i is added, r is v p for v the digits above it read as a number, which
 * is (k' >> 4(i + 1)) | 1 for the odd k' (scalar_recode): 1 <= v < 2^252
 * < n, so r is never at infinity where jac_double doubles it (nor on the
 * way: 8v < n).  The addition of digit i is 16v p + d_i p, and for i >= 1
 * 16v +- d_i is neither zero nor n or above (16v < 2^252 and |d_i| <=
 * 15 < 16v): jac_add meets no exceptional case.  The last addition can
 * (k = 0 mod n sums to infinity, 16v - d_0 = n doubles): it is
 * Algorithm 4, complete. */
static void mul_point(struct p256_point *r, const struct p256_point *p,
                      const uint64_t k[4]) {
  struct p256_point t[8], a;
  mul_table(t, p);
  uint64_t kk[4];
  memcpy(kk, k, sizeof(kk));
  uint64_t negate = scalar_make_odd(kk);
  struct p256_digits d;
  scalar_recode(&d, kk);
  table_select(r, t, d.idx[63], d.neg[63]);
  for (int i = 62; i >= 0; i--) {
    for (int j = 0; j < 4; j++)
      jac_double(r);
    table_select(&a, t, d.idx[i], d.neg[i]);
    if (i > 0)
      jac_add(r, r, &a);
  }
  jac_to_projective(r); /* the last digit's addition, complete */
  jac_to_projective(&a);
  point_add(r, r, &a);
  fe_cneg(r->y, negate);
  zn_wipe(kk, sizeof(kk));
  zn_wipe(&d, sizeof(d));
  zn_wipe(&a, sizeof(a));
}

/* ---- br_ec_impl for P-256 ---- */

/* mul: G = x G, G the 65-byte encoding of a point.  0 if G is not a
 * point of the curve (left as it was), if x does not fit in 256 bits or
 * if x G is the point at infinity (x = 0 mod n; G then holds the
 * encoding of point_encode). */
static uint32_t p256_mul(uint8_t *g, size_t glen, const uint8_t *x,
                         size_t xlen) {
  struct p256_point p, r;
  if (!point_decode(&p, g, glen))
    return 0;
  uint64_t k[4];
  uint64_t ok = scalar_load(k, x, xlen);
  u256_cmov(k, u256_zero, ~ok);
  mul_point(&r, &p, k);
  ok &= ~point_is_infinity(&r);
  point_encode(g, &r);
  zn_wipe(k, sizeof(k));
  zn_wipe(&r, sizeof(r)); /* k p: an ECDH shared secret */
  return (uint32_t)(ok & 1);
}

/* mulgen: R = x G, always 65 bytes.  x = 0 mod n, or an x that does not
 * fit in 256 bits, gives the encoding of the point at infinity
 * (point_encode); the contract asks for 0 < x < n. */
static size_t p256_mulgen(uint8_t *r, const uint8_t *x, size_t xlen) {
  struct p256_point q;
  uint64_t k[4];
  uint64_t ok = scalar_load(k, x, xlen);
  u256_cmov(k, u256_zero, ~ok);
  mulgen_point(&q, k);
  point_encode(r, &q);
  zn_wipe(k, sizeof(k));
  zn_wipe(&q, sizeof(q)); /* projective: its Z is not the public point's */
  return 65;
}

/* muladd: A = x A + y B (B NULL: the generator), every case computed
 * (the sum is a complete addition).  0 if A or B is not a point, if x
 * or y is zero mod n or does not fit in 256 bits (the contract's
 * error), or if the sum is the point at infinity. */
static uint32_t p256_muladd(uint8_t *a, const uint8_t *b, size_t len,
                            const uint8_t *x, size_t xlen, const uint8_t *y,
                            size_t ylen) {
  struct p256_point pa, pb, ra, rb;
  uint64_t kx[4], ky[4];
  if (!point_decode(&pa, a, len) || (b != NULL && !point_decode(&pb, b, len)))
    return 0;
  uint64_t ok = scalar_load(kx, x, xlen) & scalar_load(ky, y, ylen);
  ok &= ~scalar_zero_mod_n(kx) & ~scalar_zero_mod_n(ky);
  mul_point(&ra, &pa, kx);
  if (b == NULL)
    mulgen_point(&rb, ky);
  else
    mul_point(&rb, &pb, ky);
  point_add(&ra, &ra, &rb);
  ok &= ~point_is_infinity(&ra);
  point_encode(a, &ra);
  return (uint32_t)(ok & 1);
}

/* ---- zn__tls_ec: P-256 here, every other curve BearSSL's ---- */

static const uint8_t *ec_generator(int curve, size_t *len) {
  if (curve != BR_EC_secp256r1)
    return br_ec_get_default()->generator(curve, len);
  *len = sizeof(p256_g_enc);
  return p256_g_enc;
}

static const uint8_t *ec_order(int curve, size_t *len) {
  if (curve != BR_EC_secp256r1)
    return br_ec_get_default()->order(curve, len);
  *len = sizeof(p256_n_enc);
  return p256_n_enc;
}

static size_t ec_xoff(int curve, size_t *len) {
  if (curve != BR_EC_secp256r1)
    return br_ec_get_default()->xoff(curve, len);
  *len = 32;
  return 1;
}

static uint32_t ec_mul(uint8_t *g, size_t glen, const uint8_t *x, size_t xlen,
                       int curve) {
  if (curve != BR_EC_secp256r1)
    return br_ec_get_default()->mul(g, glen, x, xlen, curve);
  return p256_mul(g, glen, x, xlen);
}

static size_t ec_mulgen(uint8_t *r, const uint8_t *x, size_t xlen, int curve) {
  if (curve != BR_EC_secp256r1)
    return br_ec_get_default()->mulgen(r, x, xlen, curve);
  return p256_mulgen(r, x, xlen);
}

static uint32_t ec_muladd(uint8_t *a, const uint8_t *b, size_t len,
                          const uint8_t *x, size_t xlen, const uint8_t *y,
                          size_t ylen, int curve) {
  if (curve != BR_EC_secp256r1)
    return br_ec_get_default()->muladd(a, b, len, x, xlen, y, ylen, curve);
  return p256_muladd(a, b, len, x, xlen, y, ylen);
}

/* The union of P-256 and br_ec_get_default()'s curves (BearSSL 0.6's
 * ec_all_m31 and ec_all_m15 have the same four); test_tls13_p256.c
 * checks it against the default. */
const br_ec_impl zn__tls_ec = {
    .supported_curves =
        (uint32_t)1 << BR_EC_secp256r1 | (uint32_t)1 << BR_EC_secp384r1 |
        (uint32_t)1 << BR_EC_secp521r1 | (uint32_t)1 << BR_EC_curve25519,
    .generator = ec_generator,
    .order = ec_order,
    .xoff = ec_xoff,
    .mul = ec_mul,
    .mulgen = ec_mulgen,
    .muladd = ec_muladd,
};
