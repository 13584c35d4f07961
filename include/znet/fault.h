/** \file
 * Fault injector: a decorator around any netif that, with seeded
 * randomness, drops, duplicates, corrupts, delays and reorders frames, in
 * either direction, and marks ECN-capable IP packets "congestion
 * experienced" as a router's queue management would.  Loss is either
 * independent per frame or comes in bursts (a Gilbert-Elliott channel per
 * direction), and may be confined to one direction while the other faults
 * apply to both.  Freestanding.  Deterministic for a given seed and
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
  uint32_t loss_ppm;      /**< independent loss; with the burst model, the
                             loss in its good state */
  /** The directions loss (loss_ppm and the burst model) applies to, of
   * those in dirs: ZN_FAULT_RX on a sender's netif loses only what it
   * receives (the ACKs), ZN_FAULT_TX only what it sends.  0: all of dirs. */
  uint32_t loss_dirs;
  /** Burst loss, a two-state Gilbert-Elliott channel per direction,
   * starting good: after each frame the good state turns bad with
   * probability burst_enter_ppm, the bad state good with burst_exit_ppm
   * (so a bad spell lasts 1e6 / burst_exit_ppm frames on average, and a
   * share burst_enter / (burst_enter + burst_exit) of the frames meet the
   * bad state).  A frame in the bad state is lost with probability
   * burst_loss_ppm (1000000: every one), in the good state with loss_ppm.
   * burst_enter_ppm 0: no bursts.  The channel moves with frames, not
   * time, so a spell met by sparse frames (a SYN and its retries, the
   * ACKs of RTO retransmissions) lasts as long as they keep coming:
   * burst_max_ns ends a spell that old at the next frame (0: never). */
  uint32_t burst_enter_ppm;
  uint32_t burst_exit_ppm;
  uint32_t burst_loss_ppm;
  uint64_t burst_max_ns;
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
  uint64_t lost;        /**< dropped by loss_ppm or in a burst */
  uint64_t lost_rx;     /**< of lost: received frames */
  uint64_t burst_lost;  /**< of lost: dropped in the bad state */
  uint64_t bursts;      /**< turns from the good state to the bad */
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
  struct zn_fault_cfg cfg; /**< as given, loss_dirs resolved */
  uint64_t rng;
  /** Frames held back per direction, sorted by release time (in cb): the
   * tail is the latest, so a constant delay appends without a walk. */
  struct zn_bufq held_rx;
  struct zn_bufq held_tx;
  uint32_t nheld;
  uint32_t bad;           /**< directions whose burst channel is bad */
  uint64_t bad_since[2];  /**< when it turned bad: [0] RX, [1] TX */
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
 *
 * Held frames are buffers of the stack's pool (or copies from the alloc
 * hook): a delay D at a rate of R frames per second holds about R * D of
 * them, so max_held (and the pool behind it) must cover the bandwidth-delay
 * product, or frames beyond it are dropped and counted as overflow.
 * Holding costs O(1) per frame when every frame of a direction gets the
 * same delay, and a walk of the queue with jitter or reordering.
 */
void zn_fault_init(struct zn_fault *f, struct zn_netif *inner,
                   const struct zn_fault_cfg *cfg);

/** Free every frame held back. */
void zn_fault_purge(struct zn_fault *f);

#endif /* ZNET_FAULT_H */
