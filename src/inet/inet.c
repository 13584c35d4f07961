/*
 * The family-neutral network layer the transports call (inet_int.h): the
 * registry of transports, shared by IPv4 and IPv6, and the dispatch of
 * each call to the layer of the address's family.  Policy (routing,
 * fragmentation, ICMP rules) stays in src/ipv4, src/icmp and src/ipv6.
 */
#include <string.h>

#include "core/module_int.h"
#include "core/stack_int.h"
#include "icmp/icmp_int.h"
#include "inet/inet_int.h"
#include "ipv4/ipv4_int.h"
#include "ipv6/ipv6_int.h"
#include "znet/err.h"
#include "znet/hash.h"
#include "znet/wire.h"

static uint32_t v4(const struct zn_ip *a) { return zn_ip_v4(a); }

int zn__inet_register(struct zn_stack *st, uint8_t proto,
                      zn__inet_input_fn in, zn__inet_err_fn err) {
  struct zn__inet *n = ZN__MOD(st, inet);
  uint32_t i = n->by_proto[proto];
  if (i == 0) {
    if (n->nl4 == ZN__INET_L4_MAX)
      return ZN_ENOMEM;
    i = ++n->nl4;
    n->by_proto[proto] = (uint8_t)i;
  }
  n->l4[i].proto = proto;
  n->l4[i].input = in;
  n->l4[i].err = err;
  return ZN_OK;
}

bool zn__inet_deliver_err(struct zn_stack *st, const struct zn__inet_err *e) {
  const struct zn__inet_l4 *l4 = &ZN__MOD(st, inet)->l4[ZN__MOD(st, inet)->by_proto[e->proto]];
  if (!l4->err)
    return false;
  l4->err(st, e);
  return true;
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

int zn__inet_output_family(struct zn_stack *st, struct zn_buf *b,
                           const struct zn__inet_tx *tx) {
  uint8_t fam = tx->dst.family;
  if (tx->src.family != ZN_AF_NONE && tx->src.family != fam)
    fam = ZN_AF_NONE;
  switch (fam) {
  case ZN_AF_INET:
    return output_v4(st, b, tx);
  case ZN_AF_INET6:
    return zn__ip6_output(st, b, tx);
  default:
    zn_buf_free(b);
    return ZN_EINVAL;
  }
}

int zn__inet_binding(struct zn_stack *st, const struct zn_ip *addr,
                     struct zn_ip *out) {
  memset(out, 0, sizeof(*out));
  if (!addr || addr->family == ZN_AF_NONE)
    return ZN_OK;
  if (addr->family != ZN_AF_INET && addr->family != ZN_AF_INET6)
    return ZN_EINVAL;
  if (zn_ip_is_unspecified(addr)) {
    if (addr->family == ZN_AF_INET)
      *out = *addr;
    return ZN_OK;
  }
  if (!zn__inet_is_local(st, addr))
    return ZN_EADDRNOTAVAIL;
  *out = *addr;
  return ZN_OK;
}

bool zn__inet_bind_overlap(const struct zn_ip *a, const struct zn_ip *b) {
  if (a->family == ZN_AF_NONE || b->family == ZN_AF_NONE)
    return true;
  if (a->family != b->family)
    return false;
  return zn_ip_is_unspecified(a) || zn_ip_is_unspecified(b) ||
         zn__inet_eq(a, b);
}

uint32_t zn__inet_hash(const struct zn_stack *st, const struct zn_ip *a,
                       uint32_t x) {
  if (a->family != ZN_AF_INET6)
    return zn__hash32(st, v4(a), x);
  uint8_t in[21];
  memcpy(in, a->bytes, 16);
  zn_wr32(in + 16, x);
  in[20] = ZN_AF_INET6;
  return (uint32_t)zn_siphash13(st->hash_key, in, sizeof(in));
}

int zn__inet_select_source_v6(struct zn_stack *st, const struct zn_ip *dst,
                              struct zn_ip *out) {
  if (dst->family != ZN_AF_INET6)
    return ZN_EINVAL;
  out->family = ZN_AF_INET6;
  return zn__ip6_select_source(st, dst->bytes, out->bytes);
}

bool zn__inet_is_local(const struct zn_stack *st, const struct zn_ip *a) {
  if (a->family == ZN_AF_INET)
    return zn__ip_is_local(st, v4(a));
  if (a->family == ZN_AF_INET6)
    return zn__ip6_is_local(st, a->bytes);
  return false;
}

uint32_t zn__inet_path_mtu(struct zn_stack *st, const struct zn_ip *dst) {
  if (dst->family == ZN_AF_INET6)
    return zn__ip6_path_mtu(st, dst->bytes);
  return st->nif ? st->nif->mtu : ZN_DEFAULT_MTU;
}

void zn__inet_confirm_reachable(struct zn_stack *st,
                                const struct zn_ip *peer) {
  if (peer->family == ZN_AF_INET6)
    zn__nd_confirm(st, peer->bytes);
}

void zn__inet_port_unreachable(struct zn_stack *st, struct zn_buf *b,
                               const struct zn__inet_meta *m) {
  if (m->dst.family == ZN_AF_INET6) {
    zn__icmp6_port_unreachable(st, b, m);
    return;
  }
  /* ICMP quotes from the IP header: show it, then put b back. */
  if (!zn_buf_push(b, m->hdr_len))
    return;
  zn__icmp_error(st, b, m->bcast, ZN_ICMP_DEST_UNREACH, ZN_ICMP_UNREACH_PORT,
                 0);
  zn_buf_pull(b, m->hdr_len);
}

const struct zn__module zn__inet_module = {
    .name = "inet",
    .id = ZN__MOD_inet,
    .state_size = sizeof(struct zn__inet),
};
