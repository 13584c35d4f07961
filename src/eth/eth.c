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
#include "wire/wire_inline.h"
#include "znet/err.h"
#include "znet/wire.h"

/* A frame not to our own address: a broadcast, or a multicast group we
 * joined; returns the ZN_BUF_F_ flag to mark b with, or 0 for another
 * host's frame or a group we did not join (counted). */
static uint16_t link_group(struct zn_stack *st, const uint8_t *dst) {
  if (zn_eth_is_bcast(dst))
    return ZN_BUF_F_BCAST;
  if (!zn_eth_is_mcast(dst)) {
    ZN_STAT_INC(st, eth_drop_not_for_us); /* another host's frame */
    return 0;
  }
  /* RFC 2464 §7: IPv6 groups map to 33:33:xx; only those joined. */
  if (!st->cfg.ipv6 || dst[0] != 0x33 || dst[1] != 0x33) {
    ZN_STAT_INC(st, eth_drop_not_for_us);
    return 0;
  }
  if (!zn__ip6_mac_accepted(st, dst)) {
    ZN_STAT_INC(st, eth_drop_mcast);
    return 0;
  }
  return ZN_BUF_F_MCAST;
}

/* The VLAN policy of the header comment, for a frame whose EtherType
 * (after at most one tag) is type; false (counted) to drop it. */
static bool tag_accepted(struct zn_stack *st, uint16_t type, bool tagged,
                         uint16_t tci) {
  uint16_t vid = tci & 0x0fff;
  if (type == ZN_ETHERTYPE_VLAN || type == ZN_ETHERTYPE_QINQ) {
    ZN_STAT_INC(st, eth_drop_vlan); /* stacked tags */
    return false;
  }
  if (st->cfg.vlan_id) {
    if (!tagged || vid != st->cfg.vlan_id) {
      ZN_STAT_INC(st, eth_drop_vlan);
      return false;
    }
  } else if (tagged) {
    if (vid != 0) {
      ZN_STAT_INC(st, eth_drop_vlan);
      return false;
    }
    ZN_STAT_INC(st, eth_vlan_prio);
  }
  return true;
}

/* b (data past the Ethernet header) to the input of its EtherType, type,
 * which consumes it; group is the ZN_BUF_F_ flag of a frame to a group,
 * 0 for one to us. */
static inline void dispatch(struct zn_stack *st, struct zn_buf *b,
                            uint16_t type, uint16_t group) {
  switch (type) {
  case ZN_ETHERTYPE_IPV4:
    zn__ip_input(st, b, group == ZN_BUF_F_BCAST);
    return;
  case ZN_ETHERTYPE_IPV6:
    if (!st->cfg.ipv6)
      break;
    zn__ip6_input(st, b, group != 0);
    return;
  case ZN_ETHERTYPE_ARP:
    zn__arp_input(st, b);
    return;
  case ZN_ETHERTYPE_QINQ:
    /* An untagged frame on an untagged stack can still carry an 802.1ad
     * tag. */
    ZN_STAT_INC(st, eth_drop_vlan);
    zn_buf_free(b);
    return;
  default:
    break;
  }
  ZN_STAT_INC(st, eth_drop_type);
  zn_buf_free(b);
}

static bool source_accepted(struct zn_stack *st, const uint8_t *src) {
  if (zn_eth_is_mcast(src) || memcmp(src, st->mac, 6) == 0) {
    ZN_STAT_INC(st, eth_drop_src);
    return false;
  }
  return true;
}

/* Every frame but the common one, checked in full from its first byte:
 * the header, source, destination (ours, or a group), then the tag
 * rules.  Out of line, so that its calls and its view cost the common
 * path no saved registers and no frame. */
__attribute__((noinline)) static void input_any(struct zn_stack *st,
                                                struct zn_buf *b) {
  struct zn_eth_view v;
  if (zn__eth_view_parse(&v, b->data, b->len) != ZN_OK) {
    ZN_STAT_INC(st, eth_drop_short);
    goto drop;
  }
  if (!source_accepted(st, zn_eth_src(&v)))
    goto drop;
  uint16_t group = 0;
  if (memcmp(zn_eth_dst(&v), st->mac, 6) != 0) {
    group = link_group(st, zn_eth_dst(&v));
    if (!group)
      goto drop; /* counted inside */
    b->flags |= group;
  }
  if (!tag_accepted(st, v.type, v.tagged, v.tci))
    goto drop; /* counted inside */
  zn_buf_pull(b, v.hdr_len);
  dispatch(st, b, v.type, group);
  return;
drop:
  zn_buf_free(b);
}

/* The common frame, untagged on an untagged stack and to our address,
 * needs of the checks of input_any only the source's: the tag rules pass
 * it, and it is to no group.  It is read in place, and an IPv4 datagram
 * goes on first; any other frame goes to input_any, which parses it
 * again. */
void zn__eth_input(struct zn_stack *st, struct zn_buf *b) {
  ZN_STAT_INC(st, eth_rx);
  const uint8_t *p = b->data;
  if (b->len < ZN_ETH_HDR_LEN) {
    ZN_STAT_INC(st, eth_drop_short);
    zn_buf_free(b);
    return;
  }
  uint16_t type = zn_rd16(p + 12);
  if (type == ZN_ETHERTYPE_VLAN || st->cfg.vlan_id ||
      memcmp(p, st->mac, 6) != 0) {
    input_any(st, b);
    return;
  }
  if (!source_accepted(st, p + 6)) {
    zn_buf_free(b);
    return;
  }
  zn_buf_pull(b, ZN_ETH_HDR_LEN); /* (the length is checked above) */
  if (type == ZN_ETHERTYPE_IPV4) {
    zn__ip_input(st, b, false);
    return;
  }
  dispatch(st, b, type, 0);
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
