/* Two socket layers over two stacks joined by a memlink, on a virtual
 * clock: a blocking call on one side runs both stacks (the host's wait
 * advances the clock and polls them), so one thread can drive a
 * conversation.  Descriptors are real (eventfd), so numbers, dup and the
 * kernel's own descriptors (pipes) mix as they do under the preload.
 *
 * pa / pb: the layers of stack a (10.0.0.1/24, and fd00::1/64 when
 * ipv6) and b (10.0.0.2/24, fd00::2/64). */
#ifndef TESTS_POSIX_PX_FIXTURE_H
#define TESTS_POSIX_PX_FIXTURE_H

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "harness.h"
#include "zt.h"
#include "znet/posix.h"

struct px_pair {
  struct th_pair p;
  struct zn_posix *pa, *pb;
  void *ma, *mb;
  uint64_t waits;         /* host waits so far (a blocking call ran) */
  uint64_t limit;         /* virtual ns after which a wait says EINTR */
  int intr_after;         /* > 0: the n-th wait from now says EINTR */
  bool intr_restart;      /* ... as a signal with SA_RESTART */
  /* pxp_init_group: b's layer tells its host which ports it serves. */
  bool grouped;
  struct {
    uint8_t proto;
    uint16_t port;
    bool on;
  } served[8];
  unsigned nserved;
  /* b's host's orphan hook: calls, and the last descriptor. */
  unsigned orphans;
  int orphan_fd;
};

extern struct px_pair *pxp;

void pxp_init(struct px_pair *x, bool ipv6);
/* IPv4 only, and b's layer in a group of shards: its host's serve hook
 * logs each call in served[]. */
void pxp_init_group(struct px_pair *x);
void pxp_free(struct px_pair *x);
/* Run both stacks for dur ns of virtual time. */
void pxp_run(struct px_pair *x, uint64_t dur);

/* Addresses. */
struct sockaddr_in pxp_sin(uint32_t host_order, uint16_t port);
struct sockaddr_in6 pxp_sin6(const char *text, uint16_t port);

/* A TCP listener on b (AF_INET, port), a client on a connected to it,
 * and the accepted socket on b: fds in *cli, *srv (and *lis). */
void pxp_tcp_connected(struct px_pair *x, uint16_t port, int *lis, int *cli,
                       int *srv);

#endif
