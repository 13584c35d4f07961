/*
 * The interfaces inside an image, as programs list them: getifaddrs and
 * if_nameindex (musl's, over rt/netlink.c's NETLINK_ROUTE dumps), and a
 * netlink socket used by hand: its name, a request it does not answer,
 * bytes that are no message, a buffer too small, another netlink
 * protocol.  tests/rt/images.sh boots it with --ipv4 and --ipv6 and
 * checks the lines.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netpacket/packet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void list_ifaddrs(void) {
  struct ifaddrs *ifa;
  if (getifaddrs(&ifa) != 0) {
    printf("getifaddrs: %s\n", strerror(errno));
    return;
  }
  for (struct ifaddrs *p = ifa; p; p = p->ifa_next) {
    char a[INET6_ADDRSTRLEN] = "-", m[INET6_ADDRSTRLEN] = "-";
    int fam = p->ifa_addr ? p->ifa_addr->sa_family : -1;
    if (fam == AF_INET) {
      inet_ntop(AF_INET, &((struct sockaddr_in *)(void *)p->ifa_addr)->sin_addr, a, sizeof(a));
      inet_ntop(AF_INET, &((struct sockaddr_in *)(void *)p->ifa_netmask)->sin_addr, m, sizeof(m));
      printf("ifaddr %s inet %s netmask %s%s\n", p->ifa_name, a, m,
             p->ifa_flags & IFF_UP ? " up" : "");
    } else if (fam == AF_INET6) {
      inet_ntop(AF_INET6, &((struct sockaddr_in6 *)(void *)p->ifa_addr)->sin6_addr, a, sizeof(a));
      printf("ifaddr %s inet6 %s scope %u\n", p->ifa_name, a,
             ((struct sockaddr_in6 *)(void *)p->ifa_addr)->sin6_scope_id);
    } else if (fam == AF_PACKET) {
      const struct sockaddr_ll *ll = (const void *)p->ifa_addr;
      printf("ifaddr %s packet index %d hwaddr %02x:%02x:%02x:%02x:%02x:%02x%s%s\n",
             p->ifa_name, ll->sll_ifindex, ll->sll_addr[0], ll->sll_addr[1],
             ll->sll_addr[2], ll->sll_addr[3], ll->sll_addr[4], ll->sll_addr[5],
             p->ifa_flags & IFF_LOOPBACK ? " loopback" : "",
             p->ifa_flags & IFF_RUNNING ? " running" : "");
    }
  }
  freeifaddrs(ifa);
}

static void list_nameindex(void) {
  struct if_nameindex *ni = if_nameindex();
  if (!ni) {
    printf("if_nameindex: %s\n", strerror(errno));
    return;
  }
  printf("if_nameindex:");
  for (struct if_nameindex *p = ni; p->if_index; p++)
    printf(" %u %s", p->if_index, p->if_name);
  printf("\n");
  if_freenameindex(ni);
}

struct req {
  struct nlmsghdr h;
  struct rtgenmsg g;
};

static void by_hand(void) {
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  struct sockaddr_nl me = {.nl_family = AF_NETLINK};
  int b = bind(fd, (struct sockaddr *)&me, sizeof(me));
  socklen_t len = sizeof(me);
  getsockname(fd, (struct sockaddr *)&me, &len);
  printf("netlink socket: bind %d, getsockname family %s pid %u\n", b,
         me.nl_family == AF_NETLINK ? "AF_NETLINK" : "other", me.nl_pid);

  /* A change: refused with NLMSG_ERROR. */
  struct req r = {{sizeof(r), RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK, 7, 0},
                  {AF_UNSPEC}};
  send(fd, &r, sizeof(r), 0);
  union {
    char buf[8192];
    struct nlmsghdr h;
  } u;
  struct sockaddr_nl from;
  len = sizeof(from);
  ssize_t n = recvfrom(fd, u.buf, sizeof(u.buf), MSG_DONTWAIT,
                       (struct sockaddr *)&from, &len);
  const struct nlmsgerr *e = NLMSG_DATA(&u.h);
  printf("RTM_NEWLINK: %zd bytes, %s seq %u error %s, from the kernel: %s\n", n,
         u.h.nlmsg_type == NLMSG_ERROR ? "NLMSG_ERROR" : "other", u.h.nlmsg_seq,
         e->error == -EOPNOTSUPP ? "EOPNOTSUPP" : "other",
         len == sizeof(from) && from.nl_family == AF_NETLINK && from.nl_pid == 0
             ? "yes" : "no");

  /* Bytes that are no message. */
  char junk[20] = {0xff, 0xff, 0xff, 0x7f};
  n = send(fd, junk, sizeof(junk), 0);
  printf("a length beyond the bytes sent: %s\n",
         n == (ssize_t)sizeof(junk) ? "ignored, the send succeeds" : strerror(errno));

  /* A dump read with a buffer too small for its first message. */
  r.h.nlmsg_type = RTM_GETLINK;
  r.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  send(fd, &r, sizeof(r), 0);
  n = recv(fd, u.buf, 8, MSG_DONTWAIT | MSG_TRUNC);
  ssize_t rest = recv(fd, u.buf, sizeof(u.buf), MSG_DONTWAIT);
  printf("RTM_GETLINK into 8 bytes: %s; the rest then: %s\n",
         n > 8 ? "MSG_TRUNC gave the whole length" : "not truncated",
         rest > 0 ? "whole messages" : "nothing");
  n = recv(fd, u.buf, sizeof(u.buf), MSG_DONTWAIT);
  printf("an empty queue: %s\n", n < 0 && errno == EAGAIN ? "EAGAIN" : "other");
  close(fd);

  fd = socket(AF_NETLINK, SOCK_RAW, NETLINK_GENERIC);
  printf("NETLINK_GENERIC: %s\n", fd < 0 ? strerror(errno) : "a socket");
}

int main(void) {
  list_ifaddrs();
  list_nameindex();
  by_hand();
  printf("== done\n");
  return 0;
}
