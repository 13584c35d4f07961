/*
 * Private to the DNS codec (znet/dns_wire.h): the RDATA layout checks
 * that the parser (dns.c) and the builder (dns_build.c) share, and ASCII
 * case folding (RFC 4343), which names compare with and which the answer
 * cache and the blocklist of src/dns key on.
 */
#ifndef ZN_WIRE_DNS_WIRE_INT_H
#define ZN_WIRE_DNS_WIRE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* TXT RDATA: one or more character-strings exactly filling len bytes. */
bool zn__dns_txt_ok(const uint8_t *p, size_t len);

/* OPT RDATA: options {code, length, data} exactly filling len bytes (0
 * bytes is well formed). */
bool zn__dns_opts_ok(const uint8_t *p, size_t len);

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

#endif /* ZN_WIRE_DNS_WIRE_INT_H */
