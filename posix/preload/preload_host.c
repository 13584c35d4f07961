/* The Linux host of libznet-posix for znet-run's preload.
 *
 * One stack, built with the examples' plumbing from znet-run's flags,
 * one layer over it, one mutex around both.  A socket is reserved as an
 * eventfd (close-on-exec: exec drops it), so the kernel never gives its
 * number to anything else.  A thread that must wait sleeps in ppoll(2) on
 * the TAP, its own wake eventfd and the foreign descriptors of its call,
 * with the lock let go; a thread that changed what others wait for writes
 * their wake eventfds.
 *
 * Nothing polls the stack while the program computes outside any socket
 * call, so a driver thread does: every PL_IDLE_NS it polls the stack,
 * and when no application thread waited or called in a whole period it
 * sleeps on the TAP itself until the stack's next deadline (an
 * application thread that comes to wait, or a call that arms a sooner
 * timer, wakes it, and it steps back).  It is never woken for sockets'
 * events: it waits for none.  Programs that call into the sockets often
 * see it run a hundred times a second, for one poll each. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "app_int.h"
#include "preload.h"

#define PL_IDLE_NS 10000000u /* the driver's period while the program is busy */
/* A program's connections get a window near what Linux's autotuning
 * reaches on a fast path, and the 64 KiB buffers to fill it with the
 * TAP's coalesced frames (znet-run's flags override both). */
#define PL_TCP_RCVBUF (2u << 20)
#define PL_BIGBUFS 64u
#define PL_PROG "znet-run"
#define PL_MAX_ARGS 256

struct waiter {
  int efd;
  bool driver;
  struct waiter *next;
};

static struct {
  pthread_mutex_t mu;
  pthread_once_t once;
  struct ex_host h;
  struct zn_posix *px;
  void *pxmem;
  int netfd;
  struct waiter *waiters;
  unsigned app_waiters;       /* application threads inside wait */
  uint64_t calls;             /* application calls so far (under the lock) */
  pthread_t driver;
  struct waiter driver_w;
  bool driver_on_net;         /* the driver sleeps on the netif ... */
  uint64_t driver_until;      /* ... until then */
  bool failed;
  bool stats;                 /* --stats: the counters at exit */
  struct zn_dns_server dns[ZN_DNS_MAX_SERVERS]; /* znet-run's --dns */
  uint32_t ndns;
} g = {.mu = PTHREAD_MUTEX_INITIALIZER, .once = PTHREAD_ONCE_INIT};

static _Thread_local struct waiter tls_w = {.efd = -1};

static void poke_driver(void) {
  uint64_t one = 1;
  if (g.driver_w.efd >= 0)
    (void)!write(g.driver_w.efd, &one, sizeof(one));
}

void pl_lock(void) { pthread_mutex_lock(&g.mu); }

/* A call may have armed a timer sooner than the driver, asleep on the
 * netif, means to wake. */
void pl_unlock(void) {
  g.calls++;
  if (g.driver_on_net && zn_stack_next_deadline(g.h.st) < g.driver_until) {
    g.driver_on_net = false;
    poke_driver();
  }
  pthread_mutex_unlock(&g.mu);
}

bool pl_owns(int fd) {
  struct zn_posix *px = __atomic_load_n(&g.px, __ATOMIC_ACQUIRE);
  return px && zn_posix_owns(px, fd);
}

struct zn_posix *pl_layer_if_any(void) {
  return __atomic_load_n(&g.px, __ATOMIC_ACQUIRE);
}

/* ---- the host functions ---- */

static uint64_t h_now(void *ctx) {
  (void)ctx;
  return zn_host_now();
}

static int h_reserve(void *ctx) {
  (void)ctx;
  int fd = eventfd(0, EFD_CLOEXEC);
  return fd < 0 ? -errno : fd;
}

static void h_release(void *ctx, int fd) {
  (void)ctx;
  syscall(SYS_close, fd);
}

static int h_dup(void *ctx, int oldfd, int newfd, int min, int flags) {
  (void)ctx;
  (void)flags; /* every socket descriptor is close-on-exec */
  long rc = newfd < 0 ? syscall(SYS_fcntl, oldfd, F_DUPFD_CLOEXEC, min)
                      : syscall(SYS_dup3, oldfd, newfd, O_CLOEXEC);
  return rc < 0 ? -errno : (int)rc;
}

/* The driver waits for no socket: it is not woken for their events. */
static void wake_others(void *ctx) {
  (void)ctx;
  uint64_t one = 1;
  for (struct waiter *w = g.waiters; w; w = w->next)
    if (w != &tls_w && !w->driver && w->efd >= 0)
      (void)!write(w->efd, &one, sizeof(one));
}

void pl_wake(void) { wake_others(NULL); }

static struct waiter *self_waiter(void) {
  if (tls_w.efd < 0)
    tls_w.efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  return &tls_w;
}

static void link_waiter(struct waiter *w) {
  w->next = g.waiters;
  g.waiters = w;
  if (!w->driver) {
    g.app_waiters++;
    if (g.driver_on_net) { /* step back: an application drives now */
      g.driver_on_net = false;
      poke_driver();
    }
  }
}

static void unlink_waiter(struct waiter *w) {
  struct waiter **pp = &g.waiters;
  while (*pp && *pp != w)
    pp = &(*pp)->next;
  if (*pp)
    *pp = w->next;
  if (!w->driver)
    g.app_waiters--;
}

static struct timespec *until_ts(uint64_t deadline, struct timespec *ts) {
  if (deadline == UINT64_MAX)
    return NULL;
  uint64_t now = zn_host_now();
  uint64_t d = deadline > now ? deadline - now : 0;
  ts->tv_sec = (time_t)(d / 1000000000u);
  ts->tv_nsec = (long)(d % 1000000000u);
  return ts;
}

/* ppoll on [netif, wake, kfds...]: the array on the stack when small. */
static int sleep_on(struct waiter *w, bool net, struct pollfd *kfds,
                    unsigned n, uint64_t deadline, const sigset_t *mask,
                    int *err) {
  struct pollfd small[66];
  struct pollfd *p = n + 2 <= 66 ? small : malloc((n + 2) * sizeof(*p));
  if (!p) {
    *err = ENOMEM;
    return -1;
  }
  p[0] = (struct pollfd){net ? g.netfd : -1, POLLIN, 0};
  p[1] = (struct pollfd){w->efd, POLLIN, 0};
  if (n)
    memcpy(p + 2, kfds, n * sizeof(*p));
  struct timespec ts;
  pthread_mutex_unlock(&g.mu);
  int rc = (int)syscall(SYS_ppoll, p, (nfds_t)n + 2, until_ts(deadline, &ts),
                        mask, (size_t)8);
  *err = errno;
  pthread_mutex_lock(&g.mu);
  int k = 0;
  for (unsigned i = 0; rc > 0 && i < n; i++) {
    kfds[i].revents = p[i + 2].revents;
    k += p[i + 2].revents != 0;
  }
  if (rc > 0 && (p[1].revents & POLLIN)) {
    uint64_t v;
    (void)!read(w->efd, &v, sizeof(v));
  }
  if (p != small)
    free(p);
  return rc < 0 ? -1 : k;
}

static int h_wait(void *ctx, struct pollfd *kfds, unsigned n,
                  uint64_t deadline, const sigset_t *mask) {
  (void)ctx;
  struct waiter *w = self_waiter();
  for (unsigned i = 0; i < n; i++)
    kfds[i].revents = 0;
  link_waiter(w);
  int err = 0;
  int k = sleep_on(w, true, kfds, n, deadline, mask, &err);
  unlink_waiter(w);
  if (k >= 0)
    return k;
  if (err == EINTR)
    return pl_signal_restarts() ? -ZN_POSIX_ERESTART : -EINTR;
  return -err;
}

static int h_kepoll_create(void *ctx, int flags) {
  (void)ctx;
  long fd = syscall(SYS_epoll_create1, flags);
  return fd < 0 ? -errno : (int)fd;
}

static int h_kepoll_ctl(void *ctx, int epfd, int op, int fd,
                        struct epoll_event *ev) {
  (void)ctx;
  long rc = syscall(SYS_epoll_ctl, epfd, op, fd, ev);
  return rc < 0 ? -errno : 0;
}

static int h_kepoll_wait(void *ctx, int epfd, struct epoll_event *evs,
                         int max) {
  (void)ctx;
  long rc = syscall(SYS_epoll_pwait, epfd, evs, max, 0, NULL, (size_t)8);
  return rc < 0 ? -errno : (int)rc;
}

int pl_block(bool (*done)(void *arg), void *arg, uint64_t deadline) {
  for (;;) {
    zn_posix_drive(g.px);
    if (done(arg))
      return 0;
    uint64_t now = zn_host_now();
    if (now >= deadline)
      return -ETIMEDOUT;
    uint64_t next = zn_stack_next_deadline(g.h.st);
    int rc = h_wait(NULL, NULL, 0, next < deadline ? next : deadline, NULL);
    if (rc == -EINTR)
      return -EINTR;
  }
}

struct ex_host *pl_host(void) { return g.px ? &g.h : NULL; }

/* ---- building the stack ---- */

/* znet-run's flags, from ZNET_RUN_ARGS. */
static int run_args(char *text, char **argv) {
  static char prog[] = PL_PROG;
  int argc = 0;
  argv[argc++] = prog;
  for (char *p = text; p && *p && argc < PL_MAX_ARGS - 1;) {
    argv[argc++] = p;
    char *sep = strchr(p, 0x1f);
    if (!sep)
      break;
    *sep = 0;
    p = sep + 1;
  }
  argv[argc] = NULL;
  return argc;
}

/* znet-run's --dns servers, from ZNET_RUN_DNS ("ADDR:PORT" or
 * "[ADDR]:PORT", ',' between them); one that does not parse is left
 * out (znet-run checked them). */
static void read_dns(const char *text) {
  char one[ZN_IP_STRLEN + 16];
  while (text && *text && g.ndns < ZN_DNS_MAX_SERVERS) {
    size_t n = strcspn(text, ",");
    if (n < sizeof(one)) {
      memcpy(one, text, n);
      one[n] = 0;
      if (zn__app_parse_dns_server(one, &g.dns[g.ndns]) == 0)
        g.ndns++;
    }
    text += n + (text[n] == ',');
  }
}

uint32_t pl_dns_servers(const struct zn_dns_server **out) {
  *out = g.dns;
  return g.ndns;
}

static void forget_env(void) {
  unsetenv("ZNET_RUN_ARGS");
  unsetenv("ZNET_RUN_STATS");
  unsetenv("ZNET_RUN_DNS");
  const char *pre = getenv("LD_PRELOAD");
  if (pre && strstr(pre, "znet"))
    unsetenv("LD_PRELOAD");
}

static uint32_t max_fd(void) {
  struct rlimit rl;
  uint64_t n = 65536;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_max != RLIM_INFINITY &&
      rl.rlim_max > n)
    n = rl.rlim_max;
  return n > (1u << 20) ? 1u << 20 : (uint32_t)n;
}

static bool open_stack(void) {
  const char *a = getenv("ZNET_RUN_ARGS");
  if (!a)
    return false;
  static char text[65536];
  (void)snprintf(text, sizeof(text), "%s", a);
  g.stats = getenv("ZNET_RUN_STATS") != NULL;
  read_dns(getenv("ZNET_RUN_DNS"));
  forget_env();
  char *argv[PL_MAX_ARGS];
  int argc = run_args(text, argv);
  struct ex_prog prog = {.name = PL_PROG, .synopsis = "", .summary = ""};
  zn__app_opts_default(&g.h.o);
  g.h.o.tcp_rcvbuf = PL_TCP_RCVBUF;
  g.h.o.nbigbufs = PL_BIGBUFS;
  g.h.o.has_nbigbufs = true;
  optind = 1;
  zn__app_parse(&g.h.o, argc, argv, &prog);
  g.h.keep_signals = true;
  if (g.h.o.netif != EX_NETIF_TAP) {
    fprintf(stderr, PL_PROG ": the preload needs --netif tap:NAME\n");
    return false;
  }
  if (zn__app_open(&g.h, PL_PROG) != 0)
    return false;
  g.netfd = g.h.tap.fd;
  zn_stack_poll(g.h.st, zn_host_now());
  if (g.h.o.nipv6 || g.h.o.slaac)
    zn__app_ipv6_wait_ready(&g.h, ZN_SEC(5));
  if (g.h.o.dhcp && !zn__app_dhcp4_wait_bound(&g.h, ZN_SEC(30)))
    fprintf(stderr, PL_PROG ": no DHCP lease yet; going on\n");
  return true;
}

static bool open_layer(void) {
  struct zn_posix_cfg cfg;
  zn_posix_cfg_default(&cfg, &g.h.cfg);
  cfg.max_fd = max_fd();
  size_t len = zn_posix_mem_size(&cfg);
  g.pxmem = calloc(1, len);
  struct zn_posix_host host = {
      .now = h_now,
      .fd_reserve = h_reserve,
      .fd_release = h_release,
      .fd_dup = h_dup,
      .wait = h_wait,
      .wake = wake_others,
      .kepoll_create = h_kepoll_create,
      .kepoll_ctl = h_kepoll_ctl,
      .kepoll_wait = h_kepoll_wait,
  };
  struct zn_posix *px;
  if (!g.pxmem ||
      zn_posix_init(g.h.st, &cfg, &host, g.pxmem, len, &px) != ZN_OK) {
    fprintf(stderr, PL_PROG ": cannot build the socket layer\n");
    return false;
  }
  __atomic_store_n(&g.px, px, __ATOMIC_RELEASE);
  return true;
}

/* ---- the driver thread ---- */

static void *driver_main(void *arg) {
  (void)arg;
  sigset_t all;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, NULL); /* signals are the program's */
  pthread_mutex_lock(&g.mu);
  uint64_t seen = g.calls;
  for (;;) {
    zn_posix_drive(g.px);
    uint64_t now = zn_host_now();
    uint64_t next = zn_stack_next_deadline(g.h.st);
    /* Alone: no application thread waits, and none called in a period. */
    bool alone = g.app_waiters == 0 && g.calls == seen;
    seen = g.calls;
    uint64_t until = alone ? next : now + PL_IDLE_NS;
    if (until > now + PL_IDLE_NS && !alone)
      until = now + PL_IDLE_NS;
    int err;
    link_waiter(&g.driver_w);
    g.driver_on_net = alone;
    g.driver_until = until;
    sleep_on(&g.driver_w, alone, NULL, 0, until, NULL, &err);
    g.driver_on_net = false;
    unlink_waiter(&g.driver_w);
  }
  return NULL;
}

static void on_fork_prepare(void) { pthread_mutex_lock(&g.mu); }
static void on_fork_parent(void) { pthread_mutex_unlock(&g.mu); }

/* The child: the sockets are orphans, the stack is the parent's. */
static void on_fork_child(void) {
  pthread_mutex_init(&g.mu, NULL);
  if (g.px)
    zn_posix_forked(g.px);
  g.waiters = NULL;
  g.app_waiters = 0;
  if (tls_w.efd >= 0)
    syscall(SYS_close, tls_w.efd);
  tls_w.efd = -1;
  if (g.netfd >= 0)
    syscall(SYS_close, g.netfd);
  g.netfd = -1;
}

static void build(void) {
  bool asked = getenv("ZNET_RUN_ARGS") != NULL;
  if (!open_stack() || !open_layer()) {
    /* Started by znet-run and no stack: the program's IPv4 and IPv6
     * sockets fail (ENETDOWN) rather than go to the kernel unseen. */
    g.failed = asked;
    if (asked)
      fprintf(stderr, PL_PROG ": no stack: IPv4 and IPv6 sockets fail "
                              "with ENETDOWN\n");
    return;
  }
  g.driver_w.efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  g.driver_w.driver = true;
  pthread_atfork(on_fork_prepare, on_fork_parent, on_fork_child);
  if (pthread_create(&g.driver, NULL, driver_main, NULL) != 0)
    fprintf(stderr, PL_PROG ": no driver thread: the stack runs only "
                            "inside socket calls\n");
}

bool pl_broken(void) { return g.failed; }

struct zn_posix *pl_layer(void) {
  pthread_once(&g.once, build);
  return pl_layer_if_any();
}

/* At exit: close every socket as the kernel would, let the stack send
 * what was queued (bounded), and print the counters if asked. */
__attribute__((destructor)) static void pl_exit(void) {
  struct zn_posix *px = pl_layer_if_any();
  if (!px)
    return;
  pthread_mutex_lock(&g.mu);
  zn_posix_drain(px);
  if (g.stats) {
    struct zn_posix_stats ps;
    zn_posix_get_stats(px, &ps);
    zn__app_print_stats(stderr, g.h.st, PL_PROG);
    zn__app_print_nz(stderr, "posix_udp_drop_rcvbuf", ps.udp_drop_rcvbuf);
    zn__app_print_nz(stderr, "posix_udp_drop_nodgram", ps.udp_drop_nodgram);
  }
  pthread_mutex_unlock(&g.mu);
}
