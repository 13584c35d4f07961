/*
 * Tests of zn_http_target_path (http/http_path.c): clean paths out of
 * origin- and absolute-form targets, queries dropped, percent-decoding,
 * "//" collapsed and "." dropped, directories flagged; every spelling of
 * a traversal refused (encoded dots in any case, encoded slashes and
 * backslashes, NUL, controls); the output buffer's bound exactly.
 */
#include <string.h>

#include "znet/err.h"
#include "znet/http.h"
#include "zt.h"

static int path_of(const char *t, char *out, size_t cap,
                   struct zn_http_path *r) {
  return zn_http_target_path(t, strlen(t), out, cap, r);
}

ZT_TEST(test_clean_paths) {
  static const struct {
    const char *t, *path;
    bool dir;
  } ok[] = {
      {"/", "", true},
      {"/index.html", "index.html", false},
      {"/a/b/c.txt", "a/b/c.txt", false},
      {"/a/b/", "a/b", true},
      {"/a/b?x=1&y=/../", "a/b", false},
      {"/?q", "", true},
      {"/a?", "a", false},
      {"//a///b//", "a/b", true},
      {"/./a/./b/.", "a/b", true},
      {"/a/./", "a", true},
      {"/%41%42c", "ABc", false},
      {"/caf%C3%A9.txt", "caf\xc3\xa9.txt", false},
      {"/a%20b", "a b", false},
      {"/%3f%23", "?#", false},
      {"/...", "...", false},
      {"/..a/a..", "..a/a..", false},
      {"/.hidden", ".hidden", false},
      {"/a:b@c!$&'()*+,;=-._~", "a:b@c!$&'()*+,;=-._~", false},
      {"/%2e", "", true},
      {"/a/%2E", "a", true},
      {"/%2e%2e%2e", "...", false},
      {"/%252e%252e/x", "%2e%2e/x", false}, /* decoded once */
      {"/%e2%80%a6", "\xe2\x80\xa6", false},
  };
  for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
    char out[64];
    struct zn_http_path r;
    memset(out, 0x55, sizeof(out));
    int e = path_of(ok[i].t, out, sizeof(out), &r);
    if (e != ZN_OK) {
      zt_fail(__FILE__, __LINE__, "%s: %s", ok[i].t, zn_err_name(e));
      continue;
    }
    ZT_EQ(r.len, strlen(ok[i].path));
    ZT_STREQ(out, ok[i].path);
    ZT_EQ(r.dir, ok[i].dir);
    ZT_CHECK(!r.authority.p);
  }
}

ZT_TEST(test_traversal_spellings_refused) {
  static const char *const bad[] = {
      "/..",
      "/../etc/passwd",
      "/a/../../etc/passwd",
      "/a/..",
      "/a/../",
      "/a/b/../c",
      "/%2e%2e/etc/passwd",
      "/%2E%2E/etc/passwd",
      "/%2e%2E/x",
      "/%2E%2e/x",
      "/.%2e/x",
      "/%2e./x",
      "/.%2E",
      "/a/%2e%2e",
      "/a/%2e%2e/",
      "/a%2f..%2f..%2fetc/passwd",
      "/a%2F..",
      "/..%2fetc",
      "/..%5c..%5cwindows",
      "/a%5Cb",
      "/a%00.html",
      "/a%00/../b",
      "/%00",
      "/a%0a",
      "/a%0d%0a",
      "/a%1f",
      "/a%7f",
      "/a%09b",
      "/a\\b",
      "/..\\..\\x",
      "/a\x01",
      "/a\x7f",
      "/%2e%2e",
      "/./..",
      "//..//x",
      "http://h/../x",
      "http://h/%2e%2e/x",
      "/%c0%ae%c0%ae/x", /* overlong UTF-8 dots */
      "/%c0%af",
      "/%c1%9c",
      "/a%f5",
      "/a%ff",
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    char out[64];
    struct zn_http_path r = {123, true, {NULL, 0}};
    int e = path_of(bad[i], out, sizeof(out), &r);
    if (e != ZN_EPERM)
      zt_fail(__FILE__, __LINE__, "%s: %s, want EPERM", bad[i], zn_err_name(e));
    ZT_EQ(r.len, 123); /* untouched on failure */
  }
  /* A NUL inside the target (length given), literally. */
  char out[64];
  struct zn_http_path r;
  ZT_EQ(zn_http_target_path("/a\0b", 4, out, sizeof(out), &r), ZN_EPERM);
}

ZT_TEST(test_malformed_targets) {
  static const char *const bad[] = {
      "",
      "a/b",
      "*",
      "/a%",
      "/a%4",
      "/a%zz",
      "/a%g0",
      "/a b",
      "/a\"b",
      "/a<b>",
      "/a#b",
      "/a{b}",
      "/a|b",
      "/a^b",
      "/a`b",
      "/a[b]",
      "/caf\xc3\xa9",
      "/a?b c",
      "/a?%zz",
      "http:/x",
      "http:x",
      "http://",
      "http:///x",
      "http://u@h/x",
      "http://h h/x",
      "1http://h/",
      "http://[::1/x",
      "http://h:8a/x",
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    char out[64];
    struct zn_http_path r;
    int e = path_of(bad[i], out, sizeof(out), &r);
    if (e != ZN_EMALFORMED)
      zt_fail(__FILE__, __LINE__, "\"%s\": %s, want EMALFORMED", bad[i],
              zn_err_name(e));
  }
}

ZT_TEST(test_absolute_form) {
  char out[64];
  struct zn_http_path r;
  ZT_EQ(path_of("http://example.com:8080/a/b?c", out, sizeof(out), &r), ZN_OK);
  ZT_STREQ(out, "a/b");
  ZT_EQ(r.authority.len, 16);
  ZT_CHECK(memcmp(r.authority.p, "example.com:8080", 16) == 0);
  ZT_EQ(path_of("HTTP://h", out, sizeof(out), &r), ZN_OK);
  ZT_STREQ(out, "");
  ZT_CHECK(r.dir);
  ZT_EQ(r.authority.len, 1);
  ZT_EQ(path_of("http://h?x", out, sizeof(out), &r), ZN_OK);
  ZT_CHECK(r.dir);
  ZT_EQ(path_of("http://[2001:db8::1]:80/x", out, sizeof(out), &r), ZN_OK);
  ZT_STREQ(out, "x");
  ZT_EQ(path_of("https://h/x", out, sizeof(out), &r), ZN_ENOTSUP);
  ZT_EQ(path_of("ftp://h/x", out, sizeof(out), &r), ZN_ENOTSUP);
  ZT_EQ(path_of("mailto:a", out, sizeof(out), &r), ZN_ENOTSUP);
  ZT_EQ(path_of("example.com:80", out, sizeof(out), &r), ZN_ENOTSUP);
}

ZT_TEST(test_output_bound_exact) {
  char out[8];
  struct zn_http_path r;
  /* "abc/def" is 7 bytes and the NUL: fits 8 exactly. */
  ZT_EQ(path_of("/abc/def", out, 8, &r), ZN_OK);
  ZT_STREQ(out, "abc/def");
  ZT_EQ(path_of("/abc/defg", out, 8, &r), ZN_ENOSPC);
  ZT_EQ(path_of("/abcdefg", out, 8, &r), ZN_OK);
  ZT_EQ(path_of("/abcdefgh", out, 8, &r), ZN_ENOSPC);
  ZT_EQ(path_of("/%41%42%43%44%45%46%47", out, 8, &r), ZN_OK);
  ZT_STREQ(out, "ABCDEFG");
  ZT_EQ(path_of("/", out, 1, &r), ZN_OK);
  ZT_STREQ(out, "");
  ZT_EQ(path_of("/", out, 0, &r), ZN_ENOSPC);
  ZT_EQ(path_of("/a", out, 1, &r), ZN_ENOSPC);
  /* Refusals come before the bound, wherever they are. */
  ZT_EQ(path_of("/abcdefghijk/..", out, 8, &r), ZN_EPERM);
  ZT_EQ(path_of("/abcdefghijk/%zz", out, 8, &r), ZN_EMALFORMED);
  ZT_EQ(path_of("/../abcdefghijk", out, 8, &r), ZN_EPERM);
}

int main(void) {
  ZT_RUN(test_clean_paths);
  ZT_RUN(test_traversal_spellings_refused);
  ZT_RUN(test_malformed_targets);
  ZT_RUN(test_absolute_form);
  ZT_RUN(test_output_bound_exact);
  return zt_done();
}
