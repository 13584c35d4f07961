/** \file
 * pcap replay backend (libpcap; its own library, libznet-pcap).
 *
 * Reads a capture (pcap or pcapng, either byte order; link types Ethernet,
 * LINKTYPE_RAW, LINKTYPE_IPV4 and LINKTYPE_IPV6) and hands its frames to
 * the stack with the capture's timestamps as the clock: zn_netif_now() is the virtual
 * time, zn_netif_wait() advances it to the next frame or the deadline,
 * whichever is first.  Raw-IP frames get an Ethernet header addressed to
 * the stack (destination: opts.local_mac, source: opts.peer_mac).  Frames
 * cut by the snap length are delivered cut.  Frames the stack sends are
 * written to an output pcap (Ethernet link type, nanosecond timestamps
 * from the virtual clock) if one is named.
 *
 * The clock: it starts at the first frame's timestamp; recv() delivers the
 * next frame once its timestamp is <= the clock (the later of the virtual
 * time and nif->now, so a caller that drives zn_stack_poll() with its own
 * times works too), ZN_EAGAIN before, ZN_EOF after the last one.
 * next_deadline() is the next frame's timestamp.  wait(deadline) moves the
 * clock to min(next frame, deadline) at once; with no frame left and
 * ZN_TIME_NEVER it returns ZN_EOF instead of waiting forever.  Timestamps
 * that go backwards in the capture are clamped (the clock is monotonic).
 * A record libpcap cannot read (a truncated file) ends the replay: recv
 * returns ZN_EIO once (zn_pcapif_error() says why), then ZN_EOF.
 */
#ifndef ZNET_PCAP_H
#define ZNET_PCAP_H

#include <stdbool.h>
#include <stdint.h>

#include "znet/netif.h"

struct zn_pcapif;

struct zn_pcapif_opts {
  const char *out_path;   /**< NULL: discard what the stack sends */
  uint8_t peer_mac[6];    /**< source MAC for frames from raw-IP captures;
                             all zero: 02:7a:6e:65:74:01 */
  uint8_t local_mac[6];   /**< the stack's MAC: destination of frames from
                             raw-IP captures.  Non-zero: the netif also
                             reports it as its address (has_mac), which a
                             stack configured without one adopts.  All
                             zero: for raw-IP captures the netif uses and
                             reports 02:7a:6e:65:74:00; for Ethernet
                             captures it has no address. */
  uint32_t mtu;           /**< 0: ZN_DEFAULT_MTU */
};

struct zn_pcapif_stats {
  uint64_t frames_read;       /**< records read from the capture */
  uint64_t frames_delivered;  /**< handed to the stack */
  uint64_t frames_truncated;  /**< caplen < original length */
  uint64_t frames_skipped;    /**< unusable (no buffer, too big, bad link) */
  uint64_t frames_written;    /**< written to the output capture */
  uint64_t read_errors;       /**< records libpcap could not read */
};

/** Room for a message of zn_pcapif_open() or zn_pcapif_error(), with its
 * terminating NUL (libpcap's PCAP_ERRBUF_SIZE and a path). */
#define ZN_PCAPIF_ERRLEN 512

/** Open in_path for replay.  *out is allocated (hosted backend); opts may
 * be NULL (all defaults).  On failure *out is NULL and, if err is not
 * NULL, err (ZN_PCAPIF_ERRLEN bytes, owned by the caller) says why in
 * libpcap's words where it has them; on success err holds "".  Errors:
 * ZN_ENOENT (no such file), ZN_EIO (unreadable, not a capture, or
 * out_path cannot be created), ZN_ENOTSUP (link type), ZN_EINVAL (NULL
 * in_path or out), ZN_ENOMEM.  No state is kept outside *out: opening
 * several captures at once, from several threads, is fine. */
int zn_pcapif_open(const char *in_path, const struct zn_pcapif_opts *opts,
                   struct zn_pcapif **out, char *err);

struct zn_netif *zn_pcapif_netif(struct zn_pcapif *p);

/** Time of the first frame (the stack's clock should start there). */
uint64_t zn_pcapif_start_time(const struct zn_pcapif *p);

/** True once every frame has been delivered. */
bool zn_pcapif_eof(const struct zn_pcapif *p);

void zn_pcapif_get_stats(const struct zn_pcapif *p, struct zn_pcapif_stats *s);

/** Flushes and closes both files and frees p (also via zn_netif_close). */
void zn_pcapif_close(struct zn_pcapif *p);

/** Why the last record read failed (recv returned ZN_EIO), in libpcap's
 * words; "" if none did.  Valid until p is closed. */
const char *zn_pcapif_error(const struct zn_pcapif *p);

#endif /* ZNET_PCAP_H */
