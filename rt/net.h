/*
 * rt/net.c's interface: what the descriptor table (rt/fd.c) hands over
 * for a socket or epoll instance of libznet-posix, and the layer for
 * the rest of the runtime.
 */
#ifndef ZN_RT_NET_H
#define ZN_RT_NET_H

#include <stdbool.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>

struct zn_posix;

/* The socket layer (NULL before zrt_net_start). */
struct zn_posix *zrt_net_layer(void);

/* (The socket side of the generic calls, zrt_net_readv and the rest, is
 * declared in rt.h, for rt/fd.c.) */
/* A descriptor (any) is closed: drop its epoll registrations. */
void zrt_net_fd_closed(int fd);
/* SIGPIPE for -EPIPE unless flags has MSG_NOSIGNAL; returns rc. */
long zrt_net_sigpipe(long rc, int flags);

#endif
