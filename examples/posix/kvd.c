/*
 * kvd: a small key-value server written against POSIX alone (sockets,
 * epoll, read, send), that redis-cli can talk to.  The same file builds
 * as an ordinary Linux program on the kernel's sockets (and runs as it
 * is under znet-run), and as a Solo5 unikernel on libznet-rt
 * (examples/solo5/meson.build), whose musl and system calls give it the
 * same calls with Linux's semantics.
 *
 *   kvd [-p PORT] [-m BYTES] [-4]
 *
 *   -p PORT   TCP port (default 6379, Redis's)
 *   -m BYTES  keys and values together at most this many bytes
 *             (default 16 MiB); a SET beyond it is refused
 *   -4        IPv4 only (default: IPv6 and IPv4 on one socket, falling
 *             back to IPv4 alone where there is no IPv6)
 *
 * The protocol is a subset of RESP2, Redis's: a request is an array of
 * bulk strings (what redis-cli sends) or an inline line of blank-separated
 * words (what a person types into nc).  Commands, their names in any
 * case:
 *
 *   PING [MSG]           +PONG, or MSG as a bulk string
 *   ECHO MSG             MSG
 *   SET KEY VALUE        +OK (keys and values are binary-safe)
 *   GET KEY              the value, or the null bulk string
 *   DEL KEY [KEY ...]    how many of them existed (:N)
 *   EXISTS KEY [KEY ...] how many of them exist
 *   DBSIZE               the number of keys
 *   FLUSHALL             +OK, every key gone
 *   QUIT                 +OK, then the connection is closed
 *   SHUTDOWN             the server closes everything and exits 0
 *
 * Anything else is answered "-ERR unknown command"; a malformed request
 * gets "-ERR Protocol error" and the connection is closed.  One thread,
 * one epoll instance, every socket non-blocking; a client that sends
 * faster than it reads is not read from while its replies wait.  Writes
 * use send(MSG_NOSIGNAL): a client gone away is no SIGPIPE.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define KV_PORT 6379
#define KV_MAXMEM (16u << 20)
#define KV_BUCKETS 4096
#define KV_MAX_FDS 1024        /* connections by descriptor number */
#define KV_MAX_ARGS 64         /* words in one request */
#define KV_MAX_BULK (1u << 20) /* bytes in one word */
#define KV_MAX_IN (KV_MAX_BULK + 4096)
#define KV_OUT_HIGH (1u << 20) /* replies waiting: stop reading */
#define KV_READ_CHUNK ((size_t)16384)
#define KV_EVENTS 64

struct entry {
  struct entry *next;
  size_t klen, vlen;
  unsigned char data[]; /* key, then value */
};

struct conn {
  int fd;
  char *in;
  size_t in_len, in_cap;
  char *out;
  size_t out_len, out_off, out_cap;
  bool quit;       /* close once the replies are out */
  uint32_t events; /* what epoll watches for */
};

struct word {
  const char *p;
  size_t len;
};

static struct entry *table[KV_BUCKETS];
static size_t nkeys, used_bytes, max_bytes = KV_MAXMEM;
static struct conn *conns[KV_MAX_FDS];
static int epfd = -1;
static bool shutting_down;

/* ---- the store ---- */

/* FNV-1a. */
static uint32_t hash(const void *p, size_t n) {
  const unsigned char *b = p;
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < n; i++)
    h = (h ^ b[i]) * 16777619u;
  return h;
}

static struct entry **find(const struct word *k) {
  struct entry **pp = &table[hash(k->p, k->len) % KV_BUCKETS];
  for (; *pp; pp = &(*pp)->next)
    if ((*pp)->klen == k->len && memcmp((*pp)->data, k->p, k->len) == 0)
      return pp;
  return pp;
}

static bool del(const struct word *k) {
  struct entry **pp = find(k);
  struct entry *e = *pp;
  if (!e)
    return false;
  *pp = e->next;
  used_bytes -= e->klen + e->vlen;
  nkeys--;
  free(e);
  return true;
}

/* false: over the memory limit or out of memory (nothing changed). */
static bool set(const struct word *k, const struct word *v) {
  struct entry **pp = find(k);
  size_t old = *pp ? (*pp)->klen + (*pp)->vlen : 0;
  if (used_bytes - old + k->len + v->len > max_bytes)
    return false;
  struct entry *e = malloc(sizeof(*e) + k->len + v->len);
  if (!e)
    return false;
  e->klen = k->len;
  e->vlen = v->len;
  memcpy(e->data, k->p, k->len);
  memcpy(e->data + k->len, v->p, v->len);
  if (*pp) {
    e->next = (*pp)->next;
    free(*pp);
    *pp = e;
    used_bytes -= old;
  } else {
    e->next = NULL;
    *pp = e;
    nkeys++;
  }
  used_bytes += k->len + v->len;
  return true;
}

static void flush_all(void) {
  for (size_t i = 0; i < KV_BUCKETS; i++) {
    while (table[i]) {
      struct entry *e = table[i];
      table[i] = e->next;
      free(e);
    }
  }
  nkeys = used_bytes = 0;
}

/* ---- replies ---- */

static bool out_put(struct conn *c, const void *p, size_t n) {
  if (c->out_cap - c->out_len < n) {
    size_t cap = c->out_cap ? c->out_cap : 4096;
    while (cap - c->out_len < n)
      cap *= 2;
    char *q = realloc(c->out, cap);
    if (!q)
      return false;
    c->out = q;
    c->out_cap = cap;
  }
  memcpy(c->out + c->out_len, p, n);
  c->out_len += n;
  return true;
}

static void reply_str(struct conn *c, const char *s) {
  out_put(c, s, strlen(s));
}

static void reply_int(struct conn *c, size_t v) {
  char b[32];
  int n = snprintf(b, sizeof(b), ":%zu\r\n", v);
  out_put(c, b, (size_t)n);
}

static void reply_bulk(struct conn *c, const void *p, size_t len) {
  char b[32];
  int n = snprintf(b, sizeof(b), "$%zu\r\n", len);
  out_put(c, b, (size_t)n);
  out_put(c, p, len);
  out_put(c, "\r\n", 2);
}

/* ---- commands ---- */

static bool is(const struct word *w, const char *name) {
  size_t n = strlen(name);
  if (w->len != n)
    return false;
  for (size_t i = 0; i < n; i++) {
    char a = w->p[i];
    if (a >= 'a' && a <= 'z')
      a = (char)(a - 'a' + 'A');
    if (a != name[i])
      return false;
  }
  return true;
}

static const char *const wrong_args = "-ERR wrong number of arguments\r\n";

static void command(struct conn *c, const struct word *w, size_t n) {
  if (is(&w[0], "PING") && n <= 2) {
    if (n == 2)
      reply_bulk(c, w[1].p, w[1].len);
    else
      reply_str(c, "+PONG\r\n");
  } else if (is(&w[0], "ECHO") && n == 2) {
    reply_bulk(c, w[1].p, w[1].len);
  } else if (is(&w[0], "SET") && n == 3) {
    reply_str(c, set(&w[1], &w[2])
                     ? "+OK\r\n"
                     : "-OOM command not allowed when used memory > "
                       "'maxmemory'\r\n");
  } else if (is(&w[0], "GET") && n == 2) {
    struct entry *e = *find(&w[1]);
    if (e)
      reply_bulk(c, e->data + e->klen, e->vlen);
    else
      reply_str(c, "$-1\r\n");
  } else if ((is(&w[0], "DEL") || is(&w[0], "EXISTS")) && n >= 2) {
    bool remove = is(&w[0], "DEL");
    size_t k = 0;
    for (size_t i = 1; i < n; i++)
      k += remove ? del(&w[i]) : *find(&w[i]) != NULL;
    reply_int(c, k);
  } else if (is(&w[0], "DBSIZE") && n == 1) {
    reply_int(c, nkeys);
  } else if (is(&w[0], "FLUSHALL") && n == 1) {
    flush_all();
    reply_str(c, "+OK\r\n");
  } else if (is(&w[0], "QUIT") && n == 1) {
    c->quit = true;
    reply_str(c, "+OK\r\n");
  } else if (is(&w[0], "SHUTDOWN")) {
    shutting_down = true;
  } else if (is(&w[0], "PING") || is(&w[0], "ECHO") || is(&w[0], "SET") ||
             is(&w[0], "GET") || is(&w[0], "DEL") || is(&w[0], "EXISTS") ||
             is(&w[0], "DBSIZE") || is(&w[0], "FLUSHALL") ||
             is(&w[0], "QUIT")) {
    reply_str(c, wrong_args);
  } else {
    reply_str(c, "-ERR unknown command\r\n");
  }
}

/* ---- requests ---- */

/* A decimal at p ending in "\r\n" before end: its value and the byte
 * after the "\n"; NULL if incomplete, *bad if malformed. */
static const char *number_line(const char *p, const char *end, long *v,
                               bool *bad) {
  const char *nl = memchr(p, '\n', (size_t)(end - p));
  if (!nl)
    return NULL;
  bool neg = p < nl && *p == '-';
  const char *q = p + neg;
  long x = 0;
  if (q == nl - 1 || nl[-1] != '\r')
    *bad = true;
  for (; q < nl - 1 && !*bad; q++) {
    if (*q < '0' || *q > '9' || x > (long)KV_MAX_BULK) {
      *bad = true;
      break;
    }
    x = x * 10 + (*q - '0');
  }
  *v = neg ? -x : x;
  return nl + 1;
}

/* One RESP array of bulk strings at p: bytes taken, 0 if incomplete, -1
 * if malformed. */
static long parse_array(const char *p, size_t len, struct word *w, size_t *n) {
  const char *end = p + len;
  bool bad = false;
  long count;
  const char *q = number_line(p + 1, end, &count, &bad);
  if (bad || (q && (count < 1 || count > KV_MAX_ARGS)))
    return -1;
  if (!q)
    return 0;
  for (long i = 0; i < count; i++) {
    if (q >= end)
      return 0;
    if (*q != '$')
      return -1;
    long blen;
    q = number_line(q + 1, end, &blen, &bad);
    if (bad || (q && (blen < 0 || blen > (long)KV_MAX_BULK)))
      return -1;
    if (!q || end - q < blen + 2)
      return 0;
    if (q[blen] != '\r' || q[blen + 1] != '\n')
      return -1;
    w[i] = (struct word){q, (size_t)blen};
    q += blen + 2;
  }
  *n = (size_t)count;
  return q - p;
}

/* One inline line at p: its blank-separated words (none for a blank
 * line); bytes taken, 0 if incomplete, -1 if it has too many words. */
static long parse_inline(const char *p, size_t len, struct word *w, size_t *n) {
  const char *nl = memchr(p, '\n', len);
  if (!nl)
    return len > KV_MAX_IN / 2 ? -1 : 0;
  const char *end = nl > p && nl[-1] == '\r' ? nl - 1 : nl;
  *n = 0;
  for (const char *q = p; q < end;) {
    while (q < end && (*q == ' ' || *q == '\t'))
      q++;
    if (q == end)
      break;
    if (*n == KV_MAX_ARGS)
      return -1;
    const char *s = q;
    while (q < end && *q != ' ' && *q != '\t')
      q++;
    w[(*n)++] = (struct word){s, (size_t)(q - s)};
  }
  return nl + 1 - p;
}

/* Run the complete requests waiting in c->in; false: close c. */
static bool run_requests(struct conn *c) {
  size_t off = 0;
  while (off < c->in_len && !c->quit && !shutting_down &&
         c->out_len - c->out_off < KV_OUT_HIGH) {
    struct word w[KV_MAX_ARGS];
    size_t n = 0;
    const char *p = c->in + off;
    size_t len = c->in_len - off;
    long took =
        *p == '*' ? parse_array(p, len, w, &n) : parse_inline(p, len, w, &n);
    if (took < 0) {
      reply_str(c, "-ERR Protocol error\r\n");
      c->quit = true;
      break;
    }
    if (took == 0)
      break;
    if (n > 0)
      command(c, w, n);
    off += (size_t)took;
  }
  memmove(c->in, c->in + off, c->in_len - off);
  c->in_len -= off;
  return true;
}

/* ---- connections ---- */

static void conn_close(struct conn *c) {
  epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
  close(c->fd);
  conns[c->fd] = NULL;
  free(c->in);
  free(c->out);
  free(c);
}

/* Watch for input unless too many replies wait, and for room while any
 * do. */
static void set_events(struct conn *c) {
  size_t waiting = c->out_len - c->out_off;
  uint32_t want =
      (waiting < KV_OUT_HIGH ? EPOLLIN : 0u) | (waiting > 0 ? EPOLLOUT : 0u);
  if (want == c->events)
    return;
  struct epoll_event ev = {.events = want, .data.fd = c->fd};
  if (epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev) == 0)
    c->events = want;
}

/* Send what is waiting; false on a failed connection. */
static bool flush_out(struct conn *c) {
  while (c->out_off < c->out_len) {
    ssize_t k =
        send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
    if (k < 0 && errno == EINTR)
      continue;
    if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
      break;
    if (k <= 0)
      return false;
    c->out_off += (size_t)k;
  }
  if (c->out_off == c->out_len)
    c->out_off = c->out_len = 0;
  set_events(c);
  return true;
}

/* Read what has come; false when the peer is gone or misbehaved. */
static bool read_in(struct conn *c) {
  for (;;) {
    if (c->in_cap - c->in_len < KV_READ_CHUNK) {
      if (c->in_cap >= KV_MAX_IN)
        return false; /* a request larger than any allowed */
      size_t cap = c->in_cap ? c->in_cap * 2 : KV_READ_CHUNK * 2;
      char *q = realloc(c->in, cap);
      if (!q)
        return false;
      c->in = q;
      c->in_cap = cap;
    }
    ssize_t k = read(c->fd, c->in + c->in_len, c->in_cap - c->in_len);
    if (k < 0 && errno == EINTR)
      continue;
    if (k < 0)
      return errno == EAGAIN || errno == EWOULDBLOCK;
    if (k == 0)
      return false;
    c->in_len += (size_t)k;
    if (c->out_len - c->out_off >= KV_OUT_HIGH)
      return true;
    run_requests(c);
  }
}

static void on_conn(struct conn *c, uint32_t events) {
  bool ok = true;
  if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
    ok = c->out_len - c->out_off >= KV_OUT_HIGH || read_in(c);
  if (ok)
    run_requests(c); /* what waited for room */
  ok = flush_out(c) && ok;
  if (!ok || (c->quit && c->out_len == 0))
    conn_close(c);
}

static void on_listener(int lfd) {
  for (;;) {
    int fd = accept(lfd, NULL, NULL);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED)
        continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK)
        fprintf(stderr, "kvd: accept: %s\n", strerror(errno));
      return;
    }
    struct conn *c = fd < KV_MAX_FDS ? calloc(1, sizeof(*c)) : NULL;
    int one = 1;
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
    if (!c || fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) != 0 ||
        epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
      free(c);
      close(fd);
      continue;
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    c->fd = fd;
    c->events = EPOLLIN;
    conns[fd] = c;
  }
}

/* ---- start ---- */

static int listen_on(uint16_t port, bool v4_only) {
  int one = 1, zero = 0;
  if (!v4_only) {
    int fd = socket(AF_INET6, SOCK_STREAM, 0);
    struct sockaddr_in6 a6 = {.sin6_family = AF_INET6,
                              .sin6_port = htons(port)};
    if (fd >= 0 &&
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == 0 &&
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero)) == 0 &&
        bind(fd, (struct sockaddr *)&a6, sizeof(a6)) == 0)
      return fd;
    if (fd >= 0)
      close(fd);
  }
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a4 = {.sin_family = AF_INET,
                           .sin_port = htons(port),
                           .sin_addr.s_addr = htonl(INADDR_ANY)};
  if (fd < 0 ||
      setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
      bind(fd, (struct sockaddr *)&a4, sizeof(a4)) != 0) {
    fprintf(stderr, "kvd: port %u: %s\n", (unsigned)port, strerror(errno));
    if (fd >= 0)
      close(fd);
    return -1;
  }
  return fd;
}

static void usage(void) {
  fprintf(stderr, "usage: kvd [-p PORT] [-m BYTES] [-4]\n");
  exit(2);
}

static unsigned long number_arg(const char *s, unsigned long max) {
  char *end;
  unsigned long v = s ? strtoul(s, &end, 10) : 0;
  if (!s || *s < '0' || *s > '9' || *end || v == 0 || v > max)
    usage();
  return v;
}

int main(int argc, char **argv) {
  uint16_t port = KV_PORT;
  bool v4_only = false;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "-p") == 0)
      port = (uint16_t)number_arg(argv[++i], 65535);
    else if (strcmp(argv[i], "-m") == 0)
      max_bytes = number_arg(argv[++i], SIZE_MAX / 2);
    else if (strcmp(argv[i], "-4") == 0)
      v4_only = true;
    else
      usage();
  }
  int lfd = listen_on(port, v4_only);
  if (lfd < 0)
    return 1;
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = lfd};
  epfd = epoll_create1(EPOLL_CLOEXEC);
  if (listen(lfd, SOMAXCONN) != 0 ||
      fcntl(lfd, F_SETFL, fcntl(lfd, F_GETFL) | O_NONBLOCK) != 0 || epfd < 0 ||
      epoll_ctl(epfd, EPOLL_CTL_ADD, lfd, &ev) != 0) {
    fprintf(stderr, "kvd: cannot listen: %s\n", strerror(errno));
    return 1;
  }
  printf("kvd: listening on port %u\n", (unsigned)port);
  (void)fflush(stdout);
  while (!shutting_down) {
    struct epoll_event evs[KV_EVENTS];
    int n = epoll_wait(epfd, evs, KV_EVENTS, -1);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      fprintf(stderr, "kvd: epoll_wait: %s\n", strerror(errno));
      return 1;
    }
    for (int i = 0; i < n && !shutting_down; i++) {
      int fd = evs[i].data.fd;
      if (fd == lfd)
        on_listener(lfd);
      else if (fd >= 0 && fd < KV_MAX_FDS && conns[fd])
        on_conn(conns[fd], evs[i].events);
    }
  }
  for (int fd = 0; fd < KV_MAX_FDS; fd++)
    if (conns[fd])
      conn_close(conns[fd]);
  close(lfd);
  close(epfd);
  flush_all();
  printf("kvd: shut down\n");
  return 0;
}
