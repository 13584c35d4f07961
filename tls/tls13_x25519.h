/*
 * X25519's two implementations (tls13_x25519.c): the portable one over
 * tls13_fe25519.h's 51-bit limbs, and one over four saturated 64-bit
 * words with the mulx, adcx and adox instructions of BMI2 and ADX
 * (tls13_x25519_adx.c), which x86-64 CPUs since Broadwell and Zen have.
 * zn__x25519 and zn__x25519_base (tls13_crypto.h) ask the CPU once and
 * take the faster path each call; the tests and tests/tls/ct_check.c
 * call each path by name, so that both are checked on every machine
 * that can run them.  Same contracts as zn__x25519 and zn__x25519_base.
 */
#ifndef ZNET_TLS13_X25519_H
#define ZNET_TLS13_X25519_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* The portable path, any x86-64 (or any 64-bit) CPU. */
void zn__x25519_c(uint8_t out[32], const uint8_t scalar[32],
                  const uint8_t point[32]);
void zn__x25519_base_c(uint8_t out[32], const uint8_t scalar[32]);

/* The BMI2 and ADX path: only where zn__x25519_has_adx() (an illegal
 * instruction elsewhere). */
void zn__x25519_adx(uint8_t out[32], const uint8_t scalar[32],
                    const uint8_t point[32]);
void zn__x25519_base_adx(uint8_t out[32], const uint8_t scalar[32]);

/* Whether this CPU has BMI2 and ADX (CPUID leaf 7), asked once. */
bool zn__x25519_has_adx(void);

/* |e| 256^row B, B the base point, from tls13_x25519_table.h's row (e in
 * [-8, 8], row 0..31), as twelve words: y + x, y - x and 2 d x y, four
 * each, every entry of the row read and the one wanted kept by masks (e
 * = 0 the identity: 1, 1, 0).  Returns all ones if e < 0, for the
 * caller's negation.  Both paths' lookups, so one copy of the table's
 * 24 KiB and of the constant-time selection. */
uint64_t zn__x25519_row_words(uint64_t w[12], int row, int8_t e);

/* RFC 7748 §5: decodeScalar25519. */
static inline void zn__x25519_clamp(uint8_t k[32], const uint8_t scalar[32]) {
  memcpy(k, scalar, 32);
  k[0] &= 248;
  k[31] &= 127;
  k[31] |= 64;
}

/* k = sum(e_i 16^i) with every e_i in [-8, 8]: each nibble from 8 up
 * becomes itself - 16 and carries one into the next.  The clamped top
 * nibble is at most 7, so the last digit stays within 8 and no carry is
 * left. */
static inline void zn__x25519_recode(int8_t e[64], const uint8_t k[32]) {
  int carry = 0;
  for (int i = 0; i < 64; i++) {
    int v = ((k[i >> 1] >> (4 * (i & 1))) & 15) + carry;
    carry = i < 63 ? (v + 8) >> 4 : 0;
    e[i] = (int8_t)(v - 16 * carry);
  }
}

#endif
