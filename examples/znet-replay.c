/*
 * znet-replay: feed a capture to a stack and record what it answers.
 *
 *     znet-replay IN.pcap --out OUT.pcap --ipv4 10.0.0.2/24 --mac MAC
 *     znet-replay --netif pcap:IN.pcap,out=OUT.pcap ...
 *
 * The capture's timestamps are the stack's clock: frames arrive at the
 * times they were captured, and after the last one the stack keeps
 * running timers for --linger seconds of that clock (ARP retries,
 * reassembly timeouts) before the run ends.  Nothing sleeps, so a replay
 * takes as long as its processing.  Unless --seed is given the seed is
 * fixed (all zero), so two runs of the same command write the same output.
 *
 * To make a capture's unicast frames reach the stack, give it the
 * capture's addresses (--ipv4, --mac) and, for peers whose ARP exchange is
 * not in the capture, --arp IP=MAC.
 *
 * Prints the frames in and out and every drop counter that is non-zero.
 * Exits 0 when the replay ran (whatever the stack dropped), 1 if the
 * capture cannot be read, 2 on bad arguments.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app_int.h"
#include "znet/pcap.h"

#define PROG "znet-replay"
#define DEFAULT_LINGER_S 5u
/* Read errors tolerated before the replay gives up (each one ends the
 * file as far as libpcap is concerned, so one is the usual count). */
#define MAX_READ_ERRORS 4

struct replay_opts {
  const char *out;
  uint64_t linger_ns;
  bool verbose;
};

static const struct zn__app_opt replay_flags[] = {
    {"", 0, ZN__APP_DOC, .arg = "IN.pcap", .help = "the capture to replay"},
    {"out", 0, ZN__APP_STR, offsetof(struct replay_opts, out),
     .arg = "OUT.pcap", .help = "write the stack's frames here"},
    {"linger", 0, ZN__APP_SECONDS, offsetof(struct replay_opts, linger_ns), 0,
     ZN_SEC(86400), .arg = "SECONDS",
     .help = "keep running timers this long after the last\nframe, on the "
             "capture's clock (default 5)"},
    {"verbose", 'v', ZN__APP_FLAG, offsetof(struct replay_opts, verbose),
     .help = "print every non-zero counter to stderr"},
    {.name = NULL},
};

static void print_summary(const struct zn__app_host *h, const char *in,
                          const char *out) {
  struct zn_stats s;
  zn_stats_get(h->st, &s);
  struct zn_pcapif_stats ps;
  zn_pcapif_get_stats(h->pcap, &ps);

  printf(PROG ": %s -> %s\n", in, out ? out : "(output discarded)");
  printf("  %-26s %10" PRIu64 "\n", "capture records", ps.frames_read);
  if (ps.frames_truncated)
    printf("  %-26s %10" PRIu64 "\n", "  cut by snaplen",
           ps.frames_truncated);
  if (ps.frames_skipped)
    printf("  %-26s %10" PRIu64 "  (not deliverable)\n", "  skipped",
           ps.frames_skipped);
  if (ps.read_errors)
    printf("  %-26s %10" PRIu64 "\n", "  read errors", ps.read_errors);
  printf("  %-26s %10" PRIu64 "\n", "frames in", s.v[ZN_STAT_if_rx_frames]);
  printf("  %-26s %10" PRIu64 "\n", "frames out", s.v[ZN_STAT_if_tx_frames]);
  printf("  %-26s %10" PRIu64 "\n", "drops", zn_stats_drops(&s));
  for (int i = 0; i < ZN_STAT_COUNT; i++) {
    if (zn_stat_is_drop(i) && s.v[i] != 0)
      printf("    %-24s %10" PRIu64 "  %s\n", zn_stat_name(i), s.v[i],
             zn_stat_text(i));
  }
}

int main(int argc, char **argv) {
  static struct zn__app_host h;
  struct replay_opts r = {.out = NULL, .linger_ns = ZN_SEC(DEFAULT_LINGER_S)};
  const struct zn__app_prog prog = {
      .name = PROG,
      .synopsis = "IN.pcap [--out OUT.pcap] [OPTIONS]\n"
                  "       " PROG " --netif pcap:IN.pcap[,out=OUT.pcap] "
                  "[OPTIONS]",
      .summary = "Replay a capture into a stack on the capture's clock, "
                 "write what the stack sends,\nand count what it dropped "
                 "and why.",
      .opts = replay_flags,
      .arg = &r,
      .netif_optional = true,
  };

  zn__app_opts_default(&h.o);
  int first = zn__app_parse(&h.o, argc, argv, &prog);
  if (first < argc) {
    if (h.o.netif != ZN__APP_NETIF_NONE)
      zn__app_usage_error(PROG, "both --netif and a capture '%s' given",
                          argv[first]);
    if (first + 1 < argc)
      zn__app_usage_error(PROG, "unexpected argument '%s'", argv[first + 1]);
    zn__app_set_pcap(&h.o, argv[first], r.out);
  } else if (h.o.netif == ZN__APP_NETIF_NONE) {
    zn__app_usage_error(PROG, "no capture given");
  } else if (r.out) {
    if (h.o.pcap_out[0])
      zn__app_usage_error(PROG, "both --out and out= given");
    if (snprintf(h.o.pcap_out, sizeof(h.o.pcap_out), "%s", r.out) >=
        (int)sizeof(h.o.pcap_out))
      zn__app_usage_error(PROG, "--out: path too long");
  }
  if (h.o.netif != ZN__APP_NETIF_PCAP)
    zn__app_usage_error(PROG, "--netif must be pcap:FILE for a replay");
  if (!h.o.has_seed) {
    memset(h.o.seed, 0, sizeof(h.o.seed));
    h.o.has_seed = true; /* reproducible runs */
  }

  if (zn__app_open(&h, PROG) != 0)
    return ZN__APP_EXIT_FAIL;

  int status = 0;
  struct zn_loop_opts lo;
  memset(&lo, 0, sizeof(lo));
  lo.until = ZN_TIME_NEVER;
  lo.eof_linger = r.linger_ns;
  /* A record libpcap cannot read ends the input: the netif reports ZN_EIO
   * once, then EOF.  Report it and let the stack finish on what it got. */
  for (int errors = 0;; errors++) {
    int rc = zn__app_run(&h, &lo);
    if (rc == ZN_OK)
      break;
    if (rc == ZN_EIO && errors < MAX_READ_ERRORS && !zn__app_stop_asked) {
      fprintf(stderr, PROG ": warning: %s: %s; replaying what was read\n",
              h.o.pcap_in, zn_pcapif_error(h.pcap));
      continue;
    }
    fprintf(stderr, PROG ": replay failed: %s\n", zn_strerror(rc));
    status = ZN__APP_EXIT_FAIL;
    break;
  }

  print_summary(&h, h.o.pcap_in, h.o.pcap_out[0] ? h.o.pcap_out : NULL);
  (void)fflush(stdout);
  if (r.verbose) {
    zn__app_print_stats(stderr, h.st, PROG);
    zn__app_print_netif_stats(stderr, &h);
  }
  zn__app_close(&h, PROG);
  return status;
}
