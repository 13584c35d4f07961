#ifndef ZN_RT_CLOCK_H
#define ZN_RT_CLOCK_H
/*
 * The monotonic clock read from the CPU's time-stamp counter between
 * readings of the platform's clock (clock.c).
 *
 * On spt, Solo5's clock is a system call of the tender's process (no
 * vDSO under its seccomp filter: about 0.5 us), and a server reads the
 * clock dozens of times a request.  The counter costs nanoseconds.  The
 * platform's clock stays the truth: it is read again whenever the last
 * reading is `resync_ns` old (by the counter's reckoning), and the
 * counter's rate is measured against it over the whole run since the
 * first reading.  What the clock returns never goes backwards.
 */
#include <stdbool.h>
#include <stdint.h>

struct zrt_clock {
  uint64_t (*platform)(void); /* the true clock, ns */
  uint64_t resync_ns;         /* longest run on the counter alone */
  bool counter_ok;            /* an invariant counter: else every read is real */
  bool rated;                 /* ns_per_tick known */
  uint64_t first_tsc, first_ns; /* the first reading: the rate's base */
  uint64_t last_tsc, last_ns;   /* the latest reading of the platform */
  uint64_t ns_per_tick_q32;     /* ns per tick, 32.32 fixed point */
  uint64_t returned;            /* the largest value returned */
  uint64_t platform_reads;      /* readings of the platform (for tests) */
  uint32_t late;                /* readings in a row found late, kept out */
};

/* A reading later than the counter's estimate by more than this was
 * most likely preempted between the counter and the platform: it is not
 * taken as the new base (ZRT_CLOCK_LATE_MAX in a row are). */
#define ZRT_CLOCK_LATE_NS 50000u
#define ZRT_CLOCK_LATE_MAX 3u

/* How long a baseline must be before its rate is trusted. */
#define ZRT_CLOCK_RATE_BASE_NS 2000000u

void zrt_clock_init(struct zrt_clock *c, uint64_t (*platform)(void),
                    uint64_t resync_ns, bool counter_ok);
/* Now (ns), given the counter's value `tsc` read just before. */
uint64_t zrt_clock_now(struct zrt_clock *c, uint64_t tsc);

#endif
