/* Chapter 4: a DNS blocker.  Serves DNS on port 53, UDP and TCP: names on
 * the blocklist (a file: hosts-file lines or one name per line) and the
 * names below them get 0.0.0.0 or ::, the rest goes to the upstream
 * resolver and its answers are cached.  Prints its counters when stopped. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <znet/app.h>
#include <znet/dns.h>

/* The whole file, malloc'd (*len bytes); NULL (errno set) if unreadable. */
static char *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "r");
  char *text = NULL, *more;
  size_t cap = 0;
  *len = 0;
  while (f != NULL && *len == cap && (more = realloc(text, cap + 4096))) {
    text = more, cap += 4096;
    *len += fread(text + *len, 1, cap - *len, f);
  }
  bool ok = f != NULL && *len < cap && !ferror(f);
  if (f != NULL)
    (void)fclose(f); /* read only: ferror said what matters */
  if (!ok)
    free(text);
  return ok ? text : NULL;
}
static void rejected(void *arg, uint64_t line, const char *tok, size_t len) {
  fprintf(stderr, "blocker: %s:%u: not a host name: '%.*s'\n",
          (const char *)arg, (unsigned)line, (int)len, tok);
}
/* The list in the file at path, in malloc'd *mem, for cfg. */
static int load(struct zn_stack *st, char *path, void **mem,
                struct zn_dns_forwarder_cfg *cfg) {
  struct zn_dns_blocklist_cfg bc;
  struct zn_dns_blocklist_stats s = {0};
  struct zn_dns_blocklist *bl = NULL;
  uint8_t key[16]; /* hashes the names: secret, as clients pick names */
  size_t len, size;
  char *text = read_file(path, &len);
  if (text == NULL) {
    fprintf(stderr, "blocker: cannot read %s: %s\n", path, strerror(errno));
    return ZN_EIO;
  }
  zn_dns_blocklist_measure(text, len, 1, &bc);
  zn_random_bytes(st, key, sizeof(key));
  int rc = (*mem = malloc(size = zn_dns_blocklist_mem_size(&bc))) == NULL
               ? ZN_ENOMEM
               : zn_dns_blocklist_init(&bc, key, *mem, size, &bl);
  if (rc == ZN_OK)
    rc = zn_dns_blocklist_parse(bl, text, len, rejected, path, &s);
  printf("blocker: %s: %u names blocked (%u lines, %u duplicates, %u local "
         "names ignored, %u rejected)\n",
         path, (unsigned)s.added, (unsigned)s.lines, (unsigned)s.duplicates,
         (unsigned)s.ignored, (unsigned)s.invalid);
  free(text);
  cfg->blocklist = bl;
  return rc;
}
/* The forwarder, serving UDP and TCP port 53, in malloc'd *mem. */
static int serve(struct zn_stack *st, const struct zn_dns_forwarder_cfg *cfg,
                 void **mem, struct zn_dns_forwarder **fw) {
  size_t size = zn_dns_forwarder_mem_size(cfg);
  int rc = (*mem = malloc(size)) == NULL
               ? ZN_ENOMEM
               : zn_dns_forwarder_init(st, cfg, *mem, size, fw);
  if (rc != ZN_OK)
    fprintf(stderr, "blocker: cannot serve DNS: %s\n", zn_strerror(rc));
  return rc;
}
static void print_counters(const struct zn_dns_forwarder *fw) {
  struct zn_dns_forwarder_stats s;
  zn_dns_forwarder_get_stats(fw, &s);
  printf("blocker: %u queries (%u over TCP): %u blocked, %u from the cache, "
         "%u forwarded, %u answered by the upstream\n",
         (unsigned)s.queries, (unsigned)s.tcp_queries, (unsigned)s.blocked,
         (unsigned)s.cache_hits, (unsigned)s.forwarded, (unsigned)s.answered);
}
/* The program's arguments: UPSTREAM[:PORT] BLOCKLIST; NULL if not. */
static char **parse(struct zn_app *app, struct zn_dns_forwarder_cfg *cfg) {
  int argc;
  char **argv = zn_app_argv(app, &argc);
  if (argc == 3 && zn_ip_parse_endpoint(argv[1], &cfg->upstream.addr,
                                        &cfg->upstream.port, 53) == ZN_OK)
    return argv;
  fprintf(stderr, "blocker: give -- UPSTREAM[:PORT] BLOCKLIST\n");
  return NULL;
}

int main(int argc, char **argv) {
  static const struct zn_app_opts opts = {
      .synopsis = "[OPTIONS] -- UPSTREAM[:PORT] BLOCKLIST",
      .summary = "a DNS server that blocks the names of a list"};
  struct zn_app *app;
  struct zn_dns_forwarder_cfg cfg;
  struct zn_dns_forwarder *fw;
  void *bl_mem = NULL, *fw_mem = NULL;
  char **args = NULL;
  zn_dns_forwarder_cfg_default(&cfg);
  cfg.block_zero = true; /* 0.0.0.0 and ::, not NXDOMAIN */
  int rc = zn_app_open(argc, argv, &opts, &app);
  if (rc == ZN_OK && (args = parse(app, &cfg)) == NULL)
    rc = ZN_EINVAL;
  if (rc == ZN_OK &&
      (rc = load(zn_app_stack(app), args[2], &bl_mem, &cfg)) == ZN_OK &&
      (rc = serve(zn_app_stack(app), &cfg, &fw_mem, &fw)) == ZN_OK) {
    printf("blocker: serving DNS on port 53, upstream %s\n", args[1]);
    (void)fflush(stdout); /* the lines above, before it serves */
    rc = zn_app_run(app, NULL); /* until SIGINT or SIGTERM */
    print_counters(fw);
    zn_dns_forwarder_stop(fw);
  }
  free(fw_mem);
  free(bl_mem);
  zn_app_close(app);
  return rc == ZN_OK || rc == ZN_APP_HELP ? 0 : 1;
}
