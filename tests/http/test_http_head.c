/*
 * Tests of the HTTP request-head parser (http/http_head.rl,
 * http_head.c, http_fields.c): every method; the request-line and field
 * lines, valid and malformed in many ways, each with the error and status
 * expected; the fields a server reads; each limit at its bound and one
 * past it; pipelined requests; and, for every request of the set, every
 * split into two pieces, one byte at a time and random splits give the
 * outcome of the whole (tests/http/http_snap.h compares them).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http_snap.h"
#include "znet/err.h"
#include "znet/http.h"
#include "zt.h"

#define E(name) ZN_HTTP_ERR_##name
#define DONE ZN_HTTP_HEAD_DONE
#define ERR ZN_HTTP_HEAD_ERROR
#define MORE ZN_HTTP_HEAD_NEED_MORE

static char hbuf[ZN_DEFAULT_HTTP_HEAD_MAX];

/* Parse s whole with the default limits into h. */
static enum zn_http_head_result parse(struct zn_http_head *h, const char *s,
                                      size_t *used) {
  ZT_EQ(zn_http_head_init(h, NULL, hbuf, sizeof(hbuf)), ZN_OK);
  size_t u = 0;
  enum zn_http_head_result r = zn_http_head_feed(h, s, strlen(s), &u);
  if (used)
    *used = u;
  return r;
}

static bool str_is(struct zn_http_str s, const char *want) {
  return s.p && s.len == strlen(want) && memcmp(s.p, want, s.len) == 0;
}

/* ---- the request set -------------------------------------------------- */

struct tcase {
  const char *req;
  enum zn_http_head_result result;
  enum zn_http_error err;
  int status; /* the error's, or 0 */
};

#define OK_(r)                                                                 \
  { r, DONE, E(NONE), 0 }
#define BAD_(r, e, st)                                                         \
  { r, ERR, E(e), st }

static const struct tcase cases[] = {
    /* Valid heads of many shapes. */
    OK_("GET / HTTP/1.1\r\nHost: a\r\n\r\n"),
    OK_("GET / HTTP/1.1\nHost: a\n\n"),               /* LF alone */
    OK_("GET / HTTP/1.1\r\nHost: a\n\r\n"),           /* mixed */
    OK_("\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"), /* empty lines */
    OK_("\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"),
    OK_("GET / HTTP/1.0\r\n\r\n"), /* no Host */
    OK_("HEAD /index.html HTTP/1.1\r\nHost: example.com:8080\r\n\r\n"),
    OK_("GET /a/b?c=d&e HTTP/1.1\r\nHost: [2001:db8::1]:80\r\n\r\n"),
    OK_("GET /%41%2f HTTP/1.1\r\nHost: a\r\n\r\n"),
    OK_("GET http://example.com/x HTTP/1.1\r\nHost: example.com\r\n\r\n"),
    OK_("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n"),
    OK_("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n"),
    OK_("GET / HTTP/1.1\r\nHost:a\r\n\r\n"),                /* no OWS */
    OK_("GET / HTTP/1.1\r\nHost: \t a \t \r\n\r\n"),        /* OWS trimmed */
    OK_("GET / HTTP/1.1\r\nHost: a\r\nX-Empty:\r\n\r\n"),   /* empty value */
    OK_("GET / HTTP/1.1\r\nHost: a\r\nX: a  b\tc\r\n\r\n"), /* inner ws */
    OK_("GET / HTTP/1.1\r\nHost: a\r\nX: caf\xc3\xa9\r\n\r\n"), /* obs-text */
    OK_("GET / HTTP/1.1\r\nhOsT: a\r\n\r\n"),                   /* case */
    OK_("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"),
    OK_("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"),
    OK_("GET / HTTP/1.1\r\nHost: a\r\nConnection: ,, Upgrade , close,\r\n\r\n"),
    OK_("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n"),
    OK_("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\n"),
    OK_("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
        "Content-Length: 5\r\n\r\n"),
    OK_("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n"),
    OK_("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: "
        "9223372036854775807\r\n\r\n"),
    OK_("GET / HTTP/1.1\r\nHost: a\r\nRange: bytes=0-99\r\n\r\n"),
    OK_("GET / HTTP/1.1\r\nHost: a\r\nIf-None-Match: \"x\", W/\"y\"\r\n\r\n"),
    OK_("GET / HTTP/1.1\r\nHost: a\r\nIf-Modified-Since: Sun, 06 Nov 1994 "
        "08:49:37 GMT\r\n\r\n"),
    OK_("GET / HTTP/1.1\r\nHost: a\r\nIf-Range: \"x\"\r\n\r\n"),
    OK_("GET / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n\r\n"),
    OK_("GET / HTTP/1.2\r\nHost: a\r\n\r\n"), /* as 1.1 */
    OK_("GET / HTTP/1.9\r\nHost: a\r\n\r\n"),
    OK_("FOO / HTTP/1.1\r\nHost: a\r\n\r\n"), /* 501 later */
    OK_("get / HTTP/1.1\r\nHost: a\r\n\r\n"), /* not GET */
    OK_("M-SEARCH /x HTTP/1.1\r\nHost: a\r\n\r\n"),
    OK_("GET / HTTP/1.1\r\nHost: a\r\n!#$%&'*+-.^_`|~09azAZ: v\r\n\r\n"),
    /* Request-line. */
    BAD_(" GET / HTTP/1.1\r\nHost: a\r\n\r\n", BAD_REQUEST_LINE, 400),
    BAD_("GET  / HTTP/1.1\r\nHost: a\r\n\r\n", BAD_TARGET, 400),
    BAD_("GET /  HTTP/1.1\r\nHost: a\r\n\r\n", BAD_VERSION, 400),
    BAD_("GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n", BAD_METHOD, 400),
    BAD_("GET / HTTP/1.1 \r\nHost: a\r\n\r\n", BAD_VERSION, 400),
    BAD_("GET /HTTP/1.1\r\nHost: a\r\n\r\n", BAD_REQUEST_LINE, 400),
    BAD_("GET /\r\n\r\n", BAD_REQUEST_LINE, 400), /* HTTP/0.9 */
    BAD_("GET\r\n\r\n", BAD_REQUEST_LINE, 400),
    BAD_("G(T / HTTP/1.1\r\nHost: a\r\n\r\n", BAD_METHOD, 400),
    BAD_("GE\"T / HTTP/1.1\r\nHost: a\r\n\r\n", BAD_METHOD, 400),
    BAD_("G\x80T / HTTP/1.1\r\nHost: a\r\n\r\n", BAD_METHOD, 400),
    BAD_("GET /a b HTTP/1.1\r\nHost: a\r\n\r\n", BAD_VERSION, 400),
    BAD_("GET /a\"b HTTP/1.1\r\nHost: a\r\n\r\n", BAD_TARGET, 400),
    BAD_("GET /a<b HTTP/1.1\r\nHost: a\r\n\r\n", BAD_TARGET, 400),
    BAD_("GET /a\\b HTTP/1.1\r\nHost: a\r\n\r\n", BAD_TARGET, 400),
    BAD_("GET /a#b HTTP/1.1\r\nHost: a\r\n\r\n", BAD_TARGET, 400),
    BAD_("GET /a{b HTTP/1.1\r\nHost: a\r\n\r\n", BAD_TARGET, 400),
    BAD_("GET /a\x01 HTTP/1.1\r\nHost: a\r\n\r\n", BAD_TARGET, 400),
    BAD_("GET /a\x7f HTTP/1.1\r\nHost: a\r\n\r\n", BAD_TARGET, 400),
    BAD_("GET /\xc3\xa9 HTTP/1.1\r\nHost: a\r\n\r\n", BAD_TARGET, 400),
    BAD_("GET /%zz HTTP/1.1\r\nHost: a\r\n\r\n", BAD_TARGET, 400),
    BAD_("GET /%4 HTTP/1.1\r\nHost: a\r\n\r\n", BAD_TARGET, 400),
    BAD_("GET a/b HTTP/1.1\r\nHost: a\r\n\r\n", BAD_TARGET_FORM, 400),
    BAD_("GET * HTTP/1.1\r\nHost: a\r\n\r\n", BAD_TARGET_FORM, 400),
    BAD_("M-SEARCH * HTTP/1.1\r\nHost: a\r\n\r\n", BAD_TARGET_FORM, 400),
    BAD_("CONNECT / HTTP/1.1\r\nHost: a\r\n\r\n", BAD_TARGET_FORM, 400),
    BAD_("GET 1http://a/ HTTP/1.1\r\nHost: a\r\n\r\n", BAD_TARGET_FORM, 400),
    BAD_("GET / http/1.1\r\nHost: a\r\n\r\n", BAD_VERSION, 400),
    BAD_("GET / HTTP/1.10\r\nHost: a\r\n\r\n", BAD_VERSION, 400),
    BAD_("GET / HTTP/11\r\nHost: a\r\n\r\n", BAD_VERSION, 400),
    BAD_("GET / HTTP/1.\r\nHost: a\r\n\r\n", BAD_VERSION, 400),
    BAD_("GET / HTTP/1\r\nHost: a\r\n\r\n", BAD_VERSION, 400),
    BAD_("GET / HTTP/a.1\r\nHost: a\r\n\r\n", BAD_VERSION, 400),
    BAD_("GET / HTTPS/1.1\r\nHost: a\r\n\r\n", BAD_VERSION, 400),
    BAD_("GET / HTTP/2.0\r\nHost: a\r\n\r\n", VERSION_NOT_SUPPORTED, 505),
    BAD_("GET / HTTP/3.0\r\nHost: a\r\n\r\n", VERSION_NOT_SUPPORTED, 505),
    BAD_("GET / HTTP/0.9\r\nHost: a\r\n\r\n", VERSION_NOT_SUPPORTED, 505),
    BAD_("GET / HTTP/9.9\r\n\r\n", VERSION_NOT_SUPPORTED, 505),
    /* Line ends. */
    BAD_("GET / HTTP/1.1\rHost: a\r\n\r\n", BARE_CR, 400),
    BAD_("GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n", BARE_CR, 400),
    BAD_("GET / HTTP/1.1\r\nHost: a\r\n\r\r\n", BARE_CR, 400),
    BAD_("\rGET / HTTP/1.1\r\nHost: a\r\n\r\n", BARE_CR, 400),
    BAD_("GET / HTTP/1.1\r\nHost: a\r\r\n\r\n", BARE_CR, 400),
    BAD_("GET / HTTP/1.1\r\nX: \r \r\nHost: a\r\n\r\n", BARE_CR, 400),
    /* Field lines. */
    BAD_("GET / HTTP/1.1\r\n Host: a\r\n\r\n", WS_BEFORE_FIRST_FIELD, 400),
    BAD_("GET / HTTP/1.1\r\n\tHost: a\r\n\r\n", WS_BEFORE_FIRST_FIELD, 400),
    BAD_("GET / HTTP/1.1\r\nHost: a\r\nX: b\r\n c\r\n\r\n", OBS_FOLD, 400),
    BAD_("GET / HTTP/1.1\r\nHost: a\r\nX: b\r\n\tc\r\n\r\n", OBS_FOLD, 400),
    BAD_("GET / HTTP/1.1\r\nHost: a\r\nX b\r\n\r\n", SPACE_BEFORE_COLON, 400),
    BAD_("GET / HTTP/1.1\r\nHost : a\r\n\r\n", SPACE_BEFORE_COLON, 400),
    BAD_("GET / HTTP/1.1\r\nHost\t: a\r\n\r\n", SPACE_BEFORE_COLON, 400),
    BAD_("GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n", NO_COLON, 400),
    BAD_("GET / HTTP/1.1\r\nHost: a\r\nNoColon\n\n", NO_COLON, 400),
    BAD_("GET / HTTP/1.1\r\n: a\r\n\r\n", BAD_FIELD_NAME, 400),
    BAD_("GET / HTTP/1.1\r\nHo(st: a\r\n\r\n", BAD_FIELD_NAME, 400),
    BAD_("GET / HTTP/1.1\r\nHo\x80st: a\r\n\r\n", BAD_FIELD_NAME, 400),
    BAD_("GET / HTTP/1.1\r\nHost: a\r\nX: a\x01\r\n\r\n", BAD_FIELD_VALUE, 400),
    BAD_("GET / HTTP/1.1\r\nHost: a\r\nX: a\x7f\r\n\r\n", BAD_FIELD_VALUE, 400),
    /* Host. */
    BAD_("GET / HTTP/1.1\r\n\r\n", NO_HOST, 400),
    BAD_("GET / HTTP/1.1\r\nX: a\r\n\r\n", NO_HOST, 400),
    BAD_("GET / HTTP/1.1\r\nHost:\r\n\r\n", BAD_HOST, 400),
    BAD_("GET / HTTP/1.1\r\nHost:   \r\n\r\n", BAD_HOST, 400),
    BAD_("GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", DUP_HOST, 400),
    BAD_("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", DUP_HOST, 400),
    BAD_("GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n", DUP_HOST, 400),
    BAD_("GET / HTTP/1.1\r\nHost: a b\r\n\r\n", BAD_HOST, 400),
    BAD_("GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", BAD_HOST, 400),
    BAD_("GET / HTTP/1.1\r\nHost: u@a\r\n\r\n", BAD_HOST, 400),
    BAD_("GET / HTTP/1.1\r\nHost: a:8x\r\n\r\n", BAD_HOST, 400),
    BAD_("GET / HTTP/1.1\r\nHost: a, b\r\n\r\n", BAD_HOST, 400),
    BAD_("GET / HTTP/1.1\r\nHost: [::1\r\n\r\n", BAD_HOST, 400),
    BAD_("GET / HTTP/1.1\r\nHost: [zz::1]\r\n\r\n", BAD_HOST, 400),
    BAD_("GET / HTTP/1.1\r\nHost: :80\r\n\r\n", BAD_HOST, 400),
    /* Connection. */
    BAD_("GET / HTTP/1.1\r\nHost: a\r\nConnection: clo/se\r\n\r\n",
         BAD_CONNECTION, 400),
    /* Content-Length and Transfer-Encoding. */
    BAD_("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 6\r\n\r\n",
         BAD_CONTENT_LENGTH, 400),
    BAD_("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
         "Content-Length: 6\r\n\r\n",
         BAD_CONTENT_LENGTH, 400),
    BAD_("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n",
         BAD_CONTENT_LENGTH, 400),
    BAD_("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\n",
         BAD_CONTENT_LENGTH, 400),
    BAD_("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x10\r\n\r\n",
         BAD_CONTENT_LENGTH, 400),
    BAD_("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1 0\r\n\r\n",
         BAD_CONTENT_LENGTH, 400),
    BAD_("GET / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n\r\n",
         BAD_CONTENT_LENGTH, 400),
    BAD_("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: "
         "9223372036854775808\r\n\r\n",
         BAD_CONTENT_LENGTH, 400),
    BAD_("GET / HTTP/1.1\r\nHost: a\r\n"
         "Content-Length: 99999999999999999999999999\r\n\r\n",
         BAD_CONTENT_LENGTH, 400),
    BAD_("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
         "Transfer-Encoding: chunked\r\n\r\n",
         TE_WITH_CL, 400),
    BAD_("GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
         "Content-Length: 5\r\n\r\n",
         TE_WITH_CL, 400),
    BAD_("GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n",
         TE_NOT_IMPLEMENTED, 501),
    BAD_(
        "GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
        TE_NOT_IMPLEMENTED, 501),
    BAD_("GET / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", TE_HTTP10,
         400),
    /* Expect. */
    BAD_("GET / HTTP/1.1\r\nHost: a\r\nExpect: 200-ok\r\n\r\n", EXPECTATION,
         417),
    BAD_("GET / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue, x\r\n\r\n",
         EXPECTATION, 417),
};

#define NCASES (sizeof(cases) / sizeof(cases[0]))

ZT_TEST(test_case_set_whole_gives_expected) {
  for (size_t i = 0; i < NCASES; i++) {
    struct zn_http_head h;
    size_t used;
    enum zn_http_head_result r = parse(&h, cases[i].req, &used);
    if (r != cases[i].result || h.error != cases[i].err) {
      zt_fail(__FILE__, __LINE__, "case %zu: result %d error %s, want %d %s", i,
              r, zn_http_error_name(h.error), cases[i].result,
              zn_http_error_name(cases[i].err));
      continue;
    }
    ZT_EQ(zn_http_error_status(h.error), cases[i].status);
    if (r == DONE) /* everything of these is head */
      ZT_EQ(used, strlen(cases[i].req));
    else
      ZT_CHECK(used >= 1 && used <= strlen(cases[i].req));
  }
}

/* The split checks: whole, every two-piece split, one byte at a time,
 * and 200 random splits into up to 6 pieces, all give one snapshot.  The
 * pieces go into a buffer of exactly the stream's length, so reading past
 * a piece is ASan's to see. */
static void check_splits(const char *req, size_t len, size_t cap) {
  char *buf = malloc(cap);
  uint8_t *data = malloc(len ? len : 1);
  size_t *cuts = malloc((len + 1) * sizeof(*cuts));
  memcpy(data, req, len);
  struct zn_http_head h;
  struct hs whole, other;
  ZT_EQ(zn_http_head_init(&h, NULL, buf, cap), ZN_OK);
  ZT_CHECK(hs_feed(&h, data, len, NULL, 0, &whole));
  ZT_CHECK(whole.in_buf);
  for (size_t k = 0; k <= len; k++) {
    cuts[0] = k;
    zn_http_head_reset(&h);
    ZT_CHECK(hs_feed(&h, data, len, cuts, 1, &other));
    if (!hs_eq(&whole, &other)) {
      zt_fail(__FILE__, __LINE__, "split at %zu differs (error %s vs %s)", k,
              zn_http_error_name((enum zn_http_error)other.error),
              zn_http_error_name((enum zn_http_error)whole.error));
      break;
    }
  }
  for (size_t k = 0; k < len; k++)
    cuts[k] = k + 1;
  zn_http_head_reset(&h);
  ZT_CHECK(hs_feed(&h, data, len, cuts, len, &other));
  ZT_CHECK(hs_eq(&whole, &other));
  uint32_t seed = (uint32_t)len * 2654435761u + 1;
  for (int n = 0; n < 200; n++) {
    size_t ncuts = 0, at = 0;
    while (ncuts < 5 && at < len) {
      seed = seed * 1103515245u + 12345u;
      at += (seed >> 16) % (len - at + 1);
      cuts[ncuts++] = at;
    }
    zn_http_head_reset(&h);
    ZT_CHECK(hs_feed(&h, data, len, cuts, ncuts, &other));
    ZT_CHECK(hs_eq(&whole, &other));
  }
  free(cuts);
  free(data);
  free(buf);
}

ZT_TEST(test_case_set_every_split_same_as_whole) {
  for (size_t i = 0; i < NCASES; i++) {
    check_splits(cases[i].req, strlen(cases[i].req), sizeof(hbuf));
    /* and with a buffer that ends inside the head */
    size_t len = strlen(cases[i].req);
    check_splits(cases[i].req, len, len / 2 + 1);
  }
}

/* ---- methods ----------------------------------------------------------- */

ZT_TEST(test_every_method_recognised) {
  static const struct {
    const char *name;
    enum zn_http_method m;
    int status;
  } ms[] = {
      {"GET", ZN_HTTP_METHOD_GET, 0},
      {"HEAD", ZN_HTTP_METHOD_HEAD, 0},
      {"POST", ZN_HTTP_METHOD_POST, 405},
      {"PUT", ZN_HTTP_METHOD_PUT, 405},
      {"DELETE", ZN_HTTP_METHOD_DELETE, 405},
      {"OPTIONS", ZN_HTTP_METHOD_OPTIONS, 405},
      {"TRACE", ZN_HTTP_METHOD_TRACE, 405},
      {"PATCH", ZN_HTTP_METHOD_PATCH, 405},
      {"FOO", ZN_HTTP_METHOD_UNKNOWN, 501},
      {"get", ZN_HTTP_METHOD_UNKNOWN, 501},
      {"GETS", ZN_HTTP_METHOD_UNKNOWN, 501},
      {"GE", ZN_HTTP_METHOD_UNKNOWN, 501},
      {"PROPFIND", ZN_HTTP_METHOD_UNKNOWN, 501},
  };
  for (size_t i = 0; i < sizeof(ms) / sizeof(ms[0]); i++) {
    char req[128];
    snprintf(req, sizeof(req), "%s /x HTTP/1.1\r\nHost: h\r\n\r\n", ms[i].name);
    struct zn_http_head h;
    ZT_EQ(parse(&h, req, NULL), DONE);
    ZT_EQ(h.req.method, ms[i].m);
    ZT_CHECK(str_is(h.req.method_name, ms[i].name));
    ZT_EQ(zn_http_method_status(h.req.method), ms[i].status);
    ZT_EQ(h.req.form, ZN_HTTP_FORM_ORIGIN);
  }
  struct zn_http_head h;
  ZT_EQ(parse(&h, "CONNECT a:1 HTTP/1.1\r\nHost: a:1\r\n\r\n", NULL), DONE);
  ZT_EQ(h.req.method, ZN_HTTP_METHOD_CONNECT);
  ZT_EQ(h.req.form, ZN_HTTP_FORM_AUTHORITY);
  ZT_EQ(zn_http_method_status(h.req.method), 405);
  ZT_EQ(parse(&h, "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", NULL), DONE);
  ZT_EQ(h.req.form, ZN_HTTP_FORM_ASTERISK);
  /* Every method of the list, by its name. */
  for (int m = 1; m < ZN_HTTP_METHOD_COUNT; m++) {
    const char *n = zn_http_method_name((enum zn_http_method)m);
    ZT_EQ(zn_http_method_lookup(n, strlen(n)), m);
  }
  ZT_STREQ(zn_http_method_name(ZN_HTTP_METHOD_UNKNOWN), "UNKNOWN");
  ZT_STREQ(zn_http_method_name((enum zn_http_method)99), "UNKNOWN");
  ZT_EQ(zn_http_method_status((enum zn_http_method)99), 501);
  struct zn_http_str allow = zn_http_allow();
  ZT_CHECK(str_is(allow, "GET, HEAD"));
}

/* ---- what the fields say ---------------------------------------------- */

ZT_TEST(test_request_fields_extracted) {
  struct zn_http_head h;
  const char *req = "GET /a/b.html?q=1 HTTP/1.1\r\n"
                    "Host:  example.com:8080 \r\n"
                    "User-Agent: t\r\n"
                    "Range: bytes=1-2\r\n"
                    "If-None-Match: \"a\", \"b\"\r\n"
                    "If-None-Match: \"c\"\r\n"
                    "If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
                    "If-Range: \"a\"\r\n"
                    "Expect: 100-continue\r\n"
                    "Content-Length: 00012\r\n"
                    "\r\nBODY";
  size_t used;
  ZT_EQ(parse(&h, req, &used), DONE);
  ZT_EQ(used, strlen(req) - 4);
  ZT_CHECK(str_is(h.req.target, "/a/b.html?q=1"));
  ZT_CHECK(str_is(h.req.host, "example.com:8080"));
  ZT_CHECK(str_is(h.req.range, "bytes=1-2"));
  ZT_CHECK(str_is(h.req.if_none_match, "\"a\", \"b\""));
  ZT_EQ(h.req.if_none_match_lines, 2);
  ZT_CHECK(str_is(h.req.if_modified_since, "Sun, 06 Nov 1994 08:49:37 GMT"));
  ZT_CHECK(str_is(h.req.if_range, "\"a\""));
  ZT_CHECK(h.req.expect_continue);
  ZT_CHECK(h.req.has_content_length);
  ZT_EQU(h.req.content_length, 12);
  ZT_EQ(h.req.nfields, 9);
  ZT_EQ(h.req.version_minor, 1);
  ZT_CHECK(h.req.keep_alive);
  /* The strings live in the head buffer. */
  ZT_CHECK(h.req.target.p >= hbuf && h.req.target.p < hbuf + used);
}

ZT_TEST(test_absent_fields_are_null) {
  struct zn_http_head h;
  ZT_EQ(parse(&h, "GET / HTTP/1.0\r\n\r\n", NULL), DONE);
  ZT_CHECK(!h.req.host.p && !h.req.range.p && !h.req.if_none_match.p &&
           !h.req.if_modified_since.p && !h.req.if_range.p);
  ZT_CHECK(!h.req.has_content_length);
  ZT_EQ(h.req.nfields, 0);
  ZT_EQ(h.req.version_minor, 0);
  ZT_CHECK(!h.req.keep_alive);
  ZT_CHECK(!h.req.expect_continue);
}

ZT_TEST(test_singletons_repeated_made_empty) {
  struct zn_http_head h;
  ZT_EQ(parse(&h,
              "GET / HTTP/1.1\r\nHost: a\r\nRange: bytes=0-1\r\n"
              "Range: bytes=2-3\r\nIf-Modified-Since: x\r\n"
              "If-Modified-Since: y\r\nIf-Range: \"a\"\r\nIf-Range: \"a\"\r\n"
              "If-Range: \"b\"\r\n\r\n",
              NULL),
        DONE);
  ZT_CHECK(h.req.range.p && h.req.range.len == 0);
  ZT_CHECK(h.req.if_modified_since.p && h.req.if_modified_since.len == 0);
  ZT_CHECK(h.req.if_range.p && h.req.if_range.len == 0);
}

ZT_TEST(test_keep_alive_by_version_and_connection) {
  static const struct {
    const char *req;
    bool ka;
  } ks[] = {
      {"GET / HTTP/1.1\r\nHost: a\r\n\r\n", true},
      {"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", false},
      {"GET / HTTP/1.1\r\nHost: a\r\nConnection: CLOSE\r\n\r\n", false},
      {"GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive\r\n\r\n", true},
      {"GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, close\r\n\r\n",
       false},
      {"GET / HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\n"
       "Connection: close\r\n\r\n",
       false},
      {"GET / HTTP/1.0\r\n\r\n", false},
      {"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", true},
      {"GET / HTTP/1.0\r\nConnection: keep-alive,close\r\n\r\n", false},
      {"GET / HTTP/1.2\r\nHost: a\r\n\r\n", true},
      {"GET / HTTP/1.1\r\nHost: a\r\nConnection: closed\r\n\r\n", true},
  };
  for (size_t i = 0; i < sizeof(ks) / sizeof(ks[0]); i++) {
    struct zn_http_head h;
    ZT_EQ(parse(&h, ks[i].req, NULL), DONE);
    if (h.req.keep_alive != ks[i].ka)
      zt_fail(__FILE__, __LINE__, "case %zu: keep_alive %d", i,
              h.req.keep_alive);
  }
}

ZT_TEST(test_content_length_values) {
  struct zn_http_head h;
  ZT_EQ(parse(&h,
              "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 5 , 5,5\r\n\r\n",
              NULL),
        DONE);
  ZT_EQU(h.req.content_length, 5);
  ZT_EQ(parse(&h,
              "GET / HTTP/1.1\r\nHost: a\r\n"
              "Content-Length: 9223372036854775807\r\n\r\n",
              NULL),
        DONE);
  ZT_EQU(h.req.content_length, ZN_HTTP_CONTENT_LENGTH_MAX);
  ZT_EQ(
      parse(&h, "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n", NULL),
      DONE);
  ZT_CHECK(h.req.has_content_length);
  ZT_EQU(h.req.content_length, 0);
}

ZT_TEST(test_version_minor_and_absolute_form) {
  struct zn_http_head h;
  ZT_EQ(parse(&h, "GET / HTTP/1.7\r\nHost: a\r\n\r\n", NULL), DONE);
  ZT_EQ(h.req.version_minor, 1);
  ZT_EQ(parse(&h, "GET HTTP://A/ HTTP/1.1\r\nHost: b\r\n\r\n", NULL), DONE);
  ZT_EQ(h.req.form, ZN_HTTP_FORM_ABSOLUTE);
  ZT_EQ(parse(&h, "GET foo+bar.1-x:rest HTTP/1.1\r\nHost: b\r\n\r\n", NULL),
        DONE);
  ZT_EQ(h.req.form, ZN_HTTP_FORM_ABSOLUTE);
}

/* ---- limits ----------------------------------------------------------- */

/* Parse req with limits lim and a head buffer of cap bytes. */
static enum zn_http_head_result parse_lim(struct zn_http_head *h,
                                          const struct zn_http_limits *lim,
                                          char *buf, size_t cap,
                                          const char *req, size_t len) {
  ZT_EQ(zn_http_head_init(h, lim, buf, cap), ZN_OK);
  size_t used;
  enum zn_http_head_result r = zn_http_head_feed(h, req, len, &used);
  if (r == ERR)
    ZT_CHECK(used <= len);
  return r;
}

/* A request whose request-line has method m (repeated to mlen), a target
 * of tlen bytes ("/xxx...") and HTTP/1.1: its line length is
 * mlen + 1 + tlen + 1 + 8. */
static size_t make_line(char *out, size_t mlen, size_t tlen) {
  size_t o = 0;
  for (size_t i = 0; i < mlen; i++)
    out[o++] = 'M';
  out[o++] = ' ';
  out[o++] = '/';
  for (size_t i = 1; i < tlen; i++)
    out[o++] = 'x';
  memcpy(out + o, " HTTP/1.1\r\nHost: a\r\n\r\n", 23);
  return o + 23;
}

ZT_TEST(test_request_line_limit_at_and_past) {
  static char buf[4096], req[4096];
  struct zn_http_limits lim;
  zn_http_limits_default(&lim);
  lim.request_line_max = 100;
  struct zn_http_head h;
  /* 3 + 1 + 87 + 1 + 8 = 100: at the bound. */
  size_t n = make_line(req, 3, 87);
  ZT_EQ(parse_lim(&h, &lim, buf, sizeof(buf), req, n), DONE);
  ZT_EQ(h.req.target.len, 87);
  /* One more byte of target: 414. */
  n = make_line(req, 3, 88);
  ZT_EQ(parse_lim(&h, &lim, buf, sizeof(buf), req, n), ERR);
  ZT_EQ(h.error, E(URI_TOO_LONG));
  ZT_EQ(zn_http_error_status(h.error), 414);
  check_splits(req, n, sizeof(buf));
  /* A target alone past the line: 414 in the target. */
  n = make_line(req, 3, 200);
  ZT_EQ(parse_lim(&h, &lim, buf, sizeof(buf), req, n), ERR);
  ZT_EQ(h.error, E(URI_TOO_LONG));
  /* The method is what is long: 100 bytes of method, then the SP is the
   * 101st byte: 400. */
  n = make_line(req, 100, 1);
  ZT_EQ(parse_lim(&h, &lim, buf, sizeof(buf), req, n), ERR);
  ZT_EQ(h.error, E(REQUEST_LINE_TOO_LONG));
  ZT_EQ(zn_http_error_status(h.error), 400);
  n = make_line(req, 101, 1);
  ZT_EQ(parse_lim(&h, &lim, buf, sizeof(buf), req, n), ERR);
  ZT_EQ(h.error, E(REQUEST_LINE_TOO_LONG));
  check_splits(req, n, sizeof(buf));
  /* 99 bytes of method, SP: the target's first byte is the 101st: 414. */
  n = make_line(req, 99, 1);
  ZT_EQ(parse_lim(&h, &lim, buf, sizeof(buf), req, n), ERR);
  ZT_EQ(h.error, E(URI_TOO_LONG));
  /* The version pushes it over: the target made the line long (414). */
  n = make_line(req, 3, 90);
  ZT_EQ(parse_lim(&h, &lim, buf, sizeof(buf), req, n), ERR);
  ZT_EQ(h.error, E(URI_TOO_LONG));
  /* The line end does not count: exactly 100 with LF alone too. */
  n = make_line(req, 3, 87);
  static char lf[4096];
  size_t m = 0;
  for (size_t i = 0; i < n; i++)
    if (req[i] != '\r')
      lf[m++] = req[i];
  ZT_EQ(parse_lim(&h, &lim, buf, sizeof(buf), lf, m), DONE);
}

/* NUL anywhere in a head is refused where it is. */
ZT_TEST(test_nul_bytes_refused) {
  static const struct {
    const char *req;
    size_t len;
    enum zn_http_error err;
  } ns[] = {
#define NUL_(s, e) {s, sizeof(s) - 1, E(e)}
      NUL_("GET / HTTP/1.1\r\nHost: a\r\nX: \0\r\n\r\n", BAD_FIELD_VALUE),
      NUL_("GET /\0 HTTP/1.1\r\nHost: a\r\n\r\n", BAD_TARGET),
      NUL_("G\0T / HTTP/1.1\r\nHost: a\r\n\r\n", BAD_METHOD),
      NUL_("GET / HTTP/1.1\r\nHo\0st: a\r\n\r\n", BAD_FIELD_NAME),
      NUL_("\0GET / HTTP/1.1\r\nHost: a\r\n\r\n", BAD_REQUEST_LINE),
      NUL_("GET / HTTP/1.1\0\nHost: a\r\n\r\n", BAD_VERSION),
#undef NUL_
  };
  for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
    struct zn_http_head h;
    ZT_EQ(zn_http_head_init(&h, NULL, hbuf, sizeof(hbuf)), ZN_OK);
    size_t used;
    ZT_EQ(zn_http_head_feed(&h, ns[i].req, ns[i].len, &used), ERR);
    ZT_EQ(h.error, ns[i].err);
    ZT_EQ(ns[i].req[used - 1], '\0');
    check_splits(ns[i].req, ns[i].len, sizeof(hbuf));
  }
}

ZT_TEST(test_field_line_limit_at_and_past) {
  static char buf[4096], req[4096];
  struct zn_http_limits lim;
  zn_http_limits_default(&lim);
  lim.field_line_max = 50;
  struct zn_http_head h;
  for (size_t flen = 49; flen <= 51; flen++) {
    /* "X: vvv..." of flen bytes */
    size_t o =
        (size_t)snprintf(req, sizeof(req), "GET / HTTP/1.1\r\nHost: a\r\nX: ");
    for (size_t i = 3; i < flen; i++)
      req[o++] = 'v';
    memcpy(req + o, "\r\n\r\n", 4);
    o += 4;
    enum zn_http_head_result r = parse_lim(&h, &lim, buf, sizeof(buf), req, o);
    if (flen <= 50) {
      ZT_EQ(r, DONE);
    } else {
      ZT_EQ(r, ERR);
      ZT_EQ(h.error, E(FIELD_TOO_LONG));
      ZT_EQ(zn_http_error_status(h.error), 431);
      check_splits(req, o, sizeof(buf));
    }
  }
  /* A long name counts the same. */
  size_t o =
      (size_t)snprintf(req, sizeof(req), "GET / HTTP/1.1\r\nHost: a\r\n");
  for (size_t i = 0; i < 51; i++)
    req[o++] = 'N';
  memcpy(req + o, ":\r\n\r\n", 5);
  ZT_EQ(parse_lim(&h, &lim, buf, sizeof(buf), req, o + 5), ERR);
  ZT_EQ(h.error, E(FIELD_TOO_LONG));
  /* Trailing OWS counts: 50 bytes with it is fine, 51 is not. */
  o = (size_t)snprintf(req, sizeof(req),
                       "GET / HTTP/1.1\r\nHost: a\r\nX: %-47s\r\n\r\n", "v");
  ZT_EQ(parse_lim(&h, &lim, buf, sizeof(buf), req, o), DONE);
  o = (size_t)snprintf(req, sizeof(req),
                       "GET / HTTP/1.1\r\nHost: a\r\nX: %-48s\r\n\r\n", "v");
  ZT_EQ(parse_lim(&h, &lim, buf, sizeof(buf), req, o), ERR);
  ZT_EQ(h.error, E(FIELD_TOO_LONG));
}

ZT_TEST(test_field_count_at_and_past) {
  static char buf[4096], req[4096];
  struct zn_http_limits lim;
  zn_http_limits_default(&lim);
  lim.fields_max = 10;
  struct zn_http_head h;
  for (int nf = 9; nf <= 11; nf++) {
    size_t o =
        (size_t)snprintf(req, sizeof(req), "GET / HTTP/1.1\r\nHost: a\r\n");
    for (int i = 1; i < nf; i++)
      o += (size_t)snprintf(req + o, sizeof(req) - o, "X%d: v\r\n", i);
    memcpy(req + o, "\r\n", 2);
    o += 2;
    enum zn_http_head_result r = parse_lim(&h, &lim, buf, sizeof(buf), req, o);
    if (nf <= 10) {
      ZT_EQ(r, DONE);
      ZT_EQ(h.req.nfields, (uint32_t)nf);
    } else {
      ZT_EQ(r, ERR);
      ZT_EQ(h.error, E(TOO_MANY_FIELDS));
      ZT_EQ(zn_http_error_status(h.error), 431);
      check_splits(req, o, sizeof(buf));
    }
  }
}

ZT_TEST(test_head_size_at_and_past) {
  static char buf[4096];
  const char *req = "GET /abc HTTP/1.1\r\nHost: a\r\nX: 0123456789\r\n\r\n";
  size_t len = strlen(req);
  struct zn_http_head h;
  /* The buffer holds exactly the head: done, even with a body after. */
  char with_body[128];
  memcpy(with_body, req, len);
  memcpy(with_body + len, "BODY", 4);
  ZT_EQ(zn_http_head_init(&h, NULL, buf, len), ZN_OK);
  size_t used;
  ZT_EQ(zn_http_head_feed(&h, with_body, len + 4, &used), DONE);
  ZT_EQ(used, len);
  /* One byte less: 431 at the last byte. */
  ZT_EQ(zn_http_head_init(&h, NULL, buf, len - 1), ZN_OK);
  ZT_EQ(zn_http_head_feed(&h, req, len, &used), ERR);
  ZT_EQ(h.error, E(HEAD_TOO_LARGE));
  ZT_EQ(zn_http_error_status(h.error), 431);
  ZT_EQ(used, len);
  check_splits(req, len, len - 1);
  check_splits(req, len, len);
  /* The same in pieces: the byte that does not fit is the error. */
  ZT_EQ(zn_http_head_init(&h, NULL, buf, len - 1), ZN_OK);
  ZT_EQ(zn_http_head_feed(&h, req, len - 1, &used), MORE);
  ZT_EQ(zn_http_head_feed(&h, req + len - 1, 1, &used), ERR);
  ZT_EQ(used, 1);
  /* Run out inside the target: 414; inside the method: 400. */
  ZT_EQ(zn_http_head_init(&h, NULL, buf, 6), ZN_OK);
  ZT_EQ(zn_http_head_feed(&h, req, len, &used), ERR);
  ZT_EQ(h.error, E(URI_TOO_LONG));
  ZT_EQ(used, 7);
  ZT_EQ(zn_http_head_init(&h, NULL, buf, 2), ZN_OK);
  ZT_EQ(zn_http_head_feed(&h, req, len, &used), ERR);
  ZT_EQ(h.error, E(REQUEST_LINE_TOO_LONG));
  /* Empty lines in front fill it too. */
  ZT_EQ(zn_http_head_init(&h, NULL, buf, 4), ZN_OK);
  ZT_EQ(zn_http_head_feed(&h, "\r\n\r\n\r\n", 6, &used), ERR);
  ZT_EQ(h.error, E(HEAD_TOO_LARGE));
}

ZT_TEST(test_init_refuses_zero_limits) {
  struct zn_http_head h;
  struct zn_http_limits lim;
  zn_http_limits_default(&lim);
  ZT_EQ(lim.request_line_max, ZN_DEFAULT_HTTP_REQUEST_LINE_MAX);
  ZT_EQ(lim.field_line_max, ZN_DEFAULT_HTTP_FIELD_LINE_MAX);
  ZT_EQ(lim.fields_max, ZN_DEFAULT_HTTP_FIELDS_MAX);
  ZT_EQ(zn_http_head_init(&h, NULL, NULL, 10), ZN_EINVAL);
  ZT_EQ(zn_http_head_init(&h, NULL, hbuf, 0), ZN_EINVAL);
  lim.fields_max = 0;
  ZT_EQ(zn_http_head_init(&h, &lim, hbuf, 10), ZN_EINVAL);
  zn_http_limits_default(&lim);
  lim.request_line_max = 0;
  ZT_EQ(zn_http_head_init(&h, &lim, hbuf, 10), ZN_EINVAL);
  zn_http_limits_default(&lim);
  lim.field_line_max = 0;
  ZT_EQ(zn_http_head_init(&h, &lim, hbuf, 10), ZN_EINVAL);
}

/* ---- streams ----------------------------------------------------------- */

ZT_TEST(test_pipelined_requests_in_one_buffer) {
  const char *stream =
      "GET /1 HTTP/1.1\r\nHost: a\r\n\r\n"
      "HEAD /2 HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\n"
      "abc"
      "GET /3 HTTP/1.0\n\n"
      "GET /4 HTTP/1.1\r\nHost: a\r\n\r\n"
      "GET /5 HT";
  static const char *const targets[] = {"/1", "/2", "/3", "/4"};
  const char *p = stream;
  size_t len = strlen(stream);
  struct zn_http_head h;
  ZT_EQ(zn_http_head_init(&h, NULL, hbuf, sizeof(hbuf)), ZN_OK);
  for (int i = 0; i < 4; i++) {
    size_t used;
    ZT_REQUIRE(zn_http_head_feed(&h, p, len, &used) == DONE);
    ZT_CHECK(str_is(h.req.target, targets[i]));
    p += used;
    len -= used;
    p += h.req.content_length; /* the server reads the body */
    len -= h.req.content_length;
    zn_http_head_reset(&h);
  }
  size_t used;
  ZT_EQ(zn_http_head_feed(&h, p, len, &used), MORE);
  ZT_EQ(used, 9);
  ZT_EQ(zn_http_head_feed(&h, "TP/1.1\r\nHost: b\r\n\r\n", 19, &used), DONE);
  ZT_CHECK(str_is(h.req.target, "/5"));
  ZT_CHECK(str_is(h.req.host, "b"));
}

ZT_TEST(test_done_and_error_stick) {
  struct zn_http_head h;
  size_t used;
  ZT_EQ(parse(&h, "GET / HTTP/1.1\r\nHost: a\r\n\r\nGET", &used), DONE);
  ZT_EQ(zn_http_head_feed(&h, "GET", 3, &used), DONE);
  ZT_EQ(used, 0);
  ZT_EQ(parse(&h, "GET / HTTP/1.1\r\nHo st: a\r\n\r\n", &used), ERR);
  ZT_EQ(used, 19);
  ZT_EQ(zn_http_head_feed(&h, "x", 1, &used), ERR);
  ZT_EQ(used, 0);
  ZT_EQ(h.error, E(SPACE_BEFORE_COLON));
  ZT_EQ(zn_http_head_feed(&h, NULL, 0, &used), ERR);
  /* An empty feed is nothing. */
  ZT_EQ(zn_http_head_init(&h, NULL, hbuf, sizeof(hbuf)), ZN_OK);
  ZT_EQ(zn_http_head_feed(&h, NULL, 0, &used), MORE);
  ZT_EQ(used, 0);
}

ZT_TEST(test_error_used_points_at_the_byte) {
  struct zn_http_head h;
  size_t used;
  /* The obs-fold's SP is byte 33. */
  ZT_EQ(parse(&h, "GET / HTTP/1.1\r\nHost: a\r\nX: b\r\n c\r\n\r\n", &used),
        ERR);
  ZT_EQ(used, 32);
  ZT_EQ(parse(&h, "GET / HTTP/1.1\r\nHost: a\r\n\r\r\n", &used), ERR);
  ZT_EQ(used, 27);
  /* A field's error is found at its LF. */
  ZT_EQ(parse(&h, "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", &used), ERR);
  ZT_EQ(used, 34);
}

/* Each limit's error, fed in every split. */
ZT_TEST(test_limit_errors_every_split) {
  static char req[512];
  size_t n = make_line(req, 3, 300);
  check_splits(req, n, 200);
  check_splits(req, n, 400);
}

int main(void) {
  ZT_RUN(test_case_set_whole_gives_expected);
  ZT_RUN(test_case_set_every_split_same_as_whole);
  ZT_RUN(test_every_method_recognised);
  ZT_RUN(test_request_fields_extracted);
  ZT_RUN(test_absent_fields_are_null);
  ZT_RUN(test_singletons_repeated_made_empty);
  ZT_RUN(test_keep_alive_by_version_and_connection);
  ZT_RUN(test_content_length_values);
  ZT_RUN(test_version_minor_and_absolute_form);
  ZT_RUN(test_request_line_limit_at_and_past);
  ZT_RUN(test_nul_bytes_refused);
  ZT_RUN(test_field_line_limit_at_and_past);
  ZT_RUN(test_field_count_at_and_past);
  ZT_RUN(test_head_size_at_and_past);
  ZT_RUN(test_init_refuses_zero_limits);
  ZT_RUN(test_pipelined_requests_in_one_buffer);
  ZT_RUN(test_done_and_error_stick);
  ZT_RUN(test_error_used_points_at_the_byte);
  ZT_RUN(test_limit_errors_every_split);
  return zt_done();
}
