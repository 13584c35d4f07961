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

/* A socket's (or epoll instance's) side of the generic calls. */
long zrt_net_readv(int fd, const struct iovec *iov, int n);
long zrt_net_writev(int fd, const struct iovec *iov, int n);
long zrt_net_close(int fd);
/* dup/dup2/dup3 of a socket (newfd -1: the lowest free). */
long zrt_net_dup(int oldfd, int newfd, int flags);
/* Before another descriptor is dup2'd over fd: let go of it if it is a
 * socket of the layer. */
void zrt_net_forget(int fd);
long zrt_net_fcntl(int fd, int cmd, long arg);
long zrt_net_ioctl(int fd, unsigned long req, void *arg);
long zrt_net_fstat(int fd, struct stat *st);
/* sendfile(2) whose out_fd is a socket. */
long zrt_net_sendfile(int out_fd, int in_fd, off_t *off, size_t count);
/* A descriptor (any) is closed: drop its epoll registrations. */
void zrt_net_fd_closed(int fd);
/* SIGPIPE for -EPIPE unless flags has MSG_NOSIGNAL; returns rc. */
long zrt_net_sigpipe(long rc, int flags);

#endif
