/*
 * The calls of ipv4_int.h that every datagram of a cached route makes
 * and that need the whole struct zn_stack and ARP's pins, inline: for
 * the transports' family switch (src/af).
 */
#ifndef ZN_IPV4_INLINE_H
#define ZN_IPV4_INLINE_H

#include "ipv4/ipv4_int.h"

/* Whether b (data at the transport header), a datagram of path's flow,
 * goes through path now: path stands (filled under this configuration,
 * its neighbour's entry pinned still), and b is what zn__ip_output and
 * zn__ip_link_send would send whole: within IPv4's limit, within the
 * MTU unless the netif cuts it (TSO), with headroom for the headers.
 * Else b takes zn__ip_output_path.  (The epoch is asked first: an empty
 * path has none, nor a pin.  A path is filled only with a netif, and
 * attaching one moves the epoch.) */
static inline bool zn__ip_path_takes(const struct zn_stack *st,
                                     const struct zn__ip_path *path,
                                     const struct zn_buf *b) {
  uint32_t tot = b->len + ZN_IPV4_HDR_LEN;
  return path->epoch == ZN__MOD(st, ip)->epoch && tot <= ZN_IPV4_MAX_LEN &&
         (tot <= st->nif->mtu || b->gso_size) &&
         zn_buf_headroom(b) >= sizeof(path->hdr) &&
         zn__arp_pinned(&path->hop);
}

#endif
