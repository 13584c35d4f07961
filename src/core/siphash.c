/* SipHash-2-4 and SipHash-1-3 (Aumasson & Bernstein, 2012), 64-bit output.
 *
 * Written for short inputs (4-tuples, ports, names), where the fixed
 * costs count as much as the rounds: each 8-byte word, and four bytes of
 * the last partial word, is one load (memcpy, byte-swapped on a
 * big-endian host), and the rounds are written out, c and d being
 * constants in each entry point (a loop of two or four rounds cost 3
 * instructions a round for its counter, -O2 not unrolling it).
 *
 * The word entry points (core/hash_int.h) take the message as words the
 * caller built, one or two of them, so nothing is stored to be loaded
 * back and no length is looped over: an IPv4 4-tuple costs about 95
 * instructions under SipHash-1-3 and 140 under SipHash-2-4, where the
 * byte functions took 120 and 170, the serializing around them aside. */
#include "znet/hash.h"

#include <string.h>

#include "core/hash_int.h"

#define SIP_NATIVE_BE ZN__SIP_NATIVE_BE

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

/* The state after the key, before any message word. */
#define SIP_INIT(key)                                                         \
  uint64_t k0 = rd64le(key), k1 = rd64le((key) + 8);                          \
  uint64_t v0 = 0x736f6d6570736575ull ^ k0;                                   \
  uint64_t v1 = 0x646f72616e646f6dull ^ k1;                                   \
  uint64_t v2 = 0x6c7967656e657261ull ^ k0;                                   \
  uint64_t v3 = 0x7465646279746573ull ^ k1

/* One message word m through c rounds. */
#define SIP_WORD(m, c)                                                        \
  do {                                                                        \
    v3 ^= (m);                                                                \
    SIPROUNDS(c);                                                             \
    v0 ^= (m);                                                                \
  } while (0)

/* The finalization: d rounds, the state folded to 64 bits. */
#define SIP_FINAL(d)                                                          \
  do {                                                                        \
    v2 ^= 0xff;                                                               \
    SIPROUNDS(d);                                                             \
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
  SIP_INIT(key);
  const uint8_t *end = in + (len & ~(size_t)7);
  for (; in != end; in += 8) {
    uint64_t m = rd64le(in);
    SIP_WORD(m, c);
  }
  uint64_t b = last_word(in, len);
  SIP_WORD(b, c);
  SIP_FINAL(d);
  return v0 ^ v1 ^ v2 ^ v3;
}

uint64_t zn_siphash24(const uint8_t key[16], const void *data, size_t len) {
  return siphash(key, data, len, 2, 4);
}

uint64_t zn_siphash13(const uint8_t key[16], const void *data, size_t len) {
  return siphash(key, data, len, 1, 3);
}

/* The message of len bytes, len < 8: tail alone, the length on top. */
uint64_t zn__siphash13_w1(const uint8_t key[16], uint64_t tail, uint32_t len) {
  SIP_INIT(key);
  uint64_t b = tail | (uint64_t)len << 56;
  SIP_WORD(b, 1);
  SIP_FINAL(3);
  return v0 ^ v1 ^ v2 ^ v3;
}

/* The message of len bytes, 8 <= len < 16: w0, then tail with the length
 * on top (c rounds each), d rounds to finish. */
static inline __attribute__((always_inline)) uint64_t
siphash_w2(const uint8_t key[16], uint64_t w0, uint64_t tail, uint32_t len,
           int c, int d) {
  SIP_INIT(key);
  uint64_t b = tail | (uint64_t)len << 56;
  SIP_WORD(w0, c);
  SIP_WORD(b, c);
  SIP_FINAL(d);
  return v0 ^ v1 ^ v2 ^ v3;
}

uint64_t zn__siphash13_w2(const uint8_t key[16], uint64_t w0, uint64_t tail,
                          uint32_t len) {
  return siphash_w2(key, w0, tail, len, 1, 3);
}

uint64_t zn__siphash24_w2(const uint8_t key[16], uint64_t w0, uint64_t tail,
                          uint32_t len) {
  return siphash_w2(key, w0, tail, len, 2, 4);
}
