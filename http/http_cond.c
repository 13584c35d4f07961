/*
 * Entity-tags (RFC 9110 §8.8.3) and the preconditions a GET of a static
 * file evaluates (RFC 9110 §13.1.2 If-None-Match, §13.1.3
 * If-Modified-Since, §13.1.5 If-Range, in the order of §13.2.2).  The
 * server gives the representation's validators (its entity-tag and
 * modification time); these functions only compare.
 */
#include <string.h>

#include "http_int.h"
#include "znet/err.h"

/* Hex digits of x, at least one. */
static size_t hex_len(uint64_t x) {
  size_t n = 1;
  for (x >>= 4; x != 0; x >>= 4)
    n++;
  return n;
}

static void put_hex(char *o, uint64_t x, size_t n) {
  static const char hex[] = "0123456789abcdef";
  while (n > 0) {
    o[--n] = hex[x & 15];
    x >>= 4;
  }
}

size_t zn_http_etag_format(uint64_t size, int64_t mtime, char *out,
                           size_t cap) {
  uint64_t m = (uint64_t)mtime;
  size_t ns = hex_len(size), nm = hex_len(m), len = ns + nm + 3;
  if (cap < len + 1)
    return 0;
  out[0] = '"';
  put_hex(out + 1, size, ns);
  out[1 + ns] = '-';
  put_hex(out + 2 + ns, m, nm);
  out[len - 1] = '"';
  out[len] = '\0';
  return len;
}

size_t zn_http_etag_hash(const uint8_t *h, size_t n, char *out, size_t cap) {
  if (n == 0 || cap < 3 || (cap - 3) / 2 < n)
    return 0;
  out[0] = '"';
  for (size_t i = 0; i < n; i++)
    put_hex(out + 1 + 2 * i, h[i], 2);
  out[2 * n + 1] = '"';
  out[2 * n + 2] = '\0';
  return 2 * n + 2;
}

/* RFC 9110 §8.8.3: entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE, etagc =
 * %x21 / %x23-7E / obs-text.  Sets the opaque-tag (quotes included) and
 * whether it is weak. */
static bool entity_tag(const char *s, size_t len, struct zn_http_str *opaque,
                       bool *weak) {
  *weak = len >= 2 && s[0] == 'W' && s[1] == '/';
  if (*weak) {
    s += 2;
    len -= 2;
  }
  if (len < 2 || s[0] != '"' || s[len - 1] != '"')
    return false;
  for (size_t i = 1; i + 1 < len; i++) {
    uint8_t c = (uint8_t)s[i];
    if (c < 0x21 || c == '"' || c == 0x7f)
      return false;
  }
  opaque->p = s;
  opaque->len = len;
  return true;
}

static bool str_eq(struct zn_http_str a, struct zn_http_str b) {
  return a.len == b.len && memcmp(a.p, b.p, a.len) == 0;
}

bool zn_http_etag_match(const char *v, size_t len, const char *etag,
                        size_t etag_len) {
  if (!v)
    return false;
  if (len == 1 && v[0] == '*')
    return true;
  struct zn_http_str ours, el, theirs;
  bool weak;
  if (!etag || !entity_tag(etag, etag_len, &ours, &weak))
    return false;
  size_t pos = 0;
  while (zn__http_list_next(v, len, &pos, &el))
    if (entity_tag(el.p, el.len, &theirs, &weak) && str_eq(theirs, ours))
      return true; /* weak comparison: W/ does not matter */
  return false;
}

/* RFC 9110 §13.1.3: the date is one valid HTTP-date, not in the future
 * (a client's clock ahead of ours must not pin a 304), and the
 * representation was not modified after it. */
static bool unmodified_since(struct zn_http_str ims, int64_t mtime,
                             int64_t now) {
  int64_t d;
  if (mtime == ZN_HTTP_NO_MTIME ||
      zn_http_date_parse(ims.p, ims.len, now, &d) != ZN_OK || d > now)
    return false;
  return mtime <= d;
}

bool zn_http_not_modified(const struct zn_http_request *req, const char *etag,
                          size_t etag_len, int64_t mtime, int64_t now) {
  if (req->method != ZN_HTTP_METHOD_GET && req->method != ZN_HTTP_METHOD_HEAD)
    return false;
  if (req->if_none_match.p) /* §13.2.2 step 3; then step 4 is skipped */
    return zn_http_etag_match(req->if_none_match.p, req->if_none_match.len,
                              etag, etag_len);
  if (req->if_modified_since.p) /* step 4 */
    return unmodified_since(req->if_modified_since, mtime, now);
  return false;
}

bool zn_http_if_range_ok(const struct zn_http_request *req, const char *etag,
                         size_t etag_len, int64_t mtime, int64_t now) {
  struct zn_http_str v = req->if_range, theirs, ours;
  bool weak_theirs, weak_ours;
  int64_t d;
  if (!v.p)
    return true;
  if (v.len >= 2 && (v.p[0] == '"' || (v.p[0] == 'W' && v.p[1] == '/')))
    return entity_tag(v.p, v.len, &theirs, &weak_theirs) && !weak_theirs &&
           etag && entity_tag(etag, etag_len, &ours, &weak_ours) &&
           !weak_ours && str_eq(theirs, ours); /* strong comparison */
  if (mtime == ZN_HTTP_NO_MTIME ||
      zn_http_date_parse(v.p, v.len, now, &d) != ZN_OK)
    return false;
  return d == mtime && mtime < now;
}
