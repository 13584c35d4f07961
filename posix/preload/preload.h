/* The Linux host of libznet-posix inside a program started by znet-run:
 * a stack on the netif the flags name, a socket layer over it, a lock
 * around both (preload_host.c: one per process, or per shard); and the C
 * library's socket calls, replaced (preload.c).
 *
 * znet-run passes its flags in the environment (ZNET_RUN_ARGS, the
 * arguments separated by 0x1f; its --dns servers in ZNET_RUN_DNS); the
 * first call that needs the stack
 * (socket() of AF_INET or AF_INET6, epoll_create, getaddrinfo) builds it
 * from them and takes the variables out of the environment, so programs
 * this one executes run on the kernel's network. */
#ifndef ZNET_POSIX_PRELOAD_H
#define ZNET_POSIX_PRELOAD_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "znet/posix.h"

/* A stack and the socket layer over it, with its lock: the process's
 * one, or (znet-run --thread-shards, on a group's multi-queue TAP) one
 * per thread that opens sockets, each on a queue of its own. */
struct pl_shard;

/* The process's layer, built on first use; NULL if znet-run did not
 * start the program or the stack could not be built (said once on
 * stderr). */
struct zn_posix *pl_layer(void);
/* znet-run started the program but its stack could not be built. */
bool pl_broken(void);
/* The process's layer if it exists already (no building). */
struct zn_posix *pl_layer_if_any(void);
/* The process's shard (its DNS, a call on no socket of any shard). */
struct pl_shard *pl_primary(void);
/* The shard whose layer holds fd, or NULL (no lock needed). */
struct pl_shard *pl_shard_of(int fd);
/* Where the calling thread's new sockets go (socket, epoll_create):
 * the process's shard, or with --thread-shards the thread's own, made at
 * its first call.  Builds the layer; NULL without one. */
struct pl_shard *pl_shard_here(void);
/* The calling thread's shard if it has one yet, else the process's (no
 * building). */
struct pl_shard *pl_shard_mine(void);
/* More than one shard in this process (--thread-shards): a set's
 * sockets must be looked at to know where it waits. */
bool pl_many_shards(void);
/* s, ready for a call that uses a socket of it (not close): in a fork's
 * child in a group of shards, it first builds the child's own stack. */
struct pl_shard *pl_shard_use(struct pl_shard *s);
/* The layer of s. */
struct zn_posix *pl_px(struct pl_shard *s);
/* A fork's child whose shard is not built yet (pl_shard_use builds it):
 * the calls that look for the layer's sockets in a set only need to
 * look then. */
bool pl_shard_pending(void);
/* Move epoll instance epfd from shard `from` to shard `to`
 * (zn_posix_epoll_move, both locks taken in the shards' order): true if
 * it moved.  The calling thread's new sockets then go to `to` if they
 * went to `from`. */
bool pl_epoll_move(struct pl_shard *from, struct pl_shard *to, int epfd);
/* bind(fd, sa) in shard s, refused with -EADDRINUSE when a socket of
 * another shard of the process holds the port as Linux would refuse it
 * in one stack (zn_posix_bind_check); checks and binds one at a time. */
long pl_bind_shared(struct pl_shard *s, int fd, const struct sockaddr *sa,
                    socklen_t len);
/* Once per process: fd, of another shard, cannot join a set of this
 * one (--thread-shards). */
void pl_tell_cross(int fd);

/* In the parent, after fork: the child, pid, is one of the group's. */
void pl_forked(pid_t pid);
void pl_lock(struct pl_shard *s);
void pl_unlock(struct pl_shard *s);

/* With s's lock held: wake the other threads waiting in its layer (a
 * callback of the stack finished what one of them waits for). */
void pl_wake(struct pl_shard *s);

/* The DNS servers znet-run's --dns named (*out points at them), how
 * many; 0: the resolver's own (RDNSS, then DHCPv4's). */
struct zn_dns_server;
uint32_t pl_dns_servers(const struct zn_dns_server **out);

/* errno and -1 for a negative result. */
static inline long pl_ret(long rc) {
  if (rc < 0) {
    errno = (int)-rc;
    return -1;
  }
  return rc;
}

/* Whether fd is a socket of some shard's layer (no lock needed). */
bool pl_owns(int fd);

/* Signals: the preload's sigaction records each handler's SA_RESTART and
 * which signal a thread caught last (preload.c). */
bool pl_signal_restarts(void);

/* With s's lock held: run its stack until done(arg) or deadline (ns,
 * zn_host_now's clock).  Returns 0, -ETIMEDOUT or -EINTR (a signal
 * without SA_RESTART). */
int pl_block(struct pl_shard *s, bool (*done)(void *arg), void *arg,
             uint64_t deadline);

#endif /* ZNET_POSIX_PRELOAD_H */
