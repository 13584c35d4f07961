/*
 * The pcap reader (netif/pcap.c over libpcap): the input is a capture
 * file, handed to zn_pcapif_open through an in-memory file (memfd, so
 * nothing touches the disk), and replayed into a stack on the capture's
 * clock until the end, as znet-replay does.  Every record must be counted
 * once (delivered or skipped) and every frame delivered must reach the
 * stack; the stack must end with every buffer back.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz_util.h"
#include "znet/loop.h"
#include "znet/pcap.h"

static int fd = -1;
static char path[64];

/* Make the memory file hold exactly the input. */
static bool load(const uint8_t *d, size_t n) {
  if (fd < 0) {
    fd = memfd_create("fuzz_pcap", 0);
    if (fd < 0)
      fz_fail(__FILE__, __LINE__, "memfd_create failed");
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
  }
  if (ftruncate(fd, 0) != 0)
    return false;
  size_t done = 0;
  while (done < n) {
    ssize_t w = pwrite(fd, d + done, n - done, (off_t)done);
    if (w <= 0)
      return false;
    done += (size_t)w;
  }
  return true;
}

static uint64_t ps_errors(const struct zn_pcapif *pi) {
  struct zn_pcapif_stats ps;
  zn_pcapif_get_stats(pi, &ps);
  return ps.read_errors;
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) {
  if (!load(d, n))
    return 0;
  struct zn_pcapif_opts o;
  memset(&o, 0, sizeof(o));
  memcpy(o.local_mac, "\2\0\0\0\0\2", 6);
  struct zn_pcapif *pi;
  if (zn_pcapif_open(path, &o, &pi, NULL) != ZN_OK)
    return 0;
  struct zn_config cfg;
  fz_config(&cfg, 2);
  struct zn_stack *st = th_stack_new(&cfg);
  FZ_CHECK(st != NULL);
  struct zn_netif *nif = zn_pcapif_netif(pi);
  FZ_CHECK(zn_stack_attach(st, nif) == ZN_OK);
  struct fz_server srv;
  fz_server_start(&srv, st);
  zn_stack_poll(st, zn_pcapif_start_time(pi));
  struct zn_loop_opts lo;
  memset(&lo, 0, sizeof(lo));
  lo.eof_linger = ZN_SEC(5);
  /* A record libpcap cannot read ends the replay with ZN_EIO. */
  int rc = zn_loop_run(st, nif, &lo);
  FZ_CHECK(rc == ZN_OK || rc == ZN_EIO);
  FZ_CHECK(rc == ZN_EIO || zn_pcapif_eof(pi));
  if (rc == ZN_EIO)
    FZ_CHECK(ps_errors(pi) == 1);
  struct zn_pcapif_stats ps;
  zn_pcapif_get_stats(pi, &ps);
  FZ_CHECK(ps.frames_delivered + ps.frames_skipped <= ps.frames_read);
  FZ_CHECK(ps.frames_truncated <= ps.frames_read);
  FZ_CHECK(zn_stat(st, ZN_STAT_if_rx_frames) == ps.frames_delivered);
  fz_server_close(&srv);
  zn_stack_poll(st, zn_stack_now(st) + ZN_SEC(1));
  fz_check_stack(st);
  th_stack_free(st);
  zn_pcapif_close(pi);
  fz_check_harness();
  return 0;
}
