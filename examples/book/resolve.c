/* Chapter 3: a DNS resolver.  Looks up each name after "--", A and AAAA,
 * at the server "--server ADDR[:PORT]" names, else at the one the DHCP
 * lease names; prints a line per answer; exits 0 if every name has an
 * address, 1 if not. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <znet/app.h>
#include <znet/dns.h>

#define MAX_NAMES 8 /* two lookups each: the 16 the resolver runs at once */

struct lookup {
  const char *name;
  uint16_t qtype;
  bool done;
  struct zn_dns_answer a;
  int *left; /* lookups not answered yet */
};
struct run {
  struct zn_dns_resolver_cfg cfg; /* nservers 0: the lease's, when known */
  struct zn_dns_resolver *r;      /* NULL until the server is known */
  void *mem;
  uint64_t give_up; /* on DHCP */
  struct lookup l[2 * MAX_NAMES];
  int n, left;
};

static void answered(struct zn_dns_resolver *r, void *arg,
                     const struct zn_dns_answer *a) {
  struct lookup *l = arg;
  (void)r;
  l->a = *a, l->done = true;
  --*l->left;
}
static const char *why(const struct lookup *l) {
  if (!l->done)
    return "not answered";
  if (l->a.status == ZN_ENOENT && l->a.rcode == ZN_DNS_RCODE_NXDOMAIN)
    return "no such name (NXDOMAIN)";
  if (l->a.status == ZN_ENOENT)
    return "no address of this type";
  if (l->a.status == ZN_ETIMEDOUT)
    return "no answer from the server (timed out)";
  return "the server failed (SERVFAIL, REFUSED, a bad answer, CNAME loop)";
}
/* A line per address, or one saying why none; true if any. */
static bool print(const struct lookup *l) {
  const char *type = l->qtype == ZN_DNS_TYPE_A ? "A" : "AAAA";
  char addr[ZN_IP_STRLEN], canonical[ZN_DNS_NAME_TEXT_MAX] = "";
  if (l->done && !zn_dns_name_eq(&l->a.name, &l->a.canonical)) /* a CNAME */
    (void)zn_dns_name_to_text(&l->a.canonical, canonical, sizeof(canonical),
                              NULL);
  for (uint32_t i = 0; l->done && i < l->a.naddr; i++)
    printf("%s %s %s%s%s\n", l->name, type, zn_ip_format(&l->a.addrs[i], addr),
           canonical[0] ? " via " : "", canonical);
  if (!l->done || l->a.status != ZN_OK)
    printf("%s %s: %s\n", l->name, type, why(l));
  return l->done && l->a.status == ZN_OK;
}

/* The resolver, once its server is known, and every lookup at once. */
static int start(struct run *run, struct zn_stack *st) {
  char addr[ZN_IP_STRLEN];
  size_t len = zn_dns_resolver_mem_size(&run->cfg);
  int rc = (run->mem = malloc(len)) == NULL
               ? ZN_ENOMEM
               : zn_dns_resolver_init(st, &run->cfg, run->mem, len, &run->r);
  if (rc != ZN_OK) {
    fprintf(stderr, "resolve: no resolver: %s\n", zn_strerror(rc));
    return rc;
  }
  printf("resolve: asking %s port %u\n",
         zn_ip_format(&run->cfg.servers[0].addr, addr),
         (unsigned)run->cfg.servers[0].port);
  for (struct lookup *l = run->l; l < run->l + run->n; l++)
    if ((rc = zn_dns_resolve(run->r, l->name, l->qtype, answered, l, NULL)) !=
        ZN_OK) {
      fprintf(stderr, "resolve: %s: %s\n", l->name, zn_strerror(rc));
      run->left--;
    }
  return ZN_OK;
}
static int fail(const char *what, const char *arg) {
  fprintf(stderr, "resolve: %s%s\n", what, arg);
  return ZN_EINVAL;
}
/* Starts the lookups once the server is known; non-zero: stop. */
static int tick(void *arg, struct zn_app *app, uint64_t now) {
  struct run *run = arg;
  struct zn_stack *st = zn_app_stack(app);
  if (run->r != NULL)
    return run->left == 0;
  if (run->cfg.nservers == 0 && zn_dhcp4_state(st) == ZN_DHCP4_OFF)
    return fail("no server: give --server ADDR, or --dhcp for the lease's", "");
  if (run->cfg.nservers == 0 &&
      zn_dhcp4_dns_server(st, 0, &run->cfg.servers[0].addr) == ZN_OK)
    run->cfg.nservers = 1;
  if (run->cfg.nservers == 1)
    return start(run, st);
  return now > run->give_up ? fail("no DNS server from DHCP in 30 s", "") : 0;
}

/* The program's arguments: [--server ADDR[:PORT]] NAME... */
static int parse(struct run *run, struct zn_app *app) {
  int argc, first = 1;
  char **argv = zn_app_argv(app, &argc);
  struct zn_dns_server *srv = &run->cfg.servers[0];
  struct zn_dns_name name;
  zn_dns_resolver_cfg_default(&run->cfg);
  run->cfg.timeout_ms = 500, run->cfg.tries = 3; /* 3.5 s in all */
  srv->port = 53;
  if (argc > 1 && strcmp(argv[1], "--server") == 0) {
    if (argc < 3 ||
        zn_ip_parse_endpoint(argv[2], &srv->addr, &srv->port, 53) != ZN_OK)
      return fail("--server takes ADDR, ADDR:PORT or [IPV6]:PORT", "");
    run->cfg.nservers = 1, first = 3;
  }
  if (argc == first || argc - first > MAX_NAMES)
    return fail("give 1 to 8 names to look up", "");
  for (int i = first; i < argc; i++) {
    if (zn_dns_name_from_text(&name, argv[i], strlen(argv[i])) != ZN_OK)
      return fail("not a domain name: ", argv[i]);
    run->l[run->n++] = (struct lookup){
        .name = argv[i], .qtype = ZN_DNS_TYPE_A, .left = &run->left};
    run->l[run->n++] = (struct lookup){
        .name = argv[i], .qtype = ZN_DNS_TYPE_AAAA, .left = &run->left};
  }
  run->left = run->n;
  return ZN_OK;
}

int main(int argc, char **argv) {
  static const struct zn_app_opts opts = {
      .synopsis = "[OPTIONS] -- [--server ADDR[:PORT]] NAME...",
      .summary = "looks names up (A and AAAA) and prints the answers"};
  static struct run run;
  struct zn_app *app;
  int rc = zn_app_open(argc, argv, &opts, &app), resolved = 0;
  if (rc == ZN_OK && (rc = parse(&run, app)) == ZN_OK) {
    zn_app_settle(app); /* a lease, IPv6's duplicate address checks */
    struct zn_app_run_opts ro = {.tick = tick, .arg = &run};
    run.give_up = zn_app_now(app) + ZN_SEC(30);
    rc = zn_app_run(app, &ro);
    for (int i = 0; run.r != NULL && i < run.n; i += 2) {
      bool a = print(&run.l[i]), aaaa = print(&run.l[i + 1]);
      resolved += a || aaaa;
    }
    if (run.r != NULL)
      printf("resolve: %d of %d names resolved\n", resolved, run.n / 2);
  }
  if (run.r != NULL)
    zn_dns_resolver_destroy(run.r);
  free(run.mem);
  zn_app_close(app);
  if (rc == ZN_APP_HELP)
    return 0;
  return rc == ZN_OK && run.r != NULL && resolved == run.n / 2 ? 0 : 1;
}
