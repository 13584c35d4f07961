/*
 * The calls of the family switch that every datagram makes, inline
 * (af_int.h declares the rest, which af.c defines).  For the
 * transports.
 */
#ifndef ZN_AF_INLINE_H
#define ZN_AF_INLINE_H

#include <stdbool.h>
#include <stdint.h>

#include "af/af_int.h"
#include "core/stack_int.h"
#include "inet/inet_int.h"
#include "ipv4/ipv4_inline.h"
#include "ipv4/ipv4_int.h"
#include "ipv6/ipv6_int.h"
#include "modules.h"
#include "znet/addr.h"
#include "znet/buf.h"
#include "znet/err.h"
#include "znet/wire.h"

/* (zn__af_output_family above is the same call for any family; the
 * inline keeps IPv4's common case as cheap as the direct zn__ip_output.) */
static inline int zn__af_output(struct zn_stack *st, struct zn_buf *b,
                                const struct zn__inet_tx *tx) {
  if (tx->dst.family == ZN_AF_INET && tx->src.family != ZN_AF_INET6) {
    /* A source of no family reads as 0: "our address". */
    struct zn__ip_tx t = {.src = zn_rd32(tx->src.bytes),
                          .dst = zn_rd32(tx->dst.bytes),
                          .proto = tx->proto,
                          .tos = tx->tos,
                          .ttl = tx->ttl,
                          .df = tx->df};
    return zn__ip_output(st, b, &t);
  }
  return zn__af_output_family(st, b, tx);
}

/* zn__af_output for a transport's plain datagram (tos the TOS or traffic
 * class, TCP's ECN field in it; ttl the TTL or hop limit, 0 the
 * default): the same call, without a struct zn__inet_tx to fill and read
 * back on IPv4's per-segment path. */
static inline int zn__af_send_id(struct zn_stack *st, struct zn_buf *b,
                                 const struct zn_ip *src,
                                 const struct zn_ip *dst, uint8_t proto,
                                 uint8_t tos, uint8_t ttl, bool df,
                                 bool own_id, uint16_t id) {
  if (dst->family == ZN_AF_INET && src->family != ZN_AF_INET6) {
    struct zn__ip_tx t = {.src = zn_rd32(src->bytes),
                          .dst = zn_rd32(dst->bytes),
                          .proto = proto,
                          .tos = tos,
                          .ttl = ttl,
                          .df = df,
                          .own_id = own_id,
                          .id = id};
    return zn__ip_output(st, b, &t);
  }
  struct zn__inet_tx tx = {.src = *src,
                           .dst = *dst,
                           .proto = proto,
                           .tos = tos,
                           .ttl = ttl,
                           .df = df};
  return zn__af_output_family(st, b, &tx);
}

static inline int zn__af_send(struct zn_stack *st, struct zn_buf *b,
                              const struct zn_ip *src, const struct zn_ip *dst,
                              uint8_t proto, uint8_t tos, uint8_t ttl,
                              bool df) {
  return zn__af_send_id(st, b, src, dst, proto, tos, ttl, df, false, 0);
}

/* zn__af_send of an atomic datagram (DF) whose IPv4 ID the transport
 * chose (zn__ip_tx.own_id); IPv6, whose header has no ID, ignores it. */
static inline int zn__af_send_atomic(struct zn_stack *st, struct zn_buf *b,
                                     const struct zn_ip *src,
                                     const struct zn_ip *dst, uint8_t proto,
                                     uint8_t tos, uint8_t ttl, uint16_t id) {
  return zn__af_send_id(st, b, src, dst, proto, tos, ttl, true, true, id);
}

/* zn__af_send_atomic of a datagram of path's flow (struct zn__ip_path: a
 * transport's connection keeps one): IPv4 sends it through path if path
 * takes it, else the full way, which fills path for the next.  The path
 * keeps the TTL it was filled with: a flow that changes its ttl empties
 * it (epoch 0).  IPv6 ignores path. */
static inline int zn__af_send_path(struct zn_stack *st, struct zn_buf *b,
                                   const struct zn_ip *src,
                                   const struct zn_ip *dst, uint8_t proto,
                                   uint8_t tos, uint8_t ttl, uint16_t id,
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
                          .ttl = ttl,
                          .df = true,
                          .own_id = true,
                          .id = id};
    return zn__ip_output_path(st, b, &t, path);
  }
  return zn__af_send_atomic(st, b, src, dst, proto, tos, ttl, id);
}

/* The source address for a datagram to dst: IPv4, our address (127.0.0.1
 * toward 127/8); IPv6, RFC 6724's choice (::1 toward ::1).  Errors:
 * ZN_EADDRNOTAVAIL (no usable address of dst's family), ZN_EINVAL. */
static inline int zn__af_select_source(struct zn_stack *st,
                                       const struct zn_ip *dst,
                                       struct zn_ip *out) {
  if (dst->family == ZN_AF_INET) {
    /* zn__ip_source_for, with the loopback apart: the constant out of
     * the way of the common case's (an unbound socket's every send). */
    if (__builtin_expect(zn_ipv4_is_loopback(zn_rd32(dst->bytes)), 0)) {
      *out = zn_ip_from_v4(ZN_IPV4_LOOPBACK);
      return ZN_OK;
    }
    uint32_t a = zn__ip_addr(st);
    if (a == 0)
      return ZN_EADDRNOTAVAIL;
    *out = zn_ip_from_v4(a);
    return ZN_OK;
  }
  return zn__af_select_source_v6(st, dst, out);
}

/* Is a a loopback address: 127.0.0.0/8, ::1? */
static inline bool zn__af_is_loopback(const struct zn_ip *a) {
  if (a->family == ZN_AF_INET)
    return zn_ipv4_is_loopback(zn_ip_v4(a));
  return a->family == ZN_AF_INET6 && zn_ipv6_addr_is_loopback(a->bytes);
}

/* Whether dst can be reached at all: an IPv4 peer off our prefix and off
 * the loopback network needs a gateway; IPv6 finds out when it sends (a
 * router may yet come). */
static inline bool zn__af_routable(const struct zn_stack *st,
                                   const struct zn_ip *dst) {
  return dst->family != ZN_AF_INET || zn__ip_routable(st, zn_ip_v4(dst));
}

/* Moves whenever a path MTU may have fallen (an ICMPv6 packet too big,
 * a router advertisement's MTU): a transport sizing its segments to the
 * path MTU (TCP) fits them again when it sees a new value.  IPv4 keeps
 * no path MTU table (TCP's MSS is its path MTU there). */
static inline uint32_t zn__af_mtu_epoch(const struct zn_stack *st) {
  return ZN__MOD(st, ip6) ? zn__ip6_mtu_epoch(st) : 0;
}

#endif
