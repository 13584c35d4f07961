/*
 * The small pieces of HTTP syntax every part of http/ reads: tchar and
 * tokens (RFC 9110 §5.6.2), the list rule (§5.6.1), uri-host (RFC 3986
 * §3.2.2, for Host and absolute-form targets) and decimal numbers.  One
 * reader of each, shared by the head parser and the helpers.
 */
#include <string.h>

#include "http_int.h"
#include "znet/addr.h"
#include "znet/err.h"

bool zn__http_is_tchar(uint8_t c) {
  if (zn__http_is_alpha(c) || zn__http_is_digit(c))
    return true;
  switch (c) {
  case '!':
  case '#':
  case '$':
  case '%':
  case '&':
  case '\'':
  case '*':
  case '+':
  case '-':
  case '.':
  case '^':
  case '_':
  case '`':
  case '|':
  case '~':
    return true;
  default:
    return false;
  }
}

bool zn__http_is_unreserved(uint8_t c) {
  return zn__http_is_alpha(c) || zn__http_is_digit(c) || c == '-' || c == '.' ||
         c == '_' || c == '~';
}

bool zn__http_is_subdelim(uint8_t c) {
  switch (c) {
  case '!':
  case '$':
  case '&':
  case '\'':
  case '(':
  case ')':
  case '*':
  case '+':
  case ',':
  case ';':
  case '=':
    return true;
  default:
    return false;
  }
}

bool zn__http_is_token(const char *s, size_t len) {
  if (len == 0)
    return false;
  for (size_t i = 0; i < len; i++)
    if (!zn__http_is_tchar((uint8_t)s[i]))
      return false;
  return true;
}

bool zn__http_ieq(const char *a, size_t len, const char *lower, size_t blen) {
  if (len != blen)
    return false;
  for (size_t i = 0; i < len; i++)
    if (zn__http_lower((uint8_t)a[i]) != (uint8_t)lower[i])
      return false;
  return true;
}

bool zn__http_list_next(const char *v, size_t len, size_t *pos,
                        struct zn_http_str *el) {
  size_t i = *pos;
  while (i < len && (zn__http_is_ows((uint8_t)v[i]) || v[i] == ','))
    i++;
  if (i >= len) {
    *pos = len;
    return false;
  }
  size_t start = i;
  bool quoted = false;
  for (; i < len && (quoted || v[i] != ','); i++)
    if (v[i] == '"')
      quoted = !quoted;
  size_t end = i;
  while (end > start && zn__http_is_ows((uint8_t)v[end - 1]))
    end--;
  el->p = v + start;
  el->len = end - start;
  *pos = i;
  return true;
}

/* RFC 3986 §3.2.2 IP-literal: an IPv6 address in brackets, read by the
 * library's one IPv6 parser (IPvFuture and zone identifiers are not
 * accepted).  s[0] is '['; returns the length up to and including ']',
 * or 0. */
static size_t ip_literal(const char *s, size_t len) {
  char text[ZN_IPV6_STRLEN];
  size_t i = 1;
  while (i < len && s[i] != ']')
    i++;
  if (i == len || i - 1 >= sizeof(text))
    return 0;
  memcpy(text, s + 1, i - 1);
  text[i - 1] = '\0';
  uint8_t a[16];
  return zn_ipv6_parse(text, a) == ZN_OK ? i + 1 : 0;
}

/* RFC 3986 §3.2.2 reg-name (which IPv4address is a case of): unreserved,
 * pct-encoded, sub-delims, up to the first ':'.  Returns its length; 0 if
 * it is empty or holds another byte. */
static size_t reg_name(const char *s, size_t len) {
  size_t i = 0;
  while (i < len && s[i] != ':') {
    uint8_t c = (uint8_t)s[i];
    if (c == '%') {
      if (len - i < 3 || zn__http_hexval((uint8_t)s[i + 1]) < 0 ||
          zn__http_hexval((uint8_t)s[i + 2]) < 0)
        return 0;
      i += 3;
    } else if (zn__http_is_unreserved(c) || zn__http_is_subdelim(c)) {
      i++;
    } else {
      return 0;
    }
  }
  return i;
}

bool zn__http_host_valid(const char *s, size_t len) {
  if (len == 0)
    return false;
  size_t i = s[0] == '[' ? ip_literal(s, len) : reg_name(s, len);
  if (i == 0)
    return false;
  if (i == len)
    return true;
  if (s[i] != ':')
    return false;
  for (i++; i < len; i++)
    if (!zn__http_is_digit((uint8_t)s[i]))
      return false;
  return true;
}

bool zn__http_read_u64(const char *d, size_t len, uint64_t max, uint64_t *v) {
  uint64_t x = 0;
  for (size_t i = 0; i < len; i++) {
    uint64_t digit = (uint64_t)((uint8_t)d[i] - '0');
    if (digit > max || x > (max - digit) / 10)
      return false;
    x = x * 10 + digit;
  }
  *v = x;
  return true;
}
