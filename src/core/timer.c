/*
 * Hierarchical timing wheel (Varghese & Lauck, scheme 7), with the level
 * of a timer chosen by the highest 6-bit group in which its expiry differs
 * from the current tick.  See timer_int.h for the invariant.
 */
#include <string.h>

#include "core/stack_int.h"

static void list_insert(struct zn_timer **head, struct zn_timer *t) {
  t->next = *head;
  if (t->next)
    t->next->pprev = &t->next;
  *head = t;
  t->pprev = head;
}

static void list_unlink(struct zn_timer *t) {
  if (t->next)
    t->next->pprev = t->pprev;
  *t->pprev = t->next;
  t->next = NULL;
  t->pprev = NULL;
}

static unsigned msb64(uint64_t x) { return 63u - (unsigned)__builtin_clzll(x); }

void zn__wheel_init(struct zn__wheel *w, uint64_t now_tick) {
  memset(w, 0, sizeof(*w));
  w->cur = now_tick;
}

static void wheel_place(struct zn__wheel *w, struct zn_timer *t) {
  if (t->expires <= w->cur) {
    list_insert(&w->expired, t);
    return;
  }
  if (t->expires - w->cur > ZN__WHEEL_MAX_DELTA)
    t->expires = w->cur + ZN__WHEEL_MAX_DELTA;
  unsigned level = msb64(t->expires ^ w->cur) / ZN__WHEEL_BITS;
  if (level >= ZN__WHEEL_LEVELS) {
    /* Clamping keeps the difference below 2^36, so this cannot happen;
     * keep the timer due rather than lose it. */
    list_insert(&w->expired, t);
    return;
  }
  unsigned slot =
      (unsigned)(t->expires >> (level * ZN__WHEEL_BITS)) & (ZN__WHEEL_SLOTS - 1);
  list_insert(&w->slot[level][slot], t);
  w->pending[level] |= 1ull << slot;
}

void zn__wheel_add(struct zn__wheel *w, struct zn_timer *t) {
  wheel_place(w, t);
  w->count++;
}

/* Clear a slot's pending bit once its list is empty. */
static void fix_pending(struct zn__wheel *w, struct zn_timer **head) {
  for (unsigned l = 0; l < ZN__WHEEL_LEVELS; l++) {
    struct zn_timer **base = &w->slot[l][0];
    if (head >= base && head < base + ZN__WHEEL_SLOTS) {
      if (*head == NULL)
        w->pending[l] &= ~(1ull << (unsigned)(head - base));
      return;
    }
  }
}

void zn__wheel_del(struct zn__wheel *w, struct zn_timer *t) {
  struct zn_timer **head = t->pprev;
  /* Only the first element's pprev points at a list head; for the others
   * the list cannot become empty. */
  list_unlink(t);
  fix_pending(w, head);
  w->count--;
}

static uint64_t rotl64(uint64_t x, unsigned s) {
  s &= 63u;
  return s ? (x << s) | (x >> (64u - s)) : x;
}

void zn__wheel_advance(struct zn__wheel *w, uint64_t now_tick,
                       struct zn_timer **due) {
  struct zn_timer *todo = NULL;
  *due = NULL;
  if (now_tick > w->cur) {
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
          list_insert(&todo, t);
        }
        w->pending[l] &= ~(1ull << s);
      }
    }
    w->cur = now_tick;
  }
  /* Everything already due goes first, then what the advance uncovered. */
  struct zn_timer *t;
  while ((t = w->expired) != NULL) {
    list_unlink(t);
    list_insert(due, t);
  }
  while ((t = todo) != NULL) {
    list_unlink(t);
    if (t->expires <= w->cur) {
      list_insert(due, t);
    } else {
      wheel_place(w, t);
    }
  }
}

uint64_t zn__wheel_next(const struct zn__wheel *w) {
  if (w->expired)
    return w->cur;
  for (unsigned l = 0; l < ZN__WHEEL_LEVELS; l++) {
    if (!w->pending[l])
      continue;
    unsigned shift = l * ZN__WHEEL_BITS;
    unsigned s0 = (unsigned)(w->cur >> shift) & 63u;
    uint64_t above = s0 == 63u ? 0 : w->pending[l] & ~((2ull << s0) - 1);
    if (!above)
      continue; /* cannot happen: slots are always ahead of the current one */
    unsigned s = (unsigned)__builtin_ctzll(above);
    uint64_t base = (w->cur >> (shift + ZN__WHEEL_BITS)) << (shift + ZN__WHEEL_BITS);
    return base | ((uint64_t)s << shift);
  }
  return UINT64_MAX;
}

void zn__wheel_sync(struct zn__wheel *w, uint64_t now_tick) {
  struct zn_timer *due, *t;
  if (now_tick <= w->cur)
    return; /* within the tick: nothing moves (most polls) */
  zn__wheel_advance(w, now_tick, &due);
  /* Keep them due, in the expired list, for the next run. */
  while ((t = due) != NULL) {
    list_unlink(t);
    list_insert(&w->expired, t);
  }
}

void zn__timers_run(struct zn_stack *st, uint64_t now) {
  struct zn_timer *due, *t;
  uint64_t now_tick = zn__ns_to_tick(now);
  if (now_tick <= st->wheel.cur && !st->wheel.expired)
    return; /* nothing due: the poll's sync left the tick where it is */
  zn__wheel_advance(&st->wheel, now_tick, &due);
  /* A callback may stop or restart any timer, including ones still on the
   * due list: they are linked through pprev like any list, and `count`
   * covers them until they are unlinked here or by zn__wheel_del(). */
  while ((t = due) != NULL) {
    list_unlink(t);
    st->wheel.count--;
    t->fn(st, t);
  }
}

/* ---- public API ---- */

void zn_timer_init(struct zn_timer *t, zn_timer_fn fn) {
  t->next = NULL;
  t->pprev = NULL;
  t->expires = 0;
  t->fn = fn;
}

void zn_timer_start(struct zn_stack *st, struct zn_timer *t, uint64_t when) {
  if (t->pprev)
    zn__wheel_del(&st->wheel, t);
  t->expires = zn__ns_to_tick_ceil(when);
  zn__wheel_add(&st->wheel, t);
}

void zn_timer_start_in(struct zn_stack *st, struct zn_timer *t,
                       uint64_t delay) {
  uint64_t when = st->now + delay;
  if (when < st->now)
    when = ZN_TIME_NEVER - 1; /* saturate */
  zn_timer_start(st, t, when);
}

void zn_timer_stop(struct zn_stack *st, struct zn_timer *t) {
  if (t->pprev)
    zn__wheel_del(&st->wheel, t);
}
