/** \file
 * Fault injector: a decorator around any netif that, with seeded
 * randomness, drops, duplicates, corrupts, delays and reorders frames, in
 * either direction, and marks ECN-capable IP packets "congestion
 * experienced" as a router's queue management would.  Freestanding.  Deterministic for a given seed and
 * sequence of calls, so a failing test replays exactly.
 */
#ifndef ZNET_FAULT_H
#define ZNET_FAULT_H

#include <stdint.h>

#include "znet/buf.h"
#include "znet/netif.h"

#define ZN_FAULT_RX 1u
#define ZN_FAULT_TX 2u

struct zn_fault_cfg {
  uint64_t seed;
  uint32_t dirs;          /**< ZN_FAULT_RX | ZN_FAULT_TX */
  /** Probabilities in parts per million. */
  uint32_t loss_ppm;
  uint32_t dup_ppm;
  uint32_t corrupt_ppm;   /**< flip one random bit */
  uint32_t ce_ppm;        /**< set CE in the ECN field of an IPv4 or IPv6
                             packet that is ECN-capable (ECT(0), ECT(1);
                             RFC 3168 §5), the IPv4 header checksum
                             adjusted; others pass untouched */
  uint32_t reorder_ppm;   /**< hold a frame back by reorder_delay_ns */
  uint64_t delay_ns;      /**< added to every frame */
  uint64_t jitter_ns;     /**< uniform 0..jitter added to delay */
  uint64_t reorder_delay_ns;
  uint32_t max_held;      /**< frames held at once (0: 256); beyond, dropped */
};

struct zn_fault_stats {
  uint64_t passed;      /**< frames handed on (duplicates included) */
  uint64_t lost;        /**< dropped by loss_ppm */
  uint64_t duplicated;  /**< extra copies made */
  uint64_t corrupted;   /**< frames with one bit flipped */
  uint64_t ce_marked;   /**< ECN-capable packets marked CE */
  uint64_t delayed;     /**< frames held by delay_ns + jitter */
  uint64_t reordered;   /**< frames held by reorder_delay_ns */
  uint64_t overflow;    /**< dropped: max_held frames already held */
  uint64_t nobuf;       /**< dropped: a private copy was needed (to corrupt,
                           hold or duplicate a frame) and the alloc hook
                           gave no buffer */
};

struct zn_fault {
  struct zn_netif nif;    /**< first */
  struct zn_netif *inner;
  struct zn_fault_cfg cfg;
  uint64_t rng;
  struct zn_buf *held_rx; /**< sorted by release time (cb) */
  struct zn_buf *held_tx;
  uint32_t nheld;
  struct zn_fault_stats stats;
};

/**
 * Wrap inner (zn_netif_wrap()): attach f->nif to the stack, not inner.
 * cfg is copied.  The outer netif's alloc hook supplies the buffers for
 * copies (a duplicate on RX; a corrupted or held frame that is shared).
 *
 * Directions: TX faults apply in send(); a lost or held frame still
 * returns ZN_OK (the wire took it), ZN_ENOBUFS if a needed copy found no
 * buffer.  Held TX frames go to inner from ops->poll (and before each
 * send) once nif->now reaches their release time.  RX faults apply to
 * what inner's recv returns; held RX frames come out of recv once due,
 * and while any is held an inner ZN_EOF is reported as ZN_EAGAIN.
 * ops->next_deadline is the earliest held release time (or inner's).
 * ops->close is zn_fault_purge() (inner is not closed).
 */
void zn_fault_init(struct zn_fault *f, struct zn_netif *inner,
                   const struct zn_fault_cfg *cfg);

/** Free every frame held back. */
void zn_fault_purge(struct zn_fault *f);

#endif /* ZNET_FAULT_H */
