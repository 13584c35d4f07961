/** \file
 * Solo5 backend: the NET_BASIC device of a Solo5 unikernel (hvt, spt).
 * Freestanding; the object is built against the Solo5 toolchain's
 * <solo5.h> (or the ABI test double's, tests/solo5/), this header is not.
 *
 * The Solo5 network ABI and znet's netif have the same shape (netif.h):
 *
 *     recv  -> solo5_net_read() into a pool buffer at its headroom offset,
 *              one frame per call; SOLO5_R_AGAIN becomes ZN_EAGAIN
 *     send  -> solo5_net_write(), one frame per call, from the buffer
 *     wait  -> solo5_yield(deadline, &ready)
 *     now   -> solo5_clock_monotonic()
 *
 * so the only copy is the one the ABI itself makes (the tender's read(2)
 * on spt, the hypercall or ring on hvt).  Solo5 has no offloads: every
 * checksum is the stack's.
 *
 * Draining: a poll reads at most the stack's rx_budget frames.  While the
 * last read returned a frame (or solo5_yield() reported the device
 * ready), more may be waiting, and the netif's next_deadline is "now", so
 * zn_stack_next_deadline() says poll again rather than sleep; once a read
 * returns SOLO5_R_AGAIN it says the stack's own deadline.
 *
 * Frames: solo5_net_read() needs a buffer of at least mtu + 14 bytes
 * (SOLO5_NET_HLEN), and it cuts a longer frame to the buffer's size
 * without saying so.  The backend reads into the whole tailroom (1856
 * bytes by default, more than mtu + 14 + a VLAN tag), so a frame longer
 * than mtu + 18 is one that was cut, or is oversize: it is dropped and
 * counted (rx_oversize).  A frame shorter than an Ethernet header is
 * dropped too (rx_short).
 */
#ifndef ZNET_SOLO5_H
#define ZNET_SOLO5_H

#include <stdbool.h>
#include <stdint.h>

#include "znet/netif.h"
#include "znet/stack.h"

struct zn_solo5 {
  struct zn_netif nif;   /**< first: a struct zn_solo5 * is a struct zn_netif * */
  uint64_t handle;       /**< solo5_handle_t of the device */
  bool pending;          /**< the last read found a frame: read again */
  struct zn_buf *spare;  /**< receive buffer kept across empty reads */
  uint64_t rx_frames, tx_frames;
  uint64_t rx_short;     /**< frames shorter than 14 bytes, dropped */
  uint64_t rx_oversize;  /**< frames over mtu + 18 (or cut by the ABI) */
  uint64_t rx_nobuf;     /**< reads skipped: the alloc hook gave no buffer */
  uint64_t rx_errors;    /**< solo5_net_read() failures other than AGAIN */
  uint64_t tx_errors;    /**< solo5_net_write() failures (frame dropped) */
  uint64_t tx_oversize;  /**< frames over mtu + 18, not sent */
  uint64_t yields;       /**< solo5_yield() calls */
  uint64_t wakeups;      /**< ... that returned with the device ready */
};

/**
 * Acquire the NET_BASIC device `name` from the unikernel's manifest and
 * take its MAC address and MTU (at most ZN_DEFAULT_MTU: larger frames do
 * not fit a pool buffer).  Errors: ZN_EINVAL (NULL name), ZN_ENODEV (no
 * such device in the manifest, or acquired already).  Some Solo5 targets
 * abort instead of returning an error (solo5.h allows it).
 *
 * recv: ZN_EAGAIN when nothing is waiting, and also after dropping a
 * frame (counted); ZN_EIO if the device failed.  send: ZN_EIO (counted)
 * if the device refused the frame.  wait: solo5_yield() until the
 * deadline or until the device is readable; ZN_TIME_NEVER sleeps until a
 * frame arrives.  close: frees the spare buffer (the device itself stays
 * acquired: Solo5 has no release).
 */
int zn_solo5_open(struct zn_solo5 *s, const char *name);

struct zn_solo5_run_opts {
  /** Called after every poll (may be NULL); return non-zero to stop. */
  int (*tick)(void *arg, struct zn_stack *st, uint64_t now);
  void *arg;
};

/**
 * The unikernel's loop: poll st at solo5_clock_monotonic(), then sleep in
 * solo5_yield() until zn_stack_next_deadline() or a frame, until tick
 * asks to stop (opts may be NULL: run for ever) or the device fails.
 * nif is what st is attached to: a zn_solo5's nif, or a decorator of one
 * (the fault injector), whose wait and clock are the device's.  Returns
 * ZN_OK when tick stopped it, ZN_EINVAL if nif cannot wait or tell time,
 * or the device's error.
 */
int zn_solo5_run(struct zn_stack *st, struct zn_netif *nif,
                 const struct zn_solo5_run_opts *opts);

#endif /* ZNET_SOLO5_H */
