/*
 * What the benchmark programs that run on a host's sockets share (znb-load,
 * znb-delay): a monotonic clock in nanoseconds, and a stop flag that
 * SIGINT and SIGTERM set, so a run ends cleanly and still reports.
 */
#ifndef ZNB_HOST_H
#define ZNB_HOST_H

#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

static volatile sig_atomic_t znb_stop;

static inline void znb_on_signal(int sig) {
  (void)sig;
  znb_stop = 1;
}

/* SIGINT and SIGTERM set znb_stop (and interrupt a blocking call). */
static inline void znb_catch_stop(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = znb_on_signal;
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
}

static inline uint64_t znb_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

#endif
