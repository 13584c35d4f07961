/*
 * libznet-app on a Linux host (and znet's examples' plumbing): open the
 * netif (TAP or pcap replay, optionally wrapped in the capture decorator
 * and the fault injector), run the loop until a signal or the end of the
 * input (SIGHUP asks a program that takes it to reload), print the
 * backends' counters.  The command line is common.c's.
 */
#include "app_int.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "znet/pcap.h"

const enum zn__app_netif_kind zn__app_default_netif = ZN__APP_NETIF_NONE;

static void on_signal(int sig) {
  (void)sig;
  zn__app_stop_asked = 1;
}

void zn__app_signals(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
}

static void on_reload_signal(int sig) {
  (void)sig;
  zn__app_reload_asked = 1;
}

void zn__app_signal_reload(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = on_reload_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;
  sigaction(SIGHUP, &sa, NULL);
}

static int open_tap(struct zn__app_host *h, const char *prog) {
  int rc = zn_tap_open_flags(&h->tap, h->o.tap_name, 0,
                             h->o.no_offload ? ZN_TAP_NO_OFFLOAD : 0);
  if (rc != ZN_OK) {
    const char *why = rc == ZN_EPERM    ? " (needs root or CAP_NET_ADMIN)"
                      : rc == ZN_ENODEV ? " (no /dev/net/tun)"
                      : rc == ZN_EEXIST ? " (already in use)"
                                        : "";
    fprintf(stderr, "%s: cannot open TAP '%s': %s%s\n", prog, h->o.tap_name,
            zn_strerror(rc), why);
    return rc;
  }
  h->tap_open = true;
  h->base = &h->tap.nif;
  return 0;
}

#ifdef ZN__APP_HAVE_PCAP
static int open_pcap(struct zn__app_host *h, const char *prog) {
  struct zn_pcapif_opts po;
  memset(&po, 0, sizeof(po));
  po.out_path = h->o.pcap_out[0] ? h->o.pcap_out : NULL;
  /* Raw-IP captures are addressed to the stack's MAC when one is given. */
  if (h->o.has_mac)
    memcpy(po.local_mac, h->o.mac, 6);
  char err[ZN_PCAPIF_ERRLEN];
  int rc = zn_pcapif_open(h->o.pcap_in, &po, &h->pcap, err);
  if (rc != ZN_OK) {
    fprintf(stderr, "%s: cannot replay '%s': %s (%s)\n", prog, h->o.pcap_in,
            err, zn_strerror(rc));
    return rc;
  }
  h->base = zn_pcapif_netif(h->pcap);
  return 0;
}

static void close_pcap(struct zn__app_host *h) {
  if (h->pcap)
    zn_netif_close(zn_pcapif_netif(h->pcap)); /* frees it */
  h->pcap = NULL;
}
#else
static int open_pcap(struct zn__app_host *h, const char *prog) {
  (void)h;
  fprintf(stderr, "%s: built without libpcap: pcap replay unavailable\n",
          prog);
  return ZN_EINVAL;
}

static void close_pcap(struct zn__app_host *h) { h->pcap = NULL; }
#endif

void zn__app_close_netifs(struct zn__app_host *h) {
  if (h->fault_open)
    zn_netif_close(&h->fault.nif); /* frees the frames it holds */
  h->fault_open = false;
  if (h->cap_open)
    zn_netif_close(&h->cap.nif);
  h->cap_open = false;
  if (h->tap_open)
    zn_netif_close(&h->tap.nif);
  h->tap_open = false;
  close_pcap(h);
  h->base = h->nif = NULL;
}

/* A host's stack is always the program's own: the netif's wait. */
void zn__app_take_input(struct zn__app_host *h, uint64_t deadline) {
  zn__app_poll_netif(h, deadline);
}

int zn__app_open(struct zn__app_host *h, const char *prog) {
  h->mem = NULL;
  h->st = NULL;
  h->tap_open = h->cap_open = h->fault_open = false;
  h->handed_over = false;
  h->pcap = NULL;
  h->base = h->nif = NULL;
  int rc = zn__app_config(&h->o, &h->cfg, prog);
  if (rc != 0)
    return rc;
  rc = zn__app_stack_new(&h->cfg, prog, &h->mem, &h->st);
  if (rc != 0)
    return rc;

  if (h->o.netif == ZN__APP_NETIF_SOLO5 || h->o.netif == ZN__APP_NETIF_NONE) {
    if (h->o.netif == ZN__APP_NETIF_SOLO5)
      fprintf(stderr, "%s: --netif %s is for a Solo5 image\n", prog,
              h->o.netif_text);
    else
      fprintf(stderr, "%s: no --netif given\n", prog);
    rc = ZN_EINVAL;
    goto fail;
  }
  if (h->given)
    h->base = h->given;
  else
    rc = h->o.netif == ZN__APP_NETIF_TAP ? open_tap(h, prog)
                                         : open_pcap(h, prog);
  if (rc != 0)
    goto fail;
  h->nif = h->base;
  if (h->o.capture) {
    rc = zn_capture_open(&h->cap, h->base, h->o.capture);
    if (rc != ZN_OK) {
      fprintf(stderr, "%s: cannot write capture '%s': %s\n", prog,
              h->o.capture, strerror(errno));
      goto fail;
    }
    h->cap_open = true;
    h->nif = &h->cap.nif;
  }
  rc = zn__app_attach(h, prog);
  if (rc != 0)
    goto fail;
  if (!h->keep_signals)
    zn__app_signals();
  return 0;

fail:
  zn__app_close(h, prog);
  return rc;
}

/* The program's tick, after the IPv6 address report (at most every 50 ms:
 * the loop ticks after each poll, and a busy server polls often). */
struct run_ctx {
  struct zn__app_host *h;
  const struct zn_loop_opts *lo;
};

static int run_tick(void *arg, struct zn_stack *st, uint64_t now) {
  struct run_ctx *c = arg;
  if (now >= c->h->ipv6_report_at) {
    zn__app_ipv6_report(c->h);
    c->h->ipv6_report_at = now + ZN_MS(50);
  }
  return c->lo->tick ? c->lo->tick(c->lo->arg, st, now) : 0;
}

int zn__app_run(struct zn__app_host *h, struct zn_loop_opts *opts) {
  if (opts->stop == NULL)
    opts->stop = &zn__app_stop_asked;
  struct run_ctx c = {.h = h, .lo = opts};
  struct zn_loop_opts lo = *opts;
  lo.tick = run_tick;
  lo.arg = &c;
  return zn_loop_run(h->st, h->nif, &lo);
}

void zn__app_describe_netif(const struct zn__app_host *h, char *buf,
                            size_t size) {
  char faults[320] = "";
  if (h->fault_open) {
    const struct zn__app_opts *o = &h->o;
    char burst[96] = "";
    if (o->fault_burst_ppm)
      (void)snprintf(burst, sizeof(burst),
                     ", bursts %.2f%% of %" PRIu32 " frames, %.0f%% lost",
                     o->fault_burst_ppm / 1e4, o->fault_burst_len,
                     o->fault_burst_loss_ppm / 1e4);
    const char *dir = o->fault_loss_dirs == ZN_FAULT_RX   ? " rx only"
                      : o->fault_loss_dirs == ZN_FAULT_TX ? " tx only"
                                                          : "";
    (void)snprintf(faults, sizeof(faults),
                   " (faults: loss %.2f%%%s%s, dup %.2f%%, delay %.1f ms, "
                   "jitter %.1f ms, reorder %.2f%% by %.1f ms, CE %.2f%%, "
                   "seed %" PRIu64 ")",
                   o->fault_loss_ppm / 1e4, burst, dir, o->fault_dup_ppm / 1e4,
                   zn__app_ms(o->fault_delay_ns),
                   zn__app_ms(o->fault_jitter_ns), o->fault_reorder_ppm / 1e4,
                   zn__app_ms(o->fault_reorder_ns), o->fault_ce_ppm / 1e4,
                   o->fault_seed);
  }
  /* A description for messages: cut short is fine. */
  (void)snprintf(buf, size, "%s%s%s", h->o.netif_text,
                 h->cap_open ? " (capture)" : "", faults);
}

#ifdef ZN__APP_HAVE_PCAP
static void print_pcap_stats(FILE *fp, const struct zn__app_host *h) {
  if (h->pcap == NULL)
    return;
  struct zn_pcapif_stats ps;
  zn_pcapif_get_stats(h->pcap, &ps);
  zn__app_print_nz(fp, "pcap.frames_read", ps.frames_read);
  zn__app_print_nz(fp, "pcap.frames_delivered", ps.frames_delivered);
  zn__app_print_nz(fp, "pcap.frames_truncated", ps.frames_truncated);
  zn__app_print_nz(fp, "pcap.frames_skipped", ps.frames_skipped);
  zn__app_print_nz(fp, "pcap.frames_written", ps.frames_written);
  zn__app_print_nz(fp, "pcap.read_errors", ps.read_errors);
}
#else
static void print_pcap_stats(FILE *fp, const struct zn__app_host *h) {
  (void)fp;
  (void)h;
}
#endif

void zn__app_print_netif_stats(FILE *fp, const struct zn__app_host *h) {
  if (h->tap_open) {
    const struct zn_tap *t = &h->tap;
    zn__app_print_nz(fp, "tap.rx_frames", t->rx_frames);
    zn__app_print_nz(fp, "tap.tx_frames", t->tx_frames);
    zn__app_print_nz(fp, "tap.rx_short", t->rx_short);
    zn__app_print_nz(fp, "tap.rx_oversize", t->rx_oversize);
    zn__app_print_nz(fp, "tap.rx_nobuf", t->rx_nobuf);
    zn__app_print_nz(fp, "tap.rx_errors", t->rx_errors);
    zn__app_print_nz(fp, "tap.tx_errors", t->tx_errors);
    zn__app_print_nz(fp, "tap.rx_gso", t->rx_gso);
    zn__app_print_nz(fp, "tap.rx_gso_split", t->rx_gso_split);
    zn__app_print_nz(fp, "tap.rx_gso_bad", t->rx_gso_bad);
    zn__app_print_nz(fp, "tap.tx_csum", t->tx_csum);
    zn__app_print_nz(fp, "tap.tx_tso", t->tx_tso);
  }
  print_pcap_stats(fp, h);
  if (h->cap_open) {
    zn__app_print_nz(fp, "capture.frames", h->cap.frames);
    zn__app_print_nz(fp, "capture.errors", h->cap.errors);
  }
  zn__app_print_fault_stats(fp, h);
}

uint64_t zn__app_wall_seconds(void) {
  struct timespec ts;
  if (clock_gettime(CLOCK_REALTIME, &ts) != 0 || ts.tv_sec < 0)
    return 0;
  return (uint64_t)ts.tv_sec;
}
