/** \file
 * Linux TAP backend (/dev/net/tun, IFF_TAP | IFF_NO_PI), hosted only.
 * Non-blocking; zn_netif_wait() sleeps in ppoll(2) until the fd is readable
 * or the deadline (CLOCK_MONOTONIC ns, the clock zn_netif_now() reads).
 * Frames are read straight into pool buffers at their headroom offset.
 */
#ifndef ZNET_TAP_H
#define ZNET_TAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "znet/netif.h"
#include "znet/steer.h"

struct zn_tap {
  struct zn_netif nif;  /**< first: a struct zn_tap * is a struct zn_netif * */
  int fd;
  char name[16];        /**< the device's name (the kernel's pick if "") */
  struct zn_buf *spare; /**< receive buffer kept across empty reads */
  bool vnet;            /**< offloads on: a virtio_net_hdr with every frame */
  struct zn_buf *spare_big; /**< large receive buffer kept for the next read */
  uint8_t *bounce;      /**< the rest of a large frame with no large buffer */
  struct zn_bufq rxq;   /**< segments cut from such a frame, to deliver */
  uint64_t rx_frames, tx_frames;
  uint64_t rx_gso;      /**< coalesced TCP frames received (over a buffer) */
  uint64_t rx_gso_split; /**< of those, cut into segments: no large buffer */
  uint64_t rx_gso_bad;  /**< large frames dropped: not the TCP/IPv4 or
                         * TCP/IPv6 we asked for, or inconsistent headers */
  uint64_t tx_csum;     /**< frames sent with the checksum left to the kernel */
  uint64_t tx_tso;      /**< of those, TCP frames the kernel segments */
  uint64_t rx_short;    /**< reads that returned a frame shorter than 14 */
  uint64_t rx_oversize; /**< frames larger than a buffer's tailroom, dropped */
  uint64_t rx_nobuf;    /**< frames dropped: the alloc hook gave no buffer */
  uint64_t rx_errors;   /**< read(2) failures other than EAGAIN/EINTR */
  uint64_t tx_errors;   /**< frames write(2) did not take whole */
};

/**
 * Attach to (or create) TAP device `name` (IFNAMSIZ-1 chars max; "" lets
 * the kernel pick tapN, stored in t->name).  mtu 0 means ZN_DEFAULT_MTU.
 * Does not configure the kernel side (address, link up).  The device is
 * not persistent: it disappears when the netif is closed.
 * Errors: ZN_EPERM (no CAP_NET_ADMIN), ZN_ENODEV (no /dev/net/tun),
 * ZN_EINVAL (NULL or bad name, or a device of that name that is not a
 * TAP), ZN_EEXIST (the TAP is already attached by someone else), ZN_EIO.
 *
 * recv: ZN_EAGAIN when nothing is readable, and also after dropping a
 * frame (counted above).  send: ZN_EIO (counted) if the kernel refused the
 * frame (e.g. the link is down).  wait: ppoll(2) with ns precision;
 * returns ZN_OK early on a signal.  now: zn_host_now().
 * Close with zn_netif_close(&t->nif): closes the fd, frees the spare.
 */
int zn_tap_open(struct zn_tap *t, const char *name, uint32_t mtu);

/** zn_tap_open with flags.  ZN_TAP_NO_OFFLOAD: plain frames, no virtio
 * header, no offloads (zn_tap_open turns them on: see tap.c).  Also
 * ZN_ENOMEM if the 64 KiB bounce buffer cannot be had. */
#define ZN_TAP_NO_OFFLOAD 0x1u
/** zn_tap_open_flags: one queue of a multi-queue TAP (IFF_MULTI_QUEUE).
 * Each opener of the same name gets its own queue, in the order of
 * opening (0, 1, ...); the kernel spreads what it sends over them (by
 * its flow table, or by a steering program: zn_tap_steer_attach()).  A
 * queue's number changes when an earlier one is closed (the last takes
 * its place).  ZN_EINVAL when the device exists without multi-queue. */
#define ZN_TAP_MULTI_QUEUE 0x2u
int zn_tap_open_flags(struct zn_tap *t, const char *name, uint32_t mtu,
                      uint32_t flags);

/** zn_tap_offloads_off: the device's offloads turned off, the netif left
 * open.  A persistent TAP outlives its reader and keeps the offloads the
 * reader asked for: its next reader without virtio headers (solo5-spt,
 * QEMU) would be handed frames whose checksums are left undone.  For a
 * process that ends without closing its netif, or that shares the device
 * with others (zn_netif_close does the same).  Afterwards the kernel
 * sends only whole frames, still behind a virtio header when the netif
 * takes one. */
void zn_tap_offloads_off(struct zn_tap *t);

/**
 * The steering rule of `znet/steer.h` as an eBPF program for a
 * multi-queue TAP, with its two tables as eBPF maps: the flow table
 * (struct zn_steer_key to a slot, u32) and the port table
 * (zn_steer_port_key() to ZN_STEER_BUCKETS slots, a byte each).  The
 * slot a frame gets is the queue the kernel puts it on (modulo the
 * number of queues).  Needs CAP_BPF (or root) and CAP_NET_ADMIN.
 */
struct zn_tap_steer {
  int prog_fd, flows_fd, ports_fd; /**< -1 when closed */
  uint32_t insns;                  /**< the program's length */
  char log[2048]; /**< the kernel verifier's words when loading failed */
};

/** Make the tables (at most max_flows flows, max_ports port rows; memory
 * is taken as entries are added) and load the program.  Errors: ZN_EINVAL
 * (NULL, a zero size), ZN_EPERM (no CAP_BPF), ZN_ENOMEM, ZN_ENOTSUP (no
 * bpf(2)), ZN_EIO (the verifier refused the program: s->log says why). */
int zn_tap_steer_open(struct zn_tap_steer *s, uint32_t max_flows,
                      uint32_t max_ports);
/** Steer a multi-queue TAP's frames by s, through one of its queues'
 * descriptors (the device keeps the program until another replaces it or
 * the device goes). */
int zn_tap_steer_attach(const struct zn_tap_steer *s, int queue_fd);
/** Step 2's table: key's frames to slot (added or replaced), or no more
 * (ZN_ENOENT if it was not there).  ZN_ENOMEM: the table is full. */
int zn_tap_steer_flow_set(const struct zn_tap_steer *s,
                          const struct zn_steer_key *key, uint32_t slot);
int zn_tap_steer_flow_clear(const struct zn_tap_steer *s,
                            const struct zn_steer_key *key);
/** Step 3's table: the slot of each bucket for proto and our port, or no
 * row (ZN_ENOENT if there was none). */
int zn_tap_steer_port_set(const struct zn_tap_steer *s, uint8_t proto,
                          uint16_t port,
                          const uint8_t slots[ZN_STEER_BUCKETS]);
int zn_tap_steer_port_clear(const struct zn_tap_steer *s, uint8_t proto,
                            uint16_t port);
/** Run the program on a frame as the kernel would (BPF_PROG_TEST_RUN):
 * *slot is its answer.  For tests.  Not thread-safe (one static buffer). */
int zn_tap_steer_run(const struct zn_tap_steer *s, const uint8_t *frame,
                     size_t len, uint32_t *slot);
/** Close the program and the tables (a device steered by them keeps the
 * program until it goes).  NULL, a closed s, or one whose open failed,
 * is ignored. */
void zn_tap_steer_close(struct zn_tap_steer *s);

#endif /* ZNET_TAP_H */
