/* rt/random.c's interface to start-up. */
#ifndef ZN_RT_RANDOM_H
#define ZN_RT_RANDOM_H

#include <stddef.h>
#include <stdint.h>

/* Seed the generator (rdseed, rdrand or clock jitter) and hand out 32
 * bytes of it (the stack's seed). */
void zrt_random_init(uint8_t seed_out[32]);
/* "rdseed", "rdrand" or "clock jitter (weak)". */
const char *zrt_random_source(void);
/* (zrt_random, n bytes of the generator, is in rt.h.) */

#endif
