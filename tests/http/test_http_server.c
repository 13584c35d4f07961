/*
 * The HTTP server (http/http_server.c, http_respond.c) over memlink,
 * against the bundle of tests/http/www-sample: GET and HEAD with every
 * field, keep-alive, pipelining (whole, split at every byte, one byte at
 * a time), 304 by entity-tag and by date, ranges, directories, every
 * error status, path traversals in many spellings, the connection cap
 * with eviction, the header, idle and send timeouts, a client that never
 * reads, bodies by reference.  Every test ends with the content
 * source's holds and releases balanced and no buffer left in use.
 */
#include "httpd_fixture.h"

#define GET(path) "GET " path " HTTP/1.1\r\nHost: a\r\n\r\n"

static bool body_is(const struct hresp *r, const char *path) {
  size_t n;
  const uint8_t *want = hf_file(path, &n);
  return r->body_len == n && memcmp(r->body, want, n) == 0;
}

ZT_TEST(test_get_index_served_with_every_field) {
  struct hfix hf;
  hf_init(&hf);
  hf_start(&hf);
  struct hcli cl;
  struct hresp r;
  ZT_EQ(hf_ask(&hf, &cl, GET("/"), &r), 200);
  ZT_CHECK(body_is(&r, "index.html"));
  ZT_CHECK(hr_is(&r, "Server", "znet"));
  ZT_CHECK(hr_is(&r, "Date", "Tue, 01 Jan 2030 00:00:00 GMT"));
  ZT_CHECK(hr_is(&r, "Content-Type", "text/html; charset=utf-8"));
  ZT_CHECK(hr_is(&r, "Accept-Ranges", "bytes"));
  char v[128];
  ZT_CHECK(hr_field(&r, "Content-Length", v, sizeof(v)));
  ZT_EQU(strtoull(v, NULL, 10), r.body_len);
  const struct zn_http_bundle_entry *e =
      zn_http_bundle_find(&www_sample, "index.html", 10);
  ZT_REQUIRE(e != NULL);
  ZT_CHECK(hr_is(&r, "ETag", e->etag));
  char lm[ZN_HTTP_DATE_LEN + 1];
  ZT_EQ(zn_http_date_format(e->mtime, lm), ZN_OK);
  ZT_CHECK(hr_is(&r, "Last-Modified", lm));
  ZT_CHECK(!hr_field(&r, "Connection", v, sizeof(v)));
  ZT_EQ(hf.logs, 1);
  ZT_EQ(hf.last_status, 200);
  ZT_STREQ(hf.last_target, "/");
  ZT_EQU(hf.last_bytes, r.head_len + r.body_len);
  ZT_EQU(HF_STAT(&hf, status_200), 1);
  ZT_EQU(HF_STAT(&hf, bodies_copied), 1);
  hcli_done(&hf, &cl);
  hf_free(&hf);
}

ZT_TEST(test_head_sends_get_fields_without_body) {
  struct hfix hf;
  hf_init(&hf);
  hf_start(&hf);
  struct hcli cl;
  hcli_open(&hf, &cl, HF_PORT);
  hcli_sends(&cl,
             "HEAD /hello.txt HTTP/1.1\r\nHost: a\r\n\r\n" GET("/hello.txt"));
  hf_run(&hf, ZN_MS(100));
  struct hresp rs[2];
  static const bool head[2] = {true, false};
  ZT_EQ(hr_all(&cl, rs, 2, head), 2);
  ZT_EQ(rs[0].status, 200);
  ZT_EQ(rs[1].status, 200);
  ZT_EQU(rs[0].body_len, 0);
  ZT_CHECK(body_is(&rs[1], "hello.txt"));
  /* The heads are the same (the date is the clock's, fixed). */
  ZT_EQU(rs[0].head_len, rs[1].head_len);
  ZT_MEMEQ(rs[0].head, rs[1].head, rs[0].head_len);
  ZT_EQU(cl.rx_len, rs[0].head_len + rs[1].head_len + rs[1].body_len);
  hcli_done(&hf, &cl);
  hf_free(&hf);
}

ZT_TEST(test_keepalive_reuses_connection) {
  struct hfix hf;
  hf_init(&hf);
  hf_start(&hf);
  struct hcli cl;
  hcli_open(&hf, &cl, HF_PORT);
  const char *paths[] = {"/hello.txt", "/docs/style.css", "/big.bin"};
  for (int i = 0; i < 3; i++) {
    char req[128];
    snprintf(req, sizeof(req), GET("%s"), paths[i]);
    cl.rx_len = 0;
    hcli_sends(&cl, req);
    hf_run(&hf, ZN_MS(100));
    struct hresp r;
    ZT_CHECK(hr_parse(cl.rx, cl.rx_len, false, &r) > 0);
    ZT_EQ(r.status, 200);
    ZT_CHECK(body_is(&r, paths[i] + 1));
  }
  ZT_EQ(cl.eof, 0);
  ZT_EQU(HF_STAT(&hf, conns_accepted), 1);
  ZT_EQU(HF_STAT(&hf, requests), 3);
  ZT_EQU(HF_STAT(&hf, keepalive_reuses), 2);
  ZT_EQU(HF_STAT(&hf, bodies_by_ref), 1); /* big.bin: 20000 > copy_max */
  hcli_done(&hf, &cl);
  hf_free(&hf);
}

/* Three requests back to back: a GET, a HEAD of a directory, a 404. */
static const char pipe3[] = GET("/hello.txt") "HEAD /docs/ HTTP/1.1\r\n"
                                              "Host: a\r\n\r\n" GET("/nope");

static void check_pipe3(const struct hcli *cl, size_t from) {
  struct hresp rs[3];
  static const bool head[3] = {false, true, false};
  struct hcli view = *cl;
  view.rx += from;
  view.rx_len -= from;
  ZT_EQ(hr_all(&view, rs, 3, head), 3);
  ZT_EQ(rs[0].status, 200);
  ZT_CHECK(body_is(&rs[0], "hello.txt"));
  ZT_EQ(rs[1].status, 200);
  ZT_CHECK(hr_is(&rs[1], "Content-Type", "text/html; charset=utf-8"));
  ZT_EQ(rs[2].status, 404);
}

ZT_TEST(test_pipelined_requests_answered_in_order) {
  struct hfix hf;
  hf_init(&hf);
  hf_start(&hf);
  struct hcli cl;
  hcli_open(&hf, &cl, HF_PORT);
  /* 200 requests in one write, alternating files. */
  static char big[200 * 64];
  size_t n = 0;
  for (int i = 0; i < 200; i++)
    n += (size_t)snprintf(big + n, sizeof(big) - n, GET("%s"),
                          i % 2 ? "/hello.txt" : "/docs/style.css");
  hcli_send(&cl, big, n);
  hf_run(&hf, ZN_MS(500));
  static struct hresp rs[200];
  ZT_EQ(hr_all(&cl, rs, 200, NULL), 200);
  for (int i = 0; i < 200; i++) {
    ZT_EQ(rs[i].status, 200);
    ZT_CHECK(body_is(&rs[i], i % 2 ? "hello.txt" : "docs/style.css"));
  }
  ZT_EQU(HF_STAT(&hf, requests), 200);
  hcli_done(&hf, &cl);
  hf_free(&hf);
}

ZT_TEST(test_pipelined_requests_split_at_every_byte) {
  struct hfix hf;
  hf_init(&hf);
  hf_start(&hf);
  struct hcli cl;
  hcli_open(&hf, &cl, HF_PORT);
  size_t len = sizeof(pipe3) - 1;
  /* Whole, for the transcript every split must give. */
  hcli_send(&cl, pipe3, len);
  hf_run(&hf, ZN_MS(50));
  check_pipe3(&cl, 0);
  size_t one = cl.rx_len;
  uint8_t *want = malloc(one);
  ZT_REQUIRE(want != NULL);
  memcpy(want, cl.rx, one);
  for (size_t k = 1; k < len; k++) {
    size_t from = cl.rx_len;
    hcli_send(&cl, pipe3, k);
    hf_run(&hf, ZN_MS(2));
    hcli_send(&cl, pipe3 + k, len - k);
    hf_run(&hf, ZN_MS(20));
    ZT_EQU(cl.rx_len - from, one);
    if (cl.rx_len - from == one && memcmp(cl.rx + from, want, one) != 0)
      zt_fail(__FILE__, __LINE__, "split at %zu differs", k);
  }
  /* One byte per segment. */
  size_t from = cl.rx_len;
  for (size_t k = 0; k < len; k++) {
    hcli_send(&cl, pipe3 + k, 1);
    hf_run(&hf, ZN_MS(1));
  }
  hf_run(&hf, ZN_MS(20));
  ZT_EQU(cl.rx_len - from, one);
  ZT_CHECK(memcmp(cl.rx + from, want, one) == 0);
  ZT_EQU(HF_STAT(&hf, conns_accepted), 1);
  ZT_EQU(HF_STAT(&hf, requests), 3 * (len + 1));
  free(want);
  hcli_done(&hf, &cl);
  hf_free(&hf);
}

/* GET path with one extra field line. */
static int ask_with(struct hfix *hf, const char *path, const char *field,
                    struct hresp *r, struct hcli *cl) {
  char req[512];
  snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: a\r\n%s\r\n\r\n", path,
           field);
  return hf_ask(hf, cl, req, r);
}

ZT_TEST(test_if_none_match_answered_304) {
  struct hfix hf;
  hf_init(&hf);
  hf_start(&hf);
  const struct zn_http_bundle_entry *e =
      zn_http_bundle_find(&www_sample, "hello.txt", 9);
  ZT_REQUIRE(e != NULL);
  char f[256];
  struct hcli cl;
  struct hresp r;
  snprintf(f, sizeof(f), "If-None-Match: \"x\", %s", e->etag);
  ZT_EQ(ask_with(&hf, "/hello.txt", f, &r, &cl), 304);
  ZT_EQU(r.body_len, 0);
  ZT_EQU(cl.rx_len, r.head_len); /* nothing after the head */
  ZT_CHECK(hr_is(&r, "ETag", e->etag));
  char v[64];
  ZT_CHECK(!hr_field(&r, "Content-Length", v, sizeof(v)));
  hcli_done(&hf, &cl);
  ZT_EQ(ask_with(&hf, "/hello.txt", "If-None-Match: \"other\"", &r, &cl), 200);
  ZT_CHECK(body_is(&r, "hello.txt"));
  hcli_done(&hf, &cl);
  ZT_EQ(ask_with(&hf, "/hello.txt", "If-None-Match: *", &r, &cl), 304);
  hcli_done(&hf, &cl);
  ZT_EQU(HF_STAT(&hf, not_modified), 2);
  hf_free(&hf);
}

ZT_TEST(test_if_modified_since_answered_304) {
  struct hfix hf;
  hf_init(&hf);
  hf.src.no_fields = true; /* and the server's own formatting */
  hf_start(&hf);
  const struct zn_http_bundle_entry *e =
      zn_http_bundle_find(&www_sample, "hello.txt", 9);
  ZT_REQUIRE(e != NULL);
  char d[ZN_HTTP_DATE_LEN + 1], f[128];
  struct hcli cl;
  struct hresp r;
  ZT_EQ(zn_http_date_format(e->mtime, d), ZN_OK);
  snprintf(f, sizeof(f), "If-Modified-Since: %s", d);
  ZT_EQ(ask_with(&hf, "/hello.txt", f, &r, &cl), 304);
  ZT_CHECK(hr_is(&r, "Last-Modified", d));
  hcli_done(&hf, &cl);
  ZT_EQ(zn_http_date_format(e->mtime - 1, d), ZN_OK);
  snprintf(f, sizeof(f), "If-Modified-Since: %s", d);
  ZT_EQ(ask_with(&hf, "/hello.txt", f, &r, &cl), 200);
  ZT_CHECK(body_is(&r, "hello.txt"));
  ZT_CHECK(hr_is(&r, "ETag", e->etag));
  hcli_done(&hf, &cl);
  hf_free(&hf);
}

ZT_TEST(test_range_answered_206_and_416) {
  struct hfix hf;
  hf_init(&hf);
  hf_start(&hf);
  size_t n;
  const uint8_t *big = hf_file("big.bin", &n);
  struct hcli cl;
  struct hresp r;
  char v[128];
  ZT_EQ(ask_with(&hf, "/big.bin", "Range: bytes=10-19", &r, &cl), 206);
  ZT_EQU(r.body_len, 10);
  ZT_MEMEQ(r.body, big + 10, 10);
  ZT_CHECK(hr_is(&r, "Content-Range", "bytes 10-19/20000"));
  hcli_done(&hf, &cl);
  ZT_EQ(ask_with(&hf, "/big.bin", "Range: bytes=-5000", &r, &cl), 206);
  ZT_EQU(r.body_len, 5000); /* by reference: more than copy_max */
  ZT_MEMEQ(r.body, big + n - 5000, 5000);
  ZT_CHECK(hr_is(&r, "Content-Range", "bytes 15000-19999/20000"));
  hcli_done(&hf, &cl);
  ZT_EQ(ask_with(&hf, "/big.bin", "Range: bytes=20000-", &r, &cl), 416);
  ZT_CHECK(hr_is(&r, "Content-Range", "bytes */20000"));
  ZT_CHECK(hr_is(&r, "Content-Length", "0"));
  hcli_done(&hf, &cl);
  /* If-Range that does not match: the whole file. */
  ZT_EQ(ask_with(&hf, "/big.bin", "Range: bytes=0-0\r\nIf-Range: \"old\"", &r,
                 &cl),
        200);
  ZT_EQU(r.body_len, n);
  hcli_done(&hf, &cl);
  /* HEAD ignores Range (RFC 9110 §14.2). */
  hcli_open(&hf, &cl, HF_PORT);
  hcli_sends(&cl,
             "HEAD /big.bin HTTP/1.1\r\nHost: a\r\nRange: bytes=0-1\r\n\r\n");
  hf_run(&hf, ZN_MS(50));
  ZT_CHECK(hr_parse(cl.rx, cl.rx_len, true, &r) > 0);
  ZT_EQ(r.status, 200);
  ZT_CHECK(hr_field(&r, "Content-Length", v, sizeof(v)));
  ZT_STREQ(v, "20000");
  hcli_done(&hf, &cl);
  ZT_EQU(HF_STAT(&hf, ranges), 2);
  hf_free(&hf);
}

ZT_TEST(test_directory_index_and_redirect) {
  struct hfix hf;
  hf_init(&hf);
  hf_start(&hf);
  struct hcli cl;
  struct hresp r;
  ZT_EQ(hf_ask(&hf, &cl, GET("/docs/"), &r), 200);
  ZT_CHECK(body_is(&r, "docs/index.html"));
  hcli_done(&hf, &cl);
  ZT_EQ(hf_ask(&hf, &cl, GET("/docs"), &r), 301);
  ZT_CHECK(hr_is(&r, "Location", "/docs/"));
  ZT_EQ(cl.eof, 0); /* kept alive */
  hcli_done(&hf, &cl);
  ZT_EQ(hf_ask(&hf, &cl, GET("/sp%20ace"), &r), 301);
  ZT_CHECK(hr_is(&r, "Location", "/sp%20ace/"));
  hcli_done(&hf, &cl);
  /* The cleaned path, not the target: no redirect to another host. */
  ZT_EQ(hf_ask(&hf, &cl, GET("//docs"), &r), 301);
  ZT_CHECK(hr_is(&r, "Location", "/docs/"));
  hcli_done(&hf, &cl);
  ZT_EQ(hf_ask(&hf, &cl, GET("/sp%20ace/"), &r), 200);
  ZT_CHECK(body_is(&r, "sp ace/index.html"));
  hcli_done(&hf, &cl);
  ZT_EQ(hf_ask(&hf, &cl, GET("/nodex/"), &r), 404); /* no listing */
  hcli_done(&hf, &cl);
  ZT_EQ(hf_ask(&hf, &cl, GET("/hello.txt/"), &r), 404);
  hcli_done(&hf, &cl);
  ZT_EQ(hf_ask(&hf, &cl, GET("/./docs/./"), &r), 200);
  hcli_done(&hf, &cl);
  ZT_EQU(HF_STAT(&hf, redirects), 3);
  hf_free(&hf);
}

struct ecase {
  const char *req;
  int status;
  bool closes;
  const char *field, *value; /* a field the response must have */
};

ZT_TEST(test_errors_answered_with_their_status) {
  static char long_target[9100], long_field[9100];
  memset(long_target, 0, sizeof(long_target));
  strcpy(long_target, "GET /");
  memset(long_target + 5, 'a', 8500);
  strcat(long_target, " HTTP/1.1\r\nHost: a\r\n\r\n");
  strcpy(long_field, "GET / HTTP/1.1\r\nHost: a\r\nX-Big: ");
  memset(long_field + strlen(long_field), 'b', 8400);
  strcat(long_field, "\r\n\r\n");
  const struct ecase cases[] = {
      {GET("/nope"), 404, false, NULL, NULL},
      {GET("/secret.txt"), 403, false, NULL, NULL},
      {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc", 405, false,
       "Allow", "GET, HEAD"},
      {"OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", 405, false, "Allow",
       "GET, HEAD"},
      {"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 100000\r\n\r\n", 413, true,
       "Connection", "close"},
      {"PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: 100000\r\n\r\n", 405, true,
       "Allow", "GET, HEAD"},
      {long_target, 414, true, "Connection", "close"},
      {long_field, 431, true, "Connection", "close"},
      {"GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n", 501,
       true, NULL, NULL},
      {"BREW / HTTP/1.1\r\nHost: a\r\n\r\n", 501, true, NULL, NULL},
      {"GET / HTTP/1.1\r\n\r\n", 400, true, NULL, NULL},
      {"GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400, true, NULL, NULL},
      {"GET / HTTP/1.1\r\nHost: a\r\n Folded: x\r\n\r\n", 400, true, NULL,
       NULL},
      {"GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505, true, NULL, NULL},
      {"GET / HTTP/1.1\r\nHost: a\r\nExpect: tea\r\n\r\n", 417, true, NULL,
       NULL},
      {"GET /%zz HTTP/1.1\r\nHost: a\r\n\r\n", 400, true, NULL, NULL},
      {"GET http://a/hello.txt HTTP/1.1\r\nHost: a\r\n\r\n", 200, false, NULL,
       NULL},
      {"GET ftp://a/hello.txt HTTP/1.1\r\nHost: a\r\n\r\n", 400, true, NULL,
       NULL},
  };
  struct hfix hf;
  hf_init(&hf);
  hf_start(&hf);
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    const struct ecase *c = &cases[i];
    struct hcli cl;
    struct hresp r;
    int st = hf_ask(&hf, &cl, c->req, &r);
    if (st != c->status)
      zt_fail(__FILE__, __LINE__, "case %zu: status %d, want %d", i, st,
              c->status);
    if (c->field && !hr_is(&r, c->field, c->value))
      zt_fail(__FILE__, __LINE__, "case %zu: no %s: %s", i, c->field, c->value);
    hf_run(&hf, ZN_MS(200));
    if ((cl.eof > 0 || cl.errors > 0) != c->closes)
      zt_fail(__FILE__, __LINE__, "case %zu: closed %d, want %d", i,
              cl.eof > 0 || cl.errors > 0, c->closes);
    if (c->closes && st != 0 && !hr_is(&r, "Connection", "close"))
      zt_fail(__FILE__, __LINE__, "case %zu: no Connection: close", i);
    if (st >= 400 && r.body_len == 0)
      zt_fail(__FILE__, __LINE__, "case %zu: no text", i);
    hcli_done(&hf, &cl);
  }
  ZT_EQU(HF_STAT(&hf, status_404), 1);
  ZT_EQU(HF_STAT(&hf, status_403), 1);
  ZT_EQU(HF_STAT(&hf, status_405), 3);
  ZT_EQU(HF_STAT(&hf, status_413), 1);
  ZT_EQU(HF_STAT(&hf, status_414), 1);
  ZT_EQU(HF_STAT(&hf, status_431), 1);
  ZT_EQU(HF_STAT(&hf, status_501), 2);
  ZT_EQU(HF_STAT(&hf, status_505), 1);
  ZT_EQU(HF_STAT(&hf, parse_FIELD_TOO_LONG), 1);
  ZT_EQU(HF_STAT(&hf, parse_TE_NOT_IMPLEMENTED), 1);
  hf_free(&hf);
}

ZT_TEST(test_small_body_discarded_connection_kept) {
  struct hfix hf;
  hf_init(&hf);
  hf_start(&hf);
  struct hcli cl;
  hcli_open(&hf, &cl, HF_PORT);
  hcli_sends(&cl, "GET /hello.txt HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n"
                  "\r\n0123456789" GET("/hello.txt"));
  hf_run(&hf, ZN_MS(100));
  struct hresp rs[2];
  ZT_EQ(hr_all(&cl, rs, 2, NULL), 2);
  ZT_EQ(rs[0].status, 200);
  ZT_EQ(rs[1].status, 200);
  ZT_EQ(cl.eof, 0);
  ZT_EQU(HF_STAT(&hf, body_bytes_discarded), 10);
  ZT_EQU(HF_STAT(&hf, bodies_discarded), 1);
  hcli_done(&hf, &cl);
  hf_free(&hf);
}

ZT_TEST(test_http10_closes_unless_keepalive) {
  struct hfix hf;
  hf_init(&hf);
  hf_start(&hf);
  struct hcli cl;
  struct hresp r;
  ZT_EQ(hf_ask(&hf, &cl, "GET /hello.txt HTTP/1.0\r\n\r\n", &r), 200);
  ZT_CHECK(hr_is(&r, "Connection", "close"));
  ZT_EQ(cl.eof, 1);
  hcli_done(&hf, &cl);
  ZT_EQ(hf_ask(&hf, &cl,
               "GET /hello.txt HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", &r),
        200);
  ZT_CHECK(hr_is(&r, "Connection", "keep-alive"));
  ZT_EQ(cl.eof, 0);
  hcli_done(&hf, &cl);
  ZT_EQ(
      hf_ask(&hf, &cl,
             "GET /hello.txt HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
             &r),
      200);
  ZT_CHECK(hr_is(&r, "Connection", "close"));
  ZT_EQ(cl.eof, 1);
  hcli_done(&hf, &cl);
  hf_free(&hf);
}

ZT_TEST(test_traversal_spellings_never_served) {
  static const char *const targets[] = {
      "/../hello.txt",
      "/..",
      "/docs/../hello.txt",
      "/docs/../../etc/passwd",
      "/%2e%2e/hello.txt",
      "/%2E%2E/hello.txt",
      "/.%2e/hello.txt",
      "/%2e./hello.txt",
      "/docs/%2e%2e/hello.txt",
      "/..%2fhello.txt",
      "/docs%2f..%2fhello.txt",
      "/%2e%2e%2fhello.txt",
      "/..%5chello.txt",
      "/docs/..%5c..%5chello.txt",
      "/%c0%ae%c0%ae/hello.txt",
      "/%c0%af..%c0%afhello.txt",
      "/%e0%80%ae%e0%80%ae/hello.txt",
      "/..%00/hello.txt",
      "/hello.txt%00.html",
      "/%252e%252e/hello.txt",
      "//../hello.txt",
      "/./../hello.txt",
      "http://a/../hello.txt",
      "/docs/.../hello.txt",
  };
  struct hfix hf;
  hf_init(&hf);
  hf_start(&hf);
  for (size_t i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
    char req[256];
    snprintf(req, sizeof(req), GET("%s"), targets[i]);
    struct hcli cl;
    struct hresp r;
    int st = hf_ask(&hf, &cl, req, &r);
    if (st != 400 && st != 404)
      zt_fail(__FILE__, __LINE__, "%s: status %d", targets[i], st);
    hcli_done(&hf, &cl);
  }
  ZT_CHECK(HF_STAT(&hf, traversal_refused) >= 15);
  ZT_EQU(HF_STAT(&hf, status_200), 0);
  hf_free(&hf);
}

ZT_TEST(test_full_slots_evict_oldest_idle_then_refuse) {
  struct hfix hf;
  hf_init(&hf);
  hf.cfg.max_conns = 2;
  hf_start(&hf);
  struct hcli c[4];
  hcli_open(&hf, &c[0], HF_PORT);
  hf_run(&hf, ZN_MS(10));
  hcli_open(&hf, &c[1], HF_PORT);
  hcli_sends(&c[1], GET("/hello.txt"));
  hf_run(&hf, ZN_MS(10));
  /* Both idle; a third closes the oldest idle (c[0]) and is served. */
  hcli_open(&hf, &c[2], HF_PORT);
  hcli_sends(&c[2], GET("/hello.txt"));
  hf_run(&hf, ZN_MS(50));
  ZT_EQ(c[0].eof, 1);
  ZT_EQU(HF_STAT(&hf, conns_evicted_idle), 1);
  struct hresp r;
  ZT_CHECK(hr_parse(c[2].rx, c[2].rx_len, false, &r) > 0);
  ZT_EQ(r.status, 200);
  /* Both busy in a head, younger than grace_ms (not judged yet): a
   * fourth is refused (reset) rather than destroying either. */
  hcli_sends(&c[1], "GET / HT");
  hcli_sends(&c[2], "GET / HT");
  hf_run(&hf, ZN_MS(10));
  memset(&c[3], 0, sizeof(c[3]));
  c[3].rx = malloc(HF_RX_CAP);
  ZT_EQ(zn_tcp_connect(hf.p.a, TH_IP(IP_B), HF_PORT, &hcli_cbs, &c[3], &c[3].c),
        ZN_OK);
  hf_run(&hf, ZN_MS(50));
  ZT_EQ(c[3].errors, 1);
  ZT_EQ(c[3].last_err, ZN_ECONNRESET);
  ZT_EQU(HF_STAT(&hf, conns_refused), 1);
  /* The busy ones finish their heads and are served. */
  hcli_sends(&c[1], "TP/1.1\r\nHost: a\r\n\r\n");
  hf_run(&hf, ZN_MS(50));
  ZT_EQ(c[1].eof, 0);
  for (int i = 0; i < 4; i++)
    hcli_done(&hf, &c[i]);
  struct zn_http_server_stats s;
  zn_http_server_get_stats(hf.srv, &s);
  ZT_EQU(s.conns_max, 2);
  hf_free(&hf);
}

ZT_TEST(test_slow_head_closed_at_header_timeout) {
  struct hfix hf;
  hf_init(&hf);
  hf.cfg.header_timeout_ms = 500;
  hf_start(&hf);
  struct hcli cl, quiet;
  hcli_open(&hf, &cl, HF_PORT);
  hcli_open(&hf, &quiet, HF_PORT); /* says nothing at all */
  const char *req = GET("/hello.txt");
  for (int i = 0; i < 10 && cl.eof == 0; i++) {
    hcli_send(&cl, req + i, 1); /* a byte every 100 ms */
    hf_run(&hf, ZN_MS(100));
  }
  ZT_EQ(cl.eof, 1);
  ZT_EQU(cl.rx_len, 0); /* nothing answered */
  ZT_EQ(quiet.eof, 1);
  ZT_EQU(HF_STAT(&hf, header_timeouts), 2);
  hcli_done(&hf, &cl);
  hcli_done(&hf, &quiet);
  /* Between requests the clock starts at the first byte. */
  hcli_open(&hf, &cl, HF_PORT);
  hcli_sends(&cl, GET("/hello.txt"));
  hf_run(&hf, ZN_MS(400));
  hcli_sends(&cl, "GET /hello.txt HTTP/1.1\r\n");
  hf_run(&hf, ZN_MS(400));
  ZT_EQ(cl.eof, 0);
  hf_run(&hf, ZN_MS(200));
  ZT_EQ(cl.eof, 1);
  ZT_EQU(HF_STAT(&hf, header_timeouts), 3);
  hcli_done(&hf, &cl);
  hf_free(&hf);
}

ZT_TEST(test_idle_connection_closed_at_idle_timeout) {
  struct hfix hf;
  hf_init(&hf);
  hf.cfg.idle_timeout_ms = 300;
  hf_start(&hf);
  struct hcli cl;
  hcli_open(&hf, &cl, HF_PORT);
  hcli_sends(&cl, GET("/hello.txt"));
  hf_run(&hf, ZN_MS(200));
  ZT_EQ(cl.eof, 0);
  hcli_sends(&cl, GET("/hello.txt"));
  hf_run(&hf, ZN_MS(200));
  ZT_EQ(cl.eof, 0);
  hf_run(&hf, ZN_MS(200));
  ZT_EQ(cl.eof, 1);
  ZT_EQU(HF_STAT(&hf, idle_timeouts), 1);
  ZT_EQU(HF_STAT(&hf, requests), 2);
  hcli_done(&hf, &cl);
  hf_free(&hf);
}

ZT_TEST(test_client_that_never_reads_is_bounded_then_reset) {
  struct hfix hf;
  hf_init(&hf);
  hf.cfg.send_timeout_ms = 1000;
  hf_start(&hf);
  struct hcli cl;
  hcli_open(&hf, &cl, HF_PORT);
  cl.hold = true;
  hcli_pipeline(&cl, "/big.bin", 500);
  hf_run(&hf, ZN_MS(500));
  uint64_t served = HF_STAT(&hf, requests);
  ZT_CHECK(served < 100); /* reading stopped: the window closed */
  ZT_CHECK(HF_STAT(&hf, pipelined_waits) > 0);
  uint32_t bufs = zn_stack_bufs_in_use(hf.p.b);
  ZT_CHECK(bufs < 400);
  hf_run(&hf, ZN_MS(500));
  ZT_EQU(HF_STAT(&hf, requests), served); /* no more */
  hf_run(&hf, ZN_SEC(3));
  ZT_EQU(HF_STAT(&hf, send_timeouts), 1);
  ZT_EQ(cl.errors, 1); /* reset */
  ZT_EQ(hf.src.holds, hf.src.releases);
  hcli_done(&hf, &cl);
  struct zn_http_server_stats s;
  zn_http_server_get_stats(hf.srv, &s);
  ZT_EQU(s.conns_open, 0);
  hf_free(&hf);
}

ZT_TEST(test_bodies_by_reference_arrive_whole) {
  struct hfix hf;
  hf_init(&hf);
  hf.cfg.copy_max = 0; /* every body by reference */
  hf.cfg.pipeline_max = 2;
  hf_start(&hf);
  struct hcli cl;
  hcli_open(&hf, &cl, HF_PORT);
  static char reqs[50 * 40];
  size_t n = 0;
  for (int i = 0; i < 50; i++)
    n += (size_t)snprintf(reqs + n, sizeof(reqs) - n, GET("%s"),
                          i % 3 ? "/big.bin" : "/hello.txt");
  hcli_send(&cl, reqs, n);
  hf_run(&hf, ZN_SEC(2));
  static struct hresp rs[50];
  ZT_EQ(hr_all(&cl, rs, 50, NULL), 50);
  for (int i = 0; i < 50; i++)
    ZT_CHECK(body_is(&rs[i], i % 3 ? "big.bin" : "hello.txt"));
  ZT_EQU(HF_STAT(&hf, bodies_by_ref), 50);
  ZT_EQ(hf.src.holds, 50);
  ZT_EQ(hf.src.releases, 50);
  hcli_done(&hf, &cl);
  hf_free(&hf);
}

ZT_TEST(test_no_clock_no_date) {
  struct hfix hf;
  hf_init(&hf);
  hf.cfg.clock = NULL;
  hf_start(&hf);
  struct hcli cl;
  struct hresp r;
  char v[64];
  ZT_EQ(hf_ask(&hf, &cl, GET("/hello.txt"), &r), 200);
  ZT_CHECK(!hr_field(&r, "Date", v, sizeof(v)));
  hcli_done(&hf, &cl);
  /* The clock moves: Date follows it. */
  hf_free(&hf);
  hf_init(&hf);
  hf_start(&hf);
  ZT_EQ(hf_ask(&hf, &cl, GET("/hello.txt"), &r), 200);
  hf.wall += 61;
  cl.rx_len = 0;
  hcli_sends(&cl, GET("/hello.txt"));
  hf_run(&hf, ZN_MS(50));
  ZT_CHECK(hr_parse(cl.rx, cl.rx_len, false, &r) > 0);
  ZT_CHECK(hr_is(&r, "Date", "Tue, 01 Jan 2030 00:01:01 GMT"));
  hcli_done(&hf, &cl);
  hf_free(&hf);
}

ZT_TEST(test_bad_configs_refused) {
  struct hfix hf;
  hf_init(&hf);
  struct zn_http_server_cfg c = hf.cfg;
  ZT_CHECK(zn_http_server_mem_size(&c) > 0);
  c.content = NULL;
  ZT_EQU(zn_http_server_mem_size(&c), 0);
  c = hf.cfg;
  c.port = 0;
  ZT_EQU(zn_http_server_mem_size(&c), 0);
  c = hf.cfg;
  c.stream_port = 443; /* without a maker */
  ZT_EQU(zn_http_server_mem_size(&c), 0);
  c = hf.cfg;
  c.max_conns = 0;
  ZT_EQU(zn_http_server_mem_size(&c), 0);
  c = hf.cfg;
  c.pipeline_max = ZN_TCP_MAX_REFS + 1;
  ZT_EQU(zn_http_server_mem_size(&c), 0);
  c = hf.cfg;
  c.idle_timeout_ms = 0;
  ZT_EQU(zn_http_server_mem_size(&c), 0);
  size_t n = zn_http_server_mem_size(&hf.cfg);
  void *mem = aligned_alloc(64, (n + 63) / 64 * 64);
  struct zn_http_server *srv;
  ZT_EQ(zn_http_server_init(hf.p.b, &hf.cfg, mem, n - 1, &srv), ZN_ENOMEM);
  ZT_EQ(zn_http_server_init(hf.p.b, &hf.cfg, (uint8_t *)mem + 8, n, &srv),
        ZN_EINVAL);
  /* A port taken: nothing stays open. */
  struct zn_tcp_conn *l;
  ZT_EQ(zn_tcp_listen(hf.p.b, NULL, HF_PORT, 0, NULL, NULL, &l), ZN_OK);
  ZT_EQ(zn_http_server_init(hf.p.b, &hf.cfg, mem, n, &srv), ZN_EADDRINUSE);
  zn_tcp_close(l);
  free(mem);
  ZT_STREQ(zn_http_server_stat_name(ZN_HTTP_SRV_status_404), "status_404");
  ZT_STREQ(zn_http_server_stat_name(ZN_HTTP_SRV_parse_OBS_FOLD),
           "parse_OBS_FOLD");
  ZT_STREQ(zn_http_server_stat_name(-1), "?");
  ZT_STREQ(zn_http_server_stat_text(ZN_HTTP_SRV_NSTATS), "?");
  hf_run(&hf, ZN_MS(10));
  th_pair_free(&hf.p);
}

int main(void) {
  ZT_RUN(test_get_index_served_with_every_field);
  ZT_RUN(test_head_sends_get_fields_without_body);
  ZT_RUN(test_keepalive_reuses_connection);
  ZT_RUN(test_pipelined_requests_answered_in_order);
  ZT_RUN(test_pipelined_requests_split_at_every_byte);
  ZT_RUN(test_if_none_match_answered_304);
  ZT_RUN(test_if_modified_since_answered_304);
  ZT_RUN(test_range_answered_206_and_416);
  ZT_RUN(test_directory_index_and_redirect);
  ZT_RUN(test_errors_answered_with_their_status);
  ZT_RUN(test_small_body_discarded_connection_kept);
  ZT_RUN(test_http10_closes_unless_keepalive);
  ZT_RUN(test_traversal_spellings_never_served);
  ZT_RUN(test_full_slots_evict_oldest_idle_then_refuse);
  ZT_RUN(test_slow_head_closed_at_header_timeout);
  ZT_RUN(test_idle_connection_closed_at_idle_timeout);
  ZT_RUN(test_client_that_never_reads_is_bounded_then_reset);
  ZT_RUN(test_bodies_by_reference_arrive_whole);
  ZT_RUN(test_no_clock_no_date);
  ZT_RUN(test_bad_configs_refused);
  return zt_done();
}
