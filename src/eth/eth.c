/*
 * Ethernet II framing (IEEE 802.3 with EtherType), bottom of both paths.
 *
 * VLAN policy: with cfg.vlan_id 0 the stack is untagged; frames carrying
 * an 802.1Q tag with VID 0 (priority tagged, IEEE 802.1Q §9.6) are
 * accepted and the tag skipped; any other VID, a QinQ/802.1ad tag, or a
 * second tag is dropped (eth_drop_vlan).  With cfg.vlan_id N only frames
 * tagged with VID N are accepted and every frame sent carries that tag.
 *
 * A frame goes to the input its EtherType registered (struct zn__eth);
 * a type nobody registered, or a multicast group no layer joined, is
 * dropped and counted here.
 */
#include <string.h>

#include "core/module_int.h"
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
  /* Only the groups a layer joined (IPv6's, RFC 2464 §7). */
  zn__eth_group_fn filter = ZN__MOD(st, eth)->group;
  switch (filter ? filter(st, dst) : ZN__ETH_GROUP_OTHER) {
  case ZN__ETH_GROUP_JOINED:
    return ZN_BUF_F_MCAST;
  case ZN__ETH_GROUP_UNJOINED:
    ZN_STAT_INC(st, eth_drop_mcast);
    return 0;
  case ZN__ETH_GROUP_OTHER:
    break;
  }
  ZN_STAT_INC(st, eth_drop_not_for_us);
  return 0;
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
/* The input of a row no layer has registered yet. */
static void type_unknown(struct zn_stack *st, struct zn_buf *b,
                         uint16_t group) {
  (void)group;
  ZN_STAT_INC(st, eth_drop_type);
  zn_buf_free(b);
}

/* The first row holding `holds` (a type, or 0: a free row) from the
 * first row of type on, or NULL. */
static struct zn__eth_type *row_find(struct zn__eth *e, uint16_t type,
                                     uint16_t holds) {
  uint32_t r = zn__eth_type_row(type);
  for (uint32_t i = 0; i < ZN__ETH_TYPES; i++) {
    struct zn__eth_type *t = &e->types[(r + i) & (ZN__ETH_TYPES - 1)];
    if (t->type == holds)
      return t;
  }
  return NULL;
}

/* The row of type, or NULL. */
static struct zn__eth_type *type_find(struct zn__eth *e, uint16_t type) {
  return row_find(e, type, type);
}

static void dispatch(struct zn_stack *st, struct zn_buf *b, uint16_t type,
                     uint16_t group) {
  const struct zn__eth_type *t = type_find(ZN__MOD(st, eth), type);
  if (t) {
    t->input(st, b, group);
    return;
  }
  if (type == ZN_ETHERTYPE_QINQ) {
    /* An untagged frame on an untagged stack can still carry an 802.1ad
     * tag. */
    ZN_STAT_INC(st, eth_drop_vlan);
  } else {
    ZN_STAT_INC(st, eth_drop_type);
  }
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
 * it, and it is to no group.  It is read in place, and the first type
 * registered (IPv4) is asked first; any other frame goes to input_any,
 * which parses it again. */
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
  const struct zn__eth *e = ZN__MOD(st, eth);
  if (type == e->common) {
    e->common_input(st, b, 0);
    return;
  }
  const struct zn__eth_type *row = &e->types[zn__eth_type_row(type)];
  if (row->type == type) { /* (an empty row's input drops) */
    row->input(st, b, 0);
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

int zn__eth_register(struct zn_stack *st, uint16_t type, zn__eth_input_fn in,
                     bool common) {
  struct zn__eth *e = ZN__MOD(st, eth);
  if (type == 0)
    return ZN_EINVAL;
  struct zn__eth_type *t = type_find(e, type);
  if (!t)
    t = row_find(e, type, 0); /* a free row, its own if it can */
  if (!t)
    return ZN_ENOMEM;
  t->type = type;
  t->input = in;
  if (common || e->common == type) {
    e->common = type;
    e->common_input = in;
  }
  return ZN_OK;
}

void zn__eth_set_group_filter(struct zn_stack *st, zn__eth_group_fn fn) {
  ZN__MOD(st, eth)->group = fn;
}

static bool eth_config_ok(const struct zn_config *cfg) {
  return cfg->vlan_id <= 4094;
}

static void eth_init(struct zn_stack *st, void **mem) {
  (void)mem;
  struct zn__eth *e = ZN__MOD(st, eth);
  for (uint32_t i = 0; i < ZN__ETH_TYPES; i++)
    e->types[i].input = type_unknown;
  e->common_input = type_unknown; /* until a layer says it is common: a
                                     frame of type 0 asks it */
  zn__set_frame_input(st, zn__eth_input, ZN_ETH_VLAN_HDR_LEN);
}

const struct zn__module zn__eth_module = {
    .name = "eth",
    .id = ZN__MOD_eth,
    .state_size = sizeof(struct zn__eth),
    .config_ok = eth_config_ok,
    .init = eth_init,
};
