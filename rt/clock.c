/*
 * The monotonic clock over the time-stamp counter (clock.h).
 *
 * Between two readings of the platform's clock, now is the last reading
 * plus the ticks since it times the rate; the rate is (ticks, ns) from
 * the first reading to the latest, so its error shrinks as the run goes
 * on (a reading's own uncertainty, half its bracket, over a base that is
 * 2 ms at least and soon seconds).  The platform is read again when the
 * counter says resync_ns have passed, when the counter went backwards
 * (a different CPU's counter, or none), and for every read until the
 * base is long enough to rate.  The result is clamped to what was
 * returned before, so a rate a little fast shows as a pause of at most
 * its error over resync_ns at the next reading, never as time running
 * back.
 *
 * Each reading of the platform sits between two of the counter.  A wide
 * bracket means the thread was interrupted around the reading: the
 * platform's time belongs somewhere in the bracket, not at its middle.
 * Such a reading is never a base (a late first reading would put the
 * rate off for the whole run; a late last one every estimate ahead until
 * the next): the base starts again at the first narrow reading, and a
 * rated clock answers with its estimate held inside the bracket, reading
 * the platform again next time.
 */
#include "clock.h"

__extension__ typedef unsigned __int128 u128;

void zrt_clock_init(struct zrt_clock *c, uint64_t (*platform)(void),
                    uint64_t (*counter)(void), uint64_t resync_ns,
                    bool counter_ok) {
  *c = (struct zrt_clock){.platform = platform, .counter = counter,
                          .resync_ns = resync_ns, .counter_ok = counter_ok,
                          .first_width = UINT64_MAX,
                          .min_width = UINT64_MAX};
}

struct reading {
  uint64_t tsc, ns, width;
};

static uint64_t ticks_to_ns(const struct zrt_clock *c, uint64_t ticks) {
  return (uint64_t)(((u128)ticks * c->ns_per_tick_q32) >> 32);
}

/* Within twice the narrowest bracket seen, plus the slack. */
static bool narrow(const struct zrt_clock *c, uint64_t width) {
  return width <= ZRT_CLOCK_SLACK_TICKS ||
         (width - ZRT_CLOCK_SLACK_TICKS) / 2 <= c->min_width;
}

/* The counter is not one count since the start: trust it no more. */
static void counter_distrust(struct zrt_clock *c) {
  c->counter_ok = false;
  c->rated = false;
}

/* Read the platform between `t0`, read before, and the counter again. */
static struct reading platform_bracket(struct zrt_clock *c, uint64_t t0) {
  uint64_t ns = c->platform();
  uint64_t t1 = c->counter();
  c->platform_reads++;
  if (t1 < t0 || (c->platform_reads > 1 && t0 < c->first_tsc)) {
    counter_distrust(c);
    return (struct reading){.tsc = t0, .ns = ns, .width = UINT64_MAX};
  }
  uint64_t width = t1 - t0;
  if (width < c->min_width)
    c->min_width = width;
  return (struct reading){.tsc = t0 + width / 2, .ns = ns, .width = width};
}

/* Measure the rate over the base from the first reading to the last. */
static void rate_measure(struct zrt_clock *c) {
  uint64_t dns = c->last_ns - c->first_ns;
  uint64_t dtsc = c->last_tsc - c->first_tsc;
  if (c->last_ns < c->first_ns || dns < ZRT_CLOCK_RATE_BASE_NS ||
      c->last_tsc <= c->first_tsc)
    return;
  c->ns_per_tick_q32 = (uint64_t)(((u128)dns << 32) / dtsc);
  c->rated = c->ns_per_tick_q32 != 0;
}

static void reading_take(struct zrt_clock *c, struct reading r) {
  c->wide = 0;
  c->last_tsc = r.tsc;
  c->last_ns = r.ns;
  rate_measure(c);
}

/* Not rated yet: every read is the platform's.  A narrow reading is the
 * base's end, and its start when the start was wide (or there is none). */
static uint64_t base_build(struct zrt_clock *c, uint64_t t0) {
  struct reading r = platform_bracket(c, t0);
  if (!c->counter_ok || !narrow(c, r.width))
    return r.ns;
  if (!narrow(c, c->first_width)) {
    c->first_tsc = r.tsc;
    c->first_ns = r.ns;
    c->first_width = r.width;
  }
  reading_take(c, r);
  return r.ns;
}

/* Time to read the platform again, rated: its reading, unless its
 * bracket is wide and has not been so ZRT_CLOCK_WIDE_MAX times in a row;
 * then the estimate, held within what the reading allows (the platform
 * was read after t0, at most the bracket's width after it). */
static uint64_t resync(struct zrt_clock *c, uint64_t t0, uint64_t est) {
  struct reading r = platform_bracket(c, t0);
  if (!c->counter_ok)
    return r.ns;
  if (narrow(c, r.width) || ++c->wide >= ZRT_CLOCK_WIDE_MAX) {
    reading_take(c, r);
    return r.ns;
  }
  c->kept_out++;
  uint64_t span = ticks_to_ns(c, r.width);
  if (est > r.ns)
    return r.ns;
  if (r.ns - est > span)
    return r.ns - span;
  return est;
}

static uint64_t estimate(struct zrt_clock *c) {
  if (!c->counter_ok) {
    c->platform_reads++;
    return c->platform();
  }
  uint64_t t0 = c->counter();
  if (!c->rated || t0 < c->last_tsc)
    return base_build(c, t0);
  uint64_t since = ticks_to_ns(c, t0 - c->last_tsc);
  if (since >= c->resync_ns)
    return resync(c, t0, c->last_ns + since);
  return c->last_ns + since;
}

uint64_t zrt_clock_now(struct zrt_clock *c) {
  uint64_t ns = estimate(c);
  if (ns < c->returned)
    return c->returned;
  c->returned = ns;
  return ns;
}
