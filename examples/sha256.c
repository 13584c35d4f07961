/*
 * SHA-256 as FIPS 180-4 §6.2 gives it: 64-byte blocks, the message
 * schedule W[0..63], eight working variables, and padding of a 1 bit,
 * zeros, and the 64-bit big-endian bit length (§5.1.1).  Whole blocks
 * are hashed straight from the caller's memory; only a partial one is
 * copied.
 */
#include "sha256.h"

#include <string.h>

/* §4.2.2: the first 32 bits of the fractional parts of the cube roots of
 * the first 64 primes. */
static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
    0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
    0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
    0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
    0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
    0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
    0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
    0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static uint32_t rotr(uint32_t x, unsigned n) {
  return (x >> n) | (x << (32 - n));
}

static uint32_t rd32be(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
         (uint32_t)p[3];
}

/* §6.2.2: one 512-bit block into the hash value. */
static void block(uint32_t h[8], const uint8_t *p) {
  uint32_t w[64];
  for (size_t t = 0; t < 16; t++)
    w[t] = rd32be(p + 4 * t);
  for (int t = 16; t < 64; t++) {
    uint32_t s0 = rotr(w[t - 15], 7) ^ rotr(w[t - 15], 18) ^ (w[t - 15] >> 3);
    uint32_t s1 = rotr(w[t - 2], 17) ^ rotr(w[t - 2], 19) ^ (w[t - 2] >> 10);
    w[t] = w[t - 16] + s0 + w[t - 7] + s1;
  }
  uint32_t a = h[0], b = h[1], c = h[2], d = h[3];
  uint32_t e = h[4], f = h[5], g = h[6], k = h[7];
  for (int t = 0; t < 64; t++) {
    uint32_t S1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25);
    uint32_t ch = (e & f) ^ (~e & g);
    uint32_t t1 = k + S1 + ch + K[t] + w[t];
    uint32_t S0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22);
    uint32_t maj = (a & b) ^ (a & c) ^ (b & c);
    uint32_t t2 = S0 + maj;
    k = g;
    g = f;
    f = e;
    e = d + t1;
    d = c;
    c = b;
    b = a;
    a = t1 + t2;
  }
  h[0] += a;
  h[1] += b;
  h[2] += c;
  h[3] += d;
  h[4] += e;
  h[5] += f;
  h[6] += g;
  h[7] += k;
}

void ex_sha256_init(struct ex_sha256 *s) {
  /* §5.3.3: the first 32 bits of the fractional parts of the square roots
   * of the first 8 primes. */
  static const uint32_t h0[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372,
                                 0xa54ff53a, 0x510e527f, 0x9b05688c,
                                 0x1f83d9ab, 0x5be0cd19};
  memcpy(s->h, h0, sizeof(h0));
  s->bytes = 0;
  s->nbuf = 0;
}

void ex_sha256_update(struct ex_sha256 *s, const void *data, size_t len) {
  const uint8_t *p = data;
  s->bytes += len;
  if (s->nbuf) {
    size_t n = 64 - s->nbuf < len ? 64 - s->nbuf : len;
    memcpy(s->buf + s->nbuf, p, n);
    s->nbuf += n;
    p += n;
    len -= n;
    if (s->nbuf < 64)
      return;
    block(s->h, s->buf);
    s->nbuf = 0;
  }
  for (; len >= 64; p += 64, len -= 64)
    block(s->h, p);
  memcpy(s->buf, p, len);
  s->nbuf = len;
}

void ex_sha256_final(struct ex_sha256 *s, uint8_t out[EX_SHA256_LEN]) {
  uint64_t bits = s->bytes * 8u;
  /* §5.1.1: a 1 bit, then zeros up to 56 mod 64, then the length. */
  s->buf[s->nbuf++] = 0x80;
  if (s->nbuf > 56) {
    memset(s->buf + s->nbuf, 0, 64 - s->nbuf);
    block(s->h, s->buf);
    s->nbuf = 0;
  }
  memset(s->buf + s->nbuf, 0, 56 - s->nbuf);
  for (int i = 0; i < 8; i++)
    s->buf[56 + i] = (uint8_t)(bits >> (56 - 8 * i));
  block(s->h, s->buf);
  for (size_t i = 0; i < 8; i++) {
    out[4 * i] = (uint8_t)(s->h[i] >> 24);
    out[4 * i + 1] = (uint8_t)(s->h[i] >> 16);
    out[4 * i + 2] = (uint8_t)(s->h[i] >> 8);
    out[4 * i + 3] = (uint8_t)s->h[i];
  }
}

void ex_sha256_hex(const uint8_t d[EX_SHA256_LEN],
                   char out[EX_SHA256_HEXLEN]) {
  static const char hex[] = "0123456789abcdef";
  for (size_t i = 0; i < EX_SHA256_LEN; i++) {
    out[2 * i] = hex[d[i] >> 4];
    out[2 * i + 1] = hex[d[i] & 15];
  }
  out[EX_SHA256_HEXLEN - 1] = '\0';
}
