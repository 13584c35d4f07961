/*
 * Hierarchical timing wheel (Varghese & Lauck, scheme 7), with the level
 * of a timer chosen by the highest 6-bit group in which its expiry differs
 * from the current tick.  See timer_int.h for the invariant.
 *
 * What each operation costs is what a connection pays: TCP arms and stops
 * a timer or two per segment, and the event loop asks for the next
 * deadline after every poll.  So the wheel keeps that deadline (`next`)
 * rather than searching for it when asked, together with the list it
 * stands for (`next_list`: the earliest slot, or the expired list):
 *
 *  - placing a timer lowers `next` to the timer's slot's start, or to
 *    `cur` for a timer already due (levels are ordered, so the earliest
 *    slot start over all timers is the start of the lowest level's first
 *    non-empty slot);
 *  - stopping a timer only unlinks it.  It may leave `next_list` empty,
 *    and `next` early: still a lower bound of every expiry, so nothing is
 *    missed, and known stale by that empty list.  Whoever reads `next`
 *    then looks again (zn__wheel_find_next), once;
 *  - advancing and running look again once, at the end.
 *
 * Stops leave pending bits of slots they empty, too: a pending bit says a
 * slot may hold timers.  A search clears the ones it finds empty, and an
 * advance those it passes, so each stale bit costs one look.
 */
#include <string.h>

#include "core/stack_int.h"
#include "znet/assert.h"

static void list_insert(struct zn_timer **head, struct zn_timer *t) {
  /* A timer is on one list at most: it leaves one before joining one. */
  ZN_ASSERT(t->pprev == NULL);
  struct zn_timer *first = *head;
  t->next = first;
  *head = t;
  t->pprev = head;
  if (first)
    first->pprev = &t->next;
}

/* (A timer's `next` means nothing once pprev is NULL: list_insert sets
 * it again.) */
static void list_unlink(struct zn_timer *t) {
  /* Linked, and where its list says it is. */
  ZN_ASSERT(t->pprev != NULL && *t->pprev == t);
  if (t->next)
    t->next->pprev = t->pprev;
  *t->pprev = t->next;
  t->pprev = NULL;
}

static unsigned msb64(uint64_t x) { return 63u - (unsigned)__builtin_clzll(x); }

/* Set `next` from scratch.  The lowest non-empty level holds the earliest
 * timers, and its lowest non-empty slot their slot: every pending slot is
 * ahead of the current one in the current rotation, so the bits need no
 * rotating and the slot's start is the current tick's higher groups with
 * the slot's number in the level's group.  Bits of slots that stops have
 * emptied are cleared on the way. */
void zn__wheel_find_next(struct zn__wheel *w) {
  if (w->expired) {
    w->next = w->cur;
    w->next_list = &w->expired;
    return;
  }
  /* (An empty wheel needs no look at the levels: the pending bits it may
   * still have are stale, and an advance or a later search clears them.) */
  for (unsigned l = 0; w->count && l < ZN__WHEEL_LEVELS; l++) {
    uint64_t p = w->pending[l];
    if (!p)
      continue;
    for (; p; p &= p - 1) {
      unsigned s = (unsigned)__builtin_ctzll(p), shift = l * ZN__WHEEL_BITS;
      if (w->slot[l][s]) {
        uint64_t above = (w->cur >> shift) & ~(uint64_t)(ZN__WHEEL_SLOTS - 1);
        w->pending[l] = p;
        w->next = (above | s) << shift;
        w->next_list = &w->slot[l][s];
        /* A slot holds timers ahead of the current tick (what is due is
         * on the expired list), so its start is after it too. */
        ZN_ASSERT(w->next > w->cur);
        return;
      }
    }
    w->pending[l] = 0;
  }
  w->next = UINT64_MAX;
  w->next_list = NULL;
}

static uint64_t tick_end_ns(uint64_t tick) {
  return tick < UINT64_MAX / ZN_TIMER_TICK_NS ? (tick + 1) * ZN_TIMER_TICK_NS
                                              : UINT64_MAX;
}

void zn__wheel_init(struct zn__wheel *w, uint64_t now_tick) {
  memset(w, 0, sizeof(*w));
  w->cur = now_tick;
  w->cur_end_ns = tick_end_ns(now_tick);
  w->next = UINT64_MAX;
  w->next_list = NULL;
}

/* Put t, not pending, on its list for its expiry.  The levels span all 64
 * bits of a tick, so every expiry after `cur` has a level.  (Inlined: it
 * is most of what arming a timer costs, and the call around it would add
 * a fifth.) */
static inline __attribute__((always_inline)) void
wheel_place(struct zn__wheel *w, struct zn_timer *t) {
  uint64_t cur = w->cur, expires = t->expires;
  if (expires <= cur) {
    list_insert(&w->expired, t);
    w->next = cur;
    w->next_list = &w->expired;
    return;
  }
  size_t level = msb64(expires ^ cur) / ZN__WHEEL_BITS;
  unsigned shift = (unsigned)level * ZN__WHEEL_BITS;
  uint64_t group = expires >> shift;
  size_t s = (size_t)group & (ZN__WHEEL_SLOTS - 1);
  struct zn_timer **head = &w->slot[level][s];
  list_insert(head, t);
  w->pending[level] |= 1ull << s;
  /* (A start equal to a stale `next` is the same slot, no longer empty.) */
  if (group << shift < w->next) {
    w->next = group << shift;
    w->next_list = head;
  }
}

static uint64_t rotl64(uint64_t x, unsigned s) {
  s &= 63u;
  return s ? (x << s) | (x >> (64u - s)) : x;
}

/* Empty the slots that the move from cur to now_tick passes over, at each
 * level, onto *todo (bits of slots already empty included). */
static void take_passed_slots(struct zn__wheel *w, uint64_t now_tick,
                              struct zn_timer **todo) {
  for (unsigned l = 0; l < ZN__WHEEL_LEVELS; l++) {
    unsigned shift = l * ZN__WHEEL_BITS;
    uint64_t o = w->cur >> shift, n = now_tick >> shift;
    if (o == n)
      break;
    uint64_t k = n - o, mask;
    if (k >= ZN__WHEEL_SLOTS)
      mask = ~0ull;
    else
      mask = rotl64((1ull << k) - 1, (unsigned)(o & 63u) + 1u);
    mask &= w->pending[l];
    while (mask) {
      unsigned s = (unsigned)__builtin_ctzll(mask);
      mask &= mask - 1;
      struct zn_timer *t;
      while ((t = w->slot[l][s]) != NULL) {
        list_unlink(t);
        list_insert(todo, t);
      }
      w->pending[l] &= ~(1ull << s);
    }
  }
}

void zn__wheel_advance(struct zn__wheel *w, uint64_t now_tick) {
  struct zn_timer *todo = NULL, *due = NULL, *t;
  if (now_tick <= w->cur)
    return; /* (a poll at the end of time) */
  take_passed_slots(w, now_tick, &todo);
  bool moved = todo != NULL;
  w->cur = now_tick;
  w->cur_end_ns = tick_end_ns(now_tick);
  /* Everything already due goes first, then what the advance uncovered;
   * the uncovered ones that are not due yet drop to a lower level. */
  while ((t = w->expired) != NULL) {
    list_unlink(t);
    list_insert(&due, t);
  }
  while ((t = todo) != NULL) {
    list_unlink(t);
    if (t->expires <= w->cur)
      list_insert(&due, t);
    else
      wheel_place(w, t);
  }
  /* Keep them due, in the expired list, for the next run. */
  while ((t = due) != NULL) {
    list_unlink(t);
    list_insert(&w->expired, t);
  }
  /* A move that took no timer leaves `next` as it was: still the start of
   * the slot it stands for, or stale with that slot empty, found so by
   * the next reader. */
  if (moved || w->expired)
    zn__wheel_find_next(w);
}

void zn__timers_run(struct zn_stack *st) {
  struct zn__wheel *w = &st->wheel;
  struct zn_timer *due = NULL, *t;
  /* The expired list has the latest first: turn it round to run them in
   * the order they became due. */
  while ((t = w->expired) != NULL) {
    list_unlink(t);
    list_insert(&due, t);
  }
  zn__wheel_find_next(w);
  /* A callback may stop or restart any timer, including ones still on the
   * due list: they are linked through pprev like any list, and `count`
   * covers them until they are unlinked here or by zn_timer_stop(). */
  while ((t = due) != NULL) {
    /* What runs is due, and counted among the pending. */
    ZN_ASSERT(t->expires <= w->cur && w->count > 0);
    list_unlink(t);
    w->count--;
    t->fn(st, t);
  }
}

/* ---- public API ---- */

/* (Re-)arm t for tick `expires`: a restart takes it off its list first
 * and so does not count it twice. */
static inline __attribute__((always_inline)) void
arm(struct zn__wheel *w, struct zn_timer *t, uint64_t expires) {
  if (t->pprev)
    list_unlink(t);
  else
    w->count++;
  t->expires = expires;
  wheel_place(w, t);
}

void zn_timer_start(struct zn_stack *st, struct zn_timer *t, uint64_t when) {
  arm(&st->wheel, t, zn__ns_to_tick_ceil(when));
}

void zn_timer_start_in(struct zn_stack *st, struct zn_timer *t,
                       uint64_t delay) {
  uint64_t when = st->now + delay;
  if (when < st->now)
    when = ZN_TIME_NEVER - 1; /* saturate */
  arm(&st->wheel, t, zn__ns_to_tick_ceil(when));
}

/* An unlink, whatever the list: see the top of the file for what that
 * leaves behind, and why that is enough. */
void zn_timer_stop(struct zn_stack *st, struct zn_timer *t) {
  if (t->pprev) {
    ZN_ASSERT(st->wheel.count > 0); /* it is one of those counted */
    list_unlink(t);
    st->wheel.count--;
  }
}
