/*
 * IPv4 headers (RFC 791): the checked view, the header checksum, and a
 * 20-byte header without options.
 *
 * Every length check lives in zn__ipv4_check_hdr() (wire_inline.h, where
 * IPv4 input reads it inline); lengths are compared as size_t, which
 * holds any IHL * 4 or total length without overflow.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wire/wire_inline.h"
#include "znet/err.h"
#include "znet/wire.h"

/* The checks and the fill are zn__ipv4_check_hdr and zn__ipv4_view_fill
 * (wire_inline.h), which IPv4 input runs inline. */

int zn_ipv4_view_init(struct zn_ipv4_view *v, const uint8_t *p, size_t len) {
  return zn__ipv4_view_parse(v, p, len);
}

/* An ICMP error quotes as much of the datagram as fits (RFC 1812 4.3.2.3),
 * so the payload may end before tot_len; only the header must be whole. */
int zn_ipv4_view_init_quoted(struct zn_ipv4_view *v, const uint8_t *p,
                             size_t len) {
  size_t hdr_len, tot_len;
  int err = zn__ipv4_check_hdr(p, len, &hdr_len, &tot_len);

  if (err != ZN_OK)
    return err;
  zn__ipv4_view_fill(v, p, hdr_len, tot_len, tot_len < len ? tot_len : len);
  return ZN_OK;
}

bool zn_ipv4_csum_ok(const struct zn_ipv4_view *v) {
  return zn__ipv4_csum_ok(v);
}

size_t zn_ipv4_emit(uint8_t *p, const struct zn_ipv4_hdr *h) {
  p[0] = 0x45; /* version 4, IHL 5 */
  p[1] = h->tos;
  zn_wr16(p + 2, h->tot_len);
  zn_wr16(p + 4, h->id);
  zn_wr16(p + 6, h->frag);
  p[8] = h->ttl;
  p[9] = h->proto;
  zn_wr16(p + 10, 0);
  zn_wr32(p + 12, h->src);
  zn_wr32(p + 16, h->dst);
  zn_wr16(p + 10, zn_csum20(p));
  return ZN_IPV4_HDR_LEN;
}

bool zn_eth_ipv4_locate(const uint8_t *f, size_t len, size_t *ip, size_t *l4,
                        uint8_t *proto) {
  size_t l2 = ZN_ETH_HDR_LEN;
  if (len < l2 + ZN_IPV4_HDR_LEN)
    return false;
  uint16_t type = zn_rd16(f + 12);
  if (type == ZN_ETHERTYPE_VLAN) {
    l2 += 4;
    if (len < l2 + ZN_IPV4_HDR_LEN)
      return false;
    type = zn_rd16(f + 16);
  }
  size_t ihl = (size_t)(f[l2] & 0x0f) * 4;
  if (type != ZN_ETHERTYPE_IPV4 || (f[l2] >> 4) != 4 ||
      ihl < ZN_IPV4_HDR_LEN || len < l2 + ihl + 8)
    return false;
  *ip = l2;
  *l4 = l2 + ihl;
  *proto = f[l2 + 9];
  return true;
}
