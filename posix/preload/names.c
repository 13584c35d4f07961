/* Name resolution for programs znet-run starts: the C library's
 * getaddrinfo, freeaddrinfo, gai_strerror, getnameinfo and the
 * gethostbyname family, answered by the hosts table and znet's own stub
 * resolver (znet/dns.h) over the program's stack, not by glibc's stub
 * over the kernel's network.
 *
 * The logic is lookup.c's, over an environment this file fills from the
 * stack: its families (AI_ADDRCONFIG, the order of the results), its
 * search domains (DNSSL) and a DNS function.  The hosts table is read
 * without the lock; the DNS function takes it, creates the resolver
 * once (malloc'd memory; the servers of znet-run's --dns, else the
 * resolver's own: RDNSS, then DHCPv4's), starts the AAAA and A queries
 * the request needs, and waits in pl_block, which drives the stack and
 * sleeps with the lock let go, until both are answered or a deadline
 * the resolver's own timeouts bound.  A signal does not interrupt it.
 *
 * Threads: any thread may poll the stack (a socket call, the driver),
 * so a query's callback may run in another thread than its caller's.
 * It writes only the caller's own struct nm_query, under the lock, and
 * wakes the waiting threads; the caller reads it under the lock after
 * pl_block, and cancels what is still pending before its frame goes.
 *
 * A program znet-run did not start gets the C library's own functions
 * (dlsym RTLD_NEXT), as preload.c does for sockets.  If znet-run's stack
 * could not start, the hosts table, localhost and numeric names still
 * answer and the DNS fails with EAI_SYSTEM, errno ENETDOWN, as the
 * sockets do (nothing goes to the kernel's network).  In a child of
 * fork the parent's stack is never polled again (zn_posix_forked): the
 * hosts table, localhost and numeric names still answer there, the DNS
 * fails at once with EAI_AGAIN. */
#include <dlfcn.h>
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "lookup.h"
#include "preload.h"
#include "znet/dhcp4.h"
#include "znet/dns.h"
#include "znet/err.h"
#include "znet/loop.h"
#include "znet/stack.h"

#define EXPORT __attribute__((visibility("default")))

#define NM_HOSTS_PATH "/etc/hosts"
#define NM_MAX_QUERIES 64      /* queries in flight, all threads */
#define NM_MARGIN_NS ZN_SEC(1) /* beyond the resolver's own timeouts */
#define NM_V6_ADDRS 16         /* stack addresses looked at */
#define NM_HOSTENT_BUF 8192    /* gethostbyname's per-thread buffer */

/* The C library's function of the same name. */
#define REAL(name, ret, ...)                                                   \
  static ret (*real_##name)(__VA_ARGS__);                                      \
  static ret (*get_##name(void))(__VA_ARGS__) {                                \
    if (!real_##name)                                                          \
      *(void **)&real_##name = dlsym(RTLD_NEXT, #name);                        \
    return real_##name;                                                        \
  }

REAL(getaddrinfo, int, const char *, const char *, const struct addrinfo *,
     struct addrinfo **)
REAL(freeaddrinfo, void, struct addrinfo *)
REAL(gai_strerror, const char *, int)
REAL(getnameinfo, int, const struct sockaddr *, socklen_t, char *, socklen_t,
     char *, socklen_t, int)
REAL(gethostbyname, struct hostent *, const char *)
REAL(gethostbyname2, struct hostent *, const char *, int)
REAL(gethostbyname_r, int, const char *, struct hostent *, char *, size_t,
     struct hostent **, int *)
REAL(gethostbyname2_r, int, const char *, int, struct hostent *, char *, size_t,
     struct hostent **, int *)

/* The resolver: under the lock. */
static struct {
  struct zn_dns_resolver *r;
  uint64_t budget_ns; /* a lookup's wait, at most */
  bool forked;        /* a child of the process whose stack this is */
} nm;

/* ---- the environment ---- */

/* What the exported calls hand lookup.c. */
struct nm_env {
  struct lk_env env;
  struct zn_stack *st;
  char domain[LK_NAME_MAX]; /* the first search domain, for NI_NOFQDN */
};

static bool v6_global(const struct zn_ipv6_addr_info *a) {
  bool link = a->addr.bytes[0] == 0xfe && (a->addr.bytes[1] & 0xc0) == 0x80;
  return !link && (a->state == ZN_IPV6_ADDR_PREFERRED ||
                   a->state == ZN_IPV6_ADDR_DEPRECATED);
}

/* Under the lock: the stack's families and first search domain. */
static void stack_facts(struct nm_env *e) {
  uint32_t a4, gw;
  uint8_t prefix;
  zn_stack_get_ipv4(e->st, &a4, &prefix, &gw);
  e->env.has_v4 = a4 != 0;
  struct zn_ipv6_addr_info v6[NM_V6_ADDRS];
  uint32_t n = zn_stack_ipv6_addrs(e->st, v6, NM_V6_ADDRS);
  e->env.v6_on = n > 0;
  e->env.has_v6 = false;
  for (uint32_t i = 0; i < n && i < NM_V6_ADDRS; i++)
    e->env.has_v6 |= v6_global(&v6[i]);
  if (zn_stack_ipv6_dns_search(e->st, 0, e->domain, sizeof(e->domain)) != ZN_OK)
    e->domain[0] = '\0';
}

static bool nm_search(void *ctx, uint32_t i, char *out, size_t len) {
  struct nm_env *e = ctx;
  pl_lock(pl_primary());
  bool ok = zn_stack_ipv6_dns_search(e->st, i, out, len) == ZN_OK;
  pl_unlock(pl_primary());
  return ok;
}

/* ---- one DNS lookup: up to two queries, the caller's memory ---- */

struct nm_query {
  struct zn_dns_query *q; /* the resolver's handle while pending */
  bool asked;
  bool pending;
  int start_err; /* zn_dns_resolve's refusal, if any */
  struct zn_dns_answer ans;
};

struct nm_call {
  struct nm_query q[2]; /* AAAA, A */
};

/* From zn_stack_poll, in whichever thread polls, with the lock held. */
static void on_answer(struct zn_dns_resolver *r, void *arg,
                      const struct zn_dns_answer *a) {
  (void)r;
  struct nm_query *q = arg;
  q->ans = *a;
  q->q = NULL;
  q->pending = false;
  pl_wake(pl_primary());
}

static bool call_done(void *arg) {
  const struct nm_call *c = arg;
  return !c->q[0].pending && !c->q[1].pending;
}

/* The longest a lookup can take: every try of every name of a CNAME
 * chain, timeouts doubling (znet/dns.h), and a margin. */
static uint64_t budget(const struct zn_dns_resolver_cfg *cfg) {
  uint64_t per_name = 0, t = ZN_MS(cfg->timeout_ms);
  for (uint32_t i = 0; i < cfg->tries; i++, t *= 2)
    per_name += t;
  return per_name * (cfg->max_cname + 1u) + NM_MARGIN_NS;
}

/* Under the lock: the resolver, made on first use.  0, EAI_MEMORY, or
 * EAI_SYSTEM (errno EINVAL: the configuration was refused). */
static int resolver(struct zn_stack *st) {
  if (nm.r)
    return 0;
  struct zn_dns_resolver_cfg cfg;
  zn_dns_resolver_cfg_default(&cfg);
  const struct zn_dns_server *srv;
  cfg.nservers = pl_dns_servers(&srv);
  memcpy(cfg.servers, srv, cfg.nservers * sizeof(*srv));
  cfg.max_queries = NM_MAX_QUERIES;
  size_t len = zn_dns_resolver_mem_size(&cfg);
  void *mem = len ? calloc(1, len) : NULL;
  if (mem && zn_dns_resolver_init(st, &cfg, mem, len, &nm.r) != ZN_OK) {
    free(mem);
    mem = NULL;
    nm.r = NULL;
    len = 0;
  }
  if (!mem) {
    errno = len ? ENOMEM : EINVAL;
    return len ? EAI_MEMORY : EAI_SYSTEM;
  }
  nm.budget_ns = budget(&cfg);
  return 0;
}

/* Whether a server is known: --dns, RDNSS or the DHCPv4 lease's.  With
 * none, every try would be lost: fail at once instead. */
static bool servers_known(const struct zn_stack *st) {
  const struct zn_dns_server *srv;
  struct zn_ip ip;
  return pl_dns_servers(&srv) > 0 ||
         zn_stack_ipv6_dns_server(st, 0, &ip) == ZN_OK ||
         zn_dhcp4_dns_server(st, 0, &ip) == ZN_OK;
}

static void start_query(struct nm_query *q, const char *name, uint16_t qtype) {
  q->asked = true;
  q->start_err = zn_dns_resolve(nm.r, name, qtype, on_answer, q, &q->q);
  q->pending = q->start_err == ZN_OK;
}

/* Wait for both answers; what is left at the deadline is cancelled and
 * reads as timed out. */
static void wait_call(struct nm_call *c) {
  uint64_t deadline = zn_host_now() + nm.budget_ns;
  while (pl_block(pl_primary(), call_done, c, deadline) == -EINTR) {
  }
  for (int i = 0; i < 2; i++) {
    struct nm_query *q = &c->q[i];
    if (!q->pending)
      continue;
    zn_dns_cancel(q->q);
    q->q = NULL;
    q->pending = false;
    q->ans.status = ZN_ETIMEDOUT;
    q->ans.naddr = 0;
  }
}

/* One query's outcome as an EAI_* code, glibc's res_query's mapping:
 * SERVFAIL is temporary, REFUSED, FORMERR or a bad answer is not. */
static int query_status(const struct nm_query *q) {
  if (q->start_err == ZN_EINVAL)
    return EAI_NONAME; /* not a name the DNS can carry */
  if (q->start_err != ZN_OK)
    return EAI_AGAIN; /* no query slot or socket free now */
  const struct zn_dns_answer *a = &q->ans;
  switch (a->status) {
  case ZN_OK:
    return a->naddr ? 0 : EAI_NODATA;
  case ZN_ENOENT:
    return a->rcode == ZN_DNS_RCODE_NXDOMAIN ? EAI_NONAME : EAI_NODATA;
  case ZN_ETIMEDOUT:
    return EAI_AGAIN;
  case ZN_EPROTO:
    return a->rcode == ZN_DNS_RCODE_SERVFAIL ? EAI_AGAIN : EAI_FAIL;
  default:
    return EAI_FAIL; /* ZN_ERANGE: a CNAME chain too long or a loop */
  }
}

/* Which of two failures the lookup reports: a name that does not exist
 * says so; then a failure; then a temporary one; no data last. */
static int worse(int a, int b) {
  static const int order[] = {EAI_NONAME, EAI_MEMORY, EAI_FAIL, EAI_AGAIN,
                              EAI_NODATA};
  for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
    if (a == order[i] || b == order[i])
      return order[i];
  return a;
}

static void take_answer(const struct zn_dns_answer *a, struct lk_found *out) {
  for (uint32_t i = 0; i < a->naddr && out->naddr < LK_ADDRS_MAX; i++)
    out->addrs[out->naddr++] = a->addrs[i];
  char text[ZN_DNS_NAME_TEXT_MAX];
  size_t n;
  if (out->canon[0] == '\0' &&
      zn_dns_name_to_text(&a->canonical, text, sizeof(text), &n) == ZN_OK &&
      n < LK_NAME_MAX)
    memcpy(out->canon, text, n + 1);
}

/* Both queries' answers into out: 0 if either gave addresses, else the
 * worse failure. */
static int collect(const struct nm_call *c, struct lk_found *out) {
  bool found = false;
  int fail = 0;
  for (int i = 0; i < 2; i++) {
    const struct nm_query *q = &c->q[i];
    if (!q->asked)
      continue;
    int s = query_status(q);
    if (s == 0) {
      take_answer(&q->ans, out);
      found = true;
    } else {
      fail = fail ? worse(fail, s) : s;
    }
  }
  return found ? 0 : fail ? fail : EAI_NONAME;
}

/* Under the lock: ask, wait, collect. */
static int dns_locked(struct nm_env *e, const char *name, unsigned want,
                      struct lk_found *out) {
  if (nm.forked)
    return EAI_AGAIN;
  int rc = resolver(e->st);
  if (rc != 0)
    return rc;
  if (!servers_known(e->st))
    return EAI_AGAIN;
  struct nm_call c;
  memset(&c, 0, sizeof(c));
  if (want & LK_WANT_AAAA)
    start_query(&c.q[0], name, ZN_DNS_TYPE_AAAA);
  if (want & LK_WANT_A)
    start_query(&c.q[1], name, ZN_DNS_TYPE_A);
  wait_call(&c);
  return collect(&c, out);
}

static int nm_dns(void *ctx, const char *name, unsigned want,
                  struct lk_found *out) {
  pl_lock(pl_primary());
  int rc = dns_locked(ctx, name, want, out);
  pl_unlock(pl_primary());
  return rc;
}

/* znet-run's stack could not start: its sockets fail with ENETDOWN
 * (preload.c), and so does the DNS. */
static int dns_down(void *ctx, const char *name, unsigned want,
                    struct lk_found *out) {
  (void)ctx;
  (void)name;
  (void)want;
  (void)out;
  errno = ENETDOWN;
  return EAI_SYSTEM;
}

/* The environment of a call: the stack's, or none but the hosts table
 * if znet-run's stack could not start.  False: the program is not
 * znet-run's, the C library answers. */
static bool env_init(struct nm_env *e) {
  struct zn_posix *px = pl_layer();
  if (!px && !pl_broken())
    return false;
  memset(e, 0, sizeof(*e));
  e->env.hosts.path = NM_HOSTS_PATH;
  e->env.dns = dns_down;
  if (!px)
    return true;
  e->st = zn_posix_stack(px);
  e->env.dns = nm_dns;
  e->env.search = nm_search;
  e->env.ctx = e;
  e->env.domain = e->domain;
  pl_lock(pl_primary());
  stack_facts(e);
  pl_unlock(pl_primary());
  return true;
}

/* Whether names are ours: a layer, or znet-run's that could not start. */
static bool ours(void) { return pl_layer_if_any() || pl_broken(); }

/* A fork's child: the parent's stack is not polled in it. */
static void on_fork_child(void) {
  if (pl_layer_if_any())
    nm.forked = true;
}

__attribute__((constructor)) static void nm_init(void) {
  pthread_atfork(NULL, NULL, on_fork_child);
}

/* ---- the C library's calls ---- */

EXPORT int getaddrinfo(const char *name, const char *service,
                       const struct addrinfo *req, struct addrinfo **pai) {
  struct nm_env e;
  if (!env_init(&e))
    return get_getaddrinfo()(name, service, req, pai);
  return lk_getaddrinfo(&e.env, name, service, req, pai);
}

/* Ours and glibc's lists have the same layout; glibc's is used when it
 * made the list. */
EXPORT void freeaddrinfo(struct addrinfo *ai) {
  if (!ours()) {
    get_freeaddrinfo()(ai);
    return;
  }
  lk_freeaddrinfo(ai);
}

EXPORT const char *gai_strerror(int code) {
  if (!ours())
    return get_gai_strerror()(code);
  return lk_strerror(code);
}

EXPORT int getnameinfo(const struct sockaddr *sa, socklen_t salen, char *host,
                       socklen_t hostlen, char *serv, socklen_t servlen,
                       int flags) {
  bool inet = sa && salen >= sizeof(sa_family_t) &&
              (sa->sa_family == AF_INET || sa->sa_family == AF_INET6);
  struct nm_env e;
  if (!inet || !env_init(&e))
    return get_getnameinfo()(sa, salen, host, hostlen, serv, servlen, flags);
  return lk_getnameinfo(&e.env, sa, salen, host, hostlen, serv, servlen, flags);
}

EXPORT int gethostbyname2_r(const char *name, int af,
                            struct hostent *result_buf, char *buf,
                            size_t buflen, struct hostent **result,
                            int *h_errnop) {
  struct nm_env e;
  if (!env_init(&e))
    return get_gethostbyname2_r()(name, af, result_buf, buf, buflen, result,
                                  h_errnop);
  return lk_gethostbyname2_r(&e.env, name, af, result_buf, buf, buflen, result,
                             h_errnop);
}

EXPORT int gethostbyname_r(const char *name, struct hostent *result_buf,
                           char *buf, size_t buflen, struct hostent **result,
                           int *h_errnop) {
  struct nm_env e;
  if (!env_init(&e))
    return get_gethostbyname_r()(name, result_buf, buf, buflen, result,
                                 h_errnop);
  return lk_gethostbyname2_r(&e.env, name, AF_INET, result_buf, buf, buflen,
                             result, h_errnop);
}

/* The non-reentrant forms: one result per thread (glibc's is one per
 * process). */
static struct hostent *hostent_tls(struct nm_env *e, const char *name, int af) {
  static _Thread_local struct hostent he;
  static _Thread_local char buf[NM_HOSTENT_BUF];
  struct hostent *r = NULL;
  int herr = NETDB_INTERNAL;
  int rc =
      lk_gethostbyname2_r(&e->env, name, af, &he, buf, sizeof(buf), &r, &herr);
  h_errno = herr;
  if (rc != 0)
    errno = rc;
  return r;
}

EXPORT struct hostent *gethostbyname2(const char *name, int af) {
  struct nm_env e;
  if (!env_init(&e))
    return get_gethostbyname2()(name, af);
  return hostent_tls(&e, name, af);
}

EXPORT struct hostent *gethostbyname(const char *name) {
  struct nm_env e;
  if (!env_init(&e))
    return get_gethostbyname()(name);
  return hostent_tls(&e, name, AF_INET);
}
