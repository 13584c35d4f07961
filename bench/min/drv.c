/* The stand-in driver of drv.h: nothing arrives, frames vanish. */
#include <string.h>

#include "drv.h"

static uint64_t clock_ns;

size_t drv_rx(void *buf, size_t cap) {
  (void)buf;
  (void)cap;
  return 0;
}

void drv_tx(const void *frame, size_t len) {
  (void)frame;
  (void)len;
}

uint64_t drv_now_ns(void) { return clock_ns; }

void drv_wait(uint64_t deadline_ns) {
  if (deadline_ns > clock_ns)
    clock_ns = deadline_ns;
}

void drv_seed(uint8_t seed[32]) { memset(seed, 0x5a, 32); }
