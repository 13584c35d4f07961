/*
 * An image's disk (littlefs, as rt/lfsfs.c and znet-disk read it through
 * rt/lfsdisk.c).  Input: the disk, whole (zero-padded to 16 blocks of
 * 4096, cut at 64).  Drives: the mount; every directory walked (depth 8,
 * 256 entries each) with each entry's stat and znet's attribute decoded;
 * each file read (64 KiB at most); the blocks' traversal; then, on a disk
 * that mounted, a file created, written, synced, renamed over another and
 * removed, and a directory made (commits over the hostile metadata) and
 * the disk mounted again.  Checks: every read and program of the device
 * is inside it and whole sectors; every entry's name is 1 to 255 bytes;
 * the traversal reads only blocks of the disk (it may name others, see
 * below); a decoded attribute is a file's or a directory's; nothing crashes, and
 * nothing waits (littlefs's own assertions are on: one that a disk's bytes
 * trip is a finding, as it would stop an image).
 */
#include <string.h>

#include "../rt/lfsdisk.h"
#include "fuzz_util.h"

#define MIN_BLOCKS 16u
#define MAX_BLOCKS 64u
#define SECTOR 512u

static uint8_t disk[MAX_BLOCKS * ZRT_LFS_BLOCK];
static uint32_t nblocks;
static uint8_t rbuf[ZRT_LFS_BLOCK], pbuf[ZRT_LFS_BLOCK], fbuf[ZRT_LFS_BLOCK];
static uint8_t look[ZRT_LFS_LOOKAHEAD_MAX];
static uint8_t data[65536];

static void in_disk(lfs_block_t block, lfs_off_t off, lfs_size_t size) {
  FZ_CHECK(block < nblocks);
  FZ_CHECK(off % SECTOR == 0 && size % SECTOR == 0 && size > 0);
  FZ_CHECK(off <= ZRT_LFS_BLOCK && size <= ZRT_LFS_BLOCK - off);
}

static int bd_read(const struct lfs_config *c, lfs_block_t block,
                   lfs_off_t off, void *buf, lfs_size_t size) {
  (void)c;
  in_disk(block, off, size);
  memcpy(buf, disk + (size_t)block * ZRT_LFS_BLOCK + off, size);
  return 0;
}

static int bd_prog(const struct lfs_config *c, lfs_block_t block,
                   lfs_off_t off, const void *buf, lfs_size_t size) {
  (void)c;
  in_disk(block, off, size);
  memcpy(disk + (size_t)block * ZRT_LFS_BLOCK + off, buf, size);
  return 0;
}

static int bd_erase(const struct lfs_config *c, lfs_block_t block) {
  (void)c;
  FZ_CHECK(block < nblocks);
  return 0;
}

static int bd_sync(const struct lfs_config *c) {
  (void)c;
  return 0;
}

static void check_attr(lfs_t *lfs, const char *path, uint8_t type) {
  uint8_t raw[ZRT_LFS_META];
  struct zrt_lfs_meta m;
  lfs_ssize_t r = lfs_getattr(lfs, path, ZRT_LFS_ATTR, raw, sizeof(raw));
  FZ_CHECK(r < 0 || (size_t)r <= sizeof(raw));
  if (r == (lfs_ssize_t)sizeof(raw) && zrt_lfsdisk_meta_decode(raw, &m)) {
    FZ_CHECK((m.mode & 0170000) == 0100000 || (m.mode & 0170000) == 0040000);
    FZ_CHECK(m.mtime.tv_nsec >= 0 && m.mtime.tv_nsec < 1000000000);
  }
  struct lfs_info info;
  if (lfs_stat(lfs, path, &info) == 0)
    FZ_CHECK(info.type == type);
}

static void read_file(lfs_t *lfs, const char *path) {
  lfs_file_t f;
  struct lfs_file_config fc = {.buffer = fbuf};
  if (lfs_file_opencfg(lfs, &f, path, LFS_O_RDONLY, &fc) < 0)
    return;
  lfs_ssize_t n = lfs_file_read(lfs, &f, data, sizeof(data));
  FZ_CHECK(n < 0 || (size_t)n <= sizeof(data));
  (void)lfs_file_close(lfs, &f);
}

static void walk(lfs_t *lfs, const char *path, size_t len, int depth) {
  lfs_dir_t d;
  if (depth > 8 || lfs_dir_open(lfs, &d, path) < 0)
    return;
  static struct lfs_info info;
  for (int i = 0; i < 256 && lfs_dir_read(lfs, &d, &info) > 0; i++) {
    size_t n = strnlen(info.name, sizeof(info.name));
    FZ_CHECK(n >= 1 && n <= LFS_NAME_MAX);
    if (strcmp(info.name, ".") == 0 || strcmp(info.name, "..") == 0)
      continue;
    char child[8 * (LFS_NAME_MAX + 1) + 2];
    if (len + 1 + n + 1 > sizeof(child))
      continue;
    memcpy(child, path, len);
    size_t c = len == 1 ? 0 : len; /* the root is "/" */
    child[c] = '/';
    memcpy(child + c + 1, info.name, n + 1);
    uint8_t type = info.type;
    check_attr(lfs, child, type);
    if (type == LFS_TYPE_REG)
      read_file(lfs, child);
    else if (type == LFS_TYPE_DIR)
      walk(lfs, child, c + 1 + n, depth + 1);
  }
  (void)lfs_dir_close(lfs, &d);
}

/* Commits over what the disk holds. */
static void change(lfs_t *lfs) {
  lfs_file_t f;
  struct lfs_file_config fc = {.buffer = fbuf};
  if (lfs_file_opencfg(lfs, &f, "/fz", LFS_O_RDWR | LFS_O_CREAT, &fc) == 0) {
    memset(data, 'z', 9000);
    (void)lfs_file_write(lfs, &f, data, 9000);
    (void)lfs_file_sync(lfs, &f);
    (void)lfs_file_close(lfs, &f);
  }
  (void)lfs_rename(lfs, "/fz", "/fz2");
  (void)lfs_mkdir(lfs, "/fzd");
  (void)lfs_remove(lfs, "/fz2");
  struct zrt_lfs_inos inos;
  uint64_t ino;
  zrt_lfsdisk_inos_load(lfs, &inos);
  (void)zrt_lfsdisk_ino_next(lfs, &inos, &ino);
}

int LLVMFuzzerTestOneInput(const uint8_t *in, size_t size) {
  nblocks = (uint32_t)((size + ZRT_LFS_BLOCK - 1) / ZRT_LFS_BLOCK);
  if (nblocks < MIN_BLOCKS)
    nblocks = MIN_BLOCKS;
  if (nblocks > MAX_BLOCKS)
    nblocks = MAX_BLOCKS;
  size_t bytes = (size_t)nblocks * ZRT_LFS_BLOCK;
  memset(disk, 0, bytes);
  memcpy(disk, in, size < bytes ? size : bytes);
  struct lfs_config cfg = {0};
  FZ_CHECK(zrt_lfsdisk_geometry(&cfg, SECTOR, bytes));
  cfg.read = bd_read;
  cfg.prog = bd_prog;
  cfg.erase = bd_erase;
  cfg.sync = bd_sync;
  cfg.read_buffer = rbuf;
  cfg.prog_buffer = pbuf;
  cfg.lookahead_buffer = look;
  static lfs_t lfs;
  if (lfs_mount(&lfs, &cfg) < 0)
    return 0;
  check_attr(&lfs, "/", LFS_TYPE_DIR);
  walk(&lfs, "/", 1, 0);
  /* The blocks' traversal, as lfsfs's statfs makes it.  littlefs names
   * each pointer it follows before it reads there, so on a hostile disk
   * it can name blocks past the disk's end (znet-disk fsck counts them;
   * statfs's count is then too high, and its free blocks 0): never read
   * (bd_read's check holds: littlefs refuses, LFS_ERR_CORRUPT). */
  (void)lfs_fs_size(&lfs);
  change(&lfs);
  (void)lfs_unmount(&lfs);
  if (lfs_mount(&lfs, &cfg) == 0) {
    walk(&lfs, "/", 1, 0);
    (void)lfs_unmount(&lfs);
  }
  return 0;
}
