/** \file
 * Network interfaces: the one vtable every backend implements.
 *
 * The shape follows the Solo5 network ABI so that a Solo5 backend is a thin
 * wrapper: one frame per call, a non-blocking read that says "nothing now"
 * (ZN_EAGAIN, like SOLO5_R_AGAIN), and a separate wait that sleeps until a
 * frame may be ready or a deadline passes (like solo5_yield()).
 *
 * Frames are whole Ethernet frames without FCS.  Receive buffers come from
 * the stack through the alloc hook, so a backend reads straight into pool
 * memory at the buffer's headroom offset (zero copy up to the device).
 *
 * Decorators (capture, fault injection) are netifs that wrap another one;
 * zn_netif_wrap() forwards the alloc hook and the clock to the inner netif.
 */
#ifndef ZNET_NETIF_H
#define ZNET_NETIF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "znet/buf.h"
#include "znet/container.h"
#include "znet/time.h"

struct zn_netif;

struct zn_netif_ops {
  /** Short name of the backend kind ("tap", "pcap", "memlink", ...). */
  const char *kind;

  /** Receive at most one frame.  On ZN_OK *out holds a buffer (obtained with
   * zn_netif_alloc()) whose data/len are the frame; the caller owns it.
   * ZN_EAGAIN: nothing to read now.  ZN_EOF: the source is exhausted
   * (replay).  Other errors: the interface failed; *out is untouched. */
  int (*recv)(struct zn_netif *nif, struct zn_buf **out);

  /** Send one frame.  Consumes b, always.  Returns ZN_OK if the frame was
   * handed to the device, an error (counted by the caller) otherwise. */
  int (*send)(struct zn_netif *nif, struct zn_buf *b);

  /** Optional, hosted backends: block until a frame may be readable or the
   * absolute time `deadline` (on this netif's clock) has come.  May return
   * early.  ZN_TIME_NEVER waits without limit. */
  int (*wait)(struct zn_netif *nif, uint64_t deadline);

  /** Optional: the current time of the clock this netif runs on (a real
   * monotonic clock for TAP, capture timestamps for pcap replay).  NULL
   * means the caller supplies time itself. */
  uint64_t (*now)(struct zn_netif *nif);

  /** Optional: the earliest time the netif has work of its own (a frame held
   * back by a delay), ZN_TIME_NEVER if none.  Folded into
   * zn_stack_next_deadline(). */
  uint64_t (*next_deadline)(struct zn_netif *nif);

  /** Optional: called at the start of every zn_stack_poll(), after `now`
   * is set, so a decorator can release frames it holds back. */
  void (*poll)(struct zn_netif *nif);

  /** Optional: release what the backend holds.  The stack never calls it;
   * the owner of the netif does, through zn_netif_close(). */
  void (*close)(struct zn_netif *nif);
};

/** Allocation hook: returns an empty buffer with headroom, or NULL. */
typedef struct zn_buf *(*zn_netif_alloc_fn)(void *ctx);

/**
 * Offloads.  A backend that can do more than move whole frames says so in
 * `caps`; the stack uses what is offered and falls back to doing the work
 * itself otherwise.  Decorators (zn_netif_wrap) offer none.
 *
 * ZN_NETIF_CAP_TX_CSUM: send() completes the TCP or UDP checksum of an
 *   IPv4 or IPv6 frame flagged ZN_BUF_F_CSUM_PARTIAL, whose checksum field
 *   holds the (uncomplemented, folded) pseudo-header sum.  Over IPv6 the
 *   transport header may follow extension headers.
 * ZN_NETIF_CAP_TSO: send() takes a TCP frame (IPv4 or IPv6) longer than
 *   the MTU whose gso_size is set and sends it as segments of gso_size
 *   payload bytes each, the headers copied, sequence numbers, IP lengths
 *   (IPv4: IDs and header checksums) and checksums fixed, FIN and PSH only
 *   on the last.  Needs TX_CSUM; the frame is also flagged
 *   ZN_BUF_F_CSUM_PARTIAL.
 *
 * Receive offloads need no capability: a backend flags buffers whose
 * transport checksum it (or the device) has checked ZN_BUF_F_CSUM_OK, and
 * may deliver a TCP frame (IPv4 or IPv6) longer than the MTU (coalesced
 * segments of one flow, in a buffer from alloc_big) when the device sends
 * such.
 */
#define ZN_NETIF_CAP_TX_CSUM 0x0001u
#define ZN_NETIF_CAP_TSO 0x0002u
/** The largest IP datagram a TSO frame may carry. */
#define ZN_NETIF_TSO_MAX 65535u

struct zn_netif {
  const struct zn_netif_ops *ops;
  uint32_t mtu;              /**< largest IP datagram per frame */
  uint32_t caps;             /**< ZN_NETIF_CAP_*, set by the backend */
  uint8_t mac[6];            /**< hardware address, if has_mac */
  bool has_mac;              /**< the device has an address of its own */
  uint64_t now;              /**< time of the current poll, set by the stack */
  zn_netif_alloc_fn alloc;   /**< set by zn_stack_attach() or zn_netif_wrap() */
  zn_netif_alloc_fn alloc_big; /**< the same for a large buffer (64 KiB of
                                * tailroom); NULL or NULL returns: none */
  void *alloc_ctx;
};

/** Fill in the common fields: ops, mtu (0 = ZN_DEFAULT_MTU), no address. */
void zn_netif_init(struct zn_netif *nif, const struct zn_netif_ops *ops,
                   uint32_t mtu);

/** Make `outer` a decorator of `inner`: inner allocates through outer's hook
 * and takes outer's mtu and address.  Call before attaching outer. */
void zn_netif_wrap(struct zn_netif *outer, struct zn_netif *inner);

/** A receive buffer from the attached stack's pool; NULL if none. */
static inline struct zn_buf *zn_netif_alloc(struct zn_netif *nif) {
  return nif->alloc ? nif->alloc(nif->alloc_ctx) : NULL;
}

static inline int zn_netif_recv(struct zn_netif *nif, struct zn_buf **out) {
  return nif->ops->recv(nif, out);
}

static inline int zn_netif_send(struct zn_netif *nif, struct zn_buf *b) {
  return nif->ops->send(nif, b);
}

/** A large receive buffer (ZN_BIGBUF_SIZE) from the attached stack's pool
 * of them; NULL if none. */
static inline struct zn_buf *zn_netif_alloc_big(struct zn_netif *nif) {
  return nif->alloc_big ? nif->alloc_big(nif->alloc_ctx) : NULL;
}

/** A receive buffer from the attached stack's pool holding a copy of the
 * len bytes at frame; NULL if no buffer is free or the frame does not fit
 * (the caller counts it).  For backends whose device cannot write into
 * pool memory, and decorators that must copy a frame. */
struct zn_buf *zn_netif_copy_frame(struct zn_netif *nif, const void *frame,
                                   size_t len);

/** ZN_OK at once if the backend cannot wait. */
int zn_netif_wait(struct zn_netif *nif, uint64_t deadline);

/** The netif's clock; ZN_TIME_NEVER if it has none. */
uint64_t zn_netif_now(struct zn_netif *nif);

/** ZN_TIME_NEVER if the backend has no deadline of its own. */
uint64_t zn_netif_next_deadline(struct zn_netif *nif);

/** Release the backend's resources (no-op without a close op). */
void zn_netif_close(struct zn_netif *nif);

#endif /* ZNET_NETIF_H */
