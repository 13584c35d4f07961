/*
 * memfs: writable trees in memory (/tmp, and the paths the configuration
 * names), with Linux tmpfs's answers.
 *
 * A file's bytes live in pages of ZRT_PAGE bytes, every page of its size
 * present (no holes: a file truncated up or written past its end stores
 * its zeroes), found through a table that doubles as it grows.  A
 * directory is a list of entries (name -> node) in creation order;
 * lookup is linear in the entries.  A node goes when no entry names it
 * and nothing holds it (an open file, the working directory).
 *
 * Every allocation is charged to the mount's budget: pages, page tables,
 * nodes, entries and symlink text.  Beyond it, or when zrt_kalloc has
 * nothing left, a write takes what fits and then answers -ENOSPC, a new
 * name -ENOSPC; the image goes on.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "files_int.h"
#include "rt.h"

#define MAX_FILE ((uint64_t)1 << 46)

struct mnode;

struct mdirent {
  struct mdirent *next;
  struct mnode *node;
  size_t len;
  char name[];
};

struct memfs {
  struct zrt_mount mnt;
  size_t budget, used;
  uint64_t next_ino;
  uint64_t files;
};

struct mnode {
  struct zrt_vnode v;
  struct memfs *fs;
  uint64_t ino;
  unsigned links; /* entries naming it (the root: 1) */
  unsigned refs;  /* open files, the working directory */
  uid_t uid;
  gid_t gid;
  struct timespec atime, mtime, ctime;
  /* regular file */
  uint64_t size;
  uint8_t **pages;
  size_t npages; /* pages present: ceil(size / ZRT_PAGE) */
  size_t tabcap; /* slots of pages[] */
  /* directory */
  struct mdirent *first, *last;
  struct mdirent *cursor;
  uint64_t cursor_n;
  uint32_t subdirs;
  /* symlink */
  char *target;
  size_t tlen;
};

static const struct zrt_vnode_ops mnode_ops;

static struct mnode *mn(struct zrt_vnode *v) { return (struct mnode *)v; }

/* ---- memory ---------------------------------------------------------------- */

static void *mf_alloc(struct memfs *fs, size_t n) {
  if (n > fs->budget - fs->used)
    return NULL;
  void *p = zrt_kalloc(n);
  if (p)
    fs->used += n;
  return p;
}

static void mf_free(struct memfs *fs, void *p, size_t n) {
  if (!p)
    return;
  ZN_ASSERT(n <= fs->used); /* freed no more than the budget counted */
  zrt_kfree(p, n);
  fs->used -= n;
}

static struct timespec now(void) {
  uint64_t ns = zrt_plat_wall();
  return (struct timespec){(time_t)(ns / 1000000000u),
                           (long)(ns % 1000000000u)};
}

/* ---- file pages ------------------------------------------------------------ */

static size_t pages_for(uint64_t size) {
  return (size_t)((size + ZRT_PAGE - 1) / ZRT_PAGE);
}

static bool table_fit(struct mnode *n, size_t want) {
  if (want <= n->tabcap)
    return true;
  size_t cap = n->tabcap ? n->tabcap * 2 : 4;
  while (cap < want)
    cap *= 2;
  uint8_t **t = mf_alloc(n->fs, cap * sizeof(*t));
  if (!t)
    return false;
  if (n->npages)
    memcpy(t, n->pages, n->npages * sizeof(*t));
  mf_free(n->fs, n->pages, n->tabcap * sizeof(*t));
  n->pages = t;
  n->tabcap = cap;
  return true;
}

/* Pages up to `want` present (zeroed): as many as memory gives. */
static void pages_grow(struct mnode *n, size_t want) {
  if (!table_fit(n, want))
    return;
  while (n->npages < want) {
    uint8_t *p = mf_alloc(n->fs, ZRT_PAGE);
    if (!p)
      return;
    n->pages[n->npages++] = p;
  }
}

static void pages_shrink(struct mnode *n, size_t want) {
  while (n->npages > want)
    mf_free(n->fs, n->pages[--n->npages], ZRT_PAGE);
  if (want == 0) {
    mf_free(n->fs, n->pages, n->tabcap * sizeof(*n->pages));
    n->pages = NULL;
    n->tabcap = 0;
  }
}

/* The file's size becomes len: 0, or -ENOSPC with nothing changed. */
static int file_resize(struct mnode *n, uint64_t len) {
  size_t want = pages_for(len);
  if (len > MAX_FILE)
    return -EFBIG;
  if (len > n->size) {
    size_t had = n->npages;
    pages_grow(n, want);
    if (n->npages < want) {
      pages_shrink(n, had);
      return -ENOSPC;
    }
  } else {
    pages_shrink(n, want);
    if (len % ZRT_PAGE) /* what a later growth shows must be zeroes */
      memset(n->pages[want - 1] + len % ZRT_PAGE, 0,
             ZRT_PAGE - len % ZRT_PAGE);
  }
  n->size = len;
  n->mtime = n->ctime = now();
  zrt_shmap_truncated(&n->v, len);
  return 0;
}

static void copy_pages(struct mnode *n, uint64_t off, void *buf, size_t len,
                       bool in) {
  uint8_t *p = buf;
  while (len > 0) {
    size_t pg = (size_t)(off / ZRT_PAGE), at = (size_t)(off % ZRT_PAGE);
    size_t k = ZRT_PAGE - at < len ? ZRT_PAGE - at : len;
    if (in)
      memcpy(n->pages[pg] + at, p, k);
    else
      memcpy(p, n->pages[pg] + at, k);
    p += k;
    off += k;
    len -= k;
  }
}

static ssize_t file_pread(struct mnode *n, void *buf, size_t len,
                          uint64_t off) {
  if (off >= n->size)
    return 0;
  if (len > n->size - off)
    len = (size_t)(n->size - off);
  copy_pages(n, off, buf, len, false);
  zrt_shmap_overlay(&n->v, off, buf, len);
  return (ssize_t)len;
}

/* Write what memory allows: the bytes written, or -ENOSPC for none. */
static ssize_t file_pwrite(struct mnode *n, const void *buf, size_t len,
                           uint64_t off) {
  if (len == 0)
    return 0;
  if (off > MAX_FILE || len > MAX_FILE - off)
    return -EFBIG;
  uint64_t end = off + len;
  if (end > n->size) {
    pages_grow(n, pages_for(end));
    uint64_t room = (uint64_t)n->npages * ZRT_PAGE;
    if (room <= off) {
      pages_shrink(n, pages_for(n->size));
      return -ENOSPC;
    }
    if (end > room)
      end = room;
    len = (size_t)(end - off);
  }
  copy_pages(n, off, (void *)(uintptr_t)buf, len, true);
  if (end > n->size)
    n->size = end;
  n->mtime = n->ctime = now();
  zrt_shmap_written(&n->v, off, buf, len);
  return (ssize_t)len;
}

/* ---- nodes ----------------------------------------------------------------- */

static struct mnode *node_new(struct memfs *fs, mode_t mode) {
  struct mnode *n = mf_alloc(fs, sizeof(*n));
  if (!n)
    return NULL;
  n->v.ops = &mnode_ops;
  n->v.mnt = &fs->mnt;
  n->v.mode = mode;
  n->fs = fs;
  n->ino = fs->next_ino++;
  n->atime = n->mtime = n->ctime = now();
  fs->files++;
  return n;
}

static void node_free(struct mnode *n) {
  struct memfs *fs = n->fs;
  pages_shrink(n, 0);
  mf_free(fs, n->target, n->tlen + 1);
  fs->files--;
  mf_free(fs, n, sizeof(*n));
}

static void node_maybe_free(struct mnode *n) {
  if (n->links == 0 && n->refs == 0)
    node_free(n);
}

static struct mdirent *dirent_find(struct mnode *dir, const char *name,
                                   size_t len, struct mdirent **prev) {
  struct mdirent *p = NULL;
  for (struct mdirent *e = dir->first; e; p = e, e = e->next)
    if (e->len == len && memcmp(e->name, name, len) == 0) {
      if (prev)
        *prev = p;
      return e;
    }
  return NULL;
}

static struct mdirent *dirent_new(struct memfs *fs, const char *name,
                                  size_t len) {
  struct mdirent *e = mf_alloc(fs, sizeof(*e) + len + 1);
  if (!e)
    return NULL;
  memcpy(e->name, name, len);
  e->len = len;
  return e;
}

/* Name node n by entry e in dir (both made). */
static void dirent_add(struct mnode *dir, struct mdirent *e, struct mnode *n) {
  e->node = n;
  e->next = NULL;
  if (dir->last)
    dir->last->next = e;
  else
    dir->first = e;
  dir->last = e;
  dir->cursor = NULL;
  n->links++;
  if (S_ISDIR(n->v.mode)) {
    n->v.parent = &dir->v;
    n->v.name = e->name;
    n->v.namelen = e->len;
    dir->subdirs++;
  }
  dir->mtime = dir->ctime = now();
}

/* Take entry e (after prev) out of dir; the node is not freed here. */
static void dirent_remove(struct mnode *dir, struct mdirent *e,
                          struct mdirent *prev) {
  if (prev)
    prev->next = e->next;
  else
    dir->first = e->next;
  if (dir->last == e)
    dir->last = prev;
  dir->cursor = NULL;
  struct mnode *n = e->node;
  n->links--;
  n->ctime = now();
  if (S_ISDIR(n->v.mode)) {
    dir->subdirs--;
    n->v.parent = NULL;
    n->v.name = NULL;
    n->v.namelen = 0;
  }
  dir->mtime = dir->ctime = now();
  mf_free(dir->fs, e, sizeof(*e) + e->len + 1);
}

/* A new node named in dir: 0 and *out, or -ENOSPC (nothing made). */
static int add_node(struct mnode *dir, const char *name, size_t len,
                    mode_t mode, struct mnode **out) {
  if (!dir->v.parent && dir->v.mnt->root != &dir->v)
    return -ENOENT; /* dir was removed */
  struct mdirent *e = dirent_new(dir->fs, name, len);
  struct mnode *n = e ? node_new(dir->fs, mode) : NULL;
  if (!n) {
    mf_free(dir->fs, e, e ? sizeof(*e) + len + 1 : 0);
    return -ENOSPC;
  }
  dirent_add(dir, e, n);
  *out = n;
  return 0;
}

/* ---- vnode ops ------------------------------------------------------------- */

static int m_lookup(struct zrt_vnode *dir, const char *name, size_t len,
                    struct zrt_vnode **out) {
  struct mdirent *e = dirent_find(mn(dir), name, len, NULL);
  if (!e)
    return -ENOENT;
  *out = &e->node->v;
  return 0;
}

static int m_readdir(struct zrt_vnode *dir, uint64_t n, struct zrt_dirent *out) {
  struct mnode *d = mn(dir);
  struct mdirent *e = d->first;
  uint64_t i = 0;
  if (d->cursor && d->cursor_n <= n) {
    e = d->cursor;
    i = d->cursor_n;
  }
  for (; e && i < n; i++)
    e = e->next;
  if (!e)
    return -ENOENT;
  d->cursor = e;
  d->cursor_n = n;
  *out = (struct zrt_dirent){e->name, e->len, e->node->ino,
                             (unsigned char)((e->node->v.mode & S_IFMT) >> 12)};
  return 0;
}

static void m_getattr(struct zrt_vnode *v, struct stat *st) {
  struct mnode *n = mn(v);
  memset(st, 0, sizeof(*st));
  st->st_dev = v->mnt->dev;
  st->st_ino = (ino_t)n->ino;
  st->st_mode = v->mode;
  if (S_ISDIR(v->mode))
    st->st_nlink = n->links ? 2 + n->subdirs : 0;
  else
    st->st_nlink = n->links;
  st->st_uid = n->uid;
  st->st_gid = n->gid;
  st->st_size = (off_t)(S_ISLNK(v->mode) ? n->tlen : n->size);
  if (S_ISDIR(v->mode)) {
    uint64_t k = 0;
    for (struct mdirent *e = n->first; e; e = e->next)
      k++;
    st->st_size = (off_t)((k + 2) * 20); /* tmpfs: 20 bytes an entry */
  }
  st->st_blksize = ZRT_PAGE;
  st->st_blocks = (blkcnt_t)(n->npages * (ZRT_PAGE / 512));
  st->st_atim = n->atime;
  st->st_mtim = n->mtime;
  st->st_ctim = n->ctime;
}

static int m_readlink(struct zrt_vnode *v, const char **text, size_t *len) {
  struct mnode *n = mn(v);
  if (!S_ISLNK(v->mode))
    return -EINVAL;
  *text = n->target;
  *len = n->tlen;
  return 0;
}

static int m_open(struct zrt_vnode *v, int flags, struct zrt_file **out) {
  if (!S_ISREG(v->mode))
    return -ENXIO;
  *out = zrt_file_new(&zrt_memfs_file_ops, flags, v);
  if (!*out)
    return -ENOMEM;
  mn(v)->refs++;
  return 0;
}

static int m_create(struct zrt_vnode *dir, const char *name, size_t len,
                    mode_t mode, struct zrt_vnode **out) {
  struct mnode *n;
  int r = add_node(mn(dir), name, len, S_IFREG | (mode & 07777), &n);
  if (r == 0)
    *out = &n->v;
  return r;
}

static int m_mkdir(struct zrt_vnode *dir, const char *name, size_t len,
                   mode_t mode) {
  struct mnode *n;
  return add_node(mn(dir), name, len, S_IFDIR | (mode & 07777), &n);
}

static int m_symlink(struct zrt_vnode *dir, const char *name, size_t len,
                     const char *target, size_t tlen) {
  struct mnode *d = mn(dir);
  char *t = mf_alloc(d->fs, tlen + 1);
  if (!t)
    return -ENOSPC;
  struct mnode *n;
  int r = add_node(d, name, len, S_IFLNK | 0777, &n);
  if (r < 0) {
    mf_free(d->fs, t, tlen + 1);
    return r;
  }
  memcpy(t, target, tlen);
  n->target = t;
  n->tlen = tlen;
  return 0;
}

static int m_link(struct zrt_vnode *dir, const char *name, size_t len,
                  struct zrt_vnode *v) {
  struct mnode *d = mn(dir);
  if (!d->v.parent && d->v.mnt->root != &d->v)
    return -ENOENT;
  if (mn(v)->links == 0)
    return -ENOENT; /* linking an unlinked open file: Linux's ENOENT */
  struct mdirent *e = dirent_new(d->fs, name, len);
  if (!e)
    return -ENOSPC;
  dirent_add(d, e, mn(v));
  return 0;
}

static int m_unlink(struct zrt_vnode *dir, const char *name, size_t len,
                    struct zrt_vnode *v) {
  struct mdirent *prev = NULL;
  struct mdirent *e = dirent_find(mn(dir), name, len, &prev);
  if (!e)
    return -ENOENT;
  dirent_remove(mn(dir), e, prev);
  node_maybe_free(mn(v));
  return 0;
}

static int m_rmdir(struct zrt_vnode *dir, const char *name, size_t len,
                   struct zrt_vnode *v) {
  if (mn(v)->first)
    return -ENOTEMPTY;
  return m_unlink(dir, name, len, v);
}

/* Is a (a directory) b or above it? */
static bool is_ancestor(const struct zrt_vnode *a, struct zrt_vnode *b) {
  for (struct zrt_vnode *p = b; p; p = p->parent)
    if (p == a)
      return true;
  return false;
}

/* Rename's checks against the node the new name has, as Linux orders
 * them. */
static int replace_check(struct mnode *src, struct mnode *dst) {
  if (S_ISDIR(src->v.mode) && !S_ISDIR(dst->v.mode))
    return -ENOTDIR;
  if (!S_ISDIR(src->v.mode) && S_ISDIR(dst->v.mode))
    return -EISDIR;
  if (S_ISDIR(dst->v.mode) && dst->first)
    return -ENOTEMPTY;
  return 0;
}

static int exchange(struct mnode *od, struct mdirent *oe, struct mnode *nd,
                    struct mdirent *ne) {
  struct mnode *a = oe->node, *b = ne->node;
  if ((S_ISDIR(a->v.mode) && is_ancestor(&a->v, &nd->v)) ||
      (S_ISDIR(b->v.mode) && is_ancestor(&b->v, &od->v)))
    return -EINVAL;
  oe->node = b;
  ne->node = a;
  od->subdirs = od->subdirs - S_ISDIR(a->v.mode) + S_ISDIR(b->v.mode);
  nd->subdirs = nd->subdirs - S_ISDIR(b->v.mode) + S_ISDIR(a->v.mode);
  if (S_ISDIR(a->v.mode)) {
    a->v.parent = &nd->v;
    a->v.name = ne->name;
    a->v.namelen = ne->len;
  }
  if (S_ISDIR(b->v.mode)) {
    b->v.parent = &od->v;
    b->v.name = oe->name;
    b->v.namelen = oe->len;
  }
  a->ctime = b->ctime = od->mtime = nd->mtime = now();
  return 0;
}

static int m_rename(struct zrt_vnode *odv, const char *oname, size_t olen,
                    struct zrt_vnode *ndv, const char *nname, size_t nlen,
                    unsigned flags) {
  struct mnode *od = mn(odv), *nd = mn(ndv);
  struct mdirent *oprev = NULL, *nprev = NULL;
  struct mdirent *oe = dirent_find(od, oname, olen, &oprev);
  struct mdirent *ne = dirent_find(nd, nname, nlen, &nprev);
  if (!oe)
    return -ENOENT;
  if (flags & ZRT_RENAME_EXCHANGE)
    return ne ? exchange(od, oe, nd, ne) : -ENOENT;
  if (ne && (flags & ZRT_RENAME_NOREPLACE))
    return -EEXIST;
  struct mnode *src = oe->node;
  if (ne && ne->node == src)
    return 0; /* two names of one file: nothing, as POSIX says */
  if (S_ISDIR(src->v.mode) && is_ancestor(&src->v, &nd->v))
    return -EINVAL;
  int r = ne ? replace_check(src, ne->node) : 0;
  if (r < 0)
    return r;
  struct mdirent *e = dirent_new(od->fs, nname, nlen);
  if (!e)
    return -ENOSPC;
  src->refs++; /* keep it while it has no name */
  dirent_remove(od, oe, oprev);
  if (ne) {
    struct mnode *old = ne->node;
    nprev = NULL;
    ne = dirent_find(nd, nname, nlen, &nprev); /* oprev may have moved */
    dirent_remove(nd, ne, nprev);
    node_maybe_free(old);
  }
  dirent_add(nd, e, src);
  src->refs--;
  return 0;
}

static int m_setattr(struct zrt_vnode *v, const struct zrt_setattr *a) {
  struct mnode *n = mn(v);
  if (a->mask & ZRT_SET_SIZE) {
    if (!S_ISREG(v->mode))
      return S_ISDIR(v->mode) ? -EISDIR : -EINVAL;
    int r = file_resize(n, (uint64_t)a->size);
    if (r < 0)
      return r;
  }
  if (a->mask & ZRT_SET_MODE)
    v->mode = (v->mode & S_IFMT) | (a->mode & 07777);
  if (a->mask & ZRT_SET_UID)
    n->uid = a->uid;
  if (a->mask & ZRT_SET_GID)
    n->gid = a->gid;
  if (a->mask & ZRT_SET_ATIME)
    n->atime = a->atime;
  if (a->mask & ZRT_SET_MTIME)
    n->mtime = a->mtime;
  n->ctime = now();
  return 0;
}

static void m_hold(struct zrt_vnode *v) { mn(v)->refs++; }

static void m_drop(struct zrt_vnode *v) {
  ZN_ASSERT(mn(v)->refs > 0);
  struct mnode *n = mn(v);
  n->refs--;
  node_maybe_free(n);
}

static const struct zrt_vnode_ops mnode_ops = {
    .lookup = m_lookup,
    .readdir = m_readdir,
    .getattr = m_getattr,
    .readlink = m_readlink,
    .open = m_open,
    .create = m_create,
    .mkdir = m_mkdir,
    .symlink = m_symlink,
    .link = m_link,
    .unlink = m_unlink,
    .rmdir = m_rmdir,
    .rename = m_rename,
    .setattr = m_setattr,
    .hold = m_hold,
    .drop = m_drop,
};

/* ---- file ops -------------------------------------------------------------- */

static ssize_t mf_pread(struct zrt_file *f, void *buf, size_t n, off_t off) {
  return file_pread(f->priv, buf, n, (uint64_t)off);
}

static ssize_t mf_read(struct zrt_file *f, void *buf, size_t n) {
  ssize_t r = file_pread(f->priv, buf, n, (uint64_t)f->pos);
  if (r > 0)
    f->pos += r;
  return r;
}

static ssize_t mf_write(struct zrt_file *f, const void *buf, size_t n) {
  struct mnode *m = f->priv;
  if (f->flags & O_APPEND)
    f->pos = (off_t)m->size;
  ssize_t r = file_pwrite(m, buf, n, (uint64_t)f->pos);
  if (r > 0)
    f->pos += r;
  return r;
}

/* Linux's pwrite on an O_APPEND file appends, whatever the offset. */
static ssize_t mf_pwrite(struct zrt_file *f, const void *buf, size_t n,
                         off_t off) {
  struct mnode *m = f->priv;
  return file_pwrite(m, buf, n,
                     (f->flags & O_APPEND) ? m->size : (uint64_t)off);
}

static off_t mf_lseek(struct zrt_file *f, off_t off, int whence) {
  struct mnode *m = f->priv;
  return zrt_file_lseek_sized(f, off, whence, m->size);
}

static int mf_fstat(struct zrt_file *f, struct stat *st) {
  struct mnode *m = f->priv;
  m_getattr(&m->v, st);
  return 0;
}

static int mf_ftruncate(struct zrt_file *f, off_t len) {
  return file_resize(f->priv, (uint64_t)len);
}

static void mf_release(struct zrt_file *f) { m_drop(f->priv); }

const struct zrt_file_ops zrt_memfs_file_ops = {
    .vnode_priv = true,
    .name = "memfs",
    .read = mf_read,
    .write = mf_write,
    .pread = mf_pread,
    .pwrite = mf_pwrite,
    .lseek = mf_lseek,
    .fstat = mf_fstat,
    .ftruncate = mf_ftruncate,
    .release = mf_release,
};

/* ---- mount ----------------------------------------------------------------- */

static void memfs_statfs(struct zrt_mount *m, struct zrt_statfs *sf) {
  struct memfs *fs = m->ctx;
  sf->f_blocks = fs->budget / ZRT_PAGE;
  sf->f_bfree = (fs->budget - fs->used) / ZRT_PAGE;
  sf->f_bavail = sf->f_bfree;
  sf->f_files = fs->files + sf->f_bfree;
  sf->f_ffree = sf->f_bfree;
}

int zrt_memfs_mount(size_t budget, struct zrt_mount **out) {
  struct memfs *fs = zrt_kalloc(sizeof(*fs));
  if (!fs)
    return -ENOMEM;
  fs->budget = budget;
  fs->next_ino = 2;
  fs->mnt.ctx = fs;
  fs->mnt.magic = ZRT_TMPFS_MAGIC;
  fs->mnt.statfs = memfs_statfs;
  fs->mnt.dev = zrt_vfs_next_dev();
  struct mnode *root = node_new(fs, S_IFDIR | 01777);
  if (!root) {
    zrt_kfree(fs, sizeof(*fs));
    return -ENOMEM;
  }
  root->links = 1;
  fs->mnt.root = &root->v;
  *out = &fs->mnt;
  return 0;
}
