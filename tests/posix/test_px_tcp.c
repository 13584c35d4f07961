/* libznet-posix: TCP sockets between two layers (px_fixture.h), with the
 * answers Linux gives. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "px_fixture.h"

#define A(x) ((struct sockaddr *)&(x))

static struct px_pair X;

ZT_TEST(test_blocking_connect_accept_data_both_ways) {
  int c, s;
  pxp_tcp_connected(&X, 8080, NULL, &c, &s);
  ZT_EQ(zn_posix_sendto(X.pa, c, "hello", 5, 0, NULL, 0), 5);
  char buf[16] = {0};
  ZT_EQ(zn_posix_recvfrom(X.pb, s, buf, sizeof(buf), 0, NULL, NULL), 5);
  ZT_MEMEQ(buf, "hello", 5);
  ZT_EQ(zn_posix_sendto(X.pb, s, "world!", 6, 0, NULL, 0), 6);
  ZT_EQ(zn_posix_recvfrom(X.pa, c, buf, sizeof(buf), 0, NULL, NULL), 6);
  ZT_MEMEQ(buf, "world!", 6);
  ZT_EQ(zn_posix_close(X.pa, c), 0);
  /* The peer reads the end of the stream. */
  ZT_EQ(zn_posix_recvfrom(X.pb, s, buf, sizeof(buf), 0, NULL, NULL), 0);
  ZT_EQ(zn_posix_close(X.pb, s), 0);
}

ZT_TEST(test_names_of_both_ends) {
  int c, s;
  pxp_tcp_connected(&X, 8081, NULL, &c, &s);
  struct sockaddr_in a;
  socklen_t len = sizeof(a);
  ZT_EQ(zn_posix_getpeername(X.pa, c, A(a), &len), 0);
  ZT_EQ(len, (socklen_t)sizeof(a));
  ZT_EQ(ntohs(a.sin_port), 8081);
  ZT_EQ(ntohl(a.sin_addr.s_addr), ZN_IPV4(10, 0, 0, 2));
  len = sizeof(a);
  ZT_EQ(zn_posix_getsockname(X.pa, c, A(a), &len), 0);
  ZT_EQ(ntohl(a.sin_addr.s_addr), ZN_IPV4(10, 0, 0, 1));
  uint16_t cport = ntohs(a.sin_port);
  ZT_CHECK(cport >= 32768);
  len = sizeof(a);
  ZT_EQ(zn_posix_getpeername(X.pb, s, A(a), &len), 0);
  ZT_EQ(ntohs(a.sin_port), cport);
  zn_posix_close(X.pa, c);
  zn_posix_close(X.pb, s);
}

ZT_TEST(test_connect_refused_blocking_says_econnrefused) {
  int c = zn_posix_socket(X.pa, AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in to = pxp_sin(ZN_IPV4(10, 0, 0, 2), 9);
  ZT_EQ(zn_posix_connect(X.pa, c, A(to), sizeof(to)), -ECONNREFUSED);
  /* Linux lets the socket try again. */
  ZT_EQ(zn_posix_connect(X.pa, c, A(to), sizeof(to)), -ECONNREFUSED);
  zn_posix_close(X.pa, c);
}

ZT_TEST(test_nonblocking_connect_einprogress_then_writable) {
  int l = zn_posix_socket(X.pb, AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in sa = pxp_sin(0, 8082);
  ZT_EQ(zn_posix_bind(X.pb, l, A(sa), sizeof(sa)), 0);
  ZT_EQ(zn_posix_listen(X.pb, l, 4), 0);
  int c = zn_posix_socket(X.pa, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  struct sockaddr_in to = pxp_sin(ZN_IPV4(10, 0, 0, 2), 8082);
  ZT_EQ(zn_posix_connect(X.pa, c, A(to), sizeof(to)), -EINPROGRESS);
  ZT_EQ(zn_posix_connect(X.pa, c, A(to), sizeof(to)), -EALREADY);
  struct pollfd p = {c, POLLOUT, 0};
  struct timespec t = {5, 0};
  ZT_EQ(zn_posix_ppoll(X.pa, &p, 1, &t, NULL), 1);
  ZT_CHECK(p.revents & POLLOUT);
  ZT_CHECK(!(p.revents & POLLERR));
  /* As Linux: the connect that finds it done says 0, then EISCONN. */
  ZT_EQ(zn_posix_connect(X.pa, c, A(to), sizeof(to)), 0);
  ZT_EQ(zn_posix_connect(X.pa, c, A(to), sizeof(to)), -EISCONN);
  int s = zn_posix_accept4(X.pb, l, NULL, NULL, SOCK_NONBLOCK);
  ZT_CHECK(s >= 0);
  ZT_EQ(zn_posix_fcntl(X.pb, s, F_GETFL, 0) & O_NONBLOCK, O_NONBLOCK);
  zn_posix_close(X.pa, c);
  zn_posix_close(X.pb, s);
  zn_posix_close(X.pb, l);
}

ZT_TEST(test_nonblocking_connect_refused_pollerr_before_readiness) {
  int c = zn_posix_socket(X.pa, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  struct sockaddr_in to = pxp_sin(ZN_IPV4(10, 0, 0, 2), 10);
  ZT_EQ(zn_posix_connect(X.pa, c, A(to), sizeof(to)), -EINPROGRESS);
  struct pollfd p = {c, POLLOUT, 0};
  struct timespec t = {5, 0};
  ZT_EQ(zn_posix_ppoll(X.pa, &p, 1, &t, NULL), 1);
  ZT_CHECK(p.revents & POLLERR);
  /* The error is there the moment readiness is: SO_ERROR's value, which
   * a second connect() reports and clears. */
  ZT_EQ(zn_posix_connect(X.pa, c, A(to), sizeof(to)), -ECONNREFUSED);
  zn_posix_close(X.pa, c);
}

ZT_TEST(test_accept_nonblocking_empty_eagain) {
  int l = zn_posix_socket(X.pb, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  struct sockaddr_in sa = pxp_sin(0, 8083);
  ZT_EQ(zn_posix_bind(X.pb, l, A(sa), sizeof(sa)), 0);
  ZT_EQ(zn_posix_accept4(X.pb, l, NULL, NULL, 0), -EINVAL); /* not listening */
  ZT_EQ(zn_posix_listen(X.pb, l, 4), 0);
  ZT_EQ(zn_posix_accept4(X.pb, l, NULL, NULL, 0), -EAGAIN);
  ZT_EQ(zn_posix_accept4(X.pb, l, NULL, NULL, 0x1234), -EINVAL);
  zn_posix_close(X.pb, l);
}

ZT_TEST(test_bind_same_port_eaddrinuse_unless_reuse) {
  int a = zn_posix_socket(X.pb, AF_INET, SOCK_STREAM, 0);
  int b = zn_posix_socket(X.pb, AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in sa = pxp_sin(0, 8084);
  ZT_EQ(zn_posix_bind(X.pb, a, A(sa), sizeof(sa)), 0);
  ZT_EQ(zn_posix_bind(X.pb, b, A(sa), sizeof(sa)), -EADDRINUSE);
  ZT_EQ(zn_posix_bind(X.pb, a, A(sa), sizeof(sa)), -EINVAL); /* bound */
  struct sockaddr_in6 s6 = pxp_sin6("::", 8084);
  ZT_EQ(zn_posix_bind(X.pb, b, A(s6), sizeof(s6)), -EAFNOSUPPORT);
  ZT_EQ(zn_posix_bind(X.pb, b, A(sa), 8), -EINVAL);
  zn_posix_close(X.pb, a);
  zn_posix_close(X.pb, b);
}

/* SO_REUSEPORT listeners on one address and port share its connections;
 * the port stays theirs until the last one closes. */
ZT_TEST(test_reuseport_listeners_share_the_port) {
  int one = 1, l[2];
  struct sockaddr_in sa = pxp_sin(0, 8201);
  for (int i = 0; i < 2; i++) {
    l[i] = zn_posix_socket(X.pb, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    ZT_EQ(zn_posix_setsockopt(X.pb, l[i], SOL_SOCKET, SO_REUSEPORT, &one,
                              sizeof(one)), 0);
    ZT_EQ(zn_posix_bind(X.pb, l[i], A(sa), sizeof(sa)), 0);
    ZT_EQ(zn_posix_listen(X.pb, l[i], 8), 0);
  }
  int other = zn_posix_socket(X.pb, AF_INET, SOCK_STREAM, 0);
  ZT_EQ(zn_posix_bind(X.pb, other, A(sa), sizeof(sa)), -EADDRINUSE);
  struct sockaddr_in to = pxp_sin(ZN_IPV4(10, 0, 0, 2), 8201);
  int c[3];
  for (int i = 0; i < 2; i++) {
    c[i] = zn_posix_socket(X.pa, AF_INET, SOCK_STREAM, 0);
    ZT_EQ(zn_posix_connect(X.pa, c[i], A(to), sizeof(to)), 0);
  }
  pxp_run(&X, 1000000);
  /* Both listeners are readable while connections wait. */
  struct pollfd p[2] = {{l[0], POLLIN, 0}, {l[1], POLLIN, 0}};
  ZT_EQ(zn_posix_ppoll(X.pb, p, 2, &(struct timespec){0, 0}, NULL), 2);
  int a0 = zn_posix_accept4(X.pb, l[0], NULL, NULL, 0);
  int a1 = zn_posix_accept4(X.pb, l[1], NULL, NULL, 0);
  ZT_CHECK(a0 >= 0 && a1 >= 0);
  ZT_EQ(zn_posix_accept4(X.pb, l[1], NULL, NULL, 0), -EAGAIN);
  /* The first listener closed, the second still takes connections. */
  ZT_EQ(zn_posix_close(X.pb, l[0]), 0);
  c[2] = zn_posix_socket(X.pa, AF_INET, SOCK_STREAM, 0);
  ZT_EQ(zn_posix_connect(X.pa, c[2], A(to), sizeof(to)), 0);
  pxp_run(&X, 1000000);
  int a2 = zn_posix_accept4(X.pb, l[1], NULL, NULL, 0);
  ZT_CHECK(a2 >= 0);
  ZT_EQ(zn_posix_sendto(X.pa, c[2], "hi", 2, 0, NULL, 0), 2);
  char b[4];
  ZT_EQ(zn_posix_recvfrom(X.pb, a2, b, sizeof(b), 0, NULL, NULL), 2);
  /* The last one closed, and the connections (the peer closing first,
   * so B keeps no TIME_WAIT): the port is free. */
  ZT_EQ(zn_posix_close(X.pb, l[1]), 0);
  for (int i = 0; i < 3; i++)
    zn_posix_close(X.pa, c[i]);
  pxp_run(&X, 1000000);
  zn_posix_close(X.pb, a0);
  zn_posix_close(X.pb, a1);
  zn_posix_close(X.pb, a2);
  pxp_run(&X, 1000000);
  ZT_EQ(zn_posix_bind(X.pb, other, A(sa), sizeof(sa)), 0);
  ZT_EQ(zn_posix_listen(X.pb, other, 1), 0);
  zn_posix_close(X.pb, other);
  pxp_run(&X, 1000000);
}

ZT_TEST(test_bind_port_zero_picks_ephemeral) {
  int a = zn_posix_socket(X.pb, AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in sa = pxp_sin(0, 0);
  ZT_EQ(zn_posix_bind(X.pb, a, A(sa), sizeof(sa)), 0);
  socklen_t len = sizeof(sa);
  ZT_EQ(zn_posix_getsockname(X.pb, a, A(sa), &len), 0);
  ZT_CHECK(ntohs(sa.sin_port) >= 32768 && ntohs(sa.sin_port) <= 60999);
  zn_posix_close(X.pb, a);
}

ZT_TEST(test_listen_without_bind_autobinds) {
  int l = zn_posix_socket(X.pb, AF_INET, SOCK_STREAM, 0);
  ZT_EQ(zn_posix_listen(X.pb, l, 1), 0);
  struct sockaddr_in sa;
  socklen_t len = sizeof(sa);
  ZT_EQ(zn_posix_getsockname(X.pb, l, A(sa), &len), 0);
  ZT_CHECK(ntohs(sa.sin_port) != 0);
  int c = zn_posix_socket(X.pa, AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in to = pxp_sin(ZN_IPV4(10, 0, 0, 2), ntohs(sa.sin_port));
  ZT_EQ(zn_posix_connect(X.pa, c, A(to), sizeof(to)), 0);
  zn_posix_close(X.pa, c);
  zn_posix_close(X.pb, l);
}

ZT_TEST(test_send_unconnected_epipe_recv_enotconn) {
  int c = zn_posix_socket(X.pa, AF_INET, SOCK_STREAM, 0);
  ZT_EQ(zn_posix_sendto(X.pa, c, "x", 1, 0, NULL, 0), -EPIPE);
  char b[4];
  ZT_EQ(zn_posix_recvfrom(X.pa, c, b, 4, 0, NULL, NULL), -ENOTCONN);
  struct sockaddr_in a;
  socklen_t len = sizeof(a);
  ZT_EQ(zn_posix_getpeername(X.pa, c, A(a), &len), -ENOTCONN);
  ZT_EQ(zn_posix_shutdown(X.pa, c, SHUT_WR), -ENOTCONN);
  zn_posix_close(X.pa, c);
}

ZT_TEST(test_shutdown_wr_then_send_epipe_peer_eof) {
  int c, s;
  pxp_tcp_connected(&X, 8085, NULL, &c, &s);
  ZT_EQ(zn_posix_shutdown(X.pa, c, SHUT_WR), 0);
  ZT_EQ(zn_posix_sendto(X.pa, c, "x", 1, MSG_NOSIGNAL, NULL, 0), -EPIPE);
  char b[8];
  ZT_EQ(zn_posix_recvfrom(X.pb, s, b, 8, 0, NULL, NULL), 0);
  struct pollfd p = {s, POLLIN | POLLRDHUP, 0};
  struct timespec t = {0, 0};
  ZT_EQ(zn_posix_ppoll(X.pb, &p, 1, &t, NULL), 1);
  ZT_CHECK(p.revents & POLLRDHUP);
  /* Half-closed: the other way still works. */
  ZT_EQ(zn_posix_sendto(X.pb, s, "back", 4, 0, NULL, 0), 4);
  ZT_EQ(zn_posix_recvfrom(X.pa, c, b, 8, 0, NULL, NULL), 4);
  ZT_EQ(zn_posix_shutdown(X.pa, c, 7), -EINVAL);
  zn_posix_close(X.pa, c);
  zn_posix_close(X.pb, s);
}

ZT_TEST(test_linger_zero_close_resets_peer) {
  int c, s;
  pxp_tcp_connected(&X, 8086, NULL, &c, &s);
  struct linger lg = {1, 0};
  ZT_EQ(zn_posix_setsockopt(X.pa, c, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)),
        0);
  ZT_EQ(zn_posix_close(X.pa, c), 0);
  char b[8];
  ZT_EQ(zn_posix_recvfrom(X.pb, s, b, 8, 0, NULL, NULL), -ECONNRESET);
  ZT_EQ(zn_posix_recvfrom(X.pb, s, b, 8, 0, NULL, NULL), 0);
  ZT_EQ(zn_posix_sendto(X.pb, s, "x", 1, MSG_NOSIGNAL, NULL, 0), -EPIPE);
  zn_posix_close(X.pb, s);
}

ZT_TEST(test_close_with_unread_data_resets) {
  int c, s;
  pxp_tcp_connected(&X, 8087, NULL, &c, &s);
  ZT_EQ(zn_posix_sendto(X.pa, c, "unread", 6, 0, NULL, 0), 6);
  pxp_run(&X, 10000000);
  ZT_EQ(zn_posix_close(X.pb, s), 0); /* data left unread: RST */
  char b[8];
  ZT_EQ(zn_posix_recvfrom(X.pa, c, b, 8, 0, NULL, NULL), -ECONNRESET);
  zn_posix_close(X.pa, c);
}

ZT_TEST(test_graceful_close_delivers_everything_queued) {
  int c, s;
  pxp_tcp_connected(&X, 8088, NULL, &c, &s);
  enum { N = 300000 };
  uint8_t *out = malloc(N), *in = malloc(N);
  for (size_t i = 0; i < N; i++)
    out[i] = (uint8_t)(i * 7 + 3);
  ZT_EQ(zn_posix_fcntl(X.pa, c, F_SETFL, O_NONBLOCK), 0);
  size_t sent = 0, got = 0;
  while (sent < N) {
    long n = zn_posix_sendto(X.pa, c, out + sent, N - sent, 0, NULL, 0);
    if (n > 0)
      sent += (size_t)n;
    else
      ZT_EQ(n, -EAGAIN);
    long r = zn_posix_recvfrom(X.pb, s, in + got, N - got, MSG_DONTWAIT,
                               NULL, NULL);
    if (r > 0)
      got += (size_t)r;
    pxp_run(&X, 1000000);
  }
  ZT_EQ(zn_posix_close(X.pa, c), 0); /* the rest is still queued */
  for (;;) {
    long r = zn_posix_recvfrom(X.pb, s, in + got, N - got, 0, NULL, NULL);
    ZT_CHECK(r >= 0);
    if (r <= 0)
      break;
    got += (size_t)r;
  }
  ZT_EQ(got, (size_t)N);
  ZT_MEMEQ(in, out, N);
  zn_posix_close(X.pb, s);
  free(out);
  free(in);
}

ZT_TEST(test_recv_flags_peek_waitall_trunc) {
  int c, s;
  pxp_tcp_connected(&X, 8089, NULL, &c, &s);
  ZT_EQ(zn_posix_sendto(X.pa, c, "abcdef", 6, 0, NULL, 0), 6);
  char b[16] = {0};
  ZT_EQ(zn_posix_recvfrom(X.pb, s, b, 3, MSG_PEEK, NULL, NULL), 3);
  ZT_MEMEQ(b, "abc", 3);
  int n = -1;
  ZT_EQ(zn_posix_ioctl(X.pb, s, FIONREAD, &n), 0);
  ZT_EQ(n, 6);
  ZT_EQ(zn_posix_recvfrom(X.pb, s, b, 2, MSG_TRUNC, NULL, NULL), 2);
  ZT_EQ(zn_posix_recvfrom(X.pb, s, b, 4, 0, NULL, NULL), 4);
  ZT_MEMEQ(b, "cdef", 4);
  /* MSG_WAITALL: the call waits for the whole length. */
  ZT_EQ(zn_posix_sendto(X.pa, c, "12", 2, 0, NULL, 0), 2);
  ZT_EQ(zn_posix_sendto(X.pa, c, "345", 3, 0, NULL, 0), 3);
  ZT_EQ(zn_posix_recvfrom(X.pb, s, b, 5, MSG_WAITALL, NULL, NULL), 5);
  ZT_MEMEQ(b, "12345", 5);
  ZT_EQ(zn_posix_recvfrom(X.pb, s, b, 5, MSG_DONTWAIT, NULL, NULL), -EAGAIN);
  ZT_EQ(zn_posix_recvfrom(X.pb, s, b, 5, MSG_OOB, NULL, NULL), -EINVAL);
  zn_posix_close(X.pa, c);
  zn_posix_close(X.pb, s);
}

/* MSG_PEEK looks past the first segment, and with MSG_WAITALL waits for
 * the whole length, as Linux's tcp_recvmsg (peek_seq). */
ZT_TEST(test_peek_sees_past_the_first_segment) {
  int c, s;
  pxp_tcp_connected(&X, 8199, NULL, &c, &s);
  int one = 1;
  ZT_EQ(zn_posix_setsockopt(X.pa, c, IPPROTO_TCP, TCP_NODELAY, &one,
                            sizeof(one)), 0);
  ZT_EQ(zn_posix_sendto(X.pa, c, "abc", 3, 0, NULL, 0), 3);
  ZT_EQ(zn_posix_sendto(X.pa, c, "def", 3, 0, NULL, 0), 3);
  ZT_EQ(zn_posix_sendto(X.pa, c, "ghij", 4, 0, NULL, 0), 4);
  char b[16] = {0};
  ZT_EQ(zn_posix_recvfrom(X.pb, s, b, 10, MSG_PEEK | MSG_WAITALL, NULL,
                          NULL), 10);
  ZT_MEMEQ(b, "abcdefghij", 10);
  memset(b, 0, sizeof(b));
  ZT_EQ(zn_posix_recvfrom(X.pb, s, b, 4, 0, NULL, NULL), 4);
  ZT_MEMEQ(b, "abcd", 4);
  ZT_EQ(zn_posix_recvfrom(X.pb, s, b, 16, MSG_PEEK | MSG_DONTWAIT, NULL,
                          NULL), 6);
  ZT_MEMEQ(b, "efghij", 6);
  memset(b, 0, sizeof(b));
  struct iovec v[2] = {{b, 2}, {b + 8, 3}};
  struct msghdr m = {.msg_iov = v, .msg_iovlen = 2};
  ZT_EQ(zn_posix_recvmsg(X.pb, s, &m, MSG_PEEK), 5);
  ZT_MEMEQ(b, "ef", 2);
  ZT_MEMEQ(b + 8, "ghi", 3);
  ZT_EQ(zn_posix_recvfrom(X.pb, s, b, 16, 0, NULL, NULL), 6);
  ZT_MEMEQ(b, "efghij", 6);
  zn_posix_close(X.pa, c);
  zn_posix_close(X.pb, s);
}

ZT_TEST(test_readv_writev_gather_scatter) {
  int c, s;
  pxp_tcp_connected(&X, 8090, NULL, &c, &s);
  char s1[] = "ab", s2[] = "", s3[] = "cde";
  struct iovec w[3] = {{s1, 2}, {s2, 0}, {s3, 3}};
  ZT_EQ(zn_posix_writev(X.pa, c, w, 3), 5);
  char x[2], y[8];
  struct iovec r[2] = {{x, 2}, {y, 8}};
  struct msghdr m = {.msg_iov = r, .msg_iovlen = 2};
  ZT_EQ(zn_posix_recvmsg(X.pb, s, &m, MSG_WAITALL & 0), 5);
  ZT_MEMEQ(x, "ab", 2);
  ZT_MEMEQ(y, "cde", 3);
  zn_posix_close(X.pa, c);
  zn_posix_close(X.pb, s);
}

ZT_TEST(test_dup_shares_socket_close_one_keeps_it) {
  int c, s;
  pxp_tcp_connected(&X, 8091, NULL, &c, &s);
  int d = zn_posix_dup3(X.pa, c, -1, 0);
  ZT_CHECK(d >= 0 && d != c);
  ZT_CHECK(zn_posix_owns(X.pa, d));
  ZT_EQ(zn_posix_close(X.pa, c), 0);
  ZT_CHECK(!zn_posix_owns(X.pa, c));
  ZT_EQ(zn_posix_sendto(X.pa, d, "via dup", 7, 0, NULL, 0), 7);
  char b[8];
  ZT_EQ(zn_posix_recvfrom(X.pb, s, b, 8, 0, NULL, NULL), 7);
  /* O_NONBLOCK is the socket's: shared by its numbers. */
  int e = zn_posix_fcntl(X.pa, d, F_DUPFD, 100);
  ZT_CHECK(e >= 100);
  ZT_EQ(zn_posix_fcntl(X.pa, e, F_SETFL, O_NONBLOCK), 0);
  ZT_EQ(zn_posix_fcntl(X.pa, d, F_GETFL, 0) & O_NONBLOCK, O_NONBLOCK);
  ZT_EQ(zn_posix_close(X.pa, d), 0);
  ZT_EQ(zn_posix_close(X.pa, e), 0);
  ZT_EQ(zn_posix_recvfrom(X.pb, s, b, 8, 0, NULL, NULL), 0);
  ZT_EQ(zn_posix_close(X.pa, e), -EBADF);
  zn_posix_close(X.pb, s);
}

ZT_TEST(test_blocking_recv_sa_restart_and_eintr) {
  int c, s;
  pxp_tcp_connected(&X, 8092, NULL, &c, &s);
  char b[4];
  X.intr_after = 2;
  X.intr_restart = false;
  ZT_EQ(zn_posix_recvfrom(X.pb, s, b, 4, 0, NULL, NULL), -EINTR);
  /* With SA_RESTART the call goes on; it ends when data comes. */
  ZT_EQ(zn_posix_sendto(X.pa, c, "ok", 2, 0, NULL, 0), 2);
  X.intr_after = 1;
  X.intr_restart = true;
  ZT_EQ(zn_posix_recvfrom(X.pb, s, b, 4, 0, NULL, NULL), 2);
  X.intr_after = 0;
  zn_posix_close(X.pa, c);
  zn_posix_close(X.pb, s);
}

ZT_TEST(test_rcvtimeo_blocking_recv_eagain) {
  int c, s;
  pxp_tcp_connected(&X, 8093, NULL, &c, &s);
  struct timeval tv = {0, 200000};
  ZT_EQ(zn_posix_setsockopt(X.pb, s, SOL_SOCKET, SO_RCVTIMEO, &tv,
                            sizeof(tv)),
        0);
  uint64_t t0 = X.p.now;
  char b[4];
  ZT_EQ(zn_posix_recvfrom(X.pb, s, b, 4, 0, NULL, NULL), -EAGAIN);
  ZT_CHECK(X.p.now - t0 >= 200000000ull);
  zn_posix_close(X.pa, c);
  zn_posix_close(X.pb, s);
}

ZT_TEST(test_socket_bad_arguments) {
  ZT_EQ(zn_posix_socket(X.pa, AF_UNIX, SOCK_STREAM, 0), -EAFNOSUPPORT);
  ZT_EQ(zn_posix_socket(X.pa, AF_INET, SOCK_RAW, 0), -ESOCKTNOSUPPORT);
  ZT_EQ(zn_posix_socket(X.pa, AF_INET, SOCK_STREAM, IPPROTO_UDP),
        -EPROTONOSUPPORT);
  ZT_EQ(zn_posix_close(X.pa, -1), -EBADF);
  ZT_EQ(zn_posix_listen(X.pa, 1000, 1), -EBADF);
  int u = zn_posix_socket(X.pa, AF_INET, SOCK_DGRAM, 0);
  ZT_EQ(zn_posix_listen(X.pa, u, 1), -EOPNOTSUPP);
  ZT_EQ(zn_posix_ioctl(X.pa, u, 0x12345, NULL), -ENOTTY);
  zn_posix_close(X.pa, u);
}

ZT_TEST(test_loopback_connect_inside_one_layer) {
  int l = zn_posix_socket(X.pa, AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in sa = pxp_sin(0, 8094);
  ZT_EQ(zn_posix_bind(X.pa, l, A(sa), sizeof(sa)), 0);
  ZT_EQ(zn_posix_listen(X.pa, l, 4), 0);
  int c = zn_posix_socket(X.pa, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  struct sockaddr_in to = pxp_sin(ZN_IPV4(127, 0, 0, 1), 8094);
  int rc = zn_posix_connect(X.pa, c, A(to), sizeof(to));
  ZT_CHECK(rc == 0 || rc == -EINPROGRESS);
  int s = zn_posix_accept4(X.pa, l, NULL, NULL, 0);
  ZT_CHECK(s >= 0);
  ZT_EQ(zn_posix_sendto(X.pa, s, "self", 4, 0, NULL, 0), 4);
  char b[8];
  struct pollfd p = {c, POLLIN, 0};
  struct timespec t = {1, 0};
  ZT_EQ(zn_posix_ppoll(X.pa, &p, 1, &t, NULL), 1);
  ZT_EQ(zn_posix_recvfrom(X.pa, c, b, 8, 0, NULL, NULL), 4);
  ZT_MEMEQ(b, "self", 4);
  zn_posix_close(X.pa, c);
  zn_posix_close(X.pa, s);
  zn_posix_close(X.pa, l);
}

/* ---- found comparing with Linux's sockets (test_px_vs_linux) ---- */

ZT_TEST(test_socket_unknown_type_flags_einval) {
  ZT_EQ(zn_posix_socket(X.pa, AF_INET, SOCK_STREAM | 0x100, 0), -EINVAL);
  ZT_EQ(zn_posix_socket(X.pa, AF_INET, 99, 0), -EINVAL);
  ZT_EQ(zn_posix_socket(X.pa, 12345, 99, 0), -EINVAL); /* flags first */
  ZT_EQ(zn_posix_socket(X.pa, AF_INET6, SOCK_SEQPACKET, 0), -ESOCKTNOSUPPORT);
}

ZT_TEST(test_fcntl_of_epoll_instance_left_to_host) {
  int ep = zn_posix_epoll_create1(X.pa, 0);
  ZT_REQUIRE(ep >= 0);
  /* The instance's descriptor is the host's: F_GETFL and F_SETFL are its
   * (a host passes -ENOSYS on, as for FD_CLOEXEC), not ENOTSOCK. */
  ZT_EQ(zn_posix_fcntl(X.pa, ep, F_GETFL, 0), -ENOSYS);
  ZT_EQ(zn_posix_fcntl(X.pa, ep, F_SETFL, O_NONBLOCK), -ENOSYS);
  ZT_EQ(zn_posix_fcntl(X.pa, 999, F_GETFL, 0), -EBADF);
  /* A dup of it is the layer's: a second number of the instance. */
  int d = zn_posix_fcntl(X.pa, ep, F_DUPFD, 0);
  ZT_CHECK(d >= 0 && d != ep && zn_posix_owns(X.pa, d));
  zn_posix_close(X.pa, d);
  zn_posix_close(X.pa, ep);
}

ZT_TEST(test_bind_address_not_ours_eaddrnotavail) {
  int a = zn_posix_socket(X.pa, AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in sa = pxp_sin(ZN_IPV4(192, 0, 2, 1), 8100);
  ZT_EQ(zn_posix_bind(X.pa, a, A(sa), sizeof(sa)), -EADDRNOTAVAIL);
  sa = pxp_sin(ZN_IPV4(10, 0, 0, 2), 8100); /* the peer's, not ours */
  ZT_EQ(zn_posix_bind(X.pa, a, A(sa), sizeof(sa)), -EADDRNOTAVAIL);
  sa = pxp_sin(ZN_IPV4(10, 0, 0, 1), 8100);
  ZT_EQ(zn_posix_bind(X.pa, a, A(sa), sizeof(sa)), 0);
  int b = zn_posix_socket(X.pa, AF_INET, SOCK_STREAM, 0);
  sa = pxp_sin(ZN_IPV4(127, 0, 0, 5), 8100);
  ZT_EQ(zn_posix_bind(X.pa, b, A(sa), sizeof(sa)), 0);
  zn_posix_close(X.pa, a);
  zn_posix_close(X.pa, b);
}

static short revents(struct zn_posix *px, int fd) {
  struct pollfd p = {fd, POLLIN | POLLOUT | POLLRDHUP, 0};
  struct timespec t = {0, 0};
  ZT_CHECK(zn_posix_ppoll(px, &p, 1, &t, NULL) >= 0);
  return p.revents;
}

ZT_TEST(test_pollout_once_writes_are_shut_or_failed) {
  /* Linux's tcp_poll: with SEND_SHUTDOWN a socket is "writable" (a write
   * fails at once with EPIPE instead of blocking). */
  int c, s;
  pxp_tcp_connected(&X, 8101, NULL, &c, &s);
  ZT_EQ(zn_posix_shutdown(X.pa, c, SHUT_WR), 0);
  ZT_EQ(revents(X.pa, c), POLLOUT);
  ZT_EQ(zn_posix_shutdown(X.pb, s, SHUT_WR), 0);
  pxp_run(&X, 10000000);
  ZT_EQ(revents(X.pa, c), POLLIN | POLLOUT | POLLHUP | POLLRDHUP);
  zn_posix_close(X.pa, c);
  zn_posix_close(X.pb, s);
  /* A refused non-blocking connect: everything, the error first. */
  c = zn_posix_socket(X.pa, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  struct sockaddr_in to = pxp_sin(ZN_IPV4(10, 0, 0, 2), 9);
  ZT_EQ(zn_posix_connect(X.pa, c, A(to), sizeof(to)), -EINPROGRESS);
  pxp_run(&X, 10000000);
  ZT_EQ(revents(X.pa, c),
        POLLIN | POLLOUT | POLLERR | POLLHUP | POLLRDHUP);
  /* Reported by connect, the socket is unconnected again: as fresh. */
  ZT_EQ(zn_posix_connect(X.pa, c, A(to), sizeof(to)), -ECONNREFUSED);
  ZT_EQ(revents(X.pa, c), POLLOUT | POLLHUP);
  zn_posix_close(X.pa, c);
}

ZT_TEST(test_connect_after_nonblocking_completion_zero_once) {
  int l = zn_posix_socket(X.pb, AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in sa = pxp_sin(0, 8102);
  ZT_EQ(zn_posix_bind(X.pb, l, A(sa), sizeof(sa)), 0);
  ZT_EQ(zn_posix_listen(X.pb, l, 4), 0);
  int c = zn_posix_socket(X.pa, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  struct sockaddr_in to = pxp_sin(ZN_IPV4(10, 0, 0, 2), 8102);
  ZT_EQ(zn_posix_connect(X.pa, c, A(to), sizeof(to)), -EINPROGRESS);
  pxp_run(&X, 10000000);
  /* Linux: the connect that finds it done says 0, later ones EISCONN. */
  ZT_EQ(zn_posix_connect(X.pa, c, A(to), sizeof(to)), 0);
  ZT_EQ(zn_posix_connect(X.pa, c, A(to), sizeof(to)), -EISCONN);
  zn_posix_close(X.pa, c);
  zn_posix_close(X.pb, l);
}

ZT_TEST(test_connect_af_unspec_disconnects) {
  struct sockaddr_in un = pxp_sin(0, 0);
  un.sin_family = AF_UNSPEC;
  int f = zn_posix_socket(X.pa, AF_INET6, SOCK_STREAM, 0);
  /* Only the family is read: a short sockaddr does. */
  ZT_EQ(zn_posix_connect(X.pa, f, A(un), sizeof(sa_family_t)), 0);
  zn_posix_close(X.pa, f);
  int l, c, s;
  pxp_tcp_connected(&X, 8103, &l, &c, &s);
  ZT_EQ(zn_posix_connect(X.pa, c, A(un), sizeof(un)), 0);
  pxp_run(&X, 10000000);
  char b[4];
  ZT_EQ(zn_posix_recvfrom(X.pb, s, b, 4, 0, NULL, NULL), -ECONNRESET);
  struct sockaddr_in peer;
  socklen_t n = sizeof(peer);
  ZT_EQ(zn_posix_getpeername(X.pa, c, A(peer), &n), -ENOTCONN);
  /* Unconnected again: it may connect anew. */
  struct sockaddr_in to = pxp_sin(ZN_IPV4(10, 0, 0, 2), 8103);
  ZT_EQ(zn_posix_connect(X.pa, c, A(to), sizeof(to)), 0);
  int s2 = zn_posix_accept4(X.pb, l, NULL, NULL, 0);
  ZT_CHECK(s2 >= 0);
  zn_posix_close(X.pa, c);
  zn_posix_close(X.pb, s);
  zn_posix_close(X.pb, s2);
  zn_posix_close(X.pb, l);
}

ZT_TEST(test_shutdown_rd_still_reads_what_arrives) {
  int c, s;
  pxp_tcp_connected(&X, 8104, NULL, &c, &s);
  ZT_EQ(zn_posix_shutdown(X.pb, s, SHUT_RD), 0);
  char b[8];
  ZT_EQ(zn_posix_recvfrom(X.pb, s, b, 8, 0, NULL, NULL), 0);
  ZT_EQ(zn_posix_sendto(X.pa, c, "late", 4, 0, NULL, 0), 4);
  pxp_run(&X, 10000000);
  /* Linux's tcp_recvmsg reads the queue before it looks at RCV_SHUTDOWN. */
  ZT_EQ(zn_posix_recvfrom(X.pb, s, b, 8, 0, NULL, NULL), 4);
  ZT_MEMEQ(b, "late", 4);
  ZT_EQ(zn_posix_recvfrom(X.pb, s, b, 8, 0, NULL, NULL), 0);
  zn_posix_close(X.pa, c);
  zn_posix_close(X.pb, s);
}

ZT_TEST(test_reset_after_peer_fin_says_epipe) {
  int c, s;
  pxp_tcp_connected(&X, 8105, NULL, &c, &s);
  ZT_EQ(zn_posix_close(X.pb, s), 0);
  pxp_run(&X, 10000000);
  char b[4];
  ZT_EQ(zn_posix_recvfrom(X.pa, c, b, 4, 0, NULL, NULL), 0);
  ZT_EQ(zn_posix_sendto(X.pa, c, "x", 1, MSG_NOSIGNAL, NULL, 0), 1);
  pxp_run(&X, 10000000);
  /* Linux's tcp_reset: a RST in CLOSE_WAIT is EPIPE, not ECONNRESET;
   * a read still says the stream ended (SOCK_DONE before sk_err). */
  ZT_EQ(zn_posix_recvfrom(X.pa, c, b, 4, 0, NULL, NULL), 0);
  ZT_EQ(zn_posix_sendto(X.pa, c, "y", 1, MSG_NOSIGNAL, NULL, 0), -EPIPE);
  ZT_EQ(zn_posix_sendto(X.pa, c, "y", 1, MSG_NOSIGNAL, NULL, 0), -EPIPE);
  zn_posix_close(X.pa, c);
}

ZT_TEST(test_shutdown_unconnected_sets_flags_enotconn) {
  int c, s;
  pxp_tcp_connected(&X, 8106, NULL, &c, &s);
  ZT_EQ(zn_posix_shutdown(X.pa, c, SHUT_WR), 0);
  ZT_EQ(zn_posix_shutdown(X.pb, s, SHUT_WR), 0);
  pxp_run(&X, 10000000);
  /* Both FINs exchanged: the socket is closed (TIME_WAIT), ENOTCONN. */
  ZT_EQ(zn_posix_shutdown(X.pa, c, SHUT_RDWR), -ENOTCONN);
  zn_posix_close(X.pa, c);
  zn_posix_close(X.pb, s);
  /* A fresh socket: ENOTCONN, yet the flags are set (Linux's way to wake
   * a thread waiting on it). */
  int f = zn_posix_socket(X.pa, AF_INET, SOCK_STREAM, 0);
  ZT_EQ(zn_posix_shutdown(X.pa, f, SHUT_RDWR), -ENOTCONN);
  ZT_EQ(revents(X.pa, f), POLLIN | POLLOUT | POLLHUP | POLLRDHUP);
  zn_posix_close(X.pa, f);
}

ZT_TEST(test_recvfrom_on_stream_names_nobody) {
  int c, s;
  pxp_tcp_connected(&X, 8107, NULL, &c, &s);
  ZT_EQ(zn_posix_sendto(X.pa, c, "name", 4, 0, NULL, 0), 4);
  char b[8];
  struct sockaddr_in6 from;
  socklen_t n = sizeof(from);
  /* Linux's recvfrom on TCP: the address length comes back 0. */
  ZT_EQ(zn_posix_recvfrom(X.pb, s, b, 8, 0, A(from), &n), 4);
  ZT_EQ(n, 0);
  zn_posix_close(X.pa, c);
  zn_posix_close(X.pb, s);
}

ZT_TEST(test_bind_over_time_wait_needs_reuseaddr) {
  int c, s;
  pxp_tcp_connected(&X, 8095, NULL, &c, &s);
  struct sockaddr_in me;
  socklen_t ml = sizeof(me);
  ZT_EQ(zn_posix_getsockname(X.pa, c, A(me), &ml), 0);
  ZT_EQ(zn_posix_close(X.pa, c), 0); /* our side closes first: TIME_WAIT */
  char b[4];
  ZT_EQ(zn_posix_recvfrom(X.pb, s, b, 4, 0, NULL, NULL), 0);
  ZT_EQ(zn_posix_close(X.pb, s), 0);
  pxp_run(&X, 100000000);
  int n = zn_posix_socket(X.pa, AF_INET, SOCK_STREAM, 0);
  ZT_EQ(zn_posix_bind(X.pa, n, A(me), sizeof(me)), -EADDRINUSE);
  int on = 1;
  ZT_EQ(zn_posix_setsockopt(X.pa, n, SOL_SOCKET, SO_REUSEADDR, &on,
                            sizeof(on)),
        0);
  ZT_EQ(zn_posix_bind(X.pa, n, A(me), sizeof(me)), 0);
  zn_posix_close(X.pa, n);
}

int main(void) {
  pxp_init(&X, false);
  ZT_RUN(test_blocking_connect_accept_data_both_ways);
  ZT_RUN(test_names_of_both_ends);
  ZT_RUN(test_connect_refused_blocking_says_econnrefused);
  ZT_RUN(test_nonblocking_connect_einprogress_then_writable);
  ZT_RUN(test_nonblocking_connect_refused_pollerr_before_readiness);
  ZT_RUN(test_accept_nonblocking_empty_eagain);
  ZT_RUN(test_bind_same_port_eaddrinuse_unless_reuse);
  ZT_RUN(test_reuseport_listeners_share_the_port);
  ZT_RUN(test_bind_port_zero_picks_ephemeral);
  ZT_RUN(test_listen_without_bind_autobinds);
  ZT_RUN(test_send_unconnected_epipe_recv_enotconn);
  ZT_RUN(test_shutdown_wr_then_send_epipe_peer_eof);
  ZT_RUN(test_linger_zero_close_resets_peer);
  ZT_RUN(test_close_with_unread_data_resets);
  ZT_RUN(test_graceful_close_delivers_everything_queued);
  ZT_RUN(test_recv_flags_peek_waitall_trunc);
  ZT_RUN(test_peek_sees_past_the_first_segment);
  ZT_RUN(test_readv_writev_gather_scatter);
  ZT_RUN(test_dup_shares_socket_close_one_keeps_it);
  ZT_RUN(test_blocking_recv_sa_restart_and_eintr);
  ZT_RUN(test_rcvtimeo_blocking_recv_eagain);
  ZT_RUN(test_socket_bad_arguments);
  ZT_RUN(test_loopback_connect_inside_one_layer);
  ZT_RUN(test_bind_over_time_wait_needs_reuseaddr);
  ZT_RUN(test_socket_unknown_type_flags_einval);
  ZT_RUN(test_fcntl_of_epoll_instance_left_to_host);
  ZT_RUN(test_bind_address_not_ours_eaddrnotavail);
  ZT_RUN(test_pollout_once_writes_are_shut_or_failed);
  ZT_RUN(test_connect_after_nonblocking_completion_zero_once);
  ZT_RUN(test_connect_af_unspec_disconnects);
  ZT_RUN(test_shutdown_rd_still_reads_what_arrives);
  ZT_RUN(test_reset_after_peer_fin_says_epipe);
  ZT_RUN(test_shutdown_unconnected_sets_flags_enotconn);
  ZT_RUN(test_recvfrom_on_stream_names_nobody);
  pxp_free(&X);
  return zt_done();
}
