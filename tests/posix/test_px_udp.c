/* libznet-posix: datagram sockets, IPv6 and dual-stack sockets. */
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "px_fixture.h"

#define A(x) ((struct sockaddr *)&(x))

static struct px_pair X;

ZT_TEST(test_udp_sendto_recvfrom_names_sender) {
  int r = zn_posix_socket(X.pb, AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in sa = pxp_sin(0, 5300);
  ZT_EQ(zn_posix_bind(X.pb, r, A(sa), sizeof(sa)), 0);
  int s = zn_posix_socket(X.pa, AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in to = pxp_sin(ZN_IPV4(10, 0, 0, 2), 5300);
  ZT_EQ(zn_posix_sendto(X.pa, s, "dgram", 5, 0, A(to), sizeof(to)), 5);
  char b[16];
  struct sockaddr_in from;
  socklen_t fl = sizeof(from);
  ZT_EQ(zn_posix_recvfrom(X.pb, r, b, sizeof(b), 0, A(from), &fl), 5);
  ZT_MEMEQ(b, "dgram", 5);
  ZT_EQ(ntohl(from.sin_addr.s_addr), ZN_IPV4(10, 0, 0, 1));
  struct sockaddr_in me;
  socklen_t ml = sizeof(me);
  ZT_EQ(zn_posix_getsockname(X.pa, s, A(me), &ml), 0);
  ZT_EQ(me.sin_port, from.sin_port); /* sendto bound an ephemeral port */
  ZT_EQ(zn_posix_sendto(X.pa, s, "x", 1, 0, NULL, 0), -EDESTADDRREQ);
  zn_posix_close(X.pa, s);
  zn_posix_close(X.pb, r);
}

ZT_TEST(test_udp_truncation_peek_and_fionread) {
  int r = zn_posix_socket(X.pb, AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in sa = pxp_sin(0, 5301);
  zn_posix_bind(X.pb, r, A(sa), sizeof(sa));
  int s = zn_posix_socket(X.pa, AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in to = pxp_sin(ZN_IPV4(10, 0, 0, 2), 5301);
  ZT_EQ(zn_posix_connect(X.pa, s, A(to), sizeof(to)), 0);
  ZT_EQ(zn_posix_sendto(X.pa, s, "0123456789", 10, 0, NULL, 0), 10);
  ZT_EQ(zn_posix_sendto(X.pa, s, "ab", 2, 0, NULL, 0), 2);
  pxp_run(&X, 10000000);
  int n = 0;
  ZT_EQ(zn_posix_ioctl(X.pb, r, FIONREAD, &n), 0);
  ZT_EQ(n, 10);
  char b[4];
  ZT_EQ(zn_posix_recvfrom(X.pb, r, b, 4, MSG_PEEK, NULL, NULL), 4);
  struct iovec v = {b, 4};
  struct msghdr m = {.msg_iov = &v, .msg_iovlen = 1};
  ZT_EQ(zn_posix_recvmsg(X.pb, r, &m, MSG_TRUNC), 10);
  ZT_CHECK(m.msg_flags & MSG_TRUNC);
  ZT_MEMEQ(b, "0123", 4);
  ZT_EQ(zn_posix_recvfrom(X.pb, r, b, 4, 0, NULL, NULL), 2);
  ZT_EQ(zn_posix_recvfrom(X.pb, r, b, 4, MSG_DONTWAIT, NULL, NULL), -EAGAIN);
  zn_posix_close(X.pa, s);
  zn_posix_close(X.pb, r);
}

ZT_TEST(test_udp_connected_refused_reported) {
  int s = zn_posix_socket(X.pa, AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in to = pxp_sin(ZN_IPV4(10, 0, 0, 2), 5399);
  ZT_EQ(zn_posix_connect(X.pa, s, A(to), sizeof(to)), 0);
  ZT_EQ(zn_posix_sendto(X.pa, s, "x", 1, 0, NULL, 0), 1);
  pxp_run(&X, 10000000);
  char b[4];
  ZT_EQ(zn_posix_recvfrom(X.pa, s, b, 4, MSG_DONTWAIT, NULL, NULL),
        -ECONNREFUSED);
  ZT_EQ(zn_posix_recvfrom(X.pa, s, b, 4, MSG_DONTWAIT, NULL, NULL), -EAGAIN);
  zn_posix_close(X.pa, s);
}

ZT_TEST(test_udp_pktinfo_and_ttl_control_messages) {
  int r = zn_posix_socket(X.pb, AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in sa = pxp_sin(0, 5302);
  zn_posix_bind(X.pb, r, A(sa), sizeof(sa));
  int on = 1;
  ZT_EQ(zn_posix_setsockopt(X.pb, r, IPPROTO_IP, IP_PKTINFO, &on, sizeof(on)),
        0);
  ZT_EQ(zn_posix_setsockopt(X.pb, r, IPPROTO_IP, IP_RECVTTL, &on, sizeof(on)),
        0);
  int s = zn_posix_socket(X.pa, AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in to = pxp_sin(ZN_IPV4(10, 0, 0, 2), 5302);
  ZT_EQ(zn_posix_sendto(X.pa, s, "c", 1, 0, A(to), sizeof(to)), 1);
  char b[4];
  union {
    char buf[256];
    struct cmsghdr align;
  } ctl;
  struct iovec v = {b, 4};
  struct msghdr m = {.msg_iov = &v, .msg_iovlen = 1, .msg_control = ctl.buf,
                     .msg_controllen = sizeof(ctl.buf)};
  ZT_EQ(zn_posix_recvmsg(X.pb, r, &m, 0), 1);
  bool pi = false, ttl = false;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
    if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
      struct in_pktinfo p;
      memcpy(&p, CMSG_DATA(c), sizeof(p));
      ZT_EQ(ntohl(p.ipi_addr.s_addr), ZN_IPV4(10, 0, 0, 2));
      pi = true;
    }
    if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TTL) {
      int t;
      memcpy(&t, CMSG_DATA(c), sizeof(t));
      ZT_EQ(t, 64);
      ttl = true;
    }
  }
  ZT_CHECK(pi && ttl);
  zn_posix_close(X.pa, s);
  zn_posix_close(X.pb, r);
}

ZT_TEST(test_udp_broadcast_needs_so_broadcast) {
  int s = zn_posix_socket(X.pa, AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in to = pxp_sin(ZN_IPV4(10, 0, 0, 255), 5303);
  ZT_EQ(zn_posix_sendto(X.pa, s, "b", 1, 0, A(to), sizeof(to)), -EACCES);
  int on = 1;
  ZT_EQ(zn_posix_setsockopt(X.pa, s, SOL_SOCKET, SO_BROADCAST, &on,
                            sizeof(on)),
        0);
  ZT_EQ(zn_posix_sendto(X.pa, s, "b", 1, 0, A(to), sizeof(to)), 1);
  zn_posix_close(X.pa, s);
}

ZT_TEST(test_dual_stack_listener_takes_ipv4_mapped) {
  int l = zn_posix_socket(X.pb, AF_INET6, SOCK_STREAM, 0);
  struct sockaddr_in6 any = pxp_sin6("::", 7000);
  ZT_EQ(zn_posix_bind(X.pb, l, A(any), sizeof(any)), 0);
  ZT_EQ(zn_posix_listen(X.pb, l, 4), 0);
  int c4 = zn_posix_socket(X.pa, AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in to = pxp_sin(ZN_IPV4(10, 0, 0, 2), 7000);
  ZT_EQ(zn_posix_connect(X.pa, c4, A(to), sizeof(to)), 0);
  struct sockaddr_in6 peer;
  socklen_t pl = sizeof(peer);
  int s4 = zn_posix_accept4(X.pb, l, A(peer), &pl, 0);
  ZT_CHECK(s4 >= 0);
  ZT_EQ(pl, (socklen_t)sizeof(peer));
  ZT_EQ(peer.sin6_family, AF_INET6);
  ZT_EQ(peer.sin6_addr.s6_addr[10], 0xff);
  ZT_EQ(peer.sin6_addr.s6_addr[15], 1);
  int c6 = zn_posix_socket(X.pa, AF_INET6, SOCK_STREAM, 0);
  struct sockaddr_in6 to6 = pxp_sin6("fd00::2", 7000);
  ZT_EQ(zn_posix_connect(X.pa, c6, A(to6), sizeof(to6)), 0);
  int s6 = zn_posix_accept4(X.pb, l, NULL, NULL, 0);
  ZT_CHECK(s6 >= 0);
  ZT_EQ(zn_posix_sendto(X.pa, c6, "six", 3, 0, NULL, 0), 3);
  char b[4];
  ZT_EQ(zn_posix_recvfrom(X.pb, s6, b, 4, 0, NULL, NULL), 3);
  zn_posix_close(X.pa, c4);
  zn_posix_close(X.pa, c6);
  zn_posix_close(X.pb, s4);
  zn_posix_close(X.pb, s6);
  zn_posix_close(X.pb, l);
}

ZT_TEST(test_v6only_listener_refuses_ipv4) {
  int l = zn_posix_socket(X.pb, AF_INET6, SOCK_STREAM, 0);
  int on = 1;
  ZT_EQ(zn_posix_setsockopt(X.pb, l, IPPROTO_IPV6, IPV6_V6ONLY, &on,
                            sizeof(on)),
        0);
  struct sockaddr_in6 any = pxp_sin6("::", 7001);
  ZT_EQ(zn_posix_bind(X.pb, l, A(any), sizeof(any)), 0);
  ZT_EQ(zn_posix_listen(X.pb, l, 4), 0);
  /* An IPv4 listener on the same port does not overlap it. */
  int l4 = zn_posix_socket(X.pb, AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in sa = pxp_sin(0, 7001);
  ZT_EQ(zn_posix_bind(X.pb, l4, A(sa), sizeof(sa)), 0);
  ZT_EQ(zn_posix_listen(X.pb, l4, 4), 0);
  int c4 = zn_posix_socket(X.pa, AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in to = pxp_sin(ZN_IPV4(10, 0, 0, 2), 7001);
  ZT_EQ(zn_posix_connect(X.pa, c4, A(to), sizeof(to)), 0);
  ZT_EQ(zn_posix_fcntl(X.pb, l, F_SETFL, O_NONBLOCK), 0);
  ZT_EQ(zn_posix_accept4(X.pb, l, NULL, NULL, 0), -EAGAIN);
  int s = zn_posix_accept4(X.pb, l4, NULL, NULL, 0);
  ZT_CHECK(s >= 0);
  zn_posix_close(X.pa, c4);
  zn_posix_close(X.pb, s);
  zn_posix_close(X.pb, l4);
  zn_posix_close(X.pb, l);
}

ZT_TEST(test_udp6_loopback_inside_one_layer) {
  int r = zn_posix_socket(X.pa, AF_INET6, SOCK_DGRAM, 0);
  struct sockaddr_in6 sa = pxp_sin6("::1", 5304);
  ZT_EQ(zn_posix_bind(X.pa, r, A(sa), sizeof(sa)), 0);
  int s = zn_posix_socket(X.pa, AF_INET6, SOCK_DGRAM, 0);
  ZT_EQ(zn_posix_sendto(X.pa, s, "lo6", 3, 0, A(sa), sizeof(sa)), 3);
  char b[4];
  struct timeval tv = {1, 0};
  zn_posix_setsockopt(X.pa, r, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  ZT_EQ(zn_posix_recvfrom(X.pa, r, b, 4, 0, NULL, NULL), 3);
  zn_posix_close(X.pa, s);
  zn_posix_close(X.pa, r);
}

ZT_TEST(test_udp_shutdown_rd_nonblocking_eagain_unconnected_flags) {
  int u = zn_posix_socket(X.pa, AF_INET, SOCK_DGRAM, 0);
  /* Unconnected: ENOTCONN, yet the flags are set (Linux's way to wake a
   * thread waiting on the socket). */
  ZT_EQ(zn_posix_shutdown(X.pa, u, SHUT_RDWR), -ENOTCONN);
  struct pollfd p = {u, POLLIN | POLLOUT | POLLRDHUP, 0};
  struct timespec t = {0, 0};
  ZT_EQ(zn_posix_ppoll(X.pa, &p, 1, &t, NULL), 1);
  ZT_EQ(p.revents, POLLIN | POLLOUT | POLLHUP | POLLRDHUP);
  /* Linux's UDP recv: no datagram after SHUT_RD is EAGAIN without
   * waiting, 0 for a blocking read. */
  char b[4];
  ZT_EQ(zn_posix_recvfrom(X.pa, u, b, 4, MSG_DONTWAIT, NULL, NULL), -EAGAIN);
  ZT_EQ(zn_posix_recvfrom(X.pa, u, b, 4, 0, NULL, NULL), 0);
  zn_posix_close(X.pa, u);
}

int main(void) {
  pxp_init(&X, true);
  ZT_RUN(test_udp_sendto_recvfrom_names_sender);
  ZT_RUN(test_udp_truncation_peek_and_fionread);
  ZT_RUN(test_udp_connected_refused_reported);
  ZT_RUN(test_udp_pktinfo_and_ttl_control_messages);
  ZT_RUN(test_udp_broadcast_needs_so_broadcast);
  ZT_RUN(test_dual_stack_listener_takes_ipv4_mapped);
  ZT_RUN(test_v6only_listener_refuses_ipv4);
  ZT_RUN(test_udp6_loopback_inside_one_layer);
  ZT_RUN(test_udp_shutdown_rd_nonblocking_eagain_unconnected_flags);
  pxp_free(&X);
  return zt_done();
}
