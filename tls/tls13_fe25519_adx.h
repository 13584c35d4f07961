/*
 * GF(2^255 - 19) (RFC 7748 §4.1) over four saturated 64-bit words, with
 * BMI2's mulx and ADX's adcx and adox, for tls13_x25519_adx.c; here
 * rather than there so that the tests can take each operation to its
 * edges (the carries that only values near 2^256 make).  A product is 16
 * mulx in two interleaved carry chains (tls13_u256_adx.h, which P-256's
 * field shares: adcx carries in CF, adox in OF, so that a row of partial
 * products adds both its halves at once) where
 * tls13_fe25519.h's 51-bit limbs take 25 multiplications and a 128-bit
 * sum per column.  Only for CPUs with both extensions
 * (zn__x25519_has_adx); anywhere else an illegal instruction.
 *
 * An element is any 256-bit value, taken modulo p = 2^255 - 19: every
 * function takes and returns values anywhere below 2^256; only
 * zn__fe64_tobytes reduces below p.  Reductions fold by 2^256 = 38
 * (mod p).  All static inline (gcc 12 at -O2 still calls zn__fe64_mul
 * out of line, as fast as forcing it inline measured).
 *
 * The instructions are written in GNU inline assembly, which the
 * assembler takes whatever the compiler's target; nothing here makes the
 * compiler itself emit BMI2 or ADX, so no target attribute is needed and
 * the code builds with the flags of the rest of the library (Solo5's
 * -mgeneral-regs-only included: it uses general registers only).
 *
 * Constant time: the assembly has no branch (carries become masks by
 * sbb), and the masks of zn__fe64_cmov and zn__fe64_cswap go through
 * zn__fe_opaque.
 */
#ifndef ZNET_TLS13_FE25519_ADX_H
#define ZNET_TLS13_FE25519_ADX_H

#include <stddef.h>
#include <stdint.h>

#include "tls13_fe25519.h"
#include "tls13_u256_adx.h"

typedef uint64_t zn__fe64[4];

#define ZN__FE64_MASK63 ((UINT64_C(1) << 63) - 1)

/* The assembly reads its inputs through the pointers it is given, and
 * says so with a "memory" clobber rather than an "m" operand for each
 * input: at -O0 with AddressSanitizer (which keeps a frame pointer) gcc
 * gave each such operand a register of its own, and found too few for
 * zn__fe64_mul.  Hence also volatile: without it, gcc 12 at -O2 moved or
 * merged statements whose pointers had not changed as if they read
 * nothing, and the ladder's results were wrong. */

/* h = f + g: a carry out of 2^256 comes back as 38, and a second one
 * (only from a sum that wrapped to below 38) as 38 into the low word,
 * which cannot carry again. */
static inline void zn__fe64_add(zn__fe64 h, const zn__fe64 f,
                                const zn__fe64 g) {
  uint64_t h0, h1, h2, h3, c;
  __asm__ volatile("movq (%[f]), %[h0]\n\t"
                   "addq (%[g]), %[h0]\n\t"
                   "movq 8(%[f]), %[h1]\n\t"
                   "adcq 8(%[g]), %[h1]\n\t"
                   "movq 16(%[f]), %[h2]\n\t"
                   "adcq 16(%[g]), %[h2]\n\t"
                   "movq 24(%[f]), %[h3]\n\t"
                   "adcq 24(%[g]), %[h3]\n\t"
                   "sbbq %[c], %[c]\n\t"
                   "andq $38, %[c]\n\t"
                   "addq %[c], %[h0]\n\t"
                   "adcq $0, %[h1]\n\t"
                   "adcq $0, %[h2]\n\t"
                   "adcq $0, %[h3]\n\t"
                   "sbbq %[c], %[c]\n\t"
                   "andq $38, %[c]\n\t"
                   "addq %[c], %[h0]\n\t"
                   : [h0] "=&r"(h0), [h1] "=&r"(h1), [h2] "=&r"(h2),
                     [h3] "=&r"(h3), [c] "=&r"(c)
                   : [f] "r"(f), [g] "r"(g)
                   : "cc", "memory");
  h[0] = h0;
  h[1] = h1;
  h[2] = h2;
  h[3] = h3;
}

/* h = f - g: a borrow past 0 took 2^256, so 38 more comes off (2^256 -
 * 38 = 2p), and if that borrows again (from below 38) once more off the
 * low word, which is then near 2^64 and cannot borrow. */
static inline void zn__fe64_sub(zn__fe64 h, const zn__fe64 f,
                                const zn__fe64 g) {
  uint64_t h0, h1, h2, h3, c;
  __asm__ volatile("movq (%[f]), %[h0]\n\t"
                   "subq (%[g]), %[h0]\n\t"
                   "movq 8(%[f]), %[h1]\n\t"
                   "sbbq 8(%[g]), %[h1]\n\t"
                   "movq 16(%[f]), %[h2]\n\t"
                   "sbbq 16(%[g]), %[h2]\n\t"
                   "movq 24(%[f]), %[h3]\n\t"
                   "sbbq 24(%[g]), %[h3]\n\t"
                   "sbbq %[c], %[c]\n\t"
                   "andq $38, %[c]\n\t"
                   "subq %[c], %[h0]\n\t"
                   "sbbq $0, %[h1]\n\t"
                   "sbbq $0, %[h2]\n\t"
                   "sbbq $0, %[h3]\n\t"
                   "sbbq %[c], %[c]\n\t"
                   "andq $38, %[c]\n\t"
                   "subq %[c], %[h0]\n\t"
                   : [h0] "=&r"(h0), [h1] "=&r"(h1), [h2] "=&r"(h2),
                     [h3] "=&r"(h3), [c] "=&r"(c)
                   : [f] "r"(f), [g] "r"(g)
                   : "cc", "memory");
  h[0] = h0;
  h[1] = h1;
  h[2] = h2;
  h[3] = h3;
}

/* The 512-bit t0..t7 to 256 bits, t0..t3 + 38 * t4..t7, left in t4, t1,
 * t2, t3: 38 * t_k's low half along CF into word k - 4, its high half
 * along OF into word k - 3.  The top word (at most 39) folds again times
 * 38; a carry out of that leaves the low words below 39 * 38, so the 38
 * it brings into the low word carries no further. */
#define ZN__FE64_REDUCE                                                        \
  "movl $38, %%edx\n\t"                                                        \
  "xorl %k[lo], %k[lo]\n\t"                                                    \
  "mulxq %[t4], %[t4], %[hi]\n\t"                                              \
  "adcxq %[t0], %[t4]\n\t"                                                     \
  "adoxq %[hi], %[t1]\n\t"                                                     \
  "mulxq %[t5], %[t5], %[hi]\n\t"                                              \
  "adcxq %[t5], %[t1]\n\t"                                                     \
  "adoxq %[hi], %[t2]\n\t"                                                     \
  "mulxq %[t6], %[t6], %[hi]\n\t"                                              \
  "adcxq %[t6], %[t2]\n\t"                                                     \
  "adoxq %[hi], %[t3]\n\t"                                                     \
  "mulxq %[t7], %[t7], %[hi]\n\t"                                              \
  "adcxq %[t7], %[t3]\n\t"                                                     \
  "movl $0, %k[lo]\n\t"                                                        \
  "adoxq %[lo], %[hi]\n\t"                                                     \
  "adcxq %[lo], %[hi]\n\t"                                                     \
  "imulq $38, %[hi], %[hi]\n\t"                                                \
  "addq %[hi], %[t4]\n\t"                                                      \
  "adcq %[lo], %[t1]\n\t"                                                      \
  "adcq %[lo], %[t2]\n\t"                                                      \
  "adcq %[lo], %[t3]\n\t"                                                      \
  "sbbq %[hi], %[hi]\n\t"                                                      \
  "andq $38, %[hi]\n\t"                                                        \
  "addq %[hi], %[t4]\n\t"

/* h = f * g: tls13_u256_adx.h's product, then the reduction. */
static inline void zn__fe64_mul(zn__fe64 h, const zn__fe64 f,
                                const zn__fe64 g) {
  uint64_t t0, t1, t2, t3, t4, t5, t6, t7, lo, hi, dx;
  __asm__ volatile(
      ZN__U256_MUL_WIDE ZN__FE64_REDUCE
      : [t0] "=&r"(t0), [t1] "=&r"(t1), [t2] "=&r"(t2), [t3] "=&r"(t3),
        [t4] "=&r"(t4), [t5] "=&r"(t5), [t6] "=&r"(t6), [t7] "=&r"(t7),
        [lo] "=&r"(lo), [hi] "=&r"(hi), "=&d"(dx)
      : [f] "r"(f), [g] "r"(g)
      : "cc", "memory");
  h[0] = t4;
  h[1] = t1;
  h[2] = t2;
  h[3] = t3;
}

/* h = f^2: tls13_u256_adx.h's square (10 mulx instead of 16), then the
 * reduction of zn__fe64_mul. */
static inline void zn__fe64_sq(zn__fe64 h, const zn__fe64 f) {
  uint64_t t0, t1, t2, t3, t4, t5, t6, t7, lo, hi, dx;
  __asm__ volatile(
      ZN__U256_SQR_WIDE ZN__FE64_REDUCE
      : [t0] "=&r"(t0), [t1] "=&r"(t1), [t2] "=&r"(t2), [t3] "=&r"(t3),
        [t4] "=&r"(t4), [t5] "=&r"(t5), [t6] "=&r"(t6), [t7] "=&r"(t7),
        [lo] "=&r"(lo), [hi] "=&r"(hi), "=&d"(dx)
      : [f] "r"(f)
      : "cc", "memory");
  h[0] = t4;
  h[1] = t1;
  h[2] = t2;
  h[3] = t3;
}

/* h = f * 121665 + g (§5's a24 * E + AA, one step of the ladder): the
 * product's five words, g added along the same carry, the fifth word
 * (at most 121666) folded times 38. */
static inline void zn__fe64_mul_a24_add(zn__fe64 h, const zn__fe64 f,
                                        const zn__fe64 g) {
  uint64_t h0, h1, h2, h3, c0, c1, dx;
  __asm__ volatile("movl $121665, %%edx\n\t"
                   "mulxq (%[f]), %[h0], %[c0]\n\t"
                   "mulxq 8(%[f]), %[h1], %[c1]\n\t"
                   "addq %[c0], %[h1]\n\t"
                   "mulxq 16(%[f]), %[h2], %[c0]\n\t"
                   "adcq %[c1], %[h2]\n\t"
                   "mulxq 24(%[f]), %[h3], %[c1]\n\t"
                   "adcq %[c0], %[h3]\n\t"
                   "adcq $0, %[c1]\n\t"
                   "addq (%[g]), %[h0]\n\t"
                   "adcq 8(%[g]), %[h1]\n\t"
                   "adcq 16(%[g]), %[h2]\n\t"
                   "adcq 24(%[g]), %[h3]\n\t"
                   "adcq $0, %[c1]\n\t"
                   "imulq $38, %[c1], %[c1]\n\t"
                   "addq %[c1], %[h0]\n\t"
                   "adcq $0, %[h1]\n\t"
                   "adcq $0, %[h2]\n\t"
                   "adcq $0, %[h3]\n\t"
                   "sbbq %[c1], %[c1]\n\t"
                   "andq $38, %[c1]\n\t"
                   "addq %[c1], %[h0]\n\t"
                   : [h0] "=&r"(h0), [h1] "=&r"(h1), [h2] "=&r"(h2),
                     [h3] "=&r"(h3), [c0] "=&r"(c0), [c1] "=&r"(c1), "=&d"(dx)
                   : [f] "r"(f), [g] "r"(g)
                   : "cc", "memory");
  h[0] = h0;
  h[1] = h1;
  h[2] = h2;
  h[3] = h3;
}

/* Swap f and g where mask is all ones. */
static inline void zn__fe64_cswap(zn__fe64 f, zn__fe64 g, uint64_t mask) {
  mask = zn__fe_opaque(mask);
  for (int i = 0; i < 4; i++) {
    uint64_t t = mask & (f[i] ^ g[i]);
    f[i] ^= t;
    g[i] ^= t;
  }
}

/* f = g where mask is all ones. */
static inline void zn__fe64_cmov(zn__fe64 f, const zn__fe64 g, uint64_t mask) {
  mask = zn__fe_opaque(mask);
  for (int i = 0; i < 4; i++)
    f[i] ^= mask & (f[i] ^ g[i]);
}

static inline uint64_t zn__fe64_load64(const uint8_t *p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--)
    v = v << 8 | p[i];
  return v;
}

/* RFC 7748 §5: a u-coordinate's 32 bytes, the top bit masked (the rest
 * may be at or above p: taken modulo p like any other value). */
static inline void zn__fe64_frombytes(zn__fe64 h, const uint8_t s[32]) {
  for (size_t i = 0; i < 4; i++)
    h[i] = zn__fe64_load64(s + 8 * i);
  h[3] &= ZN__FE64_MASK63;
}

/* The canonical encoding.  Bit 255 folded back as 19 leaves t below
 * 2^255 + 19; t + 19 reaches bit 255 exactly when t >= p, and then with
 * that bit cleared it is t - p. */
static inline void zn__fe64_tobytes(uint8_t s[32], const zn__fe64 f) {
  uint64_t t[4] = {f[0], f[1], f[2], f[3] & ZN__FE64_MASK63}, u[4];
  uint64_t fold = 19 * (f[3] >> 63);
  zn__u128 acc = fold;
  for (int i = 0; i < 4; i++) {
    acc += t[i];
    t[i] = (uint64_t)acc;
    acc >>= 64;
  }
  acc = 19;
  for (int i = 0; i < 4; i++) {
    acc += t[i];
    u[i] = (uint64_t)acc;
    acc >>= 64;
  }
  uint64_t ge_p = 0 - (u[3] >> 63);
  u[3] &= ZN__FE64_MASK63;
  zn__fe64_cmov(t, u, ge_p);
  for (int i = 0; i < 4; i++)
    for (int j = 0; j < 8; j++)
      s[8 * i + j] = (uint8_t)(t[i] >> (8 * j));
}

#endif
