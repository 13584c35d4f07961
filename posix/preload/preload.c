/* The C library's socket calls, replaced for programs znet-run starts.
 *
 * Each replacement asks whether its descriptor is the layer's (a relaxed
 * read of the layer's table: the only cost for the program's files and
 * pipes) and hands the call to libznet-posix under the lock, or to the
 * C library's own function (dlsym RTLD_NEXT) untouched.  socket() of
 * AF_INET or AF_INET6 builds the layer on first use; any other family,
 * or a type znet does not serve (raw, seqpacket), goes to the kernel.
 *
 * glibc's fortified entry points (__read_chk, __recv_chk, ...) and its
 * 64-bit and other aliases (fcntl64, sendfile64, epoll_pwait2) are
 * replaced too, since a program built with _FORTIFY_SOURCE or
 * _FILE_OFFSET_BITS=64 calls those names.  What cannot be caught:
 * syscall(2) used directly, statically linked programs, and the C
 * library's calls to itself (getaddrinfo's own sockets use the internal
 * __socket; fclose of an fdopen'd socket closes through the internal
 * __close).  docs/POSIX.md lists them. */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "bridge.h"
#include "preload.h"
#include "znet/loop.h"

#define EXPORT __attribute__((visibility("default")))

/* The C library's function of the same name. */
#define REAL(name, ret, ...)                                                  \
  static ret (*real_##name)(__VA_ARGS__);                                     \
  static ret (*get_##name(void))(__VA_ARGS__) {                               \
    if (!real_##name)                                                         \
      *(void **)&real_##name = dlsym(RTLD_NEXT, #name);                       \
    return real_##name;                                                       \
  }

REAL(socket, int, int, int, int)
REAL(bind, int, int, __CONST_SOCKADDR_ARG, socklen_t)
REAL(listen, int, int, int)
REAL(accept, int, int, __SOCKADDR_ARG, socklen_t *)
REAL(accept4, int, int, __SOCKADDR_ARG, socklen_t *, int)
REAL(connect, int, int, __CONST_SOCKADDR_ARG, socklen_t)
REAL(send, ssize_t, int, const void *, size_t, int)
REAL(sendto, ssize_t, int, const void *, size_t, int, __CONST_SOCKADDR_ARG,
     socklen_t)
REAL(sendmsg, ssize_t, int, const struct msghdr *, int)
REAL(sendmmsg, int, int, struct mmsghdr *, unsigned, int)
REAL(recv, ssize_t, int, void *, size_t, int)
REAL(recvfrom, ssize_t, int, void *, size_t, int, __SOCKADDR_ARG,
     socklen_t *)
REAL(recvmsg, ssize_t, int, struct msghdr *, int)
REAL(recvmmsg, int, int, struct mmsghdr *, unsigned, int, struct timespec *)
REAL(read, ssize_t, int, void *, size_t)
REAL(write, ssize_t, int, const void *, size_t)
REAL(readv, ssize_t, int, const struct iovec *, int)
REAL(writev, ssize_t, int, const struct iovec *, int)
REAL(sendfile, ssize_t, int, int, off_t *, size_t)
REAL(sendfile64, ssize_t, int, int, off64_t *, size_t)
REAL(shutdown, int, int, int)
REAL(close, int, int)
REAL(getsockname, int, int, __SOCKADDR_ARG, socklen_t *)
REAL(getpeername, int, int, __SOCKADDR_ARG, socklen_t *)
REAL(getsockopt, int, int, int, int, void *, socklen_t *)
REAL(setsockopt, int, int, int, int, const void *, socklen_t)
REAL(fcntl, int, int, int, ...)
REAL(fcntl64, int, int, int, ...)
REAL(ioctl, int, int, unsigned long, ...)
REAL(dup, int, int)
REAL(dup2, int, int, int)
REAL(dup3, int, int, int, int)
REAL(poll, int, struct pollfd *, nfds_t, int)
REAL(ppoll, int, struct pollfd *, nfds_t, const struct timespec *,
     const sigset_t *)
REAL(select, int, int, fd_set *, fd_set *, fd_set *, struct timeval *)
REAL(pselect, int, int, fd_set *, fd_set *, fd_set *, const struct timespec *,
     const sigset_t *)
REAL(epoll_create, int, int)
REAL(epoll_create1, int, int)
REAL(epoll_ctl, int, int, int, int, struct epoll_event *)
REAL(epoll_wait, int, int, struct epoll_event *, int, int)
REAL(epoll_pwait, int, int, struct epoll_event *, int, int, const sigset_t *)
REAL(epoll_pwait2, int, int, struct epoll_event *, int,
     const struct timespec *, const sigset_t *)
REAL(close_range, int, unsigned, unsigned, int)
REAL(closefrom, void, int)
REAL(sigaction, int, int, const struct sigaction *, struct sigaction *)
REAL(fork, pid_t, void)

/* The replacements take the C library's names and types; its headers
 * name the parameters their own way, and the fortified entry points are
 * its reserved names by definition.
 * NOLINTBEGIN(readability-inconsistent-declaration-parameter-name,
 *             bugprone-reserved-identifier,cert-dcl37-c,cert-dcl51-cpp) */

/* A call on a socket of the layer: under the lock. */
#define ON_SOCK(s, call)                                                      \
  do {                                                                        \
    struct pl_shard *sh_ = pl_shard_use(s);                                   \
    pl_lock(sh_);                                                             \
    long rc_ = (call);                                                        \
    pl_unlock(sh_);                                                           \
    return (int)pl_ret(rc_);                                                  \
  } while (0)

#define PX pl_px(sh_)

/* ---- sockets ---- */

static bool passes(long rc) {
  return rc == -EAFNOSUPPORT || rc == -ESOCKTNOSUPPORT ||
         rc == -EPROTONOSUPPORT;
}

EXPORT int socket(int domain, int type, int protocol) {
  struct pl_shard *s = NULL;
  if (domain == AF_INET || domain == AF_INET6)
    s = pl_shard_here();
  if (!s && pl_broken())
    return (int)pl_ret(-ENETDOWN); /* znet-run's stack could not start */
  if (!s)
    return get_socket()(domain, type, protocol);
  pl_lock(s);
  long rc = zn_posix_socket(pl_px(s), domain, type, protocol);
  pl_unlock(s);
  if (passes(rc))
    return get_socket()(domain, type, protocol);
  return (int)pl_ret(rc);
}

EXPORT int bind(int fd, __CONST_SOCKADDR_ARG a, socklen_t len) {
  struct pl_shard *s = pl_shard_of(fd);
  if (!s)
    return get_bind()(fd, a, len);
  if (pl_many_shards()) /* threads' shards: their ports, as one stack's */
    return (int)pl_ret(pl_bind_shared(pl_shard_use(s), fd, a.__sockaddr__,
                                      len));
  s = pl_shard_use(s);
  pl_lock(s);
  long rc = zn_posix_bind(pl_px(s), fd, a.__sockaddr__, len);
  pl_unlock(s);
  if (rc == 0)
    pl_bridge_bound(fd, a.__sockaddr__, len);
  return (int)pl_ret(rc);
}

EXPORT int listen(int fd, int backlog) {
  struct pl_shard *s = pl_shard_of(fd);
  if (!s)
    return get_listen()(fd, backlog);
  s = pl_shard_use(s);
  pl_lock(s);
  long rc = zn_posix_listen(pl_px(s), fd, backlog);
  pl_unlock(s);
  if (rc == 0)
    pl_bridge_listening(fd);
  return (int)pl_ret(rc);
}

EXPORT int accept4(int fd, __SOCKADDR_ARG a, socklen_t *len, int flags) {
  struct pl_shard *s = pl_shard_of(fd);
  if (!s)
    return get_accept4()(fd, a, len, flags);
  ON_SOCK(s, zn_posix_accept4(PX, fd, a.__sockaddr__, len, flags));
}

EXPORT int accept(int fd, __SOCKADDR_ARG a, socklen_t *len) {
  struct pl_shard *s = pl_shard_of(fd);
  if (!s)
    return get_accept()(fd, a, len);
  ON_SOCK(s, zn_posix_accept4(PX, fd, a.__sockaddr__, len, 0));
}

EXPORT int connect(int fd, __CONST_SOCKADDR_ARG a, socklen_t len) {
  struct pl_shard *s = pl_shard_of(fd);
  if (!s)
    return get_connect()(fd, a, len);
  pl_bridge_connect(fd, a.__sockaddr__, len);
  ON_SOCK(s, zn_posix_connect(PX, fd, a.__sockaddr__, len));
}

/* SIGPIPE when the layer's rule says so (zn_posix_sigpipe_due). */
static long sigpipe(long rc, int flags) {
  if (zn_posix_sigpipe_due(rc, flags))
    (void)raise(SIGPIPE);
  return rc;
}

static ssize_t do_sendmsg(struct pl_shard *s, int fd, const struct msghdr *m,
                          int flags) {
  if (m->msg_name)
    pl_bridge_dgram_to(fd, m->msg_name, m->msg_namelen);
  s = pl_shard_use(s);
  pl_lock(s);
  long rc = zn_posix_sendmsg(pl_px(s), fd, m, flags);
  pl_unlock(s);
  return pl_ret(sigpipe(rc, flags));
}

static ssize_t do_recvmsg(struct pl_shard *s, int fd, struct msghdr *m,
                          int flags) {
  s = pl_shard_use(s);
  pl_lock(s);
  long rc = zn_posix_recvmsg(pl_px(s), fd, m, flags);
  pl_unlock(s);
  return pl_ret(rc);
}

EXPORT ssize_t sendmsg(int fd, const struct msghdr *m, int flags) {
  struct pl_shard *s = pl_shard_of(fd);
  if (!s)
    return get_sendmsg()(fd, m, flags);
  return do_sendmsg(s, fd, m, flags);
}

/* One buffer to sa (NULL: the connection's peer) on shard s's socket. */
static ssize_t send_one(struct pl_shard *s, int fd, const void *buf,
                        size_t len, int flags, const struct sockaddr *sa,
                        socklen_t salen) {
  struct iovec v = {(void *)(uintptr_t)buf, len};
  struct msghdr m = {.msg_name = (void *)(uintptr_t)sa,
                     .msg_namelen = sa ? salen : 0,
                     .msg_iov = &v,
                     .msg_iovlen = 1};
  return do_sendmsg(s, fd, &m, flags);
}

EXPORT ssize_t sendto(int fd, const void *buf, size_t len, int flags,
                      __CONST_SOCKADDR_ARG a, socklen_t salen) {
  struct pl_shard *s = pl_shard_of(fd);
  if (!s)
    return get_sendto()(fd, buf, len, flags, a, salen);
  return send_one(s, fd, buf, len, flags, a.__sockaddr__, salen);
}

EXPORT ssize_t send(int fd, const void *buf, size_t len, int flags) {
  struct pl_shard *s = pl_shard_of(fd);
  if (!s)
    return get_send()(fd, buf, len, flags);
  return send_one(s, fd, buf, len, flags, NULL, 0);
}

EXPORT ssize_t write(int fd, const void *buf, size_t len) {
  struct pl_shard *s = pl_shard_of(fd);
  if (!s)
    return get_write()(fd, buf, len);
  return send_one(s, fd, buf, len, 0, NULL, 0);
}

EXPORT ssize_t writev(int fd, const struct iovec *iov, int n) {
  struct pl_shard *s = pl_shard_of(fd);
  if (!s)
    return get_writev()(fd, iov, n);
  if (n < 0 || n > 1024)
    return pl_ret(-EINVAL);
  struct msghdr m = {.msg_iov = (struct iovec *)(uintptr_t)iov,
                     .msg_iovlen = (size_t)n};
  return do_sendmsg(s, fd, &m, 0);
}

EXPORT int sendmmsg(int fd, struct mmsghdr *v, unsigned n, int flags) {
  struct pl_shard *s = pl_shard_of(fd);
  if (!s)
    return get_sendmmsg()(fd, v, n, flags);
  s = pl_shard_use(s);
  pl_lock(s);
  long rc = zn_posix_sendmmsg(pl_px(s), fd, v, n, flags);
  pl_unlock(s);
  return (int)pl_ret(sigpipe(rc, flags));
}

EXPORT ssize_t recvmsg(int fd, struct msghdr *m, int flags) {
  struct pl_shard *s = pl_shard_of(fd);
  if (!s)
    return get_recvmsg()(fd, m, flags);
  return do_recvmsg(s, fd, m, flags);
}

/* One buffer from shard s's socket, its sender into sa (may be NULL). */
static ssize_t recv_one(struct pl_shard *s, int fd, void *buf, size_t len,
                        int flags, struct sockaddr *sa, socklen_t *salen) {
  struct iovec v = {buf, len};
  struct msghdr m = {.msg_name = sa,
                     .msg_namelen = sa && salen ? *salen : 0,
                     .msg_iov = &v,
                     .msg_iovlen = 1};
  ssize_t rc = do_recvmsg(s, fd, &m, flags);
  if (rc >= 0 && sa && salen)
    *salen = m.msg_namelen;
  return rc;
}

EXPORT ssize_t recvfrom(int fd, void *buf, size_t len, int flags,
                        __SOCKADDR_ARG a, socklen_t *salen) {
  struct pl_shard *s = pl_shard_of(fd);
  if (!s)
    return get_recvfrom()(fd, buf, len, flags, a, salen);
  return recv_one(s, fd, buf, len, flags, a.__sockaddr__, salen);
}

EXPORT ssize_t recv(int fd, void *buf, size_t len, int flags) {
  struct pl_shard *s = pl_shard_of(fd);
  if (!s)
    return get_recv()(fd, buf, len, flags);
  return recv_one(s, fd, buf, len, flags, NULL, NULL);
}

EXPORT ssize_t read(int fd, void *buf, size_t len) {
  struct pl_shard *s = pl_shard_of(fd);
  if (!s)
    return get_read()(fd, buf, len);
  return recv_one(s, fd, buf, len, 0, NULL, NULL);
}

EXPORT ssize_t readv(int fd, const struct iovec *iov, int n) {
  struct pl_shard *s = pl_shard_of(fd);
  if (!s)
    return get_readv()(fd, iov, n);
  if (n < 0 || n > 1024)
    return pl_ret(-EINVAL);
  struct msghdr m = {.msg_iov = (struct iovec *)(uintptr_t)iov,
                     .msg_iovlen = (size_t)n};
  return do_recvmsg(s, fd, &m, 0);
}

EXPORT int recvmmsg(int fd, struct mmsghdr *v, unsigned n, int flags,
                    struct timespec *t) {
  struct pl_shard *s = pl_shard_of(fd);
  if (!s)
    return get_recvmmsg()(fd, v, n, flags, t);
  ON_SOCK(s, zn_posix_recvmmsg(PX, fd, v, n, flags, t));
}

/* The fortified forms: the length check glibc would make, then the call.
 * (Their prototypes are glibc's internal ones.) */
ssize_t __read_chk(int fd, void *buf, size_t len, size_t buflen);
ssize_t __recv_chk(int fd, void *buf, size_t len, size_t buflen, int flags);
ssize_t __recvfrom_chk(int fd, void *buf, size_t len, size_t buflen,
                       int flags, __SOCKADDR_ARG sa, socklen_t *salen);
int __poll_chk(struct pollfd *fds, nfds_t n, int timeout, size_t fdslen);
int __ppoll_chk(struct pollfd *fds, nfds_t n, const struct timespec *t,
                const sigset_t *mask, size_t fdslen);
EXPORT ssize_t __read_chk(int fd, void *buf, size_t len, size_t buflen) {
  if (len > buflen)
    abort();
  return read(fd, buf, len);
}

EXPORT ssize_t __recv_chk(int fd, void *buf, size_t len, size_t buflen,
                          int flags) {
  if (len > buflen)
    abort();
  return recv(fd, buf, len, flags);
}

EXPORT ssize_t __recvfrom_chk(int fd, void *buf, size_t len, size_t buflen,
                              int flags, __SOCKADDR_ARG sa,
                              socklen_t *salen) {
  if (len > buflen)
    abort();
  return recvfrom(fd, buf, len, flags, sa, salen);
}

/* sendfile from a file to a socket of the layer: read into a bounce
 * buffer and send, as the kernel's splice would, in 64 KiB steps.  The
 * file offset (or *off) advances by what was sent. */
static long file_rd(void *ctx, void *buf, size_t n, off_t off) {
  ssize_t r = pread(*(int *)ctx, buf, n, off);
  return r < 0 ? -errno : r;
}

static long sock_wr(void *ctx, const void *buf, size_t n) {
  ssize_t w = send(*(int *)ctx, buf, n, MSG_NOSIGNAL);
  return w < 0 ? -errno : w;
}

static ssize_t file_to_sock(int out, int in, off_t *off, size_t count) {
  static _Thread_local char buf[65536];
  off_t pos = off ? *off : lseek(in, 0, SEEK_CUR);
  if (pos < 0)
    return -1;
  long r = zn_posix_sendfile_loop(file_rd, &in, sock_wr, &out, &pos, count,
                                  buf, sizeof(buf));
  if (off)
    *off = pos;
  else
    (void)lseek(in, pos, SEEK_SET);
  return pl_ret(sigpipe(r, 0));
}

EXPORT ssize_t sendfile(int out, int in, off_t *off, size_t count) {
  if (pl_owns(in))
    return pl_ret(-EINVAL);
  if (!pl_owns(out))
    return get_sendfile()(out, in, off, count);
  return file_to_sock(out, in, off, count);
}

EXPORT ssize_t sendfile64(int out, int in, off64_t *off, size_t count) {
  if (pl_owns(in))
    return pl_ret(-EINVAL);
  if (!pl_owns(out))
    return get_sendfile64()(out, in, off, count);
  return file_to_sock(out, in, (off_t *)off, count);
}

EXPORT int shutdown(int fd, int how) {
  struct pl_shard *s = pl_shard_of(fd);
  if (!s)
    return get_shutdown()(fd, how);
  ON_SOCK(s, zn_posix_shutdown(PX, fd, how));
}

/* The parent learns its child's pid before fork returns, so a group's
 * leader that exits at once (a daemon's first process) knows the child
 * lives (pl_forked; the child's own fork handler may run later). */
EXPORT pid_t fork(void) {
  pid_t pid = get_fork()();
  if (pid > 0)
    pl_forked(pid);
  return pid;
}

EXPORT int close(int fd) {
  struct pl_shard *s = pl_shard_of(fd);
  if (!s)
    return get_close()(fd);
  /* (Not ON_SOCK: closing an orphan builds no shard.) */
  pl_lock(s);
  long rc = zn_posix_close(pl_px(s), fd);
  pl_unlock(s);
  return (int)pl_ret(rc);
}

/* The sockets numbered first to last, closed (last: 1 << 20 at most). */
static void close_socks(unsigned first, unsigned last) {
  for (unsigned fd = first; fd <= last && fd < (1u << 20); fd++) {
    struct pl_shard *s = pl_shard_of((int)fd);
    if (!s)
      continue;
    pl_lock(s);
    zn_posix_close(pl_px(s), (int)fd);
    pl_unlock(s);
  }
}

EXPORT int close_range(unsigned first, unsigned last, int flags) {
  if (pl_layer_if_any() && !((unsigned)flags & CLOSE_RANGE_CLOEXEC))
    close_socks(first, last);
  return get_close_range()(first, last, flags);
}

EXPORT void closefrom(int lowfd) {
  if (pl_layer_if_any() && lowfd >= 0)
    close_socks((unsigned)lowfd, ~0u);
  get_closefrom()(lowfd);
}

EXPORT int getsockname(int fd, __SOCKADDR_ARG a, socklen_t *len) {
  struct pl_shard *s = pl_shard_of(fd);
  if (!s)
    return get_getsockname()(fd, a, len);
  ON_SOCK(s, zn_posix_getsockname(PX, fd, a.__sockaddr__, len));
}

EXPORT int getpeername(int fd, __SOCKADDR_ARG a, socklen_t *len) {
  struct pl_shard *s = pl_shard_of(fd);
  if (!s)
    return get_getpeername()(fd, a, len);
  ON_SOCK(s, zn_posix_getpeername(PX, fd, a.__sockaddr__, len));
}

EXPORT int getsockopt(int fd, int level, int name, void *val,
                      socklen_t *len) {
  struct pl_shard *s = pl_shard_of(fd);
  if (!s)
    return get_getsockopt()(fd, level, name, val, len);
  ON_SOCK(s, zn_posix_getsockopt(PX, fd, level, name, val, len));
}

EXPORT int setsockopt(int fd, int level, int name, const void *val,
                      socklen_t len) {
  struct pl_shard *s = pl_shard_of(fd);
  if (!s)
    return get_setsockopt()(fd, level, name, val, len);
  ON_SOCK(s, zn_posix_setsockopt(PX, fd, level, name, val, len));
}

/* ---- descriptors ---- */

static int do_fcntl(int (*real)(int, int, ...), int fd, int cmd, long arg) {
  struct pl_shard *s = pl_shard_of(fd);
  if (!s)
    return real(fd, cmd, arg);
  pl_lock(s);
  long rc = zn_posix_fcntl(pl_px(s), fd, cmd, arg);
  pl_unlock(s);
  if (rc == -ENOSYS)
    return real(fd, cmd, arg); /* FD_CLOEXEC: the reserved descriptor's */
  return (int)pl_ret(rc);
}

EXPORT int fcntl(int fd, int cmd, ...) {
  va_list ap;
  va_start(ap, cmd);
  long arg = va_arg(ap, long);
  va_end(ap);
  return do_fcntl(get_fcntl(), fd, cmd, arg);
}

EXPORT int fcntl64(int fd, int cmd, ...) {
  va_list ap;
  va_start(ap, cmd);
  long arg = va_arg(ap, long);
  va_end(ap);
  return do_fcntl(get_fcntl64(), fd, cmd, arg);
}

EXPORT int ioctl(int fd, unsigned long req, ...) {
  va_list ap;
  va_start(ap, req);
  void *arg = va_arg(ap, void *);
  va_end(ap);
  struct pl_shard *s = pl_shard_of(fd);
  if (!s)
    return get_ioctl()(fd, req, arg);
  ON_SOCK(s, zn_posix_ioctl(PX, fd, req, arg));
}

EXPORT int dup(int fd) {
  struct pl_shard *s = pl_shard_of(fd);
  if (!s)
    return get_dup()(fd);
  ON_SOCK(s, zn_posix_dup3(PX, fd, -1, 0));
}

/* A socket of one shard onto a socket of another: the other's closed
 * first (in one shard, zn_posix_dup3 does it). */
static void forget_other(int new, const struct pl_shard *keep) {
  struct pl_shard *t = pl_shard_of(new);
  if (!t || t == keep)
    return;
  pl_lock(t);
  zn_posix_forget(pl_px(t), new);
  pl_unlock(t);
}

static int dup_onto(int old, int new, int flags, bool is_dup2) {
  struct pl_shard *s = pl_shard_of(old);
  if (s) {
    if (is_dup2 && old == new)
      return new;
    forget_other(new, s);
    ON_SOCK(s, zn_posix_dup3(PX, old, new, flags));
  }
  /* A foreign descriptor onto a socket: the socket is closed first. */
  if (old != new)
    forget_other(new, NULL);
  return is_dup2 ? get_dup2()(old, new) : get_dup3()(old, new, flags);
}

EXPORT int dup2(int old, int new) { return dup_onto(old, new, 0, true); }
EXPORT int dup3(int old, int new, int flags) {
  return dup_onto(old, new, flags, false);
}

/* ---- readiness ---- */

/* With the layer built, every poll goes through it, even one on the
 * program's own descriptors only: the stack runs while the program
 * waits.  A set waits in the shard its sockets are of (a fork's child's
 * own is built then), or in the calling thread's when it has none;
 * NULL, with *bad the first socket of a second shard, when its sockets
 * are of two (--thread-shards). */

/* One descriptor of a set: its shard, if any, becomes *s; false, with
 * *bad = fd, if *s was another's already. */
static bool one_shard(struct pl_shard **s, int fd, int *bad) {
  struct pl_shard *t = pl_shard_of(fd);
  if (!t || t == *s)
    return true;
  if (*s) {
    *bad = fd;
    return false;
  }
  *s = t;
  return true;
}

/* Whether a set must be looked through for its shard. */
static bool sets_looked_at(void) {
  return pl_shard_pending() || pl_many_shards();
}

/* Where a set of shard s (NULL: none of its descriptors is a socket)
 * waits. */
static struct pl_shard *set_waits_in(struct pl_shard *s) {
  return s ? pl_shard_use(s) : pl_shard_mine();
}

/* The shard a poll set waits in (above). */
static struct pl_shard *poll_shard(const struct pollfd *fds, nfds_t n,
                                   int *bad) {
  struct pl_shard *s = NULL;
  *bad = -1;
  for (nfds_t i = 0; sets_looked_at() && i < n; i++)
    if (!one_shard(&s, fds[i].fd, bad))
      return NULL;
  return set_waits_in(s);
}

static int do_ppoll(struct pollfd *fds, nfds_t n, const struct timespec *t,
                    const sigset_t *mask) {
  int bad;
  struct pl_shard *s = poll_shard(fds, n, &bad);
  if (!s) {
    pl_tell_cross(bad);
    return (int)pl_ret(-EINVAL);
  }
  pl_lock(s);
  long rc = zn_posix_ppoll(pl_px(s), fds, n, t, mask);
  pl_unlock(s);
  return (int)pl_ret(rc);
}

EXPORT int poll(struct pollfd *fds, nfds_t n, int timeout) {
  if (!pl_layer_if_any())
    return get_poll()(fds, n, timeout);
  struct timespec ts = {timeout / 1000, (long)(timeout % 1000) * 1000000};
  return do_ppoll(fds, n, timeout < 0 ? NULL : &ts, NULL);
}

EXPORT int ppoll(struct pollfd *fds, nfds_t n, const struct timespec *t,
                 const sigset_t *mask) {
  if (!pl_layer_if_any())
    return get_ppoll()(fds, n, t, mask);
  return do_ppoll(fds, n, t, mask);
}

EXPORT int __poll_chk(struct pollfd *fds, nfds_t n, int timeout,
                      size_t fdslen) {
  if (fdslen / sizeof(*fds) < n)
    abort();
  return poll(fds, n, timeout);
}

EXPORT int __ppoll_chk(struct pollfd *fds, nfds_t n, const struct timespec *t,
                       const sigset_t *mask, size_t fdslen) {
  if (fdslen / sizeof(*fds) < n)
    abort();
  return ppoll(fds, n, t, mask);
}

/* The shard a select waits in, as poll_shard's. */
static struct pl_shard *select_shard(int nfds, const fd_set *r,
                                     const fd_set *w, const fd_set *e,
                                     int *bad) {
  struct pl_shard *s = NULL;
  *bad = -1;
  for (int fd = 0; sets_looked_at() && fd < nfds && fd < FD_SETSIZE; fd++)
    if (((r && FD_ISSET(fd, r)) || (w && FD_ISSET(fd, w)) ||
         (e && FD_ISSET(fd, e))) &&
        !one_shard(&s, fd, bad))
      return NULL;
  return set_waits_in(s);
}

static int do_pselect(int nfds, fd_set *r, fd_set *w, fd_set *e,
                      const struct timespec *t, const sigset_t *mask) {
  int bad;
  struct pl_shard *s = select_shard(nfds, r, w, e, &bad);
  if (!s) {
    pl_tell_cross(bad);
    return (int)pl_ret(-EINVAL);
  }
  pl_lock(s);
  long rc = zn_posix_pselect(pl_px(s), nfds, r, w, e, t, mask);
  pl_unlock(s);
  return (int)pl_ret(rc);
}

EXPORT int select(int nfds, fd_set *r, fd_set *w, fd_set *e,
                  struct timeval *tv) {
  if (!pl_layer_if_any())
    return get_select()(nfds, r, w, e, tv);
  if (tv && (tv->tv_sec < 0 || tv->tv_usec < 0 || tv->tv_usec >= 1000000))
    return (int)pl_ret(-EINVAL);
  struct timespec ts = {tv ? tv->tv_sec : 0, tv ? tv->tv_usec * 1000 : 0};
  uint64_t start = zn_host_now();
  int rc = do_pselect(nfds, r, w, e, tv ? &ts : NULL, NULL);
  if (tv) { /* Linux writes back the time left */
    uint64_t spent = zn_host_now() - start;
    uint64_t all = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
    uint64_t left = spent < all ? all - spent : 0;
    tv->tv_sec = (time_t)(left / 1000000000u);
    tv->tv_usec = (suseconds_t)(left % 1000000000u / 1000u);
  }
  return rc;
}

EXPORT int pselect(int nfds, fd_set *r, fd_set *w, fd_set *e,
                   const struct timespec *t, const sigset_t *mask) {
  if (!pl_layer_if_any())
    return get_pselect()(nfds, r, w, e, t, mask);
  return do_pselect(nfds, r, w, e, t, mask);
}

EXPORT int epoll_create1(int flags) {
  struct pl_shard *s = pl_shard_here();
  if (!s)
    return get_epoll_create1()(flags);
  pl_lock(s);
  long rc = zn_posix_epoll_create1(pl_px(s), flags);
  pl_unlock(s);
  return (int)pl_ret(rc);
}

EXPORT int epoll_create(int size) {
  if (size <= 0)
    return (int)pl_ret(-EINVAL);
  if (!pl_layer())
    return get_epoll_create()(size);
  return epoll_create1(0);
}

EXPORT int epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev) {
  struct pl_shard *s = pl_shard_of(epfd);
  if (!s)
    return get_epoll_ctl()(epfd, op, fd, ev);
  /* A socket of another shard: an instance that holds none of its
   * own shard's sockets yet moves to the socket's (a thread made it for
   * another); else no set waits on two stacks. */
  struct pl_shard *t = pl_shard_of(fd);
  if (t && t != s && !(op == EPOLL_CTL_ADD && pl_epoll_move(s, t, epfd))) {
    if (op != EPOLL_CTL_DEL)
      pl_tell_cross(fd);
    return (int)pl_ret(op == EPOLL_CTL_DEL ? -ENOENT : -EPERM);
  }
  if (t)
    s = t;
  ON_SOCK(s, zn_posix_epoll_ctl(PX, epfd, op, fd, ev));
}

EXPORT int epoll_pwait(int epfd, struct epoll_event *evs, int max,
                       int timeout, const sigset_t *mask) {
  struct pl_shard *s = pl_shard_of(epfd);
  if (!s)
    return get_epoll_pwait()(epfd, evs, max, timeout, mask);
  ON_SOCK(s, zn_posix_epoll_pwait(PX, epfd, evs, max, timeout, mask));
}

EXPORT int epoll_wait(int epfd, struct epoll_event *evs, int max,
                      int timeout) {
  struct pl_shard *s = pl_shard_of(epfd);
  if (!s)
    return get_epoll_wait()(epfd, evs, max, timeout);
  ON_SOCK(s, zn_posix_epoll_pwait(PX, epfd, evs, max, timeout, NULL));
}

EXPORT int epoll_pwait2(int epfd, struct epoll_event *evs, int max,
                        const struct timespec *t, const sigset_t *mask) {
  struct pl_shard *s = pl_shard_of(epfd);
  if (!s)
    return get_epoll_pwait2()(epfd, evs, max, t, mask);
  int ms = -1;
  if (t) {
    if (t->tv_sec < 0 || t->tv_nsec < 0 || t->tv_nsec >= 1000000000L)
      return (int)pl_ret(-EINVAL);
    uint64_t v = (uint64_t)t->tv_sec * 1000u +
                 ((uint64_t)t->tv_nsec + 999999u) / 1000000u;
    ms = v > INT32_MAX ? INT32_MAX : (int)v;
  }
  ON_SOCK(s, zn_posix_epoll_pwait(PX, epfd, evs, max, ms, mask));
}

/* ---- signals: SA_RESTART, per signal, and the last one caught ---- */

#define PL_NSIG 65

static struct sigaction user_sa[PL_NSIG];
static _Thread_local int last_sig;

bool pl_signal_restarts(void) {
  int s = last_sig;
  return s > 0 && s < PL_NSIG && (user_sa[s].sa_flags & SA_RESTART);
}

static void trampoline(int sig, siginfo_t *info, void *uc) {
  last_sig = sig;
  const struct sigaction *u = &user_sa[sig];
  if (u->sa_flags & SA_SIGINFO)
    u->sa_sigaction(sig, info, uc);
  else if (u->sa_handler != SIG_IGN && u->sa_handler != SIG_DFL)
    u->sa_handler(sig);
}

static bool is_handler(const struct sigaction *sa) {
  return (sa->sa_flags & SA_SIGINFO) ||
         (sa->sa_handler != SIG_IGN && sa->sa_handler != SIG_DFL);
}

EXPORT int sigaction(int sig, const struct sigaction *sa,
                     struct sigaction *old) {
  if (sig <= 0 || sig >= PL_NSIG)
    return get_sigaction()(sig, sa, old);
  struct sigaction prev = user_sa[sig];
  int rc;
  if (sa && is_handler(sa)) {
    struct sigaction mine = *sa;
    mine.sa_flags |= SA_SIGINFO;
    mine.sa_sigaction = trampoline;
    rc = get_sigaction()(sig, &mine, old);
  } else {
    rc = get_sigaction()(sig, sa, old);
  }
  if (rc != 0)
    return rc;
  if (old && prev.sa_sigaction && old->sa_sigaction == trampoline)
    *old = prev; /* the program sees its own handler */
  if (sa)
    user_sa[sig] = *sa;
  return 0;
}

/* glibc's signal() has BSD semantics: SA_RESTART. */
EXPORT sighandler_t signal(int sig, sighandler_t fn) {
  struct sigaction sa, old;
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = fn;
  sa.sa_flags = SA_RESTART;
  sigemptyset(&sa.sa_mask);
  sigaddset(&sa.sa_mask, sig);
  if (sigaction(sig, &sa, &old) != 0)
    return SIG_ERR;
  return old.sa_handler;
}

/* NOLINTEND(readability-inconsistent-declaration-parameter-name,
 *           bugprone-reserved-identifier,cert-dcl37-c,cert-dcl51-cpp) */
