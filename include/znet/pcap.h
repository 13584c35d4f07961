/*
 * pcap replay backend (libpcap; its own library, libznet-pcap).
 *
 * Reads a capture (pcap or pcapng, either byte order; link types Ethernet,
 * LINKTYPE_RAW and LINKTYPE_IPV4) and hands its frames to the stack with
 * the capture's timestamps as the clock: zn_netif_now() is the virtual
 * time, zn_netif_wait() advances it to the next frame or the deadline,
 * whichever is first.  Raw-IP frames get an Ethernet header addressed to
 * the stack (source: opts.peer_mac).  Frames cut by the snap length are
 * delivered cut.  Frames the stack sends are written to an output pcap
 * (Ethernet link type) if one is named.
 */
#ifndef ZNET_PCAP_H
#define ZNET_PCAP_H

#include <stdbool.h>
#include <stdint.h>

#include "znet/netif.h"

struct zn_pcapif;

struct zn_pcapif_opts {
  const char *out_path;   /* NULL: discard what the stack sends */
  uint8_t peer_mac[6];    /* source MAC for frames from raw-IP captures */
  uint32_t mtu;           /* 0: ZN_DEFAULT_MTU */
};

struct zn_pcapif_stats {
  uint64_t frames_read;       /* records read from the capture */
  uint64_t frames_delivered;  /* handed to the stack */
  uint64_t frames_truncated;  /* caplen < original length */
  uint64_t frames_skipped;    /* unusable (no buffer, too big, bad link) */
  uint64_t frames_written;    /* written to the output capture */
};

/* Open in_path for replay.  *out is allocated (hosted backend).  Errors:
 * ZN_ENOENT / ZN_EIO (unreadable), ZN_ENOTSUP (link type), ZN_EINVAL. */
int zn_pcapif_open(struct zn_pcapif **out, const char *in_path,
                   const struct zn_pcapif_opts *opts);

struct zn_netif *zn_pcapif_netif(struct zn_pcapif *p);

/* Time of the first frame (the stack's clock should start there). */
uint64_t zn_pcapif_start_time(const struct zn_pcapif *p);

/* True once every frame has been delivered. */
bool zn_pcapif_eof(const struct zn_pcapif *p);

void zn_pcapif_get_stats(const struct zn_pcapif *p, struct zn_pcapif_stats *s);

/* Flushes and closes both files and frees p (also via zn_netif_close). */
void zn_pcapif_close(struct zn_pcapif *p);

/* A libpcap error message for the last failure of zn_pcapif_open(). */
const char *zn_pcapif_last_error(void);

#endif /* ZNET_PCAP_H */
