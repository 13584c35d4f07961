/*
 * fuzz_seeds: seed inputs for every harness, made at build time from the
 * shared material:
 *
 *   fuzz_seeds SHARED_DIR OUT_DIR STAMP
 *
 * Frames of every capture in SHARED_DIR/traces (and traces/v6-dhcp) and
 * every seed frame in SHARED_DIR/fuzz-seeds are split into each harness's input format
 * (OUT_DIR/<harness>/): the Ethernet frame, the ARP packet, the IPv4
 * datagram, ICMP/UDP/TCP with the addresses their checksum needs, DNS
 * messages (UDP and TCP port 53), and runs of frames as records of the
 * whole-stack harness.  Small captures are pcap seeds as they are; the
 * packetdrill scripts of SHARED_DIR/conformance are pktdrill seeds.  The
 * stack and memlink harnesses also get a few inputs written here that
 * reach their connections (see fuzz_stack.c and fuzz_memlink.c for the
 * formats).  Writes STAMP last.
 */
#include <dirent.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "znet.h"

static const char *out;
static unsigned nwritten;

static void put(const char *h, const char *name, const uint8_t *p,
                size_t len) {
  char path[4096];
  snprintf(path, sizeof(path), "%s/%s/%s", out, h, name);
  FILE *fp = fopen(path, "wb");
  if (!fp || (len && fwrite(p, len, 1, fp) != 1)) {
    perror(path);
    exit(1);
  }
  fclose(fp);
  nwritten++;
}

/* [flags][src][dst] in front of a transport segment. */
static void put_l4(const char *h, const char *name, uint32_t src,
                   uint32_t dst, const uint8_t *p, size_t len) {
  uint8_t *b = malloc(9 + len);
  b[0] = 1;
  zn_wr32(b + 1, src);
  zn_wr32(b + 5, dst);
  memcpy(b + 9, p, len);
  put(h, name, b, 9 + len);
  free(b);
}

/* ---- whole-stack records --------------------------------------------- */

struct recs {
  uint8_t b[16384];
  size_t len;
  int n;
};

static void rec_start(struct recs *r, uint8_t conf) {
  r->len = 0;
  r->n = 0;
  r->b[r->len++] = conf;
}

static void rec_frame(struct recs *r, uint8_t hdr, uint8_t delay_ms,
                      const uint8_t *f, size_t len) {
  if (len > 4096)
    len = 4096;
  if (r->len + 4 + len > sizeof(r->b))
    return;
  r->b[r->len++] = (uint8_t)(hdr | 0x40);
  r->b[r->len++] = delay_ms;
  zn_wr16(r->b + r->len, (uint16_t)len);
  r->len += 2;
  memcpy(r->b + r->len, f, len);
  r->len += len;
  r->n++;
}

static void rec_app(struct recs *r, uint8_t call, uint8_t arg) {
  r->b[r->len++] = 2;
  r->b[r->len++] = call;
  r->b[r->len++] = arg;
}

/* ---- the DHCPv4 client ------------------------------------------------- */

/* A dhcp4_client record (see fuzz_dhcp4_client.c): a server's reply made
 * to pass the client's first checks (arg), then time. */
static size_t client_reply(uint8_t *b, uint8_t arg, const uint8_t *m,
                           size_t len, uint8_t secs16) {
  size_t n = 0;
  b[n++] = 0;
  b[n++] = arg;
  zn_wr16(b + n, (uint16_t)len);
  n += 2;
  memcpy(b + n, m, len);
  n += len;
  b[n++] = 0x82;
  b[n++] = secs16;
  return n;
}

/* A captured reply as the client's first: xid, chaddr, cookie, unicast. */
static void dhcp4_client_seed(const char *name, const uint8_t *m, size_t len) {
  static uint8_t b[4096];
  if (len > 2000)
    return;
  b[0] = 0; /* conf */
  size_t n = 1 + client_reply(b + 1, 0x17, m, len, 1);
  put("dhcp4_client", name, b, n);
}

/* OFFER 10.0.0.50, its ACK (lease 600 s, T1/T2 absent, router, DNS,
 * MTU, option 121), then enough time to renew, rebind and expire. */
static void dhcp4_client_inputs(void) {
  static uint8_t b[4096], m[600];
  for (int v = 0; v < 2; v++) {
    size_t n = 0;
    b[n++] = (uint8_t)v; /* conf: INIT, or INIT-REBOOT for 10.0.0.50 */
    for (int type = ZN_DHCP4_OFFER; type <= ZN_DHCP4_ACK; type += 3) {
      if (v == 1 && type == ZN_DHCP4_OFFER)
        continue;
      struct zn_dhcp4_hdr h = {0};
      h.op = ZN_DHCP4_OP_REPLY;
      h.yiaddr = ZN_IPV4(10, 0, 0, 50);
      size_t k = zn_dhcp4_emit(m, &h);
      uint8_t t = (uint8_t)type, a[4], mtu[2] = {0x05, 0x78};
      static const uint8_t routes[] = {0, 10, 0, 0, 1, 8, 192, 10, 0, 0, 1};
      k += zn_dhcp4_opt_emit(m + k, ZN_DHCP4_OPT_MSG_TYPE, &t, 1);
      zn_wr32(a, ZN_IPV4(10, 0, 0, 1));
      k += zn_dhcp4_opt_emit(m + k, ZN_DHCP4_OPT_SERVER_ID, a, 4);
      k += zn_dhcp4_opt_emit(m + k, ZN_DHCP4_OPT_ROUTER, a, 4);
      k += zn_dhcp4_opt_emit(m + k, ZN_DHCP4_OPT_DNS, a, 4);
      zn_wr32(a, 600);
      k += zn_dhcp4_opt_emit(m + k, ZN_DHCP4_OPT_LEASE_TIME, a, 4);
      zn_wr32(a, 0xffffff00u);
      k += zn_dhcp4_opt_emit(m + k, ZN_DHCP4_OPT_SUBNET_MASK, a, 4);
      k += zn_dhcp4_opt_emit(m + k, ZN_DHCP4_OPT_MTU, mtu, 2);
      k += zn_dhcp4_opt_emit(m + k, ZN_DHCP4_OPT_CLASSLESS_ROUTES, routes,
                             sizeof(routes));
      k = zn_dhcp4_finish(m, k);
      n += client_reply(b + n, type == ZN_DHCP4_ACK ? 0x1f : 0x17, m, k, 1);
    }
    for (int i = 0; i < 4; i++) {
      b[n++] = 0x82;
      b[n++] = 20; /* 320 s */
    }
    put("dhcp4_client", v ? "synthetic-reboot" : "synthetic-bound", b, n);
  }
}

/* ---- frames ------------------------------------------------------------ */

static void split_frame(const char *tag, int i, const uint8_t *f, size_t len,
                        struct recs *r, uint64_t *last_us, uint64_t us) {
  char name[512];
  snprintf(name, sizeof(name), "%s-%03d", tag, i);
  if (i < 32)
    put("eth", name, f, len);
  uint64_t d = *last_us && us > *last_us ? (us - *last_us) / 1000u : 0;
  *last_us = us;
  /* To S, addressed to it, checksums fixed. */
  rec_frame(r, 0x0c, (uint8_t)(d > 255 ? 255 : d), f, len);
  struct zn_eth_view e;
  if (zn_eth_view_init(&e, f, len) != ZN_OK)
    return;
  if (e.type == ZN_ETHERTYPE_ARP)
    put("arp", name, f + e.hdr_len, len - e.hdr_len);
  if (e.type == ZN_ETHERTYPE_IPV6)
    put("ipv6", name, f + e.hdr_len, len - e.hdr_len);
  if (e.type != ZN_ETHERTYPE_IPV4)
    return;
  const uint8_t *l3 = f + e.hdr_len;
  size_t l3len = len - e.hdr_len;
  uint8_t *b = malloc(1 + l3len);
  b[0] = 1;
  memcpy(b + 1, l3, l3len);
  put("ipv4", name, b, 1 + l3len);
  free(b);
  struct zn_ipv4_view ip;
  if (zn_ipv4_view_init_quoted(&ip, l3, l3len) != ZN_OK ||
      zn_ipv4_is_fragment(&ip))
    return;
  const uint8_t *l4 = zn_ipv4_payload(&ip);
  size_t l4len = zn_ipv4_payload_len(&ip);
  if (ip.proto == ZN_IPPROTO_ICMP) {
    uint8_t *m = malloc(1 + l4len);
    m[0] = 1;
    memcpy(m + 1, l4, l4len);
    put("icmp", name, m, 1 + l4len);
    free(m);
  } else if (ip.proto == ZN_IPPROTO_UDP) {
    put_l4("udp", name, ip.src, ip.dst, l4, l4len);
    struct zn_udp_view u;
    if (zn_udp_view_init(&u, l4, l4len) == ZN_OK &&
        (u.sport == 53 || u.dport == 53 || u.sport == 5353))
      put("dns", name, zn_udp_payload(&u), zn_udp_payload_len(&u));
    if (zn_udp_view_init(&u, l4, l4len) == ZN_OK &&
        (u.sport == ZN_DHCP4_SERVER_PORT || u.sport == ZN_DHCP4_CLIENT_PORT))
      put("dhcp4", name, zn_udp_payload(&u), zn_udp_payload_len(&u));
    if (zn_udp_view_init(&u, l4, l4len) == ZN_OK &&
        u.sport == ZN_DHCP4_SERVER_PORT)
      dhcp4_client_seed(name, zn_udp_payload(&u), zn_udp_payload_len(&u));
  } else if (ip.proto == ZN_IPPROTO_TCP) {
    put_l4("tcp", name, ip.src, ip.dst, l4, l4len);
    struct zn_tcp_view t;
    if (zn_tcp_view_init(&t, l4, l4len) == ZN_OK &&
        (t.sport == 53 || t.dport == 53) && zn_tcp_payload_len(&t) > 14)
      put("dns", name, zn_tcp_payload(&t) + 2, zn_tcp_payload_len(&t) - 2);
  }
}

static void flush_recs(const char *tag, int part, struct recs *r) {
  if (r->n == 0)
    return;
  char name[512];
  snprintf(name, sizeof(name), "%s-%02d", tag, part);
  put("stack", name, r->b, r->len);
}

static void split_pcap(const char *dir, const char *file) {
  char path[4096], err[PCAP_ERRBUF_SIZE];
  snprintf(path, sizeof(path), "%s/%s", dir, file);
  pcap_t *p = pcap_open_offline(path, err);
  if (!p)
    return;
  struct recs *r = malloc(sizeof(*r));
  rec_start(r, 0);
  int dlt = pcap_datalink(p);
  struct pcap_pkthdr *h;
  const u_char *d;
  uint64_t last = 0;
  int i = 0, part = 0;
  static uint8_t f[70000];
  while (i < 200 && pcap_next_ex(p, &h, &d) == 1) {
    size_t len = h->caplen;
    uint64_t us = (uint64_t)h->ts.tv_sec * 1000000u + (uint64_t)h->ts.tv_usec;
    if (dlt == DLT_EN10MB) {
      memcpy(f, d, len);
    } else if (len + 14 <= sizeof(f)) {
      zn_eth_emit(f, (const uint8_t *)"\2\0\0\0\0\2",
                  (const uint8_t *)"\2\0\0\0\0\1", ZN_ETHERTYPE_IPV4);
      memcpy(f + 14, d, len);
      len += 14;
    } else {
      continue;
    }
    split_frame(file, i++, f, len, r, &last, us);
    if (r->n == 16) {
      flush_recs(file, part++, r);
      rec_start(r, (uint8_t)part);
    }
  }
  flush_recs(file, part, r);
  free(r);
  pcap_close(p);
}

/* The pcap seed: a copy of a small capture. */
static void copy_file(const char *h, const char *dir, const char *file,
                      size_t max) {
  char path[4096];
  snprintf(path, sizeof(path), "%s/%s", dir, file);
  FILE *fp = fopen(path, "rb");
  if (!fp)
    return;
  uint8_t *b = malloc(max + 1);
  size_t n = fread(b, 1, max + 1, fp);
  fclose(fp);
  if (n <= max) {
    char name[512];
    snprintf(name, sizeof(name), "%s", file);
    for (char *c = name; *c; c++)
      if (*c == '/')
        *c = '_';
    put(h, name, b, n);
  }
  free(b);
}

static void walk_dir(const char *dir, const char *rel, void (*fn)(
                         const char *dir, const char *rel)) {
  char path[4096];
  snprintf(path, sizeof(path), "%s/%s", dir, rel);
  DIR *dp = opendir(path);
  if (!dp)
    return;
  struct dirent *de;
  while ((de = readdir(dp))) {
    if (de->d_name[0] == '.')
      continue;
    char sub[4096];
    snprintf(sub, sizeof(sub), "%s%s%s", rel, *rel ? "/" : "", de->d_name);
    char full[8192];
    snprintf(full, sizeof(full), "%s/%s", dir, sub);
    struct stat sb;
    if (stat(full, &sb) != 0)
      continue;
    if (S_ISDIR(sb.st_mode))
      walk_dir(dir, sub, fn);
    else
      fn(dir, sub);
  }
  closedir(dp);
}

static void on_seed(const char *dir, const char *rel) {
  size_t l = strlen(rel);
  if (l < 4 || strcmp(rel + l - 4, ".bin") != 0)
    return;
  char path[8192];
  snprintf(path, sizeof(path), "%s/%s", dir, rel);
  FILE *fp = fopen(path, "rb");
  if (!fp)
    return;
  static uint8_t f[65536];
  size_t n = fread(f, 1, sizeof(f), fp);
  fclose(fp);
  char tag[512];
  snprintf(tag, sizeof(tag), "seed-%s", rel);
  for (char *c = tag; *c; c++)
    if (*c == '/')
      *c = '_';
  struct recs *r = malloc(sizeof(*r));
  rec_start(r, 0);
  uint64_t last = 0;
  split_frame(tag, 0, f, n, r, &last, 0);
  flush_recs(tag, 0, r);
  free(r);
}

static void on_pkt(const char *dir, const char *rel) {
  size_t l = strlen(rel);
  if (l > 4 && strcmp(rel + l - 4, ".pkt") == 0)
    copy_file("pktdrill", dir, rel, 65536);
}

/* ---- inputs written here ------------------------------------------------ */

/* A TCP segment in an Ethernet frame; with the relative flag its seq and
 * ack are offsets. */
/* Ethernet and IPv4 headers (34 bytes) in front of l4len bytes of proto,
 * from 10.0.0.<s> (MAC 02:00:00:00:00:<s>) to 10.0.0.<d>. */
static void mk_ip(uint8_t *f, uint8_t s, uint8_t d, uint8_t proto,
                  size_t l4len) {
  const uint8_t smac[6] = {2, 0, 0, 0, 0, s}, dmac[6] = {2, 0, 0, 0, 0, d};
  zn_eth_emit(f, dmac, smac, ZN_ETHERTYPE_IPV4);
  struct zn_ipv4_hdr h = {.ttl = 64, .proto = proto,
                          .tot_len = (uint16_t)(20 + l4len),
                          .src = ZN_IPV4(10, 0, 0, s),
                          .dst = ZN_IPV4(10, 0, 0, d)};
  zn_ipv4_emit(f + 14, &h);
}

static size_t mk_tcp(uint8_t *f, uint8_t flags, uint32_t seq, uint32_t ack,
                     const char *data) {
  size_t dlen = data ? strlen(data) : 0;
  mk_ip(f, 1, 2, ZN_IPPROTO_TCP, 20 + dlen);
  zn_tcp_emit(f + 34, 0, 0, seq, ack, flags, 65535, 0);
  memcpy(f + 54, data ? data : "", dlen);
  zn_tcp_finish(f + 34, 20 + dlen, ZN_IPV4(10, 0, 0, 1), ZN_IPV4(10, 0, 0, 2));
  return 54 + dlen;
}

static void stack_inputs(void) {
  struct recs *r = malloc(sizeof(*r));
  uint8_t f[2048];
  /* Spoofed segments from C on its connections to S: data in order,
   * out of order, a FIN, a RST; then to C from S. */
  rec_start(r, 0);
  rec_frame(r, 0x2c, 1, f, mk_tcp(f, ZN_TCP_ACK | ZN_TCP_PSH, 0, 0, "abc"));
  rec_frame(r, 0x2c, 1, f, mk_tcp(f, ZN_TCP_ACK, 10, 0, "later"));
  rec_frame(r, 0x2c, 1, f, mk_tcp(f, ZN_TCP_ACK | ZN_TCP_FIN, 0, 0, NULL));
  rec_frame(r, 0x2d, 1, f, mk_tcp(f, ZN_TCP_ACK, 0, 0, "xyz"));
  rec_frame(r, 0x2c, 1, f, mk_tcp(f, ZN_TCP_RST, 0, 0, NULL));
  put("stack", "spoof-established", r->b, r->len);
  /* X answers C's SYN, sends data, closes. */
  rec_start(r, 0);
  rec_frame(r, 0x3d, 1, f, mk_tcp(f, ZN_TCP_SYN | ZN_TCP_ACK, 1000, 0, NULL));
  rec_frame(r, 0x3d, 1, f, mk_tcp(f, ZN_TCP_ACK, 0, 0, "data from x"));
  rec_app(r, 0x20, 40);
  rec_frame(r, 0x3d, 1, f, mk_tcp(f, ZN_TCP_ACK | ZN_TCP_FIN, 0, 0, NULL));
  put("stack", "x-handshake", r->b, r->len);
  /* X connects to S:80, completes, sends. */
  rec_start(r, 0);
  size_t n = mk_tcp(f, ZN_TCP_SYN, 5000, 0, NULL);
  zn_wr16(f + 34, 40000);
  zn_wr16(f + 36, 80);
  rec_frame(r, 0x1c, 1, f, n);
  rec_frame(r, 0x3c, 1, f, mk_tcp(f, ZN_TCP_ACK, 0, 0, NULL));
  rec_frame(r, 0x3c, 1, f, mk_tcp(f, ZN_TCP_ACK | ZN_TCP_PSH, 0, 0, "GET /"));
  rec_frame(r, 0x3c, 50, f, mk_tcp(f, ZN_TCP_ACK | ZN_TCP_FIN, 0, 0, NULL));
  put("stack", "x-to-listener", r->b, r->len);
  /* X answers the DNS query of C (ID and ports from the query). */
  rec_start(r, 0);
  uint8_t msg[512];
  struct zn_dns_builder b;
  struct zn_dns_hdr hd = {.qr = true, .rd = true, .ra = true};
  zn_dns_build_init(&b, msg, sizeof(msg), &hd);
  struct zn_dns_name nm;
  zn_dns_name_from_text(&nm, "example.com", 11);
  zn_dns_build_question(&b, &nm, ZN_DNS_TYPE_A, ZN_DNS_CLASS_IN);
  struct zn_dns_rdata rd = {.type = ZN_DNS_TYPE_A,
                            .u.a = ZN_IPV4(192, 0, 2, 1)};
  zn_dns_build_rr(&b, ZN_DNS_SEC_ANSWER, &nm, ZN_DNS_CLASS_IN, 300, &rd);
  size_t ml = zn_dns_build_len(&b);
  mk_ip(f, 66, 1, ZN_IPPROTO_UDP, 8 + ml);
  memcpy(f + 42, msg, ml);
  zn_udp_emit(f + 34, 53, 0, 8 + ml, ZN_IPV4(10, 0, 0, 66),
              ZN_IPV4(10, 0, 0, 1));
  rec_frame(r, 0x3d, 1, f, 42 + ml);
  put("stack", "x-dns-answer", r->b, r->len);
  put("dns", "example-com-a", msg, ml);
  /* Application calls only. */
  rec_start(r, 0);
  rec_app(r, 0x00, 100);
  rec_app(r, 0x11, 50);
  rec_app(r, 0x02, 0);
  rec_app(r, 0x18, 3);
  rec_app(r, 0x09, 1);
  rec_app(r, 0x07, 0);
  rec_app(r, 0x03, 0);
  put("stack", "app-calls", r->b, r->len);
  free(r);
}

static void memlink_inputs(void) {
  /* Link: seed, loss, dup, corrupt, reorder, delay, jitter, qlen, cc. */
  static const uint8_t clean[9] = {1, 0, 0, 0, 0, 0, 0, 60, 0};
  static const uint8_t lossy[9] = {7, 50, 10, 5, 50, 20, 10, 60, 1};
  static const uint8_t ops[] = {
      0, 0, 0,    8, 0, 10,   1, 0, 100,  2, 0, 60,   8, 0, 20,
      10, 1, 0,   1, 1, 30,   3, 0, 200,  4, 0, 50,   9, 0, 20,
      9, 1, 40,   5, 0, 0,    8, 0, 50,   0, 0, 1,    8, 0, 10,
      1, 2, 250,  6, 2, 0,    0, 0, 3,    7, 1, 0,    12, 0, 3,
      11, 0, 1,   13, 0, 1,   5, 1, 0,    8, 0, 200};
  uint8_t b[9 + sizeof(ops)];
  memcpy(b, clean, 9);
  memcpy(b + 9, ops, sizeof(ops));
  put("memlink", "clean", b, sizeof(b));
  memcpy(b, lossy, 9);
  put("memlink", "lossy", b, sizeof(b));
}

/* Every capture of dir, split into seeds (IPv6 frames feed "ipv6"). */
static void split_traces(const char *dir) {
  DIR *dp = opendir(dir);
  if (!dp)
    return;
  struct dirent *de;
  while ((de = readdir(dp))) {
    size_t l = strlen(de->d_name);
    if (l > 5 && strcmp(de->d_name + l - 5, ".pcap") == 0) {
      split_pcap(dir, de->d_name);
      copy_file("pcap", dir, de->d_name, 16384);
    }
  }
  closedir(dp);
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: fuzz_seeds SHARED_DIR OUT_DIR STAMP\n");
    return 2;
  }
  out = argv[2];
  static const char *const hs[] = {"eth", "arp", "ipv4", "ipv6", "icmp",
                                   "udp", "tcp", "dns", "pcap", "pktdrill",
                                   "stack", "memlink", "dhcp4",
                                   "dhcp4_client"};
  mkdir(out, 0777);
  for (size_t i = 0; i < sizeof(hs) / sizeof(hs[0]); i++) {
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", out, hs[i]);
    mkdir(path, 0777);
  }
  char dir[4096];
  snprintf(dir, sizeof(dir), "%s/traces", argv[1]);
  split_traces(dir);
  snprintf(dir, sizeof(dir), "%s/traces/v6-dhcp", argv[1]);
  split_traces(dir);
  snprintf(dir, sizeof(dir), "%s/fuzz-seeds", argv[1]);
  walk_dir(dir, "", on_seed);
  snprintf(dir, sizeof(dir), "%s/conformance/tcp-testsuite", argv[1]);
  walk_dir(dir, "", on_pkt);
  stack_inputs();
  memlink_inputs();
  dhcp4_client_inputs();
  FILE *fp = fopen(argv[3], "w");
  if (!fp)
    return 1;
  fprintf(fp, "%u seeds\n", nwritten);
  fclose(fp);
  printf("fuzz_seeds: %u seeds in %s\n", nwritten, out);
  return 0;
}
