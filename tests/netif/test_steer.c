/*
 * The steering rule (znet/steer.h, netif/steer.c) and its eBPF program
 * (netif/tap_steer.c):
 *  - the rule in C on frames made here: each kind of frame, each way a
 *    frame is too short;
 *  - the program against the rule: every Ethernet frame of the shared
 *    traces (argv[1], and its v6-dhcp/), then each cut short at every
 *    length and with bytes changed at random, run in the kernel
 *    (BPF_PROG_TEST_RUN) with tables filled at random, and the slot the
 *    C rule gives with the same tables;
 *  - a multi-queue TAP steered by it, in a private network namespace:
 *    UDP flows from the kernel arrive on the queue the tables say, and
 *    still do after 4 s idle (the kernel's own flow table, without a
 *    program, forgets a flow after 3 s).
 * The kernel's parts need root; skipped without it.
 */
#define _GNU_SOURCE /* unshare */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "zt.h"
#include "znet.h"
#include "znet/steer.h"
#include "znet/tap.h"

static const char *traces_dir;

/* ---- frames made here ------------------------------------------------ */

static size_t eth(uint8_t *f, uint16_t type) {
  memset(f, 0, 14);
  f[0] = 0x02, f[6] = 0x02, f[11] = 1;
  f[12] = (uint8_t)(type >> 8), f[13] = (uint8_t)type;
  return 14;
}

static size_t ipv4(uint8_t *f, size_t off, uint8_t proto, uint32_t src,
                   uint32_t dst, uint8_t ihl_words) {
  uint8_t *h = f + off;
  memset(h, 0, (size_t)ihl_words * 4);
  h[0] = (uint8_t)(0x40 | ihl_words);
  h[8] = 64, h[9] = proto;
  for (int i = 0; i < 4; i++) {
    h[12 + i] = (uint8_t)(src >> (24 - 8 * i));
    h[16 + i] = (uint8_t)(dst >> (24 - 8 * i));
  }
  return off + (size_t)ihl_words * 4;
}

static size_t ports(uint8_t *f, size_t off, uint16_t src, uint16_t dst) {
  f[off] = (uint8_t)(src >> 8), f[off + 1] = (uint8_t)src;
  f[off + 2] = (uint8_t)(dst >> 8), f[off + 3] = (uint8_t)dst;
  memset(f + off + 4, 0, 16);
  return off + 20;
}

static size_t ipv6(uint8_t *f, size_t off, uint8_t next, uint8_t src_last,
                   uint8_t dst_last) {
  uint8_t *h = f + off;
  memset(h, 0, 40);
  h[0] = 0x60, h[6] = next, h[7] = 64;
  h[8] = 0x20, h[9] = 0x01, h[10] = 0x0d, h[11] = 0xb8, h[23] = src_last;
  h[24] = 0x20, h[25] = 0x01, h[26] = 0x0d, h[27] = 0xb8, h[39] = dst_last;
  return off + 40;
}

#define PEER4 0x0a000001u /* 10.0.0.1 */
#define US4 0x0a000002u

ZT_TEST(test_rule_ipv4) {
  uint8_t f[200];
  struct zn_steer_key k;
  size_t n = ports(f, ipv4(f, eth(f, 0x0800), 6, PEER4, US4, 5), 40000, 80);
  ZT_EQ(zn_steer_key_of_frame(f, n, &k), ZN_STEER_FLOW);
  ZT_EQ(k.family, 4);
  ZT_EQ(k.proto, 6);
  ZT_EQU(k.peer[0], PEER4);
  ZT_EQ(k.peer[1] | k.peer[2] | k.peer[3], 0);
  ZT_EQ(k.peer_port, 40000);
  ZT_EQ(k.local_port, 80);
  /* Options: the ports move with the header's length. */
  n = ports(f, ipv4(f, eth(f, 0x0800), 17, PEER4, US4, 7), 53, 5353);
  ZT_EQ(zn_steer_key_of_frame(f, n, &k), ZN_STEER_FLOW);
  ZT_EQ(k.proto, 17);
  ZT_EQ(k.peer_port, 53);
  ZT_EQ(k.local_port, 5353);
  /* A fragment (offset or more-fragments), a header length under 5, an
   * ICMP echo, another protocol: slot 0. */
  n = ports(f, ipv4(f, eth(f, 0x0800), 17, PEER4, US4, 5), 1, 2);
  f[14 + 6] = 0x20;
  ZT_EQ(zn_steer_key_of_frame(f, n, &k), ZN_STEER_OTHER);
  f[14 + 6] = 0, f[14 + 7] = 1;
  ZT_EQ(zn_steer_key_of_frame(f, n, &k), ZN_STEER_OTHER);
  f[14 + 7] = 0, f[14] = 0x44;
  ZT_EQ(zn_steer_key_of_frame(f, n, &k), ZN_STEER_OTHER);
  f[14] = 0x45, f[14 + 9] = 47;
  ZT_EQ(zn_steer_key_of_frame(f, n, &k), ZN_STEER_OTHER);
  ZT_EQ(k.family, 0); /* zeroed whenever there is no flow */
  n = ports(f, ipv4(f, eth(f, 0x0800), 1, PEER4, US4, 5), 0x0800, 0);
  ZT_EQ(zn_steer_key_of_frame(f, n, &k), ZN_STEER_OTHER);
}

ZT_TEST(test_rule_ipv4_error) {
  uint8_t f[200];
  struct zn_steer_key k;
  /* Port unreachable from a router, quoting our UDP to 10.0.0.9:53. */
  size_t in = ipv4(f, eth(f, 0x0800), 1, 0x0a0000feu, US4, 5);
  memset(f + in, 0, 8);
  f[in] = 3, f[in + 1] = 3;
  size_t n = ports(f, ipv4(f, in + 8, 17, US4, 0x0a000009u, 6), 33000, 53);
  ZT_EQ(zn_steer_key_of_frame(f, n, &k), ZN_STEER_ERROR);
  ZT_EQ(k.proto, 17);
  ZT_EQU(k.peer[0], 0x0a000009u);
  ZT_EQ(k.peer_port, 53);
  ZT_EQ(k.local_port, 33000);
  f[in] = 11; /* time exceeded */
  ZT_EQ(zn_steer_key_of_frame(f, n, &k), ZN_STEER_ERROR);
  f[in] = 8; /* an echo request quoting nothing */
  ZT_EQ(zn_steer_key_of_frame(f, n, &k), ZN_STEER_OTHER);
  f[in] = 3;
  /* The quoted ports cut off. */
  ZT_EQ(zn_steer_key_of_frame(f, in + 8 + 24 + 3, &k), ZN_STEER_OTHER);
  ZT_EQ(zn_steer_key_of_frame(f, in + 8 + 24 + 4, &k), ZN_STEER_ERROR);
}

ZT_TEST(test_rule_ipv6) {
  uint8_t f[200];
  struct zn_steer_key k;
  size_t n = ports(f, ipv6(f, eth(f, 0x86dd), 6, 1, 2), 50000, 443);
  ZT_EQ(zn_steer_key_of_frame(f, n, &k), ZN_STEER_FLOW);
  ZT_EQ(k.family, 6);
  ZT_EQU(k.peer[0], 0x20010db8u);
  ZT_EQU(k.peer[3], 1u);
  ZT_EQ(k.peer_port, 50000);
  ZT_EQ(k.local_port, 443);
  /* An extension header first (hop-by-hop: MLD), a fragment: slot 0. */
  f[14 + 6] = 0;
  ZT_EQ(zn_steer_key_of_frame(f, n, &k), ZN_STEER_OTHER);
  f[14 + 6] = 44;
  ZT_EQ(zn_steer_key_of_frame(f, n, &k), ZN_STEER_OTHER);
  /* Packet too big quoting our TCP to 2001:db8::7 port 22. */
  size_t in = ipv6(f, eth(f, 0x86dd), 58, 0xfe, 2);
  memset(f + in, 0, 8);
  f[in] = 2;
  n = ports(f, ipv6(f, in + 8, 6, 2, 7), 41000, 22);
  ZT_EQ(zn_steer_key_of_frame(f, n, &k), ZN_STEER_ERROR);
  ZT_EQU(k.peer[3], 7u);
  ZT_EQ(k.peer_port, 22);
  ZT_EQ(k.local_port, 41000);
  for (uint8_t t = 0; t < 160; t++) {
    f[in] = t;
    ZT_EQ(zn_steer_key_of_frame(f, n, &k),
          t >= 1 && t <= 4 ? ZN_STEER_ERROR : ZN_STEER_OTHER);
  }
}

ZT_TEST(test_rule_short_and_other) {
  uint8_t f[200];
  struct zn_steer_key k;
  size_t n = ports(f, ipv4(f, eth(f, 0x0800), 6, PEER4, US4, 5), 1234, 80);
  for (size_t len = 0; len < 14 + 20 + 4; len++)
    ZT_EQ(zn_steer_key_of_frame(f, len, &k), ZN_STEER_OTHER);
  ZT_EQ(zn_steer_key_of_frame(f, 14 + 20 + 4, &k), ZN_STEER_FLOW);
  ZT_EQ(zn_steer_key_of_frame(NULL, n, &k), ZN_STEER_OTHER);
  eth(f, 0x0806); /* ARP */
  ZT_EQ(zn_steer_key_of_frame(f, n, &k), ZN_STEER_OTHER);
  eth(f, 0x8100); /* a VLAN tag */
  ZT_EQ(zn_steer_key_of_frame(f, n, &k), ZN_STEER_OTHER);
}

ZT_TEST(test_bucket_spread) {
  /* 65,536 peer ports of one peer to port 80: every bucket used, none
   * more than twice its share. */
  static unsigned count[ZN_STEER_BUCKETS];
  struct zn_steer_key k;
  memset(&k, 0, sizeof(k));
  k.family = 4, k.proto = 6, k.local_port = 80, k.peer[0] = PEER4;
  for (uint32_t p = 0; p < 65536; p++) {
    k.peer_port = (uint16_t)p;
    uint32_t b = zn_steer_bucket(&k);
    ZT_CHECK(b < ZN_STEER_BUCKETS);
    if (b < ZN_STEER_BUCKETS)
      count[b]++;
  }
  unsigned lo = 65536, hi = 0;
  for (int b = 0; b < ZN_STEER_BUCKETS; b++) {
    lo = count[b] < lo ? count[b] : lo;
    hi = count[b] > hi ? count[b] : hi;
  }
  printf("# buckets: least %u, most %u of 65536 (share 256)\n", lo, hi);
  ZT_CHECK(lo > 128);
  ZT_CHECK(hi < 512);
}

/* ---- the program against the rule -------------------------------------- */

static struct zn_tap_steer prog;
static const char *no_bpf;

static void load_program(void) {
  if (geteuid() != 0) {
    no_bpf = "needs root (CAP_BPF)";
    return;
  }
  int rc = zn_tap_steer_open(&prog, 4096, 64);
  if (rc != ZN_OK) {
    printf("# zn_tap_steer_open: %s\n%s\n", zn_strerror(rc), prog.log);
    no_bpf = "the eBPF program did not load";
  }
}

/* The tables, as the C side keeps them: a few flows and port rows. */
#define MAXF 64
struct tables {
  struct zn_steer_key flow[MAXF];
  uint32_t flow_slot[MAXF];
  int nflows;
  uint32_t port_key[8];
  uint8_t port_slots[8][ZN_STEER_BUCKETS];
  int nports;
};

static uint32_t c_slot(const struct tables *t, const uint8_t *f, size_t len) {
  struct zn_steer_key k;
  if (zn_steer_key_of_frame(f, len, &k) == ZN_STEER_OTHER)
    return 0;
  for (int i = 0; i < t->nflows; i++)
    if (memcmp(&t->flow[i], &k, sizeof(k)) == 0)
      return t->flow_slot[i];
  uint32_t pk = zn_steer_port_key(k.proto, k.local_port);
  for (int i = 0; i < t->nports; i++)
    if (t->port_key[i] == pk)
      return t->port_slots[i][zn_steer_bucket(&k)];
  return 0;
}

static void tables_clear(struct tables *t) {
  for (int i = 0; i < t->nflows; i++)
    ZT_EQ(zn_tap_steer_flow_clear(&prog, &t->flow[i]), ZN_OK);
  for (int i = 0; i < t->nports; i++)
    ZT_EQ(zn_tap_steer_port_clear(&prog, (uint8_t)(t->port_key[i] >> 16),
                                  (uint16_t)t->port_key[i]),
          ZN_OK);
  t->nflows = t->nports = 0;
}

/* Give the frame's own key (if any) a flow entry or a port row, or
 * neither, at random, in both places. */
static void tables_for(struct tables *t, const uint8_t *f, size_t len) {
  struct zn_steer_key k;
  if (zn_steer_key_of_frame(f, len, &k) == ZN_STEER_OTHER)
    return;
  int r = rand() % 3;
  if (r == 0 && t->nflows < MAXF) {
    for (int i = 0; i < t->nflows; i++)
      if (memcmp(&t->flow[i], &k, sizeof(k)) == 0)
        return;
    t->flow[t->nflows] = k;
    t->flow_slot[t->nflows] = (uint32_t)(rand() % 7 + 1);
    ZT_EQ(zn_tap_steer_flow_set(&prog, &k, t->flow_slot[t->nflows]), ZN_OK);
    t->nflows++;
  } else if (r == 1 && t->nports < 8) {
    uint32_t pk = zn_steer_port_key(k.proto, k.local_port);
    for (int i = 0; i < t->nports; i++)
      if (t->port_key[i] == pk)
        return;
    t->port_key[t->nports] = pk;
    for (int b = 0; b < ZN_STEER_BUCKETS; b++)
      t->port_slots[t->nports][b] = (uint8_t)(rand() % 5 + 8);
    ZT_EQ(zn_tap_steer_port_set(&prog, k.proto, k.local_port,
                                t->port_slots[t->nports]),
          ZN_OK);
    t->nports++;
  }
}

static int mismatches, frames_run, flows_seen;

static void compare(struct tables *t, const uint8_t *f, size_t len) {
  uint32_t got = 0;
  int rc = zn_tap_steer_run(&prog, f, len, &got);
  if (rc != ZN_OK) {
    zt_fail(__FILE__, __LINE__, "test run of %zu bytes: %s", len,
            zn_strerror(rc));
    return;
  }
  frames_run++;
  uint32_t want = c_slot(t, f, len);
  if (want != 0)
    flows_seen++;
  if (got != want && mismatches++ < 5) {
    zt_fail(__FILE__, __LINE__, "frame of %zu bytes: program %u, rule %u",
            len, got, want);
    zt_hexdump("frame", f, len < 96 ? len : 96);
  }
}

/* Each frame: as it is, under random tables; cut at every length; and
 * changed at random (a byte of its first 100 set to a random value or to
 * one of the values the rule branches on) eight times. */
static void differential(const uint8_t *f, size_t len) {
  static const uint8_t interesting[] = {0, 1, 3, 4, 5, 6, 11, 12,
                                        17, 0x08, 0x86, 0xdd, 58, 0x40};
  static uint8_t g[2048];
  struct tables t = {0};
  if (len > sizeof(g))
    len = sizeof(g);
  tables_for(&t, f, len);
  compare(&t, f, len);
  for (size_t cut = 0; cut < len && cut < 140; cut++)
    compare(&t, f, cut);
  for (int i = 0; i < 8; i++) {
    memcpy(g, f, len);
    size_t at = (size_t)rand() % (len < 100 ? len : 100);
    g[at] = rand() % 2 ? (uint8_t)rand()
                       : interesting[(size_t)rand() % sizeof(interesting)];
    tables_for(&t, g, len);
    compare(&t, g, len);
  }
  tables_clear(&t);
}

/* Classic pcap (either byte order), Ethernet only: each frame to fn. */
static int each_frame(const char *path, void (*fn)(const uint8_t *, size_t)) {
  FILE *fp = fopen(path, "rb");
  if (fp == NULL)
    return -1;
  uint8_t gh[24], rh[16];
  static uint8_t buf[65536];
  int n = 0;
  if (fread(gh, 1, 24, fp) == 24) {
    uint32_t magic = (uint32_t)gh[0] | (uint32_t)gh[1] << 8 |
                     (uint32_t)gh[2] << 16 | (uint32_t)gh[3] << 24;
    bool le = magic == 0xa1b2c3d4u || magic == 0xa1b23c4du;
    bool be = magic == 0xd4c3b2a1u || magic == 0x4d3cb2a1u;
#define RD32(p)                                                               \
  (le ? (uint32_t)(p)[0] | (uint32_t)(p)[1] << 8 | (uint32_t)(p)[2] << 16 |   \
            (uint32_t)(p)[3] << 24                                            \
      : (uint32_t)(p)[3] | (uint32_t)(p)[2] << 8 | (uint32_t)(p)[1] << 16 |   \
            (uint32_t)(p)[0] << 24)
    if ((le || be) && RD32(gh + 20) == 1) {
      while (fread(rh, 1, 16, fp) == 16) {
        uint32_t caplen = RD32(rh + 8);
        if (caplen > sizeof(buf) || fread(buf, 1, caplen, fp) != caplen)
          break;
        fn(buf, caplen);
        n++;
      }
    }
#undef RD32
  }
  fclose(fp);
  return n;
}

static int each_trace(const char *dir, void (*fn)(const uint8_t *, size_t)) {
  DIR *d = opendir(dir);
  if (d == NULL)
    return -1;
  int total = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    size_t l = strlen(e->d_name);
    if (l < 6 || strcmp(e->d_name + l - 5, ".pcap") != 0)
      continue;
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
    int n = each_frame(path, fn);
    total += n > 0 ? n : 0;
  }
  closedir(d);
  return total;
}

/* Tables for the frame as it is, then every value of the byte at `at`
 * under them: each branch of the rule (a protocol, a type, a length) is
 * taken and not taken. */
static void every_value(uint8_t *f, size_t len, size_t at) {
  struct tables t = {0};
  uint8_t keep = f[at];
  for (int r = 0; r < 6 && t.nflows + t.nports == 0; r++)
    tables_for(&t, f, len);
  ZT_CHECK(t.nflows + t.nports > 0);
  for (int v = 0; v < 256; v++) {
    f[at] = (uint8_t)v;
    compare(&t, f, len);
  }
  f[at] = keep;
  tables_clear(&t);
}

ZT_TEST(test_program_agrees_on_made_frames) {
  if (no_bpf) {
    zt_skip(no_bpf);
    return;
  }
  printf("# program: %u instructions\n", prog.insns);
  uint8_t f[200];
  size_t in;
  srand(1);
  frames_run = flows_seen = mismatches = 0;
  differential(f, ports(f, ipv4(f, eth(f, 0x0800), 6, PEER4, US4, 5), 4, 80));
  differential(f, ports(f, ipv4(f, eth(f, 0x0800), 17, PEER4, US4, 9), 4, 53));
  differential(f, ports(f, ipv6(f, eth(f, 0x86dd), 6, 1, 2), 50000, 443));
  size_t n = ports(f, ipv4(f, eth(f, 0x0800), 6, PEER4, US4, 6), 4, 80);
  for (size_t at = 12; at < 14 + 24; at++)
    every_value(f, n, at);
  n = ports(f, ipv6(f, eth(f, 0x86dd), 17, 1, 2), 50000, 53);
  size_t v6_bytes[] = {12, 13, 14, 20, 54, 55, 56, 57};
  for (size_t i = 0; i < sizeof(v6_bytes) / sizeof(v6_bytes[0]); i++)
    every_value(f, n, v6_bytes[i]);
  in = ipv4(f, eth(f, 0x0800), 1, 0x0a0000feu, US4, 5);
  memset(f + in, 0, 8);
  f[in] = 3;
  n = ports(f, ipv4(f, in + 8, 6, US4, PEER4, 5), 33000, 80);
  differential(f, n);
  for (size_t at = 12; at < n; at++)
    every_value(f, n, at);
  in = ipv6(f, eth(f, 0x86dd), 58, 0xfe, 2);
  memset(f + in, 0, 8);
  f[in] = 1;
  n = ports(f, ipv6(f, in + 8, 17, 2, 7), 41000, 53);
  differential(f, n);
  size_t err6_bytes[] = {20, in, in + 8 + 6, in + 8 + 39, in + 48, in + 51};
  for (size_t i = 0; i < sizeof(err6_bytes) / sizeof(err6_bytes[0]); i++)
    every_value(f, n, err6_bytes[i]);
  /* Random peers and ports, each frame under tables of its own. */
  for (int i = 0; i < 300; i++) {
    struct tables t = {0};
    size_t len = ports(f, ipv4(f, eth(f, 0x0800), i % 2 ? 6 : 17,
                               (uint32_t)rand(), US4, 5),
                       (uint16_t)rand(), (uint16_t)(rand() % 4));
    tables_for(&t, f, len);
    compare(&t, f, len);
    tables_clear(&t);
  }
  printf("# %d runs, %d steered by a table, %d disagreements\n", frames_run,
         flows_seen, mismatches);
  ZT_EQ(mismatches, 0);
  ZT_CHECK(flows_seen > 5000);
}

static void trace_frame(const uint8_t *f, size_t len) { differential(f, len); }

ZT_TEST(test_program_agrees_on_traces) {
  if (no_bpf) {
    zt_skip(no_bpf);
    return;
  }
  if (traces_dir == NULL) {
    zt_skip("no traces directory given");
    return;
  }
  srand(2);
  frames_run = flows_seen = mismatches = 0;
  char v6[1024];
  snprintf(v6, sizeof(v6), "%s/v6-dhcp", traces_dir);
  int n = each_trace(traces_dir, trace_frame);
  int n6 = each_trace(v6, trace_frame);
  if (n < 0 || n6 < 0) {
    zt_skip("the shared traces are not there");
    return;
  }
  printf("# %d + %d frames of the traces: %d runs, %d steered by a table, "
         "%d disagreements\n",
         n, n6, frames_run, flows_seen, mismatches);
  ZT_CHECK(n > 500);
  ZT_CHECK(n6 > 50);
  ZT_EQ(mismatches, 0);
}

/* ---- a multi-queue TAP steered by the program ------------------------- */

#define MQ_NAME "znsteer0"

static int sh(const char *cmd) { return system(cmd); }

/* Read every frame waiting on both queues for ms; for each UDP frame to
 * port 9999 from a local port, the queue it came on, by that port. */
static void drain(struct zn_tap *q, int ms, int8_t *queue_of_port) {
  struct timespec t0, t;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (;;) {
    clock_gettime(CLOCK_MONOTONIC, &t);
    long spent = (t.tv_sec - t0.tv_sec) * 1000 +
                 (t.tv_nsec - t0.tv_nsec) / 1000000;
    if (spent >= ms)
      return;
    struct pollfd p[2] = {{q[0].fd, POLLIN, 0}, {q[1].fd, POLLIN, 0}};
    if (poll(p, 2, (int)(ms - spent)) <= 0)
      continue;
    for (int i = 0; i < 2; i++) {
      uint8_t f[2048];
      ssize_t n;
      while ((n = read(q[i].fd, f, sizeof(f))) > 0) {
        struct zn_steer_key k;
        if (zn_steer_key_of_frame(f, (size_t)n, &k) == ZN_STEER_FLOW &&
            k.proto == 17 && k.local_port == 9999)
          queue_of_port[k.peer_port] = (int8_t)i;
      }
    }
  }
}

ZT_TEST(test_tap_steered) {
  if (no_bpf) {
    zt_skip(no_bpf);
    return;
  }
  if (unshare(CLONE_NEWNET) != 0) {
    zt_skip("no private network namespace");
    return;
  }
  struct zn_tap q[2];
  for (int i = 0; i < 2; i++)
    ZT_EQ(zn_tap_open_flags(&q[i], MQ_NAME, 0,
                            ZN_TAP_NO_OFFLOAD | ZN_TAP_MULTI_QUEUE),
          ZN_OK);
  ZT_EQ(zn_tap_steer_attach(&prog, q[0].fd), ZN_OK);
  if (sh("ip link set lo up && ip addr add 10.77.0.1/24 dev " MQ_NAME
         " && ip link set " MQ_NAME " up && ip neigh replace 10.77.0.2 "
         "lladdr 02:00:00:00:00:02 dev " MQ_NAME " nud permanent") != 0) {
    zt_skip("cannot configure the TAP with ip(8)");
    goto out;
  }
  /* 200 UDP flows from the kernel to 10.77.0.2:9999.  The port row sends
   * each bucket to queue bucket % 2; half the flows also get a flow entry
   * saying the other queue. */
  enum { N = 200 };
  int fd[N];
  uint16_t port[N];
  uint32_t want[N];
  uint8_t slots[ZN_STEER_BUCKETS];
  for (int b = 0; b < ZN_STEER_BUCKETS; b++)
    slots[b] = (uint8_t)(b % 2);
  ZT_EQ(zn_tap_steer_port_set(&prog, 17, 9999, slots), ZN_OK);
  for (int i = 0; i < N; i++) {
    fd[i] = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(0x0a4d0001u);
    ZT_EQ(bind(fd[i], (struct sockaddr *)&a, sizeof(a)), 0);
    socklen_t al = sizeof(a);
    getsockname(fd[i], (struct sockaddr *)&a, &al);
    port[i] = ntohs(a.sin_port);
    a.sin_addr.s_addr = htonl(0x0a4d0002u);
    a.sin_port = htons(9999);
    ZT_EQ(connect(fd[i], (struct sockaddr *)&a, sizeof(a)), 0);
    struct zn_steer_key k;
    memset(&k, 0, sizeof(k));
    k.family = 4, k.proto = 17, k.local_port = 9999, k.peer_port = port[i];
    k.peer[0] = 0x0a4d0001u;
    want[i] = zn_steer_bucket(&k) % 2;
    if (i % 2) {
      want[i] ^= 1;
      ZT_EQ(zn_tap_steer_flow_set(&prog, &k, want[i]), ZN_OK);
    }
  }
  static int8_t seen[65536];
  for (int round = 0; round < 2; round++) {
    memset(seen, -1, sizeof(seen));
    if (round == 1)
      usleep(4 * 1000 * 1000);
    for (int i = 0; i < N; i++)
      ZT_EQ(send(fd[i], "ping", 4, 0), 4);
    drain(q, 300, seen);
    int right = 0, on[2] = {0, 0};
    for (int i = 0; i < N; i++) {
      right += seen[port[i]] == (int8_t)want[i];
      if (seen[port[i]] >= 0)
        on[seen[port[i]]]++;
    }
    printf("# %s: %d of %d flows on the queue the tables say (%d on 0, %d "
           "on 1)\n",
           round ? "after 4 s idle" : "at once", right, N, on[0], on[1]);
    ZT_EQ(right, N);
  }
  for (int i = 0; i < N; i++)
    close(fd[i]);
out:
  for (int i = 0; i < 2; i++)
    zn_netif_close(&q[i].nif);
}

int main(int argc, char **argv) {
  traces_dir = argc > 1 ? argv[1] : NULL;
  ZT_RUN(test_rule_ipv4);
  ZT_RUN(test_rule_ipv4_error);
  ZT_RUN(test_rule_ipv6);
  ZT_RUN(test_rule_short_and_other);
  ZT_RUN(test_bucket_spread);
  load_program();
  ZT_RUN(test_program_agrees_on_made_frames);
  ZT_RUN(test_program_agrees_on_traces);
  ZT_RUN(test_tap_steered);
  zn_tap_steer_close(&prog);
  return zt_done();
}
