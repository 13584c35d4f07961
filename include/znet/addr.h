/** \file
 * Address text conversion, freestanding (no libc).
 */
#ifndef ZNET_ADDR_H
#define ZNET_ADDR_H

#include <stddef.h>
#include <stdint.h>

#define ZN_IPV4(a, b, c, d)                                                   \
  ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 |          \
   (uint32_t)(d))

#define ZN_IPV4_STRLEN 16 /**< "255.255.255.255" + NUL */
#define ZN_MAC_STRLEN 18  /**< "aa:bb:cc:dd:ee:ff" + NUL */

/** Dotted quad, exactly four decimal parts 0..255 without leading zeros
 * beyond one digit ("010" is refused, as it is octal elsewhere).
 * Errors: ZN_EINVAL. */
int zn_ipv4_parse(const char *s, uint32_t *out);

/** "ADDR/PREFIX" (prefix 0..32; "/PREFIX" optional when default_prefix is
 * 0..32).  Errors: ZN_EINVAL. */
int zn_ipv4_parse_cidr(const char *s, uint32_t *addr, uint8_t *prefix,
                       int default_prefix);

/** Writes at most ZN_IPV4_STRLEN bytes, NUL included; returns buf. */
char *zn_ipv4_format(uint32_t addr, char *buf);

/** "aa:bb:cc:dd:ee:ff" or with '-' separators, hex either case.
 * Errors: ZN_EINVAL. */
int zn_mac_parse(const char *s, uint8_t out[6]);

/** Writes ZN_MAC_STRLEN bytes, NUL included; returns buf. */
char *zn_mac_format(const uint8_t mac[6], char *buf);

/** Netmask of a prefix length (0..32). */
static inline uint32_t zn_ipv4_mask(uint8_t prefix) {
  return prefix == 0 ? 0 : (uint32_t)(0xffffffffu << (32 - prefix));
}

#endif /* ZNET_ADDR_H */
