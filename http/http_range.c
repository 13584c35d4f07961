/*
 * Byte ranges (RFC 9110 §14.1, §14.2): one range-spec of the "bytes" unit
 * resolved against a representation's length.  Anything this server does
 * not do (other units, several ranges: multipart/byteranges) or cannot
 * read is ignored, which §14.2 allows: the whole representation is sent.
 */
#include <string.h>

#include "http_int.h"

static bool all_digits(const char *s, size_t n) {
  if (n == 0)
    return false;
  for (size_t i = 0; i < n; i++)
    if (!zn__http_is_digit((uint8_t)s[i]))
      return false;
  return true;
}

/* The value of the digits s[0..n), or UINT64_MAX if it is larger: any
 * length is past the end of any representation. */
static uint64_t saturated(const char *s, size_t n) {
  uint64_t v;
  return zn__http_read_u64(s, n, UINT64_MAX, &v) ? v : UINT64_MAX;
}

/* Whether the number of digits a[0..an) is below b's, exactly, whatever
 * their length. */
static bool digits_less(const char *a, size_t an, const char *b, size_t bn) {
  while (an > 1 && a[0] == '0') {
    a++;
    an--;
  }
  while (bn > 1 && b[0] == '0') {
    b++;
    bn--;
  }
  if (an != bn)
    return an < bn;
  return memcmp(a, b, an) < 0;
}

/* RFC 9110 §14.1.1 suffix-range "-n": the last n bytes. */
static enum zn_http_range suffix_range(const char *n, size_t len, uint64_t size,
                                       uint64_t *first, uint64_t *count) {
  if (!all_digits(n, len))
    return ZN_HTTP_RANGE_NONE;
  uint64_t want = saturated(n, len);
  if (want == 0)
    return ZN_HTTP_RANGE_UNSATISFIABLE;
  if (size == 0)
    return ZN_HTTP_RANGE_NONE; /* no 206 holds zero bytes */
  *count = want < size ? want : size;
  *first = size - *count;
  return ZN_HTTP_RANGE_PARTIAL;
}

/* RFC 9110 §14.1.1 int-range "a-b" or "a-". */
static enum zn_http_range int_range(const char *a, size_t alen, const char *b,
                                    size_t blen, uint64_t size, uint64_t *first,
                                    uint64_t *count) {
  if (!all_digits(a, alen) || (blen > 0 && !all_digits(b, blen)))
    return ZN_HTTP_RANGE_NONE;
  if (blen > 0 && digits_less(b, blen, a, alen))
    return ZN_HTTP_RANGE_NONE; /* last-pos < first-pos: invalid */
  uint64_t from = saturated(a, alen);
  if (from >= size)
    return ZN_HTTP_RANGE_UNSATISFIABLE;
  uint64_t last = blen > 0 ? saturated(b, blen) : UINT64_MAX;
  if (last > size - 1)
    last = size - 1;
  *first = from;
  *count = last - from + 1;
  return ZN_HTTP_RANGE_PARTIAL;
}

enum zn_http_range zn_http_range_resolve(const char *v, size_t len,
                                         uint64_t size, uint64_t *first,
                                         uint64_t *count) {
  if (!v)
    return ZN_HTTP_RANGE_NONE;
  size_t eq = 0;
  while (eq < len && v[eq] != '=')
    eq++;
  if (eq == len || !zn__http_ieq(v, eq, "bytes", 5))
    return ZN_HTTP_RANGE_NONE;
  const char *set = v + eq + 1;
  size_t setlen = len - eq - 1, pos = 0;
  struct zn_http_str spec, more;
  if (!zn__http_list_next(set, setlen, &pos, &spec) ||
      zn__http_list_next(set, setlen, &pos, &more))
    return ZN_HTTP_RANGE_NONE; /* none, or several: not implemented */
  size_t dash = 0;
  while (dash < spec.len && spec.p[dash] != '-')
    dash++;
  if (dash == spec.len)
    return ZN_HTTP_RANGE_NONE;
  if (dash == 0)
    return suffix_range(spec.p + 1, spec.len - 1, size, first, count);
  return int_range(spec.p, dash, spec.p + dash + 1, spec.len - dash - 1, size,
                   first, count);
}
