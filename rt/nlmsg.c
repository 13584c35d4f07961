/*
 * NETLINK_ROUTE's replies (rt/nlmsg.h): the interface and address dumps
 * a program lists its interfaces with, as Linux answers them, built
 * from the requests' bytes and the interface rt/net.c reports.  The
 * image has two interfaces: lo (index 1: 127.0.0.1/8, ::1/128) and eth0
 * (index 2: the Solo5 network device, its MAC and MTU, the stack's IPv4
 * address and IPv6 addresses).  Every message and attribute is bounded
 * by the output's room: a reply that does not fit is not queued at all.
 */
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <string.h>
#include <sys/socket.h>

#include "nlmsg.h"

#define LO_INDEX 1
#define ETH_INDEX 2
#define LO_MTU 65536
#define TXQLEN 1000
#define OPER_UP 6 /* Linux's IF_OPER_UP (RFC 2863's up) */
/* Linux's IFF_LOWER_UP, which musl's <net/if.h> has and glibc's not (the
 * fuzzer compiles this file on the host). */
#define LINK_LOWER_UP 0x10000

/* ---- building messages -------------------------------------------------- */

struct nl_out {
  uint8_t *buf;
  size_t cap, len;
  bool full;
  struct nlmsghdr *msg; /* the message being built */
};

static void *nl_reserve(struct nl_out *o, size_t n) {
  size_t a = NLMSG_ALIGN(n);
  if (o->full || a > o->cap - o->len) {
    o->full = true;
    return NULL;
  }
  void *p = o->buf + o->len;
  memset(p, 0, a);
  o->len += a;
  return p;
}

static void nl_begin(struct nl_out *o, uint16_t type, uint32_t seq,
                     uint32_t port, uint16_t flags) {
  o->msg = nl_reserve(o, sizeof(struct nlmsghdr));
  if (!o->msg)
    return;
  o->msg->nlmsg_type = type;
  o->msg->nlmsg_flags = flags;
  o->msg->nlmsg_seq = seq;
  o->msg->nlmsg_pid = port;
}

static void nl_end(struct nl_out *o) {
  if (o->msg && !o->full)
    o->msg->nlmsg_len = (uint32_t)((o->buf + o->len) - (uint8_t *)o->msg);
}

static void nl_attr(struct nl_out *o, uint16_t type, const void *data,
                    size_t n) {
  struct rtattr *a = nl_reserve(o, RTA_LENGTH(n));
  if (!a)
    return;
  a->rta_type = type;
  a->rta_len = (unsigned short)RTA_LENGTH(n);
  memcpy(RTA_DATA(a), data, n);
}

static void nl_attr_str(struct nl_out *o, uint16_t type, const char *s) {
  nl_attr(o, type, s, strlen(s) + 1);
}

static void nl_attr_u32(struct nl_out *o, uint16_t type, uint32_t v) {
  nl_attr(o, type, &v, sizeof(v));
}

/* ---- the dumps ----------------------------------------------------------- */

struct nl_req {
  uint32_t seq, port;
  uint8_t family; /* AF_UNSPEC: all */
};

static void link_msg(struct nl_out *o, const struct nl_req *r, int index,
                     const char *name, unsigned short type, unsigned flags,
                     uint32_t mtu, const uint8_t mac[6], const uint8_t bc[6]) {
  nl_begin(o, RTM_NEWLINK, r->seq, r->port, NLM_F_MULTI);
  struct ifinfomsg *ifi = nl_reserve(o, sizeof(*ifi));
  if (ifi) {
    ifi->ifi_family = AF_UNSPEC;
    ifi->ifi_type = type;
    ifi->ifi_index = index;
    ifi->ifi_flags = flags;
    ifi->ifi_change = 0;
  }
  nl_attr_str(o, IFLA_IFNAME, name);
  nl_attr_u32(o, IFLA_MTU, mtu);
  nl_attr_u32(o, IFLA_TXQLEN, TXQLEN);
  nl_attr(o, IFLA_ADDRESS, mac, 6);
  nl_attr(o, IFLA_BROADCAST, bc, 6);
  uint8_t oper = OPER_UP;
  nl_attr(o, IFLA_OPERSTATE, &oper, 1);
  nl_end(o);
}

static void dump_links(struct nl_out *o, const struct nl_req *r,
                       const struct zrt_net_iface *nic) {
  static const uint8_t zero[6], ones[6] = {0xff, 0xff, 0xff,
                                           0xff, 0xff, 0xff};
  link_msg(o, r, LO_INDEX, "lo", ARPHRD_LOOPBACK,
           IFF_UP | IFF_LOOPBACK | IFF_RUNNING | LINK_LOWER_UP, LO_MTU, zero,
           zero);
  if (nic->present)
    link_msg(o, r, ETH_INDEX, "eth0", ARPHRD_ETHER,
             IFF_UP | IFF_BROADCAST | IFF_RUNNING | IFF_MULTICAST |
                 LINK_LOWER_UP,
             nic->mtu, nic->mac, ones);
}

static void addr_msg(struct nl_out *o, const struct nl_req *r, int index,
                     const char *label, uint8_t family, const uint8_t *addr,
                     uint8_t prefix, uint8_t scope, uint8_t flags,
                     const uint8_t *bcast) {
  size_t n = family == AF_INET ? 4 : 16;
  nl_begin(o, RTM_NEWADDR, r->seq, r->port, NLM_F_MULTI);
  struct ifaddrmsg *ifa = nl_reserve(o, sizeof(*ifa));
  if (ifa) {
    ifa->ifa_family = family;
    ifa->ifa_prefixlen = prefix;
    ifa->ifa_flags = flags;
    ifa->ifa_scope = scope;
    ifa->ifa_index = (uint32_t)index;
  }
  nl_attr(o, IFA_ADDRESS, addr, n);
  if (family == AF_INET) {
    nl_attr(o, IFA_LOCAL, addr, n);
    if (bcast)
      nl_attr(o, IFA_BROADCAST, bcast, n);
    nl_attr_str(o, IFA_LABEL, label);
  }
  nl_attr_u32(o, IFA_FLAGS, flags);
  nl_end(o);
}

static void dump_ipv4(struct nl_out *o, const struct nl_req *r,
                      const struct zrt_net_iface *nic) {
  static const uint8_t lo4[4] = {127, 0, 0, 1};
  addr_msg(o, r, LO_INDEX, "lo", AF_INET, lo4, 8, RT_SCOPE_HOST,
           IFA_F_PERMANENT, NULL);
  if (!nic->present || nic->ipv4 == 0)
    return;
  uint8_t a[4], b[4];
  uint32_t host = nic->prefix4 >= 32 ? 0 : 0xffffffffu >> nic->prefix4;
  uint32_t bc = nic->ipv4 | host;
  for (int i = 0; i < 4; i++) {
    a[i] = (uint8_t)(nic->ipv4 >> (24 - 8 * i));
    b[i] = (uint8_t)(bc >> (24 - 8 * i));
  }
  addr_msg(o, r, ETH_INDEX, "eth0", AF_INET, a, nic->prefix4,
           RT_SCOPE_UNIVERSE, IFA_F_PERMANENT, nic->prefix4 < 31 ? b : NULL);
}

static void dump_ipv6(struct nl_out *o, const struct nl_req *r,
                      const struct zrt_net_iface *nic) {
  static const uint8_t lo6[16] = {[15] = 1};
  addr_msg(o, r, LO_INDEX, "lo", AF_INET6, lo6, 128, RT_SCOPE_HOST,
           IFA_F_PERMANENT, NULL);
  for (uint32_t i = 0; nic->present && i < nic->n6; i++) {
    const struct zrt_net_addr6 *v = &nic->v6[i];
    bool link = v->addr[0] == 0xfe && (v->addr[1] & 0xc0) == 0x80;
    uint8_t flags = (uint8_t)((v->tentative ? IFA_F_TENTATIVE : 0) |
                              (v->deprecated ? IFA_F_DEPRECATED : 0) |
                              (v->permanent ? IFA_F_PERMANENT : 0));
    addr_msg(o, r, ETH_INDEX, "eth0", AF_INET6, v->addr, v->prefix,
             link ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE, flags, NULL);
  }
}

static void nl_done(struct nl_out *o, const struct nl_req *r) {
  nl_begin(o, NLMSG_DONE, r->seq, r->port, NLM_F_MULTI);
  int32_t *zero = nl_reserve(o, sizeof(*zero));
  if (zero)
    *zero = 0;
  nl_end(o);
}

static void nl_error(struct nl_out *o, const struct nl_req *r,
                     const struct nlmsghdr *req, int err) {
  nl_begin(o, NLMSG_ERROR, r->seq, r->port, 0);
  struct nlmsgerr *e = nl_reserve(o, sizeof(*e));
  if (e) {
    e->error = err;
    e->msg = *req;
  }
  nl_end(o);
}

/* One request (its header h, its family: the first byte after it,
 * AF_UNSPEC if none): its reply appended to o. */
static void answer(struct nl_out *o, const struct nlmsghdr *h,
                   uint8_t family, const struct zrt_net_iface *nic,
                   uint32_t port) {
  struct nl_req r = {h->nlmsg_seq, port, family};
  bool dump = (h->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP;
  if (!(h->nlmsg_flags & NLM_F_REQUEST) || h->nlmsg_type < NLMSG_MIN_TYPE)
    return; /* Linux ignores them too */
  if (!dump || (h->nlmsg_type != RTM_GETLINK && h->nlmsg_type != RTM_GETADDR)) {
    nl_error(o, &r, h, -EOPNOTSUPP);
    return;
  }
  if (h->nlmsg_type == RTM_GETLINK) {
    dump_links(o, &r, nic);
  } else {
    if (r.family == AF_UNSPEC || r.family == AF_INET)
      dump_ipv4(o, &r, nic);
    if (r.family == AF_UNSPEC || r.family == AF_INET6)
      dump_ipv6(o, &r, nic);
  }
  nl_done(o, &r);
}

/* (out is written through o.buf, which clang-tidy does not follow.) */
bool zrt_nl_answer(const uint8_t *req, size_t n, const struct zrt_net_iface *nic,
                   uint32_t port,
                   uint8_t *out, /* NOLINT(readability-non-const-parameter) */
                   size_t cap, size_t *len) {
  struct nl_out o = {out, cap, *len, false, NULL};
  size_t off = 0;
  while (n - off >= sizeof(struct nlmsghdr)) {
    struct nlmsghdr h;
    memcpy(&h, req + off, sizeof(h));
    if (h.nlmsg_len < sizeof(h) || h.nlmsg_len > n - off)
      break; /* the rest is no message: ignored, as Linux does */
    uint8_t family = AF_UNSPEC; /* struct rtgenmsg's rtgen_family */
    if (h.nlmsg_len > NLMSG_HDRLEN)
      family = req[off + NLMSG_HDRLEN];
    answer(&o, &h, family, nic, port);
    off += NLMSG_ALIGN(h.nlmsg_len) < n - off ? NLMSG_ALIGN(h.nlmsg_len)
                                             : n - off;
  }
  if (o.full)
    return false;
  *len = o.len;
  return true;
}
