/*
 * The monotonic clock over the time-stamp counter (clock.h).
 *
 * Between two readings of the platform's clock, now is the last reading
 * plus the ticks since it times the rate; the rate is (ticks, ns) from
 * the first reading to the latest, so its error shrinks as the run goes
 * on (a reading's own jitter, a microsecond or so, over a base that is
 * 2 ms at least and soon seconds).  The platform is read again when the
 * counter says resync_ns have passed, when the counter went backwards
 * (a different CPU's counter, or none), and for every read until the
 * base is long enough to rate.  The result is clamped to what was
 * returned before, so a rate a little fast shows as a pause of at most
 * its error over resync_ns at the next reading, never as time running
 * back.  A reading much later than the counter's estimate (the thread
 * was preempted between the counter's read and the platform's) is not
 * made the base: it would put every estimate ahead by the preemption
 * until the next reading; the estimate is returned instead, and the
 * platform read again next time.
 */
#include "clock.h"

__extension__ typedef unsigned __int128 u128;

void zrt_clock_init(struct zrt_clock *c, uint64_t (*platform)(void),
                    uint64_t resync_ns, bool counter_ok) {
  *c = (struct zrt_clock){.platform = platform, .resync_ns = resync_ns,
                          .counter_ok = counter_ok};
}

static uint64_t ticks_to_ns(const struct zrt_clock *c, uint64_t ticks) {
  return (uint64_t)(((u128)ticks * c->ns_per_tick_q32) >> 32);
}

/* Measure the rate over the base from the first reading to this one. */
static void rate_measure(struct zrt_clock *c) {
  uint64_t dns = c->last_ns - c->first_ns;
  uint64_t dtsc = c->last_tsc - c->first_tsc;
  if (dns < ZRT_CLOCK_RATE_BASE_NS || dtsc == 0)
    return;
  c->ns_per_tick_q32 = (uint64_t)(((u128)dns << 32) / dtsc);
  c->rated = c->ns_per_tick_q32 != 0;
}

static uint64_t platform_read(struct zrt_clock *c, uint64_t tsc) {
  uint64_t ns = c->platform();
  c->platform_reads++;
  if (c->platform_reads == 1) {
    c->first_tsc = tsc;
    c->first_ns = ns;
  } else if (tsc < c->first_tsc) {
    /* The counter is not one count since the start: trust it no more. */
    c->counter_ok = false;
    c->rated = false;
  }
  c->last_tsc = tsc;
  c->last_ns = ns;
  if (c->counter_ok)
    rate_measure(c);
  return ns;
}

/* Time to read the platform again, rated: its reading, unless it is late
 * (see above) and has not been so ZRT_CLOCK_LATE_MAX times in a row. */
static uint64_t resync(struct zrt_clock *c, uint64_t tsc, uint64_t est) {
  uint64_t ns = c->platform();
  c->platform_reads++;
  if (ns > est + ZRT_CLOCK_LATE_NS && ++c->late < ZRT_CLOCK_LATE_MAX)
    return est;
  c->late = 0;
  c->last_tsc = tsc;
  c->last_ns = ns;
  rate_measure(c);
  return ns;
}

static uint64_t estimate(struct zrt_clock *c, uint64_t tsc) {
  if (!c->counter_ok || !c->rated || tsc < c->last_tsc)
    return platform_read(c, tsc);
  uint64_t since = ticks_to_ns(c, tsc - c->last_tsc);
  if (since >= c->resync_ns)
    return resync(c, tsc, c->last_ns + since);
  return c->last_ns + since;
}

uint64_t zrt_clock_now(struct zrt_clock *c, uint64_t tsc) {
  uint64_t ns = estimate(c, tsc);
  if (ns < c->returned)
    return c->returned;
  c->returned = ns;
  return ns;
}
