/*
 * znet-resolve: look names up through znet's stub resolver, like host(1).
 *
 *     znet-resolve www.example.com mail.example.com --resolver 10.0.0.1 \
 *         --netif tap:zntap0 --ipv4 10.0.0.2/24 [-t A|AAAA|both]
 *
 * Every name is asked for A records (-t A, the default), AAAA records, or
 * both; all lookups run at once, then the results are printed in the order
 * the names were given, the way host(1) prints them:
 *
 *     alias.test is an alias for allowed.test.
 *     allowed.test has address 10.1.2.3
 *     v6.test has IPv6 address 2001:db8::1
 *     v6.test has no A record
 *     Host nosuch.test not found: 3(NXDOMAIN)
 *     Host slow.test not found: connection timed out; no servers could be
 *     reached
 *
 * Without --resolver (and with IPv6 on) the servers are those router
 * advertisements name (RFC 8106 RDNSS), as they are learnt.
 *
 * A name has resolved when at least one of its lookups found addresses.
 * Exits 0 if every name resolved, 1 otherwise (or if the stack cannot be
 * set up), 2 on usage errors.  -v prints the resolver's and the stack's
 * counters to stderr.
 *
 * The resolver is the library's (zn_dns_resolver_*), in memory this
 * program takes from malloc; queries start after the first poll, so their
 * timers count from the netif's clock (znet/stack.h).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "app_int.h"
#include "znet/dns.h"

#define PROG "znet-resolve"
#define DEFAULT_TIMEOUT_MS 1000u
#define DEFAULT_TRIES 3u
#define MAX_NAMES 1024u
/* Queries in flight at once; more wait for a free slot. */
#define MAX_INFLIGHT 32u

enum { T_A = 1, T_AAAA = 2 };

struct resolve_opts {
  struct zn_dns_server servers[ZN_DNS_MAX_SERVERS];
  uint32_t nservers;
  int types; /* T_A | T_AAAA */
  uint32_t timeout_ms, tries;
  bool verbose;
};

/* One lookup: a name and one type. */
struct lookup {
  const char *text; /* as given */
  uint16_t qtype;
  bool started, done;
  int start_err; /* zn_dns_resolve's error, if it refused */
  struct zn_dns_answer ans;
};

struct app {
  struct zn_dns_resolver *r;
  struct lookup *l;
  size_t n, next, inflight, done;
  uint64_t started_at; /* the first tick's time */
  uint64_t budget_ns;  /* every try of every lookup, with slack */
  bool timed_out;
};

static int parse_resolver(void *base, const char *val, const char *prog) {
  struct resolve_opts *o = base;
  if (o->nservers >= ZN_DNS_MAX_SERVERS)
    zn__app_usage_error(prog, "at most %d --resolver", ZN_DNS_MAX_SERVERS);
  if (zn__app_parse_dns_server(val, &o->servers[o->nservers]) != 0)
    return -1;
  o->nservers++;
  return 0;
}

static const struct zn__app_choice type_names[] = {
    {"A", T_A}, {"AAAA", T_AAAA}, {"both", T_A | T_AAAA}, {NULL, 0}};

#define OFF(field) offsetof(struct resolve_opts, field)

static const struct zn__app_opt resolve_flags[] = {
    {"", 0, ZN__APP_DOC, .arg = "NAME...",
     .help = "names to look up (at most 1024)"},
    {"resolver", 0, ZN__APP_FN, .fn = parse_resolver, .arg = "ADDR[:PORT]",
     .want = "IPv4 ADDR[:PORT] or IPv6 ADDR or [ADDR]:PORT",
     .help = "recursive server (port 53 by default); up to 4,\ntried in "
             "turn"},
    {"type", 't', ZN__APP_CHOICE, OFF(types), .choices = type_names,
     .arg = "A|AAAA|both", .help = "record types to ask for (default A)"},
    {"timeout", 0, ZN__APP_U32, OFF(timeout_ms), 1, 600000, .arg = "MS",
     .want = "1..600000 ms",
     .help = "first try's timeout, doubling on each retry\n(default 1000)"},
    {"tries", 0, ZN__APP_U32, OFF(tries), 1, 10, .arg = "N",
     .help = "sends per name (default 3)"},
    {"verbose", 'v', ZN__APP_FLAG, OFF(verbose),
     .help = "print the counters to stderr"},
    {.name = NULL},
};

#undef OFF

static void on_answer(struct zn_dns_resolver *r, void *arg,
                      const struct zn_dns_answer *a);

/* Start every lookup a slot is free for.  A lookup the resolver refuses
 * for want of a slot (ZN_ENOMEM) waits for one to finish; any other
 * refusal ends it. */
static void launch(struct app *app) {
  while (app->next < app->n) {
    struct lookup *l = &app->l[app->next];
    int rc = zn_dns_resolve(app->r, l->text, l->qtype, on_answer, l, NULL);
    if (rc == ZN_ENOMEM && app->inflight > 0)
      return;
    app->next++;
    l->started = true;
    if (rc != ZN_OK) {
      l->start_err = rc;
      l->done = true;
      app->done++;
      continue;
    }
    app->inflight++;
  }
}

static struct app *the_app;

static void on_answer(struct zn_dns_resolver *r, void *arg,
                      const struct zn_dns_answer *a) {
  (void)r;
  struct lookup *l = arg;
  l->ans = *a;
  l->done = true;
  the_app->done++;
  the_app->inflight--;
}

static int tick(void *arg, struct zn_stack *st, uint64_t now) {
  (void)st;
  struct app *app = arg;
  if (app->started_at == 0)
    app->started_at = now ? now : 1;
  launch(app);
  if (app->done == app->n)
    return 1;
  if (now - app->started_at > app->budget_ns) {
    app->timed_out = true;
    return 1;
  }
  return 0;
}

static const char *rcode_name(uint8_t rcode) {
  static const char *const names[] = {"NOERROR",  "FORMERR", "SERVFAIL",
                                      "NXDOMAIN", "NOTIMP",  "REFUSED"};
  return rcode < sizeof(names) / sizeof(names[0]) ? names[rcode] : "?";
}

static const char *type_name(uint16_t qtype) {
  return qtype == ZN_DNS_TYPE_AAAA ? "AAAA" : "A";
}

/* Print one name's lookups; returns true if any found addresses.  A
 * failure that both lookups share (NXDOMAIN, timeout, server failure) is
 * printed once. */
static bool print_name(struct lookup *l, size_t nl) {
  bool resolved = false, alias_done = false, fail_done = false;
  for (size_t i = 0; i < nl; i++) {
    const struct zn_dns_answer *a = &l[i].ans;
    char canon[ZN_DNS_NAME_TEXT_MAX];
    if (!l[i].done || l[i].start_err != ZN_OK) {
      if (!fail_done)
        printf("Host %s not found: %s\n", l[i].text,
               l[i].done ? zn_strerror(l[i].start_err) : "no answer in time");
      fail_done = true;
      continue;
    }
    if (zn_dns_name_to_text(&a->canonical, canon, sizeof(canon), NULL) != ZN_OK)
      (void)snprintf(canon, sizeof(canon), "%s", l[i].text); /* display */
    bool aliased = !zn_dns_name_eq(&a->name, &a->canonical);
    if (aliased && !alias_done &&
        (a->status == ZN_OK || a->status == ZN_ENOENT)) {
      printf("%s is an alias for %s.\n", l[i].text, canon);
      alias_done = true;
    }
    const char *shown = aliased ? canon : l[i].text;
    switch (a->status) {
    case ZN_OK:
      resolved = true;
      for (uint32_t k = 0; k < a->naddr && k < ZN_DNS_MAX_ADDRS; k++) {
        char txt[ZN_IP_STRLEN];
        printf("%s has %saddress %s\n", shown,
               a->addrs[k].family == ZN_AF_INET6 ? "IPv6 " : "",
               zn_ip_format(&a->addrs[k], txt));
      }
      break;
    case ZN_ENOENT:
      if (a->rcode == ZN_DNS_RCODE_NXDOMAIN) {
        if (!fail_done)
          printf("Host %s not found: 3(NXDOMAIN)\n", l[i].text);
        fail_done = true;
      } else {
        printf("%s has no %s record\n", shown, type_name(a->qtype));
      }
      break;
    case ZN_ETIMEDOUT:
      if (!fail_done)
        printf("Host %s not found: connection timed out; no servers could "
               "be reached\n",
               l[i].text);
      fail_done = true;
      break;
    case ZN_ERANGE:
      printf("Host %s not found: CNAME chain too long or looping\n", l[i].text);
      break;
    default: /* ZN_EPROTO: the servers failed */
      if (fail_done)
        break;
      if (a->rcode != ZN_DNS_RCODE_NOERROR)
        printf("Host %s not found: %u(%s)\n", l[i].text, (unsigned)a->rcode,
               rcode_name(a->rcode));
      else
        printf("Host %s not found: malformed or truncated answer\n", l[i].text);
      fail_done = true;
      break;
    }
  }
  return resolved;
}

static void print_resolver_stats(FILE *fp, const struct zn_dns_resolver *r) {
  struct zn_dns_resolver_stats s;
  zn_dns_resolver_get_stats(r, &s);
  fprintf(fp, PROG ": resolver counters:\n");
  fprintf(fp, "  %-26s %10" PRIu64 "\n", "dns.queries", s.queries);
  fprintf(fp, "  %-26s %10" PRIu64 "\n", "dns.sent", s.sent);
  fprintf(fp, "  %-26s %10" PRIu64 "\n", "dns.retries", s.retries);
  fprintf(fp, "  %-26s %10" PRIu64 "\n", "dns.answers", s.answers);
  fprintf(fp, "  %-26s %10" PRIu64 "\n", "dns.mismatched", s.mismatched);
  fprintf(fp, "  %-26s %10" PRIu64 "\n", "dns.malformed", s.malformed);
  fprintf(fp, "  %-26s %10" PRIu64 "\n", "dns.timeouts", s.timeouts);
  fprintf(fp, "  %-26s %10" PRIu64 "\n", "dns.cname_requeries",
          s.cname_requeries);
  fprintf(fp, "  %-26s %10" PRIu64 "\n", "dns.cache_hits", s.cache_hits);
  fprintf(fp, "  %-26s %10" PRIu64 "\n", "dns.no_server", s.no_server);
  fprintf(fp, "  %-26s %10" PRIu64 "\n", "dns.tcp_retries", s.tcp_retries);
  fprintf(fp, "  %-26s %10" PRIu64 "\n", "dns.tcp_answers", s.tcp_answers);
  fprintf(fp, "  %-26s %10" PRIu64 "\n", "dns.tcp_failed", s.tcp_failed);
}

/* Run the loop until every lookup is done (or the budget is spent, or a
 * signal), print the results; returns the exit status. */
static int run(struct zn__app_host *h, struct app *app, size_t names,
               size_t per, bool verbose) {
  the_app = app;
  struct zn_loop_opts lo;
  memset(&lo, 0, sizeof(lo));
  lo.until = ZN_TIME_NEVER;
  lo.eof_linger = app->budget_ns; /* a replay: let the retries run out */
  lo.tick = tick;
  lo.arg = app;
  int err = zn__app_run(h, &lo);
  if (err != ZN_OK)
    fprintf(stderr, PROG ": interface failed: %s\n", zn_strerror(err));

  bool all = true;
  for (size_t i = 0; i < names; i++)
    if (!print_name(&app->l[i * per], per))
      all = false;
  (void)fflush(stdout);
  if (verbose) {
    print_resolver_stats(stderr, app->r);
    zn__app_print_stats(stderr, h->st, PROG);
    zn__app_print_netif_stats(stderr, h);
  }
  return all && err == ZN_OK ? 0 : ZN__APP_EXIT_FAIL;
}

int main(int argc, char **argv) {
  static struct zn__app_host h;
  struct resolve_opts ro = {
      .types = T_A, .timeout_ms = DEFAULT_TIMEOUT_MS, .tries = DEFAULT_TRIES};
  const struct zn__app_prog prog = {
      .name = PROG,
      .synopsis = "NAME... --resolver ADDR[:PORT] [-t A|AAAA|both] "
                  "[--timeout MS]\n"
                  "       --netif tap:NAME ADDRESS [OPTIONS]",
      .summary = "Look names up through znet's stub resolver and print "
                 "their addresses like host(1).\nExits 0 if every name "
                 "resolved, 1 otherwise.",
      .opts = resolve_flags,
      .arg = &ro,
  };

  zn__app_opts_default(&h.o);
  int first = zn__app_parse(&h.o, argc, argv, &prog);
  if (first >= argc)
    zn__app_usage_error(PROG, "no name to look up");
  if ((size_t)(argc - first) > MAX_NAMES)
    zn__app_usage_error(PROG, "too many names (at most %u)", MAX_NAMES);
  if (ro.nservers == 0 && h.o.nipv6 == 0 && !h.o.slaac && !h.o.dhcp)
    zn__app_usage_error(PROG, "--resolver ADDR[:PORT] is required (without it, "
                              "with --ipv6 or --slaac, the servers router "
                              "advertisements name; with --dhcp, the lease's)");
  zn__app_require_address(&h.o, PROG);
  for (int i = first; i < argc; i++) {
    struct zn_dns_name n;
    if (zn_dns_name_from_text(&n, argv[i], strlen(argv[i])) != ZN_OK)
      zn__app_usage_error(PROG, "bad name '%s'", argv[i]);
  }

  size_t names = (size_t)(argc - first);
  size_t per = ro.types == (T_A | T_AAAA) ? 2 : 1;
  struct app app;
  memset(&app, 0, sizeof(app));
  app.n = names * per;
  app.l = calloc(app.n, sizeof(*app.l));
  if (app.l == NULL) {
    fprintf(stderr, PROG ": out of memory\n");
    return ZN__APP_EXIT_FAIL;
  }
  for (size_t i = 0; i < names; i++) {
    for (size_t k = 0; k < per; k++) {
      struct lookup *l = &app.l[i * per + k];
      l->text = argv[first + (int)i];
      l->qtype = (ro.types & T_A) && k == 0 ? ZN_DNS_TYPE_A : ZN_DNS_TYPE_AAAA;
    }
  }
  /* Every try of one lookup (timeouts double), plus slack for ARP and a
   * CNAME re-query. */
  uint64_t per_lookup = 0, t = ro.timeout_ms;
  for (uint32_t i = 0; i < ro.tries; i++, t *= 2)
    per_lookup += t;
  app.budget_ns = ZN_MS(2 * per_lookup + 2000);

  /* Each query in flight takes a UDP socket: MAX_INFLIGHT fit in the
   * stack's default table. */
  if (zn__app_open(&h, PROG) != 0) {
    free(app.l);
    return ZN__APP_EXIT_FAIL;
  }

  /* With --dhcp: an address, and the lease's DNS servers, first. */
  if (h.o.dhcp && !zn__app_dhcp4_wait_bound(&h, ZN_SEC(60)))
    fprintf(stderr, PROG ": no DHCP lease within 60 s\n");

  struct zn_dns_resolver_cfg rc;
  zn_dns_resolver_cfg_default(&rc);
  memcpy(rc.servers, ro.servers, sizeof(rc.servers));
  rc.nservers = ro.nservers;
  rc.timeout_ms = ro.timeout_ms;
  rc.tries = ro.tries;
  rc.max_queries = MAX_INFLIGHT;
  size_t rlen = zn_dns_resolver_mem_size(&rc);
  void *rmem = rlen ? malloc(rlen) : NULL;
  int err =
      rmem ? zn_dns_resolver_init(h.st, &rc, rmem, rlen, &app.r) : ZN_ENOMEM;
  int status = ZN__APP_EXIT_FAIL;
  if (err != ZN_OK) {
    fprintf(stderr, PROG ": zn_dns_resolver_init: %s\n", zn_strerror(err));
  } else {
    status = run(&h, &app, names, per, ro.verbose);
    zn_dns_resolver_destroy(app.r);
  }
  zn__app_close(&h, PROG);
  free(rmem);
  free(app.l);
  return status;
}
