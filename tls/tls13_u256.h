/*
 * 256-bit integers in four 64-bit limbs, least significant first, and
 * Montgomery arithmetic (R = 2^256) modulo an odd m below 2^256: the
 * field of P-256 (tls13_p256.c) and the order of its group (the ECDSA
 * signer, tls13_p256_ecdsa.c) share it.  Products come two ways: mont_mul
 * interleaves the product and the reduction (any m); mont_sqr and the
 * _p256 functions form the 512-bit product first (a square costs 10
 * multiplications of limbs, not 16) and then reduce it, for P-256's
 * field prime with a reduction that needs one multiplication a limb
 * instead of four.
 *
 * Constant time: no branch and no memory address depends on a limb's
 * value.  A choice is a mask, all ones or zero, made from a carry or a
 * borrow, and applied with and/or/xor.  The loops run a fixed number of
 * times.
 */
#ifndef ZNET_TLS13_U256_H
#define ZNET_TLS13_U256_H

#include <stdint.h>

__extension__ typedef unsigned __int128 u128;

/* A modulus and what Montgomery arithmetic needs of it. */
struct u256_mod {
  uint64_t m[4];  /* odd, below 2^256 */
  uint64_t m0inv; /* -1/m mod 2^64 */
  uint64_t rr[4]; /* R^2 mod m: mont_mul(a, rr) is a's Montgomery form */
};

/* The mask of a bit (0 or 1): all ones for 1. */
static inline uint64_t u256_mask(uint64_t bit) { return 0 - bit; }

/* All ones if v is zero, else zero. */
static inline uint64_t u64_zero_mask(uint64_t v) {
  /* v | -v has its top bit set exactly when v is not zero. */
  return ((v | (0 - v)) >> 63) - 1;
}

/* Zero, for the masked moves that clear a value. */
static const uint64_t u256_zero[4];

/* Big-endian bytes (32) to limbs and back. */
static inline void u256_from_be(uint64_t r[4], const uint8_t b[32]) {
  for (int i = 0; i < 4; i++) {
    uint64_t v = 0;
    for (int j = 0; j < 8; j++)
      v = v << 8 | b[8 * (3 - i) + j];
    r[i] = v;
  }
}

static inline void u256_to_be(uint8_t b[32], const uint64_t a[4]) {
  for (int i = 0; i < 4; i++)
    for (int j = 0; j < 8; j++)
      b[8 * (3 - i) + j] = (uint8_t)(a[i] >> (56 - 8 * j));
}

/* a + b + *carry, the carry out (0 or 1) back in *carry. */
static inline uint64_t u64_adc(uint64_t a, uint64_t b, uint64_t *carry) {
  u128 v = (u128)a + b + *carry;
  *carry = (uint64_t)(v >> 64);
  return (uint64_t)v;
}

/* a - b - *borrow, the borrow out (0 or 1) back in *borrow. */
static inline uint64_t u64_sbb(uint64_t a, uint64_t b, uint64_t *borrow) {
  u128 v = (u128)a - b - *borrow;
  *borrow = (uint64_t)(v >> 64) & 1;
  return (uint64_t)v;
}

/* r = a + b; the carry out (0 or 1).  r may be a or b.  (Written out
 * limb by limb: gcc -O2 keeps a loop of four as a loop, through
 * memory.) */
static inline uint64_t u256_add(uint64_t r[4], const uint64_t a[4],
                                const uint64_t b[4]) {
  uint64_t c = 0;
  r[0] = u64_adc(a[0], b[0], &c);
  r[1] = u64_adc(a[1], b[1], &c);
  r[2] = u64_adc(a[2], b[2], &c);
  r[3] = u64_adc(a[3], b[3], &c);
  return c;
}

/* r = a - b; the borrow out (0 or 1).  r may be a or b. */
static inline uint64_t u256_sub(uint64_t r[4], const uint64_t a[4],
                                const uint64_t b[4]) {
  uint64_t c = 0;
  r[0] = u64_sbb(a[0], b[0], &c);
  r[1] = u64_sbb(a[1], b[1], &c);
  r[2] = u64_sbb(a[2], b[2], &c);
  r[3] = u64_sbb(a[3], b[3], &c);
  return c;
}

/* r = b where mask is all ones, a where it is zero.  r may be a or b. */
static inline void u256_select(uint64_t r[4], const uint64_t a[4],
                               const uint64_t b[4], uint64_t mask) {
  uint64_t r0 = a[0] ^ (mask & (a[0] ^ b[0]));
  uint64_t r1 = a[1] ^ (mask & (a[1] ^ b[1]));
  uint64_t r2 = a[2] ^ (mask & (a[2] ^ b[2]));
  uint64_t r3 = a[3] ^ (mask & (a[3] ^ b[3]));
  r[0] = r0;
  r[1] = r1;
  r[2] = r2;
  r[3] = r3;
}

/* r = a where mask is all ones; r unchanged where it is zero. */
static inline void u256_cmov(uint64_t r[4], const uint64_t a[4],
                             uint64_t mask) {
  u256_select(r, r, a, mask);
}

/* All ones if a is zero, else zero. */
static inline uint64_t u256_zero_mask(const uint64_t a[4]) {
  return u64_zero_mask(a[0] | a[1] | a[2] | a[3]);
}

/* All ones if a < b, else zero. */
static inline uint64_t u256_less_mask(const uint64_t a[4],
                                      const uint64_t b[4]) {
  uint64_t d[4];
  return u256_mask(u256_sub(d, a, b));
}

/* r = hi:a mod m for hi:a below 2m, hi the bit above a's four limbs
 * (0 or 1): one subtraction, kept if hi was set or it did not borrow. */
static inline void mod_reduce_carry(uint64_t r[4], const uint64_t a[4],
                                    uint64_t hi, const uint64_t m[4]) {
  uint64_t d[4];
  uint64_t borrow = u256_sub(d, a, m);
  u256_select(r, a, d, u256_mask(hi | (borrow ^ 1)));
}

/* r = a mod m for a below 2m. */
static inline void mod_reduce_once(uint64_t r[4], const uint64_t a[4],
                                   const struct u256_mod *md) {
  mod_reduce_carry(r, a, 0, md->m);
}

/* r = a + b mod m, a and b below m. */
static inline void mod_add(uint64_t r[4], const uint64_t a[4],
                           const uint64_t b[4], const struct u256_mod *md) {
  uint64_t s[4], d[4];
  uint64_t carry = u256_add(s, a, b);
  uint64_t borrow = u256_sub(d, s, md->m);
  /* a + b >= m when the sum carried out or the subtraction did not
   * borrow. */
  u256_select(r, s, d, u256_mask(carry | (borrow ^ 1)));
}

/* r = a - b mod m, a and b below m. */
static inline void mod_sub(uint64_t r[4], const uint64_t a[4],
                           const uint64_t b[4], const struct u256_mod *md) {
  uint64_t d[4];
  uint64_t mask = u256_mask(u256_sub(d, a, b));
  const uint64_t t[4] = {md->m[0] & mask, md->m[1] & mask, md->m[2] & mask,
                         md->m[3] & mask};
  u256_add(r, d, t);
}

/* lo of a * b + c + *carry, whose high word goes to *carry (it cannot
 * overflow: (2^64 - 1)^2 + 2 (2^64 - 1) = 2^128 - 1). */
static inline uint64_t u256_mac(uint64_t a, uint64_t b, uint64_t c,
                                uint64_t *carry) {
  u128 v = (u128)a * b + c + *carry;
  *carry = (uint64_t)(v >> 64);
  return (uint64_t)v;
}

/* One step of Montgomery multiplication (CIOS, "coarsely integrated
 * operand scanning": Koc, Acar and Kaliski, IEEE Micro 1996): t += a bi,
 * then t += q m with q such that the low word becomes zero, and t shifted
 * down one word.  t = t0..t4 stays below 2m. */
static inline void mont_step(uint64_t *t0, uint64_t *t1, uint64_t *t2,
                             uint64_t *t3, uint64_t *t4, const uint64_t a[4],
                             uint64_t bi, const struct u256_mod *md) {
  uint64_t c = 0;
  uint64_t s0 = u256_mac(a[0], bi, *t0, &c);
  uint64_t s1 = u256_mac(a[1], bi, *t1, &c);
  uint64_t s2 = u256_mac(a[2], bi, *t2, &c);
  uint64_t s3 = u256_mac(a[3], bi, *t3, &c);
  u128 v = (u128)*t4 + c;
  uint64_t s4 = (uint64_t)v, top = (uint64_t)(v >> 64);
  uint64_t q = s0 * md->m0inv;
  c = 0;
  (void)u256_mac(q, md->m[0], s0, &c);
  *t0 = u256_mac(q, md->m[1], s1, &c);
  *t1 = u256_mac(q, md->m[2], s2, &c);
  *t2 = u256_mac(q, md->m[3], s3, &c);
  v = (u128)s4 + c;
  *t3 = (uint64_t)v;
  *t4 = top + (uint64_t)(v >> 64);
}

/* r = a * b / R mod m, a and b below m (Montgomery multiplication: four
 * steps, one per word of b, then one subtraction ends it below m).  r
 * may be a or b: it is written last. */
static inline void mont_mul(uint64_t r[4], const uint64_t a[4],
                            const uint64_t b[4], const struct u256_mod *md) {
  uint64_t t0 = 0, t1 = 0, t2 = 0, t3 = 0, t4 = 0;
  mont_step(&t0, &t1, &t2, &t3, &t4, a, b[0], md);
  mont_step(&t0, &t1, &t2, &t3, &t4, a, b[1], md);
  mont_step(&t0, &t1, &t2, &t3, &t4, a, b[2], md);
  mont_step(&t0, &t1, &t2, &t3, &t4, a, b[3], md);
  const uint64_t t[4] = {t0, t1, t2, t3};
  mod_reduce_carry(r, t, t4, md->m);
}

/* One row of a schoolbook product: t[0..4] += a bi, t[4] zero before
 * (it takes the row's carry). */
static inline void u256_mul_row(uint64_t t[5], const uint64_t a[4],
                                uint64_t bi) {
  uint64_t c = 0;
  t[0] = u256_mac(a[0], bi, t[0], &c);
  t[1] = u256_mac(a[1], bi, t[1], &c);
  t[2] = u256_mac(a[2], bi, t[2], &c);
  t[3] = u256_mac(a[3], bi, t[3], &c);
  t[4] = c;
}

/* t = a b, 512 bits in eight limbs: four rows, one per limb of b.  (The
 * rows are calls, not a loop, for the reason of u256_add.) */
static inline __attribute__((always_inline)) void
u256_mul_wide(uint64_t t[8], const uint64_t a[4], const uint64_t b[4]) {
  t[0] = t[1] = t[2] = t[3] = 0;
  u256_mul_row(t, a, b[0]);
  u256_mul_row(t + 1, a, b[1]);
  u256_mul_row(t + 2, a, b[2]);
  u256_mul_row(t + 3, a, b[3]);
}

/* limb + limb + d + *carry: the limb of 2 t + d, the carry out (0 to 2)
 * back in *carry. */
static inline uint64_t u64_dbl_add(uint64_t limb, uint64_t d, uint64_t *carry) {
  u128 v = (u128)limb + limb + d + *carry;
  *carry = (uint64_t)(v >> 64);
  return (uint64_t)v;
}

/* t = a^2, 512 bits: the six products a_i a_j (i < j) once, then
 * doubled with the four squares a_i^2 added: 10 multiplications against
 * u256_mul_wide's 16. */
static inline __attribute__((always_inline)) void
u256_sqr_wide(uint64_t t[8], const uint64_t a[4]) {
  uint64_t c = 0;
  uint64_t t1 = u256_mac(a[0], a[1], 0, &c);
  uint64_t t2 = u256_mac(a[0], a[2], 0, &c);
  uint64_t t3 = u256_mac(a[0], a[3], 0, &c);
  uint64_t t4 = c;
  c = 0;
  t3 = u256_mac(a[1], a[2], t3, &c);
  t4 = u256_mac(a[1], a[3], t4, &c);
  uint64_t t5 = c;
  c = 0;
  t5 = u256_mac(a[2], a[3], t5, &c);
  uint64_t t6 = c;
  u128 s0 = (u128)a[0] * a[0], s1 = (u128)a[1] * a[1];
  u128 s2 = (u128)a[2] * a[2], s3 = (u128)a[3] * a[3];
  c = 0;
  t[0] = (uint64_t)s0;
  t[1] = u64_dbl_add(t1, (uint64_t)(s0 >> 64), &c);
  t[2] = u64_dbl_add(t2, (uint64_t)s1, &c);
  t[3] = u64_dbl_add(t3, (uint64_t)(s1 >> 64), &c);
  t[4] = u64_dbl_add(t4, (uint64_t)s2, &c);
  t[5] = u64_dbl_add(t5, (uint64_t)(s2 >> 64), &c);
  t[6] = u64_dbl_add(t6, (uint64_t)s3, &c);
  t[7] = (uint64_t)(s3 >> 64) + c; /* a^2 < 2^512: no carry out */
}

/* One step of Montgomery reduction of t (REDC: Montgomery, "Modular
 * multiplication without trial division", 1985): t += q m 2^(64 i) with
 * q such that limb i becomes zero.  Limb i + 4 takes *hc, the carry that
 * the step before left above its own limbs, and the step's carry out
 * goes back to *hc, for limb i + 5. */
static inline void mont_redc_step(uint64_t t[8], int i, uint64_t *hc,
                                  const struct u256_mod *md) {
  uint64_t q = t[i] * md->m0inv, c = 0;
  (void)u256_mac(q, md->m[0], t[i], &c);
  t[i + 1] = u256_mac(q, md->m[1], t[i + 1], &c);
  t[i + 2] = u256_mac(q, md->m[2], t[i + 2], &c);
  t[i + 3] = u256_mac(q, md->m[3], t[i + 3], &c);
  u128 v = (u128)t[i + 4] + c + *hc;
  t[i + 4] = (uint64_t)v;
  *hc = (uint64_t)(v >> 64);
}

/* r = t / R mod m for t below m R (a product of two values below m):
 * four steps leave (t + Q m) / R below 2m, in t[4..7] and a carry; one
 * subtraction ends it below m. */
static inline __attribute__((always_inline)) void
mont_redc(uint64_t r[4], uint64_t t[8], const struct u256_mod *md) {
  uint64_t hc = 0;
  mont_redc_step(t, 0, &hc, md);
  mont_redc_step(t, 1, &hc, md);
  mont_redc_step(t, 2, &hc, md);
  mont_redc_step(t, 3, &hc, md);
  mod_reduce_carry(r, t + 4, hc, md->m);
}

/* r = a^2 / R mod m, a below m: mont_mul(r, a, a, md) with the cheaper
 * product. */
static inline void mont_sqr(uint64_t r[4], const uint64_t a[4],
                            const struct u256_mod *md) {
  uint64_t t[8];
  u256_sqr_wide(t, a);
  mont_redc(r, t, md);
}

/* P-256's field prime p = 2^256 - 2^224 + 2^192 + 2^96 - 1, whose shape
 * makes its reduction cheap (mont_redc_p256). */
static const uint64_t u256_p256[4] = {0xffffffffffffffff, 0x00000000ffffffff, 0,
                                      0xffffffff00000001};

/* mont_redc_step for p: q = t[i] (-1/p = 1 mod 2^64), and t + q p =
 * (t - q) + q (p + 1), where t - q clears limb i without a borrow and
 * p + 1 has two limbs that are not zero, 2^32 (limb 1) and p's top limb
 * (limb 3).  So one multiplication instead of four: q 2^32 at limb
 * i + 1, q (2^64 - 2^32 + 1) at limb i + 3. */
static inline void mont_redc_p256_step(uint64_t t[8], int i, uint64_t *hc) {
  uint64_t q = t[i], c = 0;
  t[i + 1] = u64_adc(t[i + 1], q << 32, &c);
  t[i + 2] = u64_adc(t[i + 2], q >> 32, &c);
  t[i + 3] = u256_mac(q, u256_p256[3], t[i + 3], &c);
  u128 v = (u128)t[i + 4] + c + *hc;
  t[i + 4] = (uint64_t)v;
  *hc = (uint64_t)(v >> 64);
}

/* mont_redc for p: r = t / R mod p for t below p R. */
static inline __attribute__((always_inline)) void
mont_redc_p256(uint64_t r[4], uint64_t t[8]) {
  uint64_t hc = 0;
  mont_redc_p256_step(t, 0, &hc);
  mont_redc_p256_step(t, 1, &hc);
  mont_redc_p256_step(t, 2, &hc);
  mont_redc_p256_step(t, 3, &hc);
  mod_reduce_carry(r, t + 4, hc, u256_p256);
}

/* mont_mul and mont_sqr modulo p, a and b below p: 20 and 14
 * multiplications against mont_mul's 32 (tests/tls/test_tls13_p256.c
 * holds them equal to mont_mul). */
static inline void mont_mul_p256(uint64_t r[4], const uint64_t a[4],
                                 const uint64_t b[4]) {
  uint64_t t[8];
  u256_mul_wide(t, a, b);
  mont_redc_p256(r, t);
}

static inline void mont_sqr_p256(uint64_t r[4], const uint64_t a[4]) {
  uint64_t t[8];
  u256_sqr_wide(t, a);
  mont_redc_p256(r, t);
}

/* a's Montgomery form (a R mod m), a below m. */
static inline void mont_in(uint64_t r[4], const uint64_t a[4],
                           const struct u256_mod *md) {
  mont_mul(r, a, md->rr, md);
}

/* Back from Montgomery form: a / R mod m, below m. */
static inline void mont_out(uint64_t r[4], const uint64_t a[4],
                            const struct u256_mod *md) {
  static const uint64_t one[4] = {1, 0, 0, 0};
  mont_mul(r, a, one, md);
}

#endif /* ZNET_TLS13_U256_H */
