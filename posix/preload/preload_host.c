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
#include "group.h"
#include "preload.h"
#include "znet/neigh.h"
#include "znet/steer.h"

#define PL_IDLE_NS 10000000u /* the driver's period while the program is busy */
#define PL_REAP_NS 100000000u /* slot 0's look for dead shards, at least */
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
  /* A group of shards: this process's stack is one of it (group.h). */
  struct pl_group *grp;
  int slot;                   /* its slot in the group */
  bool shard_pending;         /* a fork's child: its stack is built at its
                                 first socket call (pl_layer) */
  char nogroup[160];          /* why one stack, when a group was tried */
  bool caretaking;            /* forking the leader's caretaker (pl_exit) */
  bool told_orphan;           /* this process heard why its inherited
                                 sockets fail (h_orphan, build_shard) */
  struct zn_ip wants[64];     /* neighbors wished for, not yet told */
  uint32_t nwants;
  bool settle;                /* neighbor work waits (settle_group) */
  uint64_t addr6_gen;         /* slot 0's addresses last taken */
  uint64_t chores_at;         /* slot 0's next reaping and addresses */
  struct zn_ip slaac[PL_GROUP_ADDRS]; /* of them, the ones added here */
  uint32_t nslaac;
} g = {.mu = PTHREAD_MUTEX_INITIALIZER, .once = PTHREAD_ONCE_INIT};

static _Thread_local struct waiter tls_w = {.efd = -1};

static void poke_driver(void) {
  uint64_t one = 1;
  if (g.driver_w.efd >= 0)
    (void)!write(g.driver_w.efd, &one, sizeof(one));
}

void pl_lock(void) { pthread_mutex_lock(&g.mu); }

void pl_forked(pid_t pid) {
  if (g.grp)
    pl_group_join_pid(g.grp, pid);
}

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

/* ---- a group of shards (a multi-queue TAP; --shards N) ---- */

static void flow_opened(void *arg, const struct zn_steer_key *k) {
  (void)arg;
  (void)pl_group_flow(g.grp, k, true);
}

static void flow_closed(void *arg, const struct zn_steer_key *k) {
  (void)arg;
  (void)pl_group_flow(g.grp, k, false);
}

/* Slot 0: what the link told it, for the others. */
static void neigh_learned(void *arg, const struct zn_ip *ip,
                          const uint8_t mac[6]) {
  (void)arg;
  pl_group_publish(g.grp, ip, mac);
}

/* Another slot: a neighbor it needs (told after the poll). */
static void neigh_wanted(void *arg, const struct zn_ip *ip) {
  (void)arg;
  uint8_t mac[6];
  (void)pl_group_wish(g.grp, ip, mac);
  for (uint32_t i = 0; i < g.nwants; i++)
    if (zn_ip_eq(&g.wants[i], ip))
      return;
  if (g.nwants < sizeof(g.wants) / sizeof(g.wants[0]))
    g.wants[g.nwants++] = *ip;
  g.settle = true;
}

static void neigh_learn(struct zn_stack *st, const struct zn_ip *ip,
                        const uint8_t mac[6]) {
  if (ip->family == ZN_AF_INET)
    (void)zn_arp_learn(st, zn_ip_v4(ip), mac);
  else
    (void)zn_nd_learn(st, ip->bytes, mac);
}

/* Slot 0: tell the group the addresses SLAAC gave its stack. */
static void give_addrs(const struct zn_stack *st) {
  struct zn_ipv6_addr_info a[EX_MAX_SHOWN];
  struct zn_ip addrs[PL_GROUP_ADDRS];
  uint8_t prefixes[PL_GROUP_ADDRS];
  uint32_t n = zn_stack_ipv6_addrs(st, a, EX_MAX_SHOWN), k = 0;
  for (uint32_t i = 0; i < n && i < EX_MAX_SHOWN && k < PL_GROUP_ADDRS; i++)
    if (a[i].origin == ZN_IPV6_ORIGIN_SLAAC &&
        (a[i].state == ZN_IPV6_ADDR_PREFERRED ||
         a[i].state == ZN_IPV6_ADDR_DEPRECATED))
      addrs[k] = a[i].addr, prefixes[k++] = a[i].prefix;
  pl_group_set_addrs(g.grp, addrs, prefixes, k);
}

/* The other slots: slot 0's addresses, added to this stack as static
 * ones (router advertisements reach slot 0 only), and the ones it no
 * longer has taken away. */
static void take_addrs(struct zn_stack *st) {
  if (pl_group_addrs_gen(g.grp) == g.addr6_gen)
    return;
  struct zn_ip addrs[PL_GROUP_ADDRS];
  uint8_t prefixes[PL_GROUP_ADDRS];
  uint32_t n;
  g.addr6_gen = pl_group_addrs(g.grp, addrs, prefixes, &n);
  for (uint32_t i = 0; i < g.nslaac; i++) {
    bool still = false;
    for (uint32_t j = 0; j < n && !still; j++)
      still = zn_ip_eq(&g.slaac[i], &addrs[j]);
    if (!still)
      (void)zn_stack_del_ipv6(st, &g.slaac[i]); /* gone already: fine */
  }
  g.nslaac = 0;
  for (uint32_t j = 0; j < n; j++) {
    int rc = zn_stack_add_ipv6(st, &addrs[j], prefixes[j]);
    if (rc == ZN_OK || rc == ZN_EEXIST)
      g.slaac[g.nslaac++] = addrs[j];
  }
}

/* With the lock held, after a poll: slot 0 resolves what the others
 * wished for; the others learn what was published for them; slot 0
 * gives back the slots of processes that died. */
static void settle_group(void) {
  if (!g.grp || !g.px)
    return;
  struct zn_stack *st = g.h.st;
  uint8_t mac[6];
  if (g.slot == 0) {
    /* Wishes when woken for them (or while some wait on ARP); the
     * rest, which costs a few system calls a slot, every PL_REAP_NS. */
    struct zn_ip ips[32];
    uint32_t n = g.settle ? pl_group_take_wishes(g.grp, ips, 32) : 0;
    g.settle = false;
    for (uint32_t i = 0; i < n; i++) {
      int rc = ips[i].family == ZN_AF_INET
                   ? zn_arp_resolve(st, zn_ip_v4(&ips[i]), mac)
                   : zn_nd_resolve(st, ips[i].bytes, mac);
      if (rc == ZN_OK)
        pl_group_publish(g.grp, &ips[i], mac);
      else
        g.settle = true; /* asked again at the next turn */
    }
    uint64_t now = zn_host_now();
    if (now >= g.chores_at) {
      (void)pl_group_reap(g.grp);
      give_addrs(st);
      g.chores_at = now + PL_REAP_NS;
    }
    return;
  }
  take_addrs(st);
  uint32_t keep = 0;
  for (uint32_t i = 0; i < g.nwants; i++) {
    if (pl_group_lookup(g.grp, &g.wants[i], mac))
      neigh_learn(st, &g.wants[i], mac);
    else
      g.wants[keep++] = g.wants[i];
  }
  g.nwants = keep;
  g.settle = keep > 0;
}

static void h_serve(void *ctx, uint8_t proto, uint16_t port, bool on) {
  (void)ctx;
  (void)pl_group_serve(g.grp, proto, port, on);
}

/* A fork's child used a socket its parent's stack keeps: once per
 * process, why it fails. */
static void h_orphan(void *ctx, int fd) {
  (void)ctx;
  if (g.told_orphan)
    return;
  g.told_orphan = true;
  if (g.grp)
    fprintf(stderr,
            PL_PROG ": pid %d: fd %d is a connection made before fork: it "
                    "stays with the parent's stack and fails here (EBADF); "
                    "listeners and UDP sockets are made again in each "
                    "process\n",
            (int)getpid(), fd);
  else
    fprintf(stderr,
            PL_PROG ": pid %d: fd %d was opened before fork: it stays with "
                    "the parent's stack and fails here (EBADF); one stack "
                    "for every process: %s\n",
            (int)getpid(), fd, g.nogroup[0] ? g.nogroup : "no group");
}

/* The hooks of a stack of the group: its flows, its neighbors. */
static void group_hooks(struct zn_stack *st) {
  const struct zn_flow_hooks fh = {flow_opened, flow_closed, NULL};
  zn_tcp_set_flow_hooks(st, &fh);
  zn_udp_set_flow_hooks(st, &fh);
  struct zn_neigh_hooks nh = {0};
  if (g.slot == 0)
    nh.learned = neigh_learned;
  else
    nh.wanted = neigh_wanted;
  zn_arp_set_hooks(st, &nh);
  zn_nd_set_hooks(st, &nh);
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
  struct pollfd small[67];
  struct pollfd *p = n + 3 <= 67 ? small : malloc((n + 3) * sizeof(*p));
  if (!p) {
    *err = ENOMEM;
    return -1;
  }
  /* The group's news for this slot wake the driver (kfds follow). */
  int gfd = g.grp && w->driver ? pl_group_wake_fd(g.grp, (uint32_t)g.slot)
                               : -1;
  p[0] = (struct pollfd){net ? g.netfd : -1, POLLIN, 0};
  p[1] = (struct pollfd){w->efd, POLLIN, 0};
  if (n)
    memcpy(p + 2, kfds, n * sizeof(*p));
  p[n + 2] = (struct pollfd){gfd, POLLIN, 0};
  struct timespec ts;
  pthread_mutex_unlock(&g.mu);
  int rc = (int)syscall(SYS_ppoll, p, (nfds_t)n + 3, until_ts(deadline, &ts),
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
  if (rc > 0 && gfd >= 0 && (p[n + 2].revents & POLLIN)) {
    uint64_t v;
    (void)!read(gfd, &v, sizeof(v));
    g.settle = true;
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
    if (g.settle)
      settle_group();
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
  unsetenv("ZNET_RUN_SHARDS");
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

/* Without --shards: a group when the TAP takes multi-queue, of room for
 * a master and two workers per CPU, a respawn and a reload's. */
static uint32_t auto_shards(void) {
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  long n = cpus > 0 ? 2 * cpus + 2 : 8;
  return n < 8 ? 8 : n > 64 ? 64 : (uint32_t)n;
}

static bool open_stack(void) {
  const char *a = getenv("ZNET_RUN_ARGS");
  if (!a)
    return false;
  static char text[65536];
  (void)snprintf(text, sizeof(text), "%s", a);
  g.stats = getenv("ZNET_RUN_STATS") != NULL;
  const char *shards = getenv("ZNET_RUN_SHARDS");
  uint32_t nshards = shards ? (uint32_t)strtoul(shards, NULL, 10)
                            : auto_shards();
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
  if (nshards >= 2) {
    if (pl_group_open(g.h.o.tap_name, nshards, 0,
                      g.h.o.no_offload ? ZN_TAP_NO_OFFLOAD : 0, &g.grp,
                      g.nogroup, sizeof(g.nogroup)) == ZN_OK) {
      g.h.given = &pl_group_queue(g.grp, 0)->nif;
      g.h.o.port_share = 0;
      g.h.o.port_shares = (uint16_t)nshards;
    } else if (shards) { /* asked for: said now; else when it matters */
      fprintf(stderr,
              PL_PROG ": --shards: %s; one stack (a forked child's sockets "
                      "are orphans)\n",
              g.nogroup);
    }
  } else {
    (void)snprintf(g.nogroup, sizeof(g.nogroup), "--shards 1");
  }
  if (zn__app_open(&g.h, PL_PROG) != 0)
    return false;
  g.netfd = g.grp ? pl_group_queue(g.grp, 0)->fd : g.h.tap.fd;
  if (g.grp)
    group_hooks(g.h.st);
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
      /* Only a group of shards needs to hear which ports are served
       * (a fork's child inherits the layer, and the group, as they are). */
      .serve = g.grp ? h_serve : NULL,
      .orphan = h_orphan,
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
    if (g.grp)
      settle_group();
    uint64_t now = zn_host_now();
    uint64_t next = zn_stack_next_deadline(g.h.st);
    /* Alone: no application thread waits, and none called in a period. */
    bool alone = g.app_waiters == 0 && g.calls == seen;
    seen = g.calls;
    uint64_t until = alone ? next : now + PL_IDLE_NS;
    if (until > now + PL_IDLE_NS && !alone)
      until = now + PL_IDLE_NS;
    /* Slot 0 of a group looks for dead shards at least this often: their
     * frames go nowhere until their slot is given back. */
    if (g.grp && g.slot == 0 && until > now + PL_REAP_NS)
      until = now + PL_REAP_NS;
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

/* The child: the sockets are orphans, the stack is the parent's; with
 * a group, until its first socket call builds its own (build_shard). */
static void on_fork_child(void) {
  pthread_mutex_init(&g.mu, NULL);
  if (g.caretaking)
    return; /* the caretaker keeps it all (become_caretaker) */
  if (g.grp)
    pl_group_join(g.grp);
  if (g.px)
    zn_posix_forked(g.px);
  if (g.grp && g.px)
    __atomic_store_n(&g.shard_pending, true, __ATOMIC_RELEASE);
  g.nwants = 0;
  g.settle = false;
  g.told_orphan = false;
  if (g.driver_w.efd >= 0) /* the parent's driver's: not ours to poke */
    syscall(SYS_close, g.driver_w.efd);
  g.driver_w.efd = -1;
  g.waiters = NULL;
  g.app_waiters = 0;
  if (tls_w.efd >= 0)
    syscall(SYS_close, tls_w.efd);
  tls_w.efd = -1;
  /* A group's queues are the group's to close (pl_group_claim): closed
   * here too, queue 0's number could be the program's by then. */
  if (g.netfd >= 0 && !g.grp)
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

/* A fork's child, at its first socket call: a slot of the group, a stack
 * on its queue with the parent's MAC and addresses, the layer moved to
 * it (zn_posix_reshard: the listeners and UDP sockets made again), a
 * driver thread.  With the lock held. */
static void build_shard(void) {
  __atomic_store_n(&g.shard_pending, false, __ATOMIC_RELEASE);
  int slot = pl_group_claim(g.grp);
  if (slot < 0) {
    fprintf(stderr,
            PL_PROG ": pid %d: every one of the %u shards is taken: this "
                    "process's sockets are orphans (more --shards?)\n",
            (int)getpid(), pl_group_nslots(g.grp));
    g.told_orphan = true;
    return;
  }
  static struct ex_host h2;
  memset(&h2, 0, sizeof(h2));
  h2.o = g.h.o;
  zn_stack_get_ipv4(g.h.st, &h2.o.ipv4, &h2.o.prefix, &h2.o.gateway);
  memcpy(h2.o.mac, zn_stack_mac(g.h.st), 6);
  h2.o.has_mac = true;
  h2.o.dhcp = false; /* the leader's lease */
  h2.o.capture = NULL;
  h2.o.dad_transmits = 0; /* the leader's addresses passed DAD */
  h2.o.has_dad_transmits = true;
  /* Router advertisements reach slot 0 only: its addresses are taken
   * (take_addrs). */
  h2.o.ipv6_given = h2.o.slaac;
  h2.o.slaac = false;
  h2.o.port_share = (uint16_t)slot;
  h2.keep_signals = true;
  h2.given = &pl_group_queue(g.grp, (uint32_t)slot)->nif;
  if (zn__app_open(&h2, PL_PROG) != 0) {
    fprintf(stderr, PL_PROG ": pid %d: no stack for shard %d: this process's "
                    "sockets are orphans\n",
            (int)getpid(), slot);
    g.told_orphan = true;
    return;
  }
  g.h = h2;
  g.addr6_gen = 0;
  g.nslaac = 0;
  take_addrs(g.h.st);
  g.slot = slot;
  g.netfd = pl_group_queue(g.grp, (uint32_t)slot)->fd;
  group_hooks(g.h.st);
  int rc = zn_posix_reshard(g.px, g.h.st);
  if (rc < 0)
    fprintf(stderr, PL_PROG ": pid %d: a socket could not be made again on "
                    "shard %d: %s\n",
            (int)getpid(), slot, strerror(-rc));
  g.driver_w.efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (pthread_create(&g.driver, NULL, driver_main, NULL) != 0)
    fprintf(stderr, PL_PROG ": no driver thread in shard %d\n", slot);
}

bool pl_shard_pending(void) {
  return __atomic_load_n(&g.shard_pending, __ATOMIC_ACQUIRE);
}

struct zn_posix *pl_layer_use(void) {
  struct zn_posix *px = pl_layer_if_any();
  if (px && __atomic_load_n(&g.shard_pending, __ATOMIC_ACQUIRE)) {
    pthread_mutex_lock(&g.mu);
    if (g.shard_pending)
      build_shard();
    pthread_mutex_unlock(&g.mu);
  }
  return px;
}

bool pl_broken(void) { return g.failed; }

struct zn_posix *pl_layer(void) {
  pthread_once(&g.once, build);
  return pl_layer_use();
}

/* The caretaker's descriptors: the group's, and a fresh driver eventfd;
 * every other one closed (the program's files, pipes and terminal are
 * not the caretaker's to hold open), 0 to 2 on /dev/null. */
static void keep_only_group_fds(void) {
  int keep[3 * PL_GROUP_MAX_SLOTS + 3];
  uint32_t n = pl_group_fds(g.grp, keep, 3 * PL_GROUP_MAX_SLOTS + 3);
  for (uint32_t i = 1; i < n; i++) /* sorted: few, insertion */
    for (uint32_t j = i; j > 0 && keep[j - 1] > keep[j]; j--) {
      int t = keep[j];
      keep[j] = keep[j - 1], keep[j - 1] = t;
    }
  unsigned from = 3;
  for (uint32_t i = 0; i <= n; i++) {
    unsigned to = i < n ? (unsigned)keep[i] : ~0u;
    if (to > from)
      (void)syscall(SYS_close_range, from, to - 1, 0);
    from = i < n ? (unsigned)keep[i] + 1 : from;
  }
  /* (The raw calls: close and dup2 here are the preload's own.) */
  int null = (int)syscall(SYS_openat, AT_FDCWD, "/dev/null",
                          O_RDWR | O_CLOEXEC);
  /* (--stats: stderr stays, for the counters at its end.) */
  for (int fd = 0; fd < (g.stats ? 2 : 3) && null >= 0; fd++)
    if (null != fd)
      (void)syscall(SYS_dup3, null, fd, 0);
  if (null > 2)
    (void)syscall(SYS_close, null);
}

static void print_stats(struct zn_posix *px);

/* The leader's caretaker: a copy of the leader, forked as it exits while
 * other processes of the group live (a daemon's first process exits once
 * it has forked its master): it keeps slot 0's stack (its addresses,
 * neighbors, DHCP lease) answering ARP and ND for the group and reaping
 * dead shards, and exits when no other process of the group is left. */
static void become_caretaker(void) {
  g.caretaking = true;
  pid_t pid = fork();
  g.caretaking = false;
  if (pid < 0)
    return; /* no caretaker: the next process to claim takes slot 0 */
  if (pid > 0) {
    if (!pl_group_pass_lead(g.grp, pid))
      (void)kill(pid, SIGKILL); /* (slot 0 was not ours to pass) */
    return; /* the leader exits */
  }
  (void)setsid();
  keep_only_group_fds();
  const struct timespec tick = {0, 10000000};
  for (int i = 0; i < 100 && !pl_group_lead(g.grp); i++)
    (void)nanosleep(&tick, NULL); /* until the leader passed slot 0 (1 s) */
  if (pl_group_slot(g.grp) != 0)
    _exit(0);
  g.driver_w.efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  g.driver_w.driver = true;
  g.waiters = NULL;
  g.app_waiters = 0;
  pthread_mutex_lock(&g.mu);
  uint64_t check = 0;
  for (;;) {
    zn_posix_drive(g.px);
    settle_group();
    uint64_t now = zn_host_now();
    if (now >= check) {
      /* Alone, or the device gone (its queue says POLLERR): done. */
      struct pollfd q = {g.netfd, POLLIN, 0};
      if (!pl_group_others_alive(g.grp) ||
          (syscall(SYS_poll, &q, 1, 0) > 0 &&
           (q.revents & (POLLERR | POLLHUP | POLLNVAL)))) {
        if (g.stats)
          print_stats(g.px);
        _exit(0);
      }
      check = now + PL_REAP_NS;
    }
    uint64_t until = zn_stack_next_deadline(g.h.st);
    int err;
    link_waiter(&g.driver_w);
    sleep_on(&g.driver_w, true, NULL, 0, until < check ? until : check, NULL,
             &err);
    unlink_waiter(&g.driver_w);
  }
}

/* --stats: this process's counters; in a group each process prints its
 * own stack's (a child without a shard has none: its copy of the
 * parent's counts nothing new), and the last to exit prints the sum. */
static void print_stats(struct zn_posix *px) {
  struct zn_posix_stats ps;
  zn_posix_get_stats(px, &ps);
  bool own = !g.grp || pl_group_slot(g.grp) >= 0;
  struct zn_stats mine, sum;
  memset(&mine, 0, sizeof(mine));
  if (own) {
    zn_stats_get(g.h.st, &mine);
    char who[96];
    if (g.grp)
      (void)snprintf(who, sizeof(who), PL_PROG ": pid %d, shard %d",
                     (int)getpid(), pl_group_slot(g.grp));
    zn__app_print_counts(stderr, &mine, g.grp ? who : PL_PROG);
    zn__app_print_nz(stderr, "posix_udp_drop_rcvbuf", ps.udp_drop_rcvbuf);
    zn__app_print_nz(stderr, "posix_udp_drop_nodgram", ps.udp_drop_nodgram);
  }
  if (g.grp && pl_group_report(g.grp, &mine, &sum))
    zn__app_print_counts(stderr, &sum, PL_PROG ": every shard together");
}

/* At exit: close every socket as the kernel would, let the stack send
 * what was queued (bounded), and print the counters if asked.  A group's
 * leader leaves a caretaker behind while other processes of it live (it
 * prints the counters of slot 0's stack when it ends). */
__attribute__((destructor)) static void pl_exit(void) {
  struct zn_posix *px = pl_layer_if_any();
  if (!px)
    return;
  pthread_mutex_lock(&g.mu);
  zn_posix_drain(px);
  bool care = g.grp && pl_group_slot(g.grp) == 0 &&
              pl_group_others_alive(g.grp);
  if (g.stats && !care)
    print_stats(px);
  pthread_mutex_unlock(&g.mu);
  if (care)
    become_caretaker();
}
