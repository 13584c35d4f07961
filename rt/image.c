/*
 * libznet-rt's public calls (znet/image.h) for what the other modules
 * do: code linked into an image (libznet-app's image side) reaches the
 * runtime through these and includes none of its private headers.  The
 * network's two (zn_image_adopt_stack, zn_image_net_owned) are net.c's.
 */
#include "random.h"
#include "rt.h"
#include "znet/image.h"
#include "znet/time.h"

_Static_assert(ZN_TIME_NEVER == ZRT_NO_DEADLINE,
               "one 'no deadline' for the public and the inside");

int zn_image_wait(uint64_t deadline) { return zrt_io_wait(deadline); }

uint64_t zn_image_now(void) { return zrt_plat_monotonic(); }

uint64_t zn_image_wall(void) { return zrt_plat_wall(); }

size_t zn_image_mem_left(void) { return zrt_kalloc_avail(); }

const char *zn_image_entropy_source(void) { return zrt_random_source(); }
