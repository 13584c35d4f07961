/*
 * znb-pxcost: what one socket call of libznet-posix costs, on a socket
 * that is ready: a non-blocking recv(2) of 64 bytes that are waiting, a
 * non-blocking send(2) of 64 bytes with room in the send buffer.
 *
 *     znb-pxcost recv|send N          N measured calls on the layer
 *     znb-pxcost recv|send N --lock   each wrapped in a mutex, as the
 *                                     preload (znet-run) wraps it
 *     znb-pxcost recv|send N --time   the same calls timed, and the
 *                                     kernel's own on a TCP connection
 *                                     over loopback, side by side
 *
 * Two znet stacks over a memlink, a layer on each, one TCP connection;
 * between measured calls the peer sends (or reads) and the clock and the
 * link move on, outside the measurement.  On the virtual clock two runs
 * execute the same instructions: bench/posix.sh runs it under callgrind
 * with --toggle-collect on measured_call, so only the calls count,
 * everything they do included (the layer, the stack's TCP, the frame
 * handed to the link).  With --time the host's clock drives nothing:
 * each call is timed on its own with clock_gettime, the same way for the
 * kernel's sockets, and the line says both medians in nanoseconds.
 *
 * Prints one "znb mode=pxcost-OP ops=N ..." line; exits 1 if a call did
 * not do what it should.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "znet.h"
#include "znet/memlink.h"
#include "znet/posix.h"
#include "znb_pair.h"

#define PROG "znb-pxcost"
#define PORT 5001
#define MSG 64
#define STEP_LIMIT 100000

static struct zn_stack *sa, *sb;
static struct zn_posix *pa, *pb;
static struct zn_memlink link_;
static uint64_t now;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

static __attribute__((noreturn)) void fail(const char *msg, long rc) {
  fprintf(stderr, PROG ": %s: %ld\n", msg, rc);
  exit(1);
}

/* ---- the two stacks ---- */

static struct zn_stack *new_stack(uint8_t last, struct zn_config *cfg) {
  znb_config(cfg, ZN_IPV4(10, 0, 0, last), last);
  cfg->tcp_conns = 16;
  size_t len = zn_stack_mem_size(cfg);
  void *mem = len ? malloc(len) : NULL;
  if (!mem)
    fail("memory", ZN_ENOMEM);
  struct zn_stack *st;
  int rc = zn_stack_create(cfg, mem, len, &st);
  if (rc != ZN_OK)
    fail("zn_stack_create", rc);
  return st;
}

/* Poll both stacks; with nothing in flight, move the clock to the next
 * deadline. */
static void step(void) { znb_step(sa, sb, &link_, &now, NULL); }

/* Frames across until the link is quiet (timers not run). */
static void settle(void) {
  for (int i = 0; i < 64; i++) {
    zn_stack_poll(sa, now);
    zn_stack_poll(sb, now);
    if (!link_.a.rxq.count && !link_.b.rxq.count)
      return;
  }
}

/* ---- the layers' host ---- */

static uint64_t h_now(void *ctx) {
  (void)ctx;
  return now;
}

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

/* A wait moves the virtual clock: one step of both stacks. */
static int h_wait(void *ctx, struct pollfd *kfds, unsigned n,
                  uint64_t deadline, const sigset_t *mask) {
  (void)ctx;
  (void)kfds;
  (void)n;
  (void)deadline;
  (void)mask;
  step();
  return 0;
}

static struct zn_posix *layer(struct zn_stack *st,
                              const struct zn_config *cfg) {
  struct zn_posix_cfg pc;
  zn_posix_cfg_default(&pc, cfg);
  pc.max_fd = 1024;
  size_t len = zn_posix_mem_size(&pc);
  void *mem = malloc(len);
  struct zn_posix_host h = {
      .now = h_now,
      .fd_reserve = h_reserve,
      .fd_release = h_release,
      .fd_dup = h_dup,
      .wait = h_wait,
  };
  struct zn_posix *px = NULL;
  if (!mem || zn_posix_init(st, &pc, &h, mem, len, &px) != ZN_OK)
    fail("zn_posix_init", -1);
  return px;
}

/* A connection from A to B: *fa on A, *fb on B (blocking calls, driven
 * by the virtual clock). */
static void connect_pair(int *fa, int *fb) {
  struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(PORT)};
  int l = zn_posix_socket(pb, AF_INET, SOCK_STREAM, 0);
  if (l < 0 || zn_posix_bind(pb, l, (struct sockaddr *)&sin, sizeof(sin)) ||
      zn_posix_listen(pb, l, 4))
    fail("listen", l);
  *fa = zn_posix_socket(pa, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  sin.sin_addr.s_addr = htonl(ZN_IPV4(10, 0, 0, 2));
  int rc = zn_posix_connect(pa, *fa, (struct sockaddr *)&sin, sizeof(sin));
  if (rc != -EINPROGRESS)
    fail("connect", rc);
  for (int i = 0; i < STEP_LIMIT; i++) {
    step();
    *fb = zn_posix_accept4(pb, l, NULL, NULL, SOCK_NONBLOCK);
    if (*fb >= 0)
      break;
  }
  if (*fb < 0)
    fail("accept", *fb);
  for (int i = 0; i < 100; i++)
    step();
  int one = 1;
  zn_posix_setsockopt(pa, *fa, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  zn_posix_setsockopt(pb, *fb, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

/* ---- the measured calls ---- */

static uint8_t msg[MSG], got[MSG];
static bool locked;

__attribute__((noinline)) static long measured_call(bool recv_op, int fd) {
  if (locked)
    pthread_mutex_lock(&mu);
  long rc = recv_op ? zn_posix_recvfrom(pa, fd, got, MSG, MSG_DONTWAIT,
                                        NULL, NULL)
                    : zn_posix_sendto(pa, fd, msg, MSG,
                                      MSG_DONTWAIT | MSG_NOSIGNAL, NULL, 0);
  if (locked)
    pthread_mutex_unlock(&mu);
  return rc;
}

/* Make the next call ready: for recv, 64 bytes from B arrived at A; for
 * send, what A sent read by B and acknowledged. */
static void prepare(bool recv_op, int fa, int fb) {
  (void)fa;
  if (recv_op) {
    if (zn_posix_sendto(pb, fb, msg, MSG, MSG_DONTWAIT, NULL, 0) != MSG)
      fail("the peer's send", -1);
    settle();
    return;
  }
  settle();
  uint8_t sink[4096];
  while (zn_posix_recvfrom(pb, fb, sink, sizeof(sink), MSG_DONTWAIT, NULL,
                           NULL) > 0)
    ;
  settle();
}

static uint64_t mono_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

static uint64_t median(uint64_t *v, uint32_t n) {
  qsort(v, n, sizeof(*v), cmp_u64);
  return v[n / 2];
}

/* N calls on the layer; with t, each one's time in t[]. */
static void run_znet(bool recv_op, uint32_t n, uint64_t *t) {
  int fa, fb;
  connect_pair(&fa, &fb);
  for (uint32_t i = 0; i < n; i++) {
    prepare(recv_op, fa, fb);
    uint64_t t0 = t ? mono_ns() : 0;
    long rc = measured_call(recv_op, fa);
    if (t)
      t[i] = mono_ns() - t0;
    if (rc != MSG)
      fail(recv_op ? "recv" : "send", rc);
    now += ZN_US(50);
  }
}

/* ---- the kernel's own calls, for --time ---- */

static void kernel_pair(int *fa, int *fb) {
  struct sockaddr_in sin = {.sin_family = AF_INET,
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t sl = sizeof(sin);
  int l = socket(AF_INET, SOCK_STREAM, 0);
  if (l < 0 || bind(l, (struct sockaddr *)&sin, sizeof(sin)) ||
      listen(l, 4) || getsockname(l, (struct sockaddr *)&sin, &sl))
    fail("kernel listen", errno);
  *fa = socket(AF_INET, SOCK_STREAM, 0);
  if (*fa < 0 || connect(*fa, (struct sockaddr *)&sin, sizeof(sin)))
    fail("kernel connect", errno);
  *fb = accept(l, NULL, NULL);
  if (*fb < 0)
    fail("kernel accept", errno);
  close(l);
  int one = 1;
  setsockopt(*fa, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  setsockopt(*fb, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static void run_kernel(bool recv_op, uint32_t n, uint64_t *t) {
  int fa, fb;
  kernel_pair(&fa, &fb);
  uint8_t sink[4096];
  for (uint32_t i = 0; i < n; i++) {
    if (recv_op) {
      if (send(fb, msg, MSG, 0) != MSG)
        fail("kernel peer send", errno);
      struct pollfd p = {.fd = fa, .events = POLLIN};
      (void)poll(&p, 1, 1000); /* ready, and so it is measured */
    } else {
      while (recv(fb, sink, sizeof(sink), MSG_DONTWAIT) > 0)
        ;
    }
    uint64_t t0 = mono_ns();
    ssize_t rc = recv_op ? recv(fa, got, MSG, MSG_DONTWAIT)
                         : send(fa, msg, MSG, MSG_DONTWAIT | MSG_NOSIGNAL);
    t[i] = mono_ns() - t0;
    if (rc != MSG)
      fail(recv_op ? "kernel recv" : "kernel send", errno);
  }
  close(fa);
  close(fb);
}

/* The clock's own cost (two reads back to back), taken off both. */
static uint64_t clock_cost(uint64_t *t, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) {
    uint64_t t0 = mono_ns();
    t[i] = mono_ns() - t0;
  }
  return median(t, n);
}

int main(int argc, char **argv) {
  if (argc < 3 || (strcmp(argv[1], "recv") && strcmp(argv[1], "send"))) {
    fprintf(stderr, "usage: " PROG " recv|send N [--lock|--time]\n");
    return 2;
  }
  bool recv_op = strcmp(argv[1], "recv") == 0;
  uint32_t n = (uint32_t)strtoul(argv[2], NULL, 10);
  bool timed = argc > 3 && strcmp(argv[3], "--time") == 0;
  locked = argc > 3 && strcmp(argv[3], "--lock") == 0;
  if (n == 0)
    fail("N must be at least 1", 0);
  memset(msg, 'x', sizeof(msg));
  struct zn_config ca, cb;
  sa = new_stack(1, &ca);
  sb = new_stack(2, &cb);
  zn_memlink_init(&link_, 0, 0);
  zn_memlink_set_offloads(&link_, false);
  zn_stack_attach(sa, &link_.a.nif);
  zn_stack_attach(sb, &link_.b.nif);
  now = ZN_MS(1);
  step();
  pa = layer(sa, &ca);
  pb = layer(sb, &cb);
  if (!timed) {
    run_znet(recv_op, n, NULL);
    printf("znb mode=pxcost-%s%s ops=%" PRIu32 " secs=0 rate=0 unit=op\n",
           argv[1], locked ? "-lock" : "", n);
    return 0;
  }
  uint64_t *t = calloc(n, sizeof(*t));
  if (!t)
    fail("memory", ZN_ENOMEM);
  uint64_t clk = clock_cost(t, n);
  run_znet(recv_op, n, t);
  uint64_t z = median(t, n);
  run_kernel(recv_op, n, t);
  uint64_t k = median(t, n);
  z = z > clk ? z - clk : 0;
  k = k > clk ? k - clk : 0;
  printf("znb mode=pxcost-%s-time ops=%" PRIu32 " secs=0 rate=0 unit=op "
         "znet_ns=%" PRIu64 " linux_ns=%" PRIu64 " clock_ns=%" PRIu64 "\n",
         argv[1], n, z, k, clk);
  free(t);
  return 0;
}
