/** \file
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
  struct zn_netif nif;    /**< first */
  struct zn_netif *inner;
  void *fp;               /**< FILE * */
  uint64_t frames;        /**< frames written */
  uint64_t errors;        /**< write errors (capture continues, frames flow) */
};

/** Wrap inner (zn_netif_wrap(): attach c->nif, not inner) and start
 * writing path (truncated).  A frame is recorded when inner's recv returns
 * it and before it is handed to inner's send, stamped with nif->now.  The
 * decorator waits and tells time only if inner does.  Close with
 * zn_netif_close(&c->nif): flushes and closes the file (errors counted),
 * does not close inner.  Errors: ZN_EINVAL (NULL argument), ZN_EIO (path
 * cannot be written); c is then closed already. */
int zn_capture_open(struct zn_capture *c, struct zn_netif *inner,
                    const char *path);

#endif /* ZNET_CAPTURE_H */
