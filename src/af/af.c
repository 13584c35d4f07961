/*
 * The family switch the transports call (af_int.h): each call goes to
 * the layer of its address's family.  Policy (routing, fragmentation,
 * ICMP rules) stays in src/ipv4 and src/ipv6.
 */
#include <string.h>

#include "af/af_int.h"
#include "core/stack_int.h"
#include "inet/inet_int.h"
#include "ipv4/ipv4_int.h"
#include "ipv6/ipv6_int.h"
#include "modules.h"
#include "znet/err.h"
#include "znet/wire.h"

static uint32_t v4(const struct zn_ip *a) { return zn_ip_v4(a); }

/* Whether the stack was assembled with IPv6. */
static bool has_v6(const struct zn_stack *st) {
  return ZN__MOD(st, ip6) != NULL;
}

static int output_v4(struct zn_stack *st, struct zn_buf *b,
                     const struct zn__inet_tx *tx) {
  /* The family is checked: the bytes are the address (a source of no
   * family reads as 0, "our address"). */
  struct zn__ip_tx t = {0};
  t.src = zn_rd32(tx->src.bytes);
  t.dst = zn_rd32(tx->dst.bytes);
  t.proto = tx->proto;
  t.tos = tx->tos;
  t.ttl = tx->ttl;
  t.df = tx->df;
  return zn__ip_output(st, b, &t);
}

int zn__af_output_family(struct zn_stack *st, struct zn_buf *b,
                         const struct zn__inet_tx *tx) {
  uint8_t fam = tx->dst.family;
  if (tx->src.family != ZN_AF_NONE && tx->src.family != fam)
    fam = ZN_AF_NONE;
  switch (fam) {
  case ZN_AF_INET:
    return output_v4(st, b, tx);
  case ZN_AF_INET6:
    if (has_v6(st))
      return zn__ip6_output(st, b, tx);
    zn_buf_free(b);
    return ZN_EADDRNOTAVAIL;
  default:
    zn_buf_free(b);
    return ZN_EINVAL;
  }
}

int zn__af_select_source_v6(struct zn_stack *st, const struct zn_ip *dst,
                            struct zn_ip *out) {
  if (dst->family != ZN_AF_INET6)
    return ZN_EINVAL;
  if (!has_v6(st))
    return ZN_EADDRNOTAVAIL;
  out->family = ZN_AF_INET6;
  return zn__ip6_select_source(st, dst->bytes, out->bytes);
}

bool zn__af_is_local(const struct zn_stack *st, const struct zn_ip *a) {
  if (a->family == ZN_AF_INET)
    return zn__ip_is_local(st, v4(a));
  if (a->family == ZN_AF_INET6)
    return has_v6(st) && zn__ip6_is_bindable(st, a->bytes);
  return false;
}

uint32_t zn__af_path_mtu(struct zn_stack *st, const struct zn_ip *dst) {
  if (dst->family == ZN_AF_INET6 && has_v6(st))
    return zn__ip6_path_mtu(st, dst->bytes);
  return st->nif ? st->nif->mtu : ZN_DEFAULT_MTU;
}

void zn__af_confirm_reachable(struct zn_stack *st, const struct zn_ip *peer) {
  if (peer->family == ZN_AF_INET6 && has_v6(st))
    zn__nd_confirm(st, peer->bytes);
}

int zn__af_binding(struct zn_stack *st, const struct zn_ip *addr,
                   struct zn_ip *out) {
  memset(out, 0, sizeof(*out));
  if (!addr || addr->family == ZN_AF_NONE)
    return ZN_OK;
  struct zn_ip a = zn_ip_unmap(addr);
  if (a.family != ZN_AF_INET && a.family != ZN_AF_INET6)
    return ZN_EINVAL;
  if (zn_ip_is_unspecified(&a)) {
    if (a.family == ZN_AF_INET)
      *out = a;
    return ZN_OK;
  }
  if (!zn__af_is_local(st, &a))
    return ZN_EADDRNOTAVAIL;
  *out = a;
  return ZN_OK;
}

void zn__af_port_unreachable(struct zn_stack *st, struct zn_buf *b,
                             const struct zn__inet_meta *m) {
  if (m->dst.family == ZN_AF_INET6) {
    if (has_v6(st))
      zn__icmp6_port_unreachable(st, b, m);
    return;
  }
  /* ICMP quotes from the IP header: show it, then put b back. */
  if (!zn_buf_push(b, m->hdr_len))
    return;
  zn__ip_send_error(st, b, m->bcast, ZN_ICMP_DEST_UNREACH,
                    ZN_ICMP_UNREACH_PORT, 0);
  zn_buf_pull(b, m->hdr_len);
}
