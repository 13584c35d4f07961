/*
 * The calls of inet_int.h that every datagram makes and that need the
 * whole struct zn_stack, inline.  core/stack_int.h includes this file
 * after it defines the stack; nothing else should.
 */
#ifndef ZN_INET_INLINE_H
#define ZN_INET_INLINE_H

#include "inet/inet_int.h"
#include "ipv4/ipv4_inline.h"
#include "ipv6/ipv6_int.h"
#include "znet/err.h"

/* The input of proto's transport, NULL if none is registered. */
static inline zn__inet_input_fn zn__inet_input(const struct zn_stack *st,
                                               uint8_t proto) {
  const struct zn__inet *n = ZN__MOD(st, inet);
  return n->l4[n->by_proto[proto]].input;
}

/* Hand b (data at the transport header) to m->proto's transport, which
 * consumes it.  Returns false, b untouched, if none is registered: the
 * caller answers (protocol unreachable) and counts the drop. */
static inline bool zn__inet_deliver(struct zn_stack *st, struct zn_buf *b,
                                    const struct zn__inet_meta *m) {
  zn__inet_input_fn in = zn__inet_input(st, m->proto);
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

/* zn__inet_send_atomic of a datagram of path's flow (struct
 * zn__ip_path: a transport's connection keeps one): IPv4 sends it
 * through path if path takes it, else the full way, which fills path for
 * the next.  IPv6 ignores path. */
static inline int zn__inet_send_path(struct zn_stack *st, struct zn_buf *b,
                                     const struct zn_ip *src,
                                     const struct zn_ip *dst, uint8_t proto,
                                     uint8_t tos, uint16_t id,
                                     struct zn__ip_path *path) {
  if (dst->family == ZN_AF_INET && src->family != ZN_AF_INET6) {
    if (zn__ip_path_takes(st, path, b)) {
      zn__ip_path_output(st, path, b, tos, id);
      return ZN_OK;
    }
    struct zn__ip_tx t = {.src = zn_rd32(src->bytes),
                          .dst = zn_rd32(dst->bytes),
                          .proto = proto,
                          .tos = tos,
                          .df = true,
                          .own_id = true,
                          .id = id};
    return zn__ip_output_path(st, b, &t, path);
  }
  return zn__inet_send_atomic(st, b, src, dst, proto, tos, id);
}

/* Moves whenever a path MTU may have fallen (an ICMPv6 packet too big,
 * a router advertisement's MTU): a transport sizing its segments to the
 * path MTU (TCP) fits them again when it sees a new value.  IPv4 keeps
 * no path MTU table (TCP's MSS is its path MTU there). */
static inline uint32_t zn__inet_mtu_epoch(const struct zn_stack *st) {
  return ZN__MOD(st, ip6)->mtu_epoch;
}

#endif
