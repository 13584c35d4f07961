/* getaddrinfo, getnameinfo and gethostbyname2_r over struct lk_env: see
 * lookup.h.
 *
 * The steps and their order are glibc's (getaddrinfo.c, gaih_inet), so
 * the same request fails with the same EAI_* code: the flags, the
 * family, AI_ADDRCONFIG's narrowing, the socket type and protocol
 * against the table of those we serve, the service, then the node:
 * NULL (wildcard or loopback), a numeric address (inet_aton's forms for
 * IPv4, as glibc; IPv6 with an optional %scope), or a name: the hosts
 * table first ("files dns"), localhost (always 127.0.0.1 and ::1, never
 * asked of the DNS: RFC 6761 §6.3), then the DNS through env->dns with
 * the search domains applied as glibc's resolver does with ndots:1.
 * The addresses are put in the order to try them (lk_order) and each
 * gives one result per socket type.  Each result is one malloc block
 * (the node and its address) and the canonical name another, as glibc
 * lays them out, so either freeaddrinfo frees either list.
 *
 * Nothing here holds a lock or touches the stack: names.c's env does,
 * inside its functions. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "lookup.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "znet/err.h"

/* AI_IDN_ALLOW_UNASSIGNED and AI_IDN_USE_STD3_ASCII_RULES (deprecated,
 * their macros warn), which glibc still accepts. */
#define LK_AI_OLD_IDN 0x0300
#define LK_AI_FLAGS                                                            \
  (AI_PASSIVE | AI_CANONNAME | AI_NUMERICHOST | AI_ADDRCONFIG | AI_V4MAPPED |  \
   AI_NUMERICSERV | AI_ALL | AI_IDN | AI_CANONIDN | LK_AI_OLD_IDN)
/* NI_IDN_ALLOW_UNASSIGNED and NI_IDN_USE_STD3_ASCII_RULES, likewise. */
#define LK_NI_OLD_IDN 0x00c0
#define LK_NI_FLAGS                                                            \
  (NI_NUMERICHOST | NI_NUMERICSERV | NI_NOFQDN | NI_NAMEREQD | NI_DGRAM |      \
   NI_IDN | LK_NI_OLD_IDN)

/* ---- gai_strerror ---- */

#define LK_EAI_MAP(X)                                                          \
  X(0, "Success")                                                              \
  X(EAI_BADFLAGS, "Bad value for ai_flags")                                    \
  X(EAI_NONAME, "Name or service not known")                                   \
  X(EAI_AGAIN, "Temporary failure in name resolution")                         \
  X(EAI_FAIL, "Non-recoverable failure in name resolution")                    \
  X(EAI_NODATA, "No address associated with hostname")                         \
  X(EAI_FAMILY, "ai_family not supported")                                     \
  X(EAI_SOCKTYPE, "ai_socktype not supported")                                 \
  X(EAI_SERVICE, "Servname not supported for ai_socktype")                     \
  X(EAI_ADDRFAMILY, "Address family for hostname not supported")               \
  X(EAI_MEMORY, "Memory allocation failure")                                   \
  X(EAI_SYSTEM, "System error")                                                \
  X(EAI_OVERFLOW, "Argument buffer overflow")                                  \
  X(EAI_INPROGRESS, "Processing request in progress")                          \
  X(EAI_CANCELED, "Request canceled")                                          \
  X(EAI_NOTCANCELED, "Request not canceled")                                   \
  X(EAI_ALLDONE, "All requests done")                                          \
  X(EAI_INTR, "Interrupted by a signal")                                       \
  X(EAI_IDN_ENCODE, "Parameter string not correctly encoded")

const char *lk_strerror(int code) {
#define LK_EAI_CASE(c, text)                                                   \
  case c:                                                                      \
    return text;
  switch (code) {
    LK_EAI_MAP(LK_EAI_CASE)
  default:
    return "Unknown error";
  }
#undef LK_EAI_CASE
}

/* ---- names ---- */

/* Whether s ends with "." suffix, ignoring ASCII case and a final dot. */
static bool ends_with_domain(const char *s, const char *suffix) {
  size_t ls = strlen(s), lf = strlen(suffix);
  if (ls > 1 && s[ls - 1] == '.')
    ls--;
  if (lf > 1 && suffix[lf - 1] == '.')
    lf--;
  if (lf == 0 || ls <= lf + 1 || s[ls - lf - 1] != '.')
    return false;
  return hosts_name_eq(s + ls - lf, suffix); /* final dots ignored */
}

/* "localhost" and the names below it (RFC 6761 §6.3). */
static bool is_localhost(const char *name) {
  return hosts_name_eq(name, "localhost") ||
         ends_with_domain(name, "localhost");
}

/* Copy a NUL-terminated name into LK_NAME_MAX bytes; false (dst "") if
 * it does not fit. */
static bool set_name(char *dst, const char *src) {
  size_t n = strlen(src);
  if (n >= LK_NAME_MAX) {
    dst[0] = '\0';
    return false;
  }
  memcpy(dst, src, n + 1);
  return true;
}

/* ---- numeric addresses ---- */

/* IPv4 as glibc's getaddrinfo reads it (inet_aton's forms: "127.1",
 * "0x7f.0.0.1", "017.0.0.1" in octal), nothing after it. */
static bool numeric_v4(const char *s, struct zn_ip *out) {
  if (*s == '\0')
    return false;
  for (const char *p = s; *p; p++) {
    bool hex = (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f') ||
               (*p >= 'A' && *p <= 'F');
    if (!hex && *p != '.' && *p != 'x' && *p != 'X')
      return false;
  }
  struct in_addr in;
  if (inet_aton(s, &in) == 0)
    return false;
  *out = zn_ip_from_v4(ntohl(in.s_addr));
  return true;
}

/* A scope: a number, or an interface name (the kernel's: znet has one
 * interface and ignores the scope). */
static bool parse_scope(const char *s, uint32_t *scope) {
  if (*s == '\0')
    return false;
  char *end;
  errno = 0;
  unsigned long v = strtoul(s, &end, 10);
  if (*s >= '0' && *s <= '9' && *end == '\0' && errno == 0 && v <= UINT32_MAX) {
    *scope = (uint32_t)v;
    return true;
  }
  unsigned idx = if_nametoindex(s);
  *scope = idx;
  return idx != 0;
}

enum numeric { NUM_NO = 0, NUM_YES, NUM_BAD_SCOPE };

/* IPv6 text with an optional "%scope". */
static enum numeric numeric_v6(const char *s, struct zn_ip *out,
                               uint32_t *scope) {
  char text[ZN_IPV6_STRLEN];
  const char *pct = strchr(s, '%');
  size_t n = pct ? (size_t)(pct - s) : strlen(s);
  if (n == 0 || n >= sizeof(text) || !memchr(s, ':', n))
    return NUM_NO;
  memcpy(text, s, n);
  text[n] = '\0';
  uint8_t b[16];
  if (zn_ipv6_parse(text, b) != ZN_OK)
    return NUM_NO;
  *out = zn_ip_from_v6(b);
  *scope = 0;
  if (pct && !parse_scope(pct + 1, scope))
    return NUM_BAD_SCOPE;
  return NUM_YES;
}

static struct zn_ip map_v4(const struct zn_ip *v4) {
  uint8_t b[16] = {[10] = 0xff, [11] = 0xff};
  memcpy(b + 12, v4->bytes, 4);
  return zn_ip_from_v6(b);
}

/* ---- order (RFC 6724 §6, simply) ---- */

static bool is_v6(const struct zn_ip *a) {
  return a->family == ZN_AF_INET6 && !zn_ip_is_v4mapped(a);
}

static bool v6_local(const struct zn_ip *a) {
  static const uint8_t loop[16] = {[15] = 1};
  bool link = a->bytes[0] == 0xfe && (a->bytes[1] & 0xc0) == 0x80;
  return link || memcmp(a->bytes, loop, 16) == 0 || zn_ip_is_unspecified(a);
}

/* Rule 1: whether the stack has a source for a (its own addresses and
 * loopback are always reachable). */
static bool usable(const struct lk_env *env, const struct zn_ip *a) {
  if (is_v6(a))
    return v6_local(a) ? env->v6_on : env->has_v6;
  struct zn_ip v4 = zn_ip_unmap(a);
  return v4.bytes[0] == 127 || zn_ip_is_unspecified(&v4) || env->has_v4;
}

/* Rules 1 and 6 (precedence: ::1 and ::/0 above IPv4). */
static int rank(const struct lk_env *env, const struct zn_ip *a) {
  return (usable(env, a) ? 0 : 2) + (is_v6(a) ? 0 : 1);
}

void lk_order(const struct lk_env *env, struct zn_ip *addrs, uint32_t n) {
  for (uint32_t i = 1; i < n; i++) {
    struct zn_ip a = addrs[i];
    int r = rank(env, &a);
    uint32_t j = i;
    while (j > 0 && rank(env, &addrs[j - 1]) > r) {
      addrs[j] = addrs[j - 1];
      j--;
    }
    addrs[j] = a;
  }
}

/* ---- sets of addresses ---- */

static void found_clear(struct lk_found *f) {
  f->naddr = 0;
  f->canon[0] = '\0';
  f->naliases = 0;
}

static void found_add(struct lk_found *f, const struct zn_ip *a) {
  for (uint32_t i = 0; i < f->naddr; i++)
    if (zn_ip_eq(&f->addrs[i], a))
      return;
  if (f->naddr < LK_ADDRS_MAX)
    f->addrs[f->naddr++] = *a;
}

static bool wanted(const struct zn_ip *a, unsigned want) {
  return a->family == ZN_AF_INET ? (want & LK_WANT_A) != 0
                                 : (want & LK_WANT_AAAA) != 0;
}

/* Keep the addresses of the families in want. */
static void found_filter(struct lk_found *f, unsigned want) {
  uint32_t k = 0;
  for (uint32_t i = 0; i < f->naddr; i++)
    if (wanted(&f->addrs[i], want))
      f->addrs[k++] = f->addrs[i];
  f->naddr = k;
}

static void found_from_hosts(struct lk_found *f, const struct hosts_found *h) {
  for (uint32_t i = 0; i < h->naddr; i++)
    found_add(f, &h->addrs[i]);
  if (f->canon[0] == '\0' && h->canon[0] != '\0') {
    set_name(f->canon, h->canon);
    for (uint32_t i = 0; i < h->naliases && f->naliases < LK_ALIASES_MAX; i++)
      set_name(f->aliases[f->naliases++], h->aliases[i]);
  }
}

/* ---- a name's addresses ---- */

/* The hosts table's answer and the loopback addresses, never the DNS's. */
static int lookup_localhost(const struct lk_env *env, const char *name,
                            unsigned want, struct lk_found *out) {
  static const uint8_t loop6[16] = {[15] = 1};
  struct hosts_found h;
  hosts_find_name(&env->hosts, name, &h);
  found_from_hosts(out, &h);
  struct zn_ip v6 = zn_ip_from_v6(loop6);
  struct zn_ip v4 = zn_ip_from_v4(ZN_IPV4(127, 0, 0, 1));
  found_add(out, &v6);
  found_add(out, &v4);
  found_filter(out, want);
  if (out->canon[0] == '\0')
    set_name(out->canon, "localhost");
  return out->naddr ? 0 : EAI_NODATA;
}

/* A candidate failed in a way that lets the next one be tried (glibc's
 * res_nsearch goes on after HOST_NOT_FOUND and NO_DATA). */
static bool next_candidate(int rc) {
  return rc == EAI_NONAME || rc == EAI_NODATA;
}

static unsigned dots(const char *name, bool *absolute) {
  size_t n = strlen(name);
  *absolute = n > 0 && name[n - 1] == '.';
  unsigned d = 0;
  for (size_t i = 0; i + (*absolute ? 1 : 0) < n; i++)
    d += name[i] == '.';
  return d;
}

static int ask_dns(const struct lk_env *env, const char *name, unsigned want,
                   struct lk_found *out) {
  found_clear(out);
  if (!env->dns)
    return EAI_NONAME;
  return env->dns(env->ctx, name, want, out);
}

/* name.domain for each search domain, in turn. */
static int search_domains(const struct lk_env *env, const char *name,
                          unsigned want, struct lk_found *out) {
  int rc = EAI_NONAME;
  char dom[LK_NAME_MAX], full[2 * LK_NAME_MAX];
  for (uint32_t i = 0; env->search && i < LK_SEARCH_MAX; i++) {
    if (!env->search(env->ctx, i, dom, sizeof(dom)))
      break;
    if (dom[0] == '\0')
      continue;
    if ((size_t)snprintf(full, sizeof(full), "%s.%s", name, dom) >=
        sizeof(full))
      continue;
    rc = ask_dns(env, full, want, out);
    if (!next_candidate(rc))
      return rc;
  }
  return rc;
}

/* glibc's res_nsearch with ndots:1: a name with a dot (or a final one)
 * is asked as it is first, then, if it does not exist and has no final
 * dot, with each search domain; a name without one with the search
 * domains first, then as it is.  The name as it is gives the error. */
static int dns_search(const struct lk_env *env, const char *name, unsigned want,
                      struct lk_found *out) {
  bool absolute;
  unsigned d = dots(name, &absolute);
  if (d >= 1 || absolute) {
    int rc = ask_dns(env, name, want, out);
    if (rc == 0 || absolute || !next_candidate(rc))
      return rc;
    int rs = search_domains(env, name, want, out);
    return rs == 0 || !next_candidate(rs) ? rs : rc;
  }
  int rs = search_domains(env, name, want, out);
  if (rs == 0 || !next_candidate(rs))
    return rs;
  return ask_dns(env, name, want, out);
}

int lk_lookup_name(const struct lk_env *env, const char *name, unsigned want,
                   struct lk_found *out) {
  found_clear(out);
  if (name[0] == '\0')
    return EAI_NONAME;
  if (is_localhost(name))
    return lookup_localhost(env, name, want, out);
  struct hosts_found h;
  if (hosts_find_name(&env->hosts, name, &h)) {
    found_from_hosts(out, &h);
    found_filter(out, want);
    if (out->naddr > 0)
      return 0;
    found_clear(out);
  }
  int rc = dns_search(env, name, want, out);
  if (rc == 0)
    found_filter(out, want);
  return rc == 0 && out->naddr == 0 ? EAI_NODATA : rc;
}

/* ---- socket types and services ---- */

/* What glibc's gaih_inet_typeproto lists, less what znet does not
 * serve (DCCP, UDP-Lite, SCTP). */
struct lk_proto {
  int socktype;
  int protocol;
  bool any_protocol; /* the hints' protocol is taken as it is */
  bool no_service;   /* a service makes no sense (raw) */
  const char *name;  /* for getservbyname */
};

static const struct lk_proto protos[] = {
    {SOCK_STREAM, IPPROTO_TCP, false, false, "tcp"},
    {SOCK_DGRAM, IPPROTO_UDP, false, false, "udp"},
    {SOCK_RAW, 0, true, true, "raw"},
};
#define LK_NPROTOS (sizeof(protos) / sizeof(protos[0]))

/* One result per address of each. */
struct lk_tuple {
  int socktype;
  int protocol;
  uint16_t port; /* host order */
};

struct lk_req {
  const char *node;    /* NULL: none (or "*") */
  const char *service; /* NULL: none ("", "*") */
  int flags, family, socktype, protocol;
  const struct lk_proto *proto; /* the hints' socket type, NULL: any */
};

static bool proto_matches(const struct lk_proto *p, const struct lk_req *q) {
  return (q->socktype == 0 || q->socktype == p->socktype) &&
         (q->protocol == 0 || p->any_protocol || q->protocol == p->protocol);
}

/* The hints' socket type and protocol against the table. */
static int choose_proto(struct lk_req *q) {
  q->proto = NULL;
  if (q->socktype == 0 && q->protocol == 0)
    return 0;
  for (size_t i = 0; i < LK_NPROTOS; i++)
    if (proto_matches(&protos[i], q)) {
      q->proto = &protos[i];
      return 0;
    }
  return q->socktype ? EAI_SOCKTYPE : EAI_SERVICE;
}

static int libc_servbyname(const char *name, const char *proto) {
  struct servent se, *r = NULL;
  char buf[1024];
  if (getservbyname_r(name, proto, &se, buf, sizeof(buf), &r) != 0 || !r)
    return -1;
  return ntohs((uint16_t)r->s_port);
}

static int servbyname(const struct lk_env *env, const char *name,
                      const char *proto) {
  return env->servbyname ? env->servbyname(name, proto)
                         : libc_servbyname(name, proto);
}

/* A port number: decimal digits, 0..65535.  (glibc's strtoul takes a
 * sign, blanks and values beyond 65535, cut to 16 bits.) */
static bool numeric_port(const char *s, uint16_t *port) {
  uint32_t v = 0;
  if (*s == '\0')
    return false;
  for (; *s; s++) {
    if (*s < '0' || *s > '9')
      return false;
    v = v * 10 + (uint32_t)(*s - '0');
    if (v > 65535)
      return false;
  }
  *port = (uint16_t)v;
  return true;
}

static int tuple_protocol(const struct lk_proto *p, const struct lk_req *q) {
  return p->any_protocol ? q->protocol : p->protocol;
}

/* No service, or a number: one tuple for the hints' type, else one for
 * each type glibc gives by default (stream, datagram, raw). */
static size_t port_tuples(const struct lk_req *q, uint16_t port,
                          struct lk_tuple *t) {
  if (q->proto) {
    t[0] = (struct lk_tuple){q->proto->socktype, tuple_protocol(q->proto, q),
                             port};
    return 1;
  }
  for (size_t i = 0; i < LK_NPROTOS; i++)
    t[i] = (struct lk_tuple){protos[i].socktype, protos[i].protocol, port};
  return LK_NPROTOS;
}

/* A service name: looked up for the hints' type, else for each type
 * that takes a service; none found is EAI_SERVICE. */
static int named_tuples(const struct lk_env *env, const struct lk_req *q,
                        struct lk_tuple *t, size_t *n) {
  *n = 0;
  for (size_t i = 0; i < LK_NPROTOS; i++) {
    const struct lk_proto *p = &protos[i];
    if (q->proto ? p != q->proto : (p->no_service || !proto_matches(p, q)))
      continue;
    int port = servbyname(env, q->service, p->name);
    if (port >= 0 && port <= 65535)
      t[(*n)++] =
          (struct lk_tuple){p->socktype, tuple_protocol(p, q), (uint16_t)port};
  }
  return *n ? 0 : EAI_SERVICE;
}

static int service_tuples(const struct lk_env *env, const struct lk_req *q,
                          struct lk_tuple *t, size_t *n) {
  uint16_t port = 0;
  if (q->service && q->proto && q->proto->no_service)
    return EAI_SERVICE;
  if (!q->service || numeric_port(q->service, &port)) {
    *n = port_tuples(q, port, t);
    return 0;
  }
  if (q->flags & AI_NUMERICSERV)
    return EAI_NONAME;
  return named_tuples(env, q, t, n);
}

/* ---- getaddrinfo ---- */

static int read_request(const char *node, const char *service,
                        const struct addrinfo *hints, struct lk_req *q) {
  q->node = node && strcmp(node, "*") != 0 ? node : NULL;
  q->service =
      service && service[0] && strcmp(service, "*") != 0 ? service : NULL;
  if (!q->node && !q->service)
    return EAI_NONAME;
  /* No hints: glibc's AI_DEFAULT. */
  q->flags = hints ? hints->ai_flags : AI_V4MAPPED | AI_ADDRCONFIG;
  q->family = hints ? hints->ai_family : AF_UNSPEC;
  q->socktype = hints ? hints->ai_socktype : 0;
  q->protocol = hints ? hints->ai_protocol : 0;
  if (q->flags & ~LK_AI_FLAGS)
    return EAI_BADFLAGS;
  if ((q->flags & AI_CANONNAME) && !q->node)
    return EAI_BADFLAGS;
  if (q->family != AF_UNSPEC && q->family != AF_INET && q->family != AF_INET6)
    return EAI_FAMILY;
  return 0;
}

/* AI_ADDRCONFIG as glibc: a family the stack has no address of is left
 * out of AF_UNSPEC (unless it has none at all), and asked alone it
 * finds nothing. */
static int addrconfig(const struct lk_env *env, struct lk_req *q) {
  if (!(q->flags & AI_ADDRCONFIG))
    return 0;
  bool v4 = env->has_v4, v6 = env->has_v6;
  if (q->family == AF_UNSPEC && v4 != v6)
    q->family = v4 ? AF_INET : AF_INET6;
  else if ((q->family == AF_INET && !v4) || (q->family == AF_INET6 && !v6))
    return EAI_NONAME;
  return 0;
}

static unsigned want_of(const struct lk_req *q) {
  if (q->family == AF_INET)
    return LK_WANT_A;
  if (q->family == AF_INET6)
    return (q->flags & AI_V4MAPPED) ? LK_WANT_AAAA | LK_WANT_A : LK_WANT_AAAA;
  return LK_WANT_A | LK_WANT_AAAA;
}

/* AF_INET6 with AI_V4MAPPED: the IPv6 addresses, or if there are none
 * (or with AI_ALL, as well) the IPv4 ones as IPv4-mapped. */
static void apply_v4mapped(const struct lk_req *q, struct lk_found *f) {
  if (q->family != AF_INET6 || !(q->flags & AI_V4MAPPED))
    return;
  bool any6 = false;
  for (uint32_t i = 0; i < f->naddr; i++)
    any6 |= f->addrs[i].family == ZN_AF_INET6;
  bool keep4 = !any6 || (q->flags & AI_ALL);
  uint32_t k = 0;
  for (uint32_t i = 0; i < f->naddr; i++) {
    struct zn_ip a = f->addrs[i];
    if (a.family == ZN_AF_INET && !keep4)
      continue;
    f->addrs[k++] = a.family == ZN_AF_INET ? map_v4(&a) : a;
  }
  f->naddr = k;
}

/* The NULL node: the wildcards for AI_PASSIVE, 0.0.0.0 first as glibc
 * sorts them (a server that binds the first result binds IPv4, as on
 * Linux); else loopback, in the order of any other addresses. */
static void null_node(const struct lk_req *q, struct lk_found *f) {
  bool passive = (q->flags & AI_PASSIVE) != 0;
  uint8_t b6[16] = {[15] = passive ? 0 : 1};
  struct zn_ip v6 = zn_ip_from_v6(b6);
  struct zn_ip v4 = zn_ip_from_v4(passive ? 0 : ZN_IPV4(127, 0, 0, 1));
  if (passive && q->family != AF_INET6)
    found_add(f, &v4);
  if (q->family != AF_INET)
    found_add(f, &v6);
  if (!passive && q->family != AF_INET6)
    found_add(f, &v4);
}

/* A numeric node into f: 1 if it was one, 0 if not, or an EAI_* code. */
static int numeric_node(const struct lk_req *q, struct lk_found *f,
                        uint32_t *scope) {
  struct zn_ip a;
  if (numeric_v4(q->node, &a)) {
    if (q->family == AF_INET6 && !(q->flags & AI_V4MAPPED))
      return EAI_ADDRFAMILY;
    if (q->family == AF_INET6)
      a = map_v4(&a);
    found_add(f, &a);
    return 1;
  }
  enum numeric n6 = numeric_v6(q->node, &a, scope);
  if (n6 == NUM_BAD_SCOPE)
    return EAI_NONAME;
  if (n6 == NUM_NO)
    return 0;
  if (q->family == AF_INET && !zn_ip_is_v4mapped(&a))
    return EAI_ADDRFAMILY;
  if (q->family == AF_INET)
    a = zn_ip_unmap(&a);
  found_add(f, &a);
  return 1;
}

/* The node's addresses into f (and its canonical name when one is
 * known). */
static int node_addrs(const struct lk_env *env, const struct lk_req *q,
                      struct lk_found *f, uint32_t *scope) {
  found_clear(f);
  *scope = 0;
  if (!q->node) {
    null_node(q, f);
    return 0;
  }
  int rc = numeric_node(q, f, scope);
  if (rc != 0)
    return rc < 0 ? rc : 0;
  if (q->flags & AI_NUMERICHOST)
    return EAI_NONAME;
  rc = lk_lookup_name(env, q->node, want_of(q), f);
  if (rc != 0)
    return rc;
  apply_v4mapped(q, f);
  return f->naddr ? 0 : EAI_NODATA;
}

static struct addrinfo *new_result(const struct zn_ip *a, uint32_t scope,
                                   const struct lk_tuple *t) {
  bool v6 = a->family == ZN_AF_INET6;
  size_t salen = v6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
  struct addrinfo *ai = calloc(1, sizeof(*ai) + salen);
  if (!ai)
    return NULL;
  ai->ai_family = v6 ? AF_INET6 : AF_INET;
  ai->ai_socktype = t->socktype;
  ai->ai_protocol = t->protocol;
  ai->ai_addrlen = (socklen_t)salen;
  ai->ai_addr = (struct sockaddr *)(ai + 1);
  if (v6) {
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ai->ai_addr;
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons(t->port);
    memcpy(&s6->sin6_addr, a->bytes, 16);
    s6->sin6_scope_id = scope;
  } else {
    struct sockaddr_in *s4 = (struct sockaddr_in *)ai->ai_addr;
    s4->sin_family = AF_INET;
    s4->sin_port = htons(t->port);
    memcpy(&s4->sin_addr, a->bytes, 4);
  }
  return ai;
}

void lk_freeaddrinfo(struct addrinfo *ai) {
  while (ai) {
    struct addrinfo *next = ai->ai_next;
    free(ai->ai_canonname);
    free(ai);
    ai = next;
  }
}

/* AI_CANONNAME: the name found, or the node as given (numeric). */
static int set_canon(const struct lk_req *q, const struct lk_found *f,
                     struct addrinfo *first) {
  if (!(q->flags & AI_CANONNAME))
    return 0;
  first->ai_canonname = strdup(f->canon[0] ? f->canon : q->node);
  return first->ai_canonname ? 0 : EAI_MEMORY;
}

/* One result per address and tuple, addresses outside, as glibc. */
static int build_results(const struct lk_req *q, const struct lk_found *f,
                         uint32_t scope, const struct lk_tuple *t, size_t nt,
                         struct addrinfo **res) {
  struct addrinfo *head = NULL, **tail = &head;
  for (uint32_t i = 0; i < f->naddr; i++)
    for (size_t j = 0; j < nt; j++) {
      bool scoped = f->addrs[i].family == ZN_AF_INET6;
      struct addrinfo *ai = new_result(&f->addrs[i], scoped ? scope : 0, &t[j]);
      if (!ai) {
        lk_freeaddrinfo(head);
        return EAI_MEMORY;
      }
      *tail = ai;
      tail = &ai->ai_next;
    }
  if (!head)
    return EAI_NONAME;
  if (set_canon(q, f, head) != 0) {
    lk_freeaddrinfo(head);
    return EAI_MEMORY;
  }
  *res = head;
  return 0;
}

int lk_getaddrinfo(const struct lk_env *env, const char *node,
                   const char *service, const struct addrinfo *hints,
                   struct addrinfo **res) {
  struct lk_req q;
  int rc = read_request(node, service, hints, &q);
  if (rc == 0)
    rc = addrconfig(env, &q);
  if (rc == 0 && q.service && (q.flags & AI_NUMERICSERV)) {
    uint16_t port;
    if (!numeric_port(q.service, &port))
      rc = EAI_NONAME;
  }
  if (rc == 0)
    rc = choose_proto(&q);
  struct lk_tuple t[LK_NPROTOS];
  size_t nt = 0;
  if (rc == 0)
    rc = service_tuples(env, &q, t, &nt);
  struct lk_found f;
  uint32_t scope = 0;
  if (rc == 0)
    rc = node_addrs(env, &q, &f, &scope);
  if (rc != 0)
    return rc;
  if (q.node || !(q.flags & AI_PASSIVE))
    lk_order(env, f.addrs, f.naddr);
  return build_results(&q, &f, scope, t, nt, res);
}

/* ---- getnameinfo ---- */

struct lk_sock {
  struct zn_ip addr;
  uint16_t port;
  uint32_t scope;
};

static int read_sockaddr(const struct sockaddr *sa, socklen_t salen,
                         struct lk_sock *s) {
  if (sa->sa_family == AF_INET) {
    struct sockaddr_in s4;
    if (salen < sizeof(s4))
      return EAI_FAMILY;
    memcpy(&s4, sa, sizeof(s4));
    s->addr = zn_ip_from_v4(ntohl(s4.sin_addr.s_addr));
    s->port = ntohs(s4.sin_port);
    s->scope = 0;
    return 0;
  }
  if (sa->sa_family == AF_INET6) {
    struct sockaddr_in6 s6;
    if (salen < sizeof(s6))
      return EAI_FAMILY;
    memcpy(&s6, sa, sizeof(s6));
    s->addr = zn_ip_from_v6(s6.sin6_addr.s6_addr);
    s->port = ntohs(s6.sin6_port);
    s->scope = s6.sin6_scope_id;
    return 0;
  }
  return EAI_FAMILY;
}

static int put_text(char *out, socklen_t len, const char *text) {
  size_t n = strlen(text);
  if (n >= len)
    return EAI_OVERFLOW;
  memcpy(out, text, n + 1);
  return 0;
}

/* The address as text, "%scope" after a scoped IPv6 one (always the
 * number: znet's single interface has no kernel name). */
static int numeric_host(const struct lk_sock *s, char *host, socklen_t len) {
  char text[ZN_IP_STRLEN + 12];
  zn_ip_format(&s->addr, text);
  if (s->addr.family == ZN_AF_INET6 && s->scope != 0)
    (void)snprintf(text + strlen(text), sizeof(text) - strlen(text), "%%%u",
                   (unsigned)s->scope);
  return put_text(host, len, text);
}

/* A name for the address: the hosts table's, else localhost's. */
static bool reverse_name(const struct lk_env *env, const struct zn_ip *a,
                         char *out, size_t len) {
  static const uint8_t loop6[16] = {[15] = 1};
  if (hosts_find_addr(&env->hosts, a, out, len))
    return true;
  struct zn_ip v4 = zn_ip_unmap(a);
  bool loop =
      (v4.family == ZN_AF_INET && zn_ip_v4(&v4) == ZN_IPV4(127, 0, 0, 1)) ||
      (v4.family == ZN_AF_INET6 && memcmp(v4.bytes, loop6, 16) == 0);
  return loop && (size_t)snprintf(out, len, "localhost") < len;
}

/* NI_NOFQDN: the name without the local domain. */
static void cut_domain(const struct lk_env *env, char *name) {
  if (!env->domain || !env->domain[0] || !ends_with_domain(name, env->domain))
    return;
  size_t n = strlen(name), d = strlen(env->domain);
  if (n > 1 && name[n - 1] == '.')
    n--;
  if (d > 1 && env->domain[d - 1] == '.')
    d--;
  name[n - d - 1] = '\0';
}

static int name_host(const struct lk_env *env, const struct lk_sock *s,
                     char *host, socklen_t len, int flags) {
  char name[LK_NAME_MAX];
  if (!(flags & NI_NUMERICHOST) &&
      reverse_name(env, &s->addr, name, sizeof(name))) {
    if (flags & NI_NOFQDN)
      cut_domain(env, name);
    return put_text(host, len, name);
  }
  if (flags & NI_NAMEREQD)
    return EAI_NONAME;
  return numeric_host(s, host, len);
}

static bool libc_servbyport(uint16_t port, const char *proto, char *out,
                            size_t len) {
  struct servent se, *r = NULL;
  char buf[1024];
  if (getservbyport_r(htons(port), proto, &se, buf, sizeof(buf), &r) != 0 || !r)
    return false;
  return (size_t)snprintf(out, len, "%s", r->s_name) < len;
}

static int name_serv(const struct lk_env *env, const struct lk_sock *s,
                     char *serv, socklen_t len, int flags) {
  char name[NI_MAXSERV];
  const char *proto = (flags & NI_DGRAM) ? "udp" : "tcp";
  bool named = false;
  if (!(flags & NI_NUMERICSERV))
    named = env->servbyport
                ? env->servbyport(s->port, proto, name, sizeof(name))
                : libc_servbyport(s->port, proto, name, sizeof(name));
  if (!named)
    (void)snprintf(name, sizeof(name), "%u", (unsigned)s->port);
  return put_text(serv, len, name);
}

int lk_getnameinfo(const struct lk_env *env, const struct sockaddr *sa,
                   socklen_t salen, char *host, socklen_t hostlen, char *serv,
                   socklen_t servlen, int flags) {
  if (flags & ~LK_NI_FLAGS)
    return EAI_BADFLAGS;
  if (!sa || salen < sizeof(sa_family_t))
    return EAI_FAMILY;
  if ((flags & NI_NAMEREQD) && !host && !serv)
    return EAI_NONAME;
  struct lk_sock s;
  int rc = read_sockaddr(sa, salen, &s);
  if (rc == 0 && host && hostlen > 0)
    rc = name_host(env, &s, host, hostlen, flags);
  if (rc == 0 && serv && servlen > 0)
    rc = name_serv(env, &s, serv, servlen, flags);
  return rc;
}

/* ---- gethostbyname2_r ---- */

/* What goes into the caller's buffer. */
struct lk_hostent {
  const char *name;
  uint32_t naliases;
  const char *aliases[LK_ALIASES_MAX + 1];
  uint32_t naddr;
  const struct zn_ip *addrs;
  size_t addrlen; /* 4 or 16 */
};

/* Copy s to *p (room checked) and move *p past it. */
static char *put_string(char **p, const char *s) {
  size_t n = strlen(s) + 1;
  char *at = memcpy(*p, s, n);
  *p += n;
  return at;
}

/* Lay h out in buf (pointer arrays, then addresses, then strings). */
static bool fill_hostent(const struct lk_hostent *h, int af,
                         struct hostent *ret, char *buf, size_t buflen) {
  uintptr_t at = (uintptr_t)buf;
  uintptr_t pad = (sizeof(char *) - at % sizeof(char *)) % sizeof(char *);
  size_t nptr = (size_t)h->naddr + 1 + h->naliases + 1;
  size_t need = pad + nptr * sizeof(char *) + h->naddr * h->addrlen;
  need += strlen(h->name) + 1;
  for (uint32_t i = 0; i < h->naliases; i++)
    need += strlen(h->aliases[i]) + 1;
  if (need > buflen)
    return false;
  char **list = (char **)(void *)(buf + pad);
  char *p = (char *)(list + nptr);
  ret->h_addr_list = list;
  for (uint32_t i = 0; i < h->naddr; i++, p += h->addrlen) {
    memcpy(p, h->addrs[i].bytes, h->addrlen);
    list[i] = p;
  }
  list[h->naddr] = NULL;
  ret->h_aliases = list + h->naddr + 1;
  for (uint32_t i = 0; i < h->naliases; i++)
    ret->h_aliases[i] = put_string(&p, h->aliases[i]);
  ret->h_aliases[h->naliases] = NULL;
  ret->h_name = put_string(&p, h->name);
  ret->h_addrtype = af;
  ret->h_length = (int)h->addrlen;
  return true;
}

/* A numeric name of family af: 1, 0 (not numeric), -1 (the other
 * family's, which glibc does not find). */
static int numeric_hostent(const char *name, int af, struct lk_found *f) {
  struct zn_ip a;
  uint32_t scope;
  if (numeric_v4(name, &a)) {
    if (af != AF_INET)
      return -1;
  } else if (numeric_v6(name, &a, &scope) == NUM_YES && !strchr(name, '%')) {
    if (af != AF_INET6)
      return -1;
  } else {
    return 0;
  }
  found_add(f, &a);
  set_name(f->canon, name);
  return 1;
}

static int herrno_of(int eai) {
  switch (eai) {
  case EAI_NODATA:
    return NO_DATA;
  case EAI_AGAIN:
    return TRY_AGAIN;
  case EAI_FAIL:
    return NO_RECOVERY;
  case EAI_MEMORY:
  case EAI_SYSTEM:
    return NETDB_INTERNAL;
  default:
    return HOST_NOT_FOUND;
  }
}

/* The lookup's result as gethostbyname2_r returns it. */
static int hostent_error(int eai, int *h_errnop) {
  *h_errnop = herrno_of(eai);
  if (eai == EAI_AGAIN)
    return EAGAIN;
  if (eai == EAI_MEMORY)
    return ENOMEM;
  if (eai == EAI_SYSTEM)
    return errno ? errno : EIO;
  return 0;
}

static void hostent_names(const char *name, const struct lk_found *f,
                          struct lk_hostent *h) {
  h->name = f->canon[0] ? f->canon : name;
  h->naliases = 0;
  for (uint32_t i = 0; i < f->naliases; i++)
    h->aliases[h->naliases++] = f->aliases[i];
  /* The name asked, when the DNS gave another canonical one. */
  if (f->naliases == 0 && f->canon[0] && !hosts_name_eq(f->canon, name))
    h->aliases[h->naliases++] = name;
}

int lk_gethostbyname2_r(const struct lk_env *env, const char *name, int af,
                        struct hostent *ret, char *buf, size_t buflen,
                        struct hostent **result, int *h_errnop) {
  *result = NULL;
  if (af != AF_INET && af != AF_INET6) {
    *h_errnop = NETDB_INTERNAL;
    errno = EAFNOSUPPORT;
    return EAFNOSUPPORT;
  }
  struct lk_found f;
  found_clear(&f);
  int num = name ? numeric_hostent(name, af, &f) : -1;
  if (num < 0)
    return hostent_error(EAI_NONAME, h_errnop);
  int rc = num ? 0
               : lk_lookup_name(env, name,
                                af == AF_INET ? LK_WANT_A : LK_WANT_AAAA, &f);
  if (rc != 0)
    return hostent_error(rc, h_errnop);
  lk_order(env, f.addrs, f.naddr);
  struct lk_hostent h = {
      .naddr = f.naddr, .addrs = f.addrs, .addrlen = af == AF_INET ? 4u : 16u};
  hostent_names(name, &f, &h);
  if (!fill_hostent(&h, af, ret, buf, buflen)) {
    *h_errnop = NETDB_INTERNAL;
    errno = ERANGE;
    return ERANGE;
  }
  *h_errnop = NETDB_SUCCESS;
  *result = ret;
  return 0;
}
