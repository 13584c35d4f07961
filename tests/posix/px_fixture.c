/* The two-layer fixture (px_fixture.h). */
#include "px_fixture.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

struct px_pair *pxp;

static uint64_t h_now(void *ctx) { return ((struct px_pair *)ctx)->p.now; }

static int h_reserve(void *ctx) {
  (void)ctx;
  int fd = eventfd(0, EFD_CLOEXEC);
  return fd < 0 ? -errno : fd;
}

static void h_release(void *ctx, int fd) {
  (void)ctx;
  close(fd);
}

static int h_dup(void *ctx, int oldfd, int newfd, int min, int flags) {
  (void)ctx;
  (void)flags;
  int rc = newfd < 0 ? fcntl(oldfd, F_DUPFD_CLOEXEC, min)
                     : dup3(oldfd, newfd, O_CLOEXEC);
  return rc < 0 ? -errno : rc;
}

/* Advance the clock to the deadline (1 ms steps at most, so frames
 * cross), polling both stacks; the foreign descriptors are polled with
 * no wait at each step. */
static int h_wait(void *ctx, struct pollfd *kfds, unsigned n,
                  uint64_t deadline, const sigset_t *mask) {
  (void)mask;
  struct px_pair *x = ctx;
  x->waits++;
  if (x->intr_after > 0 && --x->intr_after == 0)
    return x->intr_restart ? -ZN_POSIX_ERESTART : -EINTR;
  if (x->p.now > x->limit) {
    zt_fail(__FILE__, __LINE__, "a wait ran past the virtual time limit");
    return -EINTR;
  }
  uint64_t step = deadline > x->p.now ? deadline - x->p.now : 0;
  if (step > 1000000)
    step = 1000000;
  th_pair_run(&x->p, step ? step : 1);
  if (!n)
    return 0;
  int k = poll(kfds, n, 0);
  return k < 0 ? -errno : k;
}

static void h_serve(void *ctx, uint8_t proto, uint16_t port, bool on) {
  struct px_pair *x = ctx;
  if (x->nserved < sizeof(x->served) / sizeof(x->served[0]))
    x->served[x->nserved].proto = proto, x->served[x->nserved].port = port,
    x->served[x->nserved++].on = on;
}

static void h_orphan(void *ctx, int fd) {
  struct px_pair *x = ctx;
  x->orphans++;
  x->orphan_fd = fd;
}

static int h_kepoll_create(void *ctx, int flags) {
  (void)ctx;
  int fd = epoll_create1(flags);
  return fd < 0 ? -errno : fd;
}

static int h_kepoll_ctl(void *ctx, int epfd, int op, int fd,
                        struct epoll_event *ev) {
  (void)ctx;
  return epoll_ctl(epfd, op, fd, ev) < 0 ? -errno : 0;
}

static int h_kepoll_wait(void *ctx, int epfd, struct epoll_event *evs,
                         int max) {
  (void)ctx;
  int k = epoll_wait(epfd, evs, max, 0);
  return k < 0 ? -errno : k;
}

static struct zn_posix *layer(struct px_pair *x, struct zn_stack *st,
                              const struct zn_config *cfg, void **mem,
                              bool grouped) {
  struct zn_posix_cfg pc;
  zn_posix_cfg_default(&pc, cfg);
  pc.max_fd = 4096;
  size_t len = zn_posix_mem_size(&pc);
  *mem = malloc(len);
  struct zn_posix_host h = {
      .ctx = x,
      .now = h_now,
      .fd_reserve = h_reserve,
      .fd_release = h_release,
      .fd_dup = h_dup,
      .wait = h_wait,
      .kepoll_create = h_kepoll_create,
      .kepoll_ctl = h_kepoll_ctl,
      .kepoll_wait = h_kepoll_wait,
      .serve = grouped ? h_serve : NULL,
      .orphan = h_orphan,
  };
  struct zn_posix *px = NULL;
  if (zn_posix_init(st, &pc, &h, *mem, len, &px) != ZN_OK) {
    zt_fail(__FILE__, __LINE__, "zn_posix_init");
    exit(1);
  }
  return px;
}

static void init(struct px_pair *x, bool ipv6, bool grouped) {
  memset(x, 0, sizeof(*x));
  x->grouped = grouped;
  struct zn_config ca, cb;
  th_config(&ca, ZN_IPV4(10, 0, 0, 1), 24, 1);
  th_config(&cb, ZN_IPV4(10, 0, 0, 2), 24, 2);
  ca.ipv6 = cb.ipv6 = ipv6;
  ca.ipv6_dad_transmits = cb.ipv6_dad_transmits = 0;
  th_pair_init(&x->p, &ca, &cb);
  x->p.now = 1000000000ull;
  th_pair_run(&x->p, 1000);
  if (ipv6) {
    struct zn_ip a, b;
    zn_ip_parse("fd00::1", &a);
    zn_ip_parse("fd00::2", &b);
    ZT_REQUIRE(zn_stack_add_ipv6(x->p.a, &a, 64) == ZN_OK);
    ZT_REQUIRE(zn_stack_add_ipv6(x->p.b, &b, 64) == ZN_OK);
    th_pair_run(&x->p, 1000000);
  }
  x->limit = x->p.now + 600ull * 1000000000ull;
  x->pa = layer(x, x->p.a, &ca, &x->ma, false);
  x->pb = layer(x, x->p.b, &cb, &x->mb, grouped);
  pxp = x;
}

void pxp_init(struct px_pair *x, bool ipv6) { init(x, ipv6, false); }
void pxp_init_group(struct px_pair *x) { init(x, false, true); }

void pxp_run(struct px_pair *x, uint64_t dur) { th_pair_run(&x->p, dur); }

void pxp_free(struct px_pair *x) {
  zn_posix_destroy(x->pa);
  zn_posix_destroy(x->pb);
  th_pair_run(&x->p, 300ull * 1000000000ull);
  th_pair_free(&x->p);
  free(x->ma);
  free(x->mb);
}

struct sockaddr_in pxp_sin(uint32_t a, uint16_t port) {
  struct sockaddr_in s;
  memset(&s, 0, sizeof(s));
  s.sin_family = AF_INET;
  s.sin_port = htons(port);
  s.sin_addr.s_addr = htonl(a);
  return s;
}

struct sockaddr_in6 pxp_sin6(const char *text, uint16_t port) {
  struct sockaddr_in6 s;
  memset(&s, 0, sizeof(s));
  s.sin6_family = AF_INET6;
  s.sin6_port = htons(port);
  struct zn_ip ip;
  ZT_CHECK(zn_ip_parse(text, &ip) == ZN_OK);
  if (ip.family == ZN_AF_INET) {
    s.sin6_addr.s6_addr[10] = s.sin6_addr.s6_addr[11] = 0xff;
    memcpy(s.sin6_addr.s6_addr + 12, ip.bytes, 4);
  } else {
    memcpy(s.sin6_addr.s6_addr, ip.bytes, 16);
  }
  return s;
}

void pxp_tcp_connected(struct px_pair *x, uint16_t port, int *lis, int *cli,
                       int *srv) {
  *cli = *srv = -1;
  if (lis)
    *lis = -1;
  int l = zn_posix_socket(x->pb, AF_INET, SOCK_STREAM, 0);
  ZT_REQUIRE(l >= 0);
  struct sockaddr_in sa = pxp_sin(0, port);
  ZT_REQUIRE(zn_posix_bind(x->pb, l, (struct sockaddr *)&sa, sizeof(sa)) == 0);
  ZT_REQUIRE(zn_posix_listen(x->pb, l, 16) == 0);
  int c = zn_posix_socket(x->pa, AF_INET, SOCK_STREAM, 0);
  ZT_REQUIRE(c >= 0);
  struct sockaddr_in to = pxp_sin(ZN_IPV4(10, 0, 0, 2), port);
  ZT_REQUIRE(zn_posix_connect(x->pa, c, (struct sockaddr *)&to, sizeof(to)) ==
             0);
  int s = zn_posix_accept4(x->pb, l, NULL, NULL, 0);
  ZT_REQUIRE(s >= 0);
  *cli = c;
  *srv = s;
  if (lis)
    *lis = l;
  else
    zn_posix_close(x->pb, l);
}
