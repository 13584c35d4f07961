/*
 * Reading what a DHCP server grants (RFC 2132 options, RFC 3442 routes)
 * and applying it to the stack.
 *
 * Every option is read through zn_dhcp4_opt_get (copies joined as RFC
 * 3396 says) and used only with its exact length and a sane value; an
 * option that is present but unusable is ignored and counted, never
 * half-used.  What an ACK must grant for the lease to be taken at all: a
 * usable address, a lease time above 0 and a usable server identifier.
 *
 * The stack has one gateway: of option 121's routes only the first
 * default route (0/0) through a router it can reach is applied, and
 * every other route is counted (dhcp4_route_ignored) and logged, so that
 * what the lease asked and what the stack does are both visible.  A
 * router it can reach is on our prefix, or on the link by the server's
 * word: a /32 lease (no other host shares its prefix), or an option 121
 * route to the router itself through 0.0.0.0 (on-link), which is then
 * applied too.  Compute Engine leases so: a /32, with the routes
 * "G/32 via 0.0.0.0" and "0/0 via G".  The stack reaches such a gateway
 * by ARP on the link (zn_stack_set_ipv4), as Linux's clients add an
 * on-link route to it.
 */
#include <string.h>

#include "core/log_int.h"
#include "dhcp4/dhcp4_priv.h"
#include "znet/err.h"

/* RFC 3442 2: the smallest option, one default route. */
#define ROUTES_MIN_LEN 5
/* Option 121 joined from its copies (RFC 3396): up to 56 routes of 9
 * bytes.  A longer one is ignored whole, as a malformed one is. */
#define ROUTES_MAX_LEN 512

/* A unicast address a host can hold or talk to (not 0/8, 127/8,
 * multicast, class E or a broadcast we know). */
static bool usable(const struct zn_stack *st, uint32_t a) {
  return zn__ip_classify_source(st, a, false) == ZN__IPV4_SRC_HOST;
}

/* Option `code` as exactly `len` bytes into buf: 1 found, 0 absent, -1
 * present with another length (counted as ignored). */
static int opt_exact(struct zn_stack *st, const struct zn_dhcp4_view *v,
                     uint8_t code, uint8_t *buf, size_t len) {
  size_t n;
  int rc = zn_dhcp4_opt_get(v, code, buf, len, &n);
  if (rc == ZN_ENOENT)
    return 0;
  if (rc != ZN_OK || n != len) {
    ZN_STAT_INC(st, dhcp4_opt_ignored);
    return -1;
  }
  return 1;
}

static int opt_u32(struct zn_stack *st, const struct zn_dhcp4_view *v,
                   uint8_t code, uint32_t *out) {
  uint8_t b[4];
  int rc = opt_exact(st, v, code, b, 4);
  if (rc == 1)
    *out = zn_rd32(b);
  return rc;
}

uint32_t zn__dhcp4_server_id(const struct zn_stack *st,
                             const struct zn_dhcp4_view *v) {
  uint8_t b[4];
  size_t n;
  if (zn_dhcp4_opt_get(v, ZN_DHCP4_OPT_SERVER_ID, b, 4, &n) != ZN_OK ||
      n != 4 || !usable(st, zn_rd32(b)))
    return 0;
  return zn_rd32(b);
}

bool zn__dhcp4_read_offer(const struct zn_stack *st,
                          const struct zn_dhcp4_view *v, uint32_t *addr,
                          uint32_t *server) {
  *server = zn__dhcp4_server_id(st, v);
  *addr = v->yiaddr;
  return *server != 0 && usable(st, *addr);
}

/* The classful mask of an address (RFC 791), for a lease without
 * option 1. */
static uint8_t classful_prefix(uint32_t a) {
  if ((a >> 31) == 0)
    return 8;
  if ((a >> 30) == 2)
    return 16;
  return 24;
}

/* Option 1, or the classful mask; false if the address is then the
 * network or broadcast address of its prefix (not a host's). */
static bool read_mask(struct zn_stack *st, const struct zn_dhcp4_view *v,
                      struct zn__dhcp4_lease *l) {
  uint32_t mask;
  int pfx = -1;
  if (opt_u32(st, v, ZN_DHCP4_OPT_SUBNET_MASK, &mask) == 1) {
    pfx = zn_dhcp4_mask_prefix(mask);
    if (pfx < 1) {
      ZN_STAT_INC(st, dhcp4_opt_ignored);
      pfx = -1;
    }
  }
  l->prefix = pfx > 0 ? (uint8_t)pfx : classful_prefix(l->addr);
  if (l->prefix >= 31)
    return true; /* RFC 3021: no network or broadcast address */
  uint32_t host = l->addr & ~zn_ipv4_mask(l->prefix);
  return host != 0 && host != ~zn_ipv4_mask(l->prefix);
}

/* A gateway the stack can use: a host other than us, on our prefix, or
 * on the link when the server says so (onlink) or the lease is a /32. */
static bool router_ok(const struct zn_stack *st,
                      const struct zn__dhcp4_lease *l, uint32_t r,
                      bool onlink) {
  if (r == l->addr || !usable(st, r))
    return false;
  return onlink || l->prefix == 32 ||
         ((r ^ l->addr) & zn_ipv4_mask(l->prefix)) == 0;
}

/* Whether option 121's well-formed value (buf, n) has a route to r
 * alone through 0.0.0.0: r is on the link. */
static bool onlink_route(const uint8_t *buf, size_t n, uint32_t r) {
  struct zn_dhcp4_route x;
  for (size_t off = 0; zn_dhcp4_route_next(buf, n, &off, &x) == ZN_OK;)
    if (x.prefix == 32 && x.dst == r && x.router == 0)
      return true;
  return false;
}

/* Option 121 (RFC 3442): true if present and well formed, in which case
 * option 3 is not looked at. */
static bool read_routes(struct zn_stack *st, const struct zn_dhcp4_view *v,
                        struct zn__dhcp4_lease *l) {
  uint8_t buf[ROUTES_MAX_LEN];
  struct zn_dhcp4_route r;
  size_t n, off = 0;
  int rc =
      zn_dhcp4_opt_get(v, ZN_DHCP4_OPT_CLASSLESS_ROUTES, buf, sizeof(buf), &n);
  if (rc == ZN_ENOENT)
    return false;
  while (rc == ZN_OK && (rc = zn_dhcp4_route_next(buf, n, &off, &r)) == ZN_OK)
    ;
  if (rc != ZN_ENOENT || n < ROUTES_MIN_LEN) {
    ZN_STAT_INC(st, dhcp4_opt_ignored);
    return false;
  }
  for (off = 0; zn_dhcp4_route_next(buf, n, &off, &r) == ZN_OK;)
    if (r.prefix == 0 &&
        router_ok(st, l, r.router, onlink_route(buf, n, r.router))) {
      l->router = r.router;
      break;
    }
  bool applied = false; /* the default route through l->router */
  for (off = 0; zn_dhcp4_route_next(buf, n, &off, &r) == ZN_OK;) {
    if (l->router && r.prefix == 0 && r.router == l->router && !applied) {
      applied = true;
      continue;
    }
    if (l->router && r.prefix == 32 && r.dst == l->router && r.router == 0)
      continue; /* the way to the gateway, which the stack takes */
    l->routes_ignored++;
    ZN_STAT_INC(st, dhcp4_route_ignored);
    ZN_LOG(st, ZN_LOG_INFO, "dhcp4: route %I/%u via %I not applied", r.dst,
           (unsigned)r.prefix, r.router);
  }
  return true;
}

/* Option 3: the first router (in the server's order of preference) the
 * stack can use. */
static void read_router(struct zn_stack *st, const struct zn_dhcp4_view *v,
                        struct zn__dhcp4_lease *l) {
  uint8_t buf[256];
  size_t n;
  int rc = zn_dhcp4_opt_get(v, ZN_DHCP4_OPT_ROUTER, buf, sizeof(buf), &n);
  if (rc == ZN_ENOENT)
    return;
  if (rc != ZN_OK || n == 0 || n % 4 != 0) {
    ZN_STAT_INC(st, dhcp4_opt_ignored);
    return;
  }
  for (size_t i = 0; i < n; i += 4)
    if (router_ok(st, l, zn_rd32(buf + i), false)) {
      l->router = zn_rd32(buf + i);
      return;
    }
  ZN_STAT_INC(st, dhcp4_opt_ignored); /* none on our prefix */
}

/* Option 6: the first ZN_DHCP4_DNS_MAX usable addresses. */
static void read_dns(struct zn_stack *st, const struct zn_dhcp4_view *v,
                     struct zn__dhcp4_lease *l) {
  uint8_t buf[256];
  size_t n;
  int rc = zn_dhcp4_opt_get(v, ZN_DHCP4_OPT_DNS, buf, sizeof(buf), &n);
  if (rc == ZN_ENOENT)
    return;
  if (rc != ZN_OK || n == 0 || n % 4 != 0) {
    ZN_STAT_INC(st, dhcp4_opt_ignored);
    return;
  }
  for (size_t i = 0; i < n && l->ndns < ZN_DHCP4_DNS_MAX; i += 4) {
    uint32_t a = zn_rd32(buf + i);
    if (usable(st, a))
      l->dns[l->ndns++] = a;
    else
      ZN_STAT_INC(st, dhcp4_opt_ignored);
  }
}

/* The netif's own MTU (before any option 26). */
static uint32_t link_mtu(const struct zn_stack *st) {
  if (ZN__MOD(st, dhcp4)->link_mtu)
    return ZN__MOD(st, dhcp4)->link_mtu;
  return st->nif ? st->nif->mtu : ZN_DEFAULT_MTU;
}

/* Option 26, 576..the link's MTU (RFC 1122 3.3.3: every IPv4 host takes
 * 576-byte datagrams), or 1280.. with IPv6 on: the MTU is the netif's,
 * which IPv6 shares, and no IPv6 link may carry less (RFC 8200 5).
 * Option 28, our broadcast address. */
static void read_link(struct zn_stack *st, const struct zn_dhcp4_view *v,
                      struct zn__dhcp4_lease *l) {
  uint8_t b[2];
  if (opt_exact(st, v, ZN_DHCP4_OPT_MTU, b, 2) == 1) {
    uint16_t mtu = zn_rd16(b);
    uint32_t least = st->cfg.ipv6 ? ZN_IPV6_MIN_MTU : 576;
    if (mtu >= least && mtu <= link_mtu(st))
      l->mtu = mtu;
    else
      ZN_STAT_INC(st, dhcp4_mtu_ignored);
  }
  uint32_t directed =
      l->prefix >= 31 ? ZN_IPV4_BCAST : l->addr | ~zn_ipv4_mask(l->prefix);
  uint32_t bc;
  l->bcast = directed;
  if (opt_u32(st, v, ZN_DHCP4_OPT_BROADCAST, &bc) == 1) {
    if (bc == directed || bc == ZN_IPV4_BCAST)
      l->bcast = bc;
    else
      ZN_STAT_INC(st, dhcp4_opt_ignored);
  }
}

/* RFC 2131 4.4.5: T1 and T2 default to 0.5 and 0.875 of the lease; given
 * ones are kept only if T1 < T2 < lease, else both take the defaults. */
static void read_times(struct zn_stack *st, const struct zn_dhcp4_view *v,
                       struct zn__dhcp4_lease *l) {
  uint32_t lease = l->lease_s;
  if (lease == ZN_DHCP4_INFINITE) {
    l->t1_s = l->t2_s = ZN_DHCP4_INFINITE;
    return;
  }
  uint32_t d1 = lease / 2, d2 = (uint32_t)((uint64_t)lease * 7 / 8);
  uint32_t t1 = d1, t2 = d2;
  int g1 = opt_u32(st, v, ZN_DHCP4_OPT_T1, &t1);
  int g2 = opt_u32(st, v, ZN_DHCP4_OPT_T2, &t2);
  if ((g1 == 1 || g2 == 1) && !(t1 < t2 && t2 < lease)) {
    ZN_STAT_INC(st, dhcp4_times_fixed);
    t1 = d1;
    t2 = d2;
  }
  l->t1_s = t1;
  l->t2_s = t2;
}

bool zn__dhcp4_read_lease(struct zn_stack *st, const struct zn_dhcp4_view *v,
                          uint64_t start, struct zn__dhcp4_lease *l) {
  memset(l, 0, sizeof(*l));
  l->start = start;
  l->addr = v->yiaddr;
  l->server = zn__dhcp4_server_id(st, v);
  if (!usable(st, l->addr) || l->server == 0 ||
      opt_u32(st, v, ZN_DHCP4_OPT_LEASE_TIME, &l->lease_s) != 1 ||
      l->lease_s == 0)
    return false;
  if (!read_mask(st, v, l))
    return false;
  read_times(st, v, l);
  if (!read_routes(st, v, l))
    read_router(st, v, l);
  read_dns(st, v, l);
  read_link(st, v, l);
  return true;
}

static uint64_t after(const struct zn__dhcp4_lease *l, uint32_t s) {
  return s == ZN_DHCP4_INFINITE ? NEVER : l->start + (uint64_t)s * SEC;
}

uint64_t zn__dhcp4_t1_at(const struct zn__dhcp4_lease *l) {
  return after(l, l->t1_s);
}
uint64_t zn__dhcp4_t2_at(const struct zn__dhcp4_lease *l) {
  return after(l, l->t2_s);
}
uint64_t zn__dhcp4_expires_at(const struct zn__dhcp4_lease *l) {
  return after(l, l->lease_s);
}

/* The netif's MTU: option 26's while a lease has one, else its own. */
static void apply_mtu(struct zn_stack *st, uint32_t mtu) {
  struct zn__dhcp4 *dh = ZN__MOD(st, dhcp4);
  if (!st->nif)
    return;
  if (mtu && !dh->link_mtu)
    dh->link_mtu = st->nif->mtu;
  if (mtu) {
    st->nif->mtu = mtu;
  } else if (dh->link_mtu) {
    st->nif->mtu = dh->link_mtu;
    dh->link_mtu = 0;
  }
}

void zn__dhcp4_apply(struct zn_stack *st, const struct zn__dhcp4_lease *l) {
  const struct zn__ip *ip = ZN__MOD(st, ip);
  if (ip->addr != l->addr || ip->prefix != l->prefix || ip->gw != l->router)
    /* The router was checked as zn_stack_set_ipv4 checks a gateway (a
     * unicast host other than us): cannot fail. */
    (void)zn_stack_set_ipv4(st, l->addr, l->prefix, l->router);
  apply_mtu(st, l->mtu);
}

void zn__dhcp4_unapply(struct zn_stack *st) {
  (void)zn_stack_set_ipv4(st, 0, 0, 0);
  apply_mtu(st, 0);
}

static uint32_t left_s(const struct zn_stack *st, uint64_t at) {
  if (at == NEVER)
    return ZN_DHCP4_INFINITE;
  if (at <= st->now)
    return 0;
  uint64_t s = (at - st->now) / SEC;
  return s >= ZN_DHCP4_INFINITE ? ZN_DHCP4_INFINITE - 1 : (uint32_t)s;
}

void zn__dhcp4_report(const struct zn_stack *st,
                      const struct zn__dhcp4_lease *l, uint8_t state,
                      struct zn_dhcp4_lease *out) {
  memset(out, 0, sizeof(*out));
  out->state = state;
  out->addr = l->addr;
  out->prefix = l->prefix;
  out->router = l->router;
  out->server = l->server;
  out->bcast = l->bcast;
  out->mtu = l->mtu;
  out->ndns = l->ndns;
  memcpy(out->dns, l->dns, sizeof(out->dns));
  out->routes_ignored = l->routes_ignored;
  out->lease_s = l->lease_s;
  out->t1_s = l->t1_s;
  out->t2_s = l->t2_s;
  out->t1_at = zn__dhcp4_t1_at(l);
  out->t2_at = zn__dhcp4_t2_at(l);
  out->expires_at = zn__dhcp4_expires_at(l);
  out->lease_left_s = left_s(st, out->expires_at);
  out->t1_left_s = left_s(st, out->t1_at);
  out->t2_left_s = left_s(st, out->t2_at);
}
