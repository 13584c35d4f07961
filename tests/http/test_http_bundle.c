/*
 * The compiled-in bundle (http/http_bundle.c) and its packer
 * (scripts/httpd-pack), on tests/http/www-sample packed at build time:
 * every file of the directory is there with its bytes, sorted; the
 * packer's precomputed fields are what zn_http_file_fields() writes;
 * lookups find files, directories and nothing else; a bundle out of
 * order or past its blob is refused.
 */
#include <stdio.h>
#include <string.h>

#include "znet/err.h"
#include "znet/http.h"
#include "zt.h"

extern const struct zn_http_bundle www_sample;

static const char *const files[] = {
    "big.bin",    "docs/index.html",  "docs/style.css", "hello.txt",
    "index.html", "nodex/readme.txt", "secret.txt",     "sp ace/index.html",
};

ZT_TEST(test_packer_wrote_every_file_sorted) {
  const struct zn_http_bundle *b = &www_sample;
  ZT_EQU(b->n, sizeof(files) / sizeof(files[0]));
  for (uint32_t i = 0; i < b->n; i++) {
    const struct zn_http_bundle_entry *e = &b->entries[i];
    ZT_EQU(e->path_len, strlen(files[i]));
    ZT_CHECK(memcmp(e->path, files[i], e->path_len) == 0);
    ZT_CHECK(e->offset % 64 == 0);
    ZT_CHECK(e->offset + e->size <= b->blob_len);
    ZT_EQU(strlen(e->etag), 34);
  }
  const struct zn_http_bundle_entry *h = zn_http_bundle_find(b, "hello.txt", 9);
  ZT_REQUIRE(h != NULL);
  ZT_EQU(h->size, 13);
  ZT_MEMEQ(b->blob + h->offset, "Hello, znet!\n", 13);
  ZT_STREQ(h->type, "text/plain; charset=utf-8");
  const struct zn_http_bundle_entry *g = zn_http_bundle_find(b, "big.bin", 7);
  ZT_REQUIRE(g != NULL);
  ZT_EQU(g->size, 20000);
  ZT_STREQ(g->type, ZN_HTTP_MIME_DEFAULT);
}

ZT_TEST(test_packer_fields_are_the_library_s) {
  const struct zn_http_bundle *b = &www_sample;
  for (uint32_t i = 0; i < b->n; i++) {
    const struct zn_http_bundle_entry *e = &b->entries[i];
    struct zn_http_file f = {.data = b->blob + e->offset,
                             .size = e->size,
                             .mtime = e->mtime,
                             .etag = e->etag,
                             .etag_len = strlen(e->etag),
                             .type = e->type};
    char out[ZN_HTTP_FIELDS_MAX];
    size_t n = zn_http_file_fields(&f, out, sizeof(out));
    ZT_EQU(n, e->fields_len);
    ZT_CHECK(n == e->fields_len && memcmp(out, e->fields, n) == 0);
    ZT_STREQ(e->type, zn_http_mime_type(e->path, e->path_len));
  }
}

ZT_TEST(test_bundle_source_finds_files_and_directories) {
  struct zn_http_bundle_content bc;
  ZT_EQ(zn_http_bundle_content_init(&bc, &www_sample), ZN_OK);
  struct zn_http_content *src = &bc.content;
  struct zn_http_file f;
  ZT_EQ(src->open(src, "docs/style.css", 14, &f), ZN_OK);
  ZT_EQU(f.size, 34);
  ZT_CHECK(f.hold == NULL && f.release == NULL);
  ZT_CHECK(f.fields != NULL);
  ZT_EQ(src->open(src, "docs", 4, &f), ZN_EISDIR);
  ZT_EQ(src->open(src, "sp ace", 6, &f), ZN_EISDIR);
  ZT_EQ(src->open(src, "", 0, &f), ZN_EISDIR);
  ZT_EQ(src->open(src, "doc", 3, &f), ZN_ENOENT);
  ZT_EQ(src->open(src, "docs/", 5, &f), ZN_ENOENT);
  ZT_EQ(src->open(src, "docs/style.cs", 13, &f), ZN_ENOENT);
  ZT_EQ(src->open(src, "docs/style.css/x", 16, &f), ZN_ENOENT);
  ZT_EQ(src->open(src, "zzz", 3, &f), ZN_ENOENT);
  ZT_EQ(src->open(src, "a", 1, &f), ZN_ENOENT);
}

ZT_TEST(test_bad_bundles_refused) {
  static const struct zn_http_bundle_entry unsorted[] = {
      {"b", 1, 0, 1, 0, "\"1\"", "x", "", 0},
      {"a", 1, 1, 1, 0, "\"2\"", "x", "", 0},
  };
  static const struct zn_http_bundle_entry dup[] = {
      {"a", 1, 0, 1, 0, "\"1\"", "x", "", 0},
      {"a", 1, 1, 1, 0, "\"2\"", "x", "", 0},
  };
  static const struct zn_http_bundle_entry past[] = {
      {"a", 1, 0, 3, 0, "\"1\"", "x", "", 0},
  };
  static const uint8_t blob[2] = {1, 2};
  struct zn_http_bundle b = {unsorted, 2, blob, 2};
  struct zn_http_bundle_content bc;
  ZT_EQ(zn_http_bundle_content_init(&bc, &b), ZN_EINVAL);
  b.entries = dup;
  ZT_EQ(zn_http_bundle_content_init(&bc, &b), ZN_EINVAL);
  b.entries = past;
  b.n = 1;
  ZT_EQ(zn_http_bundle_content_init(&bc, &b), ZN_EINVAL);
  b.n = 0;
  ZT_EQ(zn_http_bundle_content_init(&bc, &b), ZN_OK);
  struct zn_http_file f;
  ZT_EQ(bc.content.open(&bc.content, "", 0, &f), ZN_ENOENT);
}

ZT_TEST(test_file_fields_refuse_bad_text) {
  struct zn_http_file f = {.size = 1, .mtime = ZN_HTTP_NO_MTIME};
  char out[ZN_HTTP_FIELDS_MAX];
  size_t n = zn_http_file_fields(&f, out, sizeof(out));
  ZT_EQU(n, strlen("Content-Type: application/octet-stream\r\n"
                   "Accept-Ranges: bytes\r\n"));
  f.type = "text/plain\r\nSet-Cookie: x";
  ZT_EQU(zn_http_file_fields(&f, out, sizeof(out)), 0);
  f.type = "text/plain";
  f.etag = "\"a b\"";
  f.etag_len = 5;
  ZT_EQU(zn_http_file_fields(&f, out, sizeof(out)), 0);
  f.etag = "\"ab\"";
  f.etag_len = 4;
  ZT_CHECK(zn_http_file_fields(&f, out, sizeof(out)) > 0);
  ZT_EQU(zn_http_file_fields(&f, out, 20), 0);
}

int main(void) {
  ZT_RUN(test_packer_wrote_every_file_sorted);
  ZT_RUN(test_packer_fields_are_the_library_s);
  ZT_RUN(test_bundle_source_finds_files_and_directories);
  ZT_RUN(test_bad_bundles_refused);
  ZT_RUN(test_file_fields_refuse_bad_text);
  return zt_done();
}
