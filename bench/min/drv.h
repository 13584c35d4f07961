/*
 * The "device driver" both minimal TCP echo builds (znet's min-echo-znet.c
 * and lwIP's min-echo-lwip.c) are linked with, for the footprint
 * comparison: the same few functions, so that what differs between the
 * two executables is the stack and its glue.  drv.c is a stand-in (a
 * unikernel's would talk to its virtio ring); it is never run.
 */
#ifndef ZNB_MIN_DRV_H
#define ZNB_MIN_DRV_H

#include <stddef.h>
#include <stdint.h>

/* Copy one received frame into buf (at most cap bytes); its length, or 0
 * when there is none. */
size_t drv_rx(void *buf, size_t cap);
/* Send one frame. */
void drv_tx(const void *frame, size_t len);
/* Monotonic time in nanoseconds. */
uint64_t drv_now_ns(void);
/* Sleep until a frame may have arrived or until deadline_ns. */
void drv_wait(uint64_t deadline_ns);
/* 32 bytes of entropy. */
void drv_seed(uint8_t seed[32]);

#endif
