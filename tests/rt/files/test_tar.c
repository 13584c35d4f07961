/*
 * rt/tar.c against hostile archives, made header by header here (each
 * case named after what the reader must do with it), and against
 * archives that GNU tar makes in its three formats.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tar.h"
#include "zt.h"

struct arc {
  unsigned char buf[1 << 17];
  size_t len;
  int fail_at; /* the callback fails from this offset on (-1: never) */
};

static struct arc A;

static void arc_reset(void) {
  memset(&A, 0, sizeof(A));
  A.fail_at = -1;
}

static int mem_read(void *ctx, uint64_t off, void *buf, size_t n) {
  struct arc *a = ctx;
  if (a->fail_at >= 0 && off + n > (uint64_t)a->fail_at)
    return -EIO;
  if (off + n > a->len) {
    zt_fail(__FILE__, __LINE__, "read past the device: %llu + %zu > %zu",
            (unsigned long long)off, n, a->len);
    return -EIO;
  }
  memcpy(buf, a->buf + off, n);
  return 0;
}

static void octal(unsigned char *f, size_t w, uint64_t v) {
  char tmp[32];
  snprintf(tmp, sizeof(tmp), "%0*llo", (int)(w - 1), (unsigned long long)v);
  memcpy(f, tmp, w - 1);
  f[w - 1] = 0;
}

static void checksum(unsigned char *h) {
  unsigned sum = 0;
  memset(h + 148, ' ', 8);
  for (int i = 0; i < 512; i++)
    sum += h[i];
  char tmp[8];
  snprintf(tmp, sizeof(tmp), "%06o", sum);
  memcpy(h + 148, tmp, 7);
}

/* A POSIX ustar header for name (cut at 100) of type, with size bytes of
 * data (the byte `fill`), at the end of the archive; its header. */
static unsigned char *add(const char *name, char type, const char *link,
                          uint64_t size, char fill) {
  unsigned char *h = A.buf + A.len;
  memset(h, 0, 512);
  memcpy(h, name, strlen(name) < 100 ? strlen(name) : 100);
  octal(h + 100, 8, 0644);
  octal(h + 108, 8, 1000);
  octal(h + 116, 8, 1000);
  octal(h + 124, 12, size);
  octal(h + 136, 12, 1700000000);
  h[156] = (unsigned char)type;
  if (link)
    memcpy(h + 157, link, strlen(link) < 100 ? strlen(link) : 100);
  memcpy(h + 257, "ustar\0" "00", 8);
  checksum(h);
  A.len += 512;
  size_t padded = (size_t)((size + 511) / 512 * 512);
  if (A.len + padded <= sizeof(A.buf)) {
    memset(A.buf + A.len, fill, (size_t)size);
    A.len += padded;
  }
  return h;
}

/* An extended header ('L', 'K', 'x', 'g') with data of n bytes. */
static void add_ext(char type, const char *data, size_t n) {
  unsigned char *h = add("././@LongLink", type, NULL, n, 0);
  memcpy(h + 512, data, n);
}

static void add_end(void) {
  memset(A.buf + A.len, 0, 1024);
  A.len += 1024;
}

#define MAX_SEEN 64
struct seen {
  enum zrt_tar_kind kind;
  char name[ZRT_TAR_PATH];
  char link[ZRT_TAR_PATH];
  uint64_t size, off;
  uint32_t mode;
};
static struct seen S[MAX_SEEN];
static int nseen;
static struct zrt_tar T;

/* Read the whole archive: the reader's last answer. */
static int run(void) {
  struct zrt_tar_entry e;
  int r;
  nseen = 0;
  zrt_tar_init(&T, mem_read, &A, A.len);
  while ((r = zrt_tar_next(&T, &e)) > 0) {
    if (nseen == MAX_SEEN)
      continue;
    struct seen *s = &S[nseen++];
    s->kind = e.kind;
    ZT_EQ(strlen(e.name), e.name_len);
    memcpy(s->name, e.name, e.name_len + 1);
    s->link[0] = 0;
    if (e.link)
      memcpy(s->link, e.link, e.link_len + 1);
    s->size = e.size;
    s->off = e.data_off;
    s->mode = e.mode;
  }
  return r;
}

static uint64_t drops(void) {
  uint64_t n = 0;
#define SUM(name)                                                             \
  if (#name[0] == 'd')                                                        \
    n += T.stats.name;
  ZRT_TAR_COUNTERS(SUM)
#undef SUM
  return n;
}

ZT_TEST(test_plain_entries_given) {
  arc_reset();
  add("dir/", '5', NULL, 0, 0);
  add("dir/file", '0', NULL, 700, 'x');
  add("dir/sym", '2', "file", 0, 0);
  add("dir/hard", '1', "dir/file", 0, 0);
  add_end();
  ZT_EQ(run(), 0);
  ZT_REQUIRE(nseen == 4);
  ZT_EQ(S[0].kind, ZRT_TAR_DIR);
  ZT_STREQ(S[0].name, "dir");
  ZT_EQ(S[1].kind, ZRT_TAR_FILE);
  ZT_EQ(S[1].size, 700);
  ZT_EQ(S[1].off, 1024);
  ZT_EQ(A.buf[S[1].off], 'x');
  ZT_EQ(S[1].mode, 0644);
  ZT_EQ(S[2].kind, ZRT_TAR_SYMLINK);
  ZT_STREQ(S[2].link, "file");
  ZT_EQ(S[3].kind, ZRT_TAR_HARDLINK);
  ZT_STREQ(S[3].link, "dir/file");
  ZT_EQ(T.stats.entries, 4);
  ZT_EQ(drops(), 0);
}

ZT_TEST(test_dotdot_name_dropped) {
  arc_reset();
  add("../evil", '0', NULL, 10, 'e');
  add("a/../../b", '0', NULL, 0, 0);
  add("a/..", '5', NULL, 0, 0);
  add("ok..name/..x", '0', NULL, 3, 'o');
  add_end();
  ZT_EQ(run(), 0);
  ZT_EQ(T.stats.drop_name_dotdot, 3);
  ZT_REQUIRE(nseen == 1);
  ZT_STREQ(S[0].name, "ok..name/..x");
}

ZT_TEST(test_absolute_name_stripped) {
  arc_reset();
  add("/etc/passwd", '0', NULL, 1, 'p');
  add(".//a//b/./c/", '5', NULL, 0, 0);
  add("./", '5', NULL, 0, 0);
  add("///", '0', NULL, 0, 0);
  add_end();
  ZT_EQ(run(), 0);
  ZT_REQUIRE(nseen == 3);
  ZT_STREQ(S[0].name, "etc/passwd");
  ZT_STREQ(S[1].name, "a/b/c");
  ZT_STREQ(S[2].name, ""); /* the root's own entry */
  ZT_EQ(T.stats.drop_name_empty, 1);
}

ZT_TEST(test_bad_checksum_skipped_to_next_header) {
  arc_reset();
  unsigned char *h = add("bad", '0', NULL, 600, 'b');
  h[0] = 'B'; /* the sum no longer matches */
  add("good", '0', NULL, 1, 'g');
  add_end();
  ZT_EQ(run(), 0);
  /* The bad header's 2 data blocks are read as headers too, and skipped
   * for their checksums, as GNU tar skips to the next header. */
  ZT_EQ(T.stats.drop_checksum, 3);
  ZT_REQUIRE(nseen == 1);
  ZT_STREQ(S[0].name, "good");
}

ZT_TEST(test_garbage_number_dropped) {
  arc_reset();
  unsigned char *h = add("m", '0', NULL, 0, 0);
  memcpy(h + 100, "12x4567", 7);
  checksum(h);
  h = add("s", '0', NULL, 0, 0);
  memcpy(h + 124, "0000000001z", 11); /* the size: skipped a block on */
  checksum(h);
  add("after", '0', NULL, 0, 0);
  add_end();
  ZT_EQ(run(), 0);
  ZT_EQ(T.stats.drop_number, 2);
  ZT_REQUIRE(nseen == 1);
  ZT_STREQ(S[0].name, "after");
}

ZT_TEST(test_base256_size_read) {
  arc_reset();
  unsigned char *h = add("big", '0', NULL, 0, 0);
  memset(h + 124, 0, 12);
  h[124] = 0x80;
  h[135] = 0x10; /* 16 bytes */
  checksum(h);
  memset(A.buf + A.len, 'z', 512);
  A.len += 512;
  add("next", '5', NULL, 0, 0);
  add_end();
  ZT_EQ(run(), 0);
  ZT_REQUIRE(nseen == 2);
  ZT_EQ(S[0].size, 16);
  ZT_STREQ(S[1].name, "next");
}

ZT_TEST(test_negative_base256_size_dropped) {
  arc_reset();
  unsigned char *h = add("neg", '0', NULL, 0, 0);
  memset(h + 124, 0xff, 12);
  checksum(h);
  add("next", '5', NULL, 0, 0);
  add_end();
  ZT_EQ(run(), 0);
  ZT_EQ(T.stats.drop_number, 1);
  ZT_REQUIRE(nseen == 1);
}

ZT_TEST(test_size_past_device_ends_archive) {
  arc_reset();
  add("a", '0', NULL, 5, 'a');
  unsigned char *h = add("huge", '0', NULL, 0, 0);
  octal(h + 124, 12, 077777777777ull);
  checksum(h);
  add("never", '0', NULL, 0, 0);
  add_end();
  ZT_EQ(run(), 0);
  ZT_EQ(T.stats.drop_past_device, 1);
  ZT_EQ(nseen, 1);
}

ZT_TEST(test_truncated_header_counted) {
  arc_reset();
  add("a", '0', NULL, 0, 0);
  A.len += 100; /* a piece of a header at the end */
  ZT_EQ(run(), 0);
  ZT_EQ(nseen, 1);
  ZT_EQ(T.stats.drop_truncated, 1);
}

/* Data that ends inside the device's last partial block: the next header
 * would start past the device (found by fuzz_tar). */
ZT_TEST(test_data_rounded_past_device_ends_archive) {
  arc_reset();
  add("a", '0', NULL, 10, 'a');
  A.len -= 500; /* the device ends 12 bytes into the data block */
  ZT_EQ(run(), 0);
  ZT_EQ(nseen, 1);
}

ZT_TEST(test_zero_block_ends_archive) {
  arc_reset();
  add("a", '0', NULL, 0, 0);
  A.len += 512;
  add("hidden", '0', NULL, 0, 0);
  ZT_EQ(run(), 0);
  ZT_EQ(nseen, 1);
}

static char long_name[5000];

ZT_TEST(test_gnu_long_name_used) {
  arc_reset();
  memset(long_name, 'n', 300);
  memcpy(long_name + 100, "/", 1);
  long_name[300] = 0;
  add_ext('L', long_name, 301);
  add("trunc", '0', NULL, 2, 'l');
  add_ext('K', "target/of/a/long/link", 22);
  add("l", '2', "short", 0, 0);
  add_end();
  ZT_EQ(run(), 0);
  ZT_REQUIRE(nseen == 2);
  ZT_STREQ(S[0].name, long_name);
  ZT_EQ(S[0].size, 2);
  ZT_STREQ(S[1].link, "target/of/a/long/link");
}

ZT_TEST(test_long_name_with_nul_dropped) {
  arc_reset();
  add_ext('L', "abc\0def", 8);
  add("x", '0', NULL, 0, 0);
  add("y", '0', NULL, 0, 0);
  add_end();
  ZT_EQ(run(), 0);
  ZT_EQ(T.stats.drop_name_nul, 1);
  ZT_REQUIRE(nseen == 1);
  ZT_STREQ(S[0].name, "y"); /* the long name applied to x only */
}

ZT_TEST(test_name_over_4095_dropped) {
  arc_reset();
  for (int i = 0; i < 4500; i++)
    long_name[i] = i % 200 == 199 ? '/' : 'q';
  add_ext('L', long_name, 4500);
  add("x", '0', NULL, 0, 0);
  memset(long_name, 'c', 256);
  add_ext('L', long_name, 256); /* one component of 256 */
  add("y", '0', NULL, 0, 0);
  add_end();
  ZT_EQ(run(), 0);
  ZT_EQ(T.stats.drop_name_long, 2);
  ZT_EQ(nseen, 0);
}

ZT_TEST(test_pax_path_and_size_used) {
  arc_reset();
  const char pax[] = "29 path=pax/name/from/header\n"
                     "12 size=600\n"
                     "13 mtime=1.5\n";
  add_ext('x', pax, sizeof(pax) - 1);
  add("cut", '0', NULL, 600, 'p');
  add_end();
  ZT_EQ(run(), 0);
  ZT_REQUIRE(nseen == 1);
  ZT_STREQ(S[0].name, "pax/name/from/header");
  ZT_EQ(S[0].size, 600);
}

ZT_TEST(test_bad_pax_record_dropped) {
  arc_reset();
  add_ext('x', "99 path=x\n", 10); /* the length runs past the data */
  add("a", '0', NULL, 0, 0);
  add_ext('x', "9 pathx\n", 8); /* no '=' */
  add("b", '0', NULL, 0, 0);
  add_ext('x', "16 size=12q456\n", 15);
  add("c", '0', NULL, 0, 0);
  add("d", '0', NULL, 0, 0);
  add_end();
  ZT_EQ(run(), 0);
  ZT_EQ(T.stats.drop_pax, 3);
  ZT_REQUIRE(nseen == 1);
  ZT_STREQ(S[0].name, "d");
}

ZT_TEST(test_global_header_skipped) {
  arc_reset();
  add_ext('g', "23 path=global/ignored\n", 23);
  add("a", '0', NULL, 0, 0);
  add_end();
  ZT_EQ(run(), 0);
  ZT_EQ(T.stats.skipped_global, 1);
  ZT_REQUIRE(nseen == 1);
  ZT_STREQ(S[0].name, "a");
}

ZT_TEST(test_devices_and_fifos_skipped) {
  arc_reset();
  add("c", '3', NULL, 0, 0);
  add("b", '4', NULL, 0, 0);
  add("p", '6', NULL, 0, 0);
  add("v", 'V', NULL, 0, 0);
  add("sparse", 'S', NULL, 512, 's');
  add("a", '0', NULL, 0, 0);
  add_end();
  ZT_EQ(run(), 0);
  ZT_EQ(T.stats.skipped_type, 5);
  ZT_EQ(nseen, 1);
}

ZT_TEST(test_symlink_target_kept_as_text) {
  arc_reset();
  add("up", '2', "../../../etc/shadow", 0, 0);
  add("abs", '2', "/etc/shadow", 0, 0);
  add("empty", '2', "", 0, 0);
  add_end();
  ZT_EQ(run(), 0);
  ZT_REQUIRE(nseen == 2);
  ZT_STREQ(S[0].link, "../../../etc/shadow");
  ZT_STREQ(S[1].link, "/etc/shadow");
  ZT_EQ(T.stats.drop_link_bad, 1);
}

ZT_TEST(test_hardlink_out_of_root_dropped) {
  arc_reset();
  add("h", '1', "../outside", 0, 0);
  add("h2", '1', "/./", 0, 0);
  add("h3", '1', "/abs/ok", 0, 0);
  add_end();
  ZT_EQ(run(), 0);
  ZT_EQ(T.stats.drop_link_bad, 2);
  ZT_REQUIRE(nseen == 1);
  ZT_STREQ(S[0].link, "abs/ok");
}

ZT_TEST(test_callback_error_returned) {
  arc_reset();
  add("a", '0', NULL, 0, 0);
  add("b", '0', NULL, 0, 0);
  add_end();
  A.fail_at = 600;
  ZT_EQ(run(), -EIO);
  ZT_EQ(nseen, 1);
}

/* ---- archives GNU tar makes ------------------------------------------------ */

static char tmpdir[64];

static int sh(const char *cmd) {
  int r = system(cmd);
  if (r != 0)
    zt_fail(__FILE__, __LINE__, "%s: %d", cmd, r);
  return r;
}

static void make_tree(void) {
  char cmd[2048];
  snprintf(tmpdir, sizeof(tmpdir), "/tmp/zrt-tar-XXXXXX");
  if (!mkdtemp(tmpdir))
    return;
  snprintf(cmd, sizeof(cmd),
           "cd %s && mkdir -p t/d1/d2 && echo hello > t/d1/f && "
           "ln -s ../d1/f t/d1/d2/s && ln t/d1/f t/hard && "
           "mkdir -p t/%0120d && echo deep > t/%0120d/%0150d && "
           "head -c 100000 /dev/zero | tr '\\0' 'z' > t/big",
           tmpdir, 7, 7, 9);
  sh(cmd);
}

static int read_file(const char *path, struct arc *a) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return -1;
  a->len = fread(a->buf, 1, sizeof(a->buf), f);
  fclose(f);
  a->fail_at = -1;
  return 0;
}

static void check_format(const char *format) {
  char cmd[512], path[128];
  const char *tar = getenv("TAR") ? getenv("TAR") : "tar";
  snprintf(path, sizeof(path), "%s/%s.tar", tmpdir, format);
  snprintf(cmd, sizeof(cmd), "%s cf %s --format=%s -C %s/t .", tar, path,
           format, tmpdir);
  if (sh(cmd) != 0 || read_file(path, &A) < 0)
    return;
  ZT_EQ(run(), 0);
  ZT_EQ(drops(), 0);
  int files = 0, dirs = 0, links = 0, hard = 0, longest = 0;
  for (int i = 0; i < nseen; i++) {
    files += S[i].kind == ZRT_TAR_FILE;
    dirs += S[i].kind == ZRT_TAR_DIR;
    links += S[i].kind == ZRT_TAR_SYMLINK;
    hard += S[i].kind == ZRT_TAR_HARDLINK;
    if ((int)strlen(S[i].name) > longest)
      longest = (int)strlen(S[i].name);
    if (strcmp(S[i].name, "big") == 0)
      ZT_EQ(S[i].size, 100000);
    if (S[i].kind == ZRT_TAR_SYMLINK)
      ZT_STREQ(S[i].link, "../d1/f");
  }
  ZT_EQ(files + hard, 4);
  ZT_EQ(hard, 1);
  ZT_EQ(dirs, 4); /* ., d1, d1/d2, the long one */
  ZT_EQ(links, 1);
  ZT_EQ(longest, 120 + 1 + 150);
}

ZT_TEST(test_gnu_format_read_whole) { check_format("gnu"); }
ZT_TEST(test_pax_format_read_whole) { check_format("pax"); }

ZT_TEST(test_ustar_format_too_long_name_refused_by_tar) {
  /* ustar cannot hold a 150-byte last component: tar itself refuses it,
   * so only the shorter names arrive, all read. */
  char cmd[512], path[128];
  const char *tar = getenv("TAR") ? getenv("TAR") : "tar";
  snprintf(path, sizeof(path), "%s/ustar.tar", tmpdir);
  snprintf(cmd, sizeof(cmd),
           "%s cf %s --format=ustar -C %s/t . 2>/dev/null; test -s %s", tar,
           path, tmpdir, path);
  if (sh(cmd) != 0 || read_file(path, &A) < 0)
    return;
  ZT_EQ(run(), 0);
  ZT_EQ(drops(), 0);
  ZT_CHECK(nseen >= 6);
}

/* ---- the writer --------------------------------------------------------- */

/* An entry written by zrt_tar_header at the end of A, with size bytes
 * of `fill` after it; the bytes the header took (0: refused). */
static size_t put(enum zrt_tar_kind kind, const char *name, const char *link,
                  uint64_t size, char fill) {
  struct zrt_tar_entry e = {.kind = kind, .name = name,
                            .name_len = strlen(name), .link = link,
                            .link_len = link ? strlen(link) : 0,
                            .size = size, .mode = 0640, .uid = 7,
                            .gid = 8, .mtime = 1700000000};
  unsigned char hdr[ZRT_TAR_HDR_MAX];
  size_t n = zrt_tar_header(hdr, &e);
  if (n == 0 || A.len + n + size + 512 > sizeof(A.buf))
    return n;
  memcpy(A.buf + A.len, hdr, n);
  A.len += n;
  memset(A.buf + A.len, fill, (size_t)size);
  A.len += (size_t)((size + 511) / 512 * 512);
  return n;
}

/* What the writer makes, the reader reads back: names of every length
 * (ustar's, its prefix split, GNU's long name), each kind, modes. */
ZT_TEST(test_writer_read_back) {
  arc_reset();
  char split[160], lng[300];
  memset(split, 'p', 120);
  memcpy(split + 120, "/leaf", 6);
  memset(lng, 'q', 250);
  lng[250] = 0;
  ZT_EQ(put(ZRT_TAR_DIR, "d", NULL, 0, 0), 512u);
  ZT_EQ(put(ZRT_TAR_FILE, "d/f", NULL, 700, 'x'), 512u);
  ZT_EQ(put(ZRT_TAR_SYMLINK, "d/s", "f", 0, 0), 512u);
  ZT_EQ(put(ZRT_TAR_FILE, split, NULL, 3, 'y'), 512u);
  ZT_EQ(put(ZRT_TAR_FILE, lng, NULL, 1, 'z'), 3u * 512u);
  A.len += 1024; /* the end: two zero blocks */
  ZT_EQ(run(), 0);
  ZT_EQ(drops(), 0);
  ZT_REQUIRE(nseen == 5);
  ZT_EQ(S[0].kind, ZRT_TAR_DIR);
  ZT_STREQ(S[0].name, "d");
  ZT_EQ(S[1].kind, ZRT_TAR_FILE);
  ZT_STREQ(S[1].name, "d/f");
  ZT_EQ(S[1].size, 700);
  ZT_EQ(S[1].mode, 0640u);
  ZT_EQ(A.buf[S[1].off + 699], 'x');
  ZT_EQ(S[2].kind, ZRT_TAR_SYMLINK);
  ZT_STREQ(S[2].link, "f");
  ZT_STREQ(S[3].name, split);
  ZT_EQ(A.buf[S[3].off], 'y');
  ZT_STREQ(S[4].name, lng);
  ZT_EQ(S[4].size, 1);
}

/* What tar cannot carry so is refused, not cut. */
ZT_TEST(test_writer_refuses_what_it_cannot_carry) {
  arc_reset();
  char link[120];
  memset(link, 'l', 101);
  link[101] = 0;
  ZT_EQ(put(ZRT_TAR_FILE, "", NULL, 0, 0), 0u);
  ZT_EQ(put(ZRT_TAR_SYMLINK, "s", link, 0, 0), 0u);
  ZT_EQ(put(ZRT_TAR_HARDLINK, "h", "f", 0, 0), 0u);
  ZT_EQ(put(ZRT_TAR_FILE, "big", NULL, 1ull << 33, 0), 0u);
  static char huge[ZRT_TAR_PATH + 1];
  memset(huge, 'n', ZRT_TAR_PATH);
  ZT_EQ(put(ZRT_TAR_FILE, huge, NULL, 0, 0), 0u);
  ZT_EQ(A.len, 0u);
}

/* GNU tar reads the writer's archive as the writer meant it. */
ZT_TEST(test_writer_read_by_gnu_tar) {
  arc_reset();
  char lng[300], path[128], cmd[1024];
  memset(lng, 'q', 250);
  lng[250] = 0;
  put(ZRT_TAR_DIR, "d", NULL, 0, 0);
  put(ZRT_TAR_FILE, "d/f", NULL, 700, 'x');
  put(ZRT_TAR_SYMLINK, "d/s", "f", 0, 0);
  put(ZRT_TAR_FILE, lng, NULL, 1, 'z');
  A.len += 1024;
  snprintf(path, sizeof(path), "%s/written.tar", tmpdir);
  FILE *f = fopen(path, "wb");
  ZT_REQUIRE(f);
  ZT_EQ(fwrite(A.buf, 1, A.len, f), A.len);
  fclose(f);
  snprintf(cmd, sizeof(cmd),
           "cd %s && mkdir -p x && tar xf written.tar -C x && "
           "test \"$(wc -c < x/d/f)\" = 700 && test \"$(readlink x/d/s)\" = f && "
           "test -s x/%s && test \"$(stat -c %%a x/d/f)\" = 640",
           tmpdir, lng);
  ZT_EQ(sh(cmd), 0);
}

int main(void) {
  ZT_RUN(test_plain_entries_given);
  ZT_RUN(test_writer_read_back);
  ZT_RUN(test_writer_refuses_what_it_cannot_carry);
  ZT_RUN(test_dotdot_name_dropped);
  ZT_RUN(test_absolute_name_stripped);
  ZT_RUN(test_bad_checksum_skipped_to_next_header);
  ZT_RUN(test_garbage_number_dropped);
  ZT_RUN(test_base256_size_read);
  ZT_RUN(test_negative_base256_size_dropped);
  ZT_RUN(test_size_past_device_ends_archive);
  ZT_RUN(test_truncated_header_counted);
  ZT_RUN(test_data_rounded_past_device_ends_archive);
  ZT_RUN(test_zero_block_ends_archive);
  ZT_RUN(test_gnu_long_name_used);
  ZT_RUN(test_long_name_with_nul_dropped);
  ZT_RUN(test_name_over_4095_dropped);
  ZT_RUN(test_pax_path_and_size_used);
  ZT_RUN(test_bad_pax_record_dropped);
  ZT_RUN(test_global_header_skipped);
  ZT_RUN(test_devices_and_fifos_skipped);
  ZT_RUN(test_symlink_target_kept_as_text);
  ZT_RUN(test_hardlink_out_of_root_dropped);
  ZT_RUN(test_callback_error_returned);
  make_tree();
  ZT_RUN(test_gnu_format_read_whole);
  ZT_RUN(test_writer_read_by_gnu_tar);
  ZT_RUN(test_pax_format_read_whole);
  ZT_RUN(test_ustar_format_too_long_name_refused_by_tar);
  char cmd[128];
  snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
  (void)!system(cmd);
  return zt_done();
}
