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
#include <stdint.h>

#include "znet/buf.h"
#include "znet/netif.h"

struct zn_memlink_end {
  struct zn_netif nif;          /**< first */
  struct zn_memlink_end *peer;
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

/** Free frames still queued in both directions. */
void zn_memlink_purge(struct zn_memlink *l);

/** Offloads on both ends (off after init): each offers
 * ZN_NETIF_CAP_TX_CSUM and ZN_NETIF_CAP_TSO and, on receive, completes
 * checksums left partial and cuts TSO frames into segments the way a
 * device would (see memlink.c), for testing a stack's use of them. */
void zn_memlink_set_offloads(struct zn_memlink *l, bool on);

#endif /* ZNET_MEMLINK_H */
