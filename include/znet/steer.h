/** \file
 * Flow steering: which of a group of stacks sharing one address (shards,
 * each on its own queue of one device) a received frame belongs to.
 * Freestanding: this is the rule, in C; on Linux a multi-queue TAP runs
 * the same rule in the kernel as an eBPF program (zn_tap_steer_open() in
 * `znet/tap.h`), and tests check that the two agree frame by frame.
 *
 * The rule, for a frame arriving from the peer:
 *  1. A TCP or UDP segment (IPv4 not fragmented, or IPv6 with TCP or UDP
 *     as the first next header), or an ICMP/ICMPv6 error quoting one
 *     (ICMP destination unreachable, time exceeded, parameter problem;
 *     ICMPv6 types 1 to 4), has a flow key: the protocol, the peer's
 *     address and port, and our port (for an error, of the quoted
 *     segment, which we sent).
 *  2. A key in the flow table goes to the flow's slot: the connections a
 *     shard owns (accepted or opened).
 *  3. Else a key whose protocol and our port are in the port table goes
 *     to the slot its bucket (zn_steer_bucket()) is given there: new
 *     connections to a listener, spread over the shards that serve it.
 *  4. Everything else goes to slot 0: ARP, neighbor discovery, ICMP
 *     echo, fragments, IPv6 extension headers, VLAN tags, unknown ports.
 */
#ifndef ZNET_STEER_H
#define ZNET_STEER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "znet/addr.h"

/** A flow as the peer's frames name it.  Numbers in host order; the
 * address as four host-order words of its bytes in network order (IPv4:
 * peer[0], the rest 0).  Zero it before filling it: it is a hash key,
 * compared byte for byte (`pad` too). */
struct zn_steer_key {
  uint8_t family;      /**< 4 or 6 */
  uint8_t proto;       /**< 6 (TCP) or 17 (UDP) */
  uint16_t local_port; /**< ours */
  uint16_t peer_port;
  uint16_t pad;        /**< 0 */
  uint32_t peer[4];
};

/** The number of buckets of a port-table row. */
#define ZN_STEER_BUCKETS 256

/** What zn_steer_key_of_frame() found. */
enum zn_steer_kind {
  ZN_STEER_OTHER = 0, /**< no flow: slot 0 */
  ZN_STEER_FLOW = 1,  /**< a TCP or UDP segment: key set */
  ZN_STEER_ERROR = 2, /**< an ICMP error quoting one of ours: key set */
};

/**
 * Step 1 of the rule: the flow key of an Ethernet frame (len bytes from
 * frame), into *key (zeroed first).  Never reads outside the frame;
 * anything too short for what it needs is ZN_STEER_OTHER.
 */
enum zn_steer_kind zn_steer_key_of_frame(const uint8_t *frame, size_t len,
                                         struct zn_steer_key *key);

/** Step 3's bucket of a key, 0 to ZN_STEER_BUCKETS - 1: a multiplicative
 * hash of the peer's address words and both ports. */
uint32_t zn_steer_bucket(const struct zn_steer_key *key);

/** The key of a flow of ours: proto (6 or 17) with peer (either family;
 * an IPv4-mapped address as the IPv4 one), its port, and our port. */
void zn_steer_key_of_flow(struct zn_steer_key *key, uint8_t proto,
                          const struct zn_ip *peer, uint16_t peer_port,
                          uint16_t local_port);

/** A transport's flows as they come and go, for the flow table of a
 * group of stacks (shards): `opened` when a flow takes its place in the
 * transport's table (a connection's first segment, sent or received),
 * `closed` when it leaves it (closed or reset; a TCP connection in
 * TIME_WAIT only when its wait is over, in a compact record or not, so
 * a late segment of it still reaches its stack).  Table rows, called
 * synchronously: they must not call into the stack.  Either may be
 * NULL. */
struct zn_flow_hooks {
  void (*opened)(void *arg, const struct zn_steer_key *key);
  void (*closed)(void *arg, const struct zn_steer_key *key);
  void *arg;
};

/** A port-table row's key: the protocol and our port. */
static inline uint32_t zn_steer_port_key(uint8_t proto, uint16_t port) {
  return (uint32_t)proto << 16 | port;
}

#endif /* ZNET_STEER_H */
