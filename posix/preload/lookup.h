/* getaddrinfo, getnameinfo and gethostbyname2_r with glibc's semantics,
 * over an explicit environment (lookup.c): numeric hosts, the NULL node,
 * services, hints and flags, the hosts table, search domains, the order
 * of the addresses and the results' memory.  What the lookups need of
 * the stack (its addresses, its resolver, its search domains) comes
 * through struct lk_env: names.c gives the preload's, the tests give
 * fakes, so nothing here touches the network or a lock.
 *
 * Return values are glibc's: 0 or an EAI_* code (<netdb.h>, with
 * _GNU_SOURCE for EAI_NODATA, EAI_ADDRFAMILY and EAI_OVERFLOW). */
#ifndef ZNET_POSIX_PRELOAD_LOOKUP_H
#define ZNET_POSIX_PRELOAD_LOOKUP_H

#include <netdb.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "hosts.h"
#include "znet/addr.h"

#define LK_ADDRS_MAX 32 /* addresses one name gives, both families */
#define LK_NAME_MAX 256 /* a canonical name or alias, with its NUL */
#define LK_ALIASES_MAX HOSTS_ALIASES_MAX
#define LK_SEARCH_MAX 6 /* search domains tried (resolv.conf's bound) */

/* Record types a name is asked for. */
enum lk_want {
  LK_WANT_A = 1,
  LK_WANT_AAAA = 2,
};

/* What a name gave: addresses (no duplicates), its canonical name and
 * aliases. */
struct lk_found {
  uint32_t naddr;
  struct zn_ip addrs[LK_ADDRS_MAX];
  char canon[LK_NAME_MAX]; /* "": none known */
  uint32_t naliases;
  char aliases[LK_ALIASES_MAX][LK_NAME_MAX];
};

/* What the lookups know of the world. */
struct lk_env {
  struct hosts_src hosts; /* the hosts table; path and text NULL: none */
  bool has_v4;        /* an IPv4 address is configured (AI_ADDRCONFIG, order) */
  bool has_v6;        /* a usable IPv6 address other than link-local (same) */
  bool v6_on;         /* IPv6 is on: ::1 and link-local destinations work */
  const char *domain; /* NI_NOFQDN's local domain; NULL or "": none */
  /* The DNS: name (absolute: no search here) for the record types in
   * want.  Returns 0 with out filled and out->naddr > 0, or EAI_NONAME
   * (NXDOMAIN), EAI_NODATA (no record of those types), EAI_AGAIN,
   * EAI_FAIL, EAI_MEMORY, EAI_SYSTEM.  NULL: no DNS (EAI_NONAME). */
  int (*dns)(void *ctx, const char *name, unsigned want, struct lk_found *out);
  /* The i-th search domain into out (len bytes), false past the last.
   * NULL: none. */
  bool (*search)(void *ctx, uint32_t i, char *out, size_t len);
  void *ctx;
  /* The port (host order) of service name for proto ("tcp", "udp"), or
   * -1.  NULL: the C library's getservbyname_r (/etc/services). */
  int (*servbyname)(const char *name, const char *proto);
  /* The name of port for proto into out (len bytes); false if none or
   * it does not fit.  NULL: the C library's getservbyport_r. */
  bool (*servbyport)(uint16_t port, const char *proto, char *out, size_t len);
};

/* getaddrinfo(3).  *res is written on success only. */
int lk_getaddrinfo(const struct lk_env *env, const char *node,
                   const char *service, const struct addrinfo *hints,
                   struct addrinfo **res);

/* freeaddrinfo(3), for lists of lk_getaddrinfo and glibc's alike: both
 * allocate a node and its address in one block and the canonical name
 * apart. */
void lk_freeaddrinfo(struct addrinfo *ai);

/* gai_strerror(3), glibc's texts. */
const char *lk_strerror(int code);

/* getnameinfo(3) for AF_INET and AF_INET6 (any other family:
 * EAI_FAMILY).  Reverse lookups are the hosts table's and localhost's
 * only (the resolver asks A and AAAA, no PTR). */
int lk_getnameinfo(const struct lk_env *env, const struct sockaddr *sa,
                   socklen_t salen, char *host, socklen_t hostlen, char *serv,
                   socklen_t servlen, int flags);

/* gethostbyname2_r(3): 0, or EAGAIN (h_errno TRY_AGAIN), ERANGE (buf
 * too small, h_errno NETDB_INTERNAL), EAFNOSUPPORT, ENOMEM; a name not
 * found is 0 with *result NULL and *h_errnop HOST_NOT_FOUND, NO_DATA or
 * NO_RECOVERY. */
int lk_gethostbyname2_r(const struct lk_env *env, const char *name, int af,
                        struct hostent *ret, char *buf, size_t buflen,
                        struct hostent **result, int *h_errnop);

/* The addresses of name (not numeric) for want: the hosts table, then
 * localhost's, then the DNS with the search domains (ndots:1).  0 or an
 * EAI_* code, as lk_env.dns. */
int lk_lookup_name(const struct lk_env *env, const char *name, unsigned want,
                   struct lk_found *out);

/* Sort addrs in the order to try them (RFC 6724, simply): destinations
 * the stack can reach first, and among them IPv6 before IPv4; stable
 * otherwise. */
void lk_order(const struct lk_env *env, struct zn_ip *addrs, uint32_t n);

#endif /* ZNET_POSIX_PRELOAD_LOOKUP_H */
