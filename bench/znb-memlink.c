/*
 * znb-memlink: znet against znet in one process, and znet's memory per
 * connection.  No kernel, no root.
 *
 *     znb-memlink bulk [-t SECONDS] [--loss PCT] [--rtt MS] [--family 4|6]
 *                      [--cc cubic|newreno|bbr] [--wnd BYTES] [--bufs N]
 *     znb-memlink bulk --seeds N [--first K] [--each] [--bytes BYTES]
 *                      [--loss PCT] [--rtt MS] [--family 4|6]
 *                      [--cc cubic|newreno|bbr] [--wnd BYTES] [--bufs N]
 *     znb-memlink conns [--mem BYTES]
 *
 * bulk: stack A sends to stack B's discard service over a memlink for
 * SECONDS of the host's monotonic clock (default 10), both stacks polled in
 * turn in this thread, sleeping only when neither has work.  A sends one
 * static buffer with zn_tcp_write_ref (no copy), at most tcp_sndbuf bytes
 * unacknowledged; B peeks and consumes (no copy).  With --loss or --rtt a
 * fault injector sits at A's end, both directions: it drops that share of
 * the frames each way and delays every frame RTT/2 each way.  The rate is
 * what B's application consumed per second, Mbit/s.  --family 6 runs the
 * same over IPv6 (fd00:7a::1/64 to fd00:7a::2/64, static, no duplicate
 * address detection; the peer's link-layer address found by neighbor
 * discovery), to set the two families' costs side by side.  --cc: the
 * sender's congestion control (default cubic).
 *
 * bulk --seeds N: N transfers of BYTES (default 4M) each, the fault
 * injector's seed (and the stacks') K..K+N-1 (--first K, default 1), on
 * a virtual clock: time moves
 * only to the next deadline of a stack or of a frame the injector holds,
 * so a run is deterministic and costs the CPU it takes, not the timers
 * it waits for.  Each transfer is timed from connect to B's reading the
 * FIN after the last byte; the line gives the virtual seconds of all of
 * them (secs, and the rate they make), the slowest (worst_secs), the
 * wall-clock time they took (wall_secs), and the stacks' counters summed
 * over the runs: retransmitted segments, fast retransmits, RTOs, loss
 * probes (TLP), ranges RACK found lost, D-SACKs (data that arrived
 * twice: needless resends), frames the injector dropped.  Where the
 * time-based bulk measures the CPU, this measures the protocol: how long
 * recovery waits, with no noise.  There is no bottleneck: the rate is
 * the sender's own, up to what loss, the windows and the injector's
 * room allow.  --each adds a "# seed K secs=S rate=R" line per transfer
 * before it: one slow seed, replayed alone with --first K --seeds 1,
 * behaves the same every time.
 *
 * --wnd BYTES sets both stacks' tcp_sndbuf and tcp_rcvbuf, --bufs N their
 * frame buffers (the injector holds up to half of A's), for paths whose
 * window the defaults would cap (bench/rttloss.sh's 16M and 65536 reach
 * 1.3 Gbit/s at 100 ms).
 *
 * conns: how many established TCP connections one stack holds in BYTES of
 * memory (default 1G): the largest cfg.tcp_conns whose zn_stack_mem_size()
 * fits (the other settings at their defaults), then as many connections
 * as that, each from its own (address, port) -- client addresses from
 * 172.16.0.0/12 behind a gateway, each handshake written by hand
 * (SYN, and the ACK of the stack's SYN-ACK) and handed to the stack with
 * zn_stack_input().  It reports the connections established and accepted,
 * the bytes per idle connection (the table's growth per connection:
 * control block plus hash slots; an idle connection holds no buffer, which
 * is checked), and the buffers in use.
 *
 * Each run prints one "znb mode=... key=value ..." line on stdout and
 * exits 0, or says why it failed on stderr and exits 1 (2 on bad usage).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "znet.h"
#include "znet/fault.h"
#include "znet/loop.h"
#include "znet/memlink.h"
#include "znet/wire.h"
#include "znb_pair.h"

#define PROG "znb-memlink"
#define ADDR_A ZN_IPV4(10, 0, 0, 1)
#define ADDR_B ZN_IPV4(10, 0, 0, 2)
#define PORT_DISCARD 9
/* One write_ref hands this much; the send buffer holds several, so that
 * releasing the oldest only once all of it is acknowledged leaves the
 * buffer nearly full (at most tcp_sndbuf bytes referenced). */
#define SEND_CHUNK (16u * 1024u)
#define MAX_NAP_NS 1000000u

static __attribute__((noreturn)) void usage(const char *msg) {
  fprintf(stderr, PROG ": %s (try --help)\n", msg);
  exit(2);
}

static __attribute__((noreturn)) void fail(const char *msg, int rc) {
  fprintf(stderr, PROG ": %s: %s\n", msg, zn_strerror(rc));
  exit(1);
}

static const char help[] =
    "usage: " PROG " bulk [-t SECONDS] [--loss PCT] [--rtt MS] "
    "[--family 4|6] [--cc NAME] [--wnd BYTES] [--bufs N]\n"
    "       " PROG " bulk --seeds N [--first K] [--each] [--bytes BYTES] "
    "[--loss PCT] [--rtt MS] [--family 4|6] [--cc NAME] [--wnd BYTES] "
    "[--bufs N]\n"
    "       " PROG " conns [--mem BYTES]\n";

static struct zn_stack *new_stack(struct zn_config *cfg, void **mem) {
  size_t len = zn_stack_mem_size(cfg);
  if (len == 0)
    fail("zn_stack_mem_size", ZN_EINVAL);
  *mem = malloc(len);
  if (*mem == NULL)
    fail("malloc", ZN_ENOMEM);
  struct zn_stack *st;
  int rc = zn_stack_create(cfg, *mem, len, &st);
  if (rc != ZN_OK)
    fail("zn_stack_create", rc);
  return st;
}

/* ---- bulk ---- */

struct bulk {
  struct zn_tcp_conn *listener, *tx, *rx;
  uint64_t queued, released, consumed;
  uint64_t limit;   /* bytes to send, then a FIN; 0: no end */
  uint32_t sndbuf;
  bool connected, failed, closed_tx, rx_eof;
  int err;
};

static uint8_t send_data[SEND_CHUNK];

static void tx_release(void *arg) {
  ((struct bulk *)arg)->released += SEND_CHUNK;
}

static void tx_pump(struct bulk *b) {
  if (b->tx == NULL || b->failed || b->closed_tx)
    return;
  /* The limit is a whole number of chunks (main rounds it up). */
  while ((b->limit == 0 || b->queued < b->limit) &&
         b->queued - b->released + SEND_CHUNK <= b->sndbuf) {
    if (zn_tcp_write_ref(b->tx, send_data, SEND_CHUNK, tx_release, b) !=
        ZN_OK)
      return;
    b->queued += SEND_CHUNK;
  }
  /* Not before the handshake: a close in SYN_SENT drops what is queued
   * (RFC 9293 §3.10.4). */
  if (b->limit && b->queued == b->limit && b->connected) {
    b->closed_tx = true;
    zn_tcp_close(b->tx); /* the FIN after the last byte */
  }
}

static void rx_readable(struct zn_tcp_conn *c, void *arg) {
  struct bulk *b = arg;
  const uint8_t *p;
  long n;
  while ((n = zn_tcp_peek(c, &p)) > 0) {
    b->consumed += (uint64_t)n;
    (void)zn_tcp_consume(c, (size_t)n);
  }
  if (n == 0 && !b->rx_eof) {
    b->rx_eof = true;
    zn_tcp_close(c);
  }
}

static void bulk_error(struct zn_tcp_conn *c, void *arg, int err) {
  (void)c;
  struct bulk *b = arg;
  b->failed = true;
  b->err = err;
}

static void bulk_closed(struct zn_tcp_conn *c, void *arg) {
  struct bulk *b = arg;
  if (c == b->tx)
    b->tx = NULL;
  if (c == b->rx)
    b->rx = NULL;
  if (c == b->listener)
    b->listener = NULL;
}

static void bulk_connected(struct zn_tcp_conn *c, void *arg) {
  (void)c;
  ((struct bulk *)arg)->connected = true;
  tx_pump(arg);
}

static void bulk_writable(struct zn_tcp_conn *c, void *arg) {
  (void)c;
  tx_pump(arg);
}

static const struct zn_tcp_callbacks rx_cbs = {
    .on_readable = rx_readable,
    .on_error = bulk_error,
    .on_closed = bulk_closed,
};

static void bulk_accept(struct zn_tcp_conn *l, void *arg) {
  struct bulk *b = arg;
  struct zn_tcp_conn *c;
  while (zn_tcp_accept(l, &c) == ZN_OK) {
    b->rx = c;
    zn_tcp_set_callbacks(c, &rx_cbs, b);
  }
}

static const struct zn_tcp_callbacks tx_cbs = {
    .on_accept = bulk_accept,
    .on_connected = bulk_connected,
    .on_writable = bulk_writable,
    .on_error = bulk_error,
    .on_closed = bulk_closed,
};

static void nap(uint64_t ns) {
  struct timespec ts = {.tv_sec = 0, .tv_nsec = (long)ns};
  nanosleep(&ts, NULL);
}

/* IPv6 on, with ADDR/64 and no duplicate address detection (the link
 * holds only the two stacks). */
static void add_ipv6(struct zn_stack *st, const char *addr) {
  struct zn_ip ip;
  if (zn_ip_parse(addr, &ip) != ZN_OK)
    fail("parse IPv6 address", ZN_EINVAL);
  int rc = zn_stack_add_ipv6(st, &ip, 64);
  if (rc != ZN_OK)
    fail("zn_stack_add_ipv6", rc);
}

/* Two stacks over a memlink, with the fault injector at A's end when
 * there is loss or delay (both directions: that share of the frames
 * lost each way, every frame delayed RTT/2 each way).  `seed` varies the
 * stacks' and the injector's randomness. */
struct duo {
  struct zn_stack *a, *b;
  void *ma, *mb;
  struct zn_config ca;
  struct zn_memlink link;
  struct zn_fault f;
  bool faults;
  struct zn_ip peer;   /* B's address */
};

struct path {
  uint32_t loss_ppm, rtt_ms;
  int family;
  enum zn_tcp_cc_algo cc; /* the sender's */
  uint32_t wnd;           /* both stacks' tcp_sndbuf and tcp_rcvbuf; 0: default */
  uint32_t bufs;          /* both stacks' nbufs; 0: default */
};

static void duo_open(struct duo *d, const struct path *pa, uint32_t seed) {
  memset(d, 0, sizeof(*d));
  struct zn_config cb;
  znb_config(&d->ca, ADDR_A, 1);
  znb_config(&cb, ADDR_B, 2);
  d->ca.tcp_cc = (uint8_t)pa->cc;
  d->ca.seed[31] = (uint8_t)seed;
  d->ca.seed[30] = (uint8_t)(seed >> 8);
  cb.seed[31] = (uint8_t)seed;
  cb.seed[30] = (uint8_t)(seed >> 8);
  if (pa->wnd)
    d->ca.tcp_sndbuf = d->ca.tcp_rcvbuf = cb.tcp_sndbuf = cb.tcp_rcvbuf =
        pa->wnd;
  if (pa->bufs)
    d->ca.nbufs = cb.nbufs = pa->bufs;
  if (pa->family == 6) {
    d->ca.ipv6 = cb.ipv6 = true;
    d->ca.ipv6_dad_transmits = cb.ipv6_dad_transmits = 0;
  }
  d->a = new_stack(&d->ca, &d->ma);
  d->b = new_stack(&cb, &d->mb);
  d->peer = zn_ip_from_v4(ADDR_B);
  if (pa->family == 6) {
    add_ipv6(d->a, "fd00:7a::1");
    add_ipv6(d->b, "fd00:7a::2");
    if (zn_ip_parse("fd00:7a::2", &d->peer) != ZN_OK)
      fail("parse IPv6 address", ZN_EINVAL);
  }
  zn_memlink_init(&d->link, 0, 0);
  d->faults = pa->loss_ppm || pa->rtt_ms;
  if (d->faults) {
    struct zn_fault_cfg fc;
    memset(&fc, 0, sizeof(fc));
    fc.seed = seed;
    fc.dirs = ZN_FAULT_RX | ZN_FAULT_TX;
    fc.loss_ppm = pa->loss_ppm;
    fc.delay_ns = ZN_MS(pa->rtt_ms) / 2;
    fc.max_held = d->ca.nbufs / 2;
    zn_fault_init(&d->f, &d->link.a.nif, &fc);
    zn_stack_attach(d->a, &d->f.nif);
  } else {
    zn_stack_attach(d->a, &d->link.a.nif);
  }
  zn_stack_attach(d->b, &d->link.b.nif);
}

/* Listen on B, connect from A, the callbacks on bk. */
static void duo_connect(struct duo *d, struct bulk *bk) {
  memset(bk, 0, sizeof(*bk));
  bk->sndbuf = d->ca.tcp_sndbuf;
  int rc = zn_tcp_listen(d->b, NULL, PORT_DISCARD, 0, &tx_cbs, bk,
                         &bk->listener);
  if (rc != ZN_OK)
    fail("listen", rc);
  rc = zn_tcp_connect(d->a, &d->peer, PORT_DISCARD, &tx_cbs, bk, &bk->tx);
  if (rc != ZN_OK)
    fail("connect", rc);
}

static void duo_close(struct duo *d, struct bulk *bk, uint64_t now) {
  if (bk->tx)
    zn_tcp_abort(bk->tx);
  if (bk->rx)
    zn_tcp_abort(bk->rx);
  if (bk->listener)
    zn_tcp_close(bk->listener);
  zn_stack_poll(d->a, now);
  zn_stack_poll(d->b, now);
  if (d->faults)
    zn_fault_purge(&d->f);
  zn_memlink_purge(&d->link);
  zn_stack_destroy(d->a);
  zn_stack_destroy(d->b);
  free(d->ma);
  free(d->mb);
}

static int run_bulk(double secs, const struct path *pa) {
  static struct duo d;
  duo_open(&d, pa, 1);
  uint64_t now = zn_host_now();
  zn_stack_poll(d.a, now);
  zn_stack_poll(d.b, now);
  static struct bulk bk;
  duo_connect(&d, &bk);
  /* The clock starts at the connection's establishment. */
  uint64_t t0 = 0, end = 0;
  uint64_t limit = now + ZN_SEC(10) + (uint64_t)(secs * 1e9);
  for (;;) {
    now = zn_host_now();
    zn_stack_poll(d.a, now);
    tx_pump(&bk);
    zn_stack_poll(d.b, now);
    if (t0 == 0 && bk.rx) {
      t0 = now;
      end = t0 + (uint64_t)(secs * 1e9);
    }
    if (bk.failed)
      fail("transfer", bk.err);
    if ((t0 && now >= end) || now >= limit)
      break;
    uint64_t dl = zn_stack_next_deadline(d.a);
    uint64_t db = zn_stack_next_deadline(d.b);
    if (db < dl)
      dl = db;
    if (dl > now)
      nap(dl - now < MAX_NAP_NS ? dl - now : MAX_NAP_NS);
  }
  if (t0 == 0) {
    fprintf(stderr, PROG ": the connection was not established\n");
    return 1;
  }
  uint64_t ns = now - t0;
  struct zn_tcp_info info;
  zn_tcp_get_info(bk.tx, &info);
  printf("znb mode=memlink-bulk ops=%" PRIu64
         " secs=%.3f rate=%.1f unit=Mbit/s loss_pct=%.2f rtt_ms=%" PRIu32 " retransmits=%" PRIu64
         " rto=%" PRIu64 " cwnd=%" PRIu32 " snd_wnd=%" PRIu32
         " unacked=%" PRIu32 " srtt_us=%" PRIu32 " family=ipv%d\n",
         bk.consumed, (double)ns / 1e9, (double)bk.consumed * 8e3 / (double)ns,
         pa->loss_ppm / 1e4, pa->rtt_ms, info.retransmits, info.rto_timeouts,
         info.cwnd, info.snd_wnd, info.unacked, info.srtt_us, pa->family);
  duo_close(&d, &bk, zn_host_now());
  return 0;
}

/* ---- bulk --seeds: transfers of a fixed size on a virtual clock ---- */

/* A transfer that has not ended after this much virtual time failed. */
#define SEEDS_RUN_LIMIT ZN_SEC(600)
#define SEEDS_MAX_STEPS 50000000

/* What the runs add up to. */
struct seeds_sum {
  uint64_t vns, worst_ns, bytes;
  uint64_t rtx, fast_rtx, rto, probes, rack_lost, dsacks, fault_lost;
  uint32_t failed;
};

static uint64_t stat2(const struct duo *d, enum zn_stat id) {
  return zn_stat(d->a, id) + zn_stat(d->b, id);
}

/* One transfer of `bytes` with seed `seed`: polls both stacks at the
 * virtual time `now`, then moves it to the earliest deadline (frames on
 * the link go first, at the same time).  Whether B read every byte and
 * the FIN; the virtual time from connect to then in *ns.  (With no delay
 * nothing but timers takes time, and a clean run may take none.) */
static bool seeds_one(const struct path *pa, uint64_t bytes, uint32_t seed,
                      struct seeds_sum *sum, uint64_t *ns) {
  static struct duo d;
  static struct bulk bk;
  duo_open(&d, pa, seed);
  uint64_t now = ZN_SEC(1);
  zn_stack_poll(d.a, now);
  zn_stack_poll(d.b, now);
  duo_connect(&d, &bk);
  bk.limit = bytes;
  uint64_t t0 = now;
  for (long step = 0; step < SEEDS_MAX_STEPS && !bk.rx_eof && !bk.failed &&
                      now - t0 < SEEDS_RUN_LIMIT;
       step++) {
    zn_stack_poll(d.a, now);
    tx_pump(&bk);
    zn_stack_poll(d.b, now);
    if (d.link.a.rxq.count || d.link.b.rxq.count)
      continue;
    uint64_t next = zn_stack_next_deadline(d.a);
    uint64_t nb = zn_stack_next_deadline(d.b);
    if (nb < next)
      next = nb;
    if (next == ZN_TIME_NEVER)
      break; /* nothing will ever happen again */
    /* Due now (frames to send, a timer due): once more, a nanosecond on,
     * so that a stack with nothing left to do moves past it. */
    now = next > now ? next : now + 1;
  }
  bool done = bk.rx_eof && bk.consumed == bytes;
  if (!done)
    fprintf(stderr, PROG ": seed %" PRIu32 ": %s after %.3f s virtual, %" PRIu64
            " of %" PRIu64 " bytes\n", seed,
            bk.failed ? zn_strerror(bk.err) : "no end", (double)(now - t0) / 1e9,
            bk.consumed, bytes);
  sum->rtx += stat2(&d, ZN_STAT_tcp_rtx);
  sum->fast_rtx += stat2(&d, ZN_STAT_tcp_fast_rtx);
  sum->rto += stat2(&d, ZN_STAT_tcp_rto);
  sum->probes += stat2(&d, ZN_STAT_tcp_probe);
  sum->rack_lost += stat2(&d, ZN_STAT_tcp_rack_lost);
  sum->dsacks += stat2(&d, ZN_STAT_tcp_dsack_rx);
  sum->fault_lost += d.faults ? d.f.stats.lost : 0;
  sum->bytes += bk.consumed;
  duo_close(&d, &bk, now);
  *ns = now - t0;
  return done;
}

static int run_seeds(uint32_t first, uint32_t nseeds, bool each,
                     uint64_t bytes, const struct path *pa) {
  struct seeds_sum sum;
  memset(&sum, 0, sizeof(sum));
  uint64_t wall0 = zn_host_now();
  for (uint32_t seed = first; seed - first < nseeds; seed++) {
    uint64_t ns;
    bool done = seeds_one(pa, bytes, seed, &sum, &ns);
    if (each)
      printf("# seed %" PRIu32 " secs=%.3f rate=%.1f%s\n", seed,
             (double)ns / 1e9, ns ? (double)bytes * 8e3 / (double)ns : 0.0,
             done ? "" : " failed");
    if (!done) {
      sum.failed++;
      ns = 0;
    }
    sum.vns += ns;
    if (ns > sum.worst_ns)
      sum.worst_ns = ns;
  }
  double wall = (double)(zn_host_now() - wall0) / 1e9;
  uint64_t good = (uint64_t)(nseeds - sum.failed) * bytes;
  printf("znb mode=memlink-seeds ops=%" PRIu64 " secs=%.3f rate=%.1f "
         "unit=Mbit/s seeds=%" PRIu32 " bytes=%" PRIu64 " loss_pct=%.2f "
         "rtt_ms=%" PRIu32 " family=ipv%d worst_secs=%.3f wall_secs=%.3f "
         "retransmits=%" PRIu64 " fast_rtx=%" PRIu64 " rto=%" PRIu64
         " probes=%" PRIu64 " rack_lost=%" PRIu64 " dsacks=%" PRIu64 " fault_lost=%" PRIu64
         " failed=%" PRIu32 "\n",
         good, (double)sum.vns / 1e9,
         sum.vns ? (double)good * 8e3 / (double)sum.vns : 0.0, nseeds, bytes,
         pa->loss_ppm / 1e4, pa->rtt_ms, pa->family,
         (double)sum.worst_ns / 1e9, wall, sum.rtx, sum.fast_rtx, sum.rto,
         sum.probes, sum.rack_lost, sum.dsacks, sum.fault_lost, sum.failed);
  return sum.failed ? 1 : 0;
}

/* ---- conns: a hand-written client for many addresses ---- */

#define SRV_ADDR ZN_IPV4(10, 0, 0, 1)
#define GW_ADDR ZN_IPV4(10, 0, 0, 254)
#define CLIENT_NET ZN_IPV4(172, 16, 0, 0)
#define SRV_PORT 80
#define PORTS_PER_ADDR 60000u
#define BATCH 512u
#define ISN_CLIENT 1000u

static const uint8_t gw_mac[6] = {2, 0, 0, 0, 0, 0xfe};

/* The netif the server stack sends into: SYN-ACKs are noted for the
 * client's answer, everything is freed. */
struct rawnif {
  struct zn_netif nif;
  uint32_t (*acks)[3];   /* (client addr, client port, server ISN) */
  uint32_t nacks, cap;
  uint64_t other;        /* frames that were not SYN-ACKs */
};

static int raw_recv(struct zn_netif *nif, struct zn_buf **out) {
  (void)nif;
  (void)out;
  return ZN_EAGAIN;
}

static int raw_send(struct zn_netif *nif, struct zn_buf *b) {
  struct rawnif *r = (struct rawnif *)(void *)nif;
  const uint8_t *p = b->data;
  if (b->len >= 14 + 20 + 20 && zn_rd16(p + 12) == ZN_ETHERTYPE_IPV4 &&
      p[14 + 9] == 6) {
    const uint8_t *ip = p + 14, *th = ip + (ip[0] & 15) * 4;
    if (th + 20 <= p + b->len && (th[13] & 0x12) == 0x12 &&
        r->nacks < r->cap) {
      r->acks[r->nacks][0] = zn_rd32(ip + 16);
      r->acks[r->nacks][1] = zn_rd16(th + 2);
      r->acks[r->nacks][2] = zn_rd32(th + 4);
      r->nacks++;
      zn_buf_free(b);
      return ZN_OK;
    }
  }
  r->other++;
  zn_buf_free(b);
  return ZN_OK;
}

static const struct zn_netif_ops raw_ops = {
    .kind = "znb-raw",
    .recv = raw_recv,
    .send = raw_send,
};

/* One client segment (SYN with an MSS option, or a bare ACK) to the
 * server, handed to its input. */
static void client_seg(struct zn_stack *st, uint32_t src, uint16_t sport,
                       bool syn, uint32_t ack) {
  uint32_t tcplen = syn ? 24 : 20, iplen = 20 + tcplen;
  struct zn_buf *b = zn_stack_buf_alloc(st, 14 + iplen);
  if (b == NULL)
    fail("no buffer for a client segment", ZN_ENOBUFS);
  uint8_t *p = b->data;
  memset(p, 0, 14 + iplen);
  memcpy(p, zn_stack_mac(st), 6);
  memcpy(p + 6, gw_mac, 6);
  zn_wr16(p + 12, ZN_ETHERTYPE_IPV4);
  uint8_t *ip = p + 14, *th = ip + 20;
  ip[0] = 0x45;
  zn_wr16(ip + 2, (uint16_t)iplen);
  zn_wr16(ip + 6, 0x4000);
  ip[8] = 64;
  ip[9] = 6;
  zn_wr32(ip + 12, src);
  zn_wr32(ip + 16, SRV_ADDR);
  zn_wr16(ip + 10, zn_csum(ip, 20));
  zn_wr16(th, sport);
  zn_wr16(th + 2, SRV_PORT);
  zn_wr32(th + 4, syn ? ISN_CLIENT : ISN_CLIENT + 1);
  zn_wr32(th + 8, ack);
  th[12] = (uint8_t)((tcplen / 4) << 4);
  th[13] = syn ? 0x02 : 0x10;
  zn_wr16(th + 14, 65535);
  if (syn) {
    th[20] = 2;
    th[21] = 4;
    zn_wr16(th + 22, 1460);
  }
  uint32_t sum = zn_csum_pseudo(src, SRV_ADDR, 6, (uint16_t)tcplen);
  zn_wr16(th + 16, zn_csum_fold(zn_csum_add(sum, th, tcplen)));
  b->len = 14 + iplen;
  zn_stack_input(st, b);
}

struct conns_app {
  uint64_t accepted;
};

static void conns_accept(struct zn_tcp_conn *l, void *arg) {
  struct conns_app *app = arg;
  struct zn_tcp_conn *c;
  while (zn_tcp_accept(l, &c) == ZN_OK)
    app->accepted++;
}

static void conns_closed(struct zn_tcp_conn *c, void *arg) {
  (void)c;
  (void)arg;
}

static const struct zn_tcp_callbacks conns_cbs = {
    .on_accept = conns_accept,
    .on_closed = conns_closed,
};

static void conns_config(struct zn_config *cfg, uint32_t n) {
  znb_config(cfg, SRV_ADDR, 1);
  cfg->ipv4_gateway = GW_ADDR;
  cfg->tcp_conns = n;
  cfg->tcp_backlog = BATCH;
}

static size_t conns_mem(uint32_t n) {
  struct zn_config cfg;
  conns_config(&cfg, n);
  return zn_stack_mem_size(&cfg);
}

static int run_conns(uint64_t budget) {
  /* The most connections whose stack fits the budget. */
  uint32_t lo = 0, hi = 1u << 22;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo + 1) / 2;
    size_t m = conns_mem(mid);
    if (m != 0 && m <= budget)
      lo = mid;
    else
      hi = mid - 1;
  }
  if (lo < 2)
    usage("--mem too small for any connection");
  uint32_t n = lo;
  /* Growth per connection, measured where the hash tables do not double. */
  uint32_t n1 = n / 2 + 1, n2 = n;
  double per_conn = (double)(conns_mem(n2) - conns_mem(n1)) / (n2 - n1);
  struct zn_config cfg;
  conns_config(&cfg, n);
  void *mem;
  uint64_t t_start = zn_host_now();
  struct zn_stack *st = new_stack(&cfg, &mem);
  static struct rawnif raw;
  memset(&raw, 0, sizeof(raw));
  zn_netif_init(&raw.nif, &raw_ops, 0);
  raw.cap = BATCH * 2;
  raw.acks = calloc(raw.cap, sizeof(*raw.acks));
  if (raw.acks == NULL)
    fail("calloc", ZN_ENOMEM);
  zn_stack_attach(st, &raw.nif);
  int rc = zn_arp_add_static(st, GW_ADDR, gw_mac);
  if (rc != ZN_OK)
    fail("static ARP entry", rc);
  uint64_t now = ZN_SEC(1);
  zn_stack_poll(st, now);
  struct conns_app app = {0};
  struct zn_tcp_conn *l;
  rc = zn_tcp_listen(st, NULL, SRV_PORT, BATCH, &conns_cbs, &app, &l);
  if (rc != ZN_OK)
    fail("listen", rc);
  uint32_t bufs0 = zn_stack_bufs_in_use(st);
  /* The listener takes one slot of the table. */
  uint32_t want = n - 1, started = 0;
  while (started < want) {
    uint32_t k = want - started < BATCH ? want - started : BATCH;
    /* The SYN-ACKs may leave while the SYNs go in (a full transmit
     * queue is flushed), or at the poll. */
    raw.nacks = 0;
    for (uint32_t i = 0; i < k; i++) {
      uint32_t idx = started + i;
      client_seg(st, CLIENT_NET + 1 + idx / PORTS_PER_ADDR,
                 (uint16_t)(1024 + idx % PORTS_PER_ADDR), true, 0);
    }
    started += k;
    now += ZN_MS(1);
    zn_stack_poll(st, now);
    uint32_t m = raw.nacks;
    for (uint32_t i = 0; i < m; i++)
      client_seg(st, raw.acks[i][0], (uint16_t)raw.acks[i][1], false,
                 raw.acks[i][2] + 1);
    now += ZN_MS(1);
    zn_stack_poll(st, now);
  }
  uint64_t secs_ns = zn_host_now() - t_start;
  /* Count what the table holds. */
  uint64_t established = app.accepted;
  uint32_t bufs = zn_stack_bufs_in_use(st);
  printf("znb mode=memlink-conns ops=%" PRIu64 " secs=%.3f rate=%.1f "
         "unit=conn/s mem=%zu budget=%" PRIu64 " table=%" PRIu32
         " bytes_per_conn=%.1f bufs_idle=%" PRIu32 " other_frames=%" PRIu64
         "\n",
         established, (double)secs_ns / 1e9,
         (double)established * 1e9 / (double)secs_ns, zn_stack_mem_size(&cfg),
         budget, n, per_conn, bufs - bufs0, raw.other);
  fflush(stdout);
  zn_stack_destroy(st);
  free(mem);
  free(raw.acks);
  return established + 1 == n && bufs == bufs0 ? 0 : 1;
}

/* ---- the command line ---- */

static double num(const char *s, const char *what) {
  char *end;
  double v = strtod(s, &end);
  if (end == s || *end != '\0' || v < 0)
    usage(what);
  return v;
}

/* A byte count, with K, M or G (1024s) allowed. */
static double size_arg(const char *s, const char *what) {
  char *end;
  double v = strtod(s, &end);
  if (end == s || v < 0)
    usage(what);
  switch (*end) {
  case 'K':
  case 'k':
    v *= 1024;
    end++;
    break;
  case 'M':
  case 'm':
    v *= 1024 * 1024;
    end++;
    break;
  case 'G':
  case 'g':
    v *= 1024.0 * 1024 * 1024;
    end++;
    break;
  default:
    break;
  }
  if (*end != '\0')
    usage(what);
  return v;
}

int main(int argc, char **argv) {
  if (argc < 2)
    usage("no mode");
  if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
    fputs(help, stdout);
    return 0;
  }
  memset(send_data, 'm', sizeof(send_data));
  double secs = 10, loss = 0, rtt = 0, family = 4, nseeds = 0, first = 1;
  bool each = false;
  double bytes = 4 << 20, wnd = 0, bufs = 0;
  uint64_t mem = 1ull << 30;
  enum zn_tcp_cc_algo cc = ZN_TCP_CC_CUBIC;
  for (int i = 2; i < argc; i++) {
    if (strcmp(argv[i], "--each") == 0) {
      each = true;
      continue;
    }
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (v == NULL)
      usage("an option needs a value");
    if (strcmp(argv[i], "-t") == 0)
      secs = num(v, "bad -t");
    else if (strcmp(argv[i], "--loss") == 0)
      loss = num(v, "bad --loss");
    else if (strcmp(argv[i], "--rtt") == 0)
      rtt = num(v, "bad --rtt");
    else if (strcmp(argv[i], "--family") == 0)
      family = num(v, "bad --family");
    else if (strcmp(argv[i], "--mem") == 0)
      mem = (uint64_t)num(v, "bad --mem");
    else if (strcmp(argv[i], "--seeds") == 0)
      nseeds = num(v, "bad --seeds");
    else if (strcmp(argv[i], "--first") == 0)
      first = num(v, "bad --first");
    else if (strcmp(argv[i], "--bytes") == 0)
      bytes = size_arg(v, "bad --bytes");
    else if (strcmp(argv[i], "--wnd") == 0)
      wnd = size_arg(v, "bad --wnd");
    else if (strcmp(argv[i], "--bufs") == 0)
      bufs = num(v, "bad --bufs");
    else if (strcmp(argv[i], "--cc") == 0) {
      if (zn_tcp_cc_by_name(v, &cc) != ZN_OK)
        usage("bad --cc");
    }
    else
      usage("bad option");
    i++;
  }
  if (secs <= 0 || loss > 100 || rtt > 10000 || (family != 4 && family != 6) ||
      nseeds > 100000 || nseeds != (uint32_t)nseeds || first < 1 ||
      first > 1e9 || first != (uint32_t)first || bytes < 1 ||
      bytes > (double)(1ull << 40) || wnd > (double)(1u << 30) ||
      bufs > (double)(1u << 24) || bufs != (uint32_t)bufs)
    usage("bad value");
  struct path pa = {(uint32_t)(loss * 1e4 + 0.5), (uint32_t)rtt, (int)family,
                    cc, (uint32_t)wnd, (uint32_t)bufs};
  if (strcmp(argv[1], "bulk") == 0 && nseeds > 0) {
    /* Whole chunks of the one static buffer. */
    uint64_t n = ((uint64_t)bytes + SEND_CHUNK - 1) / SEND_CHUNK * SEND_CHUNK;
    return run_seeds((uint32_t)first, (uint32_t)nseeds, each, n, &pa);
  }
  if (strcmp(argv[1], "bulk") == 0)
    return run_bulk(secs, &pa);
  if (strcmp(argv[1], "conns") == 0)
    return run_conns(mem);
  usage("unknown mode");
}
