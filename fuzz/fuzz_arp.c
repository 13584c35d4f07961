/*
 * ARP: the view against its contract, an Ethernet/IPv4 packet written
 * back from its fields (must equal the input), then the packet through a
 * stack's ARP input (cache, replies, conflicts).
 */
#include <string.h>

#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) {
  struct zn_arp_view v;
  if (zn_arp_view_init(&v, d, n) == ZN_OK) {
    FZ_CHECK(n >= ZN_ARP_HDR_LEN);
    FZ_CHECK(v.len == ZN_ARP_HDR_LEN + 2u * ((size_t)v.hlen + v.plen));
    FZ_CHECK(v.len <= n);
    FZ_CHECK(v.htype == zn_rd16(d) && v.ptype == zn_rd16(d + 2) &&
             v.op == zn_rd16(d + 6));
    if (zn_arp_is_eth_ipv4(&v)) {
      FZ_CHECK(v.len == ZN_ARP_ETH_IPV4_LEN);
      uint8_t p[ZN_ARP_ETH_IPV4_LEN];
      FZ_CHECK(zn_arp_emit(p, v.op, zn_arp_sha(&v), zn_arp_spa(&v),
                           zn_arp_tha(&v), zn_arp_tpa(&v)) == sizeof(p));
      FZ_CHECK(memcmp(p, d, sizeof(p)) == 0);
    }
  } else {
    FZ_CHECK(n < ZN_ARP_HDR_LEN ||
             n < ZN_ARP_HDR_LEN + 2u * ((size_t)d[4] + d[5]));
  }
  struct fz_solo s;
  fz_solo_init(&s);
  fz_solo_feed_l3(&s, ZN_ETHERTYPE_ARP, d, n);
  fz_solo_free(&s);
  return 0;
}
