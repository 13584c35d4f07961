/*
 * memlink: two netifs joined back to back in memory.
 *
 * A sent frame is queued by reference on the peer's rxq; the peer copies it
 * into a buffer from its own pool when its stack reads it, as a NIC DMAs
 * into host memory, so the two stacks never share storage for longer than
 * the frame is in flight.
 *
 * Invariant: every buffer on an rxq is held by that queue alone (ref 1), so
 * the queue may use its `next` link.  A shared buffer (a duplicate from the
 * fault injector, a frame another layer still holds) is copied at send time
 * instead of being linked in.
 */
#include <string.h>

#include "znet/err.h"
#include "znet/memlink.h"

#define MEMLINK_DEFAULT_QLEN 256u

static struct zn_memlink_end *end_of(struct zn_netif *nif) {
  return (struct zn_memlink_end *)(void *)nif;
}

/* A copy of b from `nif`'s pool; NULL if no buffer or it does not fit. */
static struct zn_buf *copy_frame(struct zn_netif *nif, const struct zn_buf *b) {
  struct zn_buf *c = zn_netif_alloc(nif);
  if (c == NULL)
    return NULL;
  if (zn_buf_tailroom(c) < b->len) {
    zn_buf_free(c);
    return NULL;
  }
  memcpy(c->data, b->data, b->len);
  c->len = b->len;
  return c;
}

static int memlink_send(struct zn_netif *nif, struct zn_buf *b) {
  struct zn_memlink_end *e = end_of(nif);
  struct zn_memlink_end *peer = e->peer;

  if (peer->rxq.count >= peer->qlen) {
    e->drops++;
    zn_buf_free(b);
    return ZN_ENOBUFS;
  }
  if (!zn_buf_writable(b)) {
    struct zn_buf *c = copy_frame(nif, b);
    zn_buf_free(b);
    if (c == NULL) {
      e->drops++;
      return ZN_ENOBUFS;
    }
    b = c;
  }
  zn_bufq_push(&peer->rxq, b);
  e->tx_frames++;
  return ZN_OK;
}

/* A frame that finds no buffer, or does not fit one, is dropped as a NIC
 * with an empty RX ring would drop it; the next frame stays queued, so an
 * exhausted pool drains the queue one frame per poll rather than all at
 * once. */
static int memlink_recv(struct zn_netif *nif, struct zn_buf **out) {
  struct zn_memlink_end *e = end_of(nif);
  struct zn_buf *src = zn_bufq_pop(&e->rxq);
  if (src == NULL)
    return ZN_EAGAIN;
  struct zn_buf *dst = copy_frame(nif, src);
  zn_buf_free(src);
  if (dst == NULL) {
    e->drops++;
    return ZN_EAGAIN;
  }
  e->rx_frames++;
  *out = dst;
  return ZN_OK;
}

/* Frames waiting on the queue are work due now. */
static uint64_t memlink_next_deadline(struct zn_netif *nif) {
  struct zn_memlink_end *e = end_of(nif);
  return e->rxq.count ? nif->now : ZN_TIME_NEVER;
}

static void memlink_close(struct zn_netif *nif) {
  zn_bufq_purge(&end_of(nif)->rxq);
}

static const struct zn_netif_ops memlink_ops = {
    .kind = "memlink",
    .recv = memlink_recv,
    .send = memlink_send,
    .next_deadline = memlink_next_deadline,
    .close = memlink_close,
};

static void end_init(struct zn_memlink_end *e, struct zn_memlink_end *peer,
                     uint32_t mtu, uint32_t qlen) {
  memset(e, 0, sizeof(*e));
  zn_netif_init(&e->nif, &memlink_ops, mtu);
  e->peer = peer;
  zn_bufq_init(&e->rxq);
  e->qlen = qlen;
}

void zn_memlink_init(struct zn_memlink *l, uint32_t mtu, uint32_t qlen) {
  if (qlen == 0)
    qlen = MEMLINK_DEFAULT_QLEN;
  end_init(&l->a, &l->b, mtu, qlen);
  end_init(&l->b, &l->a, mtu, qlen);
}

void zn_memlink_purge(struct zn_memlink *l) {
  zn_bufq_purge(&l->a.rxq);
  zn_bufq_purge(&l->b.rxq);
}
