/*
 * Unit tests of netif/tap.c.  Needs root and /dev/net/tun; skipped
 * otherwise.  The test moves itself into a fresh network namespace first
 * (when it can), so the TAP and its address never touch the host's
 * network; the device goes away when the fd is closed.
 */
#define _GNU_SOURCE /* unshare */
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <unistd.h>

#include "nif_test.h"
#include "znet/loop.h"
#include "znet/tap.h"

#define TAP_NAME "zntest0"

static const char *no_tap_reason;

static void probe(void) {
  if (geteuid() != 0) {
    no_tap_reason = "needs root (CAP_NET_ADMIN)";
    return;
  }
  if (access("/dev/net/tun", R_OK | W_OK) != 0) {
    no_tap_reason = "no /dev/net/tun";
    return;
  }
  if (unshare(CLONE_NEWNET) != 0)
    printf("# unshare(CLONE_NEWNET) failed; using the current namespace\n");
}

static int sh(const char *cmd) {
  int rc = system(cmd);
  if (rc != 0)
    printf("# '%s' exited %d\n", cmd, rc);
  return rc;
}

/* Errors that need no device at all. */
ZT_TEST(test_open_bad_args) {
  struct zn_tap t;
  ZT_EQ(zn_tap_open(&t, NULL, 0), ZN_EINVAL);
  ZT_EQ(t.fd, -1);
  ZT_EQ(zn_tap_open(&t, "a-name-much-too-long-for-ifnamsiz", 0), ZN_EINVAL);
  ZT_EQ(zn_tap_open(&t, "0123456789abcdef", 0), ZN_EINVAL); /* 16 chars */
  zn_netif_close(&t.nif); /* harmless after a failed open */
}

/* Without the privilege the open fails cleanly with the mapped error. */
ZT_TEST(test_open_unprivileged) {
  if (geteuid() == 0) {
    zt_skip("running as root");
    return;
  }
  struct zn_tap t;
  int rc = zn_tap_open(&t, TAP_NAME, 0);
  ZT_CHECK(rc == ZN_EPERM || rc == ZN_ENODEV);
  ZT_EQ(t.fd, -1);
}

ZT_TEST(test_open_errors) {
  if (no_tap_reason) {
    zt_skip(no_tap_reason);
    return;
  }
  struct zn_tap t, t2;
  ZT_EQ(zn_tap_open(&t, "bad/name", 0), ZN_EINVAL);
  ZT_EQ(zn_tap_open(&t, "lo", 0), ZN_EINVAL); /* exists, not a TAP */
  ZT_REQUIRE(zn_tap_open(&t, TAP_NAME, 0) == ZN_OK);
  ZT_EQ(zn_tap_open(&t2, TAP_NAME, 0), ZN_EEXIST); /* attached already */
  zn_netif_close(&t.nif);
  ZT_EQ(t.fd, -1);
  /* The kernel picks a name. */
  ZT_REQUIRE(zn_tap_open(&t, "", 0) == ZN_OK);
  ZT_CHECK(strncmp(t.name, "tap", 3) == 0);
  zn_netif_close(&t.nif);
}

static uint64_t elapsed_wait(struct zn_tap *t, uint64_t dur) {
  uint64_t t0 = zn_host_now();
  ZT_EQ(zn_netif_wait(&t->nif, t0 + dur), ZN_OK);
  return zn_host_now() - t0;
}

/* ARP request from 02:00:00:00:00:01 / 10.77.0.2 for 10.77.0.1. */
static struct zn_buf *arp_request(struct nt_pool *p) {
  static const uint8_t frame[42] = {
      0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0,    0,    0,    0,
      0x01, 0x08, 0x06, 0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01,
      0x02, 0,    0,    0,    0,    0x01, 10,   77,   0,    2,    0,
      0,    0,    0,    0,    0,    10,   77,   0,    1};
  struct zn_buf *b = zn_pool_alloc(&p->pool);
  if (b)
    memcpy(zn_buf_put(b, sizeof(frame)), frame, sizeof(frame));
  return b;
}

static int is_arp_reply(const struct zn_buf *b) {
  static const uint8_t ours[6] = {0x02, 0, 0, 0, 0, 0x01};
  return b->len >= 42 && memcmp(b->data, ours, 6) == 0 && b->data[12] == 0x08 &&
         b->data[13] == 0x06 && b->data[21] == 2 && b->data[28] == 10 &&
         b->data[29] == 77 && b->data[31] == 1;
}

ZT_TEST(test_tap_io) {
  if (no_tap_reason) {
    zt_skip(no_tap_reason);
    return;
  }
  struct nt_pool p;
  ZT_REQUIRE(nt_pool_init(&p, 16, ZN_BUF_SIZE) == ZN_OK);
  struct zn_tap t;
  ZT_REQUIRE(zn_tap_open(&t, TAP_NAME, 0) == ZN_OK);
  nt_attach(&t.nif, &p);
  ZT_STREQ(t.nif.ops->kind, "tap");
  ZT_STREQ(t.name, TAP_NAME);
  ZT_EQU(t.nif.mtu, ZN_DEFAULT_MTU);
  ZT_CHECK(!t.nif.has_mac);

  /* Nothing to read: EAGAIN, and the buffer is kept, not leaked. */
  struct zn_buf *b = NULL;
  ZT_EQ(zn_netif_recv(&t.nif, &b), ZN_EAGAIN);
  ZT_CHECK(b == NULL);
  ZT_CHECK(t.spare != NULL);
  ZT_EQU(zn_pool_in_use(&p.pool), 1);
  ZT_EQ(zn_netif_recv(&t.nif, &b), ZN_EAGAIN);
  ZT_EQU(zn_pool_in_use(&p.pool), 1); /* the same spare again */

  /* The clock is the host's monotonic clock. */
  uint64_t h0 = zn_host_now();
  uint64_t n0 = zn_netif_now(&t.nif);
  ZT_CHECK(n0 >= h0 && n0 - h0 < ZN_MS(100));

  /* wait honours its deadline (nothing arrives on a link that is down). */
  uint64_t e = elapsed_wait(&t, ZN_MS(30));
  ZT_CHECK(e >= ZN_MS(30) && e < ZN_MS(30) + ZN_MS(500));
  e = elapsed_wait(&t, 0);
  ZT_CHECK(e < ZN_MS(100));
  ZT_EQ(zn_netif_wait(&t.nif, 0), ZN_OK); /* a deadline long past */

  /* The kernel refuses frames while the link is down: an error, counted,
   * and the buffer is consumed all the same. */
  ZT_EQ(zn_netif_send(&t.nif, arp_request(&p)), ZN_EIO);
  ZT_EQU(t.tx_errors, 1);
  ZT_EQU(zn_pool_in_use(&p.pool), 1); /* just the spare */

  /* Bring the kernel side up with an address, and ask it for its MAC. */
  if (sh("ip link set " TAP_NAME " up") != 0 ||
      sh("ip addr add 10.77.0.1/24 dev " TAP_NAME) != 0) {
    zt_skip("cannot configure the TAP with ip(8)");
    zn_netif_close(&t.nif);
    nt_pool_fini(&p);
    return;
  }
  /* Sending can fail while the kernel finishes bringing the link up;
   * retry a few times. */
  int got_reply = 0;
  uint64_t end = zn_host_now() + ZN_SEC(5);
  uint64_t next_send = 0;
  while (!got_reply && zn_host_now() < end) {
    if (zn_host_now() >= next_send) {
      struct zn_buf *req = arp_request(&p);
      ZT_REQUIRE(req);
      (void)zn_netif_send(&t.nif, req);
      next_send = zn_host_now() + ZN_MS(200);
    }
    ZT_EQ(zn_netif_wait(&t.nif, zn_host_now() + ZN_MS(50)), ZN_OK);
    while (zn_netif_recv(&t.nif, &b) == ZN_OK) {
      ZT_CHECK(zn_buf_headroom(b) == ZN_BUF_HEADROOM);
      if (is_arp_reply(b))
        got_reply = 1;
      zn_buf_free(b);
    }
  }
  ZT_CHECK(got_reply);
  ZT_CHECK(t.tx_frames >= 1);
  ZT_CHECK(t.rx_frames >= 1);
  ZT_EQU(t.rx_errors, 0);

  zn_netif_close(&t.nif);
  ZT_CHECK(t.spare == NULL);
  ZT_EQ(t.fd, -1);
  nt_pool_fini(&p);
}

/* No buffer from the alloc hook: the frame is read and dropped (counted)
 * so a readable fd cannot make the caller spin. */
ZT_TEST(test_tap_nobuf) {
  if (no_tap_reason) {
    zt_skip(no_tap_reason);
    return;
  }
  struct nt_pool p;
  ZT_REQUIRE(nt_pool_init(&p, 4, ZN_BUF_SIZE) == ZN_OK);
  struct zn_tap t;
  ZT_REQUIRE(zn_tap_open(&t, TAP_NAME, 0) == ZN_OK);
  if (sh("ip link set " TAP_NAME " up") != 0 ||
      sh("ip addr add 10.77.0.1/24 dev " TAP_NAME) != 0) {
    zt_skip("cannot configure the TAP with ip(8)");
    zn_netif_close(&t.nif);
    nt_pool_fini(&p);
    return;
  }
  /* Ask for a reply but give the netif no buffers to put it in. */
  uint64_t end = zn_host_now() + ZN_SEC(5);
  while (t.rx_nobuf == 0 && zn_host_now() < end) {
    struct zn_buf *req = arp_request(&p);
    ZT_REQUIRE(req);
    (void)zn_netif_send(&t.nif, req);
    ZT_EQ(zn_netif_wait(&t.nif, zn_host_now() + ZN_MS(100)), ZN_OK);
    struct zn_buf *b;
    while (zn_netif_recv(&t.nif, &b) == ZN_OK)
      zn_buf_free(b);
  }
  ZT_CHECK(t.rx_nobuf > 0);
  ZT_EQU(t.rx_frames, 0);
  zn_netif_close(&t.nif);
  nt_pool_fini(&p);
}

int main(void) {
  probe();
  ZT_RUN(test_open_bad_args);
  ZT_RUN(test_open_unprivileged);
  ZT_RUN(test_open_errors);
  ZT_RUN(test_tap_io);
  ZT_RUN(test_tap_nobuf);
  return zt_done();
}
