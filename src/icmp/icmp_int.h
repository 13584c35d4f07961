/* ICMP state and the calls the rest of the stack makes into it. */
#ifndef ZN_ICMP_INT_H
#define ZN_ICMP_INT_H

#include <stdint.h>

#include "core/stack_int.h"
#include "inet/inet_int.h"
#include "ipv4/ipv4_int.h"
#include "modules.h"
#include "znet/icmp.h"

struct zn__icmp {
  uint64_t tokens_ns;      /* token bucket, in ns of credit */
  uint64_t last_ns;
  zn_icmp_echo_cb echo_cb;
  void *echo_arg;
};

void zn__icmp_init(struct zn_stack *st);
/* b->data at the ICMP header; consumes b. */
void zn__icmp_input(struct zn_stack *st, struct zn_buf *b,
                    const struct zn__inet_meta *m);
/* What an ICMP error of this type (destination unreachable, time
 * exceeded, parameter problem) and code tells the transports. */
enum zn__inet_err_kind zn__icmp_err_kind(uint8_t type, uint8_t code);
/* Send an ICMP error about the datagram whose IP header starts at
 * orig->data (not consumed), if RFC 1122 §3.2.2 and the rate limit allow.
 * link_bcast: the datagram arrived as a link-layer broadcast. */
void zn__icmp_error(struct zn_stack *st, const struct zn_buf *orig,
                    bool link_bcast, uint8_t type, uint8_t code,
                    uint32_t rest);

#endif
