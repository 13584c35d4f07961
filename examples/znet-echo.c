/*
 * znet-echo: an echo host on a TAP device (or a replayed capture).
 *
 * It answers ARP and ping; the stack does both by itself, so today the
 * program is the shared plumbing plus the table of services below.  The
 * UDP echo (port 7) and TCP echo services slot into that table: each has
 * a start function that opens its socket on the stack and a stop function
 * that closes it, and needs nothing else from main().
 *
 *     znet-echo --netif tap:zntap0 --ipv4 10.0.0.2/24
 *
 * Runs until SIGINT or SIGTERM (or the end of a replayed capture), then
 * prints the stack's counters to stderr.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

#define PROG "znet-echo"

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

static const struct echo_service services[] = {
    {"icmp-echo", icmp_echo_start, icmp_echo_stop},
    /* {"udp-echo/7", udp_echo_start, udp_echo_stop},  -- with UDP */
    /* {"tcp-echo/7", tcp_echo_start, tcp_echo_stop},  -- with TCP */
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
  fflush(stdout);
}

int main(int argc, char **argv) {
  static struct ex_host h; /* large (paths); keep it off the stack */
  static const struct ex_prog prog = {
      .name = PROG,
      .synopsis = "--netif tap:NAME --ipv4 ADDR/PREFIX [OPTIONS]",
      .summary = "An echo host: answers ARP and ping until SIGINT/SIGTERM, "
                 "then prints its counters.",
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

  ex_print_stats(stderr, h.st, PROG);
  ex_print_netif_stats(stderr, &h);
  ex_close(&h, PROG);
  return status;
}
