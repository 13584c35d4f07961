/*
 * One request to one response (znet/http.h, "The server"): the steps a
 * static-file server takes on a parsed head, in the order of the
 * header's list (RFC 9110 §9.1 methods, RFC 9112 §6.3 and RFC 9110
 * §10.1.1 bodies, RFC 9112 §3.2 targets, RFC 9110 §13.2.2 preconditions,
 * §14.2 ranges), and the response head (RFC 9112 §4, RFC 9110 §6.6.1
 * Date, §8.3 Content-Type, §8.6 Content-Length, §8.8 validators, §14.4
 * Content-Range, §10.2.1 Allow, §10.2.2 Location).
 *
 * The head is written into the server's scratch buffer with the small
 * writer below; a file's own fields come precomputed from its source
 * when it has them (zn_http_file_fields), so a hot file costs a few
 * copies.  The Date field is formatted once per second of the clock.
 */
#include <string.h>

#include "http_int.h"
#include "http_server_int.h"
#include "znet/err.h"

/* What the response is, before its head is written. */
struct resp {
  int status;
  bool close;     /* Connection: close, then a lingering close */
  bool head_only; /* HEAD: the head GET would have, no body */
  const struct zn_http_file *file; /* 200, 206, 304, 416 */
  uint64_t first, count;           /* the part of it sent (200, 206) */
  const char *path;                /* the file's path (Content-Type) */
  size_t path_len;
  bool redirect; /* 301 to path + "/" */
};

/* ---- a bounded writer ---- */

struct wr {
  char *p;
  size_t len, cap;
  bool over;
};

static size_t cstr_len(const char *s) {
  size_t n = 0;
  while (s[n] != '\0')
    n++;
  return n;
}

static void put(struct wr *w, const char *s, size_t n) {
  if (w->over || n > w->cap - w->len) {
    w->over = true;
    return;
  }
  memcpy(w->p + w->len, s, n);
  w->len += n;
}

#define PUT_LIT(w, s) put((w), (s), sizeof(s) - 1)

static void put_cstr(struct wr *w, const char *s) { put(w, s, cstr_len(s)); }

static void put_u64(struct wr *w, uint64_t v) {
  char d[20];
  size_t n = 0;
  do {
    d[sizeof(d) - 1 - n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v != 0);
  put(w, d + sizeof(d) - n, n);
}

static void put_date(struct wr *w, int64_t t) {
  char d[ZN_HTTP_DATE_LEN + 1];
  if (zn_http_date_format(t, d) == ZN_OK)
    put(w, d, ZN_HTTP_DATE_LEN);
  else
    w->over = true;
}

/* ---- a file's fields ---- */

static bool printable(const char *s, size_t n, uint8_t lo) {
  for (size_t i = 0; i < n; i++) {
    uint8_t c = (uint8_t)s[i];
    if (c < lo || c == 0x7f)
      return false;
  }
  return true;
}

/* NOLINTNEXTLINE(readability-non-const-parameter): written through w */
size_t zn_http_file_fields(const struct zn_http_file *f, char *out,
                           size_t cap) {
  const char *type = f->type ? f->type : ZN_HTTP_MIME_DEFAULT;
  size_t tlen = cstr_len(type);
  if (tlen > ZN_HTTP_TYPE_MAX || !printable(type, tlen, 0x20) ||
      (f->etag && (f->etag_len > ZN_HTTP_ETAG_TEXT_MAX ||
                   !printable(f->etag, f->etag_len, 0x21))))
    return 0;
  struct wr w = {out, 0, cap, false};
  PUT_LIT(&w, "Content-Type: ");
  put(&w, type, tlen);
  if (f->mtime != ZN_HTTP_NO_MTIME) {
    PUT_LIT(&w, "\r\nLast-Modified: ");
    put_date(&w, f->mtime);
  }
  if (f->etag) {
    PUT_LIT(&w, "\r\nETag: ");
    put(&w, f->etag, f->etag_len);
  }
  PUT_LIT(&w, "\r\nAccept-Ranges: bytes\r\n");
  return w.over ? 0 : w.len;
}

/* ---- the clock ---- */

/* The wall clock's second, and Date's text for it (formatted when the
 * second changes); 0 when there is no clock or it says 0. */
static int64_t clock_now(struct zn_http_server *srv) {
  if (srv->cfg.clock == NULL)
    return 0;
  uint64_t t = srv->cfg.clock(srv->cfg.clock_arg);
  if (t == 0 || t > (uint64_t)INT64_MAX)
    return 0;
  if ((int64_t)t != srv->date_sec) {
    if (zn_http_date_format((int64_t)t, srv->date) != ZN_OK)
      return 0;
    srv->date_sec = (int64_t)t;
  }
  return (int64_t)t;
}

/* ---- the head ---- */

/* RFC 3986 §3.3: the bytes a path segment may hold as they are; the
 * others are percent-encoded. */
static bool pchar_plain(uint8_t c) {
  return zn__http_is_unreserved(c) || zn__http_is_subdelim(c) || c == ':' ||
         c == '@' || c == '/';
}

/* Location: the cleaned path (never the target as received: "//host/d"
 * must not become a redirect to another host), encoded, with its '/'. */
static void put_location(struct wr *w, const char *path, size_t len) {
  static const char hex[] = "0123456789ABCDEF";
  PUT_LIT(w, "Location: /");
  for (size_t i = 0; i < len; i++) {
    uint8_t c = (uint8_t)path[i];
    if (pchar_plain(c)) {
      put(w, (const char *)&path[i], 1);
    } else {
      char e[3] = {'%', hex[c >> 4], hex[c & 15]};
      put(w, e, 3);
    }
  }
  PUT_LIT(w, "/\r\n");
}

static void put_file_fields(struct wr *w, const struct resp *r) {
  const struct zn_http_file *f = r->file;
  if (f->fields) {
    put(w, f->fields, f->fields_len);
    return;
  }
  struct zn_http_file g = *f;
  if (g.type == NULL)
    g.type = zn_http_mime_type(r->path, r->path_len);
  size_t n =
      w->over ? 0 : zn_http_file_fields(&g, w->p + w->len, w->cap - w->len);
  if (n == 0)
    w->over = true;
  w->len += n;
}

/* RFC 9110 §15.4.5: a 304 carries the validators a 200 would. */
static void put_validators(struct wr *w, const struct zn_http_file *f) {
  if (f->etag) {
    PUT_LIT(w, "ETag: ");
    put(w, f->etag, f->etag_len);
    PUT_LIT(w, "\r\n");
  }
  if (f->mtime != ZN_HTTP_NO_MTIME) {
    PUT_LIT(w, "Last-Modified: ");
    put_date(w, f->mtime);
    PUT_LIT(w, "\r\n");
  }
}

/* The fields that depend on the status: Allow, Location, and those of
 * the file a response has one of. */
static void put_status_fields(struct wr *w, const struct resp *r) {
  if (r->status == 405) {
    PUT_LIT(w, "Allow: ");
    put(w, zn_http_allow().p, zn_http_allow().len);
    PUT_LIT(w, "\r\n");
  }
  if (r->redirect)
    put_location(w, r->path, r->path_len);
  if (r->file == NULL)
    return;
  switch (r->status) {
  case 200:
    put_file_fields(w, r);
    break;
  case 206:
    put_file_fields(w, r);
    PUT_LIT(w, "Content-Range: bytes ");
    put_u64(w, r->first);
    PUT_LIT(w, "-");
    put_u64(w, r->first + r->count - 1);
    PUT_LIT(w, "/");
    put_u64(w, r->file->size);
    PUT_LIT(w, "\r\n");
    break;
  case 304:
    put_validators(w, r->file);
    break;
  case 416:
    PUT_LIT(w, "Content-Range: bytes */");
    put_u64(w, r->file->size);
    PUT_LIT(w, "\r\n");
    break;
  default:
    break;
  }
}

/* RFC 6797 §6.1: over TLS only (the stream port), as configured. */
static void put_hsts(struct wr *w, const struct http_conn *hc) {
  const struct zn_http_server_cfg *cfg = &hc->srv->cfg;
  if (cfg->hsts_max_age == 0 || hc->s == &hc->ts.s)
    return;
  PUT_LIT(w, "Strict-Transport-Security: max-age=");
  put_u64(w, cfg->hsts_max_age);
  if (cfg->hsts_subdomains)
    PUT_LIT(w, "; includeSubDomains");
  PUT_LIT(w, "\r\n");
}

static bool has_file_body(const struct resp *r) {
  return r->file != NULL && (r->status == 200 || r->status == 206);
}

/* Write the head (and an error's short text body) into the scratch
 * buffer; returns its length and the body's (*text: the part of the
 * length that is the text), 0 if it did not fit. */
static size_t build(struct http_conn *hc, const struct resp *r,
                    uint8_t version_minor, size_t *text) {
  struct zn_http_server *srv = hc->srv;
  struct wr w = {(char *)srv->scratch, 0, HS_HEAD_OUT_MAX, false};
  const char *reason = zn_http_reason(r->status);
  PUT_LIT(&w, "HTTP/1.1 ");
  put_u64(&w, (uint64_t)r->status);
  PUT_LIT(&w, " ");
  put_cstr(&w, reason);
  PUT_LIT(&w, "\r\n");
  if (srv->date_sec != 0) {
    PUT_LIT(&w, "Date: ");
    put(&w, srv->date, ZN_HTTP_DATE_LEN);
    PUT_LIT(&w, "\r\n");
  }
  PUT_LIT(&w, "Server: znet\r\n");
  put_hsts(&w, hc);
  put_status_fields(&w, r);
  /* An error says what it is in a line of text. */
  bool textual = !has_file_body(r) && r->status != 304 && r->status != 416;
  size_t tlen = textual ? 5 + cstr_len(reason) : 0;
  if (has_file_body(r)) {
    PUT_LIT(&w, "Content-Length: ");
    put_u64(&w, r->count);
    PUT_LIT(&w, "\r\n");
  } else if (r->status != 304) {
    if (textual)
      PUT_LIT(&w, "Content-Type: text/plain; charset=utf-8\r\n");
    PUT_LIT(&w, "Content-Length: ");
    put_u64(&w, tlen);
    PUT_LIT(&w, "\r\n");
  }
  if (r->close)
    PUT_LIT(&w, "Connection: close\r\n");
  else if (version_minor == 0)
    PUT_LIT(&w, "Connection: keep-alive\r\n");
  PUT_LIT(&w, "\r\n");
  *text = 0;
  if (textual && !r->head_only) {
    put_u64(&w, (uint64_t)r->status);
    PUT_LIT(&w, " ");
    put_cstr(&w, reason);
    PUT_LIT(&w, "\n");
    *text = tlen;
  }
  return w.over ? 0 : w.len;
}

/* ---- counting and logging ---- */

static void count_status(struct zn_http_server *srv, int status) {
  switch (status) {
#define STATUS_CASE_(code)                                                     \
  case code:                                                                   \
    HS_COUNT(srv, status_##code);                                              \
    return;
    ZN_HTTP_SERVER_STATUSES(STATUS_CASE_)
#undef STATUS_CASE_
  default:
    HS_COUNT(srv, status_other);
  }
}

static void log_access(struct http_conn *hc, int status, uint64_t bytes) {
  struct zn_http_server *srv = hc->srv;
  if (srv->cfg.access_log == NULL)
    return;
  const struct zn_http_request *req = &hc->ctx->head.req;
  struct zn_http_access a;
  memset(&a, 0, sizeof(a));
  if (req->target.p != NULL) {
    a.method = req->method_name;
    a.target = req->target;
    a.version_minor = req->version_minor;
  } else {
    a.version_minor = 1;
  }
  a.status = status;
  a.stream = !hc->plain;
  a.bytes = bytes;
  struct zn_tcp_conn *c = zn_stream_conn(hc->s);
  if (c != NULL) { /* the slot keeps no copy: asked only to log */
    struct zn_tcp_info ti;
    zn_tcp_get_info(c, &ti);
    a.peer = ti.raddr;
    a.peer_port = ti.rport;
  }
  srv->cfg.access_log(srv->cfg.access_arg, &a);
}

/* The response: head written, counted, logged, and what the server is
 * to send in *out (whose file, if r has one, is out->file). */
static void finish(struct http_conn *hc, struct resp *r, uint8_t version_minor,
                   struct hs_response *out) {
  struct zn_http_server *srv = hc->srv;
  size_t text = 0;
  size_t head = build(hc, r, version_minor, &text);
  if (head == 0) {
    /* Only a source's bad type or entity-tag, or a Location too long for
     * a head, can overflow it. */
    struct resp e = {.status = r->redirect ? 414 : 500,
                     .close = r->close,
                     .head_only = r->head_only};
    if (!r->redirect)
      HS_COUNT(srv, content_errors);
    head = build(hc, &e, version_minor, &text);
    r->status = e.status;
    r->file = NULL;
  }
  count_status(srv, r->status);
  uint64_t body = 0;
  const uint8_t *data = NULL;
  if (r->file && has_file_body(r) && !r->head_only && r->count > 0) {
    body = r->count;
    data = r->file->data + r->first;
  }
  log_access(hc, r->status, head + body);
  (void)text; /* part of head: the error's line goes with it */
  out->head_len = head;
  out->has_file = r->file != NULL;
  out->body = data;
  out->body_len = body;
  out->close_after = r->close;
}

/* ---- the steps ---- */

/* RFC 9110 §9.1, §15.5.6, §15.6.2: GET and HEAD are served, the other
 * methods are known and not allowed here (405), anything else is not
 * implemented (501; how such a request is framed is not known: close). */
static bool check_method(const struct zn_http_request *req, struct resp *r) {
  int st = zn_http_method_status(req->method);
  if (st == 0)
    return true;
  r->status = st;
  if (st == 501)
    r->close = true;
  return false;
}

/* RFC 9112 §6.3, RFC 9110 §10.1.1: a request body is read and dropped
 * after the answer when it is small; a larger one is not read at all
 * (413 for GET and HEAD), and the connection closes after the answer.
 * With 100-continue the client may never send the body: close too. */
static bool check_body(struct http_conn *hc, const struct zn_http_request *req,
                       struct resp *r) {
  struct zn_http_server *srv = hc->srv;
  if (req->content_length == 0)
    return true;
  if (req->content_length > srv->cfg.body_max) {
    hc->discard_left = 0; /* the lingering close drops it */
    r->close = true;
    r->status = 413;
    return false;
  }
  HS_COUNT(srv, bodies_discarded);
  if (req->expect_continue)
    r->close = true;
  return true;
}

/* RFC 9112 §3.2, RFC 9110 §7.1: the target as a path under the root.
 * A traversal in any spelling, or any malformed target, is a bad
 * request; one too long for the path buffer 414. */
static bool target_to_path(struct http_conn *hc,
                           const struct zn_http_request *req, struct resp *r,
                           struct zn_http_path *pr) {
  struct zn_http_server *srv = hc->srv;
  int rc = zn_http_target_path(req->target.p, req->target.len, srv->path,
                               srv->path_cap - HS_INDEX_ROOM, pr);
  if (rc == ZN_OK)
    return true;
  if (rc == ZN_EPERM)
    HS_COUNT(srv, traversal_refused);
  r->status = rc == ZN_ENOSPC ? 414 : 400;
  r->close = true;
  return false;
}

/* The source's answer as a status: 0 for a file. */
static int open_status(struct zn_http_server *srv, int rc) {
  switch (rc) {
  case ZN_OK:
    return 0;
  case ZN_ENOENT:
  case ZN_EISDIR: /* an index.html that is a directory */
    return 404;
  case ZN_EACCES:
    return 403;
  default:
    HS_COUNT(srv, content_errors);
    return 500;
  }
}

/* The file for the path: a directory's index.html when the target ends
 * in '/', else the path itself; a directory named without its '/' is
 * redirected to it (301), so that relative links in its index resolve
 * under it. */
static bool open_representation(struct http_conn *hc,
                                const struct zn_http_path *pr,
                                struct zn_http_file *f, struct resp *r) {
  struct zn_http_server *srv = hc->srv;
  struct zn_http_content *src = srv->cfg.content;
  char *path = srv->path;
  size_t len = pr->len;
  r->path = path;
  r->path_len = len;
  if (pr->dir) {
    static const char index[] = "/index.html";
    size_t skip = len == 0 ? 1 : 0; /* the root: "index.html" */
    memcpy(path + len, index + skip, sizeof(index) - skip);
    len += sizeof(index) - 1 - skip;
    r->path_len = len;
  }
  int rc = src->open(src, path, len, f);
  if (rc == ZN_EISDIR && !pr->dir) {
    HS_COUNT(srv, redirects);
    r->status = 301;
    r->redirect = true;
    return false;
  }
  r->status = open_status(srv, rc);
  return r->status == 0;
}

/* RFC 9110 §13.2.2 steps 3 and 4 (If-None-Match, else
 * If-Modified-Since), then §14.2 (Range, with If-Range, GET only). */
static void select_part(struct http_conn *hc, const struct zn_http_request *req,
                        const struct zn_http_file *f, int64_t now,
                        struct resp *r) {
  struct zn_http_server *srv = hc->srv;
  r->file = f;
  r->status = 200;
  r->first = 0;
  r->count = f->size;
  if (zn_http_not_modified(req, f->etag, f->etag_len, f->mtime, now)) {
    HS_COUNT(srv, not_modified);
    r->status = 304;
    return;
  }
  if (req->method != ZN_HTTP_METHOD_GET || req->range.p == NULL ||
      !zn_http_if_range_ok(req, f->etag, f->etag_len, f->mtime, now))
    return;
  uint64_t first = 0, count = 0;
  switch (zn_http_range_resolve(req->range.p, req->range.len, f->size, &first,
                                &count)) {
  case ZN_HTTP_RANGE_PARTIAL:
    HS_COUNT(srv, ranges);
    r->status = 206;
    r->first = first;
    r->count = count;
    break;
  case ZN_HTTP_RANGE_UNSATISFIABLE:
    r->status = 416;
    break;
  case ZN_HTTP_RANGE_NONE:
    break;
  }
}

void zn__hs_serve(struct http_conn *hc, struct hs_response *out) {
  const struct zn_http_request *req = &hc->ctx->head.req;
  struct resp r = {.close = !req->keep_alive,
                   .head_only = req->method == ZN_HTTP_METHOD_HEAD};
  int64_t now = clock_now(hc->srv);
  struct zn_http_path pr;
  struct zn_http_file *f = &out->file;
  if (check_body(hc, req, &r) && check_method(req, &r) &&
      target_to_path(hc, req, &r, &pr) && open_representation(hc, &pr, f, &r))
    select_part(hc, req, f, now, &r);
  /* A method refused outranks a body too large (it was never going to
   * be served either way). */
  if (r.status == 413)
    (void)check_method(req, &r);
  finish(hc, &r, req->version_minor, out);
}

void zn__hs_serve_error(struct http_conn *hc, enum zn_http_error e,
                        struct hs_response *out) {
  (void)clock_now(hc->srv);
  struct resp r = {.status = zn_http_error_status(e), .close = true};
  finish(hc, &r, 1, out);
}
