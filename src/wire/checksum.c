/*
 * The Internet checksum: RFC 1071 (computation), RFC 1624 (incremental
 * update), and the pseudo-headers of IPv4 (RFC 793/768) and IPv6 (RFC
 * 8200 8.1).
 *
 * The running sum is a 32-bit value congruent, modulo 0xffff, to the
 * ones'-complement sum of the big-endian 16-bit words added so far.  It is
 * zero only if every word added was zero, so folding keeps the usual
 * distinction between +0 and -0 (RFC 1071 section 2).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "znet/wire.h"

/* Fold a 64-bit accumulator to 32 bits with end-around carry.  2^32 is 1
 * modulo 0xffff (0xffffffff == 0xffff * 0x10001), so the value stays
 * congruent, and a non-zero value never folds to zero. */
static uint32_t fold64(uint64_t acc) {
  acc = (acc & 0xffffffffu) + (acc >> 32);
  acc = (acc & 0xffffffffu) + (acc >> 32);
  return (uint32_t)acc;
}

/* Fold a 32-bit running sum to 16 bits with end-around carry. */
static uint16_t fold32(uint32_t sum) {
  sum = (sum & 0xffffu) + (sum >> 16);
  sum = (sum & 0xffffu) + (sum >> 16);
  return (uint16_t)sum;
}

/* Bytes summed between two folds of the accumulator: each 8-byte word
 * adds less than 2^33 (its two 32-bit halves), so 2^27 words cannot
 * overflow 64 bits on top of a folded (32-bit) value. */
#define CSUM_CHUNK ((size_t)1 << 30)

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define CSUM_NATIVE_BE 1
#else
#define CSUM_NATIVE_BE 0
#endif

/* The data are summed as native-order words (8 bytes per load, any
 * alignment, through memcpy), which RFC 1071 §2(B) allows: the ones'-
 * complement sum of byte-swapped words is the byte-swapped sum.  So the
 * folded sum is swapped once at the end on a little-endian machine, then
 * added to `sum`, which is kept in big-endian order.  About half an
 * instruction per byte, against one and more for big-endian loads. */
uint32_t zn_csum_add(uint32_t sum, const void *p, size_t len) {
  const uint8_t *b = p;
  uint64_t acc = 0;
  while (len >= 32) {
    size_t n = len < CSUM_CHUNK ? len : CSUM_CHUNK;
    len -= n & ~(size_t)31;
    for (; n >= 32; n -= 32, b += 32) {
      uint64_t w0, w1, w2, w3;
      memcpy(&w0, b, 8);
      memcpy(&w1, b + 8, 8);
      memcpy(&w2, b + 16, 8);
      memcpy(&w3, b + 24, 8);
      acc += (w0 & 0xffffffffu) + (w0 >> 32) + (w1 & 0xffffffffu) +
             (w1 >> 32) + (w2 & 0xffffffffu) + (w2 >> 32) +
             (w3 & 0xffffffffu) + (w3 >> 32);
    }
    acc = fold64(acc);
  }
  for (; len >= 8; len -= 8, b += 8) { /* headers: 20, 40 bytes */
    uint64_t w;
    memcpy(&w, b, 8);
    acc += (w & 0xffffffffu) + (w >> 32);
  }
  if (len >= 4) {
    uint32_t w;
    memcpy(&w, b, 4);
    acc += w;
    b += 4;
    len -= 4;
  }
  if (len >= 2) {
    uint16_t w;
    memcpy(&w, b, 2);
    acc += w;
    b += 2;
    len -= 2;
  }
  /* An odd last byte is the high byte of a big-endian word padded with
   * zero: in a little-endian word, the low byte. */
  if (len)
    acc += CSUM_NATIVE_BE ? (uint32_t)b[0] << 8 : b[0];
  uint32_t x = fold32(fold64(acc)); /* zero only if every byte was */
  if (!CSUM_NATIVE_BE)
    x = ((x >> 8) | (x << 8)) & 0xffffu;
  return fold64((uint64_t)sum + x);
}

uint16_t zn_csum_fold(uint32_t sum) { return (uint16_t)~fold32(sum); }

uint16_t zn_csum(const void *p, size_t len) {
  return zn_csum_fold(zn_csum_add(0, p, len));
}

/* The five native-order words zn_csum_add would sum for 20 bytes (its two
 * 8-byte words are the same four 4-byte halves), then its fold and swap,
 * and zn_csum_fold of that: the value of zn_csum(p, 20) bit for bit. */
uint16_t zn_csum20(const void *p) {
  uint32_t w[5];
  memcpy(w, p, sizeof(w));
  uint64_t acc = (uint64_t)w[0] + w[1] + w[2] + w[3] + w[4];
  uint32_t x = fold32(fold64(acc));
  if (!CSUM_NATIVE_BE)
    x = ((x >> 8) | (x << 8)) & 0xffffu;
  return (uint16_t)~x;
}

uint32_t zn_csum_pseudo(uint32_t src, uint32_t dst, uint8_t proto,
                        uint16_t len) {
  /* Six terms each below 2^16: no overflow in 32 bits. */
  return (src >> 16) + (src & 0xffffu) + (dst >> 16) + (dst & 0xffffu) +
         proto + len;
}

/* The 40-byte pseudo-header of RFC 8200 8.1: the length and next header
 * are summed as the 8 bytes they occupy there. */
uint32_t zn_csum_pseudo6(const uint8_t src[16], const uint8_t dst[16],
                         uint32_t len, uint8_t nxt) {
  /* The addresses as four native-order words, as zn_csum_add sums; the
   * rest (already host-order values) after the swap. */
  uint64_t w0, w1, w2, w3;
  memcpy(&w0, src, 8);
  memcpy(&w1, src + 8, 8);
  memcpy(&w2, dst, 8);
  memcpy(&w3, dst + 8, 8);
  uint64_t acc = (w0 & 0xffffffffu) + (w0 >> 32) + (w1 & 0xffffffffu) +
                 (w1 >> 32) + (w2 & 0xffffffffu) + (w2 >> 32) +
                 (w3 & 0xffffffffu) + (w3 >> 32);
  uint32_t x = fold32(fold64(acc));
  if (!CSUM_NATIVE_BE)
    x = ((x >> 8) | (x << 8)) & 0xffffu;
  /* Four terms each below 2^16: no overflow in 32 bits. */
  return x + (len >> 16) + (len & 0xffffu) + nxt;
}

/* RFC 1624 eqn. 3, HC' = ~(~HC + ~m + m'): unlike eqn. 2 it never turns a
 * result that recomputation would give as 0x0000 into 0xffff. */
uint16_t zn_csum_partial(uint32_t src, uint32_t dst, uint8_t proto,
                         uint16_t len) {
  return zn_csum_partial_psum(zn_csum_pseudo(src, dst, proto, len));
}

uint16_t zn_csum_partial_psum(uint32_t psum) {
  return (uint16_t)~zn_csum_fold(psum);
}

uint16_t zn_csum_update16(uint16_t csum, uint16_t from, uint16_t to) {
  uint32_t sum = (uint32_t)(uint16_t)~csum + (uint16_t)~from + to;
  return (uint16_t)~fold32(sum);
}

uint16_t zn_csum_update32(uint16_t csum, uint32_t from, uint32_t to) {
  uint32_t sum = (uint32_t)(uint16_t)~csum + (uint16_t)~(from >> 16) +
                 (uint16_t)~from + (to >> 16) + (to & 0xffffu);
  return (uint16_t)~fold32(sum);
}
