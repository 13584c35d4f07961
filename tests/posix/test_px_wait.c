/* libznet-posix: poll, select and epoll over the layer's sockets and the
 * kernel's descriptors together, and the traps other stacks' socket
 * layers fell into (level events forgotten, edges missed when a socket
 * is added late, a socket added before connect). */
#include <fcntl.h>
#include <string.h>
#include <sys/select.h>
#include <unistd.h>

#include "px_fixture.h"

#define A(x) ((struct sockaddr *)&(x))

static struct px_pair X;

static int wait_ep(struct zn_posix *px, int ep, struct epoll_event *ev,
                   int max, int ms) {
  return zn_posix_epoll_pwait(px, ep, ev, max, ms, NULL);
}

ZT_TEST(test_epoll_level_triggered_repeats_until_read) {
  int c, s;
  pxp_tcp_connected(&X, 9001, NULL, &c, &s);
  int ep = zn_posix_epoll_create1(X.pb, EPOLL_CLOEXEC);
  ZT_CHECK(ep >= 0);
  struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 42};
  ZT_EQ(zn_posix_epoll_ctl(X.pb, ep, EPOLL_CTL_ADD, s, &ev), 0);
  ZT_EQ(zn_posix_epoll_ctl(X.pb, ep, EPOLL_CTL_ADD, s, &ev), -EEXIST);
  struct epoll_event out[4];
  ZT_EQ(wait_ep(X.pb, ep, out, 4, 0), 0);
  ZT_EQ(zn_posix_sendto(X.pa, c, "x", 1, 0, NULL, 0), 1);
  ZT_EQ(wait_ep(X.pb, ep, out, 4, 1000), 1);
  ZT_EQ(out[0].data.u64, 42u);
  ZT_CHECK(out[0].events & EPOLLIN);
  /* Level: reported again while unread. */
  ZT_EQ(wait_ep(X.pb, ep, out, 4, 0), 1);
  char b[4];
  ZT_EQ(zn_posix_recvfrom(X.pb, s, b, 4, 0, NULL, NULL), 1);
  ZT_EQ(wait_ep(X.pb, ep, out, 4, 0), 0);
  ZT_EQ(zn_posix_epoll_ctl(X.pb, ep, EPOLL_CTL_DEL, s, NULL), 0);
  ZT_EQ(zn_posix_epoll_ctl(X.pb, ep, EPOLL_CTL_DEL, s, NULL), -ENOENT);
  ZT_EQ(zn_posix_close(X.pb, ep), 0);
  zn_posix_close(X.pa, c);
  zn_posix_close(X.pb, s);
}

ZT_TEST(test_epoll_edge_triggered_once_per_arrival) {
  int c, s;
  pxp_tcp_connected(&X, 9002, NULL, &c, &s);
  int ep = zn_posix_epoll_create1(X.pb, 0);
  struct epoll_event ev = {.events = EPOLLIN | EPOLLET, .data.fd = s};
  ZT_EQ(zn_posix_epoll_ctl(X.pb, ep, EPOLL_CTL_ADD, s, &ev), 0);
  struct epoll_event out[4];
  ZT_EQ(zn_posix_sendto(X.pa, c, "x", 1, 0, NULL, 0), 1);
  ZT_EQ(wait_ep(X.pb, ep, out, 4, 1000), 1);
  ZT_EQ(wait_ep(X.pb, ep, out, 4, 0), 0); /* no new edge */
  ZT_EQ(zn_posix_sendto(X.pa, c, "y", 1, 0, NULL, 0), 1);
  ZT_EQ(wait_ep(X.pb, ep, out, 4, 1000), 1); /* a new arrival is one */
  zn_posix_close(X.pb, ep);
  zn_posix_close(X.pa, c);
  zn_posix_close(X.pb, s);
}

ZT_TEST(test_epoll_et_added_after_data_arrived_still_reports) {
  int c, s;
  pxp_tcp_connected(&X, 9003, NULL, &c, &s);
  ZT_EQ(zn_posix_sendto(X.pa, c, "early", 5, 0, NULL, 0), 5);
  pxp_run(&X, 10000000);
  int ep = zn_posix_epoll_create1(X.pb, 0);
  struct epoll_event ev = {.events = EPOLLIN | EPOLLET};
  ZT_EQ(zn_posix_epoll_ctl(X.pb, ep, EPOLL_CTL_ADD, s, &ev), 0);
  struct epoll_event out[2];
  ZT_EQ(wait_ep(X.pb, ep, out, 2, 0), 1);
  zn_posix_close(X.pb, ep);
  zn_posix_close(X.pa, c);
  zn_posix_close(X.pb, s);
}

ZT_TEST(test_epoll_oneshot_disabled_until_mod) {
  int c, s;
  pxp_tcp_connected(&X, 9004, NULL, &c, &s);
  int ep = zn_posix_epoll_create1(X.pb, 0);
  struct epoll_event ev = {.events = EPOLLIN | EPOLLONESHOT};
  ZT_EQ(zn_posix_epoll_ctl(X.pb, ep, EPOLL_CTL_ADD, s, &ev), 0);
  ZT_EQ(zn_posix_sendto(X.pa, c, "x", 1, 0, NULL, 0), 1);
  struct epoll_event out[2];
  ZT_EQ(wait_ep(X.pb, ep, out, 2, 1000), 1);
  ZT_EQ(zn_posix_sendto(X.pa, c, "y", 1, 0, NULL, 0), 1);
  ZT_EQ(wait_ep(X.pb, ep, out, 2, 50), 0);
  ZT_EQ(zn_posix_epoll_ctl(X.pb, ep, EPOLL_CTL_MOD, s, &ev), 0);
  ZT_EQ(wait_ep(X.pb, ep, out, 2, 0), 1);
  ev.events |= EPOLLEXCLUSIVE;
  ZT_EQ(zn_posix_epoll_ctl(X.pb, ep, EPOLL_CTL_MOD, s, &ev), -EINVAL);
  zn_posix_close(X.pb, ep);
  zn_posix_close(X.pa, c);
  zn_posix_close(X.pb, s);
}

ZT_TEST(test_epoll_added_before_connect_sees_it_complete) {
  int l = zn_posix_socket(X.pb, AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in sa = pxp_sin(0, 9005);
  zn_posix_bind(X.pb, l, A(sa), sizeof(sa));
  zn_posix_listen(X.pb, l, 4);
  int c = zn_posix_socket(X.pa, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  int ep = zn_posix_epoll_create1(X.pa, 0);
  struct epoll_event ev = {.events = EPOLLOUT | EPOLLET, .data.fd = c};
  ZT_EQ(zn_posix_epoll_ctl(X.pa, ep, EPOLL_CTL_ADD, c, &ev), 0);
  struct epoll_event out[2];
  /* A fresh socket is writable and hung up, as on Linux. */
  ZT_EQ(wait_ep(X.pa, ep, out, 2, 0), 1);
  ZT_EQ(out[0].events, (uint32_t)(EPOLLOUT | EPOLLHUP));
  struct sockaddr_in to = pxp_sin(ZN_IPV4(10, 0, 0, 2), 9005);
  ZT_EQ(zn_posix_connect(X.pa, c, A(to), sizeof(to)), -EINPROGRESS);
  ZT_EQ(wait_ep(X.pa, ep, out, 2, 1000), 1);
  ZT_EQ(out[0].events, (uint32_t)EPOLLOUT);
  zn_posix_close(X.pa, ep);
  zn_posix_close(X.pa, c);
  zn_posix_close(X.pb, l);
}

/* redis's way with a big reply: write what fills the send buffer
 * exactly (a full write, no EAGAIN), then wait in epoll for EPOLLOUT.
 * The ACKs that free the buffer must wake it (an image's redis once
 * waited for ever with 128 KiB of a reply sent). */
ZT_TEST(test_epoll_out_after_a_write_that_filled_the_buffer) {
  int c, s;
  pxp_tcp_connected(&X, 9018, NULL, &c, &s);
  static char big[1 << 20];
  char sink[65536];
  /* The buffer's room: a write that falls short, then drained. */
  long room = zn_posix_sendto(X.pb, s, big, sizeof(big), MSG_DONTWAIT, NULL, 0);
  ZT_REQUIRE(room > 0 && room < (long)sizeof(big));
  for (int i = 0; i < 200; i++) {
    pxp_run(&X, ZN_MS(5));
    while (zn_posix_recvfrom(X.pa, c, sink, sizeof(sink), MSG_DONTWAIT, NULL,
                             NULL) > 0)
      ;
  }
  int ep = zn_posix_epoll_create1(X.pb, 0);
  struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.fd = s};
  struct epoll_event out[2];
  ZT_EQ(zn_posix_epoll_ctl(X.pb, ep, EPOLL_CTL_ADD, s, &ev), 0);
  ZT_EQ(wait_ep(X.pb, ep, out, 2, 0), 1); /* empty again: writable */
  /* Exactly full. */
  ZT_EQ(zn_posix_sendto(X.pb, s, big, (size_t)room, MSG_DONTWAIT, NULL, 0),
        room);
  ZT_EQ(wait_ep(X.pb, ep, out, 2, 0), 0);
  for (int i = 0; i < 200; i++) {
    pxp_run(&X, ZN_MS(5));
    while (zn_posix_recvfrom(X.pa, c, sink, sizeof(sink), MSG_DONTWAIT, NULL,
                             NULL) > 0)
      ;
  }
  ZT_EQ(wait_ep(X.pb, ep, out, 2, 0), 1);
  ZT_EQ(out[0].events, (uint32_t)EPOLLOUT);
  zn_posix_close(X.pb, ep);
  zn_posix_close(X.pa, c);
  zn_posix_close(X.pb, s);
}

ZT_TEST(test_epoll_rdhup_and_listener_readable) {
  int l, c, s;
  pxp_tcp_connected(&X, 9006, &l, &c, &s);
  int ep = zn_posix_epoll_create1(X.pb, 0);
  struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.fd = s};
  ZT_EQ(zn_posix_epoll_ctl(X.pb, ep, EPOLL_CTL_ADD, s, &ev), 0);
  struct epoll_event lev = {.events = EPOLLIN, .data.fd = l};
  ZT_EQ(zn_posix_epoll_ctl(X.pb, ep, EPOLL_CTL_ADD, l, &lev), 0);
  zn_posix_shutdown(X.pa, c, SHUT_WR);
  struct epoll_event out[4];
  ZT_EQ(wait_ep(X.pb, ep, out, 4, 1000), 1);
  ZT_EQ(out[0].data.fd, s);
  ZT_CHECK(out[0].events & EPOLLRDHUP);
  int c2 = zn_posix_socket(X.pa, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  struct sockaddr_in to = pxp_sin(ZN_IPV4(10, 0, 0, 2), 9006);
  zn_posix_connect(X.pa, c2, A(to), sizeof(to));
  zn_posix_close(X.pb, s);
  int n = wait_ep(X.pb, ep, out, 4, 1000);
  ZT_EQ(n, 1);
  ZT_EQ(out[0].data.fd, l);
  zn_posix_close(X.pb, ep);
  zn_posix_close(X.pa, c);
  zn_posix_close(X.pa, c2);
  zn_posix_close(X.pb, l);
}

ZT_TEST(test_epoll_mixes_pipe_and_socket) {
  int c, s;
  pxp_tcp_connected(&X, 9007, NULL, &c, &s);
  int pfd[2];
  ZT_REQUIRE(pipe(pfd) == 0);
  int ep = zn_posix_epoll_create1(X.pb, 0);
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = pfd[0]};
  ZT_EQ(zn_posix_epoll_ctl(X.pb, ep, EPOLL_CTL_ADD, pfd[0], &ev), 0);
  ev.data.fd = s;
  ZT_EQ(zn_posix_epoll_ctl(X.pb, ep, EPOLL_CTL_ADD, s, &ev), 0);
  struct epoll_event out[4];
  ZT_EQ(wait_ep(X.pb, ep, out, 4, 0), 0);
  ZT_EQ(write(pfd[1], "p", 1), 1);
  ZT_EQ(wait_ep(X.pb, ep, out, 4, 100), 1);
  ZT_EQ(out[0].data.fd, pfd[0]);
  ZT_EQ(zn_posix_sendto(X.pa, c, "s", 1, 0, NULL, 0), 1);
  pxp_run(&X, 1000000);
  ZT_EQ(wait_ep(X.pb, ep, out, 4, 0), 2);
  zn_posix_close(X.pb, ep);
  close(pfd[0]);
  close(pfd[1]);
  zn_posix_close(X.pa, c);
  zn_posix_close(X.pb, s);
}

/* dup, F_DUPFD of an instance: one instance under each number (mio
 * clones its registry so), which lives until its last number closes. */
ZT_TEST(test_epoll_dup_names_the_same_instance) {
  int c, s;
  pxp_tcp_connected(&X, 9011, NULL, &c, &s);
  int pfd[2];
  ZT_REQUIRE(pipe(pfd) == 0);
  int ep = zn_posix_epoll_create1(X.pb, 0);
  struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 42};
  ZT_EQ(zn_posix_epoll_ctl(X.pb, ep, EPOLL_CTL_ADD, s, &ev), 0);
  int d = zn_posix_dup3(X.pb, ep, -1, 0);
  ZT_CHECK(d >= 0 && d != ep && zn_posix_owns(X.pb, d));
  int f = zn_posix_fcntl(X.pb, ep, F_DUPFD_CLOEXEC, 200);
  ZT_CHECK(f >= 200 && zn_posix_owns(X.pb, f));
  ZT_EQ(zn_posix_fcntl(X.pb, ep, F_DUPFD, -1), -EINVAL);
  /* Registered through one number, seen through the others. */
  ZT_EQ(zn_posix_epoll_ctl(X.pb, d, EPOLL_CTL_ADD, s, &ev), -EEXIST);
  ev.data.u64 = 7;
  ZT_EQ(zn_posix_epoll_ctl(X.pb, f, EPOLL_CTL_ADD, pfd[0], &ev), 0);
  ZT_EQ(zn_posix_sendto(X.pa, c, "x", 1, 0, NULL, 0), 1);
  struct epoll_event out[4];
  ZT_EQ(wait_ep(X.pb, f, out, 4, 1000), 1);
  ZT_EQ(out[0].data.u64, 42u);
  /* The first number closed: the instance stays, with its sockets and
   * the host's descriptors. */
  ZT_EQ(zn_posix_close(X.pb, ep), 0);
  ZT_CHECK(!zn_posix_owns(X.pb, ep));
  ZT_EQ(write(pfd[1], "p", 1), 1);
  ZT_EQ(wait_ep(X.pb, d, out, 4, 0), 2);
  ZT_EQ(zn_posix_epoll_ctl(X.pb, d, EPOLL_CTL_DEL, s, NULL), 0);
  ZT_EQ(wait_ep(X.pb, f, out, 4, 0), 1);
  ZT_EQ(out[0].data.u64, 7u);
  /* dup2 onto a number of the instance is a no-op; the last close ends
   * it. */
  ZT_EQ(zn_posix_dup3(X.pb, d, d, 0), d);
  ZT_EQ(zn_posix_close(X.pb, d), 0);
  ZT_EQ(wait_ep(X.pb, f, out, 4, 0), 1);
  ZT_EQ(zn_posix_close(X.pb, f), 0);
  ZT_EQ(wait_ep(X.pb, f, out, 4, 0), -EBADF);
  ZT_EQ(zn_posix_close(X.pb, f), -EBADF);
  close(pfd[0]);
  close(pfd[1]);
  zn_posix_close(X.pa, c);
  zn_posix_close(X.pb, s);
}

ZT_TEST(test_poll_mixes_pipe_and_socket_and_keeps_negative_fds) {
  int c, s;
  pxp_tcp_connected(&X, 9008, NULL, &c, &s);
  int pfd[2];
  ZT_REQUIRE(pipe(pfd) == 0);
  struct pollfd p[3] = {{s, POLLIN, 0}, {-7, POLLIN, 0}, {pfd[0], POLLIN, 0}};
  struct timespec t = {0, 1000000};
  ZT_EQ(zn_posix_ppoll(X.pb, p, 3, &t, NULL), 0);
  ZT_EQ(p[1].fd, -7);
  ZT_EQ(p[0].fd, s);
  ZT_EQ(write(pfd[1], "p", 1), 1);
  ZT_EQ(zn_posix_ppoll(X.pb, p, 3, &t, NULL), 1);
  ZT_CHECK(p[2].revents & POLLIN);
  ZT_EQ(zn_posix_sendto(X.pa, c, "s", 1, 0, NULL, 0), 1);
  struct timespec w = {1, 0};
  ZT_EQ(zn_posix_ppoll(X.pb, p, 3, &w, NULL), 2);
  ZT_CHECK(p[0].revents & POLLIN);
  ZT_EQ(p[1].revents, 0);
  close(pfd[0]);
  close(pfd[1]);
  zn_posix_close(X.pa, c);
  zn_posix_close(X.pb, s);
}

ZT_TEST(test_select_reads_writes_and_ebadf) {
  int c, s;
  pxp_tcp_connected(&X, 9009, NULL, &c, &s);
  fd_set r, w;
  FD_ZERO(&r);
  FD_ZERO(&w);
  FD_SET(s, &r);
  FD_SET(s, &w);
  struct timespec t = {0, 0};
  ZT_EQ(zn_posix_pselect(X.pb, s + 1, &r, &w, NULL, &t, NULL), 1);
  ZT_CHECK(!FD_ISSET(s, &r));
  ZT_CHECK(FD_ISSET(s, &w));
  zn_posix_sendto(X.pa, c, "z", 1, 0, NULL, 0);
  FD_ZERO(&r);
  FD_SET(s, &r);
  struct timespec one = {1, 0};
  ZT_EQ(zn_posix_pselect(X.pb, s + 1, &r, NULL, NULL, &one, NULL), 1);
  ZT_CHECK(FD_ISSET(s, &r));
  int closed = dup(0);
  close(closed);
  FD_ZERO(&r);
  FD_SET(closed, &r);
  ZT_EQ(zn_posix_pselect(X.pb, closed + 1, &r, NULL, NULL, &t, NULL), -EBADF);
  zn_posix_close(X.pa, c);
  zn_posix_close(X.pb, s);
}

ZT_TEST(test_close_removes_socket_from_epoll) {
  int c, s;
  pxp_tcp_connected(&X, 9010, NULL, &c, &s);
  int ep = zn_posix_epoll_create1(X.pb, 0);
  struct epoll_event ev = {.events = EPOLLIN};
  ZT_EQ(zn_posix_epoll_ctl(X.pb, ep, EPOLL_CTL_ADD, s, &ev), 0);
  zn_posix_sendto(X.pa, c, "x", 1, 0, NULL, 0);
  pxp_run(&X, 10000000);
  zn_posix_close(X.pb, s);
  struct epoll_event out[2];
  ZT_EQ(wait_ep(X.pb, ep, out, 2, 0), 0);
  ZT_EQ(wait_ep(X.pb, s, out, 2, 0), -EBADF);
  ZT_EQ(wait_ep(X.pb, ep, out, 0, 0), -EINVAL);
  zn_posix_close(X.pb, ep);
  zn_posix_close(X.pa, c);
}

int main(void) {
  pxp_init(&X, false);
  ZT_RUN(test_epoll_level_triggered_repeats_until_read);
  ZT_RUN(test_epoll_edge_triggered_once_per_arrival);
  ZT_RUN(test_epoll_et_added_after_data_arrived_still_reports);
  ZT_RUN(test_epoll_oneshot_disabled_until_mod);
  ZT_RUN(test_epoll_added_before_connect_sees_it_complete);
  ZT_RUN(test_epoll_out_after_a_write_that_filled_the_buffer);
  ZT_RUN(test_epoll_rdhup_and_listener_readable);
  ZT_RUN(test_epoll_mixes_pipe_and_socket);
  ZT_RUN(test_epoll_dup_names_the_same_instance);
  ZT_RUN(test_poll_mixes_pipe_and_socket_and_keeps_negative_fds);
  ZT_RUN(test_select_reads_writes_and_ebadf);
  ZT_RUN(test_close_removes_socket_from_epoll);
  pxp_free(&X);
  return zt_done();
}
