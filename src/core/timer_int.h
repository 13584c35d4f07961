/* The timing wheel behind znet/timer.h: 6 levels of 64 slots.  A timer
 * sits at the level of the highest 6-bit group in which its expiry tick
 * differs from the current tick, so each level's slots are always ahead of
 * the current slot in the same rotation.  Advancing moves only the slots
 * passed over; their timers expire or drop to a lower level.  Insert and
 * delete are O(1); each timer moves down at most 5 times. */
#ifndef ZN_CORE_TIMER_INT_H
#define ZN_CORE_TIMER_INT_H

#include <stdint.h>

#include "znet/timer.h"

#define ZN__WHEEL_BITS 6
#define ZN__WHEEL_SLOTS 64
#define ZN__WHEEL_LEVELS 6
#define ZN__WHEEL_MAX_DELTA ((1ull << (ZN__WHEEL_BITS * ZN__WHEEL_LEVELS)) - 1)

struct zn__wheel {
  uint64_t cur;                       /* current tick */
  uint64_t pending[ZN__WHEEL_LEVELS]; /* bit s: slot s non-empty */
  struct zn_timer *slot[ZN__WHEEL_LEVELS][ZN__WHEEL_SLOTS];
  struct zn_timer *expired;           /* due, waiting for the next run */
  uint32_t count;                     /* timers pending */
};

struct zn_stack;
void zn__wheel_init(struct zn__wheel *w, uint64_t now_tick);
void zn__wheel_add(struct zn__wheel *w, struct zn_timer *t);
void zn__wheel_del(struct zn__wheel *w, struct zn_timer *t);
/* Move the wheel to now_tick and hand every due timer to the list *due
 * (timers linked as on a slot, pprev set; still counted in `count`). */
void zn__wheel_advance(struct zn__wheel *w, uint64_t now_tick,
                       struct zn_timer **due);
/* Move the wheel to now_tick, keeping due timers for the next run.  The
 * stack does this at the start of each poll so that timers armed while
 * frames are processed are placed relative to the right current tick. */
void zn__wheel_sync(struct zn__wheel *w, uint64_t now_tick);
/* Advance to `now` (ns) and run every due timer's callback.  Timers
 * started during the run for a time already past run on the next call. */
void zn__timers_run(struct zn_stack *st, uint64_t now);
/* Earliest tick at which something may be due (a lower bound for timers
 * on levels above 0); UINT64_MAX if none; w->cur if some are due now. */
uint64_t zn__wheel_next(const struct zn__wheel *w);

/* zn_timer_stop for the callers that stop timers far more often than
 * they find them armed (TCP stops its three on every segment it sends
 * and at every close): the test inline, the call only when armed. */
static inline void zn__timer_stop(struct zn_stack *st, struct zn_timer *t) {
  if (zn_timer_pending(t))
    zn_timer_stop(st, t);
}

static inline uint64_t zn__ns_to_tick_ceil(uint64_t ns) {
  return ns / ZN_TIMER_TICK_NS + (ns % ZN_TIMER_TICK_NS != 0);
}
static inline uint64_t zn__ns_to_tick(uint64_t ns) {
  return ns / ZN_TIMER_TICK_NS;
}

#endif
