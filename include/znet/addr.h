/** \file
 * Addresses of either IP family, and their text forms; freestanding (no
 * libc).
 *
 * struct zn_ip holds an IPv4 or an IPv6 address.  IPv4 addresses are also
 * used as uint32_t in host order across the IPv4 code (ZN_IPV4(10, 0, 0,
 * 1)); zn_ip_from_v4() and zn_ip_v4() convert.  Text: dotted quads for
 * IPv4; for IPv6 every form of RFC 4291 §2.2 is read (groups of up to four
 * hex digits, one `::`, a trailing dotted quad), and the one form of RFC
 * 5952 is written (lower case, no leading zeros, the longest run of two
 * or more zero groups as `::`, the first of equal runs, an IPv4-mapped
 * address with its last 32 bits as a dotted quad).  Zone identifiers
 * (an interface name after a '%') are not accepted.
 */
#ifndef ZNET_ADDR_H
#define ZNET_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define ZN_IPV4(a, b, c, d)                                                   \
  ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 |          \
   (uint32_t)(d))

#define ZN_IPV4_STRLEN 16 /**< "255.255.255.255" + NUL */
#define ZN_MAC_STRLEN 18  /**< "aa:bb:cc:dd:ee:ff" + NUL */
/** "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255" + NUL: the longest
 * IPv6 text zn_ipv6_format() can write, and so any zn_ip_format(). */
#define ZN_IPV6_STRLEN 46
#define ZN_IP_STRLEN ZN_IPV6_STRLEN /**< any family */

/** The family of a struct zn_ip. */
enum zn_ip_family {
  ZN_AF_NONE = 0,  /**< no address (all bytes zero) */
  ZN_AF_INET = 4,  /**< IPv4: bytes[0..3] in network order, the rest 0 */
  ZN_AF_INET6 = 6, /**< IPv6: bytes[0..15] in network order */
};

/** An IP address of either family.  Compare with zn_ip_eq(), not memcmp:
 * a struct may carry padding. */
struct zn_ip {
  uint8_t family;    /**< enum zn_ip_family */
  uint8_t bytes[16]; /**< network order; beyond the family's size, 0 */
};

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

/** The IPv4 address a (host order) as a struct zn_ip. */
static inline struct zn_ip zn_ip_from_v4(uint32_t a) {
  struct zn_ip ip = {ZN_AF_INET,
                     {(uint8_t)(a >> 24), (uint8_t)(a >> 16),
                      (uint8_t)(a >> 8), (uint8_t)a}};
  return ip;
}

/** The IPv6 address at b (16 bytes, network order) as a struct zn_ip. */
static inline struct zn_ip zn_ip_from_v6(const uint8_t b[16]) {
  struct zn_ip ip = {ZN_AF_INET6, {0}};
  memcpy(ip.bytes, b, 16);
  return ip;
}

/** An IPv4 address in host order; 0 for any other family. */
static inline uint32_t zn_ip_v4(const struct zn_ip *ip) {
  if (ip->family != ZN_AF_INET)
    return 0;
  return (uint32_t)ip->bytes[0] << 24 | (uint32_t)ip->bytes[1] << 16 |
         (uint32_t)ip->bytes[2] << 8 | (uint32_t)ip->bytes[3];
}

/** The bytes of ip's family in ip->bytes: 4 (IPv4), 16 (IPv6) or 0 (no
 * address).  What a hash or a wire format of the address takes. */
static inline size_t zn_ip_len(const struct zn_ip *ip) {
  return ip->family == ZN_AF_INET6 ? 16u : ip->family == ZN_AF_INET ? 4u : 0u;
}

/** True if a and b are the same address of the same family (an IPv4
 * address and its IPv4-mapped IPv6 form differ: see zn_ip_unmap()). */
bool zn_ip_eq(const struct zn_ip *a, const struct zn_ip *b);

/* The tests and conversions below are inline: the stack asks them for
 * every datagram. */

/** True for no address, `0.0.0.0` and `::`. */
static inline bool zn_ip_is_unspecified(const struct zn_ip *ip) {
  static const uint8_t zero[16];
  return memcmp(ip->bytes, zero, 16) == 0;
}

/** True for an IPv4-mapped IPv6 address: 80 zero bits, 16 one bits, the
 * IPv4 address (RFC 4291 §2.5.5.2). */
static inline bool zn_ip_is_v4mapped(const struct zn_ip *ip) {
  static const uint8_t prefix[12] = {[10] = 0xff, [11] = 0xff};
  return ip->family == ZN_AF_INET6 && memcmp(ip->bytes, prefix, 12) == 0;
}

/** An IPv4-mapped IPv6 address as the IPv4 address it maps; any other
 * address unchanged. */
static inline struct zn_ip zn_ip_unmap(const struct zn_ip *ip) {
  if (!zn_ip_is_v4mapped(ip))
    return *ip;
  struct zn_ip out = {ZN_AF_INET, {0}};
  memcpy(out.bytes, ip->bytes + 12, 4);
  return out;
}

/** IPv6 text in any RFC 4291 §2.2 form into out (16 bytes).
 * Errors: ZN_EINVAL (out untouched). */
int zn_ipv6_parse(const char *s, uint8_t out[16]);

/** The RFC 5952 text of a, at most ZN_IPV6_STRLEN bytes with the NUL;
 * returns buf. */
char *zn_ipv6_format(const uint8_t a[16], char *buf);

/** An address of either family: IPv6 if the text has a ':', else a
 * dotted quad.  Errors: ZN_EINVAL (out untouched). */
int zn_ip_parse(const char *s, struct zn_ip *out);

/** "ADDR/PREFIX" of either family (prefix 0..32 or 0..128); "/PREFIX"
 * may be left out when default_prefix is in range for the family
 * (-1: required).  Errors: ZN_EINVAL (outputs untouched). */
int zn_ip_parse_cidr(const char *s, struct zn_ip *addr, uint8_t *prefix,
                     int default_prefix);

/** An endpoint: "ADDR" or "ADDR:PORT" for IPv4, "ADDR" or "[ADDR]:PORT"
 * for IPv6 (a bare IPv6 address takes no port: its colons are its own).
 * *port is default_port when none is given (default_port 0: a port is
 * required); a port must be 1..65535 without leading zeros.
 * Errors: ZN_EINVAL (outputs untouched). */
int zn_ip_parse_endpoint(const char *s, struct zn_ip *addr, uint16_t *port,
                         uint16_t default_port);

/** The text of ip (dotted quad, RFC 5952, or "" for no address), at most
 * ZN_IP_STRLEN bytes with the NUL; returns buf. */
char *zn_ip_format(const struct zn_ip *ip, char *buf);

/** Netmask of a prefix length (0..32). */
static inline uint32_t zn_ipv4_mask(uint8_t prefix) {
  return prefix == 0 ? 0 : (uint32_t)(0xffffffffu << (32 - prefix));
}

#endif /* ZNET_ADDR_H */
