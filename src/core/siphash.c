/* SipHash-2-4 and SipHash-1-3 (Aumasson & Bernstein, 2012), 64-bit output. */
#include "znet/hash.h"

#define ROTL64(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                                                              \
  do {                                                                        \
    v0 += v1; v1 = ROTL64(v1, 13); v1 ^= v0; v0 = ROTL64(v0, 32);             \
    v2 += v3; v3 = ROTL64(v3, 16); v3 ^= v2;                                  \
    v0 += v3; v3 = ROTL64(v3, 21); v3 ^= v0;                                  \
    v2 += v1; v1 = ROTL64(v1, 17); v1 ^= v2; v2 = ROTL64(v2, 32);             \
  } while (0)

static uint64_t rd64le(const uint8_t *p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--)
    v = v << 8 | p[i];
  return v;
}

/* SipHash-c-d: c rounds per message block, d at the end. */
static inline uint64_t siphash(const uint8_t key[16], const void *data,
                               size_t len, int c, int d) {
  const uint8_t *in = data;
  uint64_t k0 = rd64le(key), k1 = rd64le(key + 8);
  uint64_t v0 = 0x736f6d6570736575ull ^ k0;
  uint64_t v1 = 0x646f72616e646f6dull ^ k1;
  uint64_t v2 = 0x6c7967656e657261ull ^ k0;
  uint64_t v3 = 0x7465646279746573ull ^ k1;
  size_t whole = len & ~(size_t)7;
  for (size_t i = 0; i < whole; i += 8) {
    uint64_t m = rd64le(in + i);
    v3 ^= m;
    for (int r = 0; r < c; r++)
      SIPROUND;
    v0 ^= m;
  }
  uint64_t b = (uint64_t)len << 56;
  for (size_t i = 0; i < (len & 7u); i++)
    b |= (uint64_t)in[whole + i] << (8 * i);
  v3 ^= b;
  for (int r = 0; r < c; r++)
    SIPROUND;
  v0 ^= b;
  v2 ^= 0xff;
  for (int r = 0; r < d; r++)
    SIPROUND;
  return v0 ^ v1 ^ v2 ^ v3;
}

uint64_t zn_siphash24(const uint8_t key[16], const void *data, size_t len) {
  return siphash(key, data, len, 2, 4);
}

uint64_t zn_siphash13(const uint8_t key[16], const void *data, size_t len) {
  return siphash(key, data, len, 1, 3);
}
