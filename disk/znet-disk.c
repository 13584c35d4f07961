/*
 * znet-disk: an image's disk (a host file that znet-image --volume and
 * --mount PATH=NAME attach) made, filled, listed, read and checked on
 * the host, through the same littlefs and the same attributes as the
 * image's file system (rt/lfsdisk.c).
 *
 *   znet-disk mkfs [-f] DISK SIZE     a file of SIZE bytes (K, M, G: powers
 *                                     of 1024) holding an empty file system
 *   znet-disk put [-o UID:GID] DISK SRC [PATH]
 *                                     SRC copied in: a directory's contents
 *                                     under PATH (default /), a file as PATH
 *                                     (default /NAME; into PATH if it is a
 *                                     directory); modes, owners, times kept
 *   znet-disk get DISK PATH DEST      PATH copied out to DEST the same ways
 *   znet-disk ls DISK [PATH]          the tree under PATH, one line an entry
 *   znet-disk fsck DISK               every directory and file read, every
 *                                     block and attribute checked
 *
 * A disk an image has attached is the image's: read it or write it here
 * only while no image runs on it.  Exit status: 0, 1 (fsck found a
 * problem, or some of put's or get's entries were skipped: each named),
 * 2 (the command failed: the reason on standard error).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lfsdisk.h"

#define SECTOR 512u
#define PATH_MAX_DISK 4096

struct disk {
  const char *name;
  int fd;
  uint64_t bytes;
  lfs_t lfs;
  struct lfs_config cfg;
  uint8_t rbuf[ZRT_LFS_BLOCK], pbuf[ZRT_LFS_BLOCK];
  uint8_t look[ZRT_LFS_LOOKAHEAD_MAX];
  uint8_t fbuf[ZRT_LFS_BLOCK];
  struct zrt_lfs_inos inos;
  bool have_owner;
  uint32_t uid, gid;
  unsigned skipped; /* put's and get's entries left out */
};

__attribute__((format(printf, 1, 2), noreturn)) static void
fail(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("znet-disk: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  exit(2);
}

__attribute__((format(printf, 2, 3))) static void
skip(struct disk *d, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("znet-disk: skipped: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  d->skipped++;
}

/* littlefs's answer in words. */
static const char *lfs_why(int e) {
  switch (e) {
  case LFS_ERR_IO: return "an I/O error";
  case LFS_ERR_CORRUPT: return "corrupt";
  case LFS_ERR_NOENT: return "no such file or directory";
  case LFS_ERR_EXIST: return "exists";
  case LFS_ERR_NOTDIR: return "not a directory";
  case LFS_ERR_ISDIR: return "a directory";
  case LFS_ERR_NOTEMPTY: return "directory not empty";
  case LFS_ERR_FBIG: return "file too large (2 GiB - 1 at most)";
  case LFS_ERR_INVAL: return "invalid (another file system, or another size)";
  case LFS_ERR_NOSPC: return "no space left on the disk";
  case LFS_ERR_NAMETOOLONG: return "name too long";
  default: return "an error";
  }
}

/* ---- the disk file as littlefs's device ------------------------------- */

static int bd_read(const struct lfs_config *c, lfs_block_t block,
                   lfs_off_t off, void *buf, lfs_size_t size) {
  struct disk *d = c->context;
  off_t at = (off_t)block * ZRT_LFS_BLOCK + off;
  ssize_t n = pread(d->fd, buf, size, at);
  return n == (ssize_t)size ? 0 : LFS_ERR_IO;
}

static int bd_prog(const struct lfs_config *c, lfs_block_t block,
                   lfs_off_t off, const void *buf, lfs_size_t size) {
  struct disk *d = c->context;
  off_t at = (off_t)block * ZRT_LFS_BLOCK + off;
  ssize_t n = pwrite(d->fd, buf, size, at);
  return n == (ssize_t)size ? 0 : LFS_ERR_IO;
}

static int bd_erase(const struct lfs_config *c, lfs_block_t block) {
  (void)c;
  (void)block;
  return 0;
}

static int bd_sync(const struct lfs_config *c) {
  struct disk *d = c->context;
  return fsync(d->fd) == 0 ? 0 : LFS_ERR_IO;
}

/* DISK opened and littlefs configured for it (not mounted). */
static void disk_open(struct disk *d, const char *name, bool write) {
  d->name = name;
  d->fd = open(name, write ? O_RDWR : O_RDONLY);
  if (d->fd < 0)
    fail("%s: %s", name, strerror(errno));
  struct stat st;
  if (fstat(d->fd, &st) != 0 || !(S_ISREG(st.st_mode) || S_ISBLK(st.st_mode)))
    fail("%s: not a file", name);
  d->bytes = (uint64_t)st.st_size;
  if (S_ISBLK(st.st_mode)) {
    off_t end = lseek(d->fd, 0, SEEK_END);
    d->bytes = end < 0 ? 0 : (uint64_t)end;
  }
  if (!zrt_lfsdisk_geometry(&d->cfg, SECTOR, d->bytes))
    fail("%s: %" PRIu64 " bytes: too small for a disk (%u KiB at least)",
         name, d->bytes, ZRT_LFS_MIN_BLOCKS * ZRT_LFS_BLOCK / 1024);
  d->cfg.context = d;
  d->cfg.read = bd_read;
  d->cfg.prog = bd_prog;
  d->cfg.erase = bd_erase;
  d->cfg.sync = bd_sync;
  d->cfg.read_buffer = d->rbuf;
  d->cfg.prog_buffer = d->pbuf;
  d->cfg.lookahead_buffer = d->look;
}

static void disk_mount(struct disk *d) {
  int r = lfs_mount(&d->lfs, &d->cfg);
  if (r < 0)
    fail("%s: no file system znet reads (littlefs 2.1 in blocks of %u over "
         "the file's %" PRIu64 " bytes): %s",
         d->name, ZRT_LFS_BLOCK, d->bytes, lfs_why(r));
  zrt_lfsdisk_inos_load(&d->lfs, &d->inos);
}

static void disk_close(struct disk *d) {
  int r = lfs_unmount(&d->lfs);
  if (r < 0)
    fail("%s: unmount: %s", d->name, lfs_why(r));
  if (fsync(d->fd) != 0 || close(d->fd) != 0)
    fail("%s: %s", d->name, strerror(errno));
}

/* ---- paths on the disk ------------------------------------------------ */

/* "/" + p without repeated or trailing slashes into out. */
static void disk_path(char *out, size_t n, const char *p) {
  size_t o = 0;
  out[o++] = '/';
  for (; *p; p++) {
    if (*p == '/' && (o == 0 || out[o - 1] == '/'))
      continue;
    if (o + 2 > n)
      fail("%s: path too long", p);
    out[o++] = *p;
  }
  if (o > 1 && out[o - 1] == '/')
    o--;
  out[o] = '\0';
}

static void join(char *out, size_t n, const char *dir, const char *name) {
  int w = snprintf(out, n, "%s%s%s", dir,
                   dir[0] && dir[strlen(dir) - 1] == '/' ? "" : "/", name);
  if (w < 0 || (size_t)w >= n)
    fail("%s/%s: path too long", dir, name);
}

static const char *base_name(const char *p) {
  const char *s = strrchr(p, '/');
  return s && s[1] ? s + 1 : p;
}

/* The attributes of `path` on the disk: ours, or the defaults. */
static void meta_get(struct disk *d, const char *path, bool dir,
                     struct zrt_lfs_meta *m, bool *ours) {
  uint8_t raw[ZRT_LFS_META];
  lfs_ssize_t r = lfs_getattr(&d->lfs, path, ZRT_LFS_ATTR, raw, sizeof(raw));
  *ours = r == (lfs_ssize_t)sizeof(raw) && zrt_lfsdisk_meta_decode(raw, m) &&
          S_ISDIR(m->mode) == dir;
  if (!*ours)
    zrt_lfsdisk_meta_default(dir, path, strlen(path), m);
}

/* ---- mkfs ----------------------------------------------------------------- */

static uint64_t parse_size(const char *s) {
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  uint64_t mul = 1;
  switch (*end) {
  case 'K': case 'k': mul = 1ull << 10; end++; break;
  case 'M': case 'm': mul = 1ull << 20; end++; break;
  case 'G': case 'g': mul = 1ull << 30; end++; break;
  case 'T': case 't': mul = 1ull << 40; end++; break;
  }
  if (errno || end == s || *end || v == 0 || v > UINT64_MAX / mul)
    fail("%s: not a size (bytes, or a number and K, M, G or T)", s);
  return v * mul;
}

static struct zrt_lfs_meta meta_now(mode_t mode, uint32_t uid, uint32_t gid) {
  struct zrt_lfs_meta m = {.mode = (uint32_t)mode, .uid = uid, .gid = gid};
  clock_gettime(CLOCK_REALTIME, &m.mtime);
  m.atime = m.ctime = m.mtime;
  return m;
}

static void set_meta(struct disk *d, const char *path,
                     struct zrt_lfs_meta *m) {
  uint8_t raw[ZRT_LFS_META];
  zrt_lfsdisk_meta_encode(m, raw);
  int r = lfs_setattr(&d->lfs, path, ZRT_LFS_ATTR, raw, sizeof(raw));
  if (r < 0)
    fail("%s: %s: %s", d->name, path, lfs_why(r));
}

static int cmd_mkfs(struct disk *d, bool force, const char *name,
                    const char *size_s) {
  uint64_t size = parse_size(size_s) / ZRT_LFS_BLOCK * ZRT_LFS_BLOCK;
  int fd = open(name, O_RDWR | O_CREAT, 0644);
  if (fd < 0)
    fail("%s: %s", name, strerror(errno));
  uint8_t head[2 * ZRT_LFS_BLOCK] = {0};
  ssize_t got = pread(fd, head, sizeof(head), 0);
  if (got > 0 && !zrt_lfsdisk_zero(head, (size_t)got) && !force)
    fail("%s holds data: -f to make a new file system over it", name);
  /* Blank first (sparse): no block of what was there stays behind to
   * be read as a file system's. */
  if (ftruncate(fd, 0) != 0 || ftruncate(fd, (off_t)size) != 0)
    fail("%s: %s", name, strerror(errno));
  close(fd);
  disk_open(d, name, true);
  int r = lfs_format(&d->lfs, &d->cfg);
  if (r < 0)
    fail("%s: format: %s", name, lfs_why(r));
  disk_mount(d);
  struct zrt_lfs_meta root = meta_now(S_IFDIR | 0755, 0, 0);
  root.ino = ZRT_LFS_ROOT_INO;
  set_meta(d, "/", &root);
  disk_close(d);
  printf("%s: %" PRIu64 " KiB, %" PRIu64 " blocks of %u\n", name,
         size / 1024, size / ZRT_LFS_BLOCK, ZRT_LFS_BLOCK);
  return 0;
}

/* ---- put ------------------------------------------------------------------ */

static struct zrt_lfs_meta meta_of_host(struct disk *d, const struct stat *st) {
  struct zrt_lfs_meta m = {
      .mode = (uint32_t)st->st_mode,
      .uid = d->have_owner ? d->uid : (uint32_t)st->st_uid,
      .gid = d->have_owner ? d->gid : (uint32_t)st->st_gid,
      .atime = st->st_atim,
      .mtime = st->st_mtim,
      .ctime = st->st_mtim,
  };
  return m;
}

static uint64_t new_ino(struct disk *d) {
  uint64_t ino;
  int r = zrt_lfsdisk_ino_next(&d->lfs, &d->inos, &ino);
  if (r < 0)
    fail("%s: %s", d->name, lfs_why(r));
  return ino;
}

/* What `path` is on the disk: LFS_TYPE_REG, LFS_TYPE_DIR or 0 (none). */
static int disk_type(struct disk *d, const char *path) {
  struct lfs_info info;
  int r = lfs_stat(&d->lfs, path, &info);
  if (r == LFS_ERR_NOENT)
    return 0;
  if (r < 0)
    fail("%s: %s: %s", d->name, path, lfs_why(r));
  return info.type;
}

static void put_dir(struct disk *d, const char *src, const char *dst);

/* Host file src as dst, its bytes and attributes in one commit. */
static void put_file(struct disk *d, const char *src, const char *dst,
                     const struct stat *st) {
  if (st->st_size > LFS_FILE_MAX) {
    skip(d, "%s: %lld bytes, more than a file on the disk holds", src,
         (long long)st->st_size);
    return;
  }
  int type = disk_type(d, dst);
  if (type == LFS_TYPE_DIR) {
    skip(d, "%s: %s is a directory on the disk", src, dst);
    return;
  }
  int in = open(src, O_RDONLY);
  if (in < 0) {
    skip(d, "%s: %s", src, strerror(errno));
    return;
  }
  struct zrt_lfs_meta m = meta_of_host(d, st);
  if (type == LFS_TYPE_REG) {
    bool ours;
    struct zrt_lfs_meta old;
    meta_get(d, dst, false, &old, &ours);
    m.ino = old.ino;
  } else {
    m.ino = new_ino(d);
  }
  uint8_t raw[ZRT_LFS_META];
  zrt_lfsdisk_meta_encode(&m, raw);
  struct lfs_attr a = {.type = ZRT_LFS_ATTR, .buffer = raw,
                       .size = ZRT_LFS_META};
  struct lfs_file_config fc = {.buffer = d->fbuf, .attrs = &a,
                               .attr_count = 1};
  lfs_file_t f;
  int r = lfs_file_opencfg(&d->lfs, &f, dst,
                           LFS_O_WRONLY | LFS_O_CREAT | LFS_O_TRUNC, &fc);
  if (r < 0)
    fail("%s: %s: %s", d->name, dst, lfs_why(r));
  static uint8_t buf[1 << 16];
  for (;;) {
    ssize_t n = read(in, buf, sizeof(buf));
    if (n < 0)
      fail("%s: %s", src, strerror(errno));
    if (n == 0)
      break;
    lfs_ssize_t w = lfs_file_write(&d->lfs, &f, buf, (lfs_size_t)n);
    if (w != n)
      fail("%s: %s: %s", d->name, dst, lfs_why(w < 0 ? (int)w : LFS_ERR_IO));
  }
  close(in);
  r = lfs_file_close(&d->lfs, &f);
  if (r < 0)
    fail("%s: %s: %s", d->name, dst, lfs_why(r));
}

/* Directory dst on the disk (made if missing) with st's attributes. */
static void put_mkdir(struct disk *d, const char *dst, const struct stat *st) {
  int type = disk_type(d, dst);
  if (type == LFS_TYPE_REG)
    fail("%s: %s is a file on the disk", d->name, dst);
  struct zrt_lfs_meta m = meta_of_host(d, st);
  if (type == 0) {
    m.ino = strcmp(dst, "/") == 0 ? ZRT_LFS_ROOT_INO : new_ino(d);
    int r = lfs_mkdir(&d->lfs, dst);
    if (r < 0)
      fail("%s: %s: %s", d->name, dst, lfs_why(r));
  } else {
    bool ours;
    struct zrt_lfs_meta old;
    meta_get(d, dst, true, &old, &ours);
    m.ino = old.ino;
  }
  set_meta(d, dst, &m);
}

/* Host entry src as dst. */
static void put_entry(struct disk *d, const char *src, const char *dst) {
  struct stat st;
  if (lstat(src, &st) != 0) {
    skip(d, "%s: %s", src, strerror(errno));
    return;
  }
  if (S_ISREG(st.st_mode))
    put_file(d, src, dst, &st);
  else if (S_ISDIR(st.st_mode)) {
    put_mkdir(d, dst, &st);
    put_dir(d, src, dst);
  } else
    skip(d, "%s: %s", src,
         S_ISLNK(st.st_mode) ? "a symbolic link (the disk has none)"
                             : "neither a file nor a directory");
}

/* The contents of host directory src into dst. */
static void put_dir(struct disk *d, const char *src, const char *dst) {
  DIR *dir = opendir(src);
  if (!dir) {
    skip(d, "%s: %s", src, strerror(errno));
    return;
  }
  struct dirent *e;
  while ((e = readdir(dir))) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
      continue;
    if (strlen(e->d_name) > LFS_NAME_MAX) {
      skip(d, "%s/%s: a name longer than %d bytes", src, e->d_name,
           LFS_NAME_MAX);
      continue;
    }
    char s[PATH_MAX_DISK], t[PATH_MAX_DISK];
    join(s, sizeof(s), src, e->d_name);
    join(t, sizeof(t), dst, e->d_name);
    put_entry(d, s, t);
  }
  closedir(dir);
}

static int cmd_put(struct disk *d, const char *name, const char *src,
                   const char *path) {
  struct stat st;
  if (stat(src, &st) != 0)
    fail("%s: %s", src, strerror(errno));
  disk_open(d, name, true);
  disk_mount(d);
  char dst[PATH_MAX_DISK];
  if (S_ISDIR(st.st_mode)) {
    disk_path(dst, sizeof(dst), path ? path : "/");
    put_mkdir(d, dst, &st);
    put_dir(d, src, dst);
  } else {
    disk_path(dst, sizeof(dst), path ? path : base_name(src));
    if (disk_type(d, dst) == LFS_TYPE_DIR) {
      char t[PATH_MAX_DISK];
      join(t, sizeof(t), dst, base_name(src));
      put_entry(d, src, t);
    } else
      put_entry(d, src, dst);
  }
  disk_close(d);
  return d->skipped ? 1 : 0;
}

/* ---- get ------------------------------------------------------------------ */

static void get_times(const char *dst, const struct zrt_lfs_meta *m) {
  struct timespec t[2] = {m->atime, m->mtime};
  (void)utimensat(AT_FDCWD, dst, t, 0);
}

static void get_owner(const char *dst, const struct zrt_lfs_meta *m) {
  if (geteuid() == 0 && lchown(dst, m->uid, m->gid) != 0)
    fprintf(stderr, "znet-disk: %s: owner %u:%u: %s\n", dst, m->uid, m->gid,
            strerror(errno));
}

static void get_dir(struct disk *d, const char *src, const char *dst);

static void get_file(struct disk *d, const char *src, const char *dst) {
  bool ours;
  struct zrt_lfs_meta m;
  meta_get(d, src, false, &m, &ours);
  lfs_file_t f;
  struct lfs_file_config fc = {.buffer = d->fbuf};
  int r = lfs_file_opencfg(&d->lfs, &f, src, LFS_O_RDONLY, &fc);
  if (r < 0) {
    skip(d, "%s: %s", src, lfs_why(r));
    return;
  }
  int out = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (out < 0)
    fail("%s: %s", dst, strerror(errno));
  static uint8_t buf[1 << 16];
  for (;;) {
    lfs_ssize_t n = lfs_file_read(&d->lfs, &f, buf, sizeof(buf));
    if (n < 0) {
      skip(d, "%s: %s (the host's copy is cut short)", src, lfs_why((int)n));
      break;
    }
    if (n == 0)
      break;
    if (write(out, buf, (size_t)n) != n)
      fail("%s: %s", dst, strerror(errno));
  }
  (void)lfs_file_close(&d->lfs, &f);
  if (fchmod(out, m.mode & 07777) != 0 || close(out) != 0)
    fail("%s: %s", dst, strerror(errno));
  get_owner(dst, &m);
  get_times(dst, &m);
}

static void get_entry(struct disk *d, const char *src, const char *dst,
                      int type) {
  if (type == LFS_TYPE_REG) {
    get_file(d, src, dst);
    return;
  }
  if (mkdir(dst, 0700) != 0 && errno != EEXIST)
    fail("%s: %s", dst, strerror(errno));
  get_dir(d, src, dst);
  bool ours;
  struct zrt_lfs_meta m;
  meta_get(d, src, true, &m, &ours);
  if (chmod(dst, m.mode & 07777) != 0)
    fail("%s: %s", dst, strerror(errno));
  get_owner(dst, &m);
  get_times(dst, &m);
}

/* Each entry of a disk directory: fn(d, path, type, arg).  The listing
 * is read whole first: fn may read or write the disk. */
struct names {
  char (*name)[LFS_NAME_MAX + 1];
  uint8_t *type;
  size_t n, cap;
};

static void names_read(struct disk *d, const char *dir, struct names *out) {
  lfs_dir_t h;
  int r = lfs_dir_open(&d->lfs, &h, dir);
  if (r < 0)
    fail("%s: %s: %s", d->name, dir, lfs_why(r));
  struct lfs_info info;
  memset(out, 0, sizeof(*out));
  while ((r = lfs_dir_read(&d->lfs, &h, &info)) > 0) {
    if (strcmp(info.name, ".") == 0 || strcmp(info.name, "..") == 0)
      continue;
    if (out->n == out->cap) {
      out->cap = out->cap ? 2 * out->cap : 16;
      out->name = realloc(out->name, out->cap * sizeof(*out->name));
      out->type = realloc(out->type, out->cap);
      if (!out->name || !out->type)
        fail("out of memory");
    }
    memcpy(out->name[out->n], info.name, sizeof(info.name));
    out->type[out->n++] = info.type;
  }
  (void)lfs_dir_close(&d->lfs, &h);
  if (r < 0)
    fail("%s: %s: %s", d->name, dir, lfs_why(r));
}

static void names_free(struct names *n) {
  free(n->name);
  free(n->type);
}

static void get_dir(struct disk *d, const char *src, const char *dst) {
  struct names ns;
  names_read(d, src, &ns);
  for (size_t i = 0; i < ns.n; i++) {
    char s[PATH_MAX_DISK], t[PATH_MAX_DISK];
    join(s, sizeof(s), src, ns.name[i]);
    join(t, sizeof(t), dst, ns.name[i]);
    get_entry(d, s, t, ns.type[i]);
  }
  names_free(&ns);
}

static int cmd_get(struct disk *d, const char *name, const char *path,
                   const char *dst) {
  disk_open(d, name, false);
  disk_mount(d);
  char src[PATH_MAX_DISK];
  disk_path(src, sizeof(src), path);
  int type = disk_type(d, src);
  if (type == 0)
    fail("%s: %s: no such file or directory on the disk", name, src);
  struct stat st;
  bool into = stat(dst, &st) == 0 && S_ISDIR(st.st_mode);
  if (type == LFS_TYPE_REG && into) {
    char t[PATH_MAX_DISK];
    join(t, sizeof(t), dst, base_name(src));
    get_entry(d, src, t, type);
  } else
    get_entry(d, src, dst, type);
  (void)lfs_unmount(&d->lfs);
  close(d->fd);
  return d->skipped ? 1 : 0;
}

/* ---- ls ------------------------------------------------------------------- */

static void mode_string(uint32_t mode, char out[11]) {
  const char *rwx = "rwxrwxrwx";
  out[0] = S_ISDIR(mode) ? 'd' : '-';
  for (int i = 0; i < 9; i++)
    out[1 + i] = (mode & (1u << (8 - i))) ? rwx[i] : '-';
  out[10] = '\0';
}

static void ls_line(struct disk *d, const char *path, int type) {
  bool ours;
  struct zrt_lfs_meta m;
  meta_get(d, path, type == LFS_TYPE_DIR, &m, &ours);
  struct lfs_info info = {0};
  (void)lfs_stat(&d->lfs, path, &info);
  char mode[11], when[32];
  mode_string(m.mode, mode);
  struct tm tm;
  time_t t = m.mtime.tv_sec;
  strftime(when, sizeof(when), "%Y-%m-%d %H:%M",
           gmtime_r(&t, &tm) ? &tm : &(struct tm){0});
  printf("%s %5u %5u %10" PRIu32 " %s %s%s\n", mode, m.uid, m.gid,
         type == LFS_TYPE_REG ? info.size : 0, when, path,
         ours ? "" : " (no attributes: defaults)");
}

static void ls_tree(struct disk *d, const char *dir) {
  struct names ns;
  names_read(d, dir, &ns);
  for (size_t i = 0; i < ns.n; i++) {
    char p[PATH_MAX_DISK];
    join(p, sizeof(p), dir, ns.name[i]);
    ls_line(d, p, ns.type[i]);
    if (ns.type[i] == LFS_TYPE_DIR)
      ls_tree(d, p);
  }
  names_free(&ns);
}

static int cmd_ls(struct disk *d, const char *name, const char *path) {
  disk_open(d, name, false);
  disk_mount(d);
  char p[PATH_MAX_DISK];
  disk_path(p, sizeof(p), path ? path : "/");
  int type = disk_type(d, p);
  if (type == 0)
    fail("%s: %s: no such file or directory on the disk", name, p);
  ls_line(d, p, type);
  if (type == LFS_TYPE_DIR)
    ls_tree(d, p);
  (void)lfs_unmount(&d->lfs);
  close(d->fd);
  return 0;
}

/* ---- fsck ----------------------------------------------------------------- */

struct check {
  struct disk *d;
  uint8_t *used; /* a bit a block */
  uint64_t blocks, out_of_range;
  uint64_t dirs, files, bytes, no_attr, bad_attr, unreadable;
  uint64_t *inos;
  size_t ninos, cap;
  unsigned problems;
};

__attribute__((format(printf, 2, 3))) static void
problem(struct check *c, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  printf("%s: ", c->d->name);
  vprintf(fmt, ap);
  putchar('\n');
  va_end(ap);
  c->problems++;
}

static int count_block(void *arg, lfs_block_t b) {
  struct check *c = arg;
  if (b >= c->d->cfg.block_count) {
    c->out_of_range++;
    return 0;
  }
  if (!(c->used[b / 8] & (1u << (b % 8)))) {
    c->used[b / 8] |= (uint8_t)(1u << (b % 8));
    c->blocks++;
  }
  return 0;
}

static void check_file(struct check *c, const char *path, uint32_t size) {
  lfs_file_t f;
  struct lfs_file_config fc = {.buffer = c->d->fbuf};
  int r = lfs_file_opencfg(&c->d->lfs, &f, path, LFS_O_RDONLY, &fc);
  if (r < 0) {
    c->unreadable++;
    problem(c, "%s: cannot open: %s", path, lfs_why(r));
    return;
  }
  static uint8_t buf[1 << 16];
  uint64_t got = 0;
  lfs_ssize_t n;
  while ((n = lfs_file_read(&c->d->lfs, &f, buf, sizeof(buf))) > 0)
    got += (uint64_t)n;
  (void)lfs_file_close(&c->d->lfs, &f);
  if (n < 0) {
    c->unreadable++;
    problem(c, "%s: unreadable after %" PRIu64 " bytes: %s", path, got,
            lfs_why((int)n));
  } else if (got != size) {
    problem(c, "%s: %" PRIu64 " bytes read of %" PRIu32, path, got, size);
  }
  c->bytes += got;
}

static void check_ino(struct check *c, const char *path, uint64_t ino) {
  for (size_t i = 0; i < c->ninos; i++)
    if (c->inos[i] == ino) {
      problem(c, "%s: inode number %" PRIu64 " given twice", path, ino);
      return;
    }
  if (c->ninos == c->cap) {
    c->cap = c->cap ? 2 * c->cap : 64;
    c->inos = realloc(c->inos, c->cap * sizeof(*c->inos));
    if (!c->inos)
      fail("out of memory");
  }
  c->inos[c->ninos++] = ino;
}

static void check_entry(struct check *c, const char *path, int type) {
  uint8_t raw[ZRT_LFS_META];
  struct zrt_lfs_meta m;
  lfs_ssize_t r = lfs_getattr(&c->d->lfs, path, ZRT_LFS_ATTR, raw, sizeof(raw));
  if (r == LFS_ERR_NOATTR)
    c->no_attr++;
  else if (r != (lfs_ssize_t)sizeof(raw) || !zrt_lfsdisk_meta_decode(raw, &m) ||
           S_ISDIR(m.mode) != (type == LFS_TYPE_DIR)) {
    c->bad_attr++;
    problem(c, "%s: attributes not znet's (%d bytes)", path, (int)r);
  } else {
    check_ino(c, path, m.ino);
  }
}

static void check_tree(struct check *c, const char *dir) {
  lfs_dir_t h;
  int r = lfs_dir_open(&c->d->lfs, &h, dir);
  if (r < 0) {
    c->unreadable++;
    problem(c, "%s: cannot read the directory: %s", dir, lfs_why(r));
    return;
  }
  c->dirs++;
  struct names ns = {0};
  struct lfs_info info;
  while ((r = lfs_dir_read(&c->d->lfs, &h, &info)) > 0) {
    if (strcmp(info.name, ".") == 0 || strcmp(info.name, "..") == 0)
      continue;
    char p[PATH_MAX_DISK];
    join(p, sizeof(p), dir, info.name);
    check_entry(c, p, info.type);
    if (info.type == LFS_TYPE_REG) {
      c->files++;
      check_file(c, p, info.size);
    } else if (info.type == LFS_TYPE_DIR) {
      if (ns.n == ns.cap) {
        ns.cap = ns.cap ? 2 * ns.cap : 16;
        ns.name = realloc(ns.name, ns.cap * sizeof(*ns.name));
        if (!ns.name)
          fail("out of memory");
      }
      memcpy(ns.name[ns.n++], info.name, sizeof(info.name));
    }
  }
  (void)lfs_dir_close(&c->d->lfs, &h);
  if (r < 0) {
    c->unreadable++;
    problem(c, "%s: the directory's entries end early: %s", dir, lfs_why(r));
  }
  for (size_t i = 0; i < ns.n; i++) {
    char p[PATH_MAX_DISK];
    join(p, sizeof(p), dir, ns.name[i]);
    check_tree(c, p);
  }
  free(ns.name);
}

static int cmd_fsck(struct disk *d, const char *name) {
  disk_open(d, name, false);
  disk_mount(d);
  struct check c = {.d = d};
  struct lfs_fsinfo fi;
  int r = lfs_fs_stat(&d->lfs, &fi);
  if (r < 0)
    fail("%s: %s", name, lfs_why(r));
  c.used = calloc((d->cfg.block_count + 7) / 8, 1);
  if (!c.used)
    fail("out of memory");
  r = lfs_fs_traverse(&d->lfs, count_block, &c);
  if (r < 0)
    problem(&c, "the blocks' walk failed: %s", lfs_why(r));
  if (c.out_of_range)
    problem(&c, "%" PRIu64 " block pointers past the disk's end",
            c.out_of_range);
  check_entry(&c, "/", LFS_TYPE_DIR);
  check_tree(&c, "/");
  printf("%s: littlefs %u.%u, %" PRIu32 " blocks of %u, %" PRIu64
         " in use; %" PRIu64 " directories, %" PRIu64 " files, %" PRIu64
         " bytes; %" PRIu64 " entries without znet's attributes; %s\n",
         name, (unsigned)(fi.disk_version >> 16),
         (unsigned)(fi.disk_version & 0xffff), d->cfg.block_count,
         ZRT_LFS_BLOCK, c.blocks, c.dirs, c.files, c.bytes, c.no_attr,
         c.problems ? "PROBLEMS" : "clean");
  free(c.used);
  free(c.inos);
  (void)lfs_unmount(&d->lfs);
  close(d->fd);
  return c.problems ? 1 : 0;
}

/* ---- the command line ----------------------------------------------------- */

static void usage(void) {
  fputs("usage: znet-disk mkfs [-f] DISK SIZE\n"
        "       znet-disk put [-o UID:GID] DISK SRC [PATH]\n"
        "       znet-disk get DISK PATH DEST\n"
        "       znet-disk ls DISK [PATH]\n"
        "       znet-disk fsck DISK\n",
        stderr);
  exit(2);
}

int main(int argc, char **argv) {
  static struct disk d;
  if (argc < 2)
    usage();
  const char *cmd = argv[1];
  int i = 2;
  bool force = false;
  if (strcmp(cmd, "mkfs") == 0 && i < argc && strcmp(argv[i], "-f") == 0) {
    force = true;
    i++;
  }
  if (strcmp(cmd, "put") == 0 && i + 1 < argc && strcmp(argv[i], "-o") == 0) {
    unsigned u, g;
    char end;
    if (sscanf(argv[i + 1], "%u:%u%c", &u, &g, &end) != 2)
      fail("-o %s: not UID:GID", argv[i + 1]);
    d.have_owner = true;
    d.uid = u;
    d.gid = g;
    i += 2;
  }
  int n = argc - i;
  char **a = argv + i;
  if (strcmp(cmd, "mkfs") == 0 && n == 2)
    return cmd_mkfs(&d, force, a[0], a[1]);
  if (strcmp(cmd, "put") == 0 && (n == 2 || n == 3))
    return cmd_put(&d, a[0], a[1], n == 3 ? a[2] : NULL);
  if (strcmp(cmd, "get") == 0 && n == 3)
    return cmd_get(&d, a[0], a[1], a[2]);
  if (strcmp(cmd, "ls") == 0 && (n == 1 || n == 2))
    return cmd_ls(&d, a[0], n == 2 ? a[1] : NULL);
  if (strcmp(cmd, "fsck") == 0 && n == 1)
    return cmd_fsck(&d, a[0]);
  usage();
}
