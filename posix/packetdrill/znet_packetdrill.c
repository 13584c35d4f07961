/*
 * libznet-packetdrill.so: znet under packetdrill's shared-object testing
 * (`packetdrill --so_filename=libznet-packetdrill.so SCRIPT.pkt`).
 *
 * packetdrill loads the object and calls packetdrill_interface_init(),
 * which fills in a table of functions: the socket calls, which go to
 * libznet-posix over one znet stack; netdev_send, an IP packet for the
 * stack, and netdev_receive, the next IP packet the stack sent; usleep
 * and gettimeofday, the clock.  The clock is virtual: usleep advances it,
 * running the stack's timers on the way, so a script runs in no real time
 * and every run of it is the same.
 *
 * The link: the stack sits on an Ethernet netif of its own, whose peer is
 * a router (192.168.0.1, and fe80::2 for IPv6) that packetdrill's remote
 * addresses lie behind: an IP packet from packetdrill is given an
 * Ethernet header from the router, and a frame from the stack loses its
 * header on the way out; ARP never runs (a static entry), and the IPv6
 * router announces itself (RA) when the stack is made and answers the
 * stack's neighbor solicitations at once.  Only TCP, UDP and ICMP errors
 * reach packetdrill.
 *
 * Threads.  packetdrill runs a call the script expects to block in a
 * thread of its own, while its main thread goes on with the script.  One
 * lock covers everything here.  A blocking call waits (host.wait) on a
 * condition that every packet in and every step of the clock signals;
 * called from the main thread (a call the script did not expect to
 * block), the wait moves the clock itself, to the stack's next deadline,
 * as real time would pass under a blocked packetdrill.
 *
 * Shell commands.  The scripts set FreeBSD sysctls and count sockets with
 * sockstat in backticks, which packetdrill runs with /bin/sh.  At init
 * the object makes a folder with `sysctl`, `sockstat` and `tcpdrop`
 * scripts, puts it first in PATH, and answers them from a thread of its
 * own over two FIFOs: a sysctl becomes the stack setting the project's
 * own runner gives it (tests/conformance/accepted.c); a setting znet does
 * not have makes the script not applicable, which the object says on
 * stderr ("znet-packetdrill: not applicable: ...") for the runner to
 * count.  sockstat lists the stack's connections, the object's sockets
 * marked as packetdrill's.
 *
 * --so_flags: comma-separated, "linux" reports SO_RCVBUF/SO_SNDBUF as
 * Linux does (twice the size); by default FreeBSD's (the size itself, the
 * receive buffer as net.inet.tcp.recvspace until the connection knows its
 * MSS), which the scripts check.  "script=PATH" names the script, for
 * the per-script verdicts of accepted.c.  "local4=A", "local6=A": the
 * stack's addresses (default 192.168.0.2 and fd3d:fa7b:d17d::2, pass the
 * same to packetdrill's --local_ip).  "mtu=N": the link's MTU (pass
 * packetdrill's --mtu: the object is not told it).
 *
 * The interface's layout is packetdrill's documented ABI, declared here
 * (struct pd_ifc) so that the object builds without packetdrill.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <unistd.h>

#include "core/stack_int.h"
#include "pd.h"
#include "px_int.h"
#include "tcp/tcp_int.h"
#include "znet.h"
#include "znet/posix.h"

/* ---- packetdrill's interface (so_testing: packetdrill.h) ---- */

struct pd_ifc {
  void *userdata;
  void (*free)(void *);
  int (*socket)(void *, int, int, int);
  int (*bind)(void *, int, const struct sockaddr *, socklen_t);
  int (*listen)(void *, int, int);
  int (*accept)(void *, int, struct sockaddr *, socklen_t *);
  int (*connect)(void *, int, const struct sockaddr *, socklen_t);
  ssize_t (*read)(void *, int, void *, size_t);
  ssize_t (*readv)(void *, int, const struct iovec *, int);
  ssize_t (*recv)(void *, int, void *, size_t, int);
  ssize_t (*recvfrom)(void *, int, void *, size_t, int, struct sockaddr *,
                      socklen_t *);
  ssize_t (*recvmsg)(void *, int, struct msghdr *, int);
  ssize_t (*write)(void *, int, const void *, size_t);
  ssize_t (*writev)(void *, int, const struct iovec *, int);
  ssize_t (*send)(void *, int, const void *, size_t, int);
  ssize_t (*sendto)(void *, int, const void *, size_t, int,
                    const struct sockaddr *, socklen_t);
  ssize_t (*sendmsg)(void *, int, const struct msghdr *, int);
  int (*fcntl)(void *, int, int, ...);
  int (*ioctl)(void *, int, unsigned long, ...);
  int (*close)(void *, int);
  int (*shutdown)(void *, int, int);
  int (*getsockopt)(void *, int, int, int, void *, socklen_t *);
  int (*setsockopt)(void *, int, int, int, const void *, socklen_t);
  int (*poll)(void *, struct pollfd *, nfds_t, int);
  int (*netdev_send)(void *, const void *, size_t);
  int (*netdev_receive)(void *, void *, size_t *, long long *);
  int (*usleep)(void *, useconds_t);
  int (*gettimeofday)(void *, struct timeval *, struct timezone *);
  int (*epoll_create)(void *, int);
  int (*epoll_ctl)(void *, int, int, int, struct epoll_event *);
  int (*epoll_wait)(void *, int, struct epoll_event *, int, int);
  int (*pipe)(void *, int[2]);
  int (*splice)(void *, int, loff_t *, int, loff_t *, size_t, unsigned);
};

/* packetdrill spins on gettimeofday for the last MAX_SPIN_USECS (20)
 * before an event (and for the whole wait before its first event): each
 * reading of the clock moves it on by this much, so a spin ends. */
#define READ_STEP_NS 1000u

#define T0 ZN_SEC(1000)
#define MAX_FD 64
#define FIRST_FD 3
#define QMAX 512
/* How far netdev_receive runs the clock looking for a packet. */
#define SNIFF_LIMIT ZN_SEC(600)

static const uint8_t STACK_MAC[6] = {2, 0, 0, 0, 0, 1};
static const uint8_t GW_MAC[6] = {2, 0, 0, 0, 0, 2};
static const uint8_t GW_IP6[16] = {0xfe, 0x80, [15] = 2};

struct pkt {
  uint8_t *data;
  size_t len;
  uint64_t t;
};

struct pkq {
  struct pkt v[QMAX];
  unsigned head, n;
};

struct zpd {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  pthread_t main_thread;
  uint64_t now;
  uint64_t gen; /* bumped at every packet in and clock step */

  /* settings */
  bool linux_bufs;
  char script[PATH_MAX];
  uint32_t local4;
  uint8_t local6[16];
  bool v6; /* the first socket's family */
  uint32_t mtu; /* the link's (packetdrill's --mtu, given in so_flags) */

  /* sysctls, before and after the stack is made */
  struct zn_config cfg;
  struct pd_sysctl_state sys; /* what the sysctls set beyond cfg */

  /* the stack */
  bool have_stack;
  struct zn_stack *st;
  void *mem;
  struct zn_posix *px;
  void *pxmem;
  struct zn_netif nif;
  struct pkq in, out;
  bool fds[MAX_FD];

  /* shell commands */
  char dir[64];
  pthread_t ctl;
  bool ctl_up;
};

static struct zpd *g;
static bool debug;

static void trace_pkt(const struct zpd *z, const char *dir, const uint8_t *p,
                      size_t n) {
  if (!debug)
    return;
  fprintf(stderr, "znet-packetdrill: %.6f %s %zu bytes:",
          (double)z->now / 1e9, dir, n);
  for (size_t i = 0; i < n && i < 64; i++)
    fprintf(stderr, " %02x", p[i]);
  fprintf(stderr, "\n");
}

/* ---- small things ---- */

__attribute__((format(printf, 1, 2))) static void na(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "znet-packetdrill: not applicable: ");
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, "\n");
  va_end(ap);
}

static bool pkq_push(struct pkq *q, const uint8_t *d, size_t len,
                     uint64_t t) {
  if (q->n == QMAX)
    return false;
  struct pkt *p = &q->v[(q->head + q->n) % QMAX];
  p->data = malloc(len ? len : 1);
  if (!p->data)
    return false;
  memcpy(p->data, d, len);
  p->len = len;
  p->t = t;
  q->n++;
  return true;
}

static bool pkq_pop(struct pkq *q, struct pkt *out) {
  if (!q->n)
    return false;
  *out = q->v[q->head];
  q->head = (q->head + 1) % QMAX;
  q->n--;
  return true;
}

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }

static uint32_t csum_add(uint32_t s, const uint8_t *p, size_t n) {
  for (size_t i = 0; i + 1 < n; i += 2)
    s += rd16(p + i);
  if (n & 1)
    s += (uint32_t)p[n - 1] << 8;
  return s;
}

static uint16_t csum_fold(uint32_t s) {
  while (s >> 16)
    s = (s & 0xffff) + (s >> 16);
  return (uint16_t)~s;
}

/* ---- the netif ---- */

static int nif_recv(struct zn_netif *nif, struct zn_buf **out) {
  struct zpd *z = ZN_CONTAINER_OF(nif, struct zpd, nif);
  struct pkt p;
  if (!pkq_pop(&z->in, &p))
    return ZN_EAGAIN;
  struct zn_buf *b = zn_netif_alloc(nif);
  if (!b || p.len > zn_buf_tailroom(b)) {
    if (b)
      zn_buf_free(b);
    free(p.data);
    return ZN_EAGAIN;
  }
  memcpy(zn_buf_put(b, p.len), p.data, p.len);
  free(p.data);
  *out = b;
  return ZN_OK;
}

static void answer_ns(struct zpd *z, const uint8_t *ip6);

/* A frame from the stack: IP packets of TCP, UDP and ICMP errors go to
 * packetdrill without their Ethernet header; a neighbor solicitation for
 * the router is answered; the rest (ND, MLD, router solicitations) stays
 * on the link. */
static int nif_send(struct zn_netif *nif, struct zn_buf *b) {
  struct zpd *z = ZN_CONTAINER_OF(nif, struct zpd, nif);
  const uint8_t *f = b->data;
  size_t len = b->len;
  if (len > 14) {
    uint16_t et = rd16(f + 12);
    const uint8_t *ip = f + 14;
    size_t il = len - 14;
    bool pass = false;
    if (et == 0x0800 && il >= 20) {
      uint8_t proto = ip[9];
      pass = proto == IPPROTO_TCP || proto == IPPROTO_UDP ||
             proto == IPPROTO_ICMP;
    } else if (et == 0x86dd && il >= 40) {
      uint8_t nxt = ip[6];
      if (nxt == IPPROTO_ICMPV6 && il >= 41) {
        uint8_t type = ip[40];
        /* cppcheck-suppress knownConditionTrueFalse ; 40 + an NS's 24 */
        if (type == 135 && il >= 64 && memcmp(ip + 48, GW_IP6, 16) == 0)
          answer_ns(z, ip);
        pass = type < 128; /* errors only */
      } else {
        pass = nxt == IPPROTO_TCP || nxt == IPPROTO_UDP;
      }
    }
    trace_pkt(z, pass ? "out" : "out (kept)", ip, il);
    if (pass && !pkq_push(&z->out, ip, il, z->now))
      fprintf(stderr, "znet-packetdrill: outbound queue full, packet lost\n");
  }
  zn_buf_free(b);
  return ZN_OK;
}

static const struct zn_netif_ops nif_ops = {
    .kind = "packetdrill",
    .recv = nif_recv,
    .send = nif_send,
};

/* An IP packet from the router onto the link. */
static void inject_ip(struct zpd *z, const uint8_t *ip, size_t len) {
  uint8_t *f = malloc(len + 14);
  if (!f)
    return;
  memcpy(f, STACK_MAC, 6);
  memcpy(f + 6, GW_MAC, 6);
  bool v6 = len && (ip[0] >> 4) == 6;
  f[12] = v6 ? 0x86 : 0x08;
  f[13] = v6 ? 0xdd : 0x00;
  memcpy(f + 14, ip, len);
  if (!pkq_push(&z->in, f, len + 14, z->now))
    fprintf(stderr, "znet-packetdrill: inbound queue full, packet lost\n");
  free(f);
}

/* An ICMPv6 message m (checksum field zero) from fe80::2 to dst, hop
 * limit 255 (RFC 4861 §6.1.2, §7.1.2). */
static void send_nd(struct zpd *z, uint8_t *m, size_t ml,
                    const uint8_t dst[16]) {
  uint8_t ip[40 + 64];
  memset(ip, 0, 40);
  ip[0] = 0x60;
  ip[4] = (uint8_t)(ml >> 8);
  ip[5] = (uint8_t)ml;
  ip[6] = IPPROTO_ICMPV6;
  ip[7] = 255;
  memcpy(ip + 8, GW_IP6, 16);
  memcpy(ip + 24, dst, 16);
  uint32_t s = csum_add(0, ip + 8, 32);
  s += (uint32_t)ml + IPPROTO_ICMPV6;
  m[2] = m[3] = 0;
  s = csum_add(s, m, ml);
  uint16_t c = csum_fold(s);
  m[2] = (uint8_t)(c >> 8);
  m[3] = (uint8_t)c;
  memcpy(ip + 40, m, ml);
  inject_ip(z, ip, 40 + ml);
}

/* RFC 4861 §4.2: the router, default router for 9000 s, with its
 * link-layer address; no prefix (packetdrill's remote is off-link). */
static void announce_router(struct zpd *z) {
  static const uint8_t all_nodes[16] = {0xff, 0x02, [15] = 1};
  uint8_t m[16 + 8];
  memset(m, 0, sizeof(m));
  m[0] = 134;
  m[4] = 64;    /* cur hop limit */
  m[6] = 0x23;  /* router lifetime 9000 */
  m[7] = 0x28;
  m[16] = 1;    /* source link-layer address */
  m[17] = 1;
  memcpy(m + 18, GW_MAC, 6);
  send_nd(z, m, sizeof(m), all_nodes);
}

/* RFC 4861 §7.2.4: solicited NA for fe80::2 to the solicitation's
 * source (ip: the stack's NS). */
static void answer_ns(struct zpd *z, const uint8_t *ip) {
  static const uint8_t unspec[16];
  if (memcmp(ip + 8, unspec, 16) == 0)
    return;
  uint8_t m[24 + 8];
  memset(m, 0, sizeof(m));
  m[0] = 136;
  m[4] = 0xe0; /* R, S, O */
  memcpy(m + 8, GW_IP6, 16);
  m[24] = 2; /* target link-layer address */
  m[25] = 1;
  memcpy(m + 26, GW_MAC, 6);
  send_nd(z, m, sizeof(m), ip + 8);
}

/* ---- the stack and the clock ---- */

static uint32_t script_mss(const struct zpd *z) {
  uint32_t hdrs = z->v6 ? 60 : 40;
  return z->mtu > hdrs ? z->mtu - hdrs : 536;
}

static void poll_now(struct zpd *z) {
  if (!z->have_stack)
    return;
  if (z->px)
    zn_posix_drive(z->px);
  else
    zn_stack_poll(z->st, z->now);
  /* Frames the stack answered at once (ND) are taken in the same step. */
  for (int i = 0; i < 4 && z->in.n; i++) {
    if (z->px)
      zn_posix_drive(z->px);
    else
      zn_stack_poll(z->st, z->now);
  }
}

/* Run the clock to t, polling at every deadline on the way. */
static void advance_to(struct zpd *z, uint64_t t) {
  for (int guard = 0; guard < 10000000; guard++) {
    poll_now(z);
    if (z->now >= t)
      break;
    uint64_t next = z->have_stack ? zn_stack_next_deadline(z->st) : t;
    if (next <= z->now)
      next = z->now + 1;
    if (next > t)
      next = t;
    z->now = next;
  }
  z->gen++;
  pthread_cond_broadcast(&z->cv);
}

static uint64_t h_now(void *ctx) { return ((struct zpd *)ctx)->now; }

static int h_reserve(void *ctx) {
  struct zpd *z = ctx;
  for (int i = FIRST_FD; i < MAX_FD; i++)
    if (!z->fds[i]) {
      z->fds[i] = true;
      return i;
    }
  return -EMFILE;
}

static void h_release(void *ctx, int fd) {
  struct zpd *z = ctx;
  if (fd >= 0 && fd < MAX_FD)
    z->fds[fd] = false;
}

static int h_dup(void *ctx, int oldfd, int newfd, int min, int flags) {
  struct zpd *z = ctx;
  (void)oldfd;
  (void)flags;
  if (newfd >= 0) {
    if (newfd >= MAX_FD)
      return -EBADF;
    z->fds[newfd] = true;
    return newfd;
  }
  for (int i = min > FIRST_FD ? min : FIRST_FD; i < MAX_FD; i++)
    if (!z->fds[i]) {
      z->fds[i] = true;
      return i;
    }
  return -EMFILE;
}

/* See the threads above. */
static int h_wait(void *ctx, struct pollfd *kfds, unsigned n,
                  uint64_t deadline, const sigset_t *mask) {
  struct zpd *z = ctx;
  (void)kfds;
  (void)n;
  (void)mask;
  if (pthread_equal(pthread_self(), z->main_thread)) {
    uint64_t next = zn_stack_next_deadline(z->st);
    if (deadline < next)
      next = deadline;
    if (next == UINT64_MAX || next > z->now + SNIFF_LIMIT)
      return -EINTR; /* it would block for good */
    advance_to(z, next > z->now ? next : z->now + 1);
    return 0;
  }
  uint64_t gen = z->gen;
  while (gen == z->gen && z->now < deadline)
    pthread_cond_wait(&z->cv, &z->mu);
  return 0;
}

static void h_wake(void *ctx) {
  struct zpd *z = ctx;
  z->gen++;
  pthread_cond_broadcast(&z->cv);
}

static bool make_stack(struct zpd *z) {
  struct zn_config *c = &z->cfg;
  c->ipv4_addr = z->local4;
  c->ipv4_prefix = 16;
  c->ipv4_gateway = ZN_IPV4(192, 168, 0, 1);
  c->has_mac = true;
  memcpy(c->mac, STACK_MAC, 6);
  c->arp_announce = false;
  c->ipv6 = true;
  c->ipv6_dad_transmits = 0;
  c->nbufs = 256;
  c->nbigbufs = 2;
  c->tcp_conns = 16;
  for (int i = 0; i < 32; i++)
    c->seed[i] = (uint8_t)(i * 11 + 3);
  pd_sysctl_settle(c, &z->sys, script_mss(z));
  size_t need = zn_stack_mem_size(c);
  z->mem = need ? malloc(need) : NULL;
  if (!z->mem || zn_stack_create(c, z->mem, need, &z->st) != ZN_OK)
    return false;
  zn_netif_init(&z->nif, &nif_ops, z->mtu);
  zn_stack_attach(z->st, &z->nif);
  zn_arp_add_static(z->st, ZN_IPV4(192, 168, 0, 1), GW_MAC);
  z->have_stack = true;
  zn_stack_poll(z->st, z->now);
  struct zn_ip a6 = zn_ip_from_v6(z->local6);
  if (zn_stack_add_ipv6(z->st, &a6, 48) != ZN_OK)
    return false;
  zn_stack_poll(z->st, z->now);
  announce_router(z);
  zn_stack_poll(z->st, z->now);

  struct zn_posix_cfg pc;
  zn_posix_cfg_default(&pc, c);
  pc.max_fd = MAX_FD;
  size_t len = zn_posix_mem_size(&pc);
  z->pxmem = malloc(len);
  struct zn_posix_host h = {
      .ctx = z,
      .now = h_now,
      .fd_reserve = h_reserve,
      .fd_release = h_release,
      .fd_dup = h_dup,
      .wait = h_wait,
      .wake = h_wake,
  };
  if (!z->pxmem || zn_posix_init(z->st, &pc, &h, z->pxmem, len, &z->px) !=
                       ZN_OK)
    return false;
  /* What the stack sent while starting (ND, MLD) is not packetdrill's. */
  struct pkt p;
  while (pkq_pop(&z->out, &p))
    free(p.data);
  return true;
}

static bool need_stack(struct zpd *z) {
  if (z->have_stack)
    return true;
  if (!make_stack(z)) {
    fprintf(stderr, "znet-packetdrill: cannot make the stack\n");
    exit(1);
  }
  return true;
}

/* ---- sysctls, as tests/conformance/pd_run.c applies them ---- */

static void apply_sysctl(struct zpd *z, const char *name, const char *value) {
  const struct pd_sysctl *sc = pd_sysctl_find(name, value);
  if (!sc) {
    na("sysctl %s has no znet equivalent", name);
    return;
  }
  struct zn_config *cfg = z->have_stack ? &z->st->cfg : &z->cfg;
  const char *why = pd_sysctl_apply(sc, strtol(value, NULL, 10),
                                    script_mss(z), cfg, &z->sys);
  if (why)
    na("%s", why);
}

/* ---- shell commands: sysctl, sockstat, tcpdrop ---- */

/* FreeBSD's names of TCP states (sockstat -s). */
static const char *const bsd_states[ZN_TCP_NSTATES] = {
    "CLOSED",      "LISTEN",     "SYN_SENT",   "SYN_RCVD",
    "ESTABLISHED", "FIN_WAIT_1", "FIN_WAIT_2", "CLOSE_WAIT",
    "CLOSING",     "LAST_ACK",   "TIME_WAIT"};

static const char *state_name(int st) {
  return st >= 0 && st < ZN_TCP_NSTATES ? bsd_states[st] : "?";
}

/* sockstat's lines: every socket of ours (its command "packetdril", as
 * FreeBSD's sockstat cuts "packetdrill"), then every other connection of
 * the stack (embryonic ones, orphans).  -p PORT keeps those with that
 * local or foreign port. */
static void cmd_sockstat(struct zpd *z, char **argv, int argc, FILE *o) {
  int port = -1;
  for (int i = 1; i < argc; i++)
    if (strcmp(argv[i], "-p") == 0 && i + 1 < argc)
      port = (int)strtol(argv[++i], NULL, 10);
  fprintf(o, "USER COMMAND PID FD PROTO LOCAL FOREIGN STATE\n");
  if (!z->have_stack)
    return;
  struct zn_tcp_conn *mine[MAX_FD];
  int nmine = 0;
  for (int fd = 0; fd < MAX_FD; fd++) {
    struct px_sock *s = z->fds[fd] ? px_sock_of(z->px, fd) : NULL;
    if (!s || s->kind != PX_TCP)
      continue;
    struct zn_tcp_conn *c = s->c;
    int st = c ? c->state : ZN_TCP_CLOSED;
    uint16_t lp = c ? c->lport : s->lport, rp = c ? c->rport : s->rport;
    if (c)
      mine[nmine++] = c;
    if (port >= 0 && lp != port && rp != port)
      continue;
    fprintf(o, "root packetdril 1 %d tcp%c *:%u *:%u %s\n", fd,
            z->v6 ? '6' : '4', lp, rp, state_name(st));
  }
  for (uint32_t i = 0; i < z->st->cfg.tcp_conns; i++) {
    struct zn_tcp_conn *c = &ZN__MOD(z->st, tcp)->conns[i];
    if (c->state == ZN_TCP_CLOSED)
      continue;
    bool own = false;
    for (int k = 0; k < nmine; k++)
      own |= mine[k] == c;
    if (own || (port >= 0 && c->lport != port && c->rport != port))
      continue;
    fprintf(o, "? ? ? ? tcp%c *:%u *:%u %s\n", z->v6 ? '6' : '4', c->lport,
            c->rport, state_name(c->state));
  }
}

/* One command line (argv[0] the command's name); its output to o; its
 * exit status returned. */
static int run_cmd(struct zpd *z, char **argv, int argc, FILE *o) {
  if (strcmp(argv[0], "sysctl") == 0) {
    for (int i = 1; i < argc; i++) {
      if (argv[i][0] == '-')
        continue;
      char *eq = strchr(argv[i], '=');
      if (!eq) {
        fprintf(o, "sysctl: %s: reading is not supported\n", argv[i]);
        return 1;
      }
      *eq = 0;
      apply_sysctl(z, argv[i], eq + 1);
    }
    return 0;
  }
  if (strcmp(argv[0], "sockstat") == 0) {
    cmd_sockstat(z, argv, argc, o);
    return 0;
  }
  na("command %s", argv[0]);
  return 1;
}

static void *ctl_main(void *arg) {
  struct zpd *z = arg;
  char req[512], rsp[512];
  (void)snprintf(req, sizeof(req), "%s/req", z->dir);
  (void)snprintf(rsp, sizeof(rsp), "%s/rsp", z->dir);
  for (;;) {
    FILE *in = fopen(req, "r");
    if (!in)
      return NULL;
    char line[1024];
    if (!fgets(line, sizeof(line), in)) {
      (void)fclose(in);
      continue;
    }
    (void)fclose(in);
    char *argv[32];
    int argc = 0;
    char *save = NULL;
    for (char *t = strtok_r(line, " \t\n", &save); t && argc < 32;
         t = strtok_r(NULL, " \t\n", &save))
      argv[argc++] = t;
    char *buf = NULL;
    size_t blen = 0;
    FILE *o = open_memstream(&buf, &blen);
    int rc = 1;
    if (argc) {
      pthread_mutex_lock(&z->mu);
      rc = run_cmd(z, argv, argc, o);
      pthread_mutex_unlock(&z->mu);
    }
    (void)fclose(o);
    FILE *out = fopen(rsp, "w");
    if (out) {
      fprintf(out, "%d\n%s", rc, buf ? buf : "");
      (void)fclose(out);
    }
    free(buf);
  }
}

/* The folder of commands, first in PATH, and the thread that answers. */
static void ctl_start(struct zpd *z) {
  (void)snprintf(z->dir, sizeof(z->dir), "/tmp/znet-packetdrill.XXXXXX");
  if (!mkdtemp(z->dir))
    return;
  char p[512];
  (void)snprintf(p, sizeof(p), "%s/req", z->dir);
  mkfifo(p, 0600);
  (void)snprintf(p, sizeof(p), "%s/rsp", z->dir);
  mkfifo(p, 0600);
  (void)snprintf(p, sizeof(p), "%s/bin", z->dir);
  mkdir(p, 0700);
  static const char *const cmds[] = {"sysctl", "sockstat", "tcpdrop",
                                     "kldstat", "kldload", "setkey"};
  for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
    (void)snprintf(p, sizeof(p), "%s/bin/%s", z->dir, cmds[i]);
    FILE *f = fopen(p, "w");
    if (!f)
      continue;
    fprintf(f,
            "#!/bin/sh\n"
            "echo \"%s $*\" > %s/req\n"
            "{ read rc; cat; exit $rc; } < %s/rsp\n",
            cmds[i], z->dir, z->dir);
    (void)fclose(f);
    chmod(p, 0700);
  }
  const char *old = getenv("PATH");
  char *np = NULL;
  if (asprintf(&np, "%s/bin:%s", z->dir, old ? old : "/usr/bin:/bin") > 0) {
    setenv("PATH", np, 1);
    free(np);
  }
  z->ctl_up = pthread_create(&z->ctl, NULL, ctl_main, z) == 0;
}

static void ctl_stop(struct zpd *z) {
  if (!z->dir[0])
    return;
  char p[600];
  if (z->ctl_up) {
    pthread_cancel(z->ctl);
    pthread_join(z->ctl, NULL);
  }
  static const char *const names[] = {
      "bin/sysctl", "bin/sockstat", "bin/tcpdrop", "bin/kldstat",
      "bin/kldload", "bin/setkey", "bin", "req", "rsp"};
  for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
    (void)snprintf(p, sizeof(p), "%s/%s", z->dir, names[i]);
    (void)remove(p);
  }
  rmdir(z->dir);
}

/* ---- the interface's functions ---- */

/* NOLINTBEGIN(bugprone-macro-parentheses): z is the name it declares */
#define ENTER(z)                                                               \
  struct zpd *z = ud;                                                          \
  pthread_mutex_lock(&z->mu)
/* NOLINTEND(bugprone-macro-parentheses) */

/* Return rc, a libznet-posix result, as a system call does. */
static long leave(struct zpd *z, long rc) {
  pthread_mutex_unlock(&z->mu);
  if (rc < 0) {
    errno = (int)-rc;
    return -1;
  }
  return rc;
}

static int i_socket(void *ud, int domain, int type, int protocol) {
  ENTER(z);
  if (!z->have_stack)
    z->v6 = domain == AF_INET6;
  need_stack(z);
  return (int)leave(z, zn_posix_socket(z->px, domain, type, protocol));
}

static int i_bind(void *ud, int fd, const struct sockaddr *a, socklen_t l) {
  ENTER(z);
  need_stack(z);
  return (int)leave(z, zn_posix_bind(z->px, fd, a, l));
}

static int i_listen(void *ud, int fd, int backlog) {
  ENTER(z);
  need_stack(z);
  return (int)leave(z, zn_posix_listen(z->px, fd, backlog));
}

static int i_accept(void *ud, int fd, struct sockaddr *a, socklen_t *l) {
  ENTER(z);
  need_stack(z);
  return (int)leave(z, zn_posix_accept4(z->px, fd, a, l, 0));
}

static int i_connect(void *ud, int fd, const struct sockaddr *a,
                     socklen_t l) {
  ENTER(z);
  need_stack(z);
  return (int)leave(z, zn_posix_connect(z->px, fd, a, l));
}

static ssize_t i_readv(void *ud, int fd, const struct iovec *iov, int n) {
  ENTER(z);
  need_stack(z);
  return leave(z, zn_posix_readv(z->px, fd, iov, n));
}

static ssize_t i_read(void *ud, int fd, void *buf, size_t n) {
  struct iovec v = {buf, n};
  return i_readv(ud, fd, &v, 1);
}

static ssize_t i_recvfrom(void *ud, int fd, void *buf, size_t n, int flags,
                          struct sockaddr *a, socklen_t *l) {
  ENTER(z);
  need_stack(z);
  return leave(z, zn_posix_recvfrom(z->px, fd, buf, n, flags, a, l));
}

static ssize_t i_recv(void *ud, int fd, void *buf, size_t n, int flags) {
  return i_recvfrom(ud, fd, buf, n, flags, NULL, NULL);
}

static ssize_t i_recvmsg(void *ud, int fd, struct msghdr *m, int flags) {
  ENTER(z);
  need_stack(z);
  return leave(z, zn_posix_recvmsg(z->px, fd, m, flags));
}

static ssize_t i_writev(void *ud, int fd, const struct iovec *iov, int n) {
  ENTER(z);
  need_stack(z);
  return leave(z, zn_posix_writev(z->px, fd, iov, n));
}

static ssize_t i_write(void *ud, int fd, const void *buf, size_t n) {
  struct iovec v = {NULL, n};
  memcpy(&v.iov_base, &buf, sizeof(buf)); /* iovec's base is not const */
  return i_writev(ud, fd, &v, 1);
}

static ssize_t i_sendto(void *ud, int fd, const void *buf, size_t n,
                        int flags, const struct sockaddr *a, socklen_t l) {
  ENTER(z);
  need_stack(z);
  return leave(z, zn_posix_sendto(z->px, fd, buf, n, flags, a, l));
}

static ssize_t i_send(void *ud, int fd, const void *buf, size_t n,
                      int flags) {
  return i_sendto(ud, fd, buf, n, flags, NULL, 0);
}

static ssize_t i_sendmsg(void *ud, int fd, const struct msghdr *m,
                         int flags) {
  ENTER(z);
  need_stack(z);
  return leave(z, zn_posix_sendmsg(z->px, fd, m, flags));
}

static int i_fcntl(void *ud, int fd, int cmd, ...) {
  va_list ap;
  va_start(ap, cmd);
  long arg = va_arg(ap, long);
  va_end(ap);
  ENTER(z);
  need_stack(z);
  return (int)leave(z, zn_posix_fcntl(z->px, fd, cmd, arg));
}

static int i_ioctl(void *ud, int fd, unsigned long req, ...) {
  va_list ap;
  va_start(ap, req);
  void *arg = va_arg(ap, void *);
  va_end(ap);
  ENTER(z);
  need_stack(z);
  return (int)leave(z, zn_posix_ioctl(z->px, fd, req, arg));
}

static int i_close(void *ud, int fd) {
  ENTER(z);
  need_stack(z);
  return (int)leave(z, zn_posix_close(z->px, fd));
}

static int i_shutdown(void *ud, int fd, int how) {
  ENTER(z);
  need_stack(z);
  return (int)leave(z, zn_posix_shutdown(z->px, fd, how));
}

/* FreeBSD's SO_RCVBUF and SO_SNDBUF: the size, not Linux's double; the
 * receive buffer reads as net.inet.tcp.recvspace until a SYN has told
 * the connection its MSS (the stack holds the size rounded up to it, as
 * FreeBSD does then: accepted.c, net.inet.tcp.recvspace). */
static void bsd_buf(struct zpd *z, int fd, int name, void *val,
                    const socklen_t *len) {
  if (!val || !len || *len < sizeof(int))
    return;
  int v;
  memcpy(&v, val, sizeof(v));
  v /= 2;
  if (name == SO_RCVBUF) {
    struct px_sock *s = px_sock_of(z->px, fd);
    int st = s && s->c ? s->c->state : ZN_TCP_CLOSED;
    if (s && s->kind == PX_TCP && !s->rcvbuf &&
        (st == ZN_TCP_CLOSED || st == ZN_TCP_LISTEN ||
         st == ZN_TCP_SYN_SENT))
      v = (int)z->sys.recvspace;
  }
  memcpy(val, &v, sizeof(v));
}

static int i_getsockopt(void *ud, int fd, int level, int name, void *val,
                        socklen_t *len) {
  ENTER(z);
  need_stack(z);
  int rc = zn_posix_getsockopt(z->px, fd, level, name, val, len);
  if (rc == 0 && !z->linux_bufs && level == SOL_SOCKET &&
      (name == SO_RCVBUF || name == SO_SNDBUF))
    bsd_buf(z, fd, name, val, len);
  return (int)leave(z, rc);
}

static int i_setsockopt(void *ud, int fd, int level, int name,
                        const void *val, socklen_t len) {
  ENTER(z);
  need_stack(z);
  return (int)leave(z, zn_posix_setsockopt(z->px, fd, level, name, val, len));
}

static int i_poll(void *ud, struct pollfd *fds, nfds_t n, int timeout) {
  ENTER(z);
  need_stack(z);
  struct timespec ts = {timeout / 1000, (long)(timeout % 1000) * 1000000};
  return (int)leave(z, zn_posix_ppoll(z->px, fds, n, timeout < 0 ? NULL : &ts,
                                      NULL));
}

static int i_epoll_create(void *ud, int size) {
  ENTER(z);
  need_stack(z);
  (void)size;
  return (int)leave(z, zn_posix_epoll_create1(z->px, 0));
}

static int i_epoll_ctl(void *ud, int epfd, int op, int fd,
                       struct epoll_event *ev) {
  ENTER(z);
  need_stack(z);
  return (int)leave(z, zn_posix_epoll_ctl(z->px, epfd, op, fd, ev));
}

static int i_epoll_wait(void *ud, int epfd, struct epoll_event *evs, int max,
                        int timeout) {
  ENTER(z);
  need_stack(z);
  return (int)leave(z,
                    zn_posix_epoll_pwait(z->px, epfd, evs, max, timeout, NULL));
}

/* The interface's signature (packetdrill's, as pipe(2)).
 * NOLINTNEXTLINE(readability-non-const-parameter) */
static int i_pipe(void *ud, int fds[2]) {
  (void)ud;
  (void)fds;
  errno = ENOSYS;
  return -1;
}

/* The interface's signature (packetdrill's, as splice(2)).
 * NOLINTNEXTLINE(readability-non-const-parameter) */
static int i_splice(void *ud, int a, loff_t *ao, int b, loff_t *bo, size_t n,
                    unsigned f) {
  (void)ud, (void)a, (void)ao, (void)b, (void)bo, (void)n, (void)f;
  errno = ENOSYS;
  return -1;
}

static int i_netdev_send(void *ud, const void *buf, size_t n) {
  ENTER(z);
  need_stack(z);
  trace_pkt(z, "in", buf, n);
  inject_ip(z, buf, n);
  poll_now(z);
  z->gen++;
  pthread_cond_broadcast(&z->cv);
  pthread_mutex_unlock(&z->mu);
  return 0;
}

/* The next packet the stack sent, stamped with when; if none is waiting,
 * the clock runs (the stack's timers) until one comes or nothing more can
 * (no deadline, or SNIFF_LIMIT): then *n is 0, which packetdrill takes as
 * a packet it cannot parse. */
static int i_netdev_receive(void *ud, void *buf, size_t *n,
                            long long *t_us) {
  ENTER(z);
  need_stack(z);
  uint64_t limit = z->now + SNIFF_LIMIT;
  struct pkt p;
  for (;;) {
    poll_now(z);
    if (pkq_pop(&z->out, &p))
      break;
    uint64_t next = zn_stack_next_deadline(z->st);
    if (next == UINT64_MAX || next > limit) {
      *n = 0;
      *t_us = (long long)(z->now / 1000);
      pthread_mutex_unlock(&z->mu);
      return 0;
    }
    advance_to(z, next > z->now ? next : z->now + 1);
  }
  size_t k = p.len < *n ? p.len : *n;
  memcpy(buf, p.data, k);
  free(p.data);
  *n = k;
  *t_us = (long long)(p.t / 1000);
  pthread_mutex_unlock(&z->mu);
  return 0;
}

static int i_usleep(void *ud, useconds_t us) {
  ENTER(z);
  advance_to(z, z->now + (uint64_t)us * 1000u);
  pthread_mutex_unlock(&z->mu);
  return 0;
}

static int i_gettimeofday(void *ud, struct timeval *tv, struct timezone *tz) {
  (void)tz;
  ENTER(z);
  advance_to(z, z->now + READ_STEP_NS);
  uint64_t us = z->now / 1000;
  pthread_mutex_unlock(&z->mu);
  tv->tv_sec = (time_t)(us / 1000000);
  tv->tv_usec = (suseconds_t)(us % 1000000);
  return 0;
}

static void i_free(void *ud) {
  struct zpd *z = ud;
  ctl_stop(z);
  pthread_mutex_lock(&z->mu);
  if (z->px)
    zn_posix_destroy(z->px);
  struct pkt p;
  while (pkq_pop(&z->in, &p))
    free(p.data);
  while (pkq_pop(&z->out, &p))
    free(p.data);
  pthread_mutex_unlock(&z->mu);
  free(z->pxmem);
  free(z->mem);
  free(z);
  g = NULL;
}

static void parse_flags(struct zpd *z, const char *flags) {
  if (!flags)
    return;
  char *copy = strdup(flags), *save = NULL;
  for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
    if (strcmp(t, "linux") == 0)
      z->linux_bufs = true;
    else if (strncmp(t, "mtu=", 4) == 0)
      z->mtu = (uint32_t)strtoul(t + 4, NULL, 10);
    else if (strncmp(t, "script=", 7) == 0)
      (void)snprintf(z->script, sizeof(z->script), "%s", t + 7);
    else if (strncmp(t, "local4=", 7) == 0) {
      struct in_addr a;
      if (inet_pton(AF_INET, t + 7, &a) == 1)
        z->local4 = ntohl(a.s_addr);
    } else if (strncmp(t, "local6=", 7) == 0) {
      struct in6_addr a;
      if (inet_pton(AF_INET6, t + 7, &a) == 1)
        memcpy(z->local6, &a, 16);
    } else {
      fprintf(stderr, "znet-packetdrill: unknown flag %s\n", t);
    }
  }
  free(copy);
}

/* The one symbol packetdrill looks up. */
__attribute__((visibility("default"))) void
packetdrill_interface_init(const char *flags, struct pd_ifc *ifc);

void packetdrill_interface_init(const char *flags, struct pd_ifc *ifc) {
  struct zpd *z = calloc(1, sizeof(*z));
  if (!z) {
    fprintf(stderr, "znet-packetdrill: out of memory\n");
    exit(1);
  }
  pthread_mutex_init(&z->mu, NULL);
  pthread_cond_init(&z->cv, NULL);
  z->main_thread = pthread_self();
  z->now = T0;
  z->local4 = ZN_IPV4(192, 168, 0, 2);
  static const uint8_t l6[16] = {0xfd, 0x3d, 0xfa, 0x7b, 0xd1, 0x7d,
                                 [15] = 2};
  memcpy(z->local6, l6, 16);
  zn_config_default(&z->cfg);
  pd_sysctl_defaults(&z->cfg, &z->sys); /* as the project's runner */
  z->mtu = 1500;
  parse_flags(z, flags);
  if (z->script[0]) {
    const char *why = pd_not_applicable(z->script);
    if (why)
      na("%s", why);
  }
  ctl_start(z);
  g = z;
  debug = getenv("ZNET_PACKETDRILL_DEBUG") != NULL;

  memset(ifc, 0, sizeof(*ifc));
  ifc->userdata = z;
  ifc->free = i_free;
  ifc->socket = i_socket;
  ifc->bind = i_bind;
  ifc->listen = i_listen;
  ifc->accept = i_accept;
  ifc->connect = i_connect;
  ifc->read = i_read;
  ifc->readv = i_readv;
  ifc->recv = i_recv;
  ifc->recvfrom = i_recvfrom;
  ifc->recvmsg = i_recvmsg;
  ifc->write = i_write;
  ifc->writev = i_writev;
  ifc->send = i_send;
  ifc->sendto = i_sendto;
  ifc->sendmsg = i_sendmsg;
  ifc->fcntl = i_fcntl;
  ifc->ioctl = i_ioctl;
  ifc->close = i_close;
  ifc->shutdown = i_shutdown;
  ifc->getsockopt = i_getsockopt;
  ifc->setsockopt = i_setsockopt;
  ifc->poll = i_poll;
  ifc->netdev_send = i_netdev_send;
  ifc->netdev_receive = i_netdev_receive;
  ifc->usleep = i_usleep;
  ifc->gettimeofday = i_gettimeofday;
  ifc->epoll_create = i_epoll_create;
  ifc->epoll_ctl = i_epoll_ctl;
  ifc->epoll_wait = i_epoll_wait;
  ifc->pipe = i_pipe;
  ifc->splice = i_splice;
}
