/* Unit tests of netif/fault.c: the fault injector around a memlink end
 * (TX faults, seen at the peer) or read through it (RX faults). */
#include "harness.h"
#include "nif_test.h"

#define NFRAMES 10000u
#define FLEN 64u

struct fx {
  struct nt_pool p;
  struct zn_memlink l;
  struct zn_fault f;
};

static int fx_init(struct fx *x, const struct zn_fault_cfg *cfg,
                   uint32_t nbufs) {
  if (nt_pool_init(&x->p, nbufs, ZN_BUF_SIZE) != ZN_OK)
    return -1;
  zn_memlink_init(&x->l, 0, 1024);
  zn_fault_init(&x->f, &x->l.a.nif, cfg);
  nt_attach(&x->f.nif, &x->p); /* as zn_stack_attach() would */
  nt_attach(&x->l.b.nif, &x->p);
  return 0;
}

static void fx_fini(struct fx *x) {
  zn_fault_purge(&x->f);
  zn_memlink_purge(&x->l);
  ZT_EQU(x->f.nheld, 0);
  nt_pool_fini(&x->p);
}

static void fx_set_now(struct fx *x, uint64_t now) {
  x->f.nif.now = now;
  x->f.nif.ops->poll(&x->f.nif);
}

/* Frames that crossed to b, freed; tags stored if tags != NULL. */
static uint32_t fx_drain_b(struct fx *x, uint32_t *tags, uint32_t max) {
  uint32_t n = 0;
  struct zn_buf *b;
  while (zn_netif_recv(&x->l.b.nif, &b) == ZN_OK) {
    if (tags && n < max)
      tags[n] = nt_tag(b);
    n++;
    zn_buf_free(b);
  }
  return n;
}

/* Frames read through the fault netif, freed. */
static uint32_t fx_drain_f(struct fx *x, uint32_t *tags, uint32_t max) {
  uint32_t n = 0;
  struct zn_buf *b;
  while (zn_netif_recv(&x->f.nif, &b) == ZN_OK) {
    if (tags && n < max)
      tags[n] = nt_tag(b);
    n++;
    zn_buf_free(b);
  }
  return n;
}

static uint32_t tx_loss_run(uint32_t ppm) {
  struct zn_fault_cfg cfg = {.seed = 1, .dirs = ZN_FAULT_TX, .loss_ppm = ppm};
  struct fx x;
  if (fx_init(&x, &cfg, 16))
    return UINT32_MAX;
  uint32_t got = 0;
  for (uint32_t i = 0; i < NFRAMES; i++) {
    ZT_EQ(zn_netif_send(&x.f.nif, nt_frame(&x.p, FLEN, i)), ZN_OK);
    got += fx_drain_b(&x, NULL, 0);
  }
  ZT_EQU(x.f.stats.lost + x.f.stats.passed, NFRAMES);
  ZT_EQU(x.f.stats.passed, got);
  fx_fini(&x);
  return got;
}

ZT_TEST(test_tx_loss) {
  ZT_EQU(tx_loss_run(1000000), 0);
  ZT_EQU(tx_loss_run(0), NFRAMES);
  uint32_t got = tx_loss_run(300000);
  /* 70% of 10000, sd ~46: allow well over 5 sd. */
  ZT_CHECK(got > 6700 && got < 7300);
}

ZT_TEST(test_rx_loss) {
  struct zn_fault_cfg cfg = {
      .seed = 9, .dirs = ZN_FAULT_RX, .loss_ppm = 300000};
  struct fx x;
  ZT_REQUIRE(fx_init(&x, &cfg, 16) == 0);
  uint32_t got = 0;
  for (uint32_t i = 0; i < NFRAMES; i++) {
    ZT_EQ(zn_netif_send(&x.l.b.nif, nt_frame(&x.p, FLEN, i)), ZN_OK);
    got += fx_drain_f(&x, NULL, 0);
  }
  ZT_CHECK(got > 6700 && got < 7300);
  ZT_EQU(x.f.stats.lost, NFRAMES - got);
  fx_fini(&x);
}

/* Faults only apply in the directions configured. */
ZT_TEST(test_dirs) {
  struct zn_fault_cfg cfg = {
      .seed = 1, .dirs = ZN_FAULT_RX, .loss_ppm = 1000000};
  struct fx x;
  ZT_REQUIRE(fx_init(&x, &cfg, 16) == 0);
  for (uint32_t i = 0; i < 10; i++)
    ZT_EQ(zn_netif_send(&x.f.nif, nt_frame(&x.p, FLEN, i)), ZN_OK);
  ZT_EQU(fx_drain_b(&x, NULL, 0), 10); /* TX untouched */
  for (uint32_t i = 0; i < 10; i++)
    ZT_EQ(zn_netif_send(&x.l.b.nif, nt_frame(&x.p, FLEN, i)), ZN_OK);
  ZT_EQU(fx_drain_f(&x, NULL, 0), 0); /* RX all lost */
  fx_fini(&x);

  cfg.dirs = 0;
  ZT_REQUIRE(fx_init(&x, &cfg, 16) == 0);
  ZT_EQ(zn_netif_send(&x.f.nif, nt_frame(&x.p, FLEN, 1)), ZN_OK);
  ZT_EQU(fx_drain_b(&x, NULL, 0), 1);
  ZT_EQ(zn_netif_send(&x.l.b.nif, nt_frame(&x.p, FLEN, 1)), ZN_OK);
  ZT_EQU(fx_drain_f(&x, NULL, 0), 1);
  ZT_EQU(x.f.stats.lost, 0);
  fx_fini(&x);
}

ZT_TEST(test_tx_dup) {
  struct zn_fault_cfg cfg = {
      .seed = 3, .dirs = ZN_FAULT_TX, .dup_ppm = 1000000};
  struct fx x;
  ZT_REQUIRE(fx_init(&x, &cfg, 16) == 0);
  for (uint32_t i = 0; i < 100; i++) {
    ZT_EQ(zn_netif_send(&x.f.nif, nt_frame(&x.p, FLEN, i)), ZN_OK);
    struct zn_buf *b[2];
    ZT_REQUIRE(zn_netif_recv(&x.l.b.nif, &b[0]) == ZN_OK);
    ZT_REQUIRE(zn_netif_recv(&x.l.b.nif, &b[1]) == ZN_OK);
    ZT_CHECK(b[0] != b[1]);
    ZT_CHECK(nt_frame_ok(b[0], FLEN, i) && nt_frame_ok(b[1], FLEN, i));
    zn_buf_free(b[0]);
    zn_buf_free(b[1]);
    ZT_EQU(fx_drain_b(&x, NULL, 0), 0);
  }
  ZT_EQU(x.f.stats.duplicated, 100);
  ZT_EQU(x.f.stats.passed, 200);
  fx_fini(&x);
}

ZT_TEST(test_rx_dup) {
  struct zn_fault_cfg cfg = {
      .seed = 3, .dirs = ZN_FAULT_RX, .dup_ppm = 1000000};
  struct fx x;
  ZT_REQUIRE(fx_init(&x, &cfg, 16) == 0);
  for (uint32_t i = 0; i < 100; i++) {
    ZT_EQ(zn_netif_send(&x.l.b.nif, nt_frame(&x.p, FLEN, i)), ZN_OK);
    uint32_t tags[4];
    ZT_EQU(fx_drain_f(&x, tags, 4), 2);
    ZT_EQU(tags[0], i);
    ZT_EQU(tags[1], i);
  }
  ZT_EQU(x.f.stats.duplicated, 100);
  fx_fini(&x);
}

/* Duplicates that are also held need private copies (the hold list uses
 * the buffer's link and scratch). */
ZT_TEST(test_dup_with_delay) {
  struct zn_fault_cfg cfg = {.seed = 3,
                             .dirs = ZN_FAULT_TX | ZN_FAULT_RX,
                             .dup_ppm = 1000000,
                             .delay_ns = ZN_MS(1)};
  struct fx x;
  ZT_REQUIRE(fx_init(&x, &cfg, 16) == 0);
  fx_set_now(&x, 0);
  ZT_EQ(zn_netif_send(&x.f.nif, nt_frame(&x.p, FLEN, 7)), ZN_OK);
  ZT_EQU(x.f.nheld, 2);
  ZT_EQU(fx_drain_b(&x, NULL, 0), 0);
  fx_set_now(&x, ZN_MS(1));
  uint32_t tags[4];
  ZT_EQU(fx_drain_b(&x, tags, 4), 2);
  ZT_EQU(tags[0], 7);
  ZT_EQU(tags[1], 7);

  ZT_EQ(zn_netif_send(&x.l.b.nif, nt_frame(&x.p, FLEN, 8)), ZN_OK);
  ZT_EQU(fx_drain_f(&x, NULL, 0), 0);
  ZT_EQU(x.f.nheld, 2);
  fx_set_now(&x, ZN_MS(2));
  ZT_EQU(fx_drain_f(&x, tags, 4), 2);
  ZT_EQU(tags[0], 8);
  ZT_EQU(tags[1], 8);
  fx_fini(&x);
}

static int bits_differing(const struct zn_buf *b, const struct zn_buf *ref) {
  int n = 0;
  if (b->len != ref->len)
    return -1;
  for (uint32_t i = 0; i < b->len; i++)
    n += __builtin_popcount((unsigned)(b->data[i] ^ ref->data[i]));
  return n;
}

ZT_TEST(test_corrupt_one_bit) {
  struct zn_fault_cfg cfg = {
      .seed = 5, .dirs = ZN_FAULT_TX | ZN_FAULT_RX, .corrupt_ppm = 1000000};
  struct fx x;
  ZT_REQUIRE(fx_init(&x, &cfg, 16) == 0);
  struct zn_buf *want = nt_frame(&x.p, 200, 0);
  ZT_REQUIRE(want);
  int all_same_spot = 1, first_byte = -1;
  for (uint32_t i = 0; i < 200; i++) {
    struct zn_buf *b;
    /* TX: a buffer only we hold is flipped in place. */
    ZT_EQ(zn_netif_send(&x.f.nif, nt_frame(&x.p, 200, 0)), ZN_OK);
    ZT_REQUIRE(zn_netif_recv(&x.l.b.nif, &b) == ZN_OK);
    ZT_EQ(bits_differing(b, want), 1);
    for (uint32_t k = 0; k < b->len; k++)
      if (b->data[k] != want->data[k]) {
        if (first_byte < 0)
          first_byte = (int)k;
        else if ((int)k != first_byte)
          all_same_spot = 0;
      }
    zn_buf_free(b);
    /* RX. */
    ZT_EQ(zn_netif_send(&x.l.b.nif, nt_frame(&x.p, 200, 0)), ZN_OK);
    ZT_REQUIRE(zn_netif_recv(&x.f.nif, &b) == ZN_OK);
    ZT_EQ(bits_differing(b, want), 1);
    zn_buf_free(b);
  }
  ZT_CHECK(!all_same_spot); /* the bit is random */
  ZT_EQU(x.f.stats.corrupted, 400);

  /* A shared buffer is copied, never written: the other holder's bytes
   * stay intact. */
  struct zn_buf *shared = nt_frame(&x.p, 200, 0);
  ZT_REQUIRE(shared);
  ZT_EQ(zn_netif_send(&x.f.nif, zn_buf_ref(shared)), ZN_OK);
  ZT_EQ(bits_differing(shared, want), 0);
  ZT_EQU(shared->ref, 1);
  struct zn_buf *b;
  ZT_REQUIRE(zn_netif_recv(&x.l.b.nif, &b) == ZN_OK);
  ZT_EQ(bits_differing(b, want), 1);
  zn_buf_free(b);
  zn_buf_free(shared);
  zn_buf_free(want);
  fx_fini(&x);
}

/* No buffer for the private copy a shared frame needs: dropped, counted,
 * the reference handed back. */
ZT_TEST(test_corrupt_shared_nobuf) {
  struct zn_fault_cfg cfg = {
      .seed = 5, .dirs = ZN_FAULT_TX, .corrupt_ppm = 1000000};
  struct fx x;
  ZT_REQUIRE(fx_init(&x, &cfg, 1) == 0);
  struct zn_buf *shared = nt_frame(&x.p, 60, 0);
  ZT_REQUIRE(shared);
  ZT_EQ(zn_netif_send(&x.f.nif, zn_buf_ref(shared)), ZN_ENOBUFS);
  ZT_EQU(x.f.stats.nobuf, 1);
  ZT_EQU(shared->ref, 1);
  zn_buf_free(shared);
  fx_fini(&x);
}

ZT_TEST(test_tx_delay) {
  struct zn_fault_cfg cfg = {
      .seed = 1, .dirs = ZN_FAULT_TX, .delay_ns = ZN_MS(5)};
  struct fx x;
  ZT_REQUIRE(fx_init(&x, &cfg, 16) == 0);
  fx_set_now(&x, ZN_MS(10));
  ZT_EQU(zn_netif_next_deadline(&x.f.nif), ZN_TIME_NEVER);
  ZT_EQ(zn_netif_send(&x.f.nif, nt_frame(&x.p, FLEN, 1)), ZN_OK);
  ZT_EQU(x.f.nheld, 1);
  ZT_EQU(fx_drain_b(&x, NULL, 0), 0);
  ZT_EQU(zn_netif_next_deadline(&x.f.nif), ZN_MS(15));
  fx_set_now(&x, ZN_MS(15) - 1);
  ZT_EQU(fx_drain_b(&x, NULL, 0), 0);
  fx_set_now(&x, ZN_MS(15));
  uint32_t tag = 0;
  ZT_EQU(fx_drain_b(&x, &tag, 1), 1);
  ZT_EQU(tag, 1);
  ZT_EQU(x.f.nheld, 0);
  ZT_EQU(zn_netif_next_deadline(&x.f.nif), ZN_TIME_NEVER);
  ZT_EQU(x.f.stats.delayed, 1);
  fx_fini(&x);
}

ZT_TEST(test_rx_delay) {
  struct zn_fault_cfg cfg = {
      .seed = 1, .dirs = ZN_FAULT_RX, .delay_ns = ZN_MS(5)};
  struct fx x;
  ZT_REQUIRE(fx_init(&x, &cfg, 16) == 0);
  x.f.nif.now = 0;
  ZT_EQ(zn_netif_send(&x.l.b.nif, nt_frame(&x.p, FLEN, 1)), ZN_OK);
  ZT_EQ(zn_netif_send(&x.l.b.nif, nt_frame(&x.p, FLEN, 2)), ZN_OK);
  struct zn_buf *b;
  ZT_EQ(zn_netif_recv(&x.f.nif, &b), ZN_EAGAIN);
  ZT_EQU(x.f.nheld, 2);
  ZT_EQU(zn_netif_next_deadline(&x.f.nif), ZN_MS(5));
  x.f.nif.now = ZN_MS(5) - 1;
  ZT_EQ(zn_netif_recv(&x.f.nif, &b), ZN_EAGAIN);
  x.f.nif.now = ZN_MS(5);
  uint32_t tags[2];
  ZT_EQU(fx_drain_f(&x, tags, 2), 2);
  ZT_EQU(tags[0], 1);
  ZT_EQU(tags[1], 2);
  fx_fini(&x);
}

ZT_TEST(test_jitter) {
  struct zn_fault_cfg cfg = {.seed = 11,
                             .dirs = ZN_FAULT_TX,
                             .delay_ns = ZN_MS(1),
                             .jitter_ns = ZN_MS(1)};
  struct fx x;
  ZT_REQUIRE(fx_init(&x, &cfg, 128) == 0);
  fx_set_now(&x, 0);
  for (uint32_t i = 0; i < 100; i++)
    ZT_EQ(zn_netif_send(&x.f.nif, nt_frame(&x.p, FLEN, i)), ZN_OK);
  fx_set_now(&x, ZN_MS(1) - 1);
  ZT_EQU(fx_drain_b(&x, NULL, 0), 0);
  fx_set_now(&x, ZN_US(1500));
  uint32_t mid = fx_drain_b(&x, NULL, 0);
  ZT_CHECK(mid > 20 && mid < 80);
  fx_set_now(&x, ZN_MS(2));
  ZT_EQU(fx_drain_b(&x, NULL, 0), 100 - mid);
  fx_fini(&x);
}

ZT_TEST(test_reorder) {
  struct zn_fault_cfg cfg = {.seed = 21,
                             .dirs = ZN_FAULT_TX,
                             .reorder_ppm = 300000,
                             .reorder_delay_ns = ZN_MS(1)};
  struct fx x;
  ZT_REQUIRE(fx_init(&x, &cfg, 256) == 0);
  uint32_t tags[200], n = 0;
  for (uint32_t i = 0; i < 200; i++) {
    fx_set_now(&x, ZN_US(10) * i);
    ZT_EQ(zn_netif_send(&x.f.nif, nt_frame(&x.p, FLEN, i)), ZN_OK);
    n += fx_drain_b(&x, tags + n, 200 - n);
  }
  fx_set_now(&x, ZN_MS(10));
  n += fx_drain_b(&x, tags + n, 200 - n);
  ZT_EQU(n, 200);
  int inversions = 0;
  uint8_t seen[200] = {0};
  for (uint32_t i = 0; i < n; i++) {
    if (i && tags[i] < tags[i - 1])
      inversions++;
    if (tags[i] < 200)
      seen[tags[i]]++;
  }
  for (uint32_t i = 0; i < 200; i++)
    ZT_EQ(seen[i], 1);
  ZT_CHECK(inversions > 0);
  ZT_CHECK(x.f.stats.reordered > 30 && x.f.stats.reordered < 90);
  ZT_EQU(x.f.stats.delayed, 0);
  fx_fini(&x);
}

ZT_TEST(test_max_held_overflow) {
  struct zn_fault_cfg cfg = {.seed = 1,
                             .dirs = ZN_FAULT_TX | ZN_FAULT_RX,
                             .delay_ns = ZN_SEC(1),
                             .max_held = 10};
  struct fx x;
  ZT_REQUIRE(fx_init(&x, &cfg, 64) == 0);
  for (uint32_t i = 0; i < 15; i++)
    ZT_EQ(zn_netif_send(&x.f.nif, nt_frame(&x.p, FLEN, i)), ZN_OK);
  ZT_EQU(x.f.nheld, 10);
  ZT_EQU(x.f.stats.overflow, 5);
  ZT_EQU(zn_pool_in_use(&x.p.pool), 10);
  /* RX shares the bound. */
  ZT_EQ(zn_netif_send(&x.l.b.nif, nt_frame(&x.p, FLEN, 99)), ZN_OK);
  ZT_EQU(fx_drain_f(&x, NULL, 0), 0);
  ZT_EQU(x.f.stats.overflow, 6);
  ZT_EQU(zn_pool_in_use(&x.p.pool), 10);
  /* Default bound. */
  struct zn_fault f2;
  cfg.max_held = 0;
  zn_fault_init(&f2, &x.l.b.nif, &cfg);
  ZT_EQU(f2.cfg.max_held, 256);
  fx_fini(&x);
}

/* Purge (and close, which purges) frees every held frame both ways. */
ZT_TEST(test_purge) {
  struct zn_fault_cfg cfg = {
      .seed = 1, .dirs = ZN_FAULT_TX | ZN_FAULT_RX, .delay_ns = ZN_SEC(1)};
  struct fx x;
  ZT_REQUIRE(fx_init(&x, &cfg, 64) == 0);
  for (uint32_t i = 0; i < 5; i++) {
    ZT_EQ(zn_netif_send(&x.f.nif, nt_frame(&x.p, FLEN, i)), ZN_OK);
    ZT_EQ(zn_netif_send(&x.l.b.nif, nt_frame(&x.p, FLEN, i)), ZN_OK);
  }
  ZT_EQU(fx_drain_f(&x, NULL, 0), 0);
  ZT_EQU(x.f.nheld, 10);
  ZT_EQU(zn_pool_in_use(&x.p.pool), 10);
  zn_fault_purge(&x.f);
  ZT_EQU(x.f.nheld, 0);
  ZT_EQU(zn_pool_in_use(&x.p.pool), 0);
  ZT_EQU(zn_netif_next_deadline(&x.f.nif), ZN_TIME_NEVER);

  ZT_EQ(zn_netif_send(&x.f.nif, nt_frame(&x.p, FLEN, 1)), ZN_OK);
  zn_netif_close(&x.f.nif);
  ZT_EQU(zn_pool_in_use(&x.p.pool), 0);
  fx_fini(&x);
}

/* Everything that crossed, in order, as (tag, checksum of bytes). */
static uint32_t run_mix(uint64_t seed, uint64_t *trace, uint32_t max) {
  struct zn_fault_cfg cfg = {.seed = seed,
                             .dirs = ZN_FAULT_TX,
                             .loss_ppm = 200000,
                             .dup_ppm = 100000,
                             .corrupt_ppm = 100000,
                             .reorder_ppm = 200000,
                             .reorder_delay_ns = ZN_US(50),
                             .jitter_ns = ZN_US(20)};
  struct fx x;
  if (fx_init(&x, &cfg, 512))
    return 0;
  uint32_t n = 0;
  for (uint32_t i = 0; i < 1000; i++) {
    fx_set_now(&x, ZN_US(10) * i);
    ZT_EQ(zn_netif_send(&x.f.nif, nt_frame(&x.p, FLEN, i)), ZN_OK);
    struct zn_buf *b;
    while (zn_netif_recv(&x.l.b.nif, &b) == ZN_OK) {
      uint64_t h = 1469598103934665603u;
      for (uint32_t k = 0; k < b->len; k++)
        h = (h ^ b->data[k]) * 1099511628211u;
      if (n < max)
        trace[n] = h;
      n++;
      zn_buf_free(b);
    }
  }
  fx_fini(&x);
  return n;
}

ZT_TEST(test_determinism) {
  static uint64_t t1[2000], t2[2000], t3[2000];
  uint32_t n1 = run_mix(42, t1, 2000);
  uint32_t n2 = run_mix(42, t2, 2000);
  uint32_t n3 = run_mix(43, t3, 2000);
  ZT_CHECK(n1 > 500);
  ZT_EQU(n1, n2);
  ZT_CHECK(n1 <= 2000 && memcmp(t1, t2, n1 * sizeof(t1[0])) == 0);
  ZT_CHECK(n1 != n3 || memcmp(t1, t3, n1 * sizeof(t1[0])) != 0);
}

/*
 * A scripted inner netif with a clock, a wait that records its deadline,
 * a poll counter and an end of input.
 */
struct stub {
  struct zn_netif nif;
  struct zn_bufq q;
  int eof, polls;
  uint64_t clock, waited_for;
};

static int stub_recv(struct zn_netif *nif, struct zn_buf **out) {
  struct stub *s = (struct stub *)(void *)nif;
  struct zn_buf *b = zn_bufq_pop(&s->q);
  if (b == NULL)
    return s->eof ? ZN_EOF : ZN_EAGAIN;
  *out = b;
  return ZN_OK;
}

static int stub_send(struct zn_netif *nif, struct zn_buf *b) {
  (void)nif;
  zn_buf_free(b);
  return ZN_OK;
}

static int stub_wait(struct zn_netif *nif, uint64_t deadline) {
  ((struct stub *)(void *)nif)->waited_for = deadline;
  return ZN_OK;
}

static uint64_t stub_now(struct zn_netif *nif) {
  return ((struct stub *)(void *)nif)->clock;
}

static void stub_poll(struct zn_netif *nif) {
  ((struct stub *)(void *)nif)->polls++;
}

static const struct zn_netif_ops stub_ops = {
    .kind = "stub",
    .recv = stub_recv,
    .send = stub_send,
    .wait = stub_wait,
    .now = stub_now,
    .poll = stub_poll,
};

ZT_TEST(test_passthrough_and_eof) {
  struct nt_pool p;
  ZT_REQUIRE(nt_pool_init(&p, 8, ZN_BUF_SIZE) == ZN_OK);
  struct stub s;
  zn_netif_init(&s.nif, &stub_ops, 1400);
  s.nif.mac[5] = 9;
  s.nif.has_mac = true;
  zn_bufq_init(&s.q);
  s.eof = 0;
  s.polls = 0;
  s.clock = ZN_SEC(3);
  s.waited_for = 0;

  struct zn_fault_cfg cfg = {
      .seed = 1, .dirs = ZN_FAULT_RX, .delay_ns = ZN_MS(1)};
  struct zn_fault f;
  zn_fault_init(&f, &s.nif, &cfg);
  nt_attach(&f.nif, &p);
  ZT_EQU(f.nif.mtu, 1400);
  ZT_CHECK(f.nif.has_mac && f.nif.mac[5] == 9);
  ZT_STREQ(f.nif.ops->kind, "fault");
  ZT_EQU(zn_netif_now(&f.nif), ZN_SEC(3));
  /* The inner allocates through the outer hook. */
  struct zn_buf *b = zn_netif_alloc(&s.nif);
  ZT_REQUIRE(b && b->pool == &p.pool);
  zn_buf_put(b, 60);
  zn_bufq_push(&s.q, b);
  s.eof = 1;

  f.nif.now = ZN_SEC(3);
  f.nif.ops->poll(&f.nif);
  ZT_EQ(s.polls, 1);
  ZT_EQU(s.nif.now, ZN_SEC(3)); /* clock copied down */
  /* The frame is held: EOF must wait for it. */
  ZT_EQ(zn_netif_recv(&f.nif, &b), ZN_EAGAIN);
  ZT_EQU(zn_netif_next_deadline(&f.nif), ZN_SEC(3) + ZN_MS(1));
  ZT_EQ(zn_netif_wait(&f.nif, ZN_TIME_NEVER), ZN_OK);
  ZT_EQU(s.waited_for, ZN_SEC(3) + ZN_MS(1)); /* capped by the held frame */
  ZT_EQ(zn_netif_wait(&f.nif, ZN_SEC(3) + 5), ZN_OK);
  ZT_EQU(s.waited_for, ZN_SEC(3) + 5);
  f.nif.now = ZN_SEC(3) + ZN_MS(1);
  ZT_REQUIRE(zn_netif_recv(&f.nif, &b) == ZN_OK);
  zn_buf_free(b);
  ZT_EQ(zn_netif_recv(&f.nif, &b), ZN_EOF);

  /* Around a netif that cannot wait or tell time, neither can the
   * decorator. */
  struct zn_memlink l;
  zn_memlink_init(&l, 0, 0);
  zn_fault_init(&f, &l.a.nif, &cfg);
  ZT_CHECK(f.nif.ops->wait == NULL && f.nif.ops->now == NULL);
  ZT_CHECK(f.nif.ops->poll != NULL && f.nif.ops->next_deadline != NULL);
  nt_pool_fini(&p);
}

/*
 * Two stacks pinging across a link that loses, duplicates, corrupts,
 * delays and reorders in both directions: some replies come back, nothing
 * crashes, and once the injector is closed no buffer is left anywhere.
 */
static void on_echo(struct zn_stack *st, void *arg,
                    const struct zn_icmp_echo *r) {
  (void)st;
  (void)r;
  (*(int *)arg)++;
}

static void run_pair(struct zn_stack *a, struct zn_stack *b,
                     struct zn_memlink *l, uint64_t *now, uint64_t end) {
  for (int guard = 0; guard < 1000000; guard++) {
    zn_stack_poll(a, *now);
    zn_stack_poll(b, *now);
    if (l->a.rxq.count || l->b.rxq.count)
      continue;
    uint64_t next = zn_stack_next_deadline(a);
    uint64_t nb = zn_stack_next_deadline(b);
    if (nb < next)
      next = nb;
    if (next <= *now)
      next = *now + 1;
    if (next > end) {
      *now = end;
      return;
    }
    *now = next;
  }
  zt_fail(__FILE__, __LINE__, "run_pair did not settle");
}

ZT_TEST(test_stacks_over_faulty_link) {
  struct zn_config ca, cb;
  th_config(&ca, ZN_IPV4(10, 0, 0, 1), 24, 1);
  th_config(&cb, ZN_IPV4(10, 0, 0, 2), 24, 2);
  struct zn_stack *a = th_stack_new(&ca), *b = th_stack_new(&cb);
  ZT_REQUIRE(a && b);
  struct zn_memlink l;
  zn_memlink_init(&l, 0, 0);
  struct zn_fault_cfg fc = {.seed = 99,
                            .dirs = ZN_FAULT_RX | ZN_FAULT_TX,
                            .loss_ppm = 100000,
                            .dup_ppm = 50000,
                            .corrupt_ppm = 20000,
                            .reorder_ppm = 100000,
                            .delay_ns = ZN_MS(1),
                            .jitter_ns = ZN_US(500),
                            .reorder_delay_ns = ZN_MS(3)};
  struct zn_fault f;
  zn_fault_init(&f, &l.a.nif, &fc);
  ZT_REQUIRE(zn_stack_attach(a, &f.nif) == ZN_OK);
  ZT_REQUIRE(zn_stack_attach(b, &l.b.nif) == ZN_OK);
  int replies = 0;
  zn_icmp_set_echo_reply_cb(a, on_echo, &replies);
  uint64_t now = 0;
  for (uint16_t seq = 0; seq < 100; seq++) {
    (void)zn_icmp_echo_send(a, ZN_IPV4(10, 0, 0, 2), 1, seq, "hello", 5);
    run_pair(a, b, &l, &now, now + ZN_MS(20));
  }
  run_pair(a, b, &l, &now, now + ZN_SEC(1));
  printf("# %d replies to 100 pings; lost %llu dup %llu corrupt %llu "
         "reordered %llu\n",
         replies, (unsigned long long)f.stats.lost,
         (unsigned long long)f.stats.duplicated,
         (unsigned long long)f.stats.corrupted,
         (unsigned long long)f.stats.reordered);
  ZT_CHECK(replies > 40);
  ZT_CHECK(f.stats.lost > 0 && f.stats.duplicated > 0 &&
           f.stats.corrupted > 0 && f.stats.reordered > 0);
  zn_netif_close(&f.nif);
  zn_memlink_purge(&l);
  th_stack_free(a);
  th_stack_free(b);
}

/* An IP frame with the given ECN field: IPv4 (behind an 802.1Q tag if
 * vlan), or IPv6; tag in the 4 payload bytes after the IP header. */
static struct zn_buf *ip_frame(struct nt_pool *p, unsigned v, bool vlan,
                               uint8_t ecn, uint32_t tag) {
  static const uint8_t mac_a[6] = {2, 0, 0, 0, 0, 1},
                       mac_b[6] = {2, 0, 0, 0, 0, 2};
  struct zn_buf *b = zn_pool_alloc(&p->pool);
  if (b == NULL)
    return NULL;
  uint8_t *d = zn_buf_put(b, 18 + 40 + 4);
  size_t off =
      vlan ? zn_eth_emit_vlan(d, mac_b, mac_a, 7, ZN_ETHERTYPE_IPV4)
           : zn_eth_emit(d, mac_b, mac_a,
                         v == 6 ? ZN_ETHERTYPE_IPV6 : ZN_ETHERTYPE_IPV4);
  if (v == 6) {
    struct zn_ipv6_hdr h = {.tclass = (uint8_t)(0xb8 | ecn), .flow = 0x12345,
                            .plen = 4, .nxt = ZN_IPPROTO_UDP, .hlim = 64};
    off += zn_ipv6_emit(d + off, &h);
  } else {
    struct zn_ipv4_hdr h = {.tos = (uint8_t)(0xb8 | ecn), .ttl = 64,
                            .proto = ZN_IPPROTO_UDP, .tot_len = 24,
                            .src = ZN_IPV4(10, 0, 0, 1),
                            .dst = ZN_IPV4(10, 0, 0, 2)};
    off += zn_ipv4_emit(d + off, &h);
  }
  zn_wr32(d + off, tag);
  zn_buf_trim(b, off + 4);
  return b;
}

/* The ECN field of a frame ip_frame made, and (IPv4) its header checksum
 * checked. */
static uint8_t ecn_of(const struct zn_buf *b, unsigned v, bool vlan) {
  const uint8_t *ip = b->data + (vlan ? 18 : 14);
  if (v == 6)
    return (uint8_t)((ip[1] >> 4) & 3);
  struct zn_ipv4_view iv;
  ZT_EQ(zn_ipv4_view_init(&iv, ip, 24), ZN_OK);
  ZT_CHECK(zn_ipv4_csum_ok(&iv));
  ZT_EQ(ip[1] & 0xfc, 0xb8); /* DSCP untouched */
  return ip[1] & 3;
}

/* ce_ppm marks CE on ECN-capable packets only, IPv4 (its header checksum
 * kept right, behind a VLAN tag too) and IPv6 alike, in both directions;
 * Not-ECT packets and what is not IP pass untouched. */
ZT_TEST(test_ce_marks_ect_only) {
  struct zn_fault_cfg cfg = {
      .seed = 5, .dirs = ZN_FAULT_TX | ZN_FAULT_RX, .ce_ppm = 1000000};
  struct fx x;
  ZT_REQUIRE(fx_init(&x, &cfg, 16) == 0);
  static const struct {
    unsigned v;
    bool vlan;
    uint8_t ecn, want;
  } cases[] = {
      {4, false, ZN_IP_ECN_ECT0, ZN_IP_ECN_CE},
      {4, false, ZN_IP_ECN_ECT1, ZN_IP_ECN_CE},
      {4, false, ZN_IP_ECN_NOT_ECT, ZN_IP_ECN_NOT_ECT},
      {4, false, ZN_IP_ECN_CE, ZN_IP_ECN_CE},
      {4, true, ZN_IP_ECN_ECT0, ZN_IP_ECN_CE},
      {6, false, ZN_IP_ECN_ECT0, ZN_IP_ECN_CE},
      {6, false, ZN_IP_ECN_NOT_ECT, ZN_IP_ECN_NOT_ECT},
  };
  uint64_t marked = 0;
  for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    bool ect = cases[i].ecn == ZN_IP_ECN_ECT0 || cases[i].ecn == ZN_IP_ECN_ECT1;
    for (int rx = 0; rx < 2; rx++) {
      struct zn_buf *b =
          ip_frame(&x.p, cases[i].v, cases[i].vlan, cases[i].ecn, i);
      ZT_REQUIRE(b != NULL);
      ZT_EQ(zn_netif_send(rx ? &x.l.b.nif : &x.f.nif, b), ZN_OK);
      struct zn_netif *from = rx ? &x.f.nif : &x.l.b.nif;
      ZT_EQ(zn_netif_recv(from, &b), ZN_OK);
      ZT_EQ(ecn_of(b, cases[i].v, cases[i].vlan), cases[i].want);
      ZT_EQU(zn_rd32(b->data + b->len - 4), i);
      zn_buf_free(b);
      marked += ect ? 1u : 0u;
    }
  }
  ZT_EQU(x.f.stats.ce_marked, marked);
  /* Not IP at all: untouched. */
  ZT_EQ(zn_netif_send(&x.f.nif, nt_frame(&x.p, FLEN, 7)), ZN_OK);
  struct zn_buf *b;
  ZT_EQ(zn_netif_recv(&x.l.b.nif, &b), ZN_OK);
  ZT_CHECK(nt_frame_ok(b, FLEN, 7));
  zn_buf_free(b);
  ZT_EQU(x.f.stats.ce_marked, marked);
  fx_fini(&x);
  /* A share: 30% of 10000 ECT(0) packets, sd ~46. */
  cfg.ce_ppm = 300000;
  cfg.dirs = ZN_FAULT_TX;
  ZT_REQUIRE(fx_init(&x, &cfg, 16) == 0);
  uint32_t ce = 0;
  for (uint32_t i = 0; i < NFRAMES; i++) {
    ZT_EQ(zn_netif_send(&x.f.nif, ip_frame(&x.p, 4, false, ZN_IP_ECN_ECT0, i)),
          ZN_OK);
    ZT_EQ(zn_netif_recv(&x.l.b.nif, &b), ZN_OK);
    ce += ecn_of(b, 4, false) == ZN_IP_ECN_CE;
    zn_buf_free(b);
  }
  ZT_CHECK(ce > 2700 && ce < 3300);
  ZT_EQU(x.f.stats.ce_marked, ce);
  fx_fini(&x);
}

/* ---- burst loss (Gilbert-Elliott) and loss in one direction ---- */

#define BURST_FRAMES 100000u
#define BURST_HIST 64u

/* What a run of BURST_FRAMES through a bursty TX channel lost: the runs
 * of consecutive lost frames by length (the last bin: that long or
 * longer), their count and total, and a hash of the loss pattern. */
struct burst_runs {
  uint32_t hist[BURST_HIST];
  uint32_t runs, lost;
  uint64_t pattern;
  struct zn_fault_stats stats;
};

static void burst_run(const struct zn_fault_cfg *cfg, bool rx_between,
                      struct burst_runs *out) {
  memset(out, 0, sizeof(*out));
  out->pattern = 1469598103934665603u;
  struct fx x;
  if (fx_init(&x, cfg, 16))
    return;
  uint32_t run = 0;
  for (uint32_t i = 0; i <= BURST_FRAMES; i++) {
    bool lost = false;
    if (i < BURST_FRAMES) {
      ZT_EQ(zn_netif_send(&x.f.nif, nt_frame(&x.p, FLEN, i)), ZN_OK);
      lost = fx_drain_b(&x, NULL, 0) == 0;
      /* A received frame between sends, if asked: RX has a channel of
       * its own (and here no loss), so it must not move TX's. */
      if (rx_between) {
        ZT_EQ(zn_netif_send(&x.l.b.nif, nt_frame(&x.p, FLEN, i)), ZN_OK);
        ZT_EQU(fx_drain_f(&x, NULL, 0), 1);
      }
    }
    out->pattern = (out->pattern ^ (lost ? 1u : 2u)) * 1099511628211u;
    if (lost) {
      run++;
      out->lost++;
    } else if (run) {
      out->hist[run < BURST_HIST ? run : BURST_HIST - 1]++;
      out->runs++;
      run = 0;
    }
  }
  out->stats = x.f.stats;
  fx_fini(&x);
}

/* Bursts with every frame of the bad state lost and none of the good:
 * each bad spell is one run of losses, whose length is geometric with
 * mean 1e6 / burst_exit_ppm; a share enter / (enter + exit) is lost.
 * Means of 3 and 8 frames, from fixed seeds. */
ZT_TEST(test_burst_lengths_geometric) {
  static const struct {
    uint32_t enter, exit;
    double mean;
  } k[] = {{20000, 333333, 3.0}, {10000, 125000, 8.0}};
  for (size_t t = 0; t < sizeof(k) / sizeof(k[0]); t++) {
    struct zn_fault_cfg cfg = {.seed = 17 + t,
                               .dirs = ZN_FAULT_TX,
                               .burst_enter_ppm = k[t].enter,
                               .burst_exit_ppm = k[t].exit,
                               .burst_loss_ppm = 1000000};
    struct burst_runs r;
    burst_run(&cfg, false, &r);
    double q = 1.0 - k[t].exit / 1e6; /* P(a spell goes on) */
    double mean = (double)r.lost / r.runs;
    double ones = (double)r.hist[1] / r.runs;
    uint32_t longer = 0; /* runs longer than 2 * mean */
    for (uint32_t len = (uint32_t)(2 * k[t].mean) + 1; len < BURST_HIST; len++)
      longer += r.hist[len];
    double tail = 1.0;
    for (uint32_t len = 0; len < (uint32_t)(2 * k[t].mean); len++)
      tail *= q;
    double share = (double)r.lost / BURST_FRAMES;
    double want = k[t].enter / (double)(k[t].enter + k[t].exit);
    printf("# mean %.1f: %u runs, mean %.2f, length 1 %.3f (want %.3f), "
           "> %u %.3f (want %.3f), lost %.4f (want %.4f)\n",
           k[t].mean, r.runs, mean, ones, 1 - q, (unsigned)(2 * k[t].mean),
           (double)longer / r.runs, tail, share, want);
    /* Every spell is one run: the counters and the pattern agree. */
    ZT_EQU(r.stats.bursts, r.runs);
    ZT_EQU(r.stats.lost, r.lost);
    ZT_EQU(r.stats.burst_lost, r.lost);
    ZT_EQU(r.stats.lost_rx, 0);
    ZT_CHECK(r.runs > 500);
    /* Four standard deviations or so either way. */
    ZT_CHECK(mean > k[t].mean * 0.88 && mean < k[t].mean * 1.12);
    ZT_CHECK(ones > (1 - q) * 0.8 && ones < (1 - q) * 1.2);
    ZT_CHECK((double)longer / r.runs > tail * 0.7 &&
             (double)longer / r.runs < tail * 1.3);
    ZT_CHECK(share > want * 0.8 && share < want * 1.2);
    /* The same seed, the same losses. */
    struct burst_runs again;
    burst_run(&cfg, false, &again);
    ZT_EQU(again.pattern, r.pattern);
  }
}

/* The good state loses loss_ppm on its own; the bad state
 * burst_loss_ppm, not all. */
ZT_TEST(test_burst_partial_loss) {
  struct zn_fault_cfg cfg = {.seed = 5,
                             .dirs = ZN_FAULT_TX,
                             .loss_ppm = 10000,
                             .burst_enter_ppm = 10000,
                             .burst_exit_ppm = 100000,
                             .burst_loss_ppm = 500000};
  struct burst_runs r;
  burst_run(&cfg, false, &r);
  /* Bad share 1/11: 100000 / 11 * 0.5 = 4545 in bursts, 10000 / 11 * 10
   * * 0.01 = 909 in the good state. */
  uint64_t good_lost = r.stats.lost - r.stats.burst_lost;
  ZT_CHECK(r.stats.burst_lost > 3600 && r.stats.burst_lost < 5500);
  ZT_CHECK(good_lost > 700 && good_lost < 1150);
  ZT_EQU(r.stats.lost, r.lost);
}

/* The channel moves with frames: a spell that never ends by draw
 * (exit 0) is ended by its age, burst_max_ns, at the next frame. */
ZT_TEST(test_burst_max_age) {
  struct zn_fault_cfg cfg = {.seed = 1,
                             .dirs = ZN_FAULT_TX,
                             .burst_enter_ppm = 1000000,
                             .burst_loss_ppm = 1000000,
                             .burst_max_ns = ZN_MS(10)};
  struct fx x;
  ZT_REQUIRE(fx_init(&x, &cfg, 16) == 0);
  for (uint32_t i = 0; i < 100; i++) {
    fx_set_now(&x, ZN_MS(1) * i);
    ZT_EQ(zn_netif_send(&x.f.nif, nt_frame(&x.p, FLEN, i)), ZN_OK);
    /* Good at 0 ms, bad from the next frame on for 10 ms, good again
     * (and at once bad): every tenth frame passes. */
    ZT_EQU(fx_drain_b(&x, NULL, 0), i % 10 == 0 ? 1 : 0);
  }
  ZT_EQU(x.f.stats.bursts, 10);
  ZT_EQU(x.f.stats.burst_lost, 90);
  fx_fini(&x);
}

/* The two directions are separate channels: received frames neither
 * move the TX channel nor get lost when loss is TX's only. */
ZT_TEST(test_burst_channel_per_direction) {
  struct zn_fault_cfg cfg = {.seed = 23,
                             .dirs = ZN_FAULT_TX | ZN_FAULT_RX,
                             .loss_dirs = ZN_FAULT_TX,
                             .burst_enter_ppm = 20000,
                             .burst_exit_ppm = 250000,
                             .burst_loss_ppm = 1000000};
  struct burst_runs alone, mixed;
  burst_run(&cfg, false, &alone);
  burst_run(&cfg, true, &mixed); /* asserts every RX frame arrives */
  ZT_CHECK(alone.lost > 0);
  ZT_EQU(mixed.pattern, alone.pattern);
  ZT_EQU(mixed.stats.lost_rx, 0);
}

/* Loss in one direction while the other faults (here a delay) apply to
 * both: on a sender's netif, TX-only loses data and no ACK, RX-only the
 * reverse. */
ZT_TEST(test_loss_one_direction) {
  for (uint32_t lossdir = ZN_FAULT_RX; lossdir <= ZN_FAULT_TX; lossdir++) {
    struct zn_fault_cfg cfg = {.seed = 3,
                               .dirs = ZN_FAULT_TX | ZN_FAULT_RX,
                               .loss_dirs = lossdir,
                               .loss_ppm = 1000000,
                               .delay_ns = ZN_MS(1)};
    struct fx x;
    ZT_REQUIRE(fx_init(&x, &cfg, 64) == 0);
    fx_set_now(&x, 0);
    for (uint32_t i = 0; i < 20; i++) {
      ZT_EQ(zn_netif_send(&x.f.nif, nt_frame(&x.p, FLEN, i)), ZN_OK);
      ZT_EQ(zn_netif_send(&x.l.b.nif, nt_frame(&x.p, FLEN, 100 + i)), ZN_OK);
    }
    ZT_EQU(fx_drain_f(&x, NULL, 0), 0); /* RX held, or lost */
    fx_set_now(&x, ZN_MS(1));
    uint32_t tx = fx_drain_b(&x, NULL, 0), rx = fx_drain_f(&x, NULL, 0);
    ZT_EQU(tx, lossdir == ZN_FAULT_TX ? 0 : 20);
    ZT_EQU(rx, lossdir == ZN_FAULT_RX ? 0 : 20);
    ZT_EQU(x.f.stats.lost, 20);
    ZT_EQU(x.f.stats.lost_rx, lossdir == ZN_FAULT_RX ? 20 : 0);
    ZT_EQU(x.f.stats.delayed, 20); /* the delay still applies both ways */
    fx_fini(&x);
  }
  /* loss_dirs outside dirs loses nothing; 0 means all of dirs. */
  struct zn_fault_cfg cfg = {.seed = 3,
                             .dirs = ZN_FAULT_RX,
                             .loss_dirs = ZN_FAULT_TX,
                             .loss_ppm = 1000000};
  struct fx x;
  ZT_REQUIRE(fx_init(&x, &cfg, 16) == 0);
  ZT_EQU(x.f.cfg.loss_dirs, 0);
  ZT_EQ(zn_netif_send(&x.l.b.nif, nt_frame(&x.p, FLEN, 1)), ZN_OK);
  ZT_EQU(fx_drain_f(&x, NULL, 0), 1);
  fx_fini(&x);
  cfg.loss_dirs = 0;
  ZT_REQUIRE(fx_init(&x, &cfg, 16) == 0);
  ZT_EQU(x.f.cfg.loss_dirs, ZN_FAULT_RX);
  fx_fini(&x);
}

/* A constant delay appends at the tail; a reordered frame (held longer)
 * is walked into place, and what comes after it still appends: release
 * order is by time, arrival order among equals. */
ZT_TEST(test_hold_queue_tail) {
  struct zn_fault_cfg cfg = {.seed = 21,
                             .dirs = ZN_FAULT_TX,
                             .delay_ns = ZN_MS(1),
                             .reorder_ppm = 200000,
                             .reorder_delay_ns = ZN_US(35)};
  struct fx x;
  ZT_REQUIRE(fx_init(&x, &cfg, 256) == 0);
  for (uint32_t i = 0; i < 200; i++) {
    fx_set_now(&x, ZN_US(10) * (i / 2)); /* two frames per instant */
    ZT_EQ(zn_netif_send(&x.f.nif, nt_frame(&x.p, FLEN, i)), ZN_OK);
  }
  ZT_EQU(x.f.nheld, 200);
  uint32_t tags[200], n = 0;
  for (uint64_t t = 0; t <= ZN_MS(3) && n < 200; t += ZN_US(1)) {
    fx_set_now(&x, t);
    uint32_t got = fx_drain_b(&x, tags + n, 200 - n);
    /* Each frame leaves at its own release time (held 1 ms, or 35 us
     * more), those of one time in the order they came. */
    for (uint32_t k = n; k < n + got; k++) {
      uint64_t due = ZN_MS(1) + ZN_US(10) * (tags[k] / 2);
      ZT_CHECK(t == due || t == due + ZN_US(35));
      ZT_CHECK(k == n || tags[k] > tags[k - 1]);
    }
    n += got;
  }
  ZT_EQU(n, 200);
  ZT_CHECK(x.f.stats.reordered > 20);
  ZT_CHECK(x.f.held_tx.head == NULL && x.f.held_tx.tail == NULL);
  fx_fini(&x);
}

int main(void) {
  ZT_RUN(test_tx_loss);
  ZT_RUN(test_rx_loss);
  ZT_RUN(test_dirs);
  ZT_RUN(test_tx_dup);
  ZT_RUN(test_rx_dup);
  ZT_RUN(test_dup_with_delay);
  ZT_RUN(test_corrupt_one_bit);
  ZT_RUN(test_corrupt_shared_nobuf);
  ZT_RUN(test_tx_delay);
  ZT_RUN(test_rx_delay);
  ZT_RUN(test_jitter);
  ZT_RUN(test_reorder);
  ZT_RUN(test_max_held_overflow);
  ZT_RUN(test_purge);
  ZT_RUN(test_determinism);
  ZT_RUN(test_passthrough_and_eof);
  ZT_RUN(test_stacks_over_faulty_link);
  ZT_RUN(test_ce_marks_ect_only);
  ZT_RUN(test_burst_lengths_geometric);
  ZT_RUN(test_burst_partial_loss);
  ZT_RUN(test_burst_max_age);
  ZT_RUN(test_burst_channel_per_direction);
  ZT_RUN(test_loss_one_direction);
  ZT_RUN(test_hold_queue_tail);
  return zt_done();
}
