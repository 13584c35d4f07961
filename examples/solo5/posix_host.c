/*
 * libznet-posix inside a Solo5 image: the host of the socket layer
 * (znet/posix.h), and the C library's socket and descriptor calls over
 * it, so that a program written against POSIX alone (examples/posix/
 * kvd.c) runs as a unikernel unchanged.
 *
 * Start.  The image's command line is znet's flags, those every example
 * takes (--ipv4, --ipv6, --dhcp, --tcp-*, ...), then "--", then the
 * program's own arguments:
 *
 *     solo5-spt --net:service=tap0 kvd.spt --ipv4=10.0.0.2/24 -- -p 6379
 *
 * Before main() runs, zn_rt_main builds the stack from the flags on the
 * net device (platform.c's ex_open), waits for IPv6's DAD and a DHCP
 * lease as znet-run does, prints "znet-posix: ADDR mac MAC on NETIF", and
 * builds the layer; main() gets argv[0] and the words after "--".  When
 * main returns or calls exit(), the layer drains: queued data is sent
 * and acknowledged, FINs answered (zn_posix_drain, bounded).
 *
 * Host.  One thread: no lock, no wake.  The clock is
 * solo5_clock_monotonic (the netif's); a wait is the netif's wait
 * (solo5_yield) until the deadline.  Descriptors come from a table:
 * the lowest free number, as open(2) gives (>= 3 while the console's
 * are open).  0, 1 and 2 are the console: 0 reads end of file, 1 and 2
 * write to solo5_console_write (after what printf has buffered); dup
 * and close work on them.  There is nothing else a descriptor could be:
 * in poll and select the console's are ready at once (0 readable, 1 and
 * 2 writable), any other number not the layer's is POLLNVAL; epoll takes
 * only the layer's sockets (the console's give EPERM, as a regular file
 * does on Linux).  There are no signals: a send on a broken connection
 * returns EPIPE and raises nothing, as with MSG_NOSIGNAL.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <solo5.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "../common.h"
#include "rt.h"
#include "znet/posix.h"

#define PH_PROG "znet-posix"
/* Descriptor numbers: FD_SETSIZE, so select sees every one. */
#define PH_MAX_FD FD_SETSIZE
#define PH_DAD_WAIT ZN_SEC(5)
#define PH_DHCP_WAIT ZN_SEC(30)
#define PH_MAX_ARGS 256 /* rt.c's bound on the command line's words */

/* What a descriptor number is. */
enum ph_kind {
  PH_FREE = 0,
  PH_LAYER, /* a socket or epoll instance of the layer */
  PH_STDIN, /* the console, as 0, 1 and 2 start (or a dup of them) */
  PH_STDOUT,
  PH_STDERR,
};

static struct {
  struct ex_host h;
  struct zn_posix *px;
  uint8_t kind[PH_MAX_FD]; /* enum ph_kind */
  bool cloexec[PH_MAX_FD]; /* FD_CLOEXEC as set (there is no exec) */
  bool drained;
} g = {.kind = {PH_STDIN, PH_STDOUT, PH_STDERR}};

/* ---- the host functions ---- */

static uint64_t h_now(void *ctx) {
  (void)ctx;
  return solo5_clock_monotonic();
}

/* The lowest free number at least min; -EMFILE if none. */
static int lowest_free(int min) {
  for (int fd = min < 0 ? 0 : min; fd < PH_MAX_FD; fd++)
    if (g.kind[fd] == PH_FREE)
      return fd;
  return -EMFILE;
}

static int h_reserve(void *ctx) {
  (void)ctx;
  int fd = lowest_free(0);
  if (fd >= 0) {
    g.kind[fd] = PH_LAYER;
    g.cloexec[fd] = false;
  }
  return fd;
}

static void h_release(void *ctx, int fd) {
  (void)ctx;
  if (fd >= 0 && fd < PH_MAX_FD)
    g.kind[fd] = PH_FREE;
}

/* dup of the layer's oldfd: the layer has let go of newfd if it was its
 * own; the console's is replaced here. */
static int h_dup(void *ctx, int oldfd, int newfd, int min, int flags) {
  (void)ctx;
  (void)oldfd;
  int fd = newfd >= 0 ? newfd : lowest_free(min);
  if (fd < 0)
    return fd;
  if (fd >= PH_MAX_FD)
    return -EBADF;
  g.kind[fd] = PH_LAYER;
  g.cloexec[fd] = (flags & O_CLOEXEC) != 0;
  return fd;
}

/* What poll says of a descriptor that is not the layer's. */
static short console_revents(int fd, short events) {
  if (fd < 0)
    return 0;
  if (fd >= PH_MAX_FD)
    return POLLNVAL;
  switch (g.kind[fd]) {
  case PH_STDIN:
    return (short)(events & (POLLIN | POLLRDNORM));
  case PH_STDOUT:
  case PH_STDERR:
    return (short)(events & (POLLOUT | POLLWRNORM));
  default:
    return POLLNVAL;
  }
}

/* The console's entries are answered at once; otherwise sleep in the
 * netif until a frame may have come or the deadline.  No signals, so
 * the mask means nothing. */
static int h_wait(void *ctx, struct pollfd *kfds, unsigned n, uint64_t deadline,
                  const sigset_t *sigmask) {
  (void)ctx;
  (void)sigmask;
  int k = 0;
  for (unsigned i = 0; i < n; i++) {
    kfds[i].revents = console_revents(kfds[i].fd, kfds[i].events);
    k += kfds[i].revents != 0;
  }
  if (k > 0)
    return k;
  zn_netif_wait(g.h.nif, deadline);
  return 0;
}

/* ---- start and end ---- */

static void print_banner(struct ex_host *h) {
  char ip[ZN_IPV4_STRLEN + 8], mac[ZN_MAC_STRLEN], where[4300];
  ex_describe_netif(h, where, sizeof(where));
  printf(PH_PROG ": %s mac %s on %s\n", ex_ipv4_text(&h->o, ip, sizeof(ip)),
         zn_mac_format(zn_stack_mac(h->st), mac), where);
  ex_ipv6_report(h);
}

static int open_layer(void) {
  struct zn_posix_cfg cfg;
  zn_posix_cfg_default(&cfg, &g.h.cfg);
  cfg.max_fd = PH_MAX_FD;
  size_t len = zn_posix_mem_size(&cfg);
  void *mem = len ? calloc(1, len) : NULL;
  struct zn_posix_host host = {
      .now = h_now,
      .fd_reserve = h_reserve,
      .fd_release = h_release,
      .fd_dup = h_dup,
      .wait = h_wait,
  };
  if (!mem || zn_posix_init(g.h.st, &cfg, &host, mem, len, &g.px) != ZN_OK) {
    fprintf(stderr, PH_PROG ": cannot build the socket layer (%zu bytes)\n",
            len);
    return -1;
  }
  return 0;
}

/* The stack from znet's flags (argv up to "--"), the layer over it, then
 * the program with the rest. */
int zn_rt_main(int argc, char **argv) {
  struct ex_prog prog = {
      .name = PH_PROG,
      .synopsis = "[ZNET-OPTIONS] [-- PROGRAM-ARGUMENTS]",
      .summary = "a POSIX program on znet's sockets (libznet-posix)"};
  ex_opts_default(&g.h.o);
  int first = ex_parse(&g.h.o, argc, argv, &prog);
  ex_require_address(&g.h.o, PH_PROG);
  if (ex_open(&g.h, PH_PROG) != 0)
    return EX_EXIT_FAIL;
  zn_stack_poll(g.h.st, solo5_clock_monotonic());
  if (g.h.o.nipv6 || g.h.o.slaac)
    ex_ipv6_wait_ready(&g.h, PH_DAD_WAIT);
  if (g.h.o.dhcp && !ex_dhcp4_wait_bound(&g.h, PH_DHCP_WAIT))
    fprintf(stderr, PH_PROG ": no DHCP lease yet; going on\n");
  print_banner(&g.h);
  if (open_layer() != 0)
    return EX_EXIT_FAIL;
  /* argv[0], then the program's words (ex_parse stopped after "--" or
   * at the first word that is not a flag); the flags' words stay, as
   * the options may point into them. */
  static char *pargv[PH_MAX_ARGS + 1];
  int pargc = 0;
  pargv[pargc++] = argv[0];
  for (int i = first; i < argc && pargc < PH_MAX_ARGS; i++)
    pargv[pargc++] = argv[i];
  pargv[pargc] = NULL;
  return main(pargc, pargv);
}

void zn_rt_at_exit(void) {
  if (g.px && !g.drained) {
    g.drained = true;
    zn_posix_drain(g.px);
  }
}

/* ---- the C library's calls ---- */

/* errno and -1 for a negative result. */
static long ret(long rc) {
  if (rc < 0) {
    errno = (int)-rc;
    return -1;
  }
  return rc;
}

static bool owns(int fd) { return g.px && zn_posix_owns(g.px, fd); }

static enum ph_kind kind_of(int fd) {
  return fd >= 0 && fd < PH_MAX_FD ? (enum ph_kind)g.kind[fd] : PH_FREE;
}

/* A socket call on a number that is not the layer's. */
static long not_sock(int fd) {
  return kind_of(fd) == PH_FREE ? -EBADF : -ENOTSOCK;
}

/* The layer's call on fd, as a T with errno, or the failure of a socket
 * call on another number. */
#define SOCK_CALL(T, fd, call)                                                 \
  return (T)ret(owns(fd) ? (long)(call) : not_sock(fd))

int socket(int domain, int type, int protocol) {
  return (int)ret(g.px ? zn_posix_socket(g.px, domain, type, protocol)
                       : -ENETDOWN);
}

int bind(int fd, const struct sockaddr *sa, socklen_t len) {
  SOCK_CALL(int, fd, zn_posix_bind(g.px, fd, sa, len));
}

int listen(int fd, int backlog) {
  SOCK_CALL(int, fd, zn_posix_listen(g.px, fd, backlog));
}

int accept4(int fd, struct sockaddr *sa, socklen_t *len, int flags) {
  SOCK_CALL(int, fd, zn_posix_accept4(g.px, fd, sa, len, flags));
}

int accept(int fd, struct sockaddr *sa, socklen_t *len) {
  return accept4(fd, sa, len, 0);
}

int connect(int fd, const struct sockaddr *sa, socklen_t len) {
  SOCK_CALL(int, fd, zn_posix_connect(g.px, fd, sa, len));
}

ssize_t sendmsg(int fd, const struct msghdr *msg, int flags) {
  SOCK_CALL(ssize_t, fd, zn_posix_sendmsg(g.px, fd, msg, flags));
}

ssize_t sendto(int fd, const void *buf, size_t len, int flags,
               const struct sockaddr *sa, socklen_t salen) {
  SOCK_CALL(ssize_t, fd, zn_posix_sendto(g.px, fd, buf, len, flags, sa, salen));
}

ssize_t send(int fd, const void *buf, size_t len, int flags) {
  return sendto(fd, buf, len, flags, NULL, 0);
}

int sendmmsg(int fd, struct mmsghdr *v, unsigned int n, int flags) {
  SOCK_CALL(int, fd, zn_posix_sendmmsg(g.px, fd, v, n, flags));
}

ssize_t recvmsg(int fd, struct msghdr *msg, int flags) {
  SOCK_CALL(ssize_t, fd, zn_posix_recvmsg(g.px, fd, msg, flags));
}

ssize_t recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *sa,
                 socklen_t *salen) {
  SOCK_CALL(ssize_t, fd,
            zn_posix_recvfrom(g.px, fd, buf, len, flags, sa, salen));
}

ssize_t recv(int fd, void *buf, size_t len, int flags) {
  return recvfrom(fd, buf, len, flags, NULL, NULL);
}

int shutdown(int fd, int how) {
  SOCK_CALL(int, fd, zn_posix_shutdown(g.px, fd, how));
}

int getsockname(int fd, struct sockaddr *sa, socklen_t *len) {
  SOCK_CALL(int, fd, zn_posix_getsockname(g.px, fd, sa, len));
}

int getpeername(int fd, struct sockaddr *sa, socklen_t *len) {
  SOCK_CALL(int, fd, zn_posix_getpeername(g.px, fd, sa, len));
}

int getsockopt(int fd, int level, int name, void *val, socklen_t *len) {
  SOCK_CALL(int, fd, zn_posix_getsockopt(g.px, fd, level, name, val, len));
}

int setsockopt(int fd, int level, int name, const void *val, socklen_t len) {
  SOCK_CALL(int, fd, zn_posix_setsockopt(g.px, fd, level, name, val, len));
}

/* ---- descriptors: the layer's, or the console ---- */

static long console_write(int fd, const struct iovec *iov, int n) {
  enum ph_kind k = kind_of(fd);
  if (k != PH_STDOUT && k != PH_STDERR)
    return k == PH_FREE ? -EBADF : -EINVAL;
  /* after what printf has buffered, and without its line buffer */
  fflush(k == PH_STDOUT ? stdout : stderr);
  long total = 0;
  for (int i = 0; i < n; i++) {
    zn_rt_console(iov[i].iov_base, iov[i].iov_len);
    total += (long)iov[i].iov_len;
  }
  return total;
}

static long console_read(int fd) {
  enum ph_kind k = kind_of(fd);
  if (k == PH_STDIN)
    return 0; /* end of file: a unikernel has no input */
  return k == PH_FREE ? -EBADF : -EINVAL;
}

ssize_t readv(int fd, const struct iovec *iov, int n) {
  if (owns(fd))
    return ret(zn_posix_readv(g.px, fd, iov, n));
  if (n < 0 || n > IOV_MAX)
    return ret(-EINVAL);
  return ret(console_read(fd));
}

ssize_t writev(int fd, const struct iovec *iov, int n) {
  if (owns(fd))
    return ret(zn_posix_writev(g.px, fd, iov, n));
  if (n < 0 || n > IOV_MAX)
    return ret(-EINVAL);
  return ret(console_write(fd, iov, n));
}

ssize_t read(int fd, void *buf, size_t n) {
  struct iovec v = {buf, n};
  return readv(fd, &v, 1);
}

ssize_t write(int fd, const void *buf, size_t n) {
  struct iovec v = {(void *)(uintptr_t)buf, n};
  return writev(fd, &v, 1);
}

int close(int fd) {
  if (owns(fd))
    return (int)ret(zn_posix_close(g.px, fd));
  if (kind_of(fd) == PH_FREE)
    return (int)ret(-EBADF);
  g.kind[fd] = PH_FREE;
  return 0;
}

/* dup, dup2 and dup3 of the console: a new number for the same stream. */
static long console_dup(int oldfd, int newfd, int min, int flags) {
  enum ph_kind k = kind_of(oldfd);
  if (k == PH_FREE)
    return -EBADF;
  if (newfd >= PH_MAX_FD)
    return -EBADF;
  if (newfd >= 0 && owns(newfd))
    zn_posix_forget(g.px, newfd);
  int fd = newfd >= 0 ? newfd : lowest_free(min);
  if (fd < 0)
    return fd;
  g.kind[fd] = (uint8_t)k;
  g.cloexec[fd] = (flags & O_CLOEXEC) != 0;
  return fd;
}

static long dup_any(int oldfd, int newfd, int flags) {
  if (owns(oldfd))
    return zn_posix_dup3(g.px, oldfd, newfd, flags);
  if (newfd >= 0 && oldfd == newfd)
    return flags ? -EINVAL : (kind_of(oldfd) == PH_FREE ? -EBADF : newfd);
  return console_dup(oldfd, newfd, 0, flags);
}

int dup(int fd) { return (int)ret(dup_any(fd, -1, 0)); }

int dup2(int fd, int newfd) {
  if (newfd < 0)
    return (int)ret(-EBADF);
  if (fd == newfd)
    return (int)ret(owns(fd) || kind_of(fd) != PH_FREE ? newfd : -EBADF);
  return (int)ret(dup_any(fd, newfd, 0));
}

int dup3(int fd, int newfd, int flags) {
  if (newfd < 0 || (flags & ~O_CLOEXEC))
    return (int)ret(newfd < 0 ? -EBADF : -EINVAL);
  if (fd == newfd)
    return (int)ret(-EINVAL);
  return (int)ret(dup_any(fd, newfd, flags));
}

/* F_GETFD and F_SETFD are the host's (the layer leaves them to it). */
static long fd_flags(int fd, int cmd, long arg) {
  if (cmd == F_GETFD)
    return g.cloexec[fd] ? FD_CLOEXEC : 0;
  g.cloexec[fd] = (arg & FD_CLOEXEC) != 0;
  return 0;
}

static long console_fcntl(int fd, int cmd, long arg) {
  enum ph_kind k = kind_of(fd);
  if (k == PH_FREE)
    return -EBADF;
  switch (cmd) {
  case F_GETFL:
    return k == PH_STDIN ? O_RDONLY : O_WRONLY;
  case F_SETFL:
    return 0; /* the console never blocks */
  case F_DUPFD:
  case F_DUPFD_CLOEXEC:
    if (arg < 0 || arg >= PH_MAX_FD)
      return -EINVAL;
    return console_dup(fd, -1, (int)arg,
                       cmd == F_DUPFD_CLOEXEC ? O_CLOEXEC : 0);
  case F_GETFD:
  case F_SETFD:
    return fd_flags(fd, cmd, arg);
  default:
    return -EINVAL;
  }
}

int fcntl(int fd, int cmd, ...) {
  va_list ap;
  va_start(ap, cmd);
  long arg = va_arg(ap, long);
  va_end(ap);
  if (!owns(fd))
    return (int)ret(console_fcntl(fd, cmd, arg));
  long rc = zn_posix_fcntl(g.px, fd, cmd, arg);
  if (rc == -ENOSYS && (cmd == F_GETFD || cmd == F_SETFD))
    rc = fd_flags(fd, cmd, arg);
  return (int)ret(rc);
}

int ioctl(int fd, unsigned long req, ...) {
  va_list ap;
  va_start(ap, req);
  void *arg = va_arg(ap, void *);
  va_end(ap);
  if (owns(fd))
    return (int)ret(zn_posix_ioctl(g.px, fd, req, arg));
  if (kind_of(fd) == PH_FREE)
    return (int)ret(-EBADF);
  if (req == FIOCLEX || req == FIONCLEX) {
    g.cloexec[fd] = req == FIOCLEX;
    return 0;
  }
  return (int)ret(-ENOTTY);
}

/* ---- waiting ---- */

static struct timespec *ms_timeout(int ms, struct timespec *ts) {
  if (ms < 0)
    return NULL;
  ts->tv_sec = ms / 1000;
  ts->tv_nsec = (long)(ms % 1000) * 1000000;
  return ts;
}

int ppoll(struct pollfd *fds, nfds_t n, const struct timespec *timeout,
          const sigset_t *sigmask) {
  return (int)ret(zn_posix_ppoll(g.px, fds, n, timeout, sigmask));
}

int poll(struct pollfd *fds, nfds_t n, int timeout_ms) {
  struct timespec ts;
  return ppoll(fds, n, ms_timeout(timeout_ms, &ts), NULL);
}

int pselect(int nfds, fd_set *r, fd_set *w, fd_set *e,
            const struct timespec *timeout, const sigset_t *sigmask) {
  return (int)ret(zn_posix_pselect(g.px, nfds, r, w, e, timeout, sigmask));
}

/* As Linux's, select leaves in *timeout the time that was left. */
int select(int nfds, fd_set *r, fd_set *w, fd_set *e, struct timeval *timeout) {
  struct timespec ts, *tp = NULL;
  if (timeout) {
    if (timeout->tv_sec < 0 || timeout->tv_usec < 0)
      return (int)ret(-EINVAL);
    ts.tv_sec = timeout->tv_sec + timeout->tv_usec / 1000000;
    ts.tv_nsec = (long)(timeout->tv_usec % 1000000) * 1000;
    tp = &ts;
  }
  uint64_t start = solo5_clock_monotonic();
  int rc = pselect(nfds, r, w, e, tp, NULL);
  if (timeout) {
    uint64_t spent = solo5_clock_monotonic() - start;
    uint64_t want = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
    uint64_t left = spent < want ? want - spent : 0;
    timeout->tv_sec = (time_t)(left / 1000000000u);
    timeout->tv_usec = (suseconds_t)(left % 1000000000u / 1000u);
  }
  return rc;
}

int epoll_create1(int flags) {
  return (int)ret(g.px ? zn_posix_epoll_create1(g.px, flags) : -ENETDOWN);
}

int epoll_create(int size) {
  if (size <= 0)
    return (int)ret(-EINVAL);
  return epoll_create1(0);
}

int epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev) {
  if (!owns(epfd))
    return (int)ret(kind_of(epfd) == PH_FREE ? -EBADF : -EINVAL);
  if (!owns(fd) && kind_of(fd) == PH_FREE)
    return (int)ret(-EBADF);
  return (int)ret(zn_posix_epoll_ctl(g.px, epfd, op, fd, ev));
}

int epoll_pwait(int epfd, struct epoll_event *evs, int max, int timeout_ms,
                const sigset_t *sigmask) {
  if (!owns(epfd))
    return (int)ret(kind_of(epfd) == PH_FREE ? -EBADF : -EINVAL);
  return (int)ret(
      zn_posix_epoll_pwait(g.px, epfd, evs, max, timeout_ms, sigmask));
}

int epoll_wait(int epfd, struct epoll_event *evs, int max, int timeout_ms) {
  return epoll_pwait(epfd, evs, max, timeout_ms, NULL);
}

/* ---- time and addresses ---- */

int clock_gettime(clockid_t clk, struct timespec *ts) {
  uint64_t ns;
  if (clk == CLOCK_MONOTONIC)
    ns = solo5_clock_monotonic();
  else if (clk == CLOCK_REALTIME)
    ns = solo5_clock_wall();
  else
    return (int)ret(-EINVAL);
  ts->tv_sec = (time_t)(ns / 1000000000u);
  ts->tv_nsec = (long)(ns % 1000000000u);
  return 0;
}

const struct in6_addr in6addr_any = IN6ADDR_ANY_INIT;
const struct in6_addr in6addr_loopback = IN6ADDR_LOOPBACK_INIT;

int inet_pton(int af, const char *restrict src, void *restrict dst) {
  if (af == AF_INET) {
    uint32_t a;
    if (zn_ipv4_parse(src, &a) != ZN_OK)
      return 0;
    a = htonl(a);
    memcpy(dst, &a, 4);
    return 1;
  }
  if (af == AF_INET6) {
    uint8_t a[16];
    if (zn_ipv6_parse(src, a) != ZN_OK)
      return 0;
    memcpy(dst, a, 16);
    return 1;
  }
  return (int)ret(-EAFNOSUPPORT);
}

const char *inet_ntop(int af, const void *restrict src, char *restrict dst,
                      socklen_t size) {
  char text[ZN_IP_STRLEN];
  if (af == AF_INET) {
    uint32_t a;
    memcpy(&a, src, 4);
    zn_ipv4_format(ntohl(a), text);
  } else if (af == AF_INET6) {
    uint8_t a[16];
    memcpy(a, src, 16);
    zn_ipv6_format(a, text);
  } else {
    ret(-EAFNOSUPPORT);
    return NULL;
  }
  size_t n = strlen(text) + 1;
  if (n > size) {
    ret(-ENOSPC);
    return NULL;
  }
  memcpy(dst, text, n);
  return dst;
}

in_addr_t inet_addr(const char *s) {
  uint32_t a;
  return zn_ipv4_parse(s, &a) == ZN_OK ? htonl(a) : INADDR_NONE;
}
