/*
 * znet-echo: an echo host on a TAP device (or a replayed capture).
 *
 * It answers ARP and ping (the stack does both by itself), echoes UDP
 * datagrams and TCP streams (RFC 862) on port 7, or the port --port
 * names, and discards (RFC 863) UDP datagrams and TCP streams on port 9
 * (--discard-port).  The services live in the table below: each has a
 * start function that opens its socket on the stack and a stop function
 * that closes it, and needs nothing else from main().
 *
 *     znet-echo --netif tap:zntap0 --ipv4 10.0.0.2/24 [--port 7]
 *
 * --ping ADDR also pings ADDR (IPv4 or IPv6) once a second and prints
 * each reply: the stack's own echo requests, resolution (ARP or ND) and
 * all.
 *
 * The UDP echo copies nothing: the datagram's own frame buffer is kept
 * (zn_udp_dgram_keep) and handed back to zn_udp_sendto_buf, which pushes
 * the new headers into the headroom the received ones were pulled from.
 *
 * The TCP echo serves any number of clients at once (the stack's table,
 * --tcp-conns, is the bound).  It reads nothing into a buffer of its own:
 * zn_tcp_peek shows the received bytes in the frame buffers they came in,
 * zn_tcp_write copies them once into the send buffer, and zn_tcp_consume
 * then lets go of exactly what the send buffer took.  When the send
 * buffer is full the echo stops consuming, so the receive window closes
 * and the client is slowed to the pace it reads its echo at; on_writable
 * starts it again.  When the client closes its side (and everything
 * before the FIN is echoed) the echo closes its own.  The TCP discard
 * consumes what it is shown (peek/consume, no copy at all) and closes
 * when the client does: a sink to stream load into.
 *
 * --tls-port N adds a TLS echo (libznet-tls, TLS 1.3 and 1.2) on port N, with the
 * certificate chain and key of --cert and --key (PEM files), or, without
 * them, the ones the build compiled in (-Dtls_cert, -Dtls_key).  It is the
 * echo again, written once against struct zn_stream: peek, write,
 * consume, as the TCP echo does.  Each session's memory (zn_tls_conn_size)
 * is malloc'd at accept and freed at on_closed; the TLS counters (tls.*,
 * every failure by reason) are printed at exit.
 *
 * Runs until SIGINT or SIGTERM (or the end of a replayed capture), then
 * prints each service's counters and the stack's counters to stderr.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app_int.h"
#include "common_tls.h"

#define PROG "znet-echo"
#define DEFAULT_PORT 7
#define DEFAULT_DISCARD_PORT 9
/* Listen backlog: connections waiting for the handshake to finish or to
 * be accepted (every poll accepts all that are ready); beyond it the
 * stack answers with SYN cookies. */
#define TCP_BACKLOG 128


struct echo_opts {
  uint16_t port;
  uint16_t discard_port; /* 0: no discard service */
  struct zn_ip ping;     /* --ping: whom to ping; no address: none */
  uint16_t tls_port;     /* --tls-port: 0: no TLS echo */
  const char *cert;      /* --cert, --key: PEM files (NULL: built in) */
  const char *key;
};

static struct echo_opts eopts = {.port = DEFAULT_PORT,
                                 .discard_port = DEFAULT_DISCARD_PORT};

/* What the UDP echo did; printed at exit. */
struct udp_echo {
  struct zn_udp_sock *sock;
  uint64_t echoed, bytes, ignored, send_errors;
};

static struct udp_echo udp_echo;

/* What the UDP discard did. */
struct udp_discard {
  struct zn_udp_sock *sock;
  uint64_t datagrams, bytes;
};

static struct udp_discard udp_discard;

/* A TCP service: echo or discard.  Each accepted connection gets a
 * struct tcp_client (malloc'd here, in the application) on the service's
 * list, freed by on_closed. */
struct tcp_client;

struct tcp_service {
  const char *name; /* "tcp_echo", "tcp_discard": counter prefix */
  bool echo;
  struct zn_tcp_conn *listener;
  struct tcp_client *clients; /* live connections */
  uint64_t active, max_active, aborted_at_exit;
  uint64_t accepted, closed, errors, refused;
  uint64_t bytes_in, bytes_out, stalls;
};

struct tcp_client {
  struct tcp_service *svc;
  struct zn_tcp_conn *c;
  struct tcp_client *prev, *next;
  bool closing; /* zn_tcp_close called: waiting for on_closed */
};

static struct tcp_service tcp_echo = {.name = "tcp_echo", .echo = true};
static struct tcp_service tcp_discard = {.name = "tcp_discard"};

/* One service the echo host offers.  start() runs after the stack is
 * attached; it returns ZN_OK or an error (the program then exits 1).
 * stop() runs before the stack is destroyed and must release everything
 * start() took, so the buffer-leak check at exit stays meaningful. */
struct echo_service {
  const char *name;
  int (*start)(struct zn_stack *st);
  void (*stop)(struct zn_stack *st);
};

/* The stack answers echo requests itself (cfg.icmp_echo, on by default);
 * nothing to open. */
static int icmp_echo_start(struct zn_stack *st) {
  (void)st;
  return ZN_OK;
}

static void icmp_echo_stop(struct zn_stack *st) { (void)st; }

/* Source ports of the classic UDP services that answer anything (echo,
 * daytime, quote, chargen, time): echoing to them would start an endless
 * ping-pong, so their datagrams are ignored, as inetd's check_loop does. */
static bool looping_port(uint16_t port) {
  return port == 0 || port == 7 || port == 13 || port == 17 || port == 19 ||
         port == 37;
}

static void udp_echo_recv(struct zn_udp_sock *s, void *arg,
                          const struct zn_udp_dgram *d) {
  struct udp_echo *e = arg;
  /* Never answer a broadcast: one datagram would draw a reply from every
   * echo host on the link. */
  if (d->bcast || looping_port(d->sport)) {
    e->ignored++;
    return;
  }
  /* The payload stays where it arrived; sendto_buf consumes the new
   * reference, the stack drops its own after this callback. */
  struct zn_buf *b = zn_udp_dgram_keep(d);
  size_t len = d->len;
  int rc = zn_udp_sendto_buf(s, &d->src, d->sport, b);
  if (rc != ZN_OK) {
    e->send_errors++;
    return;
  }
  e->echoed++;
  e->bytes += len;
}

static int udp_echo_start(struct zn_stack *st) {
  int rc = zn_udp_open(st, &udp_echo.sock);
  if (rc != ZN_OK)
    return rc;
  rc = zn_udp_bind(udp_echo.sock, NULL, eopts.port);
  if (rc != ZN_OK) {
    zn_udp_close(udp_echo.sock);
    udp_echo.sock = NULL;
    return rc;
  }
  zn_udp_set_recv_cb(udp_echo.sock, udp_echo_recv, &udp_echo);
  return ZN_OK;
}

static void udp_echo_stop(struct zn_stack *st) {
  (void)st;
  zn_udp_close(udp_echo.sock);
  udp_echo.sock = NULL;
}

/* ---- UDP discard (RFC 863) ---- */

static void udp_discard_recv(struct zn_udp_sock *s, void *arg,
                             const struct zn_udp_dgram *d) {
  (void)s;
  struct udp_discard *u = arg;
  u->datagrams++;
  u->bytes += d->len;
}

static int udp_discard_start(struct zn_stack *st) {
  if (eopts.discard_port == 0)
    return ZN_OK;
  int rc = zn_udp_open(st, &udp_discard.sock);
  if (rc != ZN_OK)
    return rc;
  rc = zn_udp_bind(udp_discard.sock, NULL, eopts.discard_port);
  if (rc != ZN_OK) {
    zn_udp_close(udp_discard.sock);
    udp_discard.sock = NULL;
    return rc;
  }
  zn_udp_set_recv_cb(udp_discard.sock, udp_discard_recv, &udp_discard);
  return ZN_OK;
}

static void udp_discard_stop(struct zn_stack *st) {
  (void)st;
  zn_udp_close(udp_discard.sock);
  udp_discard.sock = NULL;
}

/* ---- TCP echo and discard ---- */

static void client_close(struct tcp_client *cl) {
  if (!cl->closing) {
    cl->closing = true;
    zn_tcp_close(cl->c);
  }
}

/* Move what the client sent: echo it (as much as the send buffer takes)
 * or drop it, straight from the frame buffers.  Stops when nothing is
 * left, when the send buffer is full (on_writable calls again), or at the
 * end of the stream, where it closes our side. */
static void client_pump(struct tcp_client *cl) {
  struct tcp_service *svc = cl->svc;
  while (!cl->closing) {
    const uint8_t *p;
    long n = zn_tcp_peek(cl->c, &p);
    if (n == ZN_EAGAIN)
      return;
    if (n == 0) {
      /* The client's FIN, everything before it handled: our FIN goes
       * after the echo still queued. */
      client_close(cl);
      return;
    }
    if (n < 0) {
      /* Reset or timed out; on_error says so too. */
      client_close(cl);
      return;
    }
    size_t take = (size_t)n;
    if (svc->echo) {
      long w = zn_tcp_write(cl->c, p, (size_t)n);
      if (w == ZN_EAGAIN) {
        svc->stalls++;
        return;
      }
      if (w < 0) {
        client_close(cl);
        return;
      }
      take = (size_t)w;
      svc->bytes_out += take;
    }
    svc->bytes_in += take;
    (void)zn_tcp_consume(cl->c, take); /* take <= what peek showed */
    if (take < (size_t)n) {
      svc->stalls++;
      return; /* the send buffer is full: on_writable resumes */
    }
  }
}

static void client_readable(struct zn_tcp_conn *c, void *arg) {
  (void)c;
  client_pump(arg);
}

static void client_writable(struct zn_tcp_conn *c, void *arg) {
  (void)c;
  client_pump(arg);
}

static void client_error(struct zn_tcp_conn *c, void *arg, int err) {
  (void)c;
  (void)err;
  struct tcp_client *cl = arg;
  cl->svc->errors++;
  client_close(cl);
}

static void client_closed(struct zn_tcp_conn *c, void *arg) {
  (void)c;
  struct tcp_client *cl = arg;
  struct tcp_service *svc = cl->svc;
  if (cl->prev)
    cl->prev->next = cl->next;
  else
    svc->clients = cl->next;
  if (cl->next)
    cl->next->prev = cl->prev;
  svc->active--;
  svc->closed++;
  free(cl);
}

static const struct zn_tcp_callbacks client_cbs = {
    .on_readable = client_readable,
    .on_writable = client_writable,
    .on_error = client_error,
    .on_closed = client_closed,
};

static void service_accept(struct zn_tcp_conn *l, void *arg) {
  struct tcp_service *svc = arg;
  struct zn_tcp_conn *c;
  while (zn_tcp_accept(l, &c) == ZN_OK) {
    struct tcp_client *cl = calloc(1, sizeof(*cl));
    if (cl == NULL) {
      svc->refused++;
      zn_tcp_abort(c); /* ours now, without callbacks: no on_closed use */
      continue;
    }
    cl->svc = svc;
    cl->c = c;
    cl->next = svc->clients;
    if (svc->clients)
      svc->clients->prev = cl;
    svc->clients = cl;
    svc->accepted++;
    if (++svc->active > svc->max_active)
      svc->max_active = svc->active;
    zn_tcp_set_callbacks(c, &client_cbs, cl);
    client_pump(cl); /* data may have come with the handshake */
  }
}

/* The listener's on_closed: nothing to free (the service is static). */
static void listener_closed(struct zn_tcp_conn *c, void *arg) {
  (void)c;
  (void)arg;
}

static const struct zn_tcp_callbacks listener_cbs = {
    .on_accept = service_accept,
    .on_closed = listener_closed,
};

static int service_start(struct tcp_service *svc, struct zn_stack *st,
                         uint16_t port) {
  return zn_tcp_listen(st, NULL, port, TCP_BACKLOG, &listener_cbs, svc,
                       &svc->listener);
}

/* At exit: reset every live connection (the peers learn at once; counted
 * as active_at_exit), let the resets go out, and free our side.  No poll follows, so no on_closed
 * runs; the stack's memory goes with zn_stack_destroy. */
static void service_stop(struct tcp_service *svc, struct zn_stack *st) {
  uint32_t by_state[ZN_TCP_NSTATES] = {0};
  for (struct tcp_client *cl = svc->clients; cl; cl = cl->next) {
    struct zn_tcp_info info;
    zn_tcp_get_info(cl->c, &info);
    if ((unsigned)info.state < ZN_TCP_NSTATES)
      by_state[info.state]++;
  }
  if (svc->clients) {
    fprintf(stderr, PROG ": %s: resetting at exit:", svc->name);
    for (int i = 0; i < ZN_TCP_NSTATES; i++)
      if (by_state[i])
        fprintf(stderr, " %s %" PRIu32, zn_tcp_state_name(i), by_state[i]);
    fprintf(stderr, "\n");
  }
  while (svc->clients) {
    struct tcp_client *cl = svc->clients;
    svc->clients = cl->next;
    if (!cl->closing)
      zn_tcp_abort(cl->c);
    svc->active--;
    svc->aborted_at_exit++;
    free(cl);
  }
  if (svc->listener)
    zn_tcp_close(svc->listener);
  svc->listener = NULL;
  zn_stack_flush(st);
}

static int tcp_echo_start(struct zn_stack *st) {
  return service_start(&tcp_echo, st, eopts.port);
}

static void tcp_echo_stop(struct zn_stack *st) { service_stop(&tcp_echo, st); }

static int tcp_discard_start(struct zn_stack *st) {
  if (eopts.discard_port == 0)
    return ZN_OK;
  return service_start(&tcp_discard, st, eopts.discard_port);
}

static void tcp_discard_stop(struct zn_stack *st) {
  service_stop(&tcp_discard, st);
}

/* ---- TLS echo (--tls-port) ---- */

struct tls_client;

struct tls_service {
  struct ex_tls *tls;
  struct zn_tcp_conn *listener;
  struct tls_client *clients;
  uint64_t active, max_active, aborted_at_exit;
  uint64_t accepted, closed, errors, refused, opened;
  uint64_t bytes_in, bytes_out, stalls;
};

struct tls_client {
  struct zn_stream *s;
  struct tls_client *prev, *next;
  bool closing;
};

static struct tls_service tls_echo;

static void tls_client_close(struct tls_client *cl) {
  if (!cl->closing) {
    cl->closing = true;
    zn_stream_close(cl->s);
  }
}

/* The TCP echo's pump over a stream: what the client sent goes back as
 * the session takes it; the end of the stream closes ours. */
static void tls_client_pump(struct tls_client *cl) {
  while (!cl->closing) {
    const uint8_t *p;
    long n = zn_stream_peek(cl->s, &p);
    if (n == ZN_EAGAIN || n == ZN_ENOTCONN)
      return; /* nothing yet, or the handshake is still going */
    if (n <= 0) {
      tls_client_close(cl); /* the end (0), or a failure on_error told */
      return;
    }
    long w = zn_stream_write(cl->s, p, (size_t)n);
    if (w == ZN_EAGAIN) {
      tls_echo.stalls++;
      return; /* on_writable resumes */
    }
    if (w < 0) {
      tls_client_close(cl);
      return;
    }
    tls_echo.bytes_in += (uint64_t)w;
    tls_echo.bytes_out += (uint64_t)w;
    (void)zn_stream_consume(cl->s, (size_t)w); /* w <= n */
  }
}

static void tls_client_open(struct zn_stream *s, void *arg) {
  (void)s;
  tls_echo.opened++;
  tls_client_pump(arg);
}

static void tls_client_event(struct zn_stream *s, void *arg) {
  (void)s;
  tls_client_pump(arg);
}

static void tls_client_error(struct zn_stream *s, void *arg, int err) {
  (void)s;
  (void)err;
  tls_echo.errors++;
  tls_client_close(arg);
}

static void tls_client_closed(struct zn_stream *s, void *arg) {
  struct tls_client *cl = arg;
  if (cl->prev)
    cl->prev->next = cl->next;
  else
    tls_echo.clients = cl->next;
  if (cl->next)
    cl->next->prev = cl->prev;
  tls_echo.active--;
  tls_echo.closed++;
  ex_tls_end(s);
  free(cl);
}

static const struct zn_stream_callbacks tls_client_cbs = {
    .on_open = tls_client_open,
    .on_readable = tls_client_event,
    .on_writable = tls_client_event,
    .on_error = tls_client_error,
    .on_closed = tls_client_closed,
};

static void tls_accept(struct zn_tcp_conn *l, void *arg) {
  struct zn_stack *st = arg;
  struct zn_tcp_conn *c;
  while (zn_tcp_accept(l, &c) == ZN_OK) {
    struct tls_client *cl = calloc(1, sizeof(*cl));
    if (cl == NULL ||
        ex_tls_start(tls_echo.tls, st, c, NULL, &tls_client_cbs, cl,
                     &cl->s) != ZN_OK) {
      free(cl);
      tls_echo.refused++;
      zn_tcp_abort(c);
      continue;
    }
    cl->next = tls_echo.clients;
    if (tls_echo.clients)
      tls_echo.clients->prev = cl;
    tls_echo.clients = cl;
    tls_echo.accepted++;
    if (++tls_echo.active > tls_echo.max_active)
      tls_echo.max_active = tls_echo.active;
  }
}

static const struct zn_tcp_callbacks tls_listener_cbs = {
    .on_accept = tls_accept,
    .on_closed = listener_closed,
};

static int tls_echo_start(struct zn_stack *st) {
  if (eopts.tls_port == 0)
    return ZN_OK;
  tls_echo.tls = ex_tls_server_new(eopts.cert, eopts.key, PROG);
  if (tls_echo.tls == NULL)
    return ZN_EINVAL;
  return zn_tcp_listen(st, NULL, eopts.tls_port, TCP_BACKLOG,
                       &tls_listener_cbs, st, &tls_echo.listener);
}

/* At exit: every live session reset (its memory freed here: no poll
 * follows, so no on_closed). */
static void tls_echo_stop(struct zn_stack *st) {
  while (tls_echo.clients) {
    struct tls_client *cl = tls_echo.clients;
    tls_echo.clients = cl->next;
    zn_stream_abort(cl->s);
    ex_tls_end(cl->s);
    free(cl);
    tls_echo.active--;
    tls_echo.aborted_at_exit++;
  }
  if (tls_echo.listener)
    zn_tcp_close(tls_echo.listener);
  tls_echo.listener = NULL;
  zn_stack_flush(st);
}

/* --ping ADDR: an echo request (IPv4 or ICMPv6, by the address) every
 * second from a stack timer (so the loop wakes for it: it is one of the
 * stack's deadlines), each reply printed as it comes, the counts at
 * exit.  A request the stack refuses (no address yet: DAD
 * still running, no route) is counted and tried again a second later. */
#define PING_ID 0x7a6e
#define PING_EVERY ZN_SEC(1)

static struct pinger {
  struct zn_timer timer;
  uint64_t sent_at[64];
  uint16_t seq;
  uint64_t sent, received, errors;
} ping;

static void ping_reply(uint16_t id, uint16_t seq, const struct zn_ip *from,
                       unsigned hlim, uint64_t now) {
  if (id != PING_ID)
    return;
  char ip[ZN_IP_STRLEN];
  ping.received++;
  uint64_t us = (now - ping.sent_at[seq % 64]) / 1000u;
  printf(PROG ": ping reply from %s seq %u hlim %u time %lu.%03lu ms\n",
         zn_ip_format(from, ip), (unsigned)seq, hlim,
         (unsigned long)(us / 1000u), (unsigned long)(us % 1000u));
  (void)fflush(stdout);
}

static void on_ping4(struct zn_stack *st, void *arg,
                     const struct zn_icmp_echo *r) {
  (void)arg;
  struct zn_ip from = zn_ip_from_v4(r->from);
  ping_reply(r->id, r->seq, &from, r->ttl, zn_stack_now(st));
}

static void on_ping6(struct zn_stack *st, void *arg,
                     const struct zn_icmp6_echo *r) {
  (void)arg;
  ping_reply(r->id, r->seq, &r->from, r->hlim, zn_stack_now(st));
}

static void ping_fire(struct zn_stack *st, struct zn_timer *t) {
  zn_timer_start_in(st, t, PING_EVERY);
  uint64_t now = zn_stack_now(st);
  static const char data[56] = "znet-echo --ping";
  ping.sent_at[ping.seq % 64] = now;
  int rc = eopts.ping.family == ZN_AF_INET6
               ? zn_icmp6_echo_send(st, &eopts.ping, PING_ID, ping.seq, data,
                                    sizeof(data))
               : zn_icmp_echo_send(st, zn_ip_v4(&eopts.ping), PING_ID,
                                   ping.seq, data, sizeof(data));
  if (rc != ZN_OK) {
    ping.errors++;
    return;
  }
  ping.seq++;
  ping.sent++;
}

static void ping_start(struct zn_stack *st) {
  zn_icmp_set_echo_reply_cb(st, on_ping4, NULL);
  zn_icmp6_set_echo_reply_cb(st, on_ping6, NULL);
  zn_timer_init(&ping.timer, ping_fire);
  if (eopts.ping.family != ZN_AF_NONE)
    zn_timer_start_in(st, &ping.timer, 0); /* the first at once */
}

static void ping_stop(struct zn_stack *st) {
  zn_timer_stop(st, &ping.timer);
  zn_icmp_set_echo_reply_cb(st, NULL, NULL);
  zn_icmp6_set_echo_reply_cb(st, NULL, NULL);
}

static const struct echo_service services[] = {
    {"icmp-echo", icmp_echo_start, icmp_echo_stop},
    {"udp-echo", udp_echo_start, udp_echo_stop},
    {"tcp-echo", tcp_echo_start, tcp_echo_stop},
    {"udp-discard", udp_discard_start, udp_discard_stop},
    {"tcp-discard", tcp_discard_start, tcp_discard_stop},
    {"tls-echo", tls_echo_start, tls_echo_stop},
};

#define N_SERVICES (sizeof(services) / sizeof(services[0]))

static int start_services(struct zn_stack *st, size_t *started) {
  for (*started = 0; *started < N_SERVICES; (*started)++) {
    const struct echo_service *s = &services[*started];
    int rc = s->start(st);
    if (rc != ZN_OK) {
      fprintf(stderr, PROG ": cannot start %s: %s\n", s->name,
              zn_strerror(rc));
      return -1;
    }
  }
  return 0;
}

static void stop_services(struct zn_stack *st, size_t started) {
  while (started > 0)
    services[--started].stop(st);
}

static void print_banner(struct zn__app_host *h) {
  zn__app_print_banner(h);
  printf(PROG ": serving");
  for (size_t i = 0; i < N_SERVICES; i++)
    printf(" %s", services[i].name);
  printf("; stop with Ctrl-C\n");
  printf(PROG ": echoing UDP on port %u\n", (unsigned)eopts.port);
  printf(PROG ": echoing TCP on port %u (up to %" PRIu32 " connections)\n",
         (unsigned)eopts.port, h->cfg.tcp_conns);
  if (eopts.discard_port)
    printf(PROG ": discarding UDP and TCP on port %u\n",
           (unsigned)eopts.discard_port);
  if (eopts.ping.family != ZN_AF_NONE) {
    char to[ZN_IP_STRLEN];
    printf(PROG ": pinging %s every second\n", zn_ip_format(&eopts.ping, to));
  }
  if (eopts.tls_port)
    printf(PROG ": echoing TLS on port %u (%zu bytes per session, %s)\n",
           (unsigned)eopts.tls_port, ex_tls_conn_size(tls_echo.tls),
           eopts.cert ? eopts.cert : "built-in certificate");
  (void)fflush(stdout);
}

static void print_u64(FILE *fp, const char *prefix, const char *name,
                      uint64_t v) {
  char key[64];
  (void)snprintf(key, sizeof(key), "%s.%s", prefix, name); /* a label */
  fprintf(fp, "  %-26s %10" PRIu64 "\n", key, v);
}

static void print_tcp_stats(FILE *fp, const struct tcp_service *svc,
                            uint16_t port) {
  fprintf(fp, PROG ": %s on TCP port %u:\n", svc->echo ? "echo" : "discard",
          (unsigned)port);
  print_u64(fp, svc->name, "accepted", svc->accepted);
  print_u64(fp, svc->name, "closed", svc->closed);
  print_u64(fp, svc->name, "active_at_exit", svc->aborted_at_exit);
  print_u64(fp, svc->name, "max_active", svc->max_active);
  print_u64(fp, svc->name, "errors", svc->errors);
  print_u64(fp, svc->name, "refused", svc->refused);
  print_u64(fp, svc->name, "bytes_in", svc->bytes_in);
  if (svc->echo) {
    print_u64(fp, svc->name, "bytes_out", svc->bytes_out);
    print_u64(fp, svc->name, "stalls", svc->stalls);
  }
}

static void print_echo_stats(FILE *fp) {
  fprintf(fp, PROG ": echo on UDP port %u:\n", (unsigned)eopts.port);
  fprintf(fp, "  %-26s %10" PRIu64 "\n", "udp_echo.echoed", udp_echo.echoed);
  fprintf(fp, "  %-26s %10" PRIu64 "\n", "udp_echo.bytes", udp_echo.bytes);
  fprintf(fp, "  %-26s %10" PRIu64 "\n", "udp_echo.ignored", udp_echo.ignored);
  fprintf(fp, "  %-26s %10" PRIu64 "\n", "udp_echo.send_errors",
          udp_echo.send_errors);
  print_tcp_stats(fp, &tcp_echo, eopts.port);
  if (eopts.tls_port) {
    fprintf(fp, PROG ": echo on TLS port %u:\n", (unsigned)eopts.tls_port);
    print_u64(fp, "tls_echo", "accepted", tls_echo.accepted);
    print_u64(fp, "tls_echo", "opened", tls_echo.opened);
    print_u64(fp, "tls_echo", "closed", tls_echo.closed);
    print_u64(fp, "tls_echo", "active_at_exit", tls_echo.aborted_at_exit);
    print_u64(fp, "tls_echo", "max_active", tls_echo.max_active);
    print_u64(fp, "tls_echo", "errors", tls_echo.errors);
    print_u64(fp, "tls_echo", "refused", tls_echo.refused);
    print_u64(fp, "tls_echo", "bytes_in", tls_echo.bytes_in);
    print_u64(fp, "tls_echo", "bytes_out", tls_echo.bytes_out);
    print_u64(fp, "tls_echo", "stalls", tls_echo.stalls);
    ex_tls_print_stats(fp, tls_echo.tls, "tls");
  }
  if (eopts.ping.family != ZN_AF_NONE) {
    print_u64(fp, "ping", "sent", ping.sent);
    print_u64(fp, "ping", "received", ping.received);
    print_u64(fp, "ping", "send_errors", ping.errors);
  }
  if (eopts.discard_port == 0)
    return;
  fprintf(fp, PROG ": discard on UDP port %u:\n",
          (unsigned)eopts.discard_port);
  print_u64(fp, "udp_discard", "datagrams", udp_discard.datagrams);
  print_u64(fp, "udp_discard", "bytes", udp_discard.bytes);
  print_tcp_stats(fp, &tcp_discard, eopts.discard_port);
}

static int parse_ping(void *base, const char *val, const char *prog) {
  (void)prog;
  struct echo_opts *o = base;
  struct zn_ip a;
  if (zn_ip_parse(val, &a) != ZN_OK || zn_ip_is_unspecified(&a))
    return -1;
  o->ping = a;
  return 0;
}

static const struct zn__app_opt echo_flags[] = {
    {"port", 0, ZN__APP_U16, offsetof(struct echo_opts, port), 1, 65535,
     .arg = "N", .help = "echo UDP and TCP on port N (default 7)"},
    {"discard-port", 0, ZN__APP_U16, offsetof(struct echo_opts, discard_port),
     0, 65535, .arg = "N",
     .help = "discard UDP and TCP on port N (default 9;\n0: no discard "
             "service)"},
    {"ping", 0, ZN__APP_FN, .fn = parse_ping, .arg = "ADDR",
     .want = "an IPv4 or IPv6 address",
     .help = "also ping ADDR (IPv4 or IPv6) every second,\nprinting each "
             "reply"},
    {"tls-port", 0, ZN__APP_U16, offsetof(struct echo_opts, tls_port), 1, 65535,
     .arg = "N",
     .help = "also echo TLS on port N (TLS 1.3, 1.2; --cert and\n--key, or the "
             "built-in certificate)"},
    {"cert", 0, ZN__APP_STR, offsetof(struct echo_opts, cert),
     .arg = "CERT.pem", .help = "the TLS echo's certificate chain (PEM)"},
    {"key", 0, ZN__APP_STR, offsetof(struct echo_opts, key), .arg = "KEY.pem",
     .help = "its private key (PEM)"},
    {.name = NULL},
};

int main(int argc, char **argv) {
  static struct zn__app_host h; /* large (paths); keep it off the stack */
  static const struct zn__app_prog prog = {
      .name = PROG,
      .synopsis = "--netif tap:NAME ADDRESS [--port N] [OPTIONS]",
      .summary = "An echo host: answers ARP and ping, echoes UDP and TCP, "
                 "discards UDP and TCP,\nuntil SIGINT/SIGTERM, then prints "
                 "its counters.",
      .opts = echo_flags,
      .arg = &eopts,
  };

  zn__app_opts_default(&h.o);
  int first = zn__app_parse(&h.o, argc, argv, &prog);
  if (first < argc)
    zn__app_usage_error(PROG, "unexpected argument '%s'", argv[first]);
  zn__app_require_address(&h.o, PROG);
  if (eopts.discard_port == eopts.port)
    zn__app_usage_error(PROG, "--port and --discard-port are both %u",
                        (unsigned)eopts.port);
  if (eopts.tls_port &&
      (eopts.tls_port == eopts.port || eopts.tls_port == eopts.discard_port))
    zn__app_usage_error(PROG, "--tls-port %u is taken by another service",
                        (unsigned)eopts.tls_port);
  if (eopts.tls_port && !ex_tls_available())
    zn__app_usage_error(PROG, "--tls-port: this build has no TLS (libznet-tls: "
                              "meson -Dtls=enabled, BearSSL)");
  if ((eopts.cert == NULL) != (eopts.key == NULL))
    zn__app_usage_error(PROG, "--cert and --key go together");
  if (eopts.cert && !eopts.tls_port)
    zn__app_usage_error(PROG, "--cert and --key need --tls-port");
  if (eopts.tls_port && !eopts.cert && ex_tls_available() &&
      !ex_tls_has_embedded())
    zn__app_usage_error(PROG,
                        "--tls-port needs --cert and --key (this build has "
                              "no built-in certificate)");

  if (zn__app_open(&h, PROG) != 0)
    return ZN__APP_EXIT_FAIL;

  int status = 0;
  size_t started = 0;
  if (start_services(h.st, &started) != 0) {
    status = ZN__APP_EXIT_FAIL;
  } else {
    print_banner(&h);
    ping_start(h.st);
    struct zn_loop_opts lo;
    memset(&lo, 0, sizeof(lo));
    lo.until = ZN_TIME_NEVER;
    int rc = zn__app_run(&h, &lo);
    if (rc != ZN_OK) {
      fprintf(stderr, PROG ": interface failed: %s\n", zn_strerror(rc));
      status = ZN__APP_EXIT_FAIL;
    }
  }
  ping_stop(h.st);
  stop_services(h.st, started);

  print_echo_stats(stderr);
  zn__app_print_stats(stderr, h.st, PROG);
  zn__app_print_netif_stats(stderr, &h);
  zn__app_close(&h, PROG);
  return status;
}
