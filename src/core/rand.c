/* ChaCha20 (RFC 8439 §2.3) as a counter-mode CSPRNG keyed by the seed. */
#include <string.h>

#include "core/rand_int.h"
#include "znet/wipe.h"

#define ROTL32(v, n) ((uint32_t)((v) << (n)) | ((v) >> (32 - (n))))
#define QR(a, b, c, d)                                                        \
  do {                                                                        \
    (a) += (b); (d) ^= (a); (d) = ROTL32(d, 16);                              \
    (c) += (d); (b) ^= (c); (b) = ROTL32(b, 12);                              \
    (a) += (b); (d) ^= (a); (d) = ROTL32(d, 8);                               \
    (c) += (d); (b) ^= (c); (b) = ROTL32(b, 7);                               \
  } while (0)

static uint32_t rd32le(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
         (uint32_t)p[3] << 24;
}

void zn__chacha20_block(const uint32_t key[8], uint32_t counter,
                        const uint32_t nonce[3], uint8_t out[64]) {
  uint32_t s[16] = {0x61707865u, 0x3320646eu, 0x79622d32u, 0x6b206574u};
  for (int i = 0; i < 8; i++)
    s[4 + i] = key[i];
  s[12] = counter;
  s[13] = nonce[0];
  s[14] = nonce[1];
  s[15] = nonce[2];
  uint32_t x[16];
  memcpy(x, s, sizeof(x));
  for (int i = 0; i < 10; i++) {
    QR(x[0], x[4], x[8], x[12]);
    QR(x[1], x[5], x[9], x[13]);
    QR(x[2], x[6], x[10], x[14]);
    QR(x[3], x[7], x[11], x[15]);
    QR(x[0], x[5], x[10], x[15]);
    QR(x[1], x[6], x[11], x[12]);
    QR(x[2], x[7], x[8], x[13]);
    QR(x[3], x[4], x[9], x[14]);
  }
  for (size_t i = 0; i < 16; i++) {
    uint32_t v = x[i] + s[i];
    out[4 * i] = (uint8_t)v;
    out[4 * i + 1] = (uint8_t)(v >> 8);
    out[4 * i + 2] = (uint8_t)(v >> 16);
    out[4 * i + 3] = (uint8_t)(v >> 24);
  }
  /* s holds the key, x the keystream less it. */
  zn_wipe(s, sizeof(s));
  zn_wipe(x, sizeof(x));
}

static void refill(struct zn__rng *r) {
  /* The 64-bit block counter is split over the 32-bit counter word and
   * the first nonce word, so the stream never repeats. */
  uint32_t nonce[3] = {(uint32_t)(r->counter >> 32), 0, 0};
  zn__chacha20_block(r->key, (uint32_t)r->counter, nonce, r->block);
  r->counter++;
  r->used = 0;
}

void zn__rng_init(struct zn__rng *r, const uint8_t seed[32]) {
  for (size_t i = 0; i < 8; i++)
    r->key[i] = rd32le(seed + 4 * i);
  r->counter = 0;
  r->used = 64;
}

void zn__rng_wipe(struct zn__rng *r) { zn_wipe(r, sizeof(*r)); }

void zn__rng_bytes(struct zn__rng *r, void *p, size_t len) {
  uint8_t *o = p;
  while (len > 0) {
    if (r->used == 64)
      refill(r);
    size_t n = 64u - r->used;
    if (n > len)
      n = len;
    memcpy(o, r->block + r->used, n);
    /* Erase what was handed out, so a later memory disclosure cannot
     * reveal past outputs.  (A plain memset: the block lives on in the
     * stack, so the store is not a dead one; zn_wipe is for memory at
     * the end of its life.) */
    memset(r->block + r->used, 0, n);
    r->used += (uint32_t)n;
    o += n;
    len -= n;
  }
}

uint32_t zn__rng_u32(struct zn__rng *r) {
  uint8_t b[4];
  zn__rng_bytes(r, b, 4);
  return rd32le(b);
}

uint32_t zn__rng_below(struct zn__rng *r, uint32_t n) {
  /* Lemire's multiply-shift with rejection: unbiased. */
  uint64_t m = (uint64_t)zn__rng_u32(r) * n;
  uint32_t l = (uint32_t)m;
  if (l < n) {
    uint32_t t = (uint32_t)(-n) % n;
    while (l < t) {
      m = (uint64_t)zn__rng_u32(r) * n;
      l = (uint32_t)m;
    }
  }
  return (uint32_t)(m >> 32);
}
