/* The host's stand-in for the runtime around sched.c (host_plat.h). */
#define _GNU_SOURCE
#include "host_plat.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sys.h"

char host_console[8192];
size_t host_console_len;
int host_console_fd = -1;
uintptr_t host_tls;
unsigned host_tls_sets;
unsigned host_idle_calls;
bool host_idle_input;
unsigned host_exit_hooks;
int host_exit_status = -1;
int host_hook_fd = -1;
void *host_munmap_base;
size_t host_munmap_size;
int host_munmap_tid;

const unsigned long host_musl_clone_flags =
    CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
    CLONE_SYSVSEM | CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID |
    CLONE_DETACHED;

static uint64_t clock_ns(clockid_t c) {
  struct timespec ts;
  clock_gettime(c, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t host_now(void) { return clock_ns(CLOCK_MONOTONIC); }

/* ---- the platform ---------------------------------------------------- */

void zrt_plat_console(const char *p, size_t n) {
  size_t room = sizeof host_console - 1 - host_console_len;
  size_t k = n < room ? n : room;
  memcpy(host_console + host_console_len, p, k);
  host_console_len += k;
  host_console[host_console_len] = 0;
  if (host_console_fd >= 0 && write(host_console_fd, p, n) < 0)
    _exit(99);
}

uint64_t zrt_plat_monotonic(void) { return clock_ns(CLOCK_MONOTONIC); }
uint64_t zrt_plat_wall(void) { return clock_ns(CLOCK_REALTIME); }

/* Sleeps until the deadline, at most 50 ms a call (a test with no
 * deadline and an I/O waiter polls). */
bool zrt_plat_idle(uint64_t deadline) {
  host_idle_calls++;
  uint64_t now = host_now();
  uint64_t until = now + 50000000ull;
  if (deadline < until)
    until = deadline;
  if (until > now) {
    struct timespec ts = {.tv_sec = (time_t)((until - now) / 1000000000ull),
                          .tv_nsec = (long)((until - now) % 1000000000ull)};
    nanosleep(&ts, NULL);
  }
  bool input = host_idle_input;
  host_idle_input = false;
  return input;
}

__attribute__((noinline)) bool host_sched_tick(void) {
  return zrt_sched_tick(__builtin_frame_address(0));
}

/* The test program's code: GNU ld's bounds of it. */
extern char __executable_start[], etext[];

void zrt_plat_text(uintptr_t *lo, uintptr_t *hi) {
  *lo = (uintptr_t)__executable_start;
  *hi = (uintptr_t)etext;
}

int zrt_plat_set_tls(uintptr_t tp) {
  host_tls = tp;
  host_tls_sets++;
  return 0;
}

int zrt_plat_block_open(const char *name, uint64_t *handle, uint64_t *capacity,
                        uint64_t *block_size) {
  (void)name, (void)handle, (void)capacity, (void)block_size;
  return -ENODEV;
}

int zrt_plat_block_read(uint64_t handle, uint64_t off, void *buf, size_t n) {
  (void)handle, (void)off, (void)buf, (void)n;
  return -EIO;
}

void zrt_plat_exit(int status) { _exit(status); }
void zrt_plat_abort(void) { abort(); }

static void exit_hook(int status) {
  host_exit_hooks++;
  host_exit_status = status;
  if (host_hook_fd >= 0 && write(host_hook_fd, &status, sizeof status) < 0)
    _exit(98);
}

/* ---- the console --------------------------------------------------- */

__attribute__((format(printf, 1, 0))) void zrt_vlog(const char *fmt,
                                                    va_list ap) {
  char line[512];
  int n = snprintf(line, sizeof line, "znet-rt: ");
  n += vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
  if (n > (int)sizeof line - 2)
    n = (int)sizeof line - 2;
  line[n++] = '\n';
  zrt_plat_console(line, (size_t)n);
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
  _exit(255);
}

/* ---- memory and the munmap call --------------------------------------- */

void *zrt_kalloc(size_t n) { return calloc(1, n); }
void zrt_kfree(void *p, size_t n) {
  (void)n;
  free(p);
}

long zrt_sys_munmap(uintptr_t addr, size_t len) {
  host_munmap_base = (void *)addr;
  host_munmap_size = len;
  host_munmap_tid = zrt_thread_id();
  return munmap((void *)addr, len) ? -errno : 0;
}

/* ---- descriptors ----------------------------------------------------------
 */

#define HOST_FDS 32
static struct zrt_file *fds[HOST_FDS];

struct zrt_file *zrt_file_new(const struct zrt_file_ops *ops, int flags,
                              void *priv) {
  struct zrt_file *f = zrt_kalloc(sizeof *f);
  if (!f)
    return NULL;
  f->ops = ops;
  f->refs = 1;
  f->flags = flags;
  f->priv = priv;
  return f;
}

/* The caller's reference passes to the descriptor. */
int zrt_fd_install(struct zrt_file *f, int min, bool cloexec) {
  (void)cloexec;
  for (int fd = min < 3 ? 3 : min; fd < HOST_FDS; fd++) {
    if (!fds[fd]) {
      fds[fd] = f;
      return fd;
    }
  }
  return -EMFILE;
}

struct zrt_file *zrt_fd_file(int fd) {
  return fd >= 0 && fd < HOST_FDS ? fds[fd] : NULL;
}

void zrt_file_put(struct zrt_file *f) {
  if (--f->refs)
    return;
  for (int fd = 0; fd < HOST_FDS; fd++)
    if (fds[fd] == f)
      fds[fd] = NULL;
  if (f->ops->release)
    f->ops->release(f);
  zrt_kfree(f, sizeof *f);
}

/* ---- threads ----------------------------------------------------------- */

long host_spawn(struct host_thread *h, int (*fn)(void *), void *arg,
                uintptr_t tls) {
  h->size = 256 * 1024;
  h->stack = mmap(NULL, h->size, PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (h->stack == MAP_FAILED)
    return -ENOMEM;
  h->ret = zrt_clone(fn, arg, (char *)h->stack + h->size, host_musl_clone_flags,
                     &h->tid, tls, &h->tid, h->stack);
  return h->ret;
}

int host_join(struct host_thread *h) {
  int blocked = 0;
  int v;
  while ((v = __atomic_load_n(&h->tid, __ATOMIC_SEQ_CST)) != 0) {
    long r = SC(zrt_sys_futex((uint32_t *)&h->tid, ZRT_FUTEX_WAIT, (uint32_t)v,
                              NULL, NULL, 0));
    blocked += r == 0;
  }
  munmap(h->stack, h->size);
  h->stack = NULL;
  return blocked;
}

/* ---- children -------------------------------------------------------------
 */

static void child_run(void (*fn)(void), unsigned seconds, int cfd, int hfd) {
  static struct zrt_exit_hook hook = {.fn = exit_hook};
  alarm(seconds);
  host_console_fd = cfd;
  host_hook_fd = hfd;
  zrt_exit_hook_add(&hook);
  fn();
  _exit(0);
}

int host_child(void (*fn)(void), unsigned seconds, char *out, size_t outsz,
               int *hook_status) {
  int cp[2], hp[2];
  if (pipe(cp) || pipe(hp))
    return -1;
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    close(cp[0]);
    close(hp[0]);
    child_run(fn, seconds, cp[1], hp[1]);
  }
  close(cp[1]);
  close(hp[1]);
  size_t len = 0;
  ssize_t n;
  while (len + 1 < outsz && (n = read(cp[0], out + len, outsz - 1 - len)) > 0)
    len += (size_t)n;
  out[len] = 0;
  *hook_status = -1;
  if (read(hp[0], hook_status, sizeof *hook_status) != sizeof *hook_status)
    *hook_status = -1;
  close(cp[0]);
  close(hp[0]);
  int st = 0;
  waitpid(pid, &st, 0);
  return st;
}
