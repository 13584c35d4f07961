/*
 * The skeleton backend (netif/skeleton.h): the smallest complete netif,
 * written to be copied.  To port znet to a device, copy this file and its
 * header, rename skel_ to your device's name, and replace the three
 * s->dev callbacks with your driver's calls.  Everything else here is
 * what every backend must get right; solo5.c and tap.c are real examples
 * of the same shape.
 *
 * The contract (include/znet/netif.h says it in full):
 *
 *  - recv hands the stack at most one frame per call, in a buffer that
 *    came from the stack's pool (zn_netif_alloc), with data/len exactly
 *    the Ethernet frame, no FCS.  Read the device straight into the
 *    buffer's tailroom so that the frame is never copied again.  Say
 *    ZN_EAGAIN when nothing is waiting: recv never blocks.
 *  - Every frame the backend throws away is counted once, by reason
 *    (rx_short, rx_oversize...), and a flood of bad frames cannot keep one
 *    call busy: recv gives up with ZN_EAGAIN after SKEL_RX_SCAN of them.
 *  - send consumes the buffer it is given, always, on success and on
 *    failure; a failure is counted here and returned (the stack counts it
 *    too).  Never keep a pointer to b after freeing it.
 *  - wait, now and next_deadline are optional.  A device that cannot sleep
 *    leaves wait NULL and the caller's loop polls; a backend with no clock
 *    of its own leaves now NULL and the caller passes time in.
 *  - The backend allocates nothing: its state lives in the struct the
 *    caller provides, and the one buffer it keeps (spare) goes back to the
 *    pool in close.
 *
 * Freestanding: memcpy/memset and znet only, so it builds into a
 * unikernel as it is.
 */
#include <string.h>

#include "skeleton.h"
#include "znet/config.h"
#include "znet/err.h"

#define ETH_HDR_LEN 14u
#define VLAN_TAG_LEN 4u
/* Frames examined per recv call while dropping bad ones. */
#define SKEL_RX_SCAN 16

static struct skel_netif *skel_of(struct zn_netif *nif) {
  return ZN_CONTAINER_OF(nif, struct skel_netif, nif);
}

/* The longest frame the stack can be handed: MTU, Ethernet header and one
 * 802.1Q tag. */
static size_t rx_max(const struct skel_netif *s) {
  return (size_t)s->nif.mtu + ETH_HDR_LEN + VLAN_TAG_LEN;
}

/* A buffer to read into: the one an empty read left, or a new one. */
static struct zn_buf *rx_buffer(struct skel_netif *s) {
  struct zn_buf *b = s->spare;
  s->spare = NULL;
  return b != NULL ? b : zn_netif_alloc(&s->nif);
}

/* True if the frame of len bytes read into b may go to the stack;
 * otherwise counts why not.  A device that cuts long frames to the
 * buffer's size reports len == room: the backend reads into the whole
 * tailroom, which is more than rx_max, so such a frame is oversize. */
static bool rx_frame_ok(struct skel_netif *s, size_t len, size_t room) {
  if (len > rx_max(s) || len > room) {
    s->rx_oversize++;
    return false;
  }
  if (len < ETH_HDR_LEN) {
    s->rx_short++;
    return false;
  }
  return true;
}

static int skel_recv(struct zn_netif *nif, struct zn_buf **out) {
  struct skel_netif *s = skel_of(nif);
  for (int scan = 0; scan < SKEL_RX_SCAN; scan++) {
    struct zn_buf *b = rx_buffer(s);
    if (b == NULL) {
      /* Leave the frame in the device: the stack frees buffers as it
       * works, and the device drops what overflows its own ring. */
      s->rx_nobuf++;
      return ZN_EAGAIN;
    }
    size_t room = zn_buf_tailroom(b), len = 0;
    enum skel_dev_result rc = s->dev.read(s->dev.dev, zn_buf_tail(b), room,
                                          &len);
    if (rc != SKEL_DEV_OK) {
      s->spare = b; /* an idle poll then allocates nothing */
      if (rc == SKEL_DEV_AGAIN)
        return ZN_EAGAIN;
      s->rx_errors++;
      return ZN_EIO;
    }
    if (!rx_frame_ok(s, len, room)) {
      s->spare = b;
      continue;
    }
    b->len += (uint32_t)len; /* len <= room: fits */
    s->rx_frames++;
    *out = b;
    return ZN_OK;
  }
  return ZN_EAGAIN;
}

static int skel_send(struct zn_netif *nif, struct zn_buf *b) {
  struct skel_netif *s = skel_of(nif);
  int rc = ZN_OK;
  if (b->len > rx_max(s)) {
    s->tx_oversize++;
    rc = ZN_EMSGSIZE;
  } else {
    switch (s->dev.write(s->dev.dev, b->data, b->len)) {
    case SKEL_DEV_OK:
      s->tx_frames++;
      break;
    case SKEL_DEV_AGAIN:
      s->tx_busy++;
      rc = ZN_ENOBUFS;
      break;
    default:
      s->tx_errors++;
      rc = ZN_EIO;
      break;
    }
  }
  zn_buf_free(b); /* consumed, whatever happened */
  return rc;
}

static int skel_wait(struct zn_netif *nif, uint64_t deadline) {
  struct skel_netif *s = skel_of(nif);
  if (s->dev.wait != NULL)
    s->dev.wait(s->dev.dev, deadline);
  return ZN_OK;
}

static void skel_close(struct zn_netif *nif) {
  struct skel_netif *s = skel_of(nif);
  zn_buf_free(s->spare);
  s->spare = NULL;
}

/* No now and no next_deadline: this device has no clock of its own and
 * holds no frames back, so the stack's deadline is the only one. */
static const struct zn_netif_ops skel_ops = {
    .kind = "skeleton",
    .recv = skel_recv,
    .send = skel_send,
    .wait = skel_wait,
    .close = skel_close,
};

int skel_netif_open(struct skel_netif *s, const struct skel_device *dev) {
  memset(s, 0, sizeof(*s));
  if (dev == NULL || dev->read == NULL || dev->write == NULL ||
      dev->mtu > ZN_DEFAULT_MTU)
    return ZN_EINVAL;
  s->dev = *dev;
  zn_netif_init(&s->nif, &skel_ops, dev->mtu);
  memcpy(s->nif.mac, dev->mac, sizeof(s->nif.mac));
  s->nif.has_mac = true;
  return ZN_OK;
}
