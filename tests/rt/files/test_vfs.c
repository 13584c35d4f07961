/*
 * rt/vfs.c over a root archive made by GNU tar (tarfs), /tmp (memfs),
 * /dev and /proc: resolution, symlinks that try to leave the root, /etc
 * from the configuration, the block cache, and memfs's budget.  Run
 * twice: the archive on a block device, and (argument "memory") the
 * archive in memory as znet-image --root puts it in an image, where the
 * same answers come with no block read at all.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "files_abi.h"
#include "host.h"
#include "rt.h"
#include "sys_gen.h"
#include "zt.h"

static char tmpdir[64];
static char big[3 << 20];
static bool from_memory;
static void *archive; /* the memory root: as long as the mount */

static void close_all(void) {
  for (int fd = 3; fd < ZRT_FD_MAX; fd++)
    if (zrt_fd_file(fd))
      (void)zrt_sys_close(fd);
}

static long read_all(const char *path, char *buf, size_t n) {
  int fd = (int)zrt_sys_open(path, O_RDONLY, 0);
  if (fd < 0)
    return fd;
  long r = zrt_sys_read(fd, buf, n);
  zrt_sys_close(fd);
  return r;
}

/* The archive's tree: files, a symlink out of the root, one absolute, a
 * chain, a loop, hard links, a 3 MB file, /etc/hosts of its own. */
static int make_root(void) {
  char cmd[2048];
  snprintf(tmpdir, sizeof(tmpdir), "/tmp/zrt-vfs-XXXXXX");
  if (!mkdtemp(tmpdir))
    return -1;
  snprintf(cmd, sizeof(cmd),
           "set -e; cd %s; mkdir -p r/www/sub r/etc r/empty; "
           "echo 'index' > r/www/index.html; "
           "printf 'hosts of the archive\\n' > r/etc/hosts; "
           "ln -s ../../../../etc/passwd r/www/escape; "
           "ln -s /www/index.html r/www/abs; "
           "ln -s abs r/www/chain; ln -s loop1 r/loop2; ln -s loop2 r/loop1; "
           "ln -s sub r/www/subl; ln -s /nonexistent r/dangling; "
           "ln r/www/index.html r/www/hard; "
           "head -c 3145728 /dev/urandom > r/www/big; chmod 755 r/www/big; "
           "%s cf root.tar -C r .",
           tmpdir, getenv("TAR") ? getenv("TAR") : "tar");
  return system(cmd);
}

ZT_TEST(test_root_files_read) {
  char buf[64];
  ZT_EQ(read_all("/www/index.html", buf, sizeof(buf)), 6);
  ZT_MEMEQ(buf, "index\n", 6);
  ZT_EQ(read_all("/www/hard", buf, sizeof(buf)), 6);
  ZT_EQ(read_all("www//./sub/../index.html", buf, sizeof(buf)), 6);
  ZT_EQ(read_all("/www/index.html/", buf, sizeof(buf)), -ENOTDIR);
  ZT_EQ(read_all("/www/nothing", buf, sizeof(buf)), -ENOENT);
  ZT_EQ(read_all("/www/nothing/x", buf, sizeof(buf)), -ENOENT);
  ZT_EQ(read_all("/www/index.html/x", buf, sizeof(buf)), -ENOTDIR);
  ZT_EQ(read_all("", buf, sizeof(buf)), -ENOENT);
  struct stat st;
  ZT_EQ(zrt_sys_stat("/www/big", &st), 0);
  ZT_EQ(st.st_size, 3145728);
  ZT_EQ(st.st_mode, S_IFREG | 0755);
  ZT_EQ(zrt_sys_stat("/www", &st), 0);
  ZT_CHECK(S_ISDIR(st.st_mode));
}

ZT_TEST(test_symlinks_stay_inside_the_root) {
  char buf[64];
  /* ../../../../etc/passwd from /www: ".." stops at /, so /etc/passwd,
   * which only the configuration gives. */
  ZT_EQ(read_all("/www/escape", buf, sizeof(buf)), 15);
  ZT_MEMEQ(buf, "root:x:0:0::/:\n", 15);
  ZT_EQ(read_all("/www/abs", buf, sizeof(buf)), 6);
  ZT_EQ(read_all("/www/chain", buf, sizeof(buf)), 6);
  ZT_EQ(read_all("/www/subl/../index.html", buf, sizeof(buf)), 6);
  ZT_EQ(read_all("/../../www/index.html", buf, sizeof(buf)), 6);
  ZT_EQ(read_all("/loop1", buf, sizeof(buf)), -ELOOP);
  ZT_EQ(read_all("/dangling", buf, sizeof(buf)), -ENOENT);
  ZT_EQ(zrt_sys_readlink("/www/escape", buf, sizeof(buf)), 22);
  ZT_MEMEQ(buf, "../../../../etc/passwd", 22);
  ZT_EQ(zrt_sys_readlink("/www/index.html", buf, sizeof(buf)), -EINVAL);
  ZT_EQ(zrt_sys_readlink("/www/abs", buf, 3), 3); /* cut, no NUL */
  ZT_EQ(zrt_sys_open("/www/abs", O_RDONLY | O_NOFOLLOW, 0), -ELOOP);
  struct stat st;
  ZT_EQ(zrt_sys_lstat("/www/abs", &st), 0);
  ZT_CHECK(S_ISLNK(st.st_mode));
  ZT_EQ(st.st_size, 15);
  ZT_EQ(zrt_sys_stat("/www/subl/", &st), 0);
  ZT_CHECK(S_ISDIR(st.st_mode));
}

ZT_TEST(test_root_is_read_only) {
  ZT_EQ(zrt_sys_open("/www/index.html", O_WRONLY, 0), -EROFS);
  ZT_EQ(zrt_sys_open("/www/index.html", O_RDONLY | O_TRUNC, 0), -EROFS);
  ZT_EQ(zrt_sys_open("/www/new", O_CREAT | O_WRONLY, 0644), -EROFS);
  ZT_EQ(zrt_sys_open("/www/index.html", O_CREAT | O_EXCL | O_RDONLY, 0),
        -EEXIST);
  int fd = (int)zrt_sys_open("/www/index.html", O_CREAT | O_RDONLY, 0);
  ZT_CHECK(fd >= 0);
  ZT_EQ(zrt_sys_write(fd, "x", 1), -EBADF);
  ZT_EQ(zrt_sys_ftruncate(fd, 0), -EINVAL);
  ZT_EQ(zrt_sys_mkdir("/www", 0755), -EEXIST);
  ZT_EQ(zrt_sys_mkdir("/newdir", 0755), -EROFS);
  ZT_EQ(zrt_sys_mkdir("/no/newdir", 0755), -ENOENT);
  ZT_EQ(zrt_sys_unlink("/www/index.html"), -EROFS);
  /* Linux asks for a writable mount before it looks the name up. */
  ZT_EQ(zrt_sys_unlink("/www/none"), -EROFS);
  ZT_EQ(zrt_sys_unlink("/www"), -EROFS);
  ZT_EQ(zrt_sys_unlink("/www/."), -EISDIR);
  ZT_EQ(zrt_sys_rmdir("/empty"), -EROFS);
  ZT_EQ(zrt_sys_rmdir("/tmp"), -EROFS);
  ZT_EQ(zrt_sys_rmdir("/"), -EBUSY);
  ZT_EQ(zrt_sys_rename("/www/index.html", "/www/x"), -EROFS);
  ZT_EQ(zrt_sys_rename("/www/index.html", "/tmp/x"), -EXDEV);
  ZT_EQ(zrt_sys_link("/www/index.html", "/tmp/x"), -EXDEV);
  ZT_EQ(zrt_sys_symlink("x", "/www/s"), -EROFS);
  ZT_EQ(zrt_sys_chmod("/www/index.html", 0600), -EROFS);
  ZT_EQ(zrt_sys_chown("/www/index.html", 1, 1), -EROFS);
  ZT_EQ(zrt_sys_truncate("/www/index.html", 0), -EROFS);
  ZT_EQ(zrt_sys_access("/www/index.html", W_OK), -EROFS);
  ZT_EQ(zrt_sys_access("/www/index.html", R_OK), 0);
  ZT_EQ(zrt_sys_access("/www/index.html", X_OK), -EACCES);
  ZT_EQ(zrt_sys_access("/www/big", X_OK), 0);
  ZT_EQ(zrt_sys_access("/dev/null", W_OK), 0);
  struct zrt_statfs sf;
  ZT_EQ(zrt_sys_statfs("/www", &sf), 0);
  ZT_EQ(sf.f_flags & ZRT_ST_RDONLY, ZRT_ST_RDONLY);
  ZT_EQ(zrt_sys_statfs("/tmp", &sf), 0);
  ZT_EQ(sf.f_type, ZRT_TMPFS_MAGIC);
  close_all();
}

ZT_TEST(test_etc_from_configuration_unless_archived) {
  char buf[64];
  ZT_EQ(read_all("/etc/hosts", buf, sizeof(buf)), 21);
  ZT_MEMEQ(buf, "hosts of the archive\n", 21);
  ZT_EQ(read_all("/etc/resolv.conf", buf, sizeof(buf)), 20);
  ZT_MEMEQ(buf, "nameserver 10.0.0.1", 19);
  ZT_EQ(zrt_sys_open("/etc/resolv.conf", O_RDWR, 0), -EROFS);
}

static int by_name(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* getdents64 of path (read 64 bytes at a time) into "a b c ", sorted. */
static void list(const char *path, char *out, size_t n) {
  char buf[4096];
  static char names[64][256];
  char *sorted[64];
  int k = 0;
  out[0] = 0;
  int fd = (int)zrt_sys_open(path, O_RDONLY | ZRT_O_DIRECTORY, 0);
  if (fd < 0)
    return;
  long r;
  while ((r = zrt_sys_getdents64(fd, buf, 64)) > 0)
    for (long at = 0; at < r;) {
      unsigned short reclen;
      memcpy(&reclen, buf + at + 16, 2);
      if (k < 64) {
        snprintf(names[k], sizeof(names[k]), "%s", buf + at + 19);
        sorted[k] = names[k];
        k++;
      }
      at += reclen;
    }
  zrt_sys_close(fd);
  qsort(sorted, (size_t)k, sizeof(*sorted), by_name);
  for (int i = 0; i < k; i++) {
    strncat(out, sorted[i], n - strlen(out) - 2);
    strcat(out, " ");
  }
}

ZT_TEST(test_directories_listed) {
  char names[512];
  list("/www", names, sizeof(names));
  ZT_STREQ(names, ". .. abs big chain escape hard index.html sub subl ");
  list("/", names, sizeof(names));
  /* The archive's and the mount points made for /tmp, /dev, /proc. */
  ZT_STREQ(names, ". .. dangling dev empty etc loop1 loop2 proc tmp www ");
  list("/dev", names, sizeof(names));
  ZT_CHECK(strstr(names, " null ") && strstr(names, " urandom "));
  int fd = (int)zrt_sys_open("/www", O_RDONLY, 0);
  char buf[16];
  ZT_EQ(zrt_sys_getdents64(fd, buf, sizeof(buf)), -EINVAL);
  ZT_EQ(zrt_sys_read(fd, buf, 1), -EISDIR);
  ZT_EQ(zrt_sys_open("/www", O_WRONLY, 0), -EISDIR);
  ZT_EQ(zrt_sys_open("/www/index.html", O_RDONLY | ZRT_O_DIRECTORY, 0),
        -ENOTDIR);
  close_all();
}

ZT_TEST(test_cwd_and_dirfds) {
  char buf[256];
  ZT_EQ(zrt_sys_chdir("/www/subl"), 0);
  ZT_EQ(zrt_sys_getcwd(buf, sizeof(buf)), 9);
  ZT_STREQ(buf, "/www/sub");
  ZT_EQ(zrt_sys_getcwd(buf, 4), -ERANGE);
  ZT_EQ(read_all("../index.html", buf, sizeof(buf)), 6);
  int d = (int)zrt_sys_open("/www", O_RDONLY | ZRT_O_DIRECTORY, 0);
  int f = (int)zrt_sys_openat(d, "index.html", O_RDONLY, 0);
  ZT_CHECK(f >= 0);
  ZT_EQ(zrt_sys_openat(f, "x", O_RDONLY, 0), -ENOTDIR);
  ZT_EQ(zrt_sys_openat(999, "x", O_RDONLY, 0), -EBADF);
  ZT_CHECK(zrt_sys_openat(999, "/www", O_RDONLY, 0) >= 0); /* absolute */
  struct stat st;
  ZT_EQ(zrt_sys_newfstatat(f, "", &st, ZRT_AT_EMPTY_PATH), 0);
  ZT_EQ(st.st_size, 6);
  ZT_EQ(zrt_sys_newfstatat(d, "abs", &st, ZRT_AT_SYMLINK_NOFOLLOW), 0);
  ZT_CHECK(S_ISLNK(st.st_mode));
  ZT_EQ(zrt_sys_fchdir(d), 0);
  ZT_EQ(zrt_sys_getcwd(buf, sizeof(buf)), 5);
  ZT_EQ(zrt_sys_fchdir(f), -ENOTDIR);
  ZT_EQ(zrt_sys_chdir("/tmp"), 0);
  ZT_EQ(zrt_sys_getcwd(buf, sizeof(buf)), 5);
  ZT_STREQ(buf, "/tmp");
  ZT_EQ(zrt_sys_chdir(".."), 0);
  ZT_EQ(zrt_sys_getcwd(buf, sizeof(buf)), 2);
  ZT_STREQ(buf, "/");
  int p = (int)zrt_sys_open("/www/abs", ZRT_O_PATH | ZRT_O_NOFOLLOW, 0);
  ZT_CHECK(p >= 0);
  ZT_EQ(zrt_sys_fstat(p, &st), 0);
  ZT_CHECK(S_ISLNK(st.st_mode));
  ZT_EQ(zrt_sys_read(p, buf, 1), -EBADF);
  struct zrt_statx sx;
  ZT_EQ(zrt_sys_statx(ZRT_AT_FDCWD, "/www/big", 0, ZRT_STATX_BASIC_STATS,
                      &sx), 0);
  ZT_EQ(sx.stx_size, 3145728);
  ZT_EQ(sx.stx_mode, S_IFREG | 0755);
  close_all();
}

ZT_TEST(test_dev_and_proc) {
  char buf[64];
  int fd = (int)zrt_sys_open("/dev/zero", O_RDONLY, 0);
  memset(buf, 1, sizeof(buf));
  ZT_EQ(zrt_sys_read(fd, buf, 8), 8);
  ZT_EQ(buf[0] | buf[7], 0);
  int n = (int)zrt_sys_open("/dev/null", O_RDWR, 0);
  ZT_EQ(zrt_sys_write(n, buf, 8), 8);
  ZT_EQ(zrt_sys_read(n, buf, 8), 0);
  int u = (int)zrt_sys_open("/dev/urandom", O_RDONLY, 0);
  ZT_EQ(zrt_sys_read(u, buf, 32), 32);
  struct stat st;
  ZT_EQ(zrt_sys_fstat(n, &st), 0);
  ZT_CHECK(S_ISCHR(st.st_mode));
  ZT_EQ(major(st.st_rdev), 1);
  ZT_EQ(minor(st.st_rdev), 3);
  /* /dev/stdout -> /proc/self/fd/1 -> a dup of descriptor 1. */
  host_console_clear();
  int o = (int)zrt_sys_open("/dev/stdout", O_WRONLY, 0);
  ZT_CHECK(o > 2);
  ZT_EQ(zrt_sys_write(o, "via stdout", 10), 10);
  ZT_EQ(host_console_len, 10);
  ZT_EQ(zrt_sys_stat("/dev/fd/1", &st), 0);
  ZT_CHECK(S_ISCHR(st.st_mode));
  ZT_EQ(zrt_sys_readlink("/proc/self/fd/0", buf, sizeof(buf)), 11);
  ZT_MEMEQ(buf, "console:[0]", 11);
  ZT_EQ(zrt_sys_open("/proc/self/fd/900", O_RDONLY, 0), -ENOENT);
  int d = (int)zrt_sys_open("/www", O_RDONLY, 0);
  char path[32];
  snprintf(path, sizeof(path), "/dev/fd/%d/index.html", d);
  ZT_EQ(read_all(path, buf, sizeof(buf)), 6);
  ZT_CHECK(read_all("/proc/self/stat", buf, sizeof(buf)) > 20);
  ZT_MEMEQ(buf, "1 (znet) R", 10);
  ZT_CHECK(read_all("/proc/cpuinfo", buf, sizeof(buf)) > 10);
  close_all();
}

ZT_TEST(test_big_file_read_once_then_cached) {
  int fd = (int)zrt_sys_open("/www/big", O_RDONLY, 0);
  ZT_REQUIRE(fd >= 0);
  uint64_t before = host_block_reads;
  ZT_EQ(zrt_sys_pread64(fd, big, sizeof(big), 0), 3145728);
  uint64_t first = host_block_reads - before;
  if (from_memory)
    ZT_EQ(first, 0); /* read in place */
  else
    ZT_CHECK(first >= 3145728 / 512 - 16); /* a line may hold a header */
  ZT_EQ(zrt_sys_pread64(fd, big, 3145728, 0), 3145728);
  ZT_EQ(host_block_reads - before, first); /* nothing read again */
  FILE *f = fopen(tmpdir, "r"); /* compare with the file itself */
  (void)f;
  char path[128];
  snprintf(path, sizeof(path), "%s/r/www/big", tmpdir);
  f = fopen(path, "rb");
  ZT_REQUIRE(f != NULL);
  static char want[3 << 20];
  ZT_EQ(fread(want, 1, 3145728, f), 3145728);
  fclose(f);
  ZT_MEMEQ(big, want, 3145728);
  ZT_EQ(zrt_sys_lseek(fd, -10, SEEK_END), 3145718);
  ZT_EQ(zrt_sys_read(fd, big, 100), 10);
  ZT_MEMEQ(big, want + 3145718, 10);
  ZT_EQ(zrt_sys_lseek(fd, 0, ZRT_SEEK_HOLE), 3145728);
  ZT_EQ(zrt_sys_lseek(fd, 3145728, ZRT_SEEK_DATA), -ENXIO);
  ZT_EQ(zrt_sys_lseek(fd, -1, SEEK_SET), -EINVAL);
  /* mmap's copy: zeroes past the end. */
  memset(big, 1, 8192);
  ZT_EQ(zrt_file_mmap_copy(fd, big, 8192, 3145728 - 4096), 8192);
  ZT_MEMEQ(big, want + 3145728 - 4096, 4096);
  ZT_EQ(big[4096] | big[8191], 0);
  close_all();
}

ZT_TEST(test_tmp_files_written_and_renamed) {
  int fd = (int)zrt_sys_open("/tmp/a", O_CREAT | O_EXCL | O_RDWR, 0666);
  ZT_REQUIRE(fd >= 0);
  ZT_EQ(zrt_sys_open("/tmp/a", O_CREAT | O_EXCL | O_RDWR, 0666), -EEXIST);
  struct stat st;
  ZT_EQ(zrt_sys_fstat(fd, &st), 0);
  ZT_EQ(st.st_mode, S_IFREG | 0644); /* the umask */
  ZT_EQ(zrt_sys_pwrite64(fd, "xyz", 3, 10000), 3);
  ZT_EQ(zrt_sys_fstat(fd, &st), 0);
  ZT_EQ(st.st_size, 10003);
  char buf[16];
  ZT_EQ(zrt_sys_pread64(fd, buf, 4, 9998), 4);
  ZT_MEMEQ(buf, "\0\0xy", 4);
  ZT_EQ(zrt_sys_ftruncate(fd, 5), 0);
  ZT_EQ(zrt_sys_ftruncate(fd, 9000), 0); /* the old bytes are gone */
  ZT_EQ(zrt_sys_pread64(fd, buf, 4, 4), 4);
  ZT_MEMEQ(buf, "\0\0\0\0", 4);
  ZT_EQ(zrt_sys_mkdir("/tmp/d", 0755), 0);
  ZT_EQ(zrt_sys_mkdir("/tmp/d/", 0755), -EEXIST);
  ZT_EQ(zrt_sys_rename("/tmp/a", "/tmp/d/b"), 0);
  ZT_EQ(zrt_sys_stat("/tmp/a", &st), -ENOENT);
  ZT_EQ(zrt_sys_stat("/tmp/d/b", &st), 0);
  ZT_EQ(zrt_sys_rmdir("/tmp/d"), -ENOTEMPTY);
  ZT_EQ(zrt_sys_rename("/tmp/d", "/tmp/d/e"), -EINVAL);
  ZT_EQ(zrt_sys_link("/tmp/d/b", "/tmp/c"), 0);
  ZT_EQ(zrt_sys_stat("/tmp/c", &st), 0);
  ZT_EQ(st.st_nlink, 2);
  ZT_EQ(zrt_sys_unlink("/tmp/d/b"), 0);
  ZT_EQ(zrt_sys_unlink("/tmp/c"), 0);
  ZT_EQ(zrt_sys_write(fd, "still", 5), 5); /* open, nameless */
  ZT_EQ(zrt_sys_fstat(fd, &st), 0);
  ZT_EQ(st.st_nlink, 0);
  ZT_EQ(zrt_sys_rmdir("/tmp/d"), 0);
  ZT_EQ(zrt_sys_symlink("/www/index.html", "/tmp/s"), 0);
  ZT_EQ(read_all("/tmp/s", buf, sizeof(buf)), 6);
  ZT_EQ(zrt_sys_open("/tmp/s2/", O_CREAT | O_RDWR, 0644), -EISDIR);
  /* O_CREAT through a dangling symlink makes its target. */
  ZT_EQ(zrt_sys_symlink("made", "/tmp/dl"), 0);
  int m = (int)zrt_sys_open("/tmp/dl", O_CREAT | O_WRONLY, 0644);
  ZT_CHECK(m >= 0);
  ZT_EQ(zrt_sys_stat("/tmp/made", &st), 0);
  int ap = (int)zrt_sys_open("/tmp/made", O_WRONLY | O_APPEND, 0);
  ZT_EQ(zrt_sys_write(m, "12345", 5), 5);
  ZT_EQ(zrt_sys_write(ap, "ab", 2), 2);
  ZT_EQ(zrt_sys_pwrite64(ap, "c", 1, 0), 1); /* O_APPEND: at the end */
  ZT_EQ(read_all("/tmp/made", buf, sizeof(buf)), 8);
  ZT_MEMEQ(buf, "12345abc", 8);
  int t = (int)zrt_sys_open("/tmp/made", O_WRONLY | O_TRUNC, 0);
  ZT_EQ(zrt_sys_fstat(t, &st), 0);
  ZT_EQ(st.st_size, 0);
  ZT_EQ(zrt_sys_renameat2(ZRT_AT_FDCWD, "/tmp/made", ZRT_AT_FDCWD,
                          "/tmp/s", ZRT_RENAME_NOREPLACE), -EEXIST);
  ZT_EQ(zrt_sys_renameat2(ZRT_AT_FDCWD, "/tmp/made", ZRT_AT_FDCWD,
                          "/tmp/s", ZRT_RENAME_EXCHANGE), 0);
  ZT_EQ(zrt_sys_lstat("/tmp/made", &st), 0);
  ZT_CHECK(S_ISLNK(st.st_mode));
  ZT_EQ(zrt_sys_chmod("/tmp/s", 0600), 0);
  ZT_EQ(zrt_sys_stat("/tmp/s", &st), 0);
  ZT_EQ(st.st_mode, S_IFREG | 0600);
  ZT_EQ(zrt_sys_utimensat(ZRT_AT_FDCWD, "/tmp/s",
                          (struct timespec[]){{5, 0}, {7, 0}}, 0), 0);
  ZT_EQ(zrt_sys_stat("/tmp/s", &st), 0);
  ZT_EQ(st.st_mtim.tv_sec, 7);
  ZT_EQ(st.st_atim.tv_sec, 5);
  close_all();
  ZT_EQ(zrt_sys_unlink("/tmp/s"), 0);
  ZT_EQ(zrt_sys_unlink("/tmp/made"), 0);
  ZT_EQ(zrt_sys_unlink("/tmp/dl"), 0);
}

ZT_TEST(test_memfs_budget_gives_enospc_and_recovers) {
  ZT_REQUIRE(zrt_mount_memfs("/data/small", 64 * 1024) == 0);
  int fd = (int)zrt_sys_open("/data/small/f", O_CREAT | O_RDWR, 0644);
  ZT_REQUIRE(fd >= 0);
  long total = 0, r;
  while ((r = zrt_sys_write(fd, big, 10000)) > 0)
    total += r;
  ZT_EQ(r, -ENOSPC);
  ZT_CHECK(total > 40000 && total < 64 * 1024);
  ZT_EQ(zrt_sys_mkdir("/data/small/d", 0755), 0); /* what is left */
  int k = 0;
  while (zrt_sys_mkdir("/data/small/d/x", 0755) == 0 &&
         zrt_sys_rename("/data/small/d/x", "/data/small/d/y") == 0 &&
         k < 1000)
    k++;
  ZT_EQ(zrt_sys_ftruncate(fd, 0), 0);
  ZT_EQ(zrt_sys_lseek(fd, 0, SEEK_SET), 0);
  ZT_EQ(zrt_sys_write(fd, big, 10000), 10000); /* room again */
  struct zrt_statfs sf;
  ZT_EQ(zrt_sys_fstatfs(fd, &sf), 0);
  ZT_EQ(sf.f_blocks, 16);
  ZT_EQ(zrt_sys_ftruncate(fd, 1 << 20), -ENOSPC);
  struct stat st;
  ZT_EQ(zrt_sys_fstat(fd, &st), 0);
  ZT_EQ(st.st_size, 10000); /* unchanged */
  close_all();
  /* zrt_kalloc itself out of memory: ENOSPC too, nothing leaks. */
  size_t used = host_kalloc_used;
  host_kalloc_budget(used + 3000);
  fd = (int)zrt_sys_open("/tmp/nomem", O_CREAT | O_RDWR, 0644);
  ZT_CHECK(fd >= 0);
  ZT_EQ(zrt_sys_write(fd, big, 8192), -ENOSPC);
  host_kalloc_budget(SIZE_MAX);
  close_all();
  ZT_EQ(zrt_sys_unlink("/tmp/nomem"), 0);
  ZT_EQ(host_kalloc_used, used);
}

ZT_TEST(test_removed_cwd_answers_enoent) {
  char buf[64];
  ZT_EQ(zrt_sys_mkdir("/tmp/gone", 0755), 0);
  ZT_EQ(zrt_sys_chdir("/tmp/gone"), 0);
  ZT_EQ(zrt_sys_rmdir("/tmp/gone"), 0);
  ZT_EQ(zrt_sys_getcwd(buf, sizeof(buf)), -ENOENT);
  ZT_EQ(zrt_sys_open("x", O_CREAT | O_RDWR, 0644), -ENOENT);
  ZT_EQ(zrt_sys_chdir("/"), 0);
}

/* The archive as znet-image puts it in an image: page-aligned, padded
 * with zeroes to a page. */
static void *archive_in_memory(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  *len = ((size_t)n + 4095) / 4096 * 4096;
  void *p = aligned_alloc(4096, *len);
  if (p) {
    memset(p, 0, *len);
    if (fread(p, 1, (size_t)n, f) != (size_t)n) {
      free(p);
      p = NULL;
    }
  }
  fclose(f);
  return p;
}

int main(int argc, char **argv) {
  from_memory = argc > 1 && strcmp(argv[1], "memory") == 0;
  if (make_root() != 0) {
    printf("Bail out! cannot make the root archive\n");
    return 1;
  }
  char path[128];
  snprintf(path, sizeof(path), "%s/root.tar", tmpdir);
  zrt_fd_init_console();
  zrt_mount_etc("hosts", "hosts of the configuration\n");
  zrt_mount_etc("passwd", "root:x:0:0::/:\n");
  if (from_memory) {
    size_t len = 0;
    archive = archive_in_memory(path, &len);
    if (!archive) {
      printf("Bail out! cannot read the root archive\n");
      return 1;
    }
    ZT_EQ(zrt_mount_root_archive(archive, len), 0);
  } else {
    host_block_set("rootfs", path, 512);
    ZT_EQ(zrt_mount_root("rootfs"), 0);
  }
  zrt_mount_etc("resolv.conf", "nameserver 10.0.0.1\n");
  ZT_RUN(test_root_files_read);
  ZT_RUN(test_symlinks_stay_inside_the_root);
  ZT_RUN(test_root_is_read_only);
  ZT_RUN(test_etc_from_configuration_unless_archived);
  ZT_RUN(test_directories_listed);
  ZT_RUN(test_cwd_and_dirfds);
  ZT_RUN(test_dev_and_proc);
  ZT_RUN(test_big_file_read_once_then_cached);
  ZT_RUN(test_tmp_files_written_and_renamed);
  ZT_RUN(test_memfs_budget_gives_enospc_and_recovers);
  ZT_RUN(test_removed_cwd_answers_enoent);
  char cmd[128];
  snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
  (void)!system(cmd);
  return zt_done();
}
