/*
 * SHA-256 (FIPS 180-4), for the examples that check what they move
 * (znet-nc --sha256).  Hosted code, plain C11, no dependencies.
 *
 *     struct ex_sha256 h;
 *     ex_sha256_init(&h);
 *     ex_sha256_update(&h, data, len);   // any number of times
 *     uint8_t d[EX_SHA256_LEN];
 *     ex_sha256_final(&h, d);            // h must be re-initialized after
 */
#ifndef ZN_EXAMPLES_SHA256_H
#define ZN_EXAMPLES_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define EX_SHA256_LEN 32
#define EX_SHA256_HEXLEN 65 /* 64 digits and a NUL */

struct ex_sha256 {
  uint32_t h[8];
  uint64_t bytes;    /* message length so far */
  uint8_t buf[64];   /* a partial block */
  size_t nbuf;
};

void ex_sha256_init(struct ex_sha256 *s);
void ex_sha256_update(struct ex_sha256 *s, const void *data, size_t len);
void ex_sha256_final(struct ex_sha256 *s, uint8_t out[EX_SHA256_LEN]);

/* Lower-case hex of a digest, as sha256sum prints it. */
void ex_sha256_hex(const uint8_t d[EX_SHA256_LEN],
                   char out[EX_SHA256_HEXLEN]);

#endif /* ZN_EXAMPLES_SHA256_H */
