/*
 * Capture decorator: every frame that crosses the wrapped netif is written
 * to a pcap file (smoltcp phy/pcap_writer.rs).  The file is classic pcap
 * with the nanosecond magic in host byte order, which every reader
 * swaps as needed; stdio only, no libpcap.
 */
#include <stdio.h>
#include <string.h>

#include "znet/capture.h"
#include "znet/err.h"

#define PCAP_MAGIC_NSEC 0xa1b23c4du
#define PCAP_SNAPLEN 262144u
#define LINKTYPE_ETHERNET 1u

struct pcap_file_hdr {
  uint32_t magic;
  uint16_t version_major, version_minor;
  int32_t thiszone;
  uint32_t sigfigs;
  uint32_t snaplen;
  uint32_t linktype;
};

struct pcap_rec_hdr {
  uint32_t ts_sec, ts_nsec, incl_len, orig_len;
};

static struct zn_capture *cap_of(struct zn_netif *nif) {
  return ZN_CONTAINER_OF(nif, struct zn_capture, nif);
}

/* One record for b at the netif's current time.  A failed write is
 * counted; the frame itself flows on regardless. */
static void write_frame(struct zn_capture *c, const struct zn_buf *b) {
  FILE *fp = c->fp;
  if (fp == NULL) {
    c->errors++;
    return;
  }
  uint64_t t = c->nif.now;
  uint32_t incl = b->len < PCAP_SNAPLEN ? b->len : PCAP_SNAPLEN;
  struct pcap_rec_hdr h = {
      .ts_sec = (uint32_t)(t / 1000000000u),
      .ts_nsec = (uint32_t)(t % 1000000000u),
      .incl_len = incl,
      .orig_len = b->len,
  };
  if (fwrite(&h, sizeof(h), 1, fp) != 1 ||
      /* cppcheck-suppress knownConditionTrueFalse ; b->len may be 0 */
      (incl && fwrite(b->data, incl, 1, fp) != 1)) {
    c->errors++;
    return;
  }
  c->frames++;
}

static int cap_recv(struct zn_netif *nif, struct zn_buf **out) {
  struct zn_capture *c = cap_of(nif);
  c->inner->now = nif->now;
  int rc = zn_netif_recv(c->inner, out);
  if (rc == ZN_OK)
    write_frame(c, *out);
  return rc;
}

static int cap_send(struct zn_netif *nif, struct zn_buf *b) {
  struct zn_capture *c = cap_of(nif);
  c->inner->now = nif->now;
  write_frame(c, b);
  return zn_netif_send(c->inner, b);
}

static int cap_wait(struct zn_netif *nif, uint64_t deadline) {
  return zn_netif_wait(cap_of(nif)->inner, deadline);
}

static uint64_t cap_now(struct zn_netif *nif) {
  return zn_netif_now(cap_of(nif)->inner);
}

static uint64_t cap_next_deadline(struct zn_netif *nif) {
  return zn_netif_next_deadline(cap_of(nif)->inner);
}

static void cap_poll(struct zn_netif *nif) {
  struct zn_capture *c = cap_of(nif);
  c->inner->now = nif->now;
  if (c->inner->ops->poll)
    c->inner->ops->poll(c->inner);
}

static void cap_close(struct zn_netif *nif) {
  struct zn_capture *c = cap_of(nif);
  FILE *fp = c->fp;
  if (fp == NULL)
    return;
  if (fflush(fp) != 0)
    c->errors++;
  if (fclose(fp) != 0)
    c->errors++;
  c->fp = NULL;
}

/* The decorator waits and tells time only if inner does, so a driver can
 * tell a netif that sleeps from one that does not (zn_loop_run() naps on
 * the host clock for the latter instead of spinning). */
#define CAP_OPS(wait_fn, now_fn)                                               \
  {                                                                            \
    .kind = "capture", .recv = cap_recv, .send = cap_send, .wait = (wait_fn),  \
    .now = (now_fn), .next_deadline = cap_next_deadline, .poll = cap_poll,     \
    .close = cap_close,                                                        \
  }

static const struct zn_netif_ops cap_ops[4] = {
    CAP_OPS(NULL, NULL),
    CAP_OPS(cap_wait, NULL),
    CAP_OPS(NULL, cap_now),
    CAP_OPS(cap_wait, cap_now),
};

static const struct zn_netif_ops *cap_ops_for(const struct zn_netif *inner) {
  return &cap_ops[(inner->ops->wait ? 1 : 0) | (inner->ops->now ? 2 : 0)];
}

int zn_capture_open(struct zn_capture *c, struct zn_netif *inner,
                    const char *path) {
  memset(c, 0, sizeof(*c));
  if (inner == NULL || path == NULL)
    return ZN_EINVAL;
  FILE *fp = fopen(path, "wb");
  if (fp == NULL)
    return ZN_EIO;
  struct pcap_file_hdr h = {
      .magic = PCAP_MAGIC_NSEC,
      .version_major = 2,
      .version_minor = 4,
      .snaplen = PCAP_SNAPLEN,
      .linktype = LINKTYPE_ETHERNET,
  };
  if (fwrite(&h, sizeof(h), 1, fp) != 1) {
    (void)fclose(fp); /* already failing: ZN_EIO says it */
    return ZN_EIO;
  }
  zn_netif_init(&c->nif, cap_ops_for(inner), inner->mtu);
  zn_netif_wrap(&c->nif, inner);
  c->inner = inner;
  c->fp = fp;
  return ZN_OK;
}
