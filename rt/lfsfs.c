/*
 * lfsfs: a writable file system on one of the image's block devices
 * (--mount PATH=DEVICE), over littlefs (BSD-3-Clause; its source is not
 * in znet's tree: scripts/littlefs-src).
 *
 * What a cut leaves.  littlefs commits a file's bytes and its
 * attributes together (lfs_file_sync: fsync, fdatasync, close), and
 * every change of a name (create, mkdir, unlink, rmdir, rename) as one
 * commit; a cut at any moment leaves the disk as the last commit left
 * it.  So once fsync returns, the file's bytes and its name survive the
 * image's end and the tender's death: Solo5's block device writes each
 * block with pwrite on the host file, so they sit in the host's page
 * cache (they reach the host's disk when the host writes it back;
 * znet-boot fsyncs the file at a graceful stop).  Without fsync, a cut
 * leaves an earlier committed state of each file, never a mix.
 *
 * littlefs names files by path; the runtime's tree (vfs.c) by vnode.  A
 * node here is a path the tree looked up, kept in a table by path: a
 * call gets its nodes for the whole call (a node nothing holds goes
 * only when the table is over LN_CACHE nodes, and never in the call
 * that last found it: zrt_sys_calls), and an open file, the working
 * directory or a directory below hold theirs.  A node's attributes
 * (mode, owner, times, inode number) are a littlefs attribute of its
 * entry (ZRT_LFS_ATTR, 64 bytes, little-endian), written with the file's
 * bytes at each sync.
 *
 * Every open of a file shares one littlefs handle, the node's, so a
 * write through one descriptor is seen at once through the others; each
 * descriptor keeps its own offset.  A file whose name goes while it is
 * open (unlink, or a rename over it) stays readable until its last
 * close, as on Linux: littlefs detaches the handle, and the handle is
 * then marked dirty, which keeps its blocks from the allocator (littlefs
 * keeps only a dirty or written open file's blocks) until it is closed;
 * what is written to it then is never committed.  Renaming an open file
 * syncs and reopens its handle under the new name.
 *
 * Limits (docs/UNIKERNEL.md): files up to 2 GiB - 1 (EFBIG), names of
 * 255 bytes, no hard links (EPERM, as a file system without them), no
 * symlinks (EPERM), no RENAME_EXCHANGE (EINVAL); a directory is a list,
 * so a lookup or a create in a directory of n entries reads O(n) of its
 * metadata.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "files_int.h"
#include "lfs.h"
#include "lfsdisk.h"
#include "lfsfs.h"
#include "rt.h"

#define LN_CACHE 256u /* nodes kept that nothing holds */
#define LN_HASH 512u  /* buckets of the node table */

struct lnode;

struct lfsfs {
  struct zrt_mount mnt;
  lfs_t lfs;
  struct lfs_config cfg;
  uint64_t dev_handle;
  uint64_t sector; /* the device's block size */
  uint8_t *rbuf, *pbuf, *look;
  struct lnode *hash[LN_HASH];
  struct lnode *lru_head, *lru_tail; /* held by nothing, oldest first */
  size_t idle;
  struct zrt_lfs_inos inos;
  char scratch[ZRT_PATH_MAX];
  struct zrt_lfsfs_stats stats;
};

struct lnode {
  struct zrt_vnode v;
  struct lfsfs *fs;
  struct lnode *hnext;
  struct lnode *lprev, *lnext; /* on the idle list when refs == 0 */
  char *path;                  /* "/" or "/a/b" */
  size_t plen;
  unsigned refs;
  uint64_t epoch; /* zrt_sys_calls when last found */
  bool gone;      /* no name any more */
  struct zrt_lfs_meta meta;
  uint8_t raw[ZRT_LFS_META]; /* meta, as the attribute writes it */
  /* A regular file while open: the one handle. */
  lfs_file_t *file;
  uint8_t *fbuf;
  struct lfs_attr fattr;
  struct lfs_file_config fcfg;
  unsigned opens;
  int werr; /* the last failed write's answer, for fsync's */
  /* A directory being read: littlefs's cursor and its position. */
  lfs_dir_t *dir;
  uint64_t dir_n;
};

static const struct zrt_vnode_ops ln_ops;
const struct zrt_file_ops zrt_lfsfs_file_ops;

static struct lnode *ln(struct zrt_vnode *v) { return (struct lnode *)v; }

static struct timespec now(void) {
  uint64_t ns = zrt_plat_wall();
  return (struct timespec){(time_t)(ns / 1000000000u),
                           (long)(ns % 1000000000u)};
}

/* littlefs's error as Linux's. */
static int lerr(struct lfsfs *fs, int e) {
  switch (e) {
  case LFS_ERR_OK:
    return 0;
  case LFS_ERR_NOENT:
    return -ENOENT;
  case LFS_ERR_EXIST:
    return -EEXIST;
  case LFS_ERR_NOTDIR:
    return -ENOTDIR;
  case LFS_ERR_ISDIR:
    return -EISDIR;
  case LFS_ERR_NOTEMPTY:
    return -ENOTEMPTY;
  case LFS_ERR_BADF:
    return -EBADF;
  case LFS_ERR_FBIG:
    return -EFBIG;
  case LFS_ERR_INVAL:
    return -EINVAL;
  case LFS_ERR_NOSPC:
    return -ENOSPC;
  case LFS_ERR_NOMEM:
    return -ENOMEM;
  case LFS_ERR_NOATTR:
    return -ENODATA;
  case LFS_ERR_NAMETOOLONG:
    return -ENAMETOOLONG;
  case LFS_ERR_CORRUPT:
    fs->stats.corrupt++;
    return -EIO;
  default:
    fs->stats.io_errors++;
    return -EIO;
  }
}

/* ---- the block device ------------------------------------------------- */

static int bd_read(const struct lfs_config *c, lfs_block_t block,
                   lfs_off_t off, void *buf, lfs_size_t size) {
  struct lfsfs *fs = c->context;
  uint64_t at = (uint64_t)block * ZRT_LFS_BLOCK + off;
  for (lfs_size_t done = 0; done < size; done += (lfs_size_t)fs->sector) {
    if (zrt_plat_block_read(fs->dev_handle, at + done, (uint8_t *)buf + done,
                            (size_t)fs->sector) < 0) {
      fs->stats.io_errors++;
      return LFS_ERR_IO;
    }
  }
  fs->stats.reads++;
  return 0;
}

static int bd_prog(const struct lfs_config *c, lfs_block_t block,
                   lfs_off_t off, const void *buf, lfs_size_t size) {
  struct lfsfs *fs = c->context;
  uint64_t at = (uint64_t)block * ZRT_LFS_BLOCK + off;
  for (lfs_size_t done = 0; done < size; done += (lfs_size_t)fs->sector) {
    if (zrt_plat_block_write(fs->dev_handle, at + done,
                             (const uint8_t *)buf + done,
                             (size_t)fs->sector) < 0) {
      fs->stats.io_errors++;
      return LFS_ERR_IO;
    }
  }
  fs->stats.writes++;
  return 0;
}

/* A disk's block needs no erasing before it is written. */
static int bd_erase(const struct lfs_config *c, lfs_block_t block) {
  (void)c;
  (void)block;
  return 0;
}

/* Solo5 has no flush: each write is a pwrite on the host's file. */
static int bd_sync(const struct lfs_config *c) {
  (void)c;
  return 0;
}

/* An inode number for a new node. */
static int ino_next(struct lfsfs *fs, uint64_t *out) {
  return lerr(fs, zrt_lfsdisk_ino_next(&fs->lfs, &fs->inos, out));
}

/* ---- nodes ------------------------------------------------------------- */

static size_t bucket(const char *p, size_t n) {
  return (size_t)(zrt_lfsdisk_ino_of_path(p, n) % LN_HASH);
}

static void idle_remove(struct lnode *n) {
  struct lfsfs *fs = n->fs;
  if (n->lprev)
    n->lprev->lnext = n->lnext;
  else
    fs->lru_head = n->lnext;
  if (n->lnext)
    n->lnext->lprev = n->lprev;
  else
    fs->lru_tail = n->lprev;
  n->lprev = n->lnext = NULL;
  fs->idle--;
}

static void idle_add(struct lnode *n) {
  struct lfsfs *fs = n->fs;
  n->lprev = fs->lru_tail;
  n->lnext = NULL;
  if (fs->lru_tail)
    fs->lru_tail->lnext = n;
  else
    fs->lru_head = n;
  fs->lru_tail = n;
  fs->idle++;
}

static void hash_remove(struct lnode *n) {
  struct lnode **pp = &n->fs->hash[bucket(n->path, n->plen)];
  while (*pp && *pp != n)
    pp = &(*pp)->hnext;
  if (*pp)
    *pp = n->hnext;
  n->hnext = NULL;
}

static void hash_add(struct lnode *n) {
  struct lnode **pp = &n->fs->hash[bucket(n->path, n->plen)];
  n->hnext = *pp;
  *pp = n;
}

static struct lnode *hash_find(struct lfsfs *fs, const char *p, size_t n) {
  for (struct lnode *x = fs->hash[bucket(p, n)]; x; x = x->hnext)
    if (x->plen == n && memcmp(x->path, p, n) == 0)
      return x;
  return NULL;
}

static void node_hold(struct lnode *n) {
  if (n->refs++ == 0 && (n->lprev || n->fs->lru_head == n))
    idle_remove(n);
}

static void dir_close(struct lnode *n) {
  if (!n->dir)
    return;
  (void)lfs_dir_close(&n->fs->lfs, n->dir);
  zrt_kfree(n->dir, sizeof(*n->dir));
  n->dir = NULL;
}

/* n let go (no reference left); its parent, whose reference n held, or
 * NULL. */
static struct lnode *node_release(struct lnode *n) {
  struct lfsfs *fs = n->fs;
  ZN_ASSERT(n->refs == 0 && !n->file);
  if (n->lprev || fs->lru_head == n)
    idle_remove(n);
  if (!n->gone)
    hash_remove(n);
  dir_close(n);
  struct lnode *parent = n->v.parent ? ln(n->v.parent) : NULL;
  zrt_kfree(n->path, n->plen + 1);
  zrt_kfree(n, sizeof(*n));
  return parent;
}

/* A reference to n dropped; a node whose name went is let go at its last
 * one, and so on up its parents (a loop: a path can be deep). */
static void node_drop(struct lnode *n) {
  while (n) {
    ZN_ASSERT(n->refs > 0);
    if (--n->refs > 0)
      return;
    if (!n->gone) {
      idle_add(n);
      return;
    }
    n = node_release(n); /* no name finds it again */
  }
}

static void node_free(struct lnode *n) {
  struct lnode *parent = node_release(n);
  if (parent)
    node_drop(parent);
}

/* Free idle nodes beyond LN_CACHE that no part of this call found. */
static void cache_trim(struct lfsfs *fs) {
  struct lnode *n = fs->lru_head;
  while (fs->idle > LN_CACHE && n) {
    struct lnode *next = n->lnext;
    if (n->epoch != zrt_sys_calls)
      node_free(n);
    n = next;
  }
}

/* A directory's name (for getcwd): its path's last part. */
static void node_name(struct lnode *n) {
  size_t i = n->plen;
  while (i > 0 && n->path[i - 1] != '/')
    i--;
  n->v.name = n->path + i;
  n->v.namelen = n->plen - i;
}

/* The attributes of `path` (len bytes), its own or the defaults for a
 * node littlefs knows (info) without them. */
static void meta_load(struct lfsfs *fs, const char *path, size_t len,
                      const struct lfs_info *info, struct zrt_lfs_meta *m) {
  uint8_t raw[ZRT_LFS_META];
  lfs_ssize_t r = lfs_getattr(&fs->lfs, path, ZRT_LFS_ATTR, raw, sizeof(raw));
  mode_t type = info->type == LFS_TYPE_DIR ? S_IFDIR : S_IFREG;
  if (r == (lfs_ssize_t)sizeof(raw) && zrt_lfsdisk_meta_decode(raw, m) &&
      (m->mode & S_IFMT) == type)
    return;
  zrt_lfsdisk_meta_default(type == S_IFDIR, path, len, m);
}

/* A node for `path` (len bytes, in fs->scratch or elsewhere) that
 * littlefs knows as info, in directory `parent` (NULL for the root):
 * the table's, or a new one. */
static int node_get(struct lfsfs *fs, struct lnode *parent, const char *path,
                    size_t len, const struct lfs_info *info,
                    struct lnode **out) {
  struct lnode *n = hash_find(fs, path, len);
  if (n) {
    n->epoch = zrt_sys_calls;
    *out = n;
    return 0;
  }
  cache_trim(fs);
  n = zrt_kalloc(sizeof(*n));
  char *p = n ? zrt_kalloc(len + 1) : NULL;
  if (!p) {
    if (n)
      zrt_kfree(n, sizeof(*n));
    return -ENOMEM;
  }
  memset(n, 0, sizeof(*n));
  memcpy(p, path, len);
  p[len] = '\0';
  n->fs = fs;
  n->path = p;
  n->plen = len;
  n->epoch = zrt_sys_calls;
  meta_load(fs, p, len, info, &n->meta);
  n->v.ops = &ln_ops;
  n->v.mnt = &fs->mnt;
  n->v.mode = n->meta.mode;
  if (parent && S_ISDIR(n->v.mode)) {
    node_hold(parent); /* for getcwd's walk up */
    n->v.parent = &parent->v;
    node_name(n);
  }
  hash_add(n);
  idle_add(n);
  *out = n;
  return 0;
}

/* dir's path and "/name" into fs->scratch: its length, or -ENAMETOOLONG. */
static long child_path(struct lnode *dir, const char *name, size_t len) {
  struct lfsfs *fs = dir->fs;
  size_t base = dir->plen == 1 ? 0 : dir->plen; /* the root is "/" */
  if (base + 1 + len + 1 > sizeof(fs->scratch))
    return -ENAMETOOLONG;
  memmove(fs->scratch, dir->path, base);
  fs->scratch[base] = '/';
  memcpy(fs->scratch + base + 1, name, len);
  fs->scratch[base + 1 + len] = '\0';
  return (long)(base + 1 + len);
}

/* Write the node's attributes to its entry now. */
static int meta_store(struct lnode *n) {
  zrt_lfsdisk_meta_encode(&n->meta, n->raw);
  if (n->gone)
    return 0;
  int r = lfs_setattr(&n->fs->lfs, n->path, ZRT_LFS_ATTR, n->raw, ZRT_LFS_META);
  return lerr(n->fs, r);
}

/* ---- open files --------------------------------------------------------- */

static int handle_open(struct lnode *n) {
  struct lfsfs *fs = n->fs;
  n->file = zrt_kalloc(sizeof(*n->file));
  n->fbuf = n->file ? zrt_kalloc(fs->cfg.cache_size) : NULL;
  if (!n->fbuf) {
    if (n->file)
      zrt_kfree(n->file, sizeof(*n->file));
    n->file = NULL;
    return -ENOMEM;
  }
  zrt_lfsdisk_meta_encode(&n->meta, n->raw);
  n->fattr = (struct lfs_attr){.type = ZRT_LFS_ATTR, .buffer = n->raw,
                               .size = ZRT_LFS_META};
  /* No attribute at open: littlefs would mark the handle dirty and
   * commit at every close, a read's too.  The first change sets it
   * (node_changed): littlefs reads the count at each sync. */
  n->fcfg = (struct lfs_file_config){.buffer = n->fbuf, .attrs = &n->fattr,
                                     .attr_count = 0};
  int r = lfs_file_opencfg(&fs->lfs, n->file, n->path, LFS_O_RDWR, &n->fcfg);
  if (r < 0) {
    zrt_kfree(n->fbuf, fs->cfg.cache_size);
    zrt_kfree(n->file, sizeof(*n->file));
    n->file = NULL;
    n->fbuf = NULL;
    return lerr(fs, r);
  }
  return 0;
}

/* The open file's bytes changed: its times too, written with them at
 * the next sync. */
static void node_changed(struct lnode *n) {
  n->meta.mtime = n->meta.ctime = now();
  zrt_lfsdisk_meta_encode(&n->meta, n->raw);
  n->fcfg.attr_count = 1;
}

/* Close the handle: its bytes and attributes committed (unless gone). */
static int handle_close(struct lnode *n) {
  struct lfsfs *fs = n->fs;
  zrt_lfsdisk_meta_encode(&n->meta, n->raw);
  int r = lfs_file_close(&fs->lfs, n->file);
  zrt_kfree(n->fbuf, fs->cfg.cache_size);
  zrt_kfree(n->file, sizeof(*n->file));
  n->file = NULL;
  n->fbuf = NULL;
  return lerr(fs, r);
}

/* The node lost its name while open: keep its blocks from the
 * allocator until the last close (littlefs reserves a dirty handle's
 * blocks, and commits no detached handle). */
static void handle_detach(struct lnode *n) {
  if (n->file)
    n->file->flags |= LFS_F_DIRTY;
}

/* The node's name is gone (unlinked, replaced): out of the table; a
 * directory is nobody's child any more (getcwd: not reachable). */
static void node_gone(struct lnode *n) {
  if (n->gone)
    return;
  hash_remove(n);
  n->gone = true;
  handle_detach(n);
  dir_close(n);
  if (n->v.parent) {
    struct lnode *p = ln(n->v.parent);
    n->v.parent = NULL;
    n->v.name = NULL;
    n->v.namelen = 0;
    node_drop(p);
  }
  if (n->refs == 0)
    node_free(n);
}

/* ---- vnode ops ---------------------------------------------------------- */

static int l_lookup(struct zrt_vnode *dv, const char *name, size_t len,
                    struct zrt_vnode **out) {
  struct lnode *dir = ln(dv);
  if (dir->gone)
    return -ENOENT;
  long plen = child_path(dir, name, len);
  if (plen < 0)
    return (int)plen;
  struct lfsfs *fs = dir->fs;
  struct lnode *n = hash_find(fs, fs->scratch, (size_t)plen);
  if (n) {
    n->epoch = zrt_sys_calls;
    *out = &n->v;
    return 0;
  }
  struct lfs_info info;
  int r = lfs_stat(&fs->lfs, fs->scratch, &info);
  if (r < 0)
    return lerr(fs, r);
  r = node_get(fs, dir, fs->scratch, (size_t)plen, &info, &n);
  if (r == 0)
    *out = &n->v;
  return r;
}

/* Entry n of the directory, skipping littlefs's "." and "..". */
static int l_readdir(struct zrt_vnode *dv, uint64_t n, struct zrt_dirent *out) {
  struct lnode *d = ln(dv);
  struct lfsfs *fs = d->fs;
  if (d->gone)
    return -ENOENT;
  if (!d->dir || d->dir_n > n) {
    dir_close(d);
    d->dir = zrt_kalloc(sizeof(*d->dir));
    if (!d->dir)
      return -ENOMEM;
    int r = lfs_dir_open(&fs->lfs, d->dir, d->path);
    if (r < 0) {
      zrt_kfree(d->dir, sizeof(*d->dir));
      d->dir = NULL;
      return lerr(fs, r);
    }
    d->dir_n = 0;
  }
  static struct lfs_info info; /* one thread at a time */
  for (;;) {
    int r = lfs_dir_read(&fs->lfs, d->dir, &info);
    if (r < 0)
      return lerr(fs, r);
    if (r == 0)
      return -ENOENT;
    if (strcmp(info.name, ".") == 0 || strcmp(info.name, "..") == 0)
      continue;
    /* A name no path can reach (a damaged or hostile disk's): not
     * listed, counted. */
    if (strchr(info.name, '/')) {
      fs->stats.corrupt++;
      continue;
    }
    if (d->dir_n++ == n)
      break;
  }
  size_t len = strlen(info.name);
  long plen = child_path(d, info.name, len);
  if (plen < 0)
    return (int)plen;
  struct zrt_lfs_meta m;
  struct lnode *c = hash_find(fs, fs->scratch, (size_t)plen);
  if (c)
    m = c->meta;
  else
    meta_load(fs, fs->scratch, (size_t)plen, &info, &m);
  *out = (struct zrt_dirent){info.name, len, m.ino,
                             (unsigned char)((m.mode & S_IFMT) >> 12)};
  return 0;
}

static uint64_t node_size(struct lnode *n) {
  if (n->file) {
    lfs_soff_t s = lfs_file_size(&n->fs->lfs, n->file);
    return s < 0 ? 0 : (uint64_t)s;
  }
  struct lfs_info info;
  if (n->gone || lfs_stat(&n->fs->lfs, n->path, &info) < 0)
    return 0;
  return info.type == LFS_TYPE_REG ? info.size : 0;
}

static void l_getattr(struct zrt_vnode *v, struct stat *st) {
  struct lnode *n = ln(v);
  memset(st, 0, sizeof(*st));
  st->st_dev = v->mnt->dev;
  st->st_ino = (ino_t)n->meta.ino;
  st->st_mode = n->meta.mode;
  st->st_nlink = n->gone ? 0 : S_ISDIR(n->meta.mode) ? 2 : 1;
  st->st_uid = n->meta.uid;
  st->st_gid = n->meta.gid;
  if (S_ISREG(n->meta.mode)) {
    uint64_t size = node_size(n);
    st->st_size = (off_t)size;
    st->st_blocks = (blkcnt_t)((size + ZRT_LFS_BLOCK - 1) / ZRT_LFS_BLOCK * 8);
  } else {
    st->st_size = ZRT_LFS_BLOCK;
    st->st_blocks = 8;
  }
  st->st_blksize = ZRT_LFS_BLOCK;
  st->st_atim = n->meta.atime;
  st->st_mtim = n->meta.mtime;
  st->st_ctim = n->meta.ctime;
}

/* NOLINTNEXTLINE(readability-non-const-parameter): zrt_vnode_ops' type */
static int l_readlink(struct zrt_vnode *v, const char **text, size_t *len) {
  (void)v;
  (void)text;
  (void)len;
  return -EINVAL; /* no symlinks here */
}

static int l_open(struct zrt_vnode *v, int flags, struct zrt_file **out) {
  struct lnode *n = ln(v);
  if (!S_ISREG(n->meta.mode))
    return -ENXIO;
  if (n->gone)
    return -ENOENT;
  if (!n->file) {
    int r = handle_open(n);
    if (r < 0)
      return r;
  }
  *out = zrt_file_new(&zrt_lfsfs_file_ops, flags, v);
  if (!*out) {
    if (n->opens == 0)
      (void)handle_close(n);
    return -ENOMEM;
  }
  n->opens++;
  node_hold(n);
  return 0;
}

static void meta_new(struct lfsfs *fs, struct zrt_lfs_meta *m, mode_t mode) {
  memset(m, 0, sizeof(*m));
  m->mode = (uint32_t)mode;
  m->atime = m->mtime = m->ctime = now();
  (void)fs;
}

static int l_create(struct zrt_vnode *dv, const char *name, size_t len,
                    mode_t mode, struct zrt_vnode **out) {
  struct lnode *dir = ln(dv);
  struct lfsfs *fs = dir->fs;
  if (dir->gone)
    return -ENOENT;
  long plen = child_path(dir, name, len);
  if (plen < 0)
    return (int)plen;
  struct zrt_lfs_meta m;
  meta_new(fs, &m, S_IFREG | (mode & 07777));
  int r = ino_next(fs, &m.ino);
  if (r < 0)
    return r;
  /* The entry and its attributes in one commit (the close). */
  uint8_t raw[ZRT_LFS_META];
  zrt_lfsdisk_meta_encode(&m, raw);
  struct lfs_attr a = {.type = ZRT_LFS_ATTR, .buffer = raw, .size = ZRT_LFS_META};
  static lfs_file_t f; /* one thread at a time */
  uint8_t *buf = zrt_kalloc(fs->cfg.cache_size);
  if (!buf)
    return -ENOMEM;
  struct lfs_file_config c = {.buffer = buf, .attrs = &a, .attr_count = 1};
  r = lfs_file_opencfg(&fs->lfs, &f, fs->scratch,
                       LFS_O_RDWR | LFS_O_CREAT | LFS_O_EXCL, &c);
  if (r == 0)
    r = lfs_file_close(&fs->lfs, &f);
  zrt_kfree(buf, fs->cfg.cache_size);
  if (r < 0)
    return lerr(fs, r);
  dir->meta.mtime = dir->meta.ctime = m.ctime;
  struct lfs_info info = {.type = LFS_TYPE_REG};
  struct lnode *n;
  r = node_get(fs, dir, fs->scratch, (size_t)plen, &info, &n);
  if (r == 0)
    *out = &n->v;
  return r;
}

static int l_mkdir(struct zrt_vnode *dv, const char *name, size_t len,
                   mode_t mode) {
  struct lnode *dir = ln(dv);
  struct lfsfs *fs = dir->fs;
  if (dir->gone)
    return -ENOENT;
  long plen = child_path(dir, name, len);
  if (plen < 0)
    return (int)plen;
  struct zrt_lfs_meta m;
  meta_new(fs, &m, S_IFDIR | (mode & 07777));
  int r = ino_next(fs, &m.ino);
  if (r < 0)
    return r;
  r = lfs_mkdir(&fs->lfs, fs->scratch);
  if (r < 0)
    return lerr(fs, r);
  /* A cut between the two commits leaves the directory with the
   * defaults (0755, root's), never without its name. */
  uint8_t raw[ZRT_LFS_META];
  zrt_lfsdisk_meta_encode(&m, raw);
  (void)lfs_setattr(&fs->lfs, fs->scratch, ZRT_LFS_ATTR, raw, ZRT_LFS_META);
  dir->meta.mtime = dir->meta.ctime = m.ctime;
  return 0;
}

static int l_symlink(struct zrt_vnode *dir, const char *name, size_t len,
                     const char *target, size_t tlen) {
  (void)dir;
  (void)name;
  (void)len;
  (void)target;
  (void)tlen;
  return -EPERM; /* as a file system without them (vfat) */
}

static int l_link(struct zrt_vnode *dir, const char *name, size_t len,
                  struct zrt_vnode *v) {
  (void)dir;
  (void)name;
  (void)len;
  (void)v;
  return -EPERM;
}

static int remove_entry(struct lnode *dir, const char *name, size_t len,
                        struct lnode *n) {
  struct lfsfs *fs = dir->fs;
  long plen = child_path(dir, name, len);
  if (plen < 0)
    return (int)plen;
  if (n->file) {
    /* Commit nothing more under the name that goes. */
    (void)lfs_file_sync(&fs->lfs, n->file);
  }
  dir_close(n);
  int r = lfs_remove(&fs->lfs, fs->scratch);
  if (r < 0)
    return lerr(fs, r);
  dir->meta.mtime = dir->meta.ctime = now();
  node_gone(n);
  return 0;
}

static int l_unlink(struct zrt_vnode *dir, const char *name, size_t len,
                    struct zrt_vnode *v) {
  return remove_entry(ln(dir), name, len, ln(v));
}

static int l_rmdir(struct zrt_vnode *dir, const char *name, size_t len,
                   struct zrt_vnode *v) {
  return remove_entry(ln(dir), name, len, ln(v));
}

/* Is `a` the path `b` or a directory above it? */
static bool path_under(const char *a, size_t an, const char *b, size_t bn) {
  if (an == 1)
    return true; /* the root */
  return bn >= an && memcmp(a, b, an) == 0 && (bn == an || b[an] == '/');
}

/* The nodes at or under `from` (flen bytes) are now under `to`. */
static int rename_paths(struct lfsfs *fs, const char *from, size_t flen,
                        const char *to, size_t tlen) {
  for (size_t b = 0; b < LN_HASH; b++) {
    struct lnode **pp = &fs->hash[b];
    while (*pp) {
      struct lnode *n = *pp;
      if (!path_under(from, flen, n->path, n->plen)) {
        pp = &n->hnext;
        continue;
      }
      size_t len = tlen + (n->plen - flen);
      char *p = zrt_kalloc(len + 1);
      if (!p)
        return -ENOMEM;
      memcpy(p, to, tlen);
      memcpy(p + tlen, n->path + flen, n->plen - flen + 1);
      *pp = n->hnext; /* rehashed below */
      zrt_kfree(n->path, n->plen + 1);
      n->path = p;
      n->plen = len;
      if (n->v.name)
        node_name(n);
      n->hnext = fs->hash[bucket(p, len)];
      fs->hash[bucket(p, len)] = n;
    }
  }
  return 0;
}

static int l_rename(struct zrt_vnode *odv, const char *oname, size_t olen,
                    struct zrt_vnode *ndv, const char *nname, size_t nlen,
                    unsigned flags) {
  struct lnode *od = ln(odv), *nd = ln(ndv);
  struct lfsfs *fs = od->fs;
  if (flags & (ZRT_RENAME_EXCHANGE | ZRT_RENAME_WHITEOUT))
    return -EINVAL;
  static char from[ZRT_PATH_MAX]; /* one thread at a time */
  long flen = child_path(od, oname, olen);
  if (flen < 0)
    return (int)flen;
  memcpy(from, fs->scratch, (size_t)flen + 1);
  long tlen = child_path(nd, nname, nlen);
  if (tlen < 0)
    return (int)tlen;
  struct lfs_info si, di;
  int r = lfs_stat(&fs->lfs, from, &si);
  if (r < 0)
    return lerr(fs, r);
  bool exists = lfs_stat(&fs->lfs, fs->scratch, &di) == 0;
  if (exists && (flags & ZRT_RENAME_NOREPLACE))
    return -EEXIST;
  if (flen == tlen && memcmp(from, fs->scratch, (size_t)flen) == 0)
    return 0;
  if (si.type == LFS_TYPE_DIR &&
      path_under(from, (size_t)flen, fs->scratch, (size_t)tlen))
    return -EINVAL; /* into itself */
  if (exists) {
    if (si.type == LFS_TYPE_DIR && di.type != LFS_TYPE_DIR)
      return -ENOTDIR;
    if (si.type != LFS_TYPE_DIR && di.type == LFS_TYPE_DIR)
      return -EISDIR;
  }
  struct lnode *src = hash_find(fs, from, (size_t)flen);
  struct lnode *dst = exists ? hash_find(fs, fs->scratch, (size_t)tlen) : NULL;
  /* An open source: its bytes committed under the old name, its handle
   * reopened under the new one. */
  bool reopen = src && src->file;
  if (reopen) {
    r = handle_close(src);
    if (r < 0)
      return r;
  }
  static char to[ZRT_PATH_MAX];
  memcpy(to, fs->scratch, (size_t)tlen + 1);
  r = lfs_rename(&fs->lfs, from, to);
  if (r < 0) {
    if (reopen)
      (void)handle_open(src);
    return lerr(fs, r);
  }
  od->meta.mtime = od->meta.ctime = nd->meta.mtime = nd->meta.ctime = now();
  if (dst)
    node_gone(dst);
  int rr = rename_paths(fs, from, (size_t)flen, to, (size_t)tlen);
  if (src && src->v.parent != &nd->v && S_ISDIR(src->meta.mode)) {
    node_hold(nd);
    node_drop(ln(src->v.parent));
    src->v.parent = &nd->v;
  }
  if (reopen) {
    r = handle_open(src);
    if (r < 0)
      zrt_log("lfsfs: %s renamed but not reopened (%d): its reads fail", to,
              r);
  }
  return rr;
}

static int file_truncate(struct lnode *n, uint64_t len);

static int l_setattr(struct zrt_vnode *v, const struct zrt_setattr *a) {
  struct lnode *n = ln(v);
  if (a->mask & ZRT_SET_SIZE) {
    if (!S_ISREG(n->meta.mode))
      return S_ISDIR(n->meta.mode) ? -EISDIR : -EINVAL;
    int r = file_truncate(n, (uint64_t)a->size);
    if (r < 0)
      return r;
  }
  if (a->mask & ZRT_SET_MODE)
    n->meta.mode = (n->meta.mode & S_IFMT) | (a->mode & 07777);
  if (a->mask & ZRT_SET_UID)
    n->meta.uid = a->uid;
  if (a->mask & ZRT_SET_GID)
    n->meta.gid = a->gid;
  if (a->mask & ZRT_SET_ATIME)
    n->meta.atime = a->atime;
  if (a->mask & ZRT_SET_MTIME)
    n->meta.mtime = a->mtime;
  n->meta.ctime = now();
  n->v.mode = n->meta.mode;
  return meta_store(n);
}

static void l_hold(struct zrt_vnode *v) { node_hold(ln(v)); }

static void l_drop(struct zrt_vnode *v) { node_drop(ln(v)); }

static const struct zrt_vnode_ops ln_ops = {
    .lookup = l_lookup,
    .readdir = l_readdir,
    .getattr = l_getattr,
    .readlink = l_readlink,
    .open = l_open,
    .create = l_create,
    .mkdir = l_mkdir,
    .symlink = l_symlink,
    .link = l_link,
    .unlink = l_unlink,
    .rmdir = l_rmdir,
    .rename = l_rename,
    .setattr = l_setattr,
    .hold = l_hold,
    .drop = l_drop,
};

/* ---- file ops ----------------------------------------------------------- */

static int file_truncate(struct lnode *n, uint64_t len) {
  struct lfsfs *fs = n->fs;
  if (len > LFS_FILE_MAX)
    return -EFBIG;
  bool opened = !n->file;
  if (opened) {
    int r = handle_open(n);
    if (r < 0)
      return r;
  }
  int r = lerr(fs, lfs_file_truncate(&fs->lfs, n->file, (lfs_off_t)len));
  node_changed(n);
  if (r == 0)
    zrt_shmap_truncated(&n->v, len);
  if (opened) {
    int c = handle_close(n);
    if (r == 0)
      r = c;
  }
  return r;
}

static ssize_t file_pread(struct lnode *n, void *buf, size_t len,
                          uint64_t off) {
  struct lfsfs *fs = n->fs;
  if (off >= LFS_FILE_MAX)
    return 0;
  lfs_soff_t s = lfs_file_seek(&fs->lfs, n->file, (lfs_soff_t)off,
                               LFS_SEEK_SET);
  if (s < 0)
    return lerr(fs, (int)s);
  if (len > LFS_FILE_MAX)
    len = LFS_FILE_MAX;
  lfs_ssize_t r = lfs_file_read(&fs->lfs, n->file, buf, (lfs_size_t)len);
  if (r < 0)
    return lerr(fs, (int)r);
  zrt_shmap_overlay(&n->v, off, buf, (size_t)r);
  return (ssize_t)r;
}

static ssize_t file_pwrite(struct lnode *n, const void *buf, size_t len,
                           uint64_t off) {
  struct lfsfs *fs = n->fs;
  if (len == 0)
    return 0;
  if (off >= LFS_FILE_MAX)
    return -EFBIG;
  if (len > LFS_FILE_MAX - off)
    len = (size_t)(LFS_FILE_MAX - off);
  lfs_soff_t s = lfs_file_seek(&fs->lfs, n->file, (lfs_soff_t)off,
                               LFS_SEEK_SET);
  if (s < 0)
    return lerr(fs, (int)s);
  lfs_ssize_t r = lfs_file_write(&fs->lfs, n->file, buf, (lfs_size_t)len);
  if (r < 0)
    return n->werr = lerr(fs, (int)r);
  node_changed(n);
  zrt_shmap_written(&n->v, off, buf, (size_t)r);
  return (ssize_t)r;
}

static ssize_t lf_pread(struct zrt_file *f, void *buf, size_t n, off_t off) {
  return file_pread(f->priv, buf, n, (uint64_t)off);
}

static ssize_t lf_read(struct zrt_file *f, void *buf, size_t n) {
  ssize_t r = file_pread(f->priv, buf, n, (uint64_t)f->pos);
  if (r > 0)
    f->pos += r;
  return r;
}

static ssize_t lf_write(struct zrt_file *f, const void *buf, size_t n) {
  struct lnode *m = f->priv;
  if (f->flags & O_APPEND)
    f->pos = (off_t)node_size(m);
  ssize_t r = file_pwrite(m, buf, n, (uint64_t)f->pos);
  if (r > 0)
    f->pos += r;
  return r;
}

/* Linux's pwrite on an O_APPEND file appends, whatever the offset. */
static ssize_t lf_pwrite(struct zrt_file *f, const void *buf, size_t n,
                         off_t off) {
  struct lnode *m = f->priv;
  return file_pwrite(m, buf, n,
                     (f->flags & O_APPEND) ? node_size(m) : (uint64_t)off);
}

static off_t lf_lseek(struct zrt_file *f, off_t off, int whence) {
  return zrt_file_lseek_sized(f, off, whence, node_size(f->priv));
}

static int lf_fstat(struct zrt_file *f, struct stat *st) {
  struct lnode *m = f->priv;
  l_getattr(&m->v, st);
  return 0;
}

static int lf_ftruncate(struct zrt_file *f, off_t len) {
  return file_truncate(f->priv, (uint64_t)len);
}

static int lf_fsync(struct zrt_file *f) {
  struct lnode *n = f->priv;
  if (n->gone)
    return 0; /* nothing of it is kept */
  /* littlefs's sync of a handle a write failed on answers 0 and commits
   * nothing: the failure is fsync's answer, as Linux gives it. */
  if (n->file->flags & LFS_F_ERRED)
    return n->werr ? n->werr : -EIO;
  zrt_lfsdisk_meta_encode(&n->meta, n->raw);
  return lerr(n->fs, lfs_file_sync(&n->fs->lfs, n->file));
}

static void lf_release(struct zrt_file *f) {
  struct lnode *n = f->priv;
  ZN_ASSERT(n->opens > 0);
  if (--n->opens == 0) {
    int r = handle_close(n);
    if (r < 0)
      zrt_log("lfsfs: %s: close failed (%d): its last writes may be lost",
              n->path, r);
  }
  node_drop(n);
}

const struct zrt_file_ops zrt_lfsfs_file_ops = {
    .vnode_priv = true,
    .name = "lfsfs",
    .read = lf_read,
    .write = lf_write,
    .pread = lf_pread,
    .pwrite = lf_pwrite,
    .lseek = lf_lseek,
    .fstat = lf_fstat,
    .ftruncate = lf_ftruncate,
    .fsync = lf_fsync,
    .release = lf_release,
};

/* ---- the mount ------------------------------------------------------------ */

static void lfsfs_statfs(struct zrt_mount *m, struct zrt_statfs *sf) {
  struct lfsfs *fs = m->ctx;
  lfs_ssize_t used = lfs_fs_size(&fs->lfs);
  uint64_t total = fs->cfg.block_count;
  uint64_t u = used < 0 ? total : (uint64_t)used;
  sf->f_bsize = ZRT_LFS_BLOCK;
  sf->f_frsize = ZRT_LFS_BLOCK;
  sf->f_blocks = total;
  sf->f_bfree = u < total ? total - u : 0;
  sf->f_bavail = sf->f_bfree;
  sf->f_files = sf->f_bfree;
  sf->f_ffree = sf->f_bfree;
  sf->f_namelen = LFS_NAME_MAX;
}

/* Every open file of the mount committed (sync, syncfs). */
static int lfsfs_sync(struct zrt_mount *m) {
  struct lfsfs *fs = m->ctx;
  int first = 0;
  for (size_t b = 0; b < LN_HASH; b++)
    for (struct lnode *n = fs->hash[b]; n; n = n->hnext)
      if (n->file) {
        zrt_lfsdisk_meta_encode(&n->meta, n->raw);
        int r = lerr(fs, lfs_file_sync(&fs->lfs, n->file));
        if (r < 0 && first == 0)
          first = r;
      }
  return first;
}

/* Is the device blank where littlefs keeps its superblocks (its first
 * two blocks all zero)?  Only such a disk is formatted at mount. */
static bool disk_blank(struct lfsfs *fs) {
  uint8_t *b = fs->rbuf;
  for (uint64_t off = 0; off < (uint64_t)2 * ZRT_LFS_BLOCK;
       off += fs->sector) {
    if (zrt_plat_block_read(fs->dev_handle, off, b, (size_t)fs->sector) < 0)
      return false;
    if (!zrt_lfsdisk_zero(b, (size_t)fs->sector))
      return false;
  }
  return true;
}

/* Does block 0 or 1 name a littlefs superblock? */
static bool disk_says_littlefs(struct lfsfs *fs) {
  for (uint64_t b = 0; b < 2; b++)
    if (zrt_plat_block_read(fs->dev_handle, b * ZRT_LFS_BLOCK, fs->rbuf,
                            (size_t)fs->sector) == 0 &&
        zrt_lfsdisk_superblock_named(fs->rbuf, (size_t)fs->sector))
      return true;
  return false;
}

/* The size the disk's file system was made for, in blocks, as its
 * superblock says (a mount that takes the size from it); 0 if that
 * mount fails too. */
static lfs_size_t disk_made_blocks(struct lfsfs *fs) {
  struct lfs_config cfg = fs->cfg;
  cfg.block_count = 0;
  struct lfs_fsinfo info;
  if (lfs_mount(&fs->lfs, &cfg) < 0)
    return 0;
  lfs_size_t n = lfs_fs_stat(&fs->lfs, &info) == 0 ? info.block_count : 0;
  (void)lfs_unmount(&fs->lfs);
  return n;
}

/* A disk that littlefs did not mount (error r): the line that says why,
 * as far as the disk tells. */
static void say_unmountable(struct lfsfs *fs, const char *device, int r) {
  if (!disk_says_littlefs(fs)) {
    zrt_log("lfsfs: %s holds no file system this runtime reads (not "
            "littlefs: another file system's, or none); make one with "
            "znet-disk mkfs, or give a blank disk",
            device);
    return;
  }
  lfs_size_t made = disk_made_blocks(fs);
  if (made && made != fs->cfg.block_count) {
    zrt_log("lfsfs: %s: its file system was made for %llu KiB, the device "
            "has %llu KiB (cut short or grown since): not mounted",
            device, (unsigned long long)made * (ZRT_LFS_BLOCK / 1024),
            (unsigned long long)fs->cfg.block_count * (ZRT_LFS_BLOCK / 1024));
    return;
  }
  zrt_log("lfsfs: %s: a littlefs file system that does not mount (littlefs "
          "error %d: damaged, or cut short); znet-disk fsck on the host "
          "says more",
          device, r);
}

/* littlefs's configuration for the device: lfsdisk's geometry, the
 * device's calls, the mount's buffers. */
static void lfsfs_config(struct lfsfs *fs) {
  fs->cfg.context = fs;
  fs->cfg.read = bd_read;
  fs->cfg.prog = bd_prog;
  fs->cfg.erase = bd_erase;
  fs->cfg.sync = bd_sync;
  fs->cfg.read_buffer = fs->rbuf;
  fs->cfg.prog_buffer = fs->pbuf;
  fs->cfg.lookahead_buffer = fs->look;
}

static int lfsfs_root(struct lfsfs *fs) {
  zrt_lfsdisk_inos_load(&fs->lfs, &fs->inos);
  struct lfs_info info = {.type = LFS_TYPE_DIR};
  struct lnode *root;
  int e = node_get(fs, NULL, "/", 1, &info, &root);
  if (e < 0)
    return e;
  node_hold(root); /* the mount's, for good */
  fs->mnt.root = &root->v;
  return 0;
}

static void lfsfs_free(struct lfsfs *fs) {
  zrt_kfree(fs->rbuf, ZRT_LFS_BLOCK);
  zrt_kfree(fs->pbuf, ZRT_LFS_BLOCK);
  zrt_kfree(fs->look, ZRT_LFS_LOOKAHEAD_MAX);
  zrt_kfree(fs, sizeof(*fs));
}

int zrt_lfsfs_mount(const char *device, struct zrt_mount **out) {
  uint64_t handle, capacity, bsize;
  int r = zrt_plat_block_open(device, &handle, &capacity, &bsize);
  if (r < 0) {
    zrt_log("lfsfs: no block device %s", device);
    return r;
  }
  struct lfs_config geo = {0};
  if (!zrt_lfsdisk_geometry(&geo, bsize, capacity)) {
    zrt_log("lfsfs: %s: %llu bytes in blocks of %llu: too small for a "
            "file system (64 KiB at least, in blocks dividing 4096)",
            device, (unsigned long long)capacity, (unsigned long long)bsize);
    return -EINVAL;
  }
  struct lfsfs *fs = zrt_kalloc(sizeof(*fs));
  if (!fs)
    return -ENOMEM;
  memset(fs, 0, sizeof(*fs));
  fs->rbuf = zrt_kalloc(ZRT_LFS_BLOCK);
  fs->pbuf = zrt_kalloc(ZRT_LFS_BLOCK);
  fs->look = zrt_kalloc(ZRT_LFS_LOOKAHEAD_MAX);
  if (!fs->rbuf || !fs->pbuf || !fs->look) {
    lfsfs_free(fs);
    return -ENOMEM;
  }
  fs->dev_handle = handle;
  fs->sector = bsize;
  fs->cfg = geo;
  lfsfs_config(fs);
  r = lfs_mount(&fs->lfs, &fs->cfg);
  if (r < 0 && disk_blank(fs)) {
    zrt_log("lfsfs: %s is blank: formatting it (%llu KiB)", device,
            (unsigned long long)(capacity / 1024));
    r = lfs_format(&fs->lfs, &fs->cfg);
    if (r == 0)
      r = lfs_mount(&fs->lfs, &fs->cfg);
  }
  if (r < 0) {
    say_unmountable(fs, device, r);
    lfsfs_free(fs);
    return -EINVAL;
  }
  fs->mnt.ctx = fs;
  fs->mnt.magic = ZRT_LFS_MAGIC;
  fs->mnt.statfs = lfsfs_statfs;
  fs->mnt.sync = lfsfs_sync;
  fs->mnt.dev = zrt_vfs_next_dev();
  r = lfsfs_root(fs);
  if (r < 0) {
    (void)lfs_unmount(&fs->lfs);
    lfsfs_free(fs);
    return r;
  }
  *out = &fs->mnt;
  return 0;
}

void zrt_lfsfs_stats(const struct zrt_mount *m, struct zrt_lfsfs_stats *out) {
  const struct lfsfs *fs = m->ctx;
  *out = fs->stats;
}
