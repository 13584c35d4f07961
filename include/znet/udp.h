/** \file
 * UDP (RFC 768, RFC 1122 §4.1, ports per RFC 6056).
 *
 * Sockets come from a table inside the stack (cfg.udp_socks of them).
 *
 *   struct zn_udp_sock *s;
 *   zn_udp_open(st, &s);
 *   zn_udp_bind(s, NULL, 7);                 // any local address, port 7
 *   zn_udp_set_recv_cb(s, on_dgram, app);
 *
 * Receiving: with a receive callback set, each datagram is handed to it as
 * a view into the frame buffer it arrived in (no copy).  The view is valid
 * during the callback; zn_udp_dgram_keep() takes a reference to the buffer
 * (positioned at the payload) to keep it longer.  Without a callback,
 * datagrams wait in a per-socket queue of at most cfg.udp_rxq datagrams
 * (overflow counted in udp_drop_rxq_full) for zn_udp_recv().
 *
 * Sending: zn_udp_sendto() copies; for zero copy take a buffer from
 * zn_udp_buf_alloc(), zn_buf_put() the payload into it, and hand it to
 * zn_udp_sendto_buf(), which consumes it.  Datagrams larger than the MTU
 * are fragmented by IPv4.
 *
 * Addresses are struct zn_ip (znet/addr.h), of either family.  What a
 * socket's local address (zn_udp_bind) takes:
 *
 * | addr                          | datagrams to                     |
 * |-------------------------------|----------------------------------|
 * | NULL, ZN_AF_NONE or `::`      | any of our addresses, both families |
 * | the same after set_v6only     | any of our IPv6 addresses only   |
 * | `0.0.0.0`                     | any of our IPv4 addresses only   |
 * | one of our addresses          | that address only                |
 *
 * A datagram goes to the socket connected to its sender, else to the one
 * bound to its destination address, else to `0.0.0.0` (IPv4), else to
 * any address.  An IPv4-mapped IPv6 peer address is taken as the IPv4
 * address it maps.
 *
 * The loopback addresses are ours, as on Linux: all of 127.0.0.0/8 (with
 * or without an IPv4 address configured) and `::1` (while IPv6 is on;
 * with IPv6 off, ZN_EADDRNOTAVAIL).  Datagrams to them stay inside the
 * stack (its loopback queue), from 127.0.0.1 or `::1` unless the socket
 * is bound elsewhere; a port unreachable comes back as ZN_ECONNREFUSED.
 * A socket bound to a 127/8 address cannot send off the host (ZN_EINVAL,
 * as Linux).
 *
 * Errors: ICMP errors quoting a datagram this socket sent reach its error
 * callback: ZN_ECONNREFUSED (port unreachable), ZN_EHOSTUNREACH (net/host
 * unreachable or prohibited), ZN_EMSGSIZE (fragmentation needed),
 * ZN_ETIMEDOUT (time exceeded), ZN_EPROTO (parameter problem).
 *
 * Closing: zn_udp_close() may be called from any callback, including the
 * socket's own; the slot is recycled once no callback of it is running.
 */
#ifndef ZNET_UDP_H
#define ZNET_UDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "znet/addr.h"
#include "znet/buf.h"

struct zn_stack;
struct zn_udp_sock;

#define ZN_UDP_HDR_LEN 8
/** Largest payload of one datagram over IPv4: 65535 - 20 (IPv4) - 8
 * (UDP). */
#define ZN_UDP_MAX_PAYLOAD 65507
/** Largest payload of one datagram over IPv6: 65535 (Payload Length,
 * no jumbograms) - 8 (UDP). */
#define ZN_UDP6_MAX_PAYLOAD 65527
/** Ephemeral ports (IANA range, RFC 6335). */
#define ZN_UDP_EPHEMERAL_MIN 49152
#define ZN_UDP_EPHEMERAL_MAX 65535

struct zn_udp_dgram {
  struct zn_ip src;       /**< sender's address */
  uint16_t sport;         /**< sender's port */
  struct zn_ip dst;       /**< our address it was sent to (maybe broadcast
                               or a group: IP_PKTINFO's ipi_addr) */
  uint16_t dport;
  uint8_t ttl;            /**< its TTL or hop limit */
  uint8_t tos;            /**< its TOS or traffic class, ECN bits
                               included (IP_RECVTOS) */
  bool bcast;             /**< sent to a broadcast address */
  const uint8_t *data;    /**< payload, inside the frame buffer */
  size_t len;
  struct zn_buf *buf;     /**< the buffer holding it (for zn_udp_dgram_keep) */
};

typedef void (*zn_udp_recv_cb)(struct zn_udp_sock *s, void *arg,
                               const struct zn_udp_dgram *d);
/** An ICMP error about a datagram s sent to addr:port. */
typedef void (*zn_udp_err_cb)(struct zn_udp_sock *s, void *arg, int err,
                              const struct zn_ip *addr, uint16_t port);

/** Whether a datagram to addr:port from anyone would find a socket of
 * st's: one bound there (or to its family's wildcard) and connected to
 * no peer.  False for NULL arguments. */
bool zn_udp_bound_on(struct zn_stack *st, const struct zn_ip *addr,
                     uint16_t port);

/** A socket from the stack's table.  Errors: ZN_ENOMEM (table full). */
int zn_udp_open(struct zn_stack *st, struct zn_udp_sock **out);

/** Bind to a local address (as in the table above: NULL, ZN_AF_NONE or
 * `::` any of ours of both families, or of IPv6 only after
 * zn_udp_set_v6only(); `0.0.0.0` any IPv4 address; an IPv4-mapped
 * address is the IPv4 one) and port (0: an ephemeral port chosen at
 * random, RFC 6056 algorithm 1).  Errors: ZN_EINVAL (already bound,
 * unknown family, an IPv4-mapped address with v6only), ZN_EADDRINUSE (a
 * socket on the port whose address overlaps), ZN_EADDRNOTAVAIL (not our
 * address), ZN_ECLOSED. */
int zn_udp_bind(struct zn_udp_sock *s, const struct zn_ip *addr,
                uint16_t port);

/** Fix the peer: zn_udp_send() goes there and only its datagrams are
 * received.  Binds to an ephemeral port first if unbound.  addr NULL or
 * unspecified disconnects.  A socket bound to any address of both
 * families (`::` without v6only) connects to either, an IPv4-mapped peer
 * being the IPv4 one.  Errors: as zn_udp_bind; ZN_EINVAL also for port 0
 * or a peer of a family the binding does not take (an IPv4 peer of a
 * v6only socket: Linux says ENETUNREACH). */
int zn_udp_connect(struct zn_udp_sock *s, const struct zn_ip *addr,
                   uint16_t port);

/** Before binding: a socket bound to any address (NULL, ZN_AF_NONE or
 * `::`, or bound by a send or a connect) takes IPv6 only, as
 * IPV6_V6ONLY, and does not overlap `0.0.0.0` on its port.  Errors:
 * ZN_EINVAL (already bound; nothing changed), ZN_ECLOSED. */
int zn_udp_set_v6only(struct zn_udp_sock *s, bool on);

/** The IPv4 TOS / IPv6 traffic class of what s sends from now on, all
 * eight bits (ECN's too, as IP_TOS on a Linux UDP socket). */
void zn_udp_set_tos(struct zn_udp_sock *s, uint8_t tos);

/** The TTL / hop limit of what s sends from now on to unicast and
 * broadcast addresses (IP_TTL, IPV6_UNICAST_HOPS); 0: the stack's.  A
 * multicast group always gets the stack's. */
void zn_udp_set_ttl(struct zn_udp_sock *s, uint8_t ttl);

/** The local address and port (either may be NULL), as getsockname():
 * as bound (family ZN_AF_NONE and port 0 if unbound; ZN_AF_NONE for any
 * address of both families, `::` for IPv6's with v6only, `0.0.0.0` for
 * IPv4's); once connected while bound to any address, the source the
 * stack would send to the peer from now.  Errors: ZN_EADDRNOTAVAIL
 * (connected, and no source of the peer's family now: *addr is the
 * binding). */
int zn_udp_local_addr(const struct zn_udp_sock *s, struct zn_ip *addr,
                      uint16_t *port);

void zn_udp_set_recv_cb(struct zn_udp_sock *s, zn_udp_recv_cb cb, void *arg);
void zn_udp_set_err_cb(struct zn_udp_sock *s, zn_udp_err_cb cb, void *arg);

/** The local port (0 if unbound) and the stack of a socket. */
uint16_t zn_udp_local_port(const struct zn_udp_sock *s);
struct zn_stack *zn_udp_stack(const struct zn_udp_sock *s);

/** Send len bytes to addr:port, copying them.  Binds to an ephemeral port
 * first if unbound.  The source is the bound address, or (bound to any)
 * one of ours of addr's family.  Errors: ZN_EMSGSIZE (more than
 * ZN_UDP_MAX_PAYLOAD to an IPv4 address, ZN_UDP6_MAX_PAYLOAD to an IPv6
 * one), ZN_ENOBUFS, ZN_EINVAL (port 0, addr NULL or
 * unspecified, or of a family the binding does not take; or bound to a
 * 127/8 address, addr off the host), ZN_ECLOSED, and the network layer's
 * (ZN_EHOSTUNREACH, ZN_EADDRNOTAVAIL: no address of addr's family). */
int zn_udp_sendto(struct zn_udp_sock *s, const struct zn_ip *addr,
                  uint16_t port, const void *data, size_t len);

/** To the connected peer.  Errors: ZN_ENOTCONN, and as zn_udp_sendto. */
int zn_udp_send(struct zn_udp_sock *s, const void *data, size_t len);

/** An empty buffer with headroom for every header and room for `size`
 * payload bytes; NULL if none is free or size > ZN_UDP6_MAX_PAYLOAD (the
 * larger family's limit: zn_udp_sendto_buf checks the family's). */
struct zn_buf *zn_udp_buf_alloc(struct zn_udp_sock *s, size_t size);

/** Send the payload in b (data/len) to addr:port without copying.  Consumes
 * b.  Errors: as zn_udp_sendto. */
int zn_udp_sendto_buf(struct zn_udp_sock *s, const struct zn_ip *addr,
                      uint16_t port, struct zn_buf *b);

/** Keep the datagram's buffer past the callback: returns a new reference
 * with data/len at the payload.  Release it with zn_buf_free(). */
struct zn_buf *zn_udp_dgram_keep(const struct zn_udp_dgram *d);

/** Pop the oldest queued datagram (only without a receive callback).
 * On ZN_OK *out is a buffer at the payload owned by the caller, and
 * from/port (may be NULL) tell the sender.  Errors: ZN_EAGAIN (empty). */
int zn_udp_recv(struct zn_udp_sock *s, struct zn_buf **out,
                struct zn_ip *from, uint16_t *port);

/** Datagrams waiting in the queue. */
uint32_t zn_udp_queued(const struct zn_udp_sock *s);

/** Close: queued datagrams are freed, the port is released.  Safe inside
 * callbacks.  NULL is ignored. */
void zn_udp_close(struct zn_udp_sock *s);

/** The flow hooks of UDP (`znet/steer.h`): a connected socket's flow as
 * it is connected, connected elsewhere or dissolved, and closed, for a
 * group of stacks whose device steers each flow to the stack that holds
 * it (an unconnected socket is reached through the port table).  Copied;
 * NULL: none. */
struct zn_flow_hooks;
void zn_udp_set_flow_hooks(struct zn_stack *st, const struct zn_flow_hooks *h);

#endif /* ZNET_UDP_H */
