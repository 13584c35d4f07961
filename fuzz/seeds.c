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
#include "znet/dns_wire.h"
#include "znet/wire.h"

static const char *out;
static unsigned nwritten;

static void put(const char *h, const char *name, const uint8_t *p,
                size_t len) {
  char path[4096];
  snprintf(path, sizeof(path), "%s/%s", out, h);
  mkdir(path, 0777); /* the harness's folder, the first time */
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
  if (i < 32) {
    put("eth", name, f, len);
    put("steer", name, f, len);
  }
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

/* ---- large inputs ------------------------------------------------------ */

/* Every harness gets inputs named large-* longer than each fixed buffer its
 * input flows into (fuzz/README.md lists them): a harness that mistakes a
 * refusal for a failure, or cuts its input short, shows on them.  They
 * run in every smoke run (scripts/fuzz raises -max_len to the largest
 * seed, so libFuzzer takes them whole). */

static uint8_t big[140000];

static void fill(uint8_t *p, size_t n, uint8_t k) {
  for (size_t i = 0; i < n; i++)
    p[i] = (uint8_t)(i * 7u + k);
}

/* At p: a UDP datagram from 10.0.0.<s>:5000 to 10.0.0.<d>:dport with n
 * payload bytes, checksum right; returns 8 + n. */
static size_t mk_udp_body(uint8_t *p, uint8_t s, uint8_t d, uint16_t dport,
                          size_t n) {
  fill(p + 8, n, 1);
  zn_udp_emit(p, 5000, dport, 8 + n, ZN_IPV4(10, 0, 0, s),
              ZN_IPV4(10, 0, 0, d));
  return 8 + n;
}

/* At p: an IPv4 datagram (no link header) from 10.0.0.1 to 10.0.0.2 of
 * proto, its l4len bytes already at p + 20. */
static size_t mk_ip4(uint8_t *p, uint8_t proto, size_t l4len) {
  struct zn_ipv4_hdr h = {.ttl = 64, .proto = proto,
                          .tot_len = (uint16_t)(20 + l4len),
                          .src = ZN_IPV4(10, 0, 0, 1),
                          .dst = ZN_IPV4(10, 0, 0, 2)};
  zn_ipv4_emit(p, &h);
  return 20 + l4len;
}

/* At p: an Ethernet frame from :01 to :02 holding a UDP datagram for
 * 10.0.0.2:7 (the harnesses' echo) with n payload bytes. */
static size_t mk_udp_frame(uint8_t *p, size_t n) {
  zn_eth_emit(p, (const uint8_t *)"\2\0\0\0\0\2",
              (const uint8_t *)"\2\0\0\0\0\1", ZN_ETHERTYPE_IPV4);
  size_t l4 = mk_udp_body(p + 34, 1, 2, 7, n);
  return 14 + mk_ip4(p + 14, ZN_IPPROTO_UDP, l4);
}

static void large_addr(void) {
  static const struct {
    const char *name, *head, *rep, *tail;
    size_t n;
  } t[] = {
      {"large-ipv6-zeros", "", "0", "::1", 300},
      {"large-ipv6-groups", "", "1:", ":1", 400},
      {"large-endpoint", "[", "0", "::1]:80", 300},
      {"large-cidr", "10.0.0.1/", "0", "8", 300},
      {"large-v4-port", "10.0.0.1:", "0", "80", 300},
      {"large-mac", "", "02:", "ff", 200},
      {"large-text", "", "1.", "1", 5000},
  };
  for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
    size_t n = 0;
    n += (size_t)sprintf((char *)big + n, "%s", t[i].head);
    for (size_t k = 0; k < t[i].n; k++)
      n += (size_t)sprintf((char *)big + n, "%s", t[i].rep);
    n += (size_t)sprintf((char *)big + n, "%s", t[i].tail);
    put("addr", t[i].name, big, n);
  }
}

/* Frames and datagrams past a stack's frame buffer (ZN_BUF_SIZE), up to
 * and past its large buffer (65600 bytes with ZN_BIGBUF_SIZE's default),
 * and past what one IPv4 datagram holds. */
static void large_frames(void) {
  const size_t frame_max = (size_t)ZN_BIGBUF_SIZE - ZN_BUF_HEADROOM;
  /* eth: a jumbo UDP echo, the largest IPv4 datagram, one byte past the
   * large buffer (no buffer takes it). */
  put("eth", "large-udp-9000", big, mk_udp_frame(big, 9000 - 42));
  put("eth", "large-udp-ipv4-max", big, mk_udp_frame(big, 65535 - 28));
  memset(big + 65549, 0, sizeof(big) - 65549);
  put("eth", "large-over-buffers", big, frame_max + 1);
  /* ipv4: the same datagrams without their link header, after the flags
   * byte; then the largest with bytes after it (the frame too long for
   * any buffer). */
  big[0] = 1;
  size_t n = 1 + mk_ip4(big + 1, ZN_IPPROTO_UDP,
                        mk_udp_body(big + 21, 1, 2, 7, 8972));
  put("ipv4", "large-udp-9000", big, n);
  n = 1 + mk_ip4(big + 1, ZN_IPPROTO_UDP,
                 mk_udp_body(big + 21, 1, 2, 7, 65535 - 28));
  put("ipv4", "large-udp-ipv4-max", big, n);
  put("ipv4", "large-over-buffers", big, frame_max);
  /* arp: a request for 10.0.0.2 with trailing bytes, as long as a large
   * buffer takes, and one byte more. */
  memset(big, 0, frame_max);
  zn_arp_emit(big, ZN_ARP_OP_REQUEST, (const uint8_t *)"\2\0\0\0\0\1",
              ZN_IPV4(10, 0, 0, 1), (const uint8_t *)"\0\0\0\0\0\0",
              ZN_IPV4(10, 0, 0, 2));
  put("arp", "large-4000", big, 4000);
  put("arp", "large-frame-max", big, frame_max - 14);
  put("arp", "large-over-buffers", big, frame_max - 13);
  /* icmp, udp, tcp: a jumbo message, the most one datagram holds (65515
   * bytes), and more than that (cut to it on the way to the stack). */
  static const size_t sizes[] = {9000, 65515, 70000};
  static const char *const names[] = {"large-9000", "large-ipv4-max",
                                      "large-over-datagram"};
  for (size_t i = 0; i < 3; i++) {
    size_t len = sizes[i];
    big[0] = 1;
    fill(big + 1, len, 3);
    zn_icmp_emit(big + 1, ZN_ICMP_ECHO_REQUEST, 0, 0x00010001u);
    zn_icmp_finish(big + 1, len);
    put("icmp", names[i], big, 1 + len);
    zn_wr32(big + 1, ZN_IPV4(10, 0, 0, 1));
    zn_wr32(big + 5, ZN_IPV4(10, 0, 0, 2));
    fill(big + 9, len, 5);
    zn_udp_emit(big + 9, 5000, 7, len < 65535 ? len : 65535,
                ZN_IPV4(10, 0, 0, 1), ZN_IPV4(10, 0, 0, 2));
    put("udp", names[i], big, 9 + len);
    fill(big + 9, len, 9);
    zn_tcp_emit(big + 9, 5000, 80, 1000, 0, ZN_TCP_SYN, 65535, 0);
    if (len <= 65535)
      zn_tcp_finish(big + 9, len, ZN_IPV4(10, 0, 0, 1), ZN_IPV4(10, 0, 0, 2));
    put("tcp", names[i], big, 9 + len);
  }
}

/* ipv6: UDP datagrams from fe80::1 to fe80::2 port 7, a jumbo one and the
 * largest (payload length 65535: 65575 bytes with the fixed header). */
static void large_ipv6(void) {
  static const uint8_t src[16] = {0xfe, 0x80, [15] = 1};
  static const uint8_t dst[16] = {0xfe, 0x80, [15] = 2};
  static const size_t plens[] = {9000, 65535};
  static const char *const names[] = {"large-udp-9000", "large-udp-max"};
  for (size_t i = 0; i < 2; i++) {
    size_t plen = plens[i];
    struct zn_ipv6_hdr h = {.plen = (uint16_t)plen, .nxt = ZN_IPPROTO_UDP,
                            .hlim = 64};
    memcpy(h.src, src, 16);
    memcpy(h.dst, dst, 16);
    zn_ipv6_emit(big, &h);
    fill(big + 48, plen - 8, 11);
    zn_udp_emit_psum(big + 40, 5000, 7, plen,
                     zn_csum_pseudo6(src, dst, (uint32_t)plen,
                                     ZN_IPPROTO_UDP));
    put("ipv6", names[i], big, 40 + plen);
  }
}

/* icmp6: a neighbor solicitation with 9000 bytes of options, an MLDv2
 * query with 600 sources. */
static void large_icmp6(void) {
  size_t n = 0;
  big[n++] = 0;
  big[n++] = ZN_ICMP6_ND_NS;
  memset(big + n, 0, 23); /* code, checksum, reserved, target */
  big[n + 7] = 0xfe;
  big[n + 8] = 0x80;
  big[n + 22] = 2; /* target fe80::2 */
  n += 23;
  for (size_t i = 0; i < 9000 / 8; i++) {
    big[n] = i == 0 ? 1 : (uint8_t)(200 + i % 50); /* SLLA, then unknown */
    big[n + 1] = 1;
    fill(big + n + 2, 6, (uint8_t)i);
    n += 8;
  }
  put("icmp6", "large-ns-options", big, n);
  n = 0;
  big[n++] = 0;
  memset(big + n, 0, ZN_MLD2_QUERY_LEN);
  big[n] = ZN_ICMP6_MLD_QUERY;
  zn_wr16(big + n + 26, 600);
  n += ZN_MLD2_QUERY_LEN;
  fill(big + n, 600 * 16, 13);
  put("icmp6", "large-mld2-sources", big, n + 600 * 16);
}

static void put_name(uint8_t *p, size_t *n, const char *const *labels) {
  for (; *labels; labels++) {
    size_t l = strlen(*labels);
    p[(*n)++] = (uint8_t)l;
    memcpy(p + *n, *labels, l);
    *n += l;
  }
  p[(*n)++] = 0;
}

/* A 250-byte name of long labels. */
static const char *const long_name[] = {
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
    "ccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc",
    "dddddddddddddddddddddddddddddddddddddddddddddddddddddddd", NULL};

/* dns: a message of 65527 bytes whose SRV targets are pointers to a
 * 250-byte name (the builder never compresses SRV: rebuilt, it cannot
 * fit 65535 bytes), and one byte more than any DNS message. */
static void large_dns(void) {
  size_t n = 12;
  memset(big, 0, 12);
  zn_wr16(big, 7);
  zn_wr16(big + 2, 0x8180);
  zn_wr16(big + 4, 1);
  put_name(big, &n, long_name);
  zn_wr16(big + n, ZN_DNS_TYPE_SRV);
  zn_wr16(big + n + 2, ZN_DNS_CLASS_IN);
  n += 4;
  uint16_t count = 0;
  while (n + 20 <= ZN_DNS_MSG_MAX) {
    static const uint8_t rr[20] = {0xc0, 12, 0, 33, 0, 1, 0, 0, 1, 44,
                                   0, 8, 0, 1, 0, 2, 0, 80, 0xc0, 12};
    memcpy(big + n, rr, sizeof(rr));
    n += sizeof(rr);
    count++;
  }
  zn_wr16(big + 6, count);
  put("dns", "large-srv-rebuilt-too-long", big, n);
  memset(big + n, 0, ZN_DNS_MSG_MAX + 1 - n);
  put("dns", "large-over-message", big, ZN_DNS_MSG_MAX + 1);
}

/* dns_tcp: the largest message (buffer 65535), one longer than the
 * buffer (4112), and more messages than 4096 (70000 bytes). */
static void large_dns_tcp(void) {
  big[0] = 0xff; /* buffer 0xffff */
  big[1] = 3;
  zn_wr16(big + 2, ZN_DNS_MSG_MAX);
  fill(big + 4, ZN_DNS_MSG_MAX, 17);
  put("dns_tcp", "large-message-max", big, 4 + ZN_DNS_MSG_MAX);
  big[0] = 0x10; /* buffer 0x1010 */
  zn_wr16(big + 2, 5000);
  put("dns_tcp", "large-over-buffer", big, 4 + 5000);
  big[0] = 0xff;
  big[1] = 7;
  size_t n = 2;
  while (n + 14 <= 70000) {
    zn_wr16(big + n, 12);
    fill(big + n + 2, 12, (uint8_t)n);
    n += 14;
  }
  put("dns_tcp", "large-many-messages", big, n);
}

/* blocklist: 2000 names in both formats, comments, and lines longer than
 * any name (3000 bytes). */
static void large_blocklist(void) {
  size_t n = 0;
  for (int i = 0; i < 2000; i++) {
    int w = sprintf((char *)big + n, i % 3 ? "host%d.block.example\n"
                                           : "0.0.0.0 ads%d.example.test # c\n",
                    i);
    n += (size_t)w;
    if (i % 500 == 0) {
      memset(big + n, 'x', 3000);
      big[n + 3000] = '\n';
      n += 3001;
    }
  }
  put("blocklist", "large-list", big, n);
}

/* hosts: a piece byte, then 2000 entries of both families with aliases,
 * a line of 9000 bytes (over the parser's 4096), one of 60 names (over
 * its 32) and names of 300 bytes (over 253): longer than the line buffer
 * and than a file read's 4096-byte block. */
static void large_hosts(void) {
  size_t n = 0;
  big[n++] = 5;
  for (int i = 0; i < 2000; i++) {
    if (i % 2)
      n += (size_t)sprintf((char *)big + n, "10.%d.%d.1 host%d.test h%d # c\n",
                           i / 256, i % 256, i, i);
    else
      n += (size_t)sprintf((char *)big + n, "2001:db8::%x host%d.test a%d\n",
                           (unsigned)i, i, i);
    if (i == 700) {
      n += (size_t)sprintf((char *)big + n, "10.0.0.1 ");
      memset(big + n, 'x', 9000);
      n += 9000;
      big[n++] = '\n';
    }
    if (i == 1300) {
      n += (size_t)sprintf((char *)big + n, "10.0.0.2");
      for (int k = 0; k < 60; k++)
        n += (size_t)sprintf((char *)big + n, " n%d", k);
      n += (size_t)sprintf((char *)big + n, " ");
      memset(big + n, 'y', 300);
      n += 300;
      big[n++] = '\n';
    }
  }
  put("hosts", "large-table", big, n);
}

/* A query of `len` bytes: EDNS padding (RFC 7830) fills it. */
static size_t mk_query(uint8_t *p, uint16_t id, size_t len) {
  struct zn_dns_builder b;
  struct zn_dns_hdr h = {.id = id, .rd = true};
  struct zn_dns_name nm;
  zn_dns_name_from_text(&nm, "www.example.test", 16);
  zn_dns_build_init(&b, p, len, &h);
  zn_dns_build_question(&b, &nm, ZN_DNS_TYPE_A, ZN_DNS_CLASS_IN);
  static uint8_t pad[65536];
  size_t room = len - zn_dns_build_len(&b) - 11 - 4;
  zn_wr16(pad, 12);
  zn_wr16(pad + 2, (uint16_t)room);
  memset(pad + 4, 0, room);
  struct zn_dns_opt o = {.udp_size = 1232, .opts = pad, .opts_len = 4 + room};
  zn_dns_build_opt(&b, &o);
  return zn_dns_build_len(&b);
}

/* forwarder (records of fuzz_forwarder.c): a 600-byte client query and an
 * upstream answer after a copy of it (899 bytes more: past the 1024 the
 * harness once had); a TCP client sending a 5000-byte query (past
 * FWD_TCP_QUERY_MAX, 4096) in writes of 2047, another pipelining 20
 * queries (past 16 in progress); the upstream cut short (TC), the retry
 * over TCP answered with a 65535-byte message in writes of 2047. */
static void large_forwarder(void) {
  size_t n = 0, q;
  big[n++] = 0;
  q = mk_query(big + n + 2, 1, 600);
  zn_wr16(big + n, (uint16_t)q);
  n += 2 + q;
  big[n++] = 6;
  big[n++] = 5;
  big[n++] = 1;
  big[n++] = 2 | 4;
  zn_wr16(big + n, 899);
  fill(big + n + 2, 899, 19);
  n += 2 + 899;
  big[n++] = 2; /* client connections 0 and 1 */
  big[n++] = 2;
  big[n++] = 6;
  big[n++] = 2;
  for (size_t left = 5002, i = 0; left > 0; i++) {
    size_t w = left < 2047 ? left : 2047;
    big[n++] = 3;
    big[n++] = 0;
    zn_wr16(big + n, (uint16_t)w);
    fill(big + n + 2, w, (uint8_t)i);
    if (i == 0)
      zn_wr16(big + n + 2, 5000);
    n += 2 + w;
    left -= w;
  }
  big[n++] = 3; /* 20 queries in one write on connection 1 */
  big[n++] = 1;
  size_t at = n + 2;
  for (int i = 0; i < 20; i++) {
    q = mk_query(big + at + 2, (uint16_t)(100 + i), 60);
    zn_wr16(big + at, (uint16_t)q);
    at += 2 + q;
  }
  zn_wr16(big + n, (uint16_t)(at - n - 2));
  n = at;
  big[n++] = 6;
  big[n++] = 20;
  big[n++] = 1; /* the latest query back, with QR and TC */
  big[n++] = 1 | 2 | 4 | 8;
  zn_wr16(big + n, 0);
  n += 2;
  big[n++] = 6;
  big[n++] = 20;
  for (size_t left = 2 + ZN_DNS_MSG_MAX, i = 0; left > 0; i++) {
    size_t w = left < 2047 ? left : 2047;
    big[n++] = 5;
    big[n++] = i == 0; /* the query's ID in the first */
    zn_wr16(big + n, (uint16_t)w);
    fill(big + n + 2, w, (uint8_t)i);
    if (i == 0) {
      zn_wr16(big + n + 2, ZN_DNS_MSG_MAX);
      zn_wr16(big + n + 6, 0x8180);
      memset(big + n + 8, 0, 8);
    }
    n += 2 + w;
    left -= w;
  }
  big[n++] = 6;
  big[n++] = 50;
  put("forwarder", "large-long-queries-and-answers", big, n);
}

/* A DHCP message: the header, the cookie, option 53 = type, then opts. */
static size_t mk_dhcp(uint8_t *p, uint8_t type, const uint8_t *opts,
                      size_t olen) {
  struct zn_dhcp4_hdr h = {0};
  h.op = ZN_DHCP4_OP_REPLY;
  h.yiaddr = ZN_IPV4(10, 0, 0, 50);
  size_t k = zn_dhcp4_emit(p, &h);
  k += zn_dhcp4_opt_emit(p + k, ZN_DHCP4_OPT_MSG_TYPE, &type, 1);
  memcpy(p + k, opts, olen);
  return zn_dhcp4_finish(p, k + olen);
}

/* dhcp4 and dhcp4_client: 20 copies of an option, joined 5100 bytes
 * (past the 4096 the harness's joined value once had); the client gets
 * an offer and an ACK of 5.3 KB (past one frame, sent in fragments) with
 * its lease, 80 DNS servers in those copies, then one reply of the most
 * a record can say (65535 bytes, cut to a datagram's 65507). */
static void large_dhcp4(void) {
  static uint8_t opts[8192], m[8192];
  size_t o = 0;
  static const uint8_t lease[] = {54, 4, 10, 0, 0, 1, 1, 4, 255, 255, 255, 0,
                                  3, 4, 10, 0, 0, 1, 51, 4, 0, 0, 2, 88};
  memcpy(opts, lease, sizeof(lease));
  o = sizeof(lease);
  for (int i = 0; i < 20; i++) {
    opts[o++] = ZN_DHCP4_OPT_DNS;
    opts[o++] = 252;
    for (int k = 0; k < 63; k++) {
      zn_wr32(opts + o, ZN_IPV4(10, 0, 1, (uint8_t)(1 + (i * 63 + k) % 250)));
      o += 4;
    }
  }
  size_t n = mk_dhcp(m, ZN_DHCP4_ACK, opts, o);
  put("dhcp4", "large-joined-option", m, n);
  size_t b = 0;
  big[b++] = 0;
  for (int t = ZN_DHCP4_OFFER; t <= ZN_DHCP4_ACK; t += 3) {
    n = mk_dhcp(m, (uint8_t)t, opts, o);
    big[b++] = 0;
    big[b++] = t == ZN_DHCP4_ACK ? 0x0f : 0x07; /* broadcast */
    zn_wr16(big + b, (uint16_t)n);
    memcpy(big + b + 2, m, n);
    b += 2 + n;
    big[b++] = 0x82;
    big[b++] = 1;
  }
  big[b++] = 0x82;
  big[b++] = 40;
  big[b++] = 0;
  big[b++] = 0x0f;
  zn_wr16(big + b, 0xffff);
  n = mk_dhcp(big + b + 2, ZN_DHCP4_ACK, opts, o);
  memset(big + b + 2 + n, 0, 0xffff - n);
  b += 2 + 0xffff;
  put("dhcp4_client", "large-fragmented-replies", big, b);
}

/* http: a raw target whose path is longer than the 8 KiB output (the
 * finding of issue 31), a head of 11 KB (past 8 KiB, inside the server's
 * 16 KiB), a head of 20000 bytes fed a byte at a time (past the head
 * buffer and 16384 cuts). */
static void large_http(void) {
  size_t n = 0;
  big[n++] = 0x10;
  big[n++] = 0;
  big[n++] = '/';
  memset(big + n, 'a', 9000);
  n += 9000;
  put("http", "large-raw-target", big, n);
  n = 2;
  big[0] = 0;
  big[1] = 1;
  n += (size_t)sprintf((char *)big + n, "GET /%s HTTP/1.1\r\nHost: a\r\n"
                                        "X-Long: ", "x");
  memset(big + n, 'v', 8000);
  n += 8000;
  n += (size_t)sprintf((char *)big + n, "\r\nX-More: ");
  memset(big + n, 'w', 3000);
  n += 3000;
  n += (size_t)sprintf((char *)big + n, "\r\n\r\n");
  put("http", "large-head-11k", big, n);
  big[1] = 0; /* one byte at a time */
  n = 2 + (size_t)sprintf((char *)big + 2, "GET / HTTP/1.1\r\nHost: a\r\n");
  for (int i = 0; n < 20000; i++)
    n += (size_t)sprintf((char *)big + n, "X-%d: %0100d\r\n", i, i);
  n += (size_t)sprintf((char *)big + n, "\r\n");
  put("http", "large-head-20k-bytewise", big, n);
}

/* httpd (records of fuzz_httpd.c): client 0 sends a head of 20000 bytes
 * (past head_max, 16384) in 80 writes of 255; client 1 holds its reads
 * while 31 pipelined GETs are answered (more than the 64 KiB a client
 * keeps), then reads. */
static void large_httpd(void) {
  size_t n = 0;
  big[n++] = 0x30; /* timeouts of 1400 ms */
  big[n++] = 0;    /* open 0 */
  big[n++] = 0;
  char head[20500];
  size_t h = (size_t)sprintf(head, "GET /hello.txt HTTP/1.1\r\nHost: a\r\n");
  for (int i = 0; h < 20400; i++)
    h += (size_t)sprintf(head + h, "X-%d: %0200d\r\n", i, i);
  h += (size_t)sprintf(head + h, "\r\n");
  for (size_t at = 0; at < h && n < 100000; at += 255) {
    size_t w = h - at < 255 ? h - at : 255;
    big[n++] = 1;
    big[n++] = 0;
    big[n++] = (uint8_t)w;
    memcpy(big + n, head + at, w);
    n += w;
  }
  static const uint8_t tail[] = {6, 50, 0, 1, 4, 1, 7, 1, 31,
                                 6, 30, 4, 1, 6, 200, 6, 200};
  memcpy(big + n, tail, sizeof(tail));
  n += sizeof(tail);
  put("httpd", "large-head-and-pipeline", big, n);
}

/* A pcap file of Ethernet frames of the given lengths (UDP echoes). */
static size_t mk_pcap(uint8_t *p, const size_t *lens, size_t nlens) {
  static const uint8_t ghdr[24] = {0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0,
                                   0, 0, 0, 0, 0, 0, 0, 0,
                                   0, 0, 4, 0, 1, 0, 0, 0};
  size_t n = sizeof(ghdr);
  memcpy(p, ghdr, n);
  for (size_t i = 0; i < nlens; i++) {
    uint32_t rec[4] = {1700000000u, (uint32_t)i * 1000u, (uint32_t)lens[i],
                       (uint32_t)lens[i]};
    memcpy(p + n, rec, sizeof(rec)); /* host order: the magic says which */
    n += sizeof(rec);
    mk_udp_frame(p + n, lens[i] - 42);
    n += lens[i];
  }
  return n;
}

/* pcap: records past the netif's frame buffer (1856 bytes), a jumbo one
 * and 30000 bytes; a record whose length is past any snapshot length. */
static void large_pcap(void) {
  static const size_t lens[] = {60, 1857, 9018, 30000};
  put("pcap", "large-records", big, mk_pcap(big, lens, 4));
  size_t n = mk_pcap(big, lens, 1);
  uint32_t rec[4] = {1700000001u, 0, 300000, 300000};
  memcpy(big + n, rec, sizeof(rec));
  n += sizeof(rec);
  fill(big + n, 4000, 23);
  put("pcap", "large-bogus-caplen", big, n + 4000);
}

/* pktdrill: scripts of 20 KB, and lines with every token longer than the
 * parser's field for it. */
static void large_pktdrill(void) {
  static const char *const lines[] = {
      "+0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n",
      "+0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0\n",
      "+0 bind(3, ..., ...) = 0\n",
      "+0 listen(3, 1) = 0\n",
      "+0 < S 0:0(0) win 65535 <mss 1460,sackOK,nop,nop,nop,wscale 7>\n",
      "+0 > S. 0:0(0) ack 1 <...>\n",
      "+0 < . 1:1(0) ack 1 win 257\n",
      "+0 accept(3, ..., ...) = 4\n",
      "+0 < P. 1:60001(60000) ack 1 win 257\n",
      "+0 read(4, ..., 100000) = 60000\n",
      "+0 write(4, ..., 100000) = 100000\n",
      "+0 > . 1:1(0) ack 60001 <nop,nop,sack 1:2 3:4 5:6 7:8 9:10 11:12>\n",
      NULL};
  size_t n = (size_t)sprintf((char *)big, "--ip_version=ipv4\n");
  for (int i = 0; n < 20000; i++)
    n += (size_t)sprintf((char *)big + n, "%s", lines[i % 12]);
  put("pktdrill", "large-script", big, n);
  static const struct {
    const char *name, *head, *rep, *tail;
  } t[] = {
      {"large-syscall-name", "+0 ", "x", "(3) = 0\n"},
      {"large-errno", "+0 connect(3, ..., ...) = -1 E", "X", " (x)\n"},
      {"large-option-value", "--tolerance_usecs=", "9", "\n"},
      {"large-option-name", "--", "o", "=1\n"},
      {"large-icmp-what", "+0 < icmp unreachable ", "u", " [0:0(0)]\n"},
      {"large-tcp-options", "+0 < S 0:0(0) win 1 <", "nop,", "nop>\n"},
      {"large-sack-blocks", "+0 < . 1:1(0) ack 1 win 1 <sack", " 1:2",
       ">\n"},
      {"large-args", "+0 f(", "1, ", "1) = 0\n"},
      {"large-backquote", "+0 `", "x", "`\n"},
      {"large-comment", "// ", "c", "\n"},
  };
  for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
    n = (size_t)sprintf((char *)big, "%s", t[i].head);
    for (int k = 0; k < 3000; k++)
      n += (size_t)sprintf((char *)big + n, "%s", t[i].rep);
    n += (size_t)sprintf((char *)big + n, "%s", t[i].tail);
    put("pktdrill", t[i].name, big, n);
  }
}

/* stack (records of fuzz_stack.c, to S, addressed and checksums fixed):
 * a 9000-byte UDP echo (echoed in fragments), a 30000-byte segment into
 * C's connection to the never-reading S:81 (past the frame the harness
 * once cut at 4096, and past S's 16384-byte window), the largest frame a
 * record holds (65535 bytes, an IPv4 datagram with its UDP echo). */
static void large_stack(void) {
  size_t n = 0;
  big[n++] = 0;
  big[n++] = 0x0c | 0x40;
  big[n++] = 5;
  size_t f = mk_udp_frame(big + n + 2, 9000 - 42);
  zn_wr16(big + n, (uint16_t)f);
  n += 2 + f;
  put("stack", "large-udp-9000", big, n);
  n = 1;
  big[n++] = 0x2c | 0x40; /* relative: C's connection to S:81 */
  big[n++] = 5;
  zn_eth_emit(big + n + 2, (const uint8_t *)"\2\0\0\0\0\2",
              (const uint8_t *)"\2\0\0\0\0\1", ZN_ETHERTYPE_IPV4);
  fill(big + n + 2 + 54, 30000, 29);
  /* (source port 1: the second TCP flow seen between C and S, C's to
   * S:81; seq and ack 0: what each side sent up to) */
  zn_tcp_emit(big + n + 2 + 34, 1, 81, 0, 0, ZN_TCP_ACK | ZN_TCP_PSH, 65535,
              0);
  f = 14 + mk_ip4(big + n + 2 + 14, ZN_IPPROTO_TCP, 20 + 30000);
  zn_wr16(big + n, (uint16_t)f);
  n += 2 + f;
  put("stack", "large-segment-30000", big, n);
  n = 1;
  big[n++] = 0x0c | 0x40;
  big[n++] = 5;
  f = mk_udp_frame(big + n + 2, 65535 - 42);
  zn_wr16(big + n, (uint16_t)f);
  n += 2 + f;
  put("stack", "large-frame-max", big, n);
}

/* memlink (3-byte operations): two connections moving about 80 KB each
 * way in writes of 4081 bytes (past the 4096-byte read buffer's worth,
 * the 16384-byte windows and the pattern's 8191-byte period), read in
 * pieces of up to 4081, write_ref too; UDP datagrams of 2042 bytes
 * (fragmented); then shut down. */
static void large_memlink(const char *h) {
  static const uint8_t link[9] = {3, 0, 0, 0, 0, 0, 0, 60, 0};
  size_t n = 0;
  memcpy(big, link, sizeof(link));
  n = sizeof(link);
#define OP(o, t, a)                                                            \
  do {                                                                         \
    big[n++] = (o);                                                            \
    big[n++] = (t);                                                            \
    big[n++] = (a);                                                            \
  } while (0)
  OP(0, 0, 0); /* A connects to 5000: ents 0, B's end: ents 1 */
  OP(8, 0, 5);
  OP(0, 0, 1); /* to 5001: ents 2, 3 */
  OP(8, 0, 5);
  OP(10, 1, 0); /* B's end of the first reads as data comes */
  for (int i = 0; i < 20; i++) {
    OP(1, 0, 240); /* A writes 4081 on the first */
    OP(1, 3, 240); /* B writes 4081 on the second */
    OP(2, 0, 120); /* a write_ref of 2041 */
    OP(8, 0, 2);
    OP(3, 2, 240); /* A reads up to 4081 of the second */
    OP(4, 2, 100); /* peeks 1701 */
    OP(9, (uint8_t)i, 255); /* a datagram of 2042 bytes */
    OP(8, 0, 3);
  }
  OP(5, 0, 0);
  OP(5, 3, 0);
  OP(10, 2, 0);
  OP(8, 0, 200);
#undef OP
  put(h, "large-streams", big, n);
}

/* posix_calls: a TCP connection between the layers moving 24 sends of
 * 4096 bytes (the harness's whole I/O buffer) each read back, UDP
 * datagrams of 4096, and frames of 1599 bytes to stack B, raw and
 * behind a header (116 KB: past every fixed buffer of the harness). */
/* A tar archive (rt/tar.c: fuzz_tar.c) whose one file is longer than the
 * reader's block and the harness's device views: a ustar header with
 * its checksum, the data, two zero blocks. */
static void tar_octal(uint8_t *field, size_t width, uint64_t v) {
  memset(field, '0', width - 1);
  for (size_t i = width - 1; i-- > 0 && v; v >>= 3)
    field[i] = (uint8_t)('0' + (v & 7u));
  field[width - 1] = '\0';
}

static void large_tar(void) {
  const size_t data = 100000;
  size_t n = 512 + (data + 511) / 512 * 512 + 1024;
  memset(big, 0, n);
  memcpy(big, "large.bin", 9);                 /* name */
  tar_octal(big + 100, 8, 0644);               /* mode */
  tar_octal(big + 108, 8, 0);                  /* uid */
  tar_octal(big + 116, 8, 0);                  /* gid */
  tar_octal(big + 124, 12, data);              /* size */
  tar_octal(big + 136, 12, 0);                 /* mtime */
  big[156] = '0';                              /* a regular file */
  memcpy(big + 257, "ustar\0" "00", 8);        /* magic, version */
  memset(big + 148, ' ', 8);                   /* checksum: summed as blanks */
  unsigned sum = 0;
  for (size_t i = 0; i < 512; i++)
    sum += big[i];
  tar_octal(big + 148, 7, sum);
  big[155] = ' ';
  fill(big + 512, data, 3);
  put("tar", "large-file", big, n);
}

/* oci_boot (oci/boot_parse.c: fuzz_oci_boot.c): after the interface's
 * index (1), a dump of 40 addresses and 40 routes on it (past
 * BOOT_MAX_ROUTES, 16), a link whose name attribute is 300 bytes (past
 * IFNAMSIZ), and a resolv.conf of 20 nameservers and a 3000-byte line
 * (past BOOT_MAX_DNS, 3, and an address's text). */
static size_t nl_attr(uint8_t *p, uint16_t type, const void *v, size_t n) {
  uint16_t len = (uint16_t)(4 + n);
  memcpy(p, &len, 2);
  memcpy(p + 2, &type, 2);
  memcpy(p + 4, v, n);
  size_t step = (4 + n + 3) & ~(size_t)3;
  memset(p + 4 + n, 0, step - 4 - n);
  return step;
}

static size_t nl_msg(uint8_t *p, uint16_t type, const void *fixed, size_t fn,
                     const uint8_t *attrs, size_t an) {
  uint32_t len = (uint32_t)(16 + fn + an);
  uint16_t flags = 2; /* NLM_F_MULTI */
  uint32_t zero = 0;
  memcpy(p, &len, 4);
  memcpy(p + 4, &type, 2);
  memcpy(p + 6, &flags, 2);
  memcpy(p + 8, &zero, 4);
  memcpy(p + 12, &zero, 4);
  memcpy(p + 16, fixed, fn);
  memcpy(p + 16 + fn, attrs, an);
  return (len + 3) & ~(uint32_t)3;
}

static void large_oci_boot(void) {
  uint8_t attrs[512];
  size_t n = 0;
  big[n++] = 1; /* the interface's index */
  for (unsigned i = 0; i < 40; i++) {
    /* struct ifaddrmsg: family, prefixlen, flags, scope, index */
    uint8_t ifa[8] = {2, (uint8_t)(i % 33), 0, 0, 1, 0, 0, 0};
    uint8_t a4[4] = {10, 80, (uint8_t)i, 2};
    size_t k = nl_attr(attrs, 2 /* IFA_LOCAL */, a4, 4);
    k += nl_attr(attrs + k, 1 /* IFA_ADDRESS */, a4, 4);
    n += nl_msg(big + n, 20 /* RTM_NEWADDR */, ifa, sizeof(ifa), attrs, k);
  }
  for (unsigned i = 0; i < 40; i++) {
    /* struct rtmsg: family, dst_len, src_len, tos, table, protocol,
     * scope, type, flags */
    uint8_t rtm[12] = {2, (uint8_t)(i ? 24 : 0), 0, 0, 254, 3, 0, 1};
    uint8_t dst[4] = {10, 81, (uint8_t)i, 0}, gw[4] = {10, 80, 0, 1};
    int32_t oif = 1;
    size_t k = 0;
    if (i)
      k += nl_attr(attrs, 1 /* RTA_DST */, dst, 4);
    k += nl_attr(attrs + k, 5 /* RTA_GATEWAY */, gw, 4);
    k += nl_attr(attrs + k, 4 /* RTA_OIF */, &oif, 4);
    n += nl_msg(big + n, 24 /* RTM_NEWROUTE */, rtm, sizeof(rtm), attrs, k);
  }
  put("oci_boot", "large-dump", big, n);
  /* struct ifinfomsg: family, pad, type, index, flags, change */
  uint8_t ifi[16] = {0, 0, 1, 0, 1, 0, 0, 0};
  uint8_t name[300], mac[6] = {2, 0, 0, 0x79, 0, 2};
  memset(name, 'e', sizeof(name));
  size_t k = nl_attr(attrs, 3 /* IFLA_IFNAME */, name, sizeof(name));
  k += nl_attr(attrs + k, 1 /* IFLA_ADDRESS */, mac, sizeof(mac));
  n = 0;
  big[n++] = 1;
  n += nl_msg(big + n, 16 /* RTM_NEWLINK */, ifi, sizeof(ifi), attrs, k);
  put("oci_boot", "large-link", big, n);
  n = 0;
  big[n++] = 1;
  for (unsigned i = 0; i < 20; i++)
    n += (size_t)sprintf((char *)big + n, "nameserver 10.96.%u.10\n", i);
  memcpy(big + n, "nameserver ", 11);
  n += 11;
  memset(big + n, '1', 3000);
  n += 3000;
  big[n++] = '\n';
  put("oci_boot", "large-resolv", big, n);
}

/* netlink (rt/nlmsg.c: fuzz_netlink.c): an interface with 16 IPv6
 * addresses, the whole room (16 KiB), then 700 dump requests, link and
 * address in turn, whose replies overflow the room (refused whole); and
 * one request whose length covers 8000 bytes of attributes. */
static size_t netlink_nic(uint8_t *p) {
  size_t n = 0;
  static const uint8_t head[] = {1, 2, 0, 0, 0x79, 0, 2, /* present, MAC */
                                 0x05, 0xdc,             /* MTU 1500 */
                                 10, 80, 0, 2, 24, 16};  /* IPv4/24, 16 */
  memcpy(p, head, sizeof(head));
  n = sizeof(head);
  for (uint8_t i = 0; i < 16; i++) {
    memset(p + n, 0, 16);
    p[n] = 0xfd;
    p[n + 15] = i;
    p[n + 16] = 64;
    p[n + 17] = (uint8_t)(i & 7);
    n += 18;
  }
  p[n++] = 0x40; /* the room: 16384 */
  p[n++] = 0x00;
  p[n++] = 0; /* nothing queued before */
  return n;
}

static void netlink_dump_flags(uint8_t *msg) {
  uint16_t flags = 0x301; /* NLM_F_REQUEST | NLM_F_DUMP */
  memcpy(msg + 6, &flags, 2);
}

static void large_netlink(void) {
  uint8_t gen[4] = {0}; /* struct rtgenmsg, AF_UNSPEC, padded */
  size_t n = netlink_nic(big);
  for (unsigned i = 0; i < 700; i++) {
    size_t at = n;
    n += nl_msg(big + n, i % 2 ? 22 /* RTM_GETADDR */ : 18 /* RTM_GETLINK */,
                gen, sizeof(gen), gen, 0);
    netlink_dump_flags(big + at);
  }
  put("netlink", "large-many-requests", big, n);
  static uint8_t attrs[8200];
  uint8_t v[996];
  memset(v, 0x5a, sizeof(v));
  size_t k = 0;
  for (unsigned i = 0; i < 8; i++)
    k += nl_attr(attrs + k, (uint16_t)(i + 1), v, sizeof(v));
  n = netlink_nic(big);
  size_t at = n;
  n += nl_msg(big + n, 22 /* RTM_GETADDR */, gen, sizeof(gen), attrs, k);
  netlink_dump_flags(big + at);
  put("netlink", "large-long-request", big, n);
}

static void large_posix_calls(void) {
  size_t n = 0;
  big[n++] = 0; /* configuration */
#define B(...)                                                                 \
  do {                                                                         \
    const uint8_t b_[] = {__VA_ARGS__};                                        \
    memcpy(big + n, b_, sizeof(b_));                                           \
    n += sizeof(b_);                                                           \
  } while (0)
  /* op, selector (layer | slot << 1), arguments: fuzz_posix_calls.c */
  B(0, 1, 0, 0);          /* B: socket(AF_INET, SOCK_STREAM) in slot 0 */
  B(1, 1, 0, 0, 2, 1);    /* bind 0.0.0.0:5000 */
  B(2, 1, 0, 4);          /* listen */
  B(0, 0, 0, 0);          /* A: socket in slot 0 */
  B(4, 0, 0, 0, 0, 1);    /* connect to B:5000 */
  B(3, 3, 0, 0x80);       /* B: accept into slot 1 */
  B(0, 4, 0, 1);          /* A: UDP socket in slot 2 */
  B(0, 5, 0, 1);          /* B: UDP socket in slot 2 */
  B(1, 5, 2, 0, 2, 2);    /* bound to 5001 */
  for (int i = 0; i < 24; i++) {
    B(5, 0, 0, 0x10, 0x00, 0x10); /* A sends 4096 from the input */
    for (int k = 0; k < 4096; k++)
      big[n++] = (uint8_t)(k * 7 + i);
    B(6, 1, 1, 0x10, 0x00, 0, 28); /* B reads up to 4096 */
    if (i % 8 == 0) {
      B(5, 4, 2, 0x10, 0x00, 0x18, 0, 0, 2); /* a datagram to B:5001 */
      memset(big + n, 0xab, 4096);
      n += 4096;
      B(6, 5, 2, 0x10, 0x00, 0x04, 28);      /* read, MSG_TRUNC */
      B(24, 0, (uint8_t)(i & 3), 0x06, 0x3f); /* a frame of 1599 */
      memset(big + n, (uint8_t)i, 1599);
      n += 1599;
    }
  }
#undef B
  put("posix_calls", "large-stream-and-frames", big, n);
}

/* tls_server: a record announcing 18432 bytes (past a record's 16384 and
 * the 16709-byte input buffer) sent in writes of 4096, 20 KB in all. */
static void large_tls_server(void) {
  size_t n = 0;
  big[n++] = 0;
  for (int i = 0; i < 5; i++) {
    zn_wr16(big + n, 4096);
    fill(big + n + 2, 4096, (uint8_t)i);
    if (i == 0) {
      static const uint8_t rec[9] = {22, 3, 1, 0x48, 0, 1, 0, 0x47, 0xfc};
      memcpy(big + n + 2, rec, sizeof(rec));
    }
    n += 2 + 4096;
    big[n++] = 2;
  }
  put("tls_server", "large-record", big, n);
}

/* tls13_msg: a ClientHello of 60,000 bytes (a padding extension of
 * 59,800), past a record's 16384 and the input buffer; the parsers read
 * a message whole, of any length its uint24 says. */
static void large_tls13_msg(void) {
  size_t body = 2 + 32 + 1 + 2 + 2 + 1 + 1 + 2 + 4 + 59800, n = 0;
  big[n++] = 1; /* client_hello */
  big[n++] = (uint8_t)(body >> 16);
  zn_wr16(big + n, (uint16_t)body);
  n += 2;
  zn_wr16(big + n, 0x0303);
  n += 2;
  fill(big + n, 32, 3); /* random */
  n += 32;
  big[n++] = 0;         /* session ID */
  zn_wr16(big + n, 2);  /* suites */
  zn_wr16(big + n + 2, 0x1301);
  n += 4;
  big[n++] = 1; /* compression: null */
  big[n++] = 0;
  zn_wr16(big + n, 4 + 59800); /* extensions */
  zn_wr16(big + n + 2, 21);    /* padding */
  zn_wr16(big + n + 4, 59800);
  n += 6;
  memset(big + n, 0, 59800);
  n += 59800;
  put("tls13_msg", "large-client-hello", big, n);
}

/* tls_glue (3-byte operations): both sides write 18616 bytes at a time
 * (past a record's 16384) and read in pieces as long, with the default
 * buffers and the smallest ones. */
static void large_tls_glue(void) {
  for (int small = 0; small < 2; small++) {
    size_t n = 0;
    static const uint8_t link[5] = {5, 0, 0, 0, 0};
    memcpy(big, link, sizeof(link));
    n = sizeof(link);
    big[n++] = small ? 8 | 16 : 0;
    for (int i = 0; i < 5; i++) {
      big[n++] = 10;
      big[n++] = 0;
      big[n++] = 50;
    }
    for (int i = 0; i < 8; i++) {
      static const uint8_t ops[] = {0, 0, 255, 1, 1, 255, 10, 0, 20,
                                    2, 1, 255, 3, 0, 255, 10, 0, 20};
      memcpy(big + n, ops, sizeof(ops));
      n += sizeof(ops);
    }
    static const uint8_t end[] = {4, 0, 1, 4, 1, 1, 10, 0, 100, 5, 0, 0,
                                  5, 1, 0, 10, 0, 100};
    memcpy(big + n, end, sizeof(end));
    n += sizeof(end);
    put("tls_glue", small ? "large-writes-small-buffers" : "large-writes",
        big, n);
  }
}

/* tls_client.  Mode 0 in pieces of 4096 (mode byte 12): a handshake
 * record announcing 18432 bytes, past a record's 16384 and the 16709-byte
 * input buffer.  Mode 1 (sealed records of [length:2][type:1]): an empty
 * EncryptedExtensions, then a Certificate of 40,000 bytes over three
 * records of 16384, 16384 and the rest (one entry whose DER announces its
 * whole length, streamed into the X.509 decoder); and a plaintext of
 * 16,600 bytes in one sealed record: past a record's 16384 + 1 of
 * plaintext, within its 16384 + 256 of ciphertext and the input buffer,
 * so it is opened before it is refused (record_overflow). */
static size_t tls_sealed(uint8_t *p, const uint8_t *msg, size_t len,
                         uint8_t type) {
  zn_wr16(p, (uint16_t)len);
  p[2] = type;
  memcpy(p + 3, msg, len);
  return 3 + len;
}

static void large_tls_client(void) {
  size_t n = 0;
  big[n++] = 12;
  static const uint8_t rec[9] = {22, 3, 3, 0x48, 0, 2, 0, 0x47, 0xfc};
  memcpy(big + n, rec, sizeof(rec));
  n += sizeof(rec);
  fill(big + n, 18432 - 4, 1);
  n += 18432 - 4;
  put("tls_client", "large-record", big, n);

  static uint8_t msg[40000];
  size_t body = sizeof(msg) - 4, list = body - 1 - 3, entry = list - 3 - 2;
  msg[0] = 11; /* certificate */
  msg[1] = (uint8_t)(body >> 16);
  zn_wr16(msg + 2, (uint16_t)body);
  msg[4] = 0; /* request context */
  msg[5] = (uint8_t)(list >> 16);
  zn_wr16(msg + 6, (uint16_t)list);
  msg[8] = (uint8_t)(entry >> 16);
  zn_wr16(msg + 9, (uint16_t)entry);
  msg[11] = 0x30; /* SEQUENCE, the rest of the entry */
  msg[12] = 0x82;
  zn_wr16(msg + 13, (uint16_t)(entry - 4));
  fill(msg + 15, entry - 4, 2);
  zn_wr16(msg + sizeof(msg) - 2, 0); /* the entry's extensions */
  static const uint8_t ee[6] = {8, 0, 0, 2, 0, 0};
  n = 0;
  big[n++] = 1;
  n += tls_sealed(big + n, ee, sizeof(ee), 22);
  for (size_t at = 0; at < sizeof(msg); at += 16384) {
    size_t k = sizeof(msg) - at < 16384 ? sizeof(msg) - at : 16384;
    n += tls_sealed(big + n, msg + at, k, 22);
  }
  put("tls_client", "large-certificate", big, n);

  n = 0;
  big[n++] = 1;
  fill(msg, 16600, 3);
  n += tls_sealed(big + n, msg, 16600, 22);
  put("tls_client", "large-plaintext", big, n);
}

/* p256: 4000 bytes, past the point's 65 and the scalars' 32 (the
 * harness reads 130 and leaves the rest): t G with scalars of 32 bytes,
 * and a point of the input's own bytes. */
static void large_p256(void) {
  for (int mode = 0; mode < 2; mode++) {
    big[0] = (uint8_t)mode;
    fill(big + 1, 3999, (uint8_t)(7 + mode));
    big[1] = 4;
    put("p256", mode ? "large-tg" : "large-point", big, 4000);
  }
}

static void large_inputs(void) {
  large_addr();
  large_frames();
  large_ipv6();
  large_icmp6();
  large_dns();
  large_dns_tcp();
  large_blocklist();
  large_hosts();
  large_forwarder();
  large_dhcp4();
  large_http();
  large_httpd();
  large_pcap();
  large_pktdrill();
  large_stack();
  large_memlink("memlink");
  large_memlink("memlink6");
  large_posix_calls();
  large_tar();
  large_oci_boot();
  large_netlink();
  large_tls_server();
  large_tls13_msg();
  large_tls_glue();
  large_tls_client();
  large_p256();
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
  mkdir(out, 0777); /* and each harness's folder as put() needs it */
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
  large_inputs();
  FILE *fp = fopen(argv[3], "w");
  if (!fp)
    return 1;
  fprintf(fp, "%u seeds\n", nwritten);
  fclose(fp);
  printf("fuzz_seeds: %u seeds in %s\n", nwritten, out);
  return 0;
}
