/*
 * Linux TAP backend (/dev/net/tun, IFF_TAP | IFF_NO_PI), hosted only.
 * Non-blocking; zn_netif_wait() sleeps in poll(2) until the fd is readable
 * or the deadline (CLOCK_MONOTONIC ns, the clock zn_netif_now() reads).
 * Frames are read straight into pool buffers at their headroom offset.
 */
#ifndef ZNET_TAP_H
#define ZNET_TAP_H

#include "znet/netif.h"

struct zn_tap {
  struct zn_netif nif;  /* first: a struct zn_tap * is a struct zn_netif * */
  int fd;
  char name[16];
  uint64_t rx_short;    /* reads that returned a frame shorter than 14 */
};

/* Attach to (or create) TAP device `name` (IFNAMSIZ-1 chars max).  mtu 0
 * means ZN_DEFAULT_MTU.  Does not configure the kernel side.  Errors:
 * ZN_EPERM (no CAP_NET_ADMIN), ZN_ENODEV (no /dev/net/tun), ZN_EINVAL,
 * ZN_EIO. */
int zn_tap_open(struct zn_tap *t, const char *name, uint32_t mtu);

#endif /* ZNET_TAP_H */
