/*
 * Paths: the mounts, resolution, and the calls that take a path.
 *
 * The tree: tarfs at / (read-only), memfs at /tmp and at the paths the
 * configuration names, devfs at /dev, a small proc at /proc.  A mount
 * covers a directory of the tree under it (made at boot if the archive
 * has none); looking a name up gives the root of a mount that covers
 * what was found, and ".." at a mount's root goes to the covered
 * directory's parent; ".." at / stays at / (nothing is above the root, so
 * no path, symlink or hard link of the archive can name a file outside
 * it, as in a chroot).
 *
 * Resolution (walk) goes a component at a time over a copy of the path.
 * A symlink met in the middle, or at the end when it is followed, is
 * replaced by its text in the copy (an absolute one restarts at /), at
 * most MAX_HOPS times (-ELOOP).  What it answers is the directory of the
 * last component, that component's name, and the node it names or none,
 * so that open(O_CREAT), mkdir, unlink and rename all start from one
 * answer and check in Linux's order (EEXIST before EROFS, ...).
 *
 * The process is the image's one user and may do anything but write on
 * a read-only mount: no permission bit is checked but x for access(X_OK).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "files_int.h"
#include "mem.h"
#include "rt.h"
#include "sys_gen.h"

#define MOUNT_MAX 16
#define MAX_HOPS 40
#define UTIME_NOW_LX ((1l << 30) - 1l)
#define UTIME_OMIT_LX ((1l << 30) - 2l)

static struct zrt_mount *mounts[MOUNT_MAX];
static unsigned nmounts;
static struct zrt_vnode *root;
static struct zrt_vnode *cwd;
static mode_t cur_umask = 022;
static unsigned next_dev = 0x20;


int zrt_vfs_add_mount(struct zrt_mount *m) {
  if (nmounts == MOUNT_MAX)
    return -ENOMEM;
  mounts[nmounts++] = m;
  return 0;
}

dev_t zrt_vfs_next_dev(void) {
  unsigned minor = next_dev++;
  return makedev(0, minor);
}

mode_t zrt_vfs_umask(void) { return cur_umask; }

static void hold(struct zrt_vnode *v) {
  if (v->ops->hold)
    v->ops->hold(v);
}

static void drop(struct zrt_vnode *v) {
  if (v->ops->drop)
    v->ops->drop(v);
}

/* ---- directories and O_PATH as open files ---------------------------------- */

static bool removed(const struct zrt_vnode *v) {
  return !v->parent && v->mnt->root != v;
}

static uint64_t ino_of(struct zrt_vnode *v) {
  struct stat st;
  v->ops->getattr(v, &st);
  return (uint64_t)st.st_ino;
}

static struct zrt_vnode *parent_dir(struct zrt_vnode *v);

/* Entry n of an open directory: "." and ".." first. */
static int dir_entry(struct zrt_vnode *v, uint64_t n, struct zrt_dirent *e) {
  if (n == 0) {
    *e = (struct zrt_dirent){".", 1, ino_of(v), ZRT_DT_DIR};
    return 0;
  }
  if (n == 1) {
    *e = (struct zrt_dirent){"..", 2, ino_of(parent_dir(v)), ZRT_DT_DIR};
    return 0;
  }
  return v->ops->readdir(v, n - 2, e);
}

static ssize_t dir_getdents(struct zrt_file *f, void *buf, size_t n) {
  struct zrt_vnode *v = f->priv;
  size_t used = 0;
  if (removed(v))
    return 0;
  for (;;) {
    struct zrt_dirent e;
    if (f->pos < 0 || dir_entry(v, (uint64_t)f->pos, &e) < 0)
      break;
    if (!zrt_dirent_put(buf, n, &used, &e, (uint64_t)f->pos + 1))
      return used ? (ssize_t)used : -EINVAL;
    f->pos++;
  }
  return (ssize_t)used;
}

static ssize_t dir_read(struct zrt_file *f, void *buf, size_t n) {
  (void)f, (void)buf, (void)n;
  return -EISDIR;
}

static off_t dir_lseek(struct zrt_file *f, off_t off, int whence) {
  if (whence == SEEK_CUR && off == 0)
    return f->pos;
  if (whence != SEEK_SET || off < 0)
    return -EINVAL;
  f->pos = off;
  return off;
}

static int vnode_fstat(struct zrt_file *f, struct stat *st) {
  struct zrt_vnode *v = f->priv;
  v->ops->getattr(v, st);
  return 0;
}

static void vnode_release(struct zrt_file *f) { drop(f->priv); }

static const struct zrt_file_ops dir_ops = {
    .vnode_priv = true,
    .name = "directory",
    .read = dir_read,
    .lseek = dir_lseek,
    .fstat = vnode_fstat,
    .getdents64 = dir_getdents,
    .release = vnode_release,
};

static const struct zrt_file_ops path_ops = {
    .vnode_priv = true,
    .name = "path",
    .fstat = vnode_fstat,
    .release = vnode_release,
};

struct zrt_vnode *zrt_vfs_file_vnode(struct zrt_file *f) {
  return f->ops->vnode_priv ? f->priv : NULL;
}

static struct zrt_file *vnode_file(struct zrt_vnode *v,
                                   const struct zrt_file_ops *ops, int flags) {
  struct zrt_file *f = zrt_file_new(ops, flags, v);
  if (f)
    hold(v);
  return f;
}

/* ---- resolution ------------------------------------------------------------ */

enum last_type { LAST_NORM, LAST_DOT, LAST_DOTDOT, LAST_ROOT };

#define W_FOLLOW 1u /* follow a symlink (or magic link) at the end */
#define W_PARENT 2u /* never follow the end, even with a slash after it
                       (unlink, rmdir, rename: Linux looks up the parent) */

struct walk {
  struct zrt_vnode *dir;  /* the directory of the last component */
  struct zrt_vnode *node; /* what the path names, NULL: no such entry */
  char last[ZRT_NAME_MAX + 1];
  size_t lastlen;
  enum last_type type;
  bool slash; /* the path ends with "/" */
};

static struct zrt_vnode *mounted_on(struct zrt_vnode *v) {
  for (unsigned i = 0; i < nmounts; i++)
    if (mounts[i]->covered == v) {
      v = mounts[i]->root;
      i = (unsigned)-1; /* a mount on this mount's root: again (finite) */
    }
  return v;
}

static struct zrt_vnode *parent_dir(struct zrt_vnode *v) {
  while (v != root && v == v->mnt->root && v->mnt->covered)
    v = v->mnt->covered;
  return v->parent ? v->parent : v;
}

static bool is_dir(const struct zrt_vnode *v) { return S_ISDIR(v->mode); }
static bool is_link(const struct zrt_vnode *v) { return S_ISLNK(v->mode); }
static bool is_magic(const struct zrt_vnode *v) { return v->ops->jump; }

/* The directory a relative path starts from. */
static int start_dir(int dirfd, struct zrt_vnode **out) {
  if (dirfd == ZRT_AT_FDCWD) {
    *out = cwd;
    return cwd ? 0 : -ENOENT;
  }
  struct zrt_file *f = zrt_fd_file(dirfd);
  if (!f)
    return -EBADF;
  struct zrt_vnode *v = zrt_vfs_file_vnode(f);
  if (!v || !is_dir(v))
    return -ENOTDIR;
  *out = v;
  return 0;
}

/* The user's path into buf: its length, -EFAULT, -ENAMETOOLONG. */
static long copy_path(const char *path, char *buf) {
  if (!path)
    return -EFAULT;
  size_t n = 0;
  /* cppcheck-suppress arrayIndexOutOfBoundsCond ; stops at the NUL */
  while (n < ZRT_PATH_MAX && path[n])
    n++;
  if (n == ZRT_PATH_MAX)
    return -ENAMETOOLONG;
  memcpy(buf, path, n);
  return (long)n;
}

struct cursor {
  char buf[ZRT_PATH_MAX];
  size_t len, pos;
  unsigned hops;
};

/* Replace what was read of the path with a symlink's text. */
static int splice_link(struct cursor *c, struct zrt_vnode *link,
                       struct zrt_vnode **cur) {
  const char *t;
  size_t tl;
  if (++c->hops > MAX_HOPS)
    return -ELOOP;
  int r = link->ops->readlink(link, &t, &tl);
  if (r < 0)
    return r;
  if (tl == 0)
    return -ENOENT;
  size_t rest = c->len - c->pos;
  if (tl + rest >= ZRT_PATH_MAX)
    return -ENAMETOOLONG;
  memmove(c->buf + tl, c->buf + c->pos, rest);
  memcpy(c->buf, t, tl);
  c->len = tl + rest;
  c->pos = 0;
  if (t[0] == '/')
    *cur = root;
  return 0;
}

/* One component of dir: *next, or -ENOENT. */
static int step_into(struct zrt_vnode *dir, const char *name, size_t len,
                     enum last_type *type, struct zrt_vnode **next) {
  *type = LAST_NORM;
  if (len == 1 && name[0] == '.') {
    *type = LAST_DOT;
    *next = dir;
    return 0;
  }
  if (len == 2 && name[0] == '.' && name[1] == '.') {
    *type = LAST_DOTDOT;
    *next = parent_dir(dir);
    return 0;
  }
  if (removed(dir))
    return -ENOENT;
  int r = dir->ops->lookup(dir, name, len, next);
  if (r == 0)
    *next = mounted_on(*next);
  return r;
}

static void set_last(struct walk *w, struct zrt_vnode *dir, const char *name,
                     size_t len, enum last_type type, bool slash) {
  w->dir = dir;
  memcpy(w->last, name, len);
  w->last[len] = '\0';
  w->lastlen = len;
  w->type = type;
  w->slash = slash;
  w->node = NULL;
}

/* Go through a symlink or magic link met in the middle of the path (or
 * at its end when followed): 1 if the walk goes on from *cur, 0 if `next`
 * stays the answer (a magic link to no directory, at the end). */
static int through_link(struct cursor *c, struct zrt_vnode *next, bool last,
                        struct zrt_vnode **cur) {
  if (!is_magic(next)) {
    int r = splice_link(c, next, cur);
    return r < 0 ? r : 1;
  }
  struct zrt_vnode *d;
  int r = next->ops->jump(next, &d);
  if (r < 0)
    return last ? 0 : r;
  *cur = d;
  return 1;
}

static int walk_loop(struct cursor *c, struct zrt_vnode *cur, unsigned flags,
                     struct walk *w) {
  for (;;) {
    while (c->pos < c->len && c->buf[c->pos] == '/')
      c->pos++;
    if (c->pos == c->len) { /* the path names cur itself */
      set_last(w, cur, "", 0, LAST_ROOT, true);
      w->node = cur;
      return 0;
    }
    size_t s = c->pos;
    while (c->pos < c->len && c->buf[c->pos] != '/')
      c->pos++;
    size_t n = c->pos - s, after = c->pos;
    if (n > ZRT_NAME_MAX)
      return -ENAMETOOLONG;
    while (after < c->len && c->buf[after] == '/')
      after++;
    bool last = after == c->len;
    if (!is_dir(cur))
      return -ENOTDIR;
    enum last_type type;
    struct zrt_vnode *next;
    int r = step_into(cur, c->buf + s, n, &type, &next);
    if (last)
      set_last(w, cur, c->buf + s, n, type, c->pos < c->len);
    if (r < 0)
      return last && r == -ENOENT ? 0 : r;
    bool follow = !last || (!(flags & W_PARENT) &&
                            ((flags & W_FOLLOW) || w->slash));
    if (follow && (is_link(next) || is_magic(next))) {
      r = through_link(c, next, last, &cur);
      if (r < 0)
        return r;
      if (r > 0)
        continue;
    }
    if (last) {
      w->node = next;
      return 0;
    }
    cur = next;
  }
}

/* Resolve path from dirfd: 0 and *w (w->node NULL if only the last
 * component is missing), or -errno. */
static int walk(int dirfd, const char *path, unsigned flags, struct walk *w) {
  static struct cursor c; /* walks never block: one at a time */
  long n = copy_path(path, c.buf);
  if (n < 0)
    return (int)n;
  if (n == 0)
    return -ENOENT;
  c.len = (size_t)n;
  c.pos = 0;
  c.hops = 0;
  struct zrt_vnode *cur = root;
  if (!root)
    return -ENOENT;
  if (c.buf[0] != '/') {
    int r = start_dir(dirfd, &cur);
    if (r < 0)
      return r;
  }
  int r = walk_loop(&c, cur, flags, w);
  if (r == 0 && w->node && w->slash && !is_dir(w->node) &&
      !is_magic(w->node) && !(flags & W_PARENT))
    return -ENOTDIR;
  return r;
}

/* An existing node: -ENOENT if the walk found none. */
static int walk_node(int dirfd, const char *path, unsigned flags,
                     struct walk *w) {
  int r = walk(dirfd, path, flags, w);
  if (r == 0 && !w->node)
    return -ENOENT;
  return r;
}

/* AT_EMPTY_PATH with "": the node dirfd stands for (or its file). */
static bool empty_path(const char *path, int atflags) {
  return (atflags & ZRT_AT_EMPTY_PATH) && path && path[0] == '\0';
}

/* ---- open ------------------------------------------------------------------ */

#define KEEP_FLAGS (O_ACCMODE | O_APPEND | O_NONBLOCK | O_SYNC | O_DSYNC | \
                    ZRT_O_DIRECTORY | ZRT_O_NOFOLLOW)

static bool wants_write(int flags) {
  return (flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC);
}

static int create_last(struct walk *w, mode_t mode) {
  if (w->slash)
    return -EISDIR;
  if (!w->dir->ops->create)
    return -EROFS;
  if (removed(w->dir))
    return -ENOENT;
  return w->dir->ops->create(w->dir, w->last, w->lastlen,
                             mode & 07777 & ~cur_umask, &w->node);
}

/* Linux's checks of an existing node against the open flags. */
static int open_check(const struct zrt_vnode *v, int flags) {
  if ((flags & O_CREAT) && (flags & O_EXCL))
    return -EEXIST;
  if (is_link(v))
    return -ELOOP; /* O_NOFOLLOW */
  if ((flags & ZRT_O_DIRECTORY) && !is_dir(v))
    return -ENOTDIR;
  if (is_dir(v) && (wants_write(flags) || (flags & O_CREAT)))
    return -EISDIR;
  if (wants_write(flags) && v->mnt->readonly &&
      (S_ISREG(v->mode) || is_dir(v)))
    return -EROFS;
  return 0;
}

static int open_node(struct zrt_vnode *v, int flags, bool created,
                     struct zrt_file **out) {
  int ff = (flags & KEEP_FLAGS) | ZRT_O_LARGEFILE;
  if (is_dir(v)) {
    *out = vnode_file(v, &dir_ops, ff);
    return *out ? 0 : -ENOMEM;
  }
  int r = v->ops->open(v, ff, out);
  if (r < 0)
    return r;
  if ((flags & O_TRUNC) && !created && S_ISREG(v->mode) &&
      v->ops->setattr) {
    struct zrt_setattr a = {.mask = ZRT_SET_SIZE, .size = 0};
    r = v->ops->setattr(v, &a);
    if (r < 0)
      zrt_file_put(*out);
  }
  return r;
}

static long install(struct zrt_file *f, int flags) {
  int fd = zrt_fd_install(f, 0, (flags & ZRT_O_CLOEXEC) != 0);
  zrt_file_put(f);
  return fd;
}

static long open_path_only(struct walk *w, int flags) {
  if ((flags & ZRT_O_DIRECTORY) && !is_dir(w->node))
    return -ENOTDIR;
  int ff = ZRT_O_PATH | ZRT_O_LARGEFILE |
           (flags & (ZRT_O_DIRECTORY | ZRT_O_NOFOLLOW));
  struct zrt_file *f = vnode_file(w->node, &path_ops, ff);
  return f ? install(f, flags) : -ENOMEM;
}

long zrt_sys_openat(int dirfd, const char *path, int flags, mode_t mode) {
  if ((flags & ZRT_O_TMPFILE) == ZRT_O_TMPFILE)
    return -EOPNOTSUPP;
  bool excl = (flags & O_CREAT) && (flags & O_EXCL);
  unsigned wf = (flags & ZRT_O_NOFOLLOW) || excl ? 0 : W_FOLLOW;
  struct walk w;
  int r = walk(dirfd, path, wf, &w);
  if (r < 0)
    return r;
  bool created = false;
  if (!w.node) {
    if (!(flags & O_CREAT))
      return -ENOENT;
    r = create_last(&w, mode);
    if (r < 0)
      return r;
    created = true;
  } else if (flags & ZRT_O_PATH) {
    return open_path_only(&w, flags);
  } else if (is_magic(w.node)) {
    /* /proc/self/fd/N of a file that is no directory: a dup, below */
  } else if ((r = open_check(w.node, flags)) < 0) {
    return r;
  }
  struct zrt_file *f;
  r = open_node(w.node, flags, created, &f);
  return r < 0 ? r : install(f, flags);
}

long zrt_sys_open(const char *path, int flags, mode_t mode) {
  return zrt_sys_openat(ZRT_AT_FDCWD, path, flags, mode);
}

long zrt_sys_creat(const char *path, mode_t mode) {
  return zrt_sys_openat(ZRT_AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC,
                        mode);
}

/* ---- stat ------------------------------------------------------------------ */

/* A node's stat; a followed magic link's is its file's. */
static int node_stat(struct zrt_vnode *v, bool followed, struct stat *st) {
  if (!followed || !is_magic(v)) {
    v->ops->getattr(v, st);
    return 0;
  }
  struct zrt_file *f;
  int r = v->ops->open(v, O_RDONLY, &f);
  if (r < 0)
    return r;
  memset(st, 0, sizeof(*st));
  r = f->ops->fstat ? f->ops->fstat(f, st) : -EINVAL;
  zrt_file_put(f);
  return r;
}

static int stat_at(int dirfd, const char *path, int atflags,
                   struct stat *st) {
  if (atflags & ~(ZRT_AT_SYMLINK_NOFOLLOW | ZRT_AT_EMPTY_PATH |
                  ZRT_AT_NO_AUTOMOUNT | ZRT_AT_STATX_SYNC_TYPE))
    return -EINVAL;
  if (!st)
    return -EFAULT;
  if (empty_path(path, atflags)) {
    if (dirfd != ZRT_AT_FDCWD)
      return (int)zrt_sys_fstat(dirfd, st);
    return node_stat(cwd, false, st);
  }
  bool follow = !(atflags & ZRT_AT_SYMLINK_NOFOLLOW);
  struct walk w;
  int r = walk_node(dirfd, path, follow ? W_FOLLOW : 0, &w);
  return r < 0 ? r : node_stat(w.node, follow || w.slash, st);
}

long zrt_sys_stat(const char *path, void *st) {
  return stat_at(ZRT_AT_FDCWD, path, 0, st);
}

long zrt_sys_lstat(const char *path, void *st) {
  return stat_at(ZRT_AT_FDCWD, path, ZRT_AT_SYMLINK_NOFOLLOW, st);
}

long zrt_sys_newfstatat(int dirfd, const char *path, void *st, int flags) {
  return stat_at(dirfd, path, flags, st);
}

static struct zrt_statx_ts statx_ts(struct timespec t) {
  return (struct zrt_statx_ts){(int64_t)t.tv_sec, (uint32_t)t.tv_nsec, 0};
}

static void statx_fill(const struct stat *st, struct zrt_statx *x) {
  memset(x, 0, sizeof(*x));
  x->stx_mask = ZRT_STATX_BASIC_STATS;
  x->stx_blksize = (uint32_t)st->st_blksize;
  x->stx_nlink = (uint32_t)st->st_nlink;
  x->stx_uid = st->st_uid;
  x->stx_gid = st->st_gid;
  x->stx_mode = (uint16_t)st->st_mode;
  x->stx_ino = (uint64_t)st->st_ino;
  x->stx_size = (uint64_t)st->st_size;
  x->stx_blocks = (uint64_t)st->st_blocks;
  x->stx_atime = statx_ts(st->st_atim);
  x->stx_ctime = statx_ts(st->st_ctim);
  x->stx_mtime = statx_ts(st->st_mtim);
  x->stx_rdev_major = major(st->st_rdev);
  x->stx_rdev_minor = minor(st->st_rdev);
  x->stx_dev_major = major(st->st_dev);
  x->stx_dev_minor = minor(st->st_dev);
}

long zrt_sys_statx(int dirfd, const char *path, int flags, unsigned mask,
                   void *stx) {
  if (mask & ZRT_STATX_RESERVED)
    return -EINVAL;
  if (!stx || !path)
    return -EFAULT;
  struct stat st;
  int r = stat_at(dirfd, path, flags, &st);
  if (r == 0)
    statx_fill(&st, stx);
  return r;
}

/* ---- access ---------------------------------------------------------------- */

long zrt_sys_faccessat2(int dirfd, const char *path, int mode, int flags) {
  if (mode & ~7)
    return -EINVAL;
  if (flags & ~(ZRT_AT_EACCESS | ZRT_AT_SYMLINK_NOFOLLOW | ZRT_AT_EMPTY_PATH))
    return -EINVAL;
  struct stat st;
  int r = stat_at(dirfd, path, flags & ~ZRT_AT_EACCESS, &st);
  if (r < 0)
    return r;
  struct walk w;
  if ((mode & 2) && !S_ISCHR(st.st_mode) && !S_ISFIFO(st.st_mode) &&
      !S_ISSOCK(st.st_mode) && !empty_path(path, flags) &&
      walk_node(dirfd, path, 0, &w) == 0 && w.node->mnt->readonly)
    return -EROFS;
  if ((mode & 1) && !S_ISDIR(st.st_mode) && !(st.st_mode & 0111))
    return -EACCES;
  return 0;
}

long zrt_sys_faccessat(int dirfd, const char *path, int mode) {
  return zrt_sys_faccessat2(dirfd, path, mode, 0);
}

long zrt_sys_access(const char *path, int mode) {
  return zrt_sys_faccessat2(ZRT_AT_FDCWD, path, mode, 0);
}

/* ---- readlink -------------------------------------------------------------- */

long zrt_sys_readlinkat(int dirfd, const char *path, char *buf, size_t n) {
  if ((ssize_t)n <= 0)
    return -EINVAL;
  struct walk w;
  int r = walk_node(dirfd, path, 0, &w);
  if (r < 0)
    return r;
  if (!is_link(w.node) && !is_magic(w.node))
    return -EINVAL;
  const char *t;
  size_t tl;
  r = w.node->ops->readlink(w.node, &t, &tl);
  if (r < 0)
    return r;
  size_t k = tl < n ? tl : n;
  memcpy(buf, t, k);
  return (long)k;
}

long zrt_sys_readlink(const char *path, char *buf, size_t n) {
  return zrt_sys_readlinkat(ZRT_AT_FDCWD, path, buf, n);
}

/* ---- the working directory ------------------------------------------------- */

static void set_cwd(struct zrt_vnode *v) {
  hold(v);
  if (cwd)
    drop(cwd);
  cwd = v;
}

long zrt_sys_chdir(const char *path) {
  struct walk w;
  int r = walk_node(ZRT_AT_FDCWD, path, W_FOLLOW, &w);
  if (r < 0)
    return r;
  if (!is_dir(w.node))
    return -ENOTDIR;
  set_cwd(w.node);
  return 0;
}

long zrt_sys_fchdir(int fd) {
  struct zrt_vnode *v;
  int r = start_dir(fd == ZRT_AT_FDCWD ? -1 : fd, &v);
  if (r < 0)
    return r;
  set_cwd(v);
  return 0;
}

/* Prepend "/" name to the path being built backwards at buf[*at..]. */
static bool prepend(char *buf, size_t *at, const char *name, size_t len) {
  if (len + 1 > *at)
    return false;
  *at -= len;
  memcpy(buf + *at, name, len);
  buf[--*at] = '/';
  return true;
}

long zrt_sys_getcwd(char *ubuf, size_t n) {
  char buf[ZRT_PATH_MAX];
  size_t at = sizeof(buf) - 1;
  buf[at] = '\0';
  struct zrt_vnode *v = cwd;
  if (!v || removed(v))
    return -ENOENT;
  while (v != root) {
    if (v == v->mnt->root && v->mnt->covered) {
      v = v->mnt->covered;
      continue;
    }
    if (!v->parent || !prepend(buf, &at, v->name, v->namelen))
      return v->parent ? -ENAMETOOLONG : -ENOENT;
    v = v->parent;
  }
  if (at == sizeof(buf) - 1)
    buf[--at] = '/';
  size_t len = sizeof(buf) - at; /* with the NUL */
  if (!ubuf)
    return -EFAULT;
  if (n < len)
    return -ERANGE;
  memcpy(ubuf, buf + at, len);
  return (long)len;
}

/* ---- making and removing names --------------------------------------------- */

/* A name the walk left missing, to be made: -EEXIST, -EROFS, ... */
static int new_name(const struct walk *w, bool may_slash) {
  if (w->node || w->type != LAST_NORM)
    return -EEXIST;
  if (w->slash && !may_slash)
    return -ENOENT;
  if (removed(w->dir))
    return -ENOENT;
  return 0;
}

long zrt_sys_mkdirat(int dirfd, const char *path, mode_t mode) {
  struct walk w;
  int r = walk(dirfd, path, 0, &w);
  if (r == 0)
    r = new_name(&w, true);
  if (r < 0)
    return r;
  if (!w.dir->ops->mkdir)
    return -EROFS;
  return w.dir->ops->mkdir(w.dir, w.last, w.lastlen,
                           mode & 07777 & ~cur_umask);
}

long zrt_sys_mkdir(const char *path, mode_t mode) {
  return zrt_sys_mkdirat(ZRT_AT_FDCWD, path, mode);
}

static bool is_mount_root(const struct zrt_vnode *v) {
  return v->mnt->root == v;
}

/* unlink, rmdir, rename: Linux checks the last component's kind, then
 * that the mount is writable, then looks the name up. */
static int writable_parent(const struct walk *w) {
  return w->dir->mnt->readonly || !w->dir->ops->unlink ? -EROFS : 0;
}

static long remove_dir(int dirfd, const char *path) {
  struct walk w;
  int r = walk(dirfd, path, W_PARENT, &w);
  if (r < 0)
    return r;
  if (w.type == LAST_DOT)
    return -EINVAL;
  if (w.type == LAST_DOTDOT)
    return -ENOTEMPTY;
  if (w.type == LAST_ROOT)
    return -EBUSY;
  if ((r = writable_parent(&w)) < 0)
    return r;
  if (!w.node)
    return -ENOENT;
  if (!is_dir(w.node))
    return -ENOTDIR;
  if (is_mount_root(w.node))
    return -EBUSY;
  return w.dir->ops->rmdir(w.dir, w.last, w.lastlen, w.node);
}

static long remove_file(int dirfd, const char *path) {
  struct walk w;
  int r = walk(dirfd, path, W_PARENT, &w);
  if (r < 0)
    return r;
  if (w.type != LAST_NORM)
    return -EISDIR;
  if ((r = writable_parent(&w)) < 0)
    return r;
  if (!w.node)
    return -ENOENT;
  if (is_dir(w.node))
    return -EISDIR;
  if (w.slash)
    return -ENOTDIR;
  return w.dir->ops->unlink(w.dir, w.last, w.lastlen, w.node);
}

long zrt_sys_rmdir(const char *path) { return remove_dir(ZRT_AT_FDCWD, path); }

long zrt_sys_unlink(const char *path) {
  return remove_file(ZRT_AT_FDCWD, path);
}

long zrt_sys_unlinkat(int dirfd, const char *path, int flags) {
  if (flags & ~ZRT_AT_REMOVEDIR)
    return -EINVAL;
  return flags ? remove_dir(dirfd, path) : remove_file(dirfd, path);
}

/* Rename's checks of both walks, in Linux's order. */
static int rename_check(const struct walk *o, const struct walk *n,
                        unsigned flags) {
  if (o->type != LAST_NORM || n->type != LAST_NORM)
    return -EBUSY;
  if (o->dir->mnt != n->dir->mnt)
    return -EXDEV;
  if (o->dir->mnt->readonly || !o->dir->ops->rename)
    return -EROFS;
  if (!o->node)
    return -ENOENT;
  if ((flags & ZRT_RENAME_NOREPLACE) && n->node)
    return -EEXIST;
  if ((flags & ZRT_RENAME_EXCHANGE) && !n->node)
    return -ENOENT;
  if ((o->slash || n->slash) && !is_dir(o->node))
    return -ENOTDIR;
  if (is_mount_root(o->node) || (n->node && is_mount_root(n->node)))
    return -EBUSY;
  return 0;
}

long zrt_sys_renameat2(int olddirfd, const char *oldpath, int newdirfd,
                       const char *newpath, unsigned flags) {
  if (flags & ~(ZRT_RENAME_NOREPLACE | ZRT_RENAME_EXCHANGE |
                ZRT_RENAME_WHITEOUT))
    return -EINVAL;
  if ((flags & ZRT_RENAME_EXCHANGE) &&
      (flags & (ZRT_RENAME_NOREPLACE | ZRT_RENAME_WHITEOUT)))
    return -EINVAL;
  if (flags & ZRT_RENAME_WHITEOUT)
    return -EINVAL;
  struct walk o, n;
  int r = walk(olddirfd, oldpath, W_PARENT, &o);
  if (r < 0)
    return r;
  r = walk(newdirfd, newpath, W_PARENT, &n);
  if (r < 0)
    return r;
  r = rename_check(&o, &n, flags);
  if (r < 0)
    return r;
  return o.dir->ops->rename(o.dir, o.last, o.lastlen, n.dir, n.last,
                            n.lastlen, flags);
}

long zrt_sys_renameat(int olddirfd, const char *oldpath, int newdirfd,
                      const char *newpath) {
  return zrt_sys_renameat2(olddirfd, oldpath, newdirfd, newpath, 0);
}

long zrt_sys_rename(const char *oldpath, const char *newpath) {
  return zrt_sys_renameat2(ZRT_AT_FDCWD, oldpath, ZRT_AT_FDCWD, newpath, 0);
}

long zrt_sys_linkat(int olddirfd, const char *oldpath, int newdirfd,
                    const char *newpath, int flags) {
  if (flags & ~(ZRT_AT_SYMLINK_FOLLOW | ZRT_AT_EMPTY_PATH))
    return -EINVAL;
  struct walk o, n;
  int r = walk_node(olddirfd, oldpath,
                    flags & ZRT_AT_SYMLINK_FOLLOW ? W_FOLLOW : 0, &o);
  if (r < 0)
    return r;
  if (is_dir(o.node))
    return -EPERM;
  r = walk(newdirfd, newpath, 0, &n);
  if (r == 0)
    r = new_name(&n, false);
  if (r < 0)
    return r;
  if (o.node->mnt != n.dir->mnt)
    return -EXDEV;
  if (!n.dir->ops->link)
    return -EROFS;
  return n.dir->ops->link(n.dir, n.last, n.lastlen, o.node);
}

long zrt_sys_link(const char *oldpath, const char *newpath) {
  return zrt_sys_linkat(ZRT_AT_FDCWD, oldpath, ZRT_AT_FDCWD, newpath, 0);
}

long zrt_sys_symlinkat(const char *target, int dirfd, const char *path) {
  char tbuf[ZRT_PATH_MAX];
  long tl = copy_path(target, tbuf);
  if (tl < 0)
    return tl;
  if (tl == 0)
    return -ENOENT;
  struct walk w;
  int r = walk(dirfd, path, 0, &w);
  if (r == 0)
    r = new_name(&w, false);
  if (r < 0)
    return r;
  if (!w.dir->ops->symlink)
    return -EROFS;
  return w.dir->ops->symlink(w.dir, w.last, w.lastlen, tbuf, (size_t)tl);
}

long zrt_sys_symlink(const char *target, const char *path) {
  return zrt_sys_symlinkat(target, ZRT_AT_FDCWD, path);
}

/* ---- attributes ------------------------------------------------------------ */

static int set_attr(struct zrt_vnode *v, const struct zrt_setattr *a) {
  if (v->mnt->readonly)
    return -EROFS;
  if (!v->ops->setattr)
    return -EPERM;
  return v->ops->setattr(v, a);
}

static long setattr_at(int dirfd, const char *path, int atflags,
                       const struct zrt_setattr *a) {
  if (atflags & ~(ZRT_AT_SYMLINK_NOFOLLOW | ZRT_AT_EMPTY_PATH))
    return -EINVAL;
  struct walk w;
  struct zrt_vnode *v;
  if (empty_path(path, atflags)) {
    struct zrt_file *f = zrt_fd_file(dirfd);
    if (dirfd != ZRT_AT_FDCWD && !f)
      return -EBADF;
    v = f ? zrt_vfs_file_vnode(f) : cwd;
    if (!v)
      return 0; /* a pipe's anonymous inode */
  } else {
    int r = walk_node(dirfd, path,
                      atflags & ZRT_AT_SYMLINK_NOFOLLOW ? 0 : W_FOLLOW, &w);
    if (r < 0)
      return r;
    v = w.node;
  }
  return set_attr(v, a);
}

/* fchmod/fchown/futimens: the file's node, or nothing to change on a
 * pipe or socket (Linux changes their anonymous inode). */
static long setattr_fd(int fd, const struct zrt_setattr *a) {
  struct zrt_file *f = zrt_fd_file(fd);
  if (!f)
    return -EBADF;
  if (f->flags & ZRT_O_PATH)
    return -EBADF;
  struct zrt_vnode *v = zrt_vfs_file_vnode(f);
  return v ? set_attr(v, a) : 0;
}

long zrt_sys_fchmodat(int dirfd, const char *path, mode_t mode) {
  struct zrt_setattr a = {.mask = ZRT_SET_MODE, .mode = mode & 07777};
  return setattr_at(dirfd, path, 0, &a);
}

long zrt_sys_chmod(const char *path, mode_t mode) {
  return zrt_sys_fchmodat(ZRT_AT_FDCWD, path, mode);
}

long zrt_sys_fchmod(int fd, mode_t mode) {
  struct zrt_setattr a = {.mask = ZRT_SET_MODE, .mode = mode & 07777};
  return setattr_fd(fd, &a);
}

static struct zrt_setattr owner(uid_t uid, gid_t gid) {
  struct zrt_setattr a = {.uid = uid, .gid = gid};
  if (uid != (uid_t)-1)
    a.mask |= ZRT_SET_UID;
  if (gid != (gid_t)-1)
    a.mask |= ZRT_SET_GID;
  return a;
}

long zrt_sys_fchownat(int dirfd, const char *path, uid_t uid, gid_t gid,
                      int flags) {
  struct zrt_setattr a = owner(uid, gid);
  return setattr_at(dirfd, path, flags, &a);
}

long zrt_sys_chown(const char *path, uid_t uid, gid_t gid) {
  return zrt_sys_fchownat(ZRT_AT_FDCWD, path, uid, gid, 0);
}

long zrt_sys_lchown(const char *path, uid_t uid, gid_t gid) {
  return zrt_sys_fchownat(ZRT_AT_FDCWD, path, uid, gid,
                          ZRT_AT_SYMLINK_NOFOLLOW);
}

long zrt_sys_fchown(int fd, uid_t uid, gid_t gid) {
  struct zrt_setattr a = owner(uid, gid);
  return setattr_fd(fd, &a);
}

/* One time of utimensat: into a, or -EINVAL. */
static int utime_one(const struct timespec *t, unsigned bit,
                     struct timespec *dst, unsigned *mask) {
  uint64_t ns = zrt_plat_wall();
  struct timespec nowts = {(time_t)(ns / 1000000000u),
                           (long)(ns % 1000000000u)};
  if (!t || t->tv_nsec == UTIME_NOW_LX) {
    *dst = nowts;
    *mask |= bit;
    return 0;
  }
  if (t->tv_nsec == UTIME_OMIT_LX)
    return 0;
  if (t->tv_nsec < 0 || t->tv_nsec >= 1000000000L)
    return -EINVAL;
  *dst = *t;
  *mask |= bit;
  return 0;
}

long zrt_sys_utimensat(int dirfd, const char *path, const void *times,
                       int flags) {
  const struct timespec *ts = times;
  struct zrt_setattr a = {0};
  int r = utime_one(ts ? &ts[0] : NULL, ZRT_SET_ATIME, &a.atime, &a.mask);
  if (r == 0)
    r = utime_one(ts ? &ts[1] : NULL, ZRT_SET_MTIME, &a.mtime, &a.mask);
  if (r < 0)
    return r;
  if (!path) /* futimens */
    return flags ? -EINVAL : setattr_fd(dirfd, &a);
  if (a.mask == 0)
    return 0;
  return setattr_at(dirfd, path, flags, &a);
}

long zrt_sys_truncate(const char *path, off_t len) {
  struct walk w;
  int r = walk_node(ZRT_AT_FDCWD, path, W_FOLLOW, &w);
  if (r < 0)
    return r;
  if (is_dir(w.node))
    return -EISDIR;
  if (!S_ISREG(w.node->mode) || len < 0)
    return -EINVAL;
  struct zrt_setattr a = {.mask = ZRT_SET_SIZE, .size = len};
  return set_attr(w.node, &a);
}

long zrt_sys_umask(mode_t mask) {
  mode_t old = cur_umask;
  cur_umask = mask & 0777;
  return (long)old;
}

/* ---- statfs ---------------------------------------------------------------- */

static void statfs_fill(struct zrt_mount *m, struct zrt_statfs *sf) {
  memset(sf, 0, sizeof(*sf));
  sf->f_type = m->magic;
  sf->f_bsize = 4096;
  sf->f_frsize = 4096;
  sf->f_namelen = ZRT_NAME_MAX;
  sf->f_flags = m->readonly ? ZRT_ST_RDONLY : 0;
  sf->f_fsid[0] = (int32_t)m->dev;
  if (m->statfs)
    m->statfs(m, sf);
}

long zrt_sys_statfs(const char *path, void *buf) {
  struct walk w;
  int r = walk_node(ZRT_AT_FDCWD, path, W_FOLLOW, &w);
  if (r < 0)
    return r;
  if (!buf)
    return -EFAULT;
  statfs_fill(w.node->mnt, buf);
  return 0;
}

long zrt_sys_fstatfs(int fd, void *buf) {
  struct zrt_file *f = zrt_fd_file(fd);
  if (!f)
    return -EBADF;
  if (!buf)
    return -EFAULT;
  struct zrt_vnode *v = zrt_vfs_file_vnode(f);
  if (v) {
    statfs_fill(v->mnt, buf);
  } else { /* pipes, sockets, devices: Linux's pipefs/sockfs */
    memset(buf, 0, sizeof(struct zrt_statfs));
    ((struct zrt_statfs *)buf)->f_bsize = 4096;
    ((struct zrt_statfs *)buf)->f_namelen = ZRT_NAME_MAX;
  }
  return 0;
}

/* ---- sync ------------------------------------------------------------------ */

long zrt_sys_sync(void) {
  (void)zrt_mem_file_writeback(NULL);
  for (unsigned i = 0; i < nmounts; i++)
    if (mounts[i]->sync)
      (void)mounts[i]->sync(mounts[i]); /* sync(2) reports nothing */
  return 0;
}

long zrt_sys_syncfs(int fd) {
  struct zrt_file *f = zrt_fd_file(fd);
  if (!f)
    return -EBADF;
  struct zrt_vnode *v = zrt_vfs_file_vnode(f);
  if (!v)
    return 0;
  /* The mappings of every file: those of this file system among them. */
  int r = zrt_mem_file_writeback(NULL);
  if (v->mnt->sync) {
    int s = v->mnt->sync(v->mnt);
    if (r == 0)
      r = s;
  }
  return r;
}

/* ---- mounts at start-up ---------------------------------------------------- */

/* The directory `path` names, made (mkdir, or in the read-only root as
 * a mount point) where missing: 0 and *out, or -errno. */
static int make_dirs(const char *path, struct zrt_vnode **out) {
  char prefix[ZRT_PATH_MAX];
  size_t len = strlen(path);
  if (len == 0 || len >= ZRT_PATH_MAX || path[0] != '/')
    return -EINVAL;
  for (size_t i = 1; i <= len; i++) {
    if (i < len && path[i] != '/')
      continue;
    memcpy(prefix, path, i);
    prefix[i] = '\0';
    struct walk w;
    int r = walk(ZRT_AT_FDCWD, prefix, W_FOLLOW, &w);
    if (r < 0)
      return r;
    if (!w.node && w.dir->ops->mkdir)
      r = w.dir->ops->mkdir(w.dir, w.last, w.lastlen, 0755);
    else if (!w.node)
      r = w.dir->ops->mount_point
              ? w.dir->ops->mount_point(w.dir, w.last, &w.node)
              : -EROFS;
    if (r < 0)
      return r;
    if (w.node && !is_dir(w.node))
      return -ENOTDIR;
  }
  struct walk w;
  int r = walk_node(ZRT_AT_FDCWD, path, W_FOLLOW, &w);
  if (r < 0) /* w is not filled */
    return r;
  *out = w.node;
  return 0;
}

int zrt_vfs_mount_at(const char *path, struct zrt_mount *m) {
  struct zrt_vnode *dir;
  int r = make_dirs(path, &dir);
  if (r == 0)
    r = zrt_vfs_add_mount(m);
  if (r < 0) {
    zrt_log("vfs: cannot mount on %s (%d)", path, r);
    return r;
  }
  hold(dir);
  m->covered = dir;
  return 0;
}

void zrt_vfs_set_root(struct zrt_mount *m) {
  root = m->root;
  (void)zrt_vfs_add_mount(m);
  set_cwd(root);
}

bool zrt_vfs_has_root(void) { return root != NULL; }

int zrt_vfs_node(const char *path, struct zrt_vnode **out) {
  struct walk w;
  int r = walk_node(ZRT_AT_FDCWD, path, W_FOLLOW, &w);
  if (r == 0)
    *out = w.node;
  return r;
}

int zrt_vfs_add_text(const char *dir, const char *name, const char *text,
                     size_t len) {
  struct walk w;
  struct zrt_vnode *d;
  int r = make_dirs(dir, &d);
  if (r < 0)
    return r;
  if (walk_node(ZRT_AT_FDCWD, dir, W_FOLLOW, &w) < 0 || !is_dir(w.node))
    return -ENOTDIR;
  if (w.node->mnt != root->mnt || !w.node->ops->add_text)
    return -EROFS; /* not the archive's own directory */
  return w.node->ops->add_text(w.node, name, text, len);
}
