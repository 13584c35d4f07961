/*
 * The command line shared by the znet examples, and what they do with it:
 * parse the flags, build a zn_config, put a stack in malloc'd memory,
 * print the counters.  Portable: it uses only the C library functions
 * that znet's Solo5 runtime also has (examples/solo5/include), and no
 * floating point, so it is built unchanged for the host and for Solo5.
 * Opening the netif and running the loop is the platform's: host.c (TAP,
 * pcap replay, capture, signals) or solo5/platform.c.
 */
#include "common.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

volatile int ex_stop;

/* Long-only flags get values above any character. */
enum {
  OPT_NETIF = 0x100,
  OPT_IPV4,
  OPT_GATEWAY,
  OPT_MAC,
  OPT_CAPTURE,
  OPT_LOG,
  OPT_ARP,
  OPT_BUFS,
  OPT_BIGBUFS,
  OPT_NO_OFFLOAD,
  OPT_SEED,
  OPT_FAULT_DELAY,
  OPT_FAULT_JITTER,
  OPT_FAULT_REORDER,
  OPT_FAULT_REORDER_DELAY,
  OPT_FAULT_LOSS,
  OPT_FAULT_DUP,
  OPT_FAULT_SEED,
  OPT_TCP_CONNS,
  OPT_TCP_SNDBUF,
  OPT_TCP_RCVBUF,
  OPT_TCP_CC,
  OPT_COMMON_LAST = OPT_TCP_CC,
};

/* A reordered frame is held back this much longer than the others unless
 * --fault-reorder-delay says otherwise. */
#define EX_FAULT_REORDER_MS 5u
#define EX_MAX_FAULT_MS 10000u

static const struct option common_opts[] = {
    {"netif", required_argument, NULL, OPT_NETIF},
    {"ipv4", required_argument, NULL, OPT_IPV4},
    {"gateway", required_argument, NULL, OPT_GATEWAY},
    {"mac", required_argument, NULL, OPT_MAC},
    {"capture", required_argument, NULL, OPT_CAPTURE},
    {"log", required_argument, NULL, OPT_LOG},
    {"arp", required_argument, NULL, OPT_ARP},
    {"bufs", required_argument, NULL, OPT_BUFS},
    {"bigbufs", required_argument, NULL, OPT_BIGBUFS},
    {"no-offload", no_argument, NULL, OPT_NO_OFFLOAD},
    {"seed", required_argument, NULL, OPT_SEED},
    {"fault-delay", required_argument, NULL, OPT_FAULT_DELAY},
    {"fault-jitter", required_argument, NULL, OPT_FAULT_JITTER},
    {"fault-reorder", required_argument, NULL, OPT_FAULT_REORDER},
    {"fault-reorder-delay", required_argument, NULL, OPT_FAULT_REORDER_DELAY},
    {"fault-loss", required_argument, NULL, OPT_FAULT_LOSS},
    {"fault-dup", required_argument, NULL, OPT_FAULT_DUP},
    {"fault-seed", required_argument, NULL, OPT_FAULT_SEED},
    {"tcp-conns", required_argument, NULL, OPT_TCP_CONNS},
    {"tcp-sndbuf", required_argument, NULL, OPT_TCP_SNDBUF},
    {"tcp-rcvbuf", required_argument, NULL, OPT_TCP_RCVBUF},
    {"tcp-cc", required_argument, NULL, OPT_TCP_CC},
    {"help", no_argument, NULL, 'h'},
};

#define N_COMMON (sizeof(common_opts) / sizeof(common_opts[0]))
#define MAX_EXTRA 16

static const char common_help[] =
    "  --netif tap:NAME              attach to (or create) TAP device NAME\n"
    "  --netif pcap:IN.pcap[,out=OUT.pcap]\n"
    "                                replay a capture; write what the stack\n"
    "                                sends to OUT.pcap\n"
    "  --ipv4 ADDR/PREFIX            the stack's address (e.g. 10.0.0.2/24)\n"
    "  --gateway ADDR                default gateway (on the prefix)\n"
    "  --mac MAC                     hardware address (default: the netif's,\n"
    "                                or a random locally administered one)\n"
    "  --capture FILE.pcap           write every frame in and out to FILE\n"
    "  --log LEVEL                   error|warn|info|debug|trace (default "
    "info)\n"
    "  --arp IP=MAC                  static ARP entry (repeatable)\n"
    "  --bufs N                      frame buffers in the pool (default 512)\n"
    "  --bigbufs N                   64 KiB buffers, for TAP offloads (TSO and\n"
    "                                coalesced receive; default 16)\n"
    "  --no-offload                  TAP: plain frames, no checksum/TSO offloads\n"
    "  --seed HEX                    fixed 64-hex-digit seed (default: "
    "getrandom)\n"
    "  --tcp-conns N                 TCP connections in the table, all "
    "states\n"
    "                                (default 64)\n"
    "  --tcp-sndbuf BYTES            TCP send buffer per connection "
    "(default 128K)\n"
    "  --tcp-rcvbuf BYTES            TCP receive window per connection "
    "(default 128K)\n"
    "  --tcp-cc cubic|newreno        TCP congestion control (default "
    "cubic)\n"
    "  Fault injection between the stack and the netif, both directions "
    "(seeded):\n"
    "  --fault-loss PCT              drop this share of frames (e.g. 1, "
    "0.5)\n"
    "  --fault-dup PCT               duplicate this share of frames\n"
    "  --fault-delay MS              delay every frame by MS\n"
    "  --fault-jitter MS             plus 0..MS more, uniformly (reorders "
    "too)\n"
    "  --fault-reorder PCT           hold this share of frames back longer\n"
    "  --fault-reorder-delay MS      by this much (default 5)\n"
    "  --fault-seed N                the injector's seed (default 1)\n"
    "  -h, --help                    this help\n";

void ex_usage_error(const char *prog, const char *fmt, ...) {
  va_list ap;
  fprintf(stderr, "%s: ", prog);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, " (try --help)\n");
  exit(EX_EXIT_USAGE);
}

static void copy_str(char *dst, size_t size, const char *src, size_t len) {
  if (len >= size)
    len = size - 1;
  memcpy(dst, src, len);
  dst[len] = '\0';
}

void ex_opts_default(struct ex_opts *o) {
  memset(o, 0, sizeof(*o));
  /* On Solo5 the manifest's net device; none on a host. */
  o->netif = ex_default_netif;
  if (o->netif == EX_NETIF_SOLO5) {
    copy_str(o->solo5_name, sizeof(o->solo5_name), EX_SOLO5_DEVICE,
             strlen(EX_SOLO5_DEVICE));
    (void)snprintf(o->netif_text, sizeof(o->netif_text), "solo5:%s",
                   EX_SOLO5_DEVICE);
  }
  o->log_level = ZN_LOG_INFO;
  o->fault_seed = 1;
  o->fault_reorder_ns = ZN_MS(EX_FAULT_REORDER_MS);
  o->tcp_cc = -1;
}

int ex_parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out) {
  if (s == NULL || *s < '0' || *s > '9')
    return -1;
  errno = 0;
  char *end;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno != 0 || *end != '\0' || v < min || v > max)
    return -1;
  *out = (uint32_t)v;
  return 0;
}

int ex_parse_size(const char *s, uint64_t max, uint64_t *out) {
  if (s == NULL || *s < '0' || *s > '9')
    return -1;
  errno = 0;
  char *end;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno != 0)
    return -1;
  unsigned shift = 0;
  switch (*end) {
  case '\0':
    break;
  case 'k':
  case 'K':
    shift = 10;
    break;
  case 'm':
  case 'M':
    shift = 20;
    break;
  case 'g':
  case 'G':
    shift = 30;
    break;
  default:
    return -1;
  }
  if (*end != '\0' && end[1] != '\0')
    return -1;
  if (v > (UINT64_MAX >> shift) || (v << shift) > max)
    return -1;
  *out = (uint64_t)v << shift;
  return 0;
}

/* A decimal "D", "D." or "D.F" (digits only, at least one) scaled by
 * 10^scale and rounded half up, in *out; -1 if malformed or above max
 * (also scaled).  Integer arithmetic only: the Solo5 build has no FPU. */
static int parse_decimal(const char *s, unsigned scale, uint64_t max,
                         uint64_t *out) {
  uint64_t v = 0, limit = max;
  unsigned frac = 0;
  bool any = false, dot = false, round_up = false;
  for (unsigned i = 0; i < scale; i++)
    limit = limit > UINT64_MAX / 10 ? UINT64_MAX : limit * 10;
  for (; *s; s++) {
    if (*s == '.' && !dot) {
      dot = true;
      continue;
    }
    if (*s < '0' || *s > '9')
      return -1;
    any = true;
    unsigned d = (unsigned)(*s - '0');
    if (dot && frac >= scale) {
      /* Digits beyond the scale only round (the first of them). */
      if (frac++ == scale)
        round_up = d >= 5;
      continue;
    }
    if (dot)
      frac++;
    if (v > (limit - d) / 10)
      return -1;
    v = v * 10 + d;
  }
  if (!any)
    return -1;
  for (; frac < scale; frac++) {
    if (v > limit / 10)
      return -1;
    v *= 10;
  }
  v += round_up;
  if (v > limit)
    return -1;
  *out = v;
  return 0;
}

int ex_parse_pct(const char *s, uint32_t *ppm) {
  uint64_t v;
  if (s == NULL || parse_decimal(s, 4, 100, &v) != 0)
    return -1;
  *ppm = (uint32_t)v;
  return 0;
}

int ex_parse_seconds(const char *s, uint64_t *ns) {
  /* Up to a day; enough for any linger or interval. */
  if (s == NULL || parse_decimal(s, 9, 86400, ns) != 0)
    return -1;
  return 0;
}

static int hexval(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

static int parse_seed(const char *s, uint8_t seed[32]) {
  if (strlen(s) != 64)
    return -1;
  for (size_t i = 0; i < 32; i++) {
    int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);
    if (hi < 0 || lo < 0)
      return -1;
    seed[i] = (uint8_t)(hi << 4 | lo);
  }
  return 0;
}

void ex_set_pcap(struct ex_opts *o, const char *in, const char *out) {
  o->netif = EX_NETIF_PCAP;
  copy_str(o->pcap_in, sizeof(o->pcap_in), in, strlen(in));
  o->pcap_out[0] = '\0';
  if (out)
    copy_str(o->pcap_out, sizeof(o->pcap_out), out, strlen(out));
  /* netif_text is for messages: cut short is fine. */
  (void)snprintf(o->netif_text, sizeof(o->netif_text), "pcap:%s", in);
}

static void parse_netif(struct ex_opts *o, const char *prog, const char *s) {
  if (strncmp(s, "tap:", 4) == 0) {
    const char *name = s + 4;
    size_t n = strlen(name);
    if (n == 0 || n >= sizeof(o->tap_name) || strpbrk(name, "/: \t,") != NULL)
      ex_usage_error(prog, "bad TAP device name in --netif '%s'", s);
    o->netif = EX_NETIF_TAP;
    copy_str(o->tap_name, sizeof(o->tap_name), name, n);
    copy_str(o->netif_text, sizeof(o->netif_text), s, strlen(s));
    return;
  }
  if (strncmp(s, "pcap:", 5) == 0) {
    const char *in = s + 5;
    const char *comma = strchr(in, ',');
    size_t inlen = comma ? (size_t)(comma - in) : strlen(in);
    if (inlen == 0 || inlen >= sizeof(o->pcap_in))
      ex_usage_error(prog, "no input file in --netif '%s'", s);
    const char *out = NULL;
    if (comma) {
      if (strncmp(comma + 1, "out=", 4) != 0 || comma[5] == '\0' ||
          strlen(comma + 5) >= sizeof(o->pcap_out))
        ex_usage_error(prog, "bad pcap option '%s' in --netif (want out=FILE)",
                       comma + 1);
      out = comma + 5;
    }
    o->netif = EX_NETIF_PCAP;
    copy_str(o->pcap_in, sizeof(o->pcap_in), in, inlen);
    o->pcap_out[0] = '\0';
    if (out)
      copy_str(o->pcap_out, sizeof(o->pcap_out), out, strlen(out));
    (void)snprintf(o->netif_text, sizeof(o->netif_text), "pcap:%s",
                   o->pcap_in);
    return;
  }
  if (strncmp(s, "solo5:", 6) == 0) {
    const char *name = s + 6;
    size_t n = strlen(name);
    if (n == 0 || n >= sizeof(o->solo5_name))
      ex_usage_error(prog, "bad Solo5 device name in --netif '%s'", s);
    o->netif = EX_NETIF_SOLO5;
    copy_str(o->solo5_name, sizeof(o->solo5_name), name, n);
    copy_str(o->netif_text, sizeof(o->netif_text), s, strlen(s));
    return;
  }
  ex_usage_error(prog,
                 "bad --netif '%s' (want tap:NAME, pcap:FILE or solo5:NAME)",
                 s);
}

static void parse_arp(struct ex_opts *o, const char *prog, const char *s) {
  const char *eq = strchr(s, '=');
  char ip[ZN_IPV4_STRLEN];
  if (eq == NULL || (size_t)(eq - s) >= sizeof(ip))
    ex_usage_error(prog, "bad --arp '%s' (want IP=MAC)", s);
  copy_str(ip, sizeof(ip), s, (size_t)(eq - s));
  if (o->narp >= EX_MAX_ARP)
    ex_usage_error(prog, "too many --arp entries (at most %d)", EX_MAX_ARP);
  struct ex_arp_static *e = &o->arp[o->narp];
  if (zn_ipv4_parse(ip, &e->ip) != ZN_OK || e->ip == 0)
    ex_usage_error(prog, "bad IPv4 address '%s' in --arp '%s'", ip, s);
  if (zn_mac_parse(eq + 1, e->mac) != ZN_OK || (e->mac[0] & 1))
    ex_usage_error(prog, "bad MAC address '%s' in --arp '%s'", eq + 1, s);
  o->narp++;
}

static void print_help(const struct ex_prog *prog) {
  printf("usage: %s %s\n%s\n\n", prog->name, prog->synopsis, prog->summary);
  if (prog->extra_help)
    printf("%s", prog->extra_help);
  printf("%s", common_help);
}

/* MS (0..EX_MAX_FAULT_MS, decimals allowed) as ns. */
static uint64_t fault_ms(const char *prog, const char *flag, const char *val) {
  uint64_t ns;
  if (parse_decimal(val, 6, EX_MAX_FAULT_MS, &ns) != 0)
    ex_usage_error(prog, "bad %s '%s' (want 0..%u ms)", flag, val,
                   EX_MAX_FAULT_MS);
  return ns;
}

static uint32_t fault_pct(const char *prog, const char *flag,
                          const char *val) {
  uint32_t ppm;
  if (ex_parse_pct(val, &ppm) != 0)
    ex_usage_error(prog, "bad %s '%s' (want a percentage 0..100)", flag, val);
  return ppm;
}

static uint32_t tcp_bytes(const char *prog, const char *flag,
                          const char *val) {
  uint64_t v;
  /* The window scale option reaches 1 GiB; below an MSS or two nothing
   * useful moves. */
  if (ex_parse_size(val, 1u << 30, &v) != 0 || v < 4096)
    ex_usage_error(prog, "bad %s '%s' (want 4096..1G bytes; K, M, G "
                   "allowed)", flag, val);
  return (uint32_t)v;
}

static void handle_fault_tcp(struct ex_opts *o, const char *prog, int c,
                             const char *val) {
  switch (c) {
  case OPT_FAULT_DELAY:
    o->fault_delay_ns = fault_ms(prog, "--fault-delay", val);
    break;
  case OPT_FAULT_JITTER:
    o->fault_jitter_ns = fault_ms(prog, "--fault-jitter", val);
    break;
  case OPT_FAULT_REORDER:
    o->fault_reorder_ppm = fault_pct(prog, "--fault-reorder", val);
    break;
  case OPT_FAULT_REORDER_DELAY:
    o->fault_reorder_ns = fault_ms(prog, "--fault-reorder-delay", val);
    break;
  case OPT_FAULT_LOSS:
    o->fault_loss_ppm = fault_pct(prog, "--fault-loss", val);
    break;
  case OPT_FAULT_DUP:
    o->fault_dup_ppm = fault_pct(prog, "--fault-dup", val);
    break;
  case OPT_FAULT_SEED: {
    errno = 0;
    char *end;
    unsigned long long v = strtoull(val, &end, 0);
    if (*val == '\0' || *val == '-' || errno != 0 || *end != '\0')
      ex_usage_error(prog, "bad --fault-seed '%s' (want an integer)", val);
    o->fault_seed = v;
    break;
  }
  case OPT_TCP_CONNS:
    if (ex_parse_u32(val, 1, 1u << 20, &o->tcp_conns) != 0)
      ex_usage_error(prog, "bad --tcp-conns '%s' (want 1..1048576)", val);
    break;
  case OPT_TCP_SNDBUF:
    o->tcp_sndbuf = tcp_bytes(prog, "--tcp-sndbuf", val);
    break;
  case OPT_TCP_RCVBUF:
    o->tcp_rcvbuf = tcp_bytes(prog, "--tcp-rcvbuf", val);
    break;
  case OPT_TCP_CC:
    if (strcmp(val, "cubic") == 0)
      o->tcp_cc = ZN_TCP_CC_CUBIC;
    else if (strcmp(val, "newreno") == 0)
      o->tcp_cc = ZN_TCP_CC_NEWRENO;
    else
      ex_usage_error(prog, "bad --tcp-cc '%s' (want cubic or newreno)", val);
    break;
  default:
    break;
  }
}

static void handle_common(struct ex_opts *o, const char *prog, int c,
                          const char *val) {
  switch (c) {
  case OPT_NETIF:
    parse_netif(o, prog, val);
    break;
  case OPT_IPV4:
    if (zn_ipv4_parse_cidr(val, &o->ipv4, &o->prefix, -1) != ZN_OK ||
        o->ipv4 == 0)
      ex_usage_error(prog, "bad --ipv4 '%s' (want ADDR/PREFIX)", val);
    break;
  case OPT_GATEWAY:
    if (zn_ipv4_parse(val, &o->gateway) != ZN_OK)
      ex_usage_error(prog, "bad --gateway '%s'", val);
    break;
  case OPT_MAC:
    if (zn_mac_parse(val, o->mac) != ZN_OK)
      ex_usage_error(prog, "bad --mac '%s'", val);
    if (o->mac[0] & 1)
      ex_usage_error(prog, "bad --mac '%s' (multicast)", val);
    o->has_mac = true;
    break;
  case OPT_CAPTURE:
    if (*val == '\0')
      ex_usage_error(prog, "empty --capture file name");
    o->capture = val;
    break;
  case OPT_LOG: {
    int lvl = zn_log_level_parse(val);
    if (lvl < 0)
      ex_usage_error(prog,
                     "bad --log '%s' (want error|warn|info|debug|trace)", val);
    o->log_level = lvl;
    break;
  }
  case OPT_ARP:
    parse_arp(o, prog, val);
    break;
  case OPT_BUFS:
    if (ex_parse_u32(val, 16, 1u << 20, &o->nbufs) != 0)
      ex_usage_error(prog, "bad --bufs '%s' (want 16..1048576)", val);
    break;
  case OPT_BIGBUFS:
    if (ex_parse_u32(val, 0, 4096, &o->nbigbufs) != 0)
      ex_usage_error(prog, "bad --bigbufs '%s' (want 0..4096)", val);
    o->has_nbigbufs = true;
    break;
  case OPT_NO_OFFLOAD:
    o->no_offload = true;
    break;
  case OPT_SEED:
    if (parse_seed(val, o->seed) != 0)
      ex_usage_error(prog, "bad --seed '%s' (want 64 hex digits)", val);
    o->has_seed = true;
    break;
  default:
    handle_fault_tcp(o, prog, c, val);
    break;
  }
}

int ex_parse(struct ex_opts *o, int argc, char **argv,
             const struct ex_prog *prog) {
  struct option all[N_COMMON + MAX_EXTRA + 1];
  /* Leading ':' makes getopt report a missing value as ':'. */
  char shorts[2 * MAX_EXTRA + 4] = ":h";
  size_t n = 0, ns = 2;
  for (size_t i = 0; i < N_COMMON; i++)
    all[n++] = common_opts[i];
  for (const struct option *e = prog->extra; e && e->name; e++) {
    if (n >= N_COMMON + MAX_EXTRA)
      break;
    all[n++] = *e;
    /* A printable val is also a short flag (-c 3). */
    if (e->flag == NULL && e->val > ' ' && e->val < 0x7f &&
        ns + 3 < sizeof(shorts)) {
      shorts[ns++] = (char)e->val;
      if (e->has_arg == required_argument)
        shorts[ns++] = ':';
    }
  }
  memset(&all[n], 0, sizeof(all[n]));
  shorts[ns] = '\0';

  opterr = 0;
  int c;
  while ((c = getopt_long(argc, argv, shorts, all, NULL)) != -1) {
    if (c == 'h') {
      print_help(prog);
      exit(0);
    }
    if (c == '?') {
      if (optopt > 0 && optopt < 0x100)
        ex_usage_error(prog->name, "bad option '-%c'", optopt);
      ex_usage_error(prog->name, "bad option '%s'", argv[optind - 1]);
    }
    if (c == ':')
      ex_usage_error(prog->name, "option '%s' needs a value",
                     argv[optind - 1]);
    if (c >= OPT_NETIF && c <= OPT_COMMON_LAST) {
      handle_common(o, prog->name, c, optarg);
      continue;
    }
    if (prog->handle == NULL || prog->handle(prog->arg, c, optarg) != 0)
      exit(EX_EXIT_USAGE);
  }
  if (o->gateway && o->ipv4 &&
      ((o->gateway ^ o->ipv4) & zn_ipv4_mask(o->prefix)) != 0) {
    char g[ZN_IPV4_STRLEN];
    ex_usage_error(prog->name, "--gateway %s is not on the --ipv4 prefix",
                   zn_ipv4_format(o->gateway, g));
  }
  if (o->gateway && !o->ipv4)
    ex_usage_error(prog->name, "--gateway needs --ipv4");
  if (o->netif == EX_NETIF_SOLO5 && ex_default_netif != EX_NETIF_SOLO5)
    ex_usage_error(prog->name, "--netif %s needs a Solo5 build",
                   o->netif_text);
  if (o->netif != EX_NETIF_SOLO5 && ex_default_netif == EX_NETIF_SOLO5)
    ex_usage_error(prog->name, "on Solo5 the netif is solo5:NAME, not '%s'",
                   o->netif_text);
  if (o->netif == EX_NETIF_NONE && !prog->netif_optional)
    ex_usage_error(prog->name, "no --netif given");
  o->fault = o->fault_loss_ppm || o->fault_dup_ppm || o->fault_reorder_ppm ||
             o->fault_delay_ns || o->fault_jitter_ns;
  return optind;
}

int ex_config(const struct ex_opts *o, struct zn_config *cfg,
              const char *prog) {
  zn_config_default(cfg);
  if (o->has_seed) {
    memcpy(cfg->seed, o->seed, sizeof(cfg->seed));
  } else if (zn_host_seed(cfg->seed) != ZN_OK) {
    fprintf(stderr, "%s: getrandom failed: %s\n", prog, strerror(errno));
    return -1;
  }
  cfg->log = zn_host_log;
  cfg->log_ctx = NULL;
  cfg->log_level = o->log_level;
  cfg->ipv4_addr = o->ipv4;
  cfg->ipv4_prefix = o->prefix;
  cfg->ipv4_gateway = o->gateway;
  if (o->has_mac) {
    memcpy(cfg->mac, o->mac, 6);
    cfg->has_mac = true;
  }
  if (o->nbufs)
    cfg->nbufs = o->nbufs;
  /* TAP offloads build and receive frames of up to 64 KiB in the large
   * buffers: a handful more than the library's default. */
  cfg->nbigbufs = o->has_nbigbufs ? o->nbigbufs
                  : o->netif == EX_NETIF_TAP && !o->no_offload ? 16
                                                               : cfg->nbigbufs;
  if (o->tcp_conns)
    cfg->tcp_conns = o->tcp_conns;
  if (o->tcp_sndbuf)
    cfg->tcp_sndbuf = o->tcp_sndbuf;
  if (o->tcp_rcvbuf)
    cfg->tcp_rcvbuf = o->tcp_rcvbuf;
  if (o->tcp_cc >= 0)
    cfg->tcp_cc = (uint8_t)o->tcp_cc;
  return 0;
}

int ex_stack_new(const struct zn_config *cfg, const char *prog, void **mem,
                 struct zn_stack **st) {
  *mem = NULL;
  *st = NULL;
  size_t len = zn_stack_mem_size(cfg);
  if (len == 0) {
    fprintf(stderr, "%s: invalid stack configuration\n", prog);
    return -1;
  }
  void *m = malloc(len);
  if (m == NULL) {
    fprintf(stderr, "%s: cannot allocate %zu bytes for the stack\n", prog,
            len);
    return -1;
  }
  int rc = zn_stack_create(cfg, m, len, st);
  if (rc != ZN_OK) {
    fprintf(stderr, "%s: zn_stack_create: %s\n", prog, zn_strerror(rc));
    free(m);
    return -1;
  }
  *mem = m;
  return 0;
}

void ex_stack_free(struct zn_stack *st, void *mem, const char *prog) {
  if (st) {
    zn_stack_destroy(st);
    uint32_t left = zn_stack_bufs_in_use(st);
    if (left != 0)
      fprintf(stderr, "%s: warning: %" PRIu32 " buffers still in use after "
              "zn_stack_destroy (leak)\n", prog, left);
  }
  free(mem);
}
void ex_print_stats(FILE *fp, const struct zn_stack *st, const char *prog) {
  struct zn_stats s;
  zn_stats_get(st, &s);
  fprintf(fp, "%s: counters (non-zero; drops marked):\n", prog);
  for (int i = 0; i < ZN_STAT_COUNT; i++) {
    if (s.v[i] == 0)
      continue;
    if (zn_stat_is_drop(i))
      fprintf(fp, "  %-26s %10" PRIu64 "  DROP: %s\n", zn_stat_name(i),
              s.v[i], zn_stat_text(i));
    else
      fprintf(fp, "  %-26s %10" PRIu64 "\n", zn_stat_name(i), s.v[i]);
  }
  fprintf(fp, "  %-26s %10" PRIu64 "\n", "(drops total)", zn_stats_drops(&s));
}


void ex_print_nz(FILE *fp, const char *name, uint64_t v) {
  if (v)
    fprintf(fp, "  %-26s %10" PRIu64 "\n", name, v);
}

/* The fault injector's configuration from the --fault-* flags; it may
 * hold up to half of nbufs. */
static void ex_fault_cfg(const struct ex_opts *o, uint32_t nbufs,
                         struct zn_fault_cfg *fc) {
  memset(fc, 0, sizeof(*fc));
  fc->seed = o->fault_seed;
  fc->dirs = ZN_FAULT_RX | ZN_FAULT_TX;
  fc->loss_ppm = o->fault_loss_ppm;
  fc->dup_ppm = o->fault_dup_ppm;
  fc->reorder_ppm = o->fault_reorder_ppm;
  fc->delay_ns = o->fault_delay_ns;
  fc->jitter_ns = o->fault_jitter_ns;
  fc->reorder_delay_ns = o->fault_reorder_ns;
  /* Held frames are pool buffers: leave the stack half of them. */
  fc->max_held = nbufs / 2;
}

int ex_attach(struct ex_host *h, const char *prog) {
  if (h->o.fault) {
    struct zn_fault_cfg fc;
    ex_fault_cfg(&h->o, h->cfg.nbufs, &fc);
    zn_fault_init(&h->fault, h->nif, &fc);
    h->fault_open = true;
    h->nif = &h->fault.nif;
  }
  int rc = zn_stack_attach(h->st, h->nif);
  if (rc != ZN_OK) {
    fprintf(stderr, "%s: zn_stack_attach: %s\n", prog, zn_strerror(rc));
    return -1;
  }
  for (unsigned i = 0; i < h->o.narp; i++) {
    rc = zn_arp_add_static(h->st, h->o.arp[i].ip, h->o.arp[i].mac);
    if (rc != ZN_OK) {
      char ip[ZN_IPV4_STRLEN];
      fprintf(stderr, "%s: --arp %s: %s\n", prog,
              zn_ipv4_format(h->o.arp[i].ip, ip), zn_strerror(rc));
      return -1;
    }
  }
  return 0;
}

void ex_print_fault_stats(FILE *fp, const struct ex_host *h) {
  if (!h->fault_open)
    return;
  const struct zn_fault_stats *f = &h->fault.stats;
  const struct {
    const char *name;
    uint64_t v;
  } c[] = {
      {"fault.passed", f->passed},       {"fault.lost", f->lost},
      {"fault.duplicated", f->duplicated}, {"fault.delayed", f->delayed},
      {"fault.reordered", f->reordered}, {"fault.overflow", f->overflow},
      {"fault.nobuf", f->nobuf},
  };
  for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++)
    ex_print_nz(fp, c[i].name, c[i].v);
}

void ex_close(struct ex_host *h, const char *prog) {
  ex_close_netifs(h);
  ex_stack_free(h->st, h->mem, prog);
  h->st = NULL;
  h->mem = NULL;
}
