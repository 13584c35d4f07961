/** \file
 * Timers.
 *
 * Timers are intrusive: embed a struct zn_timer in your own object, set it
 * up once with zn_timer_init(), arm it with zn_timer_start(), and find your
 * object again in the callback with ZN_CONTAINER_OF.  The stack keeps them
 * in a hierarchical timing wheel (levels of 64 slots, enough to cover every
 * tick; 1 ms ticks by default): starting, stopping and expiring a timer are
 * O(1) whatever the number of timers.  A timer fires during
 * zn_stack_poll() once `now` has reached its expiry, rounded up to the
 * next tick, never before, however far ahead it is set (one set for
 * ZN_TIME_NEVER never fires: its tick starts after the last nanosecond).
 *
 * A callback may start or stop any timer, including its own.
 */
#ifndef ZNET_TIMER_H
#define ZNET_TIMER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "znet/container.h"
#include "znet/time.h"


/* Nanoseconds per wheel tick. */
#ifndef ZN_TIMER_TICK_NS
#define ZN_TIMER_TICK_NS 1000000u
#endif

struct zn_stack;
struct zn_timer;

typedef void (*zn_timer_fn)(struct zn_stack *st, struct zn_timer *t);

struct zn_timer {
  struct zn_timer *next;
  struct zn_timer **pprev; /**< NULL while not pending */
  uint64_t expires;        /**< in ticks */
  zn_timer_fn fn;
};

/** Set t up to call fn when it fires; it is not pending.  (Inline: TCP
 * sets up three for every connection.) */
static inline void zn_timer_init(struct zn_timer *t, zn_timer_fn fn) {
  t->next = NULL;
  t->pprev = NULL;
  t->expires = 0;
  t->fn = fn;
}

/** Arm (or re-arm) t to fire at absolute time `when_ns`.  A time at or
 * before the stack's current time fires at the next run of the timers:
 * armed while zn_stack_poll() handles its frames (from a callback of
 * theirs), in that same poll, once the frames are done; otherwise in the
 * next zn_stack_poll(). */
void zn_timer_start(struct zn_stack *st, struct zn_timer *t, uint64_t when_ns);

/** Arm t to fire `delay_ns` after the stack's current time (the `now` of the
 * latest zn_stack_poll()). */
void zn_timer_start_in(struct zn_stack *st, struct zn_timer *t,
                       uint64_t delay_ns);

/** Disarm t; harmless if it is not pending. */
void zn_timer_stop(struct zn_stack *st, struct zn_timer *t);

static inline bool zn_timer_pending(const struct zn_timer *t) {
  return t->pprev != NULL;
}

#endif /* ZNET_TIMER_H */
