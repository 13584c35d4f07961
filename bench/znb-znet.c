/*
 * znb-znet: znet as the benchmark server on a TAP device, offering what
 * every stack under test offers (lwIP's bench/lwip/znb-lwip.c and Linux's
 * `znb-load serve` the same):
 *
 *     UDP 7   echo: the datagram's own buffer goes back (no copy)
 *     TCP 7   echo: zn_tcp_peek, zn_tcp_write (one copy), zn_tcp_consume
 *     TCP 9   discard: peek and consume, closes on the client's FIN
 *     TCP 19  source: an endless stream of one buffer handed to
 *             zn_tcp_write_ref (no copy), at most tcp_sndbuf bytes
 *             unacknowledged, until the client goes; with
 *             --source-bytes N, N bytes and then its FIN (a short
 *             download, as `znb-load serve --source-bytes`)
 *
 *     znb-znet --netif tap:NAME --ipv4 ADDR/PREFIX [--source-bytes N]
 *              [the examples' flags]
 *
 * Prints "znb-znet ready ..." on stdout once it serves, runs until SIGINT
 * or SIGTERM, then prints its counters and the stack's to stderr.
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../examples/common.h"

#define PROG "znb-znet"
#define PORT_ECHO 7
#define PORT_DISCARD 9
#define PORT_SOURCE 19
#define BACKLOG 128
/* One write_ref hands source_chunk bytes: tcp_sndbuf cut into at most
 * ZN_TCP_MAX_REFS chunks, as a connection may have no more references
 * pending, and no less than this.  Fixed 16 KiB chunks would hold a
 * 16 MiB send buffer to 4 MiB unacknowledged (335 Mbit/s at 100 ms). */
#define SOURCE_CHUNK_MIN (16u * 1024u)

static uint8_t *source_data; /* source_chunk bytes of 's' */
static uint32_t source_chunk;

enum svc { SVC_ECHO, SVC_DISCARD, SVC_SOURCE };

struct conn {
  struct zn_tcp_conn *c;
  enum svc svc;
  struct conn *prev, *next;
  uint32_t unacked;    /* source: bytes referenced, not yet released */
  uint64_t sent;       /* source: bytes handed to the stack */
  bool closing;
};

struct server {
  struct zn_stack *st;
  struct zn_udp_sock *udp;
  struct zn_tcp_conn *listeners[3];
  struct conn *conns;
  uint32_t sndbuf;
  uint64_t source_bytes; /* --source-bytes: the source's length, 0: endless */
  uint64_t udp_echoed, accepted, closed, errors, bytes_in, bytes_out;
};

static struct server srv;

static void udp_recv(struct zn_udp_sock *s, void *arg,
                     const struct zn_udp_dgram *d) {
  struct server *sv = arg;
  if (d->bcast)
    return;
  if (zn_udp_sendto_buf(s, &d->src, d->sport, zn_udp_dgram_keep(d)) == ZN_OK)
    sv->udp_echoed++;
}

static void conn_close(struct conn *k) {
  if (!k->closing) {
    k->closing = true;
    zn_tcp_close(k->c);
  }
}

static void source_release(void *arg) {
  struct conn *k = arg;
  k->unacked -= source_chunk;
}

/* Move what can move on one connection. */
static void conn_pump(struct conn *k) {
  while (!k->closing) {
    const uint8_t *p;
    long n = zn_tcp_peek(k->c, &p);
    if (n == ZN_EAGAIN)
      break;
    if (n <= 0) {
      conn_close(k); /* the client's FIN (0), or a failure */
      return;
    }
    size_t take = (size_t)n;
    if (k->svc == SVC_ECHO) {
      long w = zn_tcp_write(k->c, p, (size_t)n);
      if (w == ZN_EAGAIN)
        break; /* on_writable resumes */
      if (w < 0) {
        conn_close(k);
        return;
      }
      take = (size_t)w;
      srv.bytes_out += take;
    }
    srv.bytes_in += take;
    (void)zn_tcp_consume(k->c, take);
    if (take < (size_t)n)
      break;
  }
  while (k->svc == SVC_SOURCE && !k->closing &&
         k->unacked + source_chunk <= srv.sndbuf) {
    uint64_t left = srv.source_bytes ? srv.source_bytes - k->sent : UINT64_MAX;
    if (left == 0) {
      conn_close(k); /* all of it queued: the FIN follows the data */
      break;
    }
    if (left < source_chunk) {
      /* The tail, copied: write_ref's release counts whole chunks. */
      long w = zn_tcp_write(k->c, source_data, (size_t)left);
      if (w <= 0)
        break;
      k->sent += (uint64_t)w;
      srv.bytes_out += (uint64_t)w;
      continue;
    }
    if (zn_tcp_write_ref(k->c, source_data, source_chunk, source_release,
                         k) != ZN_OK)
      break;
    k->unacked += source_chunk;
    k->sent += source_chunk;
    srv.bytes_out += source_chunk;
  }
}

static void on_readable(struct zn_tcp_conn *c, void *arg) {
  (void)c;
  conn_pump(arg);
}

static void on_error(struct zn_tcp_conn *c, void *arg, int err) {
  (void)c;
  (void)err;
  srv.errors++;
  conn_close(arg);
}

static void on_closed(struct zn_tcp_conn *c, void *arg) {
  (void)c;
  struct conn *k = arg;
  if (k->prev)
    k->prev->next = k->next;
  else
    srv.conns = k->next;
  if (k->next)
    k->next->prev = k->prev;
  srv.closed++;
  free(k);
}

static const struct zn_tcp_callbacks conn_cbs = {
    .on_readable = on_readable,
    .on_writable = on_readable,
    .on_error = on_error,
    .on_closed = on_closed,
};

static void on_accept(struct zn_tcp_conn *l, void *arg) {
  enum svc svc = (enum svc)(uintptr_t)arg;
  struct zn_tcp_conn *c;
  while (zn_tcp_accept(l, &c) == ZN_OK) {
    struct conn *k = calloc(1, sizeof(*k));
    if (k == NULL) {
      zn_tcp_abort(c);
      continue;
    }
    k->c = c;
    k->svc = svc;
    k->next = srv.conns;
    if (srv.conns)
      srv.conns->prev = k;
    srv.conns = k;
    srv.accepted++;
    zn_tcp_set_nodelay(c, true);
    zn_tcp_set_callbacks(c, &conn_cbs, k);
    conn_pump(k);
  }
}

static void listener_closed(struct zn_tcp_conn *c, void *arg) {
  (void)c;
  (void)arg;
}

static const struct zn_tcp_callbacks listener_cbs = {
    .on_accept = on_accept,
    .on_closed = listener_closed,
};

/* After every poll: the sources refill what was acknowledged. */
static int tick(void *arg, struct zn_stack *st, uint64_t now) {
  (void)arg;
  (void)st;
  (void)now;
  for (struct conn *k = srv.conns; k; k = k->next)
    if (k->svc == SVC_SOURCE)
      conn_pump(k);
  return 0;
}

static int start(struct server *sv) {
  static const uint16_t ports[3] = {PORT_ECHO, PORT_DISCARD, PORT_SOURCE};
  int rc = zn_udp_open(sv->st, &sv->udp);
  if (rc == ZN_OK)
    rc = zn_udp_bind(sv->udp, NULL, PORT_ECHO);
  if (rc != ZN_OK)
    return rc;
  zn_udp_set_recv_cb(sv->udp, udp_recv, sv);
  for (int i = 0; i < 3; i++) {
    rc = zn_tcp_listen(sv->st, NULL, ports[i], BACKLOG, &listener_cbs,
                       (void *)(uintptr_t)i, &sv->listeners[i]);
    if (rc != ZN_OK)
      return rc;
  }
  return ZN_OK;
}

static void stop(struct server *sv) {
  while (sv->conns) {
    struct conn *k = sv->conns;
    sv->conns = k->next;
    if (!k->closing)
      zn_tcp_abort(k->c);
    free(k);
  }
  for (int i = 0; i < 3; i++)
    if (sv->listeners[i])
      zn_tcp_close(sv->listeners[i]);
  zn_udp_close(sv->udp);
  zn_stack_flush(sv->st);
}

static const struct zn__app_opt znb_flags[] = {
    {"source-bytes", 0, ZN__APP_SIZE, offsetof(struct server, source_bytes), 1,
     UINT64_C(1) << 40, .arg = "N",
     .help = "the source (19) sends N bytes, then its FIN\n(default: "
             "endless)"},
    {.name = NULL},
};

int main(int argc, char **argv) {
  static struct zn__app_host h;
  static const struct zn__app_prog prog = {
      .name = PROG,
      .synopsis = "--netif tap:NAME --ipv4 ADDR/PREFIX [OPTIONS]",
      .summary = "The znet benchmark server: UDP and TCP echo on 7, TCP "
                 "discard on 9,\nTCP source on 19, until SIGINT or SIGTERM.",
      .opts = znb_flags,
      .arg = &srv,
  };
  zn__app_opts_default(&h.o);
  int first = zn__app_parse(&h.o, argc, argv, &prog);
  if (first != argc)
    zn__app_usage_error(PROG, "unexpected argument '%s'", argv[first]);
  if (h.o.ipv4 == 0)
    zn__app_usage_error(PROG, "--ipv4 ADDR/PREFIX is required");
  if (zn__app_open(&h, PROG) != 0)
    return ZN__APP_EXIT_FAIL;
  srv.st = h.st;
  srv.sndbuf = h.cfg.tcp_sndbuf;
  source_chunk =
      srv.sndbuf / ZN_TCP_MAX_REFS + (srv.sndbuf % ZN_TCP_MAX_REFS != 0);
  if (source_chunk < SOURCE_CHUNK_MIN)
    source_chunk = SOURCE_CHUNK_MIN;
  source_data = malloc(source_chunk);
  if (source_data == NULL) {
    fprintf(stderr, PROG ": out of memory\n");
    zn__app_close(&h, PROG);
    return ZN__APP_EXIT_FAIL;
  }
  memset(source_data, 's', source_chunk);
  zn_stack_poll(h.st, zn_netif_now(h.nif));
  int rc = start(&srv);
  if (rc != ZN_OK) {
    fprintf(stderr, PROG ": cannot start the services: %s\n",
            zn_strerror(rc));
    stop(&srv);
    zn__app_close(&h, PROG);
    free(source_data);
    return ZN__APP_EXIT_FAIL;
  }
  char ip[ZN_IPV4_STRLEN];
  printf("znb-znet ready addr=%s mem=%zu tcp_conns=%" PRIu32 "\n",
         zn_ipv4_format(h.o.ipv4, ip), zn_stack_mem_size(&h.cfg),
         h.cfg.tcp_conns);
  fflush(stdout);
  struct zn_loop_opts lo = {.until = ZN_TIME_NEVER, .tick = tick};
  rc = zn__app_run(&h, &lo);
  if (rc != ZN_OK)
    fprintf(stderr, PROG ": loop: %s\n", zn_strerror(rc));
  fprintf(stderr,
          PROG ": udp_echoed %" PRIu64 ", accepted %" PRIu64 ", closed %" PRIu64
               ", errors %" PRIu64 ", bytes in %" PRIu64 ", out %" PRIu64 "\n",
          srv.udp_echoed, srv.accepted, srv.closed, srv.errors, srv.bytes_in,
          srv.bytes_out);
  stop(&srv);
  zn__app_print_stats(stderr, h.st, PROG);
  zn__app_print_netif_stats(stderr, &h);
  zn__app_close(&h, PROG);
  free(source_data);
  return rc == ZN_OK ? 0 : ZN__APP_EXIT_FAIL;
}
