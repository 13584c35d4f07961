/** \file
 * memlink: an in-memory Ethernet link joining two stacks in one process,
 * for tests and benchmarks.  Freestanding (no libc beyond memcpy).
 *
 * Each end is a netif.  A frame sent on one end is queued (by reference,
 * no copy) at the other; the receiving end copies it into a buffer from its
 * own stack's pool, as a NIC would DMA it, and frees the sender's buffer.
 * Each direction holds at most `qlen` frames; more are dropped and counted.
 * Neither end has a clock: drive both stacks with the same virtual time.
 *
 * send: ZN_ENOBUFS (frame dropped, `drops` counted) if the peer's queue is
 * full.  A buffer someone else still references (ref > 1) is copied into a
 * buffer from the sender's alloc hook instead of being queued, since the
 * queue links frames through `next`; no buffer for the copy is a drop too.
 * recv: ZN_EAGAIN when the queue is empty, and also after dropping the
 * head frame (counted in `drops`) because the alloc hook gave no buffer or
 * the frame does not fit one.  next_deadline: the end's `now` while frames
 * wait on its queue (work due now), ZN_TIME_NEVER otherwise.  close: frees
 * the frames waiting at that end.
 */
#ifndef ZNET_MEMLINK_H
#define ZNET_MEMLINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "znet/buf.h"
#include "znet/netif.h"

struct zn_memlink_end;

/** Which end a frame sent on a fan's peer end goes to (zn_memlink_init_fan);
 * NULL drops it (counted in the sender's `drops`).  frame is the whole
 * Ethernet frame, len bytes. */
typedef struct zn_memlink_end *(*zn_memlink_steer_fn)(void *arg,
                                                      const uint8_t *frame,
                                                      size_t len);

struct zn_memlink_end {
  struct zn_netif nif;          /**< first */
  struct zn_memlink_end *peer;  /**< where sent frames go (unless steer) */
  zn_memlink_steer_fn steer;    /**< a fan's peer end: picks the end */
  void *steer_arg;
  struct zn_bufq rxq;           /**< frames sent by the peer, not yet read */
  struct zn_bufq segq;          /**< segments cut from a TSO frame, to read */
  uint32_t qlen;
  uint64_t tx_frames, rx_frames, drops;
  uint64_t tso_cut;             /**< TSO frames cut into segments */
  uint64_t csum_done;           /**< partial checksums completed */
};

struct zn_memlink {
  struct zn_memlink_end a, b;
};

/** mtu 0: ZN_DEFAULT_MTU; qlen 0: 256. */
void zn_memlink_init(struct zn_memlink *l, uint32_t mtu, uint32_t qlen);

/**
 * A fan: one end (peer) joined to n ends (shards[0..n)), as one device's
 * queues joined to the network: what a shard sends goes to peer; what
 * peer sends goes to the shard steer() picks (flow steering, in tests:
 * several stacks sharing one address).  mtu and qlen as
 * zn_memlink_init(); each end is initialised here.  Purge each end with
 * zn_memlink_end_purge().
 */
void zn_memlink_init_fan(struct zn_memlink_end *peer,
                         struct zn_memlink_end *shards, uint32_t n,
                         uint32_t mtu, uint32_t qlen, zn_memlink_steer_fn steer,
                         void *steer_arg);

/** Free the frames waiting at one end. */
void zn_memlink_end_purge(struct zn_memlink_end *e);

/** Free frames still queued in both directions. */
void zn_memlink_purge(struct zn_memlink *l);

/** Offloads on both ends (off after init): each offers
 * ZN_NETIF_CAP_TX_CSUM and ZN_NETIF_CAP_TSO and, on receive, completes
 * checksums left partial and cuts TSO frames into segments the way a
 * device would (see memlink.c), for testing a stack's use of them. */
void zn_memlink_set_offloads(struct zn_memlink *l, bool on);

#endif /* ZNET_MEMLINK_H */
