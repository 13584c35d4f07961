/* The preload's name lookups without a network: the hosts table parser
 * (posix/preload/hosts.c) and getaddrinfo, getnameinfo and
 * gethostbyname2_r over a fake environment (posix/preload/lookup.c):
 * numeric hosts, the NULL node, services, hints and flags, the hosts
 * table, localhost, search domains and the order of the results, with a
 * DNS that answers from a table. */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <string.h>

#include "hosts.h"
#include "lookup.h"
#include "zt.h"

/* ---- the fake world ---- */

static const char hosts_text[] = "# The table of the tests\n"
                                 "127.0.0.1\tlocalhost\n"
                                 "::1 localhost ip6-localhost ip6-loopback\n"
                                 "10.0.0.5   files.test  files  # a comment\r\n"
                                 "2001:db8::5 files.test\n"
                                 "10.0.0.6 Other.Test other alias2\n"
                                 "10.0.0.5 again.test\n"
                                 "::ffff:10.0.0.7 mapped.test\n"
                                 "bogus.address bad.test\n"
                                 "10.0.0.8\n"
                                 "10.0.0.9 v4only.test\n";

struct fake_rr {
  const char *name;
  const char *addrs[4];
  const char *canon;
  int rc; /* when there are no addresses */
};

static const struct fake_rr fake_dns_table[] = {
    {"both.test", {"2001:db8::10", "192.0.2.10"}, "real.both.test", 0},
    {"v4.test", {"192.0.2.20"}, NULL, 0},
    {"v6.test", {"2001:db8::30"}, NULL, 0},
    {"host.corp.test", {"192.0.2.40"}, NULL, 0},
    {"dotted.name.test", {"192.0.2.50"}, NULL, 0},
    {"slow.test", {NULL}, NULL, EAI_AGAIN},
    {"host", {"192.0.2.60"}, NULL, 0},
};

static char calls[16][300]; /* the names the DNS was asked, in order */
static unsigned ncalls;
static unsigned last_want;

static const struct fake_rr *fake_find(const char *name) {
  for (size_t i = 0; i < sizeof(fake_dns_table) / sizeof(fake_dns_table[0]);
       i++)
    if (hosts_name_eq(fake_dns_table[i].name, name))
      return &fake_dns_table[i];
  return NULL;
}

static int fake_dns(void *ctx, const char *name, unsigned want,
                    struct lk_found *out) {
  (void)ctx;
  if (ncalls < 16)
    snprintf(calls[ncalls++], sizeof(calls[0]), "%s", name);
  last_want = want;
  const struct fake_rr *rr = fake_find(name);
  if (!rr)
    return EAI_NONAME;
  if (!rr->addrs[0])
    return rr->rc;
  for (int i = 0; i < 4 && rr->addrs[i]; i++) {
    struct zn_ip a;
    zn_ip_parse(rr->addrs[i], &a);
    bool v4 = a.family == ZN_AF_INET;
    if ((v4 && (want & LK_WANT_A)) || (!v4 && (want & LK_WANT_AAAA)))
      out->addrs[out->naddr++] = a;
  }
  if (rr->canon)
    snprintf(out->canon, sizeof(out->canon), "%s", rr->canon);
  return out->naddr ? 0 : EAI_NODATA;
}

static const char *fake_domains[] = {"corp.test", "lab.test"};

static bool fake_search(void *ctx, uint32_t i, char *out, size_t len) {
  (void)ctx;
  if (i >= 2)
    return false;
  snprintf(out, len, "%s", fake_domains[i]);
  return true;
}

static int fake_servbyname(const char *name, const char *proto) {
  if (!strcmp(name, "http") && !strcmp(proto, "tcp"))
    return 80;
  if (!strcmp(name, "domain"))
    return 53; /* tcp and udp */
  if (!strcmp(name, "syslog") && !strcmp(proto, "udp"))
    return 514;
  return -1;
}

static bool fake_servbyport(uint16_t port, const char *proto, char *out,
                            size_t len) {
  if (port == 80 && !strcmp(proto, "tcp"))
    return (size_t)snprintf(out, len, "http") < len;
  if (port == 514 && !strcmp(proto, "udp"))
    return (size_t)snprintf(out, len, "syslog") < len;
  return false;
}

/* A stack with both families, IPv6 global address included. */
static struct lk_env env_both(void) {
  ncalls = 0;
  return (struct lk_env){
      .hosts = {.text = hosts_text, .len = sizeof(hosts_text) - 1},
      .has_v4 = true,
      .has_v6 = true,
      .v6_on = true,
      .domain = "corp.test",
      .dns = fake_dns,
      .search = fake_search,
      .servbyname = fake_servbyname,
      .servbyport = fake_servbyport,
  };
}

static struct lk_env env_v4only(void) {
  struct lk_env e = env_both();
  e.has_v6 = false;
  e.v6_on = false;
  return e;
}

static struct addrinfo hints_of(int family, int socktype, int flags) {
  struct addrinfo h;
  memset(&h, 0, sizeof(h));
  h.ai_family = family;
  h.ai_socktype = socktype;
  h.ai_flags = flags;
  return h;
}

static unsigned count(const struct addrinfo *ai) {
  unsigned n = 0;
  for (; ai; ai = ai->ai_next)
    n++;
  return n;
}

/* The address of a result as text, and its port. */
static const char *addr_text(const struct addrinfo *ai, char *buf,
                             uint16_t *port) {
  if (ai->ai_family == AF_INET) {
    const struct sockaddr_in *s = (const struct sockaddr_in *)ai->ai_addr;
    *port = ntohs(s->sin_port);
    return inet_ntop(AF_INET, &s->sin_addr, buf, INET6_ADDRSTRLEN);
  }
  const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)ai->ai_addr;
  *port = ntohs(s->sin6_port);
  return inet_ntop(AF_INET6, &s->sin6_addr, buf, INET6_ADDRSTRLEN);
}

static const char *first_addr(const struct addrinfo *ai) {
  static char buf[INET6_ADDRSTRLEN];
  uint16_t port;
  return ai ? addr_text(ai, buf, &port) : "(none)";
}

/* ---- the hosts table parser ---- */

struct collected {
  unsigned n;
  char text[16][128]; /* "ADDR name name..." */
};

static bool collect_entry(void *arg, const struct hosts_entry *e) {
  struct collected *c = arg;
  if (c->n >= 16)
    return false;
  char a[ZN_IP_STRLEN];
  size_t used =
      (size_t)snprintf(c->text[c->n], 128, "%s", zn_ip_format(&e->addr, a));
  for (uint32_t i = 0; i < e->nnames && used < 128; i++)
    used +=
        (size_t)snprintf(c->text[c->n] + used, 128 - used, " %s", e->names[i]);
  c->n++;
  return true;
}

static void scan_text(const char *text, size_t len, struct collected *c,
                      struct hosts_stats *st) {
  memset(c, 0, sizeof(*c));
  struct hosts_src src = {.text = text, .len = len};
  ZT_EQ(hosts_scan(&src, collect_entry, c, st), 0);
}

ZT_TEST(test_hosts_lines_address_canonical_aliases) {
  struct collected c;
  struct hosts_stats st;
  scan_text(hosts_text, sizeof(hosts_text) - 1, &c, &st);
  ZT_EQ(c.n, 8);
  ZT_STREQ(c.text[0], "127.0.0.1 localhost");
  ZT_STREQ(c.text[1], "::1 localhost ip6-localhost ip6-loopback");
  ZT_STREQ(c.text[2], "10.0.0.5 files.test files"); /* comment, CR gone */
  ZT_STREQ(c.text[3], "2001:db8::5 files.test");
  ZT_STREQ(c.text[4], "10.0.0.6 Other.Test other alias2");
  ZT_STREQ(c.text[6], "10.0.0.7 mapped.test"); /* IPv4-mapped: IPv4 */
  ZT_STREQ(c.text[7], "10.0.0.9 v4only.test");
  ZT_EQ(st.lines, 11);
  ZT_EQ(st.entries, 8);
  ZT_EQ(st.bad_addr, 1);
  ZT_EQ(st.no_name, 1);
  ZT_EQ(st.blank, 1);
}

ZT_TEST(test_hosts_comment_blank_and_nul_end_text) {
  static const char t[] = "\n   \n# x\n10.0.0.1 a#b c\n10.0.0.2 d\0e f\n";
  struct collected c;
  struct hosts_stats st;
  scan_text(t, sizeof(t) - 1, &c, &st);
  ZT_EQ(c.n, 2);
  ZT_STREQ(c.text[0], "10.0.0.1 a");
  ZT_STREQ(c.text[1], "10.0.0.2 d");
  ZT_EQ(st.blank, 3);
}

ZT_TEST(test_hosts_bad_tokens_skipped_not_the_line) {
  static const char t[] = "10.0.0.1 ok \x01ctl fine\n"
                          "010.0.0.1 octal\n"    /* refused, as inet_pton */
                          "fe80::1%eth0 zoned\n" /* no zones in hosts */
                          "10.0.0.2/24 cidr\n"
                          "1.2.3.4.5 five\n";
  struct collected c;
  struct hosts_stats st;
  scan_text(t, sizeof(t) - 1, &c, &st);
  ZT_EQ(c.n, 1);
  ZT_STREQ(c.text[0], "10.0.0.1 ok fine");
  ZT_EQ(st.bad_name, 1);
  ZT_EQ(st.bad_addr, 4);
}

ZT_TEST(test_hosts_long_line_skipped_whole) {
  static char t[HOSTS_LINE_MAX + 200];
  size_t n = (size_t)snprintf(t, sizeof(t), "10.0.0.1 first\n10.0.0.2 ");
  memset(t + n, 'x', HOSTS_LINE_MAX);
  n += HOSTS_LINE_MAX;
  n += (size_t)snprintf(t + n, sizeof(t) - n, " 10.0.0.3 tail\n10.0.0.4 last");
  struct collected c;
  struct hosts_stats st;
  scan_text(t, n, &c, &st);
  ZT_EQ(c.n, 2);
  ZT_STREQ(c.text[0], "10.0.0.1 first");
  ZT_STREQ(c.text[1], "10.0.0.4 last"); /* a last line without '\n' */
  ZT_EQ(st.too_long, 1);
  ZT_EQ(st.lines, 3);
}

ZT_TEST(test_hosts_name_too_long_and_too_many_names) {
  static char t[HOSTS_LINE_MAX];
  size_t n = (size_t)snprintf(t, sizeof(t), "10.0.0.1 ");
  memset(t + n, 'a', HOSTS_NAME_MAX + 1);
  n += HOSTS_NAME_MAX + 1;
  for (int i = 0; i < HOSTS_NAMES_MAX + 3; i++)
    n += (size_t)snprintf(t + n, sizeof(t) - n, " n%d", i);
  struct hosts_entry e;
  struct hosts_stats st;
  memset(&st, 0, sizeof(st));
  ZT_CHECK(hosts_parse_line(t, n, &e, &st));
  ZT_EQ(e.nnames, HOSTS_NAMES_MAX);
  ZT_STREQ(e.names[0], "n0");
  ZT_EQ(st.bad_name, 1);
  ZT_EQ(st.extra_names, 3);
}

/* The reader gives the same entries whatever pieces the text comes in. */
ZT_TEST(test_hosts_pieces_same_as_whole) {
  struct collected whole, parts;
  struct hosts_stats st;
  scan_text(hosts_text, sizeof(hosts_text) - 1, &whole, &st);
  for (size_t step = 1; step < 9; step++) {
    memset(&parts, 0, sizeof(parts));
    struct hosts_reader r;
    hosts_reader_init(&r, collect_entry, &parts);
    for (size_t at = 0; at < sizeof(hosts_text) - 1; at += step) {
      size_t left = sizeof(hosts_text) - 1 - at;
      hosts_reader_feed(&r, hosts_text + at, left < step ? left : step);
    }
    hosts_reader_end(&r);
    ZT_EQ(parts.n, whole.n);
    for (unsigned i = 0; i < whole.n && i < parts.n; i++)
      ZT_STREQ(parts.text[i], whole.text[i]);
    ZT_EQ(r.st.lines, st.lines);
  }
}

ZT_TEST(test_hosts_find_name_merges_lines_ignoring_case) {
  struct hosts_src src = {.text = hosts_text, .len = sizeof(hosts_text) - 1};
  struct hosts_found f;
  ZT_CHECK(hosts_find_name(&src, "FILES.test.", &f));
  ZT_EQ(f.naddr, 2);
  ZT_STREQ(f.canon, "files.test");
  ZT_EQ(f.naliases, 1);
  ZT_STREQ(f.aliases[0], "files");
  ZT_CHECK(hosts_find_name(&src, "alias2", &f));
  ZT_STREQ(f.canon, "Other.Test");
  ZT_CHECK(!hosts_find_name(&src, "nosuch.test", &f));
  ZT_EQ(f.naddr, 0);
}

ZT_TEST(test_hosts_find_addr_first_line) {
  struct hosts_src src = {.text = hosts_text, .len = sizeof(hosts_text) - 1};
  char name[64];
  struct zn_ip a = zn_ip_from_v4(ZN_IPV4(10, 0, 0, 5));
  ZT_CHECK(hosts_find_addr(&src, &a, name, sizeof(name)));
  ZT_STREQ(name, "files.test");
  ZT_CHECK(!hosts_find_addr(&src, &a, name, 5)); /* does not fit */
  a = zn_ip_from_v4(ZN_IPV4(10, 0, 0, 99));
  ZT_CHECK(!hosts_find_addr(&src, &a, name, sizeof(name)));
}

ZT_TEST(test_hosts_missing_file_is_empty) {
  struct hosts_src src = {.path = "/nonexistent/znet/hosts"};
  struct hosts_found f;
  ZT_CHECK(!hosts_find_name(&src, "localhost", &f));
  ZT_EQ(hosts_scan(&src, collect_entry, NULL, NULL), -ENOENT);
}

/* ---- getaddrinfo: requests ---- */

ZT_TEST(test_gai_bad_requests_glibc_codes) {
  struct lk_env e = env_both();
  struct addrinfo *res = NULL, h;
  ZT_EQ(lk_getaddrinfo(&e, NULL, NULL, NULL, &res), EAI_NONAME);
  ZT_EQ(lk_getaddrinfo(&e, "*", "*", NULL, &res), EAI_NONAME);
  h = hints_of(AF_UNSPEC, 0, 0x8000);
  ZT_EQ(lk_getaddrinfo(&e, "10.0.0.1", NULL, &h, &res), EAI_BADFLAGS);
  h = hints_of(AF_UNSPEC, 0, AI_CANONNAME);
  ZT_EQ(lk_getaddrinfo(&e, NULL, "80", &h, &res), EAI_BADFLAGS);
  h = hints_of(AF_UNIX, 0, 0);
  ZT_EQ(lk_getaddrinfo(&e, "10.0.0.1", NULL, &h, &res), EAI_FAMILY);
  h = hints_of(AF_UNSPEC, SOCK_SEQPACKET, 0);
  ZT_EQ(lk_getaddrinfo(&e, "10.0.0.1", NULL, &h, &res), EAI_SOCKTYPE);
  h = hints_of(AF_UNSPEC, SOCK_STREAM, 0);
  h.ai_protocol = IPPROTO_UDP;
  ZT_EQ(lk_getaddrinfo(&e, "10.0.0.1", NULL, &h, &res), EAI_SOCKTYPE);
  /* Only raw takes protocol 200, and raw takes no service. */
  h = hints_of(AF_UNSPEC, 0, 0);
  h.ai_protocol = 200;
  ZT_EQ(lk_getaddrinfo(&e, "10.0.0.1", "80", &h, &res), EAI_SERVICE);
  ZT_CHECK(res == NULL);
}

ZT_TEST(test_gai_numeric_v4_one_result_per_socktype) {
  struct lk_env e = env_both();
  struct addrinfo *res;
  ZT_EQ(lk_getaddrinfo(&e, "10.1.2.3", "8080", NULL, &res), 0);
  ZT_EQ(count(res), 3); /* stream, datagram, raw: as glibc */
  ZT_EQ(res->ai_socktype, SOCK_STREAM);
  ZT_EQ(res->ai_protocol, IPPROTO_TCP);
  ZT_EQ(res->ai_next->ai_socktype, SOCK_DGRAM);
  ZT_EQ(res->ai_next->ai_protocol, IPPROTO_UDP);
  ZT_EQ(res->ai_next->ai_next->ai_socktype, SOCK_RAW);
  char buf[INET6_ADDRSTRLEN];
  uint16_t port;
  ZT_STREQ(addr_text(res, buf, &port), "10.1.2.3");
  ZT_EQ(port, 8080);
  ZT_EQ(res->ai_addrlen, sizeof(struct sockaddr_in));
  ZT_CHECK(res->ai_canonname == NULL);
  lk_freeaddrinfo(res);
  ZT_EQ(ncalls, 0); /* a number never goes to the DNS */
}

ZT_TEST(test_gai_numeric_inet_aton_forms) {
  struct lk_env e = env_both();
  struct addrinfo *res, h = hints_of(AF_INET, SOCK_STREAM, AI_NUMERICHOST);
  ZT_EQ(lk_getaddrinfo(&e, "127.1", NULL, &h, &res), 0);
  ZT_STREQ(first_addr(res), "127.0.0.1");
  lk_freeaddrinfo(res);
  ZT_EQ(lk_getaddrinfo(&e, "0x0a.0.0.1", NULL, &h, &res), 0);
  ZT_STREQ(first_addr(res), "10.0.0.1");
  lk_freeaddrinfo(res);
  ZT_EQ(lk_getaddrinfo(&e, "10.0.0.1 junk", NULL, &h, &res), EAI_NONAME);
  ZT_EQ(lk_getaddrinfo(&e, "files.test", NULL, &h, &res), EAI_NONAME);
}

ZT_TEST(test_gai_numeric_v6_scope_and_families) {
  struct lk_env e = env_both();
  struct addrinfo *res, h = hints_of(AF_UNSPEC, SOCK_DGRAM, 0);
  ZT_EQ(lk_getaddrinfo(&e, "fe80::1%7", "53", &h, &res), 0);
  ZT_EQ(count(res), 1);
  ZT_EQ(res->ai_family, AF_INET6);
  ZT_EQ(((struct sockaddr_in6 *)res->ai_addr)->sin6_scope_id, 7);
  ZT_EQ(res->ai_addrlen, sizeof(struct sockaddr_in6));
  lk_freeaddrinfo(res);
  ZT_EQ(lk_getaddrinfo(&e, "fe80::1%no-such-if0", NULL, &h, &res), EAI_NONAME);
  h.ai_family = AF_INET;
  ZT_EQ(lk_getaddrinfo(&e, "2001:db8::1", NULL, &h, &res), EAI_ADDRFAMILY);
  ZT_EQ(lk_getaddrinfo(&e, "::ffff:10.0.0.1", NULL, &h, &res), 0);
  ZT_STREQ(first_addr(res), "10.0.0.1"); /* mapped, asked as IPv4 */
  lk_freeaddrinfo(res);
  h.ai_family = AF_INET6;
  ZT_EQ(lk_getaddrinfo(&e, "10.0.0.1", NULL, &h, &res), EAI_ADDRFAMILY);
  h.ai_flags = AI_V4MAPPED;
  ZT_EQ(lk_getaddrinfo(&e, "10.0.0.1", NULL, &h, &res), 0);
  ZT_STREQ(first_addr(res), "::ffff:10.0.0.1");
  lk_freeaddrinfo(res);
}

ZT_TEST(test_gai_null_node_wildcard_or_loopback) {
  struct lk_env e = env_both();
  struct addrinfo *res, h = hints_of(AF_UNSPEC, SOCK_STREAM, AI_PASSIVE);
  ZT_EQ(lk_getaddrinfo(&e, NULL, "80", &h, &res), 0);
  ZT_EQ(count(res), 2);
  ZT_STREQ(first_addr(res), "0.0.0.0"); /* glibc's order */
  ZT_STREQ(first_addr(res->ai_next), "::");
  lk_freeaddrinfo(res);
  h.ai_flags = 0;
  ZT_EQ(lk_getaddrinfo(&e, NULL, "80", &h, &res), 0);
  ZT_STREQ(first_addr(res), "::1");
  ZT_STREQ(first_addr(res->ai_next), "127.0.0.1");
  lk_freeaddrinfo(res);
  struct lk_env e4 = env_v4only();
  ZT_EQ(lk_getaddrinfo(&e4, NULL, "80", &h, &res), 0);
  ZT_STREQ(first_addr(res), "127.0.0.1"); /* ::1 unusable: last */
  lk_freeaddrinfo(res);
}

/* ---- services ---- */

ZT_TEST(test_gai_services_numeric_and_named) {
  struct lk_env e = env_both();
  struct addrinfo *res, h = hints_of(AF_INET, 0, 0);
  ZT_EQ(lk_getaddrinfo(&e, "10.0.0.1", "http", &h, &res), 0);
  ZT_EQ(count(res), 1); /* http is known for tcp only */
  ZT_EQ(res->ai_socktype, SOCK_STREAM);
  char buf[INET6_ADDRSTRLEN];
  uint16_t port;
  addr_text(res, buf, &port);
  ZT_EQ(port, 80);
  lk_freeaddrinfo(res);
  ZT_EQ(lk_getaddrinfo(&e, "10.0.0.1", "domain", &h, &res), 0);
  ZT_EQ(count(res), 2); /* tcp and udp, no raw */
  lk_freeaddrinfo(res);
  h.ai_socktype = SOCK_DGRAM;
  ZT_EQ(lk_getaddrinfo(&e, "10.0.0.1", "http", &h, &res), EAI_SERVICE);
  ZT_EQ(lk_getaddrinfo(&e, "10.0.0.1", "nosuch", &h, &res), EAI_SERVICE);
  ZT_EQ(lk_getaddrinfo(&e, "10.0.0.1", "65536", &h, &res), EAI_SERVICE);
  h.ai_flags = AI_NUMERICSERV;
  ZT_EQ(lk_getaddrinfo(&e, "10.0.0.1", "syslog", &h, &res), EAI_NONAME);
  ZT_EQ(lk_getaddrinfo(&e, "10.0.0.1", "514", &h, &res), 0);
  lk_freeaddrinfo(res);
  h = hints_of(AF_INET, SOCK_RAW, 0);
  ZT_EQ(lk_getaddrinfo(&e, "10.0.0.1", "80", &h, &res), EAI_SERVICE);
  ZT_EQ(lk_getaddrinfo(&e, "10.0.0.1", "", &h, &res), 0); /* "": none */
  ZT_EQ(res->ai_socktype, SOCK_RAW);
  lk_freeaddrinfo(res);
}

ZT_TEST(test_gai_protocol_hint_picks_type) {
  struct lk_env e = env_both();
  struct addrinfo *res, h = hints_of(AF_INET, 0, 0);
  h.ai_protocol = IPPROTO_UDP;
  ZT_EQ(lk_getaddrinfo(&e, "10.0.0.1", "53", &h, &res), 0);
  ZT_EQ(count(res), 1);
  ZT_EQ(res->ai_socktype, SOCK_DGRAM);
  ZT_EQ(res->ai_protocol, IPPROTO_UDP);
  lk_freeaddrinfo(res);
  h = hints_of(AF_INET, SOCK_RAW, 0);
  h.ai_protocol = IPPROTO_ICMP;
  ZT_EQ(lk_getaddrinfo(&e, "10.0.0.1", NULL, &h, &res), 0);
  ZT_EQ(res->ai_protocol, IPPROTO_ICMP); /* raw takes any protocol */
  lk_freeaddrinfo(res);
}

/* ---- names: hosts table, localhost, DNS ---- */

ZT_TEST(test_gai_hosts_table_first_with_canonname) {
  struct lk_env e = env_both();
  struct addrinfo *res, h = hints_of(AF_UNSPEC, SOCK_STREAM, AI_CANONNAME);
  ZT_EQ(lk_getaddrinfo(&e, "files", "80", &h, &res), 0);
  ZT_EQ(count(res), 1); /* the alias is on one line only */
  ZT_STREQ(res->ai_canonname, "files.test");
  lk_freeaddrinfo(res);
  ZT_EQ(lk_getaddrinfo(&e, "files.test", "80", &h, &res), 0);
  ZT_REQUIRE(count(res) == 2);
  ZT_CHECK(res->ai_next->ai_canonname == NULL);
  ZT_STREQ(first_addr(res), "2001:db8::5"); /* IPv6 first: reachable */
  ZT_STREQ(first_addr(res->ai_next), "10.0.0.5");
  lk_freeaddrinfo(res);
  ZT_EQ(ncalls, 0);
}

ZT_TEST(test_gai_hosts_family_missing_asks_dns) {
  struct lk_env e = env_both();
  struct addrinfo *res, h = hints_of(AF_INET6, SOCK_STREAM, 0);
  ZT_EQ(lk_getaddrinfo(&e, "v4only.test", NULL, &h, &res), EAI_NONAME);
  ZT_EQ(ncalls, 3); /* as it is, then with each search domain */
  ZT_STREQ(calls[0], "v4only.test");
  ZT_EQ(last_want, LK_WANT_AAAA);
  h.ai_flags = AI_V4MAPPED;
  ZT_EQ(lk_getaddrinfo(&e, "v4only.test", NULL, &h, &res), 0);
  ZT_STREQ(first_addr(res), "::ffff:10.0.0.9");
  lk_freeaddrinfo(res);
}

ZT_TEST(test_gai_localhost_always_loopback) {
  struct lk_env e = env_both();
  e.hosts.text = NULL; /* no table at all */
  struct addrinfo *res, h = hints_of(AF_UNSPEC, SOCK_STREAM, AI_CANONNAME);
  ZT_EQ(lk_getaddrinfo(&e, "localhost", "80", &h, &res), 0);
  ZT_EQ(count(res), 2);
  ZT_STREQ(first_addr(res), "::1");
  ZT_STREQ(first_addr(res->ai_next), "127.0.0.1");
  ZT_STREQ(res->ai_canonname, "localhost");
  lk_freeaddrinfo(res);
  ZT_EQ(lk_getaddrinfo(&e, "db.LOCALHOST.", "80", &h, &res), 0);
  lk_freeaddrinfo(res);
  ZT_EQ(ncalls, 0); /* never the DNS (RFC 6761) */
}

ZT_TEST(test_gai_dns_both_families_ordered) {
  struct lk_env e = env_both();
  struct addrinfo *res, h = hints_of(AF_UNSPEC, SOCK_STREAM, AI_CANONNAME);
  ZT_EQ(lk_getaddrinfo(&e, "both.test", "443", &h, &res), 0);
  ZT_EQ(last_want, LK_WANT_A | LK_WANT_AAAA);
  ZT_EQ(count(res), 2);
  ZT_STREQ(first_addr(res), "2001:db8::10");
  ZT_STREQ(res->ai_canonname, "real.both.test");
  lk_freeaddrinfo(res);
  struct lk_env e4 = env_v4only();
  ZT_EQ(lk_getaddrinfo(&e4, "both.test", "443", &h, &res), 0);
  ZT_STREQ(first_addr(res), "192.0.2.10"); /* no IPv6 source: last */
  lk_freeaddrinfo(res);
}

ZT_TEST(test_gai_addrconfig_narrows_families) {
  struct lk_env e4 = env_v4only();
  struct addrinfo *res, h = hints_of(AF_UNSPEC, SOCK_STREAM, AI_ADDRCONFIG);
  ZT_EQ(lk_getaddrinfo(&e4, "both.test", NULL, &h, &res), 0);
  ZT_EQ(last_want, LK_WANT_A);
  ZT_EQ(count(res), 1);
  lk_freeaddrinfo(res);
  h.ai_family = AF_INET6;
  ZT_EQ(lk_getaddrinfo(&e4, "::1", NULL, &h, &res), EAI_NONAME);
  /* Link-local only counts as no IPv6. */
  struct lk_env ll = env_v4only();
  ll.v6_on = true;
  ZT_EQ(lk_getaddrinfo(&ll, "2001:db8::1", NULL, &h, &res), EAI_NONAME);
  /* Neither family: glibc does not narrow. */
  struct lk_env none = env_v4only();
  none.has_v4 = false;
  h.ai_family = AF_UNSPEC;
  ZT_EQ(lk_getaddrinfo(&none, "both.test", NULL, &h, &res), 0);
  ZT_EQ(count(res), 2);
  lk_freeaddrinfo(res);
}

ZT_TEST(test_gai_v4mapped_and_all) {
  struct lk_env e = env_both();
  struct addrinfo *res, h = hints_of(AF_INET6, SOCK_STREAM, AI_V4MAPPED);
  ZT_EQ(lk_getaddrinfo(&e, "v4.test", NULL, &h, &res), 0);
  ZT_STREQ(first_addr(res), "::ffff:192.0.2.20");
  lk_freeaddrinfo(res);
  ZT_EQ(lk_getaddrinfo(&e, "both.test", NULL, &h, &res), 0);
  ZT_EQ(count(res), 1); /* IPv6 found: no mapped ones */
  lk_freeaddrinfo(res);
  h.ai_flags = AI_V4MAPPED | AI_ALL;
  ZT_EQ(lk_getaddrinfo(&e, "both.test", NULL, &h, &res), 0);
  ZT_EQ(count(res), 2);
  ZT_STREQ(first_addr(res), "2001:db8::10");
  ZT_STREQ(first_addr(res->ai_next), "::ffff:192.0.2.10");
  lk_freeaddrinfo(res);
  h.ai_flags = AI_ALL; /* without AI_V4MAPPED: ignored */
  ZT_EQ(lk_getaddrinfo(&e, "v4.test", NULL, &h, &res), EAI_NODATA);
}

ZT_TEST(test_gai_search_domains_ndots_1) {
  struct lk_env e = env_both();
  struct addrinfo *res, h = hints_of(AF_INET, SOCK_STREAM, 0);
  /* No dot: the domains first, then the name alone. */
  ZT_EQ(lk_getaddrinfo(&e, "host", NULL, &h, &res), 0);
  ZT_STREQ(first_addr(res), "192.0.2.40");
  ZT_EQ(ncalls, 1);
  ZT_STREQ(calls[0], "host.corp.test");
  lk_freeaddrinfo(res);
  ncalls = 0;
  ZT_EQ(lk_getaddrinfo(&e, "nosuch", NULL, &h, &res), EAI_NONAME);
  ZT_EQ(ncalls, 3);
  ZT_STREQ(calls[1], "nosuch.lab.test");
  ZT_STREQ(calls[2], "nosuch");
  /* A dot: as it is first, then the domains. */
  ncalls = 0;
  ZT_EQ(lk_getaddrinfo(&e, "dotted.name.test", NULL, &h, &res), 0);
  ZT_EQ(ncalls, 1);
  lk_freeaddrinfo(res);
  ncalls = 0;
  ZT_EQ(lk_getaddrinfo(&e, "no.such", NULL, &h, &res), EAI_NONAME);
  ZT_EQ(ncalls, 3);
  ZT_STREQ(calls[0], "no.such");
  /* A final dot: as it is only. */
  ncalls = 0;
  ZT_EQ(lk_getaddrinfo(&e, "no.such.", NULL, &h, &res), EAI_NONAME);
  ZT_EQ(ncalls, 1);
  /* A temporary failure stops the search. */
  ncalls = 0;
  ZT_EQ(lk_getaddrinfo(&e, "slow.test", NULL, &h, &res), EAI_AGAIN);
  ZT_EQ(ncalls, 1);
}

ZT_TEST(test_gai_no_dns_is_noname) {
  struct lk_env e = env_both();
  e.dns = NULL;
  struct addrinfo *res;
  ZT_EQ(lk_getaddrinfo(&e, "both.test", "80", NULL, &res), EAI_NONAME);
  ZT_EQ(lk_getaddrinfo(&e, "", "80", NULL, &res), EAI_NONAME);
}

ZT_TEST(test_gai_strerror_glibc_texts) {
  ZT_STREQ(lk_strerror(EAI_NONAME), "Name or service not known");
  ZT_STREQ(lk_strerror(EAI_AGAIN), "Temporary failure in name resolution");
  ZT_STREQ(lk_strerror(EAI_NODATA), "No address associated with hostname");
  ZT_STREQ(lk_strerror(12345), "Unknown error");
}

/* ---- getnameinfo ---- */

static struct sockaddr_in sin4(const char *a, uint16_t port) {
  struct sockaddr_in s;
  memset(&s, 0, sizeof(s));
  s.sin_family = AF_INET;
  s.sin_port = htons(port);
  inet_pton(AF_INET, a, &s.sin_addr);
  return s;
}

ZT_TEST(test_gni_hosts_numeric_and_namereqd) {
  struct lk_env e = env_both();
  struct sockaddr_in s = sin4("10.0.0.6", 80);
  char host[64], serv[32];
  ZT_EQ(lk_getnameinfo(&e, (struct sockaddr *)&s, sizeof(s), host, sizeof(host),
                       serv, sizeof(serv), 0),
        0);
  ZT_STREQ(host, "Other.Test");
  ZT_STREQ(serv, "http");
  ZT_EQ(lk_getnameinfo(&e, (struct sockaddr *)&s, sizeof(s), host, sizeof(host),
                       serv, sizeof(serv), NI_NUMERICHOST | NI_NUMERICSERV),
        0);
  ZT_STREQ(host, "10.0.0.6");
  ZT_STREQ(serv, "80");
  s = sin4("192.0.2.99", 514);
  ZT_EQ(lk_getnameinfo(&e, (struct sockaddr *)&s, sizeof(s), host, sizeof(host),
                       serv, sizeof(serv), NI_DGRAM),
        0);
  ZT_STREQ(host, "192.0.2.99"); /* no PTR: numeric */
  ZT_STREQ(serv, "syslog");
  ZT_EQ(lk_getnameinfo(&e, (struct sockaddr *)&s, sizeof(s), host, sizeof(host),
                       NULL, 0, NI_NAMEREQD),
        EAI_NONAME);
  s = sin4("127.0.0.1", 0);
  e.hosts.text = NULL;
  ZT_EQ(lk_getnameinfo(&e, (struct sockaddr *)&s, sizeof(s), host, sizeof(host),
                       NULL, 0, NI_NAMEREQD),
        0);
  ZT_STREQ(host, "localhost");
}

ZT_TEST(test_gni_errors_and_overflow) {
  struct lk_env e = env_both();
  struct sockaddr_in s = sin4("10.0.0.6", 80);
  char host[64], serv[4];
  ZT_EQ(lk_getnameinfo(&e, (struct sockaddr *)&s, sizeof(s) - 1, host,
                       sizeof(host), NULL, 0, 0),
        EAI_FAMILY);
  ZT_EQ(lk_getnameinfo(&e, NULL, 0, host, sizeof(host), NULL, 0, 0),
        EAI_FAMILY);
  ZT_EQ(lk_getnameinfo(&e, (struct sockaddr *)&s, sizeof(s), host, sizeof(host),
                       NULL, 0, 0x1000),
        EAI_BADFLAGS);
  ZT_EQ(lk_getnameinfo(&e, (struct sockaddr *)&s, sizeof(s), NULL, 0, NULL, 0,
                       NI_NAMEREQD),
        EAI_NONAME);
  ZT_EQ(
      lk_getnameinfo(&e, (struct sockaddr *)&s, sizeof(s), host, 5, NULL, 0, 0),
      EAI_OVERFLOW);
  ZT_EQ(lk_getnameinfo(&e, (struct sockaddr *)&s, sizeof(s), NULL, 0, serv,
                       sizeof(serv), 0),
        EAI_OVERFLOW); /* "http" does not fit in 4, as glibc */
  ZT_EQ(lk_getnameinfo(&e, (struct sockaddr *)&s, sizeof(s), NULL, 0, serv,
                       sizeof(serv), NI_NUMERICSERV),
        0);
  ZT_STREQ(serv, "80");
  s.sin_port = htons(65535);
  ZT_EQ(lk_getnameinfo(&e, (struct sockaddr *)&s, sizeof(s), NULL, 0, serv,
                       sizeof(serv), 0),
        EAI_OVERFLOW);
}

ZT_TEST(test_gni_v6_scope_nofqdn) {
  struct lk_env e = env_both();
  struct sockaddr_in6 s;
  memset(&s, 0, sizeof(s));
  s.sin6_family = AF_INET6;
  inet_pton(AF_INET6, "fe80::1", &s.sin6_addr);
  s.sin6_scope_id = 3;
  char host[64];
  ZT_EQ(lk_getnameinfo(&e, (struct sockaddr *)&s, sizeof(s), host, sizeof(host),
                       NULL, 0, NI_NUMERICHOST),
        0);
  ZT_STREQ(host, "fe80::1%3");
  static const char t[] = "2001:db8::7 box.corp.test box\n";
  e.hosts.text = t;
  e.hosts.len = sizeof(t) - 1;
  inet_pton(AF_INET6, "2001:db8::7", &s.sin6_addr);
  ZT_EQ(lk_getnameinfo(&e, (struct sockaddr *)&s, sizeof(s), host, sizeof(host),
                       NULL, 0, NI_NOFQDN),
        0);
  ZT_STREQ(host, "box");
  ZT_EQ(lk_getnameinfo(&e, (struct sockaddr *)&s, sizeof(s), host, sizeof(host),
                       NULL, 0, 0),
        0);
  ZT_STREQ(host, "box.corp.test");
}

/* ---- gethostbyname2_r ---- */

ZT_TEST(test_ghbn_hosts_numeric_and_errors) {
  struct lk_env e = env_both();
  struct hostent he, *r;
  char buf[1024];
  int herr;
  ZT_EQ(lk_gethostbyname2_r(&e, "other", AF_INET, &he, buf, sizeof(buf), &r,
                            &herr),
        0);
  ZT_REQUIRE(r == &he);
  ZT_STREQ(he.h_name, "Other.Test");
  ZT_STREQ(he.h_aliases[0], "other");
  ZT_STREQ(he.h_aliases[1], "alias2");
  ZT_CHECK(he.h_aliases[2] == NULL);
  ZT_EQ(he.h_length, 4);
  ZT_MEMEQ(he.h_addr_list[0], "\x0a\x00\x00\x06", 4);
  ZT_CHECK(he.h_addr_list[1] == NULL);
  ZT_EQ(lk_gethostbyname2_r(&e, "10.1.2.3", AF_INET, &he, buf, sizeof(buf), &r,
                            &herr),
        0);
  ZT_STREQ(he.h_name, "10.1.2.3");
  ZT_EQ(lk_gethostbyname2_r(&e, "both.test", AF_INET6, &he, buf, sizeof(buf),
                            &r, &herr),
        0);
  ZT_EQ(he.h_length, 16);
  ZT_STREQ(he.h_name, "real.both.test");
  ZT_STREQ(he.h_aliases[0], "both.test");
  ZT_EQ(lk_gethostbyname2_r(&e, "nosuch.test", AF_INET, &he, buf, sizeof(buf),
                            &r, &herr),
        0);
  ZT_CHECK(r == NULL);
  ZT_EQ(herr, HOST_NOT_FOUND);
  ZT_EQ(lk_gethostbyname2_r(&e, "slow.test", AF_INET, &he, buf, sizeof(buf), &r,
                            &herr),
        EAGAIN);
  ZT_EQ(herr, TRY_AGAIN);
  ZT_EQ(lk_gethostbyname2_r(&e, "other", AF_INET, &he, buf, 16, &r, &herr),
        ERANGE);
  ZT_EQ(herr, NETDB_INTERNAL);
  ZT_EQ(lk_gethostbyname2_r(&e, "other", AF_UNIX, &he, buf, sizeof(buf), &r,
                            &herr),
        EAFNOSUPPORT);
}

int main(void) {
  ZT_RUN(test_hosts_lines_address_canonical_aliases);
  ZT_RUN(test_hosts_comment_blank_and_nul_end_text);
  ZT_RUN(test_hosts_bad_tokens_skipped_not_the_line);
  ZT_RUN(test_hosts_long_line_skipped_whole);
  ZT_RUN(test_hosts_name_too_long_and_too_many_names);
  ZT_RUN(test_hosts_pieces_same_as_whole);
  ZT_RUN(test_hosts_find_name_merges_lines_ignoring_case);
  ZT_RUN(test_hosts_find_addr_first_line);
  ZT_RUN(test_hosts_missing_file_is_empty);
  ZT_RUN(test_gai_bad_requests_glibc_codes);
  ZT_RUN(test_gai_numeric_v4_one_result_per_socktype);
  ZT_RUN(test_gai_numeric_inet_aton_forms);
  ZT_RUN(test_gai_numeric_v6_scope_and_families);
  ZT_RUN(test_gai_null_node_wildcard_or_loopback);
  ZT_RUN(test_gai_services_numeric_and_named);
  ZT_RUN(test_gai_protocol_hint_picks_type);
  ZT_RUN(test_gai_hosts_table_first_with_canonname);
  ZT_RUN(test_gai_hosts_family_missing_asks_dns);
  ZT_RUN(test_gai_localhost_always_loopback);
  ZT_RUN(test_gai_dns_both_families_ordered);
  ZT_RUN(test_gai_addrconfig_narrows_families);
  ZT_RUN(test_gai_v4mapped_and_all);
  ZT_RUN(test_gai_search_domains_ndots_1);
  ZT_RUN(test_gai_no_dns_is_noname);
  ZT_RUN(test_gai_strerror_glibc_texts);
  ZT_RUN(test_gni_hosts_numeric_and_namereqd);
  ZT_RUN(test_gni_errors_and_overflow);
  ZT_RUN(test_gni_v6_scope_nofqdn);
  ZT_RUN(test_ghbn_hosts_numeric_and_errors);
  return zt_done();
}
