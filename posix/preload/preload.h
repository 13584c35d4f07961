/* The Linux host of libznet-posix inside a program started by znet-run:
 * one stack on the netif the flags name, one socket layer over it, one
 * lock around both (host.c); and the C library's socket calls, replaced
 * (preload.c).
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

/* The layer, built on first use; NULL if znet-run did not start the
 * program or the stack could not be built (said once on stderr). */
struct zn_posix *pl_layer(void);
/* znet-run started the program but its stack could not be built. */
bool pl_broken(void);
/* The layer if it exists already (no building). */
struct zn_posix *pl_layer_if_any(void);
/* The same, for a call that uses a socket (not close): in a fork's child
 * in a group of shards, it first builds the child's own stack. */
struct zn_posix *pl_layer_use(void);
/* A fork's child whose shard is not built yet (pl_layer_use builds it):
 * the calls that look for the layer's sockets in a set only need to
 * look then. */
bool pl_shard_pending(void);

/* In the parent, after fork: the child, pid, is one of the group's. */
void pl_forked(pid_t pid);
void pl_lock(void);
void pl_unlock(void);

/* With the lock held: wake the other threads waiting in the layer (a
 * callback of the stack finished what one of them waits for). */
void pl_wake(void);

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

/* Whether fd is the layer's (no lock needed). */
bool pl_owns(int fd);

/* Signals: the preload's sigaction records each handler's SA_RESTART and
 * which signal a thread caught last (preload.c). */
bool pl_signal_restarts(void);

/* With the lock held: run the stack until done(arg) or deadline (ns,
 * zn_host_now's clock).  Returns 0, -ETIMEDOUT or -EINTR (a signal
 * without SA_RESTART). */
int pl_block(bool (*done)(void *arg), void *arg, uint64_t deadline);

/* The examples' host the stack was built with (flags, stack, netif);
 * NULL before the layer exists. */
struct ex_host;
struct ex_host *pl_host(void);

#endif /* ZNET_POSIX_PRELOAD_H */
