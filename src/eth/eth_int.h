/*
 * Ethernet framing: the bottom of the RX and TX paths, and the table of
 * the layers above it.  The network layers register their EtherType at
 * assembly (zn__eth_register: IPv4, ARP, IPv6), and IPv6 its filter of
 * the multicast groups it joined; Ethernet calls no layer by name.
 */
#ifndef ZN_ETH_INT_H
#define ZN_ETH_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "core/stack_int.h"
#include "modules.h"
#include "znet/buf.h"
#include "znet/stack.h"

/* The input of an EtherType: b's data past the link header; group is
 * the ZN_BUF_F_ flag of a frame to a broadcast or multicast address, 0
 * for one to our own.  Consumes b. */
typedef void (*zn__eth_input_fn)(struct zn_stack *st, struct zn_buf *b,
                                 uint16_t group);

/* What a multicast address (not the broadcast) means to the layer whose
 * groups map to it. */
enum zn__eth_group {
  ZN__ETH_GROUP_OTHER,     /* no group of its kind: another host's */
  ZN__ETH_GROUP_UNJOINED,  /* one of its groups, not joined */
  ZN__ETH_GROUP_JOINED,    /* a group it listens to */
};
typedef enum zn__eth_group (*zn__eth_group_fn)(const struct zn_stack *st,
                                               const uint8_t mac[6]);

#define ZN__ETH_TYPES 4

struct zn__eth_type {
  uint16_t type;
  zn__eth_input_fn input;
};

/* Ethernet's state: the EtherTypes, the common one first (then in the
 * order registered), and the group filter. */
struct zn__eth {
  struct zn__eth_type types[ZN__ETH_TYPES];
  uint32_t ntypes;
  zn__eth_group_fn group;
};

/* Take the frames of EtherType type to in; a second call for the same
 * type replaces the first.  common: most frames carry this type (IPv4),
 * so the input of every frame asks for it first.  Errors: ZN_ENOMEM
 * (table full). */
int zn__eth_register(struct zn_stack *st, uint16_t type, zn__eth_input_fn in,
                     bool common);
/* Take multicast frames that fn says are to a joined group (one filter:
 * a second call replaces it). */
void zn__eth_set_group_filter(struct zn_stack *st, zn__eth_group_fn fn);

/* A received frame, data at the Ethernet header; consumes b. */
void zn__eth_input(struct zn_stack *st, struct zn_buf *b);
/* Push the Ethernet header (and the VLAN tag if configured) and queue the
 * frame for the netif.  Consumes b. */
void zn__eth_output(struct zn_stack *st, struct zn_buf *b,
                    const uint8_t dst[6], uint16_t type);

#endif
