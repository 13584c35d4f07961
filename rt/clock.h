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
  uint64_t (*counter)(void);  /* the time-stamp counter, ticks */
  uint64_t resync_ns;         /* longest run on the counter alone */
  bool counter_ok;            /* an invariant counter: else every read is real */
  bool rated;                 /* ns_per_tick known */
  /* A reading of the platform is bracketed by two of the counter: its
   * tsc is their midpoint, its width their distance. */
  uint64_t first_tsc, first_ns, first_width; /* the rate's base */
  uint64_t last_tsc, last_ns;   /* the latest reading taken */
  uint64_t min_width;           /* the narrowest bracket seen, ticks */
  uint64_t ns_per_tick_q32;     /* ns per tick, 32.32 fixed point */
  uint64_t returned;            /* the largest value returned */
  uint64_t platform_reads;      /* readings of the platform (for tests) */
  uint64_t kept_out;            /* readings too wide to be taken (tests) */
  uint32_t wide;                /* wide readings in a row, kept out */
};

/* A reading whose bracket is wider than twice the narrowest seen plus
 * this many ticks was interrupted (the thread preempted, the vCPU
 * descheduled) between the counter and the platform: where in its
 * bracket the platform was read is unknown, so it is not taken as a
 * base; ZRT_CLOCK_WIDE_MAX in a row are (the platform got slower). */
#define ZRT_CLOCK_SLACK_TICKS 2048u
#define ZRT_CLOCK_WIDE_MAX 3u

/* How long a baseline must be before its rate is trusted. */
#define ZRT_CLOCK_RATE_BASE_NS 2000000u

void zrt_clock_init(struct zrt_clock *c, uint64_t (*platform)(void),
                    uint64_t (*counter)(void), uint64_t resync_ns,
                    bool counter_ok);
/* Now, in ns. */
uint64_t zrt_clock_now(struct zrt_clock *c);

#endif
