/*
 * The skeleton backend: a complete, minimal netif to copy when porting
 * znet to a new network device.  See netif/skeleton.c for the walk
 * through; this header is what a port's header would look like.
 *
 * It is not part of the library (nothing installs it): the tests build it
 * (tests/netif/test_skeleton.c) so that it always compiles and works.
 *
 * The "device" here is what most devices offer, as three callbacks a port
 * replaces with its own driver calls:
 *
 *     read   copy one waiting frame into memory the backend gives
 *     write  take one frame to transmit
 *     wait   optional: sleep until a frame may have arrived or a deadline
 */
#ifndef ZN_NETIF_SKELETON_H
#define ZN_NETIF_SKELETON_H

#include <stddef.h>
#include <stdint.h>

#include "znet/netif.h"

/* Results of the device callbacks (a port maps its driver's codes). */
enum skel_dev_result {
  SKEL_DEV_OK = 0,       /* a frame was read / taken */
  SKEL_DEV_AGAIN = 1,    /* read: nothing waiting; write: ring full */
  SKEL_DEV_FAIL = -1,    /* the device failed */
};

struct skel_device {
  /* Copy the next waiting frame into buf (cap bytes) and set *len to its
   * length.  A frame longer than cap must set *len to its true length
   * (the backend then drops it) or be cut by the device to cap. */
  enum skel_dev_result (*read)(void *dev, uint8_t *buf, size_t cap,
                               size_t *len);
  /* Transmit len bytes at frame (copied before returning). */
  enum skel_dev_result (*write)(void *dev, const uint8_t *frame, size_t len);
  /* Optional (NULL: the backend cannot sleep): return when a frame may be
   * readable or the absolute time deadline (ns) has come. */
  void (*wait)(void *dev, uint64_t deadline);
  void *dev;             /* the driver's own state, passed back */
  uint8_t mac[6];        /* the device's hardware address */
  uint32_t mtu;          /* largest IP datagram per frame; 0: 1500 */
};

struct skel_netif {
  struct zn_netif nif;   /* what the stack sees (any position works:
                            the backend finds itself by ZN_CONTAINER_OF) */
  struct skel_device dev;
  struct zn_buf *spare;  /* receive buffer kept across empty reads */
  /* Every frame the backend drops is counted once, by reason. */
  uint64_t rx_frames, tx_frames;
  uint64_t rx_short;     /* shorter than an Ethernet header */
  uint64_t rx_oversize;  /* longer than mtu + 18, or cut by the device */
  uint64_t rx_nobuf;     /* no receive buffer from the stack */
  uint64_t rx_errors;    /* the device's read failed */
  uint64_t tx_oversize;  /* longer than mtu + 18: not sent */
  uint64_t tx_busy;      /* the device's transmit ring was full */
  uint64_t tx_errors;    /* the device's write failed */
};

/* Set s up over dev (copied).  Errors: ZN_EINVAL (no read or write
 * callback, or an MTU above ZN_DEFAULT_MTU: larger frames do not fit a
 * pool buffer). */
int skel_netif_open(struct skel_netif *s, const struct skel_device *dev);

#endif /* ZN_NETIF_SKELETON_H */
