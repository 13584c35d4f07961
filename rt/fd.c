/*
 * The descriptor table and the calls every descriptor shares (read,
 * write and their vectors and offsets, lseek, close, dup*, fcntl, ioctl,
 * fstat, ftruncate, fsync, getdents64, sendfile, flock).
 *
 * A descriptor is a slot of a fixed table of ZRT_FD_MAX: free, a file
 * (struct zrt_file, shared by dup unless its kind makes one per
 * descriptor: ops->dup), or reserved while a kind makes that file.  Each
 * slot has its close-on-exec bit.  The table names no kind of file: what
 * a kind does differently (a socket of libznet-posix keeps its own flags
 * and blocks by itself) is in its operations.
 *
 * Blocking: a file's op never blocks; it answers -EAGAIN and the handler
 * waits in zrt_io_wait and tries again unless the file is O_NONBLOCK
 * (the vector ops of a kind that waits by itself excepted: rt.h).  While
 * a handler may wait it holds a reference on the file, so a close by
 * another thread does not free it under the waiter.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include "files_int.h"
#include "mem.h"
#include "rt.h"
#include "sys_gen.h"
#include "znet/posix.h"

#define RW_MAX 0x7ffff000L   /* Linux's MAX_RW_COUNT */
#define SENDFILE_CHUNK 65536u

enum slot_kind { SLOT_FREE, SLOT_FILE, SLOT_RESERVED };

struct slot {
  struct zrt_file *file; /* SLOT_FILE */
  unsigned char kind;    /* enum slot_kind */
  bool cloexec;
};

static struct slot fds[ZRT_FD_MAX];

/* ---- files and slots ----------------------------------------------------- */

struct zrt_file *zrt_file_new(const struct zrt_file_ops *ops, int flags,
                              void *priv) {
  struct zrt_file *f = zrt_kalloc(sizeof(*f));
  if (!f)
    return NULL;
  f->ops = ops;
  f->refs = 1;
  f->flags = flags;
  f->pos = 0;
  f->priv = priv;
  return f;
}

void zrt_file_put(struct zrt_file *f) {
  ZN_ASSERT(f->refs > 0); /* else freed twice, or never held */
  if (--f->refs > 0)
    return;
  zrt_lock_release(f);
  if (f->ops->release)
    f->ops->release(f);
  zrt_kfree(f, sizeof(*f));
}

static bool fd_valid(int fd) { return fd >= 0 && fd < ZRT_FD_MAX; }

/* RLIMIT_NOFILE's soft limit (proc.c): no new descriptor at or above it;
 * those open already stay. */
static int fd_limit = ZRT_FD_MAX;

void zrt_fd_set_limit(unsigned long n) {
  fd_limit = n < ZRT_FD_MAX ? (int)n : ZRT_FD_MAX;
}

static bool under_limit(int fd) { return fd >= 0 && fd < fd_limit; }

static int lowest_free(int min) {
  for (int fd = min; fd < fd_limit; fd++)
    if (fds[fd].kind == SLOT_FREE)
      return fd;
  return -EMFILE;
}

static void slot_set_file(int fd, struct zrt_file *f, bool cloexec) {
  ZN_ASSERT(fds[fd].kind != SLOT_FILE && f->refs > 0); /* no file lost */
  fds[fd].kind = SLOT_FILE;
  fds[fd].file = f;
  fds[fd].cloexec = cloexec;
}

int zrt_fd_install(struct zrt_file *f, int min, bool cloexec) {
  if (min < 0 || min >= ZRT_FD_MAX)
    return -EINVAL;
  int fd = lowest_free(min);
  if (fd < 0)
    return fd;
  f->refs++;
  slot_set_file(fd, f, cloexec);
  return fd;
}

struct zrt_file *zrt_fd_file(int fd) {
  if (!fd_valid(fd) || fds[fd].kind != SLOT_FILE)
    return NULL;
  return fds[fd].file;
}

struct zrt_file *zrt_fd_get(int fd) {
  struct zrt_file *f = zrt_fd_file(fd);
  if (f)
    f->refs++;
  return f;
}

long zrt_fd_close(int fd) {
  if (!fd_valid(fd) || fds[fd].kind != SLOT_FILE)
    return -EBADF;
  struct zrt_file *f = fds[fd].file;
  ZN_ASSERT(f != NULL && f->refs > 0);
  fds[fd].kind = SLOT_FREE;
  fds[fd].file = NULL;
  if (f->ops->fd_closed)
    f->ops->fd_closed(f);
  zrt_lock_fd_closed(f);
  zrt_file_put(f);
  return 0;
}

/* ---- helpers of the kinds of files --------------------------------------- */

bool zrt_file_wait_again(struct zrt_file *f, long *r) {
  if (*r != -EAGAIN || (f->flags & O_NONBLOCK))
    return false;
  if (zrt_io_wait_local(ZRT_NO_DEADLINE) == -EINTR) {
    *r = -EINTR;
    return false;
  }
  return true;
}

off_t zrt_file_lseek_sized(struct zrt_file *f, off_t off, int whence,
                           uint64_t size) {
  int64_t base;
  switch (whence) {
  case SEEK_SET:
    base = 0;
    break;
  case SEEK_CUR:
    base = f->pos;
    break;
  case SEEK_END:
    base = (int64_t)size;
    break;
  case ZRT_SEEK_DATA: /* no holes: data wherever there are bytes */
  case ZRT_SEEK_HOLE:
    if (off < 0 || (uint64_t)off >= size)
      return -ENXIO;
    f->pos = whence == ZRT_SEEK_DATA ? off : (off_t)size;
    return f->pos;
  default:
    return -EINVAL;
  }
  if ((off > 0 && base > INT64_MAX - off) || base + off < 0)
    return -EINVAL;
  f->pos = base + off;
  return f->pos;
}

bool zrt_dirent_put(void *buf, size_t n, size_t *used,
                    const struct zrt_dirent *e, uint64_t next) {
  size_t reclen = (ZRT_DIRENT64_HEAD + e->len + 1 + 7) & ~(size_t)7;
  if (reclen > n - *used)
    return false;
  unsigned char *p = (unsigned char *)buf + *used;
  uint16_t rl = (uint16_t)reclen;
  int64_t off = (int64_t)next;
  memset(p, 0, reclen);
  memcpy(p, &e->ino, 8);
  memcpy(p + 8, &off, 8);
  memcpy(p + 16, &rl, 2);
  p[18] = e->type;
  memcpy(p + ZRT_DIRENT64_HEAD, e->name, e->len);
  *used += reclen;
  return true;
}

/* ---- read and write ------------------------------------------------------ */

static bool readable(const struct zrt_file *f) {
  int acc = f->flags & O_ACCMODE;
  return !(f->flags & ZRT_O_PATH) && (acc == O_RDONLY || acc == O_RDWR);
}

static bool writable(const struct zrt_file *f) {
  int acc = f->flags & O_ACCMODE;
  return !(f->flags & ZRT_O_PATH) && (acc == O_WRONLY || acc == O_RDWR);
}

static long file_read(struct zrt_file *f, void *buf, size_t n) {
  if (!readable(f))
    return -EBADF;
  if (!f->ops->read)
    return -EINVAL;
  if (n > RW_MAX)
    n = RW_MAX;
  long r;
  do
    r = f->ops->read(f, buf, n);
  while (zrt_file_wait_again(f, &r));
  return r;
}

/* A blocking write takes everything (a pipe's reader drains it); what was
 * written before an error or a wait that failed is the answer. */
static long file_write(struct zrt_file *f, const void *buf, size_t n) {
  if (!writable(f))
    return -EBADF;
  if (!f->ops->write)
    return -EINVAL;
  if (n > RW_MAX)
    n = RW_MAX;
  size_t done = 0;
  for (;;) {
    long r = f->ops->write(f, (const char *)buf + done, n - done);
    if (r > 0) {
      done += (size_t)r;
      if (done == n || (f->flags & O_NONBLOCK))
        return (long)done;
      continue;
    }
    if (r == 0 && n > 0) /* an op that can take nothing: no loop */
      return (long)done;
    if (zrt_file_wait_again(f, &r))
      continue;
    return done > 0 ? (long)done : r;
  }
}

/* One vector through a kind that moves vectors itself. */
static long one_vec(struct zrt_file *f, void *buf, size_t n, bool out) {
  struct iovec v = {buf, n > RW_MAX ? RW_MAX : n};
  if (!(out ? writable(f) : readable(f)))
    return -EBADF;
  return out ? f->ops->writev(f, &v, 1) : f->ops->readv(f, &v, 1);
}

long zrt_sys_read(int fd, void *buf, size_t n) {
  struct zrt_file *f = zrt_fd_get(fd);
  if (!f)
    return -EBADF;
  long r = f->ops->readv ? one_vec(f, buf, n, false) : file_read(f, buf, n);
  zrt_file_put(f);
  return r;
}

long zrt_sys_write(int fd, const void *buf, size_t n) {
  struct zrt_file *f = zrt_fd_get(fd);
  if (!f)
    return -EBADF;
  long r = f->ops->writev ? one_vec(f, (void *)(uintptr_t)buf, n, true)
                          : file_write(f, buf, n);
  zrt_file_put(f);
  return r;
}

/* The vector's total, clamped to what Linux moves at once; -EINVAL for a
 * bad count or a length that overflows. */
static long iov_total(const struct iovec *iov, int cnt) {
  if (cnt < 0 || cnt > ZRT_IOV_MAX)
    return -EINVAL;
  if (cnt > 0 && !iov)
    return -EFAULT;
  size_t total = 0;
  for (int i = 0; i < cnt; i++) {
    if (iov[i].iov_len > (size_t)INT64_MAX - total)
      return -EINVAL;
    total += iov[i].iov_len;
  }
  return total > (size_t)RW_MAX ? RW_MAX : (long)total;
}

/* Vectors over a file at its offset: the first piece may block, the rest
 * take what is there.  Up to ZRT_PIPE_BUF bytes are gathered into one write
 * so that a pipe gets them in one piece. */
static long file_readv(struct zrt_file *f, const struct iovec *iov, int cnt) {
  long total = 0;
  for (int i = 0; i < cnt; i++) {
    if (iov[i].iov_len == 0)
      continue;
    long r = total == 0 ? file_read(f, iov[i].iov_base, iov[i].iov_len)
                        : f->ops->read(f, iov[i].iov_base, iov[i].iov_len);
    if (r < 0)
      return total > 0 ? total : r;
    total += r;
    if ((size_t)r < iov[i].iov_len)
      break;
  }
  return total;
}

static long gather_write(struct zrt_file *f, const struct iovec *iov, int cnt,
                         size_t total) {
  char buf[ZRT_PIPE_BUF];
  size_t at = 0;
  for (int i = 0; i < cnt; i++) {
    memcpy(buf + at, iov[i].iov_base, iov[i].iov_len);
    at += iov[i].iov_len;
  }
  return file_write(f, buf, total);
}

static long file_writev(struct zrt_file *f, const struct iovec *iov, int cnt,
                        long total) {
  if (total <= ZRT_PIPE_BUF)
    return gather_write(f, iov, cnt, (size_t)total);
  long done = 0;
  for (int i = 0; i < cnt; i++) {
    if (iov[i].iov_len == 0)
      continue;
    long r = file_write(f, iov[i].iov_base, iov[i].iov_len);
    if (r < 0)
      return done > 0 ? done : r;
    done += r;
    if ((size_t)r < iov[i].iov_len)
      break;
  }
  return done;
}

long zrt_sys_readv(int fd, const void *iovp, int iovcnt) {
  const struct iovec *iov = iovp;
  long total = iov_total(iov, iovcnt);
  if (total < 0)
    return total;
  struct zrt_file *f = zrt_fd_get(fd);
  if (!f)
    return -EBADF;
  long r = !readable(f)      ? -EBADF
           : f->ops->readv   ? f->ops->readv(f, iov, iovcnt)
           : !f->ops->read   ? -EINVAL
                             : file_readv(f, iov, iovcnt);
  zrt_file_put(f);
  return r;
}

long zrt_sys_writev(int fd, const void *iovp, int iovcnt) {
  const struct iovec *iov = iovp;
  long total = iov_total(iov, iovcnt);
  if (total < 0)
    return total;
  struct zrt_file *f = zrt_fd_get(fd);
  if (!f)
    return -EBADF;
  long r = !writable(f)      ? -EBADF
           : f->ops->writev  ? f->ops->writev(f, iov, iovcnt)
           : !f->ops->write  ? -EINVAL
                             : file_writev(f, iov, iovcnt, total);
  zrt_file_put(f);
  return r;
}

/* ---- at an offset ---------------------------------------------------------- */

/* The file fd names for a positioned call: -EBADF, -ESPIPE (kinds
 * without offsets: pipes, sockets), -EINVAL (negative offset). */
static long positioned(int fd, off_t off, bool out, struct zrt_file **fp) {
  struct zrt_file *f = zrt_fd_file(fd);
  if (!f || !(out ? writable(f) : readable(f)))
    return -EBADF;
  if (out ? !f->ops->pwrite : !f->ops->pread)
    return -ESPIPE;
  if (off < 0)
    return -EINVAL;
  *fp = f;
  return 0;
}

long zrt_sys_pread64(int fd, void *buf, size_t n, off_t off) {
  struct zrt_file *f;
  long r = positioned(fd, off, false, &f);
  if (r < 0)
    return r;
  return f->ops->pread(f, buf, n > RW_MAX ? RW_MAX : n, off);
}

long zrt_sys_pwrite64(int fd, const void *buf, size_t n, off_t off) {
  struct zrt_file *f;
  long r = positioned(fd, off, true, &f);
  if (r < 0)
    return r;
  return f->ops->pwrite(f, buf, n > RW_MAX ? RW_MAX : n, off);
}

/* preadv and pwritev: the vectors one after the other at off, until
 * one moves less than it asked. */
static long positioned_v(int fd, const struct iovec *iov, int iovcnt,
                         off_t off, bool out) {
  struct zrt_file *f;
  long total = iov_total(iov, iovcnt);
  long r = total < 0 ? total : positioned(fd, off, out, &f);
  if (r < 0)
    return r;
  long done = 0;
  for (int i = 0; i < iovcnt; i++) {
    r = out ? f->ops->pwrite(f, iov[i].iov_base, iov[i].iov_len, off + done)
            : f->ops->pread(f, iov[i].iov_base, iov[i].iov_len, off + done);
    if (r < 0)
      return done > 0 ? done : r;
    done += r;
    if ((size_t)r < iov[i].iov_len)
      break;
  }
  return done;
}

long zrt_sys_preadv(int fd, const void *iovp, int iovcnt, off_t off,
                    long off_hi) {
  (void)off_hi; /* x86_64: the whole offset is in the low word */
  return positioned_v(fd, iovp, iovcnt, off, false);
}

long zrt_sys_pwritev(int fd, const void *iovp, int iovcnt, off_t off,
                     long off_hi) {
  (void)off_hi;
  return positioned_v(fd, iovp, iovcnt, off, true);
}

long zrt_sys_lseek(int fd, off_t off, int whence) {
  struct zrt_file *f = zrt_fd_file(fd);
  if (!f)
    return -EBADF;
  if (!f->ops->lseek)
    return -ESPIPE;
  return f->ops->lseek(f, off, whence);
}

/* ---- the descriptors themselves -------------------------------------------- */

long zrt_sys_close(int fd) { return zrt_fd_close(fd); }

/* newfd names what oldfd names (newfd is free or is freed first): the
 * same file, or the one its kind makes for newfd. */
static long dup_onto(int oldfd, int newfd, bool cloexec) {
  if (fds[newfd].kind == SLOT_FILE)
    (void)zrt_fd_close(newfd); /* its errors are not dup2's */
  struct zrt_file *f = fds[oldfd].file;
  if (!f->ops->dup) {
    f->refs++;
    slot_set_file(newfd, f, cloexec);
    return newfd;
  }
  struct zrt_file *nf = NULL;
  fds[newfd].kind = SLOT_RESERVED;
  long r = f->ops->dup(f, newfd, &nf);
  ZN_ASSERT(r < 0 || nf != NULL);
  fds[newfd].kind = SLOT_FREE;
  if (r < 0)
    return r;
  if (nf == NULL) /* a kind that said yes without a file (the assertion) */
    return -ENOMEM;
  slot_set_file(newfd, nf, cloexec); /* nf's reference is the slot's */
  return newfd;
}

static bool fd_open(int fd) { return fd_valid(fd) && fds[fd].kind == SLOT_FILE; }

static long dup_min(int oldfd, long min, bool cloexec) {
  if (!fd_open(oldfd))
    return -EBADF;
  if (min < 0 || min >= fd_limit)
    return -EINVAL;
  int newfd = lowest_free((int)min);
  if (newfd < 0)
    return newfd;
  return dup_onto(oldfd, newfd, cloexec);
}

long zrt_sys_dup(int fd) { return dup_min(fd, 0, false); }

long zrt_sys_dup2(int oldfd, int newfd) {
  if (!fd_open(oldfd))
    return -EBADF;
  if (!under_limit(newfd))
    return -EBADF;
  if (oldfd == newfd)
    return newfd;
  return dup_onto(oldfd, newfd, false);
}

long zrt_sys_dup3(int oldfd, int newfd, int flags) {
  if (flags & ~ZRT_O_CLOEXEC)
    return -EINVAL;
  if (oldfd == newfd)
    return -EINVAL;
  if (!fd_open(oldfd) || !under_limit(newfd))
    return -EBADF;
  return dup_onto(oldfd, newfd, (flags & ZRT_O_CLOEXEC) != 0);
}

/* ---- fcntl ----------------------------------------------------------------- */

#define SETFL_MASK (O_APPEND | O_NONBLOCK)

static long file_fcntl(struct zrt_file *f, int cmd, long arg) {
  if (f->ops->fcntl) {
    long r = f->ops->fcntl(f, cmd, arg);
    if (r != -ENOTTY)
      return r;
  }
  switch (cmd) {
  case F_GETFL:
    return f->flags;
  case F_SETFL:
    if (f->flags & ZRT_O_PATH)
      return -EBADF;
    f->flags = (f->flags & ~SETFL_MASK) | ((int)arg & SETFL_MASK);
    return 0;
  case F_GETLK:
  case F_SETLK:
  case F_SETLKW:
  case ZRT_F_OFD_GETLK:
  case ZRT_F_OFD_SETLK:
  case ZRT_F_OFD_SETLKW:
    return zrt_lock_fcntl(f, cmd, (struct flock *)(uintptr_t)arg);
  case ZRT_F_SETPIPE_SZ:
  case ZRT_F_GETPIPE_SZ:
    return -EBADF; /* not a pipe (a pipe's kind answers) */
  default:
    return -EINVAL;
  }
}

long zrt_sys_fcntl(int fd, int cmd, long arg) {
  if (!fd_open(fd))
    return -EBADF;
  switch (cmd) {
  case F_DUPFD:
    return dup_min(fd, arg, false);
  case ZRT_F_DUPFD_CLOEXEC:
    return dup_min(fd, arg, true);
  case F_GETFD:
    return fds[fd].cloexec ? FD_CLOEXEC : 0;
  case F_SETFD:
    fds[fd].cloexec = (arg & FD_CLOEXEC) != 0;
    return 0;
  default:
    break;
  }
  return file_fcntl(fds[fd].file, cmd, arg);
}

/* ---- ioctl ----------------------------------------------------------------- */

/* FIONREAD on a regular file: the bytes from the offset to the end. */
static long bytes_left(struct zrt_file *f, int *out) {
  struct stat st;
  if (!f->ops->fstat || f->ops->fstat(f, &st) < 0 || !S_ISREG(st.st_mode))
    return -ENOTTY;
  off_t left = st.st_size > f->pos ? st.st_size - f->pos : 0;
  *out = left > INT32_MAX ? INT32_MAX : (int)left;
  return 0;
}

static long file_ioctl(struct zrt_file *f, unsigned long req, void *arg) {
  if (f->flags & ZRT_O_PATH)
    return -EBADF;
  long r = f->ops->ioctl ? f->ops->ioctl(f, req, arg) : -ENOTTY;
  if (r != -ENOTTY)
    return r;
  if (req == ZRT_FIONBIO) {
    if (!arg)
      return -EFAULT;
    f->flags = *(int *)arg ? f->flags | O_NONBLOCK : f->flags & ~O_NONBLOCK;
    return 0;
  }
  if (req == ZRT_FIONREAD && arg)
    r = bytes_left(f, arg);
  return r;
}

long zrt_sys_ioctl(int fd, unsigned long req, void *arg) {
  if (!fd_open(fd))
    return -EBADF;
  if (req == ZRT_FIOCLEX || req == ZRT_FIONCLEX) {
    fds[fd].cloexec = req == ZRT_FIOCLEX;
    return 0;
  }
  return file_ioctl(fds[fd].file, req, arg);
}

/* ---- what a descriptor's file is ------------------------------------------- */

long zrt_sys_fstat(int fd, void *stp) {
  struct stat *st = stp;
  if (!st)
    return -EFAULT;
  struct zrt_file *f = zrt_fd_file(fd);
  if (!f)
    return -EBADF;
  if (!f->ops->fstat)
    return -EINVAL;
  memset(st, 0, sizeof(*st));
  return f->ops->fstat(f, st);
}

long zrt_sys_ftruncate(int fd, off_t len) {
  struct zrt_file *f = zrt_fd_file(fd);
  if (!f || (f->flags & ZRT_O_PATH))
    return -EBADF;
  if (len < 0 || !writable(f) || !f->ops->ftruncate)
    return -EINVAL;
  return f->ops->ftruncate(f, len);
}

long zrt_sys_fsync(int fd) {
  struct zrt_file *f = zrt_fd_file(fd);
  if (!f || (f->flags & ZRT_O_PATH))
    return -EBADF;
  if (f->ops->vnode_priv) {
    int r = zrt_mem_file_writeback(f->priv);
    if (r < 0)
      return r;
  }
  if (f->ops->fsync)
    return f->ops->fsync(f);
  struct stat st;
  if (!f->ops->fstat || f->ops->fstat(f, &st) < 0)
    return -EINVAL;
  return S_ISREG(st.st_mode) || S_ISDIR(st.st_mode) ? 0 : -EINVAL;
}

long zrt_sys_getdents64(int fd, void *buf, size_t n) {
  struct zrt_file *f = zrt_fd_file(fd);
  if (!f || (f->flags & ZRT_O_PATH))
    return -EBADF;
  if (!f->ops->getdents64)
    return -ENOTDIR;
  return f->ops->getdents64(f, buf, n > RW_MAX ? RW_MAX : n);
}

long zrt_sys_flock(int fd, int op) {
  struct zrt_file *f = zrt_fd_file(fd);
  if (!f || (f->flags & ZRT_O_PATH))
    return -EBADF;
  return zrt_lock_flock(f, op);
}

short zrt_fd_poll(int fd, short events) {
  struct zrt_file *f = zrt_fd_file(fd);
  if (!f)
    return POLLNVAL;
  if (f->ops->poll)
    return f->ops->poll(f, events);
  /* Files without a poll are always ready, as regular files are. */
  return (short)(events & (POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM));
}

long zrt_file_mmap_copy(int fd, void *dst, size_t len, off_t off) {
  struct zrt_file *f = zrt_fd_file(fd);
  if (!f)
    return -EBADF;
  if (!readable(f))
    return -EACCES;
  if (!f->ops->pread)
    return -ENODEV;
  if (off < 0)
    return -EINVAL;
  size_t done = 0;
  while (done < len) {
    size_t n = len - done > RW_MAX ? (size_t)RW_MAX : len - done;
    ssize_t r = f->ops->pread(f, (char *)dst + done, n, off + (off_t)done);
    if (r < 0)
      return r;
    if (r == 0)
      break;
    done += (size_t)r;
  }
  memset((char *)dst + done, 0, len - done);
  return (long)len;
}

/* ---- sendfile -------------------------------------------------------------- */

/* One piece to the target: through its kind's vector (a socket blocks
 * as it does), or the blocking write. */
static long send_piece(struct zrt_file *out, const void *buf, size_t n) {
  if (out->ops->writev)
    return one_vec(out, (void *)(uintptr_t)buf, n, true);
  return file_write(out, buf, n);
}

static long sendfile_check(struct zrt_file *in, struct zrt_file *out) {
  if (!in || !readable(in) || !out || !writable(out))
    return -EBADF;
  if (!in->ops->pread)
    return -EINVAL;
  if ((out->flags & O_APPEND) || (!out->ops->write && !out->ops->writev))
    return -EINVAL;
  return 0;
}

/* The two ends of zn_posix_sendfile_loop, over the files. */
static long sendfile_rd(void *ctx, void *buf, size_t n, off_t off) {
  struct zrt_file *in = ctx;
  return in->ops->pread(in, buf, n, off);
}

static long sendfile_wr(void *ctx, const void *buf, size_t n) {
  return send_piece(ctx, buf, n);
}

long zrt_sys_sendfile(int out_fd, int in_fd, off_t *off, size_t count) {
  struct zrt_file *in = zrt_fd_get(in_fd);
  struct zrt_file *out = zrt_fd_get(out_fd);
  long r = sendfile_check(in, out);
  off_t pos = off ? *off : in ? in->pos : 0;
  if (r == 0 && pos < 0)
    r = -EINVAL;
  if (r == 0) {
    if (count > (size_t)RW_MAX)
      count = (size_t)RW_MAX;
    char small[512];
    /* No bigger than the count: zrt_kalloc clears what it gives, and a
     * small file's sendfile (one per request) should not clear 64 KiB. */
    size_t want = count < SENDFILE_CHUNK ? (count ? count : 1) : SENDFILE_CHUNK;
    char *buf = zrt_kalloc(want);
    size_t bufsz = buf ? want : sizeof(small);
    r = zn_posix_sendfile_loop(sendfile_rd, in, sendfile_wr, out, &pos, count,
                               buf ? buf : small, bufsz);
    if (buf)
      zrt_kfree(buf, want);
    if (off)
      *off = pos;
    else
      in->pos = pos;
  }
  if (in)
    zrt_file_put(in);
  if (out)
    zrt_file_put(out);
  return r;
}
