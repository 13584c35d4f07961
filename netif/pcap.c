/*
 * pcap replay backend.  libpcap reads the capture (pcap or pcapng, either
 * byte order, timestamps asked for in ns) and writes the output.
 *
 * The next record is read ahead and kept pending (libpcap's pointer stays
 * valid until the next pcap_next_ex()), because its timestamp decides
 * whether recv() may deliver it, what next_deadline() says and how far
 * wait() moves the clock.
 */
#include <errno.h>
#include <pcap/pcap.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "znet/err.h"
#include "znet/pcap.h"

#define ETH_HDR_LEN 14u
#define ETHERTYPE_IPV4 0x0800u
#define ETHERTYPE_IPV6 0x86ddu
#define OUT_SNAPLEN 262144
/* Link types as pcap_datalink() reports them.  Raw IP is DLT_RAW, which
 * is 12 on most systems and 14 on some BSDs; LINKTYPE_RAW (101) as well
 * in case a libpcap does not map it. */
#define DLT_ETHERNET_ 1
#define DLT_RAW_12 12
#define DLT_RAW_14 14
#define LINKTYPE_RAW_ 101
#define DLT_IPV4_ 228
#define DLT_IPV6_ 229

enum pcap_link { LINK_ETH, LINK_RAW, LINK_IPV4, LINK_IPV6 };

/* libpcap's message and a path around it fit (truncated beyond). */
_Static_assert(ZN_PCAPIF_ERRLEN >= PCAP_ERRBUF_SIZE + 128,
               "ZN_PCAPIF_ERRLEN too small for libpcap's messages");

struct zn_pcapif {
  struct zn_netif nif; /* first */
  pcap_t *in;
  pcap_t *dead; /* output handle (Ethernet, ns), or NULL */
  pcap_dumper_t *dump;
  enum pcap_link link;
  uint8_t peer_mac[6], local_mac[6];
  /* The record read ahead. */
  const struct pcap_pkthdr *hdr;
  const u_char *pkt;
  bool have_next;
  uint64_t next_ts;
  int pending_err; /* a read failure recv() still has to report */
  uint64_t start;  /* timestamp of the first frame */
  uint64_t vnow;   /* the virtual clock */
  struct zn_pcapif_stats stats;
  char error[ZN_PCAPIF_ERRLEN]; /* why the last record read failed */
};

static const uint8_t default_local_mac[6] = {0x02, 0x7a, 0x6e,
                                             0x65, 0x74, 0x00};
static const uint8_t default_peer_mac[6] = {0x02, 0x7a, 0x6e, 0x65, 0x74, 0x01};

/* Write a message into err (ZN_PCAPIF_ERRLEN bytes; NULL: nowhere). */
__attribute__((format(printf, 2, 3))) static void set_error(char *err,
                                                            const char *fmt,
                                                            ...) {
  if (err == NULL)
    return;
  va_list ap;
  va_start(ap, fmt);
  (void)vsnprintf(err, ZN_PCAPIF_ERRLEN, fmt, ap); /* truncates */
  va_end(ap);
}

const char *zn_pcapif_error(const struct zn_pcapif *p) { return p->error; }

static struct zn_pcapif *pcapif_of(struct zn_netif *nif) {
  return ZN_CONTAINER_OF(nif, struct zn_pcapif, nif);
}

static bool mac_is_zero(const uint8_t m[6]) {
  static const uint8_t zero[6];
  return memcmp(m, zero, 6) == 0;
}

static uint64_t ts_ns(const struct pcap_pkthdr *h) {
  /* The handle was opened for ns precision: tv_usec holds nanoseconds. */
  if (h->ts.tv_sec < 0 || h->ts.tv_usec < 0)
    return 0;
  return (uint64_t)h->ts.tv_sec * 1000000000u + (uint64_t)h->ts.tv_usec;
}

/* Read the next record ahead.  Timestamps are clamped to never go back. */
static void read_ahead(struct zn_pcapif *p) {
  struct pcap_pkthdr *h;
  const u_char *d;
  int rc = pcap_next_ex(p->in, &h, &d);
  p->have_next = false;
  if (rc == 1) {
    uint64_t ts = ts_ns(h);
    if (p->stats.frames_read > 0 && ts < p->next_ts)
      ts = p->next_ts;
    p->hdr = h;
    p->pkt = d;
    p->next_ts = ts;
    p->have_next = true;
    p->stats.frames_read++;
    if (h->caplen < h->len)
      p->stats.frames_truncated++;
    return;
  }
  if (rc == PCAP_ERROR_BREAK)
    return; /* end of the file */
  p->stats.read_errors++;
  p->pending_err = ZN_EIO;
  set_error(p->error, "%s", pcap_geterr(p->in));
}

/* The pending record as a buffer ready for the stack; NULL if it cannot
 * be delivered (bad raw-IP version, no buffer, too big). */
static struct zn_buf *frame_of(struct zn_pcapif *p) {
  uint32_t caplen = p->hdr->caplen;
  uint16_t ethertype = ETHERTYPE_IPV4;
  if (p->link != LINK_ETH) {
    unsigned version = caplen ? (unsigned)(p->pkt[0] >> 4) : 0u;
    if (version == 6 && (p->link == LINK_RAW || p->link == LINK_IPV6))
      ethertype = ETHERTYPE_IPV6;
    else if (version != 4 || p->link == LINK_IPV6)
      return NULL;
  }
  struct zn_buf *b = zn_netif_copy_frame(&p->nif, p->pkt, caplen);
  if (b == NULL)
    return NULL;
  if (p->link != LINK_ETH) {
    uint8_t *eh = zn_buf_push(b, ETH_HDR_LEN);
    if (eh == NULL) {
      zn_buf_free(b);
      return NULL;
    }
    memcpy(eh, p->local_mac, 6);
    memcpy(eh + 6, p->peer_mac, 6);
    eh[12] = (uint8_t)(ethertype >> 8);
    eh[13] = (uint8_t)ethertype;
  }
  return b;
}

static void sync_clock(struct zn_pcapif *p) {
  if (p->nif.now > p->vnow && p->nif.now != ZN_TIME_NEVER)
    p->vnow = p->nif.now;
}

static int pcapif_recv(struct zn_netif *nif, struct zn_buf **out) {
  struct zn_pcapif *p = pcapif_of(nif);
  sync_clock(p);
  for (;;) {
    if (!p->have_next) {
      int e = p->pending_err;
      p->pending_err = 0;
      return e ? e : ZN_EOF;
    }
    if (p->next_ts > p->vnow)
      return ZN_EAGAIN;
    struct zn_buf *b = frame_of(p);
    read_ahead(p); /* invalidates p->pkt, so after the copy */
    if (b == NULL) {
      p->stats.frames_skipped++;
      continue;
    }
    p->stats.frames_delivered++;
    *out = b;
    return ZN_OK;
  }
}

static int pcapif_send(struct zn_netif *nif, struct zn_buf *b) {
  struct zn_pcapif *p = pcapif_of(nif);
  sync_clock(p);
  if (p->dump) {
    struct pcap_pkthdr h;
    memset(&h, 0, sizeof(h));
    h.ts.tv_sec = (time_t)(p->vnow / 1000000000u);
    h.ts.tv_usec = (suseconds_t)(p->vnow % 1000000000u);
    h.caplen = h.len = b->len;
    pcap_dump((u_char *)p->dump, &h, b->data);
    p->stats.frames_written++;
  }
  zn_buf_free(b);
  return ZN_OK;
}

static int pcapif_wait(struct zn_netif *nif, uint64_t deadline) {
  struct zn_pcapif *p = pcapif_of(nif);
  uint64_t target = deadline;
  if (p->have_next && p->next_ts < target)
    target = p->next_ts;
  if (target == ZN_TIME_NEVER)
    return ZN_EOF; /* nothing will ever happen: do not sleep forever */
  if (target > p->vnow)
    p->vnow = target;
  return ZN_OK;
}

static uint64_t pcapif_now(struct zn_netif *nif) {
  struct zn_pcapif *p = pcapif_of(nif);
  sync_clock(p);
  return p->vnow;
}

static uint64_t pcapif_next_deadline(struct zn_netif *nif) {
  struct zn_pcapif *p = pcapif_of(nif);
  return p->have_next ? p->next_ts : ZN_TIME_NEVER;
}

static void pcapif_close_op(struct zn_netif *nif) {
  zn_pcapif_close(pcapif_of(nif));
}

static const struct zn_netif_ops pcapif_ops = {
    .kind = "pcap",
    .recv = pcapif_recv,
    .send = pcapif_send,
    .wait = pcapif_wait,
    .now = pcapif_now,
    .next_deadline = pcapif_next_deadline,
    .close = pcapif_close_op,
};

static int link_of(int dlt, enum pcap_link *link) {
  switch (dlt) {
  case DLT_ETHERNET_:
    *link = LINK_ETH;
    return ZN_OK;
  case DLT_RAW_12:
  case DLT_RAW_14:
  case LINKTYPE_RAW_:
    *link = LINK_RAW;
    return ZN_OK;
  case DLT_IPV4_:
    *link = LINK_IPV4;
    return ZN_OK;
  case DLT_IPV6_:
    *link = LINK_IPV6;
    return ZN_OK;
  default:
    return ZN_ENOTSUP;
  }
}

int zn_pcapif_open(const char *in_path, const struct zn_pcapif_opts *opts,
                   struct zn_pcapif **out, char *err) {
  static const struct zn_pcapif_opts no_opts;
  char errbuf[PCAP_ERRBUF_SIZE];
  enum pcap_link link;

  if (err != NULL)
    err[0] = '\0';
  if (out == NULL || in_path == NULL) {
    set_error(err, "zn_pcapif_open: NULL argument");
    return ZN_EINVAL;
  }
  *out = NULL;
  if (opts == NULL)
    opts = &no_opts;

  errbuf[0] = '\0';
  pcap_t *in = pcap_open_offline_with_tstamp_precision(
      in_path, PCAP_TSTAMP_PRECISION_NANO, errbuf);
  if (in == NULL) {
    set_error(err, "%s", errbuf);
    return access(in_path, F_OK) != 0 && errno == ENOENT ? ZN_ENOENT : ZN_EIO;
  }
  int dlt = pcap_datalink(in);
  if (link_of(dlt, &link) != ZN_OK) {
    const char *dname = pcap_datalink_val_to_name(dlt);
    set_error(err, "%s: unsupported link type %d (%s)", in_path, dlt,
              dname ? dname : "unknown");
    pcap_close(in);
    return ZN_ENOTSUP;
  }

  struct zn_pcapif *p = calloc(1, sizeof(*p));
  if (p == NULL) {
    set_error(err, "out of memory");
    pcap_close(in);
    return ZN_ENOMEM;
  }
  p->in = in;
  p->link = link;
  if (opts->out_path) {
    p->dead = pcap_open_dead_with_tstamp_precision(DLT_ETHERNET_, OUT_SNAPLEN,
                                                   PCAP_TSTAMP_PRECISION_NANO);
    if (p->dead)
      p->dump = pcap_dump_open(p->dead, opts->out_path);
    if (p->dump == NULL) {
      set_error(err, "%s: %s", opts->out_path,
                p->dead ? pcap_geterr(p->dead) : "pcap_open_dead failed");
      zn_pcapif_close(p);
      return ZN_EIO;
    }
  }

  zn_netif_init(&p->nif, &pcapif_ops, opts->mtu);
  memcpy(p->peer_mac,
         mac_is_zero(opts->peer_mac) ? default_peer_mac : opts->peer_mac, 6);
  if (!mac_is_zero(opts->local_mac))
    memcpy(p->local_mac, opts->local_mac, 6);
  else if (link != LINK_ETH)
    memcpy(p->local_mac, default_local_mac, 6);
  if (!mac_is_zero(p->local_mac)) {
    memcpy(p->nif.mac, p->local_mac, 6);
    p->nif.has_mac = true;
  }

  read_ahead(p);
  p->start = p->have_next ? p->next_ts : 0;
  p->vnow = p->start;
  p->nif.now = p->start;
  *out = p;
  return ZN_OK;
}

struct zn_netif *zn_pcapif_netif(struct zn_pcapif *p) {
  return &p->nif;
}

uint64_t zn_pcapif_start_time(const struct zn_pcapif *p) { return p->start; }

bool zn_pcapif_eof(const struct zn_pcapif *p) { return !p->have_next; }

void zn_pcapif_get_stats(const struct zn_pcapif *p, struct zn_pcapif_stats *s) {
  *s = p->stats;
}

void zn_pcapif_close(struct zn_pcapif *p) {
  if (p == NULL)
    return;
  if (p->dump) {
    pcap_dump_flush(p->dump);
    pcap_dump_close(p->dump);
  }
  if (p->dead)
    pcap_close(p->dead);
  if (p->in)
    pcap_close(p->in);
  free(p);
}
