/*
 * The network layer as the transports call it, for either family: each
 * call goes to IPv4 (src/ipv4) or IPv6 (src/ipv6) by its address's
 * family, as Linux's af_ops do.  Above both families, below the
 * transports (src/udp, src/tcp), which name neither family's layer; no
 * state and no policy of its own.  This header declares af.c's calls;
 * af_inline.h holds those every datagram makes, inline (IPv4's common
 * case, a datagram per segment, costs what the direct zn__ip_output
 * did), and is what the transports include.
 *
 * A stack assembled without IPv6 has no layer for that family: its calls
 * answer as for a family with no address (ZN_EADDRNOTAVAIL, not local).
 */
#ifndef ZN_AF_INT_H
#define ZN_AF_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "core/stack_int.h"
#include "inet/inet_int.h"
#include "ipv4/ipv4_int.h"
#include "ipv6/ipv6_int.h"
#include "modules.h"
#include "znet/addr.h"
#include "znet/buf.h"
#include "znet/err.h"
#include "znet/wire.h"

/* b->data at the transport header, checksum done (or left partial for the
 * netif).  Pushes the network header(s), routes, fragments if allowed.
 * Consumes b.  Errors: ZN_EHOSTUNREACH, ZN_ENETUNREACH, ZN_EADDRNOTAVAIL
 * (also: no layer for the family), ZN_EMSGSIZE, ZN_ENOBUFS, ZN_EINVAL (no
 * family, or src and dst of different families). */
int zn__af_output_family(struct zn_stack *st, struct zn_buf *b,
                         const struct zn__inet_tx *tx);

/* zn__af_select_source for any family but IPv4.  Errors:
 * ZN_EADDRNOTAVAIL (no usable IPv6 address, or no IPv6), ZN_EINVAL (no
 * family). */
int zn__af_select_source_v6(struct zn_stack *st, const struct zn_ip *dst,
                            struct zn_ip *out);

/* True if a is one of our unicast addresses, usable now (an IPv6 address
 * still undergoing duplicate address detection is not), or the loopback:
 * 127.0.0.0/8, and ::1 while IPv6 is up. */
bool zn__af_is_local(const struct zn_stack *st, const struct zn_ip *a);

/* The path MTU toward dst: IPv4, the netif's MTU; IPv6, the path MTU
 * learned from packet too big (RFC 8201), at least 1280. */
uint32_t zn__af_path_mtu(struct zn_stack *st, const struct zn_ip *dst);

/* RFC 4861 §7.3.1: a transport saw forward progress with peer (TCP: new
 * data acknowledged), which confirms that the neighbor its packets go
 * through is reachable, so a busy flow needs no NUD probes.  IPv6 only:
 * ARP (RFC 826) keeps no reachability state. */
void zn__af_confirm_reachable(struct zn_stack *st, const struct zn_ip *peer);

/* The binding addr asks for, as stored (inet_int.h says what a binding
 * means): NULL, ZN_AF_NONE and :: become ZN_AF_NONE; 0.0.0.0 stays; an
 * IPv4-mapped address is the IPv4 one; any other address must be ours
 * (zn__af_is_local: the loopback is).  Errors: ZN_EADDRNOTAVAIL (not
 * ours), ZN_EINVAL (unknown family). */
int zn__af_binding(struct zn_stack *st, const struct zn_ip *addr,
                   struct zn_ip *out);

/* Answer the datagram whose transport header is at b->data (its network
 * headers m->hdr_len bytes before it) with port unreachable, if the
 * family's ICMP rules and rate limit allow.  b is not consumed. */
void zn__af_port_unreachable(struct zn_stack *st, struct zn_buf *b,
                             const struct zn__inet_meta *m);

#endif
