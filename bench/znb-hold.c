/*
 * znb-hold: many idle keep-alive HTTP connections from Linux, for the
 * idle-connection benchmark (bench/idle.sh) and tests/e2e/httpd_idle.sh.
 *
 *     znb-hold ADDR PORT PATH N [--src LIST] [--inflight Q]
 *              [--tls --ca CA.pem [--tls-name NAME]]
 *              [--ready FILE] [--hold SECONDS] [--again K]
 *              [--expect FILE] [--timeout SECONDS]
 *
 * Opens N TCP connections to ADDR:PORT (IPv4), their source addresses
 * taken in turn from --src (one address has about 64k ports), at most Q
 * of them in progress at once (default 32: more only fill the
 * server's queue); on each sends one HTTP/1.1 keep-alive
 * GET of PATH and reads the whole answer (Content-Length; with --expect,
 * the body must be FILE's bytes).  With --tls the connection is TLS 1.3
 * first (or 1.2 if the server offers no more): libznet-tls's engine,
 * driven by hand over the non-blocking socket as its glue drives it over
 * znet's TCP, the server's chain checked against --ca for --tls-name
 * (default bench.test), a full handshake each (no resumption).  Then it writes
 * "held N" to FILE (or stdout) and holds them all until its standard
 * input closes, SIGINT or SIGTERM, or SECONDS pass (default 600).
 * Anything a held connection receives meanwhile (the server closing it)
 * counts it failed.  Then, with --again K, K of them spread evenly (all
 * if K >= N) make a second request and read its answer (plain HTTP
 * only: a held TLS connection keeps no engine, see below).  At the end
 * every connection is looked at once more (a non-blocking peek: open
 * and silent, or closed) and all are closed.  It prints
 *
 *     znb mode=hold conns=N held=N open_end=N failed=0 again_ok=K ...
 *
 * and exits 0 if every connection was made, answered, and still open at
 * the end; 1 otherwise (why on stderr), 2 on a usage error.
 *
 * Scale: a held connection costs this process 8 bytes here and a file
 * descriptor; what is in progress (the answer's head, and over TLS an
 * engine with its 33 KB buffer) is one of Q slots, given back once the
 * answer is read.  It raises its own RLIMIT_NOFILE to N + 64, which
 * needs fs.nr_open above that; the machine needs fs.file-max above all
 * the sockets of both ends, and each source address's ports come from
 * net.ipv4.ip_local_port_range (per network namespace; 1024-65535 gives
 * 64,512 per address).  bench/idle.sh sets all three and puts them
 * back.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
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
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sys/random.h>
#include <time.h>

#include "tls_int.h"
#include "znet/err.h"

#define PROG "znb-hold"
#define MAX_SRC 4096
#define MAX_CONNS 4000000u
#define HEAD_MAX 8192
#define EXPECT_MAX (1u << 20)
#define MAX_EVENTS 256
#define TLS_STATE_MAX 16384

/* A connection's state; its 8 bytes are all a held connection costs. */
enum cstate {
  C_NONE,    /* not opened yet */
  C_CONNECT, /* connect in progress */
  C_BUSY,    /* a request out, its answer being read (holds a slot) */
  C_IDLE,    /* answered, held */
  C_FAILED,  /* closed by us after an error */
};

struct conn {
  int fd;
  uint8_t state;
  uint8_t answers; /* answers read on it */
  uint16_t slot;   /* its slot while C_CONNECT or C_BUSY */
};


/* What a connection in progress needs. */
struct slot {
  uint32_t conn;
  bool in_use;
  /* The answer. */
  char head[HEAD_MAX];
  size_t head_len;
  bool in_body;
  uint64_t body_len, body_got;
  bool body_bad;
  /* The request: how much of it has gone. */
  size_t req_sent;
  /* TLS (--tls): the engine's state and record buffers. */
  _Alignas(max_align_t) uint8_t tls_state[TLS_STATE_MAX];
  uint8_t ibuf[ZN_TLS_IN_BUF_DEFAULT], obuf[ZN_TLS_OUT_BUF_DEFAULT];
};

struct opts {
  struct in_addr addr;
  uint16_t port;
  const char *path;
  uint32_t n;
  struct in_addr src[MAX_SRC];
  unsigned nsrc;
  unsigned inflight;
  bool tls;
  const char *ca, *tls_name;
  const char *ready;
  double hold_secs;
  uint32_t again;
  const char *expect_file;
  double timeout;
};

static struct opts o = {.inflight = 32, .hold_secs = 600, .timeout = 600};
static struct conn *conns;
static struct slot *slots;
static uint16_t *free_slots;
static unsigned nfree;
static int ep = -1;
static char request[1024];
static size_t request_len;
static unsigned char *expect;
static size_t expect_len;
static volatile sig_atomic_t stop_flag;
/* A process's share: its connections are base .. base + o.n - 1 of all
 * (the source addresses go in turn over all); the parent closes ctl_fd
 * to end the hold. */
static uint32_t base;
static int ctl_fd = -1;

/* Counts. */
static uint32_t answered, failed, again_ok;
static uint32_t fail_connect, fail_tls, fail_answer, fail_closed;

/* What a process tells the parent, after opening and at the end. */
struct tally {
  uint32_t held, open_end, failed, again_ok;
  uint32_t fail_connect, fail_tls, fail_answer, fail_closed;
  double open_secs;
};

static void on_signal(int sig) {
  (void)sig;
  stop_flag = 1;
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static __attribute__((noreturn)) void die(const char *what) {
  fprintf(stderr, PROG ": %s: %s\n", what, strerror(errno));
  exit(1);
}

static __attribute__((noreturn)) void usage(const char *msg) {
  fprintf(stderr, PROG ": %s (try --help)\n", msg);
  exit(2);
}

static const char help[] =
    "usage: " PROG " ADDR PORT PATH N [OPTIONS]\n"
    "  --src LIST      source addresses, used in turn: comma-separated\n"
    "                  ADDR or ADDR/LEN (every host address of the block)\n"
    "  --inflight Q    connections in progress at once, in all (default 32)\n"
    "  --tls           TLS 1.3 (or 1.2) first, libznet-tls's engine\n"
    "  --ca FILE       with --tls: the CA certificates (PEM) the server's\n"
    "                  chain must lead to\n"
    "  --tls-name NAME with --tls: the name it must bear (bench.test)\n"
    "  --ready FILE    write \"held N\" there (default: stdout)\n"
    "  --hold SECONDS  hold at most this long (default 600); also until\n"
    "                  standard input closes, SIGINT or SIGTERM\n"
    "  --again K       then a second request on K of them (all if K >= N)\n"
    "  --expect FILE   every body must be FILE's bytes\n"
    "  --timeout SECONDS  give up opening after this long (default 600)\n"
    "needs: fs.nr_open > N + 64, fs.file-max above every socket of both\n"
    "ends, net.ipv4.ip_local_port_range wide (64k ports per source)\n";

/* ---- TLS: libznet-tls's engine ---- */

static const struct zn__tls_engine *eng = &zn__tls_tls13;
static struct zn_tls_config tls_cfg;

static uint64_t wall_clock(void *arg) {
  (void)arg;
  return (uint64_t)time(NULL);
}

/* The client configuration: defaults, the anchors of --ca. */
static void tls_setup(void) {
  FILE *fp = fopen(o.ca, "rb");
  static char pem[1 << 20];
  size_t len = fp ? fread(pem, 1, sizeof(pem), fp) : 0;
  if (fp == NULL)
    die(o.ca);
  fclose(fp);
  size_t need = 0;
  const char *why = NULL;
  struct zn_tls_anchors *a = NULL;
  void *mem = NULL;
  if (zn_tls_anchors_measure(pem, len, &need, NULL, &why) != ZN_OK ||
      (mem = aligned_alloc(64, (need + 63) / 64 * 64)) == NULL ||
      zn_tls_anchors_init(pem, len, mem, need, &a, &why) != ZN_OK) {
    fprintf(stderr, PROG ": %s: %s\n", o.ca, why ? why : "no anchors");
    exit(2);
  }
  zn_tls_config_default(&tls_cfg, ZN_TLS_CLIENT);
  tls_cfg.anchors = a;
  tls_cfg.clock = wall_clock;
  if (eng->state_size(ZN_TLS_CLIENT) > TLS_STATE_MAX) {
    fprintf(stderr, PROG ": the TLS engine's state is larger than %u\n",
            TLS_STATE_MAX);
    exit(1);
  }
}

/* A client session in the slot's memory: false if it did not start. */
static bool tls_start(struct slot *s) {
  uint8_t seed[32];
  if (getrandom(seed, sizeof(seed), 0) != (ssize_t)sizeof(seed))
    die("getrandom");
  struct zn__tls_start p = {.ibuf = s->ibuf,
                            .obuf = s->obuf,
                            .seed = seed,
                            .seed_len = sizeof(seed),
                            .now = wall_clock(NULL),
                            .now_ms = 0,
                            .server_name = o.tls_name,
                            .creds = NULL};
  return eng->start(s->tls_state, &tls_cfg, &p) == ZN_OK;
}

/* ---- slots ---- */

static struct slot *slot_take(uint32_t ci) {
  if (nfree == 0)
    return NULL;
  uint16_t si = free_slots[--nfree];
  struct slot *s = &slots[si];
  s->conn = ci;
  s->in_use = true;
  s->head_len = 0;
  s->in_body = false;
  s->body_len = s->body_got = 0;
  s->body_bad = false;
  s->req_sent = 0;
  conns[ci].slot = si;
  if (o.tls && !tls_start(s)) {
    nfree++;
    s->in_use = false;
    return NULL;
  }
  return s;
}

static void slot_give(struct conn *c) {
  struct slot *s = &slots[c->slot];
  s->in_use = false;
  free_slots[nfree++] = c->slot;
}

/* ---- one connection ---- */

static void conn_fail(uint32_t ci, uint32_t *why, const char *what) {
  struct conn *c = &conns[ci];
  if (c->state == C_CONNECT || c->state == C_BUSY)
    slot_give(c);
  if (c->fd >= 0)
    close(c->fd);
  c->fd = -1;
  c->state = C_FAILED;
  failed++;
  (*why)++;
  if (failed <= 5)
    fprintf(stderr, PROG ": connection %" PRIu32 ": %s\n", ci, what);
}

/* The answer's head, complete in s->head (s->head_len bytes up to and
 * with the blank line): false if it is not a 200 with a length that
 * keeps the connection. */
static bool head_ok(struct slot *s) {
  s->head[s->head_len] = '\0';
  if (strncmp(s->head, "HTTP/1.1 200 ", 13) != 0)
    return false;
  const char *p = s->head;
  bool have_len = false;
  while ((p = strstr(p, "\r\n")) != NULL) {
    p += 2;
    if (strncasecmp(p, "content-length:", 15) == 0) {
      s->body_len = strtoull(p + 15, NULL, 10);
      have_len = true;
    } else if (strncasecmp(p, "connection:", 11) == 0 &&
               strstr(p, "close") != NULL &&
               strstr(p, "close") < strstr(p, "\r\n")) {
      return false;
    }
  }
  return have_len;
}

/* Bytes of the answer: returns -1 if wrong, 1 when complete, 0 if more
 * is to come. */
static int answer_bytes(struct slot *s, const unsigned char *p, size_t n) {
  while (n > 0) {
    if (!s->in_body) {
      size_t room = HEAD_MAX - 1 - s->head_len;
      if (room == 0)
        return -1;
      /* Byte by byte: the head ends at the first blank line. */
      s->head[s->head_len++] = (char)*p++;
      n--;
      if (s->head_len >= 4 &&
          memcmp(s->head + s->head_len - 4, "\r\n\r\n", 4) == 0) {
        if (!head_ok(s))
          return -1;
        s->in_body = true;
        if (expect && s->body_len != expect_len)
          return -1;
      }
      continue;
    }
    uint64_t left = s->body_len - s->body_got;
    size_t take = n < left ? n : (size_t)left;
    if (expect && memcmp(expect + s->body_got, p, take) != 0)
      s->body_bad = true;
    s->body_got += take;
    p += take;
    n -= take;
    if (s->body_got == s->body_len && n > 0)
      return -1; /* more than the answer */
  }
  if (s->in_body && s->body_got == s->body_len)
    return s->body_bad ? -1 : 1;
  return 0;
}

static void answer_done(uint32_t ci) {
  struct conn *c = &conns[ci];
  slot_give(c);
  c->state = C_IDLE;
  if (c->answers++ == 0)
    answered++;
  else
    again_ok++;
}

/* Bytes of the answer on connection ci: true once the connection is
 * done with them (failed, or its answer complete and the slot given
 * back). */
static bool answer_take(uint32_t ci, struct slot *s, const unsigned char *p,
                        size_t n) {
  int a = answer_bytes(s, p, n);
  if (a < 0)
    conn_fail(ci, &fail_answer, "a wrong answer");
  else if (a > 0)
    answer_done(ci);
  return a != 0;
}

/* Plain HTTP: send what is left of the request, read what came. */
static void plain_step(uint32_t ci) {
  struct conn *c = &conns[ci];
  struct slot *s = &slots[c->slot];
  while (s->req_sent < request_len) {
    ssize_t w = send(c->fd, request + s->req_sent, request_len - s->req_sent,
                     MSG_NOSIGNAL);
    if (w < 0 && errno == EAGAIN)
      return;
    if (w <= 0) {
      conn_fail(ci, &fail_answer, "send failed");
      return;
    }
    s->req_sent += (size_t)w;
  }
  for (;;) {
    unsigned char buf[16384];
    ssize_t r = recv(c->fd, buf, sizeof(buf), 0);
    if (r < 0 && errno == EAGAIN)
      return;
    if (r <= 0) {
      conn_fail(ci, &fail_answer,
                r == 0 ? "closed before the answer's end" : "recv failed");
      return;
    }
    if (answer_take(ci, s, buf, (size_t)r))
      return;
  }
}

/* TLS: run the engine until the socket would block or the answer is
 * read: libznet-tls's engine, driven by hand over a non-blocking socket
 * (its four buffers, as BearSSL's). */
static void tls_step(uint32_t ci) {
  struct conn *c = &conns[ci];
  struct slot *s = &slots[c->slot];
  void *e = s->tls_state;
  for (;;) {
    unsigned st = eng->status(e);
    size_t len;
    if (st & ZN__TLS_CLOSED) {
      char why[128];
      struct zn__tls_verdict v = eng->verdict(eng->last_error(e));
      snprintf(why, sizeof(why), "TLS closed (%s, code 0x%x)",
               zn_tls_failure_text((int)v.failure), eng->last_error(e));
      conn_fail(ci, &fail_tls, why);
      return;
    }
    if (st & ZN__TLS_SENDREC) {
      uint8_t *b = eng->sendrec_buf(e, &len);
      ssize_t w = send(c->fd, b, len, MSG_NOSIGNAL);
      if (w < 0 && errno == EAGAIN)
        return;
      if (w <= 0) {
        conn_fail(ci, &fail_tls, "send failed");
        return;
      }
      eng->sendrec_ack(e, (size_t)w);
      continue;
    }
    if (st & ZN__TLS_RECVAPP) {
      /* Once answered, the engine goes back with the slot: the held
       * connection is a socket that must stay silent. */
      uint8_t *b = eng->recvapp_buf(e, &len);
      if (answer_take(ci, s, b, len))
        return;
      eng->recvapp_ack(e, len);
      continue;
    }
    if ((st & ZN__TLS_SENDAPP) && s->req_sent < request_len) {
      uint8_t *b = eng->sendapp_buf(e, &len);
      size_t n = request_len - s->req_sent;
      if (n > len)
        n = len;
      memcpy(b, request + s->req_sent, n);
      eng->sendapp_ack(e, n);
      s->req_sent += n;
      eng->flush(e);
      continue;
    }
    if (st & ZN__TLS_RECVREC) {
      uint8_t *b = eng->recvrec_buf(e, &len);
      ssize_t r = recv(c->fd, b, len, 0);
      if (r < 0 && errno == EAGAIN)
        return;
      if (r <= 0) {
        conn_fail(ci, &fail_tls, r == 0 ? "closed in TLS" : "recv failed");
        return;
      }
      eng->recvrec_ack(e, (size_t)r);
      continue;
    }
    return;
  }
}

static void busy_step(uint32_t ci) {
  if (o.tls)
    tls_step(ci);
  else
    plain_step(ci);
}

/* Opens connection ci (a slot is free). */
static void conn_open(uint32_t ci) {
  struct conn *c = &conns[ci];
  if (slot_take(ci) == NULL) {
    conn_fail(ci, &fail_tls, "no TLS engine");
    return;
  }
  c->state = C_CONNECT;
  c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (c->fd < 0) {
    conn_fail(ci, &fail_connect, strerror(errno));
    return;
  }
  int one = 1;
  (void)setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  if (o.nsrc > 0) {
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_addr = o.src[(base + ci) % o.nsrc]};
    /* The port is chosen at connect, by the whole 4-tuple. */
    (void)setsockopt(c->fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one,
                     sizeof(one));
    if (bind(c->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
      conn_fail(ci, &fail_connect, strerror(errno));
      return;
    }
  }
  struct sockaddr_in da = {
      .sin_family = AF_INET, .sin_addr = o.addr, .sin_port = htons(o.port)};
  if (connect(c->fd, (struct sockaddr *)&da, sizeof(da)) != 0 &&
      errno != EINPROGRESS) {
    conn_fail(ci, &fail_connect, strerror(errno));
    return;
  }
  /* Edge-triggered, once for its whole life. */
  struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
                           .data.u32 = ci};
  if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) != 0)
    die("epoll_ctl");
}

static void conn_event(uint32_t ci, uint32_t events) {
  struct conn *c = &conns[ci];
  switch (c->state) {
  case C_CONNECT: {
    int err = 0;
    socklen_t el = sizeof(err);
    if ((events & (EPOLLERR | EPOLLHUP)) ||
        getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el) != 0 || err != 0) {
      conn_fail(ci, &fail_connect, err ? strerror(err) : "connect failed");
      return;
    }
    if (!(events & EPOLLOUT))
      return;
    c->state = C_BUSY;
    busy_step(ci);
    return;
  }
  case C_BUSY:
    busy_step(ci);
    return;
  case C_IDLE: {
    /* A held connection hears nothing, unless it is being closed. */
    unsigned char b[1];
    ssize_t r = recv(c->fd, b, 1, MSG_PEEK);
    if (r < 0 && errno == EAGAIN && !(events & (EPOLLHUP | EPOLLERR)))
      return;
    conn_fail(ci, &fail_closed,
              r == 0 ? "closed by the server while held"
                     : "data or an error while held");
    return;
  }
  default:
    return;
  }
}

/* One round of the event loop, at most ms milliseconds; *ctl_closed is
 * set when the control pipe closes.  False if interrupted. */
static bool poll_events(int ms, bool *ctl_closed) {
  struct epoll_event evs[MAX_EVENTS];
  int n = epoll_wait(ep, evs, MAX_EVENTS, ms);
  if (n < 0) {
    if (errno == EINTR)
      return false;
    die("epoll_wait");
  }
  for (int i = 0; i < n; i++) {
    if (evs[i].data.u32 == UINT32_MAX) {
      char b[256];
      ssize_t r = read(ctl_fd, b, sizeof(b));
      if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
        *ctl_closed = true;
        (void)epoll_ctl(ep, EPOLL_CTL_DEL, ctl_fd, NULL);
      }
      continue;
    }
    conn_event(evs[i].data.u32, evs[i].events);
  }
  return true;
}

/* ---- the phases ---- */

static void open_all(void) {
  double t0 = now_s();
  uint32_t next = 0;
  bool dummy = false;
  while (next < o.n || nfree < o.inflight) {
    while (next < o.n && nfree > 0)
      conn_open(next++);
    if (stop_flag || now_s() - t0 > o.timeout)
      break;
    (void)poll_events(100, &dummy);
  }
  /* What did not finish in time fails. */
  for (uint32_t i = 0; i < o.n; i++) {
    if (conns[i].state == C_NONE || conns[i].state == C_CONNECT ||
        conns[i].state == C_BUSY)
      conn_fail(i, &fail_connect, "not answered in time");
  }
}

/* Until the parent closes the control pipe (or a signal), watching the
 * held connections. */
static void hold(void) {
  bool ctl_closed = false;
  struct epoll_event ev = {.events = EPOLLIN, .data.u32 = UINT32_MAX};
  if (epoll_ctl(ep, EPOLL_CTL_ADD, ctl_fd, &ev) != 0)
    die("epoll_ctl");
  while (!stop_flag && !ctl_closed)
    (void)poll_events(500, &ctl_closed);
}

/* A second request on k connections spread evenly over the held ones. */
static void again(uint32_t k) {
  if (k == 0 || o.tls)
    return;
  if (k > o.n)
    k = o.n;
  double t0 = now_s();
  bool dummy = false;
  for (uint32_t j = 0; j < k; j++) {
    uint32_t ci = (uint32_t)((uint64_t)j * o.n / k);
    while (nfree == 0 && now_s() - t0 < o.timeout)
      (void)poll_events(100, &dummy);
    if (conns[ci].state != C_IDLE || nfree == 0)
      continue;
    (void)slot_take(ci);
    conns[ci].state = C_BUSY;
    plain_step(ci);
  }
  while (nfree < o.inflight && now_s() - t0 < o.timeout)
    (void)poll_events(100, &dummy);
  for (uint32_t i = 0; i < o.n; i++) {
    if (conns[i].state == C_BUSY)
      conn_fail(i, &fail_answer, "second answer not in time");
  }
}

/* Every held connection once more: open and silent.  Returns how many. */
static uint32_t count_open(void) {
  uint32_t open = 0;
  for (uint32_t i = 0; i < o.n; i++) {
    struct conn *c = &conns[i];
    if (c->state != C_IDLE)
      continue;
    unsigned char b[1];
    ssize_t r = recv(c->fd, b, 1, MSG_PEEK | MSG_DONTWAIT);
    if (r < 0 && errno == EAGAIN)
      open++;
    else
      conn_fail(i, &fail_closed, r == 0 ? "closed at the end" : "not silent");
  }
  return open;
}

/* ---- options ---- */

static bool parse_num(const char *s, double max, double *v) {
  char *end;
  errno = 0;
  *v = strtod(s, &end);
  return errno == 0 && end != s && *end == '\0' && *v >= 0 && *v <= max;
}

static void parse_sources(char *list) {
  for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ",")) {
    char *slash = strchr(tok, '/');
    unsigned len = 32;
    if (slash) {
      *slash = '\0';
      double v;
      if (!parse_num(slash + 1, 32, &v) || v < 20)
        usage("--src: a block is ADDR/LEN, LEN 20..32");
      len = (unsigned)v;
    }
    struct in_addr a;
    if (inet_pton(AF_INET, tok, &a) != 1)
      usage("--src: not an IPv4 address");
    uint32_t first = ntohl(a.s_addr), count = 1;
    if (len < 32) {
      first &= ~((1u << (32 - len)) - 1);
      count = 1u << (32 - len);
      if (len <= 30) { /* not the block's own address nor its broadcast */
        first++;
        count -= 2;
      }
    }
    for (uint32_t i = 0; i < count; i++) {
      if (o.nsrc == MAX_SRC)
        usage("--src: too many addresses");
      o.src[o.nsrc++].s_addr = htonl(first + i);
    }
  }
}

static void read_expect(const char *path) {
  FILE *f = fopen(path, "rb");
  if (f == NULL)
    die(path);
  expect = malloc(EXPECT_MAX);
  if (expect == NULL)
    die("malloc");
  expect_len = fread(expect, 1, EXPECT_MAX, f);
  if (!feof(f))
    usage("--expect: the file is larger than 1 MiB");
  fclose(f);
}

static void parse_args(int argc, char **argv) {
  char *pos[4];
  int npos = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *val = i + 1 < argc ? argv[i + 1] : NULL;
    double v;
    if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      fputs(help, stdout);
      exit(0);
    } else if (strcmp(a, "--tls") == 0) {
      o.tls = true;
      continue;
    } else if (a[0] == '-' && a[1] == '-') {
      if (val == NULL)
        usage("an option without its value");
      i++;
      if (strcmp(a, "--src") == 0)
        parse_sources(argv[i]);
      else if (strcmp(a, "--ready") == 0)
        o.ready = val;
      else if (strcmp(a, "--ca") == 0)
        o.ca = val;
      else if (strcmp(a, "--tls-name") == 0)
        o.tls_name = val;
      else if (strcmp(a, "--expect") == 0)
        o.expect_file = val;
      else if (strcmp(a, "--inflight") == 0 && parse_num(val, 60000, &v) &&
               v >= 1)
        o.inflight = (unsigned)v;
      else if (strcmp(a, "--hold") == 0 && parse_num(val, 1e7, &v))
        o.hold_secs = v;
      else if (strcmp(a, "--timeout") == 0 && parse_num(val, 1e7, &v))
        o.timeout = v;
      else if (strcmp(a, "--again") == 0 && parse_num(val, MAX_CONNS, &v))
        o.again = (uint32_t)v;
      else
        usage("a bad option or value");
      continue;
    }
    if (npos == 4)
      usage("too many arguments");
    pos[npos++] = argv[i];
  }
  if (npos != 4)
    usage("ADDR PORT PATH N");
  double v;
  if (inet_pton(AF_INET, pos[0], &o.addr) != 1)
    usage("ADDR: not an IPv4 address");
  if (!parse_num(pos[1], 65535, &v) || v < 1)
    usage("PORT: 1..65535");
  o.port = (uint16_t)v;
  o.path = pos[2];
  if (!parse_num(pos[3], MAX_CONNS, &v) || v < 1)
    usage("N: 1..4000000");
  o.n = (uint32_t)v;
  if (o.inflight > o.n)
    o.inflight = o.n;
  int len = snprintf(request, sizeof(request),
                     "GET %s HTTP/1.1\r\nHost: %s\r\n\r\n", o.path, pos[0]);
  if (len < 0 || (size_t)len >= sizeof(request))
    usage("PATH: too long");
  request_len = (size_t)len;
  if (o.expect_file)
    read_expect(o.expect_file);
  if (o.tls != (o.ca != NULL) || (o.tls_name && !o.tls))
    usage("--tls needs --ca, and --ca and --tls-name need --tls");
  if (o.tls_name == NULL)
    o.tls_name = "bench.test";
  if (o.tls)
    tls_setup();
}

/* RLIMIT_NOFILE raised to N + 64 if it can be; else (fs.nr_open, or
 * no CAP_SYS_RESOURCE to pass the hard limit) to the hard limit.
 * Returns how many connections one process may hold. */
static uint32_t raise_nofile(void) {
  struct rlimit rl;
  rlim_t want = (rlim_t)o.n + 64;
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
    die("getrlimit");
  if (rl.rlim_cur < want) {
    struct rlimit up = {.rlim_cur = want,
                        .rlim_max = rl.rlim_max < want ? want : rl.rlim_max};
    if (setrlimit(RLIMIT_NOFILE, &up) == 0) {
      rl = up;
    } else {
      fprintf(stderr,
              PROG ": cannot raise RLIMIT_NOFILE to %llu (%s; its ceiling is "
                   "fs.nr_open, and past the hard limit %llu it needs "
                   "CAP_SYS_RESOURCE): the connections are shared among "
                   "processes\n",
              (unsigned long long)want, strerror(errno),
              (unsigned long long)rl.rlim_max);
      rl.rlim_cur = rl.rlim_max;
      if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
        die("setrlimit");
    }
  }
  if (rl.rlim_cur < 128)
    die("RLIMIT_NOFILE below 128");
  rlim_t per = rl.rlim_cur - 64;
  return per < o.n ? (uint32_t)per : o.n;
}

static void say_held(uint32_t held) {
  FILE *f = o.ready ? fopen(o.ready, "w") : stdout;
  if (f == NULL)
    die(o.ready);
  fprintf(f, "held %" PRIu32 "\n", held);
  if (f != stdout)
    fclose(f);
  else
    fflush(stdout);
}

/* A child: connections base .. base + n - 1; again_k of them asked again.
 * Writes its tally after opening and at the end, then exits. */
static __attribute__((noreturn)) void child(uint32_t n, uint32_t again_k,
                                            unsigned procs, int up, int down) {
  o.n = n;
  ctl_fd = down;
  o.inflight = (o.inflight + procs - 1) / procs;
  if (o.inflight > n)
    o.inflight = n;
  conns = calloc(n, sizeof(*conns));
  /* Untouched (plain HTTP: the TLS parts) costs no memory. */
  slots = calloc(o.inflight, sizeof(struct slot));
  free_slots = calloc(o.inflight, sizeof(*free_slots));
  if (conns == NULL || slots == NULL || free_slots == NULL)
    die("calloc");
  for (uint32_t i = 0; i < n; i++)
    conns[i].fd = -1;
  for (unsigned i = 0; i < o.inflight; i++)
    free_slots[nfree++] = (uint16_t)(o.inflight - 1 - i);
  ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0)
    die("epoll_create1");
  double t0 = now_s();
  open_all();
  double open_secs = now_s() - t0;
  uint32_t held = 0;
  for (uint32_t i = 0; i < n; i++)
    held += conns[i].state == C_IDLE;
  struct tally t = {.held = held, .failed = failed, .open_secs = open_secs};
  if (write(up, &t, sizeof(t)) != (ssize_t)sizeof(t))
    die("write to the parent");
  hold();
  if (failed == 0)
    again(again_k);
  uint32_t open_end = count_open();
  t = (struct tally){held,     open_end,    failed,      again_ok, fail_connect,
                     fail_tls, fail_answer, fail_closed, open_secs};
  if (write(up, &t, sizeof(t)) != (ssize_t)sizeof(t))
    die("write to the parent");
  for (uint32_t i = 0; i < n; i++) {
    if (conns[i].fd >= 0)
      close(conns[i].fd);
  }
  _exit(0);
}

/* The parent's hold: until standard input closes (if it is a pipe or a
 * terminal), a signal, or --hold seconds. */
static void parent_hold(void) {
  double t0 = now_s();
  while (!stop_flag && now_s() - t0 < o.hold_secs) {
    struct pollfd p = {.fd = 0, .events = POLLIN};
    int r = poll(&p, 1, 500);
    if (r > 0) {
      char b[256];
      ssize_t n = read(0, b, sizeof(b));
      if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN))
        return;
      if (p.revents & (POLLHUP | POLLERR | POLLNVAL) && n <= 0)
        return;
    }
  }
}

static void read_tally(int fd, struct tally *t) {
  ssize_t r = read(fd, t, sizeof(*t));
  if (r != (ssize_t)sizeof(*t)) {
    memset(t, 0, sizeof(*t));
    t->failed = 1; /* the child died */
  }
}

int main(int argc, char **argv) {
  parse_args(argc, argv);
  uint32_t per = raise_nofile();
  unsigned procs = (unsigned)((o.n + per - 1) / per);
  signal(SIGPIPE, SIG_IGN);
  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = on_signal;
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  int *up = calloc(procs, sizeof(int)), *down = calloc(procs, sizeof(int));
  pid_t *pids = calloc(procs, sizeof(pid_t));
  if (up == NULL || down == NULL || pids == NULL)
    die("calloc");
  for (unsigned k = 0; k < procs; k++) {
    int u[2], d[2];
    if (pipe2(u, O_CLOEXEC) != 0 || pipe2(d, O_CLOEXEC) != 0)
      die("pipe");
    uint32_t lo = (uint32_t)((uint64_t)k * o.n / procs);
    uint32_t hi = (uint32_t)((uint64_t)(k + 1) * o.n / procs);
    uint32_t ak = (uint32_t)((uint64_t)o.again * (hi - lo) / o.n);
    if (o.again >= o.n)
      ak = hi - lo;
    pids[k] = fork();
    if (pids[k] < 0)
      die("fork");
    if (pids[k] == 0) {
      close(u[0]);
      close(d[1]);
      for (unsigned j = 0; j < k; j++) {
        close(up[j]);
        close(down[j]);
      }
      base = lo;
      child(hi - lo, ak, procs, u[1], d[0]);
    }
    close(u[1]);
    close(d[0]);
    up[k] = u[0];
    down[k] = d[1];
  }
  struct tally sum = {0}, t;
  for (unsigned k = 0; k < procs; k++) {
    read_tally(up[k], &t);
    sum.held += t.held;
    sum.failed += t.failed;
    if (t.open_secs > sum.open_secs)
      sum.open_secs = t.open_secs;
  }
  say_held(sum.held);
  fprintf(stderr,
          PROG ": %" PRIu32 " of %" PRIu32 " held in %.1f s (%u process%s)\n",
          sum.held, o.n, sum.open_secs, procs, procs > 1 ? "es" : "");
  if (sum.failed == 0)
    parent_hold();
  for (unsigned k = 0; k < procs; k++)
    close(down[k]);
  memset(&sum, 0, sizeof(sum));
  for (unsigned k = 0; k < procs; k++) {
    read_tally(up[k], &t);
    sum.held += t.held;
    sum.open_end += t.open_end;
    sum.failed += t.failed;
    sum.again_ok += t.again_ok;
    sum.fail_connect += t.fail_connect;
    sum.fail_tls += t.fail_tls;
    sum.fail_answer += t.fail_answer;
    sum.fail_closed += t.fail_closed;
    if (t.open_secs > sum.open_secs)
      sum.open_secs = t.open_secs;
  }
  for (unsigned k = 0; k < procs; k++)
    (void)waitpid(pids[k], NULL, 0);
  printf("znb mode=hold conns=%" PRIu32 " held=%" PRIu32 " open_end=%" PRIu32
         " failed=%" PRIu32 " again_ok=%" PRIu32 " open_secs=%.3f rate=%.1f"
         " unit=conn/s procs=%u fail_connect=%" PRIu32 " fail_tls=%" PRIu32
         " fail_answer=%" PRIu32 " fail_closed=%" PRIu32 " tls=%d\n",
         o.n, sum.held, sum.open_end, sum.failed, sum.again_ok, sum.open_secs,
         sum.open_secs > 0 ? sum.held / sum.open_secs : 0.0, procs,
         sum.fail_connect, sum.fail_tls, sum.fail_answer, sum.fail_closed,
         o.tls ? 1 : 0);
  fflush(stdout);
  free(up);
  free(down);
  free(pids);
  free(expect);
  return sum.failed == 0 && sum.open_end == o.n ? 0 : 1;
}
