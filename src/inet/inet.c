/*
 * The table of transports that IPv4 and IPv6 deliver through
 * (inet_int.h), and the helpers every transport shares that need no
 * network layer: it keeps no policy of its own, and calls nothing above
 * the core.
 */
#include <string.h>

#include "core/module_int.h"
#include "core/stack_int.h"
#include "inet/inet_int.h"
#include "znet/err.h"
#include "znet/hash.h"
#include "znet/wire.h"

/* The entry of proto in n, or a new one; 0 if the table is full. */
static uint32_t entry_for(struct zn__inet *n, unsigned on, uint8_t proto) {
  for (uint32_t f = 0; f < 2; f++)
    if ((on & (1u << f)) && n->by_proto[f][proto] != 0)
      return n->by_proto[f][proto];
  if (n->nl4 == ZN__INET_L4_MAX)
    return 0;
  return ++n->nl4;
}

int zn__inet_register(struct zn_stack *st, unsigned on, uint8_t proto,
                      zn__inet_input_fn in, zn__inet_err_fn err) {
  struct zn__inet *n = ZN__MOD(st, inet);
  if ((on & ZN__INET_ON_BOTH) == 0 || (on & ~ZN__INET_ON_BOTH) != 0)
    return ZN_EINVAL;
  uint32_t i = entry_for(n, on, proto);
  if (i == 0)
    return ZN_ENOMEM;
  n->l4[i].proto = proto;
  n->l4[i].input = in;
  n->l4[i].err = err;
  for (uint32_t f = 0; f < 2; f++)
    if (on & (1u << f))
      n->by_proto[f][proto] = (uint8_t)i;
  return ZN_OK;
}

bool zn__inet_deliver_err(struct zn_stack *st, const struct zn__inet_err *e) {
  const struct zn__inet *n = ZN__MOD(st, inet);
  const struct zn__inet_l4 *l4 =
      &n->l4[n->by_proto[zn__inet_fam_of(&e->src)][e->proto]];
  if (!l4->err)
    return false;
  l4->err(st, e);
  return true;
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
    return zn__hash32(st, zn_ip_v4(a), x);
  uint8_t in[21];
  memcpy(in, a->bytes, 16);
  zn_wr32(in + 16, x);
  in[20] = ZN_AF_INET6;
  return (uint32_t)zn_siphash13(st->hash_key, in, sizeof(in));
}

/* The shards' partition of the ephemeral ports: at most 256 shares, and
 * this stack's one of them. */
static bool inet_config_ok(const struct zn_config *cfg) {
  return cfg->port_shares <= 256 &&
         (cfg->port_shares <= 1 || cfg->port_share < cfg->port_shares);
}

const struct zn__module zn__inet_module = {
    .name = "inet",
    .id = ZN__MOD_inet,
    .state_size = sizeof(struct zn__inet),
    .config_ok = inet_config_ok,
};
