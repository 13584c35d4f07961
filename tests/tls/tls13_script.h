/* What the TLS 1.3 tests that script a peer byte by byte share
 * (test_tls13_server.c's client, test_tls13_client.c's server): writing
 * a 2-byte length, cutting whole records out of what TCP delivered, and
 * whole handshake messages out of the handshake bytes gathered. */
#ifndef TESTS_TLS_TLS13_SCRIPT_H
#define TESTS_TLS_TLS13_SCRIPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline size_t p16(uint8_t *p, unsigned v) {
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
  return 2;
}

/* The next whole record of rx (rx_len bytes, *off of them taken): its
 * type, where it starts (header included) and its body's length; false
 * if it is not all there yet. */
static inline bool ts_next_record(uint8_t *rx, size_t rx_len, size_t *off,
                                  uint8_t *type, uint8_t **rec, size_t *len) {
  if (rx_len - *off < 5)
    return false;
  uint8_t *r = rx + *off;
  size_t l = (size_t)r[3] << 8 | r[4];
  if (rx_len - *off < 5 + l)
    return false;
  *type = r[0];
  *rec = r;
  *len = l;
  *off += 5 + l;
  return true;
}

/* The first whole handshake message of hs (*hs_len bytes) into out (cap
 * bytes), taken off hs: its length, 0 if none (or it does not fit). */
static inline size_t ts_take_msg(uint8_t *hs, size_t *hs_len, uint8_t *out,
                                 size_t cap) {
  if (*hs_len < 4)
    return 0;
  size_t len = 4 + ((size_t)hs[1] << 16 | (size_t)hs[2] << 8 | hs[3]);
  if (*hs_len < len || len > cap)
    return 0;
  memcpy(out, hs, len);
  memmove(hs, hs + len, *hs_len - len);
  *hs_len -= len;
  return len;
}

#endif /* TESTS_TLS_TLS13_SCRIPT_H */
