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
 * in 64 KiB..16 TiB; a cgroup memory limit accepted is "max" or all
 * digits (a newline or blanks after), and the image's share of it never
 * more than it; a word quoted for the image's command line (the bytes
 * up to the first NUL) reads back as itself, alone, through a splitter
 * that does what the image's does (rt/start.c's next_word).
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

/* The cgroup file's text, exact-size. */
static void check_mem_limit(const uint8_t *p, size_t len) {
  char *t = malloc(len ? len : 1);
  uint64_t bytes = 0;
  if (!t)
    return;
  memcpy(t, p, len);
  if (boot_parse_mem_limit(t, len, &bytes)) {
    size_t n = len;
    while (n > 0 && (t[n - 1] == '\n' || t[n - 1] == ' '))
      n--;
    size_t digits = 0;
    while (digits < n && t[digits] >= '0' && t[digits] <= '9')
      digits++;
    FZ_CHECK(n > 0);
    FZ_CHECK((n == 3 && memcmp(t, "max", 3) == 0 &&
              bytes == BOOT_MEM_UNLIMITED) ||
             digits == n);
    FZ_CHECK(bytes == BOOT_MEM_UNLIMITED || bytes < BOOT_MEM_LIMIT_NONE_ABOVE);
    uint64_t reserve = (uint64_t)(len & 63) << 20;
    unsigned mib = boot_mem_under_limit(bytes, reserve);
    FZ_CHECK(mib <= 65536);
    FZ_CHECK(bytes == BOOT_MEM_UNLIMITED || mib == 0 ||
             ((uint64_t)mib << 20) + reserve <= bytes);
  }
  free(t);
}

/* rt/start.c's next_word, over a copy: the first word of s into out
 * (quotes and backslashes undone); how many words s holds, at most 2. */
static int split_first(const char *s, char *out) {
  const char *p = s;
  int words = 0;
  while (words < 2) {
    while (*p == ' ' || *p == '\t' || *p == '\n')
      p++;
    if (*p == '\0')
      break;
    char quote = 0;
    char *o = out;
    for (; *p; p++) {
      if (quote == '\'') {
        if (*p == '\'')
          quote = 0;
        else
          *o++ = *p;
      } else if (quote == '"') {
        if (*p == '"')
          quote = 0;
        else if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
          *o++ = *++p;
        else
          *o++ = *p;
      } else if (*p == '\'' || *p == '"') {
        quote = *p;
      } else if (*p == '\\' && p[1]) {
        *o++ = *++p;
      } else if (*p == ' ' || *p == '\t' || *p == '\n') {
        break;
      } else {
        *o++ = *p;
      }
    }
    FZ_CHECK(quote == 0);
    *o = '\0';
    words++;
    out = o + 1; /* a second word goes after the first */
  }
  return words;
}

static void check_quote(const uint8_t *p, size_t len) {
  size_t n = strnlen((const char *)p, len > 300 ? 300 : len);
  char *w = malloc(n + 1), *q = malloc(4 * n + 3), *back = malloc(8 * n + 8);
  if (w && q && back) {
    memcpy(w, p, n);
    w[n] = '\0';
    size_t k = boot_quote_word(w, q, 4 * n + 3);
    FZ_CHECK(k > 0 && k == strlen(q));
    FZ_CHECK(split_first(q, back) == 1);
    FZ_CHECK(strcmp(back, w) == 0);
    /* Too small a buffer is refused, never overrun. */
    FZ_CHECK(boot_quote_word(w, q, k) == 0);
  }
  free(w);
  free(q);
  free(back);
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
  check_mem_limit(rest, left);
  check_quote(rest, left);
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
