/*
 * IPv6 (RFC 8200), ICMPv6 (RFC 4443), the neighbor cache and NUD (RFC
 * 4861 §7), path MTU (RFC 8201): the calls the rest of the stack makes
 * into src/ipv6/.  Address configuration, router and prefix lists, DAD
 * and MLD are src/ipv6conf/ (ipv6conf_int.h).
 *
 * Who calls what:
 *   eth      -> zn__ip6_input (EtherType 0x86DD), zn__ip6_mac_accepted
 *   inet     -> zn__ip6_output, zn__ip6_select_source, zn__ip6_is_local,
 *               zn__ip6_path_mtu, zn__icmp6_port_unreachable
 *   ipv6conf -> zn__ip6_output (RS, DAD probes, MLD reports),
 *               zn__nd_learn (an RA's source link-layer address)
 *   stack    -> mem_size, init, start (first poll), destroy
 */
#ifndef ZN_IPV6_INT_H
#define ZN_IPV6_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "inet/inet_int.h"
#include "znet/buf.h"
#include "znet/stack.h"

/* IPv6's state in struct zn_stack; grown by src/ipv6. */
struct zn__ip6 {
  bool up;                 /* cfg.ipv6 and started */
};

size_t zn__ip6_mem_size(const struct zn_config *cfg);
void zn__ip6_init(struct zn_stack *st, void **mem);
/* The first poll: the link is up (ipv6conf starts after this). */
void zn__ip6_start(struct zn_stack *st);
void zn__ip6_destroy(struct zn_stack *st);

/* b->data at the IPv6 header; consumes b.  link_mcast: the frame was sent
 * to a link-layer multicast address. */
void zn__ip6_input(struct zn_stack *st, struct zn_buf *b, bool link_mcast);

/* True if a frame to this multicast MAC (33:33:xx:xx:xx:xx) is for a group
 * we have joined (ipv6conf's MLD decides). */
bool zn__ip6_mac_accepted(const struct zn_stack *st, const uint8_t mac[6]);

/* b->data at the upper-layer header; tx->dst is IPv6.  Chooses the source
 * (unless given), pushes the header (and hop-by-hop Router Alert if
 * asked), determines the next hop, fragments to the path MTU unless
 * tx->df, resolves the neighbor.  Consumes b.  Errors: as
 * zn__inet_output. */
int zn__ip6_output(struct zn_stack *st, struct zn_buf *b,
                   const struct zn__inet_tx *tx);

/* RFC 6724 source address selection for dst.  Errors: ZN_EADDRNOTAVAIL. */
int zn__ip6_select_source(struct zn_stack *st, const uint8_t dst[16],
                          uint8_t out[16]);

/* True if a is one of our addresses in a usable state. */
bool zn__ip6_is_local(const struct zn_stack *st, const uint8_t a[16]);

/* The path MTU toward dst (RFC 8201), never below 1280. */
uint32_t zn__ip6_path_mtu(struct zn_stack *st, const uint8_t dst[16]);

/* ICMPv6 port unreachable about the datagram whose upper-layer header is
 * at b->data (RFC 4443 §3.1 code 4), under §2.4's rules and the rate
 * limit.  b is not consumed. */
void zn__icmp6_port_unreachable(struct zn_stack *st, struct zn_buf *b,
                                const struct zn__inet_meta *m);

/* RFC 4861 §6.3.4/§7.2.3: a router advertisement (or other ND message)
 * from ip carried its link-layer address: create or update the neighbor
 * cache entry (STALE if new or changed), and note whether ip is a
 * router. */
void zn__nd_learn(struct zn_stack *st, const uint8_t ip[16],
                  const uint8_t mac[6], bool is_router);

#endif
