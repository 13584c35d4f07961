/* select for znet's Solo5 runtime (libznet-posix, posix_host.c): sets of
 * FD_SETSIZE descriptors, laid out as the C library's on Linux. */
#ifndef ZN_SOLO5_SYS_SELECT_H
#define ZN_SOLO5_SYS_SELECT_H

#include <signal.h>
#include <sys/time.h>
#include <time.h>

#define FD_SETSIZE 1024
#define ZN_FD_BITS (8 * (int)sizeof(long))

typedef struct {
  long fds_bits[FD_SETSIZE / (8 * sizeof(long))];
} fd_set;

#define FD_ZERO(s)                                                            \
  do {                                                                        \
    for (unsigned zn_i_ = 0;                                                  \
         zn_i_ < sizeof((s)->fds_bits) / sizeof((s)->fds_bits[0]); zn_i_++)   \
      (s)->fds_bits[zn_i_] = 0;                                               \
  } while (0)
#define FD_SET(d, s)                                                          \
  ((void)((s)->fds_bits[(d) / ZN_FD_BITS] |= 1L << ((d) % ZN_FD_BITS)))
#define FD_CLR(d, s)                                                          \
  ((void)((s)->fds_bits[(d) / ZN_FD_BITS] &= ~(1L << ((d) % ZN_FD_BITS))))
#define FD_ISSET(d, s)                                                        \
  (((s)->fds_bits[(d) / ZN_FD_BITS] & (1L << ((d) % ZN_FD_BITS))) != 0)

int select(int nfds, fd_set *r, fd_set *w, fd_set *e, struct timeval *timeout);
int pselect(int nfds, fd_set *r, fd_set *w, fd_set *e,
            const struct timespec *timeout, const sigset_t *sigmask);

#endif
