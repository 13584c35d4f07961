/*
 * The image's realtime clock and the deadlines of waits (sched_int.h),
 * below everything that waits: the scheduler's futex, sigtimedwait,
 * sleeps and timers all turn a timespec into a monotonic deadline here.
 *
 * REALTIME is zrt_plat_wall plus the offset clock_settime and
 * settimeofday set (time.c calls zrt__realtime_set).  A wait on REALTIME
 * becomes a monotonic deadline when it starts: a clock_settime during it
 * does not move it.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* the CLOCK_ names */
#endif
#include <errno.h>

#include "sched_int.h"

#define NS UINT64_C(1000000000)

static int64_t realtime_offset; /* clock_settime: ns added to the wall */

bool zrt__timespec_valid(const struct timespec *ts) {
  return ts->tv_sec >= 0 && ts->tv_nsec >= 0 && ts->tv_nsec < (long)NS;
}

uint64_t zrt__timespec_ns(const struct timespec *ts) {
  uint64_t s = (uint64_t)ts->tv_sec;
  if (s >= (ZRT_NO_DEADLINE - 1) / NS)
    return ZRT_NO_DEADLINE - 1;
  return s * NS + (uint64_t)ts->tv_nsec;
}

uint64_t zrt__add_saturated(uint64_t a, uint64_t b) {
  return a > ZRT_NO_DEADLINE - 1 - b ? ZRT_NO_DEADLINE - 1 : a + b;
}

uint64_t zrt__realtime_now(void) {
  return (uint64_t)((int64_t)zrt_plat_wall() + realtime_offset);
}

void zrt__realtime_set(uint64_t ns) {
  realtime_offset = (int64_t)ns - (int64_t)zrt_plat_wall();
}

int zrt__deadline_rel(const struct timespec *ts, uint64_t *deadline) {
  if (!zrt__timespec_valid(ts))
    return -EINVAL;
  *deadline = zrt__add_saturated(zrt_plat_monotonic(), zrt__timespec_ns(ts));
  return 0;
}

int zrt__deadline_abs(clockid_t clk, const struct timespec *ts,
                      uint64_t *deadline) {
  if (!zrt__timespec_valid(ts))
    return -EINVAL;
  uint64_t at = zrt__timespec_ns(ts);
  switch (clk) {
  case CLOCK_MONOTONIC:
  case CLOCK_BOOTTIME:
  case CLOCK_BOOTTIME_ALARM:
    *deadline = at;
    return 0;
  case CLOCK_REALTIME:
  case CLOCK_REALTIME_ALARM:
  case CLOCK_TAI: {
    uint64_t now = zrt__realtime_now();
    uint64_t mono = zrt_plat_monotonic();
    *deadline = at <= now ? mono : zrt__add_saturated(mono, at - now);
    return 0;
  }
  }
  return -EINVAL;
}
