#include "host.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rt.h"
#include "sys_gen.h"
#include "zt.h"

char host_console[65536];
size_t host_console_len;
uint64_t host_block_reads;
size_t host_kalloc_used;
static size_t kalloc_budget = SIZE_MAX;
int (*host_wait_hook)(void);
unsigned host_waits, host_notifies;
int host_last_signal, host_signals;
const char *host_net_call;
int host_net_fd = -1;
long host_net_answer;
char host_last_log[512];

void host_console_clear(void) { host_console_len = 0; }

void zrt_plat_console(const char *p, size_t n) {
  size_t room = sizeof(host_console) - host_console_len;
  if (n > room)
    n = room;
  memcpy(host_console + host_console_len, p, n);
  host_console_len += n;
}

static uint64_t clock_ns(clockid_t id) {
  struct timespec ts;
  clock_gettime(id, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t zrt_plat_monotonic(void) { return clock_ns(CLOCK_MONOTONIC); }
uint64_t zrt_plat_wall(void) { return clock_ns(CLOCK_REALTIME); }

/* ---- block devices ----------------------------------------------------- */

static char block_name[64];
static int block_fd = -1;
static uint64_t block_size = 512;

void host_block_set(const char *name, const char *path, uint64_t bsize) {
  if (block_fd >= 0)
    close(block_fd);
  block_fd = -1;
  snprintf(block_name, sizeof(block_name), "%s", name);
  block_size = bsize;
  if (path) {
    block_fd = open(path, O_RDONLY);
    if (block_fd < 0)
      zt_fail(__FILE__, __LINE__, "open %s", path);
  }
}

int zrt_plat_block_open(const char *name, uint64_t *handle,
                        uint64_t *capacity, uint64_t *bsize) {
  if (block_fd < 0 || strcmp(name, block_name) != 0)
    return -ENODEV;
  off_t end = lseek(block_fd, 0, SEEK_END);
  *handle = 7;
  *capacity = (uint64_t)end - (uint64_t)end % block_size;
  *bsize = block_size;
  return 0;
}

int zrt_plat_block_read(uint64_t handle, uint64_t off, void *buf, size_t n) {
  if (handle != 7 || n != block_size || off % block_size) {
    zt_fail(__FILE__, __LINE__, "block read of %zu bytes at %llu", n,
            (unsigned long long)off);
    return -EIO;
  }
  host_block_reads++;
  ssize_t r = pread(block_fd, buf, n, (off_t)off);
  return r == (ssize_t)n ? 0 : -EIO;
}

/* ---- the console's log ------------------------------------------------- */

__attribute__((format(printf, 1, 0))) void zrt_vlog(const char *fmt,
                                                    va_list ap) {
  vsnprintf(host_last_log, sizeof(host_last_log), fmt, ap);
  printf("# znet-rt: %s\n", host_last_log);
}

void zrt_log(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  zrt_vlog(fmt, ap);
  va_end(ap);
}

void zrt_panic(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  zrt_vlog(fmt, ap);
  va_end(ap);
  abort();
}

/* ---- memory ------------------------------------------------------------- */

/* Each block carries its size before it, so that a zrt_kfree with another
 * size than was given fails the test. */
#define KHEAD 16u

void host_kalloc_budget(size_t bytes) { kalloc_budget = bytes; }

void *zrt_kalloc(size_t n) {
  if (n > kalloc_budget || kalloc_budget - n < host_kalloc_used)
    return NULL;
  unsigned char *p = calloc(1, n + KHEAD);
  if (!p)
    return NULL;
  memcpy(p, &n, sizeof(n));
  host_kalloc_used += n;
  return p + KHEAD;
}

void zrt_kfree(void *p, size_t n) {
  if (!p)
    return;
  unsigned char *b = (unsigned char *)p - KHEAD;
  size_t had;
  memcpy(&had, b, sizeof(had));
  if (had != n)
    zt_fail(__FILE__, __LINE__, "zrt_kfree of %zu bytes, allocated %zu", n,
            had);
  host_kalloc_used -= had;
  free(b);
}

size_t zrt_kalloc_avail(void) {
  if (kalloc_budget == SIZE_MAX)
    return (size_t)256 << 20;
  return kalloc_budget > host_kalloc_used ? kalloc_budget - host_kalloc_used
                                          : 0;
}

/* ---- threads, signals, randomness -------------------------------------- */

int zrt_io_wait(uint64_t deadline) {
  (void)deadline;
  host_waits++;
  if (host_wait_hook)
    return host_wait_hook();
  zt_fail(__FILE__, __LINE__, "zrt_io_wait with nothing to wake it");
  return -EINTR;
}

void zrt_io_notify(void) { host_notifies++; }

void zrt_signal_raise(int sig) {
  host_last_signal = sig;
  host_signals++;
}

void zrt_random(void *buf, size_t n) {
  static uint64_t x = 0x9e3779b97f4a7c15ull;
  unsigned char *p = buf;
  for (size_t i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    p[i] = (unsigned char)x;
  }
}

/* ---- net.c's side of socket descriptors -------------------------------- */

static long net(const char *call, int fd) {
  host_net_call = call;
  host_net_fd = fd;
  return host_net_answer;
}

long zrt_net_readv(int fd, const struct iovec *iov, int iovcnt) {
  (void)iov, (void)iovcnt;
  return net("readv", fd);
}
long zrt_net_writev(int fd, const struct iovec *iov, int iovcnt) {
  (void)iov, (void)iovcnt;
  return net("writev", fd);
}
long zrt_net_close(int fd) { return net("close", fd); }
long zrt_net_dup(int oldfd, int newfd) {
  (void)oldfd;
  return net("dup", newfd);
}
long zrt_net_fcntl(int fd, int cmd, long arg) {
  (void)cmd, (void)arg;
  return net("fcntl", fd);
}
long zrt_net_ioctl(int fd, unsigned long req, void *arg) {
  (void)req, (void)arg;
  return net("ioctl", fd);
}

void host_reset_fds(void) {
  for (int fd = 0; fd < ZRT_FD_MAX; fd++)
    if (zrt_fd_file(fd) || zrt_fd_is_socket(fd)) {
      long saved = host_net_answer;
      host_net_answer = 0;
      (void)zrt_sys_close(fd);
      host_net_answer = saved;
    }
}
