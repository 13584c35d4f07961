/*
 * The replies of libznet-rt's NETLINK_ROUTE sockets (rt/nlmsg.c), built
 * from the bytes a program sends.  Input: the interface the image
 * reports (whether it has one, its MTU, IPv4 address and prefix, up to
 * ZRT_NET_ADDR6_MAX IPv6 addresses), the output's room, and the
 * request bytes.  Checks: the replies stay inside the room given, or
 * nothing is written past what was there (a reply that does not fit is
 * refused whole); every reply is a whole message, aligned, whose
 * attributes lie inside it; its type is one a dump or a refusal gives;
 * its sequence number is one of a request's, its port the one given;
 * each answered request ends with NLMSG_DONE or NLMSG_ERROR; and the
 * same input gives the same bytes twice.
 */
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <string.h>

#include "../rt/nlmsg.h"
#include "fuzz_util.h"

#define OUT_MAX 16384
#define PORT 1

static uint8_t out1[OUT_MAX + 64], out2[OUT_MAX + 64];

static void make_nic(struct fz_in *in, struct zrt_net_iface *nic) {
  memset(nic, 0, sizeof(*nic));
  nic->present = fz_u8(in) & 1;
  for (int i = 0; i < 6; i++)
    nic->mac[i] = fz_u8(in);
  nic->mtu = fz_u16(in);
  nic->ipv4 = fz_u32(in);
  nic->prefix4 = fz_u8(in);
  nic->n6 = fz_u8(in) % (ZRT_NET_ADDR6_MAX + 1);
  for (uint32_t i = 0; i < nic->n6; i++) {
    for (int k = 0; k < 16; k++)
      nic->v6[i].addr[k] = fz_u8(in);
    nic->v6[i].prefix = fz_u8(in);
    uint8_t f = fz_u8(in);
    nic->v6[i].tentative = f & 1;
    nic->v6[i].deprecated = (f >> 1) & 1;
    nic->v6[i].permanent = (f >> 2) & 1;
  }
}

/* Is seq the sequence number of a message among the request's? */
static bool requested(const uint8_t *req, size_t n, uint32_t seq) {
  size_t off = 0;
  while (n - off >= sizeof(struct nlmsghdr)) {
    struct nlmsghdr h;
    memcpy(&h, req + off, sizeof(h));
    if (h.nlmsg_len < sizeof(h) || h.nlmsg_len > n - off)
      return false;
    if (h.nlmsg_seq == seq)
      return true;
    size_t step = NLMSG_ALIGN(h.nlmsg_len);
    off += step < n - off ? step : n - off;
  }
  return false;
}

static void check_attrs(const uint8_t *p, size_t len) {
  size_t off = 0;
  while (off < len) {
    struct rtattr a;
    FZ_CHECK(len - off >= sizeof(a));
    memcpy(&a, p + off, sizeof(a));
    FZ_CHECK(a.rta_len >= sizeof(a) && a.rta_len <= len - off);
    off += RTA_ALIGN(a.rta_len);
  }
  FZ_CHECK(off == len);
}

/* A dump's message: its fixed part (fixed bytes), then attributes. */
static void check_body(const uint8_t *p, size_t body, size_t fixed) {
  FZ_CHECK(body >= NLMSG_ALIGN(fixed));
  check_attrs(p + NLMSG_ALIGN(fixed), body - NLMSG_ALIGN(fixed));
}

static void check_replies(const uint8_t *out, size_t from, size_t len,
                          const uint8_t *req, size_t n) {
  size_t off = from;
  bool open = false; /* a dump begun and not ended */
  while (off < len) {
    struct nlmsghdr h;
    FZ_CHECK(len - off >= sizeof(h));
    memcpy(&h, out + off, sizeof(h));
    FZ_CHECK(h.nlmsg_len >= sizeof(h) && h.nlmsg_len <= len - off);
    FZ_CHECK(NLMSG_ALIGN(h.nlmsg_len) <= len - off);
    FZ_CHECK(h.nlmsg_pid == PORT);
    FZ_CHECK(requested(req, n, h.nlmsg_seq));
    size_t body = h.nlmsg_len - NLMSG_HDRLEN;
    const uint8_t *p = out + off + NLMSG_HDRLEN;
    switch (h.nlmsg_type) {
    case RTM_NEWLINK:
      check_body(p, body, sizeof(struct ifinfomsg));
      open = true;
      break;
    case RTM_NEWADDR:
      check_body(p, body, sizeof(struct ifaddrmsg));
      open = true;
      break;
    case NLMSG_DONE:
      FZ_CHECK(body == sizeof(int32_t));
      open = false;
      break;
    case NLMSG_ERROR:
      FZ_CHECK(!open && body == sizeof(struct nlmsgerr));
      break;
    default:
      FZ_CHECK(false);
    }
    off += NLMSG_ALIGN(h.nlmsg_len);
  }
  FZ_CHECK(off == len && !open);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct fz_in in;
  fz_in_init(&in, data, size);
  struct zrt_net_iface nic;
  make_nic(&in, &nic);
  size_t cap = fz_u16(&in) % (OUT_MAX + 1);
  size_t before = fz_u8(&in) * 4u; /* replies already queued */
  if (before > cap)
    before = cap;
  const uint8_t *req;
  size_t n = fz_bytes(&in, fz_left(&in), &req);
  memset(out1, 0xa5, sizeof(out1));
  memset(out2, 0xa5, sizeof(out2));
  size_t len1 = before, len2 = before;
  bool ok1 = zrt_nl_answer(req, n, &nic, PORT, out1, cap, &len1);
  bool ok2 = zrt_nl_answer(req, n, &nic, PORT, out2, cap, &len2);
  FZ_CHECK(ok1 == ok2 && len1 == len2);
  FZ_CHECK(memcmp(out1, out2, sizeof(out1)) == 0);
  for (size_t i = cap; i < sizeof(out1); i++)
    FZ_CHECK(out1[i] == 0xa5); /* nothing past the room */
  if (!ok1) {
    FZ_CHECK(len1 == before);
    return 0;
  }
  FZ_CHECK(len1 >= before && len1 <= cap);
  for (size_t i = len1; i < cap; i++)
    FZ_CHECK(out1[i] == 0xa5); /* nothing written past the replies */
  check_replies(out1, before, len1, req, n);
  return 0;
}
