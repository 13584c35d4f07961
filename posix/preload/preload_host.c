/* The Linux host of libznet-posix for znet-run's preload.
 *
 * A shard: a stack, built with the examples' plumbing from znet-run's
 * flags, one layer over it, one mutex around both, a driver thread.  A
 * process has one (sh[0]); on a group's multi-queue TAP with
 * --thread-shards, each thread that opens sockets gets one more, on a
 * slot of the group (its own queue), while slots last.  A socket's calls
 * go to the shard whose layer holds it; a thread's new sockets to its
 * own.  A socket is reserved as an eventfd (close-on-exec: exec drops
 * it), so the kernel never gives its number to anything else.  A thread
 * that must wait sleeps in ppoll(2) on the shard's queue, its own wake
 * eventfd and the foreign descriptors of its call, with the lock let go;
 * a thread that changed what others wait for writes their wake eventfds.
 *
 * Nothing polls a stack while the program computes outside any socket
 * call, so its driver thread does: every PL_IDLE_NS it polls the stack,
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
#include "bridge.h"
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
/* A server's connections: as many as the default descriptor limit (1024)
 * lets a program open, where the stack's own default, 64, is an
 * embedded one's (Debian's nginx.conf allows a worker 768: past 64 the
 * rest were made with SYN cookies and most never completed).  And frame
 * buffers for them: with 512, 700 keep-alive connections with a request
 * each in flight hit the stack's TCP buffer bound (tcp_drop_mem 355 in
 * 5 s, wrk's mean latency 76 ms; 12 ms with 4096).  Memory: the table
 * about 1.5 MB more per stack, the buffers taken as used (a process
 * with one socket: 17.2 MB resident with the stack's defaults, 20.2
 * with these; znet-run's flags override both). */
#define PL_TCP_CONNS 1024u
#define PL_BUFS 4096u
#define PL_PROG "znet-run"
#define PL_MAX_ARGS 256

struct waiter {
  int efd;
  bool driver;
  struct waiter *next;
};

/* A stack, the socket layer over it, its lock and its driver thread:
 * the process's one, or one of a group's shards this process holds (a
 * thread's, with --thread-shards). */
struct pl_shard {
  pthread_mutex_t mu;
  struct zn__app_host h;
  struct zn_posix *px;        /* atomic: NULL until built */
  void *pxmem;
  int netfd;
  int slot;                   /* its slot in the group; -1: none (a
                                 fork's child's copy) */
  struct waiter *waiters;
  unsigned app_waiters;       /* application threads inside wait */
  uint64_t calls;             /* application calls so far (under the lock) */
  pthread_t driver;
  struct waiter driver_w;
  bool driver_on_net;         /* the driver sleeps on the netif ... */
  uint64_t driver_until;      /* ... until then */
  struct zn_ip wants[64];     /* neighbors wished for, not yet told */
  uint32_t nwants;
  bool settle;                /* neighbor work waits (settle_group) */
  uint64_t addr6_gen;         /* slot 0's addresses last taken */
  uint64_t ipv4_gen;          /* slot 0's IPv4 address last taken */
  uint64_t chores_at;         /* slot 0's next reaping and addresses */
  struct zn_ip slaac[PL_GROUP_ADDRS]; /* of them, the ones added here */
  uint32_t nslaac;
};

static struct {
  pthread_once_t once;
  /* sh[0]: the process's stack (slot 0 in a group's leader, the slot
   * it claimed in a fork's child); sh[1..]: threads' shards. */
  struct pl_shard sh[PL_GROUP_MAX_SLOTS];
  uint32_t nsh;               /* atomic: how many are built */
  pthread_mutex_t grow;       /* making a thread's shard */
  pthread_mutex_t binding;    /* a bind checked against the other shards */
  bool threads;               /* --thread-shards */
  bool sh0_taken;             /* a thread uses sh[0] (--thread-shards) */
  uint32_t next_shared;       /* threads beyond the slots: spread */
  bool told_full;
  bool failed;
  bool stats;                 /* --stats: the counters at exit */
  struct zn_dns_server dns[ZN_DNS_MAX_SERVERS]; /* znet-run's --dns */
  uint32_t ndns;
  /* A group of shards: this process's stacks are of it (group.h). */
  struct pl_group *grp;
  bool shard_pending;         /* a fork's child: its stack is built at its
                                 first socket call (pl_shard_use) */
  char nogroup[160];          /* why one stack, when a group was tried */
  bool caretaking;            /* forking the leader's caretaker (pl_exit) */
  bool told_orphan;           /* this process heard why its inherited
                                 sockets fail (h_orphan, build_shard) */
  bool told_cross;            /* ... why a set mixing shards fails */
  pid_t opener;               /* the process that opened the TAP */
} g = {.once = PTHREAD_ONCE_INIT,
       .grow = PTHREAD_MUTEX_INITIALIZER,
       .binding = PTHREAD_MUTEX_INITIALIZER,
       .sh[0] = {.mu = PTHREAD_MUTEX_INITIALIZER, .netfd = -1,
                 .driver_w = {.efd = -1}}};

static _Thread_local struct waiter tls_w = {.efd = -1};
/* The shard this thread's new sockets go to (--thread-shards). */
static _Thread_local struct pl_shard *tls_shard;

/* The lowest number for the descriptors the preload keeps for itself
 * (a group's, the drivers' and the threads' eventfds): high, since some
 * programs size their tables by the descriptors they expect to open
 * (wrk's event loops: 10 + 3 per connection).  Half the soft limit, at
 * most 1024; 0 (anywhere) under a small limit. */
static int fd_floor(void) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur < 256)
    return 0;
  rlim_t half = rl.rlim_cur / 2;
  return half > 1024 ? 1024 : (int)half;
}

/* An eventfd of the preload's own, at or above fd_floor. */
static int own_eventfd(void) {
  int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  int floor = fd_floor();
  if (fd < 0 || floor == 0 || fd >= floor)
    return fd;
  long high = syscall(SYS_fcntl, fd, F_DUPFD_CLOEXEC, floor);
  if (high < 0)
    return fd;
  syscall(SYS_close, fd);
  return (int)high;
}

static uint32_t built_shards(void) {
  return __atomic_load_n(&g.nsh, __ATOMIC_ACQUIRE);
}

static struct zn_posix *layer_of(struct pl_shard *s) {
  return __atomic_load_n(&s->px, __ATOMIC_ACQUIRE);
}

struct zn_posix *pl_px(struct pl_shard *s) { return layer_of(s); }

struct pl_shard *pl_primary(void) { return &g.sh[0]; }

static void poke_driver(struct pl_shard *s) {
  uint64_t one = 1;
  if (s->driver_w.efd >= 0)
    (void)!write(s->driver_w.efd, &one, sizeof(one));
}

void pl_lock(struct pl_shard *s) { pthread_mutex_lock(&s->mu); }

void pl_forked(pid_t pid) {
  if (g.grp)
    pl_group_join_pid(g.grp, pid);
}

/* A call may have armed a timer sooner than the driver, asleep on the
 * netif, means to wake. */
void pl_unlock(struct pl_shard *s) {
  s->calls++;
  if (s->driver_on_net && zn_stack_next_deadline(s->h.st) < s->driver_until) {
    s->driver_on_net = false;
    poke_driver(s);
  }
  pthread_mutex_unlock(&s->mu);
}

/* A relaxed read of each layer's table: a program's own descriptors
 * cost one read per shard. */
struct pl_shard *pl_shard_of(int fd) {
  uint32_t n = built_shards();
  for (uint32_t i = 0; i < n; i++) {
    struct zn_posix *px = layer_of(&g.sh[i]);
    if (px && zn_posix_owns(px, fd))
      return &g.sh[i];
  }
  return NULL;
}

bool pl_owns(int fd) { return pl_shard_of(fd) != NULL; }

struct zn_posix *pl_layer_if_any(void) { return layer_of(&g.sh[0]); }

/* ---- a group of shards (a multi-queue TAP; --shards N) ---- */

static void flow_opened(void *arg, const struct zn_steer_key *k) {
  const struct pl_shard *s = arg;
  (void)pl_group_flow(g.grp, s->slot, k, true);
}

static void flow_closed(void *arg, const struct zn_steer_key *k) {
  const struct pl_shard *s = arg;
  (void)pl_group_flow(g.grp, s->slot, k, false);
}

/* Slot 0: what the link told it, for the others. */
static void neigh_learned(void *arg, const struct zn_ip *ip,
                          const uint8_t mac[6]) {
  (void)arg;
  pl_group_publish(g.grp, ip, mac);
}

/* Another slot: a neighbor it needs (told after the poll). */
static void neigh_wanted(void *arg, const struct zn_ip *ip) {
  struct pl_shard *s = arg;
  uint8_t mac[6];
  (void)pl_group_wish(g.grp, s->slot, ip, mac);
  for (uint32_t i = 0; i < s->nwants; i++)
    if (zn_ip_eq(&s->wants[i], ip))
      return;
  if (s->nwants < sizeof(s->wants) / sizeof(s->wants[0]))
    s->wants[s->nwants++] = *ip;
  s->settle = true;
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
  struct zn_ipv6_addr_info a[ZN__APP_MAX_SHOWN];
  struct zn_ip addrs[PL_GROUP_ADDRS];
  uint8_t prefixes[PL_GROUP_ADDRS];
  uint32_t n = zn_stack_ipv6_addrs(st, a, ZN__APP_MAX_SHOWN), k = 0;
  for (uint32_t i = 0; i < n && i < ZN__APP_MAX_SHOWN && k < PL_GROUP_ADDRS;
       i++)
    if (a[i].origin == ZN_IPV6_ORIGIN_SLAAC &&
        (a[i].state == ZN_IPV6_ADDR_PREFERRED ||
         a[i].state == ZN_IPV6_ADDR_DEPRECATED))
      addrs[k] = a[i].addr, prefixes[k++] = a[i].prefix;
  pl_group_set_addrs(g.grp, addrs, prefixes, k);
}

/* The other slots: slot 0's addresses, added to this stack as static
 * ones (router advertisements reach slot 0 only), and the ones it no
 * longer has taken away. */
static void take_addrs(struct pl_shard *s) {
  if (pl_group_addrs_gen(g.grp) == s->addr6_gen)
    return;
  struct zn_ip addrs[PL_GROUP_ADDRS];
  uint8_t prefixes[PL_GROUP_ADDRS];
  uint32_t n;
  s->addr6_gen = pl_group_addrs(g.grp, addrs, prefixes, &n);
  for (uint32_t i = 0; i < s->nslaac; i++) {
    bool still = false;
    for (uint32_t j = 0; j < n && !still; j++)
      still = zn_ip_eq(&s->slaac[i], &addrs[j]);
    if (!still)
      (void)zn_stack_del_ipv6(s->h.st, &s->slaac[i]); /* gone already: fine */
  }
  s->nslaac = 0;
  for (uint32_t j = 0; j < n; j++) {
    int rc = zn_stack_add_ipv6(s->h.st, &addrs[j], prefixes[j]);
    if (rc == ZN_OK || rc == ZN_EEXIST)
      s->slaac[s->nslaac++] = addrs[j];
  }
}

/* The other slots: slot 0's IPv4 address, prefix and gateway (its
 * DHCP lease's, renewed or changed) when they change. */
static void take_ipv4(struct pl_shard *s) {
  if (pl_group_ipv4_gen(g.grp) == s->ipv4_gen)
    return;
  uint32_t addr, gw, mine, mygw;
  uint8_t prefix, myprefix;
  s->ipv4_gen = pl_group_ipv4(g.grp, &addr, &prefix, &gw);
  zn_stack_get_ipv4(s->h.st, &mine, &myprefix, &mygw);
  if (s->ipv4_gen != 0 &&
      (addr != mine || prefix != myprefix || gw != mygw))
    (void)zn_stack_set_ipv4(s->h.st, addr, prefix, gw);
}

/* Slot 0's part: resolve what the others wished for; give back the
 * slots of processes that died, and publish its addresses. */
static void settle_lead(struct pl_shard *s) {
  struct zn_stack *st = s->h.st;
  uint8_t mac[6];
  /* Wishes when woken for them (or while some wait on ARP); the rest,
   * which costs a few system calls a slot, every PL_REAP_NS. */
  struct zn_ip ips[32];
  uint32_t n = s->settle ? pl_group_take_wishes(g.grp, ips, 32) : 0;
  s->settle = false;
  for (uint32_t i = 0; i < n; i++) {
    int rc = ips[i].family == ZN_AF_INET
                 ? zn_arp_resolve(st, zn_ip_v4(&ips[i]), mac)
                 : zn_nd_resolve(st, ips[i].bytes, mac);
    if (rc == ZN_OK)
      pl_group_publish(g.grp, &ips[i], mac);
    else
      s->settle = true; /* asked again at the next turn */
  }
  uint64_t now = zn_host_now();
  if (now >= s->chores_at) {
    (void)pl_group_reap(g.grp);
    give_addrs(st);
    uint32_t addr, gw;
    uint8_t prefix;
    zn_stack_get_ipv4(st, &addr, &prefix, &gw);
    pl_group_set_ipv4(g.grp, addr, prefix, gw);
    s->chores_at = now + PL_REAP_NS;
  }
}

/* With the shard's lock held, after a poll: slot 0 leads; the others
 * learn what was published for them. */
static void settle_group(struct pl_shard *s) {
  if (!g.grp || !layer_of(s) || s->slot < 0)
    return;
  if (s->slot == 0) {
    settle_lead(s);
    return;
  }
  uint8_t mac[6];
  take_addrs(s);
  take_ipv4(s);
  uint32_t keep = 0;
  for (uint32_t i = 0; i < s->nwants; i++) {
    if (pl_group_lookup(g.grp, &s->wants[i], mac))
      neigh_learn(s->h.st, &s->wants[i], mac);
    else
      s->wants[keep++] = s->wants[i];
  }
  s->nwants = keep;
  s->settle = keep > 0;
}

static void h_serve(void *ctx, uint8_t proto, uint16_t port, bool on) {
  const struct pl_shard *s = ctx;
  if (g.grp)
    (void)pl_group_serve(g.grp, s->slot, proto, port, on);
  pl_bridge_serve(proto, port, on);
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

bool pl_epoll_move(struct pl_shard *from, struct pl_shard *to, int epfd) {
  struct pl_shard *first = from < to ? from : to;
  struct pl_shard *second = from < to ? to : from;
  pthread_mutex_lock(&first->mu);
  pthread_mutex_lock(&second->mu);
  int rc = zn_posix_epoll_move(layer_of(from), layer_of(to), epfd);
  pthread_mutex_unlock(&second->mu);
  pthread_mutex_unlock(&first->mu);
  /* The thread's event loop went to `to`: its new sockets follow (a
   * thread that made its epoll, then added a listener the main thread
   * opened, connects out from where its loop waits). */
  if (rc == 0 && tls_shard == from)
    tls_shard = to;
  return rc == 0;
}

long pl_bind_shared(struct pl_shard *s, int fd, const struct sockaddr *sa,
                    socklen_t len) {
  pthread_mutex_lock(&g.binding);
  long rc = 0;
  uint32_t n = built_shards();
  for (uint32_t i = 0; i < n && rc == 0; i++) {
    struct pl_shard *t = &g.sh[i];
    if (t == s || t->slot < 0)
      continue;
    struct pl_shard *first = s < t ? s : t, *second = s < t ? t : s;
    pthread_mutex_lock(&first->mu);
    pthread_mutex_lock(&second->mu);
    rc = zn_posix_bind_check(layer_of(t), layer_of(s), fd, sa, len);
    pthread_mutex_unlock(&second->mu);
    pthread_mutex_unlock(&first->mu);
  }
  if (rc == 0) {
    pthread_mutex_lock(&s->mu);
    rc = zn_posix_bind(layer_of(s), fd, sa, len);
    pl_unlock(s);
  }
  pthread_mutex_unlock(&g.binding);
  return rc;
}

void pl_tell_cross(int fd) {
  if (__atomic_exchange_n(&g.told_cross, true, __ATOMIC_RELAXED))
    return;
  fprintf(stderr,
          PL_PROG ": pid %d: fd %d belongs to another thread's stack "
                  "(--thread-shards): one epoll, poll or select set cannot "
                  "wait on sockets of two stacks; each thread should open "
                  "the sockets it waits on\n",
          (int)getpid(), fd);
}

/* The hooks of a stack of the group: its flows, its neighbors. */
static void group_hooks(struct pl_shard *s) {
  const struct zn_flow_hooks fh = {flow_opened, flow_closed, s};
  zn_tcp_set_flow_hooks(s->h.st, &fh);
  zn_udp_set_flow_hooks(s->h.st, &fh);
  struct zn_neigh_hooks nh = {.arg = s};
  if (s->slot == 0)
    nh.learned = neigh_learned;
  else
    nh.wanted = neigh_wanted;
  zn_arp_set_hooks(s->h.st, &nh);
  zn_nd_set_hooks(s->h.st, &nh);
}

/* ---- the host functions (ctx: the shard) ---- */

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
  const struct pl_shard *s = ctx;
  uint64_t one = 1;
  for (struct waiter *w = s->waiters; w; w = w->next)
    if (w != &tls_w && !w->driver && w->efd >= 0)
      (void)!write(w->efd, &one, sizeof(one));
}

void pl_wake(struct pl_shard *s) { wake_others(s); }

static struct waiter *self_waiter(void) {
  if (tls_w.efd < 0)
    tls_w.efd = own_eventfd();
  return &tls_w;
}

static void link_waiter(struct pl_shard *s, struct waiter *w) {
  w->next = s->waiters;
  s->waiters = w;
  if (!w->driver) {
    s->app_waiters++;
    if (s->driver_on_net) { /* step back: an application drives now */
      s->driver_on_net = false;
      poke_driver(s);
    }
  }
}

static void unlink_waiter(struct pl_shard *s, struct waiter *w) {
  struct waiter **pp = &s->waiters;
  while (*pp && *pp != w)
    pp = &(*pp)->next;
  if (*pp)
    *pp = w->next;
  if (!w->driver)
    s->app_waiters--;
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
static int sleep_on(struct pl_shard *s, struct waiter *w, bool net,
                    struct pollfd *kfds, unsigned n, uint64_t deadline,
                    const sigset_t *mask, int *err) {
  struct pollfd small[67];
  struct pollfd *p = n + 3 <= 67 ? small : malloc((n + 3) * sizeof(*p));
  if (!p) {
    *err = ENOMEM;
    return -1;
  }
  /* The group's news for this slot wake the driver (kfds follow). */
  int gfd = g.grp && w->driver && s->slot >= 0
                ? pl_group_wake_fd(g.grp, (uint32_t)s->slot)
                : -1;
  p[0] = (struct pollfd){net ? s->netfd : -1, POLLIN, 0};
  p[1] = (struct pollfd){w->efd, POLLIN, 0};
  if (n)
    memcpy(p + 2, kfds, n * sizeof(*p));
  p[n + 2] = (struct pollfd){gfd, POLLIN, 0};
  struct timespec ts;
  pthread_mutex_unlock(&s->mu);
  int rc = (int)syscall(SYS_ppoll, p, (nfds_t)n + 3, until_ts(deadline, &ts),
                        mask, (size_t)8);
  *err = errno;
  pthread_mutex_lock(&s->mu);
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
    s->settle = true;
  }
  if (p != small)
    free(p);
  return rc < 0 ? -1 : k;
}

static int h_wait(void *ctx, struct pollfd *kfds, unsigned n,
                  uint64_t deadline, const sigset_t *mask) {
  struct pl_shard *s = ctx;
  struct waiter *w = self_waiter();
  for (unsigned i = 0; i < n; i++)
    kfds[i].revents = 0;
  link_waiter(s, w);
  int err = 0;
  int k = sleep_on(s, w, true, kfds, n, deadline, mask, &err);
  unlink_waiter(s, w);
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

int pl_block(struct pl_shard *s, bool (*done)(void *arg), void *arg,
             uint64_t deadline) {
  for (;;) {
    zn_posix_drive(layer_of(s));
    if (s->settle)
      settle_group(s);
    if (done(arg))
      return 0;
    uint64_t now = zn_host_now();
    if (now >= deadline)
      return -ETIMEDOUT;
    uint64_t next = zn_stack_next_deadline(s->h.st);
    int rc = h_wait(s, NULL, 0, next < deadline ? next : deadline, NULL);
    if (rc == -EINTR)
      return -EINTR;
  }
}

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
  unsetenv("ZNET_RUN_THREADS");
  unsetenv("ZNET_RUN_HOST_LOOPBACK");
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

static bool open_stack(struct pl_shard *s) {
  const char *a = getenv("ZNET_RUN_ARGS");
  if (!a)
    return false;
  static char text[65536];
  (void)snprintf(text, sizeof(text), "%s", a);
  g.stats = getenv("ZNET_RUN_STATS") != NULL;
  g.threads = getenv("ZNET_RUN_THREADS") != NULL;
  if (getenv("ZNET_RUN_HOST_LOOPBACK"))
    pl_bridge_enable();
  const char *shards = getenv("ZNET_RUN_SHARDS");
  uint32_t nshards = shards ? (uint32_t)strtoul(shards, NULL, 10)
                            : auto_shards();
  read_dns(getenv("ZNET_RUN_DNS"));
  forget_env();
  char *argv[PL_MAX_ARGS];
  int argc = run_args(text, argv);
  struct zn__app_prog prog = {.name = PL_PROG, .synopsis = "", .summary = ""};
  struct zn__app_host *h = &s->h;
  zn__app_opts_default(&h->o);
  h->o.tcp_rcvbuf = PL_TCP_RCVBUF;
  h->o.nbigbufs = PL_BIGBUFS;
  h->o.tcp_conns = PL_TCP_CONNS;
  h->o.nbufs = PL_BUFS;
  h->o.has_nbigbufs = true;
  optind = 1;
  zn__app_parse(&h->o, argc, argv, &prog);
  h->keep_signals = true;
  if (h->o.netif != ZN__APP_NETIF_TAP) {
    fprintf(stderr, PL_PROG ": the preload needs --netif tap:NAME\n");
    return false;
  }
  if (nshards >= 2) {
    if (pl_group_open(h->o.tap_name, nshards, 0,
                      h->o.no_offload ? ZN_TAP_NO_OFFLOAD : 0, fd_floor(),
                      &g.grp,
                      g.nogroup, sizeof(g.nogroup)) == ZN_OK) {
      h->given = &pl_group_queue(g.grp, 0)->nif;
      h->o.port_share = 0;
      h->o.port_shares = (uint16_t)nshards;
    } else if (shards || g.threads) { /* asked for: said now */
      fprintf(stderr,
              PL_PROG ": %s: %s; one stack (a forked child's sockets are "
                      "orphans, threads share it)\n",
              shards ? "--shards" : "--thread-shards", g.nogroup);
    }
  } else {
    (void)snprintf(g.nogroup, sizeof(g.nogroup), "--shards 1");
    if (g.threads)
      fprintf(stderr, PL_PROG ": --thread-shards with --shards 1: one "
                              "stack, threads share it\n");
  }
  if (zn__app_open(h, PL_PROG) != 0)
    return false;
  g.opener = getpid();
  s->slot = 0;
  s->netfd = g.grp ? pl_group_queue(g.grp, 0)->fd : h->tap.fd;
  if (g.grp)
    group_hooks(s);
  zn__app_settle(h, PL_PROG);
  return true;
}

static bool open_layer(struct pl_shard *s) {
  struct zn_posix_cfg cfg;
  zn_posix_cfg_default(&cfg, &s->h.cfg);
  cfg.max_fd = max_fd();
  size_t len = zn_posix_mem_size(&cfg);
  s->pxmem = calloc(1, len);
  struct zn_posix_host host = {
      .ctx = s,
      .now = h_now,
      .fd_reserve = h_reserve,
      .fd_release = h_release,
      .fd_dup = h_dup,
      .wait = h_wait,
      .wake = wake_others,
      .kepoll_create = h_kepoll_create,
      .kepoll_ctl = h_kepoll_ctl,
      .kepoll_wait = h_kepoll_wait,
      /* Only a group of shards, and the bridge to the host's loopback,
       * need to hear which ports are served (a fork's child inherits the
       * layer, and the group, as they are). */
      .serve = g.grp || pl_bridge_on() ? h_serve : NULL,
      .orphan = h_orphan,
  };
  struct zn_posix *px;
  if (!s->pxmem ||
      zn_posix_init(s->h.st, &cfg, &host, s->pxmem, len, &px) != ZN_OK) {
    fprintf(stderr, PL_PROG ": cannot build the socket layer\n");
    free(s->pxmem);
    s->pxmem = NULL;
    return false;
  }
  __atomic_store_n(&s->px, px, __ATOMIC_RELEASE);
  return true;
}

/* ---- the driver threads, one per shard ---- */

static void *driver_main(void *arg) {
  struct pl_shard *s = arg;
  sigset_t all;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, NULL); /* signals are the program's */
  pthread_mutex_lock(&s->mu);
  uint64_t seen = s->calls;
  for (;;) {
    zn_posix_drive(layer_of(s));
    if (g.grp)
      settle_group(s);
    uint64_t now = zn_host_now();
    uint64_t next = zn_stack_next_deadline(s->h.st);
    /* Alone: no application thread waits, and none called in a period. */
    bool alone = s->app_waiters == 0 && s->calls == seen;
    seen = s->calls;
    uint64_t until = alone ? next : now + PL_IDLE_NS;
    if (until > now + PL_IDLE_NS && !alone)
      until = now + PL_IDLE_NS;
    /* Slot 0 of a group looks for dead shards at least this often: their
     * frames go nowhere until their slot is given back. */
    if (g.grp && s->slot == 0 && until > now + PL_REAP_NS)
      until = now + PL_REAP_NS;
    int err;
    link_waiter(s, &s->driver_w);
    s->driver_on_net = alone;
    s->driver_until = until;
    sleep_on(s, &s->driver_w, alone, NULL, 0, until, NULL, &err);
    s->driver_on_net = false;
    unlink_waiter(s, &s->driver_w);
  }
  return NULL;
}

static void start_driver(struct pl_shard *s) {
  s->driver_w.efd = own_eventfd();
  s->driver_w.driver = true;
  if (pthread_create(&s->driver, NULL, driver_main, s) != 0)
    fprintf(stderr, PL_PROG ": no driver thread for shard %d: its stack "
                            "runs only inside socket calls\n",
            s->slot);
}

/* Every shard's lock, in order, across fork (and the lock that makes
 * them first). */
static void on_fork_prepare(void) {
  pthread_mutex_lock(&g.grow);
  uint32_t n = built_shards();
  for (uint32_t i = 0; i < n; i++)
    pthread_mutex_lock(&g.sh[i].mu);
}

static void on_fork_parent(void) {
  uint32_t n = built_shards();
  for (uint32_t i = n; i-- > 0;)
    pthread_mutex_unlock(&g.sh[i].mu);
  pthread_mutex_unlock(&g.grow);
}

/* A shard in a fork's child: nobody drives it (the parent's threads are
 * gone), its sockets are orphans until (sh[0], in a group) the child's
 * first socket call builds its own stack (build_shard). */
static void forget_parent(struct pl_shard *s) {
  pthread_mutex_init(&s->mu, NULL);
  if (layer_of(s))
    zn_posix_forked(layer_of(s));
  s->slot = -1;
  s->nwants = 0;
  s->settle = false;
  if (s->driver_w.efd >= 0) /* the parent's driver's: not ours to poke */
    syscall(SYS_close, s->driver_w.efd);
  s->driver_w.efd = -1;
  s->waiters = NULL;
  s->app_waiters = 0;
  /* A group's queues are the group's to close (pl_group_claim): closed
   * here too, queue 0's number could be the program's by then. */
  if (s->netfd >= 0 && !g.grp)
    syscall(SYS_close, s->netfd);
  s->netfd = -1;
}

static void on_fork_child(void) {
  pthread_mutex_init(&g.grow, NULL);
  pthread_mutex_init(&g.binding, NULL);
  uint32_t n = built_shards();
  for (uint32_t i = 0; i < n; i++)
    pthread_mutex_init(&g.sh[i].mu, NULL);
  if (g.caretaking)
    return; /* the caretaker keeps it all (become_caretaker) */
  if (g.grp)
    pl_group_join(g.grp);
  for (uint32_t i = 0; i < n; i++)
    forget_parent(&g.sh[i]);
  if (g.grp && layer_of(&g.sh[0]))
    __atomic_store_n(&g.shard_pending, true, __ATOMIC_RELEASE);
  g.told_orphan = false;
  g.sh0_taken = false;
  tls_shard = NULL;
  if (tls_w.efd >= 0)
    syscall(SYS_close, tls_w.efd);
  tls_w.efd = -1;
}

static void build(void) {
  bool asked = getenv("ZNET_RUN_ARGS") != NULL;
  struct pl_shard *s = &g.sh[0];
  if (!open_stack(s) || !open_layer(s)) {
    /* Started by znet-run and no stack: the program's IPv4 and IPv6
     * sockets fail (ENETDOWN) rather than go to the kernel unseen. */
    g.failed = asked;
    if (asked)
      fprintf(stderr, PL_PROG ": no stack: IPv4 and IPv6 sockets fail "
                              "with ENETDOWN\n");
    return;
  }
  __atomic_store_n(&g.nsh, 1, __ATOMIC_RELEASE);
  pthread_atfork(on_fork_prepare, on_fork_parent, on_fork_child);
  start_driver(s);
}

/* A stack for slot `slot` of the group on its queue, with sh[0]'s MAC,
 * addresses and flags, into *h. */
static int open_slot_stack(struct zn__app_host *h, int slot) {
  const struct zn__app_host *h0 = &g.sh[0].h;
  memset(h, 0, sizeof(*h));
  h->o = h0->o;
  zn_stack_get_ipv4(h0->st, &h->o.ipv4, &h->o.prefix, &h->o.gateway);
  memcpy(h->o.mac, zn_stack_mac(h0->st), 6);
  h->o.has_mac = true;
  h->o.dhcp = false; /* the leader's lease */
  h->o.capture = NULL;
  h->o.dad_transmits = 0; /* the leader's addresses passed DAD */
  h->o.has_dad_transmits = true;
  /* Router advertisements reach slot 0 only: its addresses are taken
   * (take_addrs). */
  h->o.ipv6_given = h->o.slaac || h->o.ipv6_given;
  h->o.slaac = false;
  h->o.port_share = (uint16_t)slot;
  h->o.no_arp_announce = true; /* slot 0 announced the group's address */
  h->keep_signals = true;
  h->given = &pl_group_queue(g.grp, (uint32_t)slot)->nif;
  return zn__app_open(h, PL_PROG);
}

/* A fork's child, at its first socket call: a slot of the group, a stack
 * on its queue with the parent's MAC and addresses, the layer moved to
 * it (zn_posix_reshard: the listeners and UDP sockets made again), a
 * driver thread.  With sh[0]'s lock held. */
static void build_shard(void) {
  struct pl_shard *s = &g.sh[0];
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
  static struct zn__app_host h2;
  if (open_slot_stack(&h2, slot) != 0) {
    fprintf(stderr, PL_PROG ": pid %d: no stack for shard %d: this process's "
                    "sockets are orphans\n",
            (int)getpid(), slot);
    g.told_orphan = true;
    return;
  }
  s->h = h2;
  s->addr6_gen = 0;
  s->ipv4_gen = 0;
  s->nslaac = 0;
  s->slot = slot;
  take_addrs(s);
  s->netfd = pl_group_queue(g.grp, (uint32_t)slot)->fd;
  group_hooks(s);
  int rc = zn_posix_reshard(layer_of(s), s->h.st);
  if (rc < 0)
    fprintf(stderr, PL_PROG ": pid %d: a socket could not be made again on "
                    "shard %d: %s\n",
            (int)getpid(), slot, strerror(-rc));
  start_driver(s);
}

bool pl_shard_pending(void) {
  return __atomic_load_n(&g.shard_pending, __ATOMIC_ACQUIRE);
}

struct pl_shard *pl_shard_use(struct pl_shard *s) {
  if (s == &g.sh[0] && __atomic_load_n(&g.shard_pending, __ATOMIC_ACQUIRE)) {
    pthread_mutex_lock(&s->mu);
    if (g.shard_pending)
      build_shard();
    pthread_mutex_unlock(&s->mu);
  }
  return s;
}

bool pl_broken(void) { return g.failed; }

struct zn_posix *pl_layer(void) {
  pthread_once(&g.once, build);
  struct zn_posix *px = pl_layer_if_any();
  if (px)
    (void)pl_shard_use(&g.sh[0]);
  return px;
}

/* --thread-shards: a new shard for the calling thread, on a slot of the
 * group this process holds the queue of; NULL when none is left or its
 * stack cannot be built.  With g.grow held. */
static struct pl_shard *build_thread_shard(void) {
  uint32_t n = built_shards();
  if (n >= PL_GROUP_MAX_SLOTS)
    return NULL;
  int slot = pl_group_claim_thread(g.grp);
  if (slot < 0)
    return NULL;
  struct pl_shard *s = &g.sh[n];
  memset(s, 0, sizeof(*s));
  pthread_mutex_init(&s->mu, NULL);
  s->driver_w.efd = -1;
  s->slot = slot;
  pthread_mutex_lock(&g.sh[0].mu); /* sh[0]'s stack is read */
  int rc = open_slot_stack(&s->h, slot);
  pthread_mutex_unlock(&g.sh[0].mu);
  if (rc != 0)
    return NULL; /* (the slot stays this process's until it exits) */
  s->netfd = pl_group_queue(g.grp, (uint32_t)slot)->fd;
  take_addrs(s);
  group_hooks(s);
  if (!open_layer(s)) {
    zn__app_close(&s->h, PL_PROG);
    return NULL;
  }
  __atomic_store_n(&g.nsh, n + 1, __ATOMIC_RELEASE);
  start_driver(s);
  return s;
}

/* The calling thread's shard: sh[0] for the first thread, then one of
 * its own while slots last, then the existing ones in turn. */
static struct pl_shard *thread_shard(void) {
  pthread_mutex_lock(&g.grow);
  struct pl_shard *s = NULL;
  if (!g.sh0_taken) {
    g.sh0_taken = true;
    s = &g.sh[0];
  }
  if (!s && !pl_shard_pending())
    s = build_thread_shard();
  uint32_t n = built_shards(), live = 0;
  for (uint32_t i = 0; i < n; i++)
    live += g.sh[i].slot >= 0;
  if (!s && live == 0)
    s = &g.sh[0]; /* a fork's child's, built at its first use */
  if (!s) {
    /* The next of this process's own (a fork's child keeps its
     * parent's threads' shards as orphans: not those). */
    uint32_t k = g.next_shared++ % live;
    for (uint32_t i = 0; i < n && !s; i++)
      if (g.sh[i].slot >= 0 && k-- == 0)
        s = &g.sh[i];
    if (!g.told_full && live > 1) {
      g.told_full = true;
      fprintf(stderr, PL_PROG ": pid %d: --thread-shards: no shard left "
                      "for another thread: threads share the %u there are\n",
              (int)getpid(), live);
    }
  }
  pthread_mutex_unlock(&g.grow);
  return s;
}

struct pl_shard *pl_shard_mine(void) {
  return tls_shard ? tls_shard : &g.sh[0];
}

bool pl_many_shards(void) { return built_shards() > 1; }

struct pl_shard *pl_shard_here(void) {
  if (!pl_layer())
    return NULL;
  if (!g.threads || !g.grp)
    return &g.sh[0];
  if (!tls_shard)
    tls_shard = thread_shard();
  return pl_shard_use(tls_shard);
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

static void print_stats(void);

/* The leader's caretaker: a copy of the leader, forked as it exits while
 * other processes of the group live (a daemon's first process exits once
 * it has forked its master): it keeps slot 0's stack (its addresses,
 * neighbors, DHCP lease) answering ARP and ND for the group and reaping
 * dead shards, and exits when no other process of the group is left.
 * (Its threads' shards, if any, stay behind: their slots are given back
 * when the leader has died.) */
/* The TAP as the group, or this process, found it, by the last process
 * to use it: a persistent device keeps the offloads the stacks asked for
 * (netif/tap.c), which its next reader might not take. */
static void leave_device(void) {
  zn_tap_offloads_off(g.grp ? pl_group_queue(g.grp, 0) : &g.sh[0].h.tap);
}

static void become_caretaker(void) {
  struct pl_shard *s = &g.sh[0];
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
  __atomic_store_n(&g.nsh, 1, __ATOMIC_RELEASE);
  keep_only_group_fds();
  const struct timespec tick = {0, 10000000};
  for (int i = 0; i < 100 && !pl_group_lead(g.grp); i++)
    (void)nanosleep(&tick, NULL); /* until the leader passed slot 0 (1 s) */
  if (pl_group_slot(g.grp) != 0)
    _exit(0);
  s->driver_w.efd = own_eventfd();
  s->driver_w.driver = true;
  s->waiters = NULL;
  s->app_waiters = 0;
  pthread_mutex_lock(&s->mu);
  uint64_t check = 0;
  for (;;) {
    zn_posix_drive(layer_of(s));
    settle_group(s);
    uint64_t now = zn_host_now();
    if (now >= check) {
      /* Alone, or the device gone (its queue says POLLERR): done. */
      struct pollfd q = {s->netfd, POLLIN, 0};
      if (!pl_group_others_alive(g.grp) ||
          (syscall(SYS_poll, &q, 1, 0) > 0 &&
           (q.revents & (POLLERR | POLLHUP | POLLNVAL)))) {
        if (g.stats)
          print_stats();
        leave_device();
        _exit(0);
      }
      check = now + PL_REAP_NS;
    }
    uint64_t until = zn_stack_next_deadline(s->h.st);
    int err;
    link_waiter(s, &s->driver_w);
    sleep_on(s, &s->driver_w, true, NULL, 0, until < check ? until : check,
             NULL, &err);
    unlink_waiter(s, &s->driver_w);
  }
}

/* --stats: this process's counters, a shard's at a time: in a group each
 * process prints its own stacks' (a child without a shard has none: its
 * copy of the parent's counts nothing new), and the last to exit prints
 * the sum.  With every shard's lock held. */
static void print_stats(void) {
  struct zn_stats mine, one, sum;
  memset(&mine, 0, sizeof(mine));
  uint32_t n = built_shards();
  for (uint32_t i = 0; i < n; i++) {
    struct pl_shard *s = &g.sh[i];
    bool own = !g.grp || (s->slot >= 0 && pl_group_slot(g.grp) >= 0);
    if (!own)
      continue;
    struct zn_posix_stats ps;
    zn_posix_get_stats(layer_of(s), &ps);
    zn_stats_get(s->h.st, &one);
    for (int k = 0; k < ZN_STAT_COUNT; k++)
      mine.v[k] += one.v[k];
    char who[96];
    if (g.grp)
      (void)snprintf(who, sizeof(who), PL_PROG ": pid %d, shard %d",
                     (int)getpid(), s->slot);
    zn__app_print_counts(stderr, &one, g.grp ? who : PL_PROG);
    zn__app_print_nz(stderr, "posix_udp_drop_rcvbuf", ps.udp_drop_rcvbuf);
    zn__app_print_nz(stderr, "posix_udp_drop_nodgram", ps.udp_drop_nodgram);
  }
  if (g.grp && pl_group_report(g.grp, &mine, &sum))
    zn__app_print_counts(stderr, &sum, PL_PROG ": every shard together");
}

/* At exit: close every socket as the kernel would, let each stack send
 * what was queued (bounded), and print the counters if asked.  A group's
 * leader leaves a caretaker behind while other processes of it live (it
 * prints the counters of slot 0's stack when it ends). */
__attribute__((destructor)) static void pl_exit(void) {
  if (!pl_layer_if_any())
    return;
  uint32_t n = built_shards();
  for (uint32_t i = 0; i < n; i++) {
    pthread_mutex_lock(&g.sh[i].mu);
    zn_posix_drain(layer_of(&g.sh[i]));
  }
  bool care = g.grp && pl_group_slot(g.grp) == 0 && g.sh[0].slot == 0 &&
              pl_group_others_alive(g.grp);
  if (g.stats && !care)
    print_stats();
  bool last = g.grp ? !care && pl_group_slot(g.grp) == 0 &&
                          !pl_group_others_alive(g.grp)
                    : getpid() == g.opener;
  if (last)
    leave_device();
  for (uint32_t i = n; i-- > 0;)
    pthread_mutex_unlock(&g.sh[i].mu);
  if (care)
    become_caretaker();
}
