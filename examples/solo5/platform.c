/*
 * The examples' plumbing (examples/common.h) on Solo5: the stack on the
 * manifest's net device (solo5:service unless --netif solo5:NAME says
 * otherwise), optionally behind the fault injector, driven by
 * zn_solo5_run().  There are no signals and no files: a unikernel runs
 * until its tender is stopped, and --capture is refused.
 */
#include <inttypes.h>
#include <solo5.h>
#include <stdio.h>
#include <string.h>

#include "../common.h"
#include "rt.h"

const enum ex_netif_kind ex_default_netif = EX_NETIF_SOLO5;

/* Nothing to install: Solo5 delivers no signals.  ex_stop stays 0. */
void ex_signals(void) {}

/* Nor SIGHUP: ex_reload stays 0. */
void ex_signal_reload(void) {}

void ex_close_netifs(struct ex_host *h) {
  if (h->fault_open)
    zn_netif_close(&h->fault.nif);
  h->fault_open = false;
  if (h->solo5_open)
    zn_netif_close(&h->solo5.nif);
  h->solo5_open = false;
  h->base = h->nif = NULL;
}

int ex_open(struct ex_host *h, const char *prog) {
  h->mem = NULL;
  h->st = NULL;
  h->tap_open = h->cap_open = h->fault_open = h->solo5_open = false;
  h->pcap = NULL;
  h->base = h->nif = NULL;
  if (h->o.capture) {
    fprintf(stderr, "%s: --capture: no files on Solo5\n", prog);
    return -1;
  }
  if (ex_config(&h->o, &h->cfg, prog) != 0)
    return -1;
  if (ex_stack_new(&h->cfg, prog, &h->mem, &h->st) != 0)
    return -1;
  int rc = zn_solo5_open(&h->solo5, h->o.solo5_name);
  if (rc != ZN_OK) {
    fprintf(stderr, "%s: no Solo5 net device '%s' in the manifest: %s\n",
            prog, h->o.solo5_name, zn_strerror(rc));
    goto fail;
  }
  h->solo5_open = true;
  h->base = h->nif = &h->solo5.nif;
  if (ex_attach(h, prog) != 0)
    goto fail;
  printf("%s: stack memory %zu bytes, heap left %zu bytes, entropy from "
         "%s\n",
         prog, zn_stack_mem_size(&h->cfg), zn_rt_heap_left(),
         zn_rt_entropy_source());
  return 0;

fail:
  ex_close(h, prog);
  return -1;
}

struct run_ctx {
  struct ex_host *h;
  struct zn_loop_opts *lo;
};

/* The hosted loop's stop conditions, checked after every poll: the stop
 * flag, the time limit and the program's own tick. */
static int run_tick(void *arg, struct zn_stack *st, uint64_t now) {
  struct run_ctx *c = arg;
  const struct zn_loop_opts *lo = c->lo;
  if (lo->stop && *lo->stop)
    return 1;
  if (lo->until && lo->until != ZN_TIME_NEVER && now >= lo->until)
    return 1;
  ex_ipv6_report(c->h);
  return lo->tick ? lo->tick(lo->arg, st, now) : 0;
}

int ex_run(struct ex_host *h, struct zn_loop_opts *opts) {
  if (opts->stop == NULL)
    opts->stop = &ex_stop;
  struct run_ctx c = {.h = h, .lo = opts};
  struct zn_solo5_run_opts ro = {.tick = run_tick, .arg = &c};
  return zn_solo5_run(h->st, h->nif, &ro);
}

void ex_describe_netif(const struct ex_host *h, char *buf, size_t size) {
  snprintf(buf, size, "%s%s", h->o.netif_text,
           h->fault_open ? " (with the fault injector)" : "");
}

void ex_print_netif_stats(FILE *fp, const struct ex_host *h) {
  if (!h->solo5_open)
    return;
  const struct zn_solo5 *s = &h->solo5;
  const struct {
    const char *name;
    uint64_t v;
  } c[] = {
      {"solo5.rx_frames", s->rx_frames},     {"solo5.tx_frames", s->tx_frames},
      {"solo5.rx_short", s->rx_short},       {"solo5.rx_oversize", s->rx_oversize},
      {"solo5.rx_nobuf", s->rx_nobuf},       {"solo5.rx_errors", s->rx_errors},
      {"solo5.tx_errors", s->tx_errors},     {"solo5.tx_oversize", s->tx_oversize},
      {"solo5.yields", s->yields},           {"solo5.wakeups", s->wakeups},
  };
  for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++)
    ex_print_nz(fp, c[i].name, c[i].v);
  ex_print_fault_stats(fp, h);
}

/* The tender's wall clock: what the host says the time is. */
uint64_t ex_wall_seconds(void) { return solo5_clock_wall() / 1000000000u; }
