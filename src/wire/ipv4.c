/*
 * IPv4 headers (RFC 791): the checked view, the header checksum, and a
 * 20-byte header without options.
 *
 * Every length check lives in check_hdr(); lengths are compared as size_t,
 * which holds any IHL * 4 or total length without overflow.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "znet/err.h"
#include "znet/wire.h"

/* The checks both view constructors share, in the order the errors are
 * documented: a reason is reported only once the bytes it needs are known
 * to be there. */
static int check_hdr(const uint8_t *p, size_t len, size_t *hdr_len,
                     size_t *tot_len) {
  if (len < ZN_IPV4_HDR_LEN)
    return ZN_ETRUNCATED;
  if (p[0] >> 4 != 4)
    return ZN_EPROTO;
  *hdr_len = (size_t)(p[0] & 0x0f) * 4u;
  if (*hdr_len < ZN_IPV4_HDR_LEN || *hdr_len > len)
    return ZN_EMALFORMED;
  *tot_len = zn_rd16(p + 2);
  if (*tot_len < *hdr_len)
    return ZN_ERANGE;
  return ZN_OK;
}

static void fill(struct zn_ipv4_view *v, const uint8_t *p, size_t hdr_len,
                 size_t tot_len, size_t len) {
  v->p = p;
  v->hdr_len = hdr_len;
  v->tot_len = tot_len;
  v->len = len;
  v->tos = p[1];
  v->id = zn_rd16(p + 4);
  v->frag = zn_rd16(p + 6);
  v->ttl = p[8];
  v->proto = p[9];
  v->src = zn_rd32(p + 12);
  v->dst = zn_rd32(p + 16);
}

int zn_ipv4_view_init(struct zn_ipv4_view *v, const uint8_t *p, size_t len) {
  size_t hdr_len, tot_len;
  int err = check_hdr(p, len, &hdr_len, &tot_len);

  if (err != ZN_OK)
    return err;
  if (tot_len > len)
    return ZN_ERANGE;
  fill(v, p, hdr_len, tot_len, tot_len);
  return ZN_OK;
}

/* An ICMP error quotes as much of the datagram as fits (RFC 1812 4.3.2.3),
 * so the payload may end before tot_len; only the header must be whole. */
int zn_ipv4_view_init_quoted(struct zn_ipv4_view *v, const uint8_t *p,
                             size_t len) {
  size_t hdr_len, tot_len;
  int err = check_hdr(p, len, &hdr_len, &tot_len);

  if (err != ZN_OK)
    return err;
  fill(v, p, hdr_len, tot_len, tot_len < len ? tot_len : len);
  return ZN_OK;
}

bool zn_ipv4_csum_ok(const struct zn_ipv4_view *v) {
  return (v->hdr_len == ZN_IPV4_HDR_LEN ? zn_csum20(v->p)
                                       : zn_csum(v->p, v->hdr_len)) == 0;
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
