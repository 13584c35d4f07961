/*
 * znet-dns-blocker: a forwarding DNS server that answers blocked names
 * itself (an ad blocker in the manner of Pi-hole), on UDP and TCP port 53,
 * and with --tls-port over TLS (DNS over TLS, RFC 7858).
 *
 *     znet-dns-blocker --upstream 10.0.0.1 --blocklist hosts.txt \
 *         --netif tap:zntap0 --ipv4 10.0.0.2/24 [--block-mode zero]
 *     znet-dns-blocker --upstream-tls dns.example@10.0.0.1 --ca ca.pem \
 *         --tls-port 853 --cert cert.pem --key key.pem ...
 *
 * With --upstream-tls NAME@ADDR every query goes to the upstream over TLS
 * (port 853 unless given), whose certificate must be from a CA of --ca
 * and name NAME: persistent connections, queries pipelined (the
 * forwarder's rule, znet/dns.h: strict, SERVFAIL when no connection can
 * be had; --upstream-tls-opportunistic falls back to UDP port 53 in
 * clear instead).  TLS sessions come from pools of --tls-sessions (DoT
 * clients) and --upstream-streams (upstream) sessions, malloc'd at start.
 *
 * The server is the library's forwarder (znet/dns.h, "Forwarder": sanity
 * checks, blocklist, answer cache, forwarding with fresh IDs, SERVFAIL
 * after --upstream-timeout, TCP clients and the TCP retry of truncated
 * answers); the blocklist is the library's matcher, loaded from a hosts
 * file or plain list (--blocklist) and --block names.  This program reads
 * the command line and the file, gives both their memory (malloc'd: the
 * stack and the library allocate nothing), runs the loop, and at exit
 * prints the DNS counters (the main ones always, the others when not
 * zero), then the stack's own.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "app_int.h"
#include "common_tls.h"
#include "znet/dns.h"

#define PROG "znet-dns-blocker"
#define MAX_CACHE (1u << 20)
#define WARN_MAX 5 /* blocklist warnings printed */
#define CA_DEFAULT "/etc/ssl/certs/ca-certificates.crt"
#define TLS_SESSIONS_DEFAULT 32u

/* ---- the blocklist ----------------------------------------------------- */

struct reject_ctx {
  const char *file;
  uint64_t shown;
};

/* The first WARN_MAX rejected tokens are shown. */
static void on_reject(void *arg, uint64_t line, const char *tok, size_t len) {
  struct reject_ctx *r = arg;
  if (r->shown++ < WARN_MAX)
    fprintf(stderr,
            PROG ": %s:%" PRIu64 ": skipping '%.*s' (not a host "
                 "name)\n",
            r->file, line, (int)len, tok);
}

/* The whole file in malloc'd *out (*len bytes; NULL if empty).  Returns
 * 0, or -1 (message printed) if it cannot be read. */
static int read_file(const char *file, char **out, size_t *len) {
  FILE *fp = fopen(file, "r");
  if (fp == NULL) {
    fprintf(stderr, PROG ": cannot read blocklist '%s': %s\n", file,
            strerror(errno));
    return -1;
  }
  char *text = NULL, *line = NULL;
  size_t cap = 0, lcap = 0;
  ssize_t got;
  *len = 0;
  while ((got = getline(&line, &lcap, fp)) >= 0) {
    if (*len + (size_t)got > cap) {
      size_t ncap = cap ? cap : 65536;
      while (ncap < *len + (size_t)got)
        ncap *= 2;
      char *more = realloc(text, ncap);
      if (more == NULL)
        break;
      text = more;
      cap = ncap;
    }
    memcpy(text + *len, line, (size_t)got);
    *len += (size_t)got;
  }
  bool err = ferror(fp) || got >= 0; /* got >= 0: out of memory */
  free(line);
  (void)fclose(fp); /* read only: ferror said what matters */
  if (err) {
    fprintf(stderr, PROG ": error reading blocklist '%s'\n", file);
    free(text);
    return -1;
  }
  *out = text;
  return 0;
}

/* The set of --blocklist's names and --block's, in malloc'd *mem; keyed
 * with a secret from the host, since the names looked up come from the
 * network.  Returns NULL (message printed) on failure. */
static struct zn_dns_blocklist *
load_blocklist(const char *file, const char **block, size_t nblock, void **mem,
               struct zn_dns_blocklist_stats *ls) {
  size_t len = 0;
  char *text = NULL;
  struct zn_dns_blocklist *bl = NULL;
  uint8_t seed[32];
  struct zn_dns_blocklist_cfg cfg;
  memset(ls, 0, sizeof(*ls));
  *mem = NULL;
  if (file && read_file(file, &text, &len) != 0)
    return NULL;
  if (zn_host_seed(seed) != ZN_OK) {
    fprintf(stderr, PROG ": getrandom failed: %s\n", strerror(errno));
    free(text);
    return NULL;
  }
  zn_dns_blocklist_measure(text ? text : "", len, (uint32_t)nblock, &cfg);
  size_t need = zn_dns_blocklist_mem_size(&cfg);
  *mem = need ? malloc(need) : NULL;
  if (*mem == NULL ||
      zn_dns_blocklist_init(&cfg, seed, *mem, need, &bl) != ZN_OK) {
    fprintf(stderr, PROG ": out of memory for the blocklist\n");
    free(text);
    return NULL;
  }
  struct reject_ctx rc = {.file = file, .shown = 0};
  if (text)
    (void)zn_dns_blocklist_parse(bl, text, len, on_reject, &rc, ls);
  rc.file = "--block";
  for (size_t i = 0; i < nblock; i++)
    if (zn_dns_blocklist_add_text(bl, block[i], strlen(block[i]), ls) ==
        ZN_EINVAL)
      on_reject(&rc, i + 1, block[i], strlen(block[i]));
  free(text);
  return bl;
}

/* ---- setup ---- */

/* The forwarder's settings, and what the command line says besides. */
struct blk_opts {
  struct zn_dns_forwarder_cfg fc;
  bool has_up, up_tls;
  const char *blocklist;
  const char **block; /* --block NAME, in order */
  size_t nblock;
  uint16_t tls_port; /* --tls-port: DoT clients; 0: none */
  const char *cert, *key, *ca;
  uint32_t tls_sessions;
  char up_name[256]; /* --upstream-tls NAME@... */
  struct ex_tls *srv_tls, *up_tls_cfg;
};

static int parse_upstream(void *base, const char *val, const char *prog) {
  struct blk_opts *o = base;
  (void)prog;
  o->has_up = true;
  return zn__app_parse_dns_server(val, &o->fc.upstream);
}

/* NAME@ADDR[:PORT]: the upstream over TLS, whose certificate must name
 * NAME. */
static int parse_upstream_tls(void *base, const char *val, const char *prog) {
  struct blk_opts *o = base;
  (void)prog;
  const char *at = strchr(val, '@');
  size_t n = at ? (size_t)(at - val) : 0;
  if (n == 0 || n >= sizeof(o->up_name))
    return -1;
  memcpy(o->up_name, val, n);
  o->up_name[n] = '\0';
  o->has_up = o->up_tls = true;
  /* RFC 7858 3.1: port 853 unless given. */
  return zn__app_parse_dns_server_port(at + 1, &o->fc.upstream, 853);
}

static int parse_block(void *base, const char *val, const char *prog) {
  struct blk_opts *o = base;
  const char **more = realloc(o->block, (o->nblock + 1) * sizeof(*more));
  if (more == NULL)
    zn__app_usage_error(prog, "out of memory");
  more[o->nblock++] = val;
  o->block = more;
  return 0;
}

static int parse_block_mode(void *base, const char *val, const char *prog) {
  struct blk_opts *o = base;
  (void)prog;
  o->fc.block_zero = strcmp(val, "zero") == 0;
  return o->fc.block_zero || strcmp(val, "nxdomain") == 0 ? 0 : -1;
}

#define OFF(field) offsetof(struct blk_opts, field)

static const struct zn__app_opt blk_flags[] = {
    {"upstream", 0, ZN__APP_FN, .fn = parse_upstream, .arg = "ADDR[:PORT]",
     .want = "IPv4 ADDR[:PORT] or IPv6 ADDR or [ADDR]:PORT",
     .help = "server to forward to (port 53 by default)"},
    {"upstream-tls", 0, ZN__APP_FN, .fn = parse_upstream_tls,
     .arg = "NAME@ADDR[:PORT]",
     .want = "NAME@ADDR[:PORT] (NAME: the certificate's name)",
     .help = "forward over TLS instead (DNS over TLS, port 853\nby default); "
             "the certificate must name NAME"},
    {"ca", 0, ZN__APP_STR, OFF(ca), .arg = "BUNDLE.pem",
     .help = "CA certificates trusted for --upstream-tls\n(default " CA_DEFAULT
             ")"},
    {"upstream-tls-opportunistic", 0, ZN__APP_FLAG,
     OFF(fc.upstream_fallback_udp),
     .help = "ask over UDP, in clear, when no TLS connection\nto the "
             "upstream can be had (default: SERVFAIL)"},
    {"upstream-streams", 0, ZN__APP_U32, OFF(fc.upstream_streams), 1, 16,
     .arg = "N", .want = "1..16",
     .help = "TLS connections to the upstream at most\n(default 2)"},
    {"tls-port", 0, ZN__APP_U16, OFF(tls_port), 1, 65535, .arg = "N",
     .help = "also serve DNS over TLS on port N (853; --cert\nand --key, or "
             "the built-in certificate)"},
    {"cert", 0, ZN__APP_STR, OFF(cert), .arg = "CERT.pem",
     .help = "the DoT service's certificate chain (PEM)"},
    {"key", 0, ZN__APP_STR, OFF(key), .arg = "KEY.pem",
     .help = "its private key (PEM)"},
    {"tls-sessions", 0, ZN__APP_U32, OFF(tls_sessions), 1, 65535, .arg = "N",
     .help = "DoT clients at once (default 32; each holds\none TLS session's "
             "memory)"},
    {"blocklist", 0, ZN__APP_STR, OFF(blocklist), .arg = "FILE",
     .help = "hosts-file lines (0.0.0.0 NAME...) or one name per\nline; a "
             "name blocks its subdomains too"},
    {"block", 0, ZN__APP_FN, .fn = parse_block, .arg = "NAME",
     .help = "block NAME too (repeatable; with or instead of\n--blocklist, "
             "or on the command line alone)"},
    {"block-mode", 0, ZN__APP_FN, .fn = parse_block_mode,
     .arg = "nxdomain|zero", .want = "nxdomain or zero",
     .help = "answer blocked names NXDOMAIN (default) or\n0.0.0.0 / :: (other "
             "types: no data)"},
    {"listen-port", 0, ZN__APP_U16, OFF(fc.port), 1, 65535, .arg = "N",
     .help = "UDP and TCP port to serve (default 53)"},
    {"cache", 0, ZN__APP_U32, OFF(fc.cache_entries), 0, MAX_CACHE, .arg = "N",
     .help = "answers cached (default 4096; 0: none)"},
    {"cache-answer-max", 0, ZN__APP_U32, OFF(fc.cache_msg_max), 512, 4096,
     .arg = "BYTES", .want = "512..4096 bytes",
     .help = "longest answer cached (default 1232; each\nentry reserves this "
             "much)"},
    {"upstream-timeout", 0, ZN__APP_U32, OFF(fc.upstream_timeout_ms), 1, 600000,
     .arg = "MS", .want = "1..600000 ms",
     .help = "SERVFAIL a forwarded query after this long\n(default 5000)"},
    {"tcp-idle-timeout", 0, ZN__APP_U32, OFF(fc.tcp_idle_ms), 1, 3600000,
     .arg = "MS", .want = "1..3600000 ms",
     .help = "close a TCP client connection idle this long\n(default 10000)"},
    {.name = NULL},
};

#undef OFF

/* The forwarder in malloc'd *mem.  NULL (message printed) on failure. */
static struct zn_dns_forwarder *
forwarder_start(struct zn_stack *st, const struct blk_opts *o, void **mem) {
  struct zn_dns_forwarder *fw = NULL;
  size_t len = zn_dns_forwarder_mem_size(&o->fc);
  *mem = len ? malloc(len) : NULL;
  if (*mem == NULL) {
    fprintf(stderr, PROG ": out of memory\n");
    return NULL;
  }
  int rc = zn_dns_forwarder_init(st, &o->fc, *mem, len, &fw);
  if (rc != ZN_OK)
    fprintf(stderr, PROG ": cannot serve DNS on port %u: %s\n",
            (unsigned)o->fc.port, zn_strerror(rc));
  return fw;
}

/* The TLS pools the forwarder is given (before it starts, after the
 * stack).  Returns 0, or -1 (message printed). */
static const char *const dot_alpn[] = {"dot"};

static int tls_setup(struct zn_stack *st, struct blk_opts *o) {
  if (o->tls_port) {
    o->srv_tls = ex_tls_server_new(o->cert, o->key, PROG);
    if (o->srv_tls == NULL)
      return -1;
    ex_tls_set_alpn(o->srv_tls, dot_alpn, 1);
    o->fc.stream_port = o->tls_port;
    o->fc.stream_server =
        ex_tls_maker(o->srv_tls, st, NULL, o->tls_sessions, PROG);
    if (o->fc.stream_server == NULL)
      return -1;
  }
  if (o->up_tls) {
    o->up_tls_cfg = ex_tls_client_new(o->ca ? o->ca : CA_DEFAULT, PROG);
    if (o->up_tls_cfg == NULL)
      return -1;
    o->fc.upstream_stream = ex_tls_maker(o->up_tls_cfg, st, o->up_name,
                                         o->fc.upstream_streams, PROG);
    if (o->fc.upstream_stream == NULL)
      return -1;
  }
  return 0;
}

/* The main counters always, the others if not 0. */
static void print_fwd_stats(FILE *fp, const struct zn_dns_forwarder *fw) {
  struct zn_dns_forwarder_stats s;
  memset(&s, 0, sizeof(s));
  if (fw)
    zn_dns_forwarder_get_stats(fw, &s);
  fprintf(fp, PROG ": dns counters (the main ones, and others if not 0):\n");
#define X(name, main, text)                                                    \
  if ((main) || s.name != 0)                                                   \
    fprintf(fp, "  dns.%-22s %10" PRIu64 "  %s\n", #name, s.name, text);
  ZN_DNS_FWD_STATS(X)
#undef X
  fprintf(fp, "  %-26s %10" PRIu32 "\n", "dns.cache_entries", s.cache_entries);
  fprintf(fp, "  %-26s %10" PRIu32 "\n", "dns.pending_at_exit", s.pending);
  fprintf(fp, "  %-26s %10" PRIu32 "\n", "dns.tcp_open_at_exit", s.tcp_open);
}

static void print_banner(struct zn__app_host *h, const struct blk_opts *bo,
                         const struct zn_dns_blocklist_stats *ls) {
  char up[ZN_IP_STRLEN];
  zn__app_print_banner(h);
  printf(PROG ": blocklist %s: %" PRIu64 " names (%" PRIu64 " lines, %" PRIu64
              " duplicates, %" PRIu64 " local names ignored, %" PRIu64
              " invalid)\n",
         bo->blocklist ? bo->blocklist : "--block", ls->added, ls->lines,
         ls->duplicates, ls->ignored, ls->invalid);
  bool v6 = bo->fc.upstream.addr.family == ZN_AF_INET6;
  char dot[64] = "";
  if (bo->tls_port)
    (void)snprintf(dot, sizeof(dot), ", TLS port %u", (unsigned)bo->tls_port);
  unsigned up_port = bo->fc.upstream.port ? bo->fc.upstream.port
                     : bo->up_tls         ? 853u
                                          : 53u;
  printf(PROG
         ": serving DNS on UDP and TCP port %u%s, upstream %s%s%s%s%s:%u%s, "
         "blocked names answered %s, cache %" PRIu32 " answers\n",
         (unsigned)bo->fc.port, dot, bo->up_tls ? bo->up_name : "",
         bo->up_tls ? "@" : "", v6 ? "[" : "",
         zn_ip_format(&bo->fc.upstream.addr, up), v6 ? "]" : "", up_port,
         !bo->up_tls                    ? ""
         : bo->fc.upstream_fallback_udp ? " over TLS (opportunistic)"
                                        : " over TLS (strict)",
         bo->fc.block_zero ? "0.0.0.0/::" : "NXDOMAIN", bo->fc.cache_entries);
  (void)fflush(stdout);
}

int main(int argc, char **argv) {
  static struct zn__app_host h;
  struct blk_opts bo;
  memset(&bo, 0, sizeof(bo));
  zn_dns_forwarder_cfg_default(&bo.fc);
  const struct zn__app_prog prog = {
      .name = PROG,
      .synopsis = "--upstream ADDR[:PORT]|--upstream-tls NAME@ADDR[:PORT] "
                  "--blocklist FILE|--block NAME...\n"
                  "       [--block-mode nxdomain|zero] [--listen-port 53] "
                  "[--tls-port 853 --cert CERT.pem --key KEY.pem]\n"
                  "       [--cache N] --netif tap:NAME ADDRESS [OPTIONS]",
      .summary = "A forwarding DNS server (UDP, TCP, and DNS over TLS) that "
                 "answers names on a\nblocklist itself (NXDOMAIN or "
                 "0.0.0.0/::) and caches the rest, forwarding over UDP\nor "
                 "TLS; prints its counters at exit.",
      .opts = blk_flags,
      .arg = &bo,
  };

  bo.tls_sessions = TLS_SESSIONS_DEFAULT;
  zn__app_opts_default(&h.o);
  int first = zn__app_parse(&h.o, argc, argv, &prog);
  if (first < argc)
    zn__app_usage_error(PROG, "unexpected argument '%s'", argv[first]);
  if (!bo.has_up)
    zn__app_usage_error(PROG, "--upstream ADDR[:PORT] or --upstream-tls "
                              "NAME@ADDR[:PORT] is required");
  if ((bo.cert == NULL) != (bo.key == NULL))
    zn__app_usage_error(PROG, "--cert and --key go together");
  if (bo.cert && !bo.tls_port)
    zn__app_usage_error(PROG, "--cert and --key need --tls-port");
  if (bo.tls_port && !bo.cert && ex_tls_available() && !ex_tls_has_embedded())
    zn__app_usage_error(PROG,
                        "--tls-port needs --cert and --key (this build has "
                              "no built-in certificate)");
  if (bo.tls_port && bo.tls_port == (bo.fc.port ? bo.fc.port : 53))
    zn__app_usage_error(PROG, "--tls-port %u is the DNS port",
                        (unsigned)bo.tls_port);
  if ((bo.ca || bo.fc.upstream_fallback_udp) && !bo.up_tls)
    zn__app_usage_error(PROG, "--ca and --upstream-tls-opportunistic go with "
                              "--upstream-tls");
  if (bo.blocklist == NULL && bo.nblock == 0)
    zn__app_usage_error(PROG, "--blocklist FILE or --block NAME is required");
  zn__app_require_address(&h.o, PROG);

  struct zn_dns_blocklist_stats ls;
  void *bl_mem = NULL, *fw_mem = NULL;
  bo.fc.blocklist =
      load_blocklist(bo.blocklist, bo.block, bo.nblock, &bl_mem, &ls);
  free(bo.block);
  if (bo.fc.blocklist == NULL || zn__app_open(&h, PROG) != 0) {
    free(bl_mem);
    return ZN__APP_EXIT_FAIL;
  }
  bo.fc.tcp_clients = h.cfg.tcp_conns; /* the stack's table is the bound */
  int status = 0;
  struct zn_dns_forwarder *fw = NULL;
  if (tls_setup(h.st, &bo) == 0)
    fw = forwarder_start(h.st, &bo, &fw_mem);
  if (fw == NULL) {
    status = ZN__APP_EXIT_FAIL;
  } else {
    print_banner(&h, &bo, &ls);
    struct zn_loop_opts lo;
    memset(&lo, 0, sizeof(lo));
    lo.until = ZN_TIME_NEVER;
    /* A replay: let pending queries time out before the end. */
    lo.eof_linger = ZN_MS(bo.fc.upstream_timeout_ms) + ZN_SEC(1);
    int rc = zn__app_run(&h, &lo);
    if (rc != ZN_OK) {
      fprintf(stderr, PROG ": interface failed: %s\n", zn_strerror(rc));
      status = ZN__APP_EXIT_FAIL;
    }
  }
  print_fwd_stats(stderr, fw);
  if (fw)
    zn_dns_forwarder_stop(fw);
  if (bo.srv_tls) {
    fprintf(stderr, PROG ": DoT sessions refused (none free): %" PRIu64 "\n",
            ex_tls_maker_refused(bo.srv_tls));
    ex_tls_print_stats(stderr, bo.srv_tls, "tls");
  }
  if (bo.up_tls_cfg)
    ex_tls_print_stats(stderr, bo.up_tls_cfg, "upstream_tls");
  free(fw_mem);
  free(bl_mem);
  zn__app_print_stats(stderr, h.st, PROG);
  zn__app_print_netif_stats(stderr, &h);
  zn__app_close(&h, PROG);
  ex_tls_free(bo.srv_tls); /* the sessions' pools: after the stack */
  ex_tls_free(bo.up_tls_cfg);
  return status;
}
