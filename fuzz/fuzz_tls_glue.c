/*
 * libznet-tls's glue under a fuzzer-chosen network and application: a
 * TLS client session on stack A and a server session on stack B over a
 * memlink, with the fault injector (loss, duplication, reordering, delay,
 * all from the input) on A's side and, under it, a decorator that flips
 * bytes of chosen TCP segments and fixes their checksums, so that the
 * flips reach TLS.  Both sides write known patterns (copying writes and
 * write_ref) and read them (read, or peek/consume in the pieces the input
 * says), shut down, close and abort as the input says.  Every run is
 * deterministic: the stacks' seeds are fixed, and so are the engines'.
 *
 * Checks: every byte read is the byte the peer wrote at that offset (a
 * flip is found by the record MAC, never delivered); a session that
 * fails reports one failure, counted once; a side that read the end (0)
 * got everything the peer wrote before its close_notify; every
 * write_ref is released exactly once (on abort too); every stream gets
 * on_closed exactly once after it is closed; at the end no TCP
 * connection is left, every frame is accounted for, every buffer is
 * back.
 *
 * Input: the link (fault seed, loss, duplication, reordering in 0.1%,
 * delay in 100 us), a configuration byte (suites, buffer sizes, record
 * buffers lent by a pool: bit 5; TCP receive windows of 3000 bytes, below
 * a record, so that a session with a pool takes its pair before TCP
 * holds the whole record: bit 6), then
 * operations of 3 bytes: op, side, argument (the first 2000; the rest of
 * the input is not read).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "tls/certs.h"
#include "znet/fault.h"
#include "znet/tls.h"

#define PORT 443
#define PLEN 8191u
#define MAX_IO 20000u
#define NREFS 8

static uint8_t pat[2 * PLEN + MAX_IO];

/* One side's stream and what it did. */
struct side {
  struct zn_stream *s;
  _Alignas(64) uint8_t mem[48 * 1024];
  uint64_t wr, rd; /* pattern bytes taken by writes, and read */
  uint32_t key;    /* the side's pattern offset */
  int opened, errors, closed;
  enum zn_tls_failure final; /* zn_tls_error() at on_closed */
  bool eof, shut, app_closed, autoread, failed;
  int refs_out; /* write_ref not yet released */
};

static struct side sides[2]; /* 0: client (A), 1: server (B) */
static struct fz_pair pair;
static struct zn_fault fault;
static struct zn_tcp_conn *listener;
static struct zn_tls_config ccfg, scfg;
static struct zn_tls_stats cstats, sstats;
static uint8_t rbuf[MAX_IO];

/* ---- the flipping decorator, between stack A and the fault injector --- */

struct flipper {
  struct zn_netif nif;
  struct zn_netif *inner;
  uint32_t frame;    /* frames sent so far */
  uint32_t flip_at;  /* flip a byte of this frame (0: none pending) */
  uint16_t flip_off; /* at this offset into its TCP payload */
  bool flipped;      /* a flip went out: failures are allowed */
};

static struct flipper flip;

static int flip_recv(struct zn_netif *nif, struct zn_buf **out) {
  struct flipper *f = ZN_CONTAINER_OF(nif, struct flipper, nif);
  f->inner->now = nif->now;
  return zn_netif_recv(f->inner, out);
}

/* The TCP payload of an IPv4 frame: where it starts, 0 if none. */
static size_t tcp_payload(const uint8_t *p, size_t len) {
  size_t ip = fz_ipv4_off(p, len);
  if (ip == 0 || len < ip + 20 || p[ip + 9] != 6)
    return 0;
  size_t tcp = ip + (size_t)(p[ip] & 0x0f) * 4u;
  if (len < tcp + 20)
    return 0;
  size_t data = tcp + (size_t)(p[tcp + 12] >> 4) * 4u;
  return data < len ? data : 0;
}

static int flip_send(struct zn_netif *nif, struct zn_buf *b) {
  struct flipper *f = ZN_CONTAINER_OF(nif, struct flipper, nif);
  f->frame++;
  if (f->flip_at && f->frame >= f->flip_at && zn_buf_writable(b)) {
    size_t at = tcp_payload(b->data, b->len);
    if (at) {
      b->data[at + f->flip_off % (b->len - at)] ^= 0x5a;
      fz_fix_checksums(b->data, b->len);
      f->flip_at = 0;
      f->flipped = true;
    }
  }
  f->inner->now = nif->now;
  return zn_netif_send(f->inner, b);
}

static void flip_poll(struct zn_netif *nif) {
  struct flipper *f = ZN_CONTAINER_OF(nif, struct flipper, nif);
  f->inner->now = nif->now;
  if (f->inner->ops->poll)
    f->inner->ops->poll(f->inner);
}

static uint64_t flip_deadline(struct zn_netif *nif) {
  return zn_netif_next_deadline(
      ZN_CONTAINER_OF(nif, struct flipper, nif)->inner);
}

static const struct zn_netif_ops flip_ops = {.kind = "flip",
                                             .recv = flip_recv,
                                             .send = flip_send,
                                             .poll = flip_poll,
                                             .next_deadline = flip_deadline};

/* ---- reading and the streams' callbacks ---- */

static struct side *side_of(void *arg) { return arg; }

static void got(struct side *d, const uint8_t *p, size_t n) {
  const struct side *peer = &sides[d == &sides[0]];
  if (memcmp(p, pat + (peer->key + d->rd) % PLEN, n) != 0)
    fz_fail(__FILE__, __LINE__,
            "%s read %zu bytes at %llu its peer did not "
            "send",
            d == &sides[0] ? "client" : "server", n, (unsigned long long)d->rd);
  d->rd += n;
  FZ_CHECK(d->rd <= peer->wr);
}

static void end_of(struct side *d, long n) {
  if (n == 0)
    d->eof = true;
  else
    FZ_CHECK(n == ZN_EAGAIN || n == ZN_ENOTCONN || n == ZN_ETLS ||
             n == ZN_ETIMEDOUT || n == ZN_ECONNRESET);
}

static void read_some(struct side *d, size_t max, bool peek) {
  if (peek) {
    const uint8_t *v;
    long n = zn_stream_peek(d->s, &v);
    if (n <= 0) {
      end_of(d, n);
      return;
    }
    size_t k = max < (size_t)n ? max : (size_t)n;
    FZ_CHECK((size_t)n == zn_stream_readable(d->s));
    got(d, v, k);
    FZ_CHECK(zn_stream_consume(d->s, k) == ZN_OK);
    return;
  }
  long n = zn_stream_read(d->s, rbuf, max < sizeof(rbuf) ? max : sizeof(rbuf));
  if (n > 0)
    got(d, rbuf, (size_t)n);
  else
    end_of(d, n);
}

static void on_readable(struct zn_stream *s, void *arg) {
  (void)s;
  struct side *d = side_of(arg);
  for (int i = 0; d->autoread && !d->eof && i < 64; i++) {
    uint64_t before = d->rd;
    read_some(d, MAX_IO, i & 1);
    if (d->rd == before)
      break;
  }
}

static void on_open(struct zn_stream *s, void *arg) {
  (void)s;
  struct side *d = side_of(arg);
  d->opened++;
  FZ_CHECK(d->opened == 1 && d->errors == 0);
}

static void on_error(struct zn_stream *s, void *arg, int err) {
  struct side *d = side_of(arg);
  d->errors++;
  d->failed = true;
  FZ_CHECK(d->errors == 1);
  struct zn_tls_error_info e = zn_tls_error(s);
  FZ_CHECK(e.failure > ZN_TLS_FAIL_none && e.err == err);
}

static void on_closed(struct zn_stream *s, void *arg) {
  struct side *d = side_of(arg);
  d->closed++;
  FZ_CHECK(d->closed == 1 && d->app_closed);
  d->final = zn_tls_error(s).failure;
  FZ_CHECK(d->errors == 0 || d->final != ZN_TLS_FAIL_none);
}

static const struct zn_stream_callbacks cbs = {.on_open = on_open,
                                               .on_readable = on_readable,
                                               .on_error = on_error,
                                               .on_closed = on_closed};

static void on_release(void *arg) {
  struct side *d = side_of(arg);
  FZ_CHECK(d->refs_out > 0);
  d->refs_out--;
}

static void on_accept(struct zn_tcp_conn *l, void *arg) {
  (void)arg;
  struct zn_tcp_conn *c;
  while (zn_tcp_accept(l, &c) == ZN_OK) {
    struct side *d = &sides[1];
    if (d->s) {
      zn_tcp_abort(c);
      continue;
    }
    FZ_CHECK(zn_tls_server_start(&scfg, pair.b, c, &cbs, d, d->mem,
                                 sizeof(d->mem), &d->s) == ZN_OK);
  }
}

static void l_closed(struct zn_tcp_conn *c, void *arg) {
  (void)c;
  (void)arg;
}

static const struct zn_tcp_callbacks lcb = {.on_accept = on_accept,
                                            .on_closed = l_closed};

static uint64_t clock_2030(void *arg) {
  (void)arg;
  return 1893456000u;
}

/* ---- set-up ---- */

static void configs(uint8_t conf) {
  static struct zn_tls_creds *creds[2];
  static struct zn_tls_anchors *anchors;
  static _Alignas(64) uint8_t cmem[2][4096], amem[4096], bpmem[2][40000];
  if (!anchors) {
    FZ_CHECK(
        zn_tls_creds_init(ZT_PEM_SERVER_EC_PEM, strlen(ZT_PEM_SERVER_EC_PEM),
                          ZT_PEM_SERVER_EC_KEY, strlen(ZT_PEM_SERVER_EC_KEY),
                          cmem[0], sizeof(cmem[0]), &creds[0], NULL) == ZN_OK);
    FZ_CHECK(
        zn_tls_creds_init(ZT_PEM_SERVER_RSA_PEM, strlen(ZT_PEM_SERVER_RSA_PEM),
                          ZT_PEM_SERVER_RSA_KEY, strlen(ZT_PEM_SERVER_RSA_KEY),
                          cmem[1], sizeof(cmem[1]), &creds[1], NULL) == ZN_OK);
    FZ_CHECK(zn_tls_anchors_init(ZT_PEM_CA_PEM, strlen(ZT_PEM_CA_PEM), amem,
                                 sizeof(amem), &anchors, NULL) == ZN_OK);
  }
  zn_tls_config_default(&scfg, ZN_TLS_SERVER);
  zn_tls_config_default(&ccfg, ZN_TLS_CLIENT);
  scfg.creds = creds[conf & 1];
  ccfg.anchors = anchors;
  ccfg.clock = clock_2030;
  /* One suite of the key's kind, or all. */
  uint32_t suite = (conf >> 1) & 3;
  if (suite)
    ccfg.suites = 1u << ((suite - 1) + ((conf & 1) ? 3 : 0));
  if (conf & 8)
    scfg.out_buf = ZN_TLS_OUT_BUF_MIN;
  if (conf & 16) {
    ccfg.in_buf = ZN_TLS_IN_BUF_MIN;
    ccfg.out_buf = ZN_TLS_OUT_BUF_MIN;
  }
  ccfg.max_refs = scfg.max_refs = 4;
  if (conf & 32) { /* record buffers lent: a pool of one pair each side */
    FZ_CHECK(zn_tls_bufpool_init(bpmem[0], sizeof(bpmem[0]), 1, ccfg.in_buf,
                                 ccfg.out_buf, &ccfg.bufpool) == ZN_OK);
    FZ_CHECK(zn_tls_bufpool_init(bpmem[1], sizeof(bpmem[1]), 1, scfg.in_buf,
                                 scfg.out_buf, &scfg.bufpool) == ZN_OK);
  }
  memset(&cstats, 0, sizeof(cstats));
  memset(&sstats, 0, sizeof(sstats));
  ccfg.stats = &cstats;
  scfg.stats = &sstats;
  FZ_CHECK(zn_tls_conn_size(&ccfg) <= sizeof(sides[0].mem));
  FZ_CHECK(zn_tls_conn_size(&scfg) <= sizeof(sides[1].mem));
}

/* TCP receive windows below a full record (configuration bit 6). */
#define SMALL_RCVBUF 3000u

static void setup(struct fz_in *in) {
  struct zn_fault_cfg fc;
  memset(&fc, 0, sizeof(fc));
  fc.seed = fz_u8(in);
  fc.dirs = ZN_FAULT_RX | ZN_FAULT_TX;
  fc.loss_ppm = fz_u8(in) % 100u * 1000u; /* up to 10% */
  fc.dup_ppm = fz_u8(in) % 100u * 1000u;
  fc.reorder_ppm = fz_u8(in) * 1000u;
  fc.delay_ns = fz_u8(in) * 100000u;
  fc.reorder_delay_ns = ZN_MS(3);
  fc.max_held = 64;
  uint8_t conf = fz_u8(in);
  configs(conf);
  struct zn_config ca, cb;
  fz_config(&ca, 1);
  fz_config(&cb, 2);
  ca.tcp_retries = cb.tcp_retries = 8;
  if (conf & 64)
    ca.tcp_rcvbuf = cb.tcp_rcvbuf = SMALL_RCVBUF;
  memset(&pair, 0, sizeof(pair));
  memset(sides, 0, sizeof(sides));
  sides[0].key = 17;
  sides[1].key = 4099;
  memset(&flip, 0, sizeof(flip));
  zn_memlink_init(&pair.link, 0, 64);
  pair.a = th_stack_new(&ca);
  pair.b = th_stack_new(&cb);
  FZ_CHECK(pair.a && pair.b);
  zn_fault_init(&fault, &pair.link.a.nif, &fc);
  flip.inner = &fault.nif;
  zn_netif_init(&flip.nif, &flip_ops, fault.nif.mtu);
  zn_netif_wrap(&flip.nif, &fault.nif);
  FZ_CHECK(zn_stack_attach(pair.a, &flip.nif) == ZN_OK);
  FZ_CHECK(zn_stack_attach(pair.b, &pair.link.b.nif) == ZN_OK);
  zn_stack_poll(pair.a, 0);
  zn_stack_poll(pair.b, 0);
  FZ_CHECK(zn_tcp_listen(pair.b, NULL, PORT, 2, &lcb, NULL, &listener) ==
           ZN_OK);
  struct zn_tcp_conn *c;
  struct zn_ip b = zn_ip_from_v4(ZN_IPV4(10, 0, 0, 2));
  FZ_CHECK(zn_tcp_connect(pair.a, &b, PORT, NULL, NULL, &c) == ZN_OK);
  FZ_CHECK(zn_tls_client_start(&ccfg, pair.a, c, "znet.test", &cbs, &sides[0],
                               sides[0].mem, sizeof(sides[0].mem),
                               &sides[0].s) == ZN_OK);
}

/* ---- operations ---- */

static bool live(const struct side *d) { return d->s && !d->app_closed; }

static void op(uint8_t o, uint8_t who, uint8_t arg) {
  struct side *d = &sides[who & 1];
  size_t n = (size_t)arg * 73u % MAX_IO + 1u;
  switch (o % 11) {
  case 0: /* a copying write */
    if (live(d)) {
      long w = zn_stream_write(d->s, pat + (d->key + d->wr) % PLEN, n);
      if (w > 0)
        d->wr += (uint64_t)w;
    }
    break;
  case 1: /* a reference */
    if (live(d) && zn_stream_write_ref(d->s, pat + (d->key + d->wr) % PLEN, n,
                                       on_release, d) == ZN_OK) {
      d->wr += n;
      d->refs_out++;
    }
    break;
  case 2:
    if (live(d))
      read_some(d, n, false);
    break;
  case 3:
    if (live(d))
      read_some(d, n, true);
    break;
  case 4:
    if (live(d)) {
      d->autoread = arg & 1;
      on_readable(d->s, d);
    }
    break;
  case 5:
    if (live(d) && zn_stream_shutdown(d->s) == ZN_OK)
      d->shut = true;
    break;
  case 6:
    if (live(d) && arg < 16) { /* seldom: it ends the run's interest */
      d->app_closed = true;
      zn_stream_close(d->s);
    }
    break;
  case 7:
    if (live(d) && arg < 8) {
      d->app_closed = true;
      zn_stream_abort(d->s);
      FZ_CHECK(d->refs_out == 0); /* released by the abort */
    }
    break;
  case 8: /* flip a byte of a frame A sends soon */
    if (arg < 32) {
      flip.flip_at = flip.frame + 1u + arg % 8u;
      flip.flip_off = (uint16_t)(arg * 131u + who);
    }
    break;
  default:
    fz_pair_run(&pair, ZN_MS(1) + ZN_MS(arg) * 2u);
    break;
  }
}

/* ---- the end ---- */

static uint64_t failures(const struct zn_tls_stats *s) {
  uint64_t n = 0;
  for (int i = ZN_TLS_STAT_failed_version; i < ZN_TLS_NSTATS; i++)
    n += s->v[i];
  return n;
}

/* Both sides still fine: everything is read, ends with a clean close
 * (close_notify each way) and arrives whole. */
static void drain_and_check(void) {
  for (int i = 0; i < 2; i++)
    if (live(&sides[i])) {
      sides[i].autoread = true;
      on_readable(sides[i].s, &sides[i]);
    }
  fz_pair_run(&pair, ZN_SEC(30));
  for (int i = 0; i < 2; i++) {
    struct side *d = &sides[i], *p = &sides[!i];
    if (!live(d) || !live(p) || d->failed || p->failed || !d->opened)
      continue;
    /* What the peer wrote before its close_notify came whole (unless
     * this side closed first: TLS 1.2 has no half-close, its engine drops
     * what comes after its own close_notify). */
    if (d->eof && p->shut && !d->shut && !flip.flipped)
      FZ_CHECK(d->rd == p->wr);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (pat[1] == 0)
    for (size_t i = 0; i < sizeof(pat); i++) { /* period PLEN */
      uint32_t k = (uint32_t)(i % PLEN);
      pat[i] = (uint8_t)((k * 2654435761u) >> 24 ^ k);
    }
  struct fz_in in;
  fz_in_init(&in, data, size);
  setup(&in);
  fz_pair_run(&pair, ZN_MS(50));
  for (int i = 0; i < 2000 && fz_more(&in); i++) {
    uint8_t o = fz_u8(&in), who = fz_u8(&in), arg = fz_u8(&in);
    op(o, who, arg);
  }
  drain_and_check();
  /* Failures so far: each told once. */
  FZ_CHECK(failures(&cstats) >= (uint64_t)sides[0].errors);
  FZ_CHECK(failures(&sstats) >= (uint64_t)sides[1].errors);
  if (getenv("FZ_TRACE")) /* for triage: what the run did */
    for (int i = 0; i < 2; i++)
      fprintf(stderr, "%s: opened %d errors %d wr %llu rd %llu eof %d %s\n",
              i ? "server" : "client", sides[i].opened, sides[i].errors,
              (unsigned long long)sides[i].wr, (unsigned long long)sides[i].rd,
              sides[i].eof, sides[i].s ? zn_tls_error(sides[i].s).text : "-");
  /* Close what is open; everything must go. */
  for (int i = 0; i < 2; i++)
    if (live(&sides[i])) {
      sides[i].app_closed = true;
      zn_stream_close(sides[i].s);
    }
  zn_tcp_close(listener);
  fz_pair_run(&pair, ZN_SEC(120));
  /* Each session failed at most once, counted so (a failure after the
   * application closed is counted, not told: no callback after close). */
  FZ_CHECK(failures(&cstats) == (sides[0].final != ZN_TLS_FAIL_none));
  FZ_CHECK(failures(&sstats) == (sides[1].final != ZN_TLS_FAIL_none));
  for (int i = 0; i < 2; i++) {
    struct side *d = &sides[i];
    FZ_CHECK(!d->s || d->closed == 1);
    FZ_CHECK(d->refs_out == 0);
  }
  /* Every pair lent is back. */
  struct zn_tls_bufpool_info bi;
  for (int i = 0; i < 2; i++) {
    const struct zn_tls_config *cfg = i ? &scfg : &ccfg;
    if (cfg->bufpool) {
      zn_tls_bufpool_get_info(cfg->bufpool, &bi);
      FZ_CHECK(bi.in_use == 0 && bi.waiting == 0);
    }
  }
  FZ_CHECK(fz_tcp_used(pair.a) == 0 && fz_tcp_used(pair.b) == 0);
  fz_check_stack(pair.a);
  fz_check_stack(pair.b);
  zn_netif_close(&fault.nif);
  fz_pair_free(&pair);
  fz_check_harness();
  return 0;
}
