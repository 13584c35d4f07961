/*
 * The header fields a static-file server reads (RFC 9110, RFC 9112), one
 * function per field, named after it, each checking its value and
 * recording it in the request.  The fields are one list (FIELDS below),
 * from which the dispatch table is made; any other field was checked by
 * the grammar of http_head.rl and is only counted.
 */
#include "http_int.h"

/* RFC 9110 §7.2, RFC 9112 §3.2: at most one Host, and a valid one. */
static enum zn_http_error field_host(struct zn_http_head *h,
                                     struct zn_http_str v) {
  if (h->req.host.p)
    return ZN_HTTP_ERR_DUP_HOST;
  if (!zn__http_host_valid(v.p, v.len))
    return ZN_HTTP_ERR_BAD_HOST;
  h->req.host = v;
  return ZN_HTTP_ERR_NONE;
}

/* RFC 9112 §9.1, §9.3: Connection = #connection-option (tokens); lines
 * add up. */
static enum zn_http_error field_connection(struct zn_http_head *h,
                                           struct zn_http_str v) {
  size_t pos = 0;
  struct zn_http_str el;
  while (zn__http_list_next(v.p, v.len, &pos, &el)) {
    if (!zn__http_is_token(el.p, el.len))
      return ZN_HTTP_ERR_BAD_CONNECTION;
    if (zn__http_ieq(el.p, el.len, "close", 5))
      h->conn_close = true;
    else if (zn__http_ieq(el.p, el.len, "keep-alive", 10))
      h->conn_keep_alive = true;
  }
  return ZN_HTTP_ERR_NONE;
}

/* RFC 9110 §8.6: 1*DIGIT; a list or several lines of one same value are
 * that value, anything else is an error (RFC 9112 §6.3 item 5). */
static enum zn_http_error field_content_length(struct zn_http_head *h,
                                               struct zn_http_str v) {
  size_t pos = 0;
  struct zn_http_str el;
  bool any = false;
  while (zn__http_list_next(v.p, v.len, &pos, &el)) {
    for (size_t i = 0; i < el.len; i++)
      if (!zn__http_is_digit((uint8_t)el.p[i]))
        return ZN_HTTP_ERR_BAD_CONTENT_LENGTH;
    uint64_t n;
    if (!zn__http_read_u64(el.p, el.len, ZN_HTTP_CONTENT_LENGTH_MAX, &n))
      return ZN_HTTP_ERR_BAD_CONTENT_LENGTH;
    if (h->req.has_content_length && n != h->req.content_length)
      return ZN_HTTP_ERR_BAD_CONTENT_LENGTH;
    h->req.has_content_length = true;
    h->req.content_length = n;
    any = true;
  }
  return any ? ZN_HTTP_ERR_NONE : ZN_HTTP_ERR_BAD_CONTENT_LENGTH;
}

/* RFC 9112 §6.1: whatever the codings, the head end decides (400 or 501,
 * check_framing in http_head.c). */
static enum zn_http_error field_transfer_encoding(struct zn_http_head *h,
                                                  struct zn_http_str v) {
  (void)v;
  h->has_te = true;
  return ZN_HTTP_ERR_NONE;
}

/* RFC 9110 §10.1.1: only 100-continue is an expectation we meet. */
static enum zn_http_error field_expect(struct zn_http_head *h,
                                       struct zn_http_str v) {
  size_t pos = 0;
  struct zn_http_str el;
  while (zn__http_list_next(v.p, v.len, &pos, &el)) {
    if (!zn__http_ieq(el.p, el.len, "100-continue", 12))
      return ZN_HTTP_ERR_EXPECTATION;
    h->req.expect_continue = true;
  }
  return ZN_HTTP_ERR_NONE;
}

/* A field defined as one value: a second line makes it present and empty,
 * which its helper treats as invalid. */
static void singleton(struct zn_http_str *slot, struct zn_http_str v) {
  if (slot->p)
    slot->len = 0;
  else
    *slot = v;
}

/* RFC 9110 §14.2. */
static enum zn_http_error field_range(struct zn_http_head *h,
                                      struct zn_http_str v) {
  singleton(&h->req.range, v);
  return ZN_HTTP_ERR_NONE;
}

/* RFC 9110 §13.1.3. */
static enum zn_http_error field_if_modified_since(struct zn_http_head *h,
                                                  struct zn_http_str v) {
  singleton(&h->req.if_modified_since, v);
  return ZN_HTTP_ERR_NONE;
}

/* RFC 9110 §13.1.5. */
static enum zn_http_error field_if_range(struct zn_http_head *h,
                                         struct zn_http_str v) {
  singleton(&h->req.if_range, v);
  return ZN_HTTP_ERR_NONE;
}

/* RFC 9110 §13.1.2: a list; the first line is kept, the others counted
 * (zn_http_not_modified knows it did not see them). */
static enum zn_http_error field_if_none_match(struct zn_http_head *h,
                                              struct zn_http_str v) {
  if (!h->req.if_none_match.p)
    h->req.if_none_match = v;
  h->req.if_none_match_lines++;
  return ZN_HTTP_ERR_NONE;
}

/* The fields read, as X(function suffix, name in lower case). */
#define FIELDS(X)                                                              \
  X(host, "host")                                                              \
  X(connection, "connection")                                                  \
  X(content_length, "content-length")                                          \
  X(transfer_encoding, "transfer-encoding")                                    \
  X(expect, "expect")                                                          \
  X(range, "range")                                                            \
  X(if_modified_since, "if-modified-since")                                    \
  X(if_range, "if-range")                                                      \
  X(if_none_match, "if-none-match")

static const struct {
  const char *name;
  size_t len;
  enum zn_http_error (*read)(struct zn_http_head *h, struct zn_http_str v);
} fields[] = {
#define FIELD_ROW_(fn, name) {name, sizeof(name) - 1, field_##fn},
    FIELDS(FIELD_ROW_)
#undef FIELD_ROW_
};

enum zn_http_error zn__http_field(struct zn_http_head *h,
                                  struct zn_http_str name,
                                  struct zn_http_str value) {
  for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
    if (zn__http_ieq(name.p, name.len, fields[i].name, fields[i].len))
      return fields[i].read(h, value);
  return ZN_HTTP_ERR_NONE;
}
