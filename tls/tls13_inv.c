/*
 * Modular division by divsteps (Bernstein and Yang, "Fast constant-time
 * gcd computation and modular inversion", TCHES 2019, §8 and §11), for
 * the odd moduli below 2^256 of tls13_inv.h.  It replaces Fermat's
 * a^(m - 2) (about 255 squarings and 13 to 40 products): P-256's field
 * and order, and 2^255 - 19.
 *
 * The divstep.  From f = m (odd) and g = a, with a number delta,
 *
 *   delta > 0, g odd:  (delta, f, g) <- (1 - delta, g, (g - f) / 2)
 *   otherwise:         (delta, f, g) <- (1 + delta, f, (g + g0 f) / 2)
 *
 * with g0 the low bit of g, keeps gcd(f, g) up to sign and f odd, never
 * lets max(|f|, |g|) grow, and reaches g = 0, f = +-gcd(m, a), within a
 * bounded number of steps; from then on it changes nothing but delta.
 * Carried alongside, d and e with f = d a / b and g = e a / b (mod m),
 * from d = 0 and e = b: at the end f = +-1 and b / a = +-d.
 *
 * The bound.  delta starts at 1/2 here, not at the paper's 1: then 590
 * divsteps reach g = 0 for every 0 <= g <= f < 2^256, where the paper's
 * own bound (§11, for delta = 1) is floor((49 * 256 + 57) / 17) = 741.
 * 590 is Pieter Wuille's bound by convex hulls, proved with Coq
 * (github.com/sipa/safegcd-bounds, "genproofhd"; explained in
 * libsecp256k1's doc/safegcd_implementation.md §7).  We run 10 batches of
 * 62 divsteps, 620.  The divstep is written with theta = delta - 1/2, an
 * integer: the first case is theta >= 0 and sends theta to -theta, the
 * second sends it to theta + 1.
 *
 * Batches.  62 divsteps depend only on the low 62 bits of f and g, so
 * they run on one 64-bit word of each (divsteps_62), and what they do to
 * f and g is a matrix T with 2^62 (f', g') = T (f, g), its entries below
 * 2^62 in absolute value (each row's |u| + |v| at most 2^62).  The
 * matrix is then applied to the full f and g (update_fg, exact: the low
 * 62 bits of the sums are zero) and to d and e mod m (update_de, where a
 * multiple of m makes the sums divisible by 2^62 as in Montgomery's
 * reduction, with 1/m mod 2^62).  The big numbers are five signed limbs
 * of 62 bits: limbs 0 to 3 in 0..2^62 - 1, limb 4 signed, so that the
 * products of a limb by an entry of T, summed in 128 bits, never
 * overflow.
 *
 * Constant time.  The number of steps is fixed; in a step the choices
 * are masks (all ones or zero) from g's low bit and theta's sign, passed
 * through an empty asm so that the compiler keeps them masks.  No branch
 * and no memory address depends on a or b; tests/tls/ct_check.c runs the
 * three moduli under memcheck.
 *
 * The carries are signed and shifted right (`>>= 62`): arithmetic
 * shifts, as gcc and clang define them (C11 leaves the shift of a
 * negative value to the implementation).  Sign masks come from the sign
 * bit instead (sign_mask).
 */
#include <string.h>

#include "tls13_inv.h"
#include "znet/wipe.h"

__extension__ typedef __int128 i128;

#define M62 ((int64_t)((UINT64_C(1) << 62) - 1))

/* The batches' matrices are scaled by 2^62: divsteps_62 doubles a row
 * per step, update_fg and update_de divide by 2^62. */
_Static_assert(ZN__INV_BATCH_STEPS == 62, "a batch is 62 divsteps");
_Static_assert(ZN__INV_BATCH_STEPS % 2 == 0, "two divsteps a turn");

/* The constants: m in 62-bit limbs and 1/m mod 2^62 (tests/tls/
 * test_tls13_inv.c checks both against the moduli). */
const struct zn__inv_mod zn__inv_p256_p = {
    {0x3fffffffffffffff, 0x3ffffffff, 0, 0x3fffffc000000040, 0xff},
    0x3fffffffffffffff};
const struct zn__inv_mod zn__inv_p256_n = {
    {0x33b9cac2fc632551, 0x339beab69c5e7a13, 0x3ffffffffffffffb,
     0x3fffffc00000003f, 0xff},
    0x332e375511ff43b1};
const struct zn__inv_mod zn__inv_p25519 = {
    {0x3fffffffffffffed, 0x3fffffffffffffff, 0x3fffffffffffffff,
     0x3fffffffffffffff, 0x7f},
    0x39435e50d79435e5};

/* What a batch of divsteps does to (f, g): 2^62 f' = u f + v g and
 * 2^62 g' = q f + r g. */
struct trans {
  int64_t u, v, q, r;
};

/* x, opaque to the optimiser, so that a mask stays a mask (as
 * zn__fe_opaque, tls13_fe25519.h, says why). */
static inline uint64_t opaque(uint64_t x) {
  __asm__("" : "+r"(x));
  return x;
}

/* A batch's divsteps in progress: theta, the low words of f (odd) and
 * g, and the matrix so far.  Rather than halve g, a step doubles f's row
 * of the matrix, so that after the batch both rows are scaled by 2^62.
 * Everything is computed modulo 2^64 (unsigned, no overflow to fear);
 * the entries are read back as signed at the end. */
struct batch {
  uint64_t theta, f, g, u, v, q, r;
};

/* One divstep.  The first case is the second after (f, g) <- (g, -f):
 * then g is odd, and g + f is the old g - f. */
static inline __attribute__((always_inline)) void divstep(struct batch *b) {
  uint64_t odd = opaque(0 - (b->g & 1));
  uint64_t swap = opaque(odd & ((b->theta >> 63) - 1)); /* theta >= 0 */
  uint64_t fx = (b->f ^ swap) - swap, ux = (b->u ^ swap) - swap;
  uint64_t vx = (b->v ^ swap) - swap;
  b->f ^= (b->f ^ b->g) & swap;
  b->u ^= (b->u ^ b->q) & swap;
  b->v ^= (b->v ^ b->r) & swap;
  b->g += fx & odd;
  b->q += ux & odd;
  b->r += vx & odd;
  b->theta = ((b->theta ^ swap) - swap) + (~swap & 1);
  b->g >>= 1;
  b->u <<= 1;
  b->v <<= 1;
}

/* ZN__INV_BATCH_STEPS divsteps from theta and the low words of f and g;
 * the matrix to *t, theta after them returned.  Two steps a turn of the
 * loop: 2.3 us an inversion against 2.6 with one (gcc 12 -O2 keeps the
 * loop as written). */
static uint64_t divsteps_62(uint64_t theta, uint64_t f, uint64_t g,
                            struct trans *t) {
  struct batch b = {theta, f, g, 1, 0, 0, 1};
  for (int i = 0; i < ZN__INV_BATCH_STEPS; i += 2) {
    divstep(&b);
    divstep(&b);
  }
  t->u = (int64_t)b.u;
  t->v = (int64_t)b.v;
  t->q = (int64_t)b.q;
  t->r = (int64_t)b.r;
  return b.theta;
}

/* (f, g) <- T (f, g) / 2^62, exactly. */
static void update_fg(int64_t f[5], int64_t g[5], const struct trans *t) {
  i128 cf = (i128)t->u * f[0] + (i128)t->v * g[0];
  i128 cg = (i128)t->q * f[0] + (i128)t->r * g[0];
  cf >>= 62; /* the low 62 bits are zero */
  cg >>= 62;
  for (int i = 1; i < 5; i++) {
    cf += (i128)t->u * f[i] + (i128)t->v * g[i];
    cg += (i128)t->q * f[i] + (i128)t->r * g[i];
    f[i - 1] = (int64_t)cf & M62;
    g[i - 1] = (int64_t)cg & M62;
    cf >>= 62;
    cg >>= 62;
  }
  f[4] = (int64_t)cf;
  g[4] = (int64_t)cg;
}

/* All ones if x is negative, else zero (from the sign bit, without
 * shifting a negative value). */
static int64_t sign_mask(int64_t x) { return -(int64_t)((uint64_t)x >> 63); }

/* The multiple k of m that makes c + k m divisible by 2^62, for c the
 * low word of a row's sum: from k0, the row's entries where d and e are
 * negative (which makes the sum the row applied to d and e each brought
 * into -m..m), minus what is needed mod 2^62: k in -2^63..2^62. */
static int64_t row_multiple(uint64_t c, int64_t k0, uint64_t minv) {
  return k0 - (int64_t)((minv * c + (uint64_t)k0) & (uint64_t)M62);
}

/* (d, e) <- T (d, e) / 2^62 mod m, d and e in -2m..m before and after:
 * with d and e each taken into -m..m by the multiple of m in
 * row_multiple, a row's sum is within 2^62 m of 0, and the correction
 * takes it down by less than 2^62 m: (-2^63 m, 2^62 m) over 2^62. */
static void update_de(int64_t d[5], int64_t e[5], const struct trans *t,
                      const struct zn__inv_mod *md) {
  int64_t sd = sign_mask(d[4]), se = sign_mask(e[4]);
  i128 cd = (i128)t->u * d[0] + (i128)t->v * e[0];
  i128 ce = (i128)t->q * d[0] + (i128)t->r * e[0];
  int64_t kd = row_multiple((uint64_t)cd, (t->u & sd) + (t->v & se), md->minv);
  int64_t ke = row_multiple((uint64_t)ce, (t->q & sd) + (t->r & se), md->minv);
  cd += (i128)kd * md->m[0];
  ce += (i128)ke * md->m[0];
  cd >>= 62; /* the low 62 bits are zero */
  ce >>= 62;
  for (int i = 1; i < 5; i++) {
    cd += (i128)t->u * d[i] + (i128)t->v * e[i] + (i128)kd * md->m[i];
    ce += (i128)t->q * d[i] + (i128)t->r * e[i] + (i128)ke * md->m[i];
    d[i - 1] = (int64_t)cd & M62;
    e[i - 1] = (int64_t)ce & M62;
    cd >>= 62;
    ce >>= 62;
  }
  d[4] = (int64_t)cd;
  e[4] = (int64_t)ce;
}

/* x += m where mask is all ones, limbs normalised again. */
static void add_masked(int64_t x[5], const int64_t m[5], int64_t mask) {
  int64_t c = 0;
  for (int i = 0; i < 4; i++) {
    c += x[i] + (m[i] & mask);
    x[i] = c & M62;
    c >>= 62;
  }
  x[4] += (m[4] & mask) + c;
}

/* x = -x where mask is all ones, limbs normalised again. */
static void negate_masked(int64_t x[5], int64_t mask) {
  int64_t c = 0;
  for (int i = 0; i < 4; i++) {
    c += (x[i] ^ mask) - mask;
    x[i] = c & M62;
    c >>= 62;
  }
  x[4] = ((x[4] ^ mask) - mask) + c;
}

/* d in -2m..m, and f's sign, to d f mod m in 0..m-1. */
static void normalise(int64_t d[5], const int64_t f[5], const int64_t m[5]) {
  add_masked(d, m, sign_mask(d[4])); /* -m..m */
  negate_masked(d, sign_mask(f[4])); /* still -m..m */
  add_masked(d, m, sign_mask(d[4])); /* 0..m-1 */
}

/* Four 64-bit limbs to five of 62 bits, and back (x below 2^256). */
static void to_s62(int64_t r[5], const uint64_t a[4]) {
  r[0] = (int64_t)(a[0] & (uint64_t)M62);
  r[1] = (int64_t)((a[0] >> 62 | a[1] << 2) & (uint64_t)M62);
  r[2] = (int64_t)((a[1] >> 60 | a[2] << 4) & (uint64_t)M62);
  r[3] = (int64_t)((a[2] >> 58 | a[3] << 6) & (uint64_t)M62);
  r[4] = (int64_t)(a[3] >> 56);
}

static void from_s62(uint64_t r[4], const int64_t a[5]) {
  uint64_t a0 = (uint64_t)a[0], a1 = (uint64_t)a[1], a2 = (uint64_t)a[2];
  uint64_t a3 = (uint64_t)a[3], a4 = (uint64_t)a[4];
  r[0] = a0 | a1 << 62;
  r[1] = a1 >> 2 | a2 << 60;
  r[2] = a2 >> 4 | a3 << 58;
  r[3] = a3 >> 6 | a4 << 56;
}

void zn__inv_div(uint64_t r[4], const uint64_t a[4], const uint64_t b[4],
                 const struct zn__inv_mod *md) {
  int64_t f[5], g[5], d[5] = {0}, e[5];
  memcpy(f, md->m, sizeof(f));
  to_s62(g, a);
  to_s62(e, b);
  uint64_t theta = 0; /* delta = 1/2 */
  struct trans t;
  for (int i = 0; i < ZN__INV_BATCHES; i++) {
    theta = divsteps_62(theta, (uint64_t)f[0], (uint64_t)g[0], &t);
    update_fg(f, g, &t);
    update_de(d, e, &t, md);
  }
  normalise(d, f, md->m);
  from_s62(r, d);
  /* As secret as a and b. */
  zn_wipe(f, sizeof(f));
  zn_wipe(g, sizeof(g));
  zn_wipe(d, sizeof(d));
  zn_wipe(e, sizeof(e));
  zn_wipe(&t, sizeof(t));
}
