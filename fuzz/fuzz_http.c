/*
 * HTTP/1.1 requests (http/): the request-head parser fed a stream in
 * pieces chosen by the input against the same stream fed whole (same
 * outcome, error, bytes taken and request, every string inside the head
 * buffer), request after request as a server would (the body skipped);
 * then, on what each request carried, the helpers a server runs: the
 * target as a path (nothing in it can leave the root; a refusal does not
 * depend on the output's size), the Range against sizes (inside the
 * representation), the dates (what parses writes and reads back the
 * same), the entity-tag and the conditionals (a tag matches itself).
 *
 * Input: a mode byte (bits 0-1: limits, 2-3: the head buffer's size, bit
 * 4: also run the helpers on the raw stream), a seed byte for the pieces,
 * then the stream.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "http/http_snap.h"

#define MAX_REQUESTS 8

/* Head buffers of the server's default size. */
static char buf_whole[ZN_DEFAULT_HTTP_HEAD_MAX],
    buf_split[ZN_DEFAULT_HTTP_HEAD_MAX];

static void limits_of(uint8_t mode, struct zn_http_limits *lim) {
  zn_http_limits_default(lim);
  switch (mode & 3) {
  case 1:
    lim->request_line_max = 40;
    lim->field_line_max = 30;
    lim->fields_max = 4;
    break;
  case 2:
    lim->request_line_max = 1;
    lim->field_line_max = 1;
    lim->fields_max = 1;
    break;
  default:
    break;
  }
}

static size_t cap_of(uint8_t mode, size_t len) {
  static const size_t caps[4] = {sizeof(buf_whole), 512, 48, 0};
  size_t c = caps[(mode >> 2) & 3];
  return c ? c : len / 2 + 1; /* 3: ends inside the stream */
}

/* Cut points for data[0..len) from the seed: pieces of 1 to 32 bytes,
 * or one byte each with seed 0. */
static size_t make_cuts(uint8_t seed, size_t len, size_t *cuts, size_t max) {
  uint32_t x = seed * 2654435761u + 1;
  size_t n = 0, at = 0;
  while (n < max) {
    if (seed == 0) {
      at++;
    } else {
      x ^= x << 13;
      x ^= x >> 17;
      x ^= x << 5;
      at += 1 + x % 32;
    }
    if (at >= len)
      break;
    cuts[n++] = at;
  }
  return n;
}

/* ---- the helpers -------------------------------------------------------- */

/* A path out of zn_http_target_path: relative, segments of at least one
 * byte, none "." or "..", no '\', no NUL or control byte, no byte UTF-8
 * never holds. */
static void check_clean_path(const char *p, size_t len) {
  FZ_CHECK(p[len] == '\0');
  if (len == 0)
    return;
  FZ_CHECK(p[0] != '/' && p[len - 1] != '/');
  size_t seg = 0;
  for (size_t i = 0; i <= len; i++) {
    if (i == len || p[i] == '/') {
      FZ_CHECK(i > seg); /* no empty segment: "//" collapsed */
      FZ_CHECK(!(i - seg == 1 && p[seg] == '.'));
      FZ_CHECK(!(i - seg == 2 && p[seg] == '.' && p[seg + 1] == '.'));
      seg = i + 1;
      continue;
    }
    uint8_t c = (uint8_t)p[i];
    FZ_CHECK(c != '\\' && c >= 0x20 && c != 0x7f);
    FZ_CHECK(c != 0xc0 && c != 0xc1 && c < 0xf5);
  }
}

/* The answer for an output of cap bytes, against the reference (an output
 * that holds any path of t): the same path when it and its NUL fit, else
 * ZN_ENOSPC; a refusal the same whatever cap is. */
static void check_path_cap(const char *t, size_t len, int e,
                           const struct zn_http_path *r, const char *ref,
                           char *out, size_t cap) {
  struct zn_http_path rc;
  int ec = zn_http_target_path(t, len, out, cap, &rc);
  if (e != ZN_OK) {
    FZ_CHECK(ec == e);
  } else if (r->len < cap) {
    FZ_CHECK(ec == ZN_OK && rc.len == r->len && rc.dir == r->dir);
    FZ_CHECK(rc.authority.p == r->authority.p &&
             rc.authority.len == r->authority.len);
    FZ_CHECK(memcmp(out, ref, r->len + 1) == 0);
  } else {
    FZ_CHECK(ec == ZN_ENOSPC);
  }
}

/* The target as a path.  A path is never longer than its target (decoding
 * only shortens), so an output of len + 1 bytes holds any: its answer is
 * the reference, never ZN_ENOSPC.  Outputs of fixed sizes (the server's
 * 8 KiB, a small one) and those one byte either side of the path's size
 * must agree with it. */
static void run_path(const char *t, size_t len) {
  static char fixed[8192], small[16];
  char *ref = malloc(len + 1), *out = malloc(len + 2);
  FZ_CHECK(ref && out);
  struct zn_http_path r;
  int e = zn_http_target_path(t, len, ref, len + 1, &r);
  if (e == ZN_OK) {
    FZ_CHECK(r.len <= len);
    check_clean_path(ref, r.len);
    if (r.authority.p)
      FZ_CHECK(r.authority.p > t && r.authority.p + r.authority.len <= t + len);
    check_path_cap(t, len, e, &r, ref, out, r.len);     /* no room for NUL */
    check_path_cap(t, len, e, &r, ref, out, r.len + 1); /* exactly */
  } else {
    FZ_CHECK(e == ZN_EMALFORMED || e == ZN_EPERM || e == ZN_ENOTSUP);
  }
  check_path_cap(t, len, e, &r, ref, fixed, sizeof(fixed));
  check_path_cap(t, len, e, &r, ref, small, sizeof(small));
  free(out);
  free(ref);
}

static void run_range(const char *v, size_t len, uint64_t salt) {
  static const uint64_t sizes[] = {0, 1, 2, 100, 1u << 20, UINT64_MAX};
  for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]) + 1; i++) {
    uint64_t size = i < sizeof(sizes) / sizeof(sizes[0]) ? sizes[i] : salt;
    uint64_t first = 0, count = 0;
    enum zn_http_range r = zn_http_range_resolve(v, len, size, &first, &count);
    FZ_CHECK(r == ZN_HTTP_RANGE_NONE || r == ZN_HTTP_RANGE_PARTIAL ||
             r == ZN_HTTP_RANGE_UNSATISFIABLE);
    if (r == ZN_HTTP_RANGE_PARTIAL) {
      FZ_CHECK(count >= 1 && count <= size && first <= size - count);
    }
    if (size == 0)
      FZ_CHECK(r != ZN_HTTP_RANGE_PARTIAL);
  }
}

static void run_date(const char *v, size_t len, int64_t now) {
  int64_t t;
  if (zn_http_date_parse(v, len, now, &t) != ZN_OK)
    return;
  char out[ZN_HTTP_DATE_LEN + 1];
  if (zn_http_date_format(t, out) != ZN_OK)
    return; /* a leap second ending year 9999 cannot be written */
  FZ_CHECK(out[ZN_HTTP_DATE_LEN] == '\0');
  int64_t back;
  FZ_CHECK(zn_http_date_parse(out, ZN_HTTP_DATE_LEN, now, &back) == ZN_OK);
  FZ_CHECK(back == t);
  if (len == ZN_HTTP_DATE_LEN && v[3] == ',' && memcmp(v + 23, "60", 2) != 0)
    FZ_CHECK(memcmp(out + 5, v + 5, 20) == 0); /* IMF-fixdate written back */
}

static void run_conditionals(const struct zn_http_request *req, uint64_t size,
                             int64_t mtime, int64_t now) {
  char etag[ZN_HTTP_ETAG_MAX];
  size_t n = zn_http_etag_format(size, mtime, etag, sizeof(etag));
  FZ_CHECK(n > 0 && n < sizeof(etag) && etag[n] == '\0');
  FZ_CHECK(zn_http_etag_match(etag, n, etag, n));
  bool nm = zn_http_not_modified(req, etag, n, mtime, now);
  if (req->method != ZN_HTTP_METHOD_GET && req->method != ZN_HTTP_METHOD_HEAD)
    FZ_CHECK(!nm);
  else if (req->if_none_match.p)
    FZ_CHECK(nm == zn_http_etag_match(req->if_none_match.p,
                                      req->if_none_match.len, etag, n));
  bool ir = zn_http_if_range_ok(req, etag, n, mtime, now);
  if (!req->if_range.p)
    FZ_CHECK(ir);
}

static void run_helpers(const struct zn_http_request *req, uint8_t seed) {
  int64_t now = 1750000000 + (int64_t)seed * 86400 * 97;
  run_path(req->target.p, req->target.len);
  if (req->range.p)
    run_range(req->range.p, req->range.len, req->content_length);
  if (req->if_modified_since.p)
    run_date(req->if_modified_since.p, req->if_modified_since.len, now);
  if (req->if_range.p)
    run_date(req->if_range.p, req->if_range.len, now);
  run_conditionals(req, req->content_length, 784111777 + seed, now);
  FZ_CHECK(zn_http_mime_type(req->target.p, req->target.len) != NULL);
  int st = zn_http_method_status(req->method);
  FZ_CHECK(st == 0 || st == 405 || st == 501);
}

/* ---- the parser ------------------------------------------------------- */

/* The invariants of one parse, whole. */
static void check_whole(const struct zn_http_head *h, const struct hs *w,
                        const uint8_t *d, size_t len, size_t cap) {
  FZ_CHECK(w->used <= len && w->in_buf);
  if (w->result == ZN_HTTP_HEAD_NEED_MORE) {
    FZ_CHECK(w->used == len && w->error == ZN_HTTP_ERR_NONE && len < cap + 1);
    return;
  }
  FZ_CHECK(w->used >= 1);
  if (w->result == ZN_HTTP_HEAD_ERROR) {
    FZ_CHECK(w->error != ZN_HTTP_ERR_NONE);
    int st = zn_http_error_status(h->error);
    FZ_CHECK(st == 400 || st == 414 || st == 417 || st == 431 || st == 501 ||
             st == 505);
    return;
  }
  FZ_CHECK(w->result == ZN_HTTP_HEAD_DONE && w->error == ZN_HTTP_ERR_NONE);
  FZ_CHECK(w->used <= cap && d[w->used - 1] == '\n');
  FZ_CHECK(memcmp(h->buf, d, w->used) == 0);
  FZ_CHECK(w->method_name.len >= 1 && w->target.len >= 1);
  FZ_CHECK(w->minor == 0 || w->minor == 1);
  FZ_CHECK(w->minor == 0 || w->host.present);
  FZ_CHECK(!w->host.present || w->host.len >= 1);
  FZ_CHECK(w->has_cl || w->cl == 0);
  FZ_CHECK(w->cl <= ZN_HTTP_CONTENT_LENGTH_MAX);
  const struct zn_http_request *r = &h->req;
  FZ_CHECK(zn_http_method_lookup(r->method_name.p, r->method_name.len) ==
           r->method);
  if (r->form == ZN_HTTP_FORM_ORIGIN)
    FZ_CHECK(r->target.p[0] == '/');
  if (r->form == ZN_HTTP_FORM_ASTERISK)
    FZ_CHECK(r->method == ZN_HTTP_METHOD_OPTIONS);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct fz_in in;
  fz_in_init(&in, data, size);
  uint8_t mode = fz_u8(&in), seed = fz_u8(&in);
  const uint8_t *d;
  size_t len = fz_bytes(&in, fz_left(&in), &d);
  struct zn_http_limits lim;
  limits_of(mode, &lim);
  size_t cap = cap_of(mode, len);
  if (cap > sizeof(buf_whole))
    cap = sizeof(buf_whole);
  /* Room for a cut after every byte, so pieces of one byte go to the end
   * of any stream. */
  size_t *cuts = malloc((len ? len : 1) * sizeof(*cuts));
  FZ_CHECK(cuts != NULL);
  struct zn_http_head hw, hp;
  FZ_CHECK(zn_http_head_init(&hw, &lim, buf_whole, cap) == ZN_OK);
  FZ_CHECK(zn_http_head_init(&hp, &lim, buf_split, cap) == ZN_OK);
  for (int n = 0; n < MAX_REQUESTS; n++) {
    struct hs w, p;
    FZ_CHECK(hs_feed(&hw, d, len, NULL, 0, &w));
    check_whole(&hw, &w, d, len, cap);
    size_t ncuts = make_cuts(seed, len, cuts, len);
    FZ_CHECK(hs_feed(&hp, d, len, cuts, ncuts, &p));
    FZ_CHECK(hs_eq(&w, &p));
    if (w.result != ZN_HTTP_HEAD_DONE)
      break;
    run_helpers(&hw.req, seed);
    /* The next request, after the body. */
    size_t skip = w.used;
    skip += hw.req.content_length < len - skip ? (size_t)hw.req.content_length
                                               : len - skip;
    d += skip;
    len -= skip;
    zn_http_head_reset(&hw);
    zn_http_head_reset(&hp);
    seed = (uint8_t)(seed * 31 + 7);
  }
  free(cuts);
  if ((mode & 16) && size > 2) {
    const char *raw = (const char *)data + 2;
    size_t rlen = size - 2;
    run_path(raw, rlen);
    run_range(raw, rlen, seed);
    run_date(raw, rlen, 1750000000);
    FZ_CHECK(zn_http_mime_type(raw, rlen) != NULL);
    char etag[ZN_HTTP_ETAG_MAX];
    size_t n =
        zn_http_etag_hash(data, size < 16 ? size : 16, etag, sizeof(etag));
    if (n)
      FZ_CHECK(zn_http_etag_match(etag, n, etag, n));
    (void)zn_http_etag_match(raw, rlen, etag, n);
  }
  return 0;
}
