/*
 * The HTTP/1.1 request-head parser (RFC 9112 §2-§5, RFC 9110 §5): the
 * Ragel machine of http_head.rl says which byte may come next; the act_*
 * steps below record where the parts are and apply what the grammar
 * cannot say (limits, versions, target forms, the fields' meanings).
 *
 * Design.  Every byte fed is first copied into the caller's head buffer
 * and the machine runs over the copy, so the parts of the head are runs
 * of that buffer however the stream was split, and the context of an
 * error (the byte before) is at hand.  The copy is cut at the buffer's
 * end: a head still going on past it is HEAD_TOO_LARGE, found at the
 * first byte that does not fit.  Every check happens at one byte, in
 * stream order (the limits in act_count on each byte the grammar allows,
 * the grammar's refusals in classify_error), so the outcome does not
 * depend on how the stream was split: the property tests/http and
 * fuzz/fuzz_http.c hold the parser to.
 */
#include <string.h>

#include "http_int.h"
#include "znet/err.h"

/* The part of the head being read (h->part), for the limits and to name
 * a byte the grammar refused. */
enum {
  P_LEAD, /* empty lines before the request-line */
  P_METHOD,
  P_TARGET,
  P_VERSION,    /* the version and the request-line's end */
  P_LINE_START, /* the first byte of a field line or of the empty line */
  P_NAME,
  P_VALUE,
};

static bool fail(struct zn_http_head *h, const unsigned char *at,
                 enum zn_http_error e) {
  h->error = e;
  h->result = ZN_HTTP_HEAD_ERROR;
  h->end = (size_t)((const char *)at - h->buf) + 1;
  return false;
}

static size_t off(const struct zn_http_head *h, const unsigned char *at) {
  return (size_t)((const char *)at - h->buf);
}

/* RFC 9112 §3: a request-line past the limit is 414 when the target is
 * what made it long (the version after it has a fixed length), 400 when
 * the method did. */
static enum zn_http_error line_overflow(const struct zn_http_head *h,
                                        const unsigned char *at) {
  if (h->target_off != 0 && off(h, at) >= h->target_off)
    return ZN_HTTP_ERR_URI_TOO_LONG;
  return ZN_HTTP_ERR_REQUEST_LINE_TOO_LONG;
}

/* Every byte the grammar allows: the line-length limits (the EOL is not
 * counted). */
static bool act_count(struct zn_http_head *h, const unsigned char *at) {
  if (*at == '\n') {
    h->line_len = 0;
    return true;
  }
  if (*at == '\r')
    return true;
  h->line_len++;
  if (h->part < P_LINE_START) {
    if (h->line_len <= h->lim.request_line_max)
      return true;
    return fail(h, at, line_overflow(h, at));
  }
  if (h->line_len <= h->lim.field_line_max)
    return true;
  return fail(h, at, ZN_HTTP_ERR_FIELD_TOO_LONG);
}

static void act_method_start(struct zn_http_head *h, const unsigned char *at) {
  h->req.method_name.p = (const char *)at;
  h->part = P_METHOD;
}

static void act_method_end(struct zn_http_head *h, const unsigned char *at) {
  h->req.method_name.len = (size_t)((const char *)at - h->req.method_name.p);
  h->target_off = off(h, at) + 1;
  h->part = P_TARGET;
}

static void act_target_end(struct zn_http_head *h, const unsigned char *at) {
  h->req.target.p = h->buf + h->target_off;
  h->req.target.len = off(h, at) - h->target_off;
  h->part = P_VERSION;
}

/* RFC 9112 §2.3: HTTP/1.0 and 1.1; a later 1.x is processed as 1.1; any
 * other major version is not supported (RFC 9110 §15.6.6). */
static enum zn_http_error check_version(struct zn_http_head *h) {
  if (h->major != 1)
    return ZN_HTTP_ERR_VERSION_NOT_SUPPORTED;
  h->req.version_minor = h->minor == 0 ? 0 : 1;
  return ZN_HTTP_ERR_NONE;
}

/* RFC 3986 §3.1: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ),
 * followed by ':' in an absolute-URI. */
static bool has_scheme(struct zn_http_str t) {
  if (t.len == 0 || !zn__http_is_alpha((uint8_t)t.p[0]))
    return false;
  for (size_t i = 1; i < t.len; i++) {
    uint8_t c = (uint8_t)t.p[i];
    if (c == ':')
      return true;
    if (!zn__http_is_alpha(c) && !zn__http_is_digit(c) && c != '+' &&
        c != '-' && c != '.')
      return false;
  }
  return false;
}

/* RFC 9112 §3.2: origin-form starts with '/'; asterisk-form is OPTIONS's
 * alone (§3.2.4), authority-form CONNECT's (§3.2.3, which takes nothing
 * else); any other target must be absolute-form (§3.2.2). */
static enum zn_http_error check_target_form(struct zn_http_head *h) {
  struct zn_http_str t = h->req.target;
  bool star = t.len == 1 && t.p[0] == '*';
  if (h->req.method == ZN_HTTP_METHOD_CONNECT) {
    if (t.p[0] == '/' || star)
      return ZN_HTTP_ERR_BAD_TARGET_FORM;
    h->req.form = ZN_HTTP_FORM_AUTHORITY;
  } else if (t.p[0] == '/') {
    h->req.form = ZN_HTTP_FORM_ORIGIN;
  } else if (star) {
    if (h->req.method != ZN_HTTP_METHOD_OPTIONS)
      return ZN_HTTP_ERR_BAD_TARGET_FORM;
    h->req.form = ZN_HTTP_FORM_ASTERISK;
  } else if (has_scheme(t)) {
    h->req.form = ZN_HTTP_FORM_ABSOLUTE;
  } else {
    return ZN_HTTP_ERR_BAD_TARGET_FORM;
  }
  return ZN_HTTP_ERR_NONE;
}

static bool act_request_line_end(struct zn_http_head *h,
                                 const unsigned char *at) {
  enum zn_http_error e = check_version(h);
  if (e != ZN_HTTP_ERR_NONE)
    return fail(h, at, e);
  h->req.method =
      zn_http_method_lookup(h->req.method_name.p, h->req.method_name.len);
  e = check_target_form(h);
  if (e != ZN_HTTP_ERR_NONE)
    return fail(h, at, e);
  h->part = P_LINE_START;
  return true;
}

static bool act_field_start(struct zn_http_head *h, const unsigned char *at) {
  if (h->req.nfields >= h->lim.fields_max)
    return fail(h, at, ZN_HTTP_ERR_TOO_MANY_FIELDS);
  h->name_off = off(h, at);
  h->part = P_NAME;
  return true;
}

static void act_colon(struct zn_http_head *h, const unsigned char *at) {
  h->colon_off = off(h, at);
  h->part = P_VALUE;
}

/* RFC 9112 §5: field-line = field-name ":" OWS field-value OWS; at is
 * the line's LF. */
static bool act_field_end(struct zn_http_head *h, const unsigned char *at) {
  size_t b = h->colon_off + 1, e = off(h, at);
  if (h->buf[e - 1] == '\r')
    e--;
  while (b < e && zn__http_is_ows((uint8_t)h->buf[b]))
    b++;
  while (e > b && zn__http_is_ows((uint8_t)h->buf[e - 1]))
    e--;
  struct zn_http_str name = {h->buf + h->name_off, h->colon_off - h->name_off};
  struct zn_http_str value = {h->buf + b, e - b};
  h->req.nfields++;
  h->part = P_LINE_START;
  enum zn_http_error err = zn__http_field(h, name, value);
  return err == ZN_HTTP_ERR_NONE || fail(h, at, err);
}

/* RFC 9112 §6.1, §6.3: no transfer coding of a request body is
 * implemented; with a Content-Length, or in HTTP/1.0, the framing is
 * faulty. */
static enum zn_http_error check_framing(const struct zn_http_head *h) {
  if (!h->has_te)
    return ZN_HTTP_ERR_NONE;
  if (h->req.has_content_length)
    return ZN_HTTP_ERR_TE_WITH_CL;
  if (h->req.version_minor == 0)
    return ZN_HTTP_ERR_TE_HTTP10;
  return ZN_HTTP_ERR_TE_NOT_IMPLEMENTED;
}

/* RFC 9112 §9.3: persistence. */
static bool keep_alive(const struct zn_http_head *h) {
  if (h->conn_close)
    return false;
  return h->req.version_minor == 1 || h->conn_keep_alive;
}

static void act_head_end(struct zn_http_head *h, const unsigned char *at) {
  enum zn_http_error e = ZN_HTTP_ERR_NONE;
  if (h->req.version_minor == 1 && !h->req.host.p)
    e = ZN_HTTP_ERR_NO_HOST;
  else
    e = check_framing(h);
  if (e != ZN_HTTP_ERR_NONE) {
    fail(h, at, e);
    return;
  }
  h->req.keep_alive = keep_alive(h);
  h->result = ZN_HTTP_HEAD_DONE;
  h->end = off(h, at) + 1;
}

/* Ragel's table code mixes int and unsigned indices. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wsign-conversion"
#pragma GCC diagnostic ignored "-Wconversion"
#include "http_head_gen.h"
#pragma GCC diagnostic pop

/* The byte at `at` is one the grammar does not allow after what came
 * before: name the rule it breaks. */
static enum zn_http_error classify_error(const struct zn_http_head *h,
                                         const unsigned char *at) {
  uint8_t c = *at;
  bool ws = c == ' ' || c == '\t', eol = c == '\r' || c == '\n';
  if ((const char *)at > h->buf && at[-1] == '\r')
    return ZN_HTTP_ERR_BARE_CR; /* RFC 9112 §2.2 */
  switch (h->part) {
  case P_LEAD:
    return ZN_HTTP_ERR_BAD_REQUEST_LINE;
  case P_METHOD:
    return eol ? ZN_HTTP_ERR_BAD_REQUEST_LINE : ZN_HTTP_ERR_BAD_METHOD;
  case P_TARGET:
    return eol ? ZN_HTTP_ERR_BAD_REQUEST_LINE : ZN_HTTP_ERR_BAD_TARGET;
  case P_VERSION:
    return ZN_HTTP_ERR_BAD_VERSION;
  case P_LINE_START: /* RFC 9112 §2.2, §5.2 */
    if (ws)
      return h->req.nfields == 0 ? ZN_HTTP_ERR_WS_BEFORE_FIRST_FIELD
                                 : ZN_HTTP_ERR_OBS_FOLD;
    return ZN_HTTP_ERR_BAD_FIELD_NAME;
  case P_NAME: /* RFC 9112 §5.1 */
    if (ws)
      return ZN_HTTP_ERR_SPACE_BEFORE_COLON;
    return eol ? ZN_HTTP_ERR_NO_COLON : ZN_HTTP_ERR_BAD_FIELD_NAME;
  default:
    return ZN_HTTP_ERR_BAD_FIELD_VALUE;
  }
}

/* The head needs more room than the buffer has: as a request-line too
 * long while in it, else 431. */
static enum zn_http_error head_overflow(const struct zn_http_head *h,
                                        const unsigned char *at) {
  if (h->part == P_METHOD || h->part == P_TARGET || h->part == P_VERSION)
    return line_overflow(h, at);
  return ZN_HTTP_ERR_HEAD_TOO_LARGE;
}

void zn_http_limits_default(struct zn_http_limits *lim) {
  lim->request_line_max = ZN_DEFAULT_HTTP_REQUEST_LINE_MAX;
  lim->field_line_max = ZN_DEFAULT_HTTP_FIELD_LINE_MAX;
  lim->fields_max = ZN_DEFAULT_HTTP_FIELDS_MAX;
}

void zn_http_head_reset(struct zn_http_head *h) {
  struct zn_http_limits lim = h->lim;
  char *buf = h->buf;
  size_t cap = h->cap;
  memset(h, 0, sizeof(*h));
  h->lim = lim;
  h->buf = buf;
  h->cap = cap;
  h->cs = http_head_start;
  h->part = P_LEAD;
  h->result = ZN_HTTP_HEAD_NEED_MORE;
  h->error = ZN_HTTP_ERR_NONE;
  (void)http_head_first_final;
  (void)http_head_en_main;
}

int zn_http_head_init(struct zn_http_head *h, const struct zn_http_limits *lim,
                      char *buf, size_t cap) {
  struct zn_http_limits l;
  if (lim)
    l = *lim;
  else
    zn_http_limits_default(&l);
  if (!buf || cap == 0 || l.request_line_max == 0 || l.field_line_max == 0 ||
      l.fields_max == 0)
    return ZN_EINVAL;
  h->lim = l;
  h->buf = buf;
  h->cap = cap;
  zn_http_head_reset(h);
  return ZN_OK;
}

enum zn_http_head_result zn_http_head_feed(struct zn_http_head *h,
                                           const void *data, size_t len,
                                           size_t *used) {
  *used = 0;
  if (h->result != ZN_HTTP_HEAD_NEED_MORE)
    return (enum zn_http_head_result)h->result;
  size_t n = h->cap - h->len < len ? h->cap - h->len : len;
  const unsigned char *start = (const unsigned char *)h->buf + h->len;
  if (n > 0)
    memcpy(h->buf + h->len, data, n);
  const unsigned char *stop = http_head_exec(h, start, start + n);
  if (h->result == ZN_HTTP_HEAD_NEED_MORE && h->cs == http_head_error)
    fail(h, stop, classify_error(h, stop));
  if (h->result == ZN_HTTP_HEAD_NEED_MORE && n < len)
    fail(h, start + n, head_overflow(h, start + n));
  if (h->result == ZN_HTTP_HEAD_NEED_MORE) {
    h->len += n;
    *used = n;
    return ZN_HTTP_HEAD_NEED_MORE;
  }
  *used = h->end - h->len;
  if (h->result == ZN_HTTP_HEAD_DONE)
    h->len = h->end;
  return (enum zn_http_head_result)h->result;
}
