/*
 * Ethernet: the view (zn_eth_view_init) against its contract, the header
 * written back from the parsed fields (must equal the input's), then the
 * frame as it is through a stack's Ethernet input.
 */
#include <string.h>

#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) {
  struct zn_eth_view v;
  if (zn_eth_view_init(&v, d, n) == ZN_OK) {
    FZ_CHECK(v.p == d && v.len == n);
    FZ_CHECK(v.hdr_len == (v.tagged ? 18u : 14u) && v.hdr_len <= n);
    FZ_CHECK(v.tagged == (zn_rd16(d + 12) == ZN_ETHERTYPE_VLAN));
    FZ_CHECK(v.tagged || v.tci == 0);
    FZ_CHECK(zn_eth_vid(&v) < 4096);
    uint8_t h[ZN_ETH_VLAN_HDR_LEN];
    size_t hl = v.tagged ? zn_eth_emit_vlan(h, zn_eth_dst(&v), zn_eth_src(&v),
                                            v.tci, v.type)
                         : zn_eth_emit(h, zn_eth_dst(&v), zn_eth_src(&v),
                                       v.type);
    FZ_CHECK(hl == v.hdr_len && memcmp(h, d, hl) == 0);
    FZ_CHECK(zn_eth_is_bcast(d) == (memcmp(d, zn_eth_bcast, 6) == 0));
    FZ_CHECK(!zn_eth_is_zero(d) || !zn_eth_is_mcast(d));
  } else {
    FZ_CHECK(n < ZN_ETH_VLAN_HDR_LEN);
  }
  struct fz_solo s;
  fz_solo_init(&s);
  fz_solo_inject(&s, d, n);
  fz_solo_free(&s);
  return 0;
}
