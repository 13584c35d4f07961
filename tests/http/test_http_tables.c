/*
 * Tests of the tables of znet/http.h (http/http_tables.c): media
 * types by extension (every row of the list, case, names without an
 * extension), reason phrases (every row, unknown codes), the parser's
 * errors (every row has a status and a name; out-of-range values).
 */
#include <string.h>

#include "znet/http.h"
#include "zt.h"

static const char *mime(const char *path) {
  return zn_http_mime_type(path, strlen(path));
}

ZT_TEST(test_mime_every_row) {
#define MIME_CHECK_(ext, type)                                                 \
  ZT_STREQ(mime("dir/file." #ext), type);                                      \
  ZT_STREQ(mime(#ext ".x." #ext), type);
  ZN_HTTP_MIME_TYPES(MIME_CHECK_)
#undef MIME_CHECK_
}

ZT_TEST(test_mime_cases) {
  ZT_STREQ(mime("index.html"), "text/html; charset=utf-8");
  ZT_STREQ(mime("INDEX.HTML"), "text/html; charset=utf-8");
  ZT_STREQ(mime("a.JpEg"), "image/jpeg");
  ZT_STREQ(mime("a.tar.gz"), "application/gzip");
  ZT_STREQ(mime("app.wasm"), "application/wasm");
  ZT_STREQ(mime("f.woff2"), "font/woff2");
  ZT_STREQ(mime("x.mjs"), "text/javascript; charset=utf-8");
  ZT_STREQ(mime("README"), ZN_HTTP_MIME_DEFAULT);
  ZT_STREQ(mime(""), ZN_HTTP_MIME_DEFAULT);
  ZT_STREQ(mime(".html"), ZN_HTTP_MIME_DEFAULT);
  ZT_STREQ(mime("dir/.html"), ZN_HTTP_MIME_DEFAULT);
  ZT_STREQ(mime("dir.html/file"), ZN_HTTP_MIME_DEFAULT);
  ZT_STREQ(mime("file."), ZN_HTTP_MIME_DEFAULT);
  ZT_STREQ(mime("file.htmlx"), ZN_HTTP_MIME_DEFAULT);
  ZT_STREQ(mime("file.htm"), "text/html; charset=utf-8");
  ZT_STREQ(mime("file.ht"), ZN_HTTP_MIME_DEFAULT);
  ZT_STREQ(mime("file.exe"), ZN_HTTP_MIME_DEFAULT);
  ZT_STREQ(mime("a/.b.css"), "text/css; charset=utf-8");
  /* The length is what counts, not a NUL. */
  ZT_STREQ(zn_http_mime_type("a.png.txt", 5), "image/png");
}

ZT_TEST(test_reason_every_row) {
  int n = 0;
#define REASON_CHECK_(code, name, text)                                        \
  ZT_STREQ(zn_http_reason(code), text);                                        \
  ZT_EQ(ZN_HTTP_STATUS_##name, code);                                          \
  n++;
  ZN_HTTP_STATUSES(REASON_CHECK_)
#undef REASON_CHECK_
  ZT_CHECK(n > 40);
  ZT_STREQ(zn_http_reason(404), "Not Found");
  ZT_STREQ(zn_http_reason(431), "Request Header Fields Too Large");
  ZT_STREQ(zn_http_reason(999), "");
  ZT_STREQ(zn_http_reason(0), "");
  ZT_STREQ(zn_http_reason(-1), "");
  ZT_STREQ(zn_http_reason(418), "");
}

ZT_TEST(test_error_table) {
  for (int e = 0; e < ZN_HTTP_ERR_COUNT; e++) {
    int st = zn_http_error_status((enum zn_http_error)e);
    const char *name = zn_http_error_name((enum zn_http_error)e);
    ZT_CHECK(strcmp(name, "UNKNOWN") != 0);
    ZT_CHECK(zn_http_error_text((enum zn_http_error)e)[0] != '\0');
    if (e == ZN_HTTP_ERR_NONE)
      ZT_EQ(st, 0);
    else
      ZT_CHECK(zn_http_reason(st)[0] != '\0'); /* a status of the table */
  }
  ZT_STREQ(zn_http_error_name(ZN_HTTP_ERR_OBS_FOLD), "OBS_FOLD");
  ZT_EQ(zn_http_error_status(ZN_HTTP_ERR_URI_TOO_LONG), 414);
  ZT_EQ(zn_http_error_status(ZN_HTTP_ERR_TOO_MANY_FIELDS), 431);
  ZT_EQ(zn_http_error_status(ZN_HTTP_ERR_VERSION_NOT_SUPPORTED), 505);
  ZT_EQ(zn_http_error_status(ZN_HTTP_ERR_TE_NOT_IMPLEMENTED), 501);
  ZT_EQ(zn_http_error_status(ZN_HTTP_ERR_EXPECTATION), 417);
  ZT_EQ(zn_http_error_status((enum zn_http_error)ZN_HTTP_ERR_COUNT), 500);
  ZT_STREQ(zn_http_error_name((enum zn_http_error)ZN_HTTP_ERR_COUNT),
           "UNKNOWN");
  ZT_STREQ(zn_http_error_text((enum zn_http_error) - 1), "unknown error");
}

int main(void) {
  ZT_RUN(test_mime_every_row);
  ZT_RUN(test_mime_cases);
  ZT_RUN(test_reason_every_row);
  ZT_RUN(test_error_table);
  return zt_done();
}
