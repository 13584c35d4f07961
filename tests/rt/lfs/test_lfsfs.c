/*
 * The images' disks (rt/lfsfs.c over littlefs) through the system calls a
 * program makes (rt/vfs.c, rt/fd.c, rt/lock.c, rt/shmap.c), on disks that
 * are host files: what each call answers, Linux's errno where the disk
 * cannot, advisory locks, shared mappings, bad disks, and the disk as
 * znet-disk (the host tool, argv[1]) makes and reads it.
 *
 *   test_lfsfs ZNET-DISK
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/uio.h>
#include <unistd.h>

#include "files_abi.h"
#include "../files/host.h"
#include "lfsfs.h"
#include "mem.h"
#include "rt.h"
#include "sys_gen.h"
#include "zt.h"

static const char *znet_disk;
static char dir[64];

/* ---- disks that are host files -------------------------------------------- */

struct fdisk {
  const char *name;
  int fd;
  uint64_t size;
};
#define NDISKS 6u
static struct fdisk disks[NDISKS] = {{"data", -1, 0},  {"tool", -1, 0},
                                     {"junk", -1, 0},  {"small", -1, 0},
                                     {"cut", -1, 0},   {"ext4", -1, 0}};

static int fd_open(const char *name, uint64_t *handle, uint64_t *capacity,
                   uint64_t *bsize) {
  for (unsigned i = 0; i < NDISKS; i++)
    if (strcmp(disks[i].name, name) == 0 && disks[i].fd >= 0) {
      *handle = i;
      *capacity = disks[i].size;
      *bsize = 512;
      return 0;
    }
  return -ENODEV;
}

static int fd_read(uint64_t h, uint64_t off, void *buf, size_t n) {
  if (h >= NDISKS || n != 512 || off % 512 || off + n > disks[h].size)
    return -EIO;
  return pread(disks[h].fd, buf, n, (off_t)off) == (ssize_t)n ? 0 : -EIO;
}

static int fd_write(uint64_t h, uint64_t off, const void *buf, size_t n) {
  if (h >= NDISKS || n != 512 || off % 512 || off + n > disks[h].size)
    return -EIO;
  return pwrite(disks[h].fd, buf, n, (off_t)off) == (ssize_t)n ? 0 : -EIO;
}

static const struct host_blockdev filedisk = {fd_open, fd_read, fd_write};

static void disk_file(unsigned i, uint64_t size) {
  char p[128];
  snprintf(p, sizeof(p), "%s/%s.img", dir, disks[i].name);
  disks[i].fd = open(p, O_RDWR | O_CREAT, 0644);
  if (size && ftruncate(disks[i].fd, (off_t)size) != 0)
    abort();
  struct stat st;
  fstat(disks[i].fd, &st);
  disks[i].size = (uint64_t)st.st_size;
}

/* The output of a shell command (znet-disk on a disk file). */
__attribute__((format(printf, 1, 2))) static const char *
run(const char *fmt, ...) {
  static char out[16384];
  char cmd[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(cmd, sizeof(cmd), fmt, ap);
  va_end(ap);
  FILE *p = popen(cmd, "r");
  size_t n = p ? fread(out, 1, sizeof(out) - 1, p) : 0;
  out[n] = '\0';
  if (p)
    pclose(p);
  return out;
}

/* ---- helpers ------------------------------------------------------------------ */

static long put(const char *path, const char *text) {
  int fd = (int)zrt_sys_open(path, O_CREAT | O_TRUNC | O_WRONLY, 0644);
  if (fd < 0)
    return fd;
  long r = zrt_sys_write(fd, text, strlen(text));
  zrt_sys_close(fd);
  return r;
}

static long get(const char *path, char *buf, size_t n) {
  int fd = (int)zrt_sys_open(path, O_RDONLY, 0);
  if (fd < 0)
    return fd;
  long r = zrt_sys_read(fd, buf, n - 1);
  zrt_sys_close(fd);
  buf[r > 0 ? r : 0] = '\0';
  return r;
}

static void close_all(void) {
  for (int fd = 3; fd < ZRT_FD_MAX; fd++)
    if (zrt_fd_file(fd))
      (void)zrt_sys_close(fd);
}

/* ---- the calls ------------------------------------------------------------------ */

ZT_TEST(test_open_flags_as_linux) {
  char b[64];
  int fd = (int)zrt_sys_open("/d/x", O_CREAT | O_EXCL | O_RDWR, 0640);
  ZT_CHECK(fd >= 0);
  ZT_EQ(zrt_sys_open("/d/x", O_CREAT | O_EXCL | O_RDWR, 0640), -EEXIST);
  ZT_EQ(zrt_sys_write(fd, "hello world", 11), 11);
  zrt_sys_close(fd);
  fd = (int)zrt_sys_open("/d/x", O_WRONLY | O_APPEND, 0);
  ZT_EQ(zrt_sys_lseek(fd, 0, SEEK_SET), 0);
  ZT_EQ(zrt_sys_write(fd, "!", 1), 1); /* at the end all the same */
  ZT_EQ(zrt_sys_pwrite64(fd, "?", 1, 0), 1); /* Linux: appends too */
  zrt_sys_close(fd);
  ZT_EQ(get("/d/x", b, sizeof(b)), 13);
  ZT_CHECK(strcmp(b, "hello world!?") == 0);
  fd = (int)zrt_sys_open("/d/x", O_RDWR | O_TRUNC, 0);
  struct stat st;
  ZT_EQ(zrt_sys_fstat(fd, &st), 0);
  ZT_EQ(st.st_size, 0);
  ZT_EQ(st.st_mode, S_IFREG | 0640);
  zrt_sys_close(fd);
  ZT_EQ(zrt_sys_open("/d/none", O_RDONLY, 0), -ENOENT);
  ZT_EQ(zrt_sys_open("/d/x/y", O_RDONLY, 0), -ENOTDIR);
  ZT_EQ(zrt_sys_open("/d", O_WRONLY, 0), -EISDIR);
}

ZT_TEST(test_vectors_offsets_and_holes) {
  int fd = (int)zrt_sys_open("/d/v", O_CREAT | O_TRUNC | O_RDWR, 0644);
  char ab[] = "ab", cde[] = "cde", none[] = "";
  struct iovec w[3] = {{ab, 2}, {cde, 3}, {none, 0}};
  ZT_EQ(zrt_sys_writev(fd, w, 3), 5);
  ZT_EQ(zrt_sys_lseek(fd, 0, SEEK_CUR), 5);
  char x[3] = {0}, y[4] = {0};
  struct iovec r[2] = {{x, 2}, {y, 3}};
  ZT_EQ(zrt_sys_pread64(fd, x, 2, 3), 2);
  ZT_CHECK(memcmp(x, "de", 2) == 0);
  ZT_EQ(zrt_sys_lseek(fd, 0, SEEK_SET), 0);
  ZT_EQ(zrt_sys_readv(fd, r, 2), 5);
  ZT_CHECK(memcmp(x, "ab", 2) == 0 && memcmp(y, "cde", 3) == 0);
  ZT_EQ(zrt_sys_read(fd, x, 2), 0); /* at the end */
  /* A write past the end: the hole reads as zeroes. */
  ZT_EQ(zrt_sys_pwrite64(fd, "Z", 1, 100000), 1);
  static char big[100001];
  ZT_EQ(zrt_sys_pread64(fd, big, sizeof(big), 0), 100001);
  ZT_CHECK(big[5] == 0 && big[99999] == 0 && big[100000] == 'Z');
  ZT_EQ(zrt_sys_lseek(fd, 0, SEEK_END), 100001);
  ZT_EQ(zrt_sys_ftruncate(fd, 3), 0);
  ZT_EQ(zrt_sys_pread64(fd, big, 10, 0), 3);
  ZT_EQ(zrt_sys_ftruncate(fd, 8), 0); /* grown: zeroes */
  ZT_EQ(zrt_sys_pread64(fd, big, 10, 0), 8);
  ZT_CHECK(memcmp(big, "abc\0\0\0\0\0", 8) == 0);
  ZT_EQ(zrt_sys_fsync(fd), 0);
  ZT_EQ(zrt_sys_syncfs(fd), 0);
  ZT_EQ(zrt_sys_sync(), 0);
  ZT_EQ(zrt_sys_ftruncate(fd, -1), -EINVAL);
  ZT_EQ(zrt_sys_pwrite64(fd, "x", 1, (off_t)1 << 31), -EFBIG);
  zrt_sys_close(fd);
}

ZT_TEST(test_rename_replaces_atomically) {
  char b[64];
  ZT_EQ(put("/d/new", "new"), 3);
  ZT_EQ(put("/d/old", "old"), 3);
  int fd = (int)zrt_sys_open("/d/old", O_RDONLY, 0);
  ZT_EQ(zrt_sys_rename("/d/new", "/d/old"), 0);
  ZT_EQ(get("/d/old", b, sizeof(b)), 3);
  ZT_CHECK(strcmp(b, "new") == 0);
  ZT_EQ(zrt_sys_open("/d/new", O_RDONLY, 0), -ENOENT);
  /* The replaced file stays readable through what had it open. */
  ZT_EQ(zrt_sys_pread64(fd, b, 3, 0), 3);
  ZT_CHECK(memcmp(b, "old", 3) == 0);
  struct stat st;
  ZT_EQ(zrt_sys_fstat(fd, &st), 0);
  ZT_EQ(st.st_nlink, 0);
  zrt_sys_close(fd);
  /* An open file renamed keeps its descriptor's writes. */
  fd = (int)zrt_sys_open("/d/old", O_WRONLY | O_APPEND, 0);
  ZT_EQ(zrt_sys_mkdir("/d/sub", 0755), 0);
  ZT_EQ(zrt_sys_rename("/d/old", "/d/sub/moved"), 0);
  ZT_EQ(zrt_sys_write(fd, "er", 2), 2);
  ZT_EQ(zrt_sys_fsync(fd), 0);
  zrt_sys_close(fd);
  ZT_EQ(get("/d/sub/moved", b, sizeof(b)), 5);
  ZT_CHECK(strcmp(b, "newer") == 0);
  ZT_EQ(zrt_sys_renameat2(ZRT_AT_FDCWD, "/d/v", ZRT_AT_FDCWD, "/d/sub/moved",
                          ZRT_RENAME_NOREPLACE),
        -EEXIST);
  ZT_EQ(zrt_sys_rename("/d/sub", "/d/sub/in"), -EINVAL);
  ZT_EQ(zrt_sys_rename("/d/sub", "/d/v"), -ENOTDIR);
  ZT_EQ(zrt_sys_rename("/d/v", "/d/sub"), -EISDIR);
  /* A directory renamed: what is under it comes along. */
  ZT_EQ(zrt_sys_rename("/d/sub", "/d/sub2"), 0);
  ZT_EQ(get("/d/sub2/moved", b, sizeof(b)), 5);
}

ZT_TEST(test_unlinked_open_file_lives_until_closed) {
  static char data[50000];
  for (size_t i = 0; i < sizeof(data); i++)
    data[i] = (char)(i * 7);
  int fd = (int)zrt_sys_open("/d/u", O_CREAT | O_TRUNC | O_RDWR, 0644);
  ZT_EQ(zrt_sys_write(fd, data, sizeof(data)), (long)sizeof(data));
  ZT_EQ(zrt_sys_fsync(fd), 0);
  ZT_EQ(zrt_sys_unlink("/d/u"), 0);
  ZT_EQ(zrt_sys_open("/d/u", O_RDONLY, 0), -ENOENT);
  /* New files take blocks meanwhile: the unlinked one's are kept. */
  static char other[50000];
  memset(other, 'o', sizeof(other));
  for (int i = 0; i < 4; i++) {
    char p[32];
    snprintf(p, sizeof(p), "/d/fill%d", i);
    int g = (int)zrt_sys_open(p, O_CREAT | O_WRONLY, 0644);
    ZT_EQ(zrt_sys_write(g, other, sizeof(other)), (long)sizeof(other));
    zrt_sys_close(g);
  }
  static char back[50000];
  ZT_EQ(zrt_sys_pread64(fd, back, sizeof(back), 0), (long)sizeof(back));
  ZT_CHECK(memcmp(back, data, sizeof(data)) == 0);
  zrt_sys_close(fd);
  for (int i = 0; i < 4; i++) {
    char p[32];
    snprintf(p, sizeof(p), "/d/fill%d", i);
    ZT_EQ(zrt_sys_unlink(p), 0);
  }
}

ZT_TEST(test_directories) {
  ZT_EQ(zrt_sys_mkdir("/d/dir", 0700), 0);
  ZT_EQ(zrt_sys_mkdir("/d/dir", 0700), -EEXIST);
  ZT_EQ(put("/d/dir/a", "1"), 1);
  ZT_EQ(put("/d/dir/b", "22"), 2);
  ZT_EQ(zrt_sys_mkdir("/d/dir/c", 0755), 0);
  ZT_EQ(zrt_sys_rmdir("/d/dir"), -ENOTEMPTY);
  ZT_EQ(zrt_sys_rmdir("/d/dir/a"), -ENOTDIR);
  ZT_EQ(zrt_sys_unlink("/d/dir/c"), -EISDIR);
  int fd = (int)zrt_sys_open("/d/dir", O_RDONLY | O_DIRECTORY, 0);
  ZT_CHECK(fd >= 0);
  static char buf[4096];
  long n = zrt_sys_getdents64(fd, buf, sizeof(buf));
  ZT_CHECK(n > 0);
  int seen = 0;
  for (long at = 0; at < n;) {
    struct {
      uint64_t ino;
      int64_t off;
      uint16_t reclen;
      uint8_t type;
      char name[];
    } *e = (void *)(buf + at);
    if (strcmp(e->name, "a") == 0 && e->type == DT_REG)
      seen |= 1;
    if (strcmp(e->name, "b") == 0 && e->type == DT_REG)
      seen |= 2;
    if (strcmp(e->name, "c") == 0 && e->type == DT_DIR)
      seen |= 4;
    at += e->reclen;
  }
  ZT_EQ(seen, 7);
  zrt_sys_close(fd);
  struct stat st;
  ZT_EQ(zrt_sys_stat("/d/dir", &st), 0);
  ZT_EQ(st.st_mode, S_IFDIR | 0700);
  ZT_EQ(zrt_sys_rmdir("/d/dir/c"), 0);
  ZT_EQ(zrt_sys_unlink("/d/dir/a"), 0);
  ZT_EQ(zrt_sys_unlink("/d/dir/b"), 0);
  ZT_EQ(zrt_sys_rmdir("/d/dir"), 0);
  ZT_EQ(zrt_sys_stat("/d/dir", &st), -ENOENT);
}

ZT_TEST(test_attributes_kept) {
  ZT_EQ(put("/d/attr", "x"), 1);
  ZT_EQ(zrt_sys_chmod("/d/attr", 0600), 0);
  ZT_EQ(zrt_sys_chown("/d/attr", 1000, 2000), 0);
  struct timespec t[2] = {{1000000000, 5}, {1234567890, 123456789}};
  ZT_EQ(zrt_sys_utimensat(ZRT_AT_FDCWD, "/d/attr", t, 0), 0);
  struct stat st, st2;
  ZT_EQ(zrt_sys_stat("/d/attr", &st), 0);
  ZT_EQ(st.st_mode, S_IFREG | 0600);
  ZT_EQ(st.st_uid, 1000);
  ZT_EQ(st.st_gid, 2000);
  ZT_EQ(st.st_mtim.tv_sec, 1234567890);
  ZT_EQ(st.st_mtim.tv_nsec, 123456789);
  ZT_EQ(st.st_atim.tv_sec, 1000000000);
  /* Inode numbers: each file its own, the same after a rename. */
  ZT_EQ(put("/d/attr2", "y"), 1);
  ZT_EQ(zrt_sys_stat("/d/attr2", &st2), 0);
  ZT_CHECK(st.st_ino != st2.st_ino && st.st_dev == st2.st_dev);
  ZT_EQ(zrt_sys_rename("/d/attr", "/d/attr3"), 0);
  ZT_EQ(zrt_sys_stat("/d/attr3", &st2), 0);
  ZT_EQ(st2.st_ino, st.st_ino);
  ZT_EQ(st2.st_uid, 1000);
  struct statfs sf;
  ZT_EQ(zrt_sys_statfs("/d", &sf), 0);
  ZT_EQ(sf.f_type, 0x4c465331);
  ZT_EQ(sf.f_bsize, 4096);
  ZT_EQ(sf.f_blocks, 2048); /* 8 MiB */
  ZT_CHECK(sf.f_bfree > 1900 && sf.f_bfree < 2048);
}

ZT_TEST(test_what_the_disk_cannot) {
  char name[300];
  memset(name, 'n', sizeof(name));
  memcpy(name, "/d/", 3);
  name[3 + 256] = '\0';
  ZT_EQ(zrt_sys_open(name, O_CREAT | O_WRONLY, 0644), -ENAMETOOLONG);
  ZT_EQ(zrt_sys_symlink("attr2", "/d/sym"), -EPERM);
  ZT_EQ(zrt_sys_link("/d/attr2", "/d/hard"), -EPERM);
  ZT_EQ(zrt_sys_renameat2(ZRT_AT_FDCWD, "/d/attr2", ZRT_AT_FDCWD, "/d/attr3",
                          ZRT_RENAME_EXCHANGE),
        -EINVAL);
}

ZT_TEST(test_full_disk_answers_enospc_and_recovers) {
  static char chunk[65536];
  memset(chunk, 'f', sizeof(chunk));
  int fd = (int)zrt_sys_open("/d/full", O_CREAT | O_TRUNC | O_WRONLY, 0644);
  long r = 0, total = 0;
  for (int i = 0; i < 200 && (r = zrt_sys_write(fd, chunk, sizeof(chunk))) > 0;
       i++)
    total += r;
  ZT_EQ(r, -ENOSPC);
  ZT_CHECK(total > 6 << 20);
  r = zrt_sys_fsync(fd);
  ZT_CHECK(r == 0 || r == -ENOSPC);
  zrt_sys_close(fd);
  ZT_EQ(zrt_sys_unlink("/d/full"), 0);
  ZT_EQ(put("/d/small", "s"), 1);
  char b[8];
  ZT_EQ(get("/d/small", b, sizeof(b)), 1);
  struct statfs sf;
  ZT_EQ(zrt_sys_statfs("/d", &sf), 0);
  ZT_CHECK(sf.f_bfree > 1900); /* the full file's blocks are back */
}

/* ---- locks ------------------------------------------------------------------------ */

ZT_TEST(test_flock_per_open_file_description) {
  ZT_EQ(put("/d/lock", "l"), 1);
  int a = (int)zrt_sys_open("/d/lock", O_RDWR, 0);
  int b = (int)zrt_sys_open("/d/lock", O_RDWR, 0);
  int a2 = (int)zrt_sys_dup(a);
  ZT_EQ(zrt_sys_flock(a, LOCK_EX | LOCK_NB), 0);
  ZT_EQ(zrt_sys_flock(b, LOCK_EX | LOCK_NB), -EWOULDBLOCK);
  ZT_EQ(zrt_sys_flock(b, LOCK_SH | LOCK_NB), -EWOULDBLOCK);
  ZT_EQ(zrt_sys_flock(a2, LOCK_EX | LOCK_NB), 0); /* the same description */
  zrt_sys_close(a);
  ZT_EQ(zrt_sys_flock(b, LOCK_SH | LOCK_NB), -EWOULDBLOCK); /* a2 holds */
  zrt_sys_close(a2);
  ZT_EQ(zrt_sys_flock(b, LOCK_SH | LOCK_NB), 0);
  int c = (int)zrt_sys_open("/d/lock", O_RDONLY, 0);
  ZT_EQ(zrt_sys_flock(c, LOCK_SH | LOCK_NB), 0); /* shared with shared */
  ZT_EQ(zrt_sys_flock(c, LOCK_EX | LOCK_NB), -EWOULDBLOCK);
  ZT_EQ(zrt_sys_flock(b, LOCK_UN), 0);
  ZT_EQ(zrt_sys_flock(c, LOCK_EX | LOCK_NB), 0);
  ZT_EQ(zrt_sys_flock(c, 99), -EINVAL);
  zrt_sys_close(b);
  zrt_sys_close(c);
}

ZT_TEST(test_record_locks_ofd_and_process) {
  int a = (int)zrt_sys_open("/d/lock", O_RDWR, 0);
  int b = (int)zrt_sys_open("/d/lock", O_RDWR, 0);
  int ro = (int)zrt_sys_open("/d/lock", O_RDONLY, 0);
  struct flock w = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 10,
                    .l_len = 10};
  ZT_EQ(zrt_sys_fcntl(a, ZRT_F_OFD_SETLK, (long)&w), 0);
  struct flock q = {.l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 15,
                    .l_len = 1};
  ZT_EQ(zrt_sys_fcntl(b, ZRT_F_OFD_SETLK, (long)&q), -EAGAIN);
  ZT_EQ(zrt_sys_fcntl(b, ZRT_F_OFD_GETLK, (long)&q), 0);
  ZT_EQ(q.l_type, F_WRLCK);
  ZT_EQ(q.l_start, 10);
  ZT_EQ(q.l_len, 10);
  ZT_EQ(q.l_pid, -1);
  /* Beside the range: free. */
  struct flock q2 = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 20,
                     .l_len = 0};
  ZT_EQ(zrt_sys_fcntl(b, ZRT_F_OFD_SETLK, (long)&q2), 0);
  /* The process's own locks: in the way of OFD locks, not of its own. */
  struct flock p = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0,
                    .l_len = 5};
  ZT_EQ(zrt_sys_fcntl(b, F_SETLK, (long)&p), 0);
  ZT_EQ(zrt_sys_fcntl(a, F_SETLK, (long)&p), 0);
  struct flock q3 = {.l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 2,
                     .l_len = 1};
  ZT_EQ(zrt_sys_fcntl(a, ZRT_F_OFD_SETLK, (long)&q3), -EAGAIN);
  ZT_EQ(zrt_sys_fcntl(a, F_GETLK, (long)&q3), 0);
  ZT_EQ(q3.l_type, F_UNLCK); /* its own: nothing in the way */
  /* Closing any descriptor of the file drops the process's locks. */
  zrt_sys_close(ro);
  q3.l_type = F_RDLCK;
  ZT_EQ(zrt_sys_fcntl(a, ZRT_F_OFD_SETLK, (long)&q3), 0);
  /* Unlock in the middle splits a range. */
  struct flock u = {.l_type = F_UNLCK, .l_whence = SEEK_SET, .l_start = 12,
                    .l_len = 2};
  ZT_EQ(zrt_sys_fcntl(a, ZRT_F_OFD_SETLK, (long)&u), 0);
  struct flock m = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 12,
                    .l_len = 2};
  ZT_EQ(zrt_sys_fcntl(b, ZRT_F_OFD_GETLK, (long)&m), 0);
  ZT_EQ(m.l_type, F_UNLCK);
  m.l_type = F_WRLCK; /* (F_GETLK with F_UNLCK is EINVAL, as on Linux) */
  m.l_start = 11;
  m.l_len = 1;
  ZT_EQ(zrt_sys_fcntl(b, ZRT_F_OFD_GETLK, (long)&m), 0);
  ZT_EQ(m.l_type, F_WRLCK);
  m = (struct flock){.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 14,
                     .l_len = 1};
  ZT_EQ(zrt_sys_fcntl(b, ZRT_F_OFD_GETLK, (long)&m), 0);
  ZT_EQ(m.l_start, 14);
  ZT_EQ(m.l_len, 6);
  /* Errors as Linux gives them. */
  int r = (int)zrt_sys_open("/d/lock", O_RDONLY, 0);
  ZT_EQ(zrt_sys_fcntl(r, F_SETLK, (long)&w), -EBADF);
  struct flock bad = {.l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = -1};
  ZT_EQ(zrt_sys_fcntl(a, F_SETLK, (long)&bad), -EINVAL);
  struct flock pid = {.l_type = F_RDLCK, .l_pid = 7};
  ZT_EQ(zrt_sys_fcntl(a, ZRT_F_OFD_SETLK, (long)&pid), -EINVAL);
  /* The last close of a description drops its locks. */
  zrt_sys_close(a);
  w.l_type = F_WRLCK;
  ZT_EQ(zrt_sys_fcntl(b, ZRT_F_OFD_SETLK, (long)&w), 0);
  zrt_sys_close(b);
  zrt_sys_close(r);
}

/* ---- shared mappings --------------------------------------------------------------- */

ZT_TEST(test_shared_mapping_is_the_files) {
  ZT_REQUIRE(host_mem_file_ops != NULL);
  static char data[3 * 4096];
  memset(data, 'a', sizeof(data));
  int fd = (int)zrt_sys_open("/d/map", O_CREAT | O_TRUNC | O_RDWR, 0644);
  ZT_EQ(zrt_sys_write(fd, data, sizeof(data)), (long)sizeof(data));
  char *m = aligned_alloc(4096, 4 * 4096);
  char *priv = aligned_alloc(4096, 4096);
  ZT_EQ(host_mem_file_ops->map(fd, m, 4 * 4096, 0, PROT_READ | PROT_WRITE,
                               true),
        4 * 4096);
  ZT_EQ(host_mem_file_ops->map(fd, priv, 4096, 0, PROT_READ | PROT_WRITE,
                               false),
        4096);
  ZT_CHECK(m[0] == 'a' && m[3 * 4096 - 1] == 'a' && m[3 * 4096] == 0);
  /* A write to the file: the mapping has it. */
  ZT_EQ(zrt_sys_pwrite64(fd, "XYZ", 3, 4096 + 10), 3);
  ZT_CHECK(memcmp(m + 4096 + 10, "XYZ", 3) == 0);
  /* A store to the mapping: read answers it. */
  memcpy(m + 2 * 4096 + 5, "store", 5);
  char b[8] = {0};
  ZT_EQ(zrt_sys_pread64(fd, b, 5, 2 * 4096 + 5), 5);
  ZT_CHECK(memcmp(b, "store", 5) == 0);
  /* msync writes it back; the file never grows from its mapping. */
  memcpy(m + 3 * 4096 + 1, "beyond", 6);
  ZT_EQ(host_mem_file_ops->sync((uintptr_t)m, 4 * 4096), 0);
  ZT_EQ(zrt_sys_fsync(fd), 0);
  struct stat st;
  ZT_EQ(zrt_sys_fstat(fd, &st), 0);
  ZT_EQ(st.st_size, 3 * 4096);
  const char *o = run("%s get %s/data.img /map %s/map.out && "
                      "od -An -c -j 8197 -N 5 %s/map.out | tr -d ' \\n'",
                      znet_disk, dir, dir, dir);
  ZT_CHECK(strcmp(o, "store") == 0);
  /* A private mapping is nobody's. */
  priv[0] = 'P';
  ZT_EQ(zrt_sys_pread64(fd, b, 1, 0), 1);
  ZT_EQ(b[0], 'a');
  /* Truncation: past the end reads as zeroes in the mapping. */
  ZT_EQ(zrt_sys_ftruncate(fd, 4096), 0);
  ZT_EQ(m[4096 + 10], 0);
  /* The mapping outlives close; munmap writes back. */
  zrt_sys_close(fd);
  m[7] = 'M';
  host_mem_file_ops->unmap((uintptr_t)m, 4 * 4096);
  ZT_EQ(get("/d/map", b, 8), 7);
  ZT_EQ(b[7 - 1], 'a');
  fd = (int)zrt_sys_open("/d/map", O_RDONLY, 0);
  ZT_EQ(zrt_sys_pread64(fd, b, 1, 7), 1);
  ZT_EQ(b[0], 'M');
  /* Writable and shared wants the file open for reading and writing. */
  ZT_EQ(host_mem_file_ops->map(fd, m, 4096, 0, PROT_READ | PROT_WRITE, true),
        -EACCES);
  zrt_sys_close(fd);
  free(m);
  free(priv);
}

/* ---- the disk's end, bad disks, znet-disk's disks -------------------------------- */

ZT_TEST(test_the_end_commits_what_was_not_synced) {
  int fd = (int)zrt_sys_open("/d/end", O_CREAT | O_TRUNC | O_WRONLY, 0644);
  ZT_EQ(zrt_sys_write(fd, "unsynced", 8), 8);
  /* The name is committed, the bytes not yet (the size, ls's 4th). */
  const char *o = run("%s ls %s/data.img /end | awk '{print $4}'", znet_disk,
                      dir);
  ZT_CHECK(strcmp(o, "0\n") == 0);
  host_exit_hooks_run(0);
  o = run("%s ls %s/data.img /end | awk '{print $4}'", znet_disk, dir);
  ZT_CHECK(strcmp(o, "8\n") == 0);
  o = run("%s fsck %s/data.img", znet_disk, dir);
  ZT_CHECK(strstr(o, "clean") != NULL);
  zrt_sys_close(fd);
}

ZT_TEST(test_bad_disks_refused_with_a_line) {
  ZT_EQ(zrt_mount_disk("/junk", "junk"), -EINVAL);
  ZT_CHECK(strstr(host_last_log, "holds no file system this runtime reads "
                                 "(not littlefs") != NULL);
  ZT_EQ(zrt_mount_disk("/small", "small"), -EINVAL);
  ZT_CHECK(strstr(host_last_log, "too small") != NULL);
  ZT_EQ(zrt_mount_disk("/none", "none"), -ENODEV);
  /* A 1 MiB disk of znet-disk's cut to 512 KiB. */
  const char *o = run("cd %s && %s mkfs cut.img 1M >/dev/null && "
                      "truncate -s 512K cut.img && echo made",
                      dir, znet_disk);
  ZT_CHECK(strstr(o, "made") != NULL);
  disk_file(4, 0);
  ZT_EQ(zrt_mount_disk("/cut", "cut"), -EINVAL);
  ZT_CHECK(strstr(host_last_log, "made for 1024 KiB, the device has 512 "
                                 "KiB") != NULL);
  /* Another file system's disk. */
  o = run("cd %s && mkfs.ext4 -q -F ext4.img 1M 2>&1 && echo made", dir);
  if (strstr(o, "made") == NULL) {
    printf("# no mkfs.ext4 (%s): the ext4 disk left out\n", o);
    return;
  }
  disk_file(5, 0);
  ZT_EQ(zrt_mount_disk("/ext4", "ext4"), -EINVAL);
  ZT_CHECK(strstr(host_last_log, "(not littlefs") != NULL);
}

ZT_TEST(test_znet_disk_disk_read_and_written) {
  const char *o = run(
      "set -e; cd %s; mkdir -p t/etc; printf 'conf' > t/etc/c; "
      "chmod 640 t/etc/c; touch -d @1500000000 t/etc/c; "
      "%s mkfs tool.img 1M >/dev/null; %s put -o 5:6 tool.img t / && echo put",
      dir, znet_disk, znet_disk);
  ZT_CHECK(strstr(o, "put") != NULL);
  disk_file(1, 0);
  ZT_EQ(zrt_mount_disk("/t", "tool"), 0);
  struct stat st;
  ZT_EQ(zrt_sys_stat("/t/etc/c", &st), 0);
  ZT_EQ(st.st_mode, S_IFREG | 0640);
  ZT_EQ(st.st_uid, 5);
  ZT_EQ(st.st_gid, 6);
  ZT_EQ(st.st_mtim.tv_sec, 1500000000);
  char b[16];
  ZT_EQ(get("/t/etc/c", b, sizeof(b)), 4);
  ZT_EQ(put("/t/etc/from-image", "image"), 5);
  ZT_EQ(zrt_sys_sync(), 0);
  o = run("cd %s && %s get tool.img /etc/from-image fi && cat fi", dir,
          znet_disk);
  ZT_CHECK(strcmp(o, "image") == 0);
  o = run("%s fsck %s/tool.img", znet_disk, dir);
  ZT_CHECK(strstr(o, "2 files") != NULL && strstr(o, "clean") != NULL);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    printf("Bail out! usage: test_lfsfs ZNET-DISK\n");
    return 1;
  }
  static char zd[4096];
  if (!realpath(argv[1], zd)) {
    printf("Bail out! %s: no such program\n", argv[1]);
    return 1;
  }
  znet_disk = zd; /* absolute: the shell commands change directory */
  snprintf(dir, sizeof(dir), "/tmp/zrt-lfs-XXXXXX");
  if (!mkdtemp(dir)) {
    printf("Bail out! no directory\n");
    return 1;
  }
  host_blockdev = &filedisk;
  disk_file(0, 8 << 20); /* blank: formatted at mount */
  disk_file(3, 32 << 10);
  char junk[128];
  snprintf(junk, sizeof(junk), "head -c 1048576 /dev/urandom > %s/junk.img",
           dir);
  (void)!system(junk);
  disk_file(2, 0);
  zrt_fd_init_console();
  zrt_shmap_start();
  zrt_mount_root(NULL);
  ZT_EQ(zrt_mount_disk("/d", "data"), 0);
  ZT_CHECK(strstr(host_last_log, "formatting") != NULL);
  ZT_RUN(test_open_flags_as_linux);
  ZT_RUN(test_vectors_offsets_and_holes);
  ZT_RUN(test_rename_replaces_atomically);
  ZT_RUN(test_unlinked_open_file_lives_until_closed);
  ZT_RUN(test_directories);
  ZT_RUN(test_attributes_kept);
  ZT_RUN(test_what_the_disk_cannot);
  ZT_RUN(test_full_disk_answers_enospc_and_recovers);
  ZT_RUN(test_flock_per_open_file_description);
  ZT_RUN(test_record_locks_ofd_and_process);
  ZT_RUN(test_shared_mapping_is_the_files);
  ZT_RUN(test_the_end_commits_what_was_not_synced);
  ZT_RUN(test_bad_disks_refused_with_a_line);
  ZT_RUN(test_znet_disk_disk_read_and_written);
  close_all();
  char cmd[128];
  snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
  (void)!system(cmd);
  return zt_done();
}
