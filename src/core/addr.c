/* Address text conversion without libc. */
#include "znet/addr.h"
#include "znet/err.h"

/* Parse a decimal 0..max at *s, no sign, no leading zero unless "0". */
static int parse_dec(const char **s, unsigned max, unsigned *out) {
  const char *p = *s;
  unsigned v = 0;
  int n = 0;
  if (*p < '0' || *p > '9')
    return ZN_EINVAL;
  if (*p == '0' && p[1] >= '0' && p[1] <= '9')
    return ZN_EINVAL;
  while (*p >= '0' && *p <= '9') {
    v = v * 10u + (unsigned)(*p - '0');
    if (v > max || ++n > 3)
      return ZN_EINVAL;
    p++;
  }
  *s = p;
  *out = v;
  return ZN_OK;
}

static int parse_ip(const char **s, uint32_t *out) {
  uint32_t a = 0;
  for (int i = 0; i < 4; i++) {
    unsigned v;
    if (i > 0) {
      if (**s != '.')
        return ZN_EINVAL;
      (*s)++;
    }
    if (parse_dec(s, 255, &v) != ZN_OK)
      return ZN_EINVAL;
    a = a << 8 | v;
  }
  *out = a;
  return ZN_OK;
}

int zn_ipv4_parse(const char *s, uint32_t *out) {
  uint32_t a;
  if (!s || parse_ip(&s, &a) != ZN_OK || *s != 0)
    return ZN_EINVAL;
  *out = a;
  return ZN_OK;
}

int zn_ipv4_parse_cidr(const char *s, uint32_t *addr, uint8_t *prefix,
                       int default_prefix) {
  uint32_t a;
  unsigned p;
  if (!s || parse_ip(&s, &a) != ZN_OK)
    return ZN_EINVAL;
  if (*s == '/') {
    s++;
    if (parse_dec(&s, 32, &p) != ZN_OK || *s != 0)
      return ZN_EINVAL;
  } else if (*s == 0 && default_prefix >= 0 && default_prefix <= 32) {
    p = (unsigned)default_prefix;
  } else {
    return ZN_EINVAL;
  }
  *addr = a;
  *prefix = (uint8_t)p;
  return ZN_OK;
}

char *zn_ipv4_format(uint32_t addr, char *buf) {
  char *p = buf;
  for (int i = 3; i >= 0; i--) {
    unsigned v = (addr >> (8 * i)) & 0xffu;
    if (v >= 100)
      *p++ = (char)('0' + v / 100);
    if (v >= 10)
      *p++ = (char)('0' + v / 10 % 10);
    *p++ = (char)('0' + v % 10);
    if (i)
      *p++ = '.';
  }
  *p = 0;
  return buf;
}

static int hexval(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

int zn_mac_parse(const char *s, uint8_t out[6]) {
  uint8_t m[6];
  if (!s)
    return ZN_EINVAL;
  char sep = 0;
  for (int i = 0; i < 6; i++) {
    if (i > 0) {
      if (sep == 0 && (*s == ':' || *s == '-'))
        sep = *s;
      if (*s != sep)
        return ZN_EINVAL;
      s++;
    }
    int h = hexval(s[0]), l = h < 0 ? -1 : hexval(s[1]);
    if (h < 0 || l < 0)
      return ZN_EINVAL;
    m[i] = (uint8_t)(h << 4 | l);
    s += 2;
  }
  if (*s != 0)
    return ZN_EINVAL;
  for (int i = 0; i < 6; i++)
    out[i] = m[i];
  return ZN_OK;
}

char *zn_mac_format(const uint8_t mac[6], char *buf) {
  static const char hex[] = "0123456789abcdef";
  for (size_t i = 0; i < 6; i++) {
    buf[3 * i] = hex[mac[i] >> 4];
    buf[3 * i + 1] = hex[mac[i] & 15];
    buf[3 * i + 2] = i < 5 ? ':' : 0;
  }
  return buf;
}
