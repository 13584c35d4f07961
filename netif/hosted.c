/* Host helpers for hosted programs: entropy, the monotonic clock, logging. */
#include <errno.h>
#include <stdio.h>
#include <sys/random.h>
#include <time.h>

#include "znet/err.h"
#include "znet/log.h"
#include "hosted_int.h"
#include "znet/loop.h"

int zn_host_seed(uint8_t seed[32]) {
  size_t got = 0;
  while (got < 32) {
    ssize_t n = getrandom(seed + got, 32 - got, 0);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return ZN_EIO;
    }
    got += (size_t)n;
  }
  return ZN_OK;
}

uint64_t zn_host_now(void) {
  struct timespec ts;
  /* CLOCK_MONOTONIC cannot fail with a valid pointer on Linux. */
  (void)clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void zn_host_log(void *ctx, int level, const char *line) {
  (void)ctx;
  fprintf(stderr, "znet[%s] %s\n", zn_log_level_name(level), line);
}

const sigset_t *zn__host_wait_mask;
