/* A group of shards on one multi-queue TAP (group.h). */
#include "group.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "znet/err.h"
#include "znet/stats.h"

#define PL_GROUP_ROWS 256  /* listening ports served at once */
#define PL_GROUP_NEIGH 256 /* neighbors published (the oldest goes) */
#define PL_GROUP_WISH 256  /* wishes waiting for slot 0 */
#define PL_GROUP_MEMBERS 256 /* forked processes followed (pl_group_join) */
#define PL_GROUP_REPORTED (PL_GROUP_MEMBERS + PL_GROUP_MAX_SLOTS)

struct row {
  uint8_t proto;
  uint16_t port;
  uint64_t serving; /* slots, a bit each; 0: a free row */
};

/* The shared page. */
struct shm {
  pthread_mutex_t mu; /* process-shared, robust */
  uint32_t nslots;
  pid_t pid[PL_GROUP_MAX_SLOTS]; /* 0: free */
  struct row rows[PL_GROUP_ROWS];
  struct {
    struct zn_ip ip;
    uint8_t mac[6];
    uint64_t stamp; /* publish order: the smallest is replaced first */
  } neigh[PL_GROUP_NEIGH];
  uint64_t stamps;
  struct {
    struct zn_ip ip;
    uint64_t waiting; /* slots that wished for it */
    uint64_t at;      /* CLOCK_MONOTONIC ns of the first wish */
  } wish[PL_GROUP_WISH];
  uint32_t nwish;
  pid_t member[PL_GROUP_MEMBERS]; /* forked since; 0: free */
  /* --stats: the counters of the processes that have exited, and who
   * they were (pl_group_report). */
  uint64_t sum[ZN_STAT_COUNT];
  /* Slot 0's addresses from router advertisements (pl_group_set_addrs),
   * changed at each new generation. */
  struct zn_ip addr6[PL_GROUP_ADDRS];
  uint8_t prefix6[PL_GROUP_ADDRS];
  uint32_t naddr6;
  uint64_t addr6_gen;
  pid_t reported[PL_GROUP_REPORTED];
  uint32_t nreported;
  /* Slot 0's IPv4 address (a DHCP lease's, as it changes), prefix and
   * gateway (pl_group_set_ipv4), changed at each new generation. */
  uint32_t ipv4, gateway4;
  uint8_t prefix4;
  uint64_t ipv4_gen;
};

struct pl_group {
  struct shm *shm;
  uint32_t nslots;
  int slot; /* -1: a child that has not claimed one */
  pid_t self;
  struct zn_tap_steer steer;
  struct zn_tap q[PL_GROUP_MAX_SLOTS];
  int wake[PL_GROUP_MAX_SLOTS]; /* eventfds, made before any fork */
};

static void lock(struct pl_group *g) {
  /* A holder that died leaves the state consistent: every change under
   * the lock is a few stores (a row, a pid). */
  if (pthread_mutex_lock(&g->shm->mu) == EOWNERDEAD)
    pthread_mutex_consistent(&g->shm->mu);
}

static void unlock(struct pl_group *g) { pthread_mutex_unlock(&g->shm->mu); }

static int fail(char *why, size_t len, const char *text, int rc) {
  if (why && len)
    (void)snprintf(why, len, "%s", text);
  return rc;
}

static void close_queues(struct pl_group *g, uint32_t n) {
  for (uint32_t i = 0; i < n; i++)
    zn_netif_close(&g->q[i].nif);
}

/* The queues attached to TAP name now: its rx-0, rx-1, ... in sysfs; -1
 * if sysfs does not show it (mounted for another network namespace). */
static int attached_queues(const char *name) {
  char path[96];
  struct stat st;
  (void)snprintf(path, sizeof(path), "/sys/class/net/%s/queues", name);
  if (stat(path, &st) != 0)
    return -1;
  int n = 0;
  for (; n < 256; n++) { /* a TAP has at most 256 queues */
    (void)snprintf(path, sizeof(path), "/sys/class/net/%s/queues/rx-%d", name,
                   n);
    if (stat(path, &st) != 0)
      break;
  }
  return n;
}

/* *fd moved to the lowest free number at or above floor (0: left). */
static void raise_fd(int *fd, int floor) {
  if (floor <= 0 || *fd < 0 || *fd >= floor)
    return;
  long nfd = syscall(SYS_fcntl, *fd, F_DUPFD_CLOEXEC, floor);
  if (nfd < 0)
    return; /* (stays where it is: it works there too) */
  (void)syscall(SYS_close, *fd);
  *fd = (int)nfd;
}

static void raise_fds(struct pl_group *g, int floor) {
  for (uint32_t i = 0; i < g->nslots; i++) {
    raise_fd(&g->q[i].fd, floor);
    raise_fd(&g->wake[i], floor);
  }
  raise_fd(&g->steer.prog_fd, floor);
  raise_fd(&g->steer.flows_fd, floor);
  raise_fd(&g->steer.ports_fd, floor);
}

int pl_group_open(const char *name, uint32_t nslots, uint32_t mtu,
                  uint32_t tap_flags, int fd_floor, struct pl_group **out,
                  char *why, size_t whylen) {
  *out = NULL;
  if (nslots < 2 || nslots > PL_GROUP_MAX_SLOTS)
    return fail(why, whylen, "2 to 64 shards", ZN_EINVAL);
  struct pl_group *g = calloc(1, sizeof(*g));
  if (g == NULL)
    return fail(why, whylen, "no memory", ZN_ENOMEM);
  g->nslots = nslots;
  g->self = getpid();
  for (uint32_t i = 0; i < nslots; i++) {
    int rc = zn_tap_open_flags(&g->q[i], name, mtu,
                               tap_flags | ZN_TAP_MULTI_QUEUE);
    if (rc != ZN_OK) {
      close_queues(g, i);
      free(g);
      return fail(why, whylen,
                  rc == ZN_EINVAL ? "the TAP has one queue (make it with "
                                    "`ip tuntap add ... multi_queue`)"
                                  : zn_strerror(rc),
                  rc);
    }
  }
  /* Steering names queues by number, and ours are 0 to nslots - 1 only
   * if no other program holds one of the TAP's. */
  int attached = attached_queues(g->q[0].name);
  if (attached >= 0 && attached != (int)nslots) {
    close_queues(g, nslots);
    free(g);
    return fail(why, whylen, "another program holds queues of the TAP",
                ZN_EEXIST);
  }
  int rc = zn_tap_steer_open(&g->steer, 1u << 20, PL_GROUP_ROWS);
  if (rc == ZN_OK)
    rc = zn_tap_steer_attach(&g->steer, g->q[0].fd);
  if (rc != ZN_OK) {
    zn_tap_steer_close(&g->steer);
    close_queues(g, nslots);
    free(g);
    return fail(why, whylen,
                rc == ZN_EPERM ? "no CAP_BPF for the steering program"
                               : "the steering program was refused",
                rc);
  }
  int prot = PROT_READ | PROT_WRITE, flags = MAP_SHARED | MAP_ANONYMOUS;
  /* cppcheck-suppress invalidFunctionArg ; MAP_ANONYMOUS takes fd -1 */
  g->shm = mmap(NULL, sizeof(struct shm), prot, flags, -1, 0);
  if (g->shm == MAP_FAILED) {
    zn_tap_steer_close(&g->steer);
    close_queues(g, nslots);
    free(g);
    return fail(why, whylen, "no shared memory", ZN_ENOMEM);
  }
  pthread_mutexattr_t a;
  pthread_mutexattr_init(&a);
  pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
  pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
  pthread_mutex_init(&g->shm->mu, &a);
  pthread_mutexattr_destroy(&a);
  for (uint32_t i = 0; i < nslots; i++)
    g->wake[i] = -1;
  for (uint32_t i = 0; i < nslots; i++) {
    g->wake[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (g->wake[i] < 0) {
      for (uint32_t j = 0; j < i; j++)
        close(g->wake[j]);
      munmap(g->shm, sizeof(struct shm));
      zn_tap_steer_close(&g->steer);
      close_queues(g, nslots);
      free(g);
      return fail(why, whylen, "no eventfd", ZN_ENOMEM);
    }
  }
  g->shm->nslots = nslots;
  g->shm->pid[0] = g->self;
  g->slot = 0;
  raise_fds(g, fd_floor);
  *out = g;
  return ZN_OK;
}

struct zn_tap *pl_group_queue(struct pl_group *g, uint32_t s) {
  return s < g->nslots ? &g->q[s] : NULL;
}

uint32_t pl_group_nslots(const struct pl_group *g) { return g->nslots; }

int pl_group_slot(const struct pl_group *g) {
  return getpid() == g->self ? g->slot : -1;
}

const struct zn_tap_steer *pl_group_steer(const struct pl_group *g) {
  return &g->steer;
}

static uint32_t reap_locked(struct pl_group *g);

/* This process's copy of a queue, closed; unless the program closed it
 * already and its number is now something else (a pipe, a file): then
 * only forgotten.  A queue answers TUNGETIFF with the TAP's name. */
static void close_copy(struct zn_tap *q) {
  struct ifreq r;
  memset(&r, 0, sizeof(r));
  bool ours = q->fd >= 0 && ioctl(q->fd, TUNGETIFF, &r) == 0 &&
              strncmp(r.ifr_name, q->name, sizeof(r.ifr_name)) == 0;
  if (!ours)
    q->fd = -1; /* zn_netif_close leaves a closed descriptor alone */
  zn_netif_close(&q->nif);
}

int pl_group_claim(struct pl_group *g) {
  pid_t me = getpid();
  if (me == g->self && g->slot >= 0)
    return g->slot;
  int slot = -1;
  lock(g);
  /* Slot 0 too, when its process has died: a daemon's first process
   * exits once it has forked, and the first child to claim leads. */
  (void)reap_locked(g);
  for (uint32_t i = 0; i < g->nslots && slot < 0; i++)
    if (g->shm->pid[i] == 0) {
      g->shm->pid[i] = me;
      slot = (int)i;
    }
  unlock(g);
  g->self = me;
  g->slot = slot;
  if (slot < 0)
    return -1;
  /* The other queues are the leader's to keep; this process reads its
   * own.  (Closing a copy detaches nothing: the leader's stays.) */
  for (uint32_t i = 0; i < g->nslots; i++)
    if (i != (uint32_t)slot)
      close_copy(&g->q[i]);
  return slot;
}

int pl_group_claim_thread(struct pl_group *g) {
  if (getpid() != g->self || g->slot < 0)
    return -1;
  int slot = -1;
  lock(g);
  (void)reap_locked(g);
  for (uint32_t i = 1; i < g->nslots && slot < 0; i++)
    if (g->shm->pid[i] == 0 && g->q[i].fd >= 0) {
      g->shm->pid[i] = g->self;
      slot = (int)i;
    }
  unlock(g);
  return slot;
}

/* The port row of r, written to the program's table: bucket b to the
 * (b mod n)-th of the n slots serving, in slot order; no row when none
 * serves. */
static int write_row(struct pl_group *g, const struct row *r) {
  uint8_t order[PL_GROUP_MAX_SLOTS], n = 0;
  for (uint8_t s = 0; s < PL_GROUP_MAX_SLOTS; s++)
    if (r->serving & (1ull << s))
      order[n++] = s;
  if (n == 0) {
    int rc = zn_tap_steer_port_clear(&g->steer, r->proto, r->port);
    return rc == ZN_ENOENT ? ZN_OK : rc;
  }
  uint8_t slots[ZN_STEER_BUCKETS];
  for (uint32_t b = 0; b < ZN_STEER_BUCKETS; b++)
    slots[b] = order[b % n];
  return zn_tap_steer_port_set(&g->steer, r->proto, r->port, slots);
}

static struct row *find_row(struct shm *m, uint8_t proto, uint16_t port,
                            bool make) {
  struct row *free_row = NULL;
  for (uint32_t i = 0; i < PL_GROUP_ROWS; i++) {
    struct row *r = &m->rows[i];
    if (r->serving && r->proto == proto && r->port == port)
      return r;
    if (!r->serving && !free_row)
      free_row = r;
  }
  if (!make || !free_row)
    return NULL;
  free_row->proto = proto;
  free_row->port = port;
  return free_row;
}

int pl_group_serve(struct pl_group *g, int slot, uint8_t proto,
                   uint16_t port, bool on) {
  if (slot < 0 || (uint32_t)slot >= g->nslots)
    return ZN_EINVAL;
  lock(g);
  struct row *r = find_row(g->shm, proto, port, on);
  int rc = ZN_OK;
  if (r == NULL) {
    rc = on ? ZN_ENOMEM : ZN_OK;
  } else {
    uint64_t was = r->serving;
    if (on)
      r->serving |= 1ull << slot;
    else
      r->serving &= ~(1ull << slot);
    if (r->serving != was)
      rc = write_row(g, r);
  }
  unlock(g);
  return rc;
}

uint64_t pl_group_serving(struct pl_group *g, uint8_t proto, uint16_t port) {
  lock(g);
  const struct row *r = find_row(g->shm, proto, port, false);
  uint64_t mask = r ? r->serving : 0;
  unlock(g);
  return mask;
}

int pl_group_flow(struct pl_group *g, int slot, const struct zn_steer_key *k,
                  bool open) {
  if (slot < 0 || (uint32_t)slot >= g->nslots || k == NULL)
    return ZN_EINVAL;
  if (open)
    return zn_tap_steer_flow_set(&g->steer, k, (uint32_t)slot);
  int rc = zn_tap_steer_flow_clear(&g->steer, k);
  return rc == ZN_ENOENT ? ZN_OK : rc;
}

static long sys_bpf(int cmd, union bpf_attr *a) {
  return syscall(SYS_bpf, cmd, a, sizeof(*a));
}

/* The key after k in the flow table (k NULL: the first), into *next. */
static bool next_flow(const struct pl_group *g, const struct zn_steer_key *k,
                      struct zn_steer_key *next) {
  union bpf_attr a;
  memset(&a, 0, sizeof(a));
  a.map_fd = (uint32_t)g->steer.flows_fd;
  a.key = (uint64_t)(uintptr_t)k;
  a.next_key = (uint64_t)(uintptr_t)next;
  return sys_bpf(BPF_MAP_GET_NEXT_KEY, &a) == 0;
}

/* Every flow of the flow table that goes to slot s, out of it: one walk,
 * each key's successor taken before the key is deleted (a deleted key
 * would send the walk back to the start). */
static void forget_flows(struct pl_group *g, uint32_t s) {
  struct zn_steer_key k, next;
  bool more = next_flow(g, NULL, &k);
  while (more) {
    more = next_flow(g, &k, &next);
    uint32_t v = 0;
    union bpf_attr a;
    memset(&a, 0, sizeof(a));
    a.map_fd = (uint32_t)g->steer.flows_fd;
    a.key = (uint64_t)(uintptr_t)&k;
    a.value = (uint64_t)(uintptr_t)&v;
    if (sys_bpf(BPF_MAP_LOOKUP_ELEM, &a) == 0 && v == s)
      (void)zn_tap_steer_flow_clear(&g->steer, &k);
    k = next;
  }
}

/* Process p has exited: no such process, or a zombie its parent has not
 * waited for yet (a daemon's first process, just gone). */
static bool exited(pid_t p) {
  if (kill(p, 0) != 0)
    return errno == ESRCH;
  /* Raw calls, no malloc: a leader's caretaker asks this right after a
   * fork in a threaded process. */
  char path[32], stat[256];
  (void)snprintf(path, sizeof(path), "/proc/%d/stat", (int)p);
  int fd = (int)syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return false;
  long n = syscall(SYS_read, fd, stat, sizeof(stat) - 1);
  (void)syscall(SYS_close, fd);
  stat[n > 0 ? n : 0] = 0;
  const char *end = strrchr(stat, ')'); /* after the command's name */
  return end != NULL && end[1] == ' ' && (end[2] == 'Z' || end[2] == 'X');
}

static uint32_t reap_locked(struct pl_group *g) {
  uint32_t dead = 0;
  for (uint32_t s = 0; s < g->nslots; s++) {
    pid_t p = g->shm->pid[s];
    if (p == 0 || !exited(p))
      continue;
    g->shm->pid[s] = 0;
    for (uint32_t i = 0; i < PL_GROUP_ROWS; i++) {
      struct row *r = &g->shm->rows[i];
      if (r->serving & (1ull << s)) {
        r->serving &= ~(1ull << s);
        (void)write_row(g, r);
      }
    }
    forget_flows(g, s);
    dead++;
  }
  return dead;
}

void pl_group_join_pid(struct pl_group *g, pid_t p) {
  lock(g);
  uint32_t i = 0, at = PL_GROUP_MEMBERS;
  for (; i < PL_GROUP_MEMBERS && g->shm->member[i] != p; i++)
    if (at == PL_GROUP_MEMBERS &&
        (g->shm->member[i] == 0 || exited(g->shm->member[i])))
      at = i;
  if (i == PL_GROUP_MEMBERS && at < PL_GROUP_MEMBERS)
    g->shm->member[at] = p; /* (a full list: a slot's pid still counts) */
  unlock(g);
}

void pl_group_join(struct pl_group *g) { pl_group_join_pid(g, getpid()); }

bool pl_group_others_alive(struct pl_group *g) {
  pid_t me = getpid();
  bool alive = false;
  lock(g);
  for (uint32_t s = 0; s < g->nslots && !alive; s++)
    alive = g->shm->pid[s] != 0 && g->shm->pid[s] != me &&
            !exited(g->shm->pid[s]);
  for (uint32_t i = 0; i < PL_GROUP_MEMBERS; i++) {
    pid_t p = g->shm->member[i];
    if (p == 0 || p == me || alive)
      continue;
    if (exited(p))
      g->shm->member[i] = 0;
    else
      alive = true;
  }
  unlock(g);
  return alive;
}

bool pl_group_pass_lead(struct pl_group *g, pid_t to) {
  pid_t me = getpid();
  lock(g);
  bool mine = g->shm->pid[0] == me;
  if (mine)
    g->shm->pid[0] = to;
  unlock(g);
  return mine;
}

bool pl_group_lead(struct pl_group *g) {
  pid_t me = getpid();
  lock(g);
  bool mine = g->shm->pid[0] == me || g->shm->pid[0] == 0;
  if (mine)
    g->shm->pid[0] = me;
  unlock(g);
  if (mine)
    g->self = me, g->slot = 0;
  return mine;
}

uint32_t pl_group_fds(const struct pl_group *g, int *fds, uint32_t max) {
  uint32_t n = 0;
  const int own[] = {g->steer.prog_fd, g->steer.flows_fd, g->steer.ports_fd};
  for (uint32_t i = 0; i < 3 && n < max; i++)
    if (own[i] >= 0)
      fds[n++] = own[i];
  for (uint32_t s = 0; s < g->nslots; s++) {
    if (n < max && g->q[s].fd >= 0)
      fds[n++] = g->q[s].fd;
    if (n < max && g->wake[s] >= 0)
      fds[n++] = g->wake[s];
  }
  return n;
}

static bool reported(const struct shm *m, pid_t p) {
  for (uint32_t i = 0; i < m->nreported; i++)
    if (m->reported[i] == p)
      return true;
  return false;
}

/* Alive and not yet reported: a process whose counters are still to
 * come. */
static bool to_come(const struct shm *m, pid_t p, pid_t me) {
  return p != 0 && p != me && !reported(m, p) && !exited(p);
}

bool pl_group_report(struct pl_group *g, const struct zn_stats *mine,
                     struct zn_stats *sum) {
  pid_t me = getpid();
  lock(g);
  struct shm *m = g->shm;
  for (int i = 0; i < ZN_STAT_COUNT; i++)
    m->sum[i] += mine->v[i];
  /* The place of one that has exited, if need be: only a process still
   * alive needs to be known as reported. */
  uint32_t at = m->nreported;
  for (uint32_t i = 0; at == PL_GROUP_REPORTED && i < m->nreported; i++)
    if (exited(m->reported[i]))
      at = i;
  if (at < PL_GROUP_REPORTED) {
    m->reported[at] = me;
    m->nreported += at == m->nreported;
  }
  bool last = true;
  for (uint32_t s = 0; s < g->nslots && last; s++)
    last = !to_come(m, m->pid[s], me);
  for (uint32_t i = 0; i < PL_GROUP_MEMBERS && last; i++)
    last = !to_come(m, m->member[i], me);
  memcpy(sum->v, m->sum, sizeof(sum->v));
  unlock(g);
  return last;
}

uint32_t pl_group_reap(struct pl_group *g) {
  lock(g);
  uint32_t dead = reap_locked(g);
  unlock(g);
  return dead;
}

/* ---- neighbors ---- */

/* A wish slot 0 could not answer in this long is dropped (ARP and ND
 * give up after a few seconds; the wisher's own timers wish again). */
#define PL_WISH_NS (10ull * 1000000000ull)

static uint64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

int pl_group_wake_fd(const struct pl_group *g, uint32_t s) {
  return s < g->nslots ? g->wake[s] : -1;
}

static void wake(const struct pl_group *g, uint32_t s) {
  uint64_t one = 1;
  (void)!write(g->wake[s], &one, sizeof(one));
}

static int find_neigh(const struct shm *m, const struct zn_ip *ip) {
  for (int i = 0; i < PL_GROUP_NEIGH; i++)
    if (m->neigh[i].stamp && zn_ip_eq(&m->neigh[i].ip, ip))
      return i;
  return -1;
}

void pl_group_publish(struct pl_group *g, const struct zn_ip *ip,
                      const uint8_t mac[6]) {
  lock(g);
  struct shm *m = g->shm;
  int i = find_neigh(m, ip);
  if (i < 0) { /* a free entry, or the oldest */
    i = 0;
    for (int j = 1; j < PL_GROUP_NEIGH; j++)
      if (m->neigh[j].stamp < m->neigh[i].stamp)
        i = j;
  }
  m->neigh[i].ip = *ip;
  memcpy(m->neigh[i].mac, mac, 6);
  m->neigh[i].stamp = ++m->stamps;
  uint64_t waiting = 0;
  for (uint32_t w = 0; w < m->nwish; w++)
    if (zn_ip_eq(&m->wish[w].ip, ip)) {
      waiting = m->wish[w].waiting;
      m->wish[w] = m->wish[--m->nwish];
      break;
    }
  unlock(g);
  for (uint32_t s = 1; s < g->nslots; s++)
    if (waiting & (1ull << s))
      wake(g, s);
}

bool pl_group_lookup(struct pl_group *g, const struct zn_ip *ip,
                     uint8_t mac[6]) {
  lock(g);
  int i = find_neigh(g->shm, ip);
  if (i >= 0)
    memcpy(mac, g->shm->neigh[i].mac, 6);
  unlock(g);
  return i >= 0;
}

bool pl_group_wish(struct pl_group *g, int slot, const struct zn_ip *ip,
                   uint8_t mac[6]) {
  if (slot < 0 || (uint32_t)slot >= g->nslots)
    return false;
  lock(g);
  struct shm *m = g->shm;
  int i = find_neigh(m, ip);
  if (i >= 0) {
    memcpy(mac, m->neigh[i].mac, 6);
    unlock(g);
    return true;
  }
  uint32_t w = 0;
  while (w < m->nwish && !zn_ip_eq(&m->wish[w].ip, ip))
    w++;
  if (w == m->nwish && m->nwish < PL_GROUP_WISH) {
    m->wish[w].ip = *ip;
    m->wish[w].waiting = 0;
    m->wish[w].at = now_ns();
    m->nwish++;
  }
  if (w < m->nwish)
    m->wish[w].waiting |= 1ull << slot;
  unlock(g);
  wake(g, 0); /* (a full list: slot 0's timers ask again) */
  return false;
}

uint32_t pl_group_take_wishes(struct pl_group *g, struct zn_ip *ips,
                              uint32_t max) {
  uint32_t n = 0;
  uint64_t now = now_ns();
  lock(g);
  struct shm *m = g->shm;
  for (uint32_t w = 0; w < m->nwish;) {
    if (now - m->wish[w].at > PL_WISH_NS) {
      m->wish[w] = m->wish[--m->nwish];
      continue;
    }
    if (n < max)
      ips[n++] = m->wish[w].ip;
    w++;
  }
  unlock(g);
  return n;
}

void pl_group_set_addrs(struct pl_group *g, const struct zn_ip *addrs,
                        const uint8_t *prefixes, uint32_t n) {
  if (n > PL_GROUP_ADDRS)
    n = PL_GROUP_ADDRS;
  lock(g);
  struct shm *m = g->shm;
  bool same = m->naddr6 == n;
  for (uint32_t i = 0; i < n && same; i++)
    same = zn_ip_eq(&m->addr6[i], &addrs[i]) && m->prefix6[i] == prefixes[i];
  if (!same) {
    memcpy(m->addr6, addrs, n * sizeof(*addrs));
    memcpy(m->prefix6, prefixes, n);
    m->naddr6 = n;
    m->addr6_gen++;
  }
  unlock(g);
  for (uint32_t s = 1; s < g->nslots && !same; s++)
    wake(g, s);
}

uint64_t pl_group_addrs(struct pl_group *g, struct zn_ip *addrs,
                        uint8_t *prefixes, uint32_t *n) {
  lock(g);
  struct shm *m = g->shm;
  *n = m->naddr6;
  memcpy(addrs, m->addr6, m->naddr6 * sizeof(*addrs));
  memcpy(prefixes, m->prefix6, m->naddr6);
  uint64_t gen = m->addr6_gen;
  unlock(g);
  return gen;
}

void pl_group_set_ipv4(struct pl_group *g, uint32_t addr, uint8_t prefix,
                       uint32_t gateway) {
  lock(g);
  struct shm *m = g->shm;
  bool same = m->ipv4_gen != 0 && m->ipv4 == addr && m->prefix4 == prefix &&
              m->gateway4 == gateway;
  if (!same) {
    m->ipv4 = addr;
    m->prefix4 = prefix;
    m->gateway4 = gateway;
    m->ipv4_gen++;
  }
  unlock(g);
  for (uint32_t s = 1; s < g->nslots && !same; s++)
    wake(g, s);
}

uint64_t pl_group_ipv4(struct pl_group *g, uint32_t *addr, uint8_t *prefix,
                       uint32_t *gateway) {
  lock(g);
  struct shm *m = g->shm;
  *addr = m->ipv4;
  *prefix = m->prefix4;
  *gateway = m->gateway4;
  uint64_t gen = m->ipv4_gen;
  unlock(g);
  return gen;
}

uint64_t pl_group_ipv4_gen(struct pl_group *g) {
  return __atomic_load_n(&g->shm->ipv4_gen, __ATOMIC_ACQUIRE);
}

uint64_t pl_group_addrs_gen(struct pl_group *g) {
  return __atomic_load_n(&g->shm->addr6_gen, __ATOMIC_ACQUIRE);
}
