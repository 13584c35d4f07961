/* zn_posix_reshard: the layer of a fork's child moved to a stack of its
 * own.  Side b's sockets (a listener pair sharing a port by SO_REUSEPORT,
 * with one of them in an epoll instance; a bound UDP socket; an accepted
 * connection) are made before the "fork"; then b's stack is replaced on
 * the link by a new one with the same address, as the child's shard
 * would be on its own queue, and the layer is moved to it.  The old stack
 * is left unpolled: the parent's copy.  And zn_posix_epoll_move: an
 * epoll instance moved from one layer to another (a thread's shard). */
#include <unistd.h>

#include "px_fixture.h"

#define A(x) ((struct sockaddr *)&(x))

static struct px_pair X;

/* A listener on port; flags: SOCK_NONBLOCK or 0. */
static int listener(struct zn_posix *px, uint16_t port, bool reuseport,
                    int flags) {
  int l = zn_posix_socket(px, AF_INET, SOCK_STREAM | flags, 0);
  int on = 1;
  if (reuseport)
    ZT_EQ(zn_posix_setsockopt(px, l, SOL_SOCKET, SO_REUSEPORT, &on,
                              sizeof(on)),
          0);
  struct sockaddr_in sa = pxp_sin(0, port);
  ZT_EQ(zn_posix_bind(px, l, A(sa), sizeof(sa)), 0);
  ZT_EQ(zn_posix_listen(px, l, 8), 0);
  return l;
}

ZT_TEST(test_listeners_and_udp_made_again_connections_orphaned) {
  int l1 = listener(X.pb, 8080, true, 0);
  int l2 = listener(X.pb, 8080, true, 0);
  int u = zn_posix_socket(X.pb, AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in us = pxp_sin(0, 5353);
  ZT_EQ(zn_posix_bind(X.pb, u, A(us), sizeof(us)), 0);
  int lis, c, s;
  pxp_tcp_connected(&X, 9090, &lis, &c, &s);
  int ep = zn_posix_epoll_create1(X.pb, 0);
  ZT_CHECK(ep >= 0);
  struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 77};
  ZT_EQ(zn_posix_epoll_ctl(X.pb, ep, EPOLL_CTL_ADD, l1, &ev), 0);

  /* The fork: b's stack replaced by a new one with b's address. */
  struct zn_stack *old = X.p.b;
  struct zn_config cb;
  th_config(&cb, ZN_IPV4(10, 0, 0, 2), 24, 2);
  cb.ipv6 = true;
  cb.ipv6_dad_transmits = 0;
  struct zn_stack *b2 = th_stack_new(&cb);
  ZT_REQUIRE(b2 != NULL);
  ZT_EQ(zn_stack_attach(b2, &X.p.link.b.nif), ZN_OK);
  X.p.b = b2;
  pxp_run(&X, 1000);
  zn_posix_forked(X.pb); /* as the preload's fork handler does first */
  ZT_EQ(zn_posix_reshard(X.pb, b2), 0);

  /* The listeners take a new connection, through the epoll instance. */
  int c2 = zn_posix_socket(X.pa, AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in to = pxp_sin(ZN_IPV4(10, 0, 0, 2), 8080);
  ZT_EQ(zn_posix_connect(X.pa, c2, A(to), sizeof(to)), 0);
  struct epoll_event got;
  ZT_EQ(zn_posix_epoll_pwait(X.pb, ep, &got, 1, 1000, NULL), 1);
  ZT_EQU(got.data.u64, 77);
  int s2 = zn_posix_accept4(X.pb, l1, NULL, NULL, 0);
  ZT_CHECK(s2 >= 0);
  ZT_EQ(zn_posix_sendto(X.pa, c2, "after", 5, 0, NULL, 0), 5);
  char buf[16] = {0};
  ZT_EQ(zn_posix_recvfrom(X.pb, s2, buf, sizeof(buf), 0, NULL, NULL), 5);
  ZT_MEMEQ(buf, "after", 5);
  ZT_EQ(zn_posix_sendto(X.pb, s2, "fork", 4, 0, NULL, 0), 4);
  ZT_EQ(zn_posix_recvfrom(X.pa, c2, buf, sizeof(buf), 0, NULL, NULL), 4);
  ZT_MEMEQ(buf, "fork", 4);
  /* Its SO_REUSEPORT partner shares the listener made again. */
  int c3 = zn_posix_socket(X.pa, AF_INET, SOCK_STREAM, 0);
  ZT_EQ(zn_posix_connect(X.pa, c3, A(to), sizeof(to)), 0);
  int s3 = zn_posix_accept4(X.pb, l2, NULL, NULL, 0);
  ZT_CHECK(s3 >= 0);

  /* The UDP socket is bound again: a datagram to 5353 arrives. */
  int ua = zn_posix_socket(X.pa, AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in ut = pxp_sin(ZN_IPV4(10, 0, 0, 2), 5353);
  ZT_EQ(zn_posix_sendto(X.pa, ua, "dgram", 5, 0, A(ut), sizeof(ut)), 5);
  memset(buf, 0, sizeof(buf));
  ZT_EQ(zn_posix_recvfrom(X.pb, u, buf, sizeof(buf), 0, NULL, NULL), 5);
  ZT_MEMEQ(buf, "dgram", 5);

  /* The connection accepted before the fork is the parent's: here it
   * only closes, and the host hears of each call refused. */
  unsigned before = X.orphans;
  ZT_EQ(zn_posix_sendto(X.pb, s, "x", 1, 0, NULL, 0), -EBADF);
  ZT_EQU(X.orphans, before + 1);
  ZT_EQ(X.orphan_fd, s);
  ZT_EQ(zn_posix_recvfrom(X.pb, s, buf, 1, MSG_DONTWAIT, NULL, NULL), -EBADF);
  struct epoll_event eo = {.events = EPOLLIN};
  ZT_EQ(zn_posix_epoll_ctl(X.pb, ep, EPOLL_CTL_ADD, s, &eo), -EBADF);
  struct pollfd pf = {.fd = s, .events = POLLIN};
  struct timespec zero = {0, 0};
  ZT_EQ(zn_posix_ppoll(X.pb, &pf, 1, &zero, NULL), 1);
  ZT_EQ(pf.revents, POLLNVAL);
  ZT_EQU(X.orphans, before + 4);
  ZT_EQ(zn_posix_close(X.pb, s), 0); /* closing says nothing */
  ZT_EQU(X.orphans, before + 4);
  /* The one listener that was made again for port 9090 is there too. */
  int c4 = zn_posix_socket(X.pa, AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in to9 = pxp_sin(ZN_IPV4(10, 0, 0, 2), 9090);
  ZT_EQ(zn_posix_connect(X.pa, c4, A(to9), sizeof(to9)), 0);
  int s4 = zn_posix_accept4(X.pb, lis, NULL, NULL, 0);
  ZT_CHECK(s4 >= 0);

  int fds_a[] = {c, c2, c3, c4, ua}, fds_b[] = {s2, s3, s4, l1, l2, lis, u,
                                                 ep};
  for (size_t i = 0; i < sizeof(fds_a) / sizeof(fds_a[0]); i++)
    zn_posix_close(X.pa, fds_a[i]);
  for (size_t i = 0; i < sizeof(fds_b) / sizeof(fds_b[0]); i++)
    zn_posix_close(X.pb, fds_b[i]);
  pxp_run(&X, 100ull * 1000000000ull);
  /* The parent's stack, as the parent would close it. */
  th_stack_free(old);
}

ZT_TEST(test_reshard_refuses_null) {
  ZT_EQ(zn_posix_reshard(NULL, X.p.b), -EINVAL);
  ZT_EQ(zn_posix_reshard(X.pb, NULL), -EINVAL);
}

/* In a group (the host has a serve hook) a listener nobody serves yet
 * holds: a client's SYNs go unanswered and counted, no connection waits
 * in it; once the program polls it (epoll_ctl ADD) the host hears of the
 * port and the client's next SYN connects.  After the fork the listener
 * made again holds until the child uses it. */
ZT_TEST(test_listener_held_until_served) {
  int l = listener(X.pb, 8080, false, SOCK_NONBLOCK);
  ZT_EQU(X.nserved, 0);
  int c = zn_posix_socket(X.pa, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  struct sockaddr_in to = pxp_sin(ZN_IPV4(10, 0, 0, 2), 8080);
  ZT_EQ(zn_posix_connect(X.pa, c, A(to), sizeof(to)), -EINPROGRESS);
  pxp_run(&X, 500ull * 1000000ull);
  ZT_EQU(zn_stat(X.p.b, ZN_STAT_tcp_drop_held_syn), 1);
  ZT_EQ(zn_posix_accept4(X.pb, l, NULL, NULL, 0), -EAGAIN);
  /* accept4 used it: served from now on. */
  ZT_EQU(X.nserved, 1);
  ZT_EQU(X.served[0].proto, 6);
  ZT_EQU(X.served[0].port, 8080);
  ZT_CHECK(X.served[0].on);
  pxp_run(&X, 3ull * 1000000000ull); /* the SYN sent again at 1 s */
  int s = zn_posix_accept4(X.pb, l, NULL, NULL, SOCK_NONBLOCK);
  ZT_CHECK(s >= 0);
  ZT_EQU(zn_stat(X.p.b, ZN_STAT_tcp_drop_held_syn), 1);

  /* The fork: the child's listener holds until it uses it. */
  struct zn_stack *old = X.p.b;
  struct zn_config cb;
  th_config(&cb, ZN_IPV4(10, 0, 0, 2), 24, 2);
  struct zn_stack *b2 = th_stack_new(&cb);
  ZT_REQUIRE(b2 != NULL);
  ZT_EQ(zn_stack_attach(b2, &X.p.link.b.nif), ZN_OK);
  X.p.b = b2;
  pxp_run(&X, 1000);
  zn_posix_forked(X.pb);
  ZT_EQ(zn_posix_reshard(X.pb, b2), 0);
  int c2 = zn_posix_socket(X.pa, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  ZT_EQ(zn_posix_connect(X.pa, c2, A(to), sizeof(to)), -EINPROGRESS);
  pxp_run(&X, 500ull * 1000000ull);
  ZT_EQU(zn_stat(b2, ZN_STAT_tcp_drop_held_syn), 1);
  int ep = zn_posix_epoll_create1(X.pb, 0);
  struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 5};
  ZT_EQ(zn_posix_epoll_ctl(X.pb, ep, EPOLL_CTL_ADD, l, &ev), 0);
  ZT_EQU(X.nserved, 2);
  struct epoll_event got;
  ZT_EQ(zn_posix_epoll_pwait(X.pb, ep, &got, 1, 5000, NULL), 1);
  int s2 = zn_posix_accept4(X.pb, l, NULL, NULL, SOCK_NONBLOCK);
  ZT_CHECK(s2 >= 0);
  /* Closing the last listener of the port: no longer served. */
  ZT_EQ(zn_posix_close(X.pb, l), 0);
  ZT_EQU(X.nserved, 3);
  ZT_CHECK(!X.served[2].on);

  int fds_a[] = {c, c2}, fds_b[] = {s, s2, ep};
  for (size_t i = 0; i < 2; i++)
    zn_posix_close(X.pa, fds_a[i]);
  for (size_t i = 0; i < 3; i++)
    zn_posix_close(X.pb, fds_b[i]);
  pxp_run(&X, 100ull * 1000000000ull);
  th_stack_free(old);
}

/* zn_posix_epoll_move: an instance one thread made (on a's layer),
 * holding no socket of it, moves to b's when a socket of b is to be
 * added (znet-run --thread-shards); the number and the host epoll's
 * registrations stay.  One holding a's sockets stays, refused. */
ZT_TEST(test_epoll_moves_between_layers) {
  int ep = zn_posix_epoll_create1(X.pa, 0);
  ZT_CHECK(ep >= 0);
  /* A pipe registered in the host's epoll under it: it moves along. */
  int pfd[2];
  ZT_EQ(pipe(pfd), 0);
  struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 42};
  ZT_EQ(zn_posix_epoll_ctl(X.pa, ep, EPOLL_CTL_ADD, pfd[0], &ev), 0);
  ZT_EQ(zn_posix_epoll_move(X.pa, X.pb, ep), 0);
  ZT_CHECK(!zn_posix_owns(X.pa, ep));
  ZT_CHECK(zn_posix_owns(X.pb, ep));
  ZT_EQ(zn_posix_epoll_move(X.pa, X.pb, ep), -EBADF); /* a's no longer */
  int l = listener(X.pb, 7070, false, SOCK_NONBLOCK);
  ev.data.u64 = 7;
  ZT_EQ(zn_posix_epoll_ctl(X.pb, ep, EPOLL_CTL_ADD, l, &ev), 0);
  ZT_EQ(write(pfd[1], "x", 1), 1);
  struct epoll_event got[2];
  ZT_EQ(zn_posix_epoll_pwait(X.pb, ep, got, 2, 0, NULL), 1);
  ZT_EQU(got[0].data.u64, 42);
  /* Now it holds b's listener: it stays with b. */
  ZT_EQ(zn_posix_epoll_move(X.pb, X.pa, ep), -EBUSY);
  ZT_CHECK(zn_posix_owns(X.pb, ep));
  /* Not an instance: refused. */
  ZT_EQ(zn_posix_epoll_move(X.pb, X.pa, l), -EBADF);
  ZT_EQ(zn_posix_close(X.pb, ep), 0);
  ZT_EQ(zn_posix_close(X.pb, l), 0);
  close(pfd[0]);
  close(pfd[1]);
}

/* zn_posix_bind_check: a bind on one layer against the other's
 * sockets, as one stack would judge it. */
ZT_TEST(test_bind_checked_against_another_layer) {
  int held = listener(X.pb, 6060, false, SOCK_NONBLOCK);
  int t = zn_posix_socket(X.pa, AF_INET, SOCK_STREAM, 0);
  int u = zn_posix_socket(X.pa, AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in any = pxp_sin(0, 6060), one = pxp_sin(0x0a000001, 6060);
  struct sockaddr_in other = pxp_sin(0, 6061), eph = pxp_sin(0, 0);
  ZT_EQ(zn_posix_bind_check(X.pb, X.pa, t, A(any), sizeof(any)), -EADDRINUSE);
  ZT_EQ(zn_posix_bind_check(X.pb, X.pa, t, A(one), sizeof(one)), -EADDRINUSE);
  ZT_EQ(zn_posix_bind_check(X.pb, X.pa, t, A(other), sizeof(other)), 0);
  ZT_EQ(zn_posix_bind_check(X.pb, X.pa, t, A(eph), sizeof(eph)), 0);
  ZT_EQ(zn_posix_bind_check(X.pb, X.pa, u, A(any), sizeof(any)), 0); /* UDP */
  ZT_EQ(zn_posix_bind_check(X.pb, X.pa, 999, A(any), sizeof(any)), -EBADF);
  /* Both SO_REUSEPORT: shared. */
  int on = 1;
  int both = listener(X.pb, 6062, true, SOCK_NONBLOCK);
  ZT_EQ(zn_posix_setsockopt(X.pa, t, SOL_SOCKET, SO_REUSEPORT, &on,
                            sizeof(on)),
        0);
  struct sockaddr_in shared = pxp_sin(0, 6062);
  ZT_EQ(zn_posix_bind_check(X.pb, X.pa, t, A(shared), sizeof(shared)), 0);
  ZT_EQ(zn_posix_bind_check(X.pb, X.pa, t, A(any), sizeof(any)), -EADDRINUSE);
  int fds_a[] = {t, u}, fds_b[] = {held, both};
  for (size_t i = 0; i < 2; i++) {
    ZT_EQ(zn_posix_close(X.pa, fds_a[i]), 0);
    ZT_EQ(zn_posix_close(X.pb, fds_b[i]), 0);
  }
}

int main(void) {
  pxp_init(&X, true);
  ZT_RUN(test_bind_checked_against_another_layer);
  ZT_RUN(test_epoll_moves_between_layers);
  ZT_RUN(test_listeners_and_udp_made_again_connections_orphaned);
  ZT_RUN(test_reshard_refuses_null);
  pxp_free(&X);
  pxp_init_group(&X);
  ZT_RUN(test_listener_held_until_served);
  pxp_free(&X);
  return zt_done();
}
