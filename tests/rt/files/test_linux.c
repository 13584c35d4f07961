/*
 * The files' handlers against Linux's answers: each table of calls runs
 * once against the kernel, in a child process, on a directory of the
 * host, and once against rt/'s handlers, over a tar of the same
 * directory (the read-only root) or over memfs (a writable tree).  Each
 * call's result is written as a line (an errno's name, or what it
 * returned: bytes read, a stat's type, permission bits and size, a
 * listing's sorted names) and the two columns must be equal.
 *
 * The read-only table runs the kernel's side on a read-only bind mount
 * of the directory in a mount namespace of its own (unshare, so root;
 * without it the case is skipped).  Not compared: inode and device
 * numbers, times, a directory's size and link count (file system
 * specific), descriptor numbers (a step keeps them in registers).
 */

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "files_abi.h"
#include "host.h"
#include "rt.h"
#include "sys_gen.h"
#include "zt.h"

enum op {
  OPEN, CLOSE, READ, WRITE, PREAD, LSEEK, STAT, LSTAT, READLINK, LIST,
  MKDIR, RENAME, UNLINK, RMDIR, SYMLINK, LINK, PIPE2, DUP2, GETFL, GETFD,
  EVENTFD, READ8, WRITE8, FTRUNC, ACCESS, RENAME2, CHDIR_LIST,
};

struct step {
  enum op op;
  const char *a, *b; /* paths (relative to the tree) or data */
  long x, y;         /* flags, sizes, offsets */
  int r, s;          /* registers: r the descriptor used or made */
};

/* The calls, two ways. */
struct sys {
  long (*openat)(const char *p, int fl, mode_t m);
  long (*close)(int fd);
  long (*read)(int fd, void *b, size_t n);
  long (*write)(int fd, const void *b, size_t n);
  long (*pread)(int fd, void *b, size_t n, off_t o);
  long (*lseek)(int fd, off_t o, int w);
  long (*stat)(const char *p, struct stat *st, int fl);
  long (*readlink)(const char *p, char *b, size_t n);
  long (*getdents)(int fd, void *b, size_t n);
  long (*mkdir)(const char *p, mode_t m);
  long (*rename)(const char *a, const char *b, unsigned fl);
  long (*unlink)(const char *p, int fl);
  long (*symlink)(const char *t, const char *p);
  long (*link)(const char *a, const char *b);
  long (*pipe2)(int *p, int fl);
  long (*dup2)(int a, int b);
  long (*fcntl)(int fd, int cmd, long arg);
  long (*eventfd)(unsigned v, int fl);
  long (*ftruncate)(int fd, off_t n);
  long (*access)(const char *p, int m);
};

static long sc(long r) { return r < 0 ? -errno : r; }

static long k_openat(const char *p, int fl, mode_t m) {
  return sc(syscall(SYS_openat, AT_FDCWD, p, fl, m));
}
static long k_close(int fd) { return sc(syscall(SYS_close, fd)); }
static long k_read(int fd, void *b, size_t n) {
  return sc(syscall(SYS_read, fd, b, n));
}
static long k_write(int fd, const void *b, size_t n) {
  return sc(syscall(SYS_write, fd, b, n));
}
static long k_pread(int fd, void *b, size_t n, off_t o) {
  return sc(syscall(SYS_pread64, fd, b, n, o));
}
static long k_lseek(int fd, off_t o, int w) {
  return sc(syscall(SYS_lseek, fd, o, w));
}
static long k_stat(const char *p, struct stat *st, int fl) {
  return sc(syscall(SYS_newfstatat, AT_FDCWD, p, st, fl));
}
static long k_readlink(const char *p, char *b, size_t n) {
  return sc(syscall(SYS_readlinkat, AT_FDCWD, p, b, n));
}
static long k_getdents(int fd, void *b, size_t n) {
  return sc(syscall(SYS_getdents64, fd, b, n));
}
static long k_mkdir(const char *p, mode_t m) {
  return sc(syscall(SYS_mkdirat, AT_FDCWD, p, m));
}
static long k_rename(const char *a, const char *b, unsigned fl) {
  return sc(syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b, fl));
}
static long k_unlink(const char *p, int fl) {
  return sc(syscall(SYS_unlinkat, AT_FDCWD, p, fl));
}
static long k_symlink(const char *t, const char *p) {
  return sc(syscall(SYS_symlinkat, t, AT_FDCWD, p));
}
static long k_link(const char *a, const char *b) {
  return sc(syscall(SYS_linkat, AT_FDCWD, a, AT_FDCWD, b, 0));
}
static long k_pipe2(int *p, int fl) { return sc(syscall(SYS_pipe2, p, fl)); }
static long k_dup2(int a, int b) { return sc(syscall(SYS_dup2, a, b)); }
static long k_fcntl(int fd, int cmd, long arg) {
  return sc(syscall(SYS_fcntl, fd, cmd, arg));
}
static long k_eventfd(unsigned v, int fl) {
  return sc(syscall(SYS_eventfd2, v, fl));
}
static long k_ftruncate(int fd, off_t n) {
  return sc(syscall(SYS_ftruncate, fd, n));
}
static long k_access(const char *p, int m) {
  return sc(syscall(SYS_faccessat, AT_FDCWD, p, m));
}

static const struct sys kernel = {
    k_openat, k_close,  k_read,    k_write,   k_pread, k_lseek, k_stat,
    k_readlink, k_getdents, k_mkdir, k_rename, k_unlink, k_symlink, k_link,
    k_pipe2,  k_dup2,   k_fcntl,   k_eventfd, k_ftruncate, k_access};

static long z_openat(const char *p, int fl, mode_t m) {
  return zrt_sys_openat(ZRT_AT_FDCWD, p, fl, m);
}
static long z_stat(const char *p, struct stat *st, int fl) {
  return zrt_sys_newfstatat(ZRT_AT_FDCWD, p, st, fl);
}
static long z_readlink(const char *p, char *b, size_t n) {
  return zrt_sys_readlinkat(ZRT_AT_FDCWD, p, b, n);
}
static long z_rename(const char *a, const char *b, unsigned fl) {
  return zrt_sys_renameat2(ZRT_AT_FDCWD, a, ZRT_AT_FDCWD, b, fl);
}
static long z_unlink(const char *p, int fl) {
  return zrt_sys_unlinkat(ZRT_AT_FDCWD, p, fl);
}
static long z_eventfd(unsigned v, int fl) { return zrt_sys_eventfd2(v, fl); }

static const struct sys ours = {
    z_openat, zrt_sys_close, zrt_sys_read, zrt_sys_write, zrt_sys_pread64,
    zrt_sys_lseek, z_stat, z_readlink, zrt_sys_getdents64, zrt_sys_mkdir,
    z_rename, z_unlink, zrt_sys_symlink, zrt_sys_link, zrt_sys_pipe2,
    zrt_sys_dup2, zrt_sys_fcntl, z_eventfd, zrt_sys_ftruncate,
    zrt_sys_access};

/* ---- running a table ----------------------------------------------------- */

#define MAX_STEPS 80
#define LINE 160

static void path_of(char *out, const char *prefix, const char *rel) {
  snprintf(out, 4096, "%s/%s", prefix, rel);
}

static int by_name(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The sorted names of a directory, by getdents64 64 bytes at a time. */
static void list(const struct sys *s, const char *path, char *out) {
  long fd = s->openat(path, O_RDONLY | O_DIRECTORY, 0);
  if (fd < 0) {
    snprintf(out, LINE, "%s", strerrorname_np((int)-fd));
    return;
  }
  static char names[32][64];
  char *sorted[32], buf[4096];
  int k = 0;
  long r;
  while ((r = s->getdents((int)fd, buf, 64)) > 0)
    for (long at = 0; at < r;) {
      unsigned short reclen;
      memcpy(&reclen, buf + at + 16, 2);
      if (k < 32) {
        snprintf(names[k], 64, "%s", buf + at + 19);
        sorted[k] = names[k];
        k++;
      }
      at += reclen;
    }
  s->close((int)fd);
  qsort(sorted, (size_t)k, sizeof(*sorted), by_name);
  out[0] = 0;
  for (int i = 0; i < k; i++) {
    strncat(out, sorted[i], LINE - strlen(out) - 2);
    strcat(out, " ");
  }
}

static void stat_line(const struct stat *st, char *out) {
  if (S_ISDIR(st->st_mode))
    snprintf(out, LINE, "dir %04o", st->st_mode & 07777);
  else
    snprintf(out, LINE, "%s %04o size %ld nlink %lu",
             S_ISLNK(st->st_mode) ? "link" : S_ISREG(st->st_mode) ? "file"
                                                                  : "other",
             st->st_mode & 07777, (long)st->st_size,
             (unsigned long)st->st_nlink);
}

/* One step: its line. */
static void one(const struct sys *s, const char *prefix, const struct step *t,
                int *reg, char *out) {
  char pa[4096], pb[4096], buf[256];
  struct stat st;
  long r = 0;
  path_of(pa, prefix, t->a ? t->a : "");
  path_of(pb, prefix, t->b ? t->b : "");
  int fd = t->r >= 0 ? reg[t->r] : -1;
  uint64_t v8 = (uint64_t)t->x;
  switch (t->op) {
  case OPEN:
    r = s->openat(pa, (int)t->x, (mode_t)t->y);
    if (r >= 0)
      reg[t->r] = (int)r, r = 0;
    break;
  case CLOSE: r = s->close(fd); break;
  case READ:
    r = s->read(fd, buf, (size_t)t->x);
    if (r > 0) {
      snprintf(out, LINE, "read %ld: %.*s", r, (int)r, buf);
      return;
    }
    break;
  case WRITE: r = s->write(fd, t->a, strlen(t->a)); break;
  case PREAD:
    r = s->pread(fd, buf, (size_t)t->x, t->y);
    if (r > 0) {
      snprintf(out, LINE, "pread %ld: %.*s", r, (int)r, buf);
      return;
    }
    break;
  case LSEEK: r = s->lseek(fd, t->x, (int)t->y); break;
  case STAT:
  case LSTAT:
    r = s->stat(pa, &st, t->op == LSTAT ? AT_SYMLINK_NOFOLLOW : 0);
    if (r == 0) {
      stat_line(&st, out);
      return;
    }
    break;
  case READLINK:
    r = s->readlink(pa, buf, sizeof(buf));
    if (r > 0) {
      snprintf(out, LINE, "link %.*s", (int)r, buf);
      return;
    }
    break;
  case LIST: list(s, pa, out); return;
  case CHDIR_LIST: list(s, prefix, out); return;
  case MKDIR: r = s->mkdir(pa, (mode_t)t->x); break;
  case RENAME: r = s->rename(pa, pb, 0); break;
  case RENAME2: r = s->rename(pa, pb, (unsigned)t->x); break;
  case UNLINK: r = s->unlink(pa, (int)t->x); break;
  case RMDIR: r = s->unlink(pa, AT_REMOVEDIR); break;
  case SYMLINK: r = s->symlink(t->b, pa); break;
  case LINK: r = s->link(pa, pb); break;
  case PIPE2: {
    int p[2];
    r = s->pipe2(p, (int)t->x);
    if (r == 0)
      reg[t->r] = p[0], reg[t->s] = p[1];
    break;
  }
  case DUP2: r = s->dup2(fd, (int)t->x); break;
  case GETFL: r = s->fcntl(fd, F_GETFL, 0); break;
  case GETFD: r = s->fcntl(fd, F_GETFD, 0); break;
  case EVENTFD:
    r = s->eventfd((unsigned)t->x, (int)t->y);
    if (r >= 0)
      reg[t->r] = (int)r, r = 0;
    break;
  case READ8:
    r = s->read(fd, &v8, 8);
    if (r == 8) {
      snprintf(out, LINE, "value %llu", (unsigned long long)v8);
      return;
    }
    break;
  case WRITE8: r = s->write(fd, &v8, 8); break;
  case FTRUNC: r = s->ftruncate(fd, t->x); break;
  case ACCESS: r = s->access(pa, (int)t->x); break;
  }
  if (r < 0)
    snprintf(out, LINE, "%s", strerrorname_np((int)-r));
  else
    snprintf(out, LINE, "%ld", r);
}

static void run(const struct sys *s, const char *prefix,
                const struct step *t, int n, char (*out)[LINE]) {
  int reg[8] = {-1, -1, -1, -1, -1, -1, -1, -1};
  for (int i = 0; i < n; i++)
    one(s, prefix, &t[i], reg, out[i]);
  for (int i = 0; i < 8; i++)
    if (reg[i] >= 0)
      s->close(reg[i]);
}

/* The kernel's column from a child (its own mount namespace when ro):
 * 0, or 1 if it could not make the read-only mount (skip). */
static int kernel_column(const char *dir, bool ro, const struct step *t,
                         int n, char (*out)[LINE]) {
  int p[2];
  if (pipe(p) < 0)
    return 1;
  pid_t pid = fork();
  if (pid == 0) {
    close(p[0]);
    umask(022);
    char ok = 1;
    if (ro && (unshare(CLONE_NEWNS) < 0 ||
               mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
               mount(dir, dir, NULL, MS_BIND, NULL) < 0 ||
               mount(NULL, dir, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY,
                     NULL) < 0))
      ok = 0;
    if (write(p[1], &ok, 1) != 1)
      _exit(1);
    if (ok) {
      static char col[MAX_STEPS][LINE];
      run(&kernel, dir, t, n, col);
      if (write(p[1], col, sizeof(col[0]) * (size_t)n) < 0)
        _exit(1);
    }
    _exit(0);
  }
  close(p[1]);
  char ok = 0;
  size_t want = sizeof(out[0]) * (size_t)n, got = 0;
  if (read(p[0], &ok, 1) == 1 && ok)
    for (ssize_t r; got < want &&
                    (r = read(p[0], (char *)out + got, want - got)) > 0;)
      got += (size_t)r;
  close(p[0]);
  waitpid(pid, NULL, 0);
  if (!ok)
    return 1;
  ZT_EQ(got, want);
  return 0;
}

static void compare(const char *host_dir, bool ro, const char *ours_dir,
                    const struct step *t, int n) {
  static char k[MAX_STEPS][LINE], z[MAX_STEPS][LINE];
  if (kernel_column(host_dir, ro, t, n, k)) {
    zt_skip("no read-only bind mount (needs root and unshare)");
    return;
  }
  run(&ours, ours_dir, t, n, z);
  for (int i = 0; i < n; i++) {
    if (strcmp(k[i], z[i]) != 0)
      zt_fail(__FILE__, __LINE__, "step %d: Linux \"%s\", ours \"%s\"", i,
              k[i], z[i]);
  }
}

/* ---- the tables ------------------------------------------------------------ */

#define S(op, a, b, x, y, r) {op, a, b, x, y, r, -1}

static const struct step ro_steps[] = {
    S(OPEN, "d/f", 0, O_RDONLY, 0, 0),
    S(READ, 0, 0, 3, 0, 0),
    S(LSEEK, 0, 0, 0, SEEK_END, 0),
    S(PREAD, 0, 0, 4, 1, 0),
    S(READ, 0, 0, 10, 0, 0),
    S(LSEEK, 0, 0, -1, SEEK_SET, 0),
    S(GETFL, 0, 0, 0, 0, 0),
    S(GETFD, 0, 0, 0, 0, 0),
    S(WRITE, "x", 0, 0, 0, 0),
    S(CLOSE, 0, 0, 0, 0, 0),
    S(CLOSE, 0, 0, 0, 0, 0),
    S(STAT, "d/f", 0, 0, 0, -1),
    S(STAT, "d/link", 0, 0, 0, -1),
    S(LSTAT, "d/link", 0, 0, 0, -1),
    S(STAT, "d/nope", 0, 0, 0, -1),
    S(STAT, "d/f/", 0, 0, 0, -1),
    S(STAT, "d/f/x", 0, 0, 0, -1),
    S(STAT, "d/sub/../f", 0, 0, 0, -1),
    S(STAT, "d/sublink/../f", 0, 0, 0, -1),
    S(STAT, "d/loop", 0, 0, 0, -1),
    S(LSTAT, "d/loop", 0, 0, 0, -1),
    S(STAT, "d/dangling", 0, 0, 0, -1),
    S(STAT, "d/sub", 0, 0, 0, -1),
    S(READLINK, "d/link", 0, 0, 0, -1),
    S(READLINK, "d/f", 0, 0, 0, -1),
    S(READLINK, "d/nope", 0, 0, 0, -1),
    S(OPEN, "d/link", 0, O_RDONLY | O_NOFOLLOW, 0, 1),
    S(OPEN, "d", 0, O_WRONLY, 0, 1),
    S(OPEN, "d/f", 0, O_RDONLY | O_DIRECTORY, 0, 1),
    S(OPEN, "d/f", 0, O_WRONLY, 0, 1),
    S(OPEN, "d/f", 0, O_RDONLY | O_TRUNC, 0, 1),
    S(OPEN, "d/new", 0, O_CREAT | O_WRONLY, 0644, 1),
    S(OPEN, "d/f", 0, O_CREAT | O_EXCL | O_RDONLY, 0644, 1),
    S(OPEN, "d/nope/x", 0, O_CREAT | O_RDONLY, 0644, 1),
    S(OPEN, "d/new/", 0, O_CREAT | O_RDONLY, 0644, 1),
    S(MKDIR, "d/sub", 0, 0755, 0, -1),
    S(MKDIR, "d/newdir", 0, 0755, 0, -1),
    S(MKDIR, "d/nope/x", 0, 0755, 0, -1),
    S(UNLINK, "d/f", 0, 0, 0, -1),
    S(UNLINK, "d/nope", 0, 0, 0, -1),
    S(UNLINK, "d/sub", 0, 0, 0, -1),
    S(RMDIR, "d/sub", 0, 0, 0, -1),
    S(RMDIR, "d/f", 0, 0, 0, -1),
    S(RMDIR, "d/sub/.", 0, 0, 0, -1),
    S(RENAME, "d/f", "d/g", 0, 0, -1),
    S(RENAME, "d/nope", "d/g", 0, 0, -1),
    S(SYMLINK, "d/s", "f", 0, 0, -1),
    S(LINK, "d/f", "d/h", 0, 0, -1),
    S(ACCESS, "d/f", 0, W_OK, 0, -1),
    S(ACCESS, "d/f", 0, R_OK, 0, -1),
    S(ACCESS, "d/f", 0, X_OK, 0, -1),
    S(ACCESS, "d/nope", 0, R_OK, 0, -1),
    S(LIST, "d", 0, 0, 0, -1),
    S(LIST, "d/sub", 0, 0, 0, -1),
    S(LIST, "d/f", 0, 0, 0, -1),
    S(OPEN, "d/sub", 0, O_RDONLY | O_DIRECTORY, 0, 2),
    S(GETFL, 0, 0, 0, 0, 2),
    {PIPE2, 0, 0, O_NONBLOCK, 0, 3, 4},
    S(READ, 0, 0, 1, 0, 3),
    S(WRITE, "abc", 0, 0, 0, 4),
    S(READ, 0, 0, 10, 0, 3),
    S(GETFL, 0, 0, 0, 0, 3),
    S(GETFL, 0, 0, 0, 0, 4),
    S(LSEEK, 0, 0, 0, SEEK_SET, 3),
    S(DUP2, 0, 0, 50, 0, 3),
    S(GETFD, 0, 0, 0, 0, 3),
    S(CLOSE, 0, 0, 0, 0, 4),
    S(READ, 0, 0, 10, 0, 3),
    S(EVENTFD, 0, 0, 0, EFD_NONBLOCK, 5),
    S(READ8, 0, 0, 0, 0, 5),
    S(WRITE8, 0, 0, 5, 0, 5),
    S(WRITE8, 0, 0, 7, 0, 5),
    S(READ8, 0, 0, 0, 0, 5),
    S(GETFL, 0, 0, 0, 0, 5),
};

static const struct step rw_steps[] = {
    S(MKDIR, "a", 0, 0755, 0, -1),
    S(MKDIR, "a", 0, 0755, 0, -1),
    S(MKDIR, "a/", 0, 0755, 0, -1),
    S(OPEN, "a/f", 0, O_CREAT | O_RDWR, 0666, 0),
    S(WRITE, "hello", 0, 0, 0, 0),
    S(GETFL, 0, 0, 0, 0, 0),
    S(FTRUNC, 0, 0, 2, 0, 0),
    S(STAT, "a/f", 0, 0, 0, -1),
    S(FTRUNC, 0, 0, 8, 0, 0),
    S(PREAD, 0, 0, 8, 0, 0),
    S(RENAME, "a/f", "a/g", 0, 0, -1),
    S(STAT, "a/f", 0, 0, 0, -1),
    S(LINK, "a/g", "a/h", 0, 0, -1),
    S(STAT, "a/h", 0, 0, 0, -1),
    S(LINK, "a/g", "a/h", 0, 0, -1),
    S(LINK, "a", "a/dirlink", 0, 0, -1),
    S(UNLINK, "a/g", 0, 0, 0, -1),
    S(STAT, "a/h", 0, 0, 0, -1),
    S(RMDIR, "a", 0, 0, 0, -1),
    S(RENAME, "a", "a/b", 0, 0, -1),
    S(SYMLINK, "a/s", "h", 0, 0, -1),
    S(READLINK, "a/s", 0, 0, 0, -1),
    S(STAT, "a/s", 0, 0, 0, -1),
    S(OPEN, "a/s", 0, O_CREAT | O_EXCL | O_RDWR, 0644, 1),
    S(SYMLINK, "a/s", "h", 0, 0, -1),
    S(MKDIR, "b", 0, 0700, 0, -1),
    S(STAT, "b", 0, 0, 0, -1),
    S(RENAME, "a/h", "b", 0, 0, -1),
    S(RENAME, "b", "a/h", 0, 0, -1),
    S(RENAME2, "a/h", "a/s", RENAME_NOREPLACE, 0, -1),
    S(RENAME2, "a/h", "a/zz", RENAME_EXCHANGE, 0, -1),
    S(RENAME2, "a/h", "a/s", RENAME_EXCHANGE, 0, -1),
    S(LSTAT, "a/h", 0, 0, 0, -1),
    S(RENAME, "b", "a/c", 0, 0, -1),
    S(MKDIR, "a/c/d", 0, 0755, 0, -1),
    S(RENAME, "a/c", "a/c/d/e", 0, 0, -1),
    S(RMDIR, "a/c", 0, 0, 0, -1),
    S(RMDIR, "a/c/d", 0, 0, 0, -1),
    S(RMDIR, "a/c/.", 0, 0, 0, -1),
    S(RMDIR, "a/c/..", 0, 0, 0, -1),
    S(RMDIR, "a/c", 0, 0, 0, -1),
    S(UNLINK, "a/s", 0, 0, 0, -1),
    S(UNLINK, "a/h/", 0, 0, 0, -1),
    S(UNLINK, "a/h", 0, 0, 0, -1),
    S(UNLINK, "a/.", 0, 0, 0, -1),
    S(LIST, "a", 0, 0, 0, -1),
    S(RMDIR, "a", 0, 0, 0, -1),
    S(RENAME, "nope", "x", 0, 0, -1),
    S(OPEN, "x/", 0, O_CREAT | O_RDWR, 0644, 1),
    S(OPEN, "x", 0, O_CREAT | O_WRONLY | O_APPEND, 0600, 2),
    S(WRITE, "12", 0, 0, 0, 2),
    S(LSEEK, 0, 0, 0, SEEK_SET, 2),
    S(WRITE, "34", 0, 0, 0, 2),
    S(GETFL, 0, 0, 0, 0, 2),
    S(OPEN, "x", 0, O_RDONLY, 0, 3),
    S(READ, 0, 0, 10, 0, 3),
    S(LSEEK, 0, 0, 1, SEEK_DATA, 3),
    S(LSEEK, 0, 0, 0, SEEK_HOLE, 3),
    S(LSEEK, 0, 0, 9, SEEK_DATA, 3),
    S(OPEN, "x", 0, O_WRONLY | O_TRUNC, 0, 4),
    S(STAT, "x", 0, 0, 0, -1),
    S(CHDIR_LIST, 0, 0, 0, 0, -1),
};

static char host_ro[64], host_rw[64];

ZT_TEST(test_read_only_root_answers_as_linux) {
  compare(host_ro, true, "", ro_steps,
          (int)(sizeof(ro_steps) / sizeof(ro_steps[0])));
}

ZT_TEST(test_memfs_answers_as_linux) {
  compare(host_rw, false, "/tmp/rw", rw_steps,
          (int)(sizeof(rw_steps) / sizeof(rw_steps[0])));
}

int main(void) {
  snprintf(host_ro, sizeof(host_ro), "/tmp/zrt-lx-XXXXXX");
  snprintf(host_rw, sizeof(host_rw), "/tmp/zrt-lw-XXXXXX");
  if (!mkdtemp(host_ro) || !mkdtemp(host_rw)) {
    printf("Bail out! mkdtemp\n");
    return 1;
  }
  char cmd[1024];
  snprintf(cmd, sizeof(cmd),
           "set -e; cd %s; mkdir -p d/sub; printf 'hello\\n' > d/f; "
           "chmod 640 d/f; ln -s f d/link; ln -s loop d/loop; "
           "ln -s sub d/sublink; ln -s nowhere d/dangling; "
           "%s cf ../%s.tar -C %s .",
           host_ro, getenv("TAR") ? getenv("TAR") : "tar", host_ro + 5,
           host_ro);
  if (system(cmd) != 0) {
    printf("Bail out! %s\n", cmd);
    return 1;
  }
  char tarpath[128];
  snprintf(tarpath, sizeof(tarpath), "%s.tar", host_ro);
  host_block_set("rootfs", tarpath, 512);
  zrt_fd_init_console();
  (void)zrt_sys_umask(022);
  ZT_EQ(zrt_mount_root("rootfs"), 0);
  ZT_EQ(zrt_sys_mkdir("/tmp/rw", 0755), 0);
  ZT_RUN(test_read_only_root_answers_as_linux);
  ZT_RUN(test_memfs_answers_as_linux);
  snprintf(cmd, sizeof(cmd), "rm -rf %s %s %s", host_ro, host_rw, tarpath);
  (void)!system(cmd);
  return zt_done();
}
