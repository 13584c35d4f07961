/*
 * netif/solo5.c against a scripted, in-process fake of the Solo5 network
 * ABI (the calls of rt/solo5-abi/solo5.h): frames queued by the test, one
 * per solo5_net_read(), cut to the reader's buffer as the tenders' read(2)
 * cuts them, SOLO5_R_AGAIN when none is left; solo5_yield() records its
 * deadline and reports the ready set the test chose.  The fake refuses
 * what the ABI forbids (a read buffer under mtu + 14, a write over it), so
 * a backend that breaks the contract fails here.  The end-to-end tests
 * (solo5_e2e.sh) run the same backend over a TAP device.
 */
#include <solo5.h>
#include <stdlib.h>
#include <string.h>

#include "znet.h"
#include "znet/solo5.h"
#include "zt.h"

#define FAKE_MTU 1500u
#define MAXQ 512
#define FRAME_MAX 4096

/* ---- the fake ABI ------------------------------------------------------ */

static struct {
  bool acquired;
  uint8_t q[MAXQ][FRAME_MAX];
  size_t qlen[MAXQ];
  unsigned head, tail;
  unsigned reads, again_reads, bad_reads;
  solo5_result_t last_read;
  uint8_t sent[8][FRAME_MAX];
  size_t sent_len[8];
  unsigned nsent, bad_writes;
  unsigned yields;
  uint64_t yield_deadline;
  solo5_handle_set_t ready;       /* what the next yield reports */
  unsigned queued_at_first_yield; /* frames still queued then */
  uint64_t clock;
} fk;

static const uint8_t fake_mac[6] = {0x02, 0x00, 0x00, 0x00, 0x55, 0x05};

static void fake_reset(void) {
  memset(&fk, 0, sizeof(fk));
  fk.queued_at_first_yield = ~0u;
  fk.clock = ZN_SEC(1);
}

static void fake_queue(size_t len, uint8_t tag) {
  ZT_REQUIRE(fk.tail - fk.head < MAXQ && len <= FRAME_MAX);
  uint8_t *f = fk.q[fk.tail % MAXQ];
  memset(f, 0xff, 6);               /* broadcast */
  memcpy(f + 6, "\x02\x00\x00\x00\x00\x01", 6);
  f[12] = 0x88;                      /* an EtherType nobody handles */
  f[13] = 0xb5;
  for (size_t i = 14; i < len; i++)
    f[i] = (uint8_t)(tag + i);
  fk.qlen[fk.tail % MAXQ] = len;
  fk.tail++;
}

solo5_result_t solo5_net_acquire(const char *name, solo5_handle_t *handle,
                                 struct solo5_net_info *info) {
  if (strcmp(name, "service") != 0 || fk.acquired)
    return SOLO5_R_EINVAL;
  fk.acquired = true;
  *handle = 3; /* not 0, so the ready bit must be the handle's */
  memcpy(info->mac_address, fake_mac, 6);
  info->mtu = FAKE_MTU;
  return SOLO5_R_OK;
}

solo5_result_t solo5_net_read(solo5_handle_t handle, uint8_t *buf, size_t size,
                              size_t *read_size) {
  fk.reads++;
  if (handle != 3 || size < FAKE_MTU + SOLO5_NET_HLEN) {
    fk.bad_reads++;
    return fk.last_read = SOLO5_R_EINVAL;
  }
  if (fk.head == fk.tail) {
    fk.again_reads++;
    return fk.last_read = SOLO5_R_AGAIN;
  }
  size_t len = fk.qlen[fk.head % MAXQ];
  size_t n = len < size ? len : size;
  memcpy(buf, fk.q[fk.head % MAXQ], n);
  fk.head++;
  *read_size = n;
  return fk.last_read = SOLO5_R_OK;
}

solo5_result_t solo5_net_write(solo5_handle_t handle, const uint8_t *buf,
                               size_t size) {
  if (handle != 3 || size > FAKE_MTU + SOLO5_NET_HLEN) {
    fk.bad_writes++;
    return SOLO5_R_EINVAL;
  }
  if (fk.nsent < 8) {
    memcpy(fk.sent[fk.nsent], buf, size);
    fk.sent_len[fk.nsent] = size;
  }
  fk.nsent++;
  return SOLO5_R_OK;
}

void solo5_yield(solo5_time_t deadline, solo5_handle_set_t *ready_set) {
  if (fk.yields++ == 0)
    fk.queued_at_first_yield = fk.tail - fk.head;
  fk.yield_deadline = deadline;
  if (deadline != UINT64_MAX && deadline > fk.clock)
    fk.clock = deadline;
  if (ready_set)
    *ready_set = fk.ready;
}

solo5_time_t solo5_clock_monotonic(void) { return fk.clock; }

/* ---- a pool behind the alloc hook --------------------------------------- */

static struct zn_pool pool;
static void *pool_mem;

static struct zn_buf *alloc_hook(void *ctx) { return zn_pool_alloc(ctx); }

static void open_dev(struct zn_solo5 *s) {
  fake_reset();
  size_t len = zn_pool_mem_size(16, ZN_BUF_SIZE);
  pool_mem = malloc(len);
  ZT_REQUIRE(pool_mem != NULL);
  ZT_REQUIRE(zn_pool_init(&pool, pool_mem, len, 16, ZN_BUF_SIZE) == ZN_OK);
  ZT_REQUIRE(zn_solo5_open(s, "service") == ZN_OK);
  s->nif.alloc = alloc_hook;
  s->nif.alloc_ctx = &pool;
}

static void close_dev(struct zn_solo5 *s) {
  zn_netif_close(&s->nif);
  ZT_EQU(zn_pool_in_use(&pool), 0);
  free(pool_mem);
  pool_mem = NULL;
}

/* ---- tests -------------------------------------------------------------- */

ZT_TEST(test_open_takes_mac_and_mtu_once) {
  struct zn_solo5 s, again;
  open_dev(&s);
  ZT_STREQ(s.nif.ops->kind, "solo5");
  ZT_CHECK(s.nif.has_mac);
  ZT_MEMEQ(s.nif.mac, fake_mac, 6);
  ZT_EQU(s.nif.mtu, FAKE_MTU);
  ZT_EQ(zn_solo5_open(&again, "service"), ZN_ENODEV); /* acquired once */
  ZT_EQ(zn_solo5_open(&again, NULL), ZN_EINVAL);
  close_dev(&s);
  fake_reset();
  ZT_EQ(zn_solo5_open(&again, "other"), ZN_ENODEV);
}

ZT_TEST(test_recv_one_frame_per_call_into_headroom) {
  struct zn_solo5 s;
  open_dev(&s);
  fake_queue(60, 1);
  fake_queue(1514, 2);
  struct zn_buf *b = NULL;
  ZT_EQ(zn_netif_recv(&s.nif, &b), ZN_OK);
  ZT_EQU(b->len, 60);
  /* Read straight into the pool buffer, at the headroom offset. */
  ZT_CHECK(b->data == b->head + ZN_BUF_HEADROOM);
  ZT_MEMEQ(b->data, fk.q[0], 60);
  zn_buf_free(b);
  ZT_EQ(zn_netif_recv(&s.nif, &b), ZN_OK);
  ZT_EQU(b->len, 1514);
  ZT_MEMEQ(b->data, fk.q[1], 1514);
  zn_buf_free(b);
  ZT_EQU(fk.reads, 2);
  ZT_EQ(zn_netif_recv(&s.nif, &b), ZN_EAGAIN);
  ZT_EQU(fk.again_reads, 1);
  /* The buffer of the empty read is kept for the next one. */
  ZT_EQU(zn_pool_in_use(&pool), 1);
  ZT_EQ(zn_netif_recv(&s.nif, &b), ZN_EAGAIN);
  ZT_EQU(zn_pool_in_use(&pool), 1);
  ZT_EQU(fk.bad_reads, 0);
  ZT_EQU(s.rx_frames, 2);
  close_dev(&s);
}

ZT_TEST(test_recv_drops_cut_oversize_and_short_frames) {
  struct zn_solo5 s;
  open_dev(&s);
  fake_queue(3000, 1); /* cut to the buffer by the ABI */
  fake_queue(1519, 2); /* over mtu + 14 + a VLAN tag */
  fake_queue(10, 3);   /* shorter than an Ethernet header */
  fake_queue(1518, 4); /* full size with a VLAN tag: fine */
  struct zn_buf *b = NULL;
  ZT_EQ(zn_netif_recv(&s.nif, &b), ZN_OK);
  ZT_EQU(b->len, 1518);
  ZT_EQU(b->data[14], (uint8_t)(4 + 14));
  zn_buf_free(b);
  ZT_EQU(s.rx_oversize, 2);
  ZT_EQU(s.rx_short, 1);
  ZT_EQU(s.rx_frames, 1);
  ZT_EQU(fk.bad_reads, 0);
  close_dev(&s);
}

ZT_TEST(test_recv_without_buffer_leaves_frame_queued) {
  struct zn_solo5 s;
  open_dev(&s);
  fake_queue(60, 1);
  struct zn_buf *held[16];
  for (int i = 0; i < 16; i++)
    held[i] = zn_pool_alloc(&pool);
  struct zn_buf *b = NULL;
  ZT_EQ(zn_netif_recv(&s.nif, &b), ZN_EAGAIN);
  ZT_EQU(s.rx_nobuf, 1);
  ZT_EQU(fk.reads, 0);
  for (int i = 0; i < 16; i++)
    zn_buf_free(held[i]);
  ZT_EQ(zn_netif_recv(&s.nif, &b), ZN_OK);
  ZT_EQU(b->len, 60);
  zn_buf_free(b);
  close_dev(&s);
}

ZT_TEST(test_send_one_frame_per_call_within_mtu) {
  struct zn_solo5 s;
  open_dev(&s);
  struct zn_buf *b = zn_pool_alloc(&pool);
  uint8_t *p = zn_buf_put(b, 1514);
  for (int i = 0; i < 1514; i++)
    p[i] = (uint8_t)i;
  ZT_EQ(zn_netif_send(&s.nif, b), ZN_OK);
  ZT_EQU(fk.nsent, 1);
  ZT_EQU(fk.sent_len[0], 1514);
  ZT_EQU(fk.sent[0][1513], (uint8_t)1513);
  b = zn_pool_alloc(&pool);
  zn_buf_put(b, 1515);
  ZT_EQ(zn_netif_send(&s.nif, b), ZN_EMSGSIZE); /* consumed anyway */
  ZT_EQU(s.tx_oversize, 1);
  ZT_EQU(fk.bad_writes, 0);
  ZT_EQU(s.tx_frames, 1);
  close_dev(&s);
}

ZT_TEST(test_wait_yields_until_deadline_and_reads_ready_set) {
  struct zn_solo5 s;
  open_dev(&s);
  struct zn_buf *b = NULL;
  ZT_EQ(zn_netif_recv(&s.nif, &b), ZN_EAGAIN);
  s.nif.now = fk.clock;
  /* Nothing waiting: the netif has no deadline of its own. */
  ZT_EQU(zn_netif_next_deadline(&s.nif), ZN_TIME_NEVER);
  ZT_EQ(zn_netif_wait(&s.nif, ZN_SEC(5)), ZN_OK);
  ZT_EQU(fk.yield_deadline, ZN_SEC(5));
  ZT_EQU(s.wakeups, 0);
  ZT_EQU(zn_netif_next_deadline(&s.nif), ZN_TIME_NEVER);
  /* Another handle's bit is not ours. */
  fk.ready = 1u << 2;
  ZT_EQ(zn_netif_wait(&s.nif, ZN_SEC(6)), ZN_OK);
  ZT_EQU(zn_netif_next_deadline(&s.nif), ZN_TIME_NEVER);
  /* Our handle (3) ready: read now. */
  fk.ready = 1u << 3;
  ZT_EQ(zn_netif_wait(&s.nif, ZN_TIME_NEVER), ZN_OK);
  ZT_EQU(fk.yield_deadline, UINT64_MAX);
  ZT_EQU(s.wakeups, 1);
  ZT_EQU(zn_netif_next_deadline(&s.nif), s.nif.now);
  ZT_EQU(zn_netif_now(&s.nif), fk.clock);
  close_dev(&s);
}

/* zn_solo5_run drains the device (several polls of rx_budget frames)
 * before it sleeps, and sleeps until the stack's deadline. */
static int stop_after_yield(void *arg, struct zn_stack *st, uint64_t now) {
  (void)st;
  (void)now;
  unsigned *polls = arg;
  ++*polls;
  return fk.yields > 0;
}

ZT_TEST(test_run_drains_before_yield) {
  fake_reset();
  struct zn_config cfg;
  zn_config_default(&cfg);
  cfg.nbufs = 64;
  cfg.nbigbufs = 1;
  cfg.rx_budget = 16;
  cfg.ipv4_addr = ZN_IPV4(10, 0, 0, 2);
  cfg.ipv4_prefix = 24;
  cfg.arp_announce = false;
  size_t len = zn_stack_mem_size(&cfg);
  void *mem = malloc(len);
  struct zn_stack *st;
  ZT_REQUIRE(mem && zn_stack_create(&cfg, mem, len, &st) == ZN_OK);
  struct zn_solo5 s;
  ZT_REQUIRE(zn_solo5_open(&s, "service") == ZN_OK);
  ZT_REQUIRE(zn_stack_attach(st, &s.nif) == ZN_OK);
  for (int i = 0; i < 100; i++)
    fake_queue(64, (uint8_t)i);
  unsigned polls = 0;
  struct zn_solo5_run_opts ro = {.tick = stop_after_yield, .arg = &polls};
  ZT_EQ(zn_solo5_run(st, &s.nif, &ro), ZN_OK);
  /* 100 frames at 16 a poll: 7 polls, the last one ending in AGAIN, all
   * before the first sleep; then one poll after it. */
  ZT_EQU(fk.queued_at_first_yield, 0);
  ZT_EQU(s.rx_frames, 100);
  ZT_EQU(fk.yields, 1);
  ZT_EQU(polls, 8);
  ZT_EQU(fk.bad_reads, 0);
  /* Nothing scheduled (no ARP announcement, no sockets): sleep until a
   * frame. */
  ZT_EQU(fk.yield_deadline, UINT64_MAX);
  zn_netif_close(&s.nif);
  zn_stack_destroy(st);
  ZT_EQU(zn_stack_bufs_in_use(st), 0);
  free(mem);
}

int main(void) {
  ZT_RUN(test_open_takes_mac_and_mtu_once);
  ZT_RUN(test_recv_one_frame_per_call_into_headroom);
  ZT_RUN(test_recv_drops_cut_oversize_and_short_frames);
  ZT_RUN(test_recv_without_buffer_leaves_frame_queued);
  ZT_RUN(test_send_one_frame_per_call_within_mtu);
  ZT_RUN(test_wait_yields_until_deadline_and_reads_ready_set);
  ZT_RUN(test_run_drains_before_yield);
  return zt_done();
}
