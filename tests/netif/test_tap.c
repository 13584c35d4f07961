/*
 * Unit tests of netif/tap.c.  Needs root and /dev/net/tun; skipped
 * otherwise.  The test moves itself into a fresh network namespace first
 * (when it can), so the TAP and its address never touch the host's
 * network; the device goes away when the fd is closed.
 */
#define _GNU_SOURCE /* unshare */
#include <fcntl.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "nif_test.h"
#include "znet/loop.h"
#include "znet/tap.h"

#define TAP_NAME "zntest0"

static const char *no_tap_reason;
static bool own_netns; /* the forwarding tests change sysctls: only here */

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
  else
    own_netns = true;
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

/* ---- IPv6 offloads, checked by the kernel forwarding between TAPs ----
 *
 * Frames of ours go into TAP "zntest0" (offloads on) from fd00:77::2 to
 * fd00:78::2, which Linux routes out of TAP "zntest1".  Opened without
 * offloads, zntest1 makes the kernel finish what we left to it exactly as
 * our virtio header said: complete a partial checksum at csum_start +
 * csum_offset, cut a TSO frame into gso_size segments.  Opened with
 * offloads, zntest1 gets the TSO frame as one coalesced TCP/IPv6 frame,
 * which the backend takes whole or cuts itself. */

#define TAP_B "zntest1"
static const uint8_t V6_SRC[16] = {0xfd, 0, 0, 0x77, [15] = 2};
static const uint8_t V6_DST[16] = {0xfd, 0, 0, 0x78, [15] = 2};
static const uint8_t MAC_US[6] = {0x02, 0, 0, 0, 0, 0x01};
enum { TSO_SEG = 1000, TSO_PAY = 2500 };

/* Ethernet to mac, IPv6 from V6_SRC to V6_DST carrying plen bytes behind
 * the fixed header, hop limit 64.  Returns 54. */
static size_t eth_ip6(uint8_t *f, const uint8_t mac[6], uint8_t nxt,
                      size_t plen) {
  zn_eth_emit(f, mac, MAC_US, ZN_ETHERTYPE_IPV6);
  struct zn_ipv6_hdr h = {.plen = (uint16_t)plen, .nxt = nxt, .hlim = 64};
  memcpy(h.src, V6_SRC, 16);
  memcpy(h.dst, V6_DST, 16);
  return 14 + zn_ipv6_emit(f + 14, &h);
}

/* UDP 7001 -> 7000 behind a destination options header (PadN), its
 * checksum left partial: csum_start must skip the extension header. */
static struct zn_buf *udp6_partial(struct nt_pool *p, const uint8_t mac[6]) {
  static const char msg[] = "hello over a partial checksum";
  size_t ulen = 8 + sizeof(msg);
  struct zn_buf *b = zn_pool_alloc(&p->pool);
  if (b == NULL)
    return NULL;
  uint8_t *f = zn_buf_put(b, 54 + 8 + ulen);
  size_t o = eth_ip6(f, mac, ZN_IPPROTO_DSTOPTS, 8 + ulen);
  memset(f + o, 0, 8);
  f[o] = ZN_IPPROTO_UDP;
  f[o + 2] = 1; /* PadN, 4 bytes of padding */
  f[o + 3] = 4;
  uint8_t *u = f + o + 8;
  uint32_t psum = zn_csum_pseudo6(V6_SRC, V6_DST, (uint32_t)ulen,
                                  ZN_IPPROTO_UDP);
  zn_wr16(u, 7001);
  zn_wr16(u + 2, 7000);
  zn_wr16(u + 4, (uint16_t)ulen);
  zn_wr16(u + 6, zn_csum_partial_psum(psum));
  memcpy(u + 8, msg, sizeof(msg));
  b->flags |= ZN_BUF_F_CSUM_PARTIAL;
  b->csum_l4len = (uint16_t)ulen; /* where the stack would mark it */
  b->csum_field = 6;
  return b;
}

/* A TSO frame: TCP 5000 -> 5001, seq 1000, ACK|PSH, TSO_PAY bytes in
 * segments of TSO_SEG, the checksum partial. */
static struct zn_buf *tcp6_tso(struct nt_pool *p, const uint8_t mac[6]) {
  struct zn_buf *b = zn_pool_alloc(&p->pool);
  uint8_t *f = b ? zn_buf_put(b, 54 + 20 + TSO_PAY) : NULL;
  if (f == NULL) {
    zn_buf_free(b);
    return NULL;
  }
  size_t o = eth_ip6(f, mac, ZN_IPPROTO_TCP, 20 + TSO_PAY);
  uint8_t *t = f + o;
  memset(t, 0, 20);
  zn_wr16(t, 5000);
  zn_wr16(t + 2, 5001);
  zn_wr32(t + 4, 1000);
  zn_wr32(t + 8, 1);
  t[12] = 5 << 4;
  t[13] = ZN_TCP_ACK | ZN_TCP_PSH;
  zn_wr16(t + 14, 65535);
  for (size_t i = 0; i < TSO_PAY; i++)
    t[20 + i] = (uint8_t)(i * 7 + 1);
  uint32_t psum = zn_csum_pseudo6(V6_SRC, V6_DST, 20 + TSO_PAY,
                                  ZN_IPPROTO_TCP);
  zn_wr16(t + 16, zn_csum_partial_psum(psum));
  b->flags |= ZN_BUF_F_CSUM_PARTIAL;
  b->csum_l4len = 20 + TSO_PAY;
  b->csum_field = 16;
  b->gso_size = TSO_SEG;
  return b;
}

/* What came out of zntest1 for V6_DST. */
struct fwd_seen {
  int udp_ok;        /* UDP with a right checksum and payload */
  int tcp_segs;      /* TCP frames */
  size_t tcp_bytes;  /* their payload, at the right sequence numbers */
  int tcp_bad;       /* TCP frames out of order, too large or wrong */
  int csum_partial;  /* frames whose checksum the kernel left to us */
};

/* The TCP payload of frame f (IPv6 at 14, TCP at 54) against what
 * tcp6_tso sent, and its checksum if the kernel computed it. */
static void seen_tcp(struct fwd_seen *w, const uint8_t *f, size_t len,
                     bool partial) {
  const uint8_t *t = f + 54;
  size_t tl = len - 54, k = tl - 20;
  uint32_t off = zn_rd32(t + 4) - 1000;
  bool ok = len >= 74 && zn_rd16(f + 18) == tl && off == w->tcp_bytes &&
            off + k <= TSO_PAY;
  for (size_t i = 0; ok && i < k; i++)
    ok = t[20 + i] == (uint8_t)((off + i) * 7 + 1);
  if (ok && !partial)
    ok = zn_csum_fold(zn_csum_add(zn_csum_pseudo6(V6_SRC, V6_DST,
                                                  (uint32_t)tl, ZN_IPPROTO_TCP),
                                  t, tl)) == 0;
  if (!ok) {
    w->tcp_bad++;
    return;
  }
  w->tcp_segs++;
  w->tcp_bytes += k;
}

static void seen_frame(struct fwd_seen *w, const struct zn_buf *b) {
  const uint8_t *f = b->data;
  if (b->len < 62 || zn_rd16(f + 12) != ZN_ETHERTYPE_IPV6 ||
      memcmp(f + 38, V6_DST, 16) != 0)
    return;
  bool partial = (b->flags & ZN_BUF_F_CSUM_OK) != 0;
  w->csum_partial += partial;
  if (f[20] == ZN_IPPROTO_TCP) {
    seen_tcp(w, f, b->len, partial);
  } else if (f[20] == ZN_IPPROTO_DSTOPTS && f[54] == ZN_IPPROTO_UDP &&
             b->len >= 70) {
    const uint8_t *u = f + 62;
    size_t ul = zn_rd16(u + 4);
    uint32_t ps = zn_csum_pseudo6(V6_SRC, V6_DST, (uint32_t)ul, ZN_IPPROTO_UDP);
    if (62 + ul <= b->len && memcmp(u + 8, "hello over", 10) == 0 &&
        (partial || zn_csum_fold(zn_csum_add(ps, u, ul)) == 0))
      w->udp_ok++;
  }
}

/* Send frames built by mk into A, read what B gives for 2 s or until
 * want TCP payload bytes and UDP datagrams have come. */
static void forward(struct zn_tap *a, struct zn_tap *b, struct zn_buf *f,
                    struct fwd_seen *w, size_t want_tcp, int want_udp) {
  ZT_REQUIRE(f);
  ZT_EQ(zn_netif_send(&a->nif, f), ZN_OK);
  uint64_t end = zn_host_now() + ZN_SEC(2);
  while ((w->tcp_bytes < want_tcp || w->udp_ok < want_udp) &&
         zn_host_now() < end) {
    ZT_EQ(zn_netif_wait(&b->nif, zn_host_now() + ZN_MS(20)), ZN_OK);
    struct zn_buf *r;
    while (zn_netif_recv(&b->nif, &r) == ZN_OK) {
      seen_frame(w, r);
      zn_buf_free(r);
    }
  }
}

/* The kernel's side: both TAPs up with an address each, B's peer known
 * (a permanent neighbour entry), forwarding on.  The TAP's MAC in mac. */
static bool fwd_setup(uint8_t mac[6]) {
  if (!own_netns)
    return false; /* never turn forwarding on in the caller's namespace */
  if (sh("sysctl -qw net.ipv6.conf.all.forwarding=1") != 0 ||
      sh("ip link set " TAP_NAME " up") != 0 ||
      sh("ip link set " TAP_B " up") != 0 ||
      sh("ip -6 addr add fd00:77::1/64 dev " TAP_NAME " nodad") != 0 ||
      sh("ip -6 addr add fd00:78::1/64 dev " TAP_B " nodad") != 0 ||
      sh("ip -6 neigh replace fd00:78::2 lladdr 02:00:00:00:00:02 "
         "nud permanent dev " TAP_B) != 0)
    return false;
  /* sysfs shows the namespace the test started in: ask the kernel. */
  struct ifreq ifr;
  memset(&ifr, 0, sizeof(ifr));
  memcpy(ifr.ifr_name, TAP_NAME, sizeof(TAP_NAME));
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  bool ok = fd >= 0 && ioctl(fd, SIOCGIFHWADDR, &ifr) == 0;
  if (fd >= 0)
    close(fd);
  if (ok)
    memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
  return ok;
}

/* B with offloads off: the kernel completes our partial UDP checksum past
 * a destination options header, and cuts our TCP/IPv6 TSO frame into
 * segments of gso_size with right checksums. */
ZT_TEST(test_tap_ipv6_offloads_sent) {
  if (no_tap_reason) {
    zt_skip(no_tap_reason);
    return;
  }
  struct nt_pool p;
  ZT_REQUIRE(nt_pool_init(&p, 32, 8192) == ZN_OK);
  struct zn_tap a, b;
  ZT_REQUIRE(zn_tap_open(&a, TAP_NAME, 0) == ZN_OK);
  ZT_REQUIRE(zn_tap_open_flags(&b, TAP_B, 0, ZN_TAP_NO_OFFLOAD) == ZN_OK);
  nt_attach(&a.nif, &p);
  nt_attach(&b.nif, &p);
  uint8_t mac[6];
  if (!fwd_setup(mac)) {
    zt_skip("cannot configure the TAPs with ip(8)");
  } else {
    struct fwd_seen w = {0};
    forward(&a, &b, udp6_partial(&p, mac), &w, 0, 1);
    ZT_EQ(w.udp_ok, 1);
    forward(&a, &b, tcp6_tso(&p, mac), &w, TSO_PAY, 1);
    ZT_EQU(w.tcp_bytes, TSO_PAY);
    ZT_EQ(w.tcp_segs, 3); /* 1000 + 1000 + 500 */
    ZT_EQ(w.tcp_bad, 0);
    ZT_EQ(w.csum_partial, 0);
    ZT_EQU(a.tx_csum, 2);
    ZT_EQU(a.tx_tso, 1);
    ZT_EQU(a.tx_errors, 0);
  }
  zn_netif_close(&a.nif);
  zn_netif_close(&b.nif);
  nt_pool_fini(&p);
}

static struct nt_pool *big_pool;
static struct zn_buf *big_hook(void *ctx) {
  (void)ctx;
  return zn_pool_alloc(&big_pool->pool);
}

/* B with offloads on: the TSO frame reaches it as one coalesced TCP/IPv6
 * frame (VIRTIO_NET_HDR_GSO_TCPV6), taken whole into a large buffer when
 * one is there, else cut into segments by the backend. */
static void ipv6_coalesced(bool big) {
  struct nt_pool p, pb;
  ZT_REQUIRE(nt_pool_init(&p, 32, 8192) == ZN_OK);
  ZT_REQUIRE(nt_pool_init(&pb, 4, 8192) == ZN_OK);
  struct zn_tap a, b;
  ZT_REQUIRE(zn_tap_open(&a, TAP_NAME, 0) == ZN_OK);
  ZT_REQUIRE(zn_tap_open(&b, TAP_B, 0) == ZN_OK);
  nt_attach(&a.nif, &p);
  struct nt_pool small;
  ZT_REQUIRE(nt_pool_init(&small, 32, ZN_BUF_SIZE) == ZN_OK);
  nt_attach(&b.nif, &small);
  big_pool = &pb;
  if (big)
    b.nif.alloc_big = big_hook;
  uint8_t mac[6];
  if (!fwd_setup(mac)) {
    zt_skip("cannot configure the TAPs with ip(8)");
  } else {
    struct fwd_seen w = {0};
    forward(&a, &b, tcp6_tso(&p, mac), &w, TSO_PAY, 0);
    ZT_EQU(w.tcp_bytes, TSO_PAY);
    ZT_EQ(w.tcp_segs, big ? 1 : 3);
    ZT_EQ(w.tcp_bad, 0);
    ZT_EQU(b.rx_gso, 1);
    ZT_EQU(b.rx_gso_split, big ? 0 : 1);
    ZT_EQU(b.rx_gso_bad, 0);
  }
  zn_netif_close(&a.nif);
  zn_netif_close(&b.nif);
  nt_pool_fini(&p);
  nt_pool_fini(&pb);
  nt_pool_fini(&small);
}

ZT_TEST(test_tap_ipv6_coalesced_taken_whole) {
  if (no_tap_reason) {
    zt_skip(no_tap_reason);
    return;
  }
  ipv6_coalesced(true);
}

ZT_TEST(test_tap_ipv6_coalesced_cut) {
  if (no_tap_reason) {
    zt_skip(no_tap_reason);
    return;
  }
  ipv6_coalesced(false);
}

/* An ethtool flag of a device (ETHTOOL_GTXCSUM, ETHTOOL_GTSO): 0 or 1,
 * -1 if it cannot be read. */
static int dev_flag(const char *name, uint32_t cmd) {
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0)
    return -1;
  struct ethtool_value ev = {.cmd = cmd};
  struct ifreq ifr;
  memset(&ifr, 0, sizeof(ifr));
  snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
  ifr.ifr_data = (char *)&ev;
  int r = ioctl(s, SIOCETHTOOL, &ifr);
  close(s);
  return r < 0 ? -1 : ev.data != 0;
}

/* A persistent device (ip tuntap add) is left without the offloads the
 * backend asked for: its next reader may read no virtio header. */
ZT_TEST(test_tap_persistent_offloads_restored) {
  if (no_tap_reason) {
    zt_skip(no_tap_reason);
    return;
  }
  if (sh("ip tuntap add dev zntestp mode tap") != 0) {
    zt_skip("cannot make a persistent TAP with ip(8)");
    return;
  }
  ZT_EQ(dev_flag("zntestp", ETHTOOL_GTSO), 0);
  struct nt_pool p;
  ZT_REQUIRE(nt_pool_init(&p, 16, ZN_BUF_SIZE) == ZN_OK);
  struct zn_tap t;
  ZT_REQUIRE(zn_tap_open(&t, "zntestp", 0) == ZN_OK);
  nt_attach(&t.nif, &p);
  ZT_EQ(dev_flag("zntestp", ETHTOOL_GTSO), 1);
  ZT_EQ(dev_flag("zntestp", ETHTOOL_GTXCSUM), 1);
  zn_netif_close(&t.nif);
  ZT_EQ(dev_flag("zntestp", ETHTOOL_GTSO), 0);
  ZT_EQ(dev_flag("zntestp", ETHTOOL_GTXCSUM), 0);
  nt_pool_fini(&p);
  (void)sh("ip link del zntestp");
}

int main(void) {
  probe();
  ZT_RUN(test_open_bad_args);
  ZT_RUN(test_open_unprivileged);
  ZT_RUN(test_open_errors);
  ZT_RUN(test_tap_io);
  ZT_RUN(test_tap_nobuf);
  ZT_RUN(test_tap_persistent_offloads_restored);
  ZT_RUN(test_tap_ipv6_offloads_sent);
  ZT_RUN(test_tap_ipv6_coalesced_taken_whole);
  ZT_RUN(test_tap_ipv6_coalesced_cut);
  return zt_done();
}
