/*
 * The tar reader of libznet-rt's root file system (rt/tar.c).  Input: the
 * block device, whole.  Checks: the reader reads only inside the device;
 * it ends (every step moves on by a block at least: the harness counts
 * the reads against the device's blocks); every entry's name is
 * normalized (no leading "/", no empty, "." or ".." component, no NUL,
 * components of at most 255 bytes, at most 4095 in all, its length the
 * one given) and is empty only for a directory; a file's data lies
 * inside the device, starting on a block; a symlink's target is 1 to 4095
 * bytes without NUL, a hard link's a normalized non-empty name; the mode
 * has permission bits only; the entries given are the ones counted, and
 * the same input read twice gives the same entries and counts.
 */
#include <string.h>

#include "../rt/tar.h"
#include "fuzz_util.h"

struct dev {
  const uint8_t *data;
  size_t size;
  uint64_t reads;
};

static int dev_read(void *ctx, uint64_t off, void *buf, size_t n) {
  struct dev *d = ctx;
  FZ_CHECK(off <= d->size && n <= d->size - off);
  memcpy(buf, d->data + off, n);
  d->reads++;
  return 0;
}

static void check_name(const char *s, size_t len) {
  FZ_CHECK(strlen(s) == len);
  FZ_CHECK(len < ZRT_TAR_PATH);
  FZ_CHECK(len == 0 || (s[0] != '/' && s[len - 1] != '/'));
  size_t start = 0;
  for (size_t i = 0; i <= len; i++) {
    if (i < len && s[i] != '/')
      continue;
    size_t n = i - start;
    FZ_CHECK(len == 0 || n > 0);
    FZ_CHECK(n <= 255);
    FZ_CHECK(!(n == 1 && s[start] == '.'));
    FZ_CHECK(!(n == 2 && s[start] == '.' && s[start + 1] == '.'));
    start = i + 1;
  }
}

static void check_entry(const struct zrt_tar_entry *e, size_t size) {
  check_name(e->name, e->name_len);
  FZ_CHECK(e->name_len > 0 || e->kind == ZRT_TAR_DIR);
  FZ_CHECK(e->mode <= 07777);
  if (e->kind == ZRT_TAR_FILE) {
    FZ_CHECK(e->data_off % ZRT_TAR_BLOCK == 0);
    FZ_CHECK(e->data_off <= size && e->size <= size - e->data_off);
  } else {
    FZ_CHECK(e->size == 0);
  }
  if (e->kind == ZRT_TAR_SYMLINK) {
    FZ_CHECK(e->link_len > 0 && e->link_len < ZRT_TAR_PATH);
    FZ_CHECK(strlen(e->link) == e->link_len);
  }
  if (e->kind == ZRT_TAR_HARDLINK) {
    FZ_CHECK(e->link_len > 0);
    check_name(e->link, e->link_len);
  }
}

static uint64_t fnv(uint64_t h, const void *p, size_t n) {
  const uint8_t *b = p;
  for (size_t i = 0; i < n; i++)
    h = (h ^ b[i]) * 1099511628211u;
  return h;
}

/* Read it all: a digest of the entries. */
static uint64_t read_all(struct zrt_tar *t, const uint8_t *data, size_t size) {
  struct dev d = {data, size, 0};
  struct zrt_tar_entry e;
  uint64_t given = 0, h = 14695981039346656037u;
  int r;
  zrt_tar_init(t, dev_read, &d, size);
  while ((r = zrt_tar_next(t, &e)) > 0) {
    check_entry(&e, size);
    given++;
    h = fnv(h, &e.kind, sizeof(e.kind));
    h = fnv(h, e.name, e.name_len + 1);
    h = fnv(h, &e.data_off, sizeof(e.data_off));
    h = fnv(h, &e.size, sizeof(e.size));
    /* Two reads a block at most (a header, an extended header's data). */
    FZ_CHECK(d.reads <= 2 * (size / ZRT_TAR_BLOCK) + 2);
  }
  FZ_CHECK(r == 0);
  FZ_CHECK(d.reads <= 2 * (size / ZRT_TAR_BLOCK) + 2);
  FZ_CHECK(given == t->stats.entries);
  return fnv(h, &t->stats, sizeof(t->stats));
}

static struct zrt_tar t1, t2;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  uint64_t a = read_all(&t1, data, size);
  uint64_t b = read_all(&t2, data, size);
  FZ_CHECK(a == b);
  return 0;
}
