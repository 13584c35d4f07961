/* SipHash-2-4 and SipHash-1-3 (Aumasson & Bernstein, 2012), 64-bit output.
 *
 * Written for short inputs (4-tuples, ports, names), where the fixed
 * costs count as much as the rounds: each 8-byte word, and four bytes of
 * the last partial word, is one load (memcpy, byte-swapped on a
 * big-endian host), and the rounds are written out, c and d being
 * constants in each entry point (a loop of two or four rounds cost 3
 * instructions a round for its counter, -O2 not unrolling it).  An IPv4
 * tuple takes about 150 instructions under SipHash-2-4. */
#include "znet/hash.h"

#include <string.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define SIP_NATIVE_BE 1
#else
#define SIP_NATIVE_BE 0
#endif

#define ROTL64(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                                                              \
  do {                                                                        \
    v0 += v1; v1 = ROTL64(v1, 13); v1 ^= v0; v0 = ROTL64(v0, 32);             \
    v2 += v3; v3 = ROTL64(v3, 16); v3 ^= v2;                                  \
    v0 += v3; v3 = ROTL64(v3, 21); v3 ^= v0;                                  \
    v2 += v1; v1 = ROTL64(v1, 17); v1 ^= v2; v2 = ROTL64(v2, 32);             \
  } while (0)
/* n rounds, n a constant from 1 to 4: straight-line code. */
#define SIPROUNDS(n)                                                          \
  do {                                                                        \
    SIPROUND;                                                                 \
    if ((n) > 1)                                                              \
      SIPROUND;                                                               \
    if ((n) > 2)                                                              \
      SIPROUND;                                                               \
    if ((n) > 3)                                                              \
      SIPROUND;                                                               \
  } while (0)

static inline uint64_t rd64le(const uint8_t *p) {
  uint64_t v;
  memcpy(&v, p, sizeof(v));
  return SIP_NATIVE_BE ? __builtin_bswap64(v) : v;
}

static inline uint64_t rd32le(const uint8_t *p) {
  uint32_t v;
  memcpy(&v, p, sizeof(v));
  return SIP_NATIVE_BE ? __builtin_bswap32(v) : v;
}

/* The last word: the len & 7 bytes left at p (four of them in one
 * load when there are), and the length's low byte in the top byte. */
static inline uint64_t last_word(const uint8_t *p, size_t len) {
  uint64_t b = (uint64_t)len << 56;
  size_t n = len & 7u, i = 0;
  if (n >= 4) {
    b |= rd32le(p);
    i = 4;
  }
  for (; i < n; i++)
    b |= (uint64_t)p[i] << (8 * i);
  return b;
}

/* SipHash-c-d: c rounds per message word, d at the end (constants:
 * always inlined into the entry points below). */
static inline __attribute__((always_inline)) uint64_t
siphash(const uint8_t key[16], const void *data, size_t len, int c, int d) {
  const uint8_t *in = data;
  uint64_t k0 = rd64le(key), k1 = rd64le(key + 8);
  uint64_t v0 = 0x736f6d6570736575ull ^ k0;
  uint64_t v1 = 0x646f72616e646f6dull ^ k1;
  uint64_t v2 = 0x6c7967656e657261ull ^ k0;
  uint64_t v3 = 0x7465646279746573ull ^ k1;
  const uint8_t *end = in + (len & ~(size_t)7);
  for (; in != end; in += 8) {
    uint64_t m = rd64le(in);
    v3 ^= m;
    SIPROUNDS(c);
    v0 ^= m;
  }
  uint64_t b = last_word(in, len);
  v3 ^= b;
  SIPROUNDS(c);
  v0 ^= b;
  v2 ^= 0xff;
  SIPROUNDS(d);
  return v0 ^ v1 ^ v2 ^ v3;
}

uint64_t zn_siphash24(const uint8_t key[16], const void *data, size_t len) {
  return siphash(key, data, len, 2, 4);
}

uint64_t zn_siphash13(const uint8_t key[16], const void *data, size_t len) {
  return siphash(key, data, len, 1, 3);
}
