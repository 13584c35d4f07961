/*
 * znet-nc: a netcat for znet's TCP, for tests and measurements.
 *
 *     znet-nc [OPTIONS] ADDR PORT              connect to ADDR:PORT
 *     znet-nc [OPTIONS] NAME PORT [--resolver ADDR[:PORT]]...
 *                                              connect to NAME:PORT
 *     znet-nc [OPTIONS] --listen ADDR PORT     accept one connection on
 *                                              ADDR:PORT (0.0.0.0: any)
 *
 * What moves (one connection, then exit):
 *
 *   (default)     stdin to the connection, the connection to stdout; at
 *                 the end of stdin our side is shut down (a FIN, reading
 *                 goes on), and the program ends once the peer has closed
 *                 its side too.  Needs a TAP netif (stdin is polled with
 *                 it).
 *   --send BYTES  BYTES of a fixed pattern (K, M, G suffixes), then a FIN.
 *                 Zero copy: the pattern is one static buffer of
 *                 PATTERN_LEN bytes handed to zn_tcp_write_ref again and
 *                 again, never copied into the stack; the segments are
 *                 built from it.  Anything received is counted and
 *                 dropped.
 *   --sink        read and drop everything until the peer's FIN, through
 *                 zn_tcp_peek/zn_tcp_consume: no copy at all.
 *
 * The pattern is byte i = P[i mod 65521], where P[k] is the top byte of
 * the (k+1)-th output of xorshift32 (13, 17, 5) started at 0x9e3779b9,
 * so a test can compute what must arrive.
 *
 * A NAME (anything that is not an address) is looked up for AAAA and A
 * records at once through the library's resolver (--resolver servers,
 * or with none the ones router advertisements name), the addresses
 * ordered IPv6 first when the stack has an IPv6 address to use
 * (zn_dns_resolve_connect), and connected to as RFC 8305 says
 * (zn_dns_race_start): a new attempt every 250 ms, or at once when one
 * fails, the first connected wins.  It prints the addresses found and
 * "connected to ADDR:PORT".
 *
 * At the end it prints to stderr the bytes sent and received, the time
 * from the connection's establishment to the end of the transfer, and the
 * throughput in Mbit/s, and with --sha256 the SHA-256 of the bytes sent
 * and of those received (examples/sha256.c; check it against sha256sum).
 * Exit status: 0 when the connection closed cleanly (both FINs, all data
 * acknowledged), 1 on a reset, a refused connection, a timeout (the
 * stack's, or -w), an interrupt or an I/O error, 2 on a usage error.
 * --sha256-stdin only hashes stdin and prints "HEX  -" as sha256sum
 * does, without any network: a test of the SHA-256 code.
 *
 * --tls makes the connection a TLS 1.3 (or 1.2) client session (libznet-tls):
 * the server's certificate must lead to a CA of --ca (a PEM bundle), be
 * valid now and name --tls-name (by default the NAME connected to).  The
 * data paths are the same code either way: they run on a struct
 * zn_stream, a TCP stream or a TLS one.  It prints the version and suite
 * agreed ("tls: TLSv1.2 ECDHE-..."), or why the handshake failed
 * ("failed: tls: certificate does not match the server name ..."), and
 * ends with close_notify both ways.  It keeps the server's TLS 1.3
 * tickets, so with --repeat N (connecting to an ADDR with --send or
 * --sink: N connections one after the other, the next once the last has
 * closed cleanly, each reported) the later ones resume ("... resumed").
 */
#define _GNU_SOURCE /* ppoll */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "app_int.h"
#include "common_tls.h"
#include "sha256.h"

#define PROG "znet-nc"
/* A prime, so the pattern's period lines up with no segment or buffer
 * size. */
#define PATTERN_LEN 65521u
/* write_ref calls in flight at once (each a pattern-sized reference):
 * about 4 MiB queued, more than any window here. */
#define SEND_REFS_MAX 64u
#define STDIN_CHUNK 65536u
#define MAX_SEND_BYTES (1ull << 50)

enum nc_mode { MODE_STREAM, MODE_SEND, MODE_SINK };

struct nc_opts {
  bool listen;
  struct zn_ip addr; /* either family */
  const char *name;  /* a name to look up instead of addr, or NULL */
  struct zn_dns_server servers[ZN_DNS_MAX_SERVERS]; /* --resolver */
  uint32_t nservers;
  uint16_t port;
  enum nc_mode mode;
  uint64_t send_bytes;
  bool sha256;
  bool sha256_stdin;
  uint64_t idle_ns; /* 0: no limit */
  bool verbose;
  bool tls;             /* --tls */
  const char *tls_name; /* --tls-name: the name the certificate must bear */
  const char *ca;       /* --ca: the trust anchors (PEM bundle) */
  uint32_t repeat;      /* --repeat: connections in a row (0: 1) */
};

struct nc {
  struct zn__app_host *h;
  const struct nc_opts *o;
  struct zn_tcp_conn *listener, *c;
  /* The data moves on s, once the connection is there: ts over c, or a
   * TLS session over it (tls). */
  struct zn_stream *s;
  struct zn_tcp_stream ts;
  struct ex_tls *tls;
  bool established;   /* connected or accepted */
  bool peer_eof;      /* the peer's FIN, everything before it read */
  bool stdin_eof, stdin_ready;
  bool shut;          /* our FIN queued (zn_tcp_shutdown) */
  bool closing;       /* zn_tcp_close or zn_tcp_abort called */
  bool closed;        /* on_closed ran */
  bool transfer_done; /* t_end taken */
  int err;            /* from on_error, 0 if none */
  const char *fail;   /* why the exit status is 1, or NULL */
  uint64_t t_start, t_end, last_progress;
  uint64_t queued, released; /* --send: bytes handed over, acknowledged */
  uint32_t refs;             /* write_ref references pending */
  uint64_t rx, tx;
  struct ex_sha256 hrx, htx;
  uint8_t *inbuf; /* stream mode: stdin bytes not yet taken */
  size_t inlen, inoff;
  struct zn_tcp_info info;
  bool have_info;
  /* Connecting by name: the lookup, then the race of attempts. */
  struct zn_dns_resolver *r;
  struct zn_dns_lookup lookup;
  struct zn_dns_race race;
  uint64_t t_race; /* when the first attempt started */
};

static uint8_t pattern[PATTERN_LEN];

static void pattern_init(void) {
  uint32_t x = 0x9e3779b9u;
  for (size_t i = 0; i < PATTERN_LEN; i++) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    pattern[i] = (uint8_t)(x >> 24);
  }
}

static uint64_t host_now(const struct nc *nc) {
  uint64_t t = zn_netif_now(nc->h->nif);
  return t == ZN_TIME_NEVER ? zn_host_now() : t;
}

static void progress(struct nc *nc) { nc->last_progress = host_now(nc); }

static void save_info(struct nc *nc) {
  if (nc->c && !nc->closing && (nc->s == NULL || zn_stream_conn(nc->s))) {
    zn_tcp_get_info(nc->c, &nc->info);
    nc->have_info = true;
  }
}

static void end_transfer(struct nc *nc) {
  if (!nc->transfer_done) {
    nc->transfer_done = true;
    nc->t_end = host_now(nc);
  }
}

static void nc_close(struct nc *nc) {
  if (nc->c && !nc->closing) {
    save_info(nc);
    end_transfer(nc);
    nc->closing = true;
    if (nc->s)
      zn_stream_close(nc->s);
    else
      zn_tcp_close(nc->c);
  }
}

static void nc_abort(struct nc *nc, const char *why) {
  if (nc->fail == NULL)
    nc->fail = why;
  if (nc->c && !nc->closing) {
    save_info(nc);
    end_transfer(nc);
    nc->closing = true;
    if (nc->s)
      zn_stream_abort(nc->s);
    else
      zn_tcp_abort(nc->c);
  }
}

/* write(2) all of it, retrying short writes. */
static int write_all(int fd, const uint8_t *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR)
        continue;
      return -1;
    }
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

/* Everything received: to stdout in stream mode, hashed with --sha256,
 * released in place. */
static void pump_rx(struct nc *nc) {
  while (nc->s && !nc->closing) {
    const uint8_t *p;
    long n = zn_stream_peek(nc->s, &p);
    if (n == 0) {
      nc->peer_eof = true;
      return;
    }
    if (n < 0)
      return; /* ZN_EAGAIN, or a failure on_error reports */
    if (nc->o->mode == MODE_STREAM &&
        write_all(STDOUT_FILENO, p, (size_t)n) != 0) {
      fprintf(stderr, PROG ": stdout: %s\n", strerror(errno));
      nc_abort(nc, "cannot write to stdout");
      return;
    }
    if (nc->o->sha256)
      ex_sha256_update(&nc->hrx, p, (size_t)n);
    (void)zn_stream_consume(nc->s, (size_t)n);
    nc->rx += (uint64_t)n;
    progress(nc);
  }
}

/* zn_stream_write_ref's release: every byte of one reference is
 * acknowledged (TLS: encrypted and handed to TCP), or the connection is
 * gone.  Runs inside the stack: only
 * bookkeeping here, the next references go from the loop. */
static void on_release(void *arg) {
  struct nc *nc = arg;
  uint64_t left = nc->o->send_bytes - nc->released;
  nc->released += left < PATTERN_LEN ? left : PATTERN_LEN;
  nc->refs--;
  nc->last_progress = host_now(nc);
}

static void pump_send(struct nc *nc) {
  uint64_t total = nc->o->send_bytes;
  while (nc->queued < total && nc->refs < SEND_REFS_MAX) {
    uint64_t left = total - nc->queued;
    size_t len = left < PATTERN_LEN ? (size_t)left : PATTERN_LEN;
    int rc = zn_stream_write_ref(nc->s, pattern, len, on_release, nc);
    if (rc == ZN_EAGAIN)
      return;
    if (rc != ZN_OK) {
      if (nc->err == 0)
        fprintf(stderr, PROG ": write: %s\n", zn_strerror(rc));
      nc_abort(nc, "cannot send");
      return;
    }
    nc->refs++;
    nc->queued += len;
    nc->tx += len;
  }
  if (nc->queued == total && !nc->shut) {
    nc->shut = true;
    (void)zn_stream_shutdown(nc->s);
  }
}

static void pump_stdin(struct nc *nc) {
  for (;;) {
    if (nc->inoff < nc->inlen) {
      long w = zn_stream_write(nc->s, nc->inbuf + nc->inoff,
                               nc->inlen - nc->inoff);
      if (w == ZN_EAGAIN)
        return; /* on_writable */
      if (w < 0) {
        nc_abort(nc, "cannot send");
        return;
      }
      nc->inoff += (size_t)w;
      nc->tx += (uint64_t)w;
      progress(nc);
      if (nc->inoff < nc->inlen)
        return;
    }
    nc->inoff = nc->inlen = 0;
    if (nc->stdin_eof || !nc->stdin_ready)
      break;
    size_t room = zn_stream_writable(nc->s);
    if (room == 0)
      return;
    if (room > STDIN_CHUNK)
      room = STDIN_CHUNK;
    ssize_t r = read(STDIN_FILENO, nc->inbuf, room);
    nc->stdin_ready = false; /* poll again before the next read */
    if (r < 0) {
      if (errno == EINTR || errno == EAGAIN)
        return;
      fprintf(stderr, PROG ": stdin: %s\n", strerror(errno));
      nc_abort(nc, "cannot read stdin");
      return;
    }
    if (r == 0) {
      nc->stdin_eof = true;
      break;
    }
    if (nc->o->sha256)
      ex_sha256_update(&nc->htx, nc->inbuf, (size_t)r);
    nc->inlen = (size_t)r;
  }
  if (nc->stdin_eof && !nc->shut) {
    nc->shut = true;
    (void)zn_stream_shutdown(nc->s);
  }
}

/* Move what can move, and close once the transfer is over: both sides
 * have sent their FIN and, for --send, every byte is acknowledged. */
static void pump(struct nc *nc) {
  if (nc->s == NULL || nc->closing || !nc->established)
    return;
  pump_rx(nc);
  if (nc->closing)
    return;
  if (nc->o->mode == MODE_SEND)
    pump_send(nc);
  else if (nc->o->mode == MODE_STREAM)
    pump_stdin(nc);
  if (nc->closing)
    return;
  bool sent_all = nc->o->mode == MODE_SINK ||
                  (nc->shut && (nc->o->mode != MODE_SEND ||
                                nc->released == nc->o->send_bytes));
  if (nc->peer_eof && sent_all)
    nc_close(nc);
}

/* ---- callbacks (they run inside zn_stack_poll) ---- */

static void failed(struct nc *nc, int err) {
  nc->err = err;
  if (err == ZN_ETLS || (nc->tls && nc->s && !nc->established)) {
    static char tls_why[256]; /* nc->fail points at it */
    char why[200];
    ex_tls_why(nc->s, why, sizeof(why));
    (void)snprintf(tls_why, sizeof(tls_why), "tls: %s",
                   err == ZN_ETLS ? why : zn_strerror(err));
    nc_abort(nc, tls_why);
    return;
  }
  const char *why = err == ZN_ECONNREFUSED ? "connection refused"
                    : err == ZN_ECONNRESET ? "connection reset by peer"
                    : err == ZN_ETIMEDOUT  ? "connection timed out"
                                           : zn_strerror(err);
  nc_abort(nc, why);
}

/* The data moves: the TCP connection is there (and, with --tls, the
 * handshake is done). */
static void established(struct nc *nc) {
  nc->established = true;
  nc->t_start = host_now(nc);
  progress(nc);
  pump(nc);
}

static void s_open(struct zn_stream *s, void *arg) {
  struct nc *nc = arg;
  char what[160];
  ex_tls_describe(s, what, sizeof(what));
  /* A resumed session's certificate was checked when the ticket's was. */
  fprintf(stderr, PROG ": tls: %s, %s %s\n", what,
          ex_tls_resumed(s) ? "a session of a certificate verified for"
                            : "certificate verified for",
          nc->o->tls_name);
  established(nc);
}

static void s_event(struct zn_stream *s, void *arg) {
  (void)s;
  pump(arg);
}

static void s_error(struct zn_stream *s, void *arg, int err) {
  (void)s;
  failed(arg, err);
}

static void s_closed(struct zn_stream *s, void *arg) {
  struct nc *nc = arg;
  nc->closed = true;
  nc->c = NULL;
  nc->s = NULL;
  if (nc->tls)
    ex_tls_end(s);
}

static const struct zn_stream_callbacks stream_cbs = {
    .on_open = s_open,
    .on_readable = s_event,
    .on_writable = s_event,
    .on_error = s_error,
    .on_closed = s_closed,
};

/* The stream over c: TLS (established at on_open) or TCP (at once). */
static void attach(struct nc *nc, struct zn_tcp_conn *c) {
  nc->c = c;
  if (nc->tls == NULL) {
    zn_tcp_stream_init(&nc->ts, c, &stream_cbs, nc);
    nc->s = &nc->ts.s;
    established(nc);
    return;
  }
  int rc = ex_tls_start(nc->tls, nc->h->st, c, nc->o->tls_name, &stream_cbs,
                        nc, &nc->s);
  if (rc != ZN_OK) {
    fprintf(stderr, PROG ": tls: %s\n", zn_strerror(rc));
    nc_abort(nc, "tls: cannot start");
  }
}

/* Until the stream takes over: connecting (or refused, unreachable). */
static void on_connected(struct zn_tcp_conn *c, void *arg) {
  struct nc *nc = arg;
  if (nc->o->name) {
    struct zn_tcp_info i;
    char a[ZN_IP_STRLEN];
    zn_tcp_get_info(c, &i);
    fprintf(stderr, PROG ": connected to %s:%u (%.1f ms after the first "
                         "attempt)\n",
            zn_ip_format(&i.raddr, a), (unsigned)i.rport,
            (double)(host_now(nc) - nc->t_race) / 1e6);
  }
  attach(nc, c); /* the race's winner, when connecting by name */
}

static void on_error(struct zn_tcp_conn *c, void *arg, int err) {
  struct nc *nc = arg;
  if (nc->c == NULL)
    nc->c = c; /* to close it */
  failed(nc, err);
}

static void on_closed(struct zn_tcp_conn *c, void *arg) {
  (void)c;
  struct nc *nc = arg;
  nc->closed = true;
  nc->c = NULL;
}

static const struct zn_tcp_callbacks conn_cbs = {
    .on_connected = on_connected,
    .on_error = on_error,
    .on_closed = on_closed,
};

static void on_accept(struct zn_tcp_conn *l, void *arg) {
  struct nc *nc = arg;
  struct zn_tcp_conn *c;
  if (nc->listener == NULL || zn_tcp_accept(l, &c) != ZN_OK)
    return;
  /* One connection: the listener goes (with anything else in its queue),
   * and later SYNs are answered with a reset. */
  zn_tcp_close(nc->listener);
  nc->listener = NULL;
  struct zn_tcp_info i;
  zn_tcp_get_info(c, &i);
  char ip[ZN_IP_STRLEN];
  fprintf(stderr, PROG ": connection from %s:%u\n",
          zn_ip_format(&i.raddr, ip), (unsigned)i.rport);
  attach(nc, c);
}

static void listener_closed(struct zn_tcp_conn *c, void *arg) {
  (void)c;
  (void)arg;
}

static const struct zn_tcp_callbacks listen_cbs = {
    .on_accept = on_accept,
    .on_closed = listener_closed,
};

/* ---- the loop ---- */

static bool want_stdin(const struct nc *nc) {
  return nc->o->mode == MODE_STREAM && nc->established && !nc->closing &&
         nc->s && !nc->stdin_eof && nc->inlen == 0 &&
         zn_stream_writable(nc->s) > 0;
}

/* Sleep on the TAP (and stdin when it may be read) until deadline, with
 * the stop signals let through only while asleep. */
static int wait_tap(struct nc *nc, uint64_t deadline, const sigset_t *mask) {
  struct pollfd pfd[2];
  nfds_t n = 0;
  pfd[n++] = (struct pollfd){.fd = nc->h->tap.fd, .events = POLLIN};
  int in = -1;
  if (want_stdin(nc)) {
    in = (int)n;
    pfd[n++] = (struct pollfd){.fd = STDIN_FILENO, .events = POLLIN};
  }
  struct timespec ts, *tsp = NULL;
  if (deadline != ZN_TIME_NEVER) {
    uint64_t now = zn_host_now();
    uint64_t d = deadline > now ? deadline - now : 0;
    ts.tv_sec = (time_t)(d / 1000000000u);
    ts.tv_nsec = (long)(d % 1000000000u);
    tsp = &ts;
  }
  int r = ppoll(pfd, n, tsp, mask);
  if (r < 0)
    return errno == EINTR ? 0 : -1;
  if (in >= 0 && (pfd[in].revents & (POLLIN | POLLHUP | POLLERR)))
    nc->stdin_ready = true;
  return 0;
}

static int run(struct nc *nc) {
  struct zn_stack *st = nc->h->st;
  struct zn_netif *nif = nc->h->nif;
  bool tap = nc->h->tap_open;
  sigset_t block, saved;
  sigemptyset(&block);
  sigaddset(&block, SIGINT);
  sigaddset(&block, SIGTERM);
  sigaddset(&block, SIGHUP);
  sigprocmask(SIG_BLOCK, &block, &saved);
  int status = 0;
  nc->last_progress = host_now(nc);
  for (;;) {
    if (zn__app_stop_asked) {
      nc_abort(nc, "interrupted");
      zn_stack_flush(st);
      break;
    }
    uint64_t now = host_now(nc);
    int rc = zn_stack_poll(st, now);
    if (rc < 0 && rc != ZN_EOF) {
      fprintf(stderr, PROG ": interface failed: %s\n", zn_strerror(rc));
      nc_abort(nc, "interface failed");
      status = -1;
      break;
    }
    pump(nc);
    if (nc->closed || (nc->fail && nc->c == NULL && nc->listener == NULL))
      break;
    if (rc == ZN_EOF && !tap) {
      nc_abort(nc, "end of the replayed input");
      break;
    }
    uint64_t idle_end = ZN_TIME_NEVER;
    if (nc->o->idle_ns) {
      idle_end = nc->last_progress + nc->o->idle_ns;
      if (now >= idle_end) {
        nc_abort(nc, "timed out (-w)");
        zn_stack_flush(st);
        break;
      }
    }
    uint64_t deadline = zn_stack_next_deadline(st);
    if (idle_end < deadline)
      deadline = idle_end;
    if (tap) {
      if (wait_tap(nc, deadline, &saved) != 0) {
        fprintf(stderr, PROG ": ppoll: %s\n", strerror(errno));
        status = -1;
        break;
      }
    } else {
      rc = zn_netif_wait(nif, deadline);
      if (rc < 0 && rc != ZN_EOF) {
        status = -1;
        break;
      }
    }
  }
  sigprocmask(SIG_SETMASK, &saved, NULL);
  return status;
}

/* ---- the report ---- */

static void print_rate(const char *what, uint64_t bytes, uint64_t ns) {
  double s = (double)ns / 1e9;
  double mbit = s > 0 ? (double)bytes * 8.0 / s / 1e6 : 0.0;
  fprintf(stderr, PROG ": %s %" PRIu64 " bytes in %.3f s (%.2f Mbit/s)\n",
          what, bytes, s, mbit);
}

static void report(struct nc *nc) {
  uint64_t ns = 0;
  if (nc->established) {
    uint64_t end = nc->transfer_done ? nc->t_end : host_now(nc);
    ns = end > nc->t_start ? end - nc->t_start : 0;
  }
  print_rate("sent", nc->tx, ns);
  print_rate("received", nc->rx, ns);
  if (nc->o->sha256) {
    uint8_t d[EX_SHA256_LEN];
    char hex[EX_SHA256_HEXLEN];
    if (nc->o->mode == MODE_SEND) {
      /* The bytes sent are the pattern, repeated: hashed here, after the
       * clock stopped, not in the sending loop. */
      for (uint64_t off = 0; off < nc->tx; off += PATTERN_LEN) {
        uint64_t left = nc->tx - off;
        ex_sha256_update(&nc->htx, pattern,
                         left < PATTERN_LEN ? (size_t)left : PATTERN_LEN);
      }
    }
    ex_sha256_final(&nc->htx, d);
    ex_sha256_hex(d, hex);
    fprintf(stderr, PROG ": sha256 sent %s\n", hex);
    ex_sha256_final(&nc->hrx, d);
    ex_sha256_hex(d, hex);
    fprintf(stderr, PROG ": sha256 received %s\n", hex);
  }
  if (nc->have_info) {
    const struct zn_tcp_info *i = &nc->info;
    fprintf(stderr,
            PROG ": tcp: mss %" PRIu32 ", srtt %.3f ms, rto %" PRIu32
                 " ms, cwnd %" PRIu32 ", retransmits %" PRIu64
                 " (fast %" PRIu64 ", timeouts %" PRIu64 ")%s%s\n",
            i->mss, i->srtt_us / 1000.0, i->rto_ms, i->cwnd, i->retransmits,
            i->fast_retransmits, i->rto_timeouts, i->sack ? ", sack" : "",
            i->ts ? ", timestamps" : "");
  }
  if (nc->fail)
    fprintf(stderr, PROG ": failed: %s\n", nc->fail);
  else
    fprintf(stderr, PROG ": closed cleanly\n");
}

/* ---- connecting by name ---- */

static void race_failed(struct zn_dns_race *race, void *arg, int err) {
  struct nc *nc = arg;
  (void)race;
  on_error(NULL, nc, err);
}

static void on_addresses(struct zn_dns_resolver *r, void *arg,
                         const struct zn_dns_addrinfo *ai) {
  struct nc *nc = arg;
  char a[ZN_IP_STRLEN];
  (void)r;
  if (ai->status != ZN_OK) {
    fprintf(stderr, PROG ": %s: %s\n", nc->o->name, zn_strerror(ai->status));
    nc_abort(nc, "name not resolved");
    return;
  }
  fprintf(stderr, PROG ": %s:", nc->o->name);
  for (uint32_t i = 0; i < ai->naddr; i++)
    fprintf(stderr, " %s", zn_ip_format(&ai->addrs[i], a));
  fprintf(stderr, "\n");
  struct zn_dns_race_cfg rc = {.addrs = ai->addrs,
                               .naddr = ai->naddr,
                               .port = nc->o->port,
                               .cb = &conn_cbs,
                               .arg = nc,
                               .fail = race_failed};
  /* The stack's clock, which the attempt delay runs on: the host's
   * may be ahead of it by what this loop turn has taken. */
  nc->t_race = zn_stack_now(nc->h->st);
  int rc2 = zn_dns_race_start(nc->h->st, &rc, &nc->race);
  if (rc2 != ZN_OK) {
    fprintf(stderr, PROG ": connect to %s: %s\n", nc->o->name,
            zn_strerror(rc2));
    nc_abort(nc, "no address could be tried");
  }
}

/* Start looking the name up; the race starts from on_addresses.  The
 * resolver's memory is the caller's (freed after the run). */
static int start_by_name(struct nc *nc, void **mem) {
  struct zn_dns_resolver_cfg rc;
  zn_dns_resolver_cfg_default(&rc);
  rc.nservers = nc->o->nservers;
  memcpy(rc.servers, nc->o->servers, sizeof(rc.servers));
  rc.max_queries = 2;
  rc.cache_entries = 0;
  size_t len = zn_dns_resolver_mem_size(&rc);
  *mem = malloc(len);
  if (*mem == NULL)
    return ZN_ENOMEM;
  int rc2 = zn_dns_resolver_init(nc->h->st, &rc, *mem, len, &nc->r);
  if (rc2 == ZN_OK)
    rc2 = zn_dns_resolve_connect(nc->r, nc->o->name, on_addresses, nc,
                                 &nc->lookup);
  return rc2;
}

/* ---- the command line ---- */

static int parse_resolver(void *base, const char *val, const char *prog) {
  struct nc_opts *o = base;
  if (o->nservers >= ZN_DNS_MAX_SERVERS)
    zn__app_usage_error(prog, "at most %d --resolver", ZN_DNS_MAX_SERVERS);
  if (zn__app_parse_dns_server(val, &o->servers[o->nservers]) != 0)
    return -1;
  o->nservers++;
  return 0;
}

static int parse_send(void *base, const char *val, const char *prog) {
  struct nc_opts *o = base;
  if (zn__app_parse_size(val, MAX_SEND_BYTES, &o->send_bytes) != 0)
    return -1;
  if (o->mode == MODE_SINK)
    zn__app_usage_error(prog, "--send and --sink exclude each other");
  o->mode = MODE_SEND;
  return 0;
}

static int parse_sink(void *base, const char *val, const char *prog) {
  struct nc_opts *o = base;
  (void)val;
  if (o->mode == MODE_SEND)
    zn__app_usage_error(prog, "--send and --sink exclude each other");
  o->mode = MODE_SINK;
  return 0;
}

#define OFF(field) offsetof(struct nc_opts, field)

static const struct zn__app_opt nc_flags[] = {
    {"listen", 'l', ZN__APP_FLAG, OFF(listen),
     .help = "accept one connection on ADDR:PORT instead"},
    {"send", 0, ZN__APP_FN, .fn = parse_send, .arg = "BYTES",
     .want = "bytes; K, M, G allowed",
     .help = "send BYTES of a fixed pattern (zero copy; K, M, G)\ninstead "
             "of stdin, then close"},
    {"sink", 0, ZN__APP_FN, .fn = parse_sink,
     .help = "read and drop everything (zero copy)"},
    {"sha256", 0, ZN__APP_FLAG, OFF(sha256),
     .help = "print the SHA-256 of the bytes sent and received"},
    {"idle-timeout", 'w', ZN__APP_SECONDS, OFF(idle_ns), 1, ZN_SEC(86400),
     .arg = "SECONDS", .want = "seconds > 0",
     .help = "give up (exit 1) after this long without progress"},
    {"resolver", 0, ZN__APP_FN, .fn = parse_resolver, .arg = "ADDR[:PORT]",
     .want = "an IPv4 or IPv6 address, [ADDR]:PORT for IPv6 with a port",
     .help = "DNS server for a NAME (repeatable; default: the ones\nrouter "
             "advertisements name)"},
    {"verbose", 'v', ZN__APP_FLAG, OFF(verbose),
     .help = "the stack's counters at exit"},
    {"sha256-stdin", 0, ZN__APP_FLAG, OFF(sha256_stdin),
     .help = "only print the SHA-256 of stdin (no network)"},
    {"tls", 0, ZN__APP_FLAG, OFF(tls),
     .help =
         "TLS 1.3 or 1.2 client: the server's certificate must be\nfrom a CA "
         "of --ca and name --tls-name"},
    {"tls-name", 0, ZN__APP_STR, OFF(tls_name), .arg = "NAME",
     .help = "the name the server's certificate must bear\n(default: the "
             "NAME connected to)"},
    {"ca", 0, ZN__APP_STR, OFF(ca), .arg = "BUNDLE.pem",
     .help = "the CA certificates to trust (PEM)"},
    {"repeat", 0, ZN__APP_U32, OFF(repeat), 1, 1000, .arg = "N",
     .want = "1..1000",
     .help = "connect N times in a row to ADDR (--send or --sink),\neach "
             "after the last closed cleanly (--tls: they resume)"},
    {.name = NULL},
};

#undef OFF

/* --repeat: connection n to ADDR:PORT, once the last has closed cleanly
 * (the host, the options and the TLS configuration kept). */
static int again(struct nc *nc, uint32_t n) {
  struct zn__app_host *h = nc->h;
  const struct nc_opts *o = nc->o;
  struct ex_tls *tls = nc->tls;
  memset(nc, 0, sizeof(*nc));
  nc->h = h;
  nc->o = o;
  nc->tls = tls;
  ex_sha256_init(&nc->hrx);
  ex_sha256_init(&nc->htx);
  fprintf(stderr, PROG ": connection %" PRIu32 " of %" PRIu32 "\n", n,
          o->repeat);
  int rc = zn_tcp_connect(h->st, &o->addr, o->port, &conn_cbs, nc, &nc->c);
  if (rc != ZN_OK) {
    fprintf(stderr, PROG ": connect: %s\n", zn_strerror(rc));
    return ZN__APP_EXIT_FAIL;
  }
  int status = run(nc) != 0 ? ZN__APP_EXIT_FAIL : 0;
  report(nc);
  return nc->fail ? ZN__APP_EXIT_FAIL : status;
}

static int hash_stdin(void) {
  struct ex_sha256 s;
  ex_sha256_init(&s);
  static uint8_t buf[1 << 16];
  for (;;) {
    ssize_t r = read(STDIN_FILENO, buf, sizeof(buf));
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0) {
      fprintf(stderr, PROG ": stdin: %s\n", strerror(errno));
      return ZN__APP_EXIT_FAIL;
    }
    if (r == 0)
      break;
    ex_sha256_update(&s, buf, (size_t)r);
  }
  uint8_t d[EX_SHA256_LEN];
  char hex[EX_SHA256_HEXLEN];
  ex_sha256_final(&s, d);
  ex_sha256_hex(d, hex);
  printf("%s  -\n", hex);
  return 0;
}

int main(int argc, char **argv) {
  static struct zn__app_host h;
  static struct nc nc;
  static struct nc_opts o;
  static const struct zn__app_prog prog = {
      .name = PROG,
      .synopsis = "[--listen] ADDR PORT [--send BYTES | --sink] [--sha256] "
                  "[-w SECONDS]\n"
                  "       --netif tap:NAME ADDRESS [OPTIONS]",
      .summary =
          "A netcat on znet's TCP: one connection, to ADDR:PORT or (with "
          "--listen)\naccepted on ADDR:PORT; stdin to it and it to stdout, "
          "or --send / --sink.\nPrints bytes, time and Mbit/s to stderr; "
          "exits 0 on a clean close, 1 otherwise.",
      .opts = nc_flags,
      .arg = &o,
      .netif_optional = true,
  };

  zn__app_opts_default(&h.o);
  int first = zn__app_parse(&h.o, argc, argv, &prog);
  if (o.sha256_stdin) {
    if (first < argc)
      zn__app_usage_error(PROG, "unexpected argument '%s'", argv[first]);
    return hash_stdin();
  }
  if (h.o.netif == ZN__APP_NETIF_NONE)
    zn__app_usage_error(PROG, "no --netif given");
  if (argc - first != 2)
    zn__app_usage_error(PROG, "want ADDR PORT (got %d arguments)",
                        argc - first);
  if (zn_ip_parse(argv[first], &o.addr) != ZN_OK) {
    if (o.listen)
      zn__app_usage_error(PROG, "bad address '%s'", argv[first]);
    o.name = argv[first]; /* checked by the resolver */
  }
  uint32_t port;
  if (zn__app_parse_u32(argv[first + 1], 1, 65535, &port) != 0)
    zn__app_usage_error(PROG, "bad port '%s' (want 1..65535)", argv[first + 1]);
  o.port = (uint16_t)port;
  if (!o.listen && !o.name && zn_ip_is_unspecified(&o.addr))
    zn__app_usage_error(PROG, "cannot connect to %s", argv[first]);
  zn__app_require_address(&h.o, PROG);
  if (o.mode == MODE_STREAM && h.o.netif != ZN__APP_NETIF_TAP)
    zn__app_usage_error(PROG, "reading stdin needs a TAP netif (or use --send "
                              "or --sink)");
  if (o.repeat > 1 && (o.listen || o.name || o.mode == MODE_STREAM))
    zn__app_usage_error(PROG,
                        "--repeat connects to an ADDR with --send or --sink");
  if ((o.tls_name || o.ca) && !o.tls)
    zn__app_usage_error(PROG, "--tls-name and --ca go with --tls");
  if (o.tls) {
    if (o.listen)
      zn__app_usage_error(PROG, "--tls connects only (znet-echo --tls-port "
                                "serves TLS)");
    if (o.tls_name == NULL)
      o.tls_name = o.name;
    if (o.tls_name == NULL)
      zn__app_usage_error(PROG, "--tls to an address needs --tls-name");
    if (o.ca == NULL)
      zn__app_usage_error(PROG, "--tls needs --ca");
  }

  pattern_init();
  (void)signal(SIGPIPE, SIG_IGN); /* cannot fail: a valid signal */
  nc.h = &h;
  nc.o = &o;
  ex_sha256_init(&nc.hrx);
  ex_sha256_init(&nc.htx);
  if (o.mode == MODE_STREAM) {
    nc.inbuf = malloc(STDIN_CHUNK);
    if (nc.inbuf == NULL) {
      fprintf(stderr, PROG ": out of memory\n");
      return ZN__APP_EXIT_FAIL;
    }
  }
  if (o.tls) {
    nc.tls = ex_tls_client_new(o.ca, PROG);
    if (nc.tls == NULL) {
      free(nc.inbuf);
      return ZN__APP_EXIT_FAIL;
    }
  }
  if (zn__app_open(&h, PROG) != 0) {
    free(nc.inbuf);
    ex_tls_free(nc.tls);
    return ZN__APP_EXIT_FAIL;
  }
  /* The stack's clock starts at the first poll; timers armed before it
   * would count from 0. */
  zn_stack_poll(h.st, host_now(&nc));

  char ip[ZN_IPV4_STRLEN + 8], peer[ZN_IP_STRLEN], where[4300];
  zn__app_describe_netif(&h, where, sizeof(where));
  int rc;
  void *rmem = NULL;
  if (!o.listen) {
    zn__app_ipv6_wait_ready(&h,
                            ZN_SEC(5)); /* a source address to connect from */
    /* With --dhcp, an IPv4 address (RFC 2131's start delay and RFC
     * 5227's probing take up to about 20 s). */
    if (h.o.dhcp && !zn__app_dhcp4_wait_bound(&h, ZN_SEC(60)))
      fprintf(stderr, PROG ": no DHCP lease within 60 s\n");
  }
  if (o.name) {
    rc = start_by_name(&nc, &rmem);
    if (rc == ZN_OK)
      fprintf(stderr, PROG ": %s on %s: looking up %s (AAAA and A)\n",
              zn__app_ipv4_text(&h.o, ip, sizeof(ip)), where, o.name);
  } else if (o.listen) {
    rc = zn_tcp_listen(h.st, &o.addr, o.port, 1, &listen_cbs, &nc,
                       &nc.listener);
    if (rc == ZN_OK)
      fprintf(stderr, PROG ": %s on %s: listening on %s:%u\n",
              zn__app_ipv4_text(&h.o, ip, sizeof(ip)), where,
              zn_ip_format(&o.addr, peer), (unsigned)o.port);
  } else {
    rc = zn_tcp_connect(h.st, &o.addr, o.port, &conn_cbs, &nc, &nc.c);
    if (rc == ZN_OK)
      fprintf(stderr, PROG ": %s on %s: connecting to %s:%u\n",
              zn__app_ipv4_text(&h.o, ip, sizeof(ip)), where,
              zn_ip_format(&o.addr, peer), (unsigned)o.port);
  }
  int status = 0;
  if (rc != ZN_OK) {
    fprintf(stderr, PROG ": %s %s: %s%s\n", o.listen ? "listen on" : "connect to",
            argv[first], zn_strerror(rc),
            rc == ZN_EADDRNOTAVAIL && o.addr.family == ZN_AF_INET6
                ? " (no IPv6 address on this stack)"
                : "");
    status = ZN__APP_EXIT_FAIL;
  } else {
    if (run(&nc) != 0)
      status = ZN__APP_EXIT_FAIL;
    report(&nc);
    if (nc.fail)
      status = ZN__APP_EXIT_FAIL;
    for (uint32_t i = 1; status == 0 && i < o.repeat; i++)
      status = again(&nc, i + 1);
  }
  if (nc.listener)
    zn_tcp_close(nc.listener);
  if (nc.r) {
    zn_dns_lookup_cancel(&nc.lookup);
    zn_dns_race_cancel(&nc.race);
    zn_dns_resolver_destroy(nc.r);
  }
  if (o.verbose) {
    zn__app_print_stats(stderr, h.st, PROG);
    zn__app_print_netif_stats(stderr, &h);
    ex_tls_print_stats(stderr, nc.tls, "tls");
  }
  zn__app_close(&h, PROG);
  if (nc.s && nc.tls)
    ex_tls_end(nc.s); /* aborted above, no poll since */
  ex_tls_free(nc.tls);
  free(rmem);
  free(nc.inbuf);
  return status;
}
