/* Generic netif helpers: defaults for optional ops and decorator wiring. */
#include <string.h>

#include "znet/err.h"
#include "znet/netif.h"

void zn_netif_init(struct zn_netif *nif, const struct zn_netif_ops *ops,
                   uint32_t mtu) {
  memset(nif, 0, sizeof(*nif));
  nif->ops = ops;
  nif->mtu = mtu ? mtu : ZN_DEFAULT_MTU;
}

/* The inner netif allocates through whatever hook the outer one has at the
 * time of the call, so wrapping may happen before the stack attaches. */
static struct zn_buf *forward_alloc(void *ctx) {
  struct zn_netif *outer = ctx;
  return zn_netif_alloc(outer);
}

static struct zn_buf *forward_alloc_big(void *ctx) {
  struct zn_netif *outer = ctx;
  return zn_netif_alloc_big(outer);
}

void zn_netif_wrap(struct zn_netif *outer, struct zn_netif *inner) {
  inner->alloc = forward_alloc;
  inner->alloc_big = forward_alloc_big;
  inner->alloc_ctx = outer;
  outer->mtu = inner->mtu;
  memcpy(outer->mac, inner->mac, sizeof(outer->mac));
  outer->has_mac = inner->has_mac;
  outer->now = inner->now;
}

struct zn_buf *zn_netif_copy_frame(struct zn_netif *nif, const void *frame,
                                   size_t len) {
  struct zn_buf *b = zn_netif_alloc(nif);
  if (b == NULL)
    return NULL;
  if (zn_buf_tailroom(b) < len) {
    zn_buf_free(b);
    return NULL;
  }
  memcpy(b->data, frame, len);
  b->len = (uint32_t)len; /* fits: at most the tailroom */
  return b;
}

int zn_netif_wait(struct zn_netif *nif, uint64_t deadline) {
  if (nif->ops->wait == NULL)
    return ZN_OK;
  return nif->ops->wait(nif, deadline);
}

uint64_t zn_netif_now(struct zn_netif *nif) {
  if (nif->ops->now == NULL)
    return ZN_TIME_NEVER;
  return nif->ops->now(nif);
}

uint64_t zn_netif_next_deadline(struct zn_netif *nif) {
  if (nif->ops->next_deadline == NULL)
    return ZN_TIME_NEVER;
  return nif->ops->next_deadline(nif);
}

void zn_netif_close(struct zn_netif *nif) {
  if (nif->ops && nif->ops->close)
    nif->ops->close(nif);
}
