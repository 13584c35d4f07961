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

/* Rows of the EtherType table (a power of two). */
#define ZN__ETH_TYPES 8

struct zn__eth_type {
  uint16_t type;           /* 0 in an empty row */
  zn__eth_input_fn input;  /* an empty row's drops, counted */
};

/* The row an EtherType is looked for first (zn__eth_register puts it
 * there if free, else in the next free one): its two bytes folded.
 * IPv4 (0x0800), ARP (0x0806) and IPv6 (0x86DD) each have a row of
 * their own, so every frame finds its input with one compare. */
static inline uint32_t zn__eth_type_row(uint16_t type) {
  return (uint32_t)(type ^ (type >> 8)) & (ZN__ETH_TYPES - 1);
}

/* Ethernet's state: the EtherTypes by zn__eth_type_row, the common one
 * also on its own, and the group filter. */
struct zn__eth {
  uint16_t common;         /* the type most frames carry (0: none) */
  zn__eth_input_fn common_input;
  struct zn__eth_type types[ZN__ETH_TYPES];
  zn__eth_group_fn group;
};

/* Take the frames of EtherType type (not 0) to in; a second call for
 * the same type replaces the first.  common: most frames carry this
 * type (IPv4), so every frame asks for it before it looks at the table
 * (one registration may say so; a later one takes it over).  Errors:
 * ZN_ENOMEM (table full), ZN_EINVAL (type 0). */
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
