/*
 * 256 by 256-bit products in four saturated 64-bit words with BMI2's
 * mulx and ADX's adcx and adox, as GNU inline assembly fragments, and
 * P-256's field products built on them (tls13_p256.c; the portable ones
 * are tls13_u256.h's mont_mul_p256 and mont_sqr_p256).  GF(2^255 - 19)
 * takes the same products with its own reduction (tls13_fe25519_adx.h).
 * Only for CPUs with both extensions; anywhere else an illegal
 * instruction.
 *
 * The fragments name their operands: the factors' pointers [f] and [g],
 * the product's words [t0] to [t7] (least significant first), two
 * scratch registers [lo] and [hi], and rdx, which mulx takes one factor
 * from.  Like tls13_fe25519_adx.h's, the functions read their inputs
 * through pointers with a "memory" clobber and are volatile (that
 * header says why), use general registers only (Solo5's
 * -mgeneral-regs-only), and need no target attribute: the assembler
 * takes the instructions whatever the compiler's target.
 *
 * Constant time: no branch; the last subtraction of the reduction
 * chooses by cmov on its borrow.
 */
#ifndef ZNET_TLS13_U256_ADX_H
#define ZNET_TLS13_U256_ADX_H

#include <stdint.h>

/* One row of a product: f * g[i] (g's word at byte offset OFF) added
 * into the partial sum's words x0..x3, its top word written to x4.  The
 * low halves go along the CF chain (adcx), the high halves along OF
 * (adox), both cleared by the xor and both ended into x4 (the partial
 * sum fits, so x4 cannot overflow); mov does not touch the flags. */
#define ZN__U256_ROW(OFF, x0, x1, x2, x3, x4)                                  \
  "movq " OFF "(%[g]), %%rdx\n\t"                                              \
  "xorl %k[lo], %k[lo]\n\t"                                                    \
  "mulxq (%[f]), %[lo], %[hi]\n\t"                                             \
  "adcxq %[lo], %[" #x0 "]\n\t"                                                \
  "adoxq %[hi], %[" #x1 "]\n\t"                                                \
  "mulxq 8(%[f]), %[lo], %[hi]\n\t"                                            \
  "adcxq %[lo], %[" #x1 "]\n\t"                                                \
  "adoxq %[hi], %[" #x2 "]\n\t"                                                \
  "mulxq 16(%[f]), %[lo], %[hi]\n\t"                                           \
  "adcxq %[lo], %[" #x2 "]\n\t"                                                \
  "adoxq %[hi], %[" #x3 "]\n\t"                                                \
  "mulxq 24(%[f]), %[lo], %[" #x4 "]\n\t"                                      \
  "adcxq %[lo], %[" #x3 "]\n\t"                                                \
  "movl $0, %k[lo]\n\t"                                                        \
  "adoxq %[lo], %[" #x4 "]\n\t"                                                \
  "adcxq %[lo], %[" #x4 "]\n\t"

/* t0..t7 = f * g: row 0 with plain add and adc (nothing to add into
 * yet), rows 1 to 3 with both chains.  16 mulx. */
#define ZN__U256_MUL_WIDE                                                      \
  "movq (%[g]), %%rdx\n\t"                                                     \
  "mulxq (%[f]), %[t0], %[t1]\n\t"                                             \
  "mulxq 8(%[f]), %[lo], %[t2]\n\t"                                            \
  "addq %[lo], %[t1]\n\t"                                                      \
  "mulxq 16(%[f]), %[lo], %[t3]\n\t"                                           \
  "adcq %[lo], %[t2]\n\t"                                                      \
  "mulxq 24(%[f]), %[lo], %[t4]\n\t"                                           \
  "adcq %[lo], %[t3]\n\t"                                                      \
  "adcq $0, %[t4]\n\t" ZN__U256_ROW("8", t1, t2, t3, t4, t5)                   \
      ZN__U256_ROW("16", t2, t3, t4, t5, t6)                                   \
          ZN__U256_ROW("24", t3, t4, t5, t6, t7)

/* t0..t7 = f^2 with 10 mulx instead of 16: the six products f_i f_j,
 * i < j, summed once (a row each for f_0 and f_1, one product for f_2),
 * doubled by an add chain whose carry is the seventh word, and the four
 * squares f_i^2 added along one chain. */
#define ZN__U256_SQR_WIDE                                                      \
  "movq (%[f]), %%rdx\n\t"                                                     \
  "mulxq 8(%[f]), %[t1], %[t2]\n\t"                                            \
  "mulxq 16(%[f]), %[lo], %[t3]\n\t"                                           \
  "addq %[lo], %[t2]\n\t"                                                      \
  "mulxq 24(%[f]), %[lo], %[t4]\n\t"                                           \
  "adcq %[lo], %[t3]\n\t"                                                      \
  "adcq $0, %[t4]\n\t"                                                         \
  "movq 8(%[f]), %%rdx\n\t"                                                    \
  "xorl %k[lo], %k[lo]\n\t"                                                    \
  "mulxq 16(%[f]), %[lo], %[hi]\n\t"                                           \
  "adcxq %[lo], %[t3]\n\t"                                                     \
  "adoxq %[hi], %[t4]\n\t"                                                     \
  "mulxq 24(%[f]), %[lo], %[t5]\n\t"                                           \
  "adcxq %[lo], %[t4]\n\t"                                                     \
  "movl $0, %k[lo]\n\t"                                                        \
  "adoxq %[lo], %[t5]\n\t"                                                     \
  "adcxq %[lo], %[t5]\n\t"                                                     \
  "movq 16(%[f]), %%rdx\n\t"                                                   \
  "mulxq 24(%[f]), %[lo], %[t6]\n\t"                                           \
  "addq %[lo], %[t5]\n\t"                                                      \
  "adcq $0, %[t6]\n\t"                                                         \
  "xorl %k[t7], %k[t7]\n\t"                                                    \
  "addq %[t1], %[t1]\n\t"                                                      \
  "adcq %[t2], %[t2]\n\t"                                                      \
  "adcq %[t3], %[t3]\n\t"                                                      \
  "adcq %[t4], %[t4]\n\t"                                                      \
  "adcq %[t5], %[t5]\n\t"                                                      \
  "adcq %[t6], %[t6]\n\t"                                                      \
  "adcq %[t7], %[t7]\n\t"                                                      \
  "movq (%[f]), %%rdx\n\t"                                                     \
  "mulxq %%rdx, %[t0], %[hi]\n\t"                                              \
  "addq %[hi], %[t1]\n\t"                                                      \
  "movq 8(%[f]), %%rdx\n\t"                                                    \
  "mulxq %%rdx, %[lo], %[hi]\n\t"                                              \
  "adcq %[lo], %[t2]\n\t"                                                      \
  "adcq %[hi], %[t3]\n\t"                                                      \
  "movq 16(%[f]), %%rdx\n\t"                                                   \
  "mulxq %%rdx, %[lo], %[hi]\n\t"                                              \
  "adcq %[lo], %[t4]\n\t"                                                      \
  "adcq %[hi], %[t5]\n\t"                                                      \
  "movq 24(%[f]), %%rdx\n\t"                                                   \
  "mulxq %%rdx, %[lo], %[hi]\n\t"                                              \
  "adcq %[lo], %[t6]\n\t"                                                      \
  "adcq %[hi], %[t7]\n\t"

/* One step of Montgomery reduction modulo P-256's p (tls13_u256.h's
 * mont_redc_p256_step): q = ti, and t + q p adds q 2^32 at word i + 1,
 * q >> 32 with it at word i + 2 (together q 2^96 - q + q: word i is
 * cleared without a borrow), and q p3 (p's top word) at words i + 3 and
 * i + 4.  HC, the carry the step before left above its words, goes
 * into the high half of q p3 first (that half is below p3, so the sum
 * cannot wrap); the step's own carry out is left in ti's register, free
 * by then, for the next step. */
#define ZN__P256_REDC_STEP(ti, x1, x2, x3, x4, HC)                             \
  "movq %[" #ti "], %%rdx\n\t"                                                 \
  "movabsq $0xffffffff00000001, %[lo]\n\t"                                     \
  "mulxq %[lo], %[lo], %[hi]\n\t"                                              \
  "shlq $32, %[" #ti "]\n\t"                                                   \
  "shrq $32, %%rdx\n\t"                                                        \
  "addq " HC ", %[hi]\n\t"                                                     \
  "addq %[" #ti "], %[" #x1 "]\n\t"                                            \
  "adcq %%rdx, %[" #x2 "]\n\t"                                                 \
  "adcq %[lo], %[" #x3 "]\n\t"                                                 \
  "adcq %[hi], %[" #x4 "]\n\t"                                                 \
  "movl $0, %k[" #ti "]\n\t"                                                   \
  "adcq $0, %[" #ti "]\n\t"

/* t0..t7 (a product of two values below p) to t / R mod p, left in t0,
 * t1, t2, hi: four steps (the first with no carry in) leave the carry
 * in t3 and t4..t7, below 2p together; u = that - p goes to t0, t1, t2,
 * hi (p's words: all ones, 2^32 - 1, zero, p3), and where that borrowed
 * past the carry, t4..t7 come back by cmov. */
#define ZN__P256_REDC                                                          \
  ZN__P256_REDC_STEP(t0, t1, t2, t3, t4, "$0")                                 \
  ZN__P256_REDC_STEP(t1, t2, t3, t4, t5, "%[t0]")                              \
  ZN__P256_REDC_STEP(t2, t3, t4, t5, t6, "%[t1]")                              \
  ZN__P256_REDC_STEP(t3, t4, t5, t6, t7, "%[t2]")                              \
  "movq %[t4], %[t0]\n\t"                                                      \
  "movl $0xffffffff, %k[lo]\n\t"                                               \
  "subq $-1, %[t0]\n\t"                                                        \
  "movq %[t5], %[t1]\n\t"                                                      \
  "sbbq %[lo], %[t1]\n\t"                                                      \
  "movq %[t6], %[t2]\n\t"                                                      \
  "sbbq $0, %[t2]\n\t"                                                         \
  "movabsq $0xffffffff00000001, %[lo]\n\t"                                     \
  "movq %[t7], %[hi]\n\t"                                                      \
  "sbbq %[lo], %[hi]\n\t"                                                      \
  "sbbq $0, %[t3]\n\t"                                                         \
  "cmovcq %[t4], %[t0]\n\t"                                                    \
  "cmovcq %[t5], %[t1]\n\t"                                                    \
  "cmovcq %[t6], %[t2]\n\t"                                                    \
  "cmovcq %[t7], %[hi]\n\t"

/* r = a b / R mod p and r = a^2 / R mod p, a and b below p (r may be
 * either): mont_mul_p256 and mont_sqr_p256 with 20 and 14 mulx. */
static inline void mont_mul_p256_adx(uint64_t r[4], const uint64_t a[4],
                                     const uint64_t b[4]) {
  uint64_t t0, t1, t2, t3, t4, t5, t6, t7, lo, hi, dx;
  __asm__ volatile(
      ZN__U256_MUL_WIDE ZN__P256_REDC
      : [t0] "=&r"(t0), [t1] "=&r"(t1), [t2] "=&r"(t2), [t3] "=&r"(t3),
        [t4] "=&r"(t4), [t5] "=&r"(t5), [t6] "=&r"(t6), [t7] "=&r"(t7),
        [lo] "=&r"(lo), [hi] "=&r"(hi), "=&d"(dx)
      : [f] "r"(a), [g] "r"(b)
      : "cc", "memory");
  r[0] = t0;
  r[1] = t1;
  r[2] = t2;
  r[3] = hi;
}

static inline void mont_sqr_p256_adx(uint64_t r[4], const uint64_t a[4]) {
  uint64_t t0, t1, t2, t3, t4, t5, t6, t7, lo, hi, dx;
  __asm__ volatile(
      ZN__U256_SQR_WIDE ZN__P256_REDC
      : [t0] "=&r"(t0), [t1] "=&r"(t1), [t2] "=&r"(t2), [t3] "=&r"(t3),
        [t4] "=&r"(t4), [t5] "=&r"(t5), [t6] "=&r"(t6), [t7] "=&r"(t7),
        [lo] "=&r"(lo), [hi] "=&r"(hi), "=&d"(dx)
      : [f] "r"(a)
      : "cc", "memory");
  r[0] = t0;
  r[1] = t1;
  r[2] = t2;
  r[3] = hi;
}

#endif /* ZNET_TLS13_U256_ADX_H */
