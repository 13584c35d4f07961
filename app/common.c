/*
 * The command line of libznet-app (and of znet's examples), and what is
 * done with it: parse the flags, build a zn_config, put a stack in
 * malloc'd memory, print the banner and the counters.  Portable C11 over
 * the C library, built unchanged for the host and into libznet-rt for
 * the Solo5 images (against its musl).  Opening the netif and running
 * the loop is the platform's: common_linux.c (TAP, pcap replay, capture,
 * signals) or common_solo5.c and api_image.c (an image's net device,
 * inside libznet-rt).
 *
 * Parsing returns what it found (zn__app_parse_args): a usage error prints
 * one line and comes back as ZN__APP_BAD, --help as ZN__APP_HELP, so that the
 * library can hand them to its caller; zn__app_parse, for main(), exits on
 * them.
 */
#include "app_int.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>

volatile int zn__app_stop_asked;
volatile int zn__app_reload_asked;

/* Long-only flags get values above any character. */
/* A reordered frame is held back this much longer than the others unless
 * --fault-reorder-delay says otherwise. */
#define ZN__APP_FAULT_REORDER_MS 5u
#define ZN__APP_MAX_FAULT_MS 10000u
/* A bad spell of --fault-burst lasts this many frames on average unless
 * --fault-burst-len says otherwise. */
#define ZN__APP_FAULT_BURST_LEN 4u
#define ZN__APP_MAX_OPTS 64 /* flags of a program and the shared ones */
#define ZN__APP_LONG                                                           \
  0x1000 /* getopt value of flag i of table t: + t * 0x100 + i */
#define ZN__APP_HELP_COL 32 /* where help text starts */

__attribute__((format(printf, 2, 0))) static void
vusage(const char *prog, const char *fmt, va_list ap) {
  fprintf(stderr, "%s: ", prog);
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, " (try --help)\n");
}

int zn__app_usage(const char *prog, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vusage(prog, fmt, ap);
  va_end(ap);
  return ZN__APP_REPORTED;
}

void zn__app_usage_error(const char *prog, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vusage(prog, fmt, ap);
  va_end(ap);
  exit(ZN__APP_EXIT_USAGE);
}

static void copy_str(char *dst, size_t size, const char *src, size_t len) {
  if (len >= size)
    len = size - 1;
  memcpy(dst, src, len);
  dst[len] = '\0';
}

void zn__app_opts_default(struct zn__app_opts *o) {
  memset(o, 0, sizeof(*o));
  /* On Solo5 the manifest's net device; none on a host. */
  o->netif = zn__app_default_netif;
  if (o->netif == ZN__APP_NETIF_SOLO5) {
    copy_str(o->solo5_name, sizeof(o->solo5_name), ZN__APP_SOLO5_DEVICE,
             strlen(ZN__APP_SOLO5_DEVICE));
    (void)snprintf(o->netif_text, sizeof(o->netif_text), "solo5:%s",
                   ZN__APP_SOLO5_DEVICE);
  }
  o->log_level = ZN_LOG_INFO;
  o->fault_seed = 1;
  o->fault_reorder_ns = ZN_MS(ZN__APP_FAULT_REORDER_MS);
  o->fault_loss_dirs = ZN_FAULT_RX | ZN_FAULT_TX;
  o->fault_burst_len = ZN__APP_FAULT_BURST_LEN;
  o->fault_burst_loss_ppm = 1000000;
  o->tcp_cc = -1;
  o->tcp_ecn = -1;
}

int zn__app_parse_u32(const char *s, uint32_t min, uint32_t max,
                      uint32_t *out) {
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

int zn__app_parse_size(const char *s, uint64_t max, uint64_t *out) {
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
 * (also scaled).  Integer arithmetic only: exact, whatever the scale. */
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

int zn__app_parse_pct(const char *s, uint32_t *ppm) {
  uint64_t v;
  if (s == NULL || parse_decimal(s, 4, 100, &v) != 0)
    return -1;
  *ppm = (uint32_t)v;
  return 0;
}

int zn__app_parse_seconds(const char *s, uint64_t *ns) {
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

void zn__app_set_pcap(struct zn__app_opts *o, const char *in, const char *out) {
  o->netif = ZN__APP_NETIF_PCAP;
  copy_str(o->pcap_in, sizeof(o->pcap_in), in, strlen(in));
  o->pcap_out[0] = '\0';
  if (out)
    copy_str(o->pcap_out, sizeof(o->pcap_out), out, strlen(out));
  /* netif_text is for messages: cut short is fine. */
  (void)snprintf(o->netif_text, sizeof(o->netif_text), "pcap:%s", in);
}

static int parse_netif(void *base, const char *s, const char *prog) {
  struct zn__app_opts *o = base;
  if (strncmp(s, "tap:", 4) == 0) {
    const char *name = s + 4;
    size_t n = strlen(name);
    if (n == 0 || n >= sizeof(o->tap_name) || strpbrk(name, "/: \t,") != NULL)
      return zn__app_usage(prog, "bad TAP device name in --netif '%s'", s);
    o->netif = ZN__APP_NETIF_TAP;
    copy_str(o->tap_name, sizeof(o->tap_name), name, n);
    copy_str(o->netif_text, sizeof(o->netif_text), s, strlen(s));
    return 0;
  }
  if (strncmp(s, "pcap:", 5) == 0) {
    const char *in = s + 5;
    const char *comma = strchr(in, ',');
    size_t inlen = comma ? (size_t)(comma - in) : strlen(in);
    if (inlen == 0 || inlen >= sizeof(o->pcap_in))
      return zn__app_usage(prog, "no input file in --netif '%s'", s);
    const char *out = NULL;
    if (comma) {
      if (strncmp(comma + 1, "out=", 4) != 0 || comma[5] == '\0' ||
          strlen(comma + 5) >= sizeof(o->pcap_out))
        return zn__app_usage(prog,
                             "bad pcap option '%s' in --netif (want out=FILE)",
                             comma + 1);
      out = comma + 5;
    }
    o->netif = ZN__APP_NETIF_PCAP;
    copy_str(o->pcap_in, sizeof(o->pcap_in), in, inlen);
    o->pcap_out[0] = '\0';
    if (out)
      copy_str(o->pcap_out, sizeof(o->pcap_out), out, strlen(out));
    (void)snprintf(o->netif_text, sizeof(o->netif_text), "pcap:%s",
                   o->pcap_in);
    return 0;
  }
  if (strncmp(s, "solo5:", 6) == 0) {
    const char *name = s + 6;
    size_t n = strlen(name);
    if (n == 0 || n >= sizeof(o->solo5_name))
      return zn__app_usage(prog, "bad Solo5 device name in --netif '%s'", s);
    o->netif = ZN__APP_NETIF_SOLO5;
    copy_str(o->solo5_name, sizeof(o->solo5_name), name, n);
    copy_str(o->netif_text, sizeof(o->netif_text), s, strlen(s));
    return 0;
  }
  return -1;
}

static int parse_arp(void *base, const char *s, const char *prog) {
  struct zn__app_opts *o = base;
  const char *eq = strchr(s, '=');
  char ip[ZN_IPV4_STRLEN];
  if (eq == NULL || (size_t)(eq - s) >= sizeof(ip))
    return zn__app_usage(prog, "bad --arp '%s' (want IP=MAC)", s);
  copy_str(ip, sizeof(ip), s, (size_t)(eq - s));
  if (o->narp >= ZN__APP_MAX_ARP)
    return zn__app_usage(prog, "too many --arp entries (at most %d)",
                         ZN__APP_MAX_ARP);
  struct zn__app_arp_static *e = &o->arp[o->narp];
  if (zn_ipv4_parse(ip, &e->ip) != ZN_OK || e->ip == 0)
    return zn__app_usage(prog, "bad IPv4 address '%s' in --arp '%s'", ip, s);
  if (zn_mac_parse(eq + 1, e->mac) != ZN_OK || (e->mac[0] & 1))
    return zn__app_usage(prog, "bad MAC address '%s' in --arp '%s'", eq + 1, s);
  o->narp++;
  return 0;
}


/* ---- the shared flags ---- */

static int parse_ipv4(void *base, const char *val, const char *prog) {
  struct zn__app_opts *o = base;
  (void)prog;
  return zn_ipv4_parse_cidr(val, &o->ipv4, &o->prefix, -1) == ZN_OK &&
                 o->ipv4 != 0
             ? 0
             : -1;
}

/* --ipv6 ADDR/PREFIX (repeatable): a unicast IPv6 address, kept for
 * zn__app_attach; turns IPv6 on. */
static int parse_ipv6(void *base, const char *val, const char *prog) {
  struct zn__app_opts *o = base;
  struct zn_ip a;
  uint8_t prefix;
  if (zn_ip_parse_cidr(val, &a, &prefix, -1) != ZN_OK ||
      a.family != ZN_AF_INET6 || zn_ip_is_unspecified(&a) ||
      zn_ipv6_addr_is_mcast(a.bytes) || zn_ipv6_addr_is_loopback(a.bytes))
    return -1;
  if (o->nipv6 >= ZN__APP_MAX_IPV6)
    return zn__app_usage(prog, "too many --ipv6 addresses (at most %d)",
                         ZN__APP_MAX_IPV6);
  o->ipv6[o->nipv6].addr = a;
  o->ipv6[o->nipv6].prefix = prefix;
  o->nipv6++;
  return 0;
}

/* --dhcp-hostname NAME: option 12, what the library takes. */
static int parse_dhcp_hostname(void *base, const char *val, const char *prog) {
  struct zn__app_opts *o = base;
  (void)prog;
  size_t n = strlen(val);
  if (n == 0 || n > ZN_DHCP4_HOSTNAME_MAX)
    return -1;
  for (size_t i = 0; i < n; i++) {
    char c = val[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
          (c >= '0' && c <= '9') || c == '-' || c == '.'))
      return -1;
  }
  memcpy(o->dhcp_hostname, val, n + 1);
  return 0;
}

static int parse_gateway(void *base, const char *val, const char *prog) {
  struct zn__app_opts *o = base;
  (void)prog;
  return zn_ipv4_parse(val, &o->gateway) == ZN_OK ? 0 : -1;
}

/* --ipv6-gateway ADDR: a unicast IPv6 address (link-local or not). */
static int parse_ipv6_gateway(void *base, const char *val, const char *prog) {
  struct zn__app_opts *o = base;
  (void)prog;
  struct zn_ip a;
  if (zn_ip_parse(val, &a) != ZN_OK || a.family != ZN_AF_INET6 ||
      zn_ip_is_unspecified(&a) || zn_ipv6_addr_is_mcast(a.bytes) ||
      zn_ipv6_addr_is_loopback(a.bytes))
    return -1;
  o->ipv6_gateway = a;
  return 0;
}

static int parse_mac(void *base, const char *val, const char *prog) {
  struct zn__app_opts *o = base;
  if (zn_mac_parse(val, o->mac) != ZN_OK)
    return -1;
  if (o->mac[0] & 1)
    return zn__app_usage(prog, "bad --mac '%s' (multicast)", val);
  o->has_mac = true;
  return 0;
}

static int parse_log(void *base, const char *val, const char *prog) {
  struct zn__app_opts *o = base;
  (void)prog;
  o->log_level = zn_log_level_parse(val);
  return o->log_level < 0 ? -1 : 0;
}

static int parse_bigbufs(void *base, const char *val, const char *prog) {
  struct zn__app_opts *o = base;
  (void)prog;
  o->has_nbigbufs = true;
  return zn__app_parse_u32(val, 0, 4096, &o->nbigbufs);
}

/* 0 turns PMTU black-hole detection off; at most a day. */
static int parse_blackhole_probe(void *base, const char *val,
                                 const char *prog) {
  struct zn__app_opts *o = base;
  (void)prog;
  o->has_blackhole_probe = true;
  return zn__app_parse_u32(val, 0, 86400000u, &o->tcp_blackhole_probe_ms);
}

/* RFC 4862 §5.1 allows at most 255 (an 8-bit setting); 0 turns DAD off. */
static int parse_dad_transmits(void *base, const char *val, const char *prog) {
  struct zn__app_opts *o = base;
  (void)prog;
  o->has_dad_transmits = true;
  return zn__app_parse_u32(val, 0, 255, &o->dad_transmits);
}

static int parse_seed_flag(void *base, const char *val, const char *prog) {
  struct zn__app_opts *o = base;
  (void)prog;
  o->has_seed = true;
  return parse_seed(val, o->seed);
}

static int parse_fault_seed(void *base, const char *val, const char *prog) {
  struct zn__app_opts *o = base;
  (void)prog;
  errno = 0;
  char *end;
  unsigned long long v = strtoull(val, &end, 0);
  if (*val == '\0' || *val == '-' || errno != 0 || *end != '\0')
    return -1;
  o->fault_seed = v;
  return 0;
}

#define ZN__APP_CC_CHOICE_(n, v, s) {(s), ZN_TCP_CC_##n},
static const struct zn__app_choice tcp_ccs[] = {
    ZN_TCP_CC_MAP(ZN__APP_CC_CHOICE_){NULL, 0}};
#undef ZN__APP_CC_CHOICE_

static const struct zn__app_choice fault_dirs[] = {
    {"both", ZN_FAULT_RX | ZN_FAULT_TX},
    {"rx", ZN_FAULT_RX},
    {"tx", ZN_FAULT_TX},
    {NULL, 0}};

static const struct zn__app_choice tcp_ecns[] = {
    {"off", ZN_TCP_ECN_OFF},
    {"on", ZN_TCP_ECN_ON},
    {"passive", ZN_TCP_ECN_PASSIVE},
    {NULL, 0}};

#define OFF(field) offsetof(struct zn__app_opts, field)

static const struct zn__app_opt common_opts[] = {
    {"netif", 0, ZN__APP_FN, 0, 0, 0, NULL, parse_netif, "tap:NAME",
     "tap:NAME, pcap:FILE or solo5:NAME",
     "attach to (or create) TAP device NAME"},
    {"", 0, ZN__APP_DOC, .arg = "--netif pcap:IN.pcap[,out=OUT.pcap]",
     .help = "replay a capture; write what the stack\nsends to OUT.pcap"},
    {"ipv4", 0, ZN__APP_FN, .fn = parse_ipv4, .arg = "ADDR/PREFIX",
     .want = "ADDR/PREFIX",
     .help = "the stack's IPv4 address (e.g. 10.0.0.2/24);\n"
             "ADDRESS: --ipv4, --ipv6, --slaac, or several"},
    {"ipv6", 0, ZN__APP_FN, .fn = parse_ipv6, .arg = "ADDR/PREFIX",
     .want = "a unicast IPv6 ADDR/PREFIX",
     .help = "a static IPv6 address (e.g. 2001:db8::2/64;\nrepeatable, "
             "up to 8); turns IPv6 on"},
    {"slaac", 0, ZN__APP_FLAG, OFF(slaac),
     .help = "IPv6 on, addresses from router\nadvertisements (SLAAC)"},
    {"dhcp", 0, ZN__APP_FLAG, OFF(dhcp),
     .help = "IPv4 address, prefix, gateway and DNS from a\nDHCP server "
             "(with --ipv4: ask for that address\nfirst); prints the lease"},
    {"dhcp-hostname", 0, ZN__APP_FN, .fn = parse_dhcp_hostname, .arg = "NAME",
     .want = "1..63 letters, digits, '-' or '.'",
     .help = "host name the DHCP client sends (option 12)"},
    {"dad-transmits", 0, ZN__APP_FN, .fn = parse_dad_transmits, .arg = "N",
     .want = "0..255",
     .help = "IPv6 duplicate address detection probes\nper address "
             "(default 1; 0: none)"},
    {"gateway", 0, ZN__APP_FN, .fn = parse_gateway, .arg = "ADDR",
     .want = "an IPv4 address",
     .help = "default gateway; off the prefix too (a /32 and\n"
             "169.254.1.1, as a pod gets): reached on the link"},
    {"ipv4-gateway", 0, ZN__APP_FN, .fn = parse_gateway, .arg = "ADDR",
     .want = "an IPv4 address",
     .help = "the same as --gateway (the name urunc gives\n"
             "a Solo5 guest's)"},
    {"ipv6-gateway", 0, ZN__APP_FN, .fn = parse_ipv6_gateway, .arg = "ADDR",
     .want = "a unicast IPv6 address",
     .help = "IPv6 default router besides advertised ones;\n"
             "link-local, or off every prefix (a /128):\nreached on the link"},
    {"mac", 0, ZN__APP_FN, .fn = parse_mac, .arg = "MAC",
     .want = "xx:xx:xx:xx:xx:xx",
     .help = "hardware address (default: the netif's,\nor a random locally "
             "administered one)"},
    {"capture", 0, ZN__APP_STR, OFF(capture), .arg = "FILE.pcap",
     .help = "write every frame in and out to FILE"},
    {"log", 0, ZN__APP_FN, .fn = parse_log, .arg = "LEVEL",
     .want = "error|warn|info|debug|trace",
     .help = "error|warn|info|debug|trace (default info)"},
    {"arp", 0, ZN__APP_FN, .fn = parse_arp, .arg = "IP=MAC",
     .help = "static ARP entry (repeatable)"},
    {"bufs", 0, ZN__APP_U32, OFF(nbufs), 16, 1u << 22, .arg = "N",
     .help = "frame buffers in the pool (default 512)"},
    {"bigbufs", 0, ZN__APP_FN, .fn = parse_bigbufs, .arg = "N",
     .want = "0..4096",
     .help = "64 KiB buffers, for TAP offloads (TSO and\ncoalesced receive; "
             "default 16)"},
    {"no-offload", 0, ZN__APP_FLAG, OFF(no_offload),
     .help = "TAP: plain frames, no checksum/TSO offloads\n(with "
             "them, tcpdump on the TAP shows znet's\nTCP/UDP checksums "
             "as bad: the kernel completes\nthem; see docs/STATUS.md)"},
    {"seed", 0, ZN__APP_FN, .fn = parse_seed_flag, .arg = "HEX",
     .want = "64 hex digits",
     .help = "fixed 64-hex-digit seed (default: getrandom)"},
    {"tcp-conns", 0, ZN__APP_U32, OFF(tcp_conns), 1, 1u << 20, .arg = "N",
     .help = "TCP connections in the table, all states\n(default 64)"},
    /* The window scale option reaches 1 GiB; below an MSS or two nothing
     * useful moves. */
    {"tcp-sndbuf", 0, ZN__APP_SIZE, OFF(tcp_sndbuf), 4096, 1u << 30,
     .arg = "BYTES", .want = "4096..1G bytes; K, M, G allowed",
     .help = "TCP send buffer per connection (default 128K)"},
    {"tcp-rcvbuf", 0, ZN__APP_SIZE, OFF(tcp_rcvbuf), 4096, 1u << 30,
     .arg = "BYTES", .want = "4096..1G bytes; K, M, G allowed",
     .help = "TCP receive window per connection (default 128K)"},
    {"tcp-cc", 0, ZN__APP_CHOICE, OFF(tcp_cc), .choices = tcp_ccs,
     .arg = "cubic|newreno", .help = "TCP congestion control (default cubic)"},
    {"no-tcp-pacing", 0, ZN__APP_FLAG, OFF(no_tcp_pacing),
     .help = "send each flight as the window allows, not\npaced over the "
             "round trip (default: paced)"},
    {"tcp-ecn", 0, ZN__APP_CHOICE, OFF(tcp_ecn), .choices = tcp_ecns,
     .arg = "off|on|passive",
     .help = "ECN (RFC 3168): on asks as a client too;\npassive (default) "
             "only answers a peer that asks"},
    {"tcp-blackhole-probe-ms", 0, ZN__APP_FN, .fn = parse_blackhole_probe,
     .arg = "MS", .want = "0..86400000",
     .help = "after a PMTU black hole lowered the MSS, probe\nthe full "
             "size at most MS apart (default 600000;\n0: no black-hole "
             "detection)"},
    {"", 0, ZN__APP_DOC,
     .help = "Fault injection between the stack and the netif, both "
             "directions (seeded):"},
    {"fault-loss", 0, ZN__APP_PCT, OFF(fault_loss_ppm), .arg = "PCT",
     .help = "drop this share of frames (e.g. 1, 0.5)"},
    {"fault-loss-dir", 0, ZN__APP_CHOICE, OFF(fault_loss_dirs),
     .choices = fault_dirs, .arg = "both|rx|tx",
     .help = "lose only received (rx) or sent (tx) frames,\nthe other "
             "faults still both ways (default both)"},
    {"fault-burst", 0, ZN__APP_PCT, OFF(fault_burst_ppm), .arg = "PCT",
     .help = "burst loss (Gilbert-Elliott): a bad spell\nbegins after "
             "this share of frames"},
    {"fault-burst-len", 0, ZN__APP_U32, OFF(fault_burst_len), 1, 1000000,
     .arg = "N", .help = "frames a bad spell lasts on average (default 4)"},
    {"fault-burst-loss", 0, ZN__APP_PCT, OFF(fault_burst_loss_ppm),
     .arg = "PCT", .help = "share lost in a bad spell (default 100)"},
    {"fault-dup", 0, ZN__APP_PCT, OFF(fault_dup_ppm), .arg = "PCT",
     .help = "duplicate this share of frames"},
    {"fault-delay", 0, ZN__APP_MS, OFF(fault_delay_ns), 0, ZN__APP_MAX_FAULT_MS,
     .arg = "MS", .help = "delay every frame by MS"},
    {"fault-jitter", 0, ZN__APP_MS, OFF(fault_jitter_ns), 0,
     ZN__APP_MAX_FAULT_MS, .arg = "MS",
     .help = "plus 0..MS more, uniformly (reorders too)"},
    {"fault-ce", 0, ZN__APP_PCT, OFF(fault_ce_ppm), .arg = "PCT",
     .help = "mark CE on this share of ECN-capable\npackets (RFC 3168)"},
    {"fault-reorder", 0, ZN__APP_PCT, OFF(fault_reorder_ppm), .arg = "PCT",
     .help = "hold this share of frames back longer"},
    {"fault-reorder-delay", 0, ZN__APP_MS, OFF(fault_reorder_ns), 0,
     ZN__APP_MAX_FAULT_MS, .arg = "MS", .help = "by this much (default 5)"},
    {"fault-seed", 0, ZN__APP_FN, .fn = parse_fault_seed, .arg = "N",
     .want = "an integer", .help = "the injector's seed (default 1)"},
    {.name = NULL},
};

#undef OFF

/* ---- walking the tables ---- */

/* "--name", or "-c" for a flag given (or only known) by its letter. */
static const char *flag_text(const struct zn__app_opt *d, bool letter,
                             char *buf, size_t size) {
  if (d->name[0] != '\0' && !(letter && d->short_name))
    (void)snprintf(buf, size, "--%s", d->name);
  else
    (void)snprintf(buf, size, "-%c", d->short_name);
  return buf;
}

/* The usual one-line error for a bad value; returns ZN__APP_BAD. */
static int bad_value(const char *prog, const struct zn__app_opt *d, bool letter,
                     const char *val) {
  char flag[64], want[128];
  flag_text(d, letter, flag, sizeof(flag));
  if (d->want) {
    (void)snprintf(want, sizeof(want), "%s", d->want);
  } else if (d->kind == ZN__APP_CHOICE) {
    size_t n = 0;
    want[0] = '\0';
    for (const struct zn__app_choice *c = d->choices; c->name; c++)
      n += (size_t)snprintf(want + n, n < sizeof(want) ? sizeof(want) - n : 0,
                            "%s%s", c == d->choices ? "" : (c + 1)->name
                                                               ? ", "
                                                               : " or ",
                            c->name);
  } else if (d->kind == ZN__APP_PCT) {
    (void)snprintf(want, sizeof(want), "a percentage 0..100");
  } else if (d->kind == ZN__APP_SECONDS) {
    (void)snprintf(want, sizeof(want), "seconds, e.g. 5 or 0.5");
  } else if (d->kind == ZN__APP_MS) {
    (void)snprintf(want, sizeof(want), "%" PRIu64 "..%" PRIu64 " ms", d->min,
                   d->max);
  } else {
    (void)snprintf(want, sizeof(want), "%" PRIu64 "..%" PRIu64, d->min,
                   d->max);
  }
  (void)zn__app_usage(prog, "bad %s '%s' (want %s)", flag, val, want);
  return ZN__APP_BAD;
}

static int parse_choice(const struct zn__app_opt *d, const char *val,
                        int *out) {
  for (const struct zn__app_choice *c = d->choices; c->name; c++)
    if (strcasecmp(val, c->name) == 0) {
      *out = c->value;
      return 0;
    }
  return -1;
}

/* Store flag d's value val into base; `letter`: given as -X.  Returns 0,
 * or ZN__APP_BAD with the message printed. */
static int apply(const char *prog, const struct zn__app_opt *d, bool letter,
                 void *base, const char *val) {
  uint8_t *at = (uint8_t *)base + d->off;
  uint32_t u;
  uint64_t v;
  int rc = 0;
  switch (d->kind) {
  case ZN__APP_FLAG:
    *(bool *)(void *)at = true;
    break;
  case ZN__APP_U16:
  case ZN__APP_U32:
    rc = zn__app_parse_u32(val, (uint32_t)d->min, (uint32_t)d->max, &u);
    if (rc == 0 && d->kind == ZN__APP_U16)
      *(uint16_t *)(void *)at = (uint16_t)u;
    else if (rc == 0)
      *(uint32_t *)(void *)at = u;
    break;
  case ZN__APP_SIZE:
  case ZN__APP_SECONDS:
  case ZN__APP_MS:
    rc = d->kind == ZN__APP_SIZE      ? zn__app_parse_size(val, d->max, &v)
         : d->kind == ZN__APP_SECONDS ? zn__app_parse_seconds(val, &v)
                                      : parse_decimal(val, 6, d->max, &v);
    if (rc == 0 && (v < d->min || (d->kind == ZN__APP_SECONDS && v > d->max)))
      rc = -1;
    if (rc == 0)
      *(uint64_t *)(void *)at = v;
    break;
  case ZN__APP_PCT:
    rc = zn__app_parse_pct(val, (uint32_t *)(void *)at);
    break;
  case ZN__APP_STR:
    if (*val == '\0') {
      char flag[64];
      (void)zn__app_usage(prog, "empty %s file name",
                          flag_text(d, letter, flag, sizeof(flag)));
      return ZN__APP_BAD;
    }
    *(const char **)(void *)at = val;
    break;
  case ZN__APP_CHOICE:
    rc = parse_choice(d, val, (int *)(void *)at);
    break;
  case ZN__APP_FN:
    rc = d->fn(base, val, prog);
    break;
  case ZN__APP_DOC:
    break;
  }
  if (rc == ZN__APP_REPORTED)
    return ZN__APP_BAD;
  return rc != 0 ? bad_value(prog, d, letter, val) : 0;
}

/* One help entry: the flag and its value's name, then the help text from
 * column ZN__APP_HELP_COL, its continuation lines under it. */
static void print_opt(const struct zn__app_opt *d) {
  char left[128];
  int n;
  if (d->kind == ZN__APP_DOC && d->arg == NULL) {
    printf("  %s\n", d->help);
    return;
  }
  if (d->kind == ZN__APP_DOC)
    n = snprintf(left, sizeof(left), "  %s", d->arg);
  else
    n = snprintf(left, sizeof(left), "  %s%s%s%s%s%s",
                 d->short_name ? (char[]){'-', d->short_name, '\0'} : "",
                 d->short_name && d->name[0] ? ", " : "",
                 d->name[0] ? "--" : "", d->name, d->arg ? " " : "",
                 d->arg ? d->arg : "");
  if (n < 0 || n >= ZN__APP_HELP_COL)
    printf("%s\n%*s", left, ZN__APP_HELP_COL, "");
  else
    printf("%-*s", ZN__APP_HELP_COL, left);
  for (const char *h = d->help; *h; h++) {
    putchar(*h);
    if (*h == '\n')
      printf("%*s", ZN__APP_HELP_COL, "");
  }
  putchar('\n');
}

static void print_help(const struct zn__app_prog *prog) {
  printf("usage: %s %s\n%s\n\n", prog->name, prog->synopsis, prog->summary);
  for (const struct zn__app_opt *d = prog->opts; d && d->name; d++)
    print_opt(d);
  for (const struct zn__app_opt *d = common_opts; !prog->no_common && d->name;
       d++)
    print_opt(d);
  static const struct zn__app_opt help = {"help", 'h', ZN__APP_FLAG,
                                          .help = "this help"};
  print_opt(&help);
}

/* getopt_long's view of the tables: long flags valued ZN__APP_LONG + t * 0x100
 * + i, short ones by their letter.  Returns the number of long flags. */
static size_t build_getopt(const struct zn__app_opt *const tabs[2],
                           struct option *all, char *shorts, size_t nshorts) {
  size_t n = 0, ns = 2;
  for (int t = 0; t < 2; t++) {
    for (size_t i = 0; tabs[t] && tabs[t][i].name; i++) {
      const struct zn__app_opt *d = &tabs[t][i];
      if (d->kind == ZN__APP_DOC || n >= ZN__APP_MAX_OPTS)
        continue;
      int has_arg =
          d->kind == ZN__APP_FLAG || (d->kind == ZN__APP_FN && !d->arg)
              ? no_argument
              : required_argument;
      if (d->name[0] != '\0')
        all[n++] = (struct option){d->name, has_arg, NULL,
                                   ZN__APP_LONG + t * 0x100 + (int)i};
      if (d->short_name && ns + 3 < nshorts) {
        shorts[ns++] = d->short_name;
        if (has_arg == required_argument)
          shorts[ns++] = ':';
      }
    }
  }
  all[n++] = (struct option){"help", no_argument, NULL, 'h'};
  memset(&all[n], 0, sizeof(all[n]));
  shorts[ns] = '\0';
  return n;
}

/* The flag getopt returned c for, and its table's index in *t. */
static const struct zn__app_opt *lookup(const struct zn__app_opt *const tabs[2],
                                        int c, int *t) {
  if (c >= ZN__APP_LONG) {
    *t = (c - ZN__APP_LONG) / 0x100;
    return &tabs[*t][(c - ZN__APP_LONG) % 0x100];
  }
  for (*t = 0; *t < 2; (*t)++)
    for (const struct zn__app_opt *d = tabs[*t]; d && d->name; d++)
      if (d->kind != ZN__APP_DOC && d->short_name == c)
        return d;
  return NULL;
}

/* What the shared flags say together: 0, or ZN__APP_REPORTED (message
 * printed). */
static int check_common(struct zn__app_opts *o,
                        const struct zn__app_prog *prog) {
  const char *name = prog->name;
  if (o->gateway &&
      (o->gateway == o->ipv4 || !zn_ipv4_is_wire_unicast(o->gateway))) {
    char g[ZN_IPV4_STRLEN];
    return zn__app_usage(name, "--gateway %s: not a unicast address of "
                         "another host", zn_ipv4_format(o->gateway, g));
  }
  if (o->gateway && o->dhcp)
    return zn__app_usage(name,
                         "--gateway and --dhcp: the lease gives the gateway");
  if (o->gateway && !o->ipv4)
    return zn__app_usage(name, "--gateway needs --ipv4");
  if (o->ipv6_gateway.family && o->nipv6 == 0 && !o->slaac)
    return zn__app_usage(name, "--ipv6-gateway needs --ipv6 or --slaac");
  if (o->dhcp_hostname[0] && !o->dhcp)
    return zn__app_usage(name, "--dhcp-hostname needs --dhcp");
  if (o->netif == ZN__APP_NETIF_SOLO5 &&
      zn__app_default_netif != ZN__APP_NETIF_SOLO5)
    return zn__app_usage(name, "--netif %s is for a Solo5 image",
                         o->netif_text);
  if (o->netif != ZN__APP_NETIF_SOLO5 &&
      zn__app_default_netif == ZN__APP_NETIF_SOLO5)
    return zn__app_usage(name,
                         "in a Solo5 image the netif is solo5:NAME, not '%s'",
                         o->netif_text);
  if (o->netif == ZN__APP_NETIF_NONE && !prog->netif_optional)
    return zn__app_usage(name, "no --netif given");
  o->fault = o->fault_loss_ppm || o->fault_dup_ppm || o->fault_reorder_ppm ||
             o->fault_ce_ppm || o->fault_delay_ns || o->fault_jitter_ns ||
             o->fault_burst_ppm;
  return 0;
}

/* getopt's answer c (not -1): 0 with the value stored, ZN__APP_HELP (help
 * printed), or ZN__APP_BAD or ZN__APP_REPORTED (message printed). */
static int take_flag(const struct zn__app_opt *const tabs[2],
                     void *const bases[2], int c, char **argv,
                     const struct zn__app_prog *prog) {
  int t;
  const struct zn__app_opt *d;
  if (c == 'h') {
    print_help(prog);
    return ZN__APP_HELP;
  }
  if (c == ':')
    return zn__app_usage(prog->name, "option '%s' needs a value",
                         argv[optind - 1]);
  if (c == '?' || (d = lookup(tabs, c, &t)) == NULL) {
    if (optopt > 0 && optopt < 0x100)
      return zn__app_usage(prog->name, "bad option '-%c'", optopt);
    return zn__app_usage(prog->name, "bad option '%s'", argv[optind - 1]);
  }
  return apply(prog->name, d, c < ZN__APP_LONG, bases[t], optarg);
}

int zn__app_parse_args(struct zn__app_opts *o, int argc, char **argv,
                       const struct zn__app_prog *prog, int *first) {
  const struct zn__app_opt *const tabs[2] = {
      prog->opts, prog->no_common ? NULL : common_opts};
  void *const bases[2] = {prog->arg, o};
  struct option all[ZN__APP_MAX_OPTS + 2];
  /* Leading ':' makes getopt report a missing value as ':'. */
  char shorts[2 * ZN__APP_MAX_OPTS + 4] = ":h";
  build_getopt(tabs, all, shorts, sizeof(shorts));
  opterr = 0;
  optind = 0; /* afresh: glibc's and musl's getopt both start over */
  int c;
  while ((c = getopt_long(argc, argv, shorts, all, NULL)) != -1) {
    int rc = take_flag(tabs, bases, c, argv, prog);
    if (rc != 0)
      return rc == ZN__APP_HELP ? ZN__APP_HELP : ZN__APP_BAD;
  }
  if (!prog->no_common && check_common(o, prog) != 0)
    return ZN__APP_BAD;
  *first = optind;
  return 0;
}

int zn__app_parse(struct zn__app_opts *o, int argc, char **argv,
                  const struct zn__app_prog *prog) {
  int first = 0;
  int rc = zn__app_parse_args(o, argc, argv, prog, &first);
  if (rc == ZN__APP_HELP)
    exit(0);
  if (rc != 0)
    exit(ZN__APP_EXIT_USAGE);
  return first;
}

void zn__app_require_address(const struct zn__app_opts *o, const char *prog) {
  if (o->ipv4 == 0 && o->nipv6 == 0 && !o->slaac && !o->dhcp)
    zn__app_usage_error(prog, "an address is required: --ipv4 ADDR/PREFIX, "
                        "--ipv6 ADDR/PREFIX, --slaac or --dhcp");
}

char *zn__app_ipv4_text(const struct zn__app_opts *o, char *buf, size_t size) {
  if (o->dhcp) {
    (void)snprintf(buf, size, "dhcp");
  } else if (o->ipv4 == 0) {
    (void)snprintf(buf, size, "no-ipv4");
  } else {
    char ip[ZN_IPV4_STRLEN];
    (void)snprintf(buf, size, "%s/%u", zn_ipv4_format(o->ipv4, ip),
                   (unsigned)o->prefix);
  }
  return buf;
}

void zn__app_print_banner(struct zn__app_host *h) {
  char mac[ZN_MAC_STRLEN], where[4400];
  const struct zn__app_opts *o = &h->o;
  bool addressed = o->ipv4 || o->nipv6 || o->slaac || o->dhcp;
  const char *prog = h->prog ? h->prog : "znet";
  zn__app_describe_netif(h, where, sizeof(where));
  zn_mac_format(zn_stack_mac(h->st), mac);
  if (addressed) {
    char ip[ZN_IPV4_STRLEN + 8];
    printf("%s: %s mac %s on %s\n", prog,
           zn__app_ipv4_text(o, ip, sizeof(ip)), mac, where);
  } else {
    printf("%s: no address (--ipv4, --ipv6, --slaac or --dhcp): loopback "
           "only; mac %s on %s\n", prog, mac, where);
  }
  (void)fflush(stdout);
  zn__app_ipv6_report(h);
}

static const char *ipv6_state_name(uint8_t state) {
  switch (state) {
  case ZN_IPV6_ADDR_TENTATIVE:
    return "tentative";
  case ZN_IPV6_ADDR_PREFERRED:
    return "preferred";
  case ZN_IPV6_ADDR_DEPRECATED:
    return "deprecated";
  case ZN_IPV6_ADDR_DUPLICATE:
    return "duplicate";
  default:
    return "?";
  }
}

static const char *ipv6_origin_name(uint8_t origin) {
  switch (origin) {
  case ZN_IPV6_ORIGIN_LINKLOCAL:
    return "link-local";
  case ZN_IPV6_ORIGIN_STATIC:
    return "static";
  case ZN_IPV6_ORIGIN_SLAAC:
    return "slaac";
  default:
    return "?";
  }
}

/* Whether a (with its state) is among the addresses printed last. */
static bool ipv6_shown(const struct zn__app_host *h,
                       const struct zn_ipv6_addr_info *a) {
  for (uint32_t i = 0; i < h->nshown; i++)
    if (zn_ip_eq(&h->shown[i].addr, &a->addr) &&
        h->shown[i].state == a->state)
      return true;
  return false;
}

void zn__app_ipv6_report(struct zn__app_host *h) {
  if (!h->cfg.ipv6 || h->st == NULL)
    return;
  struct zn_ipv6_addr_info now[ZN__APP_MAX_SHOWN];
  uint32_t n = zn_stack_ipv6_addrs(h->st, now, ZN__APP_MAX_SHOWN);
  if (n > ZN__APP_MAX_SHOWN)
    n = ZN__APP_MAX_SHOWN;
  bool printed = false;
  for (uint32_t i = 0; i < n; i++) {
    if (ipv6_shown(h, &now[i]))
      continue;
    char ip[ZN_IP_STRLEN];
    printf("%s: ipv6 %s/%u %s %s\n", h->prog ? h->prog : "znet",
           zn_ip_format(&now[i].addr, ip), (unsigned)now[i].prefix,
           ipv6_state_name(now[i].state), ipv6_origin_name(now[i].origin));
    printed = true;
  }
  memcpy(h->shown, now, n * sizeof(now[0]));
  h->nshown = n;
  if (printed)
    (void)fflush(stdout);
}

static bool ipv6_tentative(const struct zn_stack *st) {
  struct zn_ipv6_addr_info a[ZN__APP_MAX_SHOWN];
  uint32_t n = zn_stack_ipv6_addrs(st, a, ZN__APP_MAX_SHOWN);
  for (uint32_t i = 0; i < n && i < ZN__APP_MAX_SHOWN; i++)
    if (a[i].state == ZN_IPV6_ADDR_TENTATIVE)
      return true;
  return false;
}

uint64_t zn__app_now(const struct zn__app_host *h) {
  uint64_t t = zn_netif_now(h->nif);
  return t == ZN_TIME_NEVER ? zn_host_now() : t;
}

void zn__app_poll_netif(struct zn__app_host *h, uint64_t deadline) {
  if (deadline > zn__app_now(h))
    (void)zn_netif_wait(h->nif, deadline);
  zn_stack_poll(h->st, zn__app_now(h));
}

void zn__app_ipv6_wait_ready(struct zn__app_host *h, uint64_t limit) {
  if (!h->cfg.ipv6 || h->st == NULL)
    return;
  uint64_t now = zn__app_now(h);
  uint64_t end = now + limit;
  zn__app_take_input(h, 0);
  for (;;) {
    if (!ipv6_tentative(h->st) || now >= end || zn__app_stop_asked)
      return;
    uint64_t d = zn_stack_next_deadline(h->st);
    zn__app_take_input(h, d < end ? d : end);
    now = zn__app_now(h);
  }
}

void zn__app_dhcp4_event(struct zn_stack *st, void *arg, enum zn_dhcp4_event ev,
                         const struct zn_dhcp4_lease *l) {
  const struct zn__app_host *h = arg;
  const char *prog = h && h->prog ? h->prog : "znet";
  char a[ZN_IPV4_STRLEN], r[ZN_IPV4_STRLEN], s[ZN_IPV4_STRLEN];
  (void)st;
  if (ev == ZN_DHCP4_EV_LOST) {
    printf("%s: dhcp4 lost %s\n", prog, zn_ipv4_format(l->addr, a));
    (void)fflush(stdout);
    return;
  }
  char dns[ZN_DHCP4_DNS_MAX * (ZN_IPV4_STRLEN + 1)] = "-";
  size_t n = 0;
  for (uint32_t i = 0; i < l->ndns; i++) {
    char d[ZN_IPV4_STRLEN];
    n += (size_t)snprintf(dns + n, sizeof(dns) - n, "%s%s", i ? "," : "",
                          zn_ipv4_format(l->dns[i], d));
  }
  char mtu[16] = "-";
  if (l->mtu)
    (void)snprintf(mtu, sizeof(mtu), "%u", (unsigned)l->mtu);
  printf("%s: dhcp4 %s %s/%u router %s dns %s mtu %s lease %us t1 %us "
         "t2 %us server %s\n",
         prog, ev == ZN_DHCP4_EV_BOUND ? "bound" : "renewed",
         zn_ipv4_format(l->addr, a), (unsigned)l->prefix,
         l->router ? zn_ipv4_format(l->router, r) : "-", dns, mtu,
         (unsigned)l->lease_s, (unsigned)l->t1_s, (unsigned)l->t2_s,
         zn_ipv4_format(l->server, s));
  (void)fflush(stdout);
}

bool zn__app_dhcp4_wait_bound(struct zn__app_host *h, uint64_t limit) {
  struct zn_dhcp4_lease l;
  if (!h->o.dhcp || h->st == NULL)
    return false;
  uint64_t now = zn__app_now(h);
  uint64_t end = now + limit;
  zn__app_take_input(h, 0);
  for (;;) {
    if (zn_dhcp4_lease(h->st, &l) == ZN_OK)
      return true;
    if (now >= end || zn__app_stop_asked)
      return false;
    uint64_t d = zn_stack_next_deadline(h->st);
    zn__app_take_input(h, d < end ? d : end);
    now = zn__app_now(h);
  }
}

void zn__app_settle(struct zn__app_host *h, const char *prog) {
  zn__app_take_input(h, 0);
  if (h->o.nipv6 || h->o.slaac)
    zn__app_ipv6_wait_ready(h, ZN__APP_DAD_WAIT);
  if (h->o.dhcp && !zn__app_dhcp4_wait_bound(h, ZN__APP_DHCP_WAIT))
    fprintf(stderr, "%s: no DHCP lease yet; going on\n", prog);
}

int zn__app_parse_dns_server(const char *s, struct zn_dns_server *srv) {
  return zn__app_parse_dns_server_port(s, srv, ZN_DNS_PORT);
}

int zn__app_parse_dns_server_port(const char *s, struct zn_dns_server *srv,
                                  uint16_t default_port) {
  struct zn_ip addr;
  uint16_t port;
  if (zn_ip_parse_endpoint(s, &addr, &port, default_port) != ZN_OK ||
      zn_ip_is_unspecified(&addr))
    return -1;
  srv->addr = addr;
  srv->port = port;
  return 0;
}

int zn__app_config(const struct zn__app_opts *o, struct zn_config *cfg,
                   const char *prog) {
  zn_config_default(cfg);
  if (o->has_seed) {
    memcpy(cfg->seed, o->seed, sizeof(cfg->seed));
  } else if (zn_host_seed(cfg->seed) != ZN_OK) {
    fprintf(stderr, "%s: getrandom failed: %s\n", prog, strerror(errno));
    return ZN_EIO;
  }
  cfg->log = zn_host_log;
  cfg->log_ctx = NULL;
  cfg->log_level = o->log_level;
  cfg->port_share = o->port_share;
  cfg->port_shares = o->port_shares;
  if (o->no_arp_announce)
    cfg->arp_announce = false;
  if (o->dhcp) {
    cfg->dhcp4.enable = true;
    cfg->dhcp4.reboot_addr = o->ipv4; /* 0 without --ipv4 */
    memcpy(cfg->dhcp4.hostname, o->dhcp_hostname,
           sizeof(cfg->dhcp4.hostname));
  } else {
    cfg->ipv4_addr = o->ipv4;
    cfg->ipv4_prefix = o->prefix;
    cfg->ipv4_gateway = o->gateway;
  }
  cfg->ipv6 = o->nipv6 > 0 || o->slaac || o->ipv6_given;
  cfg->ipv6_slaac = o->slaac;
  if (o->has_dad_transmits)
    cfg->ipv6_dad_transmits = (uint8_t)o->dad_transmits; /* at most 255 */
  if (o->has_mac) {
    memcpy(cfg->mac, o->mac, 6);
    cfg->has_mac = true;
  }
  if (o->nbufs)
    cfg->nbufs = o->nbufs;
  /* TAP offloads build and receive frames of up to 64 KiB in the large
   * buffers: a handful more than the library's default. */
  cfg->nbigbufs = o->has_nbigbufs ? o->nbigbufs
                  : o->netif == ZN__APP_NETIF_TAP && !o->no_offload
                      ? 16
                      : cfg->nbigbufs;
  if (o->tcp_conns)
    cfg->tcp_conns = o->tcp_conns;
  if (o->tcp_sndbuf)
    cfg->tcp_sndbuf = (uint32_t)o->tcp_sndbuf; /* at most 1G */
  if (o->tcp_rcvbuf)
    cfg->tcp_rcvbuf = (uint32_t)o->tcp_rcvbuf;
  if (o->tcp_cc >= 0)
    cfg->tcp_cc = (uint8_t)o->tcp_cc;
  if (o->no_tcp_pacing)
    cfg->tcp_pacing = false;
  if (o->tcp_ecn >= 0)
    cfg->tcp_ecn = (uint8_t)o->tcp_ecn;
  if (o->has_blackhole_probe)
    cfg->tcp_blackhole_probe_ms = o->tcp_blackhole_probe_ms;
  return 0;
}

/* A failed invariant (ZN_ASSERT) said on stderr, then the program ends
 * with SIGABRT, rather than the default's bare trap. */
static void report_assertion(void *ctx, const char *expr, const char *file,
                             int line) {
  fprintf(stderr, "%s: znet: assertion failed: %s (%s:%d)\n",
          (const char *)ctx, expr, file, line);
  abort();
}

int zn__app_stack_new(const struct zn_config *cfg, const char *prog, void **mem,
                      struct zn_stack **st) {
  *mem = NULL;
  *st = NULL;
  zn_assert_set_handler(report_assertion, (void *)(uintptr_t)prog);
  size_t len = zn_stack_mem_size(cfg);
  if (len == 0) {
    fprintf(stderr, "%s: invalid stack configuration\n", prog);
    return ZN_EINVAL;
  }
  /* Pages of their own, not the program's malloc: a program may replace
   * malloc (an allocator of its own, a test's), and in an image the
   * runtime opens the stack before main. */
  int prot = PROT_READ | PROT_WRITE, flags = MAP_PRIVATE | MAP_ANONYMOUS;
  /* cppcheck-suppress invalidFunctionArg ; MAP_ANONYMOUS takes fd -1 */
  void *m = mmap(NULL, len, prot, flags, -1, 0);
  if (m == MAP_FAILED) {
    fprintf(stderr, "%s: cannot allocate %zu bytes for the stack\n", prog,
            len);
    return ZN_ENOMEM;
  }
  int rc = zn_stack_create(cfg, m, len, st);
  if (rc != ZN_OK) {
    fprintf(stderr, "%s: zn_stack_create: %s\n", prog, zn_strerror(rc));
    munmap(m, len);
    return rc;
  }
  *mem = m;
  return 0;
}

void zn__app_stack_free(const struct zn_config *cfg, struct zn_stack *st,
                        void *mem, const char *prog) {
  if (st) {
    zn_stack_destroy(st);
    uint32_t left = zn_stack_bufs_in_use(st);
    if (left != 0)
      fprintf(stderr, "%s: warning: %" PRIu32 " buffers still in use after "
              "zn_stack_destroy (leak)\n", prog, left);
  }
  if (mem)
    munmap(mem, zn_stack_mem_size(cfg));
}
void zn__app_print_stats(FILE *fp, const struct zn_stack *st,
                         const char *prog) {
  struct zn_stats s;
  zn_stats_get(st, &s);
  zn__app_print_counts(fp, &s, prog);
}

void zn__app_print_counts(FILE *fp, const struct zn_stats *s,
                          const char *who) {
  fprintf(fp, "%s: counters (non-zero; drops marked):\n", who);
  for (int i = 0; i < ZN_STAT_COUNT; i++) {
    if (s->v[i] == 0)
      continue;
    if (zn_stat_is_drop(i))
      fprintf(fp, "  %-26s %10" PRIu64 "  DROP: %s\n", zn_stat_name(i),
              s->v[i], zn_stat_text(i));
    else
      fprintf(fp, "  %-26s %10" PRIu64 "\n", zn_stat_name(i), s->v[i]);
  }
  fprintf(fp, "  %-26s %10" PRIu64 "\n", "(drops total)", zn_stats_drops(s));
}


void zn__app_print_nz(FILE *fp, const char *name, uint64_t v) {
  if (v)
    fprintf(fp, "  %-26s %10" PRIu64 "\n", name, v);
}

/* The fault injector's configuration from the --fault-* flags; it may
 * hold up to half of nbufs. */
static void zn__app_fault_cfg(const struct zn__app_opts *o, uint32_t nbufs,
                              struct zn_fault_cfg *fc) {
  memset(fc, 0, sizeof(*fc));
  fc->seed = o->fault_seed;
  fc->dirs = ZN_FAULT_RX | ZN_FAULT_TX;
  fc->loss_ppm = o->fault_loss_ppm;
  fc->loss_dirs = (uint32_t)o->fault_loss_dirs;
  fc->burst_enter_ppm = o->fault_burst_ppm;
  fc->burst_exit_ppm = 1000000u / o->fault_burst_len; /* len >= 1 */
  fc->burst_loss_ppm = o->fault_burst_loss_ppm;
  fc->dup_ppm = o->fault_dup_ppm;
  fc->reorder_ppm = o->fault_reorder_ppm;
  fc->ce_ppm = o->fault_ce_ppm;
  fc->delay_ns = o->fault_delay_ns;
  fc->jitter_ns = o->fault_jitter_ns;
  fc->reorder_delay_ns = o->fault_reorder_ns;
  /* Held frames are pool buffers: leave the stack half of them. */
  fc->max_held = nbufs / 2;
}

int zn__app_attach(struct zn__app_host *h, const char *prog) {
  if (h->o.fault) {
    struct zn_fault_cfg fc;
    zn__app_fault_cfg(&h->o, h->cfg.nbufs, &fc);
    zn_fault_init(&h->fault, h->nif, &fc);
    h->fault_open = true;
    h->nif = &h->fault.nif;
  }
  int rc = zn_stack_attach(h->st, h->nif);
  if (rc != ZN_OK) {
    fprintf(stderr, "%s: zn_stack_attach: %s\n", prog, zn_strerror(rc));
    return rc;
  }
  h->prog = prog;
  h->nshown = 0;
  if (h->o.dhcp)
    zn_dhcp4_set_event_cb(h->st, zn__app_dhcp4_event, h);
  for (unsigned i = 0; i < h->o.nipv6; i++) {
    rc = zn_stack_add_ipv6(h->st, &h->o.ipv6[i].addr, h->o.ipv6[i].prefix);
    if (rc != ZN_OK) {
      char ip[ZN_IP_STRLEN];
      fprintf(stderr, "%s: --ipv6 %s/%u: %s\n", prog,
              zn_ip_format(&h->o.ipv6[i].addr, ip),
              (unsigned)h->o.ipv6[i].prefix, zn_strerror(rc));
      return rc;
    }
  }
  if (h->o.ipv6_gateway.family &&
      (rc = zn_stack_set_ipv6_gateway(h->st, &h->o.ipv6_gateway)) != ZN_OK) {
    char ip[ZN_IP_STRLEN];
    fprintf(stderr, "%s: --ipv6-gateway %s: %s\n", prog,
            zn_ip_format(&h->o.ipv6_gateway, ip),
            rc == ZN_EINVAL ? "one of our own addresses" : zn_strerror(rc));
    return rc;
  }
  for (unsigned i = 0; i < h->o.narp; i++) {
    rc = zn_arp_add_static(h->st, h->o.arp[i].ip, h->o.arp[i].mac);
    if (rc != ZN_OK) {
      char ip[ZN_IPV4_STRLEN];
      fprintf(stderr, "%s: --arp %s: %s\n", prog,
              zn_ipv4_format(h->o.arp[i].ip, ip), zn_strerror(rc));
      return rc;
    }
  }
  return 0;
}

void zn__app_print_fault_stats(FILE *fp, const struct zn__app_host *h) {
  if (!h->fault_open)
    return;
  const struct zn_fault_stats *f = &h->fault.stats;
  const struct {
    const char *name;
    uint64_t v;
  } c[] = {
      {"fault.passed", f->passed},       {"fault.lost", f->lost},
      {"fault.lost_rx", f->lost_rx},     {"fault.burst_lost", f->burst_lost},
      {"fault.bursts", f->bursts},
      {"fault.duplicated", f->duplicated}, {"fault.delayed", f->delayed},
      {"fault.reordered", f->reordered}, {"fault.overflow", f->overflow},
      {"fault.nobuf", f->nobuf},         {"fault.ce_marked", f->ce_marked},
  };
  for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++)
    zn__app_print_nz(fp, c[i].name, c[i].v);
}

void zn__app_close(struct zn__app_host *h, const char *prog) {
  zn__app_close_netifs(h);
  if (!h->handed_over)
    zn__app_stack_free(&h->cfg, h->st, h->mem, prog);
  h->st = NULL;
  h->mem = NULL;
}

int zn__app_read_file(const char *path, char **out, size_t *len,
                      const char *prog) {
  FILE *fp = fopen(path, "r");
  if (fp == NULL) {
    fprintf(stderr, "%s: cannot read %s: %s\n", prog, path, strerror(errno));
    return -1;
  }
  char *text = NULL, *line = NULL;
  size_t cap = 0, lcap = 0, n = 0;
  ssize_t got;
  bool nomem = false;
  while (!nomem && (got = getline(&line, &lcap, fp)) >= 0) {
    if (n + (size_t)got + 1 > cap) {
      size_t ncap = cap ? cap : 4096;
      while (ncap < n + (size_t)got + 1)
        ncap *= 2;
      char *more = realloc(text, ncap);
      if (more == NULL) {
        nomem = true;
        break;
      }
      text = more;
      cap = ncap;
    }
    memcpy(text + n, line, (size_t)got);
    n += (size_t)got;
  }
  bool err = ferror(fp) || nomem;
  free(line);
  (void)fclose(fp); /* read only: ferror said what matters */
  if (err || text == NULL) {
    fprintf(stderr, "%s: cannot read %s: %s\n", prog, path,
            nomem ? "out of memory" : text ? "read error" : "empty file");
    free(text);
    return -1;
  }
  text[n] = '\0';
  *out = text;
  *len = n;
  return 0;
}
