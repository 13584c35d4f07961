/*
 * Tests of entity-tags and conditional GET (http/http_cond.c): the
 * tags formatted from (size, mtime) and from a hash, weak comparison of
 * If-None-Match lists, the 304 decision over a matrix of If-None-Match
 * and If-Modified-Since (RFC 9110 §13.2.2: the second ignored when the
 * first is there), methods, repeated fields, and If-Range's strong
 * comparison and dates.  Requests come from the parser, as a server
 * would have them.
 */
#include <string.h>

#include "znet/err.h"
#include "znet/http.h"
#include "zt.h"

#define T_1994 784111777LL /* Sun, 06 Nov 1994 08:49:37 GMT */
#define DATE_1994 "Sun, 06 Nov 1994 08:49:37 GMT"
#define NOW 1750000000LL

static char hbuf[4096];

/* Parse "GET / HTTP/1.1\r\nHost: a\r\n" + fields + "\r\n". */
static const struct zn_http_request *
req_with(struct zn_http_head *h, const char *method, const char *fields) {
  static char text[2048];
  snprintf(text, sizeof(text), "%s / HTTP/1.1\r\nHost: a\r\n%s\r\n", method,
           fields);
  ZT_EQ(zn_http_head_init(h, NULL, hbuf, sizeof(hbuf)), ZN_OK);
  size_t used;
  enum zn_http_head_result r = zn_http_head_feed(h, text, strlen(text), &used);
  ZT_EQ(r, ZN_HTTP_HEAD_DONE);
  return &h->req;
}

ZT_TEST(test_etag_format) {
  char out[ZN_HTTP_ETAG_MAX];
  ZT_EQ(zn_http_etag_format(0x1234, 0x5f00abcd, out, sizeof(out)), 15);
  ZT_STREQ(out, "\"1234-5f00abcd\"");
  ZT_EQ(zn_http_etag_format(0, 0, out, sizeof(out)), 5);
  ZT_STREQ(out, "\"0-0\"");
  ZT_EQ(zn_http_etag_format(UINT64_MAX, -1, out, sizeof(out)), 35);
  ZT_STREQ(out, "\"ffffffffffffffff-ffffffffffffffff\"");
  ZT_EQ(strlen(out) + 1, ZN_HTTP_ETAG_MAX);
  /* Exactly big enough, one short. */
  char small[6] = "xxxxx";
  ZT_EQ(zn_http_etag_format(0, 0, small, 6), 5);
  memcpy(small, "xxxxx", 6);
  ZT_EQ(zn_http_etag_format(0, 0, small, 5), 0);
  ZT_STREQ(small, "xxxxx");
  /* Different size or mtime, different tag. */
  char a[ZN_HTTP_ETAG_MAX], b[ZN_HTTP_ETAG_MAX];
  zn_http_etag_format(100, 1000, a, sizeof(a));
  zn_http_etag_format(101, 1000, b, sizeof(b));
  ZT_CHECK(strcmp(a, b) != 0);
  zn_http_etag_format(100, 1001, b, sizeof(b));
  ZT_CHECK(strcmp(a, b) != 0);
}

ZT_TEST(test_etag_hash) {
  static const uint8_t h[4] = {0x00, 0xab, 0x7f, 0xff};
  char out[16];
  ZT_EQ(zn_http_etag_hash(h, 4, out, 11), 10);
  ZT_STREQ(out, "\"00ab7fff\"");
  ZT_EQ(zn_http_etag_hash(h, 4, out, 10), 0);
  ZT_EQ(zn_http_etag_hash(h, 0, out, sizeof(out)), 0);
  ZT_EQ(zn_http_etag_hash(h, 4, out, 2), 0);
}

ZT_TEST(test_etag_match_weak_comparison) {
  static const struct {
    const char *inm, *etag;
    bool match;
  } ms[] = {
      {"\"a\"", "\"a\"", true},
      {"\"a\"", "\"b\"", false},
      {"W/\"a\"", "\"a\"", true},
      {"\"a\"", "W/\"a\"", true},
      {"W/\"a\"", "W/\"a\"", true},
      {"\"b\", \"a\"", "\"a\"", true},
      {"\"b\" , W/\"a\" ,", "\"a\"", true},
      {"\"b\",\"c\"", "\"a\"", false},
      {"*", "\"a\"", true},
      {"*", NULL, true},
      {"\"a\"", NULL, false},
      {"a", "\"a\"", false}, /* not an entity-tag */
      {"\"a", "\"a\"", false},
      {"w/\"a\"", "\"a\"", false},  /* W is case-sensitive */
      {"\"a,b\"", "\"a,b\"", true}, /* a comma inside quotes */
      {"\"a,b\", \"c\"", "\"c\"", true},
      {"\"a\"\"b\"", "\"a\"", false},
      {"\"\"", "\"\"", true},
      {"\"A\"", "\"a\"", false},
      {"bad, \"a\"", "\"a\"", true}, /* invalid elements skipped */
      {"*, \"a\"", "\"b\"", false},
      {"", "\"a\"", false},
      {"\"a b\"", "\"a b\"", false}, /* SP is no etagc */
  };
  for (size_t i = 0; i < sizeof(ms) / sizeof(ms[0]); i++) {
    bool m = zn_http_etag_match(ms[i].inm, strlen(ms[i].inm), ms[i].etag,
                                ms[i].etag ? strlen(ms[i].etag) : 0);
    if (m != ms[i].match)
      zt_fail(__FILE__, __LINE__, "If-None-Match %s vs %s: %d", ms[i].inm,
              ms[i].etag ? ms[i].etag : "(none)", m);
  }
  ZT_CHECK(!zn_http_etag_match(NULL, 0, "\"a\"", 3));
}

/* The matrix: If-None-Match (absent, matching, not matching, "*") by
 * If-Modified-Since (absent, not modified since, modified since, invalid,
 * in the future). */
ZT_TEST(test_not_modified_matrix) {
  static const char *const inm[4] = {"", "If-None-Match: \"t\"\r\n",
                                     "If-None-Match: \"u\"\r\n",
                                     "If-None-Match: *\r\n"};
  static const char *const ims[5] = {
      "",
      "If-Modified-Since: " DATE_1994 "\r\n",                 /* = mtime */
      "If-Modified-Since: Sun, 06 Nov 1994 08:49:36 GMT\r\n", /* before */
      "If-Modified-Since: yesterday\r\n",
      "If-Modified-Since: Fri, 31 Dec 9999 23:59:59 GMT\r\n",
  };
  /* want[inm][ims] */
  static const bool want[4][5] = {
      {false, true, false, false, false},
      {true, true, true, true, true},
      {false, false, false, false, false},
      {true, true, true, true, true},
  };
  for (int i = 0; i < 4; i++)
    for (int j = 0; j < 5; j++) {
      char fields[256];
      snprintf(fields, sizeof(fields), "%s%s", inm[i], ims[j]);
      struct zn_http_head h;
      const struct zn_http_request *r = req_with(&h, "GET", fields);
      bool nm = zn_http_not_modified(r, "\"t\"", 3, T_1994, NOW);
      if (nm != want[i][j])
        zt_fail(__FILE__, __LINE__, "INM %d IMS %d: %d", i, j, nm);
      r = req_with(&h, "HEAD", fields);
      ZT_EQ(zn_http_not_modified(r, "\"t\"", 3, T_1994, NOW), want[i][j]);
      r = req_with(&h, "POST", fields);
      ZT_CHECK(!zn_http_not_modified(r, "\"t\"", 3, T_1994, NOW));
    }
}

ZT_TEST(test_not_modified_edges) {
  struct zn_http_head h;
  const struct zn_http_request *r;
  /* Modified after the date: 200. */
  r = req_with(&h, "GET", "If-Modified-Since: " DATE_1994 "\r\n");
  ZT_CHECK(!zn_http_not_modified(r, NULL, 0, T_1994 + 1, NOW));
  ZT_CHECK(zn_http_not_modified(r, NULL, 0, T_1994 - 100, NOW));
  /* No modification time: If-Modified-Since is ignored. */
  ZT_CHECK(!zn_http_not_modified(r, NULL, 0, ZN_HTTP_NO_MTIME, NOW));
  /* The date after now is invalid. */
  ZT_CHECK(!zn_http_not_modified(r, NULL, 0, T_1994, T_1994 - 1));
  ZT_CHECK(zn_http_not_modified(r, NULL, 0, T_1994, T_1994));
  /* Obsolete forms count. */
  r = req_with(&h, "GET",
               "If-Modified-Since: Sunday, 06-Nov-94 08:49:37 GMT\r\n");
  ZT_CHECK(zn_http_not_modified(r, NULL, 0, T_1994, NOW));
  r = req_with(&h, "GET", "If-Modified-Since: Sun Nov  6 08:49:37 1994\r\n");
  ZT_CHECK(zn_http_not_modified(r, NULL, 0, T_1994, NOW));
  /* Two If-Modified-Since: ignored. */
  r = req_with(&h, "GET",
               "If-Modified-Since: " DATE_1994 "\r\n"
               "If-Modified-Since: " DATE_1994 "\r\n");
  ZT_CHECK(!zn_http_not_modified(r, NULL, 0, T_1994, NOW));
  /* If-None-Match on two lines: a match on the first counts, one on the
   * second is not seen (200, never a wrong 304). */
  r = req_with(&h, "GET", "If-None-Match: \"t\"\r\nIf-None-Match: \"u\"\r\n");
  ZT_CHECK(zn_http_not_modified(r, "\"t\"", 3, T_1994, NOW));
  ZT_CHECK(!zn_http_not_modified(r, "\"u\"", 3, T_1994, NOW));
  /* An empty If-None-Match matches nothing, and still hides IMS. */
  r = req_with(&h, "GET",
               "If-None-Match:\r\nIf-Modified-Since: " DATE_1994 "\r\n");
  ZT_CHECK(!zn_http_not_modified(r, "\"t\"", 3, T_1994, NOW));
  /* Weak tags of ours match weakly. */
  r = req_with(&h, "GET", "If-None-Match: \"t\"\r\n");
  ZT_CHECK(zn_http_not_modified(r, "W/\"t\"", 5, T_1994, NOW));
}

ZT_TEST(test_if_range) {
  struct zn_http_head h;
  const struct zn_http_request *r;
  r = req_with(&h, "GET", "Range: bytes=0-1\r\n");
  ZT_CHECK(zn_http_if_range_ok(r, "\"t\"", 3, T_1994, NOW));
  ZT_CHECK(zn_http_if_range_ok(r, NULL, 0, ZN_HTTP_NO_MTIME, NOW));
  r = req_with(&h, "GET", "Range: bytes=0-1\r\nIf-Range: \"t\"\r\n");
  ZT_CHECK(zn_http_if_range_ok(r, "\"t\"", 3, T_1994, NOW));
  ZT_CHECK(!zn_http_if_range_ok(r, "\"u\"", 3, T_1994, NOW));
  ZT_CHECK(!zn_http_if_range_ok(r, "W/\"t\"", 5, T_1994, NOW)); /* strong */
  ZT_CHECK(!zn_http_if_range_ok(r, NULL, 0, T_1994, NOW));
  r = req_with(&h, "GET", "Range: bytes=0-1\r\nIf-Range: W/\"t\"\r\n");
  ZT_CHECK(!zn_http_if_range_ok(r, "\"t\"", 3, T_1994, NOW));
  r = req_with(&h, "GET", "Range: bytes=0-1\r\nIf-Range: " DATE_1994 "\r\n");
  ZT_CHECK(zn_http_if_range_ok(r, "\"t\"", 3, T_1994, NOW));
  ZT_CHECK(!zn_http_if_range_ok(r, "\"t\"", 3, T_1994 - 1, NOW)); /* exact */
  ZT_CHECK(!zn_http_if_range_ok(r, "\"t\"", 3, T_1994 + 1, NOW));
  ZT_CHECK(!zn_http_if_range_ok(r, "\"t\"", 3, ZN_HTTP_NO_MTIME, NOW));
  ZT_CHECK(!zn_http_if_range_ok(r, "\"t\"", 3, T_1994, T_1994)); /* weak */
  ZT_CHECK(zn_http_if_range_ok(r, "\"t\"", 3, T_1994, T_1994 + 1));
  r = req_with(&h, "GET", "Range: bytes=0-1\r\nIf-Range: tomorrow\r\n");
  ZT_CHECK(!zn_http_if_range_ok(r, "\"t\"", 3, T_1994, NOW));
  /* Repeated: invalid. */
  r = req_with(&h, "GET",
               "Range: bytes=0-1\r\nIf-Range: \"t\"\r\nIf-Range: \"t\"\r\n");
  ZT_CHECK(!zn_http_if_range_ok(r, "\"t\"", 3, T_1994, NOW));
}

int main(void) {
  ZT_RUN(test_etag_format);
  ZT_RUN(test_etag_hash);
  ZT_RUN(test_etag_match_weak_comparison);
  ZT_RUN(test_not_modified_matrix);
  ZT_RUN(test_not_modified_edges);
  ZT_RUN(test_if_range);
  return zt_done();
}
