/*
 * znet-boot's parsers (oci/boot_parse.c): rtnetlink's link, address and
 * route messages, the attribute walker under them, resolv.conf, ZNET_MEM
 * and the host name.  Input: a byte giving the interface's index (its
 * low 3 bits), then bytes read as a stream of netlink messages (each
 * copied exact-size into a buffer of its own, so a read past it is
 * ASan's) and, whole, as attributes and as text.  Checks: the walker's
 * attributes lie inside the bytes, each of its length at least a header;
 * a link message read is a name of 1..15 bytes with its NUL, a positive
 * index; the addresses and routes kept are of the index asked, their
 * prefixes within their family's, the routes at most BOOT_MAX_ROUTES with
 * the rest counted, the gateway one of a default route; at most
 * BOOT_MAX_DNS nameservers, each an address that parses and is in the
 * text; ZNET_MEM's number in 1..65536 and all digits; a host name
 * accepted is 1..63 bytes of letters, digits, '-' and '.'; a ZNET_VOLUMES
 * word accepted has a name of 1..63 letters and digits (the word's
 * start), an absolute directory without ':' or a trailing '/', a size
 * in 64 KiB..16 TiB.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "../oci/boot.h"
#include "fuzz_util.h"

#define MAX_ATTR 64

static void check_attrs(const uint8_t *p, size_t len) {
  const struct rtattr *tb[MAX_ATTR + 1];
  if (!boot_attrs(p, len, tb, MAX_ATTR))
    return;
  for (unsigned i = 0; i <= MAX_ATTR; i++) {
    struct rtattr a;
    if (!tb[i])
      continue;
    const uint8_t *q = (const uint8_t *)tb[i];
    FZ_CHECK(q >= p && (size_t)(q - p) + sizeof(a) <= len);
    memcpy(&a, q, sizeof(a));
    FZ_CHECK(a.rta_len >= sizeof(a) && (size_t)(q - p) + a.rta_len <= len);
    FZ_CHECK((a.rta_type & ~(unsigned)(NLA_F_NESTED | NLA_F_NET_BYTEORDER)) ==
             i);
  }
}

static void check_link(const struct boot_link *l) {
  size_t n = strnlen(l->name, sizeof(l->name));
  FZ_CHECK(n > 0 && n < sizeof(l->name));
  FZ_CHECK(l->ifindex > 0);
}

static void check_net(const struct boot_net *net, int ifindex) {
  FZ_CHECK(net->nroutes >= 0 && net->nroutes <= BOOT_MAX_ROUTES);
  FZ_CHECK(net->routes_left_out == 0 || net->nroutes == BOOT_MAX_ROUTES);
  FZ_CHECK(net->has_addr4 == (net->naddr4 > 0));
  FZ_CHECK(!net->has_addr4 || net->addr4.prefix <= 32);
  FZ_CHECK(!net->has_addr6 || net->addr6.prefix <= 128);
  FZ_CHECK(ifindex > 0 || (!net->has_addr4 && !net->has_addr6 &&
                           net->nroutes == 0 && !net->has_gateway &&
                           !net->has_gateway6));
  for (int i = 0; i < net->nroutes; i++) {
    FZ_CHECK(net->routes[i].dst_len <= 32);
    FZ_CHECK(net->routes[i].protocol != RTPROT_KERNEL);
  }
}

/* One message, len bytes (a header's worth at least), exact-size. */
static void one_message(const uint8_t *p, size_t len, int ifindex,
                        struct boot_net *net) {
  struct nlmsghdr *h = malloc(len);
  struct boot_link l;
  if (!h)
    return;
  memcpy(h, p, len);
  if (boot_parse_link(h, len, &l))
    check_link(&l);
  (void)boot_parse_addr(h, len, ifindex, net);
  (void)boot_parse_route(h, len, ifindex, net);
  check_net(net, ifindex);
  free(h);
}

static bool contains(const uint8_t *p, size_t len, const char *s, size_t n) {
  for (size_t i = 0; n <= len && i <= len - n; i++)
    if (memcmp(p + i, s, n) == 0)
      return true;
  return false;
}

static void check_resolv(const uint8_t *p, size_t len) {
  char out[BOOT_MAX_DNS][INET6_ADDRSTRLEN];
  int n = boot_parse_resolv((const char *)p, len, out);
  FZ_CHECK(n >= 0 && n <= BOOT_MAX_DNS);
  for (int i = 0; i < n; i++) {
    unsigned char bin[sizeof(struct in6_addr)];
    size_t al = strnlen(out[i], sizeof(out[i]));
    FZ_CHECK(al > 0 && al < sizeof(out[i]));
    FZ_CHECK(inet_pton(AF_INET, out[i], bin) == 1 ||
             inet_pton(AF_INET6, out[i], bin) == 1);
    FZ_CHECK(contains(p, len, out[i], al));
  }
}

static void check_words(const uint8_t *p, size_t len) {
  char s[80];
  unsigned mib = 0;
  size_t n = len < sizeof(s) - 1 ? len : sizeof(s) - 1;
  memcpy(s, p, n);
  s[n] = '\0';
  if (boot_parse_mem(s, &mib)) {
    FZ_CHECK(mib >= 1 && mib <= 65536);
    FZ_CHECK(strspn(s, "0123456789") == strlen(s));
  }
  if (boot_hostname_ok(s)) {
    size_t k = strlen(s);
    FZ_CHECK(k >= 1 && k <= 63);
    FZ_CHECK(strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                       "0123456789-.") == k);
  }
}

/* A ZNET_VOLUMES word, exact-size (a read past it is ASan's). */
static void check_volume(const uint8_t *p, size_t len) {
  char *w = malloc(len ? len : 1);
  struct boot_volume v;
  if (!w)
    return;
  memcpy(w, p, len);
  if (boot_parse_volume(w, len, &v)) {
    size_t n = strlen(v.name), d = strlen(v.dir);
    FZ_CHECK(n >= 1 && n <= 63);
    FZ_CHECK(strspn(v.name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTU"
                            "VWXYZ0123456789") == n);
    FZ_CHECK(d >= 1 && d < 250 && v.dir[0] == '/' && !strchr(v.dir, ':'));
    FZ_CHECK(d == 1 || v.dir[d - 1] != '/');
    FZ_CHECK(v.bytes >= 65536 && v.bytes <= (1ull << 44));
    FZ_CHECK(memcmp(w, v.name, n) == 0 && w[n] == ':');
  }
  free(w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static struct boot_net net;
  struct fz_in in;
  fz_in_init(&in, data, size);
  int ifindex = fz_u8(&in) & 7; /* 0: no interface, kept nothing */
  const uint8_t *rest = data + in.off;
  size_t left = fz_left(&in);
  check_attrs(rest, left);
  check_resolv(rest, left);
  check_words(rest, left);
  check_volume(rest, left);
  memset(&net, 0, sizeof(net));
  /* The messages one after the other, as a dump's datagram holds them;
   * each turn moves on by a header at least. */
  size_t off = 0;
  while (left - off >= sizeof(struct nlmsghdr)) {
    struct nlmsghdr h;
    memcpy(&h, rest + off, sizeof(h));
    size_t len = h.nlmsg_len;
    if (len < sizeof(h) || len > left - off)
      len = left - off; /* the parsers must refuse what says otherwise */
    one_message(rest + off, len, ifindex, &net);
    size_t step = NLMSG_ALIGN(len);
    if (step > left - off)
      break;
    off += step;
  }
  return 0;
}
