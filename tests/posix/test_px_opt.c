/* setsockopt and getsockopt of libznet-posix (posix/px_opt.c) against
 * Linux's answers: value lengths and types, the errno of every refusal,
 * what is stored and reported back, and TCP_INFO before, during and
 * after listen() and connect().  The layer runs over stack A of a
 * memlink pair (10.0.0.1 and 10.0.0.2); descriptor numbers come from
 * eventfd, and the layer's sleep advances the pair's virtual clock. */
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/time.h>
#include <unistd.h>

#include "harness.h"
#include "znet/posix.h"
#include "zt.h"

#define IP_A ZN_IPV4(10, 0, 0, 1)
#define IP_B ZN_IPV4(10, 0, 0, 2)

/* Linux's numbers, whatever the headers say SO_RCVTIMEO is. */
#define LX_SO_RCVTIMEO_OLD 20
#define LX_SO_SNDTIMEO_NEW 67

struct fix {
  struct th_pair p;
  struct zn_posix *px;
  void *mem;
};

static uint64_t host_now(void *ctx) { return ((struct th_pair *)ctx)->now; }

static int host_reserve(void *ctx) {
  (void)ctx;
  int fd = eventfd(0, EFD_CLOEXEC);
  return fd < 0 ? -errno : fd;
}

static void host_release(void *ctx, int fd) {
  (void)ctx;
  close(fd);
}

/* Sleep: the virtual clock moves on (at most 1 ms a time). */
static int host_wait(void *ctx, struct pollfd *k, unsigned n, uint64_t deadline,
                     const sigset_t *mask) {
  (void)k;
  (void)n;
  (void)mask;
  struct th_pair *p = ctx;
  uint64_t step = 1000000;
  if (deadline > p->now && deadline - p->now < step)
    step = deadline - p->now;
  th_pair_run(p, step ? step : 1);
  return 0;
}

static void fix_init(struct fix *f) {
  struct zn_config ca, cb;
  th_config(&ca, IP_A, 24, 1);
  th_config(&cb, IP_B, 24, 2);
  th_pair_init(&f->p, &ca, &cb);
  zn_stack_poll(f->p.a, 0);
  zn_stack_poll(f->p.b, 0);
  struct zn_posix_cfg pc;
  zn_posix_cfg_default(&pc, &ca);
  size_t need = zn_posix_mem_size(&pc);
  f->mem = malloc(need);
  struct zn_posix_host h = {0};
  h.ctx = &f->p;
  h.now = host_now;
  h.fd_reserve = host_reserve;
  h.fd_release = host_release;
  h.wait = host_wait;
  int rc = zn_posix_init(f->p.a, &pc, &h, f->mem, need, &f->px);
  ZT_EQ(rc, ZN_OK);
}

static void fix_free(struct fix *f) {
  zn_posix_destroy(f->px);
  th_pair_run(&f->p, 2000000000ull);
  free(f->mem);
  th_pair_free(&f->p);
}

static int geti(struct fix *f, int fd, int level, int name) {
  int v = -12345;
  socklen_t len = sizeof(v);
  int rc = zn_posix_getsockopt(f->px, fd, level, name, &v, &len);
  if (rc < 0)
    return rc;
  ZT_EQ(len, sizeof(int));
  return v;
}

static int seti(struct fix *f, int fd, int level, int name, int v) {
  return zn_posix_setsockopt(f->px, fd, level, name, &v, sizeof(v));
}

static int sock(struct fix *f, int domain, int type) {
  int fd = zn_posix_socket(f->px, domain, type, 0);
  ZT_CHECK(fd >= 0);
  return fd;
}

ZT_TEST(test_unknown_levels_and_names_refused) {
  struct fix f;
  fix_init(&f);
  int t4 = sock(&f, AF_INET, SOCK_STREAM), t6 = sock(&f, AF_INET6, SOCK_STREAM);
  int u4 = sock(&f, AF_INET, SOCK_DGRAM);
  int v = 1;
  socklen_t len = sizeof(v);
  ZT_EQ(seti(&f, t4, 999, 1, 1), -ENOPROTOOPT);
  ZT_EQ(zn_posix_getsockopt(f.px, t4, 999, 1, &v, &len), -EOPNOTSUPP);
  ZT_EQ(zn_posix_getsockopt(f.px, t6, 999, 1, &v, &len), -ENOPROTOOPT);
  ZT_EQ(seti(&f, t4, SOL_SOCKET, SO_PRIORITY, 1), -ENOPROTOOPT);
  ZT_EQ(seti(&f, t4, SOL_SOCKET, SO_DEBUG, 1), -ENOPROTOOPT);
  ZT_EQ(seti(&f, t4, IPPROTO_TCP, TCP_DEFER_ACCEPT, 1), -ENOPROTOOPT);
  ZT_EQ(seti(&f, t4, IPPROTO_TCP, TCP_FASTOPEN, 5), -ENOPROTOOPT);
  ZT_EQ(seti(&f, t4, IPPROTO_TCP, TCP_QUICKACK, 1), -ENOPROTOOPT);
  ZT_EQ(seti(&f, t4, IPPROTO_TCP, TCP_MAXSEG, 1000), -ENOPROTOOPT);
  ZT_EQ(seti(&f, t4, IPPROTO_IP, IP_MTU_DISCOVER, 2), -ENOPROTOOPT);
  /* A level the socket does not have. */
  ZT_EQ(seti(&f, u4, IPPROTO_TCP, TCP_NODELAY, 1), -ENOPROTOOPT);
  ZT_EQ(zn_posix_getsockopt(f.px, u4, IPPROTO_TCP, TCP_NODELAY, &v, &len),
        -EOPNOTSUPP);
  ZT_EQ(seti(&f, t4, IPPROTO_IPV6, IPV6_V6ONLY, 1), -ENOPROTOOPT);
  ZT_EQ(zn_posix_getsockopt(f.px, t4, IPPROTO_IPV6, IPV6_V6ONLY, &v, &len),
        -EOPNOTSUPP);
  /* Read-only options. */
  ZT_EQ(seti(&f, t4, SOL_SOCKET, SO_TYPE, 1), -ENOPROTOOPT);
  ZT_EQ(seti(&f, t4, SOL_SOCKET, SO_ERROR, 1), -ENOPROTOOPT);
  ZT_EQ(seti(&f, t4, IPPROTO_TCP, TCP_INFO, 1), -ENOPROTOOPT);
  /* Not a socket. */
  ZT_EQ(seti(&f, 999, SOL_SOCKET, SO_REUSEADDR, 1), -EBADF);
  ZT_EQ(zn_posix_getsockopt(f.px, -1, SOL_SOCKET, SO_TYPE, &v, &len), -EBADF);
  fix_free(&f);
}

ZT_TEST(test_int_lengths_as_linux) {
  struct fix f;
  fix_init(&f);
  int t4 = sock(&f, AF_INET, SOCK_STREAM), t6 = sock(&f, AF_INET6, SOCK_STREAM);
  int one = 1;
  /* SOL_SOCKET and IPPROTO_TCP: shorter than an int is EINVAL, even for
   * an unknown name; NULL is EFAULT. */
  ZT_EQ(zn_posix_setsockopt(f.px, t4, SOL_SOCKET, SO_REUSEADDR, &one, 2),
        -EINVAL);
  ZT_EQ(zn_posix_setsockopt(f.px, t4, SOL_SOCKET, 4242, &one, 2), -EINVAL);
  ZT_EQ(zn_posix_setsockopt(f.px, t4, SOL_SOCKET, SO_REUSEADDR, NULL, 4),
        -EFAULT);
  ZT_EQ(zn_posix_setsockopt(f.px, t4, IPPROTO_TCP, TCP_NODELAY, &one, 3),
        -EINVAL);
  /* IPPROTO_IP: one byte is a value, nothing is 0. */
  unsigned char b = 0x20;
  ZT_EQ(zn_posix_setsockopt(f.px, t4, IPPROTO_IP, IP_TOS, &b, 1), 0);
  ZT_EQ(geti(&f, t4, IPPROTO_IP, IP_TOS), 0x20);
  ZT_EQ(zn_posix_setsockopt(f.px, t4, IPPROTO_IP, IP_TOS, NULL, 0), 0);
  ZT_EQ(geti(&f, t4, IPPROTO_IP, IP_TOS), 0);
  ZT_EQ(zn_posix_setsockopt(f.px, t4, IPPROTO_IP, IP_TTL, NULL, 0), -EINVAL);
  ZT_EQ(zn_posix_setsockopt(f.px, t4, IPPROTO_IP, IP_TOS, NULL, 4), -EFAULT);
  /* IPPROTO_IPV6: short is EINVAL, NULL reads as 0. */
  ZT_EQ(seti(&f, t6, IPPROTO_IPV6, IPV6_V6ONLY, 1), 0);
  ZT_EQ(zn_posix_setsockopt(f.px, t6, IPPROTO_IPV6, IPV6_V6ONLY, &one, 2),
        -EINVAL);
  ZT_EQ(zn_posix_setsockopt(f.px, t6, IPPROTO_IPV6, IPV6_V6ONLY, NULL, 4), 0);
  ZT_EQ(geti(&f, t6, IPPROTO_IPV6, IPV6_V6ONLY), 0);

  /* Answers: min(len, 4) bytes; IPPROTO_IP answers one byte when asked
   * for 1 to 3. */
  int v = -1;
  socklen_t len = 8;
  ZT_EQ(zn_posix_getsockopt(f.px, t4, SOL_SOCKET, SO_TYPE, &v, &len), 0);
  ZT_EQ(len, 4);
  ZT_EQ(v, SOCK_STREAM);
  unsigned char out[4] = {0xee, 0xee, 0xee, 0xee};
  len = 2;
  ZT_EQ(zn_posix_getsockopt(f.px, t4, SOL_SOCKET, SO_TYPE, out, &len), 0);
  ZT_EQ(len, 2);
  ZT_EQ(out[0], SOCK_STREAM); /* little-endian: the low bytes */
  ZT_EQ(out[2], 0xee);
  len = 3;
  ZT_EQ(zn_posix_getsockopt(f.px, t4, IPPROTO_IP, IP_TTL, out, &len), 0);
  ZT_EQ(len, 1);
  ZT_EQ(out[0], 64);
  len = 0;
  ZT_EQ(zn_posix_getsockopt(f.px, t4, SOL_SOCKET, SO_TYPE, NULL, &len), 0);
  ZT_EQ(len, 0);
  len = 4;
  ZT_EQ(zn_posix_getsockopt(f.px, t4, SOL_SOCKET, SO_TYPE, NULL, &len),
        -EFAULT);
  ZT_EQ(zn_posix_getsockopt(f.px, t4, SOL_SOCKET, SO_TYPE, &v, NULL), -EFAULT);
  len = (socklen_t)INT_MAX + 1u;
  ZT_EQ(zn_posix_getsockopt(f.px, t4, SOL_SOCKET, SO_TYPE, &v, &len), -EINVAL);
  fix_free(&f);
}

ZT_TEST(test_socket_identity_reported) {
  struct fix f;
  fix_init(&f);
  int t6 = sock(&f, AF_INET6, SOCK_STREAM), u4 = sock(&f, AF_INET, SOCK_DGRAM);
  ZT_EQ(geti(&f, t6, SOL_SOCKET, SO_TYPE), SOCK_STREAM);
  ZT_EQ(geti(&f, t6, SOL_SOCKET, SO_PROTOCOL), IPPROTO_TCP);
  ZT_EQ(geti(&f, t6, SOL_SOCKET, SO_DOMAIN), AF_INET6);
  ZT_EQ(geti(&f, u4, SOL_SOCKET, SO_TYPE), SOCK_DGRAM);
  ZT_EQ(geti(&f, u4, SOL_SOCKET, SO_PROTOCOL), IPPROTO_UDP);
  ZT_EQ(geti(&f, u4, SOL_SOCKET, SO_DOMAIN), AF_INET);
  ZT_EQ(geti(&f, t6, SOL_SOCKET, SO_ACCEPTCONN), 0);
  ZT_EQ(geti(&f, t6, SOL_SOCKET, SO_ERROR), 0);
  ZT_EQ(geti(&f, t6, SOL_SOCKET, SO_SNDLOWAT), 1);
  fix_free(&f);
}

ZT_TEST(test_flags_round_trip) {
  struct fix f;
  fix_init(&f);
  int t4 = sock(&f, AF_INET, SOCK_STREAM), u6 = sock(&f, AF_INET6, SOCK_DGRAM);
  static const int so[] = {SO_REUSEADDR, SO_REUSEPORT, SO_KEEPALIVE,
                           SO_BROADCAST, SO_OOBINLINE};
  for (size_t i = 0; i < sizeof(so) / sizeof(so[0]); i++) {
    ZT_EQ(geti(&f, t4, SOL_SOCKET, so[i]), 0);
    ZT_EQ(seti(&f, t4, SOL_SOCKET, so[i], 7), 0);
    ZT_EQ(geti(&f, t4, SOL_SOCKET, so[i]), 1);
  }
  ZT_EQ(seti(&f, t4, IPPROTO_TCP, TCP_NODELAY, 5), 0);
  ZT_EQ(geti(&f, t4, IPPROTO_TCP, TCP_NODELAY), 1);
  ZT_EQ(seti(&f, t4, IPPROTO_TCP, TCP_CORK, 1), 0);
  ZT_EQ(geti(&f, t4, IPPROTO_TCP, TCP_CORK), 1);
  ZT_EQ(seti(&f, t4, IPPROTO_TCP, TCP_CORK, 0), 0);
  ZT_EQ(geti(&f, t4, IPPROTO_TCP, TCP_CORK), 0);
  ZT_EQ(seti(&f, t4, IPPROTO_IP, IP_PKTINFO, 1), 0);
  ZT_EQ(geti(&f, t4, IPPROTO_IP, IP_PKTINFO), 1);
  static const int v6[] = {IPV6_RECVPKTINFO, IPV6_RECVHOPLIMIT,
                           IPV6_RECVTCLASS};
  for (size_t i = 0; i < sizeof(v6) / sizeof(v6[0]); i++) {
    ZT_EQ(seti(&f, u6, IPPROTO_IPV6, v6[i], 1), 0);
    ZT_EQ(geti(&f, u6, IPPROTO_IPV6, v6[i]), 1);
  }
  /* IPv4's receive flags are not an AF_INET6 socket's here. */
  ZT_EQ(seti(&f, u6, IPPROTO_IP, IP_PKTINFO, 1), -ENOPROTOOPT);
  ZT_EQ(seti(&f, u6, IPPROTO_IP, IP_TOS, 0x20), -ENOPROTOOPT);
  fix_free(&f);
}

ZT_TEST(test_bufsizes_doubled_and_bounded) {
  struct fix f;
  fix_init(&f);
  int t4 = sock(&f, AF_INET, SOCK_STREAM), u4 = sock(&f, AF_INET, SOCK_DGRAM);
  ZT_EQ(geti(&f, u4, SOL_SOCKET, SO_RCVBUF), 212992);
  ZT_EQ(geti(&f, u4, SOL_SOCKET, SO_SNDBUF), 212992);
  ZT_EQ(geti(&f, t4, SOL_SOCKET, SO_SNDBUF), 2 * ZN_DEFAULT_TCP_SNDBUF);
  ZT_EQ(seti(&f, t4, SOL_SOCKET, SO_RCVBUF, 10000), 0);
  ZT_EQ(geti(&f, t4, SOL_SOCKET, SO_RCVBUF), 20000);
  ZT_EQ(seti(&f, t4, SOL_SOCKET, SO_RCVBUF, 1), 0);
  ZT_EQ(geti(&f, t4, SOL_SOCKET, SO_RCVBUF), 2304);
  ZT_EQ(seti(&f, t4, SOL_SOCKET, SO_SNDBUF, 1), 0);
  ZT_EQ(geti(&f, t4, SOL_SOCKET, SO_SNDBUF), 4608);
  ZT_EQ(seti(&f, t4, SOL_SOCKET, SO_SNDBUF, 1 << 30), 0);
  ZT_EQ(geti(&f, t4, SOL_SOCKET, SO_SNDBUF), 425984);
  ZT_EQ(seti(&f, u4, SOL_SOCKET, SO_RCVBUF, -1), 0);
  ZT_EQ(geti(&f, u4, SOL_SOCKET, SO_RCVBUF), 425984);
  ZT_EQ(seti(&f, u4, SOL_SOCKET, SO_RCVBUFFORCE, 1000000), 0);
  ZT_EQ(geti(&f, u4, SOL_SOCKET, SO_RCVBUF), 2000000);
  ZT_EQ(seti(&f, u4, SOL_SOCKET, SO_SNDBUFFORCE, -5), 0);
  ZT_EQ(geti(&f, u4, SOL_SOCKET, SO_SNDBUF), 4608);
  /* SO_RCVLOWAT: 0 is 1; a TCP socket's is at most its window. */
  ZT_EQ(geti(&f, t4, SOL_SOCKET, SO_RCVLOWAT), 1);
  ZT_EQ(seti(&f, t4, SOL_SOCKET, SO_RCVBUF, 10000), 0);
  ZT_EQ(seti(&f, t4, SOL_SOCKET, SO_RCVLOWAT, -1), 0);
  ZT_EQ(geti(&f, t4, SOL_SOCKET, SO_RCVLOWAT), 10000);
  ZT_EQ(seti(&f, t4, SOL_SOCKET, SO_RCVLOWAT, 0), 0);
  ZT_EQ(geti(&f, t4, SOL_SOCKET, SO_RCVLOWAT), 1);
  ZT_EQ(seti(&f, u4, SOL_SOCKET, SO_RCVLOWAT, -1), 0);
  ZT_EQ(geti(&f, u4, SOL_SOCKET, SO_RCVLOWAT), INT_MAX);
  fix_free(&f);
}

ZT_TEST(test_timeouts_round_trip_edom) {
  struct fix f;
  fix_init(&f);
  int t4 = sock(&f, AF_INET, SOCK_STREAM);
  struct timeval tv = {1, 500000}, got;
  socklen_t len = sizeof(got);
  ZT_EQ(zn_posix_setsockopt(f.px, t4, SOL_SOCKET, LX_SO_RCVTIMEO_OLD, &tv,
                            sizeof(tv)),
        0);
  ZT_EQ(
      zn_posix_getsockopt(f.px, t4, SOL_SOCKET, LX_SO_RCVTIMEO_OLD, &got, &len),
      0);
  ZT_EQ(len, sizeof(got));
  ZT_EQ(got.tv_sec, 1);
  ZT_EQ(got.tv_usec, 500000);
  tv.tv_usec = 1000000;
  ZT_EQ(zn_posix_setsockopt(f.px, t4, SOL_SOCKET, LX_SO_RCVTIMEO_OLD, &tv,
                            sizeof(tv)),
        -EDOM);
  tv.tv_usec = -1;
  ZT_EQ(zn_posix_setsockopt(f.px, t4, SOL_SOCKET, LX_SO_RCVTIMEO_OLD, &tv,
                            sizeof(tv)),
        -EDOM);
  ZT_EQ(zn_posix_setsockopt(f.px, t4, SOL_SOCKET, LX_SO_RCVTIMEO_OLD, &tv, 8),
        -EINVAL);
  /* A negative time: do not wait (reported as 0). */
  tv.tv_sec = -3;
  tv.tv_usec = 0;
  ZT_EQ(zn_posix_setsockopt(f.px, t4, SOL_SOCKET, LX_SO_RCVTIMEO_OLD, &tv,
                            sizeof(tv)),
        0);
  len = sizeof(got);
  ZT_EQ(
      zn_posix_getsockopt(f.px, t4, SOL_SOCKET, LX_SO_RCVTIMEO_OLD, &got, &len),
      0);
  ZT_EQ(got.tv_sec, 0);
  ZT_EQ(got.tv_usec, 0);
  /* The 64-bit form (SO_SNDTIMEO_NEW) is the same on 64-bit hosts. */
  int64_t t64[2] = {7, 250}, g64[2] = {0, 0};
  ZT_EQ(zn_posix_setsockopt(f.px, t4, SOL_SOCKET, LX_SO_SNDTIMEO_NEW, t64,
                            sizeof(t64)),
        0);
  len = sizeof(g64);
  ZT_EQ(
      zn_posix_getsockopt(f.px, t4, SOL_SOCKET, LX_SO_SNDTIMEO_NEW, g64, &len),
      0);
  ZT_EQ(len, 16);
  ZT_EQ(g64[0], 7);
  ZT_EQ(g64[1], 250);
  fix_free(&f);
}

ZT_TEST(test_linger_round_trip) {
  struct fix f;
  fix_init(&f);
  int t4 = sock(&f, AF_INET, SOCK_STREAM);
  struct linger l = {1, 5}, got;
  socklen_t len = sizeof(got);
  ZT_EQ(zn_posix_setsockopt(f.px, t4, SOL_SOCKET, SO_LINGER, &l, sizeof(l)), 0);
  ZT_EQ(zn_posix_getsockopt(f.px, t4, SOL_SOCKET, SO_LINGER, &got, &len), 0);
  ZT_EQ(len, sizeof(got));
  ZT_EQ(got.l_onoff, 1);
  ZT_EQ(got.l_linger, 5);
  l.l_onoff = 0;
  l.l_linger = 9; /* as Linux: kept only when turned on */
  ZT_EQ(zn_posix_setsockopt(f.px, t4, SOL_SOCKET, SO_LINGER, &l, sizeof(l)), 0);
  ZT_EQ(zn_posix_getsockopt(f.px, t4, SOL_SOCKET, SO_LINGER, &got, &len), 0);
  ZT_EQ(got.l_onoff, 0);
  ZT_EQ(got.l_linger, 5);
  ZT_EQ(zn_posix_setsockopt(f.px, t4, SOL_SOCKET, SO_LINGER, &l, 4), -EINVAL);
  fix_free(&f);
}

ZT_TEST(test_keepalive_ranges) {
  struct fix f;
  fix_init(&f);
  int t4 = sock(&f, AF_INET, SOCK_STREAM);
  ZT_EQ(geti(&f, t4, IPPROTO_TCP, TCP_KEEPIDLE), 7200);
  ZT_EQ(geti(&f, t4, IPPROTO_TCP, TCP_KEEPINTVL), 75);
  ZT_EQ(geti(&f, t4, IPPROTO_TCP, TCP_KEEPCNT), 9);
  ZT_EQ(seti(&f, t4, IPPROTO_TCP, TCP_KEEPIDLE, 0), -EINVAL);
  ZT_EQ(seti(&f, t4, IPPROTO_TCP, TCP_KEEPIDLE, 32768), -EINVAL);
  ZT_EQ(seti(&f, t4, IPPROTO_TCP, TCP_KEEPINTVL, 32768), -EINVAL);
  ZT_EQ(seti(&f, t4, IPPROTO_TCP, TCP_KEEPCNT, 128), -EINVAL);
  ZT_EQ(seti(&f, t4, IPPROTO_TCP, TCP_KEEPIDLE, 60), 0);
  ZT_EQ(seti(&f, t4, IPPROTO_TCP, TCP_KEEPINTVL, 32767), 0);
  ZT_EQ(seti(&f, t4, IPPROTO_TCP, TCP_KEEPCNT, 127), 0);
  ZT_EQ(geti(&f, t4, IPPROTO_TCP, TCP_KEEPIDLE), 60);
  ZT_EQ(geti(&f, t4, IPPROTO_TCP, TCP_KEEPINTVL), 32767);
  ZT_EQ(geti(&f, t4, IPPROTO_TCP, TCP_KEEPCNT), 127);
  ZT_EQ(seti(&f, t4, IPPROTO_TCP, TCP_USER_TIMEOUT, -1), -EINVAL);
  ZT_EQ(seti(&f, t4, IPPROTO_TCP, TCP_USER_TIMEOUT, 30000), 0);
  ZT_EQ(geti(&f, t4, IPPROTO_TCP, TCP_USER_TIMEOUT), 30000);
  fix_free(&f);
}

static int set_cc(struct fix *f, int fd, const char *name, socklen_t len) {
  return zn_posix_setsockopt(f->px, fd, IPPROTO_TCP, TCP_CONGESTION, name, len);
}

static void check_cc(struct fix *f, int fd, const char *want) {
  char name[32];
  memset(name, 'x', sizeof(name));
  socklen_t len = sizeof(name);
  ZT_EQ(zn_posix_getsockopt(f->px, fd, IPPROTO_TCP, TCP_CONGESTION, name, &len),
        0);
  ZT_EQ(len, 16);
  ZT_STREQ(name, want);
}

ZT_TEST(test_congestion_names) {
  struct fix f;
  fix_init(&f);
  int t4 = sock(&f, AF_INET, SOCK_STREAM);
  check_cc(&f, t4, "cubic");
  ZT_EQ(set_cc(&f, t4, "reno", 5), 0);
  check_cc(&f, t4, "reno");
  ZT_EQ(set_cc(&f, t4, "cubic", 5), 0);
  check_cc(&f, t4, "cubic");
  ZT_EQ(set_cc(&f, t4, "newreno", 7), 0);
  check_cc(&f, t4, "reno");
  ZT_EQ(set_cc(&f, t4, "cubicX", 5), 0); /* only len bytes are read */
  check_cc(&f, t4, "cubic");
  ZT_EQ(set_cc(&f, t4, "bbr", 4), 0);
  check_cc(&f, t4, "bbr");
  ZT_EQ(set_cc(&f, t4, "vegas", 6), -ENOENT);
  check_cc(&f, t4, "bbr");
  ZT_EQ(set_cc(&f, t4, "cubic", 6), 0);
  ZT_EQ(set_cc(&f, t4, "cubic", 0), -EINVAL);
  ZT_EQ(set_cc(&f, t4, NULL, 5), -EFAULT);
  char two[2];
  socklen_t len = 2;
  ZT_EQ(zn_posix_getsockopt(f.px, t4, IPPROTO_TCP, TCP_CONGESTION, two, &len),
        0);
  ZT_EQ(len, 2);
  ZT_MEMEQ(two, "cu", 2);
  fix_free(&f);
}

ZT_TEST(test_ip_tos_ttl_tclass_hops) {
  struct fix f;
  fix_init(&f);
  int t4 = sock(&f, AF_INET, SOCK_STREAM), u4 = sock(&f, AF_INET, SOCK_DGRAM);
  int t6 = sock(&f, AF_INET6, SOCK_STREAM), u6 = sock(&f, AF_INET6, SOCK_DGRAM);
  ZT_EQ(geti(&f, t4, IPPROTO_IP, IP_TTL), 64);
  ZT_EQ(seti(&f, t4, IPPROTO_IP, IP_TTL, 0), -EINVAL);
  ZT_EQ(seti(&f, t4, IPPROTO_IP, IP_TTL, 256), -EINVAL);
  ZT_EQ(seti(&f, t4, IPPROTO_IP, IP_TTL, 200), 0);
  ZT_EQ(geti(&f, t4, IPPROTO_IP, IP_TTL), 200);
  ZT_EQ(seti(&f, t4, IPPROTO_IP, IP_TTL, -1), 0);
  ZT_EQ(geti(&f, t4, IPPROTO_IP, IP_TTL), 64);
  /* TCP keeps the ECN bits its own; UDP sends all eight. */
  ZT_EQ(seti(&f, t4, IPPROTO_IP, IP_TOS, 0xff), 0);
  ZT_EQ(geti(&f, t4, IPPROTO_IP, IP_TOS), 0xfc);
  ZT_EQ(seti(&f, u4, IPPROTO_IP, IP_TOS, 0xff), 0);
  ZT_EQ(geti(&f, u4, IPPROTO_IP, IP_TOS), 0xff);
  /* An AF_INET6 TCP socket has both: IPv4's for IPv4 connections. */
  ZT_EQ(seti(&f, t6, IPPROTO_IP, IP_TOS, 0x20), 0);
  ZT_EQ(seti(&f, t6, IPPROTO_IPV6, IPV6_TCLASS, 0x48), 0);
  ZT_EQ(geti(&f, t6, IPPROTO_IP, IP_TOS), 0x20);
  ZT_EQ(geti(&f, t6, IPPROTO_IPV6, IPV6_TCLASS), 0x48);
  ZT_EQ(seti(&f, u6, IPPROTO_IPV6, IPV6_TCLASS, -2), -EINVAL);
  ZT_EQ(seti(&f, u6, IPPROTO_IPV6, IPV6_TCLASS, 256), -EINVAL);
  ZT_EQ(seti(&f, u6, IPPROTO_IPV6, IPV6_TCLASS, 0xb9), 0);
  ZT_EQ(geti(&f, u6, IPPROTO_IPV6, IPV6_TCLASS), 0xb9);
  ZT_EQ(seti(&f, u6, IPPROTO_IPV6, IPV6_TCLASS, -1), 0);
  ZT_EQ(geti(&f, u6, IPPROTO_IPV6, IPV6_TCLASS), 0);
  ZT_EQ(geti(&f, u6, IPPROTO_IPV6, IPV6_UNICAST_HOPS), 64);
  ZT_EQ(seti(&f, u6, IPPROTO_IPV6, IPV6_UNICAST_HOPS, 0), -EINVAL);
  ZT_EQ(seti(&f, u6, IPPROTO_IPV6, IPV6_UNICAST_HOPS, -2), -EINVAL);
  ZT_EQ(seti(&f, u6, IPPROTO_IPV6, IPV6_UNICAST_HOPS, 9), 0);
  ZT_EQ(geti(&f, u6, IPPROTO_IPV6, IPV6_UNICAST_HOPS), 9);
  fix_free(&f);
}

static struct sockaddr_in sin_of(uint32_t ip, uint16_t port) {
  struct sockaddr_in a;
  memset(&a, 0, sizeof(a));
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(ip);
  return a;
}

ZT_TEST(test_v6only_refused_once_bound) {
  struct fix f;
  fix_init(&f);
  int t6 = sock(&f, AF_INET6, SOCK_STREAM), u6 = sock(&f, AF_INET6, SOCK_DGRAM);
  struct sockaddr_in6 any;
  memset(&any, 0, sizeof(any));
  any.sin6_family = AF_INET6;
  any.sin6_port = htons(5000);
  for (int i = 0; i < 2; i++) {
    int fd = i ? u6 : t6;
    ZT_EQ(geti(&f, fd, IPPROTO_IPV6, IPV6_V6ONLY), 0);
    ZT_EQ(seti(&f, fd, IPPROTO_IPV6, IPV6_V6ONLY, 1), 0);
    ZT_EQ(geti(&f, fd, IPPROTO_IPV6, IPV6_V6ONLY), 1);
    ZT_EQ(zn_posix_bind(f.px, fd, (struct sockaddr *)&any, sizeof(any)), 0);
    ZT_EQ(seti(&f, fd, IPPROTO_IPV6, IPV6_V6ONLY, 0), -EINVAL);
    ZT_EQ(geti(&f, fd, IPPROTO_IPV6, IPV6_V6ONLY), 1);
  }
  fix_free(&f);
}

static int tcp_info(struct fix *f, int fd, struct tcp_info *ti,
                    socklen_t *len) {
  memset(ti, 0xee, sizeof(*ti));
  return zn_posix_getsockopt(f->px, fd, IPPROTO_TCP, TCP_INFO, ti, len);
}

ZT_TEST(test_tcp_info_closed_and_listening) {
  struct fix f;
  fix_init(&f);
  int t4 = sock(&f, AF_INET, SOCK_STREAM);
  struct tcp_info ti;
  socklen_t len = sizeof(ti);
  ZT_EQ(tcp_info(&f, t4, &ti, &len), 0);
  ZT_EQ(len, sizeof(ti)); /* glibc's prefix */
  ZT_EQ(ti.tcpi_state, TCP_CLOSE);
  ZT_EQ(ti.tcpi_snd_mss, 536);
  ZT_EQ(geti(&f, t4, IPPROTO_TCP, TCP_MAXSEG), 536);
  uint8_t big[400];
  len = sizeof(big);
  ZT_EQ(zn_posix_getsockopt(f.px, t4, IPPROTO_TCP, TCP_INFO, big, &len), 0);
  ZT_EQ(len, 248); /* Linux 6.7's struct */
  struct sockaddr_in a = sin_of(0, 8080);
  ZT_EQ(zn_posix_bind(f.px, t4, (struct sockaddr *)&a, sizeof(a)), 0);
  ZT_EQ(zn_posix_listen(f.px, t4, 5), 0);
  ZT_EQ(geti(&f, t4, SOL_SOCKET, SO_ACCEPTCONN), 1);
  len = sizeof(ti);
  ZT_EQ(tcp_info(&f, t4, &ti, &len), 0);
  ZT_EQ(ti.tcpi_state, TCP_LISTEN);
  ZT_EQ(ti.tcpi_unacked, 0); /* the accept queue */
  ZT_EQ(ti.tcpi_sacked, 5);  /* the backlog */
  fix_free(&f);
}

/* B's listener: takes every connection and keeps it. */
static void b_accept(struct zn_tcp_conn *l, void *arg) {
  struct zn_tcp_conn **keep = arg, *c;
  while (zn_tcp_accept(l, &c) == ZN_OK)
    *keep = c;
}

static const struct zn_tcp_callbacks b_cbs = {.on_accept = b_accept};

ZT_TEST(test_tcp_info_established_and_setters) {
  struct fix f;
  fix_init(&f);
  struct zn_tcp_conn *l = NULL, *srv = NULL;
  ZT_REQUIRE(zn_tcp_listen(f.p.b, TH_IP(IP_B), 80, 0, &b_cbs, &srv, &l) ==
             ZN_OK);
  int fd = sock(&f, AF_INET, SOCK_STREAM);
  ZT_EQ(seti(&f, fd, IPPROTO_TCP, TCP_NODELAY, 1), 0);
  struct sockaddr_in a = sin_of(IP_B, 80);
  ZT_EQ(zn_posix_connect(f.px, fd, (struct sockaddr *)&a, sizeof(a)), 0);
  ZT_REQUIRE(srv != NULL);

  struct tcp_info ti;
  socklen_t len = sizeof(ti);
  ZT_EQ(tcp_info(&f, fd, &ti, &len), 0);
  ZT_EQ(ti.tcpi_state, TCP_ESTABLISHED);
  ZT_CHECK(ti.tcpi_snd_mss > 0 && ti.tcpi_snd_mss <= 1460);
  ZT_EQ(geti(&f, fd, IPPROTO_TCP, TCP_MAXSEG), (int)ti.tcpi_snd_mss);
  ZT_CHECK(ti.tcpi_snd_cwnd >= 1);
  ZT_EQ(ti.tcpi_unacked, 0);
  ZT_EQ(geti(&f, fd, IPPROTO_TCP, TCP_NODELAY), 1);

  /* Before any data the algorithm can change, after it not. */
  ZT_EQ(set_cc(&f, fd, "reno", 4), 0);
  check_cc(&f, fd, "reno");
  ZT_EQ(seti(&f, fd, SOL_SOCKET, SO_SNDBUF, 50000), 0);
  ZT_EQ(geti(&f, fd, SOL_SOCKET, SO_SNDBUF), 100000);
  ZT_EQ(zn_posix_sendto(f.px, fd, "hello", 5, 0, NULL, 0), 5);
  th_pair_run(&f.p, 100000000);
  ZT_EQ(set_cc(&f, fd, "cubic", 5), -EINVAL);
  check_cc(&f, fd, "reno");
  len = sizeof(ti);
  ZT_EQ(tcp_info(&f, fd, &ti, &len), 0);
  ZT_EQ(ti.tcpi_unacked, 0);
  /* Beyond glibc's struct, at Linux's offsets: what the rate estimator
   * and pacing say (the harness does not pace: "none", all ones). */
  uint8_t big[248];
  len = sizeof(big);
  ZT_EQ(zn_posix_getsockopt(f.px, fd, IPPROTO_TCP, TCP_INFO, big, &len), 0);
  uint64_t pacing, rate;
  uint32_t delivered;
  memcpy(&pacing, big + 104, sizeof(pacing));
  memcpy(&rate, big + 160, sizeof(rate));
  memcpy(&delivered, big + 192, sizeof(delivered));
  ZT_EQU(pacing, UINT64_MAX);
  ZT_EQ(delivered, 1u); /* "hello": one segment */
  ZT_EQ(big[7] & 1, 1); /* tcpi_delivery_rate_app_limited */
  ZT_CHECK(rate > 0); /* 5 bytes over the delayed ACK's wait */
  ZT_EQ(zn_posix_close(f.px, fd), 0);
  if (srv)
    zn_tcp_abort(srv);
  zn_tcp_close(l);
  fix_free(&f);
}

int main(void) {
  ZT_RUN(test_unknown_levels_and_names_refused);
  ZT_RUN(test_int_lengths_as_linux);
  ZT_RUN(test_socket_identity_reported);
  ZT_RUN(test_flags_round_trip);
  ZT_RUN(test_bufsizes_doubled_and_bounded);
  ZT_RUN(test_timeouts_round_trip_edom);
  ZT_RUN(test_linger_round_trip);
  ZT_RUN(test_keepalive_ranges);
  ZT_RUN(test_congestion_names);
  ZT_RUN(test_ip_tos_ttl_tclass_hops);
  ZT_RUN(test_v6only_refused_once_bound);
  ZT_RUN(test_tcp_info_closed_and_listening);
  ZT_RUN(test_tcp_info_established_and_setters);
  return zt_done();
}
