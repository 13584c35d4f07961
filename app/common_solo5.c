/*
 * libznet-app (app/app_int.h) inside a libznet-rt image (rt/): the stack
 * on the manifest's net device (solo5:service unless --netif solo5:NAME
 * says otherwise), optionally behind the fault injector.  libznet-rt
 * compiles this file in (rt/meson.build), for two callers:
 *
 * - the runtime itself: before the main() of a program written against
 *   POSIX (kvd, redis...), rt/net.c parses znet's flags (the words
 *   before "--") with zn__app_parse and builds the image's stack with
 *   zn__app_open, then its socket layer over it;
 * - a program written against znet's own API (znet-echo,
 *   znet-dns-blocker, znet-httpd, a program of znet/app.h), which runs
 *   its own loop (zn__app_run, api_image.c) and so owns the network.  The
 *   runtime then parses and builds nothing before main() (rt/net.h), the
 *   program parses znet's flags, as on a host, and its zn__app_open builds
 *   the stack as those flags size it and hands it to the runtime
 *   (znet/image.h: zn_image_adopt_stack).  From then on there is one stack for both: the
 *   runtime's socket layer serves the program's POSIX calls on it, and
 *   the scheduler's pump polls it (frames, timers and the program's
 *   callbacks) whenever every thread waits.  The stack and its netif are
 *   the image's once handed over: zn__app_close leaves them (the runtime
 *   drains the sockets at exit).
 *
 * The tender delivers no signals: zn__app_stop_asked and
 * zn__app_reload_asked stay 0 and an image runs until its program returns or the tender is stopped.
 * --capture is refused (a capture file would be written to memory).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "app_int.h"
#include "znet/image.h"

const enum zn__app_netif_kind zn__app_default_netif = ZN__APP_NETIF_SOLO5;

/* Nothing to install: no signal reaches an image (zn__app_stop_asked
 * stays 0). */
void zn__app_signals(void) {}

/* Nor SIGHUP: zn__app_reload_asked stays 0. */
void zn__app_signal_reload(void) {}

void zn__app_close_netifs(struct zn__app_host *h) {
  if (h->handed_over)
    return; /* the image's now: it goes when the image ends */
  if (h->fault_open)
    zn_netif_close(&h->fault.nif);
  h->fault_open = false;
  if (h->solo5_open)
    zn_netif_close(&h->solo5.nif);
  h->solo5_open = false;
  h->base = h->nif = NULL;
}

/* A program that owns the network hands its stack to the runtime. */
static int hand_over(struct zn__app_host *h, const char *prog) {
  if (!zn_image_net_owned())
    return 0; /* the runtime's own zn__app_open, before a POSIX program */
  int rc = zn_image_adopt_stack(h->st, &h->cfg);
  if (rc != 0) {
    fprintf(stderr, "%s: the image's socket layer cannot take the stack: %s\n",
            prog, strerror(-rc));
    return rc == -EBUSY ? ZN_EALREADY : ZN_ENOMEM;
  }
  h->handed_over = true;
  return 0;
}

/* Once the runtime has the stack its pump polls it while this thread
 * waits in the runtime (a wait on the device here would stop every
 * thread of the image). */
void zn__app_take_input(struct zn__app_host *h, uint64_t deadline) {
  if (h->handed_over)
    (void)zn_image_wait(deadline ? deadline : zn_image_now());
  else
    zn__app_poll_netif(h, deadline);
}

int zn__app_open(struct zn__app_host *h, const char *prog) {
  h->mem = NULL;
  h->st = NULL;
  h->tap_open = h->cap_open = h->fault_open = h->solo5_open = false;
  h->handed_over = false;
  h->pcap = NULL;
  h->base = h->nif = NULL;
  if (h->o.capture) {
    fprintf(stderr, "%s: --capture: not in an image\n", prog);
    return ZN_EINVAL;
  }
  int rc = zn__app_config(&h->o, &h->cfg, prog);
  if (rc != 0)
    return rc;
  rc = zn__app_stack_new(&h->cfg, prog, &h->mem, &h->st);
  if (rc != 0)
    return rc;
  rc = zn_solo5_open(&h->solo5, h->o.solo5_name);
  if (rc != ZN_OK) {
    fprintf(stderr, "%s: no Solo5 net device '%s' in the manifest: %s\n",
            prog, h->o.solo5_name, zn_strerror(rc));
    goto fail;
  }
  h->solo5_open = true;
  h->base = h->nif = &h->solo5.nif;
  rc = zn__app_attach(h, prog);
  if (rc == 0)
    rc = hand_over(h, prog);
  if (rc != 0)
    goto fail;
  printf("%s: stack memory %zu bytes, memory left %zu bytes, entropy from "
         "%s\n",
         prog, zn_stack_mem_size(&h->cfg), zn_image_mem_left(),
         zn_image_entropy_source());
  return 0;

fail:
  zn__app_close(h, prog);
  return rc;
}

void zn__app_describe_netif(const struct zn__app_host *h, char *buf,
                            size_t size) {
  (void)snprintf(buf, size, "%s%s", h->o.netif_text,
                 h->fault_open ? " (with the fault injector)" : "");
}

void zn__app_print_netif_stats(FILE *fp, const struct zn__app_host *h) {
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
    zn__app_print_nz(fp, c[i].name, c[i].v);
  zn__app_print_fault_stats(fp, h);
}

/* The tender's wall clock: what the host says the time is. */
uint64_t zn__app_wall_seconds(void) { return zn_image_wall() / 1000000000u; }
