/*
 * tarfs: the read-only root, a tar archive on a Solo5 block device
 * ("rootfs" unless znet-image names another) or inside the image itself
 * (znet-image --root); tar.c reads it.
 *
 * At mount the archive's headers are read once and an index is built in
 * memory: a node per entry (and per directory an entry implies: "a/b/c"
 * alone makes "a" and "a/b"), found by (parent, name) in one hash table
 * keyed with a random seed, the children of a directory in archive order
 * for getdents.  A node costs sizeof(struct tnode) (about 150 bytes on
 * x86_64) plus its name and a NUL, plus a symlink's text, plus 8 to 16
 * bytes of hash table; all of it from zrt_kalloc.  Duplicate names: the
 * last entry wins, as tar extraction does (but a non-empty directory is
 * not replaced by a file: tar cannot either).  Hard links share their
 * target's data.  What the index refuses is counted (struct tarfs_stats)
 * and logged once at mount.
 *
 * File data is read block by block (the Solo5 ABI reads one block per
 * call) through a cache of lines of LINE_MIN bytes or one block,
 * whichever is larger, evicting the least recently used: its number of
 * lines is a sixteenth of the memory zrt_kalloc has left at mount,
 * between CACHE_MIN_LINES and CACHE_MAX_LINES (64 KiB to 8 MiB with 4 KiB
 * lines), each line allocated when first used; so a 3 MB file sent again
 * and again is read from the device once when memory allows.  An archive
 * inside the image is already memory: it is read in place, no cache.
 *
 * Symlink targets are kept as text and resolved at lookup by vfs.c,
 * inside the image's root: ".." stops at "/", as in a chroot.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "files_int.h"
#include "rt.h"
#include "tar.h"

#define LINE_MIN 4096u
#define CACHE_MIN_LINES 16u
#define CACHE_MAX_LINES 2048u
#define HASH_MIN 64u

#define TARFS_COUNTERS(X)                                                     \
  X(nodes)               /* nodes in the index, the root included */          \
  X(implied_dirs)        /* directories made for a deeper name */             \
  X(replaced)            /* entries a later one with the same name replaced */\
  X(drop_parent_file)    /* a name under a file or symlink */                 \
  X(drop_dir_kept)       /* a non-directory over a non-empty directory */     \
  X(drop_link_target)    /* a hard link to no regular file before it */       \
  X(drop_nomem)          /* no memory for the node */                         \
  X(cache_hits)                                                               \
  X(cache_misses)

struct tarfs_stats {
#define TARFS_FIELD(name) uint64_t name;
  TARFS_COUNTERS(TARFS_FIELD)
#undef TARFS_FIELD
};

struct tnode {
  struct zrt_vnode v;
  struct tnode *hnext;                 /* hash chain */
  struct tnode *first, *last, *sibling; /* children, in archive order */
  struct tnode *cursor;                /* readdir's last answer ... */
  uint64_t cursor_n;                   /* ... and its index */
  char *link;                          /* symlink text (kalloc'd) */
  size_t linklen;
  char *text;                          /* /etc files: the data (kalloc'd) */
  uint64_t off;                        /* data: archive offset */
  uint64_t size;
  uint64_t ino;
  uint32_t uid, gid;
  uint32_t subdirs;
  int64_t mtime;
  char name[];
};

struct line {
  uint64_t tag; /* line number on the device */
  uint8_t *data;
  uint32_t hnext, prev, next; /* index + 1; 0: none */
  bool valid;
};

struct tarfs {
  struct zrt_mount mnt;
  struct tnode *root;
  struct tnode **tab;
  size_t tabsize, count;
  uint64_t seed;
  uint64_t next_ino;
  /* the device, or the archive in memory (mem: its first byte) */
  const uint8_t *mem;
  uint64_t handle, capacity, bsize;
  size_t linesz;
  struct line *lines;
  uint32_t nlines;
  uint32_t *buckets; /* nlines * 2 rounded up to a power of two */
  uint32_t nbuckets;
  uint32_t mru, lru; /* index + 1 */
  struct tarfs_stats stats;
};

static const struct zrt_vnode_ops tnode_ops;

static struct tarfs *fs_of(struct zrt_vnode *v) { return v->mnt->ctx; }
static struct tnode *tn(struct zrt_vnode *v) { return (struct tnode *)v; }

/* ---- the block cache ------------------------------------------------------- */

static uint32_t bucket_of(const struct tarfs *fs, uint64_t tag) {
  return (uint32_t)((tag * 0x9e3779b97f4a7c15ull) >> 40) & (fs->nbuckets - 1);
}

static void lru_unlink(struct tarfs *fs, uint32_t i) {
  struct line *l = &fs->lines[i - 1];
  if (l->prev)
    fs->lines[l->prev - 1].next = l->next;
  else
    fs->mru = l->next;
  if (l->next)
    fs->lines[l->next - 1].prev = l->prev;
  else
    fs->lru = l->prev;
  l->prev = l->next = 0;
}

static void lru_push(struct tarfs *fs, uint32_t i) {
  struct line *l = &fs->lines[i - 1];
  l->prev = 0;
  l->next = fs->mru;
  if (fs->mru)
    fs->lines[fs->mru - 1].prev = i;
  fs->mru = i;
  if (!fs->lru)
    fs->lru = i;
}

static void hash_remove(struct tarfs *fs, uint32_t i) {
  struct line *l = &fs->lines[i - 1];
  uint32_t *p = &fs->buckets[bucket_of(fs, l->tag)];
  while (*p && *p != i)
    p = &fs->lines[*p - 1].hnext;
  if (*p)
    *p = l->hnext;
  l->hnext = 0;
  l->valid = false;
}

static uint32_t line_find(struct tarfs *fs, uint64_t tag) {
  for (uint32_t i = fs->buckets[bucket_of(fs, tag)]; i;
       i = fs->lines[i - 1].hnext)
    if (fs->lines[i - 1].tag == tag)
      return i;
  return 0;
}

/* Fill line i with device line `tag`, a block per call (the blocks past
 * the device's end are zeroes). */
static int line_load(struct tarfs *fs, uint32_t i, uint64_t tag) {
  struct line *l = &fs->lines[i - 1];
  uint64_t base = tag * fs->linesz;
  for (size_t at = 0; at < fs->linesz; at += fs->bsize) {
    if (base + at >= fs->capacity) {
      memset(l->data + at, 0, fs->linesz - at);
      break;
    }
    if (zrt_plat_block_read(fs->handle, base + at, l->data + at,
                            (size_t)fs->bsize) < 0)
      return -EIO;
  }
  return 0;
}

/* A line to reuse: a never used one (its memory allocated now) if
 * memory allows, else the least recently used. */
static uint32_t line_victim(struct tarfs *fs) {
  for (uint32_t i = 1; i <= fs->nlines; i++) {
    struct line *l = &fs->lines[i - 1];
    if (!l->data && (l->data = zrt_kalloc(fs->linesz)) != NULL)
      return i;
    if (l->data && !l->valid)
      return i;
  }
  uint32_t v = fs->lru;
  if (v) {
    lru_unlink(fs, v);
    hash_remove(fs, v);
  }
  return v;
}

static uint8_t *line_get(struct tarfs *fs, uint64_t tag, int *err) {
  uint32_t i = line_find(fs, tag);
  if (i) {
    fs->stats.cache_hits++;
    lru_unlink(fs, i);
    lru_push(fs, i);
    return fs->lines[i - 1].data;
  }
  fs->stats.cache_misses++;
  i = line_victim(fs);
  if (!i) {
    *err = -ENOMEM;
    return NULL;
  }
  struct line *l = &fs->lines[i - 1];
  if ((*err = line_load(fs, i, tag)) < 0)
    return NULL; /* the line stays free (not valid, not listed) */
  l->tag = tag;
  l->valid = true;
  l->hnext = fs->buckets[bucket_of(fs, tag)];
  fs->buckets[bucket_of(fs, tag)] = i;
  lru_push(fs, i);
  return l->data;
}

/* n bytes at off, off + n within the device. */
static int dev_read(void *ctx, uint64_t off, void *buf, size_t n) {
  struct tarfs *fs = ctx;
  uint8_t *out = buf;
  if (fs->mem) {
    memcpy(out, fs->mem + off, n);
    return 0;
  }
  while (n > 0) {
    uint64_t tag = off / fs->linesz;
    size_t in = (size_t)(off % fs->linesz);
    size_t k = fs->linesz - in < n ? fs->linesz - in : n;
    int err = 0;
    uint8_t *d = line_get(fs, tag, &err);
    if (!d)
      return err;
    memcpy(out, d + in, k);
    out += k;
    off += k;
    n -= k;
  }
  return 0;
}

static uint32_t cache_lines(size_t linesz) {
  size_t n = zrt_kalloc_avail() / 16 / linesz;
  if (n < CACHE_MIN_LINES)
    n = CACHE_MIN_LINES;
  if (n > CACHE_MAX_LINES)
    n = CACHE_MAX_LINES;
  return (uint32_t)n;
}

static int cache_init(struct tarfs *fs) {
  fs->linesz = fs->bsize > LINE_MIN ? (size_t)fs->bsize : LINE_MIN;
  fs->linesz -= fs->linesz % fs->bsize;
  fs->nlines = cache_lines(fs->linesz);
  fs->nbuckets = 1;
  while (fs->nbuckets < fs->nlines * 2)
    fs->nbuckets <<= 1;
  fs->lines = zrt_kalloc(fs->nlines * sizeof(*fs->lines));
  fs->buckets = zrt_kalloc(fs->nbuckets * sizeof(*fs->buckets));
  if (!fs->lines || !fs->buckets)
    return -ENOMEM;
  return 0;
}

/* ---- the index ------------------------------------------------------------- */

static uint64_t name_hash(const struct tarfs *fs, const struct tnode *parent,
                          const char *name, size_t len) {
  uint64_t h = fs->seed ^ (uint64_t)(uintptr_t)parent;
  for (size_t i = 0; i < len; i++)
    h = (h ^ (unsigned char)name[i]) * 0x100000001b3ull;
  return h ^ (h >> 29);
}

static struct tnode *child_find(struct tarfs *fs, struct tnode *dir,
                                const char *name, size_t len) {
  uint64_t h = name_hash(fs, dir, name, len) & (fs->tabsize - 1);
  for (struct tnode *n = fs->tab[h]; n; n = n->hnext)
    if (n->v.parent == &dir->v && n->v.namelen == len &&
        memcmp(n->name, name, len) == 0)
      return n;
  return NULL;
}

static void hash_insert(struct tarfs *fs, struct tnode *n) {
  uint64_t h = name_hash(fs, tn(n->v.parent), n->name, n->v.namelen) &
               (fs->tabsize - 1);
  n->hnext = fs->tab[h];
  fs->tab[h] = n;
}

/* Double the table when it is three quarters full (false: no memory,
 * the table stays as it is, only its chains grow). */
static void hash_grow(struct tarfs *fs) {
  if (fs->count * 4 < fs->tabsize * 3)
    return;
  struct tnode **old = fs->tab;
  size_t oldsize = fs->tabsize;
  /* NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers */
  struct tnode **tab = zrt_kalloc(oldsize * 2 * sizeof(*tab));
  if (!tab)
    return;
  fs->tab = tab;
  fs->tabsize = oldsize * 2;
  for (size_t i = 0; i < oldsize; i++)
    for (struct tnode *n = old[i], *next; n; n = next) {
      next = n->hnext;
      hash_insert(fs, n);
    }
  /* NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers */
  zrt_kfree(old, oldsize * sizeof(*old));
}

static struct tnode *node_new(struct tarfs *fs, struct tnode *parent,
                              const char *name, size_t len, mode_t mode) {
  struct tnode *n = zrt_kalloc(sizeof(*n) + len + 1);
  if (!n) {
    fs->stats.drop_nomem++;
    return NULL;
  }
  memcpy(n->name, name, len);
  n->v.ops = &tnode_ops;
  n->v.mnt = &fs->mnt;
  n->v.parent = parent ? &parent->v : NULL;
  n->v.name = n->name;
  n->v.namelen = len;
  n->v.mode = mode;
  n->ino = fs->next_ino++;
  fs->stats.nodes++;
  if (!parent)
    return n;
  if (parent->last)
    parent->last->sibling = n;
  else
    parent->first = n;
  parent->last = n;
  if (S_ISDIR(mode))
    parent->subdirs++;
  fs->count++;
  hash_insert(fs, n);
  hash_grow(fs);
  return n;
}

/* The directory `name` in dir, made if missing: NULL if a non-directory
 * has the name (or no memory). */
static struct tnode *dir_step(struct tarfs *fs, struct tnode *dir,
                              const char *name, size_t len) {
  struct tnode *n = child_find(fs, dir, name, len);
  if (n)
    return S_ISDIR(n->v.mode) ? n : NULL;
  n = node_new(fs, dir, name, len, S_IFDIR | 0755);
  if (n)
    fs->stats.implied_dirs++;
  return n;
}

/* The directory holding path's last component (made as needed), and
 * that component. */
static struct tnode *parent_of(struct tarfs *fs, const char *path, size_t len,
                               const char **last, size_t *lastlen) {
  struct tnode *dir = fs->root;
  size_t s = 0;
  for (size_t i = 0; i <= len; i++) {
    if (i < len && path[i] != '/')
      continue;
    if (i == len) {
      *last = path + s;
      *lastlen = i - s;
      return dir;
    }
    dir = dir_step(fs, dir, path + s, i - s);
    if (!dir)
      return NULL;
    s = i + 1;
  }
  return dir;
}

static struct tnode *path_find(struct tarfs *fs, const char *path,
                               size_t len) {
  struct tnode *dir = fs->root;
  size_t s = 0;
  for (size_t i = 0; i <= len && dir; i++) {
    if (i < len && path[i] != '/')
      continue;
    dir = child_find(fs, dir, path + s, i - s);
    s = i + 1;
  }
  return dir;
}

static mode_t kind_mode(enum zrt_tar_kind k) {
  switch (k) {
  case ZRT_TAR_DIR:
    return S_IFDIR;
  case ZRT_TAR_SYMLINK:
    return S_IFLNK;
  default:
    return S_IFREG;
  }
}

/* Make n what e says (n is new, or an old node of the same name). */
static bool node_set(struct tarfs *fs, struct tnode *n,
                     const struct zrt_tar_entry *e, const struct tnode *data) {
  char *link = NULL;
  if (e->kind == ZRT_TAR_SYMLINK) {
    link = zrt_kalloc(e->link_len + 1);
    if (!link) {
      fs->stats.drop_nomem++;
      return false;
    }
    memcpy(link, e->link, e->link_len);
  }
  if (n->link)
    zrt_kfree(n->link, n->linklen + 1);
  n->link = link;
  n->linklen = link ? e->link_len : 0;
  n->v.mode = kind_mode(e->kind) | (mode_t)e->mode;
  n->off = data ? data->off : e->data_off;
  n->size = data ? data->size : e->size;
  n->text = data ? data->text : NULL;
  n->uid = e->uid;
  n->gid = e->gid;
  n->mtime = e->mtime;
  return true;
}

static void index_entry(struct tarfs *fs, const struct zrt_tar_entry *e) {
  const struct tnode *data = NULL;
  if (e->kind == ZRT_TAR_HARDLINK) {
    data = path_find(fs, e->link, e->link_len);
    if (!data || !S_ISREG(data->v.mode)) {
      fs->stats.drop_link_target++;
      return;
    }
  }
  if (e->name_len == 0) { /* "./": the root's own mode and time */
    (void)node_set(fs, fs->root, e, NULL);
    return;
  }
  const char *last = NULL;
  size_t lastlen = 0;
  struct tnode *dir = parent_of(fs, e->name, e->name_len, &last, &lastlen);
  if (!dir) {
    fs->stats.drop_parent_file++;
    return;
  }
  struct tnode *n = child_find(fs, dir, last, lastlen);
  mode_t kind = kind_mode(e->kind);
  if (n && S_ISDIR(n->v.mode) && kind != S_IFDIR && n->first) {
    fs->stats.drop_dir_kept++;
    return;
  }
  if (n && S_ISDIR(n->v.mode) != (kind == S_IFDIR))
    tn(n->v.parent)->subdirs += kind == S_IFDIR ? 1u : (uint32_t)-1;
  if (n)
    fs->stats.replaced++;
  else
    n = node_new(fs, dir, last, lastlen, kind);
  if (n)
    (void)node_set(fs, n, e, data);
}

static void log_stats(const struct tarfs *fs, const struct zrt_tar *t) {
  zrt_log("tarfs: %lu entries, %lu nodes (%lu implied directories), "
          "%lu replaced",
          (unsigned long)t->stats.entries, (unsigned long)fs->stats.nodes,
          (unsigned long)fs->stats.implied_dirs,
          (unsigned long)fs->stats.replaced);
#define TAR_LOG(name)                                                         \
  if (t->stats.name && #name[0] == 'd')                                       \
    zrt_log("tarfs: %lu entries dropped: %s", (unsigned long)t->stats.name,   \
            #name);
  ZRT_TAR_COUNTERS(TAR_LOG)
#undef TAR_LOG
#define FS_LOG(name)                                                          \
  if (fs->stats.name && #name[0] == 'd')                                      \
    zrt_log("tarfs: %lu entries dropped: %s", (unsigned long)fs->stats.name,  \
            #name);
  TARFS_COUNTERS(FS_LOG)
#undef FS_LOG
}

static int index_build(struct tarfs *fs) {
  struct zrt_tar *t = zrt_kalloc(sizeof(*t));
  if (!t)
    return -ENOMEM;
  zrt_tar_init(t, dev_read, fs, fs->capacity);
  struct zrt_tar_entry e;
  int r;
  while ((r = zrt_tar_next(t, &e)) > 0)
    index_entry(fs, &e);
  log_stats(fs, t);
  zrt_kfree(t, sizeof(*t));
  return r;
}

/* ---- vnode ops ------------------------------------------------------------- */

static int t_lookup(struct zrt_vnode *dir, const char *name, size_t len,
                    struct zrt_vnode **out) {
  struct tnode *n = child_find(fs_of(dir), tn(dir), name, len);
  if (!n)
    return -ENOENT;
  *out = &n->v;
  return 0;
}

static int t_readdir(struct zrt_vnode *dir, uint64_t n,
                     struct zrt_dirent *e) {
  struct tnode *d = tn(dir);
  struct tnode *c = d->first;
  uint64_t i = 0;
  if (d->cursor && d->cursor_n <= n) { /* getdents goes forward */
    c = d->cursor;
    i = d->cursor_n;
  }
  for (; c && i < n; i++)
    c = c->sibling;
  if (!c)
    return -ENOENT;
  d->cursor = c;
  d->cursor_n = n;
  *e = (struct zrt_dirent){c->name, c->v.namelen, c->ino,
                           (unsigned char)((c->v.mode & S_IFMT) >> 12)};
  return 0;
}

static void t_getattr(struct zrt_vnode *v, struct stat *st) {
  struct tnode *n = tn(v);
  memset(st, 0, sizeof(*st));
  st->st_dev = v->mnt->dev;
  st->st_ino = (ino_t)n->ino;
  st->st_mode = v->mode;
  st->st_nlink = S_ISDIR(v->mode) ? 2 + n->subdirs : 1;
  st->st_uid = n->uid;
  st->st_gid = n->gid;
  st->st_size = (off_t)(S_ISLNK(v->mode)  ? n->linklen
                        : S_ISDIR(v->mode) ? 4096
                                           : n->size);
  st->st_blksize = 4096;
  st->st_blocks = (blkcnt_t)((n->size + 511) / 512);
  st->st_mtim.tv_sec = n->mtime;
  st->st_atim = st->st_mtim;
  st->st_ctim = st->st_mtim;
}

static int t_readlink(struct zrt_vnode *v, const char **text, size_t *len) {
  struct tnode *n = tn(v);
  if (!S_ISLNK(v->mode))
    return -EINVAL;
  *text = n->link;
  *len = n->linklen;
  return 0;
}

static int t_open(struct zrt_vnode *v, int flags, struct zrt_file **out) {
  if (!S_ISREG(v->mode))
    return -ENXIO;
  *out = zrt_file_new(&zrt_tarfs_file_ops, flags, v);
  return *out ? 0 : -ENOMEM;
}

/* A mount point in the read-only tree: the directory, made if missing. */
static int t_mount_point(struct zrt_vnode *dir, const char *name,
                         struct zrt_vnode **out) {
  struct tarfs *fs = fs_of(dir);
  struct tnode *n = child_find(fs, tn(dir), name, strlen(name));
  if (n && !S_ISDIR(n->v.mode))
    return -ENOTDIR;
  if (!n)
    n = node_new(fs, tn(dir), name, strlen(name), S_IFDIR | 0755);
  if (!n)
    return -ENOMEM;
  *out = &n->v;
  return 0;
}

/* A text the archive lacks (an /etc file), read-only, unless the name
 * is taken. */
static int t_add_text(struct zrt_vnode *dir, const char *name,
                      const char *text, size_t len) {
  struct tarfs *fs = fs_of(dir);
  if (child_find(fs, tn(dir), name, strlen(name)))
    return -EEXIST;
  char *copy = zrt_kalloc(len + 1);
  struct tnode *n =
      copy ? node_new(fs, tn(dir), name, strlen(name), S_IFREG | 0644) : NULL;
  if (!n) {
    if (copy)
      zrt_kfree(copy, len + 1);
    return -ENOMEM;
  }
  memcpy(copy, text, len);
  n->text = copy;
  n->size = len;
  n->mtime = (int64_t)(zrt_plat_wall() / 1000000000u);
  return 0;
}

static const struct zrt_vnode_ops tnode_ops = {
    .lookup = t_lookup,
    .readdir = t_readdir,
    .getattr = t_getattr,
    .readlink = t_readlink,
    .open = t_open,
    .mount_point = t_mount_point,
    .add_text = t_add_text,
};

/* ---- file ops -------------------------------------------------------------- */

static ssize_t tf_pread(struct zrt_file *f, void *buf, size_t n, off_t off) {
  struct tnode *t = f->priv;
  if ((uint64_t)off >= t->size)
    return 0;
  if (n > t->size - (uint64_t)off)
    n = (size_t)(t->size - (uint64_t)off);
  if (t->text) {
    memcpy(buf, t->text + off, n);
    return (ssize_t)n;
  }
  int r = dev_read(fs_of(&t->v), t->off + (uint64_t)off, buf, n);
  return r < 0 ? r : (ssize_t)n;
}

static ssize_t tf_read(struct zrt_file *f, void *buf, size_t n) {
  ssize_t r = tf_pread(f, buf, n, f->pos);
  if (r > 0)
    f->pos += r;
  return r;
}

static off_t tf_lseek(struct zrt_file *f, off_t off, int whence) {
  struct tnode *t = f->priv;
  return zrt_file_lseek_sized(f, off, whence, t->size);
}

static int tf_fstat(struct zrt_file *f, struct stat *st) {
  struct tnode *t = f->priv;
  t_getattr(&t->v, st);
  return 0;
}

const struct zrt_file_ops zrt_tarfs_file_ops = {
    .vnode_priv = true,
    .name = "tarfs",
    .read = tf_read,
    .pread = tf_pread,
    .lseek = tf_lseek,
    .fstat = tf_fstat,
};

/* ---- mount ----------------------------------------------------------------- */

static void tarfs_statfs(struct zrt_mount *m, struct zrt_statfs *sf) {
  struct tarfs *fs = m->ctx;
  sf->f_blocks = fs->capacity / 4096;
  sf->f_files = fs->stats.nodes;
}

static struct tarfs *tarfs_new(void) {
  struct tarfs *fs = zrt_kalloc(sizeof(*fs));
  if (!fs)
    return NULL;
  fs->tabsize = HASH_MIN;
  /* NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers */
  fs->tab = zrt_kalloc(HASH_MIN * sizeof(*fs->tab));
  zrt_random(&fs->seed, sizeof(fs->seed));
  fs->next_ino = 2;
  fs->mnt.ctx = fs;
  fs->mnt.readonly = true;
  fs->mnt.magic = ZRT_RAMFS_MAGIC;
  fs->mnt.statfs = tarfs_statfs;
  fs->mnt.dev = zrt_vfs_next_dev();
  fs->root = fs->tab ? node_new(fs, NULL, "", 0, S_IFDIR | 0755) : NULL;
  if (!fs->root) {
    if (fs->tab)
      /* NOLINTNEXTLINE(bugprone-sizeof-expression): as above */
      zrt_kfree(fs->tab, HASH_MIN * sizeof(*fs->tab));
    zrt_kfree(fs, sizeof(*fs));
    return NULL;
  }
  fs->mnt.root = &fs->root->v;
  return fs;
}

static int device_open(struct tarfs *fs, const char *blockdev) {
  if (zrt_plat_block_open(blockdev, &fs->handle, &fs->capacity, &fs->bsize) <
      0) {
    zrt_log("tarfs: no block device \"%s\": the root is empty", blockdev);
    return -ENODEV;
  }
  if (fs->bsize == 0 || fs->bsize > (1u << 20) || fs->bsize % 512) {
    zrt_log("tarfs: block device \"%s\" has blocks of %lu bytes: the root "
            "is empty", blockdev, (unsigned long)fs->bsize);
    return -EINVAL;
  }
  if (cache_init(fs) < 0) {
    zrt_log("tarfs: no memory for the block cache: the root is empty");
    return -ENOMEM;
  }
  return 0;
}

/* The archive in memory: whole blocks of it (a tar archive is). */
static int archive_open(struct tarfs *fs, const void *data, size_t len) {
  fs->mem = data;
  fs->capacity = len - len % ZRT_TAR_BLOCK;
  fs->bsize = ZRT_TAR_BLOCK;
  return 0;
}

/* The root over the device or the archive (data, len) opened; the
 * index of what it holds. */
static int tarfs_mount(const char *blockdev, const void *data, size_t len,
                       struct zrt_mount **out) {
  struct tarfs *fs = tarfs_new();
  *out = fs ? &fs->mnt : NULL;
  if (!fs) {
    zrt_log("tarfs: no memory for the root");
    return -ENOMEM;
  }
  int r = blockdev ? device_open(fs, blockdev)
          : data   ? archive_open(fs, data, len)
                   : -ENODEV;
  if (r < 0)
    return r;
  r = index_build(fs);
  if (r < 0)
    zrt_log("tarfs: reading \"%s\" failed (%d): the root has what was read "
            "before", blockdev ? blockdev : "the image's archive", r);
  return r;
}

int zrt_tarfs_mount(const char *blockdev, struct zrt_mount **out) {
  return tarfs_mount(blockdev, NULL, 0, out);
}

int zrt_tarfs_mount_archive(const void *data, size_t len,
                            struct zrt_mount **out) {
  return tarfs_mount(NULL, data, len, out);
}

