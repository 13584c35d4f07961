/* The timing wheel's fast paths, inline for its callers (the stack's
 * poll and its next deadline, TCP's timer stops): each tests what it can
 * in the wheel's kept state and calls timer.c only when there is work.
 * timer.c itself does not include this file: it defines what these
 * call. */
#ifndef ZN_CORE_TIMER_INLINE_H
#define ZN_CORE_TIMER_INLINE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/timer_int.h"
#include "znet/timer.h"

/* Move the wheel to the tick of now_ns.  The stack does this at the start
 * of each poll, so that timers armed while frames are processed are placed
 * relative to the right current tick, and runs the due timers at its end;
 * most polls fall within the wheel's tick and move nothing. */
static inline void zn__wheel_sync(struct zn__wheel *w, uint64_t now_ns) {
  if (now_ns >= w->cur_end_ns)
    zn__wheel_advance(w, zn__ns_to_tick(now_ns));
}

/* Earliest tick at which something may be due (a lower bound for timers
 * on levels above 0); UINT64_MAX if none; w->cur if some are due now.
 * (The kept value, looked for again if a stop has emptied its list: the
 * kept value is a cache of the timer lists, so a reader through a const
 * stack may refresh it, as zn__peer_hash fills its memo.) */
static inline uint64_t zn__wheel_next(const struct zn__wheel *w) {
  if (zn__wheel_next_stale(w))
    zn__wheel_find_next((struct zn__wheel *)(uintptr_t)w);
  return w->next;
}

/* zn_timer_stop for the callers that stop timers far more often than
 * they find them armed (TCP stops its three on every segment it sends
 * and at every close): the test inline, the call only when armed. */
static inline void zn__timer_stop(struct zn_stack *st, struct zn_timer *t) {
  if (zn_timer_pending(t))
    zn_timer_stop(st, t);
}

#endif
