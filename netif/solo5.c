/*
 * Solo5 backend (znet/solo5.h): the NET_BASIC device of an hvt or spt
 * unikernel.  Freestanding: <solo5.h> is all it includes beyond znet.
 *
 * One solo5_net_read() is one frame, read at the buffer's headroom offset
 * into the whole tailroom.  A buffer taken for a read that finds nothing
 * is kept as `spare` for the next one, so an idle poll allocates nothing.
 */
#include <solo5.h>
#include <string.h>

#include "znet/err.h"
#include "znet/solo5.h"

#define ETH_HDR_LEN 14u
#define VLAN_TAG_LEN 4u
/* Frames read per recv call while skipping unusable ones, before giving
 * up with ZN_EAGAIN, so a flood of runts cannot hold one poll. */
#define SOLO5_RX_SCAN 16

static struct zn_solo5 *solo5_of(struct zn_netif *nif) {
  return ZN_CONTAINER_OF(nif, struct zn_solo5, nif);
}

/* The largest frame the device may deliver: the MTU, the Ethernet header
 * and one 802.1Q tag. */
static size_t rx_max(const struct zn_solo5 *s) {
  return (size_t)s->nif.mtu + ETH_HDR_LEN + VLAN_TAG_LEN;
}

static int solo5_recv(struct zn_netif *nif, struct zn_buf **out) {
  struct zn_solo5 *s = solo5_of(nif);
  for (int scan = 0; scan < SOLO5_RX_SCAN; scan++) {
    struct zn_buf *b = s->spare;
    s->spare = NULL;
    if (b == NULL)
      b = zn_netif_alloc(nif);
    if (b == NULL) {
      /* The ABI cannot skip a frame without a buffer to read it into:
       * leave it queued in the device (the tender drops what overflows). */
      s->rx_nobuf++;
      s->pending = false;
      return ZN_EAGAIN;
    }
    size_t room = zn_buf_tailroom(b);
    size_t got = 0;
    solo5_result_t rc = solo5_net_read(s->handle, zn_buf_tail(b), room, &got);
    if (rc == SOLO5_R_AGAIN) {
      s->spare = b;
      s->pending = false;
      return ZN_EAGAIN;
    }
    if (rc != SOLO5_R_OK) {
      s->spare = b;
      s->pending = false;
      s->rx_errors++;
      return ZN_EIO;
    }
    s->pending = true;
    /* room > rx_max (checked at open), so a frame the ABI cut to the
     * buffer's size is caught here as oversize. */
    if (got > rx_max(s) || got > room) {
      s->rx_oversize++;
      s->spare = b;
      continue;
    }
    if (got < ETH_HDR_LEN) {
      s->rx_short++;
      s->spare = b;
      continue;
    }
    b->len += (uint32_t)got;
    s->rx_frames++;
    *out = b;
    return ZN_OK;
  }
  return ZN_EAGAIN;
}

static int solo5_send(struct zn_netif *nif, struct zn_buf *b) {
  struct zn_solo5 *s = solo5_of(nif);
  int rc = ZN_OK;
  /* The ABI takes at most mtu + SOLO5_NET_HLEN bytes. */
  if (b->len > (size_t)nif->mtu + SOLO5_NET_HLEN) {
    s->tx_oversize++;
    rc = ZN_EMSGSIZE;
  } else if (solo5_net_write(s->handle, b->data, b->len) != SOLO5_R_OK) {
    s->tx_errors++;
    rc = ZN_EIO;
  } else {
    s->tx_frames++;
  }
  zn_buf_free(b);
  return rc;
}

static int solo5_wait(struct zn_netif *nif, uint64_t deadline) {
  struct zn_solo5 *s = solo5_of(nif);
  solo5_handle_set_t ready = 0;
  /* ZN_TIME_NEVER is UINT64_MAX: solo5_yield() then returns only when a
   * device is ready. */
  solo5_yield((solo5_time_t)deadline, &ready);
  s->yields++;
  if (s->handle < 64 && (ready & ((solo5_handle_set_t)1 << s->handle))) {
    s->wakeups++;
    s->pending = true;
  }
  return ZN_OK;
}

static uint64_t solo5_now(struct zn_netif *nif) {
  (void)nif;
  return solo5_clock_monotonic();
}

/* Frames may still wait in the device: more work now. */
static uint64_t solo5_next_deadline(struct zn_netif *nif) {
  return solo5_of(nif)->pending ? nif->now : ZN_TIME_NEVER;
}

static void solo5_close(struct zn_netif *nif) {
  struct zn_solo5 *s = solo5_of(nif);
  zn_buf_free(s->spare);
  s->spare = NULL;
}

static const struct zn_netif_ops solo5_ops = {
    .kind = "solo5",
    .recv = solo5_recv,
    .send = solo5_send,
    .wait = solo5_wait,
    .now = solo5_now,
    .next_deadline = solo5_next_deadline,
    .close = solo5_close,
};

int zn_solo5_open(struct zn_solo5 *s, const char *name) {
  memset(s, 0, sizeof(*s));
  if (name == NULL)
    return ZN_EINVAL;
  solo5_handle_t h;
  struct solo5_net_info info;
  memset(&info, 0, sizeof(info));
  if (solo5_net_acquire(name, &h, &info) != SOLO5_R_OK)
    return ZN_ENODEV;
  /* Pool buffers hold ZN_DEFAULT_MTU: a larger device MTU is used only
   * up to that, and the tailroom always exceeds rx_max(). */
  uint32_t mtu = info.mtu > 0 && info.mtu < ZN_DEFAULT_MTU
                     ? (uint32_t)info.mtu
                     : ZN_DEFAULT_MTU;
  zn_netif_init(&s->nif, &solo5_ops, mtu);
  memcpy(s->nif.mac, info.mac_address, sizeof(s->nif.mac));
  s->nif.has_mac = true;
  s->handle = h;
  /* Read at once: frames may have arrived before the first poll. */
  s->pending = true;
  return ZN_OK;
}

/* The tailroom of a fresh buffer exceeds the largest frame, so a frame
 * the ABI cut short is always recognisable (see solo5_recv). */
_Static_assert(ZN_BUF_SIZE - ZN_BUF_HEADROOM >
                   ZN_DEFAULT_MTU + ETH_HDR_LEN + VLAN_TAG_LEN,
               "a frame buffer must hold more than the largest frame");

int zn_solo5_run(struct zn_stack *st, struct zn_netif *nif,
                 const struct zn_solo5_run_opts *opts) {
  if (st == NULL || nif == NULL || nif->ops->wait == NULL ||
      nif->ops->now == NULL)
    return ZN_EINVAL;
  for (;;) {
    uint64_t now = zn_netif_now(nif);
    int rc = zn_stack_poll(st, now);
    if (rc < 0)
      return rc;
    if (opts && opts->tick && opts->tick(opts->arg, st, now) != 0)
      return ZN_OK;
    uint64_t next = zn_stack_next_deadline(st);
    if (next <= now)
      continue; /* frames still waiting, or timers due: poll again */
    rc = zn_netif_wait(nif, next);
    if (rc < 0)
      return rc;
  }
}
