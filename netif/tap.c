/*
 * Linux TAP backend.  One read(2) is one frame; the fd is non-blocking and
 * wait() sleeps in ppoll(2).  Frames are read straight into a pool buffer
 * at its headroom offset.  A buffer taken for a read that finds nothing is
 * kept as `spare` for the next one, so an idle poll allocates nothing.
 */
#define _GNU_SOURCE /* ppoll */
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "znet/err.h"
#include "znet/loop.h"
#include "host_int.h"
#include "znet/tap.h"

#define ETH_HDR_LEN 14u
/* Reads per recv call spent skipping unusable frames before giving up
 * with ZN_EAGAIN, so a flood of runts cannot hold one poll. */
#define TAP_RX_SCAN 16

static struct zn_tap *tap_of(struct zn_netif *nif) {
  return (struct zn_tap *)(void *)nif;
}

/* Read and discard one frame (no buffer to put it in).  Returns the
 * read(2) result. */
static ssize_t discard_frame(int fd) {
  uint8_t scratch[64];
  return read(fd, scratch, sizeof(scratch));
}

static int tap_recv(struct zn_netif *nif, struct zn_buf **out) {
  struct zn_tap *t = tap_of(nif);
  for (int scan = 0; scan < TAP_RX_SCAN; scan++) {
    struct zn_buf *b = t->spare;
    t->spare = NULL;
    if (b == NULL)
      b = zn_netif_alloc(nif);
    if (b == NULL) {
      ssize_t n = discard_frame(t->fd);
      if (n < 0)
        return errno == EAGAIN || errno == EINTR ? ZN_EAGAIN : ZN_EIO;
      t->rx_nobuf++;
      continue;
    }
    /* One spare byte past the buffer tells a frame that fills the
     * tailroom exactly from one that was cut. */
    uint8_t extra;
    size_t room = zn_buf_tailroom(b);
    struct iovec iov[2] = {
        {.iov_base = zn_buf_tail(b), .iov_len = room},
        {.iov_base = &extra, .iov_len = 1},
    };
    ssize_t n = readv(t->fd, iov, 2);
    if (n < 0) {
      t->spare = b;
      if (errno == EAGAIN || errno == EINTR)
        return ZN_EAGAIN;
      t->rx_errors++;
      return ZN_EIO;
    }
    if ((size_t)n > room) {
      t->rx_oversize++;
      t->spare = b;
      continue;
    }
    if ((size_t)n < ETH_HDR_LEN) {
      t->rx_short++;
      t->spare = b;
      continue;
    }
    b->len += (uint32_t)n;
    t->rx_frames++;
    *out = b;
    return ZN_OK;
  }
  return ZN_EAGAIN;
}

static int tap_send(struct zn_netif *nif, struct zn_buf *b) {
  struct zn_tap *t = tap_of(nif);
  ssize_t n;
  do {
    n = write(t->fd, b->data, b->len);
  } while (n < 0 && errno == EINTR);
  int rc = ZN_OK;
  if (n < 0 || (size_t)n != b->len) {
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

static void tap_close(struct zn_netif *nif) {
  struct zn_tap *t = tap_of(nif);
  zn_buf_free(t->spare);
  t->spare = NULL;
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
  memset(t, 0, sizeof(*t));
  t->fd = -1;
  if (name == NULL || strlen(name) >= IFNAMSIZ ||
      strlen(name) >= sizeof(t->name))
    return ZN_EINVAL;
  int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0)
    return map_errno(errno);
  struct ifreq ifr;
  memset(&ifr, 0, sizeof(ifr));
  ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
  memcpy(ifr.ifr_name, name, strlen(name));
  if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
    int e = errno;
    close(fd);
    return map_errno(e);
  }
  zn_netif_init(&t->nif, &tap_ops, mtu);
  t->fd = fd;
  memcpy(t->name, ifr.ifr_name, sizeof(t->name) - 1);
  t->name[sizeof(t->name) - 1] = '\0';
  return ZN_OK;
}
