/*
 * The image's tree at start-up (rt.h): the root archive (tarfs) at /, a
 * memfs at /tmp, devfs at /dev with a memfs at /dev/shm, the small /proc, the /etc texts the
 * configuration gives where the archive has none, and a memfs wherever
 * --tmpfs asks, and a copy of the archive's tree in memory wherever
 * --writable asks.  Above the file systems and vfs.c, which it calls:
 * nothing below calls up into it.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include "files_int.h"
#include "lfsfs.h"
#include "rt.h"
#include "sys_gen.h"

/* libznet-rt-lfs's mount, when znet-image linked it (--volume): a weak
 * reference, NULL in an image without it. */
#pragma weak zrt_lfsfs_mount

#define ETC_MAX 16

/* The /etc texts, kept until the root is there (and applied then). */
struct etc_file {
  char name[ZRT_NAME_MAX + 1];
  char *text;
  size_t len;
};
static struct etc_file etc[ETC_MAX];
static unsigned netc;

static void etc_apply(const struct etc_file *e) {
  int r = zrt_vfs_add_text("/etc", e->name, e->text, e->len);
  if (r < 0 && r != -EEXIST && r != -EROFS)
    zrt_log("vfs: /etc/%s not served (%d)", e->name, r);
}

void zrt_mount_etc(const char *name, const char *text) {
  size_t nl = strlen(name), tl = strlen(text);
  if (nl == 0 || nl > ZRT_NAME_MAX || memchr(name, '/', nl) ||
      netc == ETC_MAX) {
    zrt_log("vfs: /etc/%s not served", name);
    return;
  }
  struct etc_file *e = &etc[netc];
  e->text = zrt_kalloc(tl + 1);
  if (!e->text) {
    zrt_log("vfs: no memory for /etc/%s", name);
    return;
  }
  memcpy(e->name, name, nl + 1);
  memcpy(e->text, text, tl);
  e->len = tl;
  netc++;
  if (zrt_vfs_has_root())
    etc_apply(e);
}

/* The root `m` (its mount gave `r`), and the trees under it. */
static int mount_root_tree(struct zrt_mount *m, int r) {
  if (!m)
    return r;
  zrt_vfs_set_root(m);
  struct zrt_mount *tmp, *dev, *shm, *proc;
  if (zrt_memfs_mount(zrt_kalloc_avail() / 4, &tmp) == 0)
    (void)zrt_vfs_mount_at("/tmp", tmp);
  if (zrt_devfs_mount(&dev) == 0 && zrt_vfs_mount_at("/dev", dev) == 0 &&
      zrt_memfs_mount(zrt_kalloc_avail() / 4, &shm) == 0)
    (void)zrt_vfs_mount_at("/dev/shm", shm);
  if (zrt_procfs_mount(&proc) == 0)
    (void)zrt_vfs_mount_at("/proc", proc);
  for (unsigned i = 0; i < netc; i++)
    etc_apply(&etc[i]);
  return r;
}

int zrt_mount_root(const char *blockdev) {
  struct zrt_mount *m;
  int r = zrt_tarfs_mount(blockdev, &m);
  return mount_root_tree(m, r);
}

int zrt_mount_root_archive(const void *data, size_t len) {
  struct zrt_mount *m;
  int r = zrt_tarfs_mount_archive(data, len, &m);
  return mount_root_tree(m, r);
}

int zrt_mount_memfs(const char *path, size_t budget) {
  struct zrt_mount *m;
  if (!zrt_vfs_has_root())
    return -ENOENT;
  if (budget == 0)
    budget = zrt_kalloc_avail() / 4;
  int r = zrt_memfs_mount(budget, &m);
  if (r < 0) {
    zrt_log("vfs: no memory for a memfs at %s", path);
    return r;
  }
  return zrt_vfs_mount_at(path, m);
}

/* ---- --writable: the archive's tree copied into a memfs ----------------- */

/* A tree deeper than this is not copied (an archive's names are bounded
 * by its headers, not its depth). */
#define COPY_DEPTH 64
#define COPY_CHUNK 4096

/* The bytes of regular file `from` into `to`, a new empty file. */
static int copy_bytes(struct zrt_vnode *from, struct zrt_vnode *to) {
  struct zrt_file *in, *out;
  int r = from->ops->open(from, O_RDONLY, &in);
  if (r < 0)
    return r;
  r = to->ops->open(to, O_WRONLY, &out);
  if (r < 0) {
    zrt_file_put(in);
    return r;
  }
  static char buf[COPY_CHUNK]; /* start-up: one thread */
  ssize_t n;
  while ((n = in->ops->read(in, buf, sizeof(buf))) > 0) {
    ssize_t w = out->ops->write(out, buf, (size_t)n);
    if (w != n) {
      n = w < 0 ? w : -ENOSPC;
      break;
    }
  }
  zrt_file_put(in);
  zrt_file_put(out);
  return n < 0 ? (int)n : 0;
}

/* The archive's times and owner on the copy `to` of `from`. */
static void copy_attrs(struct zrt_vnode *from, struct zrt_vnode *to) {
  struct stat st;
  from->ops->getattr(from, &st);
  struct zrt_setattr a = {.mask = ZRT_SET_MODE | ZRT_SET_UID | ZRT_SET_GID |
                                  ZRT_SET_ATIME | ZRT_SET_MTIME,
                          .mode = st.st_mode & 07777,
                          .uid = st.st_uid,
                          .gid = st.st_gid,
                          .atime = st.st_atim,
                          .mtime = st.st_mtim};
  if (to->ops->setattr)
    (void)to->ops->setattr(to, &a);
}

/* One level of the walk: a directory of the archive's, its copy, the
 * next entry to take. */
struct copy_level {
  struct zrt_vnode *from, *to;
  uint64_t next;
};

/* Entry e of directory `from` into directory `to`; a directory's copy,
 * to descend into, in *sub (else NULL). */
static int copy_entry(struct zrt_vnode *from, const struct zrt_dirent *e,
                      struct zrt_vnode *to, struct copy_level *sub) {
  struct zrt_vnode *v, *nv;
  sub->from = NULL;
  int r = from->ops->lookup(from, e->name, e->len, &v);
  if (r < 0)
    return r;
  mode_t perm = v->mode & 07777;
  if (S_ISDIR(v->mode)) {
    r = to->ops->mkdir(to, e->name, e->len, perm);
    if (r == 0)
      r = to->ops->lookup(to, e->name, e->len, &nv);
    if (r == 0)
      *sub = (struct copy_level){.from = v, .to = nv};
  } else if (S_ISREG(v->mode)) {
    r = to->ops->create(to, e->name, e->len, perm, &nv);
    if (r == 0)
      r = copy_bytes(v, nv);
  } else if (S_ISLNK(v->mode)) {
    const char *text;
    size_t len;
    r = v->ops->readlink(v, &text, &len);
    if (r == 0)
      r = to->ops->symlink(to, e->name, e->len, text, len);
    return r; /* (a symlink's own times: the copy's) */
  } else {
    return 0; /* devices and fifos: the archive's reader has none */
  }
  if (r == 0)
    copy_attrs(v, nv);
  return r;
}

/* The tree under `from` into `to`, depth first, at most COPY_DEPTH
 * levels (deeper: -ELOOP). */
static int copy_tree(struct zrt_vnode *from, struct zrt_vnode *to) {
  static struct copy_level stack[COPY_DEPTH]; /* start-up: one thread */
  int depth = 0, r = 0;
  stack[0] = (struct copy_level){.from = from, .to = to};
  while (depth >= 0 && r == 0) {
    struct copy_level *l = &stack[depth];
    struct zrt_dirent e;
    if (l->from->ops->readdir(l->from, l->next++, &e) != 0) {
      depth--; /* this directory is done */
      continue;
    }
    struct copy_level sub;
    r = copy_entry(l->from, &e, l->to, &sub);
    if (r == 0 && sub.from) {
      if (depth + 1 == COPY_DEPTH)
        return -ELOOP;
      stack[++depth] = sub;
    }
  }
  return r;
}

int zrt_mount_memfs_copy(const char *path, size_t budget) {
  struct zrt_mount *m;
  struct zrt_vnode *src;
  int r = zrt_vfs_node(path, &src);
  if (r < 0)
    return r;
  if (!S_ISDIR(src->mode))
    return -ENOTDIR;
  if (budget == 0)
    budget = zrt_kalloc_avail() / 4;
  r = zrt_memfs_mount(budget, &m);
  if (r < 0)
    return r;
  r = copy_tree(src, m->root);
  if (r == 0) {
    copy_attrs(src, m->root);
    r = zrt_vfs_mount_at(path, m);
  }
  return r;
}

/* ---- --mount: a disk's file system ------------------------------------- */

/* ---- --tar: an archive's tree, read-only --------------------------------- */

int zrt_mount_tar(const char *path, const char *device) {
  if (!zrt_vfs_has_root())
    return -ENOENT;
  struct zrt_mount *m;
  int r = zrt_tarfs_mount(device, &m);
  if (!m)
    return r;
  if (r == -ENODEV)
    return r; /* (its empty tree kept: the image ends) */
  return zrt_vfs_mount_at(path, m);
}

/* The image's end, however it comes (exit, a signal's default action):
 * what the program wrote and did not fsync committed, as a process's
 * writes outlive it on Linux. */
static void sync_at_exit(int status) {
  (void)status;
  (void)zrt_sys_sync();
}

static struct zrt_exit_hook sync_hook = {sync_at_exit, NULL};
static bool sync_hooked;

int zrt_mount_disk(const char *path, const char *device) {
  if (!zrt_vfs_has_root())
    return -ENOENT;
  if (!zrt_lfsfs_mount)
    return -ENOSYS;
  struct zrt_mount *m;
  int r = zrt_lfsfs_mount(device, &m);
  if (r < 0)
    return r;
  r = zrt_vfs_mount_at(path, m);
  if (r == 0 && !sync_hooked) {
    zrt_exit_hook_add(&sync_hook);
    sync_hooked = true;
  }
  return r;
}
