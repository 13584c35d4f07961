/*
 * Hex for the TLS 1.3 tests: test vectors written as hex strings (pairs
 * of digits, spaces between pairs allowed) decoded into bytes.  A typo
 * in a vector aborts the test.
 */
#ifndef ZNET_TEST_TLS_HEX_H
#define ZNET_TEST_TLS_HEX_H

#include <stdint.h>
#include <stdlib.h>

static inline int th_nibble(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  abort(); /* a typo in a vector */
}

/* Decode hex into out (cap bytes); its length. */
static inline size_t unhex(const char *hex, uint8_t *out, size_t cap) {
  size_t n = 0;
  while (*hex) {
    if (*hex == ' ') {
      hex++;
      continue;
    }
    if (n == cap || hex[1] == '\0')
      abort();
    out[n++] = (uint8_t)(th_nibble(hex[0]) << 4 | th_nibble(hex[1]));
    hex += 2;
  }
  return n;
}

/* A vector decoded, by value. */
struct blob {
  uint8_t b[4096];
  size_t n;
};

static inline struct blob B(const char *hex) {
  struct blob x;
  x.n = unhex(hex, x.b, sizeof(x.b));
  return x;
}

#endif /* ZNET_TEST_TLS_HEX_H */
