/** \file
 * A driver loop for hosted backends, and host helpers (hosted only).
 */
#ifndef ZNET_LOOP_H
#define ZNET_LOOP_H

#include <stdint.h>

#include "znet/stack.h"

struct zn_loop_opts {
  const volatile int *stop;   /**< stop when *stop != 0 (signal handlers) */
  uint64_t until;             /**< stop when the netif clock reaches this;
                                 0 or ZN_TIME_NEVER: no limit */
  uint64_t eof_linger;        /**< after the netif reports EOF, keep running
                                 timers this long on its clock, then stop */
  /** Called after every poll (may be NULL); return non-zero to stop. */
  int (*tick)(void *arg, struct zn_stack *st, uint64_t now);
  void *arg;
};

/** Poll st on its attached netif's clock, waiting on the netif between
 * polls, until one of the opts conditions holds.  opts may be NULL (run
 * until EOF, no linger).  A netif without a clock runs on zn_host_now();
 * one that can neither wait nor tell time (memlink) makes the loop sleep
 * in steps of at most 10 ms instead of spinning.  After EOF the loop also
 * stops as soon as nothing is scheduled at all (no timer, no linger).
 * Returns ZN_OK, ZN_EINVAL (NULL st or nif), or the netif's error from
 * zn_stack_poll() or zn_netif_wait(). */
int zn_loop_run(struct zn_stack *st, struct zn_netif *nif,
                const struct zn_loop_opts *opts);

/** 32 bytes from getrandom(2).  Errors: ZN_EIO. */
int zn_host_seed(uint8_t seed[32]);

/** CLOCK_MONOTONIC in ns. */
uint64_t zn_host_now(void);

/** A zn_log_fn writing "znet[level] line" to stderr; ctx is ignored. */
void zn_host_log(void *ctx, int level, const char *line);

#endif /* ZNET_LOOP_H */
