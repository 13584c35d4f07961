/*
 * The console and /dev: the character devices (null, zero, full,
 * random, urandom, tty, console) and the links to the descriptors
 * (/dev/fd -> /proc/self/fd, /dev/stdin, /dev/stdout, /dev/stderr), a
 * fixed tree of pseudo nodes (pseudo.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "files_int.h"
#include "pseudo.h"
#include "rt.h"

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

static const struct zrt_file_ops console_ops = {
    .name = "console",
    .read = console_read,
    .write = console_write,
    .fstat = console_fstat,
    .ioctl = console_ioctl,
    .poll = zrt_pseudo_poll_ready,
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
  struct zrt_pnode *p = f->priv;
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

static const struct zrt_file_ops null_ops = {
    .name = "null", .read = null_read, .write = sink_write,
    .pread = null_pread, .pwrite = sink_pwrite, .lseek = dev_lseek,
    .fstat = dev_fstat, .poll = zrt_pseudo_poll_ready};
static const struct zrt_file_ops zero_ops = {
    .name = "zero", .read = zero_read, .write = sink_write,
    .pread = zero_pread, .pwrite = sink_pwrite, .lseek = dev_lseek,
    .fstat = dev_fstat, .poll = zrt_pseudo_poll_ready};
static const struct zrt_file_ops full_ops = {
    .name = "full", .read = zero_read, .write = full_write,
    .pread = zero_pread, .lseek = dev_lseek, .fstat = dev_fstat,
    .poll = zrt_pseudo_poll_ready};
static const struct zrt_file_ops random_ops = {
    .name = "random", .read = random_read, .write = sink_write,
    .lseek = dev_lseek, .fstat = dev_fstat, .poll = zrt_pseudo_poll_ready};
static const struct zrt_file_ops tty_ops = {
    .name = "console", .read = console_read, .write = console_write,
    .fstat = dev_fstat, .ioctl = console_ioctl, .poll = zrt_pseudo_poll_ready};

static struct zrt_pnode dev_null = DEV_NODE("null", &null_ops, 1, 3);
static struct zrt_pnode dev_zero = DEV_NODE("zero", &zero_ops, 1, 5);
static struct zrt_pnode dev_full = DEV_NODE("full", &full_ops, 1, 7);
static struct zrt_pnode dev_random = DEV_NODE("random", &random_ops, 1, 8);
static struct zrt_pnode dev_urandom = DEV_NODE("urandom", &random_ops, 1, 9);
static struct zrt_pnode dev_tty = DEV_NODE("tty", &tty_ops, 5, 0);
static struct zrt_pnode dev_console = DEV_NODE("console", &tty_ops, 5, 1);
static struct zrt_pnode dev_stdin = LINK_NODE("stdin", "/proc/self/fd/0");
static struct zrt_pnode dev_stdout = LINK_NODE("stdout", "/proc/self/fd/1");
static struct zrt_pnode dev_stderr = LINK_NODE("stderr", "/proc/self/fd/2");
static struct zrt_pnode dev_fd = LINK_NODE("fd", "/proc/self/fd");
/* Where mount.c puts a memfs, as Linux's /dev/shm is a tmpfs (shm_open,
 * sem_open). */
static struct zrt_pnode *dev_shm_kids[] = {NULL};
static struct zrt_pnode dev_shm = DIR_NODE("shm", dev_shm_kids);
static struct zrt_pnode *dev_kids[] = {
    &dev_console, &dev_fd, &dev_full, &dev_null, &dev_random, &dev_shm,
    &dev_stderr, &dev_stdin, &dev_stdout, &dev_tty, &dev_urandom, &dev_zero,
    NULL};
static struct zrt_pnode dev_root = DIR_NODE("dev", dev_kids);

int zrt_devfs_mount(struct zrt_mount **out) {
  return zrt_pseudo_mount(&dev_root, ZRT_DEVPTS_MAGIC, out);
}
