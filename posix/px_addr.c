/* libznet-posix: socket addresses to znet's and back.
 *
 * An AF_INET socket speaks sockaddr_in; an AF_INET6 one sockaddr_in6,
 * where an IPv4 peer of a dual-stack socket appears IPv4-mapped
 * (::ffff:a.b.c.d, RFC 4291 §2.5.5.2) as on Linux.  Inside, IPv4 is
 * always a plain ZN_AF_INET address (zn_ip_unmap). */
#include <netinet/in.h>
#include <string.h>

#include "px_int.h"

bool px_ip_is_v4(const struct zn_ip *ip) { return ip->family == ZN_AF_INET; }

/* As Linux's inet_bind and inet6_bind (without ip_nonlocal_bind): one
 * of the stack's addresses, the loopback, a broadcast or a multicast
 * address.  The first 32 of the stack's IPv6 addresses are looked at
 * (its table holds cfg.ipv6_addrs, 8 by default). */
bool px_ip_bindable(struct zn_stack *st, const struct zn_ip *ip) {
  if (ip->family == ZN_AF_NONE || zn_ip_is_unspecified(ip))
    return true;
  if (ip->family == ZN_AF_INET) {
    uint32_t a = zn_ip_v4(ip), addr, gw;
    uint8_t prefix;
    zn_stack_get_ipv4(st, &addr, &prefix, &gw);
    uint32_t host = prefix < 32 ? ~(0xffffffffu << (32 - prefix)) : 0;
    return (a >> 24) == 127 || (a >> 28) == 0xe || a == 0xffffffffu ||
           (addr && a == addr) ||
           (addr && prefix < 31 && a == (addr | host));
  }
  static const uint8_t loop6[16] = {[15] = 1};
  if (!memcmp(ip->bytes, loop6, 16) || ip->bytes[0] == 0xff)
    return true;
  struct zn_ipv6_addr_info info[32];
  uint32_t n = zn_stack_ipv6_addrs(st, info, 32);
  for (uint32_t i = 0; i < n && i < 32; i++)
    if (!memcmp(info[i].addr.bytes, ip->bytes, 16))
      return true;
  return false;
}

static int from_sin(const struct sockaddr *sa, socklen_t len,
                    struct zn_ip *ip, uint16_t *port) {
  struct sockaddr_in in;
  if (len < (socklen_t)sizeof(in))
    return -EINVAL;
  memcpy(&in, sa, sizeof(in));
  if (in.sin_family != AF_INET && in.sin_family != AF_UNSPEC)
    return -EAFNOSUPPORT;
  uint8_t b[4];
  memcpy(b, &in.sin_addr, 4);
  *ip = zn_ip_from_v4((uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
                      (uint32_t)b[2] << 8 | b[3]);
  *port = ntohs(in.sin_port);
  if (in.sin_family == AF_UNSPEC) {
    /* Linux takes AF_UNSPEC with INADDR_ANY for AF_INET (old programs);
     * with another address it is refused.  The caller sees NONE. */
    if (!zn_ip_is_unspecified(ip))
      return -EAFNOSUPPORT;
    ip->family = ZN_AF_NONE;
  }
  return 0;
}

static int from_sin6(const struct sockaddr *sa, socklen_t len,
                     struct zn_ip *ip, uint16_t *port) {
  struct sockaddr_in6 in6;
  if (len < 24) /* SIN6_LEN_RFC2133: Linux accepts the old size */
    return -EINVAL;
  memset(&in6, 0, sizeof(in6));
  memcpy(&in6, sa, len < (socklen_t)sizeof(in6) ? (size_t)len : sizeof(in6));
  if (in6.sin6_family == AF_UNSPEC) {
    memset(ip, 0, sizeof(*ip));
    *port = ntohs(in6.sin6_port);
    return 0;
  }
  if (in6.sin6_family != AF_INET6)
    return -EAFNOSUPPORT;
  struct zn_ip v6 = zn_ip_from_v6(in6.sin6_addr.s6_addr);
  *ip = zn_ip_unmap(&v6);
  *port = ntohs(in6.sin6_port);
  return 0;
}

int px_sa_to_ip(const struct sockaddr *sa, socklen_t len, uint8_t family,
                struct zn_ip *ip, uint16_t *port) {
  if (!sa)
    return len ? -EFAULT : -EINVAL;
  if (len < (socklen_t)sizeof(sa_family_t))
    return -EINVAL;
  return family == AF_INET ? from_sin(sa, len, ip, port)
                           : from_sin6(sa, len, ip, port);
}

static void copy_out(const void *full, socklen_t full_len,
                     struct sockaddr *sa, socklen_t *len) {
  socklen_t n = *len < full_len ? *len : full_len;
  memcpy(sa, full, (size_t)n);
  *len = full_len; /* as Linux: the real size, even if cut */
}

void px_ip_to_sa(const struct zn_ip *ip, uint16_t port, uint8_t family,
                 struct sockaddr *sa, socklen_t *len) {
  if (family == AF_INET) {
    struct sockaddr_in in;
    memset(&in, 0, sizeof(in));
    in.sin_family = AF_INET;
    in.sin_port = htons(port);
    if (ip->family == ZN_AF_INET)
      memcpy(&in.sin_addr, ip->bytes, 4);
    copy_out(&in, (socklen_t)sizeof(in), sa, len);
    return;
  }
  struct sockaddr_in6 in6;
  memset(&in6, 0, sizeof(in6));
  in6.sin6_family = AF_INET6;
  in6.sin6_port = htons(port);
  if (ip->family == ZN_AF_INET6) {
    memcpy(in6.sin6_addr.s6_addr, ip->bytes, 16);
  } else if (ip->family == ZN_AF_INET) {
    in6.sin6_addr.s6_addr[10] = 0xff;
    in6.sin6_addr.s6_addr[11] = 0xff;
    memcpy(in6.sin6_addr.s6_addr + 12, ip->bytes, 4);
  }
  copy_out(&in6, (socklen_t)sizeof(in6), sa, len);
}
