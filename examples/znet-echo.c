/*
 * znet-echo: an echo host on a TAP device (or a replayed capture).
 *
 * It answers ARP and ping (the stack does both by itself) and echoes UDP
 * datagrams (RFC 862) on port 7, or the port --port names.  The services
 * live in the table below: each has a start function that opens its socket
 * on the stack and a stop function that closes it, and needs nothing else
 * from main().  TCP echo will join the table on the same port.
 *
 *     znet-echo --netif tap:zntap0 --ipv4 10.0.0.2/24 [--port 7]
 *
 * The UDP echo copies nothing: the datagram's own frame buffer is kept
 * (zn_udp_dgram_keep) and handed back to zn_udp_sendto_buf, which pushes
 * the new headers into the headroom the received ones were pulled from.
 *
 * Runs until SIGINT or SIGTERM (or the end of a replayed capture), then
 * prints the echo counters and the stack's counters to stderr.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

#define PROG "znet-echo"
#define DEFAULT_PORT 7

enum { OPT_PORT = 0x200 };

/* What the UDP echo did; printed at exit. */
struct udp_echo {
  uint16_t port;
  struct zn_udp_sock *sock;
  uint64_t echoed, bytes, ignored, send_errors;
};

static struct udp_echo udp_echo = {.port = DEFAULT_PORT};

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
  int rc = zn_udp_sendto_buf(s, d->src, d->sport, b);
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
  rc = zn_udp_bind(udp_echo.sock, 0, udp_echo.port);
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

static const struct echo_service services[] = {
    {"icmp-echo", icmp_echo_start, icmp_echo_stop},
    {"udp-echo", udp_echo_start, udp_echo_stop},
    /* {"tcp-echo", tcp_echo_start, tcp_echo_stop},  -- with TCP, same port */
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

static void print_banner(const struct ex_host *h) {
  char ip[ZN_IPV4_STRLEN], mac[ZN_MAC_STRLEN], where[4300];
  ex_describe_netif(h, where, sizeof(where));
  printf(PROG ": %s/%u mac %s on %s\n", zn_ipv4_format(h->o.ipv4, ip),
         (unsigned)h->o.prefix, zn_mac_format(zn_stack_mac(h->st), mac),
         where);
  printf(PROG ": serving");
  for (size_t i = 0; i < N_SERVICES; i++)
    printf(" %s", services[i].name);
  printf("; stop with Ctrl-C\n");
  printf(PROG ": echoing UDP on port %u\n", (unsigned)udp_echo.port);
  fflush(stdout);
}

static void print_echo_stats(FILE *fp) {
  fprintf(fp, PROG ": udp echo on port %u:\n", (unsigned)udp_echo.port);
  fprintf(fp, "  %-26s %10" PRIu64 "\n", "udp_echo.echoed", udp_echo.echoed);
  fprintf(fp, "  %-26s %10" PRIu64 "\n", "udp_echo.bytes", udp_echo.bytes);
  fprintf(fp, "  %-26s %10" PRIu64 "\n", "udp_echo.ignored", udp_echo.ignored);
  fprintf(fp, "  %-26s %10" PRIu64 "\n", "udp_echo.send_errors",
          udp_echo.send_errors);
}

static int handle(void *arg, int opt, const char *val) {
  struct udp_echo *e = arg;
  uint32_t port;
  if (opt != OPT_PORT)
    return -1;
  if (ex_parse_u32(val, 1, 65535, &port) != 0) {
    fprintf(stderr, PROG ": bad --port '%s' (want 1..65535) (try --help)\n",
            val);
    return -1;
  }
  e->port = (uint16_t)port;
  return 0;
}

int main(int argc, char **argv) {
  static struct ex_host h; /* large (paths); keep it off the stack */
  static const struct option extra[] = {
      {"port", required_argument, NULL, OPT_PORT},
      {NULL, 0, NULL, 0},
  };
  static const struct ex_prog prog = {
      .name = PROG,
      .synopsis = "--netif tap:NAME --ipv4 ADDR/PREFIX [--port N] [OPTIONS]",
      .summary = "An echo host: answers ARP and ping and echoes UDP until "
                 "SIGINT/SIGTERM,\nthen prints its counters.",
      .extra_help = "  --port N                      echo UDP on port N "
                    "(default 7)\n",
      .extra = extra,
      .handle = handle,
      .arg = &udp_echo,
  };

  ex_opts_default(&h.o);
  int first = ex_parse(&h.o, argc, argv, &prog);
  if (first < argc)
    ex_usage_error(PROG, "unexpected argument '%s'", argv[first]);
  if (h.o.ipv4 == 0)
    ex_usage_error(PROG, "--ipv4 ADDR/PREFIX is required");

  if (ex_open(&h, PROG) != 0)
    return EX_EXIT_FAIL;

  int status = 0;
  size_t started = 0;
  if (start_services(h.st, &started) != 0) {
    status = EX_EXIT_FAIL;
  } else {
    print_banner(&h);
    struct zn_loop_opts lo;
    memset(&lo, 0, sizeof(lo));
    lo.until = ZN_TIME_NEVER;
    int rc = ex_run(&h, &lo);
    if (rc != ZN_OK) {
      fprintf(stderr, PROG ": interface failed: %s\n", zn_strerror(rc));
      status = EX_EXIT_FAIL;
    }
  }
  stop_services(h.st, started);

  print_echo_stats(stderr);
  ex_print_stats(stderr, h.st, PROG);
  ex_print_netif_stats(stderr, &h);
  ex_close(&h, PROG);
  return status;
}
