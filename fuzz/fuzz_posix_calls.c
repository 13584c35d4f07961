/*
 * libznet-posix driven by programs of socket calls: two layers, each over
 * its own stack (A 10.0.0.1 and fd00::1, B 10.0.0.2 and fd00::2), joined
 * by a memlink on the virtual clock, and the fuzzer's bytes decoded as
 * calls on a few descriptor slots per layer: socket, bind, listen,
 * accept4, connect, send/recv (sendmsg, recvmsg with control buffers,
 * sendmmsg, recvmmsg, readv, writev), shutdown, close, dup3, options,
 * fcntl, ioctl, names, poll, select, epoll; time on the clock; and
 * hostile frames handed straight to stack B (raw, or behind an Ethernet
 * and IPv4 header from A with the checksums fixed).
 *
 * The host is the harness: descriptor numbers come from a table (no real
 * descriptor, so nothing leaks across inputs), the wait moves the clock
 * (at most 1 ms a step) and, after a budget of waits within one call or
 * at the count the input chose, says EINTR (or ERESTART) as a signal
 * would, so every blocking call ends.
 *
 * Checks: every call returns a value >= 0 within its bounds, or -errno
 * of the set the layer documents (an unknown zn error maps to EIO: a
 * finding); revents only of the bits asked or always reported; names and
 * option lengths within the buffer given; a descriptor is never released
 * twice or released without being reserved; and at the end, after
 * zn_posix_destroy of both layers and 120 s, no descriptor is still
 * reserved, no connection or UDP socket is left in either stack, every
 * buffer is back in its pool (zn_stack_bufs_in_use) and every frame is
 * accounted for (fz_pair_free).
 *
 * Input: a configuration byte (bit 1: the interruptions an op asks for
 * come as signals with SA_RESTART), then operations: an op byte, a
 * selector byte (layer, slot, and in its high bit an interruption after
 * 1 to 8 waits), then the op's own arguments (MAX_OPS at most).
 * FZ_TRACE=1 prints every call's answer.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "fuzz_util.h"
#include "znet/posix.h"

#ifndef SIOCOUTQ
#define SIOCOUTQ TIOCOUTQ
#endif

#define MAX_OPS 256
#define NSLOT 8
#define FD_BASE 3
#define FD_MAX 256        /* the layers' max_fd: numbers below it */
#define WAIT_BUDGET 300   /* waits within one call before EINTR */
#define MAX_IO 4096

static struct fz_pair pair;
static struct zn_posix *px[2];
static void *pxmem[2];
static bool reserved[FD_MAX];
static int slots[2][NSLOT];
static unsigned waits, intr_at;
static bool intr_restart;
static uint8_t iobuf[MAX_IO];
static struct iovec big_iov[1100];
static bool trace; /* FZ_TRACE=1: print every call's answer (triage) */

/* ---- the host ---- */

static uint64_t h_now(void *ctx) {
  (void)ctx;
  return pair.now;
}

static int lowest_free(int min) {
  for (int fd = min < FD_BASE ? FD_BASE : min; fd < FD_MAX; fd++)
    if (!reserved[fd])
      return fd;
  return -EMFILE;
}

static int h_reserve(void *ctx) {
  (void)ctx;
  int fd = lowest_free(FD_BASE);
  if (fd >= 0)
    reserved[fd] = true;
  return fd;
}

static void h_release(void *ctx, int fd) {
  (void)ctx;
  if (fd < 0 || fd >= FD_MAX || !reserved[fd])
    fz_fail(__FILE__, __LINE__, "descriptor %d released but not reserved",
            fd);
  reserved[fd] = false;
}

static int h_dup(void *ctx, int oldfd, int newfd, int min, int flags) {
  (void)ctx;
  (void)flags;
  if (oldfd < 0 || oldfd >= FD_MAX || !reserved[oldfd])
    fz_fail(__FILE__, __LINE__, "dup of descriptor %d not reserved", oldfd);
  if (newfd < 0) {
    int fd = lowest_free(min);
    if (fd >= 0)
      reserved[fd] = true;
    return fd;
  }
  if (newfd >= FD_MAX)
    return -EBADF;
  reserved[newfd] = true; /* dup2 over it: what was there is gone */
  return newfd;
}

static int h_wait(void *ctx, struct pollfd *kfds, unsigned n,
                  uint64_t deadline, const sigset_t *mask) {
  (void)ctx;
  (void)mask;
  waits++;
  if (intr_at && waits == intr_at)
    return intr_restart ? -ZN_POSIX_ERESTART : -EINTR;
  if (waits > WAIT_BUDGET)
    return -EINTR;
  uint64_t step = deadline > pair.now ? deadline - pair.now : 0;
  if (step > ZN_MS(1))
    step = ZN_MS(1);
  fz_pair_run(&pair, step ? step : 1);
  /* Foreign descriptors: none is a real one. */
  int k = 0;
  for (unsigned i = 0; i < n; i++) {
    kfds[i].revents = kfds[i].fd >= 0 ? POLLNVAL : 0;
    k += kfds[i].fd >= 0;
  }
  return k;
}

static struct zn_posix *layer(struct zn_stack *st, void **mem) {
  struct zn_config sc;
  fz_config(&sc, 1);
  struct zn_posix_cfg pc;
  zn_posix_cfg_default(&pc, &sc);
  pc.max_fd = FD_MAX;
  pc.epolls = 4;
  pc.exit_linger_ms = 200;
  size_t len = zn_posix_mem_size(&pc);
  *mem = malloc(len);
  FZ_CHECK(*mem);
  struct zn_posix_host h = {.now = h_now,
                            .fd_reserve = h_reserve,
                            .fd_release = h_release,
                            .fd_dup = h_dup,
                            .wait = h_wait};
  struct zn_posix *p = NULL;
  FZ_CHECK(zn_posix_init(st, &pc, &h, *mem, len, &p) == ZN_OK);
  return p;
}

static void setup(void) {
  struct zn_config ca, cb;
  fz_config(&ca, 1);
  fz_config(&cb, 2);
  ca.ipv6 = cb.ipv6 = true;
  ca.ipv6_dad_transmits = cb.ipv6_dad_transmits = 0;
  memset(&pair, 0, sizeof(pair));
  memset(reserved, 0, sizeof(reserved));
  memset(slots, 0xff, sizeof(slots));
  zn_memlink_init(&pair.link, 0, 64);
  pair.a = th_stack_new(&ca);
  pair.b = th_stack_new(&cb);
  FZ_CHECK(pair.a && pair.b);
  FZ_CHECK(zn_stack_attach(pair.a, &pair.link.a.nif) == ZN_OK);
  FZ_CHECK(zn_stack_attach(pair.b, &pair.link.b.nif) == ZN_OK);
  struct zn_ip a6, b6;
  zn_ip_parse("fd00::1", &a6);
  zn_ip_parse("fd00::2", &b6);
  FZ_CHECK(zn_stack_add_ipv6(pair.a, &a6, 64) == ZN_OK);
  FZ_CHECK(zn_stack_add_ipv6(pair.b, &b6, 64) == ZN_OK);
  pair.now = ZN_SEC(1);
  fz_pair_run(&pair, ZN_MS(1));
  px[0] = layer(pair.a, &pxmem[0]);
  px[1] = layer(pair.b, &pxmem[1]);
}

/* ---- what a call may answer ---- */

static bool known_errno(long e) {
  static const int ok[] = {
      EBADF,        ENOTSOCK,     EINVAL,        EAFNOSUPPORT,
      EPROTONOSUPPORT, ESOCKTNOSUPPORT, EADDRINUSE, EADDRNOTAVAIL,
      EISCONN,      EALREADY,     EINPROGRESS,   ENOTCONN,
      EPIPE,        ECONNREFUSED, ECONNRESET,    ECONNABORTED,
      EAGAIN,       EOPNOTSUPP,   ENOPROTOOPT,   EFAULT,
      EMSGSIZE,     EDESTADDRREQ, ENETUNREACH,   EHOSTUNREACH,
      ETIMEDOUT,    EACCES,       ENOBUFS,       EMFILE,
      ENFILE,       EINTR,        EEXIST,        ENOENT,
      EPERM,        ENOTTY,       ENOSYS,        EDOM,
      ENOSPC,       EPROTO};
  for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
    if (e == -ok[i])
      return true;
  return false;
}

static long check(long rc, long max, const char *what) {
  if (trace)
    printf("# %s: %ld\n", what, rc);
  if (rc < 0 && !known_errno(rc))
    fz_fail(__FILE__, __LINE__, "%s: errno %ld not in the documented set",
            what, -rc);
  if (rc > max)
    fz_fail(__FILE__, __LINE__, "%s: %ld above %ld", what, rc, max);
  return rc;
}

/* A new descriptor from the layer: it must be one the host reserved. */
static void keep(int l, int slot, long rc, const char *what) {
  check(rc, FD_MAX - 1, what);
  if (rc < 0)
    return;
  if (!reserved[rc] || !zn_posix_owns(px[l], (int)rc))
    fz_fail(__FILE__, __LINE__, "%s: descriptor %ld not the layer's", what,
            rc);
  slots[l][slot & (NSLOT - 1)] = (int)rc;
}

/* ---- decoding arguments ---- */

/* A descriptor: a slot of the layer, or (high bit) any number. */
static int pick_fd(struct fz_in *in, int l) {
  uint8_t b = fz_u8(in);
  if (b & 0x80)
    return (int)(b & 0x7f) - 8;
  return slots[l][b & (NSLOT - 1)];
}

static const uint16_t ports[] = {0, 5000, 5001, 7, 9, 80};

/* A sockaddr: family, whose address, port, length, all chosen. */
static socklen_t pick_addr(struct fz_in *in, int l,
                           struct sockaddr_storage *ss) {
  uint8_t f = fz_u8(in), w = fz_u8(in), p = fz_u8(in);
  memset(ss, 0, sizeof(*ss));
  uint16_t port = (p & 0x80) ? fz_u16(in) : ports[p % 6];
  static const char *const v4[] = {"10.0.0.2", "10.0.0.1", "0.0.0.0",
                                   "127.0.0.1", "192.0.2.1",
                                   "255.255.255.255", "10.0.0.255",
                                   "224.0.0.1"};
  static const char *const v6[] = {"fd00::2",    "fd00::1",
                                   "::",         "::1",
                                   "::ffff:10.0.0.2", "::ffff:10.0.0.1",
                                   "2001:db8::1", "ff02::1"};
  /* "the other layer" and "this layer" swap with the side */
  unsigned who = w & 7;
  if (l == 1 && who < 2)
    who ^= 1;
  if (l == 1 && (who == 4 || who == 5))
    who ^= 1;
  socklen_t len;
  struct zn_ip ip;
  if ((f & 3) == 1) {
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons(port);
    zn_ip_parse(v6[who], &ip);
    if (ip.family == ZN_AF_INET) {
      s6->sin6_addr.s6_addr[10] = s6->sin6_addr.s6_addr[11] = 0xff;
      memcpy(s6->sin6_addr.s6_addr + 12, ip.bytes, 4);
    } else {
      memcpy(s6->sin6_addr.s6_addr, ip.bytes, 16);
    }
    s6->sin6_scope_id = (f & 0x40) ? fz_u32(in) : 0;
    len = sizeof(*s6);
  } else {
    struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
    s4->sin_family = (f & 3) == 0 ? AF_INET : (f & 3) == 2 ? AF_UNSPEC : f;
    s4->sin_port = htons(port);
    zn_ip_parse(v4[who], &ip);
    memcpy(&s4->sin_addr, ip.bytes, 4);
    len = sizeof(*s4);
  }
  if (f & 0x80)
    len = fz_u8(in) % (sizeof(*ss) + 1);
  return len;
}

static int pick_level(uint8_t b) {
  static const int lv[] = {SOL_SOCKET,   IPPROTO_TCP, IPPROTO_IP,
                           IPPROTO_IPV6, IPPROTO_UDP, 9999};
  return lv[b % 6];
}

/* ---- the operations ---- */

enum {
  OP_SOCKET, OP_BIND, OP_LISTEN, OP_ACCEPT, OP_CONNECT, OP_SEND, OP_RECV,
  OP_SENDMSG, OP_RECVMSG, OP_MMSG, OP_SHUTDOWN, OP_CLOSE, OP_DUP,
  OP_SETOPT, OP_GETOPT, OP_FCNTL, OP_IOCTL, OP_NAME, OP_POLL, OP_SELECT,
  OP_EPOLL_CREATE, OP_EPOLL_CTL, OP_EPOLL_WAIT, OP_TIME, OP_FRAME,
  OP_RWV, OP_DRIVE, NOPS
};

static void op_socket(struct fz_in *in, int l, int slot) {
  uint8_t d = fz_u8(in), t = fz_u8(in);
  int dom = d & 1 ? AF_INET6 : AF_INET;
  if (d & 0x80)
    dom = d;
  int type = t & 1 ? SOCK_DGRAM : SOCK_STREAM;
  if (t & 2)
    type |= SOCK_NONBLOCK;
  if (t & 4)
    type |= SOCK_CLOEXEC;
  if (t & 0x80)
    type = (int)fz_u32(in);
  int proto = (t & 0x40) ? fz_u8(in) : 0;
  keep(l, slot, zn_posix_socket(px[l], dom, type, proto), "socket");
}

static void op_send(struct fz_in *in, int l, int fd) {
  uint16_t n = fz_u16(in) % (MAX_IO + 1);
  uint8_t fl = fz_u8(in);
  int flags = MSG_NOSIGNAL;
  if (fl & 1)
    flags |= MSG_DONTWAIT;
  if (fl & 2)
    flags |= MSG_MORE;
  if (fl & 4)
    flags |= MSG_OOB;
  struct sockaddr_storage ss;
  socklen_t sl = 0;
  if (fl & 8)
    sl = pick_addr(in, l, &ss);
  const uint8_t *src;
  size_t got = fz_bytes(in, fl & 0x10 ? n : 0, &src);
  memset(iobuf, 0x5a, n);
  memcpy(iobuf, src, got);
  check(zn_posix_sendto(px[l], fd, iobuf, n, flags,
                        (fl & 8) ? (struct sockaddr *)&ss : NULL, sl),
        n, "sendto");
}

static int recv_flags(uint8_t fl) {
  int flags = 0;
  if (fl & 1)
    flags |= MSG_DONTWAIT;
  if (fl & 2)
    flags |= MSG_PEEK;
  if (fl & 4)
    flags |= MSG_TRUNC;
  if (fl & 8)
    flags |= MSG_WAITALL;
  if (fl & 0x10)
    flags |= MSG_OOB;
  return flags;
}

static void op_recv(struct fz_in *in, int l, int fd) {
  uint16_t n = fz_u16(in) % (MAX_IO + 1);
  uint8_t fl = fz_u8(in);
  struct sockaddr_storage ss;
  socklen_t sl = fz_u8(in) % (sizeof(ss) + 1);
  socklen_t given = sl;
  long rc = zn_posix_recvfrom(px[l], fd, iobuf, n, recv_flags(fl),
                              (fl & 0x20) ? (struct sockaddr *)&ss : NULL,
                              (fl & 0x20) ? &sl : NULL);
  /* MSG_TRUNC on UDP answers the datagram's length. */
  check(rc, (recv_flags(fl) & MSG_TRUNC) ? 65535 : n, "recvfrom");
  if (rc >= 0 && (fl & 0x20) && sl > sizeof(struct sockaddr_in6))
    fz_fail(__FILE__, __LINE__, "recvfrom name length %u (given %u)",
            (unsigned)sl, (unsigned)given);
}

/* A msghdr over iobuf in up to 4 pieces, a name, a control buffer. */
static size_t make_msg(struct fz_in *in, int l, struct msghdr *m,
                       struct iovec *iov, struct sockaddr_storage *ss,
                       uint8_t *ctl, size_t ctl_len) {
  uint8_t shape = fz_u8(in);
  memset(m, 0, sizeof(*m));
  size_t total = 0, k = shape & 3;
  for (size_t i = 0; i <= k; i++) {
    size_t n = fz_u8(in) * 8u;
    if (n > MAX_IO - total)
      n = MAX_IO - total; /* the pieces stay inside iobuf */
    iov[i].iov_base = iobuf + total;
    iov[i].iov_len = n;
    total += n;
  }
  m->msg_iov = iov;
  m->msg_iovlen = k + 1;
  if (shape & 4) { /* more pieces than UIO_MAXIOV, or many empty ones */
    m->msg_iov = big_iov;
    m->msg_iovlen = (shape & 8) ? 1025 : 1024;
    total = 0;
  }
  if (shape & 0x10) {
    m->msg_namelen = pick_addr(in, l, ss);
    m->msg_name = ss;
  }
  if (shape & 0x20) {
    m->msg_control = ctl;
    m->msg_controllen = fz_u8(in) % (ctl_len + 1);
    const uint8_t *src;
    size_t got = fz_bytes(in, m->msg_controllen, &src);
    memcpy(ctl, src, got);
  }
  return total;
}

static void op_msg(struct fz_in *in, int l, int fd, bool send) {
  struct msghdr m;
  struct iovec iov[4];
  struct sockaddr_storage ss;
  uint8_t ctl[128];
  size_t total = make_msg(in, l, &m, iov, &ss, ctl, sizeof(ctl));
  uint8_t fl = fz_u8(in);
  if (send) {
    int flags = MSG_NOSIGNAL | ((fl & 1) ? MSG_DONTWAIT : 0) |
                ((fl & 2) ? MSG_MORE : 0);
    check(zn_posix_sendmsg(px[l], fd, &m, flags), (long)total, "sendmsg");
    return;
  }
  socklen_t name_given = m.msg_namelen;
  size_t ctl_given = m.msg_controllen;
  long rc = zn_posix_recvmsg(px[l], fd, &m, recv_flags(fl));
  check(rc, (recv_flags(fl) & MSG_TRUNC) ? 65535 : (long)total, "recvmsg");
  if (rc >= 0 && (m.msg_controllen > ctl_given ||
                  (m.msg_name && m.msg_namelen > sizeof(ss))))
    fz_fail(__FILE__, __LINE__, "recvmsg control %zu of %zu, name %u of %u",
            (size_t)m.msg_controllen, ctl_given, (unsigned)m.msg_namelen,
            (unsigned)name_given);
}

static void op_mmsg(struct fz_in *in, int l, int fd) {
  struct mmsghdr v[3];
  struct iovec iov[3][4];
  struct sockaddr_storage ss[3];
  uint8_t ctl[3][64];
  uint8_t fl = fz_u8(in);
  unsigned n = fl % 4;
  for (unsigned i = 0; i < n; i++)
    make_msg(in, l, &v[i].msg_hdr, iov[i], &ss[i], ctl[i], sizeof(ctl[i]));
  if (fl & 4) {
    check(zn_posix_sendmmsg(px[l], fd, v, n, MSG_NOSIGNAL | MSG_DONTWAIT),
          n, "sendmmsg");
    return;
  }
  struct timespec t = {0, (long)(fz_u8(in) % 20) * 1000000};
  int flags = ((fl & 8) ? MSG_DONTWAIT : 0) | ((fl & 0x10) ? MSG_WAITFORONE : 0);
  check(zn_posix_recvmmsg(px[l], fd, v, n, flags, (fl & 0x20) ? &t : NULL), n,
        "recvmmsg");
}

static void op_opt(struct fz_in *in, int l, int fd, bool set) {
  int level = pick_level(fz_u8(in));
  int name = fz_u8(in) % 80;
  uint8_t ln = fz_u8(in);
  uint8_t val[256];
  memset(val, 0, sizeof(val));
  if (set) {
    const uint8_t *src;
    size_t got = fz_bytes(in, 16, &src);
    memcpy(val, src, got);
    socklen_t len = ln % 24;
    check(zn_posix_setsockopt(px[l], fd, level, name,
                              (ln & 0x80) ? NULL : val, len),
          0, "setsockopt");
    return;
  }
  socklen_t len = ln;
  if (ln & 0x80)
    len = (socklen_t)fz_u32(in);
  socklen_t given = len;
  long rc = zn_posix_getsockopt(px[l], fd, level, name,
                                len <= sizeof(val) ? val : NULL,
                                (ln & 0x40) ? NULL : &len);
  check(rc, 0, "getsockopt");
  if (rc == 0 && len > given)
    fz_fail(__FILE__, __LINE__, "getsockopt(%d, %d): length %u above %u",
            level, name, (unsigned)len, (unsigned)given);
}

static void op_fcntl(struct fz_in *in, int l, int fd, int slot) {
  static const int cmds[] = {F_GETFL, F_SETFL,  F_DUPFD, F_DUPFD_CLOEXEC,
                             F_GETFD, F_SETFD, 9999,    F_GETLK};
  uint8_t c = fz_u8(in);
  long arg = (long)fz_u16(in) - 32;
  int cmd = cmds[c % 8];
  long rc = zn_posix_fcntl(px[l], fd, cmd, arg);
  if (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC)
    keep(l, slot, rc, "fcntl dup");
  else
    check(rc, O_RDWR | O_NONBLOCK, "fcntl");
}

static void op_ioctl(struct fz_in *in, int l, int fd) {
  static const unsigned long reqs[] = {FIONBIO, FIONREAD, SIOCOUTQ,
                                       SIOCATMARK, 0x1234};
  uint8_t r = fz_u8(in);
  int v = (int)fz_u8(in);
  check(zn_posix_ioctl(px[l], fd, reqs[r % 5], (r & 0x80) ? NULL : &v),
        0, "ioctl");
  if (v < 0)
    fz_fail(__FILE__, __LINE__, "ioctl: negative count %d", v);
}

static void op_name(struct fz_in *in, int l, int fd) {
  uint8_t b = fz_u8(in);
  struct sockaddr_storage ss;
  socklen_t len = b % (sizeof(ss) + 1);
  socklen_t *lp = (b & 0x80) && (b & 0x40) ? NULL : &len;
  long rc = (b & 0x80) ? zn_posix_getpeername(px[l], fd,
                                              (struct sockaddr *)&ss, lp)
                       : zn_posix_getsockname(px[l], fd,
                                              (struct sockaddr *)&ss, lp);
  check(rc, 0, "getsockname");
  if (rc == 0 && len > sizeof(struct sockaddr_in6))
    fz_fail(__FILE__, __LINE__, "name length %u", (unsigned)len);
}

#define POLL_ALWAYS (POLLERR | POLLHUP | POLLNVAL)

static void op_poll(struct fz_in *in, int l) {
  uint8_t b = fz_u8(in);
  nfds_t n = b % 5;
  struct pollfd p[4];
  for (nfds_t i = 0; i < n; i++) {
    p[i].fd = pick_fd(in, l);
    p[i].events = (short)fz_u16(in);
    p[i].revents = 0;
  }
  struct timespec t = {0, (long)(b >> 3) * 1000000};
  long rc = zn_posix_ppoll(px[l], p, n, (b & 0x80) ? NULL : &t, NULL);
  check(rc, (long)n, "ppoll");
  for (nfds_t i = 0; rc >= 0 && i < n; i++) {
    uint16_t allowed = (uint16_t)p[i].events | POLL_ALWAYS;
    if ((uint16_t)p[i].revents & ~allowed)
      fz_fail(__FILE__, __LINE__, "revents 0x%x for events 0x%x",
              (uint16_t)p[i].revents, (uint16_t)p[i].events);
  }
}

static void op_select(struct fz_in *in, int l) {
  uint8_t b = fz_u8(in);
  fd_set r, w, e;
  FD_ZERO(&r);
  FD_ZERO(&w);
  FD_ZERO(&e);
  int nfds = 0;
  for (int i = 0; i < (b & 3) + 1; i++) {
    int fd = pick_fd(in, l);
    uint8_t which = fz_u8(in);
    if (fd < 0 || fd >= FD_SETSIZE)
      continue;
    if (which & 1)
      FD_SET(fd, &r);
    if (which & 2)
      FD_SET(fd, &w);
    if (which & 4)
      FD_SET(fd, &e);
    if (fd + 1 > nfds)
      nfds = fd + 1;
  }
  struct timespec t = {0, (long)(b >> 3) * 1000000};
  check(zn_posix_pselect(px[l], (b & 4) ? nfds + 3 : nfds, &r, &w, &e, &t,
                         NULL),
        3 * 4, "pselect");
}

static void op_epoll(struct fz_in *in, int l, int op, int slot) {
  if (op == OP_EPOLL_CREATE) {
    uint8_t f = fz_u8(in);
    keep(l, slot, zn_posix_epoll_create1(px[l], (f & 1) ? EPOLL_CLOEXEC : f),
         "epoll_create1");
    return;
  }
  int ep = pick_fd(in, l);
  if (op == OP_EPOLL_CTL) {
    uint8_t o = fz_u8(in);
    int fd = pick_fd(in, l);
    struct epoll_event ev = {.events = fz_u32(in), .data.u64 = (uint64_t)fd};
    check(zn_posix_epoll_ctl(px[l], ep, o % 5, fd, (o & 0x80) ? NULL : &ev),
          0, "epoll_ctl");
    return;
  }
  uint8_t b = fz_u8(in);
  struct epoll_event evs[8];
  int max = (b & 7) + ((b & 0x80) ? -1 : 1);
  int timeout = (b & 0x40) ? -1 : (int)((b >> 3) & 7);
  check(zn_posix_epoll_pwait(px[l], ep, (b & 0x20) ? NULL : evs,
                             max > 8 ? 8 : max, timeout, NULL),
        8, "epoll_pwait");
}

/* A frame to stack B: raw, or (bit 0) behind an Ethernet and IPv4 header
 * from A to B of the chosen protocol, with the checksums fixed (bit 1). */
static void op_frame(struct fz_in *in) {
  uint8_t mode = fz_u8(in);
  size_t n = fz_u16(in) % 1600u;
  const uint8_t *src;
  n = fz_bytes(in, n, &src);
  static uint8_t f[1700];
  size_t off = 0;
  if (mode & 1) {
    static const uint8_t eth[14] = {2, 0, 0, 0, 0, 2, 2, 0, 0,
                                    0, 0, 1, 0x08, 0x00};
    memcpy(f, eth, 14);
    uint8_t *ip = f + 14;
    memset(ip, 0, 20);
    ip[0] = 0x45;
    zn_wr16(ip + 2, (uint16_t)(20 + n));
    ip[8] = 64;
    ip[9] = (mode & 4) ? ZN_IPPROTO_UDP : ZN_IPPROTO_TCP;
    zn_wr32(ip + 12, ZN_IPV4(10, 0, 0, 1));
    zn_wr32(ip + 16, ZN_IPV4(10, 0, 0, 2));
    off = 34;
  }
  memcpy(f + off, src, n);
  if (mode & 2)
    fz_fix_checksums(f, off + n);
  if (off + n)
    fz_inject(pair.b, f, off + n);
}

static void op(struct fz_in *in) {
  uint8_t o = fz_u8(in), sel = fz_u8(in);
  int l = sel & 1, slot = (sel >> 1) & (NSLOT - 1);
  intr_at = (sel & 0x80) ? (sel >> 4 & 7) + 1 : 0;
  waits = 0;
  int fd;
  struct sockaddr_storage ss;
  socklen_t sl;
  switch (o % NOPS) {
  case OP_SOCKET:
    op_socket(in, l, slot);
    break;
  case OP_BIND:
    fd = pick_fd(in, l);
    sl = pick_addr(in, l, &ss);
    check(zn_posix_bind(px[l], fd, (struct sockaddr *)&ss, sl), 0, "bind");
    break;
  case OP_LISTEN:
    fd = pick_fd(in, l);
    check(zn_posix_listen(px[l], fd, (int)(int8_t)fz_u8(in)), 0, "listen");
    break;
  case OP_ACCEPT: {
    fd = pick_fd(in, l);
    uint8_t f = fz_u8(in);
    sl = f % (sizeof(ss) + 1);
    int flags = (f & 0x40) ? (int)fz_u32(in) : (f & 0x20) ? SOCK_NONBLOCK : 0;
    keep(l, slot,
         zn_posix_accept4(px[l], fd, (f & 0x80) ? NULL : (struct sockaddr *)&ss,
                          (f & 0x80) ? NULL : &sl, flags),
         "accept4");
    break;
  }
  case OP_CONNECT:
    fd = pick_fd(in, l);
    sl = pick_addr(in, l, &ss);
    check(zn_posix_connect(px[l], fd, (struct sockaddr *)&ss, sl), 0,
          "connect");
    break;
  case OP_SEND:
    op_send(in, l, pick_fd(in, l));
    break;
  case OP_RECV:
    op_recv(in, l, pick_fd(in, l));
    break;
  case OP_SENDMSG:
  case OP_RECVMSG:
    fd = pick_fd(in, l);
    op_msg(in, l, fd, o % NOPS == OP_SENDMSG);
    break;
  case OP_MMSG:
    op_mmsg(in, l, pick_fd(in, l));
    break;
  case OP_SHUTDOWN:
    fd = pick_fd(in, l);
    check(zn_posix_shutdown(px[l], fd, (int)(fz_u8(in) % 4)), 0, "shutdown");
    break;
  case OP_CLOSE:
    fd = pick_fd(in, l);
    check(zn_posix_close(px[l], fd), 0, "close");
    break;
  case OP_DUP: {
    fd = pick_fd(in, l);
    uint8_t b = fz_u8(in);
    int newfd = (b & 0x80) ? -1 : slots[l][b & (NSLOT - 1)];
    if (b & 0x40)
      newfd = (int)(b & 0x3f) + FD_BASE;
    /* dup2 onto a number the layer does not own would close a real
     * descriptor of the host's: only onto ours or a free one. */
    if (newfd >= 0 && reserved[newfd] && !zn_posix_owns(px[l], newfd))
      newfd = -1;
    keep(l, slot, zn_posix_dup3(px[l], fd, newfd, (b & 0x20) ? O_CLOEXEC : 0),
         "dup3");
    break;
  }
  case OP_SETOPT:
  case OP_GETOPT:
    fd = pick_fd(in, l);
    op_opt(in, l, fd, o % NOPS == OP_SETOPT);
    break;
  case OP_FCNTL:
    fd = pick_fd(in, l);
    op_fcntl(in, l, fd, slot);
    break;
  case OP_IOCTL:
    op_ioctl(in, l, pick_fd(in, l));
    break;
  case OP_NAME:
    op_name(in, l, pick_fd(in, l));
    break;
  case OP_POLL:
    op_poll(in, l);
    break;
  case OP_SELECT:
    op_select(in, l);
    break;
  case OP_EPOLL_CREATE:
  case OP_EPOLL_CTL:
  case OP_EPOLL_WAIT:
    op_epoll(in, l, o % NOPS, slot);
    break;
  case OP_TIME: {
    uint8_t t = fz_u8(in);
    fz_pair_run(&pair, (t & 0x80) ? ZN_SEC(t & 0x7f) : ZN_MS(t));
    break;
  }
  case OP_FRAME:
    op_frame(in);
    break;
  case OP_RWV: {
    fd = pick_fd(in, l);
    struct msghdr m;
    struct iovec iov[4];
    uint8_t ctl[8];
    size_t total = make_msg(in, l, &m, iov, &ss, ctl, 0);
    if (fz_u8(in) & 1)
      check(zn_posix_writev(px[l], fd, m.msg_iov, (int)m.msg_iovlen),
            (long)total, "writev");
    else
      check(zn_posix_readv(px[l], fd, m.msg_iov, (int)m.msg_iovlen),
            (long)total, "readv");
    break;
  }
  case OP_DRIVE:
    zn_posix_drive(px[l]);
    break;
  }
}

static void finish(void) {
  waits = 0;
  intr_at = 0;
  zn_posix_destroy(px[0]);
  zn_posix_destroy(px[1]);
  for (int fd = 0; fd < FD_MAX; fd++)
    if (reserved[fd])
      fz_fail(__FILE__, __LINE__, "descriptor %d still reserved", fd);
  fz_pair_run(&pair, ZN_SEC(120));
  fz_check_stack(pair.a);
  fz_check_stack(pair.b);
  for (int i = 0; i < 2; i++) {
    struct zn_stack *st = i ? pair.b : pair.a;
    if (fz_tcp_used(st) || fz_udp_open(st))
      fz_fail(__FILE__, __LINE__, "stack %c: %u connections, %u UDP sockets",
              'a' + i, fz_tcp_used(st), fz_udp_open(st));
  }
  zn_memlink_purge(&pair.link);
  for (int i = 0; i < 2; i++) {
    struct zn_stack *st = i ? pair.b : pair.a;
    if (zn_stack_bufs_in_use(st))
      fz_fail(__FILE__, __LINE__, "stack %c: %u buffers still in use",
              'a' + i, zn_stack_bufs_in_use(st));
  }
  fz_pair_free(&pair);
  free(pxmem[0]);
  free(pxmem[1]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct fz_in in;
  fz_in_init(&in, data, size);
  uint8_t cfg = fz_u8(&in);
  trace = getenv("FZ_TRACE") != NULL;
  intr_restart = (cfg & 2) != 0;
  setup();
  for (int i = 0; i < MAX_OPS && fz_more(&in); i++) {
    op(&in);
    fz_pair_run(&pair, ZN_MS(1));
  }
  finish();
  return 0;
}
