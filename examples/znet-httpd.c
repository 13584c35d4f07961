/*
 * znet-httpd: a static-file web server, HTTP/1.1 and (with libznet-tls)
 * HTTPS, on a TAP device or as a Solo5 unikernel (libznet-rt: the files
 * from the root archive on its block device).
 *
 *     znet-httpd --netif tap:zntap0 --ipv4 10.0.0.2/24 --root DIR \
 *         [--port 80] [--tls-port 443 --cert CERT.pem --key KEY.pem \
 *         [--ocsp RESP.der]] [--max-conns N] [--busy N]
 *
 * The server is the library's (znet/http.h, "The server": GET and HEAD,
 * keep-alive and pipelining, ranges, conditional requests, the timeouts
 * and the connection cap); what it serves is a content source: the
 * files under --root, opened beneath it, mmap'ed and cached
 * (httpd_files.c).
 * HTTPS is the same server's second port, its connections made into TLS
 * sessions by a zn_tls_pool (common_tls.c; ALPN http/1.1); a build
 * without libznet-tls refuses --tls-port with that reason.  --ocsp
 * staples an OCSP response the operator fetched to TLS 1.3 handshakes
 * (TLS 1.2's cannot carry one: znet/tls.h), and SIGHUP reads the file
 * again (the loop's tick does it; common_tls.c keeps the response
 * replaced until no handshake can be sending it).  This program
 * reads the command line, sizes the stack for the connections (a small
 * slot each, and a request context per request in flight), gives
 * everything its memory, prints an access log line per request with
 * --log info (or more), and at exit prints the server's, the files', the
 * TLS and the stack's counters.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app_int.h"
#include "common_tls.h"
#include "httpd_content.h"
#include "znet/http.h"

#define PROG "znet-httpd"
/* A connection costs the server a slot of zn_http_server_slot_size()
 * (176 bytes) and the stack two TCP control blocks and a frame buffer
 * (about 5.8 KB); a request in flight, a context of about 20 KB from the
 * --busy pool.  16,384 connections hold an attack of ten thousand slow
 * ones with room to spare for about 125 MB in all. */
#define DEFAULT_MAX_CONNS 16384
#define MAX_CONNS_MAX 2000000 /* the stack's table: 2 x this + 64 <= 2^22 */
#define DEFAULT_BUSY ZN_HTTP_BUSY_AUTO
#define DEFAULT_CACHE_FILES 1024

/* --sni entries (libznet-tls takes up to ZN_TLS_SNI_MAX). */
#define MAX_SNI 64

struct httpd_opts {
  const char *root;
  uint16_t port;
  uint16_t tls_port;
  const char *cert, *key;
  const char *sni[MAX_SNI]; /* --sni, in order */
  unsigned nsni;
  const char *ocsp; /* a DER OCSP response to staple; NULL: none */
  uint32_t max_conns;
  uint32_t busy;         /* request contexts; 0: min(max_conns, DEFAULT_BUSY) */
  uint32_t tls_sessions; /* 0: from busy (tls_sessions_of) */
  uint32_t tls_bufs;     /* record buffer pairs; 0: from busy (common_tls) */
  uint32_t header_timeout_ms, idle_timeout_ms, send_timeout_ms;
  uint64_t grace_ns; /* UINT64_MAX: the server's default */
  uint32_t cache_files;
  uint64_t copy_max;
  bool has_copy_max;
  uint32_t hsts; /* Strict-Transport-Security max-age; 0: none */
  bool hsts_subdomains;
};

static struct httpd_opts hopts = {.port = 80,
                                  .max_conns = DEFAULT_MAX_CONNS,
                                  .grace_ns = UINT64_MAX,
                                  .cache_files = DEFAULT_CACHE_FILES};

static int parse_sni(void *base, const char *val, const char *prog) {
  struct httpd_opts *o = base;
  if (o->nsni == MAX_SNI)
    zn__app_usage_error(prog, "too many --sni (at most 64)");
  o->sni[o->nsni++] = val;
  return 0;
}

static int parse_copy_max(void *base, const char *val, const char *prog) {
  (void)prog;
  struct httpd_opts *o = base;
  o->has_copy_max = true;
  return zn__app_parse_size(val, 1u << 20, &o->copy_max);
}

#define OFF(f) offsetof(struct httpd_opts, f)

static const struct zn__app_opt httpd_flags[] = {
    {"root", 0, ZN__APP_STR, OFF(root), .arg = "DIR",
     .help = "serve the files under DIR (a directory's\nindex.html for "
             "DIR/.../)"},
    {"port", 0, ZN__APP_U16, OFF(port), 0, 65535, .arg = "N",
     .help = "HTTP on port N (default 80; 0: none)"},
    {"tls-port", 0, ZN__APP_U16, OFF(tls_port), 1, 65535, .arg = "N",
     .help = "HTTPS on port N too (TLS 1.3 and 1.2, ALPN\nhttp/1.1; --cert and "
             "--key, or the built-in certificate)"},
    {"hsts", 0, ZN__APP_U32, OFF(hsts), 0, 0x7fffffff, .arg = "SECONDS",
     .help = "HTTPS answers carry Strict-Transport-Security:\n"
             "max-age=SECONDS (RFC 6797; default 0: none)"},
    {"hsts-subdomains", 0, ZN__APP_FLAG, OFF(hsts_subdomains),
     .help = "with --hsts: includeSubDomains too"},
    {"sni", 0, ZN__APP_FN, .fn = parse_sni, .arg = "NAME=CERT.pem,KEY.pem",
     .help = "with --tls-port: this chain for clients that ask\nfor NAME "
             "(a DNS name, or *.NAME for one label;\nrepeatable, first "
             "match wins; others get --cert)"},
    {"cert", 0, ZN__APP_STR, OFF(cert), .arg = "CERT.pem",
     .help = "the certificate chain (PEM) for --tls-port"},
    {"key", 0, ZN__APP_STR, OFF(key), .arg = "KEY.pem",
     .help = "its private key (PEM)"},
    {"ocsp", 0, ZN__APP_STR, OFF(ocsp), .arg = "RESP.der",
     .help = "staple this DER OCSP response (for --cert's\nfirst "
             "certificate) to the TLS 1.3 handshakes\nthat ask (not TLS "
             "1.2's); SIGHUP reads it again"},
    {"max-conns", 0, ZN__APP_U32, OFF(max_conns), 1, MAX_CONNS_MAX, .arg = "N",
     .help = "connections at once, both ports (default 16384);\nbeyond, the "
             "oldest idle one is closed, else the\nslowest busy one"},
    {"busy", 0, ZN__APP_U32, OFF(busy), 1, MAX_CONNS_MAX, .arg = "N",
     .help = "requests in flight at once (a context of about\n20 KB each; "
             "default min(max-conns, 1024)); beyond,\na request waits "
             "unread, or the slowest holder\nis closed for it"},
    {"grace", 0, ZN__APP_MS, OFF(grace_ns), 0, 3600000, .arg = "MS",
     .want = "0..3600000 ms",
     .help = "a request is judged slow (and may be closed for\nanother) "
             "only after MS (default 1000)"},
    {"tls-sessions", 0, ZN__APP_U32, OFF(tls_sessions), 1, MAX_CONNS_MAX,
     .arg = "N",
     .help = "TLS sessions (each as large as the banner says;\ndefault "
             "busy + busy/4 + 8)"},
    {"tls-bufs", 0, ZN__APP_U32, OFF(tls_bufs), 0, MAX_CONNS_MAX, .arg = "N",
     .help = "TLS record buffer pairs (33 KB each), lent to\nsessions while "
             "a record moves (0: default\nbusy + busy/4 + 8; at most "
             "tls-sessions)"},
    {"header-timeout", 0, ZN__APP_U32, OFF(header_timeout_ms), 1, 3600000,
     .arg = "MS", .want = "1..3600000 ms",
     .help = "a request head must arrive within MS of its\nfirst byte "
             "(default 10000)"},
    {"idle-timeout", 0, ZN__APP_U32, OFF(idle_timeout_ms), 1, 3600000,
     .arg = "MS", .want = "1..3600000 ms",
     .help = "close a keep-alive connection idle this long\n(default 30000)"},
    {"send-timeout", 0, ZN__APP_U32, OFF(send_timeout_ms), 1, 3600000,
     .arg = "MS", .want = "1..3600000 ms",
     .help = "reset a client that takes none of a response\nthis long "
             "(default 30000)"},
    {"cache-files", 0, ZN__APP_U32, OFF(cache_files), 1, 1u << 20, .arg = "N",
     .help = "open files kept mapped (default 1024)"},
    {"copy-max", 0, ZN__APP_FN, .fn = parse_copy_max, .arg = "BYTES",
     .want = "0..1M bytes",
     .help = "bodies up to BYTES go out copied with their\nhead, larger ones "
             "by reference (default 4096)"},
    {.name = NULL},
};

#undef OFF

/* ---- the access log (--log info) ---- */

static void access_log(void *arg, const struct zn_http_access *a) {
  (void)arg;
  char peer[ZN_IP_STRLEN], when[ZN_HTTP_DATE_LEN + 1] = "-";
  (void)zn_http_date_format((int64_t)zn__app_wall_seconds(), when);
  zn_ip_format(&a->peer, peer);
  if (a->method.p)
    printf("%s - - [%s] \"%.*s %.*s HTTP/1.%u\" %d %" PRIu64 "%s\n", peer, when,
           (int)a->method.len, a->method.p, (int)a->target.len, a->target.p,
           (unsigned)a->version_minor, a->status, a->bytes,
           a->stream ? " tls" : "");
  else
    printf("%s - - [%s] \"-\" %d %" PRIu64 "%s\n", peer, when, a->status,
           a->bytes, a->stream ? " tls" : "");
  (void)fflush(stdout);
}

static uint64_t wall_clock(void *arg) {
  (void)arg;
  return zn__app_wall_seconds();
}

/* ---- setup ---- */

static void check_flags(const struct zn__app_opts *o) {
  zn__app_require_address(o, PROG);
  if (hopts.root == NULL)
    zn__app_usage_error(PROG, "--root DIR is required");
  if (hopts.port == 0 && hopts.tls_port == 0)
    zn__app_usage_error(PROG, "--port 0 needs --tls-port");
  if (hopts.tls_port && !ex_tls_available())
    zn__app_usage_error(PROG,
                        "--tls-port: built without TLS (libznet-tls: meson "
                              "-Dtls=enabled, BearSSL)");
  if (hopts.tls_port && hopts.tls_port == hopts.port)
    zn__app_usage_error(PROG, "--port and --tls-port are both %u",
                        (unsigned)hopts.port);
  if (hopts.busy > hopts.max_conns)
    zn__app_usage_error(PROG,
                        "--busy %" PRIu32 " is more than --max-conns %" PRIu32,
                        hopts.busy, hopts.max_conns);
  if ((hopts.cert == NULL) != (hopts.key == NULL))
    zn__app_usage_error(PROG, "--cert and --key go together");
  if (hopts.cert && !hopts.tls_port)
    zn__app_usage_error(PROG, "--cert and --key need --tls-port");
  if (hopts.nsni && !hopts.tls_port)
    zn__app_usage_error(PROG, "--sni needs --tls-port");
  if (hopts.ocsp && !hopts.tls_port)
    zn__app_usage_error(PROG, "--ocsp needs --tls-port");
  if ((hopts.hsts || hopts.hsts_subdomains) && !hopts.tls_port)
    zn__app_usage_error(PROG, "--hsts needs --tls-port");
  if (hopts.hsts_subdomains && !hopts.hsts)
    zn__app_usage_error(PROG, "--hsts-subdomains needs --hsts");
  if (hopts.tls_port && !hopts.cert && ex_tls_available() &&
      !ex_tls_has_embedded())
    zn__app_usage_error(PROG,
                        "--tls-port needs --cert and --key (this build has "
                              "no built-in certificate)");
}

static uint32_t busy_of(void) {
  if (hopts.busy)
    return hopts.busy;
  return hopts.max_conns < DEFAULT_BUSY ? hopts.max_conns : DEFAULT_BUSY;
}

/* TLS sessions: one per HTTPS connection, idle or not (its keys); by
 * default as many as requests in flight, and room for those closing on
 * their own. */
static uint32_t tls_sessions_of(void) {
  if (hopts.tls_sessions)
    return hopts.tls_sessions;
  uint32_t b = busy_of();
  return b + b / 4 + 8;
}

/* The stack's table holds the server's connections and those closing
 * (FIN exchanges) once the server let go of them: an eighth more, and
 * some.  TIME_WAIT takes no slot (a record each, tcp_tw.c; as many as
 * the table by default).  Frame buffers: an idle connection holds none,
 * a request in flight a few (its request, its response in the send
 * queue): four per context, and one for every eight connections for
 * requests waiting for a context (TCP offers each connection a window
 * of a segment at least whatever the pool's size, and drops what does
 * not fit, counted, for the client to send again). */
static void size_stack(struct zn__app_opts *o) {
  if (o->tcp_conns == 0)
    o->tcp_conns = hopts.max_conns + hopts.max_conns / 8 + 64;
  uint32_t bufs = hopts.max_conns / 8 + 4 * busy_of();
  if (o->nbufs == 0 && bufs > 512)
    o->nbufs = bufs;
}

struct httpd {
  struct httpd_content *content;
  struct ex_tls *tls;
  struct zn_http_server *srv;
  void *mem;
  size_t mem_len;
};

/* The server on h's stack.  Returns 0, or the exit status (message
 * printed): ZN__APP_EXIT_USAGE for an --ocsp file that will not do,
 * ZN__APP_EXIT_FAIL otherwise. */
static int httpd_start(struct zn__app_host *h, struct httpd *d) {
  struct zn_http_server_cfg cfg;
  zn_http_server_cfg_default(&cfg);
  cfg.port = hopts.port;
  cfg.max_conns = hopts.max_conns;
  cfg.busy_max = busy_of();
  cfg.backlog = hopts.max_conns; /* a burst of connects, no SYN cookies */
  /* Half the pool: below TCP's three quarters, so slow readers are
   * reset before the stack must drop what newcomers send. */
  cfg.bufs_high = h->cfg.nbufs / 2;
  if (hopts.grace_ns != UINT64_MAX)
    cfg.grace_ms = (uint32_t)(hopts.grace_ns / ZN_MS(1));
  if (hopts.header_timeout_ms)
    cfg.header_timeout_ms = hopts.header_timeout_ms;
  if (hopts.idle_timeout_ms)
    cfg.idle_timeout_ms = hopts.idle_timeout_ms;
  if (hopts.send_timeout_ms)
    cfg.send_timeout_ms = hopts.send_timeout_ms;
  if (hopts.has_copy_max)
    cfg.copy_max = (uint32_t)hopts.copy_max;
  cfg.hsts_max_age = hopts.hsts;
  cfg.hsts_subdomains = hopts.hsts_subdomains;
  cfg.content = httpd_content_source(d->content);
  cfg.clock = wall_clock;
  if (h->o.log_level >= ZN_LOG_INFO)
    cfg.access_log = access_log;
  if (hopts.tls_port) {
    static const char *const alpn[] = {"http/1.1"};
    d->tls = ex_tls_server_new(hopts.cert, hopts.key, PROG);
    if (d->tls == NULL)
      return ZN__APP_EXIT_FAIL;
    for (unsigned i = 0; i < hopts.nsni; i++)
      if (ex_tls_add_sni(d->tls, hopts.sni[i], PROG) != 0)
        return ZN__APP_EXIT_FAIL;
    if (hopts.ocsp && ex_tls_set_ocsp_file(d->tls, hopts.ocsp, PROG) != 0)
      return ZN__APP_EXIT_USAGE;
    ex_tls_set_alpn(d->tls, alpn, 1);
    ex_tls_set_busy(d->tls, busy_of());
    ex_tls_set_bufs(d->tls, hopts.tls_bufs);
    /* Sessions closing on their own still hold theirs: some room. */
    cfg.stream_maker =
        ex_tls_maker(d->tls, h->st, NULL, tls_sessions_of(), PROG);
    if (cfg.stream_maker == NULL)
      return ZN__APP_EXIT_FAIL;
    cfg.stream_port = hopts.tls_port;
  }
  size_t len = zn_http_server_mem_size(&cfg);
  d->mem = len ? malloc(len) : NULL;
  d->mem_len = len;
  int rc = d->mem ? zn_http_server_init(h->st, &cfg, d->mem, len, &d->srv)
                  : ZN_ENOMEM;
  if (rc != ZN_OK) {
    fprintf(stderr, PROG ": cannot serve HTTP: %s\n", zn_strerror(rc));
    return ZN__APP_EXIT_FAIL;
  }
  return 0;
}

/* The loop's tick: SIGHUP's reload of --ocsp (common_tls.c keeps the
 * response it replaces until no handshake can be sending it). */
static int httpd_tick(void *arg, struct zn_stack *st, uint64_t now) {
  struct httpd *d = arg;
  (void)now;
  if (zn__app_reload_asked) {
    zn__app_reload_asked = 0;
    ex_tls_ocsp_reload(d->tls, st, PROG);
  }
  return 0;
}

static void print_banner(struct zn__app_host *h, const struct httpd *d) {
  char what[4200];
  zn__app_print_banner(h);
  httpd_content_describe(d->content, what, sizeof(what));
  printf(PROG ": serving %s", what);
  if (hopts.port)
    printf(" on HTTP port %u", (unsigned)hopts.port);
  if (hopts.tls_port)
    printf("%s HTTPS port %u (%zu bytes per session, %s)",
           hopts.port ? " and" : " on", (unsigned)hopts.tls_port,
           ex_tls_conn_size(d->tls),
           hopts.cert ? hopts.cert : "built-in certificate");
  printf(", up to %" PRIu32 " connections (%zu bytes each while idle), %" PRIu32
         " requests in flight; stop with Ctrl-C\n",
         hopts.max_conns, zn_http_server_slot_size(), busy_of());
  /* The blocks taken at start; none grows with the load. */
  size_t stack = zn_stack_mem_size(&h->cfg);
  size_t tls = d->tls ? ex_tls_maker_mem_size(d->tls) : 0;
  printf(PROG ": memory %zu bytes: stack %zu (%" PRIu32 " TCP connections, "
              "%" PRIu32 " frame buffers), server %zu, TLS sessions %zu\n",
         stack + d->mem_len + tls, stack, h->cfg.tcp_conns, h->cfg.nbufs,
         d->mem_len, tls);
  (void)fflush(stdout);
}

static void print_http_stats(FILE *fp, const struct zn_http_server *srv) {
  struct zn_http_server_stats s;
  memset(&s, 0, sizeof(s));
  if (srv)
    zn_http_server_get_stats(srv, &s);
  fprintf(fp, PROG ": http counters (requests always, others if not 0):\n");
  for (int i = 0; i < ZN_HTTP_SRV_NSTATS; i++) {
    if (s.v[i] == 0 && i != ZN_HTTP_SRV_requests)
      continue;
    fprintf(fp, "  http.%-21s %10" PRIu64 "  %s\n", zn_http_server_stat_name(i),
            s.v[i], zn_http_server_stat_text(i));
  }
  fprintf(fp, "  %-26s %10" PRIu32 "\n", "http.conns_max", s.conns_max);
  fprintf(fp, "  %-26s %10" PRIu32 "\n", "http.conns_open_at_exit",
          s.conns_open);
  fprintf(fp, "  %-26s %10" PRIu32 "\n", "http.ctx_max", s.ctx_max);
}

int main(int argc, char **argv) {
  static struct zn__app_host h;
  static const struct zn__app_prog prog = {
      .name = PROG,
      .synopsis = "--netif tap:NAME ADDRESS --root DIR [--port 80] "
                  "[--tls-port 443 --cert CERT.pem\n"
                  "       --key KEY.pem [--ocsp RESP.der]] [--max-conns N] "
                  "[--busy N] [OPTIONS]",
      .summary = "A static-file web server (HTTP/1.1 GET and HEAD, HTTPS "
                 "with libznet-tls);\nan access log line per request with "
                 "--log info; prints its counters at exit.",
      .opts = httpd_flags,
      .arg = &hopts,
  };
  zn__app_opts_default(&h.o);
  int first = zn__app_parse(&h.o, argc, argv, &prog);
  if (first < argc)
    zn__app_usage_error(PROG, "unexpected argument '%s'", argv[first]);
  check_flags(&h.o);
  size_stack(&h.o);

  struct httpd d;
  memset(&d, 0, sizeof(d));
  d.content = httpd_content_new(hopts.root, hopts.cache_files, PROG);
  if (d.content == NULL || zn__app_open(&h, PROG) != 0) {
    httpd_content_free(d.content);
    return ZN__APP_EXIT_FAIL;
  }
  int status = httpd_start(&h, &d);
  if (status == 0) {
    if (hopts.ocsp)
      zn__app_signal_reload(); /* before the banner, which says we are ready */
    print_banner(&h, &d);
    struct zn_loop_opts lo;
    memset(&lo, 0, sizeof(lo));
    lo.until = ZN_TIME_NEVER;
    lo.tick = httpd_tick;
    lo.arg = &d;
    int rc = zn__app_run(&h, &lo);
    if (rc != ZN_OK) {
      fprintf(stderr, PROG ": interface failed: %s\n", zn_strerror(rc));
      status = ZN__APP_EXIT_FAIL;
    }
  }
  (void)fflush(stdout);
  print_http_stats(stderr, d.srv);
  if (d.srv)
    zn_http_server_stop(d.srv);
  httpd_content_print_stats(stderr, d.content);
  ex_tls_print_stats(stderr, d.tls, "tls");
  if (d.tls && ex_tls_maker_refused(d.tls))
    fprintf(stderr, "  %-26s %10" PRIu64 "  (no session free)\n",
            "tls.pool_refused", ex_tls_maker_refused(d.tls));
  zn__app_print_stats(stderr, h.st, PROG);
  zn__app_print_netif_stats(stderr, &h);
  zn__app_close(&h, PROG);
  free(d.mem);
  ex_tls_free(d.tls);
  httpd_content_free(d.content);
  return status;
}
