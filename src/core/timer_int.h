/* The timing wheel behind znet/timer.h: levels of 64 slots, enough of
 * them to cover every tick a uint64_t of nanoseconds can name.  A timer
 * sits at the level of the highest 6-bit group in which its expiry tick
 * differs from the current tick, so each level's slots are always ahead of
 * the current slot in the same rotation, and every timer on a level
 * expires after every timer on the levels below.  Advancing moves only the
 * slots passed over; their timers expire or drop to a lower level.  Insert
 * and delete are O(1); each timer moves down at most once per level.
 *
 * The wheel keeps its answer to "when is the next thing due" (`next`) up
 * to date as timers come and go, so that the question the event loop asks
 * after every poll is one load.  See timer.c for how each operation keeps
 * it exact.
 *
 * Here the wheel's types and what timer.c defines; the inline fast paths
 * its callers take, which call into timer.c, are in timer_inline.h. */
#ifndef ZN_CORE_TIMER_INT_H
#define ZN_CORE_TIMER_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "znet/timer.h"

#define ZN__WHEEL_BITS 6
#define ZN__WHEEL_SLOTS 64
/* 8 levels (48 bits) hold every tick below UINT64_MAX / ZN_TIMER_TICK_NS
 * for ticks of 64 us or more; finer ticks need the whole 64 bits.  No
 * expiry is ever clamped, so no timer fires before its time, however far
 * ahead it is set. */
#define ZN__WHEEL_LEVELS (ZN_TIMER_TICK_NS >= (1u << 16) ? 8 : 11)

_Static_assert(ZN_TIMER_TICK_NS > 0, "a tick has a length");
_Static_assert(ZN_TIMER_TICK_NS < (1u << 16) ||
                   (UINT64_MAX / ZN_TIMER_TICK_NS) >> 48 == 0,
               "8 levels cover every tick");

struct zn__wheel {
  uint64_t cur;             /* current tick */
  /* The first ns after the current tick (UINT64_MAX if there is none):
   * a poll before it leaves the wheel where it is, and the poll can tell
   * without dividing its time into ticks. */
  uint64_t cur_end_ns;
  /* Earliest tick at which something may be due: `cur` while `expired`
   * is not empty, else the start of the earliest non-empty slot (exact on
   * level 0, a lower bound above), UINT64_MAX for an empty wheel; and the
   * list it stands for (NULL with UINT64_MAX).  Stops may empty that list
   * and leave `next` early; zn__wheel_next() then looks again. */
  uint64_t next;
  struct zn_timer **next_list;
  struct zn_timer *expired; /* due, waiting for the next run */
  uint32_t count;           /* timers pending */
  uint64_t pending[ZN__WHEEL_LEVELS]; /* bit s: slot s may be non-empty */
  struct zn_timer *slot[ZN__WHEEL_LEVELS][ZN__WHEEL_SLOTS];
};

static inline uint64_t zn__ns_to_tick_ceil(uint64_t ns) {
  return ns / ZN_TIMER_TICK_NS + (ns % ZN_TIMER_TICK_NS != 0);
}
static inline uint64_t zn__ns_to_tick(uint64_t ns) {
  return ns / ZN_TIMER_TICK_NS;
}

struct zn_stack;
void zn__wheel_init(struct zn__wheel *w, uint64_t now_tick);
/* Move the wheel to now_tick, keeping due timers on the expired list for
 * the next run (nothing if now_tick is not after cur). */
void zn__wheel_advance(struct zn__wheel *w, uint64_t now_tick);
/* Run the callback of every timer on the expired list (not empty).  Timers
 * started during the run for a time already past run on the next one. */
void zn__timers_run(struct zn_stack *st);

/* Whether zn__timers_run has anything to do. */
static inline bool zn__timers_due(const struct zn__wheel *w) {
  return w->expired != NULL;
}

/* Set w->next from scratch (and w->next_list). */
void zn__wheel_find_next(struct zn__wheel *w);

/* Whether w->next must be looked for again: a stop emptied the list it
 * stands for. */
static inline bool zn__wheel_next_stale(const struct zn__wheel *w) {
  return w->next_list && !*w->next_list;
}

#endif
