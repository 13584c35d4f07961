/*
 * Linux TAP backend (/dev/net/tun, IFF_TAP | IFF_NO_PI), hosted only.
 * Non-blocking; zn_netif_wait() sleeps in ppoll(2) until the fd is readable
 * or the deadline (CLOCK_MONOTONIC ns, the clock zn_netif_now() reads).
 * Frames are read straight into pool buffers at their headroom offset.
 */
#ifndef ZNET_TAP_H
#define ZNET_TAP_H

#include <stdint.h>

#include "znet/netif.h"

struct zn_tap {
  struct zn_netif nif;  /* first: a struct zn_tap * is a struct zn_netif * */
  int fd;
  char name[16];        /* the device's name (the kernel's pick if "") */
  struct zn_buf *spare; /* receive buffer kept across empty reads */
  uint64_t rx_frames, tx_frames;
  uint64_t rx_short;    /* reads that returned a frame shorter than 14 */
  uint64_t rx_oversize; /* frames larger than a buffer's tailroom, dropped */
  uint64_t rx_nobuf;    /* frames dropped: the alloc hook gave no buffer */
  uint64_t rx_errors;   /* read(2) failures other than EAGAIN/EINTR */
  uint64_t tx_errors;   /* frames write(2) did not take whole */
};

/*
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

#endif /* ZNET_TAP_H */
