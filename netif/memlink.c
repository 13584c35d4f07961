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
 *
 * With offloads on (zn_memlink_set_offloads), each end offers checksum
 * offload and TSO, and does on receive what a device does on send:
 * completes a checksum left partial and cuts a TSO frame into segments,
 * deriving each segment's pseudo-header sum from the one in the frame
 * (as Linux's tcp_gso_segment does), so that a wrong partial sum from
 * the sender shows as a bad checksum at the receiver.
 */
#include <string.h>

#include "znet/err.h"
#include "znet/memlink.h"
#include "znet/wire.h"

#define MEMLINK_DEFAULT_QLEN 256u

static struct zn_memlink_end *end_of(struct zn_netif *nif) {
  return ZN_CONTAINER_OF(nif, struct zn_memlink_end, nif);
}

/* The transport header's offset in frame b, and the checksum field's in
 * it, as the stack marked them (csum_l4len, csum_field: what a device is
 * told); 0 if the marks disagree with the frame's own headers (TCP or
 * UDP over IPv4 or IPv6), so that a wrong mark shows in the tests that
 * run over this link. */
static size_t l4_of(const struct zn_buf *b, size_t *field, size_t *ipoff) {
  size_t l4;
  uint8_t proto;
  bool v6;
  if (!zn_eth_ip_locate(b->data, b->len, ipoff, &l4, &proto, &v6) ||
      (proto != ZN_IPPROTO_TCP && proto != ZN_IPPROTO_UDP))
    return 0;
  *field = proto == ZN_IPPROTO_TCP ? 16 : 6;
  if (b->csum_l4len != b->len - l4 || b->csum_field != *field)
    return 0;
  return l4 + *field + 2 <= b->len ? l4 : 0;
}

/* Finish a partial checksum in frame f of len bytes, the transport
 * header at l4, its checksum field at l4 + field: the field holds the
 * pseudo-header sum, so the checksum of everything from the transport
 * header on is the value. */
static void csum_finish(uint8_t *f, size_t len, size_t l4, size_t field) {
  uint16_t c = zn_csum(f + l4, len - l4);
  if (c == 0 && field == 6)
    c = 0xffff; /* UDP: 0 means "no checksum" */
  zn_wr16(f + l4 + field, c);
}

/* The same for b's frame, into f (its copy of b->len bytes), where b's
 * marks say.  False if they were wrong. */
static bool csum_complete(const struct zn_buf *b, uint8_t *f) {
  size_t field, ipoff, l4 = l4_of(b, &field, &ipoff);
  if (l4 == 0)
    return false;
  csum_finish(f, b->len, l4, field);
  return true;
}

/* Cut TSO frame src into segments of src->gso_size payload bytes, in
 * buffers from nif's pool, onto e->segq.  False if a buffer was missing
 * (the rest is dropped, as by a device with an empty ring). */
static bool segment(struct zn_memlink_end *e, const struct zn_buf *src) {
  const uint8_t *f = src->data;
  size_t field, ipoff, l4 = l4_of(src, &field, &ipoff);
  if (l4 == 0 || field != 16 || src->len < l4 + 20)
    return false;
  size_t hdr = l4 + (size_t)(f[l4 + 12] >> 4) * 4;
  if (hdr > src->len)
    return false;
  size_t pay = src->len - hdr, mss = src->gso_size;
  uint32_t tcp_len = (uint32_t)(src->len - l4);
  uint16_t partial = zn_rd16(f + l4 + 16);
  for (size_t off = 0, i = 0; off < pay; off += mss, i++) {
    size_t k = pay - off < mss ? pay - off : mss;
    struct zn_buf *s = zn_netif_alloc(&e->nif);
    if (s == NULL || zn_buf_tailroom(s) < hdr + k) {
      zn_buf_free(s);
      return false;
    }
    uint8_t *p = zn_buf_put(s, hdr + k);
    zn_tcp_gso_segment(p, f, ipoff, l4, hdr, off, k, i, off + k == pay);
    uint8_t *th = p + l4;
    /* The partial sum counted the whole frame's TCP length: take it out
     * and put this segment's in (ones' complement arithmetic). */
    uint32_t sum = (uint32_t)partial + (uint16_t)~tcp_len +
                   (uint32_t)(hdr - l4 + k);
    while (sum >> 16)
      sum = (sum & 0xffff) + (sum >> 16);
    zn_wr16(th + 16, (uint16_t)sum);
    csum_finish(p, hdr + k, l4, 16);
    zn_bufq_push(&e->segq, s);
  }
  return true;
}

static int memlink_send(struct zn_netif *nif, struct zn_buf *b) {
  struct zn_memlink_end *e = end_of(nif);
  struct zn_memlink_end *peer =
      e->steer ? e->steer(e->steer_arg, b->data, b->len) : e->peer;

  if (peer == NULL || peer->rxq.count >= peer->qlen) {
    e->drops++;
    zn_buf_free(b);
    return ZN_ENOBUFS;
  }
  if (!zn_buf_writable(b)) {
    struct zn_buf *c = zn_netif_copy_frame(nif, b->data, b->len);
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
  if (e->segq.count) {
    e->rx_frames++;
    *out = zn_bufq_pop(&e->segq);
    return ZN_OK;
  }
  struct zn_buf *src = zn_bufq_pop(&e->rxq);
  if (src == NULL)
    return ZN_EAGAIN;
  if ((src->flags & ZN_BUF_F_CSUM_PARTIAL) && src->gso_size) {
    e->tso_cut++;
    if (!segment(e, src))
      e->drops++;
    zn_buf_free(src);
    if (!e->segq.count)
      return ZN_EAGAIN;
    e->rx_frames++;
    *out = zn_bufq_pop(&e->segq);
    return ZN_OK;
  }
  struct zn_buf *dst = zn_netif_copy_frame(nif, src->data, src->len);
  if (dst != NULL && (src->flags & ZN_BUF_F_CSUM_PARTIAL) &&
      !csum_complete(src, dst->data)) {
    zn_buf_free(dst); /* a device told the wrong place */
    dst = NULL;
  } else if (dst != NULL && (src->flags & ZN_BUF_F_CSUM_PARTIAL)) {
    e->csum_done++;
  }
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
  zn_bufq_purge(&end_of(nif)->segq);
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
  zn_bufq_init(&e->segq);
  e->qlen = qlen;
}

void zn_memlink_init(struct zn_memlink *l, uint32_t mtu, uint32_t qlen) {
  if (qlen == 0)
    qlen = MEMLINK_DEFAULT_QLEN;
  end_init(&l->a, &l->b, mtu, qlen);
  end_init(&l->b, &l->a, mtu, qlen);
}

void zn_memlink_init_fan(struct zn_memlink_end *peer,
                         struct zn_memlink_end *shards, uint32_t n,
                         uint32_t mtu, uint32_t qlen, zn_memlink_steer_fn steer,
                         void *steer_arg) {
  if (qlen == 0)
    qlen = MEMLINK_DEFAULT_QLEN;
  end_init(peer, NULL, mtu, qlen);
  peer->steer = steer;
  peer->steer_arg = steer_arg;
  for (uint32_t i = 0; i < n; i++)
    end_init(&shards[i], peer, mtu, qlen);
}

void zn_memlink_end_purge(struct zn_memlink_end *e) {
  zn_bufq_purge(&e->rxq);
  zn_bufq_purge(&e->segq);
}

void zn_memlink_purge(struct zn_memlink *l) {
  zn_bufq_purge(&l->a.rxq);
  zn_bufq_purge(&l->b.rxq);
  zn_bufq_purge(&l->a.segq);
  zn_bufq_purge(&l->b.segq);
}

void zn_memlink_set_offloads(struct zn_memlink *l, bool on) {
  uint32_t caps = on ? ZN_NETIF_CAP_TX_CSUM | ZN_NETIF_CAP_TSO : 0;
  l->a.nif.caps = caps;
  l->b.nif.caps = caps;
}
