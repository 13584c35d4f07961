/* Address text conversion without libc, and the family-neutral address
 * (znet/addr.h says which text forms are read and written). */
#include <string.h>

#include "znet/addr.h"
#include "znet/err.h"
#include "znet/wire.h"

#define IPV6_GROUPS 8
/* The longest address text a CIDR or endpoint may hold before its
 * suffix: the longest IPv6 form, with a dotted quad. */
#define ADDR_TEXT_MAX (ZN_IPV6_STRLEN - 1)

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
      if (sep == 0 || *s != sep) /* the string's NUL is no separator */
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

/* ---- IPv6 text (RFC 4291 §2.2 in, RFC 5952 out) ---- */

/* A group of 1..4 hex digits at *s. */
static int parse_group(const char **s, unsigned *out) {
  const char *p = *s;
  unsigned v = 0;
  int n = 0;
  for (int h; (h = hexval(*p)) >= 0; p++) {
    if (++n > 4)
      return ZN_EINVAL;
    v = v << 4 | (unsigned)h;
  }
  if (n == 0)
    return ZN_EINVAL;
  *s = p;
  *out = v;
  return ZN_OK;
}

/* True if a '.' comes before the next ':' or the end: the rest is the
 * dotted-quad tail of RFC 4291 §2.2 form 3. */
static bool dotted_tail(const char *p) {
  for (; *p != 0 && *p != ':'; p++)
    if (*p == '.')
      return true;
  return false;
}

/* The groups of s: g[0..*n) with the "::" gap before index *gap (-1 if
 * none).  Each step takes a group, or the dotted tail, then a ':' or "::"
 * or the end; at most 8 groups, so the loop is bounded. */
static int parse_groups(const char *p, uint16_t g[IPV6_GROUPS], int *n,
                        int *gap) {
  *n = 0;
  *gap = -1;
  if (p[0] == ':') {
    if (p[1] != ':')
      return ZN_EINVAL;
    *gap = 0;
    p += 2;
    if (*p == 0)
      return ZN_OK;
  }
  while (*n < IPV6_GROUPS) {
    if (dotted_tail(p)) {
      uint32_t v4;
      if (*n > IPV6_GROUPS - 2 || parse_ip(&p, &v4) != ZN_OK || *p != 0)
        return ZN_EINVAL;
      g[(*n)++] = (uint16_t)(v4 >> 16);
      g[(*n)++] = (uint16_t)v4;
      return ZN_OK;
    }
    unsigned v;
    if (parse_group(&p, &v) != ZN_OK)
      return ZN_EINVAL;
    g[(*n)++] = (uint16_t)v;
    if (*p == 0)
      return ZN_OK;
    if (*p++ != ':')
      return ZN_EINVAL;
    if (*p == ':') {
      if (*gap >= 0)
        return ZN_EINVAL; /* one "::" at most */
      *gap = *n;
      if (*++p == 0)
        return ZN_OK;
    }
  }
  return ZN_EINVAL; /* a ninth group */
}

int zn_ipv6_parse(const char *s, uint8_t out[16]) {
  uint16_t g[IPV6_GROUPS];
  int n, gap;
  if (!s || parse_groups(s, g, &n, &gap) != ZN_OK)
    return ZN_EINVAL;
  /* Without "::" all eight groups; with it, it stands for one or more. */
  if (gap < 0 ? n != IPV6_GROUPS : n > IPV6_GROUPS - 1)
    return ZN_EINVAL;
  uint8_t a[16];
  memset(a, 0, sizeof(a));
  int tail = gap < 0 ? 0 : n - gap; /* groups after the gap */
  for (int i = 0; i < n; i++) {
    size_t at = (size_t)(gap >= 0 && i >= gap ? IPV6_GROUPS - tail + (i - gap)
                                             : i);
    a[2 * at] = (uint8_t)(g[i] >> 8);
    a[2 * at + 1] = (uint8_t)g[i];
  }
  memcpy(out, a, sizeof(a));
  return ZN_OK;
}

/* RFC 5952 §4.2: the longest run of two or more zero groups, the first of
 * equal ones; *len 0 if none. */
static void longest_zero_run(const uint8_t a[16], int *start, int *len) {
  *start = -1;
  *len = 0;
  for (int i = 0; i < IPV6_GROUPS;) {
    int j = i;
    while (j < IPV6_GROUPS && a[2 * (size_t)j] == 0 &&
           a[2 * (size_t)j + 1] == 0)
      j++;
    if (j - i >= 2 && j - i > *len) {
      *start = i;
      *len = j - i;
    }
    i = j > i ? j : i + 1;
  }
}

/* A group in lower-case hex without leading zeros at p; returns the end. */
static char *format_group(char *p, unsigned v) {
  static const char hex[] = "0123456789abcdef";
  bool started = false;
  for (int sh = 12; sh >= 0; sh -= 4) {
    unsigned d = (v >> sh) & 15u;
    if (d || started || sh == 0) {
      *p++ = hex[d];
      started = true;
    }
  }
  return p;
}

char *zn_ipv6_format(const uint8_t a[16], char *buf) {
  char *p = buf;
  if (zn_ipv6_addr_is_v4mapped(a)) { /* RFC 5952 §5 */
    memcpy(p, "::ffff:", 7);
    zn_ipv4_format((uint32_t)a[12] << 24 | (uint32_t)a[13] << 16 |
                       (uint32_t)a[14] << 8 | a[15],
                   p + 7);
    return buf;
  }
  int start, len;
  longest_zero_run(a, &start, &len);
  for (int i = 0; i < IPV6_GROUPS; i++) {
    if (i == start) {
      *p++ = ':';
      *p++ = ':';
      i += len - 1;
      continue;
    }
    if (i > 0 && i != start + len)
      *p++ = ':';
    p = format_group(p, (unsigned)a[2 * (size_t)i] << 8 | a[2 * (size_t)i + 1]);
  }
  *p = 0;
  return buf;
}

/* ---- family-neutral addresses ---- */

bool zn_ip_eq(const struct zn_ip *a, const struct zn_ip *b) {
  return a->family == b->family && memcmp(a->bytes, b->bytes, 16) == 0;
}


static bool has_colon(const char *s) {
  for (; *s != 0; s++)
    if (*s == ':')
      return true;
  return false;
}

int zn_ip_parse(const char *s, struct zn_ip *out) {
  if (!s)
    return ZN_EINVAL;
  if (has_colon(s)) {
    uint8_t a[16];
    if (zn_ipv6_parse(s, a) != ZN_OK)
      return ZN_EINVAL;
    *out = zn_ip_from_v6(a);
    return ZN_OK;
  }
  uint32_t v4;
  if (zn_ipv4_parse(s, &v4) != ZN_OK)
    return ZN_EINVAL;
  *out = zn_ip_from_v4(v4);
  return ZN_OK;
}

/* The first n bytes of s as a string in buf (ADDR_TEXT_MAX + 1 bytes);
 * false if they do not fit. */
static bool copy_text(char *buf, const char *s, size_t n) {
  if (n > ADDR_TEXT_MAX)
    return false;
  memcpy(buf, s, n);
  buf[n] = 0;
  return true;
}

/* A port 1..65535 at s, the whole rest of the string; no leading zero. */
static int parse_port(const char *s, uint16_t *out) {
  unsigned v = 0;
  int n = 0;
  if (*s == '0')
    return ZN_EINVAL;
  for (; *s >= '0' && *s <= '9'; s++) {
    v = v * 10u + (unsigned)(*s - '0');
    if (++n > 5 || v > 65535u)
      return ZN_EINVAL;
  }
  if (n == 0 || *s != 0)
    return ZN_EINVAL;
  *out = (uint16_t)v;
  return ZN_OK;
}

int zn_ip_parse_cidr(const char *s, struct zn_ip *addr, uint8_t *prefix,
                     int default_prefix) {
  char text[ADDR_TEXT_MAX + 1] = {0};
  struct zn_ip ip;
  if (!s)
    return ZN_EINVAL;
  size_t n = 0;
  while (s[n] != 0 && s[n] != '/' && n <= ADDR_TEXT_MAX)
    n++;
  if (!copy_text(text, s, n) || zn_ip_parse(text, &ip) != ZN_OK)
    return ZN_EINVAL;
  unsigned max = ip.family == ZN_AF_INET ? 32u : 128u, p;
  const char *q = s + n;
  if (*q == '/') {
    q++;
    if (parse_dec(&q, max, &p) != ZN_OK || *q != 0)
      return ZN_EINVAL;
  } else if (default_prefix >= 0 && (unsigned)default_prefix <= max) {
    p = (unsigned)default_prefix;
  } else {
    return ZN_EINVAL;
  }
  *addr = ip;
  *prefix = (uint8_t)p;
  return ZN_OK;
}

/* "[ADDR]" or "[ADDR]:PORT", IPv6 inside the brackets. */
static int parse_bracketed(const char *s, struct zn_ip *ip, uint16_t *port,
                           bool *has_port) {
  char text[ADDR_TEXT_MAX + 1] = {0};
  size_t n = 0;
  while (s[1 + n] != 0 && s[1 + n] != ']' && n <= ADDR_TEXT_MAX)
    n++;
  const char *close = s + 1 + n;
  uint8_t a[16];
  if (*close != ']' || !copy_text(text, s + 1, n) ||
      zn_ipv6_parse(text, a) != ZN_OK)
    return ZN_EINVAL;
  *ip = zn_ip_from_v6(a);
  *has_port = close[1] == ':';
  if (*has_port)
    return parse_port(close + 2, port);
  return close[1] == 0 ? ZN_OK : ZN_EINVAL;
}

/* "ADDR:PORT" of IPv4 (a dotted quad and one colon). */
static int parse_v4_endpoint(const char *s, struct zn_ip *ip,
                             uint16_t *port) {
  char text[ADDR_TEXT_MAX + 1] = {0};
  size_t n = 0;
  while (s[n] != ':')
    n++;
  uint32_t v4;
  if (!copy_text(text, s, n) || zn_ipv4_parse(text, &v4) != ZN_OK)
    return ZN_EINVAL;
  *ip = zn_ip_from_v4(v4);
  return parse_port(s + n + 1, port);
}

int zn_ip_parse_endpoint(const char *s, struct zn_ip *addr, uint16_t *port,
                         uint16_t default_port) {
  struct zn_ip ip;
  uint16_t pt = default_port;
  bool has_port = false;
  int rc;
  if (!s)
    return ZN_EINVAL;
  if (s[0] == '[') {
    rc = parse_bracketed(s, &ip, &pt, &has_port);
  } else if (has_colon(s) && dotted_tail(s)) {
    rc = parse_v4_endpoint(s, &ip, &pt); /* a dotted quad, then ':' */
    has_port = true;
  } else {
    rc = zn_ip_parse(s, &ip); /* IPv4, or a bare IPv6 address: no port */
  }
  if (rc != ZN_OK || (!has_port && default_port == 0))
    return ZN_EINVAL;
  *addr = ip;
  *port = pt;
  return ZN_OK;
}

char *zn_ip_format(const struct zn_ip *ip, char *buf) {
  if (ip->family == ZN_AF_INET)
    return zn_ipv4_format(zn_ip_v4(ip), buf);
  if (ip->family == ZN_AF_INET6)
    return zn_ipv6_format(ip->bytes, buf);
  buf[0] = 0;
  return buf;
}
