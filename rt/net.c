/*
 * The network of an image: znet's stack on the Solo5 net device
 * "service", libznet-posix over it, and the socket calls, poll, select
 * and epoll answered by the layer.
 *
 * Start (zrt_net_start): the words before "--" are znet's flags (those
 * of every znet program: --ipv4, --gateway, --ipv6, --slaac, --dhcp,
 * --tcp-*, ...), taken by libznet-app's public zn_app_open, which builds
 * the stack on the image's net device; zn_app_settle waits for IPv6's
 * duplicate address detection and a DHCP lease (znet-run's start waits
 * the same way); zn_app_stack's banner says "znet-rt: ADDR mac MAC on
 * solo5:service", or that the image has loopback only (127.0.0.1, and
 * ::1 if IPv6 is on) when no flag gave it an address; then the layer.
 * A program written against znet's API builds the stack itself and
 * hands it over (znet/image.h: zn_image_adopt_stack).
 *
 * The layer's host: each socket or epoll instance of the layer is a
 * file of the runtime's one descriptor table (rt/fd.c), of the kind
 * "layer file" here, whose number is the layer's number for it: the
 * table reaches the layer only through that kind's operations (reads,
 * writes, fcntl, ioctl, poll, a dup that makes the layer's dup, a close
 * that closes it there).  The clock is the
 * platform's; a wait is the scheduler's (zrt_io_wait): the layer's own
 * sockets are polled by the layer, every other descriptor of a poll,
 * select or epoll (pipes, eventfds, files, timerfds) by its file's poll;
 * the scheduler's pump polls the stack whenever every thread is blocked
 * and every ZRT_PUMP_PERIOD while one computes, and the layer's wake
 * makes the waiting threads look again.
 *
 * Epoll: an epoll instance is the layer's (for its sockets) and the
 * runtime's (kepoll here, for every other descriptor), as on Linux under
 * znet-run the kernel's epoll is beside the layer's.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <arpa/inet.h>

#include "net.h"
#include "rt.h"
#include "sys_gen.h"
#include "znet/app.h"
#include "znet/image.h"
#include "znet/posix.h"
#include "znet/udp.h"

/* Defined by libznet-app's image loop when the program runs it
 * (znet/image.h); else its address is NULL. */
#pragma weak zn_image_program_owns_net

#define NET_PROG "znet-rt"
/* kepoll registrations of non-socket descriptors, all instances. */
#define KEPOLL_ITEMS 1024
/* A layer file's number once the layer is done with it. */
#define LAYER_GONE (-1)

struct kitem {
  int epfd, fd;           /* -1: free */
  struct zrt_file *file;  /* what fd named when it was added: a closed
                             and reused number is not the registration */
  uint32_t events;        /* as registered (EPOLLIN, EPOLLET, ...) */
  uint64_t data;
  uint32_t last;          /* what was last reported (EPOLLET) */
  uint32_t seq;           /* the file's change count then (EPOLLET) */
  bool disabled;          /* EPOLLONESHOT fired */
};

static struct {
  struct zn_app *app;     /* the runtime's own (NULL: adopted, or none) */
  struct zn_stack *st;    /* the image's stack, its own or handed over */
  struct zn_config cfg;   /* what st was built with */
  struct zn_posix *px;
  bool up;
  bool host_loopback;     /* --host-loopback */
  struct zn_udp_sock *sigport; /* --signal-port */
  uint64_t sig_foreign;   /* datagrams to it not from the gateway */
  uint64_t sig_unknown;   /* ... naming no signal */
  struct kitem kitems[KEPOLL_ITEMS];
} g;

/* SIGPIPE for -EPIPE when the layer's rule says so
 * (zn_posix_sigpipe_due: not with MSG_NOSIGNAL); returns rc. */
static long sigpipe_due(long rc, int flags) {
  if (zn_posix_sigpipe_due(rc, flags))
    zrt_signal_raise(SIGPIPE);
  return rc;
}

/* ---- kepoll: the epoll of the runtime's own descriptors ---------------- */

static struct kitem *kitem_find(int epfd, int fd) {
  for (size_t i = 0; i < KEPOLL_ITEMS; i++)
    if (g.kitems[i].epfd == epfd && g.kitems[i].fd == fd)
      return &g.kitems[i];
  return NULL;
}

static int h_kepoll_ctl(void *ctx, int epfd, int op, int fd,
                        struct epoll_event *ev) {
  (void)ctx;
  if (zrt_fd_poll(fd, 0) & POLLNVAL)
    return -EBADF;
  struct kitem *it = kitem_find(epfd, fd);
  switch (op) {
  case EPOLL_CTL_ADD:
    if (it)
      return -EEXIST;
    it = kitem_find(-1, -1);
    if (!it)
      return -ENOSPC;
    *it = (struct kitem){.epfd = epfd, .fd = fd, .file = zrt_fd_file(fd),
                         .events = ev->events, .data = ev->data.u64};
    zrt_io_notify();
    return 0;
  case EPOLL_CTL_MOD:
    if (!it)
      return -ENOENT;
    it->events = ev->events;
    it->data = ev->data.u64;
    it->last = 0;
    it->disabled = false;
    zrt_io_notify();
    return 0;
  case EPOLL_CTL_DEL:
    if (!it)
      return -ENOENT;
    it->epfd = it->fd = -1;
    return 0;
  default:
    return -EINVAL;
  }
}

/* f's change count (its kind's seq op), 0 for a kind without one. */
static uint32_t file_seq(struct zrt_file *f) {
  return f->ops->seq ? f->ops->seq(f) : 0;
}

/* What item `it` would report now, 0 if nothing (level: while ready;
 * edge: when it became ready, or its file changed again while ready,
 * since the last report); *level, what its file is ready for; *seq, its
 * change count.  Drops the item when its descriptor was closed, as
 * Linux does. */
static uint32_t kitem_due(struct kitem *it, uint32_t *level, uint32_t *seq) {
  *level = 0;
  *seq = 0;
  if (zrt_fd_file(it->fd) != it->file) {
    it->epfd = it->fd = -1;
    return 0;
  }
  if (it->disabled)
    return 0;
  short want = (short)(it->events & (EPOLLIN | EPOLLOUT | EPOLLPRI |
                                     EPOLLRDHUP));
  uint32_t r = (uint32_t)(unsigned short)zrt_fd_poll(it->fd, want);
  r &= it->events | EPOLLERR | EPOLLHUP;
  if (r & (uint32_t)(unsigned short)POLLNVAL) {
    it->epfd = it->fd = -1;
    return 0;
  }
  *level = r;
  *seq = file_seq(it->file);
  if (!(it->events & EPOLLET) || !r)
    return r;
  return (r & ~it->last) || *seq != it->seq ? r : 0;
}

/* What item `it` reports now, taken: an edge is reported once. */
static uint32_t kitem_events(struct kitem *it) {
  uint32_t level, seq;
  uint32_t r = kitem_due(it, &level, &seq);
  if (it->epfd >= 0 && (it->events & EPOLLET)) {
    it->last = level;
    it->seq = seq;
  }
  return r;
}

/* The kepoll side of instance epfd is readable: an item would report. */
static short kepoll_ready(int epfd) {
  for (size_t i = 0; i < KEPOLL_ITEMS; i++) {
    struct kitem *it = &g.kitems[i];
    uint32_t level, seq;
    if (it->epfd == epfd && kitem_due(it, &level, &seq))
      return POLLIN;
  }
  return 0;
}

static int h_kepoll_wait(void *ctx, int epfd, struct epoll_event *evs,
                         int max) {
  (void)ctx;
  int n = 0;
  for (size_t i = 0; i < KEPOLL_ITEMS && n < max; i++) {
    struct kitem *it = &g.kitems[i];
    if (it->epfd != epfd)
      continue;
    uint32_t r = kitem_events(it);
    if (!r)
      continue;
    evs[n].events = r;
    evs[n].data.u64 = it->data;
    n++;
    if (it->events & EPOLLONESHOT)
      it->disabled = true;
  }
  return n;
}

/* The layer's epoll instance is known by `to` now: its registrations
 * follow (the layer closes `from`, a dup stays). */
static void h_kepoll_renumber(void *ctx, int from, int to) {
  (void)ctx;
  for (size_t i = 0; i < KEPOLL_ITEMS; i++)
    if (g.kitems[i].epfd == from)
      g.kitems[i].epfd = to;
}

/* A layer file's number closed: drop its registrations, and an epoll
 * instance's own.  (A closed file of the runtime's is dropped when it is
 * next looked at: kitem_events.) */
static void kitems_drop(int fd) {
  for (size_t i = 0; i < KEPOLL_ITEMS; i++)
    if (g.kitems[i].fd == fd || g.kitems[i].epfd == fd)
      g.kitems[i].epfd = g.kitems[i].fd = -1;
}

/* ---- layer files: the layer's sockets and epoll instances ------------ */

/* The layer's number for the file, which is its descriptor's;
 * LAYER_GONE once the layer let go of it, or before it had it. */
static int layer_num(const struct zrt_file *f) {
  return (int)(intptr_t)f->priv;
}

static ssize_t layer_readv(struct zrt_file *f, const struct iovec *iov,
                           int cnt) {
  return zn_posix_readv(g.px, layer_num(f), iov, cnt);
}

static ssize_t layer_writev(struct zrt_file *f, const struct iovec *iov,
                            int cnt) {
  return sigpipe_due(zn_posix_writev(g.px, layer_num(f), iov, cnt), 0);
}

/* F_GETFL, F_SETFL (O_NONBLOCK), locks: the layer keeps its own flags. */
static long layer_fcntl(struct zrt_file *f, int cmd, long arg) {
  return zn_posix_fcntl(g.px, layer_num(f), cmd, arg);
}

/* FIONBIO, FIONREAD, SIOC*. */
static int layer_ioctl(struct zrt_file *f, unsigned long req, void *arg) {
  return zn_posix_ioctl(g.px, layer_num(f), req, arg);
}

static int layer_fstat(struct zrt_file *f, struct stat *st) {
  st->st_mode = S_IFSOCK | 0777;
  st->st_ino = (ino_t)layer_num(f) + 1;
  st->st_nlink = 1;
  st->st_blksize = 4096;
  return 0;
}

/* The readiness now: the layer's poll with a deadline already past. */
static short layer_poll(struct zrt_file *f, short events) {
  struct pollfd p = {.fd = layer_num(f), .events = events};
  const struct timespec past = {0, 0};
  if (zn_posix_ppoll(g.px, &p, 1, &past, NULL) < 0)
    p.revents = POLLNVAL;
  return p.revents;
}

/* dup, dup2, dup3, F_DUPFD onto newfd (reserved by fd.c): the layer's
 * dup3 to the same number, in a file of its own. */
static long layer_dup(struct zrt_file *f, int newfd, struct zrt_file **out) {
  struct zrt_file *nf =
      zrt_file_new(f->ops, O_RDWR, (void *)(intptr_t)LAYER_GONE);
  if (!nf)
    return -ENOMEM;
  int r = zn_posix_dup3(g.px, layer_num(f), newfd, 0);
  if (r < 0) {
    zrt_file_put(nf);
    return r;
  }
  ZN_ASSERT(r == newfd);
  nf->priv = (void *)(intptr_t)newfd;
  *out = nf;
  return 0;
}

/* Its descriptor closed: closed in the layer too (which lets go of the
 * number, h_release, with nothing left to do). */
static void layer_fd_closed(struct zrt_file *f) {
  int fd = layer_num(f);
  if (fd == LAYER_GONE)
    return;
  f->priv = (void *)(intptr_t)LAYER_GONE;
  /* The layer first: an epoll instance another number still names moves
   * its registrations there (h_kepoll_renumber) before these go. */
  (void)zn_posix_close(g.px, fd);
  kitems_drop(fd);
}

static const struct zrt_file_ops layer_ops = {
    .name = "socket",
    .readv = layer_readv,
    .writev = layer_writev,
    .fstat = layer_fstat,
    .ioctl = layer_ioctl,
    .fcntl = layer_fcntl,
    .poll = layer_poll,
    .dup = layer_dup,
    .fd_closed = layer_fd_closed,
};

/* A new layer file at the lowest free descriptor: its number, or
 * -EMFILE, -ENOMEM. */
static int layer_install(bool cloexec) {
  struct zrt_file *f =
      zrt_file_new(&layer_ops, O_RDWR, (void *)(intptr_t)LAYER_GONE);
  if (!f)
    return -ENOMEM;
  int fd = zrt_fd_install(f, 0, cloexec);
  if (fd >= 0)
    f->priv = (void *)(intptr_t)fd;
  zrt_file_put(f); /* the descriptor's reference stays */
  return fd;
}

/* ---- the layer's host ---------------------------------------------------- */

static uint64_t h_now(void *ctx) {
  (void)ctx;
  return zrt_plat_monotonic();
}

static int h_reserve(void *ctx) {
  (void)ctx;
  return layer_install(false);
}

/* The layer let go of fd (after its own close, or undoing a socket() or
 * accept() that failed): its file leaves the table unless the
 * descriptor was closed first. */
static void h_release(void *ctx, int fd) {
  (void)ctx;
  struct zrt_file *f = zrt_fd_file(fd);
  if (!f || f->ops != &layer_ops || layer_num(f) != fd)
    return;
  f->priv = (void *)(intptr_t)LAYER_GONE;
  (void)zrt_fd_close(fd);
}

/* The layer's dup3 asks for a number: layer_dup's, which fd.c reserved
 * (its dup, dup2, dup3 and F_DUPFD are the only ones that reach the
 * layer: a dup the layer starts by itself is refused). */
static int h_dup(void *ctx, int oldfd, int newfd, int min, int flags) {
  (void)ctx;
  (void)oldfd;
  (void)min;
  (void)flags;
  return newfd >= 0 ? newfd : -EOPNOTSUPP;
}

static int h_kepoll_create(void *ctx, int flags) {
  (void)ctx;
  return layer_install((flags & EPOLL_CLOEXEC) != 0);
}

/* revents of the foreign descriptors: the runtime's files, and the
 * kepoll side of an epoll instance (readable when one of its
 * descriptors is ready). */
static int poll_foreign(struct pollfd *kfds, unsigned n) {
  int ready = 0;
  for (unsigned i = 0; i < n; i++) {
    short ev = (short)(kfds[i].events | POLLERR | POLLHUP);
    short r = (short)(g.px && zn_posix_owns(g.px, kfds[i].fd)
                          ? kepoll_ready(kfds[i].fd)
                          : zrt_fd_poll(kfds[i].fd, ev));
    kfds[i].revents = (short)(r & (ev | POLLNVAL));
    if (kfds[i].revents)
      ready++;
  }
  return ready;
}

/* The kernel's sigset_t: what rt_sigprocmask takes (musl's is larger). */
#define KERNEL_SIGSET_BYTES 8

/* ppoll's and epoll_pwait's mask is the thread's while it waits, as the
 * kernel applies it; the old one comes back after (a signal it
 * unblocked has interrupted the wait). */
static int h_wait(void *ctx, struct pollfd *kfds, unsigned n, uint64_t deadline,
                  const sigset_t *sigmask) {
  (void)ctx;
  int ready = poll_foreign(kfds, n);
  if (ready)
    return ready;
  sigset_t old;
  if (sigmask)
    (void)zrt_sys_rt_sigprocmask(SIG_SETMASK, sigmask, &old,
                                 KERNEL_SIGSET_BYTES);
  int rc = zrt_io_wait(deadline);
  if (rc == -EINTR)
    rc = zrt_signal_pending_restart() ? -ZN_POSIX_ERESTART : -EINTR;
  if (sigmask)
    (void)zrt_sys_rt_sigprocmask(SIG_SETMASK, &old, NULL,
                                 KERNEL_SIGSET_BYTES);
  return rc < 0 && rc != -ETIMEDOUT ? rc : poll_foreign(kfds, n);
}

static void h_wake(void *ctx) {
  (void)ctx;
  zrt_io_notify();
}

/* ---- signals from the host (--signal-port) --------------------------------- */

/* One datagram to the port: a signal's name from the IPv4 gateway.  The
 * answer says what was done with it: "NAME sent", or why not. */
static void sigport_answer(const struct zn_udp_dgram *d, const char *text) {
  (void)zn_udp_sendto(g.sigport, &d->src, d->sport, text, strlen(text));
}

static void on_signal_datagram(struct zn_udp_sock *s, void *arg,
                               const struct zn_udp_dgram *d) {
  (void)s;
  (void)arg;
  uint32_t addr, gw;
  uint8_t prefix;
  zn_stack_get_ipv4(g.st, &addr, &prefix, &gw);
  struct zn_ip gwip = zn_ip_from_v4(gw);
  if (gw == 0 || !zn_ip_eq(&d->src, &gwip)) {
    /* Anyone else gets nothing, not even an answer to reflect. */
    if (g.sig_foreign++ == 0) {
      char a[ZN_IP_STRLEN];
      zrt_log("--signal-port: a datagram from %s refused (only the gateway "
              "may signal)",
              zn_ip_format(&d->src, a));
    }
    return;
  }
  size_t len = d->len;
  while (len > 0 && (d->data[len - 1] == '\n' || d->data[len - 1] == '\r'))
    len--;
  int sig = zrt_signal_by_name((const char *)d->data, len);
  if (sig == 0) {
    g.sig_unknown++;
    sigport_answer(d, "unknown signal\n");
    return;
  }
  zrt_signal_from_host(sig);
  sigport_answer(d, "sent\n");
}

void zrt_net_signal_port(uint16_t port) {
  if (!g.st || zn_udp_open(g.st, &g.sigport) != ZN_OK ||
      zn_udp_bind(g.sigport, NULL, port) != ZN_OK) {
    zrt_log("--signal-port %u: cannot listen there", (unsigned)port);
    return;
  }
  zn_udp_set_recv_cb(g.sigport, on_signal_datagram, NULL);
}

/* ---- start and exit -------------------------------------------------------- */

static uint64_t pump(void *ctx) {
  (void)ctx;
  zn_posix_drive(g.px);
  return zn_stack_next_deadline(g.st);
}

static int open_layer(void) {
  struct zn_posix_cfg cfg;
  zn_posix_cfg_default(&cfg, &g.cfg);
  cfg.max_fd = ZRT_FD_MAX;
  size_t len = zn_posix_mem_size(&cfg);
  void *mem = len ? zrt_kalloc(len) : NULL;
  struct zn_posix_host host = {
      .now = h_now,
      .fd_reserve = h_reserve,
      .fd_release = h_release,
      .fd_dup = h_dup,
      .wait = h_wait,
      .wake = h_wake,
      .kepoll_create = h_kepoll_create,
      .kepoll_ctl = h_kepoll_ctl,
      .kepoll_wait = h_kepoll_wait,
      .kepoll_renumber = h_kepoll_renumber,
  };
  if (!mem || zn_posix_init(g.st, &cfg, &host, mem, len, &g.px) != ZN_OK) {
    zrt_log("cannot build the socket layer (%zu bytes)", len);
    return -1;
  }
  return 0;
}

/* At the image's end the sockets' unsent data goes out (SO_LINGER as
 * Linux's exit does: zn_posix_drain); the scheduler runs it once. */
static void drain_at_exit(int status) {
  (void)status;
  if (g.px)
    zn_posix_drain(g.px);
}

static struct zrt_exit_hook drain_hook = {.fn = drain_at_exit};

bool zn_image_net_owned(void) { return &zn_image_program_owns_net != NULL; }

/* The layer over the stack, the pump, the drain at exit. */
static int take_stack(void) {
  if (open_layer() != 0)
    return -1;
  zrt_sched_set_pump(pump, NULL);
  zrt_exit_hook_add(&drain_hook);
  g.up = true;
  return 0;
}

/* Usage errors exit 2 as a host program's do (the message is out);
 * --help exits 0. */
static void open_own_stack(int argc, char **argv) {
  const struct zn_app_opts o = {
      .name = NET_PROG,
      .synopsis = "[ZNET-OPTIONS] [-- PROGRAM-ARGUMENTS]",
      .summary = "a program in a znet unikernel (libznet-rt)"};
  int rc = zn_app_open(argc, argv, &o, &g.app);
  if (rc == ZN_APP_HELP)
    exit(0);
  if (rc == ZN_EINVAL)
    exit(2);
  if (rc != ZN_OK)
    zrt_panic("no network: the stack could not start: %s", zn_strerror(rc));
  zn_app_settle(g.app);
  g.st = zn_app_stack(g.app); /* the banner */
  g.cfg = *zn_app_config(g.app);
}

char **zrt_net_start(int argc, char **argv, int *pargc) {
  for (size_t i = 0; i < KEPOLL_ITEMS; i++)
    g.kitems[i].epfd = g.kitems[i].fd = -1;
  if (zn_image_net_owned()) {
    *pargc = argc; /* the program's zn_app_open: zn_image_adopt_stack */
    return argv;
  }
  open_own_stack(argc, argv);
  if (take_stack() != 0)
    zrt_panic("no network: the socket layer could not start");
  return zn_app_argv(g.app, pargc);
}

void zrt_net_lease_dns(char *text, size_t n) {
  size_t used = 0;
  struct zn_ip ip;
  char addr[ZN_IP_STRLEN];
  for (uint32_t i = 0; g.st && used < n &&
                       zn_dhcp4_dns_server(g.st, i, &ip) == ZN_OK;
       i++)
    used += (size_t)snprintf(text + used, n - used, "nameserver %s\n",
                             zn_ip_format(&ip, addr));
}

/* What netlink.c reports of eth0 (handed to it with each socket). */
static void net_iface(struct zrt_net_iface *out) {
  memset(out, 0, sizeof(*out));
  if (!g.st)
    return;
  out->present = true;
  memcpy(out->mac, zn_stack_mac(g.st), 6);
  out->mtu = zn_stack_mtu(g.st);
  uint32_t gw;
  zn_stack_get_ipv4(g.st, &out->ipv4, &out->prefix4, &gw);
  struct zn_ipv6_addr_info v6[ZRT_NET_ADDR6_MAX];
  uint32_t n = zn_stack_ipv6_addrs(g.st, v6, ZRT_NET_ADDR6_MAX);
  for (uint32_t i = 0; i < n && i < ZRT_NET_ADDR6_MAX; i++) {
    if (v6[i].state == ZN_IPV6_ADDR_DUPLICATE)
      continue;
    struct zrt_net_addr6 *a = &out->v6[out->n6++];
    memcpy(a->addr, v6[i].addr.bytes, 16);
    a->prefix = v6[i].prefix;
    a->tentative = v6[i].state == ZN_IPV6_ADDR_TENTATIVE;
    a->deprecated = v6[i].state == ZN_IPV6_ADDR_DEPRECATED;
    a->permanent = v6[i].valid_until == ZN_TIME_NEVER;
  }
}

int zn_image_adopt_stack(struct zn_stack *st, const struct zn_config *cfg) {
  if (g.up)
    return -EBUSY;
  g.st = st;
  g.cfg = *cfg;
  if (take_stack() != 0) {
    g.st = NULL;
    return -ENOMEM;
  }
  return 0;
}


/* Before the socket layer exists (a program that owns the network,
 * before its zn_app_open hands the stack over) no descriptor is a
 * socket: a call on one answers as Linux does for a descriptor that is
 * not (-ENOTSOCK, or -EBADF when it names nothing); socket(),
 * epoll_create and select, which need the layer, answer -ENETDOWN (no
 * network yet); poll and ppoll work on the runtime's files alone
 * (files_ppoll). */
static long no_layer(int fd) { return zrt_fd_file(fd) ? -ENOTSOCK : -EBADF; }

/* ---- the socket calls -------------------------------------------------- */

/* fd names a socket of the runtime's own (a socketpair end, rt/pipe.c;
 * netlink.c's) or some other file that is not the layer's: its kind's
 * sendv, recvv, shutdown, bind and names answer (-ENOTSOCK without
 * them, the layer for the latter). */
static struct zrt_file *runtime_file(int fd) {
  struct zrt_file *f = zrt_fd_file(fd);
  return f && f->ops != &layer_ops ? f : NULL;
}


/* A new layer socket's descriptor: close-on-exec in the table when
 * SOCK_CLOEXEC asked it (the layer's numbers come from h_reserve, which
 * knows no flags).  Returns fd. */
static long cloexec_if(long fd, int flags) {
  if (fd >= 0 && (flags & SOCK_CLOEXEC))
    (void)zrt_sys_fcntl((int)fd, F_SETFD, FD_CLOEXEC);
  return fd;
}

long zrt_sys_socket(int domain, int type, int protocol) {
  if (domain == AF_UNIX || domain == AF_LOCAL)
    return -EAFNOSUPPORT; /* socketpair works; named ones do not */
  if (domain == AF_NETLINK)
    return zrt_netlink_socket(type, protocol, net_iface);
  if (!g.px)
    return -ENETDOWN; /* no layer yet (no_layer) */
  return cloexec_if(zn_posix_socket(g.px, domain, type, protocol), type);
}

long zrt_sys_bind(int fd, const struct sockaddr *sa, socklen_t len) {
  struct zrt_file *f = runtime_file(fd);
  if (f && f->ops->bind)
    return f->ops->bind(f, sa, len);
  if (!g.px)
    return no_layer(fd);
  return zn_posix_bind(g.px, fd, sa, len);
}

long zrt_sys_listen(int fd, int backlog) {
  if (!g.px)
    return no_layer(fd);
  long r = zn_posix_listen(g.px, fd, backlog);
  struct sockaddr_in a;
  socklen_t alen = sizeof(a);
  if (r == 0 && g.host_loopback &&
      zn_posix_getsockname(g.px, fd, (struct sockaddr *)&a, &alen) == 0 &&
      a.sin_family == AF_INET && ntohl(a.sin_addr.s_addr) >> 24 == 127) {
    struct zn_ip lo = zn_ip_from_v4(ntohl(a.sin_addr.s_addr));
    zrt_lobridge_listening(g.st, &lo, ntohs(a.sin_port));
  }
  return r;
}

long zrt_sys_accept(int fd, struct sockaddr *sa, socklen_t *len) {
  if (!g.px)
    return no_layer(fd);
  return zn_posix_accept4(g.px, fd, sa, len, 0);
}

long zrt_sys_accept4(int fd, struct sockaddr *sa, socklen_t *len, int flags) {
  if (!g.px)
    return no_layer(fd);
  return cloexec_if(zn_posix_accept4(g.px, fd, sa, len, flags), flags);
}

void zrt_net_host_loopback(void) { g.host_loopback = true; }

static int sock_type(int fd) {
  int type = 0;
  socklen_t tlen = sizeof(type);
  return zn_posix_getsockopt(g.px, fd, SOL_SOCKET, SO_TYPE, &type, &tlen) == 0
             ? type
             : -1;
}

/* --host-loopback: *out is the gateway, sa's port, in place of a
 * connect() to 127.0.0.0/8 at a port nothing of the image's serves:
 * for TCP no listener (what a SYN from here would find:
 * zn_tcp_listening_on), for UDP no socket bound there
 * (zn_udp_bound_on).  The host beyond the gateway takes the port to its
 * own loopback. */
static bool host_loopback_dest(int fd, const struct sockaddr *sa,
                               socklen_t len, struct sockaddr_in *out) {
  if (!g.host_loopback || !g.st || !sa || len < sizeof(*out) ||
      sa->sa_family != AF_INET)
    return false;
  memcpy(out, sa, sizeof(*out));
  uint32_t a = ntohl(out->sin_addr.s_addr), addr, gw;
  uint8_t prefix;
  struct zn_ip ip = zn_ip_from_v4(a);
  uint16_t port = ntohs(out->sin_port);
  if (a >> 24 != 127)
    return false;
  int type = sock_type(fd);
  if (!(type == SOCK_STREAM && !zn_tcp_listening_on(g.st, &ip, port)) &&
      !(type == SOCK_DGRAM && !zn_udp_bound_on(g.st, &ip, port)))
    return false;
  zn_stack_get_ipv4(g.st, &addr, &prefix, &gw);
  out->sin_addr.s_addr = htonl(gw);
  return gw != 0;
}

long zrt_sys_connect(int fd, const struct sockaddr *sa, socklen_t len) {
  if (!g.px)
    return no_layer(fd);
  struct sockaddr_in host;
  if (host_loopback_dest(fd, sa, len, &host))
    return zn_posix_connect(g.px, fd, (const struct sockaddr *)&host,
                            sizeof(host));
  return zn_posix_connect(g.px, fd, sa, len);
}

/* A send (out) or recv on such a file: its kind's sendv or recvv, the
 * file held while the call may wait (a close does not free it). */
static long file_xfer(struct zrt_file *f, const struct iovec *iov, int cnt,
                      int flags, bool out) {
  ssize_t (*op)(struct zrt_file *, const struct iovec *, int, int) =
      out ? f->ops->sendv : f->ops->recvv;
  if (!op)
    return -ENOTSOCK;
  f->refs++;
  long r = op(f, iov, cnt, flags);
  zrt_file_put(f);
  return r;
}

/* The sender's address a recv on a runtime file reports: its kind's
 * peer (netlink's kernel), else none (a socketpair's end is unnamed). */
static void peer_name(struct zrt_file *f, struct sockaddr *sa,
                      socklen_t *len) {
  if (!f->ops->getpeername || f->ops->getpeername(f, sa, len) != 0)
    *len = 0;
}

long zrt_sys_sendto(int fd, const void *buf, size_t len, int flags,
                    const struct sockaddr *sa, socklen_t salen) {
  struct zrt_file *f = runtime_file(fd);
  if (f) {
    struct iovec iov = {(void *)(uintptr_t)buf, len};
    return file_xfer(f, &iov, 1, flags, true);
  }
  if (!g.px)
    return no_layer(fd);
  long rc = zn_posix_sendto(g.px, fd, buf, len, flags, sa, salen);
  return sigpipe_due(rc, flags);
}

long zrt_sys_recvfrom(int fd, void *buf, size_t len, int flags,
                      struct sockaddr *sa, socklen_t *salen) {
  struct zrt_file *f = runtime_file(fd);
  if (f) {
    struct iovec iov = {buf, len};
    long rc = file_xfer(f, &iov, 1, flags, false);
    if (rc >= 0 && salen)
      peer_name(f, sa, salen);
    return rc;
  }
  if (!g.px)
    return no_layer(fd);
  return zn_posix_recvfrom(g.px, fd, buf, len, flags, sa, salen);
}

long zrt_sys_sendmsg(int fd, const struct msghdr *msg, int flags) {
  struct zrt_file *f = runtime_file(fd);
  if (f)
    return file_xfer(f, msg->msg_iov, (int)msg->msg_iovlen, flags, true);
  if (!g.px)
    return no_layer(fd);
  return sigpipe_due(zn_posix_sendmsg(g.px, fd, msg, flags), flags);
}

long zrt_sys_recvmsg(int fd, struct msghdr *msg, int flags) {
  struct zrt_file *f = runtime_file(fd);
  if (f) {
    long rc =
        file_xfer(f, msg->msg_iov, (int)msg->msg_iovlen, flags, false);
    if (rc >= 0) {
      if (msg->msg_name)
        peer_name(f, msg->msg_name, &msg->msg_namelen);
      else
        msg->msg_namelen = 0;
      msg->msg_controllen = 0;
      msg->msg_flags = 0;
    }
    return rc;
  }
  if (!g.px)
    return no_layer(fd);
  return zn_posix_recvmsg(g.px, fd, msg, flags);
}

long zrt_sys_sendmmsg(int fd, struct mmsghdr *v, unsigned n, int flags) {
  if (!g.px)
    return no_layer(fd);
  return sigpipe_due(zn_posix_sendmmsg(g.px, fd, v, n, flags), flags);
}

long zrt_sys_recvmmsg(int fd, struct mmsghdr *v, unsigned n, int flags,
                      struct timespec *timeout) {
  if (!g.px)
    return no_layer(fd);
  return zn_posix_recvmmsg(g.px, fd, v, n, flags, timeout);
}

long zrt_sys_shutdown(int fd, int how) {
  struct zrt_file *f = runtime_file(fd);
  if (f)
    return f->ops->shutdown ? f->ops->shutdown(f, how) : -ENOTSOCK;
  if (!g.px)
    return no_layer(fd);
  return zn_posix_shutdown(g.px, fd, how);
}

long zrt_sys_getsockname(int fd, struct sockaddr *sa, socklen_t *len) {
  struct zrt_file *f = runtime_file(fd);
  if (f && f->ops->getsockname)
    return f->ops->getsockname(f, sa, len);
  if (!g.px)
    return no_layer(fd);
  return zn_posix_getsockname(g.px, fd, sa, len);
}

long zrt_sys_getpeername(int fd, struct sockaddr *sa, socklen_t *len) {
  struct zrt_file *f = runtime_file(fd);
  if (f && f->ops->getpeername)
    return f->ops->getpeername(f, sa, len);
  if (!g.px)
    return no_layer(fd);
  return zn_posix_getpeername(g.px, fd, sa, len);
}

/* SOL_SOCKET of a runtime socket (a kind with sock_type): its type,
 * domain (its name's family) and protocol (0), no error, not listening,
 * Linux's default buffer size; the rest -ENOPROTOOPT. */
#define RUNTIME_SOCK_BUF 212992
static long runtime_getsockopt(struct zrt_file *f, int level, int name,
                               void *val, socklen_t *len) {
  int v;
  struct sockaddr_storage ss;
  socklen_t sl = sizeof(ss);
  if (level != SOL_SOCKET)
    return -ENOPROTOOPT;
  switch (name) {
  case SO_TYPE: v = f->ops->sock_type(f); break;
  case SO_DOMAIN:
    if (!f->ops->getsockname || f->ops->getsockname(f, (void *)&ss, &sl) != 0)
      return -ENOPROTOOPT;
    v = ss.ss_family;
    break;
  case SO_PROTOCOL: case SO_ERROR: case SO_ACCEPTCONN: v = 0; break;
  case SO_SNDBUF: case SO_RCVBUF: v = RUNTIME_SOCK_BUF; break;
  default: return -ENOPROTOOPT;
  }
  if (!len || *len < sizeof(int))
    return -EINVAL;
  memcpy(val, &v, sizeof(v));
  *len = sizeof(v);
  return 0;
}

/* setsockopt of the same: the buffer sizes are taken and change
 * nothing (a runtime socket's buffers are its own); the rest
 * -ENOPROTOOPT, so that a program does not believe an option took. */
static long runtime_setsockopt(int level, int name, socklen_t len) {
  if (level != SOL_SOCKET)
    return -ENOPROTOOPT;
  if (name != SO_SNDBUF && name != SO_RCVBUF && name != SO_SNDBUFFORCE &&
      name != SO_RCVBUFFORCE)
    return -ENOPROTOOPT;
  return len < sizeof(int) ? -EINVAL : 0;
}

long zrt_sys_getsockopt(int fd, int level, int name, void *val,
                        socklen_t *len) {
  struct zrt_file *f = runtime_file(fd);
  if (f && f->ops->sock_type)
    return runtime_getsockopt(f, level, name, val, len);
  if (!g.px)
    return no_layer(fd);
  return zn_posix_getsockopt(g.px, fd, level, name, val, len);
}

long zrt_sys_setsockopt(int fd, int level, int name, const void *val,
                        socklen_t len) {
  struct zrt_file *f = runtime_file(fd);
  if (f && f->ops->sock_type)
    return runtime_setsockopt(level, name, len);
  if (!g.px)
    return no_layer(fd);
  return zn_posix_setsockopt(g.px, fd, level, name, val, len);
}

/* ---- waiting on many descriptors ---------------------------------------- */

static struct timespec *ms_timeout(int ms, struct timespec *ts) {
  if (ms < 0)
    return NULL;
  ts->tv_sec = ms / 1000;
  ts->tv_nsec = (long)(ms % 1000) * 1000000L;
  return ts;
}

/* poll before there is a socket layer (a program that owns the network,
 * before its zn_app_open hands the stack over): only the runtime's files can
 * be named then. */
static long files_ppoll(struct pollfd *fds, unsigned long n,
                        const struct timespec *timeout) {
  if (n > ZRT_FD_MAX)
    return -EINVAL;
  uint64_t deadline = ZRT_NO_DEADLINE;
  if (timeout)
    deadline = zrt_plat_monotonic() + (uint64_t)timeout->tv_sec * 1000000000u +
               (uint64_t)timeout->tv_nsec;
  for (;;) {
    int ready = poll_foreign(fds, (unsigned)n);
    if (ready || zrt_plat_monotonic() >= deadline)
      return ready;
    int rc = zrt_io_wait(deadline);
    if (rc == -EINTR)
      return -EINTR;
  }
}

long zrt_sys_poll(struct pollfd *fds, unsigned long n, int timeout_ms) {
  struct timespec ts;
  if (!g.px)
    return files_ppoll(fds, n, ms_timeout(timeout_ms, &ts));
  return zn_posix_ppoll(g.px, fds, n, ms_timeout(timeout_ms, &ts), NULL);
}

long zrt_sys_ppoll(struct pollfd *fds, unsigned long n,
                   const struct timespec *timeout, const sigset_t *mask) {
  if (!g.px)
    return files_ppoll(fds, n, timeout);
  return zn_posix_ppoll(g.px, fds, n, timeout, mask);
}

long zrt_sys_select(int nfds, fd_set *r, fd_set *w, fd_set *e,
                    struct timeval *tv) {
  struct timespec ts, *t = NULL;
  if (tv) {
    if (tv->tv_sec < 0 || tv->tv_usec < 0 || tv->tv_usec >= 1000000)
      return -EINVAL;
    ts.tv_sec = tv->tv_sec;
    ts.tv_nsec = tv->tv_usec * 1000;
    t = &ts;
  }
  if (!g.px)
    return -ENETDOWN; /* no layer yet (no_layer) */
  return zn_posix_pselect(g.px, nfds, r, w, e, t, NULL);
}

/* pselect6's last argument: the mask and its size. */
struct pselect_mask {
  const sigset_t *set;
  /* cppcheck-suppress unusedStructMember ; the ABI's layout */
  size_t size;
};

long zrt_sys_pselect6(int nfds, fd_set *r, fd_set *w, fd_set *e,
                      const struct timespec *timeout, const void *sig) {
  const struct pselect_mask *m = sig;
  if (m && m->set && m->size != KERNEL_SIGSET_BYTES)
    return -EINVAL;
  if (!g.px)
    return -ENETDOWN;
  return zn_posix_pselect(g.px, nfds, r, w, e, timeout, m ? m->set : NULL);
}

long zrt_sys_epoll_create(int size) {
  if (!g.px)
    return -ENETDOWN;
  return size <= 0 ? -EINVAL : zn_posix_epoll_create1(g.px, 0);
}

long zrt_sys_epoll_create1(int flags) {
  if (!g.px)
    return -ENETDOWN;
  return zn_posix_epoll_create1(g.px, flags);
}

long zrt_sys_epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev) {
  if (!g.px)
    return no_layer(epfd);
  return zn_posix_epoll_ctl(g.px, epfd, op, fd, ev);
}

long zrt_sys_epoll_wait(int epfd, struct epoll_event *evs, int max,
                        int timeout_ms) {
  if (!g.px)
    return no_layer(epfd);
  return zn_posix_epoll_pwait(g.px, epfd, evs, max, timeout_ms, NULL);
}

long zrt_sys_epoll_pwait(int epfd, struct epoll_event *evs, int max,
                         int timeout_ms, const sigset_t *mask) {
  if (!g.px)
    return no_layer(epfd);
  return zn_posix_epoll_pwait(g.px, epfd, evs, max, timeout_ms, mask);
}

