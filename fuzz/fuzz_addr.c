/*
 * Address text (src/core/addr.c): any bytes as a string to every parser.
 * What parses is formatted and must read back as the same address, the
 * text fitting its bound; IPv6 output is canonical (formatting the parse
 * of the output gives the output again, RFC 5952).
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"

static void check_ipv6(const char *s) {
  uint8_t a[16], b[16];
  char t[ZN_IPV6_STRLEN], u[ZN_IPV6_STRLEN];
  if (zn_ipv6_parse(s, a) != ZN_OK)
    return;
  zn_ipv6_format(a, t);
  FZ_CHECK(strlen(t) < ZN_IPV6_STRLEN);
  FZ_CHECK(zn_ipv6_parse(t, b) == ZN_OK && memcmp(a, b, 16) == 0);
  FZ_CHECK(strcmp(zn_ipv6_format(b, u), t) == 0);
}

static void check_ip(const char *s) {
  struct zn_ip ip, back;
  char t[ZN_IP_STRLEN];
  if (zn_ip_parse(s, &ip) == ZN_OK) {
    FZ_CHECK(ip.family == ZN_AF_INET || ip.family == ZN_AF_INET6);
    zn_ip_format(&ip, t);
    FZ_CHECK(strlen(t) < ZN_IP_STRLEN);
    FZ_CHECK(zn_ip_parse(t, &back) == ZN_OK && zn_ip_eq(&ip, &back));
    struct zn_ip u = zn_ip_unmap(&ip);
    FZ_CHECK(u.family == ZN_AF_INET || !zn_ip_is_v4mapped(&ip));
  }
  uint8_t prefix;
  if (zn_ip_parse_cidr(s, &ip, &prefix, -1) == ZN_OK)
    FZ_CHECK(prefix <= (ip.family == ZN_AF_INET ? 32 : 128));
  uint16_t port;
  if (zn_ip_parse_endpoint(s, &ip, &port, 0) == ZN_OK)
    FZ_CHECK(port != 0);
  uint32_t v4;
  if (zn_ipv4_parse(s, &v4) == ZN_OK) {
    zn_ipv4_format(v4, t);
    uint32_t w;
    FZ_CHECK(zn_ipv4_parse(t, &w) == ZN_OK && w == v4);
  }
  uint8_t mac[6];
  (void)zn_mac_parse(s, mac);
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) {
  /* The whole input, however long: the parsers must refuse a long text
   * without reading or writing past what they are bounded to. */
  char *s = malloc(n + 1);
  FZ_CHECK(s != NULL);
  memcpy(s, d, n);
  s[n] = 0; /* parsers take strings: the text ends at the first NUL */
  check_ipv6(s);
  check_ip(s);
  free(s);
  return 0;
}
