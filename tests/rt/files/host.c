#include "host.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mem.h"
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

const struct host_blockdev *host_blockdev;
uint64_t zrt_sys_calls;

int zrt_plat_block_open(const char *name, uint64_t *handle,
                        uint64_t *capacity, uint64_t *bsize) {
  if (host_blockdev)
    return host_blockdev->open(name, handle, capacity, bsize);
  if (block_fd < 0 || strcmp(name, block_name) != 0)
    return -ENODEV;
  off_t end = lseek(block_fd, 0, SEEK_END);
  *handle = 7;
  *capacity = (uint64_t)end - (uint64_t)end % block_size;
  *bsize = block_size;
  return 0;
}

int zrt_plat_block_write(uint64_t handle, uint64_t off, const void *buf,
                         size_t n) {
  if (host_blockdev)
    return host_blockdev->write(handle, off, buf, n);
  zt_fail(__FILE__, __LINE__, "block write at %llu: the device is read-only",
          (unsigned long long)off);
  return -EIO;
}

int zrt_plat_block_read(uint64_t handle, uint64_t off, void *buf, size_t n) {
  if (host_blockdev)
    return host_blockdev->read(handle, off, buf, n);
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

/* The same wait here: the host tests tell no frames from threads. */
int zrt_io_wait_local(uint64_t deadline) { return zrt_io_wait(deadline); }

void zrt_io_notify(void) { host_notifies++; }

/* The exit hooks the files register (mount.c's sync at the end). */
static struct zrt_exit_hook *exit_hooks;

void zrt_exit_hook_add(struct zrt_exit_hook *h) {
  h->next = exit_hooks;
  exit_hooks = h;
}

void host_exit_hooks_run(int status) {
  while (exit_hooks) {
    struct zrt_exit_hook *h = exit_hooks;
    exit_hooks = h->next;
    h->fn(status);
  }
}

/* shmap.c's hooks for memory, which the tests call as mem.c would. */
const struct zrt_mem_file_ops *host_mem_file_ops;

void zrt_mem_set_file_ops(const struct zrt_mem_file_ops *ops) {
  host_mem_file_ops = ops;
}

int zrt_mem_file_writeback(const void *obj) {
  return host_mem_file_ops ? host_mem_file_ops->writeback(obj) : 0;
}

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

/* ---- a kind of file like net.c's layer files ------------------------- */

static int rec_num(const struct zrt_file *f) { return (int)(intptr_t)f->priv; }

static long net(const char *call, const struct zrt_file *f) {
  host_net_call = call;
  host_net_fd = rec_num(f);
  return host_net_answer;
}

static ssize_t rec_readv(struct zrt_file *f, const struct iovec *iov, int cnt) {
  (void)iov, (void)cnt;
  return net("readv", f);
}
static ssize_t rec_writev(struct zrt_file *f, const struct iovec *iov,
                          int cnt) {
  (void)iov, (void)cnt;
  return net("writev", f);
}
static long rec_fcntl(struct zrt_file *f, int cmd, long arg) {
  (void)cmd, (void)arg;
  return net("fcntl", f);
}
static int rec_ioctl(struct zrt_file *f, unsigned long req, void *arg) {
  (void)req, (void)arg;
  return (int)net("ioctl", f);
}
static int rec_fstat(struct zrt_file *f, struct stat *st) {
  (void)f;
  st->st_mode = S_IFSOCK | 0777;
  return 0;
}
static long rec_dup(struct zrt_file *f, int newfd, struct zrt_file **out) {
  host_net_call = "dup";
  host_net_fd = newfd;
  if (host_net_answer != 0)
    return host_net_answer;
  *out = zrt_file_new(f->ops, O_RDWR, (void *)(intptr_t)newfd);
  return *out ? 0 : -ENOMEM;
}
static void rec_fd_closed(struct zrt_file *f) { (void)net("close", f); }

static const struct zrt_file_ops rec_ops = {
    .name = "recording",
    .readv = rec_readv,
    .writev = rec_writev,
    .fstat = rec_fstat,
    .ioctl = rec_ioctl,
    .fcntl = rec_fcntl,
    .dup = rec_dup,
    .fd_closed = rec_fd_closed,
};

int host_socket_open(void) {
  struct zrt_file *f = zrt_file_new(&rec_ops, O_RDWR, NULL);
  if (!f)
    return -ENOMEM;
  int fd = zrt_fd_install(f, 0, false);
  if (fd >= 0)
    f->priv = (void *)(intptr_t)fd;
  zrt_file_put(f);
  return fd;
}

void host_reset_fds(void) {
  for (int fd = 0; fd < ZRT_FD_MAX; fd++)
    if (zrt_fd_file(fd)) {
      long saved = host_net_answer;
      host_net_answer = 0;
      (void)zrt_sys_close(fd);
      host_net_answer = saved;
    }
}
