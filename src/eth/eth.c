/*
 * Ethernet II framing (IEEE 802.3 with EtherType), bottom of both paths.
 *
 * VLAN policy: with cfg.vlan_id 0 the stack is untagged; frames carrying
 * an 802.1Q tag with VID 0 (priority tagged, IEEE 802.1Q §9.6) are
 * accepted and the tag skipped; any other VID, a QinQ/802.1ad tag, or a
 * second tag is dropped (eth_drop_vlan).  With cfg.vlan_id N only frames
 * tagged with VID N are accepted and every frame sent carries that tag.
 */
#include <string.h>

#include "core/stack_int.h"
#include "eth/eth_int.h"
#include "znet/err.h"
#include "znet/wire.h"

/* A frame not to our own address: a broadcast, or a multicast group we
 * joined (marked on b), or another host's frame (counted, false). */
static bool link_group_accepted(struct zn_stack *st, struct zn_buf *b,
                                const uint8_t *dst) {
  if (zn_eth_is_bcast(dst)) {
    b->flags |= ZN_BUF_F_BCAST;
    return true;
  }
  if (!zn_eth_is_mcast(dst)) {
    ZN_STAT_INC(st, eth_drop_not_for_us); /* another host's frame */
    return false;
  }
  /* RFC 2464 §7: IPv6 groups map to 33:33:xx; only those joined. */
  if (!st->cfg.ipv6 || dst[0] != 0x33 || dst[1] != 0x33) {
    ZN_STAT_INC(st, eth_drop_not_for_us);
    return false;
  }
  if (!zn__ip6_mac_accepted(st, dst)) {
    ZN_STAT_INC(st, eth_drop_mcast);
    return false;
  }
  b->flags |= ZN_BUF_F_MCAST;
  return true;
}

void zn__eth_input(struct zn_stack *st, struct zn_buf *b) {
  struct zn_eth_view v;
  ZN_STAT_INC(st, eth_rx);
  if (zn_eth_view_init(&v, b->data, b->len) != ZN_OK) {
    ZN_STAT_INC(st, eth_drop_short);
    goto drop;
  }
  const uint8_t *dst = zn_eth_dst(&v), *src = zn_eth_src(&v);
  if (zn_eth_is_mcast(src) || memcmp(src, st->mac, 6) == 0) {
    ZN_STAT_INC(st, eth_drop_src);
    goto drop;
  }
  /* Ours first, the common case (our address is unicast: neither of the
   * group cases below). */
  if (memcmp(dst, st->mac, 6) != 0 && !link_group_accepted(st, b, dst))
    goto drop; /* counted inside */
  if (v.type == ZN_ETHERTYPE_VLAN || v.type == ZN_ETHERTYPE_QINQ) {
    ZN_STAT_INC(st, eth_drop_vlan); /* stacked tags */
    goto drop;
  }
  if (st->cfg.vlan_id) {
    if (!v.tagged || zn_eth_vid(&v) != st->cfg.vlan_id) {
      ZN_STAT_INC(st, eth_drop_vlan);
      goto drop;
    }
  } else if (v.tagged) {
    if (zn_eth_vid(&v) != 0) {
      ZN_STAT_INC(st, eth_drop_vlan);
      goto drop;
    }
    ZN_STAT_INC(st, eth_vlan_prio);
  }
  uint16_t type = v.type;
  zn_buf_pull(b, v.hdr_len);
  switch (type) {
  case ZN_ETHERTYPE_IPV4:
    zn__ip_input(st, b, (b->flags & ZN_BUF_F_BCAST) != 0);
    return;
  case ZN_ETHERTYPE_IPV6:
    if (!st->cfg.ipv6)
      break;
    zn__ip6_input(st, b, (b->flags & (ZN_BUF_F_MCAST | ZN_BUF_F_BCAST)) != 0);
    return;
  case ZN_ETHERTYPE_ARP:
    zn__arp_input(st, b);
    return;
  default:
    break;
  }
  ZN_STAT_INC(st, eth_drop_type);
drop:
  zn_buf_free(b);
}

void zn__eth_output(struct zn_stack *st, struct zn_buf *b,
                    const uint8_t dst[6], uint16_t type) {
  if (st->cfg.vlan_id) {
    uint8_t *p = zn_buf_push(b, ZN_ETH_VLAN_HDR_LEN);
    if (!p)
      goto nospace;
    zn_eth_emit_vlan(p, dst, st->mac, st->cfg.vlan_id, type);
  } else {
    uint8_t *p = zn_buf_push(b, ZN_ETH_HDR_LEN);
    if (!p)
      goto nospace;
    zn_eth_emit(p, dst, st->mac, type);
  }
  zn__if_output(st, b);
  return;
nospace:
  /* Every buffer is allocated with ZN_BUF_HEADROOM, which covers all
   * headers; reaching here is a bug in a layer above. */
  ZN_STAT_INC(st, if_tx_errors);
  zn_buf_free(b);
}
