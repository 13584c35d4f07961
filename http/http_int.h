/*
 * What the files of http/ share: the character classes of RFC 9110
 * §5.6 and RFC 3986, the one list walker (RFC 9110 §5.6.1), the one
 * uri-host check, and small number readers.  Everything here is pure.
 */
#ifndef ZN_HTTP_INT_H
#define ZN_HTTP_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "znet/http.h"

static inline bool zn__http_is_digit(uint8_t c) { return c >= '0' && c <= '9'; }

static inline bool zn__http_is_alpha(uint8_t c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static inline uint8_t zn__http_lower(uint8_t c) {
  return c >= 'A' && c <= 'Z' ? (uint8_t)(c + ('a' - 'A')) : c;
}

/* The value of a hex digit, or -1. */
static inline int zn__http_hexval(uint8_t c) {
  if (zn__http_is_digit(c))
    return c - '0';
  c = zn__http_lower(c);
  return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* RFC 9110 §5.6.2 tchar. */
bool zn__http_is_tchar(uint8_t c);

/* RFC 3986 §2.3 unreserved and §2.2 sub-delims. */
bool zn__http_is_unreserved(uint8_t c);
bool zn__http_is_subdelim(uint8_t c);

/* RFC 9110 §5.6.3 OWS: SP or HTAB. */
static inline bool zn__http_is_ows(uint8_t c) { return c == ' ' || c == '\t'; }

/* Whether s[0..len) is a token (RFC 9110 §5.6.2): one or more tchar. */
bool zn__http_is_token(const char *s, size_t len);

/* Whether a[0..len) equals the lower-case b[0..len) ignoring ASCII
 * case. */
bool zn__http_ieq(const char *a, size_t len, const char *lower, size_t blen);

/* The next element of the comma-separated list v[0..len) (RFC 9110
 * §5.6.1) from *pos: OWS around elements and empty elements skipped, a
 * comma inside double quotes (an entity-tag, a quoted parameter) not a
 * separator.  No escapes: a backslash is a valid etagc.  Returns false
 * when the list has no more elements. */
bool zn__http_list_next(const char *v, size_t len, size_t *pos,
                        struct zn_http_str *el);

/* Whether s[0..len) is uri-host [":" port] (RFC 9110 §7.2, RFC 3986
 * §3.2.2): a non-empty reg-name (unreserved, pct-encoded, sub-delims), an
 * IPv4 address (a reg-name by its bytes) or an IP-literal in brackets,
 * then an optional colon and digits.  The one authority check (Host and
 * absolute-form targets). */
bool zn__http_host_valid(const char *s, size_t len);

/* Read the decimal digits d[0..len) (all digits, len >= 1) into *v.
 * Returns false if the value exceeds max (*v untouched). */
bool zn__http_read_u64(const char *d, size_t len, uint64_t max, uint64_t *v);

/* Read one header field line (http_fields.c): the fields a server needs
 * are checked and recorded in h->req, the others ignored.  Returns the
 * error that ends the parse, or ZN_HTTP_ERR_NONE. */
enum zn_http_error zn__http_field(struct zn_http_head *h,
                                  struct zn_http_str name,
                                  struct zn_http_str value);

#endif /* ZN_HTTP_INT_H */
