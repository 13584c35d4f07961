/*
 * The console, /dev and the small /proc.
 *
 * Both trees are fixed tables of pseudo nodes (struct pnode), made once
 * at mount: directories with their children, symlinks with their text,
 * character devices with their file ops, text files made when opened
 * (/proc/1/stat, /proc/cpuinfo), and the two dynamic parts: the
 * directory of open descriptors (/proc/1/fd) and its entries, magic
 * links whose open is a dup of the descriptor (as /dev/fd/N and
 * /proc/self/fd/N are, by way of the symlinks /dev/fd -> /proc/self/fd
 * and /proc/self -> 1).
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
#include "rt.h"

#define FDNODE_RING 8
#define TEXT_MAX 1024

enum pnode_kind { P_DIR, P_LINK, P_DEV, P_TEXT, P_FDDIR, P_FDLINK };

struct pnode {
  struct zrt_vnode v;
  enum pnode_kind kind;
  const char *text;                /* P_LINK: the target */
  const struct zrt_file_ops *fops; /* P_DEV */
  unsigned rmajor, rminor;         /* P_DEV */
  size_t (*make)(char *buf, size_t n); /* P_TEXT */
  struct pnode **children;         /* P_DIR, NULL-terminated */
  int fd;                          /* P_FDLINK */
  char fdname[12];                 /* P_FDLINK */
  uint64_t ino;
};

/* ---- the console ----------------------------------------------------------- */

static ssize_t console_read(struct zrt_file *f, void *buf, size_t n) {
  (void)f, (void)buf, (void)n;
  return 0; /* no input: end of file */
}

static ssize_t console_write(struct zrt_file *f, const void *buf, size_t n) {
  (void)f;
  zrt_plat_console(buf, n);
  return (ssize_t)n;
}

static int console_fstat(struct zrt_file *f, struct stat *st) {
  (void)f;
  st->st_mode = S_IFCHR | 0620;
  st->st_rdev = makedev(5, 1);
  st->st_nlink = 1;
  st->st_ino = 5;
  st->st_blksize = 1024;
  return 0;
}

/* Linux's struct winsize and the 60 bytes of struct termios (kernel ABI:
 * c_iflag, c_oflag, c_cflag, c_lflag, c_line, c_cc[19]). */
struct lx_winsize {
  /* cppcheck-suppress unusedStructMember ; the ABI's, copied out whole */
  unsigned short ws_row, ws_col, ws_xpixel, ws_ypixel;
};

static int console_ioctl(struct zrt_file *f, unsigned long req, void *arg) {
  (void)f;
  if (!arg && (req == ZRT_TIOCGWINSZ || req == ZRT_TCGETS))
    return -EFAULT;
  if (req == ZRT_TIOCGWINSZ) {
    struct lx_winsize ws = {24, 80, 0, 0};
    memcpy(arg, &ws, sizeof(ws));
    return 0;
  }
  if (req == ZRT_TCGETS) {
    /* A terminal in "cooked" mode: ONLCR|OPOST, CS8|CREAD, ECHO|ICANON. */
    uint32_t flags[4] = {0x100 /* ICRNL */, 0x5 /* OPOST|ONLCR */,
                         0xbf /* B38400|CS8|CREAD */, 0x8a3b};
    memset(arg, 0, 36);
    memcpy(arg, flags, sizeof(flags));
    return 0;
  }
  if (req == ZRT_FIONREAD) {
    if (!arg)
      return -EFAULT;
    *(int *)arg = 0;
    return 0;
  }
  return -ENOTTY;
}

static short console_poll(struct zrt_file *f, short events) {
  (void)f;
  return (short)(events & (POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM));
}

static const struct zrt_file_ops console_ops = {
    .name = "console",
    .read = console_read,
    .write = console_write,
    .fstat = console_fstat,
    .ioctl = console_ioctl,
    .poll = console_poll,
};

struct zrt_file *zrt_console_open(int flags) {
  return zrt_file_new(&console_ops, flags | ZRT_O_LARGEFILE, NULL);
}

void zrt_fd_init_console(void) {
  for (int fd = 0; fd < 3; fd++) {
    if (zrt_fd_file(fd))
      continue;
    /* Linux's descriptors 0-2 of a terminal are all O_RDWR; the
     * console's input is empty, so reading 1 or 2 gives end of file. */
    struct zrt_file *f = zrt_console_open(O_RDWR);
    if (!f)
      zrt_panic("no memory for the console's descriptors");
    int got = zrt_fd_install(f, fd, false);
    zrt_file_put(f);
    if (got != fd)
      zrt_panic("descriptor %d taken before the console", fd);
  }
}

/* ---- the character devices --------------------------------------------------- */

static int dev_fstat(struct zrt_file *f, struct stat *st) {
  struct pnode *p = f->priv;
  p->v.ops->getattr(&p->v, st);
  return 0;
}

static off_t dev_lseek(struct zrt_file *f, off_t off, int whence) {
  (void)off, (void)whence;
  f->pos = 0;
  return 0;
}

static ssize_t null_read(struct zrt_file *f, void *buf, size_t n) {
  (void)f, (void)buf, (void)n;
  return 0;
}

static ssize_t null_pread(struct zrt_file *f, void *buf, size_t n, off_t o) {
  (void)o;
  return null_read(f, buf, n);
}

static ssize_t sink_write(struct zrt_file *f, const void *buf, size_t n) {
  (void)f, (void)buf;
  return (ssize_t)n;
}

static ssize_t sink_pwrite(struct zrt_file *f, const void *buf, size_t n,
                           off_t o) {
  (void)o;
  return sink_write(f, buf, n);
}

static ssize_t zero_read(struct zrt_file *f, void *buf, size_t n) {
  (void)f;
  memset(buf, 0, n);
  return (ssize_t)n;
}

static ssize_t zero_pread(struct zrt_file *f, void *buf, size_t n, off_t o) {
  (void)o;
  return zero_read(f, buf, n);
}

static ssize_t full_write(struct zrt_file *f, const void *buf, size_t n) {
  (void)f, (void)buf, (void)n;
  return -ENOSPC;
}

static ssize_t random_read(struct zrt_file *f, void *buf, size_t n) {
  (void)f;
  zrt_random(buf, n);
  return (ssize_t)n;
}

static short dev_poll(struct zrt_file *f, short events) {
  (void)f;
  return (short)(events & (POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM));
}

static const struct zrt_file_ops null_ops = {
    .name = "null", .read = null_read, .write = sink_write,
    .pread = null_pread, .pwrite = sink_pwrite, .lseek = dev_lseek,
    .fstat = dev_fstat, .poll = dev_poll};
static const struct zrt_file_ops zero_ops = {
    .name = "zero", .read = zero_read, .write = sink_write,
    .pread = zero_pread, .pwrite = sink_pwrite, .lseek = dev_lseek,
    .fstat = dev_fstat, .poll = dev_poll};
static const struct zrt_file_ops full_ops = {
    .name = "full", .read = zero_read, .write = full_write,
    .pread = zero_pread, .lseek = dev_lseek, .fstat = dev_fstat,
    .poll = dev_poll};
static const struct zrt_file_ops random_ops = {
    .name = "random", .read = random_read, .write = sink_write,
    .lseek = dev_lseek, .fstat = dev_fstat, .poll = dev_poll};
static const struct zrt_file_ops tty_ops = {
    .name = "console", .read = console_read, .write = console_write,
    .fstat = dev_fstat, .ioctl = console_ioctl, .poll = console_poll};

/* ---- text files of /proc --------------------------------------------------- */

struct text_file {
  struct pnode *node;
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
    .lseek = text_lseek, .fstat = text_fstat, .poll = dev_poll,
    .release = text_release};

/* Decimal of v at p; the bytes written. */
static size_t put_dec(char *p, uint64_t v) {
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

/* /proc/1/stat: pid, comm, state, then the 49 numbers of proc(5), zero
 * but ppid 0, pgrp and session 1, one thread, the priority and nice of a
 * default process. */
static size_t make_stat(char *buf, size_t n) {
  static const char head[] = "1 (znet) R 0 1 1 0 -1 4194560 0 0 0 0 ";
  static const char rest[] = "0 0 0 0 20 0 1 0 ";
  size_t at = 0;
  if (n < 256)
    return 0;
  memcpy(buf, head, sizeof(head) - 1);
  at = sizeof(head) - 1;
  memcpy(buf + at, rest, sizeof(rest) - 1);
  at += sizeof(rest) - 1;
  at += put_dec(buf + at, zrt_plat_monotonic() / 10000000u); /* start */
  for (int i = 23; i <= 52; i++) {
    buf[at++] = ' ';
    buf[at++] = '0';
  }
  buf[at++] = '\n';
  return at;
}

static size_t make_cpuinfo(char *buf, size_t n) {
  static const char text[] = "processor\t: 0\nvendor_id\t: znet\n"
                             "model name\t: virtual CPU (Solo5)\n"
                             "cpu cores\t: 1\n\n";
  if (n < sizeof(text))
    return 0;
  memcpy(buf, text, sizeof(text) - 1);
  return sizeof(text) - 1;
}

static int text_open(struct pnode *p, int flags, struct zrt_file **out) {
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
static struct pnode fdnodes[FDNODE_RING];
static unsigned fdnode_next;

static struct pnode *pnode_of(struct zrt_vnode *v) {
  return (struct pnode *)v;
}

/* The node of descriptor fd in the fd directory `dir`, from the ring. */
static struct pnode *fd_node(struct pnode *dir, int fd) {
  struct pnode *p = &fdnodes[fdnode_next++ % FDNODE_RING];
  memset(p, 0, sizeof(*p));
  p->v.ops = &fdlink_ops;
  p->v.mnt = dir->v.mnt;
  p->v.parent = &dir->v;
  p->v.mode = S_IFLNK | 0700;
  p->kind = P_FDLINK;
  p->fd = fd;
  p->fdname[put_dec(p->fdname, (uint64_t)fd)] = '\0';
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
  struct pnode *d = pnode_of(dv);
  if (d->kind == P_FDDIR) {
    int fd = fd_parse(name, len);
    if (fd < 0 || !fd_open(fd))
      return -ENOENT;
    *out = &fd_node(d, fd)->v;
    return 0;
  }
  for (struct pnode **c = d->children; c && *c; c++)
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
  struct pnode *d = pnode_of(dv);
  if (d->kind == P_FDDIR) {
    uint64_t seen = 0;
    for (int fd = 0; fd < ZRT_FD_MAX; fd++)
      if (fd_open(fd) && seen++ == n) {
        struct pnode *p = fd_node(d, fd);
        *e = (struct zrt_dirent){p->fdname, strlen(p->fdname), p->ino,
                                 ZRT_DT_LNK};
        return 0;
      }
    return -ENOENT;
  }
  for (uint64_t i = 0; d->children && d->children[i]; i++)
    if (i == n) {
      struct pnode *c = d->children[i];
      *e = (struct zrt_dirent){c->v.name, c->v.namelen, c->ino,
                               dtype_of(c->v.mode)};
      return 0;
    }
  return -ENOENT;
}

static void p_getattr(struct zrt_vnode *v, struct stat *st) {
  struct pnode *p = pnode_of(v);
  memset(st, 0, sizeof(*st));
  st->st_dev = v->mnt->dev;
  st->st_ino = (ino_t)p->ino;
  st->st_mode = v->mode;
  st->st_nlink = p->kind == P_DIR || p->kind == P_FDDIR ? 2 : 1;
  st->st_blksize = 4096;
  if (p->kind == P_DEV)
    st->st_rdev = makedev(p->rmajor, p->rminor);
  if (p->kind == P_LINK)
    st->st_size = (off_t)strlen(p->text);
  if (p->kind == P_FDLINK)
    st->st_size = 64;
}

/* A descriptor's link text: Linux gives the file's path, which the
 * runtime does not keep; this gives the kind, as for a pipe. */
static int p_readlink(struct zrt_vnode *v, const char **text, size_t *len) {
  struct pnode *p = pnode_of(v);
  static char buf[48];
  if (p->kind == P_LINK) {
    *text = p->text;
    *len = strlen(p->text);
    return 0;
  }
  if (p->kind != P_FDLINK)
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
  k += put_dec(buf + k, (uint64_t)p->fd);
  buf[k++] = ']';
  *text = buf;
  *len = k;
  return 0;
}

static int p_open(struct zrt_vnode *v, int flags, struct zrt_file **out) {
  struct pnode *p = pnode_of(v);
  switch (p->kind) {
  case P_DEV:
    *out = zrt_file_new(p->fops, flags, p);
    return *out ? 0 : -ENOMEM;
  case P_TEXT:
    return text_open(p, flags, out);
  case P_FDLINK: /* open(/proc/self/fd/N): a dup of N */
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
  struct pnode *p = pnode_of(v);
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

/* ---- the trees ------------------------------------------------------------- */

#define DIR_NODE(n, kids) {.v = {.name = (n), .mode = S_IFDIR | 0755}, \
                           .kind = P_DIR, .children = (kids)}
#define LINK_NODE(n, t) {.v = {.name = (n), .mode = S_IFLNK | 0777}, \
                         .kind = P_LINK, .text = (t)}
#define DEV_NODE(n, ops, ma, mi) {.v = {.name = (n), \
                                        .mode = S_IFCHR | 0666}, \
                                  .kind = P_DEV, .fops = (ops), \
                                  .rmajor = (ma), .rminor = (mi)}
#define TEXT_NODE(n, fn) {.v = {.name = (n), .mode = S_IFREG | 0444}, \
                          .kind = P_TEXT, .make = (fn)}

static struct pnode dev_null = DEV_NODE("null", &null_ops, 1, 3);
static struct pnode dev_zero = DEV_NODE("zero", &zero_ops, 1, 5);
static struct pnode dev_full = DEV_NODE("full", &full_ops, 1, 7);
static struct pnode dev_random = DEV_NODE("random", &random_ops, 1, 8);
static struct pnode dev_urandom = DEV_NODE("urandom", &random_ops, 1, 9);
static struct pnode dev_tty = DEV_NODE("tty", &tty_ops, 5, 0);
static struct pnode dev_console = DEV_NODE("console", &tty_ops, 5, 1);
static struct pnode dev_stdin = LINK_NODE("stdin", "/proc/self/fd/0");
static struct pnode dev_stdout = LINK_NODE("stdout", "/proc/self/fd/1");
static struct pnode dev_stderr = LINK_NODE("stderr", "/proc/self/fd/2");
static struct pnode dev_fd = LINK_NODE("fd", "/proc/self/fd");
static struct pnode *dev_kids[] = {
    &dev_console, &dev_fd, &dev_full, &dev_null, &dev_random, &dev_stderr,
    &dev_stdin, &dev_stdout, &dev_tty, &dev_urandom, &dev_zero, NULL};
static struct pnode dev_root = DIR_NODE("dev", dev_kids);

static struct pnode proc_fd = {.v = {.name = "fd", .mode = S_IFDIR | 0500},
                               .kind = P_FDDIR};
static struct pnode proc_stat = TEXT_NODE("stat", make_stat);
static struct pnode *proc_pid_kids[] = {&proc_fd, &proc_stat, NULL};
static struct pnode proc_pid = DIR_NODE("1", proc_pid_kids);
static struct pnode proc_self = LINK_NODE("self", "1");
static struct pnode proc_cpuinfo = TEXT_NODE("cpuinfo", make_cpuinfo);
static struct pnode *proc_kids[] = {&proc_pid, &proc_cpuinfo, &proc_self,
                                    NULL};
static struct pnode proc_root = DIR_NODE("proc", proc_kids);

/* Give every node of the tree its ops, mount, parent, name length and
 * inode number (the tree is two levels deep: bounded).
 * NOLINTNEXTLINE(misc-no-recursion): depth <= 2 */
static void tree_init(struct pnode *d, struct pnode *parent,
                      struct zrt_mount *m, uint64_t *ino) {
  d->v.ops = &pnode_ops;
  d->v.mnt = m;
  d->v.parent = parent ? &parent->v : NULL;
  d->v.namelen = strlen(d->v.name);
  d->ino = (*ino)++;
  for (struct pnode **c = d->children; c && *c; c++)
    tree_init(*c, d, m, ino);
}

static void pseudo_statfs(struct zrt_mount *m, struct zrt_statfs *sf) {
  (void)m;
  sf->f_blocks = 0;
  sf->f_files = 64;
}

static int pseudo_mount(struct pnode *root, long magic,
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

int zrt_devfs_mount(struct zrt_mount **out) {
  return pseudo_mount(&dev_root, ZRT_DEVPTS_MAGIC, out);
}

int zrt_procfs_mount(struct zrt_mount **out) {
  return pseudo_mount(&proc_root, ZRT_PROC_MAGIC, out);
}
