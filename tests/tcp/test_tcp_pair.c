/* TCP between two stacks over memlink: handshake, transfer both ways,
 * close, with and without faults. */
#include <stdio.h>
#include <stdlib.h>

#include "../proto/proto_util.h"
#include "core/stack_int.h"
#include "internals.h"
#include "znet/fault.h"

struct app {
  struct zn_tcp_conn *listener, *server, *client;
  int connected, accepted, closed, errors, last_err;
  size_t srv_rx, cli_rx;
  uint8_t *srv_buf, *cli_buf;
  size_t cap;
  int srv_eof, cli_eof;
  bool echo;        /* server echoes what it reads */
  bool srv_close_on_eof;
};

static void on_accept(struct zn_tcp_conn *l, void *arg) {
  struct app *a = arg;
  struct zn_tcp_conn *c;
  while (zn_tcp_accept(l, &c) == ZN_OK) {
    a->server = c;
    a->accepted++;
  }
}

static void srv_readable(struct zn_tcp_conn *c, void *arg) {
  struct app *a = arg;
  uint8_t buf[4096];
  long n;
  while ((n = zn_tcp_read(c, buf, sizeof(buf))) > 0) {
    if (a->srv_rx + (size_t)n <= a->cap)
      memcpy(a->srv_buf + a->srv_rx, buf, (size_t)n);
    a->srv_rx += (size_t)n;
    if (a->echo)
      zn_tcp_write(c, buf, (size_t)n);
  }
  if (n == 0 && !a->srv_eof) {
    a->srv_eof = 1;
    if (a->srv_close_on_eof)
      zn_tcp_close(c);
  }
}

static void cli_readable(struct zn_tcp_conn *c, void *arg) {
  struct app *a = arg;
  uint8_t buf[4096];
  long n;
  while ((n = zn_tcp_read(c, buf, sizeof(buf))) > 0) {
    if (a->cli_rx + (size_t)n <= a->cap)
      memcpy(a->cli_buf + a->cli_rx, buf, (size_t)n);
    a->cli_rx += (size_t)n;
  }
  if (n == 0)
    a->cli_eof = 1;
}

static void on_connected(struct zn_tcp_conn *c, void *arg) {
  (void)c;
  ((struct app *)arg)->connected++;
}
static void on_error(struct zn_tcp_conn *c, void *arg, int err) {
  (void)c;
  struct app *a = arg;
  a->errors++;
  a->last_err = err;
}
static void on_closed(struct zn_tcp_conn *c, void *arg) {
  (void)c;
  ((struct app *)arg)->closed++;
}

static const struct zn_tcp_callbacks srv_cbs = {
    .on_accept = on_accept, .on_readable = srv_readable,
    .on_error = on_error, .on_closed = on_closed};
static const struct zn_tcp_callbacks cli_cbs = {
    .on_connected = on_connected, .on_readable = cli_readable,
    .on_error = on_error, .on_closed = on_closed};

static void cfgs(struct zn_config *ca, struct zn_config *cb) {
  th_config(ca, IP_A, 24, 1);
  th_config(cb, IP_B, 24, 2);
  ca->arp_announce = cb->arp_announce = false;
  ca->nbufs = cb->nbufs = 1024;
}

static uint8_t *pattern(size_t n, unsigned seed) {
  uint8_t *p = malloc(n);
  uint32_t x = seed * 2654435761u + 1;
  for (size_t i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    p[i] = (uint8_t)x;
  }
  return p;
}

ZT_TEST(test_handshake_echo_close) {
  struct th_pair p;
  struct zn_config ca, cb;
  cfgs(&ca, &cb);
  th_pair_init(&p, &ca, &cb);
  ZT_REQUIRE(p.a && p.b);
  zn_stack_poll(p.a, 0);
  zn_stack_poll(p.b, 0);
  struct app a;
  memset(&a, 0, sizeof(a));
  a.cap = 1 << 20;
  a.srv_buf = malloc(a.cap);
  a.cli_buf = malloc(a.cap);
  a.echo = true;
  a.srv_close_on_eof = true;
  ZT_EQ(zn_tcp_listen(p.b, NULL, 7, 0, &srv_cbs, &a, &a.listener), ZN_OK);
  ZT_EQ(zn_tcp_connect(p.a, TH_IP(IP_B), 7, &cli_cbs, &a, &a.client), ZN_OK);
  th_pair_run(&p, ZN_MS(50));
  ZT_EQ(a.connected, 1);
  ZT_EQ(a.accepted, 1);
  struct zn_tcp_info info;
  zn_tcp_get_info(a.client, &info);
  ZT_EQ(info.state, ZN_TCP_ESTABLISHED);
  ZT_CHECK(info.ts && info.sack);
  ZT_EQ(info.mss, 1460);
  ZT_EQ(zn_tcp_write(a.client, "hello, world", 12), 12);
  th_pair_run(&p, ZN_MS(100));
  ZT_EQU(a.srv_rx, 12);
  ZT_EQU(a.cli_rx, 12);
  ZT_MEMEQ(a.cli_buf, "hello, world", 12);
  /* Close from the client: the server sees EOF, closes; both go. */
  zn_tcp_close(a.client);
  th_pair_run(&p, ZN_SEC(1));
  ZT_EQ(a.srv_eof, 1);
  ZT_EQ(a.closed, 2);
  ZT_EQ(a.errors, 0);
  /* TIME_WAIT on the client side ends after 2 MSL. */
  th_pair_run(&p, ZN_SEC(61));
  zn_tcp_close(a.listener);
  th_pair_run(&p, ZN_MS(10));
  ZT_EQ(a.closed, 3);
  ZT_EQ(ZN__MOD(p.a, tcp)->nused, 0);
  ZT_EQ(ZN__MOD(p.b, tcp)->nused, 0);
  ZT_EQU(zn_stat(p.a, ZN_STAT_tcp_impossible) + zn_stat(p.b, ZN_STAT_tcp_impossible), 0);
  free(a.srv_buf);
  free(a.cli_buf);
  th_pair_free(&p);
}

struct run {
  size_t n;               /* bytes client -> server */
  size_t back;            /* bytes server -> client (0: none) */
  uint32_t loss_ppm, reorder_ppm, dup_ppm, corrupt_ppm;
  uint64_t seed;
  uint8_t cc;
  uint64_t delay_ns;
  bool offload;           /* memlink offloads, no fault injector */
};

/* Client sends r->n bytes and closes; the server sends r->back bytes,
 * closing when it has read everything.  Both streams are checked byte for
 * byte, both ends must close cleanly, nothing may leak. */
static void bulk_run(const struct run *r, bool verbose) {
  struct th_pair p;
  struct zn_config ca, cb;
  cfgs(&ca, &cb);
  ca.tcp_cc = cb.tcp_cc = r->cc;
  memset(&p, 0, sizeof(p));
  zn_memlink_init(&p.link, 0, 1024);
  p.a = th_stack_new(&ca);
  p.b = th_stack_new(&cb);
  struct zn_fault f;
  struct zn_fault_cfg fc;
  memset(&fc, 0, sizeof(fc));
  fc.seed = r->seed;
  fc.dirs = ZN_FAULT_RX | ZN_FAULT_TX;
  fc.loss_ppm = r->loss_ppm;
  fc.reorder_ppm = r->reorder_ppm;
  fc.reorder_delay_ns = ZN_MS(3);
  fc.dup_ppm = r->dup_ppm;
  fc.corrupt_ppm = r->corrupt_ppm;
  fc.delay_ns = r->delay_ns ? r->delay_ns : ZN_MS(5);
  fc.max_held = 4096;
  if (r->offload) {
    zn_memlink_set_offloads(&p.link, true);
    zn_stack_attach(p.a, &p.link.a.nif);
  } else {
    zn_fault_init(&f, &p.link.a.nif, &fc);
    zn_stack_attach(p.a, &f.nif);
  }
  zn_stack_attach(p.b, &p.link.b.nif);
  zn_stack_poll(p.a, 0);
  zn_stack_poll(p.b, 0);
  struct app a;
  memset(&a, 0, sizeof(a));
  a.cap = r->n > r->back ? r->n : r->back;
  a.srv_buf = malloc(a.cap + 1);
  a.cli_buf = malloc(a.cap + 1);
  a.srv_close_on_eof = r->back == 0;
  uint8_t *up = pattern(r->n, (unsigned)r->seed);
  uint8_t *down = pattern(r->back + 1, (unsigned)r->seed + 99);
  zn_tcp_listen(p.b, NULL, 9, 0, &srv_cbs, &a, &a.listener);
  zn_tcp_connect(p.a, TH_IP(IP_B), 9, &cli_cbs, &a, &a.client);
  size_t sent = 0, bsent = 0;
  bool srv_closed = false, cli_closed = false;
  uint64_t start = p.now;
  for (int i = 0; i < 600000 && a.closed < 2; i++) {
    if (a.connected && sent < r->n) {
      long w = zn_tcp_write(a.client, up + sent, r->n - sent);
      if (w > 0)
        sent += (size_t)w;
      if (sent == r->n) {
        /* With data coming back, half-close and keep reading. */
        if (r->back)
          zn_tcp_shutdown(a.client);
        else
          zn_tcp_close(a.client);
      }
    }
    if (r->back && a.cli_eof && !cli_closed) {
      cli_closed = true;
      zn_tcp_close(a.client);
    }
    if (a.server && r->back && bsent < r->back) {
      long w = zn_tcp_write(a.server, down + bsent, r->back - bsent);
      if (w > 0)
        bsent += (size_t)w;
    }
    if (a.server && r->back && bsent == r->back && a.srv_eof && !srv_closed) {
      srv_closed = true;
      zn_tcp_close(a.server);
    }
    th_pair_run(&p, ZN_MS(1));
  }
  ZT_EQU(a.srv_rx, r->n);
  ZT_CHECK(a.srv_rx == r->n && memcmp(a.srv_buf, up, r->n) == 0);
  if (r->back) {
    ZT_EQU(a.cli_rx, r->back);
    ZT_CHECK(a.cli_rx == r->back && memcmp(a.cli_buf, down, r->back) == 0);
  }
  ZT_EQ(a.errors, 0);
  ZT_EQ(a.closed, 2);
  if (verbose || zt_case_failed)
    printf("# %zu+%zu bytes, loss %u reorder %u dup %u corrupt %u ppm, %s, "
           "seed %llu: %.3f s virtual, rtx %llu fast %llu rto %llu\n",
           r->n, r->back, r->loss_ppm, r->reorder_ppm, r->dup_ppm,
           r->corrupt_ppm, r->cc ? "newreno" : "cubic",
           (unsigned long long)r->seed, (double)(p.now - start) / 1e9,
           (unsigned long long)(zn_stat(p.a, ZN_STAT_tcp_rtx) +
                                zn_stat(p.b, ZN_STAT_tcp_rtx)),
           (unsigned long long)(zn_stat(p.a, ZN_STAT_tcp_fast_rtx) +
                                zn_stat(p.b, ZN_STAT_tcp_fast_rtx)),
           (unsigned long long)(zn_stat(p.a, ZN_STAT_tcp_rto) +
                                zn_stat(p.b, ZN_STAT_tcp_rto)));
  th_pair_run(&p, ZN_SEC(70));
  zn_tcp_close(a.listener);
  th_pair_run(&p, ZN_MS(10));
  ZT_EQ(ZN__MOD(p.a, tcp)->nused, 0);
  ZT_EQ(ZN__MOD(p.b, tcp)->nused, 0);
  ZT_EQU(zn_stat(p.a, ZN_STAT_tcp_impossible) + zn_stat(p.b, ZN_STAT_tcp_impossible), 0);
  if (r->offload) {
    /* Both ways went as TSO frames the link cut, ACKs with checksums it
     * completed, and the receivers, which check every checksum, found
     * none wrong. */
    ZT_CHECK(zn_stat(p.a, ZN_STAT_tcp_tso_tx) > 0);
    ZT_CHECK(zn_stat(p.b, ZN_STAT_tcp_tso_tx) > 0);
    ZT_CHECK(p.link.a.tso_cut > 0 && p.link.b.tso_cut > 0);
    ZT_CHECK(p.link.a.csum_done > 0 && p.link.b.csum_done > 0);
    ZT_EQU(zn_stat(p.a, ZN_STAT_tcp_drop_checksum) +
               zn_stat(p.b, ZN_STAT_tcp_drop_checksum) +
               zn_stat(p.a, ZN_STAT_ip_drop_checksum) +
               zn_stat(p.b, ZN_STAT_ip_drop_checksum),
           0);
    ZT_EQU(zn_stat(p.a, ZN_STAT_tcp_rtx) + zn_stat(p.b, ZN_STAT_tcp_rtx), 0);
  } else {
    zn_fault_purge(&f);
  }
  free(up);
  free(down);
  free(a.srv_buf);
  free(a.cli_buf);
  th_pair_free(&p);
}

static void bulk(size_t n, uint32_t loss_ppm, uint32_t reorder_ppm,
                 uint32_t dup_ppm, uint64_t seed, uint8_t cc) {
  struct run r = {n, 0, loss_ppm, reorder_ppm, dup_ppm, 0, seed, cc, 0, false};
  bulk_run(&r, true);
}

ZT_TEST(test_bulk_clean) { bulk(1 << 20, 0, 0, 0, 1, ZN_TCP_CC_CUBIC); }

/* A sender held back by the peer's 64 KiB window: cwnd stops growing at
 * about twice what is in flight (RFC 7661), where it used to grow by every
 * byte acknowledged (4 MiB here, without bound in a long transfer). */
ZT_TEST(test_cwnd_bounded_by_use) {
  struct th_pair p;
  struct zn_config ca, cb;
  cfgs(&ca, &cb);
  cb.tcp_rcvbuf = 64u << 10;
  th_pair_init(&p, &ca, &cb);
  ZT_REQUIRE(p.a && p.b);
  struct app a;
  memset(&a, 0, sizeof(a));
  a.cap = 0; /* count only */
  ZT_EQ(zn_tcp_listen(p.b, NULL, 9, 0, &srv_cbs, &a, &a.listener), ZN_OK);
  ZT_EQ(zn_tcp_connect(p.a, TH_IP(IP_B), 9, &cli_cbs, &a, &a.client), ZN_OK);
  th_pair_run(&p, ZN_MS(10));
  ZT_REQUIRE(a.connected == 1);
  static uint8_t chunk[16384];
  size_t sent = 0, total = 4u << 20;
  for (int i = 0; i < 100000 && a.srv_rx < total; i++) {
    while (sent < total) {
      size_t want = total - sent < sizeof(chunk) ? total - sent : sizeof(chunk);
      long w = zn_tcp_write(a.client, chunk, want);
      if (w <= 0)
        break;
      sent += (size_t)w;
    }
    th_pair_run(&p, ZN_MS(1));
  }
  ZT_EQU(a.srv_rx, total);
  struct zn_tcp_info info;
  zn_tcp_get_info(a.client, &info);
  ZT_CHECK(info.cwnd <= 3u * (64u << 10));
  ZT_CHECK(zn_stat(p.a, ZN_STAT_tcp_cwnd_unused) > 0);
  printf("# cwnd %u after 4 MiB into a 64 KiB window\n", info.cwnd);
  zn_tcp_close(a.client);
  zn_tcp_close(a.listener);
  th_pair_run(&p, ZN_SEC(2));
  th_pair_free(&p);
}

/* UDP with checksum offload: a datagram that fits one frame leaves its
 * checksum to the link, which completes it; one that must be fragmented
 * carries its own.  The receiver checks both. */
ZT_TEST(test_udp_offload) {
  struct th_pair p;
  struct zn_config ca, cb;
  cfgs(&ca, &cb);
  th_pair_init(&p, &ca, &cb);
  ZT_REQUIRE(p.a && p.b);
  zn_memlink_set_offloads(&p.link, true);
  struct zn_udp_sock *sa, *sb;
  ZT_EQ(zn_udp_open(p.a, &sa), ZN_OK);
  ZT_EQ(zn_udp_open(p.b, &sb), ZN_OK);
  ZT_EQ(zn_udp_bind(sb, NULL, 53), ZN_OK);
  static uint8_t big[3000];
  for (size_t i = 0; i < sizeof(big); i++)
    big[i] = (uint8_t)(i * 7 + 1);
  th_pair_run(&p, ZN_MS(10));
  ZT_EQ(zn_udp_sendto(sa, TH_IP(IP_B), 53, "offloaded", 9), ZN_OK);
  th_pair_run(&p, ZN_MS(10)); /* ARP resolved, datagram through */
  ZT_EQ(zn_udp_sendto(sa, TH_IP(IP_B), 53, big, sizeof(big)), ZN_OK);
  th_pair_run(&p, ZN_MS(10));
  struct zn_buf *b = NULL;
  ZT_EQ(zn_udp_recv(sb, &b, NULL, NULL), ZN_OK);
  ZT_CHECK(b && b->len == 9 && memcmp(b->data, "offloaded", 9) == 0);
  zn_buf_free(b);
  ZT_EQ(zn_udp_recv(sb, &b, NULL, NULL), ZN_OK);
  ZT_CHECK(b && b->len == sizeof(big) && memcmp(b->data, big, sizeof(big)) == 0);
  zn_buf_free(b);
  ZT_CHECK(p.link.b.csum_done >= 1);
  ZT_EQU(zn_stat(p.b, ZN_STAT_udp_drop_checksum), 0);
  zn_udp_close(sa);
  zn_udp_close(sb);
  th_pair_free(&p);
}

/* Checksum offload and TSO, memlink doing the device's part (completing
 * partial checksums, cutting TSO frames with each segment's pseudo-header
 * sum derived from the frame's): 4 MiB up, 3 MiB down, byte for byte. */
ZT_TEST(test_bulk_offloads) {
  struct run r = {4u << 20, 3u << 20, 0, 0, 0, 0, 7, ZN_TCP_CC_CUBIC, 0, true};
  bulk_run(&r, true);
}
/* A pair connected over memlink (its offloads on or off), the server's
 * connection open, and a pattern to send. */
struct seg_pair {
  struct th_pair p;
  struct app a;
  uint8_t data[4096];
};

static void seg_pair_open(struct seg_pair *t, bool offload) {
  struct zn_config ca, cb;
  cfgs(&ca, &cb);
  th_pair_init(&t->p, &ca, &cb);
  ZT_REQUIRE(t->p.a && t->p.b);
  zn_memlink_set_offloads(&t->p.link, offload);
  memset(&t->a, 0, sizeof(t->a));
  t->a.cap = 1 << 16;
  t->a.srv_buf = malloc(t->a.cap);
  t->a.cli_buf = malloc(t->a.cap);
  ZT_EQ(zn_tcp_listen(t->p.b, NULL, 7, 0, &srv_cbs, &t->a, &t->a.listener),
        ZN_OK);
  ZT_EQ(zn_tcp_connect(t->p.a, TH_IP(IP_B), 7, &cli_cbs, &t->a, &t->a.client),
        ZN_OK);
  th_pair_run(&t->p, ZN_MS(50));
  ZT_REQUIRE(t->a.connected == 1 && t->a.server != NULL);
  for (size_t i = 0; i < sizeof(t->data); i++)
    t->data[i] = (uint8_t)(i * 13 + 5);
}

/* What the client read is the pattern's first n bytes; both close, and
 * the tables empty. */
static void seg_pair_close(struct seg_pair *t, size_t n) {
  th_pair_run(&t->p, ZN_SEC(1));
  ZT_EQU(t->a.cli_rx, n);
  ZT_MEMEQ(t->a.cli_buf, t->data, n);
  zn_tcp_close(t->a.server);
  zn_tcp_close(t->a.client);
  th_pair_run(&t->p, ZN_SEC(70));
  zn_tcp_close(t->a.listener);
  th_pair_run(&t->p, ZN_MS(10));
  ZT_EQ(t->a.errors, 0);
  ZT_EQ(ZN__MOD(t->p.a, tcp)->nused, 0);
  ZT_EQ(ZN__MOD(t->p.b, tcp)->nused, 0);
  free(t->a.srv_buf);
  free(t->a.cli_buf);
  th_pair_free(&t->p);
}

/* With TSO, a write a little over a segment leaves as one frame that the
 * device cuts in two (a 1 KiB file's HTTPS answer with its ticket and
 * close_notify is 1,455 bytes), not as a segment and then a short one.
 * A short tail that Nagle holds (a short segment of before still
 * unacknowledged) stays out of the frame: the segment goes alone. */
static void tso_tail_run(bool nagle_holds) {
  static struct seg_pair t;
  seg_pair_open(&t, true);
  size_t sent = 0, n = zn__tcp_seg_size(t.a.server) + 7;
  if (nagle_holds) {
    ZT_EQ(zn_tcp_write(t.a.server, t.data, 10), 10);
    zn_stack_flush(t.p.b);
    sent = 10;
  }
  uint64_t frames = t.p.link.b.tx_frames;
  uint64_t tso = zn_stat(t.p.b, ZN_STAT_tcp_tso_tx), cut = t.p.link.a.tso_cut;
  ZT_EQ(zn_tcp_write(t.a.server, t.data + sent, n), (long)n);
  zn_stack_flush(t.p.b);
  ZT_EQU(t.p.link.b.tx_frames - frames, 1);
  ZT_EQU(zn_stat(t.p.b, ZN_STAT_tcp_tso_tx) - tso, nagle_holds ? 0 : 1);
  th_pair_run(&t.p, ZN_SEC(1));
  ZT_EQU(t.p.link.a.tso_cut - cut, nagle_holds ? 0 : 1); /* the link cut it */
  seg_pair_close(&t, sent + n);
}

/* Corked, with a netif that segments, a full segment waits too while
 * less than a frame's worth is queued (a TLS session corks while it
 * writes an answer's records); the uncork sends it all as one frame.
 * Without TSO the cork holds only the partial segment. */
static void cork_frame_run(bool offload) {
  static struct seg_pair t;
  seg_pair_open(&t, offload);
  size_t n = zn__tcp_seg_size(t.a.server) + 7;
  uint64_t frames = t.p.link.b.tx_frames;
  zn_tcp_set_cork(t.a.server, true);
  ZT_EQ(zn_tcp_write(t.a.server, t.data, 100), 100);
  ZT_EQ(zn_tcp_write(t.a.server, t.data + 100, n - 100), (long)(n - 100));
  zn_stack_flush(t.p.b);
  ZT_EQU(t.p.link.b.tx_frames - frames, offload ? 0 : 1);
  zn_tcp_set_cork(t.a.server, false);
  zn_stack_flush(t.p.b);
  ZT_EQU(t.p.link.b.tx_frames - frames, offload ? 1 : 2);
  seg_pair_close(&t, n);
}

ZT_TEST(test_tso_frame_takes_short_tail) { tso_tail_run(false); }
ZT_TEST(test_cork_holds_segment_for_tso_frame) { cork_frame_run(true); }
ZT_TEST(test_cork_without_tso_sends_full_segment) { cork_frame_run(false); }

/* A full segment the cork holds for a frame waits only to the end of
 * the poll (what one burst of writes queues still leaves as one frame):
 * then the whole segment goes, and the partial one after it keeps the
 * cork's 200 ms bound, counted once nothing is in flight. */
ZT_TEST(test_cork_frame_hold_ends_with_poll) {
  static struct seg_pair t;
  seg_pair_open(&t, true);
  size_t seg = zn__tcp_seg_size(t.a.server), n = seg + 7;
  uint64_t frames = t.p.link.b.tx_frames;
  uint64_t tso = zn_stat(t.p.b, ZN_STAT_tcp_tso_tx);
  zn_tcp_set_cork(t.a.server, true);
  ZT_EQ(zn_tcp_write(t.a.server, t.data, n), (long)n);
  zn_stack_flush(t.p.b);
  ZT_EQU(t.p.link.b.tx_frames - frames, 0); /* held for a frame */
  uint64_t at = t.p.now;
  th_pair_run(&t.p, 0); /* polls at this instant, to their end */
  ZT_EQU(t.p.now, at);
  ZT_EQU(t.p.link.b.tx_frames - frames, 1);
  ZT_EQU(zn_stat(t.p.b, ZN_STAT_tcp_tso_tx) - tso, 0); /* one segment */
  ZT_EQU(t.a.cli_rx, seg);
  th_pair_run(&t.p, ZN_MS(150));
  ZT_EQU(t.a.cli_rx, seg); /* the 7 bytes stay corked */
  th_pair_run(&t.p, ZN_MS(150));
  ZT_EQU(t.a.cli_rx, n);
  seg_pair_close(&t, n);
}
ZT_TEST(test_tso_frame_leaves_held_tail) { tso_tail_run(true); }

/* Over an offloading link, a TSO frame with a short tail (two segments
 * and 7 bytes) is lost, and its loss probes with it, until the RTO.
 * What follows resends it as segments (a retransmission is one segment
 * at most: transmit_at), and the client gets every byte in order. */
ZT_TEST(test_lost_tso_frame_resent_whole) {
  static struct seg_pair t;
  seg_pair_open(&t, true);
  zn_tcp_set_nodelay(t.a.server, true);
  size_t n = 2 * zn__tcp_seg_size(t.a.server) + 7;
  uint64_t tso = zn_stat(t.p.b, ZN_STAT_tcp_tso_tx);
  uint64_t rto = zn_stat(t.p.b, ZN_STAT_tcp_rto);
  uint64_t cut = t.p.link.a.tso_cut, lost = 0;
  ZT_EQ(zn_tcp_write(t.a.server, t.data, n), (long)n);
  /* Everything the server sends is lost until its RTO has fired; the
   * frames of that poll (the RTO's resend) go through. */
  for (int i = 0; i < 100000 && zn_stat(t.p.b, ZN_STAT_tcp_rto) == rto; i++) {
    zn_stack_poll(t.p.b, t.p.now);
    if (zn_stat(t.p.b, ZN_STAT_tcp_rto) != rto)
      break;
    while (t.p.link.a.rxq.count) {
      zn_buf_free(zn_bufq_pop(&t.p.link.a.rxq));
      lost++;
    }
    zn_stack_poll(t.p.a, t.p.now);
    uint64_t next = zn_stack_next_deadline(t.p.b);
    t.p.now = next > t.p.now ? next : t.p.now + 1;
  }
  ZT_EQU(zn_stat(t.p.b, ZN_STAT_tcp_rto) - rto, 1);
  ZT_CHECK(lost >= 2); /* the frame and a probe at least */
  ZT_EQU(zn_stat(t.p.b, ZN_STAT_tcp_tso_tx) - tso, 1); /* the first only */
  ZT_EQU(t.a.cli_rx, 0);
  th_pair_run(&t.p, ZN_SEC(2));
  ZT_EQU(zn_stat(t.p.b, ZN_STAT_tcp_tso_tx) - tso, 1);
  ZT_EQU(t.p.link.a.tso_cut, cut); /* none reached the client */
  ZT_EQU(zn_stat(t.p.b, ZN_STAT_tcp_rto) - rto, 1);
  seg_pair_close(&t, n);
}

ZT_TEST(test_bulk_loss_1pct) { bulk(1 << 20, 10000, 0, 0, 2, ZN_TCP_CC_CUBIC); }
ZT_TEST(test_bulk_loss_5pct_newreno) { bulk(1 << 19, 50000, 0, 0, 3, ZN_TCP_CC_NEWRENO); }
ZT_TEST(test_bulk_reorder_dup) { bulk(1 << 19, 5000, 50000, 20000, 4, ZN_TCP_CC_CUBIC); }

ZT_TEST(test_both_ways_loss_20pct) {
  struct run r = {200000, 150000, 200000, 0, 0, 0, 5, ZN_TCP_CC_CUBIC, 0, false};
  bulk_run(&r, true);
}

ZT_TEST(test_corruption) {
  struct run r = {300000, 100000, 0, 0, 0, 30000, 6, ZN_TCP_CC_CUBIC, 0, false};
  bulk_run(&r, true);
}

/* A seeded random sweep: sizes, faults, directions and algorithms drawn
 * from the seed; ZT_SWEEP=N runs more. */
ZT_TEST(test_random_sweep) {
  int runs = getenv("ZT_SWEEP") ? atoi(getenv("ZT_SWEEP")) : 24;
  uint64_t x = 0x5eed;
  for (int i = 0; i < runs && !zt_case_failed; i++) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    struct run r;
    memset(&r, 0, sizeof(r));
    r.seed = x >> 16;
    r.n = 1 + (size_t)((x >> 20) % 300000);
    r.back = (x >> 40) % 3 == 0 ? (size_t)((x >> 24) % 200000) : 0;
    r.loss_ppm = (uint32_t)((x >> 8) % 6) * 20000;      /* 0..10% */
    r.reorder_ppm = (x >> 13) % 2 ? 50000 : 0;
    r.dup_ppm = (x >> 17) % 3 == 0 ? 20000 : 0;
    r.corrupt_ppm = (x >> 21) % 4 == 0 ? 10000 : 0;
    r.cc = (uint8_t)((x >> 30) % 3); /* CUBIC, NewReno, BBR */
    r.delay_ns = ZN_MS(1 + (x >> 33) % 40);
    bulk_run(&r, false);
  }
  printf("# %d random runs\n", runs);
}

/* ---- zero copy both ways ---- */

static int released;
static void release_fn(void *arg) { released += (int)(intptr_t)arg; }

static size_t peeked;
static uint8_t *peek_buf;
static int peek_eof;
static void peek_readable(struct zn_tcp_conn *c, void *arg) {
  (void)arg;
  const uint8_t *v;
  long n;
  while ((n = zn_tcp_peek(c, &v)) > 0) {
    memcpy(peek_buf + peeked, v, (size_t)n);
    peeked += (size_t)n;
    ZT_EQ(zn_tcp_consume(c, (size_t)n), ZN_OK);
  }
  if (n == 0)
    peek_eof = 1;
}

static struct zn_tcp_conn *peek_server;
static void peek_accept(struct zn_tcp_conn *l, void *arg) {
  (void)arg;
  while (zn_tcp_accept(l, &peek_server) == ZN_OK)
    ;
}

ZT_TEST(test_write_ref_and_peek) {
  struct th_pair p;
  struct zn_config ca, cb;
  cfgs(&ca, &cb);
  th_pair_init(&p, &ca, &cb);
  ZT_REQUIRE(p.a && p.b);
  zn_stack_poll(p.a, 0);
  zn_stack_poll(p.b, 0);
  enum { N = 300000 };
  uint8_t *data = pattern(N, 77);
  peek_buf = malloc(N);
  peeked = 0;
  peek_eof = 0;
  released = 0;
  static const struct zn_tcp_callbacks scb = {.on_accept = peek_accept,
                                              .on_readable = peek_readable};
  struct zn_tcp_conn *l, *c;
  ZT_EQ(zn_tcp_listen(p.b, NULL, 5001, 0, &scb, NULL, &l), ZN_OK);
  ZT_EQ(zn_tcp_connect(p.a, TH_IP(IP_B), 5001, NULL, NULL, &c), ZN_OK);
  /* References queued before the connection is up are sent once it is. */
  ZT_EQ(zn_tcp_write_ref(c, data, N / 2, release_fn, (void *)1), ZN_OK);
  ZT_EQ(zn_tcp_write_ref(c, data + N / 2, N - N / 2, release_fn, (void *)10), ZN_OK);
  ZT_EQ(zn_tcp_write_ref(c, data, 0, release_fn, (void *)100), ZN_EINVAL);
  th_pair_run(&p, ZN_US(500));
  ZT_CHECK(released < 11); /* not all acknowledged yet (the peer holds
                              its last ACK until a loss probe, 1 ms) */
  th_pair_run(&p, ZN_SEC(2));
  ZT_EQ(released, 11);
  ZT_EQU(peeked, N);
  ZT_CHECK(peeked == N && memcmp(peek_buf, data, N) == 0);
  /* A reference still queued when the connection is aborted is released
   * too, exactly once. */
  zn_tcp_set_nodelay(c, true);
  released = 0;
  p.link.b.qlen = 0; /* the link drops all toward b: nothing gets acked */
  ZT_EQ(zn_tcp_write_ref(c, data, 5000, release_fn, (void *)1000), ZN_OK);
  th_pair_run(&p, ZN_MS(50));
  ZT_EQ(released, 0);
  zn_tcp_abort(c);
  ZT_EQ(released, 1000);
  p.link.b.qlen = 1024;
  th_pair_run(&p, ZN_SEC(1));
  ZT_EQ(released, 1000);
  zn_tcp_close(peek_server);
  zn_tcp_close(l);
  th_pair_run(&p, ZN_SEC(2));
  free(data);
  free(peek_buf);
  th_pair_free(&p);
}

/* zn_tcp_peek_at: views at any offset, across the segments' buffers,
 * nothing consumed; past the end, what an empty queue says. */
ZT_TEST(test_peek_at_offsets) {
  struct th_pair p;
  struct zn_config ca, cb;
  cfgs(&ca, &cb);
  th_pair_init(&p, &ca, &cb);
  ZT_REQUIRE(p.a && p.b);
  zn_stack_poll(p.a, 0);
  zn_stack_poll(p.b, 0);
  peek_server = NULL;
  static const struct zn_tcp_callbacks scb = {.on_accept = peek_accept};
  struct zn_tcp_conn *l, *c;
  ZT_EQ(zn_tcp_listen(p.b, NULL, 5002, 0, &scb, NULL, &l), ZN_OK);
  ZT_EQ(zn_tcp_connect(p.a, TH_IP(IP_B), 5002, NULL, NULL, &c), ZN_OK);
  th_pair_run(&p, ZN_MS(10));
  ZT_REQUIRE(peek_server != NULL);
  zn_tcp_set_nodelay(c, true);
  enum { N = 4000 };
  uint8_t *data = pattern(N, 5);
  for (size_t off = 0; off < N; off += 1000) { /* four segments */
    ZT_EQ(zn_tcp_write(c, data + off, 1000), 1000);
    th_pair_run(&p, ZN_MS(1));
  }
  th_pair_run(&p, ZN_MS(10));
  ZT_EQU(zn_tcp_readable(peek_server), N);
  const uint8_t *v;
  for (size_t off = 0; off < N; off++) {
    long n = zn_tcp_peek_at(peek_server, off, &v);
    ZT_REQUIRE(n > 0 && off + (size_t)n <= N);
    ZT_REQUIRE(v[0] == data[off] && v[n - 1] == data[off + (size_t)n - 1]);
  }
  ZT_EQ(zn_tcp_peek_at(peek_server, 1500, &v), 500); /* the second's rest */
  ZT_EQ(zn_tcp_peek_at(peek_server, N, &v), ZN_EAGAIN);
  ZT_EQU(zn_tcp_readable(peek_server), N); /* nothing consumed */
  ZT_EQ(zn_tcp_consume(peek_server, 1200), ZN_OK);
  ZT_EQ(zn_tcp_peek_at(peek_server, 0, &v), 800);
  ZT_CHECK(v[0] == data[1200]);
  ZT_EQ(zn_tcp_shutdown(c), ZN_OK);
  th_pair_run(&p, ZN_MS(10));
  ZT_EQ(zn_tcp_peek_at(peek_server, N - 1200, &v), 0); /* the FIN */
  ZT_EQ(zn_tcp_peek_at(peek_server, 100, &v), 700);
  zn_tcp_close(c);
  zn_tcp_close(peek_server);
  zn_tcp_close(l);
  th_pair_run(&p, ZN_SEC(2));
  free(data);
  th_pair_free(&p);
}

/* ---- what a listener's address takes (znet/tcp.h) ---- */

static int bind_accepts;
static void bind_accept(struct zn_tcp_conn *l, void *arg) {
  (void)arg;
  struct zn_tcp_conn *c;
  while (zn_tcp_accept(l, &c) == ZN_OK) {
    bind_accepts++;
    zn_tcp_close(c);
  }
}

/* NULL, ZN_AF_NONE, `::`, `0.0.0.0` and B's own address all take a
 * connection to B over IPv4; the info of each listener shows its binding
 * (no family: both; 0.0.0.0: IPv4 only). */
ZT_TEST(test_listen_bindings_take_ipv4) {
  struct th_pair p;
  struct zn_config ca, cb;
  cfgs(&ca, &cb);
  th_pair_init(&p, &ca, &cb);
  ZT_REQUIRE(p.a && p.b);
  zn_stack_poll(p.a, 0);
  zn_stack_poll(p.b, 0);
  struct zn_ip none = {0}, any6, any4, own = zn_ip_from_v4(IP_B);
  ZT_REQUIRE(zn_ip_parse("::", &any6) == ZN_OK);
  ZT_REQUIRE(zn_ip_parse("0.0.0.0", &any4) == ZN_OK);
  const struct zn_ip *binds[5] = {NULL, &none, &any6, &any4, &own};
  const uint8_t fam[5] = {ZN_AF_NONE, ZN_AF_NONE, ZN_AF_NONE, ZN_AF_INET,
                          ZN_AF_INET};
  static const struct zn_tcp_callbacks lcb = {.on_accept = bind_accept};
  for (int i = 0; i < 5; i++) {
    struct zn_tcp_conn *l, *c;
    uint16_t port = (uint16_t)(6000 + i);
    ZT_EQ(zn_tcp_listen(p.b, binds[i], port, 0, &lcb, NULL, &l), ZN_OK);
    struct zn_tcp_info info;
    zn_tcp_get_info(l, &info);
    ZT_EQ(info.laddr.family, fam[i]);
    bind_accepts = 0;
    ZT_EQ(zn_tcp_connect(p.a, TH_IP(IP_B), port, NULL, NULL, &c), ZN_OK);
    th_pair_run(&p, ZN_MS(100));
    ZT_EQ(bind_accepts, 1);
    zn_tcp_get_info(c, &info);
    ZT_EQ(info.state, ZN_TCP_CLOSE_WAIT); /* accepted, closed by B */
    ZT_EQU(zn_ip_v4(&info.laddr), IP_A);
    ZT_EQU(zn_ip_v4(&info.raddr), IP_B);
    zn_tcp_close(c);
    zn_tcp_close(l);
    th_pair_run(&p, ZN_SEC(1));
  }
  th_pair_free(&p);
}

/* Bindings on one port conflict when they share an address: any address
 * of both families overlaps everything; 0.0.0.0 overlaps every IPv4
 * address and no IPv6 one; an IPv6 address that is not ours is refused. */
ZT_TEST(test_listen_bindings_conflict_by_family) {
  struct th_pair p;
  struct zn_config ca, cb;
  cfgs(&ca, &cb);
  th_pair_init(&p, &ca, &cb);
  ZT_REQUIRE(p.a && p.b);
  struct zn_ip any6, any4, own = zn_ip_from_v4(IP_B), v6;
  ZT_REQUIRE(zn_ip_parse("::", &any6) == ZN_OK);
  ZT_REQUIRE(zn_ip_parse("0.0.0.0", &any4) == ZN_OK);
  ZT_REQUIRE(zn_ip_parse("2001:db8::2", &v6) == ZN_OK);
  struct zn_tcp_conn *l1, *l2;
  ZT_EQ(zn_tcp_listen(p.b, &any4, 80, 0, NULL, NULL, &l1), ZN_OK);
  ZT_EQ(zn_tcp_listen(p.b, &own, 80, 0, NULL, NULL, &l2), ZN_EADDRINUSE);
  ZT_EQ(zn_tcp_listen(p.b, &any6, 80, 0, NULL, NULL, &l2), ZN_EADDRINUSE);
  ZT_EQ(zn_tcp_listen(p.b, NULL, 80, 0, NULL, NULL, &l2), ZN_EADDRINUSE);
  ZT_EQ(zn_tcp_listen(p.b, &v6, 81, 0, NULL, NULL, &l2), ZN_EADDRNOTAVAIL);
  ZT_EQ(zn_tcp_listen(p.b, &any6, 81, 0, NULL, NULL, &l2), ZN_OK);
  ZT_EQ(zn_tcp_listen(p.b, &any4, 81, 0, NULL, NULL, &l1), ZN_EADDRINUSE);
  th_pair_free(&p);
}

/* An IPv6 peer needs an IPv6 address of ours, which there is not yet:
 * TCP and UDP say so; an IPv4-mapped peer is the IPv4 address. */
ZT_TEST(test_ipv6_peer_without_address_refused) {
  struct th_pair p;
  struct zn_config ca, cb;
  cfgs(&ca, &cb);
  th_pair_init(&p, &ca, &cb);
  ZT_REQUIRE(p.a && p.b);
  struct zn_ip v6, any6, mapped;
  ZT_REQUIRE(zn_ip_parse("2001:db8::2", &v6) == ZN_OK);
  ZT_REQUIRE(zn_ip_parse("::", &any6) == ZN_OK);
  ZT_REQUIRE(zn_ip_parse("::ffff:10.0.0.2", &mapped) == ZN_OK);
  struct zn_tcp_conn *c;
  ZT_EQ(zn_tcp_connect(p.a, &v6, 80, NULL, NULL, &c), ZN_EADDRNOTAVAIL);
  ZT_EQ(zn_tcp_connect(p.a, &any6, 80, NULL, NULL, &c), ZN_EINVAL);
  ZT_EQ(zn_tcp_connect(p.a, NULL, 80, NULL, NULL, &c), ZN_EINVAL);
  ZT_EQ(ZN__MOD(p.a, tcp)->nused, 0);
  struct zn_udp_sock *u;
  ZT_REQUIRE(zn_udp_open(p.a, &u) == ZN_OK);
  ZT_EQ(zn_udp_sendto(u, &v6, 53, "x", 1), ZN_EADDRNOTAVAIL);
  ZT_EQ(zn_udp_sendto(u, &any6, 53, "x", 1), ZN_EINVAL);
  zn_udp_close(u);
  ZT_REQUIRE(zn_udp_open(p.a, &u) == ZN_OK);
  ZT_EQ(zn_udp_bind(u, TH_IP(0), 0), ZN_OK); /* 0.0.0.0: IPv4 only */
  ZT_EQ(zn_udp_connect(u, &v6, 53), ZN_EINVAL);
  ZT_EQ(zn_udp_sendto(u, &v6, 53, "x", 1), ZN_EINVAL);
  zn_udp_close(u);
  ZT_EQ(zn_tcp_connect(p.a, &mapped, 80, NULL, NULL, &c), ZN_OK);
  struct zn_tcp_info info;
  zn_tcp_get_info(c, &info);
  ZT_EQ(info.raddr.family, ZN_AF_INET);
  ZT_EQU(zn_ip_v4(&info.raddr), IP_B);
  zn_tcp_abort(c);
  th_pair_run(&p, ZN_SEC(1));
  th_pair_free(&p);
}

int main(void) {
  /* ZT_BULK=BYTES,LOSS_PPM,DELAY_US,SEED,CC: one transfer, reported
   * (for studying loss recovery; the suite below runs without it). */
  const char *one = getenv("ZT_BULK");
  if (one) {
    unsigned long long n = 0, loss = 0, delay = 5000, seed = 1, cc = 0;
    sscanf(one, "%llu,%llu,%llu,%llu,%llu", &n, &loss, &delay, &seed, &cc);
    struct run r = {(size_t)n, 0, (uint32_t)loss, 0, 0, 0, seed, (uint8_t)cc,
                    delay * 1000u, false};
    bulk_run(&r, true);
    return zt_done();
  }
  ZT_RUN(test_write_ref_and_peek);
  ZT_RUN(test_peek_at_offsets);
  ZT_RUN(test_handshake_echo_close);
  ZT_RUN(test_bulk_clean);
  ZT_RUN(test_bulk_offloads);
  ZT_RUN(test_tso_frame_takes_short_tail);
  ZT_RUN(test_tso_frame_leaves_held_tail);
  ZT_RUN(test_lost_tso_frame_resent_whole);
  ZT_RUN(test_cork_holds_segment_for_tso_frame);
  ZT_RUN(test_cork_without_tso_sends_full_segment);
  ZT_RUN(test_cork_frame_hold_ends_with_poll);
  ZT_RUN(test_udp_offload);
  ZT_RUN(test_cwnd_bounded_by_use);
  ZT_RUN(test_bulk_loss_1pct);
  ZT_RUN(test_bulk_loss_5pct_newreno);
  ZT_RUN(test_bulk_reorder_dup);
  ZT_RUN(test_both_ways_loss_20pct);
  ZT_RUN(test_corruption);
  ZT_RUN(test_random_sweep);
  ZT_RUN(test_listen_bindings_take_ipv4);
  ZT_RUN(test_listen_bindings_conflict_by_family);
  ZT_RUN(test_ipv6_peer_without_address_refused);
  return zt_done();
}
