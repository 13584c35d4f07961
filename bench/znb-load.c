/*
 * znb-load: the Linux side of every benchmark that crosses a wire (a TAP
 * device or a veth pair), and the Linux kernel's own server for the veth
 * runs.  It uses plain sockets and nothing of znet, so the same client
 * measures znet, lwIP and Linux alike.
 *
 *     znb-load serve [--cc NAME] [--source-bytes N]
 *                                          the server: UDP and TCP echo
 *                                          on 7, TCP discard on 9, TCP
 *                                          source on 19 (epoll, one thread);
 *                                          --cc: its TCP connections' congestion
 *                                          control (TCP_CONGESTION), not the
 *                                          kernel's default; --source-bytes:
 *                                          the source sends N bytes, then
 *                                          its FIN (a short download)
 *     znb-load tcp-send ADDR [-t S | -n BYTES]   bulk into ADDR:9
 *     znb-load tcp-recv ADDR [-t S | -n BYTES [-R N]]   bulk out of ADDR:19
 *     znb-load udp-rr   ADDR [-q N] [-s SIZE] [-t S | -n COUNT]
 *     znb-load tcp-rr   ADDR [-s SIZE] [-t S | -n COUNT]
 *     znb-load tcp-crr  ADDR [-q N] [-S SRC,...] [-t S | -n COUNT]
 *
 * ADDR (and the -S addresses, of the same family) is IPv4 or IPv6
 * (2001:db8::2: the IPv6 rows of scripts/bench).  The server listens on
 * both families (IPv6 where the kernel has it).
 *
 * Every client prints one line on stdout,
 *
 *     znb mode=udp-rr ops=123456 secs=10.000 rate=12345.6 unit=rt/s ...
 *
 * (key=value, space separated: the report reads it, the smoke test checks
 * its shape) and exits 0, or prints why it failed on stderr and exits 1
 * (2 on a usage error).
 *
 * What a rate counts:
 *   tcp-send  bytes written, from connect to the server's FIN that
 *             answers our FIN (so the bytes were all received), Mbit/s
 *   tcp-recv  bytes read in the measured time, Mbit/s; with -R N, N
 *             transfers of -n BYTES one after another, each on a new
 *             connection: its time from connect to the last of the BYTES
 *             read (then it waits for the source's FIN, if it sends one,
 *             before closing); the line gives the times' percentiles in
 *             ms (rate: the median) and how many failed (-T without
 *             progress, or the source closed early), which are left out
 *             of the percentiles
 *   udp-rr    answered datagrams per second with -q in flight; a datagram
 *             not answered within 200 ms is given up (counted as lost) and
 *             its slot refilled
 *   tcp-rr    request/response round trips per second, one in flight,
 *             TCP_NODELAY
 *   tcp-crr   connections per second: connect, established, our FIN, the
 *             server's FIN, close (the client keeps TIME_WAIT), with -q
 *             connections in progress; source addresses from -S are used
 *             in turn so that one address's ports do not run out
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "znb_host.h"

#define PROG "znb-load"
#define PORT_ECHO 7
#define PORT_DISCARD 9
#define PORT_SOURCE 19
#define BULK_CHUNK (64 * 1024)
#define MAX_INFLIGHT 256
#define MAX_SRC 64
#define UDP_GIVEUP_NS 200000000ull
#define MAX_EVENTS 64

/* An IPv4 or IPv6 address. */
struct addr {
  int family; /* AF_INET or AF_INET6 */
  union {
    struct in_addr v4;
    struct in6_addr v6;
  } u;
};

struct opts {
  const char *mode;
  struct addr addr;
  double secs;        /* 0: count mode */
  uint64_t count;     /* -n: operations or bytes */
  unsigned inflight;  /* -q */
  size_t size;        /* -s */
  struct addr src[MAX_SRC];
  unsigned nsrc;
  double timeout;     /* -T: give up after this long without progress */
  unsigned repeat;    /* -R: tcp-recv transfers of count bytes, 0: one */
};

/* -C: the client's congestion control (TCP_CONGESTION), NULL: the
 * kernel's default. */
static const char *cli_cc;


static void die(const char *what) {
  fprintf(stderr, PROG ": %s: %s\n", what, strerror(errno));
  exit(1);
}

static void fail(const char *what) {
  fprintf(stderr, PROG ": %s\n", what);
  exit(1);
}

static __attribute__((noreturn)) void usage(const char *msg) {
  fprintf(stderr, PROG ": %s (try --help)\n", msg);
  exit(2);
}

static const char help[] =
    "usage: " PROG " serve [--cc NAME]\n"
    "       " PROG " tcp-send|tcp-recv|udp-rr|tcp-rr|tcp-crr ADDR [OPTIONS]\n"
    "  ADDR         the server, IPv4 or IPv6 (then -S addresses are IPv6)\n"
    "  -t SECONDS   measure for this long (default 10)\n"
    "  -n COUNT     instead: this many operations (bytes for tcp-send/recv)\n"
    "  -q N         in flight (udp-rr, tcp-crr; default 1)\n"
    "  -s SIZE      request size, bytes (udp-rr, tcp-rr; default 64)\n"
    "  -S A,B,...   source addresses for tcp-crr, used in turn\n"
    "  -T SECONDS   fail after this long without progress (default 10)\n"
    "  -C NAME      the client's congestion control (TCP_CONGESTION)\n"
    "  -R N         tcp-recv -n: N transfers, each on a new connection;\n"
    "               their completion times' percentiles\n";

/* a:port as a socket address in *s; returns its length. */
static socklen_t sa_of(const struct addr *a, uint16_t port,
                       struct sockaddr_storage *s) {
  memset(s, 0, sizeof(*s));
  if (a->family == AF_INET6) {
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)s;
    s6->sin6_family = AF_INET6;
    s6->sin6_addr = a->u.v6;
    s6->sin6_port = htons(port);
    return sizeof(*s6);
  }
  struct sockaddr_in *s4 = (struct sockaddr_in *)s;
  s4->sin_family = AF_INET;
  s4->sin_addr = a->u.v4;
  s4->sin_port = htons(port);
  return sizeof(*s4);
}

/* A text address of either family into *a; false if it is neither. */
static bool parse_addr(const char *text, struct addr *a) {
  memset(a, 0, sizeof(*a));
  a->family = strchr(text, ':') ? AF_INET6 : AF_INET;
  return inet_pton(a->family, text, &a->u) == 1;
}

/* A blocking TCP connection to addr:port. */
static int tcp_connect(const struct addr *addr, uint16_t port) {
  int fd = socket(addr->family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    die("socket");
  if (cli_cc && setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, cli_cc,
                           (socklen_t)strlen(cli_cc)) != 0)
    die("setsockopt TCP_CONGESTION");
  struct sockaddr_storage s;
  socklen_t sl = sa_of(addr, port, &s);
  if (connect(fd, (struct sockaddr *)&s, sl) != 0)
    die("connect");
  return fd;
}

static void report(const struct opts *o, uint64_t ops, uint64_t ns,
                   const char *unit, double rate, const char *extra) {
  printf("znb mode=%s ops=%" PRIu64 " secs=%.3f rate=%.1f unit=%s%s%s\n",
         o->mode, ops, (double)ns / 1e9, rate, unit, extra[0] ? " " : "",
         extra);
  fflush(stdout);
}

/* Whether a measurement of `done` operations started at t0 is over. */
static bool finished(const struct opts *o, uint64_t t0, uint64_t done) {
  if (znb_stop)
    return true;
  if (o->secs > 0)
    return znb_now_ns() - t0 >= (uint64_t)(o->secs * 1e9);
  return done >= o->count;
}

static void set_rcv_timeout(int fd, double secs) {
  struct timeval tv = {.tv_sec = (time_t)secs,
                       .tv_usec = (suseconds_t)((secs - (double)(time_t)secs) * 1e6)};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* ---- bulk ---- */

static int run_tcp_send(const struct opts *o) {
  static char buf[BULK_CHUNK];
  memset(buf, 'z', sizeof(buf));
  int fd = tcp_connect(&o->addr, PORT_DISCARD);
  set_rcv_timeout(fd, o->timeout);
  uint64_t t0 = znb_now_ns(), sent = 0;
  while (!finished(o, t0, sent)) {
    size_t want = sizeof(buf);
    if (o->secs == 0 && o->count - sent < want)
      want = (size_t)(o->count - sent);
    ssize_t n = send(fd, buf, want, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      die("send");
    }
    sent += (uint64_t)n;
  }
  /* The discard server closes once it has read our FIN: every byte is in. */
  if (shutdown(fd, SHUT_WR) != 0)
    die("shutdown");
  char c;
  ssize_t r;
  while ((r = recv(fd, &c, 1, 0)) < 0 && errno == EINTR)
    ;
  if (r < 0)
    die("waiting for the server's FIN");
  uint64_t ns = znb_now_ns() - t0;
  close(fd);
  char extra[64];
  snprintf(extra, sizeof(extra), "bytes=%" PRIu64, sent);
  report(o, sent, ns, "Mbit/s", (double)sent * 8e3 / (double)ns, extra);
  return 0;
}

static int run_tcp_recv(const struct opts *o) {
  static char buf[BULK_CHUNK];
  int fd = tcp_connect(&o->addr, PORT_SOURCE);
  set_rcv_timeout(fd, o->timeout);
  uint64_t t0 = znb_now_ns(), got = 0;
  while (!finished(o, t0, got)) {
    size_t want = sizeof(buf);
    if (o->secs == 0 && o->count - got < want)
      want = (size_t)(o->count - got);
    ssize_t n = recv(fd, buf, want, 0);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      die("recv");
    }
    if (n == 0)
      fail("the source closed the connection");
    got += (uint64_t)n;
  }
  uint64_t ns = znb_now_ns() - t0;
  /* Unread data makes this a reset, which the source must take in its
   * stride. */
  close(fd);
  char extra[64];
  snprintf(extra, sizeof(extra), "bytes=%" PRIu64, got);
  report(o, got, ns, "Mbit/s", (double)got * 8e3 / (double)ns, extra);
  return 0;
}

/* One transfer of o->count bytes out of the source port: the time from
 * connect to the last of them read in *ns.  Then reads to the source's
 * FIN (at most -T), so a sized source closes first.  false if it failed
 * (why on stderr). */
static bool recv_one(const struct opts *o, uint64_t *ns) {
  static char buf[BULK_CHUNK];
  uint64_t t0 = znb_now_ns(), got = 0;
  int fd = tcp_connect(&o->addr, PORT_SOURCE);
  set_rcv_timeout(fd, o->timeout);
  bool ok = true;
  while (got < o->count) {
    size_t want = sizeof(buf);
    if (o->count - got < want)
      want = (size_t)(o->count - got);
    ssize_t n = recv(fd, buf, want, 0);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      fprintf(stderr, PROG ": transfer: %s after %" PRIu64 " bytes\n",
              n == 0 ? "the source closed" : strerror(errno), got);
      ok = false;
      break;
    }
    got += (uint64_t)n;
  }
  *ns = znb_now_ns() - t0;
  while (ok && !znb_stop) {
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n == 0 || (n < 0 && errno != EINTR))
      break;
  }
  close(fd);
  return ok;
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

/* The q-quantile of n sorted values (nearest rank), in ms. */
static double pct_ms(const uint64_t *v, unsigned n, double q) {
  unsigned k = (unsigned)(q * n + 0.999999);
  if (k < 1)
    k = 1;
  return n ? (double)v[k - 1] / 1e6 : 0;
}

static int run_tcp_recv_repeat(const struct opts *o) {
  uint64_t *t = calloc(o->repeat, sizeof(*t));
  if (t == NULL)
    fail("out of memory");
  unsigned done = 0, failed = 0;
  uint64_t t0 = znb_now_ns(), sum = 0;
  for (unsigned i = 0; i < o->repeat && !znb_stop; i++) {
    uint64_t ns;
    if (recv_one(o, &ns)) {
      t[done++] = ns;
      sum += ns;
    } else {
      failed++;
    }
  }
  qsort(t, done, sizeof(*t), cmp_u64);
  char extra[256];
  snprintf(extra, sizeof(extra),
           "p50=%.2f p90=%.2f p99=%.2f max=%.2f mean=%.2f failed=%u "
           "bytes=%" PRIu64,
           pct_ms(t, done, 0.5), pct_ms(t, done, 0.9), pct_ms(t, done, 0.99),
           done ? (double)t[done - 1] / 1e6 : 0,
           done ? (double)sum / done / 1e6 : 0, failed, o->count);
  report(o, done, znb_now_ns() - t0, "ms", pct_ms(t, done, 0.5), extra);
  free(t);
  return done ? 0 : 1;
}

/* ---- request/response ---- */

static int run_udp_rr(const struct opts *o) {
  int fd = socket(o->addr.family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    die("socket");
  struct sockaddr_storage s;
  socklen_t sl = sa_of(&o->addr, PORT_ECHO, &s);
  if (connect(fd, (struct sockaddr *)&s, sl) != 0)
    die("connect");
  char req[2048], rsp[2048];
  memset(req, 'u', sizeof(req));
  /* Each datagram carries its slot and the time it left. */
  uint64_t sent_at[MAX_INFLIGHT];
  uint32_t seq[MAX_INFLIGHT];
  uint64_t done = 0, lost = 0, last_progress;
  uint64_t t0 = znb_now_ns();
  last_progress = t0;
  for (unsigned i = 0; i < o->inflight; i++) {
    seq[i] = 0;
    memcpy(req, &i, sizeof(i));
    memcpy(req + 4, &seq[i], sizeof(seq[i]));
    sent_at[i] = znb_now_ns();
    if (send(fd, req, o->size, 0) < 0)
      die("send");
  }
  struct pollfd pfd = {.fd = fd, .events = POLLIN};
  while (!finished(o, t0, done)) {
    int pr = poll(&pfd, 1, 50);
    uint64_t now = znb_now_ns();
    if (pr > 0) {
      ssize_t n = recv(fd, rsp, sizeof(rsp), MSG_DONTWAIT);
      if (n < 0 && errno != EAGAIN && errno != EINTR)
        die("recv");
      if (n >= 8) {
        unsigned slot;
        uint32_t sq;
        memcpy(&slot, rsp, sizeof(slot));
        memcpy(&sq, rsp + 4, sizeof(sq));
        if (slot < o->inflight && sq == seq[slot]) {
          done++;
          last_progress = now;
          seq[slot]++;
          memcpy(req, &slot, sizeof(slot));
          memcpy(req + 4, &seq[slot], sizeof(seq[slot]));
          sent_at[slot] = now;
          if (send(fd, req, o->size, 0) < 0 && errno != ECONNREFUSED)
            die("send");
        }
      }
    }
    /* Give up on datagrams unanswered for too long: new sequence number,
     * sent again. */
    for (unsigned i = 0; i < o->inflight; i++) {
      if (now - sent_at[i] < UDP_GIVEUP_NS)
        continue;
      lost++;
      seq[i]++;
      memcpy(req, &i, sizeof(i));
      memcpy(req + 4, &seq[i], sizeof(seq[i]));
      sent_at[i] = now;
      if (send(fd, req, o->size, 0) < 0 && errno != ECONNREFUSED)
        die("send");
    }
    if (now - last_progress > (uint64_t)(o->timeout * 1e9))
      fail("udp-rr: no answer");
  }
  uint64_t ns = znb_now_ns() - t0;
  close(fd);
  char extra[96];
  snprintf(extra, sizeof(extra), "inflight=%u size=%zu lost=%" PRIu64,
           o->inflight, o->size, lost);
  report(o, done, ns, "rt/s", (double)done * 1e9 / (double)ns, extra);
  return 0;
}

/* Read exactly len bytes. */
static void read_full(int fd, char *p, size_t len) {
  while (len > 0) {
    ssize_t n = recv(fd, p, len, 0);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      die("recv");
    if (n == 0)
      fail("the echo server closed the connection");
    p += n;
    len -= (size_t)n;
  }
}

static int run_tcp_rr(const struct opts *o) {
  int fd = tcp_connect(&o->addr, PORT_ECHO);
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  set_rcv_timeout(fd, o->timeout);
  char req[2048], rsp[2048];
  memset(req, 't', sizeof(req));
  uint64_t t0 = znb_now_ns(), done = 0;
  while (!finished(o, t0, done)) {
    if (send(fd, req, o->size, MSG_NOSIGNAL) != (ssize_t)o->size)
      die("send");
    read_full(fd, rsp, o->size);
    done++;
  }
  uint64_t ns = znb_now_ns() - t0;
  shutdown(fd, SHUT_WR);
  close(fd);
  char extra[32];
  snprintf(extra, sizeof(extra), "size=%zu", o->size);
  report(o, done, ns, "rt/s", (double)done * 1e9 / (double)ns, extra);
  return 0;
}

/* ---- connections per second ---- */

struct crr_slot {
  int fd;            /* -1: free */
  bool fin_sent;
};

/* Start one connection on slot s from the next source address. */
static void crr_start(const struct opts *o, int ep, struct crr_slot *s,
                      unsigned idx, unsigned *next_src, uint64_t *errors) {
  for (;;) {
    int fd = socket(o->addr.family,
                    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
      die("socket");
    struct sockaddr_storage b, d;
    if (o->nsrc) {
      int one = 1;
      setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
      socklen_t bl = sa_of(&o->src[*next_src], 0, &b);
      *next_src = (*next_src + 1) % o->nsrc;
      if (bind(fd, (struct sockaddr *)&b, bl) != 0)
        die("bind to a source address");
    }
    socklen_t dl = sa_of(&o->addr, PORT_DISCARD, &d);
    if (connect(fd, (struct sockaddr *)&d, dl) != 0 &&
        errno != EINPROGRESS) {
      /* Out of ports for this source (EADDRNOTAVAIL): try the next. */
      (*errors)++;
      close(fd);
      if (*errors > 100000)
        die("connect");
      continue;
    }
    struct epoll_event ev = {.events = EPOLLOUT | EPOLLIN | EPOLLRDHUP,
                             .data.u32 = idx};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0)
      die("epoll_ctl");
    s->fd = fd;
    s->fin_sent = false;
    return;
  }
}

static int run_tcp_crr(const struct opts *o) {
  struct crr_slot slots[MAX_INFLIGHT];
  int ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0)
    die("epoll_create1");
  unsigned next_src = 0;
  uint64_t done = 0, errors = 0, resets = 0;
  uint64_t t0 = znb_now_ns(), last_progress = t0;
  for (unsigned i = 0; i < o->inflight; i++)
    crr_start(o, ep, &slots[i], i, &next_src, &errors);
  struct epoll_event evs[MAX_EVENTS];
  while (!finished(o, t0, done)) {
    int n = epoll_wait(ep, evs, MAX_EVENTS, 50);
    if (n < 0 && errno != EINTR)
      die("epoll_wait");
    uint64_t now = znb_now_ns();
    for (int k = 0; k < n; k++) {
      unsigned idx = evs[k].data.u32;
      struct crr_slot *s = &slots[idx];
      uint32_t e = evs[k].events;
      if (!s->fin_sent && (e & EPOLLOUT) && !(e & EPOLLERR)) {
        /* Established: our FIN, then wait for the server's. */
        shutdown(s->fd, SHUT_WR);
        s->fin_sent = true;
        struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP,
                                 .data.u32 = idx};
        epoll_ctl(ep, EPOLL_CTL_MOD, s->fd, &ev);
        continue;
      }
      bool over = false;
      if (e & EPOLLERR) {
        resets++;
        over = true;
      } else if (s->fin_sent && (e & (EPOLLIN | EPOLLRDHUP | EPOLLHUP))) {
        char c;
        ssize_t r = recv(s->fd, &c, 1, MSG_DONTWAIT);
        if (r == 0) {
          done++;
          last_progress = now;
          over = true;
        } else if (r < 0 && errno != EAGAIN) {
          resets++;
          over = true;
        }
      }
      if (over) {
        epoll_ctl(ep, EPOLL_CTL_DEL, s->fd, NULL);
        close(s->fd);
        s->fd = -1;
        if (!finished(o, t0, done))
          crr_start(o, ep, s, idx, &next_src, &errors);
      }
    }
    if (now - last_progress > (uint64_t)(o->timeout * 1e9))
      fail("tcp-crr: no connection completed");
  }
  uint64_t ns = znb_now_ns() - t0;
  for (unsigned i = 0; i < o->inflight; i++)
    if (slots[i].fd >= 0)
      close(slots[i].fd);
  close(ep);
  char extra[96];
  snprintf(extra, sizeof(extra),
           "inflight=%u sources=%u resets=%" PRIu64 " errors=%" PRIu64,
           o->inflight, o->nsrc ? o->nsrc : 1, resets, errors);
  report(o, done, ns, "conn/s", (double)done * 1e9 / (double)ns, extra);
  return 0;
}

/* ---- the Linux server ---- */

enum { K_LISTEN_ECHO, K_LISTEN_DISCARD, K_LISTEN_SOURCE, K_UDP, K_CONN };

struct sconn {
  int fd;
  int kind;      /* K_* */
  int svc;       /* for K_CONN: the listener's port */
  char *pend;    /* echo: bytes read, not yet written back */
  size_t plen, poff;
  uint64_t sent; /* source: bytes sent so far */
};

#define SRV_MAX_CONNS 65536

static struct sconn *sconns[SRV_MAX_CONNS];

/* serve --cc: the congestion control of every TCP socket (NULL: the
 * kernel's default).  As root any the kernel has may be chosen, where a
 * namespace's sysctl offers only those tcp_allowed_congestion_control
 * lists. */
static const char *srv_cc;
/* serve --source-bytes: what the source sends before its FIN (0: no end). */
static uint64_t srv_source_bytes;

static void srv_set_cc(int fd) {
  if (srv_cc && setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, srv_cc,
                           (socklen_t)strlen(srv_cc)) != 0)
    die("setsockopt TCP_CONGESTION");
}

/* A listening (or UDP) socket on the wildcard address of family on port;
 * for IPv6, -1 if the kernel has none (IPv6 only, not both families). */
static int listen_on(int family, uint16_t port, int type) {
  int fd = socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0 && family == AF_INET6)
    return -1;
  if (fd < 0)
    die("socket");
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (type == SOCK_STREAM)
    srv_set_cc(fd);
  struct addr any = {.family = family};
  if (family == AF_INET6)
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
  else
    any.u.v4.s_addr = htonl(INADDR_ANY);
  struct sockaddr_storage s;
  socklen_t sl = sa_of(&any, port, &s);
  if (bind(fd, (struct sockaddr *)&s, sl) != 0) {
    if (family == AF_INET)
      die("bind");
    close(fd);
    return -1;
  }
  if (type == SOCK_STREAM && listen(fd, 1024) != 0)
    die("listen");
  return fd;
}

static void srv_add(int ep, int fd, int kind, int svc, uint32_t events) {
  if (fd >= SRV_MAX_CONNS) {
    close(fd);
    return;
  }
  struct sconn *c = calloc(1, sizeof(*c));
  if (c == NULL)
    fail("out of memory");
  c->fd = fd;
  c->kind = kind;
  c->svc = svc;
  sconns[fd] = c;
  struct epoll_event ev = {.events = events, .data.fd = fd};
  if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0)
    die("epoll_ctl");
}

static void srv_drop(int ep, struct sconn *c) {
  epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
  close(c->fd);
  sconns[c->fd] = NULL;
  free(c->pend);
  free(c);
}

/* Echo: write back what is pending; read more only when nothing is. */
static bool srv_echo(int ep, struct sconn *c) {
  static char buf[BULK_CHUNK];
  for (;;) {
    if (c->plen > c->poff) {
      ssize_t w = send(c->fd, c->pend + c->poff, c->plen - c->poff,
                       MSG_NOSIGNAL);
      if (w < 0) {
        if (errno == EAGAIN) {
          struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT,
                                   .data.fd = c->fd};
          epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
          return true;
        }
        return false;
      }
      c->poff += (size_t)w;
      continue;
    }
    ssize_t n = recv(c->fd, buf, sizeof(buf), 0);
    if (n == 0)
      return false;
    if (n < 0)
      return errno == EAGAIN;
    ssize_t w = send(c->fd, buf, (size_t)n, MSG_NOSIGNAL);
    if (w < 0 && errno != EAGAIN)
      return false;
    if (w < n) {
      size_t off = w < 0 ? 0 : (size_t)w;
      free(c->pend);
      c->pend = malloc((size_t)n - off);
      if (c->pend == NULL)
        return false;
      memcpy(c->pend, buf + off, (size_t)n - off);
      c->plen = (size_t)n - off;
      c->poff = 0;
    }
  }
}

static bool srv_discard(struct sconn *c) {
  static char buf[BULK_CHUNK];
  for (;;) {
    ssize_t n = recv(c->fd, buf, sizeof(buf), 0);
    if (n == 0)
      return false;
    if (n < 0)
      return errno == EAGAIN;
  }
}

static bool srv_source(int ep, struct sconn *c) {
  static char buf[BULK_CHUNK];
  for (;;) {
    size_t want = sizeof(buf);
    if (srv_source_bytes) {
      if (c->sent >= srv_source_bytes) {
        /* All sent: our FIN, then wait for the client's (EPOLLIN). */
        struct epoll_event ev = {.events = EPOLLIN, .data.fd = c->fd};
        epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
        return shutdown(c->fd, SHUT_WR) == 0;
      }
      if (srv_source_bytes - c->sent < want)
        want = (size_t)(srv_source_bytes - c->sent);
    }
    ssize_t w = send(c->fd, buf, want, MSG_NOSIGNAL);
    if (w < 0)
      return errno == EAGAIN;
    c->sent += (uint64_t)w;
  }
}

static int run_serve(void) {
  int ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0)
    die("epoll_create1");
  static const int fams[2] = {AF_INET, AF_INET6};
  for (int i = 0; i < 2; i++) {
    int f = fams[i], fd;
    if ((fd = listen_on(f, PORT_ECHO, SOCK_STREAM)) >= 0)
      srv_add(ep, fd, K_LISTEN_ECHO, 0, EPOLLIN);
    if ((fd = listen_on(f, PORT_DISCARD, SOCK_STREAM)) >= 0)
      srv_add(ep, fd, K_LISTEN_DISCARD, 0, EPOLLIN);
    if ((fd = listen_on(f, PORT_SOURCE, SOCK_STREAM)) >= 0)
      srv_add(ep, fd, K_LISTEN_SOURCE, 0, EPOLLIN);
    if ((fd = listen_on(f, PORT_ECHO, SOCK_DGRAM)) >= 0)
      srv_add(ep, fd, K_UDP, 0, EPOLLIN);
  }
  printf("znb serve ready ports=7,9,19\n");
  fflush(stdout);
  struct epoll_event evs[MAX_EVENTS];
  uint64_t accepted = 0;
  while (!znb_stop) {
    int n = epoll_wait(ep, evs, MAX_EVENTS, 200);
    if (n < 0 && errno != EINTR)
      die("epoll_wait");
    for (int k = 0; k < n; k++) {
      struct sconn *c = sconns[evs[k].data.fd];
      if (c == NULL)
        continue;
      if (c->kind == K_UDP) {
        char buf[2048];
        struct sockaddr_storage from;
        for (int i = 0; i < 64; i++) {
          socklen_t fl = sizeof(from);
          ssize_t r = recvfrom(c->fd, buf, sizeof(buf), 0,
                               (struct sockaddr *)&from, &fl);
          if (r < 0)
            break;
          sendto(c->fd, buf, (size_t)r, 0, (struct sockaddr *)&from, fl);
        }
        continue;
      }
      if (c->kind != K_CONN) {
        int svc = c->kind == K_LISTEN_ECHO      ? PORT_ECHO
                  : c->kind == K_LISTEN_DISCARD ? PORT_DISCARD
                                                : PORT_SOURCE;
        for (;;) {
          int fd = accept4(c->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
          if (fd < 0)
            break;
          accepted++;
          srv_set_cc(fd);
          int one = 1;
          setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
          srv_add(ep, fd, K_CONN, svc,
                  svc == PORT_SOURCE ? EPOLLOUT | EPOLLIN : EPOLLIN);
          struct sconn *nc = sconns[fd];
          if (nc && svc == PORT_SOURCE && !srv_source(ep, nc))
            srv_drop(ep, nc);
        }
        continue;
      }
      bool keep;
      if (c->svc == PORT_ECHO)
        keep = srv_echo(ep, c);
      else if (c->svc == PORT_DISCARD)
        keep = srv_discard(c);
      else if (evs[k].events & (EPOLLERR | EPOLLHUP))
        keep = false;
      else if ((evs[k].events & EPOLLIN) && !srv_discard(c))
        keep = false; /* the client's FIN: it is done */
      else
        keep = srv_source(ep, c);
      if (!keep)
        srv_drop(ep, c);
    }
  }
  printf("znb serve done accepted=%" PRIu64 "\n", accepted);
  return 0;
}

/* ---- the command line ---- */

static double parse_num(const char *s, const char *what) {
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  if (errno != 0 || end == s || *end != '\0' || v < 0)
    usage(what);
  return v;
}

static void parse_sources(struct opts *o, char *list) {
  for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ",")) {
    if (o->nsrc >= MAX_SRC)
      usage("too many -S addresses");
    if (!parse_addr(tok, &o->src[o->nsrc]) ||
        o->src[o->nsrc].family != o->addr.family)
      usage("bad -S address (not of ADDR's family)");
    o->nsrc++;
  }
}

int main(int argc, char **argv) {
  struct opts o;
  memset(&o, 0, sizeof(o));
  o.secs = 10;
  o.inflight = 1;
  o.size = 64;
  o.timeout = 10;
  if (argc < 2)
    usage("no mode");
  if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
    fputs(help, stdout);
    return 0;
  }
  o.mode = argv[1];
  znb_catch_stop();
  signal(SIGPIPE, SIG_IGN);
  if (strcmp(o.mode, "serve") == 0) {
    for (int i = 2; i < argc; i += 2) {
      if (i + 1 < argc && strcmp(argv[i], "--cc") == 0)
        srv_cc = argv[i + 1];
      else if (i + 1 < argc && strcmp(argv[i], "--source-bytes") == 0)
        srv_source_bytes = (uint64_t)parse_num(argv[i + 1], "bad --source-bytes");
      else
        usage("serve takes only --cc NAME and --source-bytes N");
    }
    return run_serve();
  }
  if (argc < 3 || !parse_addr(argv[2], &o.addr))
    usage("want a server ADDR after the mode");
  optind = 3;
  int c;
  while ((c = getopt(argc, argv, "t:n:q:s:S:T:C:R:")) != -1) {
    switch (c) {
    case 't':
      o.secs = parse_num(optarg, "bad -t");
      if (o.secs <= 0)
        usage("bad -t");
      break;
    case 'n':
      o.count = (uint64_t)parse_num(optarg, "bad -n");
      o.secs = 0;
      if (o.count == 0)
        usage("bad -n");
      break;
    case 'q':
      o.inflight = (unsigned)parse_num(optarg, "bad -q");
      if (o.inflight < 1 || o.inflight > MAX_INFLIGHT)
        usage("-q must be 1..256");
      break;
    case 's':
      o.size = (size_t)parse_num(optarg, "bad -s");
      if (o.size < 8 || o.size > 1400)
        usage("-s must be 8..1400");
      break;
    case 'S':
      parse_sources(&o, optarg);
      break;
    case 'T':
      o.timeout = parse_num(optarg, "bad -T");
      if (o.timeout <= 0)
        usage("bad -T");
      break;
    case 'C':
      cli_cc = optarg;
      break;
    case 'R':
      o.repeat = (unsigned)parse_num(optarg, "bad -R");
      if (o.repeat < 1 || o.repeat > 1000000)
        usage("-R must be 1..1000000");
      break;
    default:
      usage("bad option");
    }
  }
  if (optind != argc)
    usage("unexpected argument");
  if (strcmp(o.mode, "tcp-send") == 0)
    return run_tcp_send(&o);
  if (o.repeat && (strcmp(o.mode, "tcp-recv") != 0 || o.count == 0))
    usage("-R needs tcp-recv -n BYTES");
  if (o.repeat)
    return run_tcp_recv_repeat(&o);
  if (strcmp(o.mode, "tcp-recv") == 0)
    return run_tcp_recv(&o);
  if (strcmp(o.mode, "udp-rr") == 0)
    return run_udp_rr(&o);
  if (strcmp(o.mode, "tcp-rr") == 0)
    return run_tcp_rr(&o);
  if (strcmp(o.mode, "tcp-crr") == 0)
    return run_tcp_crr(&o);
  usage("unknown mode");
}
