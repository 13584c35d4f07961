/*
 * The calls of inet_int.h that every datagram makes and that need the
 * whole struct zn_stack, inline.  core/stack_int.h includes this file
 * after it defines the stack; nothing else should.
 */
#ifndef ZN_INET_INLINE_H
#define ZN_INET_INLINE_H

#include "inet/inet_int.h"
#include "znet/err.h"

/* Hand b (data at the transport header) to m->proto's transport, which
 * consumes it.  Returns false, b untouched, if none is registered: the
 * caller answers (protocol unreachable) and counts the drop. */
static inline bool zn__inet_deliver(struct zn_stack *st, struct zn_buf *b,
                                    const struct zn__inet_meta *m) {
  const struct zn__inet *n = &st->inet;
  zn__inet_input_fn in = n->l4[n->by_proto[m->proto]].input;
  if (!in)
    return false;
  in(st, b, m);
  return true;
}

/* The source address for a datagram to dst: IPv4, our address; IPv6,
 * RFC 6724's choice (zn__inet_select_source_v6).  Errors:
 * ZN_EADDRNOTAVAIL (no usable address of dst's family), ZN_EINVAL. */
static inline int zn__inet_select_source(struct zn_stack *st,
                                         const struct zn_ip *dst,
                                         struct zn_ip *out) {
  if (dst->family == ZN_AF_INET) {
    if (st->ip_addr == 0)
      return ZN_EADDRNOTAVAIL;
    *out = zn_ip_from_v4(st->ip_addr);
    return ZN_OK;
  }
  return zn__inet_select_source_v6(st, dst, out);
}

/* Moves whenever a path MTU may have fallen (an ICMPv6 packet too big,
 * a router advertisement's MTU): a transport sizing its segments to the
 * path MTU (TCP) fits them again when it sees a new value.  IPv4 keeps
 * no path MTU table (TCP's MSS is its path MTU there). */
static inline uint32_t zn__inet_mtu_epoch(const struct zn_stack *st) {
  return st->ip6.mtu_epoch;
}

#endif
