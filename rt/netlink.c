/*
 * NETLINK_ROUTE sockets, read-only: the dumps a program lists the
 * interfaces and their addresses with, as Linux answers them.  musl's
 * getifaddrs and if_nameindex send RTM_GETLINK and RTM_GETADDR dumps;
 * so do Go's net.Interfaces, libuv's interface list and the like, and
 * libzmq looks a bind address up among the interfaces so.
 *
 * The image has two interfaces: lo (index 1: 127.0.0.1/8, ::1/128) and
 * eth0 (index 2: the Solo5 network device, its MAC and MTU, the stack's
 * IPv4 address and IPv6 addresses as they are at the request).  A dump
 * request is answered when it is sent: the messages and NLMSG_DONE are
 * queued on the socket (REPLY_MAX bytes) and read with recv, as many
 * whole messages a call as fit (a buffer too small for the first gets
 * its start, MSG_TRUNC, and the message is gone, as Linux does).  Any
 * other request (a change, a single GET) is answered with NLMSG_ERROR,
 * -EOPNOTSUPP: the image's interfaces are set by its flags.  Bytes that
 * are no whole netlink message are ignored, as Linux ignores them (the
 * send succeeds): they are the program's own, not the network's.
 *
 * The socket's port id (getsockname, and nlmsg_pid of the replies) is
 * the process id (1), as the first netlink socket of a Linux process
 * gets; every netlink socket here has it.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "net.h"
#include "rt.h"

#define REPLY_MAX 16384
#define LO_INDEX 1
#define ETH_INDEX 2
#define LO_MTU 65536
#define TXQLEN 1000
#define OPER_UP 6 /* Linux's IF_OPER_UP (RFC 2863's up) */
#define PORT_ID 1 /* the image's one process's id */

struct nl_sock {
  int type;               /* SOCK_RAW or SOCK_DGRAM, as socket() asked */
  uint32_t port;          /* our port id (getsockname) */
  uint32_t groups;        /* what bind asked: kept, never sent to */
  size_t len;             /* queued reply bytes */
  uint8_t reply[REPLY_MAX];
};

/* ---- building messages --------------------------------------------------- */

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
           IFF_UP | IFF_LOOPBACK | IFF_RUNNING | IFF_LOWER_UP, LO_MTU, zero,
           zero);
  if (nic->present)
    link_msg(o, r, ETH_INDEX, "eth0", ARPHRD_ETHER,
             IFF_UP | IFF_BROADCAST | IFF_RUNNING | IFF_MULTICAST |
                 IFF_LOWER_UP,
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
                   uint8_t family, uint32_t port) {
  struct nl_req r = {h->nlmsg_seq, port, family};
  bool dump = (h->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP;
  if (!(h->nlmsg_flags & NLM_F_REQUEST) || h->nlmsg_type < NLMSG_MIN_TYPE)
    return; /* Linux ignores them too */
  if (!dump || (h->nlmsg_type != RTM_GETLINK && h->nlmsg_type != RTM_GETADDR)) {
    nl_error(o, &r, h, -EOPNOTSUPP);
    return;
  }
  struct zrt_net_iface nic;
  zrt_net_iface(&nic);
  if (h->nlmsg_type == RTM_GETLINK) {
    dump_links(o, &r, &nic);
  } else {
    if (r.family == AF_UNSPEC || r.family == AF_INET)
      dump_ipv4(o, &r, &nic);
    if (r.family == AF_UNSPEC || r.family == AF_INET6)
      dump_ipv6(o, &r, &nic);
  }
  nl_done(o, &r);
}

/* ---- the socket ----------------------------------------------------------- */

static size_t iov_gather(const struct iovec *iov, int cnt, uint8_t *buf,
                         size_t cap, size_t *total) {
  size_t n = 0;
  *total = 0;
  for (int i = 0; i < cnt; i++) {
    *total += iov[i].iov_len;
    size_t k = iov[i].iov_len < cap - n ? iov[i].iov_len : cap - n;
    memcpy(buf + n, iov[i].iov_base, k);
    n += k;
  }
  return n;
}

static ssize_t nl_sendv(struct zrt_file *f, const struct iovec *iov, int cnt,
                        int flags) {
  struct nl_sock *s = f->priv;
  static uint8_t req[4096];
  (void)flags;
  size_t total;
  size_t n = iov_gather(iov, cnt, req, sizeof(req), &total);
  if (total > sizeof(req))
    return -EMSGSIZE;
  struct nl_out o = {s->reply, sizeof(s->reply), s->len, false, NULL};
  size_t off = 0;
  while (n - off >= sizeof(struct nlmsghdr)) {
    struct nlmsghdr h;
    memcpy(&h, req + off, sizeof(h));
    if (h.nlmsg_len < sizeof(h) || h.nlmsg_len > n - off)
      break; /* the rest is no message: ignored, as Linux does */
    uint8_t family = AF_UNSPEC; /* struct rtgenmsg's rtgen_family */
    if (h.nlmsg_len > NLMSG_HDRLEN)
      family = req[off + NLMSG_HDRLEN];
    answer(&o, &h, family, s->port);
    off += NLMSG_ALIGN(h.nlmsg_len) < n - off ? NLMSG_ALIGN(h.nlmsg_len)
                                             : n - off;
  }
  if (o.full)
    return -ENOBUFS; /* replies the program has not read fill the queue */
  s->len = o.len;
  if (s->len)
    zrt_io_notify();
  return (ssize_t)total;
}

/* The whole messages at the queue's head that fit in n bytes (at least
 * the first, cut to n). */
static size_t take_len(const struct nl_sock *s, size_t n, bool *trunc) {
  size_t off = 0;
  *trunc = false;
  while (off < s->len) {
    const struct nlmsghdr *h = (const void *)(s->reply + off);
    size_t m = NLMSG_ALIGN(h->nlmsg_len);
    if (off + m > n) {
      if (off == 0) {
        *trunc = true;
        return m;
      }
      break;
    }
    off += m;
  }
  return off;
}

static ssize_t nl_recvv(struct zrt_file *f, const struct iovec *iov, int cnt,
                        int flags) {
  struct nl_sock *s = f->priv;
  size_t room = 0;
  for (int i = 0; i < cnt; i++)
    room += iov[i].iov_len;
  while (s->len == 0) {
    if ((flags & MSG_DONTWAIT) || (f->flags & O_NONBLOCK))
      return -EAGAIN;
    if (zrt_io_wait(ZRT_NO_DEADLINE) == -EINTR)
      return -EINTR;
  }
  bool trunc;
  size_t m = take_len(s, room, &trunc);
  size_t copied = 0;
  for (int i = 0; i < cnt && copied < m; i++) {
    size_t k = iov[i].iov_len < m - copied ? iov[i].iov_len : m - copied;
    memcpy(iov[i].iov_base, s->reply + copied, k);
    copied += k;
  }
  if (!(flags & MSG_PEEK)) {
    memmove(s->reply, s->reply + m, s->len - m);
    s->len -= m;
  }
  if (trunc && (flags & MSG_TRUNC))
    return (ssize_t)m;
  return (ssize_t)copied;
}

static short nl_poll(struct zrt_file *f, short events) {
  struct nl_sock *s = f->priv;
  short ev = POLLOUT | POLLWRNORM;
  if (s->len)
    ev |= POLLIN | POLLRDNORM;
  return (short)(ev & events);
}

static int nl_fstat(struct zrt_file *f, struct stat *st) {
  (void)f;
  st->st_mode = S_IFSOCK | 0777;
  st->st_nlink = 1;
  st->st_blksize = 4096;
  return 0;
}

static int nl_name(struct zrt_file *f, struct sockaddr *sa, socklen_t *len,
                   bool peer) {
  struct nl_sock *s = f->priv;
  struct sockaddr_nl nl = {.nl_family = AF_NETLINK};
  if (!peer) {
    nl.nl_pid = s->port;
    nl.nl_groups = s->groups;
  }
  if (!len)
    return -EFAULT;
  size_t n = *len < sizeof(nl) ? *len : sizeof(nl);
  if (sa)
    memcpy(sa, &nl, n);
  *len = sizeof(nl);
  return 0;
}

static int nl_getsockname(struct zrt_file *f, struct sockaddr *sa,
                          socklen_t *len) {
  return nl_name(f, sa, len, false);
}

static int nl_getpeername(struct zrt_file *f, struct sockaddr *sa,
                          socklen_t *len) {
  return nl_name(f, sa, len, true);
}

static int nl_bind(struct zrt_file *f, const struct sockaddr *sa,
                   socklen_t len) {
  struct nl_sock *s = f->priv;
  struct sockaddr_nl nl;
  if (len < sizeof(nl))
    return -EINVAL;
  memcpy(&nl, sa, sizeof(nl));
  if (nl.nl_family != AF_NETLINK)
    return -EINVAL;
  if (nl.nl_pid != 0 && nl.nl_pid != s->port)
    return -EADDRINUSE; /* one port id a process here */
  s->groups = nl.nl_groups;
  return 0;
}

static int nl_sock_type(struct zrt_file *f) {
  struct nl_sock *s = f->priv;
  return s->type;
}

static void nl_release(struct zrt_file *f) {
  zrt_kfree(f->priv, sizeof(struct nl_sock));
}

static const struct zrt_file_ops nl_ops = {
    .name = "socket:[netlink]",
    .fstat = nl_fstat,
    .poll = nl_poll,
    .sendv = nl_sendv,
    .recvv = nl_recvv,
    .bind = nl_bind,
    .getsockname = nl_getsockname,
    .getpeername = nl_getpeername,
    .sock_type = nl_sock_type,
    .release = nl_release,
};

long zrt_netlink_socket(int type, int protocol) {
  int base = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (base != SOCK_RAW && base != SOCK_DGRAM)
    return -ESOCKTNOSUPPORT;
  if (protocol != NETLINK_ROUTE)
    return -EPROTONOSUPPORT;
  struct nl_sock *s = zrt_kalloc(sizeof(*s));
  if (!s)
    return -ENOMEM;
  memset(s, 0, sizeof(*s));
  s->type = base;
  s->port = PORT_ID;
  struct zrt_file *f =
      zrt_file_new(&nl_ops, O_RDWR | ((type & SOCK_NONBLOCK) ? O_NONBLOCK : 0), s);
  if (!f) {
    zrt_kfree(s, sizeof(*s));
    return -ENOMEM;
  }
  int fd = zrt_fd_install(f, 0, (type & SOCK_CLOEXEC) != 0);
  zrt_file_put(f);
  return fd;
}
