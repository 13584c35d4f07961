/*
 * Linux TAP backend.  One read(2) is one frame; the fd is non-blocking and
 * wait() sleeps in ppoll(2).  Frames are read straight into a pool buffer
 * at its headroom offset.  A buffer taken for a read that finds nothing is
 * kept as `spare` for the next one, so an idle poll allocates nothing.
 *
 * Offloads (unless ZN_TAP_NO_OFFLOAD): the device is opened with
 * IFF_VNET_HDR, so a struct virtio_net_hdr travels before every frame
 * both ways, and TUNSETOFFLOAD(TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6) lets
 * the kernel send us frames with the TCP/UDP checksum left undone (it
 * came from the host's own stack) and TCP frames, over IPv4 or IPv6, of
 * up to 64 KiB that stand for many segments.  Such a frame is read into a large buffer (the stack's
 * alloc_big) and delivered whole: the stack takes it as one segment.
 * With no large buffer free it is read into the bounce buffer and cut
 * here into ordinary segments, as the kernel would have.  On send, the
 * netif offers ZN_NETIF_CAP_TX_CSUM and ZN_NETIF_CAP_TSO: the kernel
 * completes checksums and takes up-to-64 KiB TCP frames in one write.
 */
#define _GNU_SOURCE /* ppoll */
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "znet/err.h"
#include "znet/loop.h"
#include "hosted_int.h"
#include "znet/tap.h"
#include "znet/wire.h"

#define ETH_HDR_LEN 14u
#define VNET_HDR_LEN sizeof(struct virtio_net_hdr)
/* The rest of a frame too large for a pool buffer, when no large buffer
 * is free: up to a 64 KiB datagram and its Ethernet header. */
#define BOUNCE_LEN (65536u + 64u)
/* Reads per recv call spent skipping unusable frames before giving up
 * with ZN_EAGAIN, so a flood of runts cannot hold one poll. */
#define TAP_RX_SCAN 16

static struct zn_tap *tap_of(struct zn_netif *nif) {
  return ZN_CONTAINER_OF(nif, struct zn_tap, nif);
}

/* Read and discard one frame (no buffer to put it in).  Returns the
 * read(2) result. */
static ssize_t discard_frame(int fd) {
  uint8_t scratch[64];
  return read(fd, scratch, sizeof(scratch));
}

/* Cut a TCP frame the kernel coalesced (GSO) into segments of mss payload
 * bytes in pool buffers, queued on t->rxq: the headers copied, the IP
 * length (IPv4: and ID and header checksum) and TCP sequence number fixed,
 * FIN and PSH kept for the last segment and CWR for the first (as the
 * kernel's own segmentation does).  The TCP checksums are not computed:
 * the kernel left them undone (VIRTIO_NET_HDR_F_NEEDS_CSUM), and the
 * segments are flagged checked.  Returns false if the frame is not such a
 * frame, over IPv6 if v6 (the GSO type the kernel gave), else IPv4. */
static bool split_gso(struct zn_tap *t, const uint8_t *f, size_t n,
                      uint16_t mss, bool v6) {
  size_t ipoff, l4;
  uint8_t proto;
  bool is6;
  if (!mss || !zn_eth_ip_locate(f, n, &ipoff, &l4, &proto, &is6) ||
      is6 != v6 || proto != ZN_IPPROTO_TCP || n < l4 + 20)
    return false;
  size_t tot = v6 ? ZN_IPV6_HDR_LEN + (size_t)zn_rd16(f + ipoff + 4)
                  : zn_rd16(f + ipoff + 2);
  size_t hdr = l4 + (size_t)(f[l4 + 12] >> 4) * 4;
  if (hdr < l4 + 20 || ipoff + tot > n || ipoff + tot <= hdr)
    return false;
  size_t pay = ipoff + tot - hdr;
  for (size_t off = 0, i = 0; off < pay; off += mss, i++) {
    size_t k = pay - off < mss ? pay - off : mss;
    struct zn_buf *s = zn_netif_alloc(&t->nif);
    if (s == NULL) {
      t->rx_nobuf++; /* the rest of the frame is lost; TCP resends it */
      break;
    }
    if (hdr + k > zn_buf_tailroom(s)) {
      zn_buf_free(s);
      return false;
    }
    zn_tcp_gso_segment(zn_buf_put(s, hdr + k), f, ipoff, l4, hdr, off, k, i,
                       off + k == pay);
    s->flags |= ZN_BUF_F_CSUM_OK;
    zn_bufq_push(&t->rxq, s);
  }
  return true;
}

/* One read with the virtio header: into b's tailroom, and on into a large
 * buffer (or the bounce buffer) for a frame that does not fit.  Returns
 * the frame's length (0: nothing usable, counted) or -1 with errno. */
static ssize_t read_vnet(struct zn_tap *t, struct zn_buf *b,
                         struct virtio_net_hdr *h, struct zn_buf **bigp) {
  size_t room = zn_buf_tailroom(b);
  struct zn_buf *big = t->spare_big;
  t->spare_big = NULL;
  if (big == NULL)
    big = zn_netif_alloc_big(&t->nif);
  uint8_t extra;
  struct iovec iov[4] = {
      {.iov_base = h, .iov_len = VNET_HDR_LEN},
      {.iov_base = zn_buf_tail(b), .iov_len = room},
      {.iov_base = t->bounce, .iov_len = BOUNCE_LEN},
      {.iov_base = &extra, .iov_len = 1},
  };
  size_t cap = room + BOUNCE_LEN;
  if (big && zn_buf_tailroom(big) > room) {
    /* The rest lands where it belongs once the first part is copied in
     * front of it. */
    iov[2].iov_base = zn_buf_tail(big) + room;
    iov[2].iov_len = zn_buf_tailroom(big) - room;
    cap = zn_buf_tailroom(big);
  }
  ssize_t n = readv(t->fd, iov, 4);
  if (n < 0) {
    t->spare_big = big;
    return -1;
  }
  size_t len = (size_t)n < VNET_HDR_LEN ? 0 : (size_t)n - VNET_HDR_LEN;
  if (len > cap) {
    t->rx_oversize++;
    t->spare_big = big;
    return 0;
  }
  if (len <= room || iov[2].iov_base == t->bounce) {
    t->spare_big = big;
    *bigp = NULL;
  } else {
    memcpy(zn_buf_tail(big), zn_buf_tail(b), room);
    *bigp = big;
  }
  return (ssize_t)len;
}

/* One read without the virtio header, into b's tailroom; one spare byte
 * past the buffer tells a frame that fills the tailroom exactly from one
 * that was cut.  Returns the frame's length (0: oversize, counted) or -1
 * with errno. */
static ssize_t read_plain(struct zn_tap *t, struct zn_buf *b) {
  size_t room = zn_buf_tailroom(b);
  uint8_t extra;
  struct iovec iov[2] = {
      {.iov_base = zn_buf_tail(b), .iov_len = room},
      {.iov_base = &extra, .iov_len = 1},
  };
  ssize_t n = readv(t->fd, iov, 2);
  if (n > 0 && (size_t)n > room) {
    t->rx_oversize++;
    n = 0;
  }
  return n;
}

/* Hand over the next segment cut from a coalesced frame, if any. */
static bool pop_rxq(struct zn_tap *t, struct zn_buf **out) {
  if (!t->rxq.count)
    return false;
  *out = zn_bufq_pop(&t->rxq);
  t->rx_frames++;
  return true;
}

/* What became of a frame read with a virtio header. */
enum vnet_verdict {
  VNET_TAKE,    /* deliver *bp (b, or the large buffer it filled) */
  VNET_CUT,     /* cut into segments on t->rxq (possibly none) */
  VNET_DROP,    /* dropped, counted */
};

/* A coalesced frame that landed in the bounce buffer (no large buffer was
 * free): made contiguous there, then cut into pool buffers. */
static enum vnet_verdict cut_bounced(struct zn_tap *t, struct zn_buf *b,
                                     const struct virtio_net_hdr *h,
                                     uint8_t gso, size_t len) {
  size_t room = zn_buf_tailroom(b);
  memmove(t->bounce + room, t->bounce, len - room);
  memcpy(t->bounce, zn_buf_tail(b), room);
  t->spare = b;
  if (gso == VIRTIO_NET_HDR_GSO_NONE ||
      !(h->flags & (VIRTIO_NET_HDR_F_NEEDS_CSUM | VIRTIO_NET_HDR_F_DATA_VALID)) ||
      !split_gso(t, t->bounce, len, h->gso_size,
                 gso == VIRTIO_NET_HDR_GSO_TCPV6)) {
    t->rx_gso_bad++;
    zn_bufq_purge(&t->rxq);
    return VNET_DROP;
  }
  t->rx_gso_split++;
  return VNET_CUT;
}

/* Apply the virtio header h to a frame of len bytes read into *bp (and on
 * into big when it did not fit).  On VNET_TAKE *bp and *flags say what to
 * deliver; otherwise every buffer is taken care of. */
static enum vnet_verdict vnet_frame(struct zn_tap *t, struct zn_buf **bp,
                                    struct zn_buf *big,
                                    const struct virtio_net_hdr *h,
                                    size_t len, uint16_t *flags) {
  struct zn_buf *b = *bp;
  uint8_t gso = h->gso_type & (uint8_t)~VIRTIO_NET_HDR_GSO_ECN;
  if (gso != VIRTIO_NET_HDR_GSO_NONE && gso != VIRTIO_NET_HDR_GSO_TCPV4 &&
      gso != VIRTIO_NET_HDR_GSO_TCPV6) {
    t->rx_gso_bad++; /* not asked for (TUNSETOFFLOAD) */
    t->spare = b;
    zn_buf_free(big);
    return VNET_DROP;
  }
  /* Partial: from the host's own stack, the checksum never computed;
   * valid: the kernel checked it. */
  if (h->flags & (VIRTIO_NET_HDR_F_NEEDS_CSUM | VIRTIO_NET_HDR_F_DATA_VALID))
    *flags = ZN_BUF_F_CSUM_OK;
  if (len <= zn_buf_tailroom(b))
    return VNET_TAKE;
  t->rx_gso++;
  if (big == NULL)
    return cut_bounced(t, b, h, gso, len);
  t->spare = b;
  *bp = big;
  return VNET_TAKE;
}

/* A buffer to read into: the one an unusable read left, or a new one. */
static struct zn_buf *rx_buffer(struct zn_tap *t) {
  struct zn_buf *b = t->spare;
  t->spare = NULL;
  return b != NULL ? b : zn_netif_alloc(&t->nif);
}

static int tap_recv(struct zn_netif *nif, struct zn_buf **out) {
  struct zn_tap *t = tap_of(nif);
  if (pop_rxq(t, out))
    return ZN_OK;
  for (int scan = 0; scan < TAP_RX_SCAN; scan++) {
    struct zn_buf *b = rx_buffer(t);
    if (b == NULL) {
      if (discard_frame(t->fd) < 0)
        return errno == EAGAIN || errno == EINTR ? ZN_EAGAIN : ZN_EIO;
      t->rx_nobuf++;
      continue;
    }
    struct virtio_net_hdr h;
    struct zn_buf *big = NULL;
    ssize_t n = t->vnet ? read_vnet(t, b, &h, &big) : read_plain(t, b);
    if (n < 0) {
      t->spare = b;
      if (errno == EAGAIN || errno == EINTR)
        return ZN_EAGAIN;
      t->rx_errors++;
      return ZN_EIO;
    }
    size_t len = (size_t)n;
    if (n == 0) { /* counted where it was cut */
      t->spare = b;
      continue;
    }
    if (len < ETH_HDR_LEN) {
      t->rx_short++;
      t->spare = b;
      zn_buf_free(big);
      continue;
    }
    uint16_t flags = 0;
    if (t->vnet) {
      enum vnet_verdict v = vnet_frame(t, &b, big, &h, len, &flags);
      if (v == VNET_DROP)
        continue;
      if (v == VNET_CUT) {
        if (pop_rxq(t, out))
          return ZN_OK;
        continue;
      }
    }
    b->len += (uint32_t)len;
    b->flags |= flags;
    t->rx_frames++;
    *out = b;
    return ZN_OK;
  }
  return ZN_EAGAIN;
}

/* The virtio header for a frame of ours: the checksum left to the kernel
 * (csum_start at the transport header, past any IPv6 extension headers,
 * csum_offset the field's place in it), and for a TSO frame the GSO type
 * of its IP version and the segment size.  Our own frames, so the
 * headers are well formed. */
static void vnet_hdr_for(struct zn_tap *t, const struct zn_buf *b,
                         struct virtio_net_hdr *h) {
  memset(h, 0, sizeof(*h));
  if (!(b->flags & ZN_BUF_F_CSUM_PARTIAL))
    return;
  /* The stack says where the transport header and its checksum field
   * are; nothing to parse. */
  const uint8_t *f = b->data;
  size_t l4 = b->len - b->csum_l4len;
  if (b->csum_l4len > b->len || l4 < ZN_ETH_HDR_LEN + ZN_IPV4_HDR_LEN ||
      b->csum_l4len < (size_t)b->csum_field + 2)
    return;
  h->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
  h->csum_start = (uint16_t)l4;
  h->csum_offset = b->csum_field;
  t->tx_csum++;
  if (b->gso_size && b->csum_field == 16 && b->len >= l4 + 20) {
    size_t type = zn_rd16(f + 12) == ZN_ETHERTYPE_VLAN ? 16 : 12;
    bool v6 = zn_rd16(f + type) == ZN_ETHERTYPE_IPV6;
    h->gso_type = v6 ? VIRTIO_NET_HDR_GSO_TCPV6 : VIRTIO_NET_HDR_GSO_TCPV4;
    h->gso_size = b->gso_size;
    h->hdr_len = (uint16_t)(l4 + (size_t)(f[l4 + 12] >> 4) * 4);
    t->tx_tso++;
  }
}

static int tap_send(struct zn_netif *nif, struct zn_buf *b) {
  struct zn_tap *t = tap_of(nif);
  ssize_t n;
  size_t want = b->len;
  if (t->vnet) {
    struct virtio_net_hdr h;
    vnet_hdr_for(t, b, &h);
    struct iovec iov[2] = {
        {.iov_base = &h, .iov_len = VNET_HDR_LEN},
        {.iov_base = b->data, .iov_len = b->len},
    };
    want += VNET_HDR_LEN;
    do {
      n = writev(t->fd, iov, 2);
    } while (n < 0 && errno == EINTR);
  } else {
    do {
      n = write(t->fd, b->data, b->len);
    } while (n < 0 && errno == EINTR);
  }
  int rc = ZN_OK;
  if (n < 0 || (size_t)n != want) {
    t->tx_errors++;
    rc = ZN_EIO;
  } else {
    t->tx_frames++;
  }
  zn_buf_free(b);
  return rc;
}

static int tap_wait(struct zn_netif *nif, uint64_t deadline) {
  struct zn_tap *t = tap_of(nif);
  struct pollfd pfd = {.fd = t->fd, .events = POLLIN};
  struct timespec ts, *tsp = NULL;
  if (deadline != ZN_TIME_NEVER) {
    uint64_t now = zn_host_now();
    uint64_t left = deadline > now ? deadline - now : 0;
    ts.tv_sec = (time_t)(left / 1000000000u);
    ts.tv_nsec = (long)(left % 1000000000u);
    tsp = &ts;
  }
  /* zn_loop_run blocks the stop signals outside this sleep. */
  int n = ppoll(&pfd, 1, tsp, zn__host_wait_mask);
  if (n < 0)
    return errno == EINTR ? ZN_OK : ZN_EIO;
  if (n > 0 && (pfd.revents & (POLLERR | POLLNVAL)))
    return ZN_EIO;
  return ZN_OK;
}

static uint64_t tap_now(struct zn_netif *nif) {
  (void)nif;
  return zn_host_now();
}

void zn_tap_offloads_off(struct zn_tap *t) {
  if (t->fd >= 0 && t->vnet)
    (void)ioctl(t->fd, TUNSETOFFLOAD, 0ul);
}

static void tap_close(struct zn_netif *nif) {
  struct zn_tap *t = tap_of(nif);
  zn_buf_free(t->spare);
  t->spare = NULL;
  zn_buf_free(t->spare_big);
  t->spare_big = NULL;
  zn_bufq_purge(&t->rxq);
  free(t->bounce);
  t->bounce = NULL;
  /* The device as we found it: a persistent one keeps the offloads we
   * asked for, and its next reader (solo5-spt, QEMU without vnet
   * headers) would be handed frames whose checksums are left undone. */
  zn_tap_offloads_off(t);
  if (t->fd >= 0)
    close(t->fd);
  t->fd = -1;
}

static const struct zn_netif_ops tap_ops = {
    .kind = "tap",
    .recv = tap_recv,
    .send = tap_send,
    .wait = tap_wait,
    .now = tap_now,
    .close = tap_close,
};

static int map_errno(int e) {
  switch (e) {
  case EPERM:
  case EACCES:
    return ZN_EPERM;
  case ENOENT:
  case ENODEV:
  case ENXIO:
    return ZN_ENODEV;
  case EINVAL:
    return ZN_EINVAL;
  case EBUSY:
    return ZN_EEXIST;
  default:
    return ZN_EIO;
  }
}

int zn_tap_open(struct zn_tap *t, const char *name, uint32_t mtu) {
  return zn_tap_open_flags(t, name, mtu, 0);
}

int zn_tap_open_flags(struct zn_tap *t, const char *name, uint32_t mtu,
                      uint32_t flags) {
  memset(t, 0, sizeof(*t));
  t->fd = -1;
  zn_bufq_init(&t->rxq);
  if (name == NULL || strlen(name) >= IFNAMSIZ ||
      strlen(name) >= sizeof(t->name))
    return ZN_EINVAL;
  int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0)
    return map_errno(errno);
  struct ifreq ifr;
  memset(&ifr, 0, sizeof(ifr));
  bool vnet = !(flags & ZN_TAP_NO_OFFLOAD);
  ifr.ifr_flags = (short)(IFF_TAP | IFF_NO_PI | (vnet ? IFF_VNET_HDR : 0) |
                          (flags & ZN_TAP_MULTI_QUEUE ? IFF_MULTI_QUEUE : 0));
  memcpy(ifr.ifr_name, name, strlen(name));
  if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
    int e = errno;
    close(fd);
    return map_errno(e);
  }
  if (vnet) {
    /* What we can take: checksums left undone, TCP frames (IPv4 and
     * IPv6) of up to 64 KiB.  Sending such needs nothing more than the
     * header. */
    t->bounce = malloc(BOUNCE_LEN);
    if (t->bounce == NULL ||
        ioctl(fd, TUNSETOFFLOAD,
              (unsigned long)(TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6)) < 0) {
      int e = t->bounce ? errno : ENOMEM;
      free(t->bounce);
      t->bounce = NULL;
      close(fd);
      return e == ENOMEM ? ZN_ENOMEM : map_errno(e);
    }
  } else {
    /* A persistent device keeps the offloads an earlier owner asked for,
     * and the kernel would go on sending what only a reader of virtio
     * headers can take. */
    (void)ioctl(fd, TUNSETOFFLOAD, 0ul);
  }
  zn_netif_init(&t->nif, &tap_ops, mtu);
  t->vnet = vnet;
  if (vnet)
    t->nif.caps = ZN_NETIF_CAP_TX_CSUM | ZN_NETIF_CAP_TSO;
  t->fd = fd;
  memcpy(t->name, ifr.ifr_name, sizeof(t->name) - 1);
  t->name[sizeof(t->name) - 1] = '\0';
  return ZN_OK;
}
