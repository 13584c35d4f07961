/*
 * What the benches that run two znet stacks in one process share: the
 * configuration of a stack at 10.0.0.LAST (fixed seed, static MAC, no
 * ARP announcement) and a step of the virtual clock over a memlink.
 */
#ifndef ZNB_PAIR_H
#define ZNB_PAIR_H

#include <stdbool.h>
#include <stdint.h>

#include "znet.h"
#include "znet/memlink.h"

/* The defaults, then a stack at addr whose seed and MAC end in last. */
static inline void znb_config(struct zn_config *cfg, uint32_t addr,
                              uint8_t last) {
  zn_config_default(cfg);
  for (int i = 0; i < 32; i++)
    cfg->seed[i] = (uint8_t)(i * 7 + last);
  cfg->ipv4_addr = addr;
  cfg->ipv4_prefix = 24;
  cfg->mac[0] = 2;
  cfg->mac[5] = last;
  cfg->has_mac = true;
  cfg->arp_announce = false;
}

/* Poll both stacks once at *now; then, unless *done (done may be NULL)
 * or a frame is in flight on l, move *now to the next deadline (1 ms on
 * if there is none). */
static inline void znb_step(struct zn_stack *a, struct zn_stack *b,
                            const struct zn_memlink *l, uint64_t *now,
                            const bool *done) {
  zn_stack_poll(a, *now);
  zn_stack_poll(b, *now);
  if ((done && *done) || l->a.rxq.count || l->b.rxq.count)
    return;
  uint64_t da = zn_stack_next_deadline(a);
  uint64_t db = zn_stack_next_deadline(b);
  uint64_t d = da < db ? da : db;
  if (d > *now)
    *now = d == ZN_TIME_NEVER ? *now + ZN_MS(1) : d;
}

#endif
