/** \file
 * libznet-posix: BSD sockets over one znet stack, with Linux's semantics
 * and errno values.
 *
 * This is the socket layer itself, with the process's sockets held in one
 * `struct zn_posix`.  Every call takes the layer first and returns what
 * the POSIX call of the same name returns, except that a failure is
 * returned as a negative errno value (-EAGAIN) instead of -1 and errno,
 * as Linux's system calls do.  The preload (znet-run) and a Solo5 image
 * call these from `socket()`, `recv()`, ... ; tests and embedders call
 * them directly, with any number of layers in one process.
 *
 * Descriptors.  A socket is a descriptor number the host reserves
 * (zn_posix_host.fd_reserve: on Linux one kernel descriptor per socket,
 * close-on-exec, so the kernel never hands the number out twice).
 * Descriptors the layer does not own are "foreign": poll, select and
 * epoll watch them through the host (zn_posix_host.kpoll and the k*
 * epoll calls), so one wait mixes both.
 *
 * Threads.  The layer is not thread-safe by itself: the caller holds
 * one lock around every call (the Linux host's `zn_posix_lock`), and a
 * blocking call lets go of it only inside zn_posix_host.wait.  Callbacks
 * of the stack run inside zn_stack_poll(), which the layer calls with the
 * lock held.
 *
 * Blocking calls drive the stack: they poll it, and sleep in
 * zn_posix_host.wait until a frame may have arrived, another thread woke
 * them, the stack's next deadline, their own timeout, or a signal.
 *
 * docs/POSIX.md lists every call and option, and every difference from
 * Linux.
 */
#ifndef ZNET_POSIX_H
#define ZNET_POSIX_H

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <time.h>

#include "znet/stack.h"

struct zn_posix;
struct mmsghdr; /* <sys/socket.h> declares it with _GNU_SOURCE */

/** Returned (negated) by zn_posix_host.wait when a signal interrupted the
 * sleep and its handler asked for system calls to be restarted
 * (SA_RESTART): a socket call without a timeout goes on waiting, as
 * Linux restarts it; poll, select and epoll return -EINTR regardless. */
#define ZN_POSIX_ERESTART 512

/** What the layer needs from the system it runs on.  Every function gets
 * `ctx`.  Optional members may be NULL. */
struct zn_posix_host {
  void *ctx;
  /** The stack's clock, ns (the netif's). */
  uint64_t (*now)(void *ctx);
  /** A descriptor number nobody else gets until fd_release, >= 0; or
   * -errno (-EMFILE). */
  int (*fd_reserve)(void *ctx);
  /** Give the number back (the descriptor is closed). */
  void (*fd_release)(void *ctx, int fd);
  /** Optional: dup, dup2/dup3 of a reserved descriptor: newfd -1 for the
   * lowest free number (at least `min`), else exactly newfd (closing what
   * was there); flags O_CLOEXEC.  Returns the new number or -errno.
   * NULL: dup fails with -EOPNOTSUPP. */
  int (*fd_dup)(void *ctx, int oldfd, int newfd, int min, int flags);
  /** Sleep, with the caller's lock let go, until a frame may have
   * arrived, zn_posix_host.wake, one of the n foreign descriptors in
   * kfds is ready (revents filled in as poll(2) does), `deadline` (ns on
   * the `now` clock; UINT64_MAX: none), or a signal.  sigmask: as
   * ppoll's (NULL: unchanged).  Returns the number of kfds with revents,
   * 0, -EINTR, -ZN_POSIX_ERESTART, or another -errno. */
  int (*wait)(void *ctx, struct pollfd *kfds, unsigned n, uint64_t deadline,
              const sigset_t *sigmask);
  /** Optional: something other threads may wait for has changed (called
   * with the lock held, at most once per call or poll). */
  void (*wake)(void *ctx);
  /** Optional, foreign descriptors in epoll: epoll_create1, epoll_ctl and
   * epoll_wait with timeout 0 of the host's own epoll.  NULL: an epoll
   * instance takes only the layer's sockets (its number comes from
   * fd_reserve), and adding another descriptor fails with -EPERM. */
  int (*kepoll_create)(void *ctx, int flags);
  int (*kepoll_ctl)(void *ctx, int epfd, int op, int fd,
                    struct epoll_event *ev);
  int (*kepoll_wait)(void *ctx, int epfd, struct epoll_event *evs, int max);
  /** Optional: the host's epoll made by kepoll_create as `from` is known
   * as `to` from now on (`from` is being closed, `to` is a dup of it that
   * stays).  NULL: the host's numbers of one epoll are interchangeable
   * (dups of one kernel epoll). */
  void (*kepoll_renumber)(void *ctx, int from, int to);
  /** Optional, for a group of shards (`znet/steer.h`): this process now
   * takes what arrives on proto (6, 17) and port (on), or no longer (off).
   * On: the program first accepts, receives, polls or adds to epoll a
   * listener (or an unconnected bound UDP socket) of that port; off: the
   * last such socket is closed.  Called with the lock held.  With it
   * set, a TCP listener takes no connection until served (its SYNs go
   * unanswered and the peer sends them again: zn_tcp_set_held()), so a
   * master whose workers serve its port leaves them to the workers. */
  void (*serve)(void *ctx, uint8_t proto, uint16_t port, bool on);
  /** Optional: after a fork (zn_posix_forked), the program called on fd,
   * a socket that stays with the parent's stack (a connection, or any
   * socket when no zn_posix_reshard moved the layer): the call fails
   * with EBADF (poll: POLLNVAL), and the host may say why.  Called with
   * the lock held, at each such call. */
  void (*orphan)(void *ctx, int fd);
};

struct zn_posix_cfg {
  uint32_t max_fd;      /**< descriptor numbers below this can be
                             sockets (the host's limit, e.g.
                             RLIMIT_NOFILE) */
  uint32_t socks;       /**< sockets at once, those still closing
                             included */
  uint32_t epolls;      /**< epoll instances */
  uint32_t epoll_items; /**< sockets registered in epoll instances, all
                             together */
  uint32_t dgrams;      /**< UDP datagrams waiting to be read, all
                             sockets together (each also within its
                             socket's SO_RCVBUF) */
  uint32_t exit_linger_ms; /**< zn_posix_drain's bound */
};

/** Defaults sized from the stack's configuration (sockets: its TCP
 * connections plus its UDP sockets). */
void zn_posix_cfg_default(struct zn_posix_cfg *cfg,
                          const struct zn_config *stack_cfg);

/** Bytes zn_posix_init needs for cfg; 0 if cfg is invalid. */
size_t zn_posix_mem_size(const struct zn_posix_cfg *cfg);

/** Build a layer over st (already attached to its netif and polled once)
 * inside [mem, mem+len).  host is copied.  Errors: ZN_EINVAL (a required
 * host function missing, bad cfg), ZN_ENOMEM (len too small). */
int zn_posix_init(struct zn_stack *st, const struct zn_posix_cfg *cfg,
                  const struct zn_posix_host *host, void *mem, size_t len,
                  struct zn_posix **out);

/** Abort every socket (RST), release their descriptors, and leave the
 * stack to the caller. */
void zn_posix_destroy(struct zn_posix *px);

struct zn_stack *zn_posix_stack(const struct zn_posix *px);

/** Whether fd is one of the layer's sockets or epoll instances.  Safe to
 * call without the lock (a relaxed read of the descriptor table). */
bool zn_posix_owns(const struct zn_posix *px, int fd);

/** The layer's own counters (the stack's are zn_stats_get's). */
struct zn_posix_stats {
  uint64_t udp_drop_rcvbuf;  /**< datagrams dropped: their socket's
                                  SO_RCVBUF was full */
  uint64_t udp_drop_nodgram; /**< datagrams dropped: all cfg.dgrams
                                  records in use */
};

void zn_posix_get_stats(const struct zn_posix *px,
                        struct zn_posix_stats *out);

/** Poll the stack once now (timers, frames); returns zn_stack_poll's
 * value.  For a host's own driver thread. */
int zn_posix_drive(struct zn_posix *px);

/** At exit: run the stack until every socket's queued data has been sent
 * and acknowledged and its FIN answered, or cfg.exit_linger_ms passed. */
void zn_posix_drain(struct zn_posix *px);

/** The child of fork(): every socket becomes an orphan (a later close
 * releases the descriptor, sending nothing; any other call fails with
 * -EBADF) and the stack is never polled again by this layer. */
void zn_posix_forked(struct zn_posix *px);

/**
 * The child of fork() with a stack of its own (a shard: `znet/steer.h`):
 * the layer moves to st, a new stack with the same address, and every
 * socket the parent had is made again there where that makes sense.  A
 * listener listens again (its address, port, backlog, settings; once
 * per SO_REUSEPORT ring), a UDP socket is opened again (its binding,
 * peer, TOS and TTL; datagrams queued in the parent's stack are
 * dropped); a TCP connection stays the parent's and becomes an orphan
 * here (close only, -EBADF otherwise).  The parent's stack is not
 * touched (its objects are forgotten, not freed: it is the parent's
 * copy).  Descriptor numbers, epoll memberships and options stay.
 * Returns 0, or the first -errno of a socket that could not be made
 * again (that one is an orphan; the others are made).
 */
int zn_posix_reshard(struct zn_posix *px, struct zn_stack *st);

/** Whether a send's answer rc (sendto, sendmsg, sendmmsg, write, writev
 * on a socket; flags 0 for the last two) asks the host to raise SIGPIPE,
 * as Linux does: -EPIPE without MSG_NOSIGNAL.  The layer never raises a
 * signal itself: znet-run raises it with raise(), an image with its own
 * signals. */
static inline bool zn_posix_sigpipe_due(long rc, int flags) {
  return rc == -EPIPE && !(flags & MSG_NOSIGNAL);
}

/** sendfile's loop, as znet-run and an image both run it (a file to a
 * socket through a bounce buffer, as the kernel's splice would): up to
 * count bytes of the file from *pos, read into buf (bufsz bytes at a
 * time) by `rd` (a pread: bytes read, 0 at the end, -errno) and handed
 * to `wr` (bytes taken, -errno), until the end, count, a short write or
 * an error.  *pos advances by what was written.  Returns the bytes
 * written, or the first error when none were (the caller applies
 * zn_posix_sigpipe_due to it). */
static inline long zn_posix_sendfile_loop(
    long (*rd)(void *ctx, void *buf, size_t n, off_t off), void *rctx,
    long (*wr)(void *ctx, const void *buf, size_t n), void *wctx,
    off_t *pos, size_t count, void *buf, size_t bufsz) {
  size_t total = 0;
  while (total < count) {
    size_t want = count - total < bufsz ? count - total : bufsz;
    long r = rd(rctx, buf, want, *pos);
    if (r <= 0)
      return total > 0 ? (long)total : r;
    long w = wr(wctx, buf, (size_t)r);
    if (w < 0)
      return total > 0 ? (long)total : w;
    total += (size_t)w;
    *pos += w;
    if (w < r)
      break;
  }
  return (long)total;
}

/* ---- the calls; each returns what POSIX does, or -errno ---- */

int zn_posix_socket(struct zn_posix *px, int domain, int type, int protocol);
int zn_posix_bind(struct zn_posix *px, int fd, const struct sockaddr *sa,
                  socklen_t len);
int zn_posix_listen(struct zn_posix *px, int fd, int backlog);
int zn_posix_accept4(struct zn_posix *px, int fd, struct sockaddr *sa,
                     socklen_t *len, int flags);
int zn_posix_connect(struct zn_posix *px, int fd, const struct sockaddr *sa,
                     socklen_t len);
ssize_t zn_posix_sendmsg(struct zn_posix *px, int fd,
                         const struct msghdr *msg, int flags);
ssize_t zn_posix_recvmsg(struct zn_posix *px, int fd, struct msghdr *msg,
                         int flags);
ssize_t zn_posix_sendto(struct zn_posix *px, int fd, const void *buf,
                        size_t len, int flags, const struct sockaddr *sa,
                        socklen_t salen);
ssize_t zn_posix_recvfrom(struct zn_posix *px, int fd, void *buf, size_t len,
                          int flags, struct sockaddr *sa, socklen_t *salen);
int zn_posix_sendmmsg(struct zn_posix *px, int fd, struct mmsghdr *v,
                      unsigned n, int flags);
int zn_posix_recvmmsg(struct zn_posix *px, int fd, struct mmsghdr *v,
                      unsigned n, int flags, struct timespec *timeout);
ssize_t zn_posix_readv(struct zn_posix *px, int fd, const struct iovec *iov,
                       int n);
ssize_t zn_posix_writev(struct zn_posix *px, int fd, const struct iovec *iov,
                        int n);
int zn_posix_shutdown(struct zn_posix *px, int fd, int how);
int zn_posix_close(struct zn_posix *px, int fd);
int zn_posix_getsockname(struct zn_posix *px, int fd, struct sockaddr *sa,
                         socklen_t *len);
int zn_posix_getpeername(struct zn_posix *px, int fd, struct sockaddr *sa,
                         socklen_t *len);
int zn_posix_getsockopt(struct zn_posix *px, int fd, int level, int name,
                        void *val, socklen_t *len);
int zn_posix_setsockopt(struct zn_posix *px, int fd, int level, int name,
                        const void *val, socklen_t len);
/** F_GETFL, F_SETFL (O_NONBLOCK), F_GETFD, F_SETFD, F_DUPFD,
 * F_DUPFD_CLOEXEC; the host handles FD_CLOEXEC (fd_dup and its own
 * descriptor), so F_GETFD/F_SETFD return -ENOSYS here for the caller to
 * pass on, as is every command on an epoll instance (its descriptor is
 * the host's).  Other commands: -EINVAL. */
int zn_posix_fcntl(struct zn_posix *px, int fd, int cmd, long arg);
/** FIONBIO, FIONREAD (and SIOCINQ), SIOCOUTQ, SIOCATMARK; others
 * -ENOTTY. */
int zn_posix_ioctl(struct zn_posix *px, int fd, unsigned long req, void *arg);
/** dup (newfd -1), dup2 and dup3 (flags O_CLOEXEC) of a socket: the new
 * number shares the socket (its O_NONBLOCK included).  dup2 over a socket
 * closes it first. */
int zn_posix_dup3(struct zn_posix *px, int oldfd, int newfd, int flags);
/** Before a foreign descriptor is dup2'd over newfd: if newfd is one of
 * ours, let go of it (as close). */
void zn_posix_forget(struct zn_posix *px, int fd);

/** poll/ppoll: timeout NULL waits without limit; sigmask as ppoll's. */
int zn_posix_ppoll(struct zn_posix *px, struct pollfd *fds, nfds_t n,
                   const struct timespec *timeout, const sigset_t *sigmask);
/** select/pselect over the first nfds descriptors (at most FD_SETSIZE);
 * timeout NULL waits without limit.  The sets are rewritten as select
 * does. */
int zn_posix_pselect(struct zn_posix *px, int nfds, fd_set *r, fd_set *w,
                     fd_set *e, const struct timespec *timeout,
                     const sigset_t *sigmask);

int zn_posix_epoll_create1(struct zn_posix *px, int flags);
int zn_posix_epoll_ctl(struct zn_posix *px, int epfd, int op, int fd,
                       struct epoll_event *ev);
/** timeout_ms < 0: without limit. */
int zn_posix_epoll_pwait(struct zn_posix *px, int epfd,
                         struct epoll_event *evs, int max, int timeout_ms,
                         const sigset_t *sigmask);
/** Whether socket fd of layer `mine`, bound to sa, would clash with a
 * socket of another layer, px, over a stack with the same address (two
 * threads' shards of one program): -EADDRINUSE when a socket of px of
 * the same kind holds the same port on an address that overlaps (one is
 * the wildcard, or they are equal) and the two are not both
 * SO_REUSEPORT; 0 otherwise (port 0 too: each stack's ephemeral ports
 * are its own); fd's and sa's errors as zn_posix_bind's.  Both layers'
 * locks are the caller's. */
int zn_posix_bind_check(const struct zn_posix *px, struct zn_posix *mine,
                        int fd, const struct sockaddr *sa, socklen_t len);
/** Move instance epfd from layer `from` to layer `to` (two stacks of one
 * program: a thread made the instance, another adds its own sockets):
 * the same number, the host's epoll and what is registered there kept.
 * Only an instance on the host's epoll that holds none of from's sockets
 * and that no thread waits on moves.  Both layers' hosts must be one
 * process's.  Returns 0, -EBADF (not an instance of from), -EBUSY (it
 * holds sockets of from, or a thread waits on it), -EINVAL (no host
 * epoll under it), -ENFILE (to has no free instance). */
int zn_posix_epoll_move(struct zn_posix *from, struct zn_posix *to, int epfd);

#endif /* ZNET_POSIX_H */
