/* znet-run: run an unmodified program on znet's TCP/IP.
 *
 *     znet-run --netif tap:NAME --ipv4 ADDR/LEN [OPTIONS] -- PROGRAM [ARGS]
 *
 * Checks the flags (the examples' shared ones: --netif, --ipv4,
 * --gateway, --ipv6, --dhcp, --capture, --tcp-*, ...), then executes
 * PROGRAM with libznet-preload.so in LD_PRELOAD and the flags in
 * ZNET_RUN_ARGS; the preload builds the stack from them inside PROGRAM
 * (preload.h).  The preload is looked for beside this executable, then
 * where it is installed; ZNET_PRELOAD names another. */
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app_int.h"
#include "preload_dir.h" /* ZN_PRELOAD_DIR: the installed libdir */


#define PROG "znet-run"
#define PRELOAD_NAME "libznet-preload.so"

struct run_opts {
  bool stats;
  bool host_loopback;
  uint32_t shards;
  bool thread_shards;
  struct zn_dns_server dns[ZN_DNS_MAX_SERVERS];
  uint32_t ndns;
};

static int parse_dns(void *base, const char *val, const char *prog) {
  struct run_opts *o = base;
  if (o->ndns >= ZN_DNS_MAX_SERVERS)
    zn__app_usage_error(prog, "at most %d --dns", ZN_DNS_MAX_SERVERS);
  if (zn__app_parse_dns_server(val, &o->dns[o->ndns]) != 0)
    return -1;
  o->ndns++;
  return 0;
}

static const struct zn__app_opt run_flags[] = {
    {"stats", 0, ZN__APP_FLAG, offsetof(struct run_opts, stats), 0, 0,
     .help = "print the stack's counters when PROGRAM exits"},
    {"shards", 0, ZN__APP_U32, offsetof(struct run_opts, shards), 1, 64,
     .arg = "N",
     .help = "a stack per process, up to N (1: one stack):\na forked "
             "child that uses its sockets gets a\nstack of its own on its own "
             "queue of the TAP\n(steered by an eBPF program).  Without: on "
             "when\nthe TAP takes multi-queue, N = 2 x CPUs + 2\n(8 to 64)"},
    {"thread-shards", 0, ZN__APP_FLAG, offsetof(struct run_opts, thread_shards),
     0, 0,
     .help = "a stack per thread too: each thread that opens\nsockets gets "
             "a shard of its own (while --shards\nlast), for servers whose "
             "threads each open a\nSO_REUSEPORT listener; a thread waits only "
             "on\nits own shard's sockets"},
    {"host-loopback", 0, ZN__APP_FLAG, offsetof(struct run_opts, host_loopback),
     0, 0,
     .help = "the host's loopback and PROGRAM's as one, for\nTCP: "
             "PROGRAM's listeners on 127.0.0.1 (or any\naddress) take the "
             "host's connections there too,\nand its connections to a "
             "loopback port nothing\nof the stack listens on go to the "
             "host's"},
    {"dns", 0, ZN__APP_FN, .fn = parse_dns, .arg = "ADDR[:PORT]",
     .want = "IPv4 ADDR[:PORT] or IPv6 ADDR or [ADDR]:PORT",
     .help = "DNS server for PROGRAM's name lookups (port 53\nby "
             "default); up to 4, tried in turn.  Without:\nRDNSS, then "
             "DHCPv4's servers"},
    {.name = NULL}};

static bool readable(const char *p) { return access(p, R_OK) == 0; }

/* The preload: $ZNET_PRELOAD, beside this executable, or installed. */
static const char *find_preload(char *buf, size_t len) {
  const char *env = getenv("ZNET_PRELOAD");
  if (env)
    return env;
  char exe[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
  if (n > 0) {
    exe[n] = 0;
    char *slash = strrchr(exe, '/');
    if (slash) {
      *slash = 0;
      (void)snprintf(buf, len, "%s/%s", exe, PRELOAD_NAME);
      if (readable(buf))
        return buf;
    }
  }
  (void)snprintf(buf, len, "%s/%s", ZN_PRELOAD_DIR, PRELOAD_NAME);
  return buf;
}

/* Whether arg is --NAME or --NAME=VALUE, NAME perhaps shortened as
 * getopt_long takes it (it refused an ambiguous one already). */
static bool is_flag(const char *arg, const char *name, bool *inline_val) {
  if (strncmp(arg, "--", 2) != 0)
    return false;
  size_t n = strcspn(arg + 2, "=");
  *inline_val = arg[2 + n] == '=';
  return n > 0 && n <= strlen(name) && !strncmp(arg + 2, name, n);
}

/* The flags for the preload, 0x1f between them; ours left out. */
static void pass_flags(char **argv, int first) {
  static char text[65536];
  size_t used = 0;
  for (int i = 1; i < first; i++) {
    bool inline_val;
    if (!strcmp(argv[i], "--") || !strcmp(argv[i], "--stats") ||
        is_flag(argv[i], "thread-shards", &inline_val) ||
        is_flag(argv[i], "host-loopback", &inline_val))
      continue;
    if (is_flag(argv[i], "shards", &inline_val)) {
      i += !inline_val; /* and its value */
      continue;
    }
    if (is_flag(argv[i], "dns", &inline_val)) {
      i += !inline_val; /* and its value */
      continue;
    }
    size_t n = strlen(argv[i]);
    if (memchr(argv[i], 0x1f, n) || used + n + 2 > sizeof(text))
      zn__app_usage_error(PROG, "flags too long or with a 0x1f byte");
    if (used)
      text[used++] = 0x1f;
    memcpy(text + used, argv[i], n);
    used += n;
  }
  text[used] = 0;
  (void)setenv("ZNET_RUN_ARGS", text, 1);
}

/* --dns for the preload: ZNET_RUN_DNS, the servers ',' between them
 * (unset without --dns, so none comes from elsewhere). */
static void pass_dns(const struct run_opts *o) {
  static char text[ZN_DNS_MAX_SERVERS * (ZN_IP_STRLEN + 10)];
  size_t used = 0;
  for (uint32_t i = 0; i < o->ndns; i++) {
    char ip[ZN_IP_STRLEN];
    bool v6 = o->dns[i].addr.family == ZN_AF_INET6;
    used += (size_t)snprintf(text + used, sizeof(text) - used,
                             "%s%s%s%s:%u", i ? "," : "", v6 ? "[" : "",
                             zn_ip_format(&o->dns[i].addr, ip), v6 ? "]" : "",
                             (unsigned)o->dns[i].port);
  }
  if (o->ndns)
    setenv("ZNET_RUN_DNS", text, 1);
  else
    unsetenv("ZNET_RUN_DNS");
}

/* A build with AddressSanitizer: its runtime must come first in the
 * program's libraries, before the (sanitized) preload; the program's own
 * leaks are not ours to report. */
static const char *asan_runtime(void) {
  void *sym = dlsym(RTLD_DEFAULT, "__asan_init");
  Dl_info info;
  if (!sym || !dladdr(sym, &info) || !info.dli_fname ||
      !strstr(info.dli_fname, "asan"))
    return NULL;
  if (!getenv("ASAN_OPTIONS"))
    (void)setenv("ASAN_OPTIONS", "detect_leaks=0", 1);
  return info.dli_fname;
}

static void add_preload(const char *lib) {
  const char *old = getenv("LD_PRELOAD");
  const char *asan = asan_runtime();
  static char v[8192];
  (void)snprintf(v, sizeof(v), "%s%s%s%s%s", asan ? asan : "", asan ? ":" : "",
           lib, old && *old ? ":" : "", old && *old ? old : "");
  (void)setenv("LD_PRELOAD", v, 1);
}

int main(int argc, char **argv) {
  static struct zn__app_host h;
  static struct run_opts o;
  static const struct zn__app_prog prog = {
      .name = PROG,
      .synopsis = "--netif tap:NAME ADDRESS [OPTIONS] -- PROGRAM [ARGS...]",
      .summary = "Run PROGRAM, unmodified, with its IPv4 and IPv6 sockets "
                 "on znet's stack\n(libznet-posix through a preload); "
                 "other sockets and files stay the kernel's.\nFor a "
                 "server, the stack's defaults below become --tcp-conns "
                 "1024,\n--bufs 4096, --tcp-rcvbuf 2M and --bigbufs 64 "
                 "(the flags override them).",
      .opts = run_flags,
      .arg = &o,
  };
  zn__app_opts_default(&h.o);
  int first = zn__app_parse(&h.o, argc, argv, &prog);
  if (first >= argc)
    zn__app_usage_error(PROG, "no PROGRAM given (after --)");
  if (h.o.netif != ZN__APP_NETIF_TAP)
    zn__app_usage_error(PROG, "want --netif tap:NAME");
  zn__app_require_address(&h.o, PROG);
  char buf[PATH_MAX + 64];
  const char *lib = find_preload(buf, sizeof(buf));
  if (!readable(lib)) {
    fprintf(stderr, PROG ": cannot read the preload %s\n", lib);
    return ZN__APP_EXIT_FAIL;
  }
  pass_flags(argv, first);
  if (o.stats)
    (void)setenv("ZNET_RUN_STATS", "1", 1);
  if (o.thread_shards)
    (void)setenv("ZNET_RUN_THREADS", "1", 1);
  if (o.host_loopback && o.thread_shards)
    zn__app_usage_error(PROG, "--host-loopback with --thread-shards: a "
                              "thread's shard has a loopback of its own");
  if (o.host_loopback)
    (void)setenv("ZNET_RUN_HOST_LOOPBACK", "1", 1);
  if (o.shards) {
    char n[16];
    (void)snprintf(n, sizeof(n), "%u", o.shards);
    (void)setenv("ZNET_RUN_SHARDS", n, 1);
  }
  pass_dns(&o);
  add_preload(lib);
  execvp(argv[first], argv + first);
  fprintf(stderr, PROG ": cannot run %s: %s\n", argv[first],
          strerror(errno));
  return 127;
}
