/*
 * Private to dns/: the carving of caller memory into tables, and what
 * connect.c asks of the resolver.  (The codec's own helpers are in
 * wire/dns_wire_int.h.)
 */
#ifndef ZNET_DNS_INT_H
#define ZNET_DNS_INT_H

#include <stddef.h>
#include <stdint.h>

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

struct zn_stack;
struct zn_dns_resolver;
/* The stack a resolver runs on (for connect.c's destination order). */
struct zn_stack *zn__dns_resolver_stack(const struct zn_dns_resolver *r);

#endif /* ZNET_DNS_INT_H */
