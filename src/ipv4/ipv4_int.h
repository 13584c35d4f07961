/* IPv4 state and the calls the rest of the stack makes into it. */
#ifndef ZN_IPV4_INT_H
#define ZN_IPV4_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arp/arp_int.h"
#include "core/frag_int.h"
#include "core/stack_int.h"
#include "modules.h"
#include "znet/buf.h"
#include "znet/stack.h"
#include "znet/timer.h"
#include "wire/wire_inline.h"
#include "znet/wire.h"

struct zn__reass {
  bool used;
  uint8_t proto;
  uint16_t id;
  uint32_t src, dst;
  struct zn__frag_queue q; /* cb: ipv4.c's struct frag_cb */
  struct zn_timer timer;
};

#define ZN__IP_IDS 64

/* A datagram v neither to our address nor a broadcast: may it come in
 * all the same?  (DHCPv4's offer unicast to the address offered, before
 * we hold one: src/dhcp4/dhcp4_int.h.) */
typedef bool (*zn__ip_accept_fn)(const struct zn_stack *st,
                                 const struct zn_ipv4_view *v);

/* Send an ICMP error about the datagram whose IP header starts at
 * orig->data (not consumed), if the reporter's rules allow (src/icmp:
 * RFC 1122 §3.2.2, the rate limit).  link_bcast: it arrived as a
 * link-layer broadcast. */
typedef void (*zn__ip_error_fn)(struct zn_stack *st,
                                const struct zn_buf *orig, bool link_bcast,
                                uint8_t type, uint8_t code, uint32_t rest);

struct zn__ip {
  /* Our address, prefix (mask) and gateway: zn_stack_set_ipv4.  The
   * directed broadcast of the prefix is ZN_IPV4_BCAST on /31 and /32
   * (RFC 3021) and without an address. */
  uint32_t addr, mask, gw, dbcast;
  uint8_t prefix;
  struct zn__reass *reass; /* cfg.reass_slots */
  uint32_t reass_mem;      /* buffer bytes held by all slots */
  uint32_t epoch;          /* of the configuration that routes and frames
                              a datagram: zn__ip_config_changed */
  uint16_t ids[ZN__IP_IDS];
  zn__ip_accept_fn accept_other; /* zn__ip_accept_other; NULL: none */
  zn__ip_error_fn report_error;  /* zn__ip_error_reporter; NULL: none */
};

/* The reporter of the errors IPv4 finds (protocol unreachable,
 * reassembly timed out) and of those a transport asks for
 * (zn__ip_send_error): at assembly, by ICMP; a stack without one sends
 * no error. */
void zn__ip_error_reporter(struct zn_stack *st, zn__ip_error_fn fn);

/* zn__ip_error_fn's call through the reporter, if there is one. */
void zn__ip_send_error(struct zn_stack *st, const struct zn_buf *orig,
                       bool link_bcast, uint8_t type, uint8_t code,
                       uint32_t rest);

/* Our address (0: none yet). */
static inline uint32_t zn__ip_addr(const struct zn_stack *st) {
  return ZN__MOD(st, ip)->addr;
}

/* The source of a datagram to dst that names none: 127.0.0.1 toward
 * 127/8 (the loopback network is up with or without an address, as
 * Linux's lo), else our address (0: none yet). */
static inline uint32_t zn__ip_source_for(const struct zn_stack *st,
                                         uint32_t dst) {
  return zn_ipv4_is_loopback(dst) ? ZN_IPV4_LOOPBACK : zn__ip_addr(st);
}

/* Whether a datagram to a can go: a is on the loopback network or on
 * our prefix, or we have a gateway. */
static inline bool zn__ip_routable(const struct zn_stack *st, uint32_t a) {
  const struct zn__ip *ip = ZN__MOD(st, ip);
  return ((a ^ ip->addr) & ip->mask) == 0 || ip->gw != 0 ||
         zn_ipv4_is_loopback(a);
}

/* Ask fn of every datagram to another address (at assembly; one: a
 * second call replaces the first). */
void zn__ip_accept_other(struct zn_stack *st, zn__ip_accept_fn fn);

/* The stack's address, mask or gateway, its MAC or its netif changed:
 * every route cached before (struct zn__ip_path) is void.  The caller of
 * any such change calls this. */
void zn__ip_config_changed(struct zn_stack *st);

/* The counter of ids a datagram to dst of protocol proto draws from: by
 * the high half of the destination's keyed hash (zn__peer_hash, whose
 * low half ARP's lookup of the same address takes), the protocol added
 * in.  An observer sees only its own slots' counters move.  Every
 * datagram that can be fragmented takes its ID here (RFC 6864 §4.2:
 * unique per source, destination and protocol for the datagram's
 * lifetime; RFC 7739 §5.3: counters per destination, not one shared);
 * an atomic one (DF) may carry its sender's own (zn__ip_tx.own_id). */
uint32_t zn__ip_id_slot(const struct zn_stack *st, uint32_t dst,
                        uint8_t proto);

struct zn__ip_tx {
  uint32_t src;            /* 0: our address */
  uint32_t dst;
  uint8_t proto;
  uint8_t tos;
  uint8_t ttl;             /* 0: cfg.ttl */
  bool df;
  bool own_id;             /* with df: the ID is id, which the sender
                              chose (RFC 6864 §4.1: an atomic datagram's
                              ID may be any value; TCP's per-connection
                              counter), not one from the per-destination
                              counters; ignored without df */
  uint16_t id;
};

/* The route and headers of one flow (one source, destination and
 * protocol, atomic datagrams with the sender's own IDs: a TCP
 * connection's segments), kept so that its next datagrams skip IPv4's
 * routing and ARP's lookup.  zn__ip_output_path fills it when a datagram
 * of the flow goes straight to a resolved neighbour; a datagram goes
 * through it (zn__ip_path_takes, zn__ip_path_output) while nothing it
 * rests on has changed: the configuration (the epoch), the neighbour's
 * entry (the pin), the MTU (read at each use).  Anything else takes the
 * full path.  All zeros is an empty path. */
struct zn__ip_path {
  uint32_t epoch;          /* zn__ip.epoch when filled; 0: empty */
  uint32_t sum;            /* the IPv4 header's words but TOS, length and
                              ID, summed (RFC 1071) */
  struct zn__arp_pin hop;  /* the next hop's ARP entry */
  uint8_t hdr[ZN_ETH_HDR_LEN + ZN_IPV4_HDR_LEN]; /* the frame's headers,
                              but for the IPv4 TOS, length, ID, checksum */
};

/* (zn__ip_path_takes(st, path, b), which every datagram of a path's flow
 * asks, is inline in ipv4_inline.h.) */

/* Send b (data at the transport header), a datagram of path's flow with
 * TOS tos and ID id that zn__ip_path_takes, as zn__ip_output would:
 * the same frame, the same counters (and ip_tx_path_cached).  Consumes
 * b. */
void zn__ip_path_output(struct zn_stack *st, const struct zn__ip_path *path,
                        struct zn_buf *b, uint8_t tos, uint16_t id);

size_t zn__ip_mem_size(const struct zn_config *cfg);
void zn__ip_init(struct zn_stack *st, void **mem);
void zn__ip_destroy(struct zn_stack *st);
/* b->data at the IP header; consumes b.  group: the frame's ZN_BUF_F_
 * flag if it was sent to a link broadcast or multicast address, else 0
 * (struct zn__eth's input). */
void zn__ip_input(struct zn_stack *st, struct zn_buf *b, uint16_t group);
/* b->data at the transport header; pushes the IP header, routes,
 * fragments if needed.  A datagram to our address or to 127/8 is looped
 * back (from 127.0.0.1 to 127/8 if tx->src is 0); one from 127/8 to
 * anywhere else is refused.  Consumes b.  Errors: ZN_EHOSTUNREACH,
 * ZN_ENETUNREACH, ZN_EADDRNOTAVAIL, ZN_EMSGSIZE, ZN_ENOBUFS, ZN_EINVAL
 * (a loopback source off the host). */
int zn__ip_output(struct zn_stack *st, struct zn_buf *b,
                  const struct zn__ip_tx *tx);
/* zn__ip_output of a datagram of path's flow (tx: atomic, own_id), which
 * also fills path if the datagram went straight to a resolved neighbour,
 * and empties it if it went another way (it leaves path as it was if it
 * fails before).  path is never NULL, which its copy of zn__ip_output's
 * body is compiled knowing. */
int zn__ip_output_path(struct zn_stack *st, struct zn_buf *b,
                       const struct zn__ip_tx *tx, struct zn__ip_path *path)
    __attribute__((nonnull(4)));
/* Send the datagram in b (data at the IP header) to a resolved link
 * address, fragmenting it if it exceeds the MTU.  Consumes b. */
void zn__ip_link_send(struct zn_stack *st, struct zn_buf *b,
                      const uint8_t mac[6]);
/* True if a is one of our unicast addresses: our address, or any of
 * 127.0.0.0/8 (a host's own, RFC 1122 §3.2.1.3 (g)). */
bool zn__ip_is_local(const struct zn_stack *st, uint32_t a);
/* True if a is the limited or our directed broadcast address. */
bool zn__ip_is_bcast(const struct zn_stack *st, uint32_t a);

/* Classify src; from_wire: the datagram came from a netif (not from our
 * own loopback queue, where our address as source is normal). */
enum zn__ipv4_src zn__ip_classify_source(const struct zn_stack *st,
                                         uint32_t src, bool from_wire);

#endif
