/* Ethernet framing: the bottom of the RX and TX paths. */
#ifndef ZN_ETH_INT_H
#define ZN_ETH_INT_H

#include <stdint.h>

#include "znet/buf.h"
#include "znet/stack.h"

/* A received frame, data at the Ethernet header; consumes b. */
void zn__eth_input(struct zn_stack *st, struct zn_buf *b);
/* Push the Ethernet header (and the VLAN tag if configured) and queue the
 * frame for the netif.  Consumes b. */
void zn__eth_output(struct zn_stack *st, struct zn_buf *b,
                    const uint8_t dst[6], uint16_t type);

#endif
