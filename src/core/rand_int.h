/* CSPRNG: ChaCha20 (RFC 8439 block function) in counter mode, keyed from
 * the 32-byte seed; after each 64-byte block is used up the next is made.
 * Not for cryptographic keys of long-lived secrets, but unpredictable
 * enough for ISNs, ports, IDs and hash keys, which is what it serves. */
#ifndef ZN_CORE_RAND_INT_H
#define ZN_CORE_RAND_INT_H

#include <stddef.h>
#include <stdint.h>

struct zn__rng {
  uint32_t key[8];
  uint64_t counter;
  uint8_t block[64];
  uint32_t used; /* bytes of block consumed */
};

void zn__rng_init(struct zn__rng *r, const uint8_t seed[32]);
/* The key, counter and unread output cleared (zn_wipe): the generator
 * is dead until zn__rng_init. */
void zn__rng_wipe(struct zn__rng *r);
void zn__rng_bytes(struct zn__rng *r, void *p, size_t len);
uint32_t zn__rng_u32(struct zn__rng *r);
/* Uniform in [0, n), n > 0. */
uint32_t zn__rng_below(struct zn__rng *r, uint32_t n);
/* The raw ChaCha20 block (for tests against RFC 8439 vectors). */
void zn__chacha20_block(const uint32_t key[8], uint32_t counter,
                        const uint32_t nonce[3], uint8_t out[64]);

#endif
