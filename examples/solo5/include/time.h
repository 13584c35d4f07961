/* Time for znet's Solo5 runtime: struct timespec (Linux's layout) and
 * clock_gettime over the tender's clocks (examples/solo5/posix_host.c):
 * CLOCK_MONOTONIC is solo5_clock_monotonic(), CLOCK_REALTIME
 * solo5_clock_wall(). */
#ifndef ZN_SOLO5_TIME_H
#define ZN_SOLO5_TIME_H

#include <sys/types.h>

struct timespec {
  time_t tv_sec;
  long tv_nsec;
};

#define CLOCK_REALTIME 0
#define CLOCK_MONOTONIC 1

int clock_gettime(clockid_t clk, struct timespec *ts);

#endif
