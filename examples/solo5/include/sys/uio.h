/* Scatter and gather for znet's Solo5 runtime (readv and writev on the
 * sockets of libznet-posix, examples/solo5/posix_host.c). */
#ifndef ZN_SOLO5_SYS_UIO_H
#define ZN_SOLO5_SYS_UIO_H

#include <sys/types.h>

struct iovec {
  void *iov_base;
  size_t iov_len;
};

#define UIO_MAXIOV 1024
#define IOV_MAX 1024

ssize_t readv(int fd, const struct iovec *iov, int n);
ssize_t writev(int fd, const struct iovec *iov, int n);

#endif
