/*
 * Private to src/dns: RDATA layout checks shared by the parser and the
 * builder, and the carving of caller memory into tables.
 */
#ifndef ZNET_DNS_INT_H
#define ZNET_DNS_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* TXT RDATA: one or more character-strings exactly filling len bytes. */
bool zn__dns_txt_ok(const uint8_t *p, size_t len);

/* OPT RDATA: options {code, length, data} exactly filling len bytes (0
 * bytes is well formed). */
bool zn__dns_opts_ok(const uint8_t *p, size_t len);

/* Memory handed to an init function is cut into 16-byte aligned pieces;
 * a *_mem_size() adds zn__dns_carve_size() of each. */
static inline size_t zn__dns_carve_size(size_t size) {
  return ((size + 15u) & ~(size_t)15u) + 16u;
}

static inline void *zn__dns_carve(uint8_t **mem, size_t size) {
  uintptr_t p = ((uintptr_t)*mem + 15u) & ~(uintptr_t)15u;
  *mem = (uint8_t *)p + size;
  return (void *)p;
}

/* The smallest power of two >= n (n <= 1 << 30). */
static inline uint32_t zn__dns_pow2(uint32_t n) {
  uint32_t p = 1;
  while (p < n)
    p <<= 1;
  return p;
}

/* ASCII lower case (DNS names compare ignoring ASCII case, RFC 4343). */
static inline uint8_t zn__dns_lower(uint8_t c) {
  return c >= 'A' && c <= 'Z' ? (uint8_t)(c + ('a' - 'A')) : c;
}

/* n bytes equal ignoring ASCII case. */
static inline bool zn__dns_eq_nocase(const uint8_t *a, const uint8_t *b,
                                     size_t n) {
  for (size_t i = 0; i < n; i++)
    if (zn__dns_lower(a[i]) != zn__dns_lower(b[i]))
      return false;
  return true;
}

struct zn_stack;
struct zn_dns_resolver;
/* The stack a resolver runs on (for connect.c's destination order). */
struct zn_stack *zn__dns_resolver_stack(const struct zn_dns_resolver *r);

#endif /* ZNET_DNS_INT_H */
