/*
 * Ethernet II framing (IEEE 802.3) with at most one IEEE 802.1Q tag.
 *
 * Only one 0x8100 tag is decoded.  An 802.1ad (0x88a8) outer tag, or a
 * second 0x8100 tag inside the first, is left in `type` so the caller
 * drops the frame instead of reading a tag as a network header.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "wire/wire_inline.h"
#include "znet/err.h"
#include "znet/wire.h"

const uint8_t zn_eth_bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

int zn_eth_view_init(struct zn_eth_view *v, const uint8_t *p, size_t len) {
  return zn__eth_view_parse(v, p, len); /* wire_inline.h */
}

size_t zn_eth_emit(uint8_t *p, const uint8_t dst[6], const uint8_t src[6],
                   uint16_t type) {
  memcpy(p, dst, ZN_ETH_ADDR_LEN);
  memcpy(p + 6, src, ZN_ETH_ADDR_LEN);
  zn_wr16(p + 12, type);
  return ZN_ETH_HDR_LEN;
}

size_t zn_eth_emit_vlan(uint8_t *p, const uint8_t dst[6],
                        const uint8_t src[6], uint16_t tci, uint16_t type) {
  memcpy(p, dst, ZN_ETH_ADDR_LEN);
  memcpy(p + 6, src, ZN_ETH_ADDR_LEN);
  zn_wr16(p + 12, ZN_ETHERTYPE_VLAN);
  zn_wr16(p + 14, tci);
  zn_wr16(p + 16, type);
  return ZN_ETH_VLAN_HDR_LEN;
}

bool zn_eth_is_bcast(const uint8_t *mac) {
  return (mac[0] & mac[1] & mac[2] & mac[3] & mac[4] & mac[5]) == 0xff;
}

bool zn_eth_is_zero(const uint8_t *mac) {
  return (mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]) == 0;
}
