/*
 * lfsdisk: an image's disk as it lies on the device (lfsdisk.h), one
 * source for the image's file system and the host's znet-disk.
 */
#include <string.h>
#include <sys/stat.h>

#include "lfsdisk.h"

static void put32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++)
    p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v) {
  for (int i = 0; i < 8; i++)
    p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get32(const uint8_t *p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; i--)
    v = v << 8 | p[i];
  return v;
}

static uint64_t get64(const uint8_t *p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--)
    v = v << 8 | p[i];
  return v;
}

void zrt_lfsdisk_meta_encode(const struct zrt_lfs_meta *m,
                             uint8_t out[ZRT_LFS_META]) {
  memset(out, 0, ZRT_LFS_META);
  put32(out, m->mode);
  put32(out + 4, m->uid);
  put32(out + 8, m->gid);
  put64(out + 12, m->ino);
  const struct timespec *t[3] = {&m->atime, &m->mtime, &m->ctime};
  for (size_t i = 0; i < 3; i++) {
    put64(out + 20 + 12 * i, (uint64_t)t[i]->tv_sec);
    put32(out + 28 + 12 * i, (uint32_t)t[i]->tv_nsec);
  }
}

bool zrt_lfsdisk_meta_decode(const uint8_t in[ZRT_LFS_META],
                             struct zrt_lfs_meta *m) {
  m->mode = get32(in);
  m->uid = get32(in + 4);
  m->gid = get32(in + 8);
  m->ino = get64(in + 12);
  struct timespec *t[3] = {&m->atime, &m->mtime, &m->ctime};
  for (size_t i = 0; i < 3; i++) {
    t[i]->tv_sec = (time_t)get64(in + 20 + 12 * i);
    uint32_t ns = get32(in + 28 + 12 * i);
    if (ns >= 1000000000u)
      return false;
    t[i]->tv_nsec = (long)ns;
  }
  return S_ISREG(m->mode) || S_ISDIR(m->mode);
}

uint64_t zrt_lfsdisk_ino_of_path(const char *path, size_t len) {
  uint64_t h = 1469598103934665603u; /* FNV-1a */
  for (size_t i = 0; i < len; i++)
    h = (h ^ (uint8_t)path[i]) * 1099511628211u;
  return h | (1ull << 63);
}

void zrt_lfsdisk_meta_default(bool dir, const char *path, size_t len,
                              struct zrt_lfs_meta *m) {
  memset(m, 0, sizeof(*m));
  m->mode = dir ? (uint32_t)(S_IFDIR | 0755) : (uint32_t)(S_IFREG | 0644);
  m->ino = len == 1 && path[0] == '/' ? ZRT_LFS_ROOT_INO
                                      : zrt_lfsdisk_ino_of_path(path, len);
}

bool zrt_lfsdisk_geometry(struct lfs_config *cfg, uint64_t sector,
                          uint64_t capacity) {
  if (sector == 0 || sector > ZRT_LFS_BLOCK || ZRT_LFS_BLOCK % sector)
    return false;
  uint64_t blocks = capacity / ZRT_LFS_BLOCK;
  if (blocks < ZRT_LFS_MIN_BLOCKS || blocks > UINT32_MAX)
    return false;
  /* A bit a block, 8 bytes at least, ZRT_LFS_LOOKAHEAD_MAX at most
   * (beyond, the allocator scans the tree again for each window). */
  uint64_t look = (blocks + 63) / 64 * 8;
  if (look > ZRT_LFS_LOOKAHEAD_MAX)
    look = ZRT_LFS_LOOKAHEAD_MAX;
  cfg->read_size = (lfs_size_t)sector;
  cfg->prog_size = (lfs_size_t)sector;
  cfg->block_size = ZRT_LFS_BLOCK;
  cfg->block_count = (lfs_size_t)blocks;
  cfg->block_cycles = -1;
  cfg->cache_size = ZRT_LFS_BLOCK;
  cfg->lookahead_size = (lfs_size_t)look;
  cfg->name_max = LFS_NAME_MAX;
  cfg->inline_max = (lfs_size_t)-1;
  return true;
}

void zrt_lfsdisk_inos_load(lfs_t *lfs, struct zrt_lfs_inos *inos) {
  uint8_t b[8];
  lfs_ssize_t r = lfs_getattr(lfs, "/", ZRT_LFS_ATTR_INOS, b, sizeof(b));
  uint64_t limit = r == (lfs_ssize_t)sizeof(b) ? get64(b) : 0;
  /* Past 2^62 (a damaged attribute: no disk hands out so many), start
   * again: a number may then repeat, nothing worse. */
  if (limit < ZRT_LFS_INO_FIRST || limit >= 1ull << 62)
    limit = ZRT_LFS_INO_FIRST;
  inos->next = inos->limit = limit; /* a new range at the first create */
}

int zrt_lfsdisk_ino_next(lfs_t *lfs, struct zrt_lfs_inos *inos,
                         uint64_t *out) {
  if (inos->next == inos->limit) {
    uint8_t b[8];
    put64(b, inos->limit + ZRT_LFS_INO_STEP);
    int r = lfs_setattr(lfs, "/", ZRT_LFS_ATTR_INOS, b, sizeof(b));
    if (r < 0)
      return r;
    inos->limit += ZRT_LFS_INO_STEP;
  }
  *out = inos->next++;
  return 0;
}

bool zrt_lfsdisk_zero(const uint8_t *p, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (p[i])
      return false;
  return true;
}

bool zrt_lfsdisk_superblock_named(const uint8_t *p, size_t n) {
  return n >= 16 && memcmp(p + 8, "littlefs", 8) == 0;
}
