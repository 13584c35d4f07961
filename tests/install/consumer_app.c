/* A program of libznet-app's, built by scripts/install-check with
 * `pkg-config znet-app` alone, and compiled by the installed znet-cc for
 * the installed znet-image to link into an image (the same file): its
 * stack on a replayed capture of one ARP request for its address, run
 * to the capture's end by zn_app_run, the request answered. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <znet/app.h>

/* A pcap file: its header (little-endian, Ethernet), then at second 1 an
 * ARP request from 10.0.0.1 for 10.0.0.2. */
static const uint8_t capture[] = {
    0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0xff, 0xff, 0, 0, 1, 0, 0, 0,
    1, 0, 0, 0, 0, 0, 0, 0, 42, 0, 0, 0, 42, 0, 0, 0,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1, 0x08, 0x06,
    0, 1, 0x08, 0, 6, 4, 0, 1, 2, 0, 0, 0, 0, 1, 10, 0, 0, 1,
    0, 0, 0, 0, 0, 0, 10, 0, 0, 2};

static uint64_t stat_of(struct zn_app *app, const char *name) {
  struct zn_stats s;
  zn_stats_get(zn_app_stack(app), &s);
  for (int i = 0; i < ZN_STAT_COUNT; i++)
    if (strcmp(zn_stat_name(i), name) == 0)
      return s.v[i];
  return 0;
}

int main(int argc, char **argv) {
  char path[] = "/tmp/znet-app-XXXXXX";
  int fd = mkstemp(path);
  if (argc < 1 || fd < 0 ||
      write(fd, capture, sizeof capture) != (ssize_t)sizeof capture)
    return 1;
  close(fd);
  char netif[64], flag[] = "--netif", ipv4[] = "--ipv4",
                  addr[] = "10.0.0.2/24";
  snprintf(netif, sizeof netif, "pcap:%s", path);
  char *args[] = {argv[0], flag, netif, ipv4, addr, NULL};
  /* The banner ("consumer: 10.0.0.2/24 mac ... on pcap:...") aside. */
  fflush(stdout);
  int saved = dup(1), null = open("/dev/null", O_WRONLY);
  dup2(null, 1);
  struct zn_app *app;
  static const struct zn_app_opts o = {.name = "consumer"};
  int rc = zn_app_open(5, args, &o, &app);
  fflush(stdout);
  dup2(saved, 1);
  close(null);
  close(saved);
  if (rc == ZN_OK)
    rc = zn_app_run(app, NULL);
  uint64_t answered = rc == ZN_OK ? stat_of(app, "arp_req_rx") : 0;
  zn_app_close(app);
  unlink(path);
  printf("zn_app_open and zn_app_run on a replayed capture: %s, ARP "
         "requests answered %llu\n",
         zn_err_name(rc), (unsigned long long)answered);
  return rc == ZN_OK && answered == 1 ? 0 : 1;
}
