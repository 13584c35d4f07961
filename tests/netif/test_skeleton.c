/* Unit tests of netif/skeleton.c, the backend to copy: two stacks ping
 * each other over it, and every way a frame can be refused is counted.
 * The "device" is a ring of frames per direction, in the test. */
#include <string.h>

#include "harness.h"
#include "netif/skeleton.h"
#include "nif_test.h"

#define RING_SLOTS 8
#define SLOT_BYTES 4096

/* One direction of the test's wire: frames written by one device wait
 * here to be read by the other. */
struct ring {
  uint8_t frame[RING_SLOTS][SLOT_BYTES];
  size_t len[RING_SLOTS];
  unsigned head, count;
  int fail_reads;   /* read fails this many times first */
  int fail_writes;  /* write fails this many times first */
};

struct wire_end {
  struct ring *rx, *tx;
};

static enum skel_dev_result ring_read(void *dev, uint8_t *buf, size_t cap,
                                      size_t *len) {
  struct wire_end *e = dev;
  struct ring *r = e->rx;
  if (r->fail_reads > 0) {
    r->fail_reads--;
    return SKEL_DEV_FAIL;
  }
  if (r->count == 0)
    return SKEL_DEV_AGAIN;
  size_t n = r->len[r->head];
  memcpy(buf, r->frame[r->head], n < cap ? n : cap);
  *len = n; /* its true length, even when longer than cap */
  r->head = (r->head + 1) % RING_SLOTS;
  r->count--;
  return SKEL_DEV_OK;
}

static int ring_put(struct ring *r, const uint8_t *frame, size_t len) {
  if (r->count == RING_SLOTS || len > SLOT_BYTES)
    return -1;
  unsigned i = (r->head + r->count) % RING_SLOTS;
  memcpy(r->frame[i], frame, len);
  r->len[i] = len;
  r->count++;
  return 0;
}

static enum skel_dev_result ring_write(void *dev, const uint8_t *frame,
                                       size_t len) {
  struct wire_end *e = dev;
  if (e->tx->fail_writes > 0) {
    e->tx->fail_writes--;
    return SKEL_DEV_FAIL;
  }
  return ring_put(e->tx, frame, len) == 0 ? SKEL_DEV_OK : SKEL_DEV_AGAIN;
}

static struct ring ring_ab, ring_ba;
static struct wire_end end_a = {&ring_ba, &ring_ab};
static struct wire_end end_b = {&ring_ab, &ring_ba};

static void open_end(struct skel_netif *s, struct wire_end *e,
                     uint8_t mac_last) {
  struct skel_device d = {.read = ring_read, .write = ring_write, .dev = e};
  const uint8_t mac[6] = {2, 0, 0, 0, 0, mac_last};
  memcpy(d.mac, mac, 6);
  if (skel_netif_open(s, &d) != ZN_OK)
    zt_fail(__FILE__, __LINE__, "skel_netif_open");
}

static int replies;
static void on_reply(struct zn_stack *st, void *arg,
                     const struct zn_icmp_echo *r) {
  (void)st;
  (void)arg;
  (void)r;
  replies++;
}

ZT_TEST(test_two_stacks_ping) {
  memset(&ring_ab, 0, sizeof(ring_ab));
  memset(&ring_ba, 0, sizeof(ring_ba));
  struct skel_netif sa, sb;
  open_end(&sa, &end_a, 1);
  open_end(&sb, &end_b, 2);
  ZT_STREQ(sa.nif.ops->kind, "skeleton");
  struct zn_config ca, cb;
  th_config(&ca, ZN_IPV4(10, 0, 0, 1), 24, 1);
  th_config(&cb, ZN_IPV4(10, 0, 0, 2), 24, 2);
  struct zn_stack *a = th_stack_new(&ca), *b = th_stack_new(&cb);
  ZT_REQUIRE(a && b);
  zn_stack_attach(a, &sa.nif);
  zn_stack_attach(b, &sb.nif);
  replies = 0;
  zn_icmp_set_echo_reply_cb(a, on_reply, NULL);
  uint8_t data[1000];
  memset(data, 0x5a, sizeof(data));
  uint64_t now = 0;
  for (uint16_t seq = 1; seq <= 5; seq++) {
    ZT_EQ(zn_icmp_echo_send(a, ZN_IPV4(10, 0, 0, 2), 9, seq, data,
                            sizeof(data)),
          ZN_OK);
    for (int i = 0; i < 50 && replies < seq; i++) {
      zn_stack_poll(a, now);
      zn_stack_poll(b, now);
      now += ZN_MS(1);
    }
  }
  ZT_EQ(replies, 5);
  ZT_CHECK(sa.tx_frames >= 6 && sb.rx_frames >= 6); /* ARP + 5 requests */
  ZT_EQU(sa.rx_short + sa.rx_oversize + sa.rx_nobuf + sa.rx_errors, 0);
  zn_netif_close(&sa.nif);
  zn_netif_close(&sb.nif);
  th_stack_free(a);
  th_stack_free(b);
}

/* Runts and oversize frames are dropped, each counted once; a flood of
 * them gives up after a bounded scan; good frames behind them arrive. */
ZT_TEST(test_rx_drops_counted) {
  memset(&ring_ab, 0, sizeof(ring_ab));
  struct nt_pool p;
  ZT_REQUIRE(nt_pool_init(&p, 8, ZN_BUF_SIZE) == ZN_OK);
  struct skel_netif s;
  open_end(&s, &end_b, 2);
  nt_attach(&s.nif, &p);
  uint8_t f[3000];
  memset(f, 0xab, sizeof(f));
  ring_put(&ring_ab, f, 13);                     /* short */
  ring_put(&ring_ab, f, 1500 + 14 + 4 + 1);      /* over mtu + 18 */
  ring_put(&ring_ab, f, sizeof(f));              /* longer than a buffer */
  ring_put(&ring_ab, f, 60);                     /* good */
  struct zn_buf *b = NULL;
  ZT_REQUIRE(zn_netif_recv(&s.nif, &b) == ZN_OK);
  ZT_EQU(b->len, 60);
  ZT_EQU(zn_buf_headroom(b), ZN_BUF_HEADROOM); /* read in place */
  zn_buf_free(b);
  ZT_EQU(s.rx_short, 1);
  ZT_EQU(s.rx_oversize, 2);
  ZT_EQU(s.rx_frames, 1);
  ZT_EQ(zn_netif_recv(&s.nif, &b), ZN_EAGAIN);
  ZT_CHECK(s.spare != NULL); /* kept for the next read */
  ZT_EQU(zn_pool_in_use(&p.pool), 1);

  /* More runts than one call examines: EAGAIN, then the rest. */
  for (int round = 0; round < 3; round++) {
    memset(&ring_ab, 0, sizeof(ring_ab));
    for (int i = 0; i < RING_SLOTS; i++)
      ring_put(&ring_ab, f, 5);
    ZT_EQ(zn_netif_recv(&s.nif, &b), ZN_EAGAIN);
  }
  ZT_EQU(s.rx_short, 1 + 3 * RING_SLOTS);

  /* A failing device is an error, the buffer kept. */
  ring_ab.fail_reads = 1;
  ZT_EQ(zn_netif_recv(&s.nif, &b), ZN_EIO);
  ZT_EQU(s.rx_errors, 1);
  zn_netif_close(&s.nif);
  ZT_EQU(zn_pool_in_use(&p.pool), 0);

  /* No buffer from the stack: the frame stays in the device. */
  struct skel_netif t;
  open_end(&t, &end_b, 2);
  memset(&ring_ab, 0, sizeof(ring_ab));
  ring_put(&ring_ab, f, 60);
  ZT_EQ(zn_netif_recv(&t.nif, &b), ZN_EAGAIN); /* not attached: no pool */
  ZT_EQU(t.rx_nobuf, 1);
  ZT_EQU(ring_ab.count, 1);
  nt_pool_fini(&p);
}

/* send consumes its buffer whatever happens, and counts each failure. */
ZT_TEST(test_tx_consumes_and_counts) {
  memset(&ring_ab, 0, sizeof(ring_ab));
  struct nt_pool p;
  ZT_REQUIRE(nt_pool_init(&p, 16, ZN_BUF_SIZE) == ZN_OK);
  struct skel_netif s;
  open_end(&s, &end_a, 1);
  nt_attach(&s.nif, &p);
  for (uint32_t i = 0; i < RING_SLOTS; i++)
    ZT_EQ(zn_netif_send(&s.nif, nt_frame(&p, 100, i)), ZN_OK);
  ZT_EQ(zn_netif_send(&s.nif, nt_frame(&p, 100, 99)), ZN_ENOBUFS);
  ZT_EQU(s.tx_busy, 1);
  ZT_EQ(zn_netif_send(&s.nif, nt_frame(&p, 1519, 7)), ZN_EMSGSIZE);
  ZT_EQU(s.tx_oversize, 1);
  memset(&ring_ab, 0, sizeof(ring_ab));
  ring_ab.fail_writes = 1;
  ZT_EQ(zn_netif_send(&s.nif, nt_frame(&p, 100, 5)), ZN_EIO);
  ZT_EQU(s.tx_errors, 1);
  ZT_EQU(s.tx_frames, RING_SLOTS);
  ZT_EQU(zn_pool_in_use(&p.pool), 0);
  zn_netif_close(&s.nif);
  nt_pool_fini(&p);
}

ZT_TEST(test_open_checks) {
  struct skel_netif s;
  struct skel_device d = {.read = ring_read, .write = ring_write};
  ZT_EQ(skel_netif_open(&s, NULL), ZN_EINVAL);
  d.read = NULL;
  ZT_EQ(skel_netif_open(&s, &d), ZN_EINVAL);
  d.read = ring_read;
  d.mtu = ZN_DEFAULT_MTU + 1;
  ZT_EQ(skel_netif_open(&s, &d), ZN_EINVAL);
  d.mtu = 0;
  ZT_EQ(skel_netif_open(&s, &d), ZN_OK);
  ZT_EQU(s.nif.mtu, ZN_DEFAULT_MTU);
  ZT_CHECK(s.nif.has_mac);
  ZT_EQ(zn_netif_wait(&s.nif, 0), ZN_OK); /* no wait callback: returns */
}

int main(void) {
  ZT_RUN(test_two_stacks_ping);
  ZT_RUN(test_rx_drops_counted);
  ZT_RUN(test_tx_consumes_and_counts);
  ZT_RUN(test_open_checks);
  return zt_done();
}
