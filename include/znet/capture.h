/*
 * Capture decorator: wraps any netif and writes every frame received and
 * sent to a pcap file (nanosecond timestamps from the stack clock,
 * Ethernet link type) that tcpdump and Wireshark read.  Hosted only (stdio);
 * needs no libpcap.
 */
#ifndef ZNET_CAPTURE_H
#define ZNET_CAPTURE_H

#include <stdint.h>

#include "znet/netif.h"

struct zn_capture {
  struct zn_netif nif;    /* first */
  struct zn_netif *inner;
  void *fp;               /* FILE * */
  uint64_t frames;        /* frames written */
  uint64_t errors;        /* write errors (capture continues, frames flow) */
};

/* Wrap inner and start writing path (truncated).  Errors: ZN_EIO. */
int zn_capture_open(struct zn_capture *c, struct zn_netif *inner,
                    const char *path);

#endif /* ZNET_CAPTURE_H */
