/*
 * A request-target as a file path below a root (RFC 9112 §3.2, RFC 3986
 * §3.3 and §2.1): the one place a URI becomes a name in the file system,
 * so the one place path traversal is refused.
 *
 * Design: the path is read segment by segment between literal '/'s.
 * Each segment is checked and measured first (check_segment: every byte,
 * literal or percent-decoded), then written decoded.  A decoded segment
 * can hold no '/' and no '\' (their encodings are refused, not decoded),
 * so the segments written are exactly the segments read; "." and empty
 * segments are dropped, ".." refused whatever its spelling.  What comes
 * out is relative, without "..", NUL or control bytes: appended to a root
 * it names something below the root.
 */
#include "http_int.h"
#include "znet/err.h"

/* RFC 3986 §3.3 pchar less pct-encoded: the bytes a segment may hold as
 * they are. */
static bool is_pchar(uint8_t c) {
  return zn__http_is_unreserved(c) || zn__http_is_subdelim(c) || c == ':' ||
         c == '@';
}

/* Whether the decoded byte d may be part of a file name: not '/', not
 * '\', no NUL or other control, and none of the bytes UTF-8 never holds
 * (0xc0 and 0xc1 start only overlong forms, as "%c0%ae" for '.' in the
 * decoders that accepted them; 0xf5-0xff nothing). */
static bool name_byte_allowed(uint8_t d) {
  return d != '/' && d != '\\' && d >= 0x20 && d != 0x7f && d != 0xc0 &&
         d != 0xc1 && d < 0xf5;
}

/* What check_segment learned of a segment. */
struct seg {
  size_t len;  /* decoded bytes */
  size_t dots; /* of which '.' */
};

/* Check the raw segment s[0..n) byte by byte, decoding %HH: ZN_EPERM for
 * a byte no file name gets (decoded or not), ZN_EMALFORMED for a byte no
 * target holds or a broken escape. */
static int check_segment(const char *s, size_t n, struct seg *g) {
  g->len = g->dots = 0;
  for (size_t i = 0; i < n; i++) {
    uint8_t c = (uint8_t)s[i];
    if (c == '%') {
      if (n - i < 3)
        return ZN_EMALFORMED;
      int h1 = zn__http_hexval((uint8_t)s[i + 1]);
      int h2 = zn__http_hexval((uint8_t)s[i + 2]);
      if (h1 < 0 || h2 < 0)
        return ZN_EMALFORMED;
      c = (uint8_t)(h1 << 4 | h2);
      i += 2;
      if (!name_byte_allowed(c))
        return ZN_EPERM;
    } else if (!name_byte_allowed(c)) {
      return ZN_EPERM;
    } else if (!is_pchar(c)) {
      return ZN_EMALFORMED;
    }
    g->len++;
    if (c == '.')
      g->dots++;
  }
  return ZN_OK;
}

/* Write the checked segment s[0..n), decoded, at out. */
static void write_segment(const char *s, size_t n, char *out) {
  for (size_t i = 0; i < n; i++) {
    if (s[i] == '%') {
      *out++ = (char)(zn__http_hexval((uint8_t)s[i + 1]) << 4 |
                      zn__http_hexval((uint8_t)s[i + 2]));
      i += 2;
    } else {
      *out++ = s[i];
    }
  }
}

/* RFC 3986 §3.4: the query's bytes (pchar, '/', '?', %HH), to be
 * dropped. */
static bool query_valid(const char *q, size_t n) {
  for (size_t i = 0; i < n; i++) {
    uint8_t c = (uint8_t)q[i];
    if (c == '%') {
      if (n - i < 3 || zn__http_hexval((uint8_t)q[i + 1]) < 0 ||
          zn__http_hexval((uint8_t)q[i + 2]) < 0)
        return false;
      i += 2;
    } else if (!is_pchar(c) && c != '/' && c != '?') {
      return false;
    }
  }
  return true;
}

/* RFC 9112 §3.2.2 absolute-form, scheme http only: "http://" authority,
 * then the path.  Sets the authority and *path (where the path starts). */
static int absolute_form(const char *t, size_t len, struct zn_http_str *auth,
                         size_t *path) {
  size_t i = 0;
  while (i < len && (zn__http_is_alpha((uint8_t)t[i]) ||
                     (i > 0 && (zn__http_is_digit((uint8_t)t[i]) ||
                                t[i] == '+' || t[i] == '-' || t[i] == '.'))))
    i++;
  if (i == 0 || i == len || t[i] != ':')
    return ZN_EMALFORMED;
  if (!zn__http_ieq(t, i, "http", 4))
    return ZN_ENOTSUP;
  if (len - i < 3 || t[i + 1] != '/' || t[i + 2] != '/')
    return ZN_EMALFORMED;
  size_t a = i + 3, e = a;
  while (e < len && t[e] != '/' && t[e] != '?')
    e++;
  /* RFC 9110 §4.2.4: userinfo is an error (its '@' fails the check). */
  if (!zn__http_host_valid(t + a, e - a))
    return ZN_EMALFORMED;
  auth->p = t + a;
  auth->len = e - a;
  *path = e;
  return ZN_OK;
}

/* Where the path of t[from..len) ends: at the '?' of a query, or len. */
static size_t path_end(const char *t, size_t len, size_t from) {
  while (from < len && t[from] != '?')
    from++;
  return from;
}

/* Walk the segments of the path p[0..n): check each and, with out, write
 * it; sets *len (the output's) and *dir (the last segment is empty or
 * "."). */
static int walk_path(const char *p, size_t n, char *out, size_t *len,
                     bool *dir) {
  size_t o = 0, i = 0;
  for (;;) {
    size_t s = i;
    while (i < n && p[i] != '/')
      i++;
    struct seg g;
    int e = check_segment(p + s, i - s, &g);
    if (e != ZN_OK)
      return e;
    if (g.len == 2 && g.dots == 2)
      return ZN_EPERM; /* ".." in any spelling */
    bool skip = g.len == 0 || (g.len == 1 && g.dots == 1);
    if (!skip) {
      if (o > 0 && out)
        out[o] = '/';
      o += o > 0;
      if (out)
        write_segment(p + s, i - s, out + o);
      o += g.len;
    }
    if (i == n) {
      *dir = skip;
      *len = o;
      return ZN_OK;
    }
    i++; /* the '/' */
  }
}

int zn_http_target_path(const char *t, size_t len, char *out, size_t cap,
                        struct zn_http_path *res) {
  struct zn_http_path r = {0, false, {NULL, 0}};
  size_t start = 0;
  if (len == 0)
    return ZN_EMALFORMED;
  if (t[0] != '/') {
    int e = absolute_form(t, len, &r.authority, &start);
    if (e != ZN_OK)
      return e;
  }
  size_t end = path_end(t, len, start);
  if (end < len && !query_valid(t + end + 1, len - end - 1))
    return ZN_EMALFORMED;
  /* Checked whole first, so a refusal does not depend on cap. */
  int e = walk_path(t + start, end - start, NULL, &r.len, &r.dir);
  if (e != ZN_OK)
    return e;
  if (r.len >= cap)
    return ZN_ENOSPC;
  (void)walk_path(t + start, end - start, out, &r.len, &r.dir);
  out[r.len] = '\0';
  *res = r;
  return ZN_OK;
}
