/* znet-boot's parsers: rtnetlink's link, address and route messages
 * (RFC 3549's format, Linux's rtnetlink(7) attributes), resolv.conf(5)
 * and its own settings.
 *
 * Pure: each takes bytes and their length and reads nothing outside
 * them, so a fuzz harness can drive them (fuzz/fuzz_oci_boot.c).  A
 * netlink message is the kernel's, but it is still checked as any input
 * is: every length against what is left, every attribute's payload
 * against the size its type needs, before a field is read; a message of
 * the wrong size is refused, not guessed at. */
#include "boot.h"

#include <arpa/inet.h>
#include <linux/if_addr.h>
#include <linux/if_arp.h>
#include <string.h>

/* An attribute's payload and its length (boot_attrs checked that the
 * length covers the header and lies inside the message).  The header is
 * copied out: a fuzzer's buffer need not be aligned. */
static const void *attr_data(const struct rtattr *a) {
  return (const unsigned char *)a + RTA_LENGTH(0);
}

static size_t attr_len(const struct rtattr *a) {
  struct rtattr h;
  memcpy(&h, a, sizeof(h));
  return (size_t)h.rta_len - RTA_LENGTH(0);
}

/* a's payload, exactly n bytes, copied into out; false if a is absent or
 * of another length. */
static bool attr_exact(const struct rtattr *a, void *out, size_t n) {
  if (!a || attr_len(a) != n)
    return false;
  memcpy(out, attr_data(a), n);
  return true;
}

bool boot_attrs(const void *p, size_t len, const struct rtattr **tb,
                unsigned max) {
  const unsigned char *b = p;
  size_t off = 0;
  for (unsigned i = 0; i <= max; i++)
    tb[i] = NULL;
  /* Each turn moves off forward by at least RTA_ALIGN(sizeof(rtattr)), so
   * the loop ends within len / 4 turns. */
  while (len - off >= sizeof(struct rtattr)) {
    struct rtattr a;
    memcpy(&a, b + off, sizeof(a));
    if (a.rta_len < sizeof(struct rtattr) || a.rta_len > len - off)
      return false;
    unsigned type =
        a.rta_type & ~(unsigned)(NLA_F_NESTED | NLA_F_NET_BYTEORDER);
    if (type <= max)
      tb[type] = (const struct rtattr *)(const void *)(b + off);
    size_t step = RTA_ALIGN((size_t)a.rta_len);
    if (step > len - off)
      break; /* the last attribute, without its padding */
    off += step;
  }
  return true;
}

/* The fixed header of type T after the netlink header, and the
 * attributes after it: false if the message is shorter than both
 * headers or says it is longer than len. */
static bool msg_body(const struct nlmsghdr *h, size_t len, size_t hdrlen,
                     const void **body, const void **attrs,
                     size_t *attrs_len) {
  if (len < sizeof(*h) || h->nlmsg_len < NLMSG_LENGTH(hdrlen) ||
      h->nlmsg_len > len)
    return false;
  *body = (const unsigned char *)h + NLMSG_HDRLEN;
  size_t at = NLMSG_SPACE(hdrlen);
  if (at > h->nlmsg_len)
    at = h->nlmsg_len;
  *attrs = (const unsigned char *)h + at;
  *attrs_len = h->nlmsg_len - at;
  return true;
}

bool boot_parse_link(const struct nlmsghdr *h, size_t len,
                     struct boot_link *l) {
  const void *body;
  const void *attrs;
  size_t alen;
  const struct rtattr *tb[IFLA_MTU + 1];
  struct ifinfomsg ifi;
  if (!msg_body(h, len, sizeof(ifi), &body, &attrs, &alen) ||
      !boot_attrs(attrs, alen, tb, IFLA_MTU))
    return false;
  memcpy(&ifi, body, sizeof(ifi));
  memset(l, 0, sizeof(*l));
  if (ifi.ifi_index <= 0)
    return false;
  l->ifindex = ifi.ifi_index;
  l->is_loopback = (ifi.ifi_flags & IFF_LOOPBACK) != 0;
  const struct rtattr *n = tb[IFLA_IFNAME];
  /* The name: 1..15 bytes and its NUL, nothing after the NUL counted. */
  if (!n || attr_len(n) < 2 || attr_len(n) > IF_NAMESIZE)
    return false;
  const char *s = attr_data(n);
  size_t sl = strnlen(s, attr_len(n));
  if (sl == 0 || sl == attr_len(n))
    return false;
  memcpy(l->name, s, sl);
  l->name[sl] = '\0';
  l->is_ether = ifi.ifi_type == ARPHRD_ETHER &&
                attr_exact(tb[IFLA_ADDRESS], l->mac, sizeof(l->mac));
  if (!attr_exact(tb[IFLA_MTU], &l->mtu, sizeof(l->mtu)))
    l->mtu = 0;
  return true;
}

static void take_addr4(const struct ifaddrmsg *ifa,
                       const struct rtattr *const *tb, struct boot_net *net) {
  struct boot_addr4 a;
  memset(&a, 0, sizeof(a));
  if (ifa->ifa_prefixlen > 32)
    return;
  /* IFA_LOCAL is the address; without it (some drivers' point to point
   * setups) IFA_ADDRESS is. */
  if (!attr_exact(tb[IFA_LOCAL], &a.local, sizeof(a.local)) &&
      !attr_exact(tb[IFA_ADDRESS], &a.local, sizeof(a.local)))
    return;
  if (!attr_exact(tb[IFA_ADDRESS], &a.peer, sizeof(a.peer)))
    a.peer = a.local;
  a.has_brd = attr_exact(tb[IFA_BROADCAST], &a.brd, sizeof(a.brd));
  a.prefix = ifa->ifa_prefixlen;
  a.scope = ifa->ifa_scope;
  if (net->naddr4++ == 0) {
    net->addr4 = a;
    net->has_addr4 = true;
  }
}

static void take_addr6(const struct ifaddrmsg *ifa,
                       const struct rtattr *const *tb, struct boot_net *net) {
  uint32_t flags = ifa->ifa_flags;
  struct in6_addr a;
  if (net->has_addr6 || ifa->ifa_prefixlen > 128 ||
      ifa->ifa_scope != RT_SCOPE_UNIVERSE)
    return;
  (void)attr_exact(tb[IFA_FLAGS], &flags, sizeof(flags));
  if (flags & (IFA_F_TENTATIVE | IFA_F_DADFAILED | IFA_F_DEPRECATED))
    return;
  if (!attr_exact(tb[IFA_ADDRESS], &a, sizeof(a)))
    return;
  net->addr6.addr = a;
  net->addr6.prefix = ifa->ifa_prefixlen;
  net->has_addr6 = true;
}

bool boot_parse_addr(const struct nlmsghdr *h, size_t len, int ifindex,
                     struct boot_net *net) {
  const void *body;
  const void *attrs;
  size_t alen;
  const struct rtattr *tb[IFA_FLAGS + 1];
  struct ifaddrmsg ifa;
  if (!msg_body(h, len, sizeof(ifa), &body, &attrs, &alen) ||
      !boot_attrs(attrs, alen, tb, IFA_FLAGS))
    return false;
  memcpy(&ifa, body, sizeof(ifa));
  if (ifindex <= 0 || ifa.ifa_index != (unsigned)ifindex)
    return true;
  if (ifa.ifa_family == AF_INET)
    take_addr4(&ifa, tb, net);
  else if (ifa.ifa_family == AF_INET6)
    take_addr6(&ifa, tb, net);
  return true;
}

/* The route's table: RTA_TABLE when present (tables past 255), else the
 * header's. */
static uint32_t route_table(const struct rtmsg *rt,
                            const struct rtattr *const *tb) {
  uint32_t t = rt->rtm_table;
  (void)attr_exact(tb[RTA_TABLE], &t, sizeof(t));
  return t;
}

static void keep_route(const struct boot_route *r, struct boot_net *net) {
  if (net->nroutes == BOOT_MAX_ROUTES) {
    net->routes_left_out++;
    return;
  }
  net->routes[net->nroutes++] = *r;
}

/* IPv6's default route through the interface: its gateway, the lowest
 * priority's. */
static void take_gateway6(const struct rtmsg *rt,
                          const struct rtattr *const *tb,
                          struct boot_net *net) {
  struct in6_addr gw;
  uint32_t prio = 0;
  if (rt->rtm_dst_len != 0 || !attr_exact(tb[RTA_GATEWAY], &gw, sizeof(gw)))
    return;
  (void)attr_exact(tb[RTA_PRIORITY], &prio, sizeof(prio));
  if (net->has_gateway6 && prio >= net->gateway6_priority)
    return;
  net->gateway6 = gw;
  net->gateway6_priority = prio;
  net->has_gateway6 = true;
}

bool boot_parse_route(const struct nlmsghdr *h, size_t len, int ifindex,
                      struct boot_net *net) {
  const void *body;
  const void *attrs;
  size_t alen;
  const struct rtattr *tb[RTA_TABLE + 1];
  struct rtmsg rt;
  int oif = 0;
  struct boot_route r;
  if (!msg_body(h, len, sizeof(rt), &body, &attrs, &alen) ||
      !boot_attrs(attrs, alen, tb, RTA_TABLE))
    return false;
  memcpy(&rt, body, sizeof(rt));
  if (ifindex <= 0 || rt.rtm_type != RTN_UNICAST ||
      route_table(&rt, tb) != RT_TABLE_MAIN ||
      !attr_exact(tb[RTA_OIF], &oif, sizeof(oif)) || oif != ifindex)
    return true;
  if (rt.rtm_family == AF_INET6)
    take_gateway6(&rt, tb, net);
  if (rt.rtm_family != AF_INET || rt.rtm_dst_len > 32)
    return true;
  memset(&r, 0, sizeof(r));
  r.dst_len = rt.rtm_dst_len;
  r.scope = rt.rtm_scope;
  r.protocol = rt.rtm_protocol;
  if (r.dst_len > 0 && !attr_exact(tb[RTA_DST], &r.dst, sizeof(r.dst)))
    return true;
  r.has_gw = attr_exact(tb[RTA_GATEWAY], &r.gw, sizeof(r.gw));
  r.has_prefsrc = attr_exact(tb[RTA_PREFSRC], &r.prefsrc, sizeof(r.prefsrc));
  r.has_priority =
      attr_exact(tb[RTA_PRIORITY], &r.priority, sizeof(r.priority));
  if (r.dst_len == 0 && r.has_gw &&
      (!net->has_gateway || r.priority < net->gateway_priority)) {
    net->gateway = r.gw;
    net->gateway_priority = r.priority;
    net->has_gateway = true;
  }
  /* The kernel makes a prefix's route again with its address. */
  if (r.protocol != RTPROT_KERNEL)
    keep_route(&r, net);
  return true;
}

/* One line of resolv.conf (without its newline): the address of a
 * "nameserver ADDR" line into out, true; false for any other line. */
static bool nameserver_line(const char *s, size_t n,
                            char out[INET6_ADDRSTRLEN]) {
  static const char kw[] = "nameserver";
  size_t k = sizeof(kw) - 1;
  size_t i = 0;
  char addr[INET6_ADDRSTRLEN + IF_NAMESIZE + 1];
  unsigned char bin[sizeof(struct in6_addr)];
  if (n <= k || memcmp(s, kw, k) != 0 || (s[k] != ' ' && s[k] != '\t'))
    return false;
  for (i = k; i < n && (s[i] == ' ' || s[i] == '\t'); i++)
    ;
  size_t start = i;
  while (i < n && s[i] != ' ' && s[i] != '\t' && s[i] != '%' &&
         i - start < sizeof(addr) - 1)
    i++;
  size_t al = i - start;
  if (al == 0 || al >= INET6_ADDRSTRLEN)
    return false;
  memcpy(addr, s + start, al);
  addr[al] = '\0';
  if (inet_pton(AF_INET, addr, bin) != 1 && inet_pton(AF_INET6, addr, bin) != 1)
    return false;
  memcpy(out, addr, al + 1);
  return true;
}

int boot_parse_resolv(const char *text, size_t len,
                      char out[BOOT_MAX_DNS][INET6_ADDRSTRLEN]) {
  int n = 0;
  size_t at = 0;
  /* Each turn takes one line, at least its newline or the rest. */
  while (at < len && n < BOOT_MAX_DNS) {
    const char *nl = memchr(text + at, '\n', len - at);
    size_t ll = nl ? (size_t)(nl - (text + at)) : len - at;
    if (nameserver_line(text + at, ll, out[n]))
      n++;
    at += ll + 1;
  }
  return n;
}

bool boot_parse_mem(const char *s, unsigned *mib) {
  unsigned v = 0;
  size_t i = 0;
  for (; s[i] >= '0' && s[i] <= '9'; i++) {
    v = v * 10 + (unsigned)(s[i] - '0');
    if (v > 65536)
      return false;
  }
  if (i == 0 || s[i] != '\0' || v == 0)
    return false;
  *mib = v;
  return true;
}

bool boot_hostname_ok(const char *s) {
  size_t i = 0;
  for (; s[i] != '\0'; i++) {
    char c = s[i];
    if (i == 63 || !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                     (c >= '0' && c <= '9') || c == '-' || c == '.'))
      return false;
  }
  return i > 0;
}

/* SIZE of a volume: digits, then nothing or one of K, M, G, T. */
static bool parse_bytes(const char *s, size_t len, uint64_t *out) {
  uint64_t v = 0;
  size_t i = 0;
  for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
    v = v * 10 + (uint64_t)(s[i] - '0');
    if (v > (1ull << 44))
      return false;
  }
  if (i == 0)
    return false;
  unsigned shift = 0;
  if (i < len) {
    static const char units[4] = {'K', 'M', 'G', 'T'};
    const char *u = memchr(units, s[i] & ~0x20, sizeof(units));
    if (!u || i + 1 != len)
      return false;
    shift = 10u * (unsigned)(u - units + 1);
  }
  if (v > (1ull << 44) >> shift)
    return false;
  v <<= shift;
  if (v < (64u << 10) || v > (1ull << 44))
    return false;
  *out = v;
  return true;
}

bool boot_parse_volume(const char *s, size_t len, struct boot_volume *v) {
  const char *c1 = memchr(s, ':', len);
  if (!c1 || c1 == s || (size_t)(c1 - s) > 63)
    return false;
  size_t nlen = (size_t)(c1 - s);
  for (size_t i = 0; i < nlen; i++) {
    char c = s[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
          (c >= '0' && c <= '9')))
      return false;
  }
  const char *d = c1 + 1;
  size_t rest = len - nlen - 1;
  const char *c2 = memchr(d, ':', rest);
  size_t dlen = c2 ? (size_t)(c2 - d) : rest;
  if (dlen == 0 || d[0] != '/' || dlen >= 250 || memchr(d, '\0', dlen))
    return false;
  uint64_t bytes = BOOT_VOLUME_DEFAULT;
  if (c2 && !parse_bytes(c2 + 1, rest - dlen - 1, &bytes))
    return false;
  memcpy(v->name, s, nlen);
  v->name[nlen] = '\0';
  memcpy(v->dir, d, dlen);
  v->dir[dlen] = '\0';
  /* "/data/" is "/data": the file's path and the mount's are one. */
  while (dlen > 1 && v->dir[dlen - 1] == '/')
    v->dir[--dlen] = '\0';
  v->bytes = bytes;
  return true;
}

bool boot_parse_mem_limit(const char *text, size_t len, uint64_t *bytes) {
  while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == ' '))
    len--;
  if (len == 3 && memcmp(text, "max", 3) == 0) {
    *bytes = BOOT_MEM_UNLIMITED;
    return true;
  }
  uint64_t v = 0;
  size_t i = 0;
  for (; i < len && text[i] >= '0' && text[i] <= '9'; i++) {
    if (v > (UINT64_MAX - 9) / 10)
      return false;
    v = v * 10 + (uint64_t)(text[i] - '0');
  }
  if (i == 0 || i != len)
    return false;
  /* cgroup v1 writes "no limit" as the largest page-aligned long. */
  *bytes = v >= BOOT_MEM_LIMIT_NONE_ABOVE ? BOOT_MEM_UNLIMITED : v;
  return true;
}

unsigned boot_mem_under_limit(uint64_t limit, uint64_t reserve) {
  if (limit <= reserve)
    return 0;
  uint64_t mib = (limit - reserve) >> 20;
  return mib > 65536 ? 65536u : (unsigned)mib;
}

/* A byte the image's word splitter (rt/start.c's next_word) takes as
 * itself outside quotes. */
static bool plain_byte(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || strchr("_-+=/.,:@%^", c) != NULL;
}

size_t boot_quote_word(const char *w, char *out, size_t cap) {
  size_t n = 0, i = 0;
  bool plain = w[0] != '\0';
  for (; w[i]; i++)
    plain = plain && plain_byte(w[i]);
  if (plain) {
    if (i + 1 > cap)
      return 0;
    memcpy(out, w, i + 1);
    return i;
  }
  /* 'text', each ' in it as '\'' (close, an escaped quote, reopen). */
  if (cap < 3)
    return 0;
  out[n++] = '\'';
  for (i = 0; w[i]; i++) {
    size_t need = w[i] == '\'' ? 4 : 1;
    if (n + need + 2 > cap)
      return 0;
    if (w[i] == '\'') {
      memcpy(out + n, "'\\''", 4);
    } else {
      out[n] = w[i];
    }
    n += need;
  }
  out[n++] = '\'';
  out[n] = '\0';
  return n;
}
