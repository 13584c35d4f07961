/** \file
 * libznet-rt's public calls: what code linked into a znet image (a
 * library such as libznet-app's image side, or a program's own loop) may
 * ask of the runtime under it.  Only an image links them (znet-cc and
 * znet-image put libznet-rt in); on Linux nothing defines them.
 *
 * The runtime owns the image's threads, memory and network: a caller
 * waits through zn_image_wait(), never by sleeping on the net device,
 * so that the runtime's scheduler can run the other threads and poll
 * the stack in the meantime.
 */
#ifndef ZNET_IMAGE_H
#define ZNET_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct zn_config;
struct zn_stack;

/** Block the calling thread until something may have changed for it
 * (the stack took in input or ran its timers, a file became ready), the
 * deadline (ns of zn_image_now(); ZN_TIME_NEVER: none) or a signal.
 * While every thread waits, the runtime polls the stack.  0 when woken,
 * -ETIMEDOUT at the deadline, -EINTR for a signal; the caller tests its
 * condition again either way. */
int zn_image_wait(uint64_t deadline);

/** The monotonic clock, ns since the image started. */
uint64_t zn_image_now(void);

/** The wall clock, ns since the Unix epoch: what the tender says. */
uint64_t zn_image_wall(void);

/** Bytes of the image's memory the runtime could still give. */
size_t zn_image_mem_left(void);

/** Where the image's randomness comes from: "rdseed", "rdrand" or
 * "clock jitter (weak)". */
const char *zn_image_entropy_source(void);

/** Defined (to 1) by a library whose own loop owns the image's network:
 * libznet-app's image side defines it in the archive member of its
 * zn_app_run(), so an image takes it exactly when its program runs that
 * loop.  The runtime reads it through a weak reference: when it is
 * there, the runtime builds no stack before main() and takes every word
 * of the command line for the program; the program builds its stack and
 * hands it over with zn_image_adopt_stack(). */
extern const char zn_image_program_owns_net;

/** Whether this image's program owns the network (the symbol above is
 * linked in). */
bool zn_image_net_owned(void);

/** Hand the program's stack (built as cfg says, on the image's net
 * device) to the runtime: its socket layer is built over it, the
 * sockets of every POSIX call use it and the scheduler polls it from
 * then on; the stack is the image's until it exits.  0, -EBUSY (the
 * runtime has a stack already, its own or one handed over), or -ENOMEM
 * (no memory for the socket layer; the stack stays the caller's). */
int zn_image_adopt_stack(struct zn_stack *st, const struct zn_config *cfg);

#endif /* ZNET_IMAGE_H */
