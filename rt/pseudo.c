/*
 * The nodes of the pseudo file systems (pseudo.h): their lookups,
 * listings, attributes, link texts and opens, the text files made when
 * opened, and the directory of open descriptors.
 *
 * A descriptor's node exists only while a call uses it: a ring of
 * FDNODE_RING of them is reused (no call holds more than two paths).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "files_int.h"
#include "pseudo.h"
#include "rt.h"

#define FDNODE_RING 8
#define TEXT_MAX 1024

size_t zrt_pseudo_put_dec(char *p, uint64_t v) {
  char tmp[20];
  size_t n = 0;
  do {
    tmp[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  for (size_t i = 0; i < n; i++)
    p[i] = tmp[n - 1 - i];
  return n;
}

/* ---- text files ------------------------------------------------------- */

short zrt_pseudo_poll_ready(struct zrt_file *f, short events) {
  (void)f;
  return (short)(events & (POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM));
}

struct text_file {
  struct zrt_pnode *node;
  size_t len;
  char buf[TEXT_MAX];
};

static ssize_t text_pread(struct zrt_file *f, void *buf, size_t n, off_t off) {
  struct text_file *t = f->priv;
  if ((uint64_t)off >= t->len)
    return 0;
  size_t k = t->len - (size_t)off < n ? t->len - (size_t)off : n;
  memcpy(buf, t->buf + off, k);
  return (ssize_t)k;
}

static ssize_t text_read(struct zrt_file *f, void *buf, size_t n) {
  ssize_t r = text_pread(f, buf, n, f->pos);
  if (r > 0)
    f->pos += r;
  return r;
}

static off_t text_lseek(struct zrt_file *f, off_t off, int whence) {
  struct text_file *t = f->priv;
  return zrt_file_lseek_sized(f, off, whence, t->len);
}

static int text_fstat(struct zrt_file *f, struct stat *st) {
  struct text_file *t = f->priv;
  t->node->v.ops->getattr(&t->node->v, st);
  return 0;
}

static void text_release(struct zrt_file *f) {
  zrt_kfree(f->priv, sizeof(struct text_file));
}

static const struct zrt_file_ops text_ops = {
    .name = "proc", .read = text_read, .pread = text_pread,
    .lseek = text_lseek, .fstat = text_fstat, .poll = zrt_pseudo_poll_ready,
    .release = text_release};

static int text_open(struct zrt_pnode *p, int flags, struct zrt_file **out) {
  struct text_file *t = zrt_kalloc(sizeof(*t));
  if (!t)
    return -ENOMEM;
  t->node = p;
  t->len = p->make(t->buf, sizeof(t->buf));
  *out = zrt_file_new(&text_ops, flags, t);
  if (!*out) {
    zrt_kfree(t, sizeof(*t));
    return -ENOMEM;
  }
  return 0;
}

/* ---- the nodes ----------------------------------------------------------- */

static const struct zrt_vnode_ops pnode_ops;
static const struct zrt_vnode_ops fdlink_ops;
static struct zrt_pnode fdnodes[FDNODE_RING];
static unsigned fdnode_next;

static struct zrt_pnode *pnode_of(struct zrt_vnode *v) {
  return (struct zrt_pnode *)v;
}

/* The node of descriptor fd in the fd directory `dir`, from the ring. */
static struct zrt_pnode *fd_node(struct zrt_pnode *dir, int fd) {
  struct zrt_pnode *p = &fdnodes[fdnode_next++ % FDNODE_RING];
  memset(p, 0, sizeof(*p));
  p->v.ops = &fdlink_ops;
  p->v.mnt = dir->v.mnt;
  p->v.parent = &dir->v;
  p->v.mode = S_IFLNK | 0700;
  p->kind = ZRT_P_FDLINK;
  p->fd = fd;
  p->fdname[zrt_pseudo_put_dec(p->fdname, (uint64_t)fd)] = '\0';
  p->ino = 0x10000u + (uint64_t)fd;
  return p;
}

static bool fd_open(int fd) {
  return zrt_fd_file(fd) != NULL;
}

static int fd_parse(const char *name, size_t len) {
  if (len == 0 || len > 4 || (len > 1 && name[0] == '0'))
    return -1;
  int fd = 0;
  for (size_t i = 0; i < len; i++) {
    if (name[i] < '0' || name[i] > '9')
      return -1;
    fd = fd * 10 + (name[i] - '0');
  }
  return fd < ZRT_FD_MAX ? fd : -1;
}

static int p_lookup(struct zrt_vnode *dv, const char *name, size_t len,
                    struct zrt_vnode **out) {
  struct zrt_pnode *d = pnode_of(dv);
  if (d->kind == ZRT_P_FDDIR) {
    int fd = fd_parse(name, len);
    if (fd < 0 || !fd_open(fd))
      return -ENOENT;
    *out = &fd_node(d, fd)->v;
    return 0;
  }
  for (struct zrt_pnode **c = d->children; c && *c; c++)
    if ((*c)->v.namelen == len && memcmp((*c)->v.name, name, len) == 0) {
      *out = &(*c)->v;
      return 0;
    }
  return -ENOENT;
}

static unsigned char dtype_of(mode_t mode) {
  return (unsigned char)((mode & S_IFMT) >> 12);
}

static int p_readdir(struct zrt_vnode *dv, uint64_t n, struct zrt_dirent *e) {
  struct zrt_pnode *d = pnode_of(dv);
  if (d->kind == ZRT_P_FDDIR) {
    uint64_t seen = 0;
    for (int fd = 0; fd < ZRT_FD_MAX; fd++)
      if (fd_open(fd) && seen++ == n) {
        struct zrt_pnode *p = fd_node(d, fd);
        *e = (struct zrt_dirent){p->fdname, strlen(p->fdname), p->ino,
                                 ZRT_DT_LNK};
        return 0;
      }
    return -ENOENT;
  }
  for (uint64_t i = 0; d->children && d->children[i]; i++)
    if (i == n) {
      struct zrt_pnode *c = d->children[i];
      *e = (struct zrt_dirent){c->v.name, c->v.namelen, c->ino,
                               dtype_of(c->v.mode)};
      return 0;
    }
  return -ENOENT;
}

static void p_getattr(struct zrt_vnode *v, struct stat *st) {
  struct zrt_pnode *p = pnode_of(v);
  memset(st, 0, sizeof(*st));
  st->st_dev = v->mnt->dev;
  st->st_ino = (ino_t)p->ino;
  st->st_mode = v->mode;
  st->st_nlink = p->kind == ZRT_P_DIR || p->kind == ZRT_P_FDDIR ? 2 : 1;
  st->st_blksize = 4096;
  if (p->kind == ZRT_P_DEV)
    st->st_rdev = makedev(p->rmajor, p->rminor);
  if (p->kind == ZRT_P_LINK)
    st->st_size = (off_t)strlen(p->text);
  if (p->kind == ZRT_P_FDLINK)
    st->st_size = 64;
}

/* A descriptor's link text: Linux gives the file's path, which the
 * runtime does not keep; this gives the kind, as for a pipe. */
static int p_readlink(struct zrt_vnode *v, const char **text, size_t *len) {
  struct zrt_pnode *p = pnode_of(v);
  static char buf[48];
  if (p->kind == ZRT_P_LINK) {
    *text = p->text;
    *len = strlen(p->text);
    return 0;
  }
  if (p->kind != ZRT_P_FDLINK)
    return -EINVAL;
  struct zrt_file *f = zrt_fd_file(p->fd);
  const char *kind = f ? f->ops->name : "socket";
  size_t k = strlen(kind);
  if (k > 24)
    k = 24;
  /* A counted text (*len), not a string:
   * NOLINTBEGIN(bugprone-not-null-terminated-result) */
  memcpy(buf, kind, k);
  memcpy(buf + k, ":[", 2);
  /* NOLINTEND(bugprone-not-null-terminated-result) */
  k += 2;
  k += zrt_pseudo_put_dec(buf + k, (uint64_t)p->fd);
  buf[k++] = ']';
  *text = buf;
  *len = k;
  return 0;
}

static int p_open(struct zrt_vnode *v, int flags, struct zrt_file **out) {
  struct zrt_pnode *p = pnode_of(v);
  switch (p->kind) {
  case ZRT_P_DEV:
    *out = zrt_file_new(p->fops, flags, p);
    return *out ? 0 : -ENOMEM;
  case ZRT_P_TEXT:
    return text_open(p, flags, out);
  case ZRT_P_FDLINK: /* open(/proc/self/fd/N): a dup of N */
    *out = zrt_fd_file(p->fd);
    if (!*out)
      return -ENOENT;
    if ((*out)->ops->dup)
      return -ENXIO; /* one file per descriptor (a socket): as Linux */
    (*out)->refs++;
    return 0;
  default:
    return -ENXIO;
  }
}

static int p_jump(struct zrt_vnode *v, struct zrt_vnode **out) {
  struct zrt_pnode *p = pnode_of(v);
  struct zrt_file *f = zrt_fd_file(p->fd);
  struct zrt_vnode *d = f ? zrt_vfs_file_vnode(f) : NULL;
  if (!d)
    return -ENOTDIR;
  *out = d;
  return 0;
}

static const struct zrt_vnode_ops pnode_ops = {
    .lookup = p_lookup,
    .readdir = p_readdir,
    .getattr = p_getattr,
    .readlink = p_readlink,
    .open = p_open,
};

/* Magic links have a jump: the vfs looks for it to tell them apart. */
static const struct zrt_vnode_ops fdlink_ops = {
    .getattr = p_getattr,
    .readlink = p_readlink,
    .open = p_open,
    .jump = p_jump,
};

/* ---- mounts ------------------------------------------------------------- */

/* Give every node of the tree its ops, mount, parent, name length and
 * inode number (the tree is two levels deep: bounded).
 * NOLINTNEXTLINE(misc-no-recursion): depth <= 2 */
static void tree_init(struct zrt_pnode *d, struct zrt_pnode *parent,
                      struct zrt_mount *m, uint64_t *ino) {
  d->v.ops = &pnode_ops;
  d->v.mnt = m;
  d->v.parent = parent ? &parent->v : NULL;
  d->v.namelen = strlen(d->v.name);
  d->ino = (*ino)++;
  for (struct zrt_pnode **c = d->children; c && *c; c++)
    tree_init(*c, d, m, ino);
}

static void pseudo_statfs(struct zrt_mount *m, struct zrt_statfs *sf) {
  (void)m;
  sf->f_blocks = 0;
  sf->f_files = 64;
}

int zrt_pseudo_mount(struct zrt_pnode *root, long magic,
                     struct zrt_mount **out) {
  struct zrt_mount *m = zrt_kalloc(sizeof(*m));
  if (!m)
    return -ENOMEM;
  uint64_t ino = 1;
  tree_init(root, NULL, m, &ino);
  m->root = &root->v;
  m->dev = zrt_vfs_next_dev();
  m->magic = magic;
  m->statfs = pseudo_statfs;
  *out = m;
  return 0;
}
