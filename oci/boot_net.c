/* The container's network handed to the unikernel: its interface read
 * (rtnetlink dumps), a TAP made beside it, the two joined by tc, the
 * interface's addresses taken away while the unikernel holds them and
 * given back after.
 *
 * The join is tc's (tc-mirred(8)): an ingress qdisc on the interface and
 * on the TAP, and on each a u32 filter matching every frame with a
 * mirred action that redirects it to the other's egress.  So every frame
 * the container's veth receives goes to the unikernel unchanged, and
 * every frame the unikernel sends leaves by the veth, with the
 * interface's own MAC (the unikernel is given it): to the bridge, the CNI
 * plugin and the peer, the pod is the same host at the same address.  A
 * bridge would do as much, but it needs the bridge module and a third
 * device and takes the interface's address into question; macvtap gives a
 * character device of a dynamic major that the device cgroup does not
 * allow.  tc is what Kata Containers and urunc use for the same reason:
 * it touches only the pod's own devices.  The kernel keeps none of the
 * pod's traffic (all of it is redirected before IP sees it); taking the
 * address away also keeps the kernel from answering for it from any
 * other path, and from choosing it as a source. */
#include "boot.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/sockios.h>
#include <linux/tc_act/tc_mirred.h>
#include <net/if_arp.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

/* The interface chosen so far: eth0 wins; otherwise the only
 * non-loopback Ethernet link (two of them: none, said by the caller). */
struct pick {
  struct boot_link eth0;
  struct boot_link only;
  int others;
  bool has_eth0;
};

static bool each_link(const struct nlmsghdr *h, size_t len, void *ctx) {
  struct pick *p = ctx;
  struct boot_link l;
  if (h->nlmsg_type != RTM_NEWLINK)
    return true;
  if (!boot_parse_link(h, len, &l))
    return false;
  if (l.is_loopback || !l.is_ether)
    return true;
  if (strcmp(l.name, "eth0") == 0) {
    p->eth0 = l;
    p->has_eth0 = true;
  }
  if (p->others++ == 0)
    p->only = l;
  return true;
}

static bool each_addr(const struct nlmsghdr *h, size_t len, void *ctx) {
  struct boot_net *net = ctx;
  if (h->nlmsg_type != RTM_NEWADDR)
    return true;
  return boot_parse_addr(h, len, net->link.ifindex, net);
}

static bool each_route(const struct nlmsghdr *h, size_t len, void *ctx) {
  struct boot_net *net = ctx;
  if (h->nlmsg_type != RTM_NEWROUTE)
    return true;
  return boot_parse_route(h, len, net->link.ifindex, net);
}

static int dump(struct boot_nl *nl, uint16_t type, uint8_t family,
                boot_nl_each each, void *ctx) {
  struct boot_msg m;
  /* rtgenmsg is the dump request's header for links, addresses and
   * routes alike: its one byte is the family. */
  struct rtgenmsg *g = boot_msg_init(&m, type, 0, sizeof(*g));
  g->rtgen_family = family;
  return boot_nl_talk(nl, &m, each, ctx);
}

int boot_net_read(struct boot_nl *nl, struct boot_net *net, const char **why) {
  struct pick p;
  int e;
  memset(&p, 0, sizeof(p));
  memset(net, 0, sizeof(*net));
  *why = "reading the links";
  if ((e = dump(nl, RTM_GETLINK, AF_UNSPEC, each_link, &p)) != 0)
    return e;
  *why = "finding the container's interface (eth0, or the only Ethernet one)";
  if (p.has_eth0)
    net->link = p.eth0;
  else if (p.others == 1)
    net->link = p.only;
  else
    return -ENODEV;
  *why = "reading its addresses";
  if ((e = dump(nl, RTM_GETADDR, AF_UNSPEC, each_addr, net)) != 0)
    return e;
  *why = "reading its routes";
  if ((e = dump(nl, RTM_GETROUTE, AF_UNSPEC, each_route, net)) != 0)
    return e;
  *why = NULL;
  return 0;
}

/* IFF_UP on the link named. */
static int link_up(const char *name) {
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  struct ifreq ifr;
  int e = 0;
  if (s < 0)
    return -errno;
  memset(&ifr, 0, sizeof(ifr));
  (void)snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
  if (ioctl(s, SIOCGIFFLAGS, &ifr) != 0)
    e = -errno;
  ifr.ifr_flags = (short)(ifr.ifr_flags | IFF_UP);
  if (e == 0 && ioctl(s, SIOCSIFFLAGS, &ifr) != 0)
    e = -errno;
  (void)close(s);
  return e;
}

int boot_tap_make(int *ifindex) {
  struct ifreq ifr;
  int e = 0;
  int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
  if (fd < 0)
    return -errno;
  memset(&ifr, 0, sizeof(ifr));
  ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
  (void)snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", BOOT_TAP);
  if (ioctl(fd, TUNSETIFF, &ifr) != 0 || ioctl(fd, TUNSETPERSIST, 1) != 0)
    e = -errno;
  (void)close(fd);
  if (e == 0)
    e = link_up(BOOT_TAP);
  *ifindex = (int)if_nametoindex(BOOT_TAP);
  if (e == 0 && *ifindex == 0)
    e = -ENODEV;
  return e;
}

int boot_tap_remove(struct boot_nl *nl, int ifindex) {
  struct boot_msg m;
  struct ifinfomsg *ifi = boot_msg_init(&m, RTM_DELLINK, 0, sizeof(*ifi));
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_index = ifindex;
  return boot_nl_talk(nl, &m, NULL, NULL);
}

/* The ingress qdisc (ffff:) of ifindex: made (NLM_F_EXCL) or, with del,
 * removed with its filters. */
static int ingress(struct boot_nl *nl, int ifindex, bool del) {
  struct boot_msg m;
  struct tcmsg *t =
      boot_msg_init(&m, del ? RTM_DELQDISC : RTM_NEWQDISC,
                    del ? 0 : (uint16_t)(NLM_F_CREATE | NLM_F_EXCL),
                    sizeof(*t));
  t->tcm_family = AF_UNSPEC;
  t->tcm_ifindex = ifindex;
  t->tcm_handle = TC_H_MAKE(TC_H_INGRESS, 0);
  t->tcm_parent = TC_H_INGRESS;
  if (!boot_msg_put(&m, TCA_KIND, "ingress", sizeof("ingress")))
    return -EMSGSIZE;
  return boot_nl_talk(nl, &m, NULL, NULL);
}

/* On from's ingress (an interface index): u32 matching every frame (one
 * key, mask 0), its one action mirred, redirecting to to's egress; the
 * frame is then the other device's (TC_ACT_STOLEN), not IP's. */
static int redirect(struct boot_nl *nl, int from, int to) {
  struct boot_msg m;
  /* The selector and its one key, as the kernel reads them: a struct
   * with a flexible array, then the array. */
  unsigned char sel[sizeof(struct tc_u32_sel) + sizeof(struct tc_u32_key)];
  struct tc_u32_sel head;
  struct tc_mirred mirred;
  struct tcmsg *t = boot_msg_init(
      &m, RTM_NEWTFILTER, (uint16_t)(NLM_F_CREATE | NLM_F_EXCL), sizeof(*t));
  t->tcm_family = AF_UNSPEC;
  t->tcm_ifindex = from;
  t->tcm_parent = TC_H_MAKE(TC_H_INGRESS, 0);
  t->tcm_info = TC_H_MAKE(1u << 16, htons(ETH_P_ALL)); /* prio 1, all */
  memset(&head, 0, sizeof(head));
  head.flags = TC_U32_TERMINAL;
  head.nkeys = 1;
  memset(sel, 0, sizeof(sel));
  memcpy(sel, &head, sizeof(head));
  memset(&mirred, 0, sizeof(mirred));
  mirred.action = TC_ACT_STOLEN;
  mirred.eaction = TCA_EGRESS_REDIR;
  mirred.ifindex = (uint32_t)to;
  size_t opts, acts, act, aopts;
  if (!boot_msg_put(&m, TCA_KIND, "u32", sizeof("u32")) ||
      !(opts = boot_msg_nest(&m, TCA_OPTIONS)) ||
      !boot_msg_put(&m, TCA_U32_SEL, sel, sizeof(sel)) ||
      !(acts = boot_msg_nest(&m, TCA_U32_ACT)) ||
      !(act = boot_msg_nest(&m, 1)) || /* the first action */
      !boot_msg_put(&m, TCA_ACT_KIND, "mirred", sizeof("mirred")) ||
      !(aopts = boot_msg_nest(&m, TCA_ACT_OPTIONS)) ||
      !boot_msg_put(&m, TCA_MIRRED_PARMS, &mirred, sizeof(mirred)))
    return -EMSGSIZE;
  boot_msg_nest_end(&m, aopts);
  boot_msg_nest_end(&m, act);
  boot_msg_nest_end(&m, acts);
  boot_msg_nest_end(&m, opts);
  return boot_nl_talk(nl, &m, NULL, NULL);
}

int boot_join(struct boot_nl *nl, int ifindex, int tap_ifindex) {
  int e = ingress(nl, ifindex, false);
  /* One left by a znet-boot that was killed: its filter redirects to a
   * TAP that is gone.  Made again. */
  if (e == -EEXIST && ingress(nl, ifindex, true) == 0)
    e = ingress(nl, ifindex, false);
  if (e == 0)
    e = ingress(nl, tap_ifindex, false);
  if (e == 0)
    e = redirect(nl, tap_ifindex, ifindex);
  if (e == 0)
    e = redirect(nl, ifindex, tap_ifindex);
  return e;
}

int boot_unjoin(struct boot_nl *nl, int ifindex) {
  int e = ingress(nl, ifindex, true);
  return e == -ENOENT || e == -EINVAL ? 0 : e;
}

/* RTM_NEWADDR or RTM_DELADDR of net's IPv4 address (with its peer and
 * broadcast, as it was) or, v6, of its IPv6 one (back without duplicate
 * address detection: it was the pod's a moment ago). */
static int addr_msg(struct boot_nl *nl, const struct boot_net *net, bool v6,
                    bool add) {
  struct boot_msg m;
  struct ifaddrmsg *a =
      boot_msg_init(&m, add ? RTM_NEWADDR : RTM_DELADDR,
                    add ? (uint16_t)(NLM_F_CREATE | NLM_F_EXCL) : 0,
                    sizeof(*a));
  bool ok;
  a->ifa_index = (uint32_t)net->link.ifindex;
  if (v6) {
    a->ifa_family = AF_INET6;
    a->ifa_prefixlen = net->addr6.prefix;
    a->ifa_flags = IFA_F_NODAD;
    ok = boot_msg_put(&m, IFA_ADDRESS, &net->addr6.addr,
                      sizeof(net->addr6.addr));
  } else {
    const struct boot_addr4 *v4 = &net->addr4;
    a->ifa_family = AF_INET;
    a->ifa_prefixlen = v4->prefix;
    a->ifa_scope = v4->scope;
    ok = boot_msg_put(&m, IFA_LOCAL, &v4->local, sizeof(v4->local)) &&
         boot_msg_put(&m, IFA_ADDRESS, &v4->peer, sizeof(v4->peer)) &&
         (!v4->has_brd ||
          boot_msg_put(&m, IFA_BROADCAST, &v4->brd, sizeof(v4->brd)));
  }
  if (!ok)
    return -EMSGSIZE;
  int e = boot_nl_talk(nl, &m, NULL, NULL);
  return add && e == -EEXIST ? 0 : e;
}

static int route_add(struct boot_nl *nl, int ifindex,
                     const struct boot_route *r) {
  struct boot_msg m;
  struct rtmsg *rt = boot_msg_init(
      &m, RTM_NEWROUTE, (uint16_t)(NLM_F_CREATE | NLM_F_EXCL), sizeof(*rt));
  uint32_t oif = (uint32_t)ifindex;
  rt->rtm_family = AF_INET;
  rt->rtm_dst_len = r->dst_len;
  rt->rtm_table = RT_TABLE_MAIN;
  rt->rtm_protocol = r->protocol;
  rt->rtm_scope = r->scope;
  rt->rtm_type = RTN_UNICAST;
  if ((r->dst_len > 0 && !boot_msg_put(&m, RTA_DST, &r->dst, sizeof(r->dst))) ||
      (r->has_gw && !boot_msg_put(&m, RTA_GATEWAY, &r->gw, sizeof(r->gw))) ||
      (r->has_prefsrc &&
       !boot_msg_put(&m, RTA_PREFSRC, &r->prefsrc, sizeof(r->prefsrc))) ||
      (r->has_priority &&
       !boot_msg_put(&m, RTA_PRIORITY, &r->priority, sizeof(r->priority))) ||
      !boot_msg_put(&m, RTA_OIF, &oif, sizeof(oif)))
    return -EMSGSIZE;
  int e = boot_nl_talk(nl, &m, NULL, NULL);
  return e == -EEXIST ? 0 : e;
}

int boot_unaddr(struct boot_nl *nl, const struct boot_net *net) {
  int e = 0;
  if (net->has_addr4)
    e = addr_msg(nl, net, false, false);
  if (net->has_addr6) {
    int e6 = addr_msg(nl, net, true, false);
    e = e ? e : e6;
  }
  return e;
}

int boot_restore(struct boot_nl *nl, const struct boot_net *net) {
  int e = 0;
  if (net->has_addr4)
    e = addr_msg(nl, net, false, true);
  if (net->has_addr6) {
    int e6 = addr_msg(nl, net, true, true);
    e = e ? e : e6;
  }
  /* Routes on the link (a /32's way to its gateway) before those through
   * a gateway, which need them. */
  for (int pass = 0; pass < 2; pass++)
    for (int i = 0; i < net->nroutes; i++) {
      if (net->routes[i].has_gw != (pass == 1))
        continue;
      int er = route_add(nl, net->link.ifindex, &net->routes[i]);
      e = e ? e : er;
    }
  return e;
}

/* ---- the stop signal, as a frame on the TAP -------------------------------- */

static uint16_t csum(const uint8_t *p, size_t n) {
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < n; i += 2)
    sum += (uint32_t)(p[i] << 8 | p[i + 1]);
  if (n & 1)
    sum += (uint32_t)p[n - 1] << 8;
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  return (uint16_t)~sum;
}

size_t boot_signal_frame(uint8_t *out, size_t cap, const uint8_t mac[6],
                         struct in_addr src, struct in_addr dst,
                         uint16_t port, const char *text) {
  static const uint8_t from[6] = {0x02, 0x7a, 0x62, 0x6f, 0x6f, 0x74};
  size_t tlen = strlen(text);
  size_t len = 14 + 20 + 8 + tlen;
  if (len > cap || len > 1514)
    return 0;
  memset(out, 0, len);
  memcpy(out, mac, 6);
  memcpy(out + 6, from, 6);
  out[12] = 0x08; /* IPv4 */
  uint8_t *ip = out + 14;
  ip[0] = 0x45;
  ip[2] = (uint8_t)((len - 14) >> 8);
  ip[3] = (uint8_t)(len - 14);
  ip[6] = 0x40; /* DF */
  ip[8] = 64;
  ip[9] = 17; /* UDP */
  memcpy(ip + 12, &src, 4);
  memcpy(ip + 16, &dst, 4);
  uint16_t c = csum(ip, 20);
  ip[10] = (uint8_t)(c >> 8);
  ip[11] = (uint8_t)c;
  uint8_t *udp = ip + 20;
  udp[0] = (uint8_t)(port >> 8); /* from the same port */
  udp[1] = (uint8_t)port;
  udp[2] = (uint8_t)(port >> 8);
  udp[3] = (uint8_t)port;
  udp[4] = (uint8_t)((8 + tlen) >> 8);
  udp[5] = (uint8_t)(8 + tlen);
  /* The datagram's payload: the text's bytes, no NUL.  Checksum 0: none
   * (IPv4 allows it).
   * NOLINTNEXTLINE(bugprone-not-null-terminated-result) */
  memcpy(udp + 8, text, tlen);
  return len;
}

int boot_signal_send(int tap_ifindex, const uint8_t *frame, size_t len) {
  int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -errno;
  struct sockaddr_ll sll;
  memset(&sll, 0, sizeof(sll));
  sll.sll_family = AF_PACKET;
  sll.sll_ifindex = tap_ifindex;
  sll.sll_halen = 6;
  memcpy(sll.sll_addr, frame, 6);
  ssize_t n = sendto(fd, frame, len, 0, (const struct sockaddr *)&sll,
                     sizeof(sll));
  int e = n == (ssize_t)len ? 0 : n < 0 ? -errno : -EIO;
  close(fd);
  return e;
}
