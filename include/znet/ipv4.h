/** \file
 * IPv4 (RFC 791, RFC 1122 §3.2.1, RFC 815 reassembly).
 *
 * One interface with an address, a prefix and an optional default gateway.
 * Input validation: version, header length, total length against the
 * frame, header checksum, source (not broadcast/multicast), destination
 * (our address, limited or directed broadcast); any TTL, 0 included
 * (RFC 1122 §3.2.1.7: TTL is a router's business).  Options are accepted
 * and skipped.
 *
 * The loopback network 127.0.0.0/8 (RFC 1122 §3.2.1.3 (g)) is the host's
 * own, as on Linux, where lo holds 127.0.0.1/8: a datagram to any of it
 * is looped back inside the stack (never sent), from 127.0.0.1 unless
 * its sender chose another source, with or without an address
 * configured; transports bind to any 127/8 address.  A 127/8 source or
 * destination from the wire is dropped (ip_drop_src_loopback,
 * ip_drop_not_for_us), and a 127/8 source is never sent out
 * (ip_tx_drop_src_loopback).
 *
 * Reassembly holds at most reass_slots datagrams and reass_max_bytes of
 * fragments; a datagram not complete within reass_timeout_ms is dropped
 * (with ICMP time exceeded if its first fragment came).  A fragment that
 * overlaps one already held drops the whole datagram (RFC 5722's rule,
 * applied to IPv4: overlaps are an evasion technique, not a need).
 *
 * Datagrams larger than the MTU are fragmented unless DF is asked for.
 */
#ifndef ZNET_IPV4_H
#define ZNET_IPV4_H

#include <stdint.h>

#endif /* ZNET_IPV4_H */
