/*
 * znb-disk: a file system's work as a program that keeps data does it,
 * through the POSIX calls only, so that the same source runs on Linux
 * (over ext4) and, built by znet-cc, as an image (over its disk):
 * bench/disk.sh runs both in one run.
 *
 *   znb-disk DIR WORKLOAD [N]
 *
 * WORKLOAD:
 *   append-fsync   N (2000) appends of 4 KiB to one file, each followed
 *                  by fsync: operations/s
 *   seq-write      a file of N MiB (256) written in 1 MiB writes, then
 *                  fsync: MiB/s, the fsync in the time
 *   seq-read       that file read in 1 MiB reads: MiB/s
 *   small-files    N (10000) files of 100 bytes, each written to a
 *                  temporary name, fsync'ed, closed and renamed into
 *                  place (a program's safe replace): files/s
 *   dir-stat       N (2000) stats of names in small-files' directory
 *                  (its 10,000 entries), spread over it: stats/s
 *                  (littlefs's directory is a list: a lookup reads it)
 *   first-write    the program's first new file, 4 KiB written and
 *                  fsync'ed, on a disk that holds the others' files:
 *                  ms (littlefs's allocator first scans every file's
 *                  blocks, a window of the disk at a time)
 *   clean          the files the others made, removed
 *
 * One line: "result disk WORKLOAD value=V unit=U n=N secs=S".  Exit 1
 * with a line on a failed call.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MIB (1024 * 1024)

static char path[4096];
static char buf[MIB];

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void die(const char *what) {
  fprintf(stderr, "znb-disk: %s: %s\n", what, strerror(errno));
  exit(1);
}

static const char *in(const char *dir, const char *name) {
  snprintf(path, sizeof(path), "%s/%s", dir, name);
  return path;
}

static void result(const char *w, double v, const char *unit, long n,
                   double secs) {
  printf("result disk %s value=%.1f unit=%s n=%ld secs=%.3f\n", w, v, unit,
         n, secs);
}

static void append_fsync(const char *dir, long n) {
  int fd = open(in(dir, "append.dat"), O_CREAT | O_TRUNC | O_WRONLY | O_APPEND,
                0644);
  if (fd < 0)
    die("open");
  memset(buf, 'a', 4096);
  double t0 = now();
  for (long i = 0; i < n; i++) {
    if (write(fd, buf, 4096) != 4096)
      die("write");
    if (fsync(fd) != 0)
      die("fsync");
  }
  double s = now() - t0;
  close(fd);
  result("append-fsync", (double)n / s, "ops/s", n, s);
}

static void seq_write(const char *dir, long mib) {
  int fd = open(in(dir, "seq.dat"), O_CREAT | O_TRUNC | O_WRONLY, 0644);
  if (fd < 0)
    die("open");
  for (size_t i = 0; i < sizeof(buf); i++)
    buf[i] = (char)(i * 31 + 7);
  double t0 = now();
  for (long i = 0; i < mib; i++)
    if (write(fd, buf, MIB) != MIB)
      die("write");
  if (fsync(fd) != 0)
    die("fsync");
  double s = now() - t0;
  close(fd);
  result("seq-write", (double)mib / s, "MiB/s", mib, s);
}

static void seq_read(const char *dir) {
  int fd = open(in(dir, "seq.dat"), O_RDONLY);
  if (fd < 0)
    die("open");
  long total = 0;
  ssize_t r;
  double t0 = now();
  while ((r = read(fd, buf, MIB)) > 0)
    total += r;
  if (r < 0)
    die("read");
  double s = now() - t0;
  close(fd);
  result("seq-read", (double)total / MIB / s, "MiB/s", total / MIB, s);
}

static void small_files(const char *dir, long n) {
  char tmp[4096], dst[4096];
  memset(buf, 's', 100);
  snprintf(tmp, sizeof(tmp), "%s/small", dir);
  if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
    die("mkdir");
  double t0 = now();
  for (long i = 0; i < n; i++) {
    snprintf(tmp, sizeof(tmp), "%s/small/.f%ld.tmp", dir, i);
    snprintf(dst, sizeof(dst), "%s/small/f%ld", dir, i);
    int fd = open(tmp, O_CREAT | O_TRUNC | O_WRONLY, 0644);
    if (fd < 0)
      die("open");
    if (write(fd, buf, 100) != 100)
      die("write");
    if (fsync(fd) != 0)
      die("fsync");
    if (close(fd) != 0)
      die("close");
    if (rename(tmp, dst) != 0)
      die("rename");
  }
  double s = now() - t0;
  result("small-files", (double)n / s, "files/s", n, s);
}

static void dir_stat(const char *dir, long n) {
  long files = 0;
  struct stat st;
  char p[4096];
  snprintf(p, sizeof(p), "%s/small", dir);
  DIR *d = opendir(p);
  if (!d)
    die("dir-stat: small-files' directory");
  for (struct dirent *e; (e = readdir(d)) != NULL;)
    files += e->d_name[0] == 'f';
  closedir(d);
  if (files == 0) {
    errno = ENOENT;
    die("dir-stat: small-files' directory");
  }
  double t0 = now();
  for (long i = 0; i < n; i++) {
    /* A stride coprime with any count the workloads use. */
    snprintf(p, sizeof(p), "%s/small/f%ld", dir, (i * 7919) % files);
    if (stat(p, &st) != 0)
      die("stat");
  }
  double s = now() - t0;
  result("dir-stat", (double)n / s, "stats/s", files, s);
}

static void first_write(const char *dir) {
  memset(buf, 'w', 4096);
  double t0 = now();
  int fd = open(in(dir, "first.dat"), O_CREAT | O_TRUNC | O_WRONLY, 0644);
  if (fd < 0)
    die("open");
  if (write(fd, buf, 4096) != 4096)
    die("write");
  if (fsync(fd) != 0)
    die("fsync");
  double s = now() - t0;
  close(fd);
  result("first-write", s * 1000, "ms", 1, s);
}

static void clean(const char *dir) {
  char p[4096];
  unlink(in(dir, "append.dat"));
  unlink(in(dir, "seq.dat"));
  unlink(in(dir, "first.dat"));
  for (long i = 0;; i++) {
    snprintf(p, sizeof(p), "%s/small/f%ld", dir, i);
    if (unlink(p) != 0)
      break;
  }
  snprintf(p, sizeof(p), "%s/small", dir);
  rmdir(p);
  sync();
  result("clean", 0, "-", 0, 0);
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: znb-disk DIR append-fsync|seq-write|seq-read|"
                    "small-files|dir-stat|first-write|clean [N]\n");
    return 2;
  }
  const char *dir = argv[1], *w = argv[2];
  long n = argc > 3 ? atol(argv[3]) : 0;
  if (strcmp(w, "append-fsync") == 0)
    append_fsync(dir, n > 0 ? n : 2000);
  else if (strcmp(w, "seq-write") == 0)
    seq_write(dir, n > 0 ? n : 256);
  else if (strcmp(w, "seq-read") == 0)
    seq_read(dir);
  else if (strcmp(w, "small-files") == 0)
    small_files(dir, n > 0 ? n : 10000);
  else if (strcmp(w, "dir-stat") == 0)
    dir_stat(dir, n > 0 ? n : 2000);
  else if (strcmp(w, "first-write") == 0)
    first_write(dir);
  else if (strcmp(w, "clean") == 0)
    clean(dir);
  else {
    fprintf(stderr, "znb-disk: %s: no such workload\n", w);
    return 2;
  }
  return 0;
}
