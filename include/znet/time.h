/** \file
 * Time in znet: unsigned 64-bit nanoseconds on a monotonic clock whose
 * origin the caller chooses.  The stack never reads a clock; every entry
 * point that needs time is handed it (zn_stack_poll()).
 */
#ifndef ZNET_TIME_H
#define ZNET_TIME_H

#include <stdint.h>

#define ZN_TIME_NEVER UINT64_MAX
#define ZN_NS(x) ((uint64_t)(x))
#define ZN_US(x) ((uint64_t)(x) * 1000u)
#define ZN_MS(x) ((uint64_t)(x) * 1000000u)
#define ZN_SEC(x) ((uint64_t)(x) * 1000000000u)

#endif /* ZNET_TIME_H */
