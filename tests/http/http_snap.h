/*
 * Feeding the HTTP request-head parser in chosen pieces and taking a
 * snapshot of what it found, with every string as an offset into its head
 * buffer, so that parses of one stream in different pieces (and in
 * different buffers) compare with hs_eq.  Shared by tests/http and
 * fuzz/fuzz_http.c.
 */
#ifndef HTTP_SNAP_H
#define HTTP_SNAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "znet/http.h"

/* A string of the request: where in the head buffer. */
struct hs_str {
  bool present;
  size_t off, len;
};

/* What a parse ended with. */
struct hs {
  int result;
  int error;
  size_t used; /* bytes of the stream taken, over all pieces */
  bool in_buf; /* every string lies inside the head (checked) */
  int method, form, minor;
  bool keep_alive, expect_continue, has_cl;
  uint64_t cl;
  uint32_t nfields, inm_lines;
  struct hs_str method_name, target, host, range, inm, ims, if_range;
};

static inline struct hs_str hs_str_of(const struct zn_http_head *h,
                                      struct zn_http_str s, bool *in_buf) {
  struct hs_str o = {false, 0, 0};
  if (!s.p)
    return o;
  o.present = true;
  o.off = (size_t)(s.p - h->buf);
  o.len = s.len;
  if (s.p < h->buf || o.off > h->cap || o.len > h->cap - o.off)
    *in_buf = false;
  return o;
}

/* The snapshot of h after a feed that returned result. */
static inline void hs_take(const struct zn_http_head *h, int result,
                           size_t used, struct hs *o) {
  const struct zn_http_request *r = &h->req;
  memset(o, 0, sizeof(*o));
  o->result = result;
  o->error = (int)h->error;
  o->used = used;
  o->in_buf = true;
  o->method = (int)r->method;
  o->form = (int)r->form;
  o->minor = r->version_minor;
  o->keep_alive = r->keep_alive;
  o->expect_continue = r->expect_continue;
  o->has_cl = r->has_content_length;
  o->cl = r->content_length;
  o->nfields = r->nfields;
  o->inm_lines = r->if_none_match_lines;
  o->method_name = hs_str_of(h, r->method_name, &o->in_buf);
  o->target = hs_str_of(h, r->target, &o->in_buf);
  o->host = hs_str_of(h, r->host, &o->in_buf);
  o->range = hs_str_of(h, r->range, &o->in_buf);
  o->inm = hs_str_of(h, r->if_none_match, &o->in_buf);
  o->ims = hs_str_of(h, r->if_modified_since, &o->in_buf);
  o->if_range = hs_str_of(h, r->if_range, &o->in_buf);
}

static inline bool hs_str_eq(struct hs_str a, struct hs_str b) {
  return a.present == b.present && a.off == b.off && a.len == b.len;
}

static inline bool hs_eq(const struct hs *a, const struct hs *b) {
  return a->result == b->result && a->error == b->error && a->used == b->used &&
         a->in_buf == b->in_buf && a->method == b->method &&
         a->form == b->form && a->minor == b->minor &&
         a->keep_alive == b->keep_alive &&
         a->expect_continue == b->expect_continue && a->has_cl == b->has_cl &&
         a->cl == b->cl && a->nfields == b->nfields &&
         a->inm_lines == b->inm_lines &&
         hs_str_eq(a->method_name, b->method_name) &&
         hs_str_eq(a->target, b->target) && hs_str_eq(a->host, b->host) &&
         hs_str_eq(a->range, b->range) && hs_str_eq(a->inm, b->inm) &&
         hs_str_eq(a->ims, b->ims) && hs_str_eq(a->if_range, b->if_range);
}

/* Parse data[0..len) with h (initialised by the caller) in the pieces
 * that the ascending offsets cuts[0..ncuts) make, stopping at DONE or
 * ERROR.  Returns false if a feed broke its contract (used beyond its
 * piece, NEED_MORE without taking everything). */
static inline bool hs_feed(struct zn_http_head *h, const uint8_t *data,
                           size_t len, const size_t *cuts, size_t ncuts,
                           struct hs *o) {
  size_t at = 0, total = 0;
  int r = ZN_HTTP_HEAD_NEED_MORE;
  for (size_t i = 0; i <= ncuts && r == ZN_HTTP_HEAD_NEED_MORE; i++) {
    size_t end = i < ncuts ? cuts[i] : len;
    if (end < at || end > len)
      return false;
    size_t used = (size_t)-1;
    r = (int)zn_http_head_feed(h, data + at, end - at, &used);
    if (used > end - at)
      return false;
    if (r == ZN_HTTP_HEAD_NEED_MORE && used != end - at)
      return false;
    if (r != ZN_HTTP_HEAD_NEED_MORE && used == 0 && end > at)
      return false; /* something ended at no byte of the piece */
    total += used;
    at = end;
  }
  hs_take(h, r, total, o);
  return true;
}

#endif /* HTTP_SNAP_H */
