/*
 * Fault injector: a decorator around any netif that, with seeded
 * randomness, drops, duplicates, corrupts, delays and reorders frames, in
 * either direction.  Freestanding.  Deterministic for a given seed and
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
  uint32_t dirs;          /* ZN_FAULT_RX | ZN_FAULT_TX */
  /* Probabilities in parts per million. */
  uint32_t loss_ppm;
  uint32_t dup_ppm;
  uint32_t corrupt_ppm;   /* flip one random bit */
  uint32_t reorder_ppm;   /* hold a frame back by reorder_delay_ns */
  uint64_t delay_ns;      /* added to every frame */
  uint64_t jitter_ns;     /* uniform 0..jitter added to delay */
  uint64_t reorder_delay_ns;
  uint32_t max_held;      /* frames held at once (0: 256); beyond, dropped */
};

struct zn_fault_stats {
  uint64_t passed, lost, duplicated, corrupted, delayed, reordered,
      overflow;
};

struct zn_fault {
  struct zn_netif nif;    /* first */
  struct zn_netif *inner;
  struct zn_fault_cfg cfg;
  uint64_t rng;
  struct zn_buf *held_rx; /* sorted by release time (cb) */
  struct zn_buf *held_tx;
  uint32_t nheld;
  struct zn_fault_stats stats;
};

void zn_fault_init(struct zn_fault *f, struct zn_netif *inner,
                   const struct zn_fault_cfg *cfg);

/* Free every frame held back. */
void zn_fault_purge(struct zn_fault *f);

#endif /* ZNET_FAULT_H */
