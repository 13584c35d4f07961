/*
 * Writing TLS 1.3 handshake messages (RFC 8446 §3's presentation
 * language) into a fixed buffer: bytes, integers, and lengths opened
 * before what they measure and filled in once it is written.  A writer
 * that runs out of room stops writing and says so (full), so a message
 * is written without a check per field and refused once, at the end.
 */
#ifndef ZNET_TLS13_W_H
#define ZNET_TLS13_W_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct tls13_w {
  uint8_t *b;
  size_t n, cap;
  bool full;
};

static inline void w_bytes(struct tls13_w *w, const void *p, size_t len) {
  if (w->full || len > w->cap - w->n) {
    w->full = true;
    return;
  }
  if (len)
    memcpy(w->b + w->n, p, len);
  w->n += len;
}

static inline void w_u8(struct tls13_w *w, unsigned v) {
  uint8_t b = (uint8_t)v;
  w_bytes(w, &b, 1);
}

static inline void w_u16(struct tls13_w *w, unsigned v) {
  uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
  w_bytes(w, b, 2);
}

static inline void w_u24(struct tls13_w *w, size_t v) {
  uint8_t b[3] = {(uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
  w_bytes(w, b, 3);
}

/* Open a length of `bytes` bytes: its place, filled by w_close. */
static inline size_t w_open(struct tls13_w *w, int bytes) {
  size_t at = w->n;
  static const uint8_t zero[3];
  w_bytes(w, zero, (size_t)bytes);
  return at;
}

static inline void w_close(struct tls13_w *w, size_t at, int bytes) {
  if (w->full)
    return;
  size_t len = w->n - at - (size_t)bytes;
  for (int i = bytes - 1; i >= 0; i--, len >>= 8)
    w->b[at + (size_t)i] = (uint8_t)len;
}

/* A handshake message's header (§4): its type, its length opened. */
static inline size_t w_hs_header(struct tls13_w *w, uint8_t type) {
  w_u8(w, type);
  return w_open(w, 3);
}

#endif /* ZNET_TLS13_W_H */
