/* Sequence-number arithmetic modulo 2^32 (RFC 9293 §3.4): compare by the
 * sign of the 32-bit difference. */
#ifndef ZN_TCP_SEQ_H
#define ZN_TCP_SEQ_H

#include <stdbool.h>
#include <stdint.h>

static inline int32_t zn__seq_diff(uint32_t a, uint32_t b) {
  return (int32_t)(a - b);
}
static inline bool zn__seq_lt(uint32_t a, uint32_t b) { return zn__seq_diff(a, b) < 0; }
static inline bool zn__seq_leq(uint32_t a, uint32_t b) { return zn__seq_diff(a, b) <= 0; }
static inline bool zn__seq_gt(uint32_t a, uint32_t b) { return zn__seq_diff(a, b) > 0; }
static inline bool zn__seq_geq(uint32_t a, uint32_t b) { return zn__seq_diff(a, b) >= 0; }
static inline uint32_t zn__seq_max(uint32_t a, uint32_t b) { return zn__seq_gt(a, b) ? a : b; }
static inline uint32_t zn__seq_min(uint32_t a, uint32_t b) { return zn__seq_lt(a, b) ? a : b; }
/* lo <= x < hi */
static inline bool zn__seq_in(uint32_t x, uint32_t lo, uint32_t hi) {
  return zn__seq_geq(x, lo) && zn__seq_lt(x, hi);
}

#endif
