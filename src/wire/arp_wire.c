/*
 * ARP packets (RFC 826).
 *
 * The view accepts any hardware and protocol type so the caller can count
 * what it drops; the address accessors are only meaningful for
 * Ethernet/IPv4 (zn_arp_is_eth_ipv4), which the length check covers
 * because it uses the announced hlen and plen.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "znet/err.h"
#include "znet/wire.h"

int zn_arp_view_init(struct zn_arp_view *v, const uint8_t *p, size_t len) {
  uint8_t hlen, plen;
  size_t need;

  if (len < ZN_ARP_HDR_LEN)
    return ZN_ETRUNCATED;
  hlen = p[4];
  plen = p[5];
  /* At most 8 + 2 * 510: no overflow in size_t. */
  need = ZN_ARP_HDR_LEN + 2 * ((size_t)hlen + plen);
  if (len < need)
    return ZN_ETRUNCATED;
  v->p = p;
  v->len = need;
  v->htype = zn_rd16(p);
  v->ptype = zn_rd16(p + 2);
  v->hlen = hlen;
  v->plen = plen;
  v->op = zn_rd16(p + 6);
  return ZN_OK;
}

size_t zn_arp_emit(uint8_t *p, uint16_t op, const uint8_t sha[6],
                   uint32_t spa, const uint8_t tha[6], uint32_t tpa) {
  zn_wr16(p, ZN_ARP_HTYPE_ETH);
  zn_wr16(p + 2, ZN_ETHERTYPE_IPV4);
  p[4] = ZN_ETH_ADDR_LEN;
  p[5] = 4;
  zn_wr16(p + 6, op);
  memcpy(p + 8, sha, ZN_ETH_ADDR_LEN);
  zn_wr32(p + 14, spa);
  memcpy(p + 18, tha, ZN_ETH_ADDR_LEN);
  zn_wr32(p + 24, tpa);
  return ZN_ARP_ETH_IPV4_LEN;
}
