/** \file
 * Linux TAP backend (/dev/net/tun, IFF_TAP | IFF_NO_PI), hosted only.
 * Non-blocking; zn_netif_wait() sleeps in ppoll(2) until the fd is readable
 * or the deadline (CLOCK_MONOTONIC ns, the clock zn_netif_now() reads).
 * Frames are read straight into pool buffers at their headroom offset.
 */
#ifndef ZNET_TAP_H
#define ZNET_TAP_H

#include <stdbool.h>
#include <stdint.h>

#include "znet/netif.h"

struct zn_tap {
  struct zn_netif nif;  /**< first: a struct zn_tap * is a struct zn_netif * */
  int fd;
  char name[16];        /**< the device's name (the kernel's pick if "") */
  struct zn_buf *spare; /**< receive buffer kept across empty reads */
  bool vnet;            /**< offloads on: a virtio_net_hdr with every frame */
  struct zn_buf *spare_big; /**< large receive buffer kept for the next read */
  uint8_t *bounce;      /**< the rest of a large frame with no large buffer */
  struct zn_bufq rxq;   /**< segments cut from such a frame, to deliver */
  uint64_t rx_frames, tx_frames;
  uint64_t rx_gso;      /**< coalesced TCP frames received (over a buffer) */
  uint64_t rx_gso_split; /**< of those, cut into segments: no large buffer */
  uint64_t rx_gso_bad;  /**< large frames dropped: not the TCP/IPv4 or
                         * TCP/IPv6 we asked for, or inconsistent headers */
  uint64_t tx_csum;     /**< frames sent with the checksum left to the kernel */
  uint64_t tx_tso;      /**< of those, TCP frames the kernel segments */
  uint64_t rx_short;    /**< reads that returned a frame shorter than 14 */
  uint64_t rx_oversize; /**< frames larger than a buffer's tailroom, dropped */
  uint64_t rx_nobuf;    /**< frames dropped: the alloc hook gave no buffer */
  uint64_t rx_errors;   /**< read(2) failures other than EAGAIN/EINTR */
  uint64_t tx_errors;   /**< frames write(2) did not take whole */
};

/**
 * Attach to (or create) TAP device `name` (IFNAMSIZ-1 chars max; "" lets
 * the kernel pick tapN, stored in t->name).  mtu 0 means ZN_DEFAULT_MTU.
 * Does not configure the kernel side (address, link up).  The device is
 * not persistent: it disappears when the netif is closed.
 * Errors: ZN_EPERM (no CAP_NET_ADMIN), ZN_ENODEV (no /dev/net/tun),
 * ZN_EINVAL (NULL or bad name, or a device of that name that is not a
 * TAP), ZN_EEXIST (the TAP is already attached by someone else), ZN_EIO.
 *
 * recv: ZN_EAGAIN when nothing is readable, and also after dropping a
 * frame (counted above).  send: ZN_EIO (counted) if the kernel refused the
 * frame (e.g. the link is down).  wait: ppoll(2) with ns precision;
 * returns ZN_OK early on a signal.  now: zn_host_now().
 * Close with zn_netif_close(&t->nif): closes the fd, frees the spare.
 */
int zn_tap_open(struct zn_tap *t, const char *name, uint32_t mtu);

/** zn_tap_open with flags.  ZN_TAP_NO_OFFLOAD: plain frames, no virtio
 * header, no offloads (zn_tap_open turns them on: see tap.c).  Also
 * ZN_ENOMEM if the 64 KiB bounce buffer cannot be had. */
#define ZN_TAP_NO_OFFLOAD 0x1u
int zn_tap_open_flags(struct zn_tap *t, const char *name, uint32_t mtu,
                      uint32_t flags);

#endif /* ZNET_TAP_H */
